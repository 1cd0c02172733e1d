/* SPDX-License-Identifier: MIT */
/* dump_page(), bad_page() reporting and %pGp formatting (mm/debug.c). */
#ifndef PMM_MM_DEBUG_H
#define PMM_MM_DEBUG_H

#include <stddef.h>

#include "mm/internal.h"

/* Format @flags like the kernel's %pGp into @buf; returns the length needed. */
size_t format_page_flags(char *buf, size_t size, unsigned long flags);
void dump_page(struct pmm *m, struct page *page, const char *reason);
/*
 * Copy a struct page that another thread may be changing (a racing double
 * free), word by word: racy reads on purpose, the kernel's data_race().
 * The attribute keeps TSan out; gcc and clang do not inline such a
 * function into an instrumented caller, so it holds there too.  Decide
 * nothing from the copy that a later atomic operation does not confirm.
 * Unrolled: the free path's checks use it.
 */
static inline data_race_fn void snapshot_page(struct page *dst, const struct page *src)
{
	const volatile unsigned long *s = (const volatile unsigned long *)src;
	unsigned long *d = (unsigned long *)dst;

	static_assert(sizeof(struct page) == 8 * sizeof(unsigned long), "struct page is 64 bytes");
	d[0] = s[0], d[1] = s[1], d[2] = s[2], d[3] = s[3];
	d[4] = s[4], d[5] = s[5], d[6] = s[6], d[7] = s[7];
}
/*
 * compound_head() of a frame another thread may be changing (a free block
 * the buddy allocator links and unlinks under a lock the caller does not
 * hold): a racy read, as snapshot_page() (a plain load: an atomic one is
 * still a checked access under TSan).  Confirm what it finds under what
 * keeps it (a reference, or PageHuge() under the hugetlb lock).
 */
static inline data_race_fn struct page *compound_head_racy(struct page *page)
{
	unsigned long h = ((const volatile struct page *)page)->compound_head;

	return (h & 1) ? (struct page *)(h - 1) : page;
}
void bad_page_pointer(struct pmm *m, const void *ptr, const char *what);
/* The tail of every report: fatal mode's final line, then the embedder's callback. */
void bad_page_notify(struct pmm *m, unsigned long pfn, const char *reason);

#endif
