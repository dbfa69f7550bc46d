/* The tape: requires_grad routing, gradient rules, graph retention, errors and
 * determinism. */
#include <math.h>
#include <stdlib.h>

#include "ft/ft.h"
#include "ft_test.h"

typedef struct {
    ft_registry_t *reg;
    ft_tape_t *tape;
    ft_dispatch_ctx_t ctx;
} env_t;

static bool env_open(env_t *e, ft_mode_t mode) {
    ft_dispatch_ctx_init(&e->ctx);
    e->ctx.mode = mode;
    return ft_registry_new(&e->reg) == FT_OK && ft_tape_new(&e->tape) == FT_OK;
}

static void env_close(env_t *e) {
    ft_tape_free(e->tape);
    ft_registry_free(e->reg);
}

static ft_var_t leaf(env_t *e, double v, bool rg) {
    const ft_scalar_t s = ft_scalar_make(v, FT_DTYPE_F64, FT_BACKEND_CPU, rg);
    ft_var_t out = 0;
    ft_tape_leaf(e->tape, &s, &out);
    return out;
}

static ft_status apply(env_t *e, const char *name, ft_var_t a, ft_var_t b, ft_var_t *out, ft_decision_t *d) {
    const ft_op_t *op;
    ft_status st = ft_registry_find(e->reg, name, &op);
    return st != FT_OK ? st : ft_tape_apply(e->tape, &e->ctx, op, a, b, out, d);
}

static double grad_of(env_t *e, ft_var_t v, bool *defined) {
    double g = 0;
    ft_tape_grad(e->tape, v, &g, defined);
    return g;
}

/* Packet: requires_grad=true routes through AutogradCPU and records the hop;
 * false does not, and the result does not require grad. */
static void autograd_requires_grad_routes_through_autograd_cpu(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    ft_var_t x = leaf(&e, 2, true), y = leaf(&e, 3, false), c = leaf(&e, 4, false), z = 0, w = 0;
    ft_decision_t d;
    ft_status st = apply(&e, "add", x, y, &z, &d);
    const bool hop = st == FT_OK && d.selected_key == FT_KEY_AUTOGRAD_CPU && d.hops[0].tag == FT_TAG_AUTOGRAD;
    ft_scalar_t zv;
    ft_tape_value(e.tape, z, &zv);
    st = st == FT_OK ? apply(&e, "add", y, c, &w, &d) : st;
    const bool no_hop = st == FT_OK && d.selected_key == FT_KEY_CPU;
    ft_scalar_t wv;
    ft_tape_value(e.tape, w, &wv);
    env_close(&e);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK(hop && zv.requires_grad && zv.value == 5);
    FT_CHECK(no_hop && !wv.requires_grad);
}

typedef struct {
    const char *op;
    double a, b, ga, gb; /* torch 1.13's gradients for d op(a, b) */
} rule_t;

