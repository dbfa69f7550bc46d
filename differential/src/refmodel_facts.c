/* Reference model: the facts of PyTorch 1.13's key domain, as plain lists.
 *
 * Sources (read, not copied): /usr/include/c10/core/DispatchKey.h and
 * DispatchKeySet.h of Debian's libtorch-dev, and probes of python3-torch 1.13:
 *   - names: torch._C._dispatch_key_name(DispatchKey(id)) for ids 0..121;
 *   - alias coverage: torch._C._dispatch_is_included_in_alias(k, alias) for
 *     every id, written down below as "which keys / which blocks";
 *   - backend kernels of autograd keys: _dispatch_get_backend_keyset_from_autograd;
 *   - backend fallbacks: _dispatch_dump_table of an operator without kernels.
 * differential/tests/test_refmodel.c checks all of it against the committed
 * torch fixtures (keys, tables, tables_random). */
#include <string.h>

#include "refmodel_internal.h"

/* Functionality keys in priority order (lowest first), with torch's names. The
 * index is the key's value; the designated initialisers tie each name to the
 * public enum so a renumbering shows up as a fixture failure, not silently. */
static const char *const functionality_names[FTDR_FUNCTIONALITIES + 1] = {
    [FT_KEY_UNDEFINED] = "Undefined",
    [FT_KEY_DENSE] = "Dense",
    [FT_KEY_FPGA] = "FPGA",
    [FT_KEY_ORT] = "ORT",
    [FT_KEY_VULKAN] = "Vulkan",
    [FT_KEY_METAL] = "Metal",
    [FT_KEY_QUANTIZED] = "Quantized",
    [FT_KEY_CUSTOM_RNG_KEY_ID] = "CustomRNGKeyId",
    [FT_KEY_MKLDNN_CPU] = "MkldnnCPU",
    [FT_KEY_SPARSE] = "Sparse",
    [FT_KEY_SPARSE_CSR_CPU] = "SparseCsrCPU",
    [FT_KEY_SPARSE_CSR_CUDA] = "SparseCsrCUDA",
    [FT_KEY_NESTED_TENSOR] = "NestedTensor",
    [FT_KEY_BACKEND_SELECT] = "BackendSelect",
    [FT_KEY_PYTHON] = "Python",
    [FT_KEY_FAKE] = "Fake",
    [FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_BACK_MODE] = "FuncTorchDynamicLayerBackMode",
    [FT_KEY_FUNCTIONALIZE] = "Functionalize",
    [FT_KEY_NAMED] = "Named",
    [FT_KEY_CONJUGATE] = "Conjugate",
    [FT_KEY_NEGATIVE] = "Negative",
    [FT_KEY_ZERO_TENSOR] = "ZeroTensor",
    [FT_KEY_AD_INPLACE_OR_VIEW] = "ADInplaceOrView",
    [FT_KEY_AUTOGRAD_OTHER] = "AutogradOther",
    [FT_KEY_AUTOGRAD_FUNCTIONALITY] = "AutogradFunctionality",
    [FT_KEY_AUTOGRAD_NESTED_TENSOR] = "AutogradNestedTensor",
    [FT_KEY_TRACER] = "Tracer",
    [FT_KEY_AUTOCAST_CPU] = "AutocastCPU",
    [FT_KEY_AUTOCAST_XPU] = "AutocastXPU",
    [FT_KEY_AUTOCAST_CUDA] = "AutocastCUDA",
    [FT_KEY_FUNC_TORCH_BATCHED] = "FuncTorchBatched",
    [FT_KEY_FUNC_TORCH_VMAP_MODE] = "FuncTorchVmapMode",
    [FT_KEY_BATCHED] = "Batched",
    [FT_KEY_VMAP_MODE] = "VmapMode",
    [FT_KEY_FUNC_TORCH_GRAD_WRAPPER] = "FuncTorchGradWrapper",
    [FT_KEY_DEFERRED_INIT] = "DeferredInit",
    [FT_KEY_PYTHON_TLS_SNAPSHOT] = "PythonTLSSnapshot",
    [FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_FRONT_MODE] = "FuncTorchDynamicLayerFrontMode",
    [FT_KEY_TESTING_ONLY_GENERIC_WRAPPER] = "TESTING_ONLY_GenericWrapper",
    [FT_KEY_TESTING_ONLY_GENERIC_MODE] = "TESTING_ONLY_GenericMode",
    [FT_KEY_PYTHON_DISPATCHER] = "PythonDispatcher",
};

