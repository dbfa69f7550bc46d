/* ft-dispatch's JSON-lines query interface, as a library so tests and the campaign
 * can drive it in-process as well as through the binary.
 *
 * Each query is one JSON object; each answer is one JSON object. Answers never
 * abort the stream: a bad query is answered {"error": CODE, "message": TEXT}.
 * Query kinds and answer shapes are documented in differential/BATCH.md. */
#ifndef FTDIFF_DISPATCH_BATCH_H
#define FTDIFF_DISPATCH_BATCH_H

#include <jansson.h>
#include <stdio.h>

#include "ft/ft.h"

/* Longest accepted query line, in bytes (newline excluded). */
#define FTD_BATCH_MAX_LINE (1u << 20)

typedef struct ftd_batch ftd_batch_t;

/* New query context with the built-in operators. NULL when out of memory. */
ftd_batch_t *ftd_batch_new(void);
void ftd_batch_free(ftd_batch_t *b);

/* The registry queries run against (borrowed). */
const ft_registry_t *ftd_batch_registry(const ftd_batch_t *b);

/* Answers one query object. Returns a new reference, never NULL except when out
 * of memory. */
json_t *ftd_batch_answer(ftd_batch_t *b, const json_t *query);

/* Answers one line of text (not NUL-terminated, no newline). */
json_t *ftd_batch_answer_line(ftd_batch_t *b, const char *line, size_t len);

/* Reads JSON lines from `in` until EOF, writes one compact answer line per
 * non-blank input line to `out`, flushing after each. Lines longer than
 * FTD_BATCH_MAX_LINE are answered with "line_too_long" and skipped. Returns the
 * number of answers that were errors, or -1 if writing failed. */
long ftd_batch_run(ftd_batch_t *b, FILE *in, FILE *out);

/* Keyset fields of an answer: raw, repr, highest_type, highest_type_id,
 * highest_backend_type. New reference. */
json_t *ftd_keyset_json(ft_keyset_t ks);

/* A dispatch decision as JSON (SPEC §6 fields). New reference. */
json_t *ftd_decision_json(const ft_decision_t *d);

#endif
