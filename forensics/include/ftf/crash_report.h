/* libftforensics — what a crashed fuzz target said (SPEC §10, §12).
 *
 * A fuzz finding is replayed by running its target on the input and reading
 * what the process wrote on standard error and how it ended. This module turns
 * that text into the fuzz group's fields:
 *
 *   - a differential violation: the one line `ft-diff:<target>:<comparator>:
 *     <reason>:<op>:<modes>` the targets print before abort() (fuzz/CONTRACT.md).
 *     It wins over whatever report the abort itself produced (libFuzzer's
 *     "deadly signal", ASan's ABRT). crash_type "differential-violation",
 *     reason code the comparator, crash_state the line itself;
 *   - a sanitizer or libFuzzer report: AddressSanitizer (heap-buffer-overflow,
 *     SEGV, stack-overflow, use-after-free, ...), LeakSanitizer,
 *     UndefinedBehaviorSanitizer ("runtime error: ..."), libFuzzer's deadly
 *     signal, timeout and out-of-memory. crash_type as the triage table spells
 *     it ("heap-buffer-overflow", "segv", "integer-overflow", "abrt", ...),
 *     crash_state the top three frames of the crash stack, normalised with
 *     ftf_triage_normalize_frame, after dropping the frames that say nothing
 *     about the bug (sanitizer runtime, interceptors, libFuzzer, libc, main);
 *   - a bare signal (a build without sanitizers, e.g. the gcc replay driver):
 *     "abrt", "segv", "fpe", "bus", "ill" or "crash", no frames;
 *   - the caller's deadline: "timeout".
 *
 * Only the first report counts (ASan's "freed by" and "previously allocated"
 * stacks, and anything printed after the first report, are ignored). Parsing
 * is pure, allocation-free and bounded: it reads `len` bytes, never more, and
 * any text (binary junk included) is accepted. */
#ifndef FTF_CRASH_REPORT_H
#define FTF_CRASH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftf/status.h"
#include "ftf/triage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The crash type of a differential violation (an `ft-diff:` line). */
#define FTF_CRASH_DIFFERENTIAL_TYPE "differential-violation"

/* Longest `ft-diff:` line kept (bytes, no NUL); longer lines are cut. */
#define FTF_CRASH_LINE_MAX 255
/* Longest source file path kept for the top frame. */
#define FTF_CRASH_FILE_MAX 255
/* crash_state: FTF_SIG_FRAMES normalised frames joined by '\n', or the ft-diff line. */
#define FTF_CRASH_STATE_SIZE (FTF_SIG_FRAMES * FTF_SIG_FIELD_SIZE + FTF_CRASH_LINE_MAX + 1)

typedef enum ftf_crash_kind {
    FTF_CRASH_NONE = 0,     /* "none": the run ended normally (nothing reproduced) */
    FTF_CRASH_DIFFERENTIAL, /* "differential": an `ft-diff:` line */
    FTF_CRASH_SANITIZER,    /* "sanitizer": a sanitizer or libFuzzer report */
    FTF_CRASH_SIGNAL,       /* "signal": killed by a signal, no report */
    FTF_CRASH_TIMEOUT       /* "timeout": the caller's deadline passed */
} ftf_crash_kind_t;

const char *ftf_crash_kind_name(ftf_crash_kind_t kind);

/* How the process ended, as the caller saw it. */
typedef struct ftf_crash_exit {
    int term_signal; /* the signal that killed it (WTERMSIG), 0 when it exited */
    int exit_code;   /* its exit code when it exited */
    bool timed_out;  /* killed by the caller's deadline (term_signal is then the caller's kill) */
} ftf_crash_exit_t;

typedef struct ftf_crash_report {
    ftf_crash_kind_t kind;
    char crash_type[FTF_SIG_FIELD_SIZE]; /* "" for FTF_CRASH_NONE */
    char tool[32];                       /* "ft-diff", "AddressSanitizer", "LeakSanitizer",
                                            "UndefinedBehaviorSanitizer", "libFuzzer", "signal", "timeout", "" */
    char headline[256];                  /* the report's first line, without the "==123==" pid prefix */
    /* differential violation */
    char diff_line[FTF_CRASH_LINE_MAX + 1]; /* the whole `ft-diff:` line, trimmed */
    char diff_target[FTF_SIG_FIELD_SIZE];   /* its fields, "" when absent */
    char diff_comparator[FTF_SIG_FIELD_SIZE];
    /* crash stack */
    size_t frame_count;                              /* normalised frames kept, <= FTF_SIG_FRAMES */
    char frames[FTF_SIG_FRAMES][FTF_SIG_FIELD_SIZE]; /* "ft_keyset_parse keyset.c" */
    char file[FTF_CRASH_FILE_MAX + 1];               /* source file of the top kept frame (or of
                                                        UBSan's error line), as printed; "" unknown */
    unsigned line;                                   /* its line, 0 unknown */
    char crash_state[FTF_CRASH_STATE_SIZE];          /* the fuzz group's crash_state */
} ftf_crash_report_t;

/* Reads the standard error text of one run (`text`, `len` bytes, any bytes)
 * and how it ended (`exit`; NULL: exited 0) into *out. A report or an
 * `ft-diff:` line makes a crash whatever the exit status; with neither, a
 * signal makes FTF_CRASH_SIGNAL, the caller's deadline FTF_CRASH_TIMEOUT, and
 * anything else (exit 0 or a non-zero code) FTF_CRASH_NONE.
 * FTF_EINVALID_ARGUMENT for NULL out, or NULL text with len > 0. */
ftf_status ftf_crash_report_parse(const char *text, size_t len, const ftf_crash_exit_t *exit, ftf_crash_report_t *out);

/* The reason code an event for this report carries: the comparator of a
 * differential violation (the crash type when the line has none), else the
 * crash type; "" for FTF_CRASH_NONE. Borrowed from *r. */
const char *ftf_crash_report_reason(const ftf_crash_report_t *r);

/* Is `fn` (`len` bytes) a frame the signature skips: sanitizer runtime and
 * interceptors, libFuzzer, the C library's abort/raise/start-up, main? */
bool ftf_crash_frame_ignored(const char *fn, size_t len);

/* What a child writes on stderr when the exec itself failed (its exit code is
 * then 127). */
#define FTF_CRASH_EXEC_FAILED "ftf_crash_run: exec failed"

struct ftf_buf;

/* Runs argv[0] (an absolute path the caller resolved itself; never a shell)
 * with `env`, stdin and stdout on /dev/null, stderr captured into `err` (its
 * first `max_stderr` bytes; the rest is read and dropped), killed with its
 * process group after `timeout_ms`. 0 with *ex filled, or -1 (errno) when it
 * could not be started. */
int ftf_crash_run(char *const argv[], char *const env[], int64_t timeout_ms, size_t max_stderr, struct ftf_buf *err,
                  ftf_crash_exit_t *ex);

#ifdef __cplusplus
}
#endif

#endif
