/* libftforensics — the locator sidecar `<log>.ftidx` (forensics/INDEX_FORMAT.md).
 *
 * A locator maps scenario ids to the records of one log: for every event it
 * holds (member offset, offset in member, length, outcome, mode, seq), sorted
 * by scenario id and then by position, in fixed-size little-endian entries
 * with a string table of ids, so one lookup is a binary search over a mapped
 * file: milliseconds in a million-event log, whatever the log's size.
 *
 * Several records may share a scenario id (both modes of a generated
 * scenario, reruns, appended runs): a lookup returns all of them, in log order.
 *
 * The header binds the locator to its log: the log's size, SipHash-1-3 of its
 * first member (which holds the run header, so it names the log; appending or
 * truncating later members leaves it alone) and of its last 64 KiB. A locator
 * whose log has a different first member is *foreign* (FTF_EFOREIGN_INDEX:
 * written for another log); same first member but a different size or tail is
 * *stale* (FTF_ESTALE_INDEX: the log was appended to, truncated or rewritten
 * since; a log truncated inside its first member is stale too). Both are cheap to check on every open. A
 * change in the middle of the log with the same size and ends is caught by
 * ftf_locator_verify (a full rebuild compared by hash), which `ft-forensics
 * verify` runs.
 *
 * The locator is written once the log is closed: either the writer's owner
 * feeds a builder as it writes (ftf_locator_builder_add with the positions
 * ftf_log_write_event returns) and calls ftf_locator_builder_write after
 * ftf_log_writer_close, or anyone rebuilds it from the log alone
 * (ftf_locator_build_from_log, `ft-forensics reindex`). Both give the same
 * bytes for the same log: nothing in the file depends on how it was built. Files are replaced atomically (temporary +
 * rename). */
#ifndef FTF_LOCATOR_H
#define FTF_LOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"
#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Format version of the .ftidx file (INDEX_FORMAT.md). */
#define FTF_LOCATOR_VERSION 1
/* Sidecar name: the log's path with this appended. */
#define FTF_LOCATOR_SUFFIX ".ftidx"
/* Bytes hashed at the end of the log for the freshness check (and the
 * largest head: a member is at most 64 KiB). */
#define FTF_LOCATOR_HASH_SPAN 65536u
/* Most entries a locator holds (entries are addressed with 32 bits). */
#define FTF_LOCATOR_MAX_ENTRIES UINT32_MAX

/* An outcome or mode byte that names none of the known values. */
#define FTF_LOCATOR_UNKNOWN 0xffu
/* A seq that the record did not give as a plain integer. */
#define FTF_LOCATOR_NO_SEQ UINT64_MAX

/* ---- a cheap look at a record line --------------------------------------- */

/* The top-level fields of a record line that the locator, the failure index and
 * `ft-forensics cat` filter on, found without building a JSON tree. Strings
 * point into the line and are NOT NUL-terminated (ptr + len); a NULL ptr means
 * the field is absent. `escaped` fields hold JSON escapes and must be decoded
 * (ftf_record_peek then reports FTF_PEEK_UNDECIDED). */
typedef struct ftf_record_fields {
    const char *record, *scenario_id, *outcome, *mode, *reason_code, *run_id;
    size_t record_len, scenario_id_len, outcome_len, mode_len, reason_code_len, run_id_len;
    uint64_t seq; /* FTF_LOCATOR_NO_SEQ when absent or not a plain integer */
} ftf_record_fields_t;

typedef enum ftf_peek_result {
    FTF_PEEK_OK = 0,        /* every field wanted was found (or is absent) unambiguously */
    FTF_PEEK_UNDECIDED = 1, /* escapes in a key or a wanted value, a duplicate wanted key, or a
                               line the scanner cannot follow: parse it fully instead */
    FTF_PEEK_NOT_OBJECT = 2 /* certainly not a JSON object (the reader's shape check already
                               rejects these; kept for buffers from elsewhere) */
} ftf_peek_result_t;

