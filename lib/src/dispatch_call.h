/* The dispatcher's per-call machinery (SPEC §6): validation, keyset
 * derivation, the hop walk over an operator's compiled steps, the
 * strict/hardened split and running the kernel the walk lands on. Private, and
 * all inline: dispatch.c's entry points (ft_dispatch_binary, ...) and the tape's
 * calls (tape.c) each compile the whole call into themselves, as c10's
 * Dispatcher::call is inline in its header; a call through a function boundary
 * cost the session microbenchmark ~3%.
 *
 * This is the hot path of every call, so everything a step needs (its action,
 * the mask that moves the keyset on, the hop record) was compiled once at
 * registration (ftp_step_compile), and so was, per operator, the set of keys
 * whose step is a fallthrough: like c10's dispatcher, the walk masks those away
 * once and looks up only the keys it stops at (one, on a plain CPU call). The
 * fallthrough hops are rebuilt from that mask only for a caller that passed a
 * decision; a caller that did not gets no decision writes at all.
 *
 * `split` (a constant at each call site): the public entry points expect the
 * first stop to end the walk, at a backend or a composite kernel, and continue
 * any other walk (autograd hops, failures) out of line, so that those routes
 * hold no loop state (a recorded CPU call spilled it to the stack). The tape's
 * calls, mostly autograd routes two stops long, keep the whole walk inline. */
#ifndef FT_DISPATCH_CALL_H
#define FT_DISPATCH_CALL_H

#include <stddef.h>
#include <string.h>

#include "op_internal.h"

enum { MAX_DEPTH = 16 };

#define FBIT FT_KEYSET_FUNCTIONALITY_BIT

#if defined(__GNUC__) || defined(__clang__)
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HOT_INLINE  static inline __attribute__((always_inline))
#define NOINLINE    static __attribute__((noinline, unused))
#else
#define NOINLINE    static inline
#define HOT_INLINE  static inline
#define LIKELY(x)   (x)
#define UNLIKELY(x) (x)
#endif
/* HOT_INLINE: the per-call steps, forced inline so each entry point is one
 * function specialised on whether a decision is recorded. NOINLINE: the
 * out-of-line parts (marked unused: a file that needs none of them is not
 * warned about them). */

/* --- the walk ------------------------------------------------------------- */

/* The keyset one operand contributes under the packet profile: Dense+device,
 * ADInplaceOrView, and AutogradFunctionality+device when it requires grad. */
static inline uint64_t packet_bits(const ft_scalar_t *t) {
    /* Branch-free: requires_grad is a bool (0 or 1), shifted onto its bit. */
    return FBIT(FT_KEY_DENSE) | FBIT(FT_KEY_AD_INPLACE_OR_VIEW) | (UINT64_C(1) << (t->device - 1)) |
           (uint64_t)t->requires_grad << (FT_KEYSET_FUNCTIONALITY_SHIFT + FT_KEY_AUTOGRAD_FUNCTIONALITY);
}

/* Under the c10 profile, per backend component (index = ft_backend_t): the keys
 * torch 1.13 gives every tensor of that backend besides Dense+backend — [0] an
 * ordinary tensor (ADInplaceOrView, the autograd key, the autocast key), [1] an
 * inference tensor (the autocast key only). Autograd: AutogradFunctionality for
 * the backends with their own Autograd<backend> key in c10's
 * getAutogradRelatedKeySetFromBackend, AutogradOther for HIP and VE (whose
 * AutogradHIP / AutogradVE keys exist but are never given to a tensor).
 * Autocast: CPU -> AutocastCPU, XPU -> AutocastXPU, CUDA and XLA -> AutocastCUDA,
 * none otherwise. Probed with torch 1.13 (differential/oracle/gen_c10_fixtures.py). */
