// SPDX-License-Identifier: MIT
/*
 * Memory hotplug of the machine's own memory (Linux 6.1 mm/memory_hotplug.c)
 * at memory-block granularity; a memory block is one section.
 *
 *   add_memory()     the memory is committed, memblock records it, each
 *                    section becomes present with a memmap of reserved
 *                    frames (sparse_add_section()): pfn_valid(), offline.
 *   online_pages()   the memmap is initialised for the chosen zone with
 *                    MIGRATE_ISOLATE blocks, page_ext is allocated, every
 *                    frame is freed to the buddy (onto the isolate lists),
 *                    the sections are marked online and the isolation is
 *                    undone: the frames become MOVABLE free memory.
 *   offline_pages()  pageblocks isolated, per-CPU lists drained, allocated
 *                    blocks handed to the embedder's migrate callback (if
 *                    any), then every frame must be a free buddy block on
 *                    an isolate list; the blocks are taken off the lists,
 *                    page_ext freed after RCU readers, sections offline.
 *   remove_memory()  the memmap and the memory go back to the host and the
 *                    sections become absent (sparse_remove_section()).
 *
 * With memmap=altmap a section's memmap lives in its own first frames
 * (mhp_init_memmap_on_memory()): those frames belong to the zone, count as
 * present pages, are never online or free, and go away with the section.
 *
 * Differences from the kernel, all because pmm runs in user space:
 *   - pmm has no migration of its own.  A frame in use keeps its block busy
 *     (-PMM_EBUSY) unless the embedder's migrate callback moves it.
 *   - The kernel retries offlining until a signal arrives; pmm retries the
 *     drain-and-check a bounded number of times, then reports -PMM_EBUSY.
 *   - A zone keeps its per-CPU lists after its last block goes offline
 *     (zone_pcp_reset() frees them in the kernel): fast paths may still hold
 *     a pointer to them, and they are empty.
 *   - Section usage blocks are cleared, not freed, on remove (sparse.c).
 *
 * Locking: m->hotplug_lock (mem_hotplug_lock) across each operation; then,
 * per internal.h's order, sysctl_lock for watermarks, pcp locks for drains
 * and zone->lock for free lists and zone spans.  Zone spans change under
 * both the hotplug lock and zone->lock; present pages with atomic stores.
 * No call here is made with a zone or pcp lock held except the list work.
 */
#include <string.h>

#include <pmm/hotplug.h>

#include "ext/page_ext.h"
#include "mm/debug.h"
#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

/* Drain-and-check rounds before offlining gives up on frames in flight. */
#define OFFLINE_RETRIES 64

/* The zone of an online frame that other threads may own (page_zone_racy()). */
static struct zone *frame_zone(const struct pmm *m, unsigned long pfn)
{
	return page_zone_racy(m, pfn_to_page(m, pfn));
}

static bool zone_is_empty(const struct zone *z)
{
	return !z->spanned_pages;
}

static bool zone_intersects(const struct zone *z, unsigned long start, unsigned long nr)
{
	if (zone_is_empty(z))
		return false;
	return start < zone_end_pfn(z) && start + nr > z->zone_start_pfn;
}

/* ------------------------------------------------------------ zone choice */

static struct zone *default_kernel_zone_for_pfn(struct pmm *m, int nid, unsigned long start,
						unsigned long nr)
{
	pg_data_t *pgdat = m->node_data[nid];

	for (int zi = 0; zi < ZONE_NORMAL; zi++)
		if (zone_intersects(&pgdat->node_zones[zi], start, nr))
			return &pgdat->node_zones[zi];
	return &pgdat->node_zones[ZONE_NORMAL];
}

/* zone_for_pfn_range() without the auto-movable policy (online_policy=contig-zones). */
static struct zone *zone_for_pfn_range(struct pmm *m, int type, int nid, unsigned long start,
				       unsigned long nr)
{
	struct zone *kernel_zone, *movable_zone = &m->node_data[nid]->node_zones[ZONE_MOVABLE];
	bool in_kernel, in_movable;

	if (type == PMM_ONLINE_MOVABLE)
		return movable_zone;
	kernel_zone = default_kernel_zone_for_pfn(m, nid, start, nr);
	if (type == PMM_ONLINE_KERNEL)
		return kernel_zone;
	in_kernel = zone_intersects(kernel_zone, start, nr);
	in_movable = zone_intersects(movable_zone, start, nr);
	if (in_kernel ^ in_movable)
		return in_kernel ? kernel_zone : movable_zone;
	return kernel_zone; /* movable_node is not modelled */
}

