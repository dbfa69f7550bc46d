/* ft-replay: reproduce a recorded scenario from the forensics logs alone.
 *
 * Finds every record of a scenario id in the forensics directories (each log's
 * locator first; a missing, stale or foreign locator is said and the log is
 * scanned instead), picks the most recent recording (or the one --run/--mode
 * select), rebuilds the scenario from the recorded event's own `scenario`
 * text, re-runs it through the same checks as ft-campaign (ftd_check_recorded)
 * and compares: reproduced (same outcome and the same failing comparators),
 * not_reproduced (passes now), diverged (fails differently). Logs are
 * untrusted input: ids are validated, nothing read from a log is executed or
 * used as a path, and every field is parsed by the strict event parser.
 *
 * Exit codes: 0 reproduced, 1 not reproduced, 2 diverged, 3 lookup or usage
 * error, 4 damaged record (the record cannot be parsed or rebuilt). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ft/json_text.h"
#include "ft/version.h"
#include "ftdiff/check.h"
#include "ftdiff/dispatch_batch.h"
#include "ftf/artifact.h"
#include "ftf/crash_report.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"
#include "ftf/triage.h"
#include "replay_shrink.h"

#ifndef FTR_SOURCE_DIR
#define FTR_SOURCE_DIR "."
#endif
#ifndef FTR_FUZZ_DIR
#define FTR_FUZZ_DIR "fuzz"
#endif

enum { EXIT_REPRODUCED = 0, EXIT_NOT_REPRODUCED = 1, EXIT_DIVERGED = 2, EXIT_LOOKUP = 3, EXIT_DAMAGED = 4 };

static const char usage_text[] =
    "usage: ft-replay [options] SCENARIO_ID\n"
    "\n"
    "Finds SCENARIO_ID in the forensics logs, rebuilds the scenario from the recorded\n"
    "event alone, re-runs it through ft-campaign's checks and says whether the\n"
    "recorded outcome reproduces, with a field-by-field diff.\n"
    "\n"
    "  --dir DIR         a forensics directory or log to search (repeatable; default\n"
    "                    $FT_FORENSICS_DIR, else artifacts/forensics)\n"
    "  --run RUN_ID      the recording of this run (default: the most recent)\n"
    "  --mode M          strict or hardened (default: every recorded mode of that run)\n"
    "  --runs N          re-run N times and report how many reproduced (flakiness)\n"
    "  --json            one JSON object on stdout instead of text\n"
    "  --print-command   print the replay command (shell-quoted argv) and exit\n"
    "  --minimize        shrink the scenario while its failure (the failing comparators\n"
    "                    per mode) stays the same; print the smaller scenario and its id\n"
    "  --write-fixture FILE  append the scenario as a fixture case (ft-fixture-v1) whose\n"
    "                    expectations are the reference model's: a regression test\n"
    "  --list            list every recording of the id and exit\n"
    "  --fuzz-bin DIR    where the fuzz targets' replay-driver builds are (fuzz_<target>;\n"
    "                    default: this build's fuzz/ directory)\n"
    "  --help, --version\n"
    "\n"
    "exit status: 0 reproduced, 1 not reproduced (passes now), 2 diverged (fails\n"
    "differently), 3 lookup or usage error (unknown id, no logs), 4 damaged record\n";

/* One recorded event of the scenario. */
typedef struct {
    char *log;
    uint64_t member_offset, offset;
    char run_id[FTF_RUN_ID_SIZE];
    uint64_t seq;
    ft_mode_t mode;
    ftf_outcome_t outcome;
    char *reason_code, *comparator, *expected, *observed, *scenario, *env_fingerprint;
    /* fuzz findings */
    char *target, *input_b64, *input_ref, *crash_type, *crash_state;
    time_t log_mtime;
} rec_t;

typedef struct {
    rec_t *v;
    size_t n, cap;
    size_t damaged;
} recs_t;

