/* ftf/event.h: rendering, parsing and the ledger-entry conversion of the
 * ft-forensics-v1 records. */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <stdlib.h>

#include "ft/ft.h"
#include "ftf/event.h"
#include "ftf_test.h"

#define RUN_ID   "run-0123456789abcdef"
#define ENV_FP   "det64:fedcba9876543210"
#define LINE_CAP (FTF_RECORD_MAX_LEN + 64)

static const char *const refs[] = {"artifacts/run-0123456789abcdef/case.json", "cores/core.1234"};

static void common_fields(ftf_event_t *ev) {
    ftf_event_init(ev);
    ev->seq = 7;
    ev->run_id = RUN_ID;
    ev->suite_id = "dispatch_key";
    ev->scenario_id = "dispatch_key/strict:composite_route_mode_split";
    ev->packet_id = "FT-P2C-002";
    ev->mode = FT_MODE_STRICT;
    ev->seed = UINT64_C(14228129716249401336);
    ev->env_fingerprint = ENV_FP;
    ev->artifact_refs = refs;
    ev->artifact_ref_count = 2;
    ev->replay_command = "ft-dispatch route rsub --mode strict --lhs 1 --rhs 2";
    ev->outcome = FTF_OUTCOME_FAIL;
    ev->reason_code = "composite_fallback_rejected";
}

static void add_dispatch(ftf_event_t *ev) {
    ftf_dispatch_fields_t *d = &ev->dispatch;
    ev->has_dispatch = true;
    d->op = "rsub";
    d->selected_key = "CPU";
    d->backend_key = "CPU";
    d->kernel = NULL;
    d->keyset_bits = UINT64_C(0x804004001);
    d->fallback_used = false;
    d->mode_split = FT_SPLIT_STRICT_FAIL;
    d->route_count = 2;
    d->route[0] = (ftf_route_hop_t){"ADInplaceOrView", "backend_fallback", "backend fallback", true, NULL};
    d->route[1] =
        (ftf_route_hop_t){"CPU", "CompositeExplicitAutograd", "default backend kernel", false, "composite::rsub"};
}

static void add_differential(ftf_event_t *ev) {
    ev->has_differential = true;
    ev->differential.comparator = "ulp<=4";
    ev->differential.drift_id = NULL;
    ev->differential.allowlisted = false;
    /* 0.1 and 1e-7 would not survive a re-serialisation; the raw bytes must */
    ev->differential.expected = "{\"value\":0.1,\"status\":\"ok\",\"bits\":\"0x3fb999999999999a\"}";
    ev->differential.observed = "[1e-7, \"x\\u00e9\", null, true, {\"a\": []}]";
}

static void add_fuzz(ftf_event_t *ev, bool inline_input) {
    ev->has_fuzz = true;
    ev->fuzz.target = "keyset_text";
    ev->fuzz.engine = inline_input ? FTF_ENGINE_LIBFUZZER : FTF_ENGINE_AFL;
    ev->fuzz.input_sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
    ev->fuzz.input_b64 = inline_input ? "YWJj" : NULL;
    ev->fuzz.input_ref = inline_input ? NULL : "crashes/id:000001";
    ev->fuzz.crash_type = inline_input ? "heap-buffer-overflow" : NULL;
    ev->fuzz.crash_state = inline_input ? "ft_keyset_parse\nparse_name\nLLVMFuzzerTestOneInput" : NULL;
}

enum {
    KIND_PLAIN,
    KIND_DISPATCH,
    KIND_DIFFERENTIAL,
    KIND_SCENARIO,
    KIND_FUZZ_INLINE,
    KIND_FUZZ_REF,
    KIND_ALL,
    KIND_COUNT
};

static void make_event(ftf_event_t *ev, int kind) {
    common_fields(ev);
    ev->scenario = "{\"kind\":\"dispatch\"}"; /* every event carries its scenario */
    if (kind == KIND_DISPATCH || kind == KIND_ALL)
        add_dispatch(ev);
    if (kind == KIND_DIFFERENTIAL || kind == KIND_ALL)
        add_differential(ev);
    if (kind == KIND_DIFFERENTIAL || kind == KIND_SCENARIO || kind == KIND_ALL)
        ev->scenario = "{\"op\":\"rsub\",\"lhs\":{\"value\":\"1\",\"dtype\":\"f64\"},\"deep\":[[[{}]]],\"n\":0.1}";
    if (kind == KIND_FUZZ_INLINE || kind == KIND_ALL)
        add_fuzz(ev, true);
    if (kind == KIND_FUZZ_REF) {
        add_fuzz(ev, false);
        ev->outcome = FTF_OUTCOME_CRASH;
        ev->scenario_id = "fuzz/keyset_text/a9993e364706816aba3e25717850c26c9cd0d89d";
    }
    if (kind == KIND_PLAIN) {
        ev->outcome = FTF_OUTCOME_PASS;
        ev->reason_code = "ok";
        ev->artifact_ref_count = 0;
        ev->artifact_refs = NULL;
    }
}

static char line_a[LINE_CAP], line_b[LINE_CAP], line_c[LINE_CAP];

/* render → jansson accepts it → parse → render gives the same bytes. */
static void check_round_trip(const ftf_event_t *ev, const char *what) {
    const size_t n = ftf_event_render(ev, line_a, sizeof line_a);
    FT_CHECK_MSG(n > 0 && n < sizeof line_a, "%s: render returned %zu", what, n);
    FT_CHECK_EQ_INT(strlen(line_a), n);
    FT_CHECK_MSG(!memchr(line_a, '\n', n), "%s: newline in the line", what);
    json_error_t je;
    json_t *j = json_loadb(line_a, n, JSON_REJECT_DUPLICATES, &je);
    FT_CHECK_MSG(j && json_is_object(j), "%s: not JSON: %s\n%s", what, je.text, line_a);
    json_decref(j);
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_event_t back;
    ftf_parse_error_t err;
    const ftf_status s = ftf_event_parse(line_a, n, &back, &st, &err);
    if (s != FTF_OK)
        ftf_event_storage_dispose(&st);
    FT_CHECK_MSG(s == FTF_OK, "%s: parse: %s (%s, %s): %s", what, ftf_status_code(s), ftf_record_error_name(err.reason),
                 err.field, err.text);
    FT_CHECK_EQ_INT(err.reason, FTF_RECORD_OK);
    const size_t m = ftf_event_render(&back, line_b, sizeof line_b);
    const bool same = m == n && memcmp(line_a, line_b, n) == 0;
    const bool groups = back.has_dispatch == ev->has_dispatch && back.has_differential == ev->has_differential &&
                        back.has_fuzz == ev->has_fuzz && (back.scenario != NULL) == (ev->scenario != NULL);
    const bool fields = back.seq == ev->seq && back.seed == ev->seed && back.mode == ev->mode &&
                        back.outcome == ev->outcome && strcmp(back.scenario_id, ev->scenario_id) == 0 &&
                        back.artifact_ref_count == ev->artifact_ref_count &&
                        (!ev->has_dispatch || (back.dispatch.keyset_bits == ev->dispatch.keyset_bits &&
                                               back.dispatch.route_count == ev->dispatch.route_count)) &&
                        (!ev->scenario || strcmp(back.scenario, ev->scenario) == 0);
    ftf_event_storage_dispose(&st);
    FT_CHECK_MSG(same, "%s: re-render differs\n%s\n%s", what, line_a, line_b);
    FT_CHECK_MSG(groups && fields, "%s: parsed fields differ", what);
}

