/* The reference model against the torch 1.13 fixtures: every line of every
 * fixture family it can express is put to the model and compared, and each
 * family prints how many it compared. A fixture file that cannot be read, a
 * line that cannot be parsed, or a family that compared nothing fails the test:
 * nothing is skipped silently.
 *
 * Families and what answers them:
 *   keys                ftdr_key_name / ftdr_key_from_name (the model's own names)
 *   keysets, binops, has, full_after
 *                       the model's keyset text parser, algebra, priorities and
 *                       repr, and ftd_ref_keyset for the fields it reports
 *   tables, tables_random
 *                       ftd_ref_table (an empty registration set, which the
 *                       registry refuses, through ftdr_table_entry)
 *   kernel_values_f64/f32, kernel_strict, dispatch_key_cases
 *                       ftd_ref_dispatch (+ ftd_ref_kernel for the values)
 *   grads, grads_strict ftd_ref_program_forward (values, errors) and
 *                       ftd_dual_gradients, judged by ftdr_grad_compare (a
 *                       tolerance plus a cancellation bound; order-dependent
 *                       results are counted, not failed)
 *   parse_rejections    the model's parser (libft's fail-closed policy, not torch)
 * Not expressible by the model and so not compared (counted and printed):
 * decision messages (free text) and the backward execution order of grads
 * (the model has no tape). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_test.h"
#include "ftdiff/refmodel.h"
#include "refmodel_internal.h"

#ifndef FTD_ORACLE_DIR
#error "FTD_ORACLE_DIR must name differential/oracle/fixtures"
#endif
#ifndef FTD_PACKET_CASES
#error "FTD_PACKET_CASES must name differential/fixtures/dispatch_key_cases.jsonl"
#endif

/* --- tallies ---------------------------------------------------------------------- */

typedef struct {
    const char *family;
    const char *file; /* current file (for messages) */
    size_t line;
    size_t files, compared, mismatched, failures_to_read, not_compared;
} tally_t;

