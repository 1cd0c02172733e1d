/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU page lists (struct per_cpu_pages), as Linux 6.1.
 *
 * Each zone has one per_cpu_pages per CPU.  Orders 0..3 and the pageblock
 * order are cached on lists indexed by order and pcp migratetype; `count`
 * is in base pages.  When a list is empty, rmqueue_bulk() moves `batch`
 * blocks from the buddy lists under one zone->lock acquisition; when count
 * reaches `high`, free_pcppages_bulk() returns a batch.
 *
 * Locking: pcp->lock (a trylock on the fast path, as the kernel's
 * pcp_spin_trylock) guards the lists and count.  A CPU's lists are touched
 * by its own threads and by drains from any thread; no thread ever touches
 * another CPU's lists on the fast path.  Each per_cpu_pages sits on its own
 * cache lines.
 *
 * The lock word is 0 when free.  A thread running on the CPU takes it with
 * a restartable sequence (no locked instruction; see platform/cpu.h) and
 * stores PMM_RSEQ_LOCKED.  Any other taker (a drain of another CPU's lists,
 * a thread acting as a CPU through pmm_set_thread_cpu(), a host without
 * rseq) compare-and-swaps in a tag unique to its thread; once restartable
 * sequences are in use on the machine it then fences the CPU and keeps the
 * lock only if its tag survived (a sequence that read 0 just before the
 * swap may have committed over it, and then that sequence's thread holds
 * the lock).  Everyone releases with a store-release of 0.
 */
#ifndef PMM_MM_PCP_H
#define PMM_MM_PCP_H

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/trace.h"
#include "platform/cpu.h"

#define NR_LOWORDER_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP 2
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX 5
#define SWAP_CLUSTER_MAX 32u /* pages a list free puts under one lock hold */
/* In pmm_fast.extra, beside __GFP_ZERO; not gfp bits (they end at 0x800000). */
#define FAST_EXTRA_OWNER 0x80000000u  /* page_owner with caller stacks */
#define FAST_EXTRA_CHECKS 0x40000000u /* page checks (init_on_alloc/free): pageblock-order tails */

struct pcp_lock {
	unsigned long word; /* 0, PMM_RSEQ_LOCKED, or the holder's tag */
};

/*
 * Per-CPU event counts, summed into /proc/vmstat and zoneinfo (pcp->lock).
 * An allocation from the preferred zone is a NUMA hit; it is also
 * numa_local or numa_other by whether the zone is on the CPU's node, which
 * is fixed per list (pcp->zone_is_local), so PCP_NUMA_LOCAL and
 * PCP_NUMA_OTHER count the misses only and reports derive the rest
 * (pcp_event_read()).  The fast paths' hits count once more compactly: one
 * add to PCP_HIT + pcp_hit_slot(order), which reads as 1 << order pages of
 * PGALLOC and one NUMA hit, so a hit writes one counter instead of two.
 * PCP_PGALLOC and PCP_NUMA_HIT hold the other allocations.
 */
#define PCP_HIT_SLOTS (PAGE_ALLOC_COSTLY_ORDER + 2) /* orders 0-3 and the pageblock order */
enum pcp_event { PCP_PGALLOC, PCP_PGFREE, PCP_NUMA_HIT, PCP_NUMA_MISS, PCP_NUMA_LOCAL,
		 PCP_NUMA_OTHER, PCP_HIT, NR_PCP_EVENTS = PCP_HIT + PCP_HIT_SLOTS };

struct per_cpu_pages {
	struct pcp_lock lock;         /* protects everything below but the constants */
	int count;                    /* pages on the lists */
	int high;                     /* drain above this */
	int batch;                    /* refill/drain chunk */
	short free_factor;            /* batch scaling on free bursts */
	short expire;
	int node;                     /* constant: the node of this CPU */
	bool zone_is_local;           /* constant: zone->node == node */
	struct zone *zone;            /* constant: the zone these lists belong to */
	struct list_head lists[NR_PCP_LISTS];
	unsigned long events[NR_PCP_EVENTS]; /* relaxed stores; read locklessly */
} __attribute__((aligned(CACHELINE)));

/*
 * Per-CPU event counts: written under pcp->lock, read locklessly by reports.
 * On x86-64 one add to memory (the kernel's this_cpu_add): an aligned 8-byte
 * store is single-copy atomic, so a reader sees the old or the new count.
 * Elsewhere, and for ThreadSanitizer, a relaxed atomic load and store.
 */
