#!/usr/bin/env bash
# The live torch oracle (ft-campaign --oracle torch).
#
#   torch_oracle_test.sh live   FT_CAMPAIGN   a small campaign against real torch 1.13:
#       exit 0 and the torch comparator ran; then, with an allowlist lacking
#       dispatch.profile_packet_derivation, exit 1 with packet_derivation findings
#       (the packet profile's drift from torch is blocking). Exit 77 (ctest SKIP) when
#       /usr/bin/python3 (or $FTD_TORCH_PYTHON) cannot import torch — never a
#       silent pass. Needs python3 (the JSON checks).
#   torch_oracle_test.sh robust FT_CAMPAIGN   workers that refuse, never start, die,
#       hang, talk garbage or stop reading (fake_torch_worker.py, no torch needed):
#       the campaign ends in bounded time, never crashes, and counts
#       oracle_unavailable / restarts as documented. Exit 77 without any python3.
set -uo pipefail

mode=${1:?usage: torch_oracle_test.sh live|robust FT_CAMPAIGN}
campaign=${2:?usage: torch_oracle_test.sh live|robust FT_CAMPAIGN}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ft-torch-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# json_get FILE PATH: a value from a JSON file, PATH a dotted key path ("oracle.verdicts.oracle_unavailable");
# for a stats file (one JSON object per worker handle, one per line), the sum over its lines
json_get() {
    python3 -c '
import json, sys
tot = 0
for line in open(sys.argv[1]).read().splitlines() if sys.argv[1].endswith(".stats") else [open(sys.argv[1]).read()]:
    d = json.loads(line)
    for part in sys.argv[2].split("."):
        d = d[part]
    tot += d
print(tot)' "$1" "$2"
}

case $mode in
live)
    py=${FTD_TORCH_PYTHON:-/usr/bin/python3}
    if ! "$py" -c 'import torch' >/dev/null 2>&1; then
        echo "SKIP: $py cannot import torch (install python3-torch for the live oracle)"
        exit 77
    fi
    out="$tmp/out"
    FTD_TORCH_STATS="$tmp/stats" "$campaign" --oracle torch --scenarios 500 --no-fixtures --out "$out" \
        --no-progress >"$tmp/log" 2>&1
    rc=$?
    cat "$tmp/log"
    [ -f "$tmp/stats" ] && cat "$tmp/stats"
    if [ $rc -ne 0 ]; then
        # what torch and libft disagreed on (the first few), before failing
        python3 - "$out/campaign.jsonl.gz" >&2 <<'PY'
import gzip, json, sys
shown = 0
try:
    for line in gzip.open(sys.argv[1], "rt"):
        e = json.loads(line)
        if e.get("comparator") == "torch" and shown < 5:
            shown += 1
            print("torch %s %s: torch %s, libft %s" % (e["scenario_id"], e["mode"], json.dumps(e["expected"]),
                                                       json.dumps(e["observed"])))
except (OSError, EOFError, ValueError) as err:
    print("cannot read the log: %s" % err)
PY
        fail "ft-campaign --oracle torch exited $rc"
    fi
    runs=$(json_get "$out/differential-report.json" comparators.torch.runs)
    unavailable=$(json_get "$out/differential-report.json" oracle.verdicts.oracle_unavailable)
    [ "${runs:-0}" -gt 0 ] 2>/dev/null || fail "the torch comparator did not run (runs=$runs)"
    [ "$unavailable" = 0 ] || fail "$unavailable checks found the oracle unavailable"
    echo "torch comparator: $runs comparisons, 0 unavailable"
    # without dispatch.profile_packet_derivation in the allowlist, the packet
    # profile's derivation drift against torch is blocking
    python3 - "$here/../allowlist.json" "$tmp/allow.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["allowlist"] = [e for e in a["allowlist"] if e["id"] != "dispatch.profile_packet_derivation"]
json.dump(a, open(sys.argv[2], "w"))
PY
    "$campaign" --oracle torch --scenarios 200 --no-fixtures --no-oracle-fixtures --out "$tmp/strict" --allowlist "$tmp/allow.json" \
        --no-progress >"$tmp/log2" 2>&1
    rc=$?
    [ $rc -eq 1 ] || { cat "$tmp/log2"; fail "without the packet-derivation allowance: exit $rc, want 1"; }
    n=$(python3 - "$tmp/strict/campaign.jsonl.gz" <<'PY'
import gzip, json, sys
n = 0
for line in gzip.open(sys.argv[1], "rt"):
    o = json.loads(line).get("observed")
    n += isinstance(o, dict) and "packet_keyset" in o and o.get("allowlisted") is False
print(n)
PY
)
    [ "${n:-0}" -gt 0 ] || fail "no packet_derivation finding without the allowance"
    echo "without the allowance: $n packet_derivation findings, blocking"
    ;;
