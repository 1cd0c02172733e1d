// SPDX-License-Identifier: MIT
/*
 * vmem_altmap arithmetic.  Every expected value is worked out by hand from the
 * kernel's rules (next = base + reserve + alloc + align; a block of n pages is
 * aligned to the largest power of two dividing n; fail when n + pad exceeds
 * free - (alloc + align); free only lowers alloc; offset = reserve + free).
 */
#include "harness.h"

#include <pmm/errno.h>

#include <pmm/vmemmap.h>

#define SZ_4K 0x1000UL
#define SZ_2M 0x200000UL

static void expect_state(const struct pmm_vmem_altmap *a, unsigned long alloc,
			 unsigned long align, unsigned long next,
			 unsigned long nr_free)
{
	assert_int_equal(a->alloc, alloc);
	assert_int_equal(a->align, align);
	assert_int_equal(pmm_vmem_altmap_next_pfn(a), next);
	assert_int_equal(pmm_vmem_altmap_nr_free(a), nr_free);
}

static void test_init_geometry(void **state)
{
	struct pmm_vmem_altmap a;

	(void)state;
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x8000, 0x10000, 2, 0x1000), 0);
	assert_int_equal(a.base_pfn, 0x8000);
	assert_int_equal(a.end_pfn, 0x10000);
	assert_int_equal(a.reserve, 2);
	assert_int_equal(a.free, 0x1000);
	expect_state(&a, 0, 0, 0x8002, 0x1000);

	/* reserve + free exactly fills the range: allowed. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x8000, 0x9000, 0x10, 0xff0), 0);
	/* One pfn too many. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x8000, 0x9000, 0x10, 0xff1), -PMM_EINVAL);
	/* end before base. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x8000, 0x7000, 0, 0), -PMM_EINVAL);
	/* Unknown end (0) is accepted. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x8000, 0, 0, 0x100000), 0);
	/* Wrap-around. */
	assert_int_equal(pmm_vmem_altmap_init(&a, ~0UL - 4, 0, 3, 3), -PMM_EINVAL);
	assert_int_equal(pmm_vmem_altmap_init(&a, ~0UL - 4, 0, 8, 0), -PMM_EINVAL);
}

static void test_aligned_base_no_padding(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0;

	(void)state;
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0, 0, 0x1000), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10000);
	expect_state(&a, 512, 0, 0x10200, 0x1000 - 512);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10200);
	expect_state(&a, 1024, 0, 0x10400, 0x1000 - 1024);
}

static void test_reserve_forces_padding(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0;

	(void)state;
	/* next = 0x10003; 512-page block goes to 0x10200, pad 0x1fd = 509. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0, 3, 0x1000), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10200);
	expect_state(&a, 512, 509, 0x10400, 0x1000 - 512 - 509);
	/* Now aligned: no more padding. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10400);
	expect_state(&a, 1024, 509, 0x10600, 0x1000 - 1024 - 509);
}

static void test_alignment_is_lowest_set_bit(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0;

	(void)state;
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x100, 0, 1, 0x1000), 0);
	/* 3 pages: largest power of two dividing 3 is 1 -> no padding. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 3 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x101);
	expect_state(&a, 3, 0, 0x104, 0x1000 - 3);
	/* 6 pages: aligned to 2; 0x104 already is. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 6 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x104);
	expect_state(&a, 9, 0, 0x10a, 0x1000 - 9);
	/* 8 pages from 0x10a: aligned to 8 -> 0x110, pad 6. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 8 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x110);
	expect_state(&a, 17, 6, 0x118, 0x1000 - 23);
	/* 24 pages (8 * 3): aligned to 8 -> 0x118 already. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 24 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x118);
	expect_state(&a, 41, 6, 0x130, 0x1000 - 47);
	/* 1 page: never padded. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x130);
	/* 16 pages from 0x131: -> 0x140, pad 15. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 16 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x140);
	expect_state(&a, 58, 21, 0x150, 0x1000 - 79);
}

static void test_bad_sizes(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0xdead;

	(void)state;
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x200, 0, 0, 0x100), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 0, &pfn), -PMM_EINVAL);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_4K + 8, &pfn), -PMM_EINVAL);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 100, &pfn), -PMM_EINVAL);
	assert_int_equal(pfn, 0xdead);
	expect_state(&a, 0, 0, 0x200, 0x100);
}

static void test_exhaustion_boundary(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0;

	(void)state;
	/* free = 1024 + 509 exactly: two 2 MiB blocks after a 509-pfn pad. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0, 3, 1024 + 509), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10200);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10400);
	expect_state(&a, 1024, 509, 0x10600, 0);
	pfn = 0xdead;
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_4K, &pfn), -PMM_ENOMEM);
	assert_int_equal(pfn, 0xdead);
	expect_state(&a, 1024, 509, 0x10600, 0);

	/* One pfn short of the second block. */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0, 3, 1024 + 508), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), -PMM_ENOMEM);
	expect_state(&a, 512, 509, 0x10400, 511);
	/* A smaller block still fits: 256 pages, 0x10400 is 256-aligned. */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 256 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x10400);
	expect_state(&a, 768, 509, 0x10500, 255);
}

