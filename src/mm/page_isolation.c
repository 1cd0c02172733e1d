// SPDX-License-Identifier: MIT
/*
 * Pageblock isolation and contiguous allocation (mm/page_isolation.c,
 * alloc_contig_range() and friends in mm/page_alloc.c).
 *
 * Isolating a pageblock makes it MIGRATE_ISOLATE and moves its free pages
 * to the isolate lists, which the allocator never takes from and which
 * NR_FREE_PAGES does not count.  Pages freed into an isolated block stay
 * there.  A free block larger than a pageblock is split at the pageblock's
 * edges first, so a neighbour's frames are never isolated with it.
 * alloc_contig_range() isolates the pageblocks the range touches, drains
 * the per-CPU lists, asks the embedder's migrate callback to move every
 * allocated block of the range out (2 MiB huge pages handed out too; free
 * ones in their pool are swapped for fresh ones), then takes the (now all
 * free) range off the free lists as order-0 pages.  Without a migrate
 * callback, an allocated page in those pageblocks makes it fail with
 * -PMM_EBUSY and the frames are left as they were.
 *
 * Locking: zone->lock for block state changes; the migrate callback runs
 * without locks.
 */
#include <pmm/hugetlb.h>

#include "mm/debug.h"
#include "ext/page_owner.h"
#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

/* compound_order() of a head page others may be freeing (racy; the callback confirms). */
static data_race_fn unsigned snapshot_compound_order(const struct page *head)
{
	return ((const volatile struct page *)head)[1].compound_order;
}

/*
 * The order of the allocated block at @head, which the caller has pinned
 * (page_pin_allocated()): its compound order, or the order a plain block
 * keeps in page 0's private.  Racy only against the owner's own free,
 * which may set a plain block's private to 0 (page 0 left to the pin).
 */
static data_race_fn unsigned pinned_block_order(const struct page *head)
{
	const volatile struct page *h = (const volatile struct page *)head;
	unsigned long order = PageHead(head) ? h[1].compound_order : h->private;

	return order < MAX_ORDER ? (unsigned)order : 0;
}

/*
 * Linux 6.1's migrate_pages() makes up to 10 passes over a page whose
 * references do not yet let it move (a passing one, such as another
 * scanner's); so many asks are made here too.
 */
#define MIGRATE_PASSES 10

/*
 * Ask the migrate callback to move the allocated block whose head is
 * frame @pfn, holding a reference on it meanwhile (as the kernel's
 * isolate_migratepages() does), so that the block cannot be freed and
 * handed to someone else while the callback looks: the callback is asked
 * about the block as allocated, at its order, or about one its owner has
 * just freed.  @want, if not -1, is the order the caller expects of a
 * compound block (another order, or a plain block, is not asked about).
 * 0 when the block was moved (the callback freed it: the pin then holds
 * the last reference and its drop frees what is left), or when @pfn heads
 * no such block any more (freed, now inside another one, or another
 * block), for the caller to look again; -PMM_EBUSY otherwise.  The frame
 * must not be reserved (page_pin_allocated() does not pin one: it would
 * look freed).
 *
 * "Moved" with a reference left beside the pin is asked about again, up
 * to MIGRATE_PASSES times: a second pinner (idle tracking, another
 * request's look at the same block) holds the block only briefly, and
 * once it lets go the look finds the block freed; a callback that says
 * "moved" but keeps the block makes it busy.
 */
