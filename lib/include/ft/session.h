/* libft — a session: the packet's FrankenTorchSession.
 *
 * A session owns a dispatch context (mode, grad mode, include/exclude sets, keyset
 * derivation profile, inference mode), an autograd tape and an evidence ledger.
 * Every op, backward, mode change, grad-mode change and inference-mode change
 * appends an entry, whether it succeeded or not; entries are
 * deterministic (sequence numbers, no wall clock unless the caller supplies
 * one). A sink callback sees each entry as it is appended — the forensics layer
 * plugs in there — and the ledger can be walked or rendered as JSON.
 *
 * Memory: by default the ledger keeps every entry. A dispatch entry costs about
 * 150 bytes: the ft_evidence_t and its slot; its decision (header and the hops
 * the route used, never the FT_DECISION_MAX_HOPS slots) is stored once and
 * shared by every entry whose decision is identical. A backward entry adds its
 * order and gradient lists. ft_session_options_t.ledger bounds this: keep the
 * last N entries, or none (the sink sees each entry and the session keeps
 * nothing). The tape's variables are memory too, until ft_session_clear_tape.
 *
 * Thread-safety: a session is used by one thread at a time (any thread); the
 * sink and the clock are called on that thread, inside the call that appends
 * the entry. A borrowed registry may be shared by sessions on several threads
 * (ft/op.h); the session only reads it. No global or thread-local state. */
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
    FT_EVIDENCE_DISPATCH = 0,         /* "dispatch": one op */
    FT_EVIDENCE_BACKWARD,             /* "backward" */
    FT_EVIDENCE_MODE_CHANGE,          /* "mode_change" */
    FT_EVIDENCE_GRAD_MODE_CHANGE,     /* "grad_mode_change" */
    FT_EVIDENCE_INFERENCE_MODE_CHANGE /* "inference_mode_change" */
} ft_evidence_kind_t;

FT_API const char *ft_evidence_kind_name(ft_evidence_kind_t kind);

/* One ledger entry. Owned by the session; the entry and the pointers inside stay
 * valid while the ledger keeps it: until the session is freed (FT_LEDGER_KEEP_ALL),
 * until `keep` more entries are appended (FT_LEDGER_KEEP_LAST), or only during
 * the sink call (FT_LEDGER_SINK_ONLY). Fields not of the entry's kind are zero. */
typedef struct ft_evidence {
    uint64_t seq; /* 0, 1, 2, ... in append order */
    ft_evidence_kind_t kind;
    ft_status status;
    bool has_time; /* only when the session has a clock */
    int64_t time;

    /* FT_EVIDENCE_DISPATCH: the op name as requested, its decision (NULL when the
     * call failed before routing: unknown op or variable), its operands and, on
     * success, the result. The decision record holds hops[0 .. hop_count) only and
     * may be shared with other entries: read it through the pointer, never copy
     * *decision by value. */
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

    /* FT_EVIDENCE_MODE_CHANGE (ft_mode_t) / FT_EVIDENCE_GRAD_MODE_CHANGE and
     * FT_EVIDENCE_INFERENCE_MODE_CHANGE (0/1) */
    int from, to;
} ft_evidence_t;

/* Called with each entry right after it is appended. The entry is valid as long
 * as the ledger keeps it (see ft_evidence_t; always for the rest of the call).
 * Must not call back into the session. */
typedef void (*ft_evidence_sink_fn)(const ft_evidence_t *entry, void *payload);

/* What the ledger keeps. Whatever the policy, every entry gets its sequence
 * number and goes to the sink. */
typedef enum ft_ledger_policy {
    FT_LEDGER_KEEP_ALL = 0, /* every entry, for the session's life (the default) */
    FT_LEDGER_KEEP_LAST,    /* the last ledger_keep entries (> 0); older ones are freed */
    FT_LEDGER_SINK_ONLY     /* none: entries exist only during the sink call;
                             * constant memory however long the session runs */
} ft_ledger_policy_t;

/* A caller-supplied clock (any unit); without one entries carry no time. */
typedef int64_t (*ft_clock_fn)(void *payload);

typedef struct ft_session_options {
    ft_mode_t mode;                /* default FT_MODE_STRICT */
    bool grad_mode;                /* default true */
    const ft_registry_t *registry; /* borrowed; NULL: the shared ft_registry_builtins() */
    ft_evidence_sink_fn sink;      /* may be NULL */
    void *sink_payload;
    ft_clock_fn clock; /* may be NULL */
    void *clock_payload;
    ft_ledger_policy_t ledger; /* default FT_LEDGER_KEEP_ALL */
    size_t ledger_keep;        /* with FT_LEDGER_KEEP_LAST: how many entries (its
                                * slots are reserved up front, ~150 bytes each) */
    ft_profile_t profile;      /* keyset derivation (ft_profile_t); default FT_PROFILE_PACKET */
    bool inference_mode;       /* default false; c10 profile only (ft_profile_t) */
} ft_session_options_t;

#define FT_SESSION_OPTIONS_INIT                                                                                        \
    { FT_MODE_STRICT, true, NULL, NULL, NULL, NULL, NULL, FT_LEDGER_KEEP_ALL, 0, FT_PROFILE_PACKET, false }

