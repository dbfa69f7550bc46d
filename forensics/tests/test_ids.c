/* ftf/ids.h and ftf/status.h: SipHash and SHA-1 known answers, FrankenTorch's
 * scenario seeds, environment fingerprint, run ids and scenario-id shapes. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>

#include "ftf/ids.h"
#include "ftf/status.h"
#include "ftf_test.h"

static bool is_lower_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The shared SipHash core against the paper's SipHash-2-4 vectors (key 00..0f,
 * messages 00, 00 01, …), and the incremental API against the one-shot one. */
static void forensics_siphash_known_answers(void) {
    const uint64_t k0 = UINT64_C(0x0706050403020100), k1 = UINT64_C(0x0f0e0d0c0b0a0908);
    uint8_t msg[64];
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    FT_CHECK_EQ_U64(ftf_siphash24(k0, k1, msg, 0), UINT64_C(0x726fdb47dd0e0e31));
    FT_CHECK_EQ_U64(ftf_siphash24(k0, k1, msg, 1), UINT64_C(0x74f839c593dc67fd));
    FT_CHECK_EQ_U64(ftf_siphash24(k0, k1, msg, 8), UINT64_C(0x93f5f5799a932462));
    FT_CHECK_EQ_U64(ftf_siphash24(k0, k1, msg, 15), UINT64_C(0xa129ca6149be45e5));
    FT_CHECK_EQ_U64(ftf_siphash24(k0, k1, msg, 63), UINT64_C(0x958a324ceb064572));
    /* 1-3 and 2-4 are different functions */
    FT_CHECK(ftf_siphash13(k0, k1, msg, 15) != ftf_siphash24(k0, k1, msg, 15));
    /* every split of every length gives the one-shot hash */
    for (size_t len = 0; len <= 64; len++) {
        const uint64_t want = ftf_siphash13(k0, k1, msg, len);
        for (size_t cut = 0; cut <= len; cut++) {
            ftf_siphash_t h;
            ftf_siphash_init(&h, k0, k1);
            ftf_siphash_update(&h, msg, cut);
            ftf_siphash_update(&h, msg + cut, len - cut);
            FT_CHECK_EQ_U64(ftf_siphash_final(&h), want);
        }
        ftf_siphash_t h;
        ftf_siphash_init(&h, k0, k1);
        for (size_t i = 0; i < len; i++)
            ftf_siphash_update(&h, msg + i, 1);
        FT_CHECK_EQ_U64(ftf_siphash_final(&h), want);
        FT_CHECK_EQ_U64(ftf_siphash_final(&h), want); /* final does not consume the state */
    }
    /* update_str is the bytes then 0xFF */
    const uint8_t abc_ff[] = {'a', 'b', 'c', 0xFF};
    ftf_siphash_t h;
    ftf_siphash_init(&h, 0, 0);
    ftf_siphash_update_str(&h, "abc");
    FT_CHECK_EQ_U64(ftf_siphash_final(&h), ftf_siphash13(0, 0, abc_ff, 4));
}

/* SPEC §10 and the packet: the six dispatch_key scenario seeds. */
static void forensics_seeds_match_frankentorch(void) {
    static const struct {
        const char *mode, *case_id;
        uint64_t seed;
    } vectors[] = {
        {"strict", "strict_autograd_route", UINT64_C(12780237016247668875)},
        {"strict", "strict_cpu_route", UINT64_C(6654506012862553729)},
        {"strict", "composite_route_mode_split", UINT64_C(14228129716249401336)},
        {"hardened", "strict_autograd_route", UINT64_C(456065680046437289)},
        {"hardened", "strict_cpu_route", UINT64_C(7720564810062027209)},
        {"hardened", "composite_route_mode_split", UINT64_C(2146157517907283417)},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char id[FTF_SCENARIO_ID_SIZE];
        FTF_CHECK_STATUS(ftf_fixture_scenario_id(id, "dispatch_key", vectors[i].mode, vectors[i].case_id), FTF_OK);
        const uint64_t seed =
            ftf_scenario_seed("dispatch_key", "dispatch_key_cases.json", "FT-P2C-002", id, vectors[i].mode);
        FT_CHECK_MSG(seed == vectors[i].seed, "%s: seed %" PRIu64 ", want %" PRIu64, id, seed, vectors[i].seed);
        FT_CHECK_EQ_INT(ftf_scenario_id_classify(id, strlen(id)), FTF_SCENARIO_ID_FIXTURE);
    }
    char id[FTF_SCENARIO_ID_SIZE];
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(id, "dispatch_key", "strict", "strict_cpu_route"), FTF_OK);
    FT_CHECK_STR(id, "dispatch_key/strict:strict_cpu_route");
    /* each string's 0xFF terminator matters: moving a byte between fields changes the seed */
    FT_CHECK(ftf_scenario_seed("ab", "c", "p", "s", "strict") != ftf_scenario_seed("a", "bc", "p", "s", "strict"));
}

