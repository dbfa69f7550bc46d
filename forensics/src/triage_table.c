/* The triage table: class, severity and owner hint of every reason code a log
 * can carry — libft's status codes, the differential verdicts (SPEC §9), the
 * comparator names and their mismatch codes, and crash types (sanitizer and
 * signal names as ClusterFuzz spells them, normalised). test_triage.c checks
 * that every libft status code (FT_STATUS_MIN..FT_OK) and every verdict has a
 * row and that no class is "unclassified". Append rows; classes are stable
 * strings that dashboards group by. */
#include <string.h>

#include "ftf/triage.h"

#define OWN_KEYSET   "lib/keyset (ft/keyset.h)"
#define OWN_DISPATCH "lib/dispatch (ft/dispatch.h)"
#define OWN_POLICY   "lib/dispatch: strict/hardened policy"
#define OWN_TENSOR   "lib/tensor (ft/tensor.h)"
#define OWN_KEY      "lib/key (ft/key.h)"
#define OWN_OP       "lib/op (ft/op.h)"
#define OWN_TAPE     "lib/tape (ft/tape.h)"
#define OWN_KERNELS  "lib/kernels (float semantics)"
#define OWN_DIFF     "differential (comparators)"
#define OWN_ORACLE   "differential/oracle (PyTorch 1.13 fixtures)"
#define OWN_ALLOW    "differential (allowlist)"
#define OWN_HARNESS  "harness (caller of libft)"
#define OWN_CRASH    "lib (see crash_state frames)"

#define ST  FTF_REASON_FT_STATUS
#define VD  FTF_REASON_VERDICT
#define CMP FTF_REASON_COMPARATOR
#define CR  FTF_REASON_CRASH_TYPE

