/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator's internal interface (mm/page_alloc.c, mm/internal.h).
 *
 * Functions ending in _locked need zone->lock held and assert it.
 */
#ifndef PMM_MM_PAGE_ALLOC_H
#define PMM_MM_PAGE_ALLOC_H

#include "mm/internal.h"

/* alloc_flags (6.1 mm/internal.h values). */
#define ALLOC_WMARK_MIN WMARK_MIN
#define ALLOC_WMARK_LOW WMARK_LOW
#define ALLOC_WMARK_HIGH WMARK_HIGH
#define ALLOC_NO_WATERMARKS 0x04
#define ALLOC_WMARK_MASK (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM 0x08
#define ALLOC_NON_BLOCK 0x10
#define ALLOC_MIN_RESERVE 0x20
#define ALLOC_CPUSET 0x40
#define ALLOC_CMA 0x80
#define ALLOC_NOFRAGMENT 0x100
#define ALLOC_HIGHATOMIC 0x200
#define ALLOC_KSWAPD 0x800
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

/* FPI flags for the free path. */
#define FPI_NONE 0
#define FPI_SKIP_REPORT_NOTIFY (1 << 0)
#define FPI_TO_TAIL (1 << 1)
/*
 * pmm's own: leave zone->fast_ok to the caller, which frees a batch under
 * one hold of zone->lock and recomputes it once before unlocking
 * (zone_fast_update()).  Frees only raise it, so a fast path that reads
 * the older value meanwhile at worst takes the full path, which rechecks.
 */
#define FPI_FAST_LATER (1 << 2)

struct alloc_context {
	struct zonelist *zonelist;
	int preferred_nid;
	int highest_zoneidx;
	int migratetype;
	bool spread_dirty_pages;
};

void free_pages_memory(struct pmm *m, unsigned long start, unsigned long end);
void free_one_page_locked(struct zone *zone, struct page *page, unsigned long pfn,
			  unsigned order, int migratetype, int fpi);
/*
 * free_pcp_list_locked() - the per-list loop of free_pcppages_bulk(): free
 * blocks of @order from the tail of per-CPU list @list (not empty) into
 * the buddy lists until @count pages or the list are done, each with the
 * type it was listed with (the pageblock's when @isolated).  Returns the
 * pages freed; zone->fast_ok is left to the caller (FPI_FAST_LATER).
 * Context: zone->lock held, and the list's per-CPU lock.
 */
int free_pcp_list_locked(struct zone *zone, struct list_head *list, unsigned order, int count,
			 bool isolated);
struct page *rmqueue_smallest_locked(struct zone *zone, unsigned order, int migratetype);
struct page *rmqueue_locked(struct zone *zone, unsigned order, int migratetype,
			    unsigned alloc_flags);
/*
 * rmqueue_run_locked() - rmqueue_locked() for the @want takes of a per-CPU
 * refill: the first block, and in *@nr (1..@want) how many blocks of @order
 * follow one another from it, which @nr one-by-one takes would have
 * returned in that order, with the free lists left as they would have left
 * them.  NULL when nothing is free.  Context: zone->lock held.
 */
struct page *rmqueue_run_locked(struct zone *zone, unsigned order, int migratetype,
				unsigned alloc_flags, unsigned long want, unsigned long *nr);
bool zone_watermark_ok(struct zone *z, unsigned order, unsigned long mark, int highest_zoneidx,
		       unsigned alloc_flags);
bool zone_watermark_ok_free(struct zone *z, unsigned order, unsigned long mark,
			    int highest_zoneidx, unsigned alloc_flags, long free_pages);
int move_freepages_block_locked(struct zone *zone, struct page *page, int migratetype,
				int *num_movable);
int gfp_to_zone(pmm_gfp_t gfp);
/* Why @gfp cannot be honoured (unknown bits, GFP_ZONE_BAD, ...), or NULL. */
const char *gfp_invalid(pmm_gfp_t gfp);
/* gfp_invalid(), and the allocator's warning for it (unless __GFP_NOWARN): true when refused. */
bool gfp_refused(struct pmm *m, pmm_gfp_t gfp);
int gfp_to_migratetype(const struct pmm *m, pmm_gfp_t gfp);
/* Report a bad page (kernel bad_page()) and take it out of circulation. */
void bad_page(struct pmm *m, struct page *page, const char *reason);
/*
 * Report a bad request about @page (double free, wrong order, tail page, get
 * on a free page) and refuse it: the page is left as it is, since it is not
 * in the allocator's hands (it may be on a free list or still the caller's).
 */
