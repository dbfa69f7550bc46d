/* The autograd tape: recording through the dispatcher, and backward in torch's
 * execution order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_grow.h"
#include "dispatch_call.h"
#include "error_internal.h"
#include "op_internal.h"
#include "tape_internal.h"

/* Variables are addressed by uint32_t and stored as 1 + id in tape_var; ids are
 * never reused, also across ft_tape_clear. */
#define MAX_VARS (UINT32_MAX - 1u)

/* The tape's error record, made at its first failure (so a tape stays small
 * enough for malloc's fast path); NULL if even that fails, and the failure then
 * goes unrecorded. */
static ft_error_t *tape_error(ft_tape_t *t) {
    if (!t->error)
        t->error = calloc(1, sizeof *t->error);
    return t->error;
}

/* A variable's slot; the caller has checked ftp_tape_has_var. */
#define VAR(t, id) (&(t)->vars[(id) - (t)->base])

void ftp_tape_init(ft_tape_t *t) {
    t->vars = t->vars_inline;
    t->nvars = 0;
    t->cap_vars = FTP_TAPE_INLINE_VARS;
    t->nodes = t->nodes_inline;
    t->nnodes = 0;
    t->cap_nodes = FTP_TAPE_INLINE_NODES;
    t->order = t->order_inline;
    t->order_cap = FTP_TAPE_INLINE_NODES;
    t->leaves = t->leaves_inline;
    t->leaves_cap = FTP_TAPE_INLINE_NODES;
    t->work = t->work_inline;
    t->work_cap = FTP_TAPE_INLINE_NODES;
    t->deliv = t->deliv_inline;
    t->deliv_cap = FTP_TAPE_INLINE_NODES;
    t->deliv_tmp = t->deliv_tmp_inline;
    t->deliv_tmp_cap = 1;
    t->epoch = 0;
    t->base = 0;
    t->error = NULL;
}

void ftp_tape_dispose(ft_tape_t *t) {
    if (t->vars != t->vars_inline)
        free(t->vars);
    if (t->nodes != t->nodes_inline)
        free(t->nodes);
    if (t->order != t->order_inline)
        free(t->order);
    if (t->leaves != t->leaves_inline)
        free(t->leaves);
    if (t->work != t->work_inline)
        free(t->work);
    if (t->deliv != t->deliv_inline)
        free(t->deliv);
    if (t->deliv_tmp != t->deliv_tmp_inline)
        free(t->deliv_tmp);
    if (t->error)
        free(t->error);
}

ft_status ft_tape_new(ft_tape_t **out) {
    if (!out)
        return FT_EINVALID_ARGUMENT;
    ft_tape_t *t = malloc(sizeof *t);
    if (!t)
        return FT_ENOMEM;
    ftp_tape_init(t);
    *out = t;
    return FT_OK;
}

void ft_tape_free(ft_tape_t *tape) {
    if (!tape)
        return;
    ftp_tape_dispose(tape);
    free(tape);
}

const ft_error_t *ft_tape_last_error(const ft_tape_t *tape) {
    static const ft_error_t no_tape = {FT_EINVALID_ARGUMENT, "no tape (NULL)"}, none = {FT_OK, ""};
    return !tape ? &no_tape : tape->error ? tape->error : &none;
}

ft_status ftp_tape_unknown_var(ft_tape_t *t, ft_var_t var) {
    if (var < t->base)
        return ftp_error_set(tape_error(t), FT_EUNKNOWN_VAR, "variable %u was dropped when the tape was cleared",
                             (unsigned)var);
    if (t->nvars == 0)
        return ftp_error_set(tape_error(t), FT_EUNKNOWN_VAR, "variable %u does not exist (the tape has no variables)",
                             (unsigned)var);
    return ftp_error_set(tape_error(t), FT_EUNKNOWN_VAR, "variable %u does not exist (the tape has variables %u..%u)",
                         (unsigned)var, (unsigned)t->base, (unsigned)(t->base + t->nvars - 1));
}

void ft_tape_clear(ft_tape_t *t) {
    if (!t)
        return;
    t->base += (uint32_t)t->nvars; /* add_var keeps base + nvars <= MAX_VARS */
    t->nvars = 0;
    t->nnodes = 0;
}

