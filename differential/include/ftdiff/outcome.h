/* libftdiff — outcomes: what running a scenario in one mode produced.
 *
 * Every implementation the harness compares — libft (the subject), the
 * independent reference model, fixtures, live torch — reports through these
 * plain structs, so a comparator never knows which implementation it is
 * looking at. Only libft's public types appear here (keys, statuses, tags). */
#ifndef FTDIFF_OUTCOME_H
#define FTDIFF_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/dispatch.h"
#include "ft/key.h"
#include "ft/op.h"
#include "ft/status.h"
#include "ftdiff/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FTD_KERNEL_NAME_MAX 64
#define FTD_MAX_HOPS        32

typedef struct ftd_hop {
    ft_key_t key;    /* runtime key looked up */
    ft_key_t source; /* registration that supplied the entry (Undefined if none) */
    ft_table_tag_t tag;
    bool fallthrough;
    char kernel[FTD_KERNEL_NAME_MAX]; /* "" when the entry has no kernel */
} ftd_hop_t;

/* One dispatch call. On an error, status is its code and the fields the walk
 * reached are still filled (selected key, route so far, mode split). */
typedef struct ftd_dispatch_outcome {
    ft_status status;
    uint64_t keyset;                  /* input keyset (operands' union or the explicit word) */
    uint64_t effective_keyset;        /* after include/exclude */
    uint64_t unknown_mask;            /* with FT_EUNKNOWN_BITS */
    ft_key_t selected_key;            /* first non-fallthrough key (Undefined if none) */
    ft_key_t backend_key;             /* highestPriorityBackendTypeId of the effective keyset */
    char kernel[FTD_KERNEL_NAME_MAX]; /* kernel that ended the walk, "" if none */
    bool fallback_used;
    ft_mode_split_t mode_split;
    size_t hop_count;
    ftd_hop_t hops[FTD_MAX_HOPS];
    bool has_value; /* status == FT_OK */
    uint64_t value_bits;
    ft_dtype_t dtype;
    bool requires_grad; /* the result's (an autograd node was recorded) */
} ftd_dispatch_outcome_t;

/* An autograd program: forward values, then backward from the root. Runs stop at
 * the first op that fails (op_status of the later ops is left FT_OK, ran false). */
typedef struct ftd_program_outcome {
    size_t ran;                        /* ops executed (== op_count unless one failed) */
    ft_status failed_status;           /* status of op `ran` when ran < op_count */
    uint64_t value_bits[FTD_MAX_VARS]; /* leaves, then op outputs */
    bool requires_grad[FTD_MAX_VARS];
    bool backward_ran; /* forward completed and the root requires grad */
    ft_status backward_status;
    size_t order_count; /* backward execution order: op output vars */
    uint32_t order[FTD_MAX_PROGRAM_OPS];
    bool grad_defined[FTD_MAX_LEAVES];  /* leaf reached by backward */
    uint64_t grad_bits[FTD_MAX_LEAVES]; /* leaf .grad bits (dtype of the leaf) */
} ftd_program_outcome_t;

/* A computed dispatch table over every runtime key id (entries for non-runtime
 * ids are left zero). */
typedef struct ftd_table_entry {
    ft_table_tag_t tag;
    ft_key_t source;
    bool fallthrough;
} ftd_table_entry_t;

typedef struct ftd_table_outcome {
    ft_status status; /* registration result; entries valid only when FT_OK */
    ftd_table_entry_t entries[FT_KEY_ID_COUNT];
} ftd_table_outcome_t;

/* Keyset algebra on two raw words a, b and a key k. */
typedef struct ftd_keyset_outcome {
    uint64_t union_bits, and_bits, xor_bits, sub_bits; /* a|b, a&b, a^b, a-b (c10 remove) */
    uint64_t add_key_bits, remove_key_bits;            /* a + k, a - k */
    bool has_key;                                      /* a.has(k) */
    uint64_t key_bits;                                 /* KS(k) */
    ft_key_t highest_functionality;                    /* of a */
    ft_backend_t highest_backend;                      /* of a */
    ft_key_t highest_priority;                         /* highestPriorityTypeId(a) */
    ft_key_t highest_priority_backend;                 /* highestPriorityBackendTypeId(a) */
    uint64_t full_after_bits;                          /* FULL_AFTER(k), any key (aliases: as Undefined) */
    ft_status parse_status;                            /* parse(canonical text of a) */
    uint64_t parse_bits;                               /* its raw bits when FT_OK */
    ft_status validate_status;                         /* dispatch validation of a alone */
} ftd_keyset_outcome_t;

#ifdef __cplusplus
}
#endif

#endif
