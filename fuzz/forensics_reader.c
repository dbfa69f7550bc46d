/* Fuzz target forensics_reader: bytes as a forensics log — BGZF, any gzip,
 * plain JSONL or junk — through the log reader, the record parser and the
 * locator. Never a crash; memory stays within the reader's bounds (one
 * 256 KiB window, one member, one line of at most max_line; the .options file
 * sets libFuzzer's rss limit).
 *
 * Layout:
 *   offset  size  field
 *   0       1     options: bit 0 validate_json; bit 1 max_line 512 (else the
 *                 default, 1 MiB); bits 2-3 the file: 0 and 3 the payload
 *                 itself, 1 the payload cut into BGZF members made here (valid
 *                 headers and CRCs, so the fuzzer reaches the lines inside
 *                 them; a line may straddle members, as bgzip writes them),
 *                 2 the payload as one plain gzip member; bit 4 (made files)
 *                 the EOF member at the end; bit 5 (made files) a byte damaged
 *                 after compression; bit 6 (made files) the file cut; bit 7
 *                 also the file-based checks below
 *   1       1     [made files] member size: (byte + 1) * 64 payload bytes;
 *                 bit 0 of the next byte: stored (level 0) instead of level 1
 *   ..      3     [bit 5] damage: offset (2 bytes, mod the file size), XOR mask
 *   ..      2     [bit 6] cut: the file keeps (offset mod its size) bytes
 *   ..            the payload: the rest of the input
 *
 * Checks (a violation names the comparator, the reason and the file kind —
 * raw, bgzf or gzip — as its op; modes "none"):
 *   - read seekably and sequentially (as from a pipe, in pieces of varying
 *     size) from memory: the reader never fails (only out of memory may stop
 *     it), every record is a non-empty NUL-terminated line within max_line,
 *     the report counts the records returned, and both readings give the same
 *     records (and, for made BGZF files, the same report);
 *   - ftf_log_reader_seek to a record's position reads that record again;
 *   - a record that parses (ftf_record_parse) renders, and the rendering
 *     parses and renders to the same bytes; every record goes into a locator
 *     builder (ftf_locator_builder_add_line) without error;
 *   - [bit 7] the bytes as a file (a memfd: no disk) through ftf_log_verify,
 *     whose report must agree with the in-memory one (and FTF_OK only for an
 *     undamaged log), and ftf_locator_build_from_log into a temporary
 *     directory ($TMPDIR, else /dev/shm, else /tmp): it saw the records the in-memory reading did (when that read
 *     with the default options, as the rebuild does), the locator opens fresh,
 *     verifies, and every entry reads back (ftf_log_read_at) a record with that
 *     scenario id. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "ftf/event.h"
#include "ftf/locator.h"
#include "ftf/log.h"
#include "fuzz_support.h"

#define TARGET      "forensics_reader"
#define MAX_RECORDS 4096
#define SEEK_CHECKS 8

static const uint8_t *in_data;
static size_t in_size;
static const char *kind = "raw";

static void violation(const char *comparator, const char *reason) {
    ftfz_violation(TARGET, comparator, reason, kind, "none", in_data, in_size);
}

/* ---- making files ----------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} bytes_t;

static void grow(bytes_t *b, size_t extra) {
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        violation("harness", "out_of_memory");
    b->p = p;
    b->cap = cap;
}

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Deflates `len` bytes into b (raw deflate, or gzip when `gzip`). */
static void deflate_into(bytes_t *b, const uint8_t *data, size_t len, int level, bool gzip) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, gzip ? 15 + 16 : -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        violation("harness", "zlib_init");
    const size_t bound = deflateBound(&z, (uLong)len) + 32;
    grow(b, bound);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = b->p + b->len;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        violation("harness", "zlib_deflate");
    b->len += bound - z.avail_out;
    deflateEnd(&z);
}

