/* Reference model: autograd programs — forward values and requires_grad
 * (packet profile), forward-mode dual-number gradients and central finite
 * differences.
 *
 * Gradient conventions (what torch's reverse mode does, restated for a forward
 * pass):
 *   - an op's output carries gradient only if the op recorded a node, i.e. its
 *     route passed an autograd kernel and an operand requires grad (the same
 *     requires_grad the forward pass reports); an operand that does not require
 *     grad receives none, so its coefficient is never multiplied in (this
 *     matters where a coefficient is inf or NaN, e.g. pow(0, 0.5) w.r.t. the
 *     base while only the exponent requires grad);
 *   - a leaf is "defined" only when it requires grad and the root depends on it
 *     through recorded ops (torch leaves .grad None otherwise); the root itself,
 *     when it is a leaf that requires grad, has gradient 1;
 *   - an operand used twice (mul(x, x)) sums both contributions, lhs first;
 *   - where torch masks a side to 0 (where / masked_fill_: the losing side of
 *     maximum/minimum, pow's base at exponent 0), reverse mode drops whatever
 *     gradient comes from the root, NaN or inf included, and only multiplies
 *     the 0 by the coefficients below. A plain forward tangent would instead
 *     multiply that 0 by coefficients above (0 * NaN = NaN), so the tangent
 *     has two parts: `live`, scaled on the way up, and `frozen`, the paths
 *     that passed a mask (0 times the tangent below), carried unscaled;
 *   - non-differentiable points take torch's coefficients (ftdr_partials in
 *     refmodel_kernels.c: ties of maximum/minimum split 1/2 each, NaN operands
 *     give both sides 1, pow's masked zeros, atan2(0, 0) gives NaN);
 *   - sqdiff is differentiated through its decomposition d = a - b, d * d.
 * Primal values are the forward pass's (in the dtype, so bit-exact with torch);
 * each local coefficient is computed in the dtype as torch's formula computes
 * it; tangents are carried in double. So results differ from a reverse-mode
 * evaluation (torch, libft's tape) by rounding, by where an overflow or a
 * 0 * inf happens, and — where a gradient is a difference of large terms — by
 * cancellation noise; ftdr_dual_gradients_bounded reports the magnitude that
 * bounds all three (refmodel_internal.h). Gradients are computed in hardened
 * mode: a program strict mode rejects has no gradients to check. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "refmodel_internal.h"

static bool program_shape_ok(const ftd_scenario_t *s) {
    if (s->leaf_count > FTD_MAX_LEAVES || s->op_count > FTD_MAX_PROGRAM_OPS)
        return false;
    for (size_t i = 0; i < s->op_count; i++)
        if (s->ops[i].lhs >= s->leaf_count + i || s->ops[i].rhs >= s->leaf_count + i)
            return false;
    return s->root < s->leaf_count + s->op_count;
}

void ftd_ref_program_forward(const ftd_scenario_t *s, ft_mode_t mode, ftd_program_outcome_t *out) {
    memset(out, 0, sizeof *out);
    if (!program_shape_ok(s)) {
        out->failed_status = FT_EUNKNOWN_VAR;
        return;
    }
    ftd_operand_t vars[FTD_MAX_VARS];
    for (size_t i = 0; i < s->leaf_count; i++) {
        vars[i] = s->leaves[i];
        out->value_bits[i] = s->leaves[i].bits;
        out->requires_grad[i] = s->leaves[i].requires_grad;
    }
    for (size_t i = 0; i < s->op_count; i++) {
        const ftd_program_op_t *p = &s->ops[i];
        const size_t v = s->leaf_count + i;
        ftd_dispatch_outcome_t d;
        ftdr_dispatch_builtin(p->op, mode, s->grad_mode, s->include, s->exclude, &vars[p->lhs], &vars[p->rhs], &d);
        if (d.status != FT_OK) {
            out->ran = i;
            out->failed_status = d.status;
            return;
        }
        vars[v] = (ftd_operand_t){d.value_bits, vars[p->lhs].dtype, vars[p->lhs].device, d.requires_grad};
        out->value_bits[v] = d.value_bits;
        out->requires_grad[v] = d.requires_grad;
    }
    out->ran = s->op_count;
}

/* An op's output has its lhs's dtype and device: those of the leaf found by
 * following lhs links. */
static const ftd_operand_t *origin_leaf(const ftd_scenario_t *s, size_t v) {
    while (v >= s->leaf_count)
        v = s->ops[v - s->leaf_count].lhs;
    return &s->leaves[v];
}

static ft_dtype_t dtype_of(const ftd_scenario_t *s, size_t v) {
    return origin_leaf(s, v)->dtype;
}

