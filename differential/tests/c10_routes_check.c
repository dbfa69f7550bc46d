/* Replays differential/oracle/fixtures/c10_routes.jsonl (torch 1.13, written by
 * gen_c10_fixtures.py) through libft's c10 profile and fails on any difference.
 *
 * Usage: c10_routes_check FILE
 *
 * libft gets an operator registered like the generator's ftc10probe::probe: a
 * kernel under every dense backend key, an autograd kernel under every
 * Autograd<backend> key torch can parse (not AutogradHIP / AutogradVE) and under
 * AutogradOther. For every line it checks, under FT_PROFILE_C10 with the line's
 * grad mode and inference mode:
 *   - each operand's keyset (ft_dispatch_operand_keyset) against torch's
 *     _dispatch_keys,
 *   - the call's keyset (ft_dispatch_compute_keyset) against torch's,
 *   - the kernels the route ran (the decision's non-fallthrough hops) against the
 *     kernels torch's probe logged,
 *   - where torch.add ran on real tensors: the result's requires_grad and
 *     inference flag, and whether a tape node was recorded (torch: grad_fn).
 * It also counts the lines where the packet profile would derive another keyset
 * or route (the allowlisted drift "dispatch.profile_packet_derivation").
 *
 * Exit 0 when every line matched; 1 when any line differed, a line was malformed,
 * or the file is missing, unreadable or empty (never a skip). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ft/ft.h"

static const char *const AUTOGRAD_KEYS[] = {
    "AutogradCPU",         "AutogradCUDA",        "AutogradXLA",  "AutogradMPS",  "AutogradIPU",
    "AutogradXPU",         "AutogradHPU",         "AutogradLazy", "AutogradMeta", "AutogradPrivateUse1",
    "AutogradPrivateUse2", "AutogradPrivateUse3", "AutogradOther"};

static ft_status probe_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                              ft_scalar_t *out) {
    (void)call;
    out->value = a->value + b->value;
    return FT_OK;
}

static ft_status probe_backward(const ft_backward_args_t *args, double *ga, double *gb, void *payload) {
    (void)payload;
    *ga = args->grad;
    *gb = args->grad;
    return FT_OK;
}

static const ft_op_t *register_probe(ft_registry_t *reg) {
    ft_registration_t regs[FT_BACKEND_COUNT + sizeof AUTOGRAD_KEYS / sizeof AUTOGRAD_KEYS[0]];
    size_t n = 0;
    for (int b = FT_BACKEND_CPU; b <= FT_BACKEND_COUNT; b++)
        regs[n++] = (ft_registration_t){ft_key_runtime(FT_KEY_DENSE, (ft_backend_t)b), "probe::backend", probe_kernel,
                                        NULL, NULL};
    for (size_t i = 0; i < sizeof AUTOGRAD_KEYS / sizeof AUTOGRAD_KEYS[0]; i++) {
        ft_key_t k;
        if (ft_key_from_name(AUTOGRAD_KEYS[i], &k) != FT_OK)
            return NULL;
        regs[n++] = (ft_registration_t){k, "probe::autograd", NULL, NULL, probe_backward};
    }
    const ft_op_t *op = NULL;
    return ft_registry_register(reg, "c10probe", regs, n, &op) == FT_OK ? op : NULL;
}

typedef struct {
    const char *id;
    long line;
    int bad; /* differences on this line */
} line_ctx_t;

static void differ(line_ctx_t *lc, const char *what, const char *want, const char *got) {
    if (lc->bad++ == 0)
        printf("FAIL %s (line %ld)\n", lc->id, lc->line);
    printf("  %s: torch %s, libft %s\n", what, want, got);
}

static bool get_bool(const json_t *o, const char *k, bool *out) {
    const json_t *v = json_object_get(o, k);
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

static bool get_bits(const json_t *o, const char *k, uint64_t *out) {
    const char *s = json_string_value(json_object_get(o, k));
    ft_keyset_t ks;
    if (!s || strncmp(s, "0x", 2) != 0 || ft_keyset_parse(s, strlen(s), &ks, NULL) != FT_OK)
        return false;
    *out = ks.repr;
    return true;
}

static void check_bits(line_ctx_t *lc, const char *what, uint64_t want, uint64_t got) {
    if (want == got)
        return;
    char a[FT_KEYSET_TEXT_MAX], b[FT_KEYSET_TEXT_MAX];
    ft_keyset_format(ft_keyset_from_raw(want), a, sizeof a);
    ft_keyset_format(ft_keyset_from_raw(got), b, sizeof b);
    differ(lc, what, a, b);
}

static void check_bool(line_ctx_t *lc, const char *what, bool want, bool got) {
    if (want != got)
        differ(lc, what, want ? "true" : "false", got ? "true" : "false");
}

static bool operand(const json_t *o, ft_backend_t b, double v, ft_scalar_t *t, uint64_t *bits) {
    bool inference, rg;
    if (!json_is_object(o) || !get_bool(o, "inference", &inference) || !get_bool(o, "requires_grad", &rg) ||
        !get_bits(o, "keyset_bits", bits))
        return false;
    *t = ft_scalar_make(v, FT_DTYPE_F64, b, rg);
    t->inference = inference;
    return true;
}

/* The kernels a route ran: its non-fallthrough hops, "A,B". */
static void route_text(const ft_decision_t *d, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->hop_count; i++)
        if (!d->hops[i].fallthrough)
            n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", ft_key_name(d->hops[i].key));
}

static bool torch_route_text(const json_t *route, char *buf, size_t cap) {
    size_t n = 0, i;
    const json_t *k;
    buf[0] = '\0';
    if (!json_is_array(route))
        return false;
    json_array_foreach(route, i, k) {
        if (!json_is_string(k))
            return false;
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "", json_string_value(k));
    }
    return n < cap;
}

