/* Reading what users have (forensics/FORMAT.md §1.6, §1.8): BGZF written by
 * bgzip, whose blocks cut lines anywhere; plain JSONL; plain gzip read
 * sequentially; standard input, pipes and FIFOs; a log still being written;
 * and errors that say why. Every case checks the records byte for byte, their
 * positions (read back through ftf_log_read_at), and that the report names
 * exactly what was found. ASan and UBSan run these too. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include "test_log_util.h"

/* ---- what a reader returned ----------------------------------------------- */

#define GOT_MAX 8192

typedef struct {
    char *text; /* the records read, each followed by '\n' */
    size_t len, cap;
    size_t n;
    ftf_log_pos_t pos[GOT_MAX];
    ftf_log_report_t report;
    bool failed; /* the reader returned an error, or memory ran out */
} got_t;

static got_t got;

static void got_reset(void) {
    got.len = got.n = 0;
    got.failed = false;
    memset(&got.report, 0, sizeof got.report);
}

static void got_add(const ftf_log_record_t *rec) {
    if (got.len + rec->len + 1 > got.cap) {
        size_t cap = got.cap ? got.cap : 1 << 16;
        while (cap < got.len + rec->len + 1)
            cap *= 2;
        char *t = realloc(got.text, cap);
        if (!t) {
            got.failed = true;
            return;
        }
        got.text = t, got.cap = cap;
    }
    memcpy(got.text + got.len, rec->line, rec->len);
    got.text[got.len + rec->len] = '\n';
    got.len += rec->len + 1;
    if (got.n < GOT_MAX)
        got.pos[got.n] = rec->pos;
    got.n++;
}

static void got_drain(ftf_log_reader_t *r) {
    ftf_log_record_t rec;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1)
        got_add(&rec);
    if (k < 0)
        got.failed = true;
    got.report = *ftf_log_reader_report(r);
    ftf_log_reader_free(r);
}

static ftf_log_reader_options_t opts_for(bool sequential, size_t max_line) {
    ftf_log_reader_options_t o = FTF_LOG_READER_OPTIONS_INIT;
    o.sequential = sequential;
    o.max_line = max_line;
    return o;
}

/* Reads `len` bytes (copied to a buffer of exactly that size, so ASan sees any
 * overread). */
static void read_mem(const void *data, size_t len, bool sequential, size_t max_line) {
    got_reset();
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) {
        got.failed = true;
        return;
    }
    if (len)
        memcpy(copy, data, len);
    const ftf_log_reader_options_t o = opts_for(sequential, max_line);
    ftf_log_reader_t *r;
    if (ftf_log_reader_open_buffer(copy, len, "mem", &o, &r) != FTF_OK)
        got.failed = true;
    else
        got_drain(r);
    free(copy);
}

static void read_paths(const char *const *paths, size_t n, bool sequential) {
    got_reset();
    const ftf_log_reader_options_t o = opts_for(sequential, 0);
    ftf_log_reader_t *r;
    if (ftf_log_reader_open(paths, n, &o, &r) != FTF_OK)
        got.failed = true;
    else
        got_drain(r);
}

static bool got_text(const char *want, size_t len) {
    return !got.failed && got.len == len && memcmp(got.text, want, len) == 0;
}

/* Every record read is at its position: ftf_log_read_at gives it back. */
static bool positions_read_back(const char *path) {
    size_t at = 0;
    for (size_t i = 0; i < got.n && i < GOT_MAX; i++) {
        const char *nl = memchr(got.text + at, '\n', got.len - at);
        const size_t len = (size_t)(nl - (got.text + at));
        char *line = NULL;
        size_t n = 0;
        const ftf_status st = ftf_log_read_at(path, got.pos[i].member_offset, got.pos[i].offset, &line, &n);
        const bool ok = st == FTF_OK && n == len && got.pos[i].length == len && memcmp(line, got.text + at, n) == 0;
        free(line);
        if (!ok) {
            fprintf(stderr, "record %zu at %llu+%llu: %s\n", i, (unsigned long long)got.pos[i].member_offset,
                    (unsigned long long)got.pos[i].offset, ftf_status_code(st));
            return false;
        }
        at += len + 1;
    }
    return true;
}

/* ---- inputs ------------------------------------------------------------------ */