static void forensics_sha1_known_answers(void) {
    char hex[FTF_SHA1_HEX_SIZE];
    ftf_sha1_hex("", 0, hex);
    FT_CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    ftf_sha1_hex(NULL, 0, hex);
    FT_CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    ftf_sha1_hex("abc", 3, hex);
    FT_CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ftf_sha1_hex(m448, strlen(m448), hex);
    FT_CHECK_STR(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmn"
        "opqrstnopqrstu";
    ftf_sha1_hex(m896, strlen(m896), hex);
    FT_CHECK_STR(hex, "a49b2446a02c645bf419f995b67091253a04a259");
    /* one million 'a', fed in uneven pieces */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    ftf_sha1_t s;
    ftf_sha1_init(&s);
    size_t left = 1000000;
    for (size_t piece = 1; left; piece = (piece * 7 + 3) % sizeof chunk + 1) {
        const size_t n = piece < left ? piece : left;
        ftf_sha1_update(&s, chunk, n);
        left -= n;
    }
    uint8_t d[FTF_SHA1_SIZE];
    ftf_sha1_final(&s, d);
    static const uint8_t million_a[FTF_SHA1_SIZE] = {0x34, 0xaa, 0x97, 0x3c, 0xd4, 0xc4, 0xda, 0xa4, 0xf6, 0x1e,
                                                     0xeb, 0x2b, 0xdb, 0xad, 0x27, 0x31, 0x65, 0x34, 0x01, 0x6f};
    FT_CHECK(memcmp(d, million_a, sizeof d) == 0);
    /* padding boundaries: 55, 56, 63, 64, 65 bytes, one-shot against byte at a time */
    const size_t lens[] = {55, 56, 63, 64, 65, 119, 120, 128};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char one[FTF_SHA1_HEX_SIZE];
        ftf_sha1_hex(chunk, lens[i], one);
        ftf_sha1_init(&s);
        for (size_t k = 0; k < lens[i]; k++)
            ftf_sha1_update(&s, chunk + k, 1);
        ftf_sha1_final(&s, d);
        char two[FTF_SHA1_HEX_SIZE];
        for (int k = 0; k < FTF_SHA1_SIZE; k++)
            snprintf(two + 2 * k, 3, "%02x", d[k]);
        FT_CHECK_STR(one, two);
    }
}

