/* c10-dispatch-bench — libft's dispatch overhead next to PyTorch 1.13's own
 * dispatcher (c10), measured side by side in one process (bench/README.md,
 * "libft vs c10"). Built only when Debian's libtorch-dev 1.13 is found.
 *
 * Both sides are timed the same way: a route's overhead is the median ns/call
 * of dispatching to a trivial kernel minus the median ns/call of calling that
 * same kernel function directly (through a pointer read from a volatile object,
 * as the dispatcher's own call is indirect). Every benchmark is calibrated to
 * --sample-ms, then `samples` rounds run every benchmark once each with a
 * rotating start (c10 and libft samples interleave, so machine drift hits both
 * alike); medians over the rounds.
 *
 * The routes, as bench/ft_bench.c names them for libft:
 *   dispatch_cpu_strict          libft: strict ctx, add on plain CPU operands (a
 *                                decision recorded, hop chain included).
 *                                c10: op ftbench::add on *inference tensors*
 *                                (made under c10::InferenceMode, called outside
 *                                it): they carry no Autograd/ADInplaceOrView keys,
 *                                as libft's operands that do not require grad
 *                                carry no autograd key; the op has an Autograd
 *                                kernel, which ordinary tensors would reach.
 *   dispatch_autograd            libft: add on operands that require grad (the
 *                                route passes its autograd kernel). c10: add on
 *                                ordinary tensors: its Autograd kernel
 *                                redispatches with ks & after_autograd_keyset
 *                                to the CPU kernel (as VariableType kernels do,
 *                                minus the guard and graph work).
 *   dispatch_hardened_composite  libft: hardened ctx, rsub (a CompositeExplicit-
 *                                Autograd kernel). c10: op ftbench::rsub with a
 *                                CompositeExplicitAutograd kernel, ordinary
 *                                tensors (Autograd falls through).
 *   dispatch_cpu_strict_no_decision  libft's CPU route with a NULL decision,
 *                                against the same c10 CPU figure.
 * c10 calls go through a typed operator handle cached before timing
 * (findSchemaOrThrow(...).typed<...>()), one intra-op thread. */
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/InferenceMode.h>
#include <torch/library.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "bench_common.h"
#include "c10_dispatch_bench.h"
#include "ft/ft.h"

#ifndef FT_C10_TORCH_VERSION
#define FT_C10_TORCH_VERSION "unknown"
#endif

#if !defined(NDEBUG)
#error "c10-dispatch-bench is built with -DNDEBUG (asserts would be timed)"
#endif

namespace {

enum { NVAR = 16, VMASK = NVAR - 1, DEFAULT_SAMPLES = 21, QUICK_SAMPLES = 5 };
constexpr double DEFAULT_SAMPLE_MS = 20.0, QUICK_SAMPLE_MS = 2.0;

using at::Tensor;
using Sig = double(const Tensor &, const Tensor &, double, double);

/* --- the c10 side: one op namespace of our own ------------------------------ */

/* Trivial kernels: the tensors carry the dispatch keys, the doubles the values
 * (libft's scalars carry both). */
double add_cpu(const Tensor &, const Tensor &, double x, double y) {
    return x + y;
}

double rsub_composite(const Tensor &, const Tensor &, double x, double y) {
    return y - x;
}

/* Set once in main, before any call: the autograd kernel's redispatch handle. */
const c10::TypedOperatorHandle<Sig> *g_add_handle;

double add_autograd(c10::DispatchKeySet ks, const Tensor &a, const Tensor &b, double x, double y) {
    return g_add_handle->redispatch(ks & c10::after_autograd_keyset, a, b, x, y);
}

} // namespace

FT_C10_BENCH_OPS(ftbench, "Tensor a, Tensor b, float x, float y", add_cpu, add_autograd, rsub_composite)

