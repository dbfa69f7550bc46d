/* The one rule for caller bytes in JSON text (ft/json_text.h): known answers,
 * and every 1- and 2-byte string plus random longer ones checked against a
 * validator written another way (decode the code point, then check its range). */
#include <stdlib.h>

#include "ft/ft.h"
#include "ft_test.h"

/* Independent definition: decode one sequence by its bit pattern, then require
 * the shortest form, no surrogate, at most U+10FFFF. Returns its length or 0. */
static size_t decode_valid(const unsigned char *s, size_t avail) {
    static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0)
        n = 2, cp = s[0] & 0x1Fu;
    else if ((s[0] & 0xF0) == 0xE0)
        n = 3, cp = s[0] & 0x0Fu;
    else if ((s[0] & 0xF8) == 0xF0)
        n = 4, cp = s[0] & 0x07u;
    else
        return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < min_cp[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

static bool valid_ref(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        const size_t k = decode_valid(s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

static char *json_of(const char *s, size_t n) {
    const size_t need = ft_json_string(s, n, NULL, 0);
    char *buf = malloc(need + 1);
    if (buf && ft_json_string(s, n, buf, need + 1) != need) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *repair_of(const char *s, size_t n) {
    const size_t need = ft_utf8_repair(s, n, NULL, 0);
    char *buf = malloc(need + 1);
    if (buf && ft_utf8_repair(s, n, buf, need + 1) != need) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void json_text_known_answers(void) {
    static const struct {
        const char *in;
        size_t n;
        const char *json, *repaired;
    } cases[] = {
        {"", 0, "\"\"", ""},
        {"add", 3, "\"add\"", "add"},
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\"", "a\"b\\c"},
        {"\n\t\r\b\f\x01\x1f\x7f", 8, "\"\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f\"", "\n\t\r\b\f\x01\x1f\x7f"},
        {"bad\xff", 4, "\"bad\\u00ff\"", "bad\xc3\xbf"},
        {"\xc3\xbf", 2, "\"\xc3\xbf\"", "\xc3\xbf"},                                  /* valid U+00FF stays raw */
        {"\xd1\x9b", 2, "\"\xd1\x9b\"", "\xd1\x9b"},                                  /* U+045B */
        {"\"\\\xd1", 3, "\"\\\"\\\\\\u00d1\"", "\"\\\xc3\x91"},                       /* a cut sequence */
        {"\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"", "\xc3\xad\xc2\xa0\xc2\x80"}, /* surrogate */
        {"\xc0\xaf", 2, "\"\\u00c0\\u00af\"", "\xc3\x80\xc2\xaf"},                    /* overlong '/' */
        {"\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80"},
        {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80"},
        {"a\0b", 3, "\"a\\u0000b\"",
         "a\xe2\x90\x80"
         "b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = json_of(cases[i].in, cases[i].n), *r = repair_of(cases[i].in, cases[i].n);
        const bool ok = j && r && strcmp(j, cases[i].json) == 0 && strcmp(r, cases[i].repaired) == 0;
        free(j);
        free(r);
        FT_CHECK_MSG(ok, "case %zu", i);
    }
}

/* Undoes ft_json_string's output as a JSON reader would, but keeping \u0080..
 * \u00ff escapes as the raw byte they stand for: must give the input back. */
static bool unescape_raw(const char *j, unsigned char *out, size_t *n) {
    size_t len = strlen(j), k = 0;
    if (len < 2 || j[0] != '"' || j[len - 1] != '"')
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        const unsigned char c = (unsigned char)j[i];
        if (c < 0x20 || c == '"' || c == 0x7F)
            return false; /* must have been escaped */
        if (c != '\\') {
            out[k++] = c;
            continue;
        }
        const char e = j[++i];
        const char *m = strchr("\"\\ntrbf", e);
        if (m && e) {
            out[k++] = (unsigned char)"\"\\\n\t\r\b\f"[m - "\"\\ntrbf"];
            continue;
        }
        unsigned v;
        if (e != 'u' || sscanf(j + i + 1, "%4x", &v) != 1 || v > 0xFF)
            return false;
        out[k++] = (unsigned char)v, i += 4;
    }
    *n = k;
    return true;
}

static bool check_one(const unsigned char *s, size_t n) {
    const bool valid = valid_ref(s, n);
    if (ft_utf8_valid((const char *)s, n) != valid)
        return false;
    char *j = json_of((const char *)s, n), *r = repair_of((const char *)s, n);
    unsigned char back[64];
    size_t bn = 0;
    bool ok = j && r && valid_ref((const unsigned char *)j, strlen(j)) &&
              valid_ref((const unsigned char *)r, strlen(r)) && unescape_raw(j, back, &bn) && bn == n &&
              memcmp(back, s, n) == 0;
    /* valid text without NUL is copied unchanged by repair */
    if (ok && valid && !memchr(s, 0, n))
        ok = strlen(r) == n && memcmp(r, s, n) == 0;
    free(j);
    free(r);
    return ok;
}

static void json_text_every_short_string_round_trips(void) {
    unsigned char s[2];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        FT_CHECK_MSG(check_one(s, 1), "byte %02x", a);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            FT_CHECK_MSG(check_one(s, 2), "bytes %02x %02x", a, b);
        }
    }
}

static void json_text_random_strings_round_trip(void) {
    uint64_t x = 0x9E3779B97F4A7C15u;
    unsigned char s[24];
    /* bias towards bytes that make multi-byte sequences interesting */
    static const unsigned char pool[] = {0x00, 0x0a, 0x22, 0x5c, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                         0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const size_t n = (size_t)(x % sizeof s);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[i] = (x & 1) ? pool[(x >> 1) % sizeof pool] : (unsigned char)(x >> 8);
        }
        FT_CHECK_MSG(check_one(s, n), "iteration %d", iter);
    }
}

static void json_text_truncation_keeps_repair_valid(void) {
    const char *s = "ab\xd1\x9b\xff\xf0\x9f\x98\x80z";
    const size_t n = strlen(s), need = ft_utf8_repair(s, n, NULL, 0);
    for (size_t cap = 0; cap <= need + 1; cap++) {
        char buf[32];
        memset(buf, 'X', sizeof buf);
        FT_CHECK_EQ_U64(ft_utf8_repair(s, n, buf, cap), need);
        if (cap) {
            const size_t len = strlen(buf);
            FT_CHECK(len < cap);
            FT_CHECK_MSG(valid_ref((const unsigned char *)buf, len), "cap %zu", cap);
        }
        FT_CHECK(buf[cap < sizeof buf ? cap : 0] == 'X' || cap == 0 || cap >= sizeof buf);
    }
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(json_text_known_answers),
        FT_CASE(json_text_every_short_string_round_trips),
        FT_CASE(json_text_random_strings_round_trip),
        FT_CASE(json_text_truncation_keeps_repair_valid),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