/* ------------------------------------------------------------ spans */

static void resize_zone_range_locked(struct zone *z, unsigned long start, unsigned long nr)
{
	unsigned long old_end = zone_end_pfn(z);

	lockdep_assert_held(&z->lock);
	if (zone_is_empty(z) || start < z->zone_start_pfn)
		z->zone_start_pfn = start;
	z->spanned_pages = MAX(start + nr, old_end) - z->zone_start_pfn;
}

static void resize_pgdat_range(pg_data_t *pgdat, unsigned long start, unsigned long nr)
{
	unsigned long old_end = pgdat_end_pfn(pgdat);

	if (!pgdat->node_spanned_pages || start < pgdat->node_start_pfn)
		pgdat->node_start_pfn = start;
	pgdat->node_spanned_pages = MAX(start + nr, old_end) - pgdat->node_start_pfn;
}

/* An online frame of @zone in [start, end), searching up (or down), or ~0ul. */
static unsigned long find_section_pfn(struct pmm *m, struct zone *z, unsigned long start,
				      unsigned long end, bool up)
{
	for (unsigned long i = 0; start + i * PAGES_PER_SUBSECTION < end; i++) {
		unsigned long pfn = up ? start + i * PAGES_PER_SUBSECTION
				       : end - 1 - i * PAGES_PER_SUBSECTION;
		if (pfn_to_online_page(m, pfn) && frame_zone(m, pfn) == z)
			return pfn;
	}
	return ~0ul;
}

/* shrink_zone_span(): only an edge range moves the zone's bounds. */
static void shrink_zone_span(struct pmm *m, struct zone *z, unsigned long start, unsigned long end)
{
	unsigned long pfn, zs = 0, span = 0;

	if (z->zone_start_pfn == start) {
		pfn = find_section_pfn(m, z, end, zone_end_pfn(z), true);
		if (pfn != ~0ul) {
			zs = pfn;
			span = zone_end_pfn(z) - pfn;
		}
	} else if (zone_end_pfn(z) == end) {
		pfn = find_section_pfn(m, z, z->zone_start_pfn, start, false);
		if (pfn != ~0ul) {
			zs = z->zone_start_pfn;
			span = pfn - z->zone_start_pfn + 1;
		}
	} else {
		return;
	}
	pmm_lock(&z->lock);
	z->zone_start_pfn = zs;
	z->spanned_pages = span;
	pmm_unlock(&z->lock);
}

static void update_pgdat_span(pg_data_t *pgdat)
{
	unsigned long start = 0, end = 0;

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &pgdat->node_zones[zi];

		if (!z->spanned_pages)
			continue;
		if (!end) {
			start = z->zone_start_pfn;
			end = zone_end_pfn(z);
			continue;
		}
		start = MIN(start, z->zone_start_pfn);
		end = MAX(end, zone_end_pfn(z));
	}
	pgdat->node_start_pfn = start;
	pgdat->node_spanned_pages = end - start;
}

static void remove_pfn_range_from_zone(struct pmm *m, struct zone *z, unsigned long start,
				       unsigned long nr)
{
	shrink_zone_span(m, z, start, start + nr);
	update_pgdat_span(z->zone_pgdat);
}

/* The zone and its node span [start, start + nr). */
static void zone_span_add(struct zone *z, unsigned long start, unsigned long nr)
{
	pmm_lock(&z->lock);
	resize_zone_range_locked(z, start, nr);
	pmm_unlock(&z->lock);
	resize_pgdat_range(z->zone_pgdat, start, nr);
	z->initialized = true;
}

/*
 * move_pfn_range_to_zone(): the zone and node span the range; its memmap is
 * initialised as reserved frames of the zone with pageblocks of type @mt.
 */
static void move_pfn_range_to_zone(struct pmm *m, struct zone *z, unsigned long start,
				   unsigned long nr, int mt)
{
	zone_span_add(z, start, nr);
	memmap_init_hotplug(m, start, start + nr, z->zone_idx, z->node, mt);
}

/* adjust_present_page_count() */
static void adjust_present_page_count(struct zone *z, long nr)
{
	__atomic_store_n(&z->present_pages, (unsigned long)((long)z->present_pages + nr),
			 __ATOMIC_RELAXED);
	z->zone_pgdat->node_present_pages = (unsigned long)((long)z->zone_pgdat->node_present_pages + nr);
}

