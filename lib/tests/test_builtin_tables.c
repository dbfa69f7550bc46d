/* The built-in operators' tables are computed at build time (builtin_tables.c,
 * generated): every entry and every routing step must equal what the library
 * computes at run time from the operators' registrations. White-box: reads the
 * private operator layout (op_internal.h). */
#include <string.h>

#include "ft/ft.h"
#include "ft_test.h"
#include "op_internal.h"

/* The registration of `op` under `key`, found by key (NULL if none). */
static const ft_registration_t *registration_for(const ft_op_t *op, ft_key_t key) {
    const ft_registration_t *regs;
    const size_t n = ft_op_registrations(op, &regs);
    for (size_t i = 0; i < n; i++)
        if (regs[i].key == key)
            return &regs[i];
    return NULL;
}

/* The entry of id k computed now: ft_table_compute_entry over the operator's
 * registration keys, the registration resolved by source key. */
static ft_status expected_entry(const ft_op_t *op, ft_key_t k, ft_table_entry_t *e) {
    ft_key_t keys[FT_KEY_ID_COUNT];
    const ft_registration_t *regs;
    const size_t n = ft_op_registrations(op, &regs);
    for (size_t i = 0; i < n; i++)
        keys[i] = regs[i].key;
    if (!ft_key_is_runtime(k)) {
        const ft_table_entry_t missing = {k, FT_TAG_MISSING, FT_KEY_UNDEFINED, false, NULL};
        *e = missing;
        return FT_OK;
    }
    const ft_status st = ft_table_compute_entry(keys, n, k, e);
    if (st == FT_OK && e->source != FT_KEY_UNDEFINED)
        e->registration = registration_for(op, e->source);
    return st;
}

static bool same_entry(const ft_table_entry_t *a, const ft_table_entry_t *b) {
    return a->key == b->key && a->tag == b->tag && a->source == b->source && a->fallthrough == b->fallthrough &&
           a->registration == b->registration;
}

static bool same_step(const ftp_step_t *a, const ftp_step_t *b) {
    return a->hop.key == b->hop.key && a->hop.source == b->hop.source && a->hop.tag == b->hop.tag &&
           a->hop.fallthrough == b->hop.fallthrough && a->hop.kernel_name == b->hop.kernel_name && a->keep == b->keep &&
           a->registration == b->registration && a->kind == b->kind && a->status == b->status;
}

/* Every entry and step of every built-in, against a recomputation. */
static void builtin_tables_match_recomputation(void) {
    const ft_registry_t *builtins = ft_registry_builtins();
    FT_CHECK_EQ_INT(ft_registry_op_count(builtins), 10);
    size_t compared = 0;
    for (size_t i = 0; i < ft_registry_op_count(builtins); i++) {
        const ft_op_t *op = ft_registry_op_at(builtins, i);
        FT_CHECK(op && op->registry == builtins && op->owns == 0);
        static ftp_step_t steps[FTP_ALIAS_FIRST];
        for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++) {
            ft_table_entry_t e;
            ftp_step_t s;
            FT_CHECK_STATUS(expected_entry(op, (ft_key_t)k, &e), FT_OK);
            ftp_step_compile(&e, &s);
            steps[k] = s;
            FT_CHECK_MSG(same_entry(&op->table[k], &e), "%s: table entry for %s differs from the recomputation",
                         op->name, ft_key_name((ft_key_t)k));
            FT_CHECK_MSG(same_step(&op->steps[k], &s), "%s: routing step for %s differs from the recomputation",
                         op->name, ft_key_name((ft_key_t)k));
            compared++;
        }
        uint64_t bits[FT_BACKEND_COUNT + 1];
        ftp_op_fallthrough_bits(steps, bits);
        for (unsigned b = 0; b <= FT_BACKEND_COUNT; b++)
            FT_CHECK_MSG(op->fallthrough_bits[b] == bits[b],
                         "%s: fallthrough bits under backend %u differ from the recomputation", op->name, b);
    }
    FT_CHECK_EQ_INT(compared, 10 * FTP_ALIAS_FIRST);
}

