/* ft-bench — what libft's dispatcher costs per call, next to calling the kernel
 * directly. Prints one JSON object per line on stdout (see bench/README.md).
 *
 * Method: every benchmark is calibrated so one sample takes --sample-ms (30 ms by
 * default); then `samples` rounds run every benchmark once each, round-robin with
 * a rotating start, so machine drift hits all benchmarks alike. Each result is
 * the median (and p10/p90/min) of the per-sample ns/op; dispatch benchmarks are
 * also compared with the direct_call baseline.
 *
 * Dead-code elimination is defeated the same way for every benchmark: inputs rotate
 * through small arrays (index i & mask), results and statuses are accumulated and
 * written to volatile globals, and the baseline calls the kernel through a
 * function pointer read from a volatile object — an indirect call, exactly like
 * the dispatcher's reg->fn(...). libc + libm only. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/ft.h"

#ifndef FT_BENCH_BUILD_TYPE
#define FT_BENCH_BUILD_TYPE ""
#endif

#if defined(__clang__)
#define BENCH_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define BENCH_COMPILER "gcc " __VERSION__
#else
#define BENCH_COMPILER "unknown"
#endif

#if defined(__OPTIMIZE__)
#define BENCH_OPTIMIZED "true"
#else
#define BENCH_OPTIMIZED "false"
#endif

enum {
    NVAR = 16, /* operand pairs; power of two */
    VMASK = NVAR - 1,
    NPRIO = 8, /* keysets for highest_priority_type_id; power of two */
    PMASK = NPRIO - 1,
    NTEXT = 4, /* texts per parse benchmark; power of two */
    TMASK = NTEXT - 1,
    DEFAULT_SAMPLES = 21,
    QUICK_SAMPLES = 5
};

#define DEFAULT_SAMPLE_MS 30.0
#define QUICK_SAMPLE_MS 2.0

/* Escapes: nothing the loops compute can be proven unused. */
static volatile double g_sink_d;
static volatile uint64_t g_sink_u;
/* The baseline's kernel pointer, read through a volatile lvalue so the compiler
 * cannot see (and inline) the target. */
static ft_kernel_fn volatile g_direct_fn;

/* Everything the loops touch, built and checked once before any timing. */
static struct {
    ft_registry_t *reg;
    const ft_op_t *add, *rsub, *sqdiff;
    ft_dispatch_ctx_t strict, hardened;
    ft_scalar_t a[NVAR], b[NVAR];   /* f64 CPU, requires_grad false */
    ft_scalar_t ga[NVAR], gb[NVAR]; /* same values, requires_grad true */
    ft_keyset_t cpu_raw;            /* CPU | ADInplaceOrView | BackendSelect */
    ft_keyset_t prio[NPRIO];
    ft_key_t prio_expected[NPRIO];
    char hex[NTEXT][19];
    size_t hex_len[NTEXT];
    ft_keyset_t hex_expected[NTEXT];
    char repr[NTEXT][256];
    size_t repr_len[NTEXT];
    ft_keyset_t repr_expected[NTEXT];
} F;

/* --- the benchmarks: each runs n iterations, returns the OR of all statuses -- */

static int run_highest_priority_type_id(uint64_t n) {
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++)
        acc += (uint64_t)ft_keyset_highest_priority_type_id(F.prio[i & PMASK]);
    g_sink_u = acc;
    return 0;
}

static int run_keyset_parse_hex(uint64_t n) {
    uint64_t acc = 0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        ft_keyset_t ks = {0};
        st |= ft_keyset_parse(F.hex[i & TMASK], F.hex_len[i & TMASK], &ks, NULL);
        acc += ks.repr;
    }
    g_sink_u = acc;
    return st;
}

static int run_keyset_parse_repr(uint64_t n) {
    uint64_t acc = 0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        ft_keyset_t ks = {0};
        st |= ft_keyset_parse(F.repr[i & TMASK], F.repr_len[i & TMASK], &ks, NULL);
        acc += ks.repr;
    }
    g_sink_u = acc;
    return st;
}

static int run_direct_call(uint64_t n) {
    const ft_kernel_fn fn = g_direct_fn;
    ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    double acc = 0.0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        st |= fn(NULL, &F.a[i & VMASK], &F.b[i & VMASK], &out);
        acc += out.value;
    }
    g_sink_d = acc;
    return st;
}

