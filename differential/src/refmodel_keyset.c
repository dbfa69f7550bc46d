/* Reference model: keysets as membership lists (SPEC §3), their text, and
 * dispatch validation (SPEC §6).
 *
 * Word layout, used only to go in and out of ftdr_set_t: backend component v
 * at bit v-1, functionality key f at bit 13+f, bits 54..63 out of domain. All
 * algebra below works on the lists, one member at a time. */
#include <stdio.h>
#include <string.h>

#include "refmodel_internal.h"

#define BACKEND_POS(v)       ((v)-1)
#define FUNCTIONALITY_POS(f) (13 + (f))
#define UNKNOWN_POS(j)       (54 + (j))

static bool word_has(uint64_t word, int pos) {
    return (word >> pos) & 1u;
}

static uint64_t word_bit(int pos) {
    return (uint64_t)1 << pos;
}

void ftdr_set_clear(ftdr_set_t *s) {
    memset(s, 0, sizeof *s);
}

void ftdr_set_from_word(uint64_t word, ftdr_set_t *s) {
    ftdr_set_clear(s);
    for (int v = 1; v <= FTDR_BACKENDS; v++)
        s->backend[v] = word_has(word, BACKEND_POS(v));
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        s->functionality[f] = word_has(word, FUNCTIONALITY_POS(f));
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        s->unknown[j] = word_has(word, UNKNOWN_POS(j));
}

uint64_t ftdr_set_to_word(const ftdr_set_t *s) {
    uint64_t word = 0;
    for (int v = 1; v <= FTDR_BACKENDS; v++)
        if (s->backend[v])
            word += word_bit(BACKEND_POS(v));
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        if (s->functionality[f])
            word += word_bit(FUNCTIONALITY_POS(f));
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        if (s->unknown[j])
            word += word_bit(UNKNOWN_POS(j));
    return word;
}

/* c10's DispatchKeySet(key): a functionality key is its functionality; a
 * runtime per-backend key is its block's functionality and its backend; a
 * placeholder only the functionality; Undefined and aliases nothing. id 41 is,
 * faithfully to c10, the first out-of-domain bit (which validation rejects). */
void ftdr_set_of_key(ft_key_t key, ftdr_set_t *s) {
    ft_key_t f;
    int b;
    ftdr_set_clear(s);
    switch (ftdr_key_class(key)) {
    case FTDR_KEY_FUNCTIONALITY:
    case FTDR_KEY_BUILDING_BLOCK:
        s->functionality[key] = true;
        break;
    case FTDR_KEY_END_MARKER:
        s->unknown[0] = true;
        break;
    case FTDR_KEY_PLACEHOLDER:
    case FTDR_KEY_PER_BACKEND:
        ftdr_key_split(key, &f, &b);
        s->functionality[f] = true;
        if (b > 0)
            s->backend[b] = true;
        break;
    case FTDR_KEY_UNDEFINED:
    case FTDR_KEY_ALIAS:
    case FTDR_KEY_INVALID:
        break;
    }
}

void ftdr_set_union(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out) {
    ftdr_set_t r;
    for (int v = 0; v <= FTDR_BACKENDS; v++)
        r.backend[v] = a->backend[v] || b->backend[v];
    for (int f = 0; f <= FTDR_FUNCTIONALITIES; f++)
        r.functionality[f] = a->functionality[f] || b->functionality[f];
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        r.unknown[j] = a->unknown[j] || b->unknown[j];
    *out = r;
}

void ftdr_set_intersect(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out) {
    ftdr_set_t r;
    for (int v = 0; v <= FTDR_BACKENDS; v++)
        r.backend[v] = a->backend[v] && b->backend[v];
    for (int f = 0; f <= FTDR_FUNCTIONALITIES; f++)
        r.functionality[f] = a->functionality[f] && b->functionality[f];
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        r.unknown[j] = a->unknown[j] && b->unknown[j];
    *out = r;
}

void ftdr_set_xor(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out) {
    ftdr_set_t r;
    for (int v = 0; v <= FTDR_BACKENDS; v++)
        r.backend[v] = a->backend[v] != b->backend[v];
    for (int f = 0; f <= FTDR_FUNCTIONALITIES; f++)
        r.functionality[f] = a->functionality[f] != b->functionality[f];
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        r.unknown[j] = a->unknown[j] != b->unknown[j];
    *out = r;
}

/* c10's operator-: backends are shared by every per-backend functionality, so
 * removing "CPU" must not take the CPU backend away from AutogradCPU; only what
 * lies above the backend range (functionality and out-of-domain bits) goes. */
