/* libftforensics — crash-tolerant, seekable gzip JSONL logs (SPEC §10,
 * forensics/FORMAT.md).
 *
 * A log is a sequence of independent gzip members in the BGZF layout of htslib:
 * each member holds at most FTF_LOG_MEMBER_DATA_MAX bytes of JSON lines, carries
 * the `BC` extra subfield with its own compressed size, and a record (one line)
 * never straddles two members. A clean close appends the 28-byte empty BGZF
 * end-of-file member. Any gzip reader (`zcat`, `jq` through `zcat`) reads a log;
 * `bgzip -t` accepts it.
 *
 * Writer: records are buffered into the open member, which is compressed and
 * written with one write(2) when it is full, right after a failure record, on
 * ftf_log_writer_flush, or when it is older than the configured age (checked on
 * each write and on ftf_log_writer_tick; no threads). A process killed at any
 * point therefore loses at most the open member, and never a failure record
 * that ftf_log_write_record has returned for (its member is written before the
 * call returns). What a power loss can lose depends on the sync policy
 * (ftf_log_sync_t). An event too large for a member is written with its bulky
 * parts in side artifacts (ftf/artifact.h), so the record always fits.
 *
 * Reader: iterates records across members and files; a torn tail, corrupt
 * members (bad header, BSIZE inconsistent, inflate error, CRC or ISIZE
 * mismatch), junk, oversized and non-JSON lines are skipped and counted in an
 * ftf_log_report_t, never fatal and never a crash. Memory is bounded by the
 * options (a fixed window, one 64 KiB member, one line of at most max_line).
 * It also reads what users have: "-" (standard input) and pipes, read
 * sequentially; plain uncompressed JSONL; gzip from any tool; and BGZF from
 * `bgzip`, whose blocks split lines (such a line is joined across blocks).
 *
 * Every record has a position: (file offset of its member, offset of the line
 * in the member's uncompressed data, length). ftf_log_reader_seek and
 * ftf_log_read_at go straight to a record from its position (the locator
 * stores these). */
#ifndef FTF_LOG_H
#define FTF_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/session.h"
#include "ftf/artifact.h"
#include "ftf/event.h"
#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Format version documented in forensics/FORMAT.md. */
#define FTF_LOG_FORMAT_VERSION 1
/* Most uncompressed bytes in one member (htslib's BGZF_BLOCK_SIZE, 0xff00):
 * with deflate's worst-case expansion a member still fits BSIZE's 16 bits. A
 * record, newline included, is at most this long. */
#define FTF_LOG_MEMBER_DATA_MAX 65280u
/* Largest member on disk: BSIZE + 1 with BSIZE a 16-bit field. */
#define FTF_LOG_MEMBER_SIZE_MAX 65536u
/* The empty end-of-file member's size. */
#define FTF_LOG_EOF_SIZE 28u
/* Default reader bound on one line (records longer are skipped and counted). */
#define FTF_LOG_DEFAULT_MAX_LINE (1u << 20)

/* Where a record lives. Offsets are in bytes; `member_offset` is the file
 * offset of the gzip member's first byte, `offset` the line's first byte in the
 * member's uncompressed data, `length` the line's length without its '\n'.
 * A line that continues into the next members (bgzip splits lines) has the
 * position of its start, as a BGZF virtual offset does. In a plain JSONL
 * file, member_offset is 0 and offset the line's file offset. */
typedef struct ftf_log_pos {
    uint64_t member_offset;
    uint64_t offset;
    uint64_t length;
} ftf_log_pos_t;

/* ---- writer ------------------------------------------------------------- */

typedef struct ftf_log_writer ftf_log_writer_t;

