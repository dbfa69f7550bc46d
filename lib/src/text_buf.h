/* Private: appending text into a caller's buffer with snprintf semantics — the
 * buffer gets as much as fits (always terminated when it has room) and `len`
 * counts what the whole text needs. Shared by every formatter in libft. */
#ifndef FT_TEXT_BUF_H
#define FT_TEXT_BUF_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ft/json_text.h"

typedef struct {
    char *buf;
    size_t cap, len;
} ftp_text_t;

static inline ftp_text_t ftp_text_init(char *buf, size_t cap) {
    ftp_text_t t = {buf && cap ? buf : NULL, buf ? cap : 0, 0};
    if (t.cap)
        t.buf[0] = '\0';
    return t;
}

static inline void ftp_text_add(ftp_text_t *t, const char *s, size_t n) {
    if (t->len < t->cap) {
        size_t room = t->cap - t->len - 1, k = n < room ? n : room;
        memcpy(t->buf + t->len, s, k);
        t->buf[t->len + k] = '\0';
    }
    t->len += n;
}

static inline void ftp_text_str(ftp_text_t *t, const char *s) {
    ftp_text_add(t, s, strlen(s));
}

/* s as a JSON string literal by the project's one rule (ft/json_text.h); NULL
 * is JSON null. */
static inline void ftp_text_json(ftp_text_t *t, const char *s) {
    if (!s) {
        ftp_text_str(t, "null");
        return;
    }
    const bool room = t->len < t->cap;
    t->len += ft_json_string(s, strlen(s), room ? t->buf + t->len : NULL, room ? t->cap - t->len : 0);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void
ftp_text_fmt(ftp_text_t *t, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ftp_text_add(t, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

#endif