void ftdr_set_remove(const ftdr_set_t *a, const ftdr_set_t *b, ftdr_set_t *out) {
    ftdr_set_t r = *a;
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        if (b->functionality[f])
            r.functionality[f] = false;
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        if (b->unknown[j])
            r.unknown[j] = false;
    *out = r;
}

bool ftdr_set_has_all(const ftdr_set_t *a, const ftdr_set_t *sub) {
    for (int v = 1; v <= FTDR_BACKENDS; v++)
        if (sub->backend[v] && !a->backend[v])
            return false;
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        if (sub->functionality[f] && !a->functionality[f])
            return false;
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        if (sub->unknown[j] && !a->unknown[j])
            return false;
    return true;
}

static bool any_backend(const ftdr_set_t *s) {
    for (int v = 1; v <= FTDR_BACKENDS; v++)
        if (s->backend[v])
            return true;
    return false;
}

static bool any_functionality(const ftdr_set_t *s) {
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        if (s->functionality[f])
            return true;
    return false;
}

static bool any_unknown(const ftdr_set_t *s) {
    for (int j = 0; j < FTDR_UNKNOWN_BITS; j++)
        if (s->unknown[j])
            return true;
    return false;
}

bool ftdr_set_is_empty(const ftdr_set_t *s) {
    return !any_backend(s) && !any_functionality(s) && !any_unknown(s);
}

/* --- priorities ---------------------------------------------------------------- */

/* c10 reads the highest set bit of the whole word, so an out-of-domain bit j
 * answers id 41 + j (EndOfFunctionalityKeys and beyond). Kept, not corrected:
 * that is what torch and libft report for such a word. */
ft_key_t ftdr_highest_functionality(const ftdr_set_t *s) {
    for (int j = FTDR_UNKNOWN_BITS - 1; j >= 0; j--)
        if (s->unknown[j])
            return (ft_key_t)(FT_KEY_END_OF_FUNCTIONALITY_KEYS + j);
    for (int f = FTDR_FUNCTIONALITIES; f >= 1; f--)
        if (s->functionality[f])
            return (ft_key_t)f;
    return FT_KEY_UNDEFINED;
}

int ftdr_highest_backend(const ftdr_set_t *s) {
    for (int v = FTDR_BACKENDS; v >= 1; v--)
        if (s->backend[v])
            return v;
    return FT_BACKEND_INVALID;
}

ft_key_t ftdr_highest_priority(const ftdr_set_t *s) {
    const ft_key_t f = ftdr_highest_functionality(s);
    if (ftdr_is_per_backend_functionality(f))
        return ftdr_runtime_key(f, ftdr_highest_backend(s)); /* backend 0: the placeholder */
    return f;
}

/* c10's highestPriorityBackendTypeId: the same, looking only at Dense,
 * Quantized, Sparse and the backends (so not NestedTensor nor autograd). */
ft_key_t ftdr_highest_priority_backend(const ftdr_set_t *s) {
    ftdr_set_t r;
    ftdr_set_clear(&r);
    for (int v = 1; v <= FTDR_BACKENDS; v++)
        r.backend[v] = s->backend[v];
    r.functionality[FT_KEY_DENSE] = s->functionality[FT_KEY_DENSE];
    r.functionality[FT_KEY_QUANTIZED] = s->functionality[FT_KEY_QUANTIZED];
    r.functionality[FT_KEY_SPARSE] = s->functionality[FT_KEY_SPARSE];
    return ftdr_highest_priority(&r);
}

/* c10's DispatchKeySet(FULL_AFTER, key): everything ranked below the key's
 * functionality, plus PythonDispatcher (a 1.13 quirk: it is added whatever the
 * key). For a key whose functionality is Undefined (Undefined itself, aliases)
 * c10 computes (1 << 13) - 1, which holds the backends CPU .. PrivateUse2 but
 * not PrivateUse3; kept. */
void ftdr_full_after(ft_key_t key, ftdr_set_t *out) {
    const int f = (int)ftdr_functionality_of(key);
    ftdr_set_clear(out);
    for (int v = 1; v <= FTDR_BACKENDS; v++)
        out->backend[v] = f > 0 || v < FTDR_BACKENDS;
    for (int g = 1; g <= FTDR_FUNCTIONALITIES; g++)
        out->functionality[g] = g < f;
    out->functionality[FT_KEY_PYTHON_DISPATCHER] = true;
}

/* --- validation -------------------------------------------------------------- */

static const ft_key_t backend_functionalities[] = {FT_KEY_DENSE, FT_KEY_QUANTIZED, FT_KEY_SPARSE, FT_KEY_NESTED_TENSOR};
static const ft_key_t autograd_functionalities[] = {FT_KEY_AUTOGRAD_OTHER, FT_KEY_AUTOGRAD_FUNCTIONALITY,
                                                    FT_KEY_AUTOGRAD_NESTED_TENSOR};