static void forensics_event_round_trip_every_kind(void) {
    static const char *const names[] = {"plain",       "dispatch", "differential", "scenario",
                                        "fuzz_inline", "fuzz_ref", "all"};
    for (int k = 0; k < KIND_COUNT; k++) {
        ftf_event_t ev;
        make_event(&ev, k);
        FTF_CHECK_STATUS(ftf_event_check(&ev), FTF_OK);
        check_round_trip(&ev, names[k]);
    }
    /* extremes: seq at its maximum, seed 0 and all ones, every outcome, hardened, drift id */
    ftf_event_t ev;
    make_event(&ev, KIND_ALL);
    ev.seq = FTF_SEQ_MAX;
    ev.seed = 0;
    ev.mode = FT_MODE_HARDENED;
    ev.dispatch.keyset_bits = UINT64_MAX;
    ev.dispatch.mode_split = FT_SPLIT_HARDENED_FALLBACK;
    ev.dispatch.route_count = 0;
    ev.differential.drift_id = "dispatch.composite_backend_fallback";
    ev.differential.allowlisted = true;
    ev.outcome = FTF_OUTCOME_ALLOWLISTED;
    check_round_trip(&ev, "extremes");
    for (int o = FTF_OUTCOME_PASS; o <= FTF_OUTCOME_CRASH; o++) {
        ev.outcome = (ftf_outcome_t)o;
        check_round_trip(&ev, ftf_outcome_name(ev.outcome));
    }
    ev.fuzz.engine = FTF_ENGINE_REPLAY;
    ev.fuzz.input_b64 = ""; /* an empty input */
    check_round_trip(&ev, "replay engine, empty input");
}

/* Exact bytes of a small event, pinning the format of DESIGN.md. */
static void forensics_event_golden_line(void) {
    ftf_event_t ev;
    make_event(&ev, KIND_PLAIN);
    ev.seq = 0;
    ev.seed = 0x1f;
    ev.scenario_id = "dispatch_key/strict:strict_cpu_route";
    const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
    const char *want =
        "{\"record\":\"event\",\"schema_version\":\"ft-forensics-v1\",\"run_id\":\"run-0123456789abcdef\","
        "\"seq\":0,\"suite_id\":\"dispatch_key\",\"scenario_id\":\"dispatch_key/strict:strict_cpu_route\","
        "\"packet_id\":\"FT-P2C-002\",\"mode\":\"strict\",\"seed\":\"0x1f\","
        "\"env_fingerprint\":\"det64:fedcba9876543210\",\"artifact_refs\":[],"
        "\"replay_command\":\"ft-dispatch route rsub --mode strict --lhs 1 --rhs 2\","
        "\"outcome\":\"pass\",\"reason_code\":\"ok\",\"scenario\":{\"kind\":\"dispatch\"}}";
    FT_CHECK_STR(line_a, want);
    FT_CHECK_EQ_INT(n, strlen(want));
    make_event(&ev, KIND_DISPATCH);
    ftf_event_render(&ev, line_a, sizeof line_a);
    FT_CHECK(strstr(line_a, ",\"reason_code\":\"composite_fallback_rejected\",\"op\":\"rsub\",\"selected_key\":\"CPU\","
                            "\"backend_key\":\"CPU\",\"kernel\":null,\"keyset_bits\":\"0x804004001\","
                            "\"fallback_used\":false,\"mode_split\":\"strict_fail\",\"route\":[{\"key\":"
                            "\"ADInplaceOrView\",\"source\":\"backend_fallback\",\"tag\":\"backend fallback\","
                            "\"fallthrough\":true,\"kernel\":null},{\"key\":\"CPU\",\"source\":"
                            "\"CompositeExplicitAutograd\",\"tag\":\"default backend kernel\",\"fallthrough\":false,"
                            "\"kernel\":\"composite::rsub\"}],\"scenario\":{") != NULL);
    FT_CHECK(strstr(line_a, "\"seed\":\"0xc5747897d33997f8\"") != NULL); /* 14228129716249401336 */
}

/* Keys of the JSON object that starts `s`, in order, joined by ','. */
static void top_level_keys(const char *s, char *out, size_t cap) {
    size_t depth = 0, o = 0;
    bool expect_key = false;
    out[0] = '\0';
    for (size_t i = 0; s[i]; i++) {
        const char c = s[i];
        if (c == '"') {
            size_t j = i + 1;
            while (s[j] && s[j] != '"')
                j += s[j] == '\\' ? 2 : 1;
            if (depth == 1 && expect_key) {
                o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o ? "," : "", (int)(j - i - 1), s + i + 1);
                expect_key = false;
            }
            i = j;
        } else if (c == '{' || c == '[') {
            depth++;
            expect_key = depth == 1;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                break; /* the end of the first value */
        } else if (c == ',' && depth == 1) {
            expect_key = true;
        }
    }
}

static void forensics_event_key_order_matches_design(void) {
    ftf_event_t ev;
    make_event(&ev, KIND_ALL);
    ftf_event_render(&ev, line_a, sizeof line_a);
    char keys[2048];
    top_level_keys(line_a, keys, sizeof keys);
    FT_CHECK_STR(keys, "record,schema_version,run_id,seq,suite_id,scenario_id,packet_id,mode,seed,env_fingerprint,"
                       "artifact_refs,replay_command,outcome,reason_code,"
                       "op,selected_key,backend_key,kernel,keyset_bits,fallback_used,mode_split,route,"
                       "comparator,drift_id,allowlisted,expected,observed,"
                       "scenario,"
                       "target,engine,input_sha1,input_b64,crash_type,crash_state");
    make_event(&ev, KIND_FUZZ_REF);
    ftf_event_render(&ev, line_a, sizeof line_a);
    top_level_keys(line_a, keys, sizeof keys);
    FT_CHECK(strstr(keys, ",reason_code,scenario,target,engine,input_sha1,input_ref,crash_type,crash_state") != NULL);
    /* hops: key, source, tag, fallthrough, kernel */
    make_event(&ev, KIND_DISPATCH);
    ftf_event_render(&ev, line_a, sizeof line_a);
    const char *hop = strstr(line_a, "\"route\":[{") + 9;
    top_level_keys(hop, keys, sizeof keys);
    FT_CHECK_STR(keys, "key,source,tag,fallthrough,kernel");
    /* run header */
    const char *argv[] = {"ft-campaign", "--seed", "42"};
    ftf_run_header_t h = {RUN_ID, "2024-01-02T03:04:05Z", argv, 3, "ft-campaign", "0.1.0", "0.1.0", ENV_FP, 42};
    ftf_run_header_render(&h, line_a, sizeof line_a);
    top_level_keys(line_a, keys, sizeof keys);
    FT_CHECK_STR(keys, "record,schema_version,run_id,start_time,argv,tool,tool_version,libft_version,"
                       "env_fingerprint,run_seed");
}

static void forensics_event_render_is_deterministic(void) {
    for (int k = 0; k < KIND_COUNT; k++) {
        ftf_event_t a, b;
        make_event(&a, k);
        make_event(&b, k);
        const size_t n = ftf_event_render(&a, line_a, sizeof line_a);
        const size_t m = ftf_event_render(&b, line_b, sizeof line_b);
        FT_CHECK(n == m && memcmp(line_a, line_b, n + 1) == 0);
        /* snprintf contract at every small capacity and at the edges */
        const size_t caps[] = {0, 1, 2, 17, n - 1, n, n + 1};
        for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
            memset(line_c, '#', n + 8);
            FT_CHECK_EQ_INT(ftf_event_render(&a, caps[i] ? line_c : NULL, caps[i]), n);
            if (caps[i]) {
                const size_t kept = caps[i] - 1 < n ? caps[i] - 1 : n;
                FT_CHECK(memcmp(line_c, line_a, kept) == 0 && line_c[kept] == '\0');
            }
        }
        /* the growable buffer appends the same bytes */
        ftf_buf_t buf = FTF_BUF_INIT;
        FTF_CHECK_STATUS(ftf_event_render_buf(&a, &buf), FTF_OK);
        FTF_CHECK_STATUS(ftf_event_render_buf(&a, &buf), FTF_OK);
        const bool ok = buf.len == 2 * n && memcmp(buf.data, line_a, n) == 0 && memcmp(buf.data + n, line_a, n) == 0 &&
                        buf.data[buf.len] == '\0';
        ftf_buf_dispose(&buf);
        FT_CHECK(ok);
    }
}

