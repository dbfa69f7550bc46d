/* Fixture files (ftdiff/fixture.h): a strict loader and the expectation
 * comparator. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_text.h"
#include "ftdiff/fixture.h"
#include "refmodel_internal.h"

typedef struct {
    ftd_error_t *err;
    int line;
    char prefix[48]; /* field path prefix, e.g. "expect.strict" */
    bool failed;
} ld_t;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
fail(ld_t *l, const char *field, const char *fmt, ...) {
    if (l->failed)
        return;
    l->failed = true;
    if (!l->err)
        return;
    memset(l->err, 0, sizeof *l->err);
    l->err->line = l->line;
    snprintf(l->err->field, sizeof l->err->field, "%s%s%s", l->prefix, l->prefix[0] && field[0] ? "." : "", field);
    char msg[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ft_utf8_repair(msg, strlen(msg), l->err->text, sizeof l->err->text);
}

static bool only_fields(ld_t *l, json_t *obj, const char *const *known, size_t n) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        size_t i = 0;
        while (i < n && strcmp(k, known[i]) != 0)
            i++;
        if (i == n) {
            fail(l, k, "unknown field");
            return false;
        }
    }
    return true;
}

static bool name_ok(const char *s, size_t max) {
    const size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.' || (c == '+' && i) || (c == '/' && i)))
            return false;
    }
    return true;
}

static bool get_name(ld_t *l, json_t *obj, const char *field, char *out, size_t max) {
    json_t *v = json_object_get(obj, field);
    if (!v) {
        fail(l, field, "missing field");
        return false;
    }
    if (!json_is_string(v) || !name_ok(json_string_value(v), max)) {
        fail(l, field, "must be a name of 1..%zu characters [A-Za-z0-9_.+/-]", max - 1);
        return false;
    }
    snprintf(out, max, "%s", json_string_value(v));
    return true;
}

static bool hex_of(const char *s, uint64_t *out) {
    if (strncmp(s, "0x", 2) != 0 || !s[2] || strlen(s) > 18)
        return false;
    char *end;
    errno = 0;
    *out = strtoull(s + 2, &end, 16);
    return !errno && !*end && s[2] != '-' && s[2] != '+';
}

static bool status_of(const char *code, ft_status *out) {
    for (int s = FT_STATUS_MIN; s <= FT_OK; s++)
        if (strcmp(ft_status_code((ft_status)s), code) == 0) {
            *out = (ft_status)s;
            return true;
        }
    return false;
}

static bool tag_of(const char *name, ft_table_tag_t *out) {
    for (int t = FT_TAG_MISSING; t <= FT_TAG_BACKEND_FALLBACK; t++)
        if (strcmp(ft_table_tag_name((ft_table_tag_t)t), name) == 0) {
            *out = (ft_table_tag_t)t;
            return true;
        }
    return false;
}

static bool key_or_none(ld_t *l, json_t *v, const char *field, ft_key_t *out) {
    /* the harness's own name table: a broken name in libft is drift, not an unreadable fixture */
    if (json_is_string(v) && ftdr_key_from_name(json_string_value(v), strlen(json_string_value(v)), out))
        return true;
    fail(l, field, "must be a dispatch key name as torch spells it");
    return false;
}

static void read_route(ld_t *l, json_t *v, ftd_dispatch_outcome_t *w) {
    static const char *const known[] = {"key", "source", "tag", "fallthrough", "kernel"};
    if (!json_is_array(v) || json_array_size(v) > FTD_MAX_HOPS) {
        fail(l, "route", "must be an array of at most %d hops", FTD_MAX_HOPS);
        return;
    }
    w->hop_count = json_array_size(v);
    for (size_t i = 0; i < w->hop_count && !l->failed; i++) {
        json_t *h = json_array_get(v, i);
        ftd_hop_t *hop = &w->hops[i];
        json_t *key = json_object_get(h, "key"), *src = json_object_get(h, "source"), *tag = json_object_get(h, "tag"),
               *ft = json_object_get(h, "fallthrough"), *k = json_object_get(h, "kernel");
        if (!json_is_object(h) || !key || !src || !tag || !ft || !k) {
            fail(l, "route", "hop %zu must be an object {key, source, tag, fallthrough, kernel}", i);
            return;
        }
        if (!only_fields(l, h, known, 5) || !key_or_none(l, key, "route.key", &hop->key))
            return;
        if (!json_is_string(tag) || !tag_of(json_string_value(tag), &hop->tag)) {
            fail(l, "route.tag", "hop %zu: not a table tag (\"kernel\", \"backend fallback\", ...)", i);
            return;
        }
        if (!json_is_string(src)) {
            fail(l, "route.source", "hop %zu: must be a string", i);
            return;
        }
        hop->source = FT_KEY_UNDEFINED;
        const char *sn = ft_table_source_name(hop->tag, FT_KEY_UNDEFINED);
        if (!(sn && strcmp(sn, json_string_value(src)) == 0) &&
            !ftdr_key_from_name(json_string_value(src), strlen(json_string_value(src)), &hop->source)) {
            fail(l, "route.source", "hop %zu: not a source (a key name, \"backend_fallback\", \"missing\", ...)", i);
            return;
        }
        if (!json_is_boolean(ft)) {
            fail(l, "route.fallthrough", "hop %zu: must be true or false", i);
            return;
        }
        hop->fallthrough = json_is_true(ft);
        if (!json_is_null(k) && (!json_is_string(k) || json_string_length(k) >= FTD_KERNEL_NAME_MAX)) {
            fail(l, "route.kernel", "hop %zu: must be a kernel name of at most %d bytes, or null", i,
                 FTD_KERNEL_NAME_MAX - 1);
            return;
        }
        snprintf(hop->kernel, sizeof hop->kernel, "%s", json_is_null(k) ? "" : json_string_value(k));
    }
}

