/* Operator registry: built-ins, user operators, registration checks, tables. */
#include "ft/ft.h"
#include "ft_test.h"

static ft_status twice_a(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    const double *scale = ft_kernel_call_payload(call);
    (void)b;
    out->value = a->value * *scale;
    return FT_OK;
}

static void registry_builtins_are_spec_ops(void) {
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    static const char *const names[] = {"add",     "sub",   "mul", "div",  "maximum",
                                        "minimum", "atan2", "pow", "rsub", "sqdiff"};
    bool ok = ft_registry_op_count(reg) == 10;
    for (size_t i = 0; i < 10 && ok; i++) {
        const ft_op_t *op;
        ok = ft_registry_find(reg, names[i], &op) == FT_OK && strcmp(ft_op_name(op), names[i]) == 0 &&
             ft_op_registry(op) == ft_registry_builtins() && ft_registry_contains(reg, op);
    }
    const ft_op_t *add, *rsub, *sqdiff;
    ft_table_entry_t e;
    ok = ok && ft_registry_find(reg, "add", &add) == FT_OK && ft_registry_find(reg, "rsub", &rsub) == FT_OK &&
         ft_registry_find(reg, "sqdiff", &sqdiff) == FT_OK;
    ok = ok && ft_op_table_entry(add, FT_KEY_CPU, &e) == FT_OK && e.tag == FT_TAG_KERNEL && e.registration &&
         strcmp(e.registration->kernel_name, "cpu::add_scalar") == 0;
    ok = ok && ft_op_table_entry(add, FT_KEY_AUTOGRAD_CPU, &e) == FT_OK && e.tag == FT_TAG_AUTOGRAD;
    ok = ok && ft_op_table_entry(rsub, FT_KEY_CPU, &e) == FT_OK && e.tag == FT_TAG_DEFAULT_BACKEND &&
         e.source == FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD;
    ok = ok && ft_op_table_entry(sqdiff, FT_KEY_AUTOGRAD_CPU, &e) == FT_OK && e.tag == FT_TAG_MATH;
    ok = ok && ft_op_table_entry(add, FT_KEY_BACKEND_SELECT, &e) == FT_OK && e.tag == FT_TAG_BACKEND_FALLBACK &&
         e.fallthrough;
    ok = ok && ft_op_table_entry(add, FT_KEY_DENSE, &e) == FT_EINVALID_ARGUMENT; /* not a runtime key */
    ok = ok && ft_op_table_entry(add, FT_KEY_AUTOGRAD, &e) == FT_EINVALID_ARGUMENT;
    ft_registry_free(reg);
    FT_CHECK(ok);
}

static void registry_user_op_dispatches_with_payload(void) {
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new_empty(&reg), FT_OK);
    static const double scale = 2;
    const ft_registration_t regs[] = {
        {FT_KEY_CPU, "user::twice", twice_a, (void *)&scale, NULL},
        {FT_KEY_AUTOGRAD_CPU, "user::twice_backward", NULL, NULL, NULL},
    };
    const ft_op_t *op;
    ft_status st = ft_registry_register(reg, "ns::twice.default", regs, 2, &op);
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    const ft_scalar_t a = ft_scalar_make(21, FT_DTYPE_F64, FT_BACKEND_CPU, true);
    ft_scalar_t out;
    ft_decision_t d;
    if (st == FT_OK)
        st = ft_dispatch_binary(&ctx, op, &a, &a, &out, &d);
    const bool ok = st == FT_OK && out.value == 42 && d.selected_key == FT_KEY_AUTOGRAD_CPU &&
                    d.hops[0].tag == FT_TAG_KERNEL && strcmp(d.kernel, "user::twice") == 0;
    ft_registry_free(reg);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK(ok);
}

