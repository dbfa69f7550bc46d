/* The plain replay driver: a main() for any fuzz target, with no fuzzing
 * engine, that any C compiler builds (gcc included). It runs
 * LLVMFuzzerTestOneInput once on each file given as an argument; a directory
 * runs every regular file below it (sorted by name, recursively; names
 * starting with '.' are skipped); no argument at all reads one input from
 * standard input. Arguments starting with '-' (libFuzzer options) are ignored,
 * so the same command line works with a libFuzzer binary. Each input is read
 * into a buffer of exactly its size, so a sanitizer build catches a read past
 * its end.
 *
 * Exit status: 0 when every input ran, 1 when an argument could not be read
 * (a violation aborts from inside the target: SIGABRT). The last line on
 * stderr says how many inputs ran. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_support.h"

static size_t runs;
static int failures;
static const char *prog = "fuzz";

static void complain(const char *path, const char *what) {
    fprintf(stderr, "%s: %s: %s: %s\n", prog, path, what, strerror(errno));
    failures++;
}

/* The whole of `fp` in a buffer of exactly its size (NULL on error). */
static uint8_t *slurp(FILE *fp, size_t *len) {
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        const size_t k = fread(buf + n, 1, cap - n, fp);
        n += k;
        if (k == 0)
            break;
        if (n == cap) {
            uint8_t *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                buf = NULL;
            }
            buf = p;
        }
    }
    if (!buf || ferror(fp)) {
        free(buf);
        return NULL;
    }
    uint8_t *exact = malloc(n ? n : 1); /* a sanitizer sees exactly the input */
    if (exact)
        memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

static void run_stream(FILE *fp, const char *name) {
    size_t len = 0;
    uint8_t *data = slurp(fp, &len);
    if (!data) {
        complain(name, "read");
        return;
    }
    ftfz_set_input_name(name);
    LLVMFuzzerTestOneInput(data, len);
    ftfz_set_input_name(NULL);
    free(data);
    runs++;
}

static void run_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        complain(path, "open");
        return;
    }
    run_stream(fp, path);
    fclose(fp);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path);

static void run_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        complain(path, "open directory");
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *p);
            if (!p)
                break;
            names = p;
        }
        const size_t len = strlen(path) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len)))
            break;
        snprintf(names[n++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        run_path(names[i]);
        free(names[i]);
    }
    free(names);
}

static void run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        complain(path, "stat");
        return;
    }
    if (S_ISDIR(st.st_mode))
        run_dir(path);
    else
        run_file(path);
}

int main(int argc, char **argv) {
    if (argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        prog = slash ? slash + 1 : argv[0];
    }
    int inputs = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            continue; /* an engine's option */
        inputs++;
        if (strcmp(argv[i], "-") == 0)
            run_stream(stdin, "<stdin>");
        else
            run_path(argv[i]);
    }
    if (inputs == 0)
        run_stream(stdin, "<stdin>");
    fprintf(stderr, "%s: %zu input(s) ran, %d could not be read (engine: %s)\n", prog, runs, failures,
            ftfz_engine_name());
    return failures ? 1 : 0;
}
