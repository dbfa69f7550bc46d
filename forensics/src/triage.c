/* Triage: signatures, buckets and the failure index (ft-failure-index-v1).
 * forensics/INDEX_FORMAT.md describes the JSON; ftf/triage.h the rules. */
#define _POSIX_C_SOURCE 200809L

#include "ftf/triage.h"
#include "ft/json_text.h"
#include "ftf/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftf/ids.h"
#include "ftf/locator.h"

/* ---- normalisation -------------------------------------------------------- */

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
static bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static bool all_digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return n > 0;
}
static bool is_hex_number(const char *s, size_t n) {
    if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return false;
    for (size_t i = 2; i < n; i++)
        if (!is_hex(s[i]))
            return false;
    return true;
}

/* Appends word w (n bytes) to out (length *len, cap FTF_SIG_FIELD_MAX) after
 * separator sep when out is not empty. */
static void append_word(char *out, size_t *len, char sep, const char *w, size_t n) {
    if (n == 0)
        return;
    if (*len && *len < FTF_SIG_FIELD_MAX)
        out[(*len)++] = sep;
    for (size_t i = 0; i < n && *len < FTF_SIG_FIELD_MAX; i++)
        out[(*len)++] = w[i];
    out[*len] = '\0';
}

size_t ftf_triage_normalize_frame(const char *frame, size_t len, char out[FTF_SIG_FIELD_SIZE]) {
    size_t n = 0;
    out[0] = '\0';
    if (!frame)
        return 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(frame[i]))
            i++;
        size_t j = i;
        while (j < len && !is_space(frame[j]))
            j++;
        const char *w = frame + i;
        size_t wn = j - i;
        i = j;
        while (wn && *w == '(')
            w++, wn--;
        while (wn && w[wn - 1] == ')')
            wn--;
        if (wn == 0 || (wn == 2 && memcmp(w, "in", 2) == 0) || (wn == 2 && memcmp(w, "at", 2) == 0))
            continue;
        if (w[0] == '#' && all_digits(w + 1, wn - 1))
            continue;
        if (is_hex_number(w, wn) || all_digits(w, wn))
            continue;
        for (size_t k = 0; k + 2 < wn; k++) /* module/function offset: "+0x1a" */
            if (w[k] == '+' && w[k + 1] == '0' && (w[k + 2] == 'x' || w[k + 2] == 'X')) {
                wn = k;
                break;
            }
        for (;;) { /* ":123", ":123:5" */
            size_t k = wn;
            while (k && is_digit(w[k - 1]))
                k--;
            if (k < wn && k && w[k - 1] == ':')
                wn = k - 1;
            else
                break;
        }
        for (size_t k = wn; k; k--) /* directories */
            if (w[k - 1] == '/') {
                w += k, wn -= k;
                break;
            }
        append_word(out, &n, ' ', w, wn);
    }
    return n;
}

