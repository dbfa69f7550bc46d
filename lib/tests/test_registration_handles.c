/* Kernels that come and go (ft_registry_add_kernels, ft_registration_release),
 * in the manner of PyTorch's test_dispatch.py: random registration sets over a
 * pool of runtime and alias keys, added and released in every order, the table
 * compared at every step with the one computed from scratch for the
 * registrations live then (ft_table_compute_entry); rejected registrations
 * change nothing. Public API only. */
#include <stdio.h>
#include <string.h>

#include "ft/ft.h"
#include "ft_test.h"

/* Runtime keys (CPU, other backends, AutogradCPU, AutogradOther and its
 * backends) and every alias key. */
static const ft_key_t pool[] = {
    FT_KEY_CPU,
    FT_KEY_CUDA,
    FT_KEY_XLA,
    FT_KEY_SPARSE_CPU,
    FT_KEY_QUANTIZED_CPU,
    FT_KEY_AUTOGRAD_CPU,
    FT_KEY_AUTOGRAD_CUDA,
    FT_KEY_AUTOGRAD_XLA,
    FT_KEY_AUTOGRAD_OTHER,
    FT_KEY_AUTOGRAD,
    FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD,
    FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR,
    FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD,
    FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL,
};
enum { POOL = sizeof pool / sizeof pool[0], MAX_GROUPS = 4, MAX_KEYS = 8 };

/* The operator's first registration, never released: a backend outside the
 * pool, so it is in every live set. */
#define ANCHOR FT_KEY_META

static ft_status add_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                            ft_scalar_t *out) {
    (void)call;
    out->value = a->value + b->value;
    return FT_OK;
}

static ft_status mul_kernel(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                            ft_scalar_t *out) {
    (void)call;
    out->value = a->value * b->value;
    return FT_OK;
}

/* Kernel names say the key: "k::CPU". */
static char names[FT_KEY_ID_COUNT][48];

static ft_registration_t reg_for(ft_key_t key) {
    snprintf(names[key], sizeof names[key], "k::%s", ft_key_name(key));
    const bool autograd = key == FT_KEY_AUTOGRAD || ft_key_is_autograd(key);
    const ft_registration_t r = {key, names[key], autograd ? NULL : add_kernel, NULL, NULL};
    return r;
}

