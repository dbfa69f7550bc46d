/* Routing: decisions, the strict/hardened split, validation and routing errors. */
#include <math.h>

#include "ft/ft.h"
#include "ft_test.h"

typedef struct {
    ft_registry_t *reg;
    ft_dispatch_ctx_t ctx;
    ft_decision_t d;
    ft_scalar_t out;
} fixture_t;

static fixture_t fx;

static const ft_op_t *op_named(const char *name) {
    const ft_op_t *op = NULL;
    if (!fx.reg)
        ft_registry_new(&fx.reg);
    ft_registry_find(fx.reg, name, &op);
    ft_dispatch_ctx_init(&fx.ctx);
    return op;
}

static ft_scalar_t cpu(double v, bool requires_grad) {
    ft_scalar_t t = ft_scalar_make(v, FT_DTYPE_F64, FT_BACKEND_CPU, requires_grad);
    return t;
}

static ft_status call(const char *op, ft_mode_t mode, double a, double b, bool grad) {
    const ft_op_t *o = op_named(op);
    fx.ctx.mode = mode;
    const ft_scalar_t x = cpu(a, grad), y = cpu(b, grad);
    return ft_dispatch_binary(&fx.ctx, o, &x, &y, &fx.out, &fx.d);
}

static ft_status route(const char *op, ft_mode_t mode, uint64_t raw) {
    const ft_op_t *o = op_named(op);
    fx.ctx.mode = mode;
    return ft_dispatch_route(&fx.ctx, o, ft_keyset_from_raw(raw), &fx.d);
}

#define CHECK_HOP(i, key_, tag_, fallthrough_)                                                                         \
    do {                                                                                                               \
        FT_CHECK_MSG(fx.d.hop_count > (i), "no hop %d", (int)(i));                                                     \
        FT_CHECK_STR(ft_key_name(fx.d.hops[i].key), ft_key_name(key_));                                                \
        FT_CHECK_STR(ft_table_tag_name(fx.d.hops[i].tag), ft_table_tag_name(tag_));                                    \
        FT_CHECK_EQ_INT(fx.d.hops[i].fallthrough, fallthrough_);                                                       \
    } while (0)

/* Packet: the decision says which kernel ran, where, and why. */
static void dispatch_returns_kernel_metadata(void) {
    FT_CHECK_STATUS(call("add", FT_MODE_STRICT, 1.5, 2.25, false), FT_OK);
    FT_CHECK(fx.out.value == 3.75);
    FT_CHECK_STR(fx.d.op, "add");
    FT_CHECK_STR(fx.d.kernel, "cpu::add_scalar");
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_CPU);
    FT_CHECK_EQ_INT(fx.d.backend_key, FT_KEY_CPU);
    FT_CHECK_EQ_U64(fx.d.keyset.repr, 0x804004001 & ~(UINT64_C(1) << 26)); /* operands: CPU + ADInplaceOrView */
    FT_CHECK_EQ_U64(fx.d.effective_keyset.repr, 0x804004001);              /* + BackendSelect from include */
    FT_CHECK(!fx.d.fallback_used && fx.d.mode_split == FT_SPLIT_NONE && fx.d.allowlist_id == NULL);
    FT_CHECK_EQ_INT(fx.d.status, FT_OK);
    FT_CHECK_EQ_INT(fx.d.hop_count, 3);
    CHECK_HOP(0, FT_KEY_AD_INPLACE_OR_VIEW, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(1, FT_KEY_BACKEND_SELECT, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(2, FT_KEY_CPU, FT_TAG_KERNEL, false);
    FT_CHECK_EQ_INT(fx.d.hops[2].source, FT_KEY_CPU);
    char msg[200];
    ft_decision_message(&fx.d, msg, sizeof msg);
    FT_CHECK(strstr(msg, "cpu::add_scalar") != NULL);
}

/* Packet: requires_grad routes through AutogradCPU and records the hop; without
 * it there is no autograd hop; grad mode off removes it too. */
static void dispatch_autograd_route_records_hop(void) {
    FT_CHECK_STATUS(call("mul", FT_MODE_STRICT, 3, 4, true), FT_OK);
    FT_CHECK(fx.out.value == 12 && fx.out.requires_grad);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_AUTOGRAD_CPU);
    FT_CHECK_EQ_INT(fx.d.backend_key, FT_KEY_CPU);
    FT_CHECK_STR(fx.d.kernel, "cpu::mul_scalar");
    FT_CHECK_EQ_INT(fx.d.hop_count, 4);
    CHECK_HOP(0, FT_KEY_AUTOGRAD_CPU, FT_TAG_AUTOGRAD, false);
    FT_CHECK_STR(fx.d.hops[0].kernel_name, "autograd::mul");
    FT_CHECK_EQ_INT(fx.d.hops[0].source, FT_KEY_AUTOGRAD);
    CHECK_HOP(3, FT_KEY_CPU, FT_TAG_KERNEL, false);

    FT_CHECK_STATUS(call("mul", FT_MODE_STRICT, 3, 4, false), FT_OK);
    for (size_t i = 0; i < fx.d.hop_count; i++)
        FT_CHECK(fx.d.hops[i].key != FT_KEY_AUTOGRAD_CPU);

    const ft_op_t *mul = op_named("mul");
    fx.ctx.grad_mode = false;
    const ft_scalar_t x = cpu(3, true), y = cpu(4, true);
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, mul, &x, &y, &fx.out, &fx.d), FT_OK);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_CPU);
    FT_CHECK(!fx.out.requires_grad);
    FT_CHECK(ft_keyset_has(fx.d.keyset, FT_KEY_AUTOGRAD_CPU) &&
             !ft_keyset_has(fx.d.effective_keyset, FT_KEY_AUTOGRAD_CPU));
}

