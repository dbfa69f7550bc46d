/* Comparators and verdicts (ftdiff/compare.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ft/json_text.h"
#include "ftdiff/compare.h"

static const char *const verdict_names[FTD_VERDICT_COUNT] = {
    "pass", "expected_error_observed", "allowlisted_drift", "blocking_drift", "oracle_unavailable", "harness_error"};

const char *ftd_verdict_name(ftd_verdict_t v) {
    return (unsigned)v < FTD_VERDICT_COUNT ? verdict_names[v] : NULL;
}

static const char *const comparator_names[FTD_CMP_COUNT] = {
    "error_code",     "keyset_bits",   "selected_key",       "backend_key",
    "kernel",         "route",         "fallback_flag",      "mode_split",
    "output",         "requires_grad", "mode_split_policy",  "commutativity",
    "determinism",    "table_entry",   "registration_order", "keyset_algebra",
    "priority",       "full_after",    "parse_round_trip",   "validation",
    "program_values", "grad_dual",     "grad_finite_diff",   "backward",
    "fixture",        "torch"};

const char *ftd_comparator_name(ftd_comparator_t c) {
    return (unsigned)c < FTD_CMP_COUNT ? comparator_names[c] : NULL;
}

void ftd_findings_init(ftd_findings_t *f) {
    f->count = 0;
    f->dropped = 0;
    memset(f->runs, 0, sizeof f->runs);
    memset(f->inconclusive, 0, sizeof f->inconclusive);
}

size_t ftd_findings_blocking(const ftd_findings_t *f) {
    size_t n = f->dropped;
    for (size_t i = 0; i < f->count; i++)
        n += !f->items[i].allowlisted;
    return n;
}

void ftd_findings_add(ftd_findings_t *f, ftd_comparator_t c, const char *reason, const char *expected,
                      const char *observed) {
    if (f->count == FTD_MAX_FINDINGS) {
        f->dropped++;
        return;
    }
    ftd_finding_t *x = &f->items[f->count++];
    memset(x, 0, sizeof *x);
    x->comparator = c;
    snprintf(x->reason, sizeof x->reason, "%s", reason);
    /* a cut JSON text would not be JSON: keep it only when it fits */
    snprintf(x->expected, sizeof x->expected, "%s",
             strlen(expected) < sizeof x->expected ? expected : "\"(too long)\"");
    snprintf(x->observed, sizeof x->observed, "%s",
             strlen(observed) < sizeof x->observed ? observed : "\"(too long)\"");
}

/* ---- JSON texts of values ---------------------------------------------------- */

typedef struct {
    char s[FTD_FINDING_TEXT_MAX];
} text_t;

static text_t t_str(const char *s) {
    text_t t;
    if (!s)
        snprintf(t.s, sizeof t.s, "null");
    else if (ft_json_string(s, strlen(s), t.s, sizeof t.s) >= sizeof t.s)
        snprintf(t.s, sizeof t.s, "\"(too long)\"");
    return t;
}

static text_t t_key(ft_key_t k) {
    return t_str(ft_key_name(k) ? ft_key_name(k) : "invalid_key");
}

static text_t t_status(ft_status s) {
    return t_str(ft_status_code(s));
}

static text_t t_hex(uint64_t v) {
    text_t t;
    snprintf(t.s, sizeof t.s, "\"0x%" PRIx64 "\"", v);
    return t;
}

static text_t t_bool(bool b) {
    text_t t;
    snprintf(t.s, sizeof t.s, "%s", b ? "true" : "false");
    return t;
}

static text_t t_kernel(const char *k) {
    return k[0] ? t_str(k) : t_str(NULL);
}

static void route_text(const ftd_dispatch_outcome_t *o, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; i < o->hop_count && n < cap; i++) {
        const ftd_hop_t *h = &o->hops[i];
        const char *kn = ft_key_name(h->key);
        n += (size_t)snprintf(buf + n, cap - n, "%s[\"%s\",\"%s\",%s,\"%s\"]", i ? "," : "", kn ? kn : "?",
                              ft_table_tag_name(h->tag) ? ft_table_tag_name(h->tag) : "?",
                              h->fallthrough ? "true" : "false", h->kernel);
    }
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
    if (n + 1 >= cap)
        snprintf(buf, cap, "\"(too long)\"");
}

