/* ft-scale-bench — how libft's cost grows with the work (SPEC §13: "measure
 * growth, not only one size"). Prints one JSON object per line on stdout (see
 * bench/README.md, "Scaling").
 *
 * Each time case runs at n = min_n, 2 min_n, 4 min_n, ... up to max_n (1,000 to
 * 1,024,000 by default), `reps` rounds over all sizes, each repetition in a fresh forked
 * child (a fresh heap: no size inherits memory an earlier one faulted in and
 * freed; only the measured part is timed), and reports the median. The growth
 * exponent of a case
 * is the least-squares slope of log(median time) over log(n): 1 is linear, 2
 * quadratic. The cases:
 *
 *   program_ops         a session program of n ops (add, mul, sub, div through
 *                       ft_session_call_op, chained) and one backward through it
 *   session_calls       n ft_session_call("add") by name: session length
 *   session_calls_sink  the same with FT_LEDGER_SINK_ONLY and a sink (the tape
 *                       cleared every 1,024 calls)
 *   backward_leaves_chain     backward of acc = acc + x_i over n leaves (the
 *                             leaves reach backward newest first)
 *   backward_leaves_shuffled  the same with the leaves used in a random order
 *   register_ops        registering n operators (CPU kernel + Autograd) into a
 *                       registry
 *   lookup_registered   n ft_session_call by name on a registry holding n
 *                       operators (16 of them called, spread over the registry,
 *                       the last registered included)
 *
 * Memory cases run first, each in a forked child (a fresh heap): bytes per kept
 * ledger entry (FT_LEDGER_KEEP_ALL, from the growth of the resident set), the
 * resident set over 10,000,000 calls with FT_LEDGER_SINK_ONLY and with
 * FT_LEDGER_KEEP_LAST, and the 1,000,000-call default session (time, peak RSS).
 *
 * POSIX (fork, /proc/self/statm on Linux); libft itself stays libc + libm. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "ft/ft.h"

#ifndef FT_BENCH_BUILD_TYPE
#define FT_BENCH_BUILD_TYPE ""
#endif

enum { MAX_SIZES = 32, MAX_REPS = 101, WORKING_SET = 16, CLEAR_EVERY = 1024, NAME_LEN = 32 };

typedef struct {
    size_t min_n, max_n;
    int reps, registry_reps;
    size_t sink_calls, memory_calls;
    const char *filter;
    bool memory, check, warm;
} config_t;

static void die(const char *what, ft_status st) {
    fprintf(stderr, "ft-scale-bench: %s: %s\n", what, ft_status_code(st));
    exit(1);
}

#define TRY(what, call)                                                                                                \
    do {                                                                                                               \
        const ft_status st_ = (call);                                                                                  \
        if (st_ != FT_OK)                                                                                              \
            die(what, st_);                                                                                            \
    } while (0)

static void check(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "ft-scale-bench: check failed: %s\n", what);
        exit(1);
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "ft-scale-bench: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

/* Current resident set in bytes (Linux /proc/self/statm), 0 if unknown. */
static size_t rss_now(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    const int got = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return got == 2 ? (size_t)resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

static long maxrss_kib(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static double min_of(const double *v, int n) {
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static uint64_t rng_next(uint64_t *s) { /* splitmix64: a fixed, seeded permutation */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* --- the workloads (each returns the seconds of its measured part) --------- */

static const ft_registry_t *shared_registry;
static volatile double sink_hole;

static void counting_sink(const ft_evidence_t *e, void *payload) {
    uint64_t *next = payload;
    check(e->seq == *next, "sink sees every entry in order");
    (*next)++;
    sink_hole = e->kind == FT_EVIDENCE_DISPATCH && e->decision ? (double)e->decision->hop_count : 0;
}

static double run_program(size_t n) {
    static const char *const names[4] = {"add", "mul", "sub", "div"};
    const ft_op_t *ops[4];
    for (int i = 0; i < 4; i++)
        TRY("find", ft_registry_find(shared_registry, names[i], &ops[i]));
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    o.registry = shared_registry;
    const double t0 = bench_now_s();
    ft_session_t *s;
    TRY("session", ft_session_new(&o, &s));
    ft_var_t x, y, acc;
    TRY("leaf", ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x));
    TRY("leaf", ft_session_leaf(s, 3, FT_DTYPE_F64, true, &y));
    acc = x;
    for (size_t i = 0; i < n; i++)
        TRY("call_op", ft_session_call_op(s, ops[i & 3], acc, (i & 1) ? y : x, &acc));
    TRY("backward", ft_session_backward(s, acc, false, NULL));
    double g;
    bool defined;
    TRY("grad", ft_session_grad(s, x, &g, &defined));
    const size_t entries = ft_session_evidence_count(s);
    ft_session_free(s);
    const double t = bench_now_s() - t0;
    check(defined && isfinite(g) && entries == n + 1, "program gradients and ledger");
    sink_hole = g;
    return t;
}

static double run_session_calls(size_t n, bool sink_only) {
    uint64_t seen = 0;
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    o.registry = shared_registry;
    if (sink_only) {
        o.ledger = FT_LEDGER_SINK_ONLY;
        o.sink = counting_sink;
        o.sink_payload = &seen;
    }
    ft_session_t *s;
    TRY("session", ft_session_new(&o, &s));
    ft_var_t x = 0, y = 0, z;
    const double t0 = bench_now_s();
    for (size_t i = 0; i < n; i++) {
        if (i % CLEAR_EVERY == 0) {
            if (sink_only)
                TRY("clear", ft_session_clear_tape(s));
            if (sink_only || i == 0) {
                TRY("leaf", ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x));
                TRY("leaf", ft_session_leaf(s, 3, FT_DTYPE_F64, true, &y));
            }
        }
        TRY("call", ft_session_call(s, "add", x, y, &z));
    }
    const double t = bench_now_s() - t0;
    check(ft_session_evidence_count(s) == n && (!sink_only || seen == n), "every call is an entry");
    ft_session_free(s);
    return t;
}

static double run_backward_leaves(size_t n, bool shuffled) {
    const ft_op_t *add;
    TRY("find", ft_registry_find(shared_registry, "add", &add));
    ft_tape_t *tape;
    TRY("tape", ft_tape_new(&tape));
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ft_var_t *xs = xmalloc(n * sizeof *xs);
    for (size_t i = 0; i < n; i++) {
        const ft_scalar_t v = ft_scalar_make((double)i, FT_DTYPE_F64, FT_BACKEND_CPU, true);
        TRY("leaf", ft_tape_leaf(tape, &v, &xs[i]));
    }
    if (shuffled) {
        uint64_t seed = 42;
        for (size_t i = n - 1; i > 0; i--) {
            const size_t j = (size_t)(rng_next(&seed) % (i + 1));
            const ft_var_t t = xs[i];
            xs[i] = xs[j];
            xs[j] = t;
        }
    }
    ft_var_t acc = xs[0];
    for (size_t i = 1; i < n; i++)
        TRY("apply", ft_tape_apply(tape, &ctx, add, acc, xs[i], &acc, NULL));
    ft_backward_report_t rep;
    const double t0 = bench_now_s();
    TRY("backward", ft_tape_backward(tape, acc, NULL, &rep));
    const double t = bench_now_s() - t0;
    check(rep.leaf_count == n && rep.steps == n - 1 && rep.leaves[0] == 0 && rep.leaves[n - 1] == n - 1,
          "backward reaches every leaf, ascending");
    double g;
    bool defined;
    TRY("grad", ft_tape_grad(tape, xs[n / 2], &g, &defined));
    check(defined && g == 1, "d acc / d x_i = 1");
    free(xs);
    ft_tape_free(tape);
    return t;
}

static ft_status user_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                             ft_scalar_t *out) {
    (void)call;
    out->value = a->value + b->value;
    return FT_OK;
}

static ft_status user_backward(const ft_backward_args_t *args, double *ga, double *gb, void *payload) {
    (void)payload;
    *ga = args->grad;
    *gb = args->grad;
    return FT_OK;
}

/* One growing registry (one repetition): at each size, the cumulative time to
 * register that many operators (out[k]), then the time of n calls by name
 * (out[nsizes + k]). */
static void run_registry_rep(const size_t *sizes, int nsizes, double *out) {
    const size_t max_n = sizes[nsizes - 1];
    char *names = xmalloc(max_n * NAME_LEN);
    for (size_t i = 0; i < max_n; i++)
        snprintf(names + i * NAME_LEN, NAME_LEN, "user::op%zu", i);
    const ft_registration_t regs[2] = {{FT_KEY_CPU, "user::add_like", user_kernel, NULL, NULL},
                                       {FT_KEY_AUTOGRAD, "autograd::add_like", NULL, NULL, user_backward}};
    ft_registry_t *reg;
    TRY("registry", ft_registry_new(&reg));
    size_t done = 0;
    double spent = 0;
    for (int k = 0; k < nsizes; k++) {
        const double t0 = bench_now_s();
        for (; done < sizes[k]; done++)
            TRY("register", ft_registry_register(reg, names + done * NAME_LEN, regs, 2, NULL));
        spent += bench_now_s() - t0;
        out[k] = spent;

        const size_t n = sizes[k], stride = n / WORKING_SET;
        const char *called[WORKING_SET];
        for (int j = 0; j < WORKING_SET; j++)
            called[j] = names + ((size_t)(j + 1) * stride - 1) * NAME_LEN; /* j = 15: the last one */
        ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
        o.registry = reg;
        ft_session_t *s;
        TRY("session", ft_session_new(&o, &s));
        ft_var_t x, y, z;
        TRY("leaf", ft_session_leaf(s, 1, FT_DTYPE_F64, true, &x));
        TRY("leaf", ft_session_leaf(s, 2, FT_DTYPE_F64, true, &y));
        const double t1 = bench_now_s();
        for (size_t i = 0; i < n; i++)
            TRY("call", ft_session_call(s, called[i % WORKING_SET], x, y, &z));
        out[nsizes + k] = bench_now_s() - t1;
        const ft_evidence_t *last = ft_session_evidence_at(s, n - 1);
        check(last && last->decision && strcmp(last->decision->kernel, "user::add_like") == 0,
              "calls reach the user operators");
        ft_session_free(s);
    }
    check(ft_registry_op_count(reg) == 10 + max_n, "every operator registered");
    ft_registry_free(reg);
    free(names);
}

/* --- running a repetition in a fresh process -------------------------------- */

/* What one repetition runs: a case at one size, or the whole registry series. */
typedef struct {
    int kind; /* 0 program, 1 session calls, 2 backward leaves, 3 registry */
    bool flag;
    size_t n;
    const size_t *sizes;
    int nsizes;
} rep_t;

/* A child function of run_forked: arg is the rep_t. */
static void run_rep(const void *arg, double *out) {
    const rep_t *r = arg;
    switch (r->kind) {
    case 0:
        out[0] = run_program(r->n);
        break;
    case 1:
        out[0] = run_session_calls(r->n, r->flag);
        break;
    case 2:
        out[0] = run_backward_leaves(r->n, r->flag);
        break;
    default:
        run_registry_rep(r->sizes, r->nsizes, out);
    }
}

/* Runs child(arg) in a forked child process and waits for it. When nout > 0 the
 * child sends out[0..nout) back through a pipe (its writes to out are its own).
 * A child that cannot be started, fails, or sends too little ends this process
 * with "ft-scale-bench: <failed>". */
static void run_forked(void (*child)(const void *arg, double *out), const void *arg, double *out, size_t nout,
                       const char *failed) {
    int fd[2] = {-1, -1};
    if (nout && pipe(fd) != 0) {
        perror("ft-scale-bench: pipe");
        exit(1);
    }
    fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) {
        perror("ft-scale-bench: fork");
        exit(1);
    }
    if (pid == 0) {
        if (nout)
            close(fd[0]);
        child(arg, out);
        const char *p = (const char *)out;
        for (size_t left = nout * sizeof *out; left;) {
            const ssize_t w = write(fd[1], p, left);
            if (w <= 0)
                _exit(1);
            p += w, left -= (size_t)w;
        }
        _exit(0);
    }
    size_t left = nout * sizeof *out;
    if (nout) {
        close(fd[1]);
        char *p = (char *)out;
        while (left) {
            const ssize_t got = read(fd[0], p, left);
            if (got <= 0)
                break;
            p += got, left -= (size_t)got;
        }
        close(fd[0]);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || left) {
        fprintf(stderr, "ft-scale-bench: %s\n", failed);
        exit(1);
    }
}

