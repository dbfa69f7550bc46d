/* Triage and the failure index: the reason-code table covers every libft
 * status and verdict, signature normalisation, shards merged with
 * deterministic bytes, allowlisted drifts apart, unknown reasons, the
 * prefilter against escaped lines, damaged logs indexed with their report and
 * salvaged by recover. */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ft/status.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"
#include "ftf/triage.h"
#include "ftf_test.h"

/* ---- sample events ------------------------------------------------------------ */

typedef struct {
    ftf_outcome_t outcome;
    const char *reason;
    const char *op;         /* NULL: no dispatch group */
    const char *comparator; /* NULL: no differential group */
    ft_mode_t mode;
    const char *crash_type; /* non-NULL: fuzz group */
    const char *crash_state;
    const char *drift_id;
} kind_t;

static const kind_t kinds[] = {
    {FTF_OUTCOME_PASS, "ok", "add", "exact", FT_MODE_STRICT, NULL, NULL, NULL},
    {FTF_OUTCOME_FAIL, "composite_fallback_rejected", "add", "exact", FT_MODE_STRICT, NULL, NULL, NULL},
    {FTF_OUTCOME_FAIL, "value_mismatch", "mul", "ulp", FT_MODE_HARDENED, NULL, NULL, NULL},
    {FTF_OUTCOME_ALLOWLISTED, "allowlisted_drift", "add", "mode_split", FT_MODE_HARDENED, NULL, NULL, "drift-7"},
    {FTF_OUTCOME_CRASH, "heap-buffer-overflow", NULL, NULL, FT_MODE_STRICT, "Heap-buffer-overflow READ 4",
     "#0 0x4f5a3b in ft_keyset_parse /src/lib/keyset.c:123:5\n#1 0x4f00aa in ft_parse_one /src/lib/parse.c:40\n"
     "#2 0x401234 in LLVMFuzzerTestOneInput /src/fuzz/keyset_fuzz.c:12:3\n#3 0x400000 in main",
     NULL},
    {FTF_OUTCOME_SKIPPED, "oracle_unavailable", NULL, NULL, FT_MODE_STRICT, NULL, NULL, NULL},
    {FTF_OUTCOME_FAIL, "frobnicated_beyond_repair", "sub", "exact", FT_MODE_STRICT, NULL, NULL, NULL},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Writes event i of kind kinds[i % N_KINDS] (a crash of kind 4 at another
 * address every other time: same bucket). */
static ftf_status write_event(ftf_log_writer_t *w, const char *run_id, unsigned i, unsigned shard) {
    const kind_t *k = &kinds[i % N_KINDS];
    char id[FTF_SCENARIO_ID_SIZE], replay[300], state[512];
    char sha[FTF_SHA1_HEX_SIZE];
    ftf_event_t ev;
    ftf_event_init(&ev);
    if (k->crash_type) {
        char input[32];
        snprintf(input, sizeof input, "input-%u-%u", shard, i);
        ftf_fuzz_scenario_id(id, "keyset_fuzz", input, strlen(input), sha);
        ev.has_fuzz = true;
        ev.fuzz.target = "keyset_fuzz";
        ev.fuzz.engine = FTF_ENGINE_LIBFUZZER;
        ev.fuzz.input_sha1 = sha;
        ev.fuzz.input_b64 = "aW5wdXQ=";
        ev.fuzz.crash_type = k->crash_type;
        snprintf(state, sizeof state, "%s", k->crash_state);
        if (i % 2) /* same frames, different addresses and lines */
            snprintf(state, sizeof state,
                     "#0 0x7fff0010 in ft_keyset_parse /build/other/lib/keyset.c:125\n"
                     "#1 0x7fff0020 in ft_parse_one /tmp/x/parse.c:41:2\n"
                     "#2 0xdeadbeef in LLVMFuzzerTestOneInput keyset_fuzz.c:99");
        ev.fuzz.crash_state = state;
    } else {
        snprintf(id, sizeof id, "gen/%016llx", (unsigned long long)((i + 1000ull * shard) * 0x9e3779b97f4a7c15ULL));
    }
    snprintf(replay, sizeof replay, "ft-replay %s; rm -rf /", id); /* must never be run */
    ev.seq = i, ev.run_id = run_id, ev.suite_id = "triage_suite", ev.scenario_id = id;
    ev.packet_id = "FT-P2C-002", ev.mode = k->mode, ev.seed = i;
    ev.env_fingerprint = "det64:0123456789abcdef", ev.replay_command = replay;
    ev.outcome = k->outcome, ev.reason_code = k->reason;
    if (k->op) {
        ev.has_dispatch = true;
        ev.dispatch.op = k->op;
        ev.dispatch.selected_key = "AutogradCPU";
        ev.dispatch.backend_key = "CPU";
        ev.dispatch.kernel = "cpu::kernel";
        ev.dispatch.keyset_bits = 0x2800004001ull;
        ev.dispatch.mode_split = FT_SPLIT_NONE;
    }
    if (k->comparator) {
        ev.has_differential = true;
        ev.differential.comparator = k->comparator;
        ev.differential.drift_id = k->drift_id;
        ev.differential.allowlisted = k->drift_id != NULL;
        ev.differential.expected = "1";
        ev.differential.observed = "2";
    }
    ev.scenario = "{\"op\":\"add\"}";
    return ftf_log_write_event(w, &ev, NULL);
}

/* A log of `n` events of shard `shard` (its own run). */
static ftf_status write_shard(const char *path, unsigned shard, unsigned n) {
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.sync = FTF_LOG_SYNC_NONE;
    wo.member_data = 4096; /* many members, so damage hits only some */
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(path, &wo, &w);
    if (st != FTF_OK)
        return st;
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, 100 + shard, "test_triage");
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    const char *argv[] = {"test_triage", "--shard"};
    h.run_id = run_id, h.start_time = "2024-02-03T04:05:06Z", h.argv = argv, h.argc = 2;
    h.tool = "test_triage", h.tool_version = "0.1.0", h.libft_version = "0.1.0";
    h.env_fingerprint = "det64:0123456789abcdef", h.run_seed = 100 + shard;
    st = ftf_log_write_run_header(w, &h, NULL);
    for (unsigned i = 0; i < n && st == FTF_OK; i++)
        st = write_event(w, run_id, i, shard);
    const ftf_status cst = ftf_log_writer_close(w);
    return st != FTF_OK ? st : cst;
}