static void read_expectation(ld_t *l, json_t *v, ftd_expectation_t *e) {
    static const char *const known[] = {
        "error",      "value_bits",    "tolerance",     "selected_key", "backend_key",           "kernel",
        "mode_split", "fallback_used", "requires_grad", "keyset_bits",  "effective_keyset_bits", "route"};
    if (!json_is_object(v)) {
        fail(l, "", "an expectation must be an object");
        return;
    }
    if (!only_fields(l, v, known, sizeof known / sizeof known[0]))
        return;
    e->present = true;
    ftd_dispatch_outcome_t *w = &e->want;
    json_t *x;
    if (!(x = json_object_get(v, "error")))
        fail(l, "error", "missing field (null when the call must succeed)");
    else if (json_is_null(x))
        w->status = FT_OK;
    else if (!json_is_string(x) || !status_of(json_string_value(x), &w->status) || w->status == FT_OK)
        fail(l, "error", "must be null or a status code (\"composite_fallback_rejected\", ...)");
    if ((x = json_object_get(v, "value_bits"))) {
        if (!json_is_string(x) || !hex_of(json_string_value(x), &w->value_bits))
            fail(l, "value_bits", "must be a hex string \"0x...\"");
        e->fields |= FTD_EXPECT_VALUE;
        w->has_value = true;
    }
    if ((x = json_object_get(v, "tolerance"))) {
        static const char *const tk[] = {"abs", "rel"};
        json_t *a = json_object_get(x, "abs"), *r = json_object_get(x, "rel");
        if (!json_is_object(x) || !a || !r || !json_is_number(a) || !json_is_number(r) || json_number_value(a) < 0 ||
            json_number_value(r) < 0 || !isfinite(json_number_value(a)) || !isfinite(json_number_value(r)))
            fail(l, "tolerance", "must be {\"abs\": x, \"rel\": y} with finite x, y >= 0");
        else if (only_fields(l, x, tk, 2)) {
            e->abs_tol = json_number_value(a);
            e->rel_tol = json_number_value(r);
        }
        e->fields |= FTD_EXPECT_TOLERANCE;
        if (!(e->fields & FTD_EXPECT_VALUE))
            fail(l, "tolerance", "needs value_bits");
    }
    if ((x = json_object_get(v, "selected_key")) && key_or_none(l, x, "selected_key", &w->selected_key))
        e->fields |= FTD_EXPECT_SELECTED;
    if ((x = json_object_get(v, "backend_key")) && key_or_none(l, x, "backend_key", &w->backend_key))
        e->fields |= FTD_EXPECT_BACKEND;
    if ((x = json_object_get(v, "kernel"))) {
        if (!json_is_null(x) && (!json_is_string(x) || json_string_length(x) >= FTD_KERNEL_NAME_MAX))
            fail(l, "kernel", "must be a kernel name of at most %d bytes, or null", FTD_KERNEL_NAME_MAX - 1);
        else
            snprintf(w->kernel, sizeof w->kernel, "%s", json_is_null(x) ? "" : json_string_value(x));
        e->fields |= FTD_EXPECT_KERNEL;
    }
    if ((x = json_object_get(v, "mode_split"))) {
        bool ok = false;
        for (int s = FT_SPLIT_NONE; s <= FT_SPLIT_HARDENED_FALLBACK && json_is_string(x); s++)
            if (strcmp(ft_mode_split_name((ft_mode_split_t)s), json_string_value(x)) == 0)
                w->mode_split = (ft_mode_split_t)s, ok = true;
        if (!ok)
            fail(l, "mode_split", "must be \"none\", \"strict_fail\" or \"hardened_fallback\"");
        e->fields |= FTD_EXPECT_MODE_SPLIT;
    }
    if ((x = json_object_get(v, "fallback_used"))) {
        if (!json_is_boolean(x))
            fail(l, "fallback_used", "must be true or false");
        w->fallback_used = json_is_true(x);
        e->fields |= FTD_EXPECT_FALLBACK;
    }
    if ((x = json_object_get(v, "requires_grad"))) {
        if (!json_is_boolean(x))
            fail(l, "requires_grad", "must be true or false");
        w->requires_grad = json_is_true(x);
        e->fields |= FTD_EXPECT_REQUIRES_GRAD;
    }
    if ((x = json_object_get(v, "keyset_bits"))) {
        if (!json_is_string(x) || !hex_of(json_string_value(x), &w->keyset))
            fail(l, "keyset_bits", "must be a hex string \"0x...\"");
        e->fields |= FTD_EXPECT_KEYSET;
    }
    if ((x = json_object_get(v, "effective_keyset_bits"))) {
        if (!json_is_string(x) || !hex_of(json_string_value(x), &w->effective_keyset))
            fail(l, "effective_keyset_bits", "must be a hex string \"0x...\"");
        e->fields |= FTD_EXPECT_EFFECTIVE_KEYSET;
    }
    if ((x = json_object_get(v, "route"))) {
        read_route(l, x, w);
        e->fields |= FTD_EXPECT_ROUTE;
    }
    if (!l->failed && w->status != FT_OK && (e->fields & FTD_EXPECT_VALUE))
        fail(l, "value_bits", "a call expected to fail has no value");
}

