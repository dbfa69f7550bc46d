/* libft — dispatch keysets: c10::DispatchKeySet of PyTorch 1.13, bit for bit.
 *
 * Layout of the 64-bit word:
 *
 *   63 ........ 54 | 53 ................ 14 | 13 ........ 0
 *   unknown bits   | functionality key k at  | backend component
 *   (always fail   | bit 13+k (Dense = 14,   | v at bit v-1
 *   closed)        | PythonDispatcher = 53)  | (CPU = 0)
 *
 * A runtime per-backend key sets its functionality bit and its backend bit
 * (CPU = 0x4001, AutogradCPU = 0x2000000001). The small algebra below is inline
 * because dispatch runs it on every call.
 *
 * Thread-safety: a keyset is a plain value; every function is pure (parsers and
 * formatters write only the caller's buffers). Call them from any thread. */
#ifndef FT_KEYSET_H
#define FT_KEYSET_H

#include "ft/common.h"
#include "ft/key.h"
#include "ft/status.h"

FT_BEGIN_DECLS

typedef struct ft_keyset {
    uint64_t repr;
} ft_keyset_t;

#define FT_KEYSET_BACKEND_MASK        UINT64_C(0x3fff)
#define FT_KEYSET_FUNCTIONALITY_MASK  UINT64_C(0x003fffffffffc000)
#define FT_KEYSET_KNOWN_MASK          UINT64_C(0x003fffffffffffff)
#define FT_KEYSET_UNKNOWN_MASK        (~FT_KEYSET_KNOWN_MASK)
#define FT_KEYSET_FUNCTIONALITY_SHIFT 13 /* key k -> bit 13+k */

/* The bit of functionality key k (1..40). */
#define FT_KEYSET_FUNCTIONALITY_BIT(k) (UINT64_C(1) << (FT_KEYSET_FUNCTIONALITY_SHIFT + (unsigned)(k)))

/* Dense, Quantized, Sparse, NestedTensor and AutogradFunctionality. */
#define FT_KEYSET_PER_BACKEND_MASK                                                                                     \
    (FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_DENSE) | FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_QUANTIZED) |                       \
     FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_SPARSE) | FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_NESTED_TENSOR) |                  \
     FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY))

/* c10's autograd_dispatch_keyset: AutogradFunctionality, AutogradOther,
 * AutogradNestedTensor. */
#define FT_KEYSET_AUTOGRAD_MASK                                                                                        \
    (FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) | FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_OTHER) | \
     FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_NESTED_TENSOR))

/* The functionality bits of c10's backend_functionality_keys (Dense,
 * Quantized, Sparse); with every backend bit it is highestPriorityBackendTypeId's mask. */
#define FT_KEYSET_BACKEND_FUNCTIONALITY_MASK                                                                           \
    (FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_DENSE) | FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_QUANTIZED) |                       \
     FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_SPARSE))

static inline ft_keyset_t ft_keyset_from_raw(uint64_t repr) {
    ft_keyset_t ks = {repr};
    return ks;
}

/* c10's DispatchKeySet(BackendComponent): bit v-1, empty for FT_BACKEND_INVALID or
 * an out-of-range value. */
static inline ft_keyset_t ft_keyset_from_backend(ft_backend_t b) {
    unsigned v = (unsigned)b;
    return ft_keyset_from_raw(v >= 1 && v <= 14 ? UINT64_C(1) << (v - 1) : 0);
}

/* c10's DispatchKeySet(DispatchKey). Undefined and alias keys give the empty set.
 * Faithful to c10, id 41 (the end-of-functionality marker) maps to bit 54, an
 * unknown bit, which validation then rejects. Ids past 121 give the empty set. */
static inline ft_keyset_t ft_keyset_from_key(ft_key_t key) {
    static const uint8_t per_backend_functionality[5] = {1, 6, 9, 12, 24};
    unsigned k = (unsigned)key;
    if (k == 0 || k > 116)
        return ft_keyset_from_raw(0);
    if (k <= 41)
        return ft_keyset_from_raw(UINT64_C(1) << (FT_KEYSET_FUNCTIONALITY_SHIFT + k));
    unsigned block = (k - 42) / 15, backend = (k - 42) % 15;
    uint64_t bits = UINT64_C(1) << (FT_KEYSET_FUNCTIONALITY_SHIFT + per_backend_functionality[block]);
    if (backend != 0)
        bits |= UINT64_C(1) << (backend - 1);
    return ft_keyset_from_raw(bits);
}

static inline ft_keyset_t ft_keyset_or(ft_keyset_t a, ft_keyset_t b) {
    return ft_keyset_from_raw(a.repr | b.repr);
}
static inline ft_keyset_t ft_keyset_and(ft_keyset_t a, ft_keyset_t b) {
    return ft_keyset_from_raw(a.repr & b.repr);
}
static inline ft_keyset_t ft_keyset_xor(ft_keyset_t a, ft_keyset_t b) {
    return ft_keyset_from_raw(a.repr ^ b.repr);
}
/* c10's operator-: removes b's functionality bits only; backend bits of a stay,
 * because they may still be shared by another per-backend functionality. */