/* Per kind, how many of the first n events. */
static unsigned count_kind(unsigned n, size_t kind) {
    return n / N_KINDS + (kind < n % N_KINDS ? 1u : 0u);
}

static char *render(const ftf_failure_index_t *idx, unsigned flags) {
    ftf_buf_t b = FTF_BUF_INIT;
    if (ftf_failure_index_render(idx, flags, &b) != FTF_OK) {
        ftf_buf_dispose(&b);
        return NULL;
    }
    return b.data;
}

/* ---- the table ------------------------------------------------------------------ */

static void triage_table_covers_every_reason_code(void) {
    /* every libft status code */
    for (int s = FT_STATUS_MIN; s <= 0; s++) {
        const char *code = ft_status_code((ft_status)s);
        FT_CHECK(code && *code);
        const ftf_triage_rule_t *r = ftf_triage_lookup(code, strlen(code));
        FT_CHECK_MSG(r != NULL, "libft status %d (%s) has no triage entry", s, code);
        FT_CHECK_MSG(r->kind == FTF_REASON_FT_STATUS, "%s is not filed as an ft_status", code);
    }
    /* every differential verdict */
    static const char *const verdicts[] = {"pass",           "expected_error_observed", "allowlisted_drift",
                                           "blocking_drift", "oracle_unavailable",      "harness_error"};
    for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
        const ftf_triage_rule_t *r = ftf_triage_lookup(verdicts[i], strlen(verdicts[i]));
        FT_CHECK_MSG(r != NULL && r->kind == FTF_REASON_VERDICT, "verdict %s has no entry", verdicts[i]);
    }
    /* every row is classified, unique, and of a known severity and kind */
    size_t kinds_seen[5] = {0};
    for (size_t i = 0; i < ftf_triage_table_count(); i++) {
        const ftf_triage_rule_t *r = ftf_triage_table_at(i);
        FT_CHECK(r && r->reason_code && *r->reason_code);
        FT_CHECK_MSG(r->triage_class && *r->triage_class && strcmp(r->triage_class, "unclassified") != 0 &&
                         strcmp(r->triage_class, FTF_TRIAGE_UNKNOWN_CLASS) != 0,
                     "%s: class %s", r->reason_code, r->triage_class ? r->triage_class : "(null)");
        FT_CHECK_MSG(r->owner && *r->owner, "%s has no owner hint", r->reason_code);
        FT_CHECK(r->severity <= FTF_SEVERITY_CRITICAL);
        FT_CHECK(r->kind < FTF_REASON_UNKNOWN);
        kinds_seen[r->kind]++;
        for (size_t j = 0; j < i; j++)
            FT_CHECK_MSG(strcmp(ftf_triage_table_at(j)->reason_code, r->reason_code) != 0, "%s twice", r->reason_code);
        FT_CHECK(ftf_triage_lookup(r->reason_code, strlen(r->reason_code)) == r);
    }
    for (int k = 0; k < FTF_REASON_UNKNOWN; k++)
        FT_CHECK_MSG(kinds_seen[k] > 0, "no %s rows", ftf_reason_kind_name((ftf_reason_kind_t)k));
    FT_CHECK(ftf_triage_table_at(ftf_triage_table_count()) == NULL);
    /* the fallback */
    FT_CHECK(ftf_triage_lookup("no_such_reason", 14) == NULL);
    FT_CHECK(ftf_triage_lookup("", 0) == NULL);
    FT_CHECK_STR(ftf_triage_unknown_rule.triage_class, "unknown_reason");
    FT_CHECK_EQ_INT(ftf_triage_unknown_rule.kind, FTF_REASON_UNKNOWN);
    /* crash types as sanitizers print them */
    const ftf_triage_rule_t *r = ftf_triage_lookup("SEGV on unknown address 0x000000000010", 38);
    FT_CHECK(r && strcmp(r->reason_code, "segv") == 0);
    r = ftf_triage_lookup("Heap-buffer-overflow READ 8", 27);
    FT_CHECK(r && strcmp(r->triage_class, "memory_safety") == 0 && r->severity == FTF_SEVERITY_CRITICAL);
}

