/* The one JSON scanner of libftforensics (json_scan.h). */
#include "json_scan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_text.h"

static bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *ftfp_json_skip_ws(const char *p, const char *end) {
    while (p < end && is_ws(*p))
        p++;
    return p;
}

const char *ftfp_json_skip_string(const char *p, const char *end) {
    const char *from = p + 1;
    for (;;) {
        const char *q = from < end ? memchr(from, '"', (size_t)(end - from)) : NULL;
        if (!q)
            return NULL;
        size_t bs = 0;
        while (q - bs > p + 1 && q[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0)
            return q + 1;
        from = q + 1;
    }
}

const char *ftfp_json_skip_value(const char *p, const char *end) {
    if (p >= end)
        return NULL;
    if (*p == '"')
        return ftfp_json_skip_string(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            const char c = *p;
            if (c == '"') {
                if (!(p = ftfp_json_skip_string(p, end)))
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && !is_ws(*p))
        p++;
    return p;
}

/* ---- validation ---------------------------------------------------------------- */

typedef struct {
    const char *p, *end;
    unsigned depth;
    bool undecided; /* duplicate keys could not be ruled out cheaply */
} vs_t;

/* Keys remembered per object for the duplicate check; an object with more, or
   with an escaped key (which may spell another key differently), is left to a
   parser (undecided). */
#define KEYS_PER_OBJECT 16

static int hex4(const char *p, const char *end) {
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        const char c = p[i];
        const int d = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static bool v_string(vs_t *s) {
    const char *p = s->p + 1;
    while (p < s->end) {
        const unsigned char c = (unsigned char)*p;
        if (c == '"') {
            s->p = p + 1;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            const size_t k = ft_utf8_seq_len((const unsigned char *)p, (size_t)(s->end - p));
            if (!k)
                return false;
            p += k;
            continue;
        }
        if (c != '\\') {
            p++;
            continue;
        }
        if (++p >= s->end)
            return false;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p++;
            break;
        case 'u': {
            const int u = hex4(p + 1, s->end);
            if (u <= 0) /* malformed, or \u0000 (jansson refuses NUL without a flag) */
                return false;
            p += 5;
            if (u >= 0xDC00 && u <= 0xDFFF)
                return false; /* a low surrogate alone */
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (s->end - p < 2 || p[0] != '\\' || p[1] != 'u')
                    return false;
                const int lo = hex4(p + 2, s->end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                p += 6;
            }
            break;
        }
        default:
            return false;
        }
    }
    return false;
}

/* jansson refuses what does not fit its types: an integer outside long long,
   a real that overflows a double. Tokens longer than the copy are refused too. */
static bool number_fits(const char *p, size_t n, bool real) {
    char buf[512];
    if (n >= sizeof buf)
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    if (real) {
        const double d = strtod(buf, NULL);
        return !(isinf(d) && errno == ERANGE);
    }
    (void)strtoll(buf, NULL, 10);
    return errno != ERANGE;
}

static bool v_number(vs_t *s) {
    const char *p = s->p, *end = s->end;
    bool real = false;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return false;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (p < end && *p == '.') {
        real = true;
        const char *d = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return false;
    }
    if (!number_fits(s->p, (size_t)(p - s->p), real))
        return false;
    s->p = p;
    return true;
}

static bool v_literal(vs_t *s, const char *lit, size_t n) {
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool v_value(vs_t *s);

static bool v_container(vs_t *s, char close) {
    const char *keys[KEYS_PER_OBJECT];
    size_t key_len[KEYS_PER_OBJECT], nkeys = 0;
    if (++s->depth > FTFP_JSON_MAX_DEPTH)
        return false;
    s->p = ftfp_json_skip_ws(s->p + 1, s->end);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        if (close == '}') {
            const char *k = s->p + 1;
            if (s->p >= s->end || *s->p != '"' || !v_string(s))
                return false;
            const size_t klen = (size_t)(s->p - 1 - k);
            if (nkeys == KEYS_PER_OBJECT || memchr(k, '\\', klen)) {
                s->undecided = true;
            } else {
                for (size_t i = 0; i < nkeys; i++)
                    if (key_len[i] == klen && memcmp(keys[i], k, klen) == 0)
                        return false; /* a duplicate key: the reader rejects the line */
                keys[nkeys] = k;
                key_len[nkeys++] = klen;
            }
            s->p = ftfp_json_skip_ws(s->p, s->end);
            if (s->p >= s->end || *s->p != ':')
                return false;
            s->p = ftfp_json_skip_ws(s->p + 1, s->end);
        }
        if (!v_value(s))
            return false;
        s->p = ftfp_json_skip_ws(s->p, s->end);
        if (s->p >= s->end)
            return false;
        if (*s->p == close) {
            s->p++;
            s->depth--;
            return true;
        }
        if (*s->p != ',')
            return false;
        s->p = ftfp_json_skip_ws(s->p + 1, s->end);
    }
}

static bool v_value(vs_t *s) {
    if (s->p >= s->end)
        return false;
    switch (*s->p) {
    case '"':
        return v_string(s);
    case '{':
        return v_container(s, '}');
    case '[':
        return v_container(s, ']');
    case 't':
        return v_literal(s, "true", 4);
    case 'f':
        return v_literal(s, "false", 5);
    case 'n':
        return v_literal(s, "null", 4);
    default:
        return v_number(s);
    }
}

int ftfp_json_check(const char *p, const char *end) {
    vs_t s = {ftfp_json_skip_ws(p, end), end, 0, false};
    if (!v_value(&s) || ftfp_json_skip_ws(s.p, end) != end)
        return 0;
    return s.undecided ? -1 : 1;
}