/* The value of var v as a double (f32 widened exactly). */
static double var_value(const ftd_scenario_t *s, const ftd_program_outcome_t *fwd, size_t v) {
    const ftd_operand_t *leaf = origin_leaf(s, v);
    const ftd_operand_t o = {fwd->value_bits[v], leaf->dtype, leaf->device, fwd->requires_grad[v]};
    return ftd_operand_value(&o);
}

static bool forward_for_gradients(const ftd_scenario_t *s, ftd_program_outcome_t *fwd) {
    if (!program_shape_ok(s) || s->leaf_count == 0)
        return false;
    ftd_ref_program_forward(s, FT_MODE_HARDENED, fwd);
    return fwd->ran == s->op_count;
}

bool ftd_dual_gradients(const ftd_scenario_t *s, double grads[FTD_MAX_LEAVES], bool defined[FTD_MAX_LEAVES]) {
    double magnitude[FTD_MAX_LEAVES];
    return ftdr_dual_gradients_bounded(s, grads, defined, magnitude);
}

bool ftdr_dual_gradients_bounded(const ftd_scenario_t *s, double grads[FTD_MAX_LEAVES], bool defined[FTD_MAX_LEAVES],
                                 double magnitude[FTD_MAX_LEAVES]) {
    ftd_program_outcome_t fwd;
    for (size_t i = 0; i < FTD_MAX_LEAVES; i++) {
        grads[i] = magnitude[i] = 0.0;
        defined[i] = false;
    }
    if (!forward_for_gradients(s, &fwd))
        return false;
    const size_t nvars = s->leaf_count + s->op_count, root = s->root;
    double value[FTD_MAX_VARS];
    for (size_t v = 0; v < nvars; v++)
        value[v] = var_value(s, &fwd, v);
    /* every recorded op's two sides, once */
    ftdr_partial_t side[FTD_MAX_PROGRAM_OPS][2];
    for (size_t i = 0; i < s->op_count; i++) {
        const ftd_program_op_t *p = &s->ops[i];
        const size_t v = s->leaf_count + i;
        if (fwd.requires_grad[v] &&
            !ftdr_partials(p->op, dtype_of(s, v), value[p->lhs], value[p->rhs], value[v], &side[i][0], &side[i][1]))
            return false;
    }
    /* The size reverse mode's running gradient reaches at each var (a sum of
     * |coefficient| products from the root down): where it passes the dtype's
     * range, torch's backward overflows on the way even if the final product
     * is small, so such a path makes the result order-dependent. */
    double reach[FTD_MAX_VARS], peak[FTD_MAX_PROGRAM_OPS][2];
    for (size_t v = 0; v < nvars; v++)
        reach[v] = v == root ? 1.0 : 0.0;
    for (size_t i = s->op_count; i-- > 0;) {
        const size_t v = s->leaf_count + i;
        peak[i][0] = peak[i][1] = 0.0;
        if (!fwd.requires_grad[v] || reach[v] == 0)
            continue;
        const uint32_t operand[2] = {s->ops[i].lhs, s->ops[i].rhs};
        for (int k = 0; k < 2; k++) {
            if (!fwd.requires_grad[operand[k]] || side[i][k].masked)
                continue;
            peak[i][k] = side[i][k].fragile ? INFINITY : reach[v] * fabs(side[i][k].first);
            reach[operand[k]] += fabs(side[i][k].coef) * reach[v];
        }
    }

    for (size_t seed = 0; seed < s->leaf_count; seed++) {
        if (!s->leaves[seed].requires_grad)
            continue;
        const double limit = s->leaves[seed].dtype == FT_DTYPE_F32 ? FLT_MAX : DBL_MAX;
        bool order_dependent = false;
        /* live: the tangent, scaled by every coefficient on the way up;
         * frozen: what passed a masked side, which nothing above may scale
         * (in reverse mode the mask replaces whatever comes from the root).
         * Each part is there or structurally absent (a 0 that is not there
         * must not meet an inf or NaN coefficient). The *_abs sums are the
         * same with every term in absolute value. */
        double live[FTD_MAX_VARS], frozen[FTD_MAX_VARS], live_abs[FTD_MAX_VARS], frozen_abs[FTD_MAX_VARS];
        bool has_live[FTD_MAX_VARS], has_frozen[FTD_MAX_VARS];
        for (size_t v = 0; v < s->leaf_count; v++) {
            has_live[v] = v == seed;
            live[v] = live_abs[v] = v == seed ? 1.0 : 0.0;
            has_frozen[v] = false;
            frozen[v] = frozen_abs[v] = 0.0;
        }
        for (size_t i = 0; i < s->op_count; i++) {
            const size_t v = s->leaf_count + i;
            has_live[v] = has_frozen[v] = false;
            live[v] = frozen[v] = live_abs[v] = frozen_abs[v] = 0.0;
            if (!fwd.requires_grad[v])
                continue; /* no node recorded: the output is a constant */
            const uint32_t operand[2] = {s->ops[i].lhs, s->ops[i].rhs};
            for (int k = 0; k < 2; k++) {
                const uint32_t u = operand[k];
                const ftdr_partial_t *pk = &side[i][k];
                if (has_frozen[u]) {
                    frozen[v] += frozen[u];
                    frozen_abs[v] += frozen_abs[u];
                    has_frozen[v] = true;
                }
                if (!has_live[u])
                    continue;
                if (pk->masked) {
                    frozen[v] += 0.0 * live[u]; /* 0, or NaN when the tangent below is inf or NaN */
                    frozen_abs[v] += 0.0 * live_abs[u];
                    has_frozen[v] = true;
                } else {
                    live[v] += pk->coef * live[u];
                    live_abs[v] += fabs(pk->coef) * live_abs[u];
                    has_live[v] = true;
                    if (!(peak[i][k] <= limit))
                        order_dependent = true;
                }
            }
            if ((has_live[v] || has_frozen[v]) && !(reach[v] <= limit))
                order_dependent = true;
        }
        defined[seed] = has_live[root] || has_frozen[root];
        grads[seed] = (has_live[root] ? live[root] : 0.0) + (has_frozen[root] ? frozen[root] : 0.0);
        magnitude[seed] = (has_live[root] ? live_abs[root] : 0.0) + (has_frozen[root] ? frozen_abs[root] : 0.0);
        if (order_dependent || !(reach[seed] <= limit) || !(magnitude[seed] <= limit))
            magnitude[seed] = INFINITY;
    }
    return true;
}

