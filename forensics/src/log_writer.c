/* Log writer: BGZF-style gzip members of JSON lines (forensics/FORMAT.md).
 *
 * Records accumulate in `data` (the open member). Closing a member deflates it
 * in one call into `out`, which then holds the whole member (header, deflate
 * data, trailer), and writes it with one write(2): once that returns, a killed
 * process cannot lose the member (only a machine crash can, hence fsync for
 * failures: at once, or grouped per interval — ftf_log_sync_t).
 *
 * Events too large for a member are written with their bulky parts in side
 * artifacts (write_event_spilled), so a long backward or a large fuzz input
 * never costs its record, let alone later ones: only I/O errors of the log
 * itself are sticky. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ft/json_text.h"
#include "ftf/log.h"
#include "log_format.h"

_Static_assert(FTF_RECORD_MAX_LEN == FTF_LOG_MEMBER_DATA_MAX - 1,
               "a parsed record and its newline must fit one member, exactly");

struct ftf_log_writer {
    int fd;
    bool own_fd;
    char *name; /* for messages */
    ftf_log_writer_options_t opts;
    size_t member_data; /* resolved opts.member_data */

    z_stream zs; /* raw deflate at opts.level */
    bool zs_ready;
    z_stream zs_stored; /* raw deflate at level 0: the fallback for incompressible data */
    bool zs_stored_ready;

    uint8_t *data; /* open member's uncompressed bytes [0, data_len) */
    size_t data_len;
    uint8_t *out;      /* one whole member */
    uint64_t offset;   /* file offset of the open member */
    int64_t opened_ms; /* clock when the open member got its first record */

    ftf_buf_t line; /* a rendered event */

    /* GROUPED policy: a failure's member was written but not yet fsync'ed */
    bool sync_pending;
    bool synced_once;
    int64_t last_sync_ms;

    ftf_artifact_store_t *store; /* NULL: none (parts of oversized events are elided) */
    ftf_buf_t alt;               /* an oversized event re-rendered with parts spilled */
    ftf_buf_t bytes;             /* a decoded fuzz input */

    ftf_log_writer_stats_t stats;
    ftf_status failed;     /* sticky write error */
    ftf_status last_error; /* of errmsg */
    char errmsg[256];
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static ftf_status
fail(ftf_log_writer_t *w, ftf_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
    va_end(ap);
    w->last_error = st;
    return st;
}

static int64_t monotonic_ms(void *payload) {
    (void)payload;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const ftf_log_writer_t *w) {
    return w->opts.clock ? w->opts.clock(w->opts.clock_payload) : monotonic_ms(NULL);
}

static ftf_status write_all(ftf_log_writer_t *w, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->failed = fail(w, FTF_EIO, "write %s: %s", w->name, strerror(errno));
            return w->failed;
        }
        p += k;
        n -= (size_t)k;
        w->offset += (uint64_t)k;
        w->stats.bytes_out += (uint64_t)k;
    }
    return FTF_OK;
}

static ftf_status do_sync(ftf_log_writer_t *w) {
    w->stats.syncs++;
    /* whatever the policy, this fsync covers every member written so far */
    w->sync_pending = false;
    w->synced_once = true;
    w->last_sync_ms = now_ms(w);
    if (fsync(w->fd) == 0)
        return FTF_OK;
    /* pipes and some special files cannot be synced: nothing to make durable */
    if (errno == EINVAL || errno == EROFS || errno == ENOTSUP)
        return FTF_OK;
    w->failed = fail(w, FTF_EIO, "fsync %s: %s", w->name, strerror(errno));
    return w->failed;
}

/* GROUPED: the pending fsync, once the interval since the last one is over.
 * The first failure of a writer's life is synced at once. */
static ftf_status group_sync(ftf_log_writer_t *w) {
    if (!w->sync_pending || w->failed)
        return w->failed;
    if (w->synced_once && now_ms(w) - w->last_sync_ms < w->opts.sync_interval_ms)
        return FTF_OK;
    return do_sync(w);
}

