/* Operator registry: ownership of operators, registration checks, the computed
 * table built once per operator at registration, and lookup by name through an
 * open-addressing hash table (so a lookup costs the same with 10 operators or
 * 10,000, and registering n operators costs O(n)).
 *
 * The built-in operators and their registry are static const data computed at
 * build time (builtin_tables.c). A registry from ft_registry_new holds them as
 * its base: lookups fall back to the base's names, and op_at numbers the base's
 * operators first. So a new registry is one small allocation, with no table
 * computed and nothing copied. */
#include <stdlib.h>
#include <string.h>

#include "array_grow.h"
#include "builtin_ops.h"
#include "error_internal.h"
#include "op_internal.h"

enum { OP_NAME_MAX = 63, FIRST_SLOTS = 32 };

/* FNV-1a with a final avalanche (the table indexes by the low bits). */
uint64_t ftp_name_hash(const char *name) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    return h;
}

/* The slot holding `name`, or the empty slot where it would go. */
static const ftp_name_slot_t *slot_for(const ftp_name_slot_t *slots, size_t nslots, const char *name, uint64_t h) {
    const size_t mask = nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const ftp_name_slot_t *sl = &slots[i];
        if (!sl->op || (sl->hash == h && strcmp(sl->op->name, name) == 0))
            return sl;
    }
}

/* The operator named `name` (hash h) among the registry's own and its base's. */
static const ft_op_t *lookup(const ft_registry_t *reg, const char *name, uint64_t h) {
    for (; reg; reg = reg->base) {
        if (reg->nslots) {
            const ftp_name_slot_t *sl = slot_for(reg->slots, reg->nslots, name, h);
            if (sl->op)
                return sl->op;
        }
    }
    return NULL;
}

/* Room for `need` own names, keeping the table at most half full. */
static bool reserve_slots(ft_registry_t *reg, size_t need) {
    if (need * 2 <= reg->nslots)
        return true;
    size_t n = reg->nslots ? reg->nslots * 2 : FIRST_SLOTS;
    while (need * 2 > n)
        n *= 2;
    ftp_name_slot_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < reg->nslots; i++)
        if (reg->slots[i].op)
            *(ftp_name_slot_t *)slot_for(slots, n, reg->slots[i].op->name, reg->slots[i].hash) = reg->slots[i];
    free((void *)reg->slots);
    reg->slots = slots;
    reg->nslots = n;
    return true;
}

/* Not calloc: the error record is cleared, not zeroed whole. */
static ft_status registry_alloc(const ft_registry_t *base, ft_registry_t **out) {
    if (!out)
        return FT_EINVALID_ARGUMENT;
    ft_registry_t *reg = malloc(sizeof *reg);
    if (!reg)
        return FT_ENOMEM;
    reg->base = base;
    reg->ops = NULL;
    reg->count = reg->cap = 0;
    reg->slots = NULL;
    reg->nslots = 0;
    reg->handles = NULL;
    ftp_error_clear(&reg->error);
    *out = reg;
    return FT_OK;
}

ft_status ft_registry_new_empty(ft_registry_t **out) {
    return registry_alloc(NULL, out);
}

ft_status ft_registry_new(ft_registry_t **out) {
    return registry_alloc(&ftp_builtin_registry, out);
}

const ft_registry_t *ft_registry_builtins(void) {
    return &ftp_builtin_registry;
}

static bool writable(const ft_registry_t *reg) {
    return reg && reg != &ftp_builtin_registry;
}

