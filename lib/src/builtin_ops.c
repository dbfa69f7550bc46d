/* The built-in operators of SPEC §4 and their registrations. */
#include <string.h>

#include "kernels_cpu.h"
#include "op_internal.h"

/* sqdiff(a, b) = (a - b)^2, CompositeImplicitAutograd: it owns no arithmetic and
 * calls sub and mul through the dispatcher, so their routes are real routes. */
/* Positions of the built-ins in a registry made by ft_registry_new: they are
 * registered first, in direct_ops order (checked in ftp_register_builtins). */
enum { BUILTIN_SUB = 1, BUILTIN_MUL = 2 };

static ft_status sqdiff(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    const ft_registry_t *reg = ft_op_registry(ft_kernel_call_op(call));
    ft_scalar_t d;
    ft_status st = ft_kernel_redispatch(call, ft_registry_op_at(reg, BUILTIN_SUB), a, b, &d);
    if (st != FT_OK)
        return st;
    return ft_kernel_redispatch(call, ft_registry_op_at(reg, BUILTIN_MUL), &d, &d, out);
}

typedef struct {
    const char *name;
    ft_kernel_fn fn;
    ft_backward_fn backward;
    const char *cpu_kernel;
    const char *autograd_kernel;
} direct_op_t;

static const direct_op_t direct_ops[] = {
    {"add", ftp_cpu_add, ftp_backward_add, "cpu::add_scalar", "autograd::add"},
    {"sub", ftp_cpu_sub, ftp_backward_sub, "cpu::sub_scalar", "autograd::sub"},
    {"mul", ftp_cpu_mul, ftp_backward_mul, "cpu::mul_scalar", "autograd::mul"},
    {"div", ftp_cpu_div, ftp_backward_div, "cpu::div_scalar", "autograd::div"},
    {"maximum", ftp_cpu_maximum, ftp_backward_maximum, "cpu::maximum_scalar", "autograd::maximum"},
    {"minimum", ftp_cpu_minimum, ftp_backward_minimum, "cpu::minimum_scalar", "autograd::minimum"},
    {"atan2", ftp_cpu_atan2, ftp_backward_atan2, "cpu::atan2_scalar", "autograd::atan2"},
    {"pow", ftp_cpu_pow, ftp_backward_pow, "cpu::pow_scalar", "autograd::pow"},
};

ft_status ftp_register_builtins(ft_registry_t *reg) {
    ft_status st;
    for (size_t i = 0; i < sizeof direct_ops / sizeof direct_ops[0]; i++) {
        const direct_op_t *d = &direct_ops[i];
        const ft_registration_t regs[] = {
            {FT_KEY_CPU, d->cpu_kernel, d->fn, NULL, NULL},
            {FT_KEY_AUTOGRAD, d->autograd_kernel, NULL, NULL, d->backward},
        };
        if ((st = ft_registry_register(reg, d->name, regs, 2, NULL)) != FT_OK)
            return st;
    }
    if (strcmp(ft_op_name(ft_registry_op_at(reg, BUILTIN_SUB)), "sub") != 0 ||
        strcmp(ft_op_name(ft_registry_op_at(reg, BUILTIN_MUL)), "mul") != 0)
        return FT_EINVALID_REGISTRATION; /* sqdiff's decomposition needs them there */
    const ft_registration_t rsub[] = {
        {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, "composite_explicit::rsub", ftp_cpu_rsub, NULL, NULL},
        {FT_KEY_AUTOGRAD, "autograd::rsub", NULL, NULL, ftp_backward_rsub},
    };
    if ((st = ft_registry_register(reg, "rsub", rsub, 2, NULL)) != FT_OK)
        return st;
    const ft_registration_t sq[] = {
        {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "composite_implicit::sqdiff", sqdiff, NULL, NULL},
    };
    return ft_registry_register(reg, "sqdiff", sq, 1, NULL);
}
