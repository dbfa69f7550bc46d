/* The seeded scenario generator (ftdiff/scenario_gen.h). */
#include <string.h>

#include "ft/keyset.h"
#include "ftdiff/scenario_gen.h"

const char *const ftd_builtin_ops[FTD_BUILTIN_OP_COUNT] = {"add",     "sub",   "mul", "div",  "maximum",
                                                           "minimum", "atan2", "pow", "rsub", "sqdiff"};

/* splitmix64: a fresh, well-mixed stream per (seed, index). */
typedef struct {
    uint64_t s;
} rng_t;

static uint64_t next(rng_t *r) {
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint32_t below(rng_t *r, uint32_t n) {
    return (uint32_t)((next(r) >> 32) * n >> 32);
}

static bool chance(rng_t *r, unsigned percent) {
    return below(r, 100) < percent;
}

/* ---- values ---------------------------------------------------------------- */

static const uint64_t special_f64[] = {
    UINT64_C(0x0000000000000000), /* +0 */
    UINT64_C(0x8000000000000000), /* -0 */
    UINT64_C(0x7ff0000000000000), /* +inf */
    UINT64_C(0xfff0000000000000), /* -inf */
    UINT64_C(0x7ff8000000000000), /* NaN */
    UINT64_C(0xfff8000000000000), /* -NaN */
    UINT64_C(0x7ff8000000000abc), /* NaN with payload */
    UINT64_C(0x7ff4000000000001), /* signalling NaN */
    UINT64_C(0x0000000000000001), /* smallest subnormal */
    UINT64_C(0x800fffffffffffff), /* largest negative subnormal */
    UINT64_C(0x0010000000000000), /* min normal */
    UINT64_C(0x7fefffffffffffff), /* max normal */
    UINT64_C(0xffefffffffffffff), /* -max */
    UINT64_C(0x3ff0000000000000), /* 1 */
    UINT64_C(0xbff0000000000000), /* -1 */
    UINT64_C(0x3fe0000000000000), /* 0.5 */
    UINT64_C(0x4000000000000000), /* 2 */
    UINT64_C(0xc008000000000000), /* -3 */
};

static const uint32_t special_f32[] = {
    0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7fc00abcu, 0x7fa00001u, 0x00000001u,
    0x807fffffu, 0x00800000u, 0x7f7fffffu, 0xff7fffffu, 0x3f800000u, 0xbf800000u, 0x3f000000u, 0x40000000u, 0xc0400000u,
};

/* A "plain" value: small magnitudes with a few digits, where gradients and
 * finite differences are meaningful. */
static double plain_value(rng_t *r) {
    const double v = (double)(int32_t)below(r, 2001) / 250.0 - 4.0; /* -4 .. 4 in steps of 1/250 */
    return v == 0 ? 0.75 : v;
}

static uint64_t value_bits(rng_t *r, ft_dtype_t dt, unsigned special_percent) {
    if (chance(r, special_percent)) {
        return dt == FT_DTYPE_F32 ? special_f32[below(r, sizeof special_f32 / sizeof special_f32[0])]
                                  : special_f64[below(r, sizeof special_f64 / sizeof special_f64[0])];
    }
    if (chance(r, 15)) { /* any bit pattern */
        const uint64_t w = next(r);
        return dt == FT_DTYPE_F32 ? (uint32_t)w : w;
    }
    return ftd_value_bits(plain_value(r), dt);
}

static ftd_operand_t operand(rng_t *r, ft_dtype_t dt, ft_backend_t dev, unsigned special_percent) {
    ftd_operand_t o;
    o.dtype = dt;
    o.device = dev;
    o.requires_grad = chance(r, 50);
    o.bits = value_bits(r, dt, special_percent);
    return o;
}

/* ---- keys and keysets ------------------------------------------------------ */

/* Registration pool (weights as the oracle's random tables: aliases and the keys
 * that interact with alias rules come up more often). */
static const struct {
    ft_key_t key;
    unsigned weight;
} reg_pool[] = {
    {FT_KEY_AUTOGRAD, 6},
    {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, 6},
    {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR, 4},
    {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, 6},
    {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL, 4},
    {FT_KEY_CPU, 8},
    {FT_KEY_CUDA, 3},
    {FT_KEY_XLA, 2},
    {FT_KEY_LAZY, 2},
    {FT_KEY_META, 2},
    {FT_KEY_AUTOGRAD_CPU, 5},
    {FT_KEY_AUTOGRAD_CUDA, 2},
    {FT_KEY_AUTOGRAD_OTHER, 4},
    {FT_KEY_AUTOGRAD_NESTED_TENSOR, 2},
    {FT_KEY_SPARSE_CPU, 3},
    {FT_KEY_QUANTIZED_CPU, 2},
    {FT_KEY_NESTED_TENSOR_CPU, 2},
    {FT_KEY_SPARSE_CSR_CPU, 1},
    {FT_KEY_MKLDNN_CPU, 1},
    {FT_KEY_FPGA, 1},
    {FT_KEY_BACKEND_SELECT, 1},
    {FT_KEY_AD_INPLACE_OR_VIEW, 1},
    {FT_KEY_PYTHON, 1},
    {FT_KEY_AUTOCAST_CPU, 1},
};
#define REG_POOL_COUNT (sizeof reg_pool / sizeof reg_pool[0])

static ft_key_t pool_key(rng_t *r) {
    unsigned total = 0;
    for (size_t i = 0; i < REG_POOL_COUNT; i++)
        total += reg_pool[i].weight;
    unsigned pick = below(r, total);
    for (size_t i = 0; i < REG_POOL_COUNT; i++) {
        if (pick < reg_pool[i].weight)
            return reg_pool[i].key;
        pick -= reg_pool[i].weight;
    }
    return FT_KEY_CPU;
}

/* A registration set: 1..8 distinct keys from the pool; sometimes a key libft
 * must reject (Undefined, a placeholder, a duplicate). */
static void registrations(rng_t *r, ftd_opref_t *op, bool allow_invalid) {
    const size_t want = 1 + below(r, 8);
    op->reg_count = 0;
    for (size_t tries = 0; op->reg_count < want && tries < 64; tries++) {
        const ft_key_t k = pool_key(r);
        bool dup = false;
        for (size_t i = 0; i < op->reg_count; i++)
            dup |= op->regs[i] == k;
        if (!dup)
            op->regs[op->reg_count++] = k;
    }
    if (allow_invalid && chance(r, 3) && op->reg_count < FTD_MAX_REGS) {
        static const ft_key_t bad[] = {FT_KEY_UNDEFINED, FT_KEY_START_OF_DENSE_BACKENDS,
                                       FT_KEY_START_OF_AUTOGRAD_FUNCTIONALITY_BACKENDS};
        const bool dup = op->reg_count && chance(r, 50);
        op->regs[op->reg_count] = dup ? op->regs[below(r, (uint32_t)op->reg_count)] : bad[below(r, 3)];
        op->reg_count++;
    }
}

static ft_backend_t any_backend(rng_t *r) {
    return (ft_backend_t)(1 + below(r, FT_BACKEND_COUNT));
}

/* Raw keysets over the whole word, in flavours that reach every validation
 * rule and every routing branch. */
static uint64_t raw_keyset(rng_t *r) {
    const uint64_t backend = UINT64_C(1) << below(r, 14);
    switch (below(r, 9)) {
    case 0: /* anything */
        return next(r);
    case 1: /* known bits only */
        return next(r) & FT_KEYSET_KNOWN_MASK;
    case 2: /* a few known bits plus one unknown */
        return (next(r) & next(r) & FT_KEYSET_KNOWN_MASK) | (UINT64_C(1) << (54 + below(r, 10)));
    case 3: /* the union of 1..4 runtime keys */
    {
        uint64_t ks = 0;
        const unsigned n = 1 + below(r, 4);
        for (unsigned i = 0; i < n; i++)
            ks |= ft_keyset_from_key((ft_key_t)(1 + below(r, 116))).repr;
        return ks;
    }
    case 4: /* a placeholder: per-backend functionality, no backend bit */
        return FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_DENSE) |
               (chance(r, 50) ? FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) : 0);
    case 5: /* autograd without a backend functionality */
        return FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) | backend;
    case 6: /* backend bits only, or empty */
        return chance(r, 50) ? backend : 0;
    case 7: /* a realistic tensor keyset on some backend, plus extras */
    {
        uint64_t ks = FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_DENSE) | backend |
                      FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AD_INPLACE_OR_VIEW) |
                      FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_BACKEND_SELECT);
        if (chance(r, 60))
            ks |= FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY);
        if (chance(r, 30))
            ks |= FT_KEYSET_FUNCTIONALITY_BIT(1 + below(r, 40));
        return ks;
    }
    default: /* several functionalities and backends */
        return (next(r) & FT_KEYSET_FUNCTIONALITY_MASK & next(r) & next(r)) | backend | (next(r) & 0x3fff & next(r));
    }
}

