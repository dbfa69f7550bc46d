/* ft-bench — what libft's dispatcher costs per call, next to calling the kernel
 * directly, and what the packet's session microbench costs per iteration. Prints
 * one JSON object per line on stdout (see bench/README.md).
 *
 * Method: every benchmark is calibrated so one sample takes --sample-ms (30 ms by
 * default); then `samples` rounds run every benchmark once each, round-robin with
 * a rotating start, so machine drift hits all benchmarks alike. Each result is
 * the median (and p10/p90/min) of the per-sample ns/op; dispatch benchmarks are
 * also compared with a direct call of the same kernel (their "baseline").
 * Microbenchmarks (session_microbench, tape_microbench, ...) also time every
 * batch of 1..BATCH iterations (one clock_gettime per batch, chained; the batch
 * is the smallest whose timestamp costs <= 1% of it) and report p50/p95/p99 of
 * those per-iteration times, pooled over all samples.
 *
 * Dead-code elimination is defeated the same way for every benchmark: inputs rotate
 * through small arrays (index i & mask), results and statuses are accumulated and
 * written to volatile globals, and the baselines call the kernels through function
 * pointers read from volatile objects — indirect calls, exactly like the
 * dispatcher's reg->fn(...). libc + libm only. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "ft/ft.h"

#ifndef FT_BENCH_BUILD_TYPE
#define FT_BENCH_BUILD_TYPE ""
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
    BATCH = 16, /* largest microbenchmark batch (iterations per timestamp); power of two */
    MAXB = 64,  /* benchmarks */
    DEFAULT_SAMPLES = 21,
    QUICK_SAMPLES = 5
};

#define DEFAULT_SAMPLE_MS 30.0
#define QUICK_SAMPLE_MS   2.0

/* FrankenTorch's Rust session, same microbench (the packet's figure), and the
 * project's goal of >= 10x faster. */
#define FRANKENTORCH_P50_NS 2454.0
#define GOAL_SPEEDUP        10.0

/* Escapes: nothing the loops compute can be proven unused. */
static volatile double g_sink_d;
static volatile uint64_t g_sink_u;
/* The baselines' kernel pointers, read through volatile lvalues so the compiler
 * cannot see (and inline) the targets. */
static ft_kernel_fn volatile g_direct_fn;

/* The built-in operators of SPEC §4, in kernel_<op>_<route> order. */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAXIMUM, OP_MINIMUM, OP_ATAN2, OP_POW, OP_RSUB, OP_SQDIFF, NOPS };

static const struct {
    const char *name;
    const char *kernel; /* the kernel the dispatch route must end on */
    bool composite;     /* no CPU kernel: routed through a composite in hardened mode */
} op_info[NOPS] = {
    {"add", "cpu::add_scalar", false},          {"sub", "cpu::sub_scalar", false},
    {"mul", "cpu::mul_scalar", false},          {"div", "cpu::div_scalar", false},
    {"maximum", "cpu::maximum_scalar", false},  {"minimum", "cpu::minimum_scalar", false},
    {"atan2", "cpu::atan2_scalar", false},      {"pow", "cpu::pow_scalar", false},
    {"rsub", "composite_explicit::rsub", true}, {"sqdiff", "composite_implicit::sqdiff", true},
};

/* Each op's CPU kernel from its computed table (NULL for the composites). */
static ft_kernel_fn volatile g_op_fn[NOPS];

/* Everything the loops touch, built and checked once before any timing. */
static struct {
    ft_registry_t *reg;
    const ft_op_t *add, *rsub, *sqdiff;
    const ft_op_t *op[NOPS];
    ft_dispatch_ctx_t strict, hardened;
    ft_session_options_t shared;    /* session defaults, but borrowing reg */
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

typedef struct bench bench_t;
struct bench {
    char name[48];
    int (*run)(const bench_t *b, uint64_t n); /* n iterations; OR of all statuses */
    int arg;                                  /* op index for kernel_* benchmarks, variant for microbenchmarks */
    int baseline;                             /* index of the benchmark this one is compared with, -1 for none */
    bool micro;                               /* records per-batch times: p50/p95/p99 */
    uint32_t batch;                           /* micro: iterations per timestamp, a power of two <= BATCH */
    void (*prepare)(const bench_t *b);        /* run before every (untimed), or NULL */
};

static bench_t benches[MAXB];
static size_t nbench;

/* Where microbenchmarks put their batch means (ns per iteration); NULL while
 * calibrating and checking. The main loop reserves room before each sample, so
 * recording is a store, never an allocation, inside the timed loop. */
typedef struct {
    double *v;
    size_t len, cap;
} rec_t;
static rec_t *g_rec;

static void record(uint64_t batch_ns, uint32_t batch) {
    if (g_rec && g_rec->len < g_rec->cap)
        g_rec->v[g_rec->len++] = (double)batch_ns / batch;
}

/* What one clock_gettime costs, measured once at start-up (min of 5 x 4096). */
static double g_clock_ns;

/* --- the benchmarks: each runs n iterations, returns the OR of all statuses -- */

static int run_highest_priority_type_id(const bench_t *b, uint64_t n) {
    (void)b;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++)
        acc += (uint64_t)ft_keyset_highest_priority_type_id(F.prio[i & PMASK]);
    g_sink_u = acc;
    return 0;
}

