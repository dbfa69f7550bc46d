/* Keyset derivation profiles: packet (the default) and c10 (torch 1.13's).
 *
 * The expected keysets below are torch 1.13's own reprs, copied from
 * torch._C._dispatch_keys(t) and the TLS sets printed by /usr/bin/python3 (see
 * differential/oracle/gen_c10_fixtures.py, which regenerates them into
 * fixtures/c10_routes.jsonl); they are parsed, not computed like libft does. */
#include <string.h>

#include "ft/ft.h"
#include "ft_test.h"

static ft_keyset_t ks_of(const char *repr) {
    ft_keyset_t ks = ft_keyset_from_raw(0);
    if (ft_keyset_parse(repr, strlen(repr), &ks, NULL) != FT_OK)
        ks = ft_keyset_from_raw(~UINT64_C(0)); /* never equal to a derived keyset */
    return ks;
}

static ft_dispatch_ctx_t c10_ctx(bool grad_mode, bool inference_mode) {
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.profile = FT_PROFILE_C10;
    ctx.grad_mode = grad_mode;
    ctx.inference_mode = inference_mode;
    return ctx;
}

static ft_scalar_t tensor(ft_backend_t b, bool requires_grad, bool inference) {
    ft_scalar_t t = ft_scalar_make(2.0, FT_DTYPE_F64, b, requires_grad);
    t.inference = inference;
    return t;
}

static const ft_op_t *builtin(ft_registry_t **reg, const char *name) {
    const ft_op_t *op = NULL;
    if (!*reg)
        ft_registry_new(reg);
    ft_registry_find(*reg, name, &op);
    return op;
}

static void profile_names_round_trip(void) {
    ft_profile_t p = FT_PROFILE_C10;
    FT_CHECK_STR(ft_profile_name(FT_PROFILE_PACKET), "packet");
    FT_CHECK_STR(ft_profile_name(FT_PROFILE_C10), "c10");
    FT_CHECK(ft_profile_name((ft_profile_t)2) == NULL);
    FT_CHECK_STATUS(ft_profile_from_name("packet", &p), FT_OK);
    FT_CHECK_EQ_INT(p, FT_PROFILE_PACKET);
    FT_CHECK_STATUS(ft_profile_from_name("c10", &p), FT_OK);
    FT_CHECK_EQ_INT(p, FT_PROFILE_C10);
    FT_CHECK_STATUS(ft_profile_from_name("C10", &p), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_profile_from_name(NULL, &p), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_profile_from_name("c10", NULL), FT_EINVALID_ARGUMENT);
}

