/* Growing a heap array by doubling: the one helper for every growable array
 * of the library (registry operators and records, tape variables, nodes and
 * lists). Private. */
#ifndef FT_ARRAY_GROW_H
#define FT_ARRAY_GROW_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Makes *array (of *cap elements of `size` bytes) hold at least `need`
 * elements, doubling its capacity (8 to start from nothing). An array still
 * in its owner's inline buffer `inline_buf` (may be NULL) moves to the heap.
 * False, with *array and *cap unchanged, when memory runs out. */
static inline bool ftp_array_grow(void **array, size_t *cap, size_t need, size_t size, const void *inline_buf) {
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *p;
    if (inline_buf && *array == inline_buf) {
        if ((p = malloc(n * size)) != NULL)
            memcpy(p, *array, *cap * size);
    } else {
        p = realloc(*array, n * size);
    }
    if (!p)
        return false;
    *array = p;
    *cap = n;
    return true;
}

#endif
