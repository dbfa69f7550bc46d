/* Fuzz target route_select: one dispatch call, judged in strict and hardened
 * mode against the reference model and the mode-split policy.
 *
 * The input is a compact binary scenario (decoded by ftfz_decode_dispatch in
 * fuzz_scenario.c, which also encodes campaign scenarios for the seeds); bytes
 * past the end read as 0 and trailing bytes are ignored, so every byte string
 * is a valid scenario.
 *
 *   offset  size  field
 *   0       1     op: low nibble 0..9 a built-in (add, sub, mul, div, maximum,
 *                 minimum, atan2, pow, rsub, sqdiff); 10..15 the custom
 *                 operator "custom_op", whose registration count is the high
 *                 nibble (0..15; the keys come last)
 *   1       1     flags: bit 0 lhs float32 (else float64), bit 1 rhs float32,
 *                 bit 2 lhs requires_grad, bit 3 rhs requires_grad, bit 4 grad
 *                 mode off, bit 5 an explicit raw keyset follows, bit 6 an
 *                 include word follows, bit 7 an exclude word follows
 *   2       1     devices: low nibble lhs, high nibble rhs; 1..14 the backend
 *                 component (CPU, CUDA, HIP, XLA, MPS, IPU, XPU, HPU, VE, Lazy,
 *                 Meta, PrivateUse1..3), 0 and 15 CPU
 *   3       8     lhs raw IEEE bits, little-endian (float32: the low 4 bytes)
 *   11      8     rhs raw IEEE bits
 *   19      8     [bit 5] the raw 64-bit keyset to dispatch on (any word:
 *                 unknown bits, placeholders, no backend ...)
 *   ..      8     [bit 6] XORed into c10's default include set
 *   ..      8     [bit 7] XORed into c10's default exclude set
 *   ..      n     [custom] one byte per registration: key id = byte mod 122
 *                 (runtime, alias, or ones the registry must reject)
 *
 * The scenario goes to ftd_check_scenario in both modes: libft vs the
 * reference model (status, keysets, selected and backend key, kernel, route,
 * fallback flag, mode split, output bits, requires_grad), two runs identical,
 * commutativity where it holds, and the split policy (strict and hardened
 * agree except for the allowlisted composite fallback). A blocking verdict or
 * a harness error is a violation: ft-diff:route_select:<comparator>:<reason>:
 * <op>:<modes>. */
#include "fuzz_check.h"
#include "fuzz_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ftd_scenario_t s;
    ftfz_decode_dispatch(data, size, &s);
    ftfz_check_scenario("route_select", &s, FTD_MODE_STRICT_BIT | FTD_MODE_HARDENED_BIT, data, size);
    return 0;
}
