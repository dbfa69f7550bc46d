/* Scenarios: the canonical text round-trips exactly, ids are stable, and the
 * decoder rejects what it must with the field's path. */
#include <stdlib.h>

#include "ft_test.h"
#include "ftdiff/scenario.h"
#include "ftdiff/scenario_gen.h"

static char text[16384], again[16384];

static void scenario_generated_round_trip_exactly(void) {
    size_t kinds[FTD_KIND_COUNT] = {0};
    for (uint64_t i = 0; i < 100000; i++) {
        ftd_scenario_t s, back;
        ftd_generate(42, i, &s);
        kinds[s.kind]++;
        FT_CHECK_MSG(ftd_scenario_valid(&s), "generated scenario %llu is not valid", (unsigned long long)i);
        const size_t n = ftd_scenario_encode(&s, text, sizeof text);
        FT_CHECK_MSG(n > 0 && n < sizeof text, "scenario %llu does not encode", (unsigned long long)i);
        ftd_error_t err;
        FT_CHECK_MSG(ftd_scenario_decode(text, n, &back, &err) == 0, "scenario %llu: %s: %s", (unsigned long long)i,
                     err.field, err.text);
        FT_CHECK_MSG(ftd_scenario_equal(&s, &back), "decode(encode(s)) != s for %llu: %s", (unsigned long long)i, text);
        FT_CHECK(ftd_scenario_encode(&back, again, sizeof again) == n && memcmp(text, again, n) == 0);
    }
    for (int k = 0; k < FTD_KIND_COUNT; k++)
        FT_CHECK_MSG(kinds[k] > 5000, "kind %s generated only %zu times", ftd_kind_name((ftd_kind_t)k), kinds[k]);
}

/* The generator is a function of (seed, index) alone. */
static void scenario_generator_is_a_function_of_seed_and_index(void) {
    ftd_scenario_t a, b, c;
    ftd_generate(7, 12345, &a);
    for (uint64_t i = 0; i < 1000; i++)
        ftd_generate(7, i, &c); /* other scenarios in between change nothing */
    ftd_generate(7, 12345, &b);
    FT_CHECK(ftd_scenario_equal(&a, &b));
    ftd_generate(8, 12345, &c);
    FT_CHECK(!ftd_scenario_equal(&a, &c) || a.kind != c.kind);
}

/* Coverage the issue asks of the generator, counted over 20,000 scenarios. */
static void scenario_generator_covers_the_space(void) {
    bool op_seen[FTD_BUILTIN_OP_COUNT] = {false};
    size_t custom = 0, f32 = 0, nan_payload = 0, neg_zero = 0, subnormal = 0, inf = 0, rg = 0, grad_off = 0;
    size_t unknown_bits = 0, placeholder = 0, explicit_ks = 0, long_programs = 0, shared = 0, bad_regs = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        ftd_scenario_t s;
        ftd_generate(1, i, &s);
        if (s.kind == FTD_KIND_DISPATCH) {
            for (int k = 0; k < FTD_BUILTIN_OP_COUNT; k++)
                op_seen[k] |= !s.op.custom && strcmp(s.op.name, ftd_builtin_ops[k]) == 0;
            custom += s.op.custom;
            f32 += s.lhs.dtype == FT_DTYPE_F32;
            const uint64_t b = s.lhs.dtype == FT_DTYPE_F64 ? s.lhs.bits : 0;
            nan_payload += b == UINT64_C(0x7ff8000000000abc);
            neg_zero += b == UINT64_C(0x8000000000000000);
            subnormal += b == 1;
            inf += b == UINT64_C(0x7ff0000000000000);
            rg += s.lhs.requires_grad && s.rhs.requires_grad;
            grad_off += !s.grad_mode;
            explicit_ks += s.has_keyset;
            unknown_bits += s.has_keyset && (s.keyset >> 54) != 0;
            placeholder += s.has_keyset && s.keyset == (UINT64_C(1) << 14);
        } else if (s.kind == FTD_KIND_PROGRAM) {
            long_programs += s.op_count >= 25;
            for (size_t k = 1; k < s.op_count; k++)
                shared += s.ops[k].lhs == s.ops[k - 1].lhs || s.ops[k].rhs == s.ops[k].lhs;
        } else if (s.kind == FTD_KIND_TABLE) {
            for (size_t k = 0; k < s.op.reg_count; k++)
                bad_regs += s.op.regs[k] == FT_KEY_UNDEFINED;
        }
    }
    for (int k = 0; k < FTD_BUILTIN_OP_COUNT; k++)
        FT_CHECK_MSG(op_seen[k], "op %s never generated", ftd_builtin_ops[k]);
    FT_CHECK(custom > 500 && f32 > 2000 && nan_payload > 10 && neg_zero > 10 && subnormal > 10 && inf > 10);
    FT_CHECK(rg > 500 && grad_off > 500 && explicit_ks > 2000 && unknown_bits > 100 && placeholder > 10);
    FT_CHECK(long_programs > 100 && shared > 1000 && bad_regs > 5);
}

/* Known answer: the canonical text of a fixed scenario (so a change to the
 * encoding, which changes every gen/ id, cannot go unnoticed). */
