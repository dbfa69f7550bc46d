/* libftforensics — the `ft-forensics-v1` records (SPEC §10, forensics/DESIGN.md).
 *
 * A log line is one JSON object. Two kinds, told apart by the `record` field:
 *
 *   "run"    the run header, the first record a writer emits: run id, start time
 *            (the only wall-clock value in a log), argv, versions, env
 *            fingerprint, run seed;
 *   "event"  one scenario's outcome: the common fields, then the optional
 *            dispatch, differential, scenario and fuzz groups.
 *
 * Keys always come in the order of DESIGN.md; absent groups are omitted. `seed`,
 * `keyset_bits` and `run_seed` are hex strings ("0x" + lowercase digits, no
 * leading zeros) because jq rounds integers above 2^53.
 *
 * Rendering (ftf_event_render, ftf_run_header_render) writes one line without
 * a newline into a caller's buffer, snprintf-style, with no allocation and no
 * JSON library: it is on the log writer's hot path. Parsing (ftf_event_parse,
 * ftf_record_parse) takes an untrusted line, checks it with jansson (duplicate
 * keys rejected, UTF-8 checked, nesting bounded) and then field by field; every
 * rejection has a status and a stable reason (ftf_parse_error_t). Parsed
 * strings point into a caller-owned ftf_event_storage_t, reused across lines.
 *
 * render(parse(render(e))) == render(e), byte for byte, for events whose
 * strings are UTF-8 (an invalid byte renders as an escape and parses back as
 * the character it stands for; ft/json_text.h): raw JSON members
 * (expected, observed, scenario) are kept as the exact bytes of the line. */
#ifndef FTF_EVENT_H
#define FTF_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/dispatch.h"
#include "ft/session.h"
#include "ftf/ids.h"
#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FTF_SCHEMA_VERSION "ft-forensics-v1"

/* Longest record line (without its newline) that ftf_event_parse accepts: a
 * line and its newline fill at most one 64 KiB log member, so records never
 * straddle members. Callers bound their reads by this. */
/* The longest record a log member can hold with its newline: FORMAT.md's
 * member data limit (65,280 bytes) minus one. Kept equal to
 * FTF_LOG_MEMBER_DATA_MAX - 1 in ftf/log.h (log_writer.c asserts it). */
#define FTF_RECORD_MAX_LEN 65279u

/* Largest `seq` (2^53 - 1), so jq and other double-based readers see it exactly. */
#define FTF_SEQ_MAX ((UINT64_C(1) << 53) - 1)

/* Most route hops an event holds (libft's decision holds as many). */
#define FTF_ROUTE_MAX_HOPS FT_DECISION_MAX_HOPS

typedef enum ftf_outcome {
    FTF_OUTCOME_PASS = 0,    /* "pass" */
    FTF_OUTCOME_FAIL,        /* "fail" */
    FTF_OUTCOME_ALLOWLISTED, /* "allowlisted": a known, accepted drift; never counted as a failure */
    FTF_OUTCOME_SKIPPED,     /* "skipped" */
    FTF_OUTCOME_CRASH        /* "crash" */
} ftf_outcome_t;

/* "pass", ...; NULL for an unknown value. */
const char *ftf_outcome_name(ftf_outcome_t outcome);
/* FTF_EINVALID_ARGUMENT for an unknown name or NULL arguments. */
ftf_status ftf_outcome_from_name(const char *name, ftf_outcome_t *out);

typedef enum ftf_fuzz_engine {
    FTF_ENGINE_LIBFUZZER = 0, /* "libfuzzer" */
    FTF_ENGINE_AFL,           /* "afl" */
    FTF_ENGINE_REPLAY         /* "replay": a corpus or reproducer run, no engine */
} ftf_fuzz_engine_t;

const char *ftf_fuzz_engine_name(ftf_fuzz_engine_t engine);
ftf_status ftf_fuzz_engine_from_name(const char *name, ftf_fuzz_engine_t *out);

/* One step of a dispatch walk, as names (libft's evidence JSON uses the same
 * words): key, source ("CPU", "backend_fallback", "missing", "ambiguous"), tag
 * (torch's dump tag, "kernel", "backend fallback", ...), kernel (NULL: null). */
typedef struct ftf_route_hop {
    const char *key;
    const char *source;
    const char *tag;
    bool fallthrough;
    const char *kernel;
} ftf_route_hop_t;

/* Dispatch group: op .. route. */
typedef struct ftf_dispatch_fields {
    const char *op;
    const char *selected_key; /* torch key name ("AutogradCPU", "Undefined") */
    const char *backend_key;
    const char *kernel;   /* NULL: null (the walk ended on no kernel) */
    uint64_t keyset_bits; /* the decision's input keyset (libft's keyset_bits) */
    bool fallback_used;
    ft_mode_split_t mode_split;
    size_t route_count; /* <= FTF_ROUTE_MAX_HOPS */
    ftf_route_hop_t route[FTF_ROUTE_MAX_HOPS];
} ftf_dispatch_fields_t;

