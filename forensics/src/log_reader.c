/* Log reader: records across members and files, damage skipped and counted
 * (forensics/FORMAT.md §1: what the reader tolerates).
 *
 * The file is read through one window (pread) so that resynchronising after a
 * damaged member can look ahead and step back. A step decodes what starts at
 * the current member boundary:
 *   - a BGZF member (the fast path): BSIZE gives its size, the deflate data is
 *     inflated in one call into a 64 KiB buffer, CRC32 and ISIZE are checked,
 *     and only then are its lines handed out;
 *   - any other gzip member ("foreign", e.g. plain `gzip` output): inflated
 *     once through zlib's gzip wrapper to check it (CRC and ISIZE) and find its
 *     end, then inflated again, streaming, to hand out its lines — so a
 *     member's lines are only ever returned after its checksum held;
 *   - anything else, or a member that fails: a damaged region, skipped up to
 *     the next member header (the BGZF header pattern once the file has shown
 *     one, the gzip magic otherwise); a member running past the end of the
 *     file with no member header after it is the torn tail.
 * Memory: the window, one member buffer, one line of at most max_line. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ftf/log.h"
#include "log_format.h"

#define WINDOW_SIZE (256u * 1024u)
#define CHUNK_SIZE  FTF_LOG_MEMBER_SIZE_MAX /* member buffer, inflate chunks, scan steps */

typedef enum { M_NONE = 0, M_BUFFER, M_STREAM } member_state_t;

typedef enum { STEP_DATA, STEP_EMPTY, STEP_DAMAGED, STEP_END } step_t;

struct ftf_log_reader {
    ftf_log_reader_options_t opts;
    size_t max_line;
    char **paths;
    size_t count;
    const uint8_t *mem; /* ftf_log_reader_open_buffer */
    size_t mem_len;
    char *mem_name;

    /* current file */
    size_t file_index;
    bool file_open;
    int fd;
    uint64_t size;
    uint64_t pos; /* next member boundary */
    bool io_failed;
    bool seen_bgzf;       /* a BGZF header was seen: resync on that pattern */
    bool any_intact;      /* an intact member was read */
    bool last_intact_eof; /* the last intact member was an EOF member */
    bool any_bgzf_intact;
    /* compressed bytes inflated so far while checking foreign (plain gzip)
     * members of this file: a crafted file can hide a gzip header inside each
     * stored block so that every restart decodes to the end again (quadratic);
     * past FOREIGN_BUDGET(size) further foreign candidates are skipped as damage */
    uint64_t foreign_checked;

    /* window over the file: bytes [win_off, win_off + win_len) */
    uint8_t *win;
    uint64_t win_off;
    size_t win_len;

    z_stream raw; /* raw inflate: BGZF members */
    bool raw_ready;
    z_stream gz; /* gzip-wrapper inflate: foreign members */
    bool gz_ready;

    /* the member whose lines are being handed out */
    member_state_t mstate;
    uint64_t m_offset; /* its file offset */
    uint8_t *buf;      /* CHUNK_SIZE + 1: a BGZF member's data, or a chunk of a foreign one */
    size_t m_len, m_cur;
    uint64_t m_base; /* uncompressed offset of buf[0] within the member */
    bool m_final;    /* buf holds the member's last bytes */
    uint64_t m_in;   /* M_STREAM: file offset of the next compressed byte */
    uint8_t m_prev;  /* last byte of the previous chunk ('\n' at the start) */

    /* a line spanning chunks of a foreign member */
    char *line;
    size_t line_len, line_cap;
    bool line_active, line_long;
    uint64_t line_off;

    ftf_log_damage_t last_damage; /* of the last skipped region */
    ftf_log_report_t report;
};

const char *ftf_log_damage_name(ftf_log_damage_t damage) {
    switch (damage) {
    case FTF_LOG_DAMAGE_NONE:
        return "none";
    case FTF_LOG_DAMAGE_BAD_HEADER:
        return "bad_header";
    case FTF_LOG_DAMAGE_BSIZE:
        return "bsize_mismatch";
    case FTF_LOG_DAMAGE_INFLATE:
        return "inflate_error";
    case FTF_LOG_DAMAGE_CRC:
        return "crc_mismatch";
    case FTF_LOG_DAMAGE_TORN:
        return "torn_tail";
    case FTF_LOG_DAMAGE_JUNK:
        return "trailing_junk";
    case FTF_LOG_DAMAGE_MISSING_EOF:
        return "missing_eof";
    case FTF_LOG_DAMAGE_LINE_TOO_LONG:
        return "line_too_long";
    case FTF_LOG_DAMAGE_BAD_LINE:
        return "bad_line";
    case FTF_LOG_DAMAGE_UNTERMINATED:
        return "unterminated_line";
    case FTF_LOG_DAMAGE_IO:
        return "io_error";
    }
    return "invalid_damage";
}