/* When the writer fsyncs, and what a power loss (or kernel crash) can then
 * lose. Under every policy a killed process loses only the open member — never
 * a failure record once its call returned — and a side artifact is fsync'ed
 * (file and directory) before the record naming it is written.
 *
 *   NONE      never. A power loss can lose anything the kernel had not yet
 *             written back, up to every record since open.
 *   FAILURES  after each failure record's member, before the call returns, and
 *             at close: a power loss loses no acknowledged failure record, only
 *             non-failure records written after the last fsync. Costs one
 *             fsync per failure (a run of failures writes ~15x slower).
 *   MEMBERS   after every member, and at close: a power loss loses at most the
 *             open member, like a kill.
 *   GROUPED   the default: a failure record's member is written at once (as
 *             always) and fsync'ed within sync_interval_ms — at most one fsync
 *             per interval, done by the first writer call (write, tick, flush,
 *             sync, close) once the interval since the last fsync is over — and
 *             at close. A power loss loses at most the failure records
 *             acknowledged in the last sync_interval_ms before it, provided the
 *             writer is called (ftf_log_writer_tick when idle) at least that
 *             often; and non-failure records after the last fsync.
 * Values are ABI: appended, never renumbered. */
typedef enum ftf_log_sync {
    FTF_LOG_SYNC_NONE = 0,
    FTF_LOG_SYNC_FAILURES = 1,
    FTF_LOG_SYNC_MEMBERS = 2,
    FTF_LOG_SYNC_GROUPED = 3
} ftf_log_sync_t;

/* Milliseconds on any monotonic clock. */
typedef int64_t (*ftf_log_clock_fn)(void *payload);

typedef struct ftf_log_writer_options {
    int level;              /* zlib level 0..9; default 6 */
    size_t member_data;     /* close a member at this many uncompressed bytes; 64 ..
                               FTF_LOG_MEMBER_DATA_MAX; 0 is the maximum (default) */
    int64_t max_age_ms;     /* close a member whose first record is this old; 0: no timer.
                               Default 1000 */
    ftf_log_sync_t sync;    /* default FTF_LOG_SYNC_GROUPED */
    bool append;            /* open: append to an existing log instead of truncating */
    ftf_log_clock_fn clock; /* NULL: CLOCK_MONOTONIC */
    void *clock_payload;
    int64_t sync_interval_ms; /* GROUPED: at most one fsync per this many ms; >= 0 (0: every failure,
                                 like FAILURES). Default 100 */
    const char *artifact_dir; /* side artifacts (ftf/artifact.h): NULL is `<path>.artifacts` for
                                 ftf_log_writer_open and none for _open_fd; "" is none. Copied */
    size_t store_below;       /* a member closed by a failure with fewer uncompressed bytes (a lone
                                 failure record) is written as stored deflate blocks: deflating one
                                 record costs more than the rest of writing it. 0: always deflate; at most
                                 FTF_LOG_MEMBER_DATA_MAX. Default 4096 */
} ftf_log_writer_options_t;

#define FTF_LOG_WRITER_OPTIONS_INIT                                                                                    \
    { 6, 0, 1000, FTF_LOG_SYNC_GROUPED, false, NULL, NULL, 100, NULL, 4096 }

typedef struct ftf_log_writer_stats {
    uint64_t records;   /* accepted by ftf_log_write_record */
    uint64_t failures;  /* of which is_failure */
    uint64_t members;   /* data members written (the EOF member not counted) */
    uint64_t bytes_in;  /* uncompressed bytes written, newlines included */
    uint64_t bytes_out; /* bytes written to the file, EOF member included */
    uint64_t syncs;     /* fsync calls */
    /* events too large for a member (ftf_log_write_event) */
    uint64_t spilled;   /* written with parts in side artifacts, complete */
    uint64_t elided;    /* written with parts left out (no artifact store, or it failed): each is a
                           recording failure, with a message in ftf_log_writer_errmsg */
    uint64_t artifacts; /* side artifacts referenced by those records */
} ftf_log_writer_stats_t;