/* Runs the repetition in a forked child, so every repetition starts from the
 * same fresh heap: memory that an earlier, larger repetition freed (and that
 * is already faulted in and cached) never makes a small size look cheap. With
 * warm (--warm) it runs in this process. */
static void measure(const rep_t *r, double *out, size_t nout, bool warm) {
    if (warm) {
        run_rep(r, out);
        return;
    }
    char failed[96];
    snprintf(failed, sizeof failed, "a repetition failed (case kind %d, n %zu)", r->kind, r->n);
    run_forked(run_rep, r, out, nout, failed);
}

/* --- reporting ------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *unit; /* what n counts */
    double med[MAX_SIZES], min[MAX_SIZES];
    double exponent, max_local;
} result_t;

static void summarize(result_t *res, const size_t *sizes, int nsizes, double (*t)[MAX_REPS], int reps) {
    for (int k = 0; k < nsizes; k++) {
        res->min[k] = min_of(t[k], reps);
        res->med[k] = bench_median(t[k], (size_t)reps);
        printf("{\"bench\":\"scale\",\"case\":\"%s\",\"n\":%zu,\"unit\":\"%s\",\"median_s\":%.6f,\"min_s\":%.6f,"
               "\"ns_per_unit\":%.1f,\"reps\":%d}\n",
               res->name, sizes[k], res->unit, res->med[k], res->min[k], res->med[k] * 1e9 / (double)sizes[k], reps);
    }
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int k = 0; k < nsizes; k++) {
        const double x = log((double)sizes[k]), y = log(res->med[k]);
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    res->exponent = (nsizes * sxy - sx * sy) / (nsizes * sxx - sx * sx);
    res->max_local = 0;
    printf("{\"bench\":\"scale_exponent\",\"case\":\"%s\",\"min_n\":%zu,\"max_n\":%zu,\"sizes\":%d,\"exponent\":%.3f,"
           "\"local\":[",
           res->name, sizes[0], sizes[nsizes - 1], nsizes, res->exponent);
    for (int k = 1; k < nsizes; k++) {
        const double e = log(res->med[k] / res->med[k - 1]) / log((double)sizes[k] / (double)sizes[k - 1]);
        res->max_local = k == 1 || e > res->max_local ? e : res->max_local;
        printf(k > 1 ? ",%.2f" : "%.2f", e);
    }
    printf("],\"max_local\":%.2f,\"gate\":1.2,\"ok\":%s}\n", res->max_local, res->exponent <= 1.2 ? "true" : "false");
    fflush(stdout);
}