static int migrate_pinned(struct pmm *m, unsigned long pfn, int want)
{
	for (int pass = 0; pass < MIGRATE_PASSES; pass++) {
		struct page *head = page_pin_allocated(m, pfn);
		unsigned order;
		int err;

		if (!head)
			return 0; /* freed meanwhile: nothing to move */
		if (head != pfn_to_page(m, pfn)) {
			page_unpin(m, head);
			return 0; /* a tail of a block allocated since */
		}
		if (free_of_huge_page(head)) {
			/*
			 * A huge page since the look: migrate_range()'s own branch
			 * asks about it.  The pool may be waiting for a passing
			 * reference like this one to go (gather_surplus_pages()),
			 * so it is not kept across a callback.
			 */
			page_unpin(m, head);
			return 0;
		}
		order = pinned_block_order(head);
		if (want >= 0 && (!PageHead(head) || order != (unsigned)want)) {
			/* Not the block asked about (freed, another there now): the final check decides. */
			page_unpin(m, head);
			return 0;
		}
		err = m->mm_ops.migrate(m->mm_ops_ctx, m, pfn, order);
		/* Moved: the owner's reference is gone, only the pin's is left. */
		if (!err && page_ref_count(head) == 1) {
			page_unpin(m, head);
			return 0;
		}
		page_unpin(m, head);
		if (err)
			return -PMM_EBUSY;
		pmm_cpu_relax(); /* for the other reference to go */
	}
	return -PMM_EBUSY;
}

/*
 * has_unmovable_pages(): the first page that cannot be moved out of the
 * block.  Each page is looked at in a racy copy (snapshot_page()): pages
 * being allocated or freed change under the pcp lock or none, and the
 * kernel's scan is racy the same way; isolation is rechecked before any
 * frame is taken (test_pages_isolated()).
 */
static struct page *has_unmovable_pages_locked(struct pmm *m, struct zone *zone,
					       unsigned long start_pfn)
{
	bool can_migrate = m->mm_ops.migrate != NULL;
	int mt = get_pfnblock_migratetype(m, start_pfn);

	/*
	 * The whole block, also where a contiguous request covers only part
	 * of it (6.1's isolate_single_pageblock() checks its edge blocks whole).
	 */
	for (unsigned long pfn = start_pfn; pfn < start_pfn + pageblock_nr_pages; pfn++) {
		struct page *page = pfn_to_page(m, pfn), snap;

		if (!zone_spans_pfn(zone, pfn))
			continue;
		snapshot_page(&snap, page);
		if (PageReserved(&snap))
			return page;
		if (!page_ref_count(&snap)) {
			if (PageBuddy(&snap))
				pfn += (1ul << buddy_order(&snap)) - 1;
			continue;
		}
		if (PageTail(&snap))
			continue;
		/* An allocated page moves only through the embedder, and only from a movable block. */
		if (can_migrate && is_migrate_movable(mt))
			continue;
		return page;
	}
	return NULL;
}

/* The head of the free block covering @pfn, or ~0ul if @pfn is not free. */
static unsigned long free_block_head_locked(struct pmm *m, struct zone *zone, unsigned long pfn)
{
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		unsigned long head = ALIGN_DOWN(pfn, 1ul << order);
		struct page *hp;

		if (!zone_spans_pfn(zone, head))
			break;
		hp = pfn_to_page(m, head);
		if (PageBuddy(hp) && head + (1ul << buddy_order(hp)) > pfn)
			return head;
	}
	return ~0ul;
}

/*
 * split_free_page() at pageblock boundaries: a free block larger than a
 * pageblock that covers the block at @pfn becomes pageblock-sized blocks,
 * each on the list of its own pageblock's type.  Isolating one pageblock
 * then never takes its neighbour's free frames along, and they do not
 * merge again while it is isolated (__free_one_page() keeps isolated and
 * other blocks apart); unset_migratetype_isolate() merges them back.
 */
static void split_free_block_locked(struct pmm *m, struct zone *zone, unsigned long pfn)
{
	unsigned long head = free_block_head_locked(m, zone, pfn);
	struct page *page;
	unsigned order;
	int mt;

	if (head == ~0ul)
		return;
	page = pfn_to_page(m, head);
	order = buddy_order(page);
	if (order <= pageblock_order)
		return;
	mt = get_pfnblock_migratetype(m, head);
	del_page_from_free_list(page, zone, order);
	if (!is_migrate_isolate(mt))
		mod_zone_freepage_count(zone, -(1l << order), mt);
	for (unsigned long p = head; p < head + (1ul << order); p += pageblock_nr_pages) {
		struct page *piece = pfn_to_page(m, p);
		int pmt = get_pfnblock_migratetype(m, p);

		set_buddy_order(piece, pageblock_order);
		add_to_free_list(piece, zone, pageblock_order, pmt);
		if (!is_migrate_isolate(pmt))
			mod_zone_freepage_count(zone, 1l << pageblock_order, pmt);
	}
	zone_fast_update(zone);
}

