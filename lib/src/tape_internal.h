/* Private: the tape's layout, so a session can embed one (one allocation for
 * both). Everything else uses ft/tape.h. */
#ifndef FT_TAPE_INTERNAL_H
#define FT_TAPE_INTERNAL_H

#include "ft/tape.h"

typedef struct {
    ft_scalar_t value; /* value.tape_var is 1 + the variable's id */
    uint32_t node;     /* 1 + the producing node, 0 for a leaf */
    bool has_grad;
    double grad; /* leaves: torch's .grad */
} tape_var_t;

/* tape_node_t.state bits */
enum {
    FTP_NODE_RELEASED = 1,   /* backward ran it without retain_graph */
    FTP_NODE_A_FROM_NODE = 2 /* operand 0's src is the node that made it (else a leaf's slot); 4 for operand 1 */
};

/* A recorded op: torch's grad_fn, with its saved operands and the gradient
 * buffer of its output. 64 bytes: backward streams through these, and
 * everything it needs is here, fixed when recorded (a variable's node and
 * requires_grad never change), so the walk never visits a variable; leaves get
 * their gradients after it (tape_delivery_t). */
typedef struct {
    const ft_registration_t *autograd; /* carries the derivative */
    double a, b, result;               /* saved operand values and the result (in dtype) */
    double buf;                        /* gradient of the output, in the backward of seen_epoch */
    uint32_t src[2];                   /* where need[i], where operand i's gradient goes: the node that made it
                                        * (state & FTP_NODE_A_FROM_NODE << i), else the leaf's variable slot */
    uint32_t out;                      /* output variable slot */
    uint32_t seen_epoch;               /* reached by the backward of this epoch (buf is its gradient) */
    uint8_t dtype;                     /* ft_dtype_t of the operands */
    bool need[2];                      /* operand i is a variable of this tape that requires grad */
    uint8_t state;                     /* FTP_NODE_* */
} tape_node_t;

/* A gradient on its way to a leaf: collected during the walk and applied after
 * it in leaf order, so the walk never writes to leaves scattered over the tape. */
typedef struct {
    double g;
    uint32_t slot;
} tape_delivery_t;

/* Small inline buffers first: a short program (the packet's microbench) runs
 * without touching the heap; longer ones move to the heap once. */
#define FTP_TAPE_INLINE_VARS  8
#define FTP_TAPE_INLINE_NODES 4

struct ft_tape {
    tape_var_t *vars; /* vars[i] is variable base + i */
    size_t nvars, cap_vars;
    uint32_t base; /* variables below it were dropped by ft_tape_clear */
    tape_node_t *nodes;
    size_t nnodes, cap_nodes;
    ft_var_t *order; /* last backward's execution order */
    size_t order_cap;
    ft_var_t *leaves; /* leaves the last backward accumulated into, ascending */
    size_t leaves_cap;
    uint32_t epoch; /* one per backward */
    uint32_t *work; /* reached nodes not run yet (a max-heap), per backward */
    size_t work_cap;
    tape_delivery_t *deliv, *deliv_tmp; /* leaf gradients of a backward, and sort scratch */
    size_t deliv_cap, deliv_tmp_cap;
    ft_error_t *error; /* last failure (ft_tape_last_error), allocated at the first */
    tape_var_t vars_inline[FTP_TAPE_INLINE_VARS];
    tape_node_t nodes_inline[FTP_TAPE_INLINE_NODES];
    ft_var_t order_inline[FTP_TAPE_INLINE_NODES];
    ft_var_t leaves_inline[FTP_TAPE_INLINE_NODES];
    uint32_t work_inline[FTP_TAPE_INLINE_NODES];
    tape_delivery_t deliv_inline[FTP_TAPE_INLINE_NODES];
    tape_delivery_t deliv_tmp_inline[1]; /* only a long list is radix-sorted */
};

/* Initialise / release an embedded tape (ft_tape_new / ft_tape_free do this
 * around their own allocation). */
void ftp_tape_init(ft_tape_t *tape);
void ftp_tape_dispose(ft_tape_t *tape);

/* True when `var` is one of the tape's current variables. */
static inline bool ftp_tape_has_var(const ft_tape_t *tape, ft_var_t var) {
    return var >= tape->base && var - tape->base < tape->nvars;
}

/* A current variable's slot (the caller has checked ftp_tape_has_var). */
static inline const tape_var_t *ftp_tape_var(const ft_tape_t *tape, ft_var_t var) {
    return &tape->vars[var - tape->base];
}

/* The session's fast paths: ft_tape_leaf and ft_tape_apply after their argument
 * checks, which the caller has made (a valid dtype and device; current
 * variables and a non-NULL out). Same results and errors otherwise. */
ft_status ftp_tape_add_leaf(ft_tape_t *tape, const ft_scalar_t *value, ft_var_t *out);
ft_status ftp_tape_apply(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_var_t lhs, ft_var_t rhs,
                         ft_var_t *out, ft_decision_t *decision);

/* Records "variable N ..." (unknown or cleared) as the tape's last error;
 * returns FT_EUNKNOWN_VAR. */
ft_status ftp_tape_unknown_var(ft_tape_t *tape, ft_var_t var);

#endif