/* The level-0 stream: stored blocks. Its hash table is never used, so the
 * smallest one keeps deflateReset cheap. */
static z_stream *stored_stream(ftf_log_writer_t *w) {
    if (!w->zs_stored_ready) {
        if (deflateInit2(&w->zs_stored, 0, Z_DEFLATED, -15, 1, Z_DEFAULT_STRATEGY) != Z_OK)
            return NULL;
        w->zs_stored_ready = true;
    }
    return &w->zs_stored;
}

/* Deflates data[0, len) into a whole member in w->out; returns its size, 0 on
 * an internal zlib failure. A member closed by a failure under store_below
 * bytes — typically a lone failure record — is stored, not compressed:
 * deflating one record from an empty window costs several times more than
 * rendering and writing it (a run where every scenario fails would write ~4x
 * slower) and only halves it, while records in full members compress ~15x.
 * Members closed otherwise (full, flush, timer) are rare enough to compress. */
static size_t build_member(ftf_log_writer_t *w, const uint8_t *data, size_t len, bool failure) {
    const size_t cap = FTF_LOG_MEMBER_SIZE_MAX - FTF__LOG_OVERHEAD;
    z_stream *zs = failure && len < w->opts.store_below ? stored_stream(w) : &w->zs;
    for (int attempt = 0; attempt < 2 && zs; attempt++) {
        if (deflateReset(zs) != Z_OK)
            return 0;
        zs->next_in = (Bytef *)(uintptr_t)data; /* zlib's API is not const-correct */
        zs->avail_in = (uInt)len;
        zs->next_out = w->out + FTF__LOG_HEADER_SIZE;
        zs->avail_out = (uInt)cap;
        if (deflate(zs, Z_FINISH) == Z_STREAM_END) {
            const size_t clen = (size_t)zs->total_out;
            const size_t size = clen + FTF__LOG_OVERHEAD;
            ftf__log_put_header(w->out, (uint32_t)size);
            ftf__log_put32(w->out + FTF__LOG_HEADER_SIZE + clen, (uint32_t)crc32(0L, data, (uInt)len));
            ftf__log_put32(w->out + FTF__LOG_HEADER_SIZE + clen + 4, (uint32_t)len);
            return size;
        }
        /* Incompressible data grew past BSIZE's 16 bits: stored blocks always
         * fit (FTF_LOG_MEMBER_DATA_MAX leaves room for their 5-byte headers). */
        zs = zs == &w->zs ? stored_stream(w) : NULL;
    }
    return 0;
}

/* Closes the open member: compress, write, maybe fsync. */
static ftf_status close_member(ftf_log_writer_t *w, bool failure) {
    if (w->failed)
        return w->failed;
    if (w->data_len == 0)
        return FTF_OK;
    const size_t size = build_member(w, w->data, w->data_len, failure);
    if (size == 0) {
        w->failed = fail(w, FTF_ENOMEM, "deflate %s: %s", w->name, w->zs.msg ? w->zs.msg : "zlib error");
        return w->failed;
    }
    ftf_status st = write_all(w, w->out, size);
    if (st)
        return st;
    w->stats.members++;
    w->stats.bytes_in += w->data_len;
    w->data_len = 0;
    if (w->opts.sync == FTF_LOG_SYNC_MEMBERS || (failure && w->opts.sync == FTF_LOG_SYNC_FAILURES))
        return do_sync(w);
    if (failure && w->opts.sync == FTF_LOG_SYNC_GROUPED) {
        w->sync_pending = true;
        return group_sync(w);
    }
    return FTF_OK;
}

/* The store for `opts`: artifact_dir if set ("" is none), else the log's
 * default store when the log has a path. */
static ftf_status open_store(const char *log_path, const ftf_log_writer_options_t *opts, ftf_artifact_store_t **out) {
    *out = NULL;
    if (opts->artifact_dir)
        return opts->artifact_dir[0] ? ftf_artifact_store_open(opts->artifact_dir, out) : FTF_OK;
    return log_path ? ftf_artifact_store_for_log(log_path, out) : FTF_OK;
}