/* One case per rule and edge the oracle README lists (torch-computed values). */
static void autograd_gradient_rules(void) {
    const double inf = INFINITY;
    static const rule_t rules[] = {
        {"add", 2, 3, 1, 1},
        {"sub", 2, 3, 1, -1},
        {"mul", 2, 3, 3, 2},
        {"div", 1, 4, 0.25, -0.0625},
        {"div", 1, 0, INFINITY, -INFINITY},
        {"maximum", 2, 3, 0, 1},
        {"maximum", 3, 3, 0.5, 0.5}, /* ties split the gradient */
        {"minimum", 2, 3, 1, 0},
        {"minimum", -1, -1, 0.5, 0.5},
        {"pow", 2, 3, 12, 8 * 0.69314718055994529},
        {"pow", 0, 0, 0, 0},
        {"pow", 0, 2, 0, 0},
        {"pow", 0, 0.5, INFINITY, 0},
        {"pow", 2, 0, 0, 0.69314718055994529},
        {"atan2", 1, 1, 0.5, -0.5},
        {"rsub", 2, 5, -1, 1},
        {"sqdiff", 5, 2, 6, -6}, /* through sub and mul */
    };
    (void)inf;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const rule_t *r = &rules[i];
        env_t e;
        FT_CHECK(env_open(&e, FT_MODE_HARDENED));
        ft_var_t a = leaf(&e, r->a, true), b = leaf(&e, r->b, true), out;
        ft_status st = apply(&e, r->op, a, b, &out, NULL);
        if (st == FT_OK)
            st = ft_tape_backward(e.tape, out, NULL, NULL);
        bool da, db;
        const double ga = grad_of(&e, a, &da), gb = grad_of(&e, b, &db);
        env_close(&e);
        FT_CHECK_MSG(st == FT_OK && da && db, "%s(%g, %g): %s", r->op, r->a, r->b, ft_status_code(st));
        FT_CHECK_MSG(ga == r->ga && gb == r->gb, "%s(%g, %g): grads %.17g, %.17g, want %.17g, %.17g", r->op, r->a, r->b,
                     ga, gb, r->ga, r->gb);
    }
    /* NaN operands give both sides of maximum the whole gradient */
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    ft_var_t a = leaf(&e, NAN, true), b = leaf(&e, 1, true), out;
    FT_CHECK_STATUS(apply(&e, "maximum", a, b, &out, NULL), FT_OK);
    FT_CHECK_STATUS(ft_tape_backward(e.tape, out, NULL, NULL), FT_OK);
    bool d1, d2;
    const double g1 = grad_of(&e, a, &d1), g2 = grad_of(&e, b, &d2);
    env_close(&e);
    FT_CHECK(g1 == 1 && g2 == 1);
}

/* sqdiff's gradient comes from the nodes its decomposition recorded. */
static void autograd_composite_records_its_decomposition(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_HARDENED));
    ft_var_t a = leaf(&e, 5, true), b = leaf(&e, 2, true), out;
    ft_backward_report_t rep;
    ft_status st = apply(&e, "sqdiff", a, b, &out, NULL);
    const size_t vars = ft_tape_var_count(e.tape);
    if (st == FT_OK)
        st = ft_tape_backward(e.tape, out, NULL, &rep);
    const size_t steps = st == FT_OK ? rep.steps : 0;
    const ft_var_t first = steps ? rep.order[0] : 0, second = steps > 1 ? rep.order[1] : 0;
    env_close(&e);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK_EQ_INT(vars, 4); /* a, b, d = sub(a, b), mul(d, d) */
    FT_CHECK_EQ_INT(steps, 2);
    FT_CHECK(first == out && second == 2); /* mul, then sub */
}

static void autograd_retain_graph_and_errors(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    ft_var_t x = leaf(&e, 3, true), k = leaf(&e, 2, false), y, z;
    const ft_backward_options_t keep = {true};
    ft_status s1 = apply(&e, "mul", x, x, &y, NULL);
    ft_status s2 = ft_tape_backward(e.tape, y, &keep, NULL);
    ft_status s3 = ft_tape_backward(e.tape, y, NULL, NULL); /* retained: allowed once more */
    ft_status s4 = ft_tape_backward(e.tape, y, NULL, NULL); /* now released */
    bool defined;
    const double g = grad_of(&e, x, &defined); /* accumulated twice: 6 + 6 */
    ft_status s5 = apply(&e, "add", k, k, &z, NULL);
    ft_status s6 = ft_tape_backward(e.tape, z, NULL, NULL); /* root does not require grad */
    ft_status s7 = ft_tape_backward(e.tape, 99, NULL, NULL);
    ft_status s8 = ft_tape_backward(e.tape, x, NULL, NULL); /* a leaf root: grad += 1 */
    const double g2 = grad_of(&e, x, &defined);
    bool yd;
    grad_of(&e, y, &yd); /* non-leaf: no .grad */
    env_close(&e);
    FT_CHECK_STATUS(s1, FT_OK);
    FT_CHECK_STATUS(s2, FT_OK);
    FT_CHECK_STATUS(s3, FT_OK);
    FT_CHECK_STATUS(s4, FT_EGRAPH_RELEASED);
    FT_CHECK(g == 12);
    FT_CHECK_STATUS(s5, FT_OK);
    FT_CHECK_STATUS(s6, FT_EROOT_NO_GRAD);
    FT_CHECK_STATUS(s7, FT_EUNKNOWN_VAR);
    FT_CHECK_STATUS(s8, FT_OK);
    FT_CHECK(g2 == 13 && !yd);
}