/* det64: + 16 lowercase hex, a function of its six inputs only, and of every one. */
static void forensics_env_fingerprint_format(void) {
    const ftf_env_t base = {"0.1.0", "linux", "x86_64", "gcc 12.2.0", "release", FTF_KEY_PROFILE};
    char fp[FTF_ENV_FINGERPRINT_SIZE], again[FTF_ENV_FINGERPRINT_SIZE];
    FTF_CHECK_STATUS(ftf_env_fingerprint(&base, fp), FTF_OK);
    FT_CHECK_EQ_INT(strlen(fp), 22);
    FT_CHECK(memcmp(fp, "det64:", 6) == 0 && is_lower_hex(fp + 6, 16));
    FT_CHECK(ftf_env_fingerprint_valid(fp, strlen(fp)));
    FTF_CHECK_STATUS(ftf_env_fingerprint(&base, again), FTF_OK);
    FT_CHECK_STR(fp, again);
    /* the definition: SipHash-1-3(0,0) over the six strings, each followed by 0xFF */
    ftf_siphash_t h;
    ftf_siphash_init(&h, 0, 0);
    const char *parts[] = {"0.1.0", "linux", "x86_64", "gcc 12.2.0", "release", "c10-1.13"};
    for (int i = 0; i < 6; i++)
        ftf_siphash_update_str(&h, parts[i]);
    char want[17];
    ftf_hex16(ftf_siphash_final(&h), want);
    FT_CHECK_STR(fp + 6, want);
    /* known answer from an independent (Python) SipHash-1-3 over the same bytes */
    FT_CHECK_STR(fp, "det64:b195c2656ecbeff2");
    for (int field = 0; field < 6; field++) {
        ftf_env_t e = base;
        const char **slot = field == 0   ? &e.tool_version
                            : field == 1 ? &e.os
                            : field == 2 ? &e.arch
                            : field == 3 ? &e.compiler
                            : field == 4 ? &e.build_type
                                         : &e.key_profile;
        *slot = "something else";
        FTF_CHECK_STATUS(ftf_env_fingerprint(&e, again), FTF_OK);
        FT_CHECK_MSG(strcmp(fp, again) != 0, "changing field %d left the fingerprint %s", field, fp);
    }
    /* the build's own environment */
    ftf_env_t env;
    ftf_env_storage_t storage;
    FTF_CHECK_STATUS(ftf_env_detect(&env, &storage, "9.9.9"), FTF_OK);
    FT_CHECK_STR(env.tool_version, "9.9.9");
    FT_CHECK_STR(env.key_profile, "c10-1.13");
    FT_CHECK(env.os[0] && env.arch[0] && env.compiler[0] && env.build_type[0]);
    for (const char *p = env.os; *p; p++)
        FT_CHECK(!(*p >= 'A' && *p <= 'Z'));
    FTF_CHECK_STATUS(ftf_env_fingerprint(&env, fp), FTF_OK);
    FT_CHECK(ftf_env_fingerprint_valid(fp, strlen(fp)));
    FTF_CHECK_STATUS(ftf_env_fingerprint(NULL, fp), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_env_detect(NULL, &storage, "x"), FTF_EINVALID_ARGUMENT);
    FT_CHECK(!ftf_env_fingerprint_valid("det64:0123456789ABCDEF", 22));
    FT_CHECK(!ftf_env_fingerprint_valid("det64:0123456789abcde", 21));
    FT_CHECK(!ftf_env_fingerprint_valid("det32:0123456789abcdef", 22));
}

static void forensics_run_id_format(void) {
    char a[FTF_RUN_ID_SIZE], b[FTF_RUN_ID_SIZE];
    FTF_CHECK_STATUS(ftf_run_id(a, 42, "ft-campaign"), FTF_OK);
    FT_CHECK_EQ_INT(strlen(a), 20);
    FT_CHECK(memcmp(a, "run-", 4) == 0 && is_lower_hex(a + 4, 16));
    FT_CHECK(ftf_run_id_valid(a, strlen(a)));
    FTF_CHECK_STATUS(ftf_run_id(b, 42, "ft-campaign"), FTF_OK);
    FT_CHECK_STR(a, b);
    FTF_CHECK_STATUS(ftf_run_id(b, 43, "ft-campaign"), FTF_OK);
    FT_CHECK(strcmp(a, b) != 0);
    FTF_CHECK_STATUS(ftf_run_id(b, 42, "ft-forensics"), FTF_OK);
    FT_CHECK(strcmp(a, b) != 0);
    /* the definition: seed as 8 little-endian bytes, then the tool and 0xFF */
    const uint8_t bytes[] = {42, 0, 0, 0, 0, 0, 0, 0, 'f', 't', '-', 'c', 'a', 'm', 'p', 'a', 'i', 'g', 'n', 0xFF};
    char want[17];
    ftf_hex16(ftf_siphash13(0, 0, bytes, sizeof bytes), want);
    FT_CHECK_STR(a + 4, want);
    FT_CHECK(!ftf_run_id_valid("run-0123", 8));
    FT_CHECK(!ftf_run_id_valid("RUN-0123456789abcdef", 20));
    FT_CHECK(!ftf_run_id_valid(NULL, 20));
    FTF_CHECK_STATUS(ftf_run_id(NULL, 1, "x"), FTF_EINVALID_ARGUMENT);
}

