/* ft-fixture-replay: replays JSON-lines fixtures through `ft-dispatch --batch`
 * (the real binary, as a user would run it) and compares every answer.
 *
 * A fixture line is {"query": Q, "expect": A} and may add "match": "subset" and
 * "id": TEXT (the case's name, shown when it fails).
 * By default the answer must equal A field for field, recursively, except for
 * "message" (free human text, which A may leave out); an expected error answer
 * ({"error": CODE, ...}) is judged on the fields A lists, since the rest of an
 * error answer is diagnostics. With "subset", every field
 * of A must be present with the same value, recursively, and the answer may have
 * more (for hand-written cases that pin only what they are about). Arrays match
 * element by element with the same length either way. A line may add
 * "tolerance": {"ulps": N, "rel": R}: number texts under "value" and "grads"
 * then match when equal, both NaN, or within N ulps of the expected value in the
 * query's dtype (or, for f64, within R relative); everything else stays exact. An unreadable file, a
 * malformed fixture line, a file with no cases or a missing answer is a failure,
 * never a silent pass. A line is validated completely (every field known, of its
 * type, no duplicates) before its query is sent, so a malformed line is reported
 * on its own and never shifts the pairing of later queries and answers.
 *
 * usage: ft-fixture-replay --dispatch PATH [--show N] FILE...
 * exit: 0 all passed, 1 some failed (an unreadable file counts as a failure),
 * 2 usage error. Last line:
 * "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ftdiff/batch_case.h"

typedef struct {
    long passed, failed;
    long shown, show_max;
} tally_t;

/* `id`: the case's "id", or NULL. */
static void report(tally_t *t, const char *file, long line, const char *id, const char *why, const json_t *query,
                   const json_t *expect, const json_t *got) {
    t->failed++;
    if (t->shown++ >= t->show_max)
        return;
    char *q = query ? json_dumps(query, JSON_COMPACT) : NULL;
    char *e = expect ? json_dumps(expect, JSON_COMPACT) : NULL;
    char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
    fprintf(stderr, "FAIL %s:%ld%s%s%s: %s\n  query:  %s\n  expect: %.2000s\n  got:    %.2000s\n", file, line,
            id ? " (" : "", id ? id : "", id ? ")" : "", why, q ? q : "-", e ? e : "-", g ? g : "-");
    free(q), free(e), free(g);
}

