/* SPDX-License-Identifier: MIT */
/*
 * vmem_altmap: place a range's memmap inside the range itself.
 *
 * Device memory (ZONE_DEVICE, pmem) and memory hot-added with
 * memmap_on_memory carry their own struct pages: the first pfns of the range
 * are handed out, in order, as backing for the vmemmap of the whole range.
 * The allocator is the kernel's (mm/sparse-vmemmap.c altmap_alloc_block_buf):
 * a bump pointer over
 *
 *   [base_pfn, base_pfn + reserve)                     never used (labels,
 *                                                      info blocks)
 *   [base_pfn + reserve, base_pfn + reserve + free)    memmap blocks
 *   [base_pfn + reserve + free, ...)                   ordinary memory
 *
 * Invariants: alloc + align <= free, so the next pfn never passes
 * base_pfn + reserve + free.  Every block starts at a pfn that is a multiple
 * of the largest power of two dividing its page count (a 2 MiB block is
 * 2 MiB aligned, which a huge PMD needs); the skipped pfns are counted in
 * align and never given back.  Freeing only lowers alloc, so the allocator
 * assumes blocks come back in the reverse order they went out, which is how
 * the kernel tears a range down (the whole range at once).
 *
 * Locking: none inside.  The caller serialises all calls on one altmap (the
 * kernel holds mem_hotplug_lock for write across populate and depopulate).
 */
#ifndef PMM_MM_ALTMAP_H
#define PMM_MM_ALTMAP_H

#include <stdbool.h>

struct vmem_altmap {
	unsigned long base_pfn; /* first pfn of the range (set once) */
	unsigned long end_pfn;  /* pfn after the range, 0 if unknown; informational
				   as in the kernel: the allocator never reads it */
	unsigned long reserve;  /* pfns at base_pfn the allocator must skip (set once) */
	unsigned long free;     /* pfns after the reserve usable for memmap (set once) */
	unsigned long align;    /* pfns skipped so far to align blocks */
	unsigned long alloc;    /* pfns handed out and not yet freed */
};

/**
 * vmem_altmap_init() - describe a range whose memmap lives inside it.
 * @altmap: filled in; align and alloc start at 0.
 * @base_pfn: first pfn of the range.
 * @end_pfn: pfn after the range, or 0 when the caller does not know it.
 * @reserve: pfns at @base_pfn never to hand out.
 * @free: pfns after the reserve that may back the memmap.
 *
 * Return: 0, or -PMM_EINVAL when the pfns wrap around or (with @end_pfn set)
 * reserve + free do not fit in [base_pfn, end_pfn).
 * Context: any.
 */
int vmem_altmap_init(struct vmem_altmap *altmap, unsigned long base_pfn,
		     unsigned long end_pfn, unsigned long reserve,
		     unsigned long free);

/**
 * vmem_altmap_next_pfn() - where the next block would start before alignment:
 * base_pfn + reserve + alloc + align.
 * Context: any; the caller serialises with allocation.
 */
unsigned long vmem_altmap_next_pfn(const struct vmem_altmap *altmap);

/**
 * vmem_altmap_nr_free() - pfns still available: free - (alloc + align), or 0.
 * Context: any; the caller serialises with allocation.
 */
unsigned long vmem_altmap_nr_free(const struct vmem_altmap *altmap);

/**
 * altmap_alloc_block() - take @size bytes of memmap backing from @altmap.
 * @altmap: the range's altmap.
 * @size: bytes; a non-zero multiple of PAGE_SIZE (4 KiB).
 * @pfn: set to the first pfn of the block on success.
 *
 * The block starts at the next pfn rounded up to the largest power of two
 * that divides size / PAGE_SIZE; the rounding is added to align.
 *
 * Return: 0; -PMM_EINVAL if @size is zero or not a multiple of PAGE_SIZE;
 * -PMM_ENOMEM if the block plus its padding exceeds vmem_altmap_nr_free().
 * On error @altmap is unchanged.
 * Context: the caller serialises calls on @altmap; does not sleep.
 */
int altmap_alloc_block(struct vmem_altmap *altmap, unsigned long size,
		       unsigned long *pfn);

/**
 * vmem_altmap_free() - give back @nr_pfns pfns of memmap backing.
 *
 * Only alloc goes down (alignment padding stays consumed), as in the kernel.
 *
 * Return: 0, or -PMM_EINVAL (and no change) if @nr_pfns exceeds alloc.
 * Context: the caller serialises calls on @altmap; does not sleep.
 */
int vmem_altmap_free(struct vmem_altmap *altmap, unsigned long nr_pfns);

/**
 * vmem_altmap_offset() - pfns from base_pfn at which ordinary memory begins:
 * reserve + free; 0 for a NULL altmap.  These first pfns never become pages
 * of the buddy allocator.
 * Context: any.
 */
unsigned long vmem_altmap_offset(const struct vmem_altmap *altmap);

/**
 * vmem_altmap_owns() - whether [@pfn, @pfn + @nr) lies in the part of the
 * range the allocator hands out, [base_pfn + reserve, base_pfn + reserve + free).
 *
 * The kernel's free path trusts that a block freed "with an altmap" came from
 * it; pmm checks, because a range smaller than a section is populated from
 * ordinary memory even when an altmap is passed (x86-64 vmemmap_populate).
 * Context: any.
 */
bool vmem_altmap_owns(const struct vmem_altmap *altmap, unsigned long pfn,
		      unsigned long nr);

#endif /* PMM_MM_ALTMAP_H */
