/* The canonical text form of a scenario (ftdiff/scenario.h): a fixed-order JSON
 * writer with no allocation, and a strict jansson-based reader that names the
 * field it rejects. */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_text.h"
#include "ftdiff/scenario.h"
#include "ftf/ids.h"
#include "refmodel_internal.h"

/* Key and backend names come from the harness's own table (the reference
 * model's), not libft's: a broken name in libft must show up as drift in the
 * checks, not make every scenario unreadable. */
static const char *key_text(ft_key_t k, char buf[FTDR_NAME_MAX]) {
    return ftdr_key_name(k, buf);
}

static const char *backend_text(ft_backend_t b, char buf[FTDR_NAME_MAX]) {
    return b >= FT_BACKEND_CPU && b <= FT_BACKEND_COUNT
               ? ftdr_key_name((ft_key_t)(FT_KEY_START_OF_DENSE_BACKENDS + (int)b), buf)
               : NULL;
}

/* ---- writing --------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put(out_t *o, const char *s, size_t n) {
    if (o->len + 1 < o->cap) {
        const size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void puts_(out_t *o, const char *s) {
    put(o, s, strlen(s));
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
putf(out_t *o, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_str(out_t *o, const char *s) {
    const size_t n = strlen(s);
    const bool room = o->len + 1 < o->cap;
    o->len += ft_json_string(s, n, room ? o->buf + o->len : NULL, room ? o->cap - o->len : 0);
}

static void put_hex64(out_t *o, uint64_t v) {
    putf(o, "\"0x%016" PRIx64 "\"", v);
}

static void put_operand(out_t *o, const ftd_operand_t *x) {
    puts_(o, "{\"bits\":");
    if (x->dtype == FT_DTYPE_F32)
        putf(o, "\"0x%08" PRIx32 "\"", (uint32_t)x->bits);
    else
        put_hex64(o, x->bits);
    char dev[FTDR_NAME_MAX];
    putf(o, ",\"dtype\":\"%s\",\"device\":\"%s\",\"requires_grad\":%s}", ft_dtype_name(x->dtype),
         backend_text(x->device, dev), x->requires_grad ? "true" : "false");
}

static void put_regs(out_t *o, const ftd_opref_t *op) {
    puts_(o, "[");
    for (size_t i = 0; i < op->reg_count; i++) {
        if (i)
            puts_(o, ",");
        char name[FTDR_NAME_MAX];
        put_str(o, key_text(op->regs[i], name));
    }
    puts_(o, "]");
}

static void put_context(out_t *o, const ftd_scenario_t *s) {
    putf(o, ",\"grad_mode\":%s,\"include\":", s->grad_mode ? "true" : "false");
    put_hex64(o, s->include);
    puts_(o, ",\"exclude\":");
    put_hex64(o, s->exclude);
}

static bool op_name_ok(const char *n) {
    const char *end = memchr(n, '\0', FTD_OP_NAME_MAX);
    const size_t len = end ? (size_t)(end - n) : FTD_OP_NAME_MAX;
    if (len == 0 || len >= FTD_OP_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        const char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == ':'))
            return false;
    }
    return true;
}

static bool operand_ok(const ftd_operand_t *x) {
    return (x->dtype == FT_DTYPE_F64 || (x->dtype == FT_DTYPE_F32 && x->bits <= UINT32_MAX)) &&
           x->device >= FT_BACKEND_CPU && x->device <= FT_BACKEND_COUNT;
}

static bool regs_ok(const ftd_opref_t *op) {
    if (op->reg_count > FTD_MAX_REGS)
        return false;
    for (size_t i = 0; i < op->reg_count; i++)
        if ((unsigned)op->regs[i] >= FT_KEY_ID_COUNT)
            return false;
    return true;
}

bool ftd_scenario_valid(const ftd_scenario_t *s) {
    if (!s)
        return false;
    switch (s->kind) {
    case FTD_KIND_DISPATCH:
        return op_name_ok(s->op.name) && regs_ok(&s->op) && (s->op.custom || s->op.reg_count == 0) &&
               operand_ok(&s->lhs) && operand_ok(&s->rhs);
    case FTD_KIND_PROGRAM:
        if (s->leaf_count == 0 || s->leaf_count > FTD_MAX_LEAVES || s->op_count > FTD_MAX_PROGRAM_OPS ||
            s->root >= s->leaf_count + s->op_count)
            return false;
        for (size_t i = 0; i < s->leaf_count; i++)
            if (!operand_ok(&s->leaves[i]))
                return false;
        for (size_t i = 0; i < s->op_count; i++)
            if (!op_name_ok(s->ops[i].op) || s->ops[i].lhs >= s->leaf_count + i || s->ops[i].rhs >= s->leaf_count + i)
                return false;
        return true;
    case FTD_KIND_TABLE:
        return regs_ok(&s->op);
    case FTD_KIND_KEYSET:
        return (unsigned)s->key < FT_KEY_ID_COUNT;
    }
    return false;
}

size_t ftd_scenario_encode(const ftd_scenario_t *s, char *buf, size_t cap) {
    out_t o = {buf, buf ? cap : 0, 0};
    if (!ftd_scenario_valid(s)) {
        if (o.cap)
            buf[0] = '\0';
        return 0;
    }
    putf(&o, "{\"kind\":\"%s\"", ftd_kind_name(s->kind));
    switch (s->kind) {
    case FTD_KIND_DISPATCH:
        puts_(&o, ",\"op\":{\"name\":");
        put_str(&o, s->op.name);
        putf(&o, ",\"custom\":%s,\"regs\":", s->op.custom ? "true" : "false");
        put_regs(&o, &s->op);
        puts_(&o, "},\"lhs\":");
        put_operand(&o, &s->lhs);
        puts_(&o, ",\"rhs\":");
        put_operand(&o, &s->rhs);
        puts_(&o, ",\"keyset\":");
        if (s->has_keyset)
            put_hex64(&o, s->keyset);
        else
            puts_(&o, "null");
        put_context(&o, s);
        break;
    case FTD_KIND_PROGRAM:
        puts_(&o, ",\"leaves\":[");
        for (size_t i = 0; i < s->leaf_count; i++) {
            if (i)
                puts_(&o, ",");
            put_operand(&o, &s->leaves[i]);
        }
        puts_(&o, "],\"ops\":[");
        for (size_t i = 0; i < s->op_count; i++) {
            puts_(&o, i ? ",{\"op\":" : "{\"op\":");
            put_str(&o, s->ops[i].op);
            putf(&o, ",\"lhs\":%" PRIu32 ",\"rhs\":%" PRIu32 "}", s->ops[i].lhs, s->ops[i].rhs);
        }
        putf(&o, "],\"root\":%" PRIu32, s->root);
        put_context(&o, s);
        break;
    case FTD_KIND_TABLE:
        puts_(&o, ",\"regs\":");
        put_regs(&o, &s->op);
        break;
    case FTD_KIND_KEYSET:
        puts_(&o, ",\"a\":");
        put_hex64(&o, s->a);
        puts_(&o, ",\"b\":");
        put_hex64(&o, s->b);
        puts_(&o, ",\"key\":");
        char name[FTDR_NAME_MAX];
        put_str(&o, key_text(s->key, name));
        break;
    }
    puts_(&o, "}");
    if (o.cap)
        o.buf[o.len < o.cap ? o.len : o.cap - 1] = '\0';
    return o.len;
}

int ftd_scenario_id(const ftd_scenario_t *s, char id[256]) {
    char text[8192];
    const size_t n = ftd_scenario_encode(s, text, sizeof text);
    if (n == 0 || n >= sizeof text)
        return -1;
    return ftf_generated_scenario_id(id, text, n) == FTF_OK ? 0 : -1;
}

/* ---- reading --------------------------------------------------------------- */

