/* The session and its evidence ledger. */
#include <stdlib.h>

#include "ft/ft.h"
#include "ft_test.h"

typedef struct {
    size_t calls;
    uint64_t last_seq;
    bool in_order;
} sink_log_t;

static void sink(const ft_evidence_t *e, void *payload) {
    sink_log_t *log = payload;
    log->in_order &= e->seq == log->calls;
    log->last_seq = e->seq;
    log->calls++;
}

static int64_t fake_clock(void *payload) {
    int64_t *t = payload;
    return (*t += 10);
}

/* The packet's microbench program, with a mode change first: the ledger holds
 * the mode change, both decisions with their metadata, and the backward. */
static void session_evidence_for_ops_and_backward(void) {
    sink_log_t log = {0, 0, true};
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    o.sink = sink;
    o.sink_payload = &log;
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_OK);
    ft_var_t x, y, z, w;
    ft_status st = ft_session_set_mode(s, FT_MODE_HARDENED);
    st = st ? st : ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x);
    st = st ? st : ft_session_leaf(s, 3, FT_DTYPE_F64, true, &y);
    st = st ? st : ft_session_call(s, "add", x, y, &z);
    st = st ? st : ft_session_call(s, "mul", z, x, &w);
    st = st ? st : ft_session_backward(s, w, false, NULL);
    const size_t n = ft_session_evidence_count(s);
    const ft_evidence_t *m = ft_session_evidence_at(s, 0), *add = ft_session_evidence_at(s, 1),
                        *mul = ft_session_evidence_at(s, 2), *bw = ft_session_evidence_at(s, 3);
    bool ok = st == FT_OK && n == 4 && m && add && mul && bw;
    ok = ok && m->kind == FT_EVIDENCE_MODE_CHANGE && m->from == FT_MODE_STRICT && m->to == FT_MODE_HARDENED;
    ok = ok && add->kind == FT_EVIDENCE_DISPATCH && add->decision && strcmp(add->decision->op, "add") == 0 &&
         add->decision->mode == FT_MODE_HARDENED && add->decision->selected_key == FT_KEY_AUTOGRAD_CPU &&
         add->decision->backend_key == FT_KEY_CPU && strcmp(add->decision->kernel, "cpu::add_scalar") == 0 &&
         add->decision->effective_keyset.repr == UINT64_C(0x2804004001) && !add->decision->fallback_used &&
         add->decision->mode_split == FT_SPLIT_NONE && add->decision->status == FT_OK && add->value.value == 5;
    ok = ok && mul->decision && strcmp(mul->decision->kernel, "cpu::mul_scalar") == 0 && mul->value.value == 10;
    /* dw/dx = z + x (through both paths) = 7, dw/dy = x = 2 */
    ok = ok && bw->kind == FT_EVIDENCE_BACKWARD && bw->status == FT_OK && bw->root == w && bw->steps == 2 &&
         bw->order[0] == w && bw->order[1] == z && bw->grad_count == 2 && bw->grad_vars[0] == x && bw->grads[0] == 7 &&
         bw->grad_vars[1] == y && bw->grads[1] == 2;
    char json[4096];
    size_t len = bw ? ft_evidence_json(bw, json, sizeof json) : 0;
    ok =
        ok && len < sizeof json &&
        strcmp(json,
               "{\"seq\":3,\"kind\":\"backward\",\"status\":\"ok\",\"root\":3,\"retain_graph\":false,"
               "\"steps\":2,\"order\":[3,2],\"grads\":[{\"var\":0,\"value\":\"7\"},{\"var\":1,\"value\":\"2\"}]}") == 0;
    ok = ok && !m->has_time; /* no clock, no time */
    ft_session_free(s);
    FT_CHECK(ok);
    FT_CHECK_EQ_INT(log.calls, 4);
    FT_CHECK(log.in_order && log.last_seq == 3);
}

