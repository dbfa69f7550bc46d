/* Operator registry: ownership of operators, registration checks, the computed
 * table built once per operator at registration, and lookup by name through an
 * open-addressing hash table (so a lookup costs the same with 10 operators or
 * 10,000, and registering n operators costs O(n)). */
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "op_internal.h"

/* One slot of the name table: the name's hash (so most probes compare no
 * string) and the operator, NULL when empty. */
typedef struct {
    uint64_t hash;
    ft_op_t *op;
} name_slot_t;

struct ft_registry {
    ft_op_t **ops; /* pointers, so handles survive growth */
    size_t count, cap;
    name_slot_t *slots; /* power-of-two size, at most half full; NULL while empty */
    size_t nslots;
    ft_error_t error;
};

enum { OP_NAME_MAX = 63, FIRST_SLOTS = 32 };

/* FNV-1a with a final avalanche (the table indexes by the low bits). */
static uint64_t name_hash(const char *name) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h;
}

/* The slot holding `name`, or the empty slot where it would go. */
static name_slot_t *slot_for(const name_slot_t *slots, size_t nslots, const char *name, uint64_t h) {
    const size_t mask = nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const name_slot_t *sl = &slots[i];
        if (!sl->op || (sl->hash == h && strcmp(sl->op->name, name) == 0))
            return (name_slot_t *)sl;
    }
}

/* Room for one more name, keeping the table at most half full. */
static bool reserve_slot(ft_registry_t *reg) {
    if ((reg->count + 1) * 2 <= reg->nslots)
        return true;
    const size_t n = reg->nslots ? reg->nslots * 2 : FIRST_SLOTS;
    name_slot_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < reg->nslots; i++)
        if (reg->slots[i].op)
            *slot_for(slots, n, reg->slots[i].op->name, reg->slots[i].hash) = reg->slots[i];
    free(reg->slots);
    reg->slots = slots;
    reg->nslots = n;
    return true;
}

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
    free(reg->slots);
    free(reg);
}

static bool name_start_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char_ok(char c) {
    return name_start_ok(c) || (c >= '0' && c <= '9') || c == '.' || c == ':';
}

/* FT_OK, or FT_EINVALID_OP_NAME with what is wrong in *err. */
static ft_status check_op_name(const char *name, ft_error_t *err) {
    char shown[FTP_ERROR_NAME_BUF];
    const size_t n = strlen(name);
    if (n == 0)
        return ftp_error_set(err, FT_EINVALID_OP_NAME, "operator name is empty");
    if (n > OP_NAME_MAX)
        return ftp_error_set(err, FT_EINVALID_OP_NAME, "operator name '%s' is %zu bytes long (at most %d)",
                             ftp_error_name(name, shown), n, OP_NAME_MAX);
    if (!name_start_ok(name[0]))
        return ftp_error_set(err, FT_EINVALID_OP_NAME, "operator name '%s' must start with a letter or '_'",
                             ftp_error_name(name, shown));
    for (size_t i = 1; i < n; i++)
        if (!name_char_ok(name[i]))
            return ftp_error_set(err, FT_EINVALID_OP_NAME,
                                 "operator name '%s' has byte 0x%02x at offset %zu (allowed: [A-Za-z0-9_.:])",
                                 ftp_error_name(name, shown), (unsigned)(unsigned char)name[i], i);
    return FT_OK;
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

static ft_status check_registrations(const ft_registration_t *regs, size_t count, ftp_regset_t *set, ft_error_t *err) {
    if (!regs || count == 0)
        return ftp_error_set(err, FT_EINVALID_REGISTRATION, "no registrations");
    memset(set, 0, sizeof *set);
    for (size_t i = 0; i < count; i++) {
        const ft_registration_t *r = &regs[i];
        ft_status st = ftp_regset_add_checked(set, r->key, err);
        if (st != FT_OK)
            return st;
        const char *key = ft_key_name(r->key);
        if (!kernel_name_ok(r->kernel_name))
            return ftp_error_set(err, FT_EINVALID_REGISTRATION,
                                 "registration for %s: kernel name must be 1..127 printable ASCII characters", key);
        /* autograd wrappers are the tape's business: a kernel function there
         * would never run, so it is refused rather than silently ignored */
        if (fn_optional(r->key) && r->fn)
            return ftp_error_set(err, FT_EINVALID_REGISTRATION,
                                 "registration for %s: an autograd key takes no kernel function (the autograd "
                                 "wrapper is its kernel)",
                                 key);
        if (!fn_optional(r->key) && !r->fn)
            return ftp_error_set(err, FT_EINVALID_REGISTRATION, "registration for %s: no kernel function", key);
    }
    return FT_OK;
}

ft_status ft_registry_register(ft_registry_t *reg, const char *name, const ft_registration_t *regs, size_t count,
                               const ft_op_t **out) {
    if (!reg)
        return FT_EINVALID_ARGUMENT;
    if (!name)
        return ftp_error_set(&reg->error, FT_EINVALID_ARGUMENT, "operator name is NULL");
    ft_status st = check_op_name(name, &reg->error);
    if (st != FT_OK)
        return st;
    const uint64_t h = name_hash(name);
    if (reg->nslots && slot_for(reg->slots, reg->nslots, name, h)->op)
        return ftp_error_set(&reg->error, FT_EDUPLICATE_OP, "operator '%s' is already registered", name);
    ftp_regset_t set;
    if ((st = check_registrations(regs, count, &set, &reg->error)) != FT_OK)
        return st;

    if (reg->count == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        ft_op_t **ops = realloc(reg->ops, cap * sizeof *ops);
        if (!ops)
            return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
        reg->ops = ops;
        reg->cap = cap;
    }
    if (!reserve_slot(reg))
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
    ft_op_t *op = calloc(1, sizeof *op);
    if (!op)
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
    op->registry = reg;
    op->name = dup_string(name);
    op->regs = calloc(count, sizeof *op->regs);
    if (!op->name || !op->regs) {
        op_free(op);
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
    }
    for (size_t i = 0; i < count; i++) {
        op->regs[i] = regs[i];
        op->regs[i].kernel_name = dup_string(regs[i].kernel_name);
        op->reg_count = i + 1;
        if (!op->regs[i].kernel_name) {
            op_free(op);
            return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
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
    name_slot_t *sl = slot_for(reg->slots, reg->nslots, name, h);
    sl->hash = h;
    sl->op = op;
    if (out)
        *out = op;
    return FT_OK;
}

const ft_error_t *ft_registry_last_error(const ft_registry_t *reg) {
    static const ft_error_t no_registry = {FT_EINVALID_ARGUMENT, "no registry (NULL)"};
    return reg ? &reg->error : &no_registry;
}

ft_status ft_registry_find(const ft_registry_t *reg, const char *name, const ft_op_t **out) {
    if (!reg || !name || !out)
        return FT_EINVALID_ARGUMENT;
    if (reg->nslots) {
        const name_slot_t *sl = slot_for(reg->slots, reg->nslots, name, name_hash(name));
        if (sl->op) {
            *out = sl->op;
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