/* The defaults stay the packet's, whichever way a context is made. */
static void default_context_is_packet(void) {
    const ft_dispatch_ctx_t a = FT_DISPATCH_CTX_INIT;
    ft_dispatch_ctx_t b;
    memset(&b, 0xff, sizeof b);
    ft_dispatch_ctx_init(&b);
    FT_CHECK_EQ_INT(a.profile, FT_PROFILE_PACKET);
    FT_CHECK_EQ_INT(b.profile, FT_PROFILE_PACKET);
    FT_CHECK(!a.inference_mode && !b.inference_mode);
    const ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    FT_CHECK_EQ_INT(o.profile, FT_PROFILE_PACKET);
    FT_CHECK(!o.inference_mode);
    const ft_scalar_t t = ft_scalar_make(1, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    FT_CHECK(!t.inference);
}

/* torch 1.13: _dispatch_keys of an ordinary tensor per device (what
 * _make_wrapper_subclass gives, minus its Python/PythonTLSSnapshot keys; CPU and
 * Meta also seen on real tensors), requires_grad or not. */
static void c10_operand_keysets_per_backend(void) {
    static const struct {
        ft_backend_t b;
        const char *ordinary, *inference;
    } want[] = {
        {FT_BACKEND_CPU, "DispatchKeySet(CPU, ADInplaceOrView, AutogradCPU, AutocastCPU)",
         "DispatchKeySet(CPU, AutocastCPU)"},
        {FT_BACKEND_CUDA, "DispatchKeySet(CUDA, ADInplaceOrView, AutogradCUDA, AutocastCUDA)",
         "DispatchKeySet(CUDA, AutocastCUDA)"},
        {FT_BACKEND_HIP, "DispatchKeySet(HIP, ADInplaceOrView, AutogradOther)", "DispatchKeySet(HIP)"},
        {FT_BACKEND_XLA, "DispatchKeySet(XLA, ADInplaceOrView, AutogradXLA, AutocastCUDA)",
         "DispatchKeySet(XLA, AutocastCUDA)"},
        {FT_BACKEND_MPS, "DispatchKeySet(MPS, ADInplaceOrView, AutogradMPS)", "DispatchKeySet(MPS)"},
        {FT_BACKEND_IPU, "DispatchKeySet(IPU, ADInplaceOrView, AutogradIPU)", "DispatchKeySet(IPU)"},
        {FT_BACKEND_XPU, "DispatchKeySet(XPU, ADInplaceOrView, AutogradXPU, AutocastXPU)",
         "DispatchKeySet(XPU, AutocastXPU)"},
        {FT_BACKEND_HPU, "DispatchKeySet(HPU, ADInplaceOrView, AutogradHPU)", "DispatchKeySet(HPU)"},
        {FT_BACKEND_VE, "DispatchKeySet(VE, ADInplaceOrView, AutogradOther)", "DispatchKeySet(VE)"},
        {FT_BACKEND_LAZY, "DispatchKeySet(Lazy, ADInplaceOrView, AutogradLazy)", "DispatchKeySet(Lazy)"},
        {FT_BACKEND_META, "DispatchKeySet(Meta, ADInplaceOrView, AutogradMeta)", "DispatchKeySet(Meta)"},
        {FT_BACKEND_PRIVATEUSE1, "DispatchKeySet(PrivateUse1, ADInplaceOrView, AutogradPrivateUse1)",
         "DispatchKeySet(PrivateUse1)"},
        /* no torch device type reaches these two; c10's DispatchKeySet.h gives them
         * their own autograd key and no autocast key */
        {FT_BACKEND_PRIVATEUSE2, "DispatchKeySet(PrivateUse2, ADInplaceOrView, AutogradPrivateUse2)",
         "DispatchKeySet(PrivateUse2)"},
        {FT_BACKEND_PRIVATEUSE3, "DispatchKeySet(PrivateUse3, ADInplaceOrView, AutogradPrivateUse3)",
         "DispatchKeySet(PrivateUse3)"},
    };
    FT_CHECK_EQ_INT(sizeof want / sizeof want[0], FT_BACKEND_COUNT);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        for (int mode = 0; mode < 4; mode++) { /* the context's modes do not change an operand's keys */
            const ft_dispatch_ctx_t ctx = c10_ctx(mode & 1, mode & 2);
            for (int rg = 0; rg < 2; rg++) {
                ft_keyset_t got;
                ft_scalar_t t = tensor(want[i].b, rg, false);
                FT_CHECK_STATUS(ft_dispatch_operand_keyset(&ctx, &t, &got), FT_OK);
                FT_CHECK_MSG(got.repr == ks_of(want[i].ordinary).repr, "%s rg=%d", want[i].ordinary, rg);
                t.inference = true;
                FT_CHECK_STATUS(ft_dispatch_operand_keyset(&ctx, &t, &got), FT_OK);
                FT_CHECK_MSG(got.repr == ks_of(want[i].inference).repr, "%s rg=%d", want[i].inference, rg);
            }
        }
    }
}

