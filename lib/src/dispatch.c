/* Routing: the dispatcher's entry points, compiling table entries into routing
 * steps, the key table, keyset derivation's public helpers and the decision's
 * message (SPEC §6). The per-call machinery itself (the walk, the
 * strict/hardened split, running the kernel) is inline in dispatch_call.h, so
 * that the tape's calls (tape.c) inline it as these entry points do. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dispatch_call.h"
#include "op_internal.h"

/* The names of an enum's values 0..n-1, both ways. */
static const char *const mode_names[] = {"strict", "hardened"};
static const char *const profile_names[] = {"packet", "c10"};
#define NAMES(a) (sizeof(a) / sizeof *(a))
_Static_assert(FT_MODE_STRICT == 0 && FT_MODE_HARDENED == 1 && FT_PROFILE_PACKET == 0 && FT_PROFILE_C10 == 1,
               "names indexed by value");

static const char *name_of(const char *const *names, size_t n, unsigned value) {
    return value < n ? names[value] : NULL;
}

/* The value named `name` into *out; FT_EINVALID_ARGUMENT (nothing written) for
 * NULL or an unknown name. */
static ft_status value_of(const char *const *names, size_t n, const char *name, unsigned *out) {
    for (unsigned v = 0; name && v < n; v++) {
        if (strcmp(name, names[v]) == 0) {
            *out = v;
            return FT_OK;
        }
    }
    return FT_EINVALID_ARGUMENT;
}

const char *ft_mode_name(ft_mode_t mode) {
    return name_of(mode_names, NAMES(mode_names), (unsigned)mode);
}

ft_status ft_mode_from_name(const char *name, ft_mode_t *out) {
    unsigned v;
    if (!out || value_of(mode_names, NAMES(mode_names), name, &v) != FT_OK)
        return FT_EINVALID_ARGUMENT;
    *out = (ft_mode_t)v;
    return FT_OK;
}

const char *ft_profile_name(ft_profile_t profile) {
    return name_of(profile_names, NAMES(profile_names), (unsigned)profile);
}

ft_status ft_profile_from_name(const char *name, ft_profile_t *out) {
    unsigned v;
    if (!out || value_of(profile_names, NAMES(profile_names), name, &v) != FT_OK)
        return FT_EINVALID_ARGUMENT;
    *out = (ft_profile_t)v;
    return FT_OK;
}

const char *ft_mode_split_name(ft_mode_split_t split) {
    switch (split) {
    case FT_SPLIT_NONE:
        return "none";
    case FT_SPLIT_STRICT_FAIL:
        return "strict_fail";
    case FT_SPLIT_HARDENED_FALLBACK:
        return "hardened_fallback";
    }
    return NULL;
}

void ft_dispatch_ctx_init(ft_dispatch_ctx_t *ctx) {
    const ft_dispatch_ctx_t init = FT_DISPATCH_CTX_INIT;
    if (ctx)
        *ctx = init;
}

/* --- compiling table entries into steps ------------------------------------ */

static void fail_step(ftp_step_t *s, ft_status st) {
    s->kind = FTP_STEP_FAIL;
    s->status = (int8_t)st;
}

/* A step's key is looked up for highest bit i under highest backend b when
 * ftp_key_at_bit[b][i] names it, so the fallthrough bits follow from the table:
 * the walk masks off exactly the bits whose lookup would land on a
 * fallthrough. */
void ftp_op_fallthrough_bits(const ftp_step_t steps[FTP_ALIAS_FIRST], uint64_t bits[FT_BACKEND_COUNT + 1]) {
    for (unsigned b = 0; b <= FT_BACKEND_COUNT; b++) {
        bits[b] = 0;
        for (unsigned i = FT_KEYSET_FUNCTIONALITY_SHIFT; i < 64; i++) {
            const unsigned k = ftp_key_at_bit[b][i];
            if ((FT_KEYSET_FUNCTIONALITY_MASK >> i & 1u) && k < FTP_ALIAS_FIRST &&
                steps[k].kind == FTP_STEP_FALLTHROUGH)
                bits[b] |= UINT64_C(1) << i;
        }
    }
}

