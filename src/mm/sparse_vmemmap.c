// SPDX-License-Identifier: MIT
/*
 * The virtual memmap in user space: one reservation holds a struct page for
 * every pfn of every section below max_pfn, so pfn_to_page() is
 * vmemmap + pfn.  A section's (or subsection's) part is committed when it
 * comes up and decommitted when it goes away; untouched parts cost no RSS.
 * With memmap=huge each 2 MiB of memmap (one full section) is committed with
 * a request for a host huge page, as x86-64 maps the vmemmap with PMDs.
 *
 * With memmap=altmap a wholly present section hosts its own memmap, as
 * memory hot-added with memmap_on_memory does: a vmem_altmap over the
 * section (free = the whole section, as add_memory_resource() sets it) hands
 * out the section's first 512 frames (2 MiB, one huge PMD's worth), and that
 * part of the vmemmap is mapped from the memory file at the frames' own
 * offset, so the struct pages and the frames they occupy are the same host
 * memory.  Those frames are initialised and accounted in mm_init.c.
 *
 * Embedders with real page tables use <pmm/vmemmap.h> instead.
 * Locking: boot, or the hotplug lock.
 */
#include <string.h>

#include <pmm/errno.h>

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

/*
 * mhp_supports_memmap_on_memory() for a boot section: the section is a whole
 * memory block (every frame present, on one node), its memmap is a whole
 * number of PMDs and the rest whole pageblocks, and pmm adds that none of
 * the frames the memmap would take is memblock-reserved (firmware, reserve=).
 */
static bool section_can_self_host(const struct pmm *m, unsigned long nr, int nid)
{
	unsigned long spfn = section_nr_to_pfn(nr);
	unsigned long nr_memmap = PAGES_PER_SECTION * sizeof(struct page) >> PAGE_SHIFT;

	static_assert((PAGES_PER_SECTION * sizeof(struct page)) % (2ul << 20) == 0,
		      "a section's memmap is whole PMDs");
	static_assert((PAGES_PER_SECTION - (PAGES_PER_SECTION * sizeof(struct page) >> PAGE_SHIFT)) %
			      pageblock_nr_pages == 0,
		      "the rest of a self-hosting section is whole pageblocks");
	return memblock_present_pages_in(m, nid, spfn, spfn + PAGES_PER_SECTION) == PAGES_PER_SECTION &&
	       memblock_reserved_pages_in(m, spfn, spfn + nr_memmap) == 0;
}

/*
 * Populate section @nr's memmap from its own first frames.  Return: 1 if it
 * did, 0 if the section cannot host its memmap (the caller commits host
 * memory instead), or a negative PMM_E* code.
 */
int vmemmap_populate_self_hosted(struct pmm *m, unsigned long nr, int nid)
{
	struct pmm_vmem_altmap *altmap = &m->altmaps[nr];
	unsigned long spfn = section_nr_to_pfn(nr), pfn;
	size_t size = PAGES_PER_SECTION * sizeof(struct page);
	int err;

	if (!section_can_self_host(m, nr, nid))
		return 0;
	err = pmm_vmem_altmap_init(altmap, spfn, spfn + PAGES_PER_SECTION, 0, PAGES_PER_SECTION);
	if (!err)
		err = pmm_vmem_altmap_alloc_block(altmap, size, &pfn);
	if (err)
		return err;
	/* memmap_init() writes every struct page next: fault them all in now. */
	err = m->plat->memfile_map(m->plat->ctx, &m->memfile, m->vmemmap + spfn, PFN_PHYS(pfn), size,
				   PMM_COMMIT_HUGE | PMM_COMMIT_POPULATE);
	if (err) {
		pr_err(m, "pmm: memmap=altmap: cannot map the memmap of section %lu: %s\n", nr,
		       pmm_strerror(err));
		memset(altmap, 0, sizeof(*altmap));
		return err;
	}
	m->nr_self_hosted++;
	return 1;
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
