/* Keyset text: the three accepted forms, fail-closed rejections, formatting. */
#include "ft/ft.h"
#include "ft_test.h"

static ft_status parse(const char *text, ft_keyset_t *out, ft_parse_error_t *err) {
    return ft_keyset_parse(text, strlen(text), out, err);
}

static void keyset_parse_accepts_three_forms(void) {
    static const struct {
        const char *text;
        uint64_t raw;
    } cases[] = {
        {"0x2000004001", UINT64_C(0x2000004001)},
        {"0X2000004001", UINT64_C(0x2000004001)},
        {"0x0", 0},
        {"0x0000000000000000004001", 0x4001}, /* leading zeros are not overflow */
        {"0x3fffffffffffff", UINT64_C(0x3fffffffffffff)},
        {"CPU|AutogradCPU", UINT64_C(0x2000004001)},
        {" CPU | AutogradCPU ", UINT64_C(0x2000004001)},
        {"AutogradCPU", UINT64_C(0x2000000001)},
        {"CPU|CPU", 0x4001},
        {"Undefined", 0},
        {"Dense|CUDA", 0x4002},
        {"DispatchKeySet(CPU, AutogradCPU)", UINT64_C(0x2000004001)},
        {"DispatchKeySet( CPU ,AutogradCPU )", UINT64_C(0x2000004001)},
        {"DispatchKeySet()", 0},
        {"DispatchKeySet(Unknown)", UINT64_C(0x4000)}, /* the placeholder name: Dense, no backend */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ft_keyset_t ks;
        ft_parse_error_t err;
        FT_CHECK_MSG(parse(cases[i].text, &ks, &err) == FT_OK, "'%s' rejected: %s", cases[i].text, err.text);
        FT_CHECK_EQ_U64(ks.repr, cases[i].raw);
        FT_CHECK_EQ_INT(err.code, FT_OK);
    }
    /* text need not be NUL-terminated */
    ft_keyset_t ks;
    FT_CHECK_STATUS(ft_keyset_parse("CPUXYZ", 3, &ks, NULL), FT_OK);
    FT_CHECK_EQ_U64(ks.repr, 0x4001);
}