void ftp_step_compile(const ft_table_entry_t *e, ftp_step_t *s) {
    const ft_key_t k = e->key;
    const uint64_t own_bit = k == FT_KEY_UNDEFINED ? 0 : FBIT(ft_key_functionality(k));
    s->hop.key = k;
    s->hop.source = e->source;
    s->hop.tag = e->tag;
    s->hop.fallthrough = e->fallthrough;
    s->hop.kernel_name = e->registration ? e->registration->kernel_name : NULL;
    s->registration = e->registration;
    s->keep = ~UINT64_C(0);
    s->status = FT_OK;
    switch (e->tag) {
    case FT_TAG_MISSING:
        fail_step(s, FT_ENO_KERNEL);
        break;
    case FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER:
        fail_step(s, FT_EAMBIGUOUS_AUTOGRAD_OTHER);
        break;
    case FT_TAG_BACKEND_FALLBACK:
        if (!e->fallthrough) {
            fail_step(s, FT_EUNSUPPORTED_FALLBACK);
        } else {
            s->kind = FTP_STEP_FALLTHROUGH;
            s->keep = ~own_bit;
        }
        break;
    case FT_TAG_AUTOGRAD:
        s->kind = FTP_STEP_AUTOGRAD;
        s->keep = ft_keyset_after_autograd().repr;
        break;
    case FT_TAG_KERNEL:
        /* A kernel on an autograd key is an autograd wrapper: it redispatches
         * below autograd, as torch's VariableType kernels do. */
        if (ft_key_is_autograd(k)) {
            s->kind = FTP_STEP_AUTOGRAD;
            s->keep = ft_keyset_after_autograd().repr;
        } else {
            s->kind = FTP_STEP_RUN;
        }
        break;
    case FT_TAG_DEFAULT_BACKEND:
    case FT_TAG_NESTED:
    case FT_TAG_MATH:
        s->kind = FTP_STEP_COMPOSITE;
        break;
    }
    /* A step that goes on must clear a bit, or the walk could not end (Undefined
     * has no bit to clear). */
    if ((s->kind == FTP_STEP_FALLTHROUGH || s->kind == FTP_STEP_AUTOGRAD) && (own_bit == 0 || (s->keep & own_bit)))
        fail_step(s, FT_ENO_KERNEL);
}

ft_status ft_dispatch_compute_keyset(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *lhs, const ft_scalar_t *rhs,
                                     ft_keyset_t *input, ft_keyset_t *out) {
    if (!ctx || !ft_profile_name(ctx->profile) || !out || !scalar_ok(lhs) || !scalar_ok(rhs))
        return FT_EINVALID_ARGUMENT;
    const uint64_t in = operand_bits(ctx, lhs) | operand_bits(ctx, rhs);
    if (input)
        input->repr = in;
    out->repr = context_keyset(ctx, in);
    return FT_OK;
}

ft_status ft_dispatch_context_sets(const ft_dispatch_ctx_t *ctx, ft_keyset_t *include, ft_keyset_t *exclude) {
    if (!ctx || !ft_profile_name(ctx->profile) || !include || !exclude)
        return FT_EINVALID_ARGUMENT;
    context_sets(ctx, &include->repr, &exclude->repr);
    return FT_OK;
}

bool ft_dispatch_records_grad(const ft_dispatch_ctx_t *ctx) {
    return ctx && ctx->grad_mode && !(ctx->profile == FT_PROFILE_C10 && ctx->inference_mode);
}

ft_status ft_dispatch_operand_keyset(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *t, ft_keyset_t *out) {
    if (!ctx || !ft_profile_name(ctx->profile) || !out || !scalar_ok(t))
        return FT_EINVALID_ARGUMENT;
    out->repr = operand_bits(ctx, t);
    return FT_OK;
}

/* The runtime key the walk looks up for a keyset whose highest bit has index i
 * (0-based) and whose highest backend is b: ftp_key_at_bit[b][i]. A bit at or
 * below the backend bits is Undefined like c10's; a per-backend functionality
 * becomes its runtime key for backend b (its placeholder for b = 0). The walk
 * never clears backend bits, so b is computed once per call and a lookup is one
 * load. Built from the key ids by constant expressions (PB_FIRST: a per-backend
 * functionality's CPU key); test_builtin_tables checks every entry against
 * ft_keyset_highest_priority_type_id. */
#define PB_FIRST(f)                                                                                                    \
    ((f) == FT_KEY_DENSE                    ? FT_KEY_CPU                                                               \
     : (f) == FT_KEY_QUANTIZED              ? FT_KEY_QUANTIZED_CPU                                                     \
     : (f) == FT_KEY_SPARSE                 ? FT_KEY_SPARSE_CPU                                                        \
     : (f) == FT_KEY_NESTED_TENSOR          ? FT_KEY_NESTED_TENSOR_CPU                                                 \
     : (f) == FT_KEY_AUTOGRAD_FUNCTIONALITY ? FT_KEY_AUTOGRAD_CPU                                                      \
                                            : 0)
#define KEY_AT_F(f, b)   (PB_FIRST(f) ? PB_FIRST(f) - FT_BACKEND_CPU + (b) : (f))
#define KEY_AT_BIT(b, i) ((i) < FT_BACKEND_COUNT ? 0 : KEY_AT_F((i) + 1 - FT_BACKEND_COUNT, b))
#define KEY_AT_8(b, i)                                                                                                 \
    KEY_AT_BIT(b, i), KEY_AT_BIT(b, i + 1), KEY_AT_BIT(b, i + 2), KEY_AT_BIT(b, i + 3), KEY_AT_BIT(b, i + 4),          \
        KEY_AT_BIT(b, i + 5), KEY_AT_BIT(b, i + 6), KEY_AT_BIT(b, i + 7)
