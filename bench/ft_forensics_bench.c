/* bench/ft-forensics-bench: the forensics log's writer and reader, driven by
 * bench/forensics_bench.sh (which times them against gzip and zcat) and by
 * bench/make_million_log.sh (which makes the million-event log other
 * benchmarks read).
 *
 *   ft-forensics-bench make-log OUT.log.gz N [--failure-every K] [--level L] [--jsonl OUT.jsonl]
 *       N realistic ft-forensics-v1 events (dispatch group from libft's real
 *       decisions, canonical scenario, gen/ ids, a fail every K-th event with
 *       one of a few reason codes; K = 100 by default) after a run header,
 *       through ftf_log_write_record with the default writer options (each failure
 *       closes its member).
 *       --jsonl also writes the same lines, uncompressed.
 *   ft-forensics-bench write IN.jsonl OUT.log.gz [--level L] [--sync none|failures]
 *       Every line of IN through ftf_log_write_record as a non-failure record
 *       (the writer's throughput: what gzip -L does with the same bytes).
 *   ft-forensics-bench read LOG...
 *       Every record of the logs (ftf_log_reader_next, shape-checked), counted.
 *   ft-forensics-bench failure-rate [--events N] [--reps R] [--policies P,...]
 *                                   [--interval MS] [--store-below B] [--dir DIR] [--level L]
 *       The durability cliff (issue 7 item 3): for each sync policy P (default
 *       "grouped,failures"), R repetitions (default 5) of two runs in the same
 *       process — N events (default 20,000) with 1 % failures, and N events
 *       that all fail — the make-log events, rendered and written as failure
 *       records when they fail, into a fresh log in DIR (default /tmp; the
 *       file is removed after), timed from open to close. Prints one JSON
 *       line per run and one summary line per policy with the medians, the
 *       ratio (1 % events/s / all-failures events/s; the goal is <= 2) and the
 *       log sizes.
 *
 * make-log, write and read print one line: `<command> events=<n> seconds=<s>
 * events_per_s=<r> mb_per_s=<uncompressed MB/s>` (timed inside the process,
 * I/O included, input loading excluded), and exit non-zero on any error or,
 * for read, on any damage. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "ft/ft.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"

static void report(const char *cmd, uint64_t events, uint64_t bytes, double seconds) {
    printf("%s events=%llu seconds=%.4f events_per_s=%.0f mb_per_s=%.1f\n", cmd, (unsigned long long)events, seconds,
           seconds > 0 ? (double)events / seconds : 0.0, seconds > 0 ? (double)bytes / seconds / 1e6 : 0.0);
}

static int die(const char *what, ftf_status st) {
    fprintf(stderr, "ft-forensics-bench: %s: %s\n", what, ftf_strerror(st));
    return 1;
}

static const char *opt(int argc, char **argv, const char *name, const char *def) {
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

/* ---- realistic events (make-log, failure-rate) --------------------------- */

#define N_OPS       6
#define N_DECISIONS (N_OPS * 2)

typedef struct gen {
    ft_registry_t *reg;
    ft_decision_t decisions[N_DECISIONS]; /* each op in both modes */
    char run_id[FTF_RUN_ID_SIZE];
    char env[FTF_ENV_FINGERPRINT_SIZE];
    unsigned long long failures; /* so far: picks the reason of the next one */
} gen_t;

static const char *const ops[N_OPS] = {"add", "mul", "sub", "div", "pow", "sqdiff"};

