/* The batch interface under bad and hostile input: every line gets one answer
 * with a clear error code, the stream goes on, nothing crashes. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdlib.h>

#include "ft_test.h"
#include "ftdiff/dispatch_batch.h"

static const char *error_of(json_t *answer) {
    const json_t *e = json_object_get(answer, "error");
    return json_is_string(e) ? json_string_value(e) : "(none)";
}

/* Answers `line` and checks its error code (NULL: must succeed). */
static bool answer_is(ftd_batch_t *b, const char *line, size_t len, const char *want) {
    json_t *a = ftd_batch_answer_line(b, line, len);
    const char *got = error_of(a);
    bool ok =
        want ? strcmp(got, want) == 0 && json_is_string(json_object_get(a, "message")) : strcmp(got, "(none)") == 0;
    if (!ok)
        fprintf(stderr, "  line %.80s: error %s, want %s\n", line, got, want ? want : "none");
    json_decref(a);
    return ok;
}

static void batch_bad_queries_get_error_codes(void) {
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"{", "bad_query"},
        {"[]", "bad_query"},
        {"{}", "bad_query"},
        {"42", "bad_query"},
        {"{\"q\":\"nope\"}", "bad_query"},
        {"{\"q\":7}", "bad_query"},
        {"{\"q\":\"keyset\"}", "bad_query"},
        {"{\"q\":\"keyset\",\"keyset\":5}", "bad_query"},
        {"{\"q\":\"keyset\",\"keyset\":\"0x\"}", "parse_error"},
        {"{\"q\":\"keyset\",\"keyset\":\"CPU|Autograd\"}", "alias_in_keyset"},
        {"{\"q\":\"keyset\",\"keyset\":\"0xffffffffffffffff\"}", "unknown_bits"},
        {"{\"q\":\"keyset\",\"q\":\"has\"}", "bad_query"}, /* duplicate key */
        {"{\"q\":\"keyset\",\"keyset\":\"\\u0000CPU\"}", "bad_query"},
        {"{\"q\":\"keyset\",\"keyset\":\"\xff\xfe\"}", "bad_query"}, /* invalid UTF-8 */
        {"{\"q\":\"binop\",\"op\":\"nand\",\"a\":\"CPU\",\"b\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"has\",\"keyset\":\"CPU\",\"key\":\"Bogus\"}", "unknown_key_name"},
        {"{\"q\":\"key\",\"id\":-1}", "unknown_key_id"},
        {"{\"q\":\"key\",\"id\":122}", "unknown_key_id"},
        {"{\"q\":\"key\",\"id\":9223372036854775807}", "unknown_key_id"},
        {"{\"q\":\"key\",\"id\":123456789012345678901234567890}", "bad_query"},
        {"{\"q\":\"key\",\"id\":1.5}", "bad_query"},
        {"{\"q\":\"key\",\"id\":1,\"name\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"table\",\"registrations\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"table\",\"registrations\":[\"Dense\"]}", "invalid_registration"},
        {"{\"q\":\"table\",\"registrations\":[\"Bogus\"]}", "unknown_key_name"},
        {"{\"q\":\"table\",\"registrations\":[1]}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"nope\"}", "unknown_op"},
        {"{\"q\":\"dispatch\"}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"mode\":\"lenient\",\"keyset\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\"}", "bad_query"}, /* neither keyset nor operands */
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":\"one\"},\"rhs\":{\"value\":1}}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1,\"device\":\"TPU\"},\"rhs\":{\"value\":1}}",
         "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1,\"dtype\":\"f16\"},\"rhs\":{\"value\":1}}",
         "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"grad_mode\":1,\"keyset\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"keyset\":\"0x1234567890abcdef01\"}", "parse_error"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"profile\":\"torch\",\"keyset\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"profile\":1,\"keyset\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"inference_mode\":\"yes\",\"keyset\":\"CPU\"}", "bad_query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1,\"inference\":1},\"rhs\":{\"value\":1}}",
         "bad_query"},
        {"{\"q\":\"probe\",\"lhs\":{\"value\":1},\"rhs\":{\"value\":1}}", "bad_query"},
        {"{\"q\":\"probe\",\"registrations\":[],\"lhs\":{\"value\":1},\"rhs\":{\"value\":1}}", "bad_query"},
        {"{\"q\":\"probe\",\"registrations\":[\"CPU\",\"CPU\"],\"lhs\":{\"value\":1},\"rhs\":{\"value\":1}}",
         "invalid_registration"},
        {"{\"q\":\"probe\",\"registrations\":[\"Bogus\"],\"lhs\":{\"value\":1},\"rhs\":{\"value\":1}}",
         "unknown_key_name"},
        {"{\"q\":\"probe\",\"registrations\":[\"CPU\"],\"lhs\":{\"value\":1}}", "bad_query"},
        {"{\"q\":\"probe\",\"registrations\":[\"CUDA\"],\"lhs\":{\"value\":1},\"rhs\":{\"value\":1}}",
         "no_kernel"}, /* answered, ok false: the CPU entry is missing */
    };
    ftd_batch_t *b = ftd_batch_new();
    FT_CHECK(b != NULL);
    bool all = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        all &= answer_is(b, cases[i].line, strlen(cases[i].line), cases[i].want);
    /* a raw NUL byte inside the line */
    all &= answer_is(b, "{\"q\":\"keyset\"\0}", 15, "bad_query");
    /* good queries with special values still work */
    all &= answer_is(
        b, "{\"q\":\"dispatch\",\"op\":\"div\",\"lhs\":{\"value\":\"-0\"},\"rhs\":{\"value\":\"inf\"}}",
        strlen("{\"q\":\"dispatch\",\"op\":\"div\",\"lhs\":{\"value\":\"-0\"},\"rhs\":{\"value\":\"inf\"}}"), NULL);
    ftd_batch_free(b);
    FT_CHECK(all);
}

