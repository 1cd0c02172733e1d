// SPDX-License-Identifier: MIT
/*
 * The buddy allocator: coalescing, splitting, migratetype fallback and
 * stealing, the highatomic reserve, watermarks, compound/split/exact/bulk,
 * contiguous ranges, free page reporting, shuffle, fault injection and the
 * slow path with embedder reclaim.
 */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pmm/report.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define NR_ZONES_MAX 16

/* Free blocks per order of every zone (the numbers /proc/buddyinfo prints). */
struct buddyinfo {
	unsigned long nr[NR_ZONES_MAX][MAX_ORDER];
};

static void snap(struct pmm *m, struct buddyinfo *b)
{
	int k = 0;

	memset(b, 0, sizeof(*b));
	for (int nid = 0; nid < m->nr_node_ids; nid++)
		for (int z = 0; m->node_data[nid] && z < MAX_NR_ZONES; z++, k++)
			for (int o = 0; o < MAX_ORDER; o++)
				b->nr[k][o] = m->node_data[nid]->node_zones[z].free_area[o].nr_free;
}

static void assert_buddyinfo_equal(const struct buddyinfo *a, const struct buddyinfo *b)
{
	for (int k = 0; k < NR_ZONES_MAX; k++)
		for (int o = 0; o < MAX_ORDER; o++)
			if (a->nr[k][o] != b->nr[k][o])
				fail_msg("zone %d order %d: %lu free blocks, expected %lu", k, o,
					 b->nr[k][o], a->nr[k][o]);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct block {
	struct pmm_page *page;
	unsigned order;
};

/* Allocate random orders until memory runs out, then free all in random order. */
static void exhaust_and_free(struct pmm *m, pmm_gfp_t gfp, uint64_t seed)
{
	size_t cap = 1 << 16, n = 0;
	struct block *b = malloc(cap * sizeof(*b));
	uint64_t s = seed;
	int misses = 0;

	while (misses < 64) {
		unsigned order = (unsigned)(rnd(&s) % MAX_ORDER);
		struct pmm_page *p = pmm_alloc_pages(m, gfp | PMM___GFP_NOWARN, order);

		if (!p) {
			misses++;
			continue;
		}
		*(unsigned long *)pmm_page_address(m, p) = pmm_page_to_pfn(m, p);
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap * sizeof(*b));
		}
		b[n++] = (struct block){ p, order };
	}
	assert_true(n > 0);
	assert_machine_valid(m);
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd(&s) % i;
		struct block t = b[i - 1];
		b[i - 1] = b[j];
		b[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (*(unsigned long *)pmm_page_address(m, b[i].page) != pmm_page_to_pfn(m, b[i].page))
			fail_msg("block at pfn %#lx was overwritten", pmm_page_to_pfn(m, b[i].page));
		pmm_free_pages(m, b[i].page, b[i].order);
	}
	free(b);
	pmm_drain_all(m);
}

/* Free everything -> the initial buddyinfo (full coalescing), pcp on and off. */
static void test_full_coalescing(void **state)
{
	static const char *const cfgs[] = { "mem=512M pcp=off", "mem=512M cpus=2",
					    "mem=1G nodes=2 cpus=3", "mem=256M page_owner=on" };

	(void)state;
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct pmm *m = pmm_test_machine(cfgs[i], NULL);
		struct buddyinfo before, after;
		unsigned long free_before = pmm_nr_free_pages(m);

		snap(m, &before);
		exhaust_and_free(m, PMM_GFP_KERNEL, 1 + i);
		exhaust_and_free(m, PMM_GFP_HIGHUSER_MOVABLE, 7 + i);
		snap(m, &after);
		assert_buddyinfo_equal(&before, &after);
		assert_int_equal(pmm_nr_free_pages(m), free_before);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

static void test_split_and_merge(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M pcp=off", NULL);
	struct pmm_page *a, *b;
	unsigned long pa, pb;

	(void)state;
	/* Smallest fit: an order-0 request splits a block, handing out its lowest page. */
	a = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	b = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pa = pmm_page_to_pfn(m, a);
	pb = pmm_page_to_pfn(m, b);
	assert_int_equal(pa ^ pb, 1); /* buddies */
	assert_int_equal(pmm_page_count(a), 1);
	pmm_free_pages(m, a, 0);
	pmm_free_pages(m, b, 0);
	/* Both free again: they merged back up to the largest order. */
	assert_false(PageBuddy((struct page *)a) && buddy_order((struct page *)a) == 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* gfp chooses the zone; contradictory or unknown bits are refused. */
static void test_gfp_zones(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=8G pcp=off", &log);
	struct pmm_page *p;

	(void)state;
	p = pmm_alloc_pages(m, PMM_GFP_DMA, 0);
	assert_int_equal(pmm_page_zonenum(p), 0);
	pmm_free_pages(m, p, 0);
	p = pmm_alloc_pages(m, PMM_GFP_DMA32, 0);
	assert_int_equal(pmm_page_zonenum(p), 1);
	pmm_free_pages(m, p, 0);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_int_equal(pmm_page_zonenum(p), 2);
	pmm_free_pages(m, p, 0);
	assert_null(pmm_alloc_pages(m, PMM___GFP_DMA | PMM___GFP_DMA32, 0));
	assert_true(pmm_test_log_has(&log, "refused: contradictory zone modifiers (GFP_ZONE_BAD)"));
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | 0x4000000, 0));
	assert_true(pmm_test_log_has(&log, "refused: unknown gfp bits"));
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_MOVABLE | PMM___GFP_RECLAIMABLE, 0));
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL, 11));
	assert_true(pmm_test_log_has(&log, "page allocation of order 11 refused"));
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* An Unmovable request from all-Movable memory claims a whole free pageblock. */
static void test_steal_whole_block(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M pcp=off", NULL);
	struct pmm_page *p;
	unsigned long pfn;

	(void)state;
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pfn = pmm_page_to_pfn(m, p);
	assert_int_equal(get_pfnblock_migratetype(m, pfn), MIGRATE_UNMOVABLE);
	/* The rest of that block is now on the Unmovable lists. */
	{
		struct zone *z = page_zone(m, (struct page *)p);
		unsigned long unmovable_free = 0;
		for (int o = 0; o < MAX_ORDER; o++) {
			struct list_head *pos;
			list_for_each(pos, &z->free_area[o].free_list[MIGRATE_UNMOVABLE])
				unmovable_free += 1ul << o;
		}
		/* The first free block was max-order: both of its pageblocks changed type. */
		assert_int_equal(unmovable_free, MAX_ORDER_NR_PAGES - 1);
		assert_int_equal(get_pfnblock_migratetype(m, ALIGN_DOWN(pfn, 1024) + 512),
				 MIGRATE_UNMOVABLE);
	}
	pmm_free_pages(m, p, 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A Movable request that finds only a mostly-allocated Unmovable block takes
 * a single piece: the block keeps its type (fewer than half free or alike).
 */
static void test_steal_single_page(void **state)
{
	struct pmm *m = pmm_test_machine("mem=16M dma=0 pcp=off watermark_boost_factor=0 min_free_kbytes=0", NULL);
	struct pmm_page **all = calloc(4096, sizeof(*all));
	unsigned long n = 0, pfn;
	struct pmm_page *mv;
	struct zone *z;

	(void)state;
	/* Make every pageblock Unmovable and fill all memory with unmovable pages. */
	while ((all[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		n++;
	assert_true(n > 3000);
	/* Free 8 pages of one block: the only free memory is there. */
	pfn = pmm_page_to_pfn(m, all[100]);
	z = page_zone(m, (struct page *)all[100]);
	for (unsigned long i = 0; i < n; i++)
		if (pmm_page_to_pfn(m, all[i]) >= ALIGN_DOWN(pfn, 512) &&
		    pmm_page_to_pfn(m, all[i]) < ALIGN_DOWN(pfn, 512) + 8) {
			pmm_free_pages(m, all[i], 0);
			all[i] = NULL;
		}
	assert_int_equal(get_pfnblock_migratetype(m, pfn), MIGRATE_UNMOVABLE);
	mv = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_NOWARN, 0);
	assert_non_null(mv);
	/* Movable cannot claim a block it would not mostly own: type unchanged. */
	assert_int_equal(get_pfnblock_migratetype(m, pmm_page_to_pfn(m, mv)), MIGRATE_UNMOVABLE);
	(void)z;
	pmm_free_pages(m, mv, 0);
	for (unsigned long i = 0; i < n; i++)
		if (all[i])
			pmm_free_pages(m, all[i], 0);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * High-order atomic allocations that succeed only in the slow path reserve
 * a pageblock as HighAtomic; ordinary allocations cannot use its free pages.
 */
static void test_highatomic_reserve(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 pcp=off watermark_boost_factor=0", NULL);
	struct pmm_page **all = calloc(1 << 15, sizeof(*all)), *p;
	unsigned long n = 0;
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];

	(void)state;
	while ((all[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		n++;
	assert_int_equal(z->nr_reserved_highatomic, 0);
	p = pmm_alloc_pages(m, PMM_GFP_ATOMIC, 2);
	assert_non_null(p);
	assert_int_equal(z->nr_reserved_highatomic, pageblock_nr_pages);
	assert_int_equal(get_pfnblock_migratetype(m, pmm_page_to_pfn(m, p)), MIGRATE_HIGHATOMIC);
	pmm_free_pages(m, p, 2);
	/* Its free pages do not count for GFP_KERNEL: still refused. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	while (n)
		pmm_free_pages(m, all[--n], 0);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* Watermarks: GFP_KERNEL stops at min; GFP_ATOMIC goes deeper, as the kernel's rules say. */
static void test_watermark_thresholds(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 pcp=off min_free_kbytes=4096 watermark_boost_factor=0", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	unsigned long min = z->_watermark[WMARK_MIN];
	long free_now, atomic_min;
	struct pmm_page **pages = calloc(1 << 15, sizeof(*pages));
	unsigned long n = 0;

	(void)state;
	assert_int_equal(min, 1024); /* 4096 kB / 4 kB, one zone */
	while ((pages[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		n++;
	free_now = zone_page_state(z, NR_FREE_PAGES);
	/* Refused exactly when free <= min (order 0, no reserve). */
	assert_int_equal(free_now, (long)min);
	/* GFP_ATOMIC: min - min/2, then - (that)/4. */
	atomic_min = (long)min - (long)min / 2;
	atomic_min -= atomic_min / 4;
	while ((pages[n] = pmm_alloc_pages(m, PMM_GFP_ATOMIC | PMM___GFP_NOWARN, 0)))
		n++;
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), atomic_min);
	/* GFP_NOWAIT gets no reserve at all: refused now. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 0));
	while (n)
		pmm_free_pages(m, pages[--n], 0);
	free(pages);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * Run @fn on both tiers of the fast paths: the leaf (@pin false: the thread
 * held on the lowest host CPU it may use, so that its rseq CPU is one of
 * the machine's even with cpus=1, and its frees and allocations meet on
 * one list) and the general tier (@pin true: @fn pins the thread to
 * machine CPU 0 with pmm_set_thread_cpu()).
 */
static void on_both_tiers(void (*fn)(bool pin))
{
	cpu_set_t one, old;
	int cpu = 0;

	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(old), &old), 0);
	while (!CPU_ISSET(cpu, &old))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
	fn(false);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(old), &old), 0);
	fn(true);
}

/*
 * zone->fast_ok follows free pages both ways, so the per-CPU fast path
 * stops exactly when the kernel's watermark check would fail: with a page
 * waiting on this CPU's list and the zone at its min watermark, an order-0
 * GFP_NOWAIT request is refused (Linux checks the zone's free pages before
 * it looks at the list), and GFP_ATOMIC, which may dip below min, gets that
 * very page from the list.  Once everything is back, the fast path is on
 * again.  fast_ok is stored only when it changes; a stale value would show
 * here as a served NOWAIT request or a fast path left off.
 */
static void fast_ok_follows(bool pin)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 cpus=1 min_free_kbytes=4096 "
					 "watermark_boost_factor=0", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page **pages = calloc(1 << 15, sizeof(*pages));
	struct pmm_page *last, *p;
	unsigned long n = 0;

	if (pin)
		assert_int_equal(pmm_set_thread_cpu(m, 0), 0);
	assert_int_equal(__atomic_load_n(&z->fast_ok, __ATOMIC_RELAXED), 2);
	while ((pages[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		n++;
	assert_true(n > 1000);
	/* At min: the fast path is off, whatever the lists hold. */
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), (long)min_wmark_pages(z));
	assert_int_equal(__atomic_load_n(&z->fast_ok, __ATOMIC_RELAXED), 0);
	last = pages[--n];
	pmm_free_pages(m, last, 0); /* onto this CPU's list: the zone stays at min */
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), (long)min_wmark_pages(z));
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 0));
	p = pmm_alloc_pages(m, PMM_GFP_ATOMIC | PMM___GFP_NOWARN, 0);
	assert_ptr_equal(p, last);
	pages[n++] = p;
	while (n)
		pmm_free_pages(m, pages[--n], 0);
	pmm_drain_all(m);
	/* Everything back: on again, at the level a fresh computation gives. */
	assert_int_equal(__atomic_load_n(&z->fast_ok, __ATOMIC_RELAXED), 2);
	free(pages);
	assert_machine_valid(m);
	assert_int_equal(pmm_bad_page_count(m), 0);
	if (pin)
		pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
}

static void test_fast_ok_follows_free_pages(void **state)
{
	(void)state;
	on_both_tiers(fast_ok_follows);
}

/*
 * A freed block is left as free_pages_prepare() leaves it, on each tier:
 * flags checked only at allocation (PG_referenced, PG_dirty) cleared in the
 * head and the tails, the last cpupid reset (all ones), private 0, the
 * pageblock's type in index; and it comes back with its order in private.
 * The fast frees store only what changes, so stale values are what shows
 * that they still store them: a flag and a cpupid (order 0), a cpupid
 * alone (order 2), a flag alone (order 3).
 */
static void free_leaves_prepared(bool pin)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1", NULL);
	static const unsigned orders[] = { 0, 2, 3 };

	if (pin)
		assert_int_equal(pmm_set_thread_cpu(m, 0), 0);
	for (unsigned i = 0; i < 3; i++) {
		unsigned order = orders[i];
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, order);
		struct page *h = (struct page *)p;
		unsigned long pfn = pmm_page_to_pfn(m, p);

		assert_non_null(p);
		assert_int_equal(page_private(h), order);
		if (order != 2)
			h->flags |= 1ul << PG_referenced;
		if (order != 3)
			h->flags &= ~(~5ul & LAST_CPUPID_MASK) << LAST_CPUPID_PGSHIFT;
		if (order)
			h[(1u << order) - 1].flags |= 1ul << PG_dirty;
		h->index = 77;
		pmm_free_pages(m, p, order);
		for (unsigned long k = 0; k < 1ul << order; k++)
			assert_int_equal(h[k].flags & PAGE_FLAGS_CHECK_AT_PREP, 0);
		assert_int_equal((h->flags >> LAST_CPUPID_PGSHIFT) & LAST_CPUPID_MASK, LAST_CPUPID_MASK);
		assert_int_equal(page_private(h), 0);
		assert_int_equal(h->index, get_pfnblock_migratetype(m, pfn));
		assert_machine_valid(m);
		/* From this CPU's list, last in first out. */
		assert_ptr_equal(pmm_alloc_pages(m, PMM_GFP_KERNEL, order), p);
		assert_int_equal(page_private(h), order);
		pmm_free_pages(m, p, order);
	}
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	if (pin)
		pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
}

