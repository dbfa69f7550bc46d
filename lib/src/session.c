/* The session: a context, a tape and an evidence ledger (SPEC §8). */
#include <stdlib.h>
#include <string.h>

#include <stddef.h>

#include "ft/session.h"
#include "tape_internal.h"

/* Ledger memory comes from an arena: entries, decision copies and backward
 * arrays are carved from an inline block, then from 16 KiB chunks, and freed
 * together with the session. Nothing ever moves, so every pointer handed out
 * (to the sink, by ft_session_evidence_at) stays valid for the session's life,
 * and a short session allocates nothing beyond itself. */
#define ARENA_INLINE   6144
#define ARENA_CHUNK    16384
#define ENTRIES_INLINE 16

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
} arena_chunk_t;

typedef ft_evidence_t entry_t;

struct ft_session {
    ft_dispatch_ctx_t ctx;
    ft_registry_t *owned_registry;
    const ft_registry_t *registry;
    ft_evidence_sink_fn sink;
    void *sink_payload;
    ft_clock_fn clock;
    void *clock_payload;
    entry_t **entries; /* by sequence number */
    size_t count, cap;
    entry_t *entries_inline[ENTRIES_INLINE];
    arena_chunk_t *chunks;
    size_t arena_used;
    ft_tape_t tape;
    max_align_t arena_inline[ARENA_INLINE / sizeof(max_align_t)];
};

static void *arena_alloc(ft_session_t *s, size_t size) {
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (s->arena_used + size <= sizeof s->arena_inline) {
        void *p = (unsigned char *)s->arena_inline + s->arena_used;
        s->arena_used += size;
        return p;
    }
    arena_chunk_t *c = s->chunks;
    if (!c || c->used + size > c->cap) {
        const size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        if (!(c = malloc(sizeof *c + cap)))
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = s->chunks;
        s->chunks = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += size;
    return p;
}

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
    ft_session_t *s = malloc(sizeof *s); /* not calloc: the arena needs no zeroing */
    if (!s)
        return FT_ENOMEM;
    ft_dispatch_ctx_init(&s->ctx);
    s->ctx.mode = opts->mode;
    s->ctx.grad_mode = opts->grad_mode;
    s->owned_registry = NULL;
    s->registry = opts->registry;
    s->sink = opts->sink;
    s->sink_payload = opts->sink_payload;
    s->clock = opts->clock;
    s->clock_payload = opts->clock_payload;
    s->entries = s->entries_inline;
    s->count = 0;
    s->cap = ENTRIES_INLINE;
    s->chunks = NULL;
    s->arena_used = 0;
    ftp_tape_init(&s->tape);
    if (!s->registry) {
        ft_status st = ft_registry_new(&s->owned_registry);
        if (st != FT_OK) {
            ft_session_free(s);
            return st;
        }
        s->registry = s->owned_registry;
    }
    *out = s;
    return FT_OK;
}

