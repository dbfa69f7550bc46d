/* libftdiff — every check of one scenario, in every mode asked for: the one
 * place that decides a verdict. ft-campaign, the fuzz targets and ft-replay all
 * call it, so a scenario is judged the same way wherever it runs.
 *
 * Per kind (SPEC §9):
 *   dispatch  libft vs the reference model (error code, keysets, selected and
 *             backend key, kernel, route, fallback flag, mode split, output
 *             bits, requires_grad); a fixture's expectation when given; two
 *             runs identical; commutativity of add/mul/maximum/minimum; the
 *             strict/hardened split policy against the allowlist.
 *   program   forward values bit for bit vs the reference model; gradients:
 *             tape vs forward-mode dual numbers, with central finite
 *             differences deciding whether a difference is a finding (the
 *             point is smooth) or inconclusive (a kink, a pole, a non-finite
 *             value); two runs identical; the split policy.
 *   table     computed table vs the reference model; registration order
 *             (reversed, rotated) gives the same table.
 *   keyset    algebra, priorities, FULL_AFTER, parse/format round trip and
 *             validation vs the reference model.
 * Table and keyset scenarios do not depend on the mode: they are checked once
 * and the verdict stands for each mode asked for. */
#ifndef FTDIFF_CHECK_H
#define FTDIFF_CHECK_H

#include "ftdiff/compare.h"
#include "ftdiff/fixture.h"
#include "ftdiff/outcome.h"
#include "ftdiff/scenario.h"
#include "ftdiff/subject.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FTD_MODE_STRICT_BIT   1u
#define FTD_MODE_HARDENED_BIT 2u

typedef struct ftd_mode_result {
    bool ran;
    ftd_verdict_t verdict;
    ft_status status; /* libft's answer (dispatch; program: the failing op's; else FT_OK) */
    ftd_findings_t findings;
    bool has_observed; /* dispatch: libft's outcome, for the event's dispatch group */
    ftd_dispatch_outcome_t observed;
    bool fallback_used;
    char harness[160]; /* what failed, for harness_error */
} ftd_mode_result_t;

typedef struct ftd_check_result {
    unsigned modes; /* FTD_MODE_*_BIT checked */
    ftd_mode_result_t mode[2];
} ftd_check_result_t;

/* The allowlist (differential/allowlist.json): the drift ids accepted.
 * "dispatch.composite_backend_fallback" (hardened mode only): an allowlist
 * without it makes every hardened fallback a blocking drift.
 * "dispatch.profile_packet_derivation" (both modes, and its entry must list both:
 * the flag has no per-mode value): the packet profile derives
 * another keyset, so another route, than torch (libft's c10 profile) for a call
 * on real tensors; without it the live torch oracle reports that as blocking. */
#define FTD_ALLOWLIST_PACKET_DERIVATION "dispatch.profile_packet_derivation"

typedef struct ftd_allowlist {
    bool composite_fallback;
    bool packet_derivation;
} ftd_allowlist_t;

/* Loads an allowlist file: {"allowlist":[{"id":..., "modes":["hardened"],
 * "comparator":..., "reason":...}]}. 0, or -1 with why (256 bytes). */
int ftd_allowlist_load(const char *path, ftd_allowlist_t *out, char *why);

/* Empties a result (no mode ran) without clearing its text buffers. */
void ftd_check_result_init(ftd_check_result_t *r);

/* Checks `s` in `modes` (FTD_MODE_*_BIT). `fixture` (may be NULL) adds its
 * per-mode expectations. `lib` is the caller's subject runner (one per thread). */
void ftd_check_scenario(ftd_libft_t *lib, const ftd_allowlist_t *allow, const ftd_scenario_t *s, unsigned modes,
                        const ftd_fixture_case_t *fixture, ftd_check_result_t *out);

/* A batch-format fixture line (a torch oracle case: {"query", "expect", ...},
 * ftdiff/batch_case.h) checked through the batch interface `batch`: one mode
 * (the query's, strict when it names none) with verdict pass,
 * expected_error_observed, blocking_drift (a finding under FTD_CMP_FIXTURE that
 * shows where the answer first parts from torch's) or harness_error (an invalid
 * line, out of memory). `batch` is a ftd_batch_t * (ftdiff/dispatch_batch.h). */
void ftd_check_batch_case(void *batch, const void *line_json, ftd_check_result_t *out);

/* Re-checks a scenario as an event records it (the event's `scenario` text):
 * a scenario in its canonical shape, or {"kind":"batch","case":LINE}. 0, or -1
 * with why (160 bytes) when the text is neither. */
int ftd_check_recorded(ftd_libft_t *lib, void *batch, const ftd_allowlist_t *allow, const char *scenario_json,
                       size_t len, unsigned modes, ftd_check_result_t *out, char *why);

#ifdef __cplusplus
}
#endif

#endif
