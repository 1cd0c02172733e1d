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
 * Copy @n struct pages that another thread may be changing (a racing
 * double free): racy reads on purpose; decide nothing from the copy that a
 * later atomic operation does not confirm.
 */
void snapshot_pages(struct page *dst, const struct page *src, size_t n);
void bad_page_pointer(struct pmm *m, const void *ptr, const char *what);
/* The tail of every report: fatal mode's final line, then the embedder's callback. */
void bad_page_notify(struct pmm *m, unsigned long pfn, const char *reason);

#endif
