/* Private: the built-in CPU scalar kernels. */
#ifndef FT_KERNELS_CPU_H
#define FT_KERNELS_CPU_H

#include "ft/op.h"

#define FTP_DECLARE_KERNEL(name)                                                                                       \
    ft_status ftp_cpu_##name(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b, ft_scalar_t *out)

FTP_DECLARE_KERNEL(add);
FTP_DECLARE_KERNEL(sub);
FTP_DECLARE_KERNEL(mul);
FTP_DECLARE_KERNEL(div);
FTP_DECLARE_KERNEL(maximum);
FTP_DECLARE_KERNEL(minimum);
FTP_DECLARE_KERNEL(atan2);
FTP_DECLARE_KERNEL(pow);
FTP_DECLARE_KERNEL(rsub);

/* Their derivatives (derivatives.c). */
#define FTP_DECLARE_BACKWARD(name)                                                                                     \
    ft_status ftp_backward_##name(const ft_backward_args_t *x, double *ga, double *gb, void *payload)

FTP_DECLARE_BACKWARD(add);
FTP_DECLARE_BACKWARD(sub);
FTP_DECLARE_BACKWARD(mul);
FTP_DECLARE_BACKWARD(div);
FTP_DECLARE_BACKWARD(maximum);
FTP_DECLARE_BACKWARD(minimum);
FTP_DECLARE_BACKWARD(atan2);
FTP_DECLARE_BACKWARD(pow);
FTP_DECLARE_BACKWARD(rsub);

#endif