static bool selected(const config_t *cfg, const char *name) {
    return !cfg->filter || strstr(name, cfg->filter);
}

/* --- memory cases (each in a fresh forked child) ---------------------------- */

typedef enum { MEM_KEEP_ALL, MEM_KEEP_LAST, MEM_SINK_ONLY, MEM_DEFAULT_SESSION } mem_case_t;

typedef struct {
    mem_case_t which;
    size_t calls;
} mem_job_t;

/* A child function of run_forked: arg is the mem_job_t; it prints its own line. */
static void memory_child(const void *arg, double *out) {
    (void)out;
    const mem_case_t which = ((const mem_job_t *)arg)->which;
    const size_t calls = ((const mem_job_t *)arg)->calls;
    static const char *const names[] = {"ledger_keep_all", "ledger_keep_last_1000", "ledger_sink_only",
                                        "session_default_1m_calls"};
    uint64_t seen = 0;
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    if (which == MEM_KEEP_LAST) {
        o.ledger = FT_LEDGER_KEEP_LAST;
        o.ledger_keep = 1000;
    } else if (which == MEM_SINK_ONLY) {
        o.ledger = FT_LEDGER_SINK_ONLY;
        o.sink = counting_sink;
        o.sink_payload = &seen;
    }
    ft_session_t *s;
    TRY("session", ft_session_new(&o, &s)); /* the shared built-in registry, as ft_session_new(NULL) */
    ft_var_t x = 0, y = 0, z;
    const bool clears = which != MEM_DEFAULT_SESSION;
    enum { SAMPLES = 10 };
    size_t samples[SAMPLES];
    int nsamples = 0;
    const size_t every = calls / SAMPLES ? calls / SAMPLES : 1;
    const size_t before = rss_now();
    const double t0 = bench_now_s();
    for (size_t i = 0; i < calls; i++) {
        if (i % CLEAR_EVERY == 0 && (clears || i == 0)) {
            TRY("clear", ft_session_clear_tape(s));
            TRY("leaf", ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x));
            TRY("leaf", ft_session_leaf(s, 3, FT_DTYPE_F64, true, &y));
        }
        TRY("call", ft_session_call(s, "add", x, y, &z));
        if ((i + 1) % every == 0 && nsamples < SAMPLES)
            samples[nsamples++] = rss_now();
    }
    const double t = bench_now_s() - t0;
    const size_t after = rss_now();
    check(ft_session_evidence_count(s) == calls && (which != MEM_SINK_ONLY || seen == calls), "every call counted");
    const size_t first = ft_session_evidence_first(s);
    printf("{\"bench\":\"memory\",\"case\":\"%s\",\"calls\":%zu,\"tape_cleared_every\":%d,\"seconds\":%.3f,"
           "\"ns_per_call\":%.1f,\"rss_before_bytes\":%zu,\"rss_after_bytes\":%zu,\"rss_growth_bytes\":%lld,"
           "\"bytes_per_call\":%.1f,\"kept_entries\":%zu,\"maxrss_kib\":%ld,\"rss_samples_mib\":[",
           names[which], calls, clears ? CLEAR_EVERY : 0, t, t * 1e9 / (double)calls, before, after,
           (long long)after - (long long)before, ((double)after - (double)before) / (double)calls, calls - first,
           maxrss_kib());
    for (int i = 0; i < nsamples; i++)
        printf(i ? ",%.1f" : "%.1f", (double)samples[i] / 1048576.0);
    printf("]}\n");
    fflush(stdout);
    ft_session_free(s);
}

