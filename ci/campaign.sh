#!/usr/bin/env bash
# The main job: installs what is missing, builds ft-campaign (default preset) and
# runs the differential campaign — the fixture cases, the PyTorch 1.13 fixtures
# and 100,000 generated scenarios in both modes against the reference model —
# writing the forensics log, its locator, failure-index.json,
# differential-report.json and JUnit XML under artifacts/forensics/<run_id>/.
# Extra arguments go to ft-campaign (e.g. --scenarios 20000 --oracle torch).
# Ends with "N passed, N failed"; exits non-zero on blocking drift.
set -euo pipefail
cd "$(dirname "$0")/.."

./ci/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc 2>/dev/null || echo 2)" --target ft-campaign >/dev/null
out=artifacts/forensics/campaign-$(date -u +%Y%m%dT%H%M%SZ)
exec build/default/differential/ft-campaign --out "$out" --junit "$out/junit.xml" "$@"
