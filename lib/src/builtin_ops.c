/* The kernels of the built-in operators that are not CPU arithmetic (their
 * registrations are listed in builtin_ops.h; their tables are computed at build
 * time into builtin_tables.c). */
#include "builtin_ops.h"

/* sqdiff(a, b) = (a - b)^2, CompositeImplicitAutograd: it owns no arithmetic and
 * calls sub and mul through the dispatcher, so their routes are real routes. It
 * calls the sub and mul of its own registry (where ft_registry_new put them). */
ft_status ftp_builtin_sqdiff(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                             ft_scalar_t *out) {
    const ft_registry_t *reg = ft_op_registry(ft_kernel_call_op(call));
    ft_scalar_t d;
    ft_status st = ft_kernel_redispatch(call, ft_registry_op_at(reg, FTP_BUILTIN_sub), a, b, &d);
    if (st != FT_OK)
        return st;
    return ft_kernel_redispatch(call, ft_registry_op_at(reg, FTP_BUILTIN_mul), &d, &d, out);
}