static json_t *answer_of(ftd_batch_t *b, const char *line) {
    return ftd_batch_answer_line(b, line, strlen(line));
}

static const char *text_at(const json_t *o, const char *a, const char *k) {
    const json_t *v = json_object_get(a ? json_object_get(o, a) : o, k);
    return json_is_string(v) ? json_string_value(v) : "(none)";
}

/* "profile" picks the derivation: the same call's keysets under packet and c10
 * (torch's, see differential/oracle/fixtures/c10_routes.jsonl). */
static void batch_profile_changes_derivation(void) {
    ftd_batch_t *b = ftd_batch_new();
    FT_CHECK(b != NULL);
    json_t *p = answer_of(b, "{\"q\":\"dispatch\",\"op\":\"mul\",\"grad_mode\":false,"
                             "\"lhs\":{\"value\":2,\"requires_grad\":true},\"rhs\":{\"value\":3}}");
    json_t *c = answer_of(b, "{\"q\":\"dispatch\",\"op\":\"mul\",\"grad_mode\":false,\"profile\":\"c10\","
                             "\"lhs\":{\"value\":2,\"requires_grad\":true},\"rhs\":{\"value\":3}}");
    json_t *i = answer_of(b, "{\"q\":\"dispatch\",\"op\":\"mul\",\"profile\":\"c10\",\"inference_mode\":true,"
                             "\"lhs\":{\"value\":2,\"inference\":true},\"rhs\":{\"value\":3}}");
    FT_CHECK_STR(text_at(p, "decision", "keyset_bits"), "0x2800004001");
    FT_CHECK_STR(text_at(p, "decision", "effective_keyset_bits"), "0x804004001");
    FT_CHECK_STR(text_at(c, "decision", "keyset_bits"), "0x12800004001");
    FT_CHECK_STR(text_at(c, "decision", "effective_keyset_bits"), "0x2804004001");
    FT_CHECK_STR(text_at(c, "decision", "selected_key"), "AutogradCPU");
    FT_CHECK_STR(text_at(c, NULL, "value"), "6");
    FT_CHECK_STR(text_at(i, "decision", "effective_keyset_bits"), "0x804004001"); /* rhs keeps ADInplaceOrView */
    FT_CHECK_STR(text_at(i, "decision", "selected_key"), "CPU");
    json_t *pr =
        answer_of(b, "{\"q\":\"probe\",\"registrations\":[\"CPU\",\"AutogradCPU\"],\"profile\":\"c10\","
                     "\"grad_mode\":false,\"lhs\":{\"value\":2,\"requires_grad\":true},\"rhs\":{\"value\":3}}");
    FT_CHECK(json_is_true(json_object_get(pr, "ok")));
    FT_CHECK_EQ_INT(json_array_size(json_object_get(pr, "route")), 2);
    FT_CHECK_STR(json_string_value(json_array_get(json_object_get(pr, "route"), 0)), "AutogradCPU");
    FT_CHECK(json_is_false(json_object_get(json_object_get(pr, "result"), "grad_fn")));
    json_decref(p), json_decref(c), json_decref(i), json_decref(pr);
    ftd_batch_free(b);
}

