#!/bin/sh
# ft-forensics CLI tests, one case per invocation (registered by
# tests/cli/CMakeLists.txt as cli_forensics_<case>):
#
#   cli_test.sh CASE FT_FORENSICS FTF_CLI_FIXTURE
#
# Checks exit codes (0 ok, 1 negative answer or an unreadable input, 2 usage,
# 3 the command failed), that every --json output is valid JSON (jq: required,
# the test fails without it), and what each command says about sample logs,
# damaged copies, locators, and what users have: standard input and pipes,
# plain JSONL, gzip, bgzip output (bgzip is required too: Debian's tabix),
# directories, several inputs some missing, logs still open.
set -eu
case_name=$1
ftf=$2
fixture=$3

command -v jq >/dev/null 2>&1 || { echo "FAIL: jq is required (ci/deps.sh installs it)"; exit 1; }
command -v zcat >/dev/null 2>&1 || { echo "FAIL: zcat is required"; exit 1; }
command -v bgzip >/dev/null 2>&1 || { echo "FAIL: bgzip is required (ci/deps.sh installs tabix)"; exit 1; }

work=$(mktemp -d /tmp/ftf_cli_XXXXXX)
trap 'rm -rf "$work"' EXIT
"$fixture" "$work"
s0=$work/shards/shard-0.log.gz
s1=$work/shards/shard-1.log.gz
clean=$work/clean.log.gz
big=$work/big.log.gz

fail() { echo "FAIL [$case_name]: $*"; exit 1; }

# expect RC CMD...: runs CMD (stdout to $work/out, stderr to $work/err), checks its exit code
expect() {
    want=$1
    shift
    set +e
    "$@" >"$work/out" 2>"$work/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || { cat "$work/err"; fail "exit $got, want $want: $*"; }
}

lines() { wc -l <"$1" | tr -d ' '; }
json_ok() { jq -e . "$1" >/dev/null 2>&1 || { head -c 500 "$1"; fail "not valid JSON: $1"; }; }

# the damaged copies: truncated, junk appended, bits flipped
make_damaged() {
    size=$(wc -c <"$s0" | tr -d ' ')
    head -c $((size * 2 / 3)) "$s0" >"$work/trunc.log.gz"
    { cat "$s0"; printf 'JUNK JUNK JUNK JUNK'; } >"$work/junk.log.gz"
    cp "$s0" "$work/flip.log.gz"
    for off in $((size / 3)) $((size / 2)); do
        printf '\377' | dd of="$work/flip.log.gz" bs=1 seek="$off" conv=notrunc 2>/dev/null
    done
}

case "$case_name" in
help)
    expect 0 "$ftf" --help
    grep -q "usage:" "$work/out" || fail "--help says no usage"
    for c in cat show index triage verify reindex recover ingest; do
        expect 0 "$ftf" "$c" --help
        grep -q "usage: ft-forensics $c" "$work/out" || fail "$c --help"
        grep -q "Exit:" "$work/out" || fail "$c --help documents no exit codes"
        expect 0 "$ftf" help "$c"
    done
    expect 0 "$ftf" --version
    ;;
usage)
    expect 2 "$ftf"
    expect 2 "$ftf" frobnicate
    expect 2 "$ftf" cat --no-such-option "$s0"
    expect 2 "$ftf" cat --outcome exploded "$s0"
    expect 2 "$ftf" cat --mode lenient "$s0"
    expect 2 "$ftf" cat --scenario 'gen/../../etc/passwd' "$s0"
    expect 2 "$ftf" show
    expect 2 "$ftf" show 'not an id' "$s0"
    expect 2 "$ftf" show 'cli/strict:a;rm -rf /' "$s0"
    expect 2 "$ftf" show "cli/strict:dup"
    expect 2 "$ftf" index --member-cap zero "$s0"
    expect 2 "$ftf" index -o
    expect 2 "$ftf" triage --top -1 "$s0"
    expect 2 "$ftf" verify
    expect 2 "$ftf" reindex
    expect 2 "$ftf" recover "$s0"
    expect 2 "$ftf" recover -o "$s0" "$s0"
    expect 2 "$ftf" recover -o - "$s0"
    # a missing input is said and is the negative answer, as with zcat
    expect 1 "$ftf" cat "$work/no-such.log.gz"
    grep -q "no-such.log.gz: No such file or directory" "$work/err" || fail "cat: missing input not named with errno"
    expect 1 "$ftf" index "$work/no-such-dir"
    grep -q "no-such-dir: No such file or directory" "$work/err" || fail "index: missing input not named with errno"
    ;;