static bool any_of(const ftdr_set_t *s, const ft_key_t *keys, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s->functionality[keys[i]])
            return true;
    return false;
}

ft_status ftdr_validate(const ftdr_set_t *s) {
    if (any_unknown(s))
        return FT_EUNKNOWN_BITS;
    if (ftdr_set_is_empty(s))
        return FT_EEMPTY_SET;
    if (!any_functionality(s))
        return FT_ENO_TYPE_KEY;
    bool per_backend = false;
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        if (s->functionality[f] && ftdr_is_per_backend_functionality((ft_key_t)f))
            per_backend = true;
    if (per_backend && !any_backend(s))
        return FT_ENO_BACKEND_KEY;
    /* the packet's "AutogradCPU without CPU": autograd with nothing to run under it */
    if (any_of(s, autograd_functionalities, sizeof autograd_functionalities / sizeof autograd_functionalities[0]) &&
        !any_of(s, backend_functionalities, sizeof backend_functionalities / sizeof backend_functionalities[0]))
        return FT_EINCOMPATIBLE_SET;
    return FT_OK;
}

/* --- text -------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, len;
} text_t;

static void put(text_t *t, const char *s) {
    for (; *s; s++, t->len++)
        if (t->len + 1 < t->cap)
            t->buf[t->len] = *s;
    if (t->cap)
        t->buf[t->len < t->cap ? t->len : t->cap - 1] = '\0';
}

size_t ftdr_set_repr(const ftdr_set_t *s, char *buf, size_t cap) {
    text_t t = {buf, cap, 0};
    char name[FTDR_NAME_MAX];
    bool first = true;
    put(&t, "DispatchKeySet(");
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++) {
        if (!s->functionality[f])
            continue;
        if (!ftdr_is_per_backend_functionality((ft_key_t)f)) {
            put(&t, first ? "" : ", ");
            put(&t, ftdr_key_name((ft_key_t)f, name));
            first = false;
            continue;
        }
        /* a per-backend functionality prints one runtime key per backend, and
         * nothing at all when there is no backend */
        for (int v = 1; v <= FTDR_BACKENDS; v++) {
            if (!s->backend[v])
                continue;
            put(&t, first ? "" : ", ");
            put(&t, ftdr_key_name(ftdr_runtime_key((ft_key_t)f, v), name));
            first = false;
        }
    }
    put(&t, ")");
    return t.len;
}

size_t ftdr_set_canonical(const ftdr_set_t *s, char *buf, size_t cap) {
    bool per_backend = false;
    for (int f = 1; f <= FTDR_FUNCTIONALITIES; f++)
        if (s->functionality[f] && ftdr_is_per_backend_functionality((ft_key_t)f))
            per_backend = true;
    if (!any_unknown(s) && per_backend == any_backend(s))
        return ftdr_set_repr(s, buf, cap);
    const int n = snprintf(buf, cap, "0x%llx", (unsigned long long)ftdr_set_to_word(s));
    return n < 0 ? 0 : (size_t)n;
}

typedef struct {
    const char *s;
    size_t len, pos;
} cursor_t;

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_spaces(cursor_t *c) {
    while (c->pos < c->len && is_space(c->s[c->pos]))
        c->pos++;
}

static bool at(const cursor_t *c, const char *lit) {
    const size_t n = strlen(lit);
    return c->len - c->pos >= n && memcmp(c->s + c->pos, lit, n) == 0;
}

static int hex_digit(char ch) {
    const char *digits = "0123456789abcdef", *upper = "0123456789ABCDEF";
    for (int i = 0; i < 16; i++)
        if (ch == digits[i] || ch == upper[i])
            return i;
    return -1;
}

static ft_status parse_hex(cursor_t *c, uint64_t *out) {
    c->pos += 2;
    uint64_t v = 0;
    size_t digits = 0;
    for (int d; c->pos < c->len && (d = hex_digit(c->s[c->pos])) >= 0; c->pos++, digits++) {
        if (v > UINT64_MAX / 16)
            return FT_EPARSE; /* a 17th significant digit */
        v = v * 16 + (uint64_t)d;
    }
    if (digits == 0)
        return FT_EPARSE;
    *out = v;
    return FT_OK;
}