/* Packet: strict mode fails closed on composite fallbacks, same decision otherwise. */
static void strict_mode_rejects_composite_fallback(void) {
    FT_CHECK_STATUS(call("rsub", FT_MODE_STRICT, 5, 2, false), FT_ECOMPOSITE_REJECTED);
    FT_CHECK_EQ_INT(fx.d.mode_split, FT_SPLIT_STRICT_FAIL);
    FT_CHECK(!fx.d.fallback_used && fx.d.allowlist_id == NULL);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_CPU);
    FT_CHECK_STR(fx.d.kernel, "composite_explicit::rsub");
    FT_CHECK_EQ_INT(fx.d.hops[fx.d.hop_count - 1].tag, FT_TAG_DEFAULT_BACKEND);
    FT_CHECK_EQ_INT(fx.d.hops[fx.d.hop_count - 1].source, FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD);

    FT_CHECK_STATUS(call("sqdiff", FT_MODE_STRICT, 5, 2, true), FT_ECOMPOSITE_REJECTED);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_AUTOGRAD_CPU); /* math kernel already at the autograd key */
    FT_CHECK_EQ_INT(fx.d.hops[0].tag, FT_TAG_MATH);
    FT_CHECK_EQ_INT(fx.d.hop_count, 1);

    FT_CHECK_STATUS(call("rsub", FT_MODE_STRICT, 5, 2, true), FT_ECOMPOSITE_REJECTED);
    FT_CHECK_EQ_INT(fx.d.hops[0].tag, FT_TAG_AUTOGRAD); /* rsub has its own autograd kernel */
    FT_CHECK_STR(fx.d.hops[0].kernel_name, "autograd::rsub");
}

/* Packet: hardened runs the composite kernel and says so. */
static void hardened_mode_allows_composite_fallback(void) {
    FT_CHECK_STATUS(call("rsub", FT_MODE_HARDENED, 5, 2, false), FT_OK);
    FT_CHECK(fx.out.value == -3); /* rsub(a, b) = b - a */
    FT_CHECK(fx.d.fallback_used);
    FT_CHECK_EQ_INT(fx.d.mode_split, FT_SPLIT_HARDENED_FALLBACK);
    FT_CHECK_STR(fx.d.allowlist_id, FT_ALLOWLIST_COMPOSITE_FALLBACK);
    FT_CHECK_STR(fx.d.kernel, "composite_explicit::rsub");

    FT_CHECK_STATUS(call("sqdiff", FT_MODE_HARDENED, 5, 2, false), FT_OK);
    FT_CHECK(fx.out.value == 9);
    FT_CHECK_STR(fx.d.kernel, "composite_implicit::sqdiff");
    FT_CHECK_EQ_INT(fx.d.hops[fx.d.hop_count - 1].tag, FT_TAG_MATH);
    FT_CHECK_STATUS(call("sqdiff", FT_MODE_HARDENED, 1.5, -2, true), FT_OK);
    FT_CHECK(fx.out.value == 12.25 && fx.out.requires_grad);
}

