/* Keyset algebra, priorities and validation, including the packet's unit tests. */
#include "ft/ft.h"
#include "ft_test.h"

#define KS(k)  ft_keyset_from_key(k)
#define BIT(k) (UINT64_C(1) << (13 + (k)))

static ft_keyset_t set_of(const ft_key_t *keys, size_t n) {
    ft_keyset_t ks = {0};
    for (size_t i = 0; i < n; i++)
        ks = ft_keyset_add(ks, keys[i]);
    return ks;
}

/* Packet: union/intersection/difference give c10's bits and are stable under
 * repetition and reordering. */
static void dispatch_keyset_set_algebra_is_stable(void) {
    const ft_keyset_t cpu = KS(FT_KEY_CPU), ag = KS(FT_KEY_AUTOGRAD_CPU);
    FT_CHECK_EQ_U64(cpu.repr, 0x4001);
    FT_CHECK_EQ_U64(ag.repr, 0x2000000001);
    const ft_keyset_t both = ft_keyset_or(cpu, ag);
    FT_CHECK_EQ_U64(both.repr, 0x2000004001);
    FT_CHECK_EQ_U64(ft_keyset_or(ag, cpu).repr, both.repr);
    FT_CHECK_EQ_U64(ft_keyset_or(both, both).repr, both.repr);
    FT_CHECK_EQ_U64(ft_keyset_and(both, cpu).repr, cpu.repr);
    FT_CHECK_EQ_U64(ft_keyset_and(cpu, ag).repr, 0x1); /* they share the CPU backend bit */
    /* c10 difference clears functionality bits only: the CPU bit survives. */
    FT_CHECK_EQ_U64(ft_keyset_sub(both, ag).repr, 0x4001);
    FT_CHECK_EQ_U64(ft_keyset_sub(cpu, cpu).repr, 0x1);
    FT_CHECK_EQ_U64(ft_keyset_sub(ft_keyset_sub(both, ag), ag).repr, 0x4001);
    FT_CHECK_EQ_U64(ft_keyset_remove(both, FT_KEY_AUTOGRAD_CPU).repr, 0x4001);
    FT_CHECK_EQ_U64(ft_keyset_xor(both, cpu).repr, 0x2000000000);
    FT_CHECK(ft_keyset_has(both, FT_KEY_CPU) && ft_keyset_has(both, FT_KEY_AUTOGRAD_CPU));
    FT_CHECK(!ft_keyset_has(both, FT_KEY_CUDA) && !ft_keyset_has(cpu, FT_KEY_AUTOGRAD_CPU));
    const ft_key_t order_a[] = {FT_KEY_AUTOGRAD_CPU, FT_KEY_BACKEND_SELECT, FT_KEY_CPU};
    const ft_key_t order_b[] = {FT_KEY_CPU, FT_KEY_AUTOGRAD_CPU, FT_KEY_BACKEND_SELECT};
    FT_CHECK_EQ_U64(set_of(order_a, 3).repr, set_of(order_b, 3).repr);
    /* iteration: ascending functionality, so CPU, BackendSelect, AutogradCPU */
    ft_keyset_iter_t it = ft_keyset_iter(set_of(order_a, 3));
    ft_key_t k;
    FT_CHECK(ft_keyset_next(&it, &k) && k == FT_KEY_CPU);
    FT_CHECK(ft_keyset_next(&it, &k) && k == FT_KEY_BACKEND_SELECT);
    FT_CHECK(ft_keyset_next(&it, &k) && k == FT_KEY_AUTOGRAD_CPU);
    FT_CHECK(!ft_keyset_next(&it, &k));
}