/* init_per_zone_wmark_min() and the per-CPU high/batch that follow the marks. */
static void recompute_watermarks(struct pmm *m)
{
	pmm_lock(&m->sysctl_lock);
	init_per_zone_wmark_min(m);
	zone_pcp_update_all(m);
	pmm_unlock(&m->sysctl_lock);
}

static void rebuild_zonelists(struct pmm *m)
{
	pmm_lock(&m->sysctl_lock);
	build_all_zonelists(m);
	pmm_unlock(&m->sysctl_lock);
	pcp_fast_zonelists_update(m);
}

/*
 * The fast free path's view of a section, early or hot-added: its pageblock
 * flags while online, else NULL.  Cleared before the section goes offline,
 * so no fast free starts on it after offline drained the per-CPU lists;
 * the usage block it points at stays with the section's slot (sparse.c),
 * so a fast free that read the entry just before reads valid memory.
 */
static void fast_section_set(struct pmm *m, unsigned long nr, bool online)
{
	struct mem_section *ms = nr_to_section(m, nr);

	if (!m->fast.section_pb || nr >= m->fast.nr_sections)
		return;
	__atomic_store_n(&m->fast.section_pb[nr], online ? ms->usage->pageblock_flags : NULL,
			 __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ checks */

static bool block_aligned(unsigned long pfn, unsigned long nr)
{
	return nr && !(pfn & (PAGES_PER_SECTION - 1)) && !(nr & (PAGES_PER_SECTION - 1));
}

static bool range_in_span(const struct pmm *m, unsigned long pfn, unsigned long nr)
{
	return pfn < m->nr_mem_sections * PAGES_PER_SECTION &&
	       nr <= m->nr_mem_sections * PAGES_PER_SECTION - pfn;
}

/* How many sections of [pfn, pfn + nr) are online; -1 if one is absent. */
static long count_online_sections(const struct pmm *m, unsigned long pfn, unsigned long nr)
{
	long online = 0;

	for (unsigned long p = pfn; p < pfn + nr; p += PAGES_PER_SECTION) {
		struct mem_section *ms = pfn_to_section(m, p);

		if (!valid_section(ms))
			return -1;
		online += online_section(ms);
	}
	return online;
}

static void offline_failed(struct pmm *m, unsigned long start, unsigned long end, const char *why)
{
	pr_debug(m, "memory offlining [mem %#010llx-%#010llx] failed due to %s\n",
		 (unsigned long long)PFN_PHYS(start), (unsigned long long)PFN_PHYS(end) - 1, why);
}

/* ------------------------------------------------------------ add */

static int check_hotplug_memory_range(struct pmm *m, uint64_t start, uint64_t size)
{
	if (!size || start % PMM_MEMORY_BLOCK_SIZE || size % PMM_MEMORY_BLOCK_SIZE) {
		pr_err(m, "Block size [%#lx] unaligned hotplug range: start %#llx, size %#llx\n",
		       (unsigned long)PMM_MEMORY_BLOCK_SIZE, (unsigned long long)start,
		       (unsigned long long)size);
		return -PMM_EINVAL;
	}
	return 0;
}

static bool mhp_range_allowed(struct pmm *m, uint64_t start, uint64_t size)
{
	uint64_t max = MIN(PFN_PHYS(m->nr_mem_sections * PAGES_PER_SECTION), (uint64_t)m->mem_size);

	if (start < max && size <= max - start)
		return true;
	pr_warn(m, "Hotplug memory [%#llx-%#llx] exceeds maximum addressable range [%#llx-%#llx]\n",
		(unsigned long long)start, (unsigned long long)(start + size), 0ull,
		(unsigned long long)max - 1);
	return false;
}

int pmm_add_memory(struct pmm *m, int nid, uint64_t start, uint64_t size)
{
	unsigned long spfn = PFN_DOWN(start), nr = PFN_DOWN(size), done;
	int err;

	if (!m)
		return -PMM_EINVAL;
	if ((err = check_hotplug_memory_range(m, start, size)))
		return err;
	if (!node_online(m, nid)) {
		/*
		 * 6.1 refuses only a node that is not possible ("absent from
		 * the node_possible_map") and brings a memoryless one online
		 * (__try_online_node()); pmm builds nodes at boot only.
		 */
		if (nid >= 0 && nid < MAX_NUMNODES && (m->named_nodes & (1ul << nid)))
			pr_warn(m, "pmm: node %d had no memory at boot: memory cannot be added to it\n", nid);
		else
			pr_warn(m, "node %d was absent from the node_possible_map\n", nid);
		return -PMM_EINVAL;
	}
	if (!mhp_range_allowed(m, start, size))
		return -PMM_E2BIG;

	pmm_lock(&m->hotplug_lock);
	/*
	 * register_memory_resource(): no overlap with memory that is there.
	 * A section is present exactly when memblock has memory in it (boot
	 * memory, or added and removed together here), so its flag is enough.
	 */
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION) {
		if (present_section(pfn_to_section(m, p))) {
			pr_debug(m, "Unable to reserve System RAM region: %016llx->%016llx\n",
				 (unsigned long long)start, (unsigned long long)(start + size));
			err = -PMM_EEXIST;
			goto out;
		}
	}
	if ((err = memblock_add(&m->memblock.memory, start, size, nid)))
		goto out;
	if ((err = physmem_add_range(m, spfn, nr, nid)))
		goto fail_memblock;
	for (done = 0; done < nr; done += PAGES_PER_SECTION)
		if ((err = sparse_add_section(m, pfn_to_section_nr(spfn + done), nid)))
			goto fail_sections;
	if (spfn + nr > m->max_pfn)
		__atomic_store_n(&m->max_pfn, spfn + nr, __ATOMIC_RELAXED);
	pmm_unlock(&m->hotplug_lock);
	return 0;

fail_sections:
	while (done) {
		done -= PAGES_PER_SECTION;
		sparse_remove_section(m, pfn_to_section_nr(spfn + done));
	}
	physmem_remove_range(m, spfn, nr);
fail_memblock:
	memblock_remove_range(&m->memblock.memory, start, size);
out:
	pmm_unlock(&m->hotplug_lock);
	return err;
}

/* ------------------------------------------------------------ online */

static void sections_mark(struct pmm *m, unsigned long spfn, unsigned long nr, bool online)
{
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION) {
		unsigned long snr = pfn_to_section_nr(p);
		struct mem_section *ms = nr_to_section(m, snr);

		if (online) {
			__atomic_fetch_or(&ms->section_mem_map, SECTION_IS_ONLINE, __ATOMIC_RELEASE);
			fast_section_set(m, snr, true);
		} else {
			fast_section_set(m, snr, false);
			__atomic_fetch_and(&ms->section_mem_map, ~SECTION_IS_ONLINE, __ATOMIC_RELEASE);
		}
	}
}