/*
 * Whether @pfn's section is online, read with acquire order: online marks
 * it (with release) after it has written the zone links of its frames.
 */
static bool section_online_acquire(const struct pmm *m, unsigned long pfn)
{
	const struct mem_section *ms = pfn_to_section(m, pfn);

	return ms && (__atomic_load_n(&ms->section_mem_map, __ATOMIC_ACQUIRE) & SECTION_IS_ONLINE);
}

/* Isolate the pageblock that starts at @page; -PMM_EBUSY if it holds an unmovable page. */
static int set_migratetype_isolate(struct pmm *m, struct page *page, bool report)
{
	struct zone *zone = page_zone_racy(m, page);
	unsigned long pfn = page_to_pfn(m, page);
	struct page *unmovable;
	int mt;

	pmm_lock(&zone->lock);
	/*
	 * A caller that found the frames online has no hold on them yet:
	 * memory offline and online may have moved them to another zone
	 * since @zone was read.  Online writes the new zone links first, then
	 * marks the section online and un-isolates its pageblocks (both with
	 * release order), so a type other than isolate and an online section,
	 * each read with acquire order, make the zone links read after them
	 * current.  The online check covers a self-hosted memmap's pageblock
	 * (memmap=altmap), which offline never isolates.  Under the wrong
	 * zone's lock, or offline, the block is busy (the caller may retry).
	 */
	mt = get_pfnblock_migratetype_acquire(m, pfn);
	if (is_migrate_isolate(mt) || !section_online_acquire(m, pfn) ||
	    page_zone_racy(m, page) != zone) {
		pmm_unlock(&zone->lock);
		return -PMM_EBUSY;
	}
	unmovable = has_unmovable_pages_locked(m, zone, pfn);
	if (!unmovable) {
		int nr;

		split_free_block_locked(m, zone, pfn);
		nr = move_freepages_block_locked(zone, page, MIGRATE_ISOLATE, NULL);
		set_pageblock_migratetype(m, page, MIGRATE_ISOLATE);
		zone->nr_isolate_pageblock++;
		mod_zone_freepage_state(zone, -nr, mt);
		pmm_unlock(&zone->lock);
		return 0;
	}
	pmm_unlock(&zone->lock);
	if (report)
		dump_page(m, unmovable, "unmovable page");
	return -PMM_EBUSY;
}

static void unset_migratetype_isolate(struct pmm *m, struct page *page, int migratetype)
{
	struct zone *zone = page_zone_racy(m, page);
	unsigned long pfn = page_to_pfn(m, page);
	int nr;

	pmm_lock(&zone->lock);
	if (!is_migrate_isolate(get_pfnblock_migratetype(m, pfn))) {
		pmm_unlock(&zone->lock);
		return;
	}
	/*
	 * Two isolated pageblocks of one max-order block may have merged:
	 * split the block first, while this one is still isolated, or
	 * move_freepages_block_locked() would take the neighbour's frames
	 * out of its isolation with it.
	 */
	split_free_block_locked(m, zone, ALIGN_DOWN(pfn, pageblock_nr_pages));
	set_pageblock_migratetype(m, page, migratetype);
	nr = move_freepages_block_locked(zone, page, migratetype, NULL);
	mod_zone_freepage_state(zone, nr, migratetype);
	zone->nr_isolate_pageblock--;
	/*
	 * Blocks that could not merge across the isolation boundary get a
	 * chance now: take each free block of pageblock order or more off its
	 * list and free it again.
	 */
	for (unsigned long p = ALIGN_DOWN(pfn, pageblock_nr_pages);
	     p < ALIGN_DOWN(pfn, pageblock_nr_pages) + pageblock_nr_pages;) {
		struct page *bp = pfn_to_page(m, p);

		if (PageBuddy(bp)) {
			unsigned order = buddy_order(bp);

			if (order >= pageblock_order && order < MAX_ORDER - 1) {
				del_page_from_free_list(bp, zone, order);
				mod_zone_freepage_state(zone, -(1l << order), migratetype);
				free_one_page_locked(zone, bp, p, order, migratetype,
						     FPI_SKIP_REPORT_NOTIFY);
			}
			p += 1ul << order;
			continue;
		}
		p++;
	}
	pmm_unlock(&zone->lock);
}

