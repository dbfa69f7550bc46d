/* What a crashed fuzz target said: ft-diff lines, sanitizer and libFuzzer
 * reports, signals (ftf/crash_report.h). Line by line over the captured text,
 * no allocation: the first report wins, its first stack gives the frames. */
#include "ftf/crash_report.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *ftf_crash_kind_name(ftf_crash_kind_t kind) {
    switch (kind) {
    case FTF_CRASH_NONE:
        return "none";
    case FTF_CRASH_DIFFERENTIAL:
        return "differential";
    case FTF_CRASH_SANITIZER:
        return "sanitizer";
    case FTF_CRASH_SIGNAL:
        return "signal";
    case FTF_CRASH_TIMEOUT:
        return "timeout";
    }
    return "none";
}

/* ---- small text helpers ----------------------------------------------------- */

typedef struct {
    const char *s;
    size_t n;
} span_t;

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static span_t trim(span_t t) {
    while (t.n && is_blank(*t.s))
        t.s++, t.n--;
    while (t.n && is_blank(t.s[t.n - 1]))
        t.n--;
    return t;
}

static bool starts(span_t t, const char *p) {
    const size_t k = strlen(p);
    return t.n >= k && memcmp(t.s, p, k) == 0;
}

/* Offset of `needle` in t, or SIZE_MAX. */
static size_t find(span_t t, const char *needle) {
    const size_t k = strlen(needle);
    if (k == 0 || t.n < k)
        return SIZE_MAX;
    for (size_t i = 0; i + k <= t.n; i++)
        if (t.s[i] == needle[0] && memcmp(t.s + i, needle, k) == 0)
            return i;
    return SIZE_MAX;
}

static bool contains(span_t t, const char *needle) {
    return find(t, needle) != SIZE_MAX;
}

static span_t after(span_t t, size_t off) {
    span_t r = {t.s + off, t.n - off};
    return r;
}

/* Copies t into out (cap bytes, NUL-terminated, cut when longer), control
 * bytes replaced by '?'. */
static void copy_span(char *out, size_t cap, span_t t) {
    size_t n = t.n < cap - 1 ? t.n : cap - 1;
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)t.s[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[n] = '\0';
}

static void set_str(char *out, size_t cap, const char *s) {
    snprintf(out, cap, "%s", s);
}

/* Drops a leading "==123==" (sanitizer pid prefix). */
static span_t drop_pid(span_t t) {
    if (t.n < 4 || t.s[0] != '=' || t.s[1] != '=')
        return t;
    size_t i = 2;
    while (i < t.n && t.s[i] >= '0' && t.s[i] <= '9')
        i++;
    if (i > 2 && i + 1 < t.n && t.s[i] == '=' && t.s[i + 1] == '=')
        return trim(after(t, i + 2));
    return t;
}

/* ---- frames ---------------------------------------------------------------------- */

static const char *const ignored_prefixes[] = {
    "__sanitizer",    "__asan",          "__ubsan",
    "__lsan",         "__msan",          "__tsan",
    "__interceptor_", "___interceptor_", "__interception",
    "fuzzer::",       "__libc_",         "__GI_",
    "__pthread_kill", "_start",          "__cxa_",
    "std::__",        "__assert",        "__nanosleep",
    "__sigaction",    "__restore_rt",    "__clock_nanosleep",
    "ftfz_", /* the fuzz targets' abort path */
};

static const char *const ignored_names[] = {
    "main",      "raise",           "abort",          "gsignal",       "pthread_kill", "malloc", "calloc",  "realloc",
    "free",      "reallocarray",    "posix_memalign", "aligned_alloc", "memalign",     "valloc", "memcpy",  "memmove",
    "memset",    "memcmp",          "bcmp",           "strlen",        "strnlen",      "strcmp", "strncmp", "strcpy",
    "strncpy",   "strdup",          "strndup",        "strchr",        "strrchr",      "strstr", "sleep",   "usleep",
    "nanosleep", "clock_nanosleep", "exit",           "_exit",         "killpg",       "kill",
};

