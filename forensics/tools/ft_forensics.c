/* ft-forensics: read, find, triage, check and repair ft-forensics-v1 logs.
 *
 *   ft-forensics cat [--scenario ID] [--outcome O] [--reason R] [--mode M] LOG|DIR|-...
 *   ft-forensics show [--json] SCENARIO_ID LOG|DIR|-...
 *   ft-forensics index [-o FILE] [--compact] [--member-cap N] LOG|DIR|-...
 *   ft-forensics triage [--json] [--top N] LOG|DIR|-...
 *   ft-forensics verify [--json] [--members] LOG|DIR|-...
 *   ft-forensics reindex LOG|DIR...
 *   ft-forensics recover -o OUT [--force] [--no-index] LOG|DIR|-...
 *   ft-forensics ingest --target NAME --engine E --binary PATH [--out LOG] ... ARTIFACT...
 *   ft-forensics report [--out FILE] [--title T] [--fuzz-stats F] [--coverage F] INDEX.json|LOG|DIR...
 *
 * Inputs (every command): a log is our BGZF log, any gzip file (gzip, pigz,
 * bgzip — lines bgzip split across blocks are joined), or plain JSONL; a
 * directory stands for every *.gz below it (sorted); "-" is standard input.
 * Pipes and "-" are read sequentially. Several inputs behave as with zcat:
 * what can be read is, what cannot is said on stderr with the reason, and the
 * exit code says so.
 *
 * Exit codes (every command):
 *   0  success: nothing wrong found (a log still open — no end-of-file member
 *      yet — is said, and is not an error)
 *   1  the command's negative answer: damage found (cat, index, verify, reindex,
 *      recover: records were lost), scenario not found (show), failures
 *      present (triage), stale/foreign/corrupt locator or not BGZF (verify); or
 *      an input that could not be read (missing, unreadable, a directory with
 *      no logs), the others processed all the same
 *   2  usage error (unknown command or option, missing argument, invalid
 *      scenario id)
 *   3  the command itself failed: its output could not be written, out of
 *      memory
 *
 * Logs are untrusted input: replay commands read from them are printed,
 * never executed; scenario ids given by users are validated. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ft/version.h"
#include "ftf/artifact.h"
#include "ftf/atomic_file.h"
#include "ftf/crash_report.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"
#include "ftf/report.h"
#include "ftf/status.h"
#include "ftf/triage.h"

#define EXIT_OK    0
#define EXIT_NEG   1
#define EXIT_USAGE 2
#define EXIT_ERROR 3

static const char *prog = "ft-forensics";

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
say(const char *cmd, const char *fmt, ...);

/* "ft-forensics: CMD: message" on stderr. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 0)))
#endif
static void
vsay(const char *cmd, const char *fmt, va_list ap) {
    fprintf(stderr, "%s: %s: ", prog, cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void say(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, fmt, ap);
    va_end(ap);
}

/* ---- usage ---------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *usage;
    const char *help;
} cmd_help_t;

static const cmd_help_t helps[] = {
    {"cat", "cat [--scenario ID] [--outcome O] [--reason R] [--mode M] LOG|DIR|-...",
     "Prints the records of the logs as JSON lines, in argument order and log order.\n"
     "Filters (all must match; with any filter only event records are printed):\n"
     "  --scenario ID   scenario_id equals ID (validated)\n"
     "  --outcome O     pass | fail | allowlisted | skipped | crash\n"
     "  --reason R      reason_code equals R\n"
     "  --mode M        strict | hardened\n"
     "Damage is skipped and said on stderr, per log, naming only what was found. A log without its\n"
     "end-of-file member is said to be open (still being written, or its writer stopped): not an error.\n"
     "Like zcat, an input that cannot be read is said (with the reason) and the others are still printed.\n"
     "Exit: 0 ok (open logs too), 1 damage or an unreadable input (the readable records printed), 2 usage,\n"
     "3 output error."},
    {"show", "show [--json] SCENARIO_ID LOG|DIR|-...",
     "Prints every record of SCENARIO_ID, in log order, found through each log's locator (<log>.ftidx);\n"
     "where the locator is missing, stale, foreign or corrupt (or the input is -), says so on stderr and\n"
     "scans the log.\n"
     "  --json   one JSON object: scenario_id, found, logs [{file, locator, source}], records\n"
     "           [{file, member_offset, offset, length, source, record}]\n"
     "The replay command in a record is shown, never run.\n"
     "Exit: 0 found, 1 not found or an input could not be read, 2 usage or invalid scenario id, 3 error."},
    {"index", "index [-o FILE] [--compact] [--member-cap N] LOG|DIR|-...",
     "Builds the failure index (ft-failure-index-v1, INDEX_FORMAT.md) over the logs and writes it to FILE\n"
     "(atomically) or stdout. Deterministic bytes: same logs, same index.\n"
     "  -o FILE          output file (default: stdout)\n"
     "  --compact        one line instead of indented JSON\n"
     "  --member-cap N   scenario ids listed per bucket (default 100)\n"
     "Exit: 0 written, 1 written but some log was damaged (see inputs[].damage) or could not be read (then\n"
     "not in inputs[]; with none readable nothing is written), 2 usage, 3 FILE could not be written."},
    {"triage", "triage [--json] [--top N] LOG|DIR|-...",
     "Summarises the failures of the logs: one row per bucket (count, severity, class, signature,\n"
     "representative scenario), allowlisted drifts and unknown reason codes apart.\n"
     "  --json    the failure index, compact, on one line\n"
     "  --top N   show only the N largest buckets\n"
     "Exit: 0 no failures and no damage, 1 failures, damage or an unreadable input, 2 usage, 3 error."},
    {"verify", "verify [--json] [--members] LOG|DIR|-...",
     "Checks each log: every member (gzip header, BC field, CRC32, sizes), torn tail, junk, the EOF\n"
     "member, lines; and its locator (missing, fresh, stale, foreign, corrupt) by a full rebuild.\n"
     "Each log is intact, open (intact so far, no end-of-file member yet: being written, or its writer\n"
     "stopped), not_bgzf (readable plain gzip or JSONL), damaged or unreadable.\n"
     "  --json      one JSON object: ok, files [{file, intact, state, status, report, locator, members?}]\n"
     "  --members   list every member (offset, size, data size, CRC, lines, kind, damage)\n"
     "Exit: 0 every log intact or open, with a fresh or no locator; 1 otherwise (or an input could not be\n"
     "read), 2 usage, 3 error."},
    {"reindex", "reindex LOG|DIR...",
     "Rebuilds each log's locator (<log>.ftidx) from the log, atomically (not for -: a locator lives\n"
     "beside its log).\n"
     "Exit: 0 ok, 1 a log was damaged (its locator covers the readable records) or could not be read,\n"
     "2 usage, 3 a locator could not be written."},
    {"recover", "recover -o OUT [--force] [--no-index] LOG|DIR|-...",
     "Copies every intact record of the logs, in order, into a new valid log OUT (with its EOF member,\n"
     "fsync'ed) and writes OUT's locator; reports what was lost. Lines that bgzip split across blocks are\n"
     "whole records in OUT. A DIR stands for every *.gz below it, sorted, as for the other commands: all\n"
     "their records go into the one OUT (like zcat -r DIR | bgzip). With no log to read (a DIR without\n"
     "*.gz, missing inputs) nothing is written.\n"
     "  -o OUT       the new log (refused if it exists, unless --force; never one of the inputs)\n"
     "  --no-index   do not write OUT.ftidx\n"
     "Exit: 0 nothing was lost, 1 OUT written but records were lost or an input could not be read (or\n"
     "nothing to recover), 2 usage, 3 OUT could not be written."},
    {"ingest",
     "ingest --target NAME --engine libfuzzer|afl|replay --binary PATH [--replay-binary PATH] [--out LOG]\n"
     "              [--timeout S] [--baseline failure-index.json] [--json] [--no-log] ARTIFACT...",
     "Records fuzz findings: runs the target BINARY on each ARTIFACT (a file; fork/exec of the path given,\n"
     "resolved here: never a shell, never a command read from a log; stdin and stdout on /dev/null), with a\n"
     "deadline, reads what it says on stderr (an ft-diff: line, a sanitizer or libFuzzer report, a signal)\n"
     "and writes one event per artifact to LOG (appended; its locator rebuilt): scenario_id\n"
     "fuzz/<target>/<sha1>, outcome crash (reason code: the comparator of an ft-diff line, else the crash\n"
     "type) or skipped (not_reproduced), the fuzz group (input inline when small, and always stored as\n"
     "LOG.artifacts/<sha1>.bin; crash type; crash_state = the top 3 normalised frames or the ft-diff line),\n"
     "the stderr text as a .txt artifact, the scenario the target logged itself (FT_FUZZ_FORENSICS_DIR is\n"
     "pointed at a private scratch directory) or {\"kind\":\"fuzz_input\",\"target\":...}, and the replay\n"
     "command: the plain replay driver on the stored input, shell-quoted. An artifact already in LOG is\n"
     "not written twice.\n"
     "  --target NAME          the fuzz target (fuzz_<NAME>)\n"
     "  --engine E             what BINARY was built for: libfuzzer (run with -timeout=S-2), afl, replay\n"
     "  --binary PATH          the target to run\n"
     "  --replay-binary PATH   the replay driver named in replay commands (default: BINARY for replay,\n"
     "                         else build/fuzz-replay/fuzz/fuzz_<NAME>, relative to where it is run)\n"
     "  --out LOG              default fuzz-forensics/ingest-<NAME>.log.gz\n"
     "  --timeout S            deadline per run (default 25 s; a run killed by it is a timeout finding)\n"
     "  --baseline FILE        a failure-index.json: findings whose signature is one of its buckets' are\n"
     "                         known, the others new\n"
     "  --json                 one JSON object per artifact (scenario_id, reproduced, kind, crash_type,\n"
     "                         reason_code, frames, signature, bucket_id, class, severity, known, new,\n"
     "                         recorded, input_file, replay_command, replay_argv, location, exit, ...)\n"
     "  --no-log               write nothing: only say what each artifact is\n"
     "The run's environment is ours with FT_FUZZ_FORENSICS_DIR replaced, and ASAN_OPTIONS/UBSAN_OPTIONS\n"
     "defaulted (symbolize, leaks, stack traces) when unset.\n"
     "Exit: 0 every artifact recorded and none is a new crash, 1 a new crash (not in --baseline; without\n"
     "one every crash is new) or an artifact could not be read, 2 usage (also: BINARY not executable,\n"
     "unreadable baseline), 3 the log could not be written or BINARY could not be run."},
    {"report", "report [--out FILE] [--title T] [--fuzz-stats FILE] [--coverage FILE] INDEX.json|LOG|DIR...",
     "Writes one self-contained HTML page (no network, no external script, style or font; forensics/REPORT.md):\n"
     "a summary (runs, scenarios, outcomes and fallback rate per mode, oracle status), the failure buckets as a\n"
     "sortable table with each representative's ft-replay command and a copy button, bar charts of failures per\n"
     "comparator, op and selected key and over runs, each log's damage report, and fuzz-target statistics and\n"
     "coverage when present. Everything taken from the inputs is escaped. Same inputs, same bytes.\n"
     "Inputs: logs and directories of logs (the index is built from them), or one failure-index.json (shown as\n"
     "it is; the logs it names are read for per-run counts when they are all there). Beside the inputs,\n"
     "differential-report.json, fuzz-stats.json and coverage-summary.json are used when present; JSON files\n"
     "named as arguments are recognised by their content. Standard input is not read (logs are read twice).\n"
     "  --out FILE, -o FILE   the page (default report.html; - for standard output), written atomically\n"
     "  --title T             the page's title\n"
     "  --fuzz-stats FILE     fuzz statistics {\"targets\":[{target, engine, execs, exec_per_s, edges, corpus,\n"
     "                        new_crashes, known_crashes}]}\n"
     "  --coverage FILE       a coverage summary {\"targets\":[{target, lines_pct, branches_pct}]}\n"
     "Exit: 0 written, 1 written but an input was damaged or could not be read (said on stderr and in the\n"
     "page's notes; with nothing readable nothing is written), 2 usage, 3 the page could not be written."},
};

static const cmd_help_t *find_help(const char *cmd) {
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (strcmp(helps[i].name, cmd) == 0)
            return &helps[i];
    return NULL;
}

static void print_usage(FILE *f) {
    fprintf(f, "usage: %s COMMAND [OPTIONS] ARGS...\n\ncommands:\n", prog);
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        fprintf(f, "  %s %s\n", prog, helps[i].usage);
    fprintf(f,
            "\nA LOG is a BGZF log, any gzip file (gzip, pigz, bgzip) or plain JSONL; a DIR stands for every *.gz\n"
            "below it (sorted); - is standard input. Unreadable inputs are said and the rest is processed, as\n"
            "zcat does. %s COMMAND --help for details. Exit codes: 0 ok (a log still open included), 1 damage /\n"
            "not found / failures (per command) or an unreadable input,\n"
            "2 usage, 3 the command failed (output not writable, out of memory).\n",
            prog);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static int
cmd_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(cmd, fmt, ap);
    va_end(ap);
    const cmd_help_t *h = find_help(cmd);
    if (h)
        fprintf(stderr, "usage: %s %s\n", prog, h->usage);
    return EXIT_USAGE;
}

static int print_cmd_help(const char *cmd) {
    const cmd_help_t *h = find_help(cmd);
    printf("usage: %s %s\n\n%s\n", prog, h->usage, h->help);
    return EXIT_OK;
}

/* ---- option parsing --------------------------------------------------------- */

