/* libftforensics — side artifacts: bulky data a log record refers to instead of
 * holding (forensics/FORMAT.md §2).
 *
 * A record must fit one log member (FTF_RECORD_MAX_LEN). What does not — a
 * backward's order and gradients over thousands of nodes, a large scenario, a
 * fuzz input over a size bound — goes into a file of an artifact store and the
 * record carries its reference (`artifact_refs`, `input_ref`, or a stub object
 * in place of a raw JSON member). The log writer does this by itself for events
 * too large for a member; the campaign, fuzzers and replay use the same store.
 *
 * A store is a directory of content-addressed files, `<sha1 of content>.<ext>`,
 * each written atomically (ftf_file_write_atomic: temporary file, fsync,
 * rename, fsync of the directory) before the caller writes the record that
 * refers to it, so a reference in the log always names a whole file, whatever
 * the writer's sync policy and however it died. Storing the same bytes twice
 * writes one file. A log's default store is the directory `<log>.artifacts/`
 * beside it, and its references are relative to the log's directory
 * (`run.log.gz.artifacts/<sha1>.json`), so a log and its artifacts move
 * together.
 *
 * Thread-safety: a store is used by one thread at a time; ftf_artifact_read is
 * pure. */
#ifndef FTF_ARTIFACT_H
#define FTF_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>

#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ftf_artifact_store ftf_artifact_store_t;

/* The default store of the log at `log_path`: directory `<log_path>.artifacts`,
 * references `<basename of log_path>.artifacts/<name>`. The directory is made
 * on the first put, not here. Errors: FTF_EINVALID_ARGUMENT (NULL or empty),
 * FTF_ENOMEM. */
ftf_status ftf_artifact_store_for_log(const char *log_path, ftf_artifact_store_t **out);

/* A store in directory `dir` whose references are `dir` + "/" + name, as given
 * (so give an absolute path, or one relative to the directory the log will be
 * read from). Made on the first put. Errors as above. */
ftf_status ftf_artifact_store_open(const char *dir, ftf_artifact_store_t **out);

/* NULL is a no-op. Never removes files. */
void ftf_artifact_store_free(ftf_artifact_store_t *s);

/* The store's directory (borrowed, for messages). */
const char *ftf_artifact_store_dir(const ftf_artifact_store_t *s);

/* What every reference of the store starts with (borrowed): a reference is
 * this + `<sha1>.<ext>`, so its length is known before the put. */
const char *ftf_artifact_store_ref_prefix(const ftf_artifact_store_t *s);

/* Stores data[0 .. len) as `<sha1>.<ext>` (`ext`: 1..15 characters of
 * [a-z0-9], e.g. "json", "bin"), unless a file of that name and size is
 * already there. `ref` (may be NULL) is cleared and receives the reference;
 * `sha1_hex` (may be NULL) the content's SHA-1. Errors: FTF_EINVALID_ARGUMENT,
 * FTF_ENOMEM, FTF_EIO (mkdir, write, fsync or rename failed; errno set; a
 * message is in ftf_artifact_store_errmsg). A failed put changes nothing on
 * disk but possibly the new, empty directory. */
ftf_status ftf_artifact_put(ftf_artifact_store_t *s, const void *data, size_t len, const char *ext, ftf_buf_t *ref,
                            char sha1_hex[FTF_SHA1_HEX_SIZE]);

/* The last put's error as one line ("" when none). Valid until the next call. */
const char *ftf_artifact_store_errmsg(const ftf_artifact_store_t *s);

/* Files written (puts that found the file already there are not counted). */
size_t ftf_artifact_store_written(const ftf_artifact_store_t *s);

/* True when `ref` has the shape of a reference this module makes: it ends in
 * `<40 lowercase hex>.<ext>`, is not empty, and has no "." or ".." path
 * component and no NUL byte. Tools check this before touching the file
 * system with a reference read from an untrusted log. */
bool ftf_artifact_ref_valid(const char *ref);

/* Reads the artifact `ref` of the log at `log_path` (a relative ref is resolved
 * against the log's directory; an absolute one is used as is) into *data
 * (malloc; free with free; NUL-terminated for convenience, `*len` excludes it)
 * and checks that its SHA-1 is the one in its name. Errors:
 * FTF_EINVALID_ARGUMENT (not ftf_artifact_ref_valid), FTF_ENOT_FOUND (no such
 * file), FTF_EIO, FTF_ENOMEM, FTF_ECORRUPT (content does not match the name). */
ftf_status ftf_artifact_read(const char *log_path, const char *ref, char **data, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
