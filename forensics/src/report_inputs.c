/* `ft-forensics report`'s inputs (ftf/report.h, ftf_report_build): command-line
 * arguments sorted into logs, a failure index and JSON side files; the side
 * files found beside them; the index built (or read) and the logs tallied;
 * then the page. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ftf/log.h"
#include "ftf/report.h"
#include "ftf/triage.h"

/* Largest JSON file read (a failure index of many buckets is tens of MB). */
#define JSON_FILE_MAX ((size_t)1 << 30)

typedef struct {
    char **v;
    size_t n, cap;
} strv_t;

static ftf_status strv_addn(strv_t *s, const char *p, size_t len) {
    if (s->n == s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 8;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return FTF_ENOMEM;
        s->v = v, s->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return FTF_ENOMEM;
    memcpy(c, p, len);
    c[len] = '\0';
    s->v[s->n++] = c;
    return FTF_OK;
}

static ftf_status strv_add(strv_t *s, const char *p) {
    return strv_addn(s, p, strlen(p));
}

static void strv_free(strv_t *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_sort_unique(strv_t *s) {
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++) {
        if (strcmp(s->v[k - 1], s->v[i]) == 0)
            free(s->v[i]);
        else
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static ftf_status
add_note(ftf_report_result_t *res, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char **v = realloc(res->notes, (res->note_count + 1) * sizeof *v);
    if (!v)
        return FTF_ENOMEM;
    res->notes = v;
    if (!(v[res->note_count] = malloc(strlen(tmp) + 1)))
        return FTF_ENOMEM;
    memcpy(v[res->note_count++], tmp, strlen(tmp) + 1);
    return FTF_OK;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
set_error(ftf_report_result_t *res, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
}

void ftf_report_result_dispose(ftf_report_result_t *res) {
    if (!res)
        return;
    for (size_t i = 0; i < res->note_count; i++)
        free(res->notes[i]);
    free(res->notes);
    res->notes = NULL;
    res->note_count = 0;
}

/* The whole file in *data (NUL-terminated). FTF_EIO (errno set), FTF_ELIMIT,
 * FTF_ENOMEM. */
static ftf_status slurp(const char *path, char **data, size_t *len) {
    *data = NULL, *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return FTF_EIO;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    ftf_status st = b ? FTF_OK : FTF_ENOMEM;
    while (st == FTF_OK) {
        if (n == cap) {
            if (cap >= JSON_FILE_MAX) {
                st = FTF_ELIMIT;
                break;
            }
            char *nb = realloc(b, 2 * cap + 1);
            if (!nb) {
                st = FTF_ENOMEM;
                break;
            }
            b = nb, cap *= 2;
        }
        const size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                st = FTF_EIO;
            break;
        }
    }
    const int e = errno;
    fclose(f);
    if (st != FTF_OK) {
        free(b);
        errno = e;
        return st;
    }
    b[n] = '\0';
    *data = b, *len = n;
    return FTF_OK;
}

static const char *slurp_error(ftf_status st) {
    return st == FTF_EIO ? strerror(errno) : ftf_strerror(st);
}

static bool ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool is_regular(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The directory part of `path` ("." when none), without trailing slashes. */
static ftf_status add_dirname(strv_t *dirs, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strv_add(dirs, ".");
    size_t n = (size_t)(slash - path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    return n == 0 ? strv_add(dirs, "/") : strv_addn(dirs, path, n);
}

/* dir + "/" + name, or name alone for "." */
static ftf_status join(strv_t *out, const char *dir, const char *name) {
    size_t dn = strlen(dir);
    while (dn > 1 && dir[dn - 1] == '/')
        dn--;
    if (dn == 1 && dir[0] == '.')
        return strv_add(out, name);
    char *p = malloc(dn + strlen(name) + 2);
    if (!p)
        return FTF_ENOMEM;
    memcpy(p, dir, dn);
    size_t k = dn;
    if (dn == 0 || dir[dn - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, strlen(name) + 1);
    const ftf_status st = strv_add(out, p);
    free(p);
    return st;
}

/* The index writes a byte of a path that is not UTF-8 as the character
 * U+0080..U+00FF (ft/json_text.h); when `s` has such characters, adds the
 * path with them turned back into bytes to `out` (nothing otherwise). */
static ftf_status raw_bytes(strv_t *out, const char *s) {
    const size_t n = strlen(s);
    char *b = malloc(n + 1);
    if (!b)
        return FTF_ENOMEM;
    size_t k = 0;
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if ((c == 0xc2 || c == 0xc3) && i + 1 < n && ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
            b[k++] = (char)(((c & 0x03) << 6) | ((unsigned char)s[i + 1] & 0x3f));
            i++;
            changed = true;
        } else {
            b[k++] = (char)c;
        }
    }
    b[k] = '\0';
    const ftf_status st = changed ? strv_add(out, b) : FTF_OK;
    free(b);
    return st;
}

typedef enum { J_INDEX, J_DIFF, J_FUZZ, J_COV, J_OTHER } jkind_t;

/* What a JSON file is, by its content. */
static jkind_t classify(const json_t *j) {
    const char *schema = json_string_value(json_object_get(j, "schema"));
    if (schema && strcmp(schema, FTF_FAILURE_INDEX_SCHEMA) == 0)
        return J_INDEX;
    if (schema && strcmp(schema, "ft-differential-report-v1") == 0)
        return J_DIFF;
    const json_t *t = json_object_get(j, "targets");
    if (!json_is_array(t))
        return J_OTHER;
    if (schema && strcmp(schema, "ft-coverage-v1") == 0)
        return J_COV; /* ci/coverage.sh's summary.json */
    for (size_t i = 0; i < json_array_size(t); i++) {
        const json_t *o = json_array_get(t, i);
        if (json_object_get(o, "lines_pct") || json_object_get(o, "branches_pct") ||
            json_is_object(json_object_get(o, "lines")))
            return J_COV;
    }
    return J_FUZZ;
}

static const char *kind_name(jkind_t k) {
    switch (k) {
    case J_INDEX:
        return "a failure index";
    case J_DIFF:
        return "a differential report";
    case J_FUZZ:
        return "fuzz statistics";
    case J_COV:
        return "a coverage summary";
    case J_OTHER:
        break;
    }
    return "none of the report's inputs";
}

/* Side files read and checked: only those of the wanted kind are kept. */
typedef struct {
    ftf_report_file_t *v;
    size_t n;
} files_t;

static void files_free(files_t *f) {
    for (size_t i = 0; i < f->n; i++)
        free((char *)f->v[i].data);
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* Reads the files `paths` (sorted), keeping those that are JSON of kind
 * `want`; notes the others. `given`: paths the user named (a missing or wrong
 * one is unreadable), the rest were found beside the inputs. */
static ftf_status read_side(const strv_t *paths, const strv_t *given, jkind_t want, files_t *out,
                            ftf_report_result_t *res) {
    out->v = calloc(paths->n + 1, sizeof *out->v);
    if (!out->v)
        return FTF_ENOMEM;
    ftf_status st = FTF_OK;
    for (size_t i = 0; st == FTF_OK && i < paths->n; i++) {
        const char *path = paths->v[i];
        bool named = false;
        for (size_t k = 0; k < given->n && !named; k++)
            named = strcmp(given->v[k], path) == 0;
        char *data;
        size_t len;
        const ftf_status rs = slurp(path, &data, &len);
        if (rs != FTF_OK) {
            if (rs == FTF_ENOMEM)
                return rs;
            st = add_note(res, "%s: cannot read: %s", path, slurp_error(rs));
            res->unreadable += named;
            continue;
        }
        json_error_t err;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
        const jkind_t k = j && json_is_object(j) ? classify(j) : J_OTHER;
        json_decref(j);
        if (k != want) {
            if (!j)
                st = add_note(res, "%s: not JSON: %s (line %d)", path, err.text, err.line);
            else
                st = add_note(res, "%s: not %s: it is %s", path, kind_name(want), kind_name(k));
            res->unreadable += named;
            free(data);
            continue;
        }
        out->v[out->n].path = path;
        out->v[out->n].data = data;
        out->v[out->n++].len = len;
    }
    return st;
}

ftf_status ftf_report_build(const char *const *args, size_t count, const ftf_report_options_t *opts, ftf_buf_t *out,
                            ftf_report_result_t *res) {
    if (!res)
        return FTF_EINVALID_ARGUMENT;
    memset(res, 0, sizeof *res);
    if (!out || (!args && count)) {
        set_error(res, "invalid argument");
        return FTF_EINVALID_ARGUMENT;
    }
    static const ftf_report_options_t defaults = FTF_REPORT_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (count == 0) {
        set_error(res, "no input given");
        return FTF_EINVALID_ARGUMENT;
    }
    strv_t logs = {0}, dirs = {0}, diffs = {0}, fuzz = {0}, cov = {0}, given = {0}, index_logs = {0};
    char *index_path = NULL, *index_data = NULL;
    size_t index_len = 0;
    files_t fd = {0}, ff = {0}, fc = {0};
    ftf_failure_index_t *idx = NULL;
    ftf_report_tally_t *tally = NULL;
    ftf_status st = FTF_OK;

    for (size_t i = 0; st == FTF_OK && i < count; i++) {
        const char *a = args[i];
        if (!a || strcmp(a, "-") == 0) {
            set_error(res, "standard input cannot be read: the report reads its logs twice (give files)");
            st = FTF_EINVALID_ARGUMENT;
            break;
        }
        struct stat sb;
        if (stat(a, &sb) != 0) {
            st = add_note(res, "%s: %s", a, strerror(errno));
            res->unreadable++;
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            char **list = NULL;
            size_t n = 0;
            errno = 0;
            const ftf_status es = ftf_triage_expand_paths(&a, 1, &list, &n);
            if (es == FTF_ENOMEM) {
                st = es;
                break;
            }
            if (es != FTF_OK) {
                st = add_note(res, "%s: cannot list the directory: %s", a, errno ? strerror(errno) : ftf_strerror(es));
                res->unreadable++;
                continue;
            }
            if (n == 0) {
                st = add_note(res, "%s: no logs (*.gz) in this directory", a);
                res->unreadable++;
            }
            for (size_t k = 0; st == FTF_OK && k < n; k++)
                st = strv_add(&logs, list[k]);
            ftf_triage_paths_free(list, n);
            if (st == FTF_OK)
                st = strv_add(&dirs, a);
            continue;
        }
        if (ends_with(a, ".json")) {
            char *data;
            size_t len;
            const ftf_status rs = slurp(a, &data, &len);
            if (rs != FTF_OK) {
                if (rs == FTF_ENOMEM) {
                    st = rs;
                    break;
                }
                st = add_note(res, "%s: cannot read: %s", a, slurp_error(rs));
                res->unreadable++;
                continue;
            }
            json_error_t err;
            json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
            const jkind_t k = j && json_is_object(j) ? classify(j) : J_OTHER;
            json_decref(j);
            if (k == J_INDEX) {
                if (index_path) {
                    free(data);
                    set_error(res, "two failure indexes given (%s, %s): give their logs instead", index_path, a);
                    st = FTF_EINVALID_ARGUMENT;
                    break;
                }
                index_data = data, index_len = len;
                if (!(index_path = malloc(strlen(a) + 1))) {
                    st = FTF_ENOMEM;
                    break;
                }
                memcpy(index_path, a, strlen(a) + 1);
            } else {
                free(data);
                if (k == J_OTHER) {
                    st = !j ? add_note(res, "%s: not JSON: %s (line %d)", a, err.text, err.line)
                            : add_note(res,
                                       "%s: not a failure index, differential report, fuzz statistics or "
                                       "coverage summary",
                                       a);
                    res->unreadable++;
                    continue;
                }
                strv_t *to = k == J_DIFF ? &diffs : k == J_FUZZ ? &fuzz : &cov;
                st = strv_add(to, a);
                if (st == FTF_OK)
                    st = strv_add(&given, a);
            }
            if (st == FTF_OK)
                st = add_dirname(&dirs, a);
            continue;
        }
        st = strv_add(&logs, a);
    }
    if (st == FTF_OK && index_path && logs.n) {
        set_error(res,
                  "a failure index (%s) cannot be mixed with logs: give the logs alone (the index is rebuilt "
                  "from them) or the index alone",
                  index_path);
        st = FTF_EINVALID_ARGUMENT;
    }
    if (st == FTF_OK && !index_path && !logs.n) {
        set_error(res, "no log could be read");
        st = FTF_ENOT_FOUND;
    }
    /* the logs a failure index names: as written, or beside the index */
    if (st == FTF_OK && index_path) {
        json_t *doc = json_loadb(index_data, index_len, 0, NULL);
        const json_t *inputs = json_object_get(doc, "inputs");
        size_t missing = 0;
        const char *first_missing = NULL;
        strv_t here = {0};
        if (st == FTF_OK)
            st = add_dirname(&here, index_path);
        for (size_t i = 0; st == FTF_OK && i < json_array_size(inputs); i++) {
            const char *file = json_string_value(json_object_get(json_array_get(inputs, i), "file"));
            if (!file)
                continue;
            if (is_regular(file)) {
                st = strv_add(&index_logs, file);
                continue;
            }
            strv_t alt = {0};
            if ((st = raw_bytes(&alt, file)) == FTF_OK && alt.n && is_regular(alt.v[0]))
                st = strv_add(&index_logs, alt.v[0]);
            else if (st == FTF_OK && file[0] != '/' && (st = join(&alt, here.v[0], file)) == FTF_OK &&
                     is_regular(alt.v[alt.n - 1]))
                st = strv_add(&index_logs, alt.v[alt.n - 1]);
            else if (missing++ == 0)
                first_missing = file;
            strv_free(&alt);
        }
        strv_free(&here);
        if (st == FTF_OK && missing)
            st = add_note(res,
                          "%s names %zu log(s) not found here (first: %s): runs and per-mode counts are "
                          "not read from the logs",
                          index_path, missing, first_missing);
        json_decref(doc);
        for (size_t i = 0; st == FTF_OK && i < index_logs.n; i++)
            st = add_dirname(&dirs, index_logs.v[i]);
        if (missing) {
            /* a partial tally would miscount: per-run counts only from all the logs */
            for (size_t i = 0; i < index_logs.n; i++)
                free(index_logs.v[i]);
            index_logs.n = 0;
        }
    }
    strv_sort_unique(&logs);
    for (size_t i = 0; st == FTF_OK && i < logs.n; i++)
        st = add_dirname(&dirs, logs.v[i]);
    /* side files: named ones, and those beside the inputs */
    if (st == FTF_OK && opts->fuzz_stats && (st = strv_add(&fuzz, opts->fuzz_stats)) == FTF_OK)
        st = strv_add(&given, opts->fuzz_stats);
    if (st == FTF_OK && opts->coverage && (st = strv_add(&cov, opts->coverage)) == FTF_OK)
        st = strv_add(&given, opts->coverage);
    strv_sort_unique(&dirs);
    for (size_t i = 0; st == FTF_OK && i < dirs.n; i++) {
        static const char *const names[3] = {FTF_REPORT_DIFF_REPORT_NAME, FTF_REPORT_FUZZ_STATS_NAME,
                                             FTF_REPORT_COVERAGE_NAME};
        strv_t *to[3] = {&diffs, &fuzz, &cov};
        for (int k = 0; st == FTF_OK && k < 3; k++) {
            strv_t c = {0};
            if ((st = join(&c, dirs.v[i], names[k])) == FTF_OK && is_regular(c.v[0]))
                st = strv_add(to[k], c.v[0]);
            strv_free(&c);
        }
    }
    strv_sort_unique(&diffs);
    strv_sort_unique(&fuzz);
    strv_sort_unique(&cov);
    if (st == FTF_OK)
        st = read_side(&diffs, &given, J_DIFF, &fd, res);
    if (st == FTF_OK)
        st = read_side(&fuzz, &given, J_FUZZ, &ff, res);
    if (st == FTF_OK)
        st = read_side(&cov, &given, J_COV, &fc, res);
    /* the index and the tally */
    if (st == FTF_OK && logs.n) {
        st = ftf_failure_index_build((const char *const *)logs.v, logs.n, NULL, &idx);
        if (st != FTF_OK)
            set_error(res, "building the failure index: %s", st == FTF_EIO ? strerror(errno) : ftf_strerror(st));
    }
    const strv_t *tally_logs = index_path ? &index_logs : &logs;
    if (st == FTF_OK && tally_logs->n) {
        st = ftf_report_tally_logs((const char *const *)tally_logs->v, tally_logs->n, &tally);
        if (st != FTF_OK)
            set_error(res, "reading the logs: %s", ftf_strerror(st));
        res->tallied = st == FTF_OK;
    }
    /* the page */
    if (st == FTF_OK) {
        ftf_report_inputs_t in = FTF_REPORT_INPUTS_INIT;
        in.title = opts->title;
        in.diff_reports = fd.v, in.diff_report_count = fd.n;
        in.fuzz_stats = ff.v, in.fuzz_stats_count = ff.n;
        in.coverage = fc.v, in.coverage_count = fc.n;
        in.tally = tally;
        in.notes = (const char *const *)res->notes, in.note_count = res->note_count;
        res->diff_reports = fd.n, res->fuzz_stats = ff.n, res->coverage = fc.n;
        if (idx) {
            ftf_index_totals_t t;
            ftf_failure_index_totals(idx, &t);
            res->logs = t.files, res->damaged_logs = t.damaged_files, res->failures = t.failures;
            res->buckets = t.buckets;
            st = ftf_report_render(idx, &in, out);
            if (st != FTF_OK)
                set_error(res, "rendering: %s", ftf_strerror(st));
        } else {
            res->from_index_json = true;
            char why[160];
            st = ftf_report_render_index_json(index_data, index_len, &in, out, why);
            if (st != FTF_OK)
                set_error(res, "%s: %s", index_path, st == FTF_ENOMEM ? ftf_strerror(st) : why);
            json_t *doc = json_loadb(index_data, index_len, 0, NULL);
            const json_t *t = json_object_get(doc, "totals");
            res->logs = (uint64_t)json_integer_value(json_object_get(t, "files"));
            res->damaged_logs = (uint64_t)json_integer_value(json_object_get(t, "damaged_files"));
            res->failures = (uint64_t)json_integer_value(json_object_get(t, "failures"));
            res->buckets = (uint64_t)json_integer_value(json_object_get(t, "buckets"));
            json_decref(doc);
        }
    }
    if (st == FTF_ENOMEM && !res->error[0])
        set_error(res, "%s", ftf_strerror(st));
    ftf_report_tally_free(tally);
    ftf_failure_index_free(idx);
    files_free(&fd), files_free(&ff), files_free(&fc);
    strv_free(&logs), strv_free(&dirs), strv_free(&diffs), strv_free(&fuzz), strv_free(&cov), strv_free(&given);
    strv_free(&index_logs);
    free(index_path), free(index_data);
    return st;
}