/* One loop shape for every ft_dispatch_binary benchmark. */
#define DISPATCH_LOOP(ctx, op, lhs, rhs, decision)                                                              \
    do {                                                                                                        \
        ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);                                           \
        double acc = 0.0;                                                                                       \
        int st = 0;                                                                                             \
        for (uint64_t i = 0; i < n; i++) {                                                                      \
            st |= ft_dispatch_binary((ctx), (op), &(lhs)[i & VMASK], &(rhs)[i & VMASK], &out, (decision));      \
            acc += out.value;                                                                                   \
        }                                                                                                       \
        g_sink_d = acc;                                                                                         \
        return st;                                                                                              \
    } while (0)

static int run_dispatch_cpu_strict(uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.strict, F.add, F.a, F.b, &d);
}

static int run_dispatch_cpu_strict_no_decision(uint64_t n) {
    DISPATCH_LOOP(&F.strict, F.add, F.a, F.b, NULL);
}

static int run_dispatch_autograd(uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.strict, F.add, F.ga, F.gb, &d);
}

static int run_dispatch_hardened_composite(uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.hardened, F.rsub, F.a, F.b, &d);
}

static int run_dispatch_hardened_composite_implicit(uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.hardened, F.sqdiff, F.a, F.b, &d);
}

static int run_dispatch_with_keyset_cpu(uint64_t n) {
    ft_decision_t d;
    ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    double acc = 0.0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        st |= ft_dispatch_binary_with_keyset(&F.strict, F.add, F.cpu_raw, &F.a[i & VMASK], &F.b[i & VMASK], &out,
                                             &d);
        acc += out.value;
    }
    g_sink_d = acc;
    return st;
}

typedef struct {
    const char *name;
    int (*run)(uint64_t n);
    bool dispatch; /* compared with direct_call */
} bench_t;

static const bench_t benches[] = {
    {"highest_priority_type_id", run_highest_priority_type_id, false},
    {"keyset_parse_hex", run_keyset_parse_hex, false},
    {"keyset_parse_repr", run_keyset_parse_repr, false},
    {"direct_call", run_direct_call, false},
    {"dispatch_cpu_strict", run_dispatch_cpu_strict, true},
    {"dispatch_cpu_strict_no_decision", run_dispatch_cpu_strict_no_decision, true},
    {"dispatch_autograd", run_dispatch_autograd, true},
    {"dispatch_hardened_composite", run_dispatch_hardened_composite, true},
    {"dispatch_hardened_composite_implicit", run_dispatch_hardened_composite_implicit, true},
    {"dispatch_with_keyset_cpu", run_dispatch_with_keyset_cpu, true},
};
#define NBENCH (sizeof benches / sizeof benches[0])
#define DIRECT_INDEX 3

/* --- setup and the one-time route checks ----------------------------------- */

static void die(const char *what, ft_status st) {
    fprintf(stderr, "ft-bench: %s: %s (%s)\n", what, ft_strerror(st), ft_status_code(st));
    exit(1);
}

static void must(ft_status st, const char *what) {
    if (st != FT_OK)
        die(what, st);
}

static void fail_route(const char *bench, const char *why, const ft_decision_t *d) {
    char msg[512];
    if (d)
        ft_decision_message(d, msg, sizeof msg);
    fprintf(stderr, "ft-bench: %s: %s%s%s\n", bench, why, d ? ": " : "", d ? msg : "");
    exit(1);
}

static ft_keyset_t keyset_of(const ft_key_t *keys, size_t count) {
    ft_keyset_t ks = ft_keyset_from_raw(0);
    for (size_t i = 0; i < count; i++)
        ks = ft_keyset_add(ks, keys[i]);
    return ks;
}

/* Runs one dispatch the way its benchmark will and checks status, value, kernel,
 * first hop and fallback flag, so a broken route is reported, never timed. */
