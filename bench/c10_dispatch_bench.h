/* c10-dispatch-bench: the op registration both translation units use, and what
 * the second one (c10_dispatch_noprof.cpp, c10 without the per-op profiling
 * check) offers the main one. */
#ifndef FT_C10_DISPATCH_BENCH_H
#define FT_C10_DISPATCH_BENCH_H

#include <ATen/core/Tensor.h>
#include <torch/library.h>

#include <cstdint>

/* Defines op namespace ns with the two bench ops, add and rsub, both of schema
 * "(params) -> float", and registers add's CPU and Autograd kernels and rsub's
 * CompositeExplicitAutograd kernel. Each translation unit uses its own ns and
 * signature (see c10_dispatch_noprof.cpp), so this is a macro, not a function. */
#define FT_C10_BENCH_OPS(ns, params, add_cpu, add_autograd, rsub_composite)                                            \
    TORCH_LIBRARY(ns, m) {                                                                                             \
        m.def("add(" params ") -> float");                                                                             \
        m.def("rsub(" params ") -> float");                                                                            \
    }                                                                                                                  \
    TORCH_LIBRARY_IMPL(ns, CPU, m) {                                                                                   \
        m.impl("add", TORCH_FN(add_cpu));                                                                              \
    }                                                                                                                  \
    TORCH_LIBRARY_IMPL(ns, Autograd, m) {                                                                              \
        m.impl("add", TORCH_FN(add_autograd));                                                                         \
    }                                                                                                                  \
    TORCH_LIBRARY_IMPL(ns, CompositeExplicitAutograd, m) {                                                             \
        m.impl("rsub", TORCH_FN(rsub_composite));                                                                      \
    }

enum C10npRoute { C10NP_DIRECT_ADD, C10NP_DIRECT_RSUB, C10NP_ADD, C10NP_RSUB };

/* Caches the typed handles of ftbench_np::add / ::rsub. Call once first. */
void c10np_setup();
/* One call on a route, for the checks before timing. */
double c10np_call_once(C10npRoute route, const at::Tensor &a, const at::Tensor &b, double x, double y);
/* n calls on operand pairs i & mask; the timed loop. Returns 0. */
int c10np_run(C10npRoute route, const at::Tensor *A, const at::Tensor *B, const double *x, const double *y,
              unsigned mask, uint64_t n);

#endif