static void batch_deep_nesting_is_rejected(void) {
    size_t depth = 200000;
    char *line = malloc(2 * depth + 1);
    FT_CHECK(line != NULL);
    memset(line, '[', depth);
    memset(line + depth, ']', depth);
    line[2 * depth] = '\0';
    ftd_batch_t *b = ftd_batch_new();
    bool ok = answer_is(b, line, 2 * depth, "bad_query");
    ftd_batch_free(b);
    free(line);
    FT_CHECK(ok);
}

/* The stream: one answer per non-blank line, in order, including after a line
 * too long to read and after garbage. */
static void batch_stream_answers_every_line_in_order(void) {
    FILE *in = tmpfile(), *out = tmpfile();
    FT_CHECK(in && out);
    fputs("{\"q\":\"key\",\"id\":43}\n", in);
    fputs("not json\n\n   \n", in);
    for (size_t i = 0; i < FTD_BATCH_MAX_LINE + 10; i++)
        fputc('x', in);
    fputs("\n{\"q\":\"key\",\"name\":\"AutogradCPU\"}\n", in);
    fputs("{\"q\":\"keyset\",\"keyset\":\"CPU\"}", in); /* no final newline */
    rewind(in);
    long errors = 0;
    ftd_batch_t *b = ftd_batch_new();
    errors = ftd_batch_run(b, in, out);
    ftd_batch_free(b);
    rewind(out);
    char line[4096];
    const char *want[] = {"\"name\":\"CPU\"", "\"error\":\"bad_query\"", "\"error\":\"line_too_long\"", "\"id\":103",
                          "\"raw\":\"0x4001\""};
    size_t n = 0;
    bool ok = true;
    while (fgets(line, sizeof line, out)) {
        ok &= n < 5 && strstr(line, want[n]) != NULL;
        n++;
    }
    fclose(in);
    fclose(out);
    FT_CHECK_EQ_INT(errors, 2);
    FT_CHECK_EQ_INT(n, 5);
    FT_CHECK(ok);
}

/* The message of an answer is valid UTF-8 (jansson holds only valid text, so a
 * present message proves the repair ran; this checks the bytes as well). */
static bool message_is_utf8(const json_t *a) {
    const json_t *m = json_object_get(a, "message");
    return json_is_string(m) && ft_utf8_valid(json_string_value(m), json_string_length(m));
}

/* Issue 12: jansson quotes '"\' plus the first byte of U+045B; that half
 * character used to make json_pack fail and the line read as out of memory. */
static void batch_cut_character_in_parse_error_is_bad_query(void) {
    static const char line[] = "\"\\\xd1\x9b";
    ftd_batch_t *b = ftd_batch_new();
    FT_CHECK(b != NULL);
    json_t *a = ftd_batch_answer_line(b, line, sizeof line - 1);
    ftd_batch_free(b);
    FT_CHECK(a != NULL);
    FT_CHECK_STR(error_of(a), "bad_query");
    FT_CHECK(message_is_utf8(a));
    /* the cut byte 0xd1 is kept, read as U+00D1 (the one rule), not dropped */
    const bool kept = strstr(json_string_value(json_object_get(a, "message")), "\xc3\x91") != NULL;
    json_decref(a);
    FT_CHECK(kept);
}

/* Codes an answer may carry, as BATCH.md documents them: the interface's own and
 * the library's reason codes. out_of_memory is a library code but never the
 * answer to a malformed line. */
static bool documented_code(const char *code) {
    ft_status st;
    if (strcmp(code, "bad_query") == 0 || strcmp(code, "line_too_long") == 0 || strcmp(code, "unknown_field") == 0)
        return true;
    return strcmp(code, "out_of_memory") != 0 && ft_status_from_code(code, &st) == FT_OK && st != FT_OK;
}

static bool sha1_name(const char *name) {
    size_t n = 0;
    for (; name[n]; n++)
        if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
            return false;
    return n == 40;
}

