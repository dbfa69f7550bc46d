/* ft-gen-builtin-tables OUT.c: writes builtin_tables.c, the built-in operators
 * (builtin_ops.h) with every computed table entry and routing step, and their
 * registry (name table included), as static const C data.
 *
 * A build-time host program, linked from the library's own objects: it
 * registers the built-ins in an empty registry with ft_registry_register and
 * writes out what that computed (dispatch_table.c's precedence rules,
 * dispatch.c's step compiler, the key facts, the registry's name table) as
 * built from the current sources,
 * so a change to any of them (a ci/mutants patch included) changes the built-in
 * tables of that very build. CMake reruns it whenever the library objects
 * change; the output is never checked in. test_builtin_tables recomputes every
 * entry at run time and compares. Exit 0, or 1 with a message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_ops.h"

/* The library objects this links refer to the data being written; the
 * generator uses neither, so empty stand-ins do. */
const ft_op_t ftp_builtin_ops[FTP_BUILTIN_COUNT];
const ft_registry_t ftp_builtin_registry;

/* Registration wants a kernel function where the real one will be; only its
 * C name (row_t.fn) is written out. */
static ft_status stand_in(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out) {
    (void)call, (void)a, (void)b, (void)out;
    return FT_ENO_KERNEL;
}

typedef struct {
    const char *op;
    ft_key_t key;
    const char *kernel_name;
    const char *fn, *backward; /* C expressions */
} row_t;

#define ROW(op, key, kernel_name, fn, backward) {#op, key, kernel_name, #fn, #backward},
static const row_t rows[] = {FTP_BUILTIN_REGISTRATIONS(ROW)};
#undef ROW
#define NAME(op) #op,
static const char *const op_names[FTP_BUILTIN_COUNT] = {FTP_BUILTIN_OPS(NAME)};
#undef NAME

enum { NROWS = sizeof rows / sizeof rows[0] };

