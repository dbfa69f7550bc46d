/* libftforensics — hashes and identifiers (SPEC §10, forensics/DESIGN.md).
 *
 * SipHash-1-3 with keys (0, 0) over strings each followed by a 0xFF byte is
 * Rust's `DefaultHasher` hashing `&str` values, which is how FrankenTorch derives
 * scenario seeds; this module reproduces that derivation bit for bit, and builds
 * the other identifiers of a log on the same hash:
 *
 *   scenario seed    SipHash-1-3(0,0) over suite ‖ fixture ‖ packet ‖ scenario ‖ mode
 *   env fingerprint  "det64:" + 16 hex over tool version, OS, arch, compiler,
 *                    build type, key-domain profile
 *   run id           "run-" + 16 hex over the run seed and the tool name
 *   scenario ids     "{suite}/{mode}:{case}", "gen/<16 hex>", "fuzz/<target>/<sha1>"
 *
 * (each string followed by 0xFF). Hex is always lowercase. Nothing here
 * allocates. */
#ifndef FTF_IDS_H
#define FTF_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftf/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SipHash ------------------------------------------------------------- */

/* Incremental SipHash state. A plain struct: initialise with ftf_siphash_init,
 * feed with ftf_siphash_update (any split of the input gives the same hash),
 * read with ftf_siphash_final (which does not change the state). */
typedef struct ftf_siphash {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;   /* pending bytes, little-endian, fewer than 8 */
    uint64_t length; /* total bytes fed */
    unsigned c_rounds, d_rounds;
} ftf_siphash_t;

/* SipHash-1-3 with key (k0, k1): FrankenTorch's and Rust's DefaultHasher. */
void ftf_siphash_init(ftf_siphash_t *h, uint64_t k0, uint64_t k1);
void ftf_siphash_update(ftf_siphash_t *h, const void *data, size_t len);
/* `s` (NUL-terminated; NULL is the empty string) followed by a 0xFF byte: how
 * Rust's `Hash for str` feeds a hasher. */
void ftf_siphash_update_str(ftf_siphash_t *h, const char *s);
uint64_t ftf_siphash_final(const ftf_siphash_t *h);

/* One-shot SipHash-1-3. */
uint64_t ftf_siphash13(uint64_t k0, uint64_t k1, const void *data, size_t len);
/* One-shot SipHash-2-4, the paper's variant: only so the shared core can be
 * checked against the published test vectors. */
uint64_t ftf_siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len);

/* ---- SHA-1 (content ids of fuzz inputs; not for security) --------------- */

typedef struct ftf_sha1 {
    uint32_t h[5];
    uint64_t length; /* bytes fed */
    uint8_t block[64];
    size_t used; /* bytes pending in block */
} ftf_sha1_t;

#define FTF_SHA1_SIZE     20
#define FTF_SHA1_HEX_SIZE 41 /* 40 hex digits + NUL */

void ftf_sha1_init(ftf_sha1_t *s);
void ftf_sha1_update(ftf_sha1_t *s, const void *data, size_t len);
/* Finishes the hash into out; the state must be re-initialised before reuse. */
void ftf_sha1_final(ftf_sha1_t *s, uint8_t out[FTF_SHA1_SIZE]);
/* One-shot, as 40 lowercase hex digits. `data` may be NULL when len is 0. */
void ftf_sha1_hex(const void *data, size_t len, char out[FTF_SHA1_HEX_SIZE]);

/* ---- seeds and ids ------------------------------------------------------- */

/* FrankenTorch's scenario seed: SipHash-1-3(0, 0) over suite_id, fixture_id,
 * packet_id, scenario_id and mode ("strict"/"hardened"), each followed by 0xFF.
 * NULL arguments hash as empty strings. Example: ("dispatch_key",
 * "dispatch_key_cases.json", "FT-P2C-002", "dispatch_key/strict:strict_cpu_route",
 * "strict") -> 6654506012862553729. */
uint64_t ftf_scenario_seed(const char *suite_id, const char *fixture_id, const char *packet_id, const char *scenario_id,
                           const char *mode);

/* Longest scenario id ftf_scenario_id_valid accepts, and a buffer that holds any. */
#define FTF_SCENARIO_ID_MAX  255
#define FTF_SCENARIO_ID_SIZE (FTF_SCENARIO_ID_MAX + 1)
/* Longest suite, case and fuzz-target component. */
#define FTF_ID_COMPONENT_MAX 128

typedef enum ftf_scenario_id_kind {
    FTF_SCENARIO_ID_INVALID = 0,
    FTF_SCENARIO_ID_FIXTURE,   /* {suite}/{mode}:{case} */
    FTF_SCENARIO_ID_GENERATED, /* gen/<16 hex> */
    FTF_SCENARIO_ID_FUZZ       /* fuzz/<target>/<40 hex> */
} ftf_scenario_id_kind_t;

