/* Keyset priority, FULL_AFTER, iteration and validation (c10 1.13 semantics). */
#include "ft/keyset.h"
#include "keyset_internal.h"

ft_keyset_t ft_keyset_full_after(ft_key_t key) {
    /* c10 shifts by num_backends + functionality - 1; for functionality Undefined
     * that leaves only bits 0..12 — reproduced, not corrected. */
    unsigned f = (unsigned)ft_key_functionality(key);
    uint64_t below = (UINT64_C(1) << (FT_BACKEND_COUNT + f - 1)) - 1;
    return ft_keyset_from_raw(below | FT_KEYSET_FUNCTIONALITY_BIT(FT_KEY_PYTHON_DISPATCHER));
}

ft_keyset_iter_t ft_keyset_iter(ft_keyset_t ks) {
    ft_keyset_iter_t it = {ks.repr, FT_KEY_DENSE, 0};
    return it;
}

bool ft_keyset_next(ft_keyset_iter_t *it, ft_key_t *out) {
    while (it->functionality <= FT_KEY_LAST_FUNCTIONALITY) {
        ft_key_t f = (ft_key_t)it->functionality;
        if (it->repr & FT_KEYSET_FUNCTIONALITY_BIT(f)) {
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
    return ftp_keyset_validate(ks.repr);
}
