/* Side artifacts: a directory of content-addressed files (ftf/artifact.h,
 * forensics/FORMAT.md §2). */
#define _POSIX_C_SOURCE 200809L

#include "ftf/artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftf/atomic_file.h"

#define EXT_MAX 15

struct ftf_artifact_store {
    char *dir;    /* where files go */
    char *prefix; /* what a reference starts with */
    bool dir_ready;
    size_t written;
    ftf_buf_t path; /* scratch: dir/name */
    char errmsg[256];
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static ftf_status
fail(ftf_artifact_store_t *s, ftf_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    return st;
}

static char *concat(const char *a, size_t an, const char *b) {
    const size_t bn = strlen(b);
    char *p = malloc(an + bn + 1);
    if (p) {
        memcpy(p, a, an);
        memcpy(p + an, b, bn + 1);
    }
    return p;
}

static ftf_status store_new(char *dir, char *prefix, ftf_artifact_store_t **out) {
    ftf_artifact_store_t *s = dir && prefix ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        free(dir);
        free(prefix);
        return FTF_ENOMEM;
    }
    s->dir = dir;
    s->prefix = prefix;
    *out = s;
    return FTF_OK;
}

ftf_status ftf_artifact_store_for_log(const char *log_path, ftf_artifact_store_t **out) {
    if (!out)
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    if (!log_path || !log_path[0])
        return FTF_EINVALID_ARGUMENT;
    const char *slash = strrchr(log_path, '/');
    const char *base = slash ? slash + 1 : log_path;
    if (!base[0]) /* "dir/": no file name to put the directory beside */
        return FTF_EINVALID_ARGUMENT;
    /* relative to the log's directory, so the log and its artifacts can move together */
    return store_new(concat(log_path, strlen(log_path), ".artifacts"), concat(base, strlen(base), ".artifacts/"), out);
}

ftf_status ftf_artifact_store_open(const char *dir, ftf_artifact_store_t **out) {
    if (!out)
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    if (!dir || !dir[0])
        return FTF_EINVALID_ARGUMENT;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') /* "out/" and "out" are one directory */
        n--;
    return store_new(concat(dir, n, ""), concat(dir, n, n == 1 && dir[0] == '/' ? "" : "/"), out);
}

void ftf_artifact_store_free(ftf_artifact_store_t *s) {
    if (!s)
        return;
    free(s->dir);
    free(s->prefix);
    ftf_buf_dispose(&s->path);
    free(s);
}

const char *ftf_artifact_store_dir(const ftf_artifact_store_t *s) {
    return s ? s->dir : "";
}

const char *ftf_artifact_store_ref_prefix(const ftf_artifact_store_t *s) {
    return s ? s->prefix : "";
}

const char *ftf_artifact_store_errmsg(const ftf_artifact_store_t *s) {
    return s ? s->errmsg : "";
}

size_t ftf_artifact_store_written(const ftf_artifact_store_t *s) {
    return s ? s->written : 0;
}

/* fsync of the directory holding `path` (its last component), so a directory
 * just made survives a power loss together with the files put in it. */
