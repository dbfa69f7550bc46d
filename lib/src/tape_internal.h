/* Private: the tape's layout, so a session can embed one (one allocation for
 * both). Everything else uses ft/tape.h. */
#ifndef FT_TAPE_INTERNAL_H
#define FT_TAPE_INTERNAL_H

#include "ft/tape.h"

typedef struct {
    ft_scalar_t value; /* value.tape_var is 1 + the variable's index */
    uint32_t node;     /* 1 + the producing node, 0 for a leaf */
    bool has_grad;
    double grad; /* leaves: torch's .grad */
    /* gradient buffer of the backward whose epoch is buf_epoch (so a backward
     * touches only what it reaches, never the whole tape) */
    uint32_t buf_epoch;
    double buf;
} tape_var_t;

/* A recorded op: torch's grad_fn, with its saved operands. */
typedef struct {
    const ft_registration_t *autograd; /* carries the derivative */
    ft_scalar_t a, b;                  /* saved operands; tape_var names the input variable */
    double result;
    uint32_t out; /* output variable index */
    bool released;
    uint32_t seen_epoch; /* reached by the backward of this epoch */
    uint32_t pending;    /* consumer edges still to deliver, in that backward */
} tape_node_t;

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
    uint32_t *work; /* reached nodes (then the ready heap), per backward */
    size_t work_cap;
    ft_error_t error; /* last failure (ft_tape_last_error) */
    tape_var_t vars_inline[FTP_TAPE_INLINE_VARS];
    tape_node_t nodes_inline[FTP_TAPE_INLINE_NODES];
    ft_var_t order_inline[FTP_TAPE_INLINE_NODES];
    ft_var_t leaves_inline[FTP_TAPE_INLINE_NODES];
    uint32_t work_inline[FTP_TAPE_INLINE_NODES];
};

/* Initialise / release an embedded tape (ft_tape_new / ft_tape_free do this
 * around their own allocation). */
void ftp_tape_init(ft_tape_t *tape);
void ftp_tape_dispose(ft_tape_t *tape);

/* True when `var` is one of the tape's current variables. */
static inline bool ftp_tape_has_var(const ft_tape_t *tape, ft_var_t var) {
    return var >= tape->base && var - tape->base < tape->nvars;
}

/* Records "variable N ..." (unknown or cleared) as the tape's last error;
 * returns FT_EUNKNOWN_VAR. */
ft_status ftp_tape_unknown_var(ft_tape_t *tape, ft_var_t var);

#endif