static const char *const backend_names[FTDR_BACKENDS + 1] = {
    [FT_BACKEND_INVALID] = NULL,
    [FT_BACKEND_CPU] = "CPU",
    [FT_BACKEND_CUDA] = "CUDA",
    [FT_BACKEND_HIP] = "HIP",
    [FT_BACKEND_XLA] = "XLA",
    [FT_BACKEND_MPS] = "MPS",
    [FT_BACKEND_IPU] = "IPU",
    [FT_BACKEND_XPU] = "XPU",
    [FT_BACKEND_HPU] = "HPU",
    [FT_BACKEND_VE] = "VE",
    [FT_BACKEND_LAZY] = "Lazy",
    [FT_BACKEND_META] = "Meta",
    [FT_BACKEND_PRIVATEUSE1] = "PrivateUse1",
    [FT_BACKEND_PRIVATEUSE2] = "PrivateUse2",
    [FT_BACKEND_PRIVATEUSE3] = "PrivateUse3",
};

/* The five per-backend blocks: functionality, placeholder id (the block's
 * runtime keys follow it, one per backend component in order), the prefix of
 * its runtime key names and the placeholder's own name. */
typedef struct {
    ft_key_t functionality;
    ft_key_t placeholder;
    const char *prefix;
    const char *placeholder_name;
} block_t;

static const block_t blocks[] = {
    {FT_KEY_DENSE, FT_KEY_START_OF_DENSE_BACKENDS, "", "Unknown"},
    {FT_KEY_QUANTIZED, FT_KEY_START_OF_QUANTIZED_BACKENDS, "Quantized", "QuantizedUnknown"},
    {FT_KEY_SPARSE, FT_KEY_START_OF_SPARSE_BACKENDS, "Sparse", "SparseUnknown"},
    {FT_KEY_NESTED_TENSOR, FT_KEY_START_OF_NESTED_TENSOR_BACKENDS, "NestedTensor", "NestedTensorUnknown"},
    {FT_KEY_AUTOGRAD_FUNCTIONALITY, FT_KEY_START_OF_AUTOGRAD_FUNCTIONALITY_BACKENDS, "Autograd", "AutogradUnknown"},
};
#define BLOCK_COUNT (sizeof blocks / sizeof blocks[0])

static const struct {
    ft_key_t key;
    const char *name;
} alias_names[] = {
    {FT_KEY_AUTOGRAD, "Autograd"},
    {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "CompositeImplicitAutograd"},
    {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR, "CompositeImplicitAutogradNestedTensor"},
    {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, "CompositeExplicitAutograd"},
    {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL, "CompositeExplicitAutogradNonFunctional"},
};
#define ALIAS_COUNT (sizeof alias_names / sizeof alias_names[0])

static const char end_marker_name[] = "UnknownUnknown";

/* --- classification ----------------------------------------------------------- */

static const block_t *block_of_functionality(ft_key_t f) {
    for (size_t i = 0; i < BLOCK_COUNT; i++)
        if (blocks[i].functionality == f)
            return &blocks[i];
    return NULL;
}