static void forensics_scenario_ids_accepted(void) {
    static const struct {
        const char *id;
        ftf_scenario_id_kind_t kind;
    } ok[] = {
        {"dispatch_key/strict:strict_cpu_route", FTF_SCENARIO_ID_FIXTURE},
        {"dispatch_key/hardened:composite_route_mode_split", FTF_SCENARIO_ID_FIXTURE},
        {"kernels.f32/strict:add-1.5+2", FTF_SCENARIO_ID_FIXTURE},
        {"a/strict:b", FTF_SCENARIO_ID_FIXTURE},
        {"generated/strict:x", FTF_SCENARIO_ID_FIXTURE}, /* a suite that merely starts with "gen" */
        {"gen/0123456789abcdef", FTF_SCENARIO_ID_GENERATED},
        {"fuzz/keyset_text/a9993e364706816aba3e25717850c26c9cd0d89d", FTF_SCENARIO_ID_FUZZ},
        {"fuzz/x.y-z/0000000000000000000000000000000000000000", FTF_SCENARIO_ID_FUZZ},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        FT_CHECK_MSG(ftf_scenario_id_classify(ok[i].id, strlen(ok[i].id)) == ok[i].kind, "%s not accepted", ok[i].id);
        FT_CHECK_MSG(ftf_scenario_id_valid(ok[i].id), "%s not valid", ok[i].id);
    }
    /* the longest components fit */
    char id[FTF_SCENARIO_ID_SIZE + 8], name[FTF_ID_COMPONENT_MAX + 2];
    memset(name, 'n', FTF_ID_COMPONENT_MAX);
    name[FTF_ID_COMPONENT_MAX] = '\0';
    snprintf(id, sizeof id, "fuzz/%s/a9993e364706816aba3e25717850c26c9cd0d89d", name);
    FT_CHECK(ftf_scenario_id_valid(id));
    snprintf(id, sizeof id, "s/hardened:%s", name);
    FT_CHECK(ftf_scenario_id_valid(id));
    /* classify reads exactly len bytes: an id inside a bigger buffer */
    const char *line = "gen/0123456789abcdef\",\"packet_id\"";
    FT_CHECK_EQ_INT(ftf_scenario_id_classify(line, 20), FTF_SCENARIO_ID_GENERATED);
    FT_CHECK_EQ_INT(ftf_scenario_id_classify(line, 21), FTF_SCENARIO_ID_INVALID);
}