/* Classifies a scenario id, which may come from an untrusted log: `id` is `len`
 * bytes, not necessarily NUL-terminated. The shapes:
 *   - fixture: suite "/" mode ":" case, where suite is a name (below) other than
 *     "gen" and "fuzz", mode is "strict" or "hardened", and case is 1..128 of
 *     [A-Za-z0-9_.+-] starting with a letter or digit;
 *   - "gen/" + exactly 16 lowercase hex digits;
 *   - "fuzz/" + target name + "/" + exactly 40 lowercase hex digits;
 * a name is 1..128 of [A-Za-z0-9_.-] starting with a letter or digit, so no
 * component is empty, "." or "..", and no id holds spaces, quotes, shell
 * metacharacters, backslashes, control bytes or non-ASCII. At most
 * FTF_SCENARIO_ID_MAX bytes in all. Anything else is FTF_SCENARIO_ID_INVALID. */
ftf_scenario_id_kind_t ftf_scenario_id_classify(const char *id, size_t len);

/* True if `id` (NUL-terminated; NULL is invalid) has one of the three shapes. */
bool ftf_scenario_id_valid(const char *id);

/* "{suite}/{mode}:{case}" into buf. FTF_EINVALID_SCENARIO_ID if the result would
 * not be valid (bad characters, too long, mode not strict/hardened; buf then
 * holds ""), FTF_EINVALID_ARGUMENT for NULL arguments. */
ftf_status ftf_fixture_scenario_id(char buf[FTF_SCENARIO_ID_SIZE], const char *suite_id, const char *mode,
                                   const char *case_id);

/* "gen/" + 16 hex of SipHash-1-3(0, 0) over the scenario's canonical encoding
 * (the bytes the generator defines; hashed as given, with no terminator).
 * FTF_EINVALID_ARGUMENT for NULL buf, or NULL data with len > 0. */
ftf_status ftf_generated_scenario_id(char buf[FTF_SCENARIO_ID_SIZE], const void *canonical, size_t len);

/* "fuzz/<target>/<sha1 of input>". If `input_sha1` is non-NULL it receives the 40
 * hex digits too. FTF_EINVALID_SCENARIO_ID if `target` is not a valid name,
 * FTF_EINVALID_ARGUMENT for NULL arguments. */
ftf_status ftf_fuzz_scenario_id(char buf[FTF_SCENARIO_ID_SIZE], const char *target, const void *input, size_t len,
                                char input_sha1[FTF_SHA1_HEX_SIZE]);

/* ---- environment and run ------------------------------------------------- */

/* The key-domain profile every libft build reproduces. */
#define FTF_KEY_PROFILE "c10-1.13"

/* "det64:" + 16 hex + NUL. */
#define FTF_ENV_FINGERPRINT_SIZE 23
/* "run-" + 16 hex + NUL. */
#define FTF_RUN_ID_SIZE 21

/* What the environment fingerprint covers. Strings are borrowed; NULL hashes as "". */
typedef struct ftf_env {
    const char *tool_version; /* e.g. "0.1.0" */
    const char *os;           /* e.g. "linux" */
    const char *arch;         /* e.g. "x86_64" */
    const char *compiler;     /* e.g. "gcc 12.2.0" */
    const char *build_type;   /* e.g. "release", "debug", "release+asan" */
    const char *key_profile;  /* FTF_KEY_PROFILE */
} ftf_env_t;

/* Storage for the strings ftf_env_detect fills in. */
typedef struct ftf_env_storage {
    char os[65];
    char arch[65];
    char compiler[64];
    char build_type[32];
} ftf_env_storage_t;

/* Fills `env` for this build and machine: OS and arch from uname() (lowercased
 * sysname, machine), compiler and build type from the compile-time macros of
 * this library's build (build type: "release" with NDEBUG else "debug", plus
 * "+asan" when AddressSanitizer is known to be on), key profile
 * FTF_KEY_PROFILE. `tool_version` is borrowed. Strings point into `storage`,
 * which must outlive `env`. FTF_EINVALID_ARGUMENT for NULL env or storage. */
ftf_status ftf_env_detect(ftf_env_t *env, ftf_env_storage_t *storage, const char *tool_version);

/* "det64:" + 16 lowercase hex of SipHash-1-3(0, 0) over tool_version, os, arch,
 * compiler, build_type and key_profile, each followed by 0xFF. Deterministic:
 * depends on nothing but `env`. FTF_EINVALID_ARGUMENT for NULL arguments. */
ftf_status ftf_env_fingerprint(const ftf_env_t *env, char out[FTF_ENV_FINGERPRINT_SIZE]);

/* "run-" + 16 lowercase hex of SipHash-1-3(0, 0) over the run seed (8 bytes,
 * little-endian) and then `tool` followed by 0xFF (NULL is ""). */
ftf_status ftf_run_id(char out[FTF_RUN_ID_SIZE], uint64_t run_seed, const char *tool);

/* Shape checks for untrusted text (`len` bytes, not necessarily NUL-terminated). */
bool ftf_run_id_valid(const char *s, size_t len);          /* run-<16 lowercase hex> */
bool ftf_env_fingerprint_valid(const char *s, size_t len); /* det64:<16 lowercase hex> */

/* Writes 16 lowercase hex digits of `v` (zero-padded) and a NUL: 17 bytes. */
void ftf_hex16(uint64_t v, char out[17]);

#ifdef __cplusplus
}
#endif

#endif
