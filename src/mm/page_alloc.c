// SPDX-License-Identifier: MIT
/*
 * The zoned buddy allocator, after Linux 6.1 mm/page_alloc.c.
 *
 * Free memory is kept per zone in free_area[order].free_list[migratetype];
 * a free block is 2^order frames, naturally aligned, whose first page is
 * PageBuddy with private = order.  Freeing merges a block with its buddy
 * (pfn ^ (1 << order)) while the buddy is free at the same order and in the
 * same zone; allocation takes the smallest fitting block and splits it
 * (expand), handing back the lowest part.  When a migratetype has nothing,
 * blocks are stolen from the fallback types, converting whole pageblocks
 * when that keeps memory grouped by mobility.
 *
 * Invariants (checked by zone_validate()):
 *   - every PageBuddy page heads exactly one list entry, its order matches,
 *     it is aligned to its order and lies inside its zone;
 *   - nr_free of each order equals the number of entries on its lists;
 *   - NR_FREE_PAGES equals the pages on the lists (minus isolated ones);
 *   - free pages have refcount 0 and no flags that must be clear.
 *
 * Locking: zone->lock guards free lists, buddy state and the highatomic
 * reserve.  Refcounts are atomic.  Counters are atomic.
 */
#include <string.h>

#include "ext/page_owner.h"
#include "mm/debug.h"
#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "mm/trace.h"

static const int fallbacks[MIGRATE_TYPES][3] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, MIGRATE_TYPES },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, MIGRATE_TYPES },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_TYPES },
};

/* ------------------------------------------------------------ gfp */

/* GFP_ZONE_TABLE: -1 marks the combinations the kernel calls GFP_ZONE_BAD. */
const signed char fast_gfp_zone[16] = {
	[0] = ZONE_NORMAL,
	[PMM___GFP_DMA] = ZONE_DMA,
	[PMM___GFP_HIGHMEM] = ZONE_NORMAL,
	[PMM___GFP_DMA32] = ZONE_DMA32,
	[PMM___GFP_MOVABLE] = ZONE_NORMAL,
	[PMM___GFP_MOVABLE | PMM___GFP_DMA] = ZONE_DMA,
	[PMM___GFP_MOVABLE | PMM___GFP_HIGHMEM] = ZONE_MOVABLE,
	[PMM___GFP_MOVABLE | PMM___GFP_DMA32] = ZONE_DMA32,
	[PMM___GFP_DMA | PMM___GFP_HIGHMEM] = -1,
	[PMM___GFP_DMA | PMM___GFP_DMA32] = -1,
	[PMM___GFP_DMA32 | PMM___GFP_HIGHMEM] = -1,
	[PMM___GFP_DMA | PMM___GFP_DMA32 | PMM___GFP_HIGHMEM] = -1,
	[PMM___GFP_MOVABLE | PMM___GFP_HIGHMEM | PMM___GFP_DMA] = -1,
	[PMM___GFP_MOVABLE | PMM___GFP_DMA32 | PMM___GFP_DMA] = -1,
	[PMM___GFP_MOVABLE | PMM___GFP_DMA32 | PMM___GFP_HIGHMEM] = -1,
	[PMM___GFP_MOVABLE | PMM___GFP_DMA32 | PMM___GFP_DMA | PMM___GFP_HIGHMEM] = -1,
};

int gfp_to_zone(pmm_gfp_t gfp)
{
	return fast_gfp_zone[gfp & PMM_GFP_ZONEMASK];
}

int gfp_to_migratetype(const struct pmm *m, pmm_gfp_t gfp)
{
	if (mobility_disabled(m))
		return MIGRATE_UNMOVABLE;
	return (int)((gfp & PMM_GFP_MOVABLE_MASK) >> 3);
}

/* Why @gfp cannot be honoured, or NULL. */
const char *gfp_invalid(pmm_gfp_t gfp)
{
	if (gfp & ~PMM___GFP_BITS_MASK)
		return "unknown gfp bits";
	if (fast_gfp_zone[gfp & PMM_GFP_ZONEMASK] < 0)
		return "contradictory zone modifiers (GFP_ZONE_BAD)";
	if ((gfp & PMM_GFP_MOVABLE_MASK) == PMM_GFP_MOVABLE_MASK)
		return "both __GFP_MOVABLE and __GFP_RECLAIMABLE";
	return NULL;
}

bool gfp_refused(struct pmm *m, pmm_gfp_t gfp)
{
	const char *why = gfp_invalid(gfp);

	if (likely(!why))
		return false;
	if (!(gfp & PMM___GFP_NOWARN))
		pr_warn(m, "WARNING: page allocation with gfp 0x%x refused: %s\n", gfp, why);
	return true;
}

/* ------------------------------------------------------------ free path */

static inline bool page_is_buddy(struct page *page, struct page *buddy, unsigned order)
{
	if (!PageBuddy(buddy) && !PageGuard(buddy))
		return false;
	if (buddy_order(buddy) != order)
		return false;
	return page_zone_id(page) == page_zone_id(buddy);
}

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/* Would the block we just freed merge again soon?  Then keep it cold (tail). */
static bool buddy_merge_likely(unsigned long pfn, unsigned long buddy_pfn, struct page *page,
			       unsigned order)
{
	unsigned long higher_page_pfn, higher_buddy_pfn;
	struct page *higher_page;

	if (order >= MAX_ORDER - 2)
		return false;
	higher_page_pfn = buddy_pfn & pfn;
	higher_page = page + ((long)higher_page_pfn - (long)pfn);
	higher_buddy_pfn = higher_page_pfn ^ (1ul << (order + 1));
	return page_is_buddy(higher_page, higher_page + ((long)higher_buddy_pfn - (long)higher_page_pfn),
			     order + 1);
}

static void clear_page_guard(struct zone *zone, struct page *page, unsigned order, int mt)
{
	__ClearPageGuard(page);
	INIT_LIST_HEAD(&page->lru);
	set_page_private(page, 0);
	if (!is_migrate_isolate(mt))
		mod_zone_freepage_state(zone, 1l << order, mt);
	/* Its memory stays as a free block's: with debug_pagealloc, inaccessible. */
}