cat)
    expect 0 "$ftf" cat "$s0"
    [ "$(lines "$work/out")" -eq "$(zcat "$s0" | wc -l)" ] || fail "cat prints every record"
    cmp -s "$work/out" "$(zcat "$s0" >"$work/z"; echo "$work/z")" || fail "cat differs from zcat"
    expect 0 "$ftf" cat "$work/shards"
    [ "$(lines "$work/out")" -eq "$(zcat "$s0" "$s1" | wc -l)" ] || fail "cat of a directory"
    jq -c . "$work/out" >/dev/null || fail "cat output is not JSON lines"
    expect 0 "$ftf" cat --outcome fail "$work/shards"
    want=$(zcat "$s0" "$s1" | jq -c 'select(.outcome=="fail")' | wc -l)
    [ "$(lines "$work/out")" -eq "$want" ] && [ "$want" -gt 0 ] || fail "--outcome fail: $(lines "$work/out") vs $want"
    expect 0 "$ftf" cat --reason value_mismatch --mode hardened "$s0"
    want=$(zcat "$s0" | jq -c 'select(.reason_code=="value_mismatch" and .mode=="hardened")' | wc -l)
    [ "$(lines "$work/out")" -eq "$want" ] || fail "--reason --mode"
    expect 0 "$ftf" cat --scenario cli/strict:dup "$work/shards"
    [ "$(lines "$work/out")" -eq 3 ] || fail "--scenario dup: $(lines "$work/out")"
    jq -e 'select(.scenario_id != "cli/strict:dup")' "$work/out" >/dev/null && fail "--scenario matched others"
    make_damaged
    expect 1 "$ftf" cat "$work/trunc.log.gz"
    grep -q "damage" "$work/err" || fail "cat says nothing about damage"
    # the summary names only what was found
    grep -q "torn tail" "$work/err" || fail "cat: the torn tail is not named: $(cat "$work/err")"
    grep -Eq "corrupt|junk|unterminated|too long|not a JSON" "$work/err" && fail "cat names damage not found: $(cat "$work/err")"
    expect 1 "$ftf" cat "$work/junk.log.gz"
    grep -q "junk byte" "$work/err" && ! grep -q "torn" "$work/err" || fail "cat junk: $(cat "$work/err")"
    ;;
show)
    expect 0 "$ftf" show cli/strict:dup "$s0"
    [ "$(lines "$work/out")" -eq 2 ] || fail "two records of dup in shard 0"
    [ "$(jq -r .seq "$work/out" | tr '\n' ' ')" = "3 10 " ] || fail "log order: $(jq -r .seq "$work/out")"
    [ -s "$work/err" ] && fail "show with a fresh locator warned: $(cat "$work/err")"
    expect 0 "$ftf" show --json cli/strict:dup "$work/shards"
    json_ok "$work/out"
    jq -e '.found == 3 and .logs[0].locator == "fresh" and .logs[0].source == "locator"
           and .logs[1].locator == "missing" and .logs[1].source == "scan"
           and ([.records[].record.scenario_id] | unique == ["cli/strict:dup"])' "$work/out" >/dev/null ||
        fail "show --json: $(cat "$work/out")"
    grep -q "locator missing" "$work/err" || fail "show does not say it scanned"
    # a foreign locator: said, then scanned
    cp "$s1" "$work/foreign.log.gz"
    cp "$s0.ftidx" "$work/foreign.log.gz.ftidx"
    expect 0 "$ftf" show --json cli/strict:dup "$work/foreign.log.gz"
    jq -e '.found == 1 and .logs[0].locator == "foreign" and .logs[0].source == "scan"' "$work/out" >/dev/null ||
        fail "foreign locator: $(cat "$work/out")"
    # a stale one (the log grew)
    cp "$s0" "$work/stale.log.gz"
    cp "$s0.ftidx" "$work/stale.log.gz.ftidx"
    cat "$s1" >>"$work/stale.log.gz"
    expect 0 "$ftf" show --json cli/strict:dup "$work/stale.log.gz"
    jq -e '.found == 3 and .logs[0].locator == "stale"' "$work/out" >/dev/null || fail "stale: $(cat "$work/out")"
    expect 1 "$ftf" show gen/0123456789abcdef "$s0"
    expect 1 "$ftf" show --json gen/0123456789abcdef "$s0"
    json_ok "$work/out"
    jq -e '.found == 0' "$work/out" >/dev/null || fail "not found --json"
    ;;
index)
    expect 0 "$ftf" index -o "$work/a.json" "$work/shards"
    expect 0 "$ftf" index -o "$work/b.json" "$s1" "$s0" "$s1"
    cmp "$work/a.json" "$work/b.json" || fail "index bytes depend on argument order"
    expect 0 "$ftf" index "$s0" "$s1"
    cmp "$work/a.json" "$work/out" || fail "stdout differs from -o"
    json_ok "$work/a.json"
    jq -e '.schema == "ft-failure-index-v1"
           and .totals.failures == ([.buckets[].count] | add)
           and .totals.failures == .totals.fail + .totals.crash
           and .totals.files == 2 and .totals.run_headers == 2
           and (.buckets | map(.count) | . == (sort | reverse))
           and .allowlisted.count == .totals.allowlisted and .allowlisted.count > 0
           and ([.buckets[].triage.class] | all(. != "unclassified"))' "$work/a.json" >/dev/null ||
        fail "index content"
    want=$(zcat "$s0" "$s1" | jq -c 'select(.outcome=="fail" or .outcome=="crash")' | wc -l)
    [ "$(jq .totals.failures "$work/a.json")" -eq "$want" ] || fail "failures vs jq"
    # crashes at different addresses are one bucket
    [ "$(jq '[.buckets[] | select(.signature_fields.kind == "crash")] | length' "$work/a.json")" -eq 1 ] ||
        fail "crash buckets"
    expect 0 "$ftf" index --compact "$work/shards"
    [ "$(lines "$work/out")" -eq 1 ] || fail "--compact is one line"
    jq -e --slurpfile a "$work/a.json" '. == $a[0]' "$work/out" >/dev/null || fail "--compact differs"
    make_damaged
    expect 1 "$ftf" index -o "$work/d.json" "$work/trunc.log.gz" "$s1"
    jq -e '.totals.damaged_files == 1 and (.inputs[] | select(.file | endswith("trunc.log.gz")) | .damaged)' \
        "$work/d.json" >/dev/null || fail "damage not recorded"
    ;;