#define C10_OWN   (FBIT(FT_KEY_AD_INPLACE_OR_VIEW) | FBIT(FT_KEY_AUTOGRAD_FUNCTIONALITY))
#define C10_OTHER (FBIT(FT_KEY_AD_INPLACE_OR_VIEW) | FBIT(FT_KEY_AUTOGRAD_OTHER))
static const uint64_t c10_extra[FT_BACKEND_COUNT + 1][2] = {
    [FT_BACKEND_CPU] = {C10_OWN | FBIT(FT_KEY_AUTOCAST_CPU), FBIT(FT_KEY_AUTOCAST_CPU)},
    [FT_BACKEND_CUDA] = {C10_OWN | FBIT(FT_KEY_AUTOCAST_CUDA), FBIT(FT_KEY_AUTOCAST_CUDA)},
    [FT_BACKEND_HIP] = {C10_OTHER, 0},
    [FT_BACKEND_XLA] = {C10_OWN | FBIT(FT_KEY_AUTOCAST_CUDA), FBIT(FT_KEY_AUTOCAST_CUDA)},
    [FT_BACKEND_MPS] = {C10_OWN, 0},
    [FT_BACKEND_IPU] = {C10_OWN, 0},
    [FT_BACKEND_XPU] = {C10_OWN | FBIT(FT_KEY_AUTOCAST_XPU), FBIT(FT_KEY_AUTOCAST_XPU)},
    [FT_BACKEND_HPU] = {C10_OWN, 0},
    [FT_BACKEND_VE] = {C10_OTHER, 0},
    [FT_BACKEND_LAZY] = {C10_OWN, 0},
    [FT_BACKEND_META] = {C10_OWN, 0},
    [FT_BACKEND_PRIVATEUSE1] = {C10_OWN, 0},
    [FT_BACKEND_PRIVATEUSE2] = {C10_OWN, 0},
    [FT_BACKEND_PRIVATEUSE3] = {C10_OWN, 0},
};

/* c10: requires_grad plays no part (it changes what the autograd kernel
 * records, never the route); an inference tensor has no autograd keys. */
static inline uint64_t c10_bits(const ft_scalar_t *t) {
    return FBIT(FT_KEY_DENSE) | (UINT64_C(1) << (t->device - 1)) | c10_extra[t->device][t->inference ? 1 : 0];
}

/* The keyset one operand contributes. Operand checked already. */
static inline uint64_t operand_bits(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *t) {
    return ctx->profile == FT_PROFILE_C10 ? c10_bits(t) : packet_bits(t);
}

/* operand_bits(lhs) | operand_bits(rhs), the packet's requires_grad flags
 * joined before their one shift. */
static inline uint64_t operands_bits(const ft_dispatch_ctx_t *ctx, const ft_scalar_t *lhs, const ft_scalar_t *rhs) {
    if (ctx->profile == FT_PROFILE_C10)
        return c10_bits(lhs) | c10_bits(rhs);
    return FBIT(FT_KEY_DENSE) | FBIT(FT_KEY_AD_INPLACE_OR_VIEW) | (UINT64_C(1) << (lhs->device - 1)) |
           (UINT64_C(1) << (rhs->device - 1)) |
           (uint64_t)(lhs->requires_grad | rhs->requires_grad)
               << (FT_KEYSET_FUNCTIONALITY_SHIFT + FT_KEY_AUTOGRAD_FUNCTIONALITY);
}

static inline bool scalar_ok(const ft_scalar_t *t) {
    return t && (unsigned)t->dtype <= FT_DTYPE_F32 && (unsigned)t->device - 1u < FT_BACKEND_COUNT;
}

/* An operand's dtype and device, adjacent 4-byte fields, as one word: two
 * operands agree on both (the usual call) when their words are equal. */
_Static_assert(sizeof(ft_dtype_t) == 4 && sizeof(ft_backend_t) == 4 &&
                   offsetof(ft_scalar_t, device) == offsetof(ft_scalar_t, dtype) + 4,
               "dtype and device are one 8-byte word");