static void forensics_event_escapes_strings(void) {
    ftf_event_t ev;
    make_event(&ev, KIND_ALL);
    const char *nasty = "q\"b\\s/\n\t\r\b\f\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e end";
    ev.replay_command = nasty;
    ev.reason_code = "\"},{\"injected\":1";
    ev.dispatch.route[0].kernel = "k\"\n";
    const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
    FT_CHECK(n > 0 && !memchr(line_a, '\n', n));
    FT_CHECK(strstr(line_a, "\"q\\\"b\\\\s/\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f caf\xc3\xa9") != NULL);
    json_error_t je;
    json_t *j = json_loadb(line_a, n, JSON_REJECT_DUPLICATES, &je);
    FT_CHECK_MSG(j != NULL, "%s", je.text);
    const bool same = strcmp(json_string_value(json_object_get(j, "replay_command")), nasty) == 0 &&
                      strcmp(json_string_value(json_object_get(j, "reason_code")), ev.reason_code) == 0 &&
                      json_object_get(j, "injected") == NULL;
    json_decref(j);
    FT_CHECK(same);
    check_round_trip(&ev, "escapes");
}

/* Caller strings that are not UTF-8 still render (the sink must never go silent
 * over a bad name): each invalid byte is escaped as the Latin-1 character it
 * reads as (ft/json_text.h), and the line is valid JSON. */
