/* Dispatch keys: names (from the generated torch facts) and classification. */
#include <string.h>

#include "ft/key.h"
#include "ft/keyset.h"
#include "ft_key_facts.h"

_Static_assert(FT_KEY_ID_COUNT == FTP_KEY_ID_COUNT, "key id domain");
_Static_assert(FT_KEY_FIRST_ALIAS == FTP_ALIAS_FIRST, "alias boundary");

#define PLACEHOLDER_FIRST 42 /* FT_KEY_START_OF_DENSE_BACKENDS */
#define BLOCK             15 /* a placeholder + 14 backends per per-backend functionality */

static const char *const backend_names[FT_BACKEND_COUNT + 1] = {
    "InvalidBit", "CPU", "CUDA", "HIP",  "XLA",         "MPS",         "IPU",         "XPU",
    "HPU",        "VE",  "Lazy", "Meta", "PrivateUse1", "PrivateUse2", "PrivateUse3",
};

static const ft_key_t per_backend_functionalities[5] = {
    FT_KEY_DENSE, FT_KEY_QUANTIZED, FT_KEY_SPARSE, FT_KEY_NESTED_TENSOR, FT_KEY_AUTOGRAD_FUNCTIONALITY,
};

bool ft_key_is_valid(ft_key_t key) {
    return (unsigned)key < FT_KEY_ID_COUNT;
}

const char *ft_key_name(ft_key_t key) {
    return ft_key_is_valid(key) ? ftp_key_names[key] : NULL;
}

ft_status ft_key_from_name_n(const char *name, size_t len, ft_key_t *out) {
    if (!name || !out)
        return FT_EINVALID_ARGUMENT;
    /* A NUL inside the text is never part of a name (and would let strncmp stop
     * early and n[len] read past a shorter name). */
    if (len == 0 || memchr(name, '\0', len))
        return FT_EUNKNOWN_KEY_NAME;
    for (unsigned id = 0; id < FT_KEY_ID_COUNT; id++) {
        const char *n = ftp_key_names[id];
        /* first byte, then the rest: most names fail on the first compare */
        if (n[0] == name[0] && strncmp(n, name, len) == 0 && n[len] == '\0') {
            *out = (ft_key_t)id;
            return FT_OK;
        }
    }
    return FT_EUNKNOWN_KEY_NAME;
}

ft_status ft_key_from_name(const char *name, ft_key_t *out) {
    if (!name)
        return FT_EINVALID_ARGUMENT;
    return ft_key_from_name_n(name, strlen(name), out);
}

const char *ft_backend_name(ft_backend_t backend) {
    return (unsigned)backend <= FT_BACKEND_COUNT ? backend_names[backend] : NULL;
}

bool ft_key_is_functionality(ft_key_t key) {
    return key >= FT_KEY_DENSE && key <= FT_KEY_LAST_FUNCTIONALITY;
}

bool ft_key_is_per_backend_functionality(ft_key_t key) {
    return (unsigned)key <= FT_KEY_LAST_FUNCTIONALITY && ft__keyset_placeholder((unsigned)key) != 0;
}

bool ft_key_is_alias(ft_key_t key) {
    return key >= FT_KEY_FIRST_ALIAS && key <= FT_KEY_LAST_ALIAS;
}

bool ft_key_is_placeholder(ft_key_t key) {
    return key >= PLACEHOLDER_FIRST && key < FT_KEY_FIRST_ALIAS && (key - PLACEHOLDER_FIRST) % BLOCK == 0;
}

bool ft_key_is_per_backend(ft_key_t key) {
    return key > PLACEHOLDER_FIRST && key < FT_KEY_FIRST_ALIAS && !ft_key_is_placeholder(key);
}

bool ft_key_is_runtime(ft_key_t key) {
    return key == FT_KEY_UNDEFINED || (ft_key_is_functionality(key) && !ft_key_is_per_backend_functionality(key)) ||
           ft_key_is_per_backend(key);
}

ft_key_t ft_key_functionality(ft_key_t key) {
    if ((unsigned)key <= FT_KEY_END_OF_FUNCTIONALITY_KEYS)
        return key;
    if (key < FT_KEY_FIRST_ALIAS)
        return per_backend_functionalities[(key - PLACEHOLDER_FIRST) / BLOCK];
    return FT_KEY_UNDEFINED;
}

ft_backend_t ft_key_backend(ft_key_t key) {
    if (key < PLACEHOLDER_FIRST || key >= FT_KEY_FIRST_ALIAS)
        return FT_BACKEND_INVALID;
    return (ft_backend_t)((key - PLACEHOLDER_FIRST) % BLOCK);
}

