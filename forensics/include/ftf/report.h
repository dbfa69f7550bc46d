/* libftforensics — the HTML report (`ft-forensics report`, forensics/REPORT.md).
 *
 * One self-contained HTML page from a failure index and what lies beside the
 * logs: a summary (runs, scenarios, outcomes and fallback rate per mode,
 * oracle status), the buckets as a sortable table with each representative's
 * replay command and a copy button, bar charts of failures per comparator, op
 * and selected key, a timeline of failures over runs (inline SVG), the damage
 * report of each log, and fuzz-target statistics and a coverage summary when
 * given.
 *
 * The page loads nothing: no network, no external script, style or font. A
 * Content-Security-Policy meta tag allows only the page's own style and
 * script, by their SHA-256 hashes, so markup that escaped into the page could
 * not run a script. Everything read from logs, indexes and JSON inputs is
 * untrusted and is escaped (ftf_report_escape_html) wherever it appears; no
 * input text ever reaches the script, a URL or a class name.
 *
 * Deterministic bytes: the same inputs give the same page (no clock, no
 * environment, every list in a defined order). */
#ifndef FTF_REPORT_H
#define FTF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftf/event.h"
#include "ftf/status.h"
#include "ftf/triage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- escaping ------------------------------------------------------------- */

/* Appends s[0 .. len) to `out` as HTML text that is safe both between tags and
 * inside a double- or single-quoted attribute value: & < > " ' become
 * entities; control characters (U+0000..U+001F, U+007F, U+0080..U+009F) and
 * the bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
 * become visible escapes ("\x1b", "\u202e"); each byte that does not start a
 * valid UTF-8 sequence becomes "\xNN". Other valid UTF-8 is kept. `s` may be
 * NULL when len is 0. FTF_ENOMEM. */
ftf_status ftf_report_escape_html(const char *s, size_t len, ftf_buf_t *out);

/* ---- per-run and per-mode counts from the logs ---------------------------- */

/* Events counted per run and per mode by outcome, read from the logs (the
 * failure index keeps only totals). Counted like the index: pass, skipped and
 * allowlisted events from a structural scan, failures and anything the scan
 * cannot decide parsed in full; lines the parser rejects are not events. */
typedef struct ftf_report_tally ftf_report_tally_t;

/* Reads the logs `paths` (files as given, no directories, not "-": each is
 * read again after the index read it) into a new tally. Damage is skipped (the
 * index reports it). Errors: FTF_EINVALID_ARGUMENT, FTF_ENOMEM. */
ftf_status ftf_report_tally_logs(const char *const *paths, size_t count, ftf_report_tally_t **out);
void ftf_report_tally_free(ftf_report_tally_t *t);

/* Events of mode `mode` ("strict", "hardened"; any other name: events with a
 * mode the scan did not recognise) with outcome `outcome`, over every run. */
uint64_t ftf_report_tally_count(const ftf_report_tally_t *t, const char *mode, ftf_outcome_t outcome);

/* ---- the page ------------------------------------------------------------- */

/* A file given to the report: its path as shown in the page and its bytes
 * (borrowed). data == NULL means it could not be read: `error` (or "cannot
 * read") is shown instead. */
typedef struct ftf_report_file {
    const char *path;
    const char *data;
    size_t len;
    const char *error;
} ftf_report_file_t;

/* What the page shows besides the index. Every member may be NULL / 0. */
typedef struct ftf_report_inputs {
    const char *title; /* NULL: "ft-forensics report" */
    /* ft-campaign's differential-report.json files (schema
     * ft-differential-report-v1): runs, verdicts, per-comparator counts,
     * fallback rate per mode, oracle status. Shown in the given order. */
    const ftf_report_file_t *diff_reports;
    size_t diff_report_count;
    /* fuzz statistics: {"targets":[{"target","engine","execs","exec_per_s",
     * "edges","corpus","new_crashes","known_crashes"}]} (REPORT.md) */
    const ftf_report_file_t *fuzz_stats;
    size_t fuzz_stats_count;
    /* coverage summary: {"targets":[{"target","lines_pct","branches_pct"}]}, or
     * ci/coverage.sh's ft-coverage-v1 ({"targets":[{"target","lines":{"covered",
     * "count","percent"},"branches":{...},"functions":{...}}]}) */
    const ftf_report_file_t *coverage;
    size_t coverage_count;
    /* per-run and per-mode counts; NULL: the page says they need the logs */
    const ftf_report_tally_t *tally;
    /* lines shown under "Notes" (what the tool could not find or read) */
    const char *const *notes;
    size_t note_count;
} ftf_report_inputs_t;