static bool quiet_json;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
static void
note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("ft-replay: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

static void rec_free(rec_t *r) {
    free(r->log);
    free(r->reason_code);
    free(r->comparator);
    free(r->expected);
    free(r->observed);
    free(r->scenario);
    free(r->env_fingerprint);
    free(r->target);
    free(r->input_b64);
    free(r->input_ref);
    free(r->crash_type);
    free(r->crash_state);
}

/* Parses a line known to carry the id; a record that does not parse counts as
 * damaged (it is not silently skipped). */
static void take_line(recs_t *rs, const char *log, time_t mtime, const char *line, size_t len, uint64_t member,
                      uint64_t offset, const char *id, ftf_event_storage_t *st) {
    ftf_record_t rec;
    ftf_parse_error_t err;
    if (ftf_record_parse(line, len, &rec, st, &err) != FTF_OK) {
        note("%s: a record of %s does not parse (%s: %s)", log, id, ftf_record_error_name(err.reason), err.text);
        rs->damaged++;
        return;
    }
    if (rec.kind != FTF_RECORD_KIND_EVENT || strcmp(rec.event.scenario_id, id) != 0)
        return;
    if (rs->n == rs->cap) {
        const size_t cap = rs->cap ? rs->cap * 2 : 8;
        rec_t *v = realloc(rs->v, cap * sizeof *v);
        if (!v)
            return;
        rs->v = v, rs->cap = cap;
    }
    const ftf_event_t *ev = &rec.event;
    rec_t *r = &rs->v[rs->n++];
    memset(r, 0, sizeof *r);
    r->log = strdup(log);
    r->member_offset = member, r->offset = offset;
    snprintf(r->run_id, sizeof r->run_id, "%s", ev->run_id);
    r->seq = ev->seq;
    r->mode = ev->mode;
    r->outcome = ev->outcome;
    r->reason_code = dup_or_null(ev->reason_code);
    r->comparator = ev->has_differential ? dup_or_null(ev->differential.comparator) : NULL;
    r->expected = ev->has_differential ? dup_or_null(ev->differential.expected) : NULL;
    r->observed = ev->has_differential ? dup_or_null(ev->differential.observed) : NULL;
    r->scenario = dup_or_null(ev->scenario);
    r->env_fingerprint = dup_or_null(ev->env_fingerprint);
    if (ev->has_fuzz) {
        r->target = dup_or_null(ev->fuzz.target);
        r->input_b64 = dup_or_null(ev->fuzz.input_b64);
        r->input_ref = dup_or_null(ev->fuzz.input_ref);
        r->crash_type = dup_or_null(ev->fuzz.crash_type);
        r->crash_state = dup_or_null(ev->fuzz.crash_state);
    }
    r->log_mtime = mtime;
}

static void scan_log(recs_t *rs, const char *log, time_t mtime, const char *id, ftf_event_storage_t *st) {
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(&log, 1, NULL, &r) != FTF_OK) {
        note("%s: cannot read", log);
        return;
    }
    ftf_log_record_t line;
    const size_t idlen = strlen(id);
    while (ftf_log_reader_next(r, &line) == 1) {
        ftf_record_fields_t f;
        const ftf_peek_result_t p = ftf_record_peek(line.line, line.len, FTF_PEEK_SCENARIO_ID, &f);
        if (p == FTF_PEEK_OK && !(f.scenario_id && f.scenario_id_len == idlen && memcmp(f.scenario_id, id, idlen) == 0))
            continue;
        take_line(rs, log, mtime, line.line, line.len, line.pos.member_offset, line.pos.offset, id, st);
    }
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    if (ftf_log_report_damaged(rep))
        note("%s: the log is damaged (%s); what could be read was searched", log,
             ftf_log_damage_name(rep->first_damage));
    ftf_log_reader_free(r);
}