enum { SHOWN_MISMATCHES = 10 };

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
mismatch(tally_t *t, const char *fmt, ...) {
    if (t->mismatched++ >= SHOWN_MISMATCHES)
        return;
    va_list ap;
    fprintf(stderr, "  %s line %zu: ", t->file, t->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

typedef void (*case_fn)(tally_t *t, json_t *line, void *ctx);

/* Runs fn on every line of a fixture file; a file that cannot be opened or a
 * line that is not a JSON object counts against the family. */
static void each_case(tally_t *t, const char *path, case_fn fn, void *ctx) {
    FILE *f = fopen(path, "r");
    t->file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    t->files++;
    if (!f) {
        fprintf(stderr, "  cannot read %s\n", path);
        t->failures_to_read++;
        return;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    t->line = 0;
    while ((n = getline(&buf, &cap, f)) >= 0) {
        t->line++;
        if (n == 0 || buf[0] == '\n')
            continue;
        json_error_t err;
        json_t *j = json_loadb(buf, (size_t)n, 0, &err);
        if (!json_is_object(j)) {
            fprintf(stderr, "  %s line %zu: not a JSON object (%s)\n", t->file, t->line, err.text);
            t->failures_to_read++;
        } else {
            fn(t, j, ctx);
        }
        json_decref(j);
    }
    if (ferror(f)) {
        fprintf(stderr, "  error reading %s\n", path);
        t->failures_to_read++;
    }
    free(buf);
    fclose(f);
}

static bool report(const tally_t *t) {
    printf("refmodel %s: %zu compared, %zu mismatched, %zu unreadable, %zu fields not expressible (%zu files)\n",
           t->family, t->compared, t->mismatched, t->failures_to_read, t->not_compared, t->files);
    fflush(stdout);
    return t->compared > 0 && t->mismatched == 0 && t->failures_to_read == 0;
}

#define FIXTURE(name) FTD_ORACLE_DIR "/" name ".jsonl"

/* --- names the fixtures use ------------------------------------------------------- */

static const struct {
    ft_status status;
    const char *code;
} status_codes[] = {
    {FT_OK, "ok"},
    {FT_EUNKNOWN_BITS, "unknown_bits"},
    {FT_EALIAS_IN_KEYSET, "alias_in_keyset"},
    {FT_EUNKNOWN_KEY_NAME, "unknown_key_name"},
    {FT_EPARSE, "parse_error"},
    {FT_EEMPTY_SET, "empty_set"},
    {FT_ENO_TYPE_KEY, "no_type_key"},
    {FT_ENO_BACKEND_KEY, "no_backend_key"},
    {FT_EINCOMPATIBLE_SET, "incompatible_set"},
    {FT_ENO_KERNEL, "no_kernel"},
    {FT_EUNSUPPORTED_FALLBACK, "unsupported_fallback"},
    {FT_EAMBIGUOUS_AUTOGRAD_OTHER, "ambiguous_autograd_other"},
    {FT_ECOMPOSITE_REJECTED, "composite_fallback_rejected"},
    {FT_EDTYPE_MISMATCH, "dtype_mismatch"},
    {FT_EDEVICE_MISMATCH, "device_mismatch"},
    {FT_EUNKNOWN_KEY_ID, "unknown_key_id"},
    {FT_EUNKNOWN_OP, "unknown_op"},
    {FT_EINVALID_OP_NAME, "invalid_op_name"},
    {FT_EINVALID_REGISTRATION, "invalid_registration"},
    {FT_EINVALID_ARGUMENT, "invalid_argument"},
    {FT_EDISPATCH_DEPTH, "dispatch_depth_exceeded"},
    {FT_EROOT_NO_GRAD, "root_does_not_require_grad"},
    {FT_EUNKNOWN_VAR, "unknown_var"},
};

static const char *code_of(ft_status st) {
    for (size_t i = 0; i < sizeof status_codes / sizeof status_codes[0]; i++)
        if (status_codes[i].status == st)
            return status_codes[i].code;
    return "(unnamed status)";
}

static const char *const tag_names[] = {
    [FT_TAG_MISSING] = "missing",
    [FT_TAG_KERNEL] = "kernel",
    [FT_TAG_DEFAULT_BACKEND] = "default backend kernel",
    [FT_TAG_NESTED] = "nested kernel",
    [FT_TAG_MATH] = "math kernel",
    [FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER] = "ambiguous autogradother",
    [FT_TAG_AUTOGRAD] = "autograd kernel",
    [FT_TAG_BACKEND_FALLBACK] = "backend fallback",
};

static const char *source_name(ft_table_tag_t tag, ft_key_t source, char buf[FTDR_NAME_MAX]) {
    switch (tag) {
    case FT_TAG_MISSING:
        return "missing";
    case FT_TAG_BACKEND_FALLBACK:
        return "backend_fallback";
    case FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER:
        return "ambiguous";
    default:
        return ftdr_key_name(source, buf);
    }
}

static const char *split_name(ft_mode_split_t s) {
    return s == FT_SPLIT_STRICT_FAIL ? "strict_fail" : s == FT_SPLIT_HARDENED_FALLBACK ? "hardened_fallback" : "none";
}

static const char *name_of(ft_key_t k, char buf[FTDR_NAME_MAX]) {
    const char *n = ftdr_key_name(k, buf);
    return n ? n : "(invalid key)";
}

static void hex_of(uint64_t w, char buf[24]) {
    snprintf(buf, 24, "0x%llx", (unsigned long long)w);
}

/* torch's value text: %.17g with nan, inf, -inf and -0 spelled out. */
static void value_text(double v, char buf[40]) {
    if (isnan(v))
        snprintf(buf, 40, "nan");
    else if (isinf(v))
        snprintf(buf, 40, "%s", v < 0 ? "-inf" : "inf");
    else if (v == 0 && signbit(v))
        snprintf(buf, 40, "-0");
    else
        snprintf(buf, 40, "%.17g", v);
}

static const char *str_field(const json_t *o, const char *k) {
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool key_field(const json_t *o, const char *k, ft_key_t *out) {
    const char *s = str_field(o, k);
    return s && ftdr_key_from_name(s, strlen(s), out);
}

/* Keyset text of a query field; the parse status is the answer for bad text. */
static ft_status keyset_field(const json_t *o, const char *k, bool keep_unknown, uint64_t *out) {
    const char *s = str_field(o, k);
    if (!s)
        return FT_EINVALID_ARGUMENT;
    return ftdr_parse(s, strlen(s), keep_unknown, out);
}

/* --- keys -------------------------------------------------------------------------- */

static void key_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    const json_t *id = json_object_get(q, "id");
    const char *want_error = str_field(e, "error");
    char buf[FTDR_NAME_MAX];
    t->compared++;
    if (id) {
        const json_int_t v = json_integer_value(id);
        const char *name = v >= 0 && v < FT_KEY_ID_COUNT ? ftdr_key_name((ft_key_t)v, buf) : NULL;
        if (want_error) {
            if (name || strcmp(want_error, "unknown_key_id") != 0)
                mismatch(t, "id %lld: model names it %s, want %s", (long long)v, name ? name : "-", want_error);
        } else if (!name || strcmp(name, str_field(e, "name")) != 0) {
            mismatch(t, "id %lld: model %s, torch %s", (long long)v, name ? name : "-", str_field(e, "name"));
        }
        return;
    }
    const char *name = str_field(q, "name");
    ft_key_t k;
    const bool found = name && ftdr_key_from_name(name, strlen(name), &k);
    if (want_error) {
        if (found || strcmp(want_error, "unknown_key_name") != 0)
            mismatch(t, "name %s: model found id %d, want %s", name, found ? (int)k : -1, want_error);
    } else if (!found || (json_int_t)k != json_integer_value(json_object_get(e, "id"))) {
        mismatch(t, "name %s: model id %d, torch %lld", name, found ? (int)k : -1,
                 (long long)json_integer_value(json_object_get(e, "id")));
    }
}

static void refmodel_keys_match_torch(void) {
    tally_t t = {.family = "keys"};
    each_case(&t, FIXTURE("keys"), key_case, NULL);
    /* and the runtime key list has torch's size (its order is checked by tables) */
    ft_key_t runtime[FT_KEY_ID_COUNT];
    FT_CHECK_EQ_INT(ftdr_runtime_keys(runtime), 106);
    FT_CHECK(report(&t));
}

/* --- keyset algebra ----------------------------------------------------------------- */

/* The five answer fields of a keyset result, from the model. */
static void compare_keyset_fields(tally_t *t, uint64_t raw, const json_t *e, const char *what) {
    ftdr_set_t s;
    char hex[24], repr[4096], n1[FTDR_NAME_MAX], n2[FTDR_NAME_MAX];
    ftdr_set_from_word(raw, &s);
    hex_of(raw, hex);
    ftdr_set_repr(&s, repr, sizeof repr);
    const ft_key_t ht = ftdr_highest_priority(&s), hb = ftdr_highest_priority_backend(&s);
    const char *want_raw = str_field(e, "raw"), *want_repr = str_field(e, "repr");
    const char *want_ht = str_field(e, "highest_type"), *want_hb = str_field(e, "highest_backend_type");
    const json_int_t want_id = json_integer_value(json_object_get(e, "highest_type_id"));
    if (!want_raw || strcmp(hex, want_raw) != 0)
        mismatch(t, "%s: raw %s, torch %s", what, hex, want_raw ? want_raw : "-");
    else if (!want_repr || strcmp(repr, want_repr) != 0)
        mismatch(t, "%s: repr %s, torch %s", what, repr, want_repr ? want_repr : "-");
    else if (!want_ht || strcmp(name_of(ht, n1), want_ht) != 0 || (json_int_t)ht != want_id)
        mismatch(t, "%s: highest type %s (%d), torch %s (%lld)", what, name_of(ht, n1), (int)ht, want_ht,
                 (long long)want_id);
    else if (!want_hb || strcmp(name_of(hb, n2), want_hb) != 0)
        mismatch(t, "%s: highest backend type %s, torch %s", what, name_of(hb, n2), want_hb ? want_hb : "-");
}

static void keyset_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    const char *text = str_field(q, "keyset");
    uint64_t raw = 0;
    t->compared++;
    const ft_status st = keyset_field(q, "keyset", false, &raw);
    if (st != FT_OK) {
        mismatch(t, "%s: model cannot parse it (%s)", text, code_of(st));
        return;
    }
    compare_keyset_fields(t, raw, e, text);
    /* the public entry point reports the same priorities */
    ftd_scenario_t s;
    ftd_keyset_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_KEYSET);
    s.a = raw;
    ftd_ref_keyset(&s, &o);
    char name[FTDR_NAME_MAX];
    if (strcmp(name_of(o.highest_priority, name), str_field(e, "highest_type")) != 0 ||
        strcmp(name_of(o.highest_priority_backend, name), str_field(e, "highest_backend_type")) != 0)
        mismatch(t, "%s: ftd_ref_keyset priorities disagree with torch", text);
    else if (o.parse_status != FT_OK || o.parse_bits != raw)
        mismatch(t, "%s: canonical text does not parse back (%s)", text, code_of(o.parse_status));
}

static void refmodel_keysets_match_torch(void) {
    tally_t t = {.family = "keysets"};
    each_case(&t, FIXTURE("keysets"), keyset_case, NULL);
    FT_CHECK(report(&t));
}

static void binop_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    const char *op = str_field(q, "op");
    uint64_t a = 0, b = 0;
    t->compared++;
    if (keyset_field(q, "a", false, &a) != FT_OK || keyset_field(q, "b", false, &b) != FT_OK || !op) {
        mismatch(t, "model cannot parse the operands");
        return;
    }
    ftd_scenario_t s;
    ftd_keyset_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_KEYSET);
    s.a = a;
    s.b = b;
    ftd_ref_keyset(&s, &o);
    uint64_t r;
    if (strcmp(op, "or") == 0)
        r = o.union_bits;
    else if (strcmp(op, "and") == 0)
        r = o.and_bits;
    else if (strcmp(op, "sub") == 0)
        r = o.sub_bits;
    else if (strcmp(op, "xor") == 0)
        r = o.xor_bits;
    else {
        mismatch(t, "unknown binop %s", op);
        return;
    }
    char what[80];
    snprintf(what, sizeof what, "0x%llx %s 0x%llx", (unsigned long long)a, op, (unsigned long long)b);
    compare_keyset_fields(t, r, e, what);
}