static ftf_status writer_new(int fd, bool own_fd, const char *name, const char *log_path, uint64_t offset,
                             const ftf_log_writer_options_t *opts, ftf_log_writer_t **out) {
    ftf_log_writer_t *w = calloc(1, sizeof *w);
    if (!w) {
        if (own_fd)
            close(fd);
        return FTF_ENOMEM;
    }
    w->fd = fd;
    w->own_fd = own_fd;
    w->opts = *opts;
    w->member_data = opts->member_data ? opts->member_data : FTF_LOG_MEMBER_DATA_MAX;
    w->offset = offset;
    w->name = malloc(strlen(name) + 1);
    w->data = malloc(w->member_data);
    w->out = malloc(FTF_LOG_MEMBER_SIZE_MAX);
    if (!w->name || !w->data || !w->out) {
        ftf_log_writer_close(w);
        return FTF_ENOMEM;
    }
    memcpy(w->name, name, strlen(name) + 1);
    w->opts.artifact_dir = NULL; /* the caller's string is not kept: the store has its own copy */
    ftf_status st = open_store(log_path, opts, &w->store);
    if (st) {
        ftf_log_writer_close(w);
        return st;
    }
    if (deflateInit2(&w->zs, opts->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        ftf_log_writer_close(w);
        return FTF_ENOMEM;
    }
    w->zs_ready = true;
    *out = w;
    return FTF_OK;
}

static bool options_valid(const ftf_log_writer_options_t *o) {
    return o->level >= 0 && o->level <= 9 &&
           (o->member_data == 0 || (o->member_data >= 64 && o->member_data <= FTF_LOG_MEMBER_DATA_MAX)) &&
           o->max_age_ms >= 0 && o->sync_interval_ms >= 0 && o->store_below <= FTF_LOG_MEMBER_DATA_MAX &&
           (o->sync == FTF_LOG_SYNC_NONE || o->sync == FTF_LOG_SYNC_FAILURES || o->sync == FTF_LOG_SYNC_MEMBERS ||
            o->sync == FTF_LOG_SYNC_GROUPED);
}

ftf_status ftf_log_writer_open(const char *path, const ftf_log_writer_options_t *opts, ftf_log_writer_t **out) {
    static const ftf_log_writer_options_t defaults = FTF_LOG_WRITER_OPTIONS_INIT;
    if (!path || !out)
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!options_valid(opts))
        return FTF_EINVALID_ARGUMENT;
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (opts->append ? O_APPEND : O_TRUNC);
    int fd = open(path, flags, 0644);
    if (fd < 0)
        return FTF_EIO;
    uint64_t offset = 0;
    if (opts->append) {
        struct stat st;
        if (fstat(fd, &st) != 0) {
            close(fd);
            return FTF_EIO;
        }
        offset = (uint64_t)st.st_size;
    }
    return writer_new(fd, true, path, path, offset, opts, out);
}

ftf_status ftf_log_writer_open_fd(int fd, bool own_fd, const ftf_log_writer_options_t *opts, ftf_log_writer_t **out) {
    static const ftf_log_writer_options_t defaults = FTF_LOG_WRITER_OPTIONS_INIT;
    if (!out || fd < 0)
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!options_valid(opts))
        return FTF_EINVALID_ARGUMENT;
    off_t at = lseek(fd, 0, SEEK_CUR);
    char name[32];
    snprintf(name, sizeof name, "fd %d", fd);
    return writer_new(fd, own_fd, name, NULL, at < 0 ? 0 : (uint64_t)at, opts, out);
}

static ftf_status check_age(ftf_log_writer_t *w) {
    if (w->data_len > 0 && w->opts.max_age_ms > 0 && now_ms(w) - w->opened_ms >= w->opts.max_age_ms)
        return close_member(w, false);
    return FTF_OK;
}

