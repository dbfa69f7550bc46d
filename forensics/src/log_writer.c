/* Log writer: BGZF-style gzip members of JSON lines (forensics/FORMAT.md).
 *
 * Records accumulate in `data` (the open member). Closing a member deflates it
 * in one call into `out`, which then holds the whole member (header, deflate
 * data, trailer), and writes it with one write(2): once that returns, a killed
 * process cannot lose the member (only a machine crash can, hence fsync for
 * failures). */
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

    ftf_log_writer_stats_t stats;
    ftf_status failed; /* sticky write error */
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
    if (fsync(w->fd) == 0)
        return FTF_OK;
    /* pipes and some special files cannot be synced: nothing to make durable */
    if (errno == EINVAL || errno == EROFS || errno == ENOTSUP)
        return FTF_OK;
    w->failed = fail(w, FTF_EIO, "fsync %s: %s", w->name, strerror(errno));
    return w->failed;
}

/* Deflates data[0, len) into a whole member in w->out; returns its size, 0 on
 * an internal zlib failure. */
static size_t build_member(ftf_log_writer_t *w, const uint8_t *data, size_t len) {
    const size_t cap = FTF_LOG_MEMBER_SIZE_MAX - FTF__LOG_OVERHEAD;
    z_stream *zs = &w->zs;
    for (int attempt = 0; attempt < 2; attempt++) {
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
        if (!w->zs_stored_ready) {
            if (deflateInit2(&w->zs_stored, 0, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return 0;
            w->zs_stored_ready = true;
        }
        zs = &w->zs_stored;
    }
    return 0;
}

/* Closes the open member: compress, write, maybe fsync. */
static ftf_status close_member(ftf_log_writer_t *w, bool failure) {
    if (w->failed)
        return w->failed;
    if (w->data_len == 0)
        return FTF_OK;
    const size_t size = build_member(w, w->data, w->data_len);
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
    return FTF_OK;
}

static ftf_status writer_new(int fd, bool own_fd, const char *name, uint64_t offset,
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
           o->max_age_ms >= 0 &&
           (o->sync == FTF_LOG_SYNC_NONE || o->sync == FTF_LOG_SYNC_FAILURES || o->sync == FTF_LOG_SYNC_MEMBERS);
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
    return writer_new(fd, true, path, offset, opts, out);
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
    return writer_new(fd, own_fd, name, at < 0 ? 0 : (uint64_t)at, opts, out);
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
    if (w->data_len == w->member_data)
        return close_member(w, false);
    return check_age(w);
}

ftf_status ftf_log_writer_tick(ftf_log_writer_t *w) {
    if (!w)
        return FTF_EINVALID_ARGUMENT;
    return w->failed ? w->failed : check_age(w);
}

ftf_status ftf_log_writer_flush(ftf_log_writer_t *w) {
    if (!w)
        return FTF_EINVALID_ARGUMENT;
    return close_member(w, false);
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

static ftf_status write_rendered(ftf_log_writer_t *w, ftf_status rendered, bool failure, ftf_log_pos_t *pos) {
    if (rendered)
        return fail(w, rendered, "record does not render: %s", ftf_strerror(rendered));
    ftf_status st = ftf_log_write_record(w, w->line.data, w->line.len, failure, pos);
    w->line.len = 0;
    return st;
}

ftf_status ftf_log_write_event(ftf_log_writer_t *w, const ftf_event_t *ev, ftf_log_pos_t *pos) {
    if (!w || !ev)
        return FTF_EINVALID_ARGUMENT;
    if (w->failed)
        return w->failed;
    w->line.len = 0;
    return write_rendered(w, ftf_event_render_buf(ev, &w->line), is_failure_outcome(ev->outcome), pos);
}

ftf_status ftf_log_write_run_header(ftf_log_writer_t *w, const ftf_run_header_t *h, ftf_log_pos_t *pos) {
    if (!w || !h)
        return FTF_EINVALID_ARGUMENT;
    if (w->failed)
        return w->failed;
    w->line.len = 0;
    return write_rendered(w, ftf_run_header_render_buf(h, &w->line), false, pos);
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

void ftf_log_session_sink(const ft_evidence_t *entry, void *payload) {
    ftf_log_session_sink_t *sink = payload;
    if (!sink)
        return;
    if (sink->status || !entry || !sink->writer) {
        if (!sink->status)
            sink->status = FTF_EINVALID_ARGUMENT;
        sink->dropped++;
        return;
    }
    ftf_event_t ev;
    ftf_status st = ftf_event_from_evidence(entry, &sink->ctx, &ev, &sink->storage);
    if (!st) {
        ev.seq = sink->next_seq;
        st = ftf_log_write_event(sink->writer, &ev, NULL);
    }
    if (st) {
        sink->status = st;
        sink->dropped++;
        return;
    }
    sink->next_seq++;
    sink->written++;
}
