/* Log writer and reader: round trip, member layout and closing rules, positions
 * and seeks, verify, recover, several files, the session sink adapter. Damage
 * and crashes are in test_log_damage.c. */
#define _POSIX_C_SOURCE 200809L

#include <zlib.h>

#include "ft/ft.h"
#include "test_log_util.h"

#define N_RECORDS 400

/* Writes records 0..n-1 (failure when failure_every divides i, if set) and
 * their positions into pos[]. */
static ftf_status write_sample(const char *path, const ftf_log_writer_options_t *o, unsigned n, unsigned failure_every,
                               ftf_log_pos_t *pos) {
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(path, o, &w);
    if (st)
        return st;
    char line[1024];
    for (unsigned i = 0; i < n && !st; i++) {
        const bool fail = failure_every && i % failure_every == 0;
        st = ftf_log_write_record(w, line, tl_record(line, sizeof line, i, fail), fail, pos ? &pos[i] : NULL);
    }
    ftf_status cs = ftf_log_writer_close(w);
    return st ? st : cs;
}

static void log_round_trip_records_positions_and_report(void) {
    const char *path = tl_path("rt.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 4096;
    static ftf_log_pos_t pos[N_RECORDS];
    FTF_CHECK_STATUS(write_sample(path, &o, N_RECORDS, 0, pos), FTF_OK);

    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
    ftf_log_record_t rec;
    char want[1024];
    unsigned i = 0;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1) {
        FT_CHECK(i < N_RECORDS);
        const size_t n = tl_record(want, sizeof want, i, false);
        FT_CHECK_EQ_U64(rec.len, n);
        FT_CHECK(memcmp(rec.line, want, n) == 0 && rec.line[n] == '\0');
        FT_CHECK_EQ_U64(rec.pos.member_offset, pos[i].member_offset);
        FT_CHECK_EQ_U64(rec.pos.offset, pos[i].offset);
        FT_CHECK_EQ_U64(rec.pos.length, n);
        FT_CHECK_EQ_U64(rec.file_index, 0);
        FT_CHECK_STR(rec.path, path);
        i++;
    }
    FT_CHECK_EQ_INT(k, 0);
    FT_CHECK_EQ_INT(i, N_RECORDS);
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    FT_CHECK(!ftf_log_report_damaged(rep));
    FT_CHECK_EQ_U64(rep->records, N_RECORDS);
    FT_CHECK_EQ_U64(rep->eof_members, 1);
    FT_CHECK(rep->members > 10); /* 4 KiB members */
    FT_CHECK_EQ_INT(rep->first_damage, FTF_LOG_DAMAGE_NONE);
    FT_CHECK_EQ_INT(ftf_log_reader_next(r, &rec), 0); /* stays at the end */
    ftf_log_reader_free(r);
    ftf_log_reader_free(NULL);
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, NULL), FTF_OK);
}

/* Every member is a BGZF block: FEXTRA with BC, BSIZE = size - 1, data at most
 * member_data, ending in '\n'; the file ends with the 28-byte EOF member; zlib's
 * gzip reader (what zcat does) gets exactly the lines back. */