int start_isolate_page_range(struct pmm *m, unsigned long start_pfn, unsigned long end_pfn,
			     int migratetype, bool report)
{
	unsigned long pfn;

	for (pfn = ALIGN_DOWN(start_pfn, pageblock_nr_pages); pfn < end_pfn;
	     pfn += pageblock_nr_pages) {
		int err;

		/* Checked online by every caller: a block gone since is busy, not skipped. */
		err = pfn_valid(m, pfn) ? set_migratetype_isolate(m, pfn_to_page(m, pfn), report)
					: -PMM_EBUSY;
		if (err) {
			for (unsigned long p = ALIGN_DOWN(start_pfn, pageblock_nr_pages); p < pfn;
			     p += pageblock_nr_pages)
				if (pfn_valid(m, p))
					unset_migratetype_isolate(m, pfn_to_page(m, p), migratetype);
			return err;
		}
	}
	return 0;
}

void undo_isolate_page_range(struct pmm *m, unsigned long start_pfn, unsigned long end_pfn,
			     int migratetype)
{
	for (unsigned long pfn = ALIGN_DOWN(start_pfn, pageblock_nr_pages); pfn < end_pfn;
	     pfn += pageblock_nr_pages)
		if (pfn_valid(m, pfn))
			unset_migratetype_isolate(m, pfn_to_page(m, pfn), migratetype);
}

/* Every pageblock of [@start, @end) is MIGRATE_ISOLATE (zone->lock held). */
static bool range_isolated_locked(struct pmm *m, unsigned long start, unsigned long end)
{
	for (unsigned long pfn = start; pfn < end; pfn += pageblock_nr_pages)
		if (!is_migrate_isolate(get_pfnblock_migratetype(m, pfn)))
			return false;
	return true;
}

/* test_pages_isolated(): from @head, free blocks cover everything up to @end. */
bool range_all_free_locked(struct pmm *m, unsigned long head, unsigned long end)
{
	for (unsigned long pfn = head; pfn < end;) {
		struct page *page = pfn_to_page(m, pfn);

		if (!PageBuddy(page))
			return false;
		pfn += 1ul << buddy_order(page);
	}
	return true;
}

/*
 * Allocated blocks in [start, end): hand each to the embedder to move away.
 * The pages are read without the zone lock while their owners free them
 * and the buddy allocator merges them: each is looked at in a racy copy
 * (snapshot_page()), as has_unmovable_pages_locked() does; a stale copy
 * only skips or asks about a block wrongly, and the callback and the
 * locked range_all_free_locked() check decide.
 */
