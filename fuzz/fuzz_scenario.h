/* fuzz/ — the byte layouts of route_select and autograd_program (each is
 * documented in its target's header comment): the decoders the targets run,
 * and encoders for the corpus tool (fuzz/tools/make_corpus.c), so that the
 * campaign's own scenario generator can seed the corpora.
 *
 * Decoding never fails: bytes past the end read as 0 and trailing bytes are
 * ignored, so every byte string is a valid scenario. Encoding fails (returns
 * 0) only for a scenario the layout cannot hold; otherwise
 * decode(encode(s)) == s (ftd_scenario_equal). */
#ifndef FTFZ_FUZZ_SCENARIO_H
#define FTFZ_FUZZ_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "ftdiff/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest encoding of either layout. */
#define FTFZ_SCENARIO_BYTES_MAX 512

void ftfz_decode_dispatch(const uint8_t *data, size_t size, ftd_scenario_t *s);
size_t ftfz_encode_dispatch(const ftd_scenario_t *s, uint8_t buf[FTFZ_SCENARIO_BYTES_MAX]);

void ftfz_decode_program(const uint8_t *data, size_t size, ftd_scenario_t *s);
size_t ftfz_encode_program(const ftd_scenario_t *s, uint8_t buf[FTFZ_SCENARIO_BYTES_MAX]);

#ifdef __cplusplus
}
#endif

#endif