/* Packet: AutogradCPU outranks CPU. */
static void priority_resolution_prefers_autograd_cpu(void) {
    const ft_keyset_t ks = ft_keyset_or(KS(FT_KEY_CPU), KS(FT_KEY_AUTOGRAD_CPU));
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_type_id(ks), FT_KEY_AUTOGRAD_CPU);
    FT_CHECK_EQ_INT(ft_keyset_highest_functionality(ks), FT_KEY_AUTOGRAD_FUNCTIONALITY);
    FT_CHECK_EQ_INT(ft_keyset_highest_backend(ks), FT_BACKEND_CPU);
    /* the highest backend bit picks the runtime key */
    const ft_keyset_t two = ft_keyset_or(ks, KS(FT_KEY_AUTOGRAD_CUDA));
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_type_id(two), FT_KEY_AUTOGRAD_CUDA);
    /* with no backend bit, the placeholder */
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_type_id(ft_keyset_from_raw(BIT(FT_KEY_DENSE))),
                    FT_KEY_START_OF_DENSE_BACKENDS);
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_type_id(ft_keyset_from_raw(0)), FT_KEY_UNDEFINED);
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_type_id(ft_keyset_from_raw(0x3fff)), FT_KEY_UNDEFINED);
}

/* Packet: the backend type of an autograd keyset is its backend, CPU. */
static void backend_priority_returns_cpu(void) {
    const ft_key_t keys[] = {FT_KEY_CPU, FT_KEY_AUTOGRAD_CPU, FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_BACKEND_SELECT};
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_backend_type_id(set_of(keys, 4)), FT_KEY_CPU);
    /* NestedTensor and Autograd are not backend functionalities; Sparse is. */
    const ft_key_t sparse[] = {FT_KEY_SPARSE_CPU, FT_KEY_CPU, FT_KEY_NESTED_TENSOR_CPU};
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_backend_type_id(set_of(sparse, 3)), FT_KEY_SPARSE_CPU);
    FT_CHECK_EQ_INT(ft_keyset_highest_priority_backend_type_id(KS(FT_KEY_AUTOGRAD_CPU)), FT_KEY_UNDEFINED);
}