static ftf_status gen_init(gen_t *g) {
    memset(g, 0, sizeof *g);
    if (ft_registry_new(&g->reg) != FT_OK)
        return FTF_ENOMEM;
    for (int i = 0; i < N_DECISIONS; i++) {
        const ft_op_t *op;
        if (ft_registry_find(g->reg, ops[i % N_OPS], &op) != FT_OK)
            return FTF_ENOT_FOUND;
        ft_dispatch_ctx_t ctx;
        ft_dispatch_ctx_init(&ctx);
        ctx.mode = i < N_OPS ? FT_MODE_STRICT : FT_MODE_HARDENED;
        const ft_scalar_t a = ft_scalar_make(1.5, FT_DTYPE_F64, FT_BACKEND_CPU, true);
        const ft_scalar_t b = ft_scalar_make(-0.25, FT_DTYPE_F64, FT_BACKEND_CPU, false);
        ft_scalar_t res;
        (void)ft_dispatch_binary(&ctx, op, &a, &b, &res, &g->decisions[i]); /* failures are events too */
    }
    ftf_run_id(g->run_id, UINT64_C(0x5eed), "ft-forensics-bench");
    snprintf(g->env, sizeof g->env, "det64:%016llx", 0x0123456789abcdefULL);
    return FTF_OK;
}

static void gen_dispose(gen_t *g) {
    ft_registry_free(g->reg);
}

static ftf_status write_run_header(gen_t *g, ftf_log_writer_t *w, ftf_buf_t *line, const char *cmd) {
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    const char *args[] = {"ft-forensics-bench", cmd};
    h.run_id = g->run_id;
    h.start_time = "2024-01-01T00:00:00Z";
    h.argv = args;
    h.argc = 2;
    h.tool = "ft-forensics-bench";
    h.tool_version = FT_VERSION_STRING;
    h.libft_version = ft_version();
    h.env_fingerprint = g->env;
    h.run_seed = 0x5eed;
    line->len = 0;
    ftf_status st = ftf_run_header_render_buf(&h, line);
    return st ? st : ftf_log_write_record(w, line->data, line->len, false, NULL);
}

/* Event number `i` (a failure or not) rendered into `line`: the dispatch group
 * from a real decision, a differential group, the canonical scenario, a gen/
 * id and its seed; a failure gets one of five reason codes in turn. */
static ftf_status gen_event(gen_t *g, unsigned long long i, bool fail, ftf_buf_t *line) {
    static const char *const reasons[] = {"composite_fallback_rejected", "value_mismatch", "dtype_mismatch",
                                          "grad_mismatch", "no_kernel"};
    static const char *const comparators[] = {"exact", "ulp", "exact", "ulp", "exact"};
    const int di = (int)(i % N_DECISIONS);
    const int ri = (int)(g->failures % 5);
    g->failures += fail;
    const ft_mode_t mode = di < N_OPS ? FT_MODE_STRICT : FT_MODE_HARDENED;
    const char *mode_name = mode == FT_MODE_STRICT ? "strict" : "hardened";
    char scenario[256], id[FTF_SCENARIO_ID_SIZE], replay[320], expected[64], observed[64];
    const double lhs = (double)(i % 1000) * 0.125, rhs = (double)(i % 7) - 3.0;
    const int sn = snprintf(scenario, sizeof scenario,
                            "{\"op\":\"%s\",\"mode\":\"%s\",\"lhs\":{\"value\":%.17g,\"dtype\":\"f64\"},"
                            "\"rhs\":{\"value\":%.17g,\"dtype\":\"f64\"},\"case\":%llu}",
                            ops[di % N_OPS], mode_name, lhs, rhs, i);
    ftf_status st = ftf_generated_scenario_id(id, scenario, (size_t)sn);
    if (st)
        return st;
    snprintf(replay, sizeof replay, "ft-replay --scenario %s", id);
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.seq = i;
    ev.run_id = g->run_id;
    ev.suite_id = "bench_generated";
    ev.scenario_id = id;
    ev.packet_id = "FT-P2C-002";
    ev.mode = mode;
    ev.seed = ftf_scenario_seed("bench_generated", "bench", "FT-P2C-002", id, mode_name);
    ev.env_fingerprint = g->env;
    ev.replay_command = replay;
    ev.outcome = fail ? FTF_OUTCOME_FAIL : FTF_OUTCOME_PASS;
    ev.reason_code = fail ? reasons[ri] : "ok";
    if ((st = ftf_event_set_dispatch_from_decision(&ev, &g->decisions[di])) != FTF_OK)
        return st;
    ev.has_differential = true;
    snprintf(expected, sizeof expected, "%.17g", lhs + rhs);
    snprintf(observed, sizeof observed, "%.17g", fail ? lhs + rhs + 1e-9 : lhs + rhs);
    ev.differential.comparator = comparators[ri];
    ev.differential.drift_id = NULL;
    ev.differential.expected = expected;
    ev.differential.observed = observed;
    ev.scenario = scenario;
    line->len = 0;
    return ftf_event_render_buf(&ev, line);
}