static inline ft_keyset_t ft_keyset_sub(ft_keyset_t a, ft_keyset_t b) {
    return ft_keyset_from_raw(a.repr & (FT_KEYSET_BACKEND_MASK | ~b.repr));
}
static inline ft_keyset_t ft_keyset_add(ft_keyset_t ks, ft_key_t key) {
    return ft_keyset_or(ks, ft_keyset_from_key(key));
}
/* c10's remove(key): clears the key's functionality bit, never backend bits. */
static inline ft_keyset_t ft_keyset_remove(ft_keyset_t ks, ft_key_t key) {
    return ft_keyset_from_raw(ks.repr & ~(ft_keyset_from_key(key).repr & ~FT_KEYSET_BACKEND_MASK));
}
static inline bool ft_keyset_has_all(ft_keyset_t ks, ft_keyset_t sub) {
    return (ks.repr & sub.repr) == sub.repr;
}
static inline bool ft_keyset_has_any(ft_keyset_t ks, ft_keyset_t other) {
    return (ks.repr & other.repr) != 0;
}
/* c10's has(key): every bit of the key's keyset is present (true for Undefined and
 * alias keys, whose keyset is empty — torch asserts on those instead). */
static inline bool ft_keyset_has(ft_keyset_t ks, ft_key_t key) {
    return ft_keyset_has_all(ks, ft_keyset_from_key(key));
}
static inline bool ft_keyset_is_empty(ft_keyset_t ks) {
    return ks.repr == 0;
}
static inline bool ft_keyset_equal(ft_keyset_t a, ft_keyset_t b) {
    return a.repr == b.repr;
}

/* 1-based index of the highest set bit, 0 for an empty word (c10's indexOfHighestBit). */
static inline unsigned ft__keyset_top_bit(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
#else
    unsigned n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
#endif
}

/* Highest functionality key present (Undefined if none). Like c10 it looks at the
 * whole word, so a set with unknown bits answers an id above 40: validate first. */
static inline ft_key_t ft_keyset_highest_functionality(ft_keyset_t ks) {
    unsigned top = ft__keyset_top_bit(ks.repr);
    return top <= FT_BACKEND_COUNT ? FT_KEY_UNDEFINED : (ft_key_t)(top - FT_BACKEND_COUNT);
}

/* Highest backend component present (FT_BACKEND_INVALID if none). */
static inline ft_backend_t ft_keyset_highest_backend(ft_keyset_t ks) {
    return (ft_backend_t)ft__keyset_top_bit(ks.repr & FT_KEYSET_BACKEND_MASK);
}

/* Placeholder id of functionality f when f is per-backend (Dense -> 42 "Unknown",
 * ..., AutogradFunctionality -> 102), 0 otherwise. */
static inline unsigned ft__keyset_placeholder(unsigned f) {
    static const uint8_t placeholder[64] = {0, 42, 0,   0, 0, 0, 57, 0, 0, 72, 0, 0, 87, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0,  102, 0, 0, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0,  0,   0, 0, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0, 0, 0, 0, 0, 0};
    return placeholder[f & 63u];
}

/* c10's highestPriorityTypeId: the highest functionality; a per-backend one becomes
 * the runtime key of the highest backend (its placeholder when there is none).
 * Inline: the dispatcher needs it once per hop. */
static inline ft_key_t ft_keyset_highest_priority_type_id(ft_keyset_t ks) {
    const unsigned top = ft__keyset_top_bit(ks.repr);
    if (top <= FT_BACKEND_COUNT)
        return FT_KEY_UNDEFINED;
    const unsigned f = top - FT_BACKEND_COUNT, p = ft__keyset_placeholder(f);
    return (ft_key_t)(p ? p + ft__keyset_top_bit(ks.repr & FT_KEYSET_BACKEND_MASK) : f);
}

/* c10's highestPriorityBackendTypeId: the same on
 * ks & ({Dense, Quantized, Sparse} | all backend bits). */
static inline ft_key_t ft_keyset_highest_priority_backend_type_id(ft_keyset_t ks) {
    return ft_keyset_highest_priority_type_id(
        ft_keyset_from_raw(ks.repr & (FT_KEYSET_BACKEND_FUNCTIONALITY_MASK | FT_KEYSET_BACKEND_MASK)));
}

/* c10's DispatchKeySet(FULL_AFTER, key): every bit below the key's functionality
 * bit, plus PythonDispatcher (a 1.13 quirk kept on purpose). For Undefined and
 * alias keys (functionality Undefined) that is bits 0..12 plus PythonDispatcher. */