static int run_keyset_parse_hex(const bench_t *b, uint64_t n) {
    (void)b;
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

static int run_keyset_parse_repr(const bench_t *b, uint64_t n) {
    (void)b;
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

/* One loop shape for every direct kernel call: `call` computes out from the
 * i-th operand pair. */
#define DIRECT_LOOP(call)                                                                                              \
    do {                                                                                                               \
        ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);                                    \
        double acc = 0.0;                                                                                              \
        int st = 0;                                                                                                    \
        for (uint64_t i = 0; i < n; i++) {                                                                             \
            const ft_scalar_t *x = &F.a[i & VMASK], *y = &F.b[i & VMASK];                                              \
            call;                                                                                                      \
            acc += out.value;                                                                                          \
        }                                                                                                              \
        g_sink_d = acc;                                                                                                \
        return st;                                                                                                     \
    } while (0)

static int run_direct_call(const bench_t *b, uint64_t n) {
    (void)b;
    const ft_kernel_fn fn = g_direct_fn;
    DIRECT_LOOP(st |= fn(NULL, x, y, &out));
}

static int run_kernel_direct(const bench_t *b, uint64_t n) {
    const ft_kernel_fn fn = g_op_fn[b->arg];
    DIRECT_LOOP(st |= fn(NULL, x, y, &out));
}

/* rsub(a, b) = b - a: the sub kernel with the operands swapped. */
static int run_rsub_direct(const bench_t *b, uint64_t n) {
    (void)b;
    const ft_kernel_fn fn = g_op_fn[OP_SUB];
    DIRECT_LOOP(st |= fn(NULL, y, x, &out));
}

/* sqdiff(a, b) = (a - b) * (a - b): the sub kernel, then the mul kernel. */
static int run_sqdiff_direct(const bench_t *b, uint64_t n) {
    (void)b;
    const ft_kernel_fn fsub = g_op_fn[OP_SUB], fmul = g_op_fn[OP_MUL];
    ft_scalar_t t = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    DIRECT_LOOP(st |= fsub(NULL, x, y, &t); st |= fmul(NULL, &t, &t, &out));
}

/* One loop shape for every ft_dispatch_binary benchmark. */
#define DISPATCH_LOOP(ctx, op, lhs, rhs, decision)                                                                     \
    do {                                                                                                               \
        ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);                                    \
        double acc = 0.0;                                                                                              \
        int st = 0;                                                                                                    \
        for (uint64_t i = 0; i < n; i++) {                                                                             \
            st |= ft_dispatch_binary((ctx), (op), &(lhs)[i & VMASK], &(rhs)[i & VMASK], &out, (decision));             \
            acc += out.value;                                                                                          \
        }                                                                                                              \
        g_sink_d = acc;                                                                                                \
        return st;                                                                                                     \
    } while (0)

static int run_dispatch_cpu_strict(const bench_t *b, uint64_t n) {
    (void)b;
    ft_decision_t d;
    DISPATCH_LOOP(&F.strict, F.add, F.a, F.b, &d);
}

static int run_dispatch_cpu_strict_no_decision(const bench_t *b, uint64_t n) {
    (void)b;
    DISPATCH_LOOP(&F.strict, F.add, F.a, F.b, NULL);
}

static int run_dispatch_autograd(const bench_t *b, uint64_t n) {
    (void)b;
    ft_decision_t d;
    DISPATCH_LOOP(&F.strict, F.add, F.ga, F.gb, &d);
}

static int run_dispatch_hardened_composite(const bench_t *b, uint64_t n) {
    (void)b;
    ft_decision_t d;
    DISPATCH_LOOP(&F.hardened, F.rsub, F.a, F.b, &d);
}

static int run_dispatch_hardened_composite_implicit(const bench_t *b, uint64_t n) {
    (void)b;
    ft_decision_t d;
    DISPATCH_LOOP(&F.hardened, F.sqdiff, F.a, F.b, &d);
}

static int run_dispatch_with_keyset_cpu(const bench_t *b, uint64_t n) {
    (void)b;
    ft_decision_t d;
    ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    double acc = 0.0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        st |= ft_dispatch_binary_with_keyset(&F.strict, F.add, F.cpu_raw, &F.a[i & VMASK], &F.b[i & VMASK], &out, &d);
        acc += out.value;
    }
    g_sink_d = acc;
    return st;
}

/* kernel_<op>_cpu_strict / _autograd / _hardened_composite, all with a decision
 * record like dispatch_cpu_strict. */
static int run_kernel_cpu_strict(const bench_t *b, uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.strict, F.op[b->arg], F.a, F.b, &d);
}

static int run_kernel_autograd(const bench_t *b, uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.strict, F.op[b->arg], F.ga, F.gb, &d);
}

static int run_kernel_hardened_composite(const bench_t *b, uint64_t n) {
    ft_decision_t d;
    DISPATCH_LOOP(&F.hardened, F.op[b->arg], F.a, F.b, &d);
}

