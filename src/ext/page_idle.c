// SPDX-License-Identifier: MIT
/*
 * Idle page tracking with the 64-bit kernel's page flags PG_idle/PG_young
 * and the bitmap file's addressing (one bit per frame, 64 per word).
 * Only allocated frames take part, as the kernel only tracks pages it can
 * pin; the bits never block a free (they are not in the free-time checks
 * and are cleared with the other flags when a frame is freed).
 * Locking: none; flag updates are atomic.
 */
#include <pmm/page_idle.h>

#include "mm/internal.h"

static struct page *idle_page(const struct pmm *m, unsigned long pfn)
{
	struct page *page;

	if (!pfn_valid(m, pfn))
		return NULL;
	page = compound_head(pfn_to_page(m, pfn));
	if (page_ref_count(page) <= 0 || PageBuddy(page) || PageReserved(page))
		return NULL;
	return page;
}

long pmm_page_idle_write(struct pmm *m, unsigned long pfn, const uint64_t *bits, size_t nwords)
{
	size_t w;

	if (pfn % 64 || pfn >= m->max_pfn)
		return -PMM_EINVAL;
	for (w = 0; w < nwords && pfn + w * 64 < m->max_pfn; w++)
		for (unsigned i = 0; i < 64; i++) {
			struct page *page;

			if (!(bits[w] & (1ull << i)) || pfn + w * 64 + i >= m->max_pfn)
				continue;
			page = idle_page(m, pfn + w * 64 + i);
			if (!page)
				continue;
			ClearPageYoung(page);
			SetPageIdle(page);
		}
	return (long)w;
}

long pmm_page_idle_read(struct pmm *m, unsigned long pfn, uint64_t *bits, size_t nwords)
{
	size_t w;

	if (pfn % 64 || pfn >= m->max_pfn)
		return -PMM_EINVAL;
	for (w = 0; w < nwords && pfn + w * 64 < m->max_pfn; w++) {
		bits[w] = 0;
		for (unsigned i = 0; i < 64 && pfn + w * 64 + i < m->max_pfn; i++) {
			struct page *page = idle_page(m, pfn + w * 64 + i);

			if (page && PageIdle(page))
				bits[w] |= 1ull << i;
		}
	}
	return (long)w;
}

void pmm_page_mark_accessed(struct pmm *m, struct pmm_page *ppage)
{
	struct page *page = (struct page *)ppage;

	if (!page_is_ours(m, page))
		return;
	page = compound_head(page);
	ClearPageIdle(page);
	SetPageYoung(page);
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
