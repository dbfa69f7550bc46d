/* Property tests: algebra laws and text round trips over random keysets drawn
 * with a fixed seed (so a failure reproduces), across the whole 54-bit domain
 * and biased towards realistic sets. */
#include "ft/ft.h"
#include "ft_test.h"

enum { ROUNDS = 20000 };
static const uint64_t SEED = UINT64_C(0x13f7d15ba7c4e5);

/* Half random words over the known domain (each bit set with p = 1/4), half a
 * few runtime keys (so per-backend keys, shared backend bits and tiny sets are
 * common). */
static ft_keyset_t random_keyset(uint64_t *s) {
    if (ft_test_rand(s) & 1)
        return ft_keyset_from_raw(ft_test_rand(s) & FT_KEYSET_KNOWN_MASK & ft_test_rand(s));
    ft_keyset_t ks = {0};
    int n = (int)(ft_test_rand(s) % 5);
    for (int i = 0; i < n; i++) {
        const ft_key_t *rt;
        size_t count = ft_key_runtime_list(&rt);
        ks = ft_keyset_add(ks, rt[ft_test_rand(s) % count]);
    }
    return ks;
}

#define FAIL_WITH(a, b, what) FT_CHECK_MSG(false, "%s: a=0x%" PRIx64 " b=0x%" PRIx64, what, (a).repr, (b).repr)

static void keyset_props_algebra_laws(void) {
    uint64_t s = SEED;
    for (int i = 0; i < ROUNDS; i++) {
        const ft_keyset_t a = random_keyset(&s), b = random_keyset(&s), c = random_keyset(&s);
        if (!ft_keyset_equal(ft_keyset_or(a, b), ft_keyset_or(b, a)) ||
            !ft_keyset_equal(ft_keyset_and(a, b), ft_keyset_and(b, a)))
            FAIL_WITH(a, b, "commutativity");
        if (!ft_keyset_equal(ft_keyset_or(ft_keyset_or(a, b), c), ft_keyset_or(a, ft_keyset_or(b, c))))
            FAIL_WITH(a, b, "associativity of or");
        if (!ft_keyset_equal(ft_keyset_xor(ft_keyset_xor(a, b), b), a))
            FAIL_WITH(a, b, "xor is its own inverse");
        const ft_keyset_t d = ft_keyset_sub(a, b);
        if ((d.repr & FT_KEYSET_BACKEND_MASK) != (a.repr & FT_KEYSET_BACKEND_MASK))
            FAIL_WITH(a, b, "difference keeps every backend bit");
        if (d.repr & b.repr & FT_KEYSET_FUNCTIONALITY_MASK)
            FAIL_WITH(a, b, "difference clears b's functionality bits");
        if (!ft_keyset_has_all(a, d))
            FAIL_WITH(a, b, "difference is a subset");
        if (!ft_keyset_equal(ft_keyset_or(ft_keyset_sub(a, b), ft_keyset_and(a, b)), a))
            FAIL_WITH(a, b, "(a - b) | (a & b) == a");
        if (ft_keyset_has_all(a, b) != ft_keyset_equal(ft_keyset_and(a, b), b))
            FAIL_WITH(a, b, "has_all agrees with and");
    }
}

/* The highest-priority key is the last key the iteration yields, whenever the
 * highest functionality has a key to show. */
static void keyset_props_priority_is_last_iterated(void) {
    uint64_t s = SEED + 1;
    for (int i = 0; i < ROUNDS; i++) {
        const ft_keyset_t ks = random_keyset(&s);
        ft_keyset_iter_t it = ft_keyset_iter(ks);
        ft_key_t k, last = FT_KEY_UNDEFINED;
        while (ft_keyset_next(&it, &k)) {
            FT_CHECK_MSG(ft_keyset_has(ks, k), "iteration yields %s not in 0x%" PRIx64, ft_key_name(k), ks.repr);
            last = k;
        }
        const ft_key_t top = ft_keyset_highest_priority_type_id(ks);
        if (ft_key_is_placeholder(top))
            FT_CHECK_EQ_INT(ft_keyset_highest_backend(ks), FT_BACKEND_INVALID);
        else
            FT_CHECK_MSG(top == last, "0x%" PRIx64 ": top %s, last iterated %s", ks.repr, ft_key_name(top),
                         ft_key_name(last));
    }
}

static void keyset_props_text_round_trips(void) {
    uint64_t s = SEED + 2;
    char buf[FT_KEYSET_TEXT_MAX];
    for (int i = 0; i < ROUNDS; i++) {
        const ft_keyset_t ks = random_keyset(&s);
        ft_keyset_t back;
        ft_keyset_format_canonical(ks, buf, sizeof buf);
        FT_CHECK_MSG(ft_keyset_parse(buf, strlen(buf), &back, NULL) == FT_OK && back.repr == ks.repr,
                     "canonical '%s' does not round-trip 0x%" PRIx64, buf, ks.repr);
        /* format(parse(text)) is a fixed point */
        char again[FT_KEYSET_TEXT_MAX];
        ft_keyset_format_canonical(back, again, sizeof again);
        FT_CHECK_STR(again, buf);
        /* the repr itself always parses, to a subset with the same iteration */
        ft_keyset_format(ks, buf, sizeof buf);
        FT_CHECK_STATUS(ft_keyset_parse(buf, strlen(buf), &back, NULL), FT_OK);
        FT_CHECK(ft_keyset_has_all(ks, back));
        ft_keyset_format(back, again, sizeof again);
        FT_CHECK_STR(again, buf);
    }
}

static void keyset_props_union_order_independent(void) {
    uint64_t s = SEED + 3;
    const ft_key_t *rt;
    size_t count = ft_key_runtime_list(&rt);
    for (int i = 0; i < ROUNDS / 10; i++) {
        ft_key_t keys[8];
        size_t n = 1 + ft_test_rand(&s) % 8;
        for (size_t j = 0; j < n; j++)
            keys[j] = rt[ft_test_rand(&s) % count];
        ft_keyset_t fwd = {0}, rev = {0};
        for (size_t j = 0; j < n; j++) {
            fwd = ft_keyset_add(fwd, keys[j]);
            rev = ft_keyset_add(rev, keys[n - 1 - j]);
        }
        FT_CHECK_EQ_U64(fwd.repr, rev.repr);
        for (size_t j = 0; j < n; j++)
            FT_CHECK(ft_keyset_has(fwd, keys[j]));
    }
}

static void keyset_props_backend_type_is_masked_priority(void) {
    uint64_t s = SEED + 4;
    const uint64_t mask = (UINT64_C(1) << 14) | (UINT64_C(1) << 19) | (UINT64_C(1) << 22) | FT_KEYSET_BACKEND_MASK;
    for (int i = 0; i < ROUNDS; i++) {
        const ft_keyset_t ks = random_keyset(&s);
        FT_CHECK_EQ_INT(ft_keyset_highest_priority_backend_type_id(ks),
                        ft_keyset_highest_priority_type_id(ft_keyset_from_raw(ks.repr & mask)));
        /* validation never accepts a set it would route to a placeholder */
        if (ft_keyset_validate(ks) == FT_OK)
            FT_CHECK(!ft_key_is_placeholder(ft_keyset_highest_priority_type_id(ks)));
    }
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(keyset_props_algebra_laws),
        FT_CASE(keyset_props_priority_is_last_iterated),
        FT_CASE(keyset_props_text_round_trips),
        FT_CASE(keyset_props_union_order_independent),
        FT_CASE(keyset_props_backend_type_is_masked_priority),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
