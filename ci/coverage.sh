#!/usr/bin/env bash
# Source-based coverage of lib/ by the fuzz corpora (issue 9 item 5).
#
# Builds the fuzz targets with the plain replay driver and clang's source-based
# coverage (-fprofile-instr-generate -fcoverage-mapping) in build/coverage/,
# replays corpus/<target>/ (and, with --campaign DIR, the corpora a ci/fuzz.sh
# run grew in DIR) through each target, merges the profiles (llvm-profdata) and
# writes an HTML report of lib/ (llvm-cov show: build/coverage/html/index.html
# for all targets together, html/<target>/ for each) and one summary line per
# target: lines, branches and functions of lib/ covered.
#
# Exit: 0 report written; 2 usage; 3 a build or a tool failed.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$PWD

all_targets=(keyset_parse route_select autograd_program forensics_reader fixture_parser)

usage() {
    cat <<'EOF'
usage: ci/coverage.sh [--campaign DIR] [--sources DIR] [--out DIR] [--no-build] [TARGET...]

Replays the corpora of each TARGET (default: all) through a coverage build and
reports what of lib/ they cover: build/coverage/html/index.html and one line
per target (lines, branches, functions of lib/).

  --campaign DIR   also replay the corpora a ci/fuzz.sh run grew (its --out
                   directory: DIR/work/libfuzzer/<target>/corpus, DIR/work/afl/<target>/sync/*/queue)
  --sources DIR    the source directory reported on, relative to the tree (default lib;
                   e.g. forensics/src for forensics_reader, differential/src for fixture_parser)
  --out DIR        build and report directory (default build/coverage)
  --no-build       use the binaries already in DIR
  -h, --help

Environment: FT_FUZZ_NO_DEPS=1 skips ci/deps.sh.
EOF
}
say() { printf 'ci/coverage.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 3
}
usage_error() {
    say "$* (--help for usage)"
    exit 2
}
abs_path() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$caller" "$1" ;; esac }

campaign='' out=$root/build/coverage do_build=true targets=() sources=lib
while [ $# -gt 0 ]; do
    case $1 in
    --campaign | --out)
        [ $# -ge 2 ] || usage_error "$1 needs a directory"
        if [ "$1" = --campaign ]; then campaign=$(abs_path "$2"); else out=$(abs_path "$2"); fi
        shift
        ;;
    --sources)
        [ $# -ge 2 ] || usage_error "--sources needs a directory"
        sources=${2%/}
        shift
        ;;
    --no-build) do_build=false ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*) usage_error "unknown option $1" ;;
    *) targets+=("$1") ;;
    esac
    shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    ok=false
    for k in "${all_targets[@]}"; do [ "$t" = "$k" ] && ok=true; done
    $ok || usage_error "unknown target $t (one of: ${all_targets[*]})"
done
[ -z "$campaign" ] || [ -d "$campaign" ] || usage_error "--campaign $campaign: not a directory"
case $sources in /* | *..*) usage_error "--sources takes a directory of the tree, e.g. lib" ;; esac
[ -d "$root/$sources" ] || usage_error "--sources $sources: no such directory in the tree"

[ "${FT_FUZZ_NO_DEPS:-0}" = 1 ] || ./ci/deps.sh
ncpu=$(nproc 2>/dev/null || echo 2)

if $do_build; then
    log=$(mktemp "${TMPDIR:-/tmp}/ft-coverage-build.XXXXXX")
    tlist=()
    for t in "${targets[@]}"; do tlist+=(--target "fuzz_$t"); done
    say "building the targets with coverage in $out"
    if ! timeout 1800 cmake -S . -B "$out" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFT_FUZZ_ENGINE=replay \
        -DFT_BUILD_TESTS=OFF -DFT_BUILD_BENCH=OFF -DFT_BUILD_TOOLS=ON -DFT_WERROR=OFF \
        "-DCMAKE_C_FLAGS=-fprofile-instr-generate -fcoverage-mapping" \
        -DCMAKE_EXE_LINKER_FLAGS=-fprofile-instr-generate >"$log" 2>&1 ||
        ! timeout 3600 cmake --build "$out" -j "$ncpu" "${tlist[@]}" >>"$log" 2>&1; then
        tail -40 "$log" >&2
        rm -f "$log"
        die "the coverage build failed"
    fi
    rm -f "$log"
fi
for t in "${targets[@]}"; do
    [ -x "$out/fuzz/fuzz_$t" ] || die "no $out/fuzz/fuzz_$t (drop --no-build)"
done

prof=$out/profiles
rm -rf "$prof" "$out/html"
mkdir -p "$prof" "$out/html"
summary_txt=$out/summary.txt
summary_json=$out/summary.json
: >"$summary_txt"
: >"$summary_json.tmp"

# Runs BIN on the files of LIST in batches; a batch that fails (an input that
# aborts loses its process's profile) is run again one file at a time.
replay_list() { # BIN LIST PROFILE-PATTERN FORENSICS-DIR
    local bin=$1 list=$2 pattern=$3 fdir=$4 batch=() f failed=0
    run() { LLVM_PROFILE_FILE=$pattern FT_FUZZ_FORENSICS_DIR=$fdir timeout -k 5 600 "$bin" "$@" >/dev/null 2>&1; }
    flush() {
        [ ${#batch[@]} -gt 0 ] || return 0
        if ! run "${batch[@]}"; then
            for f in "${batch[@]}"; do run "$f" || failed=$((failed + 1)); done
        fi
        batch=()
    }
    while IFS= read -r f; do
        batch+=("$f")
        [ ${#batch[@]} -lt 200 ] || flush
    done <"$list"
    flush
    printf '%s' "$failed"
}

# "lines 634/2554 (24.8%)" from llvm-cov's summary JSON
totals() { # PROFDATA BIN [-object BIN]...
    local data=$1
    shift
    timeout 600 llvm-cov export -summary-only -instr-profile="$data" "$@" "$root/$sources/" |
        jq -c '.data[0].totals | {lines, branches, functions, regions}'
}
scope=$sources/

objects=()
for t in "${targets[@]}"; do
    bin=$out/fuzz/fuzz_$t
    list=$prof/$t.inputs
    {
        [ ! -d "corpus/$t" ] || find "corpus/$t" -maxdepth 1 -type f ! -name '.*'
        if [ -n "$campaign" ]; then
            [ ! -d "$campaign/work/libfuzzer/$t/corpus" ] ||
                find "$campaign/work/libfuzzer/$t/corpus" -maxdepth 1 -type f
            for q in "$campaign/work/afl/$t"/sync/*/queue; do
                [ ! -d "$q" ] || find "$q" -maxdepth 1 -type f ! -name '.*'
            done
        fi
    } | sort >"$list"
    n=$(wc -l <"$list")
    mkdir -p "$prof/$t"
    failed=$(replay_list "$bin" "$list" "$prof/$t/%4m.profraw" "$prof/$t/forensics")
    profraws=("$prof/$t"/*.profraw)
    [ -e "${profraws[0]}" ] || die "$t: no profile written (no inputs in corpus/$t?)"
    timeout 600 llvm-profdata merge -sparse "${profraws[@]}" -o "$prof/$t.profdata" || die "$t: llvm-profdata failed"
    tot=$(totals "$prof/$t.profdata" "$bin") || die "$t: llvm-cov export failed"
    timeout 600 llvm-cov show -format=html -show-branches=count -output-dir="$out/html/$t" \
        -instr-profile="$prof/$t.profdata" "$bin" "$root/$sources/" >/dev/null || die "$t: llvm-cov show failed"
    jq -c --arg t "$t" --argjson n "$n" --argjson f "$failed" '{target: $t, inputs: $n, failed_inputs: $f} + .' \
        <<<"$tot" >>"$summary_json.tmp"
    objects+=("$bin")
done

# all targets together
timeout 600 llvm-profdata merge -sparse "$prof"/*.profdata -o "$prof/all.profdata" || die "llvm-profdata failed"
objargs=("${objects[0]}")
for o in "${objects[@]:1}"; do objargs+=(-object "$o"); done
tot=$(totals "$prof/all.profdata" "${objargs[@]}") || die "llvm-cov export failed"
timeout 600 llvm-cov show -format=html -show-branches=count -output-dir="$out/html" \
    -instr-profile="$prof/all.profdata" "${objargs[@]}" "$root/$sources/" >/dev/null || die "llvm-cov show failed"
total_inputs=$(jq -s 'map(.inputs) | add' "$summary_json.tmp")
jq -c --argjson n "$total_inputs" '{target: "all", inputs: $n, failed_inputs: 0} + .' <<<"$tot" >>"$summary_json.tmp"
jq -s --arg scope "$scope" '{schema: "ft-coverage-v1", scope: $scope, targets: .}' "$summary_json.tmp" >"$summary_json"
rm -f "$summary_json.tmp"

jq -r '.scope as $s | .targets[] | "coverage \(.target): \($s) lines \(.lines.covered)/\(.lines.count) (\(.lines.percent * 10 | round / 10)%), branches \(.branches.covered)/\(.branches.count) (\(.branches.percent * 10 | round / 10)%), functions \(.functions.covered)/\(.functions.count) (\(.functions.percent * 10 | round / 10)%); \(.inputs) input(s)\(if .failed_inputs > 0 then ", \(.failed_inputs) failing (not counted)" else "" end)"' \
    "$summary_json" | tee "$summary_txt"
rel=${out#"$root"/}
printf 'HTML report: %s/html/index.html (per target: %s/html/<target>/index.html)\n' "$rel" "$rel"
