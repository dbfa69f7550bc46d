/* Keys: torch names, classification, and the runtime key list. */
#include "ft/ft.h"
#include "ft_test.h"

static void keys_names_round_trip_for_every_id(void) {
    for (int id = 0; id < FT_KEY_ID_COUNT; id++) {
        const char *name = ft_key_name((ft_key_t)id);
        ft_key_t back;
        FT_CHECK_MSG(name && name[0], "id %d has no name", id);
        FT_CHECK_STATUS(ft_key_from_name(name, &back), FT_OK);
        FT_CHECK_EQ_INT(back, id);
    }
    FT_CHECK(ft_key_name((ft_key_t)FT_KEY_ID_COUNT) == NULL);
    FT_CHECK(ft_key_name((ft_key_t)-1) == NULL);
    ft_key_t k;
    FT_CHECK_STATUS(ft_key_from_name("cpu", &k), FT_EUNKNOWN_KEY_NAME); /* names are case-sensitive */
    FT_CHECK_STATUS(ft_key_from_name("", &k), FT_EUNKNOWN_KEY_NAME);
    FT_CHECK_STATUS(ft_key_from_name(NULL, &k), FT_EINVALID_ARGUMENT);
    /* a NUL inside counted text is not a shorter name (and must not be read past) */
    FT_CHECK_STATUS(ft_key_from_name_n("CPU\0XYZW", 8, &k), FT_EUNKNOWN_KEY_NAME);
    FT_CHECK_STATUS(ft_key_from_name_n("CPU\0", 4, &k), FT_EUNKNOWN_KEY_NAME);
    FT_CHECK_STATUS(ft_key_from_name_n("CPUX", 3, &k), FT_OK);
    FT_CHECK_EQ_INT(k, FT_KEY_CPU);
}

/* The enum is hand-written, the names are generated from torch: they must agree. */
static void keys_enum_matches_generated_names(void) {
    FT_CHECK_STR(ft_key_name(FT_KEY_CPU), "CPU");
    FT_CHECK_STR(ft_key_name(FT_KEY_AUTOGRAD_CPU), "AutogradCPU");
    FT_CHECK_STR(ft_key_name(FT_KEY_SPARSE_CPU), "SparseCPU");
    FT_CHECK_STR(ft_key_name(FT_KEY_QUANTIZED_PRIVATEUSE3), "QuantizedPrivateUse3");
    FT_CHECK_STR(ft_key_name(FT_KEY_NESTED_TENSOR_CUDA), "NestedTensorCUDA");
    FT_CHECK_STR(ft_key_name(FT_KEY_AD_INPLACE_OR_VIEW), "ADInplaceOrView");
    FT_CHECK_STR(ft_key_name(FT_KEY_PYTHON_DISPATCHER), "PythonDispatcher");
    FT_CHECK_STR(ft_key_name(FT_KEY_START_OF_DENSE_BACKENDS), "Unknown");
    FT_CHECK_STR(ft_key_name(FT_KEY_START_OF_AUTOGRAD_FUNCTIONALITY_BACKENDS), "AutogradUnknown");
    FT_CHECK_STR(ft_key_name(FT_KEY_END_OF_FUNCTIONALITY_KEYS), "UnknownUnknown");
    FT_CHECK_STR(ft_key_name(FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL),
                 "CompositeExplicitAutogradNonFunctional");
    for (int b = FT_BACKEND_CPU; b <= FT_BACKEND_COUNT; b++) /* Dense runtime keys are named after the backend */
        FT_CHECK_STR(ft_key_name(ft_key_runtime(FT_KEY_DENSE, (ft_backend_t)b)), ft_backend_name((ft_backend_t)b));
}

