#!/usr/bin/env bash
# bench/fuzz_bench.sh — exec/s of every fuzz target under libFuzzer, against an
# empty target built the same way, without sanitizers and with ASan, in one
# run. JSON lines on stdout (one header, then one line per build and target);
# progress on stderr. A measurement, not a timed test: nothing here passes or
# fails on speed.
#
#   bench/fuzz_bench.sh [--seconds N] [--targets "t1 t2"] [--builds "nosan asan asan-ubsan"]
#
# Each build is its own directory, build/fuzz-bench-<build> (clang,
# FT_FUZZ_ENGINE=libfuzzer, RelWithDebInfo like the fuzz-libfuzzer preset,
# FT_FUZZ_BENCH_EMPTY=ON for bench/fuzz_empty.c). Each target fuzzes a fresh
# copy of its seed corpus for N seconds (default 10) with its .options'
# max_len and its dictionary, -seed=1, one process at a time; the empty target
# then runs on another fresh copy of the same corpus with the same flags, so
# the two differ only in what LLVMFuzzerTestOneInput does. ratio =
# exec_per_sec / empty_exec_per_sec. The goal (SPEC §13 / issue 9): keyset_parse
# and route_select at >= 0.5 without sanitizers; "goal" is set on those lines.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
targets="keyset_parse route_select autograd_program forensics_reader fixture_parser"
builds="nosan asan"
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --builds) builds=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz_bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

jobs=$(nproc 2>/dev/null || echo 2)
work=$(mktemp -d "${TMPDIR:-/tmp}/ft-fuzz-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

sanitize_of() {
    case "$1" in
    nosan) echo "" ;;
    asan) echo "address" ;;
    asan-ubsan) echo "address,undefined" ;;
    *) echo "fuzz_bench.sh: unknown build $1 (nosan, asan, asan-ubsan)" >&2; exit 2 ;;
    esac
}

option_of() { # option_of <target> <key> <default>
    local v
    v=$(sed -n "s/^$2 *= *\([0-9]*\).*/\1/p" "fuzz/$1.options" 2>/dev/null | head -1)
    echo "${v:-$3}"
}

stat_of() { # stat_of <log> <name>
    sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$1" | tail -1
}

# Runs one binary on a fresh copy of the target's corpus; prints "exec/s runs rss counters rc".
measure() {
    local bin=$1 t=$2 dir="$work/corpus" log="$work/log" rc=0
    rm -rf "$dir" "$work/artifacts"
    mkdir -p "$dir" "$work/artifacts"
    cp "corpus/$t/"* "$dir/"
    FT_FUZZ_FORENSICS_DIR="$work/forensics" "$bin" -max_total_time="$seconds" -print_final_stats=1 -seed=1 \
        -max_len="$(option_of "$t" max_len 4096)" -timeout="$(option_of "$t" timeout 10)" \
        -rss_limit_mb="$(option_of "$t" rss_limit_mb 2048)" -dict="fuzz/$t.dict" \
        -artifact_prefix="$work/artifacts/" "$dir" >"$log" 2>&1 || rc=$?
    local counters
    counters=$(sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
    echo "$(stat_of "$log" average_exec_per_sec) $(stat_of "$log" number_of_executed_units)" \
        "$(stat_of "$log" peak_rss_mb) ${counters:-0} $rc"
}

compiler=$(clang --version | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
printf '{"bench":"fuzz_bench_run","engine":"libfuzzer","compiler":"%s","commit":"%s","cpus":%s,"seconds":%s,"builds":"%s","targets":"%s"}\n' \
    "$compiler" "$commit" "$jobs" "$seconds" "$builds" "$targets"

for b in $builds; do
    san=$(sanitize_of "$b")
    dir="build/fuzz-bench-$b"
    echo "fuzz_bench: building $dir (sanitizers: ${san:-none})" >&2
    cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFT_FUZZ_ENGINE=libfuzzer \
        -DFT_SANITIZE="$san" -DFT_FUZZ_BENCH_EMPTY=ON -DFT_BUILD_TESTS=OFF -DFT_BUILD_BENCH=OFF >/dev/null
    tlist=()
    for t in $targets; do tlist+=("fuzz_$t"); done
    cmake --build "$dir" -j "$jobs" --target "${tlist[@]}" bench_fuzz_empty >/dev/null
    for t in $targets; do
        echo "fuzz_bench: $b $t (${seconds}s target, ${seconds}s empty)" >&2
        read -r eps runs rss counters rc < <(measure "$dir/fuzz/fuzz_$t" "$t")
        read -r eeps eruns erss ecounters erc < <(measure "$dir/fuzz/bench_fuzz_empty" "$t")
        ratio=$(awk -v a="${eps:-0}" -v b="${eeps:-0}" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "null" }')
        goal=null
        if [ "$b" = nosan ] && { [ "$t" = keyset_parse ] || [ "$t" = route_select ]; }; then
            goal=0.5
        fi
        printf '{"bench":"fuzz_exec_per_sec","build":"%s","sanitizers":"%s","target":"%s","exec_per_sec":%s,"runs":%s,"peak_rss_mb":%s,"counters":%s,"exit":%s,"empty_exec_per_sec":%s,"empty_runs":%s,"ratio":%s,"goal":%s}\n' \
            "$b" "${san:-none}" "$t" "${eps:-null}" "${runs:-null}" "${rss:-null}" "$counters" "$rc" \
            "${eeps:-null}" "${eruns:-null}" "$ratio" "$goal"
        : "$erss" "$ecounters" "$erc"
    done
done