HOT_INLINE uint64_t dtype_device(const ft_scalar_t *t) {
    uint64_t w;
    memcpy(&w, &t->dtype, sizeof w);
    return w;
}

/* scalar_ok(lhs) && scalar_ok(rhs), with the checks of rhs skipped when it has
 * lhs's dtype and device. */
HOT_INLINE bool operands_ok(const ft_scalar_t *lhs, const ft_scalar_t *rhs) {
    return scalar_ok(lhs) && rhs && (LIKELY(dtype_device(lhs) == dtype_device(rhs)) || scalar_ok(rhs));
}

/* packet: grad mode off excludes the autograd keys. c10: grad mode changes no
 * set (torch.no_grad leaves the TLS sets alone); inference mode removes
 * ADInplaceOrView from the include set and adds the autograd keys to the
 * exclude set, as c10::InferenceMode does. */
static inline void context_sets(const ft_dispatch_ctx_t *ctx, uint64_t *include, uint64_t *exclude) {
    *include = ctx->include.repr;
    *exclude = ctx->exclude.repr;
    if (ctx->profile == FT_PROFILE_C10) {
        if (ctx->inference_mode) {
            *include &= ~FBIT(FT_KEY_AD_INPLACE_OR_VIEW);
            *exclude |= FT_KEYSET_AUTOGRAD_MASK;
        }
    } else if (!ctx->grad_mode) {
        *exclude |= FT_KEYSET_AUTOGRAD_MASK;
    }
}

static inline uint64_t context_keyset(const ft_dispatch_ctx_t *ctx, uint64_t input) {
    uint64_t include, exclude;
    context_sets(ctx, &include, &exclude);
    return (input | include) & (FT_KEYSET_BACKEND_MASK | ~exclude); /* c10's a - b */
}

/* Where a walk ended: the step, the keyset it was reached with, and the first
 * autograd wrapper passed on the way (the tape's node and derivative). */
typedef struct {
    const ftp_step_t *step;
    uint64_t keyset;
    const ft_registration_t *autograd;
} landing_t;

/* Index of the highest bit set in x (x != 0). */
HOT_INLINE unsigned high_bit(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return 63u ^ (unsigned)__builtin_clzll(x);
#else
    return ft__keyset_top_bit(x) - 1u;
#endif
}

/* The runtime key a walk looks up next; `| 1` keeps clz defined and maps a
 * keyset with no functionality bit to Undefined. */
static inline ft_key_t next_key(uint64_t ks, unsigned top_backend) {
    return (ft_key_t)ftp_key_at_bit[top_backend][high_bit(ks | 1u)];
}

/* Recording a decision is mostly stores, so pairs of adjacent 4-byte fields
 * (the second may be a bool, padded to 4 bytes) are written as one 8-byte word
 * where the layout is known: little-endian, with the offsets asserted below.
 * Elsewhere each field is stored on its own. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PAIR_STORES 1
_Static_assert(sizeof(ft_mode_t) == 4 && sizeof(ft_key_t) == 4 && sizeof(ft_mode_split_t) == 4, "4-byte enums");
_Static_assert(offsetof(ft_decision_t, explicit_keyset) == offsetof(ft_decision_t, mode) + 4, "mode pair");
_Static_assert(offsetof(ft_decision_t, keyset) == offsetof(ft_decision_t, mode) + 8, "mode pair padding");
_Static_assert(offsetof(ft_decision_t, backend_key) == offsetof(ft_decision_t, selected_key) + 4, "key pair");
_Static_assert(offsetof(ft_decision_t, mode_split) == offsetof(ft_decision_t, fallback_used) + 4, "split pair");
_Static_assert(offsetof(ft_decision_t, mode) % 8 == 0 && offsetof(ft_decision_t, selected_key) % 8 == 0 &&
                   offsetof(ft_decision_t, fallback_used) % 8 == 0,
               "aligned pairs");

/* Stores lo at `dst` and hi 4 bytes after it, as one word. */
HOT_INLINE void store_pair(void *dst, uint32_t lo, uint32_t hi) {
    const uint64_t w = (uint64_t)lo | (uint64_t)hi << 32;
    memcpy(dst, &w, sizeof w);
}
#else
#define PAIR_STORES 0
#endif

