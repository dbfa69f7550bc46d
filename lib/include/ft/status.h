/* libft — error codes.
 *
 * Every fallible function returns an ft_status: FT_OK (0) or a negative code. Each
 * code has a stable reason-code string (ft_status_code, e.g. "unknown_bits") that
 * logs, fixtures and the batch interface use, and a one-line English message
 * (ft_strerror). The numeric values are part of the ABI: append, never renumber.
 *
 * The detail of a failure — which key, which operator, which variable — is an
 * ft_error_t: each context object keeps its last one (ft_registry_last_error,
 * ft_tape_last_error, ft_session_last_error; like libgit2's git_error_last, but
 * per object, so there is no global or thread-local state), and context-free
 * checks fill one the caller supplies (ft_table_check_keys).
 *
 * Thread-safety: every function here is pure (static strings, no state). */
#ifndef FT_STATUS_H
#define FT_STATUS_H

#include "ft/common.h"

FT_BEGIN_DECLS

typedef enum ft_status {
    FT_OK = 0,
    /* keyset text and keyset validation (SPEC §3, §6), in validation order */
    FT_EUNKNOWN_BITS = -1,     /* "unknown_bits": bits 54..63 set */
    FT_EALIAS_IN_KEYSET = -2,  /* "alias_in_keyset" */
    FT_EUNKNOWN_KEY_NAME = -3, /* "unknown_key_name" */
    FT_EPARSE = -4,            /* "parse_error": malformed text, overflow, empty name */
    FT_EEMPTY_SET = -5,        /* "empty_set": raw 0 */
    FT_ENO_TYPE_KEY = -6,      /* "no_type_key": backend bits, no functionality */
    FT_ENO_BACKEND_KEY = -7,   /* "no_backend_key": per-backend functionality, no backend */
    FT_EINCOMPATIBLE_SET = -8, /* "incompatible_set": autograd without a backend functionality */
    /* routing */
    FT_ENO_KERNEL = -9,                 /* "no_kernel": computed entry is missing */
    FT_EUNSUPPORTED_FALLBACK = -10,     /* "unsupported_fallback": non-fallthrough backend fallback */
    FT_EAMBIGUOUS_AUTOGRAD_OTHER = -11, /* "ambiguous_autograd_other" */
    FT_ECOMPOSITE_REJECTED = -12,       /* "composite_fallback_rejected": strict mode only */
    /* kernels */
    FT_EDTYPE_MISMATCH = -13,  /* "dtype_mismatch" */
    FT_EDEVICE_MISMATCH = -14, /* "device_mismatch" */
    /* keys, registry, arguments */
    FT_EUNKNOWN_KEY_ID = -15,       /* "unknown_key_id": not a DispatchKey id (0..121) */
    FT_EUNKNOWN_OP = -16,           /* "unknown_op" */
    FT_EDUPLICATE_OP = -17,         /* "duplicate_op" */
    FT_EINVALID_OP_NAME = -18,      /* "invalid_op_name" */
    FT_EINVALID_REGISTRATION = -19, /* "invalid_registration" */
    FT_EINVALID_ARGUMENT = -20,     /* "invalid_argument" */
    FT_EDISPATCH_DEPTH = -21,       /* "dispatch_depth_exceeded": composite recursion */
    FT_ENOMEM = -22,                /* "out_of_memory" */
    /* autograd */
    FT_EUNKNOWN_VAR = -23,    /* "unknown_var": not a variable of this tape */
    FT_EROOT_NO_GRAD = -24,   /* "root_does_not_require_grad" */
    FT_EGRAPH_RELEASED = -25, /* "graph_released": backward twice without retain_graph */
    FT_ENO_DERIVATIVE = -26,  /* "derivative_not_implemented" */
    FT_ETAPE_FULL = -27       /* "tape_full": more variables than a tape holds */
} ft_status;

/* Lowest (most negative) code; codes run from FT_STATUS_MIN to FT_OK. */
#define FT_STATUS_MIN FT_ETAPE_FULL

/* Stable reason-code string ("ok", "unknown_bits", ...); "invalid_status" for a
 * value that is not an ft_status. Never NULL, static storage. */
FT_API const char *ft_status_code(ft_status status);

/* One-line human message. Never NULL, static storage. */
FT_API const char *ft_strerror(ft_status status);

/* The last failure of a context object, or a caller's error out-parameter. */
#define FT_ERROR_MESSAGE_MAX 256
typedef struct ft_error {
    ft_status code;                     /* FT_OK when nothing has failed yet */
    char message[FT_ERROR_MESSAGE_MAX]; /* one line, NUL-terminated, no trailing period,
                                         * e.g. "duplicate registration for CPU"; "" with FT_OK.
                                         * Names from callers appear with bytes outside
                                         * printable ASCII shown as '?' */
} ft_error_t;

/* Inverse of ft_status_code. Returns FT_EINVALID_ARGUMENT if `code` names no
 * status (and leaves *out untouched). */
FT_API ft_status ft_status_from_code(const char *code, ft_status *out);

FT_END_DECLS

#endif
