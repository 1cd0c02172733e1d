// SPDX-License-Identifier: MIT
/*
 * SPARSEMEM: the section table (SPARSEMEM_EXTREME layout: an array of root
 * pointers, each root one 4 KiB page of 128 sections allocated on first
 * use), section flags, subsection maps and per-section pageblock flags.
 *
 * A section with a memmap stores, in section_mem_map, the vmemmap address
 * minus nothing: with SPARSEMEM_VMEMMAP, mem_map - section_start_pfn is the
 * vmemmap base for every section, so the encoding round-trips to
 * pfn_to_page().  Flags live in the low SECTION_MAP_LAST_BIT bits.
 *
 * Hotplug (memory_hotplug.c) adds and removes sections one at a time:
 * sparse_add_section() and sparse_remove_section().  A section's usage
 * block, once allocated, stays with its slot of the table until teardown:
 * pfn_valid() reads the subsection map without a lock, so the block must
 * outlive any reader that saw the section valid (the kernel frees it with
 * kfree_rcu(); pmm keeps the 40 bytes and clears them instead).
 *
 * Locking: the table is built at boot; section flags change only under the
 * machine's hotplug lock and are published with release stores; readers are
 * lockless.  Pageblock flags are read locklessly and updated with
 * compare-and-swap.
 */
#include <string.h>

#include "mm/internal.h"

struct mem_section *pfn_to_section(const struct pmm *m, unsigned long pfn)
{
	return nr_to_section(m, pfn_to_section_nr(pfn));
}

bool pfn_valid(const struct pmm *m, unsigned long pfn)
{
	struct mem_section *ms = pfn_to_section(m, pfn);

	if (!valid_section(ms))
		return false;
	if (early_section(ms))
		return true;
	return (__atomic_load_n(&ms->usage->subsection_map[0], __ATOMIC_RELAXED) >>
		subsection_map_index(pfn)) & 1;
}

struct page *pfn_to_online_page(const struct pmm *m, unsigned long pfn)
{
	if (!online_section(pfn_to_section(m, pfn)) || !pfn_valid(m, pfn))
		return NULL;
	return pfn_to_page(m, pfn);
}

bool page_is_ours(const struct pmm *m, const void *p)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)m->vmemmap;

	if (a < base || a >= base + m->nr_mem_sections * PAGES_PER_SECTION * sizeof(struct page))
		return false;
	if ((a - base) % sizeof(struct page))
		return false;
	return pfn_valid(m, (a - base) / sizeof(struct page));
}

static unsigned long *pfn_to_bitmap(const struct pmm *m, unsigned long pfn, unsigned *bitidx)
{
	struct mem_section *ms = pfn_to_section(m, pfn);

	*bitidx = (unsigned)(((pfn & ~PAGE_SECTION_MASK) >> pageblock_order) * NR_PAGEBLOCK_BITS);
	return ms->usage->pageblock_flags;
}

unsigned long get_pfnblock_flags_mask(const struct pmm *m, unsigned long pfn, unsigned long mask)
{
	unsigned bitidx;
	unsigned long *map = pfn_to_bitmap(m, pfn, &bitidx);
	unsigned long word = __atomic_load_n(&map[bitidx / 64], __ATOMIC_RELAXED);

	return (word >> (bitidx % 64)) & mask;
}

int get_pfnblock_migratetype_acquire(const struct pmm *m, unsigned long pfn)
{
	unsigned bitidx;
	unsigned long *map = pfn_to_bitmap(m, pfn, &bitidx);
	unsigned long word = __atomic_load_n(&map[bitidx / 64], __ATOMIC_ACQUIRE);

	return (int)((word >> (bitidx % 64)) & MIGRATETYPE_MASK);
}

