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
 */
#ifndef PMM_MM_PCP_H
#define PMM_MM_PCP_H

#include "mm/internal.h"
#include "platform/cpu.h"

#define NR_LOWORDER_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP 2
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX 5

/* Per-CPU event counts, summed into /proc/vmstat and zoneinfo (pcp->lock). */
enum pcp_event { PCP_PGALLOC, PCP_PGFREE, PCP_NUMA_HIT, PCP_NUMA_MISS, PCP_NUMA_FOREIGN,
		 PCP_NUMA_LOCAL, PCP_NUMA_OTHER, NR_PCP_EVENTS };

struct per_cpu_pages {
	struct pmm_spinlock lock;     /* protects everything below */
	int count;                    /* pages on the lists */
	int high;                     /* drain above this */
	int batch;                    /* refill/drain chunk */
	short free_factor;            /* batch scaling on free bursts */
	int node;                     /* the node of this CPU (for numa_local) */
	short expire;
	struct list_head lists[NR_PCP_LISTS];
	unsigned long events[NR_PCP_EVENTS]; /* relaxed stores; read locklessly */
} __attribute__((aligned(CACHELINE)));

/* Per-CPU event counts: written under pcp->lock, read locklessly by reports. */
static inline void pcp_event_add(struct per_cpu_pages *pcp, enum pcp_event e, unsigned long n)
{
	__atomic_store_n(&pcp->events[e], __atomic_load_n(&pcp->events[e], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/*
 * Take the first page of @list (pcp->lock held) and count the allocation:
 * PGALLOC, and the NUMA events of an allocation from @zone for a request
 * that preferred @preferred.
 */
static inline struct page *pcp_take(struct per_cpu_pages *pcp, struct list_head *list,
				    unsigned order, struct zone *zone, struct zone *preferred)
{
	struct page *page = list_first_entry(list, struct page, lru);

	list_del(&page->lru);
	pcp->count -= 1 << order;
	pcp_event_add(pcp, PCP_PGALLOC, 1ul << order);
	if (likely(zone->node == preferred->node)) {
		pcp_event_add(pcp, PCP_NUMA_HIT, 1);
	} else {
		pcp_event_add(pcp, PCP_NUMA_MISS, 1);
		__atomic_fetch_add(&preferred->vm_numa_event[NUMA_FOREIGN], 1, __ATOMIC_RELAXED);
	}
	pcp_event_add(pcp, zone->node == pcp->node ? PCP_NUMA_LOCAL : PCP_NUMA_OTHER, 1);
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
void pcp_teardown(struct pmm *m);
void zone_pcp_update_all(struct pmm *m);
int zone_batchsize(const struct zone *zone);
int zone_highsize(const struct pmm *m, const struct zone *zone, int batch);
/* Called with pcp->lock held after a free raised count to pcp->high or more. */
void pcp_free_high(struct zone *zone, struct per_cpu_pages *pcp, unsigned pindex);
/* Build the fast path's CPU -> preferred zone table and its enable flags. */
int pcp_fast_setup(struct pmm *m);
void pcp_fast_update(struct pmm *m);
void pcp_alloc_bulk(struct zone *zone, int migratetype, unsigned alloc_flags, unsigned long nr,
		    struct page **array, unsigned long *populated);
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

/* The CPU this thread acts as for one machine, when pinned by pmm_set_thread_cpu(). */
extern __thread const struct pmm *pinned_machine;
extern __thread int pinned_cpu;

/* The CPU the calling thread acts as (pinned, rseq, or sched_getcpu). */
static inline unsigned pmm_this_cpu(const struct pmm *m)
{
	int cpu;

	/*
	 * Bounded: a pin can outlive its machine (another thread pinned
	 * itself, the machine was destroyed and a smaller one booted at the
	 * same address); it must never index per-CPU lists that do not exist.
	 */
	if (unlikely(pinned_machine == m))
		return likely((unsigned)pinned_cpu < m->nr_cpus) ? (unsigned)pinned_cpu : 0;
	cpu = likely(m->cpu_mode == PMM_CPU_RSEQ) ? pmm_cpu_rseq() : -1;
	if (unlikely(cpu < 0))
		cpu = (int)pmm_cpu_getcpu();
	/* nr_cpus is usually the host's count; the modulo is for smaller machines. */
	return likely((unsigned)cpu < m->nr_cpus) ? (unsigned)cpu : (unsigned)cpu % m->nr_cpus;
}

#endif