/* Checks one corpus line's answer; prints why not. */
static bool corpus_answer_ok(ftd_batch_t *b, const char *name, const char *line, size_t len) {
    json_t *a = ftd_batch_answer_line(b, line, len);
    const char *why = NULL;
    char *text = a ? json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_error_t err;
    json_t *again = text ? json_loads(text, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (!a)
        why = "no answer (NULL: read as out of memory)";
    else if (!json_is_string(json_object_get(a, "error")))
        why = "not an error answer";
    else if (!documented_code(error_of(a)))
        why = "error code not documented (or out_of_memory)";
    else if (!message_is_utf8(a))
        why = "message missing or not valid UTF-8";
    else if (!text || strchr(text, '\n'))
        why = "answer is not one line of text";
    else if (!again || !json_equal(a, again))
        why = "answer text is not the answer as JSON";
    if (why)
        fprintf(stderr, "  corpus/batch_line/%s: %s (error %s)\n", name, why, a ? error_of(a) : "-");
    json_decref(again);
    free(text);
    json_decref(a);
    return why == NULL;
}

/* corpus/batch_line/: malformed lines, one per file, each named by its SHA-1
 * (batch_line_corpus_names_are_sha1 checks the hashes; the fuzzer shares the
 * directory). Each must be answered with one line of valid JSON carrying a
 * documented error code, never out_of_memory, with a valid UTF-8 message. */
static void batch_line_corpus_answers_are_documented_errors(void) {
    DIR *dir = opendir(FTD_BATCH_LINE_CORPUS);
    FT_CHECK_MSG(dir != NULL, "cannot open %s", FTD_BATCH_LINE_CORPUS);
    ftd_batch_t *b = ftd_batch_new();
    FT_CHECK(b != NULL);
    size_t files = 0, bad = 0;
    const struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", FTD_BATCH_LINE_CORPUS, e->d_name);
        FILE *f = fopen(path, "rb");
        char *line = malloc(FTD_BATCH_MAX_LINE + 1);
        size_t len = f && line ? fread(line, 1, FTD_BATCH_MAX_LINE + 1, f) : 0;
        files++;
        if (!f || !line || ferror(f) || len > FTD_BATCH_MAX_LINE || memchr(line, '\n', len) || !sha1_name(e->d_name)) {
            fprintf(stderr, "  corpus/batch_line/%s: not a readable line of at most 1 MiB named by its SHA-1\n",
                    e->d_name);
            bad++;
        } else if (!corpus_answer_ok(b, e->d_name, line, len)) {
            bad++;
        }
        free(line);
        if (f)
            fclose(f);
    }
    closedir(dir);
    ftd_batch_free(b);
    FT_CHECK_MSG(files >= 100, "only %zu corpus files (an empty directory must not pass)", files);
    FT_CHECK_MSG(bad == 0, "%zu of %zu corpus lines failed", bad, files);
}

/* Issue 7 item 6: a misspelt field is an error naming it, wherever it is and
 * whatever else is wrong with the query, not a field read as absent. */
static void batch_unknown_fields_are_rejected(void) {
    static const struct {
        const char *line, *field, *in;
    } cases[] = {
        {"{\"q\":\"keyset\",\"keyset\":\"CPU\",\"keyst\":\"CPU\"}", "keyst", "query"},
        {"{\"q\":\"binop\",\"op\":\"or\",\"a\":\"CPU\",\"b\":\"CPU\",\"c\":\"CPU\"}", "c", "query"},
        {"{\"q\":\"has\",\"keyset\":\"CPU\",\"key\":\"CPU\",\"keys\":[]}", "keys", "query"},
        {"{\"q\":\"full_after\",\"key\":\"CPU\",\"mode\":\"strict\"}", "mode", "query"},
        {"{\"q\":\"key\",\"id\":1,\"Name\":\"CPU\"}", "Name", "query"},
        {"{\"q\":\"table\",\"registrations\":[],\"op\":\"add\"}", "op", "query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"mdoe\":\"hardened\",\"keyset\":\"CPU\"}", "mdoe", "query"},
        /* an operand's field at the top level is still unknown there */
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"keyset\":\"CPU\",\"requires_grad\":true}", "requires_grad", "query"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1,\"requires_grd\":true},\"rhs\":{\"value\":2}}",
         "requires_grd", "lhs"},
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1},\"rhs\":{\"value\":2,\"dtyp\":\"f32\"}}", "dtyp",
         "rhs"},
        /* reported before the query's other faults (unknown op, bad mode) */
        {"{\"q\":\"dispatch\",\"op\":\"nope\",\"mode\":\"lenient\",\"lhs\":{\"value\":1,\"x\":0},\"rhs\":{\"value\":2}"
         "}",
         "x", "lhs"},
        {"{\"q\":\"grad\",\"mode\":\"strict\",\"dtype\":\"f64\",\"leaves\":[{\"value\":1},{\"value\":2,\"requires_"
         "grd\":true}],"
         "\"program\":[],\"root\":0}",
         "requires_grd", "leaves[1]"},
        {"{\"q\":\"grad\",\"leaves\":[{\"value\":1}],\"program\":[{\"op\":\"add\",\"lhs\":0,\"rsh\":0}],\"root\":1}",
         "rsh", "program[0]"},
        {"{\"q\":\"grad\",\"leaves\":[{\"value\":1}],\"program\":[],\"root\":0,\"retain_graph\":true}", "retain_graph",
         "query"},
        /* the first unknown field in input order, whatever its text */
        {"{\"q\":\"keyset\",\"\\u00d1\\n\":1,\"zz\":2,\"keyset\":\"CPU\"}", "\xc3\x91\n", "query"},
    };
    ftd_batch_t *b = ftd_batch_new();
    FT_CHECK(b != NULL);
    bool all = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *a = ftd_batch_answer_line(b, cases[i].line, strlen(cases[i].line));
        const char *field = json_string_value(json_object_get(a, "field")),
                   *in = json_string_value(json_object_get(a, "in"));
        const bool ok = strcmp(error_of(a), "unknown_field") == 0 && message_is_utf8(a) && field &&
                        strcmp(field, cases[i].field) == 0 && in && strcmp(in, cases[i].in) == 0 &&
                        strstr(json_string_value(json_object_get(a, "message")), cases[i].field) != NULL;
        if (!ok)
            fprintf(stderr, "  line %s: error %s field %s in %s, want unknown_field %s in %s\n", cases[i].line,
                    error_of(a), field ? field : "-", in ? in : "-", cases[i].field, cases[i].in);
        all &= ok;
        json_decref(a);
    }
    ftd_batch_free(b);
    FT_CHECK(all);
}

