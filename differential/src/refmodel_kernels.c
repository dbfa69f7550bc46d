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
 * whatever the operands' NaN was (c10 returns quiet_NaN()). On equal operands
 * (including -0 vs +0) maximum/minimum return the lhs, as std::max/std::min.
 * add and sub are a + 1*b and a + (-1)*b in ATen; multiplying by ±1 is exact and
 * keeps a NaN's bits on x86, so plain a + b and a - b give the same bits.
 * rsub(a, b) = b - a; sqdiff(a, b) = d*d with d = a - b, each rounded.
 *
 * Derivatives (ftdr_partials): the coefficients of torch 1.13's backward
 * formulas (tools/autograd/derivatives.yaml), as a row of the Jacobian, so
 * forward-mode tangents and reverse-mode gradients use the same numbers.
 * Non-differentiable points take torch's choices:
 *   - maximum/minimum at a tie (a == b, -0 == +0 included): 1/2 to each side;
 *     with a NaN operand every comparison is false, so each side gets 1;
 *   - pow: d/da is 0 when b == 0 (whatever a, even 0 or NaN: torch masks it);
 *     d/db is 0 when a == 0 and b >= 0, otherwise r * log(a) (NaN for a < 0,
 *     -inf/inf at a == 0 with b < 0, as torch computes);
 *   - atan2 at (0, 0): 1/(a*a + b*b) is inf, so both coefficients are 0*inf =
 *     NaN, as torch gives;
 *   - div by zero: the formula's inf/NaN, as torch gives.
 * The coefficients are computed in double; f32 programs therefore differ from
 * torch's float backward by rounding only (the gradient checks allow it). */
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

typedef struct {
    const char *name;
    double (*f64)(double, double);
    float (*f32)(float, float);
} kernel_t;

static const kernel_t kernels[] = {
    {"add", add64, add32},     {"sub", sub64, sub32},          {"mul", mul64, mul32},         {"div", div64, div32},
    {"maximum", max64, max32}, {"minimum", min64, min32},      {"atan2", atan2_64, atan2_32}, {"pow", pow64, pow32},
    {"rsub", rsub64, rsub32},  {"sqdiff", sqdiff64, sqdiff32},
};

static const kernel_t *find_kernel(const char *op) {
    for (size_t i = 0; op && i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(kernels[i].name, op) == 0)
            return &kernels[i];
    return NULL;
}

bool ftd_ref_kernel(const char *op, ft_dtype_t dtype, double a, double b, double *out) {
    const kernel_t *k = find_kernel(op);
    if (!k || (dtype != FT_DTYPE_F64 && dtype != FT_DTYPE_F32))
        return false;
    if (dtype == FT_DTYPE_F32)
        *out = (double)k->f32((float)a, (float)b);
    else
        *out = k->f64(a, b);
    return true;
}

/* The share of the incoming gradient each side of maximum/minimum gets
 * (`a_lost` / `b_lost`: that side is strictly beaten, so it gets nothing). */
static void extremum_partials(double a, double b, bool a_lost, bool b_lost, double *da, double *db) {
    const double share = a == b ? 0.5 : 1.0; /* a tie splits; NaN compares unequal */
    *da = a_lost ? 0.0 : share;
    *db = b_lost ? 0.0 : share;
}

bool ftdr_partials(const char *op, double a, double b, double r, double *da, double *db) {
    if (!op)
        return false;
    if (strcmp(op, "add") == 0) {
        *da = 1.0;
        *db = 1.0;
    } else if (strcmp(op, "sub") == 0) {
        *da = 1.0;
        *db = -1.0;
    } else if (strcmp(op, "rsub") == 0) {
        *da = -1.0;
        *db = 1.0;
    } else if (strcmp(op, "mul") == 0) {
        *da = b;
        *db = a;
    } else if (strcmp(op, "div") == 0) {
        *da = 1.0 / b;
        *db = -((a / b) / b);
    } else if (strcmp(op, "maximum") == 0) {
        extremum_partials(a, b, a<b, a> b, da, db);
    } else if (strcmp(op, "minimum") == 0) {
        extremum_partials(a, b, a > b, a < b, da, db);
    } else if (strcmp(op, "atan2") == 0) {
        const double rc = 1.0 / (a * a + b * b);
        *da = b * rc;
        *db = -a * rc;
    } else if (strcmp(op, "pow") == 0) {
        *da = b == 0 ? 0.0 : b * pow(a, b - 1.0);
        *db = (a == 0 && b >= 0) ? 0.0 : r * log(a);
    } else if (strcmp(op, "sqdiff") == 0) {
        /* through its decomposition: d = a - b, r = d*d, dr/dd = d + d */
        const double d = a - b;
        *da = d + d;
        *db = -(d + d);
    } else {
        return false;
    }
    return true;
}
