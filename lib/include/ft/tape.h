/* libft — a deterministic reverse-mode autograd tape over dispatched scalar ops.
 *
 * Variables are indices into the tape. Every op goes through the dispatcher; the
 * tape records a node when the route passes an autograd wrapper (AutogradCPU and
 * friends) and an operand requires grad — so requires_grad routes through
 * AutogradCPU and shows the hop, and an op whose autograd key only falls through
 * gives a result that does not require grad, as in torch. How grad mode acts
 * depends on the context's profile (ft_profile_t): packet — grad mode off routes
 * around autograd; c10 — the autograd hop still runs with grad mode off or in
 * inference mode, but no node is recorded and the result does not require grad.
 * Composite implicit
 * kernels (sqdiff) record the ops they call, so their gradient flows through the
 * decomposition.
 *
 * Backward runs nodes in torch's order (the ready node created last runs first),
 * so the same program gives bit-identical gradients and the same execution order
 * every run. Its cost is O(n log n) in the part of the graph the root reaches,
 * whatever order the leaves were made or used in. The tape owns all memory; its
 * memory is proportional to the variables it holds, and ft_tape_clear drops them
 * (a long-running program clears between steps, as torch frees a step's graph
 * with its tensors).
 *
 * Thread-safety: a tape is used by one thread at a time (any thread; no locks,
 * no thread-local state). Functions taking a const tape only read it and may run
 * concurrently with each other, never with a call that changes it. */
#ifndef FT_TAPE_H
#define FT_TAPE_H

#include "ft/common.h"
#include "ft/dispatch.h"
#include "ft/op.h"
#include "ft/status.h"
#include "ft/tensor.h"

FT_BEGIN_DECLS

typedef struct ft_tape ft_tape_t;

/* A variable: its id on the tape. Ids count up from 0 in creation order and are
 * never reused, also after ft_tape_clear, so an id names one variable for the
 * tape's life (at most 2^32 - 1 of them). */
typedef uint32_t ft_var_t;

FT_API ft_status ft_tape_new(ft_tape_t **out);
/* Frees the tape and everything it recorded. NULL is a no-op. */
FT_API void ft_tape_free(ft_tape_t *tape);

/* A leaf with `value` (its requires_grad decides whether it gets a gradient).
 * value->tape_var is ignored. */
FT_API ft_status ft_tape_leaf(ft_tape_t *tape, const ft_scalar_t *value, ft_var_t *out);

/* op(lhs, rhs) through ft_dispatch_binary semantics on the tape's variables; the
 * result is a new variable (*out). `decision` may be NULL. Errors are the
 * dispatcher's, plus FT_EUNKNOWN_VAR and FT_ETAPE_FULL; nothing is recorded on
 * error. */
FT_API ft_status ft_tape_apply(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_var_t lhs,
                               ft_var_t rhs, ft_var_t *out, ft_decision_t *decision);

/* The number of ids handed out so far: the next variable's id. The tape holds
 * ids ft_tape_first_var .. ft_tape_var_count - 1. */
FT_API size_t ft_tape_var_count(const ft_tape_t *tape);
/* The lowest id the tape still holds (0 until ft_tape_clear). */
FT_API ft_var_t ft_tape_first_var(const ft_tape_t *tape);

/* Drops every variable and node (values, gradients, graph) and keeps the memory
 * for the next ones. Ids handed out before fail with FT_EUNKNOWN_VAR from then
 * on; new ids go on from where the old ones stopped. NULL is a no-op. */
FT_API void ft_tape_clear(ft_tape_t *tape);

/* The tape's last error: the most recent failure of a function that takes a
 * non-const tape (ft_tape_leaf, ft_tape_apply, ft_tape_backward), with what and
 * where ("variable 12 was dropped when the tape was cleared", "add: no_kernel:
 * ..."); a later success does not clear it. Never NULL. Owned by the tape, which
 * makes the record at its first failure (a tape stays small until then): before
 * that this is a static record with code FT_OK and "", so fetch it after a
 * failure; from then on the pointer is the tape's until ft_tape_free, and each
 * failure overwrites it. (For a NULL tape: a static FT_EINVALID_ARGUMENT record;
 * if the record cannot be allocated, failures go unrecorded.) */
FT_API const ft_error_t *ft_tape_last_error(const ft_tape_t *tape);
/* The variable's forward value (tape_var set). FT_EUNKNOWN_VAR if the tape does
 * not hold it. */
FT_API ft_status ft_tape_value(const ft_tape_t *tape, ft_var_t var, ft_scalar_t *out);
/* The accumulated gradient of a leaf (torch's .grad): *defined is false when no
 * backward has reached it, or for a non-leaf. */
FT_API ft_status ft_tape_grad(const ft_tape_t *tape, ft_var_t var, double *value, bool *defined);

typedef struct ft_backward_options {
    bool retain_graph; /* keep the graph for another backward (torch's retain_graph) */
} ft_backward_options_t;

#define FT_BACKWARD_OPTIONS_INIT                                                                                       \
    { false }

typedef struct ft_backward_report {
    ft_var_t root;
    size_t steps;          /* nodes executed */
    const ft_var_t *order; /* their output variables in execution order */
    size_t leaf_count;
    const ft_var_t *leaves; /* leaves this backward reached, ascending (those that
                             * require grad got it added to their .grad) */
    /* order and leaves are owned by the tape, valid until its next backward or free */
} ft_backward_report_t;

/* Backward from a scalar root with gradient 1, accumulating into the .grad of
 * every leaf that requires grad and is reached. Its cost is proportional to the
 * part of the graph the root reaches, not to the tape. Errors, checked before
 * anything is accumulated: FT_EUNKNOWN_VAR; FT_EROOT_NO_GRAD (the root does not
 * require grad); FT_EGRAPH_RELEASED (a node on the way was released by an earlier
 * backward without retain_graph); FT_ENO_DERIVATIVE; FT_ENOMEM. `opts` and
 * `report` may be NULL.
 *
 * Graph retention is SPEC §7's rule, stricter than torch for nodes that save no
 * tensors: without retain_graph every node a backward runs is released, so a
 * second backward through it fails even for add/sub/rsub (torch 1.13 allows that
 * one, since their backward nodes keep nothing to free). */
FT_API ft_status ft_tape_backward(ft_tape_t *tape, ft_var_t root, const ft_backward_options_t *opts,
                                  ft_backward_report_t *report);

FT_END_DECLS

#endif