static ftf_status damage_status(ftf_log_damage_t d) {
    switch (d) {
    case FTF_LOG_DAMAGE_NONE:
        return FTF_OK;
    case FTF_LOG_DAMAGE_TORN:
    case FTF_LOG_DAMAGE_MISSING_EOF:
        return FTF_ETRUNCATED;
    case FTF_LOG_DAMAGE_LINE_TOO_LONG:
        return FTF_ELINE_TOO_LONG;
    case FTF_LOG_DAMAGE_BAD_LINE:
    case FTF_LOG_DAMAGE_UNTERMINATED:
        return FTF_EBAD_RECORD;
    case FTF_LOG_DAMAGE_IO:
        return FTF_EIO;
    default:
        return FTF_ECORRUPT;
    }
}

bool ftf_log_report_damaged(const ftf_log_report_t *rep) {
    return rep && (rep->corrupt_members || rep->torn_tails || rep->junk_bytes || rep->missing_eof || rep->long_lines ||
                   rep->bad_lines || rep->unterminated_lines || rep->io_errors);
}

static const char *cur_path(const ftf_log_reader_t *r) {
    if (r->mem)
        return r->mem_name;
    return r->file_index < r->count ? r->paths[r->file_index] : "";
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
static void
note(ftf_log_reader_t *r, ftf_log_damage_t d, uint64_t offset, const char *fmt, ...) {
    ftf_log_report_t *rep = &r->report;
    if (rep->first_damage != FTF_LOG_DAMAGE_NONE)
        return;
    char detail[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    rep->first_damage = d;
    rep->first_status = damage_status(d);
    rep->first_file = r->file_index;
    rep->first_offset = offset;
    snprintf(rep->first_detail, sizeof rep->first_detail, "%s: %s at offset %llu%s%s", cur_path(r),
             ftf_log_damage_name(d), (unsigned long long)offset, detail[0] ? ": " : "", detail);
}

static void member_event(ftf_log_reader_t *r, uint64_t offset, uint64_t size, uint64_t data_size, uint32_t crc,
                         uint64_t lines, ftf_log_member_kind_t kind, ftf_log_damage_t damage, const char *detail) {
    if (!r->opts.on_member)
        return;
    ftf_log_member_info_t m = {r->file_index, cur_path(r), offset, size,   data_size,
                               crc,           lines,       kind,   damage, detail ? detail : ""};
    r->opts.on_member(&m, r->opts.on_member_payload);
}

/* A skipped region [offset, offset + size) and why. */
static void region(ftf_log_reader_t *r, ftf_log_damage_t d, uint64_t offset, uint64_t size, uint64_t lines,
                   const char *detail) {
    ftf_log_report_t *rep = &r->report;
    r->last_damage = d;
    switch (d) {
    case FTF_LOG_DAMAGE_TORN:
        rep->torn_tails++;
        rep->torn_bytes += size;
        rep->torn_lines += lines;
        break;
    case FTF_LOG_DAMAGE_JUNK:
        rep->junk_bytes += size;
        break;
    default:
        rep->corrupt_members++;
        rep->corrupt_bytes += size;
        rep->corrupt_lines += lines;
        break;
    }
    note(r, d, offset, "%llu bytes%s%s", (unsigned long long)size, detail && detail[0] ? ", " : "",
         detail ? detail : "");
    member_event(r, offset, size, 0, 0, lines, FTF_LOG_MEMBER_DAMAGED, d, detail);
}

static void io_fail(ftf_log_reader_t *r, const char *what) {
    if (r->io_failed)
        return;
    r->io_failed = true;
    r->report.io_errors++;
    note(r, FTF_LOG_DAMAGE_IO, r->pos, "%s: %s", what, strerror(errno));
}

/* ---- the window ---------------------------------------------------------- */

/* Bytes at file offset `off`: returns a pointer and sets *avail to how many
 * are there (up to `want` <= WINDOW_SIZE; fewer only at the end of the file
 * or on a read error, which sets io_failed). */
static const uint8_t *get(ftf_log_reader_t *r, uint64_t off, size_t want, size_t *avail) {
    *avail = 0;
    if (off >= r->size)
        return NULL;
    const uint64_t left = r->size - off;
    const size_t n = left < want ? (size_t)left : want;
    if (r->mem) {
        *avail = n;
        return r->mem + off;
    }
    if (off >= r->win_off && off + n <= r->win_off + r->win_len) {
        *avail = n;
        return r->win + (off - r->win_off);
    }
    r->win_off = off;
    r->win_len = 0;
    const size_t fill = left < WINDOW_SIZE ? (size_t)left : WINDOW_SIZE;
    while (r->win_len < fill) {
        ssize_t k = pread(r->fd, r->win + r->win_len, fill - r->win_len, (off_t)(off + r->win_len));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO; /* the file shrank under us */
            io_fail(r, "read");
            break;
        }
        r->win_len += (size_t)k;
    }
    *avail = r->win_len < n ? r->win_len : n;
    return r->win;
}

/* Offset of the next member header at or after `from`, or r->size. */
static uint64_t scan(ftf_log_reader_t *r, uint64_t from) {
    const size_t need = r->seen_bgzf ? 16 : 4;
    uint64_t off = from;
    while (off < r->size && !r->io_failed) {
        size_t avail;
        const uint8_t *p = get(r, off, CHUNK_SIZE + need - 1, &avail);
        if (avail < need)
            break;
        const size_t limit = avail - (need - 1);
        for (size_t i = 0; i < limit; i++) {
            const uint8_t *q = memchr(p + i, 0x1f, limit - i);
            if (!q)
                break;
            i = (size_t)(q - p);
            if (r->seen_bgzf ? ftf__log_is_bgzf_header(q) : ftf__log_is_gzip_start(q))
                return off + i;
        }
        off += limit;
    }
    return r->size;
}

static uint64_t count_lines(const uint8_t *p, size_t n) {
    uint64_t k = 0;
    const uint8_t *end = p + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* Complete lines in whatever a damaged BGZF member's deflate data yields. */
static uint64_t salvage_count(ftf_log_reader_t *r, const uint8_t *cdata, size_t n) {
    if (inflateReset(&r->raw) != Z_OK)
        return 0;
    r->raw.next_in = (Bytef *)(uintptr_t)cdata;
    r->raw.avail_in = (uInt)n;
    r->raw.next_out = r->buf;
    r->raw.avail_out = CHUNK_SIZE;
    (void)inflate(&r->raw, Z_SYNC_FLUSH);
    return count_lines(r->buf, CHUNK_SIZE - r->raw.avail_out);
}

/* ---- one step at a member boundary -------------------------------------- */

/* The region starting at r->pos is damaged: skip to the next member header. */
static step_t damaged(ftf_log_reader_t *r, ftf_log_damage_t d, uint64_t lines, const char *detail) {
    const uint64_t next = scan(r, r->pos + 1);
    if (next >= r->size && d == FTF_LOG_DAMAGE_BAD_HEADER)
        d = FTF_LOG_DAMAGE_JUNK;
    region(r, d, r->pos, next - r->pos, lines, detail);
    r->pos = next;
    return STEP_DAMAGED;
}

static void intact(ftf_log_reader_t *r, ftf_log_member_kind_t kind) {
    r->any_intact = true;
    r->last_intact_eof = kind == FTF_LOG_MEMBER_EOF;
    if (kind != FTF_LOG_MEMBER_FOREIGN)
        r->any_bgzf_intact = true;
}

static step_t step_bgzf(ftf_log_reader_t *r, const uint8_t *hdr) {
    const uint64_t pos = r->pos, left = r->size - pos;
    const uint64_t size = ftf__log_get16(hdr + 16) + 1;
    r->seen_bgzf = true;
    if (size < FTF__LOG_MEMBER_MIN)
        return damaged(r, FTF_LOG_DAMAGE_BSIZE, 0, "BSIZE below the smallest member");
    size_t avail;
    if (size > left) {
        /* Past the end: the torn tail, unless another member follows (then
         * BSIZE itself is damaged). */
        const uint64_t next = scan(r, pos + 1);
        if (next < r->size)
            return damaged(r, FTF_LOG_DAMAGE_BSIZE, 0, "member runs past the next member header");
        const uint8_t *p = get(r, pos, (size_t)left, &avail);
        uint64_t lines =
            avail > FTF__LOG_HEADER_SIZE ? salvage_count(r, p + FTF__LOG_HEADER_SIZE, avail - FTF__LOG_HEADER_SIZE) : 0;
        region(r, FTF_LOG_DAMAGE_TORN, pos, left, lines, "");
        r->pos = r->size;
        return STEP_DAMAGED;
    }
    const uint8_t *p = get(r, pos, (size_t)size, &avail);
    if (avail < size)
        return STEP_END; /* read error, already noted */
    z_stream *zs = &r->raw;
    if (inflateReset(zs) != Z_OK)
        return damaged(r, FTF_LOG_DAMAGE_INFLATE, 0, "inflateReset");
    zs->next_in = (Bytef *)(uintptr_t)(p + FTF__LOG_HEADER_SIZE);
    zs->avail_in = (uInt)(size - FTF__LOG_OVERHEAD);
    zs->next_out = r->buf;
    zs->avail_out = CHUNK_SIZE;
    const int rc = inflate(zs, Z_FINISH);
    const size_t produced = CHUNK_SIZE - zs->avail_out;
    if (rc != Z_STREAM_END) {
        const uint64_t lines = count_lines(r->buf, produced);
        if (rc == Z_DATA_ERROR)
            return damaged(r, FTF_LOG_DAMAGE_INFLATE, lines, zs->msg ? zs->msg : "invalid deflate data");
        if (zs->avail_out == 0)
            return damaged(r, FTF_LOG_DAMAGE_INFLATE, lines, "more than 64 KiB of data");
        return damaged(r, FTF_LOG_DAMAGE_BSIZE, lines, "deflate data continues past BSIZE");
    }
    if (zs->avail_in != 0)
        return damaged(r, FTF_LOG_DAMAGE_BSIZE, count_lines(r->buf, produced), "deflate data ends before BSIZE");
    const uint32_t crc = ftf__log_get32(p + size - 8), isize = ftf__log_get32(p + size - 4);
    if (isize != produced || (uint32_t)crc32(0L, r->buf, (uInt)produced) != crc)
        return damaged(r, FTF_LOG_DAMAGE_CRC, count_lines(r->buf, produced),
                       isize != produced ? "ISIZE does not match the data" : "CRC32 does not match the data");
    const uint64_t lines = count_lines(r->buf, produced);
    const ftf_log_member_kind_t kind = produced ? FTF_LOG_MEMBER_BGZF : FTF_LOG_MEMBER_EOF;
    intact(r, kind);
    member_event(r, pos, size, produced, crc, lines, kind, FTF_LOG_DAMAGE_NONE, "");
    r->pos = pos + size;
    if (!produced) {
        r->report.eof_members++;
        return STEP_EMPTY;
    }
    r->report.members++;
    r->report.data_bytes += produced;
    r->mstate = M_BUFFER;
    r->m_offset = pos;
    r->m_len = produced;
    r->m_cur = 0;
    r->m_base = 0;
    r->m_final = true;
    r->m_prev = '\n';
    return STEP_DATA;
}

static ftf_log_damage_t zlib_damage(const char *msg) {
    if (!msg)
        return FTF_LOG_DAMAGE_INFLATE;
    if (strstr(msg, "header") || strstr(msg, "unknown compression method"))
        return FTF_LOG_DAMAGE_BAD_HEADER;
    if (strstr(msg, "incorrect data check") || strstr(msg, "incorrect length check"))
        return FTF_LOG_DAMAGE_CRC;
    return FTF_LOG_DAMAGE_INFLATE;
}

/* Total compressed bytes a file's foreign-member checks may inflate: four times
 * the file plus 1 MiB keeps reading linear in the file size. */
#define FOREIGN_BUDGET(size) (4 * (size) + (UINT64_C(1) << 20))

/* A gzip member without BC: check it whole first (its end is only known by
 * inflating it), then stream it. */
static step_t step_foreign(ftf_log_reader_t *r) {
    const uint64_t pos = r->pos;
    z_stream *zs = &r->gz;
    if (r->foreign_checked >= FOREIGN_BUDGET(r->size))
        return damaged(r, FTF_LOG_DAMAGE_INFLATE, 0, "foreign-member check budget spent (crafted input?)");
    if (inflateReset(zs) != Z_OK)
        return damaged(r, FTF_LOG_DAMAGE_INFLATE, 0, "inflateReset");
    uint64_t in = pos, lines = 0, out = 0;
    for (;;) {
        size_t avail;
        const uint8_t *p = get(r, in, CHUNK_SIZE, &avail);
        if (r->io_failed)
            return STEP_END;
        if (avail == 0) {
            /* torn, unless a member header follows (then this one lied, e.g.
             * a damaged XLEN swallowing the members after it) */
            if (scan(r, pos + 1) < r->size)
                return damaged(r, FTF_LOG_DAMAGE_INFLATE, lines, "member runs past the next member header");
            region(r, FTF_LOG_DAMAGE_TORN, pos, r->size - pos, lines, "");
            r->pos = r->size;
            return STEP_DAMAGED;
        }
        zs->next_in = (Bytef *)(uintptr_t)p;
        zs->avail_in = (uInt)avail;
        zs->next_out = r->buf;
        zs->avail_out = CHUNK_SIZE;
        const int rc = inflate(zs, Z_NO_FLUSH);
        const size_t consumed = avail - zs->avail_in;
        in += consumed;
        r->foreign_checked += consumed;
        const size_t produced = CHUNK_SIZE - zs->avail_out;
        lines += count_lines(r->buf, produced);
        out += produced;
        if (rc == Z_STREAM_END)
            break;
        if (r->foreign_checked >= FOREIGN_BUDGET(r->size))
            return damaged(r, FTF_LOG_DAMAGE_INFLATE, lines, "foreign-member check budget spent (crafted input?)");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return damaged(r, zlib_damage(zs->msg), lines, zs->msg ? zs->msg : "inflate error");
        if (consumed == 0 && produced == 0)
            return damaged(r, FTF_LOG_DAMAGE_INFLATE, lines, "inflate makes no progress");
    }
    const uint64_t size = in - pos;
    intact(r, FTF_LOG_MEMBER_FOREIGN);
    r->report.foreign_members++;
    r->report.data_bytes += out;
    member_event(r, pos, size, out, (uint32_t)zs->adler, lines, FTF_LOG_MEMBER_FOREIGN, FTF_LOG_DAMAGE_NONE, "");
    r->pos = pos + size;
    if (out == 0)
        return STEP_EMPTY;
    if (inflateReset(zs) != Z_OK)
        return STEP_END;
    r->mstate = M_STREAM;
    r->m_offset = pos;
    r->m_in = pos;
    r->m_len = r->m_cur = 0;
    r->m_base = 0;
    r->m_final = false;
    r->m_prev = '\n';
    return STEP_DATA;
}

static step_t step(ftf_log_reader_t *r) {
    if (r->io_failed || r->pos >= r->size)
        return STEP_END;
    size_t avail;
    const uint8_t *p = get(r, r->pos, FTF__LOG_HEADER_SIZE, &avail);
    if (r->io_failed)
        return STEP_END;
    if (avail >= 16 && ftf__log_is_bgzf_header(p)) {
        if (avail < FTF__LOG_HEADER_SIZE) { /* the file ends inside BSIZE */
            region(r, FTF_LOG_DAMAGE_TORN, r->pos, avail, 0, "");
            r->pos = r->size;
            return STEP_DAMAGED;
        }
        return step_bgzf(r, p);
    }
    if (avail < 16 && r->pos + avail == r->size) {
        /* A short tail: torn if it is the start of a BGZF header. */
        bool prefix = true;
        for (size_t i = 0; i < avail && prefix; i++)
            prefix = (i >= 4 && i < 10) || p[i] == ftf__log_eof_member[i];
        if (prefix) {
            region(r, FTF_LOG_DAMAGE_TORN, r->pos, avail, 0, "");
            r->pos = r->size;
            return STEP_DAMAGED;
        }
    }
    if (avail >= 4 && ftf__log_is_gzip_start(p))
        return step_foreign(r);
    return damaged(r, FTF_LOG_DAMAGE_BAD_HEADER, 0, "no gzip member header");
}

/* ---- files --------------------------------------------------------------- */

static void reset_member(ftf_log_reader_t *r) {
    r->mstate = M_NONE;
    r->line_active = r->line_long = false;
    r->line_len = 0;
}

/* `finished`: the file was read to its end (a file left midway by a seek is
 * not judged). */
static void close_file(ftf_log_reader_t *r, bool finished) {
    if (!r->file_open)
        return;
    if (finished && !r->io_failed && (r->any_bgzf_intact || r->seen_bgzf || !r->any_intact) && !r->last_intact_eof) {
        r->report.missing_eof++;
        note(r, FTF_LOG_DAMAGE_MISSING_EOF, r->size, "the log was not closed, or was cut at a member boundary");
    }
    if (!r->mem && r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->file_open = false;
    reset_member(r);
}

static bool open_file(ftf_log_reader_t *r, size_t index) {
    close_file(r, false);
    r->file_index = index;
    r->pos = 0;
    r->io_failed = r->seen_bgzf = r->any_intact = r->last_intact_eof = r->any_bgzf_intact = false;
    r->foreign_checked = 0;
    r->win_off = 0;
    r->win_len = 0;
    r->report.files++;
    if (r->mem) {
        r->size = r->mem_len;
        r->file_open = true;
        return true;
    }
    r->fd = open(r->paths[index], O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        io_fail(r, "open");
        return false;
    }
    struct stat st;
    const char *what = NULL;
    if (fstat(r->fd, &st) != 0)
        what = "stat";
    else if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        what = "not a regular file";
    }
    if (what) {
        io_fail(r, what);
        close(r->fd);
        r->fd = -1;
        return false;
    }
    r->size = (uint64_t)st.st_size;
    r->file_open = true;
    return true;
}

static ftf_status reader_new(const ftf_log_reader_options_t *opts, ftf_log_reader_t **out) {
    if (opts && opts->max_line > FTF_LOG_MAX_LINE_LIMIT)
        return FTF_EINVALID_ARGUMENT; /* max_line + 1 must not wrap, and a line is held in memory */
    ftf_log_reader_t *r = calloc(1, sizeof *r);
    if (!r)
        return FTF_ENOMEM;
    if (opts)
        r->opts = *opts;
    r->max_line = r->opts.max_line ? r->opts.max_line : FTF_LOG_DEFAULT_MAX_LINE;
    r->fd = -1;
    r->buf = malloc(CHUNK_SIZE + 1);
    r->win = malloc(WINDOW_SIZE);
    if (!r->buf || !r->win || inflateInit2(&r->raw, -15) != Z_OK) {
        ftf_log_reader_free(r);
        return FTF_ENOMEM;
    }
    r->raw_ready = true;
    if (inflateInit2(&r->gz, 15 + 16) != Z_OK) {
        ftf_log_reader_free(r);
        return FTF_ENOMEM;
    }
    r->gz_ready = true;
    *out = r;
    return FTF_OK;
}

ftf_status ftf_log_reader_open(const char *const *paths, size_t count, const ftf_log_reader_options_t *opts,
                               ftf_log_reader_t **out) {
    if (!out || (count && !paths))
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    for (size_t i = 0; i < count; i++)
        if (!paths[i])
            return FTF_EINVALID_ARGUMENT;
    ftf_log_reader_t *r;
    ftf_status st = reader_new(opts, &r);
    if (st)
        return st;
    r->paths = calloc(count ? count : 1, sizeof *r->paths);
    if (!r->paths) {
        ftf_log_reader_free(r);
        return FTF_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        const size_t n = strlen(paths[i]) + 1;
        if (!(r->paths[r->count] = malloc(n))) {
            ftf_log_reader_free(r);
            return FTF_ENOMEM;
        }
        memcpy(r->paths[r->count++], paths[i], n);
    }
    *out = r;
    return FTF_OK;
}

ftf_status ftf_log_reader_open_buffer(const void *data, size_t len, const char *name,
                                      const ftf_log_reader_options_t *opts, ftf_log_reader_t **out) {
    static const uint8_t empty[1] = {0};
    if (!out || (len && !data))
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    ftf_log_reader_t *r;
    ftf_status st = reader_new(opts, &r);
    if (st)
        return st;
    if (!name)
        name = "<memory>";
    r->mem = len ? data : empty;
    r->mem_len = len;
    r->count = 1;
    if (!(r->mem_name = malloc(strlen(name) + 1))) {
        ftf_log_reader_free(r);
        return FTF_ENOMEM;
    }
    memcpy(r->mem_name, name, strlen(name) + 1);
    *out = r;
    return FTF_OK;
}

void ftf_log_reader_free(ftf_log_reader_t *r) {
    if (!r)
        return;
    if (r->file_open && !r->mem && r->fd >= 0)
        close(r->fd);
    if (r->raw_ready)
        inflateEnd(&r->raw);
    if (r->gz_ready)
        inflateEnd(&r->gz);
    for (size_t i = 0; r->paths && i < r->count; i++)
        free(r->paths[i]);
    free(r->paths);
    free(r->mem_name);
    free(r->buf);
    free(r->win);
    free(r->line);
    free(r);
}

const ftf_log_report_t *ftf_log_reader_report(const ftf_log_reader_t *r) {
    return r ? &r->report : NULL;
}

/* ---- lines --------------------------------------------------------------- */

/* Next chunk of a foreign member into buf. */
static bool refill(ftf_log_reader_t *r) {
    z_stream *zs = &r->gz;
    r->m_base += r->m_len;
    if (r->m_len)
        r->m_prev = r->buf[r->m_len - 1];
    r->m_len = r->m_cur = 0;
    zs->next_out = r->buf;
    zs->avail_out = CHUNK_SIZE;
    while (zs->avail_out > 0) {
        size_t avail;
        const uint8_t *p = get(r, r->m_in, CHUNK_SIZE, &avail);
        if (avail == 0)
            return false; /* checked whole a moment ago: the file changed, or a read error */
        zs->next_in = (Bytef *)(uintptr_t)p;
        zs->avail_in = (uInt)avail;
        const uInt out_before = zs->avail_out;
        const int rc = inflate(zs, Z_NO_FLUSH);
        r->m_in += avail - zs->avail_in;
        if (rc == Z_STREAM_END) {
            r->m_final = true;
            break;
        }
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || (zs->avail_in == avail && zs->avail_out == out_before))
            return false;
    }
    r->m_len = CHUNK_SIZE - zs->avail_out;
    return true;
}

static bool append_line(ftf_log_reader_t *r, const uint8_t *p, size_t n) {
    if (r->line_len + n + 1 > r->line_cap) {
        size_t cap = r->line_cap ? r->line_cap : 4096;
        while (cap < r->line_len + n + 1)
            cap *= 2;
        if (cap > r->max_line + 1)
            cap = r->max_line + 1;
        char *line = realloc(r->line, cap);
        if (!line)
            return false;
        r->line = line;
        r->line_cap = cap;
    }
    memcpy(r->line + r->line_len, p, n);
    r->line_len += n;
    return true;
}

static bool line_ok(const ftf_log_reader_t *r, const char *s, size_t n) {
    size_t i = 0, j = n;
    while (i < j && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    while (j > i && (s[j - 1] == ' ' || s[j - 1] == '\t' || s[j - 1] == '\r'))
        j--;
    if (j - i < 2 || s[i] != '{' || s[j - 1] != '}' || memchr(s, '\0', n))
        return false;
    if (!r->opts.validate_json)
        return true;
    json_error_t err;
    json_t *v = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
    const bool ok = v && json_is_object(v);
    json_decref(v);
    return ok;
}

/* 1: a line in *rec; 0: the member is done; <0: an error. */
static int member_next_line(ftf_log_reader_t *r, ftf_log_record_t *rec) {
    for (;;) {
        if (r->m_cur < r->m_len) {
            uint8_t *p = r->buf + r->m_cur;
            const size_t n = r->m_len - r->m_cur;
            uint8_t *nl = memchr(p, '\n', n);
            if (!nl) {
                /* the line goes on in the next chunk (or is unterminated) */
                if (!r->line_active) {
                    r->line_active = true;
                    r->line_long = false;
                    r->line_len = 0;
                    r->line_off = r->m_base + r->m_cur;
                }
                if (!r->line_long && r->line_len + n > r->max_line)
                    r->line_long = true;
                if (!r->line_long && !append_line(r, p, n))
                    return FTF_ENOMEM;
                r->m_cur = r->m_len;
                continue;
            }
            const size_t k = (size_t)(nl - p);
            const char *s;
            size_t len;
            uint64_t off;
            bool too_long;
            r->m_cur += k + 1;
            if (r->line_active) {
                r->line_active = false;
                off = r->line_off;
                len = r->line_len + k;
                too_long = r->line_long || len > r->max_line;
                if (!too_long && !append_line(r, p, k))
                    return FTF_ENOMEM;
                if (!too_long)
                    r->line[len] = '\0';
                s = r->line;
            } else {
                off = r->m_base + (uint64_t)(p - r->buf);
                len = k;
                too_long = len > r->max_line;
                *nl = '\0';
                s = (const char *)p;
            }
            if (too_long) {
                r->report.long_lines++;
                note(r, FTF_LOG_DAMAGE_LINE_TOO_LONG, r->m_offset, "line at %llu: %zu bytes, limit %zu",
                     (unsigned long long)off, len, r->max_line);
                continue;
            }
            if (!line_ok(r, s, len)) {
                r->report.bad_lines++;
                note(r, FTF_LOG_DAMAGE_BAD_LINE, r->m_offset, "line at %llu is not a JSON object",
                     (unsigned long long)off);
                continue;
            }
            r->report.records++;
            rec->line = s;
            rec->len = len;
            rec->file_index = r->file_index;
            rec->path = cur_path(r);
            rec->pos.member_offset = r->m_offset;
            rec->pos.offset = off;
            rec->pos.length = len;
            return 1;
        }
        if (r->m_final) {
            if (r->line_active) {
                r->line_active = false;
                r->report.unterminated_lines++;
                note(r, FTF_LOG_DAMAGE_UNTERMINATED, r->m_offset, "member data ends inside a line at %llu",
                     (unsigned long long)r->line_off);
            }
            r->mstate = M_NONE;
            return 0;
        }
        if (!refill(r)) {
            if (!r->io_failed)
                io_fail(r, "the file changed while reading");
            reset_member(r);
            return 0;
        }
    }
}

int ftf_log_reader_next(ftf_log_reader_t *r, ftf_log_record_t *rec) {
    if (!r || !rec)
        return FTF_EINVALID_ARGUMENT;
    for (;;) {
        if (r->mstate != M_NONE) {
            const int k = member_next_line(r, rec);
            if (k != 0)
                return k;
            continue;
        }
        if (!r->file_open) {
            if (r->file_index >= r->count)
                return 0;
            if (!open_file(r, r->file_index)) {
                r->file_index++;
                continue;
            }
        }
        if (step(r) == STEP_END) {
            close_file(r, true);
            r->file_index++;
        }
    }
}

ftf_status ftf_log_reader_seek(ftf_log_reader_t *r, size_t file_index, uint64_t member_offset, uint64_t offset) {
    if (!r || file_index >= r->count)
        return FTF_EINVALID_ARGUMENT;
    if (!r->file_open || r->file_index != file_index) {
        if (!open_file(r, file_index)) {
            r->file_index++;
            return FTF_EIO;
        }
    }
    reset_member(r);
    if (member_offset >= r->size)
        return FTF_ENOT_FOUND;
    r->pos = member_offset;
    const step_t s = step(r);
    if (s == STEP_DAMAGED)
        return r->last_damage == FTF_LOG_DAMAGE_TORN ? FTF_ETRUNCATED : FTF_ECORRUPT;
    if (s != STEP_DATA)
        return s == STEP_END && r->io_failed ? FTF_EIO : FTF_ENOT_FOUND;
    /* move to `offset` in the member's data, which must start a line */
    while (offset >= r->m_base + r->m_len && !r->m_final) {
        if (!refill(r)) {
            reset_member(r);
            return FTF_EIO;
        }
    }
    if (offset > r->m_base + r->m_len) {
        reset_member(r);
        return FTF_ENOT_FOUND;
    }
    const size_t at = (size_t)(offset - r->m_base);
    const uint8_t prev = at ? r->buf[at - 1] : r->m_prev;
    if (prev != '\n' || at == r->m_len) {
        reset_member(r);
        return FTF_ENOT_FOUND;
    }
    r->m_cur = at;
    return FTF_OK;
}

ftf_status ftf_log_read_at(const char *path, uint64_t member_offset, uint64_t offset, char **line, size_t *len) {
    if (!path || !line)
        return FTF_EINVALID_ARGUMENT;
    *line = NULL;
    ftf_log_reader_t *r;
    ftf_status st = ftf_log_reader_open(&path, 1, NULL, &r);
    if (st)
        return st;
    st = ftf_log_reader_seek(r, 0, member_offset, offset);
    if (!st) {
        const ftf_log_report_t before = r->report;
        ftf_log_record_t rec;
        const int k = ftf_log_reader_next(r, &rec);
        if (k < 0)
            st = (ftf_status)k;
        else if (k == 0 || rec.pos.member_offset != member_offset || rec.pos.offset != offset)
            st = r->report.long_lines > before.long_lines ? FTF_ELINE_TOO_LONG
                 : r->report.bad_lines > before.bad_lines ? FTF_EBAD_RECORD
                                                          : FTF_ENOT_FOUND;
        else if (!(*line = malloc(rec.len + 1)))
            st = FTF_ENOMEM;
        else {
            memcpy(*line, rec.line, rec.len + 1);
            if (len)
                *len = rec.len;
        }
    }
    ftf_log_reader_free(r);
    return st;
}

ftf_status ftf_log_verify(const char *path, const ftf_log_reader_options_t *opts, ftf_log_report_t *report) {
    if (!path)
        return FTF_EINVALID_ARGUMENT;
    ftf_log_reader_t *r;
    ftf_status st = ftf_log_reader_open(&path, 1, opts, &r);
    if (st)
        return st;
    ftf_log_record_t rec;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) > 0) {
    }
    if (k < 0)
        st = (ftf_status)k;
    else if (ftf_log_report_damaged(&r->report))
        st = r->report.first_status;
    else if (r->report.foreign_members)
        st = FTF_EUNSUPPORTED_VERSION;
    if (report)
        *report = r->report;
    ftf_log_reader_free(r);
    return st;
}