ftf_status ftf_log_write_record(ftf_log_writer_t *w, const char *line, size_t len, bool is_failure,
                                ftf_log_pos_t *pos) {
    if (!w || !line)
        return FTF_EINVALID_ARGUMENT;
    if (w->failed)
        return w->failed;
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len == 0)
        return fail(w, FTF_EINVALID_ARGUMENT, "empty record");
    if (memchr(line, '\n', len))
        return fail(w, FTF_EINVALID_ARGUMENT, "record contains a newline");
    if (len + 1 > w->member_data)
        return fail(w, FTF_ELINE_TOO_LONG, "record of %zu bytes: a member holds at most %zu", len, w->member_data - 1);
    if (w->data_len + len + 1 > w->member_data) {
        ftf_status st = close_member(w, false);
        if (st)
            return st;
    }
    if (w->data_len == 0)
        w->opened_ms = now_ms(w);
    if (pos) {
        pos->member_offset = w->offset;
        pos->offset = w->data_len;
        pos->length = len;
    }
    memcpy(w->data + w->data_len, line, len);
    w->data[w->data_len + len] = '\n';
    w->data_len += len + 1;
    w->stats.records++;
    if (is_failure) {
        w->stats.failures++;
        return close_member(w, true);
    }
    ftf_status st = w->data_len == w->member_data ? close_member(w, false) : check_age(w);
    return st ? st : group_sync(w);
}

ftf_status ftf_log_writer_tick(ftf_log_writer_t *w) {
    if (!w)
        return FTF_EINVALID_ARGUMENT;
    if (w->failed)
        return w->failed;
    ftf_status st = check_age(w);
    return st ? st : group_sync(w);
}

ftf_status ftf_log_writer_flush(ftf_log_writer_t *w) {
    if (!w)
        return FTF_EINVALID_ARGUMENT;
    ftf_status st = close_member(w, false);
    return st ? st : group_sync(w);
}

ftf_status ftf_log_writer_sync(ftf_log_writer_t *w) {
    if (!w)
        return FTF_EINVALID_ARGUMENT;
    ftf_status st = close_member(w, false);
    return st ? st : do_sync(w);
}

uint64_t ftf_log_writer_offset(const ftf_log_writer_t *w) {
    return w ? w->offset : 0;
}

void ftf_log_writer_stats(const ftf_log_writer_t *w, ftf_log_writer_stats_t *out) {
    if (!out)
        return;
    if (!w) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = w->stats;
}

const char *ftf_log_writer_errmsg(const ftf_log_writer_t *w) {
    return w ? w->errmsg : "";
}

ftf_status ftf_log_writer_last_error(const ftf_log_writer_t *w) {
    return w ? w->last_error : FTF_EINVALID_ARGUMENT;
}

ftf_artifact_store_t *ftf_log_writer_artifacts(ftf_log_writer_t *w) {
    return w ? w->store : NULL;
}

ftf_status ftf_log_writer_close(ftf_log_writer_t *w) {
    if (!w)
        return FTF_OK;
    ftf_status st = w->failed;
    if (!st && w->zs_ready && w->out) {
        st = close_member(w, false);
        if (!st)
            st = write_all(w, ftf__log_eof_member, sizeof ftf__log_eof_member);
        if (!st && w->opts.sync != FTF_LOG_SYNC_NONE)
            st = do_sync(w);
    }
    if (w->own_fd && close(w->fd) != 0 && !st)
        st = FTF_EIO;
    if (w->zs_ready)
        deflateEnd(&w->zs);
    if (w->zs_stored_ready)
        deflateEnd(&w->zs_stored);
    ftf_buf_dispose(&w->line);
    ftf_buf_dispose(&w->alt);
    ftf_buf_dispose(&w->bytes);
    ftf_artifact_store_free(w->store);
    free(w->name);
    free(w->data);
    free(w->out);
    free(w);
    return st;
}

/* ---- events and the session sink ---------------------------------------- */

static bool is_failure_outcome(ftf_outcome_t o) {
    return o == FTF_OUTCOME_FAIL || o == FTF_OUTCOME_CRASH;
}

/* Longest caller string a cut record keeps (bytes, before escaping): with the
 * groups gone and four such strings at most, a cut record is a few KiB. */
