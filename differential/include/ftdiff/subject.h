/* libftdiff — running a scenario on libft, the implementation under test.
 *
 * Everything goes through libft's public API, as a user would call it: a
 * registry of the built-in operators, the dispatch entry points (derived or
 * explicit keyset), a tape for programs, ft_op_table_entry for tables and the
 * keyset functions. Custom operators are registered in a registry of their
 * own with the harness kernels described in ftdiff/scenario.h.
 *
 * Thread-safety: one ftd_libft_t per thread. */
#ifndef FTDIFF_SUBJECT_H
#define FTDIFF_SUBJECT_H

#include "ftdiff/outcome.h"
#include "ftdiff/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ftd_libft ftd_libft_t;

/* 0, or -1 when memory ran out. */
int ftd_libft_new(ftd_libft_t **out);
void ftd_libft_free(ftd_libft_t *s);

/* Each returns 0 when the scenario ran (whatever libft answered: its status is
 * in the outcome) and -1 for a harness failure (out of memory, a scenario of the
 * wrong kind); `why` (may be NULL, 160 bytes) then says what. */
int ftd_libft_dispatch(ftd_libft_t *s, const ftd_scenario_t *sc, ft_mode_t mode, ftd_dispatch_outcome_t *out,
                       char *why);
/* Same under a keyset-derivation profile (ftd_libft_dispatch: the packet's).
 * Scenarios have no inference mode or inference tensors: both are off. */
int ftd_libft_dispatch_profile(ftd_libft_t *s, const ftd_scenario_t *sc, ft_mode_t mode, ft_profile_t profile,
                               ftd_dispatch_outcome_t *out, char *why);
int ftd_libft_program(ftd_libft_t *s, const ftd_scenario_t *sc, ft_mode_t mode, ftd_program_outcome_t *out, char *why);
/* `order` is a permutation of 0..reg_count-1 giving the registration order, or
 * NULL for the scenario's own order (the registration-order metamorphic check
 * compares the two). */
int ftd_libft_table(ftd_libft_t *s, const ftd_scenario_t *sc, const size_t *order, ftd_table_outcome_t *out, char *why);
int ftd_libft_keyset(const ftd_scenario_t *sc, ftd_keyset_outcome_t *out, char *why);

/* The harness kernel of a custom operator (exposed for tests): returns the
 * registration key's number, carried in the payload. */
ft_status ftd_custom_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out);

#ifdef __cplusplus
}
#endif

#endif
