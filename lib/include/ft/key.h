/* libft — dispatch keys: PyTorch 1.13's c10::DispatchKey and BackendComponent.
 *
 * Values are c10's, so an id from this header and from torch 1.13 name the same key.
 * Four kinds of key share the enum:
 *   - functionality keys (1..40), five of which are "per-backend" (Dense, Quantized,
 *     Sparse, NestedTensor, AutogradFunctionality);
 *   - runtime per-backend keys: a placeholder (e.g. 42, torch's name for it comes
 *     from ft_key_name) followed by one key per backend component (CPU = 43, ...);
 *   - 41, the end-of-functionality marker (a name, never a real key);
 *   - alias keys (117..121), which exist only for registration.
 * Undefined (0) is the empty key.
 *
 * Thread-safety: pure functions over static tables; call them from any thread. */
#ifndef FT_KEY_H
#define FT_KEY_H

#include "ft/common.h"
#include "ft/status.h"

FT_BEGIN_DECLS

typedef enum ft_key {
    FT_KEY_UNDEFINED = 0,
    FT_KEY_DENSE = 1,
    FT_KEY_FPGA = 2,
    FT_KEY_ORT = 3,
    FT_KEY_VULKAN = 4,
    FT_KEY_METAL = 5,
    FT_KEY_QUANTIZED = 6,
    FT_KEY_CUSTOM_RNG_KEY_ID = 7,
    FT_KEY_MKLDNN_CPU = 8,
    FT_KEY_SPARSE = 9,
    FT_KEY_SPARSE_CSR_CPU = 10,
    FT_KEY_SPARSE_CSR_CUDA = 11,
    FT_KEY_NESTED_TENSOR = 12,
    FT_KEY_BACKEND_SELECT = 13,
    FT_KEY_PYTHON = 14,
    FT_KEY_FAKE = 15,
    FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_BACK_MODE = 16,
    FT_KEY_FUNCTIONALIZE = 17,
    FT_KEY_NAMED = 18,
    FT_KEY_CONJUGATE = 19,
    FT_KEY_NEGATIVE = 20,
    FT_KEY_ZERO_TENSOR = 21,
    FT_KEY_AD_INPLACE_OR_VIEW = 22,
    FT_KEY_AUTOGRAD_OTHER = 23,
    FT_KEY_AUTOGRAD_FUNCTIONALITY = 24,
    FT_KEY_AUTOGRAD_NESTED_TENSOR = 25,
    FT_KEY_TRACER = 26,
    FT_KEY_AUTOCAST_CPU = 27,
    FT_KEY_AUTOCAST_XPU = 28,
    FT_KEY_AUTOCAST_CUDA = 29,
    FT_KEY_FUNC_TORCH_BATCHED = 30,
    FT_KEY_FUNC_TORCH_VMAP_MODE = 31,
    FT_KEY_BATCHED = 32,
    FT_KEY_VMAP_MODE = 33,
    FT_KEY_FUNC_TORCH_GRAD_WRAPPER = 34,
    FT_KEY_DEFERRED_INIT = 35,
    FT_KEY_PYTHON_TLS_SNAPSHOT = 36,
    FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_FRONT_MODE = 37,
    FT_KEY_TESTING_ONLY_GENERIC_WRAPPER = 38,
    FT_KEY_TESTING_ONLY_GENERIC_MODE = 39,
    FT_KEY_PYTHON_DISPATCHER = 40,
    FT_KEY_END_OF_FUNCTIONALITY_KEYS = 41,
    FT_KEY_START_OF_DENSE_BACKENDS = 42,
    FT_KEY_CPU = 43,
    FT_KEY_CUDA = 44,
    FT_KEY_HIP = 45,
    FT_KEY_XLA = 46,
    FT_KEY_MPS = 47,
    FT_KEY_IPU = 48,
    FT_KEY_XPU = 49,
    FT_KEY_HPU = 50,
    FT_KEY_VE = 51,
    FT_KEY_LAZY = 52,
    FT_KEY_META = 53,
    FT_KEY_PRIVATEUSE1 = 54,
    FT_KEY_PRIVATEUSE2 = 55,
    FT_KEY_PRIVATEUSE3 = 56,
    FT_KEY_START_OF_QUANTIZED_BACKENDS = 57,
    FT_KEY_QUANTIZED_CPU = 58,
    FT_KEY_QUANTIZED_CUDA = 59,
    FT_KEY_QUANTIZED_HIP = 60,
    FT_KEY_QUANTIZED_XLA = 61,
    FT_KEY_QUANTIZED_MPS = 62,
    FT_KEY_QUANTIZED_IPU = 63,
    FT_KEY_QUANTIZED_XPU = 64,
    FT_KEY_QUANTIZED_HPU = 65,
    FT_KEY_QUANTIZED_VE = 66,
    FT_KEY_QUANTIZED_LAZY = 67,
    FT_KEY_QUANTIZED_META = 68,
    FT_KEY_QUANTIZED_PRIVATEUSE1 = 69,
    FT_KEY_QUANTIZED_PRIVATEUSE2 = 70,
    FT_KEY_QUANTIZED_PRIVATEUSE3 = 71,
    FT_KEY_START_OF_SPARSE_BACKENDS = 72,
    FT_KEY_SPARSE_CPU = 73,
    FT_KEY_SPARSE_CUDA = 74,
    FT_KEY_SPARSE_HIP = 75,
    FT_KEY_SPARSE_XLA = 76,
    FT_KEY_SPARSE_MPS = 77,
    FT_KEY_SPARSE_IPU = 78,
    FT_KEY_SPARSE_XPU = 79,
    FT_KEY_SPARSE_HPU = 80,
    FT_KEY_SPARSE_VE = 81,
    FT_KEY_SPARSE_LAZY = 82,
    FT_KEY_SPARSE_META = 83,
    FT_KEY_SPARSE_PRIVATEUSE1 = 84,
    FT_KEY_SPARSE_PRIVATEUSE2 = 85,
    FT_KEY_SPARSE_PRIVATEUSE3 = 86,
    FT_KEY_START_OF_NESTED_TENSOR_BACKENDS = 87,
    FT_KEY_NESTED_TENSOR_CPU = 88,
    FT_KEY_NESTED_TENSOR_CUDA = 89,
    FT_KEY_NESTED_TENSOR_HIP = 90,
    FT_KEY_NESTED_TENSOR_XLA = 91,
    FT_KEY_NESTED_TENSOR_MPS = 92,
    FT_KEY_NESTED_TENSOR_IPU = 93,
    FT_KEY_NESTED_TENSOR_XPU = 94,
    FT_KEY_NESTED_TENSOR_HPU = 95,
    FT_KEY_NESTED_TENSOR_VE = 96,
    FT_KEY_NESTED_TENSOR_LAZY = 97,
    FT_KEY_NESTED_TENSOR_META = 98,
    FT_KEY_NESTED_TENSOR_PRIVATEUSE1 = 99,
    FT_KEY_NESTED_TENSOR_PRIVATEUSE2 = 100,
    FT_KEY_NESTED_TENSOR_PRIVATEUSE3 = 101,
    FT_KEY_START_OF_AUTOGRAD_FUNCTIONALITY_BACKENDS = 102,
    FT_KEY_AUTOGRAD_CPU = 103,
    FT_KEY_AUTOGRAD_CUDA = 104,
    FT_KEY_AUTOGRAD_HIP = 105,
    FT_KEY_AUTOGRAD_XLA = 106,
    FT_KEY_AUTOGRAD_MPS = 107,
    FT_KEY_AUTOGRAD_IPU = 108,
    FT_KEY_AUTOGRAD_XPU = 109,
    FT_KEY_AUTOGRAD_HPU = 110,
    FT_KEY_AUTOGRAD_VE = 111,
    FT_KEY_AUTOGRAD_LAZY = 112,
    FT_KEY_AUTOGRAD_META = 113,
    FT_KEY_AUTOGRAD_PRIVATEUSE1 = 114,
    FT_KEY_AUTOGRAD_PRIVATEUSE2 = 115,
    FT_KEY_AUTOGRAD_PRIVATEUSE3 = 116,
    FT_KEY_AUTOGRAD = 117,
    FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD = 118,
    FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR = 119,
    FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD = 120,
    FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL = 121,
} ft_key_t;