/* The part of section @p that is online memory: after its self-hosted memmap. */
static unsigned long section_online_start(const struct pmm *m, unsigned long p)
{
	return p + section_vmemmap_pages(m, pfn_to_section_nr(p));
}

/* The online part of each section of [spfn, upto) becomes MIGRATE_MOVABLE again. */
static void undo_isolation(struct pmm *m, unsigned long spfn, unsigned long upto)
{
	for (unsigned long p = spfn; p < upto; p += PAGES_PER_SECTION)
		undo_isolate_page_range(m, section_online_start(m, p), p + PAGES_PER_SECTION,
					MIGRATE_MOVABLE);
}

/* Memory without holes: every frame of every section is memblock memory. */
static bool range_has_holes(const struct pmm *m, unsigned long spfn, unsigned long nr)
{
	return memblock_present_pages_in(m, PMM_NUMA_NO_NODE, spfn, spfn + nr) != nr;
}

static int online_locked(struct pmm *m, unsigned long spfn, unsigned long nr, int type)
{
	struct page *first = pfn_to_page(m, spfn);
	int nid = page_to_nid(first), err;
	bool rebuild;
	struct zone *z;
	unsigned long done;

	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION)
		if (page_to_nid(pfn_to_page(m, p)) != nid) {
			pr_err(m, "pmm: online [mem %#010llx-%#010llx]: blocks of nodes %d and %d\n",
			       (unsigned long long)PFN_PHYS(spfn), (unsigned long long)PFN_PHYS(spfn + nr) - 1,
			       nid, page_to_nid(pfn_to_page(m, p)));
			return -PMM_EINVAL;
		}
	/*
	 * No hole check: an offline block is memblock memory whole, either
	 * added so or refused by offline_locked() if it had holes.
	 */
	z = zone_for_pfn_range(m, type, nid, spfn, nr);
	rebuild = !populated_zone(z);
	/*
	 * What can fail comes first, so that failing changes nothing.  The
	 * lists come with usable high/batch; the final ones follow the
	 * watermarks below.
	 */
	if (rebuild && m->cfg.pcp && !z->per_cpu_pageset && (err = setup_zone_pageset(m, z)))
		goto failed;
	for (done = 0; done < nr; done += PAGES_PER_SECTION)
		if ((err = page_ext_online_section(m, pfn_to_section_nr(spfn + done))))
			goto failed_ext;

	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION) {
		unsigned long os = section_online_start(m, p), e = p + PAGES_PER_SECTION;

		if (os > p) {
			/* mhp_init_memmap_on_memory(): the zone spans the memmap's frames too. */
			zone_span_add(z, p, os - p);
			memmap_init_self_hosted(m, p, os, z->zone_idx, z->node);
		}
		move_pfn_range_to_zone(m, z, os, e - os, MIGRATE_ISOLATE);
		pmm_lock(&z->lock);
		z->nr_isolate_pageblock += (int)((e - os) / pageblock_nr_pages);
		pmm_unlock(&z->lock);
	}
	/* online_pages_range(): __free_pages_core() of every frame, onto the isolate lists. */
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION) {
		unsigned long os = section_online_start(m, p), e = p + PAGES_PER_SECTION;

		for (unsigned long q = os; q < e; q++) {
			struct page *page = pfn_to_page(m, q);

			ClearPageReserved(page);
			set_page_count(page, 0);
		}
		free_pages_memory(m, os, e);
	}
	sections_mark(m, spfn, nr, true);
	adjust_present_page_count(z, (long)nr);
	if (rebuild)
		rebuild_zonelists(m);
	undo_isolation(m, spfn, spfn + nr);
	if (m->cfg.shuffle)
		shuffle_zone(m, z);
	recompute_watermarks(m);
	return 0;

