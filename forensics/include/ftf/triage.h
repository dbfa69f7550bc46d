/* libftforensics — triage: the reason-code table, failure signatures and the
 * failure index `failure-index.json` (schema `ft-failure-index-v1`,
 * forensics/INDEX_FORMAT.md).
 *
 * Every failure (an event whose outcome is "fail" or "crash") gets a
 * normalised signature (SPEC §10):
 *
 *   differential/dispatch failure   class | reason | comparator | op | selected key | mode
 *   crash                           class | crash type | frame 1 | frame 2 | frame 3
 *
 * where class comes from the triage table (every libft status code, every
 * differential verdict, the comparator names and the crash types have an
 * entry; a reason code missing from the table is class "unknown_reason",
 * counted apart), absent fields are "-", crash types are lowercased and
 * stripped of access sizes, and frames are stripped of frame numbers,
 * addresses, offsets, line and column numbers and directories, so the same bug
 * at different addresses or builds lands in one bucket.
 *
 * The index reads one or many logs (shards, directories of logs), groups
 * failures into buckets by signature, and renders deterministic JSON: inputs
 * in path order, buckets by count (descending) then signature, member ids
 * sorted, no clock of its own. Allowlisted drifts (outcome "allowlisted") are
 * counted separately and never as failures. Damaged logs are indexed as far as
 * they are readable, and each file's damage report is part of the index.
 *
 * Events carry no wall clock, so "first seen" and "last seen" are by position:
 * the order (input file, run id, seq, member offset, offset), with files in
 * sorted path order. The representative of a bucket is its first-seen member.
 *
 * Speed: only candidate lines are parsed in full (ftf_record_peek decides the
 * rest: pass and skipped events are counted from a structural scan without
 * being validated; run headers, failures, allowlisted events and any line the
 * scan cannot decide are parsed and validated — on a second thread (POSIX
 * threads), fed in batches in log order, so the result is the same as with one
 * thread; if the thread cannot be started the work is done inline). */
#ifndef FTF_TRIAGE_H
#define FTF_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftf/event.h"
#include "ftf/log.h"
#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FTF_FAILURE_INDEX_SCHEMA "ft-failure-index-v1"

/* ---- the triage table ----------------------------------------------------- */

/* What a reason code is. */
typedef enum ftf_reason_kind {
    FTF_REASON_FT_STATUS = 0, /* "ft_status": a libft status code (ft_status_code) */
    FTF_REASON_VERDICT,       /* "verdict": a differential verdict */
    FTF_REASON_COMPARATOR,    /* "comparator": a comparator name or comparator mismatch code */
    FTF_REASON_CRASH_TYPE,    /* "crash_type": a normalised crash type */
    FTF_REASON_UNKNOWN        /* "unknown": not in the table */
} ftf_reason_kind_t;

const char *ftf_reason_kind_name(ftf_reason_kind_t kind);

typedef enum ftf_severity {
    FTF_SEVERITY_NONE = 0, /* "none": not a problem (pass, expected error) */
    FTF_SEVERITY_INFO,     /* "info": accepted (allowlisted drift) */
    FTF_SEVERITY_LOW,      /* "low" */
    FTF_SEVERITY_MEDIUM,   /* "medium" */
    FTF_SEVERITY_HIGH,     /* "high" */
    FTF_SEVERITY_CRITICAL  /* "critical": memory safety */
} ftf_severity_t;

const char *ftf_severity_name(ftf_severity_t severity);

/* One row of the table. Static storage. */
typedef struct ftf_triage_rule {
    const char *reason_code;
    ftf_reason_kind_t kind;
    const char *triage_class; /* never "unclassified" */
    ftf_severity_t severity;
    const char *owner; /* owner hint: a module path or team */
} ftf_triage_rule_t;

/* The class, severity and owner of reason codes the table does not know. */
#define FTF_TRIAGE_UNKNOWN_CLASS "unknown_reason"
extern const ftf_triage_rule_t ftf_triage_unknown_rule;

