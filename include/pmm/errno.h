/* SPDX-License-Identifier: MIT */
/*
 * pmm error codes: one list, one convention.
 *
 * Fallible calls return 0 on success or a negative PMM_E* code; allocators
 * return NULL.  The values mirror the Linux errno numbers of the same name so
 * that a kernel developer reads them at a glance, but they are pmm's own
 * constants: do not mix them with the C library's errno.
 */
#ifndef PMM_ERRNO_H
#define PMM_ERRNO_H

#include <pmm/api.h>

/* X(name, value, message) */
#define PMM_ERRNO_LIST(X)                                                   \
	X(PMM_EPERM, 1, "operation not permitted")                          \
	X(PMM_ENOENT, 2, "no such entry")                                   \
	X(PMM_EIO, 5, "input/output error")                                 \
	X(PMM_ENXIO, 6, "no such device or address")                        \
	X(PMM_E2BIG, 7, "argument list too long")                           \
	X(PMM_EAGAIN, 11, "resource temporarily unavailable")               \
	X(PMM_ENOMEM, 12, "out of memory")                                  \
	X(PMM_EFAULT, 14, "bad address: not a frame of this machine")       \
	X(PMM_EBUSY, 16, "resource busy")                                   \
	X(PMM_EEXIST, 17, "already exists")                                 \
	X(PMM_ENODEV, 19, "no such node or zone")                           \
	X(PMM_EISDIR, 21, "is a directory")                                 \
	X(PMM_EINVAL, 22, "invalid argument")                               \
	X(PMM_ENOSPC, 28, "no space left")                                  \
	X(PMM_ERANGE, 34, "value out of range")                             \
	X(PMM_ENOSYS, 38, "not supported by this platform")                 \
	X(PMM_EOVERFLOW, 75, "value too large")                             \
	X(PMM_EBADMSG, 74, "malformed input")                               \
	X(PMM_EOPNOTSUPP, 95, "operation not supported")                    \
	X(PMM_ECORRUPT, 117, "structure corrupted")

enum pmm_errno {
#define PMM_ERRNO_ENUM(name, value, msg) name = (value),
	PMM_ERRNO_LIST(PMM_ERRNO_ENUM)
#undef PMM_ERRNO_ENUM
};

/**
 * pmm_strerror() - describe an error code.
 * @err: a PMM_E* code, negative (as returned) or positive.
 *
 * Return: a static string; "unknown error" for codes not in the list, and
 * "success" for 0.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_strerror(int err);

/**
 * pmm_errname() - the symbolic name of an error code ("PMM_ENOMEM").
 * Return: a static string, "PMM_E?" for unknown codes, "0" for 0.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_errname(int err);

#endif /* PMM_ERRNO_H */