#define RESERVE(t, field, cap, need)                                                                                   \
    ftp_array_grow((void **)&(t)->field, &(t)->cap, (need), sizeof *(t)->field, (t)->field##_inline)

#if defined(__GNUC__) || defined(__clang__)
#define COLD __attribute__((noinline, cold))
#else
#define COLD
#endif

static inline void write_var(ft_tape_t *tape, const ft_scalar_t *value, uint32_t node, ft_var_t *out) {
    tape_var_t *v = &tape->vars[tape->nvars];
    v->value = *value;
    v->value.tape_var = tape->base + (uint32_t)tape->nvars + 1;
    v->node = node;
    v->has_grad = false;
    v->grad = 0;
    *out = tape->base + (ft_var_t)tape->nvars++;
}

/* add_var when the buffer is full or the ids run out: apart, so the common
 * path makes no call and saves no registers (the microbench is bound by stores). */
static COLD ft_status add_var_slow(ft_tape_t *tape, const ft_scalar_t *value, uint32_t node, ft_var_t *out) {
    if (tape->base + tape->nvars >= MAX_VARS)
        return ftp_error_set(tape_error(tape), FT_ETAPE_FULL,
                             "the tape has handed out %u variable ids, the most it can", (unsigned)MAX_VARS);
    if (!RESERVE(tape, vars, cap_vars, tape->nvars + 1))
        return ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory for variable %u",
                             (unsigned)(tape->base + tape->nvars));
    write_var(tape, value, node, out);
    return FT_OK;
}

static inline ft_status add_var(ft_tape_t *tape, const ft_scalar_t *value, uint32_t node, ft_var_t *out) {
    if (tape->nvars >= tape->cap_vars || tape->base + tape->nvars >= MAX_VARS)
        return add_var_slow(tape, value, node, out);
    write_var(tape, value, node, out);
    return FT_OK;
}

ft_status ft_tape_leaf(ft_tape_t *tape, const ft_scalar_t *value, ft_var_t *out) {
    if (!tape)
        return FT_EINVALID_ARGUMENT;
    if (!value || !out)
        return ftp_error_set(tape_error(tape), FT_EINVALID_ARGUMENT, "ft_tape_leaf: %s is NULL",
                             value ? "out" : "value");
    if (!ft_dtype_name(value->dtype))
        return ftp_error_set(tape_error(tape), FT_EINVALID_ARGUMENT, "leaf dtype %d is neither f64 (0) nor f32 (1)",
                             (int)value->dtype);
    if (value->device < FT_BACKEND_CPU || value->device > FT_BACKEND_PRIVATEUSE3)
        return ftp_error_set(tape_error(tape), FT_EINVALID_ARGUMENT, "leaf device %d is not a backend component",
                             (int)value->device);
    return add_var(tape, value, 0, out);
}

ft_status ftp_tape_add_leaf(ft_tape_t *tape, const ft_scalar_t *value, ft_var_t *out) {
    return add_var(tape, value, 0, out);
}

/* An operand's variable, if it really is one of this tape's: the handle must be
 * in range and the scalar must still be that variable (same value bits, dtype,
 * device and requires_grad). A handle copied onto an edited value, or one from
 * another tape, is treated as a constant rather than sending gradient to a
 * stranger. */
static const tape_var_t *var_of(const ft_tape_t *tape, const ft_scalar_t *s) {
    if (s->tape_var < 1 || !ftp_tape_has_var(tape, s->tape_var - 1))
        return NULL;
    const tape_var_t *v = VAR(tape, s->tape_var - 1);
    const bool same = memcmp(&v->value.value, &s->value, sizeof s->value) == 0 && v->value.dtype == s->dtype &&
                      v->value.device == s->device && v->value.requires_grad == s->requires_grad;
    return same ? v : NULL;
}

/* ftp_tape_dispatch; `slots` (may be NULL) are the variable slots a and b are
 * known to be (ft_tape_apply read them from there), which spares var_of. */
