/* ft-forensics: read, find, triage, check and repair ft-forensics-v1 logs.
 *
 *   ft-forensics cat [--scenario ID] [--outcome O] [--reason R] [--mode M] LOG|DIR...
 *   ft-forensics show [--json] SCENARIO_ID LOG|DIR...
 *   ft-forensics index [-o FILE] [--compact] [--member-cap N] LOG|DIR...
 *   ft-forensics triage [--json] [--top N] LOG|DIR...
 *   ft-forensics verify [--json] [--members] LOG...
 *   ft-forensics reindex LOG...
 *   ft-forensics recover -o OUT [--force] [--no-index] LOG...
 *
 * Exit codes (every command):
 *   0  success: nothing wrong found
 *   1  the command's negative answer: damage found (cat, index, verify, reindex,
 *      recover: records were lost), scenario not found (show), failures
 *      present (triage), stale/foreign/corrupt locator (verify)
 *   2  usage error (unknown command or option, missing argument, invalid
 *      scenario id)
 *   3  I/O or other error (missing input, unreadable file, write failed, out of
 *      memory)
 *
 * Logs are untrusted input: replay commands read from them are printed,
 * never executed; scenario ids given by users are validated. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ft/version.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"
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
    {"cat", "cat [--scenario ID] [--outcome O] [--reason R] [--mode M] LOG|DIR...",
     "Prints the records of the logs (directories: every *.gz below) as JSON lines, in file and log order.\n"
     "Filters (all must match; with any filter only event records are printed):\n"
     "  --scenario ID   scenario_id equals ID (validated)\n"
     "  --outcome O     pass | fail | allowlisted | skipped | crash\n"
     "  --reason R      reason_code equals R\n"
     "  --mode M        strict | hardened\n"
     "Damage is skipped and summarised on stderr.\n"
     "Exit: 0 ok, 1 the logs were damaged (readable records printed), 2 usage, 3 I/O."},
    {"show", "show [--json] SCENARIO_ID LOG|DIR...",
     "Prints every record of SCENARIO_ID, in log order, found through each log's locator (<log>.ftidx);\n"
     "where the locator is missing, stale, foreign or corrupt, says so on stderr and scans the log.\n"
     "  --json   one JSON object: scenario_id, found, logs [{file, locator, source}], records\n"
     "           [{file, member_offset, offset, length, source, record}]\n"
     "The replay command in a record is shown, never run.\n"
     "Exit: 0 found, 1 not found, 2 usage or invalid scenario id, 3 I/O."},
    {"index", "index [-o FILE] [--compact] [--member-cap N] LOG|DIR...",
     "Builds the failure index (ft-failure-index-v1, INDEX_FORMAT.md) over the logs and writes it to FILE\n"
     "(atomically) or stdout. Deterministic bytes: same logs, same index.\n"
     "  -o FILE          output file (default: stdout)\n"
     "  --compact        one line instead of indented JSON\n"
     "  --member-cap N   scenario ids listed per bucket (default 100)\n"
     "Exit: 0 written, 1 written but some log was damaged (see inputs[].damage), 2 usage, 3 I/O."},
    {"triage", "triage [--json] [--top N] LOG|DIR...",
     "Summarises the failures of the logs: one row per bucket (count, severity, class, signature,\n"
     "representative scenario), allowlisted drifts and unknown reason codes apart.\n"
     "  --json    the failure index, compact, on one line\n"
     "  --top N   show only the N largest buckets\n"
     "Exit: 0 no failures and no damage, 1 failures or damage found, 2 usage, 3 I/O."},
    {"verify", "verify [--json] [--members] LOG...",
     "Checks each log: every member (gzip header, BC field, CRC32, sizes), torn tail, junk, the EOF\n"
     "member, lines; and its locator (missing, fresh, stale, foreign, corrupt) by a full rebuild.\n"
     "  --json      one JSON object: ok, files [{file, intact, status, report, locator, members?}]\n"
     "  --members   list every member (offset, size, data size, CRC, lines, kind, damage)\n"
     "Exit: 0 intact with a fresh or no locator, 1 damage or a stale/foreign/corrupt locator, 2 usage, 3 I/O."},
    {"reindex", "reindex LOG...",
     "Rebuilds each log's locator (<log>.ftidx) from the log, atomically.\n"
     "Exit: 0 ok, 1 a log was damaged (its locator covers the readable records), 2 usage, 3 I/O."},
    {"recover", "recover -o OUT [--force] [--no-index] LOG...",
     "Copies every intact record of the logs, in order, into a new valid log OUT (with its EOF member,\n"
     "fsync'ed) and writes OUT's locator; reports what was lost.\n"
     "  -o OUT       the new log (refused if it exists, unless --force; never one of the inputs)\n"
     "  --no-index   do not write OUT.ftidx\n"
     "Exit: 0 nothing was lost, 1 OUT written but records were lost, 2 usage, 3 I/O."},
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
            "\n%s COMMAND --help for details. Exit codes: 0 ok, 1 damage / not found / failures (per command),\n"
            "2 usage, 3 I/O or other error.\n",
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

/* ---- shared helpers --------------------------------------------------------- */