#define CUT_MAX 128

/* The bulky parts of an event (spilled largest first), and the whole line as
 * the last resort. */
enum { PART_SCENARIO, PART_EXPECTED, PART_OBSERVED, PART_INPUT, PART_RECORD, PART_COUNT };
static const char *const part_names[PART_COUNT] = {"scenario", "expected", "observed", "input", "record"};

typedef struct spill {
    ftf_event_t e;     /* the event as it will be written */
    const char **refs; /* e.artifact_refs: the caller's, then ours */
    ftf_buf_t ref[PART_COUNT];
    ftf_buf_t stub[PART_COUNT]; /* what stands in for each part */
    char cut[4][CUT_MAX + 16];  /* cut strings of the last-resort record */
    bool elided;                /* a part was left out: a recording failure */
} spill_t;

/* Decodes the fuzz input (ftf_event_check has vetted its base64) into w->bytes:
 * the artifact holds the input itself, so its name is the input's SHA-1. */
static ftf_status b64_decode(ftf_log_writer_t *w, const char *s) {
    return ftf_base64_decode(s, strlen(s), &w->bytes);
}

/* `{"<key>":<value>,"part":"<part>","sha1":"<sha1>","bytes":<n>}`. */
static ftf_status make_stub(ftf_buf_t *stub, const char *key, const char *value, const char *part, const char *sha1,
                            size_t bytes) {
    char head[32], tail[160];
    const int hn = snprintf(head, sizeof head, "{\"%s\":", key);
    const int tn = snprintf(tail, sizeof tail, ",\"part\":\"%s\",\"sha1\":\"%s\",\"bytes\":%zu}", part, sha1, bytes);
    const size_t vn = ft_json_string(value, strlen(value), NULL, 0);
    stub->len = 0;
    if (hn < 0 || tn < 0 || ftf_buf_reserve(stub, (size_t)hn + vn + (size_t)tn) != FTF_OK)
        return FTF_ENOMEM;
    ftf_buf_append(stub, head, (size_t)hn);
    ft_json_string(value, strlen(value), stub->data + stub->len, vn + 1); /* valid UTF-8 whatever the path */
    stub->len += vn;
    return ftf_buf_append(stub, tail, (size_t)tn);
}

static ftf_status buf_set(ftf_buf_t *b, const char *a, const char *c) {
    b->len = 0;
    return ftf_buf_append(b, a, strlen(a)) || ftf_buf_append(b, c, strlen(c)) ? FTF_ENOMEM : FTF_OK;
}

/* Replaces part `k` (data[0 .. len)) of sp->e by a reference to an artifact
 * holding it — or, without a store or when the put fails, by the elided stub,
 * with the reason recorded. A `dry` run writes nothing and records nothing: it
 * makes a stand-in exactly as long as the real reference (a reference is the
 * store's prefix and a fixed-length name), so the caller learns how many parts
 * must go before writing any file. */