static bool hops_equal(const ftd_dispatch_outcome_t *a, const ftd_dispatch_outcome_t *b) {
    if (a->hop_count != b->hop_count)
        return false;
    for (size_t i = 0; i < a->hop_count; i++) {
        const ftd_hop_t *x = &a->hops[i], *y = &b->hops[i];
        if (x->key != y->key || x->source != y->source || x->tag != y->tag || x->fallthrough != y->fallthrough ||
            strcmp(x->kernel, y->kernel) != 0)
            return false;
    }
    return true;
}

#define CHECK(f, cmp, cond, exp_text, obs_text)                                                                        \
    do {                                                                                                               \
        (f)->runs[cmp]++;                                                                                              \
        if (!(cond))                                                                                                   \
            ftd_findings_add((f), (cmp), "mismatch", (exp_text).s, (obs_text).s);                                      \
    } while (0)

void ftd_compare_dispatch(const ftd_dispatch_outcome_t *e, const ftd_dispatch_outcome_t *o, ftd_findings_t *f) {
    CHECK(f, FTD_CMP_ERROR_CODE, e->status == o->status, t_status(e->status), t_status(o->status));
    f->runs[FTD_CMP_KEYSET]++;
    if (e->keyset != o->keyset || e->effective_keyset != o->effective_keyset || e->unknown_mask != o->unknown_mask) {
        char a[96], b[96];
        snprintf(a, sizeof a, "[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",\"0x%" PRIx64 "\"]", e->keyset, e->effective_keyset,
                 e->unknown_mask);
        snprintf(b, sizeof b, "[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",\"0x%" PRIx64 "\"]", o->keyset, o->effective_keyset,
                 o->unknown_mask);
        ftd_findings_add(f, FTD_CMP_KEYSET, "mismatch", a, b);
    }
    CHECK(f, FTD_CMP_SELECTED_KEY, e->selected_key == o->selected_key, t_key(e->selected_key), t_key(o->selected_key));
    CHECK(f, FTD_CMP_BACKEND_KEY, e->backend_key == o->backend_key, t_key(e->backend_key), t_key(o->backend_key));
    CHECK(f, FTD_CMP_KERNEL, strcmp(e->kernel, o->kernel) == 0, t_kernel(e->kernel), t_kernel(o->kernel));
    f->runs[FTD_CMP_ROUTE]++;
    if (!hops_equal(e, o)) {
        char a[FTD_FINDING_TEXT_MAX], b[FTD_FINDING_TEXT_MAX];
        route_text(e, a, sizeof a);
        route_text(o, b, sizeof b);
        ftd_findings_add(f, FTD_CMP_ROUTE, "mismatch", a, b);
    }
    CHECK(f, FTD_CMP_FALLBACK, e->fallback_used == o->fallback_used, t_bool(e->fallback_used),
          t_bool(o->fallback_used));
    CHECK(f, FTD_CMP_MODE_SPLIT, e->mode_split == o->mode_split, t_str(ft_mode_split_name(e->mode_split)),
          t_str(ft_mode_split_name(o->mode_split)));
    f->runs[FTD_CMP_OUTPUT]++;
    if (e->has_value != o->has_value || (e->has_value && (e->value_bits != o->value_bits || e->dtype != o->dtype))) {
        const text_t a = e->has_value ? t_hex(e->value_bits) : t_str(NULL),
                     b = o->has_value ? t_hex(o->value_bits) : t_str(NULL);
        ftd_findings_add(f, FTD_CMP_OUTPUT, e->dtype != o->dtype ? "dtype" : "bits", a.s, b.s);
    }
    if (e->has_value && o->has_value)
        CHECK(f, FTD_CMP_REQUIRES_GRAD, e->requires_grad == o->requires_grad, t_bool(e->requires_grad),
              t_bool(o->requires_grad));
}

/* Everything but the fields the allowlisted split may change. */
static bool same_apart_from_split(const ftd_dispatch_outcome_t *s, const ftd_dispatch_outcome_t *h) {
    return s->keyset == h->keyset && s->effective_keyset == h->effective_keyset && s->selected_key == h->selected_key &&
           s->backend_key == h->backend_key && strcmp(s->kernel, h->kernel) == 0 && hops_equal(s, h);
}

