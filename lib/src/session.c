/* The session: a context, a tape and an evidence ledger (SPEC §8). */
#include <stdlib.h>
#include <string.h>

#include "ft/session.h"

/* A ledger entry and the memory it owns. */
typedef struct {
    ft_evidence_t pub;
    char *op;
    ft_decision_t *decision;
    ft_var_t *order, *grad_vars;
    double *grads;
} entry_t;

struct ft_session {
    ft_dispatch_ctx_t ctx;
    ft_registry_t *owned_registry;
    const ft_registry_t *registry;
    ft_tape_t *tape;
    entry_t **entries; /* pointers, so entries never move */
    size_t count, cap;
    ft_evidence_sink_fn sink;
    void *sink_payload;
    ft_clock_fn clock;
    void *clock_payload;
};

const char *ft_evidence_kind_name(ft_evidence_kind_t kind) {
    switch (kind) {
    case FT_EVIDENCE_DISPATCH:
        return "dispatch";
    case FT_EVIDENCE_BACKWARD:
        return "backward";
    case FT_EVIDENCE_MODE_CHANGE:
        return "mode_change";
    case FT_EVIDENCE_GRAD_MODE_CHANGE:
        return "grad_mode_change";
    }
    return NULL;
}

ft_status ft_session_new(const ft_session_options_t *opts, ft_session_t **out) {
    const ft_session_options_t defaults = FT_SESSION_OPTIONS_INIT;
    if (!out)
        return FT_EINVALID_ARGUMENT;
    if (!opts)
        opts = &defaults;
    if (!ft_mode_name(opts->mode))
        return FT_EINVALID_ARGUMENT;
    ft_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return FT_ENOMEM;
    ft_dispatch_ctx_init(&s->ctx);
    s->ctx.mode = opts->mode;
    s->ctx.grad_mode = opts->grad_mode;
    s->sink = opts->sink;
    s->sink_payload = opts->sink_payload;
    s->clock = opts->clock;
    s->clock_payload = opts->clock_payload;
    ft_status st = FT_OK;
    if (opts->registry)
        s->registry = opts->registry;
    else if ((st = ft_registry_new(&s->owned_registry)) == FT_OK)
        s->registry = s->owned_registry;
    if (st == FT_OK)
        st = ft_tape_new(&s->tape);
    if (st != FT_OK) {
        ft_session_free(s);
        return st;
    }
    *out = s;
    return FT_OK;
}

static void entry_free(entry_t *e) {
    if (!e)
        return;
    free(e->op);
    free(e->decision);
    free(e->order);
    free(e->grad_vars);
    free(e->grads);
    free(e);
}

void ft_session_free(ft_session_t *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        entry_free(s->entries[i]);
    free(s->entries);
    ft_tape_free(s->tape);
    ft_registry_free(s->owned_registry);
    free(s);
}

const ft_registry_t *ft_session_registry(const ft_session_t *s) {
    return s ? s->registry : NULL;
}

const ft_tape_t *ft_session_tape(const ft_session_t *s) {
    return s ? s->tape : NULL;
}

const ft_dispatch_ctx_t *ft_session_context(const ft_session_t *s) {
    return s ? &s->ctx : NULL;
}

static entry_t *new_entry(ft_evidence_kind_t kind, ft_status status) {
    entry_t *e = calloc(1, sizeof *e);
    if (e) {
        e->pub.kind = kind;
        e->pub.status = status;
    }
    return e;
}

/* Appends (taking ownership of) `e` and shows it to the sink. */
static ft_status append(ft_session_t *s, entry_t *e) {
    if (!e)
        return FT_ENOMEM;
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        entry_t **p = realloc(s->entries, cap * sizeof *p);
        if (!p) {
            entry_free(e);
            return FT_ENOMEM;
        }
        s->entries = p;
        s->cap = cap;
    }
    e->pub.seq = s->count;
    if (s->clock) {
        e->pub.has_time = true;
        e->pub.time = s->clock(s->clock_payload);
    }
    s->entries[s->count++] = e;
    if (s->sink)
        s->sink(&e->pub, s->sink_payload);
    return FT_OK;
}

/* The operation's status wins; a failure to record it is reported only when the
 * operation itself succeeded. */
static ft_status logged(ft_session_t *s, entry_t *e, ft_status op_status) {
    ft_status st = append(s, e);
    return op_status != FT_OK ? op_status : st;
}

ft_status ft_session_set_mode(ft_session_t *s, ft_mode_t mode) {
    if (!s || !ft_mode_name(mode))
        return FT_EINVALID_ARGUMENT;
    entry_t *e = new_entry(FT_EVIDENCE_MODE_CHANGE, FT_OK);
    if (e) {
        e->pub.from = (int)s->ctx.mode;
        e->pub.to = (int)mode;
    }
    s->ctx.mode = mode;
    return logged(s, e, FT_OK);
}