/* Failed operations are evidence too; grad-mode changes are logged and used. */
static void session_logs_failures_and_grad_mode(void) {
    int64_t now = 1000;
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    o.clock = fake_clock;
    o.clock_payload = &now;
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_OK);
    ft_var_t a, b, r = 0, q = 0;
    ft_session_leaf(s, 1, FT_DTYPE_F32, true, &a);
    ft_session_leaf(s, 2, FT_DTYPE_F32, true, &b);
    const ft_status strict = ft_session_call(s, "rsub", a, b, &r);  /* strict: rejected */
    const ft_status unknown = ft_session_call(s, "nope", a, b, &r); /* no such op */
    const ft_status grad_off = ft_session_set_grad_mode(s, false);
    const ft_status mul = ft_session_call(s, "mul", a, b, &q);
    ft_scalar_t qv;
    ft_session_value(s, q, &qv);
    const ft_status bw = ft_session_backward(s, q, false, NULL); /* q does not require grad */
    const ft_evidence_t *e0 = ft_session_evidence_at(s, 0), *e1 = ft_session_evidence_at(s, 1),
                        *e2 = ft_session_evidence_at(s, 2), *e4 = ft_session_evidence_at(s, 4);
    char json[4096];
    ft_evidence_json(e0, json, sizeof json);
    const bool json_ok = strstr(json, "\"status\":\"composite_fallback_rejected\"") && strstr(json, "\"time\":1010") &&
                         strstr(json, "\"mode_split\":\"strict_fail\"") && strstr(json, "\"out\":null");
    const bool ok =
        ft_session_evidence_count(s) == 5 && e0->decision && e0->decision->mode_split == FT_SPLIT_STRICT_FAIL &&
        e1->status == FT_EUNKNOWN_OP && e1->decision == NULL && e1->op && strcmp(e1->op, "nope") == 0 &&
        e2->kind == FT_EVIDENCE_GRAD_MODE_CHANGE && e2->from == 1 && e2->to == 0 && e4->status == FT_EROOT_NO_GRAD &&
        e4->has_time && e4->time == 1050 && !qv.requires_grad && qv.dtype == FT_DTYPE_F32;
    ft_session_free(s);
    FT_CHECK_STATUS(strict, FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(unknown, FT_EUNKNOWN_OP);
    FT_CHECK_STATUS(grad_off, FT_OK);
    FT_CHECK_STATUS(mul, FT_OK);
    FT_CHECK_STATUS(bw, FT_EROOT_NO_GRAD);
    FT_CHECK_MSG(json_ok, "json: %s", json);
    FT_CHECK(ok);
}

/* A backward's entry lists the leaves it reached, not every leaf the session
 * ever gave a gradient. */
static void session_backward_entry_lists_reached_leaves(void) {
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    ft_var_t x, y, u, v, z, q;
    ft_session_leaf(s, 1, FT_DTYPE_F64, true, &x);
    ft_session_leaf(s, 2, FT_DTYPE_F64, true, &y);
    ft_session_leaf(s, 3, FT_DTYPE_F64, true, &u);
    ft_session_leaf(s, 4, FT_DTYPE_F64, false, &v);
    ft_status st = ft_session_call(s, "add", x, y, &z);
    st = st ? st : ft_session_backward(s, z, false, NULL);
    st = st ? st : ft_session_call(s, "mul", u, v, &q);
    st = st ? st : ft_session_backward(s, q, false, NULL);
    const ft_evidence_t *second = ft_session_evidence_at(s, 3);
    const bool ok = st == FT_OK && second && second->kind == FT_EVIDENCE_BACKWARD && second->grad_count == 1 &&
                    second->grad_vars[0] == u && second->grads[0] == 4;
    ft_session_free(s);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK(ok);
}

/* Same program, same bytes: the rendered ledger is deterministic. */
static void session_ledger_json_is_deterministic(void) {
    char *text[2] = {NULL, NULL};
    for (int pass = 0; pass < 2; pass++) {
        ft_session_t *s;
        FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
        ft_var_t x, y, z, w;
        ft_session_leaf(s, 0.1, FT_DTYPE_F64, true, &x);
        ft_session_leaf(s, -0.0, FT_DTYPE_F64, false, &y);
        ft_session_set_mode(s, FT_MODE_HARDENED);
        ft_session_call(s, "sqdiff", x, y, &z);
        ft_session_call(s, "div", z, y, &w);
        ft_session_backward(s, w, true, NULL);
        size_t total = 1;
        for (size_t i = 0; i < ft_session_evidence_count(s); i++)
            total += ft_evidence_json(ft_session_evidence_at(s, i), NULL, 0) + 1;
        text[pass] = malloc(total);
        size_t at = 0;
        for (size_t i = 0; text[pass] && i < ft_session_evidence_count(s); i++) {
            at += ft_evidence_json(ft_session_evidence_at(s, i), text[pass] + at, total - at);
            text[pass][at++] = '\n';
        }
        if (text[pass])
            text[pass][at] = '\0';
        ft_session_free(s);
    }
    const bool same = text[0] && text[1] && strcmp(text[0], text[1]) == 0;
    const bool has = text[0] && strstr(text[0], "\"value\":\"-inf\"") && strstr(text[0], "composite_implicit::sqdiff");
    free(text[0]);
    free(text[1]);
    FT_CHECK(same);
    FT_CHECK(has);
}