failed_ext:
	while (done) {
		done -= PAGES_PER_SECTION;
		page_ext_offline_section(m, pfn_to_section_nr(spfn + done));
	}
failed:
	pr_debug(m, "online_pages [mem %#010llx-%#010llx] failed\n", (unsigned long long)PFN_PHYS(spfn),
		 (unsigned long long)PFN_PHYS(spfn + nr) - 1);
	return err;
}

int pmm_online_pages(struct pmm *m, unsigned long start_pfn, unsigned long nr_pages,
		     enum pmm_online_type type)
{
	long online;
	int err = 0;

	if (!m || !block_aligned(start_pfn, nr_pages) || !range_in_span(m, start_pfn, nr_pages) ||
	    type < PMM_ONLINE || type > PMM_ONLINE_MOVABLE)
		return -PMM_EINVAL;
	pmm_lock(&m->hotplug_lock);
	online = count_online_sections(m, start_pfn, nr_pages);
	if (online < 0 || (online && (unsigned long)online != nr_pages / PAGES_PER_SECTION))
		err = -PMM_EINVAL;
	else if (!online)
		err = online_locked(m, start_pfn, nr_pages, (int)type);
	pmm_unlock(&m->hotplug_lock);
	return err;
}

/* ------------------------------------------------------------ offline */

/*
 * A frame of [spfn, spfn + nr) that is in use (or reserved), or NULL.  Read
 * without the zone lock while frees may be in flight (a reporting pass
 * putting blocks back, a per-CPU drain): each frame in a racy copy
 * (snapshot_page()), a tail's head racily too, a hint which only decides
 * between retrying and giving up.
 */
static __attribute__((noinline)) struct page *range_busy_page(struct pmm *m, unsigned long spfn, unsigned long nr)
{
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION)
		for (unsigned long q = section_online_start(m, p); q < p + PAGES_PER_SECTION;) {
			struct page *page = pfn_to_page(m, q), snap;

			snapshot_page(&snap, page);
			if (PageBuddy(&snap)) {
				q += 1ul << MIN(buddy_order(&snap), MAX_ORDER - 1);
				continue;
			}
			if (page_ref_count(&snap) > 0 || PageReserved(&snap))
				return page;
			if (free_of_huge_page(compound_head_racy(page)))
				return page;
			q++;
		}
	return NULL;
}

