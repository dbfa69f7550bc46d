/* SipHash-1-3 (and 2-4, for its test vectors), SHA-1, and the identifiers built
 * on them: scenario seeds, scenario ids, environment fingerprint, run ids. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "ftf/ids.h"

/* ---- SipHash ------------------------------------------------------------- */

static inline uint64_t rotl64(uint64_t x, unsigned b) {
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline void sip_rounds(ftf_siphash_t *h, unsigned n) {
    uint64_t v0 = h->v0, v1 = h->v1, v2 = h->v2, v3 = h->v3;
    for (unsigned i = 0; i < n; i++) {
        v0 += v1;
        v1 = rotl64(v1, 13);
        v1 ^= v0;
        v0 = rotl64(v0, 32);
        v2 += v3;
        v3 = rotl64(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl64(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl64(v1, 17);
        v1 ^= v2;
        v2 = rotl64(v2, 32);
    }
    h->v0 = v0;
    h->v1 = v1;
    h->v2 = v2;
    h->v3 = v3;
}

static inline void sip_compress(ftf_siphash_t *h, uint64_t m) {
    h->v3 ^= m;
    sip_rounds(h, h->c_rounds);
    h->v0 ^= m;
}

static void sip_init(ftf_siphash_t *h, uint64_t k0, uint64_t k1, unsigned c, unsigned d) {
    h->v0 = k0 ^ UINT64_C(0x736f6d6570736575);
    h->v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
    h->v2 = k0 ^ UINT64_C(0x6c7967656e657261);
    h->v3 = k1 ^ UINT64_C(0x7465646279746573);
    h->tail = 0;
    h->length = 0;
    h->c_rounds = c;
    h->d_rounds = d;
}

void ftf_siphash_init(ftf_siphash_t *h, uint64_t k0, uint64_t k1) {
    sip_init(h, k0, k1, 1, 3);
}

void ftf_siphash_update(ftf_siphash_t *h, const void *data, size_t len) {
    const uint8_t *p = data;
    unsigned have = (unsigned)(h->length & 7);
    h->length += len;
    /* top up the pending word first, so the main loop sees whole words */
    while (have && len) {
        h->tail |= (uint64_t)*p++ << (8 * have);
        len--;
        if (++have == 8) {
            sip_compress(h, h->tail);
            h->tail = 0;
            have = 0;
        }
    }
    for (; len >= 8; p += 8, len -= 8)
        sip_compress(h, load_le64(p));
    for (unsigned i = 0; i < len; i++)
        h->tail |= (uint64_t)p[i] << (8 * (have + i));
}

void ftf_siphash_update_str(ftf_siphash_t *h, const char *s) {
    static const uint8_t ff = 0xFF;
    if (s)
        ftf_siphash_update(h, s, strlen(s));
    ftf_siphash_update(h, &ff, 1);
}

uint64_t ftf_siphash_final(const ftf_siphash_t *h) {
    ftf_siphash_t t = *h;
    const uint64_t b = (t.length << 56) | t.tail;
    sip_compress(&t, b);
    t.v2 ^= 0xFF;
    sip_rounds(&t, t.d_rounds);
    return t.v0 ^ t.v1 ^ t.v2 ^ t.v3;
}

uint64_t ftf_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len) {
    ftf_siphash_t h;
    sip_init(&h, k0, k1, 1, 3);
    ftf_siphash_update(&h, data, len);
    return ftf_siphash_final(&h);
}

uint64_t ftf_siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len) {
    ftf_siphash_t h;
    sip_init(&h, k0, k1, 2, 4);
    ftf_siphash_update(&h, data, len);
    return ftf_siphash_final(&h);
}

/* ---- SHA-1 (FIPS 180-4) ------------------------------------------------- */

static inline uint32_t rotl32(uint32_t x, unsigned b) {
    return (x << b) | (x >> (32 - b));
}

static void sha1_block(uint32_t h[5], const uint8_t *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rotl32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const uint32_t t = rotl32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rotl32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ftf_sha1_init(ftf_sha1_t *s) {
    s->h[0] = 0x67452301u;
    s->h[1] = 0xEFCDAB89u;
    s->h[2] = 0x98BADCFEu;
    s->h[3] = 0x10325476u;
    s->h[4] = 0xC3D2E1F0u;
    s->length = 0;
    s->used = 0;
}

void ftf_sha1_update(ftf_sha1_t *s, const void *data, size_t len) {
    const uint8_t *p = data;
    s->length += len;
    if (s->used) {
        size_t k = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, p, k);
        s->used += k;
        p += k;
        len -= k;
        if (s->used < 64)
            return;
        sha1_block(s->h, s->block);
        s->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        sha1_block(s->h, p);
    if (len) {
        memcpy(s->block, p, len);
        s->used = len;
    }
}

void ftf_sha1_final(ftf_sha1_t *s, uint8_t out[FTF_SHA1_SIZE]) {
    const uint64_t bits = s->length * 8;
    s->block[s->used++] = 0x80;
    if (s->used > 56) {
        memset(s->block + s->used, 0, 64 - s->used);
        sha1_block(s->h, s->block);
        s->used = 0;
    }
    memset(s->block + s->used, 0, 56 - s->used);
    for (int i = 0; i < 8; i++)
        s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_block(s->h, s->block);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

static const char hex_digits[] = "0123456789abcdef";

void ftf_sha1_hex(const void *data, size_t len, char out[FTF_SHA1_HEX_SIZE]) {
    ftf_sha1_t s;
    uint8_t d[FTF_SHA1_SIZE];
    ftf_sha1_init(&s);
    if (len)
        ftf_sha1_update(&s, data, len);
    ftf_sha1_final(&s, d);
    for (int i = 0; i < FTF_SHA1_SIZE; i++) {
        out[2 * i] = hex_digits[d[i] >> 4];
        out[2 * i + 1] = hex_digits[d[i] & 15];
    }
    out[40] = '\0';
}

void ftf_hex16(uint64_t v, char out[17]) {
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = hex_digits[v & 15];
    out[16] = '\0';
}

/* ---- scenario seeds and ids ---------------------------------------------- */

uint64_t ftf_scenario_seed(const char *suite_id, const char *fixture_id, const char *packet_id, const char *scenario_id,
                           const char *mode) {
    ftf_siphash_t h;
    ftf_siphash_init(&h, 0, 0);
    ftf_siphash_update_str(&h, suite_id);
    ftf_siphash_update_str(&h, fixture_id);
    ftf_siphash_update_str(&h, packet_id);
    ftf_siphash_update_str(&h, scenario_id);
    ftf_siphash_update_str(&h, mode);
    return ftf_siphash_final(&h);
}

static bool is_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_lower_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_lower_hex((unsigned char)s[i]))
            return false;
    return true;
}

/* Length of the name at s (up to `len` bytes): [A-Za-z0-9_.-], first byte a
 * letter or digit, at most FTF_ID_COMPONENT_MAX. 0 if there is none. A leading
 * alphanumeric rules out "", "." and ".." (paths) and "-x" (options). */
static size_t name_span(const char *s, size_t len, bool allow_plus) {
    if (!len || !is_alnum((unsigned char)s[0]))
        return 0;
    size_t n = 1;
    while (n < len) {
        const unsigned char c = (unsigned char)s[n];
        if (!(is_alnum(c) || c == '_' || c == '.' || c == '-' || (allow_plus && c == '+')))
            break;
        n++;
    }
    return n <= FTF_ID_COMPONENT_MAX ? n : 0;
}

static bool has_prefix(const char *s, size_t len, const char *prefix) {
    const size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

ftf_scenario_id_kind_t ftf_scenario_id_classify(const char *id, size_t len) {
    if (!id || len == 0 || len > FTF_SCENARIO_ID_MAX)
        return FTF_SCENARIO_ID_INVALID;
    if (has_prefix(id, len, "gen/"))
        return len == 4 + 16 && all_lower_hex(id + 4, 16) ? FTF_SCENARIO_ID_GENERATED : FTF_SCENARIO_ID_INVALID;
    if (has_prefix(id, len, "fuzz/")) {
        const size_t t = name_span(id + 5, len - 5, false);
        if (!t || len != 5 + t + 1 + 40 || id[5 + t] != '/' || !all_lower_hex(id + 5 + t + 1, 40))
            return FTF_SCENARIO_ID_INVALID;
        return FTF_SCENARIO_ID_FUZZ;
    }
    const size_t s = name_span(id, len, false);
    if (!s || s == len || id[s] != '/')
        return FTF_SCENARIO_ID_INVALID;
    /* "gen/…" and "fuzz/…" were handled above, so a suite of that name here is a
     * malformed generated or fuzz id, not a fixture id. */
    if ((s == 3 && memcmp(id, "gen", 3) == 0) || (s == 4 && memcmp(id, "fuzz", 4) == 0))
        return FTF_SCENARIO_ID_INVALID;
    const char *rest = id + s + 1;
    size_t rest_len = len - s - 1;
    size_t m;
    if (has_prefix(rest, rest_len, "strict:"))
        m = 7;
    else if (has_prefix(rest, rest_len, "hardened:"))
        m = 9;
    else
        return FTF_SCENARIO_ID_INVALID;
    const size_t c = name_span(rest + m, rest_len - m, true);
    return c && c == rest_len - m ? FTF_SCENARIO_ID_FIXTURE : FTF_SCENARIO_ID_INVALID;
}

bool ftf_scenario_id_valid(const char *id) {
    return id && ftf_scenario_id_classify(id, strnlen(id, FTF_SCENARIO_ID_MAX + 1)) != FTF_SCENARIO_ID_INVALID;
}

ftf_status ftf_fixture_scenario_id(char buf[FTF_SCENARIO_ID_SIZE], const char *suite_id, const char *mode,
                                   const char *case_id) {
    if (!buf)
        return FTF_EINVALID_ARGUMENT;
    buf[0] = '\0';
    if (!suite_id || !mode || !case_id)
        return FTF_EINVALID_ARGUMENT;
    const int n = snprintf(buf, FTF_SCENARIO_ID_SIZE, "%s/%s:%s", suite_id, mode, case_id);
    if (n < 0 || n > FTF_SCENARIO_ID_MAX || ftf_scenario_id_classify(buf, (size_t)n) != FTF_SCENARIO_ID_FIXTURE) {
        buf[0] = '\0';
        return FTF_EINVALID_SCENARIO_ID;
    }
    return FTF_OK;
}

ftf_status ftf_generated_scenario_id(char buf[FTF_SCENARIO_ID_SIZE], const void *canonical, size_t len) {
    if (!buf || (!canonical && len))
        return FTF_EINVALID_ARGUMENT;
    memcpy(buf, "gen/", 4);
    ftf_hex16(ftf_siphash13(0, 0, canonical, len), buf + 4);
    return FTF_OK;
}

ftf_status ftf_fuzz_scenario_id(char buf[FTF_SCENARIO_ID_SIZE], const char *target, const void *input, size_t len,
                                char input_sha1[FTF_SHA1_HEX_SIZE]) {
    if (!buf)
        return FTF_EINVALID_ARGUMENT;
    buf[0] = '\0';
    if (!target || (!input && len))
        return FTF_EINVALID_ARGUMENT;
    const size_t tlen = strlen(target);
    if (name_span(target, tlen, false) != tlen)
        return FTF_EINVALID_SCENARIO_ID;
    char sha[FTF_SHA1_HEX_SIZE];
    ftf_sha1_hex(input, len, sha);
    /* 5 + 128 + 1 + 40 < FTF_SCENARIO_ID_SIZE, so this never truncates */
    snprintf(buf, FTF_SCENARIO_ID_SIZE, "fuzz/%s/%s", target, sha);
    if (input_sha1)
        memcpy(input_sha1, sha, sizeof sha);
    return FTF_OK;
}

/* ---- environment and run ------------------------------------------------- */

ftf_status ftf_env_fingerprint(const ftf_env_t *env, char out[FTF_ENV_FINGERPRINT_SIZE]) {
    if (!env || !out)
        return FTF_EINVALID_ARGUMENT;
    ftf_siphash_t h;
    ftf_siphash_init(&h, 0, 0);
    ftf_siphash_update_str(&h, env->tool_version);
    ftf_siphash_update_str(&h, env->os);
    ftf_siphash_update_str(&h, env->arch);
    ftf_siphash_update_str(&h, env->compiler);
    ftf_siphash_update_str(&h, env->build_type);
    ftf_siphash_update_str(&h, env->key_profile);
    memcpy(out, "det64:", 6);
    ftf_hex16(ftf_siphash_final(&h), out + 6);
    return FTF_OK;
}

static void copy_lower(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        const char c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    dst[i] = '\0';
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FTF_BUILT_WITH_ASAN 1
#endif
#endif
#if !defined(FTF_BUILT_WITH_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FTF_BUILT_WITH_ASAN 1
#endif

ftf_status ftf_env_detect(ftf_env_t *env, ftf_env_storage_t *storage, const char *tool_version) {
    if (!env || !storage)
        return FTF_EINVALID_ARGUMENT;
    memset(storage, 0, sizeof *storage);
    struct utsname u;
    if (uname(&u) == 0) {
        copy_lower(storage->os, sizeof storage->os, u.sysname);
        copy_lower(storage->arch, sizeof storage->arch, u.machine);
    } else {
        copy_lower(storage->os, sizeof storage->os, "unknown");
        copy_lower(storage->arch, sizeof storage->arch, "unknown");
    }
#if defined(__clang__)
    snprintf(storage->compiler, sizeof storage->compiler, "clang %d.%d.%d", __clang_major__, __clang_minor__,
             __clang_patchlevel__);
#elif defined(__GNUC__)
    snprintf(storage->compiler, sizeof storage->compiler, "gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__,
             __GNUC_PATCHLEVEL__);
#else
    snprintf(storage->compiler, sizeof storage->compiler, "unknown");
#endif
#if defined(NDEBUG)
    const char *type = "release";
#else
    const char *type = "debug";
#endif
#if defined(FTF_BUILT_WITH_ASAN)
    snprintf(storage->build_type, sizeof storage->build_type, "%s+asan", type);
#else
    snprintf(storage->build_type, sizeof storage->build_type, "%s", type);
#endif
    env->tool_version = tool_version;
    env->os = storage->os;
    env->arch = storage->arch;
    env->compiler = storage->compiler;
    env->build_type = storage->build_type;
    env->key_profile = FTF_KEY_PROFILE;
    return FTF_OK;
}

ftf_status ftf_run_id(char out[FTF_RUN_ID_SIZE], uint64_t run_seed, const char *tool) {
    if (!out)
        return FTF_EINVALID_ARGUMENT;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(run_seed >> (8 * i));
    ftf_siphash_t h;
    ftf_siphash_init(&h, 0, 0);
    ftf_siphash_update(&h, le, sizeof le);
    ftf_siphash_update_str(&h, tool);
    memcpy(out, "run-", 4);
    ftf_hex16(ftf_siphash_final(&h), out + 4);
    return FTF_OK;
}

bool ftf_run_id_valid(const char *s, size_t len) {
    return s && len == 20 && memcmp(s, "run-", 4) == 0 && all_lower_hex(s + 4, 16);
}

bool ftf_env_fingerprint_valid(const char *s, size_t len) {
    return s && len == 22 && memcmp(s, "det64:", 6) == 0 && all_lower_hex(s + 6, 16);
}
