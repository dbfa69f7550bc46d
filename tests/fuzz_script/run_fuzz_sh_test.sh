#!/usr/bin/env bash
# ci/fuzz.sh end to end on a stand-in target with a planted differential
# violation, built here for libFuzzer (clang -fsanitize=fuzzer,address), AFL++
# (afl-clang-fast + libAFLDriver) and a plain replay driver: a short run must
# exit 1 with the finding new, in forensics, its replay command reproducing it,
# the failure index and SARIF written; the same run against that index as
# --baseline must exit 0 with the finding known; usage errors exit 2.
#
#   run_fuzz_sh_test.sh SOURCE_DIR FT_FORENSICS
# Exit 77 (ctest SKIP) without clang's libFuzzer or AFL++.
set -euo pipefail
src=$(cd "$1" && pwd)
ftf=$2
command -v clang >/dev/null && command -v afl-clang-fast >/dev/null && command -v afl-fuzz >/dev/null &&
    [ -f /usr/lib/afl/libAFLDriver.a ] || { echo "SKIP: needs clang and AFL++ (ci/deps.sh)"; exit 77; }
command -v jq >/dev/null || { echo "FAIL: jq is required"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ft-fuzzsh-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the stand-in: byte by byte towards "FT!", then the one-line signature and abort()
cat >"$scratch/standin.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static volatile int sink;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 3 && data[0] == 'F') {
        sink = 1;
        if (data[1] == 'T') {
            sink = 2;
            if (data[2] == '!') {
                fprintf(stderr, "ft-diff:keyset_parse:priority:mismatch:keyset:none\n");
                abort();
            }
        }
    }
    return 0;
}
C
cat >"$scratch/replay_main.c" <<'C'
#include <stdint.h>
#include <stdio.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int main(int argc, char **argv) {
    static unsigned char buf[1 << 20];
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f)
            return 1;
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
}
C
b=$scratch/build
mkdir -p "$b/fuzz-libfuzzer/fuzz" "$b/fuzz-afl/fuzz" "$b/fuzz-replay/fuzz" "$b/fuzz-replay/forensics"
clang -g -O1 -fsanitize=fuzzer,address "$scratch/standin.c" -o "$b/fuzz-libfuzzer/fuzz/fuzz_keyset_parse"
AFL_QUIET=1 afl-clang-fast -g -O1 "$scratch/standin.c" /usr/lib/afl/libAFLDriver.a \
    -o "$b/fuzz-afl/fuzz/fuzz_keyset_parse" >/dev/null 2>&1 ||
    AFL_QUIET=1 afl-clang-fast -g -O1 "$scratch/standin.c" -fsanitize=fuzzer -o "$b/fuzz-afl/fuzz/fuzz_keyset_parse"
cc -g -O1 "$scratch/standin.c" "$scratch/replay_main.c" -o "$b/fuzz-replay/fuzz/fuzz_keyset_parse"
cp "$ftf" "$b/fuzz-replay/forensics/ft-forensics"

run() { # WANT-EXIT ARGS...
    local want=$1 got=0
    shift
    (cd "$src" && FT_FUZZ_NO_DEPS=1 timeout 600 ./ci/fuzz.sh --no-build --build-root "$b" "$@") \
        >"$scratch/out.txt" 2>"$scratch/err.txt" || got=$?
    [ "$got" -eq "$want" ] || { cat "$scratch/out.txt" "$scratch/err.txt"; fail "exit $got, want $want: ci/fuzz.sh $*"; }
}

# 1. a new finding: exit 1, table, forensics, replay, index, SARIF
o=$scratch/run1
run 1 --seconds 6 --minimize-seconds 3 --out "$o" --sarif "$scratch/f.sarif" keyset_parse
grep -Eq '^keyset_parse +libfuzzer +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +1 +0 +[1-9]' "$scratch/out.txt" ||
    { cat "$scratch/out.txt"; fail "libfuzzer row"; }
grep -Eq '^keyset_parse +afl +[0-9]+ ' "$scratch/out.txt" || fail "afl row"
sig='keyset_drift|differential-violation|ft-diff:keyset_parse:priority:mismatch:keyset:none|-|-'
jq -e -s --arg s "$sig" 'length >= 1 and all(.new and .signature == $s and .replay_reproduces and .recorded)' \
    "$o/findings.jsonl" >/dev/null || { cat "$o/findings.jsonl"; fail "findings"; }
# the minimised input is the 3-byte trigger
jq -e -s 'map(select(.engine == "libfuzzer")) | .[0].size == 3' "$o/findings.jsonl" >/dev/null || fail "not minimised"
# the recorded replay command, run from the source root, reproduces the abort
replay=$(jq -r -s '.[0].replay_command' "$o/findings.jsonl")
set +e
(cd "$src" && sh -c "$replay") 2>"$scratch/replay.err"
rrc=$?
set -e
[ "$rrc" -ne 0 ] && grep -q '^ft-diff:keyset_parse:priority:' "$scratch/replay.err" || fail "replay: $replay"
"$ftf" cat --outcome crash "$o/forensics" >"$scratch/events.jsonl"
jq -e -s 'length >= 1 and all(.crash_type == "differential-violation" and .reason_code == "priority")' \
    "$scratch/events.jsonl" >/dev/null || fail "forensics events"
jq -e --arg s "$sig" '.buckets[0].signature == $s and .buckets[0].count >= 1
    and (.buckets[0].representative.replay_command | contains(".artifacts/"))' "$o/failure-index.json" >/dev/null ||
    fail "failure index"
jq -e '.version == "2.1.0" and (.runs[0].results | length >= 1)
    and all(.runs[0].results[]; .ruleId == "keyset_drift" and (.message.text | length > 0)
        and .locations[0].physicalLocation.artifactLocation.uri == "fuzz/keyset_parse.c")
    and (.runs[0].tool.driver.rules | map(.id) == ["keyset_drift"])' "$scratch/f.sarif" >/dev/null ||
    fail "SARIF"

# 2. the same bug against a baseline that knows it: exit 0, known
cp "$o/failure-index.json" "$scratch/base.json"
run 0 --seconds 4 --minimize-seconds 2 --engine libfuzzer --jobs 2 --out "$scratch/run2" \
    --baseline "$scratch/base.json" keyset_parse
grep -Eq '^keyset_parse +libfuzzer +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +0 +1 ' "$scratch/out.txt" ||
    { cat "$scratch/out.txt"; fail "known row"; }
[ -d "$scratch/run2/work/libfuzzer/keyset_parse/shards/libfuzzer-w2" ] || fail "no shard for worker 2"

# 3. usage
run 2 --engine honggfuzz keyset_parse
run 2 --seconds 0 keyset_parse
run 2 no_such_target
run 2 --baseline "$scratch/missing.json" keyset_parse
echo "ok: ci/fuzz.sh"