static ftf_status spill_part(ftf_log_writer_t *w, spill_t *sp, int k, const void *data, size_t len, bool dry) {
    char sha1[FTF_SHA1_HEX_SIZE];
    const char *ext = k == PART_INPUT ? "bin" : "json";
    ftf_status put = FTF_ELINE_TOO_LONG; /* what an elided part is counted as without a store */
    if (w->store && dry) {
        memset(sha1, '0', FTF_SHA1_HEX_SIZE - 1);
        sha1[FTF_SHA1_HEX_SIZE - 1] = '\0';
        char name[FTF_SHA1_HEX_SIZE + 8];
        snprintf(name, sizeof name, "%s.%s", sha1, ext);
        put = buf_set(&sp->ref[k], ftf_artifact_store_ref_prefix(w->store), name);
    } else if (w->store) {
        put = ftf_artifact_put(w->store, data, len, ext, &sp->ref[k], sha1);
    }
    if (put == FTF_ENOMEM)
        return put;
    ftf_buf_t *stub = &sp->stub[k];
    if (put == FTF_OK) {
        sp->refs[sp->e.artifact_ref_count++] = sp->ref[k].data;
        if (!dry)
            w->stats.artifacts++;
        if (k == PART_INPUT) /* the fuzz group names its input by input_ref */
            return buf_set(stub, sp->ref[k].data, "");
        return make_stub(stub, "ftf_artifact", sp->ref[k].data, part_names[k], sha1, len);
    }
    const char *why = w->store ? "artifact_write_failed" : "no_artifact_store";
    if (!dry) {
        sp->elided = true;
        if (w->store)
            fail(w, put, "seq %llu: %s of %zu bytes elided: %s", (unsigned long long)sp->e.seq, part_names[k], len,
                 ftf_artifact_store_errmsg(w->store));
        else
            fail(w, put, "seq %llu: %s of %zu bytes elided: record over %zu bytes and no artifact store",
                 (unsigned long long)sp->e.seq, part_names[k], len, w->member_data - 1);
    }
    if (k == PART_INPUT)
        return buf_set(stub, "ftf-elided:", why);
    if (dry) {
        memset(sha1, '0', FTF_SHA1_HEX_SIZE - 1);
        sha1[FTF_SHA1_HEX_SIZE - 1] = '\0';
    } else {
        ftf_sha1_hex(data, len, sha1); /* still identifies what was lost */
    }
    return make_stub(stub, "ftf_elided", why, part_names[k], sha1, len);
}

/* A copy of `s` cut to CUT_MAX bytes at a character boundary, marked as cut. */
static const char *cut(const char *s, char buf[CUT_MAX + 16]) {
    size_t n = strlen(s);
    if (n <= CUT_MAX)
        return s;
    n = CUT_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    memcpy(buf, s, n);
    memcpy(buf + n, "...(cut)", 9);
    return buf;
}

/* The parts of `ev` present, largest first; returns how many. */
static int bulky_parts(const ftf_event_t *ev, const char *text[PART_INPUT + 1], int order[PART_INPUT + 1]) {
    text[PART_SCENARIO] = ev->scenario;
    text[PART_EXPECTED] = ev->has_differential ? ev->differential.expected : NULL;
    text[PART_OBSERVED] = ev->has_differential ? ev->differential.observed : NULL;
    text[PART_INPUT] = ev->has_fuzz ? ev->fuzz.input_b64 : NULL;
    size_t size[PART_INPUT + 1];
    int n = 0;
    for (int k = 0; k <= PART_INPUT; k++) {
        if (!text[k])
            continue;
        size[k] = strlen(text[k]);
        int i = n++;
        for (; i > 0 && size[order[i - 1]] < size[k]; i--)
            order[i] = order[i - 1];
        order[i] = k;
    }
    return n;
}

/* Spills parts order[0 .. count) of `ev` into sp->e and renders it into
 * w->alt. */
static ftf_status spill_parts(ftf_log_writer_t *w, spill_t *sp, const ftf_event_t *ev, const char *const *text,
                              const int *order, int count, bool dry) {
    sp->e = *ev;
    sp->e.artifact_refs = sp->refs;
    for (int i = 0; i < count; i++) {
        const int k = order[i];
        const void *data = text[k];
        size_t len = strlen(text[k]);
        if (k == PART_INPUT) {
            if (b64_decode(w, text[k]) != FTF_OK)
                return FTF_ENOMEM;
            data = w->bytes.data;
            len = w->bytes.len;
        }
        ftf_status st = spill_part(w, sp, k, data, len, dry);
        if (st)
            return st;
        const char *stub = sp->stub[k].data;
        switch (k) {
        case PART_SCENARIO:
            sp->e.scenario = stub;
            break;
        case PART_EXPECTED:
            sp->e.differential.expected = stub;
            break;
        case PART_OBSERVED:
            sp->e.differential.observed = stub;
            break;
        default:
            sp->e.fuzz.input_b64 = NULL;
            sp->e.fuzz.input_ref = stub;
            break;
        }
    }
    w->alt.len = 0;
    return ftf_event_render_buf(&sp->e, &w->alt);
}

