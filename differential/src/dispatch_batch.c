/* ft-dispatch's batch interface: JSON query in, JSON answer out.
 *
 * An answer is NULL only when memory ran out: every other failure, however
 * hostile the line, is an error answer. Two things make that hold: messages that
 * quote caller bytes are repaired to valid UTF-8 before they reach jansson (its
 * "s" conversion refuses invalid UTF-8 with a NULL indistinguishable from out of
 * memory), and every json_pack conversion matches its argument's type (checked by
 * review: jansson has no compile-time check of its format strings). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ftdiff/dispatch_batch.h"

struct ftd_batch {
    ft_registry_t *registry;
    bool allow_unknown_fields;
};

ftd_batch_t *ftd_batch_new(void) {
    ftd_batch_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (ft_registry_new(&b->registry) != FT_OK) {
        free(b);
        return NULL;
    }
    return b;
}

void ftd_batch_free(ftd_batch_t *b) {
    if (!b)
        return;
    ft_registry_free(b->registry);
    free(b);
}

const ft_registry_t *ftd_batch_registry(const ftd_batch_t *b) {
    return b->registry;
}

void ftd_batch_allow_unknown_fields(ftd_batch_t *b, bool allow) {
    b->allow_unknown_fields = allow;
}

json_t *ftd_json_text(const char *s, size_t n) {
    char small[512]; /* every message the interface builds fits; longer text goes to the heap */
    const size_t need = ft_utf8_repair(s, n, NULL, 0);
    char *buf = need < sizeof small ? small : malloc(need + 1);
    if (!buf)
        return NULL;
    ft_utf8_repair(s, n, buf, need + 1);
    json_t *j = json_stringn(buf, need);
    if (buf != small)
        free(buf);
    return j;
}

/* `code` is always one of our own ASCII words; `message` may quote caller bytes
 * (jansson's parse errors cite the input near the error, cutting a multibyte
 * character wherever its excerpt ends), so it goes through the one repair rule. */
static json_t *error_answer(const char *code, const char *message) {
    return json_pack("{s:s, s:o}", "error", code, "message", ftd_json_text(message, strlen(message)));
}

static json_t *status_answer(ft_status st, const char *detail) {
    return error_answer(ft_status_code(st), detail && detail[0] ? detail : ft_strerror(st));
}

static json_t *key_json(ft_key_t k) {
    const char *name = ft_key_name(k);
    return name ? json_string(name) : json_null();
}

json_t *ftd_keyset_json(ft_keyset_t ks) {
    char hex[19], repr[FT_KEYSET_TEXT_MAX];
    ft_keyset_format(ks, repr, sizeof repr);
    ft_key_t top = ft_keyset_highest_priority_type_id(ks);
    return json_pack("{s:s, s:s, s:o, s:I, s:o}", "raw", ft_keyset_format_hex(ks, hex), "repr", repr, "highest_type",
                     key_json(top), "highest_type_id", (json_int_t)top, "highest_backend_type",
                     key_json(ft_keyset_highest_priority_backend_type_id(ks)));
}

json_t *ftd_decision_json(const ft_decision_t *d) {
    char in[19], eff[19], msg[256];
    json_t *route = json_array();
    for (size_t i = 0; i < d->hop_count && route; i++) {
        const ft_hop_t *h = &d->hops[i];
        /* a hop that cannot be built means memory ran out: no route, so no answer */
        if (json_array_append_new(route, json_pack("{s:s, s:s, s:s, s:b, s:o}", "key", ft_key_name(h->key), "source",
                                                   ft_table_source_name(h->tag, h->source), "tag",
                                                   ft_table_tag_name(h->tag), "fallthrough", h->fallthrough, "kernel",
                                                   h->kernel_name ? json_string(h->kernel_name) : json_null())) != 0) {
            json_decref(route);
            route = NULL;
        }
    }
    ft_decision_message(d, msg, sizeof msg);
    return json_pack(
        "{s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:s, s:o, s:s, s:s}", "op", d->op, "mode",
        ft_mode_name(d->mode), "explicit_keyset", d->explicit_keyset, "keyset_bits",
        ft_keyset_format_hex(d->keyset, in), "effective_keyset_bits", ft_keyset_format_hex(d->effective_keyset, eff),
        "selected_key", key_json(d->selected_key), "backend_key", key_json(d->backend_key), "route", route, "kernel",
        d->kernel ? json_string(d->kernel) : json_null(), "fallback_used", d->fallback_used, "mode_split",
        ft_mode_split_name(d->mode_split), "allowlist_id", d->allowlist_id ? json_string(d->allowlist_id) : json_null(),
        "reason_code", ft_status_code(d->status), "message", msg);
}

/* --- field helpers ---------------------------------------------------------- */