ft_status ft_session_set_grad_mode(ft_session_t *s, bool enabled) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    entry_t *e = new_entry(FT_EVIDENCE_GRAD_MODE_CHANGE, FT_OK);
    if (e) {
        e->pub.from = s->ctx.grad_mode;
        e->pub.to = enabled;
    }
    s->ctx.grad_mode = enabled;
    return logged(s, e, FT_OK);
}

ft_status ft_session_set_include(ft_session_t *s, ft_keyset_t include) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    s->ctx.include = include;
    return FT_OK;
}

ft_status ft_session_set_exclude(ft_session_t *s, ft_keyset_t exclude) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    s->ctx.exclude = exclude;
    return FT_OK;
}

ft_status ft_session_leaf(ft_session_t *s, double value, ft_dtype_t dtype, bool requires_grad, ft_var_t *out) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    const ft_scalar_t v = ft_scalar_make(dtype == FT_DTYPE_F32 ? (double)(float)value : value, dtype,
                                         FT_BACKEND_CPU, requires_grad);
    return ft_tape_leaf(s->tape, &v, out);
}

ft_status ft_session_call(ft_session_t *s, const char *opname, ft_var_t lhs, ft_var_t rhs, ft_var_t *out) {
    if (!s || !opname || !out)
        return FT_EINVALID_ARGUMENT;
    const ft_op_t *op = NULL;
    ft_var_t result = 0;
    ft_decision_t d;
    ft_status st = ft_registry_find(s->registry, opname, &op);
    bool decided = false;
    if (st == FT_OK && (lhs >= ft_tape_var_count(s->tape) || rhs >= ft_tape_var_count(s->tape)))
        st = FT_EUNKNOWN_VAR;
    if (st == FT_OK) {
        st = ft_tape_apply(s->tape, &s->ctx, op, lhs, rhs, &result, &d);
        decided = true;
    }
    entry_t *e = new_entry(FT_EVIDENCE_DISPATCH, st);
    if (e) {
        /* the name as asked for, so a failed lookup is still evidence of what was tried */
        size_t n = strlen(opname) + 1;
        if ((e->op = malloc(n)) != NULL)
            memcpy(e->op, opname, n);
        e->pub.op = e->op;
        e->pub.lhs = lhs;
        e->pub.rhs = rhs;
        if (decided && (e->decision = malloc(sizeof *e->decision)) != NULL) {
            *e->decision = d;
            e->pub.decision = e->decision;
        }
        if (st == FT_OK) {
            e->pub.out = result;
            ft_tape_value(s->tape, result, &e->pub.value);
            *out = result;
        }
    }
    return logged(s, e, st);
}

ft_status ft_session_backward(ft_session_t *s, ft_var_t root, bool retain_graph, ft_backward_report_t *report) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    const ft_backward_options_t opts = {retain_graph};
    ft_backward_report_t rep = {root, 0, NULL, 0, NULL};
    ft_status st = ft_tape_backward(s->tape, root, &opts, &rep);
    entry_t *e = new_entry(FT_EVIDENCE_BACKWARD, st);
    if (e) {
        e->pub.root = root;
        e->pub.retain_graph = retain_graph;
        e->pub.steps = st == FT_OK ? rep.steps : 0;
        if (e->pub.steps && (e->order = malloc(rep.steps * sizeof *e->order)) != NULL)
            memcpy(e->order, rep.order, rep.steps * sizeof *e->order);
        e->pub.order = e->order;
        if (st == FT_OK) {
            /* the leaves this backward reached (not every leaf of the session) */
            size_t n = rep.leaf_count, k = 0;
            e->grad_vars = malloc((n ? n : 1) * sizeof *e->grad_vars);
            e->grads = malloc((n ? n : 1) * sizeof *e->grads);
            for (size_t i = 0; e->grad_vars && e->grads && i < n; i++) {
                bool defined;
                double g;
                if (ft_tape_grad(s->tape, rep.leaves[i], &g, &defined) == FT_OK && defined) {
                    e->grad_vars[k] = rep.leaves[i];
                    e->grads[k++] = g;
                }
            }
            e->pub.grad_count = e->grad_vars && e->grads ? k : 0;
            e->pub.grad_vars = e->grad_vars;
            e->pub.grads = e->grads;
        }
        if ((e->pub.steps && !e->order) || (st == FT_OK && (!e->grad_vars || !e->grads))) {
            entry_free(e);
            e = NULL; /* append reports FT_ENOMEM */
        }
    }
    if (report)
        *report = rep;
    return logged(s, e, st);
}

ft_status ft_session_value(const ft_session_t *s, ft_var_t var, ft_scalar_t *out) {
    return s ? ft_tape_value(s->tape, var, out) : FT_EINVALID_ARGUMENT;
}

ft_status ft_session_grad(const ft_session_t *s, ft_var_t var, double *value, bool *defined) {
    return s ? ft_tape_grad(s->tape, var, value, defined) : FT_EINVALID_ARGUMENT;
}

size_t ft_session_evidence_count(const ft_session_t *s) {
    return s ? s->count : 0;
}

const ft_evidence_t *ft_session_evidence_at(const ft_session_t *s, size_t seq) {
    return s && seq < s->count ? &s->entries[seq]->pub : NULL;
}
