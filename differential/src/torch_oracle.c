/* The live PyTorch 1.13 oracle (ftdiff/torch_oracle.h): requests to the worker
 * (differential/oracle/torch_worker.py), and the comparison of its answers with
 * libft, per scenario kind. The method and every drift or skip is documented in
 * differential/oracle/README.md ("Live oracle").
 *
 * torch is the expected side of every finding, libft the observed one. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ft/ft.h"
#include "ftdiff/torch_oracle.h"
#include "torch_internal.h"

#define DEFAULT_PYTHON  "/usr/bin/python3"
#define PROTOCOL        "ft-torch-worker-1"
#define FBIT            FT_KEYSET_FUNCTIONALITY_BIT
#define MAX_RESTARTS    1
#define BUILTIN_MIRRORS 3
#define TEXT            FTD_FINDING_TEXT_MAX
#define SRC_NAME_MAX    48
#define TAG_NAME_MAX    32

/* The keys c10's profile puts on a tensor that the packet's does not (or that
 * grad mode off excludes there): the only bits a derived keyset may differ in
 * for the difference to be the documented derivation drift. */
#define C10_DRIFT_BITS                                                                                                 \
    (FBIT(FT_KEY_AUTOGRAD_OTHER) | FBIT(FT_KEY_AUTOGRAD_FUNCTIONALITY) | FBIT(FT_KEY_AUTOGRAD_NESTED_TENSOR) |         \
     FBIT(FT_KEY_AUTOCAST_CPU) | FBIT(FT_KEY_AUTOCAST_XPU) | FBIT(FT_KEY_AUTOCAST_CUDA))

/* One computed table as torch dumped it, by key id. */
typedef struct {
    bool present;
    bool fallthrough;
    char source[SRC_NAME_MAX];
    char tag[TAG_NAME_MAX];
} tentry_t;

typedef struct {
    size_t count; /* rows read (Undefined + the runtime keys) */
    tentry_t e[FT_KEY_ID_COUNT];
} ttable_t;

struct ftd_torch {
    char *python, *script;
    fttp_proc_t proc;
    bool dead;
    char dead_why[FTTP_WHY];
    unsigned restarts;
    int timeout_ms, start_timeout_ms;
    uint64_t next_id;
    /* the last scenario's answer, reused by its other mode */
    bool have_last;
    ftd_scenario_t last;
    json_t *last_reply;
    /* built-in mirror tables (CPU+Autograd, CEA+Autograd, CIA), fetched once */
    bool have_builtin[BUILTIN_MIRRORS];
    ttable_t builtin[BUILTIN_MIRRORS];
    ttable_t scratch; /* a custom operator's table */
    ftd_torch_stats_t stats;
    int trace_fd;         /* FTD_TORCH_TRACE: every exchange and verdict, or -1 */
    bool packet_drift_ok; /* FTD_ALLOWLIST_PACKET_DERIVATION is allowlisted */
};

static const char *const counter_names[FTD_TORCH_COUNTER_COUNT] = {"cmp_value",
                                                                   "cmp_requires_grad",
                                                                   "cmp_route",
                                                                   "cmp_c10_keyset",
                                                                   "cmp_table",
                                                                   "cmp_program",
                                                                   "cmp_grads",
                                                                   "cmp_keyset",
                                                                   "drift_c10_derivation",
                                                                   "drift_mixed_dtype",
                                                                   "drift_fail_closed",
                                                                   "skip_unknown_bits",
                                                                   "skip_registration",
                                                                   "skip_unregistrable",
                                                                   "skip_stale_table",
                                                                   "skip_device_value",
                                                                   "skip_device_mismatch",
                                                                   "skip_program_context",
                                                                   "skip_strict_rest",
                                                                   "skip_keyset_priority",
                                                                   "skip_kernel_calls",
                                                                   "skip_subject_registration"};

const char *ftd_torch_counter_name(ftd_torch_counter_t c) {
    return (unsigned)c < FTD_TORCH_COUNTER_COUNT ? counter_names[c] : NULL;
}

/* ---- stats ---------------------------------------------------------------------------- */

void ftd_torch_stats(const ftd_torch_t *t, ftd_torch_stats_t *out) {
    if (t)
        *out = t->stats;
    else
        memset(out, 0, sizeof *out);
}

void ftd_torch_stats_add(ftd_torch_stats_t *a, const ftd_torch_stats_t *b) {
    a->checks += b->checks;
    a->requests += b->requests;
    a->reused += b->reused;
    a->deaths += b->deaths;
    a->restarts += b->restarts;
    for (int i = 0; i < FTD_VERDICT_COUNT; i++)
        a->verdicts[i] += b->verdicts[i];
    for (int i = 0; i < FTD_TORCH_COUNTER_COUNT; i++)
        a->counters[i] += b->counters[i];
    a->worker_seconds += b->worker_seconds;
}

size_t ftd_torch_stats_json(const ftd_torch_stats_t *s, char *buf, size_t cap) {
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f)
        return 0;
    fprintf(f,
            "{\"checks\":%" PRIu64 ",\"requests\":%" PRIu64 ",\"reused\":%" PRIu64 ",\"deaths\":%" PRIu64
            ",\"restarts\":%" PRIu64 ",\"worker_seconds\":%.3f,\"verdicts\":{",
            s->checks, s->requests, s->reused, s->deaths, s->restarts, s->worker_seconds);
    for (int i = 0; i < FTD_VERDICT_COUNT; i++)
        fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", ftd_verdict_name((ftd_verdict_t)i), s->verdicts[i]);
    fputs("},\"counters\":{", f);
    for (int i = 0; i < FTD_TORCH_COUNTER_COUNT; i++)
        fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", counter_names[i], s->counters[i]);
    fputs("}}", f);
    if (fclose(f) != 0) {
        free(p);
        return 0;
    }
    if (cap)
        snprintf(buf, cap, "%s", p);
    free(p);
    return n;
}

/* ---- the worker --------------------------------------------------------------------------- */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One line to the trace file (a single write: lines of two threads never mix). */
static void trace(const ftd_torch_t *t, const char *prefix, const char *text) {
    if (t->trace_fd < 0)
        return;
    const size_t a = strlen(prefix), b = strlen(text);
    char *line = malloc(a + b + 2);
    if (!line)
        return;
    memcpy(line, prefix, a);
    memcpy(line + a, text, b);
    line[a + b] = '\n';
    if (write(t->trace_fd, line, a + b + 1) < 0) { /* a debugging aid: best effort */
    }
    free(line);
}

static int env_ms(const char *name, int dflt_seconds) {
    const char *v = getenv(name);
    char *end;
    const double s = v && *v ? strtod(v, &end) : 0;
    if (!v || !*v || *end || !(s > 0) || s > 86400)
        return dflt_seconds * 1000;
    return (int)(s * 1000);
}

/* The worker beside this source file: <tree>/differential/src/torch_oracle.c ->
 * <tree>/differential/oracle/torch_worker.py (the build passes absolute paths). */
static char *default_script(void) {
    static const char here[] = __FILE__, tail[] = "src/torch_oracle.c";
    const size_t n = strlen(here), k = strlen(tail);
    const char *dir = n >= k && strcmp(here + n - k, tail) == 0 ? here : NULL;
    const size_t keep = dir ? n - k : 0;
    const char *rest = dir ? "oracle/torch_worker.py" : "differential/oracle/torch_worker.py";
    char *out = malloc(keep + strlen(rest) + 1);
    if (out) {
        memcpy(out, here, keep);
        strcpy(out + keep, rest);
    }
    return out;
}