/* ---- make-log ------------------------------------------------------------ */

static int make_log(int argc, char **argv) {
    if (argc < 4)
        return die("usage: make-log OUT N [--failure-every K] [--level L] [--jsonl PATH]", FTF_EINVALID_ARGUMENT);
    const char *out = argv[2];
    const unsigned long long n = strtoull(argv[3], NULL, 10);
    const unsigned long long every = strtoull(opt(argc, argv, "--failure-every", "100"), NULL, 10);
    const char *jsonl_path = opt(argc, argv, "--jsonl", NULL);
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.level = atoi(opt(argc, argv, "--level", "6"));
    gen_t g;
    ftf_status st = gen_init(&g);
    if (st)
        return die("registry", st);
    ftf_log_writer_t *w;
    if ((st = ftf_log_writer_open(out, &wo, &w)) != FTF_OK)
        return die(out, st);
    FILE *jsonl = jsonl_path ? fopen(jsonl_path, "wb") : NULL;
    if (jsonl_path && !jsonl)
        return die(jsonl_path, FTF_EIO);
    ftf_buf_t line = FTF_BUF_INIT;
    if ((st = write_run_header(&g, w, &line, "make-log")) != FTF_OK)
        return die("run header", st);
    if (jsonl)
        fprintf(jsonl, "%s\n", line.data);
    uint64_t bytes = 0;
    const double t0 = bench_now_s();
    for (unsigned long long i = 0; i < n; i++) {
        const bool fail = every && i % every == every - 1;
        if ((st = gen_event(&g, i, fail, &line)) != FTF_OK)
            return die("render", st);
        if ((st = ftf_log_write_record(w, line.data, line.len, fail, NULL)) != FTF_OK)
            return die("write", st);
        bytes += line.len + 1;
        if (jsonl && (fwrite(line.data, 1, line.len, jsonl) != line.len || fputc('\n', jsonl) == EOF))
            return die(jsonl_path, FTF_EIO);
    }
    if ((st = ftf_log_writer_close(w)) != FTF_OK)
        return die("close", st);
    const double t1 = bench_now_s();
    if (jsonl && fclose(jsonl) != 0)
        return die(jsonl_path, FTF_EIO);
    ftf_buf_dispose(&line);
    gen_dispose(&g);
    report("make-log", n, bytes, t1 - t0);
    return 0;
}

/* ---- write --------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    const long size = ftell(f);
    rewind(f);
    char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static int write_bench(int argc, char **argv) {
    if (argc < 4)
        return die("usage: write IN.jsonl OUT.log.gz [--level L] [--sync none|failures]", FTF_EINVALID_ARGUMENT);
    size_t len;
    char *in = slurp(argv[2], &len);
    if (!in)
        return die(argv[2], FTF_EIO);
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.level = atoi(opt(argc, argv, "--level", "6"));
    wo.sync = strcmp(opt(argc, argv, "--sync", "none"), "none") == 0 ? FTF_LOG_SYNC_NONE : FTF_LOG_SYNC_FAILURES;
    wo.max_age_ms = 0;
    const double t0 = bench_now_s();
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(argv[3], &wo, &w);
    if (st)
        return die(argv[3], st);
    uint64_t events = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(in + at, '\n', len - at);
        const size_t n = nl ? (size_t)(nl - (in + at)) : len - at;
        if (n && (st = ftf_log_write_record(w, in + at, n, false, NULL)) != FTF_OK)
            return die("write", st);
        events += n != 0;
        at += n + 1;
    }
    if ((st = ftf_log_writer_close(w)) != FTF_OK)
        return die("close", st);
    report("write", events, len, bench_now_s() - t0);
    free(in);
    return 0;
}

/* ---- read ---------------------------------------------------------------- */

