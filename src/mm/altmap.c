// SPDX-License-Identifier: MIT
/*
 * The vmem_altmap bump allocator (see <pmm/vmemmap.h> for the layout and rules).
 *
 * Invariant kept by every function: alloc + align <= free.
 * Locking: none; callers serialise (mem_hotplug_lock in the kernel).
 */
#include <pmm/errno.h>
#include <pmm/vmemmap.h>

#define ALTMAP_PAGE_SIZE (1UL << PMM_VMEMMAP_PAGE_SHIFT)

int pmm_vmem_altmap_init(struct pmm_vmem_altmap *altmap, unsigned long base_pfn,
			 unsigned long end_pfn, unsigned long reserve,
			 unsigned long free)
{
	unsigned long usable_end;

	/* base + reserve + free must be representable: it bounds next_pfn. */
	if (reserve > ~0UL - base_pfn || free > ~0UL - base_pfn - reserve)
		return -PMM_EINVAL;
	usable_end = base_pfn + reserve + free;
	if (end_pfn && (end_pfn < base_pfn || usable_end > end_pfn))
		return -PMM_EINVAL;

	altmap->base_pfn = base_pfn;
	altmap->end_pfn = end_pfn;
	altmap->reserve = reserve;
	altmap->free = free;
	altmap->align = 0;
	altmap->alloc = 0;
	return 0;
}

unsigned long pmm_vmem_altmap_next_pfn(const struct pmm_vmem_altmap *altmap)
{
	return altmap->base_pfn + altmap->reserve + altmap->alloc + altmap->align;
}

unsigned long pmm_vmem_altmap_nr_free(const struct pmm_vmem_altmap *altmap)
{
	unsigned long used = altmap->alloc + altmap->align;

	return altmap->free > used ? altmap->free - used : 0;
}

int pmm_vmem_altmap_alloc_block(struct pmm_vmem_altmap *altmap, unsigned long size,
				unsigned long *pfn)
{
	unsigned long next, nr_pfns, nr_align;

	if (size == 0 || (size & (ALTMAP_PAGE_SIZE - 1)))
		return -PMM_EINVAL;

	next = pmm_vmem_altmap_next_pfn(altmap);
	nr_pfns = size >> PMM_VMEMMAP_PAGE_SHIFT;
	/*
	 * Largest power of two dividing the page count: a 512-page block lands
	 * on a 512-pfn (2 MiB) boundary so it can back a huge PMD.
	 */
	nr_align = nr_pfns & -nr_pfns;
	nr_align = ((next + nr_align - 1) & ~(nr_align - 1)) - next;
	/* Written so neither side can overflow: nr_free() <= free. */
	if (nr_pfns > pmm_vmem_altmap_nr_free(altmap) ||
	    nr_align > pmm_vmem_altmap_nr_free(altmap) - nr_pfns)
		return -PMM_ENOMEM;

	altmap->alloc += nr_pfns;
	altmap->align += nr_align;
	*pfn = next + nr_align;
	return 0;
}

int pmm_vmem_altmap_free(struct pmm_vmem_altmap *altmap, unsigned long nr_pfns)
{
	if (nr_pfns > altmap->alloc)
		return -PMM_EINVAL;
	altmap->alloc -= nr_pfns;
	return 0;
}

unsigned long pmm_vmem_altmap_offset(const struct pmm_vmem_altmap *altmap)
{
	return altmap ? altmap->reserve + altmap->free : 0;
}

bool pmm_vmem_altmap_owns(const struct pmm_vmem_altmap *altmap, unsigned long pfn,
			  unsigned long nr)
{
	unsigned long first = altmap->base_pfn + altmap->reserve;

	return pfn >= first && pfn - first <= altmap->free &&
	       nr <= altmap->free - (pfn - first);
}
