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

/* What an operator owns (ft_op_t.owns); a shared built-in owns nothing. */
enum { FTP_OWNS_NAME = 1, FTP_OWNS_REGS = 2, FTP_OWNS_TABLES = 4 };

/* An operator. The built-in ones are static const objects (builtin_tables.c,
 * computed at build time) that belong to the static built-in registry
 * (ft_registry_builtins) and are shared by every registry made by
 * ft_registry_new. */
struct ft_op {
    const char *name;
    const ft_registry_t *registry;
    const ft_registration_t *regs;
    size_t reg_count;
    /* Computed entry (and its routing step) for every non-alias id; ids that
     * are not runtime keys stay missing and are never reached (validation rules
     * them out first). FTP_ALIAS_FIRST of each; with FTP_OWNS_TABLES both lie
     * in one ftp_op_tables_t allocation starting at `table`. */
    const ft_table_entry_t *table;
    const ftp_step_t *steps;
    unsigned owns;            /* FTP_OWNS_*: what freeing the operator frees */
    struct ftp_op_live *live; /* NULL until kernels are added to the operator */
    /* Per highest backend of the keyset (0..FT_BACKEND_COUNT): the functionality
     * bits whose step is a fallthrough. The walk drops them all with one mask
     * (c10's nonFallthroughKeys) and looks up only the keys it stops at; the
     * fallthrough hops are rebuilt from these bits when a decision is recorded.
     * Recomputed from `steps` (ftp_op_fallthrough_bits) whenever they change. */
    uint64_t fallthrough_bits[FT_BACKEND_COUNT + 1];
};

/* An operator whose kernels come and go (ft_registry_add_kernels). Table
 * entries point at registration records that never move: the operator's first
 * registrations and each handle's; `regs` is a listing of copies, rebuilt on
 * every change. Records and listings live until the registry is freed, so
 * pointers a decision, a ledger or a tape borrowed stay valid. */
typedef struct ftp_op_live {
    const ft_registration_t **recs; /* the live registrations' records, in listing order */
    size_t nrecs, cap_recs;
    ft_registration_t **listings; /* every listing built (the newest is `regs`) */
    size_t nlistings, cap_listings;
    ft_registration_t *first; /* the first registrations when the operator owned them */
    size_t nfirst;
} ftp_op_live_t;

/* Kernels added to an operator by one ft_registry_add_kernels call. */
struct ft_registration_handle {
    ft_registry_t *registry;
    ft_op_t *op;
    ft_registration_t *recs; /* records; kernel names owned */
    size_t count;
    bool released;
    struct ft_registration_handle *next; /* the registry's list */
};

/* Storage of an operator's own table and steps. */
typedef struct ftp_op_tables {
    ft_table_entry_t table[FTP_ALIAS_FIRST];
    ftp_step_t steps[FTP_ALIAS_FIRST];
} ftp_op_tables_t;

/* One slot of a registry's name table: the name's hash (so most probes compare
 * no string) and the operator, NULL when empty. */
typedef struct ftp_name_slot {
    uint64_t hash;
    const ft_op_t *op;
} ftp_name_slot_t;

/* A registry. Read through const views so the static built-in registry can be
 * const data; registry.c writes only registries it allocated. */
struct ft_registry {
    /* The registry whose operators this one holds first (ft_registry_new: the
     * built-in registry), or NULL. Its operators come first in op_at order. */
    const ft_registry_t *base;
    const ft_op_t *const *ops; /* own operators, after the base's */
    size_t count, cap;
    const ftp_name_slot_t *slots; /* own names: power-of-two size, at most half full */
    size_t nslots;
    ft_error_t error;
    ft_registration_handle_t *handles; /* every handle made, newest first; freed with the registry */
};

/* The static built-in registry (builtin_tables.c). */
extern const ft_registry_t ftp_builtin_registry;

/* The runtime key the walk looks up for highest bit index i (0-based) of a
 * keyset whose highest backend is b: ftp_key_at_bit[b][i] (dispatch.c). */
extern const uint8_t ftp_key_at_bit[FT_BACKEND_COUNT + 1][64];

struct ft_kernel_call {
    const ft_dispatch_ctx_t *ctx;
    const ft_op_t *op;
    const ft_registration_t *registration;
    ft_keyset_t keyset;
    unsigned depth;
    ft_tape_t *tape; /* the tape the outer call records on, or NULL */
};

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

/* Whether the entry of runtime key `key` can change when registration key
 * `changed` is added or removed (dispatch_table.c: the inputs of
 * ftp_table_compute; what a released or added registration recomputes). */
bool ftp_table_key_affects(ft_key_t changed, ft_key_t key);

/* Compiles a table entry into the routing step for it. */
void ftp_step_compile(const ft_table_entry_t *e, ftp_step_t *step);

/* The fallthrough bits of an operator whose routing steps are `steps`, per
 * highest backend (ft_op_t.fallthrough_bits): a functionality's bit is set under
 * backend b when the step the walk looks up for it there is a fallthrough. */
void ftp_op_fallthrough_bits(const ftp_step_t steps[FTP_ALIAS_FIRST], uint64_t bits[FT_BACKEND_COUNT + 1]);

/* The whole computed table of an operator whose registrations are
 * regs[0..count) with key set `set`, and the routing step of every entry:
 * entries point into `regs`. What registration computes, and what the build
 * computes the built-in operators' tables with (gen_builtin_tables.c). */
void ftp_op_compute_tables(const ftp_regset_t *set, const ft_registration_t *regs, size_t count,
                           ft_table_entry_t table[FTP_ALIAS_FIRST], ftp_step_t steps[FTP_ALIAS_FIRST]);

/* The registry's hash of an operator name (builtin_tables.c stores the
 * built-ins' hashes so a new registry hashes nothing). */
uint64_t ftp_name_hash(const char *name);

#endif
