#!/bin/bash -eu
# Builds the fuzz targets the way ClusterFuzzLite and OSS-Fuzz call it: with
# $CC, $CXX, $CFLAGS, $CXXFLAGS (sanitizer and coverage flags), $LIB_FUZZING_ENGINE
# (a flag such as -fsanitize=fuzzer, or an engine library path such as
# /usr/lib/libFuzzingEngine.a), $SRC, $WORK and $OUT set. Puts into $OUT, per
# target T of fuzz/CONTRACT.md:
#
#   fuzz_T                     the fuzzer
#   fuzz_T_seed_corpus.zip     corpus/T/
#   fuzz_T.dict                fuzz/T.dict (when there is one)
#   fuzz_T.options             fuzz/T.options (when there is one; a dict = line names fuzz_T.dict)
#
# It runs outside the service too, with the same variables (fuzz/README.md;
# tests/clusterfuzzlite/run_build_test.sh does it in ctest). The source tree is
# $SRC/frankentorch, or the checkout this script is in; $FT_SRC overrides.
src=${FT_SRC:-$SRC/frankentorch}
[ -f "$src/CMakeLists.txt" ] || src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${CC:?}" "${CFLAGS=}" "${LIB_FUZZING_ENGINE:?}" "${WORK:?}" "${OUT:?}"
CXX=${CXX:-clang++}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
targets=(keyset_parse route_select autograd_program forensics_reader fixture_parser)

build=$WORK/frankentorch-build
mkdir -p "$build" "$OUT"
# The sanitizer flags come with $CFLAGS, so FT_SANITIZE stays empty; build type
# None keeps assertions (no -DNDEBUG) and adds no -O level of its own.
cmake -S "$src" -B "$build" \
    -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
    -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
    -DFT_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
    -DFT_BUILD_TOOLS=ON -DFT_BUILD_TESTS=OFF -DFT_BUILD_BENCH=OFF -DFT_WERROR=OFF -DFT_SANITIZE=
tlist=()
for t in "${targets[@]}"; do tlist+=(--target "fuzz_$t"); done
cmake --build "$build" -j"$(nproc)" "${tlist[@]}"

for t in "${targets[@]}"; do
    cp "$build/fuzz/fuzz_$t" "$OUT/"
    rm -f "$OUT/fuzz_${t}_seed_corpus.zip"
    if [ -d "$src/corpus/$t" ] && [ -n "$(ls -A "$src/corpus/$t")" ]; then
        (cd "$src/corpus/$t" && zip -q -X -r "$OUT/fuzz_${t}_seed_corpus.zip" .)
    fi
    [ ! -f "$src/fuzz/$t.dict" ] || cp "$src/fuzz/$t.dict" "$OUT/fuzz_$t.dict"
    if [ -f "$src/fuzz/$t.options" ]; then
        # the service looks for dictionaries beside the fuzzer, under the name given here
        sed -E "s/^([[:space:]]*dict[[:space:]]*=[[:space:]]*).*/\\1fuzz_$t.dict/" "$src/fuzz/$t.options" \
            >"$OUT/fuzz_$t.options"
    fi
done