/* Creates (or truncates; or with opts->append, appends to) `path` and returns a
 * new writer in *out. `opts` may be NULL for the defaults. Errors:
 * FTF_EINVALID_ARGUMENT (NULL, level or sizes out of range), FTF_EIO (open),
 * FTF_ENOMEM. */
ftf_status ftf_log_writer_open(const char *path, const ftf_log_writer_options_t *opts, ftf_log_writer_t **out);

/* Same on an open file descriptor (a file, or a pipe with sync NONE). With
 * `own_fd` the writer closes it. Member offsets count from the descriptor's
 * position at open (0 when it cannot seek). */
ftf_status ftf_log_writer_open_fd(int fd, bool own_fd, const ftf_log_writer_options_t *opts, ftf_log_writer_t **out);

/* Appends one record: `line[0 .. len)`, one JSON object without newline (a
 * single trailing '\n' is accepted and dropped). With `is_failure` the member
 * is closed, written and (policy permitting) fsync'ed before this returns.
 * `pos` (may be NULL) receives where the record will be in the file.
 * Errors: FTF_EINVALID_ARGUMENT (empty line, a '\n' inside it),
 * FTF_ELINE_TOO_LONG (longer than a member holds; nothing written, the writer
 * stays usable), FTF_EIO (write or fsync failed: sticky, every later call
 * returns it). */
ftf_status ftf_log_write_record(ftf_log_writer_t *w, const char *line, size_t len, bool is_failure, ftf_log_pos_t *pos);

/* Closes the open member if it is older than max_age_ms (for callers that go
 * idle between records). */
ftf_status ftf_log_writer_tick(ftf_log_writer_t *w);

/* Closes and writes the open member (no-op when empty); no fsync. */
ftf_status ftf_log_writer_flush(ftf_log_writer_t *w);

/* Flush, then fsync (whatever the policy). */
ftf_status ftf_log_writer_sync(ftf_log_writer_t *w);

/* File offset at which the next member starts (the open member's offset). */
uint64_t ftf_log_writer_offset(const ftf_log_writer_t *w);

/* Counters so far. */
void ftf_log_writer_stats(const ftf_log_writer_t *w, ftf_log_writer_stats_t *out);

/* The last error or recording failure as one line ("write log.jsonl.gz: No
 * space left on device"); "" when none. Valid until the next call on `w`. */
const char *ftf_log_writer_errmsg(const ftf_log_writer_t *w);

/* The status that goes with ftf_log_writer_errmsg: of the last error or
 * recording failure (an elided record counts: FTF_ELINE_TOO_LONG when it had
 * no artifact store, the store's error when a put failed); FTF_OK when none. */
ftf_status ftf_log_writer_last_error(const ftf_log_writer_t *w);

/* The writer's artifact store (borrowed; NULL when it has none), for callers
 * that put artifacts of their own beside the log (fuzz inputs over a size
 * bound) and name them in artifact_refs / input_ref. */
ftf_artifact_store_t *ftf_log_writer_artifacts(ftf_log_writer_t *w);

/* Flushes, appends the EOF member, fsyncs (unless sync NONE), closes and frees
 * `w` — always, even on error. Returns the first error of the writer's life
 * (sticky write error, or one from closing). NULL is a no-op returning FTF_OK. */
ftf_status ftf_log_writer_close(ftf_log_writer_t *w);

/* ---- events and the session sink adapter -------------------------------- */

