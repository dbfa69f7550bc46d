/* Log reader: records across members and files, damage skipped and counted
 * (forensics/FORMAT.md §1: what the reader tolerates).
 *
 * A regular file is read through one window (pread) so that resynchronising
 * after a damaged member can look ahead and step back. Anything else (a pipe,
 * "-") is read sequentially through the same window, which then only moves
 * forward: every step below asks for bytes at or after the ones it asked for
 * before, except within the member it is looking at, which the window keeps.
 * A step decodes what starts at the current member boundary:
 *   - a BGZF member (the fast path): BSIZE gives its size, the deflate data is
 *     inflated in one call into a 64 KiB buffer, CRC32 and ISIZE are checked,
 *     and only then are its lines handed out;
 *   - any other gzip member ("foreign", e.g. plain `gzip` output): inflated
 *     once through zlib's gzip wrapper to check it (CRC and ISIZE) and find its
 *     end, then inflated again, streaming, to hand out its lines — so a
 *     member's lines are only ever returned after its checksum held. A pipe
 *     cannot be read twice: there the member's compressed bytes are copied,
 *     while it is checked, to an unlinked temporary file (the spool) and read
 *     back from it (should no temporary file be possible, it is inflated once,
 *     its lines returned as they come and its check reported at its end);
 *   - at the start of a file, text that looks like JSON Lines: a plain JSONL
 *     file, read as it is;
 *   - anything else, or a member that fails: a damaged region, skipped up to
 *     the next member header (the BGZF header pattern once the file has shown
 *     one, the gzip magic otherwise); a member running past the end of the
 *     file with no member header after it is the torn tail.
 * Lines: our writer ends every member with '\n'; `bgzip` cuts blocks every
 * 65,280 bytes, inside lines. A line a member leaves open is continued in the
 * next intact data member (its position is where it starts); a damaged region
 * or an EOF member ends it. After damage, the first line completed may be the
 * tail of a line whose start was lost: it is kept only if it is a whole JSON
 * object, which a proper suffix of a one-line JSON object never is.
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
/* Bytes looked at to tell a plain JSONL file from a compressed one. */
#define TEXT_PROBE 4096u

typedef enum { M_NONE = 0, M_BUFFER, M_STREAM, M_TEXT } member_state_t;

/* STEP_EOF: a BGZF end-of-file member (it ends a line left open);
 * STEP_EMPTY: an empty foreign member (transparent). */
typedef enum { STEP_DATA, STEP_EMPTY, STEP_EOF, STEP_DAMAGED, STEP_END } step_t;

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
    bool own_fd;      /* false for standard input */
    bool stream;      /* read forward only (a pipe, "-" on one, or opts.sequential) */
    bool stream_eof;  /* stream: its end was reached (size is then known) */
    uint64_t mem_fed; /* stream over a buffer: bytes handed to the window so far */
    uint64_t size;    /* file size; a stream's is UINT64_MAX until its end is reached */
    uint64_t pos;     /* next member boundary */
    bool io_failed;
    bool seen_bgzf;       /* a BGZF header was seen: resync on that pattern */
    bool any_intact;      /* an intact member was read */
    bool last_intact_eof; /* the last intact member was an EOF member */
    bool any_bgzf_intact;
    bool after_damage;  /* the next line completed follows damage: it may be a fragment */
    int spool_fd;       /* stream: unlinked temporary file for a plain gzip member being checked; -1 */
    bool spool_failed;  /* no temporary file could be made: members are read unchecked */
    uint8_t *spool_buf; /* CHUNK_SIZE: compressed bytes read back from the spool */
    /* compressed bytes inflated so far while checking foreign (plain gzip)
     * members of this file: a crafted file can hide a gzip header inside each
     * stored block so that every restart decodes to the end again (quadratic);
     * past FOREIGN_BUDGET(size) further foreign candidates are skipped as damage */
    uint64_t foreign_checked;

    /* window over the file: bytes [win_off, win_off + win_len) */
    uint8_t *win;
    uint64_t win_off;
    size_t win_len;
    uint64_t anchor; /* stream: keep bytes from here while a request fits (UINT64_MAX: none) */

    z_stream raw; /* raw inflate: BGZF members */
    bool raw_ready;
    z_stream gz; /* gzip-wrapper inflate: foreign members */
    bool gz_ready;

    /* the member whose lines are being handed out */
    member_state_t mstate;
    bool m_unchecked; /* M_STREAM read once (sequentially): checked at its end */
    bool m_spooled;   /* M_STREAM read back from the spool (bytes [0, m_spool_len)) */
    uint64_t m_spool_len;
    uint64_t m_offset; /* its file offset */
    uint8_t *buf;      /* CHUNK_SIZE + 1: a BGZF member's data, or a chunk of a foreign one / a text file */
    size_t m_len, m_cur;
    uint64_t m_base;  /* uncompressed offset of buf[0] within the member */
    bool m_final;     /* buf holds the member's last bytes */
    uint64_t m_in;    /* M_STREAM, M_TEXT: file offset of the next input byte */
    uint8_t m_prev;   /* last byte of the previous chunk ('\n' at the start) */
    uint64_t m_lines; /* M_TEXT and unchecked M_STREAM: lines in the chunks so far */

    /* a line spanning chunks of a foreign member, or members */
    char *line;
    size_t line_len, line_cap;
    bool line_active, line_long;
    uint64_t line_off;    /* its offset in the data of ... */
    uint64_t line_member; /* ... the member where it starts */

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
    /* missing_eof is left out: an open log (being written) is not damaged */
    return rep && (rep->corrupt_members || rep->torn_tails || rep->junk_bytes || rep->long_lines || rep->bad_lines ||
                   rep->unterminated_lines || rep->io_errors);
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
    /* the first problem is kept, but a missing EOF member (an open log, not
     * damage) gives way to the first real damage */
    if (rep->first_damage != FTF_LOG_DAMAGE_NONE &&
        (rep->first_damage != FTF_LOG_DAMAGE_MISSING_EOF || d == FTF_LOG_DAMAGE_MISSING_EOF))
        return;
    char detail[112];
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

