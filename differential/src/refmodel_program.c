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
 *   - non-differentiable points take torch's coefficients (ftdr_partials in
 *     refmodel_kernels.c: ties of maximum/minimum split 1/2 each, NaN operands
 *     give both sides 1, pow's masked zeros, atan2(0, 0) gives NaN);
 *   - sqdiff is differentiated through its decomposition d = a - b, d * d.
 * Primal values are the forward pass's (in the dtype, so bit-exact with torch);
 * tangents are carried in double. Gradients are computed in hardened mode: a
 * program strict mode rejects has no gradients to check. */
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

/* The value of var v as a double (f32 widened exactly). An op's output has
 * its lhs's dtype, so the dtype is the leaf found by following lhs links. */
static double var_value(const ftd_scenario_t *s, const ftd_program_outcome_t *fwd, size_t v) {
    size_t u = v;
    while (u >= s->leaf_count)
        u = s->ops[u - s->leaf_count].lhs;
    const ftd_operand_t o = {fwd->value_bits[v], s->leaves[u].dtype, s->leaves[u].device, fwd->requires_grad[v]};
    return ftd_operand_value(&o);
}

static bool forward_for_gradients(const ftd_scenario_t *s, ftd_program_outcome_t *fwd) {
    if (!program_shape_ok(s) || s->leaf_count == 0)
        return false;
    ftd_ref_program_forward(s, FT_MODE_HARDENED, fwd);
    return fwd->ran == s->op_count;
}

bool ftd_dual_gradients(const ftd_scenario_t *s, double grads[FTD_MAX_LEAVES], bool defined[FTD_MAX_LEAVES]) {
    ftd_program_outcome_t fwd;
    for (size_t i = 0; i < FTD_MAX_LEAVES; i++) {
        grads[i] = 0.0;
        defined[i] = false;
    }
    if (!forward_for_gradients(s, &fwd))
        return false;
    double value[FTD_MAX_VARS];
    for (size_t v = 0; v < s->leaf_count + s->op_count; v++)
        value[v] = var_value(s, &fwd, v);

    for (size_t seed = 0; seed < s->leaf_count; seed++) {
        if (!s->leaves[seed].requires_grad)
            continue;
        double tangent[FTD_MAX_VARS];
        bool depends[FTD_MAX_VARS]; /* carries gradient from the seed leaf */
        for (size_t v = 0; v < s->leaf_count; v++) {
            depends[v] = v == seed;
            tangent[v] = v == seed ? 1.0 : 0.0;
        }
        for (size_t i = 0; i < s->op_count; i++) {
            const ftd_program_op_t *p = &s->ops[i];
            const size_t v = s->leaf_count + i;
            depends[v] = false;
            tangent[v] = 0.0;
            if (!fwd.requires_grad[v])
                continue; /* no node recorded: the output is a constant */
            double ja, jb;
            if (!ftdr_partials(p->op, value[p->lhs], value[p->rhs], value[v], &ja, &jb))
                return false;
            if (depends[p->lhs]) {
                tangent[v] += ja * tangent[p->lhs];
                depends[v] = true;
            }
            if (depends[p->rhs]) {
                tangent[v] = depends[v] ? tangent[v] + jb * tangent[p->rhs] : jb * tangent[p->rhs];
                depends[v] = true;
            }
        }
        defined[seed] = depends[s->root];
        grads[seed] = depends[s->root] ? tangent[s->root] : 0.0;
    }
    return true;
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
