/* The fuzz targets' shared code: the abort path writes one readable, flushed
 * forensics event with the input and prints one stable signature line; the
 * byte layouts decode every byte string and round-trip what the campaign's
 * generator makes; the compiled-in allowlist is differential/allowlist.json's;
 * fixtures re-serialise identically. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ft_test.h"
#include "ftdiff/fixture.h"
#include "ftdiff/scenario_gen.h"
#include "ftf/event.h"
#include "ftf/log.h"
#include "fuzz_check.h"
#include "fuzz_scenario.h"

#ifndef FTFZ_SOURCE_DIR
#define FTFZ_SOURCE_DIR "."
#endif

/* ---- the signature line ---------------------------------------------------- */

static void fuzz_signature_is_stable_text(void) {
    char buf[512];
    ftfz_signature(buf, sizeof buf, "route_select", "output", "bits", "add", "strict");
    FT_CHECK_STR(buf, "ft-diff:route_select:output:bits:add:strict");
    /* separators, spaces and addresses inside fields never split or vary a line */
    ftfz_signature(buf, sizeof buf, "keyset_parse", "a:b c", "at 0x7ffd12345678", NULL, "");
    FT_CHECK_STR(buf, "ft-diff:keyset_parse:a_b_c:at_0xN:-:-");
    ftfz_signature(buf, sizeof buf, "t", "x123", "y1234", "PrivateUse1", "strict+hardened");
    FT_CHECK_STR(buf, "ft-diff:t:x123:yN:PrivateUse1:strict+hardened");
}

/* ---- the abort path ---------------------------------------------------------- */

typedef struct {
    char dir[256];
    char err[4096];
    int status;
} child_t;

/* Runs ftfz_violation_ex in a child with its stderr in a file; the event
 * goes to a fresh FT_FUZZ_FORENSICS_DIR. */
static bool violate(child_t *c, const uint8_t *input, size_t len, const ftfz_detail_t *d) {
    snprintf(c->dir, sizeof c->dir, "%s/ftfz-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(c->dir))
        return false;
    char errpath[300];
    snprintf(errpath, sizeof errpath, "%s/stderr", c->dir);
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (!freopen(errpath, "w", stderr))
            _exit(3);
        setenv("FT_FUZZ_FORENSICS_DIR", c->dir, 1);
        ftfz_set_input_name("corpus/route_select/abc");
        ftfz_violation_ex("route_select", "selected_key", "mismatch", "add", "strict", input, len, d);
    }
    if (waitpid(pid, &c->status, 0) != pid)
        return false;
    FILE *fp = fopen(errpath, "r");
    if (!fp)
        return false;
    const size_t n = fread(c->err, 1, sizeof c->err - 1, fp);
    c->err[n] = '\0';
    fclose(fp);
    return true;
}

/* The one event of the log, parsed into `ev` (strings in `st`). */
static bool read_event(const char *dir, ftf_event_t *ev, ftf_event_storage_t *st, char **line_out) {
    char path[300];
    snprintf(path, sizeof path, "%s/route_select.jsonl.gz", dir);
    if (ftf_log_verify(path, NULL, NULL) != FTF_OK)
        return false;
    const char *paths[1] = {path};
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(paths, 1, NULL, &r) != FTF_OK)
        return false;
    ftf_log_record_t rec;
    int events = 0;
    while (ftf_log_reader_next(r, &rec) == 1) {
        if (ftf_event_parse(rec.line, rec.len, ev, st, NULL) == FTF_OK) {
            events++;
            *line_out = strdup(rec.line);
        }
    }
    ftf_log_reader_free(r);
    return events == 1;
}