static void refmodel_binops_match_torch(void) {
    tally_t t = {.family = "binops"};
    each_case(&t, FIXTURE("binops_pairs"), binop_case, NULL);
    each_case(&t, FIXTURE("binops_random"), binop_case, NULL);
    FT_CHECK(report(&t));
}

static void has_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    uint64_t a = 0;
    ft_key_t k;
    t->compared++;
    if (keyset_field(q, "keyset", false, &a) != FT_OK || !key_field(q, "key", &k)) {
        mismatch(t, "model cannot parse the query");
        return;
    }
    ftd_scenario_t s;
    ftd_keyset_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_KEYSET);
    s.a = a;
    s.key = k;
    ftd_ref_keyset(&s, &o);
    if (o.has_key != json_is_true(json_object_get(e, "has")))
        mismatch(t, "0x%llx has %s: model %d", (unsigned long long)a, str_field(q, "key"), o.has_key);
}

static void refmodel_has_matches_torch(void) {
    tally_t t = {.family = "has"};
    each_case(&t, FIXTURE("has"), has_case, NULL);
    FT_CHECK(report(&t));
}

static void full_after_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    ft_key_t k;
    t->compared++;
    if (!key_field(q, "key", &k)) {
        mismatch(t, "model does not know key %s", str_field(q, "key"));
        return;
    }
    ftdr_set_t fa;
    ftdr_full_after(k, &fa);
    const uint64_t raw = ftdr_set_to_word(&fa);
    compare_keyset_fields(t, raw, e, str_field(q, "key"));
    /* the outcome field is that, except 0 for aliases (the contract) */
    ftd_scenario_t s;
    ftd_keyset_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_KEYSET);
    s.key = k;
    ftd_ref_keyset(&s, &o);
    if (o.full_after_bits != raw) /* alias keys too: torch's answer */
        mismatch(t, "%s: ftd_ref_keyset full_after_bits 0x%llx", str_field(q, "key"),
                 (unsigned long long)o.full_after_bits);
}

static void refmodel_full_after_matches_torch(void) {
    tally_t t = {.family = "full_after"};
    each_case(&t, FIXTURE("full_after"), full_after_case, NULL);
    FT_CHECK(report(&t));
}

/* --- tables ------------------------------------------------------------------------ */

static void table_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    const json_t *regs = json_object_get(q, "registrations");
    json_t *entries = json_object_get(e, "entries");
    ftd_scenario_t s;
    ftd_table_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_TABLE);
    snprintf(s.op.name, sizeof s.op.name, "table_op");
    s.op.custom = true;
    t->compared++;
    if (!json_is_array(regs) || json_array_size(regs) > FTD_MAX_REGS || !json_is_object(entries)) {
        mismatch(t, "registration list the model cannot hold");
        return;
    }
    for (size_t i = 0; i < json_array_size(regs); i++) {
        const char *n = json_string_value(json_array_get(regs, i));
        if (!n || !ftdr_key_from_name(n, strlen(n), &s.op.regs[i])) {
            mismatch(t, "unknown registration key %s", n ? n : "-");
            return;
        }
    }
    s.op.reg_count = json_array_size(regs);
    ft_key_t runtime[FT_KEY_ID_COUNT];
    const size_t nrt = ftdr_runtime_keys(runtime);
    if (s.op.reg_count > 0) {
        ftd_ref_table(&s, &o);
        if (o.status != FT_OK) {
            mismatch(t, "model rejects the registration set (%s)", code_of(o.status));
            return;
        }
    } else {
        /* the registry refuses an operator without kernels; torch dumps its
         * fallbacks, which is what the entry rules give */
        memset(&o, 0, sizeof o);
        for (size_t i = 0; i < nrt; i++)
            ftdr_table_entry(NULL, 0, runtime[i], &o.entries[runtime[i]]);
    }
    if (json_object_size(entries) != nrt) {
        mismatch(t, "torch lists %zu entries, the model %zu runtime keys", json_object_size(entries), nrt);
        return;
    }
    /* torch lists the entries in runtime-key order; so must the model */
    size_t i = 0;
    const char *kname;
    json_t *want;
    json_object_foreach(entries, kname, want) {
        char n[FTDR_NAME_MAX], src[FTDR_NAME_MAX];
        if (strcmp(name_of(runtime[i], n), kname) != 0) {
            mismatch(t, "entry %zu is %s in torch, %s in the model's order", i, kname, n);
            return;
        }
        const ftd_table_entry_t *got = &o.entries[runtime[i]];
        const char *gs = source_name(got->tag, got->source, src);
        const char *ws = str_field(want, "source"), *wt = str_field(want, "tag");
        const bool wf = json_is_true(json_object_get(want, "fallthrough"));
        if (!ws || !wt || strcmp(gs, ws) != 0 || strcmp(tag_names[got->tag], wt) != 0 || got->fallthrough != wf) {
            mismatch(t, "%s: model %s [%s]%s, torch %s [%s]%s", kname, gs, tag_names[got->tag],
                     got->fallthrough ? " fallthrough" : "", ws ? ws : "-", wt ? wt : "-", wf ? " fallthrough" : "");
            return;
        }
        i++;
    }
}

static void refmodel_tables_match_torch(void) {
    tally_t t = {.family = "tables"};
    each_case(&t, FIXTURE("tables"), table_case, NULL);
    each_case(&t, FIXTURE("tables_random"), table_case, NULL);
    FT_CHECK(report(&t));
}

static void refmodel_table_rejects_what_the_registry_rejects(void) {
    ftd_scenario_t s;
    ftd_table_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_TABLE);
    snprintf(s.op.name, sizeof s.op.name, "t");
    s.op.custom = true;
    const ft_key_t bad[] = {FT_KEY_UNDEFINED, FT_KEY_DENSE, FT_KEY_START_OF_DENSE_BACKENDS,
                            FT_KEY_END_OF_FUNCTIONALITY_KEYS, (ft_key_t)122};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s.op.regs[0] = bad[i];
        s.op.reg_count = 1;
        ftd_ref_table(&s, &o);
        FT_CHECK_STATUS(o.status, FT_EINVALID_REGISTRATION);
    }
    s.op.regs[0] = s.op.regs[1] = FT_KEY_CPU;
    s.op.reg_count = 2;
    ftd_ref_table(&s, &o);
    FT_CHECK_STATUS(o.status, FT_EINVALID_REGISTRATION);
    s.op.reg_count = 0;
    ftd_ref_table(&s, &o);
    FT_CHECK_STATUS(o.status, FT_EINVALID_REGISTRATION);
    s.op.regs[1] = FT_KEY_AUTOGRAD;
    s.op.reg_count = 2;
    ftd_ref_table(&s, &o);
    FT_CHECK_STATUS(o.status, FT_OK);
    FT_CHECK(o.entries[FT_KEY_AUTOGRAD_CPU].tag == FT_TAG_AUTOGRAD);
}