/* Options of every command: flags and valued options; positional arguments
 * collected in order. "--" ends options. */
typedef struct {
    const char *cmd;
    const char *const *flags;  /* accepted flags */
    const char *const *valued; /* accepted options taking a value */
    const char *fval[8];       /* flag found: "1" */
    const char *vval[8];
    const char **pos;
    size_t npos;
    bool help;
} opts_t;

static int parse_opts(opts_t *o, int argc, char **argv) {
    o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
    if (!o->pos)
        return EXIT_ERROR;
    bool more = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!more || a[0] != '-' || a[1] == '\0') {
            o->pos[o->npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            more = false;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
            continue;
        }
        const char *eq = strchr(a, '=');
        const size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        bool ok = false;
        for (size_t k = 0; o->flags && o->flags[k]; k++)
            if (!eq && strcmp(o->flags[k], a) == 0)
                o->fval[k] = "1", ok = true;
        for (size_t k = 0; !ok && o->valued && o->valued[k]; k++) {
            if (strlen(o->valued[k]) != nlen || strncmp(o->valued[k], a, nlen) != 0)
                continue;
            if (eq)
                o->vval[k] = eq + 1;
            else if (i + 1 < argc)
                o->vval[k] = argv[++i];
            else
                return cmd_usage(o->cmd, "option %s needs a value", a);
            ok = true;
        }
        if (!ok)
            return cmd_usage(o->cmd, "unknown option %s", a);
    }
    return EXIT_OK;
}

static bool parse_size(const char *s, size_t *out) {
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || v > 100000000ULL)
        return false;
    *out = (size_t)v;
    return true;
}

/* ---- inputs ------------------------------------------------------------------- */

/* The logs a command reads, in argument order: "-" (standard input) as it is,
 * a directory replaced by every log (*.gz) below it (sorted), anything else as
 * given. An input that is not there, or a directory without logs, is said on
 * stderr with its reason and counted in `failed`; the others are still read,
 * as zcat does. */
typedef struct {
    char **v;
    size_t n, cap;
    size_t failed;
} inputs_t;

static void inputs_free(inputs_t *in) {
    for (size_t i = 0; i < in->n; i++)
        free(in->v[i]);
    free(in->v);
    memset(in, 0, sizeof *in);
}

static bool inputs_add(inputs_t *in, const char *path) {
    if (in->n == in->cap) {
        const size_t cap = in->cap ? 2 * in->cap : 16;
        char **v = realloc(in->v, cap * sizeof *v);
        if (!v)
            return false;
        in->v = v, in->cap = cap;
    }
    const size_t len = strlen(path) + 1;
    if (!(in->v[in->n] = malloc(len)))
        return false;
    memcpy(in->v[in->n++], path, len);
    return true;
}

/* Adds the logs below directory `dir`; false only when out of memory. */
static bool inputs_add_dir(const char *cmd, inputs_t *in, const char *dir) {
    char **list = NULL;
    size_t n = 0;
    errno = 0;
    const ftf_status st = ftf_triage_expand_paths(&dir, 1, &list, &n);
    if (st == FTF_ENOMEM)
        return false;
    if (st != FTF_OK) {
        say(cmd, "%s: cannot list the directory: %s", dir, errno ? strerror(errno) : ftf_strerror(st));
        in->failed++;
        return true;
    }
    if (n == 0) {
        say(cmd, "%s: no logs (*.gz) in this directory", dir);
        in->failed++;
    }
    bool ok = true;
    for (size_t k = 0; k < n && ok; k++)
        ok = inputs_add(in, list[k]);
    ftf_triage_paths_free(list, n);
    return ok;
}

/* EXIT_OK (the list may be empty when every input failed), EXIT_USAGE (none
 * given) or EXIT_ERROR (out of memory). */