/* Dense's runtime key for the highest backend (CPU for CPU). */
static inline ft_key_t dense_key(unsigned top_backend) {
    return (ft_key_t)(ft__keyset_placeholder(FT_KEY_DENSE) + top_backend);
}

/* c10's highestPriorityBackendTypeId: Dense/Quantized/Sparse and backend bits
 * only. A dense call (nearly all) needs no bit scan. */
static inline ft_key_t backend_key(uint64_t effective, unsigned top_backend) {
    const uint64_t backend_functionality = effective & FT_KEYSET_BACKEND_FUNCTIONALITY_MASK;
    return LIKELY(backend_functionality == FBIT(FT_KEY_DENSE)) ? dense_key(top_backend)
                                                               : next_key(backend_functionality, top_backend);
}

/* The fields of a decision that do not depend on the walk. */
static inline void begin(ft_decision_t *d, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, uint64_t input,
                         uint64_t effective, bool explicit_keyset, ft_key_t backend) {
    d->op = op->name;
#if PAIR_STORES
    store_pair(&d->mode, (uint32_t)ctx->mode, explicit_keyset);
#else
    d->mode = ctx->mode;
    d->explicit_keyset = explicit_keyset;
#endif
    d->keyset.repr = input;
    d->effective_keyset.repr = effective;
    d->unknown_mask = effective & FT_KEYSET_UNKNOWN_MASK;
    d->backend_key = backend;
}

/* The walk's fields of a decision for a call that never walked. */
static inline void no_route(ft_decision_t *d) {
    d->selected_key = FT_KEY_UNDEFINED;
    d->kernel = NULL;
    d->fallback_used = false;
    d->mode_split = FT_SPLIT_NONE;
    d->allowlist_id = NULL;
    d->hop_count = 0;
}

/* Records the fallthrough hops the walk passed, highest key first, each at the
 * key the walk would have looked up there (ftp_key_at_bit). */
HOT_INLINE size_t record_fallthroughs(const ft_op_t *op, uint64_t passed, unsigned top_backend, ft_hop_t *hops,
                                      size_t n) {
    /* The run nearly every call passes before its backend stop: the default
     * include set's ADInplaceOrView and BackendSelect, both fallthroughs for
     * most operators. Neither is per-backend, so their hops lie at fixed steps:
     * two straight copies instead of the loop. */
    if (LIKELY(passed == (FBIT(FT_KEY_AD_INPLACE_OR_VIEW) | FBIT(FT_KEY_BACKEND_SELECT)))) {
        _Static_assert(FT_KEY_AD_INPLACE_OR_VIEW > FT_KEY_BACKEND_SELECT, "highest key first");
        hops[n] = op->steps[FT_KEY_AD_INPLACE_OR_VIEW].hop;
        hops[n + 1] = op->steps[FT_KEY_BACKEND_SELECT].hop;
        return n + 2;
    }
    const uint8_t *const key_at_bit = ftp_key_at_bit[top_backend];
    while (passed) {
        const unsigned bit = high_bit(passed);
        hops[n++] = op->steps[key_at_bit[bit]].hop;
        passed &= ~(UINT64_C(1) << bit);
    }
    return n;
}

/* The narrow fields of ft_hop_t hold every key id and tag. */
_Static_assert(FT_KEY_ID_COUNT - 1 <= UINT16_MAX, "ft_hop_t.key/source hold every key id");
_Static_assert(FT_TAG_BACKEND_FALLBACK <= UINT8_MAX, "ft_hop_t.tag holds every tag");

/* The walk's route fields of a decision, stored at each exit of the walk so
 * that the constant ones are immediate stores. */
