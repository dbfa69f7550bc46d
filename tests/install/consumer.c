/* A program outside the tree, built against an installed libft. */
#include <ft/ft.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    ft_registry_t *reg;
    const ft_op_t *add;
    ft_keyset_t ks;
    if (ft_keyset_parse("CPU|AutogradCPU", 15, &ks, NULL) != FT_OK || ks.repr != 0x2000004001u)
        return 1;
    if (ft_registry_new(&reg) != FT_OK || ft_registry_find(reg, "add", &add) != FT_OK)
        return 1;
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    const ft_scalar_t a = ft_scalar_make(1.5, FT_DTYPE_F64, FT_BACKEND_CPU, true), b = ft_scalar_make(2, FT_DTYPE_F64, FT_BACKEND_CPU, true);
    ft_scalar_t out;
    ft_decision_t d;
    ft_status st = ft_dispatch_binary(&ctx, add, &a, &b, &out, &d);
    int ok = st == FT_OK && out.value == 3.5 && d.selected_key == FT_KEY_AUTOGRAD_CPU &&
             strcmp(d.kernel, "cpu::add_scalar") == 0;
    printf("libft %s: add -> %s via %s: %s\n", ft_version(), d.kernel ? d.kernel : "-",
           ft_key_name(d.selected_key), ok ? "ok" : "WRONG");
    ft_registry_free(reg);
    return ok ? 0 : 1;
}