/* `opts` may be NULL for the defaults. FT_EINVALID_ARGUMENT for an unknown mode,
 * profile or ledger policy, or FT_LEDGER_KEEP_LAST with ledger_keep 0. */
FT_API ft_status ft_session_new(const ft_session_options_t *opts, ft_session_t **out);
FT_API void ft_session_free(ft_session_t *session);

FT_API const ft_registry_t *ft_session_registry(const ft_session_t *session);
FT_API const ft_tape_t *ft_session_tape(const ft_session_t *session);
FT_API const ft_dispatch_ctx_t *ft_session_context(const ft_session_t *session);

/* Each appends a change entry (even when the value does not change). Either the
 * value changes and its entry is appended (FT_OK), or it stays as it was and the
 * call fails (FT_EINVALID_ARGUMENT for a mode that is not an ft_mode_t, FT_ENOMEM
 * when the entry cannot be stored), never both. */
FT_API ft_status ft_session_set_mode(ft_session_t *session, ft_mode_t mode);
/* Under the c10 profile grad mode off keeps the autograd hop but records no node
 * (results do not require grad); under the packet profile it routes around
 * autograd. See ft_profile_t. */
FT_API ft_status ft_session_set_grad_mode(ft_session_t *session, bool enabled);
/* torch.inference_mode(enabled): appends an "inference_mode_change" entry, same
 * contract as ft_session_set_grad_mode. Under the c10 profile, while it is on,
 * ops record nothing, their results and new leaves are inference tensors; the
 * packet profile ignores it (it is still recorded). */
FT_API ft_status ft_session_set_inference_mode(ft_session_t *session, bool enabled);
/* c10's TLS include/exclude sets (no entry: they are part of every decision). */
FT_API ft_status ft_session_set_include(ft_session_t *session, ft_keyset_t include);
FT_API ft_status ft_session_set_exclude(ft_session_t *session, ft_keyset_t exclude);

/* A leaf variable (no entry: leaves are data, not operations). A CPU tensor; an
 * inference tensor when made under the c10 profile in inference mode (torch
 * lets an inference tensor require grad; it still carries no autograd key). */
FT_API ft_status ft_session_leaf(ft_session_t *session, double value, ft_dtype_t dtype, bool requires_grad,
                                 ft_var_t *out);

/* op(lhs, rhs) through the dispatcher and the tape; appends a dispatch entry
 * with the decision, successful or not. The operator is looked up by name in
 * the session's registry (a hash lookup). A failure is also the session's last
 * error. */
FT_API ft_status ft_session_call(ft_session_t *session, const char *op, ft_var_t lhs, ft_var_t rhs, ft_var_t *out);

/* Same with an operator handle (no lookup): the session's registry must hold
 * `op` (ft_registry_contains; the shared built-in operators are held by every
 * registry from ft_registry_new). FT_EINVALID_ARGUMENT otherwise, with no entry
 * appended, as for a NULL argument. */
FT_API ft_status ft_session_call_op(ft_session_t *session, const ft_op_t *op, ft_var_t lhs, ft_var_t rhs,
                                    ft_var_t *out);

/* Backward from `root`; appends a backward entry. `report` may be NULL. */
FT_API ft_status ft_session_backward(ft_session_t *session, ft_var_t root, bool retain_graph,
                                     ft_backward_report_t *report);

/* ft_tape_clear on the session's tape: drops every variable (their ids then fail
 * with FT_EUNKNOWN_VAR; new ids go on from there, so ids in the ledger stay
 * unambiguous). No entry: variables are data, like leaves. */
FT_API ft_status ft_session_clear_tape(ft_session_t *session);

/* The session's last error: the most recent failure of a function that takes a
 * non-const session, with what and where ("no operator named 'nope'", "rsub:
 * composite_fallback_rejected: strict mode rejects ..."); code FT_OK and "" if
 * none (a later success does not clear it). Owned by the session. Never NULL
 * (for a NULL session: a static FT_EINVALID_ARGUMENT record). */
FT_API const ft_error_t *ft_session_last_error(const ft_session_t *session);

FT_API ft_status ft_session_value(const ft_session_t *session, ft_var_t var, ft_scalar_t *out);
FT_API ft_status ft_session_grad(const ft_session_t *session, ft_var_t var, double *value, bool *defined);

/* Entries appended so far (the next sequence number), whether kept or not. */
FT_API size_t ft_session_evidence_count(const ft_session_t *session);
/* The sequence number of the oldest entry the ledger still keeps: 0 with
 * FT_LEDGER_KEEP_ALL; ft_session_evidence_count when it keeps none. */
FT_API size_t ft_session_evidence_first(const ft_session_t *session);
/* The entry with sequence number `seq`: NULL past the end and for entries the
 * ledger no longer keeps (seq < ft_session_evidence_first). */
FT_API const ft_evidence_t *ft_session_evidence_at(const ft_session_t *session, size_t seq);

/* One entry as a JSON object on one line, keys in a fixed order (see
 * lib/src/evidence_json.c), snprintf contract. Doubles are exact ("%.17g",
 * "nan", "inf", "-inf", "-0"); keysets are hex strings. */
FT_API size_t ft_evidence_json(const ft_evidence_t *entry, char *buf, size_t cap);

FT_END_DECLS

#endif