/* --- dispatch ------------------------------------------------------------------------ */

static bool number_of(const json_t *v, double *out) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    char *end;
    *out = strtod(json_string_value(v), &end);
    return end != json_string_value(v) && *end == '\0';
}

static bool operand_of(const json_t *o, ftd_operand_t *out) {
    double v;
    if (!json_is_object(o) || !number_of(json_object_get(o, "value"), &v))
        return false;
    const char *dt = str_field(o, "dtype"), *dev = str_field(o, "device");
    out->dtype = dt && strcmp(dt, "f32") == 0 ? FT_DTYPE_F32 : FT_DTYPE_F64;
    out->device = FT_BACKEND_CPU;
    if (dev) {
        ft_key_t k, f;
        int b;
        if (!ftdr_key_from_name(dev, strlen(dev), &k) || !ftdr_key_split(k, &f, &b) || f != FT_KEY_DENSE || b == 0)
            return false;
        out->device = (ft_backend_t)b;
    }
    out->requires_grad = json_is_true(json_object_get(o, "requires_grad"));
    out->bits = ftd_value_bits(out->dtype == FT_DTYPE_F32 ? (double)(float)v : v, out->dtype);
    return true;
}

typedef struct {
    ftd_scenario_t s;
    ft_mode_t mode;
    ft_status parse_status; /* a keyset text the query holds that does not parse */
    bool route_only;        /* explicit keyset and no operands: decide only */
} dispatch_query_t;

static bool dispatch_query(const json_t *q, dispatch_query_t *d) {
    ftd_scenario_init(&d->s, FTD_KIND_DISPATCH);
    const char *op = str_field(q, "op"), *mode = str_field(q, "mode");
    if (!op || strlen(op) >= sizeof d->s.op.name)
        return false;
    strcpy(d->s.op.name, op);
    d->mode = mode && strcmp(mode, "hardened") == 0 ? FT_MODE_HARDENED : FT_MODE_STRICT;
    d->parse_status = FT_OK;
    const json_t *gm = json_object_get(q, "grad_mode");
    if (gm)
        d->s.grad_mode = json_is_true(gm);
    if (json_object_get(q, "include") && d->parse_status == FT_OK)
        d->parse_status = keyset_field(q, "include", false, &d->s.include);
    if (json_object_get(q, "exclude") && d->parse_status == FT_OK)
        d->parse_status = keyset_field(q, "exclude", false, &d->s.exclude);
    if (json_object_get(q, "keyset") && d->parse_status == FT_OK) {
        d->s.has_keyset = true;
        d->parse_status = keyset_field(q, "keyset", true, &d->s.keyset);
    }
    const json_t *l = json_object_get(q, "lhs"), *r = json_object_get(q, "rhs");
    d->route_only = !l && !r;
    if (d->route_only) {
        /* the model always runs the kernel; plain f64 CPU operands cannot
         * change a route or fail a kernel check */
        d->s.lhs.bits = d->s.rhs.bits = ftd_value_bits(1.0, FT_DTYPE_F64);
        return d->s.has_keyset;
    }
    return operand_of(l, &d->s.lhs) && operand_of(r, &d->s.rhs);
}

static void value_bits_text(uint64_t bits, ft_dtype_t dt, char buf[24]) {
    if (dt == FT_DTYPE_F32)
        snprintf(buf, 24, "0x%08llx", (unsigned long long)bits);
    else
        snprintf(buf, 24, "0x%016llx", (unsigned long long)bits);
}

static bool str_is(const json_t *v, const char *got) {
    return json_is_null(v) ? got == NULL || got[0] == '\0'
                           : json_is_string(v) && got && !strcmp(json_string_value(v), got);
}

static bool compare_hop(tally_t *t, const json_t *want, const ftd_hop_t *h, size_t i) {
    char kn[FTDR_NAME_MAX], sn[FTDR_NAME_MAX];
    const json_t *v;
    if ((v = json_object_get(want, "key")) && !str_is(v, name_of(h->key, kn)))
        return mismatch(t, "hop %zu key %s", i, kn), false;
    if ((v = json_object_get(want, "source")) && !str_is(v, source_name(h->tag, h->source, sn)))
        return mismatch(t, "hop %zu source %s", i, source_name(h->tag, h->source, sn)), false;
    if ((v = json_object_get(want, "tag")) && !str_is(v, tag_names[h->tag]))
        return mismatch(t, "hop %zu tag %s", i, tag_names[h->tag]), false;
    if ((v = json_object_get(want, "fallthrough")) && json_is_true(v) != h->fallthrough)
        return mismatch(t, "hop %zu fallthrough %d", i, h->fallthrough), false;
    if ((v = json_object_get(want, "kernel")) && !str_is(v, h->kernel))
        return mismatch(t, "hop %zu kernel %s", i, h->kernel), false;
    return true;
}

#define FAIL_RETURN(...)                                                                                               \
    do {                                                                                                               \
        mismatch(t, __VA_ARGS__);                                                                                      \
        return;                                                                                                        \
    } while (0)

