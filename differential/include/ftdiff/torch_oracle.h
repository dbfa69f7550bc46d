/* libftdiff — the live PyTorch 1.13 oracle (`ft-campaign --oracle torch`).
 *
 * One persistent /usr/bin/python3 worker per campaign thread
 * (differential/oracle/torch_worker.py) answers scenarios with real torch over
 * a line protocol on pipes. libft never needs torch: without it (python or
 * torch missing, the worker dies) every torch check is oracle_unavailable —
 * counted apart, never a pass. What is compared per scenario kind, and which
 * differences are allowlisted drift or skipped, is documented in
 * differential/oracle/README.md ("Live oracle").
 *
 * Environment (all optional): FTD_TORCH_PYTHON and FTD_TORCH_WORKER replace the
 * interpreter and the script when the arguments are NULL; FTD_TORCH_TIMEOUT
 * (seconds, default 60) bounds every answer and FTD_TORCH_START_TIMEOUT
 * (default 120) the start-up; FTD_TORCH_STDERR=inherit shows the worker's
 * stderr; FTD_TORCH_STATS=FILE appends the handle's counters (one JSON line)
 * to FILE when it is closed; FTD_TORCH_TRACE=FILE appends every request ("> "),
 * answer ("< ") and verdict ("= ", with the scenario) to FILE.
 *
 * Thread-safety: one handle per thread; handles share nothing. */
#ifndef FTDIFF_TORCH_ORACLE_H
#define FTDIFF_TORCH_ORACLE_H

#include <stdint.h>

#include "ftdiff/check.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ftd_torch ftd_torch_t;

/* Starts a worker: `python` (NULL: $FTD_TORCH_PYTHON, else /usr/bin/python3)
 * running `script` (NULL: $FTD_TORCH_WORKER, else the torch_worker.py of the
 * source tree this library was built from), and waits for its hello. Returns
 * NULL when torch cannot be had; that is not an error here (checks then report
 * oracle_unavailable). */
ftd_torch_t *ftd_torch_open(const char *python, const char *script);
/* Stops and reaps the worker; NULL is a no-op. */
void ftd_torch_close(ftd_torch_t *t);
/* Whether the packet profile's derivation drift (FTD_ALLOWLIST_PACKET_DERIVATION)
 * is allowlisted: off (the default) it is a blocking finding "packet_derivation". */
void ftd_torch_allow_packet_derivation(ftd_torch_t *t, bool allowed);

/* Runs `s` in `mode` on torch and on libft (through `lib`) and compares what
 * torch decides: values, gradients, tables, keyset algebra, explicit-keyset
 * routes (derived-keyset routes are compared under the c10 derivation profile;
 * the packet profile's differences are an allowlisted drift). Fills out->ran,
 * out->verdict (pass, expected_error_observed — libft failed closed by policy
 * where torch cannot be asked —, blocking_drift, allowlisted_drift,
 * oracle_unavailable, harness_error), out->status (libft's), out->findings
 * (comparator FTD_CMP_TORCH; runs counts every comparison made, inconclusive
 * every documented skip) and out->harness. The worker's answer for a scenario is
 * reused for the next mode of the same scenario. A worker that dies or hangs is
 * restarted once (that scenario is a harness_error); after a second death every
 * later check is oracle_unavailable. t == NULL: oracle_unavailable. */
void ftd_torch_check(ftd_torch_t *t, ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode, ftd_mode_result_t *out);

/* What a handle did, by counter: comparisons made ("cmp_*"), allowlisted drifts
 * ("drift_*") and skips ("skip_*"), per scenario and mode. */
typedef enum ftd_torch_counter {
    FTD_TORCH_CMP_VALUE = 0,        /* built-in values (bits) vs torch's kernels */
    FTD_TORCH_CMP_REQUIRES_GRAD,    /* result requires_grad (derived keyset, default context) */
    FTD_TORCH_CMP_ROUTE,            /* route through the mirror operator, with the table entries on it */
    FTD_TORCH_CMP_C10_KEYSET,       /* c10's operand and dispatch keysets vs the c10 profile */
    FTD_TORCH_CMP_TABLE,            /* computed tables (custom operators, table scenarios) */
    FTD_TORCH_CMP_PROGRAM,          /* program forward values, requires_grad, failing op */
    FTD_TORCH_CMP_GRADS,            /* leaf gradients (4 ulps / 1e-12 rel) */
    FTD_TORCH_CMP_KEYSET,           /* keyset algebra, priorities, FULL_AFTER, repr */
    FTD_TORCH_DRIFT_C10_DERIVATION, /* packet profile routes a derived keyset differently */
    FTD_TORCH_DRIFT_MIXED_DTYPE,    /* torch promotes / custom kernels accept f32 with f64 */
    FTD_TORCH_DRIFT_FAIL_CLOSED,    /* libft rejects a raw keyset torch routes */
    FTD_TORCH_SKIP_UNKNOWN_BITS,    /* bits 54..63: c10 would index out of bounds */
    FTD_TORCH_SKIP_REGISTRATION,    /* libft rejects the registrations or the op name */
    FTD_TORCH_SKIP_UNREGISTRABLE,   /* a key torch cannot register a kernel on */
    FTD_TORCH_SKIP_STALE_TABLE,     /* torch's cached table is not the fresh one */
    FTD_TORCH_SKIP_DEVICE_VALUE,    /* non-CPU operands: no real tensors to compute with */
    FTD_TORCH_SKIP_DEVICE_MISMATCH, /* libft's device check; torch's cannot run here */
    FTD_TORCH_SKIP_PROGRAM_CONTEXT, /* program with a non-default include set or non-CPU leaves */
    FTD_TORCH_SKIP_STRICT_REST,     /* strict program stopped at rsub/sqdiff: the rest not compared */
    FTD_TORCH_SKIP_KEYSET_PRIORITY, /* keyset word with unknown bits: priorities and repr not asked */
    FTD_TORCH_SKIP_KERNEL_CALLS,    /* a composite kernel's own calls failed in libft (CPU-only built-ins) */
    FTD_TORCH_SKIP_SUBJECT_REG,     /* the subject runner cannot register a set libft's key rules accept:
                                       its table comes from ft_table_compute_entry, its routes are skipped */
    FTD_TORCH_COUNTER_COUNT
} ftd_torch_counter_t;

/* "cmp_value", ..., "skip_keyset_priority"; NULL for other values. */
const char *ftd_torch_counter_name(ftd_torch_counter_t c);

typedef struct ftd_torch_stats {
    uint64_t checks;   /* ftd_torch_check calls */
    uint64_t requests; /* answers received from workers */
    uint64_t reused;   /* checks answered from the previous mode's answer */
    uint64_t deaths;   /* workers that died or stopped answering */
    uint64_t restarts;
    uint64_t verdicts[FTD_VERDICT_COUNT];
    uint64_t counters[FTD_TORCH_COUNTER_COUNT];
    double worker_seconds; /* wall time spent waiting for answers */
} ftd_torch_stats_t;

/* Copies the handle's counters (zeros for NULL). */
void ftd_torch_stats(const ftd_torch_t *t, ftd_torch_stats_t *out);
/* Adds b's counters into a. */
void ftd_torch_stats_add(ftd_torch_stats_t *a, const ftd_torch_stats_t *b);
/* One JSON object, no newline, snprintf contract. */
size_t ftd_torch_stats_json(const ftd_torch_stats_t *s, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