static void forensics_event_escapes_invalid_utf8(void) {
    static const struct {
        const char *in, *escaped, *decoded;
    } cases[] = {
        {"bad \xff byte", "bad \\u00ff byte", "bad \xc3\xbf byte"},
        {"overlong \xc0\xaf", "overlong \\u00c0\\u00af", "overlong \xc3\x80\xc2\xaf"},
        {"surrogate \xed\xa0\x80", "surrogate \\u00ed\\u00a0\\u0080", "surrogate \xc3\xad\xc2\xa0\xc2\x80"},
        {"cut \xe2\x82", "cut \\u00e2\\u0082", "cut \xc3\xa2\xc2\x82"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ftf_event_t ev;
        make_event(&ev, KIND_ALL);
        ev.replay_command = cases[i].in;
        ev.dispatch.op = cases[i].in;
        FTF_CHECK_STATUS(ftf_event_check(&ev), FTF_OK);
        const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
        FT_CHECK(n > 0 && n < sizeof line_a);
        FT_CHECK_MSG(strstr(line_a, cases[i].escaped) != NULL, "case %zu: %s", i, line_a);
        json_error_t je;
        json_t *j = json_loadb(line_a, n, JSON_REJECT_DUPLICATES, &je);
        FT_CHECK_MSG(j != NULL, "case %zu: %s", i, je.text);
        const bool same = strcmp(json_string_value(json_object_get(j, "replay_command")), cases[i].decoded) == 0 &&
                          strcmp(json_string_value(json_object_get(j, "op")), cases[i].decoded) == 0;
        json_decref(j);
        FT_CHECK_MSG(same, "case %zu", i);
    }
}

static void forensics_event_check_rejects_invalid(void) {
    ftf_event_t ev;
    char big[FTF_SCENARIO_ID_SIZE + 4];
#define EXPECT_INVALID(mutation, want)                                                                                 \
    do {                                                                                                               \
        make_event(&ev, KIND_ALL);                                                                                     \
        mutation;                                                                                                      \
        FTF_CHECK_STATUS(ftf_event_check(&ev), want);                                                                  \
        FT_CHECK_EQ_INT(ftf_event_render(&ev, line_a, sizeof line_a), 0);                                              \
        FT_CHECK_STR(line_a, "");                                                                                      \
    } while (0)
    EXPECT_INVALID(ev.run_id = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.run_id = "run-1", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.seq = FTF_SEQ_MAX + 1, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.suite_id = "", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.scenario_id = "../../etc/passwd", FTF_EINVALID_SCENARIO_ID);
    EXPECT_INVALID(
        (memset(big, 'a', sizeof big - 1), big[sizeof big - 1] = 0, memcpy(big, "s/strict:", 9), ev.scenario_id = big),
        FTF_EINVALID_SCENARIO_ID);
    EXPECT_INVALID(ev.mode = (ft_mode_t)7, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.env_fingerprint = "det64:nothex", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.artifact_refs = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.replay_command = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.outcome = (ftf_outcome_t)9, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.reason_code = "", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.dispatch.op = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.dispatch.mode_split = (ft_mode_split_t)5, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.dispatch.route_count = FTF_ROUTE_MAX_HOPS + 1, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.dispatch.route[1].tag = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.differential.expected = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.differential.observed = "[1,\n2]", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.differential.observed = "\"\xff\"", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.scenario = "[1]", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.fuzz.input_sha1 = "A9993E364706816ABA3E25717850C26C9CD0D89D", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.fuzz.input_ref = "also", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.fuzz.input_b64 = NULL, FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.fuzz.input_b64 = "YWJ", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.fuzz.input_b64 = "Y=Jj", FTF_EBAD_RECORD);
    EXPECT_INVALID(ev.fuzz.engine = (ftf_fuzz_engine_t)3, FTF_EBAD_RECORD);
#undef EXPECT_INVALID
    FTF_CHECK_STATUS(ftf_event_check(NULL), FTF_EINVALID_ARGUMENT);
    FT_CHECK_EQ_INT(ftf_event_render(NULL, line_a, sizeof line_a), 0);
    /* the growable buffer reports the reason and keeps what it had */
    ftf_buf_t buf = FTF_BUF_INIT;
    make_event(&ev, KIND_PLAIN);
    ftf_status s1 = ftf_event_render_buf(&ev, &buf);
    const size_t had = buf.len;
    ev.scenario_id = "nope";
    ftf_status s2 = ftf_event_render_buf(&ev, &buf);
    const bool kept = buf.len == had && buf.data[had] == '\0';
    ftf_buf_dispose(&buf);
    FTF_CHECK_STATUS(s1, FTF_OK);
    FTF_CHECK_STATUS(s2, FTF_EINVALID_SCENARIO_ID);
    FT_CHECK(kept);
}

static void forensics_run_header_round_trip(void) {
    const char *argv[] = {"ft-campaign", "--seed", "42", "--out", "logs/shard \"0\".jsonl.gz"};
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    h.run_id = RUN_ID;
    h.start_time = "2024-02-29T23:59:59Z";
    h.argv = argv;
    h.argc = 5;
    h.tool = "ft-campaign";
    h.tool_version = "0.1.0";
    h.libft_version = ft_version();
    h.env_fingerprint = ENV_FP;
    h.run_seed = UINT64_C(0xdeadbeefcafef00d);
    FTF_CHECK_STATUS(ftf_run_header_check(&h), FTF_OK);
    const size_t n = ftf_run_header_render(&h, line_a, sizeof line_a);
    FT_CHECK(n > 0 && n < sizeof line_a);
    FT_CHECK(strncmp(line_a, "{\"record\":\"run\",\"schema_version\":\"ft-forensics-v1\",", 50) == 0);
    FT_CHECK(strstr(line_a, "\"run_seed\":\"0xdeadbeefcafef00d\"}") != NULL);
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_record_t rec;
    ftf_parse_error_t err;
    ftf_status s = ftf_record_parse(line_a, n, &rec, &st, &err);
    size_t m = 0;
    bool same = false;
    if (s == FTF_OK) {
        m = ftf_run_header_render(&rec.run, line_b, sizeof line_b);
        same = rec.kind == FTF_RECORD_KIND_RUN && rec.run.argc == 5 && strcmp(rec.run.argv[4], argv[4]) == 0 &&
               rec.run.run_seed == h.run_seed && m == n && memcmp(line_a, line_b, n) == 0;
    }
    /* an event parser refuses the header, saying why */
    ftf_event_t ev;
    const ftf_status se = ftf_event_parse(line_a, n, &ev, &st, &err);
    ftf_event_storage_dispose(&st);
    FTF_CHECK_STATUS(s, FTF_OK);
    FT_CHECK_MSG(same, "run header re-render differs\n%s\n%s", line_a, line_b);
    FTF_CHECK_STATUS(se, FTF_EBAD_RECORD);
    FT_CHECK_EQ_INT(err.reason, FTF_RECORD_UNKNOWN_KIND);
    /* invalid headers */
    ftf_run_header_t bad = h;
    bad.start_time = "2024-02-29 23:59:59";
    FTF_CHECK_STATUS(ftf_run_header_check(&bad), FTF_EBAD_RECORD);
    FT_CHECK_EQ_INT(ftf_run_header_render(&bad, line_a, sizeof line_a), 0);
    bad = h;
    bad.argv = NULL;
    FTF_CHECK_STATUS(ftf_run_header_check(&bad), FTF_EBAD_RECORD);
    bad = h;
    bad.tool = "";
    FTF_CHECK_STATUS(ftf_run_header_check(&bad), FTF_EBAD_RECORD);
    bad = h;
    bad.argc = 0;
    bad.argv = NULL;
    FTF_CHECK_STATUS(ftf_run_header_check(&bad), FTF_OK);
}

/* Replaces the first `from` in `src` by `to` into line_b; the test fails if
 * `from` is absent, so no case silently tests the unmutated line. */
static bool mutate(const char *src, const char *from, const char *to) {
    const char *at = strstr(src, from);
    if (!at)
        return false;
    const size_t head = (size_t)(at - src), flen = strlen(from), tlen = strlen(to), tail = strlen(at + flen);
    if (head + tlen + tail >= sizeof line_b)
        return false;
    memcpy(line_b, src, head);
    memcpy(line_b + head, to, tlen);
    memcpy(line_b + head + tlen, at + flen, tail + 1);
    return true;
}

static char *repeat(char c, size_t n) {
    char *s = malloc(n + 1);
    if (s) {
        memset(s, c, n);
        s[n] = '\0';
    }
    return s;
}

static void forensics_event_hostile_lines_rejected(void) {
    ftf_event_t ev;
    make_event(&ev, KIND_ALL);
    const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
    FT_CHECK(n > 0);
    char *open = repeat('[', 3000), *close = repeat(']', 3000);
    FT_CHECK(open && close);
    char deep[6100];
    snprintf(deep, sizeof deep, "\"scenario\":{\"a\":%s%s}", open, close);
    free(open);
    free(close);
    char long_route[8192] = "\"route\":[";
    for (int i = 0; i <= FTF_ROUTE_MAX_HOPS; i++)
        strcat(long_route,
               i ? ",{\"key\":\"CPU\",\"source\":\"CPU\",\"tag\":\"kernel\",\"fallthrough\":false,\"kernel\":null}"
                 : "{\"key\":\"CPU\",\"source\":\"CPU\",\"tag\":\"kernel\",\"fallthrough\":false,\"kernel\":null}");
    strcat(long_route, "],\"comparator\"");

    static const struct {
        const char *from, *to;
        ftf_status status;
        ftf_record_error_t reason;
        const char *field;
    } cases[] = {
        /* not JSON */
        {"{\"record\"", "{record", FTF_EBAD_RECORD, FTF_RECORD_NOT_JSON, ""},
        {"\"crash_state\":", "\"crash_state\" ", FTF_EBAD_RECORD, FTF_RECORD_NOT_JSON, ""},
        {"\"replay_command\":\"ft-dispatch", "\"replay_command\":\"ft\\u0000dispatch", FTF_EBAD_RECORD,
         FTF_RECORD_NOT_JSON, ""},
        /* invalid UTF-8 */
        {"ft-dispatch route", "ft-\xff route", FTF_EBAD_RECORD, FTF_RECORD_INVALID_UTF8, ""},
        {"ft-dispatch route", "ft-\xc0\xaf route", FTF_EBAD_RECORD, FTF_RECORD_INVALID_UTF8, ""},
        {"ft-dispatch route", "ft-\xed\xa0\x80 route", FTF_EBAD_RECORD, FTF_RECORD_INVALID_UTF8, ""},
        /* duplicate keys, at the top and nested */
        {"\"seq\":7,", "\"seq\":7,\"seq\":8,", FTF_EBAD_RECORD, FTF_RECORD_DUPLICATE_KEY, ""},
        {"\"deep\":", "\"n\":1,\"deep\":", FTF_EBAD_RECORD, FTF_RECORD_DUPLICATE_KEY, ""},
        /* huge numbers */
        {"\"seq\":7", "\"seq\":99999999999999999999999999", FTF_EBAD_RECORD, FTF_RECORD_NUMBER_OVERFLOW, ""},
        {"\"seq\":7", "\"seq\":1e400", FTF_EBAD_RECORD, FTF_RECORD_NUMBER_OVERFLOW, ""},
        {"\"value\":0.1", "\"value\":-1e999", FTF_EBAD_RECORD, FTF_RECORD_NUMBER_OVERFLOW, ""},
        /* versions and kinds */
        {"ft-forensics-v1", "ft-forensics-v2", FTF_EUNSUPPORTED_VERSION, FTF_RECORD_UNSUPPORTED_VERSION,
         "schema_version"},
        {"\"schema_version\":\"ft-forensics-v1\"", "\"schema_version\":1", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE,
         "schema_version"},
        {"\"schema_version\":\"ft-forensics-v1\",", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "schema_version"},
        {"\"record\":\"event\"", "\"record\":\"bogus\"", FTF_EBAD_RECORD, FTF_RECORD_UNKNOWN_KIND, "record"},
        /* wrong types */
        {"\"seq\":7", "\"seq\":\"7\"", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "seq"},
        {"\"seq\":7", "\"seq\":7.0", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "seq"},
        {"\"seed\":\"0xc5747897d33997f8\"", "\"seed\":14228129716249401336", FTF_EBAD_RECORD,
         FTF_RECORD_NUMBER_OVERFLOW, ""},
        {"\"seed\":\"0xc5747897d33997f8\"", "\"seed\":1", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "seed"},
        {"\"artifact_refs\":[\"", "\"artifact_refs\":[1,\"", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "artifact_refs"},
        {"\"artifact_refs\":[", "\"artifact_refs\":{},\"x\":[", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE,
         "artifact_refs"},
        {"\"fallback_used\":false", "\"fallback_used\":0", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "fallback_used"},
        {"\"kernel\":null}", "\"kernel\":5}", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "route[0].kernel"},
        {"\"route\":[{", "\"route\":[7,{", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "route[0]"},
        {"\"scenario\":{\"op\":\"rsub\",\"lhs\":{\"value\":\"1\",\"dtype\":\"f64\"},\"deep\":[[[{}]]],\"n\":0.1}",
         "\"scenario\":[1,2]", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "scenario"},
        {"\"expected\":{\"value\":0.1,", "\"expected\":{\"value\":0.1 0.2,", FTF_EBAD_RECORD, FTF_RECORD_NOT_JSON, ""},
        {"\"drift_id\":null", "\"drift_id\":false", FTF_EBAD_RECORD, FTF_RECORD_WRONG_TYPE, "drift_id"},
        /* missing fields */
        {"\"outcome\":\"fail\",", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "outcome"},
        {"\"run_id\":\"run-0123456789abcdef\",", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "run_id"},
        {"\"op\":\"rsub\",", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "op"},
        {"\"comparator\":\"ulp<=4\",", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "comparator"},
        {",\"fallthrough\":true", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "route[0].fallthrough"},
        {"\"input_b64\":\"YWJj\",", "", FTF_EBAD_RECORD, FTF_RECORD_MISSING_FIELD, "input_b64"},
        /* bad values */
        {"\"seq\":7", "\"seq\":-1", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "seq"},
        {"\"seq\":7", "\"seq\":9007199254740992", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "seq"},
        {"\"scenario_id\":\"dispatch_key/strict:composite_route_mode_split\"",
         "\"scenario_id\":\"dispatch_key/strict:../../x\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "scenario_id"},
        {"\"mode\":\"strict\"", "\"mode\":\"lenient\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "mode"},
        {"\"outcome\":\"fail\"", "\"outcome\":\"maybe\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "outcome"},
        {"0xc5747897d33997f8", "0x0c5747897d33997f8", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "seed"},
        {"0xc5747897d33997f8", "0xC5747897D33997F8", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "seed"},
        {"0xc5747897d33997f8", "0x1c5747897d33997f8", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "seed"},
        {"\"keyset_bits\":\"0x804004001\"", "\"keyset_bits\":\"0x\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE,
         "keyset_bits"},
        {"run-0123456789abcdef", "run-0123456789ABCDEF", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "run_id"},
        {"det64:fedcba9876543210", "det64:fedcba98", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "env_fingerprint"},
        {"\"mode_split\":\"strict_fail\"", "\"mode_split\":\"other\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE,
         "mode_split"},
        {"\"engine\":\"libfuzzer\"", "\"engine\":\"honggfuzz\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "engine"},
        {"\"input_sha1\":\"a9993e", "\"input_sha1\":\"z9993e", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "input_sha1"},
        {"\"input_b64\":\"YWJj\"", "\"input_b64\":\"YWJj\",\"input_ref\":\"x\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE,
         "input_ref"},
        {"\"input_b64\":\"YWJj\"", "\"input_b64\":\"Y WJj\"", FTF_EBAD_RECORD, FTF_RECORD_BAD_VALUE, "input_b64"},
        {"\"reason_code\":\"composite_fallback_rejected\"", "\"reason_code\":\"\"", FTF_EBAD_RECORD,
         FTF_RECORD_BAD_VALUE, "reason_code"},
        /* unknown members */
        {"\"seq\":7,", "\"seq\":7,\"extra\":{},", FTF_EBAD_RECORD, FTF_RECORD_UNKNOWN_FIELD, "extra"},
        {"\"fallthrough\":true,", "\"fallthrough\":true,\"why\":1,", FTF_EBAD_RECORD, FTF_RECORD_UNKNOWN_FIELD,
         "route[0].why"},
    };
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_parse_error_t err;
    ftf_event_t out;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FT_CHECK_MSG(mutate(line_a, cases[i].from, cases[i].to), "case %zu: \"%s\" not in the line", i, cases[i].from);
        const ftf_status s = ftf_event_parse(line_b, strlen(line_b), &out, &st, &err);
        FT_CHECK_MSG(s == cases[i].status && err.status == s && err.reason == cases[i].reason &&
                         strcmp(err.field, cases[i].field) == 0 && err.text[0],
                     "case %zu (%s -> %s): got %s/%s/\"%s\" (%s), want %s/%s/\"%s\"", i, cases[i].from, cases[i].to,
                     ftf_status_code(s), ftf_record_error_name(err.reason), err.field, err.text,
                     ftf_status_code(cases[i].status), ftf_record_error_name(cases[i].reason), cases[i].field);
    }
    /* whole-line shapes */
    static const struct {
        const char *line;
        ftf_record_error_t reason;
    } shapes[] = {
        {"", FTF_RECORD_NOT_JSON},         {"not json", FTF_RECORD_NOT_JSON}, {"{\"a\":1} {}", FTF_RECORD_NOT_JSON},
        {"[1,2]", FTF_RECORD_NOT_OBJECT},  {"\"str\"", FTF_RECORD_NOT_JSON},  {"{}", FTF_RECORD_MISSING_FIELD},
        {"{\"a\":1", FTF_RECORD_NOT_JSON}, {"nul\0l", FTF_RECORD_NOT_JSON},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const size_t len = i == 7 ? 5 : strlen(shapes[i].line);
        FTF_CHECK_STATUS(ftf_event_parse(shapes[i].line, len, &out, &st, &err), FTF_EBAD_RECORD);
        FT_CHECK_MSG(err.reason == shapes[i].reason, "shape %zu: %s", i, ftf_record_error_name(err.reason));
    }
    /* truncated at every byte: never accepted, never a crash */
    for (size_t cut = 0; cut < n; cut++)
        FT_CHECK_MSG(ftf_event_parse(line_a, cut, &out, &st, &err) != FTF_OK, "prefix of %zu bytes accepted", cut);
    /* too deep (jansson's depth limit) and a route longer than any decision */
    FT_CHECK(mutate(line_a, "\"scenario\":{", "\"scenario\":{\"zz\":0,\"inner\":{"));
    FT_CHECK(mutate(line_a, "\"scenario\":", deep) && strlen(line_b) < FTF_RECORD_MAX_LEN);
    {
        /* mutate() replaced only the key, so cut the original object out after it */
        char *p = strstr(line_b, deep) + strlen(deep);
        char *rest = strstr(p, ",\"target\"");
        FT_CHECK(rest != NULL);
        memmove(p, rest, strlen(rest) + 1);
    }
    FTF_CHECK_STATUS(ftf_event_parse(line_b, strlen(line_b), &out, &st, &err), FTF_EBAD_RECORD);
    FT_CHECK_MSG(err.reason == FTF_RECORD_TOO_DEEP, "deep: %s: %s", ftf_record_error_name(err.reason), err.text);
    char *at = strstr(line_a, "\"route\":[");
    char *end = strstr(line_a, "],\"comparator\"");
    FT_CHECK(at && end);
    snprintf(line_b, sizeof line_b, "%.*s%s%s", (int)(at - line_a), line_a, long_route, end + 14);
    FTF_CHECK_STATUS(ftf_event_parse(line_b, strlen(line_b), &out, &st, &err), FTF_EBAD_RECORD);
    FT_CHECK_EQ_INT(err.reason, FTF_RECORD_BAD_VALUE);
    FT_CHECK_STR(err.field, "route");
    /* over-long lines are refused before any parsing */
    memset(line_b, ' ', FTF_RECORD_MAX_LEN + 1);
    FTF_CHECK_STATUS(ftf_event_parse(line_b, FTF_RECORD_MAX_LEN + 1, &out, &st, &err), FTF_ELINE_TOO_LONG);
    FT_CHECK_EQ_INT(err.reason, FTF_RECORD_LINE_TOO_LONG);
    /* arguments */
    FTF_CHECK_STATUS(ftf_event_parse(NULL, 3, &out, &st, &err), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_event_parse(line_a, n, NULL, &st, &err), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_event_parse(line_a, n, &out, NULL, NULL), FTF_EINVALID_ARGUMENT);
    /* after all that, the same storage still parses a good line */
    FTF_CHECK_STATUS(ftf_event_parse(line_a, n, &out, &st, NULL), FTF_OK);
    FT_CHECK(out.has_fuzz && strcmp(out.fuzz.input_b64, "YWJj") == 0);
    ftf_event_storage_dispose(&st);
    ftf_event_storage_dispose(&st); /* twice is harmless */
}

/* Any member order and escaped key spellings are the same record, and render
 * back in canonical form. */
static void forensics_event_parse_accepts_any_member_order(void) {
    ftf_event_t ev;
    make_event(&ev, KIND_DIFFERENTIAL);
    const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
    /* move "record" and "schema_version" to the end, spell "expected" with an escape, add spaces */
    const char *head = "{\"record\":\"event\",\"schema_version\":\"ft-forensics-v1\",";
    FT_CHECK(strncmp(line_a, head, strlen(head)) == 0);
    snprintf(line_c, sizeof line_c, "  { %.*s , \"schema_version\" : \"ft-forensics-v1\", \"record\":\"event\" }  ",
             (int)(n - strlen(head) - 1), line_a + strlen(head));
    FT_CHECK(mutate(line_c, "\"expected\":", "\"\\u0065xpected\" :  "));
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_event_t back;
    ftf_parse_error_t err;
    const ftf_status s = ftf_event_parse(line_b, strlen(line_b), &back, &st, &err);
    size_t m = 0;
    if (s == FTF_OK)
        m = ftf_event_render(&back, line_c, sizeof line_c);
    ftf_event_storage_dispose(&st);
    FT_CHECK_MSG(s == FTF_OK, "%s: %s", ftf_record_error_name(err.reason), err.text);
    FT_CHECK_MSG(m == n && memcmp(line_a, line_c, n) == 0, "canonical form differs\n%s\n%s", line_a, line_c);
}

/* jansson's allocations for one line are proportional to the line, which the
 * parser bounds: a hostile line cannot make it allocate without limit. */
static size_t live_bytes, peak_bytes;

static void *counting_malloc(size_t n) {
    size_t *p = malloc(n + sizeof(size_t) * 2);
    if (!p)
        return NULL;
    p[0] = n;
    live_bytes += n;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    return p + 2;
}

static void counting_free(void *q) {
    if (!q)
        return;
    size_t *p = (size_t *)q - 2;
    live_bytes -= p[0];
    free(p);
}

static void forensics_event_parse_memory_is_bounded(void) {
    /* the worst case per byte: a maximal line of tiny values "0," */
    ftf_event_t ev;
    make_event(&ev, KIND_SCENARIO);
    ev.scenario = "{}";
    const size_t base = ftf_event_render(&ev, NULL, 0) - 2;
    const size_t room = FTF_RECORD_MAX_LEN - base - 16;
    char *scenario = malloc(room + 16);
    FT_CHECK(scenario != NULL);
    size_t o = 0;
    o += (size_t)sprintf(scenario, "{\"a\":[0");
    while (o + 4 < room) {
        scenario[o++] = ',';
        scenario[o++] = '0';
    }
    memcpy(scenario + o, "]}", 3);
    ev.scenario = scenario;
    const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
    free(scenario);
    FT_CHECK(n > FTF_RECORD_MAX_LEN - 64 && n <= FTF_RECORD_MAX_LEN);
    json_malloc_t old_malloc;
    json_free_t old_free;
    json_get_alloc_funcs(&old_malloc, &old_free);
    json_set_alloc_funcs(counting_malloc, counting_free);
    live_bytes = peak_bytes = 0;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_event_t out;
    const ftf_status s = ftf_event_parse(line_a, n, &out, &st, NULL);
    ftf_event_storage_dispose(&st);
    const size_t peak = peak_bytes, leaked = live_bytes;
    json_set_alloc_funcs(old_malloc, old_free);
    FTF_CHECK_STATUS(s, FTF_OK);
    FT_CHECK_EQ_INT(leaked, 0);
    /* about 32k values: tens of bytes each, far from unbounded */
    FT_CHECK_MSG(peak < 64 * (size_t)FTF_RECORD_MAX_LEN, "peak %zu bytes for a %zu-byte line", peak, n);
    FT_CHECK(peak > 0);
}

static void forensics_utc_timestamp(void) {
    char t[FTF_TIMESTAMP_SIZE];
    FTF_CHECK_STATUS(ftf_utc_timestamp(0, t), FTF_OK);
    FT_CHECK_STR(t, "1970-01-01T00:00:00Z");
    FTF_CHECK_STATUS(ftf_utc_timestamp(951868799, t), FTF_OK);
    FT_CHECK_STR(t, "2000-02-29T23:59:59Z");
    FTF_CHECK_STATUS(ftf_utc_timestamp(1700000000, t), FTF_OK);
    FT_CHECK_STR(t, "2023-11-14T22:13:20Z");
    FTF_CHECK_STATUS(ftf_utc_timestamp(-1, t), FTF_OK);
    FT_CHECK_STR(t, "1969-12-31T23:59:59Z");
    FTF_CHECK_STATUS(ftf_utc_timestamp(INT64_C(253402300799), t), FTF_OK);
    FT_CHECK_STR(t, "9999-12-31T23:59:59Z");
    FTF_CHECK_STATUS(ftf_utc_timestamp(INT64_C(-62167219200), t), FTF_OK);
    FT_CHECK_STR(t, "0000-01-01T00:00:00Z");
    FTF_CHECK_STATUS(ftf_utc_timestamp(INT64_C(253402300800), t), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_utc_timestamp(INT64_MIN, t), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_utc_timestamp(0, NULL), FTF_EINVALID_ARGUMENT);
}

static void forensics_base64_encode(void) {
    static const struct {
        const char *in, *out;
    } rfc4648[] = {{"", ""},
                   {"f", "Zg=="},
                   {"fo", "Zm8="},
                   {"foo", "Zm9v"},
                   {"foob", "Zm9vYg=="},
                   {"fooba", "Zm9vYmE="},
                   {"foobar", "Zm9vYmFy"}};
    char out[32];
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        FT_CHECK_EQ_INT(ftf_base64_encode(rfc4648[i].in, strlen(rfc4648[i].in), out, sizeof out),
                        strlen(rfc4648[i].out));
        FT_CHECK_STR(out, rfc4648[i].out);
    }
    const uint8_t bin[] = {0x00, 0xff, 0xfe, 0x80, 0x3f};
    FT_CHECK_EQ_INT(ftf_base64_encode(bin, sizeof bin, out, sizeof out), 8);
    FT_CHECK_STR(out, "AP/+gD8=");
    FT_CHECK_EQ_INT(ftf_base64_encode(bin, sizeof bin, out, 4), 8); /* truncated, still terminated */
    FT_CHECK_STR(out, "AP/");
    FT_CHECK_EQ_INT(ftf_base64_encode(NULL, 0, NULL, 0), 0);
    /* what it writes, an event accepts */
    ftf_event_t ev;
    make_event(&ev, KIND_FUZZ_INLINE);
    ev.fuzz.input_b64 = out;
    for (size_t len = 0; len < sizeof bin; len++) {
        ftf_base64_encode(bin, len, out, sizeof out);
        FTF_CHECK_STATUS(ftf_event_check(&ev), FTF_OK);
    }
}

static void forensics_event_names(void) {
    for (int o = FTF_OUTCOME_PASS; o <= FTF_OUTCOME_CRASH; o++) {
        ftf_outcome_t back;
        FTF_CHECK_STATUS(ftf_outcome_from_name(ftf_outcome_name((ftf_outcome_t)o), &back), FTF_OK);
        FT_CHECK_EQ_INT(back, o);
    }
    FT_CHECK(ftf_outcome_name((ftf_outcome_t)5) == NULL);
    ftf_outcome_t oo;
    FTF_CHECK_STATUS(ftf_outcome_from_name("PASS", &oo), FTF_EINVALID_ARGUMENT);
    for (int e = FTF_ENGINE_LIBFUZZER; e <= FTF_ENGINE_REPLAY; e++) {
        ftf_fuzz_engine_t back;
        FTF_CHECK_STATUS(ftf_fuzz_engine_from_name(ftf_fuzz_engine_name((ftf_fuzz_engine_t)e), &back), FTF_OK);
        FT_CHECK_EQ_INT(back, e);
    }
    FT_CHECK(ftf_fuzz_engine_name((ftf_fuzz_engine_t)3) == NULL);
    for (int r = FTF_RECORD_OK; r <= FTF_RECORD_OUT_OF_MEMORY; r++)
        for (int q = FTF_RECORD_OK; q < r; q++)
            FT_CHECK(
                strcmp(ftf_record_error_name((ftf_record_error_t)r), ftf_record_error_name((ftf_record_error_t)q)));
    FT_CHECK_STR(ftf_record_error_name(FTF_RECORD_NOT_JSON), "not_json");
    FT_CHECK_STR(ftf_record_error_name(FTF_RECORD_DUPLICATE_KEY), "duplicate_key");
}

/* ---- ledger entries ------------------------------------------------------ */

static int64_t ticking_clock(void *payload) {
    int64_t *t = payload;
    return *t += 1000;
}

/* A small program: add with autograd, strict rsub (rejected), backward, switch
 * to hardened, rsub again (fallback). Renders each entry as an event line into
 * out (newline-separated). */
static ftf_status run_session(bool with_clock, const char *scenario_id, ftf_buf_t *out, ft_session_t **keep) {
    int64_t now = 0;
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    if (with_clock) {
        o.clock = ticking_clock;
        o.clock_payload = &now;
    }
    ft_session_t *s;
    if (ft_session_new(&o, &s) != FT_OK)
        return FTF_ENOMEM;
    ft_var_t x, y, z, r;
    ft_status fs = ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x);
    fs = fs ? fs : ft_session_leaf(s, 0.1, FT_DTYPE_F64, true, &y);
    fs = fs ? fs : ft_session_call(s, "add", x, y, &z);
    if (fs == FT_OK && ft_session_call(s, "rsub", x, y, &r) != FT_ECOMPOSITE_REJECTED)
        fs = FT_EINVALID_ARGUMENT;
    fs = fs ? fs : ft_session_backward(s, z, false, NULL);
    fs = fs ? fs : ft_session_set_mode(s, FT_MODE_HARDENED);
    fs = fs ? fs : ft_session_call(s, "rsub", x, y, &r);
    ftf_status st = fs == FT_OK ? FTF_OK : FTF_EINVALID_ARGUMENT;
    const char *refs1[] = {"session.json"};
    const ftf_event_context_t ctx = {
        RUN_ID, "session", "FT-P2C-002",  "ledger", ENV_FP, scenario_id, "ft-session-replay session.json",
        refs1,  1,         FT_MODE_STRICT};
    ftf_event_storage_t storage = FTF_EVENT_STORAGE_INIT;
    for (size_t i = 0; st == FTF_OK && i < ft_session_evidence_count(s); i++) {
        ftf_event_t ev;
        st = ftf_event_from_evidence(ft_session_evidence_at(s, i), &ctx, &ev, &storage);
        st = st ? st : ftf_event_render_buf(&ev, out);
        st = st ? st : ftf_buf_reserve(out, 1);
        if (st == FTF_OK)
            out->data[out->len++] = '\n', out->data[out->len] = '\0';
    }
    ftf_event_storage_dispose(&storage);
    if (keep && st == FTF_OK)
        *keep = s;
    else
        ft_session_free(s);
    return st;
}

static void forensics_event_from_session_evidence(void) {
    ftf_buf_t lines = FTF_BUF_INIT;
    ft_session_t *s = NULL;
    FTF_CHECK_STATUS(run_session(false, NULL, &lines, &s), FTF_OK);
    const size_t count = ft_session_evidence_count(s);
    const ftf_event_context_t ctx = {RUN_ID, "session", "FT-P2C-002", "ledger", ENV_FP,
                                     NULL,   NULL,      NULL,         0,        FT_MODE_STRICT};
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    bool ok = count == 5;
    for (size_t i = 0; ok && i < count; i++) {
        const ft_evidence_t *e = ft_session_evidence_at(s, i);
        ftf_event_t ev;
        ok = ftf_event_from_evidence(e, &ctx, &ev, &st) == FTF_OK;
        char want_json[4096], want_id[FTF_SCENARIO_ID_SIZE];
        const size_t jn = ft_evidence_json(e, want_json, sizeof want_json);
        ftf_generated_scenario_id(want_id, want_json, jn);
        ok = ok && ev.seq == i && strcmp(ev.scenario, want_json) == 0 && strcmp(ev.scenario_id, want_id) == 0 &&
             ev.seed == ftf_scenario_seed("session", "ledger", "FT-P2C-002", want_id, ft_mode_name(ev.mode)) &&
             strcmp(ev.reason_code, ft_status_code(e->status)) == 0 &&
             ev.outcome == (e->status == FT_OK ? FTF_OUTCOME_PASS : FTF_OUTCOME_FAIL) &&
             strcmp(ev.replay_command, "") == 0 && ev.artifact_ref_count == 0 && !ev.has_differential && !ev.has_fuzz;
        if (ok && e->kind == FT_EVIDENCE_DISPATCH) {
            const ft_decision_t *d = e->decision;
            ok = ev.has_dispatch && strcmp(ev.dispatch.op, d->op) == 0 && ev.mode == d->mode &&
                 strcmp(ev.dispatch.selected_key, ft_key_name(d->selected_key)) == 0 &&
                 ev.dispatch.keyset_bits == d->keyset.repr && ev.dispatch.fallback_used == d->fallback_used &&
                 ev.dispatch.mode_split == d->mode_split && ev.dispatch.route_count == d->hop_count &&
                 (d->kernel ? ev.dispatch.kernel && strcmp(ev.dispatch.kernel, d->kernel) == 0 : !ev.dispatch.kernel);
            for (size_t h = 0; ok && h < d->hop_count; h++)
                ok = strcmp(ev.dispatch.route[h].key, ft_key_name(d->hops[h].key)) == 0 &&
                     strcmp(ev.dispatch.route[h].tag, ft_table_tag_name(d->hops[h].tag)) == 0 &&
                     ev.dispatch.route[h].fallthrough == d->hops[h].fallthrough;
        } else {
            ok = ok && !ev.has_dispatch;
        }
        FT_CHECK_MSG(ok, "entry %zu", i);
        check_round_trip(&ev, "ledger entry");
    }
    /* what the program did, as events */
    ftf_event_t ev;
    ok = ok && ftf_event_from_evidence(ft_session_evidence_at(s, 0), &ctx, &ev, &st) == FTF_OK &&
         ev.outcome == FTF_OUTCOME_PASS && strcmp(ev.dispatch.op, "add") == 0 &&
         strcmp(ev.dispatch.selected_key, "AutogradCPU") == 0 && strcmp(ev.dispatch.backend_key, "CPU") == 0 &&
         strcmp(ev.dispatch.kernel, "cpu::add_scalar") == 0 && ev.mode == FT_MODE_STRICT &&
         strcmp(ev.dispatch.route[0].key, "AutogradCPU") == 0;
    ok = ok && ftf_event_from_evidence(ft_session_evidence_at(s, 1), &ctx, &ev, &st) == FTF_OK &&
         ev.outcome == FTF_OUTCOME_FAIL && strcmp(ev.reason_code, "composite_fallback_rejected") == 0 &&
         ev.dispatch.mode_split == FT_SPLIT_STRICT_FAIL && ev.mode == FT_MODE_STRICT;
    ok = ok && ftf_event_from_evidence(ft_session_evidence_at(s, 2), &ctx, &ev, &st) == FTF_OK &&
         ev.outcome == FTF_OUTCOME_PASS && !ev.has_dispatch && strstr(ev.scenario, "\"kind\":\"backward\"") &&
         ev.mode == FT_MODE_STRICT;
    ok = ok && ftf_event_from_evidence(ft_session_evidence_at(s, 3), &ctx, &ev, &st) == FTF_OK &&
         strstr(ev.scenario, "\"kind\":\"mode_change\"") && ev.mode == FT_MODE_HARDENED;
    ok = ok && ftf_event_from_evidence(ft_session_evidence_at(s, 4), &ctx, &ev, &st) == FTF_OK &&
         ev.outcome == FTF_OUTCOME_PASS && ev.mode == FT_MODE_HARDENED && ev.dispatch.fallback_used &&
         ev.dispatch.mode_split == FT_SPLIT_HARDENED_FALLBACK;
    FT_CHECK_MSG(ok, "program events");
    /* bad context: the event would be invalid, and conversion says so */
    ftf_event_context_t bad = ctx;
    bad.run_id = "nope";
    FTF_CHECK_STATUS(ftf_event_from_evidence(ft_session_evidence_at(s, 0), &bad, &ev, &st), FTF_EBAD_RECORD);
    bad = ctx;
    bad.scenario_id = "not an id";
    FTF_CHECK_STATUS(ftf_event_from_evidence(ft_session_evidence_at(s, 0), &bad, &ev, &st), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_event_from_evidence(NULL, &ctx, &ev, &st), FTF_EINVALID_ARGUMENT);
    ftf_event_storage_dispose(&st);
    ft_session_free(s);

    /* the same program again writes the same bytes; so does a session with a clock,
     * because events carry no wall-clock time */
    ftf_buf_t again = FTF_BUF_INIT, clocked = FTF_BUF_INIT, fixed = FTF_BUF_INIT;
    const ftf_status s1 = run_session(false, NULL, &again, NULL);
    const ftf_status s2 = run_session(true, NULL, &clocked, NULL);
    const ftf_status s3 = run_session(false, "session/strict:program_1", &fixed, NULL);
    const bool same = lines.len > 0 && again.len == lines.len && memcmp(again.data, lines.data, lines.len) == 0 &&
                      clocked.len == lines.len && memcmp(clocked.data, lines.data, lines.len) == 0;
    const bool fixed_id = fixed.data && strstr(fixed.data, "\"scenario_id\":\"session/strict:program_1\"") &&
                          !strstr(fixed.data, "\"gen/") && strstr(fixed.data, "\"artifact_refs\":[\"session.json\"]");
    ftf_buf_dispose(&lines);
    ftf_buf_dispose(&again);
    ftf_buf_dispose(&clocked);
    ftf_buf_dispose(&fixed);
    FTF_CHECK_STATUS(s1, FTF_OK);
    FTF_CHECK_STATUS(s2, FTF_OK);
    FTF_CHECK_STATUS(s3, FTF_OK);
    FT_CHECK_MSG(same, "re-run is not byte-identical");
    FT_CHECK(fixed_id);
}

static void forensics_event_dispatch_from_decision(void) {
    ft_registry_t *reg;
    FT_CHECK(ft_registry_new(&reg) == FT_OK);
    const ft_op_t *op;
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.mode = FT_MODE_HARDENED;
    ft_decision_t d;
    ft_keyset_t ks = ft_keyset_from_raw(UINT64_C(0x804004001));
    bool ok = ft_registry_find(reg, "rsub", &op) == FT_OK && ft_dispatch_route(&ctx, op, ks, &d) == FT_OK;
    ftf_event_t ev;
    make_event(&ev, KIND_PLAIN);
    ok = ok && ftf_event_set_dispatch_from_decision(&ev, &d) == FTF_OK && ev.has_dispatch &&
         strcmp(ev.dispatch.op, "rsub") == 0 && ev.dispatch.fallback_used &&
         ev.dispatch.mode_split == FT_SPLIT_HARDENED_FALLBACK && ev.dispatch.route_count == d.hop_count &&
         ev.dispatch.keyset_bits == UINT64_C(0x804004001);
    /* the route words are libft's evidence JSON words */
    char ledger[4096];
    ok = ok && ftf_event_render(&ev, line_a, sizeof line_a) > 0;
    ft_evidence_t e;
    memset(&e, 0, sizeof e);
    e.kind = FT_EVIDENCE_DISPATCH;
    e.decision = &d;
    ft_evidence_json(&e, ledger, sizeof ledger);
    const char *route_a = strstr(line_a, "\"route\":"), *route_b = strstr(ledger, "\"route\":");
    ok = ok && route_a && route_b && strncmp(route_a, route_b, strcspn(route_b, "]") + 1) == 0;
    FT_CHECK_MSG(ok, "%s\n%s", line_a, ledger);
    check_round_trip(&ev, "decision");
    ft_decision_t broken = d;
    broken.selected_key = (ft_key_t)500;
    FTF_CHECK_STATUS(ftf_event_set_dispatch_from_decision(&ev, &broken), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_event_set_dispatch_from_decision(&ev, NULL), FTF_EINVALID_ARGUMENT);
    ft_registry_free(reg);
}

/* Review findings: a NUL after a number (jansson accepts it) or a newline
 * inside a raw member must not parse into something the renderer cannot give
 * back; a raw member that is not exactly one JSON value (key injection) is
 * refused at render time. */
static void forensics_event_lines_are_one_line_and_members_one_value(void) {
    ftf_event_t ev, out;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_parse_error_t err;
    make_event(&ev, KIND_ALL);
    const size_t n = ftf_event_render(&ev, line_a, sizeof line_a);
    FT_CHECK(n > 0 && n < sizeof line_a);
    char *seq = strstr(line_a, "\"seq\":");
    FT_CHECK(seq != NULL);
    memcpy(line_b, line_a, n + 1);
    line_b[seq - line_a + 7] = '\0'; /* `"seq":0` then NUL where the comma was */
    FTF_CHECK_STATUS(ftf_event_parse(line_b, n, &out, &st, &err), FTF_EBAD_RECORD);
    FT_CHECK_EQ_INT(err.reason, FTF_RECORD_NOT_JSON);
    char *scen = strstr(line_a, "\"scenario\":{");
    FT_CHECK(scen != NULL);
    memcpy(line_b, line_a, n + 1);
    line_b[scen - line_a + 12] = '\n'; /* `{` then a newline: JSON whitespace, but two lines */
    memmove(line_b + (scen - line_a) + 13, line_a + (scen - line_a) + 12, n - (size_t)(scen - line_a) - 12 + 1);
    FTF_CHECK_STATUS(ftf_event_parse(line_b, n + 1, &out, &st, &err), FTF_EBAD_RECORD);
    FT_CHECK_EQ_INT(err.reason, FTF_RECORD_NOT_JSON);
    ftf_event_storage_dispose(&st);
    static const char *const bad_members[] = {"1,\"outcome\":\"pass\"", "{\"a\":1", "[1,2", "{\"a\":1,\"a\":2}", "1 2"};
    for (size_t i = 0; i < sizeof bad_members / sizeof bad_members[0]; i++) {
        make_event(&ev, KIND_DIFFERENTIAL);
        ev.differential.expected = bad_members[i];
        FT_CHECK_MSG(ftf_event_render(&ev, line_a, sizeof line_a) == 0, "member %s rendered", bad_members[i]);
        FTF_CHECK_STATUS(ftf_event_check(&ev), FTF_EBAD_RECORD);
    }
    make_event(&ev, KIND_DIFFERENTIAL);
    ev.differential.expected = " {\"value\": [1, \"x\", null]} ";
    FT_CHECK(ftf_event_render(&ev, line_a, sizeof line_a) > 0);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(forensics_event_lines_are_one_line_and_members_one_value),
        FT_CASE(forensics_event_round_trip_every_kind),
        FT_CASE(forensics_event_golden_line),
        FT_CASE(forensics_event_key_order_matches_design),
        FT_CASE(forensics_event_render_is_deterministic),
        FT_CASE(forensics_event_escapes_strings),
        FT_CASE(forensics_event_escapes_invalid_utf8),
        FT_CASE(forensics_event_check_rejects_invalid),
        FT_CASE(forensics_run_header_round_trip),
        FT_CASE(forensics_event_hostile_lines_rejected),
        FT_CASE(forensics_event_parse_accepts_any_member_order),
        FT_CASE(forensics_event_parse_memory_is_bounded),
        FT_CASE(forensics_utc_timestamp),
        FT_CASE(forensics_event_names),
        FT_CASE(forensics_base64_encode),
        FT_CASE(forensics_event_from_session_evidence),
        FT_CASE(forensics_event_dispatch_from_decision),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