#define KEY_AT_ROW(b)                                                                                                  \
    {                                                                                                                  \
        KEY_AT_8(b, 0), KEY_AT_8(b, 8), KEY_AT_8(b, 16), KEY_AT_8(b, 24), KEY_AT_8(b, 32), KEY_AT_8(b, 40),            \
            KEY_AT_8(b, 48), KEY_AT_8(b, 56)                                                                           \
    }
const uint8_t ftp_key_at_bit[FT_BACKEND_COUNT + 1][64] = {
    KEY_AT_ROW(0),  KEY_AT_ROW(1),  KEY_AT_ROW(2),  KEY_AT_ROW(3),  KEY_AT_ROW(4),
    KEY_AT_ROW(5),  KEY_AT_ROW(6),  KEY_AT_ROW(7),  KEY_AT_ROW(8),  KEY_AT_ROW(9),
    KEY_AT_ROW(10), KEY_AT_ROW(11), KEY_AT_ROW(12), KEY_AT_ROW(13), KEY_AT_ROW(14)};
_Static_assert(FT_BACKEND_COUNT == 14 && FT_KEY_ID_COUNT <= 256, "one row per backend, keys fit a byte");

ft_status ft_dispatch_binary(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const ft_scalar_t *lhs,
                             const ft_scalar_t *rhs, ft_scalar_t *out, ft_decision_t *decision) {
    return ftp_dispatch_inline(ctx, op, false, 0, lhs, rhs, out, decision, true, 0, NULL, NULL);
}

ft_status ft_dispatch_binary_with_keyset(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                                         const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out,
                                         ft_decision_t *decision) {
    return ftp_dispatch_inline(ctx, op, true, keyset.repr, lhs, rhs, out, decision, true, 0, NULL, NULL);
}

ft_status ft_dispatch_route(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                            ft_decision_t *decision) {
    if (!ctx_ok(ctx) || !op)
        return early_failure(decision, ctx, op, true, keyset.repr, FT_EINVALID_ARGUMENT);
    landing_t land = {NULL, 0, NULL};
    if (!decision)
        return decide(ctx, op, keyset.repr, keyset.repr, true, NULL, false, true, &land);
    return decision->status = decide(ctx, op, keyset.repr, keyset.repr, true, decision, true, true, &land);
}

void *ft_kernel_call_payload(const ft_kernel_call_t *call) {
    return call && call->registration ? call->registration->payload : NULL;
}

const ft_op_t *ft_kernel_call_op(const ft_kernel_call_t *call) {
    return call ? call->op : NULL;
}

ft_keyset_t ft_kernel_call_keyset(const ft_kernel_call_t *call) {
    return call ? call->keyset : ft_keyset_from_raw(0);
}

ft_status ft_kernel_redispatch(const ft_kernel_call_t *call, const ft_op_t *op, const ft_scalar_t *a,
                               const ft_scalar_t *b, ft_scalar_t *out) {
    if (!call)
        return FT_EINVALID_ARGUMENT;
    if (call->tape)
        return ftp_tape_dispatch(call->tape, call->ctx, op, true, call->keyset.repr, a, b, out, NULL, call->depth + 1);
    return ftp_dispatch_inline(call->ctx, op, true, call->keyset.repr, a, b, out, NULL, true, call->depth + 1, NULL,
                               NULL);
}

size_t ft_decision_message(const ft_decision_t *d, char *buf, size_t cap) {
    char ks[19];
    int n;
    if (!d)
        return 0;
    const char *sel = ft_key_name(d->selected_key) ? ft_key_name(d->selected_key) : "?";
    if (d->status == FT_OK) {
        n = snprintf(buf, cap, "%s %s: %s -> %s%s", d->op, ft_mode_name(d->mode), sel, d->kernel ? d->kernel : "?",
                     d->fallback_used ? " (composite fallback, allowlisted)" : "");
    } else if (d->status == FT_EUNKNOWN_BITS) {
        n = snprintf(buf, cap, "%s: %s (mask %s)", ft_status_code(d->status), ft_strerror(d->status),
                     ft_keyset_format_hex(ft_keyset_from_raw(d->unknown_mask), ks));
    } else if (d->status == FT_ECOMPOSITE_REJECTED) {
        n = snprintf(buf, cap, "%s: strict mode rejects %s at %s (%s)", ft_status_code(d->status),
                     d->kernel ? d->kernel : "?", sel,
                     d->hop_count ? ft_table_tag_name(d->hops[d->hop_count - 1].tag) : "?");
    } else if (d->hop_count > 0) {
        n = snprintf(buf, cap, "%s: %s (at %s)", ft_status_code(d->status), ft_strerror(d->status), sel);
    } else {
        n = snprintf(buf, cap, "%s: %s (keyset %s)", ft_status_code(d->status), ft_strerror(d->status),
                     ft_keyset_format_hex(d->effective_keyset, ks));
    }
    return n < 0 ? 0 : (size_t)n;
}
