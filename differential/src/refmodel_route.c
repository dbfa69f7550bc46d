/* Reference model: from operands to a keyset (SPEC §5, packet profile),
 * validation, the walk over the computed entries with the strict/hardened
 * split (SPEC §6), and the kernel the walk lands on (SPEC §4, §7).
 *
 * Conventions of the outcome (the same as libft's decision, so the two can be
 * compared field by field):
 *   - every entry the walk looks at is a hop, fallthroughs included, and so is
 *     the entry it fails on; selected_key is the first hop that is not a
 *     fallthrough; `kernel` is the kernel that ended the walk (also the
 *     composite one strict mode refuses), "" when the walk failed before one;
 *   - backend_key is highestPriorityBackendTypeId of the effective keyset,
 *     reported even when validation fails;
 *   - an explicit keyset is routed as c10's redispatch routes it: the
 *     context's include/exclude sets and grad mode are not applied;
 *   - operand checks (dtype, then device) come after routing, at the kernel;
 *   - the result requires grad exactly when the route passed an autograd
 *     kernel and an operand requires grad; a CompositeImplicitAutograd kernel
 *     passes on whatever the calls it makes produce.
 *
 * Custom operators (scenario op.custom): the kernel registered under key K is
 * "custom::<K's name>" and returns the number K in the lhs dtype; kernels on
 * autograd keys are autograd wrappers that redispatch below autograd. */
#include <stdio.h>
#include <string.h>

#include "refmodel_internal.h"

enum { MAX_DEPTH = 16 }; /* nested dispatches from composite kernels, as libft allows */

/* --- operators -------------------------------------------------------------------- */

typedef struct {
    ft_key_t key;
    const char *kernel;
} builtin_reg_t;

typedef struct {
    const char *name;
    builtin_reg_t regs[2];
    size_t count;
} builtin_t;

/* SPEC §4's built-in operators with the kernel names libft registers. */
static const builtin_t builtins[] = {
    {"add", {{FT_KEY_CPU, "cpu::add_scalar"}, {FT_KEY_AUTOGRAD, "autograd::add"}}, 2},
    {"sub", {{FT_KEY_CPU, "cpu::sub_scalar"}, {FT_KEY_AUTOGRAD, "autograd::sub"}}, 2},
    {"mul", {{FT_KEY_CPU, "cpu::mul_scalar"}, {FT_KEY_AUTOGRAD, "autograd::mul"}}, 2},
    {"div", {{FT_KEY_CPU, "cpu::div_scalar"}, {FT_KEY_AUTOGRAD, "autograd::div"}}, 2},
    {"maximum", {{FT_KEY_CPU, "cpu::maximum_scalar"}, {FT_KEY_AUTOGRAD, "autograd::maximum"}}, 2},
    {"minimum", {{FT_KEY_CPU, "cpu::minimum_scalar"}, {FT_KEY_AUTOGRAD, "autograd::minimum"}}, 2},
    {"atan2", {{FT_KEY_CPU, "cpu::atan2_scalar"}, {FT_KEY_AUTOGRAD, "autograd::atan2"}}, 2},
    {"pow", {{FT_KEY_CPU, "cpu::pow_scalar"}, {FT_KEY_AUTOGRAD, "autograd::pow"}}, 2},
    {"rsub",
     {{FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, "composite_explicit::rsub"}, {FT_KEY_AUTOGRAD, "autograd::rsub"}},
     2},
    {"sqdiff", {{FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "composite_implicit::sqdiff"}}, 1},
};

typedef struct {
    char name[FTD_OP_NAME_MAX];
    const builtin_t *builtin; /* NULL for a custom operator */
    size_t count;
    ft_key_t keys[FTD_MAX_REGS];
} op_t;

static const builtin_t *find_builtin(const char *name) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

bool ftdr_op_name_ok(const char *name) {
    const size_t n = strlen(name);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool other = (c >= '0' && c <= '9') || c == '.' || c == ':';
        if (!letter && (i == 0 || !other))
            return false;
    }
    return true;
}

/* The registry's view: a built-in by name, or a custom op whose registration
 * set must pass the registry's checks. */
