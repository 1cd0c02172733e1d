/* SPDX-License-Identifier: MIT */
/* Splitting compound pages (mm/huge_memory.c's split_huge_page, the part pmm has). */
#ifndef PMM_MM_HUGE_MEMORY_H
#define PMM_MM_HUGE_MEMORY_H

#include "mm/internal.h"

/*
 * split_compound_page() - turn the allocated compound block at @page of
 * @order into 2^@order independent order-0 pages with refcount 1, as
 * split_huge_page() leaves a THP whose pieces are then freed one by one.
 * A non-compound block is split as split_page() does.
 * Return: 0, or -PMM_EINVAL for a page that is not the head of an allocated
 * block of @order of @m (nothing is changed then).
 * Context: the caller owns the block; no lock held.
 */
PMM_HIDDEN int split_compound_page(struct pmm *m, struct page *page, unsigned order);

#endif