static int inputs_expand(const char *cmd, const char *const *args, size_t nargs, inputs_t *in) {
    memset(in, 0, sizeof *in);
    if (nargs == 0)
        return cmd_usage(cmd, "no log given");
    bool ok = true;
    for (size_t i = 0; ok && i < nargs; i++) {
        const char *a = args[i];
        struct stat sb;
        if (strcmp(a, "-") == 0)
            ok = inputs_add(in, a);
        else if (stat(a, &sb) != 0) {
            say(cmd, "%s: %s", a, strerror(errno));
            in->failed++;
        } else if (S_ISDIR(sb.st_mode))
            ok = inputs_add_dir(cmd, in, a);
        else
            ok = inputs_add(in, a);
    }
    if (!ok) {
        say(cmd, "%s", ftf_strerror(FTF_ENOMEM));
        inputs_free(in);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

/* ---- reports ------------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t cap, len;
} text_t;

/* Appends one item to a ", "-separated list (silently cut at the capacity). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
text_item(text_t *t, const char *fmt, ...) {
    if (t->len + 1 >= t->cap)
        return;
    if (t->len)
        t->len += (size_t)snprintf(t->s + t->len, t->cap - t->len, ", ");
    if (t->len + 1 >= t->cap) {
        t->len = t->cap - 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len = k < 0 ? t->len : t->len + (size_t)k >= t->cap ? t->cap - 1 : t->len + (size_t)k;
}

/* The damage of a report, naming only what was found, then the first problem. */
static void describe_damage(const ftf_log_report_t *r, char *out, size_t cap) {
    text_t t = {out, cap, 0};
    out[0] = '\0';
    typedef unsigned long long ull;
    if (r->corrupt_members)
        text_item(&t, "%llu corrupt member(s) (%llu bytes, %llu line(s) lost)", (ull)r->corrupt_members,
                  (ull)r->corrupt_bytes, (ull)r->corrupt_lines);
    if (r->torn_tails)
        text_item(&t, "%llu torn tail(s) (%llu bytes, %llu line(s) lost)", (ull)r->torn_tails, (ull)r->torn_bytes,
                  (ull)r->torn_lines);
    if (r->junk_bytes)
        text_item(&t, "%llu junk byte(s)", (ull)r->junk_bytes);
    if (r->bad_lines)
        text_item(&t, "%llu line(s) not a JSON object", (ull)r->bad_lines);
    if (r->long_lines)
        text_item(&t, "%llu line(s) too long", (ull)r->long_lines);
    if (r->unterminated_lines)
        text_item(&t, "%llu unterminated line(s)", (ull)r->unterminated_lines);
    if (r->io_errors)
        text_item(&t, "%llu unreadable file(s)", (ull)r->io_errors);
    if (r->missing_eof)
        text_item(&t, "%llu log(s) without end-of-file member", (ull)r->missing_eof);
    if (r->first_detail[0] && t.len + 1 < cap)
        snprintf(out + t.len, cap - t.len, "; first: %s", r->first_detail);
}

static bool only_io_errors(const ftf_log_report_t *r) {
    return r->io_errors && !r->corrupt_members && !r->torn_tails && !r->junk_bytes && !r->bad_lines && !r->long_lines &&
           !r->unterminated_lines;
}

#define OPEN_TEXT "no end-of-file member yet (still being written, or its writer stopped)"

/* Says on stderr what reading `label` (a file; NULL for several) found: its
 * damage, that it could not be read, or that it is open. True when something
 * was lost (damage or an I/O error); an open log is not. */
static bool say_report(const char *cmd, const char *label, const ftf_log_report_t *rep) {
    if (ftf_log_report_damaged(rep)) {
        if (only_io_errors(rep)) {
            say(cmd, "cannot read %s", rep->first_detail);
            return true;
        }
        char what[600];
        describe_damage(rep, what, sizeof what);
        say(cmd, "%s%sdamage: %s", label ? label : "", label ? ": " : "", what);
        return true;
    }
    if (rep->missing_eof && label)
        say(cmd, "%s: open: " OPEN_TEXT, label);
    else if (rep->missing_eof)
        say(cmd, "%llu log(s) open: " OPEN_TEXT, (unsigned long long)rep->missing_eof);
    return false;
}

static bool span_eq(const char *s, size_t n, const char *lit) {
    return s && strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static json_t *report_json(const ftf_log_report_t *r) {
    json_t *o = json_object();
#define U(f) json_object_set_new(o, #f, json_integer((json_int_t)r->f))
    U(files), U(members), U(eof_members), U(foreign_members), U(text_files), U(records), U(data_bytes),
        U(corrupt_members), U(corrupt_bytes), U(corrupt_lines), U(torn_tails), U(torn_bytes), U(torn_lines),
        U(junk_bytes), U(missing_eof), U(long_lines), U(bad_lines), U(unterminated_lines), U(io_errors);
#undef U
    json_object_set_new(o, "first_damage", json_string(ftf_log_damage_name(r->first_damage)));
    if (r->first_damage != FTF_LOG_DAMAGE_NONE) {
        json_object_set_new(o, "first_status", json_string(ftf_status_code(r->first_status)));
        json_object_set_new(o, "first_offset", json_integer((json_int_t)r->first_offset));
        json_object_set_new(o, "first_detail", json_string(r->first_detail));
    }
    return o;
}

static int print_json(json_t *j) {
    const int rc = json_dumpf(j, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(j);
    return rc == 0 ? EXIT_OK : EXIT_ERROR;
}

/* Flushes stdout; on failure says why. */
static bool flush_stdout(const char *cmd) {
    if (fflush(stdout) == 0 && !ferror(stdout))
        return true;
    say(cmd, "writing standard output: %s", strerror(errno));
    return false;
}

/* Name of a locator state for reports. */
static const char *locator_state(ftf_status st) {
    switch (st) {
    case FTF_OK:
        return "fresh";
    case FTF_ENOT_FOUND:
        return "missing";
    case FTF_ESTALE_INDEX:
        return "stale";
    case FTF_EFOREIGN_INDEX:
        return "foreign";
    case FTF_ECORRUPT:
        return "corrupt";
    case FTF_EUNSUPPORTED_VERSION:
        return "unsupported_version";
    default:
        return "unreadable";
    }
}

/* ---- cat ---------------------------------------------------------------------- */

typedef struct {
    const char *scenario, *outcome, *reason, *mode; /* NULL: any */
} cat_filter_t;

/* Does the record pass the filters (any set)? */
static bool cat_match(const cat_filter_t *flt, const ftf_log_record_t *rec, ftf_event_storage_t *storage) {
    ftf_record_fields_t f;
    if (ftf_record_peek(rec->line, rec->len, FTF_PEEK_ALL, &f) != FTF_PEEK_OK) {
        ftf_record_t pr;
        if (ftf_record_parse(rec->line, rec->len, &pr, storage, NULL) != FTF_OK || pr.kind != FTF_RECORD_KIND_EVENT)
            return false;
        memset(&f, 0, sizeof f);
        f.record = "event", f.record_len = 5;
        f.scenario_id = pr.event.scenario_id, f.scenario_id_len = strlen(f.scenario_id);
        f.outcome = ftf_outcome_name(pr.event.outcome), f.outcome_len = strlen(f.outcome);
        f.mode = ft_mode_name(pr.event.mode), f.mode_len = strlen(f.mode);
        f.reason_code = pr.event.reason_code, f.reason_code_len = strlen(f.reason_code);
    }
    return span_eq(f.record, f.record_len, "event") &&
           (!flt->scenario || span_eq(f.scenario_id, f.scenario_id_len, flt->scenario)) &&
           (!flt->outcome || span_eq(f.outcome, f.outcome_len, flt->outcome)) &&
           (!flt->reason || span_eq(f.reason_code, f.reason_code_len, flt->reason)) &&
           (!flt->mode || span_eq(f.mode, f.mode_len, flt->mode));
}

static int cmd_cat(int argc, char **argv) {
    static const char *const valued[] = {"--scenario", "--outcome", "--reason", "--mode", NULL};
    opts_t o = {.cmd = "cat", .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("cat");
    }
    const cat_filter_t flt = {o.vval[0], o.vval[1], o.vval[2], o.vval[3]};
    ftf_outcome_t oc;
    if (flt.scenario && !ftf_scenario_id_valid(flt.scenario))
        rc = cmd_usage("cat", "invalid scenario id");
    else if (flt.outcome && ftf_outcome_from_name(flt.outcome, &oc) != FTF_OK)
        rc = cmd_usage("cat", "unknown outcome %s", flt.outcome);
    else if (flt.mode && strcmp(flt.mode, "strict") != 0 && strcmp(flt.mode, "hardened") != 0)
        rc = cmd_usage("cat", "unknown mode %s", flt.mode);
    inputs_t in;
    if (rc == EXIT_OK)
        rc = inputs_expand("cat", o.pos, o.npos, &in);
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    const bool filtering = flt.scenario || flt.outcome || flt.reason || flt.mode;
    bool lost = in.failed > 0;
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    ftf_event_storage_t storage = FTF_EVENT_STORAGE_INIT;
    /* one reader per input, so that what each one lacks is said of it */
    for (size_t i = 0; rc == EXIT_OK && i < in.n; i++) {
        const char *path = in.v[i];
        ftf_log_reader_t *r;
        const ftf_status st = ftf_log_reader_open(&path, 1, NULL, &r);
        if (st != FTF_OK) {
            say("cat", "%s", ftf_strerror(st));
            rc = EXIT_ERROR;
            break;
        }
        ftf_log_record_t rec;
        int k;
        while ((k = ftf_log_reader_next(r, &rec)) == 1) {
            if (filtering && !cat_match(&flt, &rec, &storage))
                continue;
            fwrite(rec.line, 1, rec.len, stdout);
            fputc('\n', stdout);
        }
        if (k < 0) {
            say("cat", "%s: %s", path, ftf_strerror((ftf_status)k));
            rc = EXIT_ERROR;
        } else if (say_report("cat", path, ftf_log_reader_report(r)))
            lost = true;
        ftf_log_reader_free(r);
        if (ferror(stdout) && rc == EXIT_OK) {
            say("cat", "writing standard output: %s", strerror(errno));
            rc = EXIT_ERROR;
        }
    }
    ftf_event_storage_dispose(&storage);
    inputs_free(&in);
    if (!flush_stdout("cat"))
        rc = EXIT_ERROR;
    return rc != EXIT_OK ? rc : lost ? EXIT_NEG : EXIT_OK;
}

/* ---- show --------------------------------------------------------------------- */

typedef struct {
    json_t *records; /* array */
    size_t found;
    bool json;
} show_out_t;

static void show_emit(show_out_t *out, const char *file, const ftf_log_pos_t *pos, const char *line, size_t len,
                      const char *source) {
    out->found++;
    if (!out->json) {
        fwrite(line, 1, len, stdout);
        fputc('\n', stdout);
        return;
    }
    json_t *r = json_object();
    json_object_set_new(r, "file", json_string(file));
    json_object_set_new(r, "member_offset", json_integer((json_int_t)pos->member_offset));
    json_object_set_new(r, "offset", json_integer((json_int_t)pos->offset));
    json_object_set_new(r, "length", json_integer((json_int_t)pos->length));
    json_object_set_new(r, "source", json_string(source));
    json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (rec)
        json_object_set_new(r, "record", rec);
    else
        json_object_set_new(r, "record_text", json_stringn(line, len));
    json_array_append_new(out->records, r);
}

/* Does `line` belong to scenario `id`? */
static bool line_has_id(const char *line, size_t len, const char *id, ftf_event_storage_t *st) {
    ftf_record_fields_t f;
    if (ftf_record_peek(line, len, FTF_PEEK_RECORD | FTF_PEEK_SCENARIO_ID, &f) == FTF_PEEK_OK)
        return span_eq(f.record, f.record_len, "event") && span_eq(f.scenario_id, f.scenario_id_len, id);
    ftf_record_t pr;
    return ftf_record_parse(line, len, &pr, st, NULL) == FTF_OK && pr.kind == FTF_RECORD_KIND_EVENT &&
           strcmp(pr.event.scenario_id, id) == 0;
}
/* Scans `file` for `id`. EXIT_OK, EXIT_NEG (it could not be read: said), or
 * EXIT_ERROR (out of memory). Damage is said, and does not change the answer. */
static int show_scan(const char *file, const char *id, show_out_t *out, ftf_event_storage_t *storage) {
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(&file, 1, NULL, &r) != FTF_OK) {
        say("show", "%s", ftf_strerror(FTF_ENOMEM));
        return EXIT_ERROR;
    }
    ftf_log_record_t rec;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1)
        if (line_has_id(rec.line, rec.len, id, storage))
            show_emit(out, file, &rec.pos, rec.line, rec.len, "scan");
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    say_report("show", file, rep);
    int rc = rep->io_errors ? EXIT_NEG : EXIT_OK;
    if (k < 0) {
        say("show", "%s: %s", file, ftf_strerror((ftf_status)k));
        rc = EXIT_ERROR;
    }
    ftf_log_reader_free(r);
    return rc;
}

/* Every record of `id` in `path` through its locator, all or none: false (and
 * *why) when the locator cannot be used; FTF_ENOMEM in *why stops the command. */
static bool show_by_locator(const char *path, const char *id, show_out_t *out, ftf_event_storage_t *storage,
                            ftf_locator_t *loc, ftf_status *why) {
    size_t first = 0, count = 0;
    ftf_status st = ftf_locator_find(loc, id, &first, &count);
    if (st == FTF_ENOT_FOUND)
        st = FTF_OK, count = 0;
    char **lines = count ? calloc(count, sizeof *lines) : NULL;
    size_t *lens = count ? calloc(count, sizeof *lens) : NULL;
    ftf_log_pos_t *poss = count ? calloc(count, sizeof *poss) : NULL;
    if (count && (!lines || !lens || !poss))
        st = FTF_ENOMEM;
    /* read every entry first: emit only if all of them check out */
    for (size_t e = 0; st == FTF_OK && e < count; e++) {
        ftf_locator_entry_t ent;
        if ((st = ftf_locator_entry_at(loc, first + e, &ent)) != FTF_OK)
            break;
        poss[e] = ent.pos;
        st = ftf_log_read_at(path, ent.pos.member_offset, ent.pos.offset, &lines[e], &lens[e]);
        if (st == FTF_OK && !line_has_id(lines[e], lens[e], id, storage))
            st = FTF_ESTALE_INDEX;
    }
    for (size_t e = 0; st == FTF_OK && e < count; e++)
        show_emit(out, path, &poss[e], lines[e], lens[e], "locator");
    for (size_t e = 0; lines && e < count; e++)
        free(lines[e]);
    free(lines), free(lens), free(poss);
    *why = st;
    return st == FTF_OK;
}

static int cmd_show(int argc, char **argv) {
    static const char *const flags[] = {"--json", NULL};
    opts_t o = {.cmd = "show", .flags = flags};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("show");
    }
    if (o.npos < 1) {
        free(o.pos);
        return cmd_usage("show", "no scenario id given");
    }
    const char *id = o.pos[0];
    if (!ftf_scenario_id_valid(id)) {
        free(o.pos);
        return cmd_usage("show", "invalid scenario id (expected {suite}/{mode}:{case}, gen/<16 hex> or "
                                 "fuzz/<target>/<40 hex>)");
    }
    inputs_t in;
    rc = inputs_expand("show", o.pos + 1, o.npos - 1, &in);
    show_out_t out = {NULL, 0, o.fval[0] != NULL};
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    bool unreadable = in.failed > 0;
    json_t *logs = json_array();
    out.records = json_array();
    ftf_event_storage_t storage = FTF_EVENT_STORAGE_INIT;
    for (size_t i = 0; i < in.n && rc == EXIT_OK; i++) {
        const char *path = in.v[i];
        const char *state = "n/a", *source = "scan";
        if (strcmp(path, "-") != 0) { /* standard input has no locator beside it */
            ftf_locator_t *loc;
            const ftf_status lst = ftf_locator_open(path, NULL, 0, &loc);
            state = locator_state(lst);
            ftf_status why = lst;
            if (lst == FTF_OK) {
                if (show_by_locator(path, id, &out, &storage, loc, &why))
                    source = "locator";
                else if (why != FTF_ENOMEM)
                    state = why == FTF_ECORRUPT ? "corrupt" : "stale";
                ftf_locator_free(loc);
            }
            if (why == FTF_ENOMEM) {
                say("show", "%s", ftf_strerror(why));
                rc = EXIT_ERROR;
                break;
            }
            if (lst == FTF_OK && why != FTF_OK)
                say("show", "%s: locator unusable (%s); scanning the log", path, ftf_status_code(why));
            else if (lst != FTF_OK)
                say("show", "%s: locator %s; scanning the log", path, state);
        }
        if (strcmp(source, "scan") == 0) {
            const int k = show_scan(path, id, &out, &storage);
            if (k == EXIT_ERROR)
                rc = EXIT_ERROR;
            unreadable |= k == EXIT_NEG;
        }
        json_t *lj = json_object();
        json_object_set_new(lj, "file", json_string(path));
        json_object_set_new(lj, "locator", json_string(state));
        json_object_set_new(lj, "source", json_string(source));
        json_array_append_new(logs, lj);
    }
    ftf_event_storage_dispose(&storage);
    if (rc == EXIT_OK && out.found == 0) {
        say("show", "%s: not found", id);
        rc = EXIT_NEG;
    }
    if (rc == EXIT_OK && unreadable)
        rc = EXIT_NEG;
    if (out.json) {
        json_t *j = json_object();
        json_object_set_new(j, "scenario_id", json_string(id));
        json_object_set_new(j, "found", json_integer((json_int_t)out.found));
        json_object_set_new(j, "logs", logs);
        json_object_set_new(j, "records", out.records);
        if (print_json(j) != EXIT_OK)
            rc = EXIT_ERROR;
    } else {
        json_decref(logs);
        json_decref(out.records);
    }
    if (!flush_stdout("show"))
        rc = EXIT_ERROR;
    inputs_free(&in);
    return rc;
}

/* ---- index / triage ----------------------------------------------------------- */

/* Builds the index over the inputs of o->pos. EXIT_OK with *idx, EXIT_NEG
 * with none (nothing could be read: said), or EXIT_USAGE / EXIT_ERROR.
 * *unreadable: inputs that could not be read. */
static int build_index(const char *cmd, const opts_t *o, const ftf_index_options_t *io, ftf_failure_index_t **idx,
                       size_t *unreadable) {
    inputs_t in;
    int rc = inputs_expand(cmd, o->pos, o->npos, &in);
    *unreadable = in.failed;
    if (rc != EXIT_OK)
        return rc;
    if (in.n == 0) {
        say(cmd, "no log could be read");
        inputs_free(&in);
        return EXIT_NEG;
    }
    /* the index lists its inputs by path: standard input by the path that opens it */
    for (size_t i = 0; i < in.n; i++)
        if (strcmp(in.v[i], "-") == 0) {
            char *dev = malloc(sizeof "/dev/stdin");
            if (!dev) {
                inputs_free(&in);
                say(cmd, "%s", ftf_strerror(FTF_ENOMEM));
                return EXIT_ERROR;
            }
            memcpy(dev, "/dev/stdin", sizeof "/dev/stdin");
            free(in.v[i]);
            in.v[i] = dev;
        }
    const ftf_status st = ftf_failure_index_build((const char *const *)in.v, in.n, io, idx);
    inputs_free(&in);
    if (st != FTF_OK) {
        say(cmd, "%s", ftf_strerror(st));
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

static void warn_damage(const char *cmd, const ftf_failure_index_t *idx) {
    ftf_index_totals_t t;
    ftf_failure_index_totals(idx, &t);
    if (t.damaged_files)
        say(cmd, "%llu of %llu log(s) damaged: indexed what was readable (see inputs[].damage)",
            (unsigned long long)t.damaged_files, (unsigned long long)t.files);
}

static int cmd_index(int argc, char **argv) {
    static const char *const flags[] = {"--compact", NULL};
    static const char *const valued[] = {"-o", "--member-cap", NULL};
    opts_t o = {.cmd = "index", .flags = flags, .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    ftf_index_options_t io = FTF_INDEX_OPTIONS_INIT;
    if (rc == EXIT_OK && !o.help && o.vval[1] && (!parse_size(o.vval[1], &io.member_cap) || io.member_cap == 0))
        rc = cmd_usage("index", "--member-cap wants a positive number");
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("index");
    }
    ftf_failure_index_t *idx = NULL;
    size_t unreadable = 0;
    rc = build_index("index", &o, &io, &idx, &unreadable);
    const char *out_path = o.vval[0];
    const bool compact = o.fval[0] != NULL;
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    ftf_buf_t buf = FTF_BUF_INIT;
    ftf_status st = ftf_failure_index_render(idx, compact ? FTF_INDEX_JSON_COMPACT : 0, &buf);
    if (st != FTF_OK) {
        say("index", "%s", ftf_strerror(st));
        rc = EXIT_ERROR;
    } else if (out_path) {
        if ((st = ftf_file_write_atomic(out_path, buf.data, buf.len)) != FTF_OK) {
            const int e = errno; /* set by the step that failed */
            say("index", "cannot create %s: %s", out_path, st == FTF_EIO ? strerror(e) : ftf_strerror(st));
            rc = EXIT_ERROR;
        }
    } else if (fwrite(buf.data, 1, buf.len, stdout) != buf.len || !flush_stdout("index")) {
        rc = EXIT_ERROR;
    }
    ftf_buf_dispose(&buf);
    if (rc == EXIT_OK) {
        ftf_index_totals_t t;
        ftf_failure_index_totals(idx, &t);
        warn_damage("index", idx);
        rc = t.damaged_files || unreadable ? EXIT_NEG : EXIT_OK;
    }
    ftf_failure_index_free(idx);
    return rc;
}

static int cmd_triage(int argc, char **argv) {
    static const char *const flags[] = {"--json", NULL};
    static const char *const valued[] = {"--top", NULL};
    opts_t o = {.cmd = "triage", .flags = flags, .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    size_t top = SIZE_MAX;
    if (rc == EXIT_OK && !o.help && o.vval[0] && !parse_size(o.vval[0], &top))
        rc = cmd_usage("triage", "--top wants a number");
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("triage");
    }
    ftf_failure_index_t *idx = NULL;
    size_t unreadable = 0;
    rc = build_index("triage", &o, NULL, &idx, &unreadable);
    const bool json = o.fval[0] != NULL;
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    ftf_index_totals_t t;
    ftf_failure_index_totals(idx, &t);
    if (json) {
        ftf_buf_t buf = FTF_BUF_INIT;
        ftf_status st = ftf_failure_index_render(idx, FTF_INDEX_JSON_COMPACT, &buf);
        if (st != FTF_OK || fwrite(buf.data, 1, buf.len, stdout) != buf.len)
            rc = EXIT_ERROR;
        ftf_buf_dispose(&buf);
    } else {
        printf("%llu failure(s) in %llu bucket(s) (fail %llu, crash %llu); allowlisted %llu (not failures); "
               "%llu event(s) in %llu log(s), %llu damaged; %llu invalid record(s)\n",
               (unsigned long long)t.failures, (unsigned long long)t.buckets, (unsigned long long)t.fail,
               (unsigned long long)t.crash, (unsigned long long)t.allowlisted, (unsigned long long)t.events,
               (unsigned long long)t.files, (unsigned long long)t.damaged_files, (unsigned long long)t.invalid_records);
        if (t.unknown_reason_failures)
            printf("%llu failure(s) with reason codes the triage table does not know (class %s)\n",
                   (unsigned long long)t.unknown_reason_failures, FTF_TRIAGE_UNKNOWN_CLASS);
        const size_t nb = ftf_failure_index_bucket_count(idx);
        if (nb)
            printf("%4s %8s %6s  %-9s %-22s %-18s %s\n", "#", "COUNT", "IDS", "SEVERITY", "CLASS", "BUCKET",
                   "SIGNATURE / REPRESENTATIVE");
        for (size_t i = 0; i < nb && i < top; i++) {
            ftf_bucket_info_t b;
            if (ftf_failure_index_bucket_at(idx, i, &b) != FTF_OK)
                break;
            printf("%4zu %8llu %6llu  %-9s %-22s %-18s %s\n", i + 1, (unsigned long long)b.count,
                   (unsigned long long)b.scenarios, ftf_severity_name(b.sig->rule->severity), b.sig->rule->triage_class,
                   b.bucket_id, b.signature);
            printf("%4s %8s %6s  %-9s %-22s %-18s   %s (%s @ %llu+%llu)\n", "", "", "", "", "", "", b.representative,
                   b.representative_file, (unsigned long long)b.representative_pos.member_offset,
                   (unsigned long long)b.representative_pos.offset);
        }
        if (nb > top)
            printf("... %zu more bucket(s)\n", nb - top);
    }
    warn_damage("triage", idx);
    if (!flush_stdout("triage"))
        rc = EXIT_ERROR;
    if (rc == EXIT_OK && (t.failures || t.damaged_files || unreadable))
        rc = EXIT_NEG;
    ftf_failure_index_free(idx);
    return rc;
}

/* ---- verify ------------------------------------------------------------------- */

typedef struct {
    json_t *members; /* NULL: not listing */
} verify_ctx_t;

static const char *member_kind_name(ftf_log_member_kind_t k) {
    switch (k) {
    case FTF_LOG_MEMBER_BGZF:
        return "bgzf";
    case FTF_LOG_MEMBER_EOF:
        return "eof";
    case FTF_LOG_MEMBER_FOREIGN:
        return "foreign";
    case FTF_LOG_MEMBER_DAMAGED:
        return "damaged";
    case FTF_LOG_MEMBER_TEXT:
        return "text";
    }
    return "damaged";
}

static void verify_on_member(const ftf_log_member_info_t *m, void *payload) {
    verify_ctx_t *c = payload;
    if (!c->members)
        return;
    json_t *j = json_object();
    char crc[11];
    snprintf(crc, sizeof crc, "0x%08x", (unsigned)m->crc);
    json_object_set_new(j, "offset", json_integer((json_int_t)m->offset));
    json_object_set_new(j, "size", json_integer((json_int_t)m->size));
    json_object_set_new(j, "data_size", json_integer((json_int_t)m->data_size));
    json_object_set_new(j, "crc", json_string(crc));
    json_object_set_new(j, "lines", json_integer((json_int_t)m->lines));
    json_object_set_new(j, "kind", json_string(member_kind_name(m->kind)));
    if (m->kind == FTF_LOG_MEMBER_DAMAGED) {
        json_object_set_new(j, "damage", json_string(ftf_log_damage_name(m->damage)));
        json_object_set_new(j, "detail", json_string(m->detail ? m->detail : ""));
    }
    json_array_append_new(c->members, j);
}

/* What verify calls a log: intact, open, not_bgzf, damaged or unreadable. */
static const char *verify_state(ftf_status st, const ftf_log_report_t *rep) {
    if (st == FTF_OK)
        return "intact";
    if (ftf_log_report_damaged(rep))
        return only_io_errors(rep) ? "unreadable" : "damaged";
    if (st == FTF_EUNSUPPORTED_VERSION)
        return "not_bgzf";
    if (st == FTF_ETRUNCATED && rep->missing_eof)
        return "open";
    return "damaged";
}

static void verify_print_members(json_t *members) {
    for (size_t m = 0; m < json_array_size(members); m++) {
        json_t *mj = json_array_get(members, m);
        printf("  member @%lld size %lld data %lld crc %s lines %lld %s%s%s\n",
               (long long)json_integer_value(json_object_get(mj, "offset")),
               (long long)json_integer_value(json_object_get(mj, "size")),
               (long long)json_integer_value(json_object_get(mj, "data_size")),
               json_string_value(json_object_get(mj, "crc")),
               (long long)json_integer_value(json_object_get(mj, "lines")),
               json_string_value(json_object_get(mj, "kind")), json_object_get(mj, "damage") ? " " : "",
               json_object_get(mj, "damage") ? json_string_value(json_object_get(mj, "damage")) : "");
    }
}

static int cmd_verify(int argc, char **argv) {
    static const char *const flags[] = {"--json", "--members", NULL};
    opts_t o = {.cmd = "verify", .flags = flags};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("verify");
    }
    inputs_t in;
    rc = inputs_expand("verify", o.pos, o.npos, &in);
    const bool json = o.fval[0] != NULL, list = o.fval[1] != NULL;
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    json_t *files = json_array();
    bool all_ok = in.failed == 0, oom = false;
    for (size_t i = 0; i < in.n && !oom; i++) {
        const char *path = in.v[i];
        verify_ctx_t vc = {(json || list) ? json_array() : NULL};
        ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
        ro.on_member = verify_on_member;
        ro.on_member_payload = &vc;
        ftf_log_report_t rep;
        memset(&rep, 0, sizeof rep);
        const ftf_status st = ftf_log_verify(path, &ro, &rep);
        oom = st == FTF_ENOMEM;
        const char *state = verify_state(st, &rep);
        const bool readable = strcmp(state, "unreadable") != 0;
        const char *loc = "n/a"; /* standard input has no locator beside it */
        bool loc_ok = true;
        if (readable && strcmp(path, "-") != 0) {
            ftf_status lst = ftf_locator_verify(path, NULL);
            if (lst == FTF_EIO) /* the sidecar is there but the log could not be re-read */
                lst = ftf_locator_check(path, NULL);
            loc = locator_state(lst);
            loc_ok = lst == FTF_OK || lst == FTF_ENOT_FOUND;
        }
        if (!loc_ok || (strcmp(state, "intact") != 0 && strcmp(state, "open") != 0))
            all_ok = false;
        if (json) {
            json_t *f = json_object();
            json_object_set_new(f, "file", json_string(path));
            json_object_set_new(f, "intact", json_boolean(st == FTF_OK));
            json_object_set_new(f, "state", json_string(state));
            json_object_set_new(f, "status", json_string(ftf_status_code(st)));
            json_object_set_new(f, "report", report_json(&rep));
            json_object_set_new(f, "locator", json_string(loc));
            if (list)
                json_object_set_new(f, "members", vc.members);
            else
                json_decref(vc.members);
            json_array_append_new(files, f);
            continue;
        }
        const char *word = strcmp(state, "intact") == 0 ? "intact"
                           : strcmp(state, "open") == 0 ? "open"
                           : strcmp(state, "not_bgzf") == 0
                               ? (rep.text_files ? "not BGZF (plain JSONL)" : "not BGZF (plain gzip)")
                           : strcmp(state, "unreadable") == 0 ? "unreadable"
                                                              : "DAMAGED";
        printf("%s: %s: %llu member(s), %llu record(s), %llu data bytes; locator %s\n", path, word,
               (unsigned long long)rep.members, (unsigned long long)rep.records, (unsigned long long)rep.data_bytes,
               loc);
        if (!readable) {
            printf("  %s\n", rep.first_detail);
        } else if (strcmp(state, "open") == 0) {
            printf("  " OPEN_TEXT "\n");
        } else if (ftf_log_report_damaged(&rep)) {
            char what[600];
            describe_damage(&rep, what, sizeof what);
            printf("  %s\n", what);
        }
        if (list)
            verify_print_members(vc.members);
        json_decref(vc.members);
    }
    inputs_free(&in);
    if (oom) {
        json_decref(files);
        say("verify", "%s", ftf_strerror(FTF_ENOMEM));
        return EXIT_ERROR;
    }
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(all_ok));
        json_object_set_new(j, "files", files);
        if (print_json(j) != EXIT_OK)
            return EXIT_ERROR;
    } else {
        json_decref(files);
    }
    if (!flush_stdout("verify"))
        return EXIT_ERROR;
    return all_ok ? EXIT_OK : EXIT_NEG;
}

