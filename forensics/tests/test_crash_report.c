/* Crash reports: captured sanitizer and libFuzzer output (tests/data/crash_reports/,
 * see its README) read into crash type, frames, location and crash_state; the
 * ft-diff line of a differential violation wins over its abort's report; bare
 * signals and deadlines; junk and cut text never crash the parser; and the
 * result buckets as the failure index does (the signature of an event built
 * from it). */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftf/crash_report.h"
#include "ftf/event.h"
#include "ftf/triage.h"
#include "ftf_test.h"

#ifndef FTF_TEST_DATA_DIR
#error "FTF_TEST_DATA_DIR must name forensics/tests/data"
#endif

/* Parses data file `name` with `exit` (NULL: exited 0) into *r; false when
 * the file is missing. */
static bool parse_file(const char *name, const ftf_crash_exit_t *exit, ftf_crash_report_t *r) {
    char path[512];
    snprintf(path, sizeof path, "%s/crash_reports/%s", FTF_TEST_DATA_DIR, name);
    size_t len;
    unsigned char *text = ftf_test_slurp(path, &len);
    if (!text)
        return false;
    const ftf_status st = ftf_crash_report_parse((const char *)text, len, exit, r);
    free(text);
    return st == FTF_OK;
}

typedef struct {
    const char *file;
    ftf_crash_kind_t kind;
    const char *crash_type;
    const char *tool;
    const char *frames[3]; /* NULL: no such frame */
    const char *src;       /* basename of the location's file, NULL: none */
    unsigned line;
    const char *reason;
} expect_t;

static const expect_t expected[] = {
    {"asan_heap_buffer_overflow.txt",
     FTF_CRASH_SANITIZER,
     "heap-buffer-overflow",
     "AddressSanitizer",
     {"parse_keyset_text keyset_sample.c", "LLVMFuzzerTestOneInput keyset_sample.c", NULL},
     "keyset_sample.c",
     11,
     "heap-buffer-overflow"},
    {"asan_use_after_free.txt",
     FTF_CRASH_SANITIZER,
     "heap-use-after-free",
     "AddressSanitizer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     25,
     "heap-use-after-free"},
    {"asan_segv.txt",
     FTF_CRASH_SANITIZER,
     "segv",
     "AddressSanitizer",
     {"ft_route_walk segv.c", "LLVMFuzzerTestOneInput segv.c", NULL},
     "segv.c",
     5,
     "segv"},
    {"asan_null_segv.txt",
     FTF_CRASH_SANITIZER,
     "null-dereference",
     "AddressSanitizer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     23,
     "null-dereference"},
    {"asan_stack_overflow.txt",
     FTF_CRASH_SANITIZER,
     "stack-overflow",
     "AddressSanitizer",
     {"recurse keyset_sample.c", "recurse keyset_sample.c", "recurse keyset_sample.c"},
     "keyset_sample.c",
     16,
     "stack-overflow"},
    {"lsan_leak.txt",
     FTF_CRASH_SANITIZER,
     "memory-leak",
     "LeakSanitizer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     29,
     "memory-leak"},
    {"ubsan_null_load.txt",
     FTF_CRASH_SANITIZER,
     "null-dereference",
     "UndefinedBehaviorSanitizer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     23,
     "null-dereference"},
    {"ubsan_shift.txt",
     FTF_CRASH_SANITIZER,
     "invalid-shift",
     "UndefinedBehaviorSanitizer",
     {"shift keyset_sample.c", "LLVMFuzzerTestOneInput keyset_sample.c", NULL},
     "keyset_sample.c",
     17,
     "invalid-shift"},
    {"ubsan_signed_overflow.txt",
     FTF_CRASH_SANITIZER,
     "integer-overflow",
     "UndefinedBehaviorSanitizer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     28,
     "integer-overflow"},
    {"libfuzzer_timeout.txt",
     FTF_CRASH_SANITIZER,
     "timeout",
     "libFuzzer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     30,
     "timeout"},
    {"libfuzzer_oom.txt",
     FTF_CRASH_SANITIZER,
     "out-of-memory",
     "libFuzzer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     31,
     "out-of-memory"},
    {"libfuzzer_abort.txt",
     FTF_CRASH_SANITIZER,
     "abrt",
     "libFuzzer",
     {"LLVMFuzzerTestOneInput keyset_sample.c", NULL, NULL},
     "keyset_sample.c",
     22,
     "abrt"},
    {"libfuzzer_ftdiff_abort.txt",
     FTF_CRASH_DIFFERENTIAL,
     "differential-violation",
     "ft-diff",
     {NULL, NULL, NULL},
     "keyset_sample.c",
     22,
     "selected_key"},
};