static void die(const char *what, const char *detail) {
    fprintf(stderr, "ft-gen-builtin-tables: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* Kernel names are printable ASCII (the registry's rule); quotes and
 * backslashes are escaped. */
static void put_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s < 0x20 || *s > 0x7e)
            die("kernel name is not printable ASCII", NULL);
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* `&regs_OP[i]` for a registration of the operator, or NULL. */
static void put_registration(FILE *f, const char *op, const ft_registration_t *regs, size_t n,
                             const ft_registration_t *r) {
    if (!r) {
        fputs("NULL", f);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (r == &regs[i]) {
            fprintf(f, "&regs_%s[%zu]", op, i);
            return;
        }
    die("a table entry points outside the operator's registrations", op);
}

static void put_kernel_name(FILE *f, const char *op, const ft_registration_t *regs, size_t n, const char *name) {
    if (!name) {
        fputs("NULL", f);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (name == regs[i].kernel_name) {
            fprintf(f, "kn_%s_%zu", op, i);
            return;
        }
    die("a step's kernel name is none of the operator's", op);
}

static void put_op(FILE *f, ft_registry_t *reg, size_t index) {
    const char *op = op_names[index];
    ft_registration_t in[NROWS];
    const row_t *src[NROWS];
    size_t n = 0;
    for (size_t i = 0; i < NROWS; i++) {
        if (strcmp(rows[i].op, op) != 0)
            continue;
        memset(&in[n], 0, sizeof in[n]);
        in[n].key = rows[i].key;
        in[n].kernel_name = rows[i].kernel_name;
        in[n].fn = strcmp(rows[i].fn, "NULL") != 0 ? stand_in : NULL;
        src[n++] = &rows[i];
    }
    const ft_op_t *o = NULL;
    if (ft_registry_register(reg, op, in, n, &o) != FT_OK)
        die(op, ft_registry_last_error(reg)->message);
    if (o != ft_registry_op_at(reg, index))
        die("not registered in FTP_BUILTIN_OPS order", op);
    const ft_registration_t *regs = o->regs;
    const ft_table_entry_t *table = o->table;
    const ftp_step_t *steps = o->steps;

    fprintf(f, "\n/* --- %s */\n\n", op);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "static const char kn_%s_%zu[] = ", op, i);
        put_string(f, regs[i].kernel_name);
        fputs(";\n", f);
    }
    fprintf(f, "static const ft_registration_t regs_%s[%zu] = {\n", op, n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "    {.key = (ft_key_t)%d, .kernel_name = kn_%s_%zu, .fn = %s, .payload = NULL, .backward = %s},\n",
                (int)regs[i].key, op, i, src[i]->fn, src[i]->backward);
    fputs("};\n", f);
    fprintf(f, "static const ft_table_entry_t table_%s[FTP_ALIAS_FIRST] = {\n", op);
    for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++) {
        const ft_table_entry_t *e = &table[k];
        fprintf(f, "    E(%d, %d, %d, %d, ", (int)e->key, (int)e->tag, (int)e->source, e->fallthrough ? 1 : 0);
        put_registration(f, op, regs, n, e->registration);
        fprintf(f, "), /* %s */\n", ft_key_name((ft_key_t)k));
    }
    fputs("};\n", f);
    fprintf(f, "static const ftp_step_t steps_%s[FTP_ALIAS_FIRST] = {\n", op);
    for (unsigned k = 0; k < FTP_ALIAS_FIRST; k++) {
        const ftp_step_t *s = &steps[k];
        fprintf(f, "    S(%d, %d, %d, %d, ", (int)s->hop.key, (int)s->hop.source, (int)s->hop.tag,
                s->hop.fallthrough ? 1 : 0);
        put_kernel_name(f, op, regs, n, s->hop.kernel_name);
        fprintf(f, ", 0x%016llx, ", (unsigned long long)s->keep);
        put_registration(f, op, regs, n, s->registration);
        fprintf(f, ", %d, %d), /* %s */\n", (int)s->kind, (int)s->status, ft_key_name((ft_key_t)k));
    }
    fputs("};\n", f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: ft-gen-builtin-tables OUT.c\n", stderr);
        return 2;
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]) >= (int)sizeof tmp)
        die("output path too long", argv[1]);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die("cannot write", tmp);
    fputs("/* GENERATED at build time by ft-gen-builtin-tables (lib/src/gen_builtin_tables.c)\n"
          " * from the library's own table computation: the built-in operators of\n"
          " * builtin_ops.h with every computed entry and routing step. Do not edit;\n"
          " * not checked in. */\n"
          "#include \"builtin_ops.h\"\n\n"
          "#define E(k_, t_, s_, f_, r_)                                                         \\\n"
          "    {.key = (ft_key_t)(k_), .tag = (ft_table_tag_t)(t_), .source = (ft_key_t)(s_),       \\\n"
          "     .fallthrough = (f_), .registration = (r_)}\n"
          "#define S(k_, s_, t_, f_, n_, keep_, r_, kind_, st_)                                  \\\n"
          "    {.hop = {.key = (ft_key_t)(k_), .source = (ft_key_t)(s_), .tag = (ft_table_tag_t)(t_), \\\n"
          "             .fallthrough = (f_), .kernel_name = (n_)},                               \\\n"
          "     .keep = UINT64_C(keep_), .registration = (r_), .kind = (kind_), .status = (st_)}\n",
          f);
    ft_registry_t *reg;
    if (ft_registry_new_empty(&reg) != FT_OK)
        die("out of memory", NULL);
    for (size_t i = 0; i < FTP_BUILTIN_COUNT; i++)
        put_op(f, reg, i);
    /* the registry: its operators in order and the name table exactly as
     * ft_registry_register laid it out */
    fputs("\n/* --- the registry */\n\nstatic const ft_op_t *const builtin_list[FTP_BUILTIN_COUNT] = {\n", f);
    for (size_t i = 0; i < FTP_BUILTIN_COUNT; i++)
        fprintf(f, "    &ftp_builtin_ops[%zu],\n", i);
    fprintf(f, "};\nstatic const ftp_name_slot_t builtin_slots[%zu] = {\n", reg->nslots);
    for (size_t i = 0; i < reg->nslots; i++) {
        const ft_op_t *o = reg->slots[i].op;
        size_t j = 0;
        while (o && ft_registry_op_at(reg, j) != o)
            j++;
        if (o)
            fprintf(f, "    {UINT64_C(0x%016llx), &ftp_builtin_ops[%zu]}, /* %s */\n",
                    (unsigned long long)reg->slots[i].hash, j, o->name);
        else
            fputs("    {0, NULL},\n", f);
    }
    fprintf(f,
            "};\nconst ft_registry_t ftp_builtin_registry = {\n"
            "    .base = NULL, .ops = builtin_list, .count = FTP_BUILTIN_COUNT, .cap = FTP_BUILTIN_COUNT,\n"
            "    .slots = builtin_slots, .nslots = %zu, .error = {.code = FT_OK, .message = \"\"}};\n",
            reg->nslots);
    fputs("const ft_op_t ftp_builtin_ops[FTP_BUILTIN_COUNT] = {\n", f);
    for (size_t i = 0; i < FTP_BUILTIN_COUNT; i++) {
        const char *op = op_names[i];
        fprintf(
            f,
            "    {.name = \"%s\", .registry = &ftp_builtin_registry, .regs = regs_%s,\n"
            "     .reg_count = sizeof regs_%s / sizeof regs_%s[0], .table = table_%s, .steps = steps_%s, .owns = 0,\n"
            "     .fallthrough_bits = {",
            op, op, op, op, op, op);
        const ft_op_t *o = ft_registry_op_at(reg, i);
        for (unsigned b = 0; b <= FT_BACKEND_COUNT; b++)
            fprintf(f, "%sUINT64_C(0x%016llx)", b ? ", " : "", (unsigned long long)o->fallthrough_bits[b]);
        fputs("}},\n", f);
    }
    fputs("};\n", f);
    ft_registry_free(reg);
    if (fclose(f) != 0)
        die("write failed", tmp);
    if (rename(tmp, argv[1]) != 0)
        die("cannot rename into place", argv[1]);
    return 0;
}
