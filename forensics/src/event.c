/* ft-forensics-v1 records: checking, rendering (no JSON library, no allocation:
 * the writer's hot path), parsing untrusted lines (jansson, then field by
 * field), and mapping libft ledger entries to events.
 *
 * Key order is DESIGN.md's and lives in exactly two places: render_event /
 * render_run below. The parser does not require that order (any JSON object
 * with the right members is a record) but accepts no unknown member, so every
 * line it accepts renders back to the same members. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/json_text.h"
#include "ft/key.h"
#include "ft/op.h"
#include "ft/status.h"
#include "ftf/event.h"
#include "json_scan.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const outcome_names[] = {"pass", "fail", "allowlisted", "skipped", "crash"};
static const char *const engine_names[] = {"libfuzzer", "afl", "replay"};
static const char *const record_error_names[] = {
    "ok",
    "line_too_long",
    "not_json",
    "invalid_utf8",
    "duplicate_key",
    "too_deep",
    "number_overflow",
    "not_object",
    "unsupported_version",
    "unknown_kind",
    "missing_field",
    "wrong_type",
    "bad_value",
    "unknown_field",
    "out_of_memory",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(COUNT(record_error_names) == FTF_RECORD_OUT_OF_MEMORY + 1, "every ftf_record_error needs a name");

static int name_index(const char *const *names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *ftf_outcome_name(ftf_outcome_t outcome) {
    return (unsigned)outcome < COUNT(outcome_names) ? outcome_names[outcome] : NULL;
}

ftf_status ftf_outcome_from_name(const char *name, ftf_outcome_t *out) {
    if (!name || !out)
        return FTF_EINVALID_ARGUMENT;
    const int i = name_index(outcome_names, COUNT(outcome_names), name);
    if (i < 0)
        return FTF_EINVALID_ARGUMENT;
    *out = (ftf_outcome_t)i;
    return FTF_OK;
}

const char *ftf_fuzz_engine_name(ftf_fuzz_engine_t engine) {
    return (unsigned)engine < COUNT(engine_names) ? engine_names[engine] : NULL;
}

ftf_status ftf_fuzz_engine_from_name(const char *name, ftf_fuzz_engine_t *out) {
    if (!name || !out)
        return FTF_EINVALID_ARGUMENT;
    const int i = name_index(engine_names, COUNT(engine_names), name);
    if (i < 0)
        return FTF_EINVALID_ARGUMENT;
    *out = (ftf_fuzz_engine_t)i;
    return FTF_OK;
}

const char *ftf_record_error_name(ftf_record_error_t e) {
    return (unsigned)e < COUNT(record_error_names) ? record_error_names[e] : "invalid_record_error";
}

/* ---- shared value checks (the render side and the parse side use the same) -- */

static bool nonempty(const char *s) {
    return s && s[0];
}

static bool all_lower_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

static bool sha1_hex_valid(const char *s) {
    return s && strlen(s) == 40 && all_lower_hex(s, 40);
}

/* RFC 4648 base64 with padding; the empty string is the empty input. */
static bool base64_valid(const char *s) {
    const size_t n = strlen(s);
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        const bool alpha =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (alpha)
            continue;
        /* '=' only in the last two places, and only followed by '=' */
        if (c != '=' || i + 2 < n || (i + 1 < n && s[i + 1] != '='))
            return false;
    }
    return true;
}

static bool timestamp_valid(const char *s) {
    /* YYYY-MM-DDTHH:MM:SSZ */
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!s || strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return false;
    }
    return true;
}

static bool mode_valid(ft_mode_t m) {
    return m == FT_MODE_STRICT || m == FT_MODE_HARDENED;
}

static bool mode_split_valid(ft_mode_split_t s) {
    return s == FT_SPLIT_NONE || s == FT_SPLIT_STRICT_FAIL || s == FT_SPLIT_HARDENED_FALLBACK;
}

/* A raw JSON member must be exactly one JSON value (else text like
 * `1,"outcome":"pass"` would inject keys into the line), on one line, in valid
 * UTF-8 (json_scan.h validates as jansson would, without a parse). */
static bool raw_json_ok(const char *s) {
    if (!nonempty(s))
        return false;
    const size_t n = strlen(s);
    if (memchr(s, '\n', n))
        return false;
    const int r = ftfp_json_check(s, s + n);
    if (r >= 0)
        return r == 1;
    json_error_t je; /* rare: many keys or escaped keys; let the parser rule on duplicates */
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    json_decref(v);
    return v != NULL;
}

static bool first_non_ws_is(const char *s, char c) {
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    return *s == c;
}

static bool str_array_ok(const char *const *a, size_t n) {
    if (n && !a)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!a[i])
            return false;
    return true;
}

static ftf_status check_event_structure(const ftf_event_t *ev) {
    if (!ev)
        return FTF_EINVALID_ARGUMENT;
    if (!ev->run_id || !ftf_run_id_valid(ev->run_id, strlen(ev->run_id)) || ev->seq > FTF_SEQ_MAX ||
        !nonempty(ev->suite_id) || !nonempty(ev->packet_id) || !mode_valid(ev->mode) || !ev->env_fingerprint ||
        !ftf_env_fingerprint_valid(ev->env_fingerprint, strlen(ev->env_fingerprint)) ||
        !str_array_ok(ev->artifact_refs, ev->artifact_ref_count) || !ev->replay_command ||
        !ftf_outcome_name(ev->outcome) || !nonempty(ev->reason_code))
        return FTF_EBAD_RECORD;
    if (!ftf_scenario_id_valid(ev->scenario_id))
        return FTF_EINVALID_SCENARIO_ID;
    if (ev->has_dispatch) {
        const ftf_dispatch_fields_t *d = &ev->dispatch;
        if (!nonempty(d->op) || !nonempty(d->selected_key) || !nonempty(d->backend_key) ||
            !mode_split_valid(d->mode_split) || d->route_count > FTF_ROUTE_MAX_HOPS)
            return FTF_EBAD_RECORD;
        for (size_t i = 0; i < d->route_count; i++)
            if (!nonempty(d->route[i].key) || !nonempty(d->route[i].source) || !nonempty(d->route[i].tag))
                return FTF_EBAD_RECORD;
    }
    if (ev->has_differential) {
        const ftf_differential_fields_t *x = &ev->differential;
        if (!nonempty(x->comparator) || !raw_json_ok(x->expected) || !raw_json_ok(x->observed))
            return FTF_EBAD_RECORD;
    }
    /* every event carries what it ran, so it replays without any other file */
    if (!ev->scenario || !raw_json_ok(ev->scenario) || !first_non_ws_is(ev->scenario, '{'))
        return FTF_EBAD_RECORD;
    if (ev->has_fuzz) {
        const ftf_fuzz_fields_t *f = &ev->fuzz;
        if (!nonempty(f->target) || !ftf_fuzz_engine_name(f->engine) || !sha1_hex_valid(f->input_sha1) ||
            (f->input_b64 != NULL) == (f->input_ref != NULL) || (f->input_b64 && !base64_valid(f->input_b64)) ||
            (f->input_ref && !nonempty(f->input_ref)))
            return FTF_EBAD_RECORD;
    }
    return FTF_OK;
}