triage)
    expect 1 "$ftf" triage "$work/shards"
    grep -q "failure(s) in" "$work/out" || fail "triage summary"
    grep -q "mode_split_policy" "$work/out" || fail "triage classes"
    expect 1 "$ftf" triage --json "$work/shards"
    json_ok "$work/out"
    jq -e '.schema == "ft-failure-index-v1" and .totals.buckets >= 3' "$work/out" >/dev/null || fail "triage --json"
    expect 1 "$ftf" triage --top 1 "$work/shards"
    grep -q "more bucket" "$work/out" || fail "--top"
    expect 0 "$ftf" triage "$clean"
    expect 0 "$ftf" triage --json "$clean"
    json_ok "$work/out"
    ;;
verify)
    expect 0 "$ftf" verify "$s0" "$clean"
    grep -q "intact" "$work/out" || fail "verify says intact"
    expect 0 "$ftf" verify --json --members "$s0"
    json_ok "$work/out"
    jq -e '.ok and .files[0].intact and .files[0].locator == "fresh"
           and (.files[0].members | length) == (.files[0].report.members + .files[0].report.eof_members)
           and .files[0].members[-1].kind == "eof"' "$work/out" >/dev/null || fail "verify --json: $(head -c 400 "$work/out")"
    expect 0 "$ftf" verify --json "$s1"
    jq -e '.files[0].locator == "missing"' "$work/out" >/dev/null || fail "missing locator is not damage"
    make_damaged
    for f in trunc junk flip; do
        expect 1 "$ftf" verify --json "$work/$f.log.gz"
        json_ok "$work/out"
        jq -e '(.ok | not) and (.files[0].intact | not) and .files[0].report.first_damage != "none"' \
            "$work/out" >/dev/null || fail "verify $f: $(cat "$work/out")"
        expect 1 "$ftf" verify "$work/$f.log.gz"
        grep -q DAMAGED "$work/out" || fail "verify $f human"
    done
    # a foreign locator is integrity damage too
    cp "$s1" "$work/foreign.log.gz"
    cp "$s0.ftidx" "$work/foreign.log.gz.ftidx"
    expect 1 "$ftf" verify --json "$work/foreign.log.gz"
    jq -e '.files[0].intact and .files[0].locator == "foreign"' "$work/out" >/dev/null || fail "foreign locator"
    printf 'not gzip at all\n' >"$work/text.log.gz"
    expect 1 "$ftf" verify "$work/text.log.gz"
    # an empty log is open: its writer has written nothing yet
    : >"$work/empty.log.gz"
    expect 0 "$ftf" verify "$work/empty.log.gz"
    grep -q "open" "$work/out" || fail "empty log not called open"
    expect 1 "$ftf" verify "$work/no-such.log.gz"
    grep -q "No such file or directory" "$work/err" || fail "verify: missing input without errno text"
    # readable, but not BGZF
    zcat "$s0" >"$work/plain.jsonl"
    expect 1 "$ftf" verify --json "$work/plain.jsonl"
    jq -e '.files[0].state == "not_bgzf" and .files[0].report.text_files == 1' "$work/out" >/dev/null ||
        fail "verify plain JSONL: $(cat "$work/out")"
    ;;
reindex)
    cp "$s1" "$work/r.log.gz"
    expect 0 "$ftf" reindex "$work/r.log.gz"
    [ -s "$work/r.log.gz.ftidx" ] || fail "no sidecar"
    expect 0 "$ftf" show --json cli/strict:dup "$work/r.log.gz"
    jq -e '.logs[0].locator == "fresh" and .found == 1' "$work/out" >/dev/null || fail "reindexed locator unused"
    # the writer's locator and a rebuild are the same bytes
    cp "$s0" "$work/s0.log.gz"
    expect 0 "$ftf" reindex "$work/s0.log.gz"
    cmp "$s0.ftidx" "$work/s0.log.gz.ftidx" || fail "rebuild differs from the writer's locator"
    make_damaged
    expect 1 "$ftf" reindex "$work/trunc.log.gz"
    expect 0 "$ftf" verify "$work/s0.log.gz"
    expect 1 "$ftf" reindex "$work/no-such.log.gz"
    grep -q "No such file or directory" "$work/err" || fail "reindex: missing input without errno text"
    expect 1 "$ftf" reindex - <"$s0"
    grep -q "standard input" "$work/err" || fail "reindex - is not refused with a reason"
    ;;