/* The block whose id range (placeholder .. placeholder + 14) holds `key`. */
static const block_t *block_of_id(int key, int *backend) {
    for (size_t i = 0; i < BLOCK_COUNT; i++) {
        const int first = (int)blocks[i].placeholder;
        if (key >= first && key <= first + FTDR_BACKENDS) {
            *backend = key - first;
            return &blocks[i];
        }
    }
    return NULL;
}

bool ftdr_is_per_backend_functionality(ft_key_t functionality) {
    return block_of_functionality(functionality) != NULL;
}

ftdr_key_class_t ftdr_key_class(ft_key_t key) {
    const int k = (int)key;
    int backend;
    if (k == FT_KEY_UNDEFINED)
        return FTDR_KEY_UNDEFINED;
    if (k >= 1 && k <= FTDR_FUNCTIONALITIES)
        return ftdr_is_per_backend_functionality(key) ? FTDR_KEY_BUILDING_BLOCK : FTDR_KEY_FUNCTIONALITY;
    if (k == FT_KEY_END_OF_FUNCTIONALITY_KEYS)
        return FTDR_KEY_END_MARKER;
    if (block_of_id(k, &backend))
        return backend == 0 ? FTDR_KEY_PLACEHOLDER : FTDR_KEY_PER_BACKEND;
    for (size_t i = 0; i < ALIAS_COUNT; i++)
        if (alias_names[i].key == key)
            return FTDR_KEY_ALIAS;
    return FTDR_KEY_INVALID;
}

bool ftdr_key_split(ft_key_t key, ft_key_t *functionality, int *backend) {
    int b;
    const block_t *blk = block_of_id((int)key, &b);
    if (!blk)
        return false;
    *functionality = blk->functionality;
    *backend = b;
    return true;
}

ft_key_t ftdr_runtime_key(ft_key_t functionality, int backend) {
    const block_t *blk = block_of_functionality(functionality);
    if (!blk || backend < 0 || backend > FTDR_BACKENDS)
        return FT_KEY_UNDEFINED;
    return (ft_key_t)((int)blk->placeholder + backend);
}

ft_key_t ftdr_functionality_of(ft_key_t key) {
    ft_key_t f;
    int b;
    switch (ftdr_key_class(key)) {
    case FTDR_KEY_UNDEFINED:
    case FTDR_KEY_FUNCTIONALITY:
    case FTDR_KEY_BUILDING_BLOCK:
    case FTDR_KEY_END_MARKER:
        return key;
    case FTDR_KEY_PLACEHOLDER:
    case FTDR_KEY_PER_BACKEND:
        return ftdr_key_split(key, &f, &b) ? f : FT_KEY_UNDEFINED;
    case FTDR_KEY_ALIAS:
    case FTDR_KEY_INVALID:
        break;
    }
    return FT_KEY_UNDEFINED;
}

bool ftdr_is_runtime_key(ft_key_t key) {
    const ftdr_key_class_t c = ftdr_key_class(key);
    return c == FTDR_KEY_UNDEFINED || c == FTDR_KEY_FUNCTIONALITY || c == FTDR_KEY_PER_BACKEND;
}

bool ftdr_is_registrable(ft_key_t key) {
    const ftdr_key_class_t c = ftdr_key_class(key);
    return c == FTDR_KEY_FUNCTIONALITY || c == FTDR_KEY_PER_BACKEND || c == FTDR_KEY_ALIAS;
}

bool ftdr_is_autograd_key(ft_key_t key) {
    ft_key_t f;
    int b;
    if (key == FT_KEY_AUTOGRAD_OTHER || key == FT_KEY_AUTOGRAD_NESTED_TENSOR)
        return true;
    return ftdr_key_class(key) == FTDR_KEY_PER_BACKEND && ftdr_key_split(key, &f, &b) &&
           f == FT_KEY_AUTOGRAD_FUNCTIONALITY;
}

/* --- names ---------------------------------------------------------------------- */

