/* The campaign engine (ftdiff/campaign.h).
 *
 * Work is cut into chunks of items (fixture cases first, then generated
 * scenarios); worker threads check a chunk's items into result slots, then the
 * calling thread writes the chunk's events in item order. So the log's bytes
 * depend on the seed and the item list only, never on --jobs: each thread
 * owns its subject runner, and all writing is in one place, in order. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ft/json_text.h"
#include "ft/version.h"
#include "ftdiff/batch_case.h"
#include "ftdiff/campaign.h"
#include "ftdiff/dispatch_batch.h"
#include "ftdiff/scenario_gen.h"
#include "ftdiff/torch_oracle.h"
#include "ftf/atomic_file.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"
#include "ftf/triage.h"
#include "refmodel_internal.h"

#define PACKET_ID     "FT-P2C-002"
#define GEN_SUITE     "generated"
#define GEN_FIXTURE   "generator"
#define CHUNK         2048
#define TOOL_NAME     "ft-campaign"
#define JUNIT_MAX_GEN 1000 /* generated failures listed one by one in JUnit */

void ftd_campaign_options_init(ftd_campaign_options_t *o) {
    memset(o, 0, sizeof *o);
    o->scenarios = 100000;
    o->seed = 0x5eed;
    o->modes = FTD_MODE_STRICT_BIT | FTD_MODE_HARDENED_BIT;
    o->shard_count = 1;
}

/* A torch oracle fixture file (batch format, ftdiff/batch_case.h), kept as
 * raw lines and parsed by the worker that checks them. */
typedef struct {
    const char *path;
    char suite[FTD_CASE_NAME_MAX]; /* "oracle_" + file stem */
    char *data;
    size_t count;
    size_t *off; /* line i is data + off[i], NUL-terminated */
    uint32_t *lineno;
} oracle_file_t;

typedef struct {
    const ftd_fixture_t *fixture; /* a fixture case, or */
    const ftd_fixture_case_t *fcase;
    const oracle_file_t *ofile; /* an oracle fixture line, or (both NULL) generated */
    size_t oline;
    uint64_t index;
} item_t;

typedef struct {
    ftd_scenario_t scenario;
    ftd_check_result_t check;
    ftd_mode_result_t torch[2]; /* the live oracle's verdict, when asked for */
    bool torch_ran[2];          /* ... and whether it was asked, for this item and mode */
    char *batch_text;           /* oracle lines: the event's scenario, {"kind":"batch","case":LINE} */
} slot_t;

typedef struct campaign campaign_t;

typedef struct {
    campaign_t *c;
    unsigned id;
    ftd_libft_t *lib;
    ftd_batch_t *batch;
    ftd_torch_t *torch;
    size_t begin, end;
    slot_t *slots;
} worker_t;

struct campaign {
    const ftd_campaign_options_t *o;
    ftd_allowlist_t allow;
    ftd_fixture_t *fixtures;
    size_t fixture_count;
    oracle_file_t *ofiles;
    size_t ofile_count;
    item_t *items;
    size_t item_count;
    slot_t *slots[2]; /* chunk k is checked into slots[k % 2] while chunk k - 1 is written */
    unsigned jobs;
    worker_t *workers;
    /* output */
    ftf_log_writer_t *log;
    ftf_locator_builder_t *loc;
    char env_fp[FTF_ENV_FINGERPRINT_SIZE];
    char run_id[FTF_RUN_ID_SIZE];
    uint64_t seq;
    char *line; /* scenario text scratch */
    size_t line_cap;
    ftd_campaign_totals_t *t;
    FILE *junit_gen; /* generated failures for JUnit, in memory */
    char *junit_gen_buf;
    size_t junit_gen_len;
    uint64_t junit_gen_count;
    json_t *fixture_results; /* per fixture case and mode, for JUnit */
    /* key names for events, from the harness's own table (a broken name in libft
       then shows as drift in the checks instead of an unwritable event) */
    char key_names[FT_KEY_ID_COUNT][FTDR_NAME_MAX];
    char *why;
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static int
fail(campaign_t *c, const char *fmt, ...) {
    if (c->why && !c->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, 512, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- items ------------------------------------------------------------------------- */

static bool wanted(const ftd_campaign_options_t *o, const char *suite, const char *packet) {
    return (!o->suite || strcmp(o->suite, suite) == 0) && (!o->packet || strcmp(o->packet, packet) == 0);
}

static int load_fixtures(campaign_t *c) {
    const ftd_campaign_options_t *o = c->o;
    if (!o->fixture_path_count)
        return 0;
    c->fixtures = calloc(o->fixture_path_count, sizeof *c->fixtures);
    if (!c->fixtures)
        return fail(c, "out of memory");
    for (size_t i = 0; i < o->fixture_path_count; i++) {
        ftd_error_t err;
        if (ftd_fixture_load(o->fixture_paths[i], &c->fixtures[i], &err) != 0)
            return fail(c, "%s:%d: %s%s%s", o->fixture_paths[i], err.line, err.field, err.field[0] ? ": " : "",
                        err.text);
        c->fixture_count++;
    }
    return 0;
}

static int load_oracle_file(campaign_t *c, const char *path, oracle_file_t *f) {
    memset(f, 0, sizeof *f);
    f->path = path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const size_t stem = strcspn(base, ".");
    snprintf(f->suite, sizeof f->suite, "oracle_%.*s", (int)(stem < 100 ? stem : 100), base);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fail(c, "cannot read %s: %s", path, strerror(errno));
    size_t cap = 0, len = 0, lines_cap = 0;
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, fp)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            char *p = realloc(f->data, cap);
            if (!p) {
                fclose(fp);
                return fail(c, "out of memory reading %s", path);
            }
            f->data = p;
        }
        memcpy(f->data + len, buf, k);
        len += k;
    }
    const bool bad = ferror(fp);
    fclose(fp);
    if (bad)
        return fail(c, "cannot read %s: %s", path, strerror(errno));
    if (!f->data || !len)
        return fail(c, "%s: empty fixture file", path);
    f->data[len] = '\0';
    uint32_t ln = 0;
    for (size_t i = 0; i < len;) {
        char *nl = memchr(f->data + i, '\n', len - i);
        const size_t end = nl ? (size_t)(nl - f->data) : len;
        ln++;
        if (end > i) {
            if (f->count == lines_cap) {
                lines_cap = lines_cap ? lines_cap * 2 : 1024;
                size_t *o = realloc(f->off, lines_cap * sizeof *o);
                uint32_t *l = o ? realloc(f->lineno, lines_cap * sizeof *l) : NULL;
                if (o)
                    f->off = o;
                if (!o || !l)
                    return fail(c, "out of memory reading %s", path);
                f->lineno = l;
            }
            f->off[f->count] = i;
            f->lineno[f->count++] = ln;
            f->data[end] = '\0';
        }
        i = end + 1;
    }
    return 0;
}