/* acc = acc + x_i: backward reaches every leaf, whatever order the leaves were
 * made in, and reports them ascending (the sort is no longer insertion sort,
 * which was quadratic on leaves delivered in reverse). */
static void autograd_many_leaves_in_any_order(void) {
    enum { N = 3000 };
    for (int shuffled = 0; shuffled < 2; shuffled++) {
        env_t e;
        FT_CHECK(env_open(&e, FT_MODE_STRICT));
        ft_var_t *xs = malloc(N * sizeof *xs);
        FT_CHECK(xs);
        for (int i = 0; i < N; i++)
            xs[i] = leaf(&e, i, true);
        if (shuffled) { /* a fixed permutation: use order unrelated to creation order */
            uint32_t r = 12345;
            for (int i = N - 1; i > 0; i--) {
                r = r * 1103515245u + 12345u;
                const int j = (int)((r >> 8) % (uint32_t)(i + 1));
                const ft_var_t t = xs[i];
                xs[i] = xs[j];
                xs[j] = t;
            }
        }
        ft_var_t acc = xs[0];
        ft_status st = FT_OK;
        for (int i = 1; i < N && st == FT_OK; i++)
            st = apply(&e, "add", acc, xs[i], &acc, NULL);
        ft_backward_report_t rep;
        st = st ? st : ft_tape_backward(e.tape, acc, NULL, &rep);
        bool ok = st == FT_OK && rep.steps == N - 1 && rep.leaf_count == N;
        for (size_t i = 0; ok && i < rep.leaf_count; i++)
            ok = rep.leaves[i] == (ft_var_t)i;
        for (size_t i = 1; ok && i < rep.steps; i++)
            ok = rep.order[i - 1] > rep.order[i]; /* a chain runs newest node first */
        for (int i = 0; ok && i < N; i++) {
            bool defined;
            ok = grad_of(&e, (ft_var_t)i, &defined) == 1 && defined;
        }
        free(xs);
        env_close(&e);
        FT_CHECK_STATUS(st, FT_OK);
        FT_CHECK_MSG(ok, "shuffled=%d", shuffled);
    }
}

/* A leaf's gradients are summed in the order they are delivered (newest node
 * first), also when the deliveries are many and arrive scrambled (the radix
 * path): the weights are chosen so that any other order rounds differently. */
static void autograd_leaf_sums_keep_delivery_order(void) {
    enum { LEAVES = 10, USES = 2000 };
    static const double pattern[] = {1e16, 1.0, -1e16, 3.0, 0.5, -1.0, 1e-3, 7e15};
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    ft_var_t xs[LEAVES];
    for (int j = 0; j < LEAVES; j++)
        xs[j] = leaf(&e, j + 1, true);
    ft_var_t acc = 0, m;
    ft_status st = FT_OK;
    double want[LEAVES];
    bool seen[LEAVES] = {false};
    for (int i = 0; i < USES && st == FT_OK; i++) {
        const double w = pattern[(i * 5 + i / 8) % 8];
        const ft_var_t wv = leaf(&e, w, false);
        st = apply(&e, "mul", xs[(i * 7) % LEAVES], wv, &m, NULL);
        if (st == FT_OK)
            st = i ? apply(&e, "add", acc, m, &acc, NULL) : FT_OK;
        if (i == 0)
            acc = m;
    }
    /* the walk runs use USES-1 first: x_j's buffer is w of its last use, then
     * + w of each earlier one */
    for (int i = USES - 1; i >= 0; i--) {
        const int j = (i * 7) % LEAVES;
        const double w = pattern[(i * 5 + i / 8) % 8];
        want[j] = seen[j] ? want[j] + w : w;
        seen[j] = true;
    }
    st = st ? st : ft_tape_backward(e.tape, acc, NULL, NULL);
    bool ok = st == FT_OK;
    for (int j = 0; ok && j < LEAVES; j++) {
        bool defined;
        const double g = grad_of(&e, xs[j], &defined);
        ok = defined && memcmp(&g, &want[j], sizeof g) == 0;
        if (!ok)
            ft_test_fail(__FILE__, __LINE__, "leaf %d: %.17g, want %.17g", j, g, want[j]);
    }
    env_close(&e);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK(ok);
}