void set_pfnblock_flags_mask(struct pmm *m, unsigned long flags, unsigned long pfn,
			     unsigned long mask)
{
	unsigned bitidx;
	unsigned long *map = pfn_to_bitmap(m, pfn, &bitidx);
	unsigned long *word = &map[bitidx / 64];
	unsigned shift = bitidx % 64;
	unsigned long old = __atomic_load_n(word, __ATOMIC_RELAXED), new;

	/*
	 * Release: a reader that sees the new type with an acquire load
	 * (get_pfnblock_migratetype_acquire()) also sees the memmap written
	 * before it, such as the zone links memory online gave the frames.
	 */
	do {
		new = (old & ~(mask << shift)) | ((flags & mask) << shift);
	} while (!__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

void set_pageblock_migratetype(struct pmm *m, struct page *page, int mt)
{
	if (mobility_disabled(m) && mt < MIGRATE_PCPTYPES)
		mt = MIGRATE_UNMOVABLE;
	set_pfnblock_flags_mask(m, (unsigned long)mt, page_to_pfn(m, page), MIGRATETYPE_MASK);
}

static int section_root_alloc(struct pmm *m, unsigned long nr)
{
	unsigned long root = nr / SECTIONS_PER_ROOT;

	if (m->mem_section[root])
		return 0;
	m->mem_section[root] = pmm_zalloc(m, SECTIONS_PER_ROOT * sizeof(struct mem_section));
	return m->mem_section[root] ? 0 : -PMM_ENOMEM;
}

/* Mark the subsections of [spfn, epfn) within section @ms as present. */
static void subsection_mask_set(struct mem_section *ms, unsigned long spfn, unsigned long epfn)
{
	for (unsigned long pfn = ALIGN_DOWN(spfn, PAGES_PER_SUBSECTION); pfn < epfn;
	     pfn += PAGES_PER_SUBSECTION)
		ms->usage->subsection_map[0] |= 1ul << subsection_map_index(pfn);
}

/*
 * The memmap of section @nr, on node @nid: in the section's own first
 * frames when memmap=altmap allows it, else in the vmemmap; then placed
 * (self-hosted too: it is memmap, even when host_bind=memmap leaves the
 * memory alone).  Return: 0 or a negative PMM_E* code, nothing populated.
 */
static int section_memmap_populate(struct pmm *m, unsigned long nr, int nid)
{
	int hosted = m->altmaps ? vmemmap_populate_self_hosted(m, nr, nid) : 0;

	if (hosted < 0)
		return hosted;
	if (!hosted) {
		int err = vmemmap_populate_range(m, section_nr_to_pfn(nr), PAGES_PER_SECTION);

		if (err)
			return err;
	}
	vmemmap_place(m, section_nr_to_pfn(nr), PAGES_PER_SECTION, nid);
	return 0;
}

/*
 * memory_present() + sparse_init(): mark the sections covered by memblock
 * memory present, give each a usage block (subsection map and pageblock
 * flags), and populate its memmap in the vmemmap.  Early sections are valid
 * in full, as the kernel's are, so small holes inside a section have a
 * memmap (initialised reserved); sections without memory have none.
 */
int sparse_init(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	int err;

	m->nr_mem_sections = (m->max_possible_pfn + PAGES_PER_SECTION - 1) >> PFN_SECTION_SHIFT;
	m->nr_section_roots = (m->nr_mem_sections + SECTIONS_PER_ROOT - 1) / SECTIONS_PER_ROOT;
	m->mem_section = pmm_zalloc(m, m->nr_section_roots * sizeof(*m->mem_section));
	if (!m->mem_section)
		return -PMM_ENOMEM;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		unsigned long spfn = PFN_DOWN(mem->regions[i].base);
		unsigned long epfn = PFN_DOWN(mem->regions[i].base + mem->regions[i].size);
		int nid = mem->regions[i].nid;

		for (unsigned long pfn = spfn; pfn < epfn;
		     pfn = ALIGN_DOWN(pfn, PAGES_PER_SECTION) + PAGES_PER_SECTION) {
			unsigned long nr = pfn_to_section_nr(pfn);
			struct mem_section *ms;

			if ((err = section_root_alloc(m, nr)))
				return err;
			ms = nr_to_section(m, nr);
			if (!present_section(ms)) {
				ms->usage = pmm_zalloc(m, sizeof(*ms->usage));
				if (!ms->usage)
					return -PMM_ENOMEM;
				ms->section_mem_map = ((unsigned long)nid << SECTION_NID_SHIFT) |
						      SECTION_MARKED_PRESENT;
			}
			subsection_mask_set(ms, pfn,
					    MIN(epfn, ALIGN_DOWN(pfn, PAGES_PER_SECTION) + PAGES_PER_SECTION));
		}
	}

	if ((err = vmemmap_reserve(m)))
		return err;
	if (m->cfg.memmap == PMM_MEMMAP_ALTMAP) {
		/* One 2 MiB memmap per section must be mappable from the memory file. */
		if (!m->memfile.handle || m->memfile.page_size > PAGES_PER_SECTION * sizeof(struct page)) {
			pr_err(m, "pmm: memmap=altmap: the memory backend cannot map a 2 MiB memmap\n");
			return -PMM_EINVAL;
		}
		m->altmaps = pmm_zalloc(m, m->nr_mem_sections * sizeof(*m->altmaps));
		if (!m->altmaps)
			return -PMM_ENOMEM;
	}
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		struct mem_section *ms = nr_to_section(m, nr);

		if (!present_section(ms))
			continue;
		err = section_memmap_populate(m, nr, (int)(ms->section_mem_map >> SECTION_NID_SHIFT));
		if (err)
			return err;
		ms->section_mem_map = (unsigned long)m->vmemmap | SECTION_MARKED_PRESENT |
				      SECTION_HAS_MEM_MAP | SECTION_IS_EARLY | SECTION_IS_ONLINE;
	}
	if (m->altmaps) {
		unsigned long present = 0;

		for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++)
			present += present_section(nr_to_section(m, nr));
		pr_info(m, "pmm: memmap=altmap: %lu of %lu present sections host their own memmap (%luK)\n",
			m->nr_self_hosted, present,
			m->nr_self_hosted * (PAGES_PER_SECTION * sizeof(struct page) >> 10));
	}
	return 0;
}