size_t ftf_triage_normalize_crash_type(const char *type, size_t len, char out[FTF_SIG_FIELD_SIZE]) {
    size_t n = 0;
    out[0] = '\0';
    if (!type)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (type[k] == '\n' || type[k] == '(') {
            len = k;
            break;
        }
    size_t i = 0;
    while (i < len) {
        while (i < len && (is_space(type[i]) || type[i] == '_' || type[i] == '-'))
            i++;
        size_t j = i;
        while (j < len && !is_space(type[j]) && type[j] != '_' && type[j] != '-')
            j++;
        char w[FTF_SIG_FIELD_SIZE];
        size_t wn = 0;
        for (size_t k = i; k < j && wn < FTF_SIG_FIELD_MAX; k++) {
            const char c = type[k];
            w[wn++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        i = j;
        if (wn == 0 || all_digits(w, wn) || is_hex_number(w, wn) || (wn == 4 && memcmp(w, "read", 4) == 0) ||
            (wn == 5 && memcmp(w, "write", 5) == 0))
            continue;
        append_word(out, &n, '-', w, wn);
    }
    return n;
}

static void set_field(char out[FTF_SIG_FIELD_SIZE], const char *s) {
    if (!s || !*s) {
        memcpy(out, "-", 2);
        return;
    }
    size_t n = strlen(s);
    if (n > FTF_SIG_FIELD_MAX)
        n = FTF_SIG_FIELD_MAX;
    memcpy(out, s, n);
    out[n] = '\0';
}

ftf_status ftf_triage_signature(const ftf_event_t *ev, ftf_signature_t *sig) {
    if (!ev || !sig)
        return FTF_EINVALID_ARGUMENT;
    memset(sig, 0, sizeof *sig);
    const char *reason = ev->reason_code ? ev->reason_code : "";
    set_field(sig->reason_code, reason);
    sig->crash = ev->outcome == FTF_OUTCOME_CRASH || (ev->has_fuzz && ev->fuzz.crash_type);
    const ftf_triage_rule_t *rule = NULL;
    for (int f = 0; f < FTF_SIG_FRAMES; f++)
        set_field(sig->frames[f], NULL);
    if (sig->crash) {
        const char *type = ev->has_fuzz && ev->fuzz.crash_type ? ev->fuzz.crash_type : reason;
        if (ftf_triage_normalize_crash_type(type, strlen(type), sig->crash_type) == 0)
            set_field(sig->crash_type, NULL);
        rule = ftf_triage_lookup(type, strlen(type));
        if (!rule)
            rule = ftf_triage_lookup(reason, strlen(reason));
        const char *st = ev->has_fuzz ? ev->fuzz.crash_state : NULL;
        int f = 0;
        while (st && *st && f < FTF_SIG_FRAMES) {
            const char *nl = strchr(st, '\n');
            const size_t n = nl ? (size_t)(nl - st) : strlen(st);
            if (ftf_triage_normalize_frame(st, n, sig->frames[f]) > 0)
                f++;
            else
                set_field(sig->frames[f], NULL);
            st = nl ? nl + 1 : NULL;
        }
        set_field(sig->comparator, NULL);
        set_field(sig->op, NULL);
        set_field(sig->selected_key, NULL);
        set_field(sig->mode, NULL);
    } else {
        rule = ftf_triage_lookup(reason, strlen(reason));
        set_field(sig->crash_type, NULL);
        set_field(sig->comparator, ev->has_differential ? ev->differential.comparator : NULL);
        set_field(sig->op, ev->has_dispatch ? ev->dispatch.op : NULL);
        set_field(sig->selected_key, ev->has_dispatch ? ev->dispatch.selected_key : NULL);
        set_field(sig->mode, ft_mode_name(ev->mode));
    }
    sig->known_reason = rule != NULL;
    sig->rule = rule ? rule : &ftf_triage_unknown_rule;
    return FTF_OK;
}

size_t ftf_signature_format(const ftf_signature_t *sig, char *buf, size_t cap) {
    if (!sig)
        return 0;
    int n;
    if (sig->crash)
        n = snprintf(buf, cap, "%s|%s|%s|%s|%s", sig->rule->triage_class, sig->crash_type, sig->frames[0],
                     sig->frames[1], sig->frames[2]);
    else
        n = snprintf(buf, cap, "%s|%s|%s|%s|%s|%s", sig->rule->triage_class, sig->reason_code, sig->comparator, sig->op,
                     sig->selected_key, sig->mode);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- a string map (open addressing; keys owned) --------------------------- */

typedef struct {
    char **keys;
    size_t *lens;
    size_t *vals;
    size_t cap, n;
} strmap_t;

static void strmap_dispose(strmap_t *m) {
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->lens);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static uint64_t hash_bytes(const void *p, size_t n) {
    return ftf_siphash13(0x6674666d6170ULL, 0, p, n);
}

static ftf_status strmap_grow(strmap_t *m) {
    const size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = calloc(cap, sizeof *keys);
    size_t *lens = calloc(cap, sizeof *lens), *vals = calloc(cap, sizeof *vals);
    if (!keys || !lens || !vals) {
        free(keys), free(lens), free(vals);
        return FTF_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t h = (size_t)hash_bytes(m->keys[i], m->lens[i]) & (cap - 1);
        while (keys[h])
            h = (h + 1) & (cap - 1);
        keys[h] = m->keys[i], lens[h] = m->lens[i], vals[h] = m->vals[i];
    }
    free(m->keys), free(m->lens), free(m->vals);
    m->keys = keys, m->lens = lens, m->vals = vals, m->cap = cap;
    return FTF_OK;
}

/* Finds `key`; when absent and `insert`, adds it with value `val`. *found says
 * which; *slot_val points to the stored value. */
static ftf_status strmap_get(strmap_t *m, const char *key, size_t n, bool insert, size_t val, bool *found,
                             size_t **slot_val) {
    *found = false;
    *slot_val = NULL;
    if ((m->n + 1) * 4 > m->cap * 3) {
        if (!insert && m->cap == 0)
            return FTF_OK;
        ftf_status st = strmap_grow(m);
        if (st != FTF_OK)
            return st;
    }
    size_t h = (size_t)hash_bytes(key, n) & (m->cap - 1);
    while (m->keys[h]) {
        if (m->lens[h] == n && memcmp(m->keys[h], key, n) == 0) {
            *found = true;
            *slot_val = &m->vals[h];
            return FTF_OK;
        }
        h = (h + 1) & (m->cap - 1);
    }
    if (!insert)
        return FTF_OK;
    char *k = malloc(n + 1);
    if (!k)
        return FTF_ENOMEM;
    memcpy(k, key, n);
    k[n] = '\0';
    m->keys[h] = k, m->lens[h] = n, m->vals[h] = val;
    m->n++;
    *slot_val = &m->vals[h];
    return FTF_OK;
}

/* ---- the index ------------------------------------------------------------ */

typedef struct {
    size_t file;
    char *run_id;
    uint64_t seq;
    ftf_log_pos_t pos;
} seen_t;

typedef struct {
    ftf_signature_t sig;
    char *signature; /* display line */
    char bucket_id[20];
    uint64_t count, fails, crashes;
    unsigned modes;
    seen_t first, last;
    char *rep_id, *rep_replay;
    char **ids;
    size_t nids, ids_cap;
} bucket_t;

typedef struct {
    char *path;
    ftf_log_report_t report;
    uint64_t records, events, failures, invalid;
    bool damaged;
} file_t;

typedef struct {
    char *run_id, *start_time, *tool, *tool_version, *libft_version, *env_fingerprint;
} run_t;

typedef struct {
    char *key; /* display */
    char *drift_id, *reason_code;
    uint64_t count;
} counted_t;

struct ftf_failure_index {
    ftf_index_options_t opts;
    file_t *files;
    size_t nfiles;
    run_t *runs;
    size_t nruns, runs_cap;
    strmap_t run_map;
    bucket_t *buckets;
    size_t nbuckets, buckets_cap;
    size_t *order; /* output order of buckets */
    strmap_t bucket_map, member_map;
    counted_t *unknown;
    size_t nunknown, unknown_cap;
    strmap_t unknown_map;
    counted_t *allow;
    size_t nallow, allow_cap;
    strmap_t allow_map;
    uint64_t invalid_by[FTF_RECORD_OUT_OF_MEMORY + 1];
    ftf_index_totals_t totals;
    ftf_event_storage_t storage;
};

static void seen_dispose(seen_t *s) {
    free(s->run_id);
}

void ftf_failure_index_free(ftf_failure_index_t *idx) {
    if (!idx)
        return;
    for (size_t i = 0; i < idx->nfiles; i++)
        free(idx->files[i].path);
    free(idx->files);
    for (size_t i = 0; i < idx->nruns; i++) {
        run_t *r = &idx->runs[i];
        free(r->run_id), free(r->start_time), free(r->tool), free(r->tool_version), free(r->libft_version),
            free(r->env_fingerprint);
    }
    free(idx->runs);
    for (size_t i = 0; i < idx->nbuckets; i++) {
        bucket_t *b = &idx->buckets[i];
        free(b->signature), free(b->rep_id), free(b->rep_replay);
        seen_dispose(&b->first), seen_dispose(&b->last);
        for (size_t k = 0; k < b->nids; k++)
            free(b->ids[k]);
        free(b->ids);
    }
    free(idx->buckets);
    free(idx->order);
    for (size_t i = 0; i < idx->nunknown; i++)
        free(idx->unknown[i].key), free(idx->unknown[i].drift_id), free(idx->unknown[i].reason_code);
    free(idx->unknown);
    for (size_t i = 0; i < idx->nallow; i++)
        free(idx->allow[i].key), free(idx->allow[i].drift_id), free(idx->allow[i].reason_code);
    free(idx->allow);
    strmap_dispose(&idx->run_map);
    strmap_dispose(&idx->bucket_map);
    strmap_dispose(&idx->member_map);
    strmap_dispose(&idx->unknown_map);
    strmap_dispose(&idx->allow_map);
    ftf_event_storage_dispose(&idx->storage);
    free(idx);
}

static char *dup_or_empty(const char *s) {
    if (!s)
        s = "";
    const size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static ftf_status grow(void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap)
        return FTF_OK;
    const size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return FTF_ENOMEM;
    memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
    *arr = p, *cap = nc;
    return FTF_OK;
}

static int seen_cmp(const seen_t *a, const seen_t *b) {
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    const int c = strcmp(a->run_id, b->run_id);
    if (c)
        return c;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (a->pos.member_offset != b->pos.member_offset)
        return a->pos.member_offset < b->pos.member_offset ? -1 : 1;
    if (a->pos.offset != b->pos.offset)
        return a->pos.offset < b->pos.offset ? -1 : 1;
    return 0;
}

static ftf_status seen_set(seen_t *dst, const seen_t *src) {
    char *r = dup_or_empty(src->run_id);
    if (!r)
        return FTF_ENOMEM;
    free(dst->run_id);
    *dst = *src;
    dst->run_id = r;
    return FTF_OK;
}

static ftf_status add_run(ftf_failure_index_t *idx, const ftf_run_header_t *h) {
    bool found;
    size_t *v;
    ftf_status st = strmap_get(&idx->run_map, h->run_id, strlen(h->run_id), true, idx->nruns, &found, &v);
    if (st != FTF_OK || found)
        return st;
    if ((st = grow((void **)&idx->runs, &idx->runs_cap, idx->nruns, sizeof *idx->runs)) != FTF_OK)
        return st;
    run_t *r = &idx->runs[idx->nruns++];
    r->run_id = dup_or_empty(h->run_id);
    r->start_time = dup_or_empty(h->start_time);
    r->tool = dup_or_empty(h->tool);
    r->tool_version = dup_or_empty(h->tool_version);
    r->libft_version = dup_or_empty(h->libft_version);
    r->env_fingerprint = dup_or_empty(h->env_fingerprint);
    if (!r->run_id || !r->start_time || !r->tool || !r->tool_version || !r->libft_version || !r->env_fingerprint)
        return FTF_ENOMEM;
    return FTF_OK;
}

static ftf_status count_keyed(strmap_t *map, counted_t **arr, size_t *n, size_t *cap, const char *a, const char *b) {
    char key[2 * FTF_SIG_FIELD_SIZE + 2];
    char fa[FTF_SIG_FIELD_SIZE], fb[FTF_SIG_FIELD_SIZE];
    set_field(fa, a);
    set_field(fb, b ? b : "");
    const int kn = b ? snprintf(key, sizeof key, "%s|%s", fa, fb) : snprintf(key, sizeof key, "%s", fa);
    bool found;
    size_t *v;
    ftf_status st = strmap_get(map, key, (size_t)kn, true, *n, &found, &v);
    if (st != FTF_OK)
        return st;
    if (found) {
        (*arr)[*v].count++;
        return FTF_OK;
    }
    if ((st = grow((void **)arr, cap, *n, sizeof **arr)) != FTF_OK)
        return st;
    counted_t *c = &(*arr)[(*n)++];
    c->key = dup_or_empty(key);
    c->drift_id = dup_or_empty(fa);
    c->reason_code = dup_or_empty(fb);
    c->count = 1;
    return c->key && c->drift_id && c->reason_code ? FTF_OK : FTF_ENOMEM;
}

/* The bucket map key: fields length-prefixed, so no field text can make two
 * signatures collide. */
static size_t signature_key(const ftf_signature_t *s, char *buf, size_t cap) {
    const char *fields[] = {
        s->crash ? "c" : "f", s->rule->triage_class, s->reason_code, s->comparator, s->op, s->selected_key, s->mode,
        s->crash_type,        s->frames[0],          s->frames[1],   s->frames[2]};
    size_t n = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const int k = snprintf(buf + n, cap - n, "%zu:%s", strlen(fields[i]), fields[i]);
        if (k < 0 || (size_t)k >= cap - n)
            return n;
        n += (size_t)k;
    }
    return n;
}

static ftf_status add_failure(ftf_failure_index_t *idx, size_t file, const ftf_event_t *ev, const ftf_log_pos_t *pos) {
    ftf_signature_t sig;
    ftf_status st = ftf_triage_signature(ev, &sig);
    if (st != FTF_OK)
        return st;
    char key[16 * FTF_SIG_FIELD_SIZE];
    const size_t kn = signature_key(&sig, key, sizeof key);
    bool found;
    size_t *v;
    if ((st = strmap_get(&idx->bucket_map, key, kn, true, idx->nbuckets, &found, &v)) != FTF_OK)
        return st;
    bucket_t *b;
    const seen_t now = {file, (char *)(ev->run_id ? ev->run_id : ""), ev->seq, *pos};
    if (!found) {
        if ((st = grow((void **)&idx->buckets, &idx->buckets_cap, idx->nbuckets, sizeof *idx->buckets)) != FTF_OK)
            return st;
        b = &idx->buckets[idx->nbuckets++];
        b->sig = sig;
        const size_t n = ftf_signature_format(&sig, NULL, 0);
        if (!(b->signature = malloc(n + 1)))
            return FTF_ENOMEM;
        ftf_signature_format(&sig, b->signature, n + 1);
        char hex[17];
        ftf_hex16(ftf_siphash13(0, 0, b->signature, n), hex);
        snprintf(b->bucket_id, sizeof b->bucket_id, "b-%s", hex);
        if ((st = seen_set(&b->first, &now)) != FTF_OK || (st = seen_set(&b->last, &now)) != FTF_OK)
            return st;
        if (!(b->rep_id = dup_or_empty(ev->scenario_id)) || !(b->rep_replay = dup_or_empty(ev->replay_command)))
            return FTF_ENOMEM;
    } else {
        b = &idx->buckets[*v];
        if (seen_cmp(&now, &b->first) < 0) {
            if ((st = seen_set(&b->first, &now)) != FTF_OK)
                return st;
            char *id = dup_or_empty(ev->scenario_id), *rp = dup_or_empty(ev->replay_command);
            if (!id || !rp) {
                free(id), free(rp);
                return FTF_ENOMEM;
            }
            free(b->rep_id), free(b->rep_replay);
            b->rep_id = id, b->rep_replay = rp;
        }
        if (seen_cmp(&now, &b->last) > 0 && (st = seen_set(&b->last, &now)) != FTF_OK)
            return st;
    }
    b->count++;
    if (ev->outcome == FTF_OUTCOME_CRASH)
        b->crashes++;
    else
        b->fails++;
    b->modes |= ev->mode == FT_MODE_HARDENED ? 2u : 1u;
    /* distinct member ids */
    const size_t bi = (size_t)(b - idx->buckets);
    char mkey[32 + FTF_SCENARIO_ID_SIZE];
    const int mn = snprintf(mkey, sizeof mkey, "%zu|%s", bi, ev->scenario_id ? ev->scenario_id : "");
    if ((st = strmap_get(&idx->member_map, mkey, (size_t)mn, true, 0, &found, &v)) != FTF_OK)
        return st;
    if (!found) {
        if ((st = grow((void **)&b->ids, &b->ids_cap, b->nids, sizeof *b->ids)) != FTF_OK)
            return st;
        if (!(b->ids[b->nids] = dup_or_empty(ev->scenario_id)))
            return FTF_ENOMEM;
        b->nids++;
    }
    if (!sig.known_reason) {
        idx->totals.unknown_reason_failures++;
        if ((st = count_keyed(&idx->unknown_map, &idx->unknown, &idx->nunknown, &idx->unknown_cap, sig.reason_code,
                              NULL)) != FTF_OK)
            return st;
    }
    return FTF_OK;
}

static bool field_is(const char *s, size_t n, const char *lit) {
    return s && strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A record that needs the full parser: run header, failure, allowlisted, or
 * anything the scan could not decide. Runs on the consumer thread (or inline). */
static ftf_status index_candidate(ftf_failure_index_t *idx, size_t fi, const char *line, size_t len,
                                  const ftf_log_pos_t *pos) {
    file_t *f = &idx->files[fi];
    ftf_record_t pr;
    ftf_parse_error_t err;
    ftf_status st = ftf_record_parse(line, len, &pr, &idx->storage, &err);
    if (st == FTF_ENOMEM)
        return st;
    if (st != FTF_OK) {
        f->invalid++;
        idx->totals.invalid_records++;
        if ((size_t)err.reason < sizeof idx->invalid_by / sizeof idx->invalid_by[0])
            idx->invalid_by[err.reason]++;
        return FTF_OK;
    }
    if (pr.kind == FTF_RECORD_KIND_RUN) {
        idx->totals.run_headers++;
        return add_run(idx, &pr.run);
    }
    const ftf_event_t *ev = &pr.event;
    idx->totals.events++, f->events++;
    switch (ev->outcome) {
    case FTF_OUTCOME_PASS:
        idx->totals.pass++;
        break;
    case FTF_OUTCOME_SKIPPED:
        idx->totals.skipped++;
        break;
    case FTF_OUTCOME_ALLOWLISTED:
        idx->totals.allowlisted++;
        st = count_keyed(&idx->allow_map, &idx->allow, &idx->nallow, &idx->allow_cap,
                         ev->has_differential && ev->differential.drift_id ? ev->differential.drift_id : "-",
                         ev->reason_code);
        break;
    case FTF_OUTCOME_FAIL:
    case FTF_OUTCOME_CRASH:
        if (ev->outcome == FTF_OUTCOME_FAIL)
            idx->totals.fail++;
        else
            idx->totals.crash++;
        idx->totals.failures++, f->failures++;
        st = add_failure(idx, fi, ev, pos);
        break;
    }
    return st;
}

/* Candidates travel from the reading thread to the parsing thread in batches
 * (two, double-buffered): inflating and CRC-checking the log and parsing its
 * candidates then overlap on two cores. One consumer, in log order, so the
 * result is the same as inline processing. */
typedef struct {
    size_t off, len;
    ftf_log_pos_t pos;
} cand_t;

typedef struct {
    char *buf;
    size_t len, cap;
    cand_t *it;
    size_t n, icap;
} batch_t;

#define BATCH_ITEMS 256
#define BATCH_BYTES (1u << 20)

typedef struct {
    ftf_failure_index_t *idx;
    size_t fi;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch_t *full; /* handed over; NULL once the consumer is done with it */
    bool done;
    ftf_status st; /* the consumer's first error */
} pipeline_t;

static void batch_dispose(batch_t *b) {
    free(b->buf);
    free(b->it);
}

static ftf_status batch_add(batch_t *b, const char *line, size_t len, const ftf_log_pos_t *pos) {
    ftf_status st = grow((void **)&b->it, &b->icap, b->n, sizeof *b->it);
    if (st != FTF_OK)
        return st;
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap - b->len < len)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb)
            return FTF_ENOMEM;
        b->buf = nb, b->cap = cap;
    }
    memcpy(b->buf + b->len, line, len);
    b->it[b->n++] = (cand_t){b->len, len, *pos};
    b->len += len;
    return FTF_OK;
}

