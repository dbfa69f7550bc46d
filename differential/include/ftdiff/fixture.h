/* libftdiff — fixture files: hand-written expectations, one case per scenario.
 *
 * Format (JSON Lines, differential/fixtures/FORMAT.md): line 1 is the header
 *   {"format":"ft-fixture-v1","fixture":"dispatch_key_cases.json",
 *    "suite":"dispatch_key","packet":"FT-P2C-002"}
 * and every other non-empty line one case
 *   {"case":"strict_cpu_route","contracts":["..."],"scenario":{...},
 *    "expect":{"strict":{...},"hardened":{...}}}
 * with the scenario in its canonical shape (ftdiff/scenario.h) and one
 * expectation object per mode it runs in. Expectation fields (each optional but
 * `error`, which is required — null when the call must succeed):
 *   error          status code ("composite_fallback_rejected") or null
 *   value_bits     "0x..." raw IEEE bits of the result
 *   tolerance      {"abs":x,"rel":y}: compare the value within it instead of bits
 *   selected_key, backend_key, kernel (null: none), mode_split, fallback_used,
 *   requires_grad, keyset_bits, effective_keyset_bits, route
 *   ([{"key","source","tag","fallthrough","kernel"}], compared whole)
 * The loader rejects unknown fields, misspelt key names, wrong types and
 * duplicate case names with file, line and field: a fixture that cannot be
 * read fails the run; it never counts as a pass. */
#ifndef FTDIFF_FIXTURE_H
#define FTDIFF_FIXTURE_H

#include "ftdiff/compare.h"
#include "ftdiff/outcome.h"
#include "ftdiff/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FTD_CASE_NAME_MAX 129
#define FTD_MAX_CONTRACTS 4

enum {
    FTD_EXPECT_VALUE = 1u << 0,
    FTD_EXPECT_TOLERANCE = 1u << 1,
    FTD_EXPECT_SELECTED = 1u << 2,
    FTD_EXPECT_BACKEND = 1u << 3,
    FTD_EXPECT_KERNEL = 1u << 4,
    FTD_EXPECT_MODE_SPLIT = 1u << 5,
    FTD_EXPECT_FALLBACK = 1u << 6,
    FTD_EXPECT_REQUIRES_GRAD = 1u << 7,
    FTD_EXPECT_KEYSET = 1u << 8,
    FTD_EXPECT_EFFECTIVE_KEYSET = 1u << 9,
    FTD_EXPECT_ROUTE = 1u << 10
};

/* One mode's expectation: the fields named in `fields`, held in an outcome. */
typedef struct ftd_expectation {
    bool present;
    unsigned fields;
    ftd_dispatch_outcome_t want; /* status always; the rest as `fields` says */
    double abs_tol, rel_tol;
} ftd_expectation_t;

typedef struct ftd_fixture_case {
    char name[FTD_CASE_NAME_MAX];
    int line;
    size_t contract_count;
    char contracts[FTD_MAX_CONTRACTS][64];
    ftd_scenario_t scenario;
    ftd_expectation_t expect[2]; /* by ft_mode_t */
} ftd_fixture_case_t;

typedef struct ftd_fixture {
    char path[512];
    char fixture_id[FTD_CASE_NAME_MAX];
    char suite[FTD_CASE_NAME_MAX];
    char packet[64];
    size_t count;
    ftd_fixture_case_t *cases;
} ftd_fixture_t;

/* Loads `path`. 0, or -1 with `err` (file name in err->text's context: the
 * caller prints "path:line: field: text"). The fixture is disposed on error. */
int ftd_fixture_load(const char *path, ftd_fixture_t *out, ftd_error_t *err);
/* As ftd_fixture_load, from `len` bytes in memory (lines end at '\n'; the
 * bytes need not be NUL-terminated); out->path is `name` (NULL: "<memory>"). */
int ftd_fixture_load_buffer(const char *data, size_t len, const char *name, ftd_fixture_t *out, ftd_error_t *err);
void ftd_fixture_dispose(ftd_fixture_t *f);

/* The canonical text of a loaded fixture (src/fixture_writer.c): the header
 * line, then one line per case, every line ending in '\n'. Keys in the order of
 * FORMAT.md, the scenario in its canonical encoding (ftd_scenario_encode),
 * words as "0x" + lowercase hex, key names as torch spells them, tolerances as
 * JSON reals that read back to the same double, and only the fields each
 * expectation names. load(serialize(f)) is f again field for field, so
 * serialize(load(serialize(f))) == serialize(f) byte for byte (the
 * fixture_parser fuzz target holds it to that). *text is malloc'd and
 * NUL-terminated (free it with free), *len excludes the NUL. 0, or -1 when
 * memory runs out or a case cannot be written (an invalid scenario, an
 * expectation field out of range). */
int ftd_fixture_serialize(const ftd_fixture_t *f, char **text, size_t *len);

/* Compares an observed dispatch outcome with an expectation: every field the
 * expectation names, under FTD_CMP_FIXTURE plus the field's own comparator. */
void ftd_compare_expectation(const ftd_expectation_t *e, const ftd_dispatch_outcome_t *observed, ftd_findings_t *f);

#ifdef __cplusplus
}
#endif

#endif