const char *ftdr_key_name(ft_key_t key, char buf[FTDR_NAME_MAX]) {
    ft_key_t f = FT_KEY_UNDEFINED;
    int b = 0;
    switch (ftdr_key_class(key)) {
    case FTDR_KEY_UNDEFINED:
    case FTDR_KEY_FUNCTIONALITY:
    case FTDR_KEY_BUILDING_BLOCK:
        strcpy(buf, functionality_names[key]);
        return buf;
    case FTDR_KEY_END_MARKER:
        strcpy(buf, end_marker_name);
        return buf;
    case FTDR_KEY_PLACEHOLDER:
    case FTDR_KEY_PER_BACKEND: {
        ftdr_key_split(key, &f, &b);
        const block_t *blk = block_of_functionality(f);
        if (b == 0) {
            strcpy(buf, blk->placeholder_name);
        } else {
            strcpy(buf, blk->prefix);
            strcat(buf, backend_names[b]);
        }
        return buf;
    }
    case FTDR_KEY_ALIAS:
        for (size_t i = 0; i < ALIAS_COUNT; i++)
            if (alias_names[i].key == key)
                strcpy(buf, alias_names[i].name);
        return buf;
    case FTDR_KEY_INVALID:
        break;
    }
    return NULL;
}

static bool name_is(const char *name, size_t len, const char *candidate) {
    return candidate && strlen(candidate) == len && memcmp(name, candidate, len) == 0;
}

bool ftdr_key_from_name(const char *name, size_t len, ft_key_t *out) {
    for (int f = 0; f <= FTDR_FUNCTIONALITIES; f++) {
        if (name_is(name, len, functionality_names[f])) {
            *out = (ft_key_t)f;
            return true;
        }
    }
    if (name_is(name, len, end_marker_name)) {
        *out = FT_KEY_END_OF_FUNCTIONALITY_KEYS;
        return true;
    }
    for (size_t i = 0; i < ALIAS_COUNT; i++) {
        if (name_is(name, len, alias_names[i].name)) {
            *out = alias_names[i].key;
            return true;
        }
    }
    /* A block's key: its placeholder name, or prefix + a backend name. */
    for (size_t i = 0; i < BLOCK_COUNT; i++) {
        const block_t *blk = &blocks[i];
        if (name_is(name, len, blk->placeholder_name)) {
            *out = blk->placeholder;
            return true;
        }
        const size_t plen = strlen(blk->prefix);
        if (len <= plen || memcmp(name, blk->prefix, plen) != 0)
            continue;
        for (int b = 1; b <= FTDR_BACKENDS; b++) {
            if (name_is(name + plen, len - plen, backend_names[b])) {
                *out = ftdr_runtime_key(blk->functionality, b);
                return true;
            }
        }
    }
    return false;
}

size_t ftdr_runtime_keys(ft_key_t out[FT_KEY_ID_COUNT]) {
    size_t n = 0;
    if (out)
        out[n] = FT_KEY_UNDEFINED;
    n++;
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++) {
        if (!ftdr_is_per_backend_functionality((ft_key_t)f)) {
            if (out)
                out[n] = (ft_key_t)f;
            n++;
            continue;
        }
        for (int b = 1; b <= FTDR_BACKENDS; b++) {
            if (out)
                out[n] = ftdr_runtime_key((ft_key_t)f, b);
            n++;
        }
    }
    return n;
}

/* --- alias coverage --------------------------------------------------------------- */

/* Which runtime keys an alias covers: some functionality keys by name, every
 * runtime key of some blocks, minus the runtime keys of some backends. Probed
 * with _dispatch_is_included_in_alias (placeholders and the bare building
 * blocks are covered too in torch, but they never have a table entry). */
typedef struct {
    ft_key_t alias;
    ft_key_t keys[12];
    size_t key_count;
    ft_key_t blocks[5];
    size_t block_count;
    int excluded_backends[2];
    size_t excluded_count;
} coverage_t;

/* The "backend" functionality keys outside the blocks (c10's
 * autogradother_backends without Quantized and Sparse). */