/* Compares the fields the expectation has (fixtures match "subset"). */
static void compare_dispatch(tally_t *t, const json_t *e, const dispatch_query_t *d, const ftd_dispatch_outcome_t *o) {
    const json_t *v;
    char buf[64], name[FTDR_NAME_MAX];
    const bool ok = o->status == FT_OK;
    if ((v = json_object_get(e, "ok")) && json_is_true(v) != ok)
        FAIL_RETURN("%s: model %s", d->s.op.name, code_of(o->status));
    if ((v = json_object_get(e, "error")) && !str_is(v, ok ? NULL : code_of(o->status)))
        FAIL_RETURN("%s: model error %s", d->s.op.name, code_of(o->status));
    if (!d->route_only && (v = json_object_get(e, "value"))) {
        double x = 0;
        if (o->has_value) {
            const ftd_operand_t r = {o->value_bits, o->dtype, FT_BACKEND_CPU, false};
            x = ftd_operand_value(&r);
            value_text(x, buf);
        }
        if (!str_is(v, o->has_value ? buf : NULL))
            FAIL_RETURN("%s: model value %s", d->s.op.name, o->has_value ? buf : "null");
    }
    if (!d->route_only && (v = json_object_get(e, "value_bits"))) {
        value_bits_text(o->value_bits, o->dtype, buf);
        if (!str_is(v, o->has_value ? buf : NULL))
            FAIL_RETURN("%s: model value bits %s", d->s.op.name, o->has_value ? buf : "null");
    }
    const json_t *dec = json_object_get(e, "decision");
    if (!dec)
        return;
    if ((v = json_object_get(dec, "op")) && !str_is(v, d->s.op.name))
        FAIL_RETURN("decision op");
    if ((v = json_object_get(dec, "mode")) && !str_is(v, d->mode == FT_MODE_HARDENED ? "hardened" : "strict"))
        FAIL_RETURN("decision mode");
    if ((v = json_object_get(dec, "explicit_keyset")) && json_is_true(v) != d->s.has_keyset)
        FAIL_RETURN("decision explicit_keyset");
    hex_of(o->keyset, buf);
    if ((v = json_object_get(dec, "keyset_bits")) && !str_is(v, buf))
        FAIL_RETURN("keyset_bits %s", buf);
    hex_of(o->effective_keyset, buf);
    if ((v = json_object_get(dec, "effective_keyset_bits")) && !str_is(v, buf))
        FAIL_RETURN("effective_keyset_bits %s", buf);
    if ((v = json_object_get(dec, "selected_key")) && !str_is(v, name_of(o->selected_key, name)))
        FAIL_RETURN("selected_key %s", name);
    if ((v = json_object_get(dec, "backend_key")) && !str_is(v, name_of(o->backend_key, name)))
        FAIL_RETURN("backend_key %s", name);
    if ((v = json_object_get(dec, "kernel")) && !str_is(v, o->kernel))
        FAIL_RETURN("kernel %s", o->kernel);
    if ((v = json_object_get(dec, "fallback_used")) && json_is_true(v) != o->fallback_used)
        FAIL_RETURN("fallback_used %d", o->fallback_used);
    if ((v = json_object_get(dec, "mode_split")) && !str_is(v, split_name(o->mode_split)))
        FAIL_RETURN("mode_split %s", split_name(o->mode_split));
    const char *allow = o->mode_split == FT_SPLIT_HARDENED_FALLBACK ? "dispatch.composite_backend_fallback" : NULL;
    if ((v = json_object_get(dec, "allowlist_id")) && !str_is(v, allow))
        FAIL_RETURN("allowlist_id %s", allow ? allow : "null");
    if ((v = json_object_get(dec, "reason_code")) && !str_is(v, code_of(o->status)))
        FAIL_RETURN("reason_code %s", code_of(o->status));
    if (json_object_get(dec, "message"))
        t->not_compared++;
    const json_t *route = json_object_get(dec, "route");
    if (route) {
        if (json_array_size(route) != o->hop_count)
            FAIL_RETURN("route has %zu hops in the model, %zu expected", o->hop_count, json_array_size(route));
        for (size_t i = 0; i < o->hop_count; i++)
            if (!compare_hop(t, json_array_get(route, i), &o->hops[i], i))
                return;
    }
}

static void dispatch_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    dispatch_query_t d;
    t->compared++;
    if (!dispatch_query(q, &d)) {
        mismatch(t, "the model cannot express this query");
        return;
    }
    if (d.parse_status != FT_OK) { /* the answer is the parser's */
        if (!str_is(json_object_get(e, "error"), code_of(d.parse_status)))
            mismatch(t, "keyset text: model %s", code_of(d.parse_status));
        return;
    }
    ftd_dispatch_outcome_t o;
    ftd_ref_dispatch(&d.s, d.mode, &o);
    compare_dispatch(t, e, &d, &o);
    /* the value is the kernel's too */
    if (o.has_value && !d.route_only) {
        double x;
        const ftd_operand_t r = {o.value_bits, o.dtype, FT_BACKEND_CPU, false};
        if (!ftd_ref_kernel(d.s.op.name, d.s.lhs.dtype, ftd_operand_value(&d.s.lhs), ftd_operand_value(&d.s.rhs), &x) ||
            ftd_value_bits(x, d.s.lhs.dtype) != ftd_value_bits(ftd_operand_value(&r), o.dtype))
            mismatch(t, "%s: ftd_ref_kernel disagrees with ftd_ref_dispatch", d.s.op.name);
    }
}

static void refmodel_kernel_values_match_torch(void) {
    tally_t t = {.family = "kernel_values"};
    each_case(&t, FIXTURE("kernel_values_f64"), dispatch_case, NULL);
    each_case(&t, FIXTURE("kernel_values_f32"), dispatch_case, NULL);
    each_case(&t, FIXTURE("kernel_strict"), dispatch_case, NULL);
    FT_CHECK(report(&t));
}

static void refmodel_packet_cases_match(void) {
    tally_t t = {.family = "dispatch_key_cases"};
    each_case(&t, FTD_PACKET_CASES, dispatch_case, NULL);
    FT_CHECK(report(&t));
}

/* --- gradients ------------------------------------------------------------------------ */

typedef struct {
    size_t indeterminate; /* differ, but order-dependent (ftdr_grad_compare) */
} grad_stats_t;

