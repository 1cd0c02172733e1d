/* SPDX-License-Identifier: MIT */
/* page_owner internals shared with the allocator (split_page, reports). */
#ifndef PMM_EXT_PAGE_OWNER_H
#define PMM_EXT_PAGE_OWNER_H

#include "mm/internal.h"

#define PAGE_OWNER_STACK_DEPTH 16

void split_page_owner_slow(struct pmm *m, struct page *page, unsigned nr);
static inline void split_page_owner(struct pmm *m, struct page *page, unsigned nr)
{
	if (unlikely(m->page_owner != NULL))
		split_page_owner_slow(m, page, nr);
}

void dump_page_owner(struct pmm *m, struct page *page);

/* Register page_owner as a page_ext client of @m. */
void page_owner_register(struct pmm *m);

#endif