/* ---- reindex / recover ---------------------------------------------------------- */

static int cmd_reindex(int argc, char **argv) {
    opts_t o = {.cmd = "reindex"};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("reindex");
    }
    inputs_t in;
    rc = inputs_expand("reindex", o.pos, o.npos, &in);
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    bool neg = in.failed > 0;
    for (size_t i = 0; i < in.n; i++) {
        const char *path = in.v[i];
        if (strcmp(path, "-") == 0) {
            say("reindex", "-: standard input cannot have a locator (it is a file beside its log)");
            neg = true;
            continue;
        }
        ftf_locator_build_stats_t bs;
        ftf_log_report_t rep;
        memset(&rep, 0, sizeof rep);
        const ftf_status st = ftf_locator_build_from_log(path, NULL, &bs, &rep);
        const int e = errno;
        if (st != FTF_OK && rep.io_errors) {
            say("reindex", "cannot read %s", rep.first_detail);
            neg = true;
            continue;
        }
        if (st != FTF_OK) {
            say("reindex", "%s: cannot write its locator: %s", path, st == FTF_EIO ? strerror(e) : ftf_strerror(st));
            rc = EXIT_ERROR;
            continue;
        }
        printf("%s: %llu entr%s from %llu record(s) (%llu not indexed)%s\n", path, (unsigned long long)bs.entries,
               bs.entries == 1 ? "y" : "ies", (unsigned long long)bs.records, (unsigned long long)bs.skipped,
               bs.damaged ? "; log damaged, readable part indexed" : "");
        if (say_report("reindex", path, &rep))
            neg = true;
    }
    inputs_free(&in);
    if (!flush_stdout("reindex"))
        rc = EXIT_ERROR;
    return rc != EXIT_OK ? rc : neg ? EXIT_NEG : EXIT_OK;
}

