#!/usr/bin/env bash
# campaign_cli_test.sh CASE FT_CAMPAIGN SOURCE_DIR: end-to-end checks of
# ft-campaign as a user runs it. Each CASE prints why it fails and exits 1.
set -u
case_name=$1 campaign=$2 src=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-campaign-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
die() { echo "FAIL $case_name: $*" >&2; exit 1; }
small=(--scenarios 3000 --no-oracle-fixtures --no-progress)

case $case_name in
packet_shape)
    # the packet's own command shape; its three cases in both modes with
    # FrankenTorch's scenario ids and seeds; every record intact for bgzip
    "$campaign" --mode both --packet FT-P2C-002 --output "$tmp/ft-p2c-002.jsonl.gz" "${small[@]}" >"$tmp/out" 2>&1 ||
        die "exit $? $(cat "$tmp/out")"
    tail -n 1 "$tmp/out" | grep -Eq '^[0-9]+ passed, 0 failed$' || die "last line: $(tail -n 1 "$tmp/out")"
    bgzip -t "$tmp/ft-p2c-002.jsonl.gz" || die "bgzip -t rejects the log"
    for want in "dispatch_key/strict:strict_autograd_route 0xb15c85da8abd908b" \
                "dispatch_key/strict:strict_cpu_route 0x5c598df62c5f9e81" \
                "dispatch_key/strict:composite_route_mode_split 0xc5747897d33997f8" \
                "dispatch_key/hardened:strict_autograd_route 0x6544551d56a33a9"; do
        set -- $want
        got=$(zcat "$tmp/ft-p2c-002.jsonl.gz" | jq -r --arg id "$1" 'select(.scenario_id==$id) | .seed' | head -n 1)
        [ "$got" = "$2" ] || die "$1: seed $got, want $2"
    done
    for id in strict_cpu_route strict_autograd_route composite_route_mode_split; do
        for mode in strict hardened; do
            n=$(zcat "$tmp/ft-p2c-002.jsonl.gz" | jq -r --arg id "dispatch_key/$mode:$id" \
                'select(.record=="event" and .scenario_id==$id and .packet_id=="FT-P2C-002") | .scenario.kind' | wc -l)
            [ "$n" -ge 1 ] || die "dispatch_key/$mode:$id missing"
        done
    done
    # SPEC §10's fields on every event
    missing=$(zcat "$tmp/ft-p2c-002.jsonl.gz" | jq -c 'select(.record=="event") |
        [("schema_version","run_id","seq","suite_id","scenario_id","packet_id","mode","seed","env_fingerprint",
          "artifact_refs","replay_command","outcome","reason_code","scenario") as $k | select(has($k)|not) | $k] |
        select(length>0)' | head -n 3)
    [ -z "$missing" ] || die "events lack fields: $missing"
    for f in failure-index.json differential-report.json ft-p2c-002.jsonl.gz.ftidx; do
        [ -s "$tmp/$f" ] || die "no $f beside the log"
    done
    [ "$(jq '.fallback_rate.strict.fallback_used' "$tmp/differential-report.json")" = 0 ] ||
        die "strict fallback rate is not 0"
    ;;
determinism_across_jobs)
    "$campaign" --jobs 1 --out "$tmp/a" "${small[@]}" >/dev/null 2>&1
    a=$?
    "$campaign" --jobs 2 --out "$tmp/b" "${small[@]}" >/dev/null 2>&1
    b=$?
    [ "$a" = "$b" ] || die "exit $a with one job, $b with two"
    # the run header holds argv and the start time; every event must be identical
    cmp -s <(zcat "$tmp/a/campaign.jsonl.gz" | grep -v '"record":"run"') \
           <(zcat "$tmp/b/campaign.jsonl.gz" | grep -v '"record":"run"') || die "event records differ across --jobs"
    n=$(zcat "$tmp/a/campaign.jsonl.gz" | grep -c '"record":"event"')
    [ "$n" -gt 6000 ] || die "only $n events"
    # the same buckets (byte positions differ: the run header records argv)
    cmp -s <(jq -c '[.buckets[] | {signature, count, modes}]' "$tmp/a/failure-index.json") \
           <(jq -c '[.buckets[] | {signature, count, modes}]' "$tmp/b/failure-index.json") ||
        die "failure buckets differ across --jobs"
    ;;