ft_key_t ft_key_runtime(ft_key_t functionality, ft_backend_t backend) {
    if ((unsigned)backend > FT_BACKEND_COUNT || !ft_key_is_per_backend_functionality(functionality))
        return FT_KEY_UNDEFINED;
    /* the placeholder is the highest priority key of the functionality alone */
    return (ft_key_t)(ft_keyset_highest_priority_type_id(ft_keyset_from_key(functionality)) + (unsigned)backend);
}

bool ft_key_is_autograd(ft_key_t key) {
    return key == FT_KEY_AUTOGRAD_OTHER || key == FT_KEY_AUTOGRAD_NESTED_TENSOR ||
           (ft_key_is_per_backend(key) && ft_key_functionality(key) == FT_KEY_AUTOGRAD_FUNCTIONALITY);
}

bool ft_key_is_backend(ft_key_t key) {
    /* c10's backend_dispatch_keyset: the AutogradOther backends plus Dense */
    const ft_keyset_t backends = ft_keyset_add(ft_keyset_from_raw(ftp_autogradother_backends), FT_KEY_DENSE);
    return key != FT_KEY_UNDEFINED && !ft_key_is_alias(key) && key != FT_KEY_NESTED_TENSOR &&
           ft_keyset_has(backends, key);
}

/* The runtime keys in torch's table order: Undefined, then the iteration order of
 * the full keyset (ascending functionality, per-backend ones expanded). A unit
 * test checks this against ft_keyset_iter(ft_keyset_full()). */
#define BACKENDS_AFTER(p)                                                                                              \
    (ft_key_t)(p + 1), (ft_key_t)(p + 2), (ft_key_t)(p + 3), (ft_key_t)(p + 4), (ft_key_t)(p + 5), (ft_key_t)(p + 6),  \
        (ft_key_t)(p + 7), (ft_key_t)(p + 8), (ft_key_t)(p + 9), (ft_key_t)(p + 10), (ft_key_t)(p + 11),               \
        (ft_key_t)(p + 12), (ft_key_t)(p + 13), (ft_key_t)(p + 14)

static const ft_key_t runtime_keys[] = {
    FT_KEY_UNDEFINED,
    BACKENDS_AFTER(FT_KEY_START_OF_DENSE_BACKENDS),
    FT_KEY_FPGA,
    FT_KEY_ORT,
    FT_KEY_VULKAN,
    FT_KEY_METAL,
    BACKENDS_AFTER(FT_KEY_START_OF_QUANTIZED_BACKENDS),
    FT_KEY_CUSTOM_RNG_KEY_ID,
    FT_KEY_MKLDNN_CPU,
    BACKENDS_AFTER(FT_KEY_START_OF_SPARSE_BACKENDS),
    FT_KEY_SPARSE_CSR_CPU,
    FT_KEY_SPARSE_CSR_CUDA,
    BACKENDS_AFTER(FT_KEY_START_OF_NESTED_TENSOR_BACKENDS),
    FT_KEY_BACKEND_SELECT,
    FT_KEY_PYTHON,
    FT_KEY_FAKE,
    FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_BACK_MODE,
    FT_KEY_FUNCTIONALIZE,
    FT_KEY_NAMED,
    FT_KEY_CONJUGATE,
    FT_KEY_NEGATIVE,
    FT_KEY_ZERO_TENSOR,
    FT_KEY_AD_INPLACE_OR_VIEW,
    FT_KEY_AUTOGRAD_OTHER,
    BACKENDS_AFTER(FT_KEY_START_OF_AUTOGRAD_FUNCTIONALITY_BACKENDS),
    FT_KEY_AUTOGRAD_NESTED_TENSOR,
    FT_KEY_TRACER,
    FT_KEY_AUTOCAST_CPU,
    FT_KEY_AUTOCAST_XPU,
    FT_KEY_AUTOCAST_CUDA,
    FT_KEY_FUNC_TORCH_BATCHED,
    FT_KEY_FUNC_TORCH_VMAP_MODE,
    FT_KEY_BATCHED,
    FT_KEY_VMAP_MODE,
    FT_KEY_FUNC_TORCH_GRAD_WRAPPER,
    FT_KEY_DEFERRED_INIT,
    FT_KEY_PYTHON_TLS_SNAPSHOT,
    FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_FRONT_MODE,
    FT_KEY_TESTING_ONLY_GENERIC_WRAPPER,
    FT_KEY_TESTING_ONLY_GENERIC_MODE,
    FT_KEY_PYTHON_DISPATCHER,
};

_Static_assert(sizeof runtime_keys / sizeof runtime_keys[0] == 106, "Undefined + 35 + 5 * 14 runtime keys");

size_t ft_key_runtime_list(const ft_key_t **out) {
    if (out)
        *out = runtime_keys;
    return sizeof runtime_keys / sizeof runtime_keys[0];
}
