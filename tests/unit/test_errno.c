// SPDX-License-Identifier: MIT
#include "harness.h"
#include <pmm/errno.h>

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(pmm_strerror(-PMM_ENOMEM), "out of memory");
	assert_string_equal(pmm_strerror(PMM_EINVAL), "invalid argument");
	assert_string_equal(pmm_strerror(0), "success");
	assert_string_equal(pmm_strerror(-9999), "unknown error");
	assert_string_equal(pmm_errname(-PMM_EBUSY), "PMM_EBUSY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