static ft_status resolve(const ftd_opref_t *ref, op_t *op) {
    memset(op, 0, sizeof *op);
    if (memchr(ref->name, '\0', sizeof ref->name) == NULL)
        return FT_EINVALID_OP_NAME;
    memcpy(op->name, ref->name, sizeof op->name);
    if (!ref->custom) {
        op->builtin = find_builtin(ref->name);
        if (!op->builtin)
            return FT_EUNKNOWN_OP;
        op->count = op->builtin->count;
        for (size_t i = 0; i < op->count; i++)
            op->keys[i] = op->builtin->regs[i].key;
        return FT_OK;
    }
    if (op->name[0] == '\0')
        strcpy(op->name, "custom"); /* the subject runner's name for an unnamed custom op */
    if (!ftdr_op_name_ok(op->name))
        return FT_EINVALID_OP_NAME;
    if (ref->reg_count == 0 || ref->reg_count > FTD_MAX_REGS)
        return FT_EINVALID_REGISTRATION;
    const ft_status st = ftdr_check_registrations(ref->regs, ref->reg_count);
    if (st != FT_OK)
        return st;
    op->count = ref->reg_count;
    memcpy(op->keys, ref->regs, ref->reg_count * sizeof ref->regs[0]);
    return FT_OK;
}

static void kernel_name(const op_t *op, ft_key_t source, char out[FTD_KERNEL_NAME_MAX]) {
    out[0] = '\0';
    if (op->builtin) {
        for (size_t i = 0; i < op->builtin->count; i++)
            if (op->builtin->regs[i].key == source)
                snprintf(out, FTD_KERNEL_NAME_MAX, "%s", op->builtin->regs[i].kernel);
        return;
    }
    char name[FTDR_NAME_MAX];
    if (ftdr_key_name(source, name))
        snprintf(out, FTD_KERNEL_NAME_MAX, "custom::%.55s", name); /* names are <= 38 chars */
}

/* --- keysets of operands ----------------------------------------------------------- */

static bool operand_ok(const ftd_operand_t *o) {
    return (o->dtype == FT_DTYPE_F64 || o->dtype == FT_DTYPE_F32) && (int)o->device >= 1 &&
           (int)o->device <= FTDR_BACKENDS;
}

/* Packet profile: Dense on the device, ADInplaceOrView, and autograd on the
 * device only when the tensor requires grad ("requires_grad drives key
 * selection"). */
static void operand_set(const ftd_operand_t *o, ftdr_set_t *s) {
    ftdr_set_clear(s);
    s->backend[o->device] = true;
    s->functionality[FT_KEY_DENSE] = true;
    s->functionality[FT_KEY_AD_INPLACE_OR_VIEW] = true;
    if (o->requires_grad)
        s->functionality[FT_KEY_AUTOGRAD_FUNCTIONALITY] = true;
}

typedef struct {
    ft_mode_t mode;
    bool grad_mode;
    uint64_t include, exclude;
} ctx_t;

/* ((lhs ∪ rhs) ∪ include) − exclude; grad mode off excludes the autograd keys. */
static void derived_keyset(const ctx_t *ctx, const ftd_operand_t *lhs, const ftd_operand_t *rhs, ftdr_set_t *input,
                           ftdr_set_t *effective) {
    ftdr_set_t l, r, inc, exc;
    operand_set(lhs, &l);
    operand_set(rhs, &r);
    ftdr_set_union(&l, &r, input);
    ftdr_set_from_word(ctx->include, &inc);
    ftdr_set_from_word(ctx->exclude, &exc);
    if (!ctx->grad_mode) {
        exc.functionality[FT_KEY_AUTOGRAD_FUNCTIONALITY] = true;
        exc.functionality[FT_KEY_AUTOGRAD_OTHER] = true;
        exc.functionality[FT_KEY_AUTOGRAD_NESTED_TENSOR] = true;
    }
    ftdr_set_union(input, &inc, effective);
    ftdr_set_remove(effective, &exc, effective);
}

/* --- the walk ------------------------------------------------------------------------ */

static bool is_composite(ft_table_tag_t tag) {
    return tag == FT_TAG_DEFAULT_BACKEND || tag == FT_TAG_NESTED || tag == FT_TAG_MATH;
}

/* Where a successful walk ended. */
typedef struct {
    ft_key_t source;      /* registration whose kernel runs */
    ftdr_set_t keyset;    /* the keyset it was reached with (a composite's calls route on it) */
    bool passed_autograd; /* an autograd wrapper was on the way */
} landing_t;