recover)
    make_damaged
    for f in trunc junk flip; do
        "$ftf" cat "$work/$f.log.gz" >"$work/readable" 2>/dev/null || true
        expect 1 "$ftf" recover -o "$work/$f.rec.log.gz" "$work/$f.log.gz"
        grep -q "record(s) recovered" "$work/out" || fail "recover says nothing"
        expect 0 "$ftf" verify "$work/$f.rec.log.gz"
        zcat "$work/$f.rec.log.gz" >"$work/salvaged"
        cmp "$work/readable" "$work/salvaged" || fail "recover $f did not salvage every intact record"
        expect 2 "$ftf" recover -o "$work/$f.rec.log.gz" "$work/$f.log.gz"
    done
    [ "$(lines "$work/salvaged")" -gt 100 ] || fail "too little salvaged"
    expect 0 "$ftf" recover -o "$work/clean.rec.log.gz" "$clean"
    expect 0 "$ftf" recover --force -o "$work/clean.rec.log.gz" "$clean"
    expect 0 "$ftf" show cli/strict:dup "$work/flip.rec.log.gz" || true
    if command -v bgzip >/dev/null 2>&1; then
        bgzip -t "$work/trunc.rec.log.gz" || fail "bgzip -t rejects the recovered log"
    fi
    ;;
stdin)
    # `-` and pipes are read sequentially: zcat | cat -, a log on a pipe, /dev/stdin
    zcat "$s0" >"$work/z"
    zcat "$s0" | "$ftf" cat - >"$work/out" 2>"$work/err" || fail "zcat | cat - failed: $(cat "$work/err")"
    cmp -s "$work/out" "$work/z" || fail "zcat | cat - differs from zcat"
    cat "$s0" | "$ftf" cat - >"$work/out" 2>"$work/err" || fail "a log on a pipe: $(cat "$work/err")"
    cmp -s "$work/out" "$work/z" || fail "log on a pipe differs"
    cat "$s0" | "$ftf" cat /dev/stdin >"$work/out" 2>"$work/err" || fail "cat /dev/stdin: $(cat "$work/err")"
    cmp -s "$work/out" "$work/z" || fail "cat /dev/stdin differs"
    gzip -c "$work/z" | "$ftf" cat - >"$work/out" 2>"$work/err" || fail "gzip | cat -: $(cat "$work/err")"
    cmp -s "$work/out" "$work/z" || fail "gzip | cat - differs"
    expect 0 "$ftf" cat - <"$s0"
    cmp -s "$work/out" "$work/z" || fail "cat - <log differs"
    # a damaged log on a pipe: the same records and the same damage as from the file
    make_damaged
    "$ftf" cat "$work/flip.log.gz" >"$work/from_file" 2>/dev/null || true
    set +e
    cat "$work/flip.log.gz" | "$ftf" cat - >"$work/out" 2>"$work/err"
    got=$?
    set -e
    [ "$got" -eq 1 ] && grep -q "damage" "$work/err" || fail "damaged log on a pipe: exit $got, $(cat "$work/err")"
    cmp -s "$work/out" "$work/from_file" || fail "damaged log on a pipe: records differ from the file's"
    cat "$s0" | "$ftf" verify - >"$work/out" 2>"$work/err" || fail "verify -: $(cat "$work/out" "$work/err")"
    grep -q "intact" "$work/out" || fail "verify - says not intact"
    cat "$s0" "$s1" | "$ftf" show --json cli/strict:dup - >"$work/out" 2>"$work/err" || fail "show -"
    jq -e '.found == 3 and .logs[0].locator == "n/a"' "$work/out" >/dev/null || fail "show -: $(cat "$work/out")"
    cat "$s0" | "$ftf" index --compact - >"$work/out" 2>"$work/err" || fail "index -: $(cat "$work/err")"
    jq -e '.totals.files == 1 and .totals.failures > 0' "$work/out" >/dev/null || fail "index -"
    cat "$s0" | "$ftf" recover -o "$work/stdin.rec.log.gz" - >"$work/out" 2>"$work/err" || fail "recover -"
    [ "$(zcat "$work/stdin.rec.log.gz" | wc -l)" -eq "$(lines "$work/z")" ] || fail "recover - lost records"
    ;;