/* Returns 1 if the packet profile derives another keyset or route for the line. */
static int check_line(const ft_op_t *op, const json_t *j, line_ctx_t *lc) {
    const char *backend = json_string_value(json_object_get(j, "backend"));
    ft_backend_t b = FT_BACKEND_INVALID;
    for (int i = FT_BACKEND_CPU; backend && i <= FT_BACKEND_COUNT; i++)
        if (strcmp(backend, ft_backend_name((ft_backend_t)i)) == 0)
            b = (ft_backend_t)i;
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.profile = FT_PROFILE_C10;
    ft_scalar_t lhs, rhs;
    uint64_t lbits, rbits, want_ks;
    char want_route[512], got_route[512];
    if (!lc->id || b == FT_BACKEND_INVALID || !get_bool(j, "grad_mode", &ctx.grad_mode) ||
        !get_bool(j, "inference_mode", &ctx.inference_mode) ||
        !operand(json_object_get(j, "lhs"), b, 1.5, &lhs, &lbits) ||
        !operand(json_object_get(j, "rhs"), b, 2.25, &rhs, &rbits) || !get_bits(j, "dispatch_keyset_bits", &want_ks) ||
        !torch_route_text(json_object_get(j, "route"), want_route, sizeof want_route) ||
        !json_object_get(j, "result")) {
        differ(lc, "line", "a well-formed c10_routes line", "a malformed one");
        return 0;
    }
    ft_keyset_t got;
    ft_dispatch_operand_keyset(&ctx, &lhs, &got);
    check_bits(lc, "lhs keyset", lbits, got.repr);
    ft_dispatch_operand_keyset(&ctx, &rhs, &got);
    check_bits(lc, "rhs keyset", rbits, got.repr);
    ft_dispatch_compute_keyset(&ctx, &lhs, &rhs, NULL, &got);
    check_bits(lc, "dispatch keyset", want_ks, got.repr);

    ft_scalar_t out;
    ft_decision_t d;
    const ft_status st = ft_dispatch_binary(&ctx, op, &lhs, &rhs, &out, &d);
    route_text(&d, got_route, sizeof got_route);
    if (st != FT_OK)
        differ(lc, "status", "ok", ft_status_code(st));
    else if (strcmp(want_route, got_route) != 0)
        differ(lc, "route", want_route, got_route);

    const json_t *res = json_object_get(j, "result");
    if (json_is_object(res) && st == FT_OK) {
        bool rg, grad_fn, inference;
        if (!get_bool(res, "requires_grad", &rg) || !get_bool(res, "grad_fn", &grad_fn) ||
            !get_bool(res, "inference", &inference)) {
            differ(lc, "result", "requires_grad, grad_fn, inference", json_object_get(res, "error") ? "an error" : "?");
        } else {
            check_bool(lc, "result requires_grad", rg, out.requires_grad);
            check_bool(lc, "result inference", inference, out.inference);
            /* the tape: a node exactly when torch made a grad_fn */
            ft_tape_t *tape = NULL;
            ft_var_t va, vb, r;
            bool node = false;
            if (ft_tape_new(&tape) == FT_OK && ft_tape_leaf(tape, &lhs, &va) == FT_OK &&
                ft_tape_leaf(tape, &rhs, &vb) == FT_OK && ft_tape_apply(tape, &ctx, op, va, vb, &r, NULL) == FT_OK)
                node = ft_tape_backward(tape, r, NULL, NULL) == FT_OK;
            ft_tape_free(tape);
            check_bool(lc, "tape node (torch grad_fn)", grad_fn, node);
        }
    } else if (!json_is_null(res)) {
        differ(lc, "result", "an object or null", "something else");
    }

    /* the packet profile on the same line */
    ft_dispatch_ctx_t packet = ctx;
    packet.profile = FT_PROFILE_PACKET;
    ft_keyset_t pk;
    ft_decision_t pd;
    ft_dispatch_compute_keyset(&packet, &lhs, &rhs, NULL, &pk);
    const ft_status pst = ft_dispatch_binary(&packet, op, &lhs, &rhs, &out, &pd);
    route_text(&pd, got_route, sizeof got_route);
    return pk.repr != want_ks || pst != FT_OK || strcmp(want_route, got_route) != 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: c10_routes_check FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        printf("cannot read %s\nFAILED: no fixture lines checked\n", argv[1]);
        return 1;
    }
    ft_registry_t *reg = NULL;
    const ft_op_t *op = ft_registry_new_empty(&reg) == FT_OK ? register_probe(reg) : NULL;
    if (!op) {
        printf("cannot register the probe operator\n");
        fclose(f);
        ft_registry_free(reg);
        return 1;
    }
    static char buf[1 << 16];
    long line = 0, passed = 0, failed = 0, packet_drift = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        json_error_t err;
        json_t *j = json_loads(buf, 0, &err);
        line_ctx_t lc = {j ? json_string_value(json_object_get(j, "id")) : NULL, line, 0};
        if (!json_is_object(j)) {
            printf("FAIL line %ld: not a JSON object (%s)\n", line, err.text);
            failed++;
        } else {
            packet_drift += check_line(op, j, &lc);
            lc.bad ? failed++ : passed++;
        }
        json_decref(j);
    }
    const bool read_error = ferror(f) != 0;
    fclose(f);
    ft_registry_free(reg);
    if (read_error || line == 0) {
        printf("%s: %s\n", argv[1], read_error ? "read error" : "empty");
        failed++;
    }
    printf("%ld passed, %ld failed; the packet profile derives another keyset or route on %ld of %ld lines\n", passed,
           failed, packet_drift, line);
    return failed ? 1 : 0;
}
