/* libft — shared declarations for every public header. */
#ifndef FT_COMMON_H
#define FT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Symbols of the shared library are hidden unless marked FT_API, so the ABI is
 * exactly what the public headers declare. */
#if defined(FT_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define FT_API __attribute__((visibility("default")))
#else
#define FT_API
#endif

#ifdef __cplusplus
#define FT_BEGIN_DECLS extern "C" {
#define FT_END_DECLS   }
#else
#define FT_BEGIN_DECLS
#define FT_END_DECLS
#endif

#endif
