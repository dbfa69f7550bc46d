/* Keyset priority, FULL_AFTER, iteration and validation (c10 1.13 semantics). */
#include "ft/keyset.h"

#define FUNCTIONALITY_BIT(k) (UINT64_C(1) << (FT_KEYSET_FUNCTIONALITY_SHIFT + (unsigned)(k)))

/* c10's backend_functionality_keys: {Dense, Quantized, Sparse} | every backend bit. */
static const uint64_t backend_functionality_mask = FUNCTIONALITY_BIT(FT_KEY_DENSE) |
                                                   FUNCTIONALITY_BIT(FT_KEY_QUANTIZED) |
                                                   FUNCTIONALITY_BIT(FT_KEY_SPARSE) | FT_KEYSET_BACKEND_MASK;

static const uint64_t per_backend_functionality_mask =
    FUNCTIONALITY_BIT(FT_KEY_DENSE) | FUNCTIONALITY_BIT(FT_KEY_QUANTIZED) | FUNCTIONALITY_BIT(FT_KEY_SPARSE) |
    FUNCTIONALITY_BIT(FT_KEY_NESTED_TENSOR) | FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY);

static const uint64_t autograd_mask = FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) |
                                      FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_OTHER) |
                                      FUNCTIONALITY_BIT(FT_KEY_AUTOGRAD_NESTED_TENSOR);

static const uint64_t tensor_functionality_mask =
    FUNCTIONALITY_BIT(FT_KEY_DENSE) | FUNCTIONALITY_BIT(FT_KEY_QUANTIZED) | FUNCTIONALITY_BIT(FT_KEY_SPARSE) |
    FUNCTIONALITY_BIT(FT_KEY_NESTED_TENSOR);

ft_key_t ft_keyset_highest_priority_type_id(ft_keyset_t ks) {
    ft_key_t f = ft_keyset_highest_functionality(ks);
    if (ft_key_is_per_backend_functionality(f))
        return ft_key_runtime(f, ft_keyset_highest_backend(ks));
    return f;
}

ft_key_t ft_keyset_highest_priority_backend_type_id(ft_keyset_t ks) {
    return ft_keyset_highest_priority_type_id(ft_keyset_from_raw(ks.repr & backend_functionality_mask));
}

ft_keyset_t ft_keyset_full_after(ft_key_t key) {
    /* c10 shifts by num_backends + functionality - 1; for functionality Undefined
     * that leaves only bits 0..12 — reproduced, not corrected. */
    unsigned f = (unsigned)ft_key_functionality(key);
    uint64_t below = (UINT64_C(1) << (FT_BACKEND_COUNT + f - 1)) - 1;
    return ft_keyset_from_raw(below | FUNCTIONALITY_BIT(FT_KEY_PYTHON_DISPATCHER));
}

ft_keyset_t ft_keyset_after_autograd(void) {
    return ft_keyset_full_after(FT_KEY_AUTOGRAD_OTHER);
}

ft_keyset_iter_t ft_keyset_iter(ft_keyset_t ks) {
    ft_keyset_iter_t it = {ks.repr, FT_KEY_DENSE, 0};
    return it;
}

bool ft_keyset_next(ft_keyset_iter_t *it, ft_key_t *out) {
    while (it->functionality <= FT_KEY_LAST_FUNCTIONALITY) {
        ft_key_t f = (ft_key_t)it->functionality;
        if (it->repr & FUNCTIONALITY_BIT(f)) {
            if (!ft_key_is_per_backend_functionality(f)) {
                it->functionality++;
                *out = f;
                return true;
            }
            while (++it->backend <= FT_BACKEND_COUNT) {
                if (it->repr & (UINT64_C(1) << (it->backend - 1))) {
                    *out = ft_key_runtime(f, (ft_backend_t)it->backend);
                    return true;
                }
            }
        }
        it->functionality++;
        it->backend = 0;
    }
    return false;
}

ft_status ft_keyset_validate(ft_keyset_t ks) {
    uint64_t r = ks.repr;
    if (r & FT_KEYSET_UNKNOWN_MASK)
        return FT_EUNKNOWN_BITS;
    if (r == 0)
        return FT_EEMPTY_SET;
    if ((r & FT_KEYSET_FUNCTIONALITY_MASK) == 0)
        return FT_ENO_TYPE_KEY;
    if ((r & per_backend_functionality_mask) && !(r & FT_KEYSET_BACKEND_MASK))
        return FT_ENO_BACKEND_KEY;
    if ((r & autograd_mask) && !(r & tensor_functionality_mask))
        return FT_EINCOMPATIBLE_SET;
    return FT_OK;
}