#define OTHER_BACKEND_KEYS                                                                                             \
    FT_KEY_FPGA, FT_KEY_ORT, FT_KEY_VULKAN, FT_KEY_METAL, FT_KEY_CUSTOM_RNG_KEY_ID, FT_KEY_MKLDNN_CPU,                 \
        FT_KEY_SPARSE_CSR_CPU, FT_KEY_SPARSE_CSR_CUDA

static const coverage_t coverage[] = {
    /* Autograd: the autograd keys (AutogradOther, AutogradNestedTensor, Autograd<b>). */
    {FT_KEY_AUTOGRAD,
     {FT_KEY_AUTOGRAD_OTHER, FT_KEY_AUTOGRAD_NESTED_TENSOR},
     2,
     {FT_KEY_AUTOGRAD_FUNCTIONALITY},
     1,
     {0},
     0},
    /* CompositeImplicitAutograd: every backend key and every autograd key. */
    {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD,
     {OTHER_BACKEND_KEYS, FT_KEY_AUTOGRAD_OTHER, FT_KEY_AUTOGRAD_NESTED_TENSOR},
     10,
     {FT_KEY_DENSE, FT_KEY_QUANTIZED, FT_KEY_SPARSE, FT_KEY_NESTED_TENSOR, FT_KEY_AUTOGRAD_FUNCTIONALITY},
     5,
     {0},
     0},
    /* CompositeImplicitAutogradNestedTensor: the nested-tensor keys. */
    {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR,
     {FT_KEY_AUTOGRAD_NESTED_TENSOR},
     1,
     {FT_KEY_NESTED_TENSOR},
     1,
     {0},
     0},
    /* CompositeExplicitAutograd: the backend keys, NestedTensor not among them. */
    {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD,
     {OTHER_BACKEND_KEYS},
     8,
     {FT_KEY_DENSE, FT_KEY_QUANTIZED, FT_KEY_SPARSE},
     3,
     {0},
     0},
    /* CompositeExplicitAutogradNonFunctional: as above without Sparse and
     * without the XLA and Lazy backends (functionalization backends). */
    {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL,
     {OTHER_BACKEND_KEYS},
     8,
     {FT_KEY_DENSE, FT_KEY_QUANTIZED},
     2,
     {FT_BACKEND_XLA, FT_BACKEND_LAZY},
     2},
};

bool ftdr_alias_covers(ft_key_t alias, ft_key_t key) {
    const coverage_t *c = NULL;
    for (size_t i = 0; i < sizeof coverage / sizeof coverage[0]; i++)
        if (coverage[i].alias == alias)
            c = &coverage[i];
    if (!c || key == FT_KEY_UNDEFINED)
        return false; /* c10: isIncludedInAlias is false for Undefined */
    for (size_t i = 0; i < c->key_count; i++)
        if (c->keys[i] == key)
            return true;
    ft_key_t f;
    int b;
    if (ftdr_key_class(key) != FTDR_KEY_PER_BACKEND || !ftdr_key_split(key, &f, &b))
        return false;
    for (size_t i = 0; i < c->excluded_count; i++)
        if (c->excluded_backends[i] == b)
            return false;
    for (size_t i = 0; i < c->block_count; i++)
        if (c->blocks[i] == f)
            return true;
    return false;
}

/* --- backend fallbacks ------------------------------------------------------------ */

/* torch 1.13 after `import torch`: fallthrough fallbacks. Autograd<b> has one
 * only for these seven backends (not HIP, IPU, VE, Meta, PrivateUse1..3), and
 * AutocastXPU has none. */
