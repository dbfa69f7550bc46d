/* libft — umbrella header: PyTorch 1.13's dispatch key model, operators with
 * computed dispatch tables, strict/hardened routing and CPU scalar kernels. */
#ifndef FT_FT_H
#define FT_FT_H

#include "ft/common.h"
#include "ft/dispatch.h"
#include "ft/json_text.h"
#include "ft/key.h"
#include "ft/keyset.h"
#include "ft/op.h"
#include "ft/session.h"
#include "ft/status.h"
#include "ft/tape.h"
#include "ft/tensor.h"
#include "ft/version.h"

#endif