/* Differential group: comparator .. observed. `expected` and `observed` are JSON
 * texts (any JSON value, compact, no newline) copied into the line as they are. */
typedef struct ftf_differential_fields {
    const char *comparator;
    const char *drift_id; /* NULL: null */
    bool allowlisted;
    const char *expected;
    const char *observed;
} ftf_differential_fields_t;

/* Fuzz group: target .. crash_state. Exactly one of input_b64 / input_ref. */
typedef struct ftf_fuzz_fields {
    const char *target;
    ftf_fuzz_engine_t engine;
    const char *input_sha1;  /* 40 lowercase hex */
    const char *input_b64;   /* the input, base64 (RFC 4648, padded); or NULL and… */
    const char *input_ref;   /* …a reference to the side artifact holding it (ftf/artifact.h), or
                                "ftf-elided:<reason>" when it could not be stored (FORMAT.md §2.2) */
    const char *crash_type;  /* NULL: null (e.g. a differential finding, no crash) */
    const char *crash_state; /* top 3 normalised frames joined by "\n"; NULL: null */
} ftf_fuzz_fields_t;

/* One `"record":"event"` line. A plain struct of borrowed pointers: nothing here
 * is owned. Start from ftf_event_init. */
typedef struct ftf_event {
    uint64_t seq;            /* 0.. per writer, <= FTF_SEQ_MAX */
    const char *run_id;      /* run-<16 hex> */
    const char *suite_id;    /* non-empty */
    const char *scenario_id; /* ftf_scenario_id_valid */
    const char *packet_id;   /* non-empty, e.g. "FT-P2C-002" */
    ft_mode_t mode;
    uint64_t seed;
    const char *env_fingerprint; /* det64:<16 hex> */
    const char *const *artifact_refs;
    size_t artifact_ref_count;
    const char *replay_command; /* informative; never executed by tools */
    ftf_outcome_t outcome;
    const char *reason_code; /* non-empty */

    bool has_dispatch;
    ftf_dispatch_fields_t dispatch;
    bool has_differential;
    ftf_differential_fields_t differential;
    const char *scenario; /* required: JSON object text (compact, no newline) of what ran, so
                             the event replays without any other file */
    bool has_fuzz;
    ftf_fuzz_fields_t fuzz;
} ftf_event_t;

/* Zeroes *ev: no groups, seq 0, mode strict, outcome pass, NULL strings. */
void ftf_event_init(ftf_event_t *ev);

/* Fills the dispatch group from a libft decision (has_dispatch = true): op,
 * selected and backend key names, kernel, keyset_bits = d->keyset, fallback,
 * mode split and the route (hops[0 .. hop_count), at most FTF_ROUTE_MAX_HOPS).
 * Strings are borrowed from the decision (static or owned by its registry).
 * FTF_EINVALID_ARGUMENT for NULL arguments or a decision whose keys/tags have no
 * name. */
ftf_status ftf_event_set_dispatch_from_decision(ftf_event_t *ev, const ft_decision_t *d);

/* Checks an event against the schema, as ftf_event_parse would: required
 * strings present, ids of the right shape, enums in range, seq <= FTF_SEQ_MAX,
 * route_count <= FTF_ROUTE_MAX_HOPS, raw JSON members present and free of
 * newlines, fuzz input_sha1 40 hex and exactly one of input_b64/input_ref.
 * Raw JSON members are not parsed here (the writer's hot path); they must be
 * valid JSON, and an object for `scenario`.
 * FTF_EBAD_RECORD (FTF_EINVALID_SCENARIO_ID for the id) on the first problem,
 * FTF_EINVALID_ARGUMENT for NULL. */
ftf_status ftf_event_check(const ftf_event_t *ev);

/* Renders `ev` as one JSON line, without newline, into buf (snprintf contract:
 * as much as fits, NUL-terminated when cap > 0). Returns the length of the whole
 * line, or 0 when `ev` fails ftf_event_check (a line is never empty). Same
 * event, same bytes. Strings need not be UTF-8: bytes that are not are escaped by
 * the project's one rule (ft/json_text.h), so the line is always valid JSON. */
size_t ftf_event_render(const ftf_event_t *ev, char *buf, size_t cap);

