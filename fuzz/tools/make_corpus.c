/* ft-fuzz-corpus: writes the seed corpora corpus/<target>/<sha1 of content>.
 *
 *   ft-fuzz-corpus <source dir> [--scan N] [--dry-run]
 *
 * Seeds come from the harness itself, so they are what the targets expect:
 *   route_select      scenarios of the campaign's generator (ftd_generate,
 *                     seed 0x5eed, N of them, default 200,000) encoded in the
 *                     target's layout, one kept per new (op, strict status,
 *                     hardened status, selected key) and per new route tag,
 *                     plus hand-made ones for the codes the generator
 *                     rarely makes (empty set, unknown bits, registration
 *                     errors, device and dtype mismatches);
 *   autograd_program  generated programs, one per new (ops used, dtype,
 *                     strict/hardened outcome, backward ran), plus hand-made;
 *   keyset_parse      every key name alone, alias and unknown names, key
 *                     lists and reprs in every accepted syntax, hex words
 *                     (unknown bits, 17 digits), the canonical and repr texts
 *                     of generated words, the texts of the torch oracle's
 *                     keyset and parse-rejection fixtures, and syntax errors;
 *   forensics_reader  logs made by the forensics writer (intact, cut, a byte
 *                     flipped, junk appended, no EOF member, two logs
 *                     concatenated), plain JSONL, plain gzip, and payloads for
 *                     the target's own BGZF and gzip containers;
 *   fixture_parser    the fixture file, each of its cases alone, the loader's
 *                     bad-fixture test files, and batch case lines (the packet's
 *                     cases and some of every torch oracle fixture).
 * A file that exists is left alone; nothing is removed. It prints, per target,
 * how many seeds it has and which status codes and route tags they reach. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ft/ft.h"
#include "ftdiff/fixture.h"
#include "ftdiff/refmodel.h"
#include "ftdiff/scenario_gen.h"
#include "ftdiff/subject.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"
#include "fuzz_scenario.h"

static const char *root = ".";
static bool dry_run;
static size_t written, kept;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
static void
die(const char *what) {
    fprintf(stderr, "ft-fuzz-corpus: %s: %s\n", what, strerror(errno));
    exit(1);
}

static size_t per_target;

static void seed(const char *target, const void *data, size_t len) {
    char sha1[FTF_SHA1_HEX_SIZE], dir[1024], path[1100];
    ftf_sha1_hex(data, len, sha1);
    snprintf(dir, sizeof dir, "%s/corpus/%s", root, target);
    snprintf(path, sizeof path, "%s/%s", dir, sha1);
    kept++;
    per_target++;
    if (dry_run || access(path, F_OK) == 0)
        return;
    mkdir(dir, 0755);
    FILE *fp = fopen(path, "wb");
    if (!fp || (len && fwrite(data, 1, len, fp) != len) || fclose(fp) != 0)
        die(path);
    written++;
}

static void seed_text(const char *target, const char *text) {
    seed(target, text, strlen(text));
}

static char *slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap) {
            char *p = realloc(buf, (cap *= 2) + 1);
            if (!p)
                free(buf);
            buf = p;
        }
    }
    fclose(fp);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- coverage bookkeeping ---------------------------------------------------- */

#define STATUS_SLOTS (1 - FT_STATUS_MIN)

typedef struct {
    bool status[STATUS_SLOTS];
    bool tag[FT_TAG_BACKEND_FALLBACK + 1];
} reach_t;

static void print_reach(const char *target, const reach_t *r, bool tags) {
    printf("%-18s status codes:", target);
    for (int s = FT_OK; s >= FT_STATUS_MIN; s--)
        if (r->status[-s])
            printf(" %s", ft_status_code((ft_status)s));
    printf("\n");
    if (!tags)
        return;
    printf("%-18s route tags:", target);
    for (int t = 0; t <= FT_TAG_BACKEND_FALLBACK; t++)
        if (r->tag[t])
            printf(" \"%s\"", ft_table_tag_name((ft_table_tag_t)t));
    printf("\n");
}

/* ---- route_select ------------------------------------------------------------------ */

static ftd_libft_t *lib;