static void test_free_leaves_prepared_state(void **state)
{
	(void)state;
	on_both_tiers(free_leaves_prepared);
}

static void test_compound(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M", NULL);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_COMP, 3);
	struct page *h = (struct page *)p;

	(void)state;
	assert_true(PageHead(h));
	assert_int_equal(compound_order(h), 3);
	for (int i = 1; i < 8; i++) {
		assert_true(PageTail(h + i));
		assert_ptr_equal(compound_head(h + i), h);
	}
	assert_int_equal(pmm_get_page(m, (struct pmm_page *)(h + 5)), 0); /* ref on the head */
	assert_int_equal(pmm_page_count(p), 2);
	pmm_put_page(m, (struct pmm_page *)(h + 5));
	pmm_put_page(m, p);
	assert_true(PageBuddy(h) || page_ref_count(h) == 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* __free_pages() with an extra reference on a non-compound block frees the tail halves. */
static void test_free_with_extra_ref(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M pcp=off", NULL);
	unsigned long free0 = pmm_nr_free_pages(m);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 2);

	(void)state;
	assert_int_equal(pmm_get_page(m, p), 0);
	pmm_free_pages(m, p, 2);            /* drops to 1: pages 1..3 freed */
	assert_int_equal(pmm_nr_free_pages(m), free0 - 1);
	pmm_free_pages(m, p, 0);            /* the last holder frees page 0 */
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void test_split_exact_bulk(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M cpus=2", NULL);
	unsigned long free0 = pmm_nr_free_pages(m);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3), *arr[300] = { 0 };
	unsigned long bad0;
	char *x;

	(void)state;
	assert_int_equal(pmm_split_page(m, p, 2), -PMM_EINVAL); /* not its order */
	assert_int_equal(pmm_split_page(m, p, 3), 0);
	for (int i = 7; i >= 0; i--) {
		struct pmm_page *q = (struct pmm_page *)((struct page *)p + i);
		assert_int_equal(pmm_page_count(q), 1);
		pmm_free_pages(m, q, 0);
	}
	/* 5 pages: order 3 allocated, the 3 pages past the end go back at once. */
	x = pmm_alloc_pages_exact(m, 5 * 4096 - 100, PMM_GFP_KERNEL | PMM___GFP_ZERO);
	assert_non_null(x);
	assert_int_equal(x[5 * 4096 - 101], 0);
	assert_int_equal(pmm_page_count(pmm_virt_to_page(m, x + 4 * 4096)), 1);
	assert_int_equal(pmm_page_count(pmm_virt_to_page(m, x + 5 * 4096)), 0);
	/* A size that wraps, or runs past the machine: one report, nothing freed. */
	bad0 = pmm_bad_page_count(m);
	pmm_free_pages_exact(m, x, SIZE_MAX - 100);
	pmm_free_pages_exact(m, x, 64ul << 30);
	assert_int_equal(pmm_bad_page_count(m), bad0 + 2);
	assert_int_equal(pmm_page_count(pmm_virt_to_page(m, x)), 1);
	pmm_free_pages_exact(m, NULL, 8192); /* ignored, as pmm_free_pages_addr(NULL) */
	assert_int_equal(pmm_bad_page_count(m), bad0 + 2);
	pmm_free_pages_exact(m, x, 5 * 4096 - 100);
	/* Bulk: fills only the NULL slots. */
	arr[10] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 300, arr), 300);
	for (int i = 0; i < 300; i++) {
		assert_non_null(arr[i]);
		assert_int_equal(pmm_page_count(arr[i]), 1);
		*(int *)pmm_page_address(m, arr[i]) = i;
	}
	for (int i = 0; i < 300; i++) {
		assert_int_equal(*(int *)pmm_page_address(m, arr[i]), i);
		pmm_free_pages(m, arr[i], 0);
	}
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 2);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* The embedder's migrate callback: copy the block to a new one outside the range. */
struct mover {
	struct pmm_page *moved[64];
	int n;
	unsigned long lo, hi;
};

static int move_block(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct mover *mv = ctx;
	struct pmm_page *old = pmm_pfn_to_page(m, pfn), *nw;

	do {
		nw = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, order);
		if (!nw)
			return -PMM_ENOMEM;
		if (pmm_page_to_pfn(m, nw) < mv->lo || pmm_page_to_pfn(m, nw) >= mv->hi)
			break;
		mv->moved[mv->n++] = nw; /* inside the range: keep it out of the way */
	} while (mv->n < 60);
	memcpy(pmm_page_address(m, nw), pmm_page_address(m, old), 4096ul << order);
	pmm_free_pages(m, old, order);
	mv->moved[mv->n++] = nw;
	return 0;
}

static void test_contig_range(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=2", NULL);
	unsigned long free0 = pmm_nr_free_pages(m), start = 0x8000, end = 0x8000 + 300;
	struct pmm_page *first, *busy;
	struct mover mv = { .lo = 0x8000, .hi = 0x8000 + 300 };
	struct pmm_mm_ops ops = { .migrate = move_block };

	(void)state;
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), 0);
	for (unsigned long pfn = start; pfn < end; pfn++)
		assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, pfn)), 1);
	assert_machine_valid(m);
	/* Taken: a second request for an overlapping range is busy. */
	assert_int_equal(pmm_alloc_contig_range(m, end - 10, end + 10, PMM_GFP_KERNEL), -PMM_EBUSY);
	pmm_free_contig_range(m, start, end - start);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	/* An allocated page in the range: EBUSY without a migrate callback... */
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), 0);
	pmm_free_contig_range(m, start, end - start);
	assert_int_equal(pmm_alloc_contig_range(m, start + 5, start + 6, PMM_GFP_KERNEL), 0);
	busy = pmm_pfn_to_page(m, start + 5);
	strcpy(pmm_page_address(m, busy), "payload");
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_machine_valid(m);
	/* ... and moved away with one. */
	pmm_set_mm_ops(m, &ops, &mv);
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), 0);
	assert_true(mv.n >= 1);
	assert_string_equal(pmm_page_address(m, mv.moved[mv.n - 1]), "payload");
	pmm_free_contig_range(m, start, end - start);
	for (int i = 0; i < mv.n; i++)
		pmm_free_pages(m, mv.moved[i], 0);
	/* alloc_contig_pages finds an aligned range by itself. */
	first = pmm_alloc_contig_pages(m, 1000, PMM_GFP_KERNEL, PMM_NUMA_NO_NODE);
	assert_non_null(first);
	assert_int_equal(pmm_page_to_pfn(m, first) % 1024, 0);
	pmm_free_contig_range(m, pmm_page_to_pfn(m, first), 1000);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * boost_watermark() caps the boost at watermark_boost_factor of the
 * unboosted high mark (6.1's zone->_watermark[WMARK_HIGH]), at least a
 * pageblock: fragmenting fallbacks by requests that never wake kswapd
 * (nothing ends the boost then) must stop there, not raise the cap with
 * the boost they add.
 */
static void test_boost_cap(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 cpus=1 watermark_boost_factor=15000", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	unsigned long cap = MAX(pageblock_nr_pages, z->_watermark[WMARK_HIGH] * 15000 / 10000);
	unsigned long n = 0, max_boost = 0, total = pmm_totalram_pages(m);
	struct pmm_page *p, **held = calloc(total + 4000, sizeof(*held));

	(void)state;
	assert_non_null(held);
	/* Every frame movable, then all but one per pageblock freed: only movable blocks are free. */
	while ((p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_MEMALLOC | PMM___GFP_NOWARN, 0)))
		held[n++] = p;
	for (unsigned long i = 0; i < n; i++)
		if (pmm_page_to_pfn(m, held[i]) % pageblock_nr_pages) {
			pmm_free_pages(m, held[i], 0);
			held[i] = NULL;
		}
	pmm_drain_all(m);
	/* Unmovable requests without __GFP_KSWAPD_RECLAIM: each block they use is a fallback. */
	for (int i = 0; i < 4000 && (p = pmm_alloc_pages(m, PMM___GFP_NOWARN, 0)); i++) {
		held[n++] = p;
		max_boost = MAX(max_boost, z->watermark_boost);
	}
	assert_true(max_boost >= pageblock_nr_pages);
	assert_true(max_boost <= cap);
	for (unsigned long i = 0; i < n; i++)
		if (held[i])
			pmm_free_pages(m, held[i], 0);
	free(held);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* Boost zone @z by @pages as boost_watermark() does (under its lock). */
static void boost_zone(struct zone *z, unsigned long pages, bool wake)
{
	pmm_lock(&z->lock);
	__atomic_store_n(&z->watermark_boost, pages, __ATOMIC_RELAXED);
	if (wake)
		__atomic_fetch_or(&z->flags, 1ul << ZONE_BOOSTED_WATERMARK, __ATOMIC_RELAXED);
	zone_fast_update(z);
	pmm_unlock(&z->lock);
}

/*
 * kswapd's balancing (balance_pgdat()) drops the boost of every zone of
 * the node up to the zone index it was woken for: the boosted zone's own
 * wake-up from rmqueue() clears the zones below it too, and the slow
 * path's wake_all_kswapds() clears the request's zones whether or not
 * the embedder listens to the wake-up.  The allocation failure report
 * prints the marks with the boost, as zoneinfo does (__show_free_areas()).
 */
static void test_boost_cleared_by_kswapd(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=1G cpus=1", &log);
	struct zone *dma = &m->node_data[0]->node_zones[ZONE_DMA];
	struct zone *dma32 = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page *held[1024], *p;
	unsigned long n = 0;
	char want[128];

	(void)state;
	/* No order-10 block left: such a request fails and is reported. */
	while (n < 1024 && (p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_NOWARN, 10)))
		held[n++] = p;
	assert_true(n < 1024);
	boost_zone(dma, 512, false);
	boost_zone(dma32, 1024, false);
	/* gfp 0 wakes no kswapd: the boosts stay, and the report's marks include them. */
	pmm_test_log_reset(&log);
	assert_null(pmm_alloc_pages(m, 0, 10));
	snprintf(want, sizeof(want), "Node 0 DMA32 free:%lukB boost:4096kB min:%lukB low:%lukB high:%lukB ",
		 (unsigned long)zone_page_state(dma32, NR_FREE_PAGES) * 4, min_wmark_pages(dma32) * 4,
		 low_wmark_pages(dma32) * 4, high_wmark_pages(dma32) * 4);
	assert_true(min_wmark_pages(dma32) == dma32->_watermark[WMARK_MIN] + 1024);
	if (!pmm_test_log_has(&log, want))
		fail_msg("no \"%s\" in:\n%s", want, log.buf);
	assert_int_equal(dma->watermark_boost, 512);
	/* A GFP_KERNEL slow path, no wake_kswapd callback: DMA and DMA32 lose their boosts. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NORETRY | PMM___GFP_NOWARN, 10));
	assert_int_equal(dma->watermark_boost, 0);
	assert_int_equal(dma32->watermark_boost, 0);
	/* A boosted DMA32 that wakes kswapd from rmqueue(): DMA's boost goes too. */
	boost_zone(dma, 512, false);
	boost_zone(dma32, 1024, true);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM_GFP_DMA32, 4);
	assert_non_null(p);
	assert_int_equal(pmm_page_zonenum(p), ZONE_DMA32);
	assert_int_equal(dma32->watermark_boost, 0);
	assert_int_equal(dma->watermark_boost, 0);
	pmm_free_pages(m, p, 4);
	while (n)
		pmm_free_pages(m, held[--n], 10);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