/* Run header. Borrowed pointers. */
typedef struct ftf_run_header {
    const char *run_id;      /* run-<16 hex> */
    const char *start_time;  /* "YYYY-MM-DDTHH:MM:SSZ" (ftf_utc_timestamp) */
    const char *const *argv; /* argc strings */
    size_t argc;
    const char *tool;            /* non-empty, e.g. "ft-campaign" */
    const char *tool_version;    /* non-empty */
    const char *libft_version;   /* non-empty (ft_version()) */
    const char *env_fingerprint; /* det64:<16 hex> */
    uint64_t run_seed;
} ftf_run_header_t;

void ftf_run_header_init(ftf_run_header_t *h);
/* As ftf_event_check, for a run header. */
ftf_status ftf_run_header_check(const ftf_run_header_t *h);
/* As ftf_event_render, for a run header. */
size_t ftf_run_header_render(const ftf_run_header_t *h, char *buf, size_t cap);

/* "YYYY-MM-DDTHH:MM:SSZ" + NUL. */
#define FTF_TIMESTAMP_SIZE 21
/* UTC time `unix_seconds` in that form. FTF_EINVALID_ARGUMENT for NULL or a
 * time outside years 0000..9999. */
ftf_status ftf_utc_timestamp(int64_t unix_seconds, char out[FTF_TIMESTAMP_SIZE]);

/* RFC 4648 base64 with padding (the fuzz group's input_b64), snprintf
 * contract: returns 4 * ceil(len / 3), writes what fits, NUL-terminated when
 * cap > 0. `data` may be NULL when len is 0. */
size_t ftf_base64_encode(const void *data, size_t len, char *buf, size_t cap);

/* ---- a growable output buffer ------------------------------------------- */

/* A caller-owned byte buffer (FTF_BUF_INIT, ftf_buf_dispose). `data` is
 * NUL-terminated whenever cap > 0. */
typedef struct ftf_buf {
    char *data;
    size_t len, cap;
} ftf_buf_t;

#define FTF_BUF_INIT                                                                                                   \
    { NULL, 0, 0 }

void ftf_buf_dispose(ftf_buf_t *b);
/* Makes room for `extra` more bytes plus the NUL. FTF_ENOMEM. */
ftf_status ftf_buf_reserve(ftf_buf_t *b, size_t extra);
/* Appends data[0 .. len) (NUL-terminated after). FTF_ENOMEM. */
ftf_status ftf_buf_append(ftf_buf_t *b, const void *data, size_t len);

/* Decodes padded base64 (RFC 4648) s[0 .. n) into *out (replacing its
 * contents, NUL-terminated after). FTF_EINVALID_ARGUMENT for text that is not
 * padded base64, FTF_ENOMEM. */
ftf_status ftf_base64_decode(const char *s, size_t n, ftf_buf_t *out);

/* Append the rendered line (no newline) to b. FTF_EBAD_RECORD etc. from the
 * check, FTF_ENOMEM. On error b is unchanged (apart from capacity). */
ftf_status ftf_event_render_buf(const ftf_event_t *ev, ftf_buf_t *b);
ftf_status ftf_run_header_render_buf(const ftf_run_header_t *h, ftf_buf_t *b);

/* ---- parsing ------------------------------------------------------------- */

/* Why a line was rejected: a stable name for counting and reports. */
typedef enum ftf_record_error {
    FTF_RECORD_OK = 0,
    FTF_RECORD_LINE_TOO_LONG,       /* "line_too_long" (FTF_ELINE_TOO_LONG) */
    FTF_RECORD_NOT_JSON,            /* "not_json": syntax error, trailing garbage, NUL byte */
    FTF_RECORD_INVALID_UTF8,        /* "invalid_utf8" */
    FTF_RECORD_DUPLICATE_KEY,       /* "duplicate_key" */
    FTF_RECORD_TOO_DEEP,            /* "too_deep": nesting over jansson's limit */
    FTF_RECORD_NUMBER_OVERFLOW,     /* "number_overflow": an integer or real out of range */
    FTF_RECORD_NOT_OBJECT,          /* "not_object": JSON, but not an object */
    FTF_RECORD_UNSUPPORTED_VERSION, /* "unsupported_version" (FTF_EUNSUPPORTED_VERSION) */
    FTF_RECORD_UNKNOWN_KIND,        /* "unknown_kind": `record` is not "event" / "run" (or not wanted) */
    FTF_RECORD_MISSING_FIELD,       /* "missing_field" */
    FTF_RECORD_WRONG_TYPE,          /* "wrong_type" */
    FTF_RECORD_BAD_VALUE,           /* "bad_value": right type, invalid content (id shape, enum, range) */
    FTF_RECORD_UNKNOWN_FIELD,       /* "unknown_field" */
    FTF_RECORD_OUT_OF_MEMORY        /* "out_of_memory" (FTF_ENOMEM) */
} ftf_record_error_t;

const char *ftf_record_error_name(ftf_record_error_t e);