static int load_oracle_fixtures(campaign_t *c) {
    const ftd_campaign_options_t *o = c->o;
    if (!o->oracle_fixture_path_count)
        return 0;
    if (!(c->ofiles = calloc(o->oracle_fixture_path_count, sizeof *c->ofiles)))
        return fail(c, "out of memory");
    for (size_t i = 0; i < o->oracle_fixture_path_count; i++) {
        c->ofile_count++;
        if (load_oracle_file(c, o->oracle_fixture_paths[i], &c->ofiles[i]) != 0)
            return -1;
    }
    return 0;
}

static int build_items(campaign_t *c) {
    const ftd_campaign_options_t *o = c->o;
    size_t n = 0;
    for (size_t f = 0; f < c->fixture_count; f++)
        if (wanted(o, c->fixtures[f].suite, c->fixtures[f].packet))
            n += c->fixtures[f].count;
    for (size_t f = 0; f < c->ofile_count; f++)
        if (wanted(o, c->ofiles[f].suite, PACKET_ID))
            n += c->ofiles[f].count;
    const bool gen = wanted(o, GEN_SUITE, PACKET_ID);
    uint64_t g = 0;
    if (gen)
        for (uint64_t i = 0; i < o->scenarios; i++)
            g += i % o->shard_count == o->shard_index;
    if (n + g == 0)
        return fail(c, "no scenario matches the filters (--packet %s, --suite %s)", o->packet ? o->packet : "any",
                    o->suite ? o->suite : "any");
    c->items = calloc(n + g, sizeof *c->items);
    if (!c->items)
        return fail(c, "out of memory for %zu items", (size_t)(n + g));
    for (size_t f = 0; f < c->fixture_count; f++) {
        if (!wanted(o, c->fixtures[f].suite, c->fixtures[f].packet))
            continue;
        for (size_t k = 0; k < c->fixtures[f].count; k++) {
            item_t *it = &c->items[c->item_count++];
            it->fixture = &c->fixtures[f];
            it->fcase = &c->fixtures[f].cases[k];
        }
    }
    for (size_t f = 0; f < c->ofile_count; f++) {
        if (!wanted(o, c->ofiles[f].suite, PACKET_ID))
            continue;
        for (size_t k = 0; k < c->ofiles[f].count; k++) {
            item_t *it = &c->items[c->item_count++];
            it->ofile = &c->ofiles[f];
            it->oline = k;
        }
    }
    if (gen)
        for (uint64_t i = 0; i < o->scenarios; i++)
            if (i % o->shard_count == o->shard_index)
                c->items[c->item_count++].index = i;
    return 0;
}

/* ---- checking ---------------------------------------------------------------------- */

static void check_oracle_line(worker_t *w, const item_t *it, slot_t *s) {
    const oracle_file_t *f = it->ofile;
    const char *text = f->data + f->off[it->oline];
    json_error_t je;
    json_t *line = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!line) { /* a fixture that cannot be read fails the run, never passes */
        ftd_check_result_init(&s->check);
        s->check.modes = FTD_MODE_STRICT_BIT;
        s->check.mode[0].ran = true;
        s->check.mode[0].verdict = FTD_VERDICT_HARNESS_ERROR;
        snprintf(s->check.mode[0].harness, sizeof s->check.mode[0].harness, "%.70s:%u: %.70s", f->path,
                 f->lineno[it->oline], je.text);
        return;
    }
    ftd_check_batch_case(w->batch, line, &s->check);
    /* the whole case (query and torch's answer) goes into the event, so the
       finding replays from the log alone */
    json_t *wrap = json_pack("{s:s,s:O}", "kind", "batch", "case", line);
    s->batch_text = wrap ? json_dumps(wrap, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(wrap);
    json_decref(line);
    for (int m = 0; m < 2; m++)
        if (s->check.mode[m].ran && s->check.mode[m].verdict == FTD_VERDICT_HARNESS_ERROR) {
            char msg[160];
            snprintf(msg, sizeof msg, "%.60s:%u: %.80s", f->path, f->lineno[it->oline], s->check.mode[m].harness);
            snprintf(s->check.mode[m].harness, sizeof s->check.mode[m].harness, "%s", msg);
        }
}