/*
 * zone_statistics(): a buddy allocation served off the preferred node
 * counts numa_miss on the zone that served it and numa_foreign on the
 * preferred zone itself, whatever zone index served it.
 */
static void test_numa_foreign_on_preferred_zone(void **state)
{
	struct pmm *m = pmm_test_machine("node=0:0+64M node=1:0x100000000+64M dma=0 cpus=2 "
					 "node_cpus=0:0 node_cpus=1:1",
					 NULL);
	struct zone *n1normal = &m->node_data[1]->node_zones[ZONE_NORMAL];
	struct zone *n1dma32 = &m->node_data[1]->node_zones[ZONE_DMA32];
	struct zone *n0dma32 = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page *p, *held[4096];
	unsigned long n = 0, remote = 0;

	(void)state;
	pmm_set_thread_cpu(m, 1);
	/* Order 4, not a per-CPU order: rmqueue_buddy()'s accounting. */
	while (remote < 5 && n < 4096 &&
	       (p = pmm_alloc_pages_node(m, 1, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 4))) {
		held[n++] = p;
		remote += pmm_page_nid(p) == 0;
	}
	assert_int_equal(remote, 5);
	assert_int_equal(n0dma32->vm_numa_event[NUMA_MISS], 5);
	assert_int_equal(n1normal->vm_numa_event[NUMA_FOREIGN], 5);
	assert_int_equal(n1dma32->vm_numa_event[NUMA_FOREIGN], 0);
	while (n)
		pmm_free_pages(m, held[--n], 4);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * The pageblocks the range touches decide it, whole, and only they are
 * isolated and change type (Linux 5.19+: isolate_single_pageblock() checks
 * its edge blocks whole and splits a free block that crosses into a
 * neighbour).  An unmovable frame in another pageblock of the same
 * max-order block does not make the request busy; one in the same
 * pageblock does, unless it can be moved and lies outside the range.
 */
static void test_contig_range_neighbours(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	unsigned long free0 = pmm_nr_free_pages(m), pfn, blk, other;
	struct mover mv = { .lo = 0x8000, .hi = 0x8400 };
	struct pmm_mm_ops ops = { .migrate = move_block };
	struct pmm_page *p;

	(void)state;
	/* No migrate callback: an allocated frame is unmovable. */
	assert_int_equal(pmm_alloc_contig_range(m, 0x8007, 0x8008, PMM_GFP_KERNEL), 0);
	assert_int_equal(pmm_alloc_contig_range(m, 0x8200, 0x8400, PMM_GFP_KERNEL), 0);
	/* Its pageblock's free frames stayed free, its neighbour's were not taken. */
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, 0x81ff)), 0);
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, 0x8400)), 0);
	pmm_free_contig_range(m, 0x8200, 0x200);
	assert_int_equal(pmm_alloc_contig_range(m, 0x8010, 0x8020, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_int_equal(pmm_alloc_contig_range(m, 0x8000, 0x8010, PMM_GFP_KERNEL), -PMM_EBUSY);
	/* Movable (a callback, a movable block) and outside the range: left where it is. */
	pmm_set_mm_ops(m, &ops, &mv);
	assert_int_equal(pmm_alloc_contig_range(m, 0x8010, 0x8020, PMM_GFP_KERNEL), 0);
	assert_int_equal(mv.n, 0);
	pmm_free_contig_range(m, 0x8010, 0x10);
	pmm_set_mm_ops(m, NULL, NULL);
	pmm_free_contig_range(m, 0x8007, 1);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_machine_valid(m);
	/* An unmovable pageblock beside a request keeps its type. */
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pfn = pmm_page_to_pfn(m, p);
	blk = ALIGN_DOWN(pfn, pageblock_nr_pages);
	other = blk ^ pageblock_nr_pages;
	assert_int_equal(get_pfnblock_migratetype(m, blk), MIGRATE_UNMOVABLE);
	assert_int_equal(pmm_alloc_contig_range(m, other, other + pageblock_nr_pages, PMM_GFP_KERNEL), 0);
	assert_int_equal(get_pfnblock_migratetype(m, blk), MIGRATE_UNMOVABLE);
	pmm_free_contig_range(m, other, pageblock_nr_pages);
	/* Also when the request fails: the busy frame is in it this time. */
	assert_int_equal(pmm_alloc_contig_range(m, pfn, pfn + 1, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_int_equal(get_pfnblock_migratetype(m, blk), MIGRATE_UNMOVABLE);
	pmm_free_pages(m, p, 0);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* What a failed pmm_alloc_contig_range() must leave as it found it. */
struct zone_state {
	unsigned long nr_free[MAX_ORDER], free_pages;
	int mt[8];
};

static void zone_state_take(struct pmm *m, struct zone *z, unsigned long pfn, struct zone_state *st)
{
	for (unsigned o = 0; o < MAX_ORDER; o++)
		st->nr_free[o] = z->free_area[o].nr_free;
	st->free_pages = pmm_nr_free_pages(m);
	for (int i = 0; i < 8; i++)
		st->mt[i] = get_pfnblock_migratetype(m, pfn + (unsigned long)i * pageblock_nr_pages);
	assert_int_equal(z->nr_isolate_pageblock, 0);
}

static void assert_zone_state(struct pmm *m, struct zone *z, unsigned long pfn,
			      const struct zone_state *before)
{
	struct zone_state now;

	pmm_drain_all(m);
	zone_state_take(m, z, pfn, &now);
	assert_memory_equal(&now, before, sizeof(now));
	assert_machine_valid(m);
}

enum mover_mode { MOVER_FAIL, MOVER_KEEP, MOVER_NESTED };

struct bad_mover {
	enum mover_mode mode;
	unsigned long nested_start;
	int calls, nested_err;
	struct mover inner;
};

static int move_block_badly(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct bad_mover *bm = ctx;

	bm->calls++;
	switch (bm->mode) {
	case MOVER_FAIL:
		return -PMM_ENOMEM;
	case MOVER_KEEP:
		return 0; /* says it moved the block, but never freed it */
	case MOVER_NESTED:
		/* Someone else's request for an overlapping range while ours holds it isolated. */
		bm->nested_err = pmm_alloc_contig_range(m, bm->nested_start, bm->nested_start + 16,
							PMM_GFP_KERNEL);
		return move_block(&bm->inner, m, pfn, order);
	}
	return -PMM_EINVAL;
}

/*
 * pmm_alloc_contig_range() failing late leaves the zone as it was:
 * - a pageblock that cannot be isolated after earlier ones were (their
 *   isolation is rolled back, the free blocks merge again);
 * - a migrate callback that fails, or that claims success but keeps the page;
 * and a second request for an overlapping range while the first holds it
 * isolated is busy, without disturbing the first.
 */
static void test_contig_range_failures(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=2", NULL);
	const unsigned long start = 0x8000, end = start + 4 * pageblock_nr_pages;
	struct zone *z = page_zone(m, pfn_to_page(m, start));
	unsigned long busy_pfn = start + 3 * pageblock_nr_pages + 7;
	struct bad_mover bm = { .inner = { .lo = start, .hi = end } };
	struct pmm_mm_ops ops = { .migrate = move_block_badly };
	struct zone_state before;

	(void)state;
	/* An allocated page in the last pageblock: no migrate callback, so it is unmovable. */
	assert_int_equal(pmm_alloc_contig_range(m, busy_pfn, busy_pfn + 1, PMM_GFP_KERNEL), 0);
	strcpy(pmm_page_address(m, pmm_pfn_to_page(m, busy_pfn)), "stays");
	zone_state_take(m, z, start, &before);
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_zone_state(m, z, start, &before);

	/* The callback fails: nothing taken, nothing isolated. */
	pmm_set_mm_ops(m, &ops, &bm);
	bm.mode = MOVER_FAIL;
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_int_equal(bm.calls, 1);
	assert_zone_state(m, z, start, &before);
	/*
	 * It says "moved" but the page is still held: asked 10 times (6.1's
	 * passes), then busy, not taken from under its owner.
	 */
	bm.mode = MOVER_KEEP;
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_int_equal(bm.calls, 11);
	assert_zone_state(m, z, start, &before);
	assert_string_equal(pmm_page_address(m, pmm_pfn_to_page(m, busy_pfn)), "stays");
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, busy_pfn)), 1);

	/* A nested request for part of the range while it is isolated: busy; ours succeeds. */
	bm.mode = MOVER_NESTED;
	bm.nested_start = start + 100;
	assert_int_equal(pmm_alloc_contig_range(m, start, end, PMM_GFP_KERNEL), 0);
	assert_int_equal(bm.calls, 12);
	assert_int_equal(bm.nested_err, -PMM_EBUSY);
	assert_int_equal(bm.inner.n, 1);
	assert_string_equal(pmm_page_address(m, bm.inner.moved[0]), "stays");
	for (unsigned long pfn = start; pfn < end; pfn++)
		assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, pfn)), 1);
	pmm_free_contig_range(m, start, end - start);
	pmm_free_pages(m, bm.inner.moved[0], 0);
	/*
	 * One for another pageblock of the same max-order block: each
	 * isolates only its own pageblocks, so both succeed.
	 */
	assert_int_equal(pmm_alloc_contig_range(m, busy_pfn, busy_pfn + 1, PMM_GFP_KERNEL), 0);
	bm.inner = (struct mover){ .lo = busy_pfn - 7, .hi = busy_pfn + 9 };
	bm.nested_start = start + 2 * pageblock_nr_pages;
	assert_int_equal(pmm_alloc_contig_range(m, busy_pfn - 7, busy_pfn + 9, PMM_GFP_KERNEL), 0);
	assert_int_equal(bm.nested_err, 0);
	assert_int_equal(bm.calls, 13);
	pmm_free_contig_range(m, busy_pfn - 7, 16);
	pmm_free_contig_range(m, bm.nested_start, 16);
	while (bm.inner.n)
		pmm_free_pages(m, bm.inner.moved[--bm.inner.n], 0);
	pmm_drain_all(m);
	assert_int_equal(z->nr_isolate_pageblock, 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* Free page reporting gives memory back to the host: RSS falls. */
static void test_page_reporting_rss(void **state)
{
	struct pmm *m = pmm_test_machine("mem=512M cpus=1", NULL);
	struct pmm_page *p[64];
	size_t before, touched, after;

	(void)state;
	before = pmm_test_resident_bytes(m->mem, m->mem_size) / 4096;
	for (int i = 0; i < 64; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10);
		memset(pmm_page_address(m, p[i]), 0x5a, 4 << 20);
	}
	touched = pmm_test_resident_bytes(m->mem, m->mem_size) / 4096;
	assert_true(touched >= before + 64 * 1024);
	for (int i = 0; i < 64; i++)
		pmm_free_pages(m, p[i], 10);
	assert_int_equal(pmm_page_reporting_register(m, 0, NULL, NULL), 0);
	assert_int_equal(pmm_page_reporting_register(m, 0, NULL, NULL), -PMM_EBUSY);
	assert_true(pmm_page_reporting_run(m) >= 64 * 1024);
	after = pmm_test_resident_bytes(m->mem, m->mem_size) / 4096;
	print_message("reporting: resident frames %zu -> %zu -> %zu\n", before, touched, after);
	assert_true(after + 64 * 1024 <= touched);
	/* Reported blocks are still free and still allocate (zeroed by the host). */
	p[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10);
	assert_non_null(p[0]);
	pmm_free_pages(m, p[0], 10);
	assert_machine_valid(m);
	pmm_page_reporting_unregister(m);
	pmm_destroy(m);
}

static void alloc_sequence(const char *cfg, unsigned long *out, int n)
{
	struct pmm *m = pmm_test_machine(cfg, NULL);
	struct pmm_page *p[64];

	for (int i = 0; i < n; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10);
		out[i] = pmm_page_to_pfn(m, p[i]);
	}
	for (int i = 0; i < n; i++)
		pmm_free_pages(m, p[i], 10);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void test_shuffle_seed(void **state)
{
	unsigned long a[32], b[32], c[32], plain[32];
	int diff_seed = 0, diff_plain = 0;

	(void)state;
	alloc_sequence("mem=1G page_alloc.shuffle=1 seed=42", a, 32);
	alloc_sequence("mem=1G page_alloc.shuffle=1 seed=42", b, 32);
	alloc_sequence("mem=1G page_alloc.shuffle=1 seed=43", c, 32);
	alloc_sequence("mem=1G", plain, 32);
	assert_memory_equal(a, b, sizeof(a));
	for (int i = 0; i < 32; i++) {
		diff_seed += a[i] != c[i];
		diff_plain += a[i] != plain[i];
	}
	assert_true(diff_seed > 0);
	assert_true(diff_plain > 0);
}

/*
 * fail-nth and CPU pins are per-thread state naming a machine: a machine
 * destroyed with one pending must not pass it to a later machine, even one
 * booted at the same address (they name machines by id, not by address).
 */
