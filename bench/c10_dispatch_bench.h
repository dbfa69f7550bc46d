/* c10-dispatch-bench: what its second translation unit (c10_dispatch_noprof.cpp,
 * c10 without the per-op profiling check) offers the main one. */
#ifndef FT_C10_DISPATCH_BENCH_H
#define FT_C10_DISPATCH_BENCH_H

#include <ATen/core/Tensor.h>

#include <cstdint>

enum C10npRoute { C10NP_DIRECT_ADD, C10NP_DIRECT_RSUB, C10NP_ADD, C10NP_RSUB };

/* Caches the typed handles of ftbench_np::add / ::rsub. Call once first. */
void c10np_setup();
/* One call on a route, for the checks before timing. */
double c10np_call_once(C10npRoute route, const at::Tensor &a, const at::Tensor &b, double x, double y);
/* n calls on operand pairs i & mask; the timed loop. Returns 0. */
int c10np_run(C10npRoute route, const at::Tensor *A, const at::Tensor *B, const double *x, const double *y,
              unsigned mask, uint64_t n);

#endif
