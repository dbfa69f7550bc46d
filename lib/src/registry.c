/* Operator registry: ownership of operators, registration checks, and the
 * computed table built once per operator at registration. */
#include <stdlib.h>
#include <string.h>

#include "op_internal.h"

struct ft_registry {
    ft_op_t **ops; /* pointers, so handles survive growth */
    size_t count, cap;
};

enum { OP_NAME_MAX = 63 };

ft_status ft_registry_new_empty(ft_registry_t **out) {
    if (!out)
        return FT_EINVALID_ARGUMENT;
    ft_registry_t *reg = calloc(1, sizeof *reg);
    if (!reg)
        return FT_ENOMEM;
    *out = reg;
    return FT_OK;
}

ft_status ft_registry_new(ft_registry_t **out) {
    ft_registry_t *reg;
    ft_status st = ft_registry_new_empty(&reg);
    if (st != FT_OK)
        return st;
    if ((st = ftp_register_builtins(reg)) != FT_OK) {
        ft_registry_free(reg);
        return st;
    }
    *out = reg;
    return FT_OK;
}

static void op_free(ft_op_t *op) {
    if (!op)
        return;
    for (size_t i = 0; i < op->reg_count; i++)
        free((char *)op->regs[i].kernel_name);
    free(op->regs);
    free(op->name);
    free(op);
}

void ft_registry_free(ft_registry_t *reg) {
    if (!reg)
        return;
    for (size_t i = 0; i < reg->count; i++)
        op_free(reg->ops[i]);
    free(reg->ops);
    free(reg);
}

static bool op_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > OP_NAME_MAX)
        return false;
    char c = name[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == ':'))
            return false;
    }
    return true;
}

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* 1..127 printable ASCII characters: kernel names end up in JSON evidence and
 * logs, where anything else would need an encoding guess. */
static bool kernel_name_ok(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 127)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
            return false;
    return true;
}

/* Autograd keys take a derivative (backward), not a kernel function. */
static bool fn_optional(ft_key_t key) {
    return key == FT_KEY_AUTOGRAD || ft_key_is_autograd(key);
}

static ft_status check_registrations(const ft_registration_t *regs, size_t count, ftp_regset_t *set) {
    if (!regs || count == 0)
        return FT_EINVALID_REGISTRATION;
    memset(set, 0, sizeof *set);
    for (size_t i = 0; i < count; i++) {
        const ft_registration_t *r = &regs[i];
        if (!ftp_registration_key_ok(r->key) || set->has[r->key])
            return FT_EINVALID_REGISTRATION;
        if (!kernel_name_ok(r->kernel_name))
            return FT_EINVALID_REGISTRATION;
        /* autograd wrappers are the tape's business: a kernel function there
         * would never run, so it is refused rather than silently ignored */
        if (fn_optional(r->key) ? r->fn != NULL : r->fn == NULL)
            return FT_EINVALID_REGISTRATION;
        ftp_regset_add(set, r->key);
    }
    return FT_OK;
}

ft_status ft_registry_register(ft_registry_t *reg, const char *name, const ft_registration_t *regs, size_t count,
                               const ft_op_t **out) {
    if (!reg || !name)
        return FT_EINVALID_ARGUMENT;
    if (!op_name_ok(name))
        return FT_EINVALID_OP_NAME;
    const ft_op_t *existing;
    if (ft_registry_find(reg, name, &existing) == FT_OK)
        return FT_EDUPLICATE_OP;
    ftp_regset_t set;
    ft_status st = check_registrations(regs, count, &set);
    if (st != FT_OK)
        return st;

    if (reg->count == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        ft_op_t **ops = realloc(reg->ops, cap * sizeof *ops);
        if (!ops)
            return FT_ENOMEM;
        reg->ops = ops;
        reg->cap = cap;
    }
    ft_op_t *op = calloc(1, sizeof *op);
    if (!op)
        return FT_ENOMEM;
    op->registry = reg;
    op->name = dup_string(name);
    op->regs = calloc(count, sizeof *op->regs);
    if (!op->name || !op->regs) {
        op_free(op);
        return FT_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        op->regs[i] = regs[i];
        op->regs[i].kernel_name = dup_string(regs[i].kernel_name);
        op->reg_count = i + 1;
        if (!op->regs[i].kernel_name) {
            op_free(op);
            return FT_ENOMEM;
        }
    }
    for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++) {
        ft_table_entry_t *e = &op->table[k];
        if (!ft_key_is_runtime((ft_key_t)k)) {
            e->key = (ft_key_t)k;
            e->tag = FT_TAG_MISSING;
            e->source = FT_KEY_UNDEFINED;
            continue;
        }
        ftp_table_compute(&set, (ft_key_t)k, e);
        for (size_t i = 0; i < count && e->source != FT_KEY_UNDEFINED; i++)
            if (op->regs[i].key == e->source)
                e->registration = &op->regs[i];
    }
    for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++)
        ftp_step_compile(&op->table[k], &op->steps[k]);
    reg->ops[reg->count++] = op;
    if (out)
        *out = op;
    return FT_OK;
}

ft_status ft_registry_find(const ft_registry_t *reg, const char *name, const ft_op_t **out) {
    if (!reg || !name || !out)
        return FT_EINVALID_ARGUMENT;
    for (size_t i = 0; i < reg->count; i++) {
        if (strcmp(reg->ops[i]->name, name) == 0) {
            *out = reg->ops[i];
            return FT_OK;
        }
    }
    return FT_EUNKNOWN_OP;
}

size_t ft_registry_op_count(const ft_registry_t *reg) {
    return reg ? reg->count : 0;
}

const ft_op_t *ft_registry_op_at(const ft_registry_t *reg, size_t index) {
    return reg && index < reg->count ? reg->ops[index] : NULL;
}

const char *ft_op_name(const ft_op_t *op) {
    return op ? op->name : NULL;
}

const ft_registry_t *ft_op_registry(const ft_op_t *op) {
    return op ? op->registry : NULL;
}

size_t ft_op_registrations(const ft_op_t *op, const ft_registration_t **out) {
    if (!op)
        return 0;
    if (out)
        *out = op->regs;
    return op->reg_count;
}

ft_status ft_op_table_entry(const ft_op_t *op, ft_key_t key, ft_table_entry_t *out) {
    if (!op || !out || !ft_key_is_runtime(key))
        return FT_EINVALID_ARGUMENT;
    *out = op->table[key];
    return FT_OK;
}
