/* CPU scalar kernels. Each computes in the operands' dtype: f32 operands are
 * narrowed to float and the float result widened back, as torch's CPU float32
 * kernels round every result to float. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ft/tensor.h"
#include "kernels_cpu.h"

/* When both operands are NaN the hardware hands back whichever the instruction
 * has first, and a compiler may swap the operands of + and *: so which one torch
 * returns is a per-op fact (probed on torch 1.13, quiet and signalling NaNs of
 * both signs with payloads): add, sub, mul, atan2 give the rhs, div, pow, rsub
 * the lhs, quieted, sign and payload kept. maximum/minimum give the positive
 * quiet NaN whatever the operands (below). */
enum { TWO_NAN_LHS, TWO_NAN_RHS, TWO_NAN_ANY };

static double quiet_f64(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b |= UINT64_C(1) << 51;
    memcpy(&x, &b, sizeof x);
    return x;
}

static float quiet_f32(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    b |= UINT32_C(1) << 22;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* torch.maximum / torch.minimum propagate NaN instead of picking the other operand. */
static double max_f64(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : (a < b ? b : a);
}
static float max_f32(float a, float b) {
    return isnan(a) || isnan(b) ? NAN : (a < b ? b : a);
}
static double min_f64(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : (b < a ? b : a);
}
static float min_f32(float a, float b) {
    return isnan(a) || isnan(b) ? NAN : (b < a ? b : a);
}

/* f32 operands are narrowed bit-exactly (a signalling NaN reaches powf as
 * one) and the float result widened back the same way. */
#define DEFINE_KERNEL(name, two_nan, f64_expr, f32_expr)                                                               \
    ft_status ftp_cpu_##name(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,                 \
                             ft_scalar_t *out) {                                                                       \
        (void)call;                                                                                                    \
        if (a->dtype == FT_DTYPE_F32) {                                                                                \
            const float x = ft_f32_narrow(a->value), y = ft_f32_narrow(b->value);                                      \
            const float r = two_nan != TWO_NAN_ANY && isnan(x) && isnan(y) ? quiet_f32(two_nan == TWO_NAN_LHS ? x : y) \
                                                                           : (float)(f32_expr);                        \
            out->value = ft_f32_widen(r);                                                                              \
        } else {                                                                                                       \
            const double x = a->value, y = b->value;                                                                   \
            out->value = two_nan != TWO_NAN_ANY && isnan(x) && isnan(y) ? quiet_f64(two_nan == TWO_NAN_LHS ? x : y)    \
                                                                        : (f64_expr);                                  \
        }                                                                                                              \
        return FT_OK;                                                                                                  \
    }

DEFINE_KERNEL(add, TWO_NAN_RHS, x + y, x + y)
DEFINE_KERNEL(sub, TWO_NAN_RHS, x - y, x - y)
DEFINE_KERNEL(mul, TWO_NAN_RHS, x *y, x *y)
DEFINE_KERNEL(div, TWO_NAN_LHS, x / y, x / y)
DEFINE_KERNEL(maximum, TWO_NAN_ANY, max_f64(x, y), max_f32(x, y))
DEFINE_KERNEL(minimum, TWO_NAN_ANY, min_f64(x, y), min_f32(x, y))
DEFINE_KERNEL(atan2, TWO_NAN_RHS, atan2(x, y), atan2f(x, y))
DEFINE_KERNEL(pow, TWO_NAN_LHS, pow(x, y), powf(x, y))
/* rsub(a, b) = b - a: CompositeExplicitAutograd, computed directly. */
DEFINE_KERNEL(rsub, TWO_NAN_LHS, y - x, y - x)
