/* Running scenarios on libft through its public API (ftdiff/subject.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/ft.h"
#include "ftdiff/subject.h"

/* The registry of the last custom operator, kept for the next call: a scenario
 * runs its op several times (modes, the determinism re-run, swapped operands),
 * and registering computes a whole table. Keyed by name, keys and order. */
typedef struct {
    ft_registry_t *reg;
    const ft_op_t *op;
    ft_status status;
    char name[FTD_OP_NAME_MAX];
    size_t count;
    ft_key_t keys[FTD_MAX_REGS]; /* in registration order */
} custom_cache_t;

struct ftd_libft {
    ft_registry_t *builtins;
    custom_cache_t cache;
};

int ftd_libft_new(ftd_libft_t **out) {
    ftd_libft_t *s = calloc(1, sizeof *s);
    if (!s || ft_registry_new(&s->builtins) != FT_OK) {
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void ftd_libft_free(ftd_libft_t *s) {
    if (!s)
        return;
    ft_registry_free(s->cache.reg);
    ft_registry_free(s->builtins);
    free(s);
}

static void say(char *why, const char *text) {
    if (why)
        snprintf(why, 160, "%s", text);
}

ft_status ftd_custom_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                            ft_scalar_t *out) {
    (void)b;
    const double k = (double)(uintptr_t)ft_kernel_call_payload(call);
    out->value = a->dtype == FT_DTYPE_F32 ? (double)(float)k : k;
    return FT_OK;
}

/* Kernel names live as long as the registry copies them; these are the sources. */
static void custom_registrations(const ft_key_t *keys, size_t n, const size_t *order, ft_registration_t *regs,
                                 char names[][FTD_KERNEL_NAME_MAX]) {
    for (size_t i = 0; i < n; i++) {
        const ft_key_t k = keys[order ? order[i] : i];
        const char *kn = ft_key_name(k);
        snprintf(names[i], FTD_KERNEL_NAME_MAX, "custom::%s", kn ? kn : "invalid");
        const bool autograd = k == FT_KEY_AUTOGRAD || ft_key_is_autograd(k); /* as the registry decides */
        regs[i].key = k;
        regs[i].kernel_name = names[i];
        regs[i].fn = autograd ? NULL : ftd_custom_kernel;
        regs[i].payload = (void *)(uintptr_t)k;
        regs[i].backward = NULL;
    }
}

/* A registry holding one custom operator, registered in `order` (NULL: as
 * given); *st is libft's answer to the registration (a rejected set is an
 * outcome, not a harness error). The registry belongs to `s` (its cache). */
static ft_registry_t *custom_registry(ftd_libft_t *s, const ftd_opref_t *op, const size_t *order, const ft_op_t **out,
                                      ft_status *st) {
    custom_cache_t *c = &s->cache;
    const char *name = op->name[0] ? op->name : "custom";
    bool hit = c->reg && c->count == op->reg_count && strcmp(c->name, name) == 0;
    for (size_t i = 0; hit && i < op->reg_count; i++)
        hit = c->keys[i] == op->regs[order ? order[i] : i];
    if (!hit) {
        ft_registry_free(c->reg);
        memset(c, 0, sizeof *c);
        if (ft_registry_new_empty(&c->reg) != FT_OK)
            return NULL;
        ft_registration_t regs[FTD_MAX_REGS];
        char names[FTD_MAX_REGS][FTD_KERNEL_NAME_MAX];
        custom_registrations(op->regs, op->reg_count, order, regs, names);
        c->status = ft_registry_register(c->reg, name, regs, op->reg_count, &c->op);
        snprintf(c->name, sizeof c->name, "%s", name);
        c->count = op->reg_count;
        for (size_t i = 0; i < op->reg_count; i++)
            c->keys[i] = regs[i].key;
    }
    *out = c->op;
    *st = c->status;
    return c->reg;
}

static void copy_name(char dst[FTD_KERNEL_NAME_MAX], const char *src) {
    snprintf(dst, FTD_KERNEL_NAME_MAX, "%s", src ? src : "");
}

static void outcome_from_decision(const ft_decision_t *d, ftd_dispatch_outcome_t *o) {
    o->status = d->status;
    o->keyset = d->keyset.repr;
    o->effective_keyset = d->effective_keyset.repr;
    o->unknown_mask = d->status == FT_EUNKNOWN_BITS ? d->unknown_mask : 0;
    o->selected_key = d->selected_key;
    o->backend_key = d->backend_key;
    copy_name(o->kernel, d->kernel);
    o->fallback_used = d->fallback_used;
    o->mode_split = d->mode_split;
    o->hop_count = d->hop_count < FTD_MAX_HOPS ? d->hop_count : FTD_MAX_HOPS;
    for (size_t i = 0; i < o->hop_count; i++) {
        o->hops[i].key = d->hops[i].key;
        o->hops[i].source = d->hops[i].source;
        o->hops[i].tag = d->hops[i].tag;
        o->hops[i].fallthrough = d->hops[i].fallthrough;
        copy_name(o->hops[i].kernel, d->hops[i].kernel_name);
    }
}

static ft_dispatch_ctx_t context_of(const ftd_scenario_t *sc, ft_mode_t mode) {
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.mode = mode;
    ctx.grad_mode = sc->grad_mode;
    ctx.include = ft_keyset_from_raw(sc->include);
    ctx.exclude = ft_keyset_from_raw(sc->exclude);
    return ctx;
}

static ft_scalar_t scalar_of(const ftd_operand_t *o) {
    return ft_scalar_make(ftd_operand_value(o), o->dtype, o->device, o->requires_grad);
}

int ftd_libft_dispatch(ftd_libft_t *s, const ftd_scenario_t *sc, ft_mode_t mode, ftd_dispatch_outcome_t *out,
                       char *why) {
    return ftd_libft_dispatch_profile(s, sc, mode, FT_PROFILE_PACKET, out, why);
}

int ftd_libft_dispatch_profile(ftd_libft_t *s, const ftd_scenario_t *sc, ft_mode_t mode, ft_profile_t profile,
                               ftd_dispatch_outcome_t *out, char *why) {
    memset(out, 0, sizeof *out);
    if (sc->kind != FTD_KIND_DISPATCH || !ftd_scenario_valid(sc)) {
        say(why, sc->kind != FTD_KIND_DISPATCH ? "not a dispatch scenario"
                                               : "invalid scenario (over a limit or out of range)");
        return -1;
    }
    const ft_op_t *op = NULL;
    ft_status st = FT_OK;
    if (sc->op.custom) {
        if (!custom_registry(s, &sc->op, NULL, &op, &st)) {
            say(why, "out of memory creating a registry");
            return -1;
        }
    } else {
        st = ft_registry_find(s->builtins, sc->op.name, &op);
    }
    if (st != FT_OK) { /* unknown op or rejected registrations: libft's answer */
        out->status = st;
        return 0;
    }
    ft_dispatch_ctx_t ctx = context_of(sc, mode);
    ctx.profile = profile;
    const ft_scalar_t a = scalar_of(&sc->lhs), b = scalar_of(&sc->rhs);
    ft_scalar_t r;
    ft_decision_t d;
    st = sc->has_keyset ? ft_dispatch_binary_with_keyset(&ctx, op, ft_keyset_from_raw(sc->keyset), &a, &b, &r, &d)
                        : ft_dispatch_binary(&ctx, op, &a, &b, &r, &d);
    outcome_from_decision(&d, out);
    out->status = st; /* the call's status is the answer (the decision's agrees, checked by a test) */
    if (st == FT_OK) {
        out->has_value = true;
        out->dtype = r.dtype;
        out->value_bits = ftd_value_bits(r.value, r.dtype);
        out->requires_grad = r.requires_grad;
    }
    return 0;
}

int ftd_libft_program(ftd_libft_t *s, const ftd_scenario_t *sc, ft_mode_t mode, ftd_program_outcome_t *out, char *why) {
    memset(out, 0, sizeof *out);
    if (sc->kind != FTD_KIND_PROGRAM || !ftd_scenario_valid(sc)) {
        say(why, sc->kind != FTD_KIND_PROGRAM ? "not a program scenario"
                                              : "invalid scenario (over a limit or out of range)");
        return -1;
    }
    ft_tape_t *tape;
    if (ft_tape_new(&tape) != FT_OK) {
        say(why, "out of memory creating a tape");
        return -1;
    }
    const ft_dispatch_ctx_t ctx = context_of(sc, mode);
    ft_var_t vars[FTD_MAX_VARS];
    int rc = 0;
    for (size_t i = 0; i < sc->leaf_count; i++) {
        const ft_scalar_t v = scalar_of(&sc->leaves[i]);
        if (ft_tape_leaf(tape, &v, &vars[i]) != FT_OK) {
            say(why, "tape rejected a leaf");
            rc = -1;
            goto done;
        }
        out->value_bits[i] = sc->leaves[i].bits;
        out->requires_grad[i] = sc->leaves[i].requires_grad;
    }
    out->ran = 0;
    for (size_t i = 0; i < sc->op_count; i++) {
        const ft_op_t *op;
        ft_status st = ft_registry_find(s->builtins, sc->ops[i].op, &op);
        ft_decision_t d;
        const size_t v = sc->leaf_count + i;
        if (st == FT_OK)
            st = ft_tape_apply(tape, &ctx, op, vars[sc->ops[i].lhs], vars[sc->ops[i].rhs], &vars[v], &d);
        if (st != FT_OK) {
            out->failed_status = st;
            goto done;
        }
        ft_scalar_t val;
        ft_tape_value(tape, vars[v], &val);
        out->value_bits[v] = ftd_value_bits(val.value, val.dtype);
        out->requires_grad[v] = val.requires_grad;
        out->ran++;
    }
    if (!out->requires_grad[sc->root])
        goto done;
    out->backward_ran = true;
    ft_backward_report_t rep;
    out->backward_status = ft_tape_backward(tape, vars[sc->root], NULL, &rep);
    if (out->backward_status != FT_OK)
        goto done;
    for (size_t i = 0; i < rep.steps && i < FTD_MAX_PROGRAM_OPS; i++) {
        /* report vars are tape variables: map back to scenario vars */
        for (size_t j = 0; j < sc->leaf_count + sc->op_count; j++)
            if (vars[j] == rep.order[i]) {
                out->order[out->order_count++] = (uint32_t)j;
                break;
            }
    }
    for (size_t i = 0; i < sc->leaf_count; i++) {
        double g;
        bool defined;
        if (ft_tape_grad(tape, vars[i], &g, &defined) == FT_OK && defined) {
            out->grad_defined[i] = true;
            out->grad_bits[i] = ftd_value_bits(g, sc->leaves[i].dtype);
        }
    }
done:
    ft_tape_free(tape);
    return rc;
}

int ftd_libft_table(ftd_libft_t *s, const ftd_scenario_t *sc, const size_t *order, ftd_table_outcome_t *out,
                    char *why) {
    memset(out, 0, sizeof *out);
    if (sc->kind != FTD_KIND_TABLE || !ftd_scenario_valid(sc)) {
        say(why,
            sc->kind != FTD_KIND_TABLE ? "not a table scenario" : "invalid scenario (over a limit or out of range)");
        return -1;
    }
    const ft_op_t *op = NULL;
    if (!custom_registry(s, &sc->op, order, &op, &out->status)) {
        say(why, "out of memory creating a registry");
        return -1;
    }
    if (out->status == FT_OK) {
        const ft_key_t *keys;
        const size_t n = ft_key_runtime_list(&keys);
        for (size_t i = 0; i < n; i++) {
            ft_table_entry_t e;
            if (ft_op_table_entry(op, keys[i], &e) != FT_OK)
                continue;
            out->entries[keys[i]].tag = e.tag;
            out->entries[keys[i]].source = e.source;
            out->entries[keys[i]].fallthrough = e.fallthrough;
        }
    }
    return 0;
}

int ftd_libft_keyset(const ftd_scenario_t *sc, ftd_keyset_outcome_t *out, char *why) {
    memset(out, 0, sizeof *out);
    if (sc->kind != FTD_KIND_KEYSET || !ftd_scenario_valid(sc)) {
        say(why,
            sc->kind != FTD_KIND_KEYSET ? "not a keyset scenario" : "invalid scenario (over a limit or out of range)");
        return -1;
    }
    const ft_keyset_t a = ft_keyset_from_raw(sc->a), b = ft_keyset_from_raw(sc->b);
    out->union_bits = ft_keyset_or(a, b).repr;
    out->and_bits = ft_keyset_and(a, b).repr;
    out->xor_bits = ft_keyset_xor(a, b).repr;
    out->sub_bits = ft_keyset_sub(a, b).repr;
    out->add_key_bits = ft_keyset_add(a, sc->key).repr;
    out->remove_key_bits = ft_keyset_remove(a, sc->key).repr;
    out->has_key = ft_keyset_has(a, sc->key);
    out->key_bits = ft_keyset_from_key(sc->key).repr;
    out->highest_functionality = ft_keyset_highest_functionality(a);
    out->highest_backend = ft_keyset_highest_backend(a);
    out->highest_priority = ft_keyset_highest_priority_type_id(a);
    out->highest_priority_backend = ft_keyset_highest_priority_backend_type_id(a);
    out->full_after_bits = ft_keyset_full_after(sc->key).repr;
    char text[FT_KEYSET_TEXT_MAX];
    const size_t n = ft_keyset_format_canonical(a, text, sizeof text);
    ft_keyset_t back = ft_keyset_from_raw(0);
    out->parse_status = n < sizeof text ? ft_keyset_parse(text, n, &back, NULL) : FT_EPARSE;
    out->parse_bits = out->parse_status == FT_OK ? back.repr : 0;
    out->validate_status = ft_keyset_validate(a);
    return 0;
}