static ftf_status batch_run(ftf_failure_index_t *idx, size_t fi, const batch_t *b) {
    ftf_status st = FTF_OK;
    for (size_t i = 0; i < b->n && st == FTF_OK; i++)
        st = index_candidate(idx, fi, b->buf + b->it[i].off, b->it[i].len, &b->it[i].pos);
    return st;
}

static void *consumer_main(void *payload) {
    pipeline_t *pl = payload;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->full && !pl->done)
            pthread_cond_wait(&pl->cv, &pl->mu);
        batch_t *b = pl->full;
        const bool failed = pl->st != FTF_OK;
        pthread_mutex_unlock(&pl->mu);
        if (!b)
            return NULL;
        const ftf_status st = failed ? FTF_OK : batch_run(pl->idx, pl->fi, b);
        pthread_mutex_lock(&pl->mu);
        if (st != FTF_OK && pl->st == FTF_OK)
            pl->st = st;
        pl->full = NULL;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
    }
}

/* Hands *cur to the consumer (waiting for it to finish the previous batch)
 * and makes the other batch current. Without a consumer, runs it inline. */
static ftf_status hand_over(pipeline_t *pl, bool threaded, batch_t **cur, batch_t **spare) {
    if (!threaded) {
        const ftf_status st = batch_run(pl->idx, pl->fi, *cur);
        (*cur)->n = 0, (*cur)->len = 0;
        return st;
    }
    pthread_mutex_lock(&pl->mu);
    while (pl->full)
        pthread_cond_wait(&pl->cv, &pl->mu);
    const ftf_status st = pl->st;
    pl->full = *cur;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    batch_t *t = *cur;
    *cur = *spare, *spare = t;
    (*cur)->n = 0, (*cur)->len = 0; /* the consumer is done with it: it was handed over before *spare */
    return st;
}