/* The packet's operand keysets are unchanged, and it ignores the inference flag. */
static void packet_operand_keysets_unchanged(void) {
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.inference_mode = true;
    ft_keyset_t got, own;
    ft_scalar_t t = tensor(FT_BACKEND_CPU, false, true);
    FT_CHECK_STATUS(ft_dispatch_operand_keyset(&ctx, &t, &got), FT_OK);
    FT_CHECK_EQ_U64(got.repr, ks_of("CPU|ADInplaceOrView").repr);
    FT_CHECK_STATUS(ft_scalar_keyset(&t, &own), FT_OK);
    FT_CHECK_EQ_U64(got.repr, own.repr);
    t.requires_grad = true;
    FT_CHECK_STATUS(ft_dispatch_operand_keyset(&ctx, &t, &got), FT_OK);
    FT_CHECK_EQ_U64(got.repr, ks_of("CPU|ADInplaceOrView|AutogradCPU").repr);
    /* grad mode off still excludes autograd; inference mode changes nothing */
    ctx.grad_mode = false;
    ft_keyset_t eff;
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &t, &t, NULL, &eff), FT_OK);
    FT_CHECK_EQ_U64(eff.repr, ks_of("CPU|ADInplaceOrView|BackendSelect").repr);
}

/* torch 1.13's TLS: include {BackendSelect, ADInplaceOrView} and exclude the
 * three autocast keys under enable_grad and no_grad alike; inference_mode drops
 * ADInplaceOrView from include and adds AutogradOther, AutogradFunctionality and
 * AutogradNestedTensor to exclude. */
static void c10_effective_keysets(void) {
    ft_keyset_t eff;
    const ft_scalar_t ord = tensor(FT_BACKEND_CPU, false, false), inf = tensor(FT_BACKEND_CPU, true, true);
    const char *normal = "CPU|BackendSelect|ADInplaceOrView|AutogradCPU";
    for (int grad = 0; grad < 2; grad++) {
        const ft_dispatch_ctx_t ctx = c10_ctx(grad, false);
        FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &ord, &ord, NULL, &eff), FT_OK);
        FT_CHECK_EQ_U64(eff.repr, ks_of(normal).repr); /* no_grad excludes nothing */
        /* an inference tensor outside inference mode gets ADInplaceOrView from TLS */
        FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &inf, &inf, NULL, &eff), FT_OK);
        FT_CHECK_EQ_U64(eff.repr, ks_of("CPU|BackendSelect|ADInplaceOrView").repr);
        FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &inf, &ord, NULL, &eff), FT_OK);
        FT_CHECK_EQ_U64(eff.repr, ks_of(normal).repr);
        const ft_dispatch_ctx_t im = c10_ctx(grad, true);
        FT_CHECK_STATUS(ft_dispatch_compute_keyset(&im, &ord, &ord, NULL, &eff), FT_OK);
        FT_CHECK_EQ_U64(eff.repr, ks_of("CPU|BackendSelect|ADInplaceOrView").repr); /* the tensor's own */
        FT_CHECK_STATUS(ft_dispatch_compute_keyset(&im, &inf, &inf, NULL, &eff), FT_OK);
        FT_CHECK_EQ_U64(eff.repr, ks_of("CPU|BackendSelect").repr);
    }
    /* HIP's autograd key is AutogradOther, which inference mode excludes too */
    const ft_scalar_t hip = tensor(FT_BACKEND_HIP, false, false);
    ft_dispatch_ctx_t ctx = c10_ctx(true, false);
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &hip, &hip, NULL, &eff), FT_OK);
    FT_CHECK_EQ_U64(eff.repr, ks_of("HIP|BackendSelect|ADInplaceOrView|AutogradOther").repr);
    ctx.inference_mode = true;
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &hip, &hip, NULL, &eff), FT_OK);
    FT_CHECK_EQ_U64(eff.repr, ks_of("HIP|BackendSelect|ADInplaceOrView").repr);
    /* autocast reaches the keyset once it leaves the exclude set (torch.autocast) */
    ctx = c10_ctx(true, false);
    ctx.exclude = ft_keyset_from_raw(0);
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &ord, &ord, NULL, &eff), FT_OK);
    FT_CHECK(ft_keyset_has(eff, FT_KEY_AUTOCAST_CPU));
}

/* torch 1.13's TLS local sets, read with _dispatch_tls_local_include_set() /
 * exclude_set() (raw bits from c10_routes.jsonl): the same under enable_grad and
 * no_grad; inference_mode (whatever grad mode inside) 0x4000000 / 0x77000000000. */
