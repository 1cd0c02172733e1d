// SPDX-License-Identifier: MIT
#include "harness.h"
#include <limits.h>

#include <pmm/errno.h>

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(pmm_strerror(-PMM_ENOMEM), "out of memory");
	assert_string_equal(pmm_strerror(PMM_EINVAL), "invalid argument");
	assert_string_equal(pmm_strerror(0), "success");
	assert_string_equal(pmm_strerror(-9999), "unknown error");
	assert_string_equal(pmm_errname(-PMM_EBUSY), "PMM_EBUSY");
	/* Any int: INT_MIN has no negation (UBSan stops an overflow). */
	assert_string_equal(pmm_strerror(INT_MIN), "unknown error");
	assert_string_equal(pmm_errname(INT_MIN), "PMM_E?");
	assert_string_equal(pmm_strerror(INT_MAX), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