void bad_page_refuse(struct pmm *m, struct page *page, const char *reason);
/* The kernel's page_bad_reason() for @flags checks (AT_FREE or AT_PREP). */
const char *page_bad_reason(const struct page *page, unsigned long flags);

#if defined(PMM_FREESTANDING) && !defined(NDEBUG)
/* No assert() without a C library: a failed precondition traps, as BUG() does. */
#define lockdep_assert_held(l)                         \
	do {                                           \
		if (!pmm_lock_held(l))                 \
			__builtin_trap();              \
	} while (0)
#else
#define lockdep_assert_held(l) assert(pmm_lock_held(l))
#endif

/*
 * zone->free_pcp_lists: bit FREE_LIST_BIT(order, mt) is set while the free
 * list of @order and per-CPU migratetype @mt holds a block.  The four list
 * helpers below, the only writers of the free lists, keep it (zone->lock
 * held): a list gains a bit with its first block and loses it with its
 * last, which the block being removed shows itself (its next and prev are
 * both the list head), so no helper has to look at another list.
 */
#define FREE_LIST_BITS_PER_ORDER 4
#define FREE_LIST_BIT(order, mt) (1ul << ((order) * FREE_LIST_BITS_PER_ORDER + (unsigned)(mt)))
static_assert(MIGRATE_PCPTYPES <= FREE_LIST_BITS_PER_ORDER &&
		      MAX_ORDER * FREE_LIST_BITS_PER_ORDER <= 64,
	      "a bit for each per-CPU type's list of each order in one word");

/* What zone->free_pcp_lists should hold for the lists of @order (pmm_validate()). */
static inline unsigned long zone_free_lists_now(const struct zone *zone, unsigned order)
{
	unsigned long bits = 0;

	for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
		if (!list_empty(&zone->free_area[order].free_list[mt]))
			bits |= FREE_LIST_BIT(order, mt);
	return bits;
}
/* The list of @order and type @mt gained a block. */
static inline void zone_free_list_gained(struct zone *zone, unsigned order, int mt)
{
	/* Stored even when set: the line is the zone lock's, written already. */
	if (mt < MIGRATE_PCPTYPES)
		__atomic_store_n(&zone->free_pcp_lists, zone->free_pcp_lists | FREE_LIST_BIT(order, mt),
				 __ATOMIC_RELAXED);
}
/* The list of @order whose head is @head lost its last block. */
static inline void zone_free_list_emptied(struct zone *zone, unsigned order,
					  const struct list_head *head)
{
	unsigned long mt = (unsigned long)(head - zone->free_area[order].free_list);

	if (mt < MIGRATE_PCPTYPES)
		__atomic_store_n(&zone->free_pcp_lists,
				 zone->free_pcp_lists & ~FREE_LIST_BIT(order, mt), __ATOMIC_RELAXED);
}
static inline void add_to_free_list(struct page *page, struct zone *zone, unsigned order, int mt)
{
	list_add(&page->lru, &zone->free_area[order].free_list[mt]);
	zone->free_area[order].nr_free++;
	zone_free_list_gained(zone, order, mt);
}
static inline void add_to_free_list_tail(struct page *page, struct zone *zone, unsigned order,
					 int mt)
{
	list_add_tail(&page->lru, &zone->free_area[order].free_list[mt]);
	zone->free_area[order].nr_free++;
	zone_free_list_gained(zone, order, mt);
}
static inline void move_to_free_list(struct page *page, struct zone *zone, unsigned order, int mt)
{
	/* The only entry of its list (next and prev both the head): that list empties. */
	const struct list_head *from = page->lru.next;
	bool last = from == page->lru.prev;

	list_move_tail(&page->lru, &zone->free_area[order].free_list[mt]);
	if (last)
		zone_free_list_emptied(zone, order, from);
	zone_free_list_gained(zone, order, mt);
}
static inline void del_page_from_free_list(struct page *page, struct zone *zone, unsigned order)
{
	const struct list_head *from = page->lru.next;
	bool last = from == page->lru.prev;

	/* Tested first, as the kernel does: most blocks were never reported. */
	if (unlikely(PageReported(page)))
		ClearPageReported(page);
	list_del(&page->lru);
	__ClearPageBuddy(page);
	set_page_private(page, 0);
	zone->free_area[order].nr_free--;
	if (last)
		zone_free_list_emptied(zone, order, from);
}
static inline void set_buddy_order(struct page *page, unsigned order)
{
	set_page_private(page, order);
	__SetPageBuddy(page);
}
static inline unsigned buddy_order(const struct page *page)
{
	return (unsigned)page_private(page);
}
/* What zone->fast_ok should be now (zone->lock held). */
static inline int zone_fast_ok_now(const struct zone *z)
{
	long free = zone_page_state(z, NR_FREE_PAGES) - (long)z->nr_reserved_highatomic -
		    zone_page_state(z, NR_FREE_CMA_PAGES);
	long mark = (long)high_wmark_pages(z);
	long reserve = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (z->lowmem_reserve[i] > reserve)
			reserve = z->lowmem_reserve[i];
	if (free <= mark + reserve + (1l << PAGE_ALLOC_COSTLY_ORDER))
		return 0;
	return free > mark + reserve + (1l << pageblock_order) ? 2 : 1;
}