/* Rows of the table, in its order (grouped by kind). */
size_t ftf_triage_table_count(void);
const ftf_triage_rule_t *ftf_triage_table_at(size_t i); /* NULL past the end */

/* The rule for `reason_code` (`len` bytes), or NULL when the table has none.
 * Crash types are matched after ftf_triage_normalize_crash_type. */
const ftf_triage_rule_t *ftf_triage_lookup(const char *reason_code, size_t len);

/* ---- normalisation and signatures ---------------------------------------- */

/* Longest normalised frame, crash type or signature field (bytes, no NUL);
 * longer text is cut. */
#define FTF_SIG_FIELD_MAX  128
#define FTF_SIG_FIELD_SIZE (FTF_SIG_FIELD_MAX + 1)
#define FTF_SIG_FRAMES     3

/* One stack frame without frame number ("#3"), addresses ("0x7f..."),
 * module offsets ("+0x1a"), "in", parentheses, line and column numbers
 * (":123:5") and directories ("/src/lib/keyset.c" -> "keyset.c"); words joined
 * by one space. Writes at most FTF_SIG_FIELD_MAX bytes and a NUL into `out`
 * (FTF_SIG_FIELD_SIZE bytes); returns the length (0: nothing left). Example:
 * "#0 0x4f5a3b in ft_keyset_parse /src/lib/keyset.c:123:5" ->
 * "ft_keyset_parse keyset.c". */
size_t ftf_triage_normalize_frame(const char *frame, size_t len, char out[FTF_SIG_FIELD_SIZE]);

/* A crash type as the table knows it: first line only, lowercased, without
 * parenthesised details, access kinds and sizes ("READ 4"), words joined by
 * '-': "Heap-buffer-overflow READ 4" -> "heap-buffer-overflow",
 * "Out-of-memory (malloc(4096))" -> "out-of-memory", "SEGV on unknown address"
 * -> "segv-on-unknown-address". Returns the length. */
size_t ftf_triage_normalize_crash_type(const char *type, size_t len, char out[FTF_SIG_FIELD_SIZE]);

/* A failure's signature. Absent fields are "-". */
typedef struct ftf_signature {
    bool crash;                    /* crash signature (outcome "crash" or a fuzz crash type) */
    const ftf_triage_rule_t *rule; /* the table's row, or &ftf_triage_unknown_rule */
    bool known_reason;             /* false when the rule is the unknown fallback */
    char reason_code[FTF_SIG_FIELD_SIZE];
    char comparator[FTF_SIG_FIELD_SIZE];
    char op[FTF_SIG_FIELD_SIZE];
    char selected_key[FTF_SIG_FIELD_SIZE];
    char mode[FTF_SIG_FIELD_SIZE];
    char crash_type[FTF_SIG_FIELD_SIZE];
    char frames[FTF_SIG_FRAMES][FTF_SIG_FIELD_SIZE];
} ftf_signature_t;

/* The signature of a failure event (works for any event; the index only asks
 * for failures). For a crash (outcome crash, or a fuzz group with a crash
 * type) the rule is looked up by crash type first, then by reason code; frames
 * are the first three non-empty normalised lines of crash_state. FTF_OK, or
 * FTF_EINVALID_ARGUMENT for NULL. */
ftf_status ftf_triage_signature(const ftf_event_t *ev, ftf_signature_t *sig);

/* The signature as one line: its fields joined by '|' (see the top of this
 * file). snprintf contract; returns the full length. */
size_t ftf_signature_format(const ftf_signature_t *sig, char *buf, size_t cap);

/* ---- the failure index ---------------------------------------------------- */

typedef struct ftf_index_options {
    size_t member_cap;    /* scenario ids listed per bucket; default 100; 0: the default */
    bool validate_passes; /* parse every event in full, passes too (slow; for auditing) */
} ftf_index_options_t;