static void crash_report_captured_reports(void) {
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const expect_t *e = &expected[i];
        ftf_crash_report_t r;
        const ftf_crash_exit_t ex = {0, 1, false}; /* libFuzzer exits 1 (or 77/70/71) after its report */
        FT_CHECK_MSG(parse_file(e->file, &ex, &r), "%s: missing or unparsable", e->file);
        FT_CHECK_MSG(r.kind == e->kind, "%s: kind %s, want %s", e->file, ftf_crash_kind_name(r.kind),
                     ftf_crash_kind_name(e->kind));
        FT_CHECK_MSG(strcmp(r.crash_type, e->crash_type) == 0, "%s: crash type %s, want %s", e->file, r.crash_type,
                     e->crash_type);
        FT_CHECK_MSG(strcmp(r.tool, e->tool) == 0, "%s: tool %s, want %s", e->file, r.tool, e->tool);
        FT_CHECK_MSG(strcmp(ftf_crash_report_reason(&r), e->reason) == 0, "%s: reason %s, want %s", e->file,
                     ftf_crash_report_reason(&r), e->reason);
        size_t want_frames = 0;
        for (size_t f = 0; f < 3; f++) {
            if (!e->frames[f])
                break;
            want_frames++;
            FT_CHECK_MSG(f < r.frame_count && strcmp(r.frames[f], e->frames[f]) == 0,
                         "%s: frame %zu is \"%s\", want %s", e->file, f, f < r.frame_count ? r.frames[f] : "(none)",
                         e->frames[f]);
        }
        FT_CHECK_MSG(r.frame_count == want_frames, "%s: %zu frames, want %zu", e->file, r.frame_count, want_frames);
        const char *base = strrchr(r.file, '/');
        base = base ? base + 1 : r.file;
        FT_CHECK_MSG(strcmp(base, e->src) == 0 && r.line == e->line, "%s: location %s:%u, want %s:%u", e->file, r.file,
                     r.line, e->src, e->line);
        FT_CHECK_MSG(r.headline[0] != '\0', "%s: no headline", e->file);
        FT_CHECK_MSG(strstr(r.headline, "==") != r.headline, "%s: headline keeps the pid: %s", e->file, r.headline);
        /* crash_state: the frames joined by '\n', or the ft-diff line */
        char state[FTF_CRASH_STATE_SIZE] = "";
        if (r.kind == FTF_CRASH_DIFFERENTIAL) {
            snprintf(state, sizeof state, "%s", r.diff_line);
        } else {
            size_t n = 0;
            for (size_t f = 0; f < r.frame_count; f++)
                n += (size_t)snprintf(state + n, sizeof state - n, "%s%s", f ? "\n" : "", r.frames[f]);
        }
        FT_CHECK_MSG(strcmp(state, r.crash_state) == 0, "%s: crash_state \"%s\"", e->file, r.crash_state);
    }
}