/* What one clock_gettime(CLOCK_MONOTONIC) costs: the microbenchmarks pay one
 * per batch of BATCH iterations. */
static int run_clock_gettime(const bench_t *b, uint64_t n) {
    (void)b;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++)
        acc += bench_now_ns();
    g_sink_u = acc;
    return 0;
}

/* --- the packet's scalar microbench ------------------------------------------ */

static void fail_micro(const char *bench, const char *why) {
    fprintf(stderr, "ft-bench: %s: %s\n", bench, why);
    exit(1);
}

/* One iteration: new session, x = 2 and y = 3 (requires_grad), z = x + y,
 * w = z * x, backward from w, read both grads, free. With `check`, also verifies
 * grads (x: 7, y: 2), the value of w and the ledger (dispatch add, dispatch mul,
 * backward, all ok) before freeing, exiting 1 on any difference. */
static int session_once(const ft_session_options_t *opts, double *acc, const char *check) {
    ft_session_t *s = NULL;
    ft_var_t x = 0, y = 0, z = 0, w = 0;
    double gx = 0, gy = 0;
    bool dx = false, dy = false;
    int st = ft_session_new(opts, &s);
    if (st != FT_OK)
        return st;
    st |= ft_session_leaf(s, 2.0, FT_DTYPE_F64, true, &x);
    st |= ft_session_leaf(s, 3.0, FT_DTYPE_F64, true, &y);
    st |= ft_session_call(s, "add", x, y, &z);
    st |= ft_session_call(s, "mul", z, x, &w);
    st |= ft_session_backward(s, w, false, NULL);
    st |= ft_session_grad(s, x, &gx, &dx);
    st |= ft_session_grad(s, y, &gy, &dy);
    *acc += gx + gy + (double)dx + (double)dy;
    if (check) {
        ft_scalar_t wv = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        if (st != FT_OK)
            fail_micro(check, "a session call failed");
        if (!dx || !dy || gx != 7.0 || gy != 2.0)
            fail_micro(check, "wrong gradients (want x: 7, y: 2)");
        if (ft_session_value(s, w, &wv) != FT_OK || wv.value != 10.0)
            fail_micro(check, "wrong value of w (want 10)");
        if (ft_session_evidence_count(s) != 3)
            fail_micro(check, "ledger does not have 3 entries");
        static const ft_evidence_kind_t kinds[3] = {FT_EVIDENCE_DISPATCH, FT_EVIDENCE_DISPATCH, FT_EVIDENCE_BACKWARD};
        static const char *const kernels[2] = {"cpu::add_scalar", "cpu::mul_scalar"};
        for (size_t k = 0; k < 3; k++) {
            const ft_evidence_t *e = ft_session_evidence_at(s, k);
            if (!e || e->seq != k || e->kind != kinds[k] || e->status != FT_OK)
                fail_micro(check, "unexpected ledger entry");
            if (k < 2 && (!e->decision || !e->decision->kernel || strcmp(e->decision->kernel, kernels[k]) != 0 ||
                          e->decision->hop_count == 0 || e->decision->hops[0].key != FT_KEY_AUTOGRAD_CPU))
                fail_micro(check, "dispatch entry without the AutogradCPU route to the CPU kernel");
            if (k == 2 && (e->steps != 2 || e->grad_count != 2))
                fail_micro(check, "backward entry: want 2 steps and 2 gradients");
        }
    }
    ft_session_free(s);
    return st;
}

/* The same on a bare tape: ft_tape_new per iteration, the registry and operator
 * handles reused, no decision record (NULL), no ledger. */
static int tape_once(double *acc, const char *check) {
    ft_tape_t *t = NULL;
    ft_var_t x = 0, y = 0, z = 0, w = 0;
    double gx = 0, gy = 0;
    bool dx = false, dy = false;
    const ft_scalar_t xv = ft_scalar_make(2.0, FT_DTYPE_F64, FT_BACKEND_CPU, true);
    const ft_scalar_t yv = ft_scalar_make(3.0, FT_DTYPE_F64, FT_BACKEND_CPU, true);
    int st = ft_tape_new(&t);
    if (st != FT_OK)
        return st;
    st |= ft_tape_leaf(t, &xv, &x);
    st |= ft_tape_leaf(t, &yv, &y);
    st |= ft_tape_apply(t, &F.strict, F.op[OP_ADD], x, y, &z, NULL);
    st |= ft_tape_apply(t, &F.strict, F.op[OP_MUL], z, x, &w, NULL);
    st |= ft_tape_backward(t, w, NULL, NULL);
    st |= ft_tape_grad(t, x, &gx, &dx);
    st |= ft_tape_grad(t, y, &gy, &dy);
    *acc += gx + gy + (double)dx + (double)dy;
    if (check) {
        ft_scalar_t wv = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        if (st != FT_OK)
            fail_micro(check, "a tape call failed");
        if (!dx || !dy || gx != 7.0 || gy != 2.0)
            fail_micro(check, "wrong gradients (want x: 7, y: 2)");
        if (ft_tape_value(t, w, &wv) != FT_OK || wv.value != 10.0 || ft_tape_var_count(t) != 4)
            fail_micro(check, "wrong value of w or variable count");
    }
    ft_tape_free(t);
    return st;
}