/* What a sink saw, rendered: one JSON line per entry. */
typedef struct {
    char *text;
    size_t len, cap;
    size_t entries;
    bool oom;
} render_log_t;

static void render_sink(const ft_evidence_t *e, void *payload) {
    render_log_t *log = payload;
    const size_t n = ft_evidence_json(e, NULL, 0);
    if (log->len + n + 2 > log->cap) {
        size_t cap = log->cap ? log->cap : 4096;
        while (log->len + n + 2 > cap)
            cap *= 2;
        char *p = realloc(log->text, cap);
        if (!p) {
            log->oom = true;
            return;
        }
        log->text = p;
        log->cap = cap;
    }
    ft_evidence_json(e, log->text + log->len, n + 1);
    log->len += n;
    log->text[log->len++] = '\n';
    log->text[log->len] = '\0';
    log->entries++;
}

/* A program with every kind of entry, failures, and a cleared tape. */
static ft_status run_program(ft_session_t *s, int rounds) {
    ft_status st = FT_OK;
    for (int r = 0; r < rounds && st == FT_OK; r++) {
        ft_var_t x = 0, y = 0, z = 0, w = 0, q = 0;
        st = ft_session_leaf(s, 2 + r, FT_DTYPE_F64, true, &x);
        st = st ? st : ft_session_leaf(s, 0.5, FT_DTYPE_F64, r % 2 == 0, &y);
        st = st ? st : ft_session_call(s, "add", x, y, &z);
        st = st ? st : ft_session_call(s, "mul", z, x, &w);
        if (st == FT_OK && ft_session_call(s, "rsub", x, y, &q) != FT_ECOMPOSITE_REJECTED)
            st = FT_EINVALID_ARGUMENT;
        if (st == FT_OK && ft_session_call(s, "nope", x, y, &q) != FT_EUNKNOWN_OP)
            st = FT_EINVALID_ARGUMENT;
        st = st ? st : ft_session_set_mode(s, FT_MODE_HARDENED);
        st = st ? st : ft_session_call(s, "sqdiff", w, y, &q);
        st = st ? st : ft_session_set_mode(s, FT_MODE_STRICT);
        st = st ? st : ft_session_backward(s, q, false, NULL);
        if (st == FT_OK && ft_session_backward(s, y, false, NULL) != (r % 2 == 0 ? FT_OK : FT_EROOT_NO_GRAD))
            st = FT_EINVALID_ARGUMENT;
        st = st ? st : ft_session_set_grad_mode(s, false);
        st = st ? st : ft_session_set_grad_mode(s, true);
        st = st ? st : ft_session_clear_tape(s);
    }
    return st;
}

enum { PROGRAM_ROUNDS = 6, PROGRAM_ENTRIES = 11 * PROGRAM_ROUNDS };

/* Every policy shows the sink the same entries (same bytes); KEEP_ALL keeps them
 * all, KEEP_LAST the last N, SINK_ONLY none. */