bool ftd_compare_mode_split(const ftd_dispatch_outcome_t *s, const ftd_dispatch_outcome_t *h, ftd_findings_t *f) {
    f->runs[FTD_CMP_MODE_SPLIT_POLICY]++;
    const bool allowlisted_split = s->status == FT_ECOMPOSITE_REJECTED && s->mode_split == FT_SPLIT_STRICT_FAIL &&
                                   !s->fallback_used && h->fallback_used &&
                                   h->mode_split == FT_SPLIT_HARDENED_FALLBACK && same_apart_from_split(s, h);
    if (allowlisted_split)
        return true;
    const bool identical = s->status == h->status && s->fallback_used == h->fallback_used &&
                           s->mode_split == h->mode_split && same_apart_from_split(s, h) &&
                           s->has_value == h->has_value && (!s->has_value || s->value_bits == h->value_bits) &&
                           !h->fallback_used;
    if (!identical) {
        char a[160], b[160];
        snprintf(a, sizeof a, "{\"status\":\"%s\",\"fallback_used\":%s,\"mode_split\":\"%s\"}",
                 ft_status_code(s->status), s->fallback_used ? "true" : "false", ft_mode_split_name(s->mode_split));
        snprintf(b, sizeof b, "{\"status\":\"%s\",\"fallback_used\":%s,\"mode_split\":\"%s\"}",
                 ft_status_code(h->status), h->fallback_used ? "true" : "false", ft_mode_split_name(h->mode_split));
        ftd_findings_add(f, FTD_CMP_MODE_SPLIT_POLICY, "unallowlisted_difference", a, b);
    }
    return false;
}

void ftd_compare_determinism(const void *a, const void *b, size_t size, ftd_findings_t *f) {
    f->runs[FTD_CMP_DETERMINISM]++;
    if (memcmp(a, b, size) != 0)
        ftd_findings_add(f, FTD_CMP_DETERMINISM, "not_deterministic", "\"run 1\"", "\"run 2 differs\"");
}

void ftd_compare_table(const ftd_table_outcome_t *e, const ftd_table_outcome_t *o, ftd_comparator_t c,
                       ftd_findings_t *f) {
    f->runs[c]++;
    if (e->status != o->status) {
        ftd_findings_add(f, c, "registration_status", t_status(e->status).s, t_status(o->status).s);
        return;
    }
    if (e->status != FT_OK)
        return;
    for (int k = 0; k < FT_KEY_ID_COUNT; k++) {
        const ftd_table_entry_t *x = &e->entries[k], *y = &o->entries[k];
        if (x->tag == y->tag && x->source == y->source && x->fallthrough == y->fallthrough)
            continue;
        char a[160], b[160];
        snprintf(a, sizeof a, "{\"key\":\"%s\",\"tag\":\"%s\",\"source\":\"%s\",\"fallthrough\":%s}",
                 ft_key_name((ft_key_t)k), ft_table_tag_name(x->tag),
                 ft_key_name(x->source) ? ft_key_name(x->source) : "?", x->fallthrough ? "true" : "false");
        snprintf(b, sizeof b, "{\"key\":\"%s\",\"tag\":\"%s\",\"source\":\"%s\",\"fallthrough\":%s}",
                 ft_key_name((ft_key_t)k), ft_table_tag_name(y->tag),
                 ft_key_name(y->source) ? ft_key_name(y->source) : "?", y->fallthrough ? "true" : "false");
        ftd_findings_add(f, c, "entry", a, b);
        return; /* the first differing entry says enough; the rest usually follow from it */
    }
}