/* Recompute zone->fast_ok after free pages, watermarks, boost or reserves changed. */
static inline void zone_fast_update(struct zone *z)
{
	int ok;

	lockdep_assert_held(&z->lock);
	ok = zone_fast_ok_now(z);
	/*
	 * Stored only when it changes: every CPU's fast path reads this line,
	 * and a store on each buddy operation would take it from them all.
	 */
	if (__atomic_load_n(&z->fast_ok, __ATOMIC_RELAXED) != ok)
		__atomic_store_n(&z->fast_ok, ok, __ATOMIC_RELAXED);
}

/*
 * Change the free page counts by @nr pages of type @mt (zone->lock held).
 * Every change of NR_FREE_PAGES and NR_FREE_CMA_PAGES is made under
 * zone->lock, so this adds without a locked instruction (readers still see
 * the old or the new count: __mod_zone_page_state()); a locked add here
 * waited for every store of the buddy operation before it.
 */
static inline void mod_zone_freepage_count(struct zone *z, long nr, int mt)
{
	lockdep_assert_held(&z->lock);
	__mod_zone_page_state(z, NR_FREE_PAGES, nr);
	if (is_migrate_cma(mt))
		__mod_zone_page_state(z, NR_FREE_CMA_PAGES, nr);
}

/* mod_zone_freepage_count(), and zone->fast_ok recomputed. */
static inline void mod_zone_freepage_state(struct zone *z, long nr, int mt)
{
	mod_zone_freepage_count(z, nr, mt);
	zone_fast_update(z);
}

bool free_pages_prepare(struct pmm *m, struct page *page, unsigned order);
void free_the_page(struct pmm *m, struct page *page, unsigned order);
/*
 * page_pin_allocated() - get_page_unless_zero() on the head of frame
 * @pfn's block, for a reader that finds frames by number (idle tracking)
 * instead of being handed them by their owner: while it holds the
 * reference, the block cannot be freed or reallocated.  NULL for a free or
 * reserved frame.  @pfn must be valid.  page_unpin() drops the reference
 * and, if it was the last one (the owner freed the block meanwhile), frees
 * what is left as the kernel's put_page() would.  Lock-free.
 */
struct page *page_pin_allocated(struct pmm *m, unsigned long pfn);
void page_unpin(struct pmm *m, struct page *page);
void free_one_page_locked_entry(struct zone *zone, struct page *page, unsigned long pfn,
				unsigned order, int mt);
/*
 * check_new_pages(): whether a block just taken off the buddy lists is
 * unfit to hand out (the kernel's check_new_pages()).  A bad frame is
 * reported at once with @bad NULL; a caller holding pmm locks, under
 * which the bad-page handler must not run, passes a list instead: the
 * frame is put on it (through its lru, unused while the block is off the
 * lists) and report_bad_new_pages() reports it once the locks are dropped.
 */
bool check_new_pages(struct pmm *m, struct page *page, unsigned order, struct list_head *bad);
void report_bad_new_pages(struct pmm *m, struct list_head *bad);
/* The kernel's page_expected_state(): no mapping, reference, memcg or @check_flags flag. */
static inline bool page_expected_state(const struct page *page, unsigned long check_flags)
{
	if (unlikely(page->_mapcount != -1))
		return false;
	if (unlikely((unsigned long)page->mapping | (unsigned long)page_ref_count(page) |
		     page->memcg_data | (page->flags & check_flags)))
		return false;
	return true;
}
/* check_new_pages() with its usual answer for an order-0 page inline. */
static inline bool check_new_pages_fast(struct pmm *m, struct page *page, unsigned order,
					struct list_head *bad)
{
	if (likely(order == 0) && likely(page_expected_state(page, PAGE_FLAGS_CHECK_AT_PREP)))
		return false;
	return check_new_pages(m, page, order, bad);
}
struct page *alloc_pages_nid(struct pmm *m, pmm_gfp_t gfp, unsigned order, int nid);
void free_pages_entry(struct pmm *m, struct page *page, unsigned order);
int split_page_checked(struct pmm *m, struct page *page, unsigned order);
/*
 * The first page of the allocated non-compound block @page is inside (not
 * its first page), or NULL: what a refcount-0 page that is not free is.
 * A racy look, for the wording of misuse reports only.
 */
