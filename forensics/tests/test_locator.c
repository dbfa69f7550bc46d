/* The locator sidecar: build from a writer and from the log, lookup of every
 * id in log order, rebuild equals original, stale and foreign logs, damaged
 * sidecars, and the cheap field scan (ftf_record_peek) against the parser. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"
#include "ftf_test.h"

/* ---- sample logs ------------------------------------------------------------ */

/* Event i of a sample log: ids repeat (i % 7 == 3 reuses the id of i - 3, in the
 * other mode) so lookups return several records; every 5th fails. */
static void sample_id(unsigned i, char id[FTF_SCENARIO_ID_SIZE]) {
    const unsigned base = i % 7 == 3 ? i - 3 : i;
    snprintf(id, FTF_SCENARIO_ID_SIZE, "gen/%016llx", (unsigned long long)(base * 0x9e3779b97f4a7c15ULL));
}

typedef struct {
    ftf_log_pos_t pos[4096];
    unsigned n;
} positions_t;

/* Writes `n` events (after a run header) to `path`; positions of the events in
 * *pos; feeds `b` (may be NULL) as it goes, as a writer's owner would. */
static ftf_status write_sample(const char *path, unsigned first, unsigned n, bool append, int level, const char *pad,
                               ftf_locator_builder_t *b, positions_t *pos) {
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.append = append;
    wo.level = level;
    wo.sync = FTF_LOG_SYNC_NONE;
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(path, &wo, &w);
    if (st != FTF_OK)
        return st;
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, 42 + first, "test_locator");
    if (!append) {
        ftf_run_header_t h;
        ftf_run_header_init(&h);
        const char *argv[] = {"test_locator"};
        h.run_id = run_id, h.start_time = "2024-01-01T00:00:00Z", h.argv = argv, h.argc = 1;
        h.tool = "test_locator", h.tool_version = "0", h.libft_version = "0";
        h.env_fingerprint = "det64:0123456789abcdef", h.run_seed = 42;
        if ((st = ftf_log_write_run_header(w, &h, NULL)) != FTF_OK) {
            ftf_log_writer_close(w);
            return st;
        }
    }
    for (unsigned i = first; i < first + n && st == FTF_OK; i++) {
        char id[FTF_SCENARIO_ID_SIZE], scen[512], replay[320];
        sample_id(i, id);
        snprintf(scen, sizeof scen, "{\"case\":%u,\"pad\":\"%s\"}", i, pad ? pad : "");
        snprintf(replay, sizeof replay, "ft-replay %s", id);
        ftf_event_t ev;
        ftf_event_init(&ev);
        ev.seq = i, ev.run_id = run_id, ev.suite_id = "locator_suite", ev.scenario_id = id;
        ev.packet_id = "FT-P2C-002", ev.mode = i % 7 == 3 ? FT_MODE_HARDENED : FT_MODE_STRICT;
        ev.seed = i, ev.env_fingerprint = "det64:0123456789abcdef", ev.replay_command = replay;
        ev.outcome = i % 5 == 4 ? FTF_OUTCOME_FAIL : FTF_OUTCOME_PASS;
        ev.reason_code = i % 5 == 4 ? "no_kernel" : "ok";
        ev.scenario = scen;
        ftf_log_pos_t p;
        st = ftf_log_write_event(w, &ev, &p);
        if (st == FTF_OK && b)
            st = ftf_locator_builder_add(b, id, strlen(id), &p, (unsigned)ev.outcome, (unsigned)ev.mode, ev.seq);
        if (st == FTF_OK && pos && pos->n < 4096)
            pos->pos[pos->n++] = p;
    }
    const ftf_status cst = ftf_log_writer_close(w);
    return st != FTF_OK ? st : cst;
}

/* ---- tests -------------------------------------------------------------------- */