/* `count` sample records as JSON lines; starts[i] is record i's offset. */
typedef struct {
    char *text;
    size_t len;
    size_t count;
    size_t *starts;
} lines_t;

static bool make_lines(lines_t *l, size_t count) {
    l->count = count;
    l->len = 0;
    l->text = malloc(count * 512 + 1);
    l->starts = malloc((count + 1) * sizeof *l->starts);
    if (!l->text || !l->starts)
        return false;
    for (size_t i = 0; i < count; i++) {
        l->starts[i] = l->len;
        l->len += tl_record(l->text + l->len, 512, (unsigned)i, i % 7 == 0);
        l->text[l->len++] = '\n';
    }
    l->starts[count] = l->len;
    return true;
}

static void free_lines(lines_t *l) {
    free(l->text);
    free(l->starts);
}

static void put16(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void put32(unsigned char *p, uint32_t v) {
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

/* What bgzip writes: the data cut every `block` bytes (bgzip: 65,280),
 * wherever that falls — inside lines — each piece one BGZF member, then the
 * EOF member. Member offsets go to offs[] (nblocks of them, when not NULL).
 * Returns the size, 0 on error. */
static size_t bgzf_blocks(const char *data, size_t len, size_t block, unsigned char *out, size_t cap, size_t *offs) {
    static const unsigned char hdr[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0};
    static const unsigned char eof[28] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, 0x1b, 0, 3, 0};
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    size_t n = 0, b = 0;
    bool ok = true;
    for (size_t at = 0; ok && at < len; at += block, b++) {
        const size_t k = len - at < block ? len - at : block;
        ok = cap - n > 26 + 28 + deflateBound(&zs, (uLong)k) && deflateReset(&zs) == Z_OK;
        if (!ok)
            break;
        zs.next_in = (Bytef *)(uintptr_t)(data + at);
        zs.avail_in = (uInt)k;
        zs.next_out = out + n + 18;
        zs.avail_out = (uInt)(cap - n - 26);
        const uInt room = zs.avail_out;
        ok = deflate(&zs, Z_FINISH) == Z_STREAM_END;
        const size_t c = room - zs.avail_out, size = 26 + c;
        ok = ok && size <= 65536;
        if (!ok)
            break;
        if (offs)
            offs[b] = n;
        memcpy(out + n, hdr, 16);
        put16(out + n + 16, (uint32_t)(size - 1));
        put32(out + n + 18 + c, (uint32_t)crc32(0, (const Bytef *)data + at, (uInt)k));
        put32(out + n + 22 + c, (uint32_t)k);
        n += size;
    }
    deflateEnd(&zs);
    if (!ok || cap - n < sizeof eof)
        return 0;
    memcpy(out + n, eof, sizeof eof);
    return n + sizeof eof;
}

/* Plain gzip (no BC field) of text, appended at out + at. Returns the new end. */
static size_t gzip_member(const char *text, size_t len, unsigned char *out, size_t at, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    zs.next_in = (Bytef *)(uintptr_t)text;
    zs.avail_in = (uInt)len;
    zs.next_out = out + at;
    zs.avail_out = (uInt)(cap - at);
    const int rc = deflate(&zs, Z_FINISH);
    const size_t end = cap - zs.avail_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? end : 0;
}

static bool no_damage(const ftf_log_report_t *r) {
    return !ftf_log_report_damaged(r) && r->first_damage == FTF_LOG_DAMAGE_NONE;
}

/* ---- bgzip ------------------------------------------------------------------- */

/* bgzip's blocks (65,280 bytes, and smaller ones cutting more lines, down to
 * lines spanning many blocks): every record is read whole, in order, at the
 * position where it starts (ftf_log_read_at reads it back from there), from a
 * file and sequentially; nothing is called damage; recover keeps them all. */
static void log_read_bgzip_blocks_join_split_lines(void) {
    lines_t l;
    FT_CHECK(make_lines(&l, 2000));
    const size_t cap = l.len + l.len / 2 + (1 << 20);
    unsigned char *bgz = malloc(cap);
    FT_CHECK(bgz != NULL);
    static const size_t blocks[] = {65280, 1000, 37};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        const size_t n = bgzf_blocks(l.text, l.len, blocks[b], bgz, cap, NULL);
        FT_CHECK(n > 0);
        const char *path = tl_path("bgzip.log.gz");
        FT_CHECK(tl_spit(path, bgz, n));
        for (int seq = 0; seq < 2; seq++) {
            read_paths(&path, 1, seq);
            FT_CHECK_MSG(got_text(l.text, l.len), "block %zu%s: %zu of %zu records", blocks[b],
                         seq ? " (sequential)" : "", got.n, l.count);
            FT_CHECK_MSG(no_damage(&got.report), "block %zu: %s", blocks[b], got.report.first_detail);
            FT_CHECK_EQ_U64(got.report.members, (l.len + blocks[b] - 1) / blocks[b]);
            FT_CHECK_EQ_U64(got.report.eof_members, 1);
            FT_CHECK_EQ_U64(got.report.missing_eof, 0);
        }
        FT_CHECK(positions_read_back(path));
        ftf_log_report_t rep;
        FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_OK); /* bgzip's BGZF is intact BGZF */
        /* recover: the records are whole in the new log, which verifies */
        const char *out = tl_path("bgzip.rec.log.gz");
        uint64_t copied = 0;
        FTF_CHECK_STATUS(ftf_log_recover(&path, 1, out, NULL, NULL, &rep, &copied), FTF_OK);
        FT_CHECK_EQ_U64(copied, l.count);
        FTF_CHECK_STATUS(ftf_log_verify(out, NULL, &rep), FTF_OK);
        FT_CHECK_EQ_U64(rep.records, l.count);
        read_paths(&out, 1, false);
        FT_CHECK(got_text(l.text, l.len));
    }
    free(bgz);
    free_lines(&l);
}

