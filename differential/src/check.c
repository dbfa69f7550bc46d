/* Every check of one scenario (ftdiff/check.h). */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ft/json_text.h"
#include "ftdiff/batch_case.h"
#include "ftdiff/check.h"
#include "ftdiff/dispatch_batch.h"
#include "ftdiff/refmodel.h"
#include "refmodel_internal.h"

/* ---- allowlist ----------------------------------------------------------------- */

static bool lists_mode(const json_t *modes, const char *mode) {
    size_t i;
    json_t *m;
    json_array_foreach(modes, i, m) {
        if (json_is_string(m) && strcmp(json_string_value(m), mode) == 0)
            return true;
    }
    return false;
}

int ftd_allowlist_load(const char *path, ftd_allowlist_t *out, char *why) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(why, 256, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    int rc = 0;
    json_t *list = json_object_get(root, "allowlist");
    if (!json_is_array(list) || json_object_size(root) != 1) {
        snprintf(why, 256, "%s: must be {\"allowlist\": [...]}", path);
        rc = -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (rc)
            break;
        const char *id = json_string_value(json_object_get(e, "id"));
        json_t *modes = json_object_get(e, "modes");
        if (!json_is_object(e) || !id || !json_is_array(modes) || !json_is_string(json_object_get(e, "comparator")) ||
            !json_is_string(json_object_get(e, "reason")) || json_object_size(e) != 4) {
            snprintf(why, 256, "%s: entry %zu must be {id, modes, comparator, reason}", path, i);
            rc = -1;
        } else if (strcmp(id, FT_ALLOWLIST_COMPOSITE_FALLBACK) == 0) {
            /* the drift is hardened-only by definition: an entry that allows it in
               strict mode is a mistake, not a wider allowance */
            if (json_array_size(modes) != 1 || !json_is_string(json_array_get(modes, 0)) ||
                strcmp(json_string_value(json_array_get(modes, 0)), "hardened") != 0) {
                snprintf(why, 256, "%s: %s is allowed in [\"hardened\"] only", path, id);
                rc = -1;
            } else {
                out->composite_fallback = true;
            }
        } else if (strcmp(id, FTD_ALLOWLIST_PACKET_DERIVATION) == 0) {
            /* one flag serves both modes: an entry naming one mode would
               silently allow the drift in the other too */
            if (json_array_size(modes) != 2 || !lists_mode(modes, "strict") || !lists_mode(modes, "hardened")) {
                snprintf(why, 256,
                         "%s: %s must list both modes [\"strict\", \"hardened\"] (it has no per-mode setting)", path,
                         id);
                rc = -1;
            } else {
                out->packet_derivation = true;
            }
        } else {
            snprintf(why, 256, "%s: unknown drift id \"%s\"", path, id);
            rc = -1;
        }
    }
    json_decref(root);
    return rc;
}

/* ---- helpers ----------------------------------------------------------------------- */

static const ft_mode_t modes_by_index[2] = {FT_MODE_STRICT, FT_MODE_HARDENED};

static void harness_error(ftd_mode_result_t *m, const char *why) {
    m->verdict = FTD_VERDICT_HARNESS_ERROR;
    snprintf(m->harness, sizeof m->harness, "%s", why && why[0] ? why : "harness failure");
}

static bool commutative(const ftd_scenario_t *s) {
    static const char *const ops[] = {"add", "mul", "maximum", "minimum"};
    if (s->op.custom)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (strcmp(s->op.name, ops[i]) == 0)
            return true;
    return false;
}

static bool both_nan(uint64_t a, uint64_t b, ft_dtype_t dt) {
    const ftd_operand_t x = {a, dt, FT_BACKEND_CPU, false}, y = {b, dt, FT_BACKEND_CPU, false};
    return isnan(ftd_operand_value(&x)) && isnan(ftd_operand_value(&y));
}

