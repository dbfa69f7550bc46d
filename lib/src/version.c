#include "ft/version.h"

const char *ft_version(void) {
    return FT_VERSION_STRING;
}
