#!/usr/bin/env bash
# The main job. The differential campaign (ft-campaign) does not exist yet; until
# it does, this builds the default preset and replays the built-in fixtures — the
# packet's dispatch-key cases in both modes and every PyTorch 1.13 oracle fixture —
# through `ft-dispatch --batch`, ending with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

./ci/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc 2>/dev/null || echo 2)" --target ft-dispatch ft-fixture-replay >/dev/null

echo "ft-campaign is not built yet: replaying built-in fixtures through ft-dispatch --batch" >&2
exec build/default/differential/ft-fixture-replay --dispatch build/default/differential/ft-dispatch \
    differential/fixtures/dispatch_key_cases.jsonl differential/oracle/fixtures/*.jsonl