/* Starts a worker and checks its hello. */
static int start(ftd_torch_t *t, char *why) {
    char *hello = NULL;
    if (fttp_start(&t->proc, t->python, t->script, t->start_timeout_ms, &hello, why) != 0)
        return -1;
    json_t *h = json_loads(hello, 0, NULL);
    const char *proto = json_string_value(json_object_get(h, "hello"));
    const bool ok = proto && strcmp(proto, PROTOCOL) == 0 && json_is_true(json_object_get(h, "ok"));
    if (!ok) {
        const char *err = json_string_value(json_object_get(h, "error"));
        snprintf(why, FTTP_WHY, "worker refused to start: %.150s", err ? err : hello);
        fttp_stop(&t->proc, 2000);
    }
    json_decref(h);
    free(hello);
    return ok ? 0 : -1;
}

ftd_torch_t *ftd_torch_open(const char *python, const char *script) {
    ftd_torch_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    const char *py = python ? python : getenv("FTD_TORCH_PYTHON");
    const char *sc = script ? script : getenv("FTD_TORCH_WORKER");
    t->python = strdup(py && *py ? py : DEFAULT_PYTHON);
    t->script = sc && *sc ? strdup(sc) : default_script();
    t->timeout_ms = env_ms("FTD_TORCH_TIMEOUT", 60);
    t->start_timeout_ms = env_ms("FTD_TORCH_START_TIMEOUT", 120);
    const char *tr = getenv("FTD_TORCH_TRACE");
    t->trace_fd = tr && *tr ? open(tr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    char why[FTTP_WHY] = "";
    if (!t->python || !t->script || start(t, why) != 0) {
        if (getenv("FTD_TORCH_STDERR"))
            fprintf(stderr, "torch oracle: %s\n", why[0] ? why : "out of memory");
        if (t->trace_fd >= 0)
            close(t->trace_fd);
        free(t->python);
        free(t->script);
        free(t);
        return NULL;
    }
    return t;
}

void ftd_torch_allow_packet_derivation(ftd_torch_t *t, bool allowed) {
    if (t)
        t->packet_drift_ok = allowed;
}

static void write_stats(const ftd_torch_t *t) {
    const char *path = getenv("FTD_TORCH_STATS");
    if (!path || !*path)
        return;
    char line[4096];
    const size_t n = ftd_torch_stats_json(&t->stats, line, sizeof line - 1);
    if (n == 0 || n >= sizeof line - 1)
        return;
    line[n] = '\n';
    const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, n + 1) < 0) { /* best effort: a report aid, not an output */
    }
    close(fd);
}

void ftd_torch_close(ftd_torch_t *t) {
    if (!t)
        return;
    write_stats(t);
    fttp_stop(&t->proc, 2000);
    if (t->trace_fd >= 0)
        close(t->trace_fd);
    json_decref(t->last_reply);
    free(t->python);
    free(t->script);
    free(t);
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
harness(ftd_mode_result_t *out, const char *fmt, ...) {
    out->verdict = FTD_VERDICT_HARNESS_ERROR;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->harness, sizeof out->harness, fmt, ap);
    va_end(ap);
}

static void unavailable(const ftd_torch_t *t, ftd_mode_result_t *out) {
    out->verdict = FTD_VERDICT_ORACLE_UNAVAILABLE;
    snprintf(out->harness, sizeof out->harness, "torch worker not available%s%.120s", t ? ": " : "",
             t ? t->dead_why : "");
}

/* One request, one answer. 0: *reply is the answer object (ok:true); 1: a harness
 * error for this scenario (out set); -1: the oracle is gone (out set). */
static int ask(ftd_torch_t *t, json_t *req, json_t **reply, ftd_mode_result_t *out) {
    *reply = NULL;
    const uint64_t id = ++t->next_id;
    json_object_set_new(req, "id", json_integer((json_int_t)id));
    char *line = json_dumps(req, JSON_COMPACT);
    if (!line) {
        harness(out, "out of memory building a torch request");
        return 1;
    }
    char *answer = NULL, why[FTTP_WHY] = "";
    const double t0 = now_seconds();
    const int rc = fttp_exchange(&t->proc, line, strlen(line), t->timeout_ms, &answer, why);
    t->stats.worker_seconds += now_seconds() - t0;
    trace(t, "> ", line);
    trace(t, "< ", rc == 0 ? answer : why);
    free(line);
    json_t *a = rc == 0 ? json_loads(answer, 0, NULL) : NULL;
    json_t *aid = json_object_get(a, "id");
    if (rc != 0 || !json_is_object(a) || !json_is_integer(aid) || (uint64_t)json_integer_value(aid) != id) {
        /* dead, stuck or out of step: this worker is done */
        if (rc == 0)
            snprintf(why, sizeof why, "worker answer out of protocol: %.120s", answer);
        json_decref(a);
        free(answer);
        t->stats.deaths++;
        fttp_stop(&t->proc, 200);
        char again[FTTP_WHY] = "";
        if (t->restarts < MAX_RESTARTS) {
            t->restarts++;
            t->stats.restarts++;
            if (start(t, again) == 0) {
                harness(out, "torch worker lost on this scenario (%s); restarted", why);
                return 1;
            }
        }
        t->dead = true;
        snprintf(t->dead_why, sizeof t->dead_why, "%s%s%s", why, again[0] ? "; restart: " : "", again);
        unavailable(t, out);
        return -1;
    }
    free(answer);
    t->stats.requests++;
    if (!json_is_true(json_object_get(a, "ok"))) {
        const char *err = json_string_value(json_object_get(a, "error"));
        harness(out, "torch worker: %.140s", err ? err : "answer without ok");
        json_decref(a);
        return 1;
    }
    *reply = a;
    return 0;
}

/* ---- JSON helpers ---------------------------------------------------------------------- */

static json_t *jhex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%" PRIx64, v);
    return json_string(b);
}

static bool get_hex(const json_t *v, uint64_t *out) {
    const char *s = json_string_value(v);
    if (!s || s[0] != '0' || s[1] != 'x' || !s[2])
        return false;
    char *end;
    *out = strtoull(s + 2, &end, 16);
    return *end == '\0';
}

static const char *kname(ft_key_t k) {
    const char *n = ft_key_name(k);
    return n ? n : "invalid_key";
}

static json_t *operand_json(const ftd_operand_t *o) {
    return json_pack("{s:o,s:s,s:i,s:b}", "bits", jhex(o->bits), "dtype", ft_dtype_name(o->dtype), "device",
                     (int)o->device, "rg", o->requires_grad);
}

/* ---- comparison bookkeeping ------------------------------------------------------------ */

typedef struct {
    ftd_torch_t *t;
    ftd_mode_result_t *out;
    bool drift;
    uint32_t noted; /* counters bumped by this check (bit per counter), for the trace */
} cx_t;

static void ran(cx_t *c, ftd_torch_counter_t what) {
    c->out->findings.runs[FTD_CMP_TORCH]++;
    c->t->stats.counters[what]++;
    c->noted |= UINT32_C(1) << what;
}

static void skipped(cx_t *c, ftd_torch_counter_t why) {
    c->out->findings.inconclusive[FTD_CMP_TORCH]++;
    c->t->stats.counters[why]++;
    c->noted |= UINT32_C(1) << why;
}

/* An allowlisted, documented drift: the verdict says so; it is not a finding (a
 * finding is a disagreement). */
static void drifted(cx_t *c, ftd_torch_counter_t id) {
    if (!c->drift)
        c->t->stats.counters[id]++;
    c->drift = true;
    c->noted |= UINT32_C(1) << id;
}

