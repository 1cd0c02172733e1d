/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU fast path: an order-0..3 allocation that the kernel would
 * serve from this CPU's list of the preferred zone, and an order-0 free
 * that the kernel would put on it, done inline with nothing else on the way.
 *
 * It is the kernel's result exactly, not an approximation: it runs only
 * when zone->fast_ok says the watermark check would pass, when no feature
 * (page_owner, poisoning, debug_pagealloc, fault injection, tracing) has
 * work to do, and when the list has a page (alloc) or the block is a plain
 * allocated block (free).  Anything else returns "no" and the full path
 * runs, which rechecks everything.
 */
#ifndef PMM_MM_PCP_FAST_H
#define PMM_MM_PCP_FAST_H

#include <string.h>

#include "mm/debug.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

/* gfp bits that the fast path handles itself; any other bit takes the full path. */
#define FAST_GFP_OK                                                                  \
	(PMM___GFP_DMA | PMM___GFP_HIGHMEM | PMM___GFP_DMA32 | PMM___GFP_MOVABLE |    \
	 PMM___GFP_RECLAIMABLE | PMM___GFP_HIGH | PMM___GFP_IO | PMM___GFP_FS |       \
	 PMM___GFP_ZERO | PMM___GFP_ATOMIC | PMM___GFP_DIRECT_RECLAIM |               \
	 PMM___GFP_KSWAPD_RECLAIM | PMM___GFP_WRITE | PMM___GFP_NOWARN |              \
	 PMM___GFP_RETRY_MAYFAIL | PMM___GFP_NORETRY | PMM___GFP_HARDWALL |           \
	 PMM___GFP_ACCOUNT)

/* Zone index per zone-modifier combination (-1: refused on the full path). */
extern const signed char fast_gfp_zone[16];

static inline struct page *alloc_pages_fast(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	struct per_cpu_pages *pcp;
	struct list_head *list;
	struct zone *zone;
	struct page *page;
	unsigned cpu;
	int hz, mt;

	if (unlikely(!m->fast_alloc || order > PAGE_ALLOC_COSTLY_ORDER || (gfp & ~FAST_GFP_OK)))
		return NULL;
	hz = fast_gfp_zone[gfp & PMM_GFP_ZONEMASK];
	mt = (int)((gfp & PMM_GFP_MOVABLE_MASK) >> 3);
	if (unlikely(hz < 0 || mt == MIGRATE_PCPTYPES))
		return NULL;
	if (unlikely(m->page_group_by_mobility_disabled))
		mt = MIGRATE_UNMOVABLE;
	cpu = pmm_this_cpu(m);
	zone = m->cpu_zone[cpu * MAX_NR_ZONES + (unsigned)hz];
	if (unlikely(!zone || !__atomic_load_n(&zone->fast_ok, __ATOMIC_RELAXED)))
		return NULL;
	pcp = &zone->per_cpu_pageset[cpu];
	if (unlikely(!pmm_spin_trylock(&pcp->lock)))
		return NULL;
	list = &pcp->lists[order_to_pindex(mt, order)];
	if (unlikely(list_empty(list))) {
		pmm_spin_unlock(&pcp->lock);
		return NULL;
	}
	pcp->free_factor >>= 1;
	page = pcp_take(pcp, list, order, zone, zone);
	pmm_spin_unlock(&pcp->lock);
	page->private = order;
	set_page_count(page, 1);
	if (unlikely((gfp & PMM___GFP_ZERO) || m->init_on_alloc))
		memset(page_address(m, page), 0, PAGE_SIZE << order);
	return page;
}

/*
 * An order-0, non-compound block, judged before the refcount drop: racy
 * reads on purpose (data_race), since only a second free of the same page
 * can be writing it, and the refcount compare-exchange decides that race.
 */
static inline data_race_fn bool free_fast_plain_page(const struct page *page)
{
	return page->private == 0 && !(page->flags & (1ul << PG_head)) && !(page->compound_head & 1);
}

/*
 * Returns true when the order-0 page was freed here; false when the full
 * path must handle it (nothing was changed then).
 */
static inline bool free_page_fast(struct pmm *m, struct page *page)
{
	uintptr_t a = (uintptr_t)page, base = (uintptr_t)m->vmemmap;
	struct mem_section *ms;
	struct per_cpu_pages *pcp;
	struct zone *zone;
	unsigned long pfn, word;
	unsigned bitidx;
	int old = 1, mt;

	if (unlikely(!m->fast_free || a < base || ((a - base) & (sizeof(struct page) - 1))))
		return false;
	pfn = (a - base) / sizeof(struct page);
	if (unlikely(pfn_to_section_nr(pfn) >= m->nr_mem_sections))
		return false;
	ms = nr_to_section(m, pfn_to_section_nr(pfn));
	if (unlikely(!ms || !early_section(ms) || !valid_section(ms)))
		return false;
	if (unlikely(!free_fast_plain_page(page)))
		return false;
	/* The block's type (read before the refcount drop, from the same section). */
	bitidx = (unsigned)(((pfn & ~PAGE_SECTION_MASK) >> pageblock_order) * NR_PAGEBLOCK_BITS);
	word = __atomic_load_n(&ms->usage->pageblock_flags[bitidx / 64], __ATOMIC_RELAXED);
	mt = (int)((word >> (bitidx % 64)) & MIGRATETYPE_MASK);
	if (unlikely(mt >= MIGRATE_PCPTYPES))
		return false;
	if (unlikely(!__atomic_compare_exchange_n(&page->_refcount, &old, 0, false, __ATOMIC_ACQ_REL,
						  __ATOMIC_RELAXED)))
		return false;
	/* From here on the page is ours to free: the kernel's checks, then the list. */
	if (unlikely(page->_mapcount != -1 || page->mapping || page->memcg_data ||
		     (page->flags & PAGE_FLAGS_CHECK_AT_FREE))) {
		bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_FREE));
		return true;
	}
	page->flags = (page->flags & ~PAGE_FLAGS_CHECK_AT_PREP) |
		      (LAST_CPUPID_MASK << LAST_CPUPID_PGSHIFT);
	page->index = (unsigned long)mt;
	zone = page_zone(m, page);
	pcp = &zone->per_cpu_pageset[pmm_this_cpu(m)];
	if (unlikely(!pmm_spin_trylock(&pcp->lock))) {
		free_one_page_locked_entry(zone, page, pfn, mt);
		return true;
	}
	list_add(&page->lru, &pcp->lists[order_to_pindex(mt, 0)]);
	pcp->count++;
	pcp_event_add(pcp, PCP_PGFREE, 1);
	if (unlikely(pcp->count >= pcp_high(pcp)))
		pcp_free_high(zone, pcp, order_to_pindex(mt, 0));
	pmm_spin_unlock(&pcp->lock);
	return true;
}

#endif