static void search(recs_t *rs, char **logs, size_t nlogs, const char *id) {
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    for (size_t i = 0; i < nlogs; i++) {
        struct stat sb;
        const time_t mtime = stat(logs[i], &sb) == 0 ? sb.st_mtime : 0;
        ftf_locator_t *loc;
        const ftf_status st_open = ftf_locator_open(logs[i], NULL, 0, &loc);
        if (st_open != FTF_OK) {
            if (!quiet_json)
                note("%s: locator %s; scanning the log", logs[i],
                     st_open == FTF_ENOT_FOUND       ? "missing"
                     : st_open == FTF_ESTALE_INDEX   ? "stale (the log changed since)"
                     : st_open == FTF_EFOREIGN_INDEX ? "foreign (written for another log)"
                                                     : ftf_strerror(st_open));
            scan_log(rs, logs[i], mtime, id, &st);
            continue;
        }
        size_t first, count;
        if (ftf_locator_find(loc, id, &first, &count) == FTF_OK)
            for (size_t k = first; k < first + count; k++) {
                ftf_locator_entry_t e;
                char *line;
                size_t len;
                if (ftf_locator_entry_at(loc, k, &e) != FTF_OK)
                    continue;
                if (ftf_log_read_at(logs[i], e.pos.member_offset, e.pos.offset, &line, &len) != FTF_OK) {
                    note("%s: the record the locator points at cannot be read", logs[i]);
                    rs->damaged++;
                    continue;
                }
                take_line(rs, logs[i], mtime, line, len, e.pos.member_offset, e.pos.offset, id, &st);
                free(line);
            }
        ftf_locator_free(loc);
    }
    ftf_event_storage_dispose(&st);
}

/* ---- re-execution and verdict ----------------------------------------------------------------------------- */

typedef enum { V_REPRODUCED, V_NOT_REPRODUCED, V_DIVERGED } verdict_t;
static const char *const verdict_names[] = {"reproduced", "not_reproduced", "diverged"};

/* Recorded failing comparators of one run and mode: the finding events. */
static bool recorded_failed(const recs_t *rs, const char *run, ft_mode_t mode) {
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->v[i].run_id, run) == 0 && rs->v[i].mode == mode && rs->v[i].outcome == FTF_OUTCOME_FAIL)
            return true;
    return false;
}

/* Does a finding made now stand for the recorded comparator `cmp`? A torch
 * fixture case records its family ("oracle_tables") as the comparator. */
static bool finding_is(const ftd_finding_t *f, const char *cmp, bool batch_kind) {
    if (batch_kind && f->comparator == FTD_CMP_FIXTURE)
        return strncmp(cmp, "oracle_", 7) == 0 || strcmp(cmp, "fixture") == 0;
    return strcmp(ftd_comparator_name(f->comparator), cmp) == 0;
}

/* The recorded failing comparators of (run, mode) against the findings now:
 * the same set both ways. The live oracle's findings ("torch") are not re-run
 * here and take no part. */
static verdict_t judge_mode(const recs_t *rs, const char *run, ft_mode_t mode, const ftd_mode_result_t *now,
                            bool batch_kind) {
    const bool was_failed = recorded_failed(rs, run, mode);
    const bool now_failed = now->verdict == FTD_VERDICT_BLOCKING || now->verdict == FTD_VERDICT_HARNESS_ERROR;
    if (!was_failed)
        return now_failed ? V_DIVERGED : V_REPRODUCED;
    if (!now_failed)
        return V_NOT_REPRODUCED;
    for (size_t i = 0; i < rs->n; i++) {
        const rec_t *r = &rs->v[i];
        if (strcmp(r->run_id, run) != 0 || r->mode != mode || !r->comparator || strcmp(r->comparator, "torch") == 0)
            continue;
        bool seen = strcmp(r->comparator, "harness") == 0 && now->verdict == FTD_VERDICT_HARNESS_ERROR;
        for (size_t f = 0; f < now->findings.count && !seen; f++)
            seen = finding_is(&now->findings.items[f], r->comparator, batch_kind);
        if (!seen)
            return V_DIVERGED;
    }
    for (size_t f = 0; f < now->findings.count; f++) {
        bool seen = false;
        for (size_t i = 0; i < rs->n && !seen; i++) {
            const rec_t *r = &rs->v[i];
            seen = strcmp(r->run_id, run) == 0 && r->mode == mode && r->comparator &&
                   finding_is(&now->findings.items[f], r->comparator, batch_kind);
        }
        if (!seen)
            return V_DIVERGED;
    }
    return V_REPRODUCED;
}

