/* Scenarios: plain values, defaults, equality (ftdiff/scenario.h). The text form
 * is in scenario_codec.c. */
#include <string.h>

#include "ftdiff/scenario.h"

static const char *const kind_names[FTD_KIND_COUNT] = {"dispatch", "program", "table", "keyset"};

const char *ftd_kind_name(ftd_kind_t kind) {
    return (unsigned)kind < FTD_KIND_COUNT ? kind_names[kind] : NULL;
}

double ftd_operand_value(const ftd_operand_t *o) {
    if (o->dtype == FT_DTYPE_F32) {
        const uint32_t w = (uint32_t)o->bits;
        float f;
        memcpy(&f, &w, sizeof f);
        return ft_f32_widen(f); /* libft's convention: a signalling NaN stays one */
    }
    double d;
    memcpy(&d, &o->bits, sizeof d);
    return d;
}

uint64_t ftd_value_bits(double v, ft_dtype_t dtype) {
    if (dtype == FT_DTYPE_F32) {
        const float f = ft_f32_narrow(v);
        uint32_t w;
        memcpy(&w, &f, sizeof w);
        return w;
    }
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

void ftd_scenario_init(ftd_scenario_t *s, ftd_kind_t kind) {
    memset(s, 0, sizeof *s);
    const ft_dispatch_ctx_t ctx = FT_DISPATCH_CTX_INIT;
    s->kind = kind;
    s->grad_mode = true;
    s->include = ctx.include.repr;
    s->exclude = ctx.exclude.repr;
    s->lhs.dtype = s->rhs.dtype = FT_DTYPE_F64;
    s->lhs.device = s->rhs.device = FT_BACKEND_CPU;
}

static bool operand_equal(const ftd_operand_t *a, const ftd_operand_t *b) {
    return a->bits == b->bits && a->dtype == b->dtype && a->device == b->device && a->requires_grad == b->requires_grad;
}

static bool opref_equal(const ftd_opref_t *a, const ftd_opref_t *b) {
    if (strcmp(a->name, b->name) != 0 || a->custom != b->custom || a->reg_count != b->reg_count)
        return false;
    for (size_t i = 0; i < a->reg_count; i++)
        if (a->regs[i] != b->regs[i])
            return false;
    return true;
}

/* Only the fields a kind uses take part: the rest are not encoded. */
bool ftd_scenario_equal(const ftd_scenario_t *a, const ftd_scenario_t *b) {
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case FTD_KIND_DISPATCH:
        return a->grad_mode == b->grad_mode && a->include == b->include && a->exclude == b->exclude &&
               opref_equal(&a->op, &b->op) && operand_equal(&a->lhs, &b->lhs) && operand_equal(&a->rhs, &b->rhs) &&
               a->has_keyset == b->has_keyset && (!a->has_keyset || a->keyset == b->keyset);
    case FTD_KIND_PROGRAM:
        if (a->grad_mode != b->grad_mode || a->include != b->include || a->exclude != b->exclude ||
            a->leaf_count != b->leaf_count || a->op_count != b->op_count || a->root != b->root)
            return false;
        for (size_t i = 0; i < a->leaf_count; i++)
            if (!operand_equal(&a->leaves[i], &b->leaves[i]))
                return false;
        for (size_t i = 0; i < a->op_count; i++)
            if (strcmp(a->ops[i].op, b->ops[i].op) != 0 || a->ops[i].lhs != b->ops[i].lhs ||
                a->ops[i].rhs != b->ops[i].rhs)
                return false;
        return true;
    case FTD_KIND_TABLE:
        return opref_equal(&a->op, &b->op);
    case FTD_KIND_KEYSET:
        return a->a == b->a && a->b == b->b && a->key == b->key;
    }
    return false;
}