#define FT_KEY_ID_COUNT           122 /* valid ids are 0 .. FT_KEY_ID_COUNT-1 */
#define FT_KEY_LAST_FUNCTIONALITY FT_KEY_PYTHON_DISPATCHER
#define FT_KEY_FIRST_ALIAS        FT_KEY_AUTOGRAD
#define FT_KEY_LAST_ALIAS         FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL

/* c10::BackendComponent. Component v owns keyset bit v-1. */
typedef enum ft_backend {
    FT_BACKEND_INVALID = 0,
    FT_BACKEND_CPU = 1,
    FT_BACKEND_CUDA = 2,
    FT_BACKEND_HIP = 3,
    FT_BACKEND_XLA = 4,
    FT_BACKEND_MPS = 5,
    FT_BACKEND_IPU = 6,
    FT_BACKEND_XPU = 7,
    FT_BACKEND_HPU = 8,
    FT_BACKEND_VE = 9,
    FT_BACKEND_LAZY = 10,
    FT_BACKEND_META = 11,
    FT_BACKEND_PRIVATEUSE1 = 12,
    FT_BACKEND_PRIVATEUSE2 = 13,
    FT_BACKEND_PRIVATEUSE3 = 14
} ft_backend_t;

#define FT_BACKEND_COUNT 14