static void scenario_canonical_text_known_answer(void) {
    ftd_scenario_t s;
    ftd_scenario_init(&s, FTD_KIND_DISPATCH);
    strcpy(s.op.name, "add");
    s.lhs.bits = UINT64_C(0x3ff0000000000000);
    s.rhs.bits = UINT64_C(0x4000000000000000);
    s.rhs.requires_grad = true;
    const char *want = "{\"kind\":\"dispatch\",\"op\":{\"name\":\"add\",\"custom\":false,\"regs\":[]},"
                       "\"lhs\":{\"bits\":\"0x3ff0000000000000\",\"dtype\":\"f64\",\"device\":\"CPU\","
                       "\"requires_grad\":false},\"rhs\":{\"bits\":\"0x4000000000000000\",\"dtype\":\"f64\","
                       "\"device\":\"CPU\",\"requires_grad\":true},\"keyset\":null,\"grad_mode\":true,"
                       "\"include\":\"0x0000000804000000\",\"exclude\":\"0x0000070000000000\"}";
    FT_CHECK(ftd_scenario_encode(&s, text, sizeof text) == strlen(want));
    FT_CHECK_STR(text, want);
    char id[256];
    FT_CHECK(ftd_scenario_id(&s, id) == 0);
    FT_CHECK(strncmp(id, "gen/", 4) == 0 && strlen(id) == 20);
}

static void scenario_decoder_rejects_with_field(void) {
    static const struct {
        const char *text, *field;
    } cases[] = {
        {"{\"kind\":\"dispatchh\"}", "kind"},
        {"[1]", ""},
        {"{\"kind\":\"keyset\",\"a\":\"0x1\",\"b\":\"0x2\",\"key\":\"CPUU\"}", "key"},
        {"{\"kind\":\"keyset\",\"a\":\"0x1\",\"b\":\"0x2\",\"key\":\"CPU\",\"extra\":1}", "extra"},
        {"{\"kind\":\"keyset\",\"a\":1,\"b\":\"0x2\",\"key\":\"CPU\"}", "a"},
        {"{\"kind\":\"keyset\",\"a\":\"0x10000000000000000\",\"b\":\"0x2\",\"key\":\"CPU\"}", "a"},
        {"{\"kind\":\"keyset\",\"a\":\"0X1\",\"b\":\"0x2\",\"key\":\"CPU\"}", "a"},
        {"{\"kind\":\"table\",\"regs\":[\"CPU\",\"Bogus\"]}", "regs"},
        {"{\"kind\":\"program\",\"leaves\":[],\"ops\":[],\"root\":0,\"grad_mode\":true,\"include\":\"0x0\","
         "\"exclude\":\"0x0\"}",
         "leaves"},
        {"{\"kind\":\"program\",\"leaves\":[{\"bits\":\"0x0\",\"dtype\":\"f64\",\"device\":\"CPU\","
         "\"requires_grad\":true}],\"ops\":[{\"op\":\"add\",\"lhs\":0,\"rhs\":1}],\"root\":1,\"grad_mode\":true,"
         "\"include\":\"0x0\",\"exclude\":\"0x0\"}",
         "ops[0].rhs"},
        {"{\"kind\":\"program\",\"leaves\":[{\"bits\":\"0x100000000\",\"dtype\":\"f32\",\"device\":\"CPU\","
         "\"requires_grad\":true}],\"ops\":[],\"root\":0,\"grad_mode\":true,\"include\":\"0x0\",\"exclude\":\"0x0\"}",
         "leaves.bits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ftd_scenario_t s;
        ftd_error_t err;
        FT_CHECK_MSG(ftd_scenario_decode(cases[i].text, strlen(cases[i].text), &s, &err) != 0, "case %zu accepted", i);
        FT_CHECK_MSG(strcmp(err.field, cases[i].field) == 0, "case %zu: field \"%s\", want \"%s\" (%s)", i, err.field,
                     cases[i].field, err.text);
        FT_CHECK(err.text[0] != '\0');
    }
    ftd_scenario_t s;
    ftd_error_t err;
    FT_CHECK(ftd_scenario_decode("{\"kind\":", 8, &s, &err) != 0 && err.line == 1 && err.text[0]);
    FT_CHECK(ftd_scenario_decode("{\"kind\":\"keyset\",\"kind\":\"table\"}", 32, &s, &err) != 0); /* duplicate */
}

static void scenario_invalid_is_not_encoded(void) {
    ftd_scenario_t s;
    ftd_scenario_init(&s, FTD_KIND_PROGRAM);
    s.leaf_count = 1;
    s.op_count = 1;
    strcpy(s.ops[0].op, "add");
    s.ops[0].lhs = 0;
    s.ops[0].rhs = 1; /* refers to its own output */
    FT_CHECK(!ftd_scenario_valid(&s));
    FT_CHECK(ftd_scenario_encode(&s, text, sizeof text) == 0 && text[0] == '\0');
    ftd_scenario_init(&s, FTD_KIND_TABLE);
    s.op.reg_count = FTD_MAX_REGS + 1;
    FT_CHECK(!ftd_scenario_valid(&s));
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(scenario_generated_round_trip_exactly), FT_CASE(scenario_generator_is_a_function_of_seed_and_index),
        FT_CASE(scenario_generator_covers_the_space),   FT_CASE(scenario_canonical_text_known_answer),
        FT_CASE(scenario_decoder_rejects_with_field),   FT_CASE(scenario_invalid_is_not_encoded),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
