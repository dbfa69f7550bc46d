/* The session sink and the writer never go silent (issue 7, items 1 and 3):
 * an entry too large for a member (a 14,000-node backward) is written with a
 * side artifact, a non-UTF-8 op name is recorded, and the entries after either
 * are recorded too; without an artifact store parts are elided, visibly; only
 * an I/O error of the log is sticky, and it is counted. Side artifacts
 * themselves, the last-resort record, and the grouped fsync policy. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <fcntl.h>

#include "ft/ft.h"
#include "ftf/artifact.h"
#include "ftf/log.h"
#include "test_log_util.h"

static ftf_event_context_t test_ctx(void) {
    ftf_event_context_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.run_id = "run-0123456789abcdef";
    ctx.suite_id = "sink_spill";
    ctx.packet_id = "FT-P2C-002";
    ctx.fixture_id = "none";
    ctx.env_fingerprint = "det64:0123456789abcdef";
    ctx.replay_command = "ft-replay --session";
    ctx.mode = FT_MODE_STRICT;
    return ctx;
}

/* A session whose ledger goes to `sink`. */
static ft_session_t *sink_session(ftf_log_session_sink_t *sink) {
    ft_session_options_t so = FT_SESSION_OPTIONS_INIT;
    so.sink = ftf_log_session_sink;
    so.sink_payload = sink;
    ft_session_t *s = NULL;
    return ft_session_new(&so, &s) == FT_OK ? s : NULL;
}

/* x, then y = x + x + ... (`nodes` adds), then backward from y: a backward
 * entry whose order lists `nodes` nodes. Returns the backward's status. */
static ft_status chain_backward(ft_session_t *s, unsigned nodes) {
    ft_var_t x, y;
    ft_status st = ft_session_leaf(s, 0.5, FT_DTYPE_F64, true, &x);
    y = x;
    for (unsigned i = 0; i < nodes && st == FT_OK; i++)
        st = ft_session_call(s, "add", y, x, &y);
    return st == FT_OK ? ft_session_backward(s, y, false, NULL) : st;
}

/* Every record of `path` parsed; counts, and the backward event's scenario
 * text and artifact refs (copied) when `want_kind` is found in a scenario. */
typedef struct {
    uint64_t events, fails, next_seq;
    bool seq_in_order;
    bool damaged;
    char scenario[512];     /* the (stub) scenario of the last event whose scenario has `mark` */
    char ref[512];          /* its last artifact ref */
    char last_scenario[64]; /* first bytes of the last event's scenario */
} readback_t;

static readback_t read_events(const char *path, const char *mark) {
    readback_t rb;
    memset(&rb, 0, sizeof rb);
    rb.seq_in_order = true;
    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.validate_json = true; /* jansson: valid UTF-8 and JSON, every line */
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(&path, 1, &ro, &r) != FTF_OK) {
        rb.damaged = true;
        return rb;
    }
    ftf_log_record_t rec;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    while (ftf_log_reader_next(r, &rec) == 1) {
        ftf_event_t ev;
        if (ftf_event_parse(rec.line, rec.len, &ev, &st, NULL) != FTF_OK) {
            rb.damaged = true;
            continue;
        }
        rb.seq_in_order = rb.seq_in_order && ev.seq == rb.next_seq;
        rb.next_seq = ev.seq + 1;
        rb.events++;
        rb.fails += ev.outcome == FTF_OUTCOME_FAIL;
        snprintf(rb.last_scenario, sizeof rb.last_scenario, "%s", ev.scenario ? ev.scenario : "");
        if (mark && ev.scenario && strstr(ev.scenario, mark)) {
            snprintf(rb.scenario, sizeof rb.scenario, "%s", ev.scenario);
            rb.ref[0] = '\0';
            if (ev.artifact_ref_count)
                snprintf(rb.ref, sizeof rb.ref, "%s", ev.artifact_refs[ev.artifact_ref_count - 1]);
        }
    }
    ftf_event_storage_dispose(&st);
    rb.damaged = rb.damaged || ftf_log_report_damaged(ftf_log_reader_report(r));
    ftf_log_reader_free(r);
    return rb;
}

/* The backward entry of a session as the sink renders its scenario. */
static char *backward_scenario(const ft_session_t *s, size_t *len) {
    for (size_t i = 0; i < ft_session_evidence_count(s); i++) {
        const ft_evidence_t *e = ft_session_evidence_at(s, i);
        if (e->kind != FT_EVIDENCE_BACKWARD)
            continue;
        const size_t n = ft_evidence_json(e, NULL, 0);
        char *buf = malloc(n + 1);
        if (buf)
            ft_evidence_json(e, buf, n + 1);
        *len = n;
        return buf;
    }
    return NULL;
}

/* The case: a backward over 14,000 nodes renders a record far over a
 * member (its order alone is ~80 KB). It is written, its scenario in a side
 * artifact named from the record; the entries after it are written too. */
