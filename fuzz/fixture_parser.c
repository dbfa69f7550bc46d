/* Fuzz target fixture_parser: the input, all of it, as an expectation file.
 *
 *   - As a fixture (ft-fixture-v1 JSON Lines, differential/fixtures/FORMAT.md)
 *     through ftd_fixture_load_buffer: either a clean error (a line number, a
 *     field path of at most 63 bytes and a message, all NUL-terminated; the
 *     fixture left empty), or a fixture that re-serialises identically: its
 *     canonical text (ftd_fixture_serialize) loads again, and that reload
 *     serialises to the same bytes.
 *   - Line by line as batch cases ({"query","expect"} lines of the torch
 *     oracle fixtures, differential/BATCH.md): a line that is a valid case
 *     (ftd_batch_case_invalid) is satisfied by its own expected answer, and
 *     stays a valid case with the same text after a compact re-serialisation.
 *
 * A violation: ft-diff:fixture_parser:<comparator>:<reason>:<op>:none with op
 * "fixture" or "batch_case". */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ftdiff/batch_case.h"
#include "ftdiff/fixture.h"
#include "fuzz_support.h"

#define TARGET "fixture_parser"

static const uint8_t *in_data;
static size_t in_size;

static void violation(const char *comparator, const char *reason, const char *op) {
    ftfz_violation(TARGET, comparator, reason, op, "none", in_data, in_size);
}

static bool terminated(const char *s, size_t cap) {
    return memchr(s, '\0', cap) != NULL;
}

static void fixture(const char *text, size_t len) {
    ftd_fixture_t f, g;
    ftd_error_t err;
    if (ftd_fixture_load_buffer(text, len, "fuzz.fixture.jsonl", &f, &err) != 0) {
        if (f.cases || f.count || err.line < 0 || !terminated(err.field, sizeof err.field) ||
            !terminated(err.text, sizeof err.text) || !err.text[0])
            violation("fixture", "unclean_error", "fixture");
        return;
    }
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    if (ftd_fixture_serialize(&f, &t1, &n1) != 0)
        violation("fixture", "does_not_serialise", "fixture");
    if (ftd_fixture_load_buffer(t1, n1, "reserialised", &g, &err) != 0)
        violation("fixture", "reserialised_does_not_load", "fixture");
    if (g.count != f.count || ftd_fixture_serialize(&g, &t2, &n2) != 0 || n1 != n2 || memcmp(t1, t2, n1) != 0)
        violation("fixture", "reserialised_differs", "fixture");
    for (size_t i = 0; i < f.count; i++)
        if (!ftd_scenario_equal(&f.cases[i].scenario, &g.cases[i].scenario))
            violation("fixture", "scenario_differs", "fixture");
    free(t1);
    free(t2);
    ftd_fixture_dispose(&f);
    ftd_fixture_dispose(&g);
}

static void batch_line(const char *line, size_t len) {
    json_t *v = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!v)
        return;
    char why[256];
    if (json_is_object(v) && !ftd_batch_case_invalid(v, why, sizeof why)) {
        if (!ftd_batch_case_matches(v, json_object_get(v, "expect")))
            violation("batch_case", "expected_answer_does_not_match", "batch_case");
        char *t1 = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *w = t1 ? json_loads(t1, JSON_REJECT_DUPLICATES, NULL) : NULL;
        char *t2 = w ? json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (!w || ftd_batch_case_invalid(w, why, sizeof why))
            violation("batch_case", "reserialised_is_no_case", "batch_case");
        if (!t2 || strcmp(t1, t2) != 0)
            violation("batch_case", "reserialised_differs", "batch_case");
        free(t1);
        free(t2);
        json_decref(w);
    }
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    in_data = data;
    in_size = size;
    const char *text = (const char *)data;
    fixture(text, size);
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        const size_t end = nl ? (size_t)(nl - text) : size;
        batch_line(text + pos, end - pos);
        pos = end + 1;
    }
    return 0;
}