/* Bits of `want` for ftf_record_peek. */
#define FTF_PEEK_RECORD      0x01u
#define FTF_PEEK_SCENARIO_ID 0x02u
#define FTF_PEEK_OUTCOME     0x04u
#define FTF_PEEK_MODE        0x08u
#define FTF_PEEK_REASON_CODE 0x10u
#define FTF_PEEK_RUN_ID      0x20u
#define FTF_PEEK_SEQ         0x40u
#define FTF_PEEK_ALL         0x7fu

/* Scans the top level of `line` (`len` bytes) for the fields in `want`,
 * skipping every other value (strings, nested objects and arrays) without
 * decoding it, and stops as soon as all wanted fields are seen. Sound for any
 * valid JSON object: a value is only reported when its key and text hold no
 * escapes, so the bytes are the value; anything else is UNDECIDED, never a
 * guess. Lines are trusted to be valid JSON only as far as the log reader's
 * shape check goes: on a line that is not, the result is UNDECIDED or fields
 * the full parser would reject — callers that count records parse those
 * fields' records fully when it matters (failures). No allocation. */
ftf_peek_result_t ftf_record_peek(const char *line, size_t len, unsigned want, ftf_record_fields_t *out);

/* ---- building ------------------------------------------------------------ */

typedef struct ftf_locator_builder ftf_locator_builder_t;

/* A new, empty builder in *out. FTF_EINVALID_ARGUMENT, FTF_ENOMEM. */
ftf_status ftf_locator_builder_new(ftf_locator_builder_t **out);
void ftf_locator_builder_free(ftf_locator_builder_t *b);

/* Adds one event record: its scenario id (`id_len` bytes, must pass
 * ftf_scenario_id_classify), where it is, its outcome and mode
 * (FTF_LOCATOR_UNKNOWN when not one of the known values) and seq
 * (FTF_LOCATOR_NO_SEQ if none). Records may come in any order. Errors:
 * FTF_EINVALID_SCENARIO_ID, FTF_EINVALID_ARGUMENT (NULL, or offset/length over
 * a member's size), FTF_ELIMIT (over FTF_LOCATOR_MAX_ENTRIES), FTF_ENOMEM. */
ftf_status ftf_locator_builder_add(ftf_locator_builder_t *b, const char *scenario_id, size_t id_len,
                                   const ftf_log_pos_t *pos, unsigned outcome, unsigned mode, uint64_t seq);

/* Adds a record line read from the log at `pos` (ftf_record_peek, falling
 * back to a full parse when undecided). Run headers and lines that are no
 * valid event with a valid scenario id are not indexed: returns FTF_OK and sets
 * *indexed (may be NULL) to false. Errors: FTF_ENOMEM, FTF_ELIMIT. */
ftf_status ftf_locator_builder_add_line(ftf_locator_builder_t *b, const char *line, size_t len,
                                        const ftf_log_pos_t *pos, bool *indexed);

/* Number of entries added. */
size_t ftf_locator_builder_count(const ftf_locator_builder_t *b);

/* Writes the sidecar for the (closed) log at `log_path` to `index_path` (NULL:
 * log_path + FTF_LOCATOR_SUFFIX), atomically. The header binds it to the log
 * as it is now. The builder can be written again (e.g. to another path).
 * Errors: FTF_EIO (log missing, write/rename failed), FTF_ENOMEM,
 * FTF_EINVALID_ARGUMENT. */
ftf_status ftf_locator_builder_write(ftf_locator_builder_t *b, const char *log_path, const char *index_path);

/* What a rebuild saw. */
typedef struct ftf_locator_build_stats {
    uint64_t records; /* records the reader returned */
    uint64_t entries; /* events indexed */
    uint64_t skipped; /* run headers and records without a valid event/scenario id */
    bool damaged;     /* the log reader reported damage (the locator covers what was readable) */
} ftf_locator_build_stats_t;

/* Reads the whole log at `log_path` and writes its locator to `index_path`
 * (NULL: the default sidecar). What the owner of a log writer calls after
 * ftf_log_writer_close when it did not keep a builder, and what `reindex`
 * does. A damaged log is indexed as far as it is readable (`report`, may be
 * NULL, says what the reader skipped; `stats` may be NULL). Errors: FTF_EIO
 * (the log cannot be opened, or the write failed), FTF_ENOMEM, FTF_ELIMIT. */