static inline __attribute__((always_inline)) void
free_one_page_body(struct zone *zone, struct page *page, unsigned long pfn, unsigned order,
		   int migratetype, int fpi)
{
	unsigned long buddy_pfn = 0;
	struct page *buddy;
	bool to_tail;

	lockdep_assert_held(&zone->lock);
	if (likely(!is_migrate_isolate(migratetype))) {
		mod_zone_freepage_count(zone, 1l << order, migratetype);
		if (!(fpi & FPI_FAST_LATER))
			zone_fast_update(zone);
	}

	while (order < MAX_ORDER - 1) {
		buddy_pfn = pfn ^ (1ul << order);
		/* Signed: the buddy may lie below, and pointers must not wrap. */
		buddy = page + ((long)buddy_pfn - (long)pfn);
		if (!page_is_buddy(page, buddy, order))
			break;
		/* Do not merge isolated or highatomic blocks into mobile ones. */
		if (unlikely(order >= pageblock_order)) {
			int buddy_mt = get_pageblock_migratetype(zone->machine, buddy);
			if (migratetype != buddy_mt &&
			    (!migratetype_is_mergeable(migratetype) || !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		if (PageGuard(buddy))
			clear_page_guard(zone, buddy, order, migratetype);
		else
			del_page_from_free_list(buddy, zone, order);
		page = page + ((long)(buddy_pfn & pfn) - (long)pfn);
		pfn = buddy_pfn & pfn;
		order++;
	}
	set_buddy_order(page, order);
	if (fpi & FPI_TO_TAIL)
		to_tail = true;
	else if (zone->machine->cfg.shuffle && order >= MAX_ORDER - 1)
		to_tail = shuffle_pick_tail(zone);
	else
		to_tail = buddy_merge_likely(pfn, buddy_pfn, page, order);
	if (to_tail)
		add_to_free_list_tail(page, zone, order, migratetype);
	else
		add_to_free_list(page, zone, order, migratetype);
	if (!(fpi & FPI_SKIP_REPORT_NOTIFY))
		page_reporting_notify_free(zone, order);
}

void free_one_page_locked(struct zone *zone, struct page *page, unsigned long pfn,
			  unsigned order, int migratetype, int fpi)
{
	/*
	 * split_large_buddy() (Linux 6.10): while a pageblock is isolated, a
	 * block larger than a pageblock goes back one pageblock at a time, each
	 * onto its own pageblock's list, so that no free block covers an
	 * isolated and a usable pageblock (isolation takes single pageblocks).
	 */
	if (unlikely(order > pageblock_order && zone->nr_isolate_pageblock)) {
		for (unsigned long i = 0; i < (1ul << order); i += pageblock_nr_pages)
			free_one_page_body(zone, page + i, pfn + i, pageblock_order,
					   get_pfnblock_migratetype(zone->machine, pfn + i), fpi);
		return;
	}
	free_one_page_body(zone, page, pfn, order, migratetype, fpi);
}

int free_pcp_list_locked(struct zone *zone, struct list_head *list, unsigned order, int count,
			 bool isolated)
{
	struct pmm *m = zone->machine;
	int freed = 0;

	lockdep_assert_held(&zone->lock);
	do {
		struct page *page = list_last_entry(list, struct page, lru);
		int mt = (int)page->index;
		unsigned long pfn = page_to_pfn(m, page);

		list_del(&page->lru);
		freed += 1 << order;
		if (unlikely(isolated))
			mt = get_pfnblock_migratetype(m, pfn);
		free_one_page_body(zone, page, pfn, order, mt, FPI_FAST_LATER);
		TRACE(m, mm_page_pcpu_drain, pfn, order, mt);
	} while (freed < count && !list_empty(list));
	return freed;
}

static bool free_page_is_bad(struct pmm *m, struct page *page)
{
	if (likely(page_expected_state(page, PAGE_FLAGS_CHECK_AT_FREE)))
		return false;
	bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_FREE));
	return true;
}

static bool free_tail_pages_check(struct pmm *m, struct page *head, struct page *page)
{
	long idx = page - head;

	if (idx == 1) {
		if (unlikely(page->compound_mapcount != -1)) {
			bad_page(m, page, "nonzero compound_mapcount");
			return true;
		}
	} else if (idx != 2 && page->mapping != TAIL_MAPPING) {
		bad_page(m, page, "corrupted mapping in tail page");
		return true;
	}
	if (unlikely(!PageTail(page))) {
		bad_page(m, page, "PageTail not set");
		return true;
	}
	if (unlikely(compound_head(page) != head)) {
		bad_page(m, page, "compound_head not consistent");
		return true;
	}
	page->mapping = NULL;
	page->compound_head = 0;
	return false;
}

/*
 * free_pages_prepare(): checks and clean-up before a block returns to the
 * free lists.  Returns false when a page is bad; the block is then leaked.
 */
bool free_pages_prepare(struct pmm *m, struct page *page, unsigned order)
{
	int bad = 0;

	TRACE(m, mm_page_free, page_to_pfn(m, page), order);
	if (unlikely(PageHWPoison(page)) && !order) {
		reset_page_owner(m, page, order);
		return false;
	}
	/*
	 * Tail pages: a compound block's must be cleaned of their tail
	 * metadata.  A plain block's are checked up to the costly order (a
	 * few pages); above it only when page checks are on, as in Linux
	 * 6.3+: an order-9 free would otherwise read 32 KiB of memmap.
	 */
	if (unlikely(order) && (PageCompound(page) || m->check_pages ||
				order <= PAGE_ALLOC_COSTLY_ORDER)) {
		bool compound = PageCompound(page);

		if (compound)
			ClearPageHead(page);
		for (unsigned long i = 1; i < (1ul << order); i++) {
			if (compound)
				bad += free_tail_pages_check(m, page, page + i);
			if (unlikely(free_page_is_bad(m, page + i))) {
				bad++;
				continue;
			}
			page[i].flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
		}
		if (compound && bad)
			SetPageHead(page);
	}
	page->private = 0;
	bad += free_page_is_bad(m, page);
	if (bad)
		return false;
	page_cpupid_reset_last(page);
	page->flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
	reset_page_owner(m, page, order);
	free_page_debug(m, page, order);
	return true;
}

static void free_one_page(struct zone *zone, struct page *page, unsigned long pfn,
			  unsigned order, int migratetype, int fpi)
{
	pmm_lock(&zone->lock);
	if (unlikely(zone->nr_isolate_pageblock || is_migrate_isolate(migratetype)))
		migratetype = get_pfnblock_migratetype(zone->machine, pfn);
	free_one_page_locked(zone, page, pfn, order, migratetype, fpi);
	pmm_unlock(&zone->lock);
}

/*
 * A block the fast path could not put on a per-CPU list (the list was
 * busy): free_one_page(), which counts no PGFREE in 6.1 (only the per-CPU
 * commit and __free_pages_ok() do).
 */
void free_one_page_locked_entry(struct zone *zone, struct page *page, unsigned long pfn,
				unsigned order, int mt)
{
	free_one_page(zone, page, pfn, order, mt, FPI_NONE);
}

static void free_pages_ok(struct pmm *m, struct page *page, unsigned order, int fpi)
{
	unsigned long pfn = page_to_pfn(m, page);
	struct zone *zone = page_zone(m, page);

	if (!free_pages_prepare(m, page, order))
		return;
	free_one_page(zone, page, pfn, order, get_pfnblock_migratetype(m, pfn), fpi);
	count_zone_event(zone, EV_PGFREE, 1ul << order);
}

void free_the_page(struct pmm *m, struct page *page, unsigned order)
{
	if (pcp_allowed_order(order) && page_zone(m, page)->per_cpu_pageset)
		free_unref_page(m, page, order);
	else
		free_pages_ok(m, page, order, FPI_NONE);
}

/* Boot and hotplug hand-over: blocks already in the "free, not listed" state. */
void free_pages_memory(struct pmm *m, unsigned long start, unsigned long end)
{
	/* The frames get the state a freed frame has: poisoned, unmapped, ASan-poisoned. */
	if (start < end)
		boot_free_range_debug(m, start, end - start);
	while (start < end) {
		unsigned order = start ? MIN((unsigned)__builtin_ctzl(start), MAX_ORDER - 1)
				       : MAX_ORDER - 1;
		struct page *page;
		struct zone *zone;

		while (start + (1ul << order) > end)
			order--;
		page = pfn_to_page(m, start);
		zone = page_zone(m, page);
		/* A block must not straddle zones: cut at the zone end. */
		while (start + (1ul << order) > zone_end_pfn(zone))
			order--;
		__atomic_fetch_add(&zone->managed_pages, 1l << order, __ATOMIC_RELAXED);
		TRACE(m, mm_page_free, start, order);
		count_zone_event(zone, EV_PGFREE, 1ul << order);
		pmm_lock(&zone->lock);
		free_one_page_locked(zone, page, start, order, get_pfnblock_migratetype(m, start),
				     FPI_TO_TAIL | FPI_SKIP_REPORT_NOTIFY);
		pmm_unlock(&zone->lock);
		start += 1ul << order;
	}
}

/* ------------------------------------------------------------ allocation path */

static bool set_page_guard(struct zone *zone, struct page *page, unsigned order, int mt)
{
	struct pmm *m = zone->machine;

	if (order >= m->guard_minorder)
		return false;
	__SetPageGuard(page);
	INIT_LIST_HEAD(&page->lru);
	set_page_private(page, order);
	if (!is_migrate_isolate(mt))
		mod_zone_freepage_state(zone, -(1l << order), mt);
	/* Split from a free block, it is already inaccessible under debug_pagealloc. */
	return true;
}

static void expand(struct zone *zone, struct page *page, unsigned low, unsigned high, int mt)
{
	unsigned long size = 1ul << high;

	while (high > low) {
		high--;
		size >>= 1;
		if (set_page_guard(zone, &page[size], high, mt))
			continue;
		add_to_free_list(&page[size], zone, high, mt);
		set_buddy_order(&page[size], high);
	}
}

static inline struct page *get_page_from_free_area(struct free_area *area, int mt)
{
	struct list_head *l = &area->free_list[mt];

	return list_empty(l) ? NULL : list_first_entry(l, struct page, lru);
}

/*
 * What expand() leaves after @nr blocks of order @low were taken one by one
 * from the start of the order-@high block @page: splitting for each take
 * put one half per order on the lists of orders @low..@high-1, which were
 * empty (the caller found no block there), so the rest of the block ends as
 * its buddy decomposition, one block per order at most: at each offset, the
 * largest aligned block that starts there.
 */
static void expand_rest(struct zone *zone, struct page *page, unsigned low, unsigned high,
			unsigned long nr, int mt)
{
	for (unsigned long pos = nr << low; pos < 1ul << high;) {
		unsigned o = (unsigned)__builtin_ctzl(pos);

		add_to_free_list(&page[pos], zone, o, mt);
		set_buddy_order(&page[pos], o);
		pos += 1ul << o;
	}
}

/*
 * __rmqueue_smallest(), and with it the next @want - 1 takes of a per-CPU
 * refill when they are known without doing them: once a block of a higher
 * order has been split, every lower list holds only its halves, so each
 * further take of @order comes from that block, in ascending frames, until
 * it is used up.  Returns the first block; *@nr blocks of @order follow one
 * another from there, each with the state a take leaves (off the lists,
 * private 0, index = @migratetype).  Guard pages (debug_guardpage_minorder)
 * take the one-by-one path.
 */
static inline __attribute__((always_inline)) struct page *
rmqueue_smallest_run(struct zone *zone, unsigned order, int migratetype, unsigned long want,
		     unsigned long *nr)
{
	lockdep_assert_held(&zone->lock);
	for (unsigned current_order = order; current_order < MAX_ORDER; current_order++) {
		struct free_area *area = &zone->free_area[current_order];
		struct page *page = get_page_from_free_area(area, migratetype);
		unsigned long n = 1;

		if (!page)
			continue;
		del_page_from_free_list(page, zone, current_order);
		if (want > 1 && current_order > order && !zone->machine->guard_minorder) {
			n = MIN(want, 1ul << (current_order - order));
			expand_rest(zone, page, order, current_order, n, migratetype);
		} else {
			expand(zone, page, order, current_order, migratetype);
		}
		for (unsigned long j = 0; j < n; j++) {
			struct page *p = page + (j << order);

			set_page_private(p, 0);
			p->index = (unsigned long)migratetype; /* set_pcppage_migratetype */
			TRACE(zone->machine, mm_page_alloc_zone_locked, page_to_pfn(zone->machine, p),
			      order, migratetype,
			      pcp_allowed_order(order) && migratetype < MIGRATE_PCPTYPES);
		}
		*nr = n;
		return page;
	}
	return NULL;
}

struct page *rmqueue_smallest_locked(struct zone *zone, unsigned order, int migratetype)
{
	unsigned long nr;

	return rmqueue_smallest_run(zone, order, migratetype, 1, &nr);
}

/*
 * Whether an allocated page looks movable (LRU or __PageMovable), for the
 * stealing heuristic.  The page belongs to someone else, who may be
 * changing its flags and mapping right now: a racy read, as in the kernel.
 */
static data_race_fn bool page_looks_movable(const struct page *page)
{
	return (page->flags & (1ul << PG_lru)) || ((unsigned long)page->mapping & 0x2);
}

static int move_freepages(struct zone *zone, unsigned long start_pfn, unsigned long end_pfn,
			  int migratetype, int *num_movable)
{
	struct pmm *m = zone->machine;
	int pages_moved = 0;

	for (unsigned long pfn = start_pfn; pfn <= end_pfn;) {
		struct page *page = pfn_to_page(m, pfn);
		unsigned order;

		if (!PageBuddy(page)) {
			if (num_movable && page_looks_movable(page))
				(*num_movable)++;
			pfn++;
			continue;
		}
		order = buddy_order(page);
		move_to_free_list(page, zone, order, migratetype);
		pfn += 1ul << order;
		pages_moved += 1 << order;
	}
	return pages_moved;
}

int move_freepages_block_locked(struct zone *zone, struct page *page, int migratetype,
				int *num_movable)
{
	unsigned long pfn = page_to_pfn(zone->machine, page);
	unsigned long start_pfn = ALIGN_DOWN(pfn, pageblock_nr_pages);
	unsigned long end_pfn = start_pfn + pageblock_nr_pages - 1;

	lockdep_assert_held(&zone->lock);
	if (num_movable)
		*num_movable = 0;
	if (!zone_spans_pfn(zone, start_pfn))
		start_pfn = pfn;
	if (!zone_spans_pfn(zone, end_pfn))
		return 0;
	return move_freepages(zone, start_pfn, end_pfn, migratetype, num_movable);
}

static void change_pageblock_range(struct pmm *m, struct page *page, unsigned order, int mt)
{
	unsigned long nr = 1ul << (order - pageblock_order);

	while (nr--) {
		set_pageblock_migratetype(m, page, mt);
		page += pageblock_nr_pages;
	}
}

static bool can_steal_fallback(const struct pmm *m, unsigned order, int start_mt)
{
	if (order >= pageblock_order)
		return true;
	if (order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	    start_mt == MIGRATE_UNMOVABLE || mobility_disabled(m))
		return true;
	return false;
}

static bool boost_watermark(struct zone *zone)
{
	struct pmm *m = zone->machine;
	unsigned long max_boost;

	if (!m->watermark_boost_factor)
		return false;
	if ((pageblock_nr_pages * 4) > (unsigned long)zone_managed_pages(zone))
		return false;
	/* The unboosted high mark, as 6.1's mult_frac(zone->_watermark[WMARK_HIGH], ...). */
	max_boost = __atomic_load_n(&zone->_watermark[WMARK_HIGH], __ATOMIC_RELAXED) *
		    (unsigned long)m->watermark_boost_factor / 10000;
	if (!max_boost)
		return false;
	max_boost = MAX(pageblock_nr_pages, max_boost);
	/* Read locklessly by wmark_pages(). */
	__atomic_store_n(&zone->watermark_boost,
			 MIN(zone->watermark_boost + pageblock_nr_pages, max_boost), __ATOMIC_RELAXED);
	zone_fast_update(zone);
	return true;
}

static void steal_suitable_fallback(struct zone *zone, struct page *page, unsigned alloc_flags,
				    int start_type, bool whole_block)
{
	struct pmm *m = zone->machine;
	unsigned current_order = buddy_order(page);
	int free_pages, movable_pages, alike_pages;
	int old_block_type = get_pageblock_migratetype(m, page);

	if (is_migrate_highatomic(old_block_type))
		goto single_page;
	if (current_order >= pageblock_order) {
		change_pageblock_range(m, page, current_order, start_type);
		goto single_page;
	}
	if (boost_watermark(zone) && (alloc_flags & ALLOC_KSWAPD))
		__atomic_fetch_or(&zone->flags, 1ul << ZONE_BOOSTED_WATERMARK, __ATOMIC_RELAXED);
	if (!whole_block)
		goto single_page;
	free_pages = move_freepages_block_locked(zone, page, start_type, &movable_pages);
	if (!free_pages)
		goto single_page;
	if (start_type == MIGRATE_MOVABLE) {
		alike_pages = movable_pages;
	} else if (old_block_type == MIGRATE_MOVABLE) {
		alike_pages = (int)pageblock_nr_pages - (free_pages + movable_pages);
	} else {
		alike_pages = 0;
	}
	if (free_pages + alike_pages >= (1 << (pageblock_order - 1)) ||
	    mobility_disabled(m))
		set_pageblock_migratetype(m, page, start_type);
	return;
single_page:
	move_to_free_list(page, zone, current_order, start_type);
}

static int find_suitable_fallback(const struct pmm *m, struct free_area *area, unsigned order,
				  int migratetype, bool *can_steal)
{
	*can_steal = false;
	if (area->nr_free == 0)
		return -1;
	for (int i = 0;; i++) {
		int fallback_mt = fallbacks[migratetype][i];

		if (fallback_mt == MIGRATE_TYPES)
			break;
		if (list_empty(&area->free_list[fallback_mt]))
			continue;
		if (can_steal_fallback(m, order, migratetype))
			*can_steal = true;
		return fallback_mt;
	}
	return -1;
}

static bool rmqueue_fallback_locked(struct zone *zone, int order, int start_mt,
				    unsigned alloc_flags)
{
	struct pmm *m = zone->machine;
	struct free_area *area;
	int current_order, min_order = order, fallback_mt = -1;
	bool can_steal;
	struct page *page;

	if (order < pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = pageblock_order;
	for (current_order = MAX_ORDER - 1; current_order >= min_order; --current_order) {
		area = &zone->free_area[current_order];
		fallback_mt = find_suitable_fallback(m, area, (unsigned)current_order, start_mt,
						     &can_steal);
		if (fallback_mt == -1)
			continue;
		/* Movable requests that cannot claim the block take the smallest piece. */
		if (!can_steal && start_mt == MIGRATE_MOVABLE && current_order > order)
			goto find_smallest;
		goto do_steal;
	}
	return false;
find_smallest:
	for (current_order = order; current_order < MAX_ORDER; current_order++) {
		area = &zone->free_area[current_order];
		fallback_mt = find_suitable_fallback(m, area, (unsigned)current_order, start_mt,
						     &can_steal);
		if (fallback_mt != -1)
			break;
	}
	if (current_order == MAX_ORDER)
		return false;
do_steal:
	page = get_page_from_free_area(area, fallback_mt);
	steal_suitable_fallback(zone, page, alloc_flags, start_mt, can_steal);
	TRACE(m, mm_page_alloc_extfrag, page_to_pfn(m, page), order, current_order, start_mt,
	      fallback_mt, get_pageblock_migratetype(m, page) == start_mt);
	return true;
}

struct page *rmqueue_locked(struct zone *zone, unsigned order, int migratetype,
			    unsigned alloc_flags)
{
	unsigned long nr;

	return rmqueue_run_locked(zone, order, migratetype, alloc_flags, 1, &nr);
}

struct page *rmqueue_run_locked(struct zone *zone, unsigned order, int migratetype,
				unsigned alloc_flags, unsigned long want, unsigned long *nr)
{
	struct page *page;

	for (;;) {
		page = rmqueue_smallest_run(zone, order, migratetype, want, nr);
		if (page)
			return page;
		if (!rmqueue_fallback_locked(zone, (int)order, migratetype, alloc_flags))
			return NULL;
	}
}

static bool check_new_page(struct pmm *m, struct page *page, struct list_head *bad)
{
	if (likely(page_expected_state(page, PAGE_FLAGS_CHECK_AT_PREP)))
		return false;
	/* Hardware-poisoned frames are skipped silently, as the kernel does. */
	if (PageHWPoison(page)) {
		page->_mapcount = -1;
		return true;
	}
	if (bad)
		list_add_tail(&page->lru, bad);
	else
		bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_PREP));
	return true;
}

