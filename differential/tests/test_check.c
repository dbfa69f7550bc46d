/* Comparators and verdicts: every verdict is reachable, a wrong expectation is
 * a blocking drift, and every name the campaign logs has a triage row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ft_test.h"
#include "ftdiff/check.h"
#include "ftdiff/torch_oracle.h"
#include "ftf/triage.h"

#ifndef FTD_SOURCE_DIR
#define FTD_SOURCE_DIR "."
#endif

static const ftd_allowlist_t allow = {true, true}, deny = {false, false};

static ftd_scenario_t add_1_2(const char *op) {
    ftd_scenario_t s;
    ftd_scenario_init(&s, FTD_KIND_DISPATCH);
    snprintf(s.op.name, sizeof s.op.name, "%s", op);
    s.lhs.bits = UINT64_C(0x3ff0000000000000);
    s.rhs.bits = UINT64_C(0x4000000000000000);
    return s;
}

static void check(const ftd_allowlist_t *a, const ftd_scenario_t *s, const ftd_fixture_case_t *fx,
                  ftd_check_result_t *r) {
    ftd_libft_t *lib;
    if (ftd_libft_new(&lib) != 0)
        abort();
    ftd_check_scenario(lib, a, s, FTD_MODE_STRICT_BIT | FTD_MODE_HARDENED_BIT, fx, r);
    ftd_libft_free(lib);
}

static bool has_finding(const ftd_mode_result_t *m, ftd_comparator_t c) {
    for (size_t i = 0; i < m->findings.count; i++)
        if (m->findings.items[i].comparator == c)
            return true;
    return false;
}

static void check_verdicts_pass_error_allowlisted(void) {
    ftd_check_result_t r;
    const ftd_scenario_t add = add_1_2("add"), rsub = add_1_2("rsub");
    check(&allow, &add, NULL, &r);
    FT_CHECK_MSG(r.mode[0].verdict == FTD_VERDICT_PASS && r.mode[1].verdict == FTD_VERDICT_PASS, "add: %s / %s",
                 ftd_verdict_name(r.mode[0].verdict), ftd_verdict_name(r.mode[1].verdict));
    /* the comparators really ran */
    FT_CHECK(r.mode[0].findings.runs[FTD_CMP_ROUTE] == 1 && r.mode[0].findings.runs[FTD_CMP_OUTPUT] == 1 &&
             r.mode[0].findings.runs[FTD_CMP_COMMUTATIVITY] == 1 &&
             r.mode[1].findings.runs[FTD_CMP_MODE_SPLIT_POLICY] == 1);
    check(&allow, &rsub, NULL, &r);
    FT_CHECK_MSG(r.mode[0].verdict == FTD_VERDICT_EXPECTED_ERROR, "strict rsub: %s",
                 ftd_verdict_name(r.mode[0].verdict));
    FT_CHECK_MSG(r.mode[1].verdict == FTD_VERDICT_ALLOWLISTED, "hardened rsub: %s",
                 ftd_verdict_name(r.mode[1].verdict));
    FT_CHECK(r.mode[1].observed.fallback_used && r.mode[0].status == FT_ECOMPOSITE_REJECTED);
}

/* Without the allowlist entry, the same split is a blocking drift. */
static void check_unallowlisted_split_is_blocking(void) {
    ftd_check_result_t r;
    const ftd_scenario_t rsub = add_1_2("rsub");
    check(&deny, &rsub, NULL, &r);
    FT_CHECK(r.mode[0].verdict == FTD_VERDICT_EXPECTED_ERROR);
    FT_CHECK(r.mode[1].verdict == FTD_VERDICT_BLOCKING && has_finding(&r.mode[1], FTD_CMP_MODE_SPLIT_POLICY));
}

