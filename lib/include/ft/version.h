/* libft — version of the library and of the dispatcher model it reproduces.
 * Thread-safety: ft_version returns a static string; call it from any thread. */
#ifndef FT_VERSION_H
#define FT_VERSION_H

#include "ft/common.h"

#define FT_VERSION_MAJOR  0
#define FT_VERSION_MINOR  1
#define FT_VERSION_PATCH  0
#define FT_VERSION_STRING "0.1.0"

/* The PyTorch release whose dispatch key model libft reproduces bit for bit. */
#define FT_TORCH_MODEL "1.13"

FT_BEGIN_DECLS

/* Version of the library actually linked (may differ from FT_VERSION_STRING when a
 * program was built against other headers). Never NULL. */
FT_API const char *ft_version(void);

FT_END_DECLS

#endif
