#!/usr/bin/env bash
# Makes the benchmark log: N (default 1,000,000) ft-forensics-v1 events after a
# run header, one failure per 100 events (five reason codes, so the failure
# index has buckets), written by ft-forensics-bench through the real log
# writer (failures close and fsync their member). Reusable by any benchmark
# that needs a big log (index, locator lookup, cat):
#
#   bench/make_million_log.sh OUT.log.gz [N]            # also writes OUT.jsonl (same lines, uncompressed)
#
# The binary is $FT_FORENSICS_BENCH, or <build>/bench/ft-forensics-bench with
# <build> = $FT_BUILD_DIR (default: build/default). An existing OUT of the
# right size is kept (FORCE=1 remakes it); prints OUT's path on stdout.
set -euo pipefail
out=${1:?usage: make_million_log.sh OUT.log.gz [N]}
n=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FT_FORENSICS_BENCH:-${FT_BUILD_DIR:-$root/build/default}/bench/ft-forensics-bench}
[ -x "$bin" ] || { echo "make_million_log.sh: no $bin (build the ft-forensics-bench target, or set FT_FORENSICS_BENCH)" >&2; exit 1; }
jsonl=${out%.gz}
jsonl=${jsonl%.log}.jsonl
stamp=$out.events
if [ "${FORCE:-0}" != 1 ] && [ -s "$out" ] && [ -s "$jsonl" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$n" ]; then
    echo "$out"
    exit 0
fi
"$bin" make-log "$out" "$n" --failure-every 100 --jsonl "$jsonl" >&2
echo "$n" > "$stamp"
echo "$out"
