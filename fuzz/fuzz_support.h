/* fuzz/ — what every fuzz target shares (fuzz/CONTRACT.md).
 *
 *   - a byte reader that reads zeros past the end of the input, so every byte
 *     string decodes to something (targets document their layouts on it);
 *   - the one abort path of a differential violation, ftfz_violation: one line
 *     `ft-diff:<target>:<comparator>:<reason>:<op>:<modes>` on stderr (fields
 *     reduced to [A-Za-z0-9_.+-], runs of 4+ digits replaced by "N", so the
 *     line has no addresses and no large numbers: it groups findings as a
 *     ClusterFuzz crash state would), then a `DEDUP_TOKEN:` line with the same
 *     fields (libFuzzer's -minimize_crash keeps an input only while the first
 *     DEDUP_TOKEN of its output stays the same), the input's name when the
 *     driver knows it and the command that replays it; then one forensics
 *     event (outcome crash, reason_code = comparator, differential group,
 *     scenario, fuzz group with the input in base64 — the log writer moves it
 *     to a side artifact when it does not fit a record — crash_type
 *     "differential-violation", crash_state = the signature line), appended to
 *     `$FT_FUZZ_FORENSICS_DIR/<target>.jsonl.gz` (default `fuzz-forensics/`
 *     in the working directory), fsync'ed and closed; then abort();
 *   - FTFZ_CHECK: an always-on assertion (NDEBUG does not remove it) that
 *     takes that path.
 *
 * The engine a binary was built for (FTFZ_ENGINE_NAME: "libfuzzer", "afl" or
 * "replay") is compiled in and recorded in the event.
 *
 * Everything here is fuzz-only and refuses to build without
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (the OSS-Fuzz convention; the
 * CMake fuzz builds define it). Not thread-safe: a target runs one input at a
 * time. */
#ifndef FTFZ_FUZZ_SUPPORT_H
#define FTFZ_FUZZ_SUPPORT_H

#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#error "fuzz targets build only in fuzzing builds: define FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/dispatch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The entry point every engine calls (defined once per target). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reading the input -------------------------------------------------- */

typedef struct ftfz_reader {
    const uint8_t *data;
    size_t size, pos;
} ftfz_reader_t;

static inline ftfz_reader_t ftfz_reader(const uint8_t *data, size_t size) {
    ftfz_reader_t r = {data, size, 0};
    return r;
}

/* Bytes not yet read (0 past the end). */
static inline size_t ftfz_left(const ftfz_reader_t *r) {
    return r->pos < r->size ? r->size - r->pos : 0;
}

/* The next byte, or 0 past the end (which still advances). */
static inline uint8_t ftfz_u8(ftfz_reader_t *r) {
    const uint8_t b = r->pos < r->size ? r->data[r->pos] : 0;
    r->pos++;
    return b;
}

/* Little-endian words of `bytes` bytes (1..8), zeros past the end. */
static inline uint64_t ftfz_le(ftfz_reader_t *r, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)ftfz_u8(r) << (8 * i);
    return v;
}

/* ---- violations ---------------------------------------------------------- */

/* More about a violation, all optional (NULL / zero: absent). */
typedef struct ftfz_detail {
    const char *scenario; /* JSON object text of what ran (the canonical scenario); NULL: a
                             {"kind":"fuzz_input","target":...} stub */
    ft_mode_t mode;       /* the event's mode (strict when the check has none) */
    const char *expected; /* JSON texts of the finding; NULL: null */
    const char *observed;
} ftfz_detail_t;

/* The one abort path (see the top of this file). `modes` names the modes the
 * violation was seen in ("strict", "hardened", "strict+hardened", "none").
 * Never returns. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void ftfz_violation(const char *target, const char *comparator, const char *reason, const char *op, const char *modes,
                    const uint8_t *data, size_t size);

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void ftfz_violation_ex(const char *target, const char *comparator, const char *reason, const char *op,
                       const char *modes, const uint8_t *data, size_t size, const ftfz_detail_t *detail);

/* Always-on assertion: a false `cond` is a violation of `target` with that
 * comparator and reason (op and modes "-" and "none"). */
#define FTFZ_CHECK(cond, target, comparator, reason, data, size)                                                       \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ftfz_violation((target), (comparator), (reason), "-", "none", (data), (size));                             \
    } while (0)

/* The signature line without its newline into buf (snprintf contract): what
 * ftfz_violation prints. Exposed so tests can check the normalisation. */
size_t ftfz_signature(char *buf, size_t cap, const char *target, const char *comparator, const char *reason,
                      const char *op, const char *modes);

/* The replay driver names the input it is running (borrowed until the next
 * call; NULL: none), so a violation can say which file it was. */
void ftfz_set_input_name(const char *name);

/* "libfuzzer", "afl" or "replay": the engine this binary was built for. */
const char *ftfz_engine_name(void);

#ifdef __cplusplus
}
#endif

#endif