/* Off the composite routes the two modes decide identically. */
static void dispatch_modes_agree_on_direct_routes(void) {
    static const char *const ops[] = {"add", "sub", "mul", "div", "maximum", "minimum", "atan2", "pow"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        for (int grad = 0; grad < 2; grad++) {
            FT_CHECK_STATUS(call(ops[i], FT_MODE_STRICT, 0.75, -1.5, grad), FT_OK);
            ft_decision_t strict = fx.d;
            double v = fx.out.value;
            FT_CHECK_STATUS(call(ops[i], FT_MODE_HARDENED, 0.75, -1.5, grad), FT_OK);
            FT_CHECK(v == fx.out.value || (isnan(v) && isnan(fx.out.value)));
            FT_CHECK_STR(strict.kernel, fx.d.kernel);
            FT_CHECK_EQ_INT(strict.hop_count, fx.d.hop_count);
            FT_CHECK_EQ_INT(strict.selected_key, fx.d.selected_key);
            FT_CHECK(!fx.d.fallback_used && fx.d.mode_split == FT_SPLIT_NONE);
        }
    }
}

static void dispatch_validation_errors_in_both_modes(void) {
    static const struct {
        uint64_t raw;
        ft_status want;
    } cases[] = {
        {UINT64_C(1) << 63 | 0x4001, FT_EUNKNOWN_BITS},
        {0, FT_EEMPTY_SET},
        {0x1, FT_ENO_TYPE_KEY},
        {0x4000, FT_ENO_BACKEND_KEY},
        {0x2000000001, FT_EINCOMPATIBLE_SET}, /* the packet's AutogradCPU without CPU */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int m = FT_MODE_STRICT; m <= FT_MODE_HARDENED; m++) {
            FT_CHECK_STATUS(route("add", (ft_mode_t)m, cases[i].raw), cases[i].want);
            FT_CHECK_EQ_INT(fx.d.hop_count, 0);
            FT_CHECK_EQ_INT(fx.d.mode_split, FT_SPLIT_NONE);
            FT_CHECK(fx.d.explicit_keyset && fx.d.kernel == NULL);
        }
    }
}

static ft_status never_called(const ft_kernel_call_t *c, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    (void)c, (void)a, (void)b, (void)out;
    return FT_EINVALID_ARGUMENT;
}

static void dispatch_routing_errors(void) {
    /* CUDA dense tensor: add has only a CPU kernel */
    FT_CHECK_STATUS(route("add", FT_MODE_HARDENED, 0x4002), FT_ENO_KERNEL);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_CUDA);
    /* Python key: a real (non-fallthrough) fallback libft does not model */
    FT_CHECK_STATUS(route("add", FT_MODE_HARDENED, 0x4001 | UINT64_C(1) << (13 + FT_KEY_PYTHON)),
                    FT_EUNSUPPORTED_FALLBACK);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_PYTHON);
    /* Undefined entry (only backend bits left after fallthroughs) */
    FT_CHECK_STATUS(route("add", FT_MODE_STRICT, 0x1 | UINT64_C(1) << (13 + FT_KEY_BACKEND_SELECT)), FT_ENO_KERNEL);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_UNDEFINED);
    /* AutogradOther with a CompositeImplicitAutograd kernel and a SparseCPU kernel */
    const ft_registration_t regs[] = {
        {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "composite_implicit::amb", never_called, NULL, NULL},
        {FT_KEY_SPARSE_CPU, "sparse::amb", never_called, NULL, NULL},
    };
    const ft_op_t *amb;
    op_named("add");
    FT_CHECK_STATUS(ft_registry_register(fx.reg, "amb", regs, 2, &amb), FT_OK);
    FT_CHECK_STATUS(ft_dispatch_route(
                        &fx.ctx, amb,
                        ft_keyset_or(ft_keyset_from_key(FT_KEY_SPARSE_CPU), ft_keyset_from_key(FT_KEY_AUTOGRAD_OTHER)),
                        &fx.d),
                    FT_EAMBIGUOUS_AUTOGRAD_OTHER);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_AUTOGRAD_OTHER);
}