static void test_thread_state_outlives_no_machine(void **state)
{
	struct pmm *old = pmm_test_machine("mem=64M cpus=4", NULL), *m = NULL;
	struct pmm_page *p[3];
	int at_same = 0;

	(void)state;
	pmm_fail_nth(old, 2);
	pmm_destroy(old);
	for (int tries = 0; tries < 20 && !m; tries++) {
		m = pmm_test_machine("mem=64M cpus=4", NULL);
		if (m != old) {
			pmm_destroy(m);
			m = NULL;
		}
	}
	if (!m)
		m = pmm_test_machine("mem=64M cpus=4", NULL);
	else
		at_same = 1;
	for (int i = 0; i < 3; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		assert_non_null(p[i]); /* the old machine's "fail the 2nd" does not apply */
	}
	for (int i = 0; i < 3; i++)
		pmm_free_pages(m, p[i], 0);
	print_message("  new machine %s the old one's address\n", at_same ? "at" : "not at");
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void test_fault_injection(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=128M", &log);
	struct pmm_fail_attr a;
	struct pmm_page *p[8];
	int fails = 0;

	(void)state;
	/* fail-nth: exactly the 3rd allocation of this thread fails. */
	pmm_fail_nth(m, 3);
	for (int i = 0; i < 5; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		if (i == 2)
			assert_null(p[i]);
		else
			assert_non_null(p[i]);
	}
	for (int i = 0; i < 5; i++)
		if (p[i])
			pmm_free_pages(m, p[i], 0);
	/* fail_page_alloc: probability 100, times 3, min-order 0, not sparing reclaim. */
	pmm_fail_attr_default(&a);
	a.probability = 100;
	a.times = 3;
	a.min_order = 0;
	a.ignore_gfp_reclaim = false;
	assert_int_equal(pmm_fail_page_alloc_set(m, &a), 0);
	for (int i = 0; i < 8; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
		fails += !p[i];
	}
	assert_int_equal(fails, 3);
	assert_true(pmm_test_log_has(&log, "FAULT_INJECTION: forcing a failure.\nname fail_page_alloc, interval 1, probability 100, space 0, times 2\n"));
	for (int i = 0; i < 8; i++)
		if (p[i])
			pmm_free_pages(m, p[i], 1);
	a.probability = 101;
	assert_int_equal(pmm_fail_page_alloc_set(m, &a), -PMM_EINVAL);
	assert_int_equal(pmm_fail_page_alloc_set(m, NULL), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* Slow path: the embedder's reclaim frees memory and the retry succeeds. */
struct reserve {
	struct pmm *m;
	struct pmm_page *held[4096];
	int n, calls;
};

static unsigned long reclaim_cb(void *ctx, pmm_gfp_t gfp, unsigned order)
{
	struct reserve *r = ctx;
	unsigned long freed = 0;

	(void)gfp;
	(void)order;
	r->calls++;
	while (r->n && freed < 256) {
		pmm_free_pages(r->m, r->held[--r->n], 0);
		freed++;
	}
	return freed;
}

static void test_reclaim_callback(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=32M dma=0 cpus=1", &log);
	struct reserve r = { .m = m };
	struct pmm_mm_ops ops = { .reclaim = reclaim_cb };
	struct pmm_page **all = calloc(1 << 14, sizeof(*all));
	unsigned long n = 0;
	struct pmm_page *p;

	(void)state;
	while (r.n < 4096 && (r.held[r.n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		r.n++;
	while ((all[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		n++;
	/* Without reclaim the slow path fails cleanly and warns once. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL, 0));
	assert_true(pmm_test_log_has(&log, "page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null)"));
	assert_true(pmm_test_log_has(&log, "lowmem_reserve[]:"));
	/* __GFP_NORETRY without direct reclaim: fails without calling back. */
	pmm_set_mm_ops(m, &ops, &r);
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 0));
	assert_int_equal(r.calls, 0);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_non_null(p);
	assert_true(r.calls >= 1);
	pmm_free_pages(m, p, 0);
	while (n)
		pmm_free_pages(m, all[--n], 0);
	while (r.n)
		pmm_free_pages(m, r.held[--r.n], 0);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * The slow path's rounds, as Linux 6.1 makes them.  An embedder's reclaim
 * that frees @per_call held pages a call (or claims progress without
 * freeing any), and may report what it could still free (@reclaimable).
 */
struct slow {
	struct pmm *m;
	struct pmm_page **held;
	unsigned long n, calls, per_call;
	bool claim;             /* report progress without freeing anything */
	unsigned long stuck;    /* calls that free nothing before the frees begin */
	int depth, max_depth;   /* reentry of the callback */
	unsigned long report;   /* reclaimable pages to report, if not the held ones */
	bool nested;            /* allocate GFP_KERNEL from inside the callback */
	struct pmm_page *nested_page;
};

static unsigned long slow_reclaim(void *ctx, pmm_gfp_t gfp, unsigned order)
{
	struct slow *s = ctx;
	unsigned long freed = 0;

	(void)gfp;
	(void)order;
	s->calls++;
	s->depth++;
	s->max_depth = s->depth > s->max_depth ? s->depth : s->max_depth;
	if (s->nested && !s->nested_page)
		s->nested_page = pmm_alloc_pages(s->m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0);
	if (s->calls > s->stuck)
		while (s->n && freed < s->per_call) {
			pmm_free_pages(s->m, s->held[--s->n], 0);
			freed++;
		}
	s->depth--;
	return s->claim ? 1 : freed;
}

static unsigned long slow_reclaimable(void *ctx, int nid, int zone_idx)
{
	struct slow *s = ctx;

	(void)nid;
	(void)zone_idx;
	return s->report ? s->report : s->n;
}

/* Allocate everything left with @gfp into @all (at most @cap); the count. */
static unsigned long take_all(struct pmm *m, pmm_gfp_t gfp, struct pmm_page **all,
			      unsigned long cap)
{
	unsigned long n = 0;

	while (n < cap && (all[n] = pmm_alloc_pages(m, gfp | PMM___GFP_NOWARN, 0)))
		n++;
	return n;
}

static void give_back(struct pmm *m, struct pmm_page **all, unsigned long n)
{
	while (n)
		pmm_free_pages(m, all[--n], 0);
}

/*
 * Reclaim that made no progress ends the round: the per-CPU lists are not
 * drained (6.1's __alloc_pages_direct_reclaim() returns at once), so pages
 * another CPU holds stay there and the request fails.  Reclaim that made
 * progress drains them and the request gets one.
 */
static void test_reclaim_no_progress_no_drain(void **state)
{
	struct pmm *m = pmm_test_machine("mem=32M dma=0 cpus=2", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct slow s = { .m = m, .claim = true };
	struct pmm_mm_ops ops = { .reclaim = slow_reclaim };
	struct pmm_page **all = calloc(1 << 14, sizeof(*all)), *few[16], *p;
	unsigned long n;

	(void)state;
	assert_int_equal(pmm_set_thread_cpu(m, 1), 0);
	for (int i = 0; i < 16; i++)
		few[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	for (int i = 0; i < 16; i++)
		pmm_free_pages(m, few[i], 0);
	assert_true(z->per_cpu_pageset[1].count >= 16);
	assert_int_equal(pmm_set_thread_cpu(m, 0), 0);
	n = take_all(m, PMM_GFP_KERNEL, all, 1 << 14);
	assert_true(z->per_cpu_pageset[1].count >= 16); /* no drain on the failures */
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NORETRY | PMM___GFP_NOWARN, 0));
	assert_int_equal(pmm_test_vmstat(m, "allocstall_normal"), 2);
	pmm_set_mm_ops(m, &ops, &s);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NORETRY | PMM___GFP_NOWARN, 0);
	assert_non_null(p);
	assert_int_equal(s.calls, 1);
	assert_int_equal(z->per_cpu_pageset[1].count, 0);
	pmm_free_pages(m, p, 0);
	give_back(m, all, n);
	free(all);
	pmm_set_thread_cpu(m, -1);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * Reclaim is called again only while a zone would pass its min mark with
 * what reclaim could still free counted (should_reclaim_retry()): without
 * the embedder's count that is never, so one call; with it, as many calls
 * as it takes; with progress but nothing to count, one; with a count but no
 * progress, MAX_RECLAIM_RETRIES + 1 calls.  Everything is taken, so the
 * zone starts at 0 free and each call frees one page.
 */
static void test_reclaim_retries(void **state)
{
	struct pmm *m = pmm_test_machine("mem=32M dma=0 cpus=1", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	unsigned long min = z->_watermark[WMARK_MIN], n, stalls;
	struct pmm_page **all = calloc(1 << 14, sizeof(*all)), *p;
	struct slow s = { .m = m, .per_call = 1 };
	struct pmm_mm_ops ops = { .reclaim = slow_reclaim };

	(void)state;
	assert_int_equal(pmm_set_thread_cpu(m, 0), 0);
	s.held = calloc(2048, sizeof(*s.held));
	s.n = take_all(m, PMM_GFP_KERNEL, s.held, 2048);
	assert_int_equal(s.n, 2048);
	n = take_all(m, PMM_GFP_KERNEL | PMM___GFP_MEMALLOC, all, 1 << 14);
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), 0);
	assert_true(min > 20 && min < 1000);

	/* Progress, nothing counted as reclaimable: one call, then failure. */
	pmm_set_mm_ops(m, &ops, &s);
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	assert_int_equal(s.calls, 1);
	/* Counted: call after call until the zone is above its min mark. */
	ops.reclaimable = slow_reclaimable;
	pmm_set_mm_ops(m, &ops, &s);
	s.calls = 0;
	stalls = pmm_test_vmstat(m, "allocstall_normal");
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0);
	assert_non_null(p);
	assert_int_equal(s.calls, min); /* 1 + min frees: free > min */
	assert_int_equal(pmm_test_vmstat(m, "allocstall_normal"), stalls + min);
	pmm_free_pages(m, p, 0);
	/* Claimed reclaimable pages but no progress: 17 calls, then failure. */
	s.per_call = 0;
	s.calls = 0;
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	assert_int_equal(s.calls, MAX_RECLAIM_RETRIES + 1);
	/* __GFP_NORETRY: one call whatever is counted. */
	s.calls = 0;
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NORETRY | PMM___GFP_NOWARN, 0));
	assert_int_equal(s.calls, 1);
	pmm_set_mm_ops(m, NULL, NULL);
	give_back(m, all, n);
	give_back(m, s.held, s.n);
	free(s.held);
	free(all);
	pmm_set_thread_cpu(m, -1);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * zone_watermark_fast() of 6.1: an order-0 request at the min mark may
 * ignore a watermark boost only if it carries __GFP_ATOMIC (6.3 turned
 * that into ALLOC_MIN_RESERVE, __GFP_HIGH).  With min 256, a boost of 1024
 * and 300 pages free: __GFP_HIGH alone (min -= min/2, then /4 for a
 * request that cannot sleep) needs more than 480 and fails; __GFP_ATOMIC
 * alone checks the unboosted 192 and succeeds.  Neither wakes kswapd, so
 * the boost stays.
 */
static void test_boost_ignored_by_gfp_atomic_only(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 pcp=off cpus=1", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page **all = calloc(1 << 15, sizeof(*all)), *p;
	unsigned long n;

	(void)state;
	assert_non_null(all);
	assert_int_equal(z->_watermark[WMARK_MIN], 256);
	n = take_all(m, PMM_GFP_KERNEL, all, 1 << 15);
	while (zone_page_state(z, NR_FREE_PAGES) < 300)
		pmm_free_pages(m, all[--n], 0);
	boost_zone(z, 1024, false);
	assert_null(pmm_alloc_pages(m, PMM___GFP_HIGH | PMM___GFP_NOWARN, 0));
	p = pmm_alloc_pages(m, PMM___GFP_ATOMIC | PMM___GFP_NOWARN, 0);
	assert_non_null(p);
	assert_int_equal(z->watermark_boost, 1024);
	pmm_free_pages(m, p, 0);
	boost_zone(z, 0, false);
	give_back(m, all, n);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * gfp_to_alloc_flags() of 6.1.y: a high-order request that cannot reclaim
 * gets ALLOC_HIGHATOMIC, __GFP_HIGH or not, unless it says
 * __GFP_NOMEMALLOC; a successful one then reserves its pageblock.  With 40
 * pages free (between min and low), order-1 requests go to the slow path.
 */
static unsigned long highatomic_after(pmm_gfp_t gfp)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 pcp=off watermark_boost_factor=0", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page **all = calloc(1 << 15, sizeof(*all)), *p;
	unsigned long n, reserved;

	assert_non_null(all);
	n = take_all(m, PMM_GFP_KERNEL, all, 1 << 15);
	for (int i = 0; i < 40; i++)
		pmm_free_pages(m, all[--n], 0);
	p = pmm_alloc_pages(m, gfp | PMM___GFP_NOWARN, 1);
	assert_non_null(p);
	reserved = z->nr_reserved_highatomic;
	pmm_free_pages(m, p, 1);
	give_back(m, all, n);
	free(all);
	pmm_destroy(m);
	return reserved;
}

static void test_highatomic_flag_from_gfp(void **state)
{
	(void)state;
	assert_int_equal(highatomic_after(PMM_GFP_ATOMIC), pageblock_nr_pages);
	assert_int_equal(highatomic_after(PMM_GFP_NOWAIT), pageblock_nr_pages);
	assert_int_equal(highatomic_after(PMM_GFP_ATOMIC | PMM___GFP_NOMEMALLOC), 0);
}

/*
 * A full zone but for one high-order atomic reserve block and a few pages:
 * above the min mark, but not once the reserve is taken off.  Returns the
 * machine; *@all and *@n hold what was taken, *@hpfn is in the reserve.
 */
static struct pmm *reserve_setup(struct pmm_page ***all, unsigned long *n, unsigned long *hpfn)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 pcp=off watermark_boost_factor=0", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page *p;

	*all = calloc(1 << 15, sizeof(**all));
	assert_non_null(*all);
	*n = take_all(m, PMM_GFP_KERNEL, *all, 1 << 15);
	p = pmm_alloc_pages(m, PMM_GFP_ATOMIC, 2);
	assert_non_null(p);
	assert_int_equal(z->nr_reserved_highatomic, pageblock_nr_pages);
	*hpfn = pmm_page_to_pfn(m, p);
	pmm_free_pages(m, p, 2);
	for (int i = 0; i < 8; i++)
		pmm_free_pages(m, (*all)[--*n], 0);
	assert_true(zone_page_state(z, NR_FREE_PAGES) > (long)min_wmark_pages(z));
	return m;
}

/*
 * The high-order atomic reserve is given back whole whenever
 * should_reclaim_retry() would give up (the 6.1.y backport "unreserve
 * highatomic page blocks before oom"): after MAX_RECLAIM_RETRIES rounds
 * without progress while reclaim says more could be freed, and at once
 * when nothing reclaimable could make a zone pass its min mark.  A
 * __GFP_NORETRY request gives up before that and leaves it reserved.
 */
static void test_highatomic_unreserved_before_giving_up(void **state)
{
	struct pmm_page **all, *p;
	struct slow s = { .report = 1ul << 20 };
	struct pmm_mm_ops ops = { .reclaim = slow_reclaim, .reclaimable = slow_reclaimable };
	unsigned long n, hpfn;
	struct pmm *m;
	struct zone *z;

	(void)state;
	/* Nothing reclaimable: the first give-up takes the reserve, and the retry its page. */
	m = reserve_setup(&all, &n, &hpfn);
	z = &m->node_data[0]->node_zones[ZONE_DMA32];
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NORETRY | PMM___GFP_NOWARN, 0));
	assert_int_equal(z->nr_reserved_highatomic, pageblock_nr_pages);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0);
	assert_non_null(p);
	assert_int_equal(z->nr_reserved_highatomic, 0);
	assert_int_equal(get_pfnblock_migratetype(m, hpfn), MIGRATE_UNMOVABLE);
	pmm_free_pages(m, p, 0);
	give_back(m, all, n);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);

	/* Sixteen rounds that free nothing while more is said reclaimable: then it goes. */
	m = reserve_setup(&all, &n, &hpfn);
	z = &m->node_data[0]->node_zones[ZONE_DMA32];
	s.m = m;
	pmm_set_mm_ops(m, &ops, &s);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0);
	assert_non_null(p);
	assert_int_equal(s.calls, MAX_RECLAIM_RETRIES + 1);
	assert_int_equal(z->nr_reserved_highatomic, 0);
	assert_int_equal(get_pfnblock_migratetype(m, hpfn), MIGRATE_UNMOVABLE);
	pmm_free_pages(m, p, 0);
	pmm_set_mm_ops(m, NULL, NULL);
	give_back(m, all, n);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * An allocation made from inside the reclaim callback may use the reserves
 * below the min mark and does not call reclaim again (PF_MEMALLOC).
 */
