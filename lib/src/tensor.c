/* Scalar tensors: dtype names and the keyset a tensor contributes (SPEC §5). */
#include <math.h>
#include <stdint.h>
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

double ft_f32_widen(float f) {
    if (!isnan(f))
        return (double)f;
    uint32_t w;
    memcpy(&w, &f, sizeof w);
    const uint64_t bits = (uint64_t)(w >> 31) << 63 | UINT64_C(0x7ff) << 52 | (uint64_t)(w & 0x7fffffu) << 29;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

float ft_f32_narrow(double v) {
    if (!isnan(v))
        return (float)v;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint32_t m = (uint32_t)(bits >> 29) & 0x7fffffu;
    if (m == 0) /* the payload was below float's mantissa: keep it a NaN */
        m = 0x400000u;
    const uint32_t w = (uint32_t)(bits >> 63) << 31 | 0x7f800000u | m;
    float f;
    memcpy(&f, &w, sizeof f);
    return f;
}
