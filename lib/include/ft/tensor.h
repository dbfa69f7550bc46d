/* libft — scalar tensors and the keyset they dispatch on (SPEC §5).
 *
 * Thread-safety: ft_scalar_t is a plain value; every function is pure. Call them
 * from any thread. */
#ifndef FT_TENSOR_H
#define FT_TENSOR_H

#include "ft/common.h"
#include "ft/key.h"
#include "ft/keyset.h"
#include "ft/status.h"

FT_BEGIN_DECLS

typedef enum ft_dtype {
    FT_DTYPE_F64 = 0, /* torch.float64 */
    FT_DTYPE_F32 = 1  /* torch.float32: value is held in a double but always float-exact
                         (ft_f32_widen / ft_f32_narrow: a NaN keeps its sign, payload and
                         signalling bit, which a C cast would quiet) */
} ft_dtype_t;

/* A float32 value as libft holds it: the double of the same value; a NaN becomes
 * the double NaN of the same sign whose payload is the float's shifted up, so a
 * signalling NaN stays signalling (torch's float kernels see it: pow(1, sNaN)
 * is NaN, not 1). ft_f32_narrow undoes it exactly; for a double that is not
 * float-exact it rounds as a cast does. */
FT_API double ft_f32_widen(float f);
FT_API float ft_f32_narrow(double v);

/* "f64" / "f32"; NULL for an unknown value. */
FT_API const char *ft_dtype_name(ft_dtype_t dtype);
/* Accepts "f64", "float64", "f32", "float32". FT_EINVALID_ARGUMENT otherwise. */
FT_API ft_status ft_dtype_from_name(const char *name, ft_dtype_t *out);

/* A 0-dim, dense, strided tensor: what every built-in operator takes. A plain
 * value type; copy it freely. */
typedef struct ft_scalar {
    double value;
    ft_dtype_t dtype;
    ft_backend_t device; /* a backend component, FT_BACKEND_CPU for CPU */
    bool requires_grad;
    /* Autograd identity, like a tensor's autograd metadata: 1 + the index of the
     * ft_tape variable this value is, 0 for a plain value. Set by ft_tape; leave
     * it 0 (an initializer that omits it does). Composite kernels pass operands
     * through unchanged so the ops they call can record themselves. */
    uint32_t tape_var;
    /* An inference tensor (torch: made under torch.inference_mode(), is_inference()
     * true): under the c10 profile it carries no autograd keys. false (what an
     * initializer that omits it gives) is an ordinary tensor. The packet profile
     * ignores it. Dispatch sets it on results (see ft_profile_t). */
    bool inference;
} ft_scalar_t;

/* A plain (untracked) scalar tensor. */
static inline ft_scalar_t ft_scalar_make(double value, ft_dtype_t dtype, ft_backend_t device, bool requires_grad) {
    ft_scalar_t t;
    t.value = value;
    t.dtype = dtype;
    t.device = device;
    t.requires_grad = requires_grad;
    t.tape_var = 0;
    t.inference = false;
    return t;
}

/* A double as exact text: "%.17g", or "nan", "inf", "-inf", "-0". snprintf
 * contract; 32 bytes always suffice. */
FT_API size_t ft_value_format(double value, char *buf, size_t cap);

/* The tensor's own keyset under the packet profile: Dense+device and
 * ADInplaceOrView, plus AutogradFunctionality+device when requires_grad (the
 * packet's contract: requires_grad drives key selection; torch's own keyset is
 * ft_dispatch_operand_keyset under FT_PROFILE_C10). FT_EINVALID_ARGUMENT if the device or
 * dtype is out of range or an argument is NULL. */
FT_API ft_status ft_scalar_keyset(const ft_scalar_t *t, ft_keyset_t *out);

FT_END_DECLS

#endif