/* Reading one object: every field must be taken exactly once (unknown fields are
 * an error, never ignored: a misspelt field would silently test something else). */
typedef struct {
    ftd_error_t *err;
    const char *path; /* of the object being read, "" at the top */
    bool failed;
} rd_t;

static void fail(rd_t *r, const char *field, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void fail(rd_t *r, const char *field, const char *fmt, ...) {
    if (r->failed)
        return;
    r->failed = true;
    if (!r->err)
        return;
    snprintf(r->err->field, sizeof r->err->field, "%s%s%s", r->path, r->path[0] && field[0] ? "." : "", field);
    va_list ap;
    va_start(ap, fmt);
    char msg[160];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ft_utf8_repair(msg, strlen(msg), r->err->text, sizeof r->err->text);
}

static json_t *field(rd_t *r, json_t *obj, const char *name) {
    json_t *v = json_object_get(obj, name);
    if (!v)
        fail(r, name, "missing field");
    return v;
}

static void no_unknown_fields(rd_t *r, json_t *obj, const char *const *known, size_t count) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool found = false;
        for (size_t i = 0; i < count && !found; i++)
            found = strcmp(k, known[i]) == 0;
        if (!found) {
            fail(r, k, "unknown field");
            return;
        }
    }
}

static bool get_bool(rd_t *r, json_t *obj, const char *name, bool *out) {
    json_t *v = field(r, obj, name);
    if (!v)
        return false;
    if (!json_is_boolean(v)) {
        fail(r, name, "must be true or false");
        return false;
    }
    *out = json_is_true(v);
    return true;
}