static ftf_status check_run_structure(const ftf_run_header_t *h) {
    if (!h)
        return FTF_EINVALID_ARGUMENT;
    if (!h->run_id || !ftf_run_id_valid(h->run_id, strlen(h->run_id)) || !timestamp_valid(h->start_time) ||
        !str_array_ok(h->argv, h->argc) || !nonempty(h->tool) || !nonempty(h->tool_version) ||
        !nonempty(h->libft_version) || !h->env_fingerprint ||
        !ftf_env_fingerprint_valid(h->env_fingerprint, strlen(h->env_fingerprint)))
        return FTF_EBAD_RECORD;
    return FTF_OK;
}

/* ---- rendering ----------------------------------------------------------- */

/* snprintf-style sink: copies what fits, counts everything. */
typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static inline void put(out_t *o, const char *s, size_t n) {
    if (o->cap - o->len >= n && o->len < o->cap) {
        memcpy(o->buf + o->len, s, n);
    } else if (o->len < o->cap) {
        memcpy(o->buf + o->len, s, o->cap - o->len);
    }
    o->len += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static inline void put_char(out_t *o, char c) {
    if (o->len < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

/* s as a JSON string by the project's one rule (ft/json_text.h): caller bytes
 * that are not UTF-8 are escaped, never dropped, so a record always renders. */
static void put_json_str(out_t *o, const char *s) {
    const bool room = o->len < o->cap;
    o->len += ft_json_string(s, strlen(s), room ? o->buf + o->len : NULL, room ? o->cap - o->len : 0);
}

static void put_json_str_or_null(out_t *o, const char *s) {
    if (s)
        put_json_str(o, s);
    else
        PUT_LIT(o, "null");
}

static void put_u64_dec(out_t *o, uint64_t v) {
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + i, sizeof tmp - i);
}

/* "0x" + lowercase hex without leading zeros ("0x0"), in quotes: libft's keyset form. */
static void put_hex_str(out_t *o, uint64_t v) {
    static const char hex[] = "0123456789abcdef";
    char tmp[20];
    size_t i = sizeof tmp;
    tmp[--i] = '"';
    do {
        tmp[--i] = hex[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    tmp[--i] = '"';
    put(o, tmp + i, sizeof tmp - i);
}

static void put_bool(out_t *o, bool v) {
    if (v)
        PUT_LIT(o, "true");
    else
        PUT_LIT(o, "false");
}

static void put_str_array(out_t *o, const char *const *a, size_t n) {
    put_char(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_char(o, ',');
        put_json_str(o, a[i]);
    }
    put_char(o, ']');
}

static void put_raw(out_t *o, const char *s) {
    put(o, s, strlen(s));
}

static void render_event(out_t *o, const ftf_event_t *ev) {
    PUT_LIT(o, "{\"record\":\"event\",\"schema_version\":\"" FTF_SCHEMA_VERSION "\",\"run_id\":");
    put_json_str(o, ev->run_id);
    PUT_LIT(o, ",\"seq\":");
    put_u64_dec(o, ev->seq);
    PUT_LIT(o, ",\"suite_id\":");
    put_json_str(o, ev->suite_id);
    PUT_LIT(o, ",\"scenario_id\":");
    put_json_str(o, ev->scenario_id);
    PUT_LIT(o, ",\"packet_id\":");
    put_json_str(o, ev->packet_id);
    if (ev->mode == FT_MODE_STRICT)
        PUT_LIT(o, ",\"mode\":\"strict\",\"seed\":");
    else
        PUT_LIT(o, ",\"mode\":\"hardened\",\"seed\":");
    put_hex_str(o, ev->seed);
    PUT_LIT(o, ",\"env_fingerprint\":");
    put_json_str(o, ev->env_fingerprint);
    PUT_LIT(o, ",\"artifact_refs\":");
    put_str_array(o, ev->artifact_refs, ev->artifact_ref_count);
    PUT_LIT(o, ",\"replay_command\":");
    put_json_str(o, ev->replay_command);
    PUT_LIT(o, ",\"outcome\":\"");
    put_raw(o, ftf_outcome_name(ev->outcome));
    PUT_LIT(o, "\",\"reason_code\":");
    put_json_str(o, ev->reason_code);

    if (ev->has_dispatch) {
        const ftf_dispatch_fields_t *d = &ev->dispatch;
        PUT_LIT(o, ",\"op\":");
        put_json_str(o, d->op);
        PUT_LIT(o, ",\"selected_key\":");
        put_json_str(o, d->selected_key);
        PUT_LIT(o, ",\"backend_key\":");
        put_json_str(o, d->backend_key);
        PUT_LIT(o, ",\"kernel\":");
        put_json_str_or_null(o, d->kernel);
        PUT_LIT(o, ",\"keyset_bits\":");
        put_hex_str(o, d->keyset_bits);
        PUT_LIT(o, ",\"fallback_used\":");
        put_bool(o, d->fallback_used);
        PUT_LIT(o, ",\"mode_split\":\"");
        put_raw(o, ft_mode_split_name(d->mode_split));
        PUT_LIT(o, "\",\"route\":[");
        for (size_t i = 0; i < d->route_count; i++) {
            const ftf_route_hop_t *h = &d->route[i];
            if (i)
                put_char(o, ',');
            PUT_LIT(o, "{\"key\":");
            put_json_str(o, h->key);
            PUT_LIT(o, ",\"source\":");
            put_json_str(o, h->source);
            PUT_LIT(o, ",\"tag\":");
            put_json_str(o, h->tag);
            PUT_LIT(o, ",\"fallthrough\":");
            put_bool(o, h->fallthrough);
            PUT_LIT(o, ",\"kernel\":");
            put_json_str_or_null(o, h->kernel);
            put_char(o, '}');
        }
        put_char(o, ']');
    }
    if (ev->has_differential) {
        const ftf_differential_fields_t *x = &ev->differential;
        PUT_LIT(o, ",\"comparator\":");
        put_json_str(o, x->comparator);
        PUT_LIT(o, ",\"drift_id\":");
        put_json_str_or_null(o, x->drift_id);
        PUT_LIT(o, ",\"allowlisted\":");
        put_bool(o, x->allowlisted);
        PUT_LIT(o, ",\"expected\":");
        put_raw(o, x->expected);
        PUT_LIT(o, ",\"observed\":");
        put_raw(o, x->observed);
    }
    if (ev->scenario) {
        PUT_LIT(o, ",\"scenario\":");
        put_raw(o, ev->scenario);
    }
    if (ev->has_fuzz) {
        const ftf_fuzz_fields_t *f = &ev->fuzz;
        PUT_LIT(o, ",\"target\":");
        put_json_str(o, f->target);
        PUT_LIT(o, ",\"engine\":\"");
        put_raw(o, ftf_fuzz_engine_name(f->engine));
        PUT_LIT(o, "\",\"input_sha1\":");
        put_json_str(o, f->input_sha1);
        if (f->input_b64) {
            PUT_LIT(o, ",\"input_b64\":");
            put_json_str(o, f->input_b64);
        } else {
            PUT_LIT(o, ",\"input_ref\":");
            put_json_str(o, f->input_ref);
        }
        PUT_LIT(o, ",\"crash_type\":");
        put_json_str_or_null(o, f->crash_type);
        PUT_LIT(o, ",\"crash_state\":");
        put_json_str_or_null(o, f->crash_state);
    }
    put_char(o, '}');
}

static void render_run(out_t *o, const ftf_run_header_t *h) {
    PUT_LIT(o, "{\"record\":\"run\",\"schema_version\":\"" FTF_SCHEMA_VERSION "\",\"run_id\":");
    put_json_str(o, h->run_id);
    PUT_LIT(o, ",\"start_time\":");
    put_json_str(o, h->start_time);
    PUT_LIT(o, ",\"argv\":");
    put_str_array(o, h->argv, h->argc);
    PUT_LIT(o, ",\"tool\":");
    put_json_str(o, h->tool);
    PUT_LIT(o, ",\"tool_version\":");
    put_json_str(o, h->tool_version);
    PUT_LIT(o, ",\"libft_version\":");
    put_json_str(o, h->libft_version);
    PUT_LIT(o, ",\"env_fingerprint\":");
    put_json_str(o, h->env_fingerprint);
    PUT_LIT(o, ",\"run_seed\":");
    put_hex_str(o, h->run_seed);
    put_char(o, '}');
}

static out_t out_init(char *buf, size_t cap) {
    out_t o = {buf && cap ? buf : NULL, buf ? cap : 0, 0};
    return o;
}

static size_t out_finish(out_t *o) {
    if (o->cap)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->len;
}

size_t ftf_event_render(const ftf_event_t *ev, char *buf, size_t cap) {
    out_t o = out_init(buf, cap);
    if (check_event_structure(ev) != FTF_OK) {
        out_finish(&o);
        return 0;
    }
    render_event(&o, ev);
    return out_finish(&o);
}

size_t ftf_run_header_render(const ftf_run_header_t *h, char *buf, size_t cap) {
    out_t o = out_init(buf, cap);
    if (check_run_structure(h) != FTF_OK) {
        out_finish(&o);
        return 0;
    }
    render_run(&o, h);
    return out_finish(&o);
}

ftf_status ftf_event_check(const ftf_event_t *ev) {
    const ftf_status st = check_event_structure(ev);
    if (st != FTF_OK)
        return st;
    return ftf_event_render(ev, NULL, 0) ? FTF_OK : FTF_EBAD_RECORD;
}

ftf_status ftf_run_header_check(const ftf_run_header_t *h) {
    const ftf_status st = check_run_structure(h);
    if (st != FTF_OK)
        return st;
    return ftf_run_header_render(h, NULL, 0) ? FTF_OK : FTF_EBAD_RECORD;
}

void ftf_event_init(ftf_event_t *ev) {
    if (ev)
        memset(ev, 0, sizeof *ev);
}

void ftf_run_header_init(ftf_run_header_t *h) {
    if (h)
        memset(h, 0, sizeof *h);
}

size_t ftf_base64_encode(const void *data, size_t len, char *buf, size_t cap) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    out_t o = out_init(buf, cap);
    for (size_t i = 0; i < len; i += 3) {
        const size_t k = len - i < 3 ? len - i : 3;
        const uint32_t v = (uint32_t)p[i] << 16 | (k > 1 ? (uint32_t)p[i + 1] << 8 : 0) | (k > 2 ? p[i + 2] : 0);
        const char quad[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63], k > 1 ? alphabet[(v >> 6) & 63] : '=',
                              k > 2 ? alphabet[v & 63] : '='};
        put(&o, quad, 4);
    }
    return out_finish(&o);
}

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

ftf_status ftf_base64_decode(const char *s, size_t n, ftf_buf_t *out) {
    if (!s || !out)
        return FTF_EINVALID_ARGUMENT;
    out->len = 0;
    if (n % 4)
        return FTF_EINVALID_ARGUMENT;
    if (ftf_buf_reserve(out, n / 4 * 3) != FTF_OK)
        return FTF_ENOMEM;
    uint8_t *o = (uint8_t *)out->data;
    size_t k = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        const int a = b64_value(s[i]), b = b64_value(s[i + 1]), c = b64_value(s[i + 2]), d = b64_value(s[i + 3]);
        /* '=' only as the last one or two characters */
        const bool last = i + 4 == n;
        if (a < 0 || b < 0 || (c < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '=')) ||
            (d < 0 && !(last && s[i + 3] == '=')))
            return FTF_EINVALID_ARGUMENT;
        const uint32_t v =
            (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 | (uint32_t)(d < 0 ? 0 : d);
        o[k++] = (uint8_t)(v >> 16);
        if (c >= 0)
            o[k++] = (uint8_t)(v >> 8);
        if (d >= 0)
            o[k++] = (uint8_t)v;
    }
    out->len = k;
    out->data[k] = '\0';
    return FTF_OK;
}

/* ---- growable buffer ------------------------------------------------------ */

void ftf_buf_dispose(ftf_buf_t *b) {
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

ftf_status ftf_buf_reserve(ftf_buf_t *b, size_t extra) {
    if (!b)
        return FTF_EINVALID_ARGUMENT;
    if (extra > SIZE_MAX - b->len - 1)
        return FTF_ENOMEM;
    const size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return FTF_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return FTF_ENOMEM;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';
    return FTF_OK;
}

ftf_status ftf_buf_append(ftf_buf_t *b, const void *data, size_t len) {
    if (!b || (!data && len))
        return FTF_EINVALID_ARGUMENT;
    const ftf_status st = ftf_buf_reserve(b, len);
    if (st != FTF_OK)
        return st;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return FTF_OK;
}

/* Renders straight into the free tail; a second pass after growing only when
 * the line did not fit, which is rare once the buffer has warmed up. */
typedef size_t (*render_fn_t)(const void *rec, char *buf, size_t cap);
typedef ftf_status (*check_fn_t)(const void *rec);

static ftf_status render_into(ftf_buf_t *b, const void *rec, render_fn_t render, check_fn_t check) {
    if (!b || !rec)
        return FTF_EINVALID_ARGUMENT;
    ftf_status st = ftf_buf_reserve(b, 0);
    if (st != FTF_OK)
        return st;
    const size_t n = render(rec, b->data + b->len, b->cap - b->len);
    if (n == 0) {
        b->data[b->len] = '\0';
        st = check(rec);
        return st != FTF_OK ? st : FTF_EBAD_RECORD;
    }
    if (n >= b->cap - b->len) {
        if ((st = ftf_buf_reserve(b, n)) != FTF_OK) {
            b->data[b->len] = '\0';
            return st;
        }
        render(rec, b->data + b->len, b->cap - b->len);
    }
    b->len += n;
    return FTF_OK;
}

static size_t render_event_fn(const void *rec, char *buf, size_t cap) {
    return ftf_event_render(rec, buf, cap);
}

static ftf_status check_event_fn(const void *rec) {
    return ftf_event_check(rec);
}

static size_t render_run_fn(const void *rec, char *buf, size_t cap) {
    return ftf_run_header_render(rec, buf, cap);
}

static ftf_status check_run_fn(const void *rec) {
    return ftf_run_header_check(rec);
}

ftf_status ftf_event_render_buf(const ftf_event_t *ev, ftf_buf_t *b) {
    return render_into(b, ev, render_event_fn, check_event_fn);
}

ftf_status ftf_run_header_render_buf(const ftf_run_header_t *h, ftf_buf_t *b) {
    return render_into(b, h, render_run_fn, check_run_fn);
}

/* ---- time ------------------------------------------------------------------ */

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): no
 * gmtime, so no dependence on the C library's time_t range or locale. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

ftf_status ftf_utc_timestamp(int64_t unix_seconds, char out[FTF_TIMESTAMP_SIZE]) {
    /* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
    if (!out || unix_seconds < INT64_C(-62167219200) || unix_seconds > INT64_C(253402300799))
        return FTF_EINVALID_ARGUMENT;
    int64_t days = unix_seconds / 86400, secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    const unsigned v[6] = {(unsigned)y,          m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                           (unsigned)(secs % 60)};
    char *p = out;
    p[0] = (char)('0' + v[0] / 1000);
    p[1] = (char)('0' + v[0] / 100 % 10);
    p[2] = (char)('0' + v[0] / 10 % 10);
    p[3] = (char)('0' + v[0] % 10);
    p += 4;
    static const char seps[] = "--T::Z";
    for (int i = 1; i < 6; i++) {
        *p++ = seps[i - 1];
        *p++ = (char)('0' + v[i] / 10);
        *p++ = (char)('0' + v[i] % 10);
    }
    *p++ = seps[5];
    *p = '\0';
    return FTF_OK;
}

/* ---- storage --------------------------------------------------------------- */

void ftf_event_storage_init(ftf_event_storage_t *st) {
    if (st)
        memset(st, 0, sizeof *st);
}

static void storage_release_json(ftf_event_storage_t *st) {
    if (st->json) {
        json_decref((json_t *)st->json);
        st->json = NULL;
    }
}

void ftf_event_storage_dispose(ftf_event_storage_t *st) {
    if (!st)
        return;
    storage_release_json(st);
    free(st->text);
    free((void *)st->strs);
    memset(st, 0, sizeof *st);
}

static ftf_status storage_text(ftf_event_storage_t *st, size_t need) {
    if (need <= st->text_cap)
        return FTF_OK;
    char *p = realloc(st->text, need);
    if (!p)
        return FTF_ENOMEM;
    st->text = p;
    st->text_cap = need;
    return FTF_OK;
}

static ftf_status storage_strs(ftf_event_storage_t *st, size_t need) {
    if (need <= st->strs_cap)
        return FTF_OK;
    if (need > SIZE_MAX / sizeof(const char *))
        return FTF_ENOMEM;
    const char **p = realloc((void *)st->strs, need * sizeof *p);
    if (!p)
        return FTF_ENOMEM;
    st->strs = p;
    st->strs_cap = need;
    return FTF_OK;
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
    ftf_parse_error_t *err; /* never NULL here: a local stands in for the caller's NULL */
    json_t *obj;            /* the object whose members are being read */
    size_t seen;            /* members of obj read so far */
    const char *prefix;     /* "route[2]." for hop members, "" otherwise */
} pctx_t;

static ftf_status status_of(ftf_record_error_t why) {
    switch (why) {
    case FTF_RECORD_OK:
        return FTF_OK;
    case FTF_RECORD_LINE_TOO_LONG:
        return FTF_ELINE_TOO_LONG;
    case FTF_RECORD_UNSUPPORTED_VERSION:
        return FTF_EUNSUPPORTED_VERSION;
    case FTF_RECORD_OUT_OF_MEMORY:
        return FTF_ENOMEM;
    default:
        return FTF_EBAD_RECORD;
    }
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
static ftf_status
fail(pctx_t *c, ftf_record_error_t why, const char *field, const char *fmt, ...) {
    ftf_parse_error_t *e = c->err;
    e->status = status_of(why);
    e->reason = why;
    snprintf(e->field, sizeof e->field, "%s%s", c->prefix ? c->prefix : "", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    return e->status;
}

static json_t *member(pctx_t *c, const char *key) {
    json_t *v = json_object_get(c->obj, key);
    if (v)
        c->seen++;
    return v;
}

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        const ftf_status try_st_ = (expr);                                                                             \
        if (try_st_ != FTF_OK)                                                                                         \
            return try_st_;                                                                                            \
    } while (0)

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

enum { REQUIRED = 0, NULLABLE = 1, NONEMPTY = 2 };

static ftf_status get_str(pctx_t *c, const char *key, int flags, const char **out) {
    json_t *v = member(c, key);
    if (!v)
        return fail(c, FTF_RECORD_MISSING_FIELD, key, "missing field \"%s%s\"", c->prefix, key);
    if (json_is_null(v) && (flags & NULLABLE)) {
        *out = NULL;
        return FTF_OK;
    }
    if (!json_is_string(v))
        return fail(c, FTF_RECORD_WRONG_TYPE, key, "field \"%s%s\" is %s, want a string%s", c->prefix, key,
                    type_name(v), (flags & NULLABLE) ? " or null" : "");
    *out = json_string_value(v);
    if ((flags & NONEMPTY) && !(*out)[0])
        return fail(c, FTF_RECORD_BAD_VALUE, key, "field \"%s%s\" is empty", c->prefix, key);
    return FTF_OK;
}

static ftf_status get_bool(pctx_t *c, const char *key, bool *out) {
    json_t *v = member(c, key);
    if (!v)
        return fail(c, FTF_RECORD_MISSING_FIELD, key, "missing field \"%s%s\"", c->prefix, key);
    if (!json_is_boolean(v))
        return fail(c, FTF_RECORD_WRONG_TYPE, key, "field \"%s%s\" is %s, want a boolean", c->prefix, key,
                    type_name(v));
    *out = json_is_true(v);
    return FTF_OK;
}

/* "0x" + 1..16 lowercase hex digits without leading zeros: the one spelling
 * render produces, so a parsed value renders back identically. */
static ftf_status get_hex(pctx_t *c, const char *key, uint64_t *out) {
    const char *s = NULL;
    TRY(get_str(c, key, REQUIRED, &s));
    const size_t n = strlen(s);
    if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x' || !all_lower_hex(s + 2, n - 2) || (n > 3 && s[2] == '0'))
        return fail(c, FTF_RECORD_BAD_VALUE, key, "field \"%s\" is not \"0x\" + lowercase hex without leading zeros",
                    key);
    uint64_t v = 0;
    for (size_t i = 2; i < n; i++)
        v = v << 4 | (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
    *out = v;
    return FTF_OK;
}

static ftf_status get_enum(pctx_t *c, const char *key, const char *const *names, size_t count, int *out) {
    const char *s = NULL;
    TRY(get_str(c, key, REQUIRED, &s));
    const int i = name_index(names, count, s);
    if (i < 0)
        return fail(c, FTF_RECORD_BAD_VALUE, key, "field \"%s\" has unknown value \"%.40s\"", key, s);
    *out = i;
    return FTF_OK;
}

static ftf_status get_str_array(pctx_t *c, const char *key, ftf_event_storage_t *st, size_t *used,
                                const char *const **out, size_t *count) {
    json_t *v = member(c, key);
    if (!v)
        return fail(c, FTF_RECORD_MISSING_FIELD, key, "missing field \"%s\"", key);
    if (!json_is_array(v))
        return fail(c, FTF_RECORD_WRONG_TYPE, key, "field \"%s\" is %s, want an array of strings", key, type_name(v));
    const size_t n = json_array_size(v);
    *out = NULL;
    *count = 0;
    if (n == 0)
        return FTF_OK;
    if (storage_strs(st, *used + n) != FTF_OK)
        return fail(c, FTF_RECORD_OUT_OF_MEMORY, key, "out of memory");
    const char **dst = st->strs + *used;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s))
            return fail(c, FTF_RECORD_WRONG_TYPE, key, "%s[%zu] is %s, want a string", key, i, type_name(s));
        dst[i] = json_string_value(s);
    }
    *out = dst;
    *count = n;
    *used += n;
    return FTF_OK;
}

/* ---- raw member spans ----------------------------------------------------
 * expected, observed and scenario are kept as the bytes of the line, not as
 * jansson re-serialises them (which would rewrite 0.1 as 0.10000000000000001).
 * The line has already passed jansson, so this scanner only has to find
 * boundaries in valid JSON; it still checks every index. */

/* Index-based views of the one JSON scanner (json_scan.h). */
static size_t skip_ws(const char *s, size_t i, size_t n) {
    return (size_t)(ftfp_json_skip_ws(s + i, s + n) - s);
}

/* From the opening quote at s[i]; the index after the closing quote, n if none. */
static size_t skip_string(const char *s, size_t i, size_t n) {
    const char *q = ftfp_json_skip_string(s + i, s + n);
    return q ? (size_t)(q - s) : n;
}

static size_t skip_value(const char *s, size_t i, size_t n) {
    const char *q = i < n ? ftfp_json_skip_value(s + i, s + n) : NULL;
    return q ? (size_t)(q - s) : n;
}

/* Does the raw key text (between the quotes) spell `want`? Decodes the escapes
 * an ASCII key can be written with, so "\u0065xpected" is "expected" here as it
 * is for jansson. */
static bool raw_key_is(const char *k, size_t n, const char *want) {
    size_t j = 0;
    for (size_t i = 0; i < n; j++) {
        char ch = k[i];
        if (ch == '\\' && i + 1 < n) {
            const char e = k[i + 1];
            if (e == 'u' && i + 6 <= n) {
                unsigned cp = 0;
                for (size_t t = i + 2; t < i + 6; t++) {
                    const char h = k[t];
                    cp = cp << 4 | (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                              : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                              : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                                     : 0);
                }
                if (cp == 0 || cp >= 0x80)
                    return false;
                ch = (char)cp;
                i += 6;
            } else {
                ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
                i += 2;
            }
        } else {
            i++;
        }
        if (!want[j] || want[j] != ch)
            return false;
    }
    return want[j] == '\0';
}

typedef struct {
    const char *name;
    size_t start, end; /* [start, end) in the line; end == 0: absent */
} raw_span_t;

static void find_raw_spans(const char *s, size_t n, raw_span_t *spans, size_t count) {
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return;
    i = skip_ws(s, i + 1, n);
    while (i < n && s[i] == '"') {
        const size_t kstart = i + 1, kend = skip_string(s, i, n);
        if (kend > n || kend < kstart + 1)
            return;
        i = skip_ws(s, kend, n);
        if (i >= n || s[i] != ':')
            return;
        i = skip_ws(s, i + 1, n);
        const size_t vstart = i, vend = skip_value(s, i, n);
        for (size_t k = 0; k < count; k++)
            if (raw_key_is(s + kstart, kend - 1 - kstart, spans[k].name)) {
                spans[k].start = vstart;
                spans[k].end = vend;
            }
        i = skip_ws(s, vend, n);
        if (i >= n || s[i] != ',')
            return;
        i = skip_ws(s, i + 1, n);
    }
}

/* ---- record fields ---------------------------------------------------------- */

static const char *const event_keys[] = {
    "record", "schema_version", "run_id", "seq", "suite_id", "scenario_id", "packet_id", "mode", "seed",
    "env_fingerprint", "artifact_refs", "replay_command", "outcome", "reason_code",
    /* dispatch */
    "op", "selected_key", "backend_key", "kernel", "keyset_bits", "fallback_used", "mode_split", "route",
    /* differential */
    "comparator", "drift_id", "allowlisted", "expected", "observed",
    /* scenario */
    "scenario",
    /* fuzz */
    "target", "engine", "input_sha1", "input_b64", "input_ref", "crash_type", "crash_state"};
enum { DISPATCH_FIRST = 14, DIFF_FIRST = 22, SCENARIO_KEY = 27, FUZZ_FIRST = 28, EVENT_KEY_COUNT = 35 };
_Static_assert(COUNT(event_keys) == EVENT_KEY_COUNT, "event key table");

static const char *const run_keys[] = {"record", "schema_version", "run_id",        "start_time",      "argv",
                                       "tool",   "tool_version",   "libft_version", "env_fingerprint", "run_seed"};
static const char *const hop_keys[] = {"key", "source", "tag", "fallthrough", "kernel"};

/* Any member present of keys[first, last)? */
static bool any_member(json_t *obj, const char *const *keys, size_t first, size_t last) {
    for (size_t i = first; i < last; i++)
        if (json_object_get(obj, keys[i]))
            return true;
    return false;
}

/* After reading every known member: anything left over is unknown. */
static ftf_status reject_unknown(pctx_t *c, const char *const *keys, size_t count) {
    if (json_object_size(c->obj) == c->seen)
        return FTF_OK;
    const char *key;
    json_t *v;
    json_object_foreach(c->obj, key, v) {
        (void)v;
        if (name_index(keys, count, key) < 0)
            return fail(c, FTF_RECORD_UNKNOWN_FIELD, key, "unknown field \"%s%.40s\"", c->prefix, key);
    }
    /* a known member of a group that was not read: a group without its lead key */
    return fail(c, FTF_RECORD_UNKNOWN_FIELD, "", "members outside any complete group");
}

static ftf_status parse_route(pctx_t *c, ftf_dispatch_fields_t *d) {
    json_t *v = member(c, "route");
    if (!v)
        return fail(c, FTF_RECORD_MISSING_FIELD, "route", "missing field \"route\"");
    if (!json_is_array(v))
        return fail(c, FTF_RECORD_WRONG_TYPE, "route", "field \"route\" is %s, want an array", type_name(v));
    const size_t n = json_array_size(v);
    if (n > FTF_ROUTE_MAX_HOPS)
        return fail(c, FTF_RECORD_BAD_VALUE, "route", "route has %zu hops, at most %d allowed", n, FTF_ROUTE_MAX_HOPS);
    for (size_t i = 0; i < n; i++) {
        char prefix[24];
        snprintf(prefix, sizeof prefix, "route[%zu].", i);
        json_t *hop = json_array_get(v, i);
        pctx_t hc = {c->err, hop, 0, prefix};
        if (!json_is_object(hop)) {
            hc.prefix = "";
            snprintf(prefix, sizeof prefix, "route[%zu]", i);
            return fail(&hc, FTF_RECORD_WRONG_TYPE, prefix, "%s is %s, want an object", prefix, type_name(hop));
        }
        ftf_route_hop_t *h = &d->route[i];
        TRY(get_str(&hc, "key", NONEMPTY, &h->key));
        TRY(get_str(&hc, "source", NONEMPTY, &h->source));
        TRY(get_str(&hc, "tag", NONEMPTY, &h->tag));
        TRY(get_bool(&hc, "fallthrough", &h->fallthrough));
        TRY(get_str(&hc, "kernel", NULLABLE, &h->kernel));
        TRY(reject_unknown(&hc, hop_keys, COUNT(hop_keys)));
    }
    d->route_count = n;
    return FTF_OK;
}

static ftf_status parse_dispatch(pctx_t *c, ftf_dispatch_fields_t *d) {
    TRY(get_str(c, "op", NONEMPTY, &d->op));
    TRY(get_str(c, "selected_key", NONEMPTY, &d->selected_key));
    TRY(get_str(c, "backend_key", NONEMPTY, &d->backend_key));
    TRY(get_str(c, "kernel", NULLABLE, &d->kernel));
    TRY(get_hex(c, "keyset_bits", &d->keyset_bits));
    TRY(get_bool(c, "fallback_used", &d->fallback_used));
    static const char *const splits[] = {"none", "strict_fail", "hardened_fallback"};
    int split = 0;
    TRY(get_enum(c, "mode_split", splits, COUNT(splits), &split));
    d->mode_split = split == 0 ? FT_SPLIT_NONE : split == 1 ? FT_SPLIT_STRICT_FAIL : FT_SPLIT_HARDENED_FALLBACK;
    return parse_route(c, d);
}

/* Copies the raw bytes of member `name` into storage text at *used. */
static ftf_status take_raw(pctx_t *c, const char *line, const raw_span_t *span, ftf_event_storage_t *st, size_t *used,
                           const char **out) {
    if (!span->end || span->end <= span->start)
        return fail(c, FTF_RECORD_BAD_VALUE, span->name, "cannot delimit member \"%s\"", span->name);
    const size_t n = span->end - span->start;
    memcpy(st->text + *used, line + span->start, n);
    st->text[*used + n] = '\0';
    *out = st->text + *used;
    *used += n + 1;
    return FTF_OK;
}

static ftf_status parse_fuzz(pctx_t *c, ftf_fuzz_fields_t *f) {
    TRY(get_str(c, "target", NONEMPTY, &f->target));
    int engine = 0;
    TRY(get_enum(c, "engine", engine_names, COUNT(engine_names), &engine));
    f->engine = (ftf_fuzz_engine_t)engine;
    TRY(get_str(c, "input_sha1", REQUIRED, &f->input_sha1));
    if (!sha1_hex_valid(f->input_sha1))
        return fail(c, FTF_RECORD_BAD_VALUE, "input_sha1", "field \"input_sha1\" is not 40 lowercase hex digits");
    const bool has_b64 = json_object_get(c->obj, "input_b64") != NULL;
    const bool has_ref = json_object_get(c->obj, "input_ref") != NULL;
    if (has_b64 == has_ref)
        return has_b64 ? fail(c, FTF_RECORD_BAD_VALUE, "input_ref", "both \"input_b64\" and \"input_ref\"")
                       : fail(c, FTF_RECORD_MISSING_FIELD, "input_b64", "missing field \"input_b64\" or \"input_ref\"");
    f->input_b64 = f->input_ref = NULL;
    if (has_b64) {
        TRY(get_str(c, "input_b64", REQUIRED, &f->input_b64));
        if (!base64_valid(f->input_b64))
            return fail(c, FTF_RECORD_BAD_VALUE, "input_b64", "field \"input_b64\" is not padded base64");
    } else {
        TRY(get_str(c, "input_ref", NONEMPTY, &f->input_ref));
    }
    TRY(get_str(c, "crash_type", NULLABLE, &f->crash_type));
    return get_str(c, "crash_state", NULLABLE, &f->crash_state);
}

static ftf_status parse_event(pctx_t *c, const char *line, size_t len, ftf_event_t *ev, ftf_event_storage_t *st) {
    ftf_event_init(ev);
    size_t strs_used = 0, text_used = 0;
    TRY(get_str(c, "run_id", REQUIRED, &ev->run_id));
    if (!ftf_run_id_valid(ev->run_id, strlen(ev->run_id)))
        return fail(c, FTF_RECORD_BAD_VALUE, "run_id", "field \"run_id\" is not run-<16 lowercase hex>");
    json_t *seq = member(c, "seq");
    if (!seq)
        return fail(c, FTF_RECORD_MISSING_FIELD, "seq", "missing field \"seq\"");
    if (!json_is_integer(seq))
        return fail(c, FTF_RECORD_WRONG_TYPE, "seq", "field \"seq\" is %s, want an integer", type_name(seq));
    const json_int_t seqv = json_integer_value(seq);
    if (seqv < 0 || (uint64_t)seqv > FTF_SEQ_MAX)
        return fail(c, FTF_RECORD_BAD_VALUE, "seq", "field \"seq\" is out of range 0..2^53-1");
    ev->seq = (uint64_t)seqv;
    TRY(get_str(c, "suite_id", NONEMPTY, &ev->suite_id));
    TRY(get_str(c, "scenario_id", REQUIRED, &ev->scenario_id));
    if (!ftf_scenario_id_valid(ev->scenario_id))
        return fail(c, FTF_RECORD_BAD_VALUE, "scenario_id", "field \"scenario_id\" is not a valid scenario id");
    TRY(get_str(c, "packet_id", NONEMPTY, &ev->packet_id));
    static const char *const modes[] = {"strict", "hardened"};
    int mode = 0;
    TRY(get_enum(c, "mode", modes, COUNT(modes), &mode));
    ev->mode = mode ? FT_MODE_HARDENED : FT_MODE_STRICT;
    TRY(get_hex(c, "seed", &ev->seed));
    TRY(get_str(c, "env_fingerprint", REQUIRED, &ev->env_fingerprint));
    if (!ftf_env_fingerprint_valid(ev->env_fingerprint, strlen(ev->env_fingerprint)))
        return fail(c, FTF_RECORD_BAD_VALUE, "env_fingerprint",
                    "field \"env_fingerprint\" is not det64:<16 lowercase hex>");
    TRY(get_str_array(c, "artifact_refs", st, &strs_used, &ev->artifact_refs, &ev->artifact_ref_count));
    TRY(get_str(c, "replay_command", REQUIRED, &ev->replay_command));
    int outcome = 0;
    TRY(get_enum(c, "outcome", outcome_names, COUNT(outcome_names), &outcome));
    ev->outcome = (ftf_outcome_t)outcome;
    TRY(get_str(c, "reason_code", NONEMPTY, &ev->reason_code));

    raw_span_t spans[3] = {{"expected", 0, 0}, {"observed", 0, 0}, {"scenario", 0, 0}};
    const bool has_diff = any_member(c->obj, event_keys, DIFF_FIRST, SCENARIO_KEY);
    json_t *scenario = json_object_get(c->obj, "scenario");
    if (has_diff || scenario) {
        find_raw_spans(line, len, spans, COUNT(spans));
        /* the three texts are disjoint pieces of the line, each plus a NUL */
        if (storage_text(st, len + COUNT(spans)) != FTF_OK)
            return fail(c, FTF_RECORD_OUT_OF_MEMORY, "", "out of memory");
    }

    if ((ev->has_dispatch = any_member(c->obj, event_keys, DISPATCH_FIRST, DIFF_FIRST)))
        TRY(parse_dispatch(c, &ev->dispatch));
    if ((ev->has_differential = has_diff)) {
        ftf_differential_fields_t *x = &ev->differential;
        TRY(get_str(c, "comparator", NONEMPTY, &x->comparator));
        TRY(get_str(c, "drift_id", NULLABLE, &x->drift_id));
        TRY(get_bool(c, "allowlisted", &x->allowlisted));
        if (!member(c, "expected"))
            return fail(c, FTF_RECORD_MISSING_FIELD, "expected", "missing field \"expected\"");
        TRY(take_raw(c, line, &spans[0], st, &text_used, &x->expected));
        if (!member(c, "observed"))
            return fail(c, FTF_RECORD_MISSING_FIELD, "observed", "missing field \"observed\"");
        TRY(take_raw(c, line, &spans[1], st, &text_used, &x->observed));
    }
    if (!scenario)
        return fail(c, FTF_RECORD_MISSING_FIELD, "scenario", "missing field \"scenario\"");
    {
        c->seen++;
        if (!json_is_object(scenario))
            return fail(c, FTF_RECORD_WRONG_TYPE, "scenario", "field \"scenario\" is %s, want an object",
                        type_name(scenario));
        TRY(take_raw(c, line, &spans[2], st, &text_used, &ev->scenario));
    }
    if ((ev->has_fuzz = any_member(c->obj, event_keys, FUZZ_FIRST, EVENT_KEY_COUNT)))
        TRY(parse_fuzz(c, &ev->fuzz));
    return reject_unknown(c, event_keys, COUNT(event_keys));
}

static ftf_status parse_run(pctx_t *c, ftf_run_header_t *h, ftf_event_storage_t *st) {
    ftf_run_header_init(h);
    size_t strs_used = 0;
    TRY(get_str(c, "run_id", REQUIRED, &h->run_id));
    if (!ftf_run_id_valid(h->run_id, strlen(h->run_id)))
        return fail(c, FTF_RECORD_BAD_VALUE, "run_id", "field \"run_id\" is not run-<16 lowercase hex>");
    TRY(get_str(c, "start_time", REQUIRED, &h->start_time));
    if (!timestamp_valid(h->start_time))
        return fail(c, FTF_RECORD_BAD_VALUE, "start_time", "field \"start_time\" is not YYYY-MM-DDTHH:MM:SSZ");
    TRY(get_str_array(c, "argv", st, &strs_used, &h->argv, &h->argc));
    TRY(get_str(c, "tool", NONEMPTY, &h->tool));
    TRY(get_str(c, "tool_version", NONEMPTY, &h->tool_version));
    TRY(get_str(c, "libft_version", NONEMPTY, &h->libft_version));
    TRY(get_str(c, "env_fingerprint", REQUIRED, &h->env_fingerprint));
    if (!ftf_env_fingerprint_valid(h->env_fingerprint, strlen(h->env_fingerprint)))
        return fail(c, FTF_RECORD_BAD_VALUE, "env_fingerprint",
                    "field \"env_fingerprint\" is not det64:<16 lowercase hex>");
    TRY(get_hex(c, "run_seed", &h->run_seed));
    return reject_unknown(c, run_keys, COUNT(run_keys));
}

static ftf_record_error_t json_error_reason(const json_error_t *je) {
    switch (json_error_code(je)) {
    case json_error_out_of_memory:
        return FTF_RECORD_OUT_OF_MEMORY;
    case json_error_stack_overflow:
        return FTF_RECORD_TOO_DEEP;
    case json_error_invalid_utf8:
        return FTF_RECORD_INVALID_UTF8;
    case json_error_duplicate_key:
        return FTF_RECORD_DUPLICATE_KEY;
    case json_error_numeric_overflow:
        return FTF_RECORD_NUMBER_OVERFLOW;
    default:
        return FTF_RECORD_NOT_JSON;
    }
}

static ftf_status parse_record(const char *line, size_t len, ftf_record_t *out, ftf_event_storage_t *st,
                               ftf_parse_error_t *err, bool events_only) {
    ftf_parse_error_t local;
    pctx_t c = {err ? err : &local, NULL, 0, ""};
    memset(c.err, 0, sizeof *c.err);
    if ((!line && len) || !out || !st)
        return c.err->status = FTF_EINVALID_ARGUMENT;
    storage_release_json(st);
    if (len > FTF_RECORD_MAX_LEN)
        return fail(&c, FTF_RECORD_LINE_TOO_LONG, "", "line is %zu bytes, longer than the limit of %u", len,
                    FTF_RECORD_MAX_LEN);
    /* A record is one line of text: jansson would accept a NUL after a number
     * (and cut raw members there) and newlines as whitespace, but the renderer
     * could then not reproduce the line. */
    if (line && memchr(line, '\0', len))
        return fail(&c, FTF_RECORD_NOT_JSON, "", "%s", "NUL byte in the record");
    if (line && memchr(line, '\n', len))
        return fail(&c, FTF_RECORD_NOT_JSON, "", "%s", "newline inside the record (a record is one line)");

    json_error_t je;
    json_t *root = json_loadb(line ? line : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        const ftf_status s = fail(&c, json_error_reason(&je), "", "%s", je.text);
        c.err->position = (size_t)je.position;
        return s;
    }
    st->json = root;
    c.obj = root;
    if (!json_is_object(root))
        return fail(&c, FTF_RECORD_NOT_OBJECT, "", "record is %s, want an object", type_name(root));

    /* schema_version first: a record of another version may have other fields */
    const char *version = NULL, *record = NULL;
    TRY(get_str(&c, "schema_version", REQUIRED, &version));
    if (strcmp(version, FTF_SCHEMA_VERSION) != 0)
        return fail(&c, FTF_RECORD_UNSUPPORTED_VERSION, "schema_version", "schema_version \"%.40s\", want \"%s\"",
                    version, FTF_SCHEMA_VERSION);
    TRY(get_str(&c, "record", REQUIRED, &record));
    if (strcmp(record, "event") == 0) {
        out->kind = FTF_RECORD_KIND_EVENT;
        return parse_event(&c, line, len, &out->event, st);
    }
    if (strcmp(record, "run") == 0 && !events_only) {
        out->kind = FTF_RECORD_KIND_RUN;
        return parse_run(&c, &out->run, st);
    }
    return fail(&c, FTF_RECORD_UNKNOWN_KIND, "record", "record \"%.40s\", want %s", record,
                events_only ? "\"event\"" : "\"event\" or \"run\"");
}

ftf_status ftf_record_parse(const char *line, size_t len, ftf_record_t *out, ftf_event_storage_t *st,
                            ftf_parse_error_t *err) {
    return parse_record(line, len, out, st, err, false);
}

ftf_status ftf_event_parse(const char *line, size_t len, ftf_event_t *out, ftf_event_storage_t *st,
                           ftf_parse_error_t *err) {
    if (!out) {
        if (err) {
            memset(err, 0, sizeof *err);
            err->status = FTF_EINVALID_ARGUMENT;
        }
        return FTF_EINVALID_ARGUMENT;
    }
    /* ftf_record_t is large (two records); parse into it only for the duration */
    ftf_record_t rec;
    const ftf_status s = parse_record(line, len, &rec, st, err, true);
    if (s == FTF_OK)
        *out = rec.event;
    return s;
}

/* ---- libft → event ------------------------------------------------------- */

ftf_status ftf_event_set_dispatch_from_decision(ftf_event_t *ev, const ft_decision_t *d) {
    if (!ev || !d || !d->op)
        return FTF_EINVALID_ARGUMENT;
    ftf_dispatch_fields_t *f = &ev->dispatch;
    f->op = d->op;
    f->selected_key = ft_key_name(d->selected_key);
    f->backend_key = ft_key_name(d->backend_key);
    f->kernel = d->kernel;
    f->keyset_bits = d->keyset.repr;
    f->fallback_used = d->fallback_used;
    f->mode_split = d->mode_split;
    if (!f->selected_key || !f->backend_key || !mode_split_valid(d->mode_split))
        return FTF_EINVALID_ARGUMENT;
    const size_t n = d->hop_count < FTF_ROUTE_MAX_HOPS ? d->hop_count : FTF_ROUTE_MAX_HOPS;
    for (size_t i = 0; i < n; i++) {
        const ft_hop_t *h = &d->hops[i];
        ftf_route_hop_t *r = &f->route[i];
        r->key = ft_key_name(h->key);
        r->source = ft_table_source_name(h->tag, h->source);
        r->tag = ft_table_tag_name(h->tag);
        r->fallthrough = h->fallthrough;
        r->kernel = h->kernel_name;
        if (!r->key || !r->source || !r->tag)
            return FTF_EINVALID_ARGUMENT;
    }
    f->route_count = n;
    ev->has_dispatch = true;
    return FTF_OK;
}

ftf_status ftf_event_from_evidence(const ft_evidence_t *entry, const ftf_event_context_t *ctx, ftf_event_t *out,
                                   ftf_event_storage_t *st) {
    if (!entry || !ctx || !out || !st)
        return FTF_EINVALID_ARGUMENT;
    storage_release_json(st);
    ftf_event_init(out);

    /* the scenario: the entry itself, minus wall-clock time */
    ft_evidence_t timeless = *entry;
    timeless.has_time = false;
    timeless.time = 0;
    const size_t n = ft_evidence_json(&timeless, NULL, 0);
    if (n == 0 || n > SIZE_MAX - FTF_SCENARIO_ID_SIZE - 1)
        return FTF_EINVALID_ARGUMENT;
    if (storage_text(st, n + 1 + FTF_SCENARIO_ID_SIZE) != FTF_OK)
        return FTF_ENOMEM;
    ft_evidence_json(&timeless, st->text, n + 1);
    out->scenario = st->text;

    if (ctx->scenario_id) {
        out->scenario_id = ctx->scenario_id;
    } else {
        char *id = st->text + n + 1;
        TRY(ftf_generated_scenario_id(id, st->text, n));
        out->scenario_id = id;
    }

    out->mode = ctx->mode;
    if (entry->kind == FT_EVIDENCE_DISPATCH && entry->decision) {
        out->mode = entry->decision->mode;
        TRY(ftf_event_set_dispatch_from_decision(out, entry->decision));
    } else if (entry->kind == FT_EVIDENCE_MODE_CHANGE) {
        out->mode = entry->to == FT_MODE_HARDENED ? FT_MODE_HARDENED : FT_MODE_STRICT;
    }
    out->seq = entry->seq;
    out->run_id = ctx->run_id;
    out->suite_id = ctx->suite_id;
    out->packet_id = ctx->packet_id;
    out->env_fingerprint = ctx->env_fingerprint;
    out->artifact_refs = ctx->artifact_refs;
    out->artifact_ref_count = ctx->artifact_ref_count;
    out->replay_command = ctx->replay_command ? ctx->replay_command : "";
    out->outcome = entry->status == FT_OK ? FTF_OUTCOME_PASS : FTF_OUTCOME_FAIL;
    out->reason_code = ft_status_code(entry->status);
    out->seed =
        ftf_scenario_seed(ctx->suite_id, ctx->fixture_id, ctx->packet_id, out->scenario_id, ft_mode_name(out->mode));
    return ftf_event_check(out);
}