/* Parses a keyset text field. On failure *answer is the error answer. */
static bool get_keyset(const json_t *q, const char *field, ft_keyset_t *out, json_t **answer) {
    const json_t *v = json_object_get(q, field);
    if (!json_is_string(v)) {
        char m[96];
        snprintf(m, sizeof m, "field \"%s\" must be a keyset text (string)", field);
        *answer = error_answer("bad_query", m);
        return false;
    }
    ft_parse_error_t err;
    ft_status st = ft_keyset_parse(json_string_value(v), json_string_length(v), out, &err);
    if (st != FT_OK) {
        *answer = status_answer(st, err.text);
        if (st == FT_EUNKNOWN_BITS) {
            char hex[19];
            json_object_set_new(*answer, "unknown_mask",
                                json_string(ft_keyset_format_hex(ft_keyset_from_raw(err.unknown_mask), hex)));
        }
        return false;
    }
    return true;
}

static bool get_key_name(const json_t *q, const char *field, ft_key_t *out, json_t **answer) {
    const json_t *v = json_object_get(q, field);
    if (!json_is_string(v)) {
        char m[96];
        snprintf(m, sizeof m, "field \"%s\" must be a key name (string)", field);
        *answer = error_answer("bad_query", m);
        return false;
    }
    ft_status st = ft_key_from_name_n(json_string_value(v), json_string_length(v), out);
    if (st != FT_OK) {
        *answer = status_answer(st, NULL);
        return false;
    }
    return true;
}

/* --- query kinds -------------------------------------------------------------- */

static json_t *q_keyset(ftd_batch_t *b, const json_t *q) {
    (void)b;
    ft_keyset_t ks;
    json_t *a;
    return get_keyset(q, "keyset", &ks, &a) ? ftd_keyset_json(ks) : a;
}

static json_t *q_binop(ftd_batch_t *b, const json_t *q) {
    (void)b;
    ft_keyset_t x, y;
    json_t *ans;
    const char *op = json_string_value(json_object_get(q, "op"));
    if (!op)
        return error_answer("bad_query", "field \"op\" must be one of or, and, sub, xor");
    if (!get_keyset(q, "a", &x, &ans) || !get_keyset(q, "b", &y, &ans))
        return ans;
    if (strcmp(op, "or") == 0)
        return ftd_keyset_json(ft_keyset_or(x, y));
    if (strcmp(op, "and") == 0)
        return ftd_keyset_json(ft_keyset_and(x, y));
    if (strcmp(op, "sub") == 0)
        return ftd_keyset_json(ft_keyset_sub(x, y));
    if (strcmp(op, "xor") == 0)
        return ftd_keyset_json(ft_keyset_xor(x, y));
    return error_answer("bad_query", "field \"op\" must be one of or, and, sub, xor");
}

static json_t *q_has(ftd_batch_t *b, const json_t *q) {
    (void)b;
    ft_keyset_t ks;
    ft_key_t k;
    json_t *a;
    if (!get_keyset(q, "keyset", &ks, &a) || !get_key_name(q, "key", &k, &a))
        return a;
    return json_pack("{s:b}", "has", ft_keyset_has(ks, k));
}

static json_t *q_full_after(ftd_batch_t *b, const json_t *q) {
    (void)b;
    ft_key_t k;
    json_t *a;
    return get_key_name(q, "key", &k, &a) ? ftd_keyset_json(ft_keyset_full_after(k)) : a;
}

static json_t *q_key(ftd_batch_t *b, const json_t *q) {
    (void)b;
    const json_t *id = json_object_get(q, "id"), *name = json_object_get(q, "name");
    ft_key_t k;
    if ((id != NULL) == (name != NULL))
        return error_answer("bad_query", "give exactly one of \"id\" (integer) and \"name\" (string)");
    if (id) {
        if (!json_is_integer(id))
            return error_answer("bad_query", "field \"id\" must be an integer");
        json_int_t v = json_integer_value(id);
        if (v < 0 || v >= FT_KEY_ID_COUNT)
            return status_answer(FT_EUNKNOWN_KEY_ID, NULL);
        k = (ft_key_t)v;
    } else {
        json_t *a;
        if (!get_key_name(q, "name", &k, &a))
            return a;
    }
    return json_pack("{s:I, s:s}", "id", (json_int_t)k, "name", ft_key_name(k));
}

/* The keys of field "registrations" (key names, at most FT_KEY_ID_COUNT; at
 * least one if `nonempty`) into keys[0..*n). On failure *answer is the error
 * answer. */
static bool get_registration_keys(const json_t *q, bool nonempty, ft_key_t keys[FT_KEY_ID_COUNT], size_t *n,
                                  json_t **answer) {
    const json_t *regs = json_object_get(q, "registrations");
    if (!json_is_array(regs) || (nonempty && json_array_size(regs) == 0)) {
        *answer = error_answer("bad_query", nonempty ? "field \"registrations\" must be a non-empty array of key names"
                                                     : "field \"registrations\" must be an array of key names");
        return false;
    }
    *n = json_array_size(regs);
    if (*n > FT_KEY_ID_COUNT) {
        *answer = error_answer("bad_query", "too many registrations");
        return false;
    }
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(regs, i);
        if (!json_is_string(v)) {
            *answer = error_answer("bad_query", "registrations must be key names (strings)");
            return false;
        }
        const ft_status st = ft_key_from_name_n(json_string_value(v), json_string_length(v), &keys[i]);
        if (st != FT_OK) {
            *answer = status_answer(st, NULL);
            return false;
        }
    }
    return true;
}