/* Frees what an operator of the registry owns, and the operator. */
static void op_free(ft_op_t *op) {
    if (!op)
        return;
    if (op->owns & FTP_OWNS_REGS) {
        for (size_t i = 0; i < op->reg_count; i++)
            free((char *)op->regs[i].kernel_name);
        free((void *)op->regs);
    }
    if (op->owns & FTP_OWNS_NAME)
        free((char *)op->name);
    if (op->owns & FTP_OWNS_TABLES)
        free((void *)op->table);
    if (op->live) {
        for (size_t i = 0; i < op->live->nfirst; i++)
            free((char *)op->live->first[i].kernel_name);
        free(op->live->first);
        for (size_t i = 0; i < op->live->nlistings; i++)
            free(op->live->listings[i]);
        free(op->live->listings);
        free(op->live->recs);
        free(op->live);
    }
    free(op);
}

void ft_registry_free(ft_registry_t *reg) {
    if (!writable(reg)) /* NULL, or the static built-in registry */
        return;
    for (size_t i = 0; i < reg->count; i++)
        op_free((ft_op_t *)reg->ops[i]);
    for (ft_registration_handle_t *h = reg->handles, *next; h; h = next) {
        next = h->next;
        for (size_t i = 0; i < h->count; i++)
            free((char *)h->recs[i].kernel_name);
        free(h->recs);
        free(h);
    }
    free((void *)reg->ops);
    free((void *)reg->slots);
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

static void compute_entry(const ftp_regset_t *set, const ft_registration_t *regs, size_t count, ft_key_t k,
                          ft_table_entry_t *e, ftp_step_t *s) {
    if (!ft_key_is_runtime(k)) {
        e->key = k;
        e->tag = FT_TAG_MISSING;
        e->source = FT_KEY_UNDEFINED;
        e->fallthrough = false;
        e->registration = NULL;
    } else {
        ftp_table_compute(set, k, e);
        for (size_t i = 0; i < count && e->source != FT_KEY_UNDEFINED; i++)
            if (regs[i].key == e->source)
                e->registration = &regs[i];
    }
    ftp_step_compile(e, s);
}

void ftp_op_compute_tables(const ftp_regset_t *set, const ft_registration_t *regs, size_t count,
                           ft_table_entry_t table[FTP_ALIAS_FIRST], ftp_step_t steps[FTP_ALIAS_FIRST]) {
    for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++)
        compute_entry(set, regs, count, (ft_key_t)k, &table[k], &steps[k]);
}

/* Refuses the static built-in registry: it is const data (a caller would have
 * cast its const away). */
/* Appends an own operator: room in ops and names (FT_ENOMEM, nothing changed,
 * if there is none), then both. */
static ft_status add_own(ft_registry_t *reg, ft_op_t *op, uint64_t h) {
    if (!ftp_array_grow((void **)&reg->ops, &reg->cap, reg->count + 1, sizeof *reg->ops, NULL) ||
        !reserve_slots(reg, reg->count + 1))
        return FT_ENOMEM;
    ((const ft_op_t **)reg->ops)[reg->count++] = op;
    ftp_name_slot_t *sl = (ftp_name_slot_t *)slot_for(reg->slots, reg->nslots, op->name, h);
    sl->hash = h;
    sl->op = op;
    return FT_OK;
}

