/* A stand-in fuzz target for the `ft-forensics ingest` tests (cli_test.sh):
 * one input file, its first four bytes choose what happens.
 *
 *   DIFF   prints an ft-diff line on stderr and aborts (a differential
 *          violation, as fuzz/CONTRACT.md's targets report one)
 *   SCEN   the same, after logging its own event with a scenario to
 *          $FT_FUZZ_FORENSICS_DIR/crasher.jsonl.gz (what the contract's
 *          targets do), so ingest can adopt that scenario
 *   ASAN   prints a captured AddressSanitizer report (the file named by
 *          $FTF_CRASHER_REPORT) and exits 1, as a sanitizer does
 *   SILL   dies of SIGILL without a word (a signal sanitizers leave alone)
 *   HANG   sleeps for a minute
 *   ENVD   exits 3 unless FT_FUZZ_FORENSICS_DIR is set (ingest sets it)
 *   else   exits 0 (nothing reproduced)
 *
 *   ftf-cli-crasher [-timeout=N] INPUT   (a libFuzzer-style flag is ignored) */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"

static void log_own_event(const unsigned char *data, size_t len) {
    const char *dir = getenv("FT_FUZZ_FORENSICS_DIR");
    if (!dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/crasher.jsonl.gz", dir);
    ftf_log_writer_t *w;
    if (ftf_log_writer_open(path, NULL, &w) != FTF_OK)
        return;
    char id[FTF_SCENARIO_ID_SIZE], sha1[FTF_SHA1_HEX_SIZE];
    ftf_fuzz_scenario_id(id, "crasher", data, len, sha1);
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.run_id = "run-0000000000000001";
    ev.suite_id = "fuzz";
    ev.scenario_id = id;
    ev.packet_id = "FT-P2C-002";
    ev.env_fingerprint = "det64:0123456789abcdef";
    ev.replay_command = "fuzz_crasher INPUT";
    ev.outcome = FTF_OUTCOME_CRASH;
    ev.reason_code = "selected_key";
    ev.scenario = "{\"kind\":\"route\",\"op\":\"add\",\"keyset\":\"0x8000\"}";
    ev.has_fuzz = true;
    ev.fuzz.target = "crasher";
    ev.fuzz.engine = FTF_ENGINE_REPLAY;
    ev.fuzz.input_sha1 = sha1;
    ev.fuzz.input_b64 = "";
    ev.fuzz.crash_type = "differential-violation";
    ev.fuzz.crash_state = "ft-diff:crasher:selected_key:mismatch:add:strict";
    ftf_log_write_event(w, &ev, NULL);
    ftf_log_writer_close(w);
}

int main(int argc, char **argv) {
    int a = 1;
    if (a < argc && strncmp(argv[a], "-timeout=", 9) == 0)
        a++;
    if (a >= argc) {
        fprintf(stderr, "usage: ftf-cli-crasher [-timeout=N] INPUT\n");
        return 2;
    }
    FILE *f = fopen(argv[a], "rb");
    if (!f) {
        perror(argv[a]);
        return 1;
    }
    unsigned char buf[4096];
    const size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n >= 4 && memcmp(buf, "SCEN", 4) == 0)
        log_own_event(buf, n);
    if (n >= 4 && (memcmp(buf, "DIFF", 4) == 0 || memcmp(buf, "SCEN", 4) == 0)) {
        fprintf(stderr, "INFO: running %s\nft-diff:crasher:selected_key:mismatch:add:strict\n", argv[a]);
        abort();
    }
    if (n >= 4 && memcmp(buf, "ASAN", 4) == 0) {
        const char *report = getenv("FTF_CRASHER_REPORT");
        FILE *r = report ? fopen(report, "rb") : NULL;
        char line[4096];
        while (r && fgets(line, sizeof line, r))
            fputs(line, stderr);
        if (r)
            fclose(r);
        return 1;
    }
    if (n >= 4 && memcmp(buf, "SILL", 4) == 0) {
        signal(SIGILL, SIG_DFL);
        raise(SIGILL);
    }
    if (n >= 4 && memcmp(buf, "HANG", 4) == 0)
        sleep(60);
    if (n >= 4 && memcmp(buf, "ENVD", 4) == 0)
        return getenv("FT_FUZZ_FORENSICS_DIR") ? 0 : 3;
    return 0;
}
