/* Scalar tensors: dtype names and the keyset a tensor contributes (SPEC §5). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ft/tensor.h"

const char *ft_dtype_name(ft_dtype_t dtype) {
    switch (dtype) {
    case FT_DTYPE_F64:
        return "f64";
    case FT_DTYPE_F32:
        return "f32";
    }
    return NULL;
}

ft_status ft_dtype_from_name(const char *name, ft_dtype_t *out) {
    if (!name || !out)
        return FT_EINVALID_ARGUMENT;
    if (strcmp(name, "f64") == 0 || strcmp(name, "float64") == 0)
        *out = FT_DTYPE_F64;
    else if (strcmp(name, "f32") == 0 || strcmp(name, "float32") == 0)
        *out = FT_DTYPE_F32;
    else
        return FT_EINVALID_ARGUMENT;
    return FT_OK;
}

ft_status ft_scalar_keyset(const ft_scalar_t *t, ft_keyset_t *out) {
    if (!t || !out || ft_dtype_name(t->dtype) == NULL || t->device < FT_BACKEND_CPU ||
        t->device > FT_BACKEND_PRIVATEUSE3)
        return FT_EINVALID_ARGUMENT;
    ft_keyset_t ks = ft_keyset_from_key(ft_key_runtime(FT_KEY_DENSE, t->device));
    ks = ft_keyset_add(ks, FT_KEY_AD_INPLACE_OR_VIEW);
    if (t->requires_grad)
        ks = ft_keyset_add(ks, ft_key_runtime(FT_KEY_AUTOGRAD_FUNCTIONALITY, t->device));
    *out = ks;
    return FT_OK;
}

size_t ft_value_format(double v, char *buf, size_t cap) {
    int n;
    if (isnan(v))
        n = snprintf(buf, cap, "nan");
    else if (isinf(v))
        n = snprintf(buf, cap, "%s", v < 0 ? "-inf" : "inf");
    else if (v == 0 && signbit(v))
        n = snprintf(buf, cap, "-0");
    else
        n = snprintf(buf, cap, "%.17g", v);
    return n < 0 ? 0 : (size_t)n;
}
