/* Derivatives of the built-in operators: torch 1.13's formulas, with its order
 * of operations, computed in the operands' dtype. For f32, every +, -, *, / is
 * rounded to float (exactly what float arithmetic gives, since a double holds
 * the exact sum or product of two floats before rounding); pow and log use the
 * float libm functions, as torch's float kernels do. */
#include <math.h>

#include "kernels_cpu.h"

static double r(ft_dtype_t dt, double x) {
    return dt == FT_DTYPE_F32 ? (double)(float)x : x;
}

static double pow_in(ft_dtype_t dt, double a, double b) {
    return dt == FT_DTYPE_F32 ? (double)powf((float)a, (float)b) : pow(a, b);
}

static double log_in(ft_dtype_t dt, double a) {
    return dt == FT_DTYPE_F32 ? (double)logf((float)a) : log(a);
}

#define UNUSED_PAYLOAD (void)payload

ft_status ftp_backward_add(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    *ga = x->grad;
    *gb = x->grad;
    return FT_OK;
}

ft_status ftp_backward_sub(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    *ga = x->grad;
    *gb = -x->grad;
    return FT_OK;
}

ft_status ftp_backward_mul(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    *ga = r(x->dtype, x->grad * x->b);
    *gb = r(x->dtype, x->grad * x->a);
    return FT_OK;
}

/* self: grad / other; other: -grad * ((self / other) / other) */
ft_status ftp_backward_div(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    const ft_dtype_t dt = x->dtype;
    *ga = r(dt, x->grad / x->b);
    *gb = r(dt, -x->grad * r(dt, r(dt, x->a / x->b) / x->b));
    return FT_OK;
}

/* where(a == b, grad / 2, grad), then zero on the side that lost. NaN operands
 * compare false everywhere, so both sides get the whole gradient. */
static void extremum(const ft_backward_args_t *x, bool maximum, double *ga, double *gb) {
    const double shared = x->a == x->b ? r(x->dtype, x->grad / 2) : x->grad;
    const bool a_lost = maximum ? x->a < x->b : x->a > x->b;
    const bool b_lost = maximum ? x->a > x->b : x->a < x->b;
    *ga = a_lost ? 0.0 : shared;
    *gb = b_lost ? 0.0 : shared;
}

ft_status ftp_backward_maximum(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    extremum(x, true, ga, gb);
    return FT_OK;
}

ft_status ftp_backward_minimum(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    extremum(x, false, ga, gb);
    return FT_OK;
}

/* recip = 1 / (a*a + b*b); self: grad * b * recip; other: grad * -a * recip */
ft_status ftp_backward_atan2(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    const ft_dtype_t dt = x->dtype;
    const double recip = r(dt, 1.0 / r(dt, r(dt, x->a * x->a) + r(dt, x->b * x->b)));
    *ga = r(dt, r(dt, x->grad * x->b) * recip);
    *gb = r(dt, r(dt, x->grad * -x->a) * recip);
    return FT_OK;
}

/* self: where(b == 0, 0, grad * (b * pow(a, b - 1)));
 * other: grad * where(a == 0 && b >= 0, 0, result * log(a)) — the mask is inside
 * the product, so a NaN or negative grad still shows (NaN, -0) */
ft_status ftp_backward_pow(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    const ft_dtype_t dt = x->dtype;
    if (x->need_a)
        *ga = x->b == 0 ? 0.0 : r(dt, x->grad * r(dt, x->b * pow_in(dt, x->a, r(dt, x->b - 1))));
    if (x->need_b)
        *gb = r(dt, x->grad * (x->a == 0 && x->b >= 0 ? 0.0 : r(dt, x->result * log_in(dt, x->a))));
    return FT_OK;
}

/* rsub(a, b) = b - alpha * a with alpha 1: self: -grad * alpha; other: grad */
ft_status ftp_backward_rsub(const ft_backward_args_t *x, double *ga, double *gb, void *payload) {
    UNUSED_PAYLOAD;
    *ga = -x->grad;
    *gb = x->grad;
    return FT_OK;
}