/* ft_tape_clear drops every variable; ids go on and never name two variables. */
static void autograd_clear_drops_variables_ids_go_on(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    ft_var_t x = leaf(&e, 2, true), y = leaf(&e, 3, true), z = 0, w = 0;
    ft_status s1 = apply(&e, "mul", x, y, &z, NULL);
    ft_tape_clear(e.tape);
    const size_t count = ft_tape_var_count(e.tape);
    const ft_var_t first = ft_tape_first_var(e.tape);
    ft_scalar_t v;
    const ft_status gone = ft_tape_value(e.tape, x, &v);
    const ft_status apply_gone = apply(&e, "add", x, y, &w, NULL);
    const bool said =
        strcmp(ft_tape_last_error(e.tape)->message, "variable 0 was dropped when the tape was cleared") == 0;
    const ft_status back_gone = ft_tape_backward(e.tape, z, NULL, NULL);
    ft_var_t a = leaf(&e, 5, true), b = leaf(&e, 7, false), c = 0;
    ft_status s2 = apply(&e, "mul", a, b, &c, NULL);
    ft_backward_report_t rep;
    ft_status s3 = s2 ? s2 : ft_tape_backward(e.tape, c, NULL, &rep);
    bool defined;
    const double ga = grad_of(&e, a, &defined);
    const bool rep_ok = s3 == FT_OK && rep.steps == 1 && rep.order[0] == c && rep.leaf_count == 1 &&
                        rep.leaves[0] == a; /* b needs no grad: nothing is delivered to it */
    ft_tape_clear(e.tape);
    ft_tape_clear(e.tape); /* twice: nothing left to drop */
    ft_tape_clear(NULL);
    const size_t count2 = ft_tape_var_count(e.tape);
    env_close(&e);
    FT_CHECK_STATUS(s1, FT_OK);
    FT_CHECK(z == 2 && count == 3 && first == 3);
    FT_CHECK_STATUS(gone, FT_EUNKNOWN_VAR);
    FT_CHECK_STATUS(apply_gone, FT_EUNKNOWN_VAR);
    FT_CHECK(said);
    FT_CHECK_STATUS(back_gone, FT_EUNKNOWN_VAR);
    FT_CHECK(a == 3 && b == 4 && c == 5);
    FT_CHECK_STATUS(s3, FT_OK);
    FT_CHECK(ga == 7 && defined && rep_ok);
    FT_CHECK(count2 == 6);
}

/* The tape's last error names the variable, the node or the route. */
static void autograd_last_error_says_where(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    const bool clean = ft_tape_last_error(e.tape)->code == FT_OK;
    ft_var_t x = leaf(&e, 3, true), k = leaf(&e, 2, false), y = 0, r = 0;
    char m[5][FT_ERROR_MESSAGE_MAX];
    ft_status st[5];
    st[0] = apply(&e, "mul", x, x, &y, NULL);
    st[0] = st[0] ? st[0] : ft_tape_backward(e.tape, y, NULL, NULL);
    st[0] = st[0] ? st[0] : ft_tape_backward(e.tape, y, NULL, NULL);
    const ft_error_t *err = ft_tape_last_error(e.tape); /* made at the first failure, then stable */
    snprintf(m[0], sizeof m[0], "%s", err->message);
    st[1] = ft_tape_backward(e.tape, k, NULL, NULL);
    snprintf(m[1], sizeof m[1], "%s", err->message);
    st[2] = apply(&e, "rsub", x, k, &r, NULL); /* strict: rejected, no decision asked for */
    snprintf(m[2], sizeof m[2], "%s", err->message);
    ft_decision_t d;
    st[3] = apply(&e, "rsub", x, k, &r, &d);
    snprintf(m[3], sizeof m[3], "%s", err->message);
    st[4] = apply(&e, "add", x, 42, &r, NULL);
    snprintf(m[4], sizeof m[4], "%s", err->message);
    env_close(&e);
    FT_CHECK(clean);
    FT_CHECK_STATUS(st[0], FT_EGRAPH_RELEASED);
    FT_CHECK_MSG(strcmp(m[0], "the node (autograd::mul) that made variable 2 was released by an earlier backward "
                              "(use retain_graph to backward through it again)") == 0,
                 "%s", m[0]);
    FT_CHECK_STATUS(st[1], FT_EROOT_NO_GRAD);
    FT_CHECK_MSG(strcmp(m[1], "backward root variable 1 does not require grad and has no grad_fn") == 0, "%s", m[1]);
    FT_CHECK_STATUS(st[2], FT_ECOMPOSITE_REJECTED);
    FT_CHECK_MSG(strcmp(m[2], "rsub: composite_fallback_rejected: strict mode rejects composite_explicit::rsub at "
                              "AutogradCPU (default backend kernel)") == 0,
                 "%s", m[2]);
    FT_CHECK_STATUS(st[3], FT_ECOMPOSITE_REJECTED);
    FT_CHECK_MSG(strcmp(m[2], m[3]) == 0, "%s", m[3]);
    FT_CHECK_STATUS(st[4], FT_EUNKNOWN_VAR);
    FT_CHECK_MSG(strcmp(m[4], "variable 42 does not exist (the tape has variables 0..2)") == 0, "%s", m[4]);
    FT_CHECK(ft_tape_last_error(NULL)->code == FT_EINVALID_ARGUMENT);
}