static bool name_start(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool name_char(char ch) {
    return name_start(ch) || (ch >= '0' && ch <= '9');
}

static ft_status parse_name(cursor_t *c, ftdr_set_t *acc) {
    skip_spaces(c);
    const size_t start = c->pos;
    if (c->pos >= c->len || !name_start(c->s[c->pos]))
        return FT_EPARSE;
    while (c->pos < c->len && name_char(c->s[c->pos]))
        c->pos++;
    ft_key_t key;
    if (!ftdr_key_from_name(c->s + start, c->pos - start, &key))
        return FT_EUNKNOWN_KEY_NAME;
    if (ftdr_key_class(key) == FTDR_KEY_ALIAS)
        return FT_EALIAS_IN_KEYSET;
    ftdr_set_t one;
    ftdr_set_of_key(key, &one);
    ftdr_set_union(acc, &one, acc);
    skip_spaces(c);
    return FT_OK;
}

static ft_status parse_names(cursor_t *c, char sep, ftdr_set_t *acc) {
    for (;;) {
        const ft_status st = parse_name(c, acc);
        if (st != FT_OK)
            return st;
        if (c->pos >= c->len || c->s[c->pos] != sep)
            return FT_OK;
        c->pos++;
    }
}

ft_status ftdr_parse(const char *text, size_t len, bool keep_unknown, uint64_t *out) {
    cursor_t c = {text, len, 0};
    ftdr_set_t acc;
    ftdr_set_clear(&acc);
    ft_status st;
    skip_spaces(&c);
    if (c.pos == c.len)
        return FT_EPARSE;
    if (at(&c, "0x") || at(&c, "0X")) {
        uint64_t word;
        if ((st = parse_hex(&c, &word)) != FT_OK)
            return st;
        ftdr_set_from_word(word, &acc);
        skip_spaces(&c);
    } else if (at(&c, "DispatchKeySet")) {
        c.pos += strlen("DispatchKeySet");
        if (!at(&c, "("))
            return FT_EPARSE;
        c.pos++;
        skip_spaces(&c);
        if (c.pos < c.len && c.s[c.pos] != ')' && (st = parse_names(&c, ',', &acc)) != FT_OK)
            return st;
        if (!at(&c, ")"))
            return FT_EPARSE;
        c.pos++;
        skip_spaces(&c);
    } else if ((st = parse_names(&c, '|', &acc)) != FT_OK) {
        return st;
    }
    if (c.pos != c.len)
        return FT_EPARSE;
    if (any_unknown(&acc) && !keep_unknown)
        return FT_EUNKNOWN_BITS;
    *out = ftdr_set_to_word(&acc);
    return FT_OK;
}

ft_status ftd_ref_keyset_parse(const char *text, size_t len, bool keep_unknown, uint64_t *out) {
    return ftdr_parse(text, len, keep_unknown, out);
}

/* --- the keyset scenario ------------------------------------------------------ */

void ftd_ref_keyset(const ftd_scenario_t *s, ftd_keyset_outcome_t *out) {
    ftdr_set_t a, b, k, r;
    memset(out, 0, sizeof *out);
    ftdr_set_from_word(s->a, &a);
    ftdr_set_from_word(s->b, &b);
    ftdr_set_of_key(s->key, &k);

    ftdr_set_union(&a, &b, &r);
    out->union_bits = ftdr_set_to_word(&r);
    ftdr_set_intersect(&a, &b, &r);
    out->and_bits = ftdr_set_to_word(&r);
    ftdr_set_xor(&a, &b, &r);
    out->xor_bits = ftdr_set_to_word(&r);
    ftdr_set_remove(&a, &b, &r);
    out->sub_bits = ftdr_set_to_word(&r);
    ftdr_set_union(&a, &k, &r);
    out->add_key_bits = ftdr_set_to_word(&r);
    ftdr_set_remove(&a, &k, &r);
    out->remove_key_bits = ftdr_set_to_word(&r);
    out->has_key = ftdr_set_has_all(&a, &k);
    out->key_bits = ftdr_set_to_word(&k);

    out->highest_functionality = ftdr_highest_functionality(&a);
    out->highest_backend = (ft_backend_t)ftdr_highest_backend(&a);
    out->highest_priority = ftdr_highest_priority(&a);
    out->highest_priority_backend = ftdr_highest_priority_backend(&a);
    /* Alias keys too: torch answers 0x20000000001fff there (their
     * functionality is Undefined), as the full_after fixtures check. */
    ftdr_full_after(s->key, &r);
    out->full_after_bits = ftdr_set_to_word(&r);

    char text[4096];
    ftdr_set_canonical(&a, text, sizeof text);
    uint64_t parsed = 0;
    out->parse_status = ftdr_parse(text, strlen(text), false, &parsed);
    out->parse_bits = out->parse_status == FT_OK ? parsed : 0;
    out->validate_status = ftdr_validate(&a);
}