namespace {

volatile double g_sink;
Sig *volatile g_c10_add_fn = add_cpu;
Sig *volatile g_c10_rsub_fn = rsub_composite;
ft_kernel_fn volatile g_ft_add_fn, g_ft_rsub_fn;

struct Fixture {
    const c10::TypedOperatorHandle<Sig> *add = nullptr, *rsub = nullptr;
    std::vector<Tensor> ta, tb; /* ordinary tensors, requires_grad */
    std::vector<Tensor> pa, pb; /* ordinary tensors, no grad */
    std::vector<Tensor> ia, ib; /* inference tensors */
    double x[NVAR], y[NVAR];    /* the values, shared by both sides */
    ft_registry_t *reg = nullptr;
    const ft_op_t *ft_add = nullptr, *ft_rsub = nullptr;
    ft_dispatch_ctx_t strict, hardened;
    ft_scalar_t a[NVAR], b[NVAR], ga[NVAR], gb[NVAR];
} F;

/* --- benchmark bodies: n iterations, the OR of libft statuses --------------- */

int c10_direct(Sig *fn, const std::vector<Tensor> &A, const std::vector<Tensor> &B, uint64_t n) {
    double acc = 0;
    for (uint64_t i = 0; i < n; i++)
        acc += fn(A[i & VMASK], B[i & VMASK], F.x[i & VMASK], F.y[i & VMASK]);
    g_sink = acc;
    return 0;
}

int c10_call(const c10::TypedOperatorHandle<Sig> &op, const std::vector<Tensor> &A, const std::vector<Tensor> &B,
             uint64_t n) {
    double acc = 0;
    for (uint64_t i = 0; i < n; i++)
        acc += op.call(A[i & VMASK], B[i & VMASK], F.x[i & VMASK], F.y[i & VMASK]);
    g_sink = acc;
    return 0;
}

int ft_direct(ft_kernel_fn fn, uint64_t n) {
    ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    double acc = 0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        st |= fn(nullptr, &F.a[i & VMASK], &F.b[i & VMASK], &out);
        acc += out.value;
    }
    g_sink = acc;
    return st;
}

int ft_call(const ft_dispatch_ctx_t *ctx, const ft_op_t *op, const ft_scalar_t *A, const ft_scalar_t *B,
            bool with_decision, uint64_t n) {
    ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    ft_decision_t d;
    ft_decision_t *dp = with_decision ? &d : nullptr;
    double acc = 0;
    int st = 0;
    for (uint64_t i = 0; i < n; i++) {
        st |= ft_dispatch_binary(ctx, op, &A[i & VMASK], &B[i & VMASK], &out, dp);
        acc += out.value;
    }
    g_sink = acc;
    return st;
}

enum Bench {
    C10_DIRECT_ADD,
    C10_DIRECT_RSUB,
    C10_CPU,
    C10_AUTOGRAD,
    C10_COMPOSITE,
    C10NP_DIRECT_ADD_B,
    C10NP_DIRECT_RSUB_B,
    C10NP_CPU,
    C10NP_AUTOGRAD,
    C10NP_COMPOSITE,
    FT_DIRECT_ADD,
    FT_DIRECT_RSUB,
    FT_CPU,
    FT_CPU_NO_DECISION,
    FT_AUTOGRAD,
    FT_COMPOSITE,
    NBENCH
};

const char *const bench_name[NBENCH] = {
    "c10_direct_add",
    "c10_direct_rsub",
    "c10_cpu",
    "c10_autograd",
    "c10_composite",
    "c10_noprof_direct_add",
    "c10_noprof_direct_rsub",
    "c10_noprof_cpu",
    "c10_noprof_autograd",
    "c10_noprof_composite",
    "ft_direct_add",
    "ft_direct_rsub",
    "ft_cpu_strict",
    "ft_cpu_strict_no_decision",
    "ft_autograd",
    "ft_hardened_composite",
};

