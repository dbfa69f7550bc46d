/* The empty fuzz target: what bench/fuzz_bench.sh measures an engine's own
 * cost per input with (built like the real targets, with FT_FUZZ_BENCH_EMPTY). */
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)data;
    (void)size;
    return 0;
}
