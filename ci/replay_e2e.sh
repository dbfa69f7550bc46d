#!/usr/bin/env bash
# End to end: a failure found by ft-campaign on a buggy build, and one found by a
# fuzz target, are reproduced by ft-replay from the logs alone, are not
# reproduced by the clean build, and the campaign's minimised form keeps the
# signature.
#   ci/replay_e2e.sh CLEAN_FT_REPLAY [MUTANT]     (default mutant: 04-unknown-bit-54-accepted)
# CLEAN_FT_REPLAY's build must hold the fuzz targets (any build with tests does).
# Builds the mutant in a scratch copy of HEAD under $TMPDIR (ft-campaign and
# ft-replay only). Exit 0 when every step behaves; prints one line per step.
set -euo pipefail
cd "$(dirname "$0")/.."
clean_replay=$(realpath "$1")
mutant=${2:-04-unknown-bit-54-accepted}
patch=ci/mutants/$mutant.patch
[ -x "$clean_replay" ] || { echo "replay_e2e: no clean ft-replay at $1" >&2; exit 2; }
[ -f "$patch" ] || { echo "replay_e2e: no $patch" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ft-replay-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
git archive HEAD | tar -x -C "$work" --one-top-level=src
git -C "$work/src" apply "$(realpath "$patch")" 2>/dev/null || (cd "$work/src" && git apply "$OLDPWD/$patch")
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DFT_BUILD_TESTS=OFF -DFT_BUILD_BENCH=OFF \
    -DFT_FUZZ_ENGINE=replay >/dev/null
cmake --build "$work/build" -j "$(nproc 2>/dev/null || echo 2)" --target ft-campaign ft-replay fuzz_keyset_parse >/dev/null
bad_campaign=$work/build/differential/ft-campaign
bad_replay=$work/build/replay/ft-replay
step() { printf 'replay_e2e: %-58s %s\n' "$1" "$2"; }

rc=0
"$bad_campaign" --scenarios 20000 --no-oracle-fixtures --out "$work/out" --no-progress >"$work/campaign.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { tail -n 5 "$work/campaign.log"; echo "replay_e2e: the mutant campaign exited $rc, want 1" >&2; exit 1; }
step "campaign on $mutant" "found blocking drift"
id=$(jq -r '[.buckets[] | select(.signature | startswith("blocking_drift") | not)][0].representative.scenario_id' \
     "$work/out/failure-index.json")
sig=$(jq -r '[.buckets[] | select(.signature | startswith("blocking_drift") | not)][0].signature' \
      "$work/out/failure-index.json")
[ -n "$id" ] && [ "$id" != null ] || { echo "replay_e2e: no failing scenario in the failure index" >&2; exit 1; }
step "top bucket" "$sig ($id)"

expect() { # want rc, label, command...
    local want=$1 label=$2
    shift 2
    local got=0
    "$@" >"$work/step.out" 2>&1 || got=$?
    if [ "$got" != "$want" ]; then
        cat "$work/step.out"
        echo "replay_e2e: $label: exit $got, want $want" >&2
        exit 1
    fi
    step "$label" "exit $got"
}
expect 0 "ft-replay on the mutant build: reproduced" "$bad_replay" --dir "$work/out" "$id"
expect 1 "ft-replay on the clean build: not_reproduced" "$clean_replay" --dir "$work/out" "$id"
expect 0 "--minimize on the mutant build" "$bad_replay" --dir "$work/out" --minimize "$id"
small=$(sed -n 's/^minimized ([0-9]* passes, same failing comparators): \(gen\/[0-9a-f]*\)$/\1/p' "$work/step.out")
[ -n "$small" ] || { cat "$work/step.out"; echo "replay_e2e: --minimize printed no smaller scenario" >&2; exit 1; }
before=$(zcat "$work/out/campaign.jsonl.gz" | jq -c --arg id "$id" 'select(.scenario_id==$id) | .scenario' |
         head -n 1 | wc -c)
after=$(tail -n 1 "$work/step.out" | wc -c)
[ "$after" -le "$before" ] || { echo "replay_e2e: the minimised scenario is larger ($after > $before bytes)" >&2; exit 1; }
step "minimised" "$before -> $after bytes, $small"
expect 3 "an unknown id" "$bad_replay" --dir "$work/out" gen/0000000000000000

# a fuzz finding: the keyset_parse target (plain replay driver) on an input the
# mutant mishandles writes its forensics event; ft-replay runs the target again
if [ "$mutant" = 04-unknown-bit-54-accepted ]; then
    printf '0x40000000004001' >"$work/input"
    rc=0
    # (in a subshell whose stderr is dropped: the shell's own "Aborted" notice)
    (FT_FUZZ_FORENSICS_DIR="$work/fuzzlogs" "$work/build/fuzz/fuzz_keyset_parse" "$work/input" >"$work/fuzz.log" 2>&1) \
        2>/dev/null || rc=$?
    [ "$rc" != 0 ] || { cat "$work/fuzz.log"; echo "replay_e2e: the fuzz target passed the mutant" >&2; exit 1; }
    fid=fuzz/keyset_parse/$(sha1sum "$work/input" | cut -c1-40)
    step "fuzz target on the mutant" "$(grep -o 'ft-diff:[^ ]*' "$work/fuzz.log" | head -n 1)"
    expect 0 "ft-replay of the fuzz finding, mutant build: reproduced" "$bad_replay" --dir "$work/fuzzlogs" "$fid"
    expect 1 "ft-replay of the fuzz finding, clean build: not_reproduced" "$clean_replay" --dir "$work/fuzzlogs" "$fid"
fi
echo "replay_e2e: ok"