ft_status ft_registry_register(ft_registry_t *reg, const char *name, const ft_registration_t *regs, size_t count,
                               const ft_op_t **out) {
    if (!writable(reg))
        return FT_EINVALID_ARGUMENT;
    if (!name)
        return ftp_error_set(&reg->error, FT_EINVALID_ARGUMENT, "operator name is NULL");
    ft_status st = check_op_name(name, &reg->error);
    if (st != FT_OK)
        return st;
    const uint64_t h = ftp_name_hash(name);
    if (lookup(reg, name, h))
        return ftp_error_set(&reg->error, FT_EDUPLICATE_OP, "operator '%s' is already registered", name);
    ftp_regset_t set;
    if ((st = check_registrations(regs, count, &set, &reg->error)) != FT_OK)
        return st;

    ft_op_t *op = calloc(1, sizeof *op);
    if (!op)
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
    op->registry = reg;
    op->owns = FTP_OWNS_NAME | FTP_OWNS_REGS | FTP_OWNS_TABLES;
    char *own_name = dup_string(name);
    ft_registration_t *own_regs = calloc(count, sizeof *own_regs);
    ftp_op_tables_t *tables = malloc(sizeof *tables);
    op->name = own_name;
    op->regs = own_regs;
    op->table = tables ? tables->table : NULL;
    op->steps = tables ? tables->steps : NULL;
    if (!own_name || !own_regs || !tables) {
        op_free(op);
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
    }
    for (size_t i = 0; i < count; i++) {
        own_regs[i] = regs[i];
        own_regs[i].kernel_name = dup_string(regs[i].kernel_name);
        op->reg_count = i + 1;
        if (!own_regs[i].kernel_name) {
            op_free(op);
            return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
        }
    }
    ftp_op_compute_tables(&set, own_regs, count, tables->table, tables->steps);
    ftp_op_fallthrough_bits(tables->steps, op->fallthrough_bits);
    if (add_own(reg, op, h) != FT_OK) {
        op_free(op);
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory registering '%s'", name);
    }
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
    const ft_op_t *op = lookup(reg, name, ftp_name_hash(name));
    if (!op)
        return FT_EUNKNOWN_OP;
    *out = op;
    return FT_OK;
}

size_t ft_registry_op_count(const ft_registry_t *reg) {
    return reg ? ft_registry_op_count(reg->base) + reg->count : 0;
}

const ft_op_t *ft_registry_op_at(const ft_registry_t *reg, size_t index) {
    if (!reg)
        return NULL;
    const size_t nbase = ft_registry_op_count(reg->base);
    if (index < nbase)
        return ft_registry_op_at(reg->base, index);
    index -= nbase;
    return index < reg->count ? reg->ops[index] : NULL;
}