/* Renders `ev` (ftf_event_render) and writes it; a "fail" or "crash" outcome
 * is a failure record (its member is closed, and synced as the policy says,
 * before this returns). The event's seq is written as given.
 *
 * An event too long for a member is still written (FORMAT.md §2.2): its bulky
 * parts — the raw JSON members scenario, expected and observed, and the fuzz
 * input — largest first, go to side artifacts until the line fits; each is
 * replaced by a stub object `{"ftf_artifact":ref,"part":…,"sha1":…,"bytes":n}`
 * (the fuzz input by input_ref) and its ref appended to artifact_refs. If the
 * line is still too long (huge caller strings), the whole line goes to one
 * artifact and the record keeps only the common fields, long strings cut,
 * with that stub as its scenario. Without an artifact store, or when a put
 * fails, the parts are left out instead (stub `{"ftf_elided":reason,…}`,
 * input_ref "ftf-elided:<reason>"), the record is written all the same and the
 * loss is counted (stats.elided, ftf_log_writer_last_error) — FTF_OK is
 * returned because the record is in the log. Counted in stats.spilled /
 * artifacts otherwise.
 *
 * Errors: those of ftf_event_check (FTF_EBAD_RECORD, FTF_EINVALID_SCENARIO_ID),
 * FTF_ENOMEM, FTF_ELINE_TOO_LONG (only with a member_data too small even for
 * the cut record, under ~4 KiB), and those of ftf_log_write_record. Only
 * FTF_EIO (and FTF_ENOMEM from compression) is sticky. */
ftf_status ftf_log_write_event(ftf_log_writer_t *w, const ftf_event_t *ev, ftf_log_pos_t *pos);

/* Renders and writes a run header (not a failure record). */
ftf_status ftf_log_write_run_header(ftf_log_writer_t *w, const ftf_run_header_t *h, ftf_log_pos_t *pos);

/* Payload of ftf_log_session_sink: streams a libft session's ledger into a log.
 * Each ledger entry becomes an event through ftf_event_from_evidence with
 * `ctx`, numbered by `next_seq` (per writer, not the ledger's seq), and is
 * written with ftf_log_write_event — so an entry whose status is not FT_OK is
 * a failure record, on disk before the session call that made it returns.
 *
 * The sink never goes silent: an entry too large for a member is written with
 * side artifacts (or, without a store, with parts elided: counted in
 * `degraded`), and a problem with one entry does not stop the next. Only an
 * I/O error of the log is sticky (the writer refuses everything after it);
 * the entries it costs are counted in `dropped`. A dropped entry still takes
 * its seq, so the gap shows in the log too. A sink cannot return an error:
 * poll ftf_log_session_sink_status (or read the fields) instead.
 * ftf_log_session_sink_init / _dispose; the struct must outlive the session. */
typedef struct ftf_log_session_sink {
    ftf_log_writer_t *writer;    /* borrowed */
    ftf_event_context_t ctx;     /* borrowed strings */
    uint64_t next_seq;           /* seq of the next event; starts at 0 */
    ftf_status status;           /* first problem (drop or degraded entry); FTF_OK while none */
    uint64_t written;            /* events written (degraded ones included) */
    uint64_t dropped;            /* entries not written at all */
    ftf_event_storage_t storage; /* owned, reused per entry */
    uint64_t degraded;           /* entries written with parts elided (see ftf_log_write_event) */
    ftf_status last_status;      /* the last problem's status; FTF_OK while none */
    char last_error[256];        /* the last problem as one line, e.g. "seq 12: write x.log.gz: ..." */
} ftf_log_session_sink_t;

/* Sets up `sink` for `writer` (borrowed) and `ctx` (copied; its strings are
 * borrowed). */
void ftf_log_session_sink_init(ftf_log_session_sink_t *sink, ftf_log_writer_t *writer, const ftf_event_context_t *ctx);

/* Frees what the sink owns (not the writer). NULL is a no-op. */
void ftf_log_session_sink_dispose(ftf_log_session_sink_t *sink);

/* FTF_OK while every entry so far was recorded in full; otherwise the last
 * problem's status (FTF_EIO when the log failed: later entries are dropped;
 * FTF_ELINE_TOO_LONG for an entry written with parts elided; ...), with
 * `last_error` saying what. FTF_EINVALID_ARGUMENT for NULL. */
ftf_status ftf_log_session_sink_status(const ftf_log_session_sink_t *sink);