/* test_pages_isolated() over the online part of every section. */
static bool range_isolated_free(struct pmm *m, struct zone *z, unsigned long spfn, unsigned long nr)
{
	bool ok = true;

	pmm_lock(&z->lock);
	for (unsigned long p = spfn; ok && p < spfn + nr; p += PAGES_PER_SECTION)
		ok = range_all_free_locked(m, section_online_start(m, p), p + PAGES_PER_SECTION);
	pmm_unlock(&z->lock);
	return ok;
}

/* __offline_isolated_pages(): take the free blocks off the isolate lists. */
static unsigned long offline_isolated_pages(struct pmm *m, struct zone *z, unsigned long spfn,
					    unsigned long nr)
{
	unsigned long pages = 0;

	sections_mark(m, spfn, nr, false);
	pmm_lock(&z->lock);
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION) {
		unsigned long os = section_online_start(m, p);

		for (unsigned long q = os; q < p + PAGES_PER_SECTION;) {
			struct page *page = pfn_to_page(m, q);
			unsigned order = buddy_order(page);

			del_page_from_free_list(page, z, order);
			q += 1ul << order;
			pages += 1ul << order;
		}
		z->nr_isolate_pageblock -= (int)((p + PAGES_PER_SECTION - os) / pageblock_nr_pages);
	}
	pmm_unlock(&z->lock);
	return pages;
}

static int offline_locked(struct pmm *m, unsigned long spfn, unsigned long nr)
{
	unsigned long end = spfn + nr, p, pages;
	struct page *busy;
	struct zone *z;
	const char *why;
	int err, tries;

	if (range_has_holes(m, spfn, nr)) {
		why = "memory holes";
		err = -PMM_EINVAL;
		goto failed;
	}
	z = frame_zone(m, section_online_start(m, spfn));
	for (p = spfn; p < end; p += PAGES_PER_SECTION)
		if (frame_zone(m, section_online_start(m, p)) != z ||
		    frame_zone(m, p + PAGES_PER_SECTION - 1) != z) {
			why = "multizone range";
			err = -PMM_EINVAL;
			goto failed;
		}

	for (p = spfn; p < end; p += PAGES_PER_SECTION)
		if ((err = start_isolate_page_range(m, section_online_start(m, p), p + PAGES_PER_SECTION,
						    MIGRATE_MOVABLE, true))) {
			undo_isolation(m, spfn, p);
			why = "failure to isolate range";
			goto failed;
		}
	pcp_drain_all(m);
	for (tries = 0;; tries++) {
		if (m->mm_ops.migrate)
			for (p = spfn; p < end; p += PAGES_PER_SECTION)
				if (migrate_range(m, section_online_start(m, p), p + PAGES_PER_SECTION, false)) {
					why = "unmovable page";
					err = -PMM_EBUSY;
					goto failed_isolated;
				}
		/* dissolve_free_huge_pages(): pool pages in the range go to the buddy allocator. */
		for (p = spfn; p < end; p += PAGES_PER_SECTION)
			if (hugetlb_dissolve_free(m, section_online_start(m, p), p + PAGES_PER_SECTION)) {
				why = "failure to dissolve huge pages";
				err = -PMM_EBUSY;
				goto failed_isolated;
			}
		if (range_isolated_free(m, z, spfn, nr))
			break;
		/*
		 * Not all free: a frame in use stays so (no migration), while
		 * one on its way to a per-CPU list or back is only in flight,
		 * and one a reporting pass holds comes back when the pass ends.
		 */
		busy = range_busy_page(m, spfn, nr);
		if ((busy && !m->mm_ops.migrate) || tries == OFFLINE_RETRIES) {
			if (busy)
				dump_page(m, busy, "unmovable page");
			why = "unmovable page";
			err = -PMM_EBUSY;
			goto failed_isolated;
		}
		if (!busy)
			page_reporting_wait_pass(m);
		pcp_drain_all(m);
	}

	pages = offline_isolated_pages(m, z, spfn, nr);
	pr_debug(m, "Offlined Pages %ld\n", (long)pages);
	__atomic_fetch_sub(&z->managed_pages, (long)pages, __ATOMIC_RELAXED);
	adjust_present_page_count(z, -(long)nr);
	for (p = spfn; p < end; p += PAGES_PER_SECTION)
		page_ext_offline_section(m, pfn_to_section_nr(p));
	recompute_watermarks(m);
	if (!populated_zone(z))
		rebuild_zonelists(m);
	remove_pfn_range_from_zone(m, z, spfn, nr);
	return 0;

failed_isolated:
	undo_isolation(m, spfn, end);
failed:
	offline_failed(m, spfn, end, why);
	return err;
}

