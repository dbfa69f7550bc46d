/* The autograd tape: recording through the dispatcher, and backward in torch's
 * execution order. */
#include <stdlib.h>
#include <string.h>

#include "op_internal.h"

typedef struct {
    ft_scalar_t value; /* value.tape_var is 1 + the variable's index */
    uint32_t node;     /* 1 + the producing node, 0 for a leaf */
    bool has_grad;
    double grad; /* leaves: torch's .grad */
} tape_var_t;

/* A recorded op: torch's grad_fn, with its saved operands. */
typedef struct {
    const ft_registration_t *autograd; /* carries the derivative */
    ft_scalar_t a, b;                  /* saved operands; tape_var names the input variable */
    double result;
    uint32_t out; /* output variable index */
    bool released;
} tape_node_t;

struct ft_tape {
    tape_var_t *vars;
    size_t nvars, cap_vars;
    tape_node_t *nodes;
    size_t nnodes, cap_nodes;
    ft_var_t *order; /* last backward's execution order */
    size_t order_cap;
};

/* Variables are addressed by uint32_t and stored as 1 + index in tape_var. */
#define MAX_VARS (UINT32_MAX - 1u)

ft_status ft_tape_new(ft_tape_t **out) {
    if (!out)
        return FT_EINVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? FT_OK : FT_ENOMEM;
}

void ft_tape_free(ft_tape_t *tape) {
    if (!tape)
        return;
    free(tape->vars);
    free(tape->nodes);
    free(tape->order);
    free(tape);
}

/* Grows *array to hold at least `need` elements of `size` bytes. */
static bool reserve(void **array, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*array, n * size);
    if (!p)
        return false;
    *array = p;
    *cap = n;
    return true;
}

static ft_status add_var(ft_tape_t *tape, const ft_scalar_t *value, uint32_t node, ft_var_t *out) {
    if (tape->nvars >= MAX_VARS)
        return FT_ETAPE_FULL;
    if (!reserve((void **)&tape->vars, &tape->cap_vars, tape->nvars + 1, sizeof *tape->vars))
        return FT_ENOMEM;
    tape_var_t *v = &tape->vars[tape->nvars];
    v->value = *value;
    v->value.tape_var = (uint32_t)tape->nvars + 1;
    v->node = node;
    v->has_grad = false;
    v->grad = 0;
    *out = (ft_var_t)tape->nvars++;
    return FT_OK;
}

ft_status ft_tape_leaf(ft_tape_t *tape, const ft_scalar_t *value, ft_var_t *out) {
    if (!tape || !value || !out || !ft_dtype_name(value->dtype) || value->device < FT_BACKEND_CPU ||
        value->device > FT_BACKEND_PRIVATEUSE3)
        return FT_EINVALID_ARGUMENT;
    return add_var(tape, value, 0, out);
}

/* An operand's variable, if it is one of this tape's. */
static const tape_var_t *var_of(const ft_tape_t *tape, const ft_scalar_t *s) {
    return s->tape_var >= 1 && s->tape_var <= tape->nvars ? &tape->vars[s->tape_var - 1] : NULL;
}

ft_status ftp_tape_dispatch(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset,
                            uint64_t keyset, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out,
                            ft_decision_t *decision, unsigned depth) {
    const ft_registration_t *autograd = NULL;
    ft_scalar_t result;
    ft_status st = ftp_dispatch(ctx, op, explicit_keyset, keyset, a, b, &result, decision, depth, tape, &autograd);
    if (st != FT_OK)
        return st;
    if (result.tape_var == 0) {
        /* Not produced by recorded inner calls: this op is the node, if any. */
        uint32_t node = 0;
        if (result.requires_grad && autograd) {
            if (!reserve((void **)&tape->nodes, &tape->cap_nodes, tape->nnodes + 1, sizeof *tape->nodes))
                return FT_ENOMEM;
            tape_node_t *n = &tape->nodes[tape->nnodes];
            n->autograd = autograd;
            n->a = *a;
            n->b = *b;
            /* only operands that are this tape's variables carry gradient */
            if (!var_of(tape, a))
                n->a.tape_var = 0;
            if (!var_of(tape, b))
                n->b.tape_var = 0;
            n->result = result.value;
            n->out = (uint32_t)tape->nvars;
            n->released = false;
            node = (uint32_t)tape->nnodes + 1;
        }
        ft_var_t v;
        if ((st = add_var(tape, &result, node, &v)) != FT_OK)
            return st;
        if (node)
            tape->nnodes++; /* committed only once its variable exists */
        result.tape_var = v + 1;
    }
    *out = result;
    return FT_OK;
}

