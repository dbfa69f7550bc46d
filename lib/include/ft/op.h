/* libft — operators, their kernels and computed dispatch tables (SPEC §4).
 *
 * An operator has kernels registered under runtime keys (CPU, AutogradCPU, ...)
 * and/or alias keys (Autograd, CompositeExplicitAutograd, ...). Its computed
 * table gives every runtime key an entry — kernel, source registration, tag —
 * exactly as torch 1.13's _dispatch_dump_table shows it, computed fresh from the
 * registration set (so independent of registration order, see the oracle README).
 *
 * Operators live in a registry, an explicit context object: ft_registry_new gives
 * one holding the built-in operators; users add theirs with ft_registry_register.
 * The built-in operators, their tables and their registry
 * (ft_registry_builtins) are static const data computed at build time and
 * shared by every registry, so ft_registry_new is one small allocation.
 * Operator handles are borrowed from the registry and valid until it is freed
 * (the shared built-ins: forever). Looking an operator up by name is a hash
 * lookup (O(1) expected), and registering n operators costs O(n) in all.
 * Kernels can be added to an existing operator and released again
 * (ft_registry_add_kernels, ft_registration_release).
 *
 * Thread-safety: the functions that change a registry — ft_registry_register,
 * ft_registry_add_kernels, ft_registration_release, the only ones that record
 * its last error — need exclusive access (no other thread using the registry or
 * its operators meanwhile). Every other function here only reads: between
 * changes, any number of threads may look operators up, read their tables and
 * dispatch through them at once (sessions on different threads may borrow one
 * registry). ft_registry_builtins() never changes. ft_table_* functions are
 * pure. */
#ifndef FT_OP_H
#define FT_OP_H

#include "ft/common.h"
#include "ft/key.h"
#include "ft/keyset.h"
#include "ft/status.h"
#include "ft/tensor.h"

FT_BEGIN_DECLS

typedef struct ft_registry ft_registry_t;
typedef struct ft_op ft_op_t;
typedef struct ft_registration_handle ft_registration_handle_t;

/* What a kernel is told about the call it serves; valid only during the call. */
typedef struct ft_kernel_call ft_kernel_call_t;

/* A binary scalar kernel. Computes op(a, b) into out->value; the dispatcher has
 * already checked that a and b share dtype and device and fills the rest of *out.
 * Built-in backend kernels ignore `call`, so they may be called directly with
 * call == NULL (the benchmark's baseline does). */
typedef ft_status (*ft_kernel_fn)(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                                  ft_scalar_t *out);

/* What a derivative gets: the forward operands and result and the incoming
 * gradient, all in `dtype`, and which input gradients are wanted. */
typedef struct ft_backward_args {
    ft_dtype_t dtype;
    double a, b, result, grad;
    bool need_a, need_b;
} ft_backward_args_t;

/* Computes the gradients of op(a, b) with respect to a and b (only those
 * needed) in args->dtype, as torch's derivative formula for the op does. */
typedef ft_status (*ft_backward_fn)(const ft_backward_args_t *args, double *grad_a, double *grad_b, void *payload);

typedef struct ft_registration {
    ft_key_t key;            /* a runtime key (ft_key_is_runtime, not Undefined) or an alias key */
    const char *kernel_name; /* e.g. "cpu::add_scalar"; 1..127 printable ASCII; copied */
    ft_kernel_fn fn;         /* required; must be NULL on autograd keys (Autograd alias,
                              * AutogradCPU, AutogradOther, ...), whose kernel is the autograd
                              * wrapper: it records a tape node and redispatches below autograd */
    void *payload;           /* handed to fn through ft_kernel_call_payload, and to backward */
    ft_backward_fn backward; /* on autograd keys: the derivative. NULL there means backward
                              * through this op fails with FT_ENO_DERIVATIVE (torch's
                              * "derivative not implemented"). Ignored on other keys. */
} ft_registration_t;

/* New registry holding the built-in operators of SPEC §4: add, sub, mul, div,
 * maximum, minimum, atan2, pow (CPU + Autograd), rsub (CompositeExplicitAutograd +
 * Autograd), sqdiff (CompositeImplicitAutograd). Free with ft_registry_free. */
FT_API ft_status ft_registry_new(ft_registry_t **out);
/* The built-in operators' own registry: static const data computed at build
 * time, shared by the whole process, never freed (ft_registry_free ignores it,
 * and a function that changes a registry refuses it with FT_EINVALID_ARGUMENT).
 * The built-in operators belong to it
 * (ft_op_registry), whichever registry they were found in. ft_session_new
 * without a registry uses it, so a default session allocates no registry. */
FT_API const ft_registry_t *ft_registry_builtins(void);
/* New registry with no operators. */
FT_API ft_status ft_registry_new_empty(ft_registry_t **out);
/* Frees the registry and every operator in it. NULL and ft_registry_builtins()
 * are no-ops. */
