/* Reference model: computed dispatch tables (SPEC §4), one function per rule,
 * tried in precedence order; the first rule that decides wins.
 *
 * This is torch 1.13's computeDispatchTableEntry as _dispatch_dump_table shows
 * it: each entry computed fresh from the whole registration set, so the table
 * does not depend on registration order (torch's cached table can; see
 * differential/oracle/README.md). */
#include <string.h>

#include "refmodel_internal.h"

typedef struct {
    const ft_key_t *keys;
    size_t count;
} regs_t;

static bool registered(const regs_t *r, ft_key_t key) {
    for (size_t i = 0; i < r->count; i++)
        if (r->keys[i] == key)
            return true;
    return false;
}

static bool decide(ftd_table_entry_t *e, ft_table_tag_t tag, ft_key_t source) {
    e->tag = tag;
    e->source = source;
    e->fallthrough = false;
    return true;
}

/* 1. a kernel registered on the key itself */
static bool rule_kernel(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    return key != FT_KEY_UNDEFINED && registered(r, key) && decide(e, FT_TAG_KERNEL, key);
}

/* 2, 3. the explicit composite aliases. Undefined takes them whatever the
 * coverage says (c10's note "Undefined in dispatchTable_"). */
static bool explicit_alias(const regs_t *r, ft_key_t alias, ft_key_t key, ftd_table_entry_t *e) {
    return registered(r, alias) && (key == FT_KEY_UNDEFINED || ftdr_alias_covers(alias, key)) &&
           decide(e, FT_TAG_DEFAULT_BACKEND, alias);
}

static bool rule_explicit_non_functional(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    return explicit_alias(r, FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL, key, e);
}

static bool rule_explicit(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    return explicit_alias(r, FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, key, e);
}

/* 4. the nested-tensor composite: every key it covers, never Undefined, even
 * beside a backend kernel (torch 1.13's dump shows it so) */
static bool rule_nested(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    const ft_key_t alias = FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR;
    return key != FT_KEY_UNDEFINED && registered(r, alias) && ftdr_alias_covers(alias, key) &&
           decide(e, FT_TAG_NESTED, alias);
}

/* 5. the implicit composite ("math") kernel: ambiguous on AutogradOther when
 * one of AutogradOther's backends has its own kernel; otherwise only where no
 * backend kernel would serve the key (a CompositeExplicitAutograd kernel
 * counts as one everywhere). */
static bool rule_math(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    const ft_key_t alias = FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD;
    if (!registered(r, alias) || !(key == FT_KEY_UNDEFINED || ftdr_alias_covers(alias, key)))
        return false;
    bool has_backend_kernel = registered(r, FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD);
    bool other_backend_kernel = false;
    for (size_t i = 0; i < r->count; i++) {
        if (ftdr_key_class(r->keys[i]) == FTDR_KEY_ALIAS)
            continue;
        if (ftdr_is_backend_kernel_for(key, r->keys[i]))
            has_backend_kernel = true;
        if (ftdr_in_autogradother_backends(r->keys[i]))
            other_backend_kernel = true;
    }
    if (key == FT_KEY_AUTOGRAD_OTHER && other_backend_kernel)
        return decide(e, FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER, FT_KEY_UNDEFINED);
    return !has_backend_kernel && decide(e, FT_TAG_MATH, alias);
}

/* 6. the Autograd alias on the autograd keys */
static bool rule_autograd(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    return registered(r, FT_KEY_AUTOGRAD) && ftdr_alias_covers(FT_KEY_AUTOGRAD, key) &&
           decide(e, FT_TAG_AUTOGRAD, FT_KEY_AUTOGRAD);
}

/* 7. the process-wide backend fallback */
static bool rule_fallback(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    (void)r;
    const ftdr_fallback_t fb = ftdr_backend_fallback(key);
    if (fb == FTDR_FALLBACK_NONE)
        return false;
    decide(e, FT_TAG_BACKEND_FALLBACK, FT_KEY_UNDEFINED);
    e->fallthrough = fb == FTDR_FALLBACK_FALLTHROUGH;
    return true;
}

/* 8. nothing */
static bool rule_missing(const regs_t *r, ft_key_t key, ftd_table_entry_t *e) {
    (void)r;
    (void)key;
    return decide(e, FT_TAG_MISSING, FT_KEY_UNDEFINED);
}

typedef bool (*rule_fn)(const regs_t *, ft_key_t, ftd_table_entry_t *);

static const rule_fn rules[] = {
    rule_kernel,  rule_explicit_non_functional, rule_explicit, rule_nested, rule_math, rule_autograd, rule_fallback,
    rule_missing,
};

void ftdr_table_entry(const ft_key_t *keys, size_t count, ft_key_t key, ftd_table_entry_t *out) {
    const regs_t r = {keys, count};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i](&r, key, out))
            return;
}

ft_status ftdr_check_registrations(const ft_key_t *keys, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (!ftdr_is_registrable(keys[i]))
            return FT_EINVALID_REGISTRATION;
        for (size_t j = 0; j < i; j++)
            if (keys[j] == keys[i])
                return FT_EINVALID_REGISTRATION;
    }
    return FT_OK;
}

void ftd_ref_table(const ftd_scenario_t *s, ftd_table_outcome_t *out) {
    memset(out, 0, sizeof *out);
    const char *name = s->op.name[0] ? s->op.name : "custom"; /* as the subject runner names it */
    if (memchr(s->op.name, '\0', sizeof s->op.name) == NULL || !ftdr_op_name_ok(name)) {
        out->status = FT_EINVALID_OP_NAME;
        return;
    }
    /* an operator needs a kernel: the registry refuses an empty set (torch
     * would dump a table of fallbacks for it; ftdr_table_entry computes that) */
    if (s->op.reg_count == 0 || s->op.reg_count > FTD_MAX_REGS) {
        out->status = FT_EINVALID_REGISTRATION;
        return;
    }
    out->status = ftdr_check_registrations(s->op.regs, s->op.reg_count);
    if (out->status != FT_OK)
        return;
    ft_key_t runtime[FT_KEY_ID_COUNT];
    const size_t n = ftdr_runtime_keys(runtime);
    for (size_t i = 0; i < n; i++)
        ftdr_table_entry(s->op.regs, s->op.reg_count, runtime[i], &out->entries[runtime[i]]);
}