static void read_case(ld_t *l, json_t *obj, ftd_fixture_case_t *c) {
    static const char *const known[] = {"case", "contracts", "scenario", "expect"};
    static const char *const modes[] = {"strict", "hardened"};
    if (!json_is_object(obj)) {
        fail(l, "", "a case must be a JSON object");
        return;
    }
    if (!only_fields(l, obj, known, 4) || !get_name(l, obj, "case", c->name, sizeof c->name))
        return;
    json_t *contracts = json_object_get(obj, "contracts");
    if (contracts) {
        if (!json_is_array(contracts) || json_array_size(contracts) > FTD_MAX_CONTRACTS) {
            fail(l, "contracts", "must be an array of at most %d contract ids", FTD_MAX_CONTRACTS);
            return;
        }
        c->contract_count = json_array_size(contracts);
        for (size_t i = 0; i < c->contract_count; i++) {
            json_t *s = json_array_get(contracts, i);
            if (!json_is_string(s) || !name_ok(json_string_value(s), sizeof c->contracts[i])) {
                fail(l, "contracts", "contract ids are names of 1..63 characters");
                return;
            }
            snprintf(c->contracts[i], sizeof c->contracts[i], "%s", json_string_value(s));
        }
    }
    json_t *sc = json_object_get(obj, "scenario");
    if (!sc) {
        fail(l, "scenario", "missing field");
        return;
    }
    ftd_error_t se;
    if (ftd_scenario_from_json(sc, &c->scenario, &se) != 0) {
        fail(l, "", "%s", "");
        if (l->err) {
            snprintf(l->err->field, sizeof l->err->field, "scenario%s%.54s", se.field[0] ? "." : "", se.field);
            snprintf(l->err->text, sizeof l->err->text, "%s", se.text);
        }
        return;
    }
    if (c->scenario.kind != FTD_KIND_DISPATCH) {
        fail(l, "scenario.kind", "fixture cases hold dispatch scenarios");
        return;
    }
    json_t *ex = json_object_get(obj, "expect");
    if (!ex || !json_is_object(ex) || json_object_size(ex) == 0) {
        fail(l, "expect", "must be an object with an expectation per mode (\"strict\", \"hardened\")");
        return;
    }
    snprintf(l->prefix, sizeof l->prefix, "expect");
    if (!only_fields(l, ex, modes, 2))
        return;
    l->prefix[0] = '\0';
    for (int m = 0; m < 2 && !l->failed; m++) {
        json_t *v = json_object_get(ex, modes[m]);
        if (!v)
            continue;
        snprintf(l->prefix, sizeof l->prefix, "expect.%s", modes[m]);
        read_expectation(l, v, &c->expect[m]);
        l->prefix[0] = '\0';
    }
}