/* Is `path` the file `out` (by name, or by inode when it exists)? */
static bool same_file(const char *path, const char *out, const struct stat *out_sb) {
    struct stat sb;
    return strcmp(path, out) == 0 ||
           (out_sb && stat(path, &sb) == 0 && sb.st_dev == out_sb->st_dev && sb.st_ino == out_sb->st_ino);
}

static int cmd_recover(int argc, char **argv) {
    static const char *const flags[] = {"--force", "--no-index", NULL};
    static const char *const valued[] = {"-o", NULL};
    opts_t o = {.cmd = "recover", .flags = flags, .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("recover");
    }
    const char *out = o.vval[0];
    struct stat osb;
    const bool out_exists = out && stat(out, &osb) == 0;
    inputs_t in = {NULL, 0, 0, 0};
    if (!out)
        rc = cmd_usage("recover", "-o OUT is required");
    else if (strcmp(out, "-") == 0)
        rc = cmd_usage("recover", "OUT must be a file (its locator is written beside it)");
    else if (o.npos == 0)
        rc = cmd_usage("recover", "no log given");
    else if (out_exists && !o.fval[0])
        rc = cmd_usage("recover", "%s exists (use --force to replace it)", out);
    else
        rc = inputs_expand("recover", o.pos, o.npos, &in);
    for (size_t i = 0; rc == EXIT_OK && i < in.n; i++)
        if (same_file(in.v[i], out, out_exists ? &osb : NULL))
            rc = cmd_usage("recover", "OUT must not be one of the inputs (%s)", in.v[i]);
    const bool index = !o.fval[1];
    free(o.pos);
    if (rc == EXIT_OK && in.n == 0) {
        say("recover", "no log to recover from: %s not written", out);
        rc = EXIT_NEG;
    }
    if (rc != EXIT_OK) {
        inputs_free(&in);
        return rc;
    }
    ftf_log_report_t rep;
    memset(&rep, 0, sizeof rep);
    uint64_t records = 0;
    ftf_status st = ftf_log_recover((const char *const *)in.v, in.n, out, NULL, NULL, &rep, &records);
    const int e = errno;
    if (st != FTF_OK) {
        say("recover", "cannot create %s: %s", out, st == FTF_EIO ? strerror(e) : ftf_strerror(st));
        inputs_free(&in);
        return EXIT_ERROR;
    }
    printf("%s: %llu record(s) recovered from %zu log(s)\n", out, (unsigned long long)records, in.n);
    if (index && (st = ftf_locator_build_from_log(out, NULL, NULL, NULL)) != FTF_OK) {
        say("recover", "%s: cannot write its locator: %s", out, st == FTF_EIO ? strerror(errno) : ftf_strerror(st));
        rc = EXIT_ERROR;
    }
    if (say_report("recover", in.n == 1 ? in.v[0] : NULL, &rep) && rc == EXIT_OK)
        rc = EXIT_NEG;
    if (in.failed && rc == EXIT_OK)
        rc = EXIT_NEG;
    inputs_free(&in);
    if (!flush_stdout("recover"))
        rc = EXIT_ERROR;
    return rc;
}