bool ft_registry_contains(const ft_registry_t *reg, const ft_op_t *op) {
    for (; reg && op; reg = reg->base)
        if (op->registry == reg)
            return true;
    return false;
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

/* --- kernels that come and go ---------------------------------------------- */

/* Room for `need` records / listings; false, unchanged, on failure. */
static bool grow_recs(ftp_op_live_t *live, size_t need) {
    return ftp_array_grow((void **)&live->recs, &live->cap_recs, need, sizeof *live->recs, NULL);
}

static bool grow_listings(ftp_op_live_t *live, size_t need) {
    return ftp_array_grow((void **)&live->listings, &live->cap_listings, need, sizeof *live->listings, NULL);
}

/* Gives the registry its own handles on the base's operators (sharing their
 * names, registrations and tables), at the same op_at positions, and drops the
 * base: the registry's built-ins can then change without touching the shared
 * ones. All of them at once, so a composite built-in (sqdiff) calls the
 * registry's own sub and mul. FT_ENOMEM leaves the registry as it was. */
static ft_status detach(ft_registry_t *reg) {
    const ft_registry_t *base = reg->base;
    const size_t nbase = base->count, total = nbase + reg->count;
    ft_op_t **copies = calloc(nbase, sizeof *copies);
    const ft_op_t **ops = malloc((total ? total : 1) * sizeof *ops);
    bool ok = copies && ops;
    for (size_t i = 0; ok && i < nbase; i++)
        ok = (copies[i] = malloc(sizeof *copies[i])) != NULL;
    ok = ok && reserve_slots(reg, total + 1);
    if (!ok) {
        for (size_t i = 0; copies && i < nbase; i++)
            free(copies[i]);
        free(copies);
        free((void *)ops);
        return FT_ENOMEM;
    }
    for (size_t i = 0; i < nbase; i++) {
        *copies[i] = *base->ops[i];
        copies[i]->registry = reg;
        copies[i]->owns = 0;
        copies[i]->live = NULL;
        ops[i] = copies[i];
        const uint64_t h = ftp_name_hash(copies[i]->name);
        ftp_name_slot_t *sl = (ftp_name_slot_t *)slot_for(reg->slots, reg->nslots, copies[i]->name, h);
        sl->hash = h;
        sl->op = copies[i];
    }
    for (size_t i = 0; i < reg->count; i++)
        ops[nbase + i] = reg->ops[i];
    free((void *)reg->ops);
    free(copies);
    reg->ops = ops;
    reg->count = reg->cap = total;
    reg->base = NULL;
    return FT_OK;
}

/* The operator's own table storage and live-registration state, made on its
 * first change (copies of what it shares; nothing else changes). */
static ft_status make_changeable(ft_op_t *op) {
    if (!(op->owns & FTP_OWNS_TABLES)) {
        ftp_op_tables_t *t = malloc(sizeof *t);
        if (!t)
            return FT_ENOMEM;
        memcpy(t->table, op->table, sizeof t->table);
        memcpy(t->steps, op->steps, sizeof t->steps);
        op->table = t->table;
        op->steps = t->steps;
        op->owns |= FTP_OWNS_TABLES;
    }
    if (!op->live) {
        ftp_op_live_t *live = calloc(1, sizeof *live);
        if (!live || !grow_recs(live, op->reg_count)) {
            free(live);
            return FT_ENOMEM;
        }
        for (size_t i = 0; i < op->reg_count; i++)
            live->recs[i] = &op->regs[i];
        live->nrecs = op->reg_count;
        /* the first registrations become records: `regs` will be listings */
        if (op->owns & FTP_OWNS_REGS) {
            live->first = (ft_registration_t *)op->regs;
            live->nfirst = op->reg_count;
            op->owns &= ~(unsigned)FTP_OWNS_REGS;
        }
        op->live = live;
    }
    return FT_OK;
}

/* Recomputes the entries (and steps) that a change of the keys in changed[]
 * can affect (ftp_table_key_affects), from the live registrations; every other
 * entry is left as it is. */
static void recompute_affected(ft_op_t *op, const ft_key_t *changed, size_t nchanged) {
    const ftp_op_live_t *live = op->live;
    ftp_regset_t set;
    memset(&set, 0, sizeof set);
    for (size_t i = 0; i < live->nrecs; i++)
        ftp_regset_add(&set, live->recs[i]->key);
    ft_table_entry_t *table = (ft_table_entry_t *)op->table;
    ftp_step_t *steps = (ftp_step_t *)op->steps;
    for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++) {
        if (!ft_key_is_runtime((ft_key_t)k))
            continue;
        bool affected = false;
        for (size_t c = 0; c < nchanged && !affected; c++)
            affected = ftp_table_key_affects(changed[c], (ft_key_t)k);
        if (!affected)
            continue;
        ft_table_entry_t *e = &table[k];
        ftp_table_compute(&set, (ft_key_t)k, e);
        for (size_t i = 0; i < live->nrecs && e->source != FT_KEY_UNDEFINED; i++)
            if (live->recs[i]->key == e->source)
                e->registration = live->recs[i];
        ftp_step_compile(e, &steps[k]);
    }
    ftp_op_fallthrough_bits(steps, op->fallthrough_bits);
}

/* A new listing of the live records (copies) as the operator's `regs`; kept
 * until the registry is freed. Room in live->listings was reserved. */
static void relist(ft_op_t *op, ft_registration_t *listing) {
    ftp_op_live_t *live = op->live;
    for (size_t i = 0; i < live->nrecs; i++)
        listing[i] = *live->recs[i];
    live->listings[live->nlistings++] = listing;
    op->regs = listing;
    op->reg_count = live->nrecs;
}

