/* Reference model: the values of the built-in operators with torch 1.13's CPU
 * semantics (SPEC §7), and their local derivatives.
 *
 * Values. Each op is computed in the operands' dtype: float32 in float (not in
 * double and then rounded), float64 in double, with the libm torch's CPU
 * kernels call (pow/powf, atan2/atan2f; the oracle README shows they agree bit
 * for bit with torch 1.13 under ATEN_CPU_CAPABILITY=default). NaN handling is
 * the hardware's for + - * / (a NaN operand comes back quieted with its sign
 * and payload; an invalid operation gives the x86 default NaN, which is
 * negative), except maximum/minimum, which return the positive quiet NaN
 * whatever the operands' NaN was (c10 returns quiet_NaN()), and except when
 * both operands are NaN: which one comes back is a per-op fact (two_nan_t). On equal operands
 * (including -0 vs +0) maximum/minimum return the lhs, as std::max/std::min.
 * add and sub are a + 1*b and a + (-1)*b in ATen; multiplying by ±1 is exact and
 * keeps a NaN's bits on x86, so plain a + b and a - b give the same bits.
 * rsub(a, b) = b - a; sqdiff(a, b) = d*d with d = a - b, each rounded.
 *
 * Derivatives (ftdr_partials): the coefficients of torch 1.13's backward
 * formulas (tools/autograd/derivatives.yaml), as a row of the Jacobian, so
 * forward-mode tangents and reverse-mode gradients use the same numbers, and
 * where torch masks a side (where / masked_fill_) a flag saying so.
 * Non-differentiable points take torch's choices:
 *   - maximum/minimum at a tie (a == b, -0 == +0 included): 1/2 to each side;
 *     with a NaN operand every comparison is false, so each side gets 1; the
 *     strictly losing side is masked to 0;
 *   - pow: d/da is masked to 0 when b == 0 (whatever a, even 0 or NaN);
 *     d/db is 0 when a == 0 and b >= 0, otherwise r * log(a) (NaN for a < 0,
 *     -inf/inf at a == 0 with b < 0, as torch computes);
 *   - atan2 at (0, 0): 1/(a*a + b*b) is inf, so both coefficients are 0*inf =
 *     NaN, as torch gives;
 *   - div by zero: the formula's inf/NaN, as torch gives.
 * The coefficients are computed in the dtype, step by step as the formula
 * does (so f32 overflow and underflow inside a formula happen as in torch);
 * the tangents they multiply are carried in double by the caller, so f32
 * programs differ from torch's float backward by rounding (and by overflow of
 * the products, which the caller's magnitude bound detects). */
#include <math.h>
#include <string.h>

#include "refmodel_internal.h"

