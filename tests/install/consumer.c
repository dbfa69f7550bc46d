/* A program outside the tree, built against an installed libft: the README's
 * two examples, checked. */
#include <ft/ft.h>
#include <stdio.h>
#include <string.h>

static int dispatch_example(void) {
    ft_registry_t *reg;
    const ft_op_t *add;
    ft_keyset_t ks;
    if (ft_keyset_parse("CPU|AutogradCPU", 15, &ks, NULL) != FT_OK || ks.repr != 0x2000004001u)
        return 0;
    if (ft_registry_new(&reg) != FT_OK || ft_registry_find(reg, "add", &add) != FT_OK)
        return 0;
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    const ft_scalar_t a = ft_scalar_make(1.5, FT_DTYPE_F64, FT_BACKEND_CPU, true),
                      b = ft_scalar_make(2, FT_DTYPE_F64, FT_BACKEND_CPU, true);
    ft_scalar_t out;
    ft_decision_t d;
    ft_status st = ft_dispatch_binary(&ctx, add, &a, &b, &out, &d);
    int ok = st == FT_OK && out.value == 3.5 && d.selected_key == FT_KEY_AUTOGRAD_CPU &&
             strcmp(d.kernel, "cpu::add_scalar") == 0;
    printf("libft %s: add -> %s via %s: %s\n", ft_version(), d.kernel ? d.kernel : "-", ft_key_name(d.selected_key),
           ok ? "ok" : "WRONG");
    ft_registry_free(reg);
    return ok;
}

static int session_example(void) {
    ft_session_t *s;
    ft_var_t x, y, z, w;
    if (ft_session_new(NULL, &s) != FT_OK)
        return 0;
    ft_session_leaf(s, 2.0, FT_DTYPE_F64, true, &x);
    ft_session_leaf(s, 3.0, FT_DTYPE_F64, true, &y);
    ft_session_call(s, "add", x, y, &z);
    ft_session_call(s, "mul", z, x, &w);
    ft_status st = ft_session_backward(s, w, false, NULL);
    double gx = 0, gy = 0;
    bool dx = false, dy = false;
    ft_session_grad(s, x, &gx, &dx);
    ft_session_grad(s, y, &gy, &dy);
    char line[4096];
    size_t entries = ft_session_evidence_count(s);
    for (size_t i = 0; i < entries; i++) {
        ft_evidence_json(ft_session_evidence_at(s, i), line, sizeof line);
        puts(line);
    }
    int ok = st == FT_OK && dx && dy && gx == 7 && gy == 2 && entries == 3;
    printf("session: x.grad=%g y.grad=%g, %zu evidence entries: %s\n", gx, gy, entries, ok ? "ok" : "WRONG");
    ft_session_free(s);
    return ok;
}

int main(void) {
    int ok = dispatch_example();
    ok = session_example() && ok;
    return ok ? 0 : 1;
}