FT_API ft_keyset_t ft_keyset_full_after(ft_key_t key);

/* c10's DispatchKeySet(FULL): every known bit. */
static inline ft_keyset_t ft_keyset_full(void) {
    return ft_keyset_from_raw(FT_KEYSET_KNOWN_MASK);
}

/* c10's after_autograd_keyset = FULL_AFTER(AutogradOther): every bit below
 * AutogradOther's, plus PythonDispatcher. */
static inline ft_keyset_t ft_keyset_after_autograd(void) {
    return ft_keyset_from_raw((FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_OTHER) - 1) |
                              FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_PYTHON_DISPATCHER));
}

/* Iteration in c10 order: ascending functionality; a per-backend functionality
 * yields one runtime key per set backend bit, ascending, and nothing without one.
 * Unknown bits are not visited.
 *
 *   ft_keyset_iter_t it = ft_keyset_iter(ks);
 *   ft_key_t k;
 *   while (ft_keyset_next(&it, &k)) ...
 */
typedef struct ft_keyset_iter {
    uint64_t repr;
    unsigned functionality; /* next functionality key to look at */
    unsigned backend;       /* next backend component within it, 0 = not started */
} ft_keyset_iter_t;

FT_API ft_keyset_iter_t ft_keyset_iter(ft_keyset_t ks);
FT_API bool ft_keyset_next(ft_keyset_iter_t *it, ft_key_t *out);

/* Longest text ft_keyset_format can produce, terminator included. */
#define FT_KEYSET_TEXT_MAX 4096

/* torch's repr: "DispatchKeySet(CPU, AutogradCPU)", "DispatchKeySet()" when the
 * iteration is empty. Like snprintf: writes at most `cap` bytes (terminated when
 * cap > 0) and returns the length the full text needs. The repr can lose bits
 * (backend bits with no per-backend functionality, a per-backend functionality
 * with no backend bit); see ft_keyset_format_canonical. */
FT_API size_t ft_keyset_format(ft_keyset_t ks, char *buf, size_t cap);

/* The repr when it is lossless, otherwise raw hex ("0x4000"). parse() of this
 * text always gives back `ks`. Same buffer contract as ft_keyset_format. */
FT_API size_t ft_keyset_format_canonical(ft_keyset_t ks, char *buf, size_t cap);

/* Raw hex as "0x" + lowercase digits without leading zeros ("0x0" for empty).
 * buf must hold 19 bytes. Returns buf. */
FT_API char *ft_keyset_format_hex(ft_keyset_t ks, char buf[19]);

/* Where and why parsing failed (jansson's json_error_t style). */
typedef struct ft_parse_error {
    ft_status code;        /* FT_OK when parsing succeeded */
    size_t offset;         /* byte offset of the offending text */
    uint64_t unknown_mask; /* with FT_EUNKNOWN_BITS: the offending bits */
    char text[160];        /* one line, NUL-terminated */
} ft_parse_error_t;

/* Parses a keyset: raw hex ("0x4001", up to 64 bits, leading zeros allowed), a key
 * list ("CPU|AutogradCPU", one name is a list of one), or the repr form
 * ("DispatchKeySet(CPU, AutogradCPU)", "DispatchKeySet()"). Spaces around names,
 * bars, commas and parentheses are ignored. Fails closed, never coerces:
 *   FT_EUNKNOWN_BITS     the result has bits 54..63 (mask in err->unknown_mask)
 *   FT_EALIAS_IN_KEYSET  an alias key name (aliases never live in a keyset)
 *   FT_EUNKNOWN_KEY_NAME a name torch 1.13 does not have
 *   FT_EPARSE            empty text, empty name, trailing garbage, hex overflow
 *   FT_EINVALID_ARGUMENT text or out is NULL
 * `text` need not be NUL-terminated. On failure *out is left untouched. `err` may
 * be NULL. */
FT_API ft_status ft_keyset_parse(const char *text, size_t len, ft_keyset_t *out, ft_parse_error_t *err);

/* Same grammar, but bits 54..63 are kept instead of rejected: for building the
 * adversarial keysets that the dispatcher's own validation must then reject
 * (the explicit-keyset entry points exist for them). */
FT_API ft_status ft_keyset_parse_raw(const char *text, size_t len, ft_keyset_t *out, ft_parse_error_t *err);

/* Validates a keyset for dispatch, first failure wins (SPEC §6):
 *   FT_EUNKNOWN_BITS, FT_EEMPTY_SET, FT_ENO_TYPE_KEY (backend bits, no
 *   functionality), FT_ENO_BACKEND_KEY (a per-backend functionality and no backend
 *   bit), FT_EINCOMPATIBLE_SET (an autograd functionality without any Dense,
 *   Quantized, Sparse or NestedTensor functionality). */
FT_API ft_status ft_keyset_validate(ft_keyset_t ks);

FT_END_DECLS

#endif
