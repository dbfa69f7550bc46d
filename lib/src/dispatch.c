/* Routing: validation, the hop walk over a computed table, the strict/hardened
 * split, and running the kernel the walk lands on (SPEC §6). */
#include <stdio.h>
#include <string.h>

#include "op_internal.h"

enum { MAX_DEPTH = 16 };

static const uint64_t autograd_keys = UINT64_C(1) << (13 + FT_KEY_AUTOGRAD_FUNCTIONALITY) |
                                      UINT64_C(1) << (13 + FT_KEY_AUTOGRAD_OTHER) |
                                      UINT64_C(1) << (13 + FT_KEY_AUTOGRAD_NESTED_TENSOR);

const char *ft_mode_name(ft_mode_t mode) {
    return mode == FT_MODE_STRICT ? "strict" : mode == FT_MODE_HARDENED ? "hardened" : NULL;
}

ft_status ft_mode_from_name(const char *name, ft_mode_t *out) {
    if (!name || !out)
        return FT_EINVALID_ARGUMENT;
    for (int m = FT_MODE_STRICT; m <= FT_MODE_HARDENED; m++) {
        if (strcmp(name, ft_mode_name((ft_mode_t)m)) == 0) {
            *out = (ft_mode_t)m;
            return FT_OK;
        }
    }
    return FT_EINVALID_ARGUMENT;
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

ft_status ft_dispatch_compute_keyset(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *lhs, const ft_scalar_t *rhs,
                                     ft_keyset_t *input, ft_keyset_t *out) {
    ft_keyset_t a, b;
    ft_status st;
    if (!ctx || !out)
        return FT_EINVALID_ARGUMENT;
    if ((st = ft_scalar_keyset(lhs, &a)) != FT_OK || (st = ft_scalar_keyset(rhs, &b)) != FT_OK)
        return st;
    ft_keyset_t in = ft_keyset_or(a, b);
    ft_keyset_t exclude = ctx->exclude;
    if (!ctx->grad_mode)
        exclude.repr |= autograd_keys;
    if (input)
        *input = in;
    *out = ft_keyset_sub(ft_keyset_or(in, ctx->include), exclude);
    return FT_OK;
}

/* Where a walk ended: the entry and the keyset it was reached with. */
typedef struct {
    const ft_table_entry_t *entry;
    ft_keyset_t keyset;
} landing_t;

static void begin(ft_decision_t *d, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t input,
                  ft_keyset_t effective, bool explicit_keyset) {
    d->op = op->name;
    d->mode = ctx->mode;
    d->explicit_keyset = explicit_keyset;
    d->keyset = input;
    d->effective_keyset = effective;
    d->selected_key = FT_KEY_UNDEFINED;
    d->backend_key = ft_keyset_highest_priority_backend_type_id(effective);
    d->kernel = NULL;
    d->fallback_used = false;
    d->mode_split = FT_SPLIT_NONE;
    d->allowlist_id = NULL;
    d->unknown_mask = effective.repr & FT_KEYSET_UNKNOWN_MASK;
    d->hop_count = 0;
}

/* Walks the computed table from the highest-priority key down. Every step either
 * clears at least one functionality bit or ends, so at most 41 hops happen. */
static ft_status walk(const ft_op_t *op, ft_mode_t mode, ft_keyset_t ks, ft_decision_t *d, landing_t *land) {
    const ft_keyset_t after_autograd = ft_keyset_after_autograd();
    for (;;) {
        const ft_key_t k = ft_keyset_highest_priority_type_id(ks);
        const ft_table_entry_t *e = &op->table[k];
        if (d->hop_count == FT_DECISION_MAX_HOPS) /* unreachable: each hop clears a bit */
            return FT_ENO_KERNEL;
        ft_hop_t *hop = &d->hops[d->hop_count++];
        hop->key = k;
        hop->source = e->source;
        hop->tag = e->tag;
        hop->fallthrough = e->fallthrough;
        hop->kernel_name = e->registration ? e->registration->kernel_name : NULL;
        if (e->fallthrough) {
            const ft_keyset_t next = ft_keyset_remove(ks, ft_key_functionality(k));
            if (ft_keyset_equal(next, ks)) /* nothing to skip (Undefined): nowhere to go */
                return FT_ENO_KERNEL;
            ks = next;
            continue;
        }
        if (d->selected_key == FT_KEY_UNDEFINED)
            d->selected_key = k;
        switch (e->tag) {
        case FT_TAG_MISSING:
            return FT_ENO_KERNEL;
        case FT_TAG_BACKEND_FALLBACK:
            return FT_EUNSUPPORTED_FALLBACK;
        case FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER:
            return FT_EAMBIGUOUS_AUTOGRAD_OTHER;
        case FT_TAG_AUTOGRAD:
            ks = ft_keyset_and(ks, after_autograd);
            continue;
        case FT_TAG_KERNEL:
            /* A kernel on an autograd key is an autograd wrapper: it redispatches
             * below autograd, as torch's VariableType kernels do. */
            if (ft_key_is_autograd(k)) {
                ks = ft_keyset_and(ks, after_autograd);
                continue;
            }
            break;
        case FT_TAG_DEFAULT_BACKEND:
        case FT_TAG_NESTED:
        case FT_TAG_MATH:
            d->kernel = hop->kernel_name;
            if (mode == FT_MODE_STRICT) {
                d->mode_split = FT_SPLIT_STRICT_FAIL;
                return FT_ECOMPOSITE_REJECTED;
            }
            d->fallback_used = true;
            d->mode_split = FT_SPLIT_HARDENED_FALLBACK;
            d->allowlist_id = FT_ALLOWLIST_COMPOSITE_FALLBACK;
            break;
        }
        d->kernel = hop->kernel_name;
        land->entry = e;
        land->keyset = ks;
        return FT_OK;
    }
}

static ft_status decide(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t input, ft_keyset_t effective,
                        bool explicit_keyset, ft_decision_t *d, landing_t *land) {
    begin(d, ctx, op, input, effective, explicit_keyset);
    ft_status st = ft_keyset_validate(effective);
    if (st == FT_OK)
        st = walk(op, ctx->mode, effective, d, land);
    return d->status = st;
}

static bool scalar_ok(const ft_scalar_t *t) {
    return t && ft_dtype_name(t->dtype) && t->device >= FT_BACKEND_CPU && t->device <= FT_BACKEND_PRIVATEUSE3;
}

static ft_status execute(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const landing_t *land, unsigned depth,
                         const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out) {
    if (lhs->dtype != rhs->dtype)
        return FT_EDTYPE_MISMATCH;
    if (lhs->device != rhs->device)
        return FT_EDEVICE_MISMATCH;
    const ft_registration_t *reg = land->entry->registration;
    const ft_kernel_call_t call = {ctx, op, reg, land->keyset, depth};
    ft_scalar_t result = *lhs;
    ft_status st = reg->fn(&call, lhs, rhs, &result);
    if (st != FT_OK)
        return st;
    out->value = result.value;
    out->dtype = lhs->dtype;
    out->device = lhs->device;
    out->requires_grad = (lhs->requires_grad || rhs->requires_grad) && ctx->grad_mode;
    return FT_OK;
}

static ft_status dispatch_at_depth(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset,
                                   ft_keyset_t keyset, const ft_scalar_t *lhs, const ft_scalar_t *rhs,
                                   ft_scalar_t *out, ft_decision_t *decision, unsigned depth) {
    ft_decision_t scratch;
    ft_decision_t *d = decision ? decision : &scratch;
    if (!ctx || !op || !out || !scalar_ok(lhs) || !scalar_ok(rhs))
        return d->status = FT_EINVALID_ARGUMENT;
    if (depth > MAX_DEPTH)
        return d->status = FT_EDISPATCH_DEPTH;
    ft_keyset_t input = keyset, effective = keyset;
    if (!explicit_keyset) {
        ft_status st = ft_dispatch_compute_keyset(ctx, lhs, rhs, &input, &effective);
        if (st != FT_OK)
            return d->status = st;
    }
    landing_t land;
    ft_status st = decide(ctx, op, input, effective, explicit_keyset, d, &land);
    if (st != FT_OK)
        return st;
    return d->status = execute(ctx, op, &land, depth, lhs, rhs, out);
}

ft_status ft_dispatch_binary(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const ft_scalar_t *lhs,
                             const ft_scalar_t *rhs, ft_scalar_t *out, ft_decision_t *decision) {
    return dispatch_at_depth(ctx, op, false, ft_keyset_from_raw(0), lhs, rhs, out, decision, 0);
}

ft_status ft_dispatch_binary_with_keyset(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                                         const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out,
                                         ft_decision_t *decision) {
    return dispatch_at_depth(ctx, op, true, keyset, lhs, rhs, out, decision, 0);
}

ft_status ft_dispatch_route(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                            ft_decision_t *decision) {
    ft_decision_t scratch;
    ft_decision_t *d = decision ? decision : &scratch;
    if (!ctx || !op)
        return d->status = FT_EINVALID_ARGUMENT;
    landing_t land;
    return decide(ctx, op, keyset, keyset, true, d, &land);
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
    return dispatch_at_depth(call->ctx, op, true, call->keyset, a, b, out, NULL, call->depth + 1);
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