static bool seen(uint64_t *set, size_t *n, size_t cap, uint64_t key) {
    for (size_t i = 0; i < *n; i++)
        if (set[i] == key)
            return true;
    if (*n < cap)
        set[(*n)++] = key;
    return false;
}

/* Runs `s` in both modes; keeps it when it reaches something new. */
static void route_seed(const ftd_scenario_t *s, reach_t *reach, bool force) {
    static uint64_t keys[8192];
    static size_t nkeys;
    uint8_t buf[FTFZ_SCENARIO_BYTES_MAX];
    const size_t n = ftfz_encode_dispatch(s, buf);
    ftd_scenario_t back;
    if (n == 0)
        return;
    ftfz_decode_dispatch(buf, n, &back);
    if (!ftd_scenario_equal(s, &back)) {
        fprintf(stderr, "ft-fuzz-corpus: route_select layout does not round-trip a scenario\n");
        exit(1);
    }
    ftd_dispatch_outcome_t o[2];
    for (int m = 0; m < 2; m++)
        if (ftd_libft_dispatch(lib, s, (ft_mode_t)m, &o[m], NULL) != 0)
            return;
    bool fresh = force;
    int op = -1;
    for (int i = 0; i < FTD_BUILTIN_OP_COUNT; i++)
        if (!s->op.custom && strcmp(s->op.name, ftd_builtin_ops[i]) == 0)
            op = i;
    const uint64_t key = (uint64_t)(op + 1) << 40 | (uint64_t)(-o[0].status) << 32 | (uint64_t)(-o[1].status) << 24;
    const uint64_t sel = UINT64_C(1) << 60 | (uint64_t)(-o[0].status) << 32 | (uint64_t)o[0].selected_key;
    fresh |= !seen(keys, &nkeys, sizeof keys / sizeof keys[0], key);
    fresh |= !seen(keys, &nkeys, sizeof keys / sizeof keys[0], sel);
    for (int m = 0; m < 2; m++) {
        fresh |= !reach->status[-o[m].status];
        for (size_t h = 0; h < o[m].hop_count; h++)
            fresh |= !reach->tag[o[m].hops[h].tag];
    }
    if (!fresh)
        return;
    for (int m = 0; m < 2; m++) {
        reach->status[-o[m].status] = true;
        for (size_t h = 0; h < o[m].hop_count; h++)
            reach->tag[o[m].hops[h].tag] = true;
    }
    seed("route_select", buf, n);
}

