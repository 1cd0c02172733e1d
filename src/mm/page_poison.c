// SPDX-License-Identifier: MIT
/*
 * What happens to a frame's memory on free and allocation: page poisoning
 * (fill with 0xaa on free, verify on allocation), init_on_free /
 * init_on_alloc / __GFP_ZERO (zeroing), debug_pagealloc (free frames
 * inaccessible, so a stray access faults at once), and, in ASan builds,
 * manual poisoning so ASan names any access to a free frame.
 *
 * Poisoning takes precedence over init_on_alloc and init_on_free, as in the
 * kernel.  Locking: none; the caller owns the block.
 */
#include <string.h>

#include "mm/debug.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"

#ifdef PMM_ASAN
#include <sanitizer/asan_interface.h>
#define asan_poison(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define asan_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define asan_poison(p, n) ((void)(p), (void)(n))
#define asan_unpoison(p, n) ((void)(p), (void)(n))
#endif

#define PAGE_POISON 0xaa

static void hex_dump_offset(struct pmm *m, const unsigned char *base, size_t start, size_t end)
{
	start &= ~(size_t)15;
	for (size_t off = start; off < end; off += 16) {
		char line[128];
		int n = snprintf(line, sizeof(line), "%08zx:", off);

		for (size_t i = 0; i < 16; i++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %02x", base[off + i]);
		pr_err(m, "%s\n", line);
	}
}

/* Verify one poisoned page; report as the kernel's check_poison_mem() does. */
static void check_poison_mem(struct pmm *m, struct page *page, unsigned char *mem)
{
	size_t first = PAGE_SIZE, last = 0;
	unsigned char error;

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (mem[i] != PAGE_POISON) {
			if (first == PAGE_SIZE)
				first = i;
			last = i;
		}
	if (first == PAGE_SIZE)
		return;
	error = mem[first] ^ PAGE_POISON;
	if (first == last && !(error & (error - 1)))
		pr_err(m, "pagealloc: single bit error\n");
	else
		pr_err(m, "pagealloc: memory corruption\n");
	pr_err(m, "pagealloc: pfn 0x%lx: first bad byte at offset 0x%zx, last at 0x%zx\n",
	       page_to_pfn(m, page), first, last);
	hex_dump_offset(m, mem, first, last + 1);
	dump_page(m, page, "pagealloc: corrupted page details");
	pmm_lock(&m->bad_page.lock);
	m->bad_page.total++;
	pmm_unlock(&m->bad_page.lock);
	bad_page_notify(m, page_to_pfn(m, page), "pagealloc: memory corruption");
}

void free_page_debug_slow(struct pmm *m, struct page *page, unsigned order)
{
	size_t size = PAGE_SIZE << order;
	void *mem = page_address(m, page);

	if (m->cfg.page_poison)
		memset(mem, PAGE_POISON, size);
	else if (m->init_on_free && !m->skip_clear)
		memset(mem, 0, size);
	if (m->cfg.debug_pagealloc)
		m->plat->protect(m->plat->ctx, mem, size, 0);
	asan_poison(mem, size);
}

void alloc_page_debug_slow(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp)
{
	size_t size = PAGE_SIZE << order;
	unsigned char *mem = page_address(m, page);

	asan_unpoison(mem, size);
	if (m->cfg.debug_pagealloc)
		m->plat->protect(m->plat->ctx, mem, size, 1);
	if (m->cfg.page_poison) {
		for (unsigned long i = 0; i < (1ul << order); i++)
			check_poison_mem(m, page + i, mem + i * PAGE_SIZE);
	}
	if (m->skip_clear)
		return;
	if (!m->init_on_free && (m->init_on_alloc || (gfp & PMM___GFP_ZERO)))
		memset(mem, 0, size);
	else if (m->cfg.page_poison && (gfp & PMM___GFP_ZERO))
		memset(mem, 0, size);
}

/* Boot: free memory gets the state a freed frame has (the kernel poisons it all). */
void boot_free_range_debug(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	void *mem = m->mem + PFN_PHYS(pfn);
	size_t size = nr << PAGE_SHIFT;

	if (m->cfg.page_poison)
		memset(mem, PAGE_POISON, size);
	if (m->cfg.debug_pagealloc)
		m->plat->protect(m->plat->ctx, mem, size, 0);
	asan_poison(mem, size);
}

/*
 * Teardown, and memory removed: the machine's memory goes back to the
 * host, and ASan keeps the shadow of unmapped memory; left poisoned, it
 * would fault the next mapping placed there (another machine's memmap,
 * say).
 */
void release_memory_debug(struct pmm *m)
{
	/*
	 * Only frames are ever poisoned, and frames lie in memblock.memory
	 * (removed memory was released when it went): the rest of a large
	 * span (maxmem=64T) is left alone, as unpoisoning it would write
	 * shadow memory for all of it.
	 */
	if (!m->mem)
		return;
	for (unsigned long i = 0; i < m->memblock.memory.cnt; i++) {
		const struct memblock_region *r = &m->memblock.memory.regions[i];

		release_range_debug(m, PFN_DOWN(r->base), PFN_DOWN(r->size));
	}
}

void release_range_debug(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	if (m->mem && PFN_PHYS(pfn) < m->mem_size)
		asan_unpoison(m->mem + PFN_PHYS(pfn), MIN(PFN_PHYS(nr), m->mem_size - PFN_PHYS(pfn)));
}
