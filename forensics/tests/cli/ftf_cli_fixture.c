/* Writes the sample logs the ft-forensics CLI tests (cli_test.sh) read:
 *
 *   DIR/shards/shard-0.log.gz   run A: passes, fails (two reasons), a crash, an
 *                               allowlisted drift; written with a locator fed
 *                               by the writer (the sidecar a writer's owner makes)
 *   DIR/shards/shard-1.log.gz   run B: the same mix, no locator
 *   DIR/clean.log.gz            passes only
 *   DIR/big.log.gz              2,000 records (a run header and 1,999 events of
 *                               every outcome), for recompressing with bgzip
 *
 * The scenario id cli/strict:dup appears twice in shard 0 and once in shard 1.
 * Every replay command would create DIR/pwned if anything ran it.
 *
 *   ftf-cli-fixture DIR */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/locator.h"
#include "ftf/log.h"

static int die(const char *what, ftf_status st) {
    fprintf(stderr, "ftf-cli-fixture: %s: %s\n", what, ftf_strerror(st));
    return 1;
}

static bool is_dup(unsigned run, unsigned i) {
    return run == 1 ? i == 3 || i == 10 : run == 2 && i == 5;
}

static int write_log(const char *dir, const char *path, unsigned run, unsigned n, bool only_pass, bool locator) {
    ftf_log_writer_options_t wo = FTF_LOG_WRITER_OPTIONS_INIT;
    wo.sync = FTF_LOG_SYNC_NONE;
    wo.member_data = 2048;
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(path, &wo, &w);
    if (st != FTF_OK)
        return die(path, st);
    ftf_locator_builder_t *b = NULL;
    if (locator && (st = ftf_locator_builder_new(&b)) != FTF_OK)
        return die("builder", st);
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, run, "ftf-cli-fixture");
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    const char *argv[] = {"ftf-cli-fixture", dir};
    h.run_id = run_id, h.start_time = "2024-03-04T05:06:07Z", h.argv = argv, h.argc = 2;
    h.tool = "ftf-cli-fixture", h.tool_version = "0.1.0", h.libft_version = "0.1.0";
    h.env_fingerprint = "det64:0123456789abcdef", h.run_seed = run;
    if ((st = ftf_log_write_run_header(w, &h, NULL)) != FTF_OK)
        return die("run header", st);
    char replay[512];
    snprintf(replay, sizeof replay, "touch %s/pwned", dir);
    for (unsigned i = 0; i < n; i++) {
        char id[FTF_SCENARIO_ID_SIZE], case_id[64];
        const unsigned k = only_pass ? 0 : i % 6;
        ftf_event_t ev;
        ftf_event_init(&ev);
        ev.mode = i % 2 ? FT_MODE_HARDENED : FT_MODE_STRICT;
        if (is_dup(run, i))
            snprintf(id, sizeof id, "cli/strict:dup"), ev.mode = FT_MODE_STRICT;
        else {
            snprintf(case_id, sizeof case_id, "case_%u_%u", run, i);
            ftf_fixture_scenario_id(id, "cli", ft_mode_name(ev.mode), case_id);
        }
        ev.seq = i, ev.run_id = run_id, ev.suite_id = "cli", ev.scenario_id = id, ev.packet_id = "FT-P2C-002";
        ev.seed = ftf_scenario_seed("cli", "cli.json", "FT-P2C-002", id, ft_mode_name(ev.mode));
        ev.env_fingerprint = "det64:0123456789abcdef", ev.replay_command = replay;
        ev.has_dispatch = true;
        ev.dispatch.op = i % 4 ? "add" : "mul";
        ev.dispatch.selected_key = "AutogradCPU";
        ev.dispatch.backend_key = "CPU";
        ev.dispatch.kernel = "cpu::add_scalar";
        ev.dispatch.keyset_bits = 0x2800004001ull;
        ev.has_differential = true;
        ev.differential.comparator = "exact";
        ev.differential.expected = "3";
        ev.differential.observed = "3";
        ev.scenario = "{\"op\":\"add\",\"lhs\":1,\"rhs\":2}";
        char sha[FTF_SHA1_HEX_SIZE];
        switch (k) {
        case 0:
        case 1:
            ev.outcome = FTF_OUTCOME_PASS, ev.reason_code = "ok";
            break;
        case 2:
            ev.outcome = FTF_OUTCOME_FAIL, ev.reason_code = "composite_fallback_rejected";
            break;
        case 3:
            ev.outcome = FTF_OUTCOME_FAIL, ev.reason_code = "value_mismatch", ev.differential.observed = "4";
            break;
        case 4:
            ev.outcome = FTF_OUTCOME_ALLOWLISTED, ev.reason_code = "allowlisted_drift";
            ev.differential.drift_id = "hardened-composite", ev.differential.allowlisted = true;
            break;
        default: {
            char input[32];
            snprintf(input, sizeof input, "in-%u-%u", run, i);
            if (!is_dup(run, i))
                ftf_fuzz_scenario_id(id, "keyset_fuzz", input, strlen(input), sha);
            else
                ftf_sha1_hex(input, strlen(input), sha);
            ev.outcome = FTF_OUTCOME_CRASH, ev.reason_code = "crash";
            ev.has_fuzz = true;
            ev.fuzz.target = "keyset_fuzz", ev.fuzz.engine = FTF_ENGINE_LIBFUZZER, ev.fuzz.input_sha1 = sha;
            ev.fuzz.input_b64 = "aW4=";
            ev.fuzz.crash_type = "SEGV on unknown address";
            ev.fuzz.crash_state = i % 2 ? "#0 0x10 in ft_keyset_parse /a/keyset.c:1\n#1 0x20 in main /a/m.c:2"
                                        : "#0 0x99 in ft_keyset_parse /b/keyset.c:7\n#1 0x98 in main m.c:3";
            break;
        }
        }
        ftf_log_pos_t pos;
        if ((st = ftf_log_write_event(w, &ev, &pos)) != FTF_OK)
            return die("event", st);
        if (b && (st = ftf_locator_builder_add(b, id, strlen(id), &pos, (unsigned)ev.outcome, (unsigned)ev.mode,
                                               ev.seq)) != FTF_OK)
            return die("locator entry", st);
    }
    if ((st = ftf_log_writer_close(w)) != FTF_OK)
        return die("close", st);
    if (b) {
        if ((st = ftf_locator_builder_write(b, path, NULL)) != FTF_OK)
            return die("locator", st);
        ftf_locator_builder_free(b);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ftf-cli-fixture DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/shards", argv[1]);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/shards/shard-0.log.gz", argv[1]);
    if (write_log(argv[1], path, 1, 300, false, true))
        return 1;
    snprintf(path, sizeof path, "%s/shards/shard-1.log.gz", argv[1]);
    if (write_log(argv[1], path, 2, 180, false, false))
        return 1;
    snprintf(path, sizeof path, "%s/clean.log.gz", argv[1]);
    if (write_log(argv[1], path, 3, 50, true, false))
        return 1;
    snprintf(path, sizeof path, "%s/big.log.gz", argv[1]);
    if (write_log(argv[1], path, 4, 1999, false, false))
        return 1;
    return 0;
}