static void read_header(ld_t *l, json_t *obj, ftd_fixture_t *f) {
    static const char *const known[] = {"format", "fixture", "suite", "packet"};
    json_t *fmt = json_is_object(obj) ? json_object_get(obj, "format") : NULL;
    if (!fmt || !json_is_string(fmt) || strcmp(json_string_value(fmt), "ft-fixture-v1") != 0) {
        fail(l, "format", "line 1 must be the header {\"format\":\"ft-fixture-v1\", fixture, suite, packet}");
        return;
    }
    if (only_fields(l, obj, known, 4) && get_name(l, obj, "fixture", f->fixture_id, sizeof f->fixture_id) &&
        get_name(l, obj, "suite", f->suite, sizeof f->suite))
        get_name(l, obj, "packet", f->packet, sizeof f->packet);
}

/* One line of a fixture file (`len` bytes, no newline): the header, a case,
 * or nothing (blank). */
static void load_line(ld_t *l, ftd_fixture_t *out, const char *line, size_t len, bool *header, size_t *alloc) {
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return;
    json_error_t je;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!obj) {
        fail(l, "", "not JSON (column %d): %s", je.column, je.text);
        return;
    }
    if (!*header) {
        read_header(l, obj, out);
        *header = true;
    } else {
        if (out->count == *alloc) {
            const size_t n = *alloc ? *alloc * 2 : 16;
            ftd_fixture_case_t *p = realloc(out->cases, n * sizeof *p);
            if (!p) {
                fail(l, "", "out of memory");
                json_decref(obj);
                return;
            }
            out->cases = p;
            *alloc = n;
        }
        ftd_fixture_case_t *c = &out->cases[out->count];
        memset(c, 0, sizeof *c);
        c->line = l->line;
        read_case(l, obj, c);
        for (size_t k = 0; k < out->count && !l->failed; k++)
            if (strcmp(out->cases[k].name, c->name) == 0)
                fail(l, "case", "duplicate case name \"%s\" (first on line %d)", c->name, out->cases[k].line);
        if (!l->failed)
            out->count++;
    }
    json_decref(obj);
}

static int load_end(ld_t *l, ftd_fixture_t *out, bool header) {
    if (!l->failed && !header)
        fail(l, "", "empty fixture file (no header line)");
    if (!l->failed && out->count == 0)
        fail(l, "", "fixture file holds no cases");
    if (l->failed) {
        ftd_fixture_dispose(out);
        return -1;
    }
    return 0;
}

int ftd_fixture_load(const char *path, ftd_fixture_t *out, ftd_error_t *err) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    ld_t l = {err, 0, "", false};
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fail(&l, "", "cannot open: %s", strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    ssize_t n;
    bool header = false;
    while (!l.failed && (n = getline(&line, &cap, fp)) >= 0) {
        l.line++;
        load_line(&l, out, line, (size_t)n, &header, &alloc);
    }
    if (!l.failed && ferror(fp))
        fail(&l, "", "read error: %s", strerror(errno));
    free(line);
    fclose(fp);
    return load_end(&l, out, header);
}

int ftd_fixture_load_buffer(const char *data, size_t len, const char *name, ftd_fixture_t *out, ftd_error_t *err) {
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", name ? name : "<memory>");
    ld_t l = {err, 0, "", false};
    size_t alloc = 0, pos = 0;
    bool header = false;
    while (!l.failed && pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        const size_t end = nl ? (size_t)(nl - data) + 1 : len;
        l.line++;
        load_line(&l, out, data + pos, end - pos, &header, &alloc);
        pos = end;
    }
    return load_end(&l, out, header);
}

void ftd_fixture_dispose(ftd_fixture_t *f) {
    if (!f)
        return;
    free(f->cases);
    f->cases = NULL;
    f->count = 0;
}

static void mismatch(ftd_findings_t *f, const char *reason, const char *a, const char *b) {
    ftd_findings_add(f, FTD_CMP_FIXTURE, reason, a, b);
}

static void quoted(char *buf, size_t cap, const char *s) {
    if (ft_json_string(s, strlen(s), buf, cap) >= cap)
        snprintf(buf, cap, "\"(too long)\"");
}