/* A deliberately wrong expectation (1 + 2 = 4) must be a blocking drift. */
static void check_wrong_expectation_is_blocking(void) {
    ftd_fixture_case_t fx;
    memset(&fx, 0, sizeof fx);
    snprintf(fx.name, sizeof fx.name, "wrong");
    fx.scenario = add_1_2("add");
    fx.expect[FT_MODE_STRICT].present = true;
    fx.expect[FT_MODE_STRICT].fields = FTD_EXPECT_VALUE;
    fx.expect[FT_MODE_STRICT].want.has_value = true;
    fx.expect[FT_MODE_STRICT].want.value_bits = UINT64_C(0x4010000000000000);
    ftd_check_result_t r;
    check(&allow, &fx.scenario, &fx, &r);
    FT_CHECK(r.mode[0].verdict == FTD_VERDICT_BLOCKING && has_finding(&r.mode[0], FTD_CMP_FIXTURE));
    FT_CHECK(r.mode[1].verdict == FTD_VERDICT_PASS); /* no expectation for hardened */
    /* and the right one passes */
    fx.expect[FT_MODE_STRICT].want.value_bits = UINT64_C(0x4008000000000000);
    check(&allow, &fx.scenario, &fx, &r);
    FT_CHECK(r.mode[0].verdict == FTD_VERDICT_PASS);
}

static void check_harness_error_and_oracle_unavailable(void) {
    ftd_scenario_t s;
    ftd_scenario_init(&s, FTD_KIND_TABLE);
    s.op.reg_count = FTD_MAX_REGS + 1; /* a corrupt scenario: the harness, not libft, fails */
    ftd_check_result_t r;
    check(&allow, &s, NULL, &r);
    FT_CHECK(r.mode[0].verdict == FTD_VERDICT_HARNESS_ERROR && r.mode[0].harness[0]);
    ftd_mode_result_t m;
    const ftd_scenario_t add = add_1_2("add");
    ftd_torch_check(NULL, NULL, &add, FT_MODE_STRICT, &m);
    FT_CHECK(m.verdict == FTD_VERDICT_ORACLE_UNAVAILABLE);
}

/* The comparator itself, on hand-made outcomes. */
static void check_compare_dispatch_names_each_difference(void) {
    ftd_dispatch_outcome_t a, b;
    memset(&a, 0, sizeof a);
    a.status = FT_OK;
    a.selected_key = FT_KEY_AUTOGRAD_CPU;
    a.backend_key = FT_KEY_CPU;
    snprintf(a.kernel, sizeof a.kernel, "cpu::add_scalar");
    a.has_value = true;
    a.value_bits = 1;
    b = a;
    ftd_findings_t f;
    ftd_findings_init(&f);
    ftd_compare_dispatch(&a, &b, &f);
    FT_CHECK(f.count == 0 && f.runs[FTD_CMP_SELECTED_KEY] == 1);
    b.selected_key = FT_KEY_CPU;
    b.value_bits = 2;
    snprintf(b.kernel, sizeof b.kernel, "other");
    ftd_compare_dispatch(&a, &b, &f);
    FT_CHECK(f.count == 3);
    FT_CHECK(f.items[0].comparator == FTD_CMP_SELECTED_KEY && strcmp(f.items[0].expected, "\"AutogradCPU\"") == 0 &&
             strcmp(f.items[0].observed, "\"CPU\"") == 0);
    FT_CHECK(f.items[1].comparator == FTD_CMP_KERNEL && f.items[2].comparator == FTD_CMP_OUTPUT);
    FT_CHECK(ftd_findings_blocking(&f) == 3);
    FT_CHECK(ftd_close(1.0, 1.0 + 1e-9, 1e-5, 1e-3) && !ftd_close(1.0, 2.0, 1e-5, 1e-3) && ftd_close(NAN, NAN, 0, 0) &&
             !ftd_close(INFINITY, -INFINITY, 1, 1));
}