static void test_padding_alone_exhausts(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0;

	(void)state;
	/*
	 * next = 0x10001, free = 600: 512 pages alone would fit (600 >= 512)
	 * but the 511-pfn pad makes 1023 > 600.
	 */
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0, 1, 600), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), -PMM_ENOMEM);
	expect_state(&a, 0, 0, 0x10001, 600);
	/* The padding is not charged by a failed request: 64 pages still fit
	 * (aligned to 64 -> 0x10040, pad 63, 127 <= 600). */
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, 64 * SZ_4K, &pfn), 0);
	assert_int_equal(pfn, 0x10040);
	expect_state(&a, 64, 63, 0x10080, 600 - 127);
}

static void test_free_only_lowers_alloc(void **state)
{
	struct pmm_vmem_altmap a;
	unsigned long pfn = 0;

	(void)state;
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0, 3, 0x1000), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10400);
	assert_int_equal(pmm_vmem_altmap_free(&a, 512), 0);
	/* LIFO: the next block reuses the last one's pfns. */
	expect_state(&a, 512, 509, 0x10400, 0x1000 - 1021);
	assert_int_equal(pmm_vmem_altmap_alloc_block(&a, SZ_2M, &pfn), 0);
	assert_int_equal(pfn, 0x10400);
	assert_int_equal(pmm_vmem_altmap_free(&a, 1024), 0);
	/* Padding stays consumed after everything came back. */
	expect_state(&a, 0, 509, 0x10000 + 3 + 509, 0x1000 - 509);
	/* Over-free is refused and changes nothing. */
	assert_int_equal(pmm_vmem_altmap_free(&a, 1), -PMM_EINVAL);
	expect_state(&a, 0, 509, 0x10000 + 3 + 509, 0x1000 - 509);
}

static void test_offset_and_owns(void **state)
{
	struct pmm_vmem_altmap a;

	(void)state;
	assert_int_equal(pmm_vmem_altmap_offset(NULL), 0);
	assert_int_equal(pmm_vmem_altmap_init(&a, 0x10000, 0x18000, 3, 0x1000), 0);
	assert_int_equal(pmm_vmem_altmap_offset(&a), 0x1003);

	assert_false(pmm_vmem_altmap_owns(&a, 0x10000, 1)); /* reserved */
	assert_false(pmm_vmem_altmap_owns(&a, 0x10002, 1));
	assert_true(pmm_vmem_altmap_owns(&a, 0x10003, 1));
	assert_true(pmm_vmem_altmap_owns(&a, 0x10200, 512));
	assert_true(pmm_vmem_altmap_owns(&a, 0x10003, 0x1000));
	assert_false(pmm_vmem_altmap_owns(&a, 0x10003, 0x1001));
	assert_true(pmm_vmem_altmap_owns(&a, 0x11002, 1));
	assert_false(pmm_vmem_altmap_owns(&a, 0x11003, 1)); /* ordinary memory */
	assert_true(pmm_vmem_altmap_owns(&a, 0x10e00, 512));
	assert_false(pmm_vmem_altmap_owns(&a, 0x10f00, 512)); /* straddles the end */
	assert_false(pmm_vmem_altmap_owns(&a, 0x20000, 512));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_geometry),
		cmocka_unit_test(test_aligned_base_no_padding),
		cmocka_unit_test(test_reserve_forces_padding),
		cmocka_unit_test(test_alignment_is_lowest_set_bit),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_exhaustion_boundary),
		cmocka_unit_test(test_padding_alone_exhausts),
		cmocka_unit_test(test_free_only_lowers_alloc),
		cmocka_unit_test(test_offset_and_owns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