static int count_lines_starting(const char *text, const char *prefix) {
    int n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

static void fuzz_violation_writes_one_flushed_event_and_aborts(void) {
    static const uint8_t input[] = {0x00, 0x22, 0x01, 'x', 0xff, 0x00, 0x10};
    const char *scenario = "{\"kind\":\"dispatch\",\"note\":\"test\"}";
    const ftfz_detail_t d = {scenario, FT_MODE_HARDENED, "\"AutogradCPU\"", "\"CPU\""};
    child_t c;
    FT_CHECK(violate(&c, input, sizeof input, &d));
    FT_CHECK_MSG(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT, "child status %d", c.status);
    FT_CHECK_EQ_INT(count_lines_starting(c.err, "ft-diff:"), 1);
    FT_CHECK(strstr(c.err, "\nft-diff:route_select:selected_key:mismatch:add:strict\n") != NULL);
    FT_CHECK(strstr(c.err, "\nDEDUP_TOKEN: ftdiff-route_select--selected_key--mismatch--add--strict\n") != NULL);
    FT_CHECK(strstr(c.err, "corpus/route_select/abc") != NULL);

    ftf_event_t ev;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    char *line = NULL;
    FT_CHECK_MSG(read_event(c.dir, &ev, &st, &line), "no single event in %s", c.dir);
    char sha1[FTF_SHA1_HEX_SIZE], id[FTF_SCENARIO_ID_SIZE], b64[64];
    ftf_sha1_hex(input, sizeof input, sha1);
    snprintf(id, sizeof id, "fuzz/route_select/%s", sha1);
    ftf_base64_encode(input, sizeof input, b64, sizeof b64);
    FT_CHECK_STR(ev.scenario_id, id);
    FT_CHECK_EQ_INT(ev.outcome, FTF_OUTCOME_CRASH);
    FT_CHECK_EQ_INT(ev.mode, FT_MODE_HARDENED);
    FT_CHECK_STR(ev.reason_code, "selected_key");
    FT_CHECK(ev.has_differential && ev.has_fuzz);
    FT_CHECK_STR(ev.differential.comparator, "selected_key");
    FT_CHECK_STR(ev.differential.expected, "\"AutogradCPU\"");
    FT_CHECK_STR(ev.scenario, scenario);
    FT_CHECK_STR(ev.fuzz.target, "route_select");
    FT_CHECK_EQ_INT(ev.fuzz.engine, FTF_ENGINE_REPLAY);
    FT_CHECK_STR(ev.fuzz.input_sha1, sha1);
    FT_CHECK_STR(ev.fuzz.input_b64, b64);
    FT_CHECK_STR(ev.fuzz.crash_type, "differential-violation");
    FT_CHECK_STR(ev.fuzz.crash_state, "ft-diff:route_select:selected_key:mismatch:add:strict");
    FT_CHECK(strstr(ev.replay_command, sha1) != NULL);
    free(line);
    ftf_event_storage_dispose(&st);
}

/* An input too large for a record goes to a side artifact beside the log. */
static void fuzz_violation_large_input_goes_to_an_artifact(void) {
    const size_t len = 100000;
    uint8_t *input = malloc(len);
    FT_CHECK(input != NULL);
    uint64_t s = 9;
    for (size_t i = 0; i < len; i++)
        input[i] = (uint8_t)ft_test_rand(&s);
    child_t c;
    FT_CHECK(violate(&c, input, len, NULL));
    FT_CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
    ftf_event_t ev;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    char *line = NULL;
    FT_CHECK(read_event(c.dir, &ev, &st, &line));
    FT_CHECK(ev.fuzz.input_b64 == NULL && ev.fuzz.input_ref != NULL);
    char log[300], *data = NULL;
    size_t n = 0;
    snprintf(log, sizeof log, "%s/route_select.jsonl.gz", c.dir);
    FT_CHECK(ftf_artifact_read(log, ev.fuzz.input_ref, &data, &n) == FTF_OK);
    FT_CHECK(n == len && memcmp(data, input, len) == 0);
    FT_CHECK_STR(ev.scenario, "{\"kind\":\"fuzz_input\",\"target\":\"route_select\"}");
    free(data);
    free(line);
    free(input);
    ftf_event_storage_dispose(&st);
}

/* ---- the byte layouts ---------------------------------------------------------- */

static void fuzz_layouts_round_trip_generated_scenarios(void) {
    size_t dispatch = 0, program = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        ftd_scenario_t s, back;
        uint8_t buf[FTFZ_SCENARIO_BYTES_MAX];
        ftd_generate(0x5eed, i, &s);
        if (s.kind == FTD_KIND_DISPATCH) {
            const size_t n = ftfz_encode_dispatch(&s, buf);
            FT_CHECK_MSG(n > 0, "generated dispatch scenario %" PRIu64 " does not fit the layout", i);
            ftfz_decode_dispatch(buf, n, &back);
            FT_CHECK_MSG(ftd_scenario_equal(&s, &back), "dispatch scenario %" PRIu64, i);
            dispatch++;
        } else if (s.kind == FTD_KIND_PROGRAM) {
            const size_t n = ftfz_encode_program(&s, buf);
            FT_CHECK_MSG(n > 0, "generated program %" PRIu64 " does not fit the layout", i);
            ftfz_decode_program(buf, n, &back);
            FT_CHECK_MSG(ftd_scenario_equal(&s, &back), "program %" PRIu64, i);
            program++;
        }
    }
    FT_CHECK(dispatch > 5000 && program > 2000);
}

static void fuzz_layouts_decode_every_byte_string(void) {
    uint64_t seed = 0x1234;
    uint8_t buf[300];
    for (int round = 0; round < 20000; round++) {
        const size_t len = (size_t)(ft_test_rand(&seed) % sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)ft_test_rand(&seed);
        ftd_scenario_t s;
        ftfz_decode_dispatch(buf, len, &s);
        FT_CHECK_MSG(ftd_scenario_valid(&s), "dispatch round %d", round);
        ftfz_decode_program(buf, len, &s);
        FT_CHECK_MSG(ftd_scenario_valid(&s), "program round %d", round);
    }
}