HOT_INLINE void end_route(ft_decision_t *d, const char *kernel, bool fallback_used, ft_mode_split_t mode_split,
                          const char *allowlist_id, size_t n) {
#if PAIR_STORES
    store_pair(&d->fallback_used, fallback_used, (uint32_t)mode_split);
#else
    d->fallback_used = fallback_used;
    d->mode_split = mode_split;
#endif
    d->kernel = kernel;
    d->allowlist_id = allowlist_id;
    d->hop_count = n;
}

/* Every key the walk visits has its own functionality bit, but for the final
 * Undefined, so a route has at most 41 hops: the decision always has room. */
_Static_assert(FT_DECISION_MAX_HOPS > 41, "a decision holds every hop of a walk");

/* Arrives at stop `s` (bit `top`): passes the fallthroughs of `live` above it
 * and, when recording, records them and the stop. Returns the hop count. */
HOT_INLINE size_t arrive(const ft_op_t *op, const ftp_step_t *s, unsigned top, unsigned top_backend, uint64_t *live,
                         ft_decision_t *d, bool record, size_t n) {
    /* Every bit of `live` above the stop is a fallthrough not yet passed (a
     * higher stop would have been taken first). top <= 54: validated. */
    const uint64_t passed = *live & (~UINT64_C(0) << top);
    *live ^= passed;
    if (record) {
        n = record_fallthroughs(op, passed, top_backend, d->hops, n);
        d->hops[n++] = s->hop;
    }
    return n;
}

/* Ends the walk at a backend kernel. */
HOT_INLINE ft_status land_run(const ftp_step_t *s, uint64_t live, ft_decision_t *d, bool record, size_t n,
                              landing_t *land) {
    if (record)
        end_route(d, s->hop.kernel_name, false, FT_SPLIT_NONE, NULL, n);
    land->step = s;
    land->keyset = live;
    return FT_OK;
}

/* Ends the walk at a composite kernel: strict mode refuses it, hardened runs it
 * and says so. */
HOT_INLINE ft_status land_composite(const ftp_step_t *s, uint64_t live, ft_mode_t mode, ft_decision_t *d, bool record,
                                    size_t n, landing_t *land) {
    if (mode == FT_MODE_STRICT) {
        if (record)
            end_route(d, s->hop.kernel_name, false, FT_SPLIT_STRICT_FAIL, NULL, n);
        return FT_ECOMPOSITE_REJECTED;
    }
    if (record)
        end_route(d, s->hop.kernel_name, true, FT_SPLIT_HARDENED_FALLBACK, FT_ALLOWLIST_COMPOSITE_FALLBACK, n);
    land->step = s;
    land->keyset = live;
    return FT_OK;
}

/* The walk after a first stop `s` that does not run a kernel: autograd hops,
 * then a kernel, a composite or a failure. n is the hop count so far. Inline in
 * the tape's copies, out of line (walk_on_recording, walk_on_lean) in the
 * others. */
HOT_INLINE ft_status walk_on(const ft_op_t *op, ft_mode_t mode, unsigned top_backend, const ftp_step_t *s,
                             uint64_t live, ft_decision_t *d, bool record, size_t n, landing_t *land) {
    const uint64_t fallthrough = op->fallthrough_bits[top_backend];
    const uint8_t *const key_at_bit = ftp_key_at_bit[top_backend];
    while (s->kind == FTP_STEP_AUTOGRAD) {
        if (!land->autograd)
            land->autograd = s->registration;
        live &= s->keep;
        const unsigned bit = high_bit((live & ~fallthrough) | 1u);
        s = &op->steps[key_at_bit[bit]];
        n = arrive(op, s, bit + 1, top_backend, &live, d, record, n);
    }
    switch (s->kind) {
    case FTP_STEP_RUN:
        return land_run(s, live, d, record, n, land);
    case FTP_STEP_COMPOSITE:
        return land_composite(s, live, mode, d, record, n, land);
    default: /* FTP_STEP_FAIL; a fallthrough is never a stop */
        if (record)
            end_route(d, NULL, false, FT_SPLIT_NONE, NULL, n);
        return s->kind == FTP_STEP_FAIL ? (ft_status)s->status : FT_ENO_KERNEL;
    }
}