static void sink_records_14000_node_backward_with_side_artifact(void) {
    const char *path = ftf_test_path("backward.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    FT_CHECK(ftf_log_writer_artifacts(w) != NULL);
    const ftf_event_context_t ctx = test_ctx();
    ftf_log_session_sink_t sink;
    ftf_log_session_sink_init(&sink, w, &ctx);
    ft_session_t *s = sink_session(&sink);
    FT_CHECK(s != NULL);
    FT_CHECK(chain_backward(s, 14000) == FT_OK);
    ft_var_t a, b;
    FT_CHECK(ft_session_leaf(s, 1.0, FT_DTYPE_F64, false, &a) == FT_OK);
    FT_CHECK(ft_session_call(s, "mul", a, a, &b) == FT_OK);      /* after the backward: */
    FT_CHECK(ft_session_backward(s, b, false, NULL) != FT_OK);   /* a failure */
    FT_CHECK(ft_session_set_mode(s, FT_MODE_HARDENED) == FT_OK); /* and a pass */
    size_t want_len = 0;
    char *want = backward_scenario(s, &want_len);
    FT_CHECK(want != NULL && want_len > FTF_RECORD_MAX_LEN);
    const uint64_t entries = ft_session_evidence_count(s);
    ft_session_free(s);

    FTF_CHECK_STATUS(ftf_log_session_sink_status(&sink), FTF_OK);
    FTF_CHECK_STATUS(sink.status, FTF_OK);
    FT_CHECK_EQ_U64(sink.written, entries);
    FT_CHECK_EQ_U64(sink.dropped, 0);
    FT_CHECK_EQ_U64(sink.degraded, 0);
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    FT_CHECK_EQ_U64(ws.spilled, 1);
    FT_CHECK_EQ_U64(ws.elided, 0);
    FT_CHECK_EQ_U64(ws.artifacts, 1);
    ftf_log_session_sink_dispose(&sink);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, NULL), FTF_OK);

    const readback_t rb = read_events(path, "\"ftf_artifact\"");
    FT_CHECK(!rb.damaged && rb.seq_in_order);
    FT_CHECK_EQ_U64(rb.events, entries);
    FT_CHECK_EQ_U64(rb.fails, 1);
    FT_CHECK(strncmp(rb.last_scenario, "{\"seq\":", 7) == 0); /* the mode change, inline */
    /* the stub names the artifact, which is the scenario, byte for byte */
    FT_CHECK_MSG(strstr(rb.scenario, "\"part\":\"scenario\"") != NULL, "stub: %s", rb.scenario);
    FT_CHECK(strncmp(rb.ref, "backward.log.gz.artifacts/", 26) == 0 && ftf_artifact_ref_valid(rb.ref));
    FT_CHECK(strstr(rb.scenario, rb.ref) != NULL);
    char bytes[48];
    snprintf(bytes, sizeof bytes, "\"bytes\":%zu}", want_len);
    FT_CHECK(strstr(rb.scenario, bytes) != NULL);
    char *got = NULL;
    size_t got_len = 0;
    FTF_CHECK_STATUS(ftf_artifact_read(path, rb.ref, &got, &got_len), FTF_OK);
    FT_CHECK(got_len == want_len && memcmp(got, want, want_len) == 0);
    FT_CHECK(strstr(got, "\"kind\":\"backward\"") != NULL && strstr(got, "\"steps\":14000") != NULL);
    free(got);
    free(want);
}

/* A caller's op name that is not UTF-8 ("bad\xff"): the failing call is
 * recorded, its bytes escaped by the one rule (ft/json_text.h), and the calls
 * after it are recorded too. */