static void session_ledger_policies_agree(void) {
    static const struct {
        ft_ledger_policy_t policy;
        size_t keep;
    } policies[] = {{FT_LEDGER_KEEP_ALL, 0},
                    {FT_LEDGER_KEEP_LAST, 7},
                    {FT_LEDGER_KEEP_LAST, 1},
                    {FT_LEDGER_KEEP_LAST, 1000},
                    {FT_LEDGER_SINK_ONLY, 0}};
    render_log_t logs[5];
    memset(logs, 0, sizeof logs);
    bool ok = true;
    char *walked = NULL;
    for (size_t p = 0; p < 5 && ok; p++) {
        ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
        o.sink = render_sink;
        o.sink_payload = &logs[p];
        o.ledger = policies[p].policy;
        o.ledger_keep = policies[p].keep;
        ft_session_t *s;
        ok = ft_session_new(&o, &s) == FT_OK;
        if (!ok)
            break;
        ok = run_program(s, PROGRAM_ROUNDS) == FT_OK && !logs[p].oom && logs[p].entries == PROGRAM_ENTRIES &&
             ft_session_evidence_count(s) == PROGRAM_ENTRIES;
        const size_t first = ft_session_evidence_first(s);
        size_t want_first = 0;
        if (policies[p].policy == FT_LEDGER_SINK_ONLY)
            want_first = PROGRAM_ENTRIES;
        else if (policies[p].policy == FT_LEDGER_KEEP_LAST && policies[p].keep < PROGRAM_ENTRIES)
            want_first = PROGRAM_ENTRIES - policies[p].keep;
        ok = ok && first == want_first && (first == 0 || ft_session_evidence_at(s, first - 1) == NULL) &&
             ft_session_evidence_at(s, PROGRAM_ENTRIES) == NULL;
        /* the kept entries render as the sink saw them (the tail of its log) */
        render_log_t kept;
        memset(&kept, 0, sizeof kept);
        for (size_t i = first; ok && i < PROGRAM_ENTRIES; i++) {
            const ft_evidence_t *e = ft_session_evidence_at(s, i);
            ok = e && e->seq == i;
            if (ok)
                render_sink(e, &kept);
        }
        ok = ok && !kept.oom &&
             (kept.len == 0 ||
              (kept.len <= logs[p].len && strcmp(logs[p].text + logs[p].len - kept.len, kept.text) == 0));
        if (p == 0) {
            walked = kept.text;
            ok = ok && walked && strcmp(walked, logs[0].text) == 0;
        } else {
            free(kept.text);
        }
        ft_session_free(s);
        ok = ok && strcmp(logs[p].text, logs[0].text) == 0;
        FT_CHECK_MSG(ok || p == 0, "policy %zu", p);
    }
    const bool has = logs[0].text && strstr(logs[0].text, "\"kind\":\"backward\"") &&
                     strstr(logs[0].text, "\"op\":\"nope\"") && strstr(logs[0].text, "\"mode_split\":\"strict_fail\"");
    for (size_t p = 0; p < 5; p++)
        free(logs[p].text);
    free(walked);
    FT_CHECK(ok);
    FT_CHECK(has);
}

static void session_ledger_options_checked(void) {
    ft_session_options_t o = FT_SESSION_OPTIONS_INIT;
    ft_session_t *s = NULL;
    o.ledger = FT_LEDGER_KEEP_LAST;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_EINVALID_ARGUMENT); /* keep 0 */
    o.ledger = (ft_ledger_policy_t)7;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_EINVALID_ARGUMENT);
    o.ledger = FT_LEDGER_KEEP_LAST;
    o.ledger_keep = SIZE_MAX;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_EINVALID_ARGUMENT);
    o.ledger = FT_LEDGER_SINK_ONLY; /* no sink: evidence is counted and dropped */
    o.ledger_keep = 0;
    FT_CHECK_STATUS(ft_session_new(&o, &s), FT_OK);
    const ft_status st = run_program(s, 2);
    const size_t n = ft_session_evidence_count(s), first = ft_session_evidence_first(s);
    const ft_evidence_t *e = ft_session_evidence_at(s, 0);
    ft_session_free(s);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK(n == 22 && first == 22 && e == NULL);
}