bool check_new_pages(struct pmm *m, struct page *page, unsigned order, struct list_head *bad)
{
	if (!m->check_pages && order > PAGE_ALLOC_COSTLY_ORDER)
		return check_new_page(m, page, bad);
	for (unsigned long i = 0; i < (1ul << order); i++)
		if (unlikely(check_new_page(m, page + i, bad)))
			return true;
	return false;
}

void report_bad_new_pages(struct pmm *m, struct list_head *bad)
{
	while (unlikely(!list_empty(bad))) {
		struct page *page = list_entry(bad->next, struct page, lru);

		list_del(&page->lru);
		/* As a block's frame has them off the lists: not a tail (compound_head 0). */
		page->lru.next = page->lru.prev = NULL;
		bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_PREP));
	}
}

static struct page *rmqueue_buddy(struct zone *zone, unsigned order, unsigned alloc_flags,
				  int migratetype)
{
	struct pmm *m = zone->machine;
	struct page *page;

	do {
		page = NULL;
		pmm_lock(&zone->lock);
		if (alloc_flags & ALLOC_HIGHATOMIC)
			page = rmqueue_smallest_locked(zone, order, MIGRATE_HIGHATOMIC);
		if (!page) {
			page = rmqueue_locked(zone, order, migratetype, alloc_flags);
			if (!page && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
				page = rmqueue_smallest_locked(zone, order, MIGRATE_HIGHATOMIC);
			if (!page) {
				pmm_unlock(&zone->lock);
				return NULL;
			}
		}
		mod_zone_freepage_state(zone, -(1l << order), (int)page->index);
		pmm_unlock(&zone->lock);
	} while (check_new_pages(m, page, order, NULL));
	count_zone_event(zone, EV_PGALLOC, 1ul << order);
	return page;
}

static struct page *rmqueue(struct zone *preferred, struct zone *zone, unsigned order,
			    unsigned alloc_flags, int migratetype)
{
	struct page *page = NULL;

	if (likely(pcp_allowed_order(order)) && zone->per_cpu_pageset)
		page = rmqueue_pcplist(preferred, zone, order, migratetype, alloc_flags);
	if (!page) {
		page = rmqueue_buddy(zone, order, alloc_flags, migratetype);
		if (page)
			mod_numa_events(zone, preferred);
	}
	if (unlikely(__atomic_load_n(&zone->flags, __ATOMIC_RELAXED) &
		     (1ul << ZONE_BOOSTED_WATERMARK))) {
		/* As in Linux 6.1, the boost wakes kswapd for order 0, whatever was asked. */
		__atomic_fetch_and(&zone->flags, ~(1ul << ZONE_BOOSTED_WATERMARK), __ATOMIC_RELAXED);
		wakeup_kswapd(zone->machine, zone, 0, zone->zone_idx);
	}
	return page;
}

/* ------------------------------------------------------------ watermarks */

static inline long zone_watermark_unusable_free(struct zone *z, unsigned order,
						unsigned alloc_flags)
{
	long unusable = (1l << order) - 1;

	if (likely(!(alloc_flags & ALLOC_RESERVES)))
		unusable += (long)__atomic_load_n(&z->nr_reserved_highatomic, __ATOMIC_RELAXED);
	if (!(alloc_flags & ALLOC_CMA))
		unusable += zone_page_state(z, NR_FREE_CMA_PAGES);
	return unusable;
}

data_race_fn bool zone_watermark_ok_free(struct zone *z, unsigned order, unsigned long mark,
					 int highest_zoneidx, unsigned alloc_flags, long free_pages)
{
	long min = (long)mark;

	free_pages -= zone_watermark_unusable_free(z, order, alloc_flags);
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	if (zone_has_free_block(z, order))
		return true;
	if (!(alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)))
		return false;
	/* Lockless peeks at the lists, written out: a list_empty() call would be instrumented. */
	for (unsigned o = order; o < MAX_ORDER; o++) {
		struct free_area *area = &z->free_area[o];

		if (area->free_list[MIGRATE_HIGHATOMIC].next != &area->free_list[MIGRATE_HIGHATOMIC])
			return true;
	}
	return false;
}