static json_t *q_table(ftd_batch_t *b, const json_t *q) {
    (void)b;
    ft_key_t keys[FT_KEY_ID_COUNT];
    size_t n;
    json_t *a;
    if (!get_registration_keys(q, false, keys, &n, &a))
        return a;
    const ft_key_t *runtime;
    size_t count = ft_key_runtime_list(&runtime);
    json_t *entries = json_object();
    for (size_t i = 0; i < count; i++) {
        ft_table_entry_t e;
        ft_status st = ft_table_compute_entry(keys, n, runtime[i], &e);
        if (st != FT_OK) {
            json_decref(entries);
            return status_answer(st, "registrations must be runtime keys (not Undefined, a placeholder or a "
                                     "per-backend functionality) or alias keys");
        }
        if (json_object_set_new(entries, ft_key_name(runtime[i]),
                                json_pack("{s:s, s:s, s:b}", "source", ft_table_source_name(e.tag, e.source), "tag",
                                          ft_table_tag_name(e.tag), "fallthrough", e.fallthrough)) != 0) {
            json_decref(entries); /* out of memory: no partial table */
            return NULL;
        }
    }
    return json_pack("{s:o}", "entries", entries);
}

/* The explicit keyset of a dispatch query, parsed with its unknown bits kept, so
 * the dispatcher's own validation judges them and the decision records the
 * offending mask (the adversarial case the explicit entry point exists for). */
static bool get_raw_keyset(const json_t *q, ft_keyset_t *out, json_t **answer) {
    const json_t *v = json_object_get(q, "keyset");
    if (!json_is_string(v)) {
        *answer = error_answer("bad_query", "field \"keyset\" must be a keyset text (string)");
        return false;
    }
    ft_parse_error_t err;
    ft_status st = ft_keyset_parse_raw(json_string_value(v), json_string_length(v), out, &err);
    if (st != FT_OK) {
        *answer = status_answer(st, err.text);
        return false;
    }
    return true;
}

/* A number, or text strtod reads in full ("nan", "-inf", "-0", "0x1p-1074"). */
static bool parse_value(const json_t *v, double *out) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    if (!s[0] || strlen(s) != json_string_length(v))
        return false;
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return *end == '\0';
}

static bool get_scalar(const json_t *q, const char *field, ft_scalar_t *t, json_t **answer) {
    const json_t *o = json_object_get(q, field);
    char m[160];
    *t = ft_scalar_make(0, FT_DTYPE_F64, FT_BACKEND_CPU, false); /* every field set; the query changes some */
    if (!json_is_object(o)) {
        snprintf(
            m, sizeof m,
            "field \"%s\" must be an object {\"value\":X, \"dtype\", \"device\", \"requires_grad\", \"inference\"}",
            field);
        goto bad;
    }
    if (!parse_value(json_object_get(o, "value"), &t->value)) {
        snprintf(m, sizeof m, "%s.value must be a number or a number text (\"nan\", \"-inf\", \"-0\", ...)", field);
        goto bad;
    }
    const json_t *dt = json_object_get(o, "dtype"), *dev = json_object_get(o, "device"),
                 *rg = json_object_get(o, "requires_grad");
    if (dt && (!json_is_string(dt) || ft_dtype_from_name(json_string_value(dt), &t->dtype) != FT_OK)) {
        snprintf(m, sizeof m, "%s.dtype must be \"f64\" or \"f32\"", field);
        goto bad;
    }
    if (dev) {
        bool found = false;
        for (int b = FT_BACKEND_CPU; b <= FT_BACKEND_COUNT && json_is_string(dev); b++) {
            if (strcmp(json_string_value(dev), ft_backend_name((ft_backend_t)b)) == 0) {
                t->device = (ft_backend_t)b;
                found = true;
            }
        }
        if (!found) {
            snprintf(m, sizeof m, "%s.device must be a backend component name (CPU, CUDA, ...)", field);
            goto bad;
        }
    }
    if (rg) {
        if (!json_is_boolean(rg)) {
            snprintf(m, sizeof m, "%s.requires_grad must be a boolean", field);
            goto bad;
        }
        t->requires_grad = json_is_true(rg);
    }
    const json_t *inf = json_object_get(o, "inference");
    if (inf) {
        if (!json_is_boolean(inf)) {
            snprintf(m, sizeof m, "%s.inference must be a boolean", field);
            goto bad;
        }
        t->inference = json_is_true(inf);
    }
    if (t->dtype == FT_DTYPE_F32)
        t->value = (double)(float)t->value; /* as torch.tensor(x, dtype=float32) rounds */
    return true;
bad:
    *answer = error_answer("bad_query", m);
    return false;
}

static json_t *value_json(const ft_scalar_t *v, bool have) {
    char text[40], bits[24];
    if (!have)
        return json_pack("{s:n, s:n}", "value", "value_bits");
    if (v->dtype == FT_DTYPE_F32) {
        float f = (float)v->value;
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        snprintf(bits, sizeof bits, "0x%08x", (unsigned)u);
    } else {
        uint64_t u;
        memcpy(&u, &v->value, sizeof u);
        snprintf(bits, sizeof bits, "0x%016llx", (unsigned long long)u);
    }
    return json_pack("{s:s, s:s}", "value", (ft_value_format(v->value, text, sizeof text), text), "value_bits", bits);
}