progress_only_on_terminal)
    "$campaign" --out "$tmp/a" --scenarios 3000 --no-oracle-fixtures >"$tmp/out" 2>"$tmp/err" </dev/null
    grep -q '\[#' "$tmp/err" && die "progress bar drawn on a pipe"
    command -v script >/dev/null || die "script(1) is needed for a terminal"
    script -qec "'$campaign' --out '$tmp/b' --scenarios 3000 --no-oracle-fixtures" "$tmp/typescript" >/dev/null 2>&1
    grep -q '\[#' "$tmp/typescript" || die "no progress bar on a terminal: $(tail -c 300 "$tmp/typescript")"
    ;;
wrong_expectation_is_blocking)
    "$campaign" --fixtures "$src/differential/tests/data/fixtures_wrong" --scenarios 0 --no-oracle-fixtures \
        --out "$tmp/w" --no-progress --junit "$tmp/w/junit.xml" >"$tmp/out" 2>&1
    rc=$?
    [ $rc = 1 ] || die "exit $rc, want 1: $(cat "$tmp/out")"
    tail -n 1 "$tmp/out" | grep -qx '1 passed, 1 failed' || die "last line: $(tail -n 1 "$tmp/out")"
    jq -e '.buckets[] | select(.signature | test("fixture\\|fixture\\|add\\|CPU\\|strict"))' \
        "$tmp/w/failure-index.json" >/dev/null || die "no fixture bucket in the failure index"
    grep -q '<failure message="blocking_drift">' "$tmp/w/junit.xml" || die "JUnit has no failure"
    ;;
shards_partition_the_run)
    # two shards run exactly the generated scenarios of the whole run
    args=(--scenarios 2000 --no-oracle-fixtures --no-fixtures --no-progress)
    "$campaign" "${args[@]}" --out "$tmp/all" >/dev/null 2>&1 || die "unsharded run failed"
    "$campaign" "${args[@]}" --shard 0/2 --out "$tmp/s" >/dev/null 2>&1 || die "shard 0/2 failed"
    "$campaign" "${args[@]}" --shard 1/2 --out "$tmp/s" >/dev/null 2>&1 || die "shard 1/2 failed"
    ids() { zcat "$@" | jq -r 'select(.record=="event") | .scenario_id + " " + .mode' | sort; }
    cmp -s <(ids "$tmp/all/campaign.jsonl.gz") \
           <(ids "$tmp/s/campaign-shard-0-of-2.jsonl.gz" "$tmp/s/campaign-shard-1-of-2.jsonl.gz") ||
        die "the shards do not partition the run"
    # (the same id can come up twice: two indices may generate the same scenario)
    n0=$(ids "$tmp/s/campaign-shard-0-of-2.jsonl.gz" | wc -l)
    n1=$(ids "$tmp/s/campaign-shard-1-of-2.jsonl.gz" | wc -l)
    [ "$n0" -gt 1000 ] && [ "$n1" -gt 1000 ] || die "unbalanced shards: $n0 and $n1 events"
    ;;
bad_fixtures_fail_the_run)
    for f in "$src"/differential/tests/data/fixtures_bad/*.fixture.jsonl; do
        "$campaign" --fixtures "$f" --scenarios 0 --no-oracle-fixtures --out "$tmp/x" >"$tmp/out" 2>&1
        rc=$?
        [ $rc = 3 ] || die "$(basename "$f"): exit $rc, want 3"
        grep -Eq "$(basename "$f"):[0-9]+: " "$tmp/out" || die "$(basename "$f"): no file:line in: $(cat "$tmp/out")"
    done
    ;;
*) die "unknown case" ;;
esac
exit 0
