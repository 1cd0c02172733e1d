// SPDX-License-Identifier: MIT
/* pmm_strerror() and pmm_errname(), generated from the one error list. */
#include <limits.h>

#include <pmm/errno.h>

const char *pmm_strerror(int err)
{
	if (err == INT_MIN)
		err = INT_MAX; /* no code either way; -INT_MIN would overflow */
	else if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
#define PMM_ERRNO_MSG(name, value, msg) \
	case value:                     \
		return msg;
		PMM_ERRNO_LIST(PMM_ERRNO_MSG)
#undef PMM_ERRNO_MSG
	}
	return "unknown error";
}

const char *pmm_errname(int err)
{
	if (err == INT_MIN)
		err = INT_MAX; /* no code either way; -INT_MIN would overflow */
	else if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "0";
#define PMM_ERRNO_NAME(name, value, msg) \
	case value:                      \
		return #name;
		PMM_ERRNO_LIST(PMM_ERRNO_NAME)
#undef PMM_ERRNO_NAME
	}
	return "PMM_E?";
}
