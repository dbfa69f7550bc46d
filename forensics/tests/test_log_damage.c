/* Log reader against damage: a log cut at every byte offset, every byte
 * flipped, a writer killed with SIGKILL mid-run, and hostile files (empty, not
 * gzip, junk appended, concatenated logs, plain gzip without BC, huge and
 * non-JSON lines). The reader must never crash (ASan runs these too), lose only
 * the damaged member, and say exactly what it skipped. */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <sys/wait.h>
#include <zlib.h>

#include "test_log_util.h"

/* A small multi-member log in memory, and what is in it. */
typedef struct {
    unsigned char *buf;
    size_t len;
    unsigned records;
    tl_members_t members; /* data members, then the EOF member */
} sample_t;

static sample_t sample;

static bool make_sample(unsigned records, size_t member_data) {
    if (sample.buf && sample.records == records)
        return true;
    const char *path = tl_path("sample.log.gz");
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = member_data;
    ftf_log_writer_t *w;
    if (ftf_log_writer_open(path, &o, &w))
        return false;
    char line[1024];
    for (unsigned i = 0; i < records; i++)
        if (ftf_log_write_record(w, line, tl_record(line, sizeof line, i, false), false, NULL))
            return false;
    if (ftf_log_writer_close(w))
        return false;
    sample.buf = tl_slurp(path, &sample.len);
    sample.records = records;
    sample.members.n = 0;
    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.on_member = tl_on_member;
    ro.on_member_payload = &sample.members;
    return sample.buf && ftf_log_verify(path, &ro, NULL) == FTF_OK;
}

/* Reads `data` (copied to a buffer of exactly `len` bytes, so ASan sees any
 * overread) and stores the record numbers read into got[] (as parsed back from
 * the "seq" field), checking each record is byte-identical to the original. */
typedef struct {
    unsigned got[4096];
    size_t n;
    bool mismatch;
    ftf_log_report_t report;
} readout_t;

static readout_t ro_out;

static void read_buffer(const unsigned char *data, size_t len, const ftf_log_reader_options_t *opts) {
    unsigned char *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    ftf_log_reader_t *r;
    ro_out.n = 0;
    ro_out.mismatch = false;
    if (ftf_log_reader_open_buffer(copy, len, "buffer", opts, &r) != FTF_OK) {
        ro_out.mismatch = true;
        free(copy);
        return;
    }
    ftf_log_record_t rec;
    char want[1024];
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1) {
        unsigned seq = 0;
        const char *s = strstr(rec.line, "\"seq\":");
        if (!s || sscanf(s + 6, "%u", &seq) != 1) {
            ro_out.mismatch = true;
            continue;
        }
        const size_t n = tl_record(want, sizeof want, seq, false);
        if (n != rec.len || memcmp(want, rec.line, n) != 0)
            ro_out.mismatch = true;
        if (ro_out.n < sizeof ro_out.got / sizeof ro_out.got[0])
            ro_out.got[ro_out.n++] = seq;
    }
    if (k < 0)
        ro_out.mismatch = true;
    ro_out.report = *ftf_log_reader_report(r);
    ftf_log_reader_free(r);
    free(copy);
}

/* Cut at every byte offset: the records of every member wholly before the cut
 * are read, in order; the member the cut is in is the torn tail (its bytes and
 * at most its lines); nothing is called corrupt. */