/* With unknown fields allowed (ft-dispatch --batch --allow-unknown-fields), extra
 * fields are ignored and the query answers as without them. */
static void batch_unknown_fields_allowed_when_asked(void) {
    static const char *const pairs[][2] = {
        {"{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1,\"future\":true},\"rhs\":{\"value\":2},\"trace\":1}",
         "{\"q\":\"dispatch\",\"op\":\"add\",\"lhs\":{\"value\":1},\"rhs\":{\"value\":2}}"},
        {"{\"q\":\"grad\",\"leaves\":[{\"value\":3,\"requires_grad\":true,\"name\":\"x\"}],"
         "\"program\":[{\"op\":\"mul\",\"lhs\":0,\"rhs\":0,\"note\":\"x*x\"}],\"root\":1,\"v\":2}",
         "{\"q\":\"grad\",\"leaves\":[{\"value\":3,\"requires_grad\":true}],\"program\":[{\"op\":\"mul\",\"lhs\":0,"
         "\"rhs\":0}],\"root\":1}"},
        {"{\"q\":\"key\",\"id\":43,\"extra\":null}", "{\"q\":\"key\",\"id\":43}"},
    };
    ftd_batch_t *b = ftd_batch_new();
    FT_CHECK(b != NULL);
    ftd_batch_allow_unknown_fields(b, true);
    bool all = true;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        json_t *with = ftd_batch_answer_line(b, pairs[i][0], strlen(pairs[i][0]));
        json_t *without = ftd_batch_answer_line(b, pairs[i][1], strlen(pairs[i][1]));
        const bool ok = with && without && json_equal(with, without) && strcmp(error_of(with), "(none)") == 0;
        if (!ok)
            fprintf(stderr, "  line %s: answered differently from the line without its extra fields\n", pairs[i][0]);
        all &= ok;
        json_decref(with);
        json_decref(without);
    }
    /* and back to the default */
    ftd_batch_allow_unknown_fields(b, false);
    all &= answer_is(b, pairs[0][0], strlen(pairs[0][0]), "unknown_field");
    ftd_batch_free(b);
    FT_CHECK(all);
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(batch_bad_queries_get_error_codes),
        FT_CASE(batch_deep_nesting_is_rejected),
        FT_CASE(batch_profile_changes_derivation),
        FT_CASE(batch_stream_answers_every_line_in_order),
        FT_CASE(batch_cut_character_in_parse_error_is_bad_query),
        FT_CASE(batch_line_corpus_answers_are_documented_errors),
        FT_CASE(batch_unknown_fields_are_rejected),
        FT_CASE(batch_unknown_fields_allowed_when_asked),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