static void finding(cx_t *c, const char *reason, const char *expected, const char *observed) {
    ftd_findings_add(&c->out->findings, FTD_CMP_TORCH, reason, expected, observed);
}

/* ---- tables --------------------------------------------------------------------------- */

/* Reads the worker's [key, source, tag, fallthrough] rows. */
static bool parse_table(const json_t *rows, ttable_t *tt) {
    memset(tt, 0, sizeof *tt);
    size_t i;
    const json_t *r;
    if (!json_is_array(rows))
        return false;
    json_array_foreach(rows, i, r) {
        const char *k = json_string_value(json_array_get(r, 0)), *src = json_string_value(json_array_get(r, 1)),
                   *tag = json_string_value(json_array_get(r, 2));
        ft_key_t key;
        if (!k || !src || !tag || !json_is_boolean(json_array_get(r, 3)) || ft_key_from_name(k, &key) != FT_OK ||
            tt->e[key].present)
            return false;
        tentry_t *e = &tt->e[key];
        e->present = true;
        e->fallthrough = json_is_true(json_array_get(r, 3));
        snprintf(e->source, sizeof e->source, "%s", src);
        snprintf(e->tag, sizeof e->tag, "%s", tag);
        tt->count++;
    }
    return true;
}

static bool entry_matches(const tentry_t *e, ft_table_tag_t tag, ft_key_t source, bool fallthrough) {
    return e->present && e->fallthrough == fallthrough && strcmp(e->tag, ft_table_tag_name(tag)) == 0 &&
           strcmp(e->source, ft_table_source_name(tag, source)) == 0;
}

static void entry_texts(ft_key_t k, const tentry_t *e, ft_table_tag_t tag, ft_key_t source, bool ft, char *a, char *b) {
    snprintf(a, TEXT, "{\"key\":\"%s\",\"source\":\"%s\",\"tag\":\"%s\",\"fallthrough\":%s}", kname(k),
             e->present ? e->source : "(no row)", e->present ? e->tag : "", e->fallthrough ? "true" : "false");
    snprintf(b, TEXT, "{\"key\":\"%s\",\"source\":\"%s\",\"tag\":\"%s\",\"fallthrough\":%s}", kname(k),
             ft_table_source_name(tag, source), ft_table_tag_name(tag), ft ? "true" : "false");
}

/* Every entry of libft's table against torch's (both list Undefined and the 105
 * runtime keys). */
static void compare_tables(cx_t *c, const ttable_t *tt, const ftd_table_outcome_t *lt) {
    ran(c, FTD_TORCH_CMP_TABLE);
    const ft_key_t *keys;
    const size_t n = ft_key_runtime_list(&keys);
    if (tt->count != n) {
        char a[64], b[64];
        snprintf(a, sizeof a, "{\"rows\":%zu}", tt->count);
        snprintf(b, sizeof b, "{\"rows\":%zu}", n);
        finding(c, "table_shape", a, b);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const ft_key_t k = keys[i];
        const ftd_table_entry_t *x = &lt->entries[k];
        if (entry_matches(&tt->e[k], x->tag, x->source, x->fallthrough))
            continue;
        char a[TEXT], b[TEXT];
        entry_texts(k, &tt->e[k], x->tag, x->source, x->fallthrough, a, b);
        finding(c, "table_entry", a, b);
        return;
    }
}

/* Each hop libft took must be torch's entry for that key. */
static void check_hops(cx_t *c, const ttable_t *tt, const ftd_dispatch_outcome_t *o) {
    for (size_t i = 0; i < o->hop_count; i++) {
        const ftd_hop_t *h = &o->hops[i];
        if ((unsigned)h->key >= FT_KEY_ID_COUNT || entry_matches(&tt->e[h->key], h->tag, h->source, h->fallthrough))
            continue;
        char a[TEXT], b[TEXT];
        entry_texts(h->key, &tt->e[h->key], h->tag, h->source, h->fallthrough, a, b);
        finding(c, "route_table_entry", a, b);
        return;
    }
}

/* libft's table for a registration set: the subject runner's operator
 * (ft_op_table_entry). When the runner cannot register a set that libft's key
 * rules accept, the table of the same rules without an operator
 * (ft_table_compute_entry, what `ft-dispatch table` answers) and *subject_failed.
 * out->status is FT_OK or the key rules' rejection. -1: harness failure. */
static int libft_table(ftd_libft_t *lib, const ftd_opref_t *op, ftd_table_outcome_t *out, bool *subject_failed,
                       char *why) {
    ftd_scenario_t ts;
    ftd_scenario_init(&ts, FTD_KIND_TABLE);
    ts.op = *op;
    *subject_failed = false;
    if (ftd_libft_table(lib, &ts, NULL, out, why) != 0)
        return -1;
    if (out->status == FT_OK)
        return 0;
    const ft_status runner = out->status;
    const ft_key_t *keys;
    const size_t n = ft_key_runtime_list(&keys);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        ft_table_entry_t e;
        const ft_status st =
            op->reg_count ? ft_table_compute_entry(op->regs, op->reg_count, keys[i], &e) : FT_EINVALID_REGISTRATION;
        if (st != FT_OK) {
            memset(out, 0, sizeof *out);
            out->status = runner;
            return 0;
        }
        out->entries[keys[i]].tag = e.tag;
        out->entries[keys[i]].source = e.source;
        out->entries[keys[i]].fallthrough = e.fallthrough;
    }
    *subject_failed = true;
    return 0;
}

/* ---- routes --------------------------------------------------------------------------- */

typedef enum { END_OK, END_FALLBACK, END_NOT_IMPLEMENTED, END_UNDEFINED, END_AMBIGUOUS, END_OTHER } end_t;
static const char *const end_names[] = {"ok", "fallback", "not_implemented", "undefined", "ambiguous", "other"};

/* What a route looks like from the mirror: the registrations whose kernels ran,
 * in order (a real-fallback key stands for itself: its sentinel ran), and how it
 * ended (for not_implemented, the key whose entry was missing). */
typedef struct {
    size_t n;
    ft_key_t rec[FTD_MAX_HOPS];
    end_t end;
    ft_key_t key;
} sig_t;

static bool is_validation_error(ft_status st) {
    return st == FT_EUNKNOWN_BITS || st == FT_EEMPTY_SET || st == FT_ENO_TYPE_KEY || st == FT_ENO_BACKEND_KEY ||
           st == FT_EINCOMPATIBLE_SET;
}

/* The walk ended on a kernel (a backend kernel or a composite), whatever the
 * call's status. */
static bool landed(const ftd_dispatch_outcome_t *o) {
    if (!o->hop_count)
        return false;
    const ftd_hop_t *h = &o->hops[o->hop_count - 1];
    return !h->fallthrough &&
           (ft_table_tag_is_composite(h->tag) || (h->tag == FT_TAG_KERNEL && !ft_key_is_autograd(h->key)));
}