static int read_bench(int argc, char **argv) {
    if (argc < 3)
        return die("usage: read LOG...", FTF_EINVALID_ARGUMENT);
    const double t0 = bench_now_s();
    ftf_log_reader_t *r;
    ftf_status st = ftf_log_reader_open((const char *const *)(argv + 2), (size_t)(argc - 2), NULL, &r);
    if (st)
        return die("open", st);
    ftf_log_record_t rec;
    uint64_t events = 0;
    int k;
    while ((k = ftf_log_reader_next(r, &rec)) == 1)
        events++;
    const double t1 = bench_now_s();
    const ftf_log_report_t *rep = ftf_log_reader_report(r);
    if (k < 0)
        return die("read", (ftf_status)k);
    report("read", events, rep->data_bytes, t1 - t0);
    const int rc = ftf_log_report_damaged(rep) ? 1 : 0;
    if (rc)
        fprintf(stderr, "ft-forensics-bench: damage: %s\n", rep->first_detail);
    ftf_log_reader_free(r);
    return rc;
}

/* ---- failure-rate --------------------------------------------------------- */

typedef struct run_result {
    double events_per_s;
    uint64_t log_bytes, members, syncs;
} run_result_t;

/* One run: `n` events, every `every`-th a failure (1: all), into a fresh log
 * at `path`, timed from open to close (the last fsync included). */
static ftf_status failure_run(gen_t *g, const char *path, const ftf_log_writer_options_t *wo, unsigned long long n,
                              unsigned long long every, run_result_t *out) {
    ftf_buf_t line = FTF_BUF_INIT;
    ftf_log_writer_t *w;
    g->failures = 0;
    const double t0 = bench_now_s();
    ftf_status st = ftf_log_writer_open(path, wo, &w);
    if (st)
        return st;
    st = write_run_header(g, w, &line, "failure-rate");
    for (unsigned long long i = 0; i < n && !st; i++) {
        const bool fail = i % every == every - 1;
        if ((st = gen_event(g, i, fail, &line)) == FTF_OK)
            st = ftf_log_write_record(w, line.data, line.len, fail, NULL);
    }
    ftf_log_writer_stats_t ws;
    ftf_log_writer_stats(w, &ws);
    const ftf_status cs = ftf_log_writer_close(w);
    const double t1 = bench_now_s();
    ftf_buf_dispose(&line);
    if (st || cs)
        return st ? st : cs;
    struct stat sb;
    out->events_per_s = (double)n / (t1 - t0);
    out->log_bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    out->members = ws.members;
    out->syncs = ws.syncs + (wo->sync != FTF_LOG_SYNC_NONE); /* and the one at close */
    unlink(path);
    return FTF_OK;
}

#define MAX_REPS 101

