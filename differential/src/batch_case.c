/* Batch fixture lines (ftdiff/batch_case.h): validation and matching. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftdiff/batch_case.h"

typedef struct {
    bool subset;
    bool tolerant; /* a tolerance was given */
    double ulps, rel;
    bool f32;
} rule_t;

static bool number_text(const json_t *v, double *out) {
    const char *s = json_string_value(v);
    char *end;
    if (!s || !s[0] || strncmp(s, "0x", 2) == 0)
        return false;
    *out = strtod(s, &end);
    return *end == '\0';
}

static bool close_enough(double want, double got, const rule_t *r) {
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (want == got)
        return signbit(want) == signbit(got) || want != 0;
    if (isinf(want) || isinf(got))
        return false;
    const double ulp = r->f32 ? (double)(nextafterf((float)fabs(want), INFINITY) - (float)fabs(want))
                              : nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(want - got) <= r->ulps * ulp || (!r->f32 && fabs(want - got) <= r->rel * fabs(want));
}

/* `expect` against `got` under rule `r`; `numeric`: inside "value" or "grads". */
static bool matches_in(const json_t *expect, const json_t *got, const rule_t *r, bool numeric) {
    double w, g;
    if (numeric && r->tolerant && number_text(expect, &w) && number_text(got, &g))
        return close_enough(w, g, r);
    if (json_is_object(expect)) {
        const char *key;
        const json_t *v;
        if (!json_is_object(got))
            return false;
        json_object_foreach((json_t *)expect, key, v) {
            const bool num = strcmp(key, "value") == 0 || strcmp(key, "grads") == 0;
            if (!matches_in(v, json_object_get(got, key), r, num))
                return false;
        }
        if (!r->subset) { /* nothing in the answer that the fixture does not have */
            json_object_foreach((json_t *)got, key, v) {
                if (!json_object_get(expect, key) && strcmp(key, "message") != 0)
                    return false;
            }
        }
        return true;
    }
    if (json_is_array(expect)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(expect))
            return false;
        for (size_t i = 0; i < json_array_size(expect); i++)
            if (!matches_in(json_array_get(expect, i), json_array_get(got, i), r, numeric))
                return false;
        return true;
    }
    return got != NULL && json_equal((json_t *)expect, (json_t *)got);
}

/* A tolerance member: a finite number >= 0 (a negative or NaN bound would make
 * every comparison fail, an infinite one every comparison pass). */
static bool bound_ok(const json_t *v) {
    return json_is_number(v) && isfinite(json_number_value(v)) && json_number_value(v) >= 0;
}

/* Checks a parsed fixture line completely. Returns NULL when it is a case, else
 * why not (in `why`, caller's buffer). */
const char *ftd_batch_case_invalid(const json_t *c, char *why, size_t cap) {
    static const char *const known[] = {"query", "expect", "match", "tolerance", "id"};
    const char *key;
    const json_t *v;
    if (!json_is_object(c))
        return "a fixture line must be a JSON object";
    json_object_foreach((json_t *)c, key, v) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(key, known[i]) != 0)
            i++;
        if (i == sizeof known / sizeof known[0]) {
            /* a misspelt "tolerance" or "match" would otherwise silently not apply */
            snprintf(why, cap, "unknown field \"%.60s\" (known: query, expect, match, tolerance, id)", key);
            return why;
        }
    }
    if (!json_is_object(json_object_get(c, "query")) || !json_is_object(json_object_get(c, "expect")))
        return "fixture line lacks query/expect objects";
    const json_t *m = json_object_get(c, "match"), *id = json_object_get(c, "id");
    if (m && !(json_is_string(m) && strcmp(json_string_value(m), "subset") == 0))
        return "\"match\" must be \"subset\" when present";
    if (id && !json_is_string(id))
        return "\"id\" must be a string when present";
    const json_t *tol = json_object_get(c, "tolerance");
    if (tol && (!json_is_object(tol) || json_object_size(tol) != 2 || !bound_ok(json_object_get(tol, "ulps")) ||
                !bound_ok(json_object_get(tol, "rel"))))
        return "\"tolerance\" must be {\"ulps\": N, \"rel\": R} with finite N, R >= 0";
    return NULL;
}

/* Applies the case's own rule (subset, tolerance, error-code judgement). */
static rule_t rule_of(const json_t *c) {
    const json_t *expect = json_object_get(c, "expect"), *query = json_object_get(c, "query");
    const json_t *tol = json_object_get(c, "tolerance");
    const char *dtype = json_string_value(json_object_get(query, "dtype"));
    const rule_t r = {json_is_string(json_object_get(c, "match")) || json_is_string(json_object_get(expect, "error")),
                      json_is_object(tol), json_number_value(json_object_get(tol, "ulps")),
                      json_number_value(json_object_get(tol, "rel")), dtype && strcmp(dtype, "f32") == 0};
    return r;
}

bool ftd_batch_case_matches(const json_t *c, const json_t *got) {
    const rule_t r = rule_of(c);
    return matches_in(json_object_get(c, "expect"), got, &r, false);
}

/* Descends to the first place where `expect` and `got` part under the rule. */
static void first_difference(const json_t *expect, const json_t *got, const rule_t *r, bool numeric, char *path,
                             size_t cap, const json_t **e_out, const json_t **g_out) {
    const size_t len = strlen(path);
    if (json_is_object(expect) && json_is_object(got)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)expect, key, v) {
            const bool num = strcmp(key, "value") == 0 || strcmp(key, "grads") == 0;
            if (!matches_in(v, json_object_get(got, key), r, num)) {
                snprintf(path + len, cap - len, ".%s", key);
                first_difference(v, json_object_get(got, key), r, num, path, cap, e_out, g_out);
                return;
            }
        }
        if (!r->subset)
            json_object_foreach((json_t *)got, key, v) {
                if (!json_object_get(expect, key) && strcmp(key, "message") != 0) {
                    snprintf(path + len, cap - len, ".%s", key);
                    *e_out = NULL, *g_out = v;
                    return;
                }
            }
    } else if (json_is_array(expect) && json_is_array(got) && json_array_size(expect) == json_array_size(got)) {
        for (size_t i = 0; i < json_array_size(expect); i++)
            if (!matches_in(json_array_get(expect, i), json_array_get(got, i), r, numeric)) {
                snprintf(path + len, cap - len, "[%zu]", i);
                first_difference(json_array_get(expect, i), json_array_get(got, i), r, numeric, path, cap, e_out,
                                 g_out);
                return;
            }
    }
    *e_out = expect, *g_out = got;
}

void ftd_batch_case_difference(const json_t *c, const json_t *got, char *buf, size_t cap, char *expected,
                               char *observed, size_t text_cap) {
    const rule_t r = rule_of(c);
    const json_t *e = NULL, *g = NULL;
    buf[0] = '\0';
    first_difference(json_object_get(c, "expect"), got, &r, false, buf, cap, &e, &g);
    char *et = e ? json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
    char *gt = g ? json_dumps(g, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
    /* a JSON text cut in the middle is no JSON: too long is said, not cut */
    snprintf(expected, text_cap, "%s", !et ? "null" : strlen(et) < text_cap ? et : "\"(too long)\"");
    snprintf(observed, text_cap, "%s", !gt ? "null" : strlen(gt) < text_cap ? gt : "\"(too long)\"");
    free(et);
    free(gt);
}