static void libft_sig(const ftd_dispatch_outcome_t *o, sig_t *s) {
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < o->hop_count && s->n < FTD_MAX_HOPS; i++) {
        const ftd_hop_t *h = &o->hops[i];
        if (h->fallthrough || h->tag == FT_TAG_MISSING || h->tag == FT_TAG_AMBIGUOUS_AUTOGRAD_OTHER)
            continue;
        s->rec[s->n++] = h->tag == FT_TAG_BACKEND_FALLBACK ? h->key : h->source;
    }
    const ftd_hop_t *last = o->hop_count ? &o->hops[o->hop_count - 1] : NULL;
    if (landed(o)) {
        /* the walk reached a kernel: what the kernel then did (strict mode's
           rejection, operand checks, a composite's own calls) is not the route */
        s->end = END_OK;
        return;
    }
    switch (o->status) {
    case FT_EUNSUPPORTED_FALLBACK:
        s->end = END_FALLBACK;
        break;
    case FT_ENO_KERNEL:
        s->end = last && last->tag == FT_TAG_MISSING
                     ? (last->key == FT_KEY_UNDEFINED ? END_UNDEFINED : END_NOT_IMPLEMENTED)
                     : END_OTHER;
        s->key = last ? last->key : FT_KEY_UNDEFINED;
        break;
    case FT_EAMBIGUOUS_AUTOGRAD_OTHER:
        s->end = END_AMBIGUOUS;
        break;
    default:
        s->end = END_OTHER;
    }
}

static bool reg_of(const ft_key_t *regs, size_t n, ft_key_t k) {
    for (size_t i = 0; i < n; i++)
        if (regs[i] == k)
            return true;
    return false;
}

/* The worker's route answer; false when it is malformed. */
static bool torch_sig(const json_t *r, const ft_key_t *regs, size_t nregs, sig_t *s, uint64_t *bits) {
    memset(s, 0, sizeof *s);
    const json_t *rec = json_object_get(r, "rec");
    const char *end = json_string_value(json_object_get(r, "end"));
    if (!json_is_array(rec) || !end || json_array_size(rec) > FTD_MAX_HOPS)
        return false;
    size_t i;
    const json_t *v;
    json_array_foreach(rec, i, v) {
        if (!json_is_integer(v) || !ft_key_is_valid((ft_key_t)json_integer_value(v)))
            return false;
        s->rec[s->n++] = (ft_key_t)json_integer_value(v);
    }
    *bits = 0;
    if (strcmp(end, "ok") == 0) {
        s->end = s->n && !reg_of(regs, nregs, s->rec[s->n - 1]) ? END_FALLBACK : END_OK;
        if (!get_hex(json_object_get(r, "bits"), bits))
            return false;
    } else if (strcmp(end, "not_implemented") == 0) {
        s->end = END_NOT_IMPLEMENTED;
        s->key = (ft_key_t)json_integer_value(json_object_get(r, "key"));
    } else if (strcmp(end, "undefined") == 0) {
        s->end = END_UNDEFINED;
    } else if (strcmp(end, "ambiguous") == 0) {
        s->end = END_AMBIGUOUS;
    } else {
        s->end = END_OTHER;
    }
    return true;
}

static bool sig_equal(const sig_t *a, const sig_t *b) {
    if (a->n != b->n || a->end != b->end || (a->end == END_NOT_IMPLEMENTED && a->key != b->key))
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->rec[i] != b->rec[i])
            return false;
    return true;
}

static void sig_text(const sig_t *s, const char *extra, char *buf) {
    size_t n = (size_t)snprintf(buf, TEXT, "{\"ran\":[");
    for (size_t i = 0; i < s->n && n < TEXT; i++)
        n += (size_t)snprintf(buf + n, TEXT - n, "%s\"%s\"", i ? "," : "", kname(s->rec[i]));
    if (n < TEXT)
        n += (size_t)snprintf(buf + n, TEXT - n, "],\"end\":\"%s\"", end_names[s->end]);
    if (n < TEXT && s->end == END_NOT_IMPLEMENTED)
        n += (size_t)snprintf(buf + n, TEXT - n, ",\"key\":\"%s\"", kname(s->key));
    if (n < TEXT)
        snprintf(buf + n, TEXT - n, "%s}", extra ? extra : "");
}

/* The worker's route for the keyset libft routed as `o`: the same registrations
 * run in the same order and the route ends the same way; for a custom operator
 * the value is the landing registration's number; each hop is torch's entry;
 * c10's highestPriorityBackendTypeId of the dispatch keyset is libft's backend
 * key. */
static void compare_route(cx_t *c, const ftd_scenario_t *s, const ft_key_t *regs, size_t nregs, const json_t *route,
                          const json_t *keys, const ttable_t *tt, const ftd_dispatch_outcome_t *o) {
    sig_t want, got;
    uint64_t bits;
    if (!torch_sig(route, regs, nregs, &want, &bits)) {
        harness(c->out, "torch worker: malformed route answer");
        return;
    }
    ran(c, FTD_TORCH_CMP_ROUTE);
    if (is_validation_error(o->status)) {
        /* libft fails closed on keysets c10 does not validate: both rejecting
           agrees, torch routing one is the documented fail-closed drift */
        if (want.end == END_OK || want.end == END_FALLBACK)
            drifted(c, FTD_TORCH_DRIFT_FAIL_CLOSED);
        return;
    }
    libft_sig(o, &got);
    char a[TEXT], b[TEXT], st[64];
    snprintf(st, sizeof st, ",\"status\":\"%s\"", ft_status_code(o->status));
    if (!sig_equal(&want, &got)) {
        const json_t *msg = json_object_get(route, "msg");
        char m[200] = "";
        if (json_is_string(msg)) {
            char q[160];
            if (ft_json_string(json_string_value(msg), strlen(json_string_value(msg)), q, sizeof q) < sizeof q)
                snprintf(m, sizeof m, ",\"msg\":%s", q);
        }
        sig_text(&want, m, a);
        sig_text(&got, st, b);
        finding(c, "route", a, b);
        return;
    }
    check_hops(c, tt, o);
    int64_t bk = -1;
    const json_t *jbk = json_object_get(keys, "backend_key");
    if (json_is_integer(jbk))
        bk = json_integer_value(jbk);
    if (bk != (int64_t)o->backend_key) {
        snprintf(a, sizeof a, "{\"backend_key\":\"%s\"}", bk >= 0 ? kname((ft_key_t)bk) : "?");
        snprintf(b, sizeof b, "{\"backend_key\":\"%s\"}", kname(o->backend_key));
        finding(c, "backend_key", a, b);
    }
    if (s->op.custom && o->status == FT_OK && want.end == END_OK && bits != o->value_bits) {
        snprintf(a, sizeof a, "{\"kernel_value_bits\":\"0x%" PRIx64 "\"}", bits);
        snprintf(b, sizeof b, "{\"kernel_value_bits\":\"0x%" PRIx64 "\"}", o->value_bits);
        finding(c, "custom_kernel_value", a, b);
    }
    if (o->status == FT_EDTYPE_MISMATCH && s->op.custom)
        drifted(c, FTD_TORCH_DRIFT_MIXED_DTYPE); /* torch's kernel took f32 with f64 */
    if (o->status == FT_EDEVICE_MISMATCH)
        skipped(c, FTD_TORCH_SKIP_DEVICE_MISMATCH);
    else if (o->status != FT_OK && o->status != FT_ECOMPOSITE_REJECTED && o->status != FT_EDTYPE_MISMATCH && landed(o))
        skipped(c, FTD_TORCH_SKIP_KERNEL_CALLS);
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* libft's c10 profile (FT_PROFILE_C10, checked against torch by the
 * c10_routes.jsonl fixtures): the keyset of an ordinary tensor on `dev`
 * (requires_grad plays no part). A scenario's dispatch keyset is the c10
 * profile call's own effective keyset. */
static uint64_t c10_tensor_keyset(ft_backend_t dev) {
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    ctx.profile = FT_PROFILE_C10;
    const ft_scalar_t t = ft_scalar_make(0, FT_DTYPE_F64, dev, false);
    ft_keyset_t ks = {0};
    ft_dispatch_operand_keyset(&ctx, &t, &ks);
    return ks.repr;
}