/* An ft_evidence_sink_fn: give it to ft_session_options_t.sink with a
 * ftf_log_session_sink_t * as sink_payload. */
void ftf_log_session_sink(const ft_evidence_t *entry, void *payload);

/* ---- reader -------------------------------------------------------------- */

typedef struct ftf_log_reader ftf_log_reader_t;

/* What a damaged region or line was. Stable names: ftf_log_damage_name. */
typedef enum ftf_log_damage {
    FTF_LOG_DAMAGE_NONE = 0,
    FTF_LOG_DAMAGE_BAD_HEADER,    /* "bad_header": not a gzip member where one must start */
    FTF_LOG_DAMAGE_BSIZE,         /* "bsize_mismatch": deflate data and BSIZE disagree */
    FTF_LOG_DAMAGE_INFLATE,       /* "inflate_error": invalid deflate data, or over 64 KiB */
    FTF_LOG_DAMAGE_CRC,           /* "crc_mismatch": CRC32 or ISIZE does not match the data */
    FTF_LOG_DAMAGE_TORN,          /* "torn_tail": the file ends inside a member */
    FTF_LOG_DAMAGE_JUNK,          /* "trailing_junk": bytes after the last member that are none */
    FTF_LOG_DAMAGE_MISSING_EOF,   /* "missing_eof": no EOF member at the end: the log is open (still
                                     being written, or its writer stopped); not damage */
    FTF_LOG_DAMAGE_LINE_TOO_LONG, /* "line_too_long": over max_line */
    FTF_LOG_DAMAGE_BAD_LINE,      /* "bad_line": empty, not a JSON object, or (validate_json) invalid */
    FTF_LOG_DAMAGE_UNTERMINATED,  /* "unterminated_line": the data ends inside a line (at the end of a
                                     file, or before an EOF member) */
    FTF_LOG_DAMAGE_IO             /* "io_error": open or read failed; rest of the file skipped */
} ftf_log_damage_t;

const char *ftf_log_damage_name(ftf_log_damage_t damage);

typedef enum ftf_log_member_kind {
    FTF_LOG_MEMBER_BGZF = 0, /* intact BGZF member with data */
    FTF_LOG_MEMBER_EOF,      /* intact empty BGZF member (the end-of-file marker) */
    FTF_LOG_MEMBER_FOREIGN,  /* intact gzip member without the BC field (plain gzip) */
    FTF_LOG_MEMBER_DAMAGED,  /* skipped region: see damage */
    FTF_LOG_MEMBER_TEXT      /* a plain (uncompressed) JSONL file, the whole of it */
} ftf_log_member_kind_t;

/* One member (or skipped region), as ftf_log_reader_options_t.on_member sees it.
 * In sequential reading a plain gzip member, and a plain JSONL file always,
 * is reported once read to its end, after its lines. */
typedef struct ftf_log_member_info {
    size_t file_index;
    const char *path;
    uint64_t offset;    /* file offset of the member or region */
    uint64_t size;      /* bytes in the file */
    uint64_t data_size; /* uncompressed bytes (intact members) */
    uint32_t crc;       /* CRC32 from the trailer (intact members) */
    uint64_t lines;     /* complete lines in it; for a damaged region, in its readable prefix */
    ftf_log_member_kind_t kind;
    ftf_log_damage_t damage; /* NONE unless DAMAGED */
    const char *detail;      /* one line, e.g. zlib's message; "" when none */
} ftf_log_member_info_t;

typedef void (*ftf_log_member_fn)(const ftf_log_member_info_t *member, void *payload);

/* Upper bound for ftf_log_reader_options_t.max_line (1 GiB). */
#define FTF_LOG_MAX_LINE_LIMIT ((size_t)1 << 30)