static void crash_report_ftdiff_line_wins(void) {
    ftf_crash_report_t r;
    /* the gcc replay driver: the line, then SIGABRT */
    const ftf_crash_exit_t abrt = {SIGABRT, 0, false};
    FT_CHECK(parse_file("replay_ftdiff.txt", &abrt, &r));
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_DIFFERENTIAL);
    FT_CHECK_STR(r.crash_type, FTF_CRASH_DIFFERENTIAL_TYPE);
    FT_CHECK_STR(r.diff_line, "ft-diff:route_select:selected_key:selected_key_mismatch:add:strict");
    FT_CHECK_STR(r.diff_target, "route_select");
    FT_CHECK_STR(r.diff_comparator, "selected_key");
    FT_CHECK_STR(r.crash_state, r.diff_line);
    FT_CHECK_STR(ftf_crash_report_reason(&r), "selected_key");
    FT_CHECK_EQ_INT(r.frame_count, 0);
    /* the same line under libFuzzer: same kind, type, state */
    ftf_crash_report_t lf;
    FT_CHECK(parse_file("libfuzzer_ftdiff_abort.txt", NULL, &lf));
    FT_CHECK_STR(lf.crash_state, r.crash_state);
    FT_CHECK_STR(lf.crash_type, r.crash_type);
    /* a line with only a target: the crash type is the reason */
    const char *text = "noise\n  ft-diff:keyset_parse\r\nmore\n";
    FTF_CHECK_STATUS(ftf_crash_report_parse(text, strlen(text), NULL, &r), FTF_OK);
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_DIFFERENTIAL);
    FT_CHECK_STR(r.diff_line, "ft-diff:keyset_parse");
    FT_CHECK_STR(r.diff_target, "keyset_parse");
    FT_CHECK_STR(r.diff_comparator, "");
    FT_CHECK_STR(ftf_crash_report_reason(&r), FTF_CRASH_DIFFERENTIAL_TYPE);
    /* only the first line counts; one in the middle of a line does not */
    text = "x ft-diff:not:this\nft-diff:a:b:c\nft-diff:d:e:f\n";
    FTF_CHECK_STATUS(ftf_crash_report_parse(text, strlen(text), NULL, &r), FTF_OK);
    FT_CHECK_STR(r.diff_line, "ft-diff:a:b:c");
    /* control bytes in the line do not reach the report as they are */
    const char ctl[] = "ft-diff:a:b\x01\x1b[31m:c\n";
    FTF_CHECK_STATUS(ftf_crash_report_parse(ctl, sizeof ctl - 1, NULL, &r), FTF_OK);
    FT_CHECK_STR(r.diff_line, "ft-diff:a:b??[31m:c");
}

