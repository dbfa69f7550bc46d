/* Ledger entries as one-line JSON, without a JSON library. Keys come in a fixed
 * order so the same session always renders the same bytes:
 *
 *   every entry:  seq, kind, status[, time]
 *   dispatch:     op[, mode, explicit_keyset, keyset_bits, effective_keyset_bits,
 *                 selected_key, backend_key, kernel, fallback_used, mode_split,
 *                 allowlist_id, reason_code, route[{key, source, tag,
 *                 fallthrough, kernel}]], lhs, rhs, out, value, dtype, requires_grad
 *                 (the bracketed part only when the call reached the dispatcher)
 *   backward:     root, retain_graph, steps, order[], grads[{var, value}]
 *   mode_change / grad_mode_change / inference_mode_change: from, to
 *
 * Strings follow the project's one JSON rule (ft/json_text.h: op and kernel
 * names come from users and need not be UTF-8); doubles are exact text
 * (ft_value_format); keysets are hex strings, because JSON readers such as jq
 * round integers above 2^53. */
#include <stdio.h>

#include "ft/session.h"
#include "text_buf.h"

static void key(ftp_text_t *t, const char *name) {
    ftp_text_str(t, ",\"");
    ftp_text_str(t, name);
    ftp_text_str(t, "\":");
}

static void field_str(ftp_text_t *t, const char *name, const char *value) {
    key(t, name);
    ftp_text_json(t, value);
}

static void field_bool(ftp_text_t *t, const char *name, bool value) {
    key(t, name);
    ftp_text_str(t, value ? "true" : "false");
}

static void field_u64(ftp_text_t *t, const char *name, unsigned long long value) {
    key(t, name);
    ftp_text_fmt(t, "%llu", value);
}

static void field_value(ftp_text_t *t, const char *name, double value) {
    char text[40];
    ft_value_format(value, text, sizeof text);
    field_str(t, name, text);
}

static void field_keyset(ftp_text_t *t, const char *name, ft_keyset_t ks) {
    char hex[19];
    field_str(t, name, ft_keyset_format_hex(ks, hex));
}

static void dispatch_fields(ftp_text_t *t, const ft_evidence_t *e) {
    const ft_decision_t *d = e->decision;
    field_str(t, "op", e->op);
    if (d) {
        field_str(t, "mode", ft_mode_name(d->mode));
        field_bool(t, "explicit_keyset", d->explicit_keyset);
        field_keyset(t, "keyset_bits", d->keyset);
        field_keyset(t, "effective_keyset_bits", d->effective_keyset);
        field_str(t, "selected_key", ft_key_name(d->selected_key));
        field_str(t, "backend_key", ft_key_name(d->backend_key));
        field_str(t, "kernel", d->kernel);
        field_bool(t, "fallback_used", d->fallback_used);
        field_str(t, "mode_split", ft_mode_split_name(d->mode_split));
        field_str(t, "allowlist_id", d->allowlist_id);
        field_str(t, "reason_code", ft_status_code(d->status));
        key(t, "route");
        ftp_text_str(t, "[");
        for (size_t i = 0; i < d->hop_count; i++) {
            const ft_hop_t *h = &d->hops[i];
            ftp_text_str(t, i ? ",{\"key\":" : "{\"key\":");
            ftp_text_json(t, ft_key_name(h->key));
            field_str(t, "source", ft_table_source_name(h->tag, h->source));
            field_str(t, "tag", ft_table_tag_name(h->tag));
            field_bool(t, "fallthrough", h->fallthrough);
            field_str(t, "kernel", h->kernel_name);
            ftp_text_str(t, "}");
        }
        ftp_text_str(t, "]");
    }
    field_u64(t, "lhs", e->lhs);
    field_u64(t, "rhs", e->rhs);
    if (e->status == FT_OK) {
        field_u64(t, "out", e->out);
        field_value(t, "value", e->value.value);
        field_str(t, "dtype", ft_dtype_name(e->value.dtype));
        field_bool(t, "requires_grad", e->value.requires_grad);
    } else {
        ftp_text_str(t, ",\"out\":null,\"value\":null,\"dtype\":null,\"requires_grad\":null");
    }
}

static void backward_fields(ftp_text_t *t, const ft_evidence_t *e) {
    field_u64(t, "root", e->root);
    field_bool(t, "retain_graph", e->retain_graph);
    field_u64(t, "steps", e->steps);
    key(t, "order");
    ftp_text_str(t, "[");
    for (size_t i = 0; i < e->steps; i++)
        ftp_text_fmt(t, i ? ",%u" : "%u", (unsigned)e->order[i]);
    ftp_text_str(t, "]");
    key(t, "grads");
    ftp_text_str(t, "[");
    for (size_t i = 0; i < e->grad_count; i++) {
        ftp_text_fmt(t, i ? ",{\"var\":%u" : "{\"var\":%u", (unsigned)e->grad_vars[i]);
        field_value(t, "value", e->grads[i]);
        ftp_text_str(t, "}");
    }
    ftp_text_str(t, "]");
}

size_t ft_evidence_json(const ft_evidence_t *e, char *buf, size_t cap) {
    ftp_text_t t = ftp_text_init(buf, cap);
    if (!e)
        return 0;
    ftp_text_fmt(&t, "{\"seq\":%llu", (unsigned long long)e->seq);
    field_str(&t, "kind", ft_evidence_kind_name(e->kind));
    field_str(&t, "status", ft_status_code(e->status));
    if (e->has_time) {
        key(&t, "time");
        ftp_text_fmt(&t, "%lld", (long long)e->time);
    }
    switch (e->kind) {
    case FT_EVIDENCE_DISPATCH:
        dispatch_fields(&t, e);
        break;
    case FT_EVIDENCE_BACKWARD:
        backward_fields(&t, e);
        break;
    case FT_EVIDENCE_MODE_CHANGE:
        field_str(&t, "from", ft_mode_name((ft_mode_t)e->from));
        field_str(&t, "to", ft_mode_name((ft_mode_t)e->to));
        break;
    case FT_EVIDENCE_GRAD_MODE_CHANGE:
    case FT_EVIDENCE_INFERENCE_MODE_CHANGE:
        field_bool(&t, "from", e->from != 0);
        field_bool(&t, "to", e->to != 0);
        break;
    }
    ftp_text_str(&t, "}");
    return t.len;
}