static void locator_lookup_every_id_in_log_order(void) {
    const char *log = ftf_test_path("every.log.gz");
    ftf_locator_builder_t *b;
    FTF_CHECK_STATUS(ftf_locator_builder_new(&b), FTF_OK);
    static positions_t pos;
    pos.n = 0;
    FTF_CHECK_STATUS(write_sample(log, 0, 700, false, 6, NULL, b, &pos), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_builder_write(b, log, NULL), FTF_OK);
    ftf_locator_builder_free(b);
    ftf_locator_t *loc;
    FTF_CHECK_STATUS(ftf_locator_open(log, NULL, 0, &loc), FTF_OK);
    FT_CHECK_EQ_U64(ftf_locator_count(loc), 700);
    ftf_locator_info_t info;
    ftf_locator_info(loc, &info);
    FT_CHECK_EQ_U64(info.version, FTF_LOCATOR_VERSION);
    FT_CHECK_EQ_U64(info.ids, 600);
    for (unsigned i = 0; i < 700; i++) {
        char id[FTF_SCENARIO_ID_SIZE];
        sample_id(i, id);
        size_t first, count;
        FTF_CHECK_STATUS(ftf_locator_find(loc, id, &first, &count), FTF_OK);
        const unsigned base = i % 7 == 3 ? i - 3 : i;
        const unsigned want = base % 7 == 0 && base + 3 < 700 ? 2 : 1;
        FT_CHECK_MSG(count == want, "id %s: %zu records, want %u", id, count, want);
        bool seen = false;
        uint64_t prev_m = 0, prev_o = 0;
        for (size_t e = 0; e < count; e++) {
            ftf_locator_entry_t ent;
            FTF_CHECK_STATUS(ftf_locator_entry_at(loc, first + e, &ent), FTF_OK);
            FT_CHECK_STR(ent.scenario_id, id);
            FT_CHECK(e == 0 || ent.pos.member_offset > prev_m ||
                     (ent.pos.member_offset == prev_m && ent.pos.offset > prev_o)); /* log order */
            prev_m = ent.pos.member_offset, prev_o = ent.pos.offset;
            if (ent.seq == i) {
                seen = true;
                FT_CHECK_EQ_U64(ent.pos.member_offset, pos.pos[i].member_offset);
                FT_CHECK_EQ_U64(ent.pos.offset, pos.pos[i].offset);
                FT_CHECK_EQ_U64(ent.pos.length, pos.pos[i].length);
                FT_CHECK_EQ_U64(ent.outcome, i % 5 == 4 ? FTF_OUTCOME_FAIL : FTF_OUTCOME_PASS);
                FT_CHECK_EQ_U64(ent.mode, i % 7 == 3 ? FT_MODE_HARDENED : FT_MODE_STRICT);
                char *line;
                size_t len;
                FTF_CHECK_STATUS(ftf_log_read_at(log, ent.pos.member_offset, ent.pos.offset, &line, &len), FTF_OK);
                FT_CHECK_EQ_U64(len, ent.pos.length);
                FT_CHECK(strstr(line, id) != NULL);
                free(line);
            }
        }
        FT_CHECK_MSG(seen, "record %u not among its id's entries", i);
    }
    size_t first, count;
    FTF_CHECK_STATUS(ftf_locator_find(loc, "gen/ffffffffffffffff", &first, &count), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_locator_find(loc, "gen/../etc/passwd", &first, &count), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_locator_find(loc, "", &first, &count), FTF_EINVALID_SCENARIO_ID);
    ftf_locator_free(loc);
    ftf_locator_free(NULL);
}