ftf_status ftf_locator_build_from_log(const char *log_path, const char *index_path, ftf_locator_build_stats_t *stats,
                                      ftf_log_report_t *report);

/* ---- loading and lookup -------------------------------------------------- */

typedef struct ftf_locator ftf_locator_t;

/* Flags of ftf_locator_open. */
#define FTF_LOCATOR_OPEN_NO_CHECK 0x1u /* do not compare with the log (inspection only) */

/* Maps `index_path` (NULL: log_path + FTF_LOCATOR_SUFFIX) and checks its
 * header and layout, then (unless FTF_LOCATOR_OPEN_NO_CHECK) that it belongs
 * to the log at `log_path` as it is now. Returns a new locator in *out, or:
 *   FTF_ENOT_FOUND             no sidecar file
 *   FTF_ECORRUPT               not a locator, or inconsistent sizes/offsets
 *   FTF_EUNSUPPORTED_VERSION   a locator of another format version
 *   FTF_EFOREIGN_INDEX         written for another log (head hash differs)
 *   FTF_ESTALE_INDEX           the log changed since (size or tail hash differs)
 *   FTF_EIO                    the log or sidecar cannot be read
 *   FTF_ENOMEM, FTF_EINVALID_ARGUMENT. */
ftf_status ftf_locator_open(const char *log_path, const char *index_path, unsigned flags, ftf_locator_t **out);

void ftf_locator_free(ftf_locator_t *loc);

/* One entry. `scenario_id` is a NUL-terminated copy. */
typedef struct ftf_locator_entry {
    char scenario_id[FTF_SCENARIO_ID_SIZE];
    ftf_log_pos_t pos;
    unsigned outcome; /* ftf_outcome_t value, or FTF_LOCATOR_UNKNOWN */
    unsigned mode;    /* ft_mode_t value, or FTF_LOCATOR_UNKNOWN */
    uint64_t seq;     /* or FTF_LOCATOR_NO_SEQ */
} ftf_locator_entry_t;

/* Number of entries. */
size_t ftf_locator_count(const ftf_locator_t *loc);

/* Entry `i` (0 .. count-1, in sorted order). FTF_EINVALID_ARGUMENT for an out
 * of range index, FTF_ECORRUPT for an entry whose id lies outside the string
 * table (checked on access, since open does not read every entry). */
ftf_status ftf_locator_entry_at(const ftf_locator_t *loc, size_t i, ftf_locator_entry_t *out);

/* Finds every entry of `scenario_id` (NUL-terminated): on FTF_OK, entries
 * *first .. *first + *count - 1 are its records in log order (*count >= 1).
 * FTF_ENOT_FOUND when there is none, FTF_EINVALID_SCENARIO_ID for an id that is
 * not one of the three shapes, FTF_ECORRUPT for a damaged table. */
ftf_status ftf_locator_find(const ftf_locator_t *loc, const char *scenario_id, size_t *first, size_t *count);

/* Header fields, for reports. */
typedef struct ftf_locator_info {
    uint32_t version;
    uint64_t log_size;
    uint64_t head_len; /* bytes of the log the head hash covers (its first member) */
    uint64_t head_hash, tail_hash;
    uint64_t entries;
    uint64_t ids; /* distinct scenario ids */
    uint64_t table_hash;
} ftf_locator_info_t;

void ftf_locator_info(const ftf_locator_t *loc, ftf_locator_info_t *out);

/* Freshness of the sidecar of `log_path` without keeping it open: FTF_OK when
 * it exists and matches, else what ftf_locator_open returns. */
ftf_status ftf_locator_check(const char *log_path, const char *index_path);

/* Full check: rebuilds the locator of `log_path` in memory and compares its
 * table hash and counts with the sidecar's. FTF_OK when equal,
 * FTF_ESTALE_INDEX when they differ, otherwise what ftf_locator_open returns. */
ftf_status ftf_locator_verify(const char *log_path, const char *index_path);

#ifdef __cplusplus
}
#endif

#endif