/* Runs `dispatch --batch` with stdin from `in_path`, stdout to `out_path`. */
static int run_batch(const char *dispatch, const char *in_path, const char *out_path) {
    fflush(NULL); /* or the child's freopen would flush our pending output a second time */
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *in = freopen(in_path, "r", stdin), *out = freopen(out_path, "w", stdout);
        if (!in || !out)
            _exit(127);
        execl(dispatch, dispatch, "--batch", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int replay_file(const char *dispatch, const char *path, tally_t *t) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ft-fixture-replay: cannot read %s: %s\n", path, strerror(errno));
        t->failed++;
        return -1;
    }
    char qpath[] = "/tmp/ft-replay-q-XXXXXX", apath[] = "/tmp/ft-replay-a-XXXXXX";
    int qfd = mkstemp(qpath), afd = mkstemp(apath);
    FILE *qf = qfd >= 0 ? fdopen(qfd, "w") : NULL;
    if (!qf || afd < 0) {
        fprintf(stderr, "ft-fixture-replay: cannot create temporary files\n");
        if (qf)
            fclose(qf);
        else if (qfd >= 0)
            close(qfd);
        if (afd >= 0)
            close(afd);
        if (qfd >= 0)
            unlink(qpath);
        if (afd >= 0)
            unlink(apath);
        fclose(f);
        t->failed++; /* a file that was not replayed is not a pass */
        return -1;
    }
    close(afd);
    json_t *cases = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, before_failed = t->failed, before_passed = t->passed;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n <= 1)
            continue;
        json_error_t err;
        char why[160];
        /* duplicates rejected: a second "expect" or "tolerance" would silently win */
        json_t *c = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &err);
        const char *bad = c ? ftd_batch_case_invalid(c, why, sizeof why) : err.text;
        /* not const: they go through json_pack's "O", which reads a json_t * */
        json_t *q = json_object_get(c, "query"), *e = json_object_get(c, "expect");
        json_t *id = json_object_get(c, "id");
        if (bad) {
            report(t, path, lineno, json_string_value(id), bad, json_is_object(q) ? q : NULL,
                   json_is_object(e) ? e : NULL, NULL);
            json_decref(c);
            continue;
        }
        /* The case is whole: only now is its query sent, so the n-th query sent
         * is always the n-th case kept and answers pair with the right case. */
        char *text = json_dumps(q, JSON_COMPACT);
        json_t *kept = json_pack("{s:O, s:I}", "case", c, "line", (json_int_t)lineno);
        json_decref(c);
        if (!text || !kept || json_array_append_new(cases, kept) != 0) {
            free(text);
            fprintf(stderr, "ft-fixture-replay: out of memory\n");
            t->failed++;
            break;
        }
        fprintf(qf, "%s\n", text);
        free(text);
    }
    free(line);
    fclose(f);
    fclose(qf);

    int rc = run_batch(dispatch, qpath, apath);
    FILE *af = fopen(apath, "r");
    if (rc != 0 || !af) {
        fprintf(stderr, "ft-fixture-replay: %s --batch exited with %d\n", dispatch, rc);
        t->failed += (long)json_array_size(cases);
    } else {
        char *aline = NULL;
        size_t acap = 0;
        for (size_t i = 0; i < json_array_size(cases); i++) {
            json_t *k = json_array_get(cases, i), *c = json_object_get(k, "case");
            long ln = (long)json_integer_value(json_object_get(k, "line"));
            json_t *q = json_object_get(c, "query"), *e = json_object_get(c, "expect");
            const char *id = json_string_value(json_object_get(c, "id"));
            if (getline(&aline, &acap, af) < 0) {
                report(t, path, ln, id, "no answer (ft-dispatch produced fewer lines than queries)", q, e, NULL);
                continue;
            }
            json_error_t err;
            json_t *got = json_loads(aline, 0, &err);
            if (!got)
                report(t, path, ln, id, "answer is not JSON", q, e, NULL);
            else if (!ftd_batch_case_matches(c, got))
                report(t, path, ln, id, "answer differs", q, e, got);
            else
                t->passed++;
            json_decref(got);
        }
        if (getline(&aline, &acap, af) >= 0)
            report(t, path, lineno, NULL, "ft-dispatch produced more answers than queries", NULL, NULL, NULL);
        free(aline);
    }
    if (af)
        fclose(af);
    unlink(qpath);
    unlink(apath);
    if (json_array_size(cases) == 0)
        report(t, path, 0, NULL, "file holds no fixture cases", NULL, NULL, NULL);
    json_decref(cases);
    printf("%s: %ld passed, %ld failed\n", path, t->passed - before_passed, t->failed - before_failed);
    return 0;
}

static const char usage_text[] =
    "usage: ft-fixture-replay --dispatch PATH [--show N] FILE...\n"
    "\n"
    "Replays JSON-lines fixtures through PATH --batch (ft-dispatch) and compares\n"
    "every answer with the expected one. A line is {\"query\": Q, \"expect\": A} with\n"
    "optional \"match\": \"subset\", \"tolerance\": {\"ulps\": N, \"rel\": R} and \"id\": TEXT;\n"
    "any other field, or a malformed line, is a failure of that line.\n"
    "\n"
    "  --dispatch PATH   the ft-dispatch binary to run\n"
    "  --show N          print at most N failures in full (default 20)\n"
    "  --help            this text\n"
    "\n"
    "exit status: 0 all passed, 1 some failed, 2 usage error. Last line: \"N passed, N failed\".\n";

static int usage_error(const char *msg) {
    fprintf(stderr, "ft-fixture-replay: %s\n\n%s", msg, usage_text);
    return 2;
}

int main(int argc, char **argv) {
    const char *dispatch = NULL;
    tally_t t = {0, 0, 0, 20};
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        const char *opt = argv[first], *val = first + 1 < argc ? argv[first + 1] : NULL;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(opt, "--") == 0) {
            first++;
            break;
        }
        if (strcmp(opt, "--dispatch") == 0 && val) {
            dispatch = val;
        } else if (strcmp(opt, "--show") == 0 && val) {
            char *end;
            errno = 0;
            t.show_max = strtol(val, &end, 10);
            if (!val[0] || *end || errno || t.show_max < 0)
                return usage_error("--show takes a count (an integer >= 0)");
        } else {
            /* an unknown option is not a file name to fail on later */
            const bool known = strcmp(opt, "--dispatch") == 0 || strcmp(opt, "--show") == 0;
            return usage_error(known ? "option needs a value" : "unknown option");
        }
        first += 2;
    }
    if (!dispatch)
        return usage_error("--dispatch PATH is required");
    if (first >= argc)
        return usage_error("no fixture files given");
    for (int i = first; i < argc; i++)
        replay_file(dispatch, argv[i], &t);
    printf("%ld passed, %ld failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}