static int expand(const char *cmd, const opts_t *o, size_t first, char ***paths, size_t *n) {
    if (o->npos <= first)
        return cmd_usage(cmd, "no log given");
    const ftf_status st = ftf_triage_expand_paths(o->pos + first, o->npos - first, paths, n);
    if (st == FTF_ENOT_FOUND) {
        for (size_t i = first; i < o->npos; i++) {
            struct stat sb;
            if (stat(o->pos[i], &sb) != 0)
                say(cmd, "%s: %s", o->pos[i], strerror(errno));
        }
        return EXIT_ERROR;
    }
    if (st != FTF_OK) {
        say(cmd, "listing the inputs: %s", ftf_strerror(st));
        return EXIT_ERROR;
    }
    if (*n == 0) {
        say(cmd, "no logs (*.gz) found");
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

static void summarise_damage(const char *cmd, const ftf_log_report_t *r) {
    say(cmd,
        "damage: %llu corrupt member(s) (%llu bytes, %llu lines lost), %llu torn tail(s) (%llu bytes, %llu lines), "
        "%llu junk bytes, %llu missing EOF, %llu bad, %llu long, %llu unterminated line(s), %llu I/O error(s); "
        "first: %s",
        (unsigned long long)r->corrupt_members, (unsigned long long)r->corrupt_bytes,
        (unsigned long long)r->corrupt_lines, (unsigned long long)r->torn_tails, (unsigned long long)r->torn_bytes,
        (unsigned long long)r->torn_lines, (unsigned long long)r->junk_bytes, (unsigned long long)r->missing_eof,
        (unsigned long long)r->bad_lines, (unsigned long long)r->long_lines, (unsigned long long)r->unterminated_lines,
        (unsigned long long)r->io_errors, r->first_detail[0] ? r->first_detail : ftf_log_damage_name(r->first_damage));
}

static bool span_eq(const char *s, size_t n, const char *lit) {
    return s && strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static json_t *report_json(const ftf_log_report_t *r) {
    json_t *o = json_object();
#define U(f) json_object_set_new(o, #f, json_integer((json_int_t)r->f))
    U(files), U(members), U(eof_members), U(foreign_members), U(records), U(data_bytes), U(corrupt_members),
        U(corrupt_bytes), U(corrupt_lines), U(torn_tails), U(torn_bytes), U(torn_lines), U(junk_bytes), U(missing_eof),
        U(long_lines), U(bad_lines), U(unterminated_lines), U(io_errors);
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

static int cmd_cat(int argc, char **argv) {
    static const char *const valued[] = {"--scenario", "--outcome", "--reason", "--mode", NULL};
    opts_t o = {.cmd = "cat", .valued = valued};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("cat");
    }
    const char *scen = o.vval[0], *outc = o.vval[1], *reason = o.vval[2], *mode = o.vval[3];
    ftf_outcome_t oc;
    if (scen && !ftf_scenario_id_valid(scen))
        rc = cmd_usage("cat", "invalid scenario id");
    else if (outc && ftf_outcome_from_name(outc, &oc) != FTF_OK)
        rc = cmd_usage("cat", "unknown outcome %s", outc);
    else if (mode && strcmp(mode, "strict") != 0 && strcmp(mode, "hardened") != 0)
        rc = cmd_usage("cat", "unknown mode %s", mode);
    char **paths = NULL;
    size_t n = 0;
    if (rc == EXIT_OK)
        rc = expand("cat", &o, 0, &paths, &n);
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    const bool filtering = scen || outc || reason || mode;
    ftf_log_reader_t *r;
    ftf_status st = ftf_log_reader_open((const char *const *)paths, n, NULL, &r);
    if (st != FTF_OK) {
        ftf_triage_paths_free(paths, n);
        say("cat", "%s", ftf_strerror(st));
        return EXIT_ERROR;
    }
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    ftf_event_storage_t storage = FTF_EVENT_STORAGE_INIT;
    ftf_log_record_t rec;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1) {
        if (filtering) {
            ftf_record_fields_t f;
            if (ftf_record_peek(rec.line, rec.len, FTF_PEEK_ALL, &f) != FTF_PEEK_OK) {
                ftf_record_t pr;
                if (ftf_record_parse(rec.line, rec.len, &pr, &storage, NULL) != FTF_OK ||
                    pr.kind != FTF_RECORD_KIND_EVENT)
                    continue;
                memset(&f, 0, sizeof f);
                f.record = "event", f.record_len = 5;
                f.scenario_id = pr.event.scenario_id, f.scenario_id_len = strlen(f.scenario_id);
                f.outcome = ftf_outcome_name(pr.event.outcome), f.outcome_len = strlen(f.outcome);
                f.mode = ft_mode_name(pr.event.mode), f.mode_len = strlen(f.mode);
                f.reason_code = pr.event.reason_code, f.reason_code_len = strlen(f.reason_code);
            }
            if (!span_eq(f.record, f.record_len, "event") ||
                (scen && !span_eq(f.scenario_id, f.scenario_id_len, scen)) ||
                (outc && !span_eq(f.outcome, f.outcome_len, outc)) ||
                (reason && !span_eq(f.reason_code, f.reason_code_len, reason)) ||
                (mode && !span_eq(f.mode, f.mode_len, mode)))
                continue;
        }
        fwrite(rec.line, 1, rec.len, stdout);
        fputc('\n', stdout);
    }
    ftf_event_storage_dispose(&storage);
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    if (k < 0) {
        say("cat", "%s", ftf_strerror((ftf_status)k));
        rc = EXIT_ERROR;
    } else if (ftf_log_report_damaged(rep)) {
        summarise_damage("cat", rep);
        rc = rep->io_errors ? EXIT_ERROR : EXIT_NEG;
    }
    if (fflush(stdout) != 0)
        rc = EXIT_ERROR;
    ftf_log_reader_free(r);
    ftf_triage_paths_free(paths, n);
    return rc;
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

static int show_scan(const char *file, const char *id, show_out_t *out, ftf_event_storage_t *storage) {
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(&file, 1, NULL, &r) != FTF_OK)
        return EXIT_ERROR;
    ftf_log_record_t rec;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1)
        if (line_has_id(rec.line, rec.len, id, storage))
            show_emit(out, file, &rec.pos, rec.line, rec.len, "scan");
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    if (ftf_log_report_damaged(rep))
        summarise_damage("show", rep);
    const int rc = k < 0 || rep->io_errors ? EXIT_ERROR : EXIT_OK;
    ftf_log_reader_free(r);
    return rc;
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
    char **paths = NULL;
    size_t n = 0;
    rc = expand("show", &o, 1, &paths, &n);
    show_out_t out = {NULL, 0, o.fval[0] != NULL};
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    json_t *logs = json_array();
    out.records = json_array();
    ftf_event_storage_t storage = FTF_EVENT_STORAGE_INIT;
    for (size_t i = 0; i < n && rc != EXIT_ERROR; i++) {
        ftf_locator_t *loc;
        const ftf_status lst = ftf_locator_open(paths[i], NULL, 0, &loc);
        const char *state = locator_state(lst), *source = "locator";
        if (lst == FTF_OK) {
            /* read every entry first: emit only if all of them check out */
            size_t first = 0, count = 0;
            ftf_status st = ftf_locator_find(loc, id, &first, &count);
            if (st == FTF_ENOT_FOUND)
                st = FTF_OK, count = 0;
            char **lines = count ? calloc(count, sizeof *lines) : NULL;
            size_t *lens = count ? calloc(count, sizeof *lens) : NULL;
            ftf_log_pos_t *poss = count ? calloc(count, sizeof *poss) : NULL;
            if (count && (!lines || !lens || !poss))
                st = FTF_ENOMEM;
            for (size_t e = 0; st == FTF_OK && e < count; e++) {
                ftf_locator_entry_t ent;
                if ((st = ftf_locator_entry_at(loc, first + e, &ent)) != FTF_OK)
                    break;
                poss[e] = ent.pos;
                st = ftf_log_read_at(paths[i], ent.pos.member_offset, ent.pos.offset, &lines[e], &lens[e]);
                if (st == FTF_OK && !line_has_id(lines[e], lens[e], id, &storage))
                    st = FTF_ESTALE_INDEX;
            }
            for (size_t e = 0; st == FTF_OK && e < count; e++)
                show_emit(&out, paths[i], &poss[e], lines[e], lens[e], "locator");
            for (size_t e = 0; lines && e < count; e++)
                free(lines[e]);
            free(lines), free(lens), free(poss);
            if (st == FTF_ENOMEM) {
                say("show", "%s", ftf_strerror(st));
                rc = EXIT_ERROR;
            } else if (st != FTF_OK) {
                say("show", "%s: locator unusable (%s); scanning the log", paths[i], ftf_status_code(st));
                state = st == FTF_ECORRUPT ? "corrupt" : "stale", source = "scan";
            }
            ftf_locator_free(loc);
        } else {
            say("show", "%s: locator %s; scanning the log", paths[i], state);
            source = "scan";
        }
        if (rc != EXIT_ERROR && strcmp(source, "scan") == 0 && show_scan(paths[i], id, &out, &storage) != EXIT_OK) {
            say("show", "%s: cannot read the log", paths[i]);
            rc = EXIT_ERROR;
        }
        json_t *lj = json_object();
        json_object_set_new(lj, "file", json_string(paths[i]));
        json_object_set_new(lj, "locator", json_string(state));
        json_object_set_new(lj, "source", json_string(source));
        json_array_append_new(logs, lj);
    }
    ftf_event_storage_dispose(&storage);
    if (rc == EXIT_OK && out.found == 0) {
        say("show", "%s: not found", id);
        rc = EXIT_NEG;
    }
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
    if (fflush(stdout) != 0)
        rc = EXIT_ERROR;
    ftf_triage_paths_free(paths, n);
    return rc;
}

/* ---- index / triage ----------------------------------------------------------- */

static int build_index(const char *cmd, const opts_t *o, const ftf_index_options_t *io, ftf_failure_index_t **idx) {
    char **paths = NULL;
    size_t n = 0;
    int rc = expand(cmd, o, 0, &paths, &n);
    if (rc != EXIT_OK)
        return rc;
    const ftf_status st = ftf_failure_index_build((const char *const *)paths, n, io, idx);
    ftf_triage_paths_free(paths, n);
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
    rc = build_index("index", &o, &io, &idx);
    const char *out_path = o.vval[0];
    const bool compact = o.fval[0] != NULL;
    free(o.pos);
    if (rc != EXIT_OK)
        return rc;
    ftf_status st;
    if (out_path && !compact) {
        st = ftf_failure_index_write(idx, out_path);
    } else {
        ftf_buf_t buf = FTF_BUF_INIT;
        st = ftf_failure_index_render(idx, compact ? FTF_INDEX_JSON_COMPACT : 0, &buf);
        if (st == FTF_OK && out_path) { /* atomically, like ftf_failure_index_write */
            const size_t n = strlen(out_path) + 32;
            char *tmp = malloc(n);
            FILE *f = NULL;
            if (tmp) {
                snprintf(tmp, n, "%s.tmp.%ld", out_path, (long)getpid());
                f = fopen(tmp, "wb");
            }
            if (!f || fwrite(buf.data, 1, buf.len, f) != buf.len)
                st = FTF_EIO;
            if (f && fclose(f) != 0)
                st = FTF_EIO;
            if (st == FTF_OK && rename(tmp, out_path) != 0)
                st = FTF_EIO;
            if (st != FTF_OK && tmp)
                unlink(tmp);
            free(tmp);
        } else if (st == FTF_OK && (fwrite(buf.data, 1, buf.len, stdout) != buf.len || fflush(stdout) != 0)) {
            st = FTF_EIO;
        }
        ftf_buf_dispose(&buf);
    }
    if (st != FTF_OK) {
        say("index", "writing %s: %s", out_path ? out_path : "stdout", ftf_strerror(st));
        rc = EXIT_ERROR;
    } else {
        ftf_index_totals_t t;
        ftf_failure_index_totals(idx, &t);
        warn_damage("index", idx);
        rc = t.damaged_files ? EXIT_NEG : EXIT_OK;
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
    rc = build_index("triage", &o, NULL, &idx);
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
    if (fflush(stdout) != 0)
        rc = EXIT_ERROR;
    if (rc == EXIT_OK && (t.failures || t.damaged_files))
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

static int cmd_verify(int argc, char **argv) {
    static const char *const flags[] = {"--json", "--members", NULL};
    opts_t o = {.cmd = "verify", .flags = flags};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("verify");
    }
    if (o.npos == 0) {
        free(o.pos);
        return cmd_usage("verify", "no log given");
    }
    const bool json = o.fval[0] != NULL, list = o.fval[1] != NULL;
    json_t *files = json_array();
    bool all_ok = true, io = false;
    for (size_t i = 0; i < o.npos; i++) {
        const char *path = o.pos[i];
        verify_ctx_t vc = {(json || list) ? json_array() : NULL};
        ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
        ro.on_member = verify_on_member;
        ro.on_member_payload = &vc;
        ftf_log_report_t rep;
        memset(&rep, 0, sizeof rep);
        const ftf_status st = ftf_log_verify(path, &ro, &rep);
        ftf_status lst = FTF_ENOT_FOUND;
        if (st != FTF_EIO) {
            lst = ftf_locator_verify(path, NULL);
            if (lst == FTF_EIO) /* the sidecar is there but the log could not be re-read */
                lst = ftf_locator_check(path, NULL);
        }
        const bool intact = st == FTF_OK;
        const bool loc_ok = lst == FTF_OK || lst == FTF_ENOT_FOUND;
        if (st == FTF_EIO)
            io = true;
        if (!intact || !loc_ok)
            all_ok = false;
        if (json) {
            json_t *f = json_object();
            json_object_set_new(f, "file", json_string(path));
            json_object_set_new(f, "intact", json_boolean(intact));
            json_object_set_new(f, "status", json_string(ftf_status_code(st)));
            json_object_set_new(f, "report", report_json(&rep));
            json_object_set_new(f, "locator", json_string(locator_state(lst)));
            if (list)
                json_object_set_new(f, "members", vc.members);
            else
                json_decref(vc.members);
            json_array_append_new(files, f);
        } else {
            printf("%s: %s: %llu member(s), %llu record(s), %llu data bytes; locator %s\n", path,
                   intact          ? "intact"
                   : st == FTF_EIO ? "unreadable"
                                   : "DAMAGED",
                   (unsigned long long)rep.members, (unsigned long long)rep.records, (unsigned long long)rep.data_bytes,
                   locator_state(lst));
            if (!intact && st != FTF_EIO)
                printf("  %s; corrupt members %llu (%llu bytes, %llu lines), torn tails %llu (%llu bytes, %llu "
                       "lines), junk bytes %llu, missing EOF %llu, foreign members %llu, bad lines %llu, long lines "
                       "%llu, unterminated %llu\n",
                       rep.first_detail[0] ? rep.first_detail : ftf_status_code(st),
                       (unsigned long long)rep.corrupt_members, (unsigned long long)rep.corrupt_bytes,
                       (unsigned long long)rep.corrupt_lines, (unsigned long long)rep.torn_tails,
                       (unsigned long long)rep.torn_bytes, (unsigned long long)rep.torn_lines,
                       (unsigned long long)rep.junk_bytes, (unsigned long long)rep.missing_eof,
                       (unsigned long long)rep.foreign_members, (unsigned long long)rep.bad_lines,
                       (unsigned long long)rep.long_lines, (unsigned long long)rep.unterminated_lines);
            if (list)
                for (size_t m = 0; m < json_array_size(vc.members); m++) {
                    json_t *mj = json_array_get(vc.members, m);
                    printf("  member @%lld size %lld data %lld crc %s lines %lld %s%s%s\n",
                           (long long)json_integer_value(json_object_get(mj, "offset")),
                           (long long)json_integer_value(json_object_get(mj, "size")),
                           (long long)json_integer_value(json_object_get(mj, "data_size")),
                           json_string_value(json_object_get(mj, "crc")),
                           (long long)json_integer_value(json_object_get(mj, "lines")),
                           json_string_value(json_object_get(mj, "kind")), json_object_get(mj, "damage") ? " " : "",
                           json_object_get(mj, "damage") ? json_string_value(json_object_get(mj, "damage")) : "");
                }
            json_decref(vc.members);
        }
    }
    free(o.pos);
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "ok", json_boolean(all_ok));
        json_object_set_new(j, "files", files);
        if (print_json(j) != EXIT_OK)
            return EXIT_ERROR;
    } else {
        json_decref(files);
    }
    if (fflush(stdout) != 0)
        return EXIT_ERROR;
    return io ? EXIT_ERROR : all_ok ? EXIT_OK : EXIT_NEG;
}