static void crash_report_signals_and_deadlines(void) {
    ftf_crash_report_t r;
    static const struct {
        int sig;
        const char *type;
    } sigs[] = {{SIGABRT, "abrt"}, {SIGSEGV, "segv"}, {SIGFPE, "fpe"},
                {SIGBUS, "bus"},   {SIGILL, "ill"},   {SIGTERM, "crash"}};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        const ftf_crash_exit_t ex = {sigs[i].sig, 0, false};
        FTF_CHECK_STATUS(ftf_crash_report_parse("", 0, &ex, &r), FTF_OK);
        FT_CHECK_EQ_INT(r.kind, FTF_CRASH_SIGNAL);
        FT_CHECK_STR(r.crash_type, sigs[i].type);
        FT_CHECK_STR(r.tool, "signal");
        FT_CHECK_EQ_INT(r.frame_count, 0);
        FT_CHECK_STR(r.crash_state, "");
    }
    /* glibc's assert message, then SIGABRT */
    const char *as = "fuzz_x: lib/src/keyset.c:12: ft_keyset_parse: Assertion `n < 64' failed.\n";
    const ftf_crash_exit_t abrt = {SIGABRT, 0, false};
    FTF_CHECK_STATUS(ftf_crash_report_parse(as, strlen(as), &abrt, &r), FTF_OK);
    FT_CHECK_STR(r.crash_type, "assertion-failure");
    /* the caller's deadline */
    const ftf_crash_exit_t late = {SIGKILL, 0, true};
    FTF_CHECK_STATUS(ftf_crash_report_parse("working...\n", 11, &late, &r), FTF_OK);
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_TIMEOUT);
    FT_CHECK_STR(r.crash_type, "timeout");
    /* a report printed before the deadline wins */
    FT_CHECK(parse_file("libfuzzer_timeout.txt", &late, &r));
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_SANITIZER);
    FT_CHECK_STR(r.tool, "libFuzzer");
    /* exit 0, or a non-zero code without a report: nothing reproduced */
    const char *ok = "INFO: Running with entropic power schedule\nExecuted x in 0 ms\n";
    FTF_CHECK_STATUS(ftf_crash_report_parse(ok, strlen(ok), NULL, &r), FTF_OK);
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_NONE);
    FT_CHECK_STR(r.crash_type, "");
    FT_CHECK_STR(ftf_crash_report_reason(&r), "");
    const ftf_crash_exit_t code1 = {0, 1, false};
    FTF_CHECK_STATUS(ftf_crash_report_parse("cannot open x\n", 14, &code1, &r), FTF_OK);
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_NONE);
    FTF_CHECK_STATUS(ftf_crash_report_parse(NULL, 0, NULL, &r), FTF_OK);
    FT_CHECK_EQ_INT(r.kind, FTF_CRASH_NONE);
    FTF_CHECK_STATUS(ftf_crash_report_parse(NULL, 3, NULL, &r), FTF_EINVALID_ARGUMENT);
    FTF_CHECK_STATUS(ftf_crash_report_parse("", 0, NULL, NULL), FTF_EINVALID_ARGUMENT);
}

