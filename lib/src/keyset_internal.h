/* Private: keyset checks shared by keyset.c and the dispatcher's hot path. */
#ifndef FT_KEYSET_INTERNAL_H
#define FT_KEYSET_INTERNAL_H

#include "ft/keyset.h"

/* Validation of SPEC §6 on a raw word; ft_keyset_validate is this. */
static inline ft_status ftp_keyset_validate(uint64_t r) {
#define FTP_FBIT(k) (UINT64_C(1) << (FT_KEYSET_FUNCTIONALITY_SHIFT + (k)))
    const uint64_t per_backend = FTP_FBIT(FT_KEY_DENSE) | FTP_FBIT(FT_KEY_QUANTIZED) | FTP_FBIT(FT_KEY_SPARSE) |
                                 FTP_FBIT(FT_KEY_NESTED_TENSOR) | FTP_FBIT(FT_KEY_AUTOGRAD_FUNCTIONALITY);
    const uint64_t autograd =
        FTP_FBIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) | FTP_FBIT(FT_KEY_AUTOGRAD_OTHER) | FTP_FBIT(FT_KEY_AUTOGRAD_NESTED_TENSOR);
    const uint64_t tensor =
        FTP_FBIT(FT_KEY_DENSE) | FTP_FBIT(FT_KEY_QUANTIZED) | FTP_FBIT(FT_KEY_SPARSE) | FTP_FBIT(FT_KEY_NESTED_TENSOR);
#undef FTP_FBIT
    if (r & FT_KEYSET_UNKNOWN_MASK)
        return FT_EUNKNOWN_BITS;
    if (r == 0)
        return FT_EEMPTY_SET;
    if ((r & FT_KEYSET_FUNCTIONALITY_MASK) == 0)
        return FT_ENO_TYPE_KEY;
    if ((r & per_backend) && !(r & FT_KEYSET_BACKEND_MASK))
        return FT_ENO_BACKEND_KEY;
    if ((r & autograd) && !(r & tensor))
        return FT_EINCOMPATIBLE_SET;
    return FT_OK;
}

#endif