static ft_status user_cpu(const ft_kernel_call_t *c, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    (void)c;
    out->value = a->value * 2 + b->value;
    return FT_OK;
}

static ft_status flaky_backward(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    int *failures_left = payload;
    if (*failures_left > 0) {
        (*failures_left)--;
        return FT_EINVALID_ARGUMENT;
    }
    *ga = x->grad * x->b;
    *gb = x->grad * x->a;
    return FT_OK;
}

/* A derivative that fails in the middle of the walk: nothing accumulated, the
 * nodes already run are not released, and the next backward runs them. */
static void autograd_failed_walk_releases_nothing(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    int failures_left = 1;
    const ft_registration_t flaky[] = {{FT_KEY_CPU, "user::flaky_mul", user_cpu, NULL, NULL},
                                       {FT_KEY_AUTOGRAD, "autograd::flaky_mul", NULL, &failures_left, flaky_backward}};
    const ft_op_t *op;
    ft_status st = ft_registry_register(e.reg, "flaky_mul", flaky, 2, &op);
    ft_var_t x = leaf(&e, 3, true), y = leaf(&e, 5, true), f = 0, z = 0;
    st = st ? st : ft_tape_apply(e.tape, &e.ctx, op, x, y, &f, NULL); /* f = 2x + y = 11 */
    st = st ? st : apply(&e, "mul", f, x, &z, NULL);                  /* z = f * x, runs first */
    const ft_status first = st ? st : ft_tape_backward(e.tape, z, NULL, NULL);
    bool xd, yd;
    grad_of(&e, x, &xd);
    grad_of(&e, y, &yd);
    const bool said =
        strstr(ft_tape_last_error(e.tape)->message, "the derivative of autograd::flaky_mul failed") != NULL;
    const ft_status second = ft_tape_backward(e.tape, z, NULL, NULL);
    bool defined;
    const double gx = grad_of(&e, x, &defined), gy = grad_of(&e, y, &yd);
    const ft_status third = ft_tape_backward(e.tape, z, NULL, NULL);
    env_close(&e);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK_STATUS(first, FT_EINVALID_ARGUMENT);
    FT_CHECK(!xd && said);
    FT_CHECK_STATUS(second, FT_OK);
    /* z = f * x: x gets f = 11 directly; flaky's rule with grad dz/df = x = 3 gives
     * x 3 * y = 15 and y 3 * x = 9 */
    FT_CHECK(defined && gx == 11 + 15 && gy == 9);
    FT_CHECK_STATUS(third, FT_EGRAPH_RELEASED);
}

/* An op with only a CPU kernel: AutogradCPU falls through, so (as in torch) the
 * result does not require grad; one with an Autograd kernel but no derivative
 * fails at backward. */
