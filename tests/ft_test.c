#include "ft_test.h"

#include <stdarg.h>

static bool current_failed;

void ft_test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    current_failed = true;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const ft_test_case_t *find(const ft_test_case_t *cases, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

static bool run(const ft_test_case_t *c) {
    current_failed = false;
    c->fn();
    printf("%s %s\n", current_failed ? "FAIL" : "ok  ", c->name);
    fflush(stdout);
    return !current_failed;
}

int ft_test_main(int argc, char **argv, const ft_test_case_t *cases, size_t count) {
    size_t failed = 0, ran = 0;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < count; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc == 1) {
        for (size_t i = 0; i < count; i++, ran++)
            failed += !run(&cases[i]);
    } else {
        for (int a = 1; a < argc; a++, ran++) {
            const ft_test_case_t *c = find(cases, count, argv[a]);
            if (!c) {
                fprintf(stderr, "unknown test: %s\n", argv[a]);
                failed++;
                continue;
            }
            failed += !run(c);
        }
    }
    printf("%zu passed, %zu failed\n", ran - failed, failed);
    return failed ? 1 : 0;
}