/* walk_on's out-of-line copies, `record` a constant in each. */
NOINLINE ft_status walk_on_recording(const ft_op_t *op, ft_mode_t mode, unsigned top_backend, const ftp_step_t *s,
                                     uint64_t live, ft_decision_t *d, size_t n, landing_t *land) {
    return walk_on(op, mode, top_backend, s, live, d, true, n, land);
}

NOINLINE ft_status walk_on_lean(const ft_op_t *op, ft_mode_t mode, unsigned top_backend, const ftp_step_t *s,
                                uint64_t live, landing_t *land) {
    return walk_on(op, mode, top_backend, s, live, NULL, false, 0, land);
}

/* The walk of SPEC §6 over the keys that are not fallthroughs for this
 * operator: it stops at the highest key of `live` less the operator's
 * fallthrough bits, `live` being the keyset the full walk would have at the
 * same point (fallthroughs cleared only once passed), which is what the landing
 * kernel receives. So the keys visited, in order, are the full walk's minus its
 * fallthrough hops — and those are exactly the fallthrough bits of `live` above
 * each visited key, recorded (record, a constant at each call site) before it.
 * Without `record` the walk writes nothing into `d`. `split` (a constant too):
 * the walk after the first stop is out of line. */
HOT_INLINE ft_status walk(const ft_op_t *op, const ft_dispatch_ctx_t *ctx, uint64_t ks, unsigned top_backend,
                          ft_decision_t *d, bool record, bool split, landing_t *land) {
    /* The keys left to stop at are always `live` less the fallthroughs: the
     * passed fallthroughs are fallthrough bits, and the autograd masks apply to
     * both alike. So only `live` is carried. */
    uint64_t live = ks;
    const unsigned bit = high_bit((ks & ~op->fallthrough_bits[top_backend]) | 1u);
    const ft_key_t selected = (ft_key_t)ftp_key_at_bit[top_backend][bit]; /* the first key that is not a fallthrough */
    const ftp_step_t *s = &op->steps[selected];
    if (record)
        d->selected_key = selected;
    const size_t n = arrive(op, s, bit + 1, top_backend, &live, d, record, 0);
    if (LIKELY(s->kind == FTP_STEP_RUN))
        return land_run(s, live, d, record, n, land);
    if (split && s->kind == FTP_STEP_COMPOSITE)
        return land_composite(s, live, ctx->mode, d, record, n, land);
    if (!split)
        return walk_on(op, ctx->mode, top_backend, s, live, d, record, n, land);
    /* Its own landing, so that `land` is not address-taken on the usual route
     * (it stays in registers there). */
    landing_t on = {NULL, 0, NULL};
    const ft_status st = record ? walk_on_recording(op, ctx->mode, top_backend, s, live, d, n, &on)
                                : walk_on_lean(op, ctx->mode, top_backend, s, live, &on);
    *land = on;
    return st;
}

/* A decision for a call that failed before routing: every field neutral, so
 * nothing stale from an earlier call survives. No decision, no writes. */
static inline ft_status early_failure(ft_decision_t *d, const ft_dispatch_ctx_t *ctx, const ft_op_t *op,
                                      bool explicit_keyset, uint64_t keyset, ft_status st) {
    if (!d)
        return st;
    d->op = op ? op->name : "";
    d->mode = ctx && ft_mode_name(ctx->mode) ? ctx->mode : FT_MODE_STRICT;
    d->explicit_keyset = explicit_keyset;
    d->keyset.repr = keyset;
    d->effective_keyset.repr = keyset;
    d->backend_key = FT_KEY_UNDEFINED;
    d->unknown_mask = 0;
    no_route(d);
    return d->status = st;
}