static void log_truncated_at_every_offset_loses_only_torn_member(void) {
    FT_CHECK(make_sample(120, 600));
    const tl_members_t *ms = &sample.members;
    FT_CHECK(ms->n > 8);
    for (size_t cut = 0; cut <= sample.len; cut++) {
        read_buffer(sample.buf, cut, NULL);
        const ftf_log_report_t *rep = &ro_out.report;
        /* what must survive */
        uint64_t whole = 0, torn_from = cut, torn_lines_max = 0;
        bool eof_whole = false;
        for (size_t i = 0; i < ms->n; i++) {
            const ftf_log_member_info_t *m = &ms->m[i];
            if (m->offset + m->size <= cut) {
                whole += m->lines;
                eof_whole = m->kind == FTF_LOG_MEMBER_EOF;
            } else if (m->offset < cut) {
                torn_from = m->offset;
                torn_lines_max = m->lines;
            }
        }
        FT_CHECK_MSG(!ro_out.mismatch, "cut %zu: a record differs", cut);
        FT_CHECK_MSG(ro_out.n == whole, "cut %zu: %zu records, want %llu", cut, ro_out.n, (unsigned long long)whole);
        for (size_t i = 0; i < ro_out.n; i++)
            FT_CHECK_MSG(ro_out.got[i] == i, "cut %zu: record %zu is %u", cut, i, ro_out.got[i]);
        FT_CHECK_MSG(rep->corrupt_members == 0 && rep->junk_bytes == 0, "cut %zu: corrupt %llu junk %llu", cut,
                     (unsigned long long)rep->corrupt_members, (unsigned long long)rep->junk_bytes);
        FT_CHECK_EQ_U64(rep->torn_tails, torn_from < cut ? 1 : 0);
        FT_CHECK_EQ_U64(rep->torn_bytes, cut - torn_from);
        FT_CHECK_MSG(rep->torn_lines <= torn_lines_max, "cut %zu: %llu torn lines > %llu", cut,
                     (unsigned long long)rep->torn_lines, (unsigned long long)torn_lines_max);
        FT_CHECK_EQ_U64(rep->missing_eof, eof_whole ? 0 : 1);
        FT_CHECK_EQ_U64(rep->records, whole);
        /* cut at a member boundary: an open log (no EOF member yet), not damage */
        FT_CHECK(ftf_log_report_damaged(rep) == (torn_from < cut));
        if (cut != sample.len)
            FT_CHECK_EQ_INT(rep->first_status, FTF_ETRUNCATED);
    }
}

/* Every byte flipped (three ways): the damaged member's records are all read
 * (the byte did not matter: MTIME, OS, ...) or all skipped with the damage
 * counted; every other member is read; records are never altered. */
static void log_flipped_bytes_skip_only_the_damaged_member(void) {
    FT_CHECK(make_sample(120, 600));
    const tl_members_t *ms = &sample.members;
    static const unsigned char masks[] = {0xff, 0x01, 0x80};
    unsigned char *buf = malloc(sample.len);
    FT_CHECK(buf != NULL);
    size_t skipped_members = 0;
    for (size_t at = 0; at < sample.len; at++) {
        size_t j = 0; /* the member the byte is in */
        while (!(ms->m[j].offset <= at && at < ms->m[j].offset + ms->m[j].size))
            j++;
        uint64_t first = 0;
        for (size_t i = 0; i < j; i++)
            first += ms->m[i].lines;
        const uint64_t lines_j = ms->m[j].lines;
        for (size_t k = 0; k < sizeof masks; k++) {
            memcpy(buf, sample.buf, sample.len);
            buf[at] ^= masks[k];
            read_buffer(buf, sample.len, NULL);
            const ftf_log_report_t *rep = &ro_out.report;
            FT_CHECK_MSG(!ro_out.mismatch, "byte %zu ^ 0x%02x: a record differs", at, masks[k]);
            const bool all = ro_out.n == sample.records;
            FT_CHECK_MSG(all || ro_out.n == sample.records - lines_j, "byte %zu ^ 0x%02x (member %zu): %zu records", at,
                         masks[k], j, ro_out.n);
            /* in order, with member j's run missing when it was skipped */
            for (size_t i = 0; i < ro_out.n; i++) {
                const uint64_t want = all || i < first ? i : i + lines_j;
                FT_CHECK_MSG(ro_out.got[i] == want, "byte %zu ^ 0x%02x: record %zu is %u", at, masks[k], i,
                             ro_out.got[i]);
            }
            if (!all) {
                skipped_members++;
                FT_CHECK_MSG(rep->corrupt_members >= 1 && ftf_log_report_damaged(rep),
                             "byte %zu ^ 0x%02x: lost records but no corrupt member reported", at, masks[k]);
                /* (corrupt_lines is an estimate here: damaged deflate data can decode to garbage) */
                FT_CHECK_EQ_INT(rep->first_status, FTF_ECORRUPT);
            }
        }
    }
    free(buf);
    FT_CHECK(skipped_members > sample.len); /* most flips do damage a member */
}