static int builtin_mirror(const char *op) {
    if (strcmp(op, "rsub") == 0)
        return 1;
    if (strcmp(op, "sqdiff") == 0)
        return 2;
    return 0;
}

static const ft_key_t builtin_regs[BUILTIN_MIRRORS][2] = {{FT_KEY_CPU, FT_KEY_AUTOGRAD},
                                                          {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, FT_KEY_AUTOGRAD},
                                                          {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, FT_KEY_UNDEFINED}};
static const size_t builtin_nregs[BUILTIN_MIRRORS] = {2, 2, 1};

static bool same_scenario(const ftd_torch_t *t, const ftd_scenario_t *s) {
    return t->have_last && ftd_scenario_equal(&t->last, s);
}

static void remember(ftd_torch_t *t, const ftd_scenario_t *s, json_t *reply) {
    json_decref(t->last_reply);
    t->last_reply = reply;
    t->last = *s;
    t->have_last = reply != NULL;
}

/* The answer for `s`: the previous mode's, or a fresh one (built by `build`).
 * Same return contract as ask(); the reply is borrowed. */
static int answer_for(ftd_torch_t *t, const ftd_scenario_t *s, json_t *(*build)(const ftd_scenario_t *, void *),
                      void *arg, json_t **reply, ftd_mode_result_t *out) {
    if (same_scenario(t, s)) {
        t->stats.reused++;
        *reply = t->last_reply;
        return 0;
    }
    remember(t, s, NULL);
    json_t *req = build(s, arg);
    if (!req) {
        harness(out, "out of memory building a torch request");
        return 1;
    }
    json_t *r;
    const int rc = ask(t, req, &r, out);
    json_decref(req);
    if (rc != 0)
        return rc;
    remember(t, s, r);
    *reply = r;
    return 0;
}

typedef struct {
    const ft_key_t *regs;
    size_t nregs;
    bool route, table;
} dispatch_req_t;

static json_t *build_dispatch(const ftd_scenario_t *s, void *arg) {
    const dispatch_req_t *d = arg;
    json_t *regs = json_array();
    for (size_t i = 0; i < d->nregs; i++)
        json_array_append_new(regs, json_integer(d->regs[i]));
    return json_pack("{s:s,s:o,s:s?,s:o,s:o,s:o,s:o,s:o,s:b,s:[oo],s:b,s:b}", "q", "dispatch", "mirror", regs,
                     "builtin", s->op.custom ? NULL : s->op.name, "lhs", operand_json(&s->lhs), "rhs",
                     operand_json(&s->rhs), "keyset", s->has_keyset ? jhex(s->keyset) : json_null(), "include",
                     jhex(s->include), "exclude", jhex(s->exclude), "grad_mode", s->grad_mode, "c10",
                     jhex(c10_tensor_keyset(s->lhs.device)), jhex(c10_tensor_keyset(s->rhs.device)), "route", d->route,
                     "table", d->table);
}

/* torch's value of a built-in against libft's (when libft ran the kernel). */
static void compare_value(cx_t *c, const ftd_scenario_t *s, const json_t *v, const ftd_dispatch_outcome_t *o,
                          bool plain) {
    const bool t_ok = json_is_true(json_object_get(v, "ok"));
    uint64_t bits = 0;
    const char *dt = json_string_value(json_object_get(v, "dtype"));
    if (t_ok && (!get_hex(json_object_get(v, "bits"), &bits) || !dt)) {
        harness(c->out, "torch worker: malformed value answer");
        return;
    }
    char a[TEXT], b[TEXT];
    if (o->status == FT_EDTYPE_MISMATCH) {
        /* torch promotes f32 with f64 to f64; libft's kernels are scalar-typed */
        if (t_ok && strcmp(dt, "f64") == 0) {
            drifted(c, FTD_TORCH_DRIFT_MIXED_DTYPE);
        } else {
            ran(c, FTD_TORCH_CMP_VALUE);
            snprintf(a, sizeof a, "{\"ok\":%s,\"dtype\":\"%s\"}", t_ok ? "true" : "false", dt ? dt : "");
            snprintf(b, sizeof b, "{\"status\":\"dtype_mismatch\"}");
            finding(c, "mixed_dtype", a, b);
        }
        return;
    }
    if (o->status != FT_OK)
        return; /* libft ran no kernel: the route comparison covers it */
    ran(c, FTD_TORCH_CMP_VALUE);
    const char *ldt = ft_dtype_name(o->dtype);
    if (!t_ok || strcmp(dt, ldt) != 0 || bits != o->value_bits) {
        if (t_ok)
            snprintf(a, sizeof a, "{\"bits\":\"0x%" PRIx64 "\",\"dtype\":\"%s\"}", bits, dt);
        else
            snprintf(a, sizeof a, "{\"error\":\"%.60s\"}", json_string_value(json_object_get(v, "error")));
        snprintf(b, sizeof b, "{\"bits\":\"0x%" PRIx64 "\",\"dtype\":\"%s\",\"op\":\"%s\"}", o->value_bits, ldt,
                 s->op.name);
        finding(c, "value_bits", a, b);
        return;
    }
    if (plain) {
        ran(c, FTD_TORCH_CMP_REQUIRES_GRAD);
        const bool rg = json_is_true(json_object_get(v, "rg"));
        if (rg != o->requires_grad) {
            snprintf(a, sizeof a, "{\"requires_grad\":%s}", rg ? "true" : "false");
            snprintf(b, sizeof b, "{\"requires_grad\":%s}", o->requires_grad ? "true" : "false");
            finding(c, "requires_grad", a, b);
        }
    }
}

/* The route signature of two libft outcomes, for the packet-vs-c10 comparison. */
static bool same_route(const ftd_scenario_t *s, const ftd_dispatch_outcome_t *x, const ftd_dispatch_outcome_t *y) {
    sig_t a, b;
    libft_sig(x, &a);
    libft_sig(y, &b);
    return x->status == y->status && sig_equal(&a, &b) && x->selected_key == y->selected_key &&
           (!s->op.custom || x->status != FT_OK || x->value_bits == y->value_bits);
}

