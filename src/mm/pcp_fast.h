/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU fast path: an allocation of a per-CPU order (0-3 and the
 * pageblock order) that the kernel would serve from this CPU's list of the
 * preferred zone, and a free of such a block that the kernel would put on
 * it, done inline with nothing else on the way.
 *
 * It is the kernel's result exactly, not an approximation: it runs only
 * when zone->fast_ok says the watermark check would pass, when no feature
 * (page_owner, poisoning, debug_pagealloc, fault injection, tracing) has
 * work to do, and when the list has a page (alloc) or the block is a plain
 * allocated block (free).  Anything else returns "no" and the full path
 * runs, which rechecks everything.
 *
 * Everything it reads about the machine is in m->fast (two cache lines and
 * three tables built at boot); the per-CPU lock is taken with a restartable
 * sequence where the host has rseq (pcp.h), so an alloc+free pair executes
 * one locked instruction: the refcount drop that decides, as the kernel's
 * put_page_testzero() does, which of two racing frees owns the page; none
 * while the process has one thread (pmm_refcount_drop_one()).
 */
#ifndef PMM_MM_PCP_FAST_H
#define PMM_MM_PCP_FAST_H

#include <string.h>

#include "ext/page_owner.h"
#include "mm/debug.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

/* gfp bits that the fast path handles itself; any other bit takes the full path. */
#define FAST_GFP_OK                                                                  \
	(PMM___GFP_DMA | PMM___GFP_HIGHMEM | PMM___GFP_DMA32 | PMM___GFP_MOVABLE |    \
	 PMM___GFP_RECLAIMABLE | PMM___GFP_HIGH | PMM___GFP_IO | PMM___GFP_FS |       \
	 PMM___GFP_ZERO | PMM___GFP_ATOMIC | PMM___GFP_DIRECT_RECLAIM |               \
	 PMM___GFP_KSWAPD_RECLAIM | PMM___GFP_WRITE | PMM___GFP_NOWARN |              \
	 PMM___GFP_RETRY_MAYFAIL | PMM___GFP_NORETRY | PMM___GFP_HARDWALL |           \
	 PMM___GFP_ACCOUNT)

static_assert((PMM_GFP_ZONEMASK | PMM_GFP_MOVABLE_MASK) == 0x1f,
	      "zone modifiers and mobility are the low five gfp bits (struct pmm_fast.gfp)");

/*
 * Take the first block of @list (pcp->lock held, the zone is the preferred
 * one): the kernel's rmqueue_pcplist() hit, with its counts.
 */
static inline struct page *pcp_take_hit(struct per_cpu_pages *pcp, struct list_head *list,
					unsigned order)
{
	struct page *page = list_entry(pcp_list_pop(list), struct page, lru);

	/*
	 * The kernel halves free_factor on every allocation; a store only
	 * where it changes something keeps one more entry out of the store
	 * queue (see free_fast_claim()).
	 */
	if (unlikely(pcp->free_factor))
		pcp->free_factor >>= 1;
	pcp->count -= 1 << order;
	pcp_event_add(pcp, PCP_HIT + pcp_hit_slot(order), 1); /* PGALLOC and NUMA_HIT */
	return page;
}

/*
 * The gfp class (pmm_fast.gfp) of a request whose gfp bits are all in
 * @ok (FAST_GFP_OK for the general tier; the leaf leaves __GFP_ZERO to
 * it), or -1.
 */
static inline __attribute__((always_inline)) int fast_gfp_class(const struct pmm_fast *f,
								 pmm_gfp_t gfp, unsigned order,
								 pmm_gfp_t ok)
{
	if (unlikely(!pcp_allowed_order(order) || (gfp & ~ok)))
		return -1;
	return __atomic_load_n(&f->gfp[gfp & 0x1f], __ATOMIC_RELAXED); /* hotplug may rewrite it */
}

/*
 * @cpu's lists of the preferred zone for class @e, if its watermark check
 * would pass: zone->fast_ok is 1 for orders up to the costly order and 2
 * for the pageblock order too (page_alloc.h).
 */
