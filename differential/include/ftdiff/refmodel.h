/* libftdiff — the reference model: an independent implementation of SPEC §3–§7
 * (keysets, computed tables, routing with the strict/hardened split, kernel
 * values with PyTorch 1.13's CPU float semantics, forward program values), used
 * as the canonical expectation for generated scenarios.
 *
 * It shares no code with lib/ beyond public types and names (ft_key_t values,
 * ft_status codes, ft_table_tag_t, ft_key_name for printing): it is written
 * another way on purpose — ordered key lists, one table per rule, plain loops,
 * no bit tricks — so one mistake cannot hide in both. Its facts (alias
 * coverage, backend fallbacks, key order) are its own tables, checked against
 * the torch fixtures in differential/oracle/fixtures/ by a test.
 *
 * Derivation profile: the packet's (SPEC §5 "packet"), libft's default.
 *
 * Thread-safety: pure functions; no state. */
#ifndef FTDIFF_REFMODEL_H
#define FTDIFF_REFMODEL_H

#include "ftdiff/outcome.h"
#include "ftdiff/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Expected outcome of a dispatch scenario in `mode`: validation, route, mode
 * split, kernel, value (built-in ops: torch's value; custom ops: the number of
 * the registration key whose kernel ran, in the lhs dtype). */
void ftd_ref_dispatch(const ftd_scenario_t *s, ft_mode_t mode, ftd_dispatch_outcome_t *out);

/* Expected computed table of a registration set (s->op.regs). status is
 * FT_EINVALID_REGISTRATION for a set libft must reject (a key that is neither
 * runtime nor alias, a duplicate key). */
void ftd_ref_table(const ftd_scenario_t *s, ftd_table_outcome_t *out);

/* Expected keyset algebra results for s->a, s->b, s->key. */
void ftd_ref_keyset(const ftd_scenario_t *s, ftd_keyset_outcome_t *out);

/* Keyset text as this model reads it — raw hex, "A|B", "DispatchKeySet(A, B)",
 * failing closed with unknown_bits, alias_in_keyset, unknown_key_name or
 * parse_error — what ft_keyset_parse must answer (with keep_unknown, bits
 * 54..63 are kept: ft_keyset_parse_raw). *out is written only on FT_OK. */
ft_status ftd_ref_keyset_parse(const char *text, size_t len, bool keep_unknown, uint64_t *out);

/* Expected forward part of a program in `mode`: values, requires_grad, the op
 * that fails and its status. Backward fields are left for the gradient checks
 * (ftd_dual_gradients), which compare within tolerance. */
void ftd_ref_program_forward(const ftd_scenario_t *s, ft_mode_t mode, ftd_program_outcome_t *out);

/* The value of a built-in op on two values of one dtype with torch 1.13's CPU
 * semantics (f32 computed in float). false for an unknown op name. */
bool ftd_ref_kernel(const char *op, ft_dtype_t dtype, double a, double b, double *out);

/* Forward-mode dual numbers: d root / d leaf for every leaf that requires grad
 * (others: defined false), one forward pass per leaf, in double whatever the
 * dtype. Non-differentiable points follow torch's choices (documented in the
 * source). false when the program cannot run (an op fails). */
bool ftd_dual_gradients(const ftd_scenario_t *s, double grads[FTD_MAX_LEAVES], bool defined[FTD_MAX_LEAVES]);

/* Central finite differences with gradcheck's float64 defaults (eps 1e-6):
 * d root / d leaf, computed in double. false when the program cannot run. */
bool ftd_finite_diff_gradients(const ftd_scenario_t *s, double eps, double grads[FTD_MAX_LEAVES]);

#ifdef __cplusplus
}
#endif

#endif