static const ft_key_t fallthrough_keys[] = {
    FT_KEY_BACKEND_SELECT,       FT_KEY_AD_INPLACE_OR_VIEW, FT_KEY_AUTOGRAD_OTHER, FT_KEY_AUTOGRAD_CPU,
    FT_KEY_AUTOGRAD_CUDA,        FT_KEY_AUTOGRAD_XLA,       FT_KEY_AUTOGRAD_MPS,   FT_KEY_AUTOGRAD_XPU,
    FT_KEY_AUTOGRAD_HPU,         FT_KEY_AUTOGRAD_LAZY,      FT_KEY_AUTOCAST_CPU,   FT_KEY_AUTOCAST_CUDA,
    FT_KEY_FUNC_TORCH_VMAP_MODE, FT_KEY_VMAP_MODE,
};

/* Real fallback kernels (Python, functorch, named tensors, conj/neg views,
 * tracing...): a route that reaches one is unsupported_fallback here. */
static const ft_key_t kernel_fallback_keys[] = {
    FT_KEY_PYTHON,
    FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_BACK_MODE,
    FT_KEY_FUNCTIONALIZE,
    FT_KEY_NAMED,
    FT_KEY_CONJUGATE,
    FT_KEY_NEGATIVE,
    FT_KEY_ZERO_TENSOR,
    FT_KEY_TRACER,
    FT_KEY_FUNC_TORCH_BATCHED,
    FT_KEY_BATCHED,
    FT_KEY_FUNC_TORCH_GRAD_WRAPPER,
    FT_KEY_PYTHON_TLS_SNAPSHOT,
    FT_KEY_FUNC_TORCH_DYNAMIC_LAYER_FRONT_MODE,
    FT_KEY_PYTHON_DISPATCHER,
};

static bool listed(const ft_key_t *list, size_t n, ft_key_t key) {
    for (size_t i = 0; i < n; i++)
        if (list[i] == key)
            return true;
    return false;
}

ftdr_fallback_t ftdr_backend_fallback(ft_key_t key) {
    if (listed(fallthrough_keys, sizeof fallthrough_keys / sizeof fallthrough_keys[0], key))
        return FTDR_FALLBACK_FALLTHROUGH;
    if (listed(kernel_fallback_keys, sizeof kernel_fallback_keys / sizeof kernel_fallback_keys[0], key))
        return FTDR_FALLBACK_KERNEL;
    return FTDR_FALLBACK_NONE;
}

/* --- backend kernels of autograd keys ------------------------------------------- */

static const ft_key_t other_backend_keys[] = {OTHER_BACKEND_KEYS};

bool ftdr_in_autogradother_backends(ft_key_t reg) {
    ft_key_t f;
    int b;
    if (listed(other_backend_keys, sizeof other_backend_keys / sizeof other_backend_keys[0], reg))
        return true;
    return ftdr_key_class(reg) == FTDR_KEY_PER_BACKEND && ftdr_key_split(reg, &f, &b) &&
           (f == FT_KEY_QUANTIZED || f == FT_KEY_SPARSE);
}

bool ftdr_is_backend_kernel_for(ft_key_t key, ft_key_t reg) {
    ft_key_t f, rf;
    int b, rb;
    if (key == FT_KEY_AUTOGRAD_OTHER)
        return ftdr_in_autogradother_backends(reg);
    if (ftdr_key_class(reg) != FTDR_KEY_PER_BACKEND || !ftdr_key_split(reg, &rf, &rb))
        return false;
    if (key == FT_KEY_AUTOGRAD_NESTED_TENSOR)
        return rf == FT_KEY_NESTED_TENSOR;
    if (ftdr_key_class(key) != FTDR_KEY_PER_BACKEND || !ftdr_key_split(key, &f, &b) ||
        f != FT_KEY_AUTOGRAD_FUNCTIONALITY)
        return false;
    /* 1.13's getBackendKeySetFromAutograd has no case for AutogradHIP and
     * AutogradVE: their backend set is empty. */
    if (b == FT_BACKEND_HIP || b == FT_BACKEND_VE)
        return false;
    return rf == FT_KEY_DENSE && rb == b;
}