static inline __attribute__((always_inline)) struct per_cpu_pages *
fast_pcp(const struct pmm_fast *f, unsigned cpu, int e, unsigned order)
{
	/* Swapped whole by memory hotplug (pcp_fast_zonelists_update(), a release). */
	struct per_cpu_pages *pcp =
		__atomic_load_n(&f->cpu_pcp[cpu * MAX_NR_ZONES + ((unsigned)e >> 2)], __ATOMIC_ACQUIRE);

	if (unlikely(!pcp || __atomic_load_n(&pcp->zone->fast_ok, __ATOMIC_RELAXED) <=
				     (order > PAGE_ALLOC_COSTLY_ORDER)))
		return NULL;
	/* The rest of the watermark check for order > 0 (page_alloc.h). */
	if (unlikely(order) && !zone_has_free_block(pcp->zone, order))
		return NULL;
	return pcp;
}

/*
 * With @pcp locked: take a block of @order and class @e, unlock, and
 * prepare it (refcount 1, order kept in private, which a listed block has
 * 0: zone_validate() checks it); NULL if the list is empty.
 */
static inline __attribute__((always_inline)) struct page *
fast_take_unlock(struct per_cpu_pages *pcp, int e, unsigned order)
{
	struct list_head *list = &pcp->lists[order_to_pindex(e & 3, order)];
	struct page *page;

	if (unlikely(list_empty(list))) {
		pcp_unlock(pcp);
		return NULL;
	}
	page = pcp_take_hit(pcp, list, order);
	pcp_unlock(pcp);
	if (order)
		page->private = order;
	set_page_count(page, 1);
	return page;
}

/*
 * The fast path for any thread: the CPU from rseq, sched_getcpu(), a pin or
 * the platform, and the lock by restartable sequence or compare-and-swap.
 * Zeroes the block when asked.  The caller has seen pmm_fast.alloc set.
 */
static inline __attribute__((always_inline)) struct page *alloc_pages_fast(struct pmm *m,
									   pmm_gfp_t gfp,
									   unsigned order)
{
	const struct pmm_fast *f = &m->fast;
	struct per_cpu_pages *pcp;
	struct page *page;
	unsigned cpu;
	int e, host;

	e = fast_gfp_class(f, gfp, order, FAST_GFP_OK);
	if (unlikely(e < 0))
		return NULL;
	cpu = pcp_this_cpu(m, &host);
	pcp = fast_pcp(f, cpu, e, order);
	if (unlikely(!pcp || !pcp_trylock(m, pcp, cpu, host)))
		return NULL;
	page = fast_take_unlock(pcp, e, order);
	if (page && unlikely((gfp | __atomic_load_n(&f->extra, __ATOMIC_RELAXED)) & PMM___GFP_ZERO) &&
	    !m->skip_clear)
		memset(page_address(m, page), 0, PAGE_SIZE << order);
	return page;
}

/*
 * The block's state before the refcount drop, read racily on purpose
 * (data_race): only a second free of the same block can be writing it, and
 * the refcount compare-exchange decides that race.  Zero only for a plain
 * block of @order as an allocation leaves it: private holding the order,
 * not a compound head or tail.
 */
static inline data_race_fn unsigned long free_fast_not_plain(const struct page *page,
							      unsigned order)
{
	return (page->private ^ order) | (page->flags & (1ul << PG_head)) |
	       (page->compound_head & 1);
}

/*
 * Tail pages of a plain order 1-3 block (and of a pageblock-order one when
 * page checks are on), checked as free_pages_prepare() checks them but
 * before the refcount drop: any doubt sends the block to the full path,
 * which checks again and reports.  Tails are the owner's alone, so a racy
 * read can only disagree with the full path's under a racing misuse.
 */
static inline data_race_fn bool free_fast_tails_ok(const struct page *page, unsigned order)
{
	for (unsigned long i = 1; i < (1ul << order); i++)
		if (unlikely(page[i]._mapcount != -1 ||
			     ((unsigned long)page[i].mapping | (unsigned long)page[i]._refcount |
			      page[i].memcg_data | (page[i].flags & PAGE_FLAGS_CHECK_AT_FREE))))
			return false;
	return true;
}