/* Identical decisions are stored once; a ledger entry holds only its own fields. */
static void session_entries_share_identical_decisions(void) {
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    ft_var_t x = 0, y = 0, z = 0;
    ft_status st = ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x);
    st = st ? st : ft_session_leaf(s, 3, FT_DTYPE_F64, true, &y);
    for (int i = 0; i < 100 && st == FT_OK; i++)
        st = ft_session_call(s, i % 2 ? "mul" : "add", x, y, &z);
    st = st ? st : ft_session_set_mode(s, FT_MODE_HARDENED);
    st = st ? st : ft_session_call(s, "add", x, y, &z);
    const ft_evidence_t *a0 = ft_session_evidence_at(s, 0), *m1 = ft_session_evidence_at(s, 1),
                        *a98 = ft_session_evidence_at(s, 98), *m99 = ft_session_evidence_at(s, 99),
                        *hard = ft_session_evidence_at(s, 101);
    const bool ok = st == FT_OK && a0 && m1 && a98 && m99 && hard && a0->decision == a98->decision &&
                    m1->decision == m99->decision && a0->decision != m1->decision && hard->decision != a0->decision &&
                    hard->decision->mode == FT_MODE_HARDENED && a98->seq == 98 && a98->out == z - 2 &&
                    strcmp(a0->decision->kernel, "cpu::add_scalar") == 0 && a0->decision->hop_count == 4;
    ft_session_free(s);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK(ok);
}

/* ft_session_call_op: the same call without the lookup, for the session's own
 * operators only. */
static void session_call_op_takes_a_handle(void) {
    ft_session_t *s;
    ft_registry_t *other;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    FT_CHECK_STATUS(ft_registry_new(&other), FT_OK);
    const ft_op_t *mul = NULL, *foreign = NULL, *shared_mul = NULL;
    ft_registry_find(ft_session_registry(s), "mul", &mul);
    ft_registry_find(other, "mul", &shared_mul);
    const ft_registration_t r = {FT_KEY_AUTOGRAD, "autograd::mul2", NULL, NULL, NULL};
    ft_registry_register(other, "mul2", &r, 1, &foreign);
    /* the built-ins are shared: the other registry's mul is the session's */
    FT_CHECK(mul && shared_mul == mul);
    ft_var_t x = 0, y = 0, z = 0, q = 0;
    ft_status st = ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x);
    st = st ? st : ft_session_leaf(s, 3, FT_DTYPE_F64, true, &y);
    st = st ? st : ft_session_call_op(s, mul, x, y, &z);
    const ft_status wrong = ft_session_call_op(s, foreign, x, y, &q);
    const bool said = strcmp(ft_session_last_error(s)->message,
                             "operator 'mul2' belongs to another registry than the session's") == 0;
    const ft_status null_op = ft_session_call_op(s, NULL, x, y, &q);
    const ft_evidence_t *e = ft_session_evidence_at(s, 0);
    ft_scalar_t zv;
    ft_session_value(s, z, &zv);
    const bool ok = st == FT_OK && ft_session_evidence_count(s) == 1 && e && strcmp(e->op, "mul") == 0 && e->decision &&
                    strcmp(e->decision->kernel, "cpu::mul_scalar") == 0 && zv.value == 6;
    ft_registry_free(other);
    ft_session_free(s);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK_STATUS(wrong, FT_EINVALID_ARGUMENT);
    FT_CHECK(said);
    FT_CHECK_STATUS(null_op, FT_EINVALID_ARGUMENT);
    FT_CHECK(ok);
}

/* The session's last error says what failed; set_mode either changes the mode
 * (and logs it) or fails and changes nothing. */
