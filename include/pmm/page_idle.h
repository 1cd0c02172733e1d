/* SPDX-License-Identifier: MIT */
/*
 * Idle page tracking (mm/page_idle.c; 64-bit kernels keep the bits in page
 * flags: PG_idle and PG_young).  The bitmap has one bit per frame, 64
 * frames per 64-bit word, as /sys/kernel/mm/page_idle/bitmap: writing a 1
 * marks an allocated frame idle; reading gives 1 for frames still idle,
 * i.e. not accessed since.  The kernel learns of accesses from page-table
 * accessed bits; a pmm user reports them with pmm_page_mark_accessed().
 */
#ifndef PMM_PAGE_IDLE_H
#define PMM_PAGE_IDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pmm/api.h>

PMM_BEGIN_DECLS

struct pmm;
struct pmm_page;

/**
 * pmm_page_idle_write() - mark frames idle: for each set bit of @bits
 * (bit i of word w is frame @pfn + 64*w + i), an allocated frame becomes idle
 * and not young; free frames, holes and the frames past the first of a
 * block (a compound page has one bit, its head's) are skipped, as the
 * kernel skips pages it cannot pin.
 * @pfn: first frame, a multiple of 64 (the file offset must be 8-aligned).
 * Return: whole words consumed, as the kernel's bitmap file counts them:
 * fewer at the end of memory, where a last word that covers the end only
 * partly is used but not counted; -PMM_ENXIO for a @pfn at or past the end
 * of memory; -PMM_EINVAL for a misaligned @pfn, a NULL @m, or a NULL @bits
 * with @nwords not 0.
 * Context: any thread, beside allocations and frees; takes the machine's
 * hotplug lock (a mutex: may sleep while memory is added or removed).  Each
 * allocated frame is pinned (a reference taken, as get_page_unless_zero())
 * while its bits change, so a free racing with it completes when the pin
 * is dropped: then, and only then, the call frees the block as
 * pmm_put_page() would, taking the locks a free takes.
 */
PMM_API long pmm_page_idle_write(struct pmm *m, unsigned long pfn, const uint64_t *bits,
				 size_t nwords);

/**
 * pmm_page_idle_read() - read the bitmap: 1 for allocated frames that are
 * idle (not accessed since marked).  Same addressing as write.
 * Return: whole words filled (a last word that covers the end of memory
 * only partly is filled but not counted, as the kernel's file reads); 0
 * for a @pfn at or past the end (the end of the file); -PMM_EINVAL as
 * for write.
 * Context: as pmm_page_idle_write().
 */
PMM_API long pmm_page_idle_read(struct pmm *m, unsigned long pfn, uint64_t *bits, size_t nwords);

/**
 * pmm_page_mark_accessed() - record an access to @page (of a compound page:
 * its head): it stops being idle and becomes young, as a page-table
 * accessed bit would make it.  Only an allocated page is marked: it is
 * pinned while its bits change, as the bitmap's frames are, and a free or
 * reserved frame, a plain block's frames past the first and a pointer that
 * is not one of @m are silently skipped (the kernel sets the bit only on
 * a page it holds a reference to), so a stale pointer never makes a free
 * frame young.
 * Context: any thread, beside allocations and frees; lock-free, except
 * that a free racing with the call completes when the pin is dropped: then
 * the call frees the block as pmm_put_page() would, taking the locks a
 * free takes.
 */
PMM_API void pmm_page_mark_accessed(struct pmm *m, struct pmm_page *page);

/**
 * pmm_page_is_idle() / pmm_page_is_young(): the bits of one frame.
 * Return: the bit of the frame (of its compound head); false for a page
 * that is not one of @m.
 * Context: any thread; lock-free.
 */
PMM_API bool pmm_page_is_idle(const struct pmm *m, const struct pmm_page *page);
PMM_API bool pmm_page_is_young(const struct pmm *m, const struct pmm_page *page);

PMM_END_DECLS

#endif