static void forensics_scenario_ids_rejected(void) {
    static const char *const bad[] = {
        "",
        "dispatch_key",
        "dispatch_key/strict",
        "dispatch_key/strict:",
        "dispatch_key/lenient:x",
        "dispatch_key/Strict:x",
        "/strict:x",
        "../strict:x",
        "./strict:x",
        ".hidden/strict:x",
        "-rf/strict:x",
        "a/b/strict:x",
        "dispatch_key/strict:x y",
        "dispatch_key/strict:x;rm -rf /",
        "dispatch_key/strict:$(id)",
        "dispatch_key/strict:`id`",
        "dispatch_key/strict:a\"b",
        "dispatch_key/strict:a\\b",
        "dispatch_key/strict:a/b",
        "dispatch_key/strict:a:b",
        "dispatch_key/strict:-x",
        "dispatch_key/strict:x\n",
        "dispatch_key/strict:caf\xc3\xa9",
        "gen/",
        "gen/0123456789abcde",
        "gen/0123456789abcdef0",
        "gen/0123456789ABCDEF",
        "gen/0123456789abcdeg",
        "gen/strict:x",
        "fuzz/strict:x",
        "fuzz/t/a9993e364706816aba3e25717850c26c9cd0d89",
        "fuzz/t/a9993e364706816aba3e25717850c26c9cd0d89d0",
        "fuzz/t/A9993E364706816ABA3E25717850C26C9CD0D89D",
        "fuzz//a9993e364706816aba3e25717850c26c9cd0d89d",
        "fuzz/../a9993e364706816aba3e25717850c26c9cd0d89d",
        "fuzz/a/b/a9993e364706816aba3e25717850c26c9cd0d89d",
        "fuzz/a b/a9993e364706816aba3e25717850c26c9cd0d89d",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FT_CHECK_MSG(!ftf_scenario_id_valid(bad[i]), "accepted \"%s\"", bad[i]);
    FT_CHECK(!ftf_scenario_id_valid(NULL));
    FT_CHECK_EQ_INT(ftf_scenario_id_classify(NULL, 3), FTF_SCENARIO_ID_INVALID);
    /* an embedded NUL is not part of a valid id */
    FT_CHECK_EQ_INT(ftf_scenario_id_classify("a/strict:b\0c", 12), FTF_SCENARIO_ID_INVALID);
    /* over-long components and ids */
    char id[600], name[FTF_ID_COMPONENT_MAX + 2];
    memset(name, 'n', FTF_ID_COMPONENT_MAX + 1);
    name[FTF_ID_COMPONENT_MAX + 1] = '\0';
    snprintf(id, sizeof id, "s/strict:%s", name);
    FT_CHECK(!ftf_scenario_id_valid(id));
    snprintf(id, sizeof id, "%s/strict:x", name);
    FT_CHECK(!ftf_scenario_id_valid(id));
    memset(id, 'a', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    memcpy(id, "s/strict:", 9);
    FT_CHECK(!ftf_scenario_id_valid(id));
    /* building one checks it */
    char out[FTF_SCENARIO_ID_SIZE];
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(out, "dispatch_key", "lenient", "x"), FTF_EINVALID_SCENARIO_ID);
    FT_CHECK_STR(out, "");
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(out, "dispatch key", "strict", "x"), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(out, "gen", "strict", "x"), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(out, "s", "strict", name), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(out, NULL, "strict", "x"), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_fixture_scenario_id(NULL, "s", "strict", "x"), FTF_EINVALID_ARGUMENT);
}

static void forensics_generated_and_fuzz_ids(void) {
    char id[FTF_SCENARIO_ID_SIZE], again[FTF_SCENARIO_ID_SIZE];
    const char *canon = "{\"op\":\"add\",\"lhs\":\"1\",\"rhs\":\"2\"}";
    FTF_CHECK_STATUS(ftf_generated_scenario_id(id, canon, strlen(canon)), FTF_OK);
    FT_CHECK_EQ_INT(ftf_scenario_id_classify(id, strlen(id)), FTF_SCENARIO_ID_GENERATED);
    char want[17];
    ftf_hex16(ftf_siphash13(0, 0, canon, strlen(canon)), want);
    FT_CHECK(strncmp(id, "gen/", 4) == 0);
    FT_CHECK_STR(id + 4, want);
    FTF_CHECK_STATUS(ftf_generated_scenario_id(again, canon, strlen(canon) - 1), FTF_OK);
    FT_CHECK(strcmp(id, again) != 0);
    FTF_CHECK_STATUS(ftf_generated_scenario_id(again, NULL, 0), FTF_OK);
    FT_CHECK(ftf_scenario_id_valid(again));
    FTF_CHECK_STATUS(ftf_generated_scenario_id(again, NULL, 1), FTF_EINVALID_ARGUMENT);

    char sha[FTF_SHA1_HEX_SIZE];
    FTF_CHECK_STATUS(ftf_fuzz_scenario_id(id, "keyset_text", "abc", 3, sha), FTF_OK);
    FT_CHECK_STR(id, "fuzz/keyset_text/a9993e364706816aba3e25717850c26c9cd0d89d");
    FT_CHECK_STR(sha, "a9993e364706816aba3e25717850c26c9cd0d89d");
    FT_CHECK_EQ_INT(ftf_scenario_id_classify(id, strlen(id)), FTF_SCENARIO_ID_FUZZ);
    FTF_CHECK_STATUS(ftf_fuzz_scenario_id(id, "keyset_text", NULL, 0, NULL), FTF_OK);
    FT_CHECK_STR(id, "fuzz/keyset_text/da39a3ee5e6b4b0d3255bfef95601890afd80709");
    FTF_CHECK_STATUS(ftf_fuzz_scenario_id(id, "../etc", "abc", 3, NULL), FTF_EINVALID_SCENARIO_ID);
    FT_CHECK_STR(id, "");
    FTF_CHECK_STATUS(ftf_fuzz_scenario_id(id, "a/b", "abc", 3, NULL), FTF_EINVALID_SCENARIO_ID);
    FTF_CHECK_STATUS(ftf_fuzz_scenario_id(id, NULL, "abc", 3, NULL), FTF_EINVALID_ARGUMENT);
}