static void c10_context_sets_are_torch_tls(void) {
    ft_keyset_t inc, exc;
    for (int grad = 0; grad < 2; grad++) {
        ft_dispatch_ctx_t ctx = c10_ctx(grad, false);
        FT_CHECK_STATUS(ft_dispatch_context_sets(&ctx, &inc, &exc), FT_OK);
        FT_CHECK_EQ_U64(inc.repr, UINT64_C(0x804000000));
        FT_CHECK_EQ_U64(exc.repr, UINT64_C(0x70000000000));
        ctx.inference_mode = true;
        FT_CHECK_STATUS(ft_dispatch_context_sets(&ctx, &inc, &exc), FT_OK);
        FT_CHECK_EQ_U64(inc.repr, UINT64_C(0x4000000));
        FT_CHECK_EQ_U64(exc.repr, UINT64_C(0x77000000000));
        /* the packet profile: grad mode off excludes the autograd keys, inference
         * mode is ignored */
        ctx.profile = FT_PROFILE_PACKET;
        FT_CHECK_STATUS(ft_dispatch_context_sets(&ctx, &inc, &exc), FT_OK);
        FT_CHECK_EQ_U64(inc.repr, UINT64_C(0x804000000));
        FT_CHECK_EQ_U64(exc.repr, grad ? UINT64_C(0x70000000000) : UINT64_C(0x77000000000));
    }
    FT_CHECK_STATUS(ft_dispatch_context_sets(NULL, &inc, &exc), FT_EINVALID_ARGUMENT);
}

static bool has_hop(const ft_decision_t *d, ft_key_t k) {
    for (size_t i = 0; i < d->hop_count; i++)
        if (d->hops[i].key == k)
            return true;
    return false;
}

/* requires_grad never changes the c10 route; grad mode off keeps the autograd
 * hop but the result does not require grad; inference mode skips autograd and
 * makes inference results. The packet profile routes around autograd instead. */
static void c10_routes_and_results(void) {
    ft_registry_t *reg = NULL;
    const ft_op_t *mul = builtin(&reg, "mul");
    ft_decision_t d;
    ft_scalar_t out;
    for (int rg = 0; rg < 2; rg++) {
        const ft_scalar_t a = tensor(FT_BACKEND_CPU, rg, false), b = tensor(FT_BACKEND_CPU, false, false);
        ft_dispatch_ctx_t ctx = c10_ctx(true, false);
        FT_CHECK_STATUS(ft_dispatch_binary(&ctx, mul, &a, &b, &out, &d), FT_OK);
        FT_CHECK(has_hop(&d, FT_KEY_AUTOGRAD_CPU));
        FT_CHECK_EQ_INT(out.requires_grad, rg);
        FT_CHECK(!out.inference);
        FT_CHECK(out.value == 4.0);

        ctx.grad_mode = false;
        FT_CHECK_STATUS(ft_dispatch_binary(&ctx, mul, &a, &b, &out, &d), FT_OK);
        FT_CHECK(has_hop(&d, FT_KEY_AUTOGRAD_CPU));
        FT_CHECK_EQ_INT(d.selected_key, FT_KEY_AUTOGRAD_CPU);
        FT_CHECK(!out.requires_grad && !out.inference);

        for (int grad = 0; grad < 2; grad++) {
            ctx.grad_mode = grad;
            ctx.inference_mode = true;
            FT_CHECK_STATUS(ft_dispatch_binary(&ctx, mul, &a, &b, &out, &d), FT_OK);
            FT_CHECK(!has_hop(&d, FT_KEY_AUTOGRAD_CPU));
            FT_CHECK_EQ_INT(d.selected_key, FT_KEY_CPU);
            FT_CHECK(!out.requires_grad && out.inference);
        }

        ft_dispatch_ctx_t packet;
        ft_dispatch_ctx_init(&packet);
        FT_CHECK_STATUS(ft_dispatch_binary(&packet, mul, &a, &b, &out, &d), FT_OK);
        FT_CHECK_EQ_INT(has_hop(&d, FT_KEY_AUTOGRAD_CPU), rg); /* requires_grad picks the route */
        FT_CHECK(!out.inference);
    }
    /* an inference tensor that requires grad, outside inference mode: no autograd
     * key on either operand, so no hop */
    const ft_scalar_t ti = tensor(FT_BACKEND_CPU, true, true);
    const ft_dispatch_ctx_t ctx = c10_ctx(true, false);
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, mul, &ti, &ti, &out, &d), FT_OK);
    FT_CHECK(!has_hop(&d, FT_KEY_AUTOGRAD_CPU));
    FT_CHECK(!out.requires_grad && !out.inference);
    ft_registry_free(reg);
}