/* ---- allowlist and fixtures ------------------------------------------------------- */

static void fuzz_allowlist_is_the_file(void) {
    ftd_allowlist_t file;
    char why[256];
    FT_CHECK_MSG(ftd_allowlist_load(FTFZ_SOURCE_DIR "/differential/allowlist.json", &file, why) == 0, "%s", why);
    FT_CHECK(memcmp(&file, ftfz_allowlist(), sizeof file) == 0);
}

static void fuzz_fixture_reserialises_identically(void) {
    ftd_fixture_t f, g;
    ftd_error_t err;
    FT_CHECK_MSG(ftd_fixture_load(FTFZ_SOURCE_DIR "/differential/fixtures/dispatch_key.fixture.jsonl", &f, &err) == 0,
                 "line %d: %s: %s", err.line, err.field, err.text);
    char *t1, *t2;
    size_t n1, n2;
    FT_CHECK(ftd_fixture_serialize(&f, &t1, &n1) == 0);
    FT_CHECK_MSG(ftd_fixture_load_buffer(t1, n1, "t1", &g, &err) == 0, "line %d: %s: %s", err.line, err.field,
                 err.text);
    FT_CHECK(ftd_fixture_serialize(&g, &t2, &n2) == 0);
    FT_CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0);
    FT_CHECK_EQ_INT(f.count, g.count);
    for (size_t i = 0; i < f.count; i++) {
        FT_CHECK_STR(f.cases[i].name, g.cases[i].name);
        FT_CHECK(ftd_scenario_equal(&f.cases[i].scenario, &g.cases[i].scenario));
        for (int m = 0; m < 2; m++)
            FT_CHECK(f.cases[i].expect[m].fields == g.cases[i].expect[m].fields &&
                     f.cases[i].expect[m].present == g.cases[i].expect[m].present);
    }
    free(t1);
    free(t2);
    ftd_fixture_dispose(&f);
    ftd_fixture_dispose(&g);
}

/* A kernel name longer than the loader holds is an error, not a cut name. */
static void fuzz_fixture_long_kernel_name_is_rejected(void) {
    char text[2048], name[80];
    memset(name, 'k', 70);
    name[70] = '\0';
    snprintf(text, sizeof text,
             "{\"format\":\"ft-fixture-v1\",\"fixture\":\"f\",\"suite\":\"s\",\"packet\":\"p\"}\n"
             "{\"case\":\"c\",\"scenario\":{\"kind\":\"dispatch\",\"op\":{\"name\":\"add\",\"custom\":false,"
             "\"regs\":[]},\"lhs\":{\"bits\":\"0x3ff0000000000000\",\"dtype\":\"f64\",\"device\":\"CPU\","
             "\"requires_grad\":false},\"rhs\":{\"bits\":\"0x4000000000000000\",\"dtype\":\"f64\",\"device\":"
             "\"CPU\",\"requires_grad\":false},\"keyset\":null,\"grad_mode\":true,\"include\":\"0x0000000804000000\","
             "\"exclude\":\"0x0000070000000000\"},\"expect\":{\"strict\":{\"error\":null,\"kernel\":\"%s\"}}}\n",
             name);
    ftd_fixture_t f;
    ftd_error_t err;
    FT_CHECK(ftd_fixture_load_buffer(text, strlen(text), "long", &f, &err) != 0);
    FT_CHECK_STR(err.field, "expect.strict.kernel");
    name[63] = '\0'; /* 63 bytes fit */
    char *at = strstr(text, "kkkk");
    memmove(at + 63, at + 70, strlen(at + 70) + 1);
    FT_CHECK_MSG(ftd_fixture_load_buffer(text, strlen(text), "fits", &f, &err) == 0, "%s: %s", err.field, err.text);
    FT_CHECK_EQ_INT(strlen(f.cases[0].expect[0].want.kernel), 63);
    ftd_fixture_dispose(&f);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(fuzz_signature_is_stable_text),
        FT_CASE(fuzz_violation_writes_one_flushed_event_and_aborts),
        FT_CASE(fuzz_violation_large_input_goes_to_an_artifact),
        FT_CASE(fuzz_layouts_round_trip_generated_scenarios),
        FT_CASE(fuzz_layouts_decode_every_byte_string),
        FT_CASE(fuzz_allowlist_is_the_file),
        FT_CASE(fuzz_fixture_reserialises_identically),
        FT_CASE(fuzz_fixture_long_kernel_name_is_rejected),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