/* ---- fuzz findings ---------------------------------------------------------------------------------- */

/* Runs the recorded target on the recorded input through the plain replay
 * driver and compares what it says now with what was recorded. The target's
 * binary is one this tool resolves itself (fuzz_<target> in `bin_dir`, the
 * target name checked against the id); the input comes from the record
 * (base64) or its side artifact, and must hash to the id's SHA-1. */
static int replay_fuzz(const rec_t *pick, const char *id, const char *bin_dir, bool json) {
    const char *tstart = id + 5, *slash = strchr(tstart, '/');
    const size_t tlen = slash ? (size_t)(slash - tstart) : 0;
    if (!pick->target || strlen(pick->target) != tlen || strncmp(pick->target, tstart, tlen) != 0) {
        note("%s: the record's target does not match its id", id);
        return EXIT_DAMAGED;
    }
    ftf_buf_t input = FTF_BUF_INIT;
    int rc = EXIT_DAMAGED;
    char *data = NULL;
    size_t len = 0;
    if (pick->input_b64) {
        if (ftf_base64_decode(pick->input_b64, strlen(pick->input_b64), &input) != FTF_OK) {
            note("%s: the recorded input is not base64", id);
            goto out;
        }
        data = input.data, len = input.len;
    } else if (pick->input_ref) {
        /* ftf_artifact_read checks the reference's shape (no "..", no absolute
           path) and the file's SHA-1 against its name */
        if (ftf_artifact_read(pick->log, pick->input_ref, &data, &len) != FTF_OK) {
            note("%s: the input's side artifact cannot be read", id);
            goto out;
        }
    } else {
        note("%s: the record holds no input", id);
        goto out;
    }
    char sha1[FTF_SHA1_HEX_SIZE];
    ftf_sha1_hex(data, len, sha1);
    if (strcmp(sha1, slash + 1) != 0) {
        note("%s: the recorded input's SHA-1 is %s", id, sha1);
        goto out;
    }
    char binpath[1024], *real = NULL;
    snprintf(binpath, sizeof binpath, "%s/fuzz_%.*s", bin_dir, (int)tlen, tstart);
    if (!(real = realpath(binpath, NULL)) || access(real, X_OK) != 0) {
        note("%s: no fuzz target binary %s (build it, or --fuzz-bin DIR)", id, binpath);
        free(real);
        rc = EXIT_LOOKUP;
        goto out;
    }
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], file[600], envdir[640];
    snprintf(dir, sizeof dir, "%s/ft-replay-fuzz.XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (!mkdtemp(dir)) {
        note("cannot create a temporary directory: %s", strerror(errno));
        free(real);
        rc = EXIT_LOOKUP;
        goto out;
    }
    snprintf(file, sizeof file, "%s/input", dir);
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        note("cannot write the input to %s", file);
        free(real);
        rc = EXIT_LOOKUP;
        goto out;
    }
    /* the target's own forensics event goes to the scratch directory, not
       into the user's logs */
    snprintf(envdir, sizeof envdir, "FT_FUZZ_FORENSICS_DIR=%s/forensics", dir);
    char *env[] = {envdir, (char *)"PATH=/usr/bin:/bin", NULL};
    char *argv[] = {real, file, NULL};
    ftf_buf_t err = FTF_BUF_INIT;
    ftf_crash_exit_t ex;
    ftf_crash_report_t now;
    if (ftf_crash_run(argv, env, 60000, 1u << 20, &err, &ex) != 0) {
        note("cannot run %s: %s", real, strerror(errno));
        rc = EXIT_LOOKUP;
    } else {
        ftf_crash_report_parse(err.data ? err.data : "", err.len, &ex, &now);
        const bool crashed = now.kind != FTF_CRASH_NONE;
        const bool same = crashed && pick->crash_type && strcmp(pick->crash_type, now.crash_type) == 0 &&
                          (!pick->crash_state || strcmp(pick->crash_state, now.crash_state) == 0);
        const char *verdict = same ? "reproduced" : crashed ? "diverged" : "not_reproduced";
        rc = same ? EXIT_REPRODUCED : crashed ? EXIT_DIVERGED : EXIT_NOT_REPRODUCED;
        if (json) {
            json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:s}", "scenario_id", id, "verdict", verdict,
                                  "run_id", pick->run_id, "target", pick->target, "recorded_crash_type",
                                  pick->crash_type, "recorded_crash_state", pick->crash_state, "crash_type",
                                  now.crash_type, "crash_state", now.crash_state);
            char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (t)
                puts(t);
            free(t);
            json_decref(o);
        } else {
            printf("fuzz finding %s, run %s (%s)\n", id, pick->run_id, pick->log);
            printf("  ran:      %s %s\n", real, file);
            printf("  recorded: %s\n    %s\n", pick->crash_type ? pick->crash_type : "-",
                   pick->crash_state ? pick->crash_state : "-");
            printf("  now:      %s\n    %s\n", crashed ? now.crash_type : "(no crash)", now.crash_state);
            printf("verdict: %s\n", verdict);
        }
    }
    ftf_buf_dispose(&err);
    free(real);
    unlink(file);
    char fdir[600];
    snprintf(fdir, sizeof fdir, "%s/forensics", dir);
    /* the target may have left its event log there: remove what it wrote */
    char **left = NULL;
    size_t nleft = 0;
    const char *fd1 = fdir;
    if (ftf_triage_expand_paths(&fd1, 1, &left, &nleft) == FTF_OK)
        for (size_t i = 0; i < nleft; i++) {
            char side[1100];
            snprintf(side, sizeof side, "%s.ftidx", left[i]);
            unlink(left[i]);
            unlink(side);
        }
    ftf_triage_paths_free(left, nleft);
    rmdir(fdir);
    rmdir(dir);