/*
 * Whether a free of @order checks its tail pages: up to the costly order
 * always; above it (the pageblock order) only with page checks on, as in
 * Linux 6.3+ (free_pages_prepare()): FAST_EXTRA_CHECKS in f->extra.
 */
static inline bool free_fast_checks_tails(const struct pmm_fast *f, unsigned order)
{
	return order && (order <= PAGE_ALLOC_COSTLY_ORDER ||
			 (__atomic_load_n(&f->extra, __ATOMIC_RELAXED) & FAST_EXTRA_CHECKS));
}

/* The last cpupid field as free_pages_prepare() resets it (page_cpupid_reset_last()). */
#define FREE_CPUPID_RESET (LAST_CPUPID_MASK << LAST_CPUPID_PGSHIFT)
static_assert((PAGE_FLAGS_CHECK_AT_FREE & ~PAGE_FLAGS_CHECK_AT_PREP) == 0,
	      "a flag the free check refuses is one the preparation clears");
static_assert((PAGE_FLAGS_CHECK_AT_PREP & FREE_CPUPID_RESET) == 0, "flags and cpupid apart");

/* What free_fast_claim() did. */
enum free_claim {
	FREE_CLAIM_NO,  /* not a block the fast paths free: nothing changed */
	FREE_CLAIM_BAD, /* refcount dropped; the kernel's free checks failed: report it */
	FREE_CLAIM_OK,  /* refcount dropped, page prepared: put it on a list */
};

/*
 * The part both fast frees share: a plain block of a per-CPU @order in an
 * online section and a per-CPU-type pageblock has its tails checked, its
 * refcount dropped 1 -> 0 (deciding any race with a second free) and, if
 * the kernel's free checks pass, is prepared for a per-CPU list.  *@pfn
 * and *@mt: its first frame and migratetype.
 */
static inline __attribute__((always_inline)) enum free_claim
free_fast_claim(const struct pmm_fast *f, struct page *page, unsigned order, unsigned long *pfn,
		int *mt)
{
	unsigned long off = (uintptr_t)page - f->vmemmap, word, flags;
	const unsigned long *pb;
	unsigned bitidx;
	bool tails;

	if (unlikely(off & (sizeof(struct page) - 1)))
		return FREE_CLAIM_NO;
	*pfn = off / sizeof(struct page);
	/* Also catches pointers below the memmap: off wrapped to a huge value. */
	if (unlikely(pfn_to_section_nr(*pfn) >= f->nr_sections || (*pfn & ((1ul << order) - 1))))
		return FREE_CLAIM_NO;
	/* Memory hotplug clears an entry before its section goes offline. */
	pb = __atomic_load_n(&f->section_pb[pfn_to_section_nr(*pfn)], __ATOMIC_ACQUIRE);
	if (unlikely(!pb || free_fast_not_plain(page, order)))
		return FREE_CLAIM_NO;
	/* The block's type (read before the refcount drop, from the same section). */
	bitidx = (unsigned)(((*pfn & ~PAGE_SECTION_MASK) >> pageblock_order) * NR_PAGEBLOCK_BITS);
	word = __atomic_load_n(&pb[bitidx / 64], __ATOMIC_RELAXED);
	*mt = (int)((word >> (bitidx % 64)) & MIGRATETYPE_MASK);
	if (unlikely(*mt >= MIGRATE_PCPTYPES))
		return FREE_CLAIM_NO;
	tails = free_fast_checks_tails(f, order); /* once: checked and cleared alike */
	if (unlikely(tails) && !free_fast_tails_ok(page, order))
		return FREE_CLAIM_NO;
	if (unlikely(!pmm_refcount_drop_one(&page->_refcount)))
		return FREE_CLAIM_NO;
	/* From here on the block is ours to free: the kernel's checks, then the list. */
	if (unlikely(page->_mapcount != -1 || page->mapping || page->memcg_data))
		return FREE_CLAIM_BAD;
	/*
	 * What free_pages_prepare() leaves, stored only where it changes
	 * something (private of an order-0 block is 0 already, checked
	 * above): a freed block usually has these values, and each store is
	 * one more entry in a store queue that a user's cache miss may be
	 * holding up, and one more line to write back.  The flags: no flag
	 * of PAGE_FLAGS_CHECK_AT_PREP (a superset of those the check refuses)
	 * and the cpupid reset, tested as one masked compare.
	 */
	flags = page->flags;
	if (unlikely((flags & (PAGE_FLAGS_CHECK_AT_PREP | FREE_CPUPID_RESET)) != FREE_CPUPID_RESET)) {
		if (flags & PAGE_FLAGS_CHECK_AT_FREE)
			return FREE_CLAIM_BAD;
		page->flags = (flags & ~PAGE_FLAGS_CHECK_AT_PREP) | FREE_CPUPID_RESET;
	}
	if (unlikely(tails))
		for (unsigned long i = 1; i < (1ul << order); i++)
			if (unlikely(page[i].flags & PAGE_FLAGS_CHECK_AT_PREP))
				page[i].flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
	if (order)
		page->private = 0;
	if (unlikely(page->index != (unsigned long)*mt))
		page->index = (unsigned long)*mt;
	return FREE_CLAIM_OK;
}