ft_status ft_registry_add_kernels(ft_registry_t *reg, const ft_op_t *op, const ft_registration_t *regs, size_t count,
                                  ft_registration_handle_t **out) {
    if (!writable(reg))
        return FT_EINVALID_ARGUMENT;
    if (!op)
        return ftp_error_set(&reg->error, FT_EINVALID_ARGUMENT, "ft_registry_add_kernels: operator is NULL");
    if (!ft_registry_contains(reg, op))
        return ftp_error_set(&reg->error, FT_EINVALID_ARGUMENT,
                             "ft_registry_add_kernels: operator '%s' is not in this registry", op->name);
    ftp_regset_t added;
    ft_status st = check_registrations(regs, count, &added, &reg->error);
    if (st != FT_OK)
        return st;
    for (size_t i = 0; i < op->reg_count; i++)
        if (added.has[op->regs[i].key])
            return ftp_error_set(&reg->error, FT_EINVALID_REGISTRATION,
                                 "duplicate registration for %s on operator '%s'", ft_key_name(op->regs[i].key),
                                 op->name);

    ft_registration_handle_t *h = calloc(1, sizeof *h);
    ft_registration_t *recs = calloc(count, sizeof *recs);
    bool ok = h && recs;
    for (size_t i = 0; ok && i < count; i++) {
        recs[i] = regs[i];
        ok = (recs[i].kernel_name = dup_string(regs[i].kernel_name)) != NULL;
    }
    if (ok && reg->base && op->registry == reg->base) {
        const char *name = op->name;
        ok = detach(reg) == FT_OK && (op = lookup(reg, name, ftp_name_hash(name))) != NULL;
    }
    ft_op_t *m = (ft_op_t *)op; /* the registry's own: allocated by it */
    ft_registration_t *listing = NULL;
    ok = ok && make_changeable(m) == FT_OK;
    ok = ok && grow_recs(m->live, m->live->nrecs + count) && grow_listings(m->live, m->live->nlistings + 1) &&
         (listing = malloc((m->live->nrecs + count) * sizeof *listing)) != NULL;
    if (!ok) {
        for (size_t i = 0; recs && i < count; i++)
            free((char *)recs[i].kernel_name);
        free(recs);
        free(h);
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory adding kernels to '%s'", op->name);
    }

    ft_key_t changed[FT_KEY_ID_COUNT];
    for (size_t i = 0; i < count; i++) {
        m->live->recs[m->live->nrecs++] = &recs[i];
        changed[i] = recs[i].key;
    }
    relist(m, listing);
    recompute_affected(m, changed, count);
    h->registry = reg;
    h->op = m;
    h->recs = recs;
    h->count = count;
    h->next = reg->handles;
    reg->handles = h;
    if (out)
        *out = h;
    return FT_OK;
}

ft_status ft_registration_release(ft_registration_handle_t *h) {
    if (!h)
        return FT_EINVALID_ARGUMENT;
    ft_registry_t *reg = h->registry;
    ft_op_t *op = h->op;
    if (h->released)
        return ftp_error_set(&reg->error, FT_EINVALID_ARGUMENT, "registration handle on '%s' was already released",
                             op->name);
    ftp_op_live_t *live = op->live;
    ft_registration_t *listing = NULL;
    if (!grow_listings(live, live->nlistings + 1) ||
        !(listing = malloc((live->nrecs - h->count ? live->nrecs - h->count : 1) * sizeof *listing)))
        return ftp_error_set(&reg->error, FT_ENOMEM, "out of memory releasing kernels of '%s'", op->name);
    size_t kept = 0;
    for (size_t i = 0; i < live->nrecs; i++) {
        bool mine = false;
        for (size_t j = 0; j < h->count && !mine; j++)
            mine = live->recs[i] == &h->recs[j];
        if (!mine)
            live->recs[kept++] = live->recs[i];
    }
    live->nrecs = kept;
    ft_key_t changed[FT_KEY_ID_COUNT];
    for (size_t i = 0; i < h->count; i++)
        changed[i] = h->recs[i].key;
    relist(op, listing);
    recompute_affected(op, changed, h->count);
    h->released = true;
    return FT_OK;
}

const ft_op_t *ft_registration_op(const ft_registration_handle_t *h) {
    return h ? h->op : NULL;
}