static void test_reclaim_callback_allocates(void **state)
{
	struct pmm *m = pmm_test_machine("mem=32M dma=0 cpus=1", NULL);
	struct slow s = { .m = m, .nested = true };
	struct pmm_mm_ops ops = { .reclaim = slow_reclaim };
	struct pmm_page **all = calloc(1 << 14, sizeof(*all));
	unsigned long n;

	(void)state;
	n = take_all(m, PMM_GFP_KERNEL, all, 1 << 14);
	pmm_set_mm_ops(m, &ops, &s);
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.max_depth, 1);
	assert_non_null(s.nested_page); /* from the reserves */
	/* Outside the callback the same request is refused. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 0));
	pmm_free_pages(m, s.nested_page, 0);
	pmm_set_mm_ops(m, NULL, NULL);
	give_back(m, all, n);
	free(all);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * Two machines whose reclaim callbacks each allocate from the other: the
 * thread is inside both, so neither callback is entered twice (the
 * kernel's PF_MEMALLOC is one flag per task).
 */
struct crossed {
	struct pmm *self, *other;
	int depth, max_depth, calls;
};

static unsigned long crossed_reclaim(void *ctx, pmm_gfp_t gfp, unsigned order)
{
	struct crossed *c = ctx;
	struct pmm_page *p;

	(void)gfp;
	(void)order;
	c->calls++;
	if (++c->depth > c->max_depth)
		c->max_depth = c->depth;
	if (c->depth < 8) { /* a bound for the test itself, should the guard fail */
		p = pmm_alloc_pages(c->other, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0);
		if (p)
			pmm_free_pages(c->other, p, 0);
	}
	c->depth--;
	return 0;
}

static void test_reclaim_callbacks_across_machines(void **state)
{
	struct pmm *a = pmm_test_machine("mem=32M dma=0 cpus=1", NULL);
	struct pmm *b = pmm_test_machine("mem=32M dma=0 cpus=1", NULL);
	struct crossed ca = { .self = a, .other = b }, cb = { .self = b, .other = a };
	struct pmm_mm_ops ops = { .reclaim = crossed_reclaim };
	struct pmm_page **all_a = calloc(1 << 14, sizeof(*all_a)), **all_b = calloc(1 << 14, sizeof(*all_b));
	unsigned long na, nb;

	(void)state;
	na = take_all(a, PMM_GFP_KERNEL | PMM___GFP_MEMALLOC, all_a, 1 << 14);
	nb = take_all(b, PMM_GFP_KERNEL | PMM___GFP_MEMALLOC, all_b, 1 << 14);
	pmm_set_mm_ops(a, &ops, &ca);
	pmm_set_mm_ops(b, &ops, &cb);
	assert_null(pmm_alloc_pages(a, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	assert_int_equal(ca.calls, 1);
	assert_int_equal(ca.max_depth, 1);
	assert_int_equal(cb.calls, 1);
	pmm_set_mm_ops(a, NULL, NULL);
	pmm_set_mm_ops(b, NULL, NULL);
	give_back(a, all_a, na);
	give_back(b, all_b, nb);
	free(all_a);
	free(all_b);
	assert_machine_valid(a);
	assert_machine_valid(b);
	pmm_destroy(a);
	pmm_destroy(b);
}

/*
 * __GFP_NOFAIL: a request that may reclaim goes round until a page is
 * free - here the reclaim callback frees one only on its 40th call, long
 * after an ordinary request would have failed; another thread's free ends
 * the wait of one on a machine without callbacks.  Without direct reclaim
 * it cannot wait: it fails, with the kernel's warning, once.
 */
struct nofail_waiter {
	struct pmm *m;
	struct pmm_page *page;
};

static void *nofail_thread(void *arg)
{
	struct nofail_waiter *w = arg;

	w->page = pmm_alloc_pages(w->m, PMM_GFP_KERNEL | PMM___GFP_NOFAIL, 0);
	return NULL;
}

static void test_nofail(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=32M dma=0 cpus=1", &log);
	struct pmm_page **all = calloc(1 << 14, sizeof(*all)), *p;
	struct slow s = { .m = m, .per_call = 1, .stuck = 40 };
	struct pmm_mm_ops ops = { .reclaim = slow_reclaim };
	struct nofail_waiter w = { .m = m };
	unsigned long n;
	pthread_t t;

	(void)state;
	alarm(120); /* a __GFP_NOFAIL request that never got its page */
	s.held = calloc(4, sizeof(*s.held));
	s.n = take_all(m, PMM_GFP_KERNEL, s.held, 4);
	n = take_all(m, PMM_GFP_KERNEL | PMM___GFP_MEMALLOC, all, 1 << 14);
	pmm_set_mm_ops(m, &ops, &s);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOFAIL, 0);
	assert_non_null(p);
	assert_int_equal(s.calls, 41);
	assert_false(pmm_test_log_has(&log, "page allocation failure"));
	pmm_free_pages(m, p, 0);
	pmm_drain_all(m);
	/* No callbacks: another thread's free is what the request waits for. */
	pmm_set_mm_ops(m, NULL, NULL);
	n += take_all(m, PMM_GFP_KERNEL | PMM___GFP_MEMALLOC, all + n, (1 << 14) - n);
	assert_int_equal(pmm_nr_free_pages(m), 0);
	assert_int_equal(pthread_create(&t, NULL, nofail_thread, &w), 0);
	usleep(20000);
	pmm_free_pages(m, all[--n], 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(w.page);
	all[n++] = w.page;
	/*
	 * GFP_NOWAIT | __GFP_NOFAIL cannot wait: it fails and warns, once
	 * (WARN_ON_ONCE_GFP(): not with __GFP_NOWARN, which leaves it armed).
	 */
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOFAIL | PMM___GFP_NOWARN, 0));
	assert_false(pmm_test_log_has(&log, "WARNING: __GFP_NOFAIL"));
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOFAIL, 0));
	assert_true(pmm_test_log_has(&log, "WARNING: __GFP_NOFAIL allocation of order 0 without "
					   "__GFP_DIRECT_RECLAIM: it can fail"));
	assert_true(pmm_test_log_has(&log, "page allocation failure: order:0"));
	pmm_test_log_reset(&log);
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOFAIL, 0));
	assert_false(pmm_test_log_has(&log, "WARNING: __GFP_NOFAIL"));
	alarm(0);
	give_back(m, all, n);
	give_back(m, s.held, s.n);
	free(s.held);
	free(all);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_sysctl(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G dma=0 cpus=2", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	char buf[64];

	(void)state;
	assert_int_equal(pmm_sysctl_write(m, "min_free_kbytes", "8192"), 0);
	assert_int_equal(z->_watermark[WMARK_MIN], 2048);
	assert_int_equal(z->_watermark[WMARK_LOW], 2048 + 512); /* max(2048/4, 262144*10/10000) */
	assert_int_equal(pmm_sysctl_read(m, "min_free_kbytes", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "8192\n");
	assert_int_equal(pmm_sysctl_write(m, "watermark_scale_factor", "3001"), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "watermark_scale_factor", "100"), 0);
	assert_int_equal(z->_watermark[WMARK_LOW], 2048 + 2621);
	assert_int_equal(pmm_sysctl_write(m, "percpu_pagelist_high_fraction", "4"), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "nonsense", "1"), -PMM_ENOENT);
	assert_int_equal(pmm_sysctl_read(m, "nonsense", buf, sizeof(buf)), -PMM_ENOENT);
	pmm_destroy(m);
}

/*
 * Every sysctl reads back as /proc/sys/vm prints it, and takes what the
 * kernel's proc_dointvec() takes: blank-separated ints, nothing else.
 * lowmem_reserve_ratio recomputes the reserves (zoneinfo's protection).
 */