static void session_last_error_and_set_mode(void) {
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    const ft_error_t *err = ft_session_last_error(s);
    const bool clean = err->code == FT_OK && err->message[0] == '\0';
    ft_var_t x, y, z;
    ft_session_leaf(s, 1, FT_DTYPE_F64, true, &x);
    ft_session_leaf(s, 2, FT_DTYPE_F64, false, &y);
    char m[5][FT_ERROR_MESSAGE_MAX];
    ft_status st[5];
    st[0] = ft_session_call(s, "no\x01pe", x, y, &z);
    snprintf(m[0], sizeof m[0], "%s", err->message);
    st[1] = ft_session_call(s, "rsub", x, y, &z);
    snprintf(m[1], sizeof m[1], "%s", err->message);
    st[2] = ft_session_call(s, "add", x, 9, &z);
    snprintf(m[2], sizeof m[2], "%s", err->message);
    st[3] = ft_session_backward(s, y, false, NULL);
    snprintf(m[3], sizeof m[3], "%s", err->message);
    const size_t before = ft_session_evidence_count(s);
    st[4] = ft_session_set_mode(s, (ft_mode_t)5);
    snprintf(m[4], sizeof m[4], "%s", err->message);
    const bool unchanged = ft_session_context(s)->mode == FT_MODE_STRICT && ft_session_evidence_count(s) == before;
    const ft_status fine = ft_session_set_mode(s, FT_MODE_HARDENED);
    const bool changed = ft_session_context(s)->mode == FT_MODE_HARDENED &&
                         ft_session_evidence_count(s) == before + 1 &&
                         ft_session_evidence_at(s, before)->kind == FT_EVIDENCE_MODE_CHANGE;
    ft_session_free(s);
    FT_CHECK(clean);
    FT_CHECK_STATUS(st[0], FT_EUNKNOWN_OP);
    FT_CHECK_MSG(strcmp(m[0], "no operator named 'no?pe'") == 0, "%s", m[0]);
    FT_CHECK_STATUS(st[1], FT_ECOMPOSITE_REJECTED);
    FT_CHECK_MSG(strcmp(m[1], "rsub: composite_fallback_rejected: strict mode rejects composite_explicit::rsub at "
                              "AutogradCPU (default backend kernel)") == 0,
                 "%s", m[1]);
    FT_CHECK_STATUS(st[2], FT_EUNKNOWN_VAR);
    FT_CHECK_MSG(strcmp(m[2], "variable 9 does not exist (the tape has variables 0..1)") == 0, "%s", m[2]);
    FT_CHECK_STATUS(st[3], FT_EROOT_NO_GRAD);
    FT_CHECK_MSG(strcmp(m[3], "backward root variable 1 does not require grad and has no grad_fn") == 0, "%s", m[3]);
    FT_CHECK_STATUS(st[4], FT_EINVALID_ARGUMENT);
    FT_CHECK_MSG(strcmp(m[4], "mode 5 is neither strict (0) nor hardened (1)") == 0, "%s", m[4]);
    FT_CHECK(unchanged);
    FT_CHECK_STATUS(fine, FT_OK);
    FT_CHECK(changed);
    FT_CHECK(ft_session_last_error(NULL)->code == FT_EINVALID_ARGUMENT);
}

/* Clearing the tape keeps the ledger and keeps ids unique in it. */
static void session_clear_tape_keeps_ids_unique(void) {
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    ft_var_t x = 0, y = 0, z = 0, x2 = 0, y2 = 0, z2 = 0;
    ft_status st = ft_session_leaf(s, 1, FT_DTYPE_F64, true, &x);
    st = st ? st : ft_session_leaf(s, 2, FT_DTYPE_F64, true, &y);
    st = st ? st : ft_session_call(s, "add", x, y, &z);
    st = st ? st : ft_session_clear_tape(s);
    const ft_status stale = ft_session_call(s, "add", x, y, &z2);
    st = st ? st : ft_session_leaf(s, 3, FT_DTYPE_F64, true, &x2);
    st = st ? st : ft_session_leaf(s, 4, FT_DTYPE_F64, true, &y2);
    st = st ? st : ft_session_call(s, "mul", x2, y2, &z2);
    st = st ? st : ft_session_backward(s, z2, false, NULL);
    const ft_evidence_t *e0 = ft_session_evidence_at(s, 0), *e1 = ft_session_evidence_at(s, 1),
                        *e2 = ft_session_evidence_at(s, 2), *e3 = ft_session_evidence_at(s, 3);
    const bool ok = st == FT_OK && z == 2 && x2 == 3 && y2 == 4 && z2 == 5 && e0->out == 2 && e0->value.value == 3 &&
                    e1->status == FT_EUNKNOWN_VAR && e1->decision == NULL && e2->out == 5 && e3->grad_count == 2 &&
                    e3->grad_vars[0] == 3 && e3->grads[0] == 4 && e3->grad_vars[1] == 4 && e3->grads[1] == 3 &&
                    e3->order[0] == 5 &&
                    strcmp(ft_session_last_error(s)->message, "variable 0 was dropped when the tape was cleared") == 0;
    ft_session_free(s);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK_STATUS(stale, FT_EUNKNOWN_VAR);
    FT_CHECK(ok);
}

/* Every kept decision is the one the dispatcher makes, also far past the
 * session's inline arena, where a new decision is written in a chunk's free room
 * or, when the chunk has too little left, copied into a fresh one: 3,000 calls
 * under include sets of one or two random functionality keys, so new decisions
 * (routed or failed) keep arriving while most repeat an earlier one. */