static void log_members_are_bgzf_blocks_with_eof_member(void) {
    const char *path = tl_path("layout.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 2000;
    FTF_CHECK_STATUS(write_sample(path, &o, 200, 0, NULL), FTF_OK);
    size_t len;
    unsigned char *buf = tl_slurp(path, &len);
    FT_CHECK(buf && len > 28);
    static const unsigned char eof[28] = {0x1f, 0x8b, 8,    4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C',
                                          2,    0,    0x1b, 0, 3, 0, 0, 0, 0, 0,    0, 0, 0,   0};
    FT_CHECK(memcmp(buf + len - 28, eof, 28) == 0);
    size_t off = 0, members = 0;
    bool ok = true;
    while (off < len && ok) {
        const unsigned char *p = buf + off;
        ok = len - off >= 28 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 && p[3] == 4 && p[10] == 6 && p[11] == 0 &&
             p[12] == 'B' && p[13] == 'C' && p[14] == 2 && p[15] == 0;
        const size_t size = (size_t)(p[16] | p[17] << 8) + 1;
        ok = ok && off + size <= len;
        const size_t isize = ok ? (size_t)(p[size - 4] | p[size - 3] << 8 | p[size - 2] << 16) : 0;
        ok = ok && isize <= 2000;
        off += size;
        members++;
    }
    FT_CHECK(ok);
    FT_CHECK_EQ_U64(off, len);
    FT_CHECK(members > 5);

    /* plain zlib gzip decoding of the concatenated members */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    FT_CHECK(inflateInit2(&zs, 15 + 16) == Z_OK);
    static unsigned char out[1 << 20];
    size_t total = 0, in = 0;
    int rc = Z_OK;
    while (in < len) {
        zs.next_in = buf + in;
        zs.avail_in = (uInt)(len - in);
        zs.next_out = out + total;
        zs.avail_out = (uInt)(sizeof out - total);
        rc = inflate(&zs, Z_NO_FLUSH);
        in = len - zs.avail_in;
        total = sizeof out - zs.avail_out;
        if (rc == Z_STREAM_END)
            rc = inflateReset(&zs);
        if (rc != Z_OK)
            break;
    }
    inflateEnd(&zs);
    free(buf);
    FT_CHECK_EQ_INT(rc, Z_OK);
    char want[1024];
    size_t at = 0;
    for (unsigned i = 0; i < 200; i++) {
        const size_t n = tl_record(want, sizeof want, i, false);
        FT_CHECK(at + n + 1 <= total && memcmp(out + at, want, n) == 0 && out[at + n] == '\n');
        at += n + 1;
    }
    FT_CHECK_EQ_U64(at, total);
}

static int64_t fake_now;
static int64_t fake_clock(void *payload) {
    (void)payload;
    return fake_now;
}

/* A member closes: when full, right after a failure (before the call
 * returns), on flush, when older than max_age (checked on write and tick). */
static void log_member_closes_on_failure_flush_full_and_timer(void) {
    const char *path = tl_path("close.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 1024;
    o.max_age_ms = 100;
    o.clock = fake_clock;
    fake_now = 1000;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_OK);
    ftf_log_writer_stats_t s;
    char line[1024];
    size_t n = tl_record(line, sizeof line, 1, false);
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, n, false, NULL), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 0);
    FT_CHECK_EQ_U64(ftf_log_writer_offset(w), 0);
    /* failure: closed and on disk now */
    n = tl_record(line, sizeof line, 2, true);
    ftf_log_pos_t fpos;
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, n, true, &fpos), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 1);
    FT_CHECK_EQ_U64(s.failures, 1);
    FT_CHECK(s.syncs >= 1);
    FT_CHECK_EQ_U64(fpos.member_offset, 0);
    FT_CHECK(ftf_log_writer_offset(w) > 0);
    {
        /* a reader sees it while the writer is open (no EOF member yet) */
        char *got = NULL;
        size_t glen = 0;
        FTF_CHECK_STATUS(ftf_log_read_at(path, fpos.member_offset, fpos.offset, &got, &glen), FTF_OK);
        FT_CHECK(glen == n && memcmp(got, line, n) == 0);
        free(got);
        ftf_log_report_t rep;
        FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_ETRUNCATED);
        FT_CHECK_EQ_U64(rep.records, 2);
        FT_CHECK_EQ_U64(rep.missing_eof, 1);
        FT_CHECK_EQ_INT(rep.first_damage, FTF_LOG_DAMAGE_MISSING_EOF);
    }
    /* flush */
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, 3, false), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_flush(w), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_flush(w), FTF_OK); /* empty: no member */
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 2);
    /* timer: checked on write ... */
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, 4, false), false, NULL), FTF_OK);
    fake_now += 99;
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, 5, false), false, NULL), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 2);
    fake_now += 1;
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, 6, false), false, NULL), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 3);
    /* ... and on tick */
    FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, 7, false), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_tick(w), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 3);
    fake_now += 500;
    FTF_CHECK_STATUS(ftf_log_writer_tick(w), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK_EQ_U64(s.members, 4);
    /* full: 1024 bytes hold a few records only */
    for (unsigned i = 8; i < 40; i++)
        FTF_CHECK_STATUS(ftf_log_write_record(w, line, tl_record(line, sizeof line, i, false), false, NULL), FTF_OK);
    ftf_log_writer_stats(w, &s);
    FT_CHECK(s.members >= 8);
    FT_CHECK_EQ_U64(s.records, 39);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_OK);
    FT_CHECK_EQ_U64(rep.records, 39);
}

/* Records the writer refuses: empty, a newline inside, longer than a member.
 * None is sticky. A trailing newline is accepted. */