/* The last resort, for an event still too long with every bulky part spilled
 * (caller strings of many KiB): the whole original line (w->line) becomes one
 * artifact, and the record keeps the common fields, long strings cut, with the
 * artifact's stub as its scenario. Rendered into w->alt. */
static ftf_status spill_record(ftf_log_writer_t *w, spill_t *sp, const ftf_event_t *ev) {
    ftf_event_t *m = &sp->e;
    ftf_event_init(m);
    m->seq = ev->seq;
    m->run_id = ev->run_id;
    m->scenario_id = ev->scenario_id;
    m->mode = ev->mode;
    m->seed = ev->seed;
    m->env_fingerprint = ev->env_fingerprint;
    m->outcome = ev->outcome;
    m->reason_code = cut(ev->reason_code, sp->cut[0]);
    m->suite_id = cut(ev->suite_id, sp->cut[1]);
    m->packet_id = cut(ev->packet_id, sp->cut[2]);
    m->replay_command = cut(ev->replay_command, sp->cut[3]);
    m->artifact_refs = sp->refs; /* the caller's refs are in the artifact */
    m->artifact_ref_count = 0;
    ftf_status st = spill_part(w, sp, PART_RECORD, w->line.data, w->line.len, false);
    if (st)
        return st;
    m->scenario = sp->stub[PART_RECORD].data;
    w->alt.len = 0;
    return ftf_event_render_buf(m, &w->alt);
}

/* Writes `ev`, whose line (in w->line) is too long for a member. */
static ftf_status write_event_spilled(ftf_log_writer_t *w, const ftf_event_t *ev, bool failure, ftf_log_pos_t *pos) {
    const size_t limit = w->member_data - 1;
    spill_t sp;
    memset(&sp, 0, sizeof sp);
    const char *text[PART_INPUT + 1];
    int order[PART_INPUT + 1];
    const int nparts = bulky_parts(ev, text, order);
    ftf_status st = FTF_OK;
    if (ev->artifact_ref_count > SIZE_MAX / sizeof *sp.refs - PART_COUNT ||
        !(sp.refs = malloc((ev->artifact_ref_count + PART_COUNT) * sizeof *sp.refs))) {
        st = FTF_ENOMEM;
        goto done;
    }
    if (ev->artifact_ref_count)
        memcpy(sp.refs, ev->artifact_refs, ev->artifact_ref_count * sizeof *sp.refs);
    /* how many parts must go: found without writing, so no artifact is made
     * for a record that ends up as the last resort */
    int need = 0;
    bool fits = false;
    while (!fits && need < nparts) {
        need++;
        if ((st = spill_parts(w, &sp, ev, text, order, need, true)) != FTF_OK)
            goto done;
        fits = w->alt.len <= limit;
    }
    if (fits) {
        /* an elided stub is never longer than the reference it replaces */
        if ((st = spill_parts(w, &sp, ev, text, order, need, false)) != FTF_OK)
            goto done;
        fits = w->alt.len <= limit;
    }
    if (!fits) {
        sp.elided = false; /* what counts is the record written: the last resort */
        if ((st = spill_record(w, &sp, ev)) != FTF_OK)
            goto done;
        if (w->alt.len > limit) {
            st = fail(w, FTF_ELINE_TOO_LONG, "seq %llu: record of %zu bytes even cut: a member holds at most %zu",
                      (unsigned long long)ev->seq, w->alt.len, limit);
            goto done;
        }
    }
    st = ftf_log_write_record(w, w->alt.data, w->alt.len, failure, pos);
    if (!st) {
        if (sp.elided)
            w->stats.elided++;
        else
            w->stats.spilled++;
    }
done:
    if (st == FTF_ENOMEM)
        fail(w, st, "seq %llu: out of memory spilling a record of %zu bytes", (unsigned long long)ev->seq, w->line.len);
    free(sp.refs);
    for (int k = 0; k < PART_COUNT; k++) {
        ftf_buf_dispose(&sp.ref[k]);
        ftf_buf_dispose(&sp.stub[k]);
    }
    return st;
}

