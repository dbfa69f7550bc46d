/* Error codes: stable reason-code strings and messages. */
#include <string.h>

#include "ftf/status.h"

typedef struct {
    const char *code;
    const char *message;
} status_text_t;

/* Indexed by -status; the order is the enum's. */
static const status_text_t status_texts[] = {
    {"ok", "success"},
    {"invalid_argument", "invalid argument"},
    {"out_of_memory", "out of memory"},
    {"io_error", "input/output error"},
    {"not_found", "not found"},
    {"corrupt", "corrupt data (bad gzip member, checksum or header)"},
    {"truncated", "data ends early (torn or truncated)"},
    {"bad_record", "not a valid ft-forensics record"},
    {"line_too_long", "record line is longer than the limit"},
    {"stale_index", "locator is stale: the log changed after the locator was written"},
    {"foreign_index", "locator belongs to another log"},
    {"unsupported_version", "unsupported schema or format version"},
    {"invalid_scenario_id", "scenario id is not {suite}/{mode}:{case}, gen/<16 hex> or fuzz/<target>/<sha1>"},
    {"limit_exceeded", "a count or size is over its limit"},
};

_Static_assert(sizeof status_texts / sizeof status_texts[0] == (size_t)(-FTF_STATUS_MIN) + 1,
               "every ftf_status needs a text");

static const status_text_t *lookup(ftf_status status) {
    int i = -(int)status;
    if (i < 0 || i > -(int)FTF_STATUS_MIN)
        return NULL;
    return &status_texts[i];
}

const char *ftf_status_code(ftf_status status) {
    const status_text_t *t = lookup(status);
    return t ? t->code : "invalid_status";
}

const char *ftf_strerror(ftf_status status) {
    const status_text_t *t = lookup(status);
    return t ? t->message : "not an ftf_status value";
}

ftf_status ftf_status_from_code(const char *code, ftf_status *out) {
    if (!code || !out)
        return FTF_EINVALID_ARGUMENT;
    for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++) {
        if (strcmp(status_texts[i].code, code) == 0) {
            *out = (ftf_status) - (int)i;
            return FTF_OK;
        }
    }
    return FTF_EINVALID_ARGUMENT;
}