#define FTF_REPORT_INPUTS_INIT                                                                                         \
    { NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0 }

/* Appends the page for the index `idx` to `out`. `in` may be NULL. Same
 * inputs, same bytes. FTF_EINVALID_ARGUMENT (NULL idx or out), FTF_ENOMEM. */
ftf_status ftf_report_render(const ftf_failure_index_t *idx, const ftf_report_inputs_t *in, ftf_buf_t *out);

/* The same from a failure index document (`failure-index.json`, `len` bytes,
 * untrusted: every member is checked for its type, and what is missing or
 * malformed is shown as absent). Errors: FTF_EBAD_RECORD (not a JSON
 * object; `why`, when not NULL, gets jansson's message), FTF_EUNSUPPORTED_VERSION
 * (a "schema" other than ft-failure-index-v1), FTF_EINVALID_ARGUMENT,
 * FTF_ENOMEM. */
ftf_status ftf_report_render_index_json(const char *json, size_t len, const ftf_report_inputs_t *in, ftf_buf_t *out,
                                        char why[160]);

/* ---- from paths: what `ft-forensics report` does --------------------------- */

/* Names of the optional files looked for beside the inputs. */
#define FTF_REPORT_DIFF_REPORT_NAME "differential-report.json"
#define FTF_REPORT_FUZZ_STATS_NAME  "fuzz-stats.json"
#define FTF_REPORT_COVERAGE_NAME    "coverage-summary.json"

typedef struct ftf_report_options {
    const char *title;      /* NULL: "ft-forensics report" */
    const char *fuzz_stats; /* a fuzz statistics file besides those found beside the inputs; NULL: none */
    const char *coverage;   /* a coverage summary file, likewise */
} ftf_report_options_t;

#define FTF_REPORT_OPTIONS_INIT                                                                                        \
    { NULL, NULL, NULL }

/* What ftf_report_build found. */
typedef struct ftf_report_result {
    char **notes; /* what could not be found or read, one line each (also shown in the page) */
    size_t note_count;
    size_t unreadable;    /* inputs given that could not be read (missing, not a log, bad JSON) */
    bool from_index_json; /* the page was built from a failure-index.json */
    bool tallied;         /* per-run and per-mode counts were read from the logs */
    uint64_t logs, damaged_logs, failures, buckets;
    size_t diff_reports, fuzz_stats, coverage; /* side files shown */
    char error[256];                           /* why, when ftf_report_build fails */
} ftf_report_result_t;

/* Builds the page from command-line arguments and appends it to `out`. Each
 * argument is a log (any file ftf_log_reader reads), a directory (every *.gz
 * below it, as ftf_triage_expand_paths finds them), or a JSON file recognised
 * by its content: a failure index (schema ft-failure-index-v1), a
 * differential report (ft-differential-report-v1), a coverage summary
 * (ft-coverage-v1, or a "targets" array whose members have "lines_pct",
 * "branches_pct" or a "lines" object) or fuzz statistics (any other "targets"
 * array). A failure index is rendered as it
 * is, and the logs it names are read for the per-run counts when they are
 * all there; it cannot be mixed with logs. Beside every log, every directory
 * argument and the index, the files FTF_REPORT_DIFF_REPORT_NAME,
 * FTF_REPORT_FUZZ_STATS_NAME and FTF_REPORT_COVERAGE_NAME are used when they
 * exist. Side files are shown in path order. Inputs that cannot be read are
 * counted in res->unreadable and noted; the page is built from the rest.
 * Errors (res->error says why): FTF_EINVALID_ARGUMENT (no argument, "-",
 * a failure index mixed with logs or given twice), FTF_ENOT_FOUND (nothing
 * could be read), FTF_EBAD_RECORD / FTF_EUNSUPPORTED_VERSION (the failure
 * index is not one), FTF_EIO, FTF_ENOMEM. `res` is filled either way; free it
 * with ftf_report_result_dispose. */
ftf_status ftf_report_build(const char *const *args, size_t count, const ftf_report_options_t *opts, ftf_buf_t *out,
                            ftf_report_result_t *res);
void ftf_report_result_dispose(ftf_report_result_t *res);

#ifdef __cplusplus
}
#endif

#endif