static void triage_normalises_frames_and_crash_types(void) {
    char out[FTF_SIG_FIELD_SIZE];
    static const struct {
        const char *in, *want;
    } frames[] = {
        {"#0 0x4f5a3b in ft_keyset_parse /src/lib/keyset.c:123:5", "ft_keyset_parse keyset.c"},
        {"#12 0x7f00deadbeef in ft_keyset_parse /other/build/lib/keyset.c:9", "ft_keyset_parse keyset.c"},
        {"ft_keyset_parse keyset.c:123", "ft_keyset_parse keyset.c"},
        {"#3 0x400000 in main", "main"},
        {"ft_parse_one (/usr/lib/libft.so+0x1234)", "ft_parse_one libft.so"},
        {"func+0x1a", "func"},
        {"   ", ""},
        {"#1 0x1234", ""},
        {"at Foo.bar(Foo.java:12)", "Foo.bar(Foo.java"},
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        const size_t n = ftf_triage_normalize_frame(frames[i].in, strlen(frames[i].in), out);
        FT_CHECK_MSG(strcmp(out, frames[i].want) == 0, "frame %zu: \"%s\", want \"%s\"", i, out, frames[i].want);
        FT_CHECK_EQ_U64(n, strlen(out));
    }
    static const struct {
        const char *in, *want;
    } types[] = {
        {"Heap-buffer-overflow READ 4", "heap-buffer-overflow"},
        {"Heap-buffer-overflow\nWRITE 8", "heap-buffer-overflow"},
        {"Out-of-memory (malloc(4096))", "out-of-memory"},
        {"SEGV on unknown address 0x000", "segv-on-unknown-address"},
        {"Null_dereference", "null-dereference"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        ftf_triage_normalize_crash_type(types[i].in, strlen(types[i].in), out);
        FT_CHECK_MSG(strcmp(out, types[i].want) == 0, "type %zu: \"%s\", want \"%s\"", i, out, types[i].want);
    }
    /* long input is cut, never overflows */
    char big[1000];
    memset(big, 'a', sizeof big);
    FT_CHECK_EQ_U64(ftf_triage_normalize_frame(big, sizeof big, out), FTF_SIG_FIELD_MAX);
    FT_CHECK_EQ_U64(ftf_triage_normalize_crash_type(big, sizeof big, out), FTF_SIG_FIELD_MAX);
}

static void triage_signature_same_bug_same_bucket(void) {
    ftf_event_t a, b;
    ftf_event_init(&a);
    a.outcome = FTF_OUTCOME_CRASH, a.reason_code = "crash";
    a.has_fuzz = true;
    a.fuzz.crash_type = "Heap-buffer-overflow READ 4";
    a.fuzz.crash_state = "#0 0x1 in f /a/x.c:1\n#1 0x2 in g /a/y.c:2\n#2 0x3 in h /a/z.c:3\n#3 0x4 in main";
    b = a;
    b.fuzz.crash_type = "Heap-buffer-overflow WRITE 8";
    b.fuzz.crash_state = "f x.c:10\n\n#1 0x99 in g /b/y.c:20:1\nh (/lib/z.c:7)";
    ftf_signature_t sa, sb;
    FTF_CHECK_STATUS(ftf_triage_signature(&a, &sa), FTF_OK);
    FTF_CHECK_STATUS(ftf_triage_signature(&b, &sb), FTF_OK);
    char la[1024], lb[1024];
    ftf_signature_format(&sa, la, sizeof la);
    ftf_signature_format(&sb, lb, sizeof lb);
    FT_CHECK_STR(la, "memory_safety|heap-buffer-overflow|f x.c|g y.c|h z.c");
    FT_CHECK_STR(la, lb);
    FT_CHECK(sa.crash && sa.known_reason);
    /* a different third frame is a different bucket */
    b.fuzz.crash_state = "f x.c\ng y.c\nother z.c";
    FTF_CHECK_STATUS(ftf_triage_signature(&b, &sb), FTF_OK);
    ftf_signature_format(&sb, lb, sizeof lb);
    FT_CHECK(strcmp(la, lb) != 0);
    /* a differential failure: class | reason | comparator | op | selected key | mode */
    ftf_event_t c;
    ftf_event_init(&c);
    c.outcome = FTF_OUTCOME_FAIL, c.reason_code = "composite_fallback_rejected", c.mode = FT_MODE_STRICT;
    c.has_dispatch = true, c.dispatch.op = "add", c.dispatch.selected_key = "AutogradCPU";
    ftf_signature_t sc;
    FTF_CHECK_STATUS(ftf_triage_signature(&c, &sc), FTF_OK);
    char lc[1024];
    ftf_signature_format(&sc, lc, sizeof lc);
    FT_CHECK_STR(lc, "mode_split_policy|composite_fallback_rejected|-|add|AutogradCPU|strict");
    c.reason_code = "never_heard_of_it";
    FTF_CHECK_STATUS(ftf_triage_signature(&c, &sc), FTF_OK);
    FT_CHECK(!sc.known_reason);
    FT_CHECK_STR(sc.rule->triage_class, "unknown_reason");
    FTF_CHECK_STATUS(ftf_triage_signature(NULL, &sc), FTF_EINVALID_ARGUMENT);
}

/* ---- the index ---------------------------------------------------------------------- */

static void index_merges_two_shards_deterministically(void) {
    const char *dir = ftf_test_path("shards");
    FT_CHECK(mkdir(dir, 0755) == 0);
    const char *a = ftf_test_path("shards/worker-0.log.gz"), *b = ftf_test_path("shards/worker-1.log.gz");
    const unsigned na = 350, nb = 211;
    FTF_CHECK_STATUS(write_shard(a, 0, na), FTF_OK);
    FTF_CHECK_STATUS(write_shard(b, 1, nb), FTF_OK);
    /* a locator sidecar and a hidden file in the directory are not logs */
    FTF_CHECK_STATUS(ftf_locator_build_from_log(a, NULL, NULL, NULL), FTF_OK);
    FT_CHECK(ftf_test_spit(ftf_test_path("shards/.hidden.gz"), "junk", 4));

    ftf_failure_index_t *i1, *i2, *i3;
    const char *by_dir[] = {dir};
    const char *ab[] = {a, b}, *ba[] = {b, a, b};
    FTF_CHECK_STATUS(ftf_failure_index_build(by_dir, 1, NULL, &i1), FTF_OK);
    FTF_CHECK_STATUS(ftf_failure_index_build(ab, 2, NULL, &i2), FTF_OK);
    FTF_CHECK_STATUS(ftf_failure_index_build(ba, 3, NULL, &i3), FTF_OK);
    char *j2 = render(i2, 0), *j3 = render(i3, 0), *j1 = render(i1, 0), *j2c = render(i2, FTF_INDEX_JSON_COMPACT);
    FT_CHECK(j1 && j2 && j3 && j2c);
    FT_CHECK(strcmp(j2, j3) == 0); /* argument order and duplicates do not matter */
    char *j2b = render(i2, 0);
    FT_CHECK(j2b && strcmp(j2, j2b) == 0); /* same index, same bytes */
    free(j2b);

    ftf_index_totals_t t;
    ftf_failure_index_totals(i1, &t);
    FT_CHECK_EQ_U64(t.files, 2);
    FT_CHECK_EQ_U64(t.damaged_files, 0);
    FT_CHECK_EQ_U64(t.run_headers, 2);
    FT_CHECK_EQ_U64(t.events, na + nb);
    FT_CHECK_EQ_U64(t.records, na + nb + 2);
    const uint64_t fails = count_kind(na, 1) + count_kind(nb, 1) + count_kind(na, 2) + count_kind(nb, 2) +
                           count_kind(na, 6) + count_kind(nb, 6);
    const uint64_t crashes = count_kind(na, 4) + count_kind(nb, 4);
    FT_CHECK_EQ_U64(t.fail, fails);
    FT_CHECK_EQ_U64(t.crash, crashes);
    FT_CHECK_EQ_U64(t.failures, fails + crashes);
    FT_CHECK_EQ_U64(t.pass, count_kind(na, 0) + count_kind(nb, 0));
    FT_CHECK_EQ_U64(t.skipped, count_kind(na, 5) + count_kind(nb, 5));
    FT_CHECK_EQ_U64(t.allowlisted, count_kind(na, 3) + count_kind(nb, 3));
    FT_CHECK_EQ_U64(t.unknown_reason_failures, count_kind(na, 6) + count_kind(nb, 6));
    FT_CHECK_EQ_U64(t.invalid_records, 0);
    FT_CHECK_EQ_U64(t.buckets, 4); /* 3 failure kinds + 1 crash (two addresses, one bucket) */

    /* buckets: counts add up, sorted by count desc then signature */
    uint64_t sum = 0, prev = UINT64_MAX;
    const char *prev_sig = "";
    for (size_t i = 0; i < ftf_failure_index_bucket_count(i1); i++) {
        ftf_bucket_info_t bi;
        FTF_CHECK_STATUS(ftf_failure_index_bucket_at(i1, i, &bi), FTF_OK);
        sum += bi.count;
        FT_CHECK(bi.count < prev || (bi.count == prev && strcmp(prev_sig, bi.signature) < 0));
        prev = bi.count, prev_sig = bi.signature;
        FT_CHECK_STR(bi.representative_file, a); /* first seen: the first file */
        FT_CHECK(ftf_scenario_id_valid(bi.representative));
        FT_CHECK(strstr(bi.representative_replay, "ft-replay ") == bi.representative_replay);
    }
    FT_CHECK_EQ_U64(sum, t.failures);
    ftf_bucket_info_t bi;
    FTF_CHECK_STATUS(ftf_failure_index_bucket_at(i1, 99, &bi), FTF_EINVALID_ARGUMENT);

    /* the JSON parses, and says what the totals say */
    json_error_t err;
    json_t *root = json_loads(j1, JSON_REJECT_DUPLICATES, &err);
    FT_CHECK_MSG(root != NULL, "index JSON: %s at %d", err.text, err.position);
    json_t *root_c = json_loads(j2c, JSON_REJECT_DUPLICATES, &err);
    FT_CHECK(root_c && json_equal(root, root_c));
    FT_CHECK(strchr(j2c, '\n') == j2c + strlen(j2c) - 1);
    json_decref(root_c);
    FT_CHECK_STR(json_string_value(json_object_get(root, "schema")), FTF_FAILURE_INDEX_SCHEMA);
    json_t *buckets = json_object_get(root, "buckets");
    FT_CHECK_EQ_U64(json_array_size(buckets), 4);
    uint64_t members = 0;
    for (size_t i = 0; i < json_array_size(buckets); i++) {
        json_t *bk = json_array_get(buckets, i);
        json_t *ids = json_object_get(bk, "scenarios");
        members += (uint64_t)json_integer_value(json_object_get(bk, "scenario_count"));
        for (size_t k = 1; k < json_array_size(ids); k++) /* sorted */
            FT_CHECK(strcmp(json_string_value(json_array_get(ids, k - 1)), json_string_value(json_array_get(ids, k))) <
                     0);
        FT_CHECK(json_array_size(ids) <= 100);
        FT_CHECK(json_is_object(json_object_get(bk, "first_seen")));
        FT_CHECK_STR(json_string_value(json_object_get(json_object_get(bk, "first_seen"), "start_time")),
                     "2024-02-03T04:05:06Z");
        const char *cls = json_string_value(json_object_get(json_object_get(bk, "triage"), "class"));
        FT_CHECK(cls && strcmp(cls, "unclassified") != 0);
    }
    FT_CHECK_EQ_U64(members, t.failures); /* every failure here has its own id */
    FT_CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(root, "allowlisted"), "count")), t.allowlisted);
    json_t *unk = json_object_get(root, "unknown_reasons");
    FT_CHECK_EQ_U64(json_array_size(unk), 1);
    FT_CHECK_STR(json_string_value(json_object_get(json_array_get(unk, 0), "reason_code")),
                 "frobnicated_beyond_repair");
    json_decref(root);

    /* the member cap: listed ids capped, counts intact */
    ftf_index_options_t io = FTF_INDEX_OPTIONS_INIT;
    io.member_cap = 3;
    ftf_failure_index_t *i4;
    FTF_CHECK_STATUS(ftf_failure_index_build(by_dir, 1, &io, &i4), FTF_OK);
    char *j4 = render(i4, FTF_INDEX_JSON_COMPACT);
    root = json_loads(j4, 0, &err);
    FT_CHECK(root != NULL);
    json_t *b0 = json_array_get(json_object_get(root, "buckets"), 0);
    FT_CHECK_EQ_U64(json_array_size(json_object_get(b0, "scenarios")), 3);
    FT_CHECK(json_is_true(json_object_get(b0, "scenarios_truncated")));
    json_decref(root);
    free(j4);
    ftf_failure_index_free(i4);

    /* written atomically to a file, same bytes */
    const char *out = ftf_test_path("failure-index.json");
    FTF_CHECK_STATUS(ftf_failure_index_write(i1, out), FTF_OK);
    size_t n;
    char *disk = (char *)ftf_test_slurp(out, &n);
    FT_CHECK(disk && n == strlen(j1) && memcmp(disk, j1, n) == 0);
    free(disk);
    free(j1), free(j2), free(j3), free(j2c);
    ftf_failure_index_free(i1), ftf_failure_index_free(i2), ftf_failure_index_free(i3);
    ftf_failure_index_free(NULL);
}