static void grad_case(tally_t *t, json_t *line, void *ctx) {
    grad_stats_t *stats = ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    const json_t *leaves = json_object_get(q, "leaves"), *prog = json_object_get(q, "program");
    const char *dt = str_field(q, "dtype"), *mode = str_field(q, "mode");
    ftd_scenario_t s;
    ftd_scenario_init(&s, FTD_KIND_PROGRAM);
    t->compared++;
    if (json_array_size(leaves) > FTD_MAX_LEAVES || json_array_size(prog) > FTD_MAX_PROGRAM_OPS) {
        mismatch(t, "program larger than a scenario holds");
        return;
    }
    const ft_dtype_t dtype = dt && strcmp(dt, "f32") == 0 ? FT_DTYPE_F32 : FT_DTYPE_F64;
    s.leaf_count = json_array_size(leaves);
    for (size_t i = 0; i < s.leaf_count; i++) {
        json_t *l = json_deep_copy(json_array_get(leaves, i));
        json_object_set_new(l, "dtype", json_string(dtype == FT_DTYPE_F32 ? "f32" : "f64"));
        const bool ok = operand_of(l, &s.leaves[i]);
        json_decref(l);
        if (!ok) {
            mismatch(t, "leaf %zu unreadable", i);
            return;
        }
    }
    s.op_count = json_array_size(prog);
    for (size_t i = 0; i < s.op_count; i++) {
        const json_t *p = json_array_get(prog, i);
        snprintf(s.ops[i].op, sizeof s.ops[i].op, "%s", str_field(p, "op") ? str_field(p, "op") : "");
        s.ops[i].lhs = (uint32_t)json_integer_value(json_object_get(p, "lhs"));
        s.ops[i].rhs = (uint32_t)json_integer_value(json_object_get(p, "rhs"));
    }
    s.root = (uint32_t)json_integer_value(json_object_get(q, "root"));
    const ft_mode_t m = mode && strcmp(mode, "hardened") == 0 ? FT_MODE_HARDENED : FT_MODE_STRICT;

    ftd_program_outcome_t fwd;
    ftd_ref_program_forward(&s, m, &fwd);
    ft_status st = fwd.ran < s.op_count ? fwd.failed_status : FT_OK;
    if (st == FT_OK && !fwd.requires_grad[s.root])
        st = FT_EROOT_NO_GRAD;
    const bool want_ok = json_is_true(json_object_get(e, "ok"));
    if (want_ok != (st == FT_OK) || (!want_ok && !str_is(json_object_get(e, "error"), code_of(st)))) {
        mismatch(t, "model %s, torch %s", code_of(st), want_ok ? "ok" : str_field(e, "error"));
        return;
    }
    if (!want_ok)
        return;
    char text[40];
    const ftd_operand_t root = {fwd.value_bits[s.root], dtype, FT_BACKEND_CPU, true};
    value_text(ftd_operand_value(&root), text);
    if (!str_is(json_object_get(e, "value"), text)) {
        mismatch(t, "root value %s, torch %s", text, str_field(e, "value"));
        return;
    }
    double grads[FTD_MAX_LEAVES], magnitude[FTD_MAX_LEAVES], plain[FTD_MAX_LEAVES];
    bool defined[FTD_MAX_LEAVES], plain_defined[FTD_MAX_LEAVES];
    if (!ftdr_dual_gradients_bounded(&s, grads, defined, magnitude) || !ftd_dual_gradients(&s, plain, plain_defined) ||
        memcmp(plain_defined, defined, sizeof defined) != 0 || memcmp(plain, grads, sizeof grads) != 0) {
        mismatch(t, "the model's dual pass cannot run the program");
        return;
    }
    const json_t *wg = json_object_get(e, "grads");
    for (size_t i = 0; i < s.leaf_count; i++) {
        const json_t *w = json_array_get(wg, i);
        double want;
        if (json_is_null(w) != !defined[i]) {
            mismatch(t, "leaf %zu: model %s, torch %s", i, defined[i] ? "has a gradient" : "has none",
                     json_is_null(w) ? "null" : json_string_value(w));
            return;
        }
        if (json_is_null(w))
            continue;
        if (!number_of(w, &want)) {
            mismatch(t, "leaf %zu: unreadable gradient", i);
            return;
        }
        const ftdr_grad_verdict_t verdict = ftdr_grad_compare(dtype, s.op_count, grads[i], magnitude[i], want);
        if (verdict == FTDR_GRAD_INDETERMINATE)
            stats->indeterminate++;
        if (verdict == FTDR_GRAD_DIFFER) {
            mismatch(t, "leaf %zu: model %.17g (magnitude %g), torch %s (%s)", i, grads[i], magnitude[i],
                     json_string_value(w), dt ? dt : "f64");
            return;
        }
    }
    if (json_object_get(e, "order"))
        t->not_compared++;
}

static void refmodel_grads_match_torch(void) {
    tally_t t = {.family = "grads"};
    grad_stats_t stats = {0};
    each_case(&t, FIXTURE("grads"), grad_case, &stats);
    each_case(&t, FIXTURE("grads_strict"), grad_case, &stats);
    printf("refmodel grads: %zu leaf gradients differ from torch where evaluation order decides (indeterminate)\n",
           stats.indeterminate);
    FT_CHECK(report(&t));
}

/* Finite differences agree with the duals where the program is smooth. */
static void refmodel_finite_differences_agree_with_duals(void) {
    static const struct {
        const char *ops[4];
        uint32_t lhs[4], rhs[4];
        size_t n;
    } programs[] = {
        {{"mul", "add", "div"}, {0, 2, 3}, {1, 0, 1}, 3},
        {{"pow", "atan2", "sub"}, {0, 2, 3}, {1, 1, 0}, 3},
        {{"sqdiff", "rsub", "maximum", "minimum"}, {0, 2, 3, 4}, {1, 0, 1, 0}, 4},
    };
    const double values[2] = {1.3, 0.7};
    for (size_t p = 0; p < sizeof programs / sizeof programs[0]; p++) {
        ftd_scenario_t s;
        ftd_scenario_init(&s, FTD_KIND_PROGRAM);
        s.leaf_count = 2;
        for (size_t i = 0; i < 2; i++)
            s.leaves[i] = (ftd_operand_t){ftd_value_bits(values[i], FT_DTYPE_F64), FT_DTYPE_F64, FT_BACKEND_CPU, true};
        s.op_count = programs[p].n;
        for (size_t i = 0; i < s.op_count; i++) {
            snprintf(s.ops[i].op, sizeof s.ops[i].op, "%s", programs[p].ops[i]);
            s.ops[i].lhs = programs[p].lhs[i];
            s.ops[i].rhs = programs[p].rhs[i];
        }
        s.root = (uint32_t)(s.leaf_count + s.op_count - 1);
        double dual[FTD_MAX_LEAVES], fd[FTD_MAX_LEAVES];
        bool defined[FTD_MAX_LEAVES];
        FT_CHECK(ftd_dual_gradients(&s, dual, defined));
        FT_CHECK(ftd_finite_diff_gradients(&s, 1e-6, fd));
        for (size_t i = 0; i < 2; i++) {
            FT_CHECK(defined[i]);
            FT_CHECK_MSG(fabs(dual[i] - fd[i]) <= 1e-6 * (1 + fabs(dual[i])),
                         "program %zu leaf %zu: dual %.17g fd %.17g", p, i, dual[i], fd[i]);
        }
    }
}

/* --- parse rejections (libft's fail-closed policy, SPEC §3) ---------------------------- */

static void rejection_case(tally_t *t, json_t *line, void *ctx) {
    (void)ctx;
    const json_t *q = json_object_get(line, "query"), *e = json_object_get(line, "expect");
    const char *kind = str_field(q, "q");
    uint64_t bits;
    ft_key_t k;
    ft_status st = FT_OK;
    t->compared++;
    if (!kind) {
        mismatch(t, "no query kind");
        return;
    }
    if (strcmp(kind, "keyset") == 0) {
        st = keyset_field(q, "keyset", false, &bits);
    } else if (strcmp(kind, "binop") == 0) {
        st = keyset_field(q, "a", false, &bits);
        if (st == FT_OK)
            st = keyset_field(q, "b", false, &bits);
    } else if (strcmp(kind, "has") == 0) {
        st = keyset_field(q, "keyset", false, &bits);
        if (st == FT_OK && !key_field(q, "key", &k))
            st = FT_EUNKNOWN_KEY_NAME;
    } else if (strcmp(kind, "full_after") == 0) {
        if (!key_field(q, "key", &k))
            st = FT_EUNKNOWN_KEY_NAME;
    } else {
        mismatch(t, "query kind %s", kind);
        return;
    }
    if (!str_is(json_object_get(e, "error"), code_of(st)))
        mismatch(t, "%s: model %s, want %s", kind, code_of(st), str_field(e, "error"));
}

static void refmodel_parse_rejections_match(void) {
    tally_t t = {.family = "parse_rejections"};
    each_case(&t, FIXTURE("parse_rejections"), rejection_case, NULL);
    FT_CHECK(report(&t));
}