bool ftf_crash_frame_ignored(const char *fn, size_t len) {
    if (!fn || len == 0)
        return true;
    const span_t f = {fn, len};
    for (size_t i = 0; i < sizeof ignored_prefixes / sizeof ignored_prefixes[0]; i++)
        if (starts(f, ignored_prefixes[i]))
            return true;
    /* the name up to its parameter list: "operator new(unsigned long)" */
    size_t n = len;
    for (size_t i = 0; i < len; i++)
        if (fn[i] == '(') {
            n = i;
            break;
        }
    for (size_t i = 0; i < sizeof ignored_names / sizeof ignored_names[0]; i++)
        if (strlen(ignored_names[i]) == n && memcmp(ignored_names[i], fn, n) == 0)
            return true;
    return (n >= 12 && memcmp(fn, "operator new", 12) == 0) || (n >= 15 && memcmp(fn, "operator delete", 15) == 0);
}

/* The C library's own sources, as its debug info names them: relative paths
 * such as "stdlib/abort.c" or "csu/../sysdeps/nptl/libc_start_call_main.h". */
static bool system_source(span_t file) {
    if (file.n == 0 || file.s[0] == '/')
        return false;
    static const char *const dirs[] = {"nptl/",   "csu/",   "stdlib/", "signal/", "misc/", "posix/",  "time/",
                                       "string/", "libio/", "malloc/", "assert/", "elf/",  "sysdeps/"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (starts(file, dirs[i]))
            return true;
    return contains(file, "/sysdeps/");
}

/* A shared library module ("/lib/x86_64-linux-gnu/libc.so.6"). */
static bool shared_module(span_t mod) {
    return contains(mod, ".so");
}

/* One parsed stack line. */
typedef struct {
    span_t fn;     /* function, may be empty (module-only frame) */
    span_t file;   /* source file, or the module when no source */
    unsigned line; /* 0 unknown */
    bool module;   /* `file` is a module, not a source file */
} frame_t;

/* "#3 0x7f.. in func /path/file.c:12:5", "#3 0x7f.. in func (module+0x1a)",
 * "#3 0x7f..  (module+0x1a)", each optionally followed by "(BuildId: ...)".
 * False when `t` is no frame line. */
static bool parse_frame(span_t t, frame_t *f) {
    memset(f, 0, sizeof *f);
    t = trim(t);
    if (t.n < 2 || t.s[0] != '#' || t.s[1] < '0' || t.s[1] > '9')
        return false;
    size_t i = 1;
    while (i < t.n && t.s[i] >= '0' && t.s[i] <= '9')
        i++;
    if (i < t.n && !is_blank(t.s[i]))
        return false;
    t = trim(after(t, i));
    if (starts(t, "0x")) { /* the pc */
        i = 2;
        while (i < t.n && !is_blank(t.s[i]))
            i++;
        t = trim(after(t, i));
    }
    /* "(BuildId: ...)" at the end */
    size_t b = find(t, " (BuildId:");
    if (b != SIZE_MAX)
        t = trim((span_t){t.s, b});
    /* "(module+0x1a)" at the end */
    if (t.n && t.s[t.n - 1] == ')') {
        size_t open = t.n;
        while (open && t.s[open - 1] != '(')
            open--;
        if (open) {
            span_t inner = {t.s + open, t.n - 1 - open};
            if (contains(inner, "+0x")) {
                f->module = true;
                f->file = (span_t){inner.s, find(inner, "+0x")};
                t = trim((span_t){t.s, open - 1});
            }
        }
    }
    if (starts(t, "in "))
        t = trim(after(t, 3));
    if (!f->module && t.n) { /* the last word is the source location */
        size_t sp = t.n;
        while (sp && t.s[sp - 1] != ' ')
            sp--;
        if (sp) {
            span_t loc = {t.s + sp, t.n - sp};
            /* file:line[:col] */
            size_t end = loc.n, colon = SIZE_MAX, nums = 0;
            while (end) {
                size_t k = end;
                while (k && loc.s[k - 1] >= '0' && loc.s[k - 1] <= '9')
                    k--;
                if (k < end && k && loc.s[k - 1] == ':') {
                    colon = k - 1;
                    end = k - 1;
                    nums++;
                } else {
                    break;
                }
            }
            if (nums && nums <= 2) {
                f->file = (span_t){loc.s, colon};
                unsigned v = 0;
                for (size_t k = colon + 1; k < loc.n && loc.s[k] >= '0' && loc.s[k] <= '9'; k++)
                    v = v < 100000000u ? v * 10u + (unsigned)(loc.s[k] - '0') : v;
                f->line = v;
            } else {
                f->file = loc;
            }
            t = trim((span_t){t.s, sp});
        }
    }
    f->fn = t;
    return true;
}

static bool frame_ignored(const frame_t *f) {
    if (f->fn.n == 0) /* module-only: keep it only when it is not a shared library */
        return !f->module || shared_module(f->file);
    return ftf_crash_frame_ignored(f->fn.s, f->fn.n) || (!f->module && system_source(f->file));
}

/* Adds a kept frame to the report: normalised "func file". */
static void keep_frame(ftf_crash_report_t *r, const frame_t *f) {
    if (r->frame_count >= FTF_SIG_FRAMES)
        return;
    char raw[2 * FTF_SIG_FIELD_SIZE + 512];
    const int fn = (int)(f->fn.n < 400 ? f->fn.n : 400);
    const int fl = (int)(f->file.n < 300 ? f->file.n : 300);
    snprintf(raw, sizeof raw, "%.*s %.*s", fn, f->fn.s, fl, f->file.s);
    if (ftf_triage_normalize_frame(raw, strlen(raw), r->frames[r->frame_count]) == 0)
        return;
    if (r->frame_count == 0 && !f->module && f->file.n && !r->file[0]) {
        copy_span(r->file, sizeof r->file, f->file);
        r->line = f->line;
    }
    r->frame_count++;
}

/* ---- crash types ---------------------------------------------------------------- */

static void normalized_type(char out[FTF_SIG_FIELD_SIZE], span_t t) {
    if (ftf_triage_normalize_crash_type(t.s, t.n, out) == 0)
        set_str(out, FTF_SIG_FIELD_SIZE, "crash");
}

/* The hex number after "address " in t, or UINT64_MAX. */
static uint64_t address_in(span_t t) {
    size_t a = find(t, "address 0x");
    if (a == SIZE_MAX)
        return UINT64_MAX;
    uint64_t v = 0;
    size_t digits = 0;
    for (size_t i = a + 10; i < t.n && digits < 16; i++, digits++) {
        const char c = t.s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        v = v << 4 | d;
    }
    return digits ? v : UINT64_MAX;
}

/* "heap-buffer-overflow on address ...", "SEGV on unknown address 0x000...",
 * "attempting double-free on ...", "requested allocation size ...". */
static void asan_type(char out[FTF_SIG_FIELD_SIZE], span_t t) {
    if (starts(t, "attempting "))
        t = after(t, 11);
    if (starts(t, "requested allocation size")) {
        set_str(out, FTF_SIG_FIELD_SIZE, "allocation-size-too-big");
        return;
    }
    if (starts(t, "allocator is out of memory") || starts(t, "out of memory")) {
        set_str(out, FTF_SIG_FIELD_SIZE, "out-of-memory");
        return;
    }
    if (starts(t, "free on address") || starts(t, "bad-free")) {
        set_str(out, FTF_SIG_FIELD_SIZE, "bad-free");
        return;
    }
    if (starts(t, "calloc parameters overflow")) {
        set_str(out, FTF_SIG_FIELD_SIZE, "calloc-overflow");
        return;
    }
    span_t w = t;
    static const char *const cuts[] = {" on ", ": ", " (", " at ", " in "};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const size_t k = find(w, cuts[i]);
        if (k != SIZE_MAX)
            w.n = k;
    }
    normalized_type(out, w);
    /* a SEGV at a small address is a null dereference (ClusterFuzz's rule) */
    if (strcmp(out, "segv") == 0 && address_in(t) < 4096)
        set_str(out, FTF_SIG_FIELD_SIZE, "null-dereference");
}