/* One damaged bgzip block (each in turn): exactly the records that touch it
 * are lost — the one it starts inside, those in it, the one that ends in it —
 * and none other; the fragment of a cut record after it passes neither as a
 * record nor as a bad line (it is no whole JSON object: counted as lost with
 * the damage), while a whole record starting the next block is kept; recover
 * copies exactly what cat reads. Also cut at every block boundary. */
static void log_read_bgzip_damage_loses_only_records_touching_the_block(void) {
    lines_t l;
    FT_CHECK(make_lines(&l, 600));
    const size_t block = 1000;
    const size_t nblocks = (l.len + block - 1) / block;
    const size_t cap = l.len * 2 + (1 << 16);
    unsigned char *bgz = malloc(cap), *buf = malloc(cap);
    char *want = malloc(l.len + 1);
    size_t *offs = malloc((nblocks + 1) * sizeof *offs);
    FT_CHECK(bgz && buf && want && offs);
    const size_t n = bgzf_blocks(l.text, l.len, block, bgz, cap, offs);
    FT_CHECK(n > 0);
    offs[nblocks] = n - 28;
    for (size_t j = 0; j < nblocks; j++) {
        /* the records that survive: those not touching data [j*block, (j+1)*block) */
        size_t wlen = 0, wn = 0;
        for (size_t i = 0; i < l.count; i++)
            if (l.starts[i + 1] <= j * block || l.starts[i] >= (j + 1) * block) {
                memcpy(want + wlen, l.text + l.starts[i], l.starts[i + 1] - l.starts[i]);
                wlen += l.starts[i + 1] - l.starts[i];
                wn++;
            }
        memcpy(buf, bgz, n);
        buf[offs[j + 1] - 8] ^= 0x01; /* block j's CRC32 */
        for (int seq = 0; seq < 2; seq++) {
            read_mem(buf, n, seq, 0);
            FT_CHECK_MSG(got_text(want, wlen), "block %zu%s: %zu records, want %zu", j, seq ? " (sequential)" : "",
                         got.n, wn);
            FT_CHECK_EQ_U64(got.report.corrupt_members, 1);
            FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_CRC);
            FT_CHECK_EQ_U64(got.report.first_offset, offs[j]);
            FT_CHECK_EQ_U64(got.report.bad_lines, 0);
            FT_CHECK_EQ_U64(got.report.unterminated_lines, 0);
            FT_CHECK(got.report.corrupt_lines >= l.count - wn - 1); /* an estimate: the inflatable part */
        }
        if (j % 50 == 7) { /* recover copies exactly that */
            const char *in = tl_path("bgzip-damaged.log.gz"), *out = tl_path("bgzip-damaged.rec.log.gz");
            FT_CHECK(tl_spit(in, buf, n));
            ftf_log_report_t rep;
            uint64_t copied = 0;
            FTF_CHECK_STATUS(ftf_log_recover(&in, 1, out, NULL, NULL, &rep, &copied), FTF_OK);
            FT_CHECK(ftf_log_report_damaged(&rep));
            FT_CHECK_EQ_U64(copied, wn);
            FTF_CHECK_STATUS(ftf_log_verify(out, NULL, &rep), FTF_OK);
            read_paths(&out, 1, false);
            FT_CHECK(got_text(want, wlen));
        }
    }
    /* cut at every block boundary: the records ending before it; the one cut
     * is an unterminated line; the log is open (no EOF member) */
    for (size_t j = 1; j <= nblocks; j++) {
        size_t wlen = 0;
        while (wlen < l.len && wlen < j * block) {
            const char *nl = memchr(l.text + wlen, '\n', l.len - wlen);
            if ((size_t)(nl - l.text) >= j * block)
                break;
            wlen = (size_t)(nl - l.text) + 1;
        }
        const bool split = wlen != (j * block < l.len ? j * block : l.len);
        for (int seq = 0; seq < 2; seq++) {
            read_mem(bgz, offs[j], seq, 0);
            FT_CHECK_MSG(got_text(l.text, wlen), "cut after block %zu: %zu records", j, got.n);
            FT_CHECK_EQ_U64(got.report.missing_eof, 1);
            FT_CHECK_EQ_U64(got.report.unterminated_lines, split ? 1 : 0);
            FT_CHECK(ftf_log_report_damaged(&got.report) == split);
        }
    }
    free(bgz), free(buf), free(want), free(offs);
    free_lines(&l);
}