/* Packet: bits 54..63 are rejected everywhere, in both modes. */
static void unknown_bits_fail_closed(void) {
    for (unsigned bit = 54; bit < 64; bit++) {
        const ft_keyset_t ks = ft_keyset_from_raw((UINT64_C(1) << bit) | 0x804004001);
        FT_CHECK_STATUS(ft_keyset_validate(ks), FT_EUNKNOWN_BITS);
    }
    ft_keyset_t out = {7};
    ft_parse_error_t err;
    FT_CHECK_STATUS(ft_keyset_parse("0x40000000004001", 16, &out, &err), FT_EUNKNOWN_BITS);
    FT_CHECK_EQ_U64(err.unknown_mask, UINT64_C(0x40000000000000));
    FT_CHECK_EQ_U64(out.repr, 7);                                                         /* untouched on failure */
    FT_CHECK_STATUS(ft_keyset_parse("UnknownUnknown", 14, &out, &err), FT_EUNKNOWN_BITS); /* id 41 is bit 54 */

    ft_registry_t *reg;
    const ft_op_t *add;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    FT_CHECK_STATUS(ft_registry_find(reg, "add", &add), FT_OK);
    for (int m = FT_MODE_STRICT; m <= FT_MODE_HARDENED; m++) {
        ft_dispatch_ctx_t ctx;
        ft_decision_t d;
        ft_dispatch_ctx_init(&ctx);
        ctx.mode = (ft_mode_t)m;
        const ft_scalar_t a = ft_scalar_make(1, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        ft_scalar_t r = a;
        ft_status st =
            ft_dispatch_binary_with_keyset(&ctx, add, ft_keyset_from_raw(UINT64_C(0x8000000000004001)), &a, &a, &r, &d);
        if (st != FT_EUNKNOWN_BITS || d.unknown_mask != UINT64_C(0x8000000000000000) || d.hop_count != 0) {
            ft_registry_free(reg);
            FT_CHECK_MSG(false, "mode %d: unknown bits not rejected before routing", m);
        }
    }
    ft_registry_free(reg);
}

static void keyset_validation_order(void) {
    static const struct {
        uint64_t raw;
        ft_status want;
    } cases[] = {
        {UINT64_C(1) << 60, FT_EUNKNOWN_BITS}, /* unknown wins over empty-looking sets */
        {0, FT_EEMPTY_SET},
        {0x1, FT_ENO_TYPE_KEY},                                                       /* CPU backend bit alone */
        {BIT(FT_KEY_DENSE), FT_ENO_BACKEND_KEY},                                      /* Dense without backend */
        {BIT(FT_KEY_DENSE) | BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY), FT_ENO_BACKEND_KEY}, /* before incompatible */
        {0x2000000001, FT_EINCOMPATIBLE_SET},                                         /* AutogradCPU without CPU */
        {BIT(FT_KEY_AUTOGRAD_OTHER) | BIT(FT_KEY_PYTHON), FT_EINCOMPATIBLE_SET},
        {0x2000004001, FT_OK},
        {BIT(FT_KEY_PYTHON), FT_OK}, /* validity is not routability */
        {0x804004001, FT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        FT_CHECK_STATUS(ft_keyset_validate(ft_keyset_from_raw(cases[i].raw)), cases[i].want);
}

/* FULL_AFTER keeps c10 1.13's quirks: PythonDispatcher always, and for keys whose
 * functionality is Undefined only backend bits 0..12. */
static void keyset_full_after_matches_c10(void) {
    FT_CHECK_EQ_U64(ft_keyset_full_after(FT_KEY_UNDEFINED).repr, UINT64_C(0x20000000001fff));
    FT_CHECK_EQ_U64(ft_keyset_full_after(FT_KEY_AUTOGRAD).repr, UINT64_C(0x20000000001fff));
    FT_CHECK_EQ_U64(ft_keyset_full_after(FT_KEY_DENSE).repr, UINT64_C(0x20000000003fff));
    FT_CHECK_EQ_U64(ft_keyset_full_after(FT_KEY_CPU).repr, UINT64_C(0x20000000003fff));
    const ft_keyset_t aa = ft_keyset_after_autograd();
    FT_CHECK_EQ_U64(aa.repr, ft_keyset_full_after(FT_KEY_AUTOGRAD_OTHER).repr);
    FT_CHECK(ft_keyset_has(aa, FT_KEY_AD_INPLACE_OR_VIEW) && ft_keyset_has(aa, FT_KEY_CPU));
    FT_CHECK(!ft_keyset_has(aa, FT_KEY_AUTOGRAD_OTHER) && !ft_keyset_has(aa, FT_KEY_AUTOGRAD_CPU));
    FT_CHECK(ft_keyset_has(aa, FT_KEY_PYTHON_DISPATCHER));
    FT_CHECK_EQ_U64(ft_keyset_full().repr, UINT64_C(0x3fffffffffffff));
}

static void keyset_from_key_edge_cases(void) {
    FT_CHECK_EQ_U64(KS(FT_KEY_UNDEFINED).repr, 0);
    for (int a = FT_KEY_FIRST_ALIAS; a <= FT_KEY_LAST_ALIAS; a++)
        FT_CHECK_EQ_U64(KS((ft_key_t)a).repr, 0);
    FT_CHECK_EQ_U64(KS(FT_KEY_START_OF_DENSE_BACKENDS).repr, BIT(FT_KEY_DENSE)); /* placeholder: no backend bit */
    FT_CHECK_EQ_U64(KS(FT_KEY_PYTHON_DISPATCHER).repr, UINT64_C(1) << 53);
    FT_CHECK_EQ_U64(KS(FT_KEY_AUTOGRAD_PRIVATEUSE3).repr, BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) | (1u << 13));
    FT_CHECK_EQ_U64(KS((ft_key_t)122).repr, 0);
    FT_CHECK_EQ_U64(ft_keyset_from_backend(FT_BACKEND_PRIVATEUSE3).repr, 1u << 13);
    FT_CHECK_EQ_U64(ft_keyset_from_backend(FT_BACKEND_INVALID).repr, 0);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(dispatch_keyset_set_algebra_is_stable),
        FT_CASE(priority_resolution_prefers_autograd_cpu),
        FT_CASE(backend_priority_returns_cpu),
        FT_CASE(unknown_bits_fail_closed),
        FT_CASE(keyset_validation_order),
        FT_CASE(keyset_full_after_matches_c10),
        FT_CASE(keyset_from_key_edge_cases),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