static inline ft_status dispatch_on_tape(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op,
                                         bool explicit_keyset, uint64_t keyset, const ft_scalar_t *a,
                                         const ft_scalar_t *b, ft_scalar_t *out, ft_decision_t *decision,
                                         unsigned depth, const uint32_t *slots) {
    const ft_registration_t *autograd = NULL;
    ft_scalar_t result;
    /* the whole walk inline (split false): the tape's calls are mostly
     * autograd routes */
    ft_status st =
        ftp_dispatch_inline(ctx, op, explicit_keyset, keyset, a, b, &result, decision, false, depth, tape, &autograd);
    if (st != FT_OK)
        return st;
    if (result.tape_var == 0) {
        /* Not produced by recorded inner calls: this op is the node, if any. Under
         * the c10 profile the route passes the autograd hop even with grad mode off
         * or in inference mode; it records nothing then, and requires_grad says so:
         * the dispatcher (profile_result) cleared it for those modes. */
        uint32_t node = 0;
        if (result.requires_grad && autograd) {
            if (!RESERVE(tape, nodes, cap_nodes, tape->nnodes + 1))
                return ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory recording %s", op->name);
            tape_node_t *n = &tape->nodes[tape->nnodes];
            n->autograd = autograd;
            n->a = a->value;
            n->b = b->value;
            n->dtype = (uint8_t)a->dtype; /* the dispatcher checked that b's is the same */
            /* only operands that are this tape's variables carry gradient; each
             * field is stored once (the microbench is bound by stores) */
            const ft_scalar_t *ops[2] = {a, b};
            uint8_t state = 0;
            for (int i = 0; i < 2; i++) {
                /* slots[i] is still current: recording only appends variables */
                const tape_var_t *in = slots ? &tape->vars[slots[i]] : var_of(tape, ops[i]);
                const bool need = in && in->value.requires_grad;
                uint32_t src = 0;
                if (need && in->node) {
                    src = in->node - 1;
                    state |= (uint8_t)(FTP_NODE_A_FROM_NODE << i);
                } else if (need) {
                    src = ops[i]->tape_var - 1 - tape->base;
                }
                n->need[i] = need;
                n->src[i] = src;
            }
            n->state = state;
            n->result = result.value;
            n->out = (uint32_t)tape->nvars; /* a slot index, not an id */
            n->seen_epoch = 0;              /* tape epochs start at 1; buf is set when a backward reaches it */
            node = (uint32_t)tape->nnodes + 1;
        }
        ft_var_t v = 0; /* set by add_var; gcc cannot tell once it is inlined */
        if ((st = add_var(tape, &result, node, &v)) != FT_OK)
            return st;
        if (node)
            tape->nnodes++; /* committed only once its variable exists */
        result.tape_var = v + 1;
    }
    *out = result;
    return FT_OK;
}

ft_status ftp_tape_dispatch(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset,
                            uint64_t keyset, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out,
                            ft_decision_t *decision, unsigned depth) {
    return dispatch_on_tape(tape, ctx, op, explicit_keyset, keyset, a, b, out, decision, depth, NULL);
}

/* The last error of a failed ft_tape_apply: the route's own explanation when
 * the route failed, else the code. Off the hot path: a caller that asked for no
 * decision gets the route decided again (without running anything). */
static ft_status apply_failed(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const ft_scalar_t *a,
                              const ft_scalar_t *b, const ft_decision_t *decision, ft_status st) {
    if (st == FT_ENOMEM || st == FT_ETAPE_FULL)
        return st; /* add_var or the node reservation said what ran out */
    if (!ctx || !op)
        return ftp_error_set(tape_error(tape), st, "ft_tape_apply: %s is NULL", op ? "ctx" : "op");
    ft_decision_t routed;
    if (!decision) {
        ft_keyset_t ks;
        if (ft_dispatch_compute_keyset(ctx, a, b, NULL, &ks) == FT_OK)
            ft_dispatch_route(ctx, op, ks, &routed);
        else
            routed.status = FT_OK;
        decision = &routed;
    }
    if (decision->status == st) {
        char why[FT_ERROR_MESSAGE_MAX];
        ft_decision_message(decision, why, sizeof why);
        return ftp_error_set(tape_error(tape), st, "%s: %s", op->name, why);
    }
    return ftp_error_set(tape_error(tape), st, "%s: %s: %s", op->name, ft_status_code(st), ft_strerror(st));
}

ft_status ft_tape_apply(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_var_t lhs, ft_var_t rhs,
                        ft_var_t *out, ft_decision_t *decision) {
    if (!tape)
        return FT_EINVALID_ARGUMENT;
    if (!out)
        return ftp_error_set(tape_error(tape), FT_EINVALID_ARGUMENT, "ft_tape_apply: out is NULL");
    if (!ftp_tape_has_var(tape, lhs))
        return ftp_tape_unknown_var(tape, lhs);
    if (!ftp_tape_has_var(tape, rhs))
        return ftp_tape_unknown_var(tape, rhs);
    return ftp_tape_apply(tape, ctx, op, lhs, rhs, out, decision);
}