static void log_writer_rejects_bad_records(void) {
    const char *path = tl_path("reject.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_write_record(w, "", 0, false, NULL), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_log_write_record(w, "\n", 1, false, NULL), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_log_write_record(w, "{}\n{}", 5, false, NULL), FTF_EINVALID_ARGUMENT);
    FT_CHECK(ftf_log_writer_errmsg(w)[0] != '\0');
    static char big[FTF_LOG_MEMBER_DATA_MAX + 10];
    memset(big, 'x', sizeof big);
    big[0] = '{';
    FTF_CHECK_STATUS(ftf_log_write_record(w, big, FTF_LOG_MEMBER_DATA_MAX, false, NULL), FTF_ELINE_TOO_LONG);
    big[FTF_LOG_MEMBER_DATA_MAX - 2] = '}';
    ftf_log_pos_t pos;
    FTF_CHECK_STATUS(ftf_log_write_record(w, big, FTF_LOG_MEMBER_DATA_MAX - 1, false, &pos), FTF_OK); /* fits */
    FTF_CHECK_STATUS(ftf_log_write_record(w, "{\"a\":1}\n", 8, false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(NULL), FTF_OK);
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_OK);
    FT_CHECK_EQ_U64(rep.records, 2);
    FT_CHECK_EQ_U64(rep.members, 2);

    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.level = 10;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_EINVALID_ARGUMENT);
    o.level = 1;
    o.member_data = FTF_LOG_MEMBER_DATA_MAX + 1;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_log_writer_open("/nonexistent-dir/x.log.gz", NULL, &w), FTF_EIO);
}

/* Incompressible bytes in a full member still fit BSIZE's 16 bits (stored
 * blocks), at every level. */
static void log_incompressible_full_member_round_trips(void) {
    const char *path = tl_path("random.log.gz");
    static char line[FTF_LOG_MEMBER_DATA_MAX];
    const size_t n = FTF_LOG_MEMBER_DATA_MAX - 1;
    uint64_t seed = 42;
    line[0] = '{';
    line[1] = '"';
    for (size_t i = 2; i < n - 4; i++) {
        char c;
        do
            c = (char)(ft_test_rand(&seed) & 0xff);
        while (c == '\n' || c == '\0' || c == '"' || c == '\\' || (c > 0 && c < 0x20));
        line[i] = c;
    }
    memcpy(line + n - 4, "\":0}", 4);
    for (int level = 0; level <= 9; level += 3) {
        ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
        o.level = level;
        ftf_log_writer_t *w;
        FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_OK);
        for (int k = 0; k < 3; k++)
            FTF_CHECK_STATUS(ftf_log_write_record(w, line, n, false, NULL), FTF_OK);
        FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
        ftf_log_reader_t *r;
        FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
        ftf_log_record_t rec;
        int got = 0;
        while (ftf_log_reader_next(r, &rec) == 1) {
            FT_CHECK(rec.len == n && memcmp(rec.line, line, n) == 0);
            got++;
        }
        FT_CHECK_EQ_INT(got, 3);
        FT_CHECK(!ftf_log_report_damaged(ftf_log_reader_report(r)));
        ftf_log_reader_free(r);
    }
}

/* Seek and read_at: any record by (member offset, offset in member); offsets
 * that are not a record's start are not found. */
static void log_seek_and_read_at_by_position(void) {
    const char *path = tl_path("seek.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 3000;
    static ftf_log_pos_t pos[N_RECORDS];
    FTF_CHECK_STATUS(write_sample(path, &o, N_RECORDS, 0, pos), FTF_OK);
    char want[1024];
    for (unsigned i = 0; i < N_RECORDS; i += 7) {
        char *line;
        size_t len;
        FTF_CHECK_STATUS(ftf_log_read_at(path, pos[i].member_offset, pos[i].offset, &line, &len), FTF_OK);
        const size_t n = tl_record(want, sizeof want, i, false);
        FT_CHECK(len == n && memcmp(line, want, n) == 0 && line[n] == '\0');
        free(line);
    }
    /* seek, then iterate on from there to the end */
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, pos[123].member_offset, pos[123].offset), FTF_OK);
    ftf_log_record_t rec;
    unsigned i = 123;
    while (ftf_log_reader_next(r, &rec) == 1) {
        FT_CHECK_EQ_U64(rec.pos.offset, pos[i].offset);
        i++;
    }
    FT_CHECK_EQ_INT(i, N_RECORDS);
    /* backwards works too */
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, pos[5].member_offset, pos[5].offset), FTF_OK);
    FT_CHECK(ftf_log_reader_next(r, &rec) == 1 && rec.pos.offset == pos[5].offset);
    /* not a line start, past the data, not a member, out of range */
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, pos[5].member_offset, pos[5].offset + 1), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, pos[5].member_offset, 1u << 20), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, pos[5].member_offset + 1, 0), FTF_ECORRUPT);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 1u << 30, 0), FTF_ENOT_FOUND);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 1, 0, 0), FTF_EINVALID_ARGUMENT);
    ftf_log_reader_free(r);
    char *line = NULL;
    FTF_CHECK_STATUS(ftf_log_read_at(path, pos[9].member_offset, pos[9].offset + 3, &line, NULL), FTF_ENOT_FOUND);
    FT_CHECK(line == NULL);
    FTF_CHECK_STATUS(ftf_log_read_at(tl_path("missing.log.gz"), 0, 0, &line, NULL), FTF_EIO);
}

