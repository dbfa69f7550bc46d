/* libft — the project's one rule for putting caller bytes into JSON text.
 *
 * Strings that reach a log, a ledger line or an error message come from callers
 * (operator and kernel names, file names, lines read from a pipe) and need not be
 * UTF-8. JSON text must be. Every writer in the project (libft's evidence JSON,
 * forensics' event renderer and failure index, the batch interface's messages)
 * applies this rule through these functions, so a byte is never dropped and the
 * output is always valid UTF-8:
 *
 *   - a valid UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF — what
 *     jansson accepts) is kept as it is, never escaped;
 *   - each byte that is not part of one is read as Latin-1: byte 0xXY becomes
 *     the character U+00XY (in a JSON string literal the escape `\u00xy`).
 *
 * Because valid non-ASCII text is never escaped, a `\u0080`..`\u00ff` escape in
 * output from ft_json_string always stands for one raw invalid byte, so the raw
 * bytes can be recovered from the JSON text. Strings are taken with a length, so
 * embedded NUL bytes are kept (as `\u0000`) rather than ending the string.
 *
 * Thread-safety: pure functions, no state. */
#ifndef FT_JSON_TEXT_H
#define FT_JSON_TEXT_H

#include "ft/common.h"

FT_BEGIN_DECLS

/* Length (2..4) of the valid UTF-8 sequence starting at s[0], a byte >= 0x80,
 * reading at most `avail` bytes; 0 when s[0] does not start one (then it is an
 * invalid byte under the rule above). Never reads past s[avail - 1]. */
FT_API size_t ft_utf8_seq_len(const unsigned char *s, size_t avail);

/* True when s[0..n) is valid UTF-8 (NUL bytes count as valid). */
FT_API bool ft_utf8_valid(const char *s, size_t n);

/* Writes s[0..n) as a JSON string literal, quotes included: `"` and `\` escaped,
 * control characters as \n \t \r \b \f or \u00xx, U+007F as \u007f, invalid bytes by
 * the rule above. snprintf semantics: writes at most cap bytes including a
 * terminating NUL (when cap > 0) and returns the length the whole literal needs
 * (excluding the NUL); a cut result is not meaningful — size the buffer from the
 * return value. s may be NULL only when n == 0. */
FT_API size_t ft_json_string(const char *s, size_t n, char *buf, size_t cap);

/* Copies s[0..n) to buf as valid UTF-8 by the same rule (each invalid byte becomes
 * the two-byte encoding of U+00XY; a NUL byte becomes U+2400 SYMBOL FOR NULL so
 * the result stays one C string). For messages handed to JSON libraries that demand
 * UTF-8 (jansson's json_pack "s"). snprintf semantics as above; the copy is cut only
 * at a character boundary, so a truncated result is still valid UTF-8. */
FT_API size_t ft_utf8_repair(const char *s, size_t n, char *buf, size_t cap);

FT_END_DECLS

#endif