static const struct {
    const char *needle;
    const char *type;
} ubsan_types[] = {
    {"signed integer overflow", "integer-overflow"},
    {"unsigned integer overflow", "integer-overflow"},
    {"negation of", "integer-overflow"},
    {"cannot be represented in type", "integer-overflow"},
    {"division by zero", "divide-by-zero"},
    {"divide by zero", "divide-by-zero"},
    {"shift exponent", "invalid-shift"},
    {"left shift of", "invalid-shift"},
    {"null pointer", "null-dereference"},
    {"misaligned address", "misaligned-address"},
    {"out of bounds for type", "index-out-of-bounds"},
    {"is not a valid value for type", "invalid-value"},
    {"pointer index expression", "pointer-overflow"},
    {"applying non-zero offset", "pointer-overflow"},
    {"applying zero offset", "pointer-overflow"},
    {"unsigned offset", "pointer-overflow"},
    {"unreachable program point", "unreachable"},
    {"end of a value-returning function", "missing-return"},
    {"variable length array bound", "vla-bound"},
    {"implicit conversion", "implicit-conversion"},
    {"outside the range of representable values", "float-cast-overflow"},
};

/* UBSan's message after "runtime error: ". Order matters: the first match. */
static void ubsan_type(char out[FTF_SIG_FIELD_SIZE], span_t msg) {
    /* "division of -2147483648 by -1 cannot be represented" is an overflow, "division by zero" not */
    for (size_t i = 0; i < sizeof ubsan_types / sizeof ubsan_types[0]; i++)
        if (contains(msg, ubsan_types[i].needle)) {
            set_str(out, FTF_SIG_FIELD_SIZE, ubsan_types[i].type);
            return;
        }
    set_str(out, FTF_SIG_FIELD_SIZE, "undefined-behavior");
}