/* The same registrations made at run time in an empty registry give the same
 * tables (registrations matched by position), and a registry from
 * ft_registry_new finds the shared operators by name, in registry order. */
static void builtin_tables_match_runtime_registration(void) {
    const ft_registry_t *builtins = ft_registry_builtins();
    ft_registry_t *fresh, *with;
    FT_CHECK_STATUS(ft_registry_new_empty(&fresh), FT_OK);
    FT_CHECK_STATUS(ft_registry_new(&with), FT_OK);
    bool ok = ft_registry_op_count(with) == 10;
    for (size_t i = 0; ok && i < ft_registry_op_count(builtins); i++) {
        const ft_op_t *op = ft_registry_op_at(builtins, i), *mine = NULL, *found = NULL;
        const ft_registration_t *regs;
        const size_t n = ft_op_registrations(op, &regs);
        ok = ft_registry_register(fresh, op->name, regs, n, &mine) == FT_OK &&
             ft_registry_find(with, op->name, &found) == FT_OK && found == op && ft_registry_op_at(with, i) == op;
        for (unsigned k = 0; ok && k < FTP_ALIAS_FIRST; k++) {
            const ft_table_entry_t *a = &op->table[k], *b = &mine->table[k];
            const ptrdiff_t ra = a->registration ? a->registration - regs : -1;
            const ptrdiff_t rb = b->registration ? b->registration - mine->regs : -1;
            ok = a->key == b->key && a->tag == b->tag && a->source == b->source && a->fallthrough == b->fallthrough &&
                 ra == rb && op->steps[k].kind == mine->steps[k].kind && op->steps[k].keep == mine->steps[k].keep &&
                 op->steps[k].status == mine->steps[k].status;
            FT_CHECK_MSG(ok, "%s: entry for %s differs from a run-time registration", op->name,
                         ft_key_name((ft_key_t)k));
        }
    }
    ft_registry_free(fresh);
    ft_registry_free(with);
    FT_CHECK(ok);
}

/* The walk's key table (ftp_key_at_bit, built from constant expressions in
 * dispatch.c) against c10's highestPriorityTypeId as keyset.h computes it, for
 * every highest backend and every highest bit. */
static void key_at_bit_table_matches_highest_priority_type_id(void) {
    size_t per_backend = 0;
    for (unsigned b = 0; b <= FT_BACKEND_COUNT; b++) {
        for (unsigned i = 0; i < 64; i++) {
            const uint64_t backend = b ? UINT64_C(1) << (b - 1) : 0;
            /* highest bit i, highest backend b: bit i plus backend b (a backend
             * bit below i, or i itself when it is that backend's bit) */
            uint64_t ks = UINT64_C(1) << i;
            if (i >= FT_BACKEND_COUNT || (b && i == b - 1))
                ks |= backend;
            else if (b && i < b - 1)
                continue; /* a keyset cannot have its highest bit below its highest backend */
            const ft_key_t want = ft_keyset_highest_priority_type_id(ft_keyset_from_raw(ks));
            FT_CHECK_MSG(ftp_key_at_bit[b][i] == want, "backend %u, bit %u: table %u, c10 %s (%u)", b, i,
                         (unsigned)ftp_key_at_bit[b][i], ft_key_name(want) ? ft_key_name(want) : "?", (unsigned)want);
            per_backend += i >= FT_BACKEND_COUNT && ftp_key_at_bit[b][i] != i + 1 - FT_BACKEND_COUNT;
        }
    }
    /* Dense, Quantized, Sparse, NestedTensor and AutogradFunctionality map to
     * another key in every row (their placeholder in row 0) */
    FT_CHECK_EQ_INT(per_backend, 5 * (FT_BACKEND_COUNT + 1));
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(builtin_tables_match_recomputation),
        FT_CASE(builtin_tables_match_runtime_registration),
        FT_CASE(key_at_bit_table_matches_highest_priority_type_id),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
