// SPDX-License-Identifier: MIT
/* Idle page tracking: the bitmap's addressing and the idle/young life cycle. */
#include "harness.h"

#include <pmm/page_idle.h>

static void test_bitmap(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1", NULL);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	struct pmm_page *q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	unsigned long pp = pmm_page_to_pfn(m, p), pq = pmm_page_to_pfn(m, q);
	unsigned long base = pp & ~63ul;
	uint64_t all[4] = { ~0ull, ~0ull, ~0ull, ~0ull }, got[4];

	(void)state;
	assert_int_equal(pmm_page_idle_write(m, base + 1, all, 1), -PMM_EINVAL);
	/* Past the end: a write is refused, a read is at the end of the file. */
	assert_int_equal(pmm_page_idle_write(m, 1ul << 40, all, 1), -PMM_ENXIO);
	assert_int_equal(pmm_page_idle_read(m, 1ul << 40, got, 1), 0);
	assert_int_equal(pmm_page_idle_write(m, base, all, 4), 4);
	assert_true(pmm_page_is_idle(m, p));
	assert_false(pmm_page_is_young(m, p));
	pmm_page_mark_accessed(m, p);
	assert_false(pmm_page_is_idle(m, p));
	assert_true(pmm_page_is_young(m, p));
	assert_int_equal(pmm_page_idle_read(m, base, got, 4), 4);
	/* p was accessed, q is still idle; free frames never read as idle. */
	assert_int_equal((got[(pp - base) / 64] >> ((pp - base) % 64)) & 1, 0);
	if (pq >= base && pq < base + 256)
		assert_int_equal((got[(pq - base) / 64] >> ((pq - base) % 64)) & 1, 1);
	for (unsigned long pfn = base; pfn < base + 256; pfn++) {
		int bit = (got[(pfn - base) / 64] >> ((pfn - base) % 64)) & 1;
		if (pfn != pq)
			assert_int_equal(bit, 0);
	}
	/* Freeing clears the bits; the frame is clean for its next owner. */
	pmm_free_pages(m, q, 0);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_false(pmm_page_is_idle(m, q));
	pmm_free_pages(m, p, 0);
	pmm_free_pages(m, q, 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A compound page has one bit, its head's, as in Linux (a tail's refcount
 * is 0, so the kernel cannot pin it): reading gives the head's bit only,
 * and writing a tail's bit marks nothing.  A plain block's tails are not
 * allocated pages either.
 */
static void test_bitmap_huge(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1", NULL);
	struct pmm_page *c = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_COMP, 3);
	struct pmm_page *b = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	unsigned long pc = pmm_page_to_pfn(m, c), pb = pmm_page_to_pfn(m, b);
	uint64_t tails, got;

	(void)state;
	/* Tails only (bits 1-7 of each block): nothing becomes idle. */
	for (unsigned long blk = 0; blk < 2; blk++) {
		unsigned long pfn = blk ? pb : pc, base = pfn & ~63ul;

		tails = 0xfeull << (pfn - base);
		assert_int_equal(pmm_page_idle_write(m, base, &tails, 1), 1);
		assert_false(pmm_page_is_idle(m, blk ? b : c));
		tails |= 1ull << (pfn - base); /* and the head */
		assert_int_equal(pmm_page_idle_write(m, base, &tails, 1), 1);
		assert_true(pmm_page_is_idle(m, blk ? b : c));
		assert_int_equal(pmm_page_idle_read(m, base, &got, 1), 1);
		assert_int_equal((got >> (pfn - base)) & 0xff, 1);
	}
	pmm_free_pages(m, c, 3);
	pmm_free_pages(m, b, 3);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * An access reported through a pointer whose page was freed (stale, or
 * racing the owner's free) marks nothing: the next owner of the frame gets
 * a page that is not young, and after a drain to the buddy lists the frame
 * is handed out again without a bad-page report.
 */
static void test_accessed_free(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1", NULL);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0), *q;
	struct pmm_page *got[64];
	unsigned long pfn = pmm_page_to_pfn(m, p);
	bool again = false;

	(void)state;
	pmm_free_pages(m, p, 0);
	pmm_page_mark_accessed(m, p);
	assert_false(pmm_page_is_young(m, p));
	/* The per-CPU list gives the same frame back. */
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_int_equal(pmm_page_to_pfn(m, q), pfn);
	assert_false(pmm_page_is_young(m, q));
	pmm_free_pages(m, q, 0);
	pmm_page_mark_accessed(m, q);
	pmm_drain_all(m);
	for (unsigned i = 0; i < 64; i++) {
		got[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		assert_non_null(got[i]);
		if (pmm_page_to_pfn(m, got[i]) == pfn) {
			again = true;
			assert_false(pmm_page_is_young(m, got[i]));
		}
	}
	assert_true(again);
	assert_int_equal(pmm_bad_page_count(m), 0);
	for (unsigned i = 0; i < 64; i++)
		pmm_free_pages(m, got[i], 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* NULL for the machine, or for the words with a count, is refused. */
static void test_null_arguments(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1", NULL);
	uint64_t w = ~0ull;

	(void)state;
	assert_int_equal(pmm_page_idle_read(m, 0, NULL, 1), -PMM_EINVAL);
	assert_int_equal(pmm_page_idle_write(m, 0, NULL, 1), -PMM_EINVAL);
	assert_int_equal(pmm_page_idle_read(NULL, 0, &w, 1), -PMM_EINVAL);
	assert_int_equal(pmm_page_idle_write(NULL, 0, &w, 1), -PMM_EINVAL);
	/* No words: nothing to read or write. */
	assert_int_equal(pmm_page_idle_read(m, 0, NULL, 0), 0);
	assert_int_equal(pmm_page_idle_write(m, 0, NULL, 0), 0);
	pmm_destroy(m);
}

/*
 * A machine whose memory ends inside a word: page_idle_bitmap_read() and
 * _write() count only whole words, so the last, partial one is looked at
 * (its frames read or marked) but not counted, and a read from the end on
 * is the end of the file.  (mem=64M less 8 KiB: max_pfn 16382.)
 */
static void test_partial_last_word(void **state)
{
	struct pmm *m = pmm_test_machine("node=0:0-0x3ffdfff cpus=1", NULL);
	const unsigned long last = (16382ul / 64) * 64; /* 16320: a word of 62 frames */
	uint64_t w[2] = { ~0ull, ~0ull };

	(void)state;
	assert_int_equal(pmm_page_idle_write(m, last - 64, w, 2), 1);
	assert_int_equal(pmm_page_idle_read(m, last - 64, w, 2), 1);
	assert_int_equal(pmm_page_idle_read(m, last, w, 1), 0);
	assert_int_equal(pmm_page_idle_write(m, last, w, 1), 0);
	assert_int_equal(pmm_page_idle_read(m, last + 64, w, 1), 0);
	assert_int_equal(pmm_page_idle_write(m, last + 64, w, 1), -PMM_ENXIO);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_last_word),
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_bitmap_huge),
		cmocka_unit_test(test_accessed_free),
		cmocka_unit_test(test_null_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