/* Pinned cases of the above, one per kind of damage, with the exact report. */
static void log_damage_kinds_are_reported_by_name(void) {
    FT_CHECK(make_sample(120, 600));
    const ftf_log_member_info_t *m2 = &sample.members.m[2];
    unsigned char *buf = malloc(sample.len);
    FT_CHECK(buf != NULL);
    static const struct {
        size_t at; /* in member 2 */
        unsigned char mask;
        ftf_log_damage_t damage;
    } cases[] = {
        {0, 0xff, FTF_LOG_DAMAGE_BAD_HEADER},   /* magic */
        {16, 0x01, FTF_LOG_DAMAGE_BSIZE},       /* BSIZE one off */
        {18, 0, FTF_LOG_DAMAGE_INFLATE},        /* deflate block type 11 (reserved) */
        {(size_t)-8, 0x01, FTF_LOG_DAMAGE_CRC}, /* CRC32 */
        {(size_t)-4, 0x01, FTF_LOG_DAMAGE_CRC}, /* ISIZE */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(buf, sample.buf, sample.len);
        const size_t at = (size_t)m2->offset + (cases[c].at < m2->size ? cases[c].at : (size_t)m2->size + cases[c].at);
        if (cases[c].mask)
            buf[at] ^= cases[c].mask;
        else
            buf[at] |= 0x06;
        read_buffer(buf, sample.len, NULL);
        const ftf_log_report_t *rep = &ro_out.report;
        FT_CHECK_MSG(rep->first_damage == cases[c].damage, "case %zu: %s, want %s", c,
                     ftf_log_damage_name(rep->first_damage), ftf_log_damage_name(cases[c].damage));
        FT_CHECK_EQ_U64(rep->first_offset, m2->offset);
        FT_CHECK_EQ_U64(rep->corrupt_members, 1);
        FT_CHECK_EQ_U64(rep->corrupt_bytes, m2->size);
        FT_CHECK_EQ_U64(ro_out.n, sample.records - m2->lines);
        FT_CHECK_EQ_U64(rep->missing_eof, 0);
        FT_CHECK(strstr(rep->first_detail, ftf_log_damage_name(cases[c].damage)) != NULL);
    }
    free(buf);
    FT_CHECK_STR(ftf_log_damage_name(FTF_LOG_DAMAGE_TORN), "torn_tail");
    FT_CHECK_STR(ftf_log_damage_name((ftf_log_damage_t)99), "invalid_damage");
}

/* A child writes passes and failures until SIGKILL, acknowledging every record
 * through a pipe once ftf_log_write_record returned. Several rounds, with small
 * members (so the kill lands among frequent member writes) and the kill after a
 * different number of records each time. Afterwards: the records read are the
 * prefix 0..n-1 of what was written; every acknowledged failure is in it (a
 * failure closes its member); and what is lost — acknowledged records not in
 * the log — fits in one open member. */
