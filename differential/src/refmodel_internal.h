/* Private to the reference model (refmodel_*.c): its own view of keys and
 * keysets, written another way than libft on purpose.
 *
 * A keyset is taken apart into membership lists — which backend components,
 * which functionality keys, which of the ten out-of-domain bits — and every
 * rule of SPEC §3–§6 is a loop over those lists or over a table of facts. The
 * raw 64-bit word exists only at the edges (ftdr_set_from_word /
 * ftdr_set_to_word), because scenarios and outcomes speak in words.
 *
 * Nothing here calls libft beyond its public types and enum values: the facts
 * (names, alias coverage, backend fallbacks) are this model's own tables,
 * checked against the torch fixtures by differential/tests/test_refmodel.c. */
#ifndef FTD_REFMODEL_INTERNAL_H
#define FTD_REFMODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftdiff/outcome.h"
#include "ftdiff/refmodel.h"
#include "ftdiff/scenario.h"

#define FTDR_BACKENDS        14 /* backend components CPU (1) .. PrivateUse3 (14) */
#define FTDR_FUNCTIONALITIES 40 /* functionality keys Dense (1) .. PythonDispatcher (40) */
#define FTDR_UNKNOWN_BITS    10 /* word bits 54..63: outside the 1.13 domain */
#define FTDR_NAME_MAX        64 /* longest key name + NUL, with room to spare */

/* --- keys (refmodel_facts.c) ------------------------------------------------ */

typedef enum ftdr_key_class {
    FTDR_KEY_INVALID = 0,    /* not an id 0..121 */
    FTDR_KEY_UNDEFINED,      /* 0 */
    FTDR_KEY_FUNCTIONALITY,  /* a functionality key that is its own runtime key (FPGA, Python, ...) */
    FTDR_KEY_BUILDING_BLOCK, /* a per-backend functionality (Dense, Quantized, Sparse, NestedTensor,
                              * AutogradFunctionality): only ever seen through its runtime keys */
    FTDR_KEY_END_MARKER,     /* 41, EndOfFunctionalityKeys ("UnknownUnknown") */
    FTDR_KEY_PLACEHOLDER,    /* 42, 57, 72, 87, 102: a block's "no backend" slot */
    FTDR_KEY_PER_BACKEND,    /* a runtime per-backend key: CPU, SparseCUDA, AutogradCPU, ... */
    FTDR_KEY_ALIAS           /* 117..121 */
} ftdr_key_class_t;

ftdr_key_class_t ftdr_key_class(ft_key_t key);

/* For placeholders and runtime per-backend keys: the block's functionality and
 * the backend component (0 for the placeholder). false for any other key. */
bool ftdr_key_split(ft_key_t key, ft_key_t *functionality, int *backend);

/* The runtime key of (per-backend functionality, backend component); backend 0
 * gives the placeholder. FT_KEY_UNDEFINED if `functionality` is not per-backend. */
ft_key_t ftdr_runtime_key(ft_key_t functionality, int backend);

bool ftdr_is_per_backend_functionality(ft_key_t functionality);

/* c10's toFunctionalityKey: the key itself for 0..41, the block functionality
 * for placeholders and per-backend keys, Undefined for aliases and invalid ids. */
ft_key_t ftdr_functionality_of(ft_key_t key);

/* A key with its own computed-table entry: Undefined, FTDR_KEY_FUNCTIONALITY
 * keys and runtime per-backend keys (106 of them). */
bool ftdr_is_runtime_key(ft_key_t key);

/* A key kernels may be registered under: a runtime key other than Undefined,
 * or an alias. */
bool ftdr_is_registrable(ft_key_t key);

/* AutogradOther, AutogradNestedTensor and every Autograd<backend> runtime key:
 * a kernel registered there is an autograd wrapper. */
bool ftdr_is_autograd_key(ft_key_t key);

/* torch's toString name, composed from this model's own name lists; NULL for an
 * invalid id. Returns buf. */
const char *ftdr_key_name(ft_key_t key, char buf[FTDR_NAME_MAX]);

/* Inverse of ftdr_key_name over ids 0..121 (names are unique there). */
bool ftdr_key_from_name(const char *name, size_t len, ft_key_t *out);

