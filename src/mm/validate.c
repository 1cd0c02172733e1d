// SPDX-License-Identifier: MIT
/*
 * zone_validate(): check every invariant of a zone's free memory, for tests
 * and debugging (mimalloc's _mi_page_is_valid, the kernel's bad_range and
 * DEBUG_VM checks, as one walk):
 *   - list links are consistent and every list entry is a PageBuddy block
 *     head of the list's order, aligned, inside the zone, with refcount 0;
 *   - nr_free of each order equals its entries;
 *   - NR_FREE_PAGES equals the pages on non-isolate lists;
 *   - every PageBuddy page of the zone in the online part of its span is on
 *     a list (no lost block) and no two free blocks overlap (a span may
 *     hold other zones' blocks after memory hotplug, as in the kernel);
 *   - a block is on an isolate list exactly when the pageblocks it covers
 *     are MIGRATE_ISOLATE, and nr_isolate_pageblock counts the isolated
 *     pageblocks of the zone's online memory;
 *   - per-CPU lists hold non-buddy pages with refcount 0, private 0 and no
 *     PAGE_FLAGS_CHECK_AT_PREP flag, whose total equals pcp->count.
 * pmm_validate() then checks the huge page pools (hugetlb_validate()).
 * Takes zone->lock and each pcp lock; allocations wait meanwhile.
 */
#include <stdio.h>
#include <string.h>

#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define FAIL(...)                                             \
	do {                                                  \
		if (buf && size)                              \
			snprintf(buf, size, __VA_ARGS__);     \
		err = -PMM_ECORRUPT;                          \
		goto out;                                     \
	} while (0)

static int validate_pcp(struct pmm *m, struct zone *z, char *buf, size_t size)
{
	int err = 0;

	if (!z->per_cpu_pageset)
		return 0;
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];
		long pages = 0;

		pcp_lock(m, pcp, c);
		for (unsigned i = 0; i < NR_PCP_LISTS; i++) {
			unsigned order = pindex_to_order(i);
			struct list_head *pos, *head = &pcp->lists[i];
			unsigned long limit = z->spanned_pages + 1;

			for (pos = head->next; pos != head; pos = pos->next) {
				struct page *p = list_entry(pos, struct page, lru);

				if (pos->next->prev != pos)
					FAIL("%s: cpu %u pcp list %u: broken link", z->name, c, i);
				if (!page_is_ours(m, p))
					FAIL("%s: cpu %u pcp list %u: entry %p is not a page", z->name, c, i,
					     (void *)p);
				if (PageBuddy(p) || page_ref_count(p) != 0)
					FAIL("%s: cpu %u pcp page pfn 0x%lx: buddy %d refcount %d", z->name,
					     c, page_to_pfn(m, p), PageBuddy(p), page_ref_count(p));
				if (page_zone(m, p) != z)
					FAIL("%s: cpu %u pcp page pfn 0x%lx from another zone", z->name, c,
					     page_to_pfn(m, p));
				/* What the fast paths rely on: they store only what changes. */
				if (page_private(p) || (p->flags & PAGE_FLAGS_CHECK_AT_PREP))
					FAIL("%s: cpu %u pcp page pfn 0x%lx: private %lu flags %#lx",
					     z->name, c, page_to_pfn(m, p), page_private(p),
					     p->flags & PAGE_FLAGS_CHECK_AT_PREP);
				pages += 1l << order;
				if (!limit--)
					FAIL("%s: cpu %u pcp list %u: loop", z->name, c, i);
			}
		}
		if (pages != pcp->count)
			FAIL("%s: cpu %u pcp count %d but lists hold %ld pages", z->name, c, pcp->count,
			     pages);
out:
		pcp_unlock(pcp);
		if (err)
			return err;
	}
	return 0;
}