static void check_item(worker_t *w, const item_t *it, slot_t *s) {
    const ftd_campaign_options_t *o = w->c->o;
    free(s->batch_text);
    s->batch_text = NULL;
    s->torch_ran[0] = s->torch_ran[1] = false;
    if (it->ofile) {
        check_oracle_line(w, it, s);
        return;
    }
    if (it->fixture)
        s->scenario = it->fcase->scenario;
    else
        ftd_generate(o->seed, it->index, &s->scenario);
    ftd_check_scenario(w->lib, &w->c->allow, &s->scenario, o->modes, it->fixture ? it->fcase : NULL, &s->check);
    if (o->oracle == FTD_ORACLE_TORCH)
        for (int m = 0; m < 2; m++)
            if (s->check.mode[m].ran) {
                ftd_torch_check(w->torch, w->lib, &s->scenario, m ? FT_MODE_HARDENED : FT_MODE_STRICT, &s->torch[m]);
                s->torch_ran[m] = true;
            }
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    campaign_t *c = w->c;
    for (size_t i = w->begin + w->id; i < w->end; i += c->jobs)
        check_item(w, &c->items[i], &w->slots[i - w->begin]);
    return NULL;
}

/* ---- events ---------------------------------------------------------------------------- */

static const char *key_name(const campaign_t *c, ft_key_t k) {
    return (unsigned)k < FT_KEY_ID_COUNT ? c->key_names[k] : "invalid";
}

static void dispatch_group(const campaign_t *c, ftf_event_t *ev, const ftd_scenario_t *s,
                           const ftd_dispatch_outcome_t *o) {
    ev->has_dispatch = true;
    ftf_dispatch_fields_t *d = &ev->dispatch;
    d->op = s->op.name;
    d->selected_key = key_name(c, o->selected_key);
    d->backend_key = key_name(c, o->backend_key);
    d->kernel = o->kernel[0] ? o->kernel : NULL;
    d->keyset_bits = o->keyset;
    d->fallback_used = o->fallback_used;
    d->mode_split = o->mode_split;
    d->route_count = o->hop_count < FTF_ROUTE_MAX_HOPS ? o->hop_count : FTF_ROUTE_MAX_HOPS;
    for (size_t i = 0; i < d->route_count; i++) {
        const ftd_hop_t *h = &o->hops[i];
        d->route[i].key = key_name(c, h->key);
        d->route[i].source = ft_table_source_name(h->tag, h->source);
        d->route[i].tag = ft_table_tag_name(h->tag);
        d->route[i].fallthrough = h->fallthrough;
        d->route[i].kernel = h->kernel[0] ? h->kernel : NULL;
    }
}

/* A comparator's own op name for the signature: the program's or keyset's kind
 * says more than an empty op. */
static const char *op_of(const ftd_scenario_t *s) {
    switch (s->kind) {
    case FTD_KIND_DISPATCH:
        return s->op.name;
    case FTD_KIND_PROGRAM:
        return "program";
    case FTD_KIND_TABLE:
        return "table";
    case FTD_KIND_KEYSET:
        return "keyset";
    }
    return "unknown";
}

static int write_event(campaign_t *c, ftf_event_t *ev, bool failure) {
    ev->seq = c->seq++;
    ftf_log_pos_t pos;
    ftf_status st = ftf_log_write_event(c->log, ev, &pos);
    if (st != FTF_OK)
        return fail(c, "writing the log: %s (%s)", ftf_strerror(st), ftf_log_writer_errmsg(c->log));
    (void)failure;
    st = ftf_locator_builder_add(c->loc, ev->scenario_id, strlen(ev->scenario_id), &pos, (unsigned)ev->outcome,
                                 (unsigned)ev->mode, ev->seq);
    if (st != FTF_OK)
        return fail(c, "building the locator: %s", ftf_strerror(st));
    c->t->events++;
    return 0;
}

static void junit_gen_failure(campaign_t *c, const char *suite, const char *id, const char *mode,
                              const ftd_mode_result_t *m);

static void count_mode(campaign_t *c, const ftd_scenario_t *s, int mi, const ftd_mode_result_t *m) {
    ftd_campaign_totals_t *t = c->t;
    t->runs++;
    t->verdicts[m->verdict]++;
    if (m->verdict == FTD_VERDICT_BLOCKING || m->verdict == FTD_VERDICT_HARNESS_ERROR)
        t->failed++;
    else
        t->passed++;
    for (int k = 0; k < FTD_CMP_COUNT; k++) {
        t->comparator_runs[k] += m->findings.runs[k];
        t->comparator_inconclusive[k] += m->findings.inconclusive[k];
    }
    for (size_t i = 0; i < m->findings.count; i++)
        if (!m->findings.items[i].allowlisted)
            t->comparator_failures[m->findings.items[i].comparator]++;
    if (s->kind == FTD_KIND_DISPATCH && m->has_observed) {
        t->dispatch_runs[mi]++;
        t->fallback_used[mi] += m->observed.fallback_used;
    }
}

static ftf_outcome_t outcome_of(ftd_verdict_t v) {
    switch (v) {
    case FTD_VERDICT_PASS:
    case FTD_VERDICT_EXPECTED_ERROR:
        return FTF_OUTCOME_PASS;
    case FTD_VERDICT_ALLOWLISTED:
        return FTF_OUTCOME_ALLOWLISTED;
    case FTD_VERDICT_ORACLE_UNAVAILABLE:
        return FTF_OUTCOME_SKIPPED;
    default:
        return FTF_OUTCOME_FAIL;
    }
}

/* Writes the events of one scenario in one mode: the scenario's own event,
 * then one per finding (and the oracle's, when asked). */
