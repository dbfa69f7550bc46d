/* ft-replay's scenario shrinking and fixture writing. Private to the tool. */
#ifndef FTR_REPLAY_SHRINK_H
#define FTR_REPLAY_SHRINK_H

#include <stdbool.h>
#include <stdint.h>

#include "ftdiff/check.h"

/* What a scenario's failure looks like: whether it fails, and which comparators
 * found something, per mode. Shrinking keeps it equal. */
typedef struct {
    bool failed;
    uint64_t comparators[2]; /* bit c: comparator c had a finding in that mode */
} ftr_signature_t;

void ftr_signature_of(const ftd_check_result_t *r, unsigned modes, ftr_signature_t *sig);

/* Shrinks *s while its signature in `modes` stays `want`: programs lose ops
 * (an earlier root, dependencies cut to leaves, dead ops dropped) and get
 * simple leaf values; dispatch scenarios get simple operands, fewer keyset
 * bits, the default context, fewer registrations; tables fewer registrations;
 * keysets fewer bits. 0 on success (s holds the smaller scenario; *rounds
 * how many passes it took), -1 when `want` does not hold for *s to begin with. */
int ftr_minimize(ftd_libft_t *lib, const ftd_allowlist_t *allow, ftd_scenario_t *s, unsigned modes,
                 const ftr_signature_t *want, unsigned *rounds);

/* Appends a fixture case (ft-fixture-v1; a header first when the file is new)
 * for dispatch scenario `s`, named after `scenario_id`, whose expectations in
 * both modes are the reference model's: once libft is fixed, the case is the
 * regression test. 0, or -1 with why (160 bytes). */
int ftr_write_fixture(const char *path, const ftd_scenario_t *s, const char *scenario_id, char *why);

#endif
