/* libft — a session: the packet's FrankenTorchSession.
 *
 * A session owns a dispatch context (mode, grad mode, include/exclude sets), an
 * autograd tape and an evidence ledger. Every op, backward, mode change and
 * grad-mode change appends an entry, whether it succeeded or not; entries are
 * deterministic (sequence numbers, no wall clock unless the caller supplies
 * one). A sink callback sees each entry as it is appended — the forensics layer
 * plugs in there — and the ledger can be walked or rendered as JSON. */
#ifndef FT_SESSION_H
#define FT_SESSION_H

#include "ft/common.h"
#include "ft/dispatch.h"
#include "ft/op.h"
#include "ft/status.h"
#include "ft/tape.h"
#include "ft/tensor.h"

FT_BEGIN_DECLS

typedef struct ft_session ft_session_t;

typedef enum ft_evidence_kind {
    FT_EVIDENCE_DISPATCH = 0,    /* "dispatch": one op */
    FT_EVIDENCE_BACKWARD,        /* "backward" */
    FT_EVIDENCE_MODE_CHANGE,     /* "mode_change" */
    FT_EVIDENCE_GRAD_MODE_CHANGE /* "grad_mode_change" */
} ft_evidence_kind_t;

FT_API const char *ft_evidence_kind_name(ft_evidence_kind_t kind);

/* One ledger entry. Owned by the session; pointers inside stay valid until the
 * session is freed. Fields not of the entry's kind are zero. */
typedef struct ft_evidence {
    uint64_t seq; /* 0, 1, 2, ... in append order */
    ft_evidence_kind_t kind;
    ft_status status;
    bool has_time; /* only when the session has a clock */
    int64_t time;

    /* FT_EVIDENCE_DISPATCH: the op name as requested, its decision (NULL when the
     * call failed before routing: unknown op or variable), its operands and, on
     * success, the result. */
    const char *op;
    const ft_decision_t *decision;
    ft_var_t lhs, rhs, out;
    ft_scalar_t value;

    /* FT_EVIDENCE_BACKWARD */
    ft_var_t root;
    bool retain_graph;
    size_t steps;
    const ft_var_t *order; /* [steps] executed nodes' output variables */
    size_t grad_count;
    const ft_var_t *grad_vars; /* [grad_count] leaves this backward reached, ascending */
    const double *grads;       /* [grad_count] their .grad after it */

    /* FT_EVIDENCE_MODE_CHANGE (ft_mode_t) / FT_EVIDENCE_GRAD_MODE_CHANGE (0/1) */
    int from, to;
} ft_evidence_t;

/* Called with each entry right after it is appended. The entry is valid for the
 * session's life. Must not call back into the session. */
typedef void (*ft_evidence_sink_fn)(const ft_evidence_t *entry, void *payload);

/* A caller-supplied clock (any unit); without one entries carry no time. */
typedef int64_t (*ft_clock_fn)(void *payload);

typedef struct ft_session_options {
    ft_mode_t mode;                /* default FT_MODE_STRICT */
    bool grad_mode;                /* default true */
    const ft_registry_t *registry; /* borrowed; NULL: the session makes one with the built-ins */
    ft_evidence_sink_fn sink;      /* may be NULL */
    void *sink_payload;
    ft_clock_fn clock; /* may be NULL */
    void *clock_payload;
} ft_session_options_t;

#define FT_SESSION_OPTIONS_INIT                                                                                        \
    { FT_MODE_STRICT, true, NULL, NULL, NULL, NULL, NULL }

/* `opts` may be NULL for the defaults. */
FT_API ft_status ft_session_new(const ft_session_options_t *opts, ft_session_t **out);
FT_API void ft_session_free(ft_session_t *session);

FT_API const ft_registry_t *ft_session_registry(const ft_session_t *session);
FT_API const ft_tape_t *ft_session_tape(const ft_session_t *session);
FT_API const ft_dispatch_ctx_t *ft_session_context(const ft_session_t *session);

/* Each appends a change entry (even when the value does not change). */
FT_API ft_status ft_session_set_mode(ft_session_t *session, ft_mode_t mode);
FT_API ft_status ft_session_set_grad_mode(ft_session_t *session, bool enabled);
/* c10's TLS include/exclude sets (no entry: they are part of every decision). */
FT_API ft_status ft_session_set_include(ft_session_t *session, ft_keyset_t include);
FT_API ft_status ft_session_set_exclude(ft_session_t *session, ft_keyset_t exclude);

/* A leaf variable (no entry: leaves are data, not operations). */
FT_API ft_status ft_session_leaf(ft_session_t *session, double value, ft_dtype_t dtype, bool requires_grad,
                                 ft_var_t *out);

/* op(lhs, rhs) through the dispatcher and the tape; appends a dispatch entry
 * with the decision, successful or not. */
FT_API ft_status ft_session_call(ft_session_t *session, const char *op, ft_var_t lhs, ft_var_t rhs, ft_var_t *out);

/* Backward from `root`; appends a backward entry. `report` may be NULL. */
FT_API ft_status ft_session_backward(ft_session_t *session, ft_var_t root, bool retain_graph,
                                     ft_backward_report_t *report);

FT_API ft_status ft_session_value(const ft_session_t *session, ft_var_t var, ft_scalar_t *out);
FT_API ft_status ft_session_grad(const ft_session_t *session, ft_var_t var, double *value, bool *defined);

FT_API size_t ft_session_evidence_count(const ft_session_t *session);
/* The entry with sequence number `seq`, NULL past the end. */
FT_API const ft_evidence_t *ft_session_evidence_at(const ft_session_t *session, size_t seq);

/* One entry as a JSON object on one line, keys in a fixed order (see
 * lib/src/evidence_json.c), snprintf contract. Doubles are exact ("%.17g",
 * "nan", "inf", "-inf", "-0"); keysets are hex strings. */
FT_API size_t ft_evidence_json(const ft_evidence_t *entry, char *buf, size_t cap);

FT_END_DECLS

#endif