out:
    if (data != input.data)
        free(data);
    ftf_buf_dispose(&input);
    return rc;
}

int main(int argc, char **argv) {
    const char *dirs[64];
    size_t ndirs = 0;
    const char *run = NULL, *id = NULL;
    int mode_sel = -1;
    long runs = 1;
    bool json = false, print_command = false, list = false, minimize = false;
    const char *fixture_out = NULL, *fuzz_bin = FTR_FUZZ_DIR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("ft-replay %s\n", ft_version());
            return 0;
        } else if (strcmp(a, "--dir") == 0 && v) {
            if (ndirs == sizeof dirs / sizeof dirs[0]) {
                note("too many --dir");
                return EXIT_LOOKUP;
            }
            dirs[ndirs++] = v, i++;
        } else if (strcmp(a, "--run") == 0 && v) {
            if (!ftf_run_id_valid(v, strlen(v))) {
                note("--run: not a run id (run-<16 hex>)");
                return EXIT_LOOKUP;
            }
            run = v, i++;
        } else if (strcmp(a, "--mode") == 0 && v) {
            ft_mode_t m;
            if (ft_mode_from_name(v, &m) != FT_OK) {
                note("--mode: strict or hardened");
                return EXIT_LOOKUP;
            }
            mode_sel = (int)m, i++;
        } else if (strcmp(a, "--runs") == 0 && v) {
            char *end;
            runs = strtol(v, &end, 10);
            if (*end || runs < 1 || runs > 100000) {
                note("--runs: 1..100000");
                return EXIT_LOOKUP;
            }
            i++;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--print-command") == 0) {
            print_command = true;
        } else if (strcmp(a, "--list") == 0) {
            list = true;
        } else if (strcmp(a, "--fuzz-bin") == 0 && v) {
            fuzz_bin = v, i++;
        } else if (strcmp(a, "--minimize") == 0) {
            minimize = true;
        } else if (strcmp(a, "--write-fixture") == 0 && v) {
            fixture_out = v, i++;
        } else if (a[0] == '-' && a[1]) {
            note("unknown option or missing value: %s (ft-replay --help)", a);
            return EXIT_LOOKUP;
        } else if (!id) {
            id = a;
        } else {
            note("one scenario id at a time");
            return EXIT_LOOKUP;
        }
    }
    quiet_json = json;
    if (!id) {
        fputs(usage_text, stderr);
        return EXIT_LOOKUP;
    }
    /* an id read from anywhere is untrusted: its shape is checked before use */
    if (!ftf_scenario_id_valid(id)) {
        note("not a scenario id: ids are {suite}/{mode}:{case}, gen/<16 hex> or fuzz/<target>/<40 hex>");
        return EXIT_LOOKUP;
    }
    if (!ndirs) {
        const char *env = getenv("FT_FORENSICS_DIR");
        dirs[ndirs++] = env && env[0] ? env : "artifacts/forensics";
    }
    char **logs = NULL;
    size_t nlogs = 0;
    const ftf_status xs = ftf_triage_expand_paths(dirs, ndirs, &logs, &nlogs);
    if (xs != FTF_OK || nlogs == 0) {
        note("no forensics logs under %s%s (%s)", dirs[0], ndirs > 1 ? " ..." : "",
             xs == FTF_OK ? "no *.gz" : ftf_strerror(xs));
        ftf_triage_paths_free(logs, nlogs);
        return EXIT_LOOKUP;
    }
    recs_t rs = {NULL, 0, 0, 0};
    search(&rs, logs, nlogs, id);
    ftf_triage_paths_free(logs, nlogs);
    int rc = EXIT_LOOKUP;
    if (rs.n == 0) {
        note("%s: not found in %zu log(s)%s", id, nlogs, rs.damaged ? " (some records were damaged)" : "");
        rc = rs.damaged ? EXIT_DAMAGED : EXIT_LOOKUP;
        goto done;
    }
    if (list) {
        for (size_t i = 0; i < rs.n; i++) {
            const rec_t *r = &rs.v[i];
            printf("%s %s seq %" PRIu64 " %s %s %s%s%s\n", r->run_id, ft_mode_name(r->mode), r->seq,
                   ftf_outcome_name(r->outcome), r->reason_code, r->comparator ? "comparator " : "",
                   r->comparator ? r->comparator : "", "");
        }
        rc = 0;
        goto done;
    }
    /* the recording to replay: --run, else the most recent log's */
    const rec_t *pick = NULL;
    for (size_t i = 0; i < rs.n; i++) {
        const rec_t *r = &rs.v[i];
        if ((run && strcmp(r->run_id, run) != 0) || (mode_sel >= 0 && (int)r->mode != mode_sel))
            continue;
        if (!pick || r->log_mtime > pick->log_mtime || (r->log_mtime == pick->log_mtime && r->seq > pick->seq))
            pick = r;
    }
    if (!pick) {
        note("%s: no recording matches --run/--mode (ft-replay --list %s)", id, id);
        goto done;
    }
    size_t runs_seen = 0;
    for (size_t i = 0; i < rs.n; i++) {
        bool first = true;
        for (size_t k = 0; k < i; k++)
            first &= strcmp(rs.v[k].run_id, rs.v[i].run_id) != 0;
        runs_seen += first;
    }
    if (runs_seen > 1 && !run && !json)
        note("%s was recorded in %zu runs; replaying run %s (the most recent; --run selects, --list shows all)", id,
             runs_seen, pick->run_id);
    if (print_command) {
        /* a shell-quoted argv built from validated values only */
        printf("ft-replay --run %s%s%s '%s'\n", pick->run_id, mode_sel >= 0 ? " --mode " : "",
               mode_sel >= 0 ? ft_mode_name((ft_mode_t)mode_sel) : "", id);
        rc = 0;
        goto done;
    }
    if (ftf_scenario_id_classify(id, strlen(id)) == FTF_SCENARIO_ID_FUZZ) {
        rc = replay_fuzz(pick, id, fuzz_bin, json);
        goto done;
    }
    if (!pick->scenario) {
        note("%s: the record holds no scenario", id);
        rc = EXIT_DAMAGED;
        goto done;
    }
    /* the modes to judge: the selected one, else every mode recorded in that run */
    unsigned modes = 0;
    for (size_t i = 0; i < rs.n; i++)
        if (strcmp(rs.v[i].run_id, pick->run_id) == 0 && (mode_sel < 0 || (int)rs.v[i].mode == mode_sel))
            modes |= 1u << rs.v[i].mode;
    ftd_libft_t *lib = NULL;
    ftd_batch_t *batch = ftd_batch_new();
    ftd_allowlist_t allow;
    char why[256] = "";
    if (ftd_libft_new(&lib) != 0 || !batch) {
        note("out of memory");
        goto done;
    }
    if (ftd_allowlist_load(FTR_SOURCE_DIR "/differential/allowlist.json", &allow, why) != 0) {
        note("%s", why);
        ftd_libft_free(lib);
        ftd_batch_free(batch);
        goto done;
    }
    /* a batch (torch fixture) case names its family in the comparator */
    const bool batch_kind = strstr(pick->scenario, "\"kind\":\"batch\"") == pick->scenario + 1;
    ftd_check_result_t res;
    long reproduced_runs = 0;
    verdict_t verdict = V_REPRODUCED;
    char env_now[FTF_ENV_FINGERPRINT_SIZE];
    ftf_env_t env;
    ftf_env_storage_t envst;
    ftf_env_detect(&env, &envst, ft_version());
    ftf_env_fingerprint(&env, env_now);
    for (long k = 0; k < runs; k++) {
        if (ftd_check_recorded(lib, batch, &allow, pick->scenario, strlen(pick->scenario), 3u, &res, why) != 0) {
            note("%s: the recorded scenario cannot be rebuilt: %s", id, why);
            rc = EXIT_DAMAGED;
            ftd_libft_free(lib);
            ftd_batch_free(batch);
            goto done;
        }
        verdict_t v = V_REPRODUCED;
        for (int m = 0; m < 2; m++) {
            if (!(modes & (1u << m)) || !res.mode[m].ran)
                continue;
            const verdict_t mv = judge_mode(&rs, pick->run_id, (ft_mode_t)m, &res.mode[m], batch_kind);
            if (mv == V_DIVERGED || (mv == V_NOT_REPRODUCED && v == V_REPRODUCED))
                v = mv;
        }
        if (k == 0)
            verdict = v;
        reproduced_runs += v == verdict;
    }
    const bool same_build = pick->env_fingerprint && strcmp(pick->env_fingerprint, env_now) == 0;
    if (json) {
        json_t *diff = json_array();
        for (int m = 0; m < 2; m++) {
            if (!(modes & (1u << m)) || !res.mode[m].ran)
                continue;
            for (size_t i = 0; i < rs.n; i++) {
                const rec_t *r = &rs.v[i];
                if (strcmp(r->run_id, pick->run_id) == 0 && (int)r->mode == m && r->comparator)
                    json_array_append_new(diff, json_pack("{s:s,s:s,s:s?,s:s?,s:s}", "mode", ft_mode_name(r->mode),
                                                          "comparator", r->comparator, "recorded_expected", r->expected,
                                                          "recorded_observed", r->observed, "side", "recorded"));
            }
            for (size_t f = 0; f < res.mode[m].findings.count; f++) {
                const ftd_finding_t *x = &res.mode[m].findings.items[f];
                json_array_append_new(diff, json_pack("{s:s,s:s,s:s,s:s,s:s}", "mode", m ? "hardened" : "strict",
                                                      "comparator", ftd_comparator_name(x->comparator), "expected",
                                                      x->expected, "observed", x->observed, "side", "now"));
            }
        }
        json_t *out =
            json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:o}", "scenario_id", id, "verdict", verdict_names[verdict],
                      "run_id", pick->run_id, "log", pick->log, "same_build", same_build, "runs", (json_int_t)runs,
                      "runs_agreeing", (json_int_t)reproduced_runs, "diff", diff);
        char *text = out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text)
            puts(text);
        free(text);
        json_decref(out);
    } else {
        printf("scenario %s, run %s (%s)\n", id, pick->run_id, pick->log);
        if (!same_build)
            printf("note: recorded by another build (env %s, now %s)\n",
                   pick->env_fingerprint ? pick->env_fingerprint : "?", env_now);
        for (int m = 0; m < 2; m++) {
            if (!(modes & (1u << m)) || !res.mode[m].ran)
                continue;
            printf("%s: recorded %s", m ? "hardened" : "strict",
                   recorded_failed(&rs, pick->run_id, (ft_mode_t)m) ? "fail" : "pass");
            printf(", now %s\n", ftd_verdict_name(res.mode[m].verdict));
            for (size_t i = 0; i < rs.n; i++) {
                const rec_t *r = &rs.v[i];
                if (strcmp(r->run_id, pick->run_id) == 0 && (int)r->mode == m && r->comparator)
                    printf("  recorded %-18s expected %s\n  %27s observed %s\n", r->comparator,
                           r->expected ? r->expected : "-", "", r->observed ? r->observed : "-");
            }
            for (size_t f = 0; f < res.mode[m].findings.count; f++) {
                const ftd_finding_t *x = &res.mode[m].findings.items[f];
                printf("  now      %-18s expected %s\n  %27s observed %s\n", ftd_comparator_name(x->comparator),
                       x->expected, "", x->observed);
            }
            if (res.mode[m].verdict == FTD_VERDICT_HARNESS_ERROR)
                printf("  now: harness error: %s\n", res.mode[m].harness);
        }
        if (runs > 1)
            printf("%ld of %ld runs %s\n", reproduced_runs, runs, verdict_names[verdict]);
        printf("verdict: %s\n", verdict_names[verdict]);
    }
    rc = verdict == V_REPRODUCED ? EXIT_REPRODUCED : verdict == V_NOT_REPRODUCED ? EXIT_NOT_REPRODUCED : EXIT_DIVERGED;
    if (minimize || fixture_out) {
        ftd_scenario_t sc;
        ftd_error_t err;
        if (batch_kind || ftd_scenario_decode(pick->scenario, strlen(pick->scenario), &sc, &err) != 0) {
            note("--minimize and --write-fixture take generated-shape scenarios (this is a %s)",
                 batch_kind ? "torch fixture case" : "scenario that does not decode");
            rc = EXIT_LOOKUP;
        } else {
            if (minimize) {
                ftr_signature_t want;
                ftr_signature_of(&res, modes, &want);
                unsigned rounds = 0;
                char text[8192], newid[FTF_SCENARIO_ID_SIZE];
                if (!want.failed)
                    note("--minimize: the scenario does not fail now; nothing to keep while shrinking");
                else if (ftr_minimize(lib, &allow, &sc, modes, &want, &rounds) != 0)
                    note("--minimize: the failure does not hold steadily; not shrunk");
                else if (ftd_scenario_encode(&sc, text, sizeof text) && ftd_scenario_id(&sc, newid) == 0)
                    printf("minimized (%u passes, same failing comparators): %s\n%s\n", rounds, newid, text);
            }
            if (fixture_out) {
                if (ftr_write_fixture(fixture_out, &sc, id, why) != 0) {
                    note("--write-fixture: %s", why);
                    rc = EXIT_LOOKUP;
                } else if (!json) {
                    printf("fixture case appended to %s\n", fixture_out);
                }
            }
        }
    }
    ftd_libft_free(lib);
    ftd_batch_free(batch);
done:
    for (size_t i = 0; i < rs.n; i++)
        rec_free(&rs.v[i]);
    free(rs.v);
    return rc;
}