struct page *plain_block_of(struct pmm *m, struct page *page);
/*
 * __alloc_pages_bulk() without its fallback: fill the NULL slots of
 * @array[0..@nr) from one per-CPU list.  Returns the number of non-NULL
 * slots; *@single is set when the kernel would now allocate one page with
 * the single page allocator into the first NULL slot (which the caller
 * does).
 */
unsigned long alloc_pages_bulk(struct pmm *m, pmm_gfp_t gfp, int nid, unsigned long nr,
			       struct page **array, bool *single);
/*
 * free_pages_entry() of an order-0 page for a list free: true when the
 * page was this call's to free and is ready for a per-CPU list
 * (free_unref_page_prepare() done); false when it needed nothing more or
 * went elsewhere: misuse reported, another reference left, a hugetlb pool,
 * an isolated pageblock or a zone without per-CPU lists.
 */
bool free_pages_entry_list(struct pmm *m, struct page *page);
bool unreserve_highatomic_pageblock(struct pmm *m, const struct alloc_context *ac, bool force);
void warn_alloc(struct pmm *m, pmm_gfp_t gfp, unsigned order, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * The kernel's __GFP_NOFAIL warnings, each once per machine: an order above
 * 1, a request that may not reclaim, one from inside a callback
 * (PF_MEMALLOC), one above the costly order that has to go round.
 */
enum nofail_warn { NOFAIL_WARN_ORDER, NOFAIL_WARN_NORECLAIM, NOFAIL_WARN_MEMALLOC, NOFAIL_WARN_COSTLY };
void warn_once_nofail(struct pmm *m, unsigned order, enum nofail_warn why);
void show_free_areas(struct pmm *m);
/* SLIT distances: a node to itself, and to another when none is configured (node_distance=). */
#define LOCAL_DISTANCE 10
#define REMOTE_DISTANCE 20
/* find_next_best_node()'s preference for nodes without CPUs. */
#define PENALTY_FOR_NODE_WITH_CPUS 1
int node_distance(const struct pmm *m, int a, int b);
int cpu_to_node(const struct pmm *m, unsigned cpu);
int cpu_to_mem(const struct pmm *m, unsigned cpu);
/* @nid if it has memory, else the first node with memory in its fallback order. */
int node_mem_fallback(const struct pmm *m, int nid);
/* A node a CPU is on (node_cpus=) that has no memory: online for the kernel, no pgdat here. */
bool node_memoryless(const struct pmm *m, int nid);
/* The nodes some CPU is on (cpu_to_node()), a bit per node; O(CPUs). */
unsigned long nodes_with_cpus(const struct pmm *m);
int numa_node_id(const struct pmm *m); /* this CPU's node, with or without memory */
int numa_mem_id(const struct pmm *m);  /* the node this CPU allocates from first */
void mod_numa_events(struct zone *zone, struct zone *preferred);

/* page_isolation.c */
int start_isolate_page_range(struct pmm *m, unsigned long start_pfn, unsigned long end_pfn,
			     int migratetype, bool report);
void undo_isolate_page_range(struct pmm *m, unsigned long start_pfn, unsigned long end_pfn,
			     int migratetype);
int alloc_contig_range(struct pmm *m, unsigned long start, unsigned long end, int migratetype,
		       pmm_gfp_t gfp);
void free_contig_range(struct pmm *m, unsigned long pfn, unsigned long nr);
struct page *alloc_contig_pages(struct pmm *m, unsigned long nr, pmm_gfp_t gfp, int nid);
/* test_pages_isolated(): free blocks from block head @head cover [head, end) (zone->lock). */
bool range_all_free_locked(struct pmm *m, unsigned long head, unsigned long end);
/*
 * Hand each allocated block of [start, end) to the embedder's migrate
 * callback.  A huge page in its pool is skipped (memory offline dissolves
 * it) or, with @replace_huge (alloc_contig_range()), swapped for a fresh
 * one from outside the range (hugetlb_replace_free()); one handed out
 * makes the range busy.  0 or -PMM_EBUSY.
 */
int migrate_range(struct pmm *m, unsigned long start, unsigned long end, bool replace_huge);

/* should_reclaim_retry(): reclaim rounds in a row without progress before giving up. */
#define MAX_RECLAIM_RETRIES 16

/* vmscan.c: the embedder's reclaim and compaction, if any. */
void wakeup_kswapd(struct pmm *m, struct zone *zone, unsigned order, int highest_zoneidx);
void wake_all_kswapds(struct pmm *m, unsigned order, const struct alloc_context *ac);
/*
 * __perform_reclaim(): counts allocstall_<zone> for the request's highest
 * zone, then calls the embedder's reclaim (as PF_MEMALLOC, see
 * in_memalloc()).  Return: the pages it says it freed; 0 without one.
 */
unsigned long direct_reclaim(struct pmm *m, pmm_gfp_t gfp, unsigned order,
			     const struct alloc_context *ac);
/*
 * try_to_compact_pages(): the embedder's compaction for a request above
 * order 0 (as PF_MEMALLOC).  Return: true when it ran; false when it was
 * skipped (order 0, no callback, or the callback's false: COMPACT_SKIPPED).
 */
bool direct_compact(struct pmm *m, pmm_gfp_t gfp, unsigned order);
/* compact_stall / compact_success / compact_fail, one event (machine-wide sums). */
void count_compact_event(struct pmm *m, const struct alloc_context *ac, enum zone_event_item ev);
/* The embedder's count of pages reclaim could still free in @zone; 0 without one. */
unsigned long zone_reclaimable_pages(struct pmm *m, struct zone *zone);
/* Whether this thread is inside @m's reclaim or compaction callback (PF_MEMALLOC). */
bool in_memalloc(const struct pmm *m);

/*
 * The free-block half of __zone_watermark_ok() for order > 0: whether the
 * buddy lists hold a free block of at least @order in a per-CPU
 * migratetype.  Linux refuses a high-order request without one even when
 * the per-CPU list has a block; the fast path asks this (zone->fast_ok
 * covers the free-page count).  One lockless load of the zone's per-order
 * mask, which the list helpers above keep under zone->lock; the kernel
 * peeks at the lists themselves, as racily.  Context: any thread, no lock.
 */
static inline bool zone_has_free_block(const struct zone *z, unsigned order)
{
	return (__atomic_load_n(&z->free_pcp_lists, __ATOMIC_RELAXED) >>
		(order * FREE_LIST_BITS_PER_ORDER)) != 0;
}

/* fail_page_alloc.c; the inline part is one test when no injection was ever asked for. */
bool should_fail_alloc_page_slow(struct pmm *m, pmm_gfp_t gfp, unsigned order);
static inline bool should_fail_alloc_page(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	if (likely(!__atomic_load_n(&m->fail_nth_used, __ATOMIC_RELAXED) &&
		   !__atomic_load_n(&m->fail, __ATOMIC_RELAXED)))
		return false;
	return should_fail_alloc_page_slow(m, gfp, order);
}

/*
 * page_poison.c: poisoning, init_on_alloc/free, __GFP_ZERO, debug_pagealloc
 * (and ASan's shadow).  The inline parts skip the call when none applies:
 * every such feature sets m->check_pages.
 */
void free_page_debug_slow(struct pmm *m, struct page *page, unsigned order);
void alloc_page_debug_slow(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp);
#ifdef PMM_ASAN
#define PAGE_DEBUG_ALWAYS 1
#else
#define PAGE_DEBUG_ALWAYS 0
#endif
static inline void free_page_debug(struct pmm *m, struct page *page, unsigned order)
{
	if (PAGE_DEBUG_ALWAYS || unlikely(m->check_pages))
		free_page_debug_slow(m, page, order);
}
static inline void alloc_page_debug(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp)
{
	if (PAGE_DEBUG_ALWAYS || unlikely(m->check_pages || (gfp & PMM___GFP_ZERO)))
		alloc_page_debug_slow(m, page, order, gfp);
}
void boot_free_range_debug(struct pmm *m, unsigned long pfn, unsigned long nr);
void release_memory_debug(struct pmm *m);
void release_range_debug(struct pmm *m, unsigned long pfn, unsigned long nr);

/* shuffle.c */
bool shuffle_pick_tail(struct zone *zone);
void shuffle_free_memory(struct pmm *m);
/* shuffle_zone(): hotplug shuffles a zone after onlining into it (page_alloc.shuffle=1). */
void shuffle_zone(struct pmm *m, struct zone *z);

/* page_reporting.c */
void page_reporting_notify_free_slow(struct pmm *m);
void page_reporting_maybe_run(struct pmm *m);
void page_reporting_wait_pass(struct pmm *m);
static inline void page_reporting_notify_free(struct zone *zone, unsigned order)
{
	if (unlikely(order >= __atomic_load_n(&zone->machine->reporting_order, __ATOMIC_RELAXED)))
		page_reporting_notify_free_slow(zone->machine);
}


#endif