int pmm_offline_pages(struct pmm *m, unsigned long start_pfn, unsigned long nr_pages)
{
	long online;
	int err = 0;

	if (!m || !block_aligned(start_pfn, nr_pages) || !range_in_span(m, start_pfn, nr_pages))
		return -PMM_EINVAL;
	pmm_lock(&m->hotplug_lock);
	online = count_online_sections(m, start_pfn, nr_pages);
	if (online < 0 || (online && (unsigned long)online != nr_pages / PAGES_PER_SECTION)) {
		offline_failed(m, start_pfn, start_pfn + nr_pages,
			       online < 0 ? "absent memory" : "partly offline range");
		err = -PMM_EINVAL;
	} else if (online) {
		err = offline_locked(m, start_pfn, nr_pages);
	}
	pmm_unlock(&m->hotplug_lock);
	return err;
}

/* ------------------------------------------------------------ remove */

int pmm_remove_memory(struct pmm *m, uint64_t start, uint64_t size)
{
	unsigned long spfn = PFN_DOWN(start), nr = PFN_DOWN(size);
	int err = 0;

	if (!m)
		return -PMM_EINVAL;
	if ((err = check_hotplug_memory_range(m, start, size)))
		return err;
	if (!range_in_span(m, spfn, nr))
		return -PMM_EINVAL;
	pmm_lock(&m->hotplug_lock);
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION) {
		struct mem_section *ms = pfn_to_section(m, p);

		if (!valid_section(ms)) {
			pr_warn(m, "removing memory fails, because memory [0x%016llx-0x%016llx] is absent\n",
				(unsigned long long)PFN_PHYS(p),
				(unsigned long long)PFN_PHYS(p + PAGES_PER_SECTION) - 1);
			err = -PMM_EINVAL;
			goto out;
		}
		if (online_section(ms)) {
			pr_warn(m, "removing memory fails, because memory [0x%016llx-0x%016llx] is onlined\n",
				(unsigned long long)PFN_PHYS(p),
				(unsigned long long)PFN_PHYS(p + PAGES_PER_SECTION) - 1);
			err = -PMM_EBUSY;
			goto out;
		}
	}
	/*
	 * memblock first, the one step that can fail: splitting a region
	 * needs a free slot.  Nothing is changed when there is none.
	 */
	if ((err = memblock_remove_range(&m->memblock.memory, start, size))) {
		pr_warn(m, "removing memory fails, because memblock has no free region to split [0x%016llx-0x%016llx] out of\n",
			(unsigned long long)start, (unsigned long long)(start + size) - 1);
		goto out;
	}
	/*
	 * alloc_contig_range() and alloc_contig_pages() look at the memmap of
	 * online sections without the hotplug lock, in RCU read sections:
	 * one that saw these sections online before they went offline may
	 * still be reading their memmap.
	 */
	pmm_synchronize_rcu(&m->rcu);
	/* Offline sections hold no page_ext: offline (or a failed online) released it. */
	for (unsigned long p = spfn; p < spfn + nr; p += PAGES_PER_SECTION)
		sparse_remove_section(m, pfn_to_section_nr(p));
	release_range_debug(m, spfn, nr);
	physmem_remove_range(m, spfn, nr);
	/*
	 * max_pfn is the end of memory, as physmem_init() sets it: memblock
	 * knows it to the frame, where the sections below would only give the
	 * end of the last one (too high when boot memory ends inside it).
	 */
	__atomic_store_n(&m->max_pfn, memblock_end_pfn(m), __ATOMIC_RELAXED);
out:
	pmm_unlock(&m->hotplug_lock);
	return err;
}

enum pmm_block_state pmm_memory_block_state(const struct pmm *m, unsigned long pfn)
{
	struct mem_section *ms;

	if (!m || !range_in_span(m, pfn, 1))
		return PMM_BLOCK_ABSENT;
	ms = pfn_to_section(m, pfn);
	if (!valid_section(ms))
		return PMM_BLOCK_ABSENT;
	return online_section(ms) ? PMM_BLOCK_ONLINE : PMM_BLOCK_OFFLINE;
}
