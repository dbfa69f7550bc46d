/* The HTML report: the escaper on hostile text (markup, quotes, control bytes,
 * invalid UTF-8, bidi overrides), a page built from hostile logs and JSON
 * that holds no markup but its own (checked by a small tokenizer against the
 * page's own tags and attributes), deterministic bytes (twice, and with the
 * arguments in another order), per-run and per-mode counts against the
 * index, a failure-index.json rendered as it is, and the input rules of
 * ftf_report_build. The page in a real browser: report_browser_test.sh. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"
#include "ftf/report.h"
#include "ftf/triage.h"
#include "ftf_test.h"

#define H_SCRIPT "<script>alert(1)</script>"
#define H_IMG    "\"'><img src=x onerror=alert(1)>"
#define H_CTRL   "\x01\x1b[31m\x7f"
#define H_BIDI                                                                                                         \
    "\xe2\x80\xae"                                                                                                     \
    "evil"
#define H_BAD "\xff\xc0\xaf"
/* H_IMG inside a JSON string */
#define H_IMG_J "\\\"'><img src=x onerror=alert(1)>"

/* ---- escaping -------------------------------------------------------------------- */

static char *escaped(const char *s, size_t n) {
    ftf_buf_t b = FTF_BUF_INIT;
    if (ftf_report_escape_html(s, n, &b) != FTF_OK) {
        ftf_buf_dispose(&b);
        return NULL;
    }
    return b.data;
}