robust)
    command -v python3 >/dev/null || { echo "SKIP: no python3 for the fake worker"; exit 77; }
    py=$(command -v python3)
    run() { # name, env...: a 30-scenario campaign on one worker with a fake worker
        local name=$1
        shift
        local start=$SECONDS
        env "$@" FTD_TORCH_PYTHON="$py" FTD_TORCH_WORKER="$here/fake_torch_worker.py" \
            FTD_TORCH_STATS="$tmp/$name.stats" FTD_TORCH_TIMEOUT=1 FTD_TORCH_START_TIMEOUT=2 \
            "$campaign" --oracle torch --scenarios 30 --no-fixtures --no-oracle-fixtures --jobs 1 \
            --out "$tmp/$name" --no-progress >"$tmp/$name.log" 2>&1
        local rc=$?
        # 0 or 1 (libft's own findings); 2/3 or a signal would be the harness breaking
        [ $rc -le 1 ] || { cat "$tmp/$name.log"; fail "$name: ft-campaign exited $rc"; }
        [ $((SECONDS - start)) -lt 60 ] || fail "$name: took $((SECONDS - start)) s"
        [ -f "$tmp/$name/differential-report.json" ] || fail "$name: no report"
    }
    # no interpreter at all, a worker that says torch is missing, one that never says hello:
    # every check oracle_unavailable, nothing compared
    for name in missing_python refuse no_hello; do
        if [ $name = missing_python ]; then
            FTD_TORCH_PYTHON=/nonexistent/python3 "$campaign" --oracle torch --scenarios 30 --no-fixtures \
                --no-oracle-fixtures --jobs 1 --out "$tmp/$name" --no-progress >"$tmp/$name.log" 2>&1
            [ $? -le 1 ] || { cat "$tmp/$name.log"; fail "$name: ft-campaign failed"; }
        else
            run $name FT_FAKE_TORCH=$name
        fi
        u=$(json_get "$tmp/$name/differential-report.json" oracle.verdicts.oracle_unavailable)
        runs=$(json_get "$tmp/$name/differential-report.json" comparators.torch.runs)
        [ "$u" = 60 ] || fail "$name: $u of 60 checks unavailable"
        [ "$runs" = 0 ] || fail "$name: torch comparator ran $runs times without a worker"
        echo "ok: $name -> 60/60 oracle_unavailable"
    done
    # workers that die, hang, talk garbage or stop reading: restarted once (that
    # scenario is a harness error), then unavailable for the rest of the run
    for case in "die FT_FAKE_TORCH=die:3" "hang FT_FAKE_TORCH=hang" "garbage FT_FAKE_TORCH=garbage" \
        "close_stdin FT_FAKE_TORCH=close_stdin"; do
        read -r name setting <<<"$case"
        run "$name" "$setting"
        deaths=$(json_get "$tmp/$name.stats" deaths)
        restarts=$(json_get "$tmp/$name.stats" restarts)
        harness=$(json_get "$tmp/$name.stats" verdicts.harness_error)
        unavail=$(json_get "$tmp/$name.stats" verdicts.oracle_unavailable)
        [ "$deaths" = 2 ] || fail "$name: $deaths deaths (want 2: the first and the restarted worker)"
        [ "$restarts" = 1 ] || fail "$name: $restarts restarts (want 1)"
        [ "$harness" -ge 1 ] || fail "$name: the scenario the worker died on is not a harness error"
        [ "$unavail" -ge 1 ] || fail "$name: no check unavailable after the second death"
        [ "$(json_get "$tmp/$name/differential-report.json" oracle.verdicts.oracle_unavailable)" -ge 1 ] ||
            fail "$name: the report counts no unavailable check"
        # a lost worker is a harness error: the run fails, and the log says why
        grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' "$tmp/$name.log" || fail "$name: the run does not fail"
        # counted, not grep -q: under pipefail an early exit would SIGPIPE the producers
        n=$(zcat "$tmp/$name/campaign.jsonl.gz" | grep '"reason_code":"harness_error"' | grep -c '"comparator":"torch"')
        [ "$n" -ge 1 ] || fail "$name: no harness_error event for the torch worker"
        echo "ok: $name -> deaths $deaths, restarts $restarts, harness errors $harness, unavailable $unavail"
    done
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
