// SPDX-License-Identifier: MIT
/*
 * pmm_validate() (src/mm/validate.c) is the oracle most tests end with, so
 * it must see what it claims to check: each case breaks one invariant of a
 * live machine by hand, expects -PMM_ECORRUPT and the message naming it,
 * then mends the damage and expects a clean machine again (which also
 * shows the check does not fire on a healthy one).
 */
#include "harness.h"

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

/* A machine with blocks on the free lists and on CPU 0's per-CPU lists. */
static struct pmm *busy_machine(struct pmm_page **held, unsigned n)
{
	struct pmm *m = pmm_test_machine("mem=256M dma=0 cpus=2", NULL);

	pmm_set_thread_cpu(m, 0);
	for (unsigned i = 0; i < n; i++)
		held[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	for (unsigned i = 0; i < n; i += 2)
		pmm_free_pages(m, held[i], 0), held[i] = NULL;
	assert_machine_valid(m);
	return m;
}

static void release(struct pmm *m, struct pmm_page **held, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (held[i])
			pmm_free_pages(m, held[i], 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void expect_corrupt(struct pmm *m, const char *what)
{
	char buf[512];

	assert_int_equal(pmm_validate(m, buf, sizeof(buf)), -PMM_ECORRUPT);
	if (!strstr(buf, what))
		fail_msg("pmm_validate said \"%s\", want \"%s\"", buf, what);
}

static struct zone *dma32(struct pmm *m)
{
	return &m->node_data[0]->node_zones[ZONE_DMA32];
}

/* The first block on a non-empty free list of @z: its order in *@order. */
static struct page *some_free_block(struct zone *z, unsigned *order)
{
	for (unsigned o = 0; o < MAX_ORDER; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			if (!list_empty(&z->free_area[o].free_list[mt])) {
				*order = o;
				return list_first_entry(&z->free_area[o].free_list[mt], struct page, lru);
			}
	fail_msg("no free block");
	return NULL;
}

/* The first page on one of CPU 0's lists of @z. */
static struct page *some_pcp_page(struct zone *z)
{
	struct per_cpu_pages *pcp = &z->per_cpu_pageset[0];

	for (unsigned i = 0; i < NR_PCP_LISTS; i++)
		if (!list_empty(&pcp->lists[i]))
			return list_first_entry(&pcp->lists[i], struct page, lru);
	fail_msg("CPU 0 has nothing listed");
	return NULL;
}

static void test_free_lists(void **state)
{
	struct pmm_page *held[64];
	struct pmm *m = busy_machine(held, 64);
	struct zone *z = dma32(m);
	struct list_head *saved;
	unsigned order = 0;
	struct page *p = some_free_block(z, &order);

	(void)state;
	set_page_count(p, 1);
	expect_corrupt(m, "has refcount 1");
	set_page_count(p, 0);
	assert_machine_valid(m);

	z->free_area[order].nr_free++;
	expect_corrupt(m, "nr_free");
	z->free_area[order].nr_free--;

	saved = p->lru.next->prev;
	p->lru.next->prev = p->lru.next;
	expect_corrupt(m, "broken link");
	p->lru.next->prev = saved;

	set_page_private(p, order + 1);
	expect_corrupt(m, "buddy 1 order");
	set_page_private(p, order);

	p->flags |= 1ul << PG_active;
	expect_corrupt(m, "has flags");
	p->flags &= ~(1ul << PG_active);
	release(m, held, 64);
}

static void test_counts(void **state)
{
	struct pmm_page *held[64];
	struct pmm *m = busy_machine(held, 64);
	struct zone *z = dma32(m);
	struct page *lost = (struct page *)held[1];
	int fast_ok = z->fast_ok;

	(void)state;
	mod_zone_page_state(z, NR_FREE_PAGES, 1);
	expect_corrupt(m, "NR_FREE_PAGES");
	mod_zone_page_state(z, NR_FREE_PAGES, -1);
	assert_machine_valid(m);

	z->fast_ok = fast_ok ? 0 : 1;
	expect_corrupt(m, "fast_ok");
	z->fast_ok = fast_ok;

	z->free_pcp_lists ^= FREE_LIST_BIT(MAX_ORDER - 1, MIGRATE_MOVABLE);
	expect_corrupt(m, "free_pcp_lists");
	z->free_pcp_lists ^= FREE_LIST_BIT(MAX_ORDER - 1, MIGRATE_MOVABLE);
	/* A bit for the right order but the wrong list is caught too. */
	z->free_pcp_lists ^= FREE_LIST_BIT(MAX_ORDER - 1, MIGRATE_MOVABLE) |
			     FREE_LIST_BIT(MAX_ORDER - 1, MIGRATE_UNMOVABLE);
	expect_corrupt(m, "free_pcp_lists");
	z->free_pcp_lists ^= FREE_LIST_BIT(MAX_ORDER - 1, MIGRATE_MOVABLE) |
			     FREE_LIST_BIT(MAX_ORDER - 1, MIGRATE_UNMOVABLE);

	z->nr_isolate_pageblock++;
	expect_corrupt(m, "nr_isolate_pageblock 1 but 0 pageblocks are isolated");
	z->nr_isolate_pageblock--;
	assert_machine_valid(m);

	/* A zone with no memory cannot hold an isolated pageblock either. */
	{
		struct zone *movable = &m->node_data[0]->node_zones[ZONE_MOVABLE];

		assert_false(populated_zone(movable));
		movable->nr_isolate_pageblock++;
		expect_corrupt(m, "Movable: nr_isolate_pageblock 1 with no memory");
		movable->nr_isolate_pageblock--;
		assert_machine_valid(m);
	}

	/* An isolated pageblock whose free blocks are still on a usable list. */
	{
		unsigned order;
		struct page *p = some_free_block(z, &order);
		unsigned long pfn = page_to_pfn(m, p);
		int mt = get_pfnblock_migratetype(m, pfn);

		set_pageblock_migratetype(m, p, MIGRATE_ISOLATE);
		z->nr_isolate_pageblock++;
		expect_corrupt(m, "of type Isolate");
		set_pageblock_migratetype(m, p, mt);
		z->nr_isolate_pageblock--;
		assert_machine_valid(m);
	}

	/* An allocated page marked free but on no list: a lost block. */
	set_page_private(lost, 0);
	__SetPageBuddy(lost);
	expect_corrupt(m, "PageBuddy blocks in the memmap but");
	__ClearPageBuddy(lost);
	release(m, held, 64);
}

static void test_pcp_lists(void **state)
{
	struct pmm_page *held[64];
	struct pmm *m = busy_machine(held, 64);
	struct zone *z = dma32(m);
	struct per_cpu_pages *pcp = &z->per_cpu_pageset[0];
	struct page *p = some_pcp_page(z);

	(void)state;
	pcp->count++;
	expect_corrupt(m, "pcp count");
	pcp->count--;
	assert_machine_valid(m);

	set_page_count(p, 1);
	expect_corrupt(m, "refcount 1");
	set_page_count(p, 0);

	set_page_private(p, 3);
	expect_corrupt(m, "private 3");
	set_page_private(p, 0);

	p->lru.next->prev = p->lru.next;
	expect_corrupt(m, "pcp list");
	p->lru.next->prev = &p->lru;
	release(m, held, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_lists),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_pcp_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