static bool both_zero(uint64_t a, uint64_t b, ft_dtype_t dt) {
    const ftd_operand_t x = {a, dt, FT_BACKEND_CPU, false}, y = {b, dt, FT_BACKEND_CPU, false};
    return ftd_operand_value(&x) == 0 && ftd_operand_value(&y) == 0;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static void check_dispatch_mode(ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode, const ftd_fixture_case_t *fx,
                                ftd_mode_result_t *m) {
    char why[160] = "";
    ftd_dispatch_outcome_t want, got, again;
    if (ftd_libft_dispatch(lib, s, mode, &got, why) != 0 || ftd_libft_dispatch(lib, s, mode, &again, why) != 0) {
        harness_error(m, why);
        return;
    }
    ftd_ref_dispatch(s, mode, &want);
    m->has_observed = true;
    m->observed = got;
    m->status = got.status;
    m->fallback_used = got.fallback_used;
    ftd_compare_dispatch(&want, &got, &m->findings);
    ftd_compare_determinism(&got, &again, sizeof got, &m->findings);
    if (fx && fx->expect[mode].present)
        ftd_compare_expectation(&fx->expect[mode], &got, &m->findings);
    if (commutative(s)) {
        ftd_scenario_t swapped = *s;
        swapped.lhs = s->rhs;
        swapped.rhs = s->lhs;
        ftd_dispatch_outcome_t sw;
        if (ftd_libft_dispatch(lib, &swapped, mode, &sw, why) != 0) {
            harness_error(m, why);
            return;
        }
        m->findings.runs[FTD_CMP_COMMUTATIVITY]++;
        /* maximum/minimum of +0 and -0 return their first operand, in torch too:
           a tie, equal as values, not as bits */
        const bool minmax = strcmp(s->op.name, "maximum") == 0 || strcmp(s->op.name, "minimum") == 0;
        const bool same_value =
            sw.has_value == got.has_value &&
            (!got.has_value || sw.value_bits == got.value_bits || both_nan(sw.value_bits, got.value_bits, got.dtype) ||
             (minmax && both_zero(sw.value_bits, got.value_bits, got.dtype)));
        /* the keysets of swapped operands are the same union, so the route must be too */
        if (sw.status != got.status || !same_value || sw.selected_key != got.selected_key ||
            strcmp(sw.kernel, got.kernel) != 0) {
            char a[96], b[96];
            snprintf(a, sizeof a, "{\"status\":\"%s\",\"bits\":\"0x%" PRIx64 "\"}", ft_status_code(got.status),
                     got.value_bits);
            snprintf(b, sizeof b, "{\"status\":\"%s\",\"bits\":\"0x%" PRIx64 "\"}", ft_status_code(sw.status),
                     sw.value_bits);
            ftd_findings_add(&m->findings, FTD_CMP_COMMUTATIVITY, "swapped_operands", a, b);
        }
    }
}

/* ---- program ----------------------------------------------------------------------- */

static double leaf_grad_value(const ftd_scenario_t *s, const ftd_program_outcome_t *o, size_t leaf) {
    const ftd_operand_t g = {o->grad_bits[leaf], s->leaves[leaf].dtype, FT_BACKEND_CPU, false};
    return ftd_operand_value(&g);
}

/* A double as JSON: a number, or the string "nan" / "inf" / "-inf" (JSON has
 * no non-finite numbers). */
static const char *json_number(double v, char buf[40]) {
    char text[32];
    ft_value_format(v, text, sizeof text);
    snprintf(buf, 40, isfinite(v) ? "%s" : "\"%s\"", text);
    return buf;
}

/* Tape gradients against forward-mode dual numbers that follow torch 1.13's
 * derivative formulas (ties, masks and all): ftdr_grad_compare allows for
 * rounding in proportion to the magnitudes involved and calls a difference
 * indeterminate where evaluation order decides it (an overflow or 0 * inf
 * placed differently). Central finite differences are a check on the dual
 * numbers themselves: where they disagree with a dual number the tape agrees
 * with, the point is a kink or a pole (counted inconclusive). */
static void check_gradients(const ftd_scenario_t *s, const ftd_program_outcome_t *got, ftd_mode_result_t *m) {
    double dual[FTD_MAX_LEAVES], mag[FTD_MAX_LEAVES], fd[FTD_MAX_LEAVES];
    bool defined[FTD_MAX_LEAVES];
    m->findings.runs[FTD_CMP_GRAD_DUAL]++;
    if (!ftdr_dual_gradients_bounded(s, dual, defined, mag)) {
        m->findings.inconclusive[FTD_CMP_GRAD_DUAL]++;
        return;
    }
    const ft_dtype_t dt = s->leaves[0].dtype;
    /* Finite differences cost a forward pass per leaf and side: they check the
       dual numbers on every small f64 program, and on any program whose tape
       the dual numbers disagree with (as evidence in the finding). */
    bool fd_ok = false, fd_done = false;
    if (dt == FT_DTYPE_F64 && s->op_count <= 8) {
        fd_done = true;
        m->findings.runs[FTD_CMP_GRAD_FD]++;
        fd_ok = ftd_finite_diff_gradients(s, 1e-6, fd);
    }
    for (size_t i = 0; i < s->leaf_count; i++) {
        if (!s->leaves[i].requires_grad)
            continue;
        const double tape = got->grad_defined[i] ? leaf_grad_value(s, got, i) : 0.0;
        const double want = defined[i] ? dual[i] : 0.0;
        const double m_i = defined[i] ? mag[i] : 0.0;
        const ftdr_grad_verdict_t v = ftdr_grad_compare(dt, s->op_count, want, m_i, tape);
        if (fd_ok && isfinite(want) && !ftd_close(fd[i], want, 1e-4, 1e-3))
            m->findings.inconclusive[FTD_CMP_GRAD_FD]++; /* not smooth here */
        if (v == FTDR_GRAD_AGREE)
            continue;
        if (v == FTDR_GRAD_INDETERMINATE) {
            m->findings.inconclusive[FTD_CMP_GRAD_DUAL]++;
            continue;
        }
        if (!fd_done && dt == FT_DTYPE_F64) {
            m->findings.runs[FTD_CMP_GRAD_FD]++;
            fd_ok = ftd_finite_diff_gradients(s, 1e-6, fd);
        }
        char a[160], b[96], w[40], f[40], t[40];
        if (fd_ok)
            snprintf(a, sizeof a, "{\"leaf\":%zu,\"dual\":%s,\"finite_diff\":%s}", i, json_number(want, w),
                     json_number(fd[i], f));
        else
            snprintf(a, sizeof a, "{\"leaf\":%zu,\"dual\":%s}", i, json_number(want, w));
        snprintf(b, sizeof b, "{\"leaf\":%zu,\"tape\":%s}", i, json_number(tape, t));
        ftd_findings_add(&m->findings, FTD_CMP_GRAD_DUAL, "gradient", a, b);
        return;
    }
}

static void check_program_mode(ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode, ftd_mode_result_t *m,
                               ftd_program_outcome_t *got) {
    char why[160] = "";
    ftd_program_outcome_t want, again;
    if (ftd_libft_program(lib, s, mode, got, why) != 0 || ftd_libft_program(lib, s, mode, &again, why) != 0) {
        harness_error(m, why);
        return;
    }
    ftd_ref_program_forward(s, mode, &want);
    const size_t vars = s->leaf_count + s->op_count;
    ftd_compare_program(&want, got, vars, &m->findings);
    ftd_compare_determinism(got, &again, sizeof *got, &m->findings);
    m->status = got->ran < s->op_count ? got->failed_status : FT_OK;
    m->findings.runs[FTD_CMP_BACKWARD]++;
    const bool should_run = want.ran == s->op_count && want.requires_grad[s->root];
    if (got->backward_ran != should_run || (got->backward_ran && got->backward_status != FT_OK)) {
        char a[96], b[96];
        snprintf(a, sizeof a, "{\"backward\":%s,\"status\":\"ok\"}", should_run ? "true" : "false");
        snprintf(b, sizeof b, "{\"backward\":%s,\"status\":\"%s\"}", got->backward_ran ? "true" : "false",
                 ft_status_code(got->backward_status));
        ftd_findings_add(&m->findings, FTD_CMP_BACKWARD, "backward", a, b);
    } else if (got->backward_ran) {
        check_gradients(s, got, m);
    }
}

/* strict vs hardened for a program: identical unless strict stopped on the
   allowlisted composite rejection, and then identical up to that op */
static bool program_split(const ftd_scenario_t *s, const ftd_program_outcome_t *st, const ftd_program_outcome_t *hd,
                          ftd_findings_t *f) {
    f->runs[FTD_CMP_MODE_SPLIT_POLICY]++;
    const size_t vars = s->leaf_count + s->op_count;
    /* strict stopped where a composite kernel would run; what hardened does from
       that op on (including failing inside the composite's own calls) is the
       fallback's business */
    const bool split = st->ran < s->op_count && st->failed_status == FT_ECOMPOSITE_REJECTED && hd->ran >= st->ran;
    const size_t upto = s->leaf_count + (split ? st->ran : s->op_count);
    bool same = split || (st->ran == hd->ran && st->failed_status == hd->failed_status &&
                          memcmp(st->grad_bits, hd->grad_bits, sizeof st->grad_bits) == 0 &&
                          memcmp(st->grad_defined, hd->grad_defined, sizeof st->grad_defined) == 0);
    for (size_t v = 0; same && v < upto && v < vars; v++)
        same = st->value_bits[v] == hd->value_bits[v];
    if (!same) {
        char a[96], b[96];
        snprintf(a, sizeof a, "{\"ran\":%zu,\"status\":\"%s\"}", st->ran, ft_status_code(st->failed_status));
        snprintf(b, sizeof b, "{\"ran\":%zu,\"status\":\"%s\"}", hd->ran, ft_status_code(hd->failed_status));
        ftd_findings_add(f, FTD_CMP_MODE_SPLIT_POLICY, "unallowlisted_difference", a, b);
    }
    return split && same;
}

/* ---- table and keyset ----------------------------------------------------------------- */

static void check_table(ftd_libft_t *lib, const ftd_scenario_t *s, ftd_mode_result_t *m) {
    char why[160] = "";
    ftd_table_outcome_t want, got, alt;
    if (ftd_libft_table(lib, s, NULL, &got, why) != 0) {
        harness_error(m, why);
        return;
    }
    ftd_ref_table(s, &want);
    ftd_compare_table(&want, &got, FTD_CMP_TABLE, &m->findings);
    m->status = got.status;
    const size_t n = s->op.reg_count;
    if (n < 2)
        return;
    size_t order[FTD_MAX_REGS];
    for (int variant = 0; variant < 2; variant++) {
        for (size_t i = 0; i < n; i++)
            order[i] = variant == 0 ? n - 1 - i : (i + 1) % n; /* reversed, rotated */
        if (ftd_libft_table(lib, s, order, &alt, why) != 0) {
            harness_error(m, why);
            return;
        }
        ftd_compare_table(&got, &alt, FTD_CMP_REGISTRATION_ORDER, &m->findings);
    }
}

static void check_keyset(const ftd_scenario_t *s, ftd_mode_result_t *m) {
    char why[160] = "";
    ftd_keyset_outcome_t want, got;
    if (ftd_libft_keyset(s, &got, why) != 0) {
        harness_error(m, why);
        return;
    }
    ftd_ref_keyset(s, &want);
    ftd_compare_keyset(&want, &got, &m->findings);
    /* union order: a|b == b|a, and (a|b)|a == a|b, through libft's own functions */
    m->findings.runs[FTD_CMP_KEYSET_ALGEBRA]++;
    ftd_scenario_t swapped = *s;
    swapped.a = s->b;
    swapped.b = s->a;
    ftd_keyset_outcome_t sw;
    if (ftd_libft_keyset(&swapped, &sw, why) == 0 && (sw.union_bits != got.union_bits || sw.and_bits != got.and_bits))
        ftd_findings_add(&m->findings, FTD_CMP_KEYSET_ALGEBRA, "union_order", "\"a|b == b|a\"", "\"differs\"");
}

/* ---- verdicts ------------------------------------------------------------------------------ */

static void decide(ftd_mode_result_t *m, ft_mode_t mode, bool allowlisted_split, const ftd_allowlist_t *allow) {
    if (m->verdict == FTD_VERDICT_HARNESS_ERROR)
        return;
    if (mode == FT_MODE_HARDENED && allowlisted_split) {
        if (allow->composite_fallback) {
            m->verdict = ftd_findings_blocking(&m->findings) ? FTD_VERDICT_BLOCKING : FTD_VERDICT_ALLOWLISTED;
            return;
        }
        ftd_findings_add(&m->findings, FTD_CMP_MODE_SPLIT_POLICY, "not_allowlisted",
                         "\"" FT_ALLOWLIST_COMPOSITE_FALLBACK " in differential/allowlist.json\"",
                         "\"hardened composite fallback\"");
    }
    if (ftd_findings_blocking(&m->findings))
        m->verdict = FTD_VERDICT_BLOCKING;
    else if (m->status != FT_OK)
        m->verdict = FTD_VERDICT_EXPECTED_ERROR;
    else
        m->verdict = FTD_VERDICT_PASS;
}

/* A mode result made empty without clearing the findings' text buffers (a
 * result is ~10 KB, mostly text that is written before it is read). */
static void mode_result_init(ftd_mode_result_t *m) {
    m->ran = false;
    m->verdict = FTD_VERDICT_PASS;
    m->status = FT_OK;
    ftd_findings_init(&m->findings);
    m->has_observed = false;
    m->fallback_used = false;
    m->harness[0] = '\0';
}

void ftd_check_result_init(ftd_check_result_t *r) {
    r->modes = 0;
    mode_result_init(&r->mode[0]);
    mode_result_init(&r->mode[1]);
}

void ftd_check_scenario(ftd_libft_t *lib, const ftd_allowlist_t *allow, const ftd_scenario_t *s, unsigned modes,
                        const ftd_fixture_case_t *fixture, ftd_check_result_t *out) {
    ftd_check_result_init(out);
    out->modes = modes;
    bool split = false;
    switch (s->kind) {
    case FTD_KIND_DISPATCH:
        for (int i = 0; i < 2; i++)
            if (modes & (1u << i)) {
                out->mode[i].ran = true;
                check_dispatch_mode(lib, s, modes_by_index[i], fixture, &out->mode[i]);
            }
        if ((modes & 3u) == 3u && out->mode[0].has_observed && out->mode[1].has_observed)
            split = ftd_compare_mode_split(&out->mode[0].observed, &out->mode[1].observed, &out->mode[1].findings);
        break;
    case FTD_KIND_PROGRAM: {
        ftd_program_outcome_t got[2];
        for (int i = 0; i < 2; i++)
            if (modes & (1u << i)) {
                out->mode[i].ran = true;
                check_program_mode(lib, s, modes_by_index[i], &out->mode[i], &got[i]);
            }
        if ((modes & 3u) == 3u && out->mode[0].verdict != FTD_VERDICT_HARNESS_ERROR &&
            out->mode[1].verdict != FTD_VERDICT_HARNESS_ERROR)
            split = program_split(s, &got[0], &got[1], &out->mode[1].findings);
        out->mode[1].fallback_used = split;
        break;
    }
    case FTD_KIND_TABLE:
    case FTD_KIND_KEYSET: {
        ftd_mode_result_t once;
        mode_result_init(&once);
        once.ran = true;
        if (s->kind == FTD_KIND_TABLE)
            check_table(lib, s, &once);
        else
            check_keyset(s, &once);
        for (int i = 0; i < 2; i++)
            if (modes & (1u << i))
                out->mode[i] = once;
        break;
    }
    }
    for (int i = 0; i < 2; i++)
        if (out->mode[i].ran)
            decide(&out->mode[i], modes_by_index[i], split || (i == 1 && out->mode[1].fallback_used), allow);
}

/* ---- batch fixture lines and recorded scenarios ------------------------------------------------------------ */

static int query_mode_index(const json_t *q) {
    const char *m = json_string_value(json_object_get(q, "mode"));
    return m && strcmp(m, "hardened") == 0 ? 1 : 0;
}

void ftd_check_batch_case(void *batch, const void *line_json, ftd_check_result_t *out) {
    json_t *line = (json_t *)(uintptr_t)line_json;
    char why[160] = "";
    ftd_check_result_init(out);
    const char *bad = ftd_batch_case_invalid(line, why, sizeof why);
    json_t *q = json_object_get(line, "query");
    const int mi = bad ? 0 : query_mode_index(q);
    ftd_mode_result_t *m = &out->mode[mi];
    out->modes = 1u << mi;
    m->ran = true;
    if (bad) { /* a fixture that cannot be read fails the run, never passes */
        m->verdict = FTD_VERDICT_HARNESS_ERROR;
        snprintf(m->harness, sizeof m->harness, "invalid fixture line: %.120s", bad);
        return;
    }
    json_t *got = ftd_batch_answer(batch, q);
    m->findings.runs[FTD_CMP_FIXTURE]++;
    if (!got) {
        m->verdict = FTD_VERDICT_HARNESS_ERROR;
        snprintf(m->harness, sizeof m->harness, "out of memory answering a fixture line");
    } else if (ftd_batch_case_matches(line, got)) {
        m->verdict = json_is_string(json_object_get(got, "error")) ? FTD_VERDICT_EXPECTED_ERROR : FTD_VERDICT_PASS;
    } else {
        /* the first place the answer parts from torch's, so a table of 122
           entries or a long decision shows the entry that differs */
        char path[96], e[FTD_FINDING_TEXT_MAX - 160], g[FTD_FINDING_TEXT_MAX - 160];
        char et[FTD_FINDING_TEXT_MAX], gt[FTD_FINDING_TEXT_MAX], qpath[128];
        ftd_batch_case_difference(line, got, path, sizeof path, e, g, sizeof e);
        if (ft_json_string(path, strlen(path), qpath, sizeof qpath) >= sizeof qpath)
            snprintf(qpath, sizeof qpath, "\"(too long)\"");
        snprintf(et, sizeof et, "{\"at\":%s,\"value\":%s}", qpath, e);
        snprintf(gt, sizeof gt, "{\"at\":%s,\"value\":%s}", qpath, g);
        ftd_findings_add(&m->findings, FTD_CMP_FIXTURE, "oracle_answer_differs", et, gt);
        m->verdict = FTD_VERDICT_BLOCKING;
    }
    json_decref(got);
}

int ftd_check_recorded(ftd_libft_t *lib, void *batch, const ftd_allowlist_t *allow, const char *scenario_json,
                       size_t len, unsigned modes, ftd_check_result_t *out, char *why) {
    json_error_t je;
    json_t *obj = json_loadb(scenario_json, len, JSON_REJECT_DUPLICATES, &je);
    if (!obj) {
        snprintf(why, 160, "scenario is not JSON: %.120s", je.text);
        return -1;
    }
    int rc = 0;
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind && strcmp(kind, "batch") == 0) {
        json_t *line = json_object_get(obj, "case");
        if (!json_is_object(line) || json_object_size(obj) != 2) {
            snprintf(why, 160, "a batch scenario is {\"kind\":\"batch\",\"case\":{...}}");
            rc = -1;
        } else {
            ftd_check_batch_case(batch, line, out);
        }
    } else {
        ftd_scenario_t s;
        ftd_error_t err;
        if (ftd_scenario_from_json(obj, &s, &err) != 0) {
            snprintf(why, 160, "scenario: %.40s: %.100s", err.field, err.text);
            rc = -1;
        } else {
            ftd_check_scenario(lib, allow, &s, modes, NULL, out);
        }
    }
    json_decref(obj);
    return rc;
}
