// SPDX-License-Identifier: MIT
/*
 * Idle page tracking with the 64-bit kernel's page flags PG_idle/PG_young
 * and the bitmap file's addressing (one bit per frame, 64 per word).
 * Only allocated frames take part, and each is pinned while its bits are
 * read or set, as the kernel's page_idle_get_page() pins a page: a frame
 * its owner frees at that moment is freed when the reader lets go, so no
 * bit is ever set on a free frame (where the allocation's check would call
 * it a bad page).  The bits never block a free (they are cleared with the
 * other flags when a frame is freed).
 * Locking: the machine's hotplug lock across a call, so that no block's
 * memmap goes away between the pfn_valid() test and the frame's reading
 * (as pmm_page_owner_read() holds it); flag updates and the pin are atomic.
 */
#include <pmm/page_idle.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"

/*
 * Frame @pfn, pinned, if it is the head of an allocated block; else NULL.
 * A compound page's tail is skipped, as the kernel's get_page_unless_zero()
 * on a tail (refcount 0) fails: the bitmap has one bit per huge page, its
 * head's, not one per frame.
 */
static struct page *idle_page_get(struct pmm *m, unsigned long pfn)
{
	struct page *page = pfn_valid(m, pfn) ? page_pin_allocated(m, pfn) : NULL;

	if (page && page != pfn_to_page(m, pfn)) {
		page_unpin(m, page);
		return NULL;
	}
	return page;
}

long pmm_page_idle_write(struct pmm *m, unsigned long pfn, const uint64_t *bits, size_t nwords)
{
	unsigned long end;
	size_t w;

	if (!m || (!bits && nwords) || pfn % 64)
		return -PMM_EINVAL;
	pmm_lock(&m->hotplug_lock);
	end = m->max_pfn;
	if (pfn >= end) {
		pmm_unlock(&m->hotplug_lock);
		return -PMM_ENXIO; /* page_idle_bitmap_write() past max_pfn */
	}
	/* A word counts once all its 64 frames were looked at (a partial last one never does). */
	for (w = 0; w < nwords && pfn + w * 64 < end; w++)
		for (unsigned i = 0; i < 64; i++) {
			struct page *page;

			if (!(bits[w] & (1ull << i)) || pfn + w * 64 + i >= end)
				continue;
			page = idle_page_get(m, pfn + w * 64 + i);
			if (!page)
				continue;
			ClearPageYoung(page);
			SetPageIdle(page);
			page_unpin(m, page);
		}
	pmm_unlock(&m->hotplug_lock);
	return (long)MIN(w, (end - pfn) / 64);
}

long pmm_page_idle_read(struct pmm *m, unsigned long pfn, uint64_t *bits, size_t nwords)
{
	unsigned long end;
	size_t w;

	if (!m || (!bits && nwords) || pfn % 64)
		return -PMM_EINVAL;
	pmm_lock(&m->hotplug_lock);
	end = m->max_pfn;
	if (pfn >= end) {
		pmm_unlock(&m->hotplug_lock);
		return 0; /* the end of the file */
	}
	for (w = 0; w < nwords && pfn + w * 64 < end; w++) {
		bits[w] = 0;
		for (unsigned i = 0; i < 64 && pfn + w * 64 + i < end; i++) {
			struct page *page = idle_page_get(m, pfn + w * 64 + i);

			if (!page)
				continue;
			if (PageIdle(page))
				bits[w] |= 1ull << i;
			page_unpin(m, page);
		}
	}
	pmm_unlock(&m->hotplug_lock);
	/* page_idle_bitmap_read() counts whole words: a partial last one is filled, not counted. */
	return (long)MIN(w, (end - pfn) / 64);
}

/*
 * Pinned as the bitmap's frames are: a stale pointer, or a call racing the
 * owner's free, must not leave PG_young on a free frame, where the next
 * owner would get a young page or the allocation's check a bad one.  The
 * kernel sets the bit only on a page it holds a reference to.
 */
void pmm_page_mark_accessed(struct pmm *m, struct pmm_page *ppage)
{
	struct page *page = (struct page *)ppage;

	if (!page_is_ours(m, page))
		return;
	page = page_pin_allocated(m, page_to_pfn(m, page));
	if (!page)
		return;
	ClearPageIdle(page);
	SetPageYoung(page);
	page_unpin(m, page);
}

bool pmm_page_is_idle(const struct pmm *m, const struct pmm_page *ppage)
{
	const struct page *page = (const struct page *)ppage;

	return page_is_ours(m, page) && PageIdle(compound_head((struct page *)page));
}

bool pmm_page_is_young(const struct pmm *m, const struct pmm_page *ppage)
{
	const struct page *page = (const struct page *)ppage;

	return page_is_ours(m, page) && PageYoung(compound_head((struct page *)page));
}