/* Strict unless exactly hardened would fail open on a corrupt mode: reject it. */
static inline bool ctx_ok(const ft_dispatch_ctx_t *ctx) {
    return ctx && (ctx->mode == FT_MODE_STRICT || ctx->mode == FT_MODE_HARDENED) &&
           (ctx->profile == FT_PROFILE_PACKET || ctx->profile == FT_PROFILE_C10);
}

/* ftp_keyset_validate for a keyset made from operands (one backend bit at
 * least, as scalar_ok guarantees): with Dense and no unknown bit it has a
 * functionality, a backend for its per-backend keys and a backend key beside
 * any autograd key, so one test passes nearly every call; the rest take the
 * full check. */
HOT_INLINE ft_status validate(uint64_t effective, bool explicit_keyset) {
    if (!explicit_keyset && LIKELY((effective & (FT_KEYSET_UNKNOWN_MASK | FBIT(FT_KEY_DENSE))) == FBIT(FT_KEY_DENSE)))
        return FT_OK;
    return ftp_keyset_validate(effective);
}

/* Validates and walks. `record` (d != NULL) is a constant at each call site, so
 * the compiler builds a recording and a lean copy; the lean one writes no
 * decision. The caller stores the status. */
HOT_INLINE ft_status decide(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, uint64_t input, uint64_t effective,
                            bool explicit_keyset, ft_decision_t *d, bool record, bool split, landing_t *land) {
    /* ft__keyset_top_bit of the backend bits (0 for none) without its zero
     * test: the backend bits are the lowest 14, so shifting them up one and
     * setting bit 0 gives the same index branch-free. */
    _Static_assert(FT_KEYSET_BACKEND_MASK >> (FT_BACKEND_COUNT - 1) == 1, "backend bits are the lowest");
    const unsigned top_backend = high_bit((effective & FT_KEYSET_BACKEND_MASK) << 1 | 1u);
    if (!record) {
        const ft_status st = validate(effective, explicit_keyset);
        return LIKELY(st == FT_OK) ? walk(op, ctx, effective, top_backend, NULL, false, split, land) : st;
    }
    /* The usual derived keyset: valid (see validate) and dense, so its backend
     * key is Dense's for the highest backend; one test for both. */
    if (LIKELY(!explicit_keyset &&
               (effective & (FT_KEYSET_UNKNOWN_MASK | FT_KEYSET_BACKEND_FUNCTIONALITY_MASK)) == FBIT(FT_KEY_DENSE))) {
        begin(d, ctx, op, input, effective, explicit_keyset, dense_key(top_backend));
        return walk(op, ctx, effective, top_backend, d, true, split, land);
    }
    begin(d, ctx, op, input, effective, explicit_keyset, backend_key(effective, top_backend));
    const ft_status st = validate(effective, explicit_keyset);
    if (UNLIKELY(st != FT_OK)) {
        no_route(d);
        return st;
    }
    return walk(op, ctx, effective, top_backend, d, true, split, land);
}

/* Runs the landing kernel. When the route passed an autograd wrapper, that
 * wrapper owns the op's node: the kernel runs below autograd (the calls it makes
 * record nothing, as under torch's AutoDispatchBelowAutograd) and the result
 * requires grad exactly when an operand does. Without a wrapper — a composite
 * implicit kernel, or an op whose autograd key falls through — the result is
 * whatever the calls the kernel made produced (requires_grad and tape_var). */