/*
 * Put claimed @page (a block of @order at frame @pfn, type @mt) on this
 * CPU's list, or, when another thread holds that list, straight into the
 * zone (the kernel's failed pcp trylock).
 */
static inline __attribute__((always_inline)) void
free_claimed_page(struct pmm *m, struct page *page, unsigned order,
				     unsigned long pfn, int mt)
{
	int host;
	unsigned cpu = pcp_this_cpu(m, &host);
	struct per_cpu_pages *pcp = m->fast.zone_pcp[page_zone_id(page)] + cpu;

	if (unlikely(!pcp_trylock(m, pcp, cpu, host))) {
		free_one_page_locked_entry(pcp->zone, page, pfn, order, mt);
		return;
	}
	if (unlikely(pcp_add_page(pcp, page, mt, order)))
		pcp_free_high(pcp->zone, pcp, order_to_pindex(mt, order), order);
	pcp_unlock(pcp);
}

/*
 * The fast free for any thread (see alloc_pages_fast()); the caller has
 * seen pmm_fast.free set and @order is a per-CPU order.  Returns true when
 * the block was freed here; false when the full path must handle it
 * (nothing was changed then).
 */
static inline __attribute__((always_inline)) bool free_page_fast(struct pmm *m, struct page *page,
								 unsigned order, const void *frame)
{
	const struct pmm_fast *f = &m->fast;
	unsigned long pfn;
	int mt;

	switch (free_fast_claim(f, page, order, &pfn, &mt)) {
	case FREE_CLAIM_NO:
		return false;
	case FREE_CLAIM_BAD:
		bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_FREE));
		return true;
	case FREE_CLAIM_OK:
		break;
	}
	if (unlikely(__atomic_load_n(&f->extra, __ATOMIC_RELAXED) & FAST_EXTRA_OWNER))
		page_owner_reset_at(m, page, order, frame);
	free_claimed_page(m, page, order, pfn, mt);
	return true;
}

/*
 * The leaf fast path: the thread on its own CPU with a restartable lock,
 * and a block that needs nothing but taking off a list or putting on one.
 * An allocation calls nothing and executes no locked instruction (higher
 * orders also read the zone's free-order mask, zone_has_free_block());
 * anything unusual returns "no" to the caller, which tries
 * alloc_pages_fast() and then the full path.
 */

/*
 * The thread's rseq area, and its CPU in *@cpu: below pmm_fast's leaf
 * bound, unless the leaf path is off (bound 0), the thread's rseq
 * registration failed (negative cpu_id, a huge unsigned) or the host CPU
 * is beyond the machine's.
 */
#if PMM_HAVE_RSEQ_LOCK
static inline __attribute__((always_inline)) struct rseq *pcp_leaf_cpu(const struct pmm_fast *f,
									unsigned *cpu)
{
	struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + f->rseq_offset);

	*cpu = ((const volatile struct rseq *)rs)->cpu_id;
	return rs;
}
#endif

