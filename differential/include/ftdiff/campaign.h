/* libftdiff — the campaign: fixtures plus a seeded generated run, in both modes,
 * checked against the reference model and the comparators, written to a
 * forensics log with its locator, a failure index, a differential report and
 * JUnit XML (the engine behind ft-campaign; SPEC §9). */
#ifndef FTDIFF_CAMPAIGN_H
#define FTDIFF_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftdiff/check.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ftd_oracle { FTD_ORACLE_NONE = 0, FTD_ORACLE_TORCH = 1 } ftd_oracle_t;

typedef struct ftd_campaign_options {
    uint64_t scenarios; /* generated scenarios (default 100000) */
    uint64_t seed;      /* default 0x5eed */
    unsigned modes;     /* FTD_MODE_*_BIT; default both */
    const char *packet; /* only this packet's scenarios (NULL: all) */
    const char *suite;  /* only this suite (NULL: all) */
    ftd_oracle_t oracle;
    const char *python;                /* interpreter for the torch oracle (NULL: /usr/bin/python3) */
    const char *oracle_script;         /* differential/oracle/torch_worker.py (NULL: found beside the sources) */
    unsigned jobs;                     /* 0: all cores */
    unsigned shard_index, shard_count; /* generated index i runs when i % count == index */
    const char *out_dir;               /* NULL: artifacts/forensics/<run_id> */
    const char *log_path;              /* NULL: <out_dir>/campaign.jsonl.gz */
    const char *junit_path;            /* NULL: none */
    const char *const *fixture_paths;  /* fixture files or directories */
    size_t fixture_path_count;
    const char *const *oracle_fixture_paths; /* torch fixture files (batch format) */
    size_t oracle_fixture_path_count;
    const char *allowlist_path; /* NULL: differential/allowlist.json beside the sources */
    bool progress;              /* draw a progress bar on stderr */
    int argc;
    const char *const *argv;
} ftd_campaign_options_t;

void ftd_campaign_options_init(ftd_campaign_options_t *o);

typedef struct ftd_campaign_totals {
    uint64_t scenarios;                          /* distinct scenarios run */
    uint64_t runs;                               /* scenario x mode */
    uint64_t verdicts[FTD_VERDICT_COUNT];        /* libft's, per scenario x mode */
    uint64_t oracle_verdicts[FTD_VERDICT_COUNT]; /* the live oracle's, per scenario x mode */
    uint64_t passed, failed;                     /* runs: failed = blocking drift + harness error */
    uint64_t events;                             /* records written (header excluded) */
    uint64_t comparator_runs[FTD_CMP_COUNT];
    uint64_t comparator_failures[FTD_CMP_COUNT];
    uint64_t comparator_inconclusive[FTD_CMP_COUNT];
    uint64_t fallback_used[2]; /* by mode: routes that used the composite fallback */
    uint64_t dispatch_runs[2]; /* by mode: dispatch calls */
    char run_id[32];
    char out_dir[512];
    char log_path[600];
    char index_path[600];
    char report_path[600];
    double seconds, log_seconds;
} ftd_campaign_totals_t;

/* Runs the campaign. 0 when it ran to the end (whatever it found: see
 * totals->failed), -1 when it could not (bad options, unreadable fixture, an
 * output that cannot be written, a forensics read-back mismatch); `why` (512
 * bytes, may be NULL) then says what. */
int ftd_campaign_run(const ftd_campaign_options_t *o, ftd_campaign_totals_t *totals, char *why);

#ifdef __cplusplus
}
#endif

#endif