static int write_mode(campaign_t *c, const item_t *it, const slot_t *s, int mi, const char *scenario_text) {
    const ft_mode_t mode = mi ? FT_MODE_HARDENED : FT_MODE_STRICT;
    const ftd_mode_result_t *m = &s->check.mode[mi];
    const char *suite = it->fixture ? it->fixture->suite : it->ofile ? it->ofile->suite : GEN_SUITE;
    const char *fixture_id = it->fixture ? it->fixture->fixture_id : it->ofile ? it->ofile->path : GEN_FIXTURE;
    const char *packet = it->fixture ? it->fixture->packet : PACKET_ID;
    char id[FTF_SCENARIO_ID_SIZE];
    char oref[600];
    const char *refs[1] = {oref};
    if (it->ofile) {
        char name[32];
        snprintf(name, sizeof name, "L%u", it->ofile->lineno[it->oline]);
        if (ftf_fixture_scenario_id(id, suite, ft_mode_name(mode), name) != FTF_OK)
            return fail(c, "%s: file name cannot make a scenario id", it->ofile->path);
        snprintf(oref, sizeof oref, "%s:%u", it->ofile->path, it->ofile->lineno[it->oline]);
    } else if (it->fixture) {
        if (ftf_fixture_scenario_id(id, suite, ft_mode_name(mode), it->fcase->name) != FTF_OK)
            return fail(c, "%s:%d: case name cannot make a scenario id", it->fixture->path, it->fcase->line);
    } else if (ftf_generated_scenario_id(id, scenario_text, strlen(scenario_text)) != FTF_OK) {
        return fail(c, "cannot make a scenario id");
    }
    char replay[FTF_SCENARIO_ID_SIZE + 64];
    snprintf(replay, sizeof replay, "ft-replay '%s' --mode %s", id, ft_mode_name(mode));
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.run_id = c->run_id;
    ev.suite_id = suite;
    ev.scenario_id = id;
    ev.packet_id = packet;
    ev.mode = mode;
    ev.seed = ftf_scenario_seed(suite, fixture_id, packet, id, ft_mode_name(mode));
    ev.env_fingerprint = c->env_fp;
    ev.replay_command = replay;
    ev.scenario = scenario_text;
    if (it->ofile) { /* where the expectation lives */
        ev.artifact_refs = refs;
        ev.artifact_ref_count = 1;
    }
    ev.outcome = outcome_of(m->verdict);
    ev.reason_code = ftd_verdict_name(m->verdict);
    if (m->has_observed)
        dispatch_group(c, &ev, &s->scenario, &m->observed);
    count_mode(c, &s->scenario, mi, m);
    if (write_event(c, &ev, ev.outcome == FTF_OUTCOME_FAIL) != 0)
        return -1;
    /* each finding is its own failure event, signature-ready */
    for (size_t i = 0; i < m->findings.count; i++) {
        const ftd_finding_t *f = &m->findings.items[i];
        if (f->allowlisted)
            continue;
        ev.outcome = FTF_OUTCOME_FAIL;
        ev.reason_code = ftd_comparator_name(f->comparator);
        ev.has_differential = true;
        /* a torch fixture's family names the comparator, so each family buckets apart */
        ev.differential.comparator = it->ofile ? it->ofile->suite : ftd_comparator_name(f->comparator);
        ev.differential.drift_id = NULL;
        ev.differential.allowlisted = false;
        ev.differential.expected = f->expected;
        ev.differential.observed = f->observed;
        if (!ev.has_dispatch) { /* programs, tables, keysets: the kind is the op */
            ev.has_dispatch = false;
        }
        if (write_event(c, &ev, true) != 0)
            return -1;
    }
    if (m->verdict == FTD_VERDICT_HARNESS_ERROR) {
        char observed[FTD_FINDING_TEXT_MAX];
        if (ft_json_string(m->harness, strlen(m->harness), observed, sizeof observed) >= sizeof observed)
            snprintf(observed, sizeof observed, "\"harness failure\"");
        ev.outcome = FTF_OUTCOME_FAIL;
        ev.reason_code = "harness_error";
        ev.has_differential = true;
        ev.differential.comparator = "harness";
        ev.differential.expected = "\"the harness runs the scenario\"";
        ev.differential.observed = observed;
        if (write_event(c, &ev, true) != 0)
            return -1;
    }
    if (s->torch_ran[mi]) {
        /* the live oracle's verdict on the same scenario and mode: counted apart;
           a drift or a harness error fails the run and is logged like a finding */
        const ftd_mode_result_t *tm = &s->torch[mi];
        ftd_campaign_totals_t *t = c->t;
        t->oracle_verdicts[tm->verdict]++;
        t->comparator_runs[FTD_CMP_TORCH] += tm->findings.runs[FTD_CMP_TORCH];
        t->comparator_inconclusive[FTD_CMP_TORCH] += tm->findings.inconclusive[FTD_CMP_TORCH];
        const bool torch_failed = tm->verdict == FTD_VERDICT_BLOCKING || tm->verdict == FTD_VERDICT_HARNESS_ERROR;
        if (torch_failed && m->verdict != FTD_VERDICT_BLOCKING && m->verdict != FTD_VERDICT_HARNESS_ERROR) {
            t->failed++; /* the run was counted passed above */
            t->passed--;
        }
        ev.outcome = FTF_OUTCOME_FAIL;
        ev.has_differential = true;
        ev.differential.comparator = "torch";
        ev.differential.drift_id = NULL;
        ev.differential.allowlisted = false;
        for (size_t i = 0; i < tm->findings.count; i++) {
            const ftd_finding_t *f = &tm->findings.items[i];
            if (f->allowlisted)
                continue;
            t->comparator_failures[FTD_CMP_TORCH]++;
            ev.reason_code = "torch";
            ev.differential.expected = f->expected;
            ev.differential.observed = f->observed;
            if (write_event(c, &ev, true) != 0)
                return -1;
        }
        if (tm->verdict == FTD_VERDICT_HARNESS_ERROR) {
            char observed[FTD_FINDING_TEXT_MAX];
            if (ft_json_string(tm->harness, strlen(tm->harness), observed, sizeof observed) >= sizeof observed)
                snprintf(observed, sizeof observed, "\"torch worker failure\"");
            ev.reason_code = "harness_error";
            ev.differential.expected = "\"the torch worker answers\"";
            ev.differential.observed = observed;
            if (write_event(c, &ev, true) != 0)
                return -1;
        }
    }
    (void)op_of;
    if (it->fixture) {
        json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:i}", "suite", suite, "case", it->fcase->name, "mode",
                              ft_mode_name(mode), "verdict", ftd_verdict_name(m->verdict), "findings",
                              (int)(m->findings.count + m->findings.dropped));
        if (!r || json_array_append_new(c->fixture_results, r) != 0)
            return fail(c, "out of memory");
    } else if (m->verdict == FTD_VERDICT_BLOCKING || m->verdict == FTD_VERDICT_HARNESS_ERROR) {
        junit_gen_failure(c, suite, id, ft_mode_name(mode), m);
    }
    return 0;
}