#define FTF_INDEX_OPTIONS_INIT                                                                                         \
    { 100, false }

typedef struct ftf_failure_index ftf_failure_index_t;

/* Expands `paths` (files, and directories searched recursively for regular
 * files whose names end in ".gz", symlinks not followed, hidden entries
 * skipped), sorts and de-duplicates them, reads every log and builds the index
 * in *out. Unreadable or damaged inputs are recorded in the index, not
 * errors. Errors: FTF_EINVALID_ARGUMENT (NULL, no paths), FTF_ENOT_FOUND (a
 * path that does not exist; nothing is built), FTF_EIO (a directory that
 * cannot be listed), FTF_ENOMEM. */
ftf_status ftf_failure_index_build(const char *const *paths, size_t count, const ftf_index_options_t *opts,
                                   ftf_failure_index_t **out);

void ftf_failure_index_free(ftf_failure_index_t *idx);

/* The log files `paths` name: files as given, directories searched
 * recursively for regular files whose names end in ".gz" (symlinks not
 * followed, hidden entries skipped); sorted bytewise and de-duplicated. *out is
 * a new array of new strings (free with ftf_triage_paths_free). Errors:
 * FTF_EINVALID_ARGUMENT, FTF_ENOT_FOUND (a path that does not exist),
 * FTF_EIO (a directory that cannot be listed), FTF_ELIMIT (directories nested
 * over 32 deep), FTF_ENOMEM. */
ftf_status ftf_triage_expand_paths(const char *const *paths, size_t count, char ***out, size_t *n);
void ftf_triage_paths_free(char **paths, size_t n);

/* Totals over every input. */
typedef struct ftf_index_totals {
    uint64_t files, damaged_files;
    uint64_t records, run_headers, events;
    uint64_t pass, fail, crash, allowlisted, skipped;
    uint64_t failures; /* fail + crash */
    uint64_t buckets;
    uint64_t unknown_reason_failures; /* failures whose reason code has no table entry */
    uint64_t invalid_records;         /* lines a full parse rejected (not counted above) */
} ftf_index_totals_t;

void ftf_failure_index_totals(const ftf_failure_index_t *idx, ftf_index_totals_t *out);

/* One bucket, borrowed from the index (valid until it is freed). */
typedef struct ftf_bucket_info {
    const char *bucket_id; /* "b-" + 16 hex of SipHash-1-3 over the signature line */
    const char *signature; /* ftf_signature_format */
    const ftf_signature_t *sig;
    uint64_t count;                    /* failures */
    uint64_t scenarios;                /* distinct scenario ids */
    unsigned modes;                    /* bit 0 strict, bit 1 hardened */
    const char *representative;        /* scenario id */
    const char *representative_replay; /* its replay command, as logged (never executed) */
    const char *representative_file;
    ftf_log_pos_t representative_pos;
} ftf_bucket_info_t;

size_t ftf_failure_index_bucket_count(const ftf_failure_index_t *idx);
/* Bucket `i` in output order. FTF_EINVALID_ARGUMENT when out of range. */
ftf_status ftf_failure_index_bucket_at(const ftf_failure_index_t *idx, size_t i, ftf_bucket_info_t *out);

/* Rendering flags. */
#define FTF_INDEX_JSON_COMPACT 0x1u /* one line instead of 2-space indentation */

/* Appends the index as JSON (INDEX_FORMAT.md) to `out`, with a trailing
 * newline. Same inputs, same bytes. FTF_ENOMEM. */
ftf_status ftf_failure_index_render(const ftf_failure_index_t *idx, unsigned flags, ftf_buf_t *out);

/* Renders and writes the index to `path` atomically (temporary + rename).
 * FTF_EIO, FTF_ENOMEM. */
ftf_status ftf_failure_index_write(const ftf_failure_index_t *idx, const char *path);

#ifdef __cplusplus
}
#endif

#endif