/* ---- reindex / recover ---------------------------------------------------------- */

static int cmd_reindex(int argc, char **argv) {
    opts_t o = {.cmd = "reindex"};
    int rc = parse_opts(&o, argc, argv);
    if (rc != EXIT_OK || o.help) {
        free(o.pos);
        return rc != EXIT_OK ? rc : print_cmd_help("reindex");
    }
    if (o.npos == 0) {
        free(o.pos);
        return cmd_usage("reindex", "no log given");
    }
    for (size_t i = 0; i < o.npos; i++) {
        ftf_locator_build_stats_t bs;
        ftf_log_report_t rep;
        const ftf_status st = ftf_locator_build_from_log(o.pos[i], NULL, &bs, &rep);
        if (st != FTF_OK) {
            say("reindex", "%s: %s", o.pos[i], ftf_strerror(st));
            rc = EXIT_ERROR;
            continue;
        }
        printf("%s: %llu entr%s from %llu record(s) (%llu not indexed)%s\n", o.pos[i], (unsigned long long)bs.entries,
               bs.entries == 1 ? "y" : "ies", (unsigned long long)bs.records, (unsigned long long)bs.skipped,
               bs.damaged ? "; log damaged, readable part indexed" : "");
        if (bs.damaged) {
            summarise_damage("reindex", &rep);
            if (rc == EXIT_OK)
                rc = EXIT_NEG;
        }
    }
    free(o.pos);
    return rc;
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
    if (!out)
        rc = cmd_usage("recover", "-o OUT is required");
    else if (o.npos == 0)
        rc = cmd_usage("recover", "no log given");
    else if (out_exists && !o.fval[0])
        rc = cmd_usage("recover", "%s exists (use --force to replace it)", out);
    for (size_t i = 0; rc == EXIT_OK && i < o.npos; i++) {
        struct stat isb;
        if (strcmp(o.pos[i], out) == 0 ||
            (out_exists && stat(o.pos[i], &isb) == 0 && isb.st_dev == osb.st_dev && isb.st_ino == osb.st_ino))
            rc = cmd_usage("recover", "OUT must not be one of the inputs");
        else if (stat(o.pos[i], &isb) != 0) {
            say("recover", "%s: %s", o.pos[i], strerror(errno));
            rc = EXIT_ERROR;
        }
    }
    if (rc != EXIT_OK) {
        free(o.pos);
        return rc;
    }
    ftf_log_report_t rep;
    memset(&rep, 0, sizeof rep);
    uint64_t records = 0;
    ftf_status st = ftf_log_recover(o.pos, o.npos, out, NULL, NULL, &rep, &records);
    if (st != FTF_OK) {
        say("recover", "writing %s: %s", out, ftf_strerror(st));
        free(o.pos);
        return EXIT_ERROR;
    }
    printf("%s: %llu record(s) recovered from %zu log(s)\n", out, (unsigned long long)records, o.npos);
    if (!o.fval[1] && (st = ftf_locator_build_from_log(out, NULL, NULL, NULL)) != FTF_OK) {
        say("recover", "%s: writing the locator: %s", out, ftf_strerror(st));
        rc = EXIT_ERROR;
    }
    if (ftf_log_report_damaged(&rep)) {
        summarise_damage("recover", &rep);
        if (rc == EXIT_OK)
            rc = EXIT_NEG;
    }
    free(o.pos);
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
    } cmds[] = {{"cat", cmd_cat},       {"show", cmd_show},       {"index", cmd_index},    {"triage", cmd_triage},
                {"verify", cmd_verify}, {"reindex", cmd_reindex}, {"recover", cmd_recover}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmds[i].name, cmd) == 0)
            return cmds[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
    print_usage(stderr);
    return EXIT_USAGE;
}