static void corrupt_profile_fails_closed(void) {
    ft_registry_t *reg = NULL;
    const ft_op_t *add = builtin(&reg, "add");
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.profile = (ft_profile_t)7;
    const ft_scalar_t a = tensor(FT_BACKEND_CPU, false, false);
    ft_scalar_t out;
    ft_keyset_t ks;
    ft_decision_t d;
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, add, &a, &a, &out, &d), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_dispatch_compute_keyset(&ctx, &a, &a, NULL, &ks), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_dispatch_operand_keyset(&ctx, &a, &ks), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_dispatch_route(&ctx, add, ks_of("CPU"), &d), FT_EINVALID_ARGUMENT);
    FT_CHECK(!ft_dispatch_records_grad(NULL));
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    o.profile = (ft_profile_t)-1;
    ft_session_t *s = NULL;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_EINVALID_ARGUMENT);
    ft_registry_free(reg);
}

/* The tape under c10: grad mode off or inference mode records no node although
 * the route passes AutogradCPU; grad mode on records as usual. */
static void c10_tape_records_only_with_grad(void) {
    ft_registry_t *reg = NULL;
    const ft_op_t *mul = builtin(&reg, "mul");
    ft_tape_t *tape = NULL;
    FT_CHECK_STATUS(ft_tape_new(&tape), FT_OK);
    const ft_scalar_t x = tensor(FT_BACKEND_CPU, true, false), y = tensor(FT_BACKEND_CPU, false, false);
    ft_var_t vx, vy, r;
    FT_CHECK_STATUS(ft_tape_leaf(tape, &x, &vx), FT_OK);
    FT_CHECK_STATUS(ft_tape_leaf(tape, &y, &vy), FT_OK);
    ft_decision_t d;
    ft_scalar_t val;
    for (int c = 0; c < 3; c++) {
        const ft_dispatch_ctx_t ctx = c10_ctx(c == 1, c == 2); /* no_grad, enable_grad, inference_mode */
        FT_CHECK_STATUS(ft_tape_apply(tape, &ctx, mul, vx, vy, &r, &d), FT_OK);
        FT_CHECK_EQ_INT(has_hop(&d, FT_KEY_AUTOGRAD_CPU), c != 2);
        FT_CHECK_STATUS(ft_tape_value(tape, r, &val), FT_OK);
        FT_CHECK_EQ_INT(val.requires_grad, c == 1);
        FT_CHECK_EQ_INT(val.inference, c == 2);
        const ft_status want = c == 1 ? FT_OK : FT_EROOT_NO_GRAD;
        FT_CHECK_STATUS(ft_tape_backward(tape, r, NULL, NULL), want);
        if (c == 1) {
            double g = 0;
            bool defined = false;
            FT_CHECK_STATUS(ft_tape_grad(tape, vx, &g, &defined), FT_OK);
            FT_CHECK(defined && g == 2.0);
        }
    }
    ft_tape_free(tape);
    ft_registry_free(reg);
}

/* Sessions carry the profile; inference mode is a ledger entry and makes
 * inference leaves and results. */