static void test_sysctl_values(void **state)
{
	struct pmm *m = pmm_test_machine("mem=6G cpus=2", NULL);
	pg_data_t *pgdat = m->node_data[0];
	struct zone *dma32 = &pgdat->node_zones[ZONE_DMA32];
	long normal = zone_managed_pages(&pgdat->node_zones[ZONE_NORMAL]);
	char buf[64];
	static const struct { const char *name, *value; } bad[] = {
		{ "lowmem_reserve_ratio", "" },          { "lowmem_reserve_ratio", " \n" },
		{ "lowmem_reserve_ratio", "256,256" },   { "lowmem_reserve_ratio", "1 x" },
		{ "lowmem_reserve_ratio", "+5" },        { "lowmem_reserve_ratio", "4294967552" },
		{ "lowmem_reserve_ratio", "1 2147483648" }, { "lowmem_reserve_ratio", "0x10" },
		{ "lowmem_reserve_ratio", "\r5" },       { "min_free_kbytes", "5k" },
		{ "min_free_kbytes", "+5" },             { "min_free_kbytes", "99999999999" },
		{ "watermark_boost_factor", "-1" },      { "watermark_boost_factor", NULL },
		{ "percpu_pagelist_high_fraction", "7" }, { "watermark_scale_factor", "x 1" },
	};

	(void)state;
	assert_int_equal(pmm_sysctl_read(m, "watermark_scale_factor", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "10\n");
	assert_int_equal(pmm_sysctl_read(m, "watermark_boost_factor", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "15000\n");
	assert_int_equal(pmm_sysctl_read(m, "percpu_pagelist_high_fraction", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "0\n");
	pmm_sysctl_read(m, "lowmem_reserve_ratio", buf, sizeof(buf));
	assert_string_equal(buf, "256\t256\t32\t0\t0\n");
	assert_int_equal(dma32->lowmem_reserve[ZONE_NORMAL], normal / 256);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pmm_sysctl_write(m, bad[i].name, bad[i].value) != -PMM_EINVAL)
			fail_msg("%s='%s' was taken", bad[i].name, bad[i].value ? bad[i].value : "(null)");
	/* Nothing a refused write held was stored. */
	pmm_sysctl_read(m, "lowmem_reserve_ratio", buf, sizeof(buf));
	assert_string_equal(buf, "256\t256\t32\t0\t0\n");
	assert_int_equal(dma32->lowmem_reserve[ZONE_NORMAL], normal / 256);

	/* Fewer values than zones keep the rest; below 1 means no reserve. */
	assert_int_equal(pmm_sysctl_write(m, "lowmem_reserve_ratio", "\t100  64\n"), 0);
	pmm_sysctl_read(m, "lowmem_reserve_ratio", buf, sizeof(buf));
	assert_string_equal(buf, "100\t64\t32\t0\t0\n");
	assert_int_equal(dma32->lowmem_reserve[ZONE_NORMAL], normal / 64);
	assert_int_equal(pmm_sysctl_write(m, "lowmem_reserve_ratio", "256 -7 32 0 0 99"), 0);
	pmm_sysctl_read(m, "lowmem_reserve_ratio", buf, sizeof(buf));
	assert_string_equal(buf, "256\t0\t32\t0\t0\n");
	assert_int_equal(dma32->lowmem_reserve[ZONE_NORMAL], 0);
	assert_int_equal(pmm_sysctl_write(m, "watermark_boost_factor", " 0\n"), 0);
	assert_int_equal(pmm_sysctl_read(m, "watermark_boost_factor", buf, sizeof(buf)), 2);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* The embedder's kswapd hint and compaction, where the kernel's slow path calls them. */
struct hooks {
	struct pmm *m;
	int kswapd, kswapd_nid, kswapd_zone, compact;
	unsigned kswapd_order, compact_order;
	bool lie;               /* compaction says "maybe" and frees nothing */
	struct pmm_page *spare; /* the order-3 block compaction frees */
};

static void kswapd_cb(void *ctx, int nid, int zone_idx, unsigned order)
{
	struct hooks *h = ctx;

	h->kswapd++;
	h->kswapd_nid = nid;
	h->kswapd_zone = zone_idx;
	h->kswapd_order = order;
}

static bool compact_cb(void *ctx, pmm_gfp_t gfp, unsigned order)
{
	struct hooks *h = ctx;

	(void)gfp;
	h->compact++;
	h->compact_order = order;
	if (h->spare) {
		pmm_free_pages(h->m, h->spare, 3);
		pmm_drain_all(h->m); /* into the buddy lists, where the watermark check looks */
		h->spare = NULL;
		return true;
	}
	return h->lie;
}

static void test_kswapd_and_compact_callbacks(void **state)
{
	struct pmm *m = pmm_test_machine("mem=32M dma=0 cpus=1", NULL);
	struct hooks h = { .m = m };
	struct pmm_mm_ops ops = { .wake_kswapd = kswapd_cb, .compact = compact_cb };
	struct pmm_page **all = calloc(1 << 14, sizeof(*all));
	unsigned long n = 0, stalls;

	(void)state;
	pmm_set_mm_ops(m, &ops, &h);
	h.spare = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	assert_non_null(h.spare);
	assert_int_equal(h.kswapd, 0); /* plenty free: no hint */
	/* Every frame, the reserves too, then every other one back: only order 0 is free. */
	while ((all[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0)))
		n++;
	assert_true(h.kswapd >= 1); /* below the low mark the slow path woke "kswapd" */
	assert_int_equal(h.kswapd_nid, 0);
	/* For the request's zones: up to GFP_KERNEL's highest, ZONE_NORMAL, empty here (6.1). */
	assert_int_equal(h.kswapd_zone, ZONE_NORMAL);
	assert_int_equal(h.kswapd_order, 0);
	while ((all[n] = pmm_alloc_pages(m, PMM_GFP_ATOMIC | PMM___GFP_MEMALLOC | PMM___GFP_NOWARN, 0)))
		n++;
	for (unsigned long i = 0; i < n; i += 2)
		pmm_free_pages(m, all[i], 0), all[i] = NULL;
	pmm_drain_all(m);
	assert_int_equal(h.compact, 0); /* order 0 never compacts */

	stalls = pmm_test_vmstat(m, "allocstall_normal");
	assert_true(stalls >= 1); /* the request that found nothing left entered reclaim */
	/*
	 * An unmovable order-3 request compacts before any reclaim (6.1):
	 * compaction frees the spare block and the retry takes it.
	 */
	all[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 3);
	assert_non_null(all[0]);
	assert_int_equal(h.compact, 1);
	assert_int_equal(h.compact_order, 3);
	assert_int_equal(h.kswapd_order, 3);
	assert_int_equal(pmm_test_vmstat(m, "compact_stall"), 1);
	assert_int_equal(pmm_test_vmstat(m, "compact_success"), 1);
	assert_int_equal(pmm_test_vmstat(m, "compact_fail"), 0);
	assert_int_equal(pmm_test_vmstat(m, "allocstall_normal"), stalls);
	/*
	 * A callback that says a block may be free when none is: compaction
	 * first, then one round of reclaim (nothing to reclaim: no progress,
	 * so no drain) and compaction again; the look after each finds
	 * nothing and the request fails, instead of allocating again from
	 * the top.  GFP_KERNEL's highest zone is Normal, which this machine
	 * lacks: the stall is counted there all the same, as 6.1 does.
	 */
	h.lie = true;
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 3));
	assert_int_equal(h.compact, 3);
	assert_int_equal(pmm_test_vmstat(m, "compact_stall"), 3);
	assert_int_equal(pmm_test_vmstat(m, "compact_success"), 1);
	assert_int_equal(pmm_test_vmstat(m, "compact_fail"), 2);
	assert_int_equal(pmm_test_vmstat(m, "allocstall_normal"), stalls + 1);
	assert_int_equal(pmm_test_vmstat(m, "allocstall_dma32"), 0);
	/* A movable order-3 request reclaims before it compacts: one call. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_NOWARN, 3));
	assert_int_equal(h.compact, 4);
	assert_int_equal(pmm_test_vmstat(m, "allocstall_movable"), 1);
	/* Compaction that did not run (false) counts nothing. */
	h.lie = false;
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 3));
	assert_int_equal(h.compact, 6);
	assert_int_equal(pmm_test_vmstat(m, "compact_stall"), 4);
	/* GFP_NOIO may not migrate: never compacted (try_to_compact_pages()). */
	h.lie = true;
	assert_null(pmm_alloc_pages(m, PMM_GFP_NOIO | PMM___GFP_NOWARN, 3));
	assert_int_equal(h.compact, 6);
	assert_int_equal(pmm_test_vmstat(m, "compact_stall"), 4);
	pmm_free_pages(m, all[0], 3);
	all[0] = NULL;
	for (unsigned long i = 1; i < n; i += 2)
		pmm_free_pages(m, all[i], 0);
	free(all);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A fallback that steals part of a pageblock boosts the watermark and, for a
 * request that may wake kswapd, wakes it from rmqueue() - for order 0, as
 * Linux 6.1 does, whatever order was asked.  Only one free block is left,
 * an order-8 block in a MOVABLE pageblock, so an order-2 unmovable request
 * must steal from it.
 */
static void test_boosted_watermark_wakes_kswapd(void **state)
{
	struct pmm *m = pmm_test_machine("mem=32M dma=0 pcp=off cpus=1", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	const pmm_gfp_t all_of_it = PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_MEMALLOC | PMM___GFP_NOWARN;
	struct hooks h = { .m = m };
	struct pmm_mm_ops ops = { .wake_kswapd = kswapd_cb };
	struct pmm_page **big = calloc(64, sizeof(*big)), **small = calloc(1 << 14, sizeof(*small));
	struct pmm_page *p;
	unsigned long nbig = 0, nsmall = 0;

	(void)state;
	while (nbig < 64 && (big[nbig] = pmm_alloc_pages(m, all_of_it, 8)))
		nbig++;
	while ((small[nsmall] = pmm_alloc_pages(m, all_of_it, 0)))
		nsmall++;
	assert_true(nbig >= 2);
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), 0);
	pmm_free_pages(m, big[--nbig], 8);
	assert_int_equal(get_pageblock_migratetype(m, (struct page *)big[nbig]), MIGRATE_MOVABLE);

	pmm_set_mm_ops(m, &ops, &h);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 2);
	assert_non_null(p);
	assert_int_equal(h.kswapd, 1);
	/* Woken for the boosted zone (rmqueue()'s wakeup_kswapd(zone, 0, 0, zone_idx(zone))). */
	assert_int_equal(h.kswapd_zone, ZONE_DMA32);
	assert_int_equal(h.kswapd_order, 0);
	assert_false(__atomic_load_n(&z->flags, __ATOMIC_RELAXED) & (1ul << ZONE_BOOSTED_WATERMARK));

	pmm_free_pages(m, p, 2);
	while (nbig)
		pmm_free_pages(m, big[--nbig], 8);
	while (nsmall)
		pmm_free_pages(m, small[--nsmall], 0);
	free(big);
	free(small);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * Mobility grouping off (a machine under pageblock_nr_pages x MIGRATE_TYPES
 * pages): every request is MIGRATE_UNMOVABLE (gfp_migratetype()), and a
 * fallback claims the whole pageblock it splits, whatever its size
 * (steal_suitable_fallback()).  Full path and per-CPU lists alike.
 */