typedef struct ftf_log_reader_options {
    size_t max_line;             /* longest line accepted; 0: FTF_LOG_DEFAULT_MAX_LINE; above
                                  * FTF_LOG_MAX_LINE_LIMIT the reader refuses to open */
    bool validate_json;          /* parse each line with jansson (slower); default: shape check only */
    ftf_log_member_fn on_member; /* may be NULL; called once per member or damaged region */
    void *on_member_payload;
    bool sequential; /* read every input forward only, as a pipe is read (pipes, terminals and "-"
                      * on one are read so anyway); for tests and fuzzers */
} ftf_log_reader_options_t;

#define FTF_LOG_READER_OPTIONS_INIT                                                                                    \
    { 0, false, NULL, NULL, false }

/* What a read found. Counters add up over every file of a reader. */
typedef struct ftf_log_report {
    uint64_t files;           /* files opened */
    uint64_t members;         /* intact BGZF data members */
    uint64_t eof_members;     /* intact empty members (EOF markers) */
    uint64_t foreign_members; /* intact gzip members without BC ("not BGZF") */
    uint64_t text_files;      /* plain (uncompressed) JSONL files ("not BGZF" either) */
    uint64_t records;         /* records returned */
    uint64_t data_bytes;      /* uncompressed bytes of intact members */
    uint64_t corrupt_members; /* skipped: bad header, BSIZE, inflate, CRC/ISIZE */
    uint64_t corrupt_bytes;   /* file bytes of those, including resync gaps */
    uint64_t corrupt_lines;   /* complete lines in the readable part of those (lost) */
    uint64_t torn_tails;      /* files ending inside a member */
    uint64_t torn_bytes;
    uint64_t torn_lines;         /* complete lines in the readable part of torn members (lost) */
    uint64_t junk_bytes;         /* trailing bytes that are no member (not gzip at all, appended junk) */
    uint64_t missing_eof;        /* open files: with BGZF members (or none at all) but not ending in the EOF
                                    member (still being written, or the writer stopped); not damage */
    uint64_t long_lines;         /* lines over max_line, skipped */
    uint64_t bad_lines;          /* lines failing the JSON check, skipped */
    uint64_t unterminated_lines; /* data ending inside a line (the partial line is skipped) */
    uint64_t io_errors;          /* files that could not be opened or read to the end */
    /* first problem seen (damage NONE while none); damage found later replaces a missing EOF */
    ftf_log_damage_t first_damage;
    ftf_status first_status; /* its status: FTF_ECORRUPT, FTF_ETRUNCATED, FTF_EBAD_RECORD, ... */
    size_t first_file;
    uint64_t first_offset;  /* file offset of the member or region */
    char first_detail[160]; /* "log.gz: crc_mismatch at offset 4096: ..." */
} ftf_log_report_t;

/* True when the report shows anything lost or out of format (every counter of
 * damage and I/O errors). Not damage: foreign members, plain JSONL files, and
 * a missing EOF member alone (an open log: see missing_eof). */
bool ftf_log_report_damaged(const ftf_log_report_t *report);

/* A reader over `count` files, read in order (each file is opened when reached;
 * one that cannot be opened, or is a directory, is counted as an I/O error —
 * with strerror text in the report — and skipped). The path "-" is standard
 * input (not closed). A regular file is read through pread; anything else (a
 * pipe, a FIFO, a terminal) sequentially, forward only: it needs no seek,
 * and a plain gzip member is checked while its compressed bytes are copied to
 * an unlinked temporary file ($TMPDIR, else /tmp), then read back from it
 * (with no temporary file possible, its lines come first and its check at its
 * end). `opts` may be NULL. The paths are copied. Errors:
 * FTF_EINVALID_ARGUMENT, FTF_ENOMEM. */
ftf_status ftf_log_reader_open(const char *const *paths, size_t count, const ftf_log_reader_options_t *opts,
                               ftf_log_reader_t **out);

/* A reader over bytes in memory (borrowed; must outlive the reader), named
 * `name` in reports (NULL: "<memory>"). For tests and fuzzers. */
