/* ftf-log-sample OUT N: a log of a run header and N events (every 10th a
 * failure, 4 KiB members) for the script test that hands it to bgzip -t, zcat
 * and jq (log_tools_check.sh). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/ft.h"
#include "ftf/event.h"
#include "ftf/ids.h"
#include "ftf/log.h"

static int fail(const char *what, ftf_status st) {
    fprintf(stderr, "ftf-log-sample: %s: %s\n", what, ftf_strerror(st));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: ftf-log-sample OUT N\n");
        return 2;
    }
    const unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
    ft_registry_t *reg;
    const ft_op_t *op;
    if (ft_registry_new(&reg) != FT_OK || ft_registry_find(reg, "mul", &op) != FT_OK)
        return fail("registry", FTF_ENOMEM);
    ft_dispatch_ctx_t ctx;
    ft_dispatch_ctx_init(&ctx);
    const ft_scalar_t a = ft_scalar_make(2.0, FT_DTYPE_F64, FT_BACKEND_CPU, true);
    const ft_scalar_t b = ft_scalar_make(0.1, FT_DTYPE_F64, FT_BACKEND_CPU, false);
    ft_scalar_t out;
    ft_decision_t d;
    if (ft_dispatch_binary(&ctx, op, &a, &b, &out, &d) != FT_OK)
        return fail("dispatch", FTF_EINVALID_ARGUMENT);

    ftf_log_writer_options_t o = FTF_LOG_WRITER_OPTIONS_INIT;
    o.member_data = 4096;
    ftf_log_writer_t *w;
    ftf_status st = ftf_log_writer_open(argv[1], &o, &w);
    if (st)
        return fail(argv[1], st);
    char run_id[FTF_RUN_ID_SIZE];
    ftf_run_id(run_id, 1, "ftf-log-sample");
    const char *env = "det64:0123456789abcdef";
    const char *args[] = {"ftf-log-sample", argv[1], argv[2]};
    ftf_run_header_t h;
    ftf_run_header_init(&h);
    h.run_id = run_id;
    h.start_time = "2024-01-01T00:00:00Z";
    h.argv = args;
    h.argc = 3;
    h.tool = "ftf-log-sample";
    h.tool_version = FT_VERSION_STRING;
    h.libft_version = ft_version();
    h.env_fingerprint = env;
    h.run_seed = 1;
    if ((st = ftf_log_write_run_header(w, &h, NULL)) != FTF_OK)
        return fail("run header", st);
    for (unsigned i = 0; i < n; i++) {
        char scenario[128], id[FTF_SCENARIO_ID_SIZE];
        const int len = snprintf(scenario, sizeof scenario, "{\"op\":\"mul\",\"case\":%u,\"lhs\":2,\"rhs\":0.1}", i);
        if ((st = ftf_generated_scenario_id(id, scenario, (size_t)len)) != FTF_OK)
            return fail("id", st);
        ftf_event_t ev;
        ftf_event_init(&ev);
        ev.seq = i;
        ev.run_id = run_id;
        ev.suite_id = "log_sample";
        ev.scenario_id = id;
        ev.packet_id = "FT-P2C-002";
        ev.mode = FT_MODE_STRICT;
        ev.seed = ftf_scenario_seed("log_sample", "none", "FT-P2C-002", id, "strict");
        ev.env_fingerprint = env;
        ev.replay_command = "ft-replay --sample";
        ev.outcome = i % 10 == 9 ? FTF_OUTCOME_FAIL : FTF_OUTCOME_PASS;
        ev.reason_code = i % 10 == 9 ? "value_mismatch" : "ok";
        ev.scenario = scenario;
        if ((st = ftf_event_set_dispatch_from_decision(&ev, &d)) != FTF_OK ||
            (st = ftf_log_write_event(w, &ev, NULL)) != FTF_OK)
            return fail("event", st);
    }
    ft_registry_free(reg);
    if ((st = ftf_log_writer_close(w)) != FTF_OK)
        return fail("close", st);
    return 0;
}
