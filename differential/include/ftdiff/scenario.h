/* libftdiff — scenarios: canonical, self-contained descriptions of one check.
 *
 * A scenario says everything needed to run it again anywhere, with no other
 * file: which operator (a built-in by name, or a custom operator with its
 * registration keys), the operands as raw IEEE bits with dtype, device and
 * requires_grad, the dispatch context (grad mode, include/exclude sets), an
 * explicit raw keyset or none (derived from the operands), and for the other
 * kinds an autograd program, a registration set or two raw keyset words.
 * Scenarios are mode-independent: the campaign runs each one in every mode it
 * is asked for, and records one event per scenario and mode.
 *
 * Canonical text: one JSON object, fixed key order, no spaces, hex strings for
 * every 64-bit word (jq rounds integers over 2^53), key and dtype names as
 * torch spells them. decode(encode(s)) == s field for field, and
 * encode(decode(t)) == t for canonical t. The id is "gen/" + 16 hex of
 * SipHash-1-3 over the canonical text (ftf_generated_scenario_id).
 *
 * Custom operators get harness kernels whose value says which registration
 * ran: the kernel registered under key K returns the number K (as the lhs
 * dtype), and is named "custom::<K's name>" — so a route that lands on the
 * wrong kernel shows in the value as well as in the decision.
 *
 * Thread-safety: scenarios are plain values; functions keep no state. */
#ifndef FTDIFF_SCENARIO_H
#define FTDIFF_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/dispatch.h"
#include "ft/key.h"
#include "ft/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FTD_OP_NAME_MAX     32 /* buffer size: names are 1..31 bytes */
#define FTD_MAX_REGS        16 /* registrations of a custom operator / table scenario */
#define FTD_MAX_LEAVES      8
#define FTD_MAX_PROGRAM_OPS 32
#define FTD_MAX_VARS        (FTD_MAX_LEAVES + FTD_MAX_PROGRAM_OPS)

typedef enum ftd_kind {
    FTD_KIND_DISPATCH = 0, /* "dispatch": one binary op call */
    FTD_KIND_PROGRAM = 1,  /* "program": ops over leaves, then backward from a root */
    FTD_KIND_TABLE = 2,    /* "table": the computed table of a registration set */
    FTD_KIND_KEYSET = 3    /* "keyset": algebra, priorities and text form of raw words */
} ftd_kind_t;

#define FTD_KIND_COUNT 4

const char *ftd_kind_name(ftd_kind_t kind);

/* An operand: value as raw IEEE bits — the 64-bit pattern for f64, the 32-bit
 * pattern (upper half zero) for f32, so NaN payloads and signed zeros are
 * exact. device is a backend component (FT_BACKEND_CPU, ...). */
typedef struct ftd_operand {
    uint64_t bits;
    ft_dtype_t dtype;
    ft_backend_t device;
    bool requires_grad;
} ftd_operand_t;

/* The operand's value as libft holds it (f32 widened exactly to double). */
double ftd_operand_value(const ftd_operand_t *o);
/* Raw bits of a value in a dtype (f32: the float's 32 bits). */
uint64_t ftd_value_bits(double v, ft_dtype_t dtype);

/* Operator reference: a built-in by name, or a custom op (custom == true) whose
 * registrations are `regs` (runtime or alias keys, in registration order). */
typedef struct ftd_opref {
    char name[FTD_OP_NAME_MAX];
    bool custom;
    size_t reg_count;
    ft_key_t regs[FTD_MAX_REGS];
} ftd_opref_t;

/* One op of a program: out = op(var lhs, var rhs); vars 0..leaf_count-1 are the
 * leaves, leaf_count + i is the output of op i. */
typedef struct ftd_program_op {
    char op[FTD_OP_NAME_MAX]; /* a built-in */
    uint32_t lhs, rhs;
} ftd_program_op_t;

typedef struct ftd_scenario {
    ftd_kind_t kind;
    /* dispatch context (dispatch and program) */
    bool grad_mode;
    uint64_t include, exclude;
    /* dispatch */
    ftd_opref_t op;
    ftd_operand_t lhs, rhs;
    bool has_keyset;
    uint64_t keyset; /* explicit raw keyset (any 64-bit word), when has_keyset */
    /* program */
    size_t leaf_count, op_count;
    ftd_operand_t leaves[FTD_MAX_LEAVES];
    ftd_program_op_t ops[FTD_MAX_PROGRAM_OPS];
    uint32_t root;
    /* table: registration keys in order; op.regs/op.reg_count hold them */
    /* keyset */
    uint64_t a, b;
    ft_key_t key; /* for has / FULL_AFTER / remove (any id 0..121) */
} ftd_scenario_t;

/* A dispatch scenario with the default context (grad mode on, c10's default
 * include/exclude), no explicit keyset. */
void ftd_scenario_init(ftd_scenario_t *s, ftd_kind_t kind);

/* Error detail of decode and of the fixture loader (jansson's json_error_t
 * shape): where and what. `field` is a JSON-pointer-like path ("lhs.dtype"). */
typedef struct ftd_error {
    int line, column;
    char field[64];
    char text[192];
} ftd_error_t;

/* True when `s` is within every limit above (kind known, counts, var indices
 * in range, op names and keys valid): what encode and the runners require. A
 * decoded scenario always is; a hand-made or corrupted one may not be. */
bool ftd_scenario_valid(const ftd_scenario_t *s);

/* Canonical encoding into buf (snprintf contract). Returns the full length, 0
 * for an invalid scenario (bad kind, counts over the limits, a var index out of
 * range, an unnamed op). */
size_t ftd_scenario_encode(const ftd_scenario_t *s, char *buf, size_t cap);

/* Decodes any JSON text of the shape encode writes (whitespace and key order
 * free, every field present, unknown fields rejected, types and names
 * checked). 0 on success; -1 with `err` (may be NULL) filled otherwise. */
int ftd_scenario_decode(const char *text, size_t len, ftd_scenario_t *out, ftd_error_t *err);

/* As decode, from a jansson object already parsed (json_t *, typed void * so
 * this header does not need jansson). */
int ftd_scenario_from_json(const void *json_object, ftd_scenario_t *out, ftd_error_t *err);

/* Field-for-field equality (what decode(encode(s)) must give back). */
bool ftd_scenario_equal(const ftd_scenario_t *a, const ftd_scenario_t *b);

/* "gen/<16 hex>" of the canonical encoding into id (FTF_SCENARIO_ID_SIZE = 256
 * bytes). 0 on success, -1 for an invalid scenario. */
int ftd_scenario_id(const ftd_scenario_t *s, char id[256]);

#ifdef __cplusplus
}
#endif

#endif