static void registry_rejects_bad_registrations(void) {
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    const ft_registration_t good = {FT_KEY_CPU, "k", twice_a, NULL, NULL};
    static const struct {
        ft_key_t key;
        const char *name;
        bool fn;
        ft_status want;
    } bad[] = {
        {FT_KEY_UNDEFINED, "k", true, FT_EINVALID_REGISTRATION},
        {FT_KEY_DENSE, "k", true, FT_EINVALID_REGISTRATION},                     /* per-backend functionality */
        {FT_KEY_START_OF_DENSE_BACKENDS, "k", true, FT_EINVALID_REGISTRATION},   /* placeholder */
        {FT_KEY_END_OF_FUNCTIONALITY_KEYS, "k", true, FT_EINVALID_REGISTRATION}, /* marker */
        {(ft_key_t)122, "k", true, FT_EINVALID_REGISTRATION},
        {FT_KEY_CPU, "", true, FT_EINVALID_REGISTRATION},
        {FT_KEY_CPU, NULL, true, FT_EINVALID_REGISTRATION},
        {FT_KEY_CPU, "k", false, FT_EINVALID_REGISTRATION}, /* backend kernel needs fn */
        {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, "k", false, FT_EINVALID_REGISTRATION},
        {FT_KEY_AUTOGRAD, "k", true, FT_EINVALID_REGISTRATION},        /* a kernel there would never run */
        {FT_KEY_CPU, "cpu::\xff\xfe", true, FT_EINVALID_REGISTRATION}, /* not printable ASCII */
        {FT_KEY_CPU, "cpu::a\nb", true, FT_EINVALID_REGISTRATION},
        {FT_KEY_AUTOGRAD_CPU, "k", true, FT_EINVALID_REGISTRATION},
    };
    ft_status got[sizeof bad / sizeof bad[0]];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const ft_registration_t r = {bad[i].key, bad[i].name, bad[i].fn ? twice_a : NULL, NULL, NULL};
        got[i] = ft_registry_register(reg, "bad_op", &r, 1, NULL);
    }
    const ft_registration_t dup_key[] = {good, good};
    const ft_status dup = ft_registry_register(reg, "dup_key", dup_key, 2, NULL);
    const ft_status none = ft_registry_register(reg, "none", &good, 0, NULL);
    const ft_status existing = ft_registry_register(reg, "add", &good, 1, NULL);
    static const char *const bad_names[] = {
        "", "1add", "a b", "add-op", "x/y", "a123456789012345678901234567890123456789012345678901234567890123"};
    ft_status names[6];
    for (size_t i = 0; i < 6; i++)
        names[i] = ft_registry_register(reg, bad_names[i], &good, 1, NULL);
    const size_t count = ft_registry_op_count(reg);
    const ft_status null_reg = ft_registry_register(NULL, "x", &good, 1, NULL);
    ft_registry_free(reg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FT_CHECK_MSG(got[i] == bad[i].want, "case %zu: %s", i, ft_status_code(got[i]));
    FT_CHECK_STATUS(dup, FT_EINVALID_REGISTRATION);
    FT_CHECK_STATUS(none, FT_EINVALID_REGISTRATION);
    FT_CHECK_STATUS(existing, FT_EDUPLICATE_OP);
    for (size_t i = 0; i < 6; i++)
        FT_CHECK_MSG(names[i] == FT_EINVALID_OP_NAME, "name '%s': %s", bad_names[i], ft_status_code(names[i]));
    FT_CHECK_EQ_INT(count, 10); /* nothing half-registered */
    FT_CHECK_STATUS(null_reg, FT_EINVALID_ARGUMENT);
    ft_registry_free(NULL); /* a no-op */
}

/* Each failed registration leaves its detail in the registry's last error; the
 * context-free key check says the same. */