/*
 * The block, ready for the caller, or NULL.  It has nothing to add to a
 * block: a request for zeroed memory (__GFP_ZERO) is turned away here, and
 * pmm_fast's leaf bound is 0 while init_on_alloc or page_owner's caller
 * stacks would add work (pcp_fast_update()); the general tier does both.
 */
static inline __attribute__((always_inline)) struct page *alloc_pages_leaf(struct pmm *m,
									   pmm_gfp_t gfp,
									   unsigned order)
{
#if PMM_HAVE_RSEQ_LOCK
	const struct pmm_fast *f = &m->fast;
	struct per_cpu_pages *pcp;
	struct rseq *rs;
	unsigned cpu;
	int e;

	/* First, so that a machine whose leaf is off (bound 0) turns away at once. */
	rs = pcp_leaf_cpu(f, &cpu);
	if (unlikely(cpu >= __atomic_load_n(&f->leaf_alloc_cpus, __ATOMIC_RELAXED)))
		return NULL;
	e = fast_gfp_class(f, gfp, order, FAST_GFP_OK & ~PMM___GFP_ZERO);
	if (unlikely(e < 0))
		return NULL;
	pcp = fast_pcp(f, cpu, e, order);
	if (unlikely(!pcp || pmm_rseq_trylock_cpu(rs, &pcp->lock.word, cpu) <= 0))
		return NULL;
	return fast_take_unlock(pcp, e, order);
#else
	(void)m;
	(void)gfp;
	(void)order;
	return NULL;
#endif
}

/* What free_page_leaf() did; all but FREE_LEAF_NO changed the page. */
enum free_leaf {
	FREE_LEAF_NO,      /* nothing done: try free_page_fast(), then the full path */
	FREE_LEAF_DONE,    /* on the list, lock released */
	FREE_LEAF_BAD,     /* refcount dropped; the kernel's free checks failed: report it */
	FREE_LEAF_LOCKED,  /* refcount dropped and prepared; the lists were busy: free to the zone */
	FREE_LEAF_HIGH,    /* on the list of *pcpp, lock held, count reached high: drain */
};

static inline __attribute__((always_inline)) enum free_leaf
free_page_leaf(struct pmm *m, struct page *page, unsigned order, struct per_cpu_pages **pcpp)
{
#if PMM_HAVE_RSEQ_LOCK
	const struct pmm_fast *f = &m->fast;
	struct per_cpu_pages *pcp;
	unsigned long pfn;
	unsigned cpu;
	struct rseq *rs;
	int mt;

	rs = pcp_leaf_cpu(f, &cpu);
	if (unlikely(cpu >= __atomic_load_n(&f->leaf_free_cpus, __ATOMIC_RELAXED)))
		return FREE_LEAF_NO;
	switch (free_fast_claim(f, page, order, &pfn, &mt)) {
	case FREE_CLAIM_NO:
		return FREE_LEAF_NO;
	case FREE_CLAIM_BAD:
		return FREE_LEAF_BAD;
	case FREE_CLAIM_OK:
		break;
	}
	/*
	 * If the thread moved since it read the CPU, the lock attempt fails.
	 * The rseq area's address is computed again (two instructions) rather
	 * than kept through the claim, which leaves a register free there
	 * and so keeps the hit free of a stack frame.
	 */
	pcp = f->zone_pcp[page_zone_id(page)] + cpu;
	rs = (struct rseq *)((char *)__builtin_thread_pointer() +
			     __atomic_load_n(&f->rseq_offset, __ATOMIC_RELAXED));
	if (unlikely(pmm_rseq_trylock_cpu(rs, &pcp->lock.word, cpu) <= 0))
		return FREE_LEAF_LOCKED;
	if (unlikely(pcp_add_page(pcp, page, mt, order))) {
		*pcpp = pcp;
		return FREE_LEAF_HIGH;
	}
	pcp_unlock(pcp);
	return FREE_LEAF_DONE;
#else
	(void)m;
	(void)page;
	(void)order;
	(void)pcpp;
	return FREE_LEAF_NO;
#endif
}

#endif