/* Table order: Undefined, then the runtime keys in c10 iteration order of the
 * full keyset. Returns the count (106); out may be NULL. */
size_t ftdr_runtime_keys(ft_key_t out[FT_KEY_ID_COUNT]);

/* Alias coverage (c10 isIncludedInAlias) for runtime keys. */
bool ftdr_alias_covers(ft_key_t alias, ft_key_t key);

typedef enum ftdr_fallback {
    FTDR_FALLBACK_NONE = 0,
    FTDR_FALLBACK_FALLTHROUGH,
    FTDR_FALLBACK_KERNEL /* a real (non-fallthrough) kernel this library does not model */
} ftdr_fallback_t;

/* The process-wide backend fallback torch 1.13 has for a runtime key. */
ftdr_fallback_t ftdr_backend_fallback(ft_key_t key);

/* c10's getBackendKeySetFromAutograd(key).has(reg): does a kernel registered
 * under `reg` count as "a backend kernel" for table entry `key`. */
bool ftdr_is_backend_kernel_for(ft_key_t key, ft_key_t reg);

/* reg lies in c10::autogradother_backends. */
bool ftdr_in_autogradother_backends(ft_key_t reg);

/* --- keysets (refmodel_keyset.c) --------------------------------------------- */

typedef struct ftdr_set {
    bool backend[FTDR_BACKENDS + 1];              /* [v]: backend component v (1..14); [0] unused */
    bool functionality[FTDR_FUNCTIONALITIES + 1]; /* [f]: functionality key f (1..40); [0] unused */
    bool unknown[FTDR_UNKNOWN_BITS];              /* [j]: word bit 54 + j */
} ftdr_set_t;

void ftdr_set_clear(ftdr_set_t *s);
void ftdr_set_from_word(uint64_t word, ftdr_set_t *s);
uint64_t ftdr_set_to_word(const ftdr_set_t *s);
/* c10's DispatchKeySet(key). */
void ftdr_set_of_key(ft_key_t key, ftdr_set_t *s);
void ftdr_set_union(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out);
void ftdr_set_intersect(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out);
void ftdr_set_xor(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out);
/* c10's a - b: removes what b has above the backend range; a's backends stay. */
void ftdr_set_remove(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out);
bool ftdr_set_has_all(const ftdr_set_t *a, const ftdr_set_t *sub);
bool ftdr_set_is_empty(const ftdr_set_t *s);

ft_key_t ftdr_highest_functionality(const ftdr_set_t *s);
int ftdr_highest_backend(const ftdr_set_t *s);
ft_key_t ftdr_highest_priority(const ftdr_set_t *s);
ft_key_t ftdr_highest_priority_backend(const ftdr_set_t *s);
void ftdr_full_after(ft_key_t key, ftdr_set_t *out);

/* Dispatch validation of SPEC §6 (first failure wins). */
ft_status ftdr_validate(const ftdr_set_t *s);

/* torch's repr ("DispatchKeySet(CPU, AutogradCPU)"); snprintf contract. */
size_t ftdr_set_repr(const ftdr_set_t *s, char *buf, size_t cap);
/* The repr when it loses nothing, raw hex otherwise. */
size_t ftdr_set_canonical(const ftdr_set_t *s, char *buf, size_t cap);
/* Keyset text: raw hex, "A|B", "DispatchKeySet(A, B)". Fail closed with
 * unknown_bits (unless keep_unknown), alias_in_keyset, unknown_key_name,
 * parse_error. */
ft_status ftdr_parse(const char *text, size_t len, bool keep_unknown, uint64_t *out);

/* --- tables (refmodel_table.c) ------------------------------------------------ */

/* The registration check of the registry: each key registrable, none twice,
 * (for an operator, not a table query) at least one. */
ft_status ftdr_check_registrations(const ft_key_t *keys, size_t count);

/* The computed entry of runtime key `key` for an operator registered under
 * `keys` (already checked). */
void ftdr_table_entry(const ft_key_t *keys, size_t count, ft_key_t key, ftd_table_entry_t *out);

/* --- routing (refmodel_route.c) ------------------------------------------------ */

/* The registry's rule for operator names: 1..63 of [A-Za-z0-9_.:], starting
 * with a letter or '_'. */