static int zone_validate(struct pmm *m, struct zone *z, char *buf, size_t size)
{
	long listed = 0;
	unsigned long heads_listed = 0, heads_seen = 0;
	int err = 0;

	pmm_lock(&z->lock);
	for (unsigned o = 0; o < MAX_ORDER; o++) {
		unsigned long n = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *head = &z->free_area[o].free_list[mt], *pos;
			unsigned long limit = (z->spanned_pages >> o) + 1;

			for (pos = head->next; pos != head; pos = pos->next) {
				struct page *p = list_entry(pos, struct page, lru);
				unsigned long pfn;

				if (pos->next->prev != pos || pos->prev->next != pos)
					FAIL("%s: order %u %s list: broken link", z->name, o,
					     migratetype_names[mt]);
				if (!page_is_ours(m, p))
					FAIL("%s: order %u %s list: entry %p is not a page", z->name, o,
					     migratetype_names[mt], (void *)p);
				pfn = page_to_pfn(m, p);
				if (!PageBuddy(p) || buddy_order(p) != o)
					FAIL("%s: pfn 0x%lx on order %u list: buddy %d order %lu", z->name,
					     pfn, o, PageBuddy(p), page_private(p));
				if (pfn & ((1ul << o) - 1))
					FAIL("%s: pfn 0x%lx on order %u list is misaligned", z->name, pfn, o);
				if (!zone_spans_pfn(z, pfn) || !zone_spans_pfn(z, pfn + (1ul << o) - 1) ||
				    page_zone(m, p) != z)
					FAIL("%s: pfn 0x%lx order %u lies outside the zone", z->name, pfn, o);
				if (page_ref_count(p) != 0)
					FAIL("%s: free pfn 0x%lx has refcount %d", z->name, pfn,
					     page_ref_count(p));
				if (p->flags & PAGE_FLAGS_CHECK_AT_PREP & ~(1ul << PG_reported))
					FAIL("%s: free pfn 0x%lx has flags 0x%lx", z->name, pfn, p->flags);
				for (unsigned long b = ALIGN_DOWN(pfn, pageblock_nr_pages);
				     b < pfn + (1ul << o); b += pageblock_nr_pages)
					if (is_migrate_isolate(get_pfnblock_migratetype(m, b)) !=
					    is_migrate_isolate(mt))
						FAIL("%s: free pfn 0x%lx order %u on the %s list covers "
						     "pageblock 0x%lx of type %s",
						     z->name, pfn, o, migratetype_names[mt], b,
						     migratetype_names[get_pfnblock_migratetype(m, b)]);
				n++;
				if (!is_migrate_isolate(mt))
					listed += 1l << o;
				if (!limit--)
					FAIL("%s: order %u list loops", z->name, o);
			}
		}
		if (n != z->free_area[o].nr_free)
			FAIL("%s: order %u nr_free %lu but lists hold %lu", z->name, o,
			     z->free_area[o].nr_free, n);
		heads_listed += n;
	}
	for (unsigned o = 0; o < MAX_ORDER; o++)
		if ((z->free_pcp_lists & (FREE_LIST_BIT(o, 0) * ((1ul << FREE_LIST_BITS_PER_ORDER) - 1))) != zone_free_lists_now(z, o))
			FAIL("%s: free_pcp_lists 0x%lx disagrees with the order %u lists", z->name,
			     z->free_pcp_lists, o);
	/* Every change of the free count under zone->lock ends with fast_ok current. */
	if (__atomic_load_n(&z->fast_ok, __ATOMIC_RELAXED) != zone_fast_ok_now(z))
		FAIL("%s: fast_ok %d but the watermarks give %d", z->name,
		     __atomic_load_n(&z->fast_ok, __ATOMIC_RELAXED), zone_fast_ok_now(z));
	if (listed != zone_page_state(z, NR_FREE_PAGES))
		FAIL("%s: NR_FREE_PAGES %ld but lists hold %ld pages", z->name,
		     zone_page_state(z, NR_FREE_PAGES), listed);
	{
		long isolated = 0;

		for (unsigned long b = ALIGN_DOWN(z->zone_start_pfn, pageblock_nr_pages);
		     b < zone_end_pfn(z); b += pageblock_nr_pages) {
			struct page *p = pfn_to_online_page(m, b < z->zone_start_pfn ? z->zone_start_pfn : b);

			/* The page may be allocated and its flags changing: its zone bits do not. */
			if (p && page_zone_racy(m, p) == z &&
			    is_migrate_isolate(get_pfnblock_migratetype(m, b)))
				isolated++;
		}
		if (isolated != z->nr_isolate_pageblock)
			FAIL("%s: nr_isolate_pageblock %ld but %ld pageblocks are isolated", z->name,
			     (long)z->nr_isolate_pageblock, isolated);
	}
	/* Every buddy head in the memmap is listed, and free blocks do not overlap. */
	for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z);) {
		/* Offline blocks hold no free block; other zones may overlap the span. */
		struct page *p = pfn_to_online_page(m, pfn);

		if (!p) {
			pfn = ALIGN_DOWN(pfn, PAGES_PER_SECTION) + PAGES_PER_SECTION;
			continue;
		}
		if (!PageBuddy(p)) {
			pfn++;
			continue;
		}
		/* Another zone's block (spans may overlap) is stepped over, not counted. */
		if (page_zone(m, p) == z) {
			heads_seen++;
			for (unsigned long i = 1; i < (1ul << buddy_order(p)); i++)
				if (PageBuddy(p + i))
					FAIL("%s: free block pfn 0x%lx order %lu overlaps free pfn 0x%lx",
					     z->name, pfn, page_private(p), pfn + i);
		}
		pfn += 1ul << buddy_order(p);
	}
	if (heads_seen != heads_listed)
		FAIL("%s: %lu PageBuddy blocks in the memmap but %lu on the lists", z->name,
		     heads_seen, heads_listed);
out:
	pmm_unlock(&z->lock);
	if (err)
		return err;
	return validate_pcp(m, z, buf, size);
}

int pmm_validate(struct pmm *m, char *buf, size_t size)
{
	int nid;

	if (buf && size)
		buf[0] = 0;
	for_each_online_node(m, nid)
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->node_data[nid]->node_zones[zi];
			int err;

			if (!populated_zone(z)) {
				/* No memory, so nothing isolated (a count left behind would stay for good). */
				int left;

				pmm_lock(&z->lock);
				left = z->nr_isolate_pageblock;
				pmm_unlock(&z->lock);
				if (left) {
					if (buf && size)
						snprintf(buf, size, "%s: nr_isolate_pageblock %d with no memory",
							 z->name, left);
					return -PMM_ECORRUPT;
				}
				continue;
			}
			err = zone_validate(m, z, buf, size);
			if (err)
				return err;
		}
	return hugetlb_validate(m, buf, size);
}