static void memory_case(mem_case_t which, size_t calls) {
    const mem_job_t job = {which, calls};
    char failed[64];
    snprintf(failed, sizeof failed, "memory case %d failed", (int)which);
    run_forked(memory_child, &job, NULL, 0, failed);
}

/* --- main ------------------------------------------------------------------ */

static void usage(FILE *f) {
    fprintf(f, "usage: ft-scale-bench [--min-n N] [--max-n N] [--reps R] [--registry-reps R] [--sink-calls N]\n"
               "                      [--memory-calls N] [--filter TEXT] [--no-memory] [--warm] [--quick] [--check]\n"
               "  defaults: n from 1000 to 1024000 (doubling), 5 reps (3 for the registry cases),\n"
               "  10,000,000 calls for the sink-only and keep-last ledgers, 1,000,000 for keep-all and the\n"
               "  default session; --quick: n to 64000, 3 reps, 1,000,000 and 100,000 calls;\n"
               "  --warm: run repetitions in this process instead of a fresh forked child each;\n"
               "  --check: exit 1 when a growth exponent is above 1.2\n");
}

static size_t parse_size(const char *s) {
    char *end;
    const unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || v == 0) {
        fprintf(stderr, "ft-scale-bench: not a positive number: %s\n", s);
        usage(stderr);
        exit(2);
    }
    return (size_t)v;
}

