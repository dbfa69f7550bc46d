/* libft — routing a call through an operator's computed table (SPEC §5, §6).
 *
 * The walk: take the keyset's highest-priority runtime key, look its entry up;
 * a fallthrough fallback drops that functionality and goes on; an autograd kernel
 * is recorded as a hop and the walk goes on with keyset & after_autograd; a
 * backend kernel runs and ends the walk. Composite entries (default backend,
 * math, nested kernels) are where the modes differ: strict fails closed with
 * FT_ECOMPOSITE_REJECTED, hardened runs the composite kernel and says so
 * (fallback_used, mode split "hardened_fallback", allowlist id).
 *
 * Thread-safety: dispatching only reads the context and the operator (and the
 * registry behind it) and writes only the caller's outputs, so any number of
 * threads may dispatch at once, sharing operators and even one context, as long
 * as nobody changes the context or registers into the registry meanwhile. The
 * kernels that run must be thread-safe themselves (the built-in ones are pure).
 * A decision is caller-owned. Dispatch never records a last error: a failure's
 * detail is its decision (ft_decision_message). */
#ifndef FT_DISPATCH_H
#define FT_DISPATCH_H

#include "ft/common.h"
#include "ft/key.h"
#include "ft/keyset.h"
#include "ft/op.h"
#include "ft/status.h"
#include "ft/tensor.h"

FT_BEGIN_DECLS

typedef enum ft_mode {
    FT_MODE_STRICT = 0,  /* fails closed on any composite fallback */
    FT_MODE_HARDENED = 1 /* allows exactly that fallback, and records it */
} ft_mode_t;

/* "strict" / "hardened"; NULL for an unknown value. */
FT_API const char *ft_mode_name(ft_mode_t mode);
FT_API ft_status ft_mode_from_name(const char *name, ft_mode_t *out);

typedef enum ft_mode_split {
    FT_SPLIT_NONE = 0,         /* "none": both modes route alike */
    FT_SPLIT_STRICT_FAIL,      /* "strict_fail" */
    FT_SPLIT_HARDENED_FALLBACK /* "hardened_fallback" */
} ft_mode_split_t;

FT_API const char *ft_mode_split_name(ft_mode_split_t split);

/* Allowlist id of the only routing difference hardened mode may show. */
#define FT_ALLOWLIST_COMPOSITE_FALLBACK "dispatch.composite_backend_fallback"

/* Thread-local state of c10, made explicit. A plain struct: initialise it with
 * ft_dispatch_ctx_init (or FT_DISPATCH_CTX_INIT) and change fields freely. */
typedef struct ft_dispatch_ctx {
    ft_mode_t mode;
    bool grad_mode;      /* off: the autograd keys join the exclude set */
    ft_keyset_t include; /* default {BackendSelect, ADInplaceOrView} */
    ft_keyset_t exclude; /* default {AutocastCPU, AutocastXPU, AutocastCUDA} */
} ft_dispatch_ctx_t;

#define FT_DISPATCH_CTX_INIT                                                                                           \
    {                                                                                                                  \
        FT_MODE_STRICT, true, {UINT64_C(0x804000000)}, {                                                               \
            UINT64_C(0x70000000000)                                                                                    \
        }                                                                                                              \
    }

FT_API void ft_dispatch_ctx_init(ft_dispatch_ctx_t *ctx);

/* The keyset a call on these operands dispatches on:
 * ((keyset(lhs) | keyset(rhs)) | include) - exclude, where exclude also holds
 * {AutogradFunctionality, AutogradOther, AutogradNestedTensor} when grad mode is
 * off. `input` (may be NULL) receives keyset(lhs) | keyset(rhs). */
FT_API ft_status ft_dispatch_compute_keyset(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *lhs,
                                            const ft_scalar_t *rhs, ft_keyset_t *input, ft_keyset_t *out);

#define FT_DECISION_MAX_HOPS 64

/* One step of the walk. */
typedef struct ft_hop {
    ft_key_t key;    /* runtime key looked up */
    ft_key_t source; /* entry's source registration (Undefined if none) */
    ft_table_tag_t tag;
    bool fallthrough;
    const char *kernel_name; /* NULL when the entry has no kernel */
} ft_hop_t;

/* Everything a dispatch decided, whether or not it succeeded. Caller-owned; every
 * field is set by each dispatch call (hops beyond hop_count are stale). Strings are
 * static or borrowed from the operator. */
typedef struct ft_decision {
    const char *op;
    ft_mode_t mode;
    bool explicit_keyset;         /* came from ft_dispatch_*_with_keyset / route */
    ft_keyset_t keyset;           /* input keyset (operands' union, or the explicit one) */
    ft_keyset_t effective_keyset; /* what was validated and routed */
    ft_key_t selected_key;        /* first non-fallthrough key of the walk (Undefined if none) */
    ft_key_t backend_key;         /* highestPriorityBackendTypeId(effective keyset) */
    const char *kernel;           /* kernel the walk ended on (NULL if none) */
    bool fallback_used;
    ft_mode_split_t mode_split;
    const char *allowlist_id; /* FT_ALLOWLIST_COMPOSITE_FALLBACK or NULL */
    ft_status status;         /* reason code; FT_OK on success */
    uint64_t unknown_mask;    /* with FT_EUNKNOWN_BITS */
    size_t hop_count;
    ft_hop_t hops[FT_DECISION_MAX_HOPS];
} ft_decision_t;

/* One-line explanation of the decision ("ok: CPU -> cpu::add_scalar" or why it
 * failed). snprintf contract. */
FT_API size_t ft_decision_message(const ft_decision_t *d, char *buf, size_t cap);

/* Dispatches op(lhs, rhs) on the keyset derived from the operands and ctx, runs
 * the kernel the route lands on and writes the result to *out. Returns the
 * decision's status. `decision` may be NULL. Errors: the validation and routing
 * codes of ft_keyset_validate and SPEC §6, FT_EDTYPE_MISMATCH /
 * FT_EDEVICE_MISMATCH when the operands disagree, the kernel's own codes,
 * FT_EINVALID_ARGUMENT for NULL or out-of-range arguments. */
FT_API ft_status ft_dispatch_binary(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const ft_scalar_t *lhs,
                                    const ft_scalar_t *rhs, ft_scalar_t *out, ft_decision_t *decision);

/* Same, on an explicit raw keyset (the packet's dispatch_scalar_binary_with_keyset,
 * c10's redispatch): `keyset` is routed as given — the context's include/exclude
 * sets and grad mode are not applied; only ctx->mode is used. */
FT_API ft_status ft_dispatch_binary_with_keyset(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                                                const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out,
                                                ft_decision_t *decision);

/* Decides the route on an explicit keyset without running anything. Returns the
 * status the call would have up to (not including) kernel errors. */
FT_API ft_status ft_dispatch_route(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                                   ft_decision_t *decision);

FT_END_DECLS

#endif