void ft_session_free(ft_session_t *s) {
    if (!s)
        return;
    for (arena_chunk_t *c = s->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    if (s->entries != s->entries_inline)
        free(s->entries);
    ftp_tape_dispose(&s->tape);
    ft_registry_free(s->owned_registry);
    free(s);
}

const ft_registry_t *ft_session_registry(const ft_session_t *s) {
    return s ? s->registry : NULL;
}

const ft_tape_t *ft_session_tape(const ft_session_t *s) {
    return s ? &s->tape : NULL;
}

const ft_dispatch_ctx_t *ft_session_context(const ft_session_t *s) {
    return s ? &s->ctx : NULL;
}

static entry_t *new_entry(ft_session_t *s, ft_evidence_kind_t kind, ft_status status) {
    entry_t *e = arena_alloc(s, sizeof *e);
    if (e) {
        memset(e, 0, sizeof *e);
        e->kind = kind;
        e->status = status;
    }
    return e;
}

/* Appends `e` and shows it to the sink. */
static ft_status append(ft_session_t *s, entry_t *e) {
    if (!e)
        return FT_ENOMEM;
    if (s->count == s->cap) {
        const size_t cap = s->cap * 2;
        entry_t **p = s->entries == s->entries_inline ? malloc(cap * sizeof *p) : realloc(s->entries, cap * sizeof *p);
        if (!p)
            return FT_ENOMEM;
        if (s->entries == s->entries_inline)
            memcpy(p, s->entries_inline, sizeof s->entries_inline);
        s->entries = p;
        s->cap = cap;
    }
    e->seq = s->count;
    if (s->clock) {
        e->has_time = true;
        e->time = s->clock(s->clock_payload);
    }
    s->entries[s->count++] = e;
    if (s->sink)
        s->sink(e, s->sink_payload);
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
    entry_t *e = new_entry(s, FT_EVIDENCE_MODE_CHANGE, FT_OK);
    if (e) {
        e->from = (int)s->ctx.mode;
        e->to = (int)mode;
    }
    s->ctx.mode = mode;
    return logged(s, e, FT_OK);
}

ft_status ft_session_set_grad_mode(ft_session_t *s, bool enabled) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    entry_t *e = new_entry(s, FT_EVIDENCE_GRAD_MODE_CHANGE, FT_OK);
    if (e) {
        e->from = s->ctx.grad_mode;
        e->to = enabled;
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
    const ft_scalar_t v =
        ft_scalar_make(dtype == FT_DTYPE_F32 ? (double)(float)value : value, dtype, FT_BACKEND_CPU, requires_grad);
    return ft_tape_leaf(&s->tape, &v, out);
}

/* A copy of the decision with only the hops it used (the slot is full size). */
static const ft_decision_t *keep_decision(ft_session_t *s, const ft_decision_t *d) {
    ft_decision_t *copy = arena_alloc(s, sizeof *copy);
    if (copy)
        memcpy(copy, d, offsetof(ft_decision_t, hops) + d->hop_count * sizeof d->hops[0]);
    return copy;
}

static const char *keep_string(ft_session_t *s, const char *text) {
    const size_t n = strlen(text) + 1;
    char *copy = arena_alloc(s, n);
    if (copy)
        memcpy(copy, text, n);
    return copy;
}

ft_status ft_session_call(ft_session_t *s, const char *opname, ft_var_t lhs, ft_var_t rhs, ft_var_t *out) {
    if (!s || !opname || !out)
        return FT_EINVALID_ARGUMENT;
    const ft_op_t *op = NULL;
    ft_var_t result = 0;
    ft_decision_t d;
    ft_status st = ft_registry_find(s->registry, opname, &op);
    bool decided = false;
    if (st == FT_OK && (lhs >= ft_tape_var_count(&s->tape) || rhs >= ft_tape_var_count(&s->tape)))
        st = FT_EUNKNOWN_VAR;
    if (st == FT_OK) {
        st = ft_tape_apply(&s->tape, &s->ctx, op, lhs, rhs, &result, &d);
        decided = true;
    }
    entry_t *e = new_entry(s, FT_EVIDENCE_DISPATCH, st);
    if (e) {
        /* the name as asked for, so a failed lookup is still evidence of what was tried */
        e->op = op ? ft_op_name(op) : keep_string(s, opname);
        e->lhs = lhs;
        e->rhs = rhs;
        if (decided && !(e->decision = keep_decision(s, &d)))
            e = NULL; /* append reports FT_ENOMEM */
    }
    if (st == FT_OK) {
        if (e) {
            e->out = result;
            ft_tape_value(&s->tape, result, &e->value);
        }
        *out = result;
    }
    return logged(s, e, st);
}

ft_status ft_session_backward(ft_session_t *s, ft_var_t root, bool retain_graph, ft_backward_report_t *report) {
    if (!s)
        return FT_EINVALID_ARGUMENT;
    const ft_backward_options_t opts = {retain_graph};
    ft_backward_report_t rep = {root, 0, NULL, 0, NULL};
    ft_status st = ft_tape_backward(&s->tape, root, &opts, &rep);
    entry_t *e = new_entry(s, FT_EVIDENCE_BACKWARD, st);
    if (e) {
        e->root = root;
        e->retain_graph = retain_graph;
        if (st == FT_OK) {
            ft_var_t *order = arena_alloc(s, (rep.steps ? rep.steps : 1) * sizeof *order);
            /* the leaves this backward reached (not every leaf of the session) */
            ft_var_t *vars = arena_alloc(s, (rep.leaf_count ? rep.leaf_count : 1) * sizeof *vars);
            double *grads = arena_alloc(s, (rep.leaf_count ? rep.leaf_count : 1) * sizeof *grads);
            if (!order || !vars || !grads) {
                e = NULL; /* append reports FT_ENOMEM */
            } else {
                memcpy(order, rep.order, rep.steps * sizeof *order);
                size_t k = 0;
                for (size_t i = 0; i < rep.leaf_count; i++) {
                    bool defined;
                    double g;
                    if (ft_tape_grad(&s->tape, rep.leaves[i], &g, &defined) == FT_OK && defined) {
                        vars[k] = rep.leaves[i];
                        grads[k++] = g;
                    }
                }
                e->steps = rep.steps;
                e->order = order;
                e->grad_count = k;
                e->grad_vars = vars;
                e->grads = grads;
            }
        }
    }
    if (report)
        *report = rep;
    return logged(s, e, st);
}

ft_status ft_session_value(const ft_session_t *s, ft_var_t var, ft_scalar_t *out) {
    return s ? ft_tape_value(&s->tape, var, out) : FT_EINVALID_ARGUMENT;
}

ft_status ft_session_grad(const ft_session_t *s, ft_var_t var, double *value, bool *defined) {
    return s ? ft_tape_grad(&s->tape, var, value, defined) : FT_EINVALID_ARGUMENT;
}

size_t ft_session_evidence_count(const ft_session_t *s) {
    return s ? s->count : 0;
}

const ft_evidence_t *ft_session_evidence_at(const ft_session_t *s, size_t seq) {
    return s && seq < s->count ? s->entries[seq] : NULL;
}
