/* The batch interface under bad and hostile input: every line gets one answer
 * with a clear error code, the stream goes on, nothing crashes. */
#define _POSIX_C_SOURCE 200809L
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

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(batch_bad_queries_get_error_codes),
        FT_CASE(batch_deep_nesting_is_rejected),
        FT_CASE(batch_stream_answers_every_line_in_order),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