static ftf_status index_file(ftf_failure_index_t *idx, size_t fi) {
    file_t *f = &idx->files[fi];
    ftf_log_reader_t *r;
    const char *path = f->path;
    ftf_status st = ftf_log_reader_open(&path, 1, NULL, &r);
    if (st != FTF_OK)
        return st;
    batch_t ba, bb;
    memset(&ba, 0, sizeof ba), memset(&bb, 0, sizeof bb);
    batch_t *cur = &ba, *spare = &bb;
    pipeline_t pl;
    memset(&pl, 0, sizeof pl);
    pl.idx = idx, pl.fi = fi;
    pthread_t th;
    bool threaded = false;
    if (pthread_mutex_init(&pl.mu, NULL) == 0) {
        if (pthread_cond_init(&pl.cv, NULL) == 0) {
            threaded = pthread_create(&th, NULL, consumer_main, &pl) == 0;
            if (!threaded)
                pthread_cond_destroy(&pl.cv);
        }
        if (!threaded)
            pthread_mutex_destroy(&pl.mu);
    }
    /* counted here, merged after the consumer is done (it counts the rest) */
    uint64_t records = 0, pass = 0, skipped = 0;
    ftf_log_record_t rec;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1) {
        records++;
        if (!idx->opts.validate_passes) {
            ftf_record_fields_t pf;
            if (ftf_record_peek(rec.line, rec.len, FTF_PEEK_RECORD | FTF_PEEK_OUTCOME, &pf) == FTF_PEEK_OK &&
                field_is(pf.record, pf.record_len, "event")) {
                if (field_is(pf.outcome, pf.outcome_len, "pass")) {
                    pass++;
                    continue;
                }
                if (field_is(pf.outcome, pf.outcome_len, "skipped")) {
                    skipped++;
                    continue;
                }
            }
        }
        if ((st = batch_add(cur, rec.line, rec.len, &rec.pos)) != FTF_OK)
            break;
        if ((cur->n >= BATCH_ITEMS || cur->len >= BATCH_BYTES) &&
            (st = hand_over(&pl, threaded, &cur, &spare)) != FTF_OK)
            break;
    }
    if (st == FTF_OK && k < 0)
        st = (ftf_status)k;
    if (st == FTF_OK && cur->n)
        st = hand_over(&pl, threaded, &cur, &spare);
    if (threaded) {
        pthread_mutex_lock(&pl.mu);
        while (pl.full)
            pthread_cond_wait(&pl.cv, &pl.mu);
        pl.done = true;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
        pthread_join(th, NULL);
        pthread_cond_destroy(&pl.cv);
        pthread_mutex_destroy(&pl.mu);
        if (st == FTF_OK)
            st = pl.st;
    }
    batch_dispose(&ba), batch_dispose(&bb);
    f->records += records, idx->totals.records += records;
    f->events += pass + skipped, idx->totals.events += pass + skipped;
    idx->totals.pass += pass, idx->totals.skipped += skipped;
    f->report = *ftf_log_reader_report(r);
    f->damaged = ftf_log_report_damaged(&f->report);
    if (f->damaged)
        idx->totals.damaged_files++;
    ftf_log_reader_free(r);
    return st;
}