static void dispatch_operand_mismatch_errors(void) {
    const ft_op_t *add = op_named("add");
    ft_scalar_t a = cpu(1, false), b = cpu(2, false);
    b.dtype = FT_DTYPE_F32;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, add, &a, &b, &fx.out, &fx.d), FT_EDTYPE_MISMATCH);
    FT_CHECK_EQ_INT(fx.d.status, FT_EDTYPE_MISMATCH);
    fx.ctx.mode = FT_MODE_HARDENED;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, add, &a, &b, &fx.out, &fx.d), FT_EDTYPE_MISMATCH);
    /* mixed devices route on the highest backend first: CUDA has no add kernel */
    b = cpu(2, false);
    b.device = FT_BACKEND_CUDA;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, add, &a, &b, &fx.out, &fx.d), FT_ENO_KERNEL);
    /* through an explicit CPU keyset the kernel sees the mismatch */
    FT_CHECK_STATUS(
        ft_dispatch_binary_with_keyset(&fx.ctx, add, ft_keyset_from_key(FT_KEY_CPU), &a, &b, &fx.out, &fx.d),
        FT_EDEVICE_MISMATCH);
    b.device = (ft_backend_t)99;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, add, &a, &b, &fx.out, &fx.d), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, NULL, &a, &a, &fx.out, &fx.d), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_dispatch_binary(NULL, add, &a, &a, &fx.out, NULL), FT_EINVALID_ARGUMENT);
}

/* The explicit-keyset entry is c10's redispatch: the context's sets don't apply. */
static void dispatch_explicit_keyset_ignores_context(void) {
    const ft_op_t *add = op_named("add");
    const ft_scalar_t a = cpu(1, false), b = cpu(2, false);
    fx.ctx.exclude = ft_keyset_from_key(FT_KEY_DENSE);
    /* derived: Dense excluded, the walk falls through to the Undefined entry */
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, add, &a, &b, &fx.out, &fx.d), FT_ENO_KERNEL);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_UNDEFINED);
    FT_CHECK_STATUS(
        ft_dispatch_binary_with_keyset(&fx.ctx, add, ft_keyset_from_key(FT_KEY_CPU), &a, &b, &fx.out, &fx.d), FT_OK);
    FT_CHECK_EQ_U64(fx.d.effective_keyset.repr, 0x4001);
    FT_CHECK_EQ_INT(fx.d.hop_count, 1);
}

/* A corrupt mode fails closed (never treated as hardened), and a call that fails
 * before routing leaves no stale fields from the previous decision. */
static void dispatch_bad_arguments_fail_closed_with_fresh_decision(void) {
    FT_CHECK_STATUS(call("add", FT_MODE_STRICT, 1, 2, true), FT_OK); /* fills hops, kernel, ... */
    const ft_op_t *rsub = op_named("rsub");
    fx.ctx.mode = (ft_mode_t)7;
    const ft_scalar_t a = cpu(1, false);
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, rsub, &a, &a, &fx.out, &fx.d), FT_EINVALID_ARGUMENT);
    FT_CHECK(!fx.d.fallback_used && fx.d.mode_split == FT_SPLIT_NONE && fx.d.kernel == NULL);
    FT_CHECK_EQ_INT(fx.d.hop_count, 0);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_UNDEFINED);
    FT_CHECK_STATUS(ft_dispatch_route(&fx.ctx, rsub, ft_keyset_from_key(FT_KEY_CPU), &fx.d), FT_EINVALID_ARGUMENT);
    char msg[200];
    ft_decision_message(&fx.d, msg, sizeof msg); /* must not read garbage */
    FT_CHECK(strstr(msg, "invalid_argument") != NULL);
    fx.ctx.mode = FT_MODE_STRICT;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, NULL, &a, &a, &fx.out, &fx.d), FT_EINVALID_ARGUMENT);
    FT_CHECK_STR(fx.d.op, "");
    FT_CHECK_EQ_INT(fx.d.hop_count, 0);
}

static ft_status recurse(const ft_kernel_call_t *c, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    return ft_kernel_redispatch(c, ft_kernel_call_op(c), a, b, out);
}

static void dispatch_depth_limit_stops_recursion(void) {
    op_named("add");
    const ft_registration_t r = {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "composite_implicit::forever", recurse, NULL,
                                 NULL};
    const ft_op_t *op;
    FT_CHECK_STATUS(ft_registry_register(fx.reg, "forever", &r, 1, &op), FT_OK);
    fx.ctx.mode = FT_MODE_HARDENED;
    const ft_scalar_t a = cpu(1, false);
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, op, &a, &a, &fx.out, &fx.d), FT_EDISPATCH_DEPTH);
}

/* A kernel that reports the keyset it was handed (the keyset a redispatch from
 * it would route on) into its payload. */
static ft_status probe_keyset(const ft_kernel_call_t *c, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    *(uint64_t *)ft_kernel_call_payload(c) = ft_kernel_call_keyset(c).repr;
    out->value = a->value + b->value;
    return FT_OK;
}

