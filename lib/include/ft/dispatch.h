/* libft — routing a call through an operator's computed table (SPEC §5, §6).
 *
 * The keyset a call routes on is derived from its operands and the context by
 * one of two profiles (ft_profile_t below): the packet's (default) or torch
 * 1.13's own (c10).
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

/* How a call's keyset is derived from its operands and the context. Routing
 * (the walk over the computed table) is the same under both.
 *
 * FT_PROFILE_PACKET (the default, SPEC §5): an operand contributes Dense+backend
 * and ADInplaceOrView, plus AutogradFunctionality(+backend) only when it
 * requires grad; grad mode off adds {AutogradFunctionality, AutogradOther,
 * AutogradNestedTensor} to the exclude set. So requires_grad and grad mode pick
 * the route. This is the packet's contract, NOT what torch does; the drift is
 * allowlisted as "dispatch.profile_packet_derivation" (differential/allowlist.json).
 * inference_mode and ft_scalar_t.inference are ignored.
 *
 * FT_PROFILE_C10: torch 1.13's derivation, probed (differential/oracle/
 * gen_c10_fixtures.py, fixtures/c10_routes.jsonl). An ordinary tensor contributes
 * Dense+backend, ADInplaceOrView, its backend's autograd key and its backend's
 * autocast key, whether or not it requires grad:
 *   backend         autograd key                    autocast key
 *   CPU             AutogradCPU                     AutocastCPU
 *   CUDA            AutogradCUDA                    AutocastCUDA
 *   XLA             AutogradXLA                     AutocastCUDA
 *   XPU             AutogradXPU                     AutocastXPU
 *   HIP, VE         AutogradOther                   none
 *   MPS, IPU, HPU, Lazy, Meta, PrivateUse1..3
 *                   Autograd<backend>               none
 * An inference tensor (ft_scalar_t.inference: made in inference mode) contributes
 * only Dense+backend and the autocast key. Grad mode changes no set: with it off
 * (torch.no_grad) the autograd hop still runs but records nothing and the result
 * does not require grad. Inference mode (torch.inference_mode) removes
 * ADInplaceOrView from the include set and adds {AutogradFunctionality,
 * AutogradOther, AutogradNestedTensor} to the exclude set; it records nothing
 * whatever grad_mode says, and every result made in it is an inference tensor.
 * The autocast keys reach a route only if taken out of the exclude set (the
 * default exclude set holds all three, as torch's does outside autocast). Not
 * modelled: torch refuses to save an inference tensor for backward ("Inference
 * tensors cannot be saved for backward", e.g. mul with an inference operand and
 * an operand that requires grad); libft records the node. */
typedef enum ft_profile { FT_PROFILE_PACKET = 0, FT_PROFILE_C10 = 1 } ft_profile_t;

/* "packet" / "c10"; NULL for an unknown value. */
FT_API const char *ft_profile_name(ft_profile_t profile);
FT_API ft_status ft_profile_from_name(const char *name, ft_profile_t *out);

/* Thread-local state of c10, made explicit. A plain struct: initialise it with
 * ft_dispatch_ctx_init (or FT_DISPATCH_CTX_INIT) and change fields freely. An
 * initializer that lists only the first four fields gets the packet profile
 * outside inference mode. */
typedef struct ft_dispatch_ctx {
    ft_mode_t mode;
    bool grad_mode;       /* torch.is_grad_enabled(); see ft_profile_t for its effect */
    ft_keyset_t include;  /* default {BackendSelect, ADInplaceOrView} */
    ft_keyset_t exclude;  /* default {AutocastCPU, AutocastXPU, AutocastCUDA} */
    ft_profile_t profile; /* default FT_PROFILE_PACKET */
    bool inference_mode;  /* torch.inference_mode(); c10 profile only; default false */
} ft_dispatch_ctx_t;

#define FT_DISPATCH_CTX_INIT                                                                                           \
    { FT_MODE_STRICT, true, {UINT64_C(0x804000000)}, {UINT64_C(0x70000000000)}, FT_PROFILE_PACKET, false }

FT_API void ft_dispatch_ctx_init(ft_dispatch_ctx_t *ctx);

/* The keyset a call on these operands dispatches on:
 * ((keyset(lhs) | keyset(rhs)) | include') - exclude', with each operand's keyset
 * and include'/exclude' derived from the context's sets by ctx->profile (see
 * ft_profile_t). `input` (may be NULL) receives keyset(lhs) | keyset(rhs).
 * FT_EINVALID_ARGUMENT for NULL or out-of-range arguments (profile included). */
FT_API ft_status ft_dispatch_compute_keyset(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *lhs,
                                            const ft_scalar_t *rhs, ft_keyset_t *input, ft_keyset_t *out);

/* One operand's own keyset under ctx->profile (torch's _dispatch_keys(t) for the
 * c10 profile; ft_scalar_keyset's for the packet one). */
FT_API ft_status ft_dispatch_operand_keyset(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *t, ft_keyset_t *out);

/* The include and exclude sets a derived call is computed with: ctx's own, as
 * the profile adjusts them for grad mode and inference mode (c10: exactly
 * torch's TLS local include/exclude sets under the same modes). */
FT_API ft_status ft_dispatch_context_sets(const ft_dispatch_ctx_t *ctx, ft_keyset_t *include, ft_keyset_t *exclude);

/* Whether an autograd hop under this context records a node (the tape's node,
 * requires_grad on the result): grad mode on and, under the c10 profile, not in
 * inference mode. False for NULL. */
FT_API bool ft_dispatch_records_grad(const ft_dispatch_ctx_t *ctx);

#define FT_DECISION_MAX_HOPS 64

/* One step of the walk. The key, source and tag hold ft_key_t / ft_table_tag_t
 * values in narrow fields so that a hop is 16 bytes on 64-bit targets: recording
 * a route copies a few of them per call. */
typedef struct ft_hop {
    uint16_t key;    /* ft_key_t: runtime key looked up */
    uint16_t source; /* ft_key_t: entry's source registration (Undefined if none) */
    uint8_t tag;     /* ft_table_tag_t */
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
 * sets, grad mode and inference mode are not applied to it. Under the c10
 * profile the result still follows ft_dispatch_records_grad and inference mode
 * (see ft_profile_t), as a redispatched call's result does in torch. */
FT_API ft_status ft_dispatch_binary_with_keyset(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                                                const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out,
                                                ft_decision_t *decision);

/* Decides the route on an explicit keyset without running anything. Returns the
 * status the call would have up to (not including) kernel errors. */
FT_API ft_status ft_dispatch_route(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, ft_keyset_t keyset,
                                   ft_decision_t *decision);

FT_END_DECLS

#endif
