#!/usr/bin/env bash
# Campaign throughput, end to end with forensics on: the default campaign
# (fixtures, PyTorch fixtures, 100,000 generated scenarios, both modes) with one
# job and with every core, REPS runs each, interleaved; JSON lines out (median
# wall seconds, scenarios/s, the share spent writing the log).
#   bench/campaign_bench.sh [BUILD_DIR] [REPS]       (default build/default, 3)
#   SCENARIOS=1000000 bench/campaign_bench.sh ...    the 1,000,000-scenario run
set -euo pipefail
build=${1:-build/default}
reps=${2:-3}
scen=${SCENARIOS:-100000}
bin=$build/differential/ft-campaign
[ -x "$bin" ] || { echo "campaign_bench: no $bin (cmake --build $build --target ft-campaign)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-campaign-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cores=$(nproc 2>/dev/null || echo 2)
declare -A wall logt
for r in $(seq "$reps"); do
    for jobs in 1 "$cores"; do
        rc=0
        out=$("$bin" --scenarios "$scen" --jobs "$jobs" --out "$tmp/run" --no-progress) || rc=$?
        if [ "$rc" -gt 1 ]; then # 1 is a finished run that found drift: still a measurement
            echo "campaign_bench: ft-campaign could not run (jobs $jobs, exit $rc):" >&2
            tail -n 3 <<<"$out" >&2
            exit 1
        fi
        failed=$(tail -n 1 <<<"$out" | sed -E 's/.* ([0-9]+) failed$/\1/')
        line=$(grep -E '^run run-' <<<"$out")
        runs=$(sed -E 's/.* ([0-9]+) runs in .*/\1/' <<<"$line")
        wall[$jobs]+="$(sed -E 's/.* runs in ([0-9.]+) s .*/\1/' <<<"$line") "
        logt[$jobs]+="$(sed -E 's/.*\(log ([0-9.]+) s\).*/\1/' <<<"$line") "
        rm -rf "$tmp/run"
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for jobs in 1 "$cores"; do
    w=$(median <<<"${wall[$jobs]}")
    l=$(median <<<"${logt[$jobs]}")
    printf '{"bench":"campaign","generated":%s,"runs":%s,"failed":%s,"jobs":%s,"reps":%s,"wall_s":%s,"log_s":%s,' \
        "$scen" "$runs" "$failed" "$jobs" "$reps" "$w" "$l"
    awk -v w="$w" -v l="$l" -v n="$runs" 'BEGIN {printf "\"runs_per_s\":%.0f,\"log_share\":%.3f,\"samples_s\":\"", n / w, l / w}'
    printf '%s"}\n' "$(echo ${wall[$jobs]})"
done