/* ---- input paths ---------------------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} paths_t;

static void paths_dispose(paths_t *p) {
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

static ftf_status paths_add(paths_t *p, const char *dir, const char *name) {
    ftf_status st = grow((void **)&p->v, &p->cap, p->n, sizeof *p->v);
    if (st != FTF_OK)
        return st;
    const size_t dn = dir ? strlen(dir) : 0, nn = strlen(name);
    char *s = malloc(dn + nn + 2);
    if (!s)
        return FTF_ENOMEM;
    if (dir) {
        memcpy(s, dir, dn);
        size_t at = dn;
        if (dn == 0 || dir[dn - 1] != '/')
            s[at++] = '/';
        memcpy(s + at, name, nn + 1);
    } else {
        memcpy(s, name, nn + 1);
    }
    p->v[p->n++] = s;
    return FTF_OK;
}

static bool ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static ftf_status expand_dir(paths_t *out, const char *dir, int depth) {
    if (depth > 32)
        return FTF_ELIMIT;
    DIR *d = opendir(dir);
    if (!d)
        return FTF_EIO;
    paths_t here = {NULL, 0, 0};
    ftf_status st = FTF_OK;
    struct dirent *e;
    while (st == FTF_OK && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            st = paths_add(&here, dir, e->d_name);
    closedir(d);
    for (size_t i = 0; st == FTF_OK && i < here.n; i++) {
        struct stat sb;
        if (lstat(here.v[i], &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            st = expand_dir(out, here.v[i], depth + 1);
        else if (S_ISREG(sb.st_mode) && ends_with(here.v[i], ".gz"))
            st = paths_add(out, NULL, here.v[i]);
    }
    paths_dispose(&here);
    return st;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Buckets by count (descending), then signature line, then creation order
 * (two field tuples can format to the same line). */
