/* Private: operator and registry layout, shared by registry.c, dispatch_table.c
 * and dispatch.c. Not installed. */
#ifndef FT_OP_INTERNAL_H
#define FT_OP_INTERNAL_H

#include "ft/dispatch.h"
#include "ft/op.h"
#include "ft/tape.h"
#include "ft_key_facts.h"
#include "keyset_internal.h"

/* Which keys have a registration: the only input of the table computation.
 * `backend_keys` lists the registered non-alias keys, so rules that ask "is some
 * registered kernel inside this keyset" look at a handful, not at every id. */
typedef struct ftp_regset {
    bool has[FT_KEY_ID_COUNT];
    ft_key_t backend_keys[FT_KEY_ID_COUNT];
    size_t nbackend;
} ftp_regset_t;

/* Adds a key to the set (no checks). */
static inline void ftp_regset_add(ftp_regset_t *r, ft_key_t key) {
    r->has[key] = true;
    if (!ft_key_is_alias(key))
        r->backend_keys[r->nbackend++] = key;
}

/* What routing does at one entry, compiled from the table entry at registration
 * so the walk does no classification per call. */
typedef enum {
    FTP_STEP_FAIL,        /* stop with `status` */
    FTP_STEP_FALLTHROUGH, /* skip: keyset &= keep (clears the key's functionality) */
    FTP_STEP_AUTOGRAD,    /* autograd wrapper: keyset &= keep (after_autograd) */
    FTP_STEP_RUN,         /* backend kernel: run it */
    FTP_STEP_COMPOSITE    /* composite kernel: strict fails, hardened runs it */
} ftp_step_kind_t;

typedef struct ftp_step {
    ft_hop_t hop;  /* the hop record, ready to copy into a decision */
    uint64_t keep; /* mask applied to the keyset when the walk goes on */
    const ft_registration_t *registration;
    uint8_t kind;  /* ftp_step_kind_t */
    int8_t status; /* ft_status, with FTP_STEP_FAIL */
} ftp_step_t;

struct ft_op {
    char *name;
    const ft_registry_t *registry;
    ft_registration_t *regs; /* kernel_name strings owned by the op */
    size_t reg_count;
    /* Per highest backend of the keyset (0..FT_BACKEND_COUNT): the functionality
     * bits whose step is a fallthrough. The walk drops them all with one mask
     * (c10's nonFallthroughKeys) and looks up only the keys it stops at; the
     * fallthrough hops are rebuilt from these bits when a decision is recorded.
     * Kept up to date by ftp_step_compile. */
    uint64_t fallthrough_bits[FT_BACKEND_COUNT + 1];
    /* Computed entry for every non-alias id; ids that are not runtime keys stay
     * missing and are never reached (validation rules them out first). */
    ft_table_entry_t table[FTP_ALIAS_FIRST];
    ftp_step_t steps[FTP_ALIAS_FIRST];
};

struct ft_kernel_call {
    const ft_dispatch_ctx_t *ctx;
    const ft_op_t *op;
    const ft_registration_t *registration;
    ft_keyset_t keyset;
    unsigned depth;
    ft_tape_t *tape; /* the tape the outer call records on, or NULL */
};

/* The dispatcher's one entry point. `autograd` (may be NULL) receives the
 * registration of the first autograd hop of the route (NULL if none): the tape
 * records a node with its derivative. `tape` is handed to composite kernels so
 * the calls they make record themselves. */
ft_status ftp_dispatch(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset, uint64_t keyset,
                       const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out, ft_decision_t *decision,
                       unsigned depth, ft_tape_t *tape, const ft_registration_t **autograd);

/* Dispatches on the tape: records a node when the route has an autograd hop and
 * an operand requires grad (tape.c). */
ft_status ftp_tape_dispatch(ft_tape_t *tape, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset,
                            uint64_t keyset, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out,
                            ft_decision_t *decision, unsigned depth);

/* Checks one registration key: a runtime key other than Undefined, or an alias. */
bool ftp_registration_key_ok(ft_key_t key);

/* Checks `key` as a registration key (ftp_registration_key_ok, not already in
 * the set) and adds it: FT_EINVALID_REGISTRATION with the reason in *err (may be
 * NULL), e.g. "duplicate registration for CPU". */
ft_status ftp_regset_add_checked(ftp_regset_t *r, ft_key_t key, ft_error_t *err);

/* torch 1.13's computeDispatchTableEntry for runtime key `key`. Writes tag,
 * source and fallthrough; registration is left NULL. */
void ftp_table_compute(const ftp_regset_t *regs, ft_key_t key, ft_table_entry_t *out);

/* Compiles a table entry into the routing step for it. `step` must be
 * &op->steps[e->key] of the op the entry belongs to: the op's fallthrough_bits
 * are updated for that key (set or cleared), so compiling every key of an op,
 * in any order and again after a change, leaves them consistent. */
void ftp_step_compile(const ft_table_entry_t *e, ftp_step_t *step);

/* Built-in operators, registered by ft_registry_new. */
ft_status ftp_register_builtins(ft_registry_t *reg);

#endif