ftf_status ftf_log_write_event(ftf_log_writer_t *w, const ftf_event_t *ev, ftf_log_pos_t *pos) {
    if (!w || !ev)
        return FTF_EINVALID_ARGUMENT;
    if (w->failed)
        return w->failed;
    w->line.len = 0;
    ftf_status st = ftf_event_render_buf(ev, &w->line);
    if (st)
        return fail(w, st, "seq %llu: event does not render: %s", (unsigned long long)ev->seq, ftf_strerror(st));
    const bool failure = is_failure_outcome(ev->outcome);
    if (w->line.len < w->member_data)
        return ftf_log_write_record(w, w->line.data, w->line.len, failure, pos);
    return write_event_spilled(w, ev, failure, pos);
}

ftf_status ftf_log_write_run_header(ftf_log_writer_t *w, const ftf_run_header_t *h, ftf_log_pos_t *pos) {
    if (!w || !h)
        return FTF_EINVALID_ARGUMENT;
    if (w->failed)
        return w->failed;
    w->line.len = 0;
    ftf_status st = ftf_run_header_render_buf(h, &w->line);
    if (st)
        return fail(w, st, "run header does not render: %s", ftf_strerror(st));
    return ftf_log_write_record(w, w->line.data, w->line.len, false, pos);
}

void ftf_log_session_sink_init(ftf_log_session_sink_t *sink, ftf_log_writer_t *writer, const ftf_event_context_t *ctx) {
    if (!sink)
        return;
    memset(sink, 0, sizeof *sink);
    sink->writer = writer;
    if (ctx)
        sink->ctx = *ctx;
    ftf_event_storage_init(&sink->storage);
}

void ftf_log_session_sink_dispose(ftf_log_session_sink_t *sink) {
    if (sink)
        ftf_event_storage_dispose(&sink->storage);
}

ftf_status ftf_log_session_sink_status(const ftf_log_session_sink_t *sink) {
    if (!sink)
        return FTF_EINVALID_ARGUMENT;
    return sink->last_status;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
sink_problem(ftf_log_session_sink_t *sink, ftf_status st, const char *fmt, ...) {
    if (!sink->status)
        sink->status = st;
    sink->last_status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sink->last_error, sizeof sink->last_error, fmt, ap);
    va_end(ap);
}

void ftf_log_session_sink(const ft_evidence_t *entry, void *payload) {
    ftf_log_session_sink_t *sink = payload;
    if (!sink)
        return;
    const uint64_t seq = sink->next_seq++; /* taken even when dropped: the gap shows in the log */
    if (!entry || !sink->writer) {
        sink_problem(sink, FTF_EINVALID_ARGUMENT, "seq %llu dropped: %s", (unsigned long long)seq,
                     entry ? "the sink has no writer" : "no entry");
        sink->dropped++;
        return;
    }
    ftf_event_t ev;
    ftf_status st = ftf_event_from_evidence(entry, &sink->ctx, &ev, &sink->storage);
    if (st) {
        sink_problem(sink, st, "seq %llu dropped: ledger entry %llu makes no event: %s", (unsigned long long)seq,
                     (unsigned long long)entry->seq, ftf_strerror(st));
        sink->dropped++;
        return;
    }
    ev.seq = seq;
    ftf_log_writer_stats_t before, after;
    ftf_log_writer_stats(sink->writer, &before);
    st = ftf_log_write_event(sink->writer, &ev, NULL);
    if (st) {
        sink_problem(sink, st, "seq %llu dropped: %s", (unsigned long long)seq, ftf_log_writer_errmsg(sink->writer));
        sink->dropped++;
        return;
    }
    sink->written++;
    ftf_log_writer_stats(sink->writer, &after);
    if (after.elided != before.elided) {
        sink_problem(sink, ftf_log_writer_last_error(sink->writer), "%s", ftf_log_writer_errmsg(sink->writer));
        sink->degraded++;
    }
}