int run(int b, uint64_t n) {
    switch (b) {
    case C10_DIRECT_ADD:
        return c10_direct(g_c10_add_fn, F.ta, F.tb, n);
    case C10_DIRECT_RSUB:
        return c10_direct(g_c10_rsub_fn, F.pa, F.pb, n);
    case C10_CPU:
        return c10_call(*F.add, F.ia, F.ib, n);
    case C10_AUTOGRAD:
        return c10_call(*F.add, F.ta, F.tb, n);
    case C10_COMPOSITE:
        return c10_call(*F.rsub, F.pa, F.pb, n);
    case C10NP_DIRECT_ADD_B:
        return c10np_run(C10NP_DIRECT_ADD, F.ta.data(), F.tb.data(), F.x, F.y, VMASK, n);
    case C10NP_DIRECT_RSUB_B:
        return c10np_run(C10NP_DIRECT_RSUB, F.pa.data(), F.pb.data(), F.x, F.y, VMASK, n);
    case C10NP_CPU:
        return c10np_run(C10NP_ADD, F.ia.data(), F.ib.data(), F.x, F.y, VMASK, n);
    case C10NP_AUTOGRAD:
        return c10np_run(C10NP_ADD, F.ta.data(), F.tb.data(), F.x, F.y, VMASK, n);
    case C10NP_COMPOSITE:
        return c10np_run(C10NP_RSUB, F.pa.data(), F.pb.data(), F.x, F.y, VMASK, n);
    case FT_DIRECT_ADD:
        return ft_direct(g_ft_add_fn, n);
    case FT_DIRECT_RSUB:
        return ft_direct(g_ft_rsub_fn, n);
    case FT_CPU:
        return ft_call(&F.strict, F.ft_add, F.a, F.b, true, n);
    case FT_CPU_NO_DECISION:
        return ft_call(&F.strict, F.ft_add, F.a, F.b, false, n);
    case FT_AUTOGRAD:
        return ft_call(&F.strict, F.ft_add, F.ga, F.gb, true, n);
    case FT_COMPOSITE:
        return ft_call(&F.hardened, F.ft_rsub, F.a, F.b, true, n);
    }
    return 1;
}

/* The routes reported: libft's benchmark and baseline, c10's benchmark and baseline. */
struct Route {
    const char *name;
    int ft, ft_base, c10, c10_base, np, np_base;
};
const Route routes[] = {
    {"dispatch_cpu_strict", FT_CPU, FT_DIRECT_ADD, C10_CPU, C10_DIRECT_ADD, C10NP_CPU, C10NP_DIRECT_ADD_B},
    {"dispatch_autograd", FT_AUTOGRAD, FT_DIRECT_ADD, C10_AUTOGRAD, C10_DIRECT_ADD, C10NP_AUTOGRAD, C10NP_DIRECT_ADD_B},
    {"dispatch_hardened_composite", FT_COMPOSITE, FT_DIRECT_RSUB, C10_COMPOSITE, C10_DIRECT_RSUB, C10NP_COMPOSITE,
     C10NP_DIRECT_RSUB_B},
    {"dispatch_cpu_strict_no_decision", FT_CPU_NO_DECISION, FT_DIRECT_ADD, C10_CPU, C10_DIRECT_ADD, C10NP_CPU,
     C10NP_DIRECT_ADD_B},
};

[[noreturn]] void die(const char *what, const char *detail) {
    std::fprintf(stderr, "c10-dispatch-bench: %s: %s\n", what, detail);
    std::exit(1);
}

void must(ft_status st, const char *what) {
    if (st != FT_OK)
        die(what, ft_strerror(st));
}

/* --- checks before timing ------------------------------------------------- */

/* Where c10 routes a call: the kernel's dispatch key, from the op's own table
 * dump would be internal, so instead the keyset the call dispatches on is checked
 * against the key each route is meant to take. */
void check_c10_keys() {
    using c10::DispatchKey;
    const c10::DispatchKeySet inf = F.ia[0].key_set(), ord = F.ta[0].key_set();
    if (inf.has(DispatchKey::AutogradCPU) || inf.has(DispatchKey::ADInplaceOrView) || !inf.has(DispatchKey::CPU))
        die("c10 cpu route", "inference tensors carry autograd keys or no CPU key");
    if (!ord.has(DispatchKey::AutogradCPU) || !ord.has(DispatchKey::CPU))
        die("c10 autograd route", "ordinary tensors lack AutogradCPU");
    if (!F.ta[0].requires_grad() || F.pa[0].requires_grad() || !F.ia[0].is_inference())
        die("c10 tensors", "unexpected requires_grad / inference flags");
}