/* The positive quiet NaN (c10's std::numeric_limits<T>::quiet_NaN()). */
static double quiet_nan64(void) {
    const uint64_t bits = UINT64_C(0x7ff8000000000000);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static float quiet_nan32(void) {
    const uint32_t bits = UINT32_C(0x7fc00000);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static double add64(double a, double b) {
    return a + b;
}
static double sub64(double a, double b) {
    return a - b;
}
static double mul64(double a, double b) {
    return a * b;
}
static double div64(double a, double b) {
    return a / b;
}
static double max64(double a, double b) {
    if (isnan(a) || isnan(b))
        return quiet_nan64();
    return a < b ? b : a;
}
static double min64(double a, double b) {
    if (isnan(a) || isnan(b))
        return quiet_nan64();
    return b < a ? b : a;
}
static double atan2_64(double a, double b) {
    return atan2(a, b);
}
static double pow64(double a, double b) {
    return pow(a, b);
}
static double rsub64(double a, double b) {
    return b - a;
}
static double sqdiff64(double a, double b) {
    const double d = a - b;
    return d * d;
}

static float add32(float a, float b) {
    return a + b;
}
static float sub32(float a, float b) {
    return a - b;
}
static float mul32(float a, float b) {
    return a * b;
}
static float div32(float a, float b) {
    return a / b;
}
static float max32(float a, float b) {
    if (isnan(a) || isnan(b))
        return quiet_nan32();
    return a < b ? b : a;
}
static float min32(float a, float b) {
    if (isnan(a) || isnan(b))
        return quiet_nan32();
    return b < a ? b : a;
}
static float atan2_32(float a, float b) {
    return atan2f(a, b);
}
static float pow32(float a, float b) {
    return powf(a, b);
}
static float rsub32(float a, float b) {
    return b - a;
}
static float sqdiff32(float a, float b) {
    const float d = a - b;
    return d * d;
}

/* Which NaN comes back when both operands are NaN. The hardware returns
 * whichever operand the instruction has first, and which that is depends on
 * how torch's kernels are written and compiled (a + alpha*b as a fused
 * vector expression puts b first; a C compiler may swap the operands of + and
 * * freely), so it is a fact per op, probed on torch 1.13 (quiet and
 * signalling NaNs of both signs with payloads, f64 and f32):
 *   add, sub, mul, atan2, sqdiff: the rhs; div, pow, rsub: the lhs;
 *   maximum, minimum: the positive quiet NaN. */
typedef enum { NAN_LHS, NAN_RHS, NAN_CANONICAL } two_nan_t;

typedef struct {
    const char *name;
    double (*f64)(double, double);
    float (*f32)(float, float);
    two_nan_t two_nan;
} kernel_t;

static const kernel_t kernels[] = {
    {"add", add64, add32, NAN_RHS},           {"sub", sub64, sub32, NAN_RHS},
    {"mul", mul64, mul32, NAN_RHS},           {"div", div64, div32, NAN_LHS},
    {"maximum", max64, max32, NAN_CANONICAL}, {"minimum", min64, min32, NAN_CANONICAL},
    {"atan2", atan2_64, atan2_32, NAN_RHS},   {"pow", pow64, pow32, NAN_LHS},
    {"rsub", rsub64, rsub32, NAN_LHS},        {"sqdiff", sqdiff64, sqdiff32, NAN_RHS},
};

static const kernel_t *find_kernel(const char *op) {
    for (size_t i = 0; op && i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(kernels[i].name, op) == 0)
            return &kernels[i];
    return NULL;
}

/* A NaN made quiet (the hardware sets the quiet bit of a signalling NaN it
 * passes on), sign and payload kept. */
static double quiet64(double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits |= UINT64_C(1) << 51;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static float quiet32(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits |= UINT32_C(1) << 22;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static double both_nan64(two_nan_t rule, double a, double b) {
    return rule == NAN_LHS ? quiet64(a) : rule == NAN_RHS ? quiet64(b) : quiet_nan64();
}

static float both_nan32(two_nan_t rule, float a, float b) {
    return rule == NAN_LHS ? quiet32(a) : rule == NAN_RHS ? quiet32(b) : quiet_nan32();
}

/* Raw bits in, raw bits out: a float32 operand is read straight from its 32
 * bits, so a signalling NaN reaches the kernel as torch's float kernels see it
 * (widening it to double on the way would quiet it, and glibc's powf treats
 * pow(1, sNaN) and pow(sNaN, 0) differently from the quiet NaN: NaN, not 1). */
bool ftdr_kernel_bits(const char *op, ft_dtype_t dtype, uint64_t a, uint64_t b, uint64_t *out) {
    const kernel_t *k = find_kernel(op);
    if (!k || (dtype != FT_DTYPE_F64 && dtype != FT_DTYPE_F32))
        return false;
    if (dtype == FT_DTYPE_F32) {
        const uint32_t wa = (uint32_t)a, wb = (uint32_t)b;
        float x, y;
        memcpy(&x, &wa, sizeof x);
        memcpy(&y, &wb, sizeof y);
        const float r = isnan(x) && isnan(y) ? both_nan32(k->two_nan, x, y) : k->f32(x, y);
        uint32_t wr;
        memcpy(&wr, &r, sizeof wr);
        *out = wr;
    } else {
        double x, y;
        memcpy(&x, &a, sizeof x);
        memcpy(&y, &b, sizeof y);
        const double r = isnan(x) && isnan(y) ? both_nan64(k->two_nan, x, y) : k->f64(x, y);
        memcpy(out, &r, sizeof *out);
    }
    return true;
}

bool ftd_ref_kernel(const char *op, ft_dtype_t dtype, double a, double b, double *out) {
    uint64_t r;
    if (!ftdr_kernel_bits(op, dtype, ftd_value_bits(a, dtype), ftd_value_bits(b, dtype), &r))
        return false;
    const ftd_operand_t o = {r, dtype, FT_BACKEND_CPU, false};
    *out = ftd_operand_value(&o);
    return true;
}

static ftdr_partial_t coef(double c) {
    const ftdr_partial_t p = {c, false, c, false};
    return p;
}

static ftdr_partial_t masked(void) {
    const ftdr_partial_t p = {0.0, true, 0.0, false};
    return p;
}

/* maximum/minimum: `a_lost` / `b_lost` say a side is strictly beaten; torch
 * masks its gradient to 0. Otherwise a tie (a == b, -0 == +0 included) gives
 * each side half, and a NaN operand (every comparison false) gives both all. */
static void extremum_partials(double a, double b, bool a_lost, bool b_lost, ftdr_partial_t *da, ftdr_partial_t *db) {
    const double share = a == b ? 0.5 : 1.0;
    *da = a_lost ? masked() : coef(share);
    *db = b_lost ? masked() : coef(share);
}

/* One arithmetic step of a derivative formula in the dtype: f32 results are
 * rounded to float, so an overflow (a*a past 3.4e38) or underflow happens
 * where torch's float backward has it. A double holds every +, -, *, / of two
 * floats closely enough that rounding it to float is float arithmetic. */
static double in(ft_dtype_t dt, double x) {
    return dt == FT_DTYPE_F32 ? (double)(float)x : x;
}

static double pow_in(ft_dtype_t dt, double a, double b) {
    return dt == FT_DTYPE_F32 ? (double)powf((float)a, (float)b) : pow(a, b);
}

static double log_in(ft_dtype_t dt, double a) {
    return dt == FT_DTYPE_F32 ? (double)logf((float)a) : log(a);
}

bool ftdr_partials(const char *op, ft_dtype_t dt, double a, double b, double r, ftdr_partial_t *da,
                   ftdr_partial_t *db) {
    if (!op)
        return false;
    if (strcmp(op, "add") == 0) {
        *da = coef(1.0);
        *db = coef(1.0);
    } else if (strcmp(op, "sub") == 0) {
        *da = coef(1.0);
        *db = coef(-1.0);
    } else if (strcmp(op, "rsub") == 0) {
        *da = coef(-1.0);
        *db = coef(1.0);
    } else if (strcmp(op, "mul") == 0) {
        *da = coef(b);
        *db = coef(a);
    } else if (strcmp(op, "div") == 0) {
        /* self: grad / other; other: -grad * ((self / other) / other) */
        *da = coef(in(dt, 1.0 / b));
        *db = coef(-in(dt, in(dt, a / b) / b));
    } else if (strcmp(op, "maximum") == 0) {
        extremum_partials(a, b, a<b, a> b, da, db);
    } else if (strcmp(op, "minimum") == 0) {
        extremum_partials(a, b, a > b, a < b, da, db);
    } else if (strcmp(op, "atan2") == 0) {
        /* rc = 1 / (self^2 + other^2); self: grad * other * rc; other: grad * -self * rc */
        const double rc = in(dt, 1.0 / in(dt, in(dt, a * a) + in(dt, b * b)));
        *da = coef(in(dt, b * rc));
        *db = coef(in(dt, -a * rc));
        da->first = b;
        db->first = -a;
        da->fragile = da->coef == 0 && b != 0 && rc != 0;
        db->fragile = db->coef == 0 && a != 0 && rc != 0;
    } else if (strcmp(op, "pow") == 0) {
        /* base: where(b == 0, 0, g * b * pow(a, b - 1)) masks; exponent:
         * g * where(a == 0 && b >= 0, 0, r * log(a)) multiplies by a real 0 */
        *da = b == 0 ? masked() : coef(in(dt, b * pow_in(dt, a, in(dt, b - 1.0))));
        *db = coef((a == 0 && b >= 0) ? 0.0 : in(dt, r * log_in(dt, a)));
    } else if (strcmp(op, "sqdiff") == 0) {
        /* through its decomposition: d = a - b, r = d*d, dr/dd = d + d */
        const double d = in(dt, a - b);
        *da = coef(in(dt, d + d));
        *db = coef(-in(dt, d + d));
    } else {
        return false;
    }
    return true;
}