/* An I/O error (errno says which): the rest of the file is skipped. */
static void io_fail(ftf_log_reader_t *r, const char *what) {
    if (r->io_failed)
        return;
    const int e = errno;
    r->io_failed = true;
    r->report.io_errors++;
    note(r, FTF_LOG_DAMAGE_IO, r->pos, "%s: %s", what, strerror(e));
}

/* ---- the window ---------------------------------------------------------- */

/* Up to `n` more bytes of a stream into dst: the count, 0 at its end, -1 on
 * an error. A buffer read sequentially is fed in pieces of varying size, as a
 * pipe delivers them, so that tests cross every boundary. */
static ssize_t stream_read(ftf_log_reader_t *r, uint8_t *dst, size_t n) {
    if (r->mem) {
        const uint64_t left = r->mem_len - r->mem_fed;
        const size_t piece = 1 + (size_t)((r->mem_fed * 2654435761u >> 7) % 65536u);
        size_t k = n < piece ? n : piece;
        if (k > left)
            k = (size_t)left;
        memcpy(dst, r->mem + r->mem_fed, k);
        r->mem_fed += k;
        return (ssize_t)k;
    }
    for (;;) {
        const ssize_t k = read(r->fd, dst, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

/* Stream: makes bytes [off, off + want) present in the window (fewer only at
 * the end or on an error). When room is needed, bytes before `off` are
 * dropped — at least half the window, so that moving it costs O(1) per byte —
 * except those from the anchor on, kept while the request fits with them. */
static void stream_fill(ftf_log_reader_t *r, uint64_t off, size_t want) {
    while (!r->stream_eof && r->win_off + r->win_len < off + want) {
        if (off + want > r->win_off + WINDOW_SIZE) { /* no room: drop from the front */
            const uint64_t need = off + want - WINDOW_SIZE;
            const uint64_t keep = r->anchor <= off && r->anchor >= need ? r->anchor : off;
            uint64_t to = r->win_off + WINDOW_SIZE / 2;
            to = to < need ? need : to > keep ? keep : to;
            const uint64_t end = r->win_off + r->win_len;
            const size_t drop = (size_t)((to < end ? to : end) - r->win_off);
            memmove(r->win, r->win + drop, r->win_len - drop);
            r->win_len -= drop;
            r->win_off += drop;
        }
        const ssize_t k = stream_read(r, r->win + r->win_len, WINDOW_SIZE - r->win_len);
        if (k <= 0) {
            if (k < 0)
                io_fail(r, "read");
            r->stream_eof = true;
            r->size = r->win_off + r->win_len;
            break;
        }
        r->win_len += (size_t)k;
    }
}

/* Bytes at file offset `off`: returns a pointer and sets *avail to how many
 * are there (up to `want` <= CHUNK_SIZE + 16; fewer only at the end of the
 * file or on a read error, which sets io_failed). With `some`, a stream
 * returns what it has (reading only when it has nothing at `off`) instead of
 * waiting for `want` bytes: a pipe's lines are handed out as they arrive. */
static const uint8_t *get_bytes(ftf_log_reader_t *r, uint64_t off, size_t want, bool some, size_t *avail) {
    *avail = 0;
    if (r->stream) {
        if (off < r->win_off) { /* cannot happen (see the top); never read wrong bytes if it did */
            errno = ESPIPE;
            io_fail(r, "read");
            return NULL;
        }
        stream_fill(r, off, some ? 1 : want);
        const uint64_t end = r->win_off + r->win_len;
        if (off >= end)
            return NULL;
        *avail = end - off < want ? (size_t)(end - off) : want;
        return r->win + (off - r->win_off);
    }
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

static const uint8_t *get(ftf_log_reader_t *r, uint64_t off, size_t want, size_t *avail) {
    return get_bytes(r, off, want, false, avail);
}

/* Offset of the next member header at or after `from`, or the file's size
 * (then known, for a stream too: the scan read to its end). */
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
    return r->size; /* a stream's too: the scan stopped at its end, or at a read error (which set it) */
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

/* How far a stream's check of a plain gzip member may go and still step back
 * to the member's start: the window keeps it (the anchor) that long. */
#define STREAM_LOOKBACK (WINDOW_SIZE - CHUNK_SIZE - 16)

/* A plain gzip member at r->pos failed its check at compressed offset `at`.
 * Like any damage, reading resumes at the next member header after its first
 * byte (a damaged XLEN or FLG can make it swallow the members after it) — for
 * a stream as long as the window still holds that, else at `at`. */
static step_t foreign_damaged(ftf_log_reader_t *r, uint64_t at, ftf_log_damage_t d, uint64_t lines,
                              const char *detail) {
    r->anchor = UINT64_MAX;
    if (!r->stream || at - r->pos <= STREAM_LOOKBACK)
        return damaged(r, d, lines, detail);
    const uint64_t next = scan(r, at > r->pos ? at : r->pos + 1);
    region(r, d, r->pos, next - r->pos, lines, detail);
    r->pos = next;
    return STEP_DAMAGED;
}

static void intact(ftf_log_reader_t *r, ftf_log_member_kind_t kind) {
    r->any_intact = true;
    r->last_intact_eof = kind == FTF_LOG_MEMBER_EOF;
    if (kind == FTF_LOG_MEMBER_BGZF || kind == FTF_LOG_MEMBER_EOF)
        r->any_bgzf_intact = true;
}

/* Sets up the member state for lines handed out from buf. */
static void member_start(ftf_log_reader_t *r, member_state_t state, uint64_t offset, bool final) {
    r->mstate = state;
    r->m_unchecked = r->m_spooled = false;
    r->m_spool_len = 0;
    r->m_offset = offset;
    r->m_in = offset;
    r->m_len = r->m_cur = 0;
    r->m_base = 0;
    r->m_final = final;
    r->m_prev = '\n';
    r->m_lines = 0;
}

static step_t step_bgzf(ftf_log_reader_t *r, const uint8_t *hdr) {
    const uint64_t pos = r->pos;
    const uint64_t size = ftf__log_get16(hdr + 16) + 1;
    r->seen_bgzf = true;
    if (size < FTF__LOG_MEMBER_MIN)
        return damaged(r, FTF_LOG_DAMAGE_BSIZE, 0, "BSIZE below the smallest member");
    size_t avail;
    const uint8_t *p = get(r, pos, (size_t)size, &avail);
    if (r->io_failed)
        return STEP_END;
    if (avail < size) {
        /* Past the end: the torn tail, unless another member follows (then
         * BSIZE itself is damaged). The window still holds [pos, end). */
        const uint64_t left = avail;
        if (scan(r, pos + 1) < r->size)
            return damaged(r, FTF_LOG_DAMAGE_BSIZE, 0, "member runs past the next member header");
        p = get(r, pos, (size_t)left, &avail);
        uint64_t lines =
            avail > FTF__LOG_HEADER_SIZE ? salvage_count(r, p + FTF__LOG_HEADER_SIZE, avail - FTF__LOG_HEADER_SIZE) : 0;
        region(r, FTF_LOG_DAMAGE_TORN, pos, left, lines, "");
        r->pos = pos + left;
        return STEP_DAMAGED;
    }
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
        return STEP_EOF;
    }
    r->report.members++;
    r->report.data_bytes += produced;
    member_start(r, M_BUFFER, pos, true);
    r->m_len = produced;
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

/* The spool of a stream reader, made on first use in $TMPDIR (or /tmp) and
 * unlinked at once: nothing is left behind, whatever happens. */
static bool spool_ready(ftf_log_reader_t *r) {
    if (r->spool_fd >= 0)
        return true;
    if (r->spool_failed)
        return false;
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/ftf-spool-XXXXXX", dir && dir[0] ? dir : "/tmp");
    if (!r->spool_buf)
        r->spool_buf = malloc(CHUNK_SIZE);
    const int fd = r->spool_buf ? mkstemp(path) : -1;
    if (fd < 0) {
        r->spool_failed = true;
        return false;
    }
    unlink(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    r->spool_fd = fd;
    return true;
}

static bool spool_write(ftf_log_reader_t *r, const uint8_t *p, size_t n, uint64_t off) {
    while (n > 0) {
        const ssize_t k = pwrite(r->spool_fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            io_fail(r, "spooling a gzip member read from a pipe");
            return false;
        }
        p += k, n -= (size_t)k, off += (uint64_t)k;
    }
    return true;
}

/* A gzip member without BC: check it whole first (its end is only known by
 * inflating it), then stream it — from the file, or, for a stream, from the
 * spool its bytes were copied to while being checked. Without a spool, a
 * stream's member is inflated once and checked at its end (see refill). */
static step_t step_foreign(ftf_log_reader_t *r) {
    const uint64_t pos = r->pos;
    z_stream *zs = &r->gz;
    const bool spool = r->stream && spool_ready(r);
    if (r->stream && !spool) {
        if (inflateReset(zs) != Z_OK)
            return damaged(r, FTF_LOG_DAMAGE_INFLATE, 0, "inflateReset");
        member_start(r, M_STREAM, pos, false);
        r->m_unchecked = true;
        return STEP_DATA;
    }
    /* a stream's size is what it has shown so far */
    const uint64_t seen = r->stream ? r->win_off + r->win_len : r->size;
    if (r->foreign_checked >= FOREIGN_BUDGET(seen))
        return damaged(r, FTF_LOG_DAMAGE_INFLATE, 0, "foreign-member check budget spent (crafted input?)");
    r->anchor = pos; /* a stream keeps the member's start to step back to */
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
            r->anchor = UINT64_MAX;
            if ((!r->stream || in - pos <= STREAM_LOOKBACK) && scan(r, pos + 1) < r->size)
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
        if (spool && !spool_write(r, p, consumed, in - pos)) {
            r->anchor = UINT64_MAX;
            return STEP_END;
        }
        in += consumed;
        r->foreign_checked += consumed;
        const size_t produced = CHUNK_SIZE - zs->avail_out;
        lines += count_lines(r->buf, produced);
        out += produced;
        if (rc == Z_STREAM_END)
            break;
        if (r->foreign_checked >= FOREIGN_BUDGET(r->stream ? r->win_off + r->win_len : r->size))
            return foreign_damaged(r, in, FTF_LOG_DAMAGE_INFLATE, lines,
                                   "foreign-member check budget spent (crafted input?)");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return foreign_damaged(r, in, zlib_damage(zs->msg), lines, zs->msg ? zs->msg : "inflate error");
        if (consumed == 0 && produced == 0)
            return foreign_damaged(r, in, FTF_LOG_DAMAGE_INFLATE, lines, "inflate makes no progress");
    }
    const uint64_t size = in - pos;
    r->anchor = UINT64_MAX;
    intact(r, FTF_LOG_MEMBER_FOREIGN);
    r->report.foreign_members++;
    r->report.data_bytes += out;
    member_event(r, pos, size, out, (uint32_t)zs->adler, lines, FTF_LOG_MEMBER_FOREIGN, FTF_LOG_DAMAGE_NONE, "");
    r->pos = pos + size;
    if (out == 0)
        return STEP_EMPTY;
    if (inflateReset(zs) != Z_OK)
        return STEP_END;
    member_start(r, M_STREAM, pos, false);
    r->m_spooled = spool;
    r->m_spool_len = size;
    return STEP_DATA;
}

/* A file that starts (after an optional UTF-8 BOM and blanks) with '{' and
 * whose first line holds no control bytes is plain JSON Lines. Compressed data
 * has control bytes within its first few bytes, so damage never passes as
 * text; and text is only looked for at a file's start. */
static size_t text_start(const uint8_t *p, size_t n) {
    size_t i = 0;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    const size_t body = i;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n || p[i] != '{')
        return SIZE_MAX;
    for (; i < n && p[i] != '\n'; i++)
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r')
            return SIZE_MAX;
    return body;
}

static step_t step(ftf_log_reader_t *r) {
    if (r->io_failed)
        return STEP_END;
    size_t avail;
    const uint8_t *p = get(r, r->pos, FTF__LOG_HEADER_SIZE, &avail);
    if (r->io_failed || avail == 0)
        return STEP_END;
    if (r->pos == 0 && p[0] != 0x1f) {
        size_t n;
        const uint8_t *q = get_bytes(r, 0, TEXT_PROBE, true, &n);
        const size_t body = q ? text_start(q, n) : SIZE_MAX;
        if (r->io_failed)
            return STEP_END;
        if (body != SIZE_MAX) {
            intact(r, FTF_LOG_MEMBER_TEXT);
            r->report.text_files++;
            member_start(r, M_TEXT, 0, false);
            r->m_in = r->m_base = body; /* a BOM is no part of the first line */
            return STEP_DATA;
        }
        p = get(r, r->pos, FTF__LOG_HEADER_SIZE, &avail);
    }
    if (avail >= 16 && ftf__log_is_bgzf_header(p)) {
        if (avail < FTF__LOG_HEADER_SIZE) { /* the file ends inside BSIZE */
            region(r, FTF_LOG_DAMAGE_TORN, r->pos, avail, 0, "");
            r->pos += avail;
            return STEP_DAMAGED;
        }
        return step_bgzf(r, p);
    }
    if (avail < 16) {
        /* A short tail (get returns fewer bytes only at the end): torn if it
         * is the start of a BGZF header. */
        bool prefix = true;
        for (size_t i = 0; i < avail && prefix; i++)
            prefix = (i >= 4 && i < 10) || p[i] == ftf__log_eof_member[i];
        if (prefix) {
            region(r, FTF_LOG_DAMAGE_TORN, r->pos, avail, 0, "");
            r->pos += avail;
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
        note(r, FTF_LOG_DAMAGE_MISSING_EOF, r->size,
             "no end-of-file member: the log is open (being written), or its writer stopped");
    }
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->own_fd = false;
    r->file_open = false;
    reset_member(r);
}

static bool open_file(ftf_log_reader_t *r, size_t index) {
    close_file(r, false);
    r->file_index = index;
    r->pos = 0;
    r->io_failed = r->seen_bgzf = r->any_intact = r->last_intact_eof = r->any_bgzf_intact = false;
    r->after_damage = false;
    r->stream = r->opts.sequential;
    r->stream_eof = false;
    r->mem_fed = 0;
    r->foreign_checked = 0;
    r->win_off = 0;
    r->win_len = 0;
    r->anchor = UINT64_MAX;
    r->report.files++;
    if (r->mem) {
        r->size = r->stream ? UINT64_MAX : r->mem_len;
        r->file_open = true;
        return true;
    }
    const char *path = r->paths[index];
    if (strcmp(path, "-") == 0) {
        r->fd = STDIN_FILENO;
        r->own_fd = false;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        r->own_fd = true;
        if (r->fd < 0) {
            io_fail(r, "open");
            return false;
        }
    }
    struct stat st;
    bool ok = fstat(r->fd, &st) == 0;
    if (!ok)
        io_fail(r, "stat");
    else if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        io_fail(r, "open");
        ok = false;
    }
    if (!ok) {
        if (r->own_fd)
            close(r->fd);
        r->fd = -1;
        return false;
    }
    /* a regular file is read through pread; anything else (pipe, FIFO,
     * terminal, socket, device) forward only, as it comes */
    if (!S_ISREG(st.st_mode))
        r->stream = true;
    r->size = r->stream ? UINT64_MAX : (uint64_t)st.st_size;
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
    r->spool_fd = -1;
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
    if (r->file_open && r->own_fd && r->fd >= 0)
        close(r->fd);
    if (r->spool_fd >= 0)
        close(r->spool_fd);
    free(r->spool_buf);
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

/* A member read once (sequentially) failed its check after some of its lines
 * were handed out: report it as damage from its start, and resume at the next
 * member header after the point of failure (what lies before is gone). */
static void unchecked_damage(ftf_log_reader_t *r, ftf_log_damage_t d, const char *detail) {
    r->after_damage = true;
    char msg[128];
    snprintf(msg, sizeof msg, "%s%s%llu line(s) of it already read (sequential input: checked at its end)", detail,
             detail[0] ? "; " : "", (unsigned long long)r->m_lines);
    const uint64_t next =
        d == FTF_LOG_DAMAGE_TORN ? r->size : scan(r, r->m_in > r->m_offset ? r->m_in : r->m_offset + 1);
    region(r, d, r->m_offset, next - r->m_offset, 0, msg);
    r->pos = next;
}

/* The end of a member read once: it checked out. */
static void unchecked_done(ftf_log_reader_t *r) {
    const uint64_t out = r->m_base + r->m_len;
    intact(r, FTF_LOG_MEMBER_FOREIGN);
    r->report.foreign_members++;
    r->report.data_bytes += out;
    member_event(r, r->m_offset, r->m_in - r->m_offset, out, (uint32_t)r->gz.adler, r->m_lines, FTF_LOG_MEMBER_FOREIGN,
                 FTF_LOG_DAMAGE_NONE, "");
    r->pos = r->m_in;
}

/* Compressed bytes of a spooled member at m_in, read back from the spool. */
static const uint8_t *spool_read(ftf_log_reader_t *r, size_t *avail) {
    const uint64_t off = r->m_in - r->m_offset, left = r->m_spool_len - off;
    const size_t want = left < CHUNK_SIZE ? (size_t)left : CHUNK_SIZE;
    size_t n = 0;
    while (n < want) {
        const ssize_t k = pread(r->spool_fd, r->spool_buf + n, want - n, (off_t)(off + n));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            io_fail(r, "reading back a spooled gzip member");
            break;
        }
        n += (size_t)k;
    }
    *avail = n;
    return r->spool_buf;
}

/* Next chunk of a foreign member or a text file into buf. False when there is
 * none to be had; the reason is reported here (damage of a member read once,
 * or an I/O error). */
static bool refill(ftf_log_reader_t *r) {
    r->m_base += r->m_len;
    if (r->m_len)
        r->m_prev = r->buf[r->m_len - 1];
    r->m_len = r->m_cur = 0;
    if (r->mstate == M_TEXT) {
        size_t avail;
        const uint8_t *p = get_bytes(r, r->m_in, CHUNK_SIZE, true, &avail);
        if (r->io_failed)
            return false;
        if (avail == 0) {
            r->m_final = true;
            r->report.data_bytes += r->m_base;
            member_event(r, 0, r->m_in, r->m_base, 0, r->m_lines, FTF_LOG_MEMBER_TEXT, FTF_LOG_DAMAGE_NONE, "");
            r->pos = r->m_in;
            return true;
        }
        memcpy(r->buf, p, avail);
        r->m_len = avail;
        r->m_in += avail;
        r->m_lines += count_lines(r->buf, avail);
        return true;
    }
    z_stream *zs = &r->gz;
    zs->next_out = r->buf;
    zs->avail_out = CHUNK_SIZE;
    while (zs->avail_out > 0) {
        size_t avail;
        const uint8_t *p =
            r->m_spooled ? spool_read(r, &avail) : get_bytes(r, r->m_in, CHUNK_SIZE, r->m_unchecked, &avail);
        if (r->io_failed)
            return false;
        if (avail == 0) {
            if (r->m_unchecked) {
                unchecked_damage(r, FTF_LOG_DAMAGE_TORN, "");
                return false;
            }
            errno = EIO; /* checked whole a moment ago: the file changed */
            io_fail(r, "the file changed while reading");
            return false;
        }
        zs->next_in = (Bytef *)(uintptr_t)p;
        zs->avail_in = (uInt)avail;
        const uInt out_before = zs->avail_out;
        const int rc = inflate(zs, Z_NO_FLUSH);
        r->m_in += avail - zs->avail_in;
        if (rc == Z_STREAM_END) {
            r->m_final = true;
            break;
        }
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || (zs->avail_in == avail && zs->avail_out == out_before)) {
            if (r->m_unchecked) {
                unchecked_damage(r, rc == Z_DATA_ERROR ? zlib_damage(zs->msg) : FTF_LOG_DAMAGE_INFLATE,
                                 zs->msg ? zs->msg : "inflate makes no progress");
                return false;
            }
            errno = EIO;
            io_fail(r, "the file changed while reading");
            return false;
        }
        if (r->m_unchecked && zs->avail_out < CHUNK_SIZE)
            break; /* hand out what a pipe gave now rather than wait for a full chunk */
    }
    r->m_len = CHUNK_SIZE - zs->avail_out;
    if (r->m_unchecked) {
        r->m_lines += count_lines(r->buf, r->m_len);
        if (r->m_final)
            unchecked_done(r);
    }
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

/* A whole JSON object, by jansson (duplicate keys rejected). */
static bool json_object_text(const char *s, size_t n) {
    json_error_t err;
    json_t *v = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
    const bool ok = v && json_is_object(v);
    json_decref(v);
    return ok;
}

static bool line_ok(const ftf_log_reader_t *r, const char *s, size_t n) {
    size_t i = 0, j = n;
    while (i < j && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    while (j > i && (s[j - 1] == ' ' || s[j - 1] == '\t' || s[j - 1] == '\r'))
        j--;
    if (j - i < 2 || s[i] != '{' || s[j - 1] != '}' || memchr(s, '\0', n))
        return false;
    return !r->opts.validate_json || json_object_text(s, n);
}

/* 1: a line in *rec; 0: the member is done (a line it leaves open stays
 * active, to be continued by the next member); <0: an error. */
static int member_next_line(ftf_log_reader_t *r, ftf_log_record_t *rec) {
    for (;;) {
        if (r->m_cur < r->m_len) {
            uint8_t *p = r->buf + r->m_cur;
            const size_t n = r->m_len - r->m_cur;
            uint8_t *nl = memchr(p, '\n', n);
            if (!nl) {
                /* the line goes on in the next chunk or member (or is unterminated) */
                if (!r->line_active) {
                    r->line_active = true;
                    r->line_long = false;
                    r->line_len = 0;
                    r->line_off = r->m_base + r->m_cur;
                    r->line_member = r->m_offset;
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
            uint64_t off, member;
            bool too_long;
            r->m_cur += k + 1;
            if (r->line_active) {
                r->line_active = false;
                off = r->line_off;
                member = r->line_member;
                len = r->line_len + k;
                too_long = r->line_long || len > r->max_line;
                if (!too_long && !append_line(r, p, k))
                    return FTF_ENOMEM;
                if (!too_long)
                    r->line[len] = '\0';
                s = r->line;
            } else {
                off = r->m_base + (uint64_t)(p - r->buf);
                member = r->m_offset;
                len = k;
                too_long = len > r->max_line;
                *nl = '\0';
                s = (const char *)p;
            }
            const bool after_damage = r->after_damage;
            r->after_damage = false;
            if (after_damage && !too_long && !json_object_text(s, len)) {
                /* the end of a line whose start damage took (bgzip's blocks
                 * cut lines): lost with it, not a bad line */
                r->report.corrupt_lines++;
                continue;
            }
            if (too_long) {
                r->report.long_lines++;
                note(r, FTF_LOG_DAMAGE_LINE_TOO_LONG, member, "line at %llu: %zu bytes, limit %zu",
                     (unsigned long long)off, len, r->max_line);
                continue;
            }
            /* an unchecked member's lines may be decoded from damage that its
             * check will only find at its end: hold them to full JSON */
            if (!line_ok(r, s, len) || (r->m_unchecked && !r->opts.validate_json && !json_object_text(s, len))) {
                r->report.bad_lines++;
                note(r, FTF_LOG_DAMAGE_BAD_LINE, member, "line at %llu is not a JSON object", (unsigned long long)off);
                continue;
            }
            r->report.records++;
            rec->line = s;
            rec->len = len;
            rec->file_index = r->file_index;
            rec->path = cur_path(r);
            rec->pos.member_offset = member;
            rec->pos.offset = off;
            rec->pos.length = len;
            return 1;
        }
        if (r->m_final) {
            r->mstate = M_NONE; /* a line left active is continued by the next member (bgzip) */
            return 0;
        }
        if (!refill(r)) {
            reset_member(r);
            return 0;
        }
    }
}

/* A line left open cannot continue: the file ended (or an EOF member came)
 * inside it, or damage took its end. */
static void end_open_line(ftf_log_reader_t *r, step_t s) {
    if (!r->line_active)
        return;
    if (r->io_failed) {
        /* already reported as the I/O error */
    } else if (s == STEP_DAMAGED) {
        /* its end was in the damaged region: lost with it */
        if (r->last_damage == FTF_LOG_DAMAGE_TORN)
            r->report.torn_lines++;
        else
            r->report.corrupt_lines++;
    } else {
        r->report.unterminated_lines++;
        note(r, FTF_LOG_DAMAGE_UNTERMINATED, r->line_member, "the data ends inside a line at %llu",
             (unsigned long long)r->line_off);
    }
    r->line_active = r->line_long = false;
    r->line_len = 0;
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
        const step_t s = step(r);
        if (s == STEP_DATA || s == STEP_EMPTY)
            continue;
        end_open_line(r, s);
        if (s == STEP_DAMAGED)
            r->after_damage = true; /* the next member may start inside a line */
        else if (s == STEP_EOF)
            r->after_damage = false; /* what follows starts afresh (another log) */
        else {
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
    if (r->stream)
        return FTF_EINVALID_ARGUMENT; /* a pipe cannot go back */
    reset_member(r);
    r->after_damage = false;
    if (member_offset >= r->size)
        return FTF_ENOT_FOUND;
    r->pos = member_offset;
    const step_t s = step(r);
    if (s == STEP_DAMAGED)
        return r->last_damage == FTF_LOG_DAMAGE_TORN ? FTF_ETRUNCATED : FTF_ECORRUPT;
    if (s != STEP_DATA)
        return s == STEP_END && r->io_failed ? FTF_EIO : FTF_ENOT_FOUND;
    if (r->mstate == M_TEXT) {
        /* a text file's offsets are file offsets: go straight there */
        size_t avail = 0;
        const uint8_t *prev = offset ? get(r, offset - 1, 1, &avail) : NULL;
        if (offset < r->m_in || offset >= r->size || (offset && (avail != 1 || *prev != '\n'))) {
            reset_member(r);
            return r->io_failed ? FTF_EIO : FTF_ENOT_FOUND;
        }
        r->m_in = r->m_base = offset;
        return FTF_OK;
    }
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
    else if (r->report.foreign_members || r->report.text_files)
        st = FTF_EUNSUPPORTED_VERSION;
    else if (r->report.missing_eof)
        st = FTF_ETRUNCATED; /* open: intact so far, but not closed */
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
        const int e = errno; /* the caller prints why the create failed */
        ftf_log_reader_free(r);
        errno = e;
        return st;
    }
    ftf_log_record_t rec;
    uint64_t copied = 0;
    int k, err = 0;
    while ((k = ftf_log_reader_next(r, &rec)) > 0) {
        ftf_status ws = ftf_log_write_record(w, rec.line, rec.len, false, NULL);
        if (ws == FTF_ELINE_TOO_LONG) { /* a foreign member's line longer than a member holds */
            r->report.long_lines++;
            note(r, FTF_LOG_DAMAGE_LINE_TOO_LONG, rec.pos.member_offset, "line at %llu: %zu bytes, too long to copy",
                 (unsigned long long)rec.pos.offset, rec.len);
            continue;
        }
        if (ws) {
            err = errno;
            st = ws;
            break;
        }
        copied++;
    }
    if (!st && k < 0)
        st = (ftf_status)k;
    const ftf_status cs = ftf_log_writer_close(w);
    if (!st && cs) {
        err = errno;
        st = cs;
    }
    if (report)
        *report = r->report;
    if (records)
        *records = copied;
    ftf_log_reader_free(r);
    if (err)
        errno = err;
    return st;
}
