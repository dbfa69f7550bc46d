#!/usr/bin/env bash
# The forensics log's writer and reader against gzip and zcat on the same bytes
# (bench/FORENSICS.md has the method and the measured numbers):
#
#   writer: ft-forensics-bench write IN.jsonl OUT --level L   vs   gzip -L -c IN.jsonl > OUT.gz
#   reader: ft-forensics-bench read LOG                        vs   zcat LOG > /dev/null
#
# for L = 1 and 6, each timed RUNS times (default 3) as whole processes (wall
# clock), reporting the median, events/s and MB/s of uncompressed JSONL, and the
# ratio (ours / theirs; the goal for the writer is <= 1.3).
#
#   bench/forensics_bench.sh [N]      # N events (default 1,000,000)
#
# Environment: FT_BUILD_DIR (default build/default) or FT_FORENSICS_BENCH for
# the binary; WORK (default /tmp/ft-forensics-bench) for the files; RUNS.
set -euo pipefail
n=${1:-1000000}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FT_FORENSICS_BENCH:-${FT_BUILD_DIR:-$root/build/default}/bench/ft-forensics-bench}
export FT_FORENSICS_BENCH=$bin
work=${WORK:-/tmp/ft-forensics-bench}
mkdir -p "$work"
for tool in gzip zcat; do
    command -v $tool >/dev/null || { echo "forensics_bench.sh: $tool is missing" >&2; exit 1; }
done

log=$("$root/bench/make_million_log.sh" "$work/events-$n.log.gz" "$n")
jsonl=$work/events-$n.jsonl
bytes=$(stat -c %s "$jsonl")
events=$(( $(wc -l < "$jsonl") ))

ms() { # runs "$@", prints wall milliseconds
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN {printf "%.0f", n / (ms / 1000)}'; }
mbs() { awk -v b="$1" -v ms="$2" 'BEGIN {printf "%.1f", b / 1e6 / (ms / 1000)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

gzip_to() { gzip "-$1" -c "$jsonl" > "$2"; }
zcat_null() { zcat "$1" > /dev/null; }

echo "# $events lines, $bytes bytes of JSONL; median of $runs runs; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '%-26s %9s %12s %9s %12s\n' case ms events/s MB/s ratio
for level in 1 6; do
    ours=() theirs=()
    for _ in $(seq "$runs"); do
        ours+=("$(ms "$bin" write "$jsonl" "$work/w$level.log.gz" --level "$level")")
        theirs+=("$(ms gzip_to "$level" "$work/w$level.jsonl.gz")")
    done
    o=$(printf '%s\n' "${ours[@]}" | median)
    t=$(printf '%s\n' "${theirs[@]}" | median)
    printf '%-26s %9s %12s %9s %12s\n' "write level $level (ours)" "$o" "$(rate "$events" "$o")" "$(mbs "$bytes" "$o")" "$(ratio "$o" "$t")"
    printf '%-26s %9s %12s %9s %12s\n' "gzip -$level" "$t" "$(rate "$events" "$t")" "$(mbs "$bytes" "$t")" 1.00
    echo "  sizes: ours $(stat -c %s "$work/w$level.log.gz"), gzip $(stat -c %s "$work/w$level.jsonl.gz") bytes"
done
ours=() theirs=()
for _ in $(seq "$runs"); do
    ours+=("$(ms "$bin" read "$log")")
    theirs+=("$(ms zcat_null "$log")")
done
o=$(printf '%s\n' "${ours[@]}" | median)
t=$(printf '%s\n' "${theirs[@]}" | median)
printf '%-26s %9s %12s %9s %12s\n' "read (ours)" "$o" "$(rate "$events" "$o")" "$(mbs "$bytes" "$o")" "$(ratio "$o" "$t")"
printf '%-26s %9s %12s %9s %12s\n' "zcat > /dev/null" "$t" "$(rate "$events" "$t")" "$(mbs "$bytes" "$t")" 1.00
