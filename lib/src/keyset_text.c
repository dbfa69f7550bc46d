/* Keyset text: torch's repr, a lossless canonical form, raw hex, and a parser
 * that accepts all three and fails closed. */
#include <stdio.h>
#include <string.h>

#include "ft/keyset.h"
#include "text_buf.h"

static const char repr_open[] = "DispatchKeySet(";

size_t ft_keyset_format(ft_keyset_t ks, char *buf, size_t cap) {
    ftp_text_t t = ftp_text_init(buf, cap);
    ftp_text_str(&t, repr_open);
    ft_keyset_iter_t it = ft_keyset_iter(ks);
    ft_key_t k;
    for (bool first = true; ft_keyset_next(&it, &k); first = false) {
        if (!first)
            ftp_text_str(&t, ", ");
        ftp_text_str(&t, ft_key_name(k));
    }
    ftp_text_str(&t, ")");
    return t.len;
}

char *ft_keyset_format_hex(ft_keyset_t ks, char buf[19]) {
    snprintf(buf, 19, "0x%llx", (unsigned long long)ks.repr);
    return buf;
}

/* The repr drops backend bits when no per-backend functionality is present, and
 * drops a per-backend functionality that has no backend bit; unknown bits are
 * never printed. Everything else round-trips. */
static bool repr_is_lossless(ft_keyset_t ks) {
    bool has_pb = (ks.repr & FT_KEYSET_PER_BACKEND_MASK) != 0, has_backend = (ks.repr & FT_KEYSET_BACKEND_MASK) != 0;
    return !(ks.repr & FT_KEYSET_UNKNOWN_MASK) && has_pb == has_backend;
}

size_t ft_keyset_format_canonical(ft_keyset_t ks, char *buf, size_t cap) {
    if (repr_is_lossless(ks))
        return ft_keyset_format(ks, buf, cap);
    char hex[19];
    ftp_text_t t = ftp_text_init(buf, cap);
    ftp_text_str(&t, ft_keyset_format_hex(ks, hex));
    return t.len;
}

/* --- parsing --------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len, pos;
    ft_parse_error_t *err;
} parser_t;

/* Records the failure; `what` and `detail` are concatenated into the message. */
static ft_status fail(parser_t *p, ft_status code, size_t offset, const char *what, const char *detail) {
    if (p->err) {
        p->err->code = code;
        p->err->offset = offset;
        snprintf(p->err->text, sizeof p->err->text, "%s%s", what, detail ? detail : "");
    }
    return code;
}

static void skip_space(parser_t *p) {
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static ft_status parse_hex(parser_t *p, uint64_t *out) {
    size_t start = p->pos;
    p->pos += 2; /* "0x" */
    uint64_t v = 0;
    size_t digits = 0;
    int d;
    while (p->pos < p->len && (d = hex_value(p->s[p->pos])) >= 0) {
        if (v >> 60)
            return fail(p, FT_EPARSE, start, "hex keyset overflows 64 bits", NULL);
        v = v << 4 | (uint64_t)d;
        digits++;
        p->pos++;
    }
    if (digits == 0)
        return fail(p, FT_EPARSE, p->pos, "expected hex digits after 0x", NULL);
    *out = v;
    return FT_OK;
}

/* Reads one key name and ORs its keyset into *acc. */
static ft_status parse_name(parser_t *p, uint64_t *acc) {
    skip_space(p);
    size_t start = p->pos;
    if (p->pos >= p->len || !is_name_start(p->s[p->pos]))
        return fail(p, FT_EPARSE, start, "expected a key name", NULL);
    while (p->pos < p->len && is_name_char(p->s[p->pos]))
        p->pos++;
    size_t n = p->pos - start;
    ft_key_t key;
    if (ft_key_from_name_n(p->s + start, n, &key) != FT_OK) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(n < 48 ? n : 48), p->s + start);
        return fail(p, FT_EUNKNOWN_KEY_NAME, start, "unknown dispatch key name: ", name);
    }
    if (ft_key_is_alias(key))
        return fail(p, FT_EALIAS_IN_KEYSET, start, "alias key cannot be in a keyset: ", ft_key_name(key));
    *acc |= ft_keyset_from_key(key).repr;
    skip_space(p);
    return FT_OK;
}

/* One or more names separated by `sep` (',' in the repr, '|' in a key list). */
static ft_status parse_names(parser_t *p, char sep, uint64_t *acc) {
    for (;;) {
        ft_status st = parse_name(p, acc);
        if (st != FT_OK)
            return st;
        if (p->pos >= p->len || p->s[p->pos] != sep)
            return FT_OK;
        p->pos++;
    }
}

static bool starts_with(const parser_t *p, const char *lit) {
    size_t n = strlen(lit);
    return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

static ft_status parse(const char *text, size_t len, bool keep_unknown, ft_keyset_t *out, ft_parse_error_t *err) {
    parser_t p = {text, len, 0, err};
    if (err) {
        err->code = FT_OK;
        err->offset = 0;
        err->unknown_mask = 0;
        err->text[0] = '\0';
    }
    if (!text || !out)
        return fail(&p, FT_EINVALID_ARGUMENT, 0, "NULL argument", NULL);
    uint64_t bits = 0;
    ft_status st;
    skip_space(&p);
    if (p.pos == p.len)
        return fail(&p, FT_EPARSE, p.pos, "empty keyset text", NULL);
    if (starts_with(&p, "0x") || starts_with(&p, "0X")) {
        if ((st = parse_hex(&p, &bits)) != FT_OK)
            return st;
        skip_space(&p);
    } else if (starts_with(&p, "DispatchKeySet")) {
        if (!starts_with(&p, repr_open))
            return fail(&p, FT_EPARSE, p.pos + sizeof repr_open - 2, "expected '(' after DispatchKeySet", NULL);
        p.pos += sizeof repr_open - 1;
        skip_space(&p);
        if (p.pos < p.len && p.s[p.pos] != ')' && (st = parse_names(&p, ',', &bits)) != FT_OK)
            return st;
        if (p.pos >= p.len || p.s[p.pos] != ')')
            return fail(&p, FT_EPARSE, p.pos, "expected ',' or ')' in DispatchKeySet(...)", NULL);
        p.pos++;
        skip_space(&p);
    } else if ((st = parse_names(&p, '|', &bits)) != FT_OK) {
        return st;
    }
    if (p.pos != p.len)
        return fail(&p, FT_EPARSE, p.pos, "unexpected text after keyset", NULL);
    if ((bits & FT_KEYSET_UNKNOWN_MASK) && !keep_unknown) {
        char mask[19];
        ft_keyset_format_hex(ft_keyset_from_raw(bits & FT_KEYSET_UNKNOWN_MASK), mask);
        if (err)
            err->unknown_mask = bits & FT_KEYSET_UNKNOWN_MASK;
        return fail(&p, FT_EUNKNOWN_BITS, 0, "unknown keyset bits (54..63 are outside the 1.13 domain): ", mask);
    }
    out->repr = bits;
    return FT_OK;
}

ft_status ft_keyset_parse(const char *text, size_t len, ft_keyset_t *out, ft_parse_error_t *err) {
    return parse(text, len, false, out, err);
}

ft_status ft_keyset_parse_raw(const char *text, size_t len, ft_keyset_t *out, ft_parse_error_t *err) {
    return parse(text, len, true, out, err);
}