static int write_chunk(campaign_t *c, const slot_t *slots, size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
        const slot_t *s = &slots[i - begin];
        if (c->items[i].ofile) {
            c->t->scenarios++;
            for (int m = 0; m < 2; m++)
                if (s->check.mode[m].ran &&
                    write_mode(c, &c->items[i], s, m, s->batch_text ? s->batch_text : "{\"kind\":\"batch\"}") != 0)
                    return -1;
            continue;
        }
        const size_t need = ftd_scenario_encode(&s->scenario, NULL, 0) + 1;
        if (need > c->line_cap) {
            char *p = realloc(c->line, need);
            if (!p)
                return fail(c, "out of memory");
            c->line = p, c->line_cap = need;
        }
        if (ftd_scenario_encode(&s->scenario, c->line, c->line_cap) == 0)
            return fail(c, "scenario %zu cannot be encoded (a generator or fixture bug)", i);
        c->t->scenarios++;
        for (int m = 0; m < 2; m++)
            if (s->check.mode[m].ran && write_mode(c, &c->items[i], s, m, c->line) != 0)
                return -1;
    }
    return 0;
}

/* ---- progress ------------------------------------------------------------------------- */

static void progress(const campaign_t *c, size_t done, double start) {
    if (!c->o->progress)
        return;
    const double el = now_seconds() - start, frac = c->item_count ? (double)done / (double)c->item_count : 1;
    char bar[41];
    const int fill = (int)(frac * 40);
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%% %zu/%zu scenarios, %" PRIu64 " failed, %.1fs", bar, frac * 100, done, c->item_count,
            c->t->failed, el);
    if (done == c->item_count)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- JUnit ------------------------------------------------------------------------------ */

static void xml_text(FILE *f, const char *s) {
    char clean[1024];
    ft_utf8_repair(s, strlen(s), clean, sizeof clean);
    for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
        switch (*p) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            /* XML 1.0 allows no control characters but tab, newline, return */
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                fprintf(f, "\\x%02x", *p);
            else
                fputc(*p, f);
        }
    }
}

static void junit_findings(FILE *f, const ftd_mode_result_t *m) {
    for (size_t i = 0; i < m->findings.count; i++) {
        const ftd_finding_t *x = &m->findings.items[i];
        fprintf(f, "%s: ", ftd_comparator_name(x->comparator));
        xml_text(f, x->reason);
        fputs(": expected ", f);
        xml_text(f, x->expected);
        fputs(", observed ", f);
        xml_text(f, x->observed);
        fputc('\n', f);
    }
    if (m->verdict == FTD_VERDICT_HARNESS_ERROR)
        xml_text(f, m->harness);
}

static void junit_gen_failure(campaign_t *c, const char *suite, const char *id, const char *mode,
                              const ftd_mode_result_t *m) {
    if (!c->junit_gen || c->junit_gen_count++ >= JUNIT_MAX_GEN)
        return;
    fprintf(c->junit_gen, "    <testcase classname=\"%s.%s\" name=\"", suite, mode);
    xml_text(c->junit_gen, id);
    fprintf(c->junit_gen, "\"><failure message=\"%s\">", ftd_verdict_name(m->verdict));
    junit_findings(c->junit_gen, m);
    fputs("</failure></testcase>\n", c->junit_gen);
}