static void log_killed_writer_keeps_every_failure(void) {
    for (unsigned round = 0; round < 6; round++) {
        const char *path = tl_path("killed.log.gz");
        const size_t member_data = 1024 + 512 * round;
        const unsigned kill_after = 7 + 37 * round;
        unlink(path);
        int fds[2];
        FT_CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        FT_CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            alarm(60); /* never outlive a broken parent */
            ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
            o.max_age_ms = 0;
            o.member_data = member_data;
            ftf_log_writer_t *w;
            if (ftf_log_writer_open(path, &o, &w))
                _exit(3);
            char line[1024];
            for (unsigned i = 0;; i++) {
                const bool fail = i % 23 == 0;
                if (ftf_log_write_record(w, line, tl_record(line, sizeof line, i, fail), fail, NULL))
                    _exit(4);
                if (write(fds[1], &i, sizeof i) != (ssize_t)sizeof i)
                    _exit(5);
            }
        }
        close(fds[1]);
        unsigned seq, last = 0, nacked = 0;
        while (nacked < kill_after && read(fds[0], &seq, sizeof seq) == (ssize_t)sizeof seq)
            last = seq, nacked++;
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        while (read(fds[0], &seq, sizeof seq) == (ssize_t)sizeof seq) /* acknowledged before the kill landed */
            last = seq, nacked++;
        close(fds[0]);
        FT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        FT_CHECK(nacked >= kill_after && last + 1 == nacked);

        ftf_log_reader_t *r;
        FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
        ftf_log_record_t rec;
        char want[1024];
        unsigned n = 0;
        size_t shortest = sizeof want;
        while (ftf_log_reader_next(r, &rec) == 1) {
            const size_t len = tl_record(want, sizeof want, n, n % 23 == 0);
            FT_CHECK_MSG(rec.len == len && memcmp(rec.line, want, len) == 0, "round %u: record %u differs", round, n);
            n++;
        }
        for (unsigned i = 0; i <= last; i++) {
            const size_t len = tl_record(want, sizeof want, i, i % 23 == 0) + 1;
            shortest = len < shortest ? len : shortest;
        }
        const ftf_log_report_t *rep = ftf_log_reader_report(r);
        FT_CHECK_EQ_U64(rep->corrupt_members, 0);
        FT_CHECK(rep->torn_tails <= 1);
        FT_CHECK_EQ_U64(rep->missing_eof, 1);
        ftf_log_reader_free(r);
        /* every acknowledged failure survives */
        const unsigned last_failure = last / 23 * 23;
        FT_CHECK_MSG(last_failure < n, "round %u: failure %u acknowledged, only %u records in the log", round,
                     last_failure, n);
        /* nothing survives that was not written (the one record written but not
         * yet acknowledged when the kill landed may be there); at most one
         * member is lost */
        FT_CHECK(n <= last + 2);
        FT_CHECK_MSG(n >= last + 1 || last + 1 - n <= member_data / shortest + 1,
                     "round %u: %u acknowledged records lost (member %zu B)", round, last + 1 - n, member_data);
    }
}

/* Plain gzip (what `gzip` writes: no BC field), in memory. */
static size_t gzip_plain(const char *text, size_t len, unsigned char *out, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    zs.next_in = (Bytef *)(uintptr_t)text;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    const int rc = deflate(&zs, Z_FINISH);
    const size_t n = cap - zs.avail_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? n : 0;
}

static void log_hostile_empty_and_not_gzip_files(void) {
    read_buffer(NULL, 0, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 0);
    FT_CHECK_EQ_U64(ro_out.report.missing_eof, 1); /* an empty log is open: its writer wrote nothing yet */
    FT_CHECK_EQ_U64(ro_out.report.torn_tails + ro_out.report.corrupt_members + ro_out.report.junk_bytes, 0);
    FT_CHECK(!ftf_log_report_damaged(&ro_out.report));

    /* text that starts like JSON Lines is read as plain JSONL: its bad lines are counted */
    static const char text[] = "{\"record\":\"event\"}\nthis is not gzip at all\n";
    read_buffer((const unsigned char *)text, sizeof text - 1, NULL);
    FT_CHECK_EQ_U64(ro_out.report.records, 1);
    FT_CHECK_EQ_U64(ro_out.report.text_files, 1);
    FT_CHECK_EQ_U64(ro_out.report.bad_lines, 1);
    FT_CHECK_EQ_INT(ro_out.report.first_damage, FTF_LOG_DAMAGE_BAD_LINE);
    /* other text is junk */
    static const char junk[] = "this is not gzip at all\n{\"record\":\"event\"}\n";
    read_buffer((const unsigned char *)junk, sizeof junk - 1, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 0);
    FT_CHECK_EQ_U64(ro_out.report.junk_bytes, sizeof junk - 1);
    FT_CHECK_EQ_INT(ro_out.report.first_damage, FTF_LOG_DAMAGE_JUNK);
    FT_CHECK_EQ_INT(ro_out.report.first_status, FTF_ECORRUPT);

    /* a lone magic byte, a header prefix, random bytes */
    static const unsigned char prefix[] = {0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 6};
    for (size_t n = 1; n <= sizeof prefix; n++) {
        read_buffer(prefix, n, NULL);
        FT_CHECK_EQ_U64(ro_out.n, 0);
        FT_CHECK_EQ_U64(ro_out.report.torn_tails, 1);
        FT_CHECK_EQ_U64(ro_out.report.torn_bytes, n);
    }
    uint64_t seed = 7;
    unsigned char noise[4096];
    for (int round = 0; round < 200; round++) {
        const size_t n = (size_t)(ft_test_rand(&seed) % sizeof noise);
        for (size_t i = 0; i < n; i++)
            noise[i] = (unsigned char)ft_test_rand(&seed);
        if (n > 20 && round % 2) { /* a plausible BGZF header over noise */
            static const unsigned char hdr[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0};
            memcpy(noise, hdr, 16);
        }
        read_buffer(noise, n, NULL);
        FT_CHECK_EQ_U64(ro_out.n, 0);
    }

    /* a directory and a missing file are I/O errors, not crashes */
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify("/", NULL, &rep), FTF_EIO);
    FTF_CHECK_STATUS(ftf_log_verify(tl_path("absent.gz"), NULL, &rep), FTF_EIO);
    FT_CHECK_EQ_U64(rep.io_errors, 1);
}