/* Include/exclude additions: a few functionality bits (c10 sets hold no backends). */
static uint64_t random_functionality_bits(rng_t *r) {
    uint64_t ks = 0;
    const unsigned n = 1 + below(r, 3);
    for (unsigned i = 0; i < n; i++)
        ks |= FT_KEYSET_FUNCTIONALITY_BIT(1 + below(r, 40));
    return ks;
}

static void context(rng_t *r, ftd_scenario_t *s) {
    s->grad_mode = !chance(r, 15);
    if (chance(r, 15))
        s->include |= random_functionality_bits(r);
    if (chance(r, 15))
        s->exclude |= random_functionality_bits(r);
    if (chance(r, 5))
        s->include &= ~random_functionality_bits(r);
    /* c10's TLS sets hold runtime keys too (excluding AutogradCPU is common):
       their backend bits must not be removed from the dispatch keyset */
    if (chance(r, 8))
        s->exclude |= ft_keyset_from_key(pool_key(r)).repr;
    if (chance(r, 4))
        s->include |= ft_keyset_from_key(pool_key(r)).repr;
}

static void set_name(char dst[FTD_OP_NAME_MAX], const char *src) {
    strncpy(dst, src, FTD_OP_NAME_MAX - 1);
    dst[FTD_OP_NAME_MAX - 1] = '\0';
}