/* The dispatch context of a query: the default one changed by the fields
 * "mode", "grad_mode", "profile", "inference_mode", "include" and "exclude". */
static bool get_context(const json_t *q, ft_dispatch_ctx_t *ctx, json_t **answer) {
    const char *mode = json_string_value(json_object_get(q, "mode"));
    const json_t *gm = json_object_get(q, "grad_mode");
    const json_t *p = json_object_get(q, "profile"), *im = json_object_get(q, "inference_mode");
    ft_dispatch_ctx_init(ctx);
    *answer = NULL;
    if (json_object_get(q, "mode") && (!mode || ft_mode_from_name(mode, &ctx->mode) != FT_OK))
        *answer = error_answer("bad_query", "field \"mode\" must be \"strict\" or \"hardened\"");
    else if (gm && !json_is_boolean(gm))
        *answer = error_answer("bad_query", "field \"grad_mode\" must be a boolean");
    else if (p && (!json_is_string(p) || ft_profile_from_name(json_string_value(p), &ctx->profile) != FT_OK))
        *answer = error_answer("bad_query", "field \"profile\" must be \"packet\" or \"c10\"");
    else if (im && !json_is_boolean(im))
        *answer = error_answer("bad_query", "field \"inference_mode\" must be a boolean");
    if (*answer)
        return false;
    if (gm)
        ctx->grad_mode = json_is_true(gm);
    if (im)
        ctx->inference_mode = json_is_true(im);
    if (json_object_get(q, "include") && !get_keyset(q, "include", &ctx->include, answer))
        return false;
    if (json_object_get(q, "exclude") && !get_keyset(q, "exclude", &ctx->exclude, answer))
        return false;
    return true;
}

