/* ft-dispatch's JSON-lines query interface, as a library so tests and the campaign
 * can drive it in-process as well as through the binary.
 *
 * Each query is one JSON object; each answer is one JSON object. Answers never
 * abort the stream: a bad query is answered {"error": CODE, "message": TEXT}, the
 * message always valid UTF-8 whatever bytes the query held. A field the query kind
 * does not know is an error ("unknown_field") unless allowed.
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

/* Unknown fields (at the top level and inside operands, leaves and program steps)
 * are answered "unknown_field" by default, so a typo cannot pass as an absent
 * field. allow = true ignores them instead (forward compatibility: a newer
 * client's extra fields). */
void ftd_batch_allow_unknown_fields(ftd_batch_t *b, bool allow);

/* Answers one query object. Returns a new reference; NULL only when memory ran
 * out (a malformed query is an error answer, never NULL). */
json_t *ftd_batch_answer(ftd_batch_t *b, const json_t *query);

/* Answers one line of text (not NUL-terminated, no newline; any bytes). Same
 * NULL rule as ftd_batch_answer. */
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

/* Caller bytes s[0..n) as a JSON string, made valid UTF-8 by the project's one
 * rule (ft_utf8_repair, ft/json_text.h), so jansson never refuses it. New
 * reference; NULL only when out of memory. */
json_t *ftd_json_text(const char *s, size_t n);

#endif