static void sink_records_non_utf8_op_name_and_what_follows(void) {
    const char *path = ftf_test_path("badop.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    const ftf_event_context_t ctx = test_ctx();
    ftf_log_session_sink_t sink;
    ftf_log_session_sink_init(&sink, w, &ctx);
    ft_session_t *s = sink_session(&sink);
    FT_CHECK(s != NULL);
    ft_var_t x, y, z;
    FT_CHECK(ft_session_leaf(s, 2.0, FT_DTYPE_F64, true, &x) == FT_OK);
    FT_CHECK(ft_session_call(s, "bad\xff", x, x, &y) != FT_OK);
    FT_CHECK(ft_session_call(s, "add", x, x, &z) == FT_OK);
    FT_CHECK(ft_session_call(s, "\xc3(\xfe", x, z, &y) != FT_OK);
    FT_CHECK(ft_session_call(s, "mul", z, x, &y) == FT_OK);
    ft_session_free(s);
    FTF_CHECK_STATUS(ftf_log_session_sink_status(&sink), FTF_OK);
    FT_CHECK_EQ_U64(sink.written, 4);
    FT_CHECK_EQ_U64(sink.dropped, 0);
    ftf_log_session_sink_dispose(&sink);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    const readback_t rb = read_events(path, "bad\\u00ff");
    FT_CHECK(!rb.damaged && rb.seq_in_order);
    FT_CHECK_EQ_U64(rb.events, 4);
    FT_CHECK_EQ_U64(rb.fails, 2);
    FT_CHECK_MSG(strstr(rb.scenario, "\"op\":\"bad\\u00ff\"") != NULL, "scenario: %s", rb.scenario);
}

/* A writer on a descriptor has no artifact store: the oversized entry is
 * still written, its scenario elided with an explicit stub, and the loss is
 * visible — degraded count, last status and message on the sink, elided count
 * and last error on the writer. The entries after it are written in full. */
static void sink_without_store_elides_visibly_and_goes_on(void) {
    const char *path = ftf_test_path("nostore.log.gz");
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FT_CHECK(fd >= 0);
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 4096; /* a 1,000-node backward is then too large */
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open_fd(fd, true, &o, &w), FTF_OK);
    FT_CHECK(ftf_log_writer_artifacts(w) == NULL);
    const ftf_event_context_t ctx = test_ctx();
    ftf_log_session_sink_t sink;
    ftf_log_session_sink_init(&sink, w, &ctx);
    ft_session_t *s = sink_session(&sink);
    FT_CHECK(s != NULL);
    FT_CHECK(chain_backward(s, 1000) == FT_OK);
    FTF_CHECK_STATUS(ftf_log_session_sink_status(&sink), FTF_ELINE_TOO_LONG);
    FT_CHECK_EQ_U64(sink.degraded, 1);
    FT_CHECK_MSG(strstr(sink.last_error, "scenario") && strstr(sink.last_error, "no artifact store"), "%s",
                 sink.last_error);
    ft_var_t a, b;
    FT_CHECK(ft_session_leaf(s, 1.0, FT_DTYPE_F64, false, &a) == FT_OK);
    FT_CHECK(ft_session_call(s, "nope", a, a, &b) != FT_OK);
    FT_CHECK(ft_session_call(s, "mul", a, a, &b) == FT_OK);
    const uint64_t entries = ft_session_evidence_count(s);
    ft_session_free(s);
    FT_CHECK_EQ_U64(sink.written, entries);
    FT_CHECK_EQ_U64(sink.dropped, 0);
    FT_CHECK_EQ_U64(sink.degraded, 1);
    FTF_CHECK_STATUS(sink.status, FTF_ELINE_TOO_LONG);
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    FT_CHECK_EQ_U64(ws.elided, 1);
    FT_CHECK_EQ_U64(ws.spilled, 0);
    FTF_CHECK_STATUS(ftf_log_writer_last_error(w), FTF_ELINE_TOO_LONG);
    ftf_log_session_sink_dispose(&sink);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK); /* an elided part is not an error of the log */
    const readback_t rb = read_events(path, "\"ftf_elided\"");
    FT_CHECK(!rb.damaged && rb.seq_in_order);
    FT_CHECK_EQ_U64(rb.events, entries);
    FT_CHECK_EQ_U64(rb.fails, 1);
    FT_CHECK_MSG(strstr(rb.scenario, "{\"ftf_elided\":\"no_artifact_store\",\"part\":\"scenario\",\"sha1\":\"") ==
                     rb.scenario,
                 "stub: %s", rb.scenario);
    FT_CHECK(rb.ref[0] == '\0');
    ftf_artifact_store_t *def;
    FTF_CHECK_STATUS(ftf_artifact_store_for_log(path, &def), FTF_OK);
    FT_CHECK(access(ftf_artifact_store_dir(def), F_OK) != 0); /* no directory was made */
    ftf_artifact_store_free(def);
}

/* An I/O error of the log is the one sticky problem: every later entry is
 * dropped — counted, with the error on the sink — never silently. */
static void sink_io_error_is_sticky_and_counted(void) {
    const int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        printf("  (no /dev/full: skipped)\n");
        return;
    }
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.sync = FTF_LOG_SYNC_NONE;
    o.max_age_ms = 0;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open_fd(fd, true, &o, &w), FTF_OK);
    const ftf_event_context_t ctx = test_ctx();
    ftf_log_session_sink_t sink;
    ftf_log_session_sink_init(&sink, w, &ctx);
    ft_session_t *s = sink_session(&sink);
    FT_CHECK(s != NULL);
    ft_var_t x, y;
    FT_CHECK(ft_session_leaf(s, 2.0, FT_DTYPE_F64, false, &x) == FT_OK);
    FT_CHECK(ft_session_call(s, "add", x, x, &y) == FT_OK); /* buffered in the open member */
    FTF_CHECK_STATUS(ftf_log_session_sink_status(&sink), FTF_OK);
    FT_CHECK(ft_session_call(s, "nope", x, x, &y) != FT_OK); /* a failure: its member is written, and fails */
    FTF_CHECK_STATUS(ftf_log_session_sink_status(&sink), FTF_EIO);
    FT_CHECK_MSG(strstr(sink.last_error, "seq 1 dropped") && strstr(sink.last_error, "No space"), "%s",
                 sink.last_error);
    for (int i = 0; i < 5; i++)
        FT_CHECK(ft_session_call(s, "add", x, x, &y) == FT_OK);
    ft_session_free(s);
    FT_CHECK_EQ_U64(sink.written, 1);
    FT_CHECK_EQ_U64(sink.dropped, 6);
    FT_CHECK_EQ_U64(sink.next_seq, 7);
    FTF_CHECK_STATUS(sink.status, FTF_EIO);
    ftf_log_session_sink_dispose(&sink);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_EIO);
}