void ftd_compare_keyset(const ftd_keyset_outcome_t *e, const ftd_keyset_outcome_t *o, ftd_findings_t *f) {
    static const struct {
        const char *name;
        size_t off;
        ftd_comparator_t cmp;
    } words[] = {
        {"union", offsetof(ftd_keyset_outcome_t, union_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"and", offsetof(ftd_keyset_outcome_t, and_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"xor", offsetof(ftd_keyset_outcome_t, xor_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"sub", offsetof(ftd_keyset_outcome_t, sub_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"add_key", offsetof(ftd_keyset_outcome_t, add_key_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"remove_key", offsetof(ftd_keyset_outcome_t, remove_key_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"key_bits", offsetof(ftd_keyset_outcome_t, key_bits), FTD_CMP_KEYSET_ALGEBRA},
        {"full_after", offsetof(ftd_keyset_outcome_t, full_after_bits), FTD_CMP_FULL_AFTER},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        uint64_t x, y;
        memcpy(&x, (const char *)e + words[i].off, sizeof x);
        memcpy(&y, (const char *)o + words[i].off, sizeof y);
        f->runs[words[i].cmp]++;
        if (x != y)
            ftd_findings_add(f, words[i].cmp, words[i].name, t_hex(x).s, t_hex(y).s);
    }
    CHECK(f, FTD_CMP_KEYSET_ALGEBRA, e->has_key == o->has_key, t_bool(e->has_key), t_bool(o->has_key));
    CHECK(f, FTD_CMP_PRIORITY, e->highest_functionality == o->highest_functionality, t_key(e->highest_functionality),
          t_key(o->highest_functionality));
    f->runs[FTD_CMP_PRIORITY]++;
    if (e->highest_backend != o->highest_backend) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%d", (int)e->highest_backend);
        snprintf(b, sizeof b, "%d", (int)o->highest_backend);
        ftd_findings_add(f, FTD_CMP_PRIORITY, "highest_backend", a, b);
    }
    CHECK(f, FTD_CMP_PRIORITY, e->highest_priority == o->highest_priority, t_key(e->highest_priority),
          t_key(o->highest_priority));
    CHECK(f, FTD_CMP_PRIORITY, e->highest_priority_backend == o->highest_priority_backend,
          t_key(e->highest_priority_backend), t_key(o->highest_priority_backend));
    CHECK(f, FTD_CMP_ROUND_TRIP, e->parse_status == o->parse_status && e->parse_bits == o->parse_bits,
          t_status(e->parse_status), t_status(o->parse_status));
    CHECK(f, FTD_CMP_VALIDATION, e->validate_status == o->validate_status, t_status(e->validate_status),
          t_status(o->validate_status));
}

void ftd_compare_program(const ftd_program_outcome_t *e, const ftd_program_outcome_t *o, size_t var_count,
                         ftd_findings_t *f) {
    f->runs[FTD_CMP_PROGRAM]++;
    if (e->ran != o->ran || (e->ran < var_count && e->failed_status != o->failed_status)) {
        char a[96], b[96];
        snprintf(a, sizeof a, "{\"ran\":%zu,\"status\":\"%s\"}", e->ran, ft_status_code(e->failed_status));
        snprintf(b, sizeof b, "{\"ran\":%zu,\"status\":\"%s\"}", o->ran, ft_status_code(o->failed_status));
        ftd_findings_add(f, FTD_CMP_PROGRAM, "ops_ran", a, b);
        return;
    }
    for (size_t v = 0; v < var_count; v++) {
        if (e->value_bits[v] != o->value_bits[v] || e->requires_grad[v] != o->requires_grad[v]) {
            char a[96], b[96];
            snprintf(a, sizeof a, "{\"var\":%zu,\"bits\":\"0x%" PRIx64 "\",\"requires_grad\":%s}", v, e->value_bits[v],
                     e->requires_grad[v] ? "true" : "false");
            snprintf(b, sizeof b, "{\"var\":%zu,\"bits\":\"0x%" PRIx64 "\",\"requires_grad\":%s}", v, o->value_bits[v],
                     o->requires_grad[v] ? "true" : "false");
            ftd_findings_add(f, FTD_CMP_PROGRAM, "value", a, b);
            return; /* the first op that differs; later ones follow from it */
        }
    }
}

bool ftd_close(double observed, double expected, double atol, double rtol) {
    if (isnan(observed) || isnan(expected))
        return isnan(observed) && isnan(expected);
    if (isinf(observed) || isinf(expected))
        return observed == expected;
    return fabs(observed - expected) <= atol + rtol * fabs(expected);
}