static inline void pcp_event_add(struct per_cpu_pages *pcp, enum pcp_event e, unsigned long n)
{
#if defined(__x86_64__) && !defined(PMM_TSAN)
	__asm__("addq %1, %0" : "+m"(pcp->events[e]) : "er"(n));
#else
	__atomic_store_n(&pcp->events[e], __atomic_load_n(&pcp->events[e], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
#endif
}

/* The hit counter of a per-CPU order: orders 0-3, then the pageblock order. */
static inline unsigned pcp_hit_slot(unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER ? order : PAGE_ALLOC_COSTLY_ORDER + 1;
}

/* The fast paths' hits: allocations (@pages false) or the pages they took. */
static inline unsigned long pcp_hits_read(const struct per_cpu_pages *pcp, bool pages)
{
	unsigned long n = 0;

	for (unsigned i = 0; i < PCP_HIT_SLOTS; i++) {
		unsigned long h = __atomic_load_n(&pcp->events[PCP_HIT + i], __ATOMIC_RELAXED);

		n += pages ? h << (i <= PAGE_ALLOC_COSTLY_ORDER ? i : pageblock_order) : h;
	}
	return n;
}

/*
 * An event count as /proc/vmstat means it: the hits added to PGALLOC and
 * NUMA_HIT, and NUMA_HIT to numa_local or numa_other.  Not for PCP_HIT's
 * own slots.
 */
static inline unsigned long pcp_event_read(const struct per_cpu_pages *pcp, enum pcp_event e)
{
	unsigned long n = __atomic_load_n(&pcp->events[e], __ATOMIC_RELAXED);

	if (e == PCP_PGALLOC)
		n += pcp_hits_read(pcp, true);
	else if (e == PCP_NUMA_HIT)
		n += pcp_hits_read(pcp, false);
	else if (e == (pcp->zone_is_local ? PCP_NUMA_LOCAL : PCP_NUMA_OTHER))
		n += __atomic_load_n(&pcp->events[PCP_NUMA_HIT], __ATOMIC_RELAXED) +
		     pcp_hits_read(pcp, false);
	return n;
}

/*
 * Unlink and return the first entry of non-empty @list, leaving its
 * pointers stale (the caller overwrites or ignores them).  Its prev is
 * @list, so only its next is read.
 */
static inline struct list_head *pcp_list_pop(struct list_head *list)
{
	struct list_head *e = list->next, *n = e->next;

	list->next = n;
	n->prev = list;
	return e;
}

/*
 * Count @nr allocations of @order from @pcp's zone, @zone, for requests that
 * preferred @preferred (pcp->lock held): PGALLOC in pages, and the NUMA
 * events once per allocation (zone_statistics()).
 */
static inline void pcp_count_alloc(struct per_cpu_pages *pcp, unsigned order, unsigned long nr,
				   const struct zone *zone, struct zone *preferred)
{
	pcp_event_add(pcp, PCP_PGALLOC, nr << order);
	if (likely(zone == preferred || zone->node == preferred->node)) {
		pcp_event_add(pcp, PCP_NUMA_HIT, nr);
	} else {
		pcp_event_add(pcp, PCP_NUMA_MISS, nr);
		__atomic_fetch_add(&preferred->vm_numa_event[NUMA_FOREIGN], nr, __ATOMIC_RELAXED);
		pcp_event_add(pcp, pcp->zone_is_local ? PCP_NUMA_LOCAL : PCP_NUMA_OTHER, nr);
	}
}

/*
 * Take the first page of @list (pcp->lock held) and count the allocation
 * (pcp_count_alloc()).
 */
static inline struct page *pcp_take(struct per_cpu_pages *pcp, struct list_head *list,
				    unsigned order, struct zone *zone, struct zone *preferred)
{
	struct page *page = list_entry(pcp_list_pop(list), struct page, lru);

	pcp->count -= 1 << order;
	pcp_count_alloc(pcp, order, 1, zone, preferred);
	return page;
}

static inline bool pcp_allowed_order(unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER || order == pageblock_order;
}

static inline unsigned order_to_pindex(int mt, unsigned order)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NR_LOWORDER_PCP_LISTS + (mt == MIGRATE_MOVABLE);
	return MIGRATE_PCPTYPES * order + (unsigned)mt;
}

static inline unsigned pindex_to_order(unsigned pindex)
{
	return pindex >= NR_LOWORDER_PCP_LISTS ? pageblock_order : pindex / MIGRATE_PCPTYPES;
}

struct page *rmqueue_pcplist(struct zone *preferred, struct zone *zone, unsigned order,
			     int migratetype, unsigned alloc_flags);
void free_unref_page(struct pmm *m, struct page *page, unsigned order);
/* Drain every CPU's lists of every zone; returns true if any page moved. */
bool pcp_drain_all(struct pmm *m);
/* Drain one CPU's lists in one zone. */
void drain_zone_pages_cpu(struct zone *zone, unsigned cpu);
int pcp_setup(struct pmm *m);
/*
 * Per-CPU lists for one zone, with their high and batch (setup_zone_pageset()):
 * at boot, or when hotplug populates the zone.  Takes sysctl_lock.
 */
int setup_zone_pageset(struct pmm *m, struct zone *zone);
void pcp_teardown(struct pmm *m);
void zone_pcp_update_all(struct pmm *m);
int zone_batchsize(const struct zone *zone);
int zone_highsize(const struct pmm *m, const struct zone *zone, int batch);
/*
 * The drain decision of free_unref_page_commit(), after a block of @order
 * went on list @pindex of @pcp: free_pcppages_bulk() if count reached the
 * high in force (0 for a high-order free while free_factor is up).
 * Context: pcp->lock held; takes zone->lock when it drains.
 */
void pcp_free_high(struct zone *zone, struct per_cpu_pages *pcp, unsigned pindex, unsigned order);
/* Zone index per zone-modifier combination (-1: refused on the full path). */
extern const signed char fast_gfp_zone[16];

/* Build the fast path's tables (struct pmm_fast) and its enable flags. */
int pcp_fast_setup(struct pmm *m);
void pcp_fast_teardown(struct pmm *m);
void pcp_fast_update(struct pmm *m);
/* Refill the CPU x zone and zone tables of struct pmm_fast after the zonelists changed. */
void pcp_fast_zonelists_update(struct pmm *m);
/*
 * The batch of __alloc_pages_bulk(): fill the NULL slots of @array[0..@nr)
 * with order-0 pages from this CPU's list of @zone for @preferred's
 * request, under one trylock, refilling the list a batch at a time.  With
 * @prep, the pages taken are chained through lru.next from *@prep (NULL
 * ends the chain) for the caller to prepare with prep_new_page(), so that
 * it never reads the slots the caller filled; without, each leaves with
 * refcount 1 and nothing else to do.  Returns the number of slots filled,
 * or -1 when the lock was busy (nothing filled).  Counts PGALLOC and the
 * NUMA events.
 */
long pcp_alloc_bulk(struct zone *zone, struct zone *preferred, int migratetype,
		    unsigned alloc_flags, unsigned long nr, struct page **array,
		    struct page **prep);
/*
 * free_unref_page_prepare(): free_pages_prepare() of a block of @order at
 * @pfn and its pageblock's migratetype kept in page->index; a block of an
 * isolated pageblock goes to the buddy lists at once.  True when @page is
 * ready for a per-CPU list; false when it was bad or went to the zone.
 */
bool free_unref_page_prepare(struct pmm *m, struct page *page, unsigned long pfn, unsigned order);
/*
 * free_unref_page_list(): put the order-0 pages of the chain from @first
 * (each page's lru.next the next one's lru, NULL at the end; each page
 * prepared, its migratetype in index) on this CPU's lists, in chain order,
 * locking them once per zone and per SWAP_CLUSTER_MAX pages; a busy lock
 * sends a page to the buddy lists.  Each page is traced
 * mm_page_free_batched.
 */
void free_unref_page_list(struct pmm *m, struct list_head *first);
/*
 * high and batch are written by the sysctl handlers without the pcp lock:
 * read each once, atomically (the kernel's READ_ONCE).
 */
static inline int pcp_high(const struct per_cpu_pages *pcp)
{
	return __atomic_load_n(&pcp->high, __ATOMIC_RELAXED);
}
static inline int pcp_batch(const struct per_cpu_pages *pcp)
{
	return __atomic_load_n(&pcp->batch, __ATOMIC_RELAXED);
}
/* Reclaim is running against @zone: per-CPU lists keep at most batch * 4 (nr_pcp_high()). */
static inline bool zone_reclaim_active(const struct zone *zone)
{
	return __atomic_load_n(&zone->flags, __ATOMIC_RELAXED) & (1ul << ZONE_RECLAIM_ACTIVE);
}

/*
 * Put @page, a block of @order (a per-CPU order) and pageblock type @mt, on
 * @pcp (locked): the kernel's free_unref_page_commit() up to its drain
 * decision.  Return: true when that decision may be to drain (count at
 * high, a free_high drain of a high-order free, or count past the lower
 * high that ZONE_RECLAIM_ACTIVE sets): then call pcp_free_high(), which
 * decides exactly.
 */
/*
 * Put @e first on @list: list_add(), with the stores ordered so that the
 * compiler keeps them four plain stores (as list_add() it pairs the two to
 * @e into a vector store that takes four instructions).
 */
static inline void pcp_list_push(struct list_head *list, struct list_head *e)
{
	struct list_head *n = list->next;

	n->prev = e;
	e->next = n;
	list->next = e;
	e->prev = list;
}

static inline bool pcp_add_page(struct per_cpu_pages *pcp, struct page *page, int mt,
				unsigned order)
{
	pcp_list_push(&pcp->lists[order_to_pindex(mt, order)], &page->lru);
	pcp->count += 1 << order;
	pcp_event_add(pcp, PCP_PGFREE, 1ul << order);
	if (unlikely(order && order <= PAGE_ALLOC_COSTLY_ORDER && pcp->free_factor))
		return true;
	if (unlikely(pcp->count >= pcp_high(pcp)))
		return true;
	return unlikely(pcp->count >= pcp_batch(pcp) << 2) && zone_reclaim_active(pcp->zone);
}

/* The CPU this thread acts as for one machine, when pinned by pmm_set_thread_cpu(). */
/* Initial-exec TLS: one %fs-relative load, no __tls_get_addr() call in the shared library. */
#define PMM_TLS_IE __attribute__((tls_model("initial-exec")))
extern __thread uint64_t pinned_machine PMM_TLS_IE; /* pmm_fast.id, 0 if none */
extern __thread int pinned_cpu PMM_TLS_IE;

/* The calling thread's pin, kept while pmm_create() acts as CPU 0 (pcp.c). */
struct pcp_boot_pin {
	uint64_t machine;
	int cpu;
};
void pcp_boot_cpu_enter(struct pmm *m, struct pcp_boot_pin *save);
void pcp_boot_cpu_leave(struct pmm *m, const struct pcp_boot_pin *save);

/* The CPU the calling thread acts as (pinned, rseq, sched_getcpu, or the platform's). */
static inline unsigned pmm_this_cpu(const struct pmm *m)
{
	int cpu;

	/* Pins name machines by id, so a pin never applies to a later machine at the same address. */
	if (unlikely(pinned_machine == m->fast.id))
		return likely((unsigned)pinned_cpu < m->nr_cpus) ? (unsigned)pinned_cpu : 0;
#ifdef PMM_FREESTANDING
	cpu = (int)m->plat->current_cpu(m->plat->ctx);
#else
	if (likely(m->cpu_mode == PMM_CPU_RSEQ)) {
		cpu = pmm_cpu_rseq();
		if (unlikely(cpu < 0))
			cpu = (int)pmm_cpu_getcpu();
	} else if (m->cpu_mode == PMM_CPU_GETCPU) {
		cpu = (int)pmm_cpu_getcpu();
	} else {
		cpu = (int)m->plat->current_cpu(m->plat->ctx);
	}
#endif
	/* nr_cpus is usually the host's count; the modulo is for smaller machines. */
	return likely((unsigned)cpu < m->nr_cpus) ? (unsigned)cpu : (unsigned)cpu % m->nr_cpus;
}

/* pmm_fast.rseq states: restartable per-CPU locks off, allowed, in use. */
enum { PCP_RSEQ_OFF, PCP_RSEQ_READY, PCP_RSEQ_USED };

void pcp_rseq_first_use(struct pmm *m);

/*
 * The CPU whose lists the calling thread uses.  *@host is that CPU's host
 * number when the thread runs on it and may take its lock with a
 * restartable sequence, else -1.
 */
static inline unsigned pcp_this_cpu(struct pmm *m, int *host)
{
#if PMM_HAVE_RSEQ_LOCK
	const struct pmm_fast *f = &m->fast;
	int state = __atomic_load_n(&f->rseq, __ATOMIC_RELAXED);

	/*
	 * rseq state READY or USED implies glibc registered rseq areas in this
	 * process (__rseq_size != 0); a thread whose own registration failed
	 * reads a negative cpu_id and takes the other way.
	 */
	if (likely(state != PCP_RSEQ_OFF) &&
	    likely(!__atomic_load_n(&f->pinned, __ATOMIC_RELAXED) || pinned_machine != f->id)) {
		const volatile struct rseq *rs =
			(const volatile struct rseq *)((char *)__builtin_thread_pointer() + f->rseq_offset);
		unsigned cpu = rs->cpu_id;

		/* Only where host CPU c maps to lists c alone (no modulo sharing). */
		if (likely(cpu < f->nr_cpus)) {
			if (unlikely(state != PCP_RSEQ_USED))
				pcp_rseq_first_use(m);
			*host = (int)cpu;
			return cpu;
		}
	}
#endif
	*host = -1;
	return pmm_this_cpu(m);
}

/* Makes each thread's lock tag unique: its address. */
extern __thread char pcp_lock_tag PMM_TLS_IE;

static inline unsigned long pcp_lock_tag_value(void)
{
	return (unsigned long)&pcp_lock_tag;
}

/* The rest of pcp_trylock_remote() once restartable sequences are in use. */
bool pcp_trylock_fenced(struct per_cpu_pages *pcp, unsigned cpu);

/*
 * Take @pcp (the lists of CPU @cpu) with a compare-and-swap of this
 * thread's tag, as any thread not running on @cpu must; false when another
 * thread holds it.  Where restartable sequences are in use, a sequence on
 * @cpu may have read the word before the swap: pcp_trylock_fenced() then
 * restarts it (store, full fence, load on its side; locked swap, load here).
 */
static inline bool pcp_trylock_remote(struct pmm *m, struct per_cpu_pages *pcp, unsigned cpu)
{
	unsigned long old = 0;

	if (!__atomic_compare_exchange_n(&pcp->lock.word, &old, pcp_lock_tag_value(), false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	if (likely(__atomic_load_n(&m->fast.rseq, __ATOMIC_SEQ_CST) != PCP_RSEQ_USED))
		return true;
	return pcp_trylock_fenced(pcp, cpu);
}

/*
 * Take @pcp (the lists of CPU @cpu) without waiting; @host from
 * pcp_this_cpu().  False when another thread holds it.
 */
static inline bool pcp_trylock(struct pmm *m, struct per_cpu_pages *pcp, unsigned cpu, int host)
{
#if PMM_HAVE_RSEQ_LOCK
	if (likely(host >= 0)) {
		int r = pmm_rseq_trylock_cpu(pmm_rseq_area(), &pcp->lock.word, (unsigned)host);

		if (likely(r >= 0))
			return r;
		/* Migrated or restarted: take it as any other CPU would. */
	}
#else
	(void)host;
#endif
	return pcp_trylock_remote(m, pcp, cpu);
}

/* Take @pcp, yielding while another thread holds it (drains, reports). */
void pcp_lock(struct pmm *m, struct per_cpu_pages *pcp, unsigned cpu);

static inline void pcp_unlock(struct per_cpu_pages *pcp)
{
	__atomic_store_n(&pcp->lock.word, 0, __ATOMIC_RELEASE);
}

static inline bool pcp_is_locked(const struct per_cpu_pages *pcp)
{
	return __atomic_load_n(&pcp->lock.word, __ATOMIC_RELAXED) != 0;
}

/*
 * A hold on this CPU's lists of one zone while order-0 pages are put on
 * them one after another (free_unref_page_list()): the lock is taken at
 * the first page and again whenever the zone changes, and released after
 * SWAP_CLUSTER_MAX pages and at the end (list_free_unlock()).  While it is
 * held, the first entry of list @mt and the count live here, so each page
 * costs its own stores and no reload of what the previous page wrote, and
 * @room says how many more pages may go on that list before anything but
 * the list_add() is due (a drain at high, the end of the hold, a
 * tracepoint).  Everything that touches a struct list_free is inline, so
 * the compiler keeps its fields in registers; the calls take none of them
 * by address.
 */
struct list_free {
	struct per_cpu_pages *pcp; /* locked, or NULL */
	struct zone *zone;         /* pcp->zone, kept here: reading it through pcp cost the
				      bulk free 2 instructions per page (callgrind) */
	unsigned long zid;         /* page_zone_id() of @zone; ~0ul when none is locked */
	int mt;                    /* the list whose first entry is @first; -1: none */
	struct list_head *head, *first; /* that list, and its first entry */
	int count, base, limit;    /* pcp->count as it stands, as last written; high */
	unsigned added;            /* pages put on the lists before @base was taken */
	unsigned room;             /* plain list_add()s left before the slow path */
};
#define LIST_FREE_INIT { .zid = ~0ul, .mt = -1 }

/* This CPU's lists of @zone, locked; NULL when another thread holds them. */
struct per_cpu_pages *list_free_trylock(struct pmm *m, struct zone *zone);

/* The count at which an order-0 free's drain decision is due (pcp_add_page()). */
static inline int pcp_free_limit(const struct per_cpu_pages *pcp)
{
	int high = pcp_high(pcp);

	return zone_reclaim_active(pcp->zone) ? MIN(high, pcp_batch(pcp) << 2) : high;
}

/* Write back the first entry and the count that @lf keeps. */
static inline __attribute__((always_inline)) void list_free_sync(struct list_free *lf)
{
	if (lf->mt >= 0)
		lf->head->next = lf->first;
	lf->pcp->count = lf->count;
	lf->added += (unsigned)(lf->count - lf->base);
	lf->base = lf->count;
}

/* Write back what @lf keeps, count PGFREE and unlock.  @lf->pcp must be held. */
static inline __attribute__((always_inline)) void list_free_unlock(struct list_free *lf)
{
	list_free_sync(lf);
	pcp_event_add(lf->pcp, PCP_PGFREE, lf->added);
	pcp_unlock(lf->pcp);
	lf->pcp = NULL;
	lf->zid = ~0ul;
	lf->mt = -1;
	lf->room = 0;
}

/* list_add() of @page to list lf->mt. */
static inline __attribute__((always_inline)) void list_free_add(struct list_free *lf,
								struct page *page)
{
	struct list_head *e = &page->lru;

	e->next = lf->first;
	e->prev = lf->head;
	lf->first->prev = e;
	lf->first = e;
	lf->count++;
}

/* Every case of list_free_page() but the plain one. */
static inline __attribute__((always_inline)) void
list_free_page_slow(struct pmm *m, struct list_free *lf, struct page *page)
{
	int mt = (int)page->index;
	unsigned held;

	if (page_zone_id(page) != lf->zid) {
		if (lf->pcp)
			list_free_unlock(lf);
		lf->zone = page_zone(m, page);
		lf->pcp = list_free_trylock(m, lf->zone);
		/*
		 * Linux 6.1 spins here; a holder in pmm can be preempted, so
		 * the page goes to the buddy lists instead, as a single free's
		 * does (and the kernel's list free since 6.2).
		 */
		if (unlikely(!lf->pcp)) {
			free_one_page_locked_entry(lf->zone, page, page_to_pfn(m, page), 0, mt);
			return;
		}
		lf->zid = page_zone_id(page);
		lf->count = lf->base = lf->pcp->count;
		lf->limit = pcp_free_limit(lf->pcp);
		lf->added = 0;
	}
	/* Highatomic and CMA blocks share the movable list. */
	if (unlikely(mt >= MIGRATE_PCPTYPES))
		mt = MIGRATE_MOVABLE;
	TRACE(m, mm_page_free_batched, page_to_pfn(m, page));
	if (mt != lf->mt) {
		if (lf->mt >= 0)
			lf->head->next = lf->first;
		lf->mt = mt;
		lf->head = &lf->pcp->lists[mt];
		lf->first = lf->head->next;
	}
	list_free_add(lf, page);
	if (lf->count >= lf->limit) {
		list_free_sync(lf);
		pcp_free_high(lf->zone, lf->pcp, (unsigned)mt, 0);
		lf->count = lf->base = lf->pcp->count;
		lf->limit = pcp_free_limit(lf->pcp);
		lf->first = lf->head->next;
	}
	held = lf->added + (unsigned)(lf->count - lf->base);
	/* Bound the lock hold time on a long list. */
	if (held >= SWAP_CLUSTER_MAX) {
		list_free_unlock(lf);
		return;
	}
	/* Plain adds keep count below high and the hold below SWAP_CLUSTER_MAX. */
	lf->room = m->tp ? 0 : MIN((unsigned)(lf->limit - lf->count), SWAP_CLUSTER_MAX - held) - 1;
}

/*
 * free_unref_page_commit() of prepared order-0 @page (its migratetype in
 * index) under @lf: onto this CPU's list, a drain when count reaches high,
 * mm_page_free_batched; or, when the lists are busy, to the buddy lists.
 */
static inline __attribute__((always_inline)) void list_free_page(struct pmm *m,
								 struct list_free *lf,
								 struct page *page)
{
	if (likely(lf->room && page_zone_id(page) == lf->zid && (int)page->index == lf->mt)) {
		list_free_add(lf, page);
		lf->room--;
	} else {
		list_free_page_slow(m, lf, page);
	}
}

#endif