static int write_junit(campaign_t *c) {
    const char *path = c->o->junit_path;
    if (!path)
        return 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return fail(c, "out of memory");
    const ftd_campaign_totals_t *t = c->t;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ft-campaign\" tests=\"%" PRIu64
            "\" failures=\"%" PRIu64 "\">\n",
            t->runs, t->failed);
    /* fixture cases one by one */
    size_t i;
    json_t *r;
    fprintf(f, "  <testsuite name=\"fixtures\" tests=\"%zu\">\n", json_array_size(c->fixture_results));
    json_array_foreach(c->fixture_results, i, r) {
        const char *verdict = json_string_value(json_object_get(r, "verdict"));
        fputs("    <testcase classname=\"", f);
        xml_text(f, json_string_value(json_object_get(r, "suite")));
        fputs("\" name=\"", f);
        xml_text(f, json_string_value(json_object_get(r, "mode")));
        fputc(':', f);
        xml_text(f, json_string_value(json_object_get(r, "case")));
        fputc('"', f);
        if (strcmp(verdict, "blocking_drift") == 0 || strcmp(verdict, "harness_error") == 0)
            fprintf(f, "><failure message=\"%s\">%d finding(s); see the forensics log</failure></testcase>\n", verdict,
                    (int)json_integer_value(json_object_get(r, "findings")));
        else
            fputs("/>\n", f);
    }
    fputs("  </testsuite>\n", f);
    /* generated scenarios: one case per comparator (with its totals), then the
       failing scenarios themselves (the first JUNIT_MAX_GEN) */
    fprintf(f, "  <testsuite name=\"generated\" tests=\"%d\">\n", FTD_CMP_COUNT);
    for (int k = 0; k < FTD_CMP_COUNT; k++) {
        fprintf(f, "    <testcase classname=\"comparators\" name=\"%s\"", ftd_comparator_name((ftd_comparator_t)k));
        if (t->comparator_failures[k])
            fprintf(f, "><failure message=\"%" PRIu64 " of %" PRIu64 " checks failed\"/></testcase>\n",
                    t->comparator_failures[k], t->comparator_runs[k]);
        else if (!t->comparator_runs[k])
            fputs("><skipped message=\"not reached in this run\"/></testcase>\n", f);
        else
            fputs("/>\n", f);
    }
    if (c->junit_gen) {
        fflush(c->junit_gen);
        fwrite(c->junit_gen_buf, 1, c->junit_gen_len, f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return fail(c, "out of memory");
    }
    const ftf_status st = ftf_file_write_atomic(path, buf, len);
    const int saved = errno;
    free(buf);
    if (st != FTF_OK)
        return fail(c, "cannot write %s: %s", path, strerror(saved));
    return 0;
}

/* ---- the differential report ---------------------------------------------------------------- */

static int write_report(campaign_t *c, const char *path, const ftf_index_totals_t *idx) {
    const ftd_campaign_totals_t *t = c->t;
    json_t *comparators = json_object(), *verdicts = json_object(), *fallback = json_object();
    for (int k = 0; k < FTD_CMP_COUNT; k++)
        json_object_set_new(comparators, ftd_comparator_name((ftd_comparator_t)k),
                            json_pack("{s:I,s:I,s:I}", "runs", (json_int_t)t->comparator_runs[k], "failures",
                                      (json_int_t)t->comparator_failures[k], "inconclusive",
                                      (json_int_t)t->comparator_inconclusive[k]));
    for (int v = 0; v < FTD_VERDICT_COUNT; v++)
        json_object_set_new(verdicts, ftd_verdict_name((ftd_verdict_t)v), json_integer((json_int_t)t->verdicts[v]));
    for (int m = 0; m < 2; m++) {
        const double rate = t->dispatch_runs[m] ? (double)t->fallback_used[m] / (double)t->dispatch_runs[m] : 0.0;
        json_object_set_new(fallback, m ? "hardened" : "strict",
                            json_pack("{s:I,s:I,s:f}", "dispatch_runs", (json_int_t)t->dispatch_runs[m],
                                      "fallback_used", (json_int_t)t->fallback_used[m], "rate", rate));
    }
    const char *oracle = c->o->oracle == FTD_ORACLE_TORCH ? "torch" : "none";
    json_t *oracle_verdicts = json_object();
    for (int v = 0; v < FTD_VERDICT_COUNT; v++)
        json_object_set_new(oracle_verdicts, ftd_verdict_name((ftd_verdict_t)v),
                            json_integer((json_int_t)t->oracle_verdicts[v]));
    json_t *oracle_workers = NULL;
    if (c->o->oracle == FTD_ORACLE_TORCH) {
        char stats[2048];
        ftd_torch_stats_t sum, one;
        memset(&sum, 0, sizeof sum);
        for (unsigned j = 0; j < c->jobs; j++) {
            ftd_torch_stats(c->workers[j].torch, &one);
            ftd_torch_stats_add(&sum, &one);
        }
        if (ftd_torch_stats_json(&sum, stats, sizeof stats) < sizeof stats)
            oracle_workers = json_loads(stats, 0, NULL);
    }
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:o,s:o,s:o,s:{s:s,s:o,s:o},s:[s],s:{s:I,s:I,s:I,s:I,s:I}}",
        "schema", "ft-differential-report-v1", "run_id", c->run_id, "packet", PACKET_ID, "libft_version", ft_version(),
        "env_fingerprint", c->env_fp, "seed", (json_int_t)c->o->seed, "scenarios", (json_int_t)t->scenarios, "modes",
        json_pack("[ss]", c->o->modes & FTD_MODE_STRICT_BIT ? "strict" : "",
                  c->o->modes & FTD_MODE_HARDENED_BIT ? "hardened" : ""),
        "runs", (json_int_t)t->runs, "passed", (json_int_t)t->passed, "failed", (json_int_t)t->failed, "verdicts",
        verdicts, "comparators", comparators, "fallback_rate", fallback, "oracle", "kind", oracle, "verdicts",
        oracle_verdicts, "workers", oracle_workers ? oracle_workers : json_null(), "allowlisted_drift_ids",
        FT_ALLOWLIST_COMPOSITE_FALLBACK, "log_read_back", "events", (json_int_t)idx->events, "pass",
        (json_int_t)idx->pass, "fail", (json_int_t)idx->fail, "allowlisted", (json_int_t)idx->allowlisted, "buckets",
        (json_int_t)idx->buckets);
    if (!root)
        return fail(c, "out of memory building the report");
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return fail(c, "out of memory building the report");
    const size_t n = strlen(text);
    text[n] = '\0';
    char *withnl = malloc(n + 2);
    if (!withnl) {
        free(text);
        return fail(c, "out of memory");
    }
    memcpy(withnl, text, n);
    withnl[n] = '\n';
    free(text);
    const ftf_status st = ftf_file_write_atomic(path, withnl, n + 1);
    const int saved = errno;
    free(withnl);
    if (st != FTF_OK)
        return fail(c, "cannot write %s: %s", path, strerror(saved));
    return 0;
}