static void index_allowlisted_never_failures(void) {
    const char *log = ftf_test_path("allow.log.gz");
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.sync = FTF_LOG_SYNC_NONE;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(log, &wo, &w), FTF_OK);
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, 5, "t");
    for (unsigned i = 0; i < 40; i++)
        FTF_CHECK_STATUS(write_event(w, run_id, i * N_KINDS + 3, 0), FTF_OK); /* kind 3: allowlisted */
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    ftf_failure_index_t *idx;
    const char *p[] = {log};
    FTF_CHECK_STATUS(ftf_failure_index_build(p, 1, NULL, &idx), FTF_OK);
    ftf_index_totals_t t;
    ftf_failure_index_totals(idx, &t);
    FT_CHECK_EQ_U64(t.allowlisted, 40);
    FT_CHECK_EQ_U64(t.failures, 0);
    FT_CHECK_EQ_U64(t.buckets, 0);
    FT_CHECK_EQ_U64(t.run_headers, 0);
    char *j = render(idx, FTF_INDEX_JSON_COMPACT);
    FT_CHECK(j && strstr(j, "\"drifts\":[{\"drift_id\":\"drift-7\",\"reason_code\":\"allowlisted_drift\","
                            "\"count\":40}]") != NULL);
    FT_CHECK(strstr(j, "\"buckets\":[]") != NULL);
    free(j);
    ftf_failure_index_free(idx);
}