int migrate_range(struct pmm *m, unsigned long start, unsigned long end, bool replace_huge)
{
	for (unsigned long pfn = start; pfn < end;) {
		struct page *page = pfn_to_page(m, pfn), snap, *head;
		unsigned long next;
		unsigned order;
		int err;

		snapshot_page(&snap, page);
		if (PageBuddy(&snap)) {
			pfn += 1ul << MIN(buddy_order(&snap), MAX_ORDER - 1);
			continue;
		}
		/*
		 * A huge page handed out is the embedder's to move, as any
		 * allocated block (scan_movable_pages(), and
		 * isolate_or_dissolve_huge_page(), which leaves 1 GiB pages busy
		 * for a contiguous allocation); released, it is back in its pool
		 * or gone, and the range is looked at again from here.  One in
		 * its pool is left for memory offline to dissolve
		 * (hugetlb_dissolve_free()), as scan_movable_pages() skips it;
		 * a contiguous allocation swaps it for a fresh one elsewhere,
		 * as isolate_or_dissolve_huge_page() does, and looks again.
		 */
		head = compound_head(&snap) == &snap ? page : compound_head(&snap);
		if (free_of_huge_page(head)) {
			if (page_ref_count(head)) {
				/* A racy order that is no huge page's: changing under us, busy. */
				order = snapshot_compound_order(head);
				if (!m->mm_ops.migrate ||
				    (order != PMM_HUGETLB_ORDER_2M && order != PMM_HUGETLB_ORDER_1G) ||
				    (replace_huge && order >= MAX_ORDER) ||
				    m->mm_ops.migrate(m->mm_ops_ctx, m, page_to_pfn(m, head), order))
					return -PMM_EBUSY;
				/* Still handed out: not released, or taken again from its pool. */
				if (free_of_huge_page(head) && page_ref_count(head))
					return -PMM_EBUSY;
				continue;
			}
			if (replace_huge) {
				if (hugetlb_replace_free(m, head, page_to_nid(&snap)))
					return -PMM_EBUSY;
				continue; /* the frames are the buddy allocator's now: look again */
			}
			/* Past the page; a racy order that does not move forward moves one frame. */
			next = page_to_pfn(m, head) + (1ul << MIN(snapshot_compound_order(head), 63u));
			pfn = next > pfn ? next : pfn + 1;
			continue;
		}
		if (!page_ref_count(&snap) || PageTail(&snap)) {
			pfn++;
			continue;
		}
		if (!m->mm_ops.migrate || PageReserved(&snap))
			return -PMM_EBUSY;
		/* Moved or freed: the frames are looked at again from here. */
		if ((err = migrate_pinned(m, pfn, -1)))
			return err;
	}
	return 0;
}

/*
 * Take the free blocks covering [start, end) off the isolate lists; the
 * parts of a block outside the range go back to the allocator.  Each frame
 * of the range ends allocated, order 0, refcount 1.
 */
static void isolate_freepages_range_locked(struct pmm *m, struct zone *zone, unsigned long head,
					   unsigned long start, unsigned long end)
{
	unsigned long pfn = head;

	while (pfn < end) {
		struct page *page = pfn_to_page(m, pfn);
		unsigned order = buddy_order(page);

		del_page_from_free_list(page, zone, order);
		for (unsigned long i = 0; i < (1ul << order); i++) {
			struct page *p = page + i;
			unsigned long ppfn = pfn + i;

			if (ppfn < start || ppfn >= end) {
				/*
				 * Outside the request: give it back (an isolate list),
				 * as 6.1's free_contig_range() of the head and tail
				 * does, a frame at a time: one mm_page_free each, and
				 * no PGFREE (the pageblock is isolated).
				 */
				TRACE(m, mm_page_free, ppfn, 0);
				free_one_page_locked(zone, p, ppfn, 0, MIGRATE_ISOLATE, FPI_NONE);
				continue;
			}
			set_page_count(p, 1);
			p->private = 0;
		}
		pfn += 1ul << order;
	}
}

/*
 * isolate_single_pageblock()'s compound pages: an allocated compound block
 * larger than a pageblock (its head outside the range's pageblocks, or its
 * end beyond them) that crosses @boundary is moved by the migrate callback
 * as a whole, since its frames on the isolated side cannot be freed
 * alone; freed, it goes back one pageblock at a time (free_one_page_locked()),
 * its isolated part onto the isolate lists.  A hugetlb page is left to
 * migrate_range() (2 MiB ones never cross; 1 GiB ones stay busy), as is a
 * block of a non-movable pageblock, which the range then finds busy.
 * Racy snapshots, as migrate_range() takes them.  0, or -PMM_EBUSY.
 */
static int migrate_straddling_block(struct pmm *m, struct zone *zone, unsigned long boundary)
{
	for (unsigned order = pageblock_order + 1; order < MAX_ORDER; order++) {
		unsigned long head = ALIGN_DOWN(boundary, 1ul << order);
		struct page *page, snap;
		int mt;

		if (head == boundary || !zone_spans_pfn(zone, head) ||
		    !zone_spans_pfn(zone, head + (1ul << order) - 1))
			continue;
		page = pfn_to_page(m, head);
		snapshot_page(&snap, page);
		if (!PageHead(&snap) || !page_ref_count(&snap) || free_of_huge_page(page) ||
		    snapshot_compound_order(page) != order)
			continue;
		/* An isolated head pageblock passed has_unmovable_pages_locked() already. */
		mt = get_pfnblock_migratetype(m, head);
		if (!m->mm_ops.migrate || (!is_migrate_isolate(mt) && !is_migrate_movable(mt)))
			return -PMM_EBUSY;
		/* Freed meanwhile, or moved: the final check sees what is left. */
		return migrate_pinned(m, head, (int)order);
	}
	return 0;
}

