/* The project's rule for caller bytes in JSON text (ft/json_text.h). */
#include "ft/json_text.h"

#include <string.h>

size_t ft_utf8_seq_len(const unsigned char *s, size_t avail) {
    if (!avail)
        return 0;
    const unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0xC2)
        return 0; /* ASCII is not a multi-byte lead; 0x80..0xC1 never lead */
    else if (c < 0xE0)
        n = 2;
    else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c < 0xF5) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

bool ft_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        const size_t k = ft_utf8_seq_len(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* snprintf-style output: copies what fits (leaving room for the NUL), counts all. */
typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put(out_t *o, const void *s, size_t n) {
    if (o->len + 1 < o->cap) {
        const size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static size_t finish(out_t *o) {
    if (o->cap)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->len;
}

size_t ft_json_string(const char *s, size_t n, char *buf, size_t cap) {
    static const char hex[] = "0123456789abcdef";
    out_t o = {buf, buf ? cap : 0, 0};
    const unsigned char *p = (const unsigned char *)s;
    put(&o, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    for (size_t i = 0; i < n;) {
        const unsigned c = p[i];
        size_t k = 1;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80 && (k = ft_utf8_seq_len(p + i, n - i)) != 0) {
            i += k;
            continue;
        }
        put(&o, p + run, i - run);
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        size_t len = 6;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c, len = 2;
            break;
        case '\n':
            esc[1] = 'n', len = 2;
            break;
        case '\t':
            esc[1] = 't', len = 2;
            break;
        case '\r':
            esc[1] = 'r', len = 2;
            break;
        case '\b':
            esc[1] = 'b', len = 2;
            break;
        case '\f':
            esc[1] = 'f', len = 2;
            break;
        default: /* other controls, DEL and invalid bytes: \u00xy */
            break;
        }
        put(&o, esc, len);
        run = ++i;
    }
    put(&o, p + run, n - run);
    put(&o, "\"", 1);
    return finish(&o);
}

size_t ft_utf8_repair(const char *s, size_t n, char *buf, size_t cap) {
    out_t o = {buf, buf ? cap : 0, 0};
    const unsigned char *p = (const unsigned char *)s;
    bool cut = false; /* once a character does not fit, nothing after it is copied */
    for (size_t i = 0; i < n;) {
        unsigned char tmp[3];
        const unsigned char *chunk = p + i;
        size_t k = 1, len = 1;
        if (p[i] == 0) {
            tmp[0] = 0xE2, tmp[1] = 0x90, tmp[2] = 0x80; /* U+2400 */
            chunk = tmp, len = 3;
        } else if (p[i] >= 0x80 && !(k = len = ft_utf8_seq_len(p + i, n - i))) {
            tmp[0] = (unsigned char)(0xC0 | (p[i] >> 6)), tmp[1] = (unsigned char)(0x80 | (p[i] & 0x3F));
            chunk = tmp, k = 1, len = 2;
        }
        if (!cut && o.len + len + 1 > o.cap)
            cut = true, o.cap = o.len < o.cap ? o.len + 1 : o.cap; /* freeze at the boundary */
        put(&o, chunk, len);
        i += k;
    }
    return finish(&o);
}
