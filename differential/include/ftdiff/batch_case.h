/* libftdiff — batch fixture lines: the torch oracle fixtures and other
 * JSON-lines cases of the batch interface (differential/BATCH.md), judged the
 * same way by ft-fixture-replay (through the real ft-dispatch binary) and by
 * ft-campaign (in process).
 *
 * A line is {"query": Q, "expect": A} with optional "match": "subset",
 * "tolerance": {"ulps": N, "rel": R} and "id": TEXT. The answer must equal A
 * field for field, recursively, except for "message" (free text, which A may
 * leave out); an expected error answer ({"error": CODE, ...}) is judged on the
 * fields A lists. With "subset", every field of A must be there with the same
 * value and the answer may have more. Arrays match element by element with the
 * same length. A tolerance loosens number texts under "value" and "grads":
 * equal, both NaN, within N ulps in the query's dtype, or (f64) within R
 * relative; everything else stays exact. */
#ifndef FTDIFF_BATCH_CASE_H
#define FTDIFF_BATCH_CASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Checks a parsed line completely (every field known and of its type). NULL
 * when it is a case; else why not (a static string, or `why`). */
const char *ftd_batch_case_invalid(const json_t *line, char *why, size_t cap);

/* Does `got` (an answer to the case's query) satisfy the case? The case must
 * have passed ftd_batch_case_invalid. */
bool ftd_batch_case_matches(const json_t *line, const json_t *got);

/* Where an answer that does not satisfy the case first parts from it: `buf`
 * (cap bytes) gets the path (".decision.route[2].kernel", "" for the whole
 * answer), `expected`/`observed` (text_cap bytes each) the two values there as
 * JSON texts ("null" where absent, "\"(too long)\"" when over text_cap). */
void ftd_batch_case_difference(const json_t *line, const json_t *got, char *buf, size_t cap, char *expected,
                               char *observed, size_t text_cap);

#ifdef __cplusplus
}
#endif

#endif