static void session_kept_decisions_match_the_dispatcher(void) {
    enum { CALLS = 3000 };
    static ft_keyset_t include[CALLS];
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    const ft_op_t *add = NULL;
    ft_var_t x = 0, y = 0, z = 0;
    ft_status st = ft_registry_find(ft_session_registry(s), "add", &add);
    st = st ? st : ft_session_leaf(s, 2, FT_DTYPE_F64, true, &x);
    st = st ? st : ft_session_leaf(s, 3, FT_DTYPE_F64, false, &y);
    const ft_keyset_t base = ft_session_context(s)->include;
    uint64_t r = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 0; i < CALLS && st == FT_OK; i++) {
        r = r * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        include[i] = base;
        if (i % 3) /* every third call repeats the plain route */
            include[i].repr |= FT_KEYSET_FUNCTIONALITY_BIT(1 + (r >> 33) % 40) |
                               (i % 3 == 2 ? FT_KEYSET_FUNCTIONALITY_BIT(1 + (r >> 45) % 40) : 0);
        st = ft_session_set_include(s, include[i]);
        ft_session_call(s, "add", x, y, &z); /* may fail: its decision is kept all the same */
    }
    bool ok = st == FT_OK && ft_session_evidence_count(s) == CALLS;
    size_t distinct = 0;
    ft_scalar_t xv, yv;
    ok = ok && ft_session_value(s, x, &xv) == FT_OK && ft_session_value(s, y, &yv) == FT_OK;
    const ft_decision_t *plain = NULL;
    for (size_t i = 0; ok && i < CALLS; i++) {
        const ft_evidence_t *e = ft_session_evidence_at(s, i);
        ft_dispatch_ctx_t ctx = *ft_session_context(s);
        ctx.include = include[i];
        ft_decision_t want;
        ft_scalar_t out;
        const ft_status wst = ft_dispatch_binary(&ctx, add, &xv, &yv, &out, &want);
        const ft_decision_t *d = e ? e->decision : NULL;
        ok = d && e->status == wst && d->op == want.op && d->mode == want.mode &&
             d->explicit_keyset == want.explicit_keyset && d->keyset.repr == want.keyset.repr &&
             d->effective_keyset.repr == want.effective_keyset.repr && d->selected_key == want.selected_key &&
             d->backend_key == want.backend_key && d->kernel == want.kernel && d->fallback_used == want.fallback_used &&
             d->mode_split == want.mode_split && d->allowlist_id == want.allowlist_id && d->status == want.status &&
             d->unknown_mask == want.unknown_mask && d->hop_count == want.hop_count;
        for (size_t h = 0; ok && h < want.hop_count; h++)
            ok = d->hops[h].key == want.hops[h].key && d->hops[h].source == want.hops[h].source &&
                 d->hops[h].tag == want.hops[h].tag && d->hops[h].fallthrough == want.hops[h].fallthrough &&
                 d->hops[h].kernel_name == want.hops[h].kernel_name;
        /* identical decisions are one record: the plain route's, and the first
         * entry with each include set is the first with its decision */
        if (ok && i % 3 == 0)
            ok = plain ? d == plain : (plain = d) != NULL;
        bool seen = false;
        for (size_t j = 0; ok && j < i && !seen; j++)
            seen = include[j].repr == include[i].repr;
        distinct += !seen;
        FT_CHECK_MSG(ok, "entry %zu", i);
    }
    ft_session_free(s);
    FT_CHECK(ok);
    FT_CHECK_MSG(distinct > 500, "only %zu distinct include sets", distinct);
}

/* What a kind's own fields leave: the rest of the entry is zero (session.h). */
static bool no_dispatch_fields(const ft_evidence_t *e) {
    const ft_scalar_t *v = &e->value;
    return !e->op && !e->decision && e->lhs == 0 && e->rhs == 0 && e->out == 0 && v->value == 0 && v->dtype == 0 &&
           v->device == 0 && !v->requires_grad && v->tape_var == 0 && !v->inference;
}

static bool no_backward_fields(const ft_evidence_t *e) {
    return e->root == 0 && !e->retain_graph && e->steps == 0 && !e->order && e->grad_count == 0 && !e->grad_vars &&
           !e->grads;
}