static void route_select(uint64_t scan) {
    reach_t reach = {0};
    ftd_scenario_t s;
    /* hand-made: the packet's three cases and the codes the generator seldom makes */
    static const char *const ops[] = {"add", "rsub",  "sqdiff",  "mul",     "div",
                                      "pow", "atan2", "maximum", "minimum", "sub"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (int rg = 0; rg < 4; rg++) {
            ftd_scenario_init(&s, FTD_KIND_DISPATCH);
            snprintf(s.op.name, sizeof s.op.name, "%s", ops[i]);
            s.lhs.bits = ftd_value_bits(1.5, FT_DTYPE_F64);
            s.rhs.bits = ftd_value_bits(-2.0, FT_DTYPE_F64);
            s.lhs.requires_grad = rg & 1;
            s.rhs.requires_grad = rg >> 1;
            route_seed(&s, &reach, true);
        }
    static const uint64_t words[] = {0,
                                     1,                            /* backend bit only: no type key */
                                     UINT64_C(0x4000),             /* Dense, no backend */
                                     UINT64_C(0x800000000000001),  /* AutogradFunctionality-ish + CPU */
                                     UINT64_C(0x40000000000000),   /* an unknown bit */
                                     UINT64_C(0xffffffffffffffff), /* everything */
                                     UINT64_C(0x003fffffffffffff), /* every known bit */
                                     UINT64_C(0x2804004001), /* CPU | BackendSelect | ADInplaceOrView | AutogradCPU */
                                     UINT64_C(0x804004001),
                                     UINT64_C(0x804004002),
                                     UINT64_C(0x2804404001)};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        for (int op = 0; op < 3; op++) {
            ftd_scenario_init(&s, FTD_KIND_DISPATCH);
            snprintf(s.op.name, sizeof s.op.name, "%s", ops[op]);
            s.has_keyset = true;
            s.keyset = words[i];
            route_seed(&s, &reach, true);
        }
    ftd_scenario_init(&s, FTD_KIND_DISPATCH); /* dtype and device mismatches */
    snprintf(s.op.name, sizeof s.op.name, "add");
    s.rhs.dtype = FT_DTYPE_F32;
    s.rhs.bits = 0x3f800000u;
    route_seed(&s, &reach, true);
    s.rhs = s.lhs;
    s.rhs.device = FT_BACKEND_CUDA;
    route_seed(&s, &reach, true);
    static const ft_key_t regsets[][4] = {
        {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD},
        {FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD},
        {FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD_NESTED_TENSOR},
        {FT_KEY_AUTOGRAD, FT_KEY_CPU},
        {FT_KEY_AUTOGRAD_OTHER, FT_KEY_CPU, FT_KEY_SPARSE_CPU},
        {FT_KEY_CPU, FT_KEY_CPU},
        {FT_KEY_UNDEFINED},
        {FT_KEY_START_OF_DENSE_BACKENDS},
        {FT_KEY_FPGA},
    };
    for (size_t i = 0; i < sizeof regsets / sizeof regsets[0]; i++)
        for (int rg = 0; rg < 2; rg++) {
            ftd_scenario_init(&s, FTD_KIND_DISPATCH);
            snprintf(s.op.name, sizeof s.op.name, "custom_op");
            s.op.custom = true;
            for (size_t k = 0; k < 4 && (k == 0 || regsets[i][k]); k++)
                s.op.regs[s.op.reg_count++] = regsets[i][k];
            s.lhs.requires_grad = s.rhs.requires_grad = rg;
            s.lhs.bits = s.rhs.bits = ftd_value_bits(3.0, FT_DTYPE_F64);
            route_seed(&s, &reach, true);
        }
    for (uint64_t i = 0; i < scan; i++) {
        ftd_generate(0x5eed, i, &s);
        if (s.kind == FTD_KIND_DISPATCH)
            route_seed(&s, &reach, false);
    }
    print_reach("route_select", &reach, true);
}

/* ---- autograd_program ----------------------------------------------------------- */

static void program_seed(const ftd_scenario_t *s, reach_t *reach, bool force) {
    static uint64_t keys[4096];
    static size_t nkeys;
    uint8_t buf[FTFZ_SCENARIO_BYTES_MAX];
    const size_t n = ftfz_encode_program(s, buf);
    ftd_scenario_t back;
    if (n == 0)
        return;
    ftfz_decode_program(buf, n, &back);
    if (!ftd_scenario_equal(s, &back)) {
        fprintf(stderr, "ft-fuzz-corpus: autograd_program layout does not round-trip a program\n");
        exit(1);
    }
    ftd_program_outcome_t o[2];
    for (int m = 0; m < 2; m++)
        if (ftd_libft_program(lib, s, (ft_mode_t)m, &o[m], NULL) != 0)
            return;
    uint64_t ops = 0;
    for (size_t i = 0; i < s->op_count; i++)
        for (int k = 0; k < FTD_BUILTIN_OP_COUNT; k++)
            if (strcmp(s->ops[i].op, ftd_builtin_ops[k]) == 0)
                ops |= UINT64_C(1) << k;
    const uint64_t key = (uint64_t)__builtin_popcountll(ops) << 32 | (uint64_t)s->leaves[0].dtype << 24 |
                         (uint64_t)(-o[0].failed_status) << 16 | (uint64_t)(-o[1].failed_status) << 8 |
                         (uint64_t)o[0].backward_ran << 1 | o[1].backward_ran;
    bool fresh = force || !seen(keys, &nkeys, sizeof keys / sizeof keys[0], key);
    for (int m = 0; m < 2; m++)
        fresh |= !reach->status[-o[m].failed_status] || !reach->status[-o[m].backward_status];
    if (!fresh)
        return;
    for (int m = 0; m < 2; m++)
        reach->status[-o[m].failed_status] = reach->status[-o[m].backward_status] = true;
    seed("autograd_program", buf, n);
}

static void autograd_program(uint64_t scan) {
    reach_t reach = {0};
    ftd_scenario_t s;
    /* the packet's microbench: z = x + y, w = z * x, backward from w */
    for (int variant = 0; variant < 6; variant++) {
        ftd_scenario_init(&s, FTD_KIND_PROGRAM);
        const ft_dtype_t dt = variant & 1 ? FT_DTYPE_F32 : FT_DTYPE_F64;
        s.leaf_count = 2;
        s.leaves[0] = (ftd_operand_t){ftd_value_bits(2.0, dt), dt, FT_BACKEND_CPU, true};
        s.leaves[1] = (ftd_operand_t){ftd_value_bits(3.0, dt), dt, FT_BACKEND_CPU, variant < 4};
        s.op_count = 2;
        snprintf(s.ops[0].op, sizeof s.ops[0].op, "%s", variant >= 2 && variant < 4 ? "sqdiff" : "add");
        s.ops[0].lhs = 0;
        s.ops[0].rhs = 1;
        snprintf(s.ops[1].op, sizeof s.ops[1].op, "mul");
        s.ops[1].lhs = 2;
        s.ops[1].rhs = 0;
        s.root = 3;
        s.grad_mode = variant != 5;
        program_seed(&s, &reach, true);
    }
    for (uint64_t i = 0; i < scan; i++) {
        ftd_generate(0x5eed, i, &s);
        if (s.kind == FTD_KIND_PROGRAM)
            program_seed(&s, &reach, false);
    }
    print_reach("autograd_program", &reach, false);
}

/* ---- keyset_parse ------------------------------------------------------------------ */

static void keyset_text(const char *text, reach_t *reach) {
    ft_keyset_t ks;
    reach->status[-ft_keyset_parse(text, strlen(text), &ks, NULL)] = true;
    seed_text("keyset_parse", text);
}

/* Texts of the "keyset", "a", "b" fields of a torch fixture's first lines. */
static void oracle_texts(const char *file, size_t max_lines, reach_t *reach) {
    char path[1100];
    snprintf(path, sizeof path, "%s/differential/oracle/fixtures/%s", root, file);
    size_t len;
    char *text = slurp(path, &len);
    if (!text)
        die(path);
    static const char *const fields[] = {"\"keyset\":\"", "\"a\":\"", "\"b\":\""};
    size_t lines = 0;
    for (char *line = text; line && *line && lines < max_lines; lines++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        for (size_t f = 0; f < 3; f++) {
            char *p = strstr(line, fields[f]);
            if (!p)
                continue;
            p += strlen(fields[f]);
            char *end = strchr(p, '"');
            if (!end || strchr(p, '\\'))
                continue;
            *end = '\0';
            keyset_text(p, reach);
            *end = '"';
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
}

static void keyset_parse(uint64_t scan) {
    (void)scan;
    reach_t reach = {0};
    char buf[FT_KEYSET_TEXT_MAX];
    for (int k = 0; k < FT_KEY_ID_COUNT; k++) {
        const char *name = ft_key_name((ft_key_t)k);
        keyset_text(name, &reach);
        snprintf(buf, sizeof buf, "DispatchKeySet(%s)", name);
        keyset_text(buf, &reach);
        if (k % 12 == 0) {
            snprintf(buf, sizeof buf, "%s|AutogradCPU", name);
            keyset_text(buf, &reach);
        }
    }
    static const char *const hand[] = {"0x0",
                                       "0x1",
                                       "0x4001",
                                       "0X4001",
                                       "0x0000000000004001",
                                       "0x2804004001",
                                       "0xffffffffffffffff",
                                       "0x1ffffffffffffffff",
                                       "0x40000000000000",
                                       "0x3fffffffffffff",
                                       "0x",
                                       "0xg",
                                       "0x4001 junk",
                                       "0x-1",
                                       "-0x1",
                                       " 0x4001 ",
                                       "0x4001\n",
                                       "CPU",
                                       " CPU ",
                                       "CPU|AutogradCPU",
                                       "CPU | AutogradCPU",
                                       "CPU||AutogradCPU",
                                       "CPU|",
                                       "|CPU",
                                       "|",
                                       "CPU AutogradCPU",
                                       "cpu",
                                       "Cpu",
                                       "CPU,AutogradCPU",
                                       "CPU\tAutogradCPU",
                                       "CPU|\tCUDA",
                                       "DispatchKeySet()",
                                       "DispatchKeySet( )",
                                       "DispatchKeySet(CPU)",
                                       "DispatchKeySet(CPU, AutogradCPU)",
                                       "DispatchKeySet(CPU,AutogradCPU)",
                                       "DispatchKeySet( CPU , BackendSelect , ADInplaceOrView )",
                                       "DispatchKeySet(CPU,)",
                                       "DispatchKeySet(,CPU)",
                                       "DispatchKeySet(CPU",
                                       "DispatchKeySet(",
                                       "DispatchKeySet",
                                       "DispatchKeySet (CPU)",
                                       "DispatchKeySet(CPU))",
                                       "DispatchKeySet(CPU|CUDA)",
                                       "dispatchkeyset(CPU)",
                                       "DispatchKeySet(CPU) junk",
                                       "Autograd",
                                       "CompositeImplicitAutograd",
                                       "CompositeExplicitAutograd",
                                       "CPU|Autograd",
                                       "DispatchKeySet(CPU, CompositeImplicitAutograd)",
                                       "Bogus",
                                       "CPU|Bogus",
                                       "NotAKey|CPU",
                                       "",
                                       " ",
                                       "\t",
                                       "\n",
                                       "CPU\xff",
                                       "\xc3\xa9",
                                       "UnknownUnknown",
                                       "Undefined",
                                       "Dense|CPU",
                                       "AutogradFunctionality",
                                       "EndOfFunctionalityKeys",
                                       "StartOfDenseBackends",
                                       "CPU|0x4001",
                                       "0x4001|CPU"};
    for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++)
        keyset_text(hand[i], &reach);
    seed("keyset_parse", "CPU\0CUDA", 8);
    for (uint64_t i = 0, n = 0; n < 60; i++) {
        ftd_scenario_t s;
        ftd_generate(0x5eed, i, &s);
        if (s.kind != FTD_KIND_KEYSET)
            continue;
        n++;
        const ft_keyset_t ks = ft_keyset_from_raw(n % 3 ? s.a : s.b);
        ft_keyset_format(ks, buf, sizeof buf);
        keyset_text(buf, &reach);
        ft_keyset_format_canonical(ks, buf, sizeof buf);
        keyset_text(buf, &reach);
        snprintf(buf, sizeof buf, "0x%016" PRIx64, ks.repr);
        keyset_text(buf, &reach);
    }
    oracle_texts("keysets.jsonl", 60, &reach);
    oracle_texts("parse_rejections.jsonl", 60, &reach);
    oracle_texts("binops_pairs.jsonl", 20, &reach);
    print_reach("keyset_parse", &reach, false);
}

/* ---- forensics_reader ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
} text_t;

static void append(text_t *t, const void *data, size_t len) {
    if (t->len + len + 1 > t->cap) {
        t->cap = (t->len + len + 1) * 2;
        if (!(t->p = realloc(t->p, t->cap)))
            die("out of memory");
    }
    memcpy(t->p + t->len, data, len);
    t->len += len;
    t->p[t->len] = '\0';
}

/* A few events of every shape, rendered as lines. */
static void sample_events(text_t *lines, int count) {
    char line[8192];
    ftf_route_hop_t hops[2] = {{"AutogradCPU", "AutogradCPU", "autograd kernel", false, "autograd::add"},
                               {"CPU", "CPU", "kernel", false, "cpu::add_scalar"}};
    for (int i = 0; i < count; i++) {
        char id[FTF_SCENARIO_ID_SIZE], sha1[FTF_SHA1_HEX_SIZE];
        ftf_event_t ev;
        ftf_event_init(&ev);
        ev.seq = (uint64_t)i;
        ev.run_id = "run-0123456789abcdef";
        ev.suite_id = "generated";
        ev.packet_id = "FT-P2C-002";
        ev.mode = i & 1 ? FT_MODE_HARDENED : FT_MODE_STRICT;
        ev.seed = UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)(i + 1);
        ev.env_fingerprint = "det64:0123456789abcdef";
        ev.replay_command = "ft-replay 'gen/0123456789abcdef' --mode strict";
        ev.scenario = "{\"kind\":\"dispatch\",\"op\":{\"name\":\"add\",\"custom\":false,\"regs\":[]}}";
        ev.reason_code = "pass";
        snprintf(id, sizeof id, "gen/%016x", (unsigned)i * 2654435761u);
        ev.scenario_id = id;
        switch (i % 4) {
        case 1:
            ev.outcome = FTF_OUTCOME_FAIL;
            ev.reason_code = "selected_key";
            ev.has_dispatch = true;
            ev.dispatch.op = "add";
            ev.dispatch.selected_key = "AutogradCPU";
            ev.dispatch.backend_key = "CPU";
            ev.dispatch.kernel = "cpu::add_scalar";
            ev.dispatch.keyset_bits = UINT64_C(0x2804004001);
            ev.dispatch.route_count = 2;
            memcpy(ev.dispatch.route, hops, sizeof hops);
            ev.has_differential = true;
            ev.differential.comparator = "selected_key";
            ev.differential.expected = "\"AutogradCPU\"";
            ev.differential.observed = "\"CPU\"";
            break;
        case 2:
            ftf_fuzz_scenario_id(id, "route_select", "abc", 3, sha1);
            ev.outcome = FTF_OUTCOME_CRASH;
            ev.reason_code = "output";
            ev.has_fuzz = true;
            ev.fuzz.target = "route_select";
            ev.fuzz.engine = FTF_ENGINE_LIBFUZZER;
            ev.fuzz.input_sha1 = sha1;
            ev.fuzz.input_b64 = "YWJj";
            ev.fuzz.crash_type = "differential-violation";
            ev.fuzz.crash_state = "ft-diff:route_select:output:bits:add:strict";
            break;
        case 3:
            ev.outcome = FTF_OUTCOME_ALLOWLISTED;
            ev.reason_code = "allowlisted_drift";
            break;
        }
        const size_t n = ftf_event_render(&ev, line, sizeof line);
        if (n == 0 || n >= sizeof line)
            die("rendering a sample event");
        append(lines, line, n);
        append(lines, "\n", 1);
    }
}

static uint8_t *make_log(const char *dir, int events, size_t member_data, size_t *len) {
    char path[1200];
    snprintf(path, sizeof path, "%s/sample.jsonl.gz", dir);
    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = member_data;
    o.sync = FTF_LOG_SYNC_NONE;
    o.artifact_dir = "";
    ftf_log_writer_t *w;
    if (ftf_log_writer_open(path, &o, &w) != FTF_OK)
        die(path);
    const char *argv[2] = {"ft-campaign", "--scenarios=10"};
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    h.run_id = "run-0123456789abcdef";
    h.start_time = "2026-01-01T00:00:00Z";
    h.argv = argv;
    h.argc = 2;
    h.tool = "ft-campaign";
    h.tool_version = h.libft_version = ft_version();
    h.env_fingerprint = "det64:0123456789abcdef";
    h.run_seed = 0x5eed;
    ftf_log_write_run_header(w, &h, NULL);
    text_t lines = {0};
    sample_events(&lines, events);
    for (char *p = lines.p; p && *p;) {
        char *nl = strchr(p, '\n');
        ftf_log_write_record(w, p, (size_t)(nl - p), false, NULL);
        p = nl + 1;
    }
    free(lines.p);
    if (ftf_log_writer_close(w) != FTF_OK)
        die(path);
    char *data = slurp(path, len);
    unlink(path);
    if (!data)
        die(path);
    return (uint8_t *)data;
}

static void reader_seed(uint8_t opt, const void *file, size_t len) {
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        die("out of memory");
    buf[0] = opt;
    memcpy(buf + 1, file, len);
    seed("forensics_reader", buf, len + 1);
    free(buf);
}

/* A payload for the target's own containers: options, member size, level. */
static void made_seed(uint8_t opt, uint8_t chunk, const char *payload, size_t len, const uint8_t *extra,
                      size_t extra_len) {
    text_t t = {0};
    const uint8_t head[3] = {opt, chunk, 0};
    append(&t, head, 3);
    append(&t, extra, extra_len);
    append(&t, payload, len);
    seed("forensics_reader", t.p, t.len);
    free(t.p);
}

static void forensics_reader(uint64_t scan) {
    (void)scan;
    char dir[] = "/tmp/ft-fuzz-corpus-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp");
    size_t len, small_len;
    uint8_t *log = make_log(dir, 6, 0, &len);
    uint8_t *small = make_log(dir, 12, 400, &small_len); /* several members */
    for (uint8_t opt = 0; opt < 4; opt++)                /* validate_json, small max_line */
        reader_seed(opt, log, len);
    reader_seed(0x80, log, len); /* with the file-based checks */
    reader_seed(0, small, small_len);
    reader_seed(0x81, small, small_len);
    reader_seed(0, log, len - 28); /* no EOF member: an open log */
    reader_seed(0, small, small_len / 2);
    reader_seed(0, small, 10);
    uint8_t *dmg = malloc(small_len * 2 + 64);
    if (!dmg)
        die("out of memory");
    static const size_t flips[] = {3, 12, 16, 20, 40, 200};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(dmg, small, small_len);
        dmg[flips[i] % small_len] ^= 0x41;
        reader_seed(0, dmg, small_len);
    }
    memcpy(dmg, small, small_len); /* the CRC of the first member */
    const size_t bsize = (size_t)dmg[16] | (size_t)dmg[17] << 8;
    dmg[bsize - 7] ^= 1;
    reader_seed(0, dmg, small_len);
    memcpy(dmg, small, small_len); /* junk appended */
    memcpy(dmg + small_len, "junk junk junk\n", 15);
    reader_seed(0, dmg, small_len + 15);
    memcpy(dmg, small, small_len); /* two logs */
    memcpy(dmg + small_len, small, small_len);
    reader_seed(0x80, dmg, small_len * 2);
    free(dmg);

    text_t lines = {0};
    sample_events(&lines, 8);
    reader_seed(0, lines.p, lines.len);                  /* plain JSONL */
    reader_seed(0, lines.p, lines.len - 1);              /* its last line unterminated */
    reader_seed(0, "\n\n{}\nnot json\n{\"a\":1}\n", 22); /* empty, not JSON, not events */
    uLongf zlen = compressBound((uLong)lines.len) + 64;
    uint8_t *gz = malloc(zlen);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (!gz || deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("zlib");
    z.next_in = (Bytef *)lines.p;
    z.avail_in = (uInt)lines.len;
    z.next_out = gz;
    z.avail_out = (uInt)zlen;
    deflate(&z, Z_FINISH);
    const size_t gzlen = zlen - z.avail_out;
    deflateEnd(&z);
    reader_seed(0, gz, gzlen);    /* plain gzip, as gzip(1) writes it */
    reader_seed(0x80, gz, gzlen); /* ... and as a file */
    free(gz);
    /* the target's containers: BGZF members of 64..16384 bytes (lines split
       across them), plain gzip, EOF member, damage, a cut */
    static const uint8_t chunks[] = {0, 1, 3, 15, 255};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        made_seed(0x04 | 0x10, chunks[i], lines.p, lines.len, NULL, 0);
        made_seed(0x04, chunks[i], lines.p, lines.len, NULL, 0);
    }
    made_seed(0x08, 0, lines.p, lines.len, NULL, 0);
    made_seed(0x08 | 0x01, 0, lines.p, lines.len, NULL, 0);
    const uint8_t damage[3] = {0x40, 0x00, 0x08};
    made_seed(0x04 | 0x10 | 0x20, 3, lines.p, lines.len, damage, 3);
    const uint8_t cut[2] = {0x90, 0x01};
    made_seed(0x04 | 0x10 | 0x40, 3, lines.p, lines.len, cut, 2);
    made_seed(0x04 | 0x10 | 0x80, 3, lines.p, lines.len, NULL, 0);
    made_seed(0x04 | 0x02, 3, lines.p, lines.len, NULL, 0); /* max_line 512: long lines skipped */
    free(lines.p);
    free(log);
    free(small);
    rmdir(dir);
    printf("%-18s logs: intact, cut, flipped, junk, no EOF, concatenated; JSONL, gzip, made BGZF\n",
           "forensics_reader");
}

