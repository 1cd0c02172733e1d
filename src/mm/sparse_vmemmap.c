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
 * NUMA placement (config `host_node=N:H`): node N's part of the vmemmap,
 * a self-hosted one included (it is memmap, whatever host_bind= says of
 * memory), is placed on host node H (the platform's numa_place(), a preferred
 * policy: the host falls back to other nodes when H is full, as the kernel
 * falls back when a node has no memory for its memmap), and
 * vmemmap_verify() then asks the host where each page of it really lives
 * and warns, in the kernel's words, for every run of pages on another node.
 * The kernel checks each PTE or PMD as it maps it and prints one line each;
 * pmm checks each host page once the memmap is written and prints one line
 * per run of consecutive off-node pages.
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
	/*
	 * memmap_init() writes every struct page next: fault them all in now,
	 * unless host_node= maps the node.  Then the caller places the memmap
	 * first (vmemmap_place()) and those writes fault it in where it goes.
	 */
	err = m->plat->memfile_map(m->plat->ctx, &m->memfile, m->vmemmap + spfn, PFN_PHYS(pfn), size,
				   PMM_COMMIT_HUGE |
					   (host_node_of(m, nid) < 0 ? PMM_COMMIT_POPULATE : 0));
	if (err) {
		pr_err(m, "pmm: memmap=altmap: cannot map the memmap of section %lu: %s\n", nr,
		       pmm_strerror(err));
		memset(altmap, 0, sizeof(*altmap));
		return err;
	}
	m->nr_self_hosted++;
	return 1;
}

/* The host node config maps @nid to, or -1. */
int host_node_of(const struct pmm *m, int nid)
{
	if (nid < 0 || nid >= PMM_MAX_NUMNODES || !(m->cfg.host_node_mask & (1ull << nid)))
		return -1;
	return m->cfg.host_node[nid];
}

void vmemmap_place(struct pmm *m, unsigned long spfn, unsigned long nr, int nid)
{
	uintptr_t start = ALIGN_DOWN((uintptr_t)(m->vmemmap + spfn), m->plat->page_size);
	uintptr_t end = ALIGN_UP((uintptr_t)(m->vmemmap + spfn + nr), m->plat->page_size);
	int host = host_node_of(m, nid), err;

	if (host < 0)
		return;
	err = m->plat->numa_place(m->plat->ctx, (void *)start, end - start, host);
	if (err)
		pr_warn(m, "pmm: node %d: cannot place memmap [%lx-%lx] on host node %d: %s\n", nid,
			(unsigned long)start, (unsigned long)end - 1, host, pmm_strerror(err));
}

#define VERIFY_BATCH 512

static void offnode_warn(struct pmm *m, uintptr_t start, uintptr_t end)
{
	pr_warn(m, "[%lx-%lx] potential offnode page_structs\n", (unsigned long)start,
		(unsigned long)end - 1);
}

/*
 * vmemmap_verify(): warn for the pages of [@spfn, @spfn + @nr)'s memmap
 * that live on another host node than the one @nid is mapped to.  Pages the
 * host has not allocated (never touched) cannot be off-node and are skipped.
 */
void vmemmap_verify(struct pmm *m, unsigned long spfn, unsigned long nr, int nid)
{
	size_t psz = m->plat->page_size;
	uintptr_t start = ALIGN_DOWN((uintptr_t)(m->vmemmap + spfn), psz);
	uintptr_t end = ALIGN_UP((uintptr_t)(m->vmemmap + spfn + nr), psz);
	uintptr_t bad = 0; /* start of the current off-node run, 0 if none */
	int host = host_node_of(m, nid);

	/* A host node is mapped only on a platform with numa_where() (check_config()). */
	if (host < 0)
		return;
	for (uintptr_t a = start; a < end;) {
		void *addrs[VERIFY_BATCH];
		int nodes[VERIFY_BATCH];
		unsigned n = 0;

		while (n < VERIFY_BATCH && a + n * psz < end) {
			addrs[n] = (void *)(a + n * psz);
			n++;
		}
		if (m->plat->numa_where(m->plat->ctx, addrs, n, nodes)) {
			pr_warn(m, "pmm: node %d: cannot tell where memmap [%lx-%lx] lives\n", nid,
				(unsigned long)a, (unsigned long)end - 1);
			return;
		}
		for (unsigned i = 0; i < n; i++) {
			uintptr_t pa = (uintptr_t)addrs[i];
			bool off = nodes[i] >= 0 && nodes[i] != host;

			if (off && !bad)
				bad = pa;
			else if (!off && bad) {
				offnode_warn(m, bad, pa);
				bad = 0;
			}
		}
		a += n * psz;
	}
	if (bad)
		offnode_warn(m, bad, end);
}

/* vmemmap_verify() of every present section, once boot has written the memmap. */
void vmemmap_verify_boot(struct pmm *m)
{
	if (!m->cfg.host_node_mask)
		return;
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		unsigned long spfn = section_nr_to_pfn(nr);

		if (valid_section(nr_to_section(m, nr)))
			vmemmap_verify(m, spfn, PAGES_PER_SECTION, page_to_nid(pfn_to_page(m, spfn)));
	}
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
