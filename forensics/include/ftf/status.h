/* libftforensics — error codes.
 *
 * Every fallible ftf_ function returns an ftf_status: FTF_OK (0) or a negative
 * code. Each code has a stable reason-code string (ftf_status_code, e.g.
 * "bad_record") that reports, `--json` output and tests use, and a one-line
 * English message (ftf_strerror). The numeric values are part of the ABI:
 * append, never renumber. */
#ifndef FTF_STATUS_H
#define FTF_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ftf_status {
    FTF_OK = 0,
    FTF_EINVALID_ARGUMENT = -1,     /* "invalid_argument": NULL, out of range, malformed input value */
    FTF_ENOMEM = -2,                /* "out_of_memory" */
    FTF_EIO = -3,                   /* "io_error": open/read/write/fsync/rename failed (see errno) */
    FTF_ENOT_FOUND = -4,            /* "not_found": no such scenario, file or record */
    FTF_ECORRUPT = -5,              /* "corrupt": bad gzip member, CRC or size mismatch, bad header */
    FTF_ETRUNCATED = -6,            /* "truncated": input ends inside a member or structure */
    FTF_EBAD_RECORD = -7,           /* "bad_record": not JSON, not an object, wrong types, missing or
                                       unknown fields, invalid values */
    FTF_ELINE_TOO_LONG = -8,        /* "line_too_long": a record longer than the reader's bound */
    FTF_ESTALE_INDEX = -9,          /* "stale_index": the locator no longer matches its log */
    FTF_EFOREIGN_INDEX = -10,       /* "foreign_index": the locator was written for another log */
    FTF_EUNSUPPORTED_VERSION = -11, /* "unsupported_version": unknown schema or format version */
    FTF_EINVALID_SCENARIO_ID = -12, /* "invalid_scenario_id": not one of the three id shapes */
    FTF_ELIMIT = -13                /* "limit_exceeded": a count or size is over a documented limit */
} ftf_status;

/* Lowest (most negative) code; codes run from FTF_STATUS_MIN to FTF_OK. */
#define FTF_STATUS_MIN FTF_ELIMIT

/* Stable reason-code string ("ok", "bad_record", ...); "invalid_status" for a
 * value that is not an ftf_status. Never NULL, static storage. */
const char *ftf_status_code(ftf_status status);

/* One-line human message. Never NULL, static storage. */
const char *ftf_strerror(ftf_status status);

/* Inverse of ftf_status_code. Returns FTF_EINVALID_ARGUMENT if `code` names no
 * status or an argument is NULL (and leaves *out untouched). */
ftf_status ftf_status_from_code(const char *code, ftf_status *out);

#ifdef __cplusplus
}
#endif

#endif
