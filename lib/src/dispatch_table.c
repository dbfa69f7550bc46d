/* Computed dispatch tables: torch 1.13's precedence rules over a registration set.
 *
 * Each entry is computed from scratch from the whole registration set, which is
 * what _dispatch_dump_table shows. (torch's cached table can go stale on
 * AutogradOther depending on registration order; see differential/oracle/README.md.) */
#include <string.h>

#include "error_internal.h"
#include "op_internal.h"

static bool covered(ft_key_t alias, ft_key_t key) {
    return ftp_alias_covers[alias - FTP_ALIAS_FIRST][key] != 0;
}

/* c10's hasKernelForAnyDispatchKey: some non-alias registration lies inside ks. */
static bool has_kernel_within(const ftp_regset_t *r, uint64_t ks) {
    for (size_t i = 0; i < r->nbackend; i++)
        if (ft_keyset_has_all(ft_keyset_from_raw(ks), ft_keyset_from_key(r->backend_keys[i])))
            return true;
    return false;
}

static void set(ft_table_entry_t *e, ft_table_tag_t tag, ft_key_t source) {
    e->tag = tag;
    e->source = source;
}

/* The CompositeImplicitAutograd rule: ambiguous on AutogradOther when an
 * AutogradOther backend has its own kernel; otherwise used only when no backend
 * kernel would serve the key. Returns true when the entry was decided. */
static bool math_rule(const ftp_regset_t *r, ft_key_t key, bool has_backend_kernel, ft_table_entry_t *e) {
    if (key == FT_KEY_AUTOGRAD_OTHER && has_kernel_within(r, ftp_autogradother_backends)) {
        set(e, FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER, FT_KEY_UNDEFINED);
        return true;
    }
    if (!has_backend_kernel) {
        set(e, FT_TAG_MATH, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD);
        return true;
    }
    return false;
}

void ftp_table_compute(const ftp_regset_t *r, ft_key_t key, ft_table_entry_t *e) {
    const bool undefined = key == FT_KEY_UNDEFINED;
    e->key = key;
    e->fallthrough = false;
    e->registration = NULL;

    if (!undefined && r->has[key]) {
        set(e, FT_TAG_KERNEL, key);
        return;
    }
    /* Undefined takes the composite kernels whatever the alias coverage says. */
    static const ft_key_t explicit_aliases[2] = {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD_NON_FUNCTIONAL,
                                                 FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD};
    for (int i = 0; i < 2; i++) {
        ft_key_t a = explicit_aliases[i];
        if (r->has[a] && (undefined || covered(a, key))) {
            set(e, FT_TAG_DEFAULT_BACKEND, a);
            return;
        }
    }
    const bool has_backend_kernel =
        has_kernel_within(r, ftp_backend_keyset_from_autograd[key]) || r->has[FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD];
    /* The nested-tensor kernel takes every key it covers, unconditionally (torch
     * 1.13's _dispatch_dump_table shows it even beside backend kernels). */
    if (!undefined && r->has[FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR] &&
        covered(FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR, key)) {
        set(e, FT_TAG_NESTED, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR);
        return;
    }
    if (r->has[FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD] && (undefined || covered(FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, key)) &&
        math_rule(r, key, has_backend_kernel, e))
        return;
    if (r->has[FT_KEY_AUTOGRAD] && covered(FT_KEY_AUTOGRAD, key)) {
        set(e, FT_TAG_AUTOGRAD, FT_KEY_AUTOGRAD);
        return;
    }
    switch (ftp_backend_fallback[key]) {
    case FTP_FALLBACK_FALLTHROUGH:
        e->fallthrough = true;
        /* fall through */
    case FTP_FALLBACK_KERNEL:
        set(e, FT_TAG_BACKEND_FALLBACK, FT_KEY_UNDEFINED);
        return;
    default:
        set(e, FT_TAG_MISSING, FT_KEY_UNDEFINED);
    }
}

bool ftp_registration_key_ok(ft_key_t key) {
    return ft_key_is_alias(key) || (ft_key_is_runtime(key) && key != FT_KEY_UNDEFINED);
}

