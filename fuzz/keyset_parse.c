/* Fuzz target keyset_parse: the input, all of it, is keyset text — raw hex
 * ("0x2804004001"), a key list ("CPU|AutogradCPU") or torch's repr
 * ("DispatchKeySet(CPU, AutogradCPU)") — or anything else; it need not be
 * UTF-8 and is not NUL-terminated.
 *
 * Checks, each a violation when it fails:
 *   - ft_keyset_parse and ft_keyset_parse_raw answer exactly what the
 *     reference model's parser answers (status; the word on success);
 *   - every rejection is one of the fail-closed codes (unknown_bits — never
 *     from _raw —, alias_in_keyset, unknown_key_name, parse_error), err->code
 *     says the same, the output is left untouched, and unknown_bits carries
 *     exactly the bits 54..63 that _raw keeps; the two functions agree
 *     otherwise (same word, or the same rejection);
 *   - on success the canonical text (ft_keyset_format_canonical) parses back
 *     to the same word;
 *   - the word then goes through ftd_check_scenario as a keyset scenario
 *     (a = the word, b and the key derived from a hash of the text): union,
 *     and, xor, remove, add/remove key, has, KS(key), highest functionality,
 *     backend and priority type ids, FULL_AFTER, the canonical round trip and
 *     dispatch validation, all against the reference model.
 * Signature: ft-diff:keyset_parse:<comparator>:<reason>:<op>:none with op
 * parse, parse_raw, canonical (the text that was parsed) or keyset (the
 * algebra). */
#include <string.h>

#include "ft/keyset.h"
#include "ftdiff/refmodel.h"
#include "fuzz_check.h"

#define TARGET   "keyset_parse"
#define SENTINEL UINT64_C(0x5a5a5a5a5a5a5a5a)

static const uint8_t *in_data;
static size_t in_size;

static void violation(const char *comparator, const char *reason, const char *op) {
    ftfz_violation(TARGET, comparator, reason, op, "none", in_data, in_size);
}

static bool fail_closed(ft_status st, bool raw) {
    return st == FT_OK || (st == FT_EUNKNOWN_BITS && !raw) || st == FT_EALIAS_IN_KEYSET || st == FT_EUNKNOWN_KEY_NAME ||
           st == FT_EPARSE;
}

/* One parse by libft (raw or not) against the model's; the word in *out. */
static ft_status parse_one(const char *text, size_t len, bool raw, const char *op, uint64_t *out,
                           uint64_t *unknown_mask) {
    ft_keyset_t ks = ft_keyset_from_raw(SENTINEL);
    ft_parse_error_t err;
    const ft_status st = raw ? ft_keyset_parse_raw(text, len, &ks, &err) : ft_keyset_parse(text, len, &ks, &err);
    uint64_t want = SENTINEL;
    const ft_status ref = ftd_ref_keyset_parse(text, len, raw, &want);
    if (!fail_closed(st, raw))
        violation("validation", "not_fail_closed", op);
    if (err.code != st)
        violation("error_code", "err_code_differs", op);
    if (st != ref)
        violation("error_code", "mismatch", op);
    if (st != FT_OK && ks.repr != SENTINEL)
        violation("validation", "output_written_on_failure", op);
    if (st == FT_OK && ks.repr != want)
        violation("keyset_bits", "mismatch", op);
    if (unknown_mask)
        *unknown_mask = st == FT_EUNKNOWN_BITS ? err.unknown_mask : 0;
    *out = ks.repr;
    return st;
}

/* FNV-1a, to derive the scenario's other operands from the text. */
static uint64_t fnv(const uint8_t *p, size_t n) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    in_data = data;
    in_size = size;
    const char *text = (const char *)data;
    uint64_t word = 0, raw_word = 0, mask = 0;
    const ft_status st = parse_one(text, size, false, "parse", &word, &mask);
    const ft_status raw = parse_one(text, size, true, "parse_raw", &raw_word, NULL);
    if (st == FT_EUNKNOWN_BITS) {
        if (raw != FT_OK || mask == 0 || mask != (raw_word & FT_KEYSET_UNKNOWN_MASK))
            violation("validation", "unknown_mask", "parse");
    } else if (raw != st || (st == FT_OK && raw_word != word)) {
        violation("error_code", "raw_differs", "parse_raw");
    }
    if (raw != FT_OK)
        return 0;

    /* the canonical text gives the word back (the keyset check below also
       compares libft's canonical round trip with the model's) */
    char canon[FT_KEYSET_TEXT_MAX];
    const size_t cn = ft_keyset_format_canonical(ft_keyset_from_raw(raw_word), canon, sizeof canon);
    ft_keyset_t back = ft_keyset_from_raw(SENTINEL);
    if (cn >= sizeof canon || ft_keyset_parse_raw(canon, cn, &back, NULL) != FT_OK || back.repr != raw_word)
        violation("parse_round_trip", "mismatch", "canonical");

    /* the algebra and priorities of the word, against the model */
    static ftd_scenario_t s;
    const uint64_t h = fnv(data, size);
    ftd_scenario_init(&s, FTD_KIND_KEYSET);
    s.a = raw_word;
    const unsigned rot = (unsigned)(h & 63u);
    s.b = (rot ? raw_word << rot | raw_word >> (64 - rot) : raw_word) ^ (h >> 7 & h >> 13 & FT_KEYSET_KNOWN_MASK);
    s.key = (ft_key_t)(h % FT_KEY_ID_COUNT);
    ftfz_check_scenario(TARGET, &s, FTD_MODE_STRICT_BIT, data, size);
    return 0;
}
