/* The abort path of a differential violation (fuzz_support.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "ft/version.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"
#include "fuzz_support.h"

#ifndef FTFZ_ENGINE_NAME
#define FTFZ_ENGINE_NAME "replay"
#endif

#define PACKET_ID "FT-P2C-002"
#define SUITE_ID  "fuzz"
#define FIELD_MAX 64

static const char *input_name;

void ftfz_set_input_name(const char *name) {
    input_name = name;
}

const char *ftfz_engine_name(void) {
    return FTFZ_ENGINE_NAME;
}

static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One signature field: [A-Za-z0-9_.+-] kept, anything else '_', a run of 4 or
 * more digits "N" and a 0x number of 4 or more digits "0xN" (no addresses, no
 * counts), at most FIELD_MAX bytes, "-" when empty. */
static size_t field(char *out, const char *s) {
    size_t n = 0;
    if (!s || !*s)
        s = "-";
    for (size_t i = 0; s[i] && n < FIELD_MAX;) {
        if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
            size_t hex = 0;
            while (is_hex(s[i + 2 + hex]))
                hex++;
            if (hex >= 4) {
                for (const char *p = "0xN"; *p && n < FIELD_MAX; p++)
                    out[n++] = *p;
                i += 2 + hex;
                continue;
            }
        }
        size_t digits = 0;
        while (s[i + digits] >= '0' && s[i + digits] <= '9')
            digits++;
        if (digits >= 4) {
            out[n++] = 'N';
            i += digits;
            continue;
        }
        if (digits) {
            for (size_t k = 0; k < digits && n < FIELD_MAX; k++)
                out[n++] = s[i + k];
            i += digits;
            continue;
        }
        const char c = s[i++];
        const bool keep =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '+' || c == '-';
        out[n++] = keep ? c : '_';
    }
    out[n] = '\0';
    return n;
}

size_t ftfz_signature(char *buf, size_t cap, const char *target, const char *comparator, const char *reason,
                      const char *op, const char *modes) {
    char f[5][FIELD_MAX + 1];
    field(f[0], target);
    field(f[1], comparator);
    field(f[2], reason);
    field(f[3], op);
    field(f[4], modes);
    const int n = snprintf(buf, cap, "ft-diff:%s:%s:%s:%s:%s", f[0], f[1], f[2], f[3], f[4]);
    return n < 0 ? 0 : (size_t)n;
}

/* mkdir -p */
static void make_dirs(const char *dir) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

/* Writes the event; says on stderr why when it cannot (the abort follows
 * either way: the signature line is already out). */