static bool parse_hex(const char *s, uint64_t *out) {
    if (s[0] != '0' || s[1] != 'x' || !s[2] || strlen(s) > 18)
        return false;
    uint64_t v = 0;
    for (const char *p = s + 2; *p; p++) {
        const char c = *p;
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool get_hex(rd_t *r, json_t *obj, const char *name, uint64_t *out) {
    json_t *v = field(r, obj, name);
    if (!v)
        return false;
    if (!json_is_string(v) || !parse_hex(json_string_value(v), out)) {
        fail(r, name, "must be a hex string \"0x...\" (lowercase, at most 16 digits)");
        return false;
    }
    return true;
}

static bool get_index(rd_t *r, json_t *obj, const char *name, uint32_t *out) {
    json_t *v = field(r, obj, name);
    if (!v)
        return false;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= FTD_MAX_VARS) {
        fail(r, name, "must be an integer 0..%d", FTD_MAX_VARS - 1);
        return false;
    }
    *out = (uint32_t)json_integer_value(v);
    return true;
}

static bool key_of(rd_t *r, json_t *v, const char *name, ft_key_t *out) {
    if (!json_is_string(v) || !ftdr_key_from_name(json_string_value(v), strlen(json_string_value(v)), out)) {
        fail(r, name, "must be a dispatch key name as torch spells it (e.g. \"AutogradCPU\")");
        return false;
    }
    return true;
}

static bool get_op_name(rd_t *r, json_t *obj, const char *name, char out[FTD_OP_NAME_MAX]) {
    json_t *v = field(r, obj, name);
    if (!v)
        return false;
    if (!json_is_string(v) || !op_name_ok(json_string_value(v))) {
        fail(r, name, "must be an operator name (1..%d of [A-Za-z0-9_.:])", FTD_OP_NAME_MAX - 1);
        return false;
    }
    snprintf(out, FTD_OP_NAME_MAX, "%s", json_string_value(v));
    return true;
}

static bool get_regs(rd_t *r, json_t *obj, ftd_opref_t *op) {
    json_t *v = field(r, obj, "regs");
    if (!v)
        return false;
    if (!json_is_array(v) || json_array_size(v) > FTD_MAX_REGS) {
        fail(r, "regs", "must be an array of at most %d key names", FTD_MAX_REGS);
        return false;
    }
    op->reg_count = json_array_size(v);
    for (size_t i = 0; i < op->reg_count; i++)
        if (!key_of(r, json_array_get(v, i), "regs", &op->regs[i]))
            return false;
    return true;
}

static bool get_operand(rd_t *r, json_t *obj, const char *name, ftd_operand_t *out) {
    static const char *const known[] = {"bits", "dtype", "device", "requires_grad"};
    json_t *v = field(r, obj, name);
    if (!v)
        return false;
    if (!json_is_object(v)) {
        fail(r, name, "must be an object {bits, dtype, device, requires_grad}");
        return false;
    }
    char path[64];
    snprintf(path, sizeof path, "%s%s%s", r->path, r->path[0] ? "." : "", name);
    rd_t sub = {r->err, path, false};
    no_unknown_fields(&sub, v, known, sizeof known / sizeof known[0]);
    json_t *dt = field(&sub, v, "dtype"), *dev = field(&sub, v, "device");
    if (dt && (!json_is_string(dt) || ft_dtype_from_name(json_string_value(dt), &out->dtype) != FT_OK))
        fail(&sub, "dtype", "must be \"f64\" or \"f32\"");
    bool dev_ok = false;
    char bname[FTDR_NAME_MAX];
    if (dev && json_is_string(dev))
        for (int b = 1; b <= FT_BACKEND_COUNT && !dev_ok; b++)
            if (strcmp(backend_text((ft_backend_t)b, bname), json_string_value(dev)) == 0)
                out->device = (ft_backend_t)b, dev_ok = true;
    if (dev && !dev_ok)
        fail(&sub, "device", "must be a backend name (\"CPU\", \"CUDA\", ...)");
    if (get_hex(&sub, v, "bits", &out->bits) && !sub.failed && out->dtype == FT_DTYPE_F32 && out->bits > UINT32_MAX)
        fail(&sub, "bits", "f32 bits must fit 32 bits");
    get_bool(&sub, v, "requires_grad", &out->requires_grad);
    r->failed |= sub.failed;
    return !sub.failed;
}

static void get_context(rd_t *r, json_t *obj, ftd_scenario_t *s) {
    get_bool(r, obj, "grad_mode", &s->grad_mode);
    get_hex(r, obj, "include", &s->include);
    get_hex(r, obj, "exclude", &s->exclude);
}

static void read_dispatch(rd_t *r, json_t *obj, ftd_scenario_t *s) {
    static const char *const known[] = {"kind", "op", "lhs", "rhs", "keyset", "grad_mode", "include", "exclude"};
    static const char *const op_known[] = {"name", "custom", "regs"};
    no_unknown_fields(r, obj, known, sizeof known / sizeof known[0]);
    json_t *op = field(r, obj, "op");
    if (op && !json_is_object(op))
        fail(r, "op", "must be an object {name, custom, regs}");
    else if (op) {
        rd_t sub = {r->err, "op", false};
        no_unknown_fields(&sub, op, op_known, sizeof op_known / sizeof op_known[0]);
        get_op_name(&sub, op, "name", s->op.name);
        get_bool(&sub, op, "custom", &s->op.custom);
        if (get_regs(&sub, op, &s->op) && !s->op.custom && s->op.reg_count)
            fail(&sub, "regs", "a built-in operator takes no registrations");
        r->failed |= sub.failed;
    }
    get_operand(r, obj, "lhs", &s->lhs);
    get_operand(r, obj, "rhs", &s->rhs);
    json_t *ks = field(r, obj, "keyset");
    if (ks && !json_is_null(ks))
        s->has_keyset = get_hex(r, obj, "keyset", &s->keyset);
    get_context(r, obj, s);
}

static void read_program(rd_t *r, json_t *obj, ftd_scenario_t *s) {
    static const char *const known[] = {"kind", "leaves", "ops", "root", "grad_mode", "include", "exclude"};
    static const char *const op_known[] = {"op", "lhs", "rhs"};
    no_unknown_fields(r, obj, known, sizeof known / sizeof known[0]);
    json_t *leaves = field(r, obj, "leaves"), *ops = field(r, obj, "ops");
    if (leaves && (!json_is_array(leaves) || json_array_size(leaves) == 0 || json_array_size(leaves) > FTD_MAX_LEAVES))
        fail(r, "leaves", "must be an array of 1..%d operands", FTD_MAX_LEAVES);
    if (ops && (!json_is_array(ops) || json_array_size(ops) > FTD_MAX_PROGRAM_OPS))
        fail(r, "ops", "must be an array of at most %d ops", FTD_MAX_PROGRAM_OPS);
    if (r->failed)
        return;
    s->leaf_count = json_array_size(leaves);
    for (size_t i = 0; i < s->leaf_count && !r->failed; i++) {
        json_t *wrap = json_object();
        json_object_set(wrap, "leaves", json_array_get(leaves, i));
        get_operand(r, wrap, "leaves", &s->leaves[i]);
        json_decref(wrap);
    }
    s->op_count = json_array_size(ops);
    for (size_t i = 0; i < s->op_count && !r->failed; i++) {
        json_t *o = json_array_get(ops, i);
        char path[32];
        snprintf(path, sizeof path, "ops[%zu]", i);
        rd_t sub = {r->err, path, false};
        if (!json_is_object(o)) {
            fail(&sub, "", "must be an object {op, lhs, rhs}");
        } else {
            no_unknown_fields(&sub, o, op_known, sizeof op_known / sizeof op_known[0]);
            get_op_name(&sub, o, "op", s->ops[i].op);
            if (get_index(&sub, o, "lhs", &s->ops[i].lhs) && s->ops[i].lhs >= s->leaf_count + i)
                fail(&sub, "lhs", "refers to a later variable");
            if (get_index(&sub, o, "rhs", &s->ops[i].rhs) && s->ops[i].rhs >= s->leaf_count + i)
                fail(&sub, "rhs", "refers to a later variable");
        }
        r->failed |= sub.failed;
    }
    if (get_index(r, obj, "root", &s->root) && s->root >= s->leaf_count + s->op_count)
        fail(r, "root", "is not a variable of the program");
    get_context(r, obj, s);
}

static void read_table(rd_t *r, json_t *obj, ftd_scenario_t *s) {
    static const char *const known[] = {"kind", "regs"};
    no_unknown_fields(r, obj, known, sizeof known / sizeof known[0]);
    get_regs(r, obj, &s->op);
}

static void read_keyset(rd_t *r, json_t *obj, ftd_scenario_t *s) {
    static const char *const known[] = {"kind", "a", "b", "key"};
    no_unknown_fields(r, obj, known, sizeof known / sizeof known[0]);
    get_hex(r, obj, "a", &s->a);
    get_hex(r, obj, "b", &s->b);
    json_t *k = field(r, obj, "key");
    if (k)
        key_of(r, k, "key", &s->key);
}

int ftd_scenario_from_json(const void *json_object, ftd_scenario_t *out, ftd_error_t *err) {
    json_t *obj = (json_t *)(uintptr_t)json_object;
    rd_t r = {err, "", false};
    if (err)
        memset(err, 0, sizeof *err);
    ftd_scenario_init(out, FTD_KIND_DISPATCH);
    if (!json_is_object(obj)) {
        fail(&r, "", "a scenario must be a JSON object");
        return -1;
    }
    json_t *k = field(&r, obj, "kind");
    int kind = -1;
    for (int i = 0; k && json_is_string(k) && i < FTD_KIND_COUNT; i++)
        if (strcmp(json_string_value(k), ftd_kind_name((ftd_kind_t)i)) == 0)
            kind = i;
    if (k && kind < 0)
        fail(&r, "kind", "must be \"dispatch\", \"program\", \"table\" or \"keyset\"");
    if (r.failed)
        return -1;
    ftd_scenario_init(out, (ftd_kind_t)kind);
    switch (out->kind) {
    case FTD_KIND_DISPATCH:
        read_dispatch(&r, obj, out);
        break;
    case FTD_KIND_PROGRAM:
        read_program(&r, obj, out);
        break;
    case FTD_KIND_TABLE:
        read_table(&r, obj, out);
        break;
    case FTD_KIND_KEYSET:
        read_keyset(&r, obj, out);
        break;
    }
    return r.failed ? -1 : 0;
}

int ftd_scenario_decode(const char *text, size_t len, ftd_scenario_t *out, ftd_error_t *err) {
    json_error_t je;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!obj) {
        if (err) {
            memset(err, 0, sizeof *err);
            err->line = je.line;
            err->column = je.column;
            ft_utf8_repair(je.text, strlen(je.text), err->text, sizeof err->text);
        }
        return -1;
    }
    const int rc = ftd_scenario_from_json(obj, out, err);
    json_decref(obj);
    return rc;
}