static void registry_last_error_says_what_failed(void) {
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    const ft_error_t *err = ft_registry_last_error(reg);
    const bool clean = err->code == FT_OK && err->message[0] == '\0';
    const ft_registration_t good = {FT_KEY_CPU, "k", twice_a, NULL, NULL};
    const ft_registration_t dup_key[] = {good, good};
    const struct {
        const char *name;
        const ft_registration_t *regs;
        size_t count;
        ft_status want;
        const char *message;
    } cases[] = {
        {"dup_key", dup_key, 2, FT_EINVALID_REGISTRATION, "duplicate registration for CPU"},
        {"add", &good, 1, FT_EDUPLICATE_OP, "operator 'add' is already registered"},
        {"none", &good, 0, FT_EINVALID_REGISTRATION, "no registrations"},
        {"1add", &good, 1, FT_EINVALID_OP_NAME, "operator name '1add' must start with a letter or '_'"},
        {"a b", &good, 1, FT_EINVALID_OP_NAME,
         "operator name 'a b' has byte 0x20 at offset 1 (allowed: [A-Za-z0-9_.:])"},
        {"", &good, 1, FT_EINVALID_OP_NAME, "operator name is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ft_status st = ft_registry_register(reg, cases[i].name, cases[i].regs, cases[i].count, NULL);
        const bool same = st == cases[i].want && err->code == st && strcmp(err->message, cases[i].message) == 0;
        if (!same)
            ft_registry_free(reg);
        FT_CHECK_MSG(same, "case %zu: %s / '%s'", i, ft_status_code(st), err->message);
    }
    static const struct {
        ft_key_t key;
        const char *name;
        ft_kernel_fn fn;
        const char *message;
    } regs[] = {
        {FT_KEY_DENSE, "k", twice_a, "Dense is not a runtime or alias key (kernels register there)"},
        {FT_KEY_UNDEFINED, "k", twice_a, "Undefined takes no registration"},
        {(ft_key_t)122, "k", twice_a, "key id 122 is not a dispatch key"},
        {FT_KEY_CPU, "", twice_a, "registration for CPU: kernel name must be 1..127 printable ASCII characters"},
        {FT_KEY_CPU, "k", NULL, "registration for CPU: no kernel function"},
        {FT_KEY_AUTOGRAD_CPU, "k", twice_a,
         "registration for AutogradCPU: an autograd key takes no kernel function (the autograd wrapper is its "
         "kernel)"},
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        const ft_registration_t r = {regs[i].key, regs[i].name, regs[i].fn, NULL, NULL};
        const ft_status st = ft_registry_register(reg, "bad_op", &r, 1, NULL);
        const bool same = st == FT_EINVALID_REGISTRATION && strcmp(err->message, regs[i].message) == 0;
        if (!same)
            ft_registry_free(reg);
        FT_CHECK_MSG(same, "registration %zu: %s / '%s'", i, ft_status_code(st), err->message);
    }
    /* a success keeps the last failure's record, as libgit2's does */
    const ft_status ok_st = ft_registry_register(reg, "fine", &good, 1, NULL);
    const bool kept = err->code == FT_EINVALID_REGISTRATION;
    ft_registry_free(reg);
    FT_CHECK(clean);
    FT_CHECK_STATUS(ok_st, FT_OK);
    FT_CHECK(kept);
    FT_CHECK(ft_registry_last_error(NULL)->code == FT_EINVALID_ARGUMENT);

    ft_error_t why;
    const ft_key_t twice[] = {FT_KEY_CPU, FT_KEY_AUTOGRAD, FT_KEY_CPU};
    FT_CHECK_STATUS(ft_table_check_keys(twice, 3, &why), FT_EINVALID_REGISTRATION);
    FT_CHECK_MSG(strcmp(why.message, "duplicate registration for CPU") == 0, "%s", why.message);
    FT_CHECK_STATUS(ft_table_check_keys(twice, 2, &why), FT_OK);
    FT_CHECK(why.code == FT_OK && why.message[0] == '\0');
    FT_CHECK_STATUS(ft_table_check_keys(twice, 3, NULL), FT_EINVALID_REGISTRATION);
    FT_CHECK_STATUS(ft_table_check_keys(NULL, 0, &why), FT_OK);
    FT_CHECK_STATUS(ft_table_check_keys(NULL, 1, &why), FT_EINVALID_ARGUMENT);
}

/* Lookup by name is a hash lookup: thousands of operators, each found, none
 * confused with another, registration order kept. */
static void registry_finds_each_of_many_ops(void) {
    enum { N = 5000 };
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    const ft_registration_t r = {FT_KEY_CPU, "k", twice_a, NULL, NULL};
    bool ok = true;
    char name[32];
    for (int i = 0; i < N && ok; i++) {
        snprintf(name, sizeof name, "user::op%d", i);
        ok = ft_registry_register(reg, name, &r, 1, NULL) == FT_OK;
    }
    for (int i = 0; i < N && ok; i++) {
        const ft_op_t *op = NULL;
        snprintf(name, sizeof name, "user::op%d", i);
        ok = ft_registry_find(reg, name, &op) == FT_OK && op == ft_registry_op_at(reg, 10 + (size_t)i) &&
             strcmp(ft_op_name(op), name) == 0;
    }
    const ft_op_t *op = NULL;
    ok = ok && ft_registry_find(reg, "user::op5000", &op) == FT_EUNKNOWN_OP &&
         ft_registry_find(reg, "user::op", &op) == FT_EUNKNOWN_OP && ft_registry_find(reg, "add", &op) == FT_OK &&
         op == ft_registry_op_at(reg, 0) && ft_registry_op_count(reg) == 10 + N;
    ok = ok && ft_registry_register(reg, "user::op4999", &r, 1, NULL) == FT_EDUPLICATE_OP;
    ft_registry_free(reg);
    FT_CHECK(ok);
    ft_registry_t *empty;
    FT_CHECK_STATUS(ft_registry_new_empty(&empty), FT_OK);
    const ft_status none = ft_registry_find(empty, "add", &op);
    ft_registry_free(empty);
    FT_CHECK_STATUS(none, FT_EUNKNOWN_OP);
}

/* The operator's stored table and the standalone computation are one function. */
static void registry_table_equals_standalone_computation(void) {
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    const ft_key_t *rt;
    size_t n = ft_key_runtime_list(&rt);
    bool ok = true;
    for (size_t i = 0; i < ft_registry_op_count(reg) && ok; i++) {
        const ft_op_t *op = ft_registry_op_at(reg, i);
        const ft_registration_t *regs;
        size_t count = ft_op_registrations(op, &regs);
        ft_key_t keys[4];
        for (size_t j = 0; j < count; j++)
            keys[j] = regs[j].key;
        for (size_t k = 0; k < n && ok; k++) {
            ft_table_entry_t a, b;
            ok = ft_op_table_entry(op, rt[k], &a) == FT_OK && ft_table_compute_entry(keys, count, rt[k], &b) == FT_OK &&
                 a.tag == b.tag && a.source == b.source && a.fallthrough == b.fallthrough &&
                 (a.registration != NULL) == (a.source != FT_KEY_UNDEFINED);
        }
    }
    ft_registry_free(reg);
    FT_CHECK(ok);
    ft_table_entry_t e;
    const ft_key_t twice[] = {FT_KEY_CPU, FT_KEY_CPU};
    FT_CHECK_STATUS(ft_table_compute_entry(twice, 2, FT_KEY_CPU, &e), FT_EINVALID_REGISTRATION);
    const ft_key_t bad = FT_KEY_DENSE;
    FT_CHECK_STATUS(ft_table_compute_entry(&bad, 1, FT_KEY_CPU, &e), FT_EINVALID_REGISTRATION);
    FT_CHECK_STATUS(ft_table_compute_entry(NULL, 0, FT_KEY_CPU, &e), FT_OK);
    FT_CHECK_EQ_INT(e.tag, FT_TAG_MISSING);
}

/* CompositeImplicitAutogradNestedTensor takes every key it covers, even beside
 * a backend kernel or CompositeExplicitAutograd (torch 1.13 _dispatch_dump_table:
 * {CompositeExplicitAutograd, CompositeImplicitAutogradNestedTensor} gives
 * NestedTensorCPU and AutogradNestedTensor "nested kernel"). */
static void registry_nested_kernel_rule_is_unconditional(void) {
    const ft_key_t regs[] = {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR};
    const ft_key_t with_backend[] = {FT_KEY_NESTED_TENSOR_CPU, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR};
    ft_table_entry_t e;
    FT_CHECK_STATUS(ft_table_compute_entry(regs, 2, FT_KEY_NESTED_TENSOR_CPU, &e), FT_OK);
    FT_CHECK_EQ_INT(e.tag, FT_TAG_NESTED);
    FT_CHECK_EQ_INT(e.source, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR);
    FT_CHECK_STATUS(ft_table_compute_entry(regs, 2, FT_KEY_AUTOGRAD_NESTED_TENSOR, &e), FT_OK);
    FT_CHECK_EQ_INT(e.tag, FT_TAG_NESTED);
    FT_CHECK_STATUS(ft_table_compute_entry(with_backend, 2, FT_KEY_AUTOGRAD_NESTED_TENSOR, &e), FT_OK);
    FT_CHECK_EQ_INT(e.tag, FT_TAG_NESTED);
    FT_CHECK_STATUS(ft_table_compute_entry(regs, 2, FT_KEY_UNDEFINED, &e), FT_OK); /* never for Undefined */
    FT_CHECK_EQ_INT(e.tag, FT_TAG_DEFAULT_BACKEND);
}

/* The static built-in registry is never freed: ft_registry_free ignores it
 * (freeing its static operators would crash, or corrupt the heap), and the
 * built-ins still work afterwards. */
static void registry_free_ignores_the_builtin_registry(void) {
    ft_registry_free((ft_registry_t *)ft_registry_builtins());
    const ft_op_t *add = NULL;
    FT_CHECK_STATUS(ft_registry_find(ft_registry_builtins(), "add", &add), FT_OK);
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    const ft_scalar_t a = ft_scalar_make(2.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    const ft_scalar_t b = ft_scalar_make(3.0, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    ft_scalar_t out;
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, add, &a, &b, &out, NULL), FT_OK);
    FT_CHECK(out.value == 5.0);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(registry_builtins_are_spec_ops),
        FT_CASE(registry_free_ignores_the_builtin_registry),
        FT_CASE(registry_user_op_dispatches_with_payload),
        FT_CASE(registry_rejects_bad_registrations),
        FT_CASE(registry_last_error_says_what_failed),
        FT_CASE(registry_finds_each_of_many_ops),
        FT_CASE(registry_table_equals_standalone_computation),
        FT_CASE(registry_nested_kernel_rule_is_unconditional),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