/* ---- ingest ------------------------------------------------------------------- */

/* Fuzz findings into a log: each artifact is run through the target (a binary
 * this command resolves itself and runs with fork/exec: never a shell, never a
 * string read from a log), what it says on stderr is read by
 * ftf_crash_report_parse, and one event is written per artifact. */

#define INGEST_SUITE      "fuzz"
#define INGEST_PACKET     "FT-P2C-002"
#define INGEST_MAX_INPUT  (64u << 20) /* bytes of one artifact */
#define INGEST_MAX_STDERR (1u << 20)  /* bytes of stderr kept per run (the head: reports come first) */
#define INGEST_INLINE_MAX 3072u       /* inputs up to this size are also inline (base64) */

/* A growable list of strings (owned). */
typedef struct {
    char **v;
    size_t n, cap;
} strlist_t;

static void strlist_free(strlist_t *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool strlist_add(strlist_t *l, const char *s, size_t n) {
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v, l->cap = cap;
    }
    char *c = malloc(n + 1);
    if (!c)
        return false;
    memcpy(c, s, n);
    c[n] = '\0';
    l->v[l->n++] = c;
    return true;
}

static bool strlist_has(const strlist_t *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* `s` as one shell word: as it is when it is made of safe characters only,
 * else in single quotes (a ' written as '\''). */
static void shell_quote(ftf_buf_t *b, const char *s) {
    bool safe = *s != '\0';
    for (const char *p = s; *p && safe; p++)
        safe = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=+,-@%", *p) != NULL;
    if (safe) {
        ftf_buf_append(b, s, strlen(s));
        return;
    }
    ftf_buf_append(b, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            ftf_buf_append(b, "'\\''", 4);
        else
            ftf_buf_append(b, p, 1);
    }
    ftf_buf_append(b, "'", 1);
}

/* mkdir -p for the directory part of `path` (a file path). */
static int make_parent_dirs(const char *path) {
    char *d = strdup(path);
    if (!d)
        return -1;
    char *slash = strrchr(d, '/');
    if (!slash || slash == d) {
        free(d);
        return 0;
    }
    *slash = '\0';
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0777) != 0 && errno != EEXIST) {
            free(d);
            return -1;
        }
        *p = '/';
    }
    const int rc = mkdir(d, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(d);
    return rc;
}

/* Removes a scratch tree (depth first, symlinks not followed). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir) {
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole of a regular file, at most `max` bytes. NULL (errno set; EFBIG
 * when larger, EISDIR/EINVAL when not a regular file). */
static unsigned char *read_regular_file(const char *path, size_t max, size_t *len) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return NULL;
    if (!S_ISREG(sb.st_mode)) {
        errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    if ((uint64_t)sb.st_size > max) {
        errno = EFBIG;
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = malloc((size_t)sb.st_size + 1);
    size_t n = 0;
    if (data) {
        n = fread(data, 1, (size_t)sb.st_size, f);
        if (ferror(f)) {
            free(data);
            data = NULL;
            errno = EIO;
        }
    } else {
        errno = ENOMEM;
    }
    fclose(f);
    if (data)
        data[n] = '\0';
    *len = n;
    return data;
}

/* The environment of a run: ours, with the target's forensics directory set
 * to `fuzz_dir` and sanitizer defaults where the caller set none. NULL when
 * out of memory; free with free_env. */
static char **make_env(const char *fuzz_dir) {
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 4, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        if (strncmp(environ[i], "FT_FUZZ_FORENSICS_DIR=", 22) == 0)
            continue;
        ok = (env[k++] = strdup(environ[i])) != NULL;
    }
    const size_t dn = strlen(fuzz_dir) + 23;
    if (ok && (env[k] = malloc(dn)) != NULL)
        snprintf(env[k++], dn, "FT_FUZZ_FORENSICS_DIR=%s", fuzz_dir);
    else
        ok = false;
    if (ok && !getenv("ASAN_OPTIONS"))
        ok = (env[k++] = strdup("ASAN_OPTIONS=symbolize=1:detect_leaks=1:handle_abort=1")) != NULL;
    if (ok && !getenv("UBSAN_OPTIONS"))
        ok = (env[k++] = strdup("UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:symbolize=1")) != NULL;
    if (!ok) {
        for (size_t i = 0; i < k; i++)
            free(env[i]);
        free(env);
        return NULL;
    }
    return env;
}

static void free_env(char **env) {
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* The scenario the target logged itself for input `sha1` in the logs below
 * `dir` (fuzz/CONTRACT.md: every violation writes one event), copied into
 * *out; false when there is none (or only a stub of one). */
static bool target_scenario(const char *dir, const char *sha1, ftf_buf_t *out) {
    char **paths = NULL;
    size_t n = 0;
    if (ftf_triage_expand_paths(&dir, 1, &paths, &n) != FTF_OK || n == 0) {
        ftf_triage_paths_free(paths, n);
        return false;
    }
    ftf_log_reader_t *r;
    bool found = false;
    if (ftf_log_reader_open((const char *const *)paths, n, NULL, &r) == FTF_OK) {
        ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
        ftf_log_record_t rec;
        while (!found && ftf_log_reader_next(r, &rec) == 1) {
            ftf_event_t ev;
            if (ftf_event_parse(rec.line, rec.len, &ev, &st, NULL) != FTF_OK || !ev.has_fuzz || !ev.scenario ||
                !ev.fuzz.input_sha1 || strcmp(ev.fuzz.input_sha1, sha1) != 0)
                continue;
            if (strstr(ev.scenario, "\"ftf_artifact\"") || strstr(ev.scenario, "\"ftf_elided\""))
                continue; /* its bulk is in the target's scratch store: not kept */
            out->len = 0;
            found = ftf_buf_append(out, ev.scenario, strlen(ev.scenario)) == FTF_OK;
        }
        ftf_event_storage_dispose(&st);
        ftf_log_reader_free(r);
    }
    ftf_triage_paths_free(paths, n);
    return found;
}

/* The signatures of a failure index (its buckets[].signature). 0, or -1 with
 * a message said. */
static int load_baseline(const char *path, strlist_t *sigs) {
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        say("ingest", "--baseline %s: %s (line %d)", path, je.text, je.line);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(j, "schema"));
    json_t *buckets = json_object_get(j, "buckets");
    if (!schema || strcmp(schema, FTF_FAILURE_INDEX_SCHEMA) != 0 || !json_is_array(buckets)) {
        say("ingest", "--baseline %s: not a failure index (%s)", path, FTF_FAILURE_INDEX_SCHEMA);
        json_decref(j);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(buckets); i++) {
        const char *s = json_string_value(json_object_get(json_array_get(buckets, i), "signature"));
        if (s && !strlist_add(sigs, s, strlen(s))) {
            json_decref(j);
            say("ingest", "%s", ftf_strerror(FTF_ENOMEM));
            return -1;
        }
    }
    json_decref(j);
    return 0;
}

/* Scenario ids already in the log at `path` (absent: none). */
static void existing_ids(const char *path, strlist_t *ids) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return;
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(&path, 1, NULL, &r) != FTF_OK)
        return;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    ftf_log_record_t rec;
    while (ftf_log_reader_next(r, &rec) == 1) {
        ftf_record_fields_t f;
        if (ftf_record_peek(rec.line, rec.len, FTF_PEEK_RECORD | FTF_PEEK_SCENARIO_ID, &f) == FTF_PEEK_OK) {
            if (span_eq(f.record, f.record_len, "event") && f.scenario_id)
                strlist_add(ids, f.scenario_id, f.scenario_id_len);
            continue;
        }
        ftf_event_t ev;
        if (ftf_event_parse(rec.line, rec.len, &ev, &st, NULL) == FTF_OK)
            strlist_add(ids, ev.scenario_id, strlen(ev.scenario_id));
    }
    ftf_event_storage_dispose(&st);
    ftf_log_reader_free(r);
}

typedef struct {
    const char *target, *engine_name, *binary_real, *replay_bin, *out;
    ftf_fuzz_engine_t engine;
    int64_t timeout_ms;
    bool json, no_log;
    const strlist_t *baseline;
    bool have_baseline;
    strlist_t *ids; /* scenario ids in the log (existing, and written now) */
    ftf_log_writer_t *w;
    const char *run_id, *env_fp;
    uint64_t seq;
    const char *scratch; /* private directory for the target's own log */
    size_t runs;
    /* results */
    size_t crashes, fresh, known, not_reproduced, unreadable, duplicates;
    bool write_failed, exec_failed;
} ingest_t;

/* The directory part of `path` + "/" (or "" without one). */
static void dir_prefix(const char *path, ftf_buf_t *b) {
    const char *slash = strrchr(path, '/');
    if (slash)
        ftf_buf_append(b, path, (size_t)(slash - path) + 1);
}