bgzip)
    # a 2,000-record log recompressed by bgzip: its blocks split records (every 65,280 bytes)
    [ "$(zcat "$big" | wc -l)" -eq 2000 ] || fail "fixture: big.log.gz is not 2,000 records"
    zcat "$big" >"$work/big.jsonl"
    bgzip -c "$work/big.jsonl" >"$work/big.bgz.gz"
    bgzip -t "$work/big.bgz.gz"
    expect 0 "$ftf" cat "$work/big.bgz.gz"
    [ "$(lines "$work/out")" -eq 2000 ] || fail "cat of the bgzip log: $(lines "$work/out") of 2000 records"
    cmp -s "$work/out" "$work/big.jsonl" || fail "cat of the bgzip log differs from zcat"
    expect 0 "$ftf" verify --json --members "$work/big.bgz.gz"
    jq -e '.files[0].intact and .files[0].report.records == 2000 and .files[0].report.members > 10' "$work/out" \
        >/dev/null || fail "verify of the bgzip log: $(head -c 600 "$work/out")"
    expect 0 "$ftf" recover -o "$work/big.rec.log.gz" "$work/big.bgz.gz"
    grep -q "2000 record(s) recovered" "$work/out" || fail "recover of the bgzip log: $(cat "$work/out")"
    expect 0 "$ftf" verify "$work/big.rec.log.gz"
    grep -q "2000 record(s)" "$work/out" || fail "recovered log: $(cat "$work/out")"
    zcat "$work/big.rec.log.gz" | cmp -s - "$work/big.jsonl" || fail "recovered log differs"
    # the locator of a bgzip log finds records that start in one block and end in another
    expect 0 "$ftf" reindex "$work/big.bgz.gz"
    id=$(sed -n 1500p "$work/big.jsonl" | jq -r .scenario_id)
    expect 0 "$ftf" show --json "$id" "$work/big.bgz.gz"
    jq -e '.found >= 1 and .logs[0].source == "locator"' "$work/out" >/dev/null || fail "show via locator: $(cat "$work/out")"
    expect 0 "$ftf" index -o "$work/b.json" "$work/big.bgz.gz"
    expect 0 "$ftf" index -o "$work/o.json" "$big"
    [ "$(jq .totals.failures "$work/b.json")" -eq "$(jq .totals.failures "$work/o.json")" ] || fail "index of bgzip log"
    # a damaged block: every record wholly in the other blocks survives, in cat and recover alike
    size=$(wc -c <"$work/big.bgz.gz" | tr -d ' ')
    cp "$work/big.bgz.gz" "$work/bflip.gz"
    printf '\377\377\377' | dd of="$work/bflip.gz" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    expect 1 "$ftf" cat "$work/bflip.gz"
    cp "$work/out" "$work/readable"
    n=$(lines "$work/readable")
    [ "$n" -gt 1900 ] && [ "$n" -lt 2000 ] || fail "damaged bgzip log: $n records read"
    grep -q "corrupt member" "$work/err" && ! grep -q "not a JSON" "$work/err" || fail "bgzip damage: $(cat "$work/err")"
    grep -Fxv -f "$work/big.jsonl" "$work/readable" >/dev/null && fail "a record read from the damaged log is not an original"
    expect 1 "$ftf" recover -o "$work/bflip.rec.gz" "$work/bflip.gz"
    expect 0 "$ftf" verify "$work/bflip.rec.gz"
    zcat "$work/bflip.rec.gz" | cmp -s - "$work/readable" || fail "recover of the damaged bgzip log lost intact records"
    ;;
plain_jsonl)
    zcat "$s0" >"$work/s0.jsonl"
    expect 0 "$ftf" cat "$work/s0.jsonl"
    cmp -s "$work/out" "$work/s0.jsonl" || fail "plain JSONL: cat differs"
    [ -s "$work/err" ] && fail "plain JSONL: cat said $(cat "$work/err")"
    expect 0 "$ftf" show cli/strict:dup "$work/s0.jsonl"
    [ "$(lines "$work/out")" -eq 2 ] || fail "plain JSONL: show"
    expect 0 "$ftf" reindex "$work/s0.jsonl"
    expect 0 "$ftf" show --json cli/strict:dup "$work/s0.jsonl"
    jq -e '.found == 2 and .logs[0].source == "locator"' "$work/out" >/dev/null || fail "plain JSONL locator"
    expect 1 "$ftf" triage "$work/s0.jsonl"
    grep -q "failure(s) in" "$work/out" || fail "plain JSONL: triage"
    expect 0 "$ftf" recover -o "$work/s0.rec.log.gz" "$work/s0.jsonl"
    expect 0 "$ftf" verify "$work/s0.rec.log.gz"
    zcat "$work/s0.rec.log.gz" | cmp -s - "$work/s0.jsonl" || fail "plain JSONL: recover differs"
    # a bad line in it: said, the rest read
    { head -n 5 "$work/s0.jsonl"; echo 'not json'; tail -n +6 "$work/s0.jsonl"; } >"$work/bad.jsonl"
    expect 1 "$ftf" cat "$work/bad.jsonl"
    [ "$(lines "$work/out")" -eq "$(lines "$work/s0.jsonl")" ] || fail "plain JSONL with a bad line"
    grep -q "1 line(s) not a JSON object" "$work/err" || fail "bad line not said: $(cat "$work/err")"
    ;;
