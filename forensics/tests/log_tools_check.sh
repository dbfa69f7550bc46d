#!/usr/bin/env bash
# The log writer's output is what the standard tools expect: `bgzip -t` (BGZF
# blocks and EOF marker), `gzip -t`, `zcat | jq -c .` (every line JSON; events
# selectable by .record). Fails — never skips — when a tool is missing
# (ci/deps.sh installs tabix and jq). Usage: log_tools_check.sh FTF_LOG_SAMPLE
set -euo pipefail
sample=${1:?usage: log_tools_check.sh path/to/ftf-log-sample}
for tool in bgzip gzip zcat jq; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (ci/deps.sh installs it)" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
log=$dir/sample.log.gz
"$sample" "$log" 500

bgzip -t "$log"
gzip -t "$log"
lines=$(zcat "$log" | jq -c . | wc -l)
[ "$lines" -eq 501 ] || { echo "FAIL: zcat | jq -c . gave $lines lines, want 501" >&2; exit 1; }
events=$(zcat "$log" | jq -c 'select(.record=="event")' | wc -l)
[ "$events" -eq 500 ] || { echo "FAIL: $events events, want 500" >&2; exit 1; }
fails=$(zcat "$log" | jq -c 'select(.outcome=="fail")' | wc -l)
[ "$fails" -eq 50 ] || { echo "FAIL: $fails failures, want 50" >&2; exit 1; }
# the last 28 bytes are BGZF's EOF marker
eof_hex=$(tail -c 28 "$log" | od -An -tx1 | tr -d ' \n')
[ "$eof_hex" = '1f8b08040000000000ff0600424302001b0003000000000000000000' ] \
    || { echo "FAIL: no BGZF EOF marker at the end" >&2; exit 1; }
# and the check has teeth: bgzip -t rejects the log cut short
head -c -40 "$log" > "$dir/cut.log.gz"
if bgzip -t "$dir/cut.log.gz" 2>/dev/null; then
    echo "FAIL: bgzip -t accepted a truncated log" >&2
    exit 1
fi
echo "ok: bgzip -t, gzip -t, zcat | jq accept the log ($lines lines, $fails failures)"