static void write_event(const char *target, const char *comparator, const char *signature, const uint8_t *data,
                        size_t size, const ftfz_detail_t *d) {
    const char *dir = getenv("FT_FUZZ_FORENSICS_DIR");
    if (!dir || !*dir)
        dir = "fuzz-forensics";
    make_dirs(dir);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.jsonl.gz", dir, target);

    char id[FTF_SCENARIO_ID_SIZE], sha1[FTF_SHA1_HEX_SIZE];
    if (ftf_fuzz_scenario_id(id, target, data, size, sha1) != FTF_OK) {
        fprintf(stderr, "ft-fuzz: no forensics event: \"%s\" is not a target name\n", target);
        return;
    }
    const size_t b64_len = ftf_base64_encode(data, size, NULL, 0);
    char *b64 = malloc(b64_len + 1);
    if (!b64) {
        fprintf(stderr, "ft-fuzz: no forensics event: out of memory\n");
        return;
    }
    ftf_base64_encode(data, size, b64, b64_len + 1);

    ftf_env_t env;
    ftf_env_storage_t storage;
    char env_fp[FTF_ENV_FINGERPRINT_SIZE], run_id[FTF_RUN_ID_SIZE], tool[160];
    ftf_env_detect(&env, &storage, ft_version());
    ftf_env_fingerprint(&env, env_fp);
    uint64_t run_seed = 0;
    for (int i = 0; i < 16; i++) /* the input's sha1: one run per input, the same each time */
        run_seed = run_seed << 4 | (uint64_t)(sha1[i] <= '9' ? sha1[i] - '0' : sha1[i] - 'a' + 10);
    snprintf(tool, sizeof tool, "fuzz_%s", target);
    ftf_run_id(run_id, run_seed, tool);

    const ft_mode_t mode = d ? d->mode : FT_MODE_STRICT;
    char stub[256], replay[400];
    snprintf(stub, sizeof stub, "{\"kind\":\"fuzz_input\",\"target\":\"%s\"}", target);
    snprintf(replay, sizeof replay, "build/fuzz-replay/fuzz/fuzz_%s crash-%s", target, sha1);

    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.run_id = run_id;
    ev.suite_id = SUITE_ID;
    ev.scenario_id = id;
    ev.packet_id = PACKET_ID;
    ev.mode = mode;
    ev.seed = ftf_scenario_seed(SUITE_ID, target, PACKET_ID, id, ft_mode_name(mode));
    ev.env_fingerprint = env_fp;
    ev.replay_command = replay;
    ev.outcome = FTF_OUTCOME_CRASH;
    ev.reason_code = comparator && *comparator ? comparator : "-";
    ev.has_differential = true;
    ev.differential.comparator = ev.reason_code;
    ev.differential.drift_id = NULL;
    ev.differential.allowlisted = false;
    ev.differential.expected = d && d->expected ? d->expected : "null";
    ev.differential.observed = d && d->observed ? d->observed : "null";
    ev.scenario = d && d->scenario ? d->scenario : stub;
    ev.has_fuzz = true;
    ev.fuzz.target = target;
    ev.fuzz.engine = strcmp(FTFZ_ENGINE_NAME, "afl") == 0         ? FTF_ENGINE_AFL
                     : strcmp(FTFZ_ENGINE_NAME, "libfuzzer") == 0 ? FTF_ENGINE_LIBFUZZER
                                                                  : FTF_ENGINE_REPLAY;
    ev.fuzz.input_sha1 = sha1;
    ev.fuzz.input_b64 = b64;
    ev.fuzz.crash_type = "differential-violation";
    ev.fuzz.crash_state = signature;

    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.append = true;
    wo.sync = FTF_LOG_SYNC_FAILURES;
    wo.max_age_ms = 0;
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(path, &wo, &w);
    if (st != FTF_OK) {
        fprintf(stderr, "ft-fuzz: no forensics event: cannot open %s: %s\n", path, strerror(errno));
        free(b64);
        return;
    }
    char start[FTF_TIMESTAMP_SIZE];
    ftf_utc_timestamp((int64_t)time(NULL), start);
    const char *argv[1] = {tool};
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    h.run_id = run_id;
    h.start_time = start;
    h.argv = argv;
    h.argc = 1;
    h.tool = tool;
    h.tool_version = ft_version();
    h.libft_version = ft_version();
    h.env_fingerprint = env_fp;
    h.run_seed = run_seed;
    st = ftf_log_write_run_header(w, &h, NULL);
    if (st == FTF_OK)
        st = ftf_log_write_event(w, &ev, NULL);
    if (st != FTF_OK)
        fprintf(stderr, "ft-fuzz: forensics event not written to %s: %s\n", path, ftf_log_writer_errmsg(w));
    const ftf_status cst = ftf_log_writer_close(w);
    if (st == FTF_OK && cst != FTF_OK)
        fprintf(stderr, "ft-fuzz: closing %s: %s\n", path, ftf_strerror(cst));
    else if (st == FTF_OK)
        fprintf(stderr, "ft-fuzz: forensics event %s in %s\n", id, path);
    free(b64);
}

void ftfz_violation_ex(const char *target, const char *comparator, const char *reason, const char *op,
                       const char *modes, const uint8_t *data, size_t size, const ftfz_detail_t *detail) {
    char sig[6 * (FIELD_MAX + 1) + 16];
    ftfz_signature(sig, sizeof sig, target, comparator, reason, op, modes);
    char f[5][FIELD_MAX + 1];
    field(f[0], target);
    field(f[1], comparator);
    field(f[2], reason);
    field(f[3], op);
    field(f[4], modes);
    char sha1[FTF_SHA1_HEX_SIZE];
    ftf_sha1_hex(data, size, sha1);
    fprintf(stderr, "\n%s\n", sig);
    fprintf(stderr, "DEDUP_TOKEN: ftdiff-%s--%s--%s--%s--%s\n", f[0], f[1], f[2], f[3], f[4]);
    if (input_name)
        fprintf(stderr, "ft-fuzz: input %s (sha1 %s, %zu bytes)\n", input_name, sha1, size);
    else
        fprintf(stderr, "ft-fuzz: input sha1 %s (%zu bytes)\n", sha1, size);
    if (detail && (detail->expected || detail->observed))
        fprintf(stderr, "ft-fuzz: expected %s\nft-fuzz: observed %s\n", detail->expected ? detail->expected : "null",
                detail->observed ? detail->observed : "null");
    fprintf(stderr, "ft-fuzz: replay: build/fuzz-replay/fuzz/fuzz_%s %s\n", target,
            input_name ? input_name : "<the input file>");
    fflush(stderr);
    write_event(target, comparator, sig, data, size, detail);
    fflush(stderr);
    abort();
}

void ftfz_violation(const char *target, const char *comparator, const char *reason, const char *op, const char *modes,
                    const uint8_t *data, size_t size) {
    ftfz_violation_ex(target, comparator, reason, op, modes, data, size, NULL);
}