static void autograd_ops_without_derivatives(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_STRICT));
    const ft_registration_t plain[] = {{FT_KEY_CPU, "user::plain", user_cpu, NULL, NULL}};
    const ft_registration_t noderiv[] = {{FT_KEY_CPU, "user::nd", user_cpu, NULL, NULL},
                                         {FT_KEY_AUTOGRAD, "autograd::nd", NULL, NULL, NULL}};
    const ft_op_t *p, *n;
    ft_status r1 = ft_registry_register(e.reg, "plain", plain, 1, &p);
    ft_status r2 = ft_registry_register(e.reg, "noderiv", noderiv, 2, &n);
    ft_var_t x = leaf(&e, 1, true), y1 = 0, y2 = 0;
    ft_status a1 = r1 == FT_OK ? ft_tape_apply(e.tape, &e.ctx, p, x, x, &y1, NULL) : r1;
    ft_status a2 = r2 == FT_OK ? ft_tape_apply(e.tape, &e.ctx, n, x, x, &y2, NULL) : r2;
    ft_scalar_t v1, v2;
    ft_tape_value(e.tape, y1, &v1);
    ft_tape_value(e.tape, y2, &v2);
    ft_status b1 = ft_tape_backward(e.tape, y1, NULL, NULL), b2 = ft_tape_backward(e.tape, y2, NULL, NULL);
    env_close(&e);
    FT_CHECK_STATUS(a1, FT_OK);
    FT_CHECK_STATUS(a2, FT_OK);
    FT_CHECK(!v1.requires_grad && v1.value == 3 && v2.requires_grad);
    FT_CHECK_STATUS(b1, FT_EROOT_NO_GRAD);
    FT_CHECK_STATUS(b2, FT_ENO_DERIVATIVE);
}

static ft_status mul_via_redispatch(const ft_kernel_call_t *c, const ft_scalar_t *a, const ft_scalar_t *b,
                                    ft_scalar_t *out) {
    const ft_op_t *mul;
    ft_status st = ft_registry_find(ft_op_registry(ft_kernel_call_op(c)), "mul", &mul);
    return st != FT_OK ? st : ft_kernel_redispatch(c, mul, a, b, out);
}

static ft_status mul_backward(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    (void)payload;
    *ga = x->grad * x->b;
    *gb = x->grad * x->a;
    return FT_OK;
}

static ft_status edits_then_muls(const ft_kernel_call_t *c, const ft_scalar_t *a, const ft_scalar_t *b,
                                 ft_scalar_t *out) {
    ft_scalar_t twice = *a; /* the handle travels with the copy; the value no longer matches */
    twice.value *= 2;
    return mul_via_redispatch(c, &twice, b, out);
}

/* An op with its own autograd kernel owns its node even when its backend
 * kernel computes by redispatching (the inner call runs below autograd and
 * records nothing); and a scalar whose value was edited after it left the tape
 * is a constant, never a path to the variable it was copied from. */
static void autograd_wrapped_kernels_own_their_node(void) {
    env_t e;
    FT_CHECK(env_open(&e, FT_MODE_HARDENED));
    const ft_registration_t wrapped[] = {{FT_KEY_CPU, "user::mulish", mul_via_redispatch, NULL, NULL},
                                         {FT_KEY_AUTOGRAD, "autograd::mulish", NULL, NULL, mul_backward}};
    const ft_registration_t editing[] = {
        {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "composite_implicit::edit", edits_then_muls, NULL, NULL}};
    const ft_op_t *w, *ed;
    ft_status r1 = ft_registry_register(e.reg, "mulish", wrapped, 2, &w);
    ft_status r2 = ft_registry_register(e.reg, "edit", editing, 1, &ed);
    ft_var_t x = leaf(&e, 2, true), k = leaf(&e, 3, false), y = 0, z = 0;
    const size_t before = ft_tape_var_count(e.tape);
    ft_status a1 = r1 == FT_OK ? ft_tape_apply(e.tape, &e.ctx, w, x, x, &y, NULL) : r1;
    const size_t added = ft_tape_var_count(e.tape) - before;
    ft_status b1 = ft_tape_backward(e.tape, y, NULL, NULL);
    bool dx;
    const double gx = grad_of(&e, x, &dx);
    ft_status a2 = r2 == FT_OK ? ft_tape_apply(e.tape, &e.ctx, ed, x, k, &z, NULL) : r2;
    ft_scalar_t zv;
    ft_tape_value(e.tape, z, &zv);
    ft_backward_report_t rep;
    ft_status b2 = zv.requires_grad ? ft_tape_backward(e.tape, z, NULL, &rep) : FT_EROOT_NO_GRAD;
    const double gx2 = grad_of(&e, x, &dx);
    env_close(&e);
    FT_CHECK_STATUS(a1, FT_OK);
    FT_CHECK_EQ_INT(added, 1); /* one variable, the op's own: no orphan from the inner mul */
    FT_CHECK_STATUS(b1, FT_OK);
    FT_CHECK(dx && gx == 4); /* d(x*x)/dx */
    FT_CHECK_STATUS(a2, FT_OK);
    FT_CHECK(zv.value == 12);
    /* whatever the edited copy claims, no gradient reaches x through it */
    FT_CHECK(b2 == FT_EROOT_NO_GRAD || (b2 == FT_OK && rep.leaf_count == 0));
    FT_CHECK(gx2 == 4);
}