/*
 * sparse_add_section(): make section @nr present on node @nid with a memmap
 * (its own first frames with memmap=altmap, when it qualifies), every
 * subsection valid, every struct page a reserved frame of @nid until
 * online_pages() gives it a zone.  The memory must be committed and in
 * memblock already.  Return: 0, -PMM_EEXIST if the section is present, or
 * -PMM_ENOMEM (nothing of the section left behind).
 * Context: hotplug lock.
 */
int sparse_add_section(struct pmm *m, unsigned long nr, int nid)
{
	unsigned long spfn = section_nr_to_pfn(nr);
	struct mem_section *ms;
	bool new_usage = false;
	int err;

	if ((err = section_root_alloc(m, nr)))
		return err;
	ms = nr_to_section(m, nr);
	if (present_section(ms))
		return -PMM_EEXIST;
	if (!ms->usage) {
		ms->usage = pmm_zalloc(m, sizeof(*ms->usage));
		if (!ms->usage)
			return -PMM_ENOMEM;
		new_usage = true;
	}
	/* The usage block is zero: new, or cleared by sparse_remove_section(). */
	if ((err = section_memmap_populate(m, nr, nid)))
		goto fail;
	subsection_mask_set(ms, spfn, spfn + PAGES_PER_SECTION);
	memmap_init_hotplug(m, spfn, spfn + PAGES_PER_SECTION, ZONE_NORMAL, nid, MIGRATE_UNMOVABLE);
	vmemmap_verify(m, spfn, PAGES_PER_SECTION, nid);
	__atomic_store_n(&ms->section_mem_map,
			 (unsigned long)m->vmemmap | SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP,
			 __ATOMIC_RELEASE);
	return 0;
fail:
	if (new_usage) {
		pmm_free(m, ms->usage, sizeof(*ms->usage));
		ms->usage = NULL;
	}
	return err;
}

/*
 * sparse_remove_section(): the section is offline; make it absent (pfn_valid()
 * false from here on) and release its memmap: decommitted from the vmemmap,
 * or unmapped from the section's own frames (memmap=altmap).
 * Context: hotplug lock.
 */
void sparse_remove_section(struct pmm *m, unsigned long nr)
{
	struct mem_section *ms = nr_to_section(m, nr);
	unsigned long spfn = section_nr_to_pfn(nr);

	if (!valid_section(ms)) {
		pr_warn(m, "section already deactivated (%#lx + %ld)\n", spfn, (long)PAGES_PER_SECTION);
		return;
	}
	__atomic_store_n(&ms->section_mem_map, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&ms->usage->subsection_map[0], 0, __ATOMIC_RELAXED);
	memset(ms->usage->pageblock_flags, 0, sizeof(ms->usage->pageblock_flags));
	vmemmap_depopulate_range(m, spfn, PAGES_PER_SECTION);
	if (m->altmaps && m->altmaps[nr].alloc) {
		memset(&m->altmaps[nr], 0, sizeof(m->altmaps[nr]));
		m->nr_self_hosted--;
	}
}

/* Undo sparse_init(), tolerating a partially built table. */
void sparse_teardown(struct pmm *m)
{
	if (!m->mem_section)
		return;
	for (unsigned long r = 0; r < m->nr_section_roots; r++) {
		struct mem_section *root = m->mem_section[r];
		if (!root)
			continue;
		for (unsigned long i = 0; i < SECTIONS_PER_ROOT; i++)
			pmm_free(m, root[i].usage, sizeof(*root[i].usage));
		pmm_free(m, root, SECTIONS_PER_ROOT * sizeof(struct mem_section));
	}
	pmm_free(m, m->mem_section, m->nr_section_roots * sizeof(*m->mem_section));
	m->mem_section = NULL;
	pmm_free(m, m->altmaps, m->nr_mem_sections * sizeof(*m->altmaps));
	m->altmaps = NULL;
	vmemmap_release(m);
}
