/* Error codes: stable reason-code strings and messages, and the per-object
 * error records. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error_internal.h"

typedef struct {
    const char *code;
    const char *message;
} status_text_t;

/* Indexed by -status; the order is the enum's. */
static const status_text_t status_texts[] = {
    {"ok", "success"},
    {"unknown_bits", "keyset has bits outside the PyTorch 1.13 key domain (bits 54..63)"},
    {"alias_in_keyset", "alias keys are registration-only and never appear in a keyset"},
    {"unknown_key_name", "no PyTorch 1.13 dispatch key has this name"},
    {"parse_error", "malformed keyset text"},
    {"empty_set", "keyset is empty"},
    {"no_type_key", "keyset has backend bits but no functionality key"},
    {"no_backend_key", "keyset has a per-backend functionality but no backend bit"},
    {"incompatible_set", "keyset has an autograd key without a dense, sparse, quantized or nested functionality"},
    {"no_kernel", "operator has no kernel for the selected key"},
    {"unsupported_fallback", "selected key has a non-fallthrough backend fallback that libft does not model"},
    {"ambiguous_autograd_other",
     "AutogradOther entry is ambiguous (CompositeImplicitAutograd with an AutogradOther backend kernel)"},
    {"composite_fallback_rejected", "strict mode rejects a composite (default backend, math or nested) kernel"},
    {"dtype_mismatch", "operands have different dtypes"},
    {"device_mismatch", "operands are on different devices"},
    {"unknown_key_id", "no PyTorch 1.13 dispatch key has this id"},
    {"unknown_op", "no operator with this name is registered"},
    {"duplicate_op", "an operator with this name is already registered"},
    {"invalid_op_name", "operator names are 1..63 characters of [A-Za-z0-9_.:] starting with a letter or '_'"},
    {"invalid_registration", "invalid kernel registration"},
    {"invalid_argument", "invalid argument"},
    {"dispatch_depth_exceeded", "nested dispatch deeper than the limit (composite kernel recursion?)"},
    {"out_of_memory", "out of memory"},
    {"unknown_var", "no such variable on this tape"},
    {"root_does_not_require_grad", "backward root does not require grad and has no grad_fn"},
    {"graph_released", "trying to backward through the graph a second time (use retain_graph)"},
    {"derivative_not_implemented", "the operator's autograd kernel has no derivative"},
    {"tape_full", "the tape holds the maximum number of variables"},
};

_Static_assert(sizeof status_texts / sizeof status_texts[0] == (size_t)(-FT_STATUS_MIN) + 1,
               "every ft_status needs a text");

static const status_text_t *lookup(ft_status status) {
    int i = -(int)status;
    if (i < 0 || i > -(int)FT_STATUS_MIN)
        return NULL;
    return &status_texts[i];
}

const char *ft_status_code(ft_status status) {
    const status_text_t *t = lookup(status);
    return t ? t->code : "invalid_status";
}

const char *ft_strerror(ft_status status) {
    const status_text_t *t = lookup(status);
    return t ? t->message : "not an ft_status value";
}

ft_status ft_status_from_code(const char *code, ft_status *out) {
    if (!code || !out)
        return FT_EINVALID_ARGUMENT;
    for (int i = 0; i <= -(int)FT_STATUS_MIN; i++) {
        if (strcmp(status_texts[i].code, code) == 0) {
            *out = (ft_status)-i;
            return FT_OK;
        }
    }
    return FT_EINVALID_ARGUMENT;
}

ft_status ftp_error_set(ft_error_t *err, ft_status code, const char *fmt, ...) {
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (n < 0)
        err->message[0] = '\0';
    return code;
}

void ftp_error_clear(ft_error_t *err) {
    if (err) {
        err->code = FT_OK;
        err->message[0] = '\0';
    }
}

const char *ftp_error_name(const char *name, char buf[FTP_ERROR_NAME_BUF]) {
    enum { SHOWN = 64 };
    if (!name) {
        memcpy(buf, "(null)", sizeof "(null)");
        return buf;
    }
    size_t i = 0;
    for (; name[i] && i < SHOWN; i++) {
        const unsigned char c = (unsigned char)name[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (name[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}