/* Torch's name for key id `key` ("CPU", "AutogradCPU", placeholders included), or
 * NULL if `key` is not an id 0..121. Static storage. */
FT_API const char *ft_key_name(ft_key_t key);

/* Key id for a torch name (exact, case-sensitive). FT_EUNKNOWN_KEY_NAME if none;
 * FT_EINVALID_ARGUMENT if name or out is NULL. Where torch gives two ids the same
 * name, the lower id wins. */
FT_API ft_status ft_key_from_name(const char *name, ft_key_t *out);

/* Same, for a name that is not NUL-terminated. */
FT_API ft_status ft_key_from_name_n(const char *name, size_t len, ft_key_t *out);

/* Name of a backend component ("CPU", ...; "InvalidBit" for 0), NULL if out of range. */
FT_API const char *ft_backend_name(ft_backend_t backend);

/* True for ids 0..121. */
FT_API bool ft_key_is_valid(ft_key_t key);
/* Functionality keys 1..40 (c10: k <= EndOfFunctionalityKeys, excluding Undefined
 * and the end marker). */
FT_API bool ft_key_is_functionality(ft_key_t key);
/* Dense, Quantized, Sparse, NestedTensor, AutogradFunctionality. */
FT_API bool ft_key_is_per_backend_functionality(ft_key_t key);
/* Autograd .. CompositeExplicitAutogradNonFunctional (117..121). */
FT_API bool ft_key_is_alias(ft_key_t key);
/* A placeholder slot ("Unknown", "QuantizedUnknown", ...: 42, 57, 72, 87, 102). */
FT_API bool ft_key_is_placeholder(ft_key_t key);
/* A runtime per-backend key such as CPU or AutogradCPU (placeholders excluded). */
FT_API bool ft_key_is_per_backend(ft_key_t key);
/* A key that has its own slot in a computed dispatch table: Undefined, every
 * functionality key that is not per-backend, and every runtime per-backend key. */
FT_API bool ft_key_is_runtime(ft_key_t key);
/* c10::isBackendDispatchKey (1.13): Dense, Quantized and Sparse with their
 * runtime keys and placeholders, FPGA, ORT, Vulkan, Metal, MkldnnCPU,
 * SparseCsrCPU/CUDA and CustomRNGKeyId — 56 ids. Not NestedTensor keys ("not a
 * backend key" in c10), not autograd keys, not aliases. */
FT_API bool ft_key_is_backend(ft_key_t key);
/* AutogradOther, AutogradNestedTensor and the AutogradFunctionality runtime keys. */
FT_API bool ft_key_is_autograd(ft_key_t key);

/* c10::toFunctionalityKey: Dense for CPU, AutogradFunctionality for AutogradCPU,
 * the key itself for functionality keys, Undefined for alias keys. */
FT_API ft_key_t ft_key_functionality(ft_key_t key);
/* c10::toBackendComponent: CPU for AutogradCPU, FT_BACKEND_INVALID otherwise. */
FT_API ft_backend_t ft_key_backend(ft_key_t key);
/* c10::toRuntimePerBackendFunctionalityKey: (Dense, CPU) -> CPU; with
 * FT_BACKEND_INVALID the placeholder; Undefined if `functionality` is not per-backend. */
FT_API ft_key_t ft_key_runtime(ft_key_t functionality, ft_backend_t backend);

/* Runtime keys in the order torch's computed table lists them: Undefined, then the
 * iteration order of the full keyset. Returns the count (106) and, if `out` is not
 * NULL, the array (static storage). */
FT_API size_t ft_key_runtime_list(const ft_key_t **out);

FT_END_DECLS

#endif
