/* ft-campaign: the differential campaign, the project's main job (SPEC §9).
 * Every option is in usage_text; exit codes: 0 no blocking drift, 1 blocking
 * drift or a harness error in some scenario, 2 usage error, 3 the campaign could
 * not run or its outputs could not be written or read back. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ft/version.h"
#include "ftdiff/campaign.h"

#ifndef FTD_SOURCE_DIR
#define FTD_SOURCE_DIR "."
#endif

enum { EXIT_OK = 0, EXIT_DRIFT = 1, EXIT_USAGE = 2, EXIT_RUN = 3 };

static const char usage_text[] =
    "usage: ft-campaign [options]\n"
    "\n"
    "Runs the fixture cases and a seeded generated campaign through libft and the\n"
    "reference model in both modes, and writes a forensics log (with its locator),\n"
    "failure-index.json, differential-report.json and, if asked, JUnit XML.\n"
    "\n"
    "  --scenarios N        generated scenarios (default 100000; 0: fixtures only)\n"
    "  --seed S             campaign seed, decimal or 0x-hex (default 0x5eed); same seed,\n"
    "                       same event records, whatever --jobs\n"
    "  --mode M             strict, hardened or both (default both)\n"
    "  --packet ID          only this packet's scenarios (all are FT-P2C-002 today)\n"
    "  --suite ID           only this suite (dispatch_key, generated, ...)\n"
    "  --oracle O           none (default) or torch: also ask live PyTorch 1.13\n"
    "  --jobs N             worker threads (default: all cores)\n"
    "  --shard I/N          run generated scenarios with index % N == I (0-based)\n"
    "  --out DIR            output directory (default artifacts/forensics/<run_id>)\n"
    "  --output FILE        the forensics log's path (the other outputs go beside it\n"
    "                       unless --out is given)\n"
    "  --junit FILE         JUnit XML for CI systems\n"
    "  --fixtures PATH      fixture file or directory of *.fixture.jsonl (repeatable;\n"
    "                       default: the built-in differential/fixtures)\n"
    "  --no-fixtures        no fixture files (generated scenarios and oracle fixtures)\n"
    "  --oracle-fixtures PATH  PyTorch 1.13 fixture file (batch format, *.jsonl) or\n"
    "                       directory of them (repeatable; default: the built-in\n"
    "                       differential/oracle/fixtures)\n"
    "  --no-oracle-fixtures skip the PyTorch fixture files\n"
    "  --allowlist FILE     drift allowlist (default differential/allowlist.json)\n"
    "  --progress, --no-progress   progress bar on stderr (default: when a terminal)\n"
    "  --version, --help\n"
    "\n"
    "The last line is \"N passed, N failed\" over scenario x mode runs.\n"
    "exit status: 0 no blocking drift, 1 blocking drift or harness error in a scenario,\n"
    "2 usage error, 3 the campaign could not run (unreadable fixture, unwritable output,\n"
    "forensics read-back mismatch)\n";

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
static int
usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ft-campaign: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(ft-campaign --help for usage)\n");
    return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    const unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static bool ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files and directories (their files ending in `suffix`, sorted) into a list. */