/* Lines the cheap scan cannot decide (escapes, unusual order) are parsed in
 * full; invalid lines are counted, never bucketed. */
static void index_prefilter_defers_to_the_parser(void) {
    const char *log = ftf_test_path("escaped.log.gz");
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.sync = FTF_LOG_SYNC_NONE;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(log, &wo, &w), FTF_OK);
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, 6, "t");
    /* render a failure and a pass, then disguise their outcomes with escapes */
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.run_id = run_id, ev.suite_id = "s", ev.scenario_id = "gen/00000000000000aa", ev.packet_id = "P";
    ev.env_fingerprint = "det64:0123456789abcdef", ev.replay_command = "";
    ev.outcome = FTF_OUTCOME_FAIL, ev.reason_code = "no_kernel";
    ev.scenario = "{}";
    char line[2048], esc[2100];
    size_t n = ftf_event_render(&ev, line, sizeof line);
    FT_CHECK(n > 0 && n < sizeof line);
    char *at = strstr(line, "\"outcome\":\"fail\"");
    FT_CHECK(at != NULL);
    snprintf(esc, sizeof esc, "%.*s\"outcome\":\"f\\u0061il\"%s", (int)(at - line), line, at + 16);
    FTF_CHECK_STATUS(ftf_log_write_record(w, esc, strlen(esc), true, NULL), FTF_OK);
    ev.outcome = FTF_OUTCOME_PASS, ev.seq = 1;
    n = ftf_event_render(&ev, line, sizeof line);
    at = strstr(line, "\"outcome\":\"pass\"");
    FT_CHECK(at != NULL);
    snprintf(esc, sizeof esc, "%.*s\"outc\\u006fme\":\"pass\"%s", (int)(at - line), line, at + 16);
    FTF_CHECK_STATUS(ftf_log_write_record(w, esc, strlen(esc), false, NULL), FTF_OK);
    /* shapes the scan accepts but the parser rejects: not counted as events */
    static const char *const bad[] = {
        "{\"record\":\"event\",\"outcome\":\"fail\"}",
        "{\"record\":\"event\",\"outcome\":\"exploded\"}",
        "{\"record\":\"party\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FTF_CHECK_STATUS(ftf_log_write_record(w, bad[i], strlen(bad[i]), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    ftf_failure_index_t *idx;
    const char *p[] = {log};
    FTF_CHECK_STATUS(ftf_failure_index_build(p, 1, NULL, &idx), FTF_OK);
    ftf_index_totals_t t;
    ftf_failure_index_totals(idx, &t);
    FT_CHECK_EQ_U64(t.records, 5);
    FT_CHECK_EQ_U64(t.events, 2);
    FT_CHECK_EQ_U64(t.fail, 1);
    FT_CHECK_EQ_U64(t.pass, 1);
    FT_CHECK_EQ_U64(t.invalid_records, 3);
    FT_CHECK_EQ_U64(t.buckets, 1);
    ftf_failure_index_free(idx);
    /* the locator indexes the escaped records too */
    ftf_locator_build_stats_t bs;
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, NULL, &bs, NULL), FTF_OK);
    FT_CHECK_EQ_U64(bs.entries, 2);
}