ftf_status ftf_log_recover(const char *const *paths, size_t count, const char *out_path,
                           const ftf_log_writer_options_t *wopts, const ftf_log_reader_options_t *ropts,
                           ftf_log_report_t *report, uint64_t *records) {
    if (!out_path || (count && !paths))
        return FTF_EINVALID_ARGUMENT;
    if (records)
        *records = 0;
    /* writing over an input would destroy it before it is read */
    struct stat out_st;
    if (stat(out_path, &out_st) == 0) {
        for (size_t i = 0; i < count; i++) {
            struct stat in_st;
            if (paths[i] && stat(paths[i], &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
                in_st.st_ino == out_st.st_ino)
                return FTF_EINVALID_ARGUMENT;
        }
    }
    ftf_log_reader_t *r;
    ftf_status st = ftf_log_reader_open(paths, count, ropts, &r);
    if (st)
        return st;
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    if (wopts)
        wo = *wopts;
    wo.append = false;
    if (wo.sync == FTF_LOG_SYNC_NONE)
        wo.sync = FTF_LOG_SYNC_FAILURES; /* at least synced at close */
    ftf_log_writer_t *w;
    st = ftf_log_writer_open(out_path, &wo, &w);
    if (st) {
        ftf_log_reader_free(r);
        return st;
    }
    ftf_log_record_t rec;
    uint64_t copied = 0;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) > 0) {
        ftf_status ws = ftf_log_write_record(w, rec.line, rec.len, false, NULL);
        if (ws == FTF_ELINE_TOO_LONG) { /* a foreign member's line longer than a member holds */
            r->report.long_lines++;
            note(r, FTF_LOG_DAMAGE_LINE_TOO_LONG, rec.pos.member_offset, "line at %llu: %zu bytes, too long to copy",
                 (unsigned long long)rec.pos.offset, rec.len);
            continue;
        }
        if (ws) {
            st = ws;
            break;
        }
        copied++;
    }
    if (!st && k < 0)
        st = (ftf_status)k;
    const ftf_status cs = ftf_log_writer_close(w);
    if (!st)
        st = cs;
    if (report)
        *report = r->report;
    if (records)
        *records = copied;
    ftf_log_reader_free(r);
    return st;
}