static void log_hostile_junk_appended_and_concatenated_logs(void) {
    FT_CHECK(make_sample(120, 600));
    const size_t len = sample.len;
    unsigned char *buf = malloc(2 * len + 100);
    FT_CHECK(buf != NULL);
    /* junk after the EOF member */
    memcpy(buf, sample.buf, len);
    memcpy(buf + len, "garbage after the end\n", 22);
    read_buffer(buf, len + 22, NULL);
    FT_CHECK_EQ_U64(ro_out.n, sample.records);
    FT_CHECK_EQ_U64(ro_out.report.junk_bytes, 22);
    FT_CHECK_EQ_U64(ro_out.report.missing_eof, 0);
    FT_CHECK_EQ_INT(ro_out.report.first_damage, FTF_LOG_DAMAGE_JUNK);
    FT_CHECK_EQ_U64(ro_out.report.first_offset, len);
    /* two logs back to back (cat a b): all records, two EOF members, no damage */
    memcpy(buf + len, sample.buf, len);
    read_buffer(buf, 2 * len, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 2 * sample.records);
    FT_CHECK_EQ_U64(ro_out.report.eof_members, 2);
    FT_CHECK(!ftf_log_report_damaged(&ro_out.report));
    /* junk between them: skipped, the second log still read */
    memcpy(buf + len, "JUNKJUNK", 8);
    memcpy(buf + len + 8, sample.buf, len);
    read_buffer(buf, 2 * len + 8, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 2 * sample.records);
    FT_CHECK_EQ_U64(ro_out.report.corrupt_members, 1);
    FT_CHECK_EQ_U64(ro_out.report.corrupt_bytes, 8);
    FT_CHECK_EQ_INT(ro_out.report.first_damage, FTF_LOG_DAMAGE_BAD_HEADER);
    /* the first log torn, then a whole second one (a writer restarted in append mode) */
    memcpy(buf + len - 40, sample.buf, len);
    read_buffer(buf, 2 * len - 40, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 2 * sample.records - sample.members.m[sample.members.n - 2].lines);
    FT_CHECK_EQ_U64(ro_out.report.corrupt_members, 1); /* the cut member, overlapping the next log's start */
    free(buf);
}

/* Plain gzip without the BC field is valid gzip: it is read (lines may be any
 * length up to max_line), and reported as foreign; verify calls it not BGZF. */