static void index_reports_missing_inputs(void) {
    ftf_failure_index_t *idx = (ftf_failure_index_t *)1;
    const char *p[] = {ftf_test_path("does-not-exist.log.gz")};
    FTF_CHECK_STATUS(ftf_failure_index_build(p, 1, NULL, &idx), FTF_ENOT_FOUND);
    FT_CHECK(idx == NULL);
    FTF_CHECK_STATUS(ftf_failure_index_build(p, 0, NULL, &idx), FTF_EINVALID_ARGUMENT);
    /* not a log at all: indexed as damage, no crash */
    const char *junk = ftf_test_path("junk.gz");
    FT_CHECK(ftf_test_spit(junk, "this is not gzip\n", 17));
    const char *q[] = {junk};
    FTF_CHECK_STATUS(ftf_failure_index_build(q, 1, NULL, &idx), FTF_OK);
    ftf_index_totals_t t;
    ftf_failure_index_totals(idx, &t);
    FT_CHECK_EQ_U64(t.damaged_files, 1);
    FT_CHECK_EQ_U64(t.records, 0);
    ftf_failure_index_free(idx);
    /* empty file */
    FT_CHECK(ftf_test_spit(junk, "", 0));
    FTF_CHECK_STATUS(ftf_failure_index_build(q, 1, NULL, &idx), FTF_OK);
    ftf_failure_index_free(idx);
}