/* Where and why parsing failed (jansson's json_error_t style). */
typedef struct ftf_parse_error {
    ftf_status status;         /* what the parse returned */
    ftf_record_error_t reason; /* FTF_RECORD_OK on success */
    size_t position;           /* byte offset in the line, when known (JSON errors) */
    char field[48];            /* offending field ("seq", "route[2].kernel"), or "" */
    char text[160];            /* one-line message */
} ftf_parse_error_t;

/* Owns what parsed records point into: jansson's tree of the last line, raw
 * JSON texts and pointer arrays. Reused across parses (each parse invalidates
 * the previous record's strings). FTF_EVENT_STORAGE_INIT or
 * ftf_event_storage_init; ftf_event_storage_dispose frees. */
typedef struct ftf_event_storage {
    void *json; /* json_t * */
    char *text;
    size_t text_cap;
    const char **strs;
    size_t strs_cap;
} ftf_event_storage_t;

#define FTF_EVENT_STORAGE_INIT                                                                                         \
    { NULL, NULL, 0, NULL, 0 }

void ftf_event_storage_init(ftf_event_storage_t *st);
void ftf_event_storage_dispose(ftf_event_storage_t *st);

typedef enum ftf_record_kind {
    FTF_RECORD_KIND_EVENT = 0, /* "event" */
    FTF_RECORD_KIND_RUN        /* "run" */
} ftf_record_kind_t;

typedef struct ftf_record {
    ftf_record_kind_t kind;
    ftf_event_t event;    /* kind == FTF_RECORD_KIND_EVENT */
    ftf_run_header_t run; /* kind == FTF_RECORD_KIND_RUN */
} ftf_record_t;

/* Parses one untrusted line (`len` bytes, no newline needed; not necessarily
 * NUL-terminated) into *out. Strings in *out point into `st` and stay valid
 * until the next parse with `st` or its disposal. `err` may be NULL.
 * Memory use is proportional to `len`, which is refused over FTF_RECORD_MAX_LEN.
 * Returns FTF_OK, or:
 *   FTF_ELINE_TOO_LONG         len > FTF_RECORD_MAX_LEN
 *   FTF_EUNSUPPORTED_VERSION   schema_version is a string other than FTF_SCHEMA_VERSION
 *   FTF_EBAD_RECORD            anything else wrong with the line (err->reason says what)
 *   FTF_ENOMEM
 *   FTF_EINVALID_ARGUMENT      NULL line (with len > 0), out or st. */
ftf_status ftf_record_parse(const char *line, size_t len, ftf_record_t *out, ftf_event_storage_t *st,
                            ftf_parse_error_t *err);

/* Same, accepting only `record":"event"` (a run header is FTF_EBAD_RECORD with
 * reason FTF_RECORD_UNKNOWN_KIND). */
ftf_status ftf_event_parse(const char *line, size_t len, ftf_event_t *out, ftf_event_storage_t *st,
                           ftf_parse_error_t *err);

/* ---- the session sink adapter's conversion ------------------------------- */

/* What a ledger entry does not say about itself. Borrowed strings. */
typedef struct ftf_event_context {
    const char *run_id;
    const char *suite_id;
    const char *packet_id;
    const char *fixture_id; /* hashed into the seed; NULL is "" */
    const char *env_fingerprint;
    const char *scenario_id;    /* NULL: gen/<hash of the entry's scenario JSON> per entry */
    const char *replay_command; /* NULL is "" */
    const char *const *artifact_refs;
    size_t artifact_ref_count;
    ft_mode_t mode; /* the session's mode, for entries without a decision */
} ftf_event_context_t;

/* Maps a libft ledger entry to an event:
 *   seq             entry->seq (a log writer renumbers per writer)
 *   mode            the decision's mode (dispatch), the new mode (mode change),
 *                   otherwise ctx->mode
 *   outcome         pass when entry->status is FT_OK, else fail
 *   reason_code     ft_status_code(entry->status)
 *   dispatch group  from entry->decision (dispatch entries)
 *   scenario        the entry as libft's evidence JSON (ft_evidence_json),
 *                   without its wall-clock `time`, so events stay reproducible
 *   scenario_id     ctx->scenario_id, or gen/<SipHash of that scenario JSON>
 *   seed            ftf_scenario_seed(suite, fixture, packet, scenario_id, mode)
 * The scenario text and generated id live in `st` (reused like a parse's).
 * FTF_EINVALID_ARGUMENT for NULL arguments, FTF_ENOMEM, or what
 * ftf_event_check says about the result. */
ftf_status ftf_event_from_evidence(const ft_evidence_t *entry, const ftf_event_context_t *ctx, ftf_event_t *out,
                                   ftf_event_storage_t *st);

#ifdef __cplusplus
}
#endif

#endif
