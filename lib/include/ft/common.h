/* libft — shared declarations for every public header.
 *
 * Thread-safety, the rule every header states for its own objects: libft has no
 * global or thread-local state and takes no locks. Values (keys, keysets,
 * scalars, decisions, error records) and pure functions may be used from any
 * thread. A context object (registry, tape, session) is used by one thread at a
 * time, except that a registry may be read — looked up and dispatched through —
 * by many threads at once once nothing registers into it any more (ft/op.h). */
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