static void crash_report_types_from_headlines(void) {
    static const struct {
        const char *text;
        const char *type;
    } cases[] = {
        {"==1==ERROR: AddressSanitizer: attempting double-free on 0x602000000010 in thread T0:", "double-free"},
        {"==1==ERROR: AddressSanitizer: attempting free on address which was not malloc()-ed: 0x7ffd", "bad-free"},
        {"==1==ERROR: AddressSanitizer: requested allocation size 0xffffffffffffffff (0x0 after adjustments) exceeds",
         "allocation-size-too-big"},
        {"==1==ERROR: AddressSanitizer: allocator is out of memory trying to allocate 0x100 bytes", "out-of-memory"},
        {"==1==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd at pc 0x1 bp 0x2 sp 0x3",
         "stack-buffer-overflow"},
        {"==1==ERROR: AddressSanitizer: global-buffer-overflow on address 0x55 at pc 0x1", "global-buffer-overflow"},
        {"==1==ERROR: AddressSanitizer: memcpy-param-overlap: memory ranges [0x1,0x5) and [0x3, 0x7) overlap",
         "memcpy-param-overlap"},
        {"==1==ERROR: AddressSanitizer: alloc-dealloc-mismatch (malloc vs operator delete) on 0x60",
         "alloc-dealloc-mismatch"},
        {"==1==ERROR: AddressSanitizer: negative-size-param: (size=-1)", "negative-size-param"},
        {"==1==ERROR: AddressSanitizer: FPE on unknown address 0x55 (pc 0x55 bp 0x7 sp 0x7 T0)", "fpe"},
        {"==1==ERROR: AddressSanitizer: ABRT on unknown address 0x000000000001 (pc 0x1 T0)", "abrt"},
        {"==1==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000ff8 (pc 0x1 T0)", "null-dereference"},
        {"==1==ERROR: AddressSanitizer: SEGV on unknown address (pc 0x1 T0)", "segv"},
        {"==1==ERROR: MemorySanitizer: use-of-uninitialized-value", "uninitialized-value"},
        {"==1== ERROR: libFuzzer: fuzz target exited", "fuzz-target-exited"},
        {"==1== ERROR: libFuzzer: fuzz target overwrites its const input", "overwrites-const-input"},
        {"==1== ERROR: libFuzzer: out-of-memory (used: 2100Mb; exceeds: 2048Mb)", "out-of-memory"},
        {"==1== ERROR: libFuzzer: deadly signal", "crash"},
        {"a.c:3:9: runtime error: division by zero", "divide-by-zero"},
        {"a.c:3:9: runtime error: division of -2147483648 by -1 cannot be represented in type 'int'",
         "integer-overflow"},
        {"a.c:3:9: runtime error: index 9 out of bounds for type 'int [4]'", "index-out-of-bounds"},
        {"a.c:3:9: runtime error: load of value 7, which is not a valid value for type '_Bool'", "invalid-value"},
        {"a.c:3:9: runtime error: applying non-zero offset 8 to null pointer", "null-dereference"},
        {"a.c:3:9: runtime error: pointer index expression with base 0x1 overflowed to 0x0", "pointer-overflow"},
        {"a.c:3:9: runtime error: execution reached an unreachable program point", "unreachable"},
        {"a.c:3:9: runtime error: left shift of negative value -1", "invalid-shift"},
        {"a.c:3:9: runtime error: 1e+40 is outside the range of representable values of type 'float'",
         "float-cast-overflow"},
        {"a.c:3:9: runtime error: something new", "undefined-behavior"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ftf_crash_report_t r;
        FTF_CHECK_STATUS(ftf_crash_report_parse(cases[i].text, strlen(cases[i].text), NULL, &r), FTF_OK);
        FT_CHECK_MSG(r.kind == FTF_CRASH_SANITIZER, "%s: not a report", cases[i].text);
        FT_CHECK_MSG(strcmp(r.crash_type, cases[i].type) == 0, "%s: %s, want %s", cases[i].text, r.crash_type,
                     cases[i].type);
        /* every type the parser makes has a row in the triage table */
        const ftf_triage_rule_t *rule = ftf_triage_lookup(r.crash_type, strlen(r.crash_type));
        FT_CHECK_MSG(rule && rule->kind == FTF_REASON_CRASH_TYPE && strcmp(rule->reason_code, r.crash_type) == 0,
                     "%s: no triage row of its own", r.crash_type);
    }
    /* UBSan without a stack: the error line's file is the frame */
    const char *u = "lib/src/keyset.c:40:7: runtime error: shift exponent 64 is too large\n";
    ftf_crash_report_t r;
    FTF_CHECK_STATUS(ftf_crash_report_parse(u, strlen(u), NULL, &r), FTF_OK);
    FT_CHECK_EQ_INT(r.frame_count, 1);
    FT_CHECK_STR(r.frames[0], "keyset.c");
    FT_CHECK_STR(r.file, "lib/src/keyset.c");
    FT_CHECK_EQ_INT(r.line, 40);
    /* frames: ignored names */
    FT_CHECK(ftf_crash_frame_ignored("__asan_memcpy", 13));
    FT_CHECK(ftf_crash_frame_ignored("fuzzer::Fuzzer::ExecuteCallback(unsigned char const*)", 53));
    FT_CHECK(ftf_crash_frame_ignored("main", 4));
    FT_CHECK(ftf_crash_frame_ignored("operator new(unsigned long)", 27));
    FT_CHECK(ftf_crash_frame_ignored("ftfz_violation", 14));
    FT_CHECK(!ftf_crash_frame_ignored("ft_keyset_parse", 15));
    FT_CHECK(!ftf_crash_frame_ignored("mainly", 6));
    FT_CHECK(!ftf_crash_frame_ignored("LLVMFuzzerTestOneInput", 22));
}

/* A report only as far as a cut: every prefix of every sample parses, and
 * junk never makes a crash out of nothing. */
static void crash_report_prefixes_and_junk(void) {
    static const char *const files[] = {"asan_heap_buffer_overflow.txt", "libfuzzer_ftdiff_abort.txt",
                                        "ubsan_shift.txt", "lsan_leak.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/crash_reports/%s", FTF_TEST_DATA_DIR, files[i]);
        size_t len;
        unsigned char *text = ftf_test_slurp(path, &len);
        FT_CHECK(text);
        for (size_t cut = 0; cut <= len; cut++) {
            ftf_crash_report_t r;
            if (ftf_crash_report_parse((const char *)text, cut, NULL, &r) != FTF_OK) {
                free(text);
                FT_CHECK_MSG(false, "%s: prefix %zu refused", files[i], cut);
            }
            if (r.frame_count > FTF_SIG_FRAMES || strlen(r.crash_state) >= sizeof r.crash_state) {
                free(text);
                FT_CHECK_MSG(false, "%s: prefix %zu out of bounds", files[i], cut);
            }
        }
        free(text);
    }
    uint64_t seed = 42;
    char junk[4096];
    for (int round = 0; round < 2000; round++) {
        const size_t n = (size_t)(ft_test_rand(&seed) % sizeof junk);
        for (size_t k = 0; k < n; k++) {
            const uint64_t v = ft_test_rand(&seed);
            /* mostly frame-ish text, with some raw bytes */
            static const char alphabet[] = "#0123456789 xabcdef:/()+.\n=ERROR: in";
            junk[k] = (v & 7) == 0 ? (char)(v >> 8) : alphabet[(v >> 8) % (sizeof alphabet - 1)];
        }
        ftf_crash_report_t r;
        FTF_CHECK_STATUS(ftf_crash_report_parse(junk, n, NULL, &r), FTF_OK);
        FT_CHECK(r.kind == FTF_CRASH_NONE || r.kind == FTF_CRASH_SANITIZER || r.kind == FTF_CRASH_DIFFERENTIAL);
        FT_CHECK(r.frame_count <= FTF_SIG_FRAMES);
    }
}