static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
static unsigned next_rand(unsigned n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static bool routes_are_scratch(const ft_op_t *op, const ft_key_t *live, size_t n, char *why, size_t cap);

/* True when every entry of `op` equals the scratch computation for live[]
 * and the operator lists exactly live[], and it routes as a scratch operator
 * does (routes_are_scratch); else what differs in *why. */
static bool table_is_scratch(const ft_op_t *op, const ft_key_t *live, size_t n, char *why, size_t cap) {
    const ft_registration_t *regs;
    const size_t count = ft_op_registrations(op, &regs);
    if (count != n) {
        snprintf(why, cap, "%zu registrations listed, %zu live", count, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        bool listed = false;
        for (size_t j = 0; j < count && !listed; j++)
            listed = regs[j].key == live[i] && strcmp(regs[j].kernel_name, names[live[i]]) == 0;
        if (!listed) {
            snprintf(why, cap, "%s is live but not listed", ft_key_name(live[i]));
            return false;
        }
    }
    const ft_key_t *runtime;
    const size_t nrt = ft_key_runtime_list(&runtime);
    for (size_t i = 0; i < nrt; i++) {
        ft_table_entry_t a, b;
        if (ft_op_table_entry(op, runtime[i], &a) != FT_OK ||
            ft_table_compute_entry(live, n, runtime[i], &b) != FT_OK) {
            snprintf(why, cap, "no entry for %s", ft_key_name(runtime[i]));
            return false;
        }
        const bool reg_ok = b.source == FT_KEY_UNDEFINED
                                ? a.registration == NULL
                                : a.registration && a.registration->key == b.source &&
                                      strcmp(a.registration->kernel_name, names[b.source]) == 0;
        if (a.key != b.key || a.tag != b.tag || a.source != b.source || a.fallthrough != b.fallthrough || !reg_ok) {
            snprintf(why, cap, "entry for %s: %s from %s, scratch says %s from %s", ft_key_name(runtime[i]),
                     ft_table_tag_name(a.tag), ft_key_name(a.source), ft_table_tag_name(b.tag), ft_key_name(b.source));
            return false;
        }
    }
    return routes_are_scratch(op, live, n, why, cap);
}

/* True when routing through `op` decides as routing through an operator
 * registered from scratch with live[] does (status, selected key, kernel, every
 * hop), in both modes, over keysets of every pool backend with and without the
 * autograd, ADInplaceOrView, BackendSelect and Sparse/Quantized bits: the
 * compiled routing state (steps and the fallthrough mask of the walk) follows
 * the changes, not only the table. Else what differs in *why. */
static bool routes_are_scratch(const ft_op_t *op, const ft_key_t *live, size_t n, char *why, size_t cap) {
    ft_registry_t *scratch;
    ft_registration_t regs[POOL + 1];
    const ft_op_t *fresh = NULL;
    for (size_t i = 0; i < n; i++) { /* reg_for's kernel functions, the names the table check expects */
        const bool autograd = live[i] == FT_KEY_AUTOGRAD || ft_key_is_autograd(live[i]);
        const ft_registration_t r = {live[i], names[live[i]], autograd ? NULL : add_kernel, NULL, NULL};
        regs[i] = r;
    }
    if (ft_registry_new_empty(&scratch) != FT_OK ||
        ft_registry_register(scratch, "scratch", regs, n, &fresh) != FT_OK) {
        snprintf(why, cap, "scratch registration failed");
        ft_registry_free(scratch);
        return false;
    }
    static const ft_backend_t backends[] = {FT_BACKEND_CPU, FT_BACKEND_CUDA, FT_BACKEND_XLA, FT_BACKEND_META};
    static const ft_key_t functionalities[] = {FT_KEY_DENSE, FT_KEY_SPARSE, FT_KEY_QUANTIZED};
    bool same = true;
    for (size_t b = 0; same && b < sizeof backends / sizeof backends[0]; b++)
        for (size_t f = 0; same && f < sizeof functionalities / sizeof functionalities[0]; f++)
            for (unsigned extra = 0; same && extra < 8; extra++)
                for (int mode = FT_MODE_STRICT; same && mode <= FT_MODE_HARDENED; mode++) {
                    ft_keyset_t ks =
                        ft_keyset_or(ft_keyset_from_backend(backends[b]), ft_keyset_from_key(functionalities[f]));
                    if (extra & 1)
                        ks = ft_keyset_add(ks, FT_KEY_AUTOGRAD_FUNCTIONALITY);
                    if (extra & 2)
                        ks = ft_keyset_add(ks, FT_KEY_AD_INPLACE_OR_VIEW);
                    if (extra & 4)
                        ks = ft_keyset_add(ks, FT_KEY_BACKEND_SELECT);
                    ft_dispatch_ctx_t ctx;
                    ft_dispatch_ctx_init(&ctx);
                    ctx.mode = (ft_mode_t)mode;
                    ft_decision_t a, c;
                    const ft_status sa = ft_dispatch_route(&ctx, op, ks, &a);
                    const ft_status sc = ft_dispatch_route(&ctx, fresh, ks, &c);
                    same = sa == sc && a.selected_key == c.selected_key && a.hop_count == c.hop_count &&
                           (a.kernel == NULL) == (c.kernel == NULL);
                    for (size_t h = 0; same && h < a.hop_count; h++)
                        same = a.hops[h].key == c.hops[h].key && a.hops[h].tag == c.hops[h].tag &&
                               a.hops[h].source == c.hops[h].source && a.hops[h].fallthrough == c.hops[h].fallthrough;
                    if (!same) {
                        char text[128];
                        ft_keyset_format(ks, text, sizeof text);
                        snprintf(why, cap, "route on %s (%s): %s via %zu hops, scratch %s via %zu hops", text,
                                 ft_mode_name((ft_mode_t)mode), ft_status_code(sa), a.hop_count, ft_status_code(sc),
                                 c.hop_count);
                    }
                }
    ft_registry_free(scratch);
    return same;
}

typedef struct {
    ft_key_t keys[MAX_GROUPS][MAX_KEYS];
    size_t n[MAX_GROUPS];
    size_t groups;
} plan_t;

/* The live keys: the base ones and those of the groups marked live. */
static size_t live_keys(const plan_t *p, const ft_key_t *base, size_t nbase, const bool *on, ft_key_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < nbase; i++)
        out[n++] = base[i];
    for (size_t g = 0; g < p->groups; g++)
        for (size_t i = 0; on[g] && i < p->n[g]; i++)
            out[n++] = p->keys[g][i];
    return n;
}

/* All permutations of 0..n-1 (n <= 4) into perms; returns their count. */
static size_t permutations(size_t n, unsigned char perms[24][MAX_GROUPS]) {
    size_t count = 0;
    unsigned char p[MAX_GROUPS] = {0, 1, 2, 3};
    for (;;) {
        memcpy(perms[count++], p, sizeof p);
        /* next lexicographic permutation of p[0..n) */
        size_t i = n - 1;
        while (i > 0 && p[i - 1] >= p[i])
            i--;
        if (i == 0)
            return count;
        size_t j = n - 1;
        while (p[j] <= p[i - 1])
            j--;
        unsigned char t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
        for (size_t a = i, b = n - 1; a < b; a++, b--) {
            t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
    }
}

/* Runs one add order and one release order of the plan on operator `name` of
 * `reg` (whose first registrations are base[]); checks every step. */
static bool run_orders(ft_registry_t *reg, const char *name, const ft_key_t *base, size_t nbase, const plan_t *p,
                       const unsigned char *add, const unsigned char *rel, char *why, size_t cap) {
    ft_registration_handle_t *h[MAX_GROUPS] = {NULL};
    bool on[MAX_GROUPS] = {false};
    ft_key_t live[FT_KEY_ID_COUNT];
    const ft_op_t *op = NULL;
    for (size_t s = 0; s < p->groups; s++) {
        const size_t g = add[s];
        ft_registration_t regs[MAX_KEYS];
        for (size_t i = 0; i < p->n[g]; i++)
            regs[i] = reg_for(p->keys[g][i]);
        if (ft_registry_find(reg, name, &op) != FT_OK ||
            ft_registry_add_kernels(reg, op, regs, p->n[g], &h[g]) != FT_OK) {
            snprintf(why, cap, "add of group %zu failed: %.120s", g, ft_registry_last_error(reg)->message);
            return false;
        }
        on[g] = true;
        op = ft_registration_op(h[g]);
        if (!table_is_scratch(op, live, live_keys(p, base, nbase, on, live), why, cap))
            return false;
    }
    for (size_t s = 0; s < p->groups; s++) {
        const size_t g = rel[s];
        if (ft_registration_release(h[g]) != FT_OK) {
            snprintf(why, cap, "release of group %zu failed", g);
            return false;
        }
        on[g] = false;
        if (!table_is_scratch(op, live, live_keys(p, base, nbase, on, live), why, cap))
            return false;
    }
    return true;
}

/* A random plan: 2..MAX_GROUPS groups of distinct pool keys, none in base[]. */
static void random_plan(plan_t *p, const ft_key_t *base, size_t nbase) {
    bool used[FT_KEY_ID_COUNT] = {false};
    for (size_t i = 0; i < nbase; i++)
        used[base[i]] = true;
    p->groups = 2 + next_rand(MAX_GROUPS - 1);
    for (size_t g = 0; g < p->groups; g++) {
        p->n[g] = 0;
        const size_t want = 1 + next_rand(3);
        for (size_t tries = 0; p->n[g] < want && tries < 50; tries++) {
            const ft_key_t k = pool[next_rand(POOL)];
            if (!used[k]) {
                used[k] = true;
                p->keys[g][p->n[g]++] = k;
            }
        }
        if (p->n[g] == 0)
            p->groups = g; /* pool exhausted */
    }
}

static void describe(const plan_t *p, char *buf, size_t cap) {
    size_t len = 0;
    for (size_t g = 0; g < p->groups && len < cap; g++) {
        len += (size_t)snprintf(buf + len, cap - len, "%s[", g ? " " : "");
        for (size_t i = 0; i < p->n[g] && len < cap; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", ft_key_name(p->keys[g][i]));
        if (len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "]");
    }
}

/* Every add order, and every release order (all of them for up to 3 groups;
 * with 4, each add order takes another release order, so all 24 occur). */
static void handles_every_order_matches_scratch(void) {
    unsigned char perms[24][MAX_GROUPS];
    const ft_key_t base[1] = {ANCHOR};
    size_t combos = 0;
    for (int trial = 0; trial < 60; trial++) {
        plan_t p;
        random_plan(&p, base, 1);
        if (p.groups < 2)
            continue;
        const size_t np = permutations(p.groups, perms);
        for (size_t a = 0; a < np; a++) {
            for (size_t r = 0; r < np; r++) {
                if (p.groups == 4 && r != (a * 5 + 1) % np)
                    continue;
                ft_registry_t *reg;
                FT_CHECK_STATUS(ft_registry_new_empty(&reg), FT_OK);
                ft_registration_t first = reg_for(ANCHOR);
                char why[512] = "", plan[256] = "";
                bool ok = ft_registry_register(reg, "op", &first, 1, NULL) == FT_OK &&
                          run_orders(reg, "op", base, 1, &p, perms[a], perms[r], why, sizeof why);
                ft_registry_free(reg);
                describe(&p, plan, sizeof plan);
                FT_CHECK_MSG(ok, "plan %s, add order %zu, release order %zu: %s", plan, a, r, why);
                combos++;
            }
        }
    }
    FT_CHECK(combos > 500);
}

/* The same on a shared built-in (add: CPU + Autograd): the registry gets its
 * own copies, the shared operator and other registries are untouched, and the
 * registry's sqdiff still decomposes through its own sub and mul. */
static void handles_on_builtin_copy_on_write(void) {
    unsigned char perms[24][MAX_GROUPS];
    const ft_key_t base[2] = {FT_KEY_CPU, FT_KEY_AUTOGRAD};
    for (int trial = 0; trial < 20; trial++) {
        plan_t p;
        random_plan(&p, base, 2);
        if (p.groups < 2)
            continue;
        const size_t np = permutations(p.groups, perms);
        ft_registry_t *reg, *other;
        FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
        FT_CHECK_STATUS(ft_registry_new(&other), FT_OK);
        const ft_op_t *shared = NULL, *mine = NULL, *sqdiff = NULL;
        FT_CHECK_STATUS(ft_registry_find(reg, "add", &shared), FT_OK);
        /* the built-in's kernel names are its own; the check compares by key */
        snprintf(names[FT_KEY_CPU], sizeof names[FT_KEY_CPU], "cpu::add_scalar");
        snprintf(names[FT_KEY_AUTOGRAD], sizeof names[FT_KEY_AUTOGRAD], "autograd::add");
        char why[512] = "";
        const bool ok =
            run_orders(reg, "add", base, 2, &p, perms[trial % np], perms[(trial * 7) % np], why, sizeof why);
        FT_CHECK_MSG(ok, "trial %d: %s", trial, why);
        FT_CHECK_STATUS(ft_registry_find(reg, "add", &mine), FT_OK);
        FT_CHECK(mine != shared && ft_op_registry(mine) == reg && ft_registry_op_at(reg, 0) == mine);
        FT_CHECK(!ft_registry_contains(reg, shared) && ft_registry_contains(other, shared));
        FT_CHECK(ft_op_registry(shared) == ft_registry_builtins());
        FT_CHECK_MSG(table_is_scratch(shared, base, 2, why, sizeof why), "shared add changed: %s", why);
        FT_CHECK_MSG(table_is_scratch(mine, base, 2, why, sizeof why), "released add: %s", why);
        FT_CHECK_STATUS(ft_registry_find(reg, "sqdiff", &sqdiff), FT_OK);
        FT_CHECK(ft_op_registry(sqdiff) == reg && ft_registry_op_count(reg) == 10);
        ft_dispatch_ctx_t ctx = FT_DISPATCH_CTX_INIT;
        ctx.mode = FT_MODE_HARDENED;
        const ft_scalar_t a = ft_scalar_make(5, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        const ft_scalar_t b = ft_scalar_make(2, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        ft_scalar_t out;
        FT_CHECK_STATUS(ft_dispatch_binary(&ctx, sqdiff, &a, &b, &out, NULL), FT_OK);
        FT_CHECK(out.value == 9);
        ft_registry_free(other);
        ft_registry_free(reg);
    }
}

/* Everything a change reads: entries (by value, kernel names included) and
 * the registration listing (pointer and count). */
typedef struct {
    ft_table_entry_t e[FT_KEY_ID_COUNT];
    const char *kernel[FT_KEY_ID_COUNT];
    const ft_registration_t *regs;
    size_t nregs;
} snapshot_t;

static void snap(const ft_op_t *op, snapshot_t *s) {
    const ft_key_t *runtime;
    const size_t n = ft_key_runtime_list(&runtime);
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        ft_op_table_entry(op, runtime[i], &s->e[i]);
        s->kernel[i] = s->e[i].registration ? s->e[i].registration->kernel_name : NULL;
    }
    s->nregs = ft_op_registrations(op, &s->regs);
}

static bool same_snapshot(const snapshot_t *a, const snapshot_t *b) {
    for (size_t i = 0; i < FT_KEY_ID_COUNT; i++)
        if (a->e[i].key != b->e[i].key || a->e[i].tag != b->e[i].tag || a->e[i].source != b->e[i].source ||
            a->e[i].fallthrough != b->e[i].fallthrough || a->e[i].registration != b->e[i].registration ||
            a->kernel[i] != b->kernel[i])
            return false;
    return a->regs == b->regs && a->nregs == b->nregs;
}

/* Each rejected add: its status, its last error, and no change at all. */
static void handles_rejected_change_nothing(void) {
    ft_registry_t *reg, *other;
    FT_CHECK_STATUS(ft_registry_new(&reg), FT_OK);
    FT_CHECK_STATUS(ft_registry_new_empty(&other), FT_OK);
    const ft_registration_t first[2] = {reg_for(FT_KEY_CPU), reg_for(FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD)};
    const ft_op_t *op = NULL, *foreign = NULL, *shared_add = NULL;
    FT_CHECK_STATUS(ft_registry_register(reg, "op", first, 2, &op), FT_OK);
    FT_CHECK_STATUS(ft_registry_register(other, "op", first, 1, &foreign), FT_OK);
    FT_CHECK_STATUS(ft_registry_find(reg, "add", &shared_add), FT_OK);
    const ft_registration_t more[1] = {reg_for(FT_KEY_AUTOGRAD_OTHER)};
    ft_registration_handle_t *h = NULL;
    FT_CHECK_STATUS(ft_registry_add_kernels(reg, op, more, 1, &h), FT_OK);

    ft_registration_t cuda_no_fn = reg_for(FT_KEY_CUDA);
    cuda_no_fn.fn = NULL;
    ft_registration_t autograd_fn = reg_for(FT_KEY_AUTOGRAD_CPU);
    autograd_fn.fn = add_kernel;
    ft_registration_t unnamed = reg_for(FT_KEY_XLA), bad_name = reg_for(FT_KEY_XLA);
    unnamed.kernel_name = "";
    bad_name.kernel_name = "k::\x01";
    ft_registration_t undefined = reg_for(FT_KEY_CPU), dense = reg_for(FT_KEY_CPU), no_key = reg_for(FT_KEY_CPU);
    undefined.key = FT_KEY_UNDEFINED;
    dense.key = FT_KEY_DENSE;
    no_key.key = (ft_key_t)200;
    const ft_registration_t dup_op[1] = {reg_for(FT_KEY_CPU)};
    const ft_registration_t dup_batch[2] = {reg_for(FT_KEY_CUDA), reg_for(FT_KEY_CUDA)};
    const ft_registration_t dup_handle[1] = {reg_for(FT_KEY_AUTOGRAD_OTHER)};
    const struct {
        const ft_op_t *op;
        const ft_registration_t *regs;
        size_t n;
        ft_status want;
        const char *message;
    } cases[] = {
        {op, dup_op, 1, FT_EINVALID_REGISTRATION, "duplicate registration for CPU on operator 'op'"},
        {op, dup_handle, 1, FT_EINVALID_REGISTRATION, "duplicate registration for AutogradOther on operator 'op'"},
        {op, dup_batch, 2, FT_EINVALID_REGISTRATION, "duplicate registration for CUDA"},
        {op, &undefined, 1, FT_EINVALID_REGISTRATION, "Undefined takes no registration"},
        {op, &dense, 1, FT_EINVALID_REGISTRATION, "Dense is not a runtime or alias key (kernels register there)"},
        {op, &no_key, 1, FT_EINVALID_REGISTRATION, "key id 200 is not a dispatch key"},
        {op, &unnamed, 1, FT_EINVALID_REGISTRATION,
         "registration for XLA: kernel name must be 1..127 printable ASCII characters"},
        {op, &bad_name, 1, FT_EINVALID_REGISTRATION,
         "registration for XLA: kernel name must be 1..127 printable ASCII characters"},
        {op, &cuda_no_fn, 1, FT_EINVALID_REGISTRATION, "registration for CUDA: no kernel function"},
        {op, &autograd_fn, 1, FT_EINVALID_REGISTRATION, "registration for AutogradCPU: an autograd key takes no"},
        {op, dup_op, 0, FT_EINVALID_REGISTRATION, "no registrations"},
        {op, NULL, 1, FT_EINVALID_REGISTRATION, "no registrations"},
        {NULL, more, 1, FT_EINVALID_ARGUMENT, "ft_registry_add_kernels: operator is NULL"},
        {foreign, more, 1, FT_EINVALID_ARGUMENT, "ft_registry_add_kernels: operator 'op' is not in this registry"},
        /* rejected on a shared built-in: no copy is made either */
        {shared_add, dup_op, 1, FT_EINVALID_REGISTRATION, "duplicate registration for CPU on operator 'add'"},
    };
    snapshot_t before, after, before_add, after_add;
    snap(op, &before);
    snap(shared_add, &before_add);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ft_registration_handle_t *got = NULL;
        const ft_status st = ft_registry_add_kernels(reg, cases[i].op, cases[i].regs, cases[i].n, &got);
        const ft_error_t *err = ft_registry_last_error(reg);
        FT_CHECK_MSG(st == cases[i].want && err->code == st && got == NULL, "case %zu: got %s", i, ft_status_code(st));
        FT_CHECK_MSG(strncmp(err->message, cases[i].message, strlen(cases[i].message)) == 0,
                     "case %zu: message \"%s\", want \"%s\"", i, err->message, cases[i].message);
        snap(op, &after);
        snap(shared_add, &after_add);
        FT_CHECK_MSG(same_snapshot(&before, &after) && same_snapshot(&before_add, &after_add),
                     "case %zu changed a table or the registrations", i);
        FT_CHECK_MSG(ft_registry_contains(reg, shared_add) &&
                         ft_op_registry(ft_registry_op_at(reg, 0)) == ft_registry_builtins(),
                     "case %zu copied the built-ins", i);
    }
    FT_CHECK_STATUS(ft_registry_add_kernels(NULL, op, more, 1, NULL), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_registry_add_kernels((ft_registry_t *)ft_registry_builtins(), shared_add, more, 1, NULL),
                    FT_EINVALID_ARGUMENT);
    ft_registry_free(other);
    ft_registry_free(reg); /* with a live handle */
}

/* Release: NULL and twice are errors; a released kernel's name, borrowed by a
 * decision, stays readable; routing follows the live kernels. */
static void handles_release_lifetimes(void) {
    ft_registry_t *reg;
    FT_CHECK_STATUS(ft_registry_new_empty(&reg), FT_OK);
    const ft_registration_t composite = {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, "k::composite", add_kernel, NULL, NULL};
    const ft_registration_t cpu = {FT_KEY_CPU, "k::cpu_fast", mul_kernel, NULL, NULL};
    const ft_op_t *op = NULL;
    FT_CHECK_STATUS(ft_registry_register(reg, "op", &composite, 1, &op), FT_OK);
    ft_registration_handle_t *h = NULL;
    FT_CHECK_STATUS(ft_registry_add_kernels(reg, op, &cpu, 1, &h), FT_OK);
    FT_CHECK(ft_registration_op(h) == op);

    ft_dispatch_ctx_t ctx = FT_DISPATCH_CTX_INIT;
    const ft_scalar_t a = ft_scalar_make(3, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    const ft_scalar_t b = ft_scalar_make(4, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    ft_scalar_t out;
    ft_decision_t kept, d;
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, op, &a, &b, &out, &kept), FT_OK);
    FT_CHECK(out.value == 12 && kept.kernel && strcmp(kept.kernel, "k::cpu_fast") == 0);

    FT_CHECK_STATUS(ft_registration_release(h), FT_OK);
    FT_CHECK_STR(kept.kernel, "k::cpu_fast"); /* borrowed name outlives the release */
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, op, &a, &b, &out, &d), FT_ECOMPOSITE_REJECTED);
    ctx.mode = FT_MODE_HARDENED;
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, op, &a, &b, &out, &d), FT_OK);
    FT_CHECK(out.value == 7 && strcmp(d.kernel, "k::composite") == 0);

    FT_CHECK_STATUS(ft_registration_release(h), FT_EINVALID_ARGUMENT);
    FT_CHECK_STR(ft_registry_last_error(reg)->message, "registration handle on 'op' was already released");
    FT_CHECK_STATUS(ft_registration_release(NULL), FT_EINVALID_ARGUMENT);
    FT_CHECK(ft_registration_op(NULL) == NULL);
    /* add again after the release: a new handle, the same routing as before */
    FT_CHECK_STATUS(ft_registry_add_kernels(reg, op, &cpu, 1, &h), FT_OK);
    ctx.mode = FT_MODE_STRICT;
    FT_CHECK_STATUS(ft_dispatch_binary(&ctx, op, &a, &b, &out, &d), FT_OK);
    FT_CHECK(out.value == 12);
    ft_registry_free(reg); /* the live handle goes with it */
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(handles_every_order_matches_scratch),
        FT_CASE(handles_on_builtin_copy_on_write),
        FT_CASE(handles_rejected_change_nothing),
        FT_CASE(handles_release_lifetimes),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
