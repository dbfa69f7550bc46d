/* Helpers shared by the forensics tests: status checks that print reason
 * codes, and a private temporary directory removed at exit. Always-on checks
 * come from tests/ft_test.h. */
#ifndef FTF_TEST_H
#define FTF_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ft_test.h"
#include "ftf/status.h"

#define FTF_CHECK_STATUS(expr, want)                                                                                   \
    do {                                                                                                               \
        ftf_status ftf_got_ = (expr), ftf_want_ = (want);                                                              \
        if (ftf_got_ != ftf_want_) {                                                                                   \
            ft_test_fail(__FILE__, __LINE__, "%s: got %s, want %s", #expr, ftf_status_code(ftf_got_),                  \
                         ftf_status_code(ftf_want_));                                                                  \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

static char ftf_test_dir[64];

static inline void ftf_test_cleanup(void) {
    if (!ftf_test_dir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", ftf_test_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", ftf_test_dir);
}

/* A path `name` inside this test process's own directory (made on first use).
 * The returned text stays valid for the next seven calls. */
static inline const char *ftf_test_path(const char *name) {
    static char buf[8][192];
    static int next;
    if (!ftf_test_dir[0]) {
        snprintf(ftf_test_dir, sizeof ftf_test_dir, "/tmp/ftf_test_XXXXXX");
        if (!mkdtemp(ftf_test_dir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(ftf_test_cleanup);
    }
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", ftf_test_dir, name);
    return p;
}

/* The whole file (malloc'd), or NULL. */
static inline unsigned char *ftf_test_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* one byte more, a NUL, so tests may use string functions on text files */
    unsigned char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    *len = b ? (size_t)n : 0;
    return b;
}

/* Writes `len` bytes to `path`; true on success. */
static inline bool ftf_test_spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    const bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

#endif