static void c10_session_inference_mode(void) {
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    o.profile = FT_PROFILE_C10;
    ft_session_t *s = NULL;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_OK);
    if (!s)
        return;
    FT_CHECK_EQ_INT(ft_session_context(s)->profile, FT_PROFILE_C10);
    ft_var_t a, b, r;
    ft_scalar_t v;
    FT_CHECK_STATUS(ft_session_leaf(s, 3, FT_DTYPE_F64, true, &a), FT_OK);
    FT_CHECK_STATUS(ft_session_set_grad_mode(s, false), FT_OK);
    FT_CHECK_STATUS(ft_session_call(s, "mul", a, a, &r), FT_OK);
    FT_CHECK_STATUS(ft_session_value(s, r, &v), FT_OK);
    FT_CHECK(!v.requires_grad);
    const ft_evidence_t *e = ft_session_evidence_at(s, ft_session_evidence_count(s) - 1);
    FT_CHECK(e && e->decision && has_hop(e->decision, FT_KEY_AUTOGRAD_CPU));
    FT_CHECK_STATUS(ft_session_backward(s, r, false, NULL), FT_EROOT_NO_GRAD);
    FT_CHECK_STATUS(ft_session_set_grad_mode(s, true), FT_OK);

    FT_CHECK_STATUS(ft_session_set_inference_mode(s, true), FT_OK);
    e = ft_session_evidence_at(s, ft_session_evidence_count(s) - 1);
    FT_CHECK(e && e->kind == FT_EVIDENCE_INFERENCE_MODE_CHANGE && e->from == 0 && e->to == 1);
    char json[512];
    ft_evidence_json(e, json, sizeof json);
    FT_CHECK(strstr(json, "\"inference_mode_change\"") && strstr(json, "\"to\":true"));
    FT_CHECK_STR(ft_evidence_kind_name(FT_EVIDENCE_INFERENCE_MODE_CHANGE), "inference_mode_change");
    FT_CHECK_STATUS(ft_session_leaf(s, 2, FT_DTYPE_F64, true, &b), FT_OK);
    FT_CHECK_STATUS(ft_session_value(s, b, &v), FT_OK);
    FT_CHECK(v.inference && v.requires_grad);
    FT_CHECK_STATUS(ft_session_call(s, "mul", a, a, &r), FT_OK);
    FT_CHECK_STATUS(ft_session_value(s, r, &v), FT_OK);
    FT_CHECK(v.inference && !v.requires_grad);
    FT_CHECK_STATUS(ft_session_set_inference_mode(s, false), FT_OK);
    FT_CHECK(!ft_session_context(s)->inference_mode);
    /* the inference leaf outside inference mode: no autograd key, so b * b records
     * nothing although b requires grad */
    FT_CHECK_STATUS(ft_session_call(s, "mul", b, b, &r), FT_OK);
    e = ft_session_evidence_at(s, ft_session_evidence_count(s) - 1);
    FT_CHECK(e && e->decision && !has_hop(e->decision, FT_KEY_AUTOGRAD_CPU));
    FT_CHECK_STATUS(ft_session_call(s, "add", a, b, &r), FT_OK); /* torch refuses mul: it would save b */
    FT_CHECK_STATUS(ft_session_value(s, r, &v), FT_OK);
    FT_CHECK(v.requires_grad && !v.inference);
    ft_session_free(s);

    /* packet sessions ignore inference mode (but log it) */
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    FT_CHECK_STATUS(ft_session_set_inference_mode(s, true), FT_OK);
    FT_CHECK_STATUS(ft_session_leaf(s, 2, FT_DTYPE_F64, true, &a), FT_OK);
    FT_CHECK_STATUS(ft_session_call(s, "mul", a, a, &r), FT_OK);
    FT_CHECK_STATUS(ft_session_value(s, r, &v), FT_OK);
    FT_CHECK(v.requires_grad && !v.inference);
    ft_session_free(s);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(profile_names_round_trip),        FT_CASE(default_context_is_packet),
        FT_CASE(c10_operand_keysets_per_backend), FT_CASE(packet_operand_keysets_unchanged),
        FT_CASE(c10_effective_keysets),           FT_CASE(c10_context_sets_are_torch_tls),
        FT_CASE(c10_routes_and_results),          FT_CASE(corrupt_profile_fails_closed),
        FT_CASE(c10_tape_records_only_with_grad), FT_CASE(c10_session_inference_mode),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