/* One reader over several files, in order, with file indexes; a missing file
 * is an I/O error in the report and the others are still read. */
static void log_reader_spans_files(void) {
    const char *paths[4] = {tl_path("a.log.gz"), tl_path("b.log.gz"), tl_path("nonexistent.log.gz"),
                            tl_path("c.log.gz")};
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 1000;
    FTF_CHECK_STATUS(write_sample(paths[0], &o, 50, 0, NULL), FTF_OK);
    FTF_CHECK_STATUS(write_sample(paths[1], &o, 30, 0, NULL), FTF_OK);
    FTF_CHECK_STATUS(write_sample(paths[3], &o, 20, 0, NULL), FTF_OK);
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(paths, 4, NULL, &r), FTF_OK);
    ftf_log_record_t rec;
    unsigned per_file[4] = {0};
    while (ftf_log_reader_next(r, &rec) == 1) {
        FT_CHECK(rec.file_index < 4);
        FT_CHECK_STR(rec.path, paths[rec.file_index]);
        per_file[rec.file_index]++;
    }
    FT_CHECK(per_file[0] == 50 && per_file[1] == 30 && per_file[2] == 0 && per_file[3] == 20);
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    FT_CHECK_EQ_U64(rep->files, 4);
    FT_CHECK_EQ_U64(rep->io_errors, 1);
    FT_CHECK_EQ_U64(rep->eof_members, 3);
    FT_CHECK_EQ_INT(rep->first_damage, FTF_LOG_DAMAGE_IO);
    FT_CHECK_EQ_INT(rep->first_status, FTF_EIO);
    FT_CHECK_EQ_U64(rep->first_file, 2);
    FT_CHECK(strstr(rep->first_detail, "nonexistent.log.gz") != NULL);
    ftf_log_reader_free(r);

    /* a seek to another file leaves the first one unjudged (no missing EOF) */
    FTF_CHECK_STATUS(ftf_log_reader_open(paths, 2, NULL, &r), FTF_OK);
    FT_CHECK(ftf_log_reader_next(r, &rec) == 1 && rec.file_index == 0);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 1, 0, 0), FTF_OK);
    unsigned rest = 0;
    while (ftf_log_reader_next(r, &rec) == 1)
        rest += rec.file_index == 1;
    FT_CHECK_EQ_INT(rest, 30);
    FT_CHECK(!ftf_log_report_damaged(ftf_log_reader_report(r)));
    ftf_log_reader_free(r);

    /* append mode continues a log; offsets count from the end */
    o.append = true;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(paths[3], &o, &w), FTF_OK);
    struct stat st;
    FT_CHECK(stat(paths[3], &st) == 0 && ftf_log_writer_offset(w) == (uint64_t)st.st_size);
    ftf_log_pos_t pos;
    FTF_CHECK_STATUS(ftf_log_write_record(w, "{\"appended\":true}", 17, false, &pos), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    char *line;
    FTF_CHECK_STATUS(ftf_log_read_at(paths[3], pos.member_offset, pos.offset, &line, NULL), FTF_OK);
    FT_CHECK_STR(line, "{\"appended\":true}");
    free(line);
    ftf_log_report_t vr;
    FTF_CHECK_STATUS(ftf_log_verify(paths[3], NULL, &vr), FTF_OK);
    FT_CHECK_EQ_U64(vr.records, 21);
    FT_CHECK_EQ_U64(vr.eof_members, 2);
}

