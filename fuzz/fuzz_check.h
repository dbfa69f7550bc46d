/* fuzz/ — judging a scenario the campaign's way (ftd_check_scenario), for the
 * targets that decode their input into one.
 *
 * Not thread-safe: one input at a time. */
#ifndef FTFZ_FUZZ_CHECK_H
#define FTFZ_FUZZ_CHECK_H

#include "ftdiff/check.h"
#include "fuzz_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The process's libft runner, made on first use and kept (a custom operator's
 * registry is cached in it between inputs). Out of memory is a violation. */
ftd_libft_t *ftfz_libft(void);

/* What fuzz targets judge by: differential/allowlist.json's one drift, the
 * composite fallback in hardened mode (compiled in, so a target needs no file;
 * a ctest checks it against the file). */
const ftd_allowlist_t *ftfz_allowlist(void);

/* Runs ftd_check_scenario on `s` in `modes` (FTD_MODE_*_BIT) and returns when
 * every mode's verdict is pass, expected_error_observed or allowlisted_drift.
 * Otherwise — a blocking drift or a harness error — it calls ftfz_violation_ex
 * with the first blocking finding of the first failing mode (comparator and
 * reason; "harness"/"harness_error" for a harness error), op = the operator's
 * name for dispatch scenarios and the kind for the others, the modes that
 * failed, and the canonical scenario. */
void ftfz_check_scenario(const char *target, const ftd_scenario_t *s, unsigned modes, const uint8_t *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif
