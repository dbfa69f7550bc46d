/* CPU kernels through dispatch: per-op values in both dtypes, IEEE edge cases as
 * torch 1.13 gives them (the full grid is the oracle fixtures' job; these pin
 * the cases a reader would ask about). */
#include <math.h>

#include "ft/ft.h"
#include "ft_test.h"

static ft_registry_t *reg;

static ft_status run(const char *opname, ft_mode_t mode, double a, double b, ft_dtype_t dt, ft_scalar_t *out) {
    const ft_op_t *op;
    if (!reg && ft_registry_new(&reg) != FT_OK)
        return FT_ENOMEM;
    ft_status st = ft_registry_find(reg, opname, &op);
    if (st != FT_OK)
        return st;
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.mode = mode;
    const ft_scalar_t x = ft_scalar_make(a, dt, FT_BACKEND_CPU, false),
                      y = ft_scalar_make(b, dt, FT_BACKEND_CPU, false);
    return ft_dispatch_binary(&ctx, op, &x, &y, out, NULL);
}

static uint64_t bits64(double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* Same bits (NaN payload and sign included). */
#define CHECK_F64(op, a, b, want)                                                                                      \
    do {                                                                                                               \
        ft_scalar_t o_;                                                                                                \
        FT_CHECK_STATUS(run(op, FT_MODE_HARDENED, a, b, FT_DTYPE_F64, &o_), FT_OK);                                    \
        FT_CHECK_MSG(bits64(o_.value) == bits64(want), "%s(%g, %g) = %.17g, want %.17g", op, (double)(a), (double)(b), \
                     o_.value, (double)(want));                                                                        \
    } while (0)

static void kernels_basic_values_both_dtypes(void) {
    CHECK_F64("add", 1.5, 2.25, 3.75);
    CHECK_F64("sub", 1.5, 2.25, -0.75);
    CHECK_F64("mul", 1.5, -2, -3);
    CHECK_F64("div", 1, 4, 0.25);
    CHECK_F64("maximum", -1, 2, 2);
    CHECK_F64("minimum", -1, 2, -1);
    CHECK_F64("pow", 2, 10, 1024);
    CHECK_F64("atan2", 1, 1, atan2(1, 1));
    CHECK_F64("rsub", 5, 2, -3);  /* b - a */
    CHECK_F64("sqdiff", 5, 2, 9); /* (a - b)^2 via sub and mul */
    ft_scalar_t o;
    FT_CHECK_STATUS(run("add", FT_MODE_STRICT, 0.1, 0.2, FT_DTYPE_F32, &o), FT_OK);
    FT_CHECK(o.value == (double)(0.1f + 0.2f) && o.dtype == FT_DTYPE_F32); /* rounded to float */
    FT_CHECK(o.value != 0.1 + 0.2);
    FT_CHECK_STATUS(run("div", FT_MODE_STRICT, 1, 3, FT_DTYPE_F32, &o), FT_OK);
    FT_CHECK(o.value == (double)(1.0f / 3.0f));
}

static void kernels_ieee_edge_cases(void) {
    const double inf = INFINITY, nan_pos = fabs(NAN);
    CHECK_F64("div", 1, 0.0, inf);
    CHECK_F64("div", 1, -0.0, -inf);
    CHECK_F64("add", -0.0, -0.0, -0.0);
    CHECK_F64("add", 0.0, -0.0, 0.0);
    CHECK_F64("maximum", -0.0, 0.0, -0.0); /* a tie returns the left operand, as torch does */
    CHECK_F64("minimum", 0.0, -0.0, 0.0);
    CHECK_F64("maximum", NAN, 1, nan_pos); /* propagates, as torch's positive quiet NaN */
    CHECK_F64("minimum", 1, -NAN, nan_pos);
    CHECK_F64("pow", 0.0, -1, inf);
    CHECK_F64("pow", NAN, 0, 1);
    CHECK_F64("pow", 1, NAN, 1);
    CHECK_F64("atan2", 0.0, -0.0, 3.141592653589793);
    CHECK_F64("atan2", -0.0, -0.0, -3.141592653589793);
    ft_scalar_t o;
    FT_CHECK_STATUS(run("div", FT_MODE_STRICT, 0.0, 0.0, FT_DTYPE_F64, &o), FT_OK);
    FT_CHECK(isnan(o.value));
    FT_CHECK_STATUS(run("mul", FT_MODE_STRICT, 3e38, 10, FT_DTYPE_F32, &o), FT_OK);
    FT_CHECK(isinf(o.value)); /* overflows in float, not in double */
}

static void kernels_composites_follow_the_mode_split(void) {
    ft_scalar_t o;
    FT_CHECK_STATUS(run("rsub", FT_MODE_STRICT, 1, 2, FT_DTYPE_F64, &o), FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(run("sqdiff", FT_MODE_STRICT, 1, 2, FT_DTYPE_F32, &o), FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(run("sqdiff", FT_MODE_HARDENED, 1.5, 0.25, FT_DTYPE_F32, &o), FT_OK);
    FT_CHECK(o.value == 1.5625 && o.dtype == FT_DTYPE_F32);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(kernels_basic_values_both_dtypes),
        FT_CASE(kernels_ieee_edge_cases),
        FT_CASE(kernels_composites_follow_the_mode_split),
    };
    int rc = ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
    ft_registry_free(reg);
    return rc;
}