void ftd_compare_expectation(const ftd_expectation_t *e, const ftd_dispatch_outcome_t *o, ftd_findings_t *f) {
    const ftd_dispatch_outcome_t *w = &e->want;
    char a[FTD_FINDING_TEXT_MAX], b[FTD_FINDING_TEXT_MAX];
    f->runs[FTD_CMP_FIXTURE]++;
    if (w->status != o->status) {
        quoted(a, sizeof a, ft_status_code(w->status));
        quoted(b, sizeof b, ft_status_code(o->status));
        mismatch(f, "error_code", a, b);
    }
    if (e->fields & FTD_EXPECT_VALUE) {
        bool same = o->has_value && o->value_bits == w->value_bits;
        if (!same && o->has_value && (e->fields & FTD_EXPECT_TOLERANCE)) {
            ftd_operand_t x = {w->value_bits, o->dtype, FT_BACKEND_CPU, false},
                          y = {o->value_bits, o->dtype, FT_BACKEND_CPU, false};
            const double want = ftd_operand_value(&x), got = ftd_operand_value(&y);
            same = isnan(want) ? isnan(got) : fabs(got - want) <= e->abs_tol + e->rel_tol * fabs(want);
        }
        if (!same) {
            snprintf(a, sizeof a, "\"0x%" PRIx64 "\"", w->value_bits);
            if (o->has_value)
                snprintf(b, sizeof b, "\"0x%" PRIx64 "\"", o->value_bits);
            else
                snprintf(b, sizeof b, "null");
            mismatch(f, "value_bits", a, b);
        }
    }
#define KEY_FIELD(flag, field, reason)                                                                                 \
    if ((e->fields & (flag)) && w->field != o->field) {                                                                \
        quoted(a, sizeof a, ft_key_name(w->field));                                                                    \
        quoted(b, sizeof b, ft_key_name(o->field) ? ft_key_name(o->field) : "?");                                      \
        mismatch(f, reason, a, b);                                                                                     \
    }
    KEY_FIELD(FTD_EXPECT_SELECTED, selected_key, "selected_key")
    KEY_FIELD(FTD_EXPECT_BACKEND, backend_key, "backend_key")
#undef KEY_FIELD
    if ((e->fields & FTD_EXPECT_KERNEL) && strcmp(w->kernel, o->kernel) != 0) {
        quoted(a, sizeof a, w->kernel);
        quoted(b, sizeof b, o->kernel);
        mismatch(f, "kernel", a, b);
    }
    if ((e->fields & FTD_EXPECT_MODE_SPLIT) && w->mode_split != o->mode_split) {
        quoted(a, sizeof a, ft_mode_split_name(w->mode_split));
        quoted(b, sizeof b, ft_mode_split_name(o->mode_split));
        mismatch(f, "mode_split", a, b);
    }
    if ((e->fields & FTD_EXPECT_FALLBACK) && w->fallback_used != o->fallback_used)
        mismatch(f, "fallback_used", w->fallback_used ? "true" : "false", o->fallback_used ? "true" : "false");
    if ((e->fields & FTD_EXPECT_REQUIRES_GRAD) && (!o->has_value || w->requires_grad != o->requires_grad))
        mismatch(f, "requires_grad", w->requires_grad ? "true" : "false",
                 !o->has_value      ? "null"
                 : o->requires_grad ? "true"
                                    : "false");
    if ((e->fields & FTD_EXPECT_KEYSET) && w->keyset != o->keyset) {
        snprintf(a, sizeof a, "\"0x%" PRIx64 "\"", w->keyset);
        snprintf(b, sizeof b, "\"0x%" PRIx64 "\"", o->keyset);
        mismatch(f, "keyset_bits", a, b);
    }
    if ((e->fields & FTD_EXPECT_EFFECTIVE_KEYSET) && w->effective_keyset != o->effective_keyset) {
        snprintf(a, sizeof a, "\"0x%" PRIx64 "\"", w->effective_keyset);
        snprintf(b, sizeof b, "\"0x%" PRIx64 "\"", o->effective_keyset);
        mismatch(f, "effective_keyset_bits", a, b);
    }
    if (e->fields & FTD_EXPECT_ROUTE) {
        bool same = w->hop_count == o->hop_count;
        for (size_t i = 0; same && i < w->hop_count; i++) {
            const ftd_hop_t *x = &w->hops[i], *y = &o->hops[i];
            same = x->key == y->key && x->source == y->source && x->tag == y->tag && x->fallthrough == y->fallthrough &&
                   strcmp(x->kernel, y->kernel) == 0;
        }
        if (!same) {
            snprintf(a, sizeof a, "{\"hops\":%zu}", w->hop_count);
            snprintf(b, sizeof b, "{\"hops\":%zu}", o->hop_count);
            mismatch(f, "route", a, b);
        }
    }
}