/* An event with a common, valid shape for the direct writer tests. */
static void base_event(ftf_event_t *ev, uint64_t seq) {
    ftf_event_init(ev);
    ev->seq = seq;
    ev->run_id = "run-0123456789abcdef";
    ev->suite_id = "spill";
    ev->scenario_id = "gen/0123456789abcdef";
    ev->packet_id = "FT-P2C-002";
    ev->env_fingerprint = "det64:0123456789abcdef";
    ev->replay_command = "ft-replay";
    ev->outcome = FTF_OUTCOME_FAIL;
    ev->reason_code = "value_mismatch";
    ev->scenario = "{\"kind\":\"spill\"}";
}

/* A JSON array text of about `bytes` bytes, different per `tag`. */
static char *json_array(size_t bytes, unsigned tag) {
    char *s = malloc(bytes + 32);
    if (!s)
        return NULL;
    size_t n = (size_t)snprintf(s, 32, "[%u", tag);
    while (n < bytes)
        n += (size_t)snprintf(s + n, 32, ",%zu", n % 100000);
    s[n++] = ']';
    s[n] = '\0';
    return s;
}

/* Direct ftf_log_write_event: the largest parts go first and only as many as
 * needed; a fuzz input goes by input_ref, its artifact holding the input
 * itself (named by its SHA-1); artifact_refs keeps the caller's refs first. */