/* One artifact: run, read, write its event, say what it was. */
static void ingest_one(ingest_t *g, const char *artifact) {
    size_t len = 0;
    unsigned char *data = read_regular_file(artifact, INGEST_MAX_INPUT, &len);
    if (!data) {
        say("ingest", "%s: %s", artifact, errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
        g->unreadable++;
        return;
    }
    char *abs = realpath(artifact, NULL);
    char id[FTF_SCENARIO_ID_SIZE], sha1[FTF_SHA1_HEX_SIZE];
    ftf_fuzz_scenario_id(id, g->target, data, len, sha1);
    /* run it */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/run-%zu", g->scratch, g->runs++);
    mkdir(sub, 0700);
    char **env = make_env(sub);
    char tmo[32];
    snprintf(tmo, sizeof tmo, "-timeout=%lld", (long long)(g->timeout_ms / 1000 > 3 ? g->timeout_ms / 1000 - 2 : 1));
    char *argv[4];
    size_t ac = 0;
    argv[ac++] = (char *)g->binary_real;
    if (g->engine == FTF_ENGINE_LIBFUZZER) /* its own timeout report has the stack */
        argv[ac++] = tmo;
    argv[ac++] = abs ? abs : (char *)artifact;
    argv[ac] = NULL;
    ftf_buf_t err = FTF_BUF_INIT;
    ftf_crash_exit_t ex;
    if (!env || ftf_crash_run(argv, env, g->timeout_ms, INGEST_MAX_STDERR, &err, &ex) != 0) {
        say("ingest", "%s: cannot run %s: %s", artifact, g->binary_real, strerror(errno));
        g->exec_failed = true;
        free_env(env), free(abs), free(data), ftf_buf_dispose(&err);
        return;
    }
    free_env(env);
    if (!ex.term_signal && ex.exit_code == 127 && err.data && strstr(err.data, FTF_CRASH_EXEC_FAILED)) {
        say("ingest", "%s: cannot execute %s", artifact, g->binary_real);
        g->exec_failed = true;
        free(abs), free(data), ftf_buf_dispose(&err);
        return;
    }
    ftf_crash_report_t cr;
    ftf_crash_report_parse(err.data, err.len, &ex, &cr);
    const bool crashed = cr.kind != FTF_CRASH_NONE;
    ftf_buf_t scen = FTF_BUF_INIT;
    if (!target_scenario(sub, sha1, &scen)) {
        scen.len = 0;
        ftf_buf_append(&scen, "{\"kind\":\"fuzz_input\",\"target\":\"", 31);
        ftf_buf_append(&scen, g->target, strlen(g->target)); /* a valid target name needs no escaping */
        ftf_buf_append(&scen, "\"}", 2);
    }
    remove_tree(sub);
    /* side artifacts: the input (the replay command's file) and what the run said */
    ftf_buf_t in_ref = FTF_BUF_INIT, err_ref = FTF_BUF_INIT, input_path = FTF_BUF_INIT;
    ftf_artifact_store_t *store = g->w ? ftf_log_writer_artifacts(g->w) : NULL;
    if (store && ftf_artifact_put(store, data, len, "bin", &in_ref, NULL) == FTF_OK) {
        dir_prefix(g->out, &input_path);
        ftf_buf_append(&input_path, in_ref.data, in_ref.len);
    } else {
        if (store)
            say("ingest", "%s: %s", artifact, ftf_artifact_store_errmsg(store));
        ftf_buf_append(&input_path, abs ? abs : artifact, strlen(abs ? abs : artifact));
    }
    if (store && crashed && err.len)
        ftf_artifact_put(store, err.data, err.len, "txt", &err_ref, NULL);
    ftf_buf_t replay = FTF_BUF_INIT;
    shell_quote(&replay, g->replay_bin);
    ftf_buf_append(&replay, " ", 1);
    shell_quote(&replay, input_path.data);
    char *b64 = NULL;
    if (len <= INGEST_INLINE_MAX || !in_ref.len) {
        const size_t bn = ftf_base64_encode(data, len, NULL, 0);
        if ((b64 = malloc(bn + 1)) != NULL)
            ftf_base64_encode(data, len, b64, bn + 1);
    }
    /* the event */
    const char *refs[2];
    size_t nrefs = 0;
    if (in_ref.len)
        refs[nrefs++] = in_ref.data;
    if (err_ref.len)
        refs[nrefs++] = err_ref.data;
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.seq = g->seq;
    ev.run_id = g->run_id;
    ev.suite_id = INGEST_SUITE;
    ev.scenario_id = id;
    ev.packet_id = INGEST_PACKET;
    ev.mode = FT_MODE_STRICT;
    ev.seed = ftf_scenario_seed(INGEST_SUITE, g->target, INGEST_PACKET, id, "strict");
    ev.env_fingerprint = g->env_fp;
    ev.artifact_refs = refs;
    ev.artifact_ref_count = nrefs;
    ev.replay_command = replay.data;
    ev.outcome = crashed ? FTF_OUTCOME_CRASH : FTF_OUTCOME_SKIPPED;
    ev.reason_code = crashed ? ftf_crash_report_reason(&cr) : "not_reproduced";
    ev.scenario = scen.data;
    ev.has_fuzz = true;
    ev.fuzz.target = g->target;
    ev.fuzz.engine = g->engine;
    ev.fuzz.input_sha1 = sha1;
    ev.fuzz.input_b64 = b64;
    ev.fuzz.input_ref = b64 ? NULL : in_ref.data;
    ev.fuzz.crash_type = crashed ? cr.crash_type : NULL;
    ev.fuzz.crash_state = crashed && cr.crash_state[0] ? cr.crash_state : NULL;
    ftf_signature_t sig;
    char sigline[2048] = "";
    ftf_triage_signature(&ev, &sig);
    if (crashed)
        ftf_signature_format(&sig, sigline, sizeof sigline);
    const bool known = crashed && g->have_baseline && strlist_has(g->baseline, sigline);
    const bool duplicate = strlist_has(g->ids, id);
    bool recorded = false;
    if (g->w && !duplicate) {
        const ftf_status st = ftf_log_write_event(g->w, &ev, NULL);
        if (st == FTF_OK) {
            recorded = true;
            g->seq++;
            strlist_add(g->ids, id, strlen(id));
        } else {
            say("ingest", "%s: writing its event to %s: %s", artifact, g->out,
                st == FTF_EIO ? strerror(errno) : ftf_strerror(st));
            g->write_failed = true;
        }
    }
    g->duplicates += duplicate;
    if (crashed) {
        g->crashes++;
        if (known)
            g->known++;
        else
            g->fresh++;
    } else {
        g->not_reproduced++;
    }
    char bucket[20] = "";
    if (crashed) {
        char hex[17];
        ftf_hex16(ftf_siphash13(0, 0, sigline, strlen(sigline)), hex);
        snprintf(bucket, sizeof bucket, "b-%s", hex);
    }
    if (g->json) {
        json_t *o = json_object();
        json_object_set_new(o, "artifact", json_string(artifact));
        json_object_set_new(o, "scenario_id", json_string(id));
        json_object_set_new(o, "target", json_string(g->target));
        json_object_set_new(o, "engine", json_string(g->engine_name));
        json_object_set_new(o, "input_sha1", json_string(sha1));
        json_object_set_new(o, "size", json_integer((json_int_t)len));
        json_object_set_new(o, "reproduced", json_boolean(crashed));
        json_object_set_new(o, "kind", json_string(ftf_crash_kind_name(cr.kind)));
        json_object_set_new(o, "outcome", json_string(ftf_outcome_name(ev.outcome)));
        json_object_set_new(o, "reason_code", json_string(ev.reason_code));
        json_object_set_new(o, "crash_type", crashed ? json_string(cr.crash_type) : json_null());
        json_object_set_new(o, "tool", json_string(cr.tool));
        json_object_set_new(o, "headline", json_string(cr.headline));
        json_t *frames = json_array();
        for (size_t f = 0; f < cr.frame_count; f++)
            json_array_append_new(frames, json_string(cr.frames[f]));
        json_object_set_new(o, "frames", frames);
        json_object_set_new(o, "signature", crashed ? json_string(sigline) : json_null());
        json_object_set_new(o, "bucket_id", crashed ? json_string(bucket) : json_null());
        json_object_set_new(o, "class", crashed ? json_string(sig.rule->triage_class) : json_null());
        json_object_set_new(o, "severity", crashed ? json_string(ftf_severity_name(sig.rule->severity)) : json_null());
        json_object_set_new(o, "known", json_boolean(known));
        json_object_set_new(o, "new", json_boolean(crashed && !known));
        json_object_set_new(o, "recorded", json_boolean(recorded));
        json_object_set_new(o, "duplicate", json_boolean(duplicate));
        json_object_set_new(o, "log", g->w ? json_string(g->out) : json_null());
        json_object_set_new(o, "input_file", json_string(input_path.data));
        json_object_set_new(o, "report_ref", err_ref.len ? json_string(err_ref.data) : json_null());
        json_object_set_new(o, "replay_command", json_string(replay.data));
        json_t *rargv = json_array();
        json_array_append_new(rargv, json_string(g->replay_bin));
        json_array_append_new(rargv, json_string(input_path.data));
        json_object_set_new(o, "replay_argv", rargv);
        if (cr.file[0]) {
            json_t *loc = json_object();
            json_object_set_new(loc, "file", json_string(cr.file));
            json_object_set_new(loc, "line", json_integer((json_int_t)cr.line));
            json_object_set_new(o, "location", loc);
        } else {
            json_object_set_new(o, "location", json_null());
        }
        json_t *exj = json_object();
        json_object_set_new(exj, "signal", json_integer(ex.term_signal));
        json_object_set_new(exj, "code", json_integer(ex.exit_code));
        json_object_set_new(exj, "timed_out", json_boolean(ex.timed_out));
        json_object_set_new(o, "exit", exj);
        print_json(o);
    } else if (crashed) {
        printf("%s: %s %s (%s)%s\n  %s\n  signature %s\n  replay: %s\n", artifact, known ? "known" : "NEW",
               cr.crash_type, ev.reason_code, duplicate ? ", already in the log" : "", id, sigline, replay.data);
    } else {
        printf("%s: not reproduced (%s%d)\n  %s\n", artifact, ex.term_signal ? "signal " : "exit ",
               ex.term_signal ? ex.term_signal : ex.exit_code, id);
    }
    free(b64);
    ftf_buf_dispose(&replay), ftf_buf_dispose(&in_ref), ftf_buf_dispose(&err_ref), ftf_buf_dispose(&input_path);
    ftf_buf_dispose(&scen), ftf_buf_dispose(&err);
    free(abs), free(data);
}

static int cmd_ingest(int argc, char **argv) {
    static const char *const flags[] = {"--json", "--no-log", NULL};
    static const char *const valued[] = {"--target", "--engine",  "--binary",   "--replay-binary",
                                         "--out",    "--timeout", "--baseline", NULL};
    opts_t o = {.cmd = "ingest", .flags = flags, .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("ingest");
    }
    const char *target = o.vval[0], *engine = o.vval[1], *binary = o.vval[2], *replay_bin = o.vval[3];
    const char *out = o.vval[4], *timeout = o.vval[5], *baseline = o.vval[6];
    ingest_t g;
    memset(&g, 0, sizeof g);
    g.json = o.fval[0] != NULL;
    g.no_log = o.fval[1] != NULL;
    size_t tmo = 25;
    char tmp_id[FTF_SCENARIO_ID_SIZE];
    if (!target || ftf_fuzz_scenario_id(tmp_id, target, "", 0, NULL) != FTF_OK)
        rc = cmd_usage("ingest", "--target NAME is required ([A-Za-z0-9_.-], starting with a letter or digit)");
    else if (!engine || ftf_fuzz_engine_from_name(engine, &g.engine) != FTF_OK)
        rc = cmd_usage("ingest", "--engine libfuzzer|afl|replay is required");
    else if (!binary)
        rc = cmd_usage("ingest", "--binary PATH is required");
    else if (timeout && (!parse_size(timeout, &tmo) || tmo == 0 || tmo > 3600))
        rc = cmd_usage("ingest", "--timeout takes 1..3600 seconds");
    else if (o.npos == 0)
        rc = cmd_usage("ingest", "no artifact given");
    else if (out && g.no_log)
        rc = cmd_usage("ingest", "--out and --no-log exclude each other");
    if (rc != EXIT_OK) {
        free(o.pos);
        return rc;
    }
    /* the binary: resolved here, a regular executable file */
    char *real = realpath(binary, NULL);
    struct stat sb;
    if (!real || stat(real, &sb) != 0 || !S_ISREG(sb.st_mode) || access(real, X_OK) != 0) {
        say("ingest", "--binary %s: %s", binary, !real ? strerror(errno) : "not an executable file");
        free(real), free(o.pos);
        return EXIT_USAGE;
    }
    char default_out[FTF_ID_COMPONENT_MAX + 64], default_replay[FTF_ID_COMPONENT_MAX + 64];
    snprintf(default_out, sizeof default_out, "fuzz-forensics/ingest-%s.log.gz", target);
    snprintf(default_replay, sizeof default_replay, "build/fuzz-replay/fuzz/fuzz_%s", target);
    g.target = target;
    g.engine_name = engine;
    g.binary_real = real;
    g.replay_bin = replay_bin ? replay_bin : g.engine == FTF_ENGINE_REPLAY ? binary : default_replay;
    g.out = out ? out : default_out;
    g.timeout_ms = (int64_t)tmo * 1000;
    strlist_t base = {0}, ids = {0};
    g.baseline = &base;
    g.ids = &ids;
    if (baseline) {
        if (load_baseline(baseline, &base) != 0) {
            free(real), free(o.pos);
            return EXIT_USAGE;
        }
        g.have_baseline = true;
    }
    /* ids, run id, environment */
    ftf_env_storage_t es;
    ftf_env_t env;
    char env_fp[FTF_ENV_FINGERPRINT_SIZE], run_id[FTF_RUN_ID_SIZE];
    ftf_env_detect(&env, &es, ft_version());
    ftf_env_fingerprint(&env, env_fp);
    ftf_siphash_t h;
    ftf_siphash_init(&h, 0, 0);
    const int64_t now = (int64_t)time(NULL);
    const int64_t pid = (int64_t)getpid();
    ftf_siphash_update(&h, &now, sizeof now);
    ftf_siphash_update(&h, &pid, sizeof pid);
    ftf_siphash_update_str(&h, target);
    ftf_siphash_update_str(&h, engine);
    const uint64_t run_seed = ftf_siphash_final(&h);
    ftf_run_id(run_id, run_seed, "ft-forensics");
    g.run_id = run_id;
    g.env_fp = env_fp;
    /* the log */
    if (!g.no_log) {
        struct stat osb;
        const bool exists = stat(g.out, &osb) == 0;
        if (exists)
            existing_ids(g.out, &ids);
        ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
        wo.append = exists;
        ftf_status st = make_parent_dirs(g.out) == 0 ? ftf_log_writer_open(g.out, &wo, &g.w) : FTF_EIO;
        if (st != FTF_OK) {
            say("ingest", "cannot open %s: %s", g.out, st == FTF_EIO ? strerror(errno) : ftf_strerror(st));
            strlist_free(&base), strlist_free(&ids), free(real), free(o.pos);
            return EXIT_ERROR;
        }
        char start[FTF_TIMESTAMP_SIZE];
        ftf_utc_timestamp(now, start);
        ftf_run_header_t hdr;
        ftf_run_header_init(&hdr);
        hdr.run_id = run_id;
        hdr.start_time = start;
        hdr.argv = (const char *const *)argv - 2; /* main's argv: the program and "ingest" too */
        hdr.argc = (size_t)argc + 2;
        hdr.tool = "ft-forensics ingest";
        hdr.tool_version = ft_version();
        hdr.libft_version = ft_version();
        hdr.env_fingerprint = env_fp;
        hdr.run_seed = run_seed;
        if ((st = ftf_log_write_run_header(g.w, &hdr, NULL)) != FTF_OK) {
            say("ingest", "%s: writing the run header: %s", g.out, st == FTF_EIO ? strerror(errno) : ftf_strerror(st));
            g.write_failed = true;
        }
    }
    /* a private scratch directory for the target's own log */
    const char *tmpdir = getenv("TMPDIR");
    char scratch[4096];
    snprintf(scratch, sizeof scratch, "%s/ftf-ingest-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(scratch)) {
        say("ingest", "cannot make a scratch directory in %s: %s", tmpdir && *tmpdir ? tmpdir : "/tmp",
            strerror(errno));
        rc = EXIT_ERROR;
    }
    g.scratch = scratch;
    if (!g.json && !g.write_failed && rc == EXIT_OK)
        setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; rc == EXIT_OK && i < o.npos && !g.exec_failed && !g.write_failed; i++)
        ingest_one(&g, o.pos[i]);
    if (rc == EXIT_OK)
        remove_tree(scratch);
    if (g.w) {
        const ftf_status st = ftf_log_writer_close(g.w);
        if (st != FTF_OK) {
            say("ingest", "closing %s: %s", g.out, st == FTF_EIO ? strerror(errno) : ftf_strerror(st));
            g.write_failed = true;
        } else if (ftf_locator_build_from_log(g.out, NULL, NULL, NULL) != FTF_OK) {
            say("ingest", "%s: cannot write its locator", g.out);
            g.write_failed = true;
        }
    }
    if (!g.json)
        fprintf(stderr, "ingest: %zu artifact(s): %zu crash(es) (%zu new, %zu known), %zu not reproduced%s%s\n", o.npos,
                g.crashes, g.fresh, g.known, g.not_reproduced, g.no_log ? "" : "; log ", g.no_log ? "" : g.out);
    strlist_free(&base), strlist_free(&ids), free(real), free(o.pos);
    if (!flush_stdout("ingest") || g.write_failed || g.exec_failed || rc != EXIT_OK)
        return EXIT_ERROR;
    return g.fresh || g.unreadable ? EXIT_NEG : EXIT_OK;
}