ft_status ft_tape_apply(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_var_t lhs,
                        ft_var_t rhs, ft_var_t *out, ft_decision_t *decision) {
    if (!tape || !out)
        return FT_EINVALID_ARGUMENT;
    if (lhs >= tape->nvars || rhs >= tape->nvars)
        return FT_EUNKNOWN_VAR;
    const ft_scalar_t a = tape->vars[lhs].value, b = tape->vars[rhs].value;
    ft_scalar_t result;
    ft_status st = ftp_tape_dispatch(tape, ctx, op, false, 0, &a, &b, &result, decision, 0);
    if (st != FT_OK)
        return st;
    *out = result.tape_var - 1;
    return FT_OK;
}

size_t ft_tape_var_count(const ft_tape_t *tape) {
    return tape ? tape->nvars : 0;
}

ft_status ft_tape_value(const ft_tape_t *tape, ft_var_t var, ft_scalar_t *out) {
    if (!tape || !out)
        return FT_EINVALID_ARGUMENT;
    if (var >= tape->nvars)
        return FT_EUNKNOWN_VAR;
    *out = tape->vars[var].value;
    return FT_OK;
}

ft_status ft_tape_grad(const ft_tape_t *tape, ft_var_t var, double *value, bool *defined) {
    if (!tape || !value || !defined)
        return FT_EINVALID_ARGUMENT;
    if (var >= tape->nvars)
        return FT_EUNKNOWN_VAR;
    const tape_var_t *v = &tape->vars[var];
    *defined = v->node == 0 && v->has_grad;
    *value = *defined ? v->grad : 0;
    return FT_OK;
}

/* --- backward ------------------------------------------------------------ */

static double in_dtype(ft_dtype_t dt, double x) {
    return dt == FT_DTYPE_F32 ? (double)(float)x : x;
}

/* Scratch of one backward: per node, the number of edges from reachable
 * consumers still to arrive; per variable, the gradient buffer. */
typedef struct {
    uint32_t *pending; /* per node */
    bool *reached;     /* per node */
    double *buf;       /* per variable */
    bool *has;         /* per variable */
    uint32_t *heap;    /* ready nodes, max-heap by index */
    size_t heap_len;
} scratch_t;