ft_status ftp_regset_add_checked(ftp_regset_t *r, ft_key_t key, ft_error_t *err) {
    if (!ftp_registration_key_ok(key)) {
        if (!ft_key_name(key))
            return ftp_error_set(err, FT_EINVALID_REGISTRATION, "key id %d is not a dispatch key", (int)key);
        if (key == FT_KEY_UNDEFINED)
            return ftp_error_set(err, FT_EINVALID_REGISTRATION, "Undefined takes no registration");
        return ftp_error_set(err, FT_EINVALID_REGISTRATION, "%s is not a runtime or alias key (kernels register there)",
                             ft_key_name(key));
    }
    if (r->has[key])
        return ftp_error_set(err, FT_EINVALID_REGISTRATION, "duplicate registration for %s", ft_key_name(key));
    ftp_regset_add(r, key);
    return FT_OK;
}

static ft_status check_keys(const ft_key_t *keys, size_t count, ftp_regset_t *r, ft_error_t *err) {
    memset(r, 0, sizeof *r);
    if (!keys && count)
        return ftp_error_set(err, FT_EINVALID_ARGUMENT, "keys is NULL");
    for (size_t i = 0; i < count; i++) {
        const ft_status st = ftp_regset_add_checked(r, keys[i], err);
        if (st != FT_OK)
            return st;
    }
    ftp_error_clear(err);
    return FT_OK;
}

ft_status ft_table_check_keys(const ft_key_t *keys, size_t count, ft_error_t *err) {
    ftp_regset_t r;
    return check_keys(keys, count, &r, err);
}

ft_status ft_table_compute_entry(const ft_key_t *keys, size_t count, ft_key_t key, ft_table_entry_t *out) {
    if ((!keys && count) || !out || !ft_key_is_runtime(key))
        return FT_EINVALID_ARGUMENT;
    ftp_regset_t r;
    const ft_status st = check_keys(keys, count, &r, NULL);
    if (st != FT_OK)
        return st;
    ftp_table_compute(&r, key, out);
    return FT_OK;
}

static const char *const tag_names[] = {
    "missing",         "kernel",           "default backend kernel",
    "nested kernel",   "math kernel",      "ambiguous autogradother",
    "autograd kernel", "backend fallback",
};

const char *ft_table_tag_name(ft_table_tag_t tag) {
    return (unsigned)tag < sizeof tag_names / sizeof tag_names[0] ? tag_names[tag] : NULL;
}

const char *ft_table_source_name(ft_table_tag_t tag, ft_key_t source) {
    switch (tag) {
    case FT_TAG_MISSING:
        return "missing";
    case FT_TAG_BACKEND_FALLBACK:
        return "backend_fallback";
    case FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER:
        return "ambiguous";
    default:
        return ft_key_name(source);
    }
}

bool ft_table_tag_is_composite(ft_table_tag_t tag) {
    return tag == FT_TAG_DEFAULT_BACKEND || tag == FT_TAG_NESTED || tag == FT_TAG_MATH;
}

/* Which entries can change when `changed` gains or loses its registration: the
 * inputs ftp_table_compute reads, key by key. An entry reads has[] of its own
 * key; of the aliases covering it (Undefined: of every composite alias); of
 * CompositeExplicitAutograd wherever the CompositeImplicitAutograd rule asks
 * "is there a backend kernel" (keys CompositeImplicitAutograd covers); and of
 * the backend keys inside its autograd backend keyset, or (AutogradOther) inside
 * the AutogradOther backends. Exact for those rules, so conservative only where
 * an input is read but cannot change the outcome. */
bool ftp_table_key_affects(ft_key_t changed, ft_key_t key) {
    if (changed == key)
        return true;
    if (ft_key_is_alias(changed))
        return key == FT_KEY_UNDEFINED || covered(changed, key) ||
               (changed == FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD && covered(FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, key));
    const ft_keyset_t own = ft_keyset_from_key(changed);
    return ft_keyset_has_all(ft_keyset_from_raw(ftp_backend_keyset_from_autograd[key]), own) ||
           (key == FT_KEY_AUTOGRAD_OTHER && ft_keyset_has_all(ft_keyset_from_raw(ftp_autogradother_backends), own));
}