/* ---- report ------------------------------------------------------------------- */

static int cmd_report(int argc, char **argv) {
    static const char *const valued[] = {"--out", "-o", "--title", "--fuzz-stats", "--coverage", NULL};
    opts_t o = {.cmd = "report", .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    if (rc == EXIT_OK && !o.help && o.npos == 0)
        rc = cmd_usage("report", "no log or failure index given");
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("report");
    }
    const char *out_path = o.vval[0] ? o.vval[0] : o.vval[1] ? o.vval[1] : "report.html";
    ftf_report_options_t ro = FTF_REPORT_OPTIONS_INIT;
    ro.title = o.vval[2], ro.fuzz_stats = o.vval[3], ro.coverage = o.vval[4];
    ftf_buf_t page = FTF_BUF_INIT;
    ftf_report_result_t res;
    ftf_status st = ftf_report_build(o.pos, o.npos, &ro, &page, &res);
    free(o.pos);
    for (size_t i = 0; i < res.note_count; i++)
        say("report", "%s", res.notes[i]);
    if (st != FTF_OK) {
        say("report", "%s", res.error);
        rc = st == FTF_EINVALID_ARGUMENT                                                       ? EXIT_USAGE
             : st == FTF_ENOT_FOUND || st == FTF_EBAD_RECORD || st == FTF_EUNSUPPORTED_VERSION ? EXIT_NEG
                                                                                               : EXIT_ERROR;
    } else if (strcmp(out_path, "-") == 0) {
        if (fwrite(page.data, 1, page.len, stdout) != page.len || !flush_stdout("report"))
            rc = EXIT_ERROR;
    } else if ((st = ftf_file_write_atomic(out_path, page.data, page.len)) != FTF_OK) {
        const int e = errno; /* set by the step that failed */
        say("report", "cannot create %s: %s", out_path, st == FTF_EIO ? strerror(e) : ftf_strerror(st));
        rc = EXIT_ERROR;
    } else {
        fprintf(stderr,
                "report: %s: %llu log(s), %llu damaged; %llu failure(s) in %llu bucket(s); %zu differential "
                "report(s)%s%s\n",
                out_path, (unsigned long long)res.logs, (unsigned long long)res.damaged_logs,
                (unsigned long long)res.failures, (unsigned long long)res.buckets, res.diff_reports,
                res.fuzz_stats ? ", fuzz statistics" : "", res.coverage ? ", coverage" : "");
    }
    if (rc == EXIT_OK && (res.unreadable || res.damaged_logs))
        rc = EXIT_NEG;
    ftf_report_result_dispose(&res);
    ftf_buf_dispose(&page);
    return rc;
}

/* ---- main --------------------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && find_help(argv[2]))
            return print_cmd_help(argv[2]);
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("%s (libft %s, log format %d, locator format %d, %s)\n", prog, ft_version(), FTF_LOG_FORMAT_VERSION,
               FTF_LOCATOR_VERSION, FTF_FAILURE_INDEX_SCHEMA);
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"cat", cmd_cat},         {"show", cmd_show},     {"index", cmd_index},
                {"triage", cmd_triage},   {"verify", cmd_verify}, {"reindex", cmd_reindex},
                {"recover", cmd_recover}, {"ingest", cmd_ingest}, {"report", cmd_report}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmds[i].name, cmd) == 0)
            return cmds[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
    print_usage(stderr);
    return EXIT_USAGE;
}