static int sync_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char *parent = slash ? concat(path, slash == path ? 1 : (size_t)(slash - path), "") : NULL;
    if (slash && !parent)
        return -1;
    const int fd = open(parent ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(parent);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) /* cannot be synced: nothing more to do */
        rc = 0;
    const int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static ftf_status ensure_dir(ftf_artifact_store_t *s) {
    if (s->dir_ready)
        return FTF_OK;
    if (mkdir(s->dir, 0755) == 0) {
        if (sync_parent(s->dir) != 0)
            return fail(s, FTF_EIO, "fsync parent of %s: %s", s->dir, strerror(errno));
    } else {
        const int err = errno;
        struct stat sb;
        if (err != EEXIST || stat(s->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            errno = err == EEXIST ? ENOTDIR : err;
            return fail(s, FTF_EIO, "mkdir %s: %s", s->dir, strerror(errno));
        }
    }
    s->dir_ready = true;
    return FTF_OK;
}

static bool ext_valid(const char *ext) {
    size_t n = 0;
    for (; ext[n]; n++)
        if (!((ext[n] >= 'a' && ext[n] <= 'z') || (ext[n] >= '0' && ext[n] <= '9')) || n == EXT_MAX)
            return false;
    return n > 0;
}

static ftf_status buf_set(ftf_buf_t *b, const char *a, const char *c, const char *d) {
    b->len = 0;
    const char *parts[3] = {a, c, d};
    for (int i = 0; i < 3; i++)
        if (ftf_buf_append(b, parts[i], strlen(parts[i])) != FTF_OK)
            return FTF_ENOMEM;
    return FTF_OK;
}

ftf_status ftf_artifact_put(ftf_artifact_store_t *s, const void *data, size_t len, const char *ext, ftf_buf_t *ref,
                            char sha1_hex[FTF_SHA1_HEX_SIZE]) {
    if (!s || (!data && len) || !ext || !ext_valid(ext))
        return FTF_EINVALID_ARGUMENT;
    s->errmsg[0] = '\0';
    char name[FTF_SHA1_HEX_SIZE + 1 + EXT_MAX + 1];
    ftf_sha1_hex(data, len, name);
    if (sha1_hex)
        memcpy(sha1_hex, name, FTF_SHA1_HEX_SIZE);
    name[FTF_SHA1_HEX_SIZE - 1] = '.';
    memcpy(name + FTF_SHA1_HEX_SIZE, ext, strlen(ext) + 1);
    if (ref && buf_set(ref, s->prefix, name, "") != FTF_OK)
        return FTF_ENOMEM;
    if (buf_set(&s->path, s->dir, "/", name) != FTF_OK)
        return FTF_ENOMEM;
    ftf_status st = ensure_dir(s);
    if (st)
        return st;
    /* Content-addressed: a whole file of that name already holds these bytes
     * (files appear only by rename). A size mismatch means someone else's
     * damage: write it again. */
    struct stat sb;
    if (stat(s->path.data, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == (uint64_t)len)
        return FTF_OK;
    st = ftf_file_write_atomic(s->path.data, data, len);
    if (st == FTF_EIO)
        return fail(s, st, "write %s: %s", s->path.data, strerror(errno));
    if (st)
        return fail(s, st, "write %s: %s", s->path.data, ftf_strerror(st));
    s->written++;
    return FTF_OK;
}

bool ftf_artifact_ref_valid(const char *ref) {
    if (!ref || !ref[0])
        return false;
    const char *name = strrchr(ref, '/');
    name = name ? name + 1 : ref;
    for (int i = 0; i < FTF_SHA1_HEX_SIZE - 1; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return false;
    if (name[FTF_SHA1_HEX_SIZE - 1] != '.' || !ext_valid(name + FTF_SHA1_HEX_SIZE))
        return false;
    /* no component may climb out of, or stand for, a directory it names */
    for (const char *c = ref; *c;) {
        const char *end = strchr(c, '/');
        const size_t n = end ? (size_t)(end - c) : strlen(c);
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n + (end != NULL);
    }
    return true;
}

ftf_status ftf_artifact_read(const char *log_path, const char *ref, char **data, size_t *len) {
    if (!log_path || !data || !len)
        return FTF_EINVALID_ARGUMENT;
    *data = NULL;
    *len = 0;
    if (!ftf_artifact_ref_valid(ref))
        return FTF_EINVALID_ARGUMENT;
    const char *slash = strrchr(log_path, '/');
    char *path =
        ref[0] == '/' || !slash ? concat(ref, strlen(ref), "") : concat(log_path, (size_t)(slash - log_path + 1), ref);
    if (!path)
        return FTF_ENOMEM;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return errno == ENOENT ? FTF_ENOT_FOUND : FTF_EIO;
    ftf_status st = FTF_OK;
    struct stat sb;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = FTF_EIO;
    else if ((uint64_t)sb.st_size >= SIZE_MAX || !(buf = malloc((size_t)sb.st_size + 1)))
        st = FTF_ENOMEM;
    while (!st && n < (size_t)sb.st_size) {
        const ssize_t k = read(fd, buf + n, (size_t)sb.st_size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) /* shorter than it was a moment ago: not what was named either */
            st = k == 0 ? FTF_ECORRUPT : FTF_EIO;
        else
            n += (size_t)k;
    }
    close(fd);
    if (!st) {
        buf[n] = '\0';
        char sha1[FTF_SHA1_HEX_SIZE];
        ftf_sha1_hex(buf, n, sha1);
        const char *name = strrchr(ref, '/');
        if (memcmp(sha1, name ? name + 1 : ref, FTF_SHA1_HEX_SIZE - 1) != 0)
            st = FTF_ECORRUPT;
    }
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return FTF_OK;
}