FT_API void ft_registry_free(ft_registry_t *reg);

/* Registers a binary operator. `name`: 1..63 chars of [A-Za-z0-9_.:], starting
 * with a letter or '_'. Errors: FT_EINVALID_OP_NAME, FT_EDUPLICATE_OP,
 * FT_EINVALID_REGISTRATION (bad key, key twice, missing kernel name, fn missing
 * or — on an autograd key — present, no registrations), FT_EINVALID_ARGUMENT,
 * FT_ENOMEM; each failure also sets the registry's last error (what and where:
 * "duplicate registration for CPU"). Nothing is registered on failure. On success
 * *out (if not NULL) is the new operator. */
FT_API ft_status ft_registry_register(ft_registry_t *reg, const char *name, const ft_registration_t *regs, size_t count,
                                      const ft_op_t **out);

/* --- kernels that come and go ---------------------------------------------- */

/* Adds kernels to an operator of `reg` (as c10's Library.impl on an existing
 * operator). `regs` follow ft_registry_register's rules, and no key may already
 * have a registration on the operator. On success *out (if not NULL) is a
 * handle whose ft_registration_release removes exactly these kernels again (as
 * c10's RegistrationHandleRAII); only the table entries the added keys can
 * affect are recomputed (for an alias key: the runtime keys it covers and the
 * entries whose rule reads it, e.g. every CompositeImplicitAutograd entry for
 * CompositeExplicitAutograd; for a backend key: its own entry and the autograd
 * entries whose backend keyset holds it, AutogradOther included) and each equals
 * the table computed from scratch for the registrations now live.
 *
 * Errors: FT_EINVALID_ARGUMENT (reg NULL or the static ft_registry_builtins();
 * op NULL or not in `reg`), FT_EINVALID_REGISTRATION (as ft_registry_register,
 * and "duplicate registration for CPU on operator 'add'" for a key the operator
 * has), FT_ENOMEM; each also sets the registry's last error. On failure the
 * operator's registrations and table are unchanged.
 *
 * A shared built-in operator (ft_registry_new) is never changed: the first
 * change to any built-in of `reg` gives `reg` its own copies of all of them, at
 * the same ft_registry_op_at positions (ft_op_registry is then `reg`). Handles
 * on the shared ones found earlier keep routing by the unchanged shared tables
 * and are no longer held by `reg` (ft_registry_contains; a session on `reg`
 * refuses them): look the operator up again, or use ft_registration_op.
 *
 * Lifetimes: handles belong to the registry and stay valid, released or not,
 * until ft_registry_free, which frees them (so freeing a registry with live
 * handles is fine). Registration records, kernel names and
 * ft_op_registrations listings are kept until ft_registry_free too, so a
 * decision, ledger entry or tape node that borrowed a released kernel's name
 * or registration stays valid; the memory grows with the number of changes.
 *
 * Thread-safety: like ft_registry_register, add and release need exclusive
 * access to the registry: no other thread may look up, dispatch through or run
 * sessions on its operators meanwhile. */
FT_API ft_status ft_registry_add_kernels(ft_registry_t *reg, const ft_op_t *op, const ft_registration_t *regs,
                                         size_t count, ft_registration_handle_t **out);

/* Removes the handle's kernels from its operator and recomputes the affected
 * entries (see ft_registry_add_kernels). FT_EINVALID_ARGUMENT for NULL (nothing
 * recorded) and for a handle already released (recorded in its registry's last
 * error: "registration handle on 'add' was already released"); FT_ENOMEM
 * leaves everything as it was. */
FT_API ft_status ft_registration_release(ft_registration_handle_t *handle);

/* The operator the handle's kernels were added to (the registry's own, after a
 * built-in was copied); NULL for NULL. */
FT_API const ft_op_t *ft_registration_op(const ft_registration_handle_t *handle);

/* The registry's last error: the most recent failure of ft_registry_register,
 * ft_registry_add_kernels or ft_registration_release on it (code FT_OK and "" if
 * none; a later success does not clear it). Owned by the
 * registry, overwritten by its next failure. Never NULL (for a NULL registry: a
 * static FT_EINVALID_ARGUMENT record). Lookups (const) never record errors, so
 * threads sharing a registry do not write to it. */
FT_API const ft_error_t *ft_registry_last_error(const ft_registry_t *reg);

/* Looks an operator up by name (a hash lookup): FT_EUNKNOWN_OP if absent. */
FT_API ft_status ft_registry_find(const ft_registry_t *reg, const char *name, const ft_op_t **out);
FT_API size_t ft_registry_op_count(const ft_registry_t *reg);
/* Operators in registration order; NULL past the end. */
FT_API const ft_op_t *ft_registry_op_at(const ft_registry_t *reg, size_t index);