static void locator_rebuild_equals_original(void) {
    const char *log = ftf_test_path("rebuild.log.gz"), *a = ftf_test_path("a.ftidx"), *c = ftf_test_path("c.ftidx");
    ftf_locator_builder_t *b;
    FTF_CHECK_STATUS(ftf_locator_builder_new(&b), FTF_OK);
    FTF_CHECK_STATUS(write_sample(log, 0, 500, false, 6, NULL, b, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_builder_write(b, log, a), FTF_OK);
    ftf_locator_builder_free(b);
    ftf_locator_build_stats_t bs;
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, c, &bs, &rep), FTF_OK);
    FT_CHECK_EQ_U64(bs.entries, 500);
    FT_CHECK_EQ_U64(bs.records, 501);
    FT_CHECK_EQ_U64(bs.skipped, 1); /* the run header */
    FT_CHECK(!bs.damaged);
    size_t na, nc;
    unsigned char *da = ftf_test_slurp(a, &na), *dc = ftf_test_slurp(c, &nc);
    FT_CHECK(da && dc);
    const bool same_bytes = na == nc && memcmp(da, dc, na) == 0; /* writer's builder == rebuild */
    free(da), free(dc);
    FT_CHECK(same_bytes);
    /* rebuilding twice gives the same bytes, and the default path is <log>.ftidx */
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, NULL, NULL, NULL), FTF_OK);
    char def[256];
    snprintf(def, sizeof def, "%s%s", log, FTF_LOCATOR_SUFFIX);
    unsigned char *d1 = ftf_test_slurp(def, &na), *d2 = ftf_test_slurp(c, &nc);
    FT_CHECK(d1 && d2);
    const bool same = na == nc && memcmp(d1, d2, na) == 0;
    free(d1), free(d2);
    FT_CHECK(same);
    FTF_CHECK_STATUS(ftf_locator_verify(log, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_check(log, a), FTF_OK);
}

static void locator_stale_after_append_or_truncate(void) {
    const char *log = ftf_test_path("stale.log.gz");
    FTF_CHECK_STATUS(write_sample(log, 0, 300, false, 6, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_OK);
    /* appended to */
    FTF_CHECK_STATUS(write_sample(log, 300, 50, true, 6, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_ESTALE_INDEX);
    ftf_locator_t *loc;
    FTF_CHECK_STATUS(ftf_locator_open(log, NULL, 0, &loc), FTF_ESTALE_INDEX);
    FT_CHECK(loc == NULL);
    FTF_CHECK_STATUS(ftf_locator_open(log, NULL, FTF_LOCATOR_OPEN_NO_CHECK, &loc), FTF_OK); /* inspection still works */
    FT_CHECK_EQ_U64(ftf_locator_count(loc), 300);
    ftf_locator_free(loc);
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, NULL, NULL, NULL), FTF_OK); /* reindex */
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_open(log, NULL, 0, &loc), FTF_OK);
    FT_CHECK_EQ_U64(ftf_locator_count(loc), 350);
    ftf_locator_free(loc);
    /* truncated */
    struct stat sb;
    FT_CHECK(stat(log, &sb) == 0);
    FT_CHECK(truncate(log, sb.st_size - 100) == 0);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_ESTALE_INDEX);
    FT_CHECK(truncate(log, 10) == 0);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_ESTALE_INDEX);
    /* the log gone */
    FT_CHECK(unlink(log) == 0);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_EIO);
}

