/* libftdiff — the live PyTorch 1.13 oracle (`ft-campaign --oracle torch`).
 *
 * One persistent /usr/bin/python3 worker per campaign thread
 * (differential/oracle/torch_worker.py) answers scenarios with real torch over
 * a line protocol on pipes. libft never needs torch: without it (python or
 * torch missing, the worker dies) every torch check is oracle_unavailable —
 * counted apart, never a pass. */
#ifndef FTDIFF_TORCH_ORACLE_H
#define FTDIFF_TORCH_ORACLE_H

#include "ftdiff/check.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ftd_torch ftd_torch_t;

/* Starts a worker: `python` (NULL: /usr/bin/python3) running `script` (NULL:
 * the torch_worker.py of the source tree this library was built from). Returns
 * NULL when torch cannot be had; that is not an error here (checks then report
 * oracle_unavailable). */
ftd_torch_t *ftd_torch_open(const char *python, const char *script);
void ftd_torch_close(ftd_torch_t *t);

/* Runs `s` in `mode` on torch and on libft (through `lib`) and compares what
 * torch decides: values, gradients, tables, keyset algebra, explicit-keyset
 * routes (derived-keyset routes are compared under the c10 derivation profile
 * when libft has one; the packet profile's differences are an allowlisted
 * drift). Fills out->verdict (pass, blocking_drift, allowlisted_drift,
 * oracle_unavailable, harness_error), out->findings (comparator FTD_CMP_TORCH). */
void ftd_torch_check(ftd_torch_t *t, ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode, ftd_mode_result_t *out);

#ifdef __cplusplus
}
#endif

#endif