int main(int argc, char **argv) {
    config_t cfg = {1000, 1024000, 5, 3, 10000000, 1000000, NULL, true, false, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0) {
            cfg.max_n = 64000, cfg.reps = 3, cfg.registry_reps = 3, cfg.sink_calls = 1000000;
            cfg.memory_calls = 100000;
        } else if (strcmp(a, "--no-memory") == 0) {
            cfg.memory = false;
        } else if (strcmp(a, "--check") == 0) {
            cfg.check = true;
        } else if (strcmp(a, "--warm") == 0) {
            cfg.warm = true;
        } else if (v && strcmp(a, "--min-n") == 0) {
            cfg.min_n = parse_size(argv[++i]);
        } else if (v && strcmp(a, "--max-n") == 0) {
            cfg.max_n = parse_size(argv[++i]);
        } else if (v && strcmp(a, "--reps") == 0) {
            cfg.reps = (int)parse_size(argv[++i]);
        } else if (v && strcmp(a, "--registry-reps") == 0) {
            cfg.registry_reps = (int)parse_size(argv[++i]);
        } else if (v && strcmp(a, "--sink-calls") == 0) {
            cfg.sink_calls = parse_size(argv[++i]);
        } else if (v && strcmp(a, "--memory-calls") == 0) {
            cfg.memory_calls = parse_size(argv[++i]);
        } else if (v && strcmp(a, "--filter") == 0) {
            cfg.filter = argv[++i];
        } else {
            fprintf(stderr, "ft-scale-bench: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (cfg.reps > MAX_REPS || cfg.registry_reps > MAX_REPS || cfg.min_n < WORKING_SET || cfg.max_n < cfg.min_n) {
        fprintf(stderr, "ft-scale-bench: reps at most %d, min-n at least %d, max-n at least min-n\n", MAX_REPS,
                WORKING_SET);
        return 2;
    }
    size_t sizes[MAX_SIZES];
    int nsizes = 0;
    for (size_t n = cfg.min_n; n <= cfg.max_n && nsizes < MAX_SIZES; n *= 2)
        sizes[nsizes++] = n;
    if (nsizes < 2) {
        fprintf(stderr, "ft-scale-bench: need at least two sizes (max-n >= 2 min-n)\n");
        return 2;
    }
    printf("{\"bench\":\"_run\",\"tool\":\"ft-scale-bench\",\"libft\":\"%s\",\"compiler\":\"%s\",\"build\":\"%s\","
           "\"min_n\":%zu,\"max_n\":%zu,\"sizes\":%d,\"reps\":%d,\"registry_reps\":%d,\"reps_in\":\"%s\","
           "\"gate\":1.2}\n",
           ft_version(), BENCH_COMPILER, FT_BENCH_BUILD_TYPE, sizes[0], sizes[nsizes - 1], nsizes, cfg.reps,
           cfg.registry_reps, cfg.warm ? "this process" : "a forked child each");
    fflush(stdout);

    if (cfg.memory && selected(&cfg, "memory")) {
        memory_case(MEM_KEEP_ALL, cfg.memory_calls);
        memory_case(MEM_KEEP_LAST, cfg.sink_calls);
        memory_case(MEM_SINK_ONLY, cfg.sink_calls);
        memory_case(MEM_DEFAULT_SESSION, cfg.memory_calls);
    }

    ft_registry_t *reg;
    TRY("registry", ft_registry_new(&reg));
    shared_registry = reg;
    static double t[MAX_SIZES][MAX_REPS], t2[MAX_SIZES][MAX_REPS];
    result_t results[8];
    int nres = 0;
    static const struct {
        const char *name, *unit;
        int kind;
        bool flag;
    } cases[] = {
        {"program_ops", "ops", 0, false},
        {"session_calls", "calls", 1, false},
        {"session_calls_sink", "calls", 1, true},
        {"backward_leaves_chain", "leaves", 2, false},
        {"backward_leaves_shuffled", "leaves", 2, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (!selected(&cfg, cases[c].name))
            continue;
        /* rounds outermost: a burst of load from elsewhere spoils one round of
         * every size, which the median drops, not every repetition of one size */
        for (int r = 0; r < cfg.reps; r++) {
            for (int k = 0; k < nsizes; k++) {
                const rep_t one = {cases[c].kind, cases[c].flag, sizes[k], sizes, nsizes};
                measure(&one, &t[k][r], 1, cfg.warm);
            }
        }
        result_t *res = &results[nres++];
        res->name = cases[c].name;
        res->unit = cases[c].unit;
        summarize(res, sizes, nsizes, t, cfg.reps);
    }
    if (selected(&cfg, "register_ops") || selected(&cfg, "lookup_registered")) {
        for (int r = 0; r < cfg.registry_reps; r++) {
            const rep_t series = {3, false, sizes[nsizes - 1], sizes, nsizes};
            double out[2 * MAX_SIZES];
            measure(&series, out, 2 * (size_t)nsizes, cfg.warm);
            for (int k = 0; k < nsizes; k++) {
                t[k][r] = out[k];
                t2[k][r] = out[nsizes + k];
            }
        }
        result_t *res = &results[nres++];
        res->name = "register_ops";
        res->unit = "ops";
        summarize(res, sizes, nsizes, t, cfg.registry_reps);
        res = &results[nres++];
        res->name = "lookup_registered";
        res->unit = "calls";
        summarize(res, sizes, nsizes, t2, cfg.registry_reps);
    }
    ft_registry_free(reg);

    double worst = 0;
    const char *worst_case = "";
    for (int i = 0; i < nres; i++)
        if (i == 0 || results[i].exponent > worst)
            worst = results[i].exponent, worst_case = results[i].name;
    printf("{\"bench\":\"_summary\",\"cases\":%d,\"max_exponent\":%.3f,\"max_case\":\"%s\",\"all_ok\":%s}\n", nres,
           worst, worst_case, worst <= 1.2 ? "true" : "false");
    return cfg.check && worst > 1.2 ? 1 : 0;
}