ftf_status ftf_triage_expand_paths(const char *const *paths, size_t count, char ***out, size_t *n) {
    if (!out || !n || (!paths && count))
        return FTF_EINVALID_ARGUMENT;
    *out = NULL, *n = 0;
    paths_t all = {NULL, 0, 0};
    ftf_status st = FTF_OK;
    for (size_t i = 0; st == FTF_OK && i < count; i++) {
        struct stat sb;
        if (!paths[i])
            st = FTF_EINVALID_ARGUMENT;
        else if (stat(paths[i], &sb) != 0)
            st = errno == ENOENT || errno == ENOTDIR ? FTF_ENOT_FOUND : FTF_EIO;
        else if (S_ISDIR(sb.st_mode))
            st = expand_dir(&all, paths[i], 0);
        else
            st = paths_add(&all, NULL, paths[i]);
    }
    if (st != FTF_OK) {
        paths_dispose(&all);
        return st;
    }
    if (all.n > 1)
        qsort(all.v, all.n, sizeof *all.v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (k && strcmp(all.v[k - 1], all.v[i]) == 0)
            free(all.v[i]);
        else
            all.v[k++] = all.v[i];
    }
    *out = all.v, *n = k;
    return FTF_OK;
}

void ftf_triage_paths_free(char **paths, size_t n) {
    if (!paths)
        return;
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static int bucket_ptr_cmp(const void *pa, const void *pb) {
    const bucket_t *a = *(const bucket_t *const *)pa, *b = *(const bucket_t *const *)pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    const int c = strcmp(a->signature, b->signature);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

static int counted_cmp(const void *pa, const void *pb) {
    const counted_t *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int run_cmp(const void *a, const void *b) {
    return strcmp(((const run_t *)a)->run_id, ((const run_t *)b)->run_id);
}

ftf_status ftf_failure_index_build(const char *const *paths, size_t count, const ftf_index_options_t *opts,
                                   ftf_failure_index_t **out) {
    if (!out)
        return FTF_EINVALID_ARGUMENT;
    *out = NULL;
    if (!paths || count == 0)
        return FTF_EINVALID_ARGUMENT;
    ftf_failure_index_t *idx = calloc(1, sizeof *idx);
    if (!idx)
        return FTF_ENOMEM;
    const ftf_index_options_t def = FTF_INDEX_OPTIONS_INIT;
    idx->opts = opts ? *opts : def;
    if (idx->opts.member_cap == 0)
        idx->opts.member_cap = def.member_cap;
    ftf_event_storage_init(&idx->storage);
    char **all = NULL;
    size_t nall = 0;
    ftf_status st = ftf_triage_expand_paths(paths, count, &all, &nall);
    if (st != FTF_OK)
        goto fail;
    if (nall && !(idx->files = calloc(nall, sizeof *idx->files))) {
        st = FTF_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < nall; i++) {
        idx->files[idx->nfiles++].path = all[i];
        all[i] = NULL;
    }
    idx->totals.files = idx->nfiles;
    for (size_t i = 0; st == FTF_OK && i < idx->nfiles; i++)
        st = index_file(idx, i);
    if (st != FTF_OK)
        goto fail;
    /* output order */
    idx->totals.buckets = idx->nbuckets;
    if (idx->nbuckets && !(idx->order = malloc(idx->nbuckets * sizeof *idx->order))) {
        st = FTF_ENOMEM;
        goto fail;
    }
    if (idx->nbuckets) {
        bucket_t **ptrs = malloc(idx->nbuckets * sizeof *ptrs);
        if (!ptrs) {
            st = FTF_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < idx->nbuckets; i++) {
            ptrs[i] = &idx->buckets[i];
            if (idx->buckets[i].nids > 1)
                qsort(idx->buckets[i].ids, idx->buckets[i].nids, sizeof(char *), cmp_str);
        }
        qsort(ptrs, idx->nbuckets, sizeof *ptrs, bucket_ptr_cmp);
        for (size_t i = 0; i < idx->nbuckets; i++)
            idx->order[i] = (size_t)(ptrs[i] - idx->buckets);
        free(ptrs);
    }
    if (idx->nunknown > 1)
        qsort(idx->unknown, idx->nunknown, sizeof *idx->unknown, counted_cmp);
    if (idx->nallow > 1)
        qsort(idx->allow, idx->nallow, sizeof *idx->allow, counted_cmp);
    if (idx->nruns > 1)
        qsort(idx->runs, idx->nruns, sizeof *idx->runs, run_cmp);
    ftf_triage_paths_free(all, nall);
    *out = idx;
    return FTF_OK;
fail:
    ftf_triage_paths_free(all, nall);
    ftf_failure_index_free(idx);
    return st;
}

void ftf_failure_index_totals(const ftf_failure_index_t *idx, ftf_index_totals_t *out) {
    if (idx && out)
        *out = idx->totals;
}

size_t ftf_failure_index_bucket_count(const ftf_failure_index_t *idx) {
    return idx ? idx->nbuckets : 0;
}

ftf_status ftf_failure_index_bucket_at(const ftf_failure_index_t *idx, size_t i, ftf_bucket_info_t *out) {
    if (!idx || !out || i >= idx->nbuckets)
        return FTF_EINVALID_ARGUMENT;
    const bucket_t *b = &idx->buckets[idx->order[i]];
    out->bucket_id = b->bucket_id;
    out->signature = b->signature;
    out->sig = &b->sig;
    out->count = b->count;
    out->scenarios = b->nids;
    out->modes = b->modes;
    out->representative = b->rep_id;
    out->representative_replay = b->rep_replay;
    out->representative_file = idx->files[b->first.file].path;
    out->representative_pos = b->first.pos;
    return FTF_OK;
}

/* ---- JSON rendering -------------------------------------------------------- */

typedef struct {
    ftf_buf_t *out;
    ftf_status st;
    bool compact;
    int depth;
    bool first[16];
} jw_t;

static void jw_raw(jw_t *w, const char *s, size_t n) {
    if (w->st != FTF_OK)
        return;
    if ((w->st = ftf_buf_reserve(w->out, n)) != FTF_OK)
        return;
    memcpy(w->out->data + w->out->len, s, n);
    w->out->len += n;
    w->out->data[w->out->len] = '\0';
}

static void jw_cstr(jw_t *w, const char *s) {
    jw_raw(w, s, strlen(s));
}

/* Paths and strings from logs need not be UTF-8: the project's one rule
 * (ft/json_text.h) keeps the index valid JSON. */
static void jw_quoted(jw_t *w, const char *s) {
    const size_t n = strlen(s), need = ft_json_string(s, n, NULL, 0);
    if (w->st != FTF_OK || (w->st = ftf_buf_reserve(w->out, need)) != FTF_OK)
        return;
    w->out->len += ft_json_string(s, n, w->out->data + w->out->len, need + 1);
}

static void jw_item(jw_t *w, const char *key) {
    if (!w->first[w->depth])
        jw_raw(w, ",", 1);
    w->first[w->depth] = false;
    if (!w->compact) {
        jw_raw(w, "\n", 1);
        for (int i = 0; i < w->depth; i++)
            jw_raw(w, "  ", 2);
    }
    if (key) {
        jw_quoted(w, key);
        jw_raw(w, w->compact ? ":" : ": ", w->compact ? 1 : 2);
    }
}

static void jw_open(jw_t *w, const char *key, char c) {
    if (w->depth >= 0)
        jw_item(w, key);
    jw_raw(w, &c, 1);
    w->depth++;
    w->first[w->depth] = true;
}

static void jw_close(jw_t *w, char c) {
    const bool empty = w->first[w->depth];
    w->depth--;
    if (!w->compact && !empty) {
        jw_raw(w, "\n", 1);
        for (int i = 0; i < w->depth; i++)
            jw_raw(w, "  ", 2);
    }
    jw_raw(w, &c, 1);
}

static void jw_str(jw_t *w, const char *key, const char *v) {
    jw_item(w, key);
    jw_quoted(w, v ? v : "");
}

static void jw_u64(jw_t *w, const char *key, uint64_t v) {
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    jw_item(w, key);
    jw_cstr(w, num);
}

static void jw_bool(jw_t *w, const char *key, bool v) {
    jw_item(w, key);
    jw_cstr(w, v ? "true" : "false");
}

static void render_seen(jw_t *w, const ftf_failure_index_t *idx, const char *key, const seen_t *s) {
    jw_open(w, key, '{');
    jw_str(w, "file", idx->files[s->file].path);
    jw_str(w, "run_id", s->run_id);
    const char *start = NULL; /* from the run's header, when one was read */
    for (size_t i = 0; i < idx->nruns && !start; i++)
        if (strcmp(idx->runs[i].run_id, s->run_id) == 0)
            start = idx->runs[i].start_time;
    if (start)
        jw_str(w, "start_time", start);
    jw_u64(w, "seq", s->seq);
    jw_close(w, '}');
}

static void render_report(jw_t *w, const file_t *f) {
    const ftf_log_report_t *r = &f->report;
    jw_open(w, "damage", '{');
    jw_u64(w, "members", r->members);
    jw_u64(w, "eof_members", r->eof_members);
    jw_u64(w, "foreign_members", r->foreign_members);
    jw_u64(w, "corrupt_members", r->corrupt_members);
    jw_u64(w, "corrupt_bytes", r->corrupt_bytes);
    jw_u64(w, "corrupt_lines", r->corrupt_lines);
    jw_u64(w, "torn_tails", r->torn_tails);
    jw_u64(w, "torn_bytes", r->torn_bytes);
    jw_u64(w, "torn_lines", r->torn_lines);
    jw_u64(w, "junk_bytes", r->junk_bytes);
    jw_u64(w, "missing_eof", r->missing_eof);
    jw_u64(w, "long_lines", r->long_lines);
    jw_u64(w, "bad_lines", r->bad_lines);
    jw_u64(w, "unterminated_lines", r->unterminated_lines);
    jw_u64(w, "io_errors", r->io_errors);
    jw_str(w, "first_damage", ftf_log_damage_name(r->first_damage));
    if (r->first_damage != FTF_LOG_DAMAGE_NONE) {
        jw_u64(w, "first_offset", r->first_offset);
        jw_str(w, "first_detail", r->first_detail);
    }
    jw_close(w, '}');
}

static void render_bucket(jw_t *w, const ftf_failure_index_t *idx, const bucket_t *b) {
    const ftf_signature_t *s = &b->sig;
    jw_open(w, NULL, '{');
    jw_str(w, "bucket_id", b->bucket_id);
    jw_str(w, "signature", b->signature);
    jw_open(w, "signature_fields", '{');
    jw_str(w, "kind", s->crash ? "crash" : "failure");
    jw_str(w, "class", s->rule->triage_class);
    jw_str(w, "reason_code", s->reason_code);
    if (s->crash) {
        jw_str(w, "crash_type", s->crash_type);
        jw_open(w, "frames", '[');
        for (int i = 0; i < FTF_SIG_FRAMES; i++)
            jw_str(w, NULL, s->frames[i]);
        jw_close(w, ']');
    } else {
        jw_str(w, "comparator", s->comparator);
        jw_str(w, "op", s->op);
        jw_str(w, "selected_key", s->selected_key);
        jw_str(w, "mode", s->mode);
    }
    jw_close(w, '}');
    jw_open(w, "triage", '{');
    jw_str(w, "class", s->rule->triage_class);
    jw_str(w, "severity", ftf_severity_name(s->rule->severity));
    jw_str(w, "owner", s->rule->owner);
    jw_str(w, "reason_kind", ftf_reason_kind_name(s->rule->kind));
    jw_bool(w, "known_reason", s->known_reason);
    jw_close(w, '}');
    jw_u64(w, "count", b->count);
    jw_open(w, "outcomes", '{');
    jw_u64(w, "fail", b->fails);
    jw_u64(w, "crash", b->crashes);
    jw_close(w, '}');
    jw_open(w, "modes", '[');
    if (b->modes & 2u)
        jw_str(w, NULL, "hardened");
    if (b->modes & 1u)
        jw_str(w, NULL, "strict");
    jw_close(w, ']');
    render_seen(w, idx, "first_seen", &b->first);
    render_seen(w, idx, "last_seen", &b->last);
    jw_open(w, "representative", '{');
    jw_str(w, "scenario_id", b->rep_id);
    jw_str(w, "replay_command", b->rep_replay);
    jw_str(w, "file", idx->files[b->first.file].path);
    jw_u64(w, "member_offset", b->first.pos.member_offset);
    jw_u64(w, "offset", b->first.pos.offset);
    jw_u64(w, "length", b->first.pos.length);
    jw_str(w, "run_id", b->first.run_id);
    jw_u64(w, "seq", b->first.seq);
    jw_close(w, '}');
    jw_u64(w, "scenario_count", b->nids);
    jw_bool(w, "scenarios_truncated", b->nids > idx->opts.member_cap);
    jw_open(w, "scenarios", '[');
    for (size_t i = 0; i < b->nids && i < idx->opts.member_cap; i++)
        jw_str(w, NULL, b->ids[i]);
    jw_close(w, ']');
    jw_close(w, '}');
}

ftf_status ftf_failure_index_render(const ftf_failure_index_t *idx, unsigned flags, ftf_buf_t *out) {
    if (!idx || !out)
        return FTF_EINVALID_ARGUMENT;
    jw_t w;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.compact = (flags & FTF_INDEX_JSON_COMPACT) != 0;
    w.depth = -1;
    const ftf_index_totals_t *t = &idx->totals;
    jw_open(&w, NULL, '{');
    jw_str(&w, "schema", FTF_FAILURE_INDEX_SCHEMA);
    jw_str(&w, "order",
           "buckets by count desc then signature; first/last seen by (file, run_id, seq, "
           "member_offset, offset)");
    jw_open(&w, "totals", '{');
    jw_u64(&w, "files", t->files);
    jw_u64(&w, "damaged_files", t->damaged_files);
    jw_u64(&w, "records", t->records);
    jw_u64(&w, "run_headers", t->run_headers);
    jw_u64(&w, "events", t->events);
    jw_u64(&w, "pass", t->pass);
    jw_u64(&w, "fail", t->fail);
    jw_u64(&w, "crash", t->crash);
    jw_u64(&w, "allowlisted", t->allowlisted);
    jw_u64(&w, "skipped", t->skipped);
    jw_u64(&w, "failures", t->failures);
    jw_u64(&w, "buckets", t->buckets);
    jw_u64(&w, "unknown_reason_failures", t->unknown_reason_failures);
    jw_u64(&w, "invalid_records", t->invalid_records);
    jw_close(&w, '}');
    jw_open(&w, "inputs", '[');
    for (size_t i = 0; i < idx->nfiles; i++) {
        const file_t *f = &idx->files[i];
        jw_open(&w, NULL, '{');
        jw_str(&w, "file", f->path);
        jw_u64(&w, "records", f->records);
        jw_u64(&w, "events", f->events);
        jw_u64(&w, "failures", f->failures);
        jw_u64(&w, "invalid_records", f->invalid);
        jw_bool(&w, "damaged", f->damaged);
        render_report(&w, f);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "runs", '[');
    for (size_t i = 0; i < idx->nruns; i++) {
        const run_t *r = &idx->runs[i];
        jw_open(&w, NULL, '{');
        jw_str(&w, "run_id", r->run_id);
        jw_str(&w, "start_time", r->start_time);
        jw_str(&w, "tool", r->tool);
        jw_str(&w, "tool_version", r->tool_version);
        jw_str(&w, "libft_version", r->libft_version);
        jw_str(&w, "env_fingerprint", r->env_fingerprint);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "invalid_records", '{');
    for (size_t i = 1; i < sizeof idx->invalid_by / sizeof idx->invalid_by[0]; i++)
        if (idx->invalid_by[i])
            jw_u64(&w, ftf_record_error_name((ftf_record_error_t)i), idx->invalid_by[i]);
    jw_close(&w, '}');
    jw_open(&w, "unknown_reasons", '[');
    for (size_t i = 0; i < idx->nunknown; i++) {
        jw_open(&w, NULL, '{');
        jw_str(&w, "reason_code", idx->unknown[i].drift_id);
        jw_u64(&w, "count", idx->unknown[i].count);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_open(&w, "allowlisted", '{');
    jw_u64(&w, "count", t->allowlisted);
    jw_open(&w, "drifts", '[');
    for (size_t i = 0; i < idx->nallow; i++) {
        jw_open(&w, NULL, '{');
        jw_str(&w, "drift_id", idx->allow[i].drift_id);
        jw_str(&w, "reason_code", idx->allow[i].reason_code);
        jw_u64(&w, "count", idx->allow[i].count);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_open(&w, "buckets", '[');
    for (size_t i = 0; i < idx->nbuckets; i++)
        render_bucket(&w, idx, &idx->buckets[idx->order[i]]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_raw(&w, "\n", 1);
    return w.st;
}

ftf_status ftf_failure_index_write(const ftf_failure_index_t *idx, const char *path) {
    if (!idx || !path)
        return FTF_EINVALID_ARGUMENT;
    ftf_buf_t buf = FTF_BUF_INIT;
    ftf_status st = ftf_failure_index_render(idx, 0, &buf);
    if (st != FTF_OK) {
        ftf_buf_dispose(&buf);
        return st;
    }
    st = ftf_file_write_atomic(path, buf.data, buf.len);
    ftf_buf_dispose(&buf);
    return st;
}
