#!/usr/bin/env bash
# .clusterfuzzlite/build.sh run locally as ClusterFuzzLite/OSS-Fuzz run it: the
# same variables (CC, CXX, CFLAGS, CXXFLAGS of an ASan build, LIB_FUZZING_ENGINE
# -fsanitize=fuzzer, SRC, WORK, OUT), in a scratch directory. Then $OUT must hold
# every target's fuzzer, seed corpus zip (as many files as corpus/<target>/),
# dictionary and options (whose dict names a file beside it), and each fuzzer
# must run its own seed corpus (-runs=0) cleanly.
#
#   run_build_test.sh SOURCE_DIR
# Exit 77 (ctest SKIP) without clang or the fuzz targets.
set -euo pipefail
src=$(cd "$1" && pwd)
[ -f "$src/fuzz/CMakeLists.txt" ] || { echo "SKIP: no fuzz/ targets"; exit 77; }
command -v clang >/dev/null && command -v clang++ >/dev/null || { echo "SKIP: no clang"; exit 77; }
command -v zip >/dev/null && command -v unzip >/dev/null || { echo "FAIL: zip and unzip are required (ci/deps.sh)"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ft-cfl-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src" "$scratch/work" "$scratch/out"
ln -s "$src" "$scratch/src/frankentorch"
fail() { echo "FAIL: $*"; exit 1; }

# OSS-Fuzz's flags for an address-sanitizer libFuzzer build
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
-fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
if ! (cd "$scratch/src/frankentorch" &&
    env -u ASAN_OPTIONS -u UBSAN_OPTIONS CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" \
        LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 \
        SRC="$scratch/src" WORK="$scratch/work" OUT="$scratch/out" \
        timeout 1500 bash "$src/.clusterfuzzlite/build.sh" >"$scratch/build.log" 2>&1); then
    tail -40 "$scratch/build.log"
    fail "build.sh failed"
fi

out=$scratch/out
for t in keyset_parse route_select autograd_program forensics_reader fixture_parser; do
    [ -x "$out/fuzz_$t" ] || fail "no fuzzer $out/fuzz_$t"
    if [ -d "$src/corpus/$t" ] && [ -n "$(ls -A "$src/corpus/$t")" ]; then
        zip=$out/fuzz_${t}_seed_corpus.zip
        [ -f "$zip" ] || fail "no seed corpus zip for $t"
        want=$(find "$src/corpus/$t" -type f | wc -l)
        mkdir -p "$scratch/seeds/$t"
        unzip -q "$zip" -d "$scratch/seeds/$t"
        got=$(find "$scratch/seeds/$t" -type f | wc -l)
        [ "$got" -eq "$want" ] || fail "$t: the seed corpus zip holds $got file(s), corpus/$t $want"
        # the fuzzer runs its seeds cleanly (what the service's build check does first)
        ASAN_OPTIONS=detect_leaks=1 FT_FUZZ_FORENSICS_DIR="$scratch/ff" timeout 600 "$out/fuzz_$t" -runs=0 \
            "$scratch/seeds/$t" >"$scratch/run-$t.log" 2>&1 || { tail -30 "$scratch/run-$t.log"; fail "$t: seeds do not run cleanly"; }
    fi
    if [ -f "$src/fuzz/$t.dict" ]; then
        cmp -s "$src/fuzz/$t.dict" "$out/fuzz_$t.dict" || fail "$t: dictionary not copied"
    fi
    if [ -f "$src/fuzz/$t.options" ]; then
        [ -f "$out/fuzz_$t.options" ] || fail "$t: options not copied"
        d=$(sed -nE 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*([^[:space:]]+).*/\1/p' "$out/fuzz_$t.options")
        [ -z "$d" ] || [ -f "$out/$d" ] || fail "$t: options name dict $d, not in \$OUT"
    fi
    files=("$out/fuzz_$t"*)
    echo "ok $t: ${#files[@]} file(s) in \$OUT"
done
echo "ok: .clusterfuzzlite/build.sh built every target into \$OUT"