static ft_status walk(const op_t *op, ft_mode_t mode, const ftdr_set_t *effective, ftd_dispatch_outcome_t *out,
                      landing_t *land) {
    ftdr_set_t cur = *effective, after_autograd;
    ftdr_full_after(FT_KEY_AUTOGRAD_OTHER, &after_autograd);
    land->passed_autograd = false;
    for (;;) {
        if (out->hop_count == FTD_MAX_HOPS)
            return FT_ENO_KERNEL; /* cannot happen: every step that goes on drops a functionality */
        const ft_key_t k = ftdr_highest_priority(&cur);
        ftd_table_entry_t e;
        ftdr_table_entry(op->keys, op->count, k, &e);
        ftd_hop_t *hop = &out->hops[out->hop_count++];
        hop->key = k;
        hop->source = e.source;
        hop->tag = e.tag;
        hop->fallthrough = e.fallthrough;
        hop->kernel[0] = '\0';
        if (e.source != FT_KEY_UNDEFINED)
            kernel_name(op, e.source, hop->kernel);

        if (e.fallthrough) {
            /* skip the key: drop its functionality (never a backend, which
             * other functionalities may still need) */
            const ft_key_t f = ftdr_functionality_of(k);
            if (f == FT_KEY_UNDEFINED)
                return FT_ENO_KERNEL; /* nothing to drop: the walk could not move on */
            cur.functionality[f] = false;
            continue;
        }
        if (out->selected_key == FT_KEY_UNDEFINED)
            out->selected_key = k;
        const bool autograd_wrapper = e.tag == FT_TAG_AUTOGRAD || (e.tag == FT_TAG_KERNEL && ftdr_is_autograd_key(k));
        if (autograd_wrapper) {
            /* the wrapper records and redispatches below autograd */
            land->passed_autograd = true;
            ftdr_set_intersect(&cur, &after_autograd, &cur);
            continue;
        }
        switch (e.tag) {
        case FT_TAG_MISSING:
            return FT_ENO_KERNEL;
        case FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER:
            return FT_EAMBIGUOUS_AUTOGRAD_OTHER;
        case FT_TAG_BACKEND_FALLBACK:
            return FT_EUNSUPPORTED_FALLBACK; /* a real fallback kernel this library does not model */
        default:
            break;
        }
        memcpy(out->kernel, hop->kernel, sizeof out->kernel);
        if (is_composite(e.tag)) {
            if (mode == FT_MODE_STRICT) {
                out->mode_split = FT_SPLIT_STRICT_FAIL;
                return FT_ECOMPOSITE_REJECTED;
            }
            out->fallback_used = true;
            out->mode_split = FT_SPLIT_HARDENED_FALLBACK;
        }
        land->source = e.source;
        land->keyset = cur;
        return FT_OK;
    }
}

static void run(const op_t *op, const ctx_t *ctx, bool explicit_keyset, uint64_t word, const ftd_operand_t *lhs,
                const ftd_operand_t *rhs, unsigned depth, ftd_dispatch_outcome_t *out);

/* sqdiff's CompositeImplicitAutograd kernel: sub, then mul of the difference
 * with itself, each through the dispatcher on the landing keyset (a
 * redispatch: explicit keyset, same mode). */
static ft_status run_sqdiff(const ctx_t *ctx, const landing_t *land, const ftd_operand_t *lhs, const ftd_operand_t *rhs,
                            unsigned depth, ftd_operand_t *result) {
    op_t sub, mul;
    ftd_opref_t ref;
    memset(&ref, 0, sizeof ref);
    strcpy(ref.name, "sub");
    resolve(&ref, &sub);
    strcpy(ref.name, "mul");
    resolve(&ref, &mul);
    const uint64_t word = ftdr_set_to_word(&land->keyset);
    ftd_dispatch_outcome_t inner;
    run(&sub, ctx, true, word, lhs, rhs, depth + 1, &inner);
    if (inner.status != FT_OK)
        return inner.status;
    const ftd_operand_t d = {inner.value_bits, lhs->dtype, lhs->device, inner.requires_grad};
    run(&mul, ctx, true, word, &d, &d, depth + 1, &inner);
    if (inner.status != FT_OK)
        return inner.status;
    *result = (ftd_operand_t){inner.value_bits, lhs->dtype, lhs->device, inner.requires_grad};
    return FT_OK;
}

/* Runs the kernel of the landing registration; result requires_grad as the
 * kernel itself produced it (the caller applies the autograd wrapper). */