/* The walk skips an operator's fallthrough keys with one mask, but the kernel it
 * lands on must still get the keyset SPEC §6's hop-by-hop walk leaves: only the
 * fallthroughs it passed are cleared, those below the landing key stay, and the
 * passed ones are recorded as hops (a per-backend one, AutogradCPU, included). */
static void dispatch_kernel_keyset_keeps_fallthroughs_below_landing(void) {
    op_named("add");
    static uint64_t seen;
    const ft_scalar_t x = cpu(1, false), y = cpu(2, false), gx = cpu(1, true), gy = cpu(2, true);
    ft_keyset_t eff;

    /* Lands on ADInplaceOrView: BackendSelect (a fallthrough below it) stays. */
    const ft_registration_t hi = {FT_KEY_AD_INPLACE_OR_VIEW, "probe::inplace", probe_keyset, &seen, NULL};
    const ft_op_t *op_hi;
    FT_CHECK_STATUS(ft_registry_register(fx.reg, "probe_hi", &hi, 1, &op_hi), FT_OK);
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&fx.ctx, &x, &y, NULL, &eff), FT_OK);
    FT_CHECK(ft_keyset_has(eff, FT_KEY_BACKEND_SELECT));
    seen = 0;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, op_hi, &x, &y, &fx.out, &fx.d), FT_OK);
    FT_CHECK_EQ_U64(seen, eff.repr);
    FT_CHECK_EQ_INT(fx.d.hop_count, 1);
    CHECK_HOP(0, FT_KEY_AD_INPLACE_OR_VIEW, FT_TAG_KERNEL, false);

    /* Only a CPU kernel, operands that require grad: AutogradCPU, ADInplaceOrView
     * and BackendSelect all fall through and are cleared. */
    const ft_registration_t lo = {FT_KEY_CPU, "probe::cpu", probe_keyset, &seen, NULL};
    const ft_op_t *op_lo;
    FT_CHECK_STATUS(ft_registry_register(fx.reg, "probe_lo", &lo, 1, &op_lo), FT_OK);
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&fx.ctx, &gx, &gy, NULL, &eff), FT_OK);
    ft_keyset_t want = ft_keyset_remove(eff, FT_KEY_AUTOGRAD_CPU);
    want = ft_keyset_remove(ft_keyset_remove(want, FT_KEY_AD_INPLACE_OR_VIEW), FT_KEY_BACKEND_SELECT);
    seen = 0;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, op_lo, &gx, &gy, &fx.out, &fx.d), FT_OK);
    FT_CHECK_EQ_U64(seen, want.repr);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_CPU);
    FT_CHECK_EQ_INT(fx.d.hop_count, 4);
    CHECK_HOP(0, FT_KEY_AUTOGRAD_CPU, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(1, FT_KEY_AD_INPLACE_OR_VIEW, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(2, FT_KEY_BACKEND_SELECT, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(3, FT_KEY_CPU, FT_TAG_KERNEL, false);
    seen = 0; /* without a decision: the same keyset */
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, op_lo, &gx, &gy, &fx.out, NULL), FT_OK);
    FT_CHECK_EQ_U64(seen, want.repr);

    /* Through an autograd kernel: after_autograd, then the two fallthroughs. */
    const ft_registration_t ag[] = {{FT_KEY_AUTOGRAD, "autograd::probe", NULL, NULL, NULL},
                                    {FT_KEY_CPU, "probe::cpu", probe_keyset, &seen, NULL}};
    const ft_op_t *op_ag;
    FT_CHECK_STATUS(ft_registry_register(fx.reg, "probe_ag", ag, 2, &op_ag), FT_OK);
    want = ft_keyset_and(eff, ft_keyset_after_autograd());
    want = ft_keyset_remove(ft_keyset_remove(want, FT_KEY_AD_INPLACE_OR_VIEW), FT_KEY_BACKEND_SELECT);
    seen = 0;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, op_ag, &gx, &gy, &fx.out, &fx.d), FT_OK);
    FT_CHECK_EQ_U64(seen, want.repr);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_AUTOGRAD_CPU);
    FT_CHECK_EQ_INT(fx.d.hop_count, 4);
    CHECK_HOP(0, FT_KEY_AUTOGRAD_CPU, FT_TAG_AUTOGRAD, false);
    CHECK_HOP(3, FT_KEY_CPU, FT_TAG_KERNEL, false);
}