/* ---- setup and the run --------------------------------------------------------------------- */

static int make_dirs(campaign_t *c, const char *path) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return fail(c, "cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return fail(c, "cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

static int open_outputs(campaign_t *c) {
    const ftd_campaign_options_t *o = c->o;
    ftd_campaign_totals_t *t = c->t;
    ftf_env_t env;
    ftf_env_storage_t storage;
    ftf_env_detect(&env, &storage, ft_version());
    ftf_env_fingerprint(&env, c->env_fp);
    ftf_run_id(c->run_id, o->seed ^ ((uint64_t)o->shard_count << 32 | o->shard_index), TOOL_NAME);
    snprintf(t->run_id, sizeof t->run_id, "%s", c->run_id);
    if (o->out_dir)
        snprintf(t->out_dir, sizeof t->out_dir, "%s", o->out_dir);
    else if (o->log_path) { /* the packet's --output FILE: everything beside it */
        const char *slash = strrchr(o->log_path, '/');
        snprintf(t->out_dir, sizeof t->out_dir, "%.*s", slash ? (int)(slash - o->log_path) : 1,
                 slash ? o->log_path : ".");
    } else
        snprintf(t->out_dir, sizeof t->out_dir, "artifacts/forensics/%s", c->run_id);
    if (make_dirs(c, t->out_dir) != 0)
        return -1;
    if (o->log_path)
        snprintf(t->log_path, sizeof t->log_path, "%s", o->log_path);
    else if (o->shard_count > 1)
        snprintf(t->log_path, sizeof t->log_path, "%s/campaign-shard-%u-of-%u.jsonl.gz", t->out_dir, o->shard_index,
                 o->shard_count);
    else
        snprintf(t->log_path, sizeof t->log_path, "%s/campaign.jsonl.gz", t->out_dir);
    snprintf(t->index_path, sizeof t->index_path, "%s/failure-index.json", t->out_dir);
    snprintf(t->report_path, sizeof t->report_path, "%s/differential-report.json", t->out_dir);
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.level = 1; /* the campaign is CPU-bound; level 1 is ~2x faster for ~15% more bytes */
    /* A failure still closes its member (a killed campaign loses no finding it
       wrote), but nothing is fsync'ed until the end: a campaign is re-run from
       its seed after a power loss, and fsync stalls dominated a failing run. */
    wo.sync = FTF_LOG_SYNC_NONE;
    ftf_status st = ftf_log_writer_open(t->log_path, &wo, &c->log);
    if (st != FTF_OK)
        return fail(c, "cannot create %s: %s", t->log_path, strerror(errno));
    if ((st = ftf_locator_builder_new(&c->loc)) != FTF_OK)
        return fail(c, "out of memory");
    char start[FTF_TIMESTAMP_SIZE];
    ftf_utc_timestamp((int64_t)time(NULL), start);
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    h.run_id = c->run_id;
    h.start_time = start;
    h.argv = o->argv;
    h.argc = o->argv ? (size_t)o->argc : 0;
    h.tool = TOOL_NAME;
    h.tool_version = ft_version();
    h.libft_version = ft_version();
    h.env_fingerprint = c->env_fp;
    h.run_seed = o->seed;
    if ((st = ftf_log_write_run_header(c->log, &h, NULL)) != FTF_OK)
        return fail(c, "writing the run header: %s", ftf_strerror(st));
    c->fixture_results = json_array();
    if (o->junit_path)
        c->junit_gen = open_memstream(&c->junit_gen_buf, &c->junit_gen_len);
    return c->fixture_results ? 0 : fail(c, "out of memory");
}

/* Reads the log back through the forensics reader (building the failure index
 * on the way) and checks it holds exactly what was written. */
static int finish_outputs(campaign_t *c) {
    ftd_campaign_totals_t *t = c->t;
    ftf_status st = ftf_log_writer_sync(c->log);
    if (st != FTF_OK)
        return fail(c, "syncing %s: %s", t->log_path, ftf_strerror(st));
    st = ftf_log_writer_close(c->log);
    c->log = NULL;
    if (st != FTF_OK)
        return fail(c, "closing %s: %s", t->log_path, ftf_strerror(st));
    if ((st = ftf_locator_builder_write(c->loc, t->log_path, NULL)) != FTF_OK)
        return fail(c, "writing the locator of %s: %s", t->log_path, ftf_strerror(st));
    const char *paths[] = {t->log_path};
    ftf_failure_index_t *idx;
    ftf_index_options_t io = FTF_INDEX_OPTIONS_INIT;
    if ((st = ftf_failure_index_build(paths, 1, &io, &idx)) != FTF_OK)
        return fail(c, "reading %s back: %s", t->log_path, ftf_strerror(st));
    ftf_index_totals_t it;
    ftf_failure_index_totals(idx, &it);
    st = ftf_failure_index_write(idx, t->index_path);
    const int saved = errno;
    ftf_failure_index_free(idx);
    if (st != FTF_OK)
        return fail(c, "cannot write %s: %s", t->index_path, strerror(saved));
    if (it.damaged_files || it.invalid_records || it.events != t->events || it.run_headers != 1)
        return fail(c,
                    "forensics read-back mismatch in %s: wrote %" PRIu64 " events, read %" PRIu64 " (%" PRIu64
                    " invalid, %" PRIu64 " damaged files)",
                    t->log_path, t->events, it.events, it.invalid_records, it.damaged_files);
    return write_report(c, t->report_path, &it) || write_junit(c);
}

int ftd_campaign_run(const ftd_campaign_options_t *o, ftd_campaign_totals_t *totals, char *why) {
    campaign_t c;
    memset(&c, 0, sizeof c);
    memset(totals, 0, sizeof *totals);
    if (why)
        why[0] = '\0';
    c.o = o;
    c.t = totals;
    c.why = why;
    for (int k = 0; k < FT_KEY_ID_COUNT; k++)
        if (!ftdr_key_name((ft_key_t)k, c.key_names[k]))
            snprintf(c.key_names[k], sizeof c.key_names[k], "invalid");
    const double start = now_seconds();
    int rc = -1;
    if (!o->modes || o->shard_count == 0 || o->shard_index >= o->shard_count) {
        fail(&c, "bad options: modes or shard");
        goto done;
    }
    char awhy[256] = "";
    if (!o->allowlist_path) {
        fail(&c, "no allowlist file given");
        goto done;
    }
    if (ftd_allowlist_load(o->allowlist_path, &c.allow, awhy) != 0) {
        fail(&c, "%s", awhy);
        goto done;
    }
    if (load_fixtures(&c) != 0 || load_oracle_fixtures(&c) != 0 || build_items(&c) != 0 || open_outputs(&c) != 0)
        goto done;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c.jobs = o->jobs ? o->jobs : (cores > 0 ? (unsigned)cores : 1);
    if (c.jobs > 256)
        c.jobs = 256;
    c.slots[0] = calloc(CHUNK, sizeof *c.slots[0]);
    c.slots[1] = calloc(CHUNK, sizeof *c.slots[1]);
    c.workers = calloc(c.jobs, sizeof *c.workers);
    if (!c.slots[0] || !c.slots[1] || !c.workers) {
        fail(&c, "out of memory");
        goto done;
    }
    for (unsigned j = 0; j < c.jobs; j++) {
        c.workers[j].c = &c;
        c.workers[j].id = j;
        if (ftd_libft_new(&c.workers[j].lib) != 0 || !(c.workers[j].batch = ftd_batch_new())) {
            fail(&c, "out of memory");
            goto done;
        }
        if (o->oracle == FTD_ORACLE_TORCH)
            c.workers[j].torch = ftd_torch_open(o->python, o->oracle_script);
        ftd_torch_allow_packet_derivation(c.workers[j].torch, c.allow.packet_derivation);
    }
    /* A pipeline of two chunks: the workers check chunk k + 1 while this thread
       writes chunk k, so the log's cost hides behind the checking. */
    double log_time = 0;
    pthread_t th[256];
    unsigned started = 0;
    size_t k = 0;
    for (size_t begin = 0; begin < c.item_count || started; k++, begin += CHUNK) {
        const size_t prev = begin - CHUNK; /* the chunk being checked, when started */
        const unsigned was_started = started;
        /* wait for chunk k - 1 to be checked */
        for (unsigned j = 0; j < started; j++)
            pthread_join(th[j], NULL);
        started = 0;
        if (begin < c.item_count) { /* start checking chunk k */
            const size_t end = begin + CHUNK < c.item_count ? begin + CHUNK : c.item_count;
            for (unsigned j = 0; j < c.jobs; j++) {
                c.workers[j].begin = begin;
                c.workers[j].end = end;
                c.workers[j].slots = c.slots[k % 2];
                if (pthread_create(&th[j], NULL, worker_main, &c.workers[j]) != 0) {
                    fail(&c, "cannot start a worker thread: %s", strerror(errno));
                    for (unsigned q = 0; q < started; q++)
                        pthread_join(th[q], NULL);
                    goto done;
                }
                started++;
            }
        }
        if (was_started) { /* write chunk k - 1 meanwhile */
            const size_t pend = prev + CHUNK < c.item_count ? prev + CHUNK : c.item_count;
            const double w0 = now_seconds();
            if (write_chunk(&c, c.slots[(k - 1) % 2], prev, pend) != 0) {
                for (unsigned q = 0; q < started; q++)
                    pthread_join(th[q], NULL);
                goto done;
            }
            log_time += now_seconds() - w0;
            progress(&c, pend, start);
        }
        if (begin >= c.item_count && !started)
            break;
    }
    const double f0 = now_seconds();
    if (finish_outputs(&c) != 0)
        goto done;
    totals->log_seconds = log_time + (now_seconds() - f0);
    rc = 0;
done:
    totals->seconds = now_seconds() - start;
    if (c.log)
        ftf_log_writer_close(c.log);
    ftf_locator_builder_free(c.loc);
    for (unsigned j = 0; c.workers && j < c.jobs; j++) {
        ftd_libft_free(c.workers[j].lib);
        ftd_batch_free(c.workers[j].batch);
        ftd_torch_close(c.workers[j].torch);
    }
    free(c.workers);
    for (int b = 0; b < 2; b++) {
        for (size_t i = 0; c.slots[b] && i < CHUNK; i++)
            free(c.slots[b][i].batch_text);
        free(c.slots[b]);
    }
    for (size_t f = 0; f < c.ofile_count; f++) {
        free(c.ofiles[f].data);
        free(c.ofiles[f].off);
        free(c.ofiles[f].lineno);
    }
    free(c.ofiles);
    free(c.items);
    for (size_t f = 0; f < c.fixture_count; f++)
        ftd_fixture_dispose(&c.fixtures[f]);
    free(c.fixtures);
    free(c.line);
    json_decref(c.fixture_results);
    if (c.junit_gen)
        fclose(c.junit_gen);
    free(c.junit_gen_buf);
    return rc;
}