several_inputs)
    # like zcat: print what can be read, name what cannot (with errno text), exit 1
    zcat "$s0" >"$work/z"
    expect 1 "$ftf" cat "$s0" "$work/missing.gz"
    cmp -s "$work/out" "$work/z" || fail "cat good missing: good's records not printed"
    grep -q "missing.gz: No such file or directory" "$work/err" || fail "cat good missing: $(cat "$work/err")"
    expect 1 "$ftf" cat "$work/missing.gz" "$s0"
    cmp -s "$work/out" "$work/z" || fail "cat missing good"
    # argument order is kept
    expect 0 "$ftf" cat "$s1" "$s0"
    zcat "$s1" "$s0" | cmp -s - "$work/out" || fail "cat does not keep argument order"
    expect 1 "$ftf" triage "$s0" "$work/missing.gz"
    grep -q "failure(s) in" "$work/out" || fail "triage good missing"
    expect 1 "$ftf" index -o "$work/i.json" "$s0" "$work/missing.gz"
    jq -e '.totals.files == 1' "$work/i.json" >/dev/null || fail "index good missing"
    expect 1 "$ftf" verify "$s0" "$work/missing.gz"
    grep -q intact "$work/out" || fail "verify good missing"
    expect 1 "$ftf" recover -o "$work/gm.rec.gz" "$s0" "$work/missing.gz"
    zcat "$work/gm.rec.gz" | cmp -s - "$work/z" || fail "recover good missing"
    expect 1 "$ftf" show cli/strict:dup "$s0" "$work/missing.gz"
    [ "$(lines "$work/out")" -eq 2 ] || fail "show good missing"
    # errors say why
    expect 3 "$ftf" index -o /nonexistent/x.json "$s0"
    grep -q "index: cannot create /nonexistent/x.json: No such file or directory" "$work/err" ||
        fail "index -o /nonexistent: $(cat "$work/err")"
    expect 3 "$ftf" recover -o /nonexistent/x.log.gz "$s0"
    grep -q "cannot create /nonexistent/x.log.gz: No such file or directory" "$work/err" ||
        fail "recover -o /nonexistent: $(cat "$work/err")"
    mkdir "$work/adir.gz"
    expect 1 "$ftf" cat "$work/adir.gz"
    grep -q "adir.gz: no logs" "$work/err" || fail "a directory without logs: $(cat "$work/err")"
    ;;
directories)
    # every subcommand takes a directory: every *.gz below it
    expect 0 "$ftf" cat "$work/shards"
    expect 0 "$ftf" show cli/strict:dup "$work/shards"
    expect 0 "$ftf" index "$work/shards"
    expect 1 "$ftf" triage "$work/shards"
    expect 0 "$ftf" verify "$work/shards"
    [ "$(grep -c intact "$work/out")" -eq 2 ] || fail "verify DIR: $(cat "$work/out")"
    cp -r "$work/shards" "$work/copy"
    expect 0 "$ftf" reindex "$work/copy"
    [ -s "$work/copy/shard-1.log.gz.ftidx" ] || fail "reindex DIR wrote no locator"
    # recover DIR: every log in it, in path order, into the one OUT
    expect 0 "$ftf" recover -o "$work/dir.rec.log.gz" "$work/shards"
    zcat "$s0" "$s1" | cmp -s - "$(zcat "$work/dir.rec.log.gz" >"$work/z"; echo "$work/z")" ||
        fail "recover DIR is not every log's records"
    expect 0 "$ftf" verify "$work/dir.rec.log.gz"
    # a directory without logs: refused, nothing written
    mkdir "$work/nologs"
    expect 1 "$ftf" recover -o "$work/none.rec.log.gz" "$work/nologs"
    [ ! -e "$work/none.rec.log.gz" ] || fail "recover of a directory without logs wrote a log"
    grep -q "no logs" "$work/err" || fail "recover of an empty directory: $(cat "$work/err")"
    # OUT inside the directory read, replaced with --force: refused as an input
    cp "$s0" "$work/copy/out.log.gz"
    expect 2 "$ftf" recover --force -o "$work/copy/out.log.gz" "$work/copy"
    ;;
open_log)
    # a log still being written: no EOF member yet
    head -c -28 "$s0" >"$work/open.log.gz"
    expect 0 "$ftf" cat "$work/open.log.gz"
    [ "$(lines "$work/out")" -eq "$(zcat "$s0" | wc -l)" ] || fail "open log: records missing"
    grep -q "open" "$work/err" || fail "open log not said to be open: $(cat "$work/err")"
    grep -q "damage" "$work/err" && fail "open log called damaged: $(cat "$work/err")"
    expect 0 "$ftf" verify --json "$work/open.log.gz"
    jq -e '.ok and .files[0].state == "open" and (.files[0].intact | not)' "$work/out" >/dev/null ||
        fail "verify open: $(cat "$work/out")"
    expect 0 "$ftf" verify "$work/open.log.gz"
    grep -q ": open" "$work/out" || fail "verify open (text): $(cat "$work/out")"
    head -c -28 "$clean" >"$work/open-clean.log.gz"
    expect 0 "$ftf" triage "$work/open-clean.log.gz"
    expect 0 "$ftf" index -o "$work/open.json" "$work/open.log.gz"
    expect 0 "$ftf" reindex "$work/open.log.gz"
    expect 0 "$ftf" recover -o "$work/open.rec.log.gz" "$work/open.log.gz"
    expect 0 "$ftf" verify "$work/open.rec.log.gz"
    cat "$work/open.log.gz" | "$ftf" cat - >/dev/null 2>"$work/err" || fail "open log on a pipe: $(cat "$work/err")"
    ;;
