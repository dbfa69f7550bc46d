#!/usr/bin/env bash
# The test command: installs what is missing, then configures, builds and runs
# every ctest suite twice: under ASan+UBSan (clang) and in the default Release
# build (gcc). Ends with the default run's ctest summary.
set -euo pipefail
cd "$(dirname "$0")/.."

./ci/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== asan preset (clang, ASan + UBSan)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"

echo "== mutation proof (ci/mutation.sh: every mutant in ci/mutants/ killed by ft-campaign)"
./ci/mutation.sh

echo "== replay end to end (ci/replay_e2e.sh: a mutant's finding reproduced from the logs alone)"
./ci/replay_e2e.sh build/asan/replay/ft-replay

echo "== fuzz smoke (ci/fuzz.sh: every target under libFuzzer + ASan/UBSan, 3 s each)"
./ci/fuzz.sh --engine libfuzzer --seconds 3 --out build/fuzz-smoke

echo "== default preset (gcc, Release)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"
ctest --preset default -j "$jobs"
