// SPDX-License-Identifier: MIT
/*
 * Splitting a compound page into its base pages (mm/huge_memory.c,
 * __split_huge_page()).  pmm has no page tables or page cache to update, so
 * a split is undoing prep_compound_page() and then split_page(): the head
 * loses PG_head, the tails lose their compound_head link and TAIL_MAPPING,
 * and every frame becomes an order-0 page of its own, with its page_owner
 * record saying order 0 (split_page_owner()).
 *
 * Locking: none; the caller owns the block, as the kernel's caller holds
 * the page lock and a reference.
 */
#include <string.h>

#include "mm/huge_memory.h"
#include "mm/page_alloc.h"

int split_compound_page(struct pmm *m, struct page *page, unsigned order)
{
	unsigned long nr = 1ul << order;

	if (!page_is_ours(m, page) || order >= MAX_ORDER)
		return -PMM_EINVAL;
	if (!PageHead(page))
		return split_page_checked(m, page, order);
	if (PageTail(page) || compound_order(page) != order || page_ref_count(page) <= 0 ||
	    page_private(page) != order)
		return -PMM_EINVAL;
	for (unsigned long i = 1; i < nr; i++) {
		struct page *p = page + i;

		/* lru (compound_head and page[1]'s compound fields), mapping, index, private */
		memset(&p->lru, 0, offsetof(struct page, _mapcount) - offsetof(struct page, lru));
	}
	ClearPageHead(page);
	return split_page_checked(m, page, order);
}