ft_status ftp_tape_apply(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_var_t lhs, ft_var_t rhs,
                         ft_var_t *out, ft_decision_t *decision) {
    const ft_scalar_t a = VAR(tape, lhs)->value, b = VAR(tape, rhs)->value;
    ft_scalar_t result;
    result.tape_var = 0; /* set on success; this keeps gcc's flow analysis quiet */
    const uint32_t slots[2] = {lhs - tape->base, rhs - tape->base};
    ft_status st = dispatch_on_tape(tape, ctx, op, false, 0, &a, &b, &result, decision, 0, slots);
    if (st != FT_OK)
        return apply_failed(tape, ctx, op, &a, &b, decision, st);
    *out = result.tape_var - 1;
    return FT_OK;
}

size_t ft_tape_var_count(const ft_tape_t *tape) {
    return tape ? tape->base + tape->nvars : 0;
}

ft_var_t ft_tape_first_var(const ft_tape_t *tape) {
    return tape ? tape->base : 0;
}

ft_status ft_tape_value(const ft_tape_t *tape, ft_var_t var, ft_scalar_t *out) {
    if (!tape || !out)
        return FT_EINVALID_ARGUMENT;
    if (!ftp_tape_has_var(tape, var))
        return FT_EUNKNOWN_VAR;
    *out = VAR(tape, var)->value;
    return FT_OK;
}

ft_status ft_tape_grad(const ft_tape_t *tape, ft_var_t var, double *value, bool *defined) {
    if (!tape || !value || !defined)
        return FT_EINVALID_ARGUMENT;
    if (!ftp_tape_has_var(tape, var))
        return FT_EUNKNOWN_VAR;
    const tape_var_t *v = VAR(tape, var);
    *defined = v->node == 0 && v->has_grad;
    *value = *defined ? v->grad : 0;
    return FT_OK;
}

/* --- backward ------------------------------------------------------------ */

static double in_dtype(ft_dtype_t dt, double x) {
    return dt == FT_DTYPE_F32 ? (double)(float)x : x;
}

/* Max-heap of node indices in tape->work[0 .. *len): torch runs the ready node
 * with the highest sequence number (the most recently created) first. */