ftf_status ftf_log_reader_open_buffer(const void *data, size_t len, const char *name,
                                      const ftf_log_reader_options_t *opts, ftf_log_reader_t **out);

void ftf_log_reader_free(ftf_log_reader_t *r);

/* One record. `line` is NUL-terminated and borrowed until the next call on the
 * reader. */
typedef struct ftf_log_record {
    const char *line;
    size_t len;
    size_t file_index;
    const char *path;
    ftf_log_pos_t pos;
} ftf_log_record_t;

/* Next record: returns 1 and fills *rec, 0 after the last record of the last
 * file, or a negative ftf_status for what stops reading altogether
 * (FTF_ENOMEM). Damage is never an error here: it is skipped and counted in the
 * report. Blocks while a pipe has no data. */
int ftf_log_reader_next(ftf_log_reader_t *r, ftf_log_record_t *rec);

/* Positions the reader at the record at `offset` in the member at
 * `member_offset` of file `file_index`; ftf_log_reader_next then returns it and
 * continues from there. The member is read and checked. Errors:
 * FTF_EINVALID_ARGUMENT (no such file index; or the file is read sequentially,
 * a pipe or "-": it cannot seek), FTF_ENOT_FOUND (offset past the
 * member's data, or not at a line start), FTF_ECORRUPT / FTF_ETRUNCATED (the
 * member is damaged), FTF_EIO. */
ftf_status ftf_log_reader_seek(ftf_log_reader_t *r, size_t file_index, uint64_t member_offset, uint64_t offset);

/* The report so far (valid for the reader's life). */
const ftf_log_report_t *ftf_log_reader_report(const ftf_log_reader_t *r);

/* One record of `path` by position. *line is new (malloc; free it with free),
 * NUL-terminated, without newline. Errors as ftf_log_reader_seek, and
 * FTF_ELINE_TOO_LONG / FTF_EBAD_RECORD when the line there is one the reader
 * skips. */
ftf_status ftf_log_read_at(const char *path, uint64_t member_offset, uint64_t offset, char **line, size_t *len);

/* Reads every member of `path` and fills `report` (may be NULL; calls
 * opts->on_member for each member, so a tool can list members and CRCs).
 * Returns FTF_OK when the log is intact: only BGZF members, every CRC good,
 * no torn tail, no junk, bad or long lines, and the EOF member at the end;
 * otherwise report->first_status when damaged (FTF_ECORRUPT, FTF_ETRUNCATED,
 * FTF_EBAD_RECORD, FTF_ELINE_TOO_LONG, FTF_EIO), FTF_EUNSUPPORTED_VERSION for a
 * readable file that is not BGZF (plain gzip or JSONL), and FTF_ETRUNCATED for
 * an open log (intact, but no EOF member: report->missing_eof). */
ftf_status ftf_log_verify(const char *path, const ftf_log_reader_options_t *opts, ftf_log_report_t *report);

/* Copies every intact record of `paths` (in order; a line bgzip split across
 * blocks is one record) into a new log at `out_path` (written with `wopts`,
 * may be NULL; closed with its EOF member and fsync'ed). `report` (may be
 * NULL) says what was lost; `*records` (may be NULL) how many records were
 * copied. Returns FTF_OK when the new log was written, however damaged the
 * input; FTF_EINVALID_ARGUMENT when out_path is one of the inputs; FTF_EIO
 * (errno says why: the create or write that failed) / FTF_ENOMEM otherwise
 * (the output is then incomplete). Failure records are not told apart: the new
 * log is closed and synced once at the end. */
ftf_status ftf_log_recover(const char *const *paths, size_t count, const char *out_path,
                           const ftf_log_writer_options_t *wopts, const ftf_log_reader_options_t *ropts,
                           ftf_log_report_t *report, uint64_t *records);

#ifdef __cplusplus
}
#endif

#endif