/* Every benchmark computes the value it should, through the route it should,
 * before anything is timed. */
void check_routes() {
    check_c10_keys();
    for (int i = 0; i < NVAR; i++) {
        const double x = F.x[i], y = F.y[i];
        if (F.add->call(F.ia[i], F.ib[i], x, y) != x + y)
            die("c10_cpu", "wrong result");
        if (F.add->call(F.ta[i], F.tb[i], x, y) != x + y)
            die("c10_autograd", "wrong result");
        if (F.rsub->call(F.pa[i], F.pb[i], x, y) != y - x)
            die("c10_composite", "wrong result");
        if (g_c10_add_fn(F.ta[i], F.tb[i], x, y) != x + y || g_c10_rsub_fn(F.pa[i], F.pb[i], x, y) != y - x)
            die("c10 direct", "wrong result");
        if (c10np_call_once(C10NP_ADD, F.ia[i], F.ib[i], x, y) != x + y ||
            c10np_call_once(C10NP_ADD, F.ta[i], F.tb[i], x, y) != x + y ||
            c10np_call_once(C10NP_RSUB, F.pa[i], F.pb[i], x, y) != y - x ||
            c10np_call_once(C10NP_DIRECT_ADD, F.ta[i], F.tb[i], x, y) != x + y ||
            c10np_call_once(C10NP_DIRECT_RSUB, F.pa[i], F.pb[i], x, y) != y - x)
            die("c10 without profiling", "wrong result");

        struct {
            const char *name;
            const ft_dispatch_ctx_t *ctx;
            const ft_op_t *op;
            const ft_scalar_t *a, *b;
            double want;
            const char *kernel;
            ft_key_t selected;
            bool fallback;
        } want[] = {
            {"ft_cpu_strict", &F.strict, F.ft_add, &F.a[i], &F.b[i], x + y, "cpu::add_scalar", FT_KEY_CPU, false},
            {"ft_autograd", &F.strict, F.ft_add, &F.ga[i], &F.gb[i], x + y, "cpu::add_scalar", FT_KEY_AUTOGRAD_CPU,
             false},
            {"ft_hardened_composite", &F.hardened, F.ft_rsub, &F.a[i], &F.b[i], y - x, "composite_explicit::rsub",
             FT_KEY_CPU, true},
        };
        for (const auto &w : want) {
            ft_decision_t d;
            ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
            must(ft_dispatch_binary(w.ctx, w.op, w.a, w.b, &out, &d), w.name);
            if (out.value != w.want || !d.kernel || std::strcmp(d.kernel, w.kernel) != 0 ||
                d.selected_key != w.selected || d.fallback_used != w.fallback || d.hop_count < 2)
                die(w.name, "unexpected route or value");
        }
        ft_scalar_t out = ft_scalar_make(0.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        must(g_ft_add_fn(nullptr, &F.a[i], &F.b[i], &out), "ft_direct_add");
        if (out.value != x + y)
            die("ft_direct_add", "wrong result");
        must(g_ft_rsub_fn(nullptr, &F.a[i], &F.b[i], &out), "ft_direct_rsub");
        if (out.value != y - x)
            die("ft_direct_rsub", "wrong result");
    }
    for (int b = 0; b < NBENCH; b++)
        if (run(b, NVAR) != 0)
            die(bench_name[b], "a call failed");
}

void setup() {
    at::set_num_threads(1);
    static const auto add = c10::Dispatcher::singleton().findSchemaOrThrow("ftbench::add", "").typed<Sig>();
    static const auto rsub = c10::Dispatcher::singleton().findSchemaOrThrow("ftbench::rsub", "").typed<Sig>();
    F.add = &add;
    F.rsub = &rsub;
    g_add_handle = &add;
    c10np_setup();
    const auto dbl = at::TensorOptions().dtype(at::kDouble);
    for (int i = 0; i < NVAR; i++) {
        F.x[i] = 1.0 + 0.25 * i;
        F.y[i] = 0.5 + 0.125 * i;
        F.ta.push_back(at::full({}, F.x[i], dbl).requires_grad_());
        F.tb.push_back(at::full({}, F.y[i], dbl).requires_grad_());
        F.pa.push_back(at::full({}, F.x[i], dbl));
        F.pb.push_back(at::full({}, F.y[i], dbl));
        c10::InferenceMode guard;
        F.ia.push_back(at::full({}, F.x[i], dbl));
        F.ib.push_back(at::full({}, F.y[i], dbl));
    }

    must(ft_registry_new(&F.reg), "ft_registry_new");
    must(ft_registry_find(F.reg, "add", &F.ft_add), "find add");
    must(ft_registry_find(F.reg, "rsub", &F.ft_rsub), "find rsub");
    ft_dispatch_ctx_init(&F.strict);
    ft_dispatch_ctx_init(&F.hardened);
    F.hardened.mode = FT_MODE_HARDENED;
    for (int i = 0; i < NVAR; i++) {
        F.a[i] = F.ga[i] = ft_scalar_make(F.x[i], FT_DTYPE_F64, FT_BACKEND_CPU, false);
        F.b[i] = F.gb[i] = ft_scalar_make(F.y[i], FT_DTYPE_F64, FT_BACKEND_CPU, false);
        F.ga[i].requires_grad = F.gb[i].requires_grad = true;
    }
    /* The baselines' kernels come from the tables, as the dispatcher's do. */
    ft_table_entry_t e;
    must(ft_op_table_entry(F.ft_add, FT_KEY_CPU, &e), "table entry add/CPU");
    if (!e.registration || !e.registration->fn)
        die("add", "no CPU kernel");
    g_ft_add_fn = e.registration->fn;
    must(ft_op_table_entry(F.ft_rsub, FT_KEY_CPU, &e), "table entry rsub/CPU");
    if (!e.registration || !e.registration->fn)
        die("rsub", "no kernel at CPU");
    g_ft_rsub_fn = e.registration->fn;
    check_routes();
}

/* --- timing ----------------------------------------------------------------- */

double time_run(int b, uint64_t n) {
    const uint64_t t0 = bench_now_ns();
    const int st = run(b, n);
    const uint64_t t1 = bench_now_ns();
    if (st != 0)
        die(bench_name[b], "a call failed during timing");
    return (double)(t1 - t0);
}

/* Iterations for one sample of about target_ns: doubling warm-up, then scaled by
 * the fastest of three runs. */
uint64_t calibrate(int b, double target_ns) {
    uint64_t n = 64;
    for (;;) {
        double dt = time_run(b, n);
        if (dt >= target_ns / 4 || n >= (UINT64_C(1) << 40)) {
            for (int k = 0; k < 2; k++)
                dt = std::min(dt, time_run(b, n));
            const double it = dt > 0 ? target_ns / (dt / (double)n) : (double)n;
            return it < 1 ? 1 : (uint64_t)it;
        }
        n *= 2;
    }
}

double median(std::vector<double> v) {
    return bench_median(v.data(), v.size());
}

void usage(FILE *f) {
    std::fprintf(f,
                 "usage: c10-dispatch-bench [--samples N] [--sample-ms MS] [--quick] [--help]\n"
                 "\n"
                 "Times libft's dispatcher and PyTorch 1.13's (c10) on the same routes, each against\n"
                 "a direct call of the same kernel, interleaved in one run. Prints JSON lines: a\n"
                 "\"_run\" header, then per route {\"bench\",\"c10_overhead_ns\",\"libft_overhead_ns\",\n"
                 "\"ratio_libft_over_c10\", the medians behind them, and paired overheads}.\n"
                 "\n"
                 "  --samples N     samples per benchmark, one per round (default %d)\n"
                 "  --sample-ms MS  target duration of one sample (default %.0f)\n"
                 "  --quick         smoke run: %d samples of ~%.0f ms unless set explicitly\n",
                 DEFAULT_SAMPLES, DEFAULT_SAMPLE_MS, QUICK_SAMPLES, QUICK_SAMPLE_MS);
}

} // namespace