/* verify lists members with their CRCs; it fails on damage. */
static void log_verify_lists_members(void) {
    const char *path = tl_path("verify.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 2048;
    FTF_CHECK_STATUS(write_sample(path, &o, 100, 0, NULL), FTF_OK);
    static tl_members_t ms;
    ms.n = 0;
    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.on_member = tl_on_member;
    ro.on_member_payload = &ms;
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, &ro, &rep), FTF_OK);
    FT_CHECK_EQ_U64(ms.n, rep.members + 1);
    uint64_t off = 0, lines = 0;
    for (size_t i = 0; i < ms.n; i++) {
        FT_CHECK_EQ_U64(ms.m[i].offset, off);
        FT_CHECK_EQ_INT(ms.m[i].kind, i + 1 == ms.n ? FTF_LOG_MEMBER_EOF : FTF_LOG_MEMBER_BGZF);
        FT_CHECK(ms.m[i].data_size <= 2048);
        off += ms.m[i].size;
        lines += ms.m[i].lines;
    }
    FT_CHECK_EQ_U64(lines, 100);
    size_t len;
    unsigned char *buf = tl_slurp(path, &len);
    FT_CHECK(buf && off == len);
    /* the CRC reported is the trailer's */
    const size_t end0 = (size_t)ms.m[0].size;
    FT_CHECK_EQ_U64(ms.m[0].crc, (uint32_t)(buf[end0 - 8] | buf[end0 - 7] << 8 | buf[end0 - 6] << 16 |
                                            (uint32_t)buf[end0 - 5] << 24));
    buf[end0 - 8] ^= 1;
    FT_CHECK(tl_spit(path, buf, len));
    free(buf);
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_ECORRUPT);
    FT_CHECK_EQ_INT(rep.first_damage, FTF_LOG_DAMAGE_CRC);
    FT_CHECK_EQ_U64(rep.first_offset, 0);
    FT_CHECK_EQ_U64(rep.corrupt_members, 1);
    FT_CHECK_EQ_U64(rep.corrupt_lines, ms.m[0].lines);
    FT_CHECK_EQ_U64(rep.records, 100 - ms.m[0].lines);
}

/* recover: every intact record of a damaged log into a new, valid log. */
static void log_recover_salvages_intact_records(void) {
    const char *path = tl_path("damaged.log.gz"), *out = tl_path("recovered.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 1500;
    FTF_CHECK_STATUS(write_sample(path, &o, 300, 0, NULL), FTF_OK);
    static tl_members_t ms;
    ms.n = 0;
    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.on_member = tl_on_member;
    ro.on_member_payload = &ms;
    FTF_CHECK_STATUS(ftf_log_verify(path, &ro, NULL), FTF_OK);
    FT_CHECK(ms.n > 10);
    size_t len;
    unsigned char *buf = tl_slurp(path, &len);
    FT_CHECK(buf != NULL);
    /* damage member 3 (a byte in its deflate data), cut the file inside the
     * second to last data member, append junk */
    buf[ms.m[3].offset + 30] ^= 0x55;
    const size_t cut = (size_t)(ms.m[ms.n - 2].offset + ms.m[ms.n - 2].size / 2);
    FT_CHECK(tl_spit(path, buf, cut));
    free(buf);
    const uint64_t want = 300 - ms.m[3].lines - ms.m[ms.n - 2].lines;
    ftf_log_report_t rep;
    uint64_t copied;
    FTF_CHECK_STATUS(ftf_log_recover(&path, 1, out, NULL, NULL, &rep, &copied), FTF_OK);
    FT_CHECK_EQ_U64(copied, want);
    FT_CHECK_EQ_U64(rep.corrupt_members, 1);
    FT_CHECK_EQ_U64(rep.torn_tails, 1);
    FT_CHECK_EQ_U64(rep.torn_bytes, cut - ms.m[ms.n - 2].offset);
    ftf_log_report_t vr;
    FTF_CHECK_STATUS(ftf_log_verify(out, NULL, &vr), FTF_OK);
    FT_CHECK_EQ_U64(vr.records, want);
    /* the recovered records are the intact ones, in order */
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&out, 1, NULL, &r), FTF_OK);
    ftf_log_record_t rec;
    char line[1024];
    unsigned i = 0;
    while (ftf_log_reader_next(r, &rec) == 1) {
        while (i < 300) {
            const size_t n = tl_record(line, sizeof line, i, false);
            i++;
            if (n == rec.len && memcmp(line, rec.line, n) == 0)
                break;
        }
        FT_CHECK(i <= 300);
    }
    ftf_log_reader_free(r);
    /* never over an input */
    FTF_CHECK_STATUS(ftf_log_recover(&path, 1, path, NULL, NULL, NULL, NULL), FTF_EINVALID_ARGUMENT);
}