ingest)
    crasher=${FTF_CLI_CRASHER:?FTF_CLI_CRASHER names the stand-in target}
    data=${FTF_CLI_DATA:?FTF_CLI_DATA names forensics/tests/data}
    a=$work/art
    mkdir -p "$a"
    printf 'DIFF one' >"$a/diff"
    printf 'SCEN two' >"$a/scen"
    printf 'ASAN three' >"$a/asan"
    printf 'SILL four' >"$a/sill"
    printf 'HANG five' >"$a/hang"
    printf 'fine' >"$a/ok"
    printf 'ENVD' >"$a/envd"
    printf "it's a 'quoted' name" >"$a/it's here"
    log=$work/fz/sub/ingest.log.gz
    export FTF_CRASHER_REPORT=$data/crash_reports/asan_heap_buffer_overflow.txt
    # new crashes (no baseline: all new) -> 1
    expect 1 "$ftf" ingest --json --target crasher --engine replay --binary "$crasher" --out "$log" --timeout 2 \
        "$a/diff" "$a/scen" "$a/asan" "$a/sill" "$a/hang" "$a/ok" "$a/envd"
    [ "$(lines "$work/out")" -eq 7 ] || fail "one JSON line per artifact"
    while IFS= read -r l; do printf '%s\n' "$l" >"$work/one.json"; json_ok "$work/one.json"; done <"$work/out"
    jq -e -s '[.[].crash_type] == ["differential-violation","differential-violation","heap-buffer-overflow","ill","timeout",null,null]' \
        "$work/out" >/dev/null || fail "crash types: $(jq -c -s '[.[].crash_type]' "$work/out")"
    jq -e -s '[.[].reason_code] == ["selected_key","selected_key","heap-buffer-overflow","ill","timeout","not_reproduced","not_reproduced"]' \
        "$work/out" >/dev/null || fail "reason codes"
    jq -e -s 'map(select(.reproduced)) | all(.new and .recorded and (.known | not) and (.signature | length > 0) and (.bucket_id | startswith("b-")))' \
        "$work/out" >/dev/null || fail "new, recorded, signed"
    jq -e -s '.[2].frames == ["parse_keyset_text keyset_sample.c","LLVMFuzzerTestOneInput keyset_sample.c"] and .[2].location.line == 11 and .[2].class == "memory_safety"' \
        "$work/out" >/dev/null || fail "sanitizer frames and location"
    jq -e -s '.[0].signature == "routing_drift|differential-violation|ft-diff:crasher:selected_key:mismatch:add:strict|-|-"' \
        "$work/out" >/dev/null || fail "ft-diff signature"
    jq -e -s '.[4].exit.timed_out and .[3].exit.signal == 4 and .[6].exit.code == 0' "$work/out" >/dev/null ||
        fail "exit statuses (the target sees FT_FUZZ_FORENSICS_DIR)"
    # the log: a run header and 7 events, intact, with a fresh locator; crash events carry the fuzz group
    expect 0 "$ftf" verify "$log"
    grep -q "locator fresh" "$work/out" || fail "locator not rebuilt"
    expect 0 "$ftf" cat --outcome crash "$log"
    [ "$(lines "$work/out")" -eq 5 ] || fail "5 crash events"
    jq -e -s 'all(.suite_id == "fuzz" and (.scenario_id | test("^fuzz/crasher/[0-9a-f]{40}$")) and .target == "crasher"
                  and .engine == "replay" and (.input_sha1 | length == 40) and (.input_sha1 as $s | .artifact_refs[0] | endswith($s + ".bin"))
                  and ((.artifact_refs | length) == (if .reason_code == "ill" or .reason_code == "timeout" then 1 else 2 end)))' \
        "$work/out" >/dev/null || fail "crash events"
    jq -e -s '.[0].scenario == {"kind":"fuzz_input","target":"crasher"} and .[1].scenario.kind == "route"
              and .[0].input_b64 == "RElGRiBvbmU=" and .[2].crash_state == "parse_keyset_text keyset_sample.c\nLLVMFuzzerTestOneInput keyset_sample.c"' \
        "$work/out" >/dev/null || fail "scenario (own or adopted from the target's log), input, crash_state"
    expect 0 "$ftf" cat --outcome skipped "$log"
    [ "$(lines "$work/out")" -eq 2 ] || fail "2 skipped (not reproduced) events"
    id=$(printf 'DIFF one' | sha1sum | cut -c1-40)
    expect 0 "$ftf" show "fuzz/crasher/$id" "$log"
    # the replay command names the stored input and reproduces the abort
    replay=$(jq -r .replay_command "$work/out")
    case $replay in "$crasher $work/fz/sub/ingest.log.gz.artifacts/$id.bin") ;; *) fail "replay command: $replay" ;; esac
    set +e
    (cd "$work" && sh -c "$replay") 2>"$work/replay.err"
    rrc=$?
    set -e
    [ "$rrc" -ne 0 ] && grep -q '^ft-diff:crasher:selected_key:' "$work/replay.err" || fail "replay did not reproduce"
    # the stored stderr of the sanitizer run is an artifact of the log
    zcat "$log" | jq -r 'select(.reason_code == "heap-buffer-overflow") | .artifact_refs[1]' >"$work/ref"
    grep -q 'heap-buffer-overflow' "$work/fz/sub/$(cat "$work/ref")" || fail "report artifact"
    # a shell-unsafe artifact path is quoted in the replay command
    expect 1 "$ftf" ingest --json --target crasher --engine replay --binary "$crasher" --out "$work/q.log.gz" \
        --replay-binary "my replay" "$a/diff"
    jq -e '.replay_command | startswith("'"'"'my replay'"'"' ")' "$work/out" >/dev/null || fail "quoting"
    # again: nothing new is written (already in the log), the crashes are still new
    expect 1 "$ftf" ingest --json --target crasher --engine replay --binary "$crasher" --out "$log" "$a/diff" "$a/ok"
    jq -e -s 'all(.duplicate and (.recorded | not))' "$work/out" >/dev/null || fail "duplicates rewritten"
    expect 0 "$ftf" cat --outcome crash "$log"
    [ "$(lines "$work/out")" -eq 5 ] || fail "duplicates written"
    # --no-log writes nothing; text output names the replay command
    expect 1 "$ftf" ingest --no-log --target crasher --engine afl --binary "$crasher" "$a/diff" "$a/ok"
    grep -q "NEW differential-violation" "$work/out" && grep -q "replay: build/fuzz-replay/fuzz/fuzz_crasher " "$work/out" ||
        fail "text output"
    [ ! -e fuzz-forensics ] || fail "--no-log wrote fuzz-forensics/"
    # an unreadable artifact: said, the others ingested, exit 1
    expect 1 "$ftf" ingest --target crasher --engine replay --binary "$crasher" --out "$work/u.log.gz" "$a/ok" "$a/missing" "$a"
    grep -q "missing: No such file" "$work/err" && grep -q "Is a directory" "$work/err" || fail "unreadable artifacts"
    # a file name with quotes is stored by content: fine
    expect 0 "$ftf" ingest --target crasher --engine replay --binary "$crasher" --out "$work/u.log.gz" "$a/it's here"
    ;;
