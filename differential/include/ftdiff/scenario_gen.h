/* libftdiff — the seeded scenario generator.
 *
 * Scenario i of a campaign with seed S depends on (S, i) alone, so any shard or
 * job split of a campaign generates the same scenarios, and one scenario can be
 * regenerated without the others. The mix covers every op (built-in and custom
 * with random registration subsets), both dtypes, special values (NaN with
 * payloads, ±0, ±inf, subnormals, max/min normals), requires_grad combinations,
 * grad mode off, random include/exclude sets, raw keysets over the whole 64-bit
 * word (unknown bits, placeholders, aliases' bits, adversarial), programs of up
 * to 30 ops with shared subexpressions, registration sets and keyset algebra.
 *
 * Thread-safety: pure function of its arguments. */
#ifndef FTDIFF_SCENARIO_GEN_H
#define FTDIFF_SCENARIO_GEN_H

#include "ftdiff/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Generates scenario `index` of the campaign seeded `seed` into *out. */
void ftd_generate(uint64_t seed, uint64_t index, ftd_scenario_t *out);

/* The built-in operators, in registration order (names). */
extern const char *const ftd_builtin_ops[];
#define FTD_BUILTIN_OP_COUNT 10

#ifdef __cplusplus
}
#endif

#endif