/* One BGZF member holding data[0 .. len) (len <= 65280). */
static void bgzf_member(bytes_t *b, const uint8_t *data, size_t len, int level) {
    static const uint8_t head[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0};
    const size_t start = b->len;
    grow(b, 18);
    memcpy(b->p + b->len, head, 16);
    b->len += 18; /* BSIZE below */
    deflate_into(b, data, len, level, false);
    grow(b, 8);
    put_le(b->p + b->len, crc32(crc32(0, NULL, 0), data, (uInt)len), 4);
    put_le(b->p + b->len + 4, len, 4);
    b->len += 8;
    put_le(b->p + start + 16, b->len - start - 1, 2);
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct {
    size_t n;
    uint64_t hash[MAX_RECORDS];
    ftf_log_pos_t pos[MAX_RECORDS];
    ftf_log_report_t report;
} readout_t;

static uint64_t hash_line(const char *p, size_t n) {
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* parse -> render -> parse -> render: the two renderings are the same bytes */
static void event_round_trip(const char *line, size_t len) {
    static ftf_event_storage_t st1 = FTF_EVENT_STORAGE_INIT, st2 = FTF_EVENT_STORAGE_INIT;
    static char r1[FTF_RECORD_MAX_LEN + 1], r2[FTF_RECORD_MAX_LEN + 1];
    static ftf_record_t a, b;
    if (ftf_record_parse(line, len, &a, &st1, NULL) != FTF_OK)
        return;
    const size_t n1 = a.kind == FTF_RECORD_KIND_EVENT ? ftf_event_render(&a.event, r1, sizeof r1)
                                                      : ftf_run_header_render(&a.run, r1, sizeof r1);
    if (n1 == 0)
        violation("event_round_trip", "parsed_record_does_not_render");
    if (n1 >= sizeof r1)
        return; /* longer than a record may be: not parsed back */
    const ftf_status st = ftf_record_parse(r1, n1, &b, &st2, NULL);
    if (st != FTF_OK)
        violation("event_round_trip", "rendering_does_not_parse");
    const size_t n2 = b.kind == FTF_RECORD_KIND_EVENT ? ftf_event_render(&b.event, r2, sizeof r2)
                                                      : ftf_run_header_render(&b.run, r2, sizeof r2);
    if (b.kind != a.kind || n2 != n1 || memcmp(r1, r2, n1) != 0)
        violation("event_round_trip", "rendering_differs");
}

static void read_all(const uint8_t *file, size_t len, ftf_log_reader_options_t opts, bool sequential, readout_t *out,
                     bool deep) {
    opts.sequential = sequential;
    ftf_log_reader_t *r;
    if (ftf_log_reader_open_buffer(file, len, "fuzz.jsonl.gz", &opts, &r) != FTF_OK)
        violation("harness", "reader_open");
    ftf_locator_builder_t *loc = NULL;
    if (deep && ftf_locator_builder_new(&loc) != FTF_OK)
        violation("harness", "out_of_memory");
    const size_t max_line = opts.max_line ? opts.max_line : FTF_LOG_DEFAULT_MAX_LINE;
    ftf_log_record_t rec;
    int rc;
    size_t n = 0;
    while ((rc = ftf_log_reader_next(r, &rec)) == 1) {
        if (rec.len == 0 || rec.len > max_line || rec.line[rec.len] != '\0')
            violation("record", "shape");
        if (n < MAX_RECORDS) {
            out->hash[n] = hash_line(rec.line, rec.len);
            out->pos[n] = rec.pos;
        }
        n++;
        if (deep) {
            event_round_trip(rec.line, rec.len);
            const ftf_status st = ftf_locator_builder_add_line(loc, rec.line, rec.len, &rec.pos, NULL);
            if (st != FTF_OK && st != FTF_ENOMEM)
                violation("locator", "add_line_failed");
        }
    }
    if (rc < 0)
        violation("reader", "next_failed");
    out->n = n;
    out->report = *ftf_log_reader_report(r);
    if (out->report.records != n)
        violation("reader", "record_count");
    if (!sequential) { /* seek back to records, first and last ones */
        const size_t kept = n < MAX_RECORDS ? n : MAX_RECORDS;
        for (size_t k = 0; k < kept && k < 2 * SEEK_CHECKS; k++) {
            const size_t i = k < SEEK_CHECKS ? k : kept - 1 - (k - SEEK_CHECKS);
            if (ftf_log_reader_seek(r, 0, out->pos[i].member_offset, out->pos[i].offset) != FTF_OK)
                violation("seek", "seek_failed");
            if (ftf_log_reader_next(r, &rec) != 1 || hash_line(rec.line, rec.len) != out->hash[i])
                violation("seek", "record_differs");
        }
    }
    ftf_locator_builder_free(loc);
    ftf_log_reader_free(r);
}

/* Every counter of two reports (the texts name different files). */
static bool same_counts(const ftf_log_report_t *a, const ftf_log_report_t *b) {
    return a->members == b->members && a->eof_members == b->eof_members && a->foreign_members == b->foreign_members &&
           a->text_files == b->text_files && a->records == b->records && a->data_bytes == b->data_bytes &&
           a->corrupt_members == b->corrupt_members && a->corrupt_bytes == b->corrupt_bytes &&
           a->corrupt_lines == b->corrupt_lines && a->torn_tails == b->torn_tails && a->torn_bytes == b->torn_bytes &&
           a->torn_lines == b->torn_lines && a->junk_bytes == b->junk_bytes && a->missing_eof == b->missing_eof &&
           a->long_lines == b->long_lines && a->bad_lines == b->bad_lines &&
           a->unterminated_lines == b->unterminated_lines && a->io_errors == b->io_errors &&
           a->first_damage == b->first_damage && a->first_status == b->first_status &&
           a->first_offset == b->first_offset;
}

/* ---- the file-based checks (bit 7) -------------------------------------------- */

static char tmpdir[512];

static void remove_tmpdir(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/fuzz.ftidx", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

static void file_checks(const uint8_t *file, size_t len, const ftf_log_reader_options_t *opts, const readout_t *mem) {
    if (!tmpdir[0]) { /* $TMPDIR, else /dev/shm (the locator is fsync'ed: cheap in memory), else /tmp */
        const char *t = getenv("TMPDIR");
        if (!t || !t[0])
            t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/ft-fuzz-reader-XXXXXX", t);
        if (!mkdtemp(tmpdir))
            violation("harness", "mkdtemp");
        atexit(remove_tmpdir);
    }
    const int fd = memfd_create("fuzz-log", MFD_CLOEXEC);
    if (fd < 0)
        violation("harness", "memfd_create");
    for (size_t off = 0; off < len;) {
        const ssize_t k = write(fd, file + off, len - off);
        if (k <= 0)
            violation("harness", "memfd_write");
        off += (size_t)k;
    }
    char path[64], index[600];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    snprintf(index, sizeof index, "%s/fuzz.ftidx", tmpdir);

    ftf_log_report_t rep;
    const ftf_status vst = ftf_log_verify(path, opts, &rep);
    if (!same_counts(&rep, &mem->report))
        violation("verify", "report_differs");
    if (vst == FTF_OK && ftf_log_report_damaged(&rep))
        violation("verify", "ok_but_damaged");

    ftf_locator_build_stats_t stats;
    const ftf_status bst = ftf_locator_build_from_log(path, index, &stats, NULL);
    if (bst == FTF_OK) {
        ftf_locator_t *loc;
        /* the rebuild reads with the default options */
        if (!opts->validate_json && !opts->max_line && stats.records != mem->report.records)
            violation("locator", "records_differ");
        if (ftf_locator_open(path, index, 0, &loc) != FTF_OK)
            violation("locator", "fresh_locator_does_not_open");
        if (ftf_locator_count(loc) != stats.entries)
            violation("locator", "entry_count");
        for (size_t i = 0; i < ftf_locator_count(loc) && i < SEEK_CHECKS; i++) {
            ftf_locator_entry_t e;
            char *line = NULL;
            size_t n = 0;
            if (ftf_locator_entry_at(loc, i, &e) != FTF_OK)
                violation("locator", "entry_unreadable");
            if (ftf_log_read_at(path, e.pos.member_offset, e.pos.offset, &line, &n) != FTF_OK)
                violation("locator", "entry_does_not_read_back");
            ftf_record_fields_t f;
            const bool same = ftf_record_peek(line, n, FTF_PEEK_SCENARIO_ID, &f) != FTF_PEEK_OK || !f.scenario_id ||
                              (f.scenario_id_len == strlen(e.scenario_id) &&
                               memcmp(f.scenario_id, e.scenario_id, f.scenario_id_len) == 0);
            free(line);
            if (!same)
                violation("locator", "entry_names_another_record");
        }
        ftf_locator_free(loc);
        if (ftf_locator_verify(path, index) != FTF_OK)
            violation("locator", "fresh_locator_does_not_verify");
    } else if (bst != FTF_ENOMEM && bst != FTF_ELIMIT) {
        violation("locator", "build_failed");
    }
    unlink(index);
    close(fd);
}

/* ---- the target ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static readout_t seekable, sequential;
    static bytes_t made;
    in_data = data;
    in_size = size;
    ftfz_reader_t r = ftfz_reader(data, size);
    const uint8_t opt = ftfz_u8(&r);
    const unsigned container = (opt >> 2) & 3u;
    ftf_log_reader_options_t opts = FTF_LOG_READER_OPTIONS_INIT;
    opts.validate_json = opt & 1u;
    opts.max_line = opt & 2u ? 512 : 0;
    const uint8_t *file;
    size_t len;
    kind = container == 1 ? "bgzf" : container == 2 ? "gzip" : "raw";
    if (container == 1 || container == 2) {
        const size_t chunk = 64u * (1u + ftfz_u8(&r));
        const int level = ftfz_u8(&r) & 1u ? 0 : 1;
        const size_t damage_at = opt & 0x20u ? (size_t)ftfz_le(&r, 2) : 0;
        const uint8_t damage_mask = opt & 0x20u ? ftfz_u8(&r) : 0;
        const size_t cut_at = opt & 0x40u ? (size_t)ftfz_le(&r, 2) : 0;
        const uint8_t *payload = data + (r.pos < size ? r.pos : size);
        const size_t plen = ftfz_left(&r);
        made.len = 0;
        if (container == 2) {
            deflate_into(&made, payload, plen, level, true);
        } else {
            for (size_t off = 0; off < plen; off += chunk)
                bgzf_member(&made, payload + off, plen - off < chunk ? plen - off : chunk, level);
        }
        if (opt & 0x10u) {
            static const uint8_t eof[28] = {0x1f, 0x8b, 8,    4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C',
                                            2,    0,    0x1b, 0, 3, 0, 0, 0, 0, 0,    0, 0, 0,   0};
            grow(&made, sizeof eof);
            memcpy(made.p + made.len, eof, sizeof eof);
            made.len += sizeof eof;
        }
        if ((opt & 0x20u) && made.len)
            made.p[damage_at % made.len] ^= damage_mask;
        if ((opt & 0x40u) && made.len)
            made.len = cut_at % made.len;
        file = made.p ? made.p : data;
        len = made.len;
    } else {
        file = data + (size ? 1 : 0);
        len = size ? size - 1 : 0;
    }

    read_all(file, len, opts, false, &seekable, true);
    read_all(file, len, opts, true, &sequential, false);
    const size_t kept = seekable.n < MAX_RECORDS ? seekable.n : MAX_RECORDS;
    if (seekable.n != sequential.n || memcmp(seekable.hash, sequential.hash, kept * sizeof seekable.hash[0]) != 0)
        violation("sequential_vs_seekable", "records_differ");
    if (container == 1 && !same_counts(&seekable.report, &sequential.report))
        violation("sequential_vs_seekable", "report_differs");
    if (opt & 0x80u)
        file_checks(file, len, &opts, &seekable);
    return 0;
}
