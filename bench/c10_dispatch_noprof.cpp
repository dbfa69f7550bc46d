/* c10-dispatch-bench, second translation unit: the same c10 routes with the
 * per-op profiling check compiled out (PYTORCH_DISABLE_PER_OP_PROFILING, as
 * mobile builds do), i.e. c10's bare dispatch: keyset extraction, the TLS
 * include/exclude sets, the non-fallthrough mask and one table lookup. Debian's
 * and the usual builds keep the check (at::getStepCallbacksUnlessEmpty, a call
 * into libtorch_cpu with a thread-local lookup) on every call; the main file
 * measures that. The macro changes Dispatcher::call, an inline template, so this
 * file uses its own ops with a signature of their own (an extra bool): its
 * instantiations never meet the main file's. */
#define PYTORCH_DISABLE_PER_OP_PROFILING 1
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <cstdint>

#include "c10_dispatch_bench.h"

namespace {

using at::Tensor;
using SigNp = double(const Tensor &, const Tensor &, double, double, bool);

double add_cpu_np(const Tensor &, const Tensor &, double x, double y, bool) {
    return x + y;
}

double rsub_composite_np(const Tensor &, const Tensor &, double x, double y, bool) {
    return y - x;
}

const c10::TypedOperatorHandle<SigNp> *g_add_np, *g_rsub_np;

double add_autograd_np(c10::DispatchKeySet ks, const Tensor &a, const Tensor &b, double x, double y, bool u) {
    return g_add_np->redispatch(ks & c10::after_autograd_keyset, a, b, x, y, u);
}

SigNp *volatile g_add_np_fn = add_cpu_np;
SigNp *volatile g_rsub_np_fn = rsub_composite_np;
volatile double g_sink_np;

} // namespace

FT_C10_BENCH_OPS(ftbench_np, "Tensor a, Tensor b, float x, float y, bool u", add_cpu_np, add_autograd_np,
                 rsub_composite_np)

void c10np_setup() {
    static const auto add = c10::Dispatcher::singleton().findSchemaOrThrow("ftbench_np::add", "").typed<SigNp>();
    static const auto rsub = c10::Dispatcher::singleton().findSchemaOrThrow("ftbench_np::rsub", "").typed<SigNp>();
    g_add_np = &add;
    g_rsub_np = &rsub;
}

double c10np_call_once(C10npRoute route, const Tensor &a, const Tensor &b, double x, double y) {
    switch (route) {
    case C10NP_DIRECT_ADD:
        return g_add_np_fn(a, b, x, y, false);
    case C10NP_DIRECT_RSUB:
        return g_rsub_np_fn(a, b, x, y, false);
    case C10NP_ADD:
        return g_add_np->call(a, b, x, y, false);
    case C10NP_RSUB:
        return g_rsub_np->call(a, b, x, y, false);
    }
    return 0;
}

int c10np_run(C10npRoute route, const Tensor *A, const Tensor *B, const double *x, const double *y, unsigned mask,
              uint64_t n) {
    double acc = 0;
    switch (route) {
    case C10NP_DIRECT_ADD: {
        SigNp *fn = g_add_np_fn;
        for (uint64_t i = 0; i < n; i++)
            acc += fn(A[i & mask], B[i & mask], x[i & mask], y[i & mask], false);
        break;
    }
    case C10NP_DIRECT_RSUB: {
        SigNp *fn = g_rsub_np_fn;
        for (uint64_t i = 0; i < n; i++)
            acc += fn(A[i & mask], B[i & mask], x[i & mask], y[i & mask], false);
        break;
    }
    case C10NP_ADD:
    case C10NP_RSUB: {
        const auto &op = route == C10NP_ADD ? *g_add_np : *g_rsub_np;
        for (uint64_t i = 0; i < n; i++)
            acc += op.call(A[i & mask], B[i & mask], x[i & mask], y[i & mask], false);
        break;
    }
    }
    g_sink_np = acc;
    return 0;
}