/* A line spanning many blocks beyond max_line is counted and skipped with
 * memory bounded by max_line; the records after it are read. */
static void log_read_bgzip_long_line_across_blocks_is_bounded(void) {
    const size_t huge = 300000;
    char *text = malloc(huge + 200);
    FT_CHECK(text != NULL);
    size_t len = (size_t)snprintf(text, 200, "{\"seq\":0}\n{\"huge\":\"");
    memset(text + len, 'h', huge);
    len += huge;
    len += (size_t)snprintf(text + len, 200, "\"}\n{\"seq\":1}\n");
    const size_t cap = len + (1 << 20);
    unsigned char *bgz = malloc(cap);
    FT_CHECK(bgz != NULL);
    const size_t n = bgzf_blocks(text, len, 4096, bgz, cap, NULL);
    FT_CHECK(n > 0);
    for (int seq = 0; seq < 2; seq++) {
        read_mem(bgz, n, seq, 65536);
        FT_CHECK(got_text("{\"seq\":0}\n{\"seq\":1}\n", 20));
        FT_CHECK_EQ_U64(got.report.long_lines, 1);
        FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_LINE_TOO_LONG);
        FT_CHECK_EQ_U64(got.report.corrupt_members + got.report.bad_lines + got.report.unterminated_lines, 0);
    }
    free(bgz);
    free(text);
}

/* ---- plain JSONL --------------------------------------------------------------- */

/* Plain JSONL is read as it is: records, file offsets as positions (read back
 * through ftf_log_read_at), no damage; lines across the 64 KiB chunks and the
 * window; a BOM; CRLF; bad, NUL-bearing, unterminated and over-long lines
 * counted; verify calls it not BGZF. Text is only recognised at a file's start
 * and only when its first line holds no control bytes. */
