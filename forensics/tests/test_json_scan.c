/* The one JSON scanner (forensics/src/json_scan.h): validation agrees with
 * jansson (the reader that will parse these lines) on known cases and on
 * 300,000 mutated texts; skipping finds the end of every value. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdlib.h>

#include "../src/json_scan.h"
#include "ftf_test.h"

static bool jansson_accepts(const char *s, size_t n) {
    json_error_t e;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    json_decref(v);
    return v != NULL;
}

/* the scanner's answer, a parser deciding what it leaves undecided */
static bool valid(const char *s, size_t n) {
    const int r = ftfp_json_check(s, s + n);
    return r < 0 ? jansson_accepts(s, n) : r == 1;
}

static void json_scan_known_cases(void) {
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        {"{}", true},
        {" [1, 2.5e-3, -0, true, false, null, \"x\"] ", true},
        {"{\"a\":{\"b\":[{}]}}", true},
        {"\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"", true},
        {"", false},
        {"{", false},
        {"[1,]", false},
        {"{\"a\" 1}", false},
        {"01", false},
        {"1.", false},
        {"-", false},
        {"1e", false},
        {"tru", false},
        {"\"\\x\"", false},
        {"\"\\u12\"", false},
        {"\"\\u0000\"", false},
        {"\"\\udc00\"", false},
        {"\"\\ud800x\"", false},
        {"\"bad \xff\"", false},
        {"\"ctl \x01\"", false},
        {"1 2", false},
        {"{\"a\":1}}", false},
        {"1e999", false},
        {"99999999999999999999", false},
        {"NaN", false},
        {"{\"a\":1,\"a\":2}", false},
        {"{\"a\":{\"b\":1},\"b\":{\"b\":2}}", true},
        {"[{\"k\":1},{\"k\":1}]", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_t n = strlen(cases[i].text);
        FT_CHECK_MSG(valid(cases[i].text, n) == cases[i].ok, "case %zu: %s", i, cases[i].text);
        FT_CHECK_MSG(jansson_accepts(cases[i].text, n) == cases[i].ok, "jansson disagrees with case %zu", i);
    }
    char deep[2 * FTFP_JSON_MAX_DEPTH + 4];
    memset(deep, '[', FTFP_JSON_MAX_DEPTH + 1);
    memset(deep + FTFP_JSON_MAX_DEPTH + 1, ']', FTFP_JSON_MAX_DEPTH + 1);
    FT_CHECK(!valid(deep, 2 * (FTFP_JSON_MAX_DEPTH + 1)));
    FT_CHECK(valid(deep + 1, 2 * FTFP_JSON_MAX_DEPTH));
    /* undecided only where it says so */
    const char *esc = "{\"\\u0061\":1,\"a\":2}", *plain = "{\"a\":1}";
    FT_CHECK(ftfp_json_check(esc, esc + strlen(esc)) == -1);
    FT_CHECK(!jansson_accepts(esc, strlen(esc)));
    FT_CHECK(ftfp_json_check(plain, plain + strlen(plain)) == 1);
}

/* Mutations of valid seeds: a byte flipped, inserted or deleted, cuts. */
static void json_scan_agrees_with_jansson_on_mutations(void) {
    static const char *const seeds[] = {
        "{\"kind\":\"dispatch\",\"op\":{\"name\":\"add\",\"regs\":[\"CPU\"]},\"x\":[1,-2.5e+3,true,null],\"y\":1}",
        "[\"\\u00e9\\ud83d\\ude00\",\"caf\xc3\xa9\",{\"a\":{}},[],0.125,\"\\\\\\\"\"]",
        "{\"expected\":\"0x3ff0000000000000\",\"observed\":[\"AutogradCPU\",\"kernel\",false,\"\"]}",
    };
    static const char alphabet[] = "{}[]\":,.-+eE0129 \\utfnal\x80\xc3\xa9\xed\xa0\xff\x01";
    uint64_t x = 0x243F6A8885A308D3u;
    char buf[256];
    size_t agree = 0;
    for (int iter = 0; iter < 300000; iter++) {
        const char *seed = seeds[iter % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        const int edits = 1 + iter % 3;
        for (int e = 0; e < edits; e++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const size_t at = (size_t)(x % (n + 1));
            const char ch = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 4) {
            case 0:
                if (at < n)
                    buf[at] = ch;
                break;
            case 1:
                if (n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = ch;
                    n++;
                }
                break;
            case 2:
                if (at < n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            default:
                n = at;
            }
        }
        const bool mine = valid(buf, n), theirs = jansson_accepts(buf, n);
        FT_CHECK_MSG(mine == theirs, "iteration %d: scanner %d, jansson %d on: %.*s", iter, mine, theirs, (int)n, buf);
        agree += mine;
        /* a valid value is skipped whole */
        if (mine) {
            const char *b = ftfp_json_skip_ws(buf, buf + n), *e = ftfp_json_skip_value(b, buf + n);
            FT_CHECK_MSG(e && ftfp_json_skip_ws(e, buf + n) == buf + n, "skip stops early at iteration %d", iter);
        }
    }
    FT_CHECK_MSG(agree > 10000, "only %zu mutated texts were valid: the test exercises too little", agree);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(json_scan_known_cases),
        FT_CASE(json_scan_agrees_with_jansson_on_mutations),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