static void check_dispatch(cx_t *c, ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode) {
    ftd_torch_t *t = c->t;
    char why[160] = "";
    ftd_dispatch_outcome_t got, c10o;
    if (ftd_libft_dispatch(lib, s, mode, &got, why) != 0) {
        harness(c->out, "libft: %s", why);
        return;
    }
    c->out->status = got.status;
    /* which operator: a built-in's mirror, or the custom registrations libft accepts */
    const ft_key_t *regs;
    size_t nregs;
    int bi = -1;
    ftd_table_outcome_t ltab;
    bool subject_failed = false;
    if (s->op.custom) {
        if (libft_table(lib, &s->op, &ltab, &subject_failed, why) != 0) {
            harness(c->out, "libft: %s", why);
            return;
        }
        if (ltab.status != FT_OK) {
            skipped(c, FTD_TORCH_SKIP_REGISTRATION);
            return;
        }
        regs = s->op.regs;
        nregs = s->op.reg_count;
    } else {
        const ft_op_t *op;
        ft_registry_t *reg;
        if (ft_registry_new(&reg) != FT_OK) {
            harness(c->out, "out of memory");
            return;
        }
        const bool known = ft_registry_find(reg, s->op.name, &op) == FT_OK;
        ft_registry_free(reg);
        if (!known) {
            skipped(c, FTD_TORCH_SKIP_REGISTRATION);
            return;
        }
        bi = builtin_mirror(s->op.name);
        regs = builtin_regs[bi];
        nregs = builtin_nregs[bi];
    }
    const uint64_t word = s->has_keyset ? s->keyset : s->include | s->exclude;
    const bool route = !(word & FT_KEYSET_UNKNOWN_MASK) && !subject_failed;
    const bool derived = !s->has_keyset;
    if (derived) { /* libft's c10 profile on the same call */
        if (ftd_libft_dispatch_profile(lib, s, mode, FT_PROFILE_C10, &c10o, why) != 0) {
            harness(c->out, "libft: %s", why);
            return;
        }
    }
    dispatch_req_t dr = {regs, nregs, route, s->op.custom || !t->have_builtin[bi]};
    json_t *reply;
    if (answer_for(t, s, build_dispatch, &dr, &reply, c->out) != 0)
        return;
    const json_t *jt = json_object_get(reply, "table"), *jr = json_object_get(reply, "route"),
                 *jk = json_object_get(reply, "keys"), *jv = json_object_get(reply, "value");
    const ttable_t *tt = NULL;
    if (s->op.custom) {
        if (jt) {
            if (!parse_table(jt, &t->scratch)) {
                harness(c->out, "torch worker: malformed table");
                return;
            }
            compare_tables(c, &t->scratch, &ltab);
            tt = &t->scratch;
        }
    } else {
        if (jt && !t->have_builtin[bi]) {
            if (!parse_table(jt, &t->builtin[bi])) {
                harness(c->out, "torch worker: malformed table");
                return;
            }
            t->have_builtin[bi] = true;
        }
        if (t->have_builtin[bi])
            tt = &t->builtin[bi];
    }
    /* values of built-ins: torch's own kernels on real CPU tensors */
    if (jv) {
        const ft_dispatch_ctx_t dflt = FT_DISPATCH_CTX_INIT;
        const bool plain = derived && s->include == dflt.include.repr && s->exclude == dflt.exclude.repr;
        compare_value(c, s, jv, &got, plain);
        if (derived && got.status != FT_OK)
            compare_value(c, s, jv, &c10o, false);
        /* the c10 profile's result must require grad exactly when torch's does */
        if (plain && c10o.status == FT_OK && json_is_true(json_object_get(jv, "ok")) &&
            json_is_true(json_object_get(jv, "rg")) != c10o.requires_grad) {
            char a[TEXT], b[TEXT];
            snprintf(a, sizeof a, "{\"requires_grad\":%s}", c10o.requires_grad ? "false" : "true");
            snprintf(b, sizeof b, "{\"c10_profile_requires_grad\":%s}", c10o.requires_grad ? "true" : "false");
            finding(c, "c10_requires_grad", a, b);
        }
    } else if (!s->op.custom) {
        skipped(c, FTD_TORCH_SKIP_DEVICE_VALUE);
    }
    if (!route) {
        skipped(c, subject_failed ? FTD_TORCH_SKIP_SUBJECT_REG : FTD_TORCH_SKIP_UNKNOWN_BITS);
        return;
    }
    const char *refused = json_string_value(json_object_get(jr, "refused"));
    if (!jr || refused || !tt) {
        skipped(c, refused && strcmp(refused, "stale_cached_table") == 0 ? FTD_TORCH_SKIP_STALE_TABLE
                   : refused && strcmp(refused, "unknown_bits") == 0     ? FTD_TORCH_SKIP_UNKNOWN_BITS
                                                                         : FTD_TORCH_SKIP_UNREGISTRABLE);
        return;
    }
    if (!derived) {
        compare_route(c, s, regs, nregs, jr, jk, tt, &got);
        return;
    }
    /* derived: c10 derived the keyset from real tensors; libft routes the same
       keyset (the c10 profile); the packet profile may differ only by it */
    ran(c, FTD_TORCH_CMP_C10_KEYSET);
    uint64_t tl = 0, trh = 0, te = 0;
    const char *src = json_string_value(json_object_get(jk, "src"));
    if (!get_hex(json_object_get(jk, "lhs"), &tl) || !get_hex(json_object_get(jk, "rhs"), &trh) ||
        !get_hex(json_object_get(jk, "effective"), &te) || !src || strlen(src) != 2) {
        harness(c->out, "torch worker: malformed keys answer");
        return;
    }
    const uint64_t want_l = c10_tensor_keyset(s->lhs.device), want_r = c10_tensor_keyset(s->rhs.device),
                   want_e = c10o.effective_keyset;
    if ((src[0] == 'r' && tl != want_l) || (src[1] == 'r' && trh != want_r) || te != want_e) {
        char a[TEXT], b[TEXT];
        snprintf(a, sizeof a, "{\"lhs\":\"0x%" PRIx64 "\",\"rhs\":\"0x%" PRIx64 "\",\"dispatch\":\"0x%" PRIx64 "\"}",
                 tl, trh, te);
        snprintf(b, sizeof b,
                 "{\"c10_profile\":{\"lhs\":\"0x%" PRIx64 "\",\"rhs\":\"0x%" PRIx64 "\",\"dispatch\":\"0x%" PRIx64
                 "\"}}",
                 want_l, want_r, want_e);
        finding(c, "c10_keyset", a, b);
        return;
    }
    compare_route(c, s, regs, nregs, jr, jk, tt, &c10o);
    if (!same_route(s, &got, &c10o)) {
        if ((got.effective_keyset ^ c10o.effective_keyset) & ~C10_DRIFT_BITS) {
            char a[TEXT], b[TEXT];
            snprintf(a, sizeof a, "{\"c10_profile_keyset\":\"0x%" PRIx64 "\"}", c10o.effective_keyset);
            snprintf(b, sizeof b, "{\"packet_keyset\":\"0x%" PRIx64 "\"}", got.effective_keyset);
            finding(c, "packet_keyset", a, b);
        } else if (t->packet_drift_ok) {
            drifted(c, FTD_TORCH_DRIFT_C10_DERIVATION);
        } else {
            char a[TEXT], b[TEXT];
            snprintf(a, sizeof a, "{\"c10_profile_keyset\":\"0x%" PRIx64 "\"}", c10o.effective_keyset);
            snprintf(b, sizeof b, "{\"packet_keyset\":\"0x%" PRIx64 "\",\"allowlisted\":false}", got.effective_keyset);
            finding(c, "packet_derivation", a, b);
        }
    }
}

/* ---- tables --------------------------------------------------------------------------- */

static json_t *build_table(const ftd_scenario_t *s, void *arg) {
    (void)arg;
    json_t *regs = json_array();
    for (size_t i = 0; i < s->op.reg_count; i++)
        json_array_append_new(regs, json_integer(s->op.regs[i]));
    return json_pack("{s:s,s:o}", "q", "table", "regs", regs);
}

static void check_table(cx_t *c, ftd_libft_t *lib, const ftd_scenario_t *s) {
    char why[160] = "";
    ftd_table_outcome_t lt;
    bool subject_failed;
    if (libft_table(lib, &s->op, &lt, &subject_failed, why) != 0) {
        harness(c->out, "libft: %s", why);
        return;
    }
    if (subject_failed)
        skipped(c, FTD_TORCH_SKIP_SUBJECT_REG);
    c->out->status = lt.status;
    if (lt.status != FT_OK) {
        skipped(c, FTD_TORCH_SKIP_REGISTRATION);
        return;
    }
    json_t *reply;
    if (answer_for(c->t, s, build_table, NULL, &reply, c->out) != 0)
        return;
    if (json_object_get(reply, "refused")) {
        skipped(c, FTD_TORCH_SKIP_UNREGISTRABLE);
        return;
    }
    if (!parse_table(json_object_get(reply, "table"), &c->t->scratch)) {
        harness(c->out, "torch worker: malformed table");
        return;
    }
    compare_tables(c, &c->t->scratch, &lt);
}