/* A libft session streams its ledger into a log: one event per entry, a failing
 * op's event already on disk when the call returns. */
static void log_session_sink_streams_ledger_events(void) {
    const char *path = tl_path("session.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.max_age_ms = 0;
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, &o, &w), FTF_OK);
    ftf_event_context_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.run_id = "run-0123456789abcdef";
    ctx.suite_id = "session_smoke";
    ctx.packet_id = "FT-P2C-002";
    ctx.fixture_id = "none";
    ctx.env_fingerprint = "det64:0123456789abcdef";
    ctx.replay_command = "ft-replay --session";
    ctx.mode = FT_MODE_STRICT;
    ftf_log_session_sink_t sink;
    ftf_log_session_sink_init(&sink, w, &ctx);
    ft_session_options_t so = FT_SESSION_OPTIONS_INIT;
    so.sink = ftf_log_session_sink;
    so.sink_payload = &sink;
    ft_session_t *s;
    FT_CHECK(ft_session_new(&so, &s) == FT_OK);
    ft_var_t a, b, c;
    FT_CHECK(ft_session_leaf(s, 2.0, FT_DTYPE_F64, true, &a) == FT_OK);
    FT_CHECK(ft_session_leaf(s, 3.0, FT_DTYPE_F64, false, &b) == FT_OK);
    FT_CHECK(ft_session_call(s, "mul", a, b, &c) == FT_OK);
    FT_CHECK(ft_session_backward(s, b, false, NULL) != FT_OK); /* a failing entry: b needs no grad */
    FTF_CHECK_STATUS(sink.status, FTF_OK);
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    FT_CHECK_EQ_U64(ws.records, sink.written);
    FT_CHECK(ws.failures >= 1 && ws.members >= 1); /* the failure closed a member */
    FT_CHECK(ft_session_set_mode(s, FT_MODE_HARDENED) == FT_OK);
    ft_session_free(s);
    const uint64_t written = sink.written;
    FT_CHECK(written >= 3);
    FT_CHECK_EQ_U64(sink.dropped, 0);
    ftf_log_session_sink_dispose(&sink);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);

    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.validate_json = true;
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, &ro, &r), FTF_OK);
    ftf_log_record_t rec;
    ftf_event_storage_t st = FTF_EVENT_STORAGE_INIT;
    uint64_t n = 0, fails = 0;
    while (ftf_log_reader_next(r, &rec) == 1) {
        ftf_event_t ev;
        ftf_parse_error_t err;
        FTF_CHECK_STATUS(ftf_event_parse(rec.line, rec.len, &ev, &st, &err), FTF_OK);
        FT_CHECK_EQ_U64(ev.seq, n);
        FT_CHECK_STR(ev.suite_id, "session_smoke");
        fails += ev.outcome == FTF_OUTCOME_FAIL;
        n++;
    }
    ftf_event_storage_dispose(&st);
    FT_CHECK_EQ_U64(n, written);
    FT_CHECK(fails >= 1);
    FT_CHECK(!ftf_log_report_damaged(ftf_log_reader_report(r)));
    ftf_log_reader_free(r);
}

/* max_line is bounded so max_line + 1 cannot wrap (a review found SIZE_MAX
 * overflowed a buffer). */
static void log_reader_refuses_unbounded_max_line(void) {
    ftf_log_reader_options_t o;
    memset(&o, 0, sizeof o);
    o.max_line = (size_t)-1;
    ftf_log_reader_t *r = NULL;
    FT_CHECK(ftf_log_reader_open_buffer("", 0, "empty", &o, &r) == FTF_EINVALID_ARGUMENT && r == NULL);
    o.max_line = FTF_LOG_MAX_LINE_LIMIT;
    FT_CHECK(ftf_log_reader_open_buffer("", 0, "empty", &o, &r) == FTF_OK && r != NULL);
    ftf_log_reader_free(r);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(log_reader_refuses_unbounded_max_line),
        FT_CASE(log_round_trip_records_positions_and_report),
        FT_CASE(log_members_are_bgzf_blocks_with_eof_member),
        FT_CASE(log_member_closes_on_failure_flush_full_and_timer),
        FT_CASE(log_writer_rejects_bad_records),
        FT_CASE(log_incompressible_full_member_round_trips),
        FT_CASE(log_seek_and_read_at_by_position),
        FT_CASE(log_reader_spans_files),
        FT_CASE(log_verify_lists_members),
        FT_CASE(log_recover_salvages_intact_records),
        FT_CASE(log_session_sink_streams_ledger_events),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