static void heap_push(scratch_t *s, uint32_t node) {
    size_t i = s->heap_len++;
    s->heap[i] = node;
    while (i > 0 && s->heap[(i - 1) / 2] < s->heap[i]) {
        uint32_t t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(scratch_t *s) {
    uint32_t top = s->heap[0];
    s->heap[0] = s->heap[--s->heap_len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len && s->heap[l] > s->heap[m])
            m = l;
        if (r < s->heap_len && s->heap[r] > s->heap[m])
            m = r;
        if (m == i)
            break;
        uint32_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
    return top;
}

/* The producing node (0-based) of an input that carries gradient, or -1. */
static long input_node(const ft_tape_t *tape, const ft_scalar_t *in) {
    if (in->tape_var == 0)
        return -1;
    const tape_var_t *v = &tape->vars[in->tape_var - 1];
    return v->value.requires_grad && v->node ? (long)v->node - 1 : -1;
}

/* Marks every node reachable from `root_node` and counts consumer edges.
 * Node indices grow with creation, and inputs are always older, so one sweep
 * from the root downwards visits them in a valid order. */
static ft_status mark(const ft_tape_t *tape, uint32_t root_node, scratch_t *s) {
    s->reached[root_node] = true;
    for (long n = root_node; n >= 0; n--) {
        if (!s->reached[n])
            continue;
        const tape_node_t *node = &tape->nodes[n];
        if (node->released)
            return FT_EGRAPH_RELEASED;
        if (!node->autograd->backward)
            return FT_ENO_DERIVATIVE;
        const ft_scalar_t *ins[2] = {&node->a, &node->b};
        for (int i = 0; i < 2; i++) {
            long m = input_node(tape, ins[i]);
            if (m >= 0) {
                s->reached[m] = true;
                s->pending[m]++;
            }
        }
    }
    return FT_OK;
}

static void accumulate(scratch_t *s, ft_dtype_t dt, uint32_t var, double g) {
    s->buf[var] = s->has[var] ? in_dtype(dt, s->buf[var] + g) : g;
    s->has[var] = true;
}

static ft_status run(ft_tape_t *tape, uint32_t root_node, scratch_t *s, size_t *steps) {
    heap_push(s, root_node);
    while (s->heap_len) {
        const uint32_t n = heap_pop(s);
        const tape_node_t *node = &tape->nodes[n];
        const ft_registration_t *ag = node->autograd;
        const tape_var_t *ia = node->a.tape_var ? &tape->vars[node->a.tape_var - 1] : NULL;
        const tape_var_t *ib = node->b.tape_var ? &tape->vars[node->b.tape_var - 1] : NULL;
        const ft_backward_args_t args = {
            node->a.dtype, node->a.value, node->b.value, node->result, s->buf[node->out],
            ia && ia->value.requires_grad, ib && ib->value.requires_grad,
        };
        double ga = 0, gb = 0;
        ft_status st = ag->backward(&args, &ga, &gb, ag->payload);
        if (st != FT_OK)
            return st;
        tape->order[(*steps)++] = node->out;
        const ft_scalar_t *ins[2] = {&node->a, &node->b};
        const bool need[2] = {args.need_a, args.need_b};
        const double g[2] = {ga, gb};
        for (int i = 0; i < 2; i++) {
            if (!need[i])
                continue;
            accumulate(s, args.dtype, ins[i]->tape_var - 1, g[i]);
            long m = input_node(tape, ins[i]);
            if (m >= 0 && --s->pending[m] == 0)
                heap_push(s, (uint32_t)m);
        }
    }
    return FT_OK;
}

ft_status ft_tape_backward(ft_tape_t *tape, ft_var_t root, const ft_backward_options_t *opts,
                           ft_backward_report_t *report) {
    if (!tape)
        return FT_EINVALID_ARGUMENT;
    if (root >= tape->nvars)
        return FT_EUNKNOWN_VAR;
    tape_var_t *r = &tape->vars[root];
    if (!r->value.requires_grad)
        return FT_EROOT_NO_GRAD;
    size_t steps = 0;
    ft_status st = FT_OK;
    if (report) {
        report->root = root;
        report->steps = 0;
        report->order = tape->order;
    }
    if (r->node == 0) { /* a leaf root: d root / d root = 1 */
        r->grad = r->has_grad ? in_dtype(r->value.dtype, r->grad + 1.0) : 1.0;
        r->has_grad = true;
        return FT_OK;
    }
    scratch_t s = {0};
    s.pending = calloc(tape->nnodes, sizeof *s.pending);
    s.reached = calloc(tape->nnodes, sizeof *s.reached);
    s.heap = malloc(tape->nnodes * sizeof *s.heap);
    s.buf = calloc(tape->nvars, sizeof *s.buf);
    s.has = calloc(tape->nvars, sizeof *s.has);
    if (!s.pending || !s.reached || !s.heap || !s.buf || !s.has ||
        !reserve((void **)&tape->order, &tape->order_cap, tape->nnodes, sizeof *tape->order)) {
        st = FT_ENOMEM;
        goto done;
    }
    const uint32_t root_node = r->node - 1;
    if ((st = mark(tape, root_node, &s)) != FT_OK)
        goto done;
    s.buf[root] = 1.0;
    s.has[root] = true;
    if ((st = run(tape, root_node, &s, &steps)) != FT_OK)
        goto done;
    /* torch's AccumulateGrad: leaf.grad = leaf.grad + buffer (or the buffer) */
    for (size_t v = 0; v < tape->nvars; v++) {
        tape_var_t *tv = &tape->vars[v];
        if (!s.has[v] || tv->node != 0 || !tv->value.requires_grad)
            continue;
        tv->grad = tv->has_grad ? in_dtype(tv->value.dtype, tv->grad + s.buf[v]) : s.buf[v];
        tv->has_grad = true;
    }
    if (!(opts && opts->retain_graph))
        for (size_t n = 0; n < tape->nnodes; n++)
            if (s.reached[n])
                tape->nodes[n].released = true;
    if (report) {
        report->steps = steps;
        report->order = tape->order;
    }
done:
    free(s.pending);
    free(s.reached);
    free(s.heap);
    free(s.buf);
    free(s.has);
    return st;
}