/* Two identical calls that fail after routing: the second's decision, which the
 * ledger keeps already, is left written (not zero: its status is not FT_OK) in
 * the arena's free room, where FT_LEDGER_KEEP_ALL builds the next entry. */
static ft_status dirty_arena(ft_session_t *s, ft_var_t a, ft_var_t b) {
    ft_var_t r = 0;
    ft_session_call(s, "rsub", a, b, &r); /* strict: rejected */
    return ft_session_call(s, "rsub", a, b, &r);
}

/* Fields not of an entry's kind are zero also when the memory the entry is
 * built in was written before (entries that fail before routing and the
 * mode-change kinds fill in few fields of their own). */
static void session_entries_zero_other_kinds_fields(void) {
    ft_session_t *s;
    FT_CHECK_STATUS(ft_session_new(NULL, &s), FT_OK);
    ft_var_t a = 0, b = 0, r = 0;
    ft_status st = ft_session_leaf(s, 1, FT_DTYPE_F64, true, &a);
    st = st ? st : ft_session_leaf(s, 2, FT_DTYPE_F64, true, &b);
    const ft_status dirty1 = dirty_arena(s, a, b);
    const ft_status grad = ft_session_set_grad_mode(s, false);
    const ft_status dirty2 = dirty_arena(s, a, b);
    const ft_status unknown = ft_session_call(s, "nope", a, b, &r);
    const ft_status dirty3 = dirty_arena(s, a, b);
    const ft_status inference = ft_session_set_inference_mode(s, true);
    const ft_status dirty4 = dirty_arena(s, a, b);
    const ft_status mode = ft_session_set_mode(s, FT_MODE_HARDENED);
    const ft_evidence_t *eg = ft_session_evidence_at(s, 2), *eu = ft_session_evidence_at(s, 5),
                        *ei = ft_session_evidence_at(s, 8), *em = ft_session_evidence_at(s, 11);
    bool ok = ft_session_evidence_count(s) == 12 && eg && eu && ei && em;
    ok = ok && eg->kind == FT_EVIDENCE_GRAD_MODE_CHANGE && no_dispatch_fields(eg) && no_backward_fields(eg);
    ok = ok && ei->kind == FT_EVIDENCE_INFERENCE_MODE_CHANGE && no_dispatch_fields(ei) && no_backward_fields(ei);
    ok = ok && em->kind == FT_EVIDENCE_MODE_CHANGE && no_dispatch_fields(em) && no_backward_fields(em);
    const ft_scalar_t *v = eu ? &eu->value : NULL;
    ok = ok && eu->kind == FT_EVIDENCE_DISPATCH && eu->lhs == a && eu->rhs == b && strcmp(eu->op, "nope") == 0 &&
         !eu->decision && eu->out == 0 && v->value == 0 && v->dtype == 0 && v->device == 0 && !v->requires_grad &&
         v->tape_var == 0 && !v->inference && eu->from == 0 && eu->to == 0 && no_backward_fields(eu);
    ft_session_free(s);
    FT_CHECK_STATUS(st, FT_OK);
    FT_CHECK_STATUS(dirty1, FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(dirty2, FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(dirty3, FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(dirty4, FT_ECOMPOSITE_REJECTED);
    FT_CHECK_STATUS(grad, FT_OK);
    FT_CHECK_STATUS(unknown, FT_EUNKNOWN_OP);
    FT_CHECK_STATUS(inference, FT_OK);
    FT_CHECK_STATUS(mode, FT_OK);
    FT_CHECK(ok);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(session_evidence_for_ops_and_backward),
        FT_CASE(session_logs_failures_and_grad_mode),
        FT_CASE(session_ledger_json_is_deterministic),
        FT_CASE(session_backward_entry_lists_reached_leaves),
        FT_CASE(session_ledger_policies_agree),
        FT_CASE(session_ledger_options_checked),
        FT_CASE(session_entries_share_identical_decisions),
        FT_CASE(session_call_op_takes_a_handle),
        FT_CASE(session_last_error_and_set_mode),
        FT_CASE(session_clear_tape_keeps_ids_unique),
        FT_CASE(session_kept_decisions_match_the_dispatcher),
        FT_CASE(session_entries_zero_other_kinds_fields),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