/* @zone's span, [*@zs, *@ze): read under its lock, which memory hotplug holds to change it. */
static void zone_span_read(struct zone *zone, unsigned long *zs, unsigned long *ze)
{
	pmm_lock(&zone->lock);
	*zs = zone->zone_start_pfn;
	*ze = zone_end_pfn(zone);
	pmm_unlock(&zone->lock);
}

/*
 * The zone of [@start, @end) if every frame of it is online, of that zone
 * and within its span ([*@zs, *@ze)), else NULL.  Frames past the span
 * (the rest of the last section beyond the end of memory) carry the
 * zone's links but are not memory, and the isolation, clamped to the
 * span, would not look at them before the migrate callback is asked to
 * move them.  RCU read lock held (see alloc_contig_range()).
 */
static struct zone *contig_range_zone(struct pmm *m, unsigned long start, unsigned long end,
				      unsigned long *zs, unsigned long *ze)
{
	struct zone *zone;

	if (start >= end || !pfn_to_online_page(m, start) || !pfn_to_online_page(m, end - 1))
		return NULL;
	zone = page_zone_racy(m, pfn_to_page(m, start));
	zone_span_read(zone, zs, ze);
	if (start < *zs || end > *ze)
		return NULL;
	for (unsigned long pfn = start; pfn < end; pfn++)
		if (!pfn_to_online_page(m, pfn) || page_zone_racy(m, pfn_to_page(m, pfn)) != zone)
			return NULL;
	return zone;
}

int alloc_contig_range(struct pmm *m, unsigned long start, unsigned long end, int migratetype,
		       pmm_gfp_t gfp)
{
	unsigned long zs, ze;
	struct zone *zone;
	int err;

	/* A mask every other allocation refuses: refused here too (its zone bits are unused). */
	if (unlikely(gfp_refused(m, gfp)))
		return -PMM_EINVAL;
	/*
	 * No hotplug lock here (a migrate callback may ask for a range): from
	 * the first look at the memmap until the range is isolated (it cannot
	 * go offline then), an RCU read section keeps memory remove from
	 * releasing the memmap of a section seen online (pmm_remove_memory()
	 * waits for it).
	 */
	pmm_rcu_read_lock(&m->rcu);
	zone = contig_range_zone(m, start, end, &zs, &ze);
	if (!zone) {
		pmm_rcu_read_unlock(&m->rcu);
		return -PMM_EINVAL;
	}
	/*
	 * The pageblocks the range touches, whole; a free block that crosses
	 * into a neighbour is split at the pageblock boundary.
	 */
	err = start_isolate_page_range(m, start, end, migratetype, false);
	/*
	 * Isolated, the range can no longer go offline, so its zone is
	 * settled: the one looked at first, unless the range went offline
	 * and online into another zone before the isolation.
	 */
	if (!err && contig_range_zone(m, start, end, &zs, &ze) != zone) {
		undo_isolate_page_range(m, start, end, migratetype);
		err = -PMM_EBUSY;
	}
	pmm_rcu_read_unlock(&m->rcu);
	if (err)
		return err;
	pcp_drain_all(m);
	err = migrate_straddling_block(m, zone, ALIGN_DOWN(start, pageblock_nr_pages));
	if (!err)
		err = migrate_straddling_block(m, zone, ALIGN_UP(end, pageblock_nr_pages));
	if (!err)
		err = migrate_range(m, start, end, true);
	if (!err) {
		unsigned long head;

		pcp_drain_all(m);
		pmm_lock(&zone->lock);
		head = free_block_head_locked(m, zone, start);
		/*
		 * test_pages_isolated(): the blocks are taken as isolated ones,
		 * so every pageblock they cover must still be isolated.
		 */
		if (head == ~0ul || !range_all_free_locked(m, head, end) ||
		    !range_isolated_locked(m, ALIGN_DOWN(head, pageblock_nr_pages), end))
			err = -PMM_EBUSY;
		else
			isolate_freepages_range_locked(m, zone, head, start, end);
		pmm_unlock(&zone->lock);
	}
	/* Every pageblock of the range becomes @migratetype, as in 6.1, whatever it was. */
	undo_isolate_page_range(m, start, end, migratetype);
	if (err)
		return err;
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct page *p = pfn_to_page(m, pfn);

		set_page_owner(m, p, 0, gfp);
		alloc_page_debug(m, p, 0, gfp);
	}
	/* No pgalloc: 6.1 counts none for a range (split_map_pages() takes frames off lists). */
	return 0;
}