/* ---- keysets -------------------------------------------------------------------------- */

static json_t *build_keyset(const ftd_scenario_t *s, void *arg) {
    (void)arg;
    return json_pack("{s:s,s:o,s:o,s:i}", "q", "keyset", "a", jhex(s->a), "b", jhex(s->b), "key", (int)s->key);
}

static void word_check(cx_t *c, const json_t *reply, const char *field, uint64_t libft, bool *bad, char *a, char *b) {
    uint64_t v;
    if (*bad || !get_hex(json_object_get(reply, field), &v) || v == libft)
        return;
    *bad = true;
    snprintf(a, TEXT, "{\"%s\":\"0x%" PRIx64 "\"}", field, v);
    snprintf(b, TEXT, "{\"%s\":\"0x%" PRIx64 "\"}", field, libft);
    finding(c, "keyset_algebra", a, b);
}

static void check_keyset(cx_t *c, const ftd_scenario_t *s) {
    char why[160] = "", a[TEXT], b[TEXT];
    ftd_keyset_outcome_t k;
    if (ftd_libft_keyset(s, &k, why) != 0) {
        harness(c->out, "libft: %s", why);
        return;
    }
    json_t *r;
    if (answer_for(c->t, s, build_keyset, NULL, &r, c->out) != 0)
        return;
    ran(c, FTD_TORCH_CMP_KEYSET);
    static const char *const fields[] = {"or", "and", "sub", "add_key", "remove_key", "key_bits"};
    const uint64_t mine[] = {k.union_bits, k.and_bits, k.sub_bits, k.add_key_bits, k.remove_key_bits, k.key_bits};
    for (size_t i = 0; i < 6; i++)
        if (!json_object_get(r, fields[i])) {
            harness(c->out, "torch worker: keyset answer lacks %s", fields[i]);
            return;
        }
    bool bad = false;
    for (size_t i = 0; i < 6; i++)
        word_check(c, r, fields[i], mine[i], &bad, a, b);
    if (json_is_true(json_object_get(r, "has")) != k.has_key) {
        snprintf(a, sizeof a, "{\"has\":%s,\"key\":\"%s\"}", k.has_key ? "false" : "true", kname(s->key));
        snprintf(b, sizeof b, "{\"has\":%s,\"key\":\"%s\"}", k.has_key ? "true" : "false", kname(s->key));
        finding(c, "keyset_has", a, b);
    }
    bad = false;
    word_check(c, r, "full_after", k.full_after_bits, &bad, a, b);
    const json_t *hp = json_object_get(r, "highest_priority"), *hpb = json_object_get(r, "highest_priority_backend");
    const char *repr = json_string_value(json_object_get(r, "repr"));
    if (!hp || !hpb || !repr) {
        skipped(c, FTD_TORCH_SKIP_KEYSET_PRIORITY);
        return;
    }
    if (json_integer_value(hp) != (json_int_t)k.highest_priority ||
        json_integer_value(hpb) != (json_int_t)k.highest_priority_backend) {
        snprintf(a, sizeof a, "{\"highest_priority\":\"%s\",\"highest_priority_backend\":\"%s\"}",
                 kname((ft_key_t)json_integer_value(hp)), kname((ft_key_t)json_integer_value(hpb)));
        snprintf(b, sizeof b, "{\"highest_priority\":\"%s\",\"highest_priority_backend\":\"%s\"}",
                 kname(k.highest_priority), kname(k.highest_priority_backend));
        finding(c, "keyset_priority", a, b);
    }
    char text[FT_KEYSET_TEXT_MAX];
    ft_keyset_format(ft_keyset_from_raw(s->a), text, sizeof text);
    if (strcmp(text, repr) != 0) {
        char q1[TEXT - 16], q2[TEXT - 16];
        if (ft_json_string(repr, strlen(repr), q1, sizeof q1) >= sizeof q1)
            snprintf(q1, sizeof q1, "\"(too long)\"");
        if (ft_json_string(text, strlen(text), q2, sizeof q2) >= sizeof q2)
            snprintf(q2, sizeof q2, "\"(too long)\"");
        snprintf(a, sizeof a, "{\"repr\":%s}", q1);
        snprintf(b, sizeof b, "{\"repr\":%s}", q2);
        finding(c, "keyset_repr", a, b);
    }
}

/* ---- programs ------------------------------------------------------------------------- */

static json_t *build_program(const ftd_scenario_t *s, void *arg) {
    (void)arg;
    json_t *leaves = json_array(), *ops = json_array();
    for (size_t i = 0; i < s->leaf_count; i++)
        json_array_append_new(leaves, operand_json(&s->leaves[i]));
    for (size_t i = 0; i < s->op_count; i++)
        json_array_append_new(ops, json_pack("[s,i,i]", s->ops[i].op, (int)s->ops[i].lhs, (int)s->ops[i].rhs));
    return json_pack("{s:s,s:o,s:o,s:i,s:b,s:o,s:o}", "q", "program", "leaves", leaves, "ops", ops, "root",
                     (int)s->root, "grad_mode", s->grad_mode, "include", jhex(s->include), "exclude", jhex(s->exclude));
}

static double as_double(uint64_t bits, ft_dtype_t dt) {
    const ftd_operand_t o = {bits, dt, FT_BACKEND_CPU, false};
    return ftd_operand_value(&o);
}

/* Units in the last place between two finite values of one dtype. */
static uint64_t ulps(uint64_t a, uint64_t b, ft_dtype_t dt) {
    const unsigned w = dt == FT_DTYPE_F32 ? 32 : 64;
    const uint64_t sign = UINT64_C(1) << (w - 1);
    /* map to a monotone unsigned line: negatives below positives */
    const uint64_t ma = a & sign ? sign - (a & ~sign) : sign + a, mb = b & sign ? sign - (b & ~sign) : sign + b;
    return ma > mb ? ma - mb : mb - ma;
}

/* The grads fixtures' tolerance: 4 ulps, or 1e-12 relative; NaN matches NaN; an
 * infinity only itself. */