static void forensics_status_codes_are_stable(void) {
    for (int s = FTF_STATUS_MIN; s <= FTF_OK; s++) {
        const char *code = ftf_status_code((ftf_status)s);
        FT_CHECK(code && strcmp(code, "invalid_status") != 0);
        FT_CHECK(ftf_strerror((ftf_status)s)[0] != '\0');
        ftf_status back = FTF_ELIMIT;
        FTF_CHECK_STATUS(ftf_status_from_code(code, &back), FTF_OK);
        FT_CHECK_EQ_INT(back, s);
        for (int t = FTF_STATUS_MIN; t < s; t++)
            FT_CHECK(strcmp(code, ftf_status_code((ftf_status)t)) != 0);
    }
    /* the codes other modules and reports rely on */
    FT_CHECK_STR(ftf_status_code(FTF_OK), "ok");
    FT_CHECK_STR(ftf_status_code(FTF_EINVALID_ARGUMENT), "invalid_argument");
    FT_CHECK_STR(ftf_status_code(FTF_ENOMEM), "out_of_memory");
    FT_CHECK_STR(ftf_status_code(FTF_EIO), "io_error");
    FT_CHECK_STR(ftf_status_code(FTF_ENOT_FOUND), "not_found");
    FT_CHECK_STR(ftf_status_code(FTF_ECORRUPT), "corrupt");
    FT_CHECK_STR(ftf_status_code(FTF_ETRUNCATED), "truncated");
    FT_CHECK_STR(ftf_status_code(FTF_EBAD_RECORD), "bad_record");
    FT_CHECK_STR(ftf_status_code(FTF_ELINE_TOO_LONG), "line_too_long");
    FT_CHECK_STR(ftf_status_code(FTF_ESTALE_INDEX), "stale_index");
    FT_CHECK_STR(ftf_status_code(FTF_EFOREIGN_INDEX), "foreign_index");
    FT_CHECK_STR(ftf_status_code(FTF_EUNSUPPORTED_VERSION), "unsupported_version");
    FT_CHECK_STR(ftf_status_code((ftf_status)1), "invalid_status");
    FT_CHECK_STR(ftf_status_code((ftf_status)(FTF_STATUS_MIN - 1)), "invalid_status");
    ftf_status out = FTF_OK;
    FTF_CHECK_STATUS(ftf_status_from_code("no_such_code", &out), FTF_EINVALID_ARGUMENT);
    FT_CHECK_EQ_INT(out, FTF_OK);
    FTF_CHECK_STATUS(ftf_status_from_code(NULL, &out), FTF_EINVALID_ARGUMENT);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(forensics_siphash_known_answers),   FT_CASE(forensics_seeds_match_frankentorch),
        FT_CASE(forensics_sha1_known_answers),      FT_CASE(forensics_env_fingerprint_format),
        FT_CASE(forensics_run_id_format),           FT_CASE(forensics_scenario_ids_accepted),
        FT_CASE(forensics_scenario_ids_rejected),   FT_CASE(forensics_generated_and_fuzz_ids),
        FT_CASE(forensics_status_codes_are_stable),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
