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

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(session_evidence_for_ops_and_backward),
        FT_CASE(session_logs_failures_and_grad_mode),
        FT_CASE(session_ledger_json_is_deterministic),
        FT_CASE(session_backward_entry_lists_reached_leaves),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