static json_t *q_dispatch(ftd_batch_t *b, const json_t *q) {
    const char *opname = json_string_value(json_object_get(q, "op"));
    const ft_op_t *op;
    ft_dispatch_ctx_t ctx;
    json_t *a;
    if (!opname)
        return error_answer("bad_query", "field \"op\" must be an operator name");
    if (ft_registry_find(b->registry, opname, &op) != FT_OK)
        return status_answer(FT_EUNKNOWN_OP, NULL);
    if (!get_context(q, &ctx, &a))
        return a;

    const bool explicit_keyset = json_object_get(q, "keyset") != NULL;
    const bool has_operands = json_object_get(q, "lhs") || json_object_get(q, "rhs");
    ft_keyset_t ks = {0};
    ft_scalar_t lhs, rhs, out = ft_scalar_make(0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    if (explicit_keyset && !get_raw_keyset(q, &ks, &a))
        return a;
    if ((has_operands || !explicit_keyset) && (!get_scalar(q, "lhs", &lhs, &a) || !get_scalar(q, "rhs", &rhs, &a)))
        return a;

    ft_decision_t d;
    ft_status st;
    bool ran = false;
    if (explicit_keyset && !has_operands) {
        st = ft_dispatch_route(&ctx, op, ks, &d);
    } else {
        st = explicit_keyset ? ft_dispatch_binary_with_keyset(&ctx, op, ks, &lhs, &rhs, &out, &d)
                             : ft_dispatch_binary(&ctx, op, &lhs, &rhs, &out, &d);
        ran = st == FT_OK;
    }
    json_t *ans =
        json_pack("{s:b, s:o, s:o}", "ok", st == FT_OK, "error",
                  st == FT_OK ? json_null() : json_string(ft_status_code(st)), "decision", ftd_decision_json(&d));
    json_t *value = value_json(&out, ran);
    if (!value || json_object_update(ans, value) != 0) { /* out of memory: never an answer without its value */
        json_decref(ans);
        ans = NULL;
    }
    json_decref(value);
    return ans;
}

/* --- grad ------------------------------------------------------------------ */

enum { GRAD_MAX_LEAVES = 4096, GRAD_MAX_STEPS = 65536 };

static json_t *text_json(double v) {
    char text[40];
    ft_value_format(v, text, sizeof text);
    return json_string(text);
}

static json_t *grad_failure(ft_status st, json_t *extra) {
    json_t *a = json_pack("{s:b, s:s, s:s}", "ok", false, "error", ft_status_code(st), "message", ft_strerror(st));
    if (!extra || json_object_update(a, extra) != 0) { /* `extra` is NULL only when memory ran out */
        json_decref(a);
        a = NULL;
    }
    json_decref(extra);
    return a;
}

/* Builds the program on a fresh tape, runs backward from the root, answers the
 * root's value and every leaf's gradient. `index_var` maps query indices
 * (leaves, then step outputs) to tape variables. */
static json_t *run_grad(ftd_batch_t *b, const json_t *q, ft_dispatch_ctx_t *ctx, ft_dtype_t dtype, ft_tape_t *tape,
                        ft_var_t *index_var) {
    const json_t *leaves = json_object_get(q, "leaves"), *program = json_object_get(q, "program");
    const size_t nleaves = json_array_size(leaves), nsteps = json_array_size(program);
    char m[160];
    for (size_t j = 0; j < nleaves; j++) {
        const json_t *leaf = json_array_get(leaves, j), *rg = json_object_get(leaf, "requires_grad");
        double v;
        if (!json_is_object(leaf) || !parse_value(json_object_get(leaf, "value"), &v) || (rg && !json_is_boolean(rg))) {
            snprintf(m, sizeof m, "leaves[%zu] must be {\"value\": X, \"requires_grad\": bool}", j);
            return error_answer("bad_query", m);
        }
        if (dtype == FT_DTYPE_F32)
            v = (double)(float)v;
        const ft_scalar_t s = ft_scalar_make(v, dtype, FT_BACKEND_CPU, json_is_true(rg));
        ft_status st = ft_tape_leaf(tape, &s, &index_var[j]);
        if (st != FT_OK)
            return status_answer(st, NULL);
    }
    for (size_t k = 0; k < nsteps; k++) {
        const json_t *step = json_array_get(program, k);
        const char *opname = json_string_value(json_object_get(step, "op"));
        const json_t *l = json_object_get(step, "lhs"), *r = json_object_get(step, "rhs");
        const size_t limit = nleaves + k;
        if (!opname || !json_is_integer(l) || !json_is_integer(r) || json_integer_value(l) < 0 ||
            json_integer_value(r) < 0 || (size_t)json_integer_value(l) >= limit ||
            (size_t)json_integer_value(r) >= limit) {
            snprintf(m, sizeof m, "program[%zu] must be {\"op\": NAME, \"lhs\": I, \"rhs\": I} with I < %zu", k, limit);
            return error_answer("bad_query", m);
        }
        const ft_op_t *op;
        ft_status st = ft_registry_find(b->registry, opname, &op);
        if (st == FT_OK)
            st = ft_tape_apply(tape, ctx, op, index_var[json_integer_value(l)], index_var[json_integer_value(r)],
                               &index_var[limit], NULL);
        if (st != FT_OK)
            return grad_failure(st, json_pack("{s:I}", "step", (json_int_t)k));
    }
    const json_t *root = json_object_get(q, "root");
    if (!json_is_integer(root) || json_integer_value(root) < 0 || (size_t)json_integer_value(root) >= nleaves + nsteps)
        return error_answer("bad_query", "field \"root\" must be an index of a leaf or a program step");
    const ft_var_t rv = index_var[json_integer_value(root)];
    ft_scalar_t value;
    ft_tape_value(tape, rv, &value);
    ft_backward_report_t report;
    ft_status st = ft_tape_backward(tape, rv, NULL, &report);
    if (st != FT_OK)
        return grad_failure(st, json_pack("{s:o}", "value", text_json(value.value)));
    /* A failed append means memory ran out; the array is dropped so the answer
     * is NULL rather than a list short of some entries. */
    json_t *grads = json_array();
    for (size_t j = 0; j < nleaves && grads; j++) {
        double g;
        bool defined;
        ft_tape_grad(tape, index_var[j], &g, &defined);
        if (json_array_append_new(grads, defined ? text_json(g) : json_null()) != 0)
            json_decref(grads), grads = NULL;
    }
    json_t *order = json_array();
    for (size_t i = 0; i < report.steps && order; i++)
        if (json_array_append_new(order, json_integer(report.order[i])) != 0)
            json_decref(order), order = NULL;
    return json_pack("{s:b, s:n, s:o, s:o, s:o}", "ok", true, "error", "value", text_json(value.value), "grads", grads,
                     "order", order);
}

static json_t *q_grad(ftd_batch_t *b, const json_t *q) {
    const char *mode = json_string_value(json_object_get(q, "mode"));
    const char *dt = json_string_value(json_object_get(q, "dtype"));
    const json_t *leaves = json_object_get(q, "leaves"), *program = json_object_get(q, "program");
    ft_dispatch_ctx_t ctx;
    ft_dtype_t dtype = FT_DTYPE_F64;
    ft_dispatch_ctx_init(&ctx);
    if (json_object_get(q, "mode") && (!mode || ft_mode_from_name(mode, &ctx.mode) != FT_OK))
        return error_answer("bad_query", "field \"mode\" must be \"strict\" or \"hardened\"");
    if (json_object_get(q, "dtype") && (!dt || ft_dtype_from_name(dt, &dtype) != FT_OK))
        return error_answer("bad_query", "field \"dtype\" must be \"f64\" or \"f32\"");
    if (!json_is_array(leaves) || !json_is_array(program) || json_array_size(leaves) == 0 ||
        json_array_size(leaves) > GRAD_MAX_LEAVES || json_array_size(program) > GRAD_MAX_STEPS)
        return error_answer("bad_query", "\"leaves\" (1..4096) and \"program\" (0..65536) must be arrays");
    ft_tape_t *tape;
    ft_var_t *index_var = malloc((json_array_size(leaves) + json_array_size(program)) * sizeof *index_var);
    if (!index_var || ft_tape_new(&tape) != FT_OK) {
        free(index_var);
        return status_answer(FT_ENOMEM, NULL);
    }
    json_t *answer = run_grad(b, q, &ctx, dtype, tape, index_var);
    ft_tape_free(tape);
    free(index_var);
    return answer;
}

/* --- probe ----------------------------------------------------------------- */

/* The probe operator: a kernel that adds on every registered key but the
 * autograd ones, which get the autograd wrapper with add's derivative (what runs
 * is what the answer reports, as torch's recording probe logs it). */
static ft_status probe_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                              ft_scalar_t *out) {
    (void)call;
    out->value = a->value + b->value;
    return FT_OK;
}