static void keyset_parse_rejects_bad_text(void) {
    static const struct {
        const char *text;
        ft_status want;
    } cases[] = {
        {"", FT_EPARSE},
        {"   ", FT_EPARSE},
        {"0x", FT_EPARSE},
        {"0xg", FT_EPARSE},
        {"0x10000000000000000", FT_EPARSE}, /* 65 bits */
        {"0x4001 junk", FT_EPARSE},
        {"0x4001)", FT_EPARSE},
        {"CPU|", FT_EPARSE},
        {"|CPU", FT_EPARSE},
        {"CPU||CUDA", FT_EPARSE},
        {"CPU CUDA", FT_EPARSE},
        {"CPU,CUDA", FT_EPARSE},
        {"4001", FT_EPARSE},
        {"DispatchKeySet", FT_EPARSE},
        {"DispatchKeySet(CPU", FT_EPARSE},
        {"DispatchKeySet(CPU,)", FT_EPARSE},
        {"DispatchKeySet(,CPU)", FT_EPARSE},
        {"DispatchKeySet(CPU) x", FT_EPARSE},
        {"DispatchKeySet(CPU|CUDA)", FT_EPARSE},
        {"cpu", FT_EUNKNOWN_KEY_NAME},
        {"CPU|Bogus", FT_EUNKNOWN_KEY_NAME},
        {"DispatchKeySet(CPU, NotAKey)", FT_EUNKNOWN_KEY_NAME},
        {"Autograd", FT_EALIAS_IN_KEYSET},
        {"CPU|CompositeImplicitAutograd", FT_EALIAS_IN_KEYSET},
        {"DispatchKeySet(CompositeExplicitAutograd)", FT_EALIAS_IN_KEYSET},
        {"0xffffffffffffffff", FT_EUNKNOWN_BITS},
        {"0x0040000000000000", FT_EUNKNOWN_BITS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ft_keyset_t ks = {0x1234};
        ft_parse_error_t err;
        ft_status st = parse(cases[i].text, &ks, &err);
        FT_CHECK_MSG(st == cases[i].want, "'%s': got %s, want %s", cases[i].text, ft_status_code(st),
                     ft_status_code(cases[i].want));
        FT_CHECK_EQ_INT(err.code, st);
        FT_CHECK_MSG(err.text[0] != '\0', "'%s': no message", cases[i].text);
        FT_CHECK(err.offset <= strlen(cases[i].text));
        FT_CHECK_EQ_U64(ks.repr, 0x1234);
    }
    ft_keyset_t ks;
    FT_CHECK_STATUS(ft_keyset_parse(NULL, 0, &ks, NULL), FT_EINVALID_ARGUMENT);
    FT_CHECK_STATUS(ft_keyset_parse("CPU", 3, NULL, NULL), FT_EINVALID_ARGUMENT);
    /* an embedded NUL is text like any other: rejected, not truncated */
    FT_CHECK_STATUS(ft_keyset_parse("CPU\0CUDA", 8, &ks, NULL), FT_EPARSE);
}

static void keyset_format_matches_torch_repr(void) {
    char buf[FT_KEYSET_TEXT_MAX], hex[19];
    ft_keyset_format(ft_keyset_from_raw(UINT64_C(0x2804004001)), buf, sizeof buf);
    FT_CHECK_STR(buf, "DispatchKeySet(CPU, BackendSelect, ADInplaceOrView, AutogradCPU)");
    ft_keyset_format(ft_keyset_from_raw(0), buf, sizeof buf);
    FT_CHECK_STR(buf, "DispatchKeySet()");
    ft_keyset_format(ft_keyset_from_raw(0x4000), buf, sizeof buf); /* Dense, no backend: prints nothing */
    FT_CHECK_STR(buf, "DispatchKeySet()");
    ft_keyset_format(ft_keyset_from_raw(0x4003), buf, sizeof buf);
    FT_CHECK_STR(buf, "DispatchKeySet(CPU, CUDA)");
    FT_CHECK_STR(ft_keyset_format_hex(ft_keyset_from_raw(0), hex), "0x0");
    FT_CHECK_STR(ft_keyset_format_hex(ft_keyset_from_raw(UINT64_MAX), hex), "0xffffffffffffffff");
    /* the longest text fits the documented bound */
    size_t full = ft_keyset_format(ft_keyset_full(), NULL, 0);
    FT_CHECK(full + 1 <= FT_KEYSET_TEXT_MAX);
}

static void keyset_format_buffer_contract(void) {
    const ft_keyset_t ks = ft_keyset_from_raw(UINT64_C(0x2000004001));
    const size_t need = ft_keyset_format(ks, NULL, 0);
    FT_CHECK_EQ_INT(need, strlen("DispatchKeySet(CPU, AutogradCPU)"));
    char small[8];
    memset(small, 'x', sizeof small);
    FT_CHECK_EQ_INT(ft_keyset_format(ks, small, sizeof small), need);
    FT_CHECK_STR(small, "Dispatc"); /* truncated and terminated */
    char one[1] = {'x'};
    FT_CHECK_EQ_INT(ft_keyset_format(ks, one, 1), need);
    FT_CHECK_EQ_INT(one[0], '\0');
    char canon[32];
    FT_CHECK_EQ_INT(ft_keyset_format_canonical(ft_keyset_from_raw(0x1), canon, sizeof canon), 3);
    FT_CHECK_STR(canon, "0x1"); /* the repr would lose the backend bit */
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(keyset_parse_accepts_three_forms),
        FT_CASE(keyset_parse_rejects_bad_text),
        FT_CASE(keyset_format_matches_torch_repr),
        FT_CASE(keyset_format_buffer_contract),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
