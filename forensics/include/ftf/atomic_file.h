/* libftforensics — the one way files other than logs are written: atomically.
 *
 * Locators, failure indexes and reports are replaced whole: the data goes to a
 * temporary file beside the target (same directory, so rename is atomic), which
 * is fsync'ed, renamed over the target, and then the directory is fsync'ed so the
 * rename itself survives a power loss. A reader sees the old file or the new one,
 * never a mix; a crash leaves at most a `<path>.tmp.<pid>` file behind.
 *
 * Thread-safety: safe from several threads for different paths. */
#ifndef FTF_ATOMIC_FILE_H
#define FTF_ATOMIC_FILE_H

#include <stddef.h>

#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Replaces `path` with data[0..len). FTF_OK, FTF_EINVALID_ARGUMENT (NULL),
 * FTF_ENOMEM, or FTF_EIO with errno set by the step that failed (create, write,
 * fsync, rename) — callers print strerror(errno); on failure the target is
 * untouched and the temporary file removed. */
ftf_status ftf_file_write_atomic(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