static ft_status probe_backward(const ft_backward_args_t *args, double *ga, double *gb, void *payload) {
    (void)payload;
    *ga = args->grad;
    *gb = args->grad;
    return FT_OK;
}

static json_t *keyset_json(const char *bits_name, const char *repr_name, ft_keyset_t ks) {
    char hex[19], repr[FT_KEYSET_TEXT_MAX];
    ft_keyset_format(ks, repr, sizeof repr);
    return json_pack("{s:s, s:s}", bits_name, ft_keyset_format_hex(ks, hex), repr_name, repr);
}

static json_t *probe_answer(const ft_op_t *op, const ft_dispatch_ctx_t *ctx, const ft_scalar_t *lhs,
                            const ft_scalar_t *rhs) {
    ft_keyset_t lk, rk, inc, exc, eff;
    ft_status st = ft_dispatch_operand_keyset(ctx, lhs, &lk);
    st = st ? st : ft_dispatch_operand_keyset(ctx, rhs, &rk);
    st = st ? st : ft_dispatch_context_sets(ctx, &inc, &exc);
    st = st ? st : ft_dispatch_compute_keyset(ctx, lhs, rhs, NULL, &eff);
    if (st != FT_OK)
        return status_answer(st, NULL);
    ft_tape_t *tape = NULL;
    ft_var_t va = 0, vb = 0, r = 0;
    ft_decision_t d;
    d.hop_count = 0;
    d.status = FT_OK; /* set by the dispatch, if the call gets that far */
    if (ft_tape_new(&tape) != FT_OK)
        return NULL;
    st = ft_tape_leaf(tape, lhs, &va);
    st = st ? st : ft_tape_leaf(tape, rhs, &vb);
    if (st == FT_ENOMEM) {
        ft_tape_free(tape);
        return NULL;
    }
    st = st ? st : ft_tape_apply(tape, ctx, op, va, vb, &r, &d);
    json_t *route = json_array(), *result = json_null();
    for (size_t i = 0; route && i < d.hop_count; i++)
        if (!d.hops[i].fallthrough && json_array_append_new(route, json_string(ft_key_name(d.hops[i].key))) != 0) {
            json_decref(route);
            route = NULL;
        }
    if (st == FT_OK) {
        ft_scalar_t v;
        ft_tape_value(tape, r, &v);
        /* a node exactly when backward from the result runs (torch: grad_fn) */
        const bool node = v.requires_grad && ft_tape_backward(tape, r, NULL, NULL) == FT_OK;
        result =
            json_pack("{s:b, s:b, s:b}", "requires_grad", v.requires_grad, "inference", v.inference, "grad_fn", node);
    }
    ft_tape_free(tape);
    char ihex[19], xhex[19], ehex[19], erepr[FT_KEYSET_TEXT_MAX];
    ft_keyset_format(eff, erepr, sizeof erepr);
    /* json_pack takes every "o" value, even when it fails (a NULL route or
     * result, or out of memory, fails it): no other cleanup */
    json_t *a = json_pack("{s:b, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:o}", "ok", st == FT_OK, "error",
                          st == FT_OK ? json_null() : json_string(ft_status_code(st)), "lhs",
                          keyset_json("keyset_bits", "keyset", lk), "rhs", keyset_json("keyset_bits", "keyset", rk),
                          "include_bits", ft_keyset_format_hex(inc, ihex), "exclude_bits",
                          ft_keyset_format_hex(exc, xhex), "dispatch_keyset_bits", ft_keyset_format_hex(eff, ehex),
                          "dispatch_keyset", erepr, "route", route, "result", result);
    if (!a)
        return NULL;
    if (st != FT_OK) { /* why, as a failed dispatch explains itself */
        char why[FT_ERROR_MESSAGE_MAX];
        if (d.status == st)
            ft_decision_message(&d, why, sizeof why);
        else
            snprintf(why, sizeof why, "%s", ft_strerror(st));
        if (json_object_set_new(a, "message", json_string(why)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *q_probe(ftd_batch_t *b, const json_t *q) {
    (void)b;
    ft_key_t keys[FT_KEY_ID_COUNT];
    size_t n;
    json_t *a;
    if (!get_registration_keys(q, true, keys, &n, &a))
        return a;
    ft_registration_t r[FT_KEY_ID_COUNT];
    for (size_t i = 0; i < n; i++) {
        const ft_key_t k = keys[i];
        const bool autograd = k == FT_KEY_AUTOGRAD || ft_key_is_autograd(k);
        r[i] = (ft_registration_t){k, autograd ? "probe::autograd" : "probe::kernel", autograd ? NULL : probe_kernel,
                                   NULL, autograd ? probe_backward : NULL};
    }
    ft_dispatch_ctx_t ctx;
    if (!get_context(q, &ctx, &a))
        return a;
    ft_scalar_t lhs, rhs;
    if (!get_scalar(q, "lhs", &lhs, &a) || !get_scalar(q, "rhs", &rhs, &a))
        return a;
    ft_registry_t *reg = NULL;
    const ft_op_t *op = NULL;
    if (ft_registry_new_empty(&reg) != FT_OK)
        return NULL;
    ft_status st = ft_registry_register(reg, "probe", r, n, &op);
    if (st == FT_ENOMEM) {
        ft_registry_free(reg);
        return NULL;
    }
    a = st != FT_OK ? status_answer(st, ft_registry_last_error(reg)->message) : probe_answer(op, &ctx, &lhs, &rhs);
    ft_registry_free(reg);
    return a;
}

/* --- query kinds and their fields ------------------------------------------ */

/* A field a query (or an object inside one) may carry. `members`, when set, lists
 * what the field's value may carry in turn: the value itself when it is an object,
 * or each element when `each` and the value is an array. Only shapes are listed
 * here; types and values are the query kinds' business. */
typedef struct field_spec {
    const char *name;
    const struct field_spec *members;
    bool each;
} field_spec_t;

static const field_spec_t operand_fields[] = {{"value", NULL, false},     {"dtype", NULL, false},
                                              {"device", NULL, false},    {"requires_grad", NULL, false},
                                              {"inference", NULL, false}, {0}};
static const field_spec_t leaf_fields[] = {{"value", NULL, false}, {"requires_grad", NULL, false}, {0}};
static const field_spec_t step_fields[] = {{"op", NULL, false}, {"lhs", NULL, false}, {"rhs", NULL, false}, {0}};

static const field_spec_t keyset_fields[] = {{"q", NULL, false}, {"keyset", NULL, false}, {0}};
static const field_spec_t binop_fields[] = {
    {"q", NULL, false}, {"op", NULL, false}, {"a", NULL, false}, {"b", NULL, false}, {0}};
static const field_spec_t has_fields[] = {{"q", NULL, false}, {"keyset", NULL, false}, {"key", NULL, false}, {0}};
static const field_spec_t full_after_fields[] = {{"q", NULL, false}, {"key", NULL, false}, {0}};
static const field_spec_t key_fields[] = {{"q", NULL, false}, {"id", NULL, false}, {"name", NULL, false}, {0}};
static const field_spec_t table_fields[] = {{"q", NULL, false}, {"registrations", NULL, false}, {0}};
/* The fields get_context reads and the two operands, each entry followed by a
 * comma: the part the dispatch and probe queries share. A query's own fields
 * that go between them are the macro's arguments (also comma-terminated), so
 * the "known:" list of an unknown_field answer keeps its order. */
#define CONTEXT_AND_OPERAND_FIELDS(...)                                                                                \
    {"mode", NULL, false}, {"grad_mode", NULL, false}, {"profile", NULL, false}, {"inference_mode", NULL, false},      \
        {"include", NULL, false}, {"exclude", NULL, false}, __VA_ARGS__{"lhs", operand_fields, false},                 \
        {"rhs", operand_fields, false},
static const field_spec_t dispatch_fields[] = {
    {"q", NULL, false}, {"op", NULL, false}, CONTEXT_AND_OPERAND_FIELDS({"keyset", NULL, false}, ){0}};
static const field_spec_t probe_fields[] = {
    {"q", NULL, false}, {"registrations", NULL, false}, CONTEXT_AND_OPERAND_FIELDS(){0}};
static const field_spec_t grad_fields[] = {{"q", NULL, false},
                                           {"mode", NULL, false},
                                           {"dtype", NULL, false},
                                           {"leaves", leaf_fields, true},
                                           {"program", step_fields, true},
                                           {"root", NULL, false},
                                           {0}};

typedef struct {
    const char *kind;
    json_t *(*answer)(ftd_batch_t *b, const json_t *q);
    const field_spec_t *fields;
} query_kind_t;

static const query_kind_t query_kinds[] = {
    {"keyset", q_keyset, keyset_fields},
    {"binop", q_binop, binop_fields},
    {"has", q_has, has_fields},
    {"full_after", q_full_after, full_after_fields},
    {"key", q_key, key_fields},
    {"table", q_table, table_fields},
    {"dispatch", q_dispatch, dispatch_fields},
    {"grad", q_grad, grad_fields},
    {"probe", q_probe, probe_fields},
};

static const field_spec_t *field_find(const field_spec_t *known, const char *name) {
    for (; known->name; known++)
        if (strcmp(known->name, name) == 0)
            return known;
    return NULL;
}

/* Where an unknown field was found: the object holding it as a path from the
 * query ("query", "lhs", "leaves[2]"). Only names from the field lists and
 * indices go into it, so its size is bounded by them. */
typedef struct {
    char where[64];
    const char *name; /* the unknown field's name, borrowed from the query */
    const field_spec_t *known;
} unknown_field_t;

/* Depth-first in input order (jansson keeps members in insertion order), so the
 * first typo on the line is the one reported. */
static bool find_unknown_field(const json_t *obj, const field_spec_t *known, const char *where, unknown_field_t *u) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        const field_spec_t *f = field_find(known, key);
        if (!f) {
            snprintf(u->where, sizeof u->where, "%s", where);
            u->name = key;
            u->known = known;
            return true;
        }
        if (!f->members)
            continue;
        char inner[sizeof u->where];
        if (!f->each && json_is_object(v)) {
            snprintf(inner, sizeof inner, "%s", f->name);
            if (find_unknown_field(v, f->members, inner, u))
                return true;
        } else if (f->each && json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                const json_t *e = json_array_get(v, i);
                snprintf(inner, sizeof inner, "%s[%zu]", f->name, i);
                if (json_is_object(e) && find_unknown_field(e, f->members, inner, u))
                    return true;
            }
        }
    }
    return false;
}

/* {"error":"unknown_field","message":...,"field":NAME,"in":WHERE}. The name is
 * caller text, so it is repaired like any message (keys have passed jansson's
 * UTF-8 check, but the rule is applied wherever caller bytes go). */
static json_t *unknown_field_answer(const unknown_field_t *u) {
    char known[256];
    size_t len = 0;
    known[0] = '\0';
    for (const field_spec_t *f = u->known; f->name; f++) {
        int w = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", f->name);
        if (w < 0 || (size_t)w >= sizeof known - len)
            break; /* the lists are short; never cut a name in the message */
        len += (size_t)w;
    }
    const size_t name_len = strlen(u->name);
    const int need = snprintf(NULL, 0, "unknown field \"%s\" in %s (known: %s)", u->name, u->where, known);
    char *m = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (!m)
        return NULL;
    snprintf(m, (size_t)need + 1, "unknown field \"%s\" in %s (known: %s)", u->name, u->where, known);
    json_t *a = json_pack("{s:s, s:o, s:o, s:s}", "error", "unknown_field", "message", ftd_json_text(m, (size_t)need),
                          "field", ftd_json_text(u->name, name_len), "in", u->where);
    free(m);
    return a;
}

json_t *ftd_batch_answer(ftd_batch_t *b, const json_t *query) {
    if (!json_is_object(query))
        return error_answer("bad_query", "a query must be a JSON object");
    const char *kind = json_string_value(json_object_get(query, "q"));
    if (!kind)
        return error_answer("bad_query", "field \"q\" (query kind) is missing or not a string");
    for (size_t i = 0; i < sizeof query_kinds / sizeof query_kinds[0]; i++) {
        const query_kind_t *k = &query_kinds[i];
        if (strcmp(kind, k->kind) != 0)
            continue;
        /* Before any other check: a misspelt field would otherwise read as absent
         * and the query would answer something it was not asking. */
        unknown_field_t u;
        if (!b->allow_unknown_fields && find_unknown_field(query, k->fields, "query", &u))
            return unknown_field_answer(&u);
        return k->answer(b, query);
    }
    return error_answer("bad_query",
                        "unknown query kind (keyset, binop, has, full_after, key, table, dispatch, grad, probe)");
}

json_t *ftd_batch_answer_line(ftd_batch_t *b, const char *line, size_t len) {
    json_error_t err;
    json_t *q = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!q) {
        char m[256];
        snprintf(m, sizeof m, "invalid JSON at column %d: %s", err.column, err.text);
        return error_answer("bad_query", m);
    }
    json_t *a = ftd_batch_answer(b, q);
    json_decref(q);
    return a;
}

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static bool emit(FILE *out, json_t *answer, long *errors) {
    if (!answer)
        answer = error_answer("out_of_memory", "out of memory");
    if (json_object_get(answer, "error") && !json_is_null(json_object_get(answer, "error")))
        (*errors)++;
    char *text = json_dumps(answer, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(answer);
    if (!text)
        return fputs("{\"error\":\"out_of_memory\",\"message\":\"out of memory\"}\n", out) >= 0;
    bool ok = fputs(text, out) >= 0 && fputc('\n', out) != EOF && fflush(out) == 0;
    free(text);
    return ok;
}

long ftd_batch_run(ftd_batch_t *b, FILE *in, FILE *out) {
    char *buf = malloc(FTD_BATCH_MAX_LINE + 2);
    long errors = 0;
    if (!buf)
        return -1;
    for (;;) {
        size_t len = 0;
        bool too_long = false, eof = false;
        int c;
        /* Bounded line read: a hostile line costs at most FTD_BATCH_MAX_LINE bytes. */
        while ((c = getc(in)) != EOF && c != '\n') {
            if (len < FTD_BATCH_MAX_LINE)
                buf[len++] = (char)c;
            else
                too_long = true;
        }
        eof = c == EOF;
        if (too_long) {
            if (!emit(out, error_answer("line_too_long", "query line longer than 1 MiB; skipped"), &errors))
                goto fail;
        } else if (!blank(buf, len)) {
            if (!emit(out, ftd_batch_answer_line(b, buf, len), &errors))
                goto fail;
        }
        if (eof)
            break;
    }
    free(buf);
    return errors;
fail:
    free(buf);
    return -1;
}