int main(int argc, char **argv) {
    long samples = -1;
    double sample_ms = -1;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char *end = nullptr;
        if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else if (!std::strcmp(arg, "--quick")) {
            quick = true;
        } else if (!std::strcmp(arg, "--samples") && i + 1 < argc) {
            errno = 0;
            samples = std::strtol(argv[++i], &end, 10);
            if (errno || *end || samples < 1 || samples > 100000) {
                usage(stderr);
                return 2;
            }
        } else if (!std::strcmp(arg, "--sample-ms") && i + 1 < argc) {
            errno = 0;
            sample_ms = std::strtod(argv[++i], &end);
            if (errno || *end || !(sample_ms >= 0.01 && sample_ms <= 10000)) {
                usage(stderr);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (samples < 0)
        samples = quick ? QUICK_SAMPLES : DEFAULT_SAMPLES;
    if (sample_ms < 0)
        sample_ms = quick ? QUICK_SAMPLE_MS : DEFAULT_SAMPLE_MS;

    setup();
    const size_t ns = (size_t)samples;
    uint64_t iters[NBENCH];
    for (int b = 0; b < NBENCH; b++)
        iters[b] = calibrate(b, sample_ms * 1e6);
    std::vector<std::vector<double>> res(NBENCH, std::vector<double>(ns));
    for (size_t r = 0; r < ns; r++)
        for (int k = 0; k < NBENCH; k++) {
            const int b = (int)((k + r) % NBENCH);
            res[b][r] = time_run(b, iters[b]) / (double)iters[b];
        }

    std::printf("{\"bench\":\"_run\",\"tool\":\"c10-dispatch-bench\",\"libft\":\"%s\",\"torch\":\"%s\","
                "\"compiler\":\"%s\",\"ndebug\":true,\"num_threads\":%d,\"samples\":%zu,\"sample_ms\":%g,"
                "\"quick\":%s,\"c10_cpu_tensors\":\"inference\"}\n",
                ft_version(), FT_C10_TORCH_VERSION, BENCH_COMPILER, at::get_num_threads(), ns, sample_ms,
                quick ? "true" : "false");
    double med[NBENCH];
    for (int b = 0; b < NBENCH; b++)
        med[b] = median(res[b]);
    for (int b = 0; b < NBENCH; b++)
        std::printf("{\"bench\":\"%s\",\"unit\":\"ns/op\",\"median\":%.3f,\"iters_per_sample\":%llu}\n", bench_name[b],
                    med[b], (unsigned long long)iters[b]);
    for (const Route &rt : routes) {
        const double c10_over = med[rt.c10] - med[rt.c10_base], ft_over = med[rt.ft] - med[rt.ft_base];
        const double np_over = med[rt.np] - med[rt.np_base];
        std::vector<double> dc(ns), df(ns);
        for (size_t r = 0; r < ns; r++) {
            dc[r] = res[rt.c10][r] - res[rt.c10_base][r];
            df[r] = res[rt.ft][r] - res[rt.ft_base][r];
        }
        std::printf("{\"bench\":\"%s\",\"c10_overhead_ns\":%.3f,\"libft_overhead_ns\":%.3f,"
                    "\"ratio_libft_over_c10\":%.3f,\"c10_median\":%.3f,\"c10_direct\":%.3f,\"libft_median\":%.3f,"
                    "\"libft_direct\":%.3f,\"c10_overhead_paired_ns\":%.3f,\"libft_overhead_paired_ns\":%.3f,"
                    "\"c10_noprof_overhead_ns\":%.3f,\"ratio_libft_over_c10_noprof\":%.3f}\n",
                    rt.name, c10_over, ft_over, c10_over > 0 ? ft_over / c10_over : 0.0, med[rt.c10], med[rt.c10_base],
                    med[rt.ft], med[rt.ft_base], median(dc), median(df), np_over,
                    np_over > 0 ? ft_over / np_over : 0.0);
    }
    ft_registry_free(F.reg);
    return std::fflush(stdout) == 0 ? 0 : 1;
}
