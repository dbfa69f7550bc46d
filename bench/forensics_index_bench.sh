#!/usr/bin/env bash
# Failure index and locator lookup over a million-event log (bench/FORENSICS.md,
# section "Failure index and locator lookup"):
#
#   index:  ft-forensics index LOG > /dev/null
#           vs  zcat LOG > /dev/null
#           vs  zcat LOG | jq -c 'select(.outcome=="fail")' | jq -s 'group_by(.reason_code)' > /dev/null
#   lookup: ft-forensics show ID LOG > /dev/null   (through LOG.ftidx)
#           vs  zgrep ID LOG > /dev/null
#   also:   ft-forensics reindex LOG (building the locator), ft-forensics triage LOG
#
# Goals (issue 4): index within 2x of zcat and >= 20x faster than the jq
# pipeline; one lookup under 10 ms.
#
#   bench/forensics_index_bench.sh [N]      # N events (default 1,000,000)
#
# Uses hyperfine when installed (median of its runs; the jq pipeline and zgrep
# run fewer times, they are slow), else repeated wall-clock timing with
# medians. Environment: FT_BUILD_DIR (default build/default) for ft-forensics
# and ft-forensics-bench; WORK (default /tmp/ft-forensics-bench) for the log
# (shared with bench/forensics_bench.sh); RUNS (default 5).
set -euo pipefail
n=${1:-1000000}
runs=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FT_BUILD_DIR:-$root/build/default}
ftf=${FT_FORENSICS:-$build/forensics/ft-forensics}
export FT_FORENSICS_BENCH=${FT_FORENSICS_BENCH:-$build/bench/ft-forensics-bench}
work=${WORK:-/tmp/ft-forensics-bench}
mkdir -p "$work"
[ -x "$ftf" ] || { echo "forensics_index_bench.sh: no $ftf (build the ft-forensics target)" >&2; exit 1; }
for tool in zcat jq zgrep; do
    command -v $tool >/dev/null || { echo "forensics_index_bench.sh: $tool is missing" >&2; exit 1; }
done

log=$("$root/bench/make_million_log.sh" "$work/events-$n.log.gz" "$n")
jsonl=$work/events-$n.jsonl
id=$(sed -n "$(( (n + 1) / 2 ))p" "$jsonl" | grep -o '"scenario_id":"[^"]*"' | cut -d'"' -f4)
[ -n "$id" ] || { echo "forensics_index_bench.sh: no scenario id in the middle of $jsonl" >&2; exit 1; }

ms() { # runs "$@" once, prints wall milliseconds (fractional)
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    awk -v d=$(( e - s )) 'BEGIN {printf "%.2f", d / 1e6}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # timed RUNS CMD...: median wall ms of RUNS runs
    local r=$1
    shift
    for _ in $(seq "$r"); do ms "$@"; done | median
}
hf() { # hf RUNS WARMUP 'command': median wall ms via hyperfine
    local out=$work/hf.json
    hyperfine --style none --runs "$1" --warmup "$2" -N --export-json "$out" "$3" >/dev/null 2>&1 ||
        hyperfine --style none --runs "$1" --warmup "$2" --export-json "$out" "$3" >/dev/null
    jq '.results[0].median * 1000' "$out" | awk '{printf "%.2f", $1}'
}
have_hf=false
command -v hyperfine >/dev/null && have_hf=true

index_cmd() { "$ftf" index "$log" >/dev/null; }
triage_cmd() { "$ftf" triage "$log" >/dev/null; }
zcat_cmd() { zcat "$log" >/dev/null; }
jq_cmd() { zcat "$log" | jq -c 'select(.outcome=="fail")' | jq -s 'group_by(.reason_code)' >/dev/null; }
show_cmd() { "$ftf" show "$id" "$log" >/dev/null; }
zgrep_cmd() { zgrep "$id" "$log" >/dev/null; }

reindex_ms=$(ms "$ftf" reindex "$log")
"$ftf" verify "$log" >/dev/null || { echo "forensics_index_bench.sh: $log does not verify" >&2; exit 1; }
if $have_hf; then
    method="hyperfine, median"
    index=$(hf "$runs" 1 "sh -c '\"$ftf\" index \"$log\" >/dev/null'")
    triage=$(hf "$runs" 0 "sh -c '\"$ftf\" triage \"$log\" >/dev/null; true'")
    zc=$(hf "$runs" 1 "sh -c 'zcat \"$log\" >/dev/null'")
    jqp=$(hf 1 0 "sh -c 'zcat \"$log\" | jq -c '\\''select(.outcome==\"fail\")'\\'' | jq -s '\\''group_by(.reason_code)'\\'' >/dev/null'")
    show=$(hf 50 5 "\"$ftf\" show $id \"$log\"")
    zg=$(hf 3 0 "sh -c 'zgrep $id \"$log\" >/dev/null'")
else
    method="wall clock, median"
    index=$(timed "$runs" index_cmd)
    triage=$(timed "$runs" triage_cmd)
    zc=$(timed "$runs" zcat_cmd)
    jqp=$(timed 1 jq_cmd)
    show=$(timed 50 show_cmd)
    zg=$(timed 3 zgrep_cmd)
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "# $n events ($(stat -c %s "$log") bytes gz, $(stat -c %s "$jsonl") bytes JSONL, locator $(stat -c %s "$log.ftidx") bytes); $method; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '%-44s %12s  %s\n' case ms note
printf '%-44s %12s  %s\n' "ft-forensics index" "$index" "$(ratio "$index" "$zc")x zcat, jq pipeline / index = $(ratio "$jqp" "$index")x"
printf '%-44s %12s  %s\n' "ft-forensics triage" "$triage" "$(ratio "$triage" "$zc")x zcat"
printf '%-44s %12s  %s\n' "zcat > /dev/null" "$zc" "1.00"
printf '%-44s %12s  %s\n' "zcat | jq select fail | jq -s group_by" "$jqp" "$(ratio "$jqp" "$zc")x zcat (1 run)"
printf '%-44s %12s  %s\n' "ft-forensics show <id> (locator)" "$show" "whole process; zgrep / show = $(ratio "$zg" "$show")x"
printf '%-44s %12s  %s\n' "zgrep <id>" "$zg" ""
printf '%-44s %12s  %s\n' "ft-forensics reindex (build the locator)" "$reindex_ms" "1 run"