ingest_baseline)
    crasher=${FTF_CLI_CRASHER:?FTF_CLI_CRASHER names the stand-in target}
    a=$work/art
    mkdir -p "$a"
    printf 'DIFF one' >"$a/d1"
    printf 'DIFF other input, same bug' >"$a/d2"
    printf 'SILL' >"$a/s"
    expect 1 "$ftf" ingest --target crasher --engine replay --binary "$crasher" --out "$work/a/x.log.gz" "$a/d1"
    expect 0 "$ftf" index -o "$work/base.json" "$work/a"
    # same signature from another input: known -> 0; a new signature -> 1
    expect 0 "$ftf" ingest --json --baseline "$work/base.json" --target crasher --engine replay --binary "$crasher" \
        --out "$work/b/x.log.gz" "$a/d2"
    jq -e '.known and (.new | not) and .recorded' "$work/out" >/dev/null || fail "known finding"
    expect 1 "$ftf" ingest --json --baseline "$work/base.json" --target crasher --engine replay --binary "$crasher" \
        --out "$work/b/x.log.gz" "$a/s"
    jq -e '.new and (.known | not)' "$work/out" >/dev/null || fail "new finding"
    # the index over both logs: the two differential inputs in one bucket
    expect 1 "$ftf" triage --json "$work/a" "$work/b"
    jq -e '(.buckets | length) == 2 and (.buckets[0].count == 2) and (.buckets[0].representative.replay_command | length > 0)' \
        "$work/out" >/dev/null || fail "buckets: $(jq -c '[.buckets[] | {signature, count}]' "$work/out")"
    expect 2 "$ftf" ingest --baseline "$work/missing.json" --target crasher --engine replay --binary "$crasher" "$a/s"
    printf '{"schema":"other"}' >"$work/bad.json"
    expect 2 "$ftf" ingest --baseline "$work/bad.json" --target crasher --engine replay --binary "$crasher" "$a/s"
    ;;
ingest_usage)
    printf 'x' >"$work/in"
    expect 2 "$ftf" ingest --engine replay --binary /bin/true "$work/in"
    expect 2 "$ftf" ingest --target 'a b' --engine replay --binary /bin/true "$work/in"
    expect 2 "$ftf" ingest --target '../x' --engine replay --binary /bin/true "$work/in"
    expect 2 "$ftf" ingest --target t --engine honggfuzz --binary /bin/true "$work/in"
    expect 2 "$ftf" ingest --target t --engine replay "$work/in"
    expect 2 "$ftf" ingest --target t --engine replay --binary "$work/in" "$work/in"
    expect 2 "$ftf" ingest --target t --engine replay --binary "$work/nope" "$work/in"
    expect 2 "$ftf" ingest --target t --engine replay --binary /bin/true
    expect 2 "$ftf" ingest --target t --engine replay --binary /bin/true --timeout 0 "$work/in"
    expect 2 "$ftf" ingest --target t --engine replay --binary /bin/true --no-log --out x.log.gz "$work/in"
    # /bin/true reproduces nothing: 0, one skipped event
    expect 0 "$ftf" ingest --target t --engine replay --binary /bin/true --out "$work/t.log.gz" "$work/in"
    expect 0 "$ftf" cat --outcome skipped --reason not_reproduced "$work/t.log.gz"
    [ "$(lines "$work/out")" -eq 1 ] || fail "not_reproduced event"
    ;;
never_runs_replay)
    # every replay command in the fixtures is "touch $work/pwned"
    zcat "$s0" | grep -q "touch $work/pwned" || fail "fixture lacks the bait"
    for c in "cat $s0" "show cli/strict:dup $s0" "show --json cli/strict:dup $s1" "index $work/shards" \
        "triage $work/shards" "triage --json $work/shards" "verify $s0" "reindex $s1"; do
        # shellcheck disable=SC2086
        "$ftf" $c >/dev/null 2>&1 || true
    done
    [ ! -e "$work/pwned" ] || fail "a replay command from a log was executed"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "ok [$case_name]"