static void locator_foreign_log_detected(void) {
    const char *a = ftf_test_path("fa.log.gz"), *b = ftf_test_path("fb.log.gz"), *ia = ftf_test_path("fa.log.gz.ftidx");
    FTF_CHECK_STATUS(write_sample(a, 0, 100, false, 6, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(write_sample(b, 1000, 100, false, 6, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_build_from_log(a, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_check(b, ia), FTF_EFOREIGN_INDEX);
    /* same size, different content is foreign too */
    size_t n;
    unsigned char *d = ftf_test_slurp(a, &n);
    FT_CHECK(d && n > 40);
    d[20] ^= 0x01; /* inside the first member's header area */
    FT_CHECK(ftf_test_spit(b, d, n));
    free(d);
    FTF_CHECK_STATUS(ftf_locator_check(b, ia), FTF_EFOREIGN_INDEX);
}

static void locator_damaged_sidecar_rejected(void) {
    const char *log = ftf_test_path("dmg.log.gz"), *idx = ftf_test_path("dmg.log.gz.ftidx"),
               *bad = ftf_test_path("bad.ftidx");
    FTF_CHECK_STATUS(write_sample(log, 0, 200, false, 6, NULL, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, NULL, NULL, NULL), FTF_OK);
    size_t n;
    unsigned char *d = ftf_test_slurp(idx, &n);
    FT_CHECK(d && n > 96);
    /* every header byte flipped, one at a time: never accepted */
    for (size_t i = 0; i < 96; i++) {
        d[i] ^= 0x40;
        FT_CHECK(ftf_test_spit(bad, d, n));
        const ftf_status st = ftf_locator_check(log, bad);
        FT_CHECK_MSG(st == FTF_ECORRUPT || st == FTF_EUNSUPPORTED_VERSION, "header byte %zu: %s", i,
                     ftf_status_code(st));
        d[i] ^= 0x40;
    }
    /* truncated sidecars */
    for (size_t cut = 0; cut < n; cut += 1 + cut / 3) {
        FT_CHECK(ftf_test_spit(bad, d, cut));
        FTF_CHECK_STATUS(ftf_locator_check(log, bad), FTF_ECORRUPT);
    }
    /* junk */
    char text[200];
    memset(text, 'x', sizeof text);
    FT_CHECK(ftf_test_spit(bad, text, sizeof text));
    FTF_CHECK_STATUS(ftf_locator_check(log, bad), FTF_ECORRUPT);
    /* a body byte flipped: open still works (no full read), verify notices */
    d[96 + 19] ^= 0xff; /* first entry's id offset, high byte: past the string table */
    FT_CHECK(ftf_test_spit(bad, d, n));
    FTF_CHECK_STATUS(ftf_locator_verify(log, bad), FTF_ESTALE_INDEX);
    ftf_locator_t *loc;
    FTF_CHECK_STATUS(ftf_locator_open(log, bad, 0, &loc), FTF_OK);
    ftf_locator_entry_t ent;
    FTF_CHECK_STATUS(ftf_locator_entry_at(loc, 0, &ent), FTF_ECORRUPT);
    FTF_CHECK_STATUS(ftf_locator_entry_at(loc, 1u << 30, &ent), FTF_EINVALID_ARGUMENT);
    ftf_locator_free(loc);
    free(d);
}

static void locator_verify_detects_change_in_the_middle(void) {
    /* level 0 and padding: a log well over twice the hashed span */
    const char *log = ftf_test_path("mid.log.gz");
    char pad[301];
    memset(pad, 'x', 300);
    pad[300] = '\0';
    FTF_CHECK_STATUS(write_sample(log, 0, 1500, false, 0, pad, NULL, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_locator_build_from_log(log, NULL, NULL, NULL), FTF_OK);
    size_t n;
    unsigned char *d = ftf_test_slurp(log, &n);
    FT_CHECK(d && n > 3 * FTF_LOCATOR_HASH_SPAN);
    d[n / 2] ^= 0x10;
    FT_CHECK(ftf_test_spit(log, d, n));
    free(d);
    FTF_CHECK_STATUS(ftf_locator_check(log, NULL), FTF_OK);            /* the cheap check cannot see it... */
    FTF_CHECK_STATUS(ftf_locator_verify(log, NULL), FTF_ESTALE_INDEX); /* ...the full one does */
}

static void locator_builder_rejects_bad_input(void) {
    ftf_locator_builder_t *b;
    FTF_CHECK_STATUS(ftf_locator_builder_new(&b), FTF_OK);
    const ftf_log_pos_t p = {0, 0, 10}, far = {0, FTF_LOG_MEMBER_DATA_MAX, 10};
    FTF_CHECK_STATUS(ftf_locator_builder_add(b, "not an id", 9, &p, 0, 0, 0), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_locator_builder_add(b, "gen/0123456789abcdef", 20, &far, 0, 0, 0), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_locator_builder_add(b, "gen/0123456789abcdef", 20, &p, 99, 99, 0), FTF_OK);
    bool indexed = true;
    static const char *const lines[] = {
        "{\"record\":\"run\",\"scenario_id\":\"gen/0123456789abcdef\"}",
        "{\"record\":\"event\",\"scenario_id\":\"../../etc\"}",
        "[1,2,3]",
        "{\"record\":\"event\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        FTF_CHECK_STATUS(ftf_locator_builder_add_line(b, lines[i], strlen(lines[i]), &p, &indexed), FTF_OK);
        FT_CHECK_MSG(!indexed, "line %zu indexed", i);
    }
    FT_CHECK_EQ_U64(ftf_locator_builder_count(b), 1);
    FTF_CHECK_STATUS(ftf_locator_builder_write(b, ftf_test_path("no-such-dir/x.log.gz"), NULL), FTF_EIO);
    ftf_locator_builder_free(b);
    ftf_locator_builder_free(NULL);
}

/* ---- ftf_record_peek ------------------------------------------------------------- */

static bool span_is(const char *s, size_t n, const char *want) {
    return want ? (s && strlen(want) == n && memcmp(s, want, n) == 0) : s == NULL;
}

static void locator_peek_agrees_with_the_parser(void) {
    /* a canonical event line */
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, 1, "t");
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.seq = 12345, ev.run_id = run_id, ev.suite_id = "s", ev.scenario_id = "s/hardened:case_1";
    ev.packet_id = "P", ev.mode = FT_MODE_HARDENED, ev.env_fingerprint = "det64:0123456789abcdef";
    ev.replay_command = "x \"quoted\" \\ {[", ev.outcome = FTF_OUTCOME_CRASH, ev.reason_code = "segv";
    ev.scenario = "{\"outcome\":\"pass\",\"record\":\"run\"}";
    char line[4096];
    const size_t n = ftf_event_render(&ev, line, sizeof line);
    FT_CHECK(n > 0 && n < sizeof line);
    ftf_record_fields_t f;
    FT_CHECK_EQ_INT(ftf_record_peek(line, n, FTF_PEEK_ALL, &f), FTF_PEEK_OK);
    FT_CHECK(span_is(f.record, f.record_len, "event"));
    FT_CHECK(span_is(f.scenario_id, f.scenario_id_len, "s/hardened:case_1"));
    FT_CHECK(span_is(f.outcome, f.outcome_len, "crash"));
    FT_CHECK(span_is(f.mode, f.mode_len, "hardened"));
    FT_CHECK(span_is(f.reason_code, f.reason_code_len, "segv"));
    FT_CHECK(span_is(f.run_id, f.run_id_len, run_id));
    FT_CHECK_EQ_U64(f.seq, 12345);

    struct {
        const char *line;
        ftf_peek_result_t want;
        const char *outcome, *record;
    } cases[] = {
        {"{\"record\":\"event\",\"outcome\":\"fail\"}", FTF_PEEK_OK, "fail", "event"},
        {"  {  \"outcome\" : \"pass\" ,\n \"record\":\"event\" }  ", FTF_PEEK_OK, "pass", "event"},
        /* wanted keys inside nested values are not the record's */
        {"{\"x\":{\"outcome\":\"fail\",\"record\":\"run\"},\"y\":[\"outcome\",{\"a\":\"}\"}],\"outcome\":\"pass\","
         "\"record\":\"event\"}",
         FTF_PEEK_OK, "pass", "event"},
        {"{\"x\":\"\\\"outcome\\\":\\\"fail\\\"\",\"outcome\":\"skipped\",\"record\":\"event\"}", FTF_PEEK_OK,
         "skipped", "event"},
        {"{\"record\":\"event\"}", FTF_PEEK_OK, NULL, "event"},
        {"{}", FTF_PEEK_OK, NULL, NULL},
        /* escapes: the scan cannot decide, the parser must */
        {"{\"record\":\"event\",\"outcome\":\"p\\u0061ss\"}", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"{\"record\":\"event\",\"out\\u0063ome\":\"fail\",\"outcome\":\"pass\"}", FTF_PEEK_UNDECIDED, NULL, NULL},
        /* duplicates and wrong types */
        {"{\"record\":\"event\",\"outcome\":\"pass\",\"outcome\":\"fail\"}", FTF_PEEK_OK, "pass", "event"},
        {"{\"outcome\":\"pass\",\"outcome\":\"fail\",\"record\":\"event\"}", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"{\"record\":\"event\",\"outcome\":1}", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"{\"record\":\"event\",\"outcome\":[\"fail\"]}", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"{\"record\":\"event\",\"outcome\":null}", FTF_PEEK_UNDECIDED, NULL, NULL},
        /* broken or not objects */
        {"{\"record\":\"event\",\"outcome\":\"pa", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"{\"record\" \"event\"}", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"{\"a\":[[[[}", FTF_PEEK_UNDECIDED, NULL, NULL},
        {"[{\"outcome\":\"fail\"}]", FTF_PEEK_NOT_OBJECT, NULL, NULL},
        {"", FTF_PEEK_NOT_OBJECT, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ftf_peek_result_t got =
            ftf_record_peek(cases[i].line, strlen(cases[i].line), FTF_PEEK_RECORD | FTF_PEEK_OUTCOME, &f);
        FT_CHECK_MSG(got == cases[i].want, "case %zu: peek %d, want %d", i, (int)got, (int)cases[i].want);
        if (got == FTF_PEEK_OK) {
            FT_CHECK_MSG(span_is(f.outcome, f.outcome_len, cases[i].outcome), "case %zu: outcome", i);
            FT_CHECK_MSG(span_is(f.record, f.record_len, cases[i].record), "case %zu: record", i);
        }
    }
    /* seq: plain integers only */
    FT_CHECK_EQ_INT(ftf_record_peek("{\"seq\":1e3}", 11, FTF_PEEK_SEQ, &f), FTF_PEEK_UNDECIDED);
    FT_CHECK_EQ_INT(ftf_record_peek("{\"seq\":-1}", 10, FTF_PEEK_SEQ, &f), FTF_PEEK_UNDECIDED);
    FT_CHECK_EQ_INT(ftf_record_peek("{\"seq\":007}", 11, FTF_PEEK_SEQ, &f), FTF_PEEK_UNDECIDED);
    FT_CHECK_EQ_INT(ftf_record_peek("{\"seq\":0}", 9, FTF_PEEK_SEQ, &f), FTF_PEEK_OK);
    FT_CHECK_EQ_U64(f.seq, 0);
    FT_CHECK_EQ_INT(ftf_record_peek(NULL, 0, FTF_PEEK_ALL, &f), FTF_PEEK_NOT_OBJECT);
}

/* Random bytes and mutations of a real line: the scan never reads out of
 * bounds (ASan watches) and never reports a field outside the line. */
static void locator_peek_survives_hostile_bytes(void) {
    const char *base = "{\"record\":\"event\",\"x\":[{\"a\":\"\\\\\\\"\"}],\"scenario_id\":\"gen/0123456789abcdef\","
                       "\"outcome\":\"fail\",\"mode\":\"strict\",\"seq\":7}";
    const size_t n = strlen(base);
    uint64_t rng = 99;
    for (int iter = 0; iter < 20000; iter++) {
        char *buf = malloc(n);
        FT_CHECK(buf != NULL);
        memcpy(buf, base, n);
        const int flips = 1 + (int)(ft_test_rand(&rng) % 4);
        for (int k = 0; k < flips; k++)
            buf[ft_test_rand(&rng) % n] = (char)(ft_test_rand(&rng) & 0xff);
        const size_t len = (size_t)(ft_test_rand(&rng) % (n + 1));
        ftf_record_fields_t f;
        (void)ftf_record_peek(buf, len, FTF_PEEK_ALL, &f);
        const char *ptrs[] = {f.record, f.scenario_id, f.outcome, f.mode, f.reason_code, f.run_id};
        const size_t lens[] = {f.record_len, f.scenario_id_len, f.outcome_len,
                               f.mode_len,   f.reason_code_len, f.run_id_len};
        for (int k = 0; k < 6; k++)
            FT_CHECK(!ptrs[k] || (ptrs[k] >= buf && ptrs[k] + lens[k] <= buf + len));
        free(buf);
    }
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(locator_lookup_every_id_in_log_order),   FT_CASE(locator_rebuild_equals_original),
        FT_CASE(locator_stale_after_append_or_truncate), FT_CASE(locator_foreign_log_detected),
        FT_CASE(locator_damaged_sidecar_rejected),       FT_CASE(locator_verify_detects_change_in_the_middle),
        FT_CASE(locator_builder_rejects_bad_input),      FT_CASE(locator_peek_agrees_with_the_parser),
        FT_CASE(locator_peek_survives_hostile_bytes),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
