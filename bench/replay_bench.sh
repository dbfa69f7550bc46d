#!/usr/bin/env bash
# ft-replay from command start to verdict for one scenario in a large log, with
# the log's locator and without it (the scan fallback). JSON lines out.
#   bench/replay_bench.sh [BUILD_DIR] [SCENARIOS]   (default build/default, 500000:
#                                                    both modes, ~1,000,000 events)
set -euo pipefail
build=${1:-build/default}
n=${2:-500000}
campaign=$build/differential/ft-campaign replay=$build/replay/ft-replay
for b in "$campaign" "$replay"; do [ -x "$b" ] || { echo "replay_bench: no $b" >&2; exit 2; }; done
command -v hyperfine >/dev/null || { echo "replay_bench: needs hyperfine (Debian package)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-replay-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$campaign" --scenarios "$n" --no-fixtures --no-oracle-fixtures --out "$tmp/log" --no-progress >/dev/null
events=$(zcat "$tmp/log/campaign.jsonl.gz" | grep -c '"record":"event"')
id=$(zcat "$tmp/log/campaign.jsonl.gz" | tail -n 1 | jq -r .scenario_id) # the last one: worst case for a scan
for mode in locator scan; do
    [ $mode = scan ] && mv "$tmp/log/campaign.jsonl.gz.ftidx" "$tmp/ftidx"
    runs=30
    [ $mode = scan ] && runs=5
    hyperfine -N --warmup 1 --runs $runs --export-json "$tmp/$mode.json" "$replay --dir $tmp/log $id" >/dev/null 2>&1
    jq -c --arg mode $mode --argjson events "$events" '.results[0] |
        {bench: "replay", lookup: $mode, events: $events, median_ms: (.median * 1000),
         mean_ms: (.mean * 1000), min_ms: (.min * 1000), runs: (.times | length)}' "$tmp/$mode.json"
done
