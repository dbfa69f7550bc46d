/* Judging a scenario the campaign's way, for fuzz targets (fuzz_check.h). */
#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"

ftd_libft_t *ftfz_libft(void) {
    static ftd_libft_t *lib;
    if (!lib && ftd_libft_new(&lib) != 0)
        ftfz_violation("harness", "harness", "out_of_memory", "-", "none", NULL, 0);
    return lib;
}

const ftd_allowlist_t *ftfz_allowlist(void) {
    static const ftd_allowlist_t allow = {true, true}; /* differential/allowlist.json (a test checks) */
    return &allow;
}

static bool failed(const ftd_mode_result_t *m) {
    return m->ran && (m->verdict == FTD_VERDICT_BLOCKING || m->verdict == FTD_VERDICT_HARNESS_ERROR);
}

static const ftd_finding_t *first_blocking(const ftd_findings_t *f) {
    for (size_t i = 0; i < f->count; i++)
        if (!f->items[i].allowlisted)
            return &f->items[i];
    return NULL;
}

void ftfz_check_scenario(const char *target, const ftd_scenario_t *s, unsigned modes, const uint8_t *data,
                         size_t size) {
    static ftd_check_result_t res; /* ~30 KB: kept off the stack */
    ftd_check_scenario(ftfz_libft(), ftfz_allowlist(), s, modes, NULL, &res);
    const bool bad[2] = {failed(&res.mode[0]), failed(&res.mode[1])};
    if (!bad[0] && !bad[1])
        return;
    const int mi = bad[0] ? 0 : 1;
    const ftd_mode_result_t *m = &res.mode[mi];
    static char scenario[16384];
    if (ftd_scenario_encode(s, scenario, sizeof scenario) >= sizeof scenario)
        snprintf(scenario, sizeof scenario, "{\"kind\":\"%s\",\"note\":\"too long to record\"}",
                 ftd_kind_name(s->kind) ? ftd_kind_name(s->kind) : "invalid");
    const char *comparator = "harness", *reason = "harness_error";
    char harness[200];
    ftfz_detail_t d = {scenario, mi ? FT_MODE_HARDENED : FT_MODE_STRICT, NULL, NULL};
    const ftd_finding_t *f = m->verdict == FTD_VERDICT_BLOCKING ? first_blocking(&m->findings) : NULL;
    if (f) {
        comparator = ftd_comparator_name(f->comparator);
        reason = f->reason;
        d.expected = f->expected;
        d.observed = f->observed;
    } else if (m->verdict == FTD_VERDICT_HARNESS_ERROR) {
        snprintf(harness, sizeof harness, "\"%.160s\"", m->harness);
        for (char *p = harness + 1; p[1]; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
                *p = '_';
        d.observed = harness;
    } else {
        /* blocking with no blocking finding kept: the policy added one past the limit */
        comparator = "verdict";
        reason = "blocking_drift";
    }
    const char *op = s->kind == FTD_KIND_DISPATCH ? s->op.name : ftd_kind_name(s->kind);
    const bool mode_free = s->kind == FTD_KIND_TABLE || s->kind == FTD_KIND_KEYSET; /* checked once */
    const char *mode_text = mode_free ? "none" : bad[0] && bad[1] ? "strict+hardened" : bad[0] ? "strict" : "hardened";
    ftfz_violation_ex(target, comparator, reason, op, mode_text, data, size, &d);
}