bool ftdr_op_name_ok(const char *name);

/* Dispatches built-in `op` on the keyset derived from the operands and the
 * context (grad mode, include, exclude), in `mode`: one op of a program. */
void ftdr_dispatch_builtin(const char *op, ft_mode_t mode, bool grad_mode, uint64_t include, uint64_t exclude,
                           const ftd_operand_t *lhs, const ftd_operand_t *rhs, ftd_dispatch_outcome_t *out);

/* --- programs (refmodel_program.c) ---------------------------------------------- */

/* ftd_dual_gradients, plus for each leaf the magnitude of the sum it is: the
 * same sum over paths with every coefficient and term taken in absolute value.
 * A gradient that is a difference of large terms (|grad| much smaller than
 * its magnitude) is rounding noise in any evaluation order, so a comparison
 * with another implementation (torch's reverse mode, libft's tape) must allow
 * about eps(dtype) * ops * magnitude; a non-finite magnitude means the result
 * depends on where an overflow or 0 * inf happens, i.e. on evaluation order. */
bool ftdr_dual_gradients_bounded(const ftd_scenario_t *s, double grads[FTD_MAX_LEAVES], bool defined[FTD_MAX_LEAVES],
                                 double magnitude[FTD_MAX_LEAVES]);

/* How a dual gradient compares with another implementation's (torch's or
 * libft's reverse mode), `other` being that gradient as a double (f32 widened):
 *   AGREE: both NaN, equal, or both finite and within
 *     atol + rtol |other| + 4 (op_count + 1) eps(dtype) magnitude
 *     (f64: atol 1e-12, rtol 1e-9; f32: atol 1e-6, rtol 1e-4; the dual is
 *     rounded to the dtype first) — the last term covers cancellation;
 *   INDETERMINATE: they differ but the magnitude is not finite, so the answer
 *     depends on evaluation order (an overflow or 0 * inf placed differently):
 *     not a finding either way;
 *   DIFFER: anything else — a real disagreement.
 * On torch 1.13 itself (200,000 generated scenarios, 87,344 leaf gradients)
 * this gives 0 DIFFER; 337 INDETERMINATE (0.4%) really differ. */
typedef enum { FTDR_GRAD_AGREE, FTDR_GRAD_INDETERMINATE, FTDR_GRAD_DIFFER } ftdr_grad_verdict_t;

ftdr_grad_verdict_t ftdr_grad_compare(ft_dtype_t dtype, size_t op_count, double dual, double magnitude, double other);

/* --- kernels (refmodel_kernels.c) --------------------------------------------- */

/* A built-in op on raw operand bits of one dtype (f32: the low 32 bits),
 * torch's value as raw bits. false for an unknown op. */
bool ftdr_kernel_bits(const char *op, ft_dtype_t dtype, uint64_t a, uint64_t b, uint64_t *out);

/* One side of an op's local derivative: the coefficient torch's backward
 * formula multiplies the incoming gradient by, or `masked` where the formula
 * sets that side's gradient to exactly 0 whatever arrives (a where() or
 * masked_fill_: the losing side of maximum/minimum, pow's base when the
 * exponent is 0) — a NaN or inf coming from the root is dropped there, which
 * a plain coefficient of 0 would not do (0 * NaN is NaN). */
typedef struct ftdr_partial {
    double coef;
    bool masked;
    /* Reverse mode multiplies the incoming gradient by `first` before the rest
     * of the coefficient: coef itself for every op but atan2, whose formula is
     * (g * other) * rc — so g * other can overflow even when g * coef would
     * not. `fragile`: coef came out 0 from an underflow that torch's order
     * (g * other first) may avoid. Both make a comparison order-dependent
     * (see ftdr_dual_gradients_bounded). */
    double first;
    bool fragile;
} ftdr_partial_t;

/* The two sides of op at (a, b) with result r, by torch 1.13's derivative
 * formulas, each step computed in `dtype` as torch's backward computes it.
 * false for an unknown op. */
bool ftdr_partials(const char *op, ft_dtype_t dtype, double a, double b, double r, ftdr_partial_t *da,
                   ftdr_partial_t *db);

#endif