static void heap_push(uint32_t *h, size_t *len, uint32_t node) {
    size_t i = (*len)++;
    h[i] = node;
    while (i > 0 && h[(i - 1) / 2] < h[i]) {
        uint32_t t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(uint32_t *h, size_t *len) {
    uint32_t top = h[0];
    h[0] = h[--*len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *len && h[l] > h[m])
            m = l;
        if (r < *len && h[r] > h[m])
            m = r;
        if (m == i)
            break;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

/* Fills in the report, if any (once, on the way out: this code is bound by
 * stores). */
static inline void report_set(ft_backward_report_t *report, const ft_tape_t *tape, ft_var_t root, size_t steps,
                              size_t leaf_count) {
    if (report) {
        report->root = root;
        report->steps = steps;
        report->order = tape->order;
        report->leaves = tape->leaves;
        report->leaf_count = leaf_count;
    }
}

/* A failed backward's report: no steps, no leaves. */
static void report_empty(ft_backward_report_t *report, const ft_tape_t *tape, ft_var_t root) {
    report_set(report, tape, root, 0, 0);
}

/* A failed walk leaves the graph as it found it: every node it ran was
 * unreleased when it ran. */
static ft_status walk_failed(ft_tape_t *tape, ft_backward_report_t *report, ft_var_t root, const uint32_t *ran,
                             size_t steps, bool released, ft_status st) {
    report_empty(report, tape, root);
    if (released)
        for (size_t i = 0; i < steps; i++)
            tape->nodes[tape->vars[ran[i]].node - 1].state &= (uint8_t)~FTP_NODE_RELEASED;
    return st;
}

/* Lists this short are insertion-sorted as they come. */
enum { SHORT_LIST = 32 };

/* Sorts a backward's leaf deliveries by slot, descending and stably (a leaf's
 * gradients are summed in the order they were delivered, as torch's buffer
 * does), in O(n) whatever the order of arrival. The walk runs the newest node
 * first, so deliveries mostly arrive in descending order already (acc = acc +
 * x_i delivers x_n-1 first): an insertion sort with a budget of 4n moves
 * finishes those in one pass; past the budget, an LSD radix sort through `tmp`,
 * one pass per byte of `bound` (8-bit digits keep the scatter within the TLB's
 * reach). Without `tmp` (out of memory), the insertion sort just goes on. The
 * leaves used to be insertion-sorted alone, quadratic in any other order. */
static void radix_sort_deliveries(tape_delivery_t *d, size_t n, tape_delivery_t *tmp, size_t bound);

static inline void sort_deliveries(tape_delivery_t *d, size_t n, tape_delivery_t *tmp, size_t bound) {
    size_t budget = n <= SHORT_LIST || !tmp ? SIZE_MAX : 4 * n;
    for (size_t i = 1; i < n; i++) {
        if (d[i - 1].slot >= d[i].slot)
            continue;
        const tape_delivery_t x = d[i];
        size_t j = i;
        for (; j > 0 && d[j - 1].slot < x.slot && budget; j--, budget--)
            d[j] = d[j - 1];
        d[j] = x; /* never past an equal slot: stable, also when cut short */
        if (!budget)
            break;
    }
    if (!budget)
        radix_sort_deliveries(d, n, tmp, bound);
}

/* The rest of sort_deliveries, apart so the short lists' inline path stays small. */
static void radix_sort_deliveries(tape_delivery_t *d, size_t n, tape_delivery_t *tmp, size_t bound) {
    enum { DIGIT = 8, BUCKETS = 1 << DIGIT };
    tape_delivery_t *from = d, *to = tmp;
    for (unsigned shift = 0; shift < 32 && (bound - 1) >> shift; shift += DIGIT) {
        uint32_t at[BUCKETS] = {0};
        for (size_t i = 0; i < n; i++)
            at[(from[i].slot >> shift) & (BUCKETS - 1)]++;
        uint32_t sum = 0;
        for (unsigned b = BUCKETS; b-- > 0;) { /* high digits first: descending */
            const uint32_t c = at[b];
            at[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            to[at[(from[i].slot >> shift) & (BUCKETS - 1)]++] = from[i];
        tape_delivery_t *t = from;
        from = to;
        to = t;
    }
    if (from != d)
        memcpy(d, from, n * sizeof *d);
}

ft_status ft_tape_backward(ft_tape_t *tape, ft_var_t root, const ft_backward_options_t *opts,
                           ft_backward_report_t *report) {
    if (!tape)
        return FT_EINVALID_ARGUMENT;
    if (!ftp_tape_has_var(tape, root))
        return ftp_tape_unknown_var(tape, root);
    tape_var_t *r = VAR(tape, root);
    if (!r->value.requires_grad)
        return ftp_error_set(tape_error(tape), FT_EROOT_NO_GRAD,
                             "backward root variable %u does not require grad and has no grad_fn", (unsigned)root);
    if (r->node == 0) { /* a leaf root: d root / d root = 1 */
        if (!RESERVE(tape, leaves, leaves_cap, 1)) {
            report_empty(report, tape, root);
            return ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory in backward");
        }
        r->grad = r->has_grad ? in_dtype(r->value.dtype, r->grad + 1.0) : 1.0;
        r->has_grad = true;
        tape->leaves[0] = root;
        report_set(report, tape, root, 0, 1);
        return FT_OK;
    }
    if (!RESERVE(tape, work, work_cap, tape->nnodes)) {
        report_empty(report, tape, root);
        return ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory in backward");
    }
    if (++tape->epoch == 0) { /* wrapped after 2^32 backwards: clear the stamps once */
        for (size_t i = 0; i < tape->nnodes; i++)
            tape->nodes[i].seen_epoch = 0;
        tape->epoch = 1;
    }
    /* The walk. Node indices are a topological order (a node's inputs are older
     * than it), so once every consumer of a reached node has run, nothing newer
     * can reach it: popping the newest reached node each time runs exactly
     * torch's order (the ready node created last first) with no dependency
     * counts, and touches only the nodes the root reaches, once each. */
    const uint32_t root_node = r->node - 1;
    size_t steps = 0, ndeliv = 0, heap_len = 0;
    const bool release = !(opts && opts->retain_graph);
    tape->nodes[root_node].seen_epoch = tape->epoch;
    tape->nodes[root_node].buf = 1.0;
    heap_push(tape->work, &heap_len, root_node);
    while (heap_len) {
        const uint32_t n = heap_pop(tape->work, &heap_len);
        tape_node_t *node = &tape->nodes[n];
        const ft_registration_t *ag = node->autograd;
        ft_status st = FT_OK;
        if (node->state & FTP_NODE_RELEASED)
            st = ftp_error_set(tape_error(tape), FT_EGRAPH_RELEASED,
                               "the node (%s) that made variable %u was released by an earlier backward "
                               "(use retain_graph to backward through it again)",
                               ag->kernel_name, (unsigned)(tape->base + node->out));
        else if (!ag->backward)
            st = ftp_error_set(tape_error(tape), FT_ENO_DERIVATIVE, "%s has no derivative (needed for variable %u)",
                               ag->kernel_name, (unsigned)(tape->base + node->out));
        else if (!RESERVE(tape, order, order_cap, steps + 1))
            st = ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory in backward");
        if (st != FT_OK) /* leaves untouched: accumulation happens after the walk */
            return walk_failed(tape, report, root, tape->order, steps, release, st);
        const ft_backward_args_t args = {
            (ft_dtype_t)node->dtype, node->a, node->b, node->result, node->buf, node->need[0], node->need[1],
        };
        double g[2] = {0, 0};
        if ((st = ag->backward(&args, &g[0], &g[1], ag->payload)) != FT_OK)
            return walk_failed(tape, report, root, tape->order, steps, release,
                               ftp_error_set(tape_error(tape), st, "the derivative of %s failed (variable %u): %s",
                                             ag->kernel_name, (unsigned)(tape->base + node->out), ft_status_code(st)));
        tape->order[steps++] = node->out;
        if (release) /* undone if the walk fails */
            node->state |= FTP_NODE_RELEASED;
        for (int i = 0; i < 2; i++) {
            if (!node->need[i])
                continue;
            const uint32_t m = node->src[i];
            if (node->state & (FTP_NODE_A_FROM_NODE << i)) { /* a node's output: the first delivery reaches its node */
                tape_node_t *producer = &tape->nodes[m];
                if (producer->seen_epoch != tape->epoch) {
                    producer->seen_epoch = tape->epoch;
                    producer->buf = g[i];
                    heap_push(tape->work, &heap_len, m); /* once: the heap never outgrows nnodes */
                } else {
                    producer->buf = in_dtype(args.dtype, producer->buf + g[i]);
                }
            } else { /* a leaf (that requires grad): applied after the walk */
                if (!RESERVE(tape, deliv, deliv_cap, ndeliv + 1))
                    return walk_failed(tape, report, root, tape->order, steps, release,
                                       ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory in backward"));
                tape->deliv[ndeliv].g = g[i];
                tape->deliv[ndeliv++].slot = m;
            }
        }
    }
    /* at most one leaf per delivery; a sort without its scratch is slower, not wrong */
    if (!RESERVE(tape, leaves, leaves_cap, ndeliv))
        return walk_failed(tape, report, root, tape->order, steps, release,
                           ftp_error_set(tape_error(tape), FT_ENOMEM, "out of memory in backward"));
    const bool scratch = ndeliv > SHORT_LIST && RESERVE(tape, deliv_tmp, deliv_tmp_cap, ndeliv);
    /* torch's AccumulateGrad, leaf by leaf in ascending order: the buffer is the
     * leaf's deliveries summed in delivery order (in its dtype, which is its
     * nodes' dtype), then leaf.grad = leaf.grad + buffer (or the buffer) */
    sort_deliveries(tape->deliv, ndeliv, scratch ? tape->deliv_tmp : NULL, tape->nvars);
    size_t nleaves = 0;
    for (size_t end = ndeliv; end > 0;) { /* from the end: ascending slots, each leaf's group in delivery order */
        const uint32_t slot = tape->deliv[end - 1].slot;
        size_t i = end - 1;
        while (i > 0 && tape->deliv[i - 1].slot == slot)
            i--;
        tape_var_t *v = &tape->vars[slot];
        const ft_dtype_t dt = v->value.dtype;
        double buf = tape->deliv[i].g;
        for (size_t k = i + 1; k < end; k++)
            buf = in_dtype(dt, buf + tape->deliv[k].g);
        v->grad = v->has_grad ? in_dtype(dt, v->grad + buf) : buf;
        v->has_grad = true;
        tape->leaves[nleaves++] = slot;
        end = i;
    }
    if (tape->base) { /* slots to ids */
        for (size_t i = 0; i < steps; i++)
            tape->order[i] += tape->base;
        for (size_t i = 0; i < nleaves; i++)
            tape->leaves[i] += tape->base;
    }
    report_set(report, tape, root, steps, nleaves);
    return FT_OK;
}
