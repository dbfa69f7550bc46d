/* CPU scalar kernels. Each computes in the operands' dtype: f32 operands are
 * narrowed to float and the float result widened back, as torch's CPU float32
 * kernels round every result to float. */
#include <math.h>

#include "kernels_cpu.h"

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

#define DEFINE_KERNEL(name, f64_expr, f32_expr)                                                                        \
    ft_status ftp_cpu_##name(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,                 \
                             ft_scalar_t *out) {                                                                       \
        (void)call;                                                                                                    \
        if (a->dtype == FT_DTYPE_F32) {                                                                                \
            const float x = (float)a->value, y = (float)b->value;                                                      \
            out->value = (double)(float)(f32_expr);                                                                    \
        } else {                                                                                                       \
            const double x = a->value, y = b->value;                                                                   \
            out->value = (f64_expr);                                                                                   \
        }                                                                                                              \
        return FT_OK;                                                                                                  \
    }

DEFINE_KERNEL(add, x + y, x + y)
DEFINE_KERNEL(sub, x - y, x - y)
DEFINE_KERNEL(mul, x *y, x *y)
DEFINE_KERNEL(div, x / y, x / y)
DEFINE_KERNEL(maximum, max_f64(x, y), max_f32(x, y))
DEFINE_KERNEL(minimum, min_f64(x, y), min_f32(x, y))
DEFINE_KERNEL(atan2, atan2(x, y), atan2f(x, y))
DEFINE_KERNEL(pow, pow(x, y), powf(x, y))
/* rsub(a, b) = b - a: CompositeExplicitAutograd, computed directly. */
DEFINE_KERNEL(rsub, y - x, y - x)
