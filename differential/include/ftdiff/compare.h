/* libftdiff — comparators and verdicts (SPEC §9).
 *
 * A comparator looks at one aspect of an expected and an observed outcome and,
 * when they differ, adds a finding: comparator name, reason, and the expected
 * and observed values as JSON texts. Every call counts as one execution of each
 * comparator it runs (ftd_findings_t.runs), so a report can show that a
 * comparator was reached — a check that never ran is a bug, not a pass.
 *
 * Verdicts (per scenario and mode): pass, expected_error_observed (the scenario
 * fails the way it must, e.g. strict rejecting a composite route),
 * allowlisted_drift (hardened only: the difference from strict is exactly an
 * allowlisted one), blocking_drift, oracle_unavailable (an oracle was asked
 * for and is not there; never a pass), harness_error (the harness itself
 * failed; never a finding about libft). */
#ifndef FTDIFF_COMPARE_H
#define FTDIFF_COMPARE_H

#include "ftdiff/outcome.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ftd_verdict {
    FTD_VERDICT_PASS = 0,
    FTD_VERDICT_EXPECTED_ERROR,
    FTD_VERDICT_ALLOWLISTED,
    FTD_VERDICT_BLOCKING,
    FTD_VERDICT_ORACLE_UNAVAILABLE,
    FTD_VERDICT_HARNESS_ERROR
} ftd_verdict_t;
#define FTD_VERDICT_COUNT 6

/* "pass", "expected_error_observed", "allowlisted_drift", "blocking_drift",
 * "oracle_unavailable", "harness_error"; NULL for other values. */
const char *ftd_verdict_name(ftd_verdict_t v);

typedef enum ftd_comparator {
    FTD_CMP_ERROR_CODE = 0,     /* "error_code" */
    FTD_CMP_KEYSET,             /* "keyset_bits": input and effective keysets */
    FTD_CMP_SELECTED_KEY,       /* "selected_key" */
    FTD_CMP_BACKEND_KEY,        /* "backend_key" */
    FTD_CMP_KERNEL,             /* "kernel" */
    FTD_CMP_ROUTE,              /* "route": the hop chain */
    FTD_CMP_FALLBACK,           /* "fallback_flag" */
    FTD_CMP_MODE_SPLIT,         /* "mode_split" */
    FTD_CMP_OUTPUT,             /* "output": value bits (NaN-aware under a tolerance) */
    FTD_CMP_REQUIRES_GRAD,      /* "requires_grad" */
    FTD_CMP_MODE_SPLIT_POLICY,  /* "mode_split_policy": strict vs hardened */
    FTD_CMP_COMMUTATIVITY,      /* "commutativity" */
    FTD_CMP_DETERMINISM,        /* "determinism": two runs identical */
    FTD_CMP_TABLE,              /* "table_entry" */
    FTD_CMP_REGISTRATION_ORDER, /* "registration_order" */
    FTD_CMP_KEYSET_ALGEBRA,     /* "keyset_algebra" */
    FTD_CMP_PRIORITY,           /* "priority" */
    FTD_CMP_FULL_AFTER,         /* "full_after" */
    FTD_CMP_ROUND_TRIP,         /* "parse_round_trip" */
    FTD_CMP_VALIDATION,         /* "validation" */
    FTD_CMP_PROGRAM,            /* "program_values": forward values, requires_grad, failing op */
    FTD_CMP_GRAD_DUAL,          /* "grad_dual": tape vs forward-mode dual numbers */
    FTD_CMP_GRAD_FD,            /* "grad_finite_diff": dual numbers vs central differences */
    FTD_CMP_BACKWARD,           /* "backward": backward status and execution order */
    FTD_CMP_FIXTURE,            /* "fixture": a fixture's expectation */
    FTD_CMP_TORCH               /* "torch": the live PyTorch oracle */
} ftd_comparator_t;
#define FTD_CMP_COUNT 26

/* Stable name (the strings above); NULL for other values. */
const char *ftd_comparator_name(ftd_comparator_t c);

#define FTD_FINDING_TEXT_MAX 384
#define FTD_MAX_FINDINGS     8

typedef struct ftd_finding {
    ftd_comparator_t comparator;
    char reason[48];                     /* short, stable: "mismatch", "not_deterministic", ... */
    char expected[FTD_FINDING_TEXT_MAX]; /* JSON text */
    char observed[FTD_FINDING_TEXT_MAX]; /* JSON text */
    bool allowlisted;
    const char *drift_id; /* allowlist id when allowlisted, else NULL */
} ftd_finding_t;

typedef struct ftd_findings {
    size_t count;   /* findings kept (at most FTD_MAX_FINDINGS) */
    size_t dropped; /* findings past the limit (counted, not kept) */
    ftd_finding_t items[FTD_MAX_FINDINGS];
    uint32_t runs[FTD_CMP_COUNT];         /* executions per comparator */
    uint32_t inconclusive[FTD_CMP_COUNT]; /* ran but could not judge (documented cases) */
} ftd_findings_t;

void ftd_findings_init(ftd_findings_t *f);
/* Non-allowlisted findings. */
size_t ftd_findings_blocking(const ftd_findings_t *f);

/* Adds a finding (expected/observed are JSON texts, cut to fit). */
void ftd_findings_add(ftd_findings_t *f, ftd_comparator_t c, const char *reason, const char *expected,
                      const char *observed);

/* Expected vs observed dispatch outcome: error code, keysets, selected and
 * backend key, kernel, route, fallback flag, mode split, output (bit-exact),
 * requires_grad. */
void ftd_compare_dispatch(const ftd_dispatch_outcome_t *expected, const ftd_dispatch_outcome_t *observed,
                          ftd_findings_t *f);

/* The mode-split policy: strict and hardened outcomes of one scenario must be
 * identical except for exactly the allowlisted composite fallback (strict
 * composite_fallback_rejected / hardened fallback_used with mode_split
 * hardened_fallback, same route). Returns true when the allowlisted split was
 * seen (the hardened verdict is then allowlisted_drift). */
bool ftd_compare_mode_split(const ftd_dispatch_outcome_t *strict, const ftd_dispatch_outcome_t *hardened,
                            ftd_findings_t *f);

/* Two runs of the same thing: identical outcomes. */
void ftd_compare_determinism(const void *a, const void *b, size_t size, ftd_findings_t *f);

void ftd_compare_table(const ftd_table_outcome_t *expected, const ftd_table_outcome_t *observed, ftd_comparator_t c,
                       ftd_findings_t *f);
void ftd_compare_keyset(const ftd_keyset_outcome_t *expected, const ftd_keyset_outcome_t *observed, ftd_findings_t *f);
/* Forward part of a program: ran/failed status, values (bit-exact), requires_grad. */
void ftd_compare_program(const ftd_program_outcome_t *expected, const ftd_program_outcome_t *observed, size_t var_count,
                         ftd_findings_t *f);

/* gradcheck's float64 defaults: |a - b| <= atol + rtol * |b|. */
#define FTD_GRAD_ATOL 1e-5
#define FTD_GRAD_RTOL 1e-3
bool ftd_close(double observed, double expected, double atol, double rtol);

#ifdef __cplusplus
}
#endif

#endif