static const ftf_triage_rule_t table[] = {
    /* libft status codes (ft_status_code) */
    {"ok", ST, "no_error_status", FTF_SEVERITY_LOW, OWN_HARNESS},
    {"unknown_bits", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"alias_in_keyset", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"unknown_key_name", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"parse_error", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"empty_set", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"no_type_key", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"no_backend_key", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"incompatible_set", ST, "keyset_validation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"no_kernel", ST, "dispatch_routing", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"unsupported_fallback", ST, "dispatch_routing", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"ambiguous_autograd_other", ST, "dispatch_routing", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"composite_fallback_rejected", ST, "mode_split_policy", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"dtype_mismatch", ST, "operand_validation", FTF_SEVERITY_MEDIUM, OWN_TENSOR},
    {"device_mismatch", ST, "operand_validation", FTF_SEVERITY_MEDIUM, OWN_TENSOR},
    {"unknown_key_id", ST, "key_registry", FTF_SEVERITY_MEDIUM, OWN_KEY},
    {"unknown_op", ST, "op_registry", FTF_SEVERITY_MEDIUM, OWN_OP},
    {"duplicate_op", ST, "op_registry", FTF_SEVERITY_MEDIUM, OWN_OP},
    {"invalid_op_name", ST, "op_registry", FTF_SEVERITY_MEDIUM, OWN_OP},
    {"invalid_registration", ST, "op_registry", FTF_SEVERITY_MEDIUM, OWN_OP},
    {"invalid_argument", ST, "api_misuse", FTF_SEVERITY_LOW, OWN_HARNESS},
    {"dispatch_depth_exceeded", ST, "dispatch_routing", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"out_of_memory", ST, "resource_exhaustion", FTF_SEVERITY_MEDIUM, "lib (allocation)"},
    {"unknown_var", ST, "autograd", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"root_does_not_require_grad", ST, "autograd", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"graph_released", ST, "autograd", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"derivative_not_implemented", ST, "autograd", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"tape_full", ST, "autograd", FTF_SEVERITY_HIGH, OWN_TAPE},

    /* differential verdicts (SPEC §9) */
    {"pass", VD, "pass", FTF_SEVERITY_NONE, OWN_DIFF},
    {"expected_error_observed", VD, "expected_error", FTF_SEVERITY_NONE, OWN_DIFF},
    {"allowlisted_drift", VD, "allowlisted_drift", FTF_SEVERITY_INFO, OWN_ALLOW},
    {"blocking_drift", VD, "blocking_drift", FTF_SEVERITY_HIGH, OWN_DIFF},
    {"oracle_unavailable", VD, "oracle_gap", FTF_SEVERITY_LOW, OWN_ORACLE},
    {"harness_error", VD, "harness_failure", FTF_SEVERITY_HIGH, "differential (the harness itself)"},

    /* comparators (SPEC §9) and their mismatch codes */
    {"exact", CMP, "numeric_drift", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"ulp", CMP, "numeric_drift", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"abs_rel", CMP, "numeric_drift", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"tolerance", CMP, "numeric_drift", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"value_mismatch", CMP, "numeric_drift", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"output", CMP, "numeric_drift", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"selected_key", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"selected_key_mismatch", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"backend_key", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"backend_key_mismatch", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"kernel", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"kernel_mismatch", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"fallback", CMP, "fallback_drift", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"fallback_mismatch", CMP, "fallback_drift", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"error_code", CMP, "error_code_drift", FTF_SEVERITY_HIGH, "lib (ft/status.h)"},
    {"error_code_mismatch", CMP, "error_code_drift", FTF_SEVERITY_HIGH, "lib (ft/status.h)"},
    {"mode_split", CMP, "mode_split_drift", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"mode_split_mismatch", CMP, "mode_split_drift", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"commutativity", CMP, "metamorphic_violation", FTF_SEVERITY_MEDIUM, OWN_KERNELS},
    {"union_order", CMP, "metamorphic_violation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"round_trip", CMP, "metamorphic_violation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"metamorphic_violation", CMP, "metamorphic_violation", FTF_SEVERITY_MEDIUM, OWN_DIFF},
    {"determinism", CMP, "nondeterminism", FTF_SEVERITY_HIGH, "lib (session, tape)"},
    {"nondeterminism", CMP, "nondeterminism", FTF_SEVERITY_HIGH, "lib (session, tape)"},
    {"adversarial", CMP, "adversarial_input", FTF_SEVERITY_HIGH, OWN_KEYSET},
    {"adversarial_check_failed", CMP, "adversarial_input", FTF_SEVERITY_HIGH, OWN_KEYSET},
    {"gradient", CMP, "gradient_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"grad_mismatch", CMP, "gradient_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"forward_dual", CMP, "gradient_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"torch_gradient", CMP, "gradient_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    /* ft-campaign's comparators (differential/include/ftdiff/compare.h) */
    {"keyset_bits", CMP, "keyset_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"route", CMP, "routing_drift", FTF_SEVERITY_HIGH, OWN_DISPATCH},
    {"fallback_flag", CMP, "fallback_drift", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"requires_grad", CMP, "autograd_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"mode_split_policy", CMP, "mode_split_drift", FTF_SEVERITY_HIGH, OWN_POLICY},
    {"table_entry", CMP, "table_drift", FTF_SEVERITY_HIGH, OWN_OP},
    {"registration_order", CMP, "metamorphic_violation", FTF_SEVERITY_HIGH, OWN_OP},
    {"keyset_algebra", CMP, "keyset_drift", FTF_SEVERITY_HIGH, OWN_KEYSET},
    {"priority", CMP, "keyset_drift", FTF_SEVERITY_HIGH, OWN_KEYSET},
    {"full_after", CMP, "keyset_drift", FTF_SEVERITY_HIGH, OWN_KEYSET},
    {"parse_round_trip", CMP, "metamorphic_violation", FTF_SEVERITY_MEDIUM, OWN_KEYSET},
    {"validation", CMP, "keyset_validation_drift", FTF_SEVERITY_HIGH, OWN_KEYSET},
    {"program_values", CMP, "numeric_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"grad_dual", CMP, "gradient_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"grad_finite_diff", CMP, "gradient_drift", FTF_SEVERITY_MEDIUM, OWN_TAPE},
    {"backward", CMP, "autograd_drift", FTF_SEVERITY_HIGH, OWN_TAPE},
    {"fixture", CMP, "fixture_drift", FTF_SEVERITY_HIGH, "differential/fixtures (expectations)"},
    {"torch", CMP, "oracle_drift", FTF_SEVERITY_HIGH, OWN_ORACLE},

    /* crash types (normalised: lowercase, '-' between words) */
    {"heap-buffer-overflow", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"stack-buffer-overflow", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"stack-buffer-underflow", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"global-buffer-overflow", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"container-overflow", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"heap-use-after-free", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"use-after-free", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"use-after-poison", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"stack-use-after-return", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"stack-use-after-scope", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"double-free", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"bad-free", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"alloc-dealloc-mismatch", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"unknown-crash", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"negative-size-param", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"memcpy-param-overlap", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"uninitialized-value", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"segv", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"null-dereference", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"bus", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"ill", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"fpe", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"abrt", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"crash", CR, "crash", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"assertion-failure", CR, "assertion", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"check-failure", CR, "assertion", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"undefined-behavior", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"integer-overflow", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"divide-by-zero", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"misaligned-address", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"bad-cast", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"invalid-shift", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"stack-overflow", CR, "resource_exhaustion", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"out-of-memory", CR, "resource_exhaustion", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"timeout", CR, "resource_exhaustion", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"leak", CR, "resource_leak", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"memory-leak", CR, "resource_leak", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    /* what forensics/src/crash_report.c reads out of sanitizer and libFuzzer reports */
    {"dynamic-stack-buffer-overflow", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"new-delete-type-mismatch", CR, "memory_safety", FTF_SEVERITY_CRITICAL, OWN_CRASH},
    {"initialization-order-fiasco", CR, "memory_safety", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"odr-violation", CR, "memory_safety", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"allocation-size-too-big", CR, "resource_exhaustion", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"calloc-overflow", CR, "resource_exhaustion", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"index-out-of-bounds", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"invalid-value", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"pointer-overflow", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"unreachable", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"missing-return", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"vla-bound", CR, "undefined_behavior", FTF_SEVERITY_HIGH, OWN_CRASH},
    {"implicit-conversion", CR, "undefined_behavior", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"float-cast-overflow", CR, "undefined_behavior", FTF_SEVERITY_MEDIUM, OWN_CRASH},
    {"fuzz-target-exited", CR, "fuzz_target_misuse", FTF_SEVERITY_MEDIUM, "fuzz (the target itself)"},
    {"overwrites-const-input", CR, "fuzz_target_misuse", FTF_SEVERITY_MEDIUM, "fuzz (the target itself)"},
};

const ftf_triage_rule_t ftf_triage_unknown_rule = {"", FTF_REASON_UNKNOWN, FTF_TRIAGE_UNKNOWN_CLASS,
                                                   FTF_SEVERITY_MEDIUM,
                                                   "triage (add the reason code to forensics/src/triage_table.c)"};

size_t ftf_triage_table_count(void) {
    return sizeof table / sizeof table[0];
}

const ftf_triage_rule_t *ftf_triage_table_at(size_t i) {
    return i < ftf_triage_table_count() ? &table[i] : NULL;
}

static const ftf_triage_rule_t *find_exact(const char *s, size_t len, ftf_reason_kind_t only, bool any) {
    for (size_t i = 0; i < ftf_triage_table_count(); i++)
        if ((any || table[i].kind == only) && strlen(table[i].reason_code) == len &&
            memcmp(table[i].reason_code, s, len) == 0)
            return &table[i];
    return NULL;
}

const ftf_triage_rule_t *ftf_triage_lookup(const char *reason_code, size_t len) {
    if (!reason_code || len == 0)
        return NULL;
    const ftf_triage_rule_t *r = find_exact(reason_code, len, FTF_REASON_UNKNOWN, true);
    if (r)
        return r;
    /* a crash type: normalise, then drop trailing words until one matches
       ("segv-on-unknown-address" -> "segv") */
    char norm[FTF_SIG_FIELD_SIZE];
    size_t n = ftf_triage_normalize_crash_type(reason_code, len, norm);
    while (n) {
        if ((r = find_exact(norm, n, FTF_REASON_CRASH_TYPE, false)))
            return r;
        while (n && norm[n - 1] != '-')
            n--;
        if (n)
            n--;
    }
    return NULL;
}

const char *ftf_reason_kind_name(ftf_reason_kind_t kind) {
    switch (kind) {
    case FTF_REASON_FT_STATUS:
        return "ft_status";
    case FTF_REASON_VERDICT:
        return "verdict";
    case FTF_REASON_COMPARATOR:
        return "comparator";
    case FTF_REASON_CRASH_TYPE:
        return "crash_type";
    case FTF_REASON_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

const char *ftf_severity_name(ftf_severity_t severity) {
    switch (severity) {
    case FTF_SEVERITY_NONE:
        return "none";
    case FTF_SEVERITY_INFO:
        return "info";
    case FTF_SEVERITY_LOW:
        return "low";
    case FTF_SEVERITY_MEDIUM:
        return "medium";
    case FTF_SEVERITY_HIGH:
        return "high";
    case FTF_SEVERITY_CRITICAL:
        return "critical";
    }
    return "medium";
}