/* --- hand-checked routes the fixtures do not reach ------------------------------------ */

static bool parse_text(const char *text, uint64_t *out) {
    return ftdr_parse(text, strlen(text), true, out) == FT_OK;
}

static void custom_scenario(ftd_scenario_t *s, const ft_key_t *keys, size_t n) {
    ftd_scenario_init(s, FTD_KIND_DISPATCH);
    snprintf(s->op.name, sizeof s->op.name, "probe");
    s->op.custom = true;
    s->op.reg_count = n;
    memcpy(s->op.regs, keys, n * sizeof keys[0]);
    s->lhs.bits = s->rhs.bits = ftd_value_bits(1.0, FT_DTYPE_F64);
}

static double value_of(const ftd_dispatch_outcome_t *o) {
    const ftd_operand_t r = {o->value_bits, o->dtype, FT_BACKEND_CPU, false};
    return ftd_operand_value(&r);
}

static void refmodel_custom_routes(void) {
    ftd_scenario_t s;
    ftd_dispatch_outcome_t o;
    /* a kernel on AutogradCPU is a wrapper; the CPU kernel's number comes back */
    const ft_key_t ag[] = {FT_KEY_CPU, FT_KEY_AUTOGRAD_CPU};
    custom_scenario(&s, ag, 2);
    s.lhs.requires_grad = true;
    ftd_ref_dispatch(&s, FT_MODE_STRICT, &o);
    FT_CHECK_STATUS(o.status, FT_OK);
    FT_CHECK_EQ_INT(o.selected_key, FT_KEY_AUTOGRAD_CPU);
    FT_CHECK_EQ_INT(o.hop_count, 4);
    FT_CHECK_STR(o.hops[0].kernel, "custom::AutogradCPU");
    FT_CHECK_STR(o.kernel, "custom::CPU");
    FT_CHECK(value_of(&o) == 43.0 && o.requires_grad);

    /* CompositeImplicitAutograd + Autograd: the math kernel takes AutogradCPU
     * (rule 5 before rule 6), so no autograd wrapper runs */
    const ft_key_t cia[] = {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, FT_KEY_AUTOGRAD};
    custom_scenario(&s, cia, 2);
    s.lhs.requires_grad = true;
    ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
    FT_CHECK_STATUS(o.status, FT_OK);
    FT_CHECK(o.hops[0].tag == FT_TAG_MATH && o.fallback_used && !o.requires_grad);
    FT_CHECK(value_of(&o) == 118.0);
    ftd_ref_dispatch(&s, FT_MODE_STRICT, &o);
    FT_CHECK_STATUS(o.status, FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STR(o.kernel, "custom::CompositeImplicitAutograd");

    /* SparseCPU + CompositeImplicitAutograd: AutogradOther is ambiguous */
    const ft_key_t amb[] = {FT_KEY_SPARSE_CPU, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD};
    custom_scenario(&s, amb, 2);
    s.has_keyset = true;
    FT_CHECK(parse_text("DispatchKeySet(SparseCPU, AutogradOther)", &s.keyset));
    ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
    FT_CHECK_STATUS(o.status, FT_EAMBIGUOUS_AUTOGRAD_OTHER);
    FT_CHECK_EQ_INT(o.selected_key, FT_KEY_AUTOGRAD_OTHER);

    /* backend bits and a fallthrough only: the walk reaches Undefined, whose
     * entry is a CompositeExplicitAutograd kernel whatever its coverage */
    const ft_key_t cea[] = {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD};
    custom_scenario(&s, cea, 1);
    s.has_keyset = true;
    FT_CHECK(parse_text("0x4000001", &s.keyset)); /* BackendSelect + CPU bit */
    ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
    FT_CHECK_STATUS(o.status, FT_OK);
    FT_CHECK_EQ_INT(o.hop_count, 2);
    FT_CHECK_EQ_INT(o.hops[1].key, FT_KEY_UNDEFINED);
    FT_CHECK(o.hops[1].tag == FT_TAG_DEFAULT_BACKEND && value_of(&o) == 120.0);

    /* the registry refuses: nothing else is reported */
    const ft_key_t dup[] = {FT_KEY_CPU, FT_KEY_CPU};
    custom_scenario(&s, dup, 2);
    ftd_ref_dispatch(&s, FT_MODE_STRICT, &o);
    FT_CHECK_STATUS(o.status, FT_EINVALID_REGISTRATION);
    FT_CHECK(o.hop_count == 0 && o.keyset == 0);
}

static void refmodel_sqdiff_nested_failure(void) {
    /* sqdiff on an explicit CUDA keyset: the math kernel runs (hardened), its
     * inner sub finds no CUDA kernel, and that is the outcome */
    ftd_scenario_t s;
    ftd_dispatch_outcome_t o;
    ftd_scenario_init(&s, FTD_KIND_DISPATCH);
    snprintf(s.op.name, sizeof s.op.name, "sqdiff");
    s.has_keyset = true;
    FT_CHECK(parse_text("CUDA", &s.keyset));
    s.lhs.bits = s.rhs.bits = ftd_value_bits(1.0, FT_DTYPE_F64);
    ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
    FT_CHECK_STATUS(o.status, FT_ENO_KERNEL);
    FT_CHECK(o.fallback_used && o.mode_split == FT_SPLIT_HARDENED_FALLBACK && !o.has_value);
    FT_CHECK_STR(o.kernel, "composite_implicit::sqdiff");
    /* with requires_grad on the default context the inner calls record */
    s.has_keyset = false;
    s.lhs.requires_grad = true;
    s.lhs.bits = ftd_value_bits(5.0, FT_DTYPE_F64);
    s.rhs.bits = ftd_value_bits(2.0, FT_DTYPE_F64);
    ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
    FT_CHECK_STATUS(o.status, FT_OK);
    FT_CHECK(value_of(&o) == 9.0 && o.requires_grad);
    FT_CHECK_EQ_INT(o.selected_key, FT_KEY_AUTOGRAD_CPU);
}

/* Probed on torch 1.13 (ATEN_CPU_CAPABILITY=default) with operands built from
 * raw bits: which NaN comes back when both are NaN, and signalling NaNs. */
static void refmodel_nan_operands_follow_torch(void) {
    static const struct {
        const char *op;
        uint64_t a64, b64, want64; /* f64: a quiet +payload and a signalling -payload NaN */
        uint64_t a32, b32, want32; /* f32: the same shapes */
    } cases[] = {
        {"add", 0x7ff8000000000abc, 0xfff4000000000123, 0xfffc000000000123, 0x7fc00abc, 0xffa00123, 0xffe00123},
        {"sub", 0x7ff8000000000abc, 0xfff4000000000123, 0xfffc000000000123, 0x7fc00abc, 0xffa00123, 0xffe00123},
        {"mul", 0xfff4000000000123, 0x7ff8000000000abc, 0x7ff8000000000abc, 0xffa00123, 0x7fc00abc, 0x7fc00abc},
        {"div", 0x7ff8000000000abc, 0xfff4000000000123, 0x7ff8000000000abc, 0x7fc00abc, 0xffa00123, 0x7fc00abc},
        {"maximum", 0x7ff8000000000abc, 0xfff4000000000123, 0x7ff8000000000000, 0x7fc00abc, 0xffa00123, 0x7fc00000},
        {"minimum", 0xfff4000000000123, 0x7ff8000000000abc, 0x7ff8000000000000, 0xffa00123, 0x7fc00abc, 0x7fc00000},
        {"atan2", 0x7ff8000000000abc, 0xfff4000000000123, 0xfffc000000000123, 0x7fc00abc, 0xffa00123, 0xffe00123},
        {"pow", 0xfff4000000000123, 0x7ff8000000000abc, 0xfffc000000000123, 0xffa00123, 0x7fc00abc, 0xffe00123},
        {"rsub", 0x7ff8000000000abc, 0xfff4000000000123, 0x7ff8000000000abc, 0x7fc00abc, 0xffa00123, 0x7fc00abc},
        {"sqdiff", 0xfff4000000000123, 0x7ff8000000000abc, 0x7ff8000000000abc, 0xffa00123, 0x7fc00abc, 0x7fc00abc},
        /* glibc honours a signalling NaN where a quiet one gives 1 */
        {"pow", 0x3ff0000000000000, 0x7ff4000000000001, 0x7ffc000000000001, 0x3f800000, 0x7fa00001, 0x7fe00001},
        {"pow", 0x7ff4000000000001, 0x0000000000000000, 0x7ffc000000000001, 0x7fa00001, 0x80000000, 0x7fe00001},
        {"pow", 0x3ff0000000000000, 0x7ff8000000000001, 0x3ff0000000000000, 0x3f800000, 0x7fc00001, 0x3f800000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ftd_scenario_t s;
        ftd_dispatch_outcome_t o;
        ftd_scenario_init(&s, FTD_KIND_DISPATCH);
        snprintf(s.op.name, sizeof s.op.name, "%s", cases[i].op);
        s.lhs.bits = cases[i].a64;
        s.rhs.bits = cases[i].b64;
        ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
        FT_CHECK_STATUS(o.status, FT_OK);
        FT_CHECK_MSG(o.value_bits == cases[i].want64, "%s f64: 0x%016llx", cases[i].op,
                     (unsigned long long)o.value_bits);
        s.lhs.dtype = s.rhs.dtype = FT_DTYPE_F32;
        s.lhs.bits = cases[i].a32;
        s.rhs.bits = cases[i].b32;
        ftd_ref_dispatch(&s, FT_MODE_HARDENED, &o);
        FT_CHECK_STATUS(o.status, FT_OK);
        FT_CHECK_MSG(o.value_bits == cases[i].want32, "%s f32: 0x%08llx", cases[i].op,
                     (unsigned long long)o.value_bits);
    }
}

/* torch: x.grad of mul(maximum(x, y), nan) with x < y is 0 (the mask drops the
 * NaN coming from above), y.grad NaN; and in f32 atan2(y, x) with y = 3e38
 * added to itself gives x.grad NaN from (g * -y) overflowing before * rc. */
static void refmodel_masked_and_order_dependent_gradients(void) {
    ftd_scenario_t s;
    double g[FTD_MAX_LEAVES], m[FTD_MAX_LEAVES];
    bool d[FTD_MAX_LEAVES];
    ftd_scenario_init(&s, FTD_KIND_PROGRAM);
    s.leaf_count = 3;
    s.leaves[0] = (ftd_operand_t){ftd_value_bits(1.0, FT_DTYPE_F64), FT_DTYPE_F64, FT_BACKEND_CPU, true};
    s.leaves[1] = (ftd_operand_t){ftd_value_bits(2.0, FT_DTYPE_F64), FT_DTYPE_F64, FT_BACKEND_CPU, true};
    s.leaves[2] = (ftd_operand_t){UINT64_C(0x7ff8000000000000), FT_DTYPE_F64, FT_BACKEND_CPU, false};
    s.op_count = 2;
    s.ops[0] = (ftd_program_op_t){"maximum", 0, 1};
    s.ops[1] = (ftd_program_op_t){"mul", 3, 2};
    s.root = 4;
    FT_CHECK(ftdr_dual_gradients_bounded(&s, g, d, m));
    FT_CHECK(d[0] && d[1] && !d[2]);
    FT_CHECK_MSG(g[0] == 0.0 && isnan(g[1]), "x.grad %g y.grad %g", g[0], g[1]);
    FT_CHECK(ftdr_grad_compare(FT_DTYPE_F64, 2, g[0], m[0], 0.0) == FTDR_GRAD_AGREE);

    ftd_scenario_init(&s, FTD_KIND_PROGRAM);
    s.leaf_count = 2;
    s.leaves[0] = (ftd_operand_t){ftd_value_bits(3.0, FT_DTYPE_F32), FT_DTYPE_F32, FT_BACKEND_CPU, true};
    s.leaves[1] = (ftd_operand_t){ftd_value_bits(3.0e38, FT_DTYPE_F32), FT_DTYPE_F32, FT_BACKEND_CPU, true};
    s.op_count = 2;
    s.ops[0] = (ftd_program_op_t){"atan2", 1, 0};
    s.ops[1] = (ftd_program_op_t){"add", 2, 2};
    s.root = 3;
    FT_CHECK(ftdr_dual_gradients_bounded(&s, g, d, m));
    FT_CHECK(ftdr_grad_compare(FT_DTYPE_F32, 2, g[0], m[0], NAN) == FTDR_GRAD_INDETERMINATE);
    FT_CHECK(ftdr_grad_compare(FT_DTYPE_F32, 2, g[1], m[1], 0.0) == FTDR_GRAD_AGREE);
    /* and a wrong answer is still a finding */
    FT_CHECK(ftdr_grad_compare(FT_DTYPE_F32, 2, g[1], m[1], 1.0) == FTDR_GRAD_DIFFER);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(refmodel_keys_match_torch),
        FT_CASE(refmodel_keysets_match_torch),
        FT_CASE(refmodel_binops_match_torch),
        FT_CASE(refmodel_has_matches_torch),
        FT_CASE(refmodel_full_after_matches_torch),
        FT_CASE(refmodel_tables_match_torch),
        FT_CASE(refmodel_table_rejects_what_the_registry_rejects),
        FT_CASE(refmodel_kernel_values_match_torch),
        FT_CASE(refmodel_packet_cases_match),
        FT_CASE(refmodel_grads_match_torch),
        FT_CASE(refmodel_finite_differences_agree_with_duals),
        FT_CASE(refmodel_parse_rejections_match),
        FT_CASE(refmodel_custom_routes),
        FT_CASE(refmodel_sqdiff_nested_failure),
        FT_CASE(refmodel_nan_operands_follow_torch),
        FT_CASE(refmodel_masked_and_order_dependent_gradients),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