/* An event made from a report buckets as the index does: the ingested
 * violation and the one a target logs in-process share a signature. */
static void crash_report_signature_of_events(void) {
    ftf_crash_report_t r;
    FT_CHECK(parse_file("asan_heap_buffer_overflow.txt", NULL, &r));
    ftf_event_t ev;
    ftf_event_init(&ev);
    ev.outcome = FTF_OUTCOME_CRASH;
    ev.reason_code = ftf_crash_report_reason(&r);
    ev.has_fuzz = true;
    ev.fuzz.crash_type = r.crash_type;
    ev.fuzz.crash_state = r.crash_state;
    ftf_signature_t sig;
    FTF_CHECK_STATUS(ftf_triage_signature(&ev, &sig), FTF_OK);
    char line[1024];
    ftf_signature_format(&sig, line, sizeof line);
    FT_CHECK_STR(line, "memory_safety|heap-buffer-overflow|parse_keyset_text keyset_sample.c|LLVMFuzzerTestOneInput "
                       "keyset_sample.c|-");
    FT_CHECK(parse_file("libfuzzer_ftdiff_abort.txt", NULL, &r));
    ev.reason_code = ftf_crash_report_reason(&r);
    ev.fuzz.crash_type = r.crash_type;
    ev.fuzz.crash_state = r.crash_state;
    FTF_CHECK_STATUS(ftf_triage_signature(&ev, &sig), FTF_OK);
    ftf_signature_format(&sig, line, sizeof line);
    FT_CHECK_STR(line, "routing_drift|differential-violation|ft-diff:route_select:selected_key:selected_key_mismatch:"
                       "add:strict|-|-");
}

int main(int argc, char **argv) {
    static const ft_test_case_t cases[] = {
        FT_CASE(crash_report_captured_reports),      FT_CASE(crash_report_ftdiff_line_wins),
        FT_CASE(crash_report_signals_and_deadlines), FT_CASE(crash_report_types_from_headlines),
        FT_CASE(crash_report_prefixes_and_junk),     FT_CASE(crash_report_signature_of_events),
    };
    return ft_test_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