/* ---- kinds ----------------------------------------------------------------- */

static void gen_dispatch(rng_t *r, ftd_scenario_t *s) {
    if (chance(r, 20)) {
        s->op.custom = true;
        set_name(s->op.name, "custom_op");
        registrations(r, &s->op, true);
    } else {
        set_name(s->op.name, ftd_builtin_ops[below(r, FTD_BUILTIN_OP_COUNT)]);
    }
    const ft_dtype_t dt = chance(r, 50) ? FT_DTYPE_F64 : FT_DTYPE_F32;
    const ft_backend_t dev = chance(r, 90) ? FT_BACKEND_CPU : any_backend(r);
    s->lhs = operand(r, dt, dev, 35);
    s->rhs = operand(r, dt, dev, 35);
    if (chance(r, 4))
        s->rhs = operand(r, dt == FT_DTYPE_F64 ? FT_DTYPE_F32 : FT_DTYPE_F64, dev, 35);
    if (chance(r, 4))
        s->rhs.device = any_backend(r);
    if (chance(r, 30)) {
        s->has_keyset = true;
        s->keyset = raw_keyset(r);
    }
    context(r, s);
}

static void gen_program(rng_t *r, ftd_scenario_t *s) {
    const ft_dtype_t dt = chance(r, 70) ? FT_DTYPE_F64 : FT_DTYPE_F32;
    s->leaf_count = 1 + below(r, FTD_MAX_LEAVES);
    for (size_t i = 0; i < s->leaf_count; i++)
        s->leaves[i] = operand(r, dt, FT_BACKEND_CPU, 5);
    s->leaves[below(r, (uint32_t)s->leaf_count)].requires_grad = !chance(r, 5);
    s->op_count = 1 + below(r, 30);
    for (size_t i = 0; i < s->op_count; i++) {
        const uint32_t vars = (uint32_t)(s->leaf_count + i);
        /* mostly ops near the end, so values feed forward and get reused */
        const uint32_t lhs = chance(r, 60) && vars > 1 ? vars - 1 - below(r, vars < 3 ? vars : 3) : below(r, vars);
        const uint32_t rhs = below(r, vars);
        /* sqdiff and rsub fail in strict mode; keep them rarer so most programs run */
        const uint32_t op = chance(r, 90) ? below(r, 8) : 8 + below(r, 2);
        set_name(s->ops[i].op, ftd_builtin_ops[op]);
        s->ops[i].lhs = lhs;
        s->ops[i].rhs = rhs;
    }
    s->root =
        chance(r, 85) ? (uint32_t)(s->leaf_count + s->op_count - 1) : below(r, (uint32_t)(s->leaf_count + s->op_count));
    s->grad_mode = !chance(r, 10);
    if (chance(r, 5))
        s->exclude |= random_functionality_bits(r);
}

static void gen_table(rng_t *r, ftd_scenario_t *s) {
    registrations(r, &s->op, true);
}

static void gen_keyset(rng_t *r, ftd_scenario_t *s) {
    s->a = raw_keyset(r);
    s->b = chance(r, 30) ? next(r) : raw_keyset(r);
    s->key = (ft_key_t)below(r, FT_KEY_ID_COUNT);
}

void ftd_generate(uint64_t seed, uint64_t index, ftd_scenario_t *out) {
    rng_t r = {seed ^ (index * UINT64_C(0xD1B54A32D192ED03))};
    next(&r);
    const uint32_t pick = below(&r, 100);
    const ftd_kind_t kind = pick < 55   ? FTD_KIND_DISPATCH
                            : pick < 75 ? FTD_KIND_PROGRAM
                            : pick < 85 ? FTD_KIND_TABLE
                                        : FTD_KIND_KEYSET;
    ftd_scenario_init(out, kind);
    switch (kind) {
    case FTD_KIND_DISPATCH:
        gen_dispatch(&r, out);
        break;
    case FTD_KIND_PROGRAM:
        gen_program(&r, out);
        break;
    case FTD_KIND_TABLE:
        gen_table(&r, out);
        break;
    case FTD_KIND_KEYSET:
        gen_keyset(&r, out);
        break;
    }
}