/* Property: the same random program twice gives bit-identical gradients and the
 * same execution order (fixed seed; shared subexpressions, every op). */
static void autograd_props_backward_is_deterministic(void) {
    static const char *const ops[] = {"add",     "sub",   "mul", "div",  "maximum",
                                      "minimum", "atan2", "pow", "rsub", "sqdiff"};
    uint64_t seed = UINT64_C(0x5eed);
    for (int round = 0; round < 300; round++) {
        uint64_t s = seed + (uint64_t)round;
        double grads[2][4];
        ft_var_t order[2][64];
        size_t steps[2];
        for (int pass = 0; pass < 2; pass++) {
            uint64_t r = s;
            env_t e;
            FT_CHECK(env_open(&e, FT_MODE_HARDENED));
            int nleaves = 1 + (int)(ft_test_rand(&r) % 4), n = nleaves;
            for (int j = 0; j < nleaves; j++)
                leaf(&e, 0.25 + (double)(ft_test_rand(&r) % 1000) / 250.0, true);
            int nsteps = 1 + (int)(ft_test_rand(&r) % 12);
            ft_var_t last = 0;
            for (int k = 0; k < nsteps; k++) {
                ft_var_t a = (ft_var_t)(ft_test_rand(&r) % ft_tape_var_count(e.tape));
                ft_var_t b = (ft_var_t)(ft_test_rand(&r) % ft_tape_var_count(e.tape));
                apply(&e, ops[ft_test_rand(&r) % 10], a, b, &last, NULL);
                n++;
            }
            ft_backward_report_t rep;
            ft_status st = ft_tape_backward(e.tape, last, NULL, &rep);
            steps[pass] = st == FT_OK ? rep.steps : 0;
            for (size_t i = 0; i < steps[pass] && i < 64; i++)
                order[pass][i] = rep.order[i];
            for (int j = 0; j < 4; j++) {
                bool d;
                grads[pass][j] = j < nleaves ? grad_of(&e, (ft_var_t)j, &d) : 0;
            }
            env_close(&e);
        }
        FT_CHECK_EQ_INT(steps[0], steps[1]);
        FT_CHECK(memcmp(grads[0], grads[1], sizeof grads[0]) == 0);
        FT_CHECK(memcmp(order[0], order[1], (steps[0] < 64 ? steps[0] : 64) * sizeof(ft_var_t)) == 0);
    }
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(autograd_requires_grad_routes_through_autograd_cpu),
        FT_CASE(autograd_gradient_rules),
        FT_CASE(autograd_composite_records_its_decomposition),
        FT_CASE(autograd_retain_graph_and_errors),
        FT_CASE(autograd_many_leaves_in_any_order),
        FT_CASE(autograd_leaf_sums_keep_delivery_order),
        FT_CASE(autograd_clear_drops_variables_ids_go_on),
        FT_CASE(autograd_last_error_says_where),
        FT_CASE(autograd_ops_without_derivatives),
        FT_CASE(autograd_failed_walk_releases_nothing),
        FT_CASE(autograd_wrapped_kernels_own_their_node),
        FT_CASE(autograd_props_backward_is_deterministic),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