static void test_mobility_grouping_off(void **state)
{
	static const char *const cfgs[] = { "mem=8M dma=0 pcp=off", "mem=8M dma=0 cpus=1" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct pmm *m = pmm_test_machine(cfgs[i], NULL);
		struct pmm_page *p;

		assert_true(m->page_group_by_mobility_disabled);
		assert_int_equal(gfp_to_migratetype(m, PMM_GFP_HIGHUSER_MOVABLE), MIGRATE_UNMOVABLE);
		p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
		assert_non_null(p);
		assert_int_equal(get_pageblock_migratetype(m, (struct page *)p), MIGRATE_UNMOVABLE);
		pmm_free_pages(m, p, 0);
		pmm_drain_all(m);
		assert_int_equal(pmm_bad_page_count(m), 0);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

/* Allocates from @m with @gfp until @z has no free page left; returns how many. */
static unsigned long exhaust_zone(struct pmm *m, struct zone *z, pmm_gfp_t gfp,
				  struct pmm_page **out, unsigned long max)
{
	unsigned long n = 0;

	while (zone_page_state(z, NR_FREE_PAGES) > 0) {
		assert_true(n < max);
		out[n] = pmm_alloc_pages(m, gfp | PMM___GFP_MEMALLOC | PMM___GFP_NOWARN, 0);
		assert_non_null(out[n]);
		n++;
	}
	return n;
}

/*
 * __rmqueue_fallback(): a movable request that may not claim the block it
 * falls back into (order below pageblock_order / 2) splits the smallest
 * piece there is, not the largest.  An UNMOVABLE pageblock holding a free
 * order-3 and a free order-1 block, nothing else free: an order-0 movable
 * request gets the order-1 block's first page.
 */
static void test_movable_fallback_takes_smallest(void **state)
{
	struct pmm *m = pmm_test_machine("mem=32M dma=0 pcp=off cpus=1 watermark_boost_factor=0", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct pmm_page **all = calloc(1 << 14, sizeof(*all));
	struct pmm_page *block, *p;
	unsigned long n, base;

	(void)state;
	assert_int_equal(pmm_sysctl_write(m, "min_free_kbytes", "0"), 0); /* no reserves in the way */
	block = pmm_alloc_pages(m, PMM_GFP_KERNEL, pageblock_order); /* claims a whole block */
	assert_non_null(block);
	assert_int_equal(get_pageblock_migratetype(m, (struct page *)block), MIGRATE_UNMOVABLE);
	n = exhaust_zone(m, z, PMM_GFP_HIGHUSER_MOVABLE, all, 1 << 14);
	base = pmm_page_to_pfn(m, block);
	assert_int_equal(pmm_split_page(m, block, pageblock_order), 0);
	for (unsigned long i = 0; i < 8; i++)
		pmm_free_pages(m, pmm_pfn_to_page(m, base + i), 0);
	pmm_free_pages(m, pmm_pfn_to_page(m, base + 16), 0);
	pmm_free_pages(m, pmm_pfn_to_page(m, base + 17), 0);
	assert_int_equal(z->free_area[3].nr_free, 1);
	assert_int_equal(z->free_area[1].nr_free, 1);
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), 10);

	p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(p);
	assert_int_equal(pmm_page_to_pfn(m, p), base + 16);
	assert_int_equal(z->free_area[3].nr_free, 1); /* the larger piece is untouched */
	assert_int_equal(get_pageblock_migratetype(m, (struct page *)p), MIGRATE_UNMOVABLE);

	pmm_free_pages(m, p, 0);
	for (unsigned long i = 8; i < pageblock_nr_pages; i++)
		if (i != 16 && i != 17)
			pmm_free_pages(m, pmm_pfn_to_page(m, base + i), 0);
	while (n)
		pmm_free_pages(m, all[--n], 0);
	free(all);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * ALLOC_NOFRAGMENT (an allocation whose preferred zone is ZONE_NORMAL with
 * a DMA32 below it): the first pass refuses to split another type's block
 * smaller than a pageblock and goes to the lower zone instead; only when
 * no zone can serve without fragmenting does it retry and steal.  NORMAL
 * holds only small free movable pieces here.
 */
static void test_nofragment_prefers_lower_zone(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M dma=0 dma32=32M pcp=off cpus=1 watermark_boost_factor=0",
					 NULL);
	struct zone *dma32 = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct zone *normal = &m->node_data[0]->node_zones[ZONE_NORMAL];
	struct hooks h = { .m = m };
	struct pmm_mm_ops ops = { .wake_kswapd = kswapd_cb };
	unsigned long max = 1 << 15, n = 0, freed = 0;
	struct pmm_page **all = calloc(max, sizeof(*all));
	struct pmm_page *p, *q;

	(void)state;
	assert_int_equal(pmm_sysctl_write(m, "min_free_kbytes", "0"), 0);
	/*
	 * Fill NORMAL (movable requests spill into DMA32 before they fragment
	 * NORMAL's few non-movable blocks: give those pages back), then give
	 * back every other page of NORMAL's movable blocks, up to 64 pages:
	 * order-0 movable pieces only.
	 */
	n = exhaust_zone(m, normal, PMM_GFP_HIGHUSER_MOVABLE, all, max);
	for (unsigned long i = 0; i < n; i++)
		if (pmm_page_zonenum(all[i]) == ZONE_DMA32) {
			pmm_free_pages(m, all[i], 0);
			all[i] = NULL;
		}
	for (unsigned long i = 0; i < n && freed < 64; i += 2)
		if (all[i] && get_pageblock_migratetype(m, (struct page *)all[i]) == MIGRATE_MOVABLE) {
			pmm_free_pages(m, all[i], 0);
			all[i] = NULL;
			freed++;
		}
	for (unsigned order = 1; order < MAX_ORDER; order++)
		assert_int_equal(normal->free_area[order].nr_free, 0);
	assert_int_equal(zone_page_state(normal, NR_FREE_PAGES), 64);
	pmm_set_mm_ops(m, &ops, &h);

	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_non_null(p);
	assert_int_equal(pmm_page_zonenum(p), ZONE_DMA32);
	assert_int_equal(zone_page_state(normal, NR_FREE_PAGES), 64);

	/* DMA32 full too: the retry without ALLOC_NOFRAGMENT steals in NORMAL, still in the fast path. */
	n += exhaust_zone(m, dma32, PMM_GFP_DMA32, all + n, max - n);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_non_null(q);
	assert_int_equal(pmm_page_zonenum(q), ZONE_NORMAL);
	assert_int_equal(zone_page_state(normal, NR_FREE_PAGES), 63);
	assert_int_equal(h.kswapd, 0); /* no slow path: it would have woken kswapd */

	pmm_free_pages(m, p, 0);
	pmm_free_pages(m, q, 0);
	while (n)
		if (all[--n])
			pmm_free_pages(m, all[n], 0);
	free(all);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* free_reserved_area(): managed grows, watermarks stay as they were. */
static void test_free_reserved_area(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M dma=0 reserve=0x1000000+4M cpus=1", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	unsigned long managed = (unsigned long)zone_managed_pages(z), min = z->_watermark[WMARK_MIN];
	unsigned long total = pmm_totalram_pages(m);

	(void)state;
	assert_int_equal(pmm_free_reserved_area(m, 0x1000, 0x1000 + 1024), 1024);
	assert_int_equal(pmm_free_reserved_area(m, 0x1000, 0x1000 + 1024), 0); /* not reserved any more */
	assert_int_equal((unsigned long)zone_managed_pages(z), managed + 1024);
	assert_int_equal(pmm_totalram_pages(m), total + 1024);
	assert_int_equal(z->_watermark[WMARK_MIN], min);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * The per-CPU fast path keeps the kernel's watermark rule for order > 0:
 * a free block of at least that order must exist in the buddy lists, even
 * when this CPU's list holds one.  Fragment a zone (every other page free,
 * no free block above order 0) with an order-3 block on the per-CPU list:
 * an order-3 GFP_NOWAIT allocation fails as in Linux; after a drain puts
 * that block back in the buddy lists, it succeeds.
 */
static void high_order_watermark(const char *cfg, bool pin)
{
	struct pmm *m = pmm_test_machine(cfg, NULL);
	struct pmm_page *big, *p, **all, *few[8];
	unsigned long n = 0, cap = pmm_nr_free_pages(m) + 64;

	if (pin) /* the general fast tier; unpinned threads take the leaf where rseq is */
		pmm_set_thread_cpu(m, 0);
	big = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	assert_non_null(big);
	/* The refill left more order-3 blocks on the list: back to the buddy lists, to be taken. */
	pmm_drain_all(m);
	all = calloc(cap, sizeof(*all));
	assert_non_null(all);
	/* Everything, reserves included (__GFP_MEMALLOC), so no large block is left free. */
	while (n < cap &&
	       (p = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_MEMALLOC | PMM___GFP_NOWARN, 0)) != NULL)
		all[n++] = p;
	/* Free every other page: half the memory free, nothing above order 0 can merge. */
	for (unsigned long i = 0; i < n; i += 2)
		pmm_free_pages(m, all[i], 0);
	pmm_drain_all(m);
	/*
	 * Allocations halve pcp->free_factor, which the frees above raised;
	 * with it 0 an order-3 free stays on the list (6.1's free_high rule).
	 */
	for (int i = 0; i < 8; i++)
		few[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pmm_free_pages(m, big, 3); /* onto this CPU's order-3 list */
	assert_true(pmm_nr_free_pages(m) > n / 4);
	p = pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 3);
	assert_null(p);
	pmm_drain_all(m);
	p = pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 3);
	assert_ptr_equal(p, big);
	pmm_free_pages(m, p, 3);
	for (unsigned long i = 1; i < n; i += 2)
		pmm_free_pages(m, all[i], 0);
	for (int i = 0; i < 8; i++)
		pmm_free_pages(m, few[i], 0);
	free(all);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
}

static void test_fast_path_high_order_watermark(void **state)
{
	(void)state;
	high_order_watermark("mem=64M cpus=1 dma=0", true);
	high_order_watermark("mem=64M dma=0", false);
}

/*
 * Blocks of orders 1-3 and of the pageblock order are freed onto this CPU's
 * lists by the fast paths too, as free_unref_page() puts them there: the
 * block waits on the list (not counted free), PGFREE counts its pages, and
 * the next allocation of that order gets it back (LIFO).  Once free_factor
 * is up, a high-order free drains the lists (6.1's free_high).  A block with
 * a bad tail page goes to the full path, which reports and leaks it.  Both
 * tiers: the leaf (this thread held on one CPU) and the general tier (a
 * thread acting as CPU 0).
 */