HOT_INLINE ft_status execute(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const landing_t *land, bool wrapped,
                             unsigned depth, ft_tape_t *tape, const ft_scalar_t *lhs, const ft_scalar_t *rhs,
                             ft_scalar_t *out) {
    if (UNLIKELY(dtype_device(lhs) != dtype_device(rhs)))
        return lhs->dtype != rhs->dtype ? FT_EDTYPE_MISMATCH : FT_EDEVICE_MISMATCH;
    const ft_registration_t *reg = land->step->registration;
    const ft_kernel_call_t call = {ctx, op, reg, ft_keyset_from_raw(land->keyset), depth, wrapped ? NULL : tape};
    ft_scalar_t result = *lhs;
    result.requires_grad = false;
    result.tape_var = 0;
    const ft_status st = reg->fn(&call, lhs, rhs, &result);
    if (UNLIKELY(st != FT_OK))
        return st;
    out->value = result.value;
    out->dtype = lhs->dtype;
    out->device = lhs->device;
    out->requires_grad = wrapped ? lhs->requires_grad || rhs->requires_grad : result.requires_grad;
    out->tape_var = wrapped ? 0 : result.tape_var;
    return FT_OK;
}

/* What the profile makes of a result. packet: nothing (grad mode off already
 * kept the route off autograd). c10: the autograd hop ran whatever the modes,
 * but with grad mode off or in inference mode it records nothing, so the result
 * does not require grad; a result made in inference mode is an inference
 * tensor. */
static inline void profile_result(const ft_dispatch_ctx_t *ctx, ft_scalar_t *out) {
    out->inference = false;
    if (ctx->profile != FT_PROFILE_C10)
        return;
    out->inference = ctx->inference_mode;
    if (!ft_dispatch_records_grad(ctx))
        out->requires_grad = false;
}

/* The whole call, specialised on `record` (d != NULL) and `split` (see walk). */
HOT_INLINE ft_status dispatch_as(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset, uint64_t keyset,
                                 const ft_scalar_t *lhs, const ft_scalar_t *rhs, ft_scalar_t *out, ft_decision_t *d,
                                 bool record, bool split, unsigned depth, ft_tape_t *tape,
                                 const ft_registration_t **autograd) {
    if (UNLIKELY(!ctx_ok(ctx) || !op || !out || !operands_ok(lhs, rhs)))
        return early_failure(d, ctx, op, explicit_keyset, keyset, FT_EINVALID_ARGUMENT);
    if (UNLIKELY(depth > MAX_DEPTH))
        return early_failure(d, ctx, op, explicit_keyset, keyset, FT_EDISPATCH_DEPTH);
    uint64_t input = keyset, effective = keyset;
    if (!explicit_keyset) {
        input = operands_bits(ctx, lhs, rhs);
        effective = context_keyset(ctx, input);
    }
    landing_t land = {NULL, 0, NULL};
    ft_status st = decide(ctx, op, input, effective, explicit_keyset, d, record, split, &land);
    if (UNLIKELY(st != FT_OK)) {
        if (record)
            d->status = st;
        return st;
    }
    if (autograd)
        *autograd = land.autograd;
    /* `wrapped` a constant in each copy: the plain route then holds no flag
     * across the kernel call. */
    st = LIKELY(!land.autograd) ? execute(ctx, op, &land, false, depth, tape, lhs, rhs, out)
                                : execute(ctx, op, &land, true, depth, tape, lhs, rhs, out);
    if (LIKELY(st == FT_OK))
        profile_result(ctx, out);
    if (record)
        d->status = st;
    return st;
}

/* The whole call; each caller inlines both copies of it (with and without a
 * decision). `autograd` (may be NULL) receives the registration of the first
 * autograd hop of the route (NULL if none): the tape records a node with its
 * derivative. `tape` is handed to composite kernels so the calls they make
 * record themselves. */
HOT_INLINE ft_status ftp_dispatch_inline(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, bool explicit_keyset,
                                         uint64_t keyset, const ft_scalar_t *lhs, const ft_scalar_t *rhs,
                                         ft_scalar_t *out, ft_decision_t *d, bool split, unsigned depth,
                                         ft_tape_t *tape, const ft_registration_t **autograd) {
    return d ? dispatch_as(ctx, op, explicit_keyset, keyset, lhs, rhs, out, d, true, split, depth, tape, autograd)
             : dispatch_as(ctx, op, explicit_keyset, keyset, lhs, rhs, out, NULL, false, split, depth, tape, autograd);
}

#endif