/* "file.c:12:5: runtime error: ..." -> file, line. */
static void ubsan_location(ftf_crash_report_t *r, span_t before) {
    span_t loc = trim(before);
    size_t colon = SIZE_MAX, nums = 0, end = loc.n;
    while (end) {
        size_t k = end;
        while (k && loc.s[k - 1] >= '0' && loc.s[k - 1] <= '9')
            k--;
        if (k < end && k && loc.s[k - 1] == ':') {
            colon = k - 1, end = k - 1, nums++;
        } else {
            break;
        }
    }
    if (!nums || nums > 2)
        return;
    copy_span(r->file, sizeof r->file, (span_t){loc.s, colon});
    unsigned v = 0;
    for (size_t k = colon + 1; k < loc.n && loc.s[k] >= '0' && loc.s[k] <= '9'; k++)
        v = v < 100000000u ? v * 10u + (unsigned)(loc.s[k] - '0') : v;
    r->line = v;
}

static const char *signal_type(int sig) {
    switch (sig) {
    case SIGABRT:
        return "abrt";
    case SIGSEGV:
        return "segv";
    case SIGFPE:
        return "fpe";
    case SIGBUS:
        return "bus";
    case SIGILL:
        return "ill";
    default:
        return "crash";
    }
}

/* ---- the parser ------------------------------------------------------------------- */

typedef enum { REPORT_NONE = 0, REPORT_ASAN, REPORT_LSAN, REPORT_UBSAN, REPORT_LIBFUZZER, REPORT_OTHER } report_t;

/* A report's headline in line t (pid prefix dropped), or REPORT_NONE; *rest is
 * the text after the tool's name. */
static report_t headline(span_t t, span_t *rest) {
    static const struct {
        const char *prefix;
        report_t kind;
    } heads[] = {
        {"ERROR: AddressSanitizer: ", REPORT_ASAN},   {"ERROR: LeakSanitizer: ", REPORT_LSAN},
        {"ERROR: libFuzzer: ", REPORT_LIBFUZZER},     {"ERROR: MemorySanitizer: ", REPORT_OTHER},
        {"ERROR: HWAddressSanitizer: ", REPORT_ASAN}, {"ERROR: ThreadSanitizer: ", REPORT_OTHER},
        {"WARNING: MemorySanitizer: ", REPORT_OTHER}, {"WARNING: ThreadSanitizer: ", REPORT_OTHER},
    };
    const span_t d = drop_pid(t);
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        if (starts(d, heads[i].prefix)) {
            *rest = trim(after(d, strlen(heads[i].prefix)));
            return heads[i].kind;
        }
    const size_t k = find(t, ": runtime error: ");
    if (k != SIZE_MAX) {
        *rest = trim(after(t, k + 17));
        return REPORT_UBSAN;
    }
    return REPORT_NONE;
}