bool zone_watermark_ok(struct zone *z, unsigned order, unsigned long mark, int highest_zoneidx,
		       unsigned alloc_flags)
{
	return zone_watermark_ok_free(z, order, mark, highest_zoneidx, alloc_flags,
				      zone_page_state(z, NR_FREE_PAGES));
}

static bool zone_watermark_fast(struct zone *z, unsigned order, unsigned long mark,
				int highest_zoneidx, unsigned alloc_flags, pmm_gfp_t gfp)
{
	long free_pages = zone_page_state(z, NR_FREE_PAGES);

	if (!order) {
		long reserved = zone_watermark_unusable_free(z, 0, alloc_flags);
		long usable = free_pages - MIN(free_pages, reserved);

		if (usable > (long)mark + __atomic_load_n(&z->lowmem_reserve[highest_zoneidx],
							  __ATOMIC_RELAXED))
			return true;
	}
	if (zone_watermark_ok_free(z, order, mark, highest_zoneidx, alloc_flags, free_pages))
		return true;
	/*
	 * __GFP_ATOMIC order-0 requests may ignore the boost and dip to the
	 * real min (6.1; ALLOC_MIN_RESERVE from 6.3 on).
	 */
	if (unlikely(!order && (gfp & PMM___GFP_ATOMIC) &&
		     __atomic_load_n(&z->watermark_boost, __ATOMIC_RELAXED) &&
		     (alloc_flags & ALLOC_WMARK_MASK) == WMARK_MIN)) {
		mark = __atomic_load_n(&z->_watermark[WMARK_MIN], __ATOMIC_RELAXED);
		return zone_watermark_ok_free(z, order, mark, highest_zoneidx, alloc_flags,
					      free_pages);
	}
	return false;
}