enum { MICRO_SESSION, MICRO_SESSION_SHARED, MICRO_TAPE };

static int micro_once(int variant, double *acc, const char *check) {
    switch (variant) {
    case MICRO_SESSION:
        return session_once(NULL, acc, check); /* the packet's ft_session_new(NULL, &s) */
    case MICRO_SESSION_SHARED:
        return session_once(&F.shared, acc, check);
    default:
        return tape_once(acc, check);
    }
}

/* n is a multiple of BATCH; every batch of b->batch iterations has its time
 * recorded (chained timestamps: one clock_gettime per batch). */
static int run_micro(const bench_t *b, uint64_t n) {
    const uint64_t mask = b->batch - 1;
    double acc = 0.0;
    int st = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        st |= micro_once(b->arg, &acc, NULL);
        if ((i & mask) == mask) {
            const uint64_t t1 = bench_now_ns();
            record(t1 - t0, b->batch);
            t0 = t1;
        }
    }
    g_sink_d = acc;
    return st;
}

/* --- kernels that come and go --------------------------------------------- */

/* A CPU kernel for rsub, which has none (hardened mode routes CPU operands to its
 * CompositeExplicitAutograd kernel): a backend override as an out-of-tree
 * library would add and remove it. Computes rsub's value, so only the kernel
 * name tells the routes apart. */
static ft_status bench_rsub_cpu(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                                ft_scalar_t *out) {
    (void)call;
    out->value = b->value - a->value;
    return FT_OK;
}

static const ft_registration_t rsub_cpu_reg = {FT_KEY_CPU, "bench::rsub_cpu", bench_rsub_cpu, NULL, NULL};

/* The registry the add/release pairs change. Not F.reg: a registry keeps every
 * released registration record until ft_registry_free (op.h, "Lifetimes"), so
 * memory grows with the pairs (about 370 bytes a pair); registration_prepare
 * makes it anew before every timed run, which bounds what it holds by one run's
 * pairs (one sample's at most: about 12,000 pairs, 4.5 MB, at the default
 * --sample-ms). */
static struct {
    ft_registry_t *reg;
    const ft_op_t *rsub; /* the registry's own copy once a change made one */
} H;

/* Untimed: a fresh registry, and one add+release pair on it, because the first
 * change to a built-in operator copies every built-in into the registry (a
 * one-off cost, not the pair's); rsub is then the registry's own copy. */
static void registration_prepare(const bench_t *b) {
    (void)b;
    ft_registration_handle_t *h = NULL;
    ft_registry_free(H.reg);
    H.reg = NULL;
    H.rsub = NULL;
    if (ft_registry_new(&H.reg) != FT_OK || ft_registry_find(H.reg, "rsub", &H.rsub) != FT_OK ||
        ft_registry_add_kernels(H.reg, H.rsub, &rsub_cpu_reg, 1, &h) != FT_OK || ft_registration_release(h) != FT_OK) {
        fprintf(stderr, "ft-bench: registration_add_release: preparing the registry failed: %s\n",
                ft_registry_last_error(H.reg)->message);
        exit(1);
    }
    H.rsub = ft_registration_op(h);
}

/* One op: ft_registry_add_kernels(rsub, {CPU kernel}) and ft_registration_release
 * of its handle; each recomputes rsub's CPU and AutogradCPU entries. */
static int run_registration_add_release(const bench_t *b, uint64_t n) {
    (void)b;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        ft_registration_handle_t *h = NULL;
        st |= ft_registry_add_kernels(H.reg, H.rsub, &rsub_cpu_reg, 1, &h);
        st |= ft_registration_release(h);
    }
    return st;
}

/* --- the benchmark list ------------------------------------------------------ */