static int add_fixture_path(const char *path, const char *suffix, char ***list, size_t *n) {
    DIR *d = opendir(path);
    if (!d) {
        if (errno != ENOTDIR) {
            if (access(path, R_OK) != 0) {
                fprintf(stderr, "ft-campaign: cannot read %s: %s\n", path, strerror(errno));
                return -1;
            }
        }
        char **p = realloc(*list, (*n + 1) * sizeof *p);
        if (!p || !(p[*n] = strdup(path)))
            return -1;
        *list = p;
        (*n)++;
        return 0;
    }
    const size_t first = *n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, suffix) || (strcmp(suffix, ".jsonl") == 0 && ends_with(e->d_name, ".fixture.jsonl")))
            continue;
        char **p = realloc(*list, (*n + 1) * sizeof *p);
        const size_t len = strlen(path) + strlen(e->d_name) + 2;
        if (!p || !(p[*n] = malloc(len))) {
            closedir(d);
            return -1;
        }
        *list = p;
        snprintf(p[*n], len, "%s/%s", path, e->d_name);
        (*n)++;
    }
    closedir(d);
    qsort(*list + first, *n - first, sizeof **list, cmp_str);
    if (*n == first) {
        fprintf(stderr, "ft-campaign: %s holds no *%s file\n", path, suffix);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    ftd_campaign_options_t o;
    ftd_campaign_options_init(&o);
    o.progress = isatty(2);
    o.argc = argc;
    o.argv = (const char *const *)argv;
    char **fixtures = NULL, **ofix = NULL;
    size_t nfix = 0, nofix = 0;
    bool no_fixtures = false, own_fixtures = false, no_ofix = false, own_ofix = false;
    static char default_allowlist[] = FTD_SOURCE_DIR "/differential/allowlist.json";
    o.allowlist_path = default_allowlist;
    int rc = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                                                   \
    do {                                                                                                               \
        if (!v) {                                                                                                      \
            rc = usage_error("%s needs a value", a);                                                                   \
            goto done;                                                                                                 \
        }                                                                                                              \
        i++;                                                                                                           \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            rc = EXIT_OK;
            goto done;
        } else if (strcmp(a, "--version") == 0) {
            printf("ft-campaign %s\n", ft_version());
            rc = EXIT_OK;
            goto done;
        } else if (strcmp(a, "--scenarios") == 0) {
            NEED_VALUE();
            if (parse_u64(v, &o.scenarios) != 0) {
                rc = usage_error("--scenarios: not a count: %s", v);
                goto done;
            }
        } else if (strcmp(a, "--seed") == 0) {
            NEED_VALUE();
            if (parse_u64(v, &o.seed) != 0) {
                rc = usage_error("--seed: not a number: %s", v);
                goto done;
            }
        } else if (strcmp(a, "--mode") == 0) {
            NEED_VALUE();
            if (strcmp(v, "strict") == 0)
                o.modes = FTD_MODE_STRICT_BIT;
            else if (strcmp(v, "hardened") == 0)
                o.modes = FTD_MODE_HARDENED_BIT;
            else if (strcmp(v, "both") == 0)
                o.modes = FTD_MODE_STRICT_BIT | FTD_MODE_HARDENED_BIT;
            else {
                rc = usage_error("--mode: strict, hardened or both, not %s", v);
                goto done;
            }
        } else if (strcmp(a, "--packet") == 0) {
            NEED_VALUE();
            o.packet = v;
        } else if (strcmp(a, "--suite") == 0) {
            NEED_VALUE();
            o.suite = v;
        } else if (strcmp(a, "--oracle") == 0) {
            NEED_VALUE();
            if (strcmp(v, "none") == 0)
                o.oracle = FTD_ORACLE_NONE;
            else if (strcmp(v, "torch") == 0)
                o.oracle = FTD_ORACLE_TORCH;
            else {
                rc = usage_error("--oracle: none or torch, not %s", v);
                goto done;
            }
        } else if (strcmp(a, "--jobs") == 0) {
            NEED_VALUE();
            uint64_t j;
            if (parse_u64(v, &j) != 0 || j == 0 || j > 256) {
                rc = usage_error("--jobs: 1..256, not %s", v);
                goto done;
            }
            o.jobs = (unsigned)j;
        } else if (strcmp(a, "--shard") == 0) {
            NEED_VALUE();
            unsigned si, sn;
            char extra;
            if (sscanf(v, "%u/%u%c", &si, &sn, &extra) != 2 || sn == 0 || si >= sn) {
                rc = usage_error("--shard: I/N with 0 <= I < N, not %s", v);
                goto done;
            }
            o.shard_index = si, o.shard_count = sn;
        } else if (strcmp(a, "--out") == 0) {
            NEED_VALUE();
            o.out_dir = v;
        } else if (strcmp(a, "--output") == 0) {
            NEED_VALUE();
            o.log_path = v;
        } else if (strcmp(a, "--junit") == 0) {
            NEED_VALUE();
            o.junit_path = v;
        } else if (strcmp(a, "--fixtures") == 0) {
            NEED_VALUE();
            own_fixtures = true;
            if (add_fixture_path(v, ".fixture.jsonl", &fixtures, &nfix) != 0) {
                rc = EXIT_RUN;
                goto done;
            }
        } else if (strcmp(a, "--no-fixtures") == 0) {
            no_fixtures = true;
        } else if (strcmp(a, "--oracle-fixtures") == 0) {
            NEED_VALUE();
            own_ofix = true;
            if (add_fixture_path(v, ".jsonl", &ofix, &nofix) != 0) {
                rc = EXIT_RUN;
                goto done;
            }
        } else if (strcmp(a, "--no-oracle-fixtures") == 0) {
            no_ofix = true;
        } else if (strcmp(a, "--allowlist") == 0) {
            NEED_VALUE();
            o.allowlist_path = v;
        } else if (strcmp(a, "--progress") == 0) {
            o.progress = true;
        } else if (strcmp(a, "--no-progress") == 0) {
            o.progress = false;
        } else {
            rc = usage_error("unknown option %s", a);
            goto done;
        }
#undef NEED_VALUE
    }
    if (no_fixtures && own_fixtures) {
        rc = usage_error("%s", "--fixtures and --no-fixtures contradict each other");
        goto done;
    }
    if (no_ofix && own_ofix) {
        rc = usage_error("%s", "--oracle-fixtures and --no-oracle-fixtures contradict each other");
        goto done;
    }
    if ((!no_fixtures && !own_fixtures &&
         add_fixture_path(FTD_SOURCE_DIR "/differential/fixtures", ".fixture.jsonl", &fixtures, &nfix)) ||
        (!no_ofix && !own_ofix &&
         add_fixture_path(FTD_SOURCE_DIR "/differential/oracle/fixtures", ".jsonl", &ofix, &nofix))) {
        rc = EXIT_RUN;
        goto done;
    }
    o.fixture_paths = (const char *const *)fixtures;
    o.fixture_path_count = nfix;
    o.oracle_fixture_paths = (const char *const *)ofix;
    o.oracle_fixture_path_count = nofix;
    ftd_campaign_totals_t t;
    char why[512];
    if (ftd_campaign_run(&o, &t, why) != 0) {
        fprintf(stderr, "ft-campaign: %s\n", why);
        rc = EXIT_RUN;
        goto done;
    }
    printf("run %s: %" PRIu64 " scenarios, %" PRIu64 " runs in %.2f s (log %.2f s)\n", t.run_id, t.scenarios, t.runs,
           t.seconds, t.log_seconds);
    printf("verdicts:");
    for (int v = 0; v < FTD_VERDICT_COUNT; v++)
        printf(" %s %" PRIu64, ftd_verdict_name((ftd_verdict_t)v), t.verdicts[v]);
    if (o.oracle == FTD_ORACLE_TORCH) {
        printf("\ntorch oracle:");
        for (int v = 0; v < FTD_VERDICT_COUNT; v++)
            printf(" %s %" PRIu64, ftd_verdict_name((ftd_verdict_t)v), t.oracle_verdicts[v]);
    }
    printf("\nfallback rate: strict %" PRIu64 "/%" PRIu64 ", hardened %" PRIu64 "/%" PRIu64 "\n", t.fallback_used[0],
           t.dispatch_runs[0], t.fallback_used[1], t.dispatch_runs[1]);
    for (int k = 0; k < FTD_CMP_COUNT; k++)
        if (t.comparator_failures[k])
            printf("comparator %s: %" PRIu64 " failures in %" PRIu64 " checks\n",
                   ftd_comparator_name((ftd_comparator_t)k), t.comparator_failures[k], t.comparator_runs[k]);
    printf("log:           %s\nlocator:       %s.ftidx\nfailure index: %s\nreport:        %s\n", t.log_path, t.log_path,
           t.index_path, t.report_path);
    if (o.junit_path)
        printf("junit:         %s\n", o.junit_path);
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", t.passed, t.failed);
    rc = t.failed ? EXIT_DRIFT : EXIT_OK;
done:
    for (size_t i = 0; i < nfix; i++)
        free(fixtures[i]);
    free(fixtures);
    for (size_t i = 0; i < nofix; i++)
        free(ofix[i]);
    free(ofix);
    return rc;
}