/* Records the reader returns for `path`: the intact ones. */
static uint64_t readable_records(const char *path, uint64_t *failures) {
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(&path, 1, NULL, &r) != FTF_OK)
        return 0;
    ftf_log_record_t rec;
    uint64_t n = 0;
    *failures = 0;
    while (ftf_log_reader_next(r, &rec) == 1) {
        n++;
        if (strstr(rec.line, "\"outcome\":\"fail\"") || strstr(rec.line, "\"outcome\":\"crash\""))
            (*failures)++;
    }
    ftf_log_reader_free(r);
    return n;
}

static void index_damaged_logs_indexed_and_recovered(void) {
    const char *clean = ftf_test_path("clean.log.gz");
    const unsigned nev = 400;
    FTF_CHECK_STATUS(write_shard(clean, 3, nev), FTF_OK);
    size_t n;
    unsigned char *orig = ftf_test_slurp(clean, &n);
    FT_CHECK(orig && n > 2000);
    unsigned char *d = malloc(n + 64);
    FT_CHECK(d != NULL);
    const char *damaged = ftf_test_path("damaged.log.gz"), *rec = ftf_test_path("recovered.log.gz");
    enum { TRUNCATED, JUNK, BITFLIP, NCASES };
    for (int c = 0; c < NCASES; c++) {
        memcpy(d, orig, n);
        size_t len = n;
        if (c == TRUNCATED)
            len = n * 2 / 3;
        else if (c == JUNK) {
            memcpy(d + n, "GARBAGE GARBAGE GARBAGE GARBAGE", 31);
            len = n + 31;
        } else {
            d[n / 2] ^= 0x04;
            d[n / 3] ^= 0x80;
        }
        FT_CHECK(ftf_test_spit(damaged, d, len));
        uint64_t want_fail;
        const uint64_t want = readable_records(damaged, &want_fail);
        FT_CHECK_MSG(c == JUNK ? want == nev + 1 : want < nev + 1, "case %d: %llu readable", c,
                     (unsigned long long)want);
        ftf_failure_index_t *idx;
        const char *p[] = {damaged};
        FTF_CHECK_STATUS(ftf_failure_index_build(p, 1, NULL, &idx), FTF_OK);
        ftf_index_totals_t t;
        ftf_failure_index_totals(idx, &t);
        FT_CHECK_EQ_U64(t.damaged_files, 1);
        FT_CHECK_EQ_U64(t.records, want);
        FT_CHECK_EQ_U64(t.failures, want_fail);
        char *j = render(idx, FTF_INDEX_JSON_COMPACT);
        json_error_t err;
        json_t *root = j ? json_loads(j, 0, &err) : NULL;
        FT_CHECK(root != NULL);
        json_t *in0 = json_array_get(json_object_get(root, "inputs"), 0);
        FT_CHECK(json_is_true(json_object_get(in0, "damaged")));
        const char *first = json_string_value(json_object_get(json_object_get(in0, "damage"), "first_damage"));
        FT_CHECK(first && strcmp(first, "none") != 0);
        json_decref(root);
        free(j);
        ftf_failure_index_free(idx);

        /* recover: every intact record, into a valid log */
        unlink(rec);
        ftf_log_report_t rep;
        uint64_t copied = 0;
        FTF_CHECK_STATUS(ftf_log_recover(p, 1, rec, NULL, NULL, &rep, &copied), FTF_OK);
        FT_CHECK_EQ_U64(copied, want);
        FTF_CHECK_STATUS(ftf_log_verify(rec, NULL, NULL), FTF_OK);
        uint64_t got_fail;
        FT_CHECK_EQ_U64(readable_records(rec, &got_fail), want);
        FT_CHECK_EQ_U64(got_fail, want_fail);
        /* and the salvaged log indexes like the readable part of the damaged one */
        const char *pr[] = {rec};
        FTF_CHECK_STATUS(ftf_failure_index_build(pr, 1, NULL, &idx), FTF_OK);
        ftf_index_totals_t t2;
        ftf_failure_index_totals(idx, &t2);
        FT_CHECK_EQ_U64(t2.damaged_files, 0);
        FT_CHECK_EQ_U64(t2.failures, t.failures);
        FT_CHECK_EQ_U64(t2.buckets, t.buckets);
        ftf_failure_index_free(idx);
        /* the damaged log's locator covers the readable records */
        ftf_locator_build_stats_t bs;
        FTF_CHECK_STATUS(ftf_locator_build_from_log(damaged, NULL, &bs, NULL), FTF_OK);
        FT_CHECK(bs.damaged);
        FT_CHECK_EQ_U64(bs.records, want);
    }
    free(d);
    free(orig);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(triage_table_covers_every_reason_code), FT_CASE(triage_normalises_frames_and_crash_types),
        FT_CASE(triage_signature_same_bug_same_bucket), FT_CASE(index_merges_two_shards_deterministically),
        FT_CASE(index_allowlisted_never_failures),      FT_CASE(index_prefilter_defers_to_the_parser),
        FT_CASE(index_reports_missing_inputs),          FT_CASE(index_damaged_logs_indexed_and_recovered),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