static void log_read_plain_jsonl(void) {
    lines_t l;
    FT_CHECK(make_lines(&l, 3000)); /* ~700 KiB: more than the window */
    const char *path = tl_path("plain.jsonl");
    FT_CHECK(tl_spit(path, l.text, l.len));
    for (int seq = 0; seq < 2; seq++) {
        read_paths(&path, 1, seq);
        FT_CHECK(got_text(l.text, l.len));
        FT_CHECK(no_damage(&got.report));
        FT_CHECK_EQ_U64(got.report.text_files, 1);
        FT_CHECK_EQ_U64(got.report.missing_eof, 0);
        FT_CHECK_EQ_U64(got.report.data_bytes, l.len);
    }
    for (size_t i = 0; i < got.n; i++)
        FT_CHECK(got.pos[i].member_offset == 0 && got.pos[i].offset == l.starts[i]);
    FT_CHECK(positions_read_back(path));
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 0, l.starts[1] + 1), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 0, l.len), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 0, l.starts[2999]), FTF_OK);
    ftf_log_record_t rec;
    FT_CHECK(ftf_log_reader_next(r, &rec) == 1 && rec.pos.offset == l.starts[2999]);
    FT_CHECK(ftf_log_reader_next(r, &rec) == 0);
    ftf_log_reader_free(r);
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_EUNSUPPORTED_VERSION);

    /* a BOM, CRLF line ends, leading blank line */
    static const char bom[] = "\xef\xbb\xbf\n{\"a\":1}\r\n{\"b\":2}\r\n";
    read_mem(bom, sizeof bom - 1, false, 0);
    FT_CHECK_EQ_U64(got.n, 2);
    FT_CHECK_EQ_U64(got.report.bad_lines, 1); /* the blank line */
    FT_CHECK_EQ_U64(got.pos[0].offset, 4);
    /* bad, NUL-bearing, over-long, unterminated */
    static const char bad[] =
        "{\"a\":1}\nnot json\n{\"n\":\"\0\"}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxx\"}\n{\"b\":2}\n{\"cut\":";
    for (int seq = 0; seq < 2; seq++) {
        read_mem(bad, sizeof bad - 1, seq, 24);
        FT_CHECK(got_text("{\"a\":1}\n{\"b\":2}\n", 16));
        FT_CHECK_EQ_U64(got.report.bad_lines, 2);
        FT_CHECK_EQ_U64(got.report.long_lines, 1);
        FT_CHECK_EQ_U64(got.report.unterminated_lines, 1);
        FT_CHECK_EQ_U64(got.report.corrupt_members + got.report.junk_bytes, 0);
        FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_BAD_LINE);
    }
    /* not text: a control byte in the first line, or text not starting with '{' */
    static const char binary[] = "{\x01\x02\x03}\n{\"a\":1}\n";
    read_mem(binary, sizeof binary - 1, false, 0);
    FT_CHECK(got.n == 0 && got.report.text_files == 0 && got.report.junk_bytes == sizeof binary - 1);
    static const char prose[] = "hello\n{\"a\":1}\n";
    read_mem(prose, sizeof prose - 1, true, 0);
    FT_CHECK(got.n == 0 && got.report.text_files == 0 && got.report.junk_bytes == sizeof prose - 1);
    /* text after a gzip member is not read as text (only a file's start is) */
    unsigned char mixed[512];
    size_t m = gzip_member("{\"a\":1}\n", 8, mixed, 0, sizeof mixed);
    FT_CHECK(m > 0);
    memcpy(mixed + m, "{\"b\":2}\n", 8);
    read_mem(mixed, m + 8, false, 0);
    FT_CHECK(got_text("{\"a\":1}\n", 8));
    FT_CHECK_EQ_U64(got.report.junk_bytes, 8);
    free_lines(&l);
}

/* ---- sequential gzip ------------------------------------------------------------ */

/* Plain gzip read sequentially (a pipe cannot be read twice) keeps the file
 * guarantee: a member's lines are returned only once its check held (its
 * compressed bytes are spooled to a temporary file meanwhile). Multi-member
 * gzip, a bad CRC, damaged deflate data (which decodes to plausible garbage
 * before zlib notices), a torn member. Without a temporary directory, members
 * are read once and checked at their end: their lines come first, each held
 * to full JSON, and the damage is said. */
