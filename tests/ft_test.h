/* A minimal test harness shared by every C test program in the tree.
 *
 * A test is a void function; checks stop the test at the first failure and say
 * where and why. A program lists its tests in an ft_test_case_t array and calls
 * ft_test_main, which runs the named tests (or all), prints one line per test and
 * exits non-zero if any failed or if a name is unknown. Checks are always on,
 * whatever NDEBUG says. */
#ifndef FT_TEST_H
#define FT_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    void (*fn)(void);
} ft_test_case_t;

/* One entry of a program's case list. CMake reads these lines to register each
 * case as its own ctest test, so the list here is the only list. */
#define FT_CASE(fn)                                                                                                    \
    { #fn, fn }

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
void ft_test_fail(const char *file, int line, const char *fmt, ...);
/* Runs the tests named on the command line (all without names). --list prints
 * the names. Returns the process exit code. */
int ft_test_main(int argc, char **argv, const ft_test_case_t *cases, size_t count);

#define FT_CHECK(cond)                                                                                                 \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            ft_test_fail(__FILE__, __LINE__, "check failed: %s", #cond);                                               \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

#define FT_CHECK_MSG(cond, ...)                                                                                        \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            ft_test_fail(__FILE__, __LINE__, __VA_ARGS__);                                                             \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

#define FT_CHECK_EQ_U64(a, b)                                                                                          \
    do {                                                                                                               \
        uint64_t ft_a_ = (uint64_t)(a), ft_b_ = (uint64_t)(b);                                                         \
        if (ft_a_ != ft_b_) {                                                                                          \
            ft_test_fail(__FILE__, __LINE__, "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a, #b, ft_a_, ft_b_);           \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

#define FT_CHECK_EQ_INT(a, b)                                                                                          \
    do {                                                                                                               \
        long long ft_a_ = (long long)(a), ft_b_ = (long long)(b);                                                      \
        if (ft_a_ != ft_b_) {                                                                                          \
            ft_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, ft_a_, ft_b_);                          \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

#define FT_CHECK_STR(a, b)                                                                                             \
    do {                                                                                                               \
        const char *ft_a_ = (a), *ft_b_ = (b);                                                                         \
        if (!ft_a_ || !ft_b_ || strcmp(ft_a_, ft_b_) != 0) {                                                           \
            ft_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, ft_a_ ? ft_a_ : "(null)",           \
                         ft_b_ ? ft_b_ : "(null)");                                                                    \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

/* Compares statuses by their reason codes, which read better in a failure. */
#define FT_CHECK_STATUS(expr, want)                                                                                    \
    do {                                                                                                               \
        ft_status ft_got_ = (expr), ft_want_ = (want);                                                                 \
        if (ft_got_ != ft_want_) {                                                                                     \
            ft_test_fail(__FILE__, __LINE__, "%s: got %s, want %s", #expr, ft_status_code(ft_got_),                    \
                         ft_status_code(ft_want_));                                                                    \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

/* splitmix64: the fixed-seed generator of every property test. */
static inline uint64_t ft_test_rand(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#endif