static void writer_spills_largest_parts_first_and_only_what_is_needed(void) {
    const char *path = ftf_test_path("parts.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    char *expected = json_array(70000, 1), *observed = json_array(50000, 2), *big = json_array(20000, 3);
    char *scenario = malloc(20100);
    FT_CHECK(expected && observed && big && scenario);
    snprintf(scenario, 20100, "{\"big\":%s}", big);
    ftf_event_t ev;
    base_event(&ev, 0);
    const char *caller_refs[] = {"corpus/seed-1"};
    ev.artifact_refs = caller_refs;
    ev.artifact_ref_count = 1;
    ev.has_differential = true;
    ev.differential.comparator = "exact";
    ev.differential.expected = expected;
    ev.differential.observed = observed;
    ev.scenario = scenario;
    ftf_log_pos_t pos;
    FTF_CHECK_STATUS(ftf_log_write_event(w, &ev, &pos), FTF_OK);
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    FT_CHECK_EQ_U64(ws.spilled, 1);
    /* expected (70 KB) alone is over a member; observed (50 KB) and the scenario (20 KB) too; the
     * scenario alone fits, so it stays */
    FT_CHECK_EQ_U64(ws.artifacts, 2);

    /* a fuzz finding with a 60 KB input */
    const size_t in_len = 60000;
    unsigned char *input = malloc(in_len);
    FT_CHECK(input != NULL);
    uint64_t seed = 7;
    for (size_t i = 0; i < in_len; i++)
        input[i] = (unsigned char)ft_test_rand(&seed);
    const size_t b64_len = ftf_base64_encode(input, in_len, NULL, 0);
    char *b64 = malloc(b64_len + 1);
    FT_CHECK(b64 != NULL);
    ftf_base64_encode(input, in_len, b64, b64_len + 1);
    char sha1[FTF_SHA1_HEX_SIZE];
    ftf_sha1_hex(input, in_len, sha1);
    ftf_event_t fz;
    base_event(&fz, 1);
    fz.outcome = FTF_OUTCOME_CRASH;
    fz.reason_code = "heap-buffer-overflow";
    fz.has_fuzz = true;
    fz.fuzz.target = "keyset_parse";
    fz.fuzz.engine = FTF_ENGINE_LIBFUZZER;
    fz.fuzz.input_sha1 = sha1;
    fz.fuzz.input_b64 = b64;
    ftf_log_pos_t fpos;
    FTF_CHECK_STATUS(ftf_log_write_event(w, &fz, &fpos), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);

    /* read both back */
    char *line = NULL;
    size_t len = 0;
    FTF_CHECK_STATUS(ftf_log_read_at(path, pos.member_offset, pos.offset, &line, &len), FTF_OK);
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_event_t got;
    FTF_CHECK_STATUS(ftf_event_parse(line, len, &got, &st, NULL), FTF_OK);
    FT_CHECK_EQ_U64(got.artifact_ref_count, 3);
    FT_CHECK_STR(got.artifact_refs[0], "corpus/seed-1");
    FT_CHECK_STR(got.scenario, scenario); /* small enough to stay */
    FT_CHECK(strstr(got.differential.expected, "\"part\":\"expected\"") != NULL);
    FT_CHECK(strstr(got.differential.observed, "\"part\":\"observed\"") != NULL);
    char *art = NULL;
    size_t art_len = 0;
    FTF_CHECK_STATUS(ftf_artifact_read(path, got.artifact_refs[1], &art, &art_len), FTF_OK);
    FT_CHECK(art_len == strlen(expected) && memcmp(art, expected, art_len) == 0);
    free(art);
    FTF_CHECK_STATUS(ftf_artifact_read(path, got.artifact_refs[2], &art, &art_len), FTF_OK);
    FT_CHECK(art_len == strlen(observed) && memcmp(art, observed, art_len) == 0);
    free(art);
    free(line);

    FTF_CHECK_STATUS(ftf_log_read_at(path, fpos.member_offset, fpos.offset, &line, &len), FTF_OK);
    FTF_CHECK_STATUS(ftf_event_parse(line, len, &got, &st, NULL), FTF_OK);
    FT_CHECK(got.has_fuzz && got.fuzz.input_b64 == NULL && got.fuzz.input_ref != NULL);
    FT_CHECK(strstr(got.fuzz.input_ref, sha1) != NULL && strstr(got.fuzz.input_ref, ".bin") != NULL);
    FT_CHECK_EQ_U64(got.artifact_ref_count, 1);
    FT_CHECK_STR(got.artifact_refs[0], got.fuzz.input_ref);
    FT_CHECK_EQ_INT(got.outcome, FTF_OUTCOME_CRASH);
    FTF_CHECK_STATUS(ftf_artifact_read(path, got.fuzz.input_ref, &art, &art_len), FTF_OK);
    FT_CHECK(art_len == in_len && memcmp(art, input, in_len) == 0);
    free(art);
    free(line);
    ftf_event_storage_dispose(&st);
    free(input);
    free(b64);
    free(expected);
    free(observed);
    free(big);
    free(scenario);
}

static size_t count_files(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Caller strings of many KiB (here the replay command): no part spilling is
 * enough, so the whole line goes to one artifact and the record keeps the
 * common fields, cut; outcome and reason survive; no other artifact is made. */
static void writer_last_resort_keeps_common_fields_and_whole_line(void) {
    const char *path = ftf_test_path("huge.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    const size_t n = 100000;
    char *replay = malloc(n + 1);
    char *scenario = json_array(30000, 3);
    FT_CHECK(replay && scenario);
    for (size_t i = 0; i < n; i++)
        replay[i] = i % 3 ? 'r' : '\xe2'; /* invalid UTF-8 throughout: escaped, and 6x longer */
    replay[n] = '\0';
    char *sc = malloc(strlen(scenario) + 16);
    FT_CHECK(sc != NULL);
    sprintf(sc, "{\"a\":%s}", scenario);
    ftf_event_t ev;
    base_event(&ev, 5);
    ev.replay_command = replay;
    ev.scenario = sc;
    ftf_buf_t full = FTF_BUF_INIT;
    FTF_CHECK_STATUS(ftf_event_render_buf(&ev, &full), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_write_event(w, &ev, NULL), FTF_OK);
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    FT_CHECK_EQ_U64(ws.spilled, 1);
    FT_CHECK_EQ_U64(ws.artifacts, 1);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);

    const readback_t rb = read_events(path, "\"ftf_artifact\"");
    FT_CHECK(!rb.damaged);
    FT_CHECK_EQ_U64(rb.events, 1);
    FT_CHECK_EQ_U64(rb.fails, 1);
    FT_CHECK_MSG(strstr(rb.scenario, "\"part\":\"record\"") != NULL, "stub: %s", rb.scenario);
    char *art = NULL;
    size_t art_len = 0;
    FTF_CHECK_STATUS(ftf_artifact_read(path, rb.ref, &art, &art_len), FTF_OK);
    FT_CHECK(art_len == full.len && memcmp(art, full.data, full.len) == 0);
    free(art);
    ftf_artifact_store_t *def;
    FTF_CHECK_STATUS(ftf_artifact_store_for_log(path, &def), FTF_OK);
    FT_CHECK_EQ_U64(count_files(ftf_artifact_store_dir(def)), 1); /* no orphaned part artifacts */
    ftf_artifact_store_free(def);
    /* the cut replay command is marked; the record is small */
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
    ftf_log_record_t rec;
    FT_CHECK(ftf_log_reader_next(r, &rec) == 1);
    const bool cut_marked = strstr(rec.line, "...(cut)\"") != NULL;
    const bool reason_kept = strstr(rec.line, "\"reason_code\":\"value_mismatch\"") != NULL;
    const size_t len = rec.len;
    ftf_log_reader_free(r);
    FT_CHECK(cut_marked && reason_kept && len < 4096);
    ftf_buf_dispose(&full);
    free(replay);
    free(scenario);
    free(sc);
}

/* A store that cannot be written (its parent is a file): the part is elided
 * with the store's error, the record is written, the writer stays usable. */
static void writer_failed_put_elides_with_the_store_error(void) {
    const char *blocker = ftf_test_path("not-a-dir");
    FT_CHECK(ftf_test_spit(blocker, "x", 1));
    char dir[256];
    snprintf(dir, sizeof dir, "%s/artifacts", blocker);
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.artifact_dir = dir;
    const char *path = ftf_test_path("failedput.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_OK);
    char *scenario = json_array(80000, 4);
    char *sc = malloc(strlen(scenario) + 16);
    FT_CHECK(scenario && sc);
    sprintf(sc, "{\"a\":%s}", scenario);
    ftf_event_t ev;
    base_event(&ev, 0);
    ev.scenario = sc;
    FTF_CHECK_STATUS(ftf_log_write_event(w, &ev, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_last_error(w), FTF_EIO);
    FT_CHECK_MSG(strstr(ftf_log_writer_errmsg(w), "mkdir") != NULL, "%s", ftf_log_writer_errmsg(w));
    base_event(&ev, 1);
    FTF_CHECK_STATUS(ftf_log_write_event(w, &ev, NULL), FTF_OK);
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    FT_CHECK_EQ_U64(ws.elided, 1);
    FT_CHECK_EQ_U64(ws.records, 2);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    const readback_t rb = read_events(path, "\"ftf_elided\":\"artifact_write_failed\"");
    FT_CHECK(!rb.damaged && rb.seq_in_order);
    FT_CHECK_EQ_U64(rb.events, 2);
    FT_CHECK(rb.scenario[0] != '\0');
    free(scenario);
    free(sc);
}

/* The store: content-addressed names, one file per content, references of the
 * documented shape, read back with the SHA-1 checked, hostile refs refused. */
static void artifact_store_put_read_and_refs(void) {
    ftf_artifact_store_t *s;
    const char *dir = ftf_test_path("store");
    FTF_CHECK_STATUS(ftf_artifact_store_open(dir, &s), FTF_OK);
    ftf_buf_t ref = FTF_BUF_INIT;
    char sha1[FTF_SHA1_HEX_SIZE];
    FTF_CHECK_STATUS(ftf_artifact_put(s, "hello", 5, "bin", &ref, sha1), FTF_OK);
    FT_CHECK_STR(sha1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    char want[300];
    snprintf(want, sizeof want, "%s/aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d.bin", dir);
    FT_CHECK_STR(ref.data, want);
    snprintf(want, sizeof want, "%s/", dir);
    FT_CHECK_STR(ftf_artifact_store_ref_prefix(s), want);
    FTF_CHECK_STATUS(ftf_artifact_put(s, "hello", 5, "bin", NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_artifact_put(s, "", 0, "json", &ref, NULL), FTF_OK);
    FT_CHECK_EQ_U64(ftf_artifact_store_written(s), 2);
    FT_CHECK_EQ_U64(count_files(dir), 2);
    FTF_CHECK_STATUS(ftf_artifact_put(s, "x", 1, "", NULL, NULL), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_artifact_put(s, "x", 1, "a/b", NULL, NULL), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_artifact_put(s, "x", 1, "jsonjsonjsonjsonx", NULL, NULL), FTF_EINVALID_ARGUMENT);
    ftf_artifact_store_free(s);
    ftf_artifact_store_free(NULL);

    /* absolute refs are read as they are; content is checked against the name */
    char *data;
    size_t len;
    snprintf(want, sizeof want, "%s/aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d.bin", dir);
    FTF_CHECK_STATUS(ftf_artifact_read("/elsewhere/x.log.gz", want, &data, &len), FTF_OK);
    FT_CHECK(len == 5 && memcmp(data, "hello", 5) == 0 && data[5] == '\0');
    free(data);
    FT_CHECK(ftf_test_spit(want, "hellO", 5));
    FTF_CHECK_STATUS(ftf_artifact_read("x.log.gz", want, &data, &len), FTF_ECORRUPT);
    FT_CHECK(data == NULL);
    snprintf(want, sizeof want, "%s/bbf4c61ddcc5e8a2dabede0f3b482cd9aea9434d.bin", dir);
    FTF_CHECK_STATUS(ftf_artifact_read("x.log.gz", want, &data, &len), FTF_ENOT_FOUND);

    /* a log's default store sits beside it; refs are relative to its directory */
    const char *log = ftf_test_path("dir.log.gz");
    FTF_CHECK_STATUS(ftf_artifact_store_for_log(log, &s), FTF_OK);
    FTF_CHECK_STATUS(ftf_artifact_put(s, "{}", 2, "json", &ref, NULL), FTF_OK);
    FT_CHECK_STR(ref.data, "dir.log.gz.artifacts/bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.json");
    FTF_CHECK_STATUS(ftf_artifact_read(log, ref.data, &data, &len), FTF_OK);
    FT_CHECK(len == 2 && memcmp(data, "{}", 2) == 0);
    free(data);
    ftf_artifact_store_free(s);
    ftf_buf_dispose(&ref);

    static const char *const bad[] = {
        "",
        "x.json",
        "../bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.json",
        "a/./bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.json",
        "a/BF21a9e8fbc5a3846fb05b4fa0859e0917b2202f.json",
        "a/bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f",
        "a/bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.",
        "a/bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.JSON",
        "ftf-elided:no_artifact_store",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FT_CHECK_MSG(!ftf_artifact_ref_valid(bad[i]), "accepted \"%s\"", bad[i]);
    FT_CHECK(ftf_artifact_ref_valid("bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.json"));
    FT_CHECK(ftf_artifact_ref_valid("/abs/x.artifacts/bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.bin"));
    FTF_CHECK_STATUS(ftf_artifact_read("x.log.gz", "../x/bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f.json", &data, &len),
                     FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_artifact_store_for_log("dir/", &s), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_artifact_store_open("", &s), FTF_EINVALID_ARGUMENT);
}

static int64_t fake_now;
static int64_t fake_clock(void *payload) {
    (void)payload;
    return fake_now;
}

static uint64_t syncs(const ftf_log_writer_t *w) {
    ftf_log_writer_stats_t s;
    ftf_log_writer_stats(w, &s);
    return s.syncs;
}

/* GROUPED (the default): each failure closes its member at once, but fsync
 * runs at most once per interval — on the first call after it — and at close.
 * FAILURES keeps one fsync per failure; an interval of 0 means the same. */
static void writer_grouped_sync_at_most_once_per_interval(void) {
    const char *path = ftf_test_path("grouped.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    FT_CHECK_EQ_INT(o.sync, FTF_LOG_SYNC_GROUPED);
    FT_CHECK_EQ_INT(o.sync_interval_ms, 100);
    o.clock = fake_clock;
    o.max_age_ms = 0;
    fake_now = 5000;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_OK);
    const char *fail_line = "{\"outcome\":\"fail\"}", *pass_line = "{\"outcome\":\"pass\"}";
    FTF_CHECK_STATUS(ftf_log_write_record(w, fail_line, strlen(fail_line), true, NULL), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 1); /* the first failure: at once */
    ftf_log_writer_stats_t s;
    for (int i = 0; i < 50; i++) { /* 50 failures within 49 ms: members written, no fsync */
        fake_now += 1;
        FTF_CHECK_STATUS(ftf_log_write_record(w, fail_line, strlen(fail_line), true, NULL), FTF_OK);
    }
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 51);
    FT_CHECK_EQ_U64(s.syncs, 1);
    fake_now += 49; /* 99 ms after the fsync */
    FTF_CHECK_STATUS(ftf_log_write_record(w, pass_line, strlen(pass_line), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_tick(w), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 1);
    fake_now += 1; /* 100 ms: the pending fsync on the next call, a tick */
    FTF_CHECK_STATUS(ftf_log_writer_tick(w), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 2);
    FTF_CHECK_STATUS(ftf_log_writer_tick(w), FTF_OK); /* nothing pending */
    fake_now += 1000;
    FTF_CHECK_STATUS(ftf_log_writer_tick(w), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 2);
    /* passes alone never fsync; a failure after a quiet interval syncs at once */
    FTF_CHECK_STATUS(ftf_log_write_record(w, pass_line, strlen(pass_line), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_flush(w), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 2);
    FTF_CHECK_STATUS(ftf_log_write_record(w, fail_line, strlen(fail_line), true, NULL), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 3);
    fake_now += 10;
    FTF_CHECK_STATUS(ftf_log_write_record(w, fail_line, strlen(fail_line), true, NULL), FTF_OK);
    FT_CHECK_EQ_U64(syncs(w), 3); /* pending at close: */
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);

    /* FAILURES, and GROUPED with interval 0: one fsync per failure */
    for (int variant = 0; variant < 2; variant++) {
        ftf_log_writer_options_t f = o;
        if (variant == 0)
            f.sync = FTF_LOG_SYNC_FAILURES;
        else
            f.sync_interval_ms = 0;
        FTF_CHECK_STATUS(ftf_log_writer_open(path, &f, &w), FTF_OK);
        for (int i = 0; i < 5; i++)
            FTF_CHECK_STATUS(ftf_log_write_record(w, fail_line, strlen(fail_line), true, NULL), FTF_OK);
        FT_CHECK_EQ_U64(syncs(w), 5);
        FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    }
    ftf_log_writer_options_t bad = o;
    bad.sync_interval_ms = -1;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &bad, &w), FTF_EINVALID_ARGUMENT);
    bad = o;
    bad.sync = (ftf_log_sync_t)4;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &bad, &w), FTF_EINVALID_ARGUMENT);
}

/* The first data member of `path`: its deflate data's first byte and its
 * BSIZE + 1. */
static bool first_member(const char *path, unsigned *first_byte, size_t *size) {
    size_t len = 0;
    unsigned char *buf = ftf_test_slurp(path, &len);
    const bool ok = buf && len > 18;
    if (ok) {
        *first_byte = buf[18];
        *size = (size_t)(buf[16] | buf[17] << 8) + 1;
    }
    free(buf);
    return ok;
}

/* A member closed by a failure under store_below (a lone failure record) is
 * written as one stored deflate block — header byte 0x01: final, BTYPE 00 — a
 * valid member that every reader inflates; one at or over it is compressed,
 * and so is a small member closed otherwise (flush); store_below 0 compresses
 * every member. */
static void writer_stores_lone_records_and_deflates_full_members(void) {
    const char *path = ftf_test_path("stored.log.gz");
    char line[2048];
    int n = snprintf(line, sizeof line, "{\"outcome\":\"fail\",\"pad\":\"");
    while (n < 1500)
        line[n++] = 'a';
    n += snprintf(line + n, sizeof line - (size_t)n, "\"}");
    for (int variant = 0; variant < 3; variant++) {
        ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
        FT_CHECK_EQ_U64(o.store_below, 4096);
        if (variant == 1)
            o.store_below = 0;
        if (variant == 2)
            o.store_below = 1000; /* the 1,501-byte member is over it */
        ftf_log_writer_t *w;
        FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_OK);
        FTF_CHECK_STATUS(ftf_log_write_record(w, line, (size_t)n, true, NULL), FTF_OK);
        for (int i = 0; i < 40; i++) /* a full-size member of passes after it */
            FTF_CHECK_STATUS(ftf_log_write_record(w, line, (size_t)n, false, NULL), FTF_OK);
        FTF_CHECK_STATUS(ftf_log_writer_flush(w), FTF_OK);
        FTF_CHECK_STATUS(ftf_log_write_record(w, line, (size_t)n, false, NULL), FTF_OK); /* small, flushed */
        FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
        unsigned b0 = 0;
        size_t size = 0;
        FT_CHECK(first_member(path, &b0, &size));
        if (variant == 0) {
            FT_CHECK_EQ_INT(b0, 0x01);
            FT_CHECK_EQ_U64(size, (size_t)n + 1 + 5 + 26); /* data, newline, block header, member overhead */
        } else {
            FT_CHECK(b0 != 0x01 && size < (size_t)n / 4);
        }
        static tl_members_t ms;
        ms.n = 0;
        ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
        ro.on_member = tl_on_member;
        ro.on_member_payload = &ms;
        ftf_log_report_t rep;
        FTF_CHECK_STATUS(ftf_log_verify(path, &ro, &rep), FTF_OK);
        FT_CHECK_EQ_U64(rep.records, 42);
        FT_CHECK_EQ_U64(rep.members, 3);
        FT_CHECK(rep.data_bytes == 42 * ((size_t)n + 1));
        FT_CHECK(ms.n == 4 && ms.m[2].size < (size_t)n / 4); /* the flushed lone pass: compressed */
    }
    ftf_log_writer_options_t bad = FTF_LOG_WRITER_OPTIONS_INIT;
    bad.store_below = FTF_LOG_MEMBER_DATA_MAX + 1;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &bad, &w), FTF_EINVALID_ARGUMENT);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(sink_records_14000_node_backward_with_side_artifact),
        FT_CASE(sink_records_non_utf8_op_name_and_what_follows),
        FT_CASE(sink_without_store_elides_visibly_and_goes_on),
        FT_CASE(sink_io_error_is_sticky_and_counted),
        FT_CASE(writer_spills_largest_parts_first_and_only_what_is_needed),
        FT_CASE(writer_last_resort_keeps_common_fields_and_whole_line),
        FT_CASE(writer_failed_put_elides_with_the_store_error),
        FT_CASE(artifact_store_put_read_and_refs),
        FT_CASE(writer_grouped_sync_at_most_once_per_interval),
        FT_CASE(writer_stores_lone_records_and_deflates_full_members),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