static void log_read_plain_gzip_sequentially(void) {
    lines_t l;
    FT_CHECK(make_lines(&l, 1500));
    const size_t half = l.starts[700];
    const size_t cap = l.len + (1 << 16);
    unsigned char *gz = malloc(cap);
    FT_CHECK(gz != NULL);
    const size_t m1 = gzip_member(l.text, half, gz, 0, cap); /* two members, as pigz or cat a.gz b.gz */
    FT_CHECK(m1 > 0);
    const size_t n = gzip_member(l.text + half, l.len - half, gz, m1, cap);
    FT_CHECK(n > 0);
    for (int seq = 0; seq < 2; seq++) {
        read_mem(gz, n, seq, 0);
        FT_CHECK(got_text(l.text, l.len));
        FT_CHECK(no_damage(&got.report));
        FT_CHECK_EQ_U64(got.report.foreign_members, 2);
        FT_CHECK_EQ_U64(got.report.missing_eof, 0);
        /* the first member's CRC is wrong: none of its lines */
        gz[m1 - 8] ^= 1;
        read_mem(gz, n, seq, 0);
        FT_CHECK(got_text(l.text + half, l.len - half));
        FT_CHECK_EQ_U64(got.report.corrupt_members, 1);
        FT_CHECK_EQ_U64(got.report.corrupt_lines, 700);
        FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_CRC);
        FT_CHECK_EQ_U64(got.report.first_offset, 0);
        gz[m1 - 8] ^= 1;
        /* damaged deflate data in the second member: none of its lines */
        unsigned char *bad = malloc(n);
        FT_CHECK(bad != NULL);
        memcpy(bad, gz, n);
        memset(bad + m1 + (n - m1) / 2, 0xff, 64);
        read_mem(bad, n, seq, 0);
        free(bad);
        FT_CHECK(got_text(l.text, half));
        FT_CHECK_EQ_U64(got.report.corrupt_members + got.report.torn_tails, 1);
        FT_CHECK_EQ_U64(got.report.first_offset, m1);
        /* torn */
        read_mem(gz, m1 + (n - m1) / 2, seq, 0);
        FT_CHECK(got_text(l.text, half));
        FT_CHECK_EQ_U64(got.report.torn_tails, 1);
        FT_CHECK_EQ_U64(got.report.torn_bytes, (n - m1) / 2);
    }
    /* no temporary file possible: read once, checked at the end */
    const char *tmpdir = getenv("TMPDIR");
    char *saved = tmpdir ? strdup(tmpdir) : NULL;
    FT_CHECK(setenv("TMPDIR", "/nonexistent-ftf-dir", 1) == 0);
    read_mem(gz, n, true, 0);
    const bool whole = got_text(l.text, l.len) && no_damage(&got.report);
    gz[m1 - 8] ^= 1;
    read_mem(gz, n, true, 0);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    FT_CHECK(whole);
    FT_CHECK(!got.failed && got.len >= l.len - half && got.len <= l.len);
    const size_t early = got.len - (l.len - half); /* the lines it gave before its end */
    FT_CHECK(memcmp(got.text, l.text, early) == 0 && (early == 0 || got.text[early - 1] == '\n'));
    FT_CHECK(memcmp(got.text + early, l.text + half, l.len - half) == 0);
    FT_CHECK_EQ_U64(got.report.corrupt_members, 1);
    FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_CRC);
    FT_CHECK(strstr(got.report.first_detail, "already read") != NULL);
    free(gz);
    free_lines(&l);
}

/* ---- standard input, pipes, FIFOs ------------------------------------------------ */

/* Writes data[0..len) to fd from a child process, in pieces, then exits. */
static pid_t feed(int fd, const void *data, size_t len) {
    const pid_t pid = fork();
    if (pid == 0) {
        alarm(60);
        const unsigned char *p = data;
        size_t done = 0;
        while (done < len) {
            const size_t k = len - done < 3000 ? len - done : 3000;
            const ssize_t w = write(fd, p + done, k);
            if (w <= 0)
                _exit(1);
            done += (size_t)w;
        }
        _exit(0);
    }
    return pid;
}

