/* Atomic whole-file replacement (ftf/atomic_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "ftf/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const unsigned char *p, size_t left) {
    while (left) {
        const ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        p += k, left -= (size_t)k;
    }
    return 0;
}

/* fsync of the directory holding `path`, so the rename is durable. Filesystems
 * that cannot fsync a directory (EINVAL) are not an error: nothing more can be
 * done there. */
static int sync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash) {
        const size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (!(dir = malloc(n + 1)))
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    const int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS))
        rc = 0;
    const int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

ftf_status ftf_file_write_atomic(const char *path, const void *data, size_t len) {
    if (!path || !path[0] || (!data && len))
        return FTF_EINVALID_ARGUMENT;
    const size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return FTF_ENOMEM;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    ftf_status st = FTF_OK;
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(tmp);
        return FTF_EIO;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
        st = FTF_EIO;
    int saved = errno;
    if (close(fd) != 0 && st == FTF_OK)
        st = FTF_EIO, saved = errno;
    if (st == FTF_OK && rename(tmp, path) != 0)
        st = FTF_EIO, saved = errno;
    if (st != FTF_OK)
        unlink(tmp);
    else if (sync_parent_dir(path) != 0)
        st = FTF_EIO, saved = errno;
    free(tmp);
    errno = saved;
    return st;
}