/* Whether `reg` routes `op`: `op` was registered in `reg`, or is one of the
 * shared built-in operators `reg` holds (ft_registry_new). */
FT_API bool ft_registry_contains(const ft_registry_t *reg, const ft_op_t *op);

FT_API const char *ft_op_name(const ft_op_t *op);
/* The registry the operator was registered in: for a built-in operator found in
 * a registry from ft_registry_new, the shared ft_registry_builtins() (use
 * ft_registry_contains to ask whether a registry holds an operator). */
FT_API const ft_registry_t *ft_op_registry(const ft_op_t *op);
/* The operator's live registrations (borrowed, valid until the registry is
 * freed; after ft_registry_add_kernels or ft_registration_release a new listing
 * holds copies, so compare table entries' `registration` with these by key, not
 * by address); returns the count. */
FT_API size_t ft_op_registrations(const ft_op_t *op, const ft_registration_t **out);

/* How a computed entry was filled; the names are torch's dump tags. */
typedef enum ft_table_tag {
    FT_TAG_MISSING = 0,              /* "missing" */
    FT_TAG_KERNEL,                   /* "kernel" */
    FT_TAG_DEFAULT_BACKEND,          /* "default backend kernel" (CompositeExplicitAutograd[NonFunctional]) */
    FT_TAG_NESTED,                   /* "nested kernel" (CompositeImplicitAutogradNestedTensor) */
    FT_TAG_MATH,                     /* "math kernel" (CompositeImplicitAutograd) */
    FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER, /* "ambiguous autogradother" */
    FT_TAG_AUTOGRAD,                 /* "autograd kernel" (Autograd alias) */
    FT_TAG_BACKEND_FALLBACK          /* "backend fallback" */
} ft_table_tag_t;

FT_API const char *ft_table_tag_name(ft_table_tag_t tag);
/* The word for where an entry's kernel comes from, as tables, decisions and
 * evidence print it: the source key's name for registered kernels, or
 * "backend_fallback", "ambiguous", "missing". */
FT_API const char *ft_table_source_name(ft_table_tag_t tag, ft_key_t source);
/* default backend, nested and math kernels: the composite routes of SPEC §6. */
FT_API bool ft_table_tag_is_composite(ft_table_tag_t tag);

typedef struct ft_table_entry {
    ft_key_t key; /* the runtime key this entry is for */
    ft_table_tag_t tag;
    ft_key_t source;                       /* registration key that supplied the kernel; Undefined for
                                            * missing, ambiguous and backend fallback entries */
    bool fallthrough;                      /* a fallthrough backend fallback: routing skips the key */
    const ft_registration_t *registration; /* the kernel, or NULL (always NULL from
                                            * ft_table_compute_entry) */
} ft_table_entry_t;

/* The operator's computed entry for runtime key `key` (ft_key_is_runtime);
 * FT_EINVALID_ARGUMENT for any other key. */
FT_API ft_status ft_op_table_entry(const ft_op_t *op, ft_key_t key, ft_table_entry_t *out);

/* The entry torch 1.13 would compute for runtime key `key` of an operator with
 * kernels registered under `keys` (no operator needed: this is the table query
 * of ft-dispatch). Same key rules as ft_registry_register. */
FT_API ft_status ft_table_compute_entry(const ft_key_t *keys, size_t count, ft_key_t key, ft_table_entry_t *out);

/* Checks registration keys by the rules ft_registry_register and
 * ft_table_compute_entry apply (each a runtime key other than Undefined, or an
 * alias key; no key twice; count 0 is fine): FT_OK, or FT_EINVALID_REGISTRATION
 * (FT_EINVALID_ARGUMENT for keys NULL with count > 0) with the reason in *err,
 * e.g. "duplicate registration for CPU". `err` may be NULL; on success it is
 * reset to FT_OK and "". */
FT_API ft_status ft_table_check_keys(const ft_key_t *keys, size_t count, ft_error_t *err);

/* --- for kernels ---------------------------------------------------------- */

FT_API void *ft_kernel_call_payload(const ft_kernel_call_t *call);
FT_API const ft_op_t *ft_kernel_call_op(const ft_kernel_call_t *call);
/* The keyset the route had when it reached this kernel. */
FT_API ft_keyset_t ft_kernel_call_keyset(const ft_kernel_call_t *call);

/* Calls another operator from inside a kernel, as a CompositeImplicitAutograd
 * kernel does: routes `op` on the caller's keyset, in the caller's mode.
 * FT_EDISPATCH_DEPTH past 16 nested calls. */
FT_API ft_status ft_kernel_redispatch(const ft_kernel_call_t *call, const ft_op_t *op, const ft_scalar_t *a,
                                      const ft_scalar_t *b, ft_scalar_t *out);

FT_END_DECLS

#endif