ftdr_grad_verdict_t ftdr_grad_compare(ft_dtype_t dtype, size_t op_count, double dual, double magnitude, double other) {
    const bool f32 = dtype == FT_DTYPE_F32;
    const double got = f32 ? (double)(float)dual : dual; /* a float .grad is a float */
    const double atol = f32 ? 1e-6 : 1e-12, rtol = f32 ? 1e-4 : 1e-9;
    const double eps = f32 ? (double)FLT_EPSILON : DBL_EPSILON;
    if ((isnan(got) && isnan(other)) || got == other)
        return FTDR_GRAD_AGREE;
    if (isfinite(got) && isfinite(other) &&
        fabs(got - other) <= atol + rtol * fabs(other) + 4.0 * (double)(op_count + 1) * eps * magnitude)
        return FTDR_GRAD_AGREE;
    return isfinite(magnitude) ? FTDR_GRAD_DIFFER : FTDR_GRAD_INDETERMINATE;
}

/* The root's value in double with leaf `leaf` moved by `delta`; outputs that
 * carry no gradient keep their forward value (they are constants to autograd). */
static double evaluate_moved(const ftd_scenario_t *s, const ftd_program_outcome_t *fwd, size_t leaf, double delta) {
    double value[FTD_MAX_VARS];
    for (size_t v = 0; v < s->leaf_count; v++)
        value[v] = var_value(s, fwd, v) + (v == leaf ? delta : 0.0);
    for (size_t i = 0; i < s->op_count; i++) {
        const ftd_program_op_t *p = &s->ops[i];
        const size_t v = s->leaf_count + i;
        double r = var_value(s, fwd, v);
        if (fwd->requires_grad[v] && !ftd_ref_kernel(p->op, FT_DTYPE_F64, value[p->lhs], value[p->rhs], &r))
            r = NAN;
        value[v] = r;
    }
    return value[s->root];
}

bool ftd_finite_diff_gradients(const ftd_scenario_t *s, double eps, double grads[FTD_MAX_LEAVES]) {
    ftd_program_outcome_t fwd;
    for (size_t i = 0; i < FTD_MAX_LEAVES; i++)
        grads[i] = 0.0;
    if (!forward_for_gradients(s, &fwd) || !(eps > 0))
        return false;
    for (size_t leaf = 0; leaf < s->leaf_count; leaf++) {
        if (!s->leaves[leaf].requires_grad)
            continue;
        const double up = evaluate_moved(s, &fwd, leaf, eps), down = evaluate_moved(s, &fwd, leaf, -eps);
        grads[leaf] = (up - down) / (2.0 * eps);
    }
    return true;
}