static bool grad_close(uint64_t x, uint64_t y, ft_dtype_t dt) {
    if (x == y)
        return true;
    const double a = as_double(x, dt), b = as_double(y, dt);
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    return ulps(x, y, dt) <= 4 || fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

static bool op_is_composite(const char *op) {
    return strcmp(op, "rsub") == 0 || strcmp(op, "sqdiff") == 0;
}

static void check_program(cx_t *c, ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode) {
    char why[160] = "", a[TEXT], b[TEXT];
    ftd_program_outcome_t p;
    if (ftd_libft_program(lib, s, mode, &p, why) != 0) {
        harness(c->out, "libft: %s", why);
        return;
    }
    c->out->status = p.ran < s->op_count ? p.failed_status : FT_OK;
    json_t *r;
    if (answer_for(c->t, s, build_program, NULL, &r, c->out) != 0)
        return;
    if (json_object_get(r, "refused")) {
        skipped(c, FTD_TORCH_SKIP_PROGRAM_CONTEXT);
        return;
    }
    const json_t *vals = json_object_get(r, "values"), *rgs = json_object_get(r, "rg");
    if (!json_is_array(vals) || !json_is_array(rgs) || json_array_size(vals) != json_array_size(rgs) ||
        json_array_size(vals) < s->leaf_count || json_array_size(vals) > s->leaf_count + s->op_count) {
        harness(c->out, "torch worker: malformed program answer");
        return;
    }
    ran(c, FTD_TORCH_CMP_PROGRAM);
    const size_t t_ran = json_array_size(vals) - s->leaf_count; /* ops torch ran */
    const size_t both = s->leaf_count + (t_ran < p.ran ? t_ran : p.ran);
    for (size_t v = 0; v < both; v++) {
        uint64_t bits;
        if (!get_hex(json_array_get(vals, v), &bits)) {
            harness(c->out, "torch worker: malformed program value");
            return;
        }
        const bool rg = json_is_true(json_array_get(rgs, v));
        if (bits != p.value_bits[v] || rg != p.requires_grad[v]) {
            snprintf(a, sizeof a, "{\"var\":%zu,\"bits\":\"0x%" PRIx64 "\",\"requires_grad\":%s}", v, bits,
                     rg ? "true" : "false");
            snprintf(b, sizeof b, "{\"var\":%zu,\"bits\":\"0x%" PRIx64 "\",\"requires_grad\":%s}", v, p.value_bits[v],
                     p.requires_grad[v] ? "true" : "false");
            finding(c, "program_value", a, b);
            return;
        }
    }
    if (t_ran != p.ran) {
        /* who stopped first, and is it a documented difference? */
        const bool libft_stopped = p.ran < t_ran;
        const char *op = libft_stopped ? s->ops[p.ran].op : "";
        if (libft_stopped && p.failed_status == FT_ECOMPOSITE_REJECTED && mode == FT_MODE_STRICT &&
            op_is_composite(op)) {
            skipped(c, FTD_TORCH_SKIP_STRICT_REST); /* torch has no strict mode */
            return;
        }
        if (libft_stopped && p.failed_status == FT_EDTYPE_MISMATCH) {
            drifted(c, FTD_TORCH_DRIFT_MIXED_DTYPE);
            return;
        }
        const char *err = json_string_value(json_object_get(r, "error"));
        char q[160] = "null";
        if (err && ft_json_string(err, strlen(err), q, sizeof q) >= sizeof q)
            snprintf(q, sizeof q, "\"(too long)\"");
        snprintf(a, sizeof a, "{\"ops_ran\":%zu,\"error\":%s}", t_ran, q);
        snprintf(b, sizeof b, "{\"ops_ran\":%zu,\"status\":\"%s\"}", p.ran,
                 p.ran < s->op_count ? ft_status_code(p.failed_status) : "ok");
        finding(c, "program_failure", a, b);
        return;
    }
    if (p.ran < s->op_count)
        return; /* both stopped at the same op */
    const bool t_back = json_is_true(json_object_get(r, "backward"));
    const json_t *grads = json_object_get(r, "grads");
    if (t_back != p.backward_ran || (t_back && (!json_is_array(grads) || p.backward_status != FT_OK))) {
        const char *err = json_string_value(json_object_get(r, "backward_error"));
        snprintf(a, sizeof a, "{\"backward\":%s,\"error\":\"%.100s\"}", t_back ? "true" : "false", err ? err : "");
        snprintf(b, sizeof b, "{\"backward\":%s,\"status\":\"%s\"}", p.backward_ran ? "true" : "false",
                 ft_status_code(p.backward_status));
        finding(c, "backward", a, b);
        return;
    }
    if (!t_back)
        return;
    if (json_array_size(grads) != s->leaf_count) {
        harness(c->out, "torch worker: malformed grads");
        return;
    }
    ran(c, FTD_TORCH_CMP_GRADS);
    for (size_t i = 0; i < s->leaf_count; i++) {
        const json_t *g = json_array_get(grads, i);
        uint64_t gb = 0;
        const bool defined = !json_is_null(g);
        if (defined && !get_hex(g, &gb)) {
            harness(c->out, "torch worker: malformed grad");
            return;
        }
        if (defined == p.grad_defined[i] && (!defined || grad_close(gb, p.grad_bits[i], s->leaves[i].dtype)))
            continue;
        if (defined)
            snprintf(a, sizeof a, "{\"leaf\":%zu,\"grad\":\"0x%" PRIx64 "\"}", i, gb);
        else
            snprintf(a, sizeof a, "{\"leaf\":%zu,\"grad\":null}", i);
        if (p.grad_defined[i])
            snprintf(b, sizeof b, "{\"leaf\":%zu,\"grad\":\"0x%" PRIx64 "\"}", i, p.grad_bits[i]);
        else
            snprintf(b, sizeof b, "{\"leaf\":%zu,\"grad\":null}", i);
        finding(c, "program_grad", a, b);
        return;
    }
}

/* ---- the check ------------------------------------------------------------------------ */

void ftd_torch_check(ftd_torch_t *t, ftd_libft_t *lib, const ftd_scenario_t *s, ft_mode_t mode,
                     ftd_mode_result_t *out) {
    memset(out, 0, sizeof *out);
    out->ran = true;
    if (!t || t->dead) {
        unavailable(t, out);
        if (t) {
            t->stats.checks++;
            t->stats.verdicts[out->verdict]++;
        }
        return;
    }
    t->stats.checks++;
    out->verdict = FTD_VERDICT_PASS;
    cx_t c = {t, out, false, 0};
    switch (s->kind) {
    case FTD_KIND_DISPATCH:
        check_dispatch(&c, lib, s, mode);
        break;
    case FTD_KIND_PROGRAM:
        check_program(&c, lib, s, mode);
        break;
    case FTD_KIND_TABLE:
        check_table(&c, lib, s);
        break;
    case FTD_KIND_KEYSET:
        check_keyset(&c, s);
        break;
    default:
        harness(out, "unknown scenario kind");
    }
    if (out->verdict == FTD_VERDICT_PASS) {
        if (ftd_findings_blocking(&out->findings))
            out->verdict = FTD_VERDICT_BLOCKING;
        else if (c.drift)
            out->verdict = FTD_VERDICT_ALLOWLISTED;
        else if (!out->findings.runs[FTD_CMP_TORCH]) {
            /* nothing torch could be asked: libft failed closed by its own policy */
            if (out->findings.inconclusive[FTD_CMP_TORCH])
                out->verdict = FTD_VERDICT_EXPECTED_ERROR;
            else
                harness(out, "torch check compared nothing");
        }
    }
    t->stats.verdicts[out->verdict]++;
    if (t->trace_fd >= 0) {
        char sc[8192], line[12288];
        if (ftd_scenario_encode(s, sc, sizeof sc) >= sizeof sc)
            snprintf(sc, sizeof sc, "null");
        int n = snprintf(line, sizeof line, "{\"mode\":\"%s\",\"verdict\":\"%s\",\"harness\":\"%.100s\",\"noted\":[",
                         ft_mode_name(mode), ftd_verdict_name(out->verdict), out->harness);
        for (int i = 0, first = 1; i < FTD_TORCH_COUNTER_COUNT && n > 0 && (size_t)n < sizeof line; i++)
            if (c.noted >> i & 1) {
                n += snprintf(line + n, sizeof line - (size_t)n, "%s\"%s\"", first ? "" : ",", counter_names[i]);
                first = 0;
            }
        if (n > 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "],\"findings\":[");
        for (size_t i = 0; i < out->findings.count && n > 0 && (size_t)n < sizeof line; i++)
            n += snprintf(line + n, sizeof line - (size_t)n, "%s{\"reason\":\"%s\",\"torch\":%s,\"libft\":%s}",
                          i ? "," : "", out->findings.items[i].reason, out->findings.items[i].expected,
                          out->findings.items[i].observed);
        if (n > 0 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, "],\"scenario\":%s}", sc);
        trace(t, "= ", line);
    }
}