void free_contig_range(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	unsigned long end = __atomic_load_n(&m->max_pfn, __ATOMIC_RELAXED);

	for (; nr && pfn < end; nr--, pfn++)
		pmm_free_pages(m, (struct pmm_page *)pfn_to_page(m, pfn), 0);
	/*
	 * No frame lies past the end of memory: one report for that part,
	 * rather than one per frame (2^64 of them for a bad @nr) and a walk
	 * that wraps around to frame 0.  The address is computed as an integer:
	 * there is no struct page to point at.
	 */
	if (nr)
		bad_page_pointer(m, (const void *)((uintptr_t)m->vmemmap + pfn * sizeof(struct page)),
				 "freeing frames past the end of this machine's memory");
}

/* alloc_contig_pages(): find an aligned, fully usable range and allocate it. */
struct page *alloc_contig_pages(struct pmm *m, unsigned long nr, pmm_gfp_t gfp, int nid)
{
	unsigned long align = 1;
	int zi = gfp_to_zone(gfp);

	if (unlikely(gfp_refused(m, gfp)))
		return NULL;
	/*
	 * More frames than the machine has can never be found; refusing them
	 * here also keeps the alignment below from overflowing to 0 (which
	 * would loop for ever) and pfn + nr from wrapping.
	 */
	if (!nr || nr > __atomic_load_n(&m->max_pfn, __ATOMIC_RELAXED))
		return NULL;
	while (align < nr)
		align <<= 1;
	if (nid == PMM_NUMA_NO_NODE)
		nid = numa_mem_id(m);
	else if (node_memoryless(m, nid) && !(gfp & PMM___GFP_THISNODE))
		nid = node_mem_fallback(m, nid);
	if (!node_online(m, nid))
		return NULL;
	struct zone *zone;

	/* node_zonelist(): __GFP_THISNODE searches the node's own zones only. */
	for (struct zoneref *z = m->node_data[nid]
					 ->node_zonelists[gfp & PMM___GFP_THISNODE ? ZONELIST_NOFALLBACK
										 : ZONELIST_FALLBACK]
					 ._zonerefs;
	     (zone = zonelist_zone(z)); z++) {
		unsigned long zs, ze;

		if (zone->zone_idx > zi)
			continue;
		zone_span_read(zone, &zs, &ze);
		for (unsigned long pfn = ALIGN_UP(zs, align); pfn + nr <= ze; pfn += align) {
			bool usable = true;

			/* As alloc_contig_range(): no memmap released under the scan. */
			pmm_rcu_read_lock(&m->rcu);
			for (unsigned long i = pfn; i < pfn + nr; i++) {
				/* pfn_range_valid_contig(): online frames only. */
				struct page *p = pfn_to_online_page(m, i), snap;

				if (!p) {
					usable = false;
					break;
				}
				/* Racy: others own the frame; isolation checks again under the lock. */
				snapshot_page(&snap, p);
				if (page_zone_racy(m, p) != zone || PageReserved(&snap)) {
					usable = false;
					break;
				}
			}
			pmm_rcu_read_unlock(&m->rcu);
			if (usable && !alloc_contig_range(m, pfn, pfn + nr, MIGRATE_MOVABLE, gfp))
				return pfn_to_page(m, pfn);
		}
	}
	return NULL;
}
