/* Private: keyset checks shared by keyset.c and the dispatcher's hot path. */
#ifndef FT_KEYSET_INTERNAL_H
#define FT_KEYSET_INTERNAL_H

#include "ft/keyset.h"

/* Validation of SPEC §6 on a raw word; ft_keyset_validate is this. */
static inline ft_status ftp_keyset_validate(uint64_t r) {
    if (r & FT_KEYSET_UNKNOWN_MASK)
        return FT_EUNKNOWN_BITS;
    if (r == 0)
        return FT_EEMPTY_SET;
    if ((r & FT_KEYSET_FUNCTIONALITY_MASK) == 0)
        return FT_ENO_TYPE_KEY;
    if ((r & FT_KEYSET_PER_BACKEND_MASK) && !(r & FT_KEYSET_BACKEND_MASK))
        return FT_ENO_BACKEND_KEY;
    if ((r & FT_KEYSET_AUTOGRAD_MASK) && !(r & (FT_KEYSET_PER_BACKEND_MASK & ~FT_KEYSET_AUTOGRAD_MASK)))
        return FT_EINCOMPATIBLE_SET;
    return FT_OK;
}

#endif
