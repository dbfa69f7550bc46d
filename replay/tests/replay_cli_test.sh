#!/usr/bin/env bash
# replay_cli_test.sh FT_REPLAY FT_CAMPAIGN SOURCE_DIR: ft-replay end to end, on
# logs a campaign wrote and on logs doctored to record what did not happen.
set -u
replay=$1 campaign=$2 src=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-replay-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # want, then the command
    local want=$1
    shift
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    [ "$rc" = "$want" ] || { cat "$tmp/out"; fail "exit $rc, want $want: $*"; }
}

# 1. a torch-fixture case whose expectation is wrong: the campaign records the
#    finding, and the record alone reproduces it
mkdir -p "$tmp/fx"
head -n 1 "$src/differential/oracle/fixtures/kernel_values_f64.jsonl" |
    sed 's/"value_bits":"0x0000000000000000"/"value_bits":"0x0000000000000001"/' >"$tmp/fx/kernel_values_f64.jsonl"
"$campaign" --oracle-fixtures "$tmp/fx" --no-fixtures --scenarios 200 --out "$tmp/run" --no-progress >/dev/null 2>&1
[ $? = 1 ] || fail "the campaign did not report the wrong fixture"
id=$(zcat "$tmp/run/campaign.jsonl.gz" | jq -r 'select(.outcome=="fail") | .scenario_id' | head -n 1)
[ -n "$id" ] || fail "no failing scenario in the log"
expect_rc 0 "$replay" --dir "$tmp/run" "$id"
grep -q '^verdict: reproduced$' "$tmp/out" || fail "no reproduced verdict"
expect_rc 0 "$replay" --dir "$tmp/run" --json "$id"
jq -e '.verdict == "reproduced" and .same_build' "$tmp/out" >/dev/null || fail "--json: $(cat "$tmp/out")"
expect_rc 0 "$replay" --dir "$tmp/run" --runs 3 "$id"
grep -q '^3 of 3 runs reproduced$' "$tmp/out" || fail "--runs: $(cat "$tmp/out")"

# 2. the same scenario recorded as a pass: it fails now, differently -> diverged
mkdir -p "$tmp/div"
zcat "$tmp/run/campaign.jsonl.gz" | jq -c --arg id "$id" \
    'select(.scenario_id != $id or .reason_code == "blocking_drift") |
     if .scenario_id == $id then .outcome = "pass" | .reason_code = "pass" else . end' | gzip >"$tmp/div/log.gz"
expect_rc 2 "$replay" --dir "$tmp/div" "$id"
grep -q 'locator missing; scanning' "$tmp/out" || fail "the missing locator is not said"

# 3. a generated scenario recorded as failing that passes now -> not_reproduced
gid=$(zcat "$tmp/run/campaign.jsonl.gz" | jq -r 'select(.suite_id=="generated" and .mode=="strict") | .scenario_id' |
      head -n 1)
mkdir -p "$tmp/nr"
zcat "$tmp/run/campaign.jsonl.gz" | jq -c --arg id "$gid" '
    if .scenario_id == $id and .mode == "strict" then
        (.outcome = "fail" | .reason_code = "blocking_drift"),
        (.outcome = "fail" | .reason_code = "output" | .comparator = "output" | .drift_id = null |
         .allowlisted = false | .expected = "0x1" | .observed = "0x2")
    else . end' | gzip >"$tmp/nr/log.gz"
expect_rc 1 "$replay" --dir "$tmp/nr" --mode strict "$gid"
grep -q '^verdict: not_reproduced$' "$tmp/out" || fail "no not_reproduced verdict"

# 4. lookup errors: an unknown id, an id that is no id, no logs, a bad option
expect_rc 3 "$replay" --dir "$tmp/run" gen/0000000000000000
expect_rc 3 "$replay" --dir "$tmp/run" 'gen/../../etc/passwd'
expect_rc 3 "$replay" --dir "$tmp/run" 'gen/1234567890abcdef; touch x'
expect_rc 3 "$replay" --dir "$tmp/nothing-here" "$id"
expect_rc 3 "$replay" --frobnicate "$id"
expect_rc 0 "$replay" --help

# 5. a stale locator: the log changed after its locator was written
cp -r "$tmp/run" "$tmp/stale"
zcat "$tmp/stale/campaign.jsonl.gz" | head -n 5 | gzip >>"$tmp/stale/campaign.jsonl.gz"
expect_rc 0 "$replay" --dir "$tmp/stale" "$id"
grep -q 'locator stale' "$tmp/out" || fail "the stale locator is not said: $(cat "$tmp/out")"

# 6. hostile records: replay commands, refs and strings from a log are never run
#    or opened, and do not crash the tool
mkdir -p "$tmp/hostile"
zcat "$tmp/run/campaign.jsonl.gz" | jq -c --arg id "$id" --arg t "$tmp" '
    if .record == "event" and .scenario_id == $id then
        .replay_command = "touch \($t)/pwned; $(touch \($t)/pwned2) `touch \($t)/pwned3`" |
        .artifact_refs = ["../../../../etc/passwd", "/etc/shadow", "\u0001\u001b[2J"] |
        .env_fingerprint = "det64:0000000000000000"
    else . end' | gzip >"$tmp/hostile/log.gz"
expect_rc 0 "$replay" --dir "$tmp/hostile" "$id"
ls "$tmp"/pwned* >/dev/null 2>&1 && fail "a command from the log ran"
grep -q 'recorded by another build' "$tmp/out" || fail "a different build is not said"
# a scenario that is not a scenario: a damaged record
zcat "$tmp/run/campaign.jsonl.gz" | jq -c --arg id "$id" '
    if .record == "event" and .scenario_id == $id then .scenario = {"kind": "batch", "case": 7} else . end' |
    gzip >"$tmp/hostile/log.gz"
expect_rc 4 "$replay" --dir "$tmp/hostile" "$id"

# 7. --print-command is a shell-quoted argv that runs as printed
expect_rc 0 "$replay" --dir "$tmp/run" --print-command "$id"
cmd=$(cat "$tmp/out")
case $cmd in "ft-replay --run run-"*" '$id'") ;; *) fail "--print-command: $cmd" ;; esac
eval "set -- $cmd"
[ "$#" = 4 ] && [ "$4" = "$id" ] || fail "--print-command does not round-trip: $cmd"
# 8. --write-fixture turns a recorded dispatch scenario into a fixture case the
#    campaign then runs (and passes on a correct library); --minimize says when
#    there is no failure to keep
did=$(zcat "$tmp/run/campaign.jsonl.gz" | jq -r 'select(.suite_id=="generated" and .scenario.kind=="dispatch") |
      .scenario_id' | head -n 1)
expect_rc 0 "$replay" --dir "$tmp/run" --write-fixture "$tmp/new.fixture.jsonl" --minimize "$did"
grep -q 'does not fail now' "$tmp/out" || fail "--minimize on a passing scenario: $(cat "$tmp/out")"
expect_rc 0 "$campaign" --fixtures "$tmp/new.fixture.jsonl" --no-oracle-fixtures --scenarios 0 --out "$tmp/fx-run" \
    --no-progress
tail -n 1 "$tmp/out" | grep -qx '2 passed, 0 failed' || fail "the written fixture: $(tail -n 3 "$tmp/out")"
echo "ok"