static ft_status run_kernel(const op_t *op, const ctx_t *ctx, const landing_t *land, const ftd_operand_t *lhs,
                            const ftd_operand_t *rhs, unsigned depth, ftd_operand_t *result) {
    *result = (ftd_operand_t){0, lhs->dtype, lhs->device, false};
    if (!op->builtin) {
        result->bits = ftd_value_bits((double)land->source, lhs->dtype);
        return FT_OK;
    }
    if (land->source == FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD)
        return run_sqdiff(ctx, land, lhs, rhs, depth, result);
    return ftdr_kernel_bits(op->name, lhs->dtype, lhs->bits, rhs->bits, &result->bits) ? FT_OK : FT_EUNKNOWN_OP;
}

static void run(const op_t *op, const ctx_t *ctx, bool explicit_keyset, uint64_t word, const ftd_operand_t *lhs,
                const ftd_operand_t *rhs, unsigned depth, ftd_dispatch_outcome_t *out) {
    memset(out, 0, sizeof *out);
    out->keyset = out->effective_keyset = explicit_keyset ? word : 0;
    if ((ctx->mode != FT_MODE_STRICT && ctx->mode != FT_MODE_HARDENED) || !operand_ok(lhs) || !operand_ok(rhs)) {
        out->status = FT_EINVALID_ARGUMENT;
        return;
    }
    if (depth > MAX_DEPTH) {
        out->status = FT_EDISPATCH_DEPTH;
        return;
    }
    ftdr_set_t input, effective;
    if (explicit_keyset) {
        ftdr_set_from_word(word, &input);
        effective = input;
    } else {
        derived_keyset(ctx, lhs, rhs, &input, &effective);
    }
    out->keyset = ftdr_set_to_word(&input);
    out->effective_keyset = ftdr_set_to_word(&effective);
    out->backend_key = ftdr_highest_priority_backend(&effective);
    ftdr_set_t unknown_only;
    ftdr_set_clear(&unknown_only);
    memcpy(unknown_only.unknown, effective.unknown, sizeof unknown_only.unknown);
    out->unknown_mask = ftdr_set_to_word(&unknown_only);

    out->status = ftdr_validate(&effective);
    if (out->status != FT_OK)
        return;
    landing_t land;
    out->status = walk(op, ctx->mode, &effective, out, &land);
    if (out->status != FT_OK)
        return;
    if (lhs->dtype != rhs->dtype) {
        out->status = FT_EDTYPE_MISMATCH;
        return;
    }
    if (lhs->device != rhs->device) {
        out->status = FT_EDEVICE_MISMATCH;
        return;
    }
    ftd_operand_t result;
    out->status = run_kernel(op, ctx, &land, lhs, rhs, depth, &result);
    if (out->status != FT_OK)
        return;
    out->has_value = true;
    out->dtype = lhs->dtype;
    out->value_bits = result.bits;
    out->requires_grad = land.passed_autograd ? lhs->requires_grad || rhs->requires_grad : result.requires_grad;
}

void ftd_ref_dispatch(const ftd_scenario_t *s, ft_mode_t mode, ftd_dispatch_outcome_t *out) {
    const ctx_t ctx = {mode, s->grad_mode, s->include, s->exclude};
    op_t op;
    const ft_status st = resolve(&s->op, &op);
    if (st != FT_OK) { /* the registry refused: nothing was dispatched */
        memset(out, 0, sizeof *out);
        out->status = st;
        return;
    }
    run(&op, &ctx, s->has_keyset, s->keyset, &s->lhs, &s->rhs, 0, out);
}

void ftdr_dispatch_builtin(const char *name, ft_mode_t mode, bool grad_mode, uint64_t include, uint64_t exclude,
                           const ftd_operand_t *lhs, const ftd_operand_t *rhs, ftd_dispatch_outcome_t *out) {
    const ctx_t ctx = {mode, grad_mode, include, exclude};
    ftd_opref_t ref;
    op_t op;
    memset(&ref, 0, sizeof ref);
    snprintf(ref.name, sizeof ref.name, "%s", name);
    const ft_status st = resolve(&ref, &op);
    if (st != FT_OK) {
        memset(out, 0, sizeof *out);
        out->status = st;
        return;
    }
    run(&op, &ctx, false, 0, lhs, rhs, 0, out);
}