/* ------------------------------------------------------------ highatomic reserve */

static void reserve_highatomic_pageblock(struct page *page, struct zone *zone)
{
	struct pmm *m = zone->machine;
	unsigned long max_managed = (unsigned long)zone_managed_pages(zone) / 100 + pageblock_nr_pages;
	int mt;

	if (__atomic_load_n(&zone->nr_reserved_highatomic, __ATOMIC_RELAXED) >= max_managed)
		return;
	pmm_lock(&zone->lock);
	if (zone->nr_reserved_highatomic >= max_managed)
		goto out;
	mt = get_pageblock_migratetype(m, page);
	if (migratetype_is_mergeable(mt) && !is_migrate_highatomic(mt)) {
		/* Under zone->lock; read locklessly by the watermark checks. */
		__atomic_store_n(&zone->nr_reserved_highatomic,
				 zone->nr_reserved_highatomic + pageblock_nr_pages, __ATOMIC_RELAXED);
		zone_fast_update(zone);
		set_pageblock_migratetype(m, page, MIGRATE_HIGHATOMIC);
		move_freepages_block_locked(zone, page, MIGRATE_HIGHATOMIC, NULL);
	}
out:
	pmm_unlock(&zone->lock);
}

bool unreserve_highatomic_pageblock(struct pmm *m, const struct alloc_context *ac, bool force)
{
	struct zone *zone;

	for (struct zoneref *z = ac->zonelist->_zonerefs; (zone = zonelist_zone(z)); z++) {
		if (zone->zone_idx > ac->highest_zoneidx)
			continue;
		if (!force && __atomic_load_n(&zone->nr_reserved_highatomic, __ATOMIC_RELAXED) <=
				      pageblock_nr_pages)
			continue;
		pmm_lock(&zone->lock);
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			struct page *page = get_page_from_free_area(&zone->free_area[order],
								    MIGRATE_HIGHATOMIC);
			int ret;

			if (!page)
				continue;
			if (is_migrate_highatomic(get_pageblock_migratetype(m, page))) {
				__atomic_store_n(&zone->nr_reserved_highatomic,
						 zone->nr_reserved_highatomic -
							 MIN(pageblock_nr_pages,
							     zone->nr_reserved_highatomic),
						 __ATOMIC_RELAXED);
				zone_fast_update(zone);
			}
			set_pageblock_migratetype(m, page, ac->migratetype);
			ret = move_freepages_block_locked(zone, page, ac->migratetype, NULL);
			if (ret) {
				pmm_unlock(&zone->lock);
				return true;
			}
		}
		pmm_unlock(&zone->lock);
	}
	return false;
}

/* ------------------------------------------------------------ prep */

static void prep_compound_page(struct page *page, unsigned order)
{
	unsigned long nr = 1ul << order;

	SetPageHead(page);
	for (unsigned long i = 1; i < nr; i++) {
		struct page *p = page + i;
		p->mapping = TAIL_MAPPING;
		__atomic_store_n(&p->compound_head, (unsigned long)page + 1, __ATOMIC_RELAXED);
		p->private = 0;
	}
	page[1].compound_dtor = COMPOUND_PAGE_DTOR;
	page[1].compound_order = (unsigned char)order;
	page[1].compound_nr = (unsigned)nr;
	page[1].compound_mapcount = -1;
	page[1].compound_pincount = 0;
}

static __attribute__((noinline)) void prep_new_page(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp,
			  unsigned alloc_flags)
{
	set_page_private(page, 0);
	alloc_page_debug(m, page, order, gfp);
	set_page_owner(m, page, order, gfp);
	if (order && (gfp & PMM___GFP_COMP))
		prep_compound_page(page, order);
	/* pmm keeps the allocation order so a free with the wrong order is caught. */
	page->private = order;
	/*
	 * The count last, a release: a reader that pins frames by number
	 * (page_pin_allocated(), get_page_unless_zero()) must not get a
	 * reference to a block still being built, whose PG_head and order
	 * its page_unpin() would read half-written (and free it at order 0).
	 */
	set_page_count(page, 1);
	(void)alloc_flags;
}

/* ------------------------------------------------------------ the allocator */

static inline unsigned alloc_flags_nofragment(struct pmm *m, struct zone *zone, pmm_gfp_t gfp)
{
	unsigned alloc_flags = gfp & PMM___GFP_KSWAPD_RECLAIM; /* == ALLOC_KSWAPD */
	int nr_online = m->nr_online_nodes;

	if (!zone || zone->zone_idx != ZONE_NORMAL)
		return alloc_flags;
	if (nr_online > 1 && !populated_zone(zone - 1))
		return alloc_flags;
	return alloc_flags | ALLOC_NOFRAGMENT;
}

/* The first zone of @zl at or below @highest_zoneidx (NULL if none); *@zp its entry. */
static struct zone *first_zones_zonelist(struct zonelist *zl, int highest_zoneidx,
					 struct zoneref **zp)
{
	struct zoneref *z = zl->_zonerefs;
	struct zone *zone;

	while ((zone = zonelist_zone(z)) && zone->zone_idx > highest_zoneidx)
		z++;
	*zp = z;
	return zone;
}