static int find_bench(const char *name) {
    for (size_t i = 0; i < nbench; i++)
        if (strcmp(benches[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* `baseline` must already be on the list (or NULL). */
static void add_bench(const char *name, int (*run)(const bench_t *, uint64_t), int arg, const char *baseline,
                      bool micro) {
    bench_t *b = &benches[nbench];
    if (nbench >= MAXB || strlen(name) >= sizeof b->name || (baseline && find_bench(baseline) < 0)) {
        fprintf(stderr, "ft-bench: internal error adding %s\n", name);
        exit(1);
    }
    strcpy(b->name, name);
    b->run = run;
    b->arg = arg;
    b->baseline = baseline ? find_bench(baseline) : -1;
    b->micro = micro;
    b->batch = BATCH;
    b->prepare = NULL;
    nbench++;
}

static void build_benches(void) {
    add_bench("highest_priority_type_id", run_highest_priority_type_id, 0, NULL, false);
    add_bench("keyset_parse_hex", run_keyset_parse_hex, 0, NULL, false);
    add_bench("keyset_parse_repr", run_keyset_parse_repr, 0, NULL, false);
    add_bench("direct_call", run_direct_call, 0, NULL, false);
    add_bench("dispatch_cpu_strict", run_dispatch_cpu_strict, 0, "direct_call", false);
    add_bench("dispatch_cpu_strict_no_decision", run_dispatch_cpu_strict_no_decision, 0, "direct_call", false);
    add_bench("dispatch_autograd", run_dispatch_autograd, 0, "direct_call", false);
    add_bench("dispatch_hardened_composite", run_dispatch_hardened_composite, 0, "direct_call", false);
    add_bench("dispatch_hardened_composite_implicit", run_dispatch_hardened_composite_implicit, 0, "direct_call",
              false);
    add_bench("dispatch_with_keyset_cpu", run_dispatch_with_keyset_cpu, 0, "direct_call", false);
    add_bench("clock_gettime", run_clock_gettime, 0, NULL, false);
    add_bench("session_microbench", run_micro, MICRO_SESSION, NULL, true);
    add_bench("session_microbench_shared_registry", run_micro, MICRO_SESSION_SHARED, NULL, true);
    add_bench("tape_microbench", run_micro, MICRO_TAPE, NULL, true);
    add_bench("registration_add_release", run_registration_add_release, 0, NULL, false);
    benches[nbench - 1].prepare = registration_prepare;
    for (int k = 0; k < NOPS; k++) {
        char direct[48], name[48];
        snprintf(direct, sizeof direct, "kernel_%s_direct", op_info[k].name);
        if (k == OP_RSUB)
            add_bench(direct, run_rsub_direct, k, NULL, false);
        else if (k == OP_SQDIFF)
            add_bench(direct, run_sqdiff_direct, k, NULL, false);
        else
            add_bench(direct, run_kernel_direct, k, NULL, false);
        if (op_info[k].composite) {
            snprintf(name, sizeof name, "kernel_%s_hardened_composite", op_info[k].name);
            add_bench(name, run_kernel_hardened_composite, k, direct, false);
        } else {
            snprintf(name, sizeof name, "kernel_%s_cpu_strict", op_info[k].name);
            add_bench(name, run_kernel_cpu_strict, k, direct, false);
            snprintf(name, sizeof name, "kernel_%s_autograd", op_info[k].name);
            add_bench(name, run_kernel_autograd, k, direct, false);
        }
    }
}

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

/* The op's value by libm / plain arithmetic, for checking the direct baselines. */
static double op_expect(int k, double x, double y) {
    switch (k) {
    case OP_ADD:
        return x + y;
    case OP_SUB:
        return x - y;
    case OP_MUL:
        return x * y;
    case OP_DIV:
        return x / y;
    case OP_MAXIMUM:
        return x < y ? y : x;
    case OP_MINIMUM:
        return y < x ? y : x;
    case OP_ATAN2:
        return atan2(x, y);
    case OP_POW:
        return pow(x, y);
    case OP_RSUB:
        return y - x;
    default:
        return (x - y) * (x - y);
    }
}

/* Checks every kernel_* route on every operand pair: the direct baseline gives
 * the op's value (transcendentals within 4 ulp of libm, the rest exactly), and
 * each dispatch route gives exactly the baseline's value, on the expected kernel
 * and first hop. */
static void check_kernel_routes(void) {
    for (int k = 0; k < NOPS; k++) {
        char name[64];
        if (!op_info[k].composite) {
            ft_table_entry_t e;
            snprintf(name, sizeof name, "ft_op_table_entry(%s, CPU)", op_info[k].name);
            must(ft_op_table_entry(F.op[k], FT_KEY_CPU, &e), name);
            if (!e.registration || !e.registration->fn) {
                fprintf(stderr, "ft-bench: %s has no CPU kernel\n", op_info[k].name);
                exit(1);
            }
            g_op_fn[k] = e.registration->fn;
        }
    }
    for (int k = 0; k < NOPS; k++) {
        for (int i = 0; i < NVAR; i++) {
            const double x = F.a[i].value, y = F.b[i].value;
            ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
            double direct;
            char name[64];
            snprintf(name, sizeof name, "kernel_%s_direct", op_info[k].name);
            if (k == OP_RSUB) {
                must(g_op_fn[OP_SUB](NULL, &F.b[i], &F.a[i], &out), name);
            } else if (k == OP_SQDIFF) {
                ft_scalar_t t = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
                must(g_op_fn[OP_SUB](NULL, &F.a[i], &F.b[i], &t), name);
                must(g_op_fn[OP_MUL](NULL, &t, &t, &out), name);
            } else {
                must(g_op_fn[k](NULL, &F.a[i], &F.b[i], &out), name);
            }
            direct = out.value;
            const double want = op_expect(k, x, y);
            const bool transcendental = k == OP_ATAN2 || k == OP_POW;
            if (transcendental ? !(fabs(direct - want) <= 4 * 0x1p-52 * fabs(want)) : direct != want)
                fail_route(name, "wrong result", NULL);
            if (op_info[k].composite) {
                snprintf(name, sizeof name, "kernel_%s_hardened_composite", op_info[k].name);
                check_dispatch(name, &F.hardened, F.op[k], NULL, &F.a[i], &F.b[i], direct, op_info[k].kernel,
                               FT_KEY_AD_INPLACE_OR_VIEW, true);
            } else {
                snprintf(name, sizeof name, "kernel_%s_cpu_strict", op_info[k].name);
                check_dispatch(name, &F.strict, F.op[k], NULL, &F.a[i], &F.b[i], direct, op_info[k].kernel,
                               FT_KEY_AD_INPLACE_OR_VIEW, false);
                snprintf(name, sizeof name, "kernel_%s_autograd", op_info[k].name);
                check_dispatch(name, &F.strict, F.op[k], NULL, &F.ga[i], &F.gb[i], direct, op_info[k].kernel,
                               FT_KEY_AUTOGRAD_CPU, false);
            }
        }
    }
}

/* The op's table entry for every runtime key: the kernel name (NULL for none). */
static void table_kernels(const ft_op_t *op, const char **kernels, size_t n) {
    const ft_key_t *runtime;
    if (ft_key_runtime_list(&runtime) != n)
        fail_route("registration_add_release", "unexpected runtime key count", NULL);
    for (size_t i = 0; i < n; i++) {
        ft_table_entry_t e;
        must(ft_op_table_entry(op, runtime[i], &e), "registration_add_release: ft_op_table_entry");
        kernels[i] = e.registration ? e.registration->kernel_name : NULL;
    }
}

/* The add/release pair does what it claims: with the handle live, CPU operands
 * of rsub route to the added kernel (both modes); after its release they route
 * to composite_explicit::rsub again (hardened; strict rejects the composite, as
 * before), and every runtime key's entry names the kernel that the built-in
 * rsub's (never changed) names. */
static void check_registration_routes(const bench_t *b) {
    const char *name = "registration_add_release";
    const ft_key_t *runtime;
    const size_t nrt = ft_key_runtime_list(&runtime);
    const char **before = calloc(nrt, sizeof *before), **after = calloc(nrt, sizeof *after);
    if (!before || !after) {
        fprintf(stderr, "ft-bench: out of memory\n");
        exit(1);
    }
    table_kernels(F.rsub, before, nrt);
    registration_prepare(b);
    for (int round = 0; round < 2; round++) {
        ft_registration_handle_t *h = NULL;
        must(ft_registry_add_kernels(H.reg, H.rsub, &rsub_cpu_reg, 1, &h), name);
        if (ft_registration_op(h) != H.rsub)
            fail_route(name, "the handle is on another operator", NULL);
        for (int i = 0; i < NVAR; i++) {
            const double want = F.b[i].value - F.a[i].value;
            check_dispatch(name, &F.hardened, H.rsub, NULL, &F.a[i], &F.b[i], want, "bench::rsub_cpu",
                           FT_KEY_AD_INPLACE_OR_VIEW, false);
            check_dispatch(name, &F.strict, H.rsub, NULL, &F.a[i], &F.b[i], want, "bench::rsub_cpu",
                           FT_KEY_AD_INPLACE_OR_VIEW, false);
        }
        must(ft_registration_release(h), name);
        for (int i = 0; i < NVAR; i++) {
            ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
            check_dispatch(name, &F.hardened, H.rsub, NULL, &F.a[i], &F.b[i], F.b[i].value - F.a[i].value,
                           "composite_explicit::rsub", FT_KEY_AD_INPLACE_OR_VIEW, true);
            if (ft_dispatch_binary(&F.strict, H.rsub, &F.a[i], &F.b[i], &out, NULL) == FT_OK)
                fail_route(name, "strict mode routes CPU operands after the release", NULL);
        }
        table_kernels(H.rsub, after, nrt);
        for (size_t k = 0; k < nrt; k++)
            if (!before[k] != !after[k] || (before[k] && strcmp(before[k], after[k]) != 0)) {
                fprintf(stderr, "ft-bench: %s: after the release %s's entry names %s, before it named %s\n", name,
                        ft_key_name(runtime[k]), after[k] ? after[k] : "no kernel",
                        before[k] ? before[k] : "no kernel");
                exit(1);
            }
    }
    free(before);
    free(after);
}

static void setup(void) {
    must(ft_registry_new(&F.reg), "ft_registry_new");
    must(ft_registry_find(F.reg, "add", &F.add), "find add");
    must(ft_registry_find(F.reg, "rsub", &F.rsub), "find rsub");
    must(ft_registry_find(F.reg, "sqdiff", &F.sqdiff), "find sqdiff");
    for (int k = 0; k < NOPS; k++)
        must(ft_registry_find(F.reg, op_info[k].name, &F.op[k]), op_info[k].name);
    ft_dispatch_ctx_init(&F.strict);
    ft_dispatch_ctx_init(&F.hardened);
    F.hardened.mode = FT_MODE_HARDENED;
    const ft_session_options_t defaults = FT_SESSION_OPTIONS_INIT;
    F.shared = defaults;
    F.shared.registry = F.reg;

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
        {{FT_KEY_CUDA, FT_KEY_AUTOGRAD_CUDA, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT},
         4,
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
    check_kernel_routes();

    /* The microbenchmarks: grads, value and ledger, once per variant. */
    double acc = 0.0;
    must((ft_status)micro_once(MICRO_SESSION, &acc, "session_microbench"), "session_microbench");
    must((ft_status)micro_once(MICRO_SESSION_SHARED, &acc, "session_microbench_shared_registry"),
         "session_microbench_shared_registry");
    must((ft_status)micro_once(MICRO_TAPE, &acc, "tape_microbench"), "tape_microbench");
    check_registration_routes(&benches[find_bench("registration_add_release")]);

    /* And the benchmark functions themselves, once each. */
    for (size_t b = 0; b < nbench; b++) {
        if (benches[b].prepare)
            benches[b].prepare(&benches[b]);
        if (benches[b].run(&benches[b], benches[b].micro ? BATCH : NVAR) != 0) {
            fprintf(stderr, "ft-bench: %s: a call returned an error\n", benches[b].name);
            exit(1);
        }
    }
}

/* --- timing and statistics -------------------------------------------------- */

/* ns for n iterations (after the benchmark's untimed prepare, if any); aborts
 * if any call failed. */
static double time_run(const bench_t *b, uint64_t n) {
    if (b->prepare)
        b->prepare(b);
    const uint64_t t0 = bench_now_ns();
    const int st = b->run(b, n);
    const uint64_t t1 = bench_now_ns();
    if (st != 0) {
        fprintf(stderr, "ft-bench: %s: a call returned an error during timing\n", b->name);
        exit(1);
    }
    return (double)(t1 - t0);
}

/* Iterations for one sample of about target_ns (doubling warm-up, then scaled
 * by the fastest of three runs, so one preemption cannot shrink the samples);
 * a multiple of BATCH for microbenchmarks. */
static uint64_t calibrate(const bench_t *b, double target_ns) {
    uint64_t n = 64;
    for (;;) {
        double dt = time_run(b, n);
        if (dt >= target_ns / 4 || n >= (UINT64_C(1) << 40)) {
            for (int k = 0; k < 2; k++) {
                const double again = time_run(b, n);
                dt = again < dt ? again : dt;
            }
            const double per = dt / (double)n;
            const double it = per > 0 ? target_ns / per : (double)n;
            uint64_t iters = it < 1 ? 1 : (uint64_t)it;
            if (b->micro)
                iters = (iters + BATCH - 1) / BATCH * BATCH;
            return iters;
        }
        n *= 2;
    }
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
    qsort(scratch, n, sizeof *scratch, bench_cmp_double);
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
            "Times libft's dispatcher against direct calls of the CPU kernels, and the packet's\n"
            "session microbench, and prints one JSON object per line on stdout: a \"_run\"\n"
            "header, then one line per benchmark\n"
            "{\"bench\",\"unit\":\"ns/op\",\"median\",\"p10\",\"p90\",\"min\",\"samples\",\"iters_per_sample\"}.\n"
            "Dispatch benchmarks add \"baseline\" (the direct call they are compared with),\n"
            "\"overhead_vs_direct_ns\" (median - baseline median), \"ratio_vs_direct\" and\n"
            "\"overhead_paired_ns\" (median of per-round differences). Microbenchmarks add\n"
            "\"p50\", \"p95\", \"p99\" of per-iteration times (batches of 1..%d iterations).\n"
            "\n"
            "  --samples N     samples per benchmark, one per round-robin round (default %d)\n"
            "  --sample-ms MS  target duration of one sample in ms (default %.0f)\n"
            "  --quick         smoke run: %d samples of ~%.0f ms unless set explicitly (for CI)\n"
            "  --filter TEXT   only benchmarks whose name contains TEXT (direct_call and the\n"
            "                  baselines of the selected benchmarks always run)\n"
            "  --raw           add \"raw\": every sample's ns/op, in round order\n"
            "  --list          print the benchmark names and exit\n"
            "  --help          this text\n"
            "\n"
            "Every route is run and checked once before timing; a failing call aborts with\n"
            "exit status 1. Usage errors exit with 2.\n",
            BATCH, DEFAULT_SAMPLES, DEFAULT_SAMPLE_MS, QUICK_SAMPLES, QUICK_SAMPLE_MS);
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

    build_benches();
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
            for (size_t b = 0; b < nbench; b++)
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

    const int direct_index = find_bench("direct_call");
    const int clock_index = find_bench("clock_gettime");
    bool enabled[MAXB];
    size_t n_enabled = 0;
    for (size_t b = 0; b < nbench; b++)
        enabled[b] = (int)b == direct_index || !filter || strstr(benches[b].name, filter) != NULL;
    for (size_t b = 0; b < nbench; b++) { /* a selected benchmark brings what it is compared with */
        if (enabled[b] && benches[b].baseline >= 0)
            enabled[benches[b].baseline] = true;
        if (enabled[b] && benches[b].micro)
            enabled[clock_index] = true;
    }
    for (size_t b = 0; b < nbench; b++)
        n_enabled += enabled[b];

    setup();
    g_clock_ns = 1e9;
    for (int k = 0; k < 5; k++) {
        const double t = time_run(&benches[clock_index], 4096) / 4096;
        g_clock_ns = t < g_clock_ns ? t : g_clock_ns;
    }

    const size_t ns = (size_t)samples;
    double *res = calloc(nbench * ns, sizeof *res); /* res[b * ns + r]: ns/op */
    double *scratch = calloc(ns, sizeof *scratch);
    double *diff = calloc(ns, sizeof *diff);
    rec_t recs[MAXB];
    memset(recs, 0, sizeof recs);
    if (!res || !scratch || !diff) {
        fprintf(stderr, "ft-bench: out of memory\n");
        return 1;
    }

    const double target_ns = sample_ms * 1e6;
    uint64_t iters[MAXB] = {0};
    for (size_t b = 0; b < nbench; b++) {
        if (!enabled[b])
            continue;
        iters[b] = calibrate(&benches[b], target_ns);
        if (benches[b].micro) {
            /* Smallest batch whose one timestamp costs <= 1% of the batch: single
             * iterations when they are long enough, up to BATCH. */
            const double per = time_run(&benches[b], BATCH) / BATCH;
            uint32_t batch = 1;
            while (batch < BATCH && g_clock_ns > 0.01 * per * batch)
                batch *= 2;
            benches[b].batch = batch;
        }
    }

    /* Round-robin: every round runs every benchmark once, starting one later each
     * round so no benchmark always follows the same neighbour. */
    for (size_t r = 0; r < ns; r++) {
        for (size_t k = 0; k < nbench; k++) {
            const size_t b = (k + r) % nbench;
            if (!enabled[b])
                continue;
            if (benches[b].micro) { /* room for this sample's batches, allocated outside the timing */
                rec_t *rc = &recs[b];
                const size_t need = rc->len + (size_t)(iters[b] / benches[b].batch);
                if (need > rc->cap) {
                    double *p = realloc(rc->v, need * sizeof *p);
                    if (!p) {
                        fprintf(stderr, "ft-bench: out of memory\n");
                        return 1;
                    }
                    rc->v = p;
                    rc->cap = need;
                }
                g_rec = rc;
            }
            res[b * ns + r] = time_run(&benches[b], iters[b]) / (double)iters[b];
            g_rec = NULL;
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

    double medians[MAXB] = {0};
    for (size_t b = 0; b < nbench; b++)
        if (enabled[b])
            medians[b] = median_of(&res[b * ns], ns, scratch);
    for (size_t b = 0; b < nbench; b++) {
        if (!enabled[b])
            continue;
        const bench_t *bb = &benches[b];
        const double *v = &res[b * ns];
        memcpy(scratch, v, ns * sizeof *v);
        qsort(scratch, ns, sizeof *scratch, bench_cmp_double);
        const double median = medians[b];
        printf("{\"bench\":\"%s\",\"unit\":\"ns/op\",\"median\":%.3f,\"p10\":%.3f,\"p90\":%.3f,\"min\":%.3f,"
               "\"samples\":%zu,\"iters_per_sample\":%llu",
               bb->name, median, quantile(scratch, ns, 0.1), quantile(scratch, ns, 0.9), scratch[0], ns,
               (unsigned long long)iters[b]);
        if (bb->baseline >= 0) {
            const double *base = &res[(size_t)bb->baseline * ns];
            const double base_median = medians[bb->baseline];
            for (size_t r = 0; r < ns; r++)
                diff[r] = v[r] - base[r];
            printf(",\"baseline\":\"%s\",\"overhead_vs_direct_ns\":%.3f,\"ratio_vs_direct\":%.3f,"
                   "\"overhead_paired_ns\":%.3f",
                   benches[bb->baseline].name, median - base_median, base_median > 0 ? median / base_median : 0.0,
                   median_of(diff, ns, scratch));
        }
        if (bb->micro && recs[b].len > 0) {
            rec_t *rc = &recs[b];
            qsort(rc->v, rc->len, sizeof *rc->v, bench_cmp_double);
            const double p50 = quantile(rc->v, rc->len, 0.5);
            printf(",\"p50\":%.1f,\"p95\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"batch\":%u,\"batches\":%zu,"
                   "\"clock_gettime_ns\":%.3f",
                   p50, quantile(rc->v, rc->len, 0.95), quantile(rc->v, rc->len, 0.99), rc->v[rc->len - 1], bb->batch,
                   rc->len, medians[clock_index]);
            if (bb->arg == MICRO_SESSION)
                printf(",\"frankentorch_p50_ns\":%.0f,\"speedup_vs_frankentorch_p50\":%.3f,\"goal_p50_ns\":%.1f,"
                       "\"goal_met\":%s",
                       FRANKENTORCH_P50_NS, p50 > 0 ? FRANKENTORCH_P50_NS / p50 : 0.0,
                       FRANKENTORCH_P50_NS / GOAL_SPEEDUP,
                       p50 <= FRANKENTORCH_P50_NS / GOAL_SPEEDUP ? "true" : "false");
        }
        if (raw) {
            printf(",\"raw\":[");
            for (size_t r = 0; r < ns; r++)
                printf("%s%.3f", r ? "," : "", v[r]);
            putchar(']');
        }
        printf("}\n");
    }

    for (size_t b = 0; b < nbench; b++)
        free(recs[b].v);
    free(diff);
    free(scratch);
    free(res);
    ft_registry_free(F.reg);
    ft_registry_free(H.reg);
    return fflush(stdout) == 0 ? 0 : 1;
}