static void log_hostile_plain_gzip_is_read_as_foreign(void) {
    static char text[300000];
    size_t len = 0;
    for (unsigned i = 0; i < 1000; i++) {
        len += tl_record(text + len, sizeof text - len, i, false);
        text[len++] = '\n';
    }
    static unsigned char gz[400000];
    size_t n = gzip_plain(text, len, gz, sizeof gz);
    FT_CHECK(n > 0);
    static tl_members_t ms;
    ms.n = 0;
    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.on_member = tl_on_member;
    ro.on_member_payload = &ms;
    read_buffer(gz, n, &ro);
    FT_CHECK(!ro_out.mismatch);
    FT_CHECK_EQ_U64(ro_out.n, 1000);
    FT_CHECK_EQ_U64(ro_out.report.foreign_members, 1);
    FT_CHECK_EQ_U64(ro_out.report.missing_eof, 0);
    FT_CHECK(!ftf_log_report_damaged(&ro_out.report));
    FT_CHECK(ms.n == 1 && ms.m[0].kind == FTF_LOG_MEMBER_FOREIGN && ms.m[0].size == n && ms.m[0].data_size == len);
    FT_CHECK_EQ_U64(ms.m[0].lines, 1000);
    FT_CHECK_EQ_U64(ms.m[0].crc, crc32(0, (const Bytef *)text, (uInt)len));
    const char *path = tl_path("plain.gz");
    FT_CHECK(tl_spit(path, gz, n));
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_EUNSUPPORTED_VERSION);
    /* seek works inside a foreign member too, past a 64 KiB chunk */
    ftf_log_reader_t *r;
    FTF_CHECK_STATUS(ftf_log_reader_open(&path, 1, NULL, &r), FTF_OK);
    ftf_log_record_t rec;
    uint64_t off900 = 0;
    while (ftf_log_reader_next(r, &rec) == 1)
        if (strstr(rec.line, "\"seq\":900,"))
            off900 = rec.pos.offset;
    FT_CHECK(off900 > 65536);
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 0, off900), FTF_OK);
    FT_CHECK(ftf_log_reader_next(r, &rec) == 1 && strstr(rec.line, "\"seq\":900,"));
    FTF_CHECK_STATUS(ftf_log_reader_seek(r, 0, 0, off900 + 1), FTF_ENOT_FOUND);
    ftf_log_reader_free(r);
    /* a bad CRC in a foreign member: none of its lines are returned */
    gz[n - 8] ^= 1;
    read_buffer(gz, n, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 0);
    FT_CHECK_EQ_U64(ro_out.report.corrupt_members, 1);
    FT_CHECK_EQ_INT(ro_out.report.first_damage, FTF_LOG_DAMAGE_CRC);
    FT_CHECK_EQ_U64(ro_out.report.corrupt_lines, 1000);
    /* torn foreign member */
    gz[n - 8] ^= 1;
    read_buffer(gz, n / 2, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 0);
    FT_CHECK_EQ_U64(ro_out.report.torn_tails, 1);
    FT_CHECK_EQ_U64(ro_out.report.torn_bytes, n / 2);
    FT_CHECK(ro_out.report.torn_lines > 100);
}

/* Lines over max_line and lines that are no JSON object are counted and
 * skipped; memory stays bounded by max_line (a 4 MiB line in a foreign
 * member); a member not ending in '\n' is an unterminated line. */