static void check_dispatch(const char *bench, const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const ft_keyset_t *raw,
                           const ft_scalar_t *lhs, const ft_scalar_t *rhs, double want, const char *kernel,
                           ft_key_t first_hop, bool fallback) {
    ft_decision_t d;
    ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    ft_status st = raw ? ft_dispatch_binary_with_keyset(ctx, op, *raw, lhs, rhs, &out, &d)
                       : ft_dispatch_binary(ctx, op, lhs, rhs, &out, &d);
    if (st != FT_OK)
        fail_route(bench, "dispatch failed", &d);
    if (out.value != want)
        fail_route(bench, "wrong result", &d);
    if (!d.kernel || strcmp(d.kernel, kernel) != 0)
        fail_route(bench, "unexpected kernel", &d);
    if (d.hop_count == 0 || d.hops[0].key != first_hop)
        fail_route(bench, "unexpected first hop", &d);
    if (d.fallback_used != fallback)
        fail_route(bench, "unexpected fallback_used", &d);
    if (!raw) { /* the NULL-decision variant must agree */
        out.value = 0.0;
        if ((st = ft_dispatch_binary(ctx, op, lhs, rhs, &out, NULL)) != FT_OK)
            die(bench, st);
        if (out.value != want)
            fail_route(bench, "wrong result without a decision", NULL);
    }
}