static bool reaped(pid_t pid) {
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* "-" is standard input and a FIFO is read as it comes: the same records and
 * report as the same bytes from a file (a damaged log included); a stream
 * cannot seek. */
static void log_read_stdin_pipes_and_fifos(void) {
    alarm(120); /* a FIFO or pipe left without its writer would block: fail instead of hanging */
    /* a log with a member damaged, then a plain-gzip tail: several paths through the reader */
    lines_t l;
    FT_CHECK(make_lines(&l, 400));
    const char *path = tl_path("piped.log.gz");
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.member_data = 4096;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &wo, &w), FTF_OK);
    for (size_t i = 0; i < l.count; i++)
        FTF_CHECK_STATUS(ftf_log_write_record(w, l.text + l.starts[i], l.starts[i + 1] - l.starts[i] - 1, false, NULL),
                         FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    size_t len;
    unsigned char *bytes = tl_slurp(path, &len);
    FT_CHECK(bytes != NULL);
    bytes[len / 2] ^= 0x55;
    FT_CHECK(tl_spit(path, bytes, len));
    read_paths(&path, 1, false);
    FT_CHECK(got.report.corrupt_members == 1 && got.n < l.count);
    char *want = malloc(got.len + 1);
    FT_CHECK(want != NULL);
    const size_t wlen = got.len;
    memcpy(want, got.text, wlen);
    const ftf_log_report_t file_rep = got.report;

    /* standard input on a pipe */
    int fds[2];
    FT_CHECK(pipe(fds) == 0);
    const pid_t pid = feed(fds[1], bytes, len);
    close(fds[1]);
    const int saved = dup(STDIN_FILENO);
    FT_CHECK(saved >= 0 && dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
    close(fds[0]);
    const char *dash = "-";
    read_paths(&dash, 1, false);
    FT_CHECK(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
    close(saved);
    FT_CHECK(reaped(pid));
    FT_CHECK(got_text(want, wlen));
    FT_CHECK_EQ_U64(got.report.corrupt_members, file_rep.corrupt_members);
    FT_CHECK_EQ_U64(got.report.corrupt_bytes, file_rep.corrupt_bytes);
    FT_CHECK_EQ_U64(got.report.members, file_rep.members);
    FT_CHECK_EQ_U64(got.report.first_offset, file_rep.first_offset);
    FT_CHECK(strncmp(got.report.first_detail, "-: ", 3) == 0);

    /* two FIFOs in one reader, with a regular file between (one FIFO each:
     * a writer reopening the same FIFO could meet the reader's previous open) */
    const char *fifo[2] = {tl_path("log1.fifo"), tl_path("log2.fifo")};
    for (int i = 0; i < 2; i++) {
        unlink(fifo[i]);
        FT_CHECK(mkfifo(fifo[i], 0600) == 0);
    }
    const char *paths[3] = {fifo[0], path, fifo[1]};
    pid_t writer = fork();
    if (writer == 0) {
        alarm(60);
        for (int round = 0; round < 2; round++) {
            const int fd = open(fifo[round], O_WRONLY);
            if (fd < 0)
                _exit(1);
            const pid_t p = feed(fd, bytes, len);
            close(fd);
            if (!reaped(p))
                _exit(1);
        }
        _exit(0);
    }
    read_paths(paths, 3, false);
    FT_CHECK(reaped(writer));
    FT_CHECK(got.len == 3 * wlen && memcmp(got.text, want, wlen) == 0 && memcmp(got.text + 2 * wlen, want, wlen) == 0);
    FT_CHECK_EQ_U64(got.report.corrupt_members, 3);
    FT_CHECK_EQ_U64(got.report.files, 3);

    /* a stream cannot seek */
    FT_CHECK(pipe(fds) == 0);
    const pid_t p2 = feed(fds[1], bytes, len);
    close(fds[1]);
    char dev[32];
    snprintf(dev, sizeof dev, "/dev/fd/%d", fds[0]);
    const char *devp = dev;
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&devp, 1, NULL, &r), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 0, 0), FTF_EINVALID_ARGUMENT);
    ftf_log_reader_free(r);
    close(fds[0]);
    int status;
    waitpid(p2, &status, 0); /* it may fail with EPIPE: nobody read */
    unlink(fifo[0]);
    unlink(fifo[1]);
    alarm(0);
    free(want);
    free(bytes);
    free_lines(&l);
}

/* ---- open logs, errors ------------------------------------------------------------ */

/* A log still being written (members flushed, no EOF member yet) reads whole
 * and is open, not damaged; verify says FTF_ETRUNCATED with missing_eof.
 * Damage in a later file replaces the missing EOF as the first problem. */
