// SPDX-License-Identifier: MIT
/*
 * The virtual memmap in user space: one reservation holds a struct page for
 * every pfn of every section below max_pfn, so pfn_to_page() is
 * vmemmap + pfn.  A section's (or subsection's) part is committed when it
 * comes up and decommitted when it goes away; untouched parts cost no RSS.
 * With memmap=huge each 2 MiB of memmap (one full section) is committed with
 * a request for a host huge page, as x86-64 maps the vmemmap with PMDs.
 *
 * Embedders with real page tables use vmemmap_pgtable.c instead.
 * Locking: boot, or the hotplug lock.
 */
#include "mm/internal.h"

#define VMEMMAP_ALIGN (2ul << 20)

int vmemmap_reserve(struct pmm *m)
{
	size_t size = m->nr_mem_sections * PAGES_PER_SECTION * sizeof(struct page);

	m->vmemmap = m->plat->reserve(m->plat->ctx, size, VMEMMAP_ALIGN);
	if (!m->vmemmap)
		return -PMM_ENOMEM;
	m->vmemmap_size = size;
	return 0;
}

int vmemmap_populate_range(struct pmm *m, unsigned long spfn, unsigned long nr)
{
	uintptr_t start = ALIGN_DOWN((uintptr_t)(m->vmemmap + spfn), m->plat->page_size);
	uintptr_t end = ALIGN_UP((uintptr_t)(m->vmemmap + spfn + nr), m->plat->page_size);
	unsigned flags = 0;

	if (m->cfg.memmap == PMM_MEMMAP_HUGE && start % VMEMMAP_ALIGN == 0 &&
	    end % VMEMMAP_ALIGN == 0)
		flags |= PMM_COMMIT_HUGE;
	return m->plat->commit(m->plat->ctx, (void *)start, end - start, flags);
}

void vmemmap_depopulate_range(struct pmm *m, unsigned long spfn, unsigned long nr)
{
	uintptr_t start = ALIGN_DOWN((uintptr_t)(m->vmemmap + spfn), m->plat->page_size);
	uintptr_t end = ALIGN_UP((uintptr_t)(m->vmemmap + spfn + nr), m->plat->page_size);

	m->plat->decommit(m->plat->ctx, (void *)start, end - start);
}

void vmemmap_release(struct pmm *m)
{
	if (m->vmemmap)
		m->plat->release(m->plat->ctx, m->vmemmap, m->vmemmap_size);
	m->vmemmap = NULL;
}