static void setup(void) {
    must(ft_registry_new(&F.reg), "ft_registry_new");
    must(ft_registry_find(F.reg, "add", &F.add), "find add");
    must(ft_registry_find(F.reg, "rsub", &F.rsub), "find rsub");
    must(ft_registry_find(F.reg, "sqdiff", &F.sqdiff), "find sqdiff");
    ft_dispatch_ctx_init(&F.strict);
    ft_dispatch_ctx_init(&F.hardened);
    F.hardened.mode = FT_MODE_HARDENED;

    for (int i = 0; i < NVAR; i++) {
        const ft_scalar_t a = ft_scalar_make(1.0 + 0.25 * i, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        const ft_scalar_t b = ft_scalar_make(0.5 + 0.125 * i, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        F.a[i] = F.ga[i] = a;
        F.b[i] = F.gb[i] = b;
        F.ga[i].requires_grad = F.gb[i].requires_grad = true;
    }

    /* The baseline kernel comes from the table, as the dispatcher's would. */
    ft_table_entry_t e;
    must(ft_op_table_entry(F.add, FT_KEY_CPU, &e), "ft_op_table_entry(add, CPU)");
    if (!e.registration || !e.registration->fn) {
        fprintf(stderr, "ft-bench: add has no CPU kernel\n");
        exit(1);
    }
    g_direct_fn = e.registration->fn;

    const ft_key_t cpu_keys[] = {FT_KEY_CPU, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT};
    F.cpu_raw = keyset_of(cpu_keys, 3);

    /* Keysets a dispatch meets: operand unions with the default include set, and
     * the mid-walk sets left after fallthroughs and the autograd hop. */
    static const struct {
        ft_key_t keys[5];
        size_t n;
        ft_key_t want;
    } prio[NPRIO] = {
        {{FT_KEY_CPU, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT}, 3, FT_KEY_AD_INPLACE_OR_VIEW},
        {{FT_KEY_CPU, FT_KEY_AUTOGRAD_CPU, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT}, 4, FT_KEY_AUTOGRAD_CPU},
        {{FT_KEY_SPARSE_CUDA, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT}, 3, FT_KEY_AD_INPLACE_OR_VIEW},
        {{FT_KEY_CUDA, FT_KEY_AUTOGRAD_CUDA, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT}, 4,
         FT_KEY_AUTOGRAD_CUDA},
        {{FT_KEY_CPU, FT_KEY_BACKEND_SELECT}, 2, FT_KEY_BACKEND_SELECT},
        {{FT_KEY_CPU}, 1, FT_KEY_CPU},
        {{FT_KEY_SPARSE_CUDA}, 1, FT_KEY_SPARSE_CUDA},
        {{FT_KEY_QUANTIZED_CPU, FT_KEY_PYTHON, FT_KEY_AD_INPLACE_OR_VIEW}, 3, FT_KEY_AD_INPLACE_OR_VIEW},
    };
    for (int i = 0; i < NPRIO; i++) {
        F.prio[i] = keyset_of(prio[i].keys, prio[i].n);
        F.prio_expected[i] = prio[i].want;
        if (ft_keyset_highest_priority_type_id(F.prio[i]) != prio[i].want) {
            fprintf(stderr, "ft-bench: highest_priority_type_id: keyset %d answers %s, expected %s\n", i,
                    ft_key_name(ft_keyset_highest_priority_type_id(F.prio[i])), ft_key_name(prio[i].want));
            exit(1);
        }
    }

    /* Parse inputs are produced by the library's own formatters from real keysets
     * (0x804004001-style hex; torch's repr), then round-tripped once. */
    const ft_key_t txt[NTEXT][4] = {
        {FT_KEY_CPU, FT_KEY_BACKEND_SELECT, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_AUTOGRAD_CPU},
        {FT_KEY_CUDA, FT_KEY_BACKEND_SELECT, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_AUTOGRAD_CUDA},
        {FT_KEY_CPU, FT_KEY_BACKEND_SELECT, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_CPU},
        {FT_KEY_SPARSE_CPU, FT_KEY_BACKEND_SELECT, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_AUTOGRAD_CPU},
    };
    for (int i = 0; i < NTEXT; i++) {
        const ft_keyset_t ks = keyset_of(txt[i], 4);
        ft_keyset_t got;
        ft_parse_error_t err;
        ft_keyset_format_hex(ks, F.hex[i]);
        F.hex_len[i] = strlen(F.hex[i]);
        F.hex_expected[i] = ks;
        size_t len = ft_keyset_format(ks, F.repr[i], sizeof F.repr[i]);
        if (len >= sizeof F.repr[i]) {
            fprintf(stderr, "ft-bench: repr text too long\n");
            exit(1);
        }
        F.repr_len[i] = len;
        F.repr_expected[i] = ks;
        if (ft_keyset_parse(F.hex[i], F.hex_len[i], &got, &err) != FT_OK || got.repr != ks.repr) {
            fprintf(stderr, "ft-bench: keyset_parse_hex: \"%s\" does not round-trip: %s\n", F.hex[i], err.text);
            exit(1);
        }
        if (ft_keyset_parse(F.repr[i], F.repr_len[i], &got, &err) != FT_OK || got.repr != ks.repr) {
            fprintf(stderr, "ft-bench: keyset_parse_repr: \"%s\" does not round-trip: %s\n", F.repr[i], err.text);
            exit(1);
        }
    }

    for (int i = 0; i < NVAR; i++) {
        const double x = F.a[i].value, y = F.b[i].value;
        ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        must(g_direct_fn(NULL, &F.a[i], &F.b[i], &out), "direct_call");
        if (out.value != x + y)
            fail_route("direct_call", "wrong result", NULL);
        check_dispatch("dispatch_cpu_strict", &F.strict, F.add, NULL, &F.a[i], &F.b[i], x + y, "cpu::add_scalar",
                       FT_KEY_AD_INPLACE_OR_VIEW, false);
        check_dispatch("dispatch_autograd", &F.strict, F.add, NULL, &F.ga[i], &F.gb[i], x + y, "cpu::add_scalar",
                       FT_KEY_AUTOGRAD_CPU, false);
        check_dispatch("dispatch_hardened_composite", &F.hardened, F.rsub, NULL, &F.a[i], &F.b[i], y - x,
                       "composite_explicit::rsub", FT_KEY_AD_INPLACE_OR_VIEW, true);
        check_dispatch("dispatch_hardened_composite_implicit", &F.hardened, F.sqdiff, NULL, &F.a[i], &F.b[i],
                       (x - y) * (x - y), "composite_implicit::sqdiff", FT_KEY_AD_INPLACE_OR_VIEW, true);
        check_dispatch("dispatch_with_keyset_cpu", &F.strict, F.add, &F.cpu_raw, &F.a[i], &F.b[i], x + y,
                       "cpu::add_scalar", FT_KEY_AD_INPLACE_OR_VIEW, false);
    }
    /* And the benchmark functions themselves, once each. */
    for (size_t b = 0; b < NBENCH; b++) {
        if (benches[b].run(NVAR) != 0) {
            fprintf(stderr, "ft-bench: %s: a call returned an error\n", benches[b].name);
            exit(1);
        }
    }
}

/* --- timing and statistics -------------------------------------------------- */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* ns for n iterations; aborts if any call failed. */
static double time_run(const bench_t *b, uint64_t n) {
    const uint64_t t0 = now_ns();
    const int st = b->run(n);
    const uint64_t t1 = now_ns();
    if (st != 0) {
        fprintf(stderr, "ft-bench: %s: a call returned an error during timing\n", b->name);
        exit(1);
    }
    return (double)(t1 - t0);
}

/* Iterations for one sample of about target_ns (doubling warm-up, then scaled). */
static uint64_t calibrate(const bench_t *b, double target_ns) {
    uint64_t n = 64;
    for (;;) {
        const double dt = time_run(b, n);
        if (dt >= target_ns / 4 || n >= (UINT64_C(1) << 40)) {
            const double per = dt / (double)n;
            const double it = per > 0 ? target_ns / per : (double)n;
            return it < 1 ? 1 : (uint64_t)it;
        }
        n *= 2;
    }
}

static int cmp_double(const void *pa, const void *pb) {
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Linear-interpolated quantile of a sorted array. */
static double quantile(const double *sorted, size_t n, double q) {
    if (n == 1)
        return sorted[0];
    const double pos = q * (double)(n - 1);
    const size_t lo = (size_t)pos;
    const size_t hi = lo + 1 < n ? lo + 1 : lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - (double)lo);
}

static double median_of(const double *v, size_t n, double *scratch) {
    memcpy(scratch, v, n * sizeof *v);
    qsort(scratch, n, sizeof *scratch, cmp_double);
    return quantile(scratch, n, 0.5);
}

/* --- output ----------------------------------------------------------------- */

/* A JSON string literal (quotes, backslashes, control characters escaped,
 * trailing spaces trimmed — clang's version string ends with one). */
static void put_json_string(const char *s) {
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: ft-bench [--samples N] [--sample-ms MS] [--quick] [--filter TEXT] [--raw] [--list] [--help]\n"
            "\n"
            "Times libft's dispatcher against a direct call of the CPU add kernel and prints\n"
            "one JSON object per line on stdout: a \"_run\" header, then one line per benchmark\n"
            "{\"bench\",\"unit\":\"ns/op\",\"median\",\"p10\",\"p90\",\"min\",\"samples\",\"iters_per_sample\"},\n"
            "dispatch benchmarks adding \"overhead_vs_direct_ns\" (median - direct_call median),\n"
            "\"ratio_vs_direct\" and \"overhead_paired_ns\" (median of per-round differences).\n"
            "\n"
            "  --samples N     samples per benchmark, one per round-robin round (default %d)\n"
            "  --sample-ms MS  target duration of one sample in ms (default %.0f)\n"
            "  --quick         smoke run: %d samples of ~%.0f ms unless set explicitly (for CI)\n"
            "  --filter TEXT   only benchmarks whose name contains TEXT (direct_call always runs)\n"
            "  --raw           add \"raw\": every sample's ns/op, in round order\n"
            "  --list          print the benchmark names and exit\n"
            "  --help          this text\n"
            "\n"
            "Every route is run and checked once before timing; a failing call aborts with\n"
            "exit status 1. Usage errors exit with 2.\n",
            DEFAULT_SAMPLES, DEFAULT_SAMPLE_MS, QUICK_SAMPLES, QUICK_SAMPLE_MS);
}

static void usage_error(const char *fmt_arg, const char *what) {
    fprintf(stderr, "ft-bench: %s: %s\n", what, fmt_arg);
    usage(stderr);
    exit(2);
}

/* Value of "--opt V" or "--opt=V"; NULL if argv[*i] is not this option. */
static const char *option_value(int argc, char **argv, int *i, const char *opt) {
    const size_t n = strlen(opt);
    const char *arg = argv[*i];
    if (strncmp(arg, opt, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        usage_error(opt, "missing value for option");
    return argv[++*i];
}

int main(int argc, char **argv) {
    long samples = -1;
    double sample_ms = -1;
    bool quick = false;
    const char *filter = NULL;
    bool raw = false;

    for (int i = 1; i < argc; i++) {
        const char *v;
        char *end;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--raw") == 0) {
            raw = true;
        } else if (strcmp(argv[i], "--list") == 0) {
            for (size_t b = 0; b < NBENCH; b++)
                puts(benches[b].name);
            return 0;
        } else if ((v = option_value(argc, argv, &i, "--samples")) != NULL) {
            errno = 0;
            samples = strtol(v, &end, 10);
            if (errno || end == v || *end || samples < 1 || samples > 100000)
                usage_error(v, "--samples wants an integer 1..100000");
        } else if ((v = option_value(argc, argv, &i, "--sample-ms")) != NULL) {
            errno = 0;
            sample_ms = strtod(v, &end);
            if (errno || end == v || *end || !(sample_ms >= 0.01 && sample_ms <= 10000))
                usage_error(v, "--sample-ms wants a number 0.01..10000");
        } else if ((v = option_value(argc, argv, &i, "--filter")) != NULL) {
            filter = v;
        } else {
            usage_error(argv[i], "unknown option");
        }
    }
    if (samples < 0)
        samples = quick ? QUICK_SAMPLES : DEFAULT_SAMPLES;
    if (sample_ms < 0)
        sample_ms = quick ? QUICK_SAMPLE_MS : DEFAULT_SAMPLE_MS;

    bool enabled[NBENCH];
    size_t n_enabled = 0;
    for (size_t b = 0; b < NBENCH; b++) {
        enabled[b] = b == DIRECT_INDEX || !filter || strstr(benches[b].name, filter) != NULL;
        n_enabled += enabled[b];
    }

    setup();

    const size_t ns = (size_t)samples;
    double *res = calloc(NBENCH * ns, sizeof *res); /* res[b * ns + r]: ns/op */
    double *scratch = calloc(ns, sizeof *scratch);
    double *diff = calloc(ns, sizeof *diff);
    if (!res || !scratch || !diff) {
        fprintf(stderr, "ft-bench: out of memory\n");
        return 1;
    }

    const double target_ns = sample_ms * 1e6;
    uint64_t iters[NBENCH] = {0};
    for (size_t b = 0; b < NBENCH; b++)
        if (enabled[b])
            iters[b] = calibrate(&benches[b], target_ns);

    /* Round-robin: every round runs every benchmark once, starting one later each
     * round so no benchmark always follows the same neighbour. */
    for (size_t r = 0; r < ns; r++) {
        for (size_t k = 0; k < NBENCH; k++) {
            const size_t b = (k + r) % NBENCH;
            if (enabled[b])
                res[b * ns + r] = time_run(&benches[b], iters[b]) / (double)iters[b];
        }
    }

    printf("{\"bench\":\"_run\",\"tool\":\"ft-bench\",\"libft\":");
    put_json_string(ft_version());
    printf(",\"torch_model\":\"%s\",\"compiler\":", FT_TORCH_MODEL);
    put_json_string(BENCH_COMPILER);
    printf(",\"build\":");
    put_json_string(FT_BENCH_BUILD_TYPE[0] ? FT_BENCH_BUILD_TYPE : "unknown");
    printf(",\"optimized\":%s,\"clock\":\"CLOCK_MONOTONIC\",\"samples\":%zu,\"sample_ms\":%g,\"quick\":%s,"
           "\"benchmarks\":%zu}\n",
           BENCH_OPTIMIZED, ns, sample_ms, quick ? "true" : "false", n_enabled);

    const double *direct = &res[DIRECT_INDEX * ns];
    const double direct_median = median_of(direct, ns, scratch);
    for (size_t b = 0; b < NBENCH; b++) {
        if (!enabled[b])
            continue;
        const double *v = &res[b * ns];
        memcpy(scratch, v, ns * sizeof *v);
        qsort(scratch, ns, sizeof *scratch, cmp_double);
        const double median = quantile(scratch, ns, 0.5);
        printf("{\"bench\":\"%s\",\"unit\":\"ns/op\",\"median\":%.3f,\"p10\":%.3f,\"p90\":%.3f,\"min\":%.3f,"
               "\"samples\":%zu,\"iters_per_sample\":%llu",
               benches[b].name, median, quantile(scratch, ns, 0.1), quantile(scratch, ns, 0.9), scratch[0], ns,
               (unsigned long long)iters[b]);
        if (benches[b].dispatch) {
            for (size_t r = 0; r < ns; r++)
                diff[r] = v[r] - direct[r];
            printf(",\"overhead_vs_direct_ns\":%.3f,\"ratio_vs_direct\":%.3f,\"overhead_paired_ns\":%.3f",
                   median - direct_median, direct_median > 0 ? median / direct_median : 0.0,
                   median_of(diff, ns, scratch));
        }
        if (raw) {
            printf(",\"raw\":[");
            for (size_t r = 0; r < ns; r++)
                printf("%s%.3f", r ? "," : "", v[r]);
            putchar(']');
        }
        printf("}\n");
    }

    free(diff);
    free(scratch);
    free(res);
    ft_registry_free(F.reg);
    return fflush(stdout) == 0 ? 0 : 1;
}