static struct page *get_page_from_freelist(struct pmm *m, pmm_gfp_t gfp, unsigned order,
					   unsigned alloc_flags, struct alloc_context *ac)
{
	struct zoneref *first;
	struct zone *preferred = first_zones_zonelist(ac->zonelist, ac->highest_zoneidx, &first);
	struct zone *zone;
	bool no_fallback;

retry:
	no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for (struct zoneref *z = first; preferred && (zone = zonelist_zone(z)); z++) {
		unsigned long mark;
		struct page *page;

		if (zone->zone_idx > ac->highest_zoneidx)
			continue;
		if (no_fallback && zone != preferred && zone->node != preferred->node) {
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		mark = wmark_pages(zone, (enum zone_watermarks)(alloc_flags & ALLOC_WMARK_MASK));
		if (!zone_watermark_fast(zone, order, mark, ac->highest_zoneidx, alloc_flags, gfp) &&
		    !(alloc_flags & ALLOC_NO_WATERMARKS))
			continue;
		page = rmqueue(preferred, zone, order, alloc_flags, ac->migratetype);
		if (page) {
			prep_new_page(m, page, order, gfp, alloc_flags);
			if (unlikely(alloc_flags & ALLOC_HIGHATOMIC))
				reserve_highatomic_pageblock(page, zone);
			return page;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return NULL;
}

static unsigned gfp_to_alloc_flags(pmm_gfp_t gfp, unsigned order)
{
	unsigned alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	alloc_flags |= gfp & (PMM___GFP_HIGH | PMM___GFP_KSWAPD_RECLAIM);
	if (!(gfp & PMM___GFP_DIRECT_RECLAIM)) {
		/* 6.1.y: any high-order request that cannot reclaim, unless __GFP_NOMEMALLOC. */
		if (!(gfp & PMM___GFP_NOMEMALLOC)) {
			alloc_flags |= ALLOC_NON_BLOCK;
			if (order > 0)
				alloc_flags |= ALLOC_HIGHATOMIC;
		}
		if (alloc_flags & ALLOC_MIN_RESERVE)
			alloc_flags &= ~ALLOC_CPUSET;
	}
	if (gfp & PMM___GFP_MOVABLE)
		alloc_flags |= ALLOC_CMA;
	return alloc_flags;
}

/* __gfp_pfmemalloc_flags(): the reserves a request may use whatever the watermarks. */
static unsigned gfp_pfmemalloc_flags(const struct pmm *m, pmm_gfp_t gfp)
{
	if (gfp & PMM___GFP_NOMEMALLOC)
		return 0;
	if ((gfp & PMM___GFP_MEMALLOC) || in_memalloc(m))
		return ALLOC_NO_WATERMARKS;
	return 0;
}

/*
 * __alloc_pages_direct_compact(): the embedder's compaction, then the free
 * lists.  *@ran: whether compaction ran (false: skipped).
 */
static struct page *alloc_direct_compact(struct pmm *m, pmm_gfp_t gfp, unsigned order,
					 unsigned alloc_flags, struct alloc_context *ac, bool *ran)
{
	struct page *page;

	*ran = direct_compact(m, gfp, order);
	if (!*ran)
		return NULL;
	count_compact_event(m, ac, EV_COMPACTSTALL);
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	count_compact_event(m, ac, page ? EV_COMPACTSUCCESS : EV_COMPACTFAIL);
	return page;
}

/*
 * __alloc_pages_direct_reclaim(): reclaim, then the free lists; only after
 * progress, once more with the per-CPU lists drained and a high-order
 * atomic block given back (never the zone's last one).
 */
static struct page *alloc_direct_reclaim(struct pmm *m, pmm_gfp_t gfp, unsigned order,
					 unsigned alloc_flags, struct alloc_context *ac,
					 unsigned long *progress)
{
	struct page *page;

	*progress = direct_reclaim(m, gfp, order, ac);
	if (!*progress)
		return NULL;
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	if (!page) {
		unreserve_highatomic_pageblock(m, ac, false);
		pcp_drain_all(m);
		page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	}
	return page;
}

/*
 * should_reclaim_retry(): reclaim again while some zone would pass its min
 * mark with what reclaim could still free counted as free, and not more
 * than MAX_RECLAIM_RETRIES times in a row without progress (a request above
 * the costly order never counts as progress).  Whenever it would give up,
 * the high-order atomic reserve goes, whole, first, and a block given back
 * means one more round (6.1.y's "unreserve highatomic page blocks before
 * oom").
 */
static bool should_reclaim_retry(struct pmm *m, unsigned order, const struct alloc_context *ac,
				 unsigned alloc_flags, bool progress, int *no_progress_loops)
{
	struct zone *zone;

	if (progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (*no_progress_loops <= MAX_RECLAIM_RETRIES)
		for (struct zoneref *z = ac->zonelist->_zonerefs; (zone = zonelist_zone(z)); z++) {
			long available;

			if (zone->zone_idx > ac->highest_zoneidx)
				continue;
			available = (long)zone_reclaimable_pages(m, zone) +
				    (long)zone_page_state(zone, NR_FREE_PAGES);
			if (zone_watermark_ok_free(zone, order, min_wmark_pages(zone),
						   ac->highest_zoneidx, alloc_flags, available))
				return true;
		}
	/* Before giving up, for either reason, the reserve goes (a 6.1.y backport). */
	return unreserve_highatomic_pageblock(m, ac, true);
}

/*
 * __alloc_pages_may_oom() without an OOM killer: one look at the high mark
 * (another thread may have freed meanwhile), then, where the kernel would
 * kill, only a __GFP_NOFAIL request gets anything - the reserves, and
 * *@progress so that it goes round again.
 */
static struct page *alloc_may_oom(struct pmm *m, pmm_gfp_t gfp, unsigned order,
				  struct alloc_context *ac, bool *progress)
{
	struct page *page;

	*progress = false;
	page = get_page_from_freelist(m, (gfp | PMM___GFP_HARDWALL) &
					      ~(pmm_gfp_t)PMM___GFP_DIRECT_RECLAIM,
				      order, ALLOC_WMARK_HIGH | ALLOC_CPUSET, ac);
	if (page)
		return page;
	if (order > PAGE_ALLOC_COSTLY_ORDER ||
	    (gfp & (PMM___GFP_RETRY_MAYFAIL | PMM___GFP_THISNODE)) ||
	    ac->highest_zoneidx < ZONE_NORMAL || !(gfp & PMM___GFP_NOFAIL))
		return NULL;
	*progress = true;
	return get_page_from_freelist(m, gfp, order, ALLOC_NO_WATERMARKS, ac);
}

/*
 * __alloc_pages_slowpath(), in Linux 6.1's order: wake kswapd, the min
 * mark, compaction first where it is likely to help, then rounds of the
 * reserves a request may use, direct reclaim and direct compaction, until
 * __GFP_NORETRY, the costly order or should_reclaim_retry() says stop.
 * pmm has no OOM killer and does not model should_compact_retry() (its
 * compaction answers yes or no, without the kernel's priorities).
 */
static struct page *alloc_pages_slowpath(struct pmm *m, pmm_gfp_t gfp, unsigned order,
					 struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & PMM___GFP_DIRECT_RECLAIM;
	bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned long reclaimed;
	unsigned alloc_flags, reserve_flags;
	int no_progress_loops = 0;
	struct page *page;
	bool compacted, oom_progress;

	/* 6.1 warns (once) and drops __GFP_ATOMIC beside __GFP_DIRECT_RECLAIM. */
	if ((gfp & (PMM___GFP_ATOMIC | PMM___GFP_DIRECT_RECLAIM)) ==
	    (PMM___GFP_ATOMIC | PMM___GFP_DIRECT_RECLAIM))
		gfp &= ~PMM___GFP_ATOMIC;
	alloc_flags = gfp_to_alloc_flags(gfp, order);
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(m, order, ac);
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	if (page)
		return page;
	/*
	 * Costly orders, and unmovable high orders (to keep their blocks from
	 * spreading), try compaction before reclaim: base pages are likely
	 * plentiful.  Not for requests that may ignore the marks yet.
	 */
	if (can_direct_reclaim && (costly_order || (order && ac->migratetype != MIGRATE_MOVABLE)) &&
	    !gfp_pfmemalloc_flags(m, gfp)) {
		page = alloc_direct_compact(m, gfp, order, alloc_flags, ac, &compacted);
		if (page)
			return page;
		if (costly_order && (gfp & PMM___GFP_NORETRY) && !compacted)
			goto nopage;
	}
retry:
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(m, order, ac);
	reserve_flags = gfp_pfmemalloc_flags(m, gfp);
	if (reserve_flags)
		alloc_flags = reserve_flags | (alloc_flags & ALLOC_KSWAPD) |
			      ((gfp & PMM___GFP_MOVABLE) ? ALLOC_CMA : 0);
	page = get_page_from_freelist(m, gfp, order, alloc_flags, ac);
	if (page)
		return page;
	if (!can_direct_reclaim || in_memalloc(m))
		goto nopage;
	page = alloc_direct_reclaim(m, gfp, order, alloc_flags, ac, &reclaimed);
	if (page)
		return page;
	page = alloc_direct_compact(m, gfp, order, alloc_flags, ac, &compacted);
	if (page)
		return page;
	if (gfp & PMM___GFP_NORETRY)
		goto nopage;
	if (costly_order && !(gfp & PMM___GFP_RETRY_MAYFAIL))
		goto nopage;
	if (should_reclaim_retry(m, order, ac, alloc_flags, reclaimed > 0, &no_progress_loops))
		goto retry;
	page = alloc_may_oom(m, gfp, order, ac, &oom_progress);
	if (page)
		return page;
	if (oom_progress) {
		no_progress_loops = 0;
		pmm_cpu_relax();
		goto retry;
	}
nopage:
	if (gfp & PMM___GFP_NOFAIL) {
		if (!can_direct_reclaim) {
			if (!(gfp & PMM___GFP_NOWARN))
				warn_once_nofail(m, order, NOFAIL_WARN_NORECLAIM);
		} else {
			if (!(gfp & PMM___GFP_NOWARN) && in_memalloc(m))
				warn_once_nofail(m, order, NOFAIL_WARN_MEMALLOC);
			if (!(gfp & PMM___GFP_NOWARN) && costly_order)
				warn_once_nofail(m, order, NOFAIL_WARN_COSTLY);
			/* The min reserve, not the whole: that would only make things worse. */
			page = get_page_from_freelist(m, gfp, order, ALLOC_MIN_RESERVE | ALLOC_CPUSET, ac);
			if (page)
				return page;
			pmm_cpu_relax();
			goto retry;
		}
	}
	warn_alloc(m, gfp, order, "page allocation failure: order:%u", order);
	return NULL;
}

struct page *alloc_pages_nid(struct pmm *m, pmm_gfp_t gfp, unsigned order, int nid)
{
	struct alloc_context ac;
	unsigned alloc_flags = ALLOC_WMARK_LOW;
	struct page *page;

	if (unlikely(order >= MAX_ORDER)) {
		if (!(gfp & PMM___GFP_NOWARN))
			pr_warn(m, "WARNING: page allocation of order %u refused: the largest order is %d\n",
				order, MAX_ORDER - 1);
		return NULL;
	}
	if (unlikely(gfp_refused(m, gfp)))
		return NULL;
	if (unlikely((gfp & PMM___GFP_NOFAIL) && order > 1))
		warn_once_nofail(m, order, NOFAIL_WARN_ORDER);
	if (nid == PMM_NUMA_NO_NODE)
		nid = numa_mem_id(m);
	else if (unlikely(!(gfp & PMM___GFP_THISNODE) && node_memoryless(m, nid)))
		nid = node_mem_fallback(m, nid); /* its zonelist starts with the next node's zones */
	if (unlikely(!node_online(m, nid))) {
		if (!(gfp & PMM___GFP_NOWARN))
			pr_warn(m, "WARNING: page allocation on node %d refused: no such online node\n",
				nid);
		return NULL;
	}
	if (unlikely(should_fail_alloc_page(m, gfp, order)))
		return NULL;

	ac.highest_zoneidx = gfp_to_zone(gfp);
	ac.zonelist = &m->node_data[nid]->node_zonelists[(gfp & PMM___GFP_THISNODE) ?
							   ZONELIST_NOFALLBACK : ZONELIST_FALLBACK];
	ac.migratetype = gfp_to_migratetype(m, gfp);
	ac.preferred_nid = nid;
	ac.spread_dirty_pages = false;
	if (ac.migratetype == MIGRATE_MOVABLE)
		alloc_flags |= ALLOC_CMA;
	{
		struct zoneref *pz;

		alloc_flags |= alloc_flags_nofragment(
			m, first_zones_zonelist(ac.zonelist, ac.highest_zoneidx, &pz), gfp);
	}
	page = get_page_from_freelist(m, gfp, order, alloc_flags, &ac);
	if (unlikely(!page))
		page = alloc_pages_slowpath(m, gfp, order, &ac);
	TRACE(m, mm_page_alloc, page ? page_to_pfn(m, page) : ~0ul, order, gfp, ac.migratetype);
	return page;
}

/* ------------------------------------------------------------ freeing entry */

/* Drop a reference without ever going below zero; false if it was already 0. */
static inline bool put_page_testzero_checked(struct page *page, bool *was_zero)
{
	int old = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);

	do {
		if (unlikely(old <= 0)) {
			*was_zero = true;
			return false;
		}
	} while (!__atomic_compare_exchange_n(&page->_refcount, &old, old - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	*was_zero = false;
	return old == 1;
}

#define DOUBLE_FREE "double free: page is already free (refcount 0)"
#define FREE_INSIDE "freeing a page inside an allocated block, not its first page (refcount 0)"

/*
 * The first page of the allocated plain (non-compound) block that holds
 * @page past its first page, or NULL.  Such a page has refcount 0 like a
 * free one: the block's first page alone carries the count, and its order
 * in ->private.  Looks at the pages @page would be inside at each order, up
 * from the smallest: a free block (typed: buddy, guard) or another
 * allocated one found first means @page is not inside an allocated block.
 * Racy reads (data_race): only the wording of a report depends on it.
 */
data_race_fn struct page *plain_block_of(struct pmm *m, struct page *page)
{
	unsigned long pfn = page_to_pfn(m, page);
	struct page self;

	snapshot_page(&self, page);
	if (self._mapcount < PAGE_MAPCOUNT_RESERVE || PageCompound(&self) || self._refcount)
		return NULL;
	for (unsigned o = 1; o < MAX_ORDER; o++) {
		unsigned long start = pfn & ~((1ul << o) - 1);
		struct page s;

		if (start == pfn)
			continue;
		if (!pfn_valid(m, start))
			return NULL;
		snapshot_page(&s, pfn_to_page(m, start));
		if (s._mapcount < PAGE_MAPCOUNT_RESERVE || PageCompound(&s))
			return NULL;
		if (s._refcount > 0)
			return !PageReserved(&s) && s.private >= o && s.private < MAX_ORDER
				       ? pfn_to_page(m, start)
				       : NULL;
	}
	return NULL;
}

/*
 * Checks pmm makes before touching a block being freed, beyond the kernel's
 * own (which would crash or silently corrupt on these): the page is not a
 * tail, the pfn is aligned to the order, it is not free already, and the
 * order is the one it was allocated with.  Returns why the request is bad,
 * or NULL.
 *
 * The checks read a snapshot of the page taken with racy reads on purpose
 * (data_race): a correct caller owns the block, so nothing changes under
 * us; only when two threads free the same block may the other one be
 * freeing it right now.  The refcount decrement in free_pages_entry()
 * decides that race; here a check that fails on fields read mid-free is
 * called what it is, a double free.  *@head: the page was a compound head.
 */
static const char *free_request_bad(struct pmm *m, struct page *page, unsigned order, bool *head)
{
	struct page s[2];
	const char *why;

	snapshot_page(&s[0], page);
	*head = PageHead(&s[0]);
	if (unlikely(PageTail(&s[0])))
		return "freeing a tail page of a compound page";
	if (unlikely(page_to_pfn(m, page) & ((1ul << order) - 1)))
		return "freeing a block whose pfn is not aligned to its order";
	if (unlikely(PageBuddy(&s[0]) || page_ref_count(page) == 0))
		return plain_block_of(m, page) ? FREE_INSIDE : DOUBLE_FREE;
	if (unlikely(*head)) {
		snapshot_page(&s[1], page + 1);
		why = compound_order(s) != order ? "freeing a compound page with the wrong order" : NULL;
	} else if (unlikely(PageReserved(&s[0]))) {
		/*
		 * Never handed out: a frame on its own.  At a higher order the
		 * free would take (or, with a reference held, release) the
		 * frames after it, which are others' or on the free lists.
		 */
		why = order ? "freeing a reserved frame (never handed out) with an order above 0" : NULL;
	} else if (unlikely(page_private(&s[0]) != order)) {
		why = page_private(&s[0]) > order
			      ? "freeing a block with a smaller order than it was allocated with"
			      : "freeing a block with a larger order than it was allocated with";
	} else {
		why = NULL;
	}
	if (likely(!why))
		return NULL;
	if (page_ref_count(page) == 0)
		return DOUBLE_FREE;
	return why;
}

/*
 * Returns false after reporting a bad request.  The page is left as it is:
 * a double-freed page may sit on a free list, a wrongly freed block is still
 * the caller's, and touching either would corrupt what is intact.  Also
 * false for a hugetlb page, which it hands back to its pool: the fast
 * tiers leave every compound head to this path.
 */
static bool free_request_ok(struct pmm *m, struct page *page, unsigned order, bool *head)
{
	const char *why;

	if (unlikely(!page_is_ours(m, page))) {
		bad_page_pointer(m, page, "freeing a pointer that is not a page of this machine");
		return false;
	}
	if (unlikely(free_of_huge_page(page))) {
		hugetlb_free_page(m, page, order);
		return false;
	}
	if (unlikely(order >= MAX_ORDER)) {
		bad_page_refuse(m, page, "freeing with an order above the maximum");
		return false;
	}
	why = free_request_bad(m, page, order, head);
	if (unlikely(why)) {
		bad_page_refuse(m, page, why);
		return false;
	}
	return true;
}

/*
 * The reference drop of __free_pages() for a request free_request_ok()
 * passed: true when it was the last reference and the caller must free the
 * block; otherwise what the kernel does for a higher-order block that
 * another holder keeps (its pages past the first freed) is done here.
 */
static bool free_pages_put(struct pmm *m, struct page *page, unsigned order, bool head)
{
	bool was_zero;
	int old;

	old = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
	do {
		if (unlikely(old <= 0)) {
			/* Lost a race with another free of the same block. */
			bad_page_refuse(m, page, DOUBLE_FREE);
			return false;
		}
		/*
		 * Another holder keeps page 0, as an order-0 page: record that
		 * while our reference still pins it.  Once the reference is
		 * dropped, the last holder may free the page and it may be
		 * handed out again at once.
		 */
		if (old > 1 && !head && order)
			page->private = 0;
	} while (!__atomic_compare_exchange_n(&page->_refcount, &old, old - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	if (old == 1)
		return true;
	if (!head) {
		/* Release the rest now; nobody else holds those frames. */
		while (order-- > 0) {
			struct page *p = page + (1ul << order);
			set_page_count(p, 1);
			p->private = order;
			if (put_page_testzero_checked(p, &was_zero))
				free_the_page(m, p, order);
		}
	}
	return false;
}

void free_pages_entry(struct pmm *m, struct page *page, unsigned order)
{
	bool head;

	if (unlikely(!free_request_ok(m, page, order, &head)))
		return;
	if (free_pages_put(m, page, order, head))
		free_the_page(m, page, order);
}

struct page *page_pin_allocated(struct pmm *m, unsigned long pfn)
{
	/*
	 * The head as a reader that finds frames by number sees it before it
	 * holds a reference: racy, since the frame may be freed or allocated
	 * meanwhile; confirmed under the reference below.
	 */
	struct page *head = compound_head_racy(pfn_to_page(m, pfn));
	int old = __atomic_load_n(&head->_refcount, __ATOMIC_RELAXED);

	/* get_page_unless_zero(): a free frame (buddy or per-CPU) has refcount 0. */
	do {
		if (old <= 0)
			return NULL;
	} while (!__atomic_compare_exchange_n(&head->_refcount, &old, old + 1, false,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	/* Held now: is it still the frame's block, an allocated one? */
	if (compound_head_racy(pfn_to_page(m, pfn)) != head || PageReserved(head)) {
		page_unpin(m, head);
		return NULL;
	}
	return head;
}

void page_unpin(struct pmm *m, struct page *page)
{
	bool was_zero;

	/* A compound block keeps its order in its head, hugetlb pages go to their pool. */
	if (PageHead(page)) {
		free_pages_entry(m, page, compound_order(page));
		return;
	}
	/*
	 * A plain block: its owner's free (free_pages_put()) saw this
	 * reference, freed the pages past the first and left page 0 as an
	 * order-0 page to the last holder.  While the owner keeps the block,
	 * only the count goes down.  Never below zero: a count already 0
	 * means the owner freed once more than it held (a double free took
	 * this pin's reference and freed the page under it): report it
	 * rather than leave a free page at -1.
	 */
	if (put_page_testzero_checked(page, &was_zero))
		free_the_page(m, page, 0);
	else if (unlikely(was_zero))
		bad_page_refuse(m, page, DOUBLE_FREE);
}

bool free_pages_entry_list(struct pmm *m, struct page *page)
{
	bool head;

	if (unlikely(!free_request_ok(m, page, 0, &head)) || !free_pages_put(m, page, 0, head))
		return false;
	if (unlikely(!page_zone(m, page)->per_cpu_pageset)) {
		free_pages_ok(m, page, 0, FPI_NONE);
		return false;
	}
	return free_unref_page_prepare(m, page, page_to_pfn(m, page), 0);
}

/* ------------------------------------------------------------ split, exact, bulk */

int split_page_checked(struct pmm *m, struct page *page, unsigned order)
{
	if (!page_is_ours(m, page) || order >= MAX_ORDER)
		return -PMM_EINVAL;
	/* A reserved frame was never handed out (refcount 1 from boot): not a block either. */
	if (PageCompound(page) || page_ref_count(page) <= 0 || PageBuddy(page) ||
	    PageReserved(page) || page_private(page) != order)
		return -PMM_EINVAL;
	for (unsigned long i = 1; i < (1ul << order); i++) {
		set_page_count(page + i, 1);
		page[i].private = 0;
	}
	page->private = 0;
	split_page_owner(m, page, 1u << order);
	return 0;
}

unsigned long alloc_pages_bulk(struct pmm *m, pmm_gfp_t gfp, int nid, unsigned long nr,
			       struct page **array, bool *single)
{
	unsigned long populated = 0, lead = 0;
	struct alloc_context ac;
	unsigned alloc_flags = ALLOC_WMARK_LOW;
	struct zoneref *z;
	struct zone *zone = NULL, *preferred;
	struct page *chain = NULL;
	long got;
	bool prep;

	*single = false;
	/* The kernel's decisions look at the slots filled before the first empty one (@lead). */
	for (unsigned long i = 0; i < nr; i++)
		if (array[i]) {
			populated++;
			lead += lead == i;
		}
	/* Refused requests still report the slots filled before, as documented. */
	if (gfp_invalid(gfp) || lead == nr)
		return populated;
	/* One page, and page_owner's stacks (6.1): the single page allocator. */
	if (nr - lead == 1 || m->page_owner)
		goto failed;
	/* prepare_alloc_pages(): an injected failure fails the whole call. */
	if (should_fail_alloc_page(m, gfp, 0))
		return populated;
	if (nid == PMM_NUMA_NO_NODE)
		nid = numa_mem_id(m);
	else if (!(gfp & PMM___GFP_THISNODE) && node_memoryless(m, nid))
		nid = node_mem_fallback(m, nid);
	if (!node_online(m, nid))
		return populated;
	ac.highest_zoneidx = gfp_to_zone(gfp);
	ac.zonelist = &m->node_data[nid]->node_zonelists[ZONELIST_FALLBACK];
	ac.migratetype = gfp_to_migratetype(m, gfp);
	ac.preferred_nid = nid;
	if (ac.migratetype == MIGRATE_MOVABLE)
		alloc_flags |= ALLOC_CMA;
	preferred = first_zones_zonelist(ac.zonelist, ac.highest_zoneidx, &z);
	if (!preferred)
		goto failed;
	alloc_flags |= alloc_flags_nofragment(m, preferred, gfp);
	/* The first zone of the preferred node that can give all @nr pages above its watermark. */
	for (struct zone *zz; (zz = zonelist_zone(z)); z++) {
		unsigned long mark;

		if (zz->zone_idx > ac.highest_zoneidx)
			continue;
		if (m->nr_online_nodes > 1 && zz != preferred && zz->node != preferred->node)
			goto failed;
		mark = wmark_pages(zz, (enum zone_watermarks)(alloc_flags & ALLOC_WMARK_MASK)) + nr;
		if (zone_watermark_fast(zz, 0, mark, ac.highest_zoneidx, alloc_flags, gfp)) {
			zone = zz;
			break;
		}
	}
	if (!zone || !zone->per_cpu_pageset)
		goto failed;
	/* prep_new_page() has nothing to add but the refcount unless pages are checked or zeroed. */
	prep = PAGE_DEBUG_ALWAYS || m->check_pages || (gfp & PMM___GFP_ZERO);
	got = pcp_alloc_bulk(zone, preferred, ac.migratetype, alloc_flags, nr, array,
			     prep ? &chain : NULL);
	/* A busy list, or nothing at all: try for one page. */
	if (got <= 0)
		goto failed;
	/* The pages taken, chained (the caller's own slots are never read). */
	while (chain) {
		struct page *page = chain;

		chain = page->lru.next ? list_entry(page->lru.next, struct page, lru) : NULL;
		prep_new_page(m, page, 0, gfp, alloc_flags);
	}
	return populated + (unsigned long)got;
failed:
	*single = true;
	return populated;
}
