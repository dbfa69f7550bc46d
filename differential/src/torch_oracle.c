/* The live PyTorch oracle (ftdiff/torch_oracle.h). Placeholder until the
 * worker protocol lands: no worker can be started, so every check is
 * oracle_unavailable — counted apart, never a pass. */
#include <stdio.h>
#include <string.h>

#include "ftdiff/torch_oracle.h"

ftd_torch_t *ftd_torch_open(const char *python, const char *script) {
    (void)python;
    (void)script;
    return NULL;
}

void ftd_torch_close(ftd_torch_t *t) {
    (void)t;
}

void ftd_torch_check(ftd_torch_t *t, ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode,
                     ftd_mode_result_t *out) {
    (void)t;
    (void)lib;
    (void)s;
    (void)mode;
    memset(out, 0, sizeof *out);
    out->ran = true;
    out->verdict = FTD_VERDICT_ORACLE_UNAVAILABLE;
    out->findings.runs[FTD_CMP_TORCH]++;
    snprintf(out->harness, sizeof out->harness, "torch worker not available");
}