static void keys_classification_predicates(void) {
    int alias = 0, placeholder = 0, per_backend_functionality = 0, runtime = 0, per_backend = 0;
    for (int id = 0; id < FT_KEY_ID_COUNT; id++) {
        ft_key_t k = (ft_key_t)id;
        alias += ft_key_is_alias(k);
        placeholder += ft_key_is_placeholder(k);
        per_backend_functionality += ft_key_is_per_backend_functionality(k);
        runtime += ft_key_is_runtime(k);
        per_backend += ft_key_is_per_backend(k);
        FT_CHECK_MSG(!(ft_key_is_alias(k) && ft_key_is_runtime(k)), "%s is alias and runtime", ft_key_name(k));
        if (ft_key_is_per_backend(k)) {
            ft_key_t f = ft_key_functionality(k);
            FT_CHECK(ft_key_is_per_backend_functionality(f));
            FT_CHECK_EQ_INT(ft_key_runtime(f, ft_key_backend(k)), k);
        }
    }
    FT_CHECK_EQ_INT(alias, 5);
    FT_CHECK_EQ_INT(placeholder, 5);
    FT_CHECK_EQ_INT(per_backend_functionality, 5);
    FT_CHECK_EQ_INT(per_backend, 70);
    FT_CHECK_EQ_INT(runtime, 106);
    /* c10::isBackendDispatchKey, called in torch 1.13's libc10.so through ctypes for
     * every id: these 56 and no others. */
    static const int backend_ids[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 42, 43, 44, 45, 46, 47, 48, 49,
                                      50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68,
                                      69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86};
    bool is_backend[FT_KEY_ID_COUNT] = {false};
    for (size_t i = 0; i < sizeof backend_ids / sizeof backend_ids[0]; i++)
        is_backend[backend_ids[i]] = true;
    for (int id = 0; id < FT_KEY_ID_COUNT; id++)
        FT_CHECK_MSG(ft_key_is_backend((ft_key_t)id) == is_backend[id], "isBackendDispatchKey(%s)",
                     ft_key_name((ft_key_t)id));
    FT_CHECK(ft_key_is_autograd(FT_KEY_AUTOGRAD_CPU) && ft_key_is_autograd(FT_KEY_AUTOGRAD_OTHER));
    FT_CHECK(!ft_key_is_autograd(FT_KEY_AUTOGRAD) && !ft_key_is_autograd(FT_KEY_CPU));
    FT_CHECK_EQ_INT(ft_key_functionality(FT_KEY_AUTOGRAD), FT_KEY_UNDEFINED);
    FT_CHECK_EQ_INT(ft_key_backend(FT_KEY_AUTOGRAD_XLA), FT_BACKEND_XLA);
    FT_CHECK_EQ_INT(ft_key_runtime(FT_KEY_SPARSE, FT_BACKEND_INVALID), FT_KEY_START_OF_SPARSE_BACKENDS);
    FT_CHECK_EQ_INT(ft_key_runtime(FT_KEY_PYTHON, FT_BACKEND_CPU), FT_KEY_UNDEFINED);
}

/* The constant runtime list must be exactly Undefined + the iteration of FULL. */
static void keys_runtime_list_is_full_iteration(void) {
    const ft_key_t *list;
    size_t n = ft_key_runtime_list(&list);
    FT_CHECK_EQ_INT(n, 106);
    FT_CHECK_EQ_INT(list[0], FT_KEY_UNDEFINED);
    ft_keyset_iter_t it = ft_keyset_iter(ft_keyset_full());
    ft_key_t k;
    size_t i = 1;
    while (ft_keyset_next(&it, &k)) {
        FT_CHECK_MSG(i < n, "iteration of FULL is longer than the list");
        FT_CHECK_MSG(list[i] == k, "position %zu: list has %s, iteration %s", i, ft_key_name(list[i]), ft_key_name(k));
        FT_CHECK(ft_key_is_runtime(k));
        i++;
    }
    FT_CHECK_EQ_INT(i, n);
}

static void status_codes_are_stable_and_unique(void) {
    for (int a = FT_STATUS_MIN; a <= 0; a++) {
        ft_status back;
        const char *code = ft_status_code((ft_status)a);
        FT_CHECK(strcmp(code, "invalid_status") != 0);
        FT_CHECK(ft_strerror((ft_status)a)[0] != '\0');
        FT_CHECK_STATUS(ft_status_from_code(code, &back), FT_OK);
        FT_CHECK_EQ_INT(back, a);
        for (int b = a + 1; b <= 0; b++)
            FT_CHECK(strcmp(code, ft_status_code((ft_status)b)) != 0);
    }
    /* Codes other files depend on (fixtures, logs): spelled out so a rename fails here. */
    FT_CHECK_STR(ft_status_code(FT_EUNKNOWN_BITS), "unknown_bits");
    FT_CHECK_STR(ft_status_code(FT_ECOMPOSITE_REJECTED), "composite_fallback_rejected");
    FT_CHECK_STR(ft_status_code(FT_EINCOMPATIBLE_SET), "incompatible_set");
    FT_CHECK_STR(ft_status_code((ft_status)1), "invalid_status");
    FT_CHECK_STR(ft_status_code((ft_status)(FT_STATUS_MIN - 1)), "invalid_status");
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(keys_names_round_trip_for_every_id), FT_CASE(keys_enum_matches_generated_names),
        FT_CASE(keys_classification_predicates),     FT_CASE(keys_runtime_list_is_full_iteration),
        FT_CASE(status_codes_are_stable_and_unique),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