static void fast_free_high_orders(bool pin)
{
	static const unsigned orders[] = { 1, 2, 3, pageblock_order };
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine(pin ? "mem=4G cpus=1 dma=0" : "mem=4G dma=0", &log);
	struct pmm_page *p, *q, *held[4];
	unsigned long free0, pgfree0, pfn;

	if (pin)
		pmm_set_thread_cpu(m, 0);
	for (unsigned i = 0; i < 4; i++) {
		unsigned o = orders[i];

		p = pmm_alloc_pages(m, PMM_GFP_KERNEL, o);
		assert_non_null(p);
		free0 = pmm_nr_free_pages(m);
		pgfree0 = pmm_test_vmstat(m, "pgfree");
		pmm_free_pages(m, p, o);
		assert_int_equal(pmm_nr_free_pages(m), free0); /* on the list, not in the zone */
		assert_int_equal(pmm_test_vmstat(m, "pgfree"), pgfree0 + (1ul << o));
		q = pmm_alloc_pages(m, PMM_GFP_KERNEL, o);
		assert_ptr_equal(q, p);
		held[i] = q;
	}
	/* free_high: with free_factor up (a drain raised it), an order-1 free empties the lists. */
	for (unsigned i = 0; i < 4; i++)
		pmm_free_pages(m, held[i], orders[i]);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
	assert_non_null(q);
	assert_non_null(p);
	{
		struct per_cpu_pages *pcp =
			&page_zone(m, (struct page *)p)->per_cpu_pageset[pin ? 0 : sched_getcpu()];

		assert_true(pcp->count > 0);
		pcp->free_factor = 1;
		pmm_free_pages(m, p, 1);
		assert_int_equal(pcp->count, 0);
	}
	assert_int_equal(pmm_nr_free_pages(m), free0 - 1);
	pmm_free_pages(m, q, 0);
	/* A bad tail: the full path reports the tail and leaks the block. */
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 2);
	pfn = pmm_page_to_pfn(m, p);
	SetPageSlab((struct page *)pmm_pfn_to_page(m, pfn + 3));
	pmm_free_pages(m, p, 2);
	assert_int_equal(pmm_bad_page_count(m), 1);
	assert_true(pmm_test_log_has(&log, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set"));
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_fast_free_high_orders(void **state)
{
	(void)state;
	on_both_tiers(fast_free_high_orders);
}

/* The fullest any CPU's list of @z gets while @n pages are freed one by one. */
static int free_and_watch(struct pmm *m, struct zone *z, struct pmm_page **pages, unsigned long n)
{
	int most = 0;

	for (unsigned long i = 0; i < n; i++) {
		pmm_free_pages(m, pages[i], 0);
		for (unsigned c = 0; c < pmm_nr_cpus(m); c++)
			most = MAX(most, z->per_cpu_pageset[c].count);
	}
	return most;
}

/*
 * pmm_set_reclaim_active(): while the embedder's kswapd balances a zone,
 * frees keep every per-CPU list of it below 4 x batch (nr_pcp_high()), on
 * both fast tiers; afterwards lists fill up to high again.
 */
static void reclaim_active_caps_lists(bool pin)
{
	struct pmm *m = pmm_test_machine(pin ? "mem=1G cpus=1 dma=0" : "mem=1G dma=0", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	int batch = z->per_cpu_pageset[0].batch, high = z->per_cpu_pageset[0].high;
	unsigned long n = (unsigned long)high + 2 * (unsigned long)batch;
	struct pmm_page **pages = calloc(n, sizeof(*pages));

	if (pin)
		pmm_set_thread_cpu(m, 0);
	assert_true(high > 8 * batch);
	for (int round = 0; round < 3; round++) {
		bool active = round == 1;
		int most;

		for (unsigned long i = 0; i < n; i++)
			assert_non_null(pages[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0));
		pmm_drain_all(m);
		assert_int_equal(pmm_set_reclaim_active(m, 0, 2, active), 0);
		assert_int_equal(!!(z->flags & (1ul << ZONE_RECLAIM_ACTIVE)), active);
		most = free_and_watch(m, z, pages, n);
		if (active) {
			assert_true(most < 4 * batch);
			assert_true(most >= 3 * batch); /* capped, not bypassed */
		} else {
			assert_true(most > 4 * batch);
			assert_true(most <= high);
		}
	}
	/* Nothing changes on a bad request. */
	assert_int_equal(pmm_set_reclaim_active(m, 1, 2, true), -PMM_EINVAL);
	assert_int_equal(pmm_set_reclaim_active(m, 0, 5, true), -PMM_EINVAL);
	assert_int_equal(pmm_set_reclaim_active(m, -1, 2, true), -PMM_EINVAL);
	assert_int_equal(pmm_set_reclaim_active(m, 0, -1, true), -PMM_EINVAL);
	assert_false(z->flags & (1ul << ZONE_RECLAIM_ACTIVE));
	/* Zones above the index are left alone. */
	assert_int_equal(pmm_set_reclaim_active(m, 0, 0, true), 0);
	assert_false(z->flags & (1ul << ZONE_RECLAIM_ACTIVE));
	free(pages);
	pmm_drain_all(m);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
}

static void test_reclaim_active_caps_lists(void **state)
{
	(void)state;
	on_both_tiers(reclaim_active_caps_lists);
}

/* The current CPU from rseq and from sched_getcpu(): both serve the per-CPU lists. */
static void test_cpu_sources(void **state)
{
	static const char *const cfgs[] = { "mem=128M cpu=rseq", "mem=128M cpu=getcpu" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct pmm *m = pmm_test_machine(cfgs[i], NULL);
		unsigned long free0 = pmm_nr_free_pages(m);
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0), *q;

		/* The first allocation refilled this CPU's list from the zone... */
		assert_true(pmm_nr_free_pages(m) < free0 - 1);
		pmm_free_pages(m, p, 0);
		/* ...and the same CPU gets the page it just freed back (LIFO). */
		q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		if (q != p)
			print_message("%s: migrated between CPUs, LIFO not observable\n", cfgs[i]);
		pmm_free_pages(m, q, 0);
		pmm_drain_all(m);
		assert_int_equal(pmm_nr_free_pages(m), free0);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

/*
 * pmm_set_thread_cpu()'s contract: 0..nr_cpus-1 pins, PMM_CPU_UNPIN (-1)
 * unpins, anything else is -PMM_EINVAL and leaves the pin as it was.
 */
static void test_set_thread_cpu_contract(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	struct pmm *other = pmm_test_machine("mem=64M cpus=2", NULL);
	static const int bad[] = { -2, -3, INT_MIN, 2, INT_MAX };

	(void)state;
	assert_int_equal(PMM_CPU_UNPIN, -1);
	assert_int_equal(pmm_set_thread_cpu(m, 1), 0);
	assert_int_equal(pmm_this_cpu(m), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pmm_set_thread_cpu(m, bad[i]) != -PMM_EINVAL)
			fail_msg("pmm_set_thread_cpu(m, %d) = %d, want -PMM_EINVAL", bad[i],
				 pmm_set_thread_cpu(m, bad[i]));
		if (pmm_this_cpu(m) != 1)
			fail_msg("pmm_set_thread_cpu(m, %d) changed the pin to %u", bad[i], pmm_this_cpu(m));
	}
	/* Unpinning on another machine leaves this machine's pin alone. */
	assert_int_equal(pmm_set_thread_cpu(other, PMM_CPU_UNPIN), 0);
	assert_int_equal(pmm_this_cpu(m), 1);
	assert_int_equal(pmm_set_thread_cpu(m, PMM_CPU_UNPIN), 0);
	assert_int_not_equal(pinned_machine, m->fast.id);
	/* Unpinning an unpinned thread is a no-op, not an error. */
	assert_int_equal(pmm_set_thread_cpu(m, PMM_CPU_UNPIN), 0);
	assert_int_equal(pmm_set_thread_cpu(m, -2), -PMM_EINVAL);
	assert_int_not_equal(pinned_machine, m->fast.id);
	pmm_destroy(other);
	pmm_destroy(m);
}

/* debug_guardpage_minorder: split-off remainders below it become guard pages. */
static void test_guard_pages(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=64M debug_guardpage_minorder=3", &log);
	unsigned long free0 = pmm_nr_free_pages(m);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	struct page *pg = (struct page *)p;

	(void)state;
	/* Without debug_pagealloc=on the kernel parses the value and makes no guards. */
	assert_true(pmm_test_log_has(&log, "Setting debug_guardpage_minorder to 3\n"));
	assert_false(PageGuard(pg + 1));
	pmm_free_pages(m, p, 0);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	m = pmm_test_machine("mem=64M pcp=off debug_pagealloc=on debug_guardpage_minorder=3", NULL);
	free0 = pmm_nr_free_pages(m);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pg = (struct page *)p;
	/* An order-0 piece of a block: its buddies of order 0, 1, 2 are guards. */
	assert_true(PageGuard(pg + 1) && page_private(pg + 1) == 0);
	assert_true(PageGuard(pg + 2) && page_private(pg + 2) == 1);
	assert_true(PageGuard(pg + 4) && page_private(pg + 4) == 2);
	assert_false(PageGuard(pg + 8));
	/* Guards are not free memory: 8 pages left the free count. */
	assert_int_equal(pmm_nr_free_pages(m), free0 - 8);
	assert_machine_valid(m);
	pmm_free_pages(m, p, 0);
	/* Freeing merges through the guards: everything is back. */
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_false(PageGuard(pg + 1));
	assert_machine_valid(m);
	pmm_destroy(m);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static unsigned long occurrences(const char *text, const char *needle)
{
	unsigned long n = 0;

	for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
		n++;
	return n;
}

/*
 * bad_page()'s rate limit, as the kernel's: a burst of 60 reports, then
 * silence until a minute after the burst began; the next report after
 * that first says how many were suppressed.  Every bad page is counted
 * and contained all the same.
 */
static void test_bad_page_rate_limit(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm_platform plat = *pmm_platform_posix();
	struct pmm *m;
	struct pmm_page *p;

	(void)state;
	plat.clock_ns = fake_clock;
	fake_now = 1000000000ull;
	m = pmm_test_machine_on("mem=64M cpus=1", &plat, &log);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pmm_free_pages(m, p, 0);
	pmm_test_log_reset(&log);
	for (int i = 0; i < 75; i++) {
		pmm_free_pages(m, p, 0); /* a double free each time */
		fake_now += 500000000ull; /* half a second: 37.5 s in all */
	}
	assert_int_equal(pmm_bad_page_count(m), 75);
	assert_int_equal(occurrences(log.buf, "BUG: Bad page state in process"), 60);
	assert_false(pmm_test_log_has(&log, "messages suppressed"));
	fake_now += 23000000000ull; /* past the minute */
	pmm_test_log_reset(&log);
	pmm_free_pages(m, p, 0);
	assert_int_equal(pmm_bad_page_count(m), 76);
	assert_true(pmm_test_log_has(&log, "BUG: Bad page state: 15 messages suppressed\n"));
	assert_int_equal(occurrences(log.buf, "BUG: Bad page state in process"), 1);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* init_on_free and __GFP_ZERO: freed memory is zeroed, or zeroed on request. */
static void test_zeroing(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M init_on_free=1 cpus=1", NULL);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0), *q;
	char *x = pmm_page_address(m, p);

	(void)state;
	memset(x, 0x77, 4096);
	pmm_free_pages(m, p, 0);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_ptr_equal(q, p); /* per-CPU lists are LIFO */
	for (int i = 0; i < 4096; i++)
		assert_int_equal(x[i], 0);
	pmm_free_pages(m, q, 0);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ refill runs */

#define RUN_MAX 4096

/* Every free list of @z, in list order: a marker per (order, type), then the pfns and their state. */
static size_t zone_lists(struct pmm *m, struct zone *z, unsigned long *out, size_t cap)
{
	size_t n = 0;

	for (unsigned o = 0; o < MAX_ORDER; o++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *pos;

			assert_true(n < cap);
			out[n++] = 0xffff0000ul | (o << 8) | (unsigned)mt;
			list_for_each(pos, &z->free_area[o].free_list[mt]) {
				struct page *page = list_entry(pos, struct page, lru);

				assert_true(n + 2 < cap);
				out[n++] = page_to_pfn(m, page);
				out[n++] = page->private ^ ((unsigned long)PageBuddy(page) << 32);
			}
		}
		assert_true(n < cap);
		out[n++] = z->free_area[o].nr_free;
	}
	return n;
}

/*
 * Take @count blocks of @order and type @mt from @z, as a per-CPU refill
 * does (runs) or one rmqueue at a time (the reference); record each
 * block's pfn and state in @rec; then return them, so the next round
 * starts from a consistent zone.  Returns how many were taken.
 */
static size_t take_blocks(struct pmm *m, struct zone *z, unsigned order, int mt, size_t count,
			  bool runs, unsigned long *rec)
{
	static struct page *taken[RUN_MAX];
	size_t i = 0;

	assert_true(count <= RUN_MAX);
	pmm_lock(&z->lock);
	while (i < count) {
		unsigned long nr = 1;
		struct page *page = runs ? rmqueue_run_locked(z, order, mt, 0, count - i, &nr) :
					   rmqueue_locked(z, order, mt, 0);

		if (!page)
			break;
		assert_true(nr >= 1 && nr <= count - i);
		for (unsigned long j = 0; j < nr; j++, i++) {
			struct page *p = page + (j << order);

			taken[i] = p;
			rec[3 * i] = page_to_pfn(m, p);
			rec[3 * i + 1] = p->private ^ ((unsigned long)PageBuddy(p) << 32);
			rec[3 * i + 2] = p->index ^ ((unsigned long)(unsigned)p->_mapcount << 32);
		}
	}
	__mod_zone_page_state(z, NR_FREE_PAGES, -((long)i << order));
	for (size_t k = 0; k < i; k++)
		free_one_page_locked(z, taken[k], page_to_pfn(m, taken[k]), order,
				     get_pfnblock_migratetype(m, page_to_pfn(m, taken[k])), FPI_NONE);
	pmm_unlock(&z->lock);
	return i;
}

/*
 * A per-CPU refill takes its blocks in runs (rmqueue_run_locked()): the
 * blocks, their order, their state and every free list afterwards must be
 * exactly what one rmqueue per block gives.  Two machines booted alike and
 * fragmented alike by the same random allocations take the same requests,
 * one each way, for every per-CPU order and type, small and large counts,
 * including steals from other types.
 */
static void test_refill_runs_match_one_by_one(void **state)
{
	static unsigned long rec[2][3 * RUN_MAX], lists[2][1 << 16];
	static const unsigned orders[] = { 0, 1, 2, 3, pageblock_order };
	static const size_t counts[] = { 1, 2, 3, 7, 31, 63, 200, 1000 };
	struct pmm *mm[2] = { pmm_test_machine("mem=96M cpus=1 pcp=off", NULL),
			      pmm_test_machine("mem=96M cpus=1 pcp=off", NULL) };
	struct pmm_page *live[2][512] = { { 0 } };
	unsigned live_order[512] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned long runs_longer = 0;

	(void)state;
	for (int round = 0; round < 40; round++) {
		/* Fragment both machines alike: replace a few random slots with random orders and types. */
		for (int k = 0; k < 64; k++) {
			unsigned slot, o;
			pmm_gfp_t gfp;

			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			slot = (unsigned)(seed % 512);
			o = (unsigned)((seed >> 20) % 6);
			gfp = (seed >> 30) % 3 == 0 ? PMM_GFP_KERNEL :
			      (seed >> 30) % 3 == 1 ? PMM_GFP_HIGHUSER_MOVABLE :
						      PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE;
			for (int i = 0; i < 2; i++) {
				if (live[i][slot])
					pmm_free_pages(mm[i], live[i][slot], live_order[slot]);
				live[i][slot] = pmm_alloc_pages(mm[i], gfp, o);
			}
			assert_true((live[0][slot] == NULL) == (live[1][slot] == NULL));
			if (live[0][slot])
				assert_int_equal(pmm_page_to_pfn(mm[0], live[0][slot]),
						 pmm_page_to_pfn(mm[1], live[1][slot]));
			live_order[slot] = o;
		}
		for (size_t oi = 0; oi < sizeof(orders) / sizeof(orders[0]); oi++) {
			unsigned order = orders[oi];
			int mt = round % MIGRATE_PCPTYPES;
			size_t count = counts[(size_t)round % (sizeof(counts) / sizeof(counts[0]))];
			size_t got[2], nl[2];

			if (order == pageblock_order && count > 8)
				count = 8;
			for (int i = 0; i < 2; i++) {
				struct zone *z = &mm[i]->node_data[0]->node_zones[ZONE_DMA32];

				got[i] = take_blocks(mm[i], z, order, mt, count, i == 0, rec[i]);
				pmm_lock(&z->lock);
				nl[i] = zone_lists(mm[i], z, lists[i], sizeof(lists[i]) / sizeof(lists[i][0]));
				pmm_unlock(&z->lock);
			}
			assert_int_equal(got[0], got[1]);
			if (memcmp(rec[0], rec[1], 3 * got[0] * sizeof(rec[0][0])))
				fail_msg("round %d order %u type %d count %zu: runs took other blocks or left "
					 "another state", round, order, mt, count);
			assert_int_equal(nl[0], nl[1]);
			if (memcmp(lists[0], lists[1], nl[0] * sizeof(lists[0][0])))
				fail_msg("round %d order %u type %d count %zu: free lists differ after the "
					 "refill", round, order, mt, count);
			for (size_t k = 1; k < got[0]; k++)
				runs_longer += rec[0][3 * k] == rec[0][3 * (k - 1)] + (1ul << order);
		}
	}
	/* The comparison meant something: runs longer than one block happened. */
	assert_true(runs_longer > 100);
	for (int i = 0; i < 2; i++) {
		for (unsigned slot = 0; slot < 512; slot++)
			if (live[i][slot])
				pmm_free_pages(mm[i], live[i][slot], live_order[slot]);
		assert_machine_valid(mm[i]);
		pmm_destroy(mm[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_coalescing),
		cmocka_unit_test(test_fast_path_high_order_watermark),
		cmocka_unit_test(test_thread_state_outlives_no_machine),
		cmocka_unit_test(test_split_and_merge),
		cmocka_unit_test(test_gfp_zones),
		cmocka_unit_test(test_steal_whole_block),
		cmocka_unit_test(test_steal_single_page),
		cmocka_unit_test(test_highatomic_reserve),
		cmocka_unit_test(test_watermark_thresholds),
		cmocka_unit_test(test_fast_ok_follows_free_pages),
		cmocka_unit_test(test_free_leaves_prepared_state),
		cmocka_unit_test(test_compound),
		cmocka_unit_test(test_free_with_extra_ref),
		cmocka_unit_test(test_split_exact_bulk),
		cmocka_unit_test(test_contig_range),
		cmocka_unit_test(test_contig_range_neighbours),
		cmocka_unit_test(test_boost_cap),
		cmocka_unit_test(test_boost_cleared_by_kswapd),
		cmocka_unit_test(test_boost_ignored_by_gfp_atomic_only),
		cmocka_unit_test(test_numa_foreign_on_preferred_zone),
		cmocka_unit_test(test_contig_range_failures),
		cmocka_unit_test(test_page_reporting_rss),
		cmocka_unit_test(test_shuffle_seed),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_reclaim_callback),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_sysctl_values),
		cmocka_unit_test(test_kswapd_and_compact_callbacks),
		cmocka_unit_test(test_reclaim_no_progress_no_drain),
		cmocka_unit_test(test_reclaim_retries),
		cmocka_unit_test(test_reclaim_callback_allocates),
		cmocka_unit_test(test_reclaim_callbacks_across_machines),
		cmocka_unit_test(test_highatomic_unreserved_before_giving_up),
		cmocka_unit_test(test_highatomic_flag_from_gfp),
		cmocka_unit_test(test_nofail),
		cmocka_unit_test(test_boosted_watermark_wakes_kswapd),
		cmocka_unit_test(test_movable_fallback_takes_smallest),
		cmocka_unit_test(test_mobility_grouping_off),
		cmocka_unit_test(test_nofragment_prefers_lower_zone),
		cmocka_unit_test(test_zeroing),
		cmocka_unit_test(test_free_reserved_area),
		cmocka_unit_test(test_cpu_sources),
		cmocka_unit_test(test_set_thread_cpu_contract),
		cmocka_unit_test(test_fast_free_high_orders),
		cmocka_unit_test(test_reclaim_active_caps_lists),
		cmocka_unit_test(test_guard_pages),
		cmocka_unit_test(test_bad_page_rate_limit),
		cmocka_unit_test(test_refill_runs_match_one_by_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