static void log_hostile_huge_and_bad_lines_are_counted(void) {
    const size_t huge = 4u << 20;
    char *text = malloc(huge + 200);
    FT_CHECK(text != NULL);
    size_t len = (size_t)snprintf(text, 200, "{\"seq\":0}\n{\"huge\":\"");
    memset(text + len, 'h', huge);
    len += huge;
    len += (size_t)snprintf(text + len, 200, "\"}\nnot json\n\n{\"seq\":1}\n[1,2]\n{\"seq\":2}\n{\"tail\":");
    unsigned char *gz = malloc(huge);
    const size_t n = gzip_plain(text, len, gz, huge);
    free(text);
    FT_CHECK(n > 0);
    read_buffer(gz, n, NULL);
    FT_CHECK_EQ_U64(ro_out.n, 3);
    FT_CHECK_EQ_U64(ro_out.report.long_lines, 1);
    FT_CHECK_EQ_U64(ro_out.report.bad_lines, 3); /* "not json", "", "[1,2]" */
    FT_CHECK_EQ_U64(ro_out.report.unterminated_lines, 1);
    FT_CHECK_EQ_INT(ro_out.report.first_damage, FTF_LOG_DAMAGE_LINE_TOO_LONG);
    FT_CHECK_EQ_INT(ro_out.report.first_status, FTF_ELINE_TOO_LONG);
    /* with a smaller bound, and with full JSON validation */
    ftf_log_reader_options_t ro = FTF_LOG_READER_OPTIONS_INIT;
    ro.max_line = 8;
    read_buffer(gz, n, &ro);
    FT_CHECK_EQ_U64(ro_out.n, 0);                 /* {"seq":0} is 9 bytes */
    FT_CHECK_EQ_U64(ro_out.report.long_lines, 4); /* the three {"seq":N} and the huge one */
    free(gz);

    const char *path = tl_path("badlines.log.gz");
    ftf_log_writer_t *w;
    FTF_CHECK_STATUS(ftf_log_writer_open(path, NULL, &w), FTF_OK);
    static const char *const lines[] = {"{\"a\":1}", "{\"a\":1,\"a\":2}", "{not json}", "{\"b\":[1,2,{}]}",
                                        "{\"c\":\x01}"};
    for (size_t i = 0; i < 5; i++)
        FTF_CHECK_STATUS(ftf_log_write_record(w, lines[i], strlen(lines[i]), false, NULL), FTF_OK);
    FTF_CHECK_STATUS(ftf_log_writer_close(w), FTF_OK);
    ftf_log_report_t rep;
    FTF_CHECK_STATUS(ftf_log_verify(path, NULL, &rep), FTF_OK); /* shape check only: all look like objects */
    FT_CHECK_EQ_U64(rep.records, 5);
    ro = (ftf_log_reader_options_t)FTF_LOG_READER_OPTIONS_INIT;
    ro.validate_json = true;
    FTF_CHECK_STATUS(ftf_log_verify(path, &ro, &rep), FTF_EBAD_RECORD);
    FT_CHECK_EQ_U64(rep.records, 2);
    FT_CHECK_EQ_U64(rep.bad_lines, 3);
}

/* The sample with 1 to 4 random edits (a bit flipped, a run zeroed, a cut,
 * junk inserted, a member duplicated) in buf (cap >= 2 * sample.len + 256).
 * Returns its length. */
static size_t damage_randomly(unsigned char *buf, size_t cap, uint64_t *seed) {
    size_t len = sample.len;
    memcpy(buf, sample.buf, len);
    const int edits = 1 + (int)(ft_test_rand(seed) % 4);
    for (int e = 0; e < edits && len > 0; e++) {
        const size_t at = (size_t)(ft_test_rand(seed) % len);
        switch (ft_test_rand(seed) % 5) {
        case 0:
            buf[at] ^= (unsigned char)(1u << (ft_test_rand(seed) % 8));
            break;
        case 1: { /* zero a run */
            const size_t n = 1 + (size_t)(ft_test_rand(seed) % 64);
            memset(buf + at, 0, at + n <= len ? n : len - at);
            break;
        }
        case 2:
            len = at;
            break; /* cut */
        case 3: {  /* insert junk */
            const size_t n = 1 + (size_t)(ft_test_rand(seed) % 40);
            if (len + n > cap)
                break;
            memmove(buf + at + n, buf + at, len - at);
            for (size_t i = 0; i < n; i++)
                buf[at + i] = (unsigned char)ft_test_rand(seed);
            len += n;
            break;
        }
        default: { /* duplicate a member somewhere */
            const ftf_log_member_info_t *m = &sample.members.m[ft_test_rand(seed) % sample.members.n];
            if (len + m->size > cap)
                break;
            memmove(buf + at + m->size, buf + at, len - at);
            memcpy(buf + at, sample.buf + m->offset, (size_t)m->size);
            len += (size_t)m->size;
            break;
        }
        }
    }
    return len;
}

/* Random damage of several kinds at once (flips, zeroed runs, a cut, junk
 * inserted, a member duplicated): never a crash, and what comes back is a
 * subsequence of the original records, byte for byte. */