static void log_read_open_log_is_not_damage(void) {
    const char *path = tl_path("open.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    char line[1024];
    for (unsigned i = 0; i < 50; i++)
        FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, i, false), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_flush(w), FTF_OK);
    for (int seq = 0; seq < 2; seq++) {
        read_paths(&path, 1, seq);
        FT_CHECK_EQ_U64(got.n, 50);
        FT_CHECK_EQ_U64(got.report.missing_eof, 1);
        FT_CHECK(!ftf_log_report_damaged(&got.report));
        FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_MISSING_EOF);
        FT_CHECK(strstr(got.report.first_detail, "open") != NULL);
    }
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_ETRUNCATED);
    FT_CHECK(!ftf_log_report_damaged(&rep) && rep.missing_eof == 1);
    /* the open log, then a torn one: the torn tail is the first problem */
    const char *torn = tl_path("torn.log.gz");
    size_t len;
    unsigned char *bytes = tl_slurp(path, &len);
    FT_CHECK(bytes != NULL && len > 10);
    FT_CHECK(tl_spit(torn, bytes, len - 5));
    free(bytes);
    const char *both[2] = {path, torn};
    read_paths(both, 2, false);
    FT_CHECK(ftf_log_report_damaged(&got.report));
    FT_CHECK_EQ_INT(got.report.first_damage, FTF_LOG_DAMAGE_TORN);
    FT_CHECK_EQ_U64(got.report.first_file, 1);
    FT_CHECK_EQ_U64(got.report.missing_eof, 2);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_OK);
}

/* Open, read and write failures carry errno's text or value. */
static void log_read_errors_say_why(void) {
    const char *missing = tl_path("missing.log.gz");
    read_paths(&missing, 1, false);
    FT_CHECK_EQ_U64(got.report.io_errors, 1);
    FT_CHECK(strstr(got.report.first_detail, "No such file or directory") != NULL);
    const char *dir = "/";
    read_paths(&dir, 1, false);
    FT_CHECK_EQ_U64(got.report.io_errors, 1);
    FT_CHECK(strstr(got.report.first_detail, "Is a directory") != NULL);
    /* recover: errno says why the output could not be made */
    const char *in = tl_path("small.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(in, NULL, &w), FTF_OK);
    char line[1024];
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, 1, false), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    errno = 0;
    FTF_CHECK_STATUS(ftf_log_recover(&in, 1, "/nonexistent-dir/x.log.gz", NULL, NULL, NULL, NULL), FTF_EIO);
    FT_CHECK_EQ_INT(errno, ENOENT);
    FTF_CHECK_STATUS(ftf_log_recover(&in, 1, in, NULL, NULL, NULL, NULL), FTF_EINVALID_ARGUMENT);
}

/* Crafted sequential input stays linear: thousands of gzip headers over
 * garbage, and BGZF headers claiming 64 KiB each, are skipped in one pass. */
static void log_read_crafted_sequential_input_is_linear(void) {
    const size_t len = 4u << 20;
    unsigned char *buf = malloc(len);
    FT_CHECK(buf != NULL);
    uint64_t seed = 99;
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)ft_test_rand(&seed);
    for (size_t at = 0; at + 4 <= len; at += 64) { /* a gzip header every 64 bytes */
        buf[at] = 0x1f, buf[at + 1] = 0x8b, buf[at + 2] = 8, buf[at + 3] = 0;
    }
    read_mem(buf, len, true, 0);
    FT_CHECK_EQ_U64(got.n, 0);
    FT_CHECK(got.report.corrupt_members > 0);
    static const unsigned char hdr[18] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, 0xff, 0xff};
    for (size_t at = 0; at + sizeof hdr <= len; at += 512)
        memcpy(buf + at, hdr, sizeof hdr);
    read_mem(buf, len, true, 0);
    FT_CHECK_EQ_U64(got.n, 0);
    FT_CHECK(got.report.corrupt_members > 0);
    free(buf);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN); /* a feeder child may outlive its reader */
    static const ft_test_case_t cases[] = {
        FT_CASE(log_read_bgzip_blocks_join_split_lines),
        FT_CASE(log_read_bgzip_damage_loses_only_records_touching_the_block),
        FT_CASE(log_read_bgzip_long_line_across_blocks_is_bounded),
        FT_CASE(log_read_plain_jsonl),
        FT_CASE(log_read_plain_gzip_sequentially),
        FT_CASE(log_read_stdin_pipes_and_fifos),
        FT_CASE(log_read_open_log_is_not_damage),
        FT_CASE(log_read_errors_say_why),
        FT_CASE(log_read_crafted_sequential_input_is_linear),
    };
    const int rc = ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
    free(got.text);
    return rc;
}
