/* Private: the built-in operators of SPEC §4, as data.
 *
 * The registrations are listed once, here, as X-macro rows. builtin_ops.c holds
 * their kernels; ft-gen-builtin-tables (gen_builtin_tables.c, run by CMake at
 * build time) expands the rows into builtin_tables.c in the build directory: the
 * registrations and every computed table entry and routing step of each built-in,
 * as static const data produced by the library's own table computation
 * (ftp_op_compute_tables). So neither ft_registry_new nor ft_session_new
 * computes a table: the built-in operators are static const objects shared by
 * every registry. */
#ifndef FT_BUILTIN_OPS_H
#define FT_BUILTIN_OPS_H

#include "kernels_cpu.h"
#include "op_internal.h"

/* The built-ins in registry order (ft_registry_new registers them first). */
#define FTP_BUILTIN_OPS(X) X(add) X(sub) X(mul) X(div) X(maximum) X(minimum) X(atan2) X(pow) X(rsub) X(sqdiff)

/* X(op, key, kernel_name, fn, backward): one registration a row, in the order
 * ft_op_registrations lists them. */
#define FTP_BUILTIN_DIRECT(X, op)                                                                                      \
    X(op, FT_KEY_CPU, "cpu::" #op "_scalar", ftp_cpu_##op, NULL)                                                       \
    X(op, FT_KEY_AUTOGRAD, "autograd::" #op, NULL, ftp_backward_##op)
#define FTP_BUILTIN_REGISTRATIONS(X)                                                                                   \
    FTP_BUILTIN_DIRECT(X, add)                                                                                         \
    FTP_BUILTIN_DIRECT(X, sub)                                                                                         \
    FTP_BUILTIN_DIRECT(X, mul)                                                                                         \
    FTP_BUILTIN_DIRECT(X, div)                                                                                         \
    FTP_BUILTIN_DIRECT(X, maximum)                                                                                     \
    FTP_BUILTIN_DIRECT(X, minimum)                                                                                     \
    FTP_BUILTIN_DIRECT(X, atan2)                                                                                       \
    FTP_BUILTIN_DIRECT(X, pow)                                                                                         \
    X(rsub, FT_KEY_COMPOSITE_EXPLICIT_AUTOGRAD, "composite_explicit::rsub", ftp_cpu_rsub, NULL)                        \
    X(rsub, FT_KEY_AUTOGRAD, "autograd::rsub", NULL, ftp_backward_rsub)                                                \
    X(sqdiff, FT_KEY_COMPOSITE_IMPLICIT_AUTOGRAD, "composite_implicit::sqdiff", ftp_builtin_sqdiff, NULL)

#define FTP_BUILTIN_ENUM(op) FTP_BUILTIN_##op,
enum { FTP_BUILTIN_OPS(FTP_BUILTIN_ENUM) FTP_BUILTIN_COUNT };
#undef FTP_BUILTIN_ENUM

/* sqdiff(a, b) = (a - b)^2, CompositeImplicitAutograd (builtin_ops.c). */
ft_status ftp_builtin_sqdiff(const ft_kernel_call_t *call, const ft_scalar_t *a, const ft_scalar_t *b,
                             ft_scalar_t *out);

/* The built-in operators, in FTP_BUILTIN_OPS order, and their registry
 * (ftp_builtin_registry): generated at build time into builtin_tables.c. */
extern const ft_op_t ftp_builtin_ops[FTP_BUILTIN_COUNT];

#endif
