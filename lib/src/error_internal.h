/* Private: filling ft_error_t records (the per-object last error, ft/status.h). */
#ifndef FT_ERROR_INTERNAL_H
#define FT_ERROR_INTERNAL_H

#include "ft/status.h"

/* Room for a caller's name quoted in a message by ftp_error_name. */
#define FTP_ERROR_NAME_BUF 72

/* Sets *err to `code` and the formatted one-line message (cut to fit); err may be
 * NULL. Returns `code`, so a failing path can `return ftp_error_set(...)`. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
ft_status
ftp_error_set(ft_error_t *err, ft_status code, const char *fmt, ...);

/* Resets a record to "no error". */
void ftp_error_clear(ft_error_t *err);

/* A caller-supplied name made fit for a one-line message: at most 64 bytes
 * (then "..."), every byte outside printable ASCII shown as '?'. NULL reads
 * "(null)". Returns buf. */
const char *ftp_error_name(const char *name, char buf[FTP_ERROR_NAME_BUF]);

#endif
