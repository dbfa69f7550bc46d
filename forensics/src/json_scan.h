/* Private: the one JSON scanner of libftforensics, for lines that must not pay
 * for a parse. Two jobs:
 *
 *   ftfp_json_skip_*   find where a value ends in text that is already known to
 *                      be JSON (a record that was written by the renderer or
 *                      will be parsed in full when it matters): fast, memchr
 *                      for strings, no validation beyond bracket balance;
 *   ftfp_json_check    decide whether text is exactly one JSON value, as
 *                      jansson would accept it with JSON_REJECT_DUPLICATES
 *                      (RFC 8259 grammar, strings in valid UTF-8, no \u0000, no
 *                      lone surrogate escapes, no duplicate keys), nesting
 *                      bounded, no allocation.
 *
 * Both take [p, end) and never read outside it. */
#ifndef FTF_JSON_SCAN_H
#define FTF_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* p after optional whitespace. */
const char *ftfp_json_skip_ws(const char *p, const char *end);

/* p at an opening quote: the byte after the closing quote, or NULL when the
 * string does not end. A quote after an odd run of backslashes is escaped. */
const char *ftfp_json_skip_string(const char *p, const char *end);

/* p at the first byte of a value (no leading whitespace): the byte after it —
 * strings, bracketed values (balanced), or scalars (up to a delimiter). NULL
 * when a string or bracket does not close. */
const char *ftfp_json_skip_value(const char *p, const char *end);

/* Deepest nesting ftfp_json_check accepts (jansson's own default is 2048). */
#define FTFP_JSON_MAX_DEPTH 256

/* 1 when [p, end) is one JSON value with optional surrounding whitespace, 0
 * when it is not; -1 when it is but duplicate keys could not be ruled out
 * without allocating (an object of more than 16 keys, or an escaped key): the
 * caller then asks a parser. */
int ftfp_json_check(const char *p, const char *end);

#endif
