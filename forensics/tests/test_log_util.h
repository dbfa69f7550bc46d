/* Helpers shared by the log tests (test_log.c, test_log_damage.c): temporary
 * files, sample records, whole-file reads. Always-on checks come from
 * ft_test.h. */
#ifndef FTF_TEST_LOG_UTIL_H
#define FTF_TEST_LOG_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftf/log.h"
#include "ftf_test.h"

/* ---- temporary files: one directory per test process, removed at exit ---- */

static char tl_dir[64];
static char tl_files[64][128];
static size_t tl_nfiles;

static inline void tl_cleanup(void) {
    for (size_t i = 0; i < tl_nfiles; i++)
        unlink(tl_files[i]);
    if (tl_dir[0])
        rmdir(tl_dir);
}

/* A path in the test's directory (same name, same path). */
static inline const char *tl_path(const char *name) {
    if (!tl_dir[0]) {
        snprintf(tl_dir, sizeof tl_dir, "/tmp/ftf_log_test_XXXXXX");
        if (!mkdtemp(tl_dir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(tl_cleanup);
    }
    for (size_t i = 0; i < tl_nfiles; i++) {
        const char *slash = strrchr(tl_files[i], '/');
        if (slash && strcmp(slash + 1, name) == 0)
            return tl_files[i];
    }
    if (tl_nfiles == sizeof tl_files / sizeof tl_files[0]) {
        fprintf(stderr, "tl_path: too many files\n");
        exit(2);
    }
    snprintf(tl_files[tl_nfiles], sizeof tl_files[0], "%s/%s", tl_dir, name);
    return tl_files[tl_nfiles++];
}

/* The sample record number `i`: a JSON object of varying length (a failure
 * when i % failure_every == 0, if failure_every). Returns its length. */
static inline size_t tl_record(char *buf, size_t cap, unsigned i, bool failure) {
    char pad[512];
    const size_t n = (i * 37u) % 300u;
    for (size_t k = 0; k < n; k++)
        pad[k] = (char)('a' + (i + k) % 26);
    pad[n] = '\0';
    int len = snprintf(buf, cap,
                       "{\"record\":\"event\",\"seq\":%u,\"scenario_id\":\"gen/%016x\",\"outcome\":\"%s\","
                       "\"pad\":\"%s\"}",
                       i, i * 2654435761u, failure ? "fail" : "pass", pad);
    return len < 0 ? 0 : (size_t)len;
}

/* The whole of `path` (malloc'ed; NULL on error). */
static inline unsigned char *tl_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static inline bool tl_spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* Members (and damaged regions) as the reader's on_member callback sees them. */
typedef struct {
    ftf_log_member_info_t m[4096];
    size_t n;
} tl_members_t;

static inline void tl_on_member(const ftf_log_member_info_t *m, void *payload) {
    tl_members_t *ms = payload;
    if (ms->n < sizeof ms->m / sizeof ms->m[0])
        ms->m[ms->n++] = *m;
}

#endif
