/* Fuzz target autograd_program: a bounded program of binary ops over scalar
 * leaves, then backward from a root, judged in strict and hardened mode:
 * forward values bit for bit against the reference model, the tape's
 * gradients against forward-mode dual numbers (central finite differences
 * decide at kinks and poles), backward runs exactly when it must, two runs
 * identical, and the split policy.
 *
 * Layout (decoded by ftfz_decode_program in fuzz_scenario.c; bytes past the
 * end read as 0, trailing bytes are ignored: every byte string is a valid
 * program):
 *
 *   offset  size  field
 *   0       1     bits 0-2: leaf count - 1 (1..8); bit 3: float32 (else
 *                 float64, for every leaf); bit 4: grad mode off; bit 5: an
 *                 exclude word follows; bit 6: an include word follows
 *   1       1     requires_grad: bit i for leaf i
 *   2       1     op count: byte mod 33 (0..32)
 *   3       8     [bit 5] XORed into c10's default exclude set
 *   ..      8     [bit 6] XORed into c10's default include set
 *   ..      2+    per leaf: int16 v, little-endian: the value v / 64 (exact in
 *                 both dtypes); v = -32768 escapes to the raw IEEE bits that
 *                 follow (8 bytes, or 4 for float32): NaNs, infinities,
 *                 subnormals, signed zeros
 *   ..      3     per op: op (byte mod 10: add, sub, mul, div, maximum,
 *                 minimum, atan2, pow, rsub, sqdiff), lhs and rhs (byte mod the
 *                 number of variables so far: leaves, then earlier ops)
 *   ..      1     root: variable (count - 1 - byte mod count), so a missing
 *                 byte means the last op
 *
 * A blocking verdict or a harness error is a violation:
 * ft-diff:autograd_program:<comparator>:<reason>:program:<modes>. */
#include "fuzz_check.h"
#include "fuzz_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ftd_scenario_t s;
    ftfz_decode_program(data, size, &s);
    ftfz_check_scenario("autograd_program", &s, FTD_MODE_STRICT_BIT | FTD_MODE_HARDENED_BIT, data, size);
    return 0;
}