static int failure_rate(int argc, char **argv) {
    const unsigned long long n = strtoull(opt(argc, argv, "--events", "20000"), NULL, 10);
    const int reps = atoi(opt(argc, argv, "--reps", "5"));
    const char *dir = opt(argc, argv, "--dir", "/tmp");
    const char *policies = opt(argc, argv, "--policies", "grouped,failures");
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.level = atoi(opt(argc, argv, "--level", "6"));
    wo.sync_interval_ms = atoll(opt(argc, argv, "--interval", "100"));
    wo.store_below = (size_t)strtoull(opt(argc, argv, "--store-below", "4096"), NULL, 10);
    if (n == 0 || reps < 1 || reps > MAX_REPS)
        return die("failure-rate: --events >= 1, --reps 1..101", FTF_EINVALID_ARGUMENT);
    gen_t g;
    ftf_status st = gen_init(&g);
    if (st)
        return die("registry", st);
    static const struct {
        const char *name;
        ftf_log_sync_t sync;
    } known[] = {{"grouped", FTF_LOG_SYNC_GROUPED},
                 {"failures", FTF_LOG_SYNC_FAILURES},
                 {"none", FTF_LOG_SYNC_NONE},
                 {"members", FTF_LOG_SYNC_MEMBERS}};
    static const unsigned long long rates[2] = {100, 1}; /* 1 % failures, all failures */
    for (const char *p = policies; *p;) {
        const size_t len = strcspn(p, ",");
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && !(strlen(known[k].name) == len && !strncmp(known[k].name, p, len)))
            k++;
        if (k == sizeof known / sizeof known[0])
            return die("failure-rate: --policies takes grouped,failures,none,members", FTF_EINVALID_ARGUMENT);
        wo.sync = known[k].sync;
        double eps[2][MAX_REPS];
        run_result_t last[2];
        for (int r = 0; r < reps; r++) {
            for (int j = 0; j < 2; j++) {
                const int which = (r + j) % 2; /* alternate which goes first: drift hits both alike */
                char path[4096];
                snprintf(path, sizeof path, "%s/ft-forensics-bench-%d-%s.log.gz", dir, (int)getpid(), known[k].name);
                run_result_t res;
                if ((st = failure_run(&g, path, &wo, n, rates[which], &res)) != FTF_OK)
                    return die(path, st);
                eps[which][r] = res.events_per_s;
                last[which] = res;
                printf("{\"bench\":\"failure_rate\",\"policy\":\"%s\",\"interval_ms\":%lld,\"failure_every\":%llu,"
                       "\"rep\":%d,\"events\":%llu,\"events_per_s\":%.0f,\"log_bytes\":%llu,\"members\":%llu,"
                       "\"syncs\":%llu}\n",
                       known[k].name, (long long)wo.sync_interval_ms, rates[which], r, n, res.events_per_s,
                       (unsigned long long)res.log_bytes, (unsigned long long)res.members,
                       (unsigned long long)res.syncs);
                fflush(stdout);
            }
        }
        const double m1 = bench_median(eps[0], (size_t)reps), mall = bench_median(eps[1], (size_t)reps);
        printf("{\"bench\":\"failure_rate_summary\",\"policy\":\"%s\",\"interval_ms\":%lld,\"store_below\":%zu,"
               "\"events\":%llu,"
               "\"reps\":%d,\"median_events_per_s_1pct\":%.0f,\"median_events_per_s_all\":%.0f,\"ratio\":%.2f,"
               "\"log_bytes_1pct\":%llu,\"log_bytes_all\":%llu,\"syncs_1pct\":%llu,\"syncs_all\":%llu}\n",
               known[k].name, (long long)wo.sync_interval_ms, wo.store_below, n, reps, m1, mall, m1 / mall,
               (unsigned long long)last[0].log_bytes, (unsigned long long)last[1].log_bytes,
               (unsigned long long)last[0].syncs, (unsigned long long)last[1].syncs);
        fflush(stdout);
        p += len + (p[len] == ',');
    }
    gen_dispose(&g);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "make-log") == 0)
        return make_log(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "write") == 0)
        return write_bench(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "read") == 0)
        return read_bench(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "failure-rate") == 0)
        return failure_rate(argc, argv);
    fprintf(stderr, "usage: ft-forensics-bench make-log|write|read|failure-rate ... (see bench/FORENSICS.md)\n");
    return 2;
}