static void log_random_damage_returns_only_original_records(void) {
    FT_CHECK(make_sample(120, 600));
    uint64_t seed = 0x1234;
    const size_t cap = sample.len * 2 + 256;
    unsigned char *buf = malloc(cap);
    FT_CHECK(buf != NULL);
    for (int round = 0; round < 3000; round++) {
        const size_t len = damage_randomly(buf, cap, &seed);
        read_buffer(buf, len, NULL);
        FT_CHECK_MSG(!ro_out.mismatch, "round %d: a record differs from every original", round);
        FT_CHECK(ro_out.report.records == ro_out.n);
    }
    free(buf);
}

/* Everything the reports say, compared. */
static bool same_report(const ftf_log_report_t *a, const ftf_log_report_t *b) {
    return a->files == b->files && a->members == b->members && a->eof_members == b->eof_members &&
           a->foreign_members == b->foreign_members && a->text_files == b->text_files && a->records == b->records &&
           a->data_bytes == b->data_bytes && a->corrupt_members == b->corrupt_members &&
           a->corrupt_bytes == b->corrupt_bytes && a->corrupt_lines == b->corrupt_lines &&
           a->torn_tails == b->torn_tails && a->torn_bytes == b->torn_bytes && a->torn_lines == b->torn_lines &&
           a->junk_bytes == b->junk_bytes && a->missing_eof == b->missing_eof && a->long_lines == b->long_lines &&
           a->bad_lines == b->bad_lines && a->unterminated_lines == b->unterminated_lines &&
           a->io_errors == b->io_errors && a->first_damage == b->first_damage && a->first_status == b->first_status &&
           a->first_file == b->first_file && a->first_offset == b->first_offset &&
           strcmp(a->first_detail, b->first_detail) == 0;
}

/* Reads `data` seekably and sequentially (as from a pipe, in pieces of
 * varying size); true when both give the same records and the same report. */
static bool sequential_matches(const unsigned char *data, size_t len) {
    static readout_t seekable;
    read_buffer(data, len, NULL);
    seekable = ro_out;
    ftf_log_reader_options_t seq = FTF_LOG_READER_OPTIONS_INIT;
    seq.sequential = true;
    read_buffer(data, len, &seq);
    return !seekable.mismatch && !ro_out.mismatch && seekable.n == ro_out.n &&
           memcmp(seekable.got, ro_out.got, ro_out.n * sizeof ro_out.got[0]) == 0 &&
           same_report(&seekable.report, &ro_out.report);
}

/* A log read sequentially (a pipe, "-") loses and reports exactly what it
 * loses read through pread: cut at every offset, every byte flipped, random
 * damage. */
static void log_sequential_reading_matches_seekable(void) {
    FT_CHECK(make_sample(120, 600));
    for (size_t cut = 0; cut <= sample.len; cut++)
        FT_CHECK_MSG(sequential_matches(sample.buf, cut), "cut at %zu: %s", cut, ro_out.report.first_detail);
    unsigned char *buf = malloc(2 * sample.len + 256);
    FT_CHECK(buf != NULL);
    for (size_t at = 0; at < sample.len; at++) {
        memcpy(buf, sample.buf, sample.len);
        buf[at] ^= 0xff;
        FT_CHECK_MSG(sequential_matches(buf, sample.len), "byte %zu flipped: %s", at, ro_out.report.first_detail);
    }
    uint64_t seed = 0x5eed;
    for (int round = 0; round < 1000; round++) {
        const size_t len = damage_randomly(buf, 2 * sample.len + 256, &seed);
        FT_CHECK_MSG(sequential_matches(buf, len), "round %d: %s", round, ro_out.report.first_detail);
    }
    free(buf);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(log_truncated_at_every_offset_loses_only_torn_member),
        FT_CASE(log_flipped_bytes_skip_only_the_damaged_member),
        FT_CASE(log_damage_kinds_are_reported_by_name),
        FT_CASE(log_killed_writer_keeps_every_failure),
        FT_CASE(log_hostile_empty_and_not_gzip_files),
        FT_CASE(log_hostile_junk_appended_and_concatenated_logs),
        FT_CASE(log_hostile_plain_gzip_is_read_as_foreign),
        FT_CASE(log_hostile_huge_and_bad_lines_are_counted),
        FT_CASE(log_random_damage_returns_only_original_records),
        FT_CASE(log_sequential_reading_matches_seekable),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