/* The hops of the passed fallthroughs are recorded through a fast path when
 * they are exactly ADInplaceOrView and BackendSelect, and through the general
 * one otherwise: here BackendSelect has a kernel, so only ADInplaceOrView is
 * passed. The same decision then records a hardened composite fallback and a
 * plain route again: every route field is rewritten each time. */
static void dispatch_records_partial_fallthrough_run_and_rewrites_route_fields(void) {
    op_named("add");
    const ft_scalar_t x = cpu(1, false), y = cpu(2, false);
    static uint64_t seen;
    const ft_registration_t regs[] = {{FT_KEY_BACKEND_SELECT, "probe::backend_select", probe_keyset, &seen, NULL},
                                      {FT_KEY_CPU, "probe::cpu", probe_keyset, &seen, NULL}};
    const ft_op_t *op_bs;
    FT_CHECK_STATUS(ft_registry_register(fx.reg, "probe_bs", regs, 2, &op_bs), FT_OK);
    fx.ctx.mode = FT_MODE_STRICT;
    FT_CHECK_STATUS(ft_dispatch_binary(&fx.ctx, op_bs, &x, &y, &fx.out, &fx.d), FT_OK);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_BACKEND_SELECT);
    FT_CHECK_EQ_INT(fx.d.backend_key, FT_KEY_CPU);
    FT_CHECK_STR(fx.d.kernel, "probe::backend_select");
    FT_CHECK_EQ_INT(fx.d.hop_count, 2);
    CHECK_HOP(0, FT_KEY_AD_INPLACE_OR_VIEW, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(1, FT_KEY_BACKEND_SELECT, FT_TAG_KERNEL, false);

    FT_CHECK_STATUS(call("rsub", FT_MODE_HARDENED, 5, 2, false), FT_OK);
    FT_CHECK(fx.d.fallback_used);
    FT_CHECK_EQ_INT(fx.d.mode_split, FT_SPLIT_HARDENED_FALLBACK);
    FT_CHECK_EQ_INT(fx.d.mode, FT_MODE_HARDENED);
    FT_CHECK_EQ_INT(fx.d.explicit_keyset, false);

    ft_keyset_t cpu_ks;
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&fx.ctx, &x, &y, NULL, &cpu_ks), FT_OK);
    fx.ctx.mode = FT_MODE_STRICT;
    FT_CHECK_STATUS(ft_dispatch_binary_with_keyset(&fx.ctx, op_named("add"), cpu_ks, &x, &y, &fx.out, &fx.d), FT_OK);
    FT_CHECK(!fx.d.fallback_used);
    FT_CHECK_EQ_INT(fx.d.mode_split, FT_SPLIT_NONE);
    FT_CHECK(fx.d.allowlist_id == NULL);
    FT_CHECK_EQ_INT(fx.d.mode, FT_MODE_STRICT);
    FT_CHECK_EQ_INT(fx.d.explicit_keyset, true);
    FT_CHECK_EQ_INT(fx.d.selected_key, FT_KEY_CPU);
    FT_CHECK_EQ_INT(fx.d.backend_key, FT_KEY_CPU);
    FT_CHECK_EQ_INT(fx.d.hop_count, 3);
    CHECK_HOP(0, FT_KEY_AD_INPLACE_OR_VIEW, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(1, FT_KEY_BACKEND_SELECT, FT_TAG_BACKEND_FALLBACK, true);
    CHECK_HOP(2, FT_KEY_CPU, FT_TAG_KERNEL, false);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(dispatch_returns_kernel_metadata),
        FT_CASE(dispatch_autograd_route_records_hop),
        FT_CASE(strict_mode_rejects_composite_fallback),
        FT_CASE(hardened_mode_allows_composite_fallback),
        FT_CASE(dispatch_modes_agree_on_direct_routes),
        FT_CASE(dispatch_validation_errors_in_both_modes),
        FT_CASE(dispatch_routing_errors),
        FT_CASE(dispatch_operand_mismatch_errors),
        FT_CASE(dispatch_explicit_keyset_ignores_context),
        FT_CASE(dispatch_depth_limit_stops_recursion),
        FT_CASE(dispatch_bad_arguments_fail_closed_with_fresh_decision),
        FT_CASE(dispatch_kernel_keyset_keeps_fallthroughs_below_landing),
        FT_CASE(dispatch_records_partial_fallthrough_run_and_rewrites_route_fields),
    };
    int rc = ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
    ft_registry_free(fx.reg);
    return rc;
}