/* ---- fixture_parser ------------------------------------------------------------------ */

static void fixture_file(const char *rel) {
    char path[1200];
    /* checked, not cut: a cut path would read another file */
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path) {
        errno = ENAMETOOLONG;
        die(rel);
    }
    size_t len;
    char *text = slurp(path, &len);
    if (!text)
        die(path);
    seed("fixture_parser", text, len);
    free(text);
}

static void fixture_parser(uint64_t scan) {
    (void)scan;
    char path[1200];
    snprintf(path, sizeof path, "%s/differential/fixtures/dispatch_key.fixture.jsonl", root);
    size_t len;
    char *text = slurp(path, &len);
    if (!text)
        die(path);
    seed("fixture_parser", text, len);
    char *nl = strchr(text, '\n');
    if (!nl)
        die("fixture without cases");
    const size_t head = (size_t)(nl - text) + 1;
    for (char *line = nl + 1; *line;) { /* each case alone, with the header */
        char *end = strchr(line, '\n');
        const size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
        text_t t = {0};
        append(&t, text, head);
        append(&t, line, n);
        seed("fixture_parser", t.p, t.len);
        free(t.p);
        line += n;
    }
    /* the canonical text of the whole fixture, as the target writes it */
    ftd_fixture_t f;
    ftd_error_t err;
    char *canon = NULL;
    size_t clen = 0;
    if (ftd_fixture_load_buffer(text, len, path, &f, &err) != 0 || ftd_fixture_serialize(&f, &canon, &clen) != 0)
        die("loading the fixture");
    seed("fixture_parser", canon, clen);
    free(canon);
    ftd_fixture_dispose(&f);
    free(text);
    static const char *const bad[] = {"bad_scenario_dtype", "bad_scenario_field", "duplicate_case", "misspelt_key",
                                      "misspelt_mode",      "no_cases",           "no_header",      "not_json",
                                      "unknown_error_code", "unknown_field",      "wrong_type"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "differential/tests/data/fixtures_bad/%s.fixture.jsonl", bad[i]);
        fixture_file(path);
    }
    fixture_file("differential/fixtures/dispatch_key_cases.jsonl");
    /* batch cases: the packet's, and the first lines of every torch fixture */
    static const char *const oracle[] = {"binops_pairs",
                                         "full_after",
                                         "grads",
                                         "grads_strict",
                                         "has",
                                         "keys",
                                         "keysets",
                                         "kernel_strict",
                                         "kernel_values_f32",
                                         "kernel_values_f64",
                                         "parse_rejections",
                                         "tables"};
    for (size_t i = 0; i < sizeof oracle / sizeof oracle[0]; i++) {
        snprintf(path, sizeof path, "%s/differential/oracle/fixtures/%s.jsonl", root, oracle[i]);
        char *all = slurp(path, &len);
        if (!all)
            die(path);
        char *line = all;
        for (int k = 0; k < 3 && *line; k++) {
            char *end = strchr(line, '\n');
            const size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
            if (n < 8192)
                seed("fixture_parser", line, n);
            line += n;
        }
        free(all);
    }
    printf("%-18s the fixture, its cases, bad fixtures, batch cases\n", "fixture_parser");
}

int main(int argc, char **argv) {
    uint64_t scan = 200000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scan") == 0 && i + 1 < argc)
            scan = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: ft-fuzz-corpus <source dir> [--scan N] [--dry-run]\n");
            return 2;
        } else
            root = argv[i];
    }
    if (ftd_libft_new(&lib) != 0)
        die("out of memory");
    static void (*const makers[])(uint64_t) = {route_select, autograd_program, keyset_parse, forensics_reader,
                                               fixture_parser};
    static const char *const names[] = {"route_select", "autograd_program", "keyset_parse", "forensics_reader",
                                        "fixture_parser"};
    for (size_t i = 0; i < 5; i++) {
        per_target = 0;
        makers[i](scan);
        printf("%-18s %zu seeds\n", names[i], per_target);
    }
    ftd_libft_free(lib);
    printf("%zu seeds, %zu new files\n", kept, written);
    return 0;
}