static void report_escapes_hostile_text(void) {
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        const char *want;
    } cases[] = {
        {H_SCRIPT, 0, "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {H_IMG, 0, "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"},
        {"a & b", 0, "a &amp; b"},
        {"&amp;", 0, "&amp;amp;"},
        {H_CTRL, 0, "\\x01\\x1b[31m\\x7f"},
        {"line\nnext\ttab\r", 0, "line\\x0anext\\x09tab\\x0d"},
        {"nul\0inside", 10, "nul\\x00inside"},
        {H_BAD, 0, "\\xff\\xc0\\xaf"},                                          /* not UTF-8; an overlong '/' */
        {"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},                                 /* a surrogate */
        {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"},                        /* past U+10FFFF */
        {"cut \xe2\x82", 0, "cut \\xe2\\x82"},                                  /* a truncated sequence */
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, NULL},                 /* valid UTF-8: kept */
        {"\xc2\x85", 0, "\\u0085"},                                             /* C1 control */
        {H_BIDI, 0, "\\u202eevil"},                                             /* right-to-left override */
        {"\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8f", 0, "\\u2066x\\u2069\\u200f"}, /* isolates, RLM */
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_t n = cases[i].len ? cases[i].len : strlen(cases[i].in);
        char *got = escaped(cases[i].in, n);
        FT_CHECK(got != NULL);
        const char *want = cases[i].want ? cases[i].want : cases[i].in;
        FT_CHECK_MSG(strcmp(got, want) == 0, "case %zu: got \"%s\", want \"%s\"", i, got, want);
        /* never a byte that means something in HTML, never a control byte */
        for (const unsigned char *c = (const unsigned char *)got; *c; c++)
            FT_CHECK_MSG(*c != '<' && *c != '>' && *c != '"' && *c != '\'' && *c >= 0x20 && *c != 0x7f,
                         "case %zu: byte 0x%02x left raw", i, *c);
        free(got);
    }
    FTF_CHECK_STATUS(ftf_report_escape_html(NULL, 1, &(ftf_buf_t)FTF_BUF_INIT), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_report_escape_html("x", 1, NULL), FTF_EINVALID_ARGUMENT);
}

/* ---- a checker for the page's markup ------------------------------------------------ */

static bool in_list(const char *const *list, const char *s, size_t n) {
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
            return true;
    return false;
}

/* Checks that `html` holds only the report's own tags and attributes, one
 * style and one script, attribute values without < > and text without >
 * (anything unescaped from an input would show as one of these). Says why in
 * `why` and returns false otherwise. */
static bool markup_is_ours(const char *html, char why[256]) {
    static const char *const tags[] = {"html", "head",  "meta",  "title",   "style",   "body",   "header", "h1",
                                       "h2",   "h3",    "div",   "nav",     "a",       "output", "main",   "section",
                                       "p",    "table", "thead", "tbody",   "tr",      "th",     "td",     "button",
                                       "code", "span",  "br",    "details", "summary", "svg",    "g",      "rect",
                                       "text", "line",  "ul",    "li",      "b",       "script", NULL};
    static const char *const attrs[] = {"lang",  "charset", "http-equiv", "content",     "name", "class", "id",
                                        "href",  "data-n",  "data-type",  "data-copy",   "type", "title", "colspan",
                                        "xmlns", "width",   "height",     "role",        "x",    "y",     "x1",
                                        "y1",    "x2",      "y2",         "text-anchor", "fill", NULL};
    const char *p = html;
    int scripts = 0, styles = 0;
    if (strncmp(p, "<!DOCTYPE html>\n", 16) != 0) {
        snprintf(why, 256, "no doctype");
        return false;
    }
    p += 16;
    while (*p) {
        if (*p == '>') {
            snprintf(why, 256, "raw '>' in text at %zu: %.60s", (size_t)(p - html), p > html + 30 ? p - 30 : html);
            return false;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        const bool closing = p[1] == '/';
        const char *n = p + (closing ? 2 : 1), *e = n;
        while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9'))
            e++;
        if (e == n || !in_list(tags, n, (size_t)(e - n))) {
            snprintf(why, 256, "unknown tag at %zu: %.60s", (size_t)(p - html), p);
            return false;
        }
        const size_t tn = (size_t)(e - n);
        p = e;
        for (;;) {
            while (*p == ' ')
                p++;
            if (*p == '>' || (p[0] == '/' && p[1] == '>')) {
                p += *p == '>' ? 1 : 2;
                break;
            }
            if (closing) {
                snprintf(why, 256, "junk in a closing tag at %zu", (size_t)(p - html));
                return false;
            }
            const char *a = p;
            while ((*p >= 'a' && *p <= 'z') || *p == '-' || (*p >= '0' && *p <= '9'))
                p++;
            if (p == a || !in_list(attrs, a, (size_t)(p - a))) {
                snprintf(why, 256, "unknown attribute at %zu: %.60s", (size_t)(a - html), a);
                return false;
            }
            if (*p != '=')
                continue;
            if (p[1] != '"') {
                snprintf(why, 256, "unquoted attribute value at %zu", (size_t)(p - html));
                return false;
            }
            p += 2;
            while (*p && *p != '"') {
                if (*p == '<' || *p == '>') {
                    snprintf(why, 256, "raw %c in an attribute value at %zu", *p, (size_t)(p - html));
                    return false;
                }
                p++;
            }
            if (*p != '"') {
                snprintf(why, 256, "unterminated attribute value");
                return false;
            }
            p++;
        }
        if (!closing && (tn == 5 || tn == 6) && (memcmp(n, "style", 5) == 0 || memcmp(n, "script", 6) == 0)) {
            const bool script = tn == 6;
            scripts += script, styles += !script;
            const char *end = strstr(p, script ? "</script>" : "</style>");
            if (!end) {
                snprintf(why, 256, "unterminated %s", script ? "script" : "style");
                return false;
            }
            p = end;
        }
    }
    if (scripts != 1 || styles != 1) {
        snprintf(why, 256, "%d scripts, %d styles", scripts, styles);
        return false;
    }
    return true;
}

/* ---- sample inputs ------------------------------------------------------------------ */

static void event_base(ftf_event_t *ev, const char *run_id, uint64_t seq, const char *id, ft_mode_t mode) {
    ftf_event_init(ev);
    ev->seq = seq, ev->run_id = run_id, ev->suite_id = "report_suite", ev->scenario_id = id;
    ev->packet_id = "FT-P2C-002", ev->mode = mode, ev->seed = seq + 1;
    ev->env_fingerprint = "det64:0123456789abcdef";
    ev->scenario = "{\"op\":\"add\"}";
}

/* A log of one run: passes in both modes, allowlisted drifts, and failures
 * whose text is hostile when `hostile`. */
static ftf_status write_log(const char *path, uint64_t run_seed, bool hostile) {
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.sync = FTF_LOG_SYNC_NONE;
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(path, &wo, &w);
    if (st != FTF_OK)
        return st;
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, run_seed, "test_report");
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    const char *argv[] = {"test_report", hostile ? H_SCRIPT : "plain"};
    h.run_id = run_id, h.start_time = run_seed == 1 ? "2024-02-03T04:05:06Z" : "2024-02-04T04:05:06Z";
    h.argv = argv, h.argc = 2;
    h.tool = hostile ? "tool" H_IMG : "test_report", h.tool_version = hostile ? H_SCRIPT : "0.1.0";
    h.libft_version = "0.1.0", h.env_fingerprint = "det64:0123456789abcdef", h.run_seed = run_seed;
    st = ftf_log_write_run_header(w, &h, NULL);
    uint64_t seq = 0;
    for (unsigned i = 0; i < 40 && st == FTF_OK; i++) {
        char id[FTF_SCENARIO_ID_SIZE];
        snprintf(id, sizeof id, "gen/%016llx", (unsigned long long)(i * 0x9e3779b97f4a7c15ULL + run_seed));
        for (int m = 0; m < 2 && st == FTF_OK; m++) {
            ftf_event_t ev;
            event_base(&ev, run_id, seq++, id, m ? FT_MODE_HARDENED : FT_MODE_STRICT);
            ev.replay_command = "ft-replay x";
            ev.outcome = FTF_OUTCOME_PASS, ev.reason_code = "pass";
            if (m && i % 5 == 0) {
                ev.outcome = FTF_OUTCOME_ALLOWLISTED, ev.reason_code = "allowlisted_drift";
                ev.has_differential = true;
                ev.differential.comparator = "mode_split_policy";
                ev.differential.drift_id = hostile ? "drift" H_IMG : "dispatch.composite_backend_fallback";
                ev.differential.allowlisted = true;
                ev.differential.expected = "1", ev.differential.observed = "2";
            }
            if (i % 7 == 3) {
                ev.outcome = FTF_OUTCOME_FAIL;
                ev.reason_code = hostile && m ? "reason" H_IMG : "blocking_drift";
                ev.replay_command = hostile ? "ft-replay " H_IMG "; rm -rf /" : "ft-replay x";
                ev.has_dispatch = true;
                ev.dispatch.op = hostile ? "op" H_SCRIPT H_CTRL : "add";
                ev.dispatch.selected_key = hostile ? "key" H_IMG H_BIDI : "CPU";
                ev.dispatch.backend_key = "CPU";
                ev.dispatch.kernel = hostile ? "kernel" H_SCRIPT : "cpu::add";
                ev.dispatch.keyset_bits = 0x2800004001ull;
                ev.dispatch.mode_split = FT_SPLIT_NONE;
                ev.has_differential = true;
                ev.differential.comparator = hostile ? "cmp" H_SCRIPT : "selected_key";
                ev.differential.expected = "1", ev.differential.observed = "2";
            }
            st = ftf_log_write_event(w, &ev, NULL);
        }
    }
    const ftf_status cst = ftf_log_writer_close(w);
    return st != FTF_OK ? st : cst;
}

static const char diff_report_json[] =
    "{\"schema\":\"ft-differential-report-v1\",\"run_id\":\"run-" H_IMG_J "\",\"seed\":24301,\"scenarios\":40,"
    "\"modes\":[\"strict\",\"hardened\"],\"runs\":80,\"passed\":74,\"failed\":6,"
    "\"verdicts\":{\"pass\":60,\"expected_error_observed\":6,\"allowlisted_drift\":8,\"blocking_drift\":6,"
    "\"oracle_unavailable\":0,\"harness_error\":0},"
    "\"comparators\":{\"selected_key\":{\"runs\":80,\"failures\":6,\"inconclusive\":0},"
    "\"<img src=x onerror=alert(2)>\":{\"runs\":0,\"failures\":0,\"inconclusive\":0}},"
    "\"fallback_rate\":{\"strict\":{\"dispatch_runs\":40,\"fallback_used\":0,\"rate\":0.0},"
    "\"hardened\":{\"dispatch_runs\":40,\"fallback_used\":8,\"rate\":0.2}},"
    "\"oracle\":{\"kind\":\"torch<script>alert(3)</script>\",\"verdicts\":{\"pass\":3,\"<b>x</b>\":1},"
    "\"workers\":{\"<i>w</i>\":\"\\u001b[31m<script>\",\"n\":2}}}";

static const char fuzz_stats_json[] =
    "{\"targets\":[{\"target\":\"keyset" H_SCRIPT "\",\"engine\":\"libfuzzer" H_IMG_J "\",\"execs\":123456,"
    "\"exec_per_s\":2057.5,\"edges\":812,\"corpus\":97,\"new_crashes\":1,\"known_crashes\":2},"
    "{\"target\":\"route_select\",\"engine\":\"afl\",\"execs\":\"many\",\"exec_per_s\":1e300,\"edges\":-3}]}";

static const char coverage_json[] = "{\"targets\":[{\"target\":\"all" H_IMG_J "\",\"lines_pct\":71.25,"
                                    "\"branches_pct\":55.5},{\"target\":\"x\",\"lines_pct\":\"n/a\"}]}";

/* A directory holding a hostile log (hostile name too) and hostile side files. */
static const char *hostile_dir(void) {
    static char dir[256];
    if (dir[0])
        return dir;
    snprintf(dir, sizeof dir, "%s", ftf_test_path("d<b>" H_BAD));
    if (mkdir(dir, 0700) != 0)
        return NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.gz", dir, H_IMG H_BAD);
    if (write_log(path, 7, true) != FTF_OK)
        return NULL;
    snprintf(path, sizeof path, "%s/clean.gz", dir);
    if (write_log(path, 1, false) != FTF_OK)
        return NULL;
    snprintf(path, sizeof path, "%s/" FTF_REPORT_DIFF_REPORT_NAME, dir);
    if (!ftf_test_spit(path, diff_report_json, strlen(diff_report_json)))
        return NULL;
    snprintf(path, sizeof path, "%s/" FTF_REPORT_FUZZ_STATS_NAME, dir);
    if (!ftf_test_spit(path, fuzz_stats_json, strlen(fuzz_stats_json)))
        return NULL;
    snprintf(path, sizeof path, "%s/" FTF_REPORT_COVERAGE_NAME, dir);
    if (!ftf_test_spit(path, coverage_json, strlen(coverage_json)))
        return NULL;
    return dir;
}

static void report_hostile_inputs_stay_text(void) {
    const char *dir = hostile_dir();
    FT_CHECK(dir != NULL);
    ftf_report_options_t ro = FTF_REPORT_OPTIONS_INIT;
    ro.title = "title " H_SCRIPT H_BAD;
    ftf_buf_t page = FTF_BUF_INIT;
    ftf_report_result_t res;
    const char *args[] = {dir};
    FTF_CHECK_STATUS(ftf_report_build(args, 1, &ro, &page, &res), FTF_OK);
    FT_CHECK_EQ_U64(res.logs, 2);
    FT_CHECK_EQ_U64(res.diff_reports, 1);
    FT_CHECK_EQ_U64(res.fuzz_stats, 1);
    FT_CHECK_EQ_U64(res.coverage, 1);
    FT_CHECK(res.tallied && !res.from_index_json);
    FT_CHECK(res.buckets >= 2 && res.failures > 0);
    FT_CHECK_EQ_U64(res.unreadable, 0);
    ftf_report_result_dispose(&res);
    char why[256];
    FT_CHECK_MSG(markup_is_ours(page.data, why), "%s", why);
    /* the hostile texts are there, as text */
    static const char *const shown[] = {
        "&lt;script&gt;alert(1)&lt;/script&gt;",                                 /* op, kernel-free signature, title */
        "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;",                     /* selected key, reason, file name */
        "\\x01\\x1b[31m\\x7f",                                                   /* control bytes */
        "\\u202eevil",                                                           /* bidi override */
        "title &lt;script&gt;alert(1)&lt;/script&gt;\\xff\\xc0\\xaf",            /* invalid UTF-8 in the title */
        "d&lt;b&gt;\\xff\\xc0\\xaf/differential-report.json",                    /* ... and in a path */
        "&lt;img src=x onerror=alert(2)&gt;",                                    /* a comparator name */
        "torch&lt;script&gt;alert(3)&lt;/script&gt;",                            /* oracle kind */
        "keyset&lt;script&gt;alert(1)&lt;/script&gt;",                           /* fuzz target */
        "all&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;",                  /* coverage target */
        "ft-replay &quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;; rm -rf /", /* the logged command */
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        FT_CHECK_MSG(strstr(page.data, shown[i]) != NULL, "not shown escaped: %s", shown[i]);
    /* nothing of it raw */
    FT_CHECK(strstr(page.data, "<img") == NULL);
    FT_CHECK(strstr(page.data, "onerror=alert(1)>") == NULL);
    FT_CHECK(strstr(page.data, "\x1b") == NULL && strstr(page.data, "\xe2\x80\xae") == NULL);
    FT_CHECK(strstr(page.data, "\xff") == NULL);
    /* the logged replay command is never offered for copying: commands are built from checked parts */
    size_t copies = 0;
    for (const char *c = page.data; (c = strstr(c, "data-copy=\"")) != NULL; c++, copies++) {
        const size_t n = strcspn(c + 11, "\"");
        char *text = strndup(c + 11, n);
        FT_CHECK(text != NULL);
        const bool ok = strncmp(text, "ft-replay --dir ", 16) == 0 && !strstr(text, "rm -rf") &&
                        strstr(text, " --run run-") && strstr(text, " --mode ");
        FT_CHECK_MSG(ok, "copy text: %s", text);
        free(text);
    }
    FT_CHECK(copies >= 2);
    ftf_buf_dispose(&page);
}

/* ---- determinism ---------------------------------------------------------------------- */

static void report_same_inputs_same_bytes(void) {
    const char *dir = hostile_dir();
    FT_CHECK(dir != NULL);
    char a[512], b[512], c[512];
    snprintf(a, sizeof a, "%s/clean.gz", dir);
    snprintf(b, sizeof b, "%s/%s.gz", dir, H_IMG H_BAD);
    snprintf(c, sizeof c, "%s/" FTF_REPORT_FUZZ_STATS_NAME, dir);
    const char *order1[] = {a, b, c}, *order2[] = {c, b, a, a};
    ftf_buf_t p1 = FTF_BUF_INIT, p2 = FTF_BUF_INIT, p3 = FTF_BUF_INIT;
    ftf_report_result_t res;
    FTF_CHECK_STATUS(ftf_report_build(order1, 3, NULL, &p1, &res), FTF_OK);
    ftf_report_result_dispose(&res);
    FTF_CHECK_STATUS(ftf_report_build(order1, 3, NULL, &p2, &res), FTF_OK);
    ftf_report_result_dispose(&res);
    FTF_CHECK_STATUS(ftf_report_build(order2, 4, NULL, &p3, &res), FTF_OK);
    ftf_report_result_dispose(&res);
    FT_CHECK(p1.len > 10000);
    FT_CHECK(p1.len == p2.len && memcmp(p1.data, p2.data, p1.len) == 0);
    FT_CHECK_MSG(p1.len == p3.len && memcmp(p1.data, p3.data, p1.len) == 0, "argument order changed the page");
    /* the library call on one index, twice */
    const char *logs[] = {a, b};
    ftf_failure_index_t *idx;
    FTF_CHECK_STATUS(ftf_failure_index_build(logs, 2, NULL, &idx), FTF_OK);
    ftf_buf_t r1 = FTF_BUF_INIT, r2 = FTF_BUF_INIT;
    FTF_CHECK_STATUS(ftf_report_render(idx, NULL, &r1), FTF_OK);
    FTF_CHECK_STATUS(ftf_report_render(idx, NULL, &r2), FTF_OK);
    FT_CHECK(r1.len == r2.len && memcmp(r1.data, r2.data, r1.len) == 0);
    char why[256];
    FT_CHECK_MSG(markup_is_ours(r1.data, why), "%s", why);
    ftf_failure_index_free(idx);
    ftf_buf_dispose(&p1), ftf_buf_dispose(&p2), ftf_buf_dispose(&p3), ftf_buf_dispose(&r1), ftf_buf_dispose(&r2);
}

/* ---- counts ------------------------------------------------------------------------------ */

static void report_tally_matches_the_index(void) {
    const char *dir = hostile_dir();
    FT_CHECK(dir != NULL);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/clean.gz", dir);
    snprintf(b, sizeof b, "%s/%s.gz", dir, H_IMG H_BAD);
    const char *logs[] = {a, b};
    ftf_failure_index_t *idx;
    FTF_CHECK_STATUS(ftf_failure_index_build(logs, 2, NULL, &idx), FTF_OK);
    ftf_index_totals_t t;
    ftf_failure_index_totals(idx, &t);
    ftf_report_tally_t *tally;
    FTF_CHECK_STATUS(ftf_report_tally_logs(logs, 2, &tally), FTF_OK);
    static const ftf_outcome_t outcomes[] = {FTF_OUTCOME_PASS, FTF_OUTCOME_FAIL, FTF_OUTCOME_ALLOWLISTED,
                                             FTF_OUTCOME_SKIPPED, FTF_OUTCOME_CRASH};
    const uint64_t want[] = {t.pass, t.fail, t.allowlisted, t.skipped, t.crash};
    for (size_t i = 0; i < 5; i++)
        FT_CHECK_EQ_U64(ftf_report_tally_count(tally, "strict", outcomes[i]) +
                            ftf_report_tally_count(tally, "hardened", outcomes[i]) +
                            ftf_report_tally_count(tally, "other", outcomes[i]),
                        want[i]);
    /* per mode as written: 80 events per log, half strict; allowlisted only hardened */
    FT_CHECK_EQ_U64(ftf_report_tally_count(tally, "strict", FTF_OUTCOME_ALLOWLISTED), 0);
    FT_CHECK_EQ_U64(ftf_report_tally_count(tally, "hardened", FTF_OUTCOME_ALLOWLISTED), 2 * 8 - 2);
    FT_CHECK_EQ_U64(ftf_report_tally_count(tally, "strict", FTF_OUTCOME_FAIL), 2 * 6);
    ftf_report_tally_free(tally);
    ftf_failure_index_free(idx);
    const char *dash[] = {"-"};
    FTF_CHECK_STATUS(ftf_report_tally_logs(dash, 1, &tally), FTF_EINVALID_ARGUMENT);
}

/* ---- a failure-index.json -------------------------------------------------------------- */

static void report_from_index_json(void) {
    ftf_buf_t page = FTF_BUF_INIT;
    char why[256];
    FTF_CHECK_STATUS(ftf_report_render_index_json("not json", 8, NULL, &page, why), FTF_EBAD_RECORD);
    FT_CHECK(why[0] != '\0');
    FTF_CHECK_STATUS(ftf_report_render_index_json("[1]", 3, NULL, &page, why), FTF_EBAD_RECORD);
    static const char other[] = "{\"schema\":\"ft-failure-index-v2\"}";
    FTF_CHECK_STATUS(ftf_report_render_index_json(other, strlen(other), NULL, &page, why), FTF_EUNSUPPORTED_VERSION);
    FT_CHECK_EQ_U64(page.len, 0);
    /* the bare minimum renders, every part absent */
    static const char bare[] = "{\"schema\":\"ft-failure-index-v1\"}";
    FTF_CHECK_STATUS(ftf_report_render_index_json(bare, strlen(bare), NULL, &page, why), FTF_OK);
    FT_CHECK_MSG(markup_is_ours(page.data, why), "%s", why);
    FT_CHECK(strstr(page.data, "No failures") != NULL);
    page.len = 0;
    /* members of the wrong type, hostile strings everywhere, an invalid scenario id */
    static const char doc[] =
        "{\"schema\":\"ft-failure-index-v1\",\"totals\":{\"files\":\"x\",\"failures\":3,\"buckets\":2},"
        "\"inputs\":[{\"file\":\"" H_SCRIPT "\",\"damaged\":true,\"damage\":{\"corrupt_members\":2,"
        "\"first_damage\":\"crc" H_IMG_J "\",\"first_offset\":12,\"first_detail\":\"\\u001b" H_SCRIPT "\"}},7],"
        "\"runs\":[{\"run_id\":\"" H_IMG_J "\",\"start_time\":\"" H_SCRIPT "\"},{\"run_id\":3}],"
        "\"invalid_records\":{\"" H_IMG_J "\":2},"
        "\"unknown_reasons\":[{\"reason_code\":\"" H_SCRIPT "\",\"count\":1}],"
        "\"buckets\":[{\"bucket_id\":\"" H_IMG_J "\",\"signature\":\"" H_SCRIPT "\",\"count\":2,"
        "\"signature_fields\":{\"kind\":\"failure\",\"comparator\":\"" H_IMG_J "\",\"op\":\"" H_SCRIPT "\","
        "\"selected_key\":\"k\",\"mode\":\"strict\\\" onclick=\\\"x\"},"
        "\"triage\":{\"class\":\"" H_IMG_J "\",\"severity\":\"" H_SCRIPT "\",\"owner\":\"" H_IMG_J "\"},"
        "\"modes\":[\"" H_IMG_J "\",1],\"first_seen\":{\"file\":\"" H_IMG_J "\",\"run_id\":\"" H_IMG_J "\",\"seq\":-4},"
        "\"representative\":{\"scenario_id\":\"" H_IMG_J "\",\"replay_command\":\"" H_SCRIPT "\"}},"
        "\"bucket\",{\"count\":1,\"representative\":{\"scenario_id\":\"gen/0123456789abcdef\","
        "\"run_id\":\"run-0123456789abcdef\",\"file\":\"a'b\\u0001.gz\"},\"signature_fields\":{\"mode\":\"hardened\"}}]"
        "}";
    const char *notes[] = {"note " H_SCRIPT H_BAD};
    ftf_report_inputs_t in = FTF_REPORT_INPUTS_INIT;
    in.notes = notes, in.note_count = 1;
    FTF_CHECK_STATUS(ftf_report_render_index_json(doc, strlen(doc), &in, &page, why), FTF_OK);
    FT_CHECK_MSG(markup_is_ours(page.data, why), "%s", why);
    FT_CHECK(strstr(page.data, "<img") == NULL && strstr(page.data, "onclick=\"") == NULL);
    FT_CHECK(strstr(page.data, "invalid scenario id: no replay command offered") != NULL);
    FT_CHECK(strstr(page.data, "note &lt;script&gt;alert(1)&lt;/script&gt;\\xff\\xc0\\xaf") != NULL);
    /* the second bucket's command: checked id and run; a path with a control byte is left out */
    FT_CHECK(strstr(page.data,
                    "data-copy=\"ft-replay --run run-0123456789abcdef --mode hardened gen/0123456789abcdef\"") != NULL);
    ftf_buf_dispose(&page);
}

/* ---- ftf_report_build's input rules ------------------------------------------------------ */

static void report_build_input_rules(void) {
    const char *dir = hostile_dir();
    FT_CHECK(dir != NULL);
    ftf_buf_t page = FTF_BUF_INIT;
    ftf_report_result_t res;
    char log[512], idx_path[512], diff[512];
    snprintf(log, sizeof log, "%s/clean.gz", dir);
    snprintf(diff, sizeof diff, "%s/" FTF_REPORT_DIFF_REPORT_NAME, dir);
    /* no input, standard input */
    FTF_CHECK_STATUS(ftf_report_build(NULL, 0, NULL, &page, &res), FTF_EINVALID_ARGUMENT);
    FT_CHECK(res.error[0] != '\0');
    ftf_report_result_dispose(&res);
    const char *dash[] = {log, "-"};
    FTF_CHECK_STATUS(ftf_report_build(dash, 2, NULL, &page, &res), FTF_EINVALID_ARGUMENT);
    ftf_report_result_dispose(&res);
    /* nothing readable */
    const char *missing[] = {ftf_test_path("no-such.gz")};
    FTF_CHECK_STATUS(ftf_report_build(missing, 1, NULL, &page, &res), FTF_ENOT_FOUND);
    FT_CHECK_EQ_U64(res.unreadable, 1);
    FT_CHECK_EQ_U64(res.note_count, 1);
    ftf_report_result_dispose(&res);
    FT_CHECK_EQ_U64(page.len, 0);
    /* a missing input beside a readable one: noted, page built */
    const char *some[] = {log, missing[0]};
    FTF_CHECK_STATUS(ftf_report_build(some, 2, NULL, &page, &res), FTF_OK);
    FT_CHECK_EQ_U64(res.unreadable, 1);
    FT_CHECK(strstr(page.data, "no-such.gz") != NULL);
    ftf_report_result_dispose(&res);
    /* a failure index: written beside the logs, rendered as it is, its logs tallied */
    const char *logs[] = {log};
    ftf_failure_index_t *idx;
    FTF_CHECK_STATUS(ftf_failure_index_build(logs, 1, NULL, &idx), FTF_OK);
    snprintf(idx_path, sizeof idx_path, "%s", ftf_test_path("failure-index.json"));
    FTF_CHECK_STATUS(ftf_failure_index_write(idx, idx_path), FTF_OK);
    ftf_failure_index_free(idx);
    const char *ia[] = {idx_path};
    page.len = 0;
    FTF_CHECK_STATUS(ftf_report_build(ia, 1, NULL, &page, &res), FTF_OK);
    FT_CHECK(res.from_index_json && res.tallied);
    FT_CHECK_EQ_U64(res.logs, 1);
    FT_CHECK_EQ_U64(res.diff_reports, 1); /* beside the log it names */
    ftf_report_result_dispose(&res);
    /* ... the same page as from the log itself */
    ftf_buf_t from_log = FTF_BUF_INIT;
    FTF_CHECK_STATUS(ftf_report_build(logs, 1, NULL, &from_log, &res), FTF_OK);
    ftf_report_result_dispose(&res);
    FT_CHECK_MSG(from_log.len == page.len && memcmp(from_log.data, page.data, page.len) == 0,
                 "index file and logs give different pages");
    ftf_buf_dispose(&from_log);
    /* mixed with logs, or twice: usage errors */
    const char *mixed[] = {idx_path, log};
    FTF_CHECK_STATUS(ftf_report_build(mixed, 2, NULL, &page, &res), FTF_EINVALID_ARGUMENT);
    ftf_report_result_dispose(&res);
    char idx2[512];
    snprintf(idx2, sizeof idx2, "%s", ftf_test_path("other-index.json"));
    size_t n;
    unsigned char *bytes = ftf_test_slurp(idx_path, &n);
    FT_CHECK(bytes && ftf_test_spit(idx2, bytes, n));
    const char *two[] = {idx_path, idx2};
    FTF_CHECK_STATUS(ftf_report_build(two, 2, NULL, &page, &res), FTF_EINVALID_ARGUMENT);
    ftf_report_result_dispose(&res);
    /* an index whose logs are gone: shown, without per-run counts */
    char *gone = (char *)bytes;
    char *at = strstr(gone, "clean.gz");
    FT_CHECK(at != NULL);
    memcpy(at, "gone0.gz", 8);
    FT_CHECK(ftf_test_spit(idx2, gone, n));
    free(bytes);
    const char *ig[] = {idx2};
    page.len = 0;
    FTF_CHECK_STATUS(ftf_report_build(ig, 1, NULL, &page, &res), FTF_OK);
    FT_CHECK(res.from_index_json && !res.tallied);
    FT_CHECK_EQ_U64(res.note_count, 1);
    FT_CHECK(strstr(page.data, "needs the logs") != NULL);
    ftf_report_result_dispose(&res);
    /* JSON side files named as arguments are recognised by content; a wrong one is unreadable */
    const char *side[] = {log, diff, idx2 /* an index after logs: mixed */};
    FTF_CHECK_STATUS(ftf_report_build(side, 2, NULL, &page, &res), FTF_OK);
    FT_CHECK_EQ_U64(res.diff_reports, 1);
    ftf_report_result_dispose(&res);
    const char *junk_path = ftf_test_path("junk.json");
    FT_CHECK(ftf_test_spit(junk_path, "{\"a\":1}", 7));
    const char *junk[] = {log, junk_path};
    FTF_CHECK_STATUS(ftf_report_build(junk, 2, NULL, &page, &res), FTF_OK);
    FT_CHECK_EQ_U64(res.unreadable, 1);
    ftf_report_result_dispose(&res);
    ftf_report_options_t ro = FTF_REPORT_OPTIONS_INIT;
    ro.coverage = diff; /* not a coverage summary */
    FTF_CHECK_STATUS(ftf_report_build(logs, 1, &ro, &page, &res), FTF_OK);
    FT_CHECK_EQ_U64(res.unreadable, 1);
    FT_CHECK_EQ_U64(res.coverage, 1); /* the one beside the log still counts */
    ftf_report_result_dispose(&res);
    /* ci/coverage.sh's summary.json (ft-coverage-v1), named as an argument */
    static const char cov1[] =
        "{\"schema\":\"ft-coverage-v1\",\"scope\":\"lib/\",\"targets\":[{\"target\":\"keyset_parse\",\"inputs\":9,"
        "\"lines\":{\"count\":2554,\"covered\":634,\"percent\":24.82},\"branches\":{\"count\":10,\"covered\":5,"
        "\"percent\":50},\"functions\":{\"count\":4,\"covered\":1,\"percent\":25}}]}";
    const char *cov_path = ftf_test_path("summary.json");
    FT_CHECK(ftf_test_spit(cov_path, cov1, strlen(cov1)));
    const char *with_cov[] = {log, cov_path};
    page.len = 0;
    FTF_CHECK_STATUS(ftf_report_build(with_cov, 2, NULL, &page, &res), FTF_OK);
    FT_CHECK_EQ_U64(res.unreadable, 0);
    FT_CHECK_EQ_U64(res.coverage, 2);
    FT_CHECK(strstr(page.data, "24.8 % <span class=\"note\">634/2,554</span>") != NULL);
    char why[256];
    FT_CHECK_MSG(markup_is_ours(page.data, why), "%s", why);
    ftf_report_result_dispose(&res);
    ftf_buf_dispose(&page);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(report_escapes_hostile_text),   FT_CASE(report_hostile_inputs_stay_text),
        FT_CASE(report_same_inputs_same_bytes), FT_CASE(report_tally_matches_the_index),
        FT_CASE(report_from_index_json),        FT_CASE(report_build_input_rules),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