static void check_allowlist_file(void) {
    ftd_allowlist_t a;
    char why[256];
    FT_CHECK_MSG(ftd_allowlist_load(FTD_SOURCE_DIR "/differential/allowlist.json", &a, why) == 0, "%s", why);
    FT_CHECK(a.composite_fallback);
    FT_CHECK(a.packet_derivation);
    const char *path = "check_allowlist_bad.json";
    FILE *f = fopen(path, "w");
    FT_CHECK(f != NULL);
    fputs("{\"allowlist\":[{\"id\":\"dispatch.composite_backend_fallback\",\"modes\":[\"strict\"],"
          "\"comparator\":\"x\",\"reason\":\"y\"}]}",
          f);
    fclose(f);
    FT_CHECK(ftd_allowlist_load(path, &a, why) != 0 && strstr(why, "hardened") != NULL);
    f = fopen(path, "w");
    fputs("{\"allowlist\":[{\"id\":\"everything\",\"modes\":[\"hardened\"],\"comparator\":\"x\",\"reason\":\"y\"}]}",
          f);
    fclose(f);
    FT_CHECK(ftd_allowlist_load(path, &a, why) != 0 && strstr(why, "unknown drift id") != NULL);
    /* the packet derivation flag has no per-mode value: an entry for one mode
       (or the same mode twice) is refused, not widened to both */
    static const char *const one_mode[] = {"[\"strict\"]", "[\"hardened\"]", "[\"strict\",\"strict\"]", "[]"};
    for (size_t i = 0; i < sizeof one_mode / sizeof one_mode[0]; i++) {
        f = fopen(path, "w");
        FT_CHECK(f != NULL);
        fprintf(f,
                "{\"allowlist\":[{\"id\":\"dispatch.profile_packet_derivation\",\"modes\":%s,"
                "\"comparator\":\"x\",\"reason\":\"y\"}]}",
                one_mode[i]);
        fclose(f);
        FT_CHECK_MSG(ftd_allowlist_load(path, &a, why) != 0 && strstr(why, "both modes") != NULL, "modes %s",
                     one_mode[i]);
    }
    f = fopen(path, "w");
    FT_CHECK(f != NULL);
    fputs("{\"allowlist\":[{\"id\":\"dispatch.profile_packet_derivation\",\"modes\":[\"hardened\",\"strict\"],"
          "\"comparator\":\"x\",\"reason\":\"y\"}]}",
          f);
    fclose(f);
    FT_CHECK_MSG(ftd_allowlist_load(path, &a, why) == 0 && a.packet_derivation, "%s", why);
    remove(path);
}

/* Every comparator name and verdict the campaign writes as a reason code has
 * a triage row (none would land in "unknown_reason"). */
static void check_every_logged_name_has_a_triage_row(void) {
    for (int v = 0; v < FTD_VERDICT_COUNT; v++) {
        const char *n = ftd_verdict_name((ftd_verdict_t)v);
        FT_CHECK_MSG(ftf_triage_lookup(n, strlen(n)) != NULL, "verdict %s has no triage row", n);
    }
    for (int c = 0; c < FTD_CMP_COUNT; c++) {
        const char *n = ftd_comparator_name((ftd_comparator_t)c);
        FT_CHECK_MSG(n != NULL, "comparator %d has no name", c);
        FT_CHECK_MSG(ftf_triage_lookup(n, strlen(n)) != NULL, "comparator %s has no triage row", n);
    }
    FT_CHECK(ftd_comparator_name((ftd_comparator_t)FTD_CMP_COUNT) == NULL);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(check_verdicts_pass_error_allowlisted),        FT_CASE(check_unallowlisted_split_is_blocking),
        FT_CASE(check_wrong_expectation_is_blocking),          FT_CASE(check_harness_error_and_oracle_unavailable),
        FT_CASE(check_compare_dispatch_names_each_difference), FT_CASE(check_allowlist_file),
        FT_CASE(check_every_logged_name_has_a_triage_row),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