static void finish_state(ftf_crash_report_t *r) {
    r->crash_state[0] = '\0';
    if (r->kind == FTF_CRASH_DIFFERENTIAL) {
        set_str(r->crash_state, sizeof r->crash_state, r->diff_line);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->frame_count; i++)
        n += (size_t)snprintf(r->crash_state + n, sizeof r->crash_state - n, "%s%s", i ? "\n" : "", r->frames[i]);
}

/* The ft-diff line's fields: ft-diff:<target>:<comparator>:... */
static void diff_fields(ftf_crash_report_t *r) {
    const char *p = r->diff_line + 8; /* after "ft-diff:" */
    const char *c1 = strchr(p, ':');
    const size_t tn = c1 ? (size_t)(c1 - p) : strlen(p);
    copy_span(r->diff_target, sizeof r->diff_target, (span_t){p, tn});
    if (!c1)
        return;
    const char *q = c1 + 1, *c2 = strchr(q, ':');
    copy_span(r->diff_comparator, sizeof r->diff_comparator, (span_t){q, c2 ? (size_t)(c2 - q) : strlen(q)});
}

ftf_status ftf_crash_report_parse(const char *text, size_t len, const ftf_crash_exit_t *exit, ftf_crash_report_t *out) {
    if (!out || (!text && len))
        return FTF_EINVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    report_t rep = REPORT_NONE;
    span_t rest = {"", 0};
    bool in_stack = false, stack_done = false, saw_abort = false, saw_assert = false;
    size_t lines_since_head = 0;
    const char *p = text, *end = text ? text + len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        span_t line = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
        p = nl ? nl + 1 : end;
        span_t t = trim(line);
        if (!out->diff_line[0] && starts(t, "ft-diff:")) {
            copy_span(out->diff_line, sizeof out->diff_line, t);
            diff_fields(out);
            continue;
        }
        if (!out->diff_line[0] && rep == REPORT_NONE && contains(t, "Assertion `") && contains(t, "' failed"))
            saw_assert = true;
        if (rep == REPORT_NONE) {
            rep = headline(t, &rest);
            if (rep == REPORT_NONE)
                continue;
            copy_span(out->headline, sizeof out->headline, drop_pid(t));
            switch (rep) {
            case REPORT_ASAN:
                set_str(out->tool, sizeof out->tool, "AddressSanitizer");
                asan_type(out->crash_type, rest);
                break;
            case REPORT_LSAN:
                set_str(out->tool, sizeof out->tool, "LeakSanitizer");
                set_str(out->crash_type, sizeof out->crash_type, "memory-leak");
                break;
            case REPORT_UBSAN: {
                set_str(out->tool, sizeof out->tool, "UndefinedBehaviorSanitizer");
                ubsan_type(out->crash_type, rest);
                const size_t k = find(t, ": runtime error: ");
                ubsan_location(out, (span_t){t.s, k});
                break;
            }
            case REPORT_LIBFUZZER:
                set_str(out->tool, sizeof out->tool, "libFuzzer");
                if (starts(rest, "timeout"))
                    set_str(out->crash_type, sizeof out->crash_type, "timeout");
                else if (starts(rest, "out-of-memory"))
                    set_str(out->crash_type, sizeof out->crash_type, "out-of-memory");
                else if (starts(rest, "fuzz target exited"))
                    set_str(out->crash_type, sizeof out->crash_type, "fuzz-target-exited");
                else if (starts(rest, "fuzz target overwrites"))
                    set_str(out->crash_type, sizeof out->crash_type, "overwrites-const-input");
                else if (starts(rest, "deadly signal"))
                    set_str(out->crash_type, sizeof out->crash_type, "deadly-signal"); /* refined below */
                else
                    normalized_type(out->crash_type, rest);
                break;
            case REPORT_OTHER: {
                const size_t k = find(t, "Sanitizer: ");
                span_t tool = drop_pid(t);
                if (starts(tool, "ERROR: ") || starts(tool, "WARNING: "))
                    tool = after(tool, starts(tool, "ERROR: ") ? 7 : 9);
                const size_t c = find(tool, ":");
                copy_span(out->tool, sizeof out->tool, (span_t){tool.s, c == SIZE_MAX ? tool.n : c});
                span_t msg = k == SIZE_MAX ? rest : trim(after(t, k + 11));
                if (starts(msg, "use-of-uninitialized-value"))
                    set_str(out->crash_type, sizeof out->crash_type, "uninitialized-value");
                else
                    asan_type(out->crash_type, msg);
                break;
            }
            case REPORT_NONE:
                break;
            }
            continue;
        }
        if (stack_done)
            continue;
        /* the report's first stack */
        frame_t f;
        if (parse_frame(t, &f)) {
            in_stack = true;
            if (f.fn.n && (starts(f.fn, "abort") || starts(f.fn, "raise") || starts(f.fn, "gsignal")))
                saw_abort = true;
            if (f.fn.n && starts(f.fn, "__assert"))
                saw_assert = true;
            if (!frame_ignored(&f))
                keep_frame(out, &f);
            continue;
        }
        if (in_stack || ++lines_since_head > 12)
            stack_done = true;
    }
    const ftf_crash_exit_t none = {0, 0, false};
    if (!exit)
        exit = &none;
    if (out->diff_line[0]) {
        /* the violation, whatever report its abort() made (whose stack, when
         * there is one, still says where: file and line are kept) */
        out->kind = FTF_CRASH_DIFFERENTIAL;
        set_str(out->crash_type, sizeof out->crash_type, FTF_CRASH_DIFFERENTIAL_TYPE);
        set_str(out->tool, sizeof out->tool, "ft-diff");
        set_str(out->headline, sizeof out->headline, out->diff_line);
    } else if (rep != REPORT_NONE) {
        out->kind = FTF_CRASH_SANITIZER;
        if (strcmp(out->crash_type, "deadly-signal") == 0)
            set_str(out->crash_type, sizeof out->crash_type,
                    saw_assert  ? "assertion-failure"
                    : saw_abort ? "abrt"
                                : (exit->term_signal ? signal_type(exit->term_signal) : "crash"));
    } else if (exit->timed_out) {
        out->kind = FTF_CRASH_TIMEOUT;
        set_str(out->crash_type, sizeof out->crash_type, "timeout");
        set_str(out->tool, sizeof out->tool, "timeout");
    } else if (exit->term_signal) {
        out->kind = FTF_CRASH_SIGNAL;
        set_str(out->crash_type, sizeof out->crash_type,
                exit->term_signal == SIGABRT && saw_assert ? "assertion-failure" : signal_type(exit->term_signal));
        set_str(out->tool, sizeof out->tool, "signal");
        snprintf(out->headline, sizeof out->headline, "killed by signal %d", exit->term_signal);
    }
    if (out->kind == FTF_CRASH_NONE || out->kind == FTF_CRASH_DIFFERENTIAL) {
        out->frame_count = 0;
        memset(out->frames, 0, sizeof out->frames);
    }
    if (out->kind == FTF_CRASH_NONE) {
        out->file[0] = '\0';
        out->line = 0;
    }
    /* UBSan without a stack: the error line's file is the one frame */
    if (rep == REPORT_UBSAN && out->frame_count == 0 && out->file[0] && out->kind == FTF_CRASH_SANITIZER) {
        if (ftf_triage_normalize_frame(out->file, strlen(out->file), out->frames[0]) > 0)
            out->frame_count = 1;
    }
    finish_state(out);
    return FTF_OK;
}

const char *ftf_crash_report_reason(const ftf_crash_report_t *r) {
    if (!r)
        return "";
    if (r->kind == FTF_CRASH_DIFFERENTIAL && r->diff_comparator[0])
        return r->diff_comparator;
    return r->crash_type;
}
