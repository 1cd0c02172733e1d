// SPDX-License-Identifier: MIT
/*
 * Per-CPU page lists (Linux 6.1 mm/page_alloc.c: rmqueue_pcplist,
 * free_unref_page, rmqueue_bulk, free_pcppages_bulk, zone_batchsize,
 * zone_highsize, drain_*_pages).
 *
 * The fast path takes this CPU's pcp->lock with a trylock; if another
 * thread on the same CPU (or a drain) holds it, the caller goes to the zone
 * instead of waiting, exactly as the kernel's pcp_spin_trylock users do.
 * Refill and drain move many blocks under one zone->lock acquisition.
 *
 * "Current CPU" comes from rseq (one load), sched_getcpu() otherwise, or a
 * CPU the thread chose with pmm_set_thread_cpu() (replay, tests).
 */
#include <string.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "mm/trace.h"
#include "platform/cpu.h"

__thread uint64_t pinned_machine PMM_TLS_IE;
__thread int pinned_cpu PMM_TLS_IE = -1;

int pmm_set_thread_cpu(struct pmm *m, int cpu)
{
	if (cpu == PMM_CPU_UNPIN) {
		if (pinned_machine == m->fast.id) {
			pinned_machine = 0;
			pinned_cpu = -1;
		}
		return 0;
	}
	if (cpu < 0 || (unsigned)cpu >= m->nr_cpus)
		return -PMM_EINVAL;
	pinned_machine = m->fast.id;
	pinned_cpu = cpu;
	/*
	 * Sticky: the fast path checks the thread's pin only on machines that
	 * saw one, and the leaf paths (which do not check it) stop.
	 */
	if (!__atomic_load_n(&m->fast.pinned, __ATOMIC_RELAXED)) {
		__atomic_store_n(&m->fast.pinned, true, __ATOMIC_SEQ_CST);
		pcp_fast_update(m);
	}
	return 0;
}

/*
 * Boot acts as CPU 0, as the kernel's boot task does: what boot allocates
 * and frees through the per-CPU lists (the huge page pool, late frees,
 * memory plugged at boot) lands on CPU 0's lists and counts there,
 * whichever host CPU runs pmm_create(), so that the reports of a machine
 * as booted do not depend on it.  Nobody else can reach the machine yet,
 * so the pin's flag is set and cleared again without the fast paths'
 * sticky rule (pmm_set_thread_cpu()).
 */
void pcp_boot_cpu_enter(struct pmm *m, struct pcp_boot_pin *save)
{
	save->machine = pinned_machine;
	save->cpu = pinned_cpu;
	pinned_machine = m->fast.id;
	pinned_cpu = 0;
	__atomic_store_n(&m->fast.pinned, true, __ATOMIC_RELAXED);
}

void pcp_boot_cpu_leave(struct pmm *m, const struct pcp_boot_pin *save)
{
	__atomic_store_n(&m->fast.pinned, false, __ATOMIC_RELAXED);
	pinned_machine = save->machine;
	pinned_cpu = save->cpu;
}

__thread char pcp_lock_tag PMM_TLS_IE;

void pcp_rseq_first_use(struct pmm *m)
{
	/*
	 * Publish "sequences in use" before this thread's first sequence reads
	 * a lock word: a remote taker that swapped its tag in before that read
	 * then sees PCP_RSEQ_USED and fences (store, full fence, load on this
	 * side; locked swap, load on the other).
	 */
	__atomic_store_n(&m->fast.rseq, PCP_RSEQ_USED, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pcp_fast_update(m); /* the leaf paths may run now */
}

bool pcp_trylock_fenced(struct per_cpu_pages *pcp, unsigned cpu)
{
	unsigned long tag = pcp_lock_tag_value();

	/*
	 * A sequence on @cpu may have read 0 before the swap and commit after
	 * it.  Restart whatever is in flight there, then look: if the tag is
	 * still ours, no sequence committed and any later one sees the tag.
	 */
	if (unlikely(!pmm_cpu_fence(cpu))) {
		/* Unfenced, a sequence may still commit over the tag: give the lock back. */
		__atomic_compare_exchange_n(&pcp->lock.word, &tag, 0, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
		return false;
	}
	return __atomic_load_n(&pcp->lock.word, __ATOMIC_ACQUIRE) == tag;
}

void pcp_lock(struct pmm *m, struct per_cpu_pages *pcp, unsigned cpu)
{
	while (!pcp_trylock_remote(m, pcp, cpu))
		while (pcp_is_locked(pcp))
			pmm_cpu_relax();
}


/*
 * Move up to @count blocks of @order from the buddy lists to @list; a bad
 * frame goes on @bad, for the caller to report once it has dropped its
 * locks (report_bad_new_pages()).
 */
static int rmqueue_bulk(struct zone *zone, unsigned order, int count, struct list_head *list,
			int migratetype, unsigned alloc_flags, struct list_head *bad)
{
	int i, allocated = 0;

	pmm_lock(&zone->lock);
	for (i = 0; i < count;) {
		unsigned long nr;
		struct page *run = rmqueue_run_locked(zone, order, migratetype, alloc_flags,
						      (unsigned long)(count - i), &nr);

		if (unlikely(!run))
			break;
		for (unsigned long j = 0; j < nr; j++, i++) {
			struct page *page = run + (j << order);

			/* A bad page is leaked but its pages stay counted out (kernel). */
			if (unlikely(check_new_pages_fast(zone->machine, page, order, bad)))
				continue;
			list_add_tail(&page->lru, list);
			allocated++;
			if (is_migrate_cma((int)page->index))
				__mod_zone_page_state(zone, NR_FREE_CMA_PAGES, -(1l << order));
		}
	}
	__mod_zone_page_state(zone, NR_FREE_PAGES, -((long)i << order)); /* zone->lock */
	zone_fast_update(zone);
	pmm_unlock(&zone->lock);
	return allocated;
}

/*
 * Refill empty @list of @pcp (locked) from the buddy lists: a batch of
 * blocks, fewer for a higher order (__rmqueue_pcplist()).  False if it
 * stayed empty.  Bad frames go on @bad (rmqueue_bulk()).
 */
static bool pcp_refill(struct zone *zone, struct per_cpu_pages *pcp, struct list_head *list,
		       unsigned order, int migratetype, unsigned alloc_flags, struct list_head *bad)
{
	int batch = pcp_batch(pcp);

	if (batch > 1)
		batch = MAX(batch >> order, 2);
	pcp->count += rmqueue_bulk(zone, order, batch, list, migratetype, alloc_flags, bad) << order;
	return !list_empty(list);
}

struct page *rmqueue_pcplist(struct zone *preferred, struct zone *zone, unsigned order,
			     int migratetype, unsigned alloc_flags)
{
	struct pmm *m = zone->machine;
	struct per_cpu_pages *pcp;
	struct list_head *list, bad;
	struct page *page = NULL;
	unsigned cpu;
	int host;

	cpu = pcp_this_cpu(m, &host);
	pcp = &zone->per_cpu_pageset[cpu];
	if (unlikely(!pcp_trylock(m, pcp, cpu, host)))
		return NULL;
	pcp->free_factor >>= 1;
	list = &pcp->lists[order_to_pindex(migratetype, order)];
	INIT_LIST_HEAD(&bad);
	if (!list_empty(list) || pcp_refill(zone, pcp, list, order, migratetype, alloc_flags, &bad))
		page = pcp_take(pcp, list, order, zone, preferred);
	pcp_unlock(pcp);
	report_bad_new_pages(m, &bad);
	return page;
}

/*
 * Return @count pages from @pcp to the buddy lists, round-robin over the
 * lists starting after @pindex, coldest (tail) pages first.
 */
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp,
			       int pindex)
{
	int min_pindex = 0, max_pindex = NR_PCP_LISTS - 1;
	bool isolated;

	count = MIN(pcp->count, count);
	pindex = pindex - 1;
	pmm_lock(&zone->lock);
	isolated = zone->nr_isolate_pageblock != 0;
	while (count > 0) {
		struct list_head *list;
		unsigned order;
		int nr_pages;

		for (;;) {
			if (++pindex > max_pindex)
				pindex = min_pindex;
			list = &pcp->lists[pindex];
			if (!list_empty(list))
				break;
			if (pindex == max_pindex)
				max_pindex--;
			if (pindex == min_pindex)
				min_pindex++;
		}
		order = pindex_to_order((unsigned)pindex);
		nr_pages = free_pcp_list_locked(zone, list, order, count, isolated);
		count -= nr_pages;
		pcp->count -= nr_pages;
	}
	zone_fast_update(zone);
	pmm_unlock(&zone->lock);
}

static int nr_pcp_free(struct per_cpu_pages *pcp, int high, int batch, bool free_high)
{
	int min_nr_free, max_nr_free;

	if (unlikely(free_high))
		return pcp->count;
	if (unlikely(high < batch))
		return 1;
	min_nr_free = batch;
	max_nr_free = high - batch;
	batch <<= pcp->free_factor;
	if (batch < max_nr_free && pcp->free_factor < PCP_BATCH_SCALE_MAX)
		pcp->free_factor++;
	return MAX(min_nr_free, MIN(batch, max_nr_free));
}

static int nr_pcp_high(struct per_cpu_pages *pcp, struct zone *zone, bool free_high)
{
	int high = pcp_high(pcp);

	if (unlikely(!high || free_high))
		return 0;
	if (!zone_reclaim_active(zone))
		return high;
	return MIN(pcp_batch(pcp) << 2, high);
}

bool free_unref_page_prepare(struct pmm *m, struct page *page, unsigned long pfn, unsigned order)
{
	struct zone *zone;
	int migratetype;

	if (!free_pages_prepare(m, page, order))
		return false;
	migratetype = get_pfnblock_migratetype(m, pfn);
	page->index = (unsigned long)migratetype;
	if (likely(!is_migrate_isolate(migratetype)))
		return true;
	zone = page_zone(m, page);
	pmm_lock(&zone->lock);
	free_one_page_locked(zone, page, pfn, order, get_pfnblock_migratetype(m, pfn), FPI_NONE);
	pmm_unlock(&zone->lock);
	/* free_one_page(): no PGFREE, as in 6.1 for an isolated pageblock. */
	return false;
}

void free_unref_page(struct pmm *m, struct page *page, unsigned order)
{
	unsigned long pfn = page_to_pfn(m, page);
	struct zone *zone = page_zone(m, page);
	struct per_cpu_pages *pcp;
	int migratetype, pcpmt, host;
	unsigned cpu;

	if (!free_unref_page_prepare(m, page, pfn, order))
		return;
	migratetype = pcpmt = (int)page->index;
	/* Highatomic and CMA blocks share the movable list. */
	if (unlikely(migratetype >= MIGRATE_PCPTYPES))
		pcpmt = MIGRATE_MOVABLE;
	cpu = pcp_this_cpu(m, &host);
	pcp = &zone->per_cpu_pageset[cpu];
	if (likely(pcp_trylock(m, pcp, cpu, host))) {
		if (pcp_add_page(pcp, page, pcpmt, order))
			pcp_free_high(zone, pcp, order_to_pindex(pcpmt, order), order);
		pcp_unlock(pcp);
	} else {
		/* free_one_page(): the pageblock may have been isolated since prepare read it. */
		free_one_page_locked_entry(zone, page, pfn, order, migratetype);
	}
}

void pcp_free_high(struct zone *zone, struct per_cpu_pages *pcp, unsigned pindex, unsigned order)
{
	bool free_high = pcp->free_factor && order && order <= PAGE_ALLOC_COSTLY_ORDER;
	int high = nr_pcp_high(pcp, zone, free_high);

	if (pcp->count >= high)
		free_pcppages_bulk(zone, nr_pcp_free(pcp, high, pcp_batch(pcp), free_high), pcp,
				   (int)pindex);
}

/*
 * Whether the fast paths may run: only when no feature has work on them.
 * page_owner with the kernel's stacks takes the full path on purpose: its
 * records carry the stack, and the kernel's start prep_new_page <-
 * get_page_from_freelist <- __alloc_pages on every allocation, pcp hit or
 * not; a fast path recording from its own frame would split one call site
 * into two stacks in show_stacks and owner-sort.  With caller stacks
 * (page_owner_stack=caller, in effect only with pmm's own stack walk: see
 * page_owner_setup()) every path records from the entry point's frame, so
 * the fast paths run and call the hooks (FAST_EXTRA_OWNER).
 */
void pcp_fast_update(struct pmm *m)
{
	bool plain, free, leaf, caller_stacks;
	pmm_gfp_t extra;

	/* Everything is read under the lock, so the last of racing updates sees the latest state. */
	pmm_lock(&m->fast_lock);
	caller_stacks = m->page_owner && m->page_owner_caller_stacks;
	plain = m->fast.cpu_pcp && (!m->page_owner || caller_stacks) && !m->cfg.page_poison &&
		!m->cfg.debug_pagealloc && !tracepoints_need_full_path(m) && !m->fail &&
		!__atomic_load_n(&m->fail_nth_used, __ATOMIC_RELAXED) &&
		!m->guard_minorder;
#ifdef PMM_ASAN
	plain = false; /* frames are ASan-poisoned and unpoisoned on the full path */
#endif
	free = plain && (!m->init_on_free || m->skip_clear);
	leaf = __atomic_load_n(&m->fast.rseq, __ATOMIC_SEQ_CST) == PCP_RSEQ_USED &&
	       !__atomic_load_n(&m->fast.pinned, __ATOMIC_SEQ_CST);
	extra = (m->init_on_alloc && !m->skip_clear ? PMM___GFP_ZERO : 0) |
		(m->check_pages ? FAST_EXTRA_CHECKS : 0) | (caller_stacks ? FAST_EXTRA_OWNER : 0);
	__atomic_store_n(&m->fast.extra, extra, __ATOMIC_RELAXED);
	__atomic_store_n(&m->fast.alloc, plain, __ATOMIC_RELAXED);
	__atomic_store_n(&m->fast.free, free, __ATOMIC_RELAXED);
	/*
	 * The leaves add nothing to a block, so that a hit returns at once:
	 * zeroing for init_on_alloc and page_owner's caller stacks (which
	 * record an allocation after it and a free before the block goes on a
	 * list) are the general tier's, out of line.
	 */
	__atomic_store_n(&m->fast.leaf_alloc_cpus,
			 leaf && plain && !(extra & (PMM___GFP_ZERO | FAST_EXTRA_OWNER)) ?
				 m->fast.nr_cpus : 0,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&m->fast.leaf_free_cpus,
			 leaf && free && !m->page_owner ? m->fast.nr_cpus : 0, __ATOMIC_RELAXED);
	pmm_unlock(&m->fast_lock);
}

#define NR_ZONE_IDS (1u << (NODES_SHIFT + ZONES_SHIFT))

/*
 * The gfp class table: zone index and migratetype per zone/mobility bits.
 * build_all_zonelists() decides page_group_by_mobility_disabled, so the
 * table follows every rebuild (memory hotplug can cross its threshold).
 */
static void fast_gfp_update(struct pmm *m)
{
	struct pmm_fast *f = &m->fast;

	for (unsigned g = 0; g < sizeof(f->gfp); g++) {
		int hz = fast_gfp_zone[g & PMM_GFP_ZONEMASK];
		int mt = (int)((g & PMM_GFP_MOVABLE_MASK) >> 3);

		if (mobility_disabled(m))
			mt = MIGRATE_UNMOVABLE;
		__atomic_store_n(&f->gfp[g],
				 (signed char)(hz < 0 || mt >= MIGRATE_PCPTYPES ? -1 : hz << 2 | mt),
				 __ATOMIC_RELAXED);
	}
}

void pcp_fast_zonelists_update(struct pmm *m)
{
	struct pmm_fast *f = &m->fast;
	int nid;

	fast_gfp_update(m);
	if (!f->cpu_pcp)
		return;
	/* Entries are swapped whole while fast paths read them (memory hotplug). */
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		pg_data_t *pgdat = m->node_data[cpu_to_mem(m, c)];

		for (int hz = 0; hz < MAX_NR_ZONES; hz++) {
			struct zoneref *z = pgdat->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
			struct zone *zone;

			struct per_cpu_pages **slot = &f->cpu_pcp[c * MAX_NR_ZONES + (unsigned)hz];
			struct per_cpu_pages *pcp;

			while ((zone = zonelist_zone(z)) && zone->zone_idx > hz)
				z++;
			pcp = zone && zone->per_cpu_pageset ? &zone->per_cpu_pageset[c] : NULL;
			if (__atomic_load_n(slot, __ATOMIC_RELAXED) != pcp)
				__atomic_store_n(slot, pcp, __ATOMIC_RELEASE); /* fast_pcp()'s acquire */
		}
	}
	/*
	 * A zone's lists, once it has them, never change until teardown, and
	 * it has them before it has a frame to free: only a new one is
	 * stored, so the frees' plain loads of the entry (free_page_leaf())
	 * never meet a store, and still see it through the zone lock that
	 * handed them the frame.
	 */
	for_each_online_node(m, nid)
		for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
			struct per_cpu_pages **slot = &f->zone_pcp[(unsigned)nid << ZONES_SHIFT | z];
			struct per_cpu_pages *set = m->node_data[nid]->node_zones[z].per_cpu_pageset;

			if (__atomic_load_n(slot, __ATOMIC_RELAXED) != set)
				__atomic_store_n(slot, set, __ATOMIC_RELEASE);
		}
}

int pcp_fast_setup(struct pmm *m)
{
	struct pmm_fast *f = &m->fast;

	f->nr_cpus = m->nr_cpus;
	f->vmemmap = (uintptr_t)m->vmemmap;
#if PMM_HAVE_RSEQ_LOCK
	f->rseq_offset = __rseq_offset;
#endif
	/* The gfp table comes with the zone tables (pcp_fast_zonelists_update()). */
	if (!m->cfg.pcp)
		return 0;
	f->cpu_pcp = pmm_zalloc(m, sizeof(*f->cpu_pcp) * m->nr_cpus * MAX_NR_ZONES);
	f->zone_pcp = pmm_zalloc(m, sizeof(*f->zone_pcp) * NR_ZONE_IDS);
	f->nr_sections = m->nr_mem_sections;
	f->section_pb = pmm_zalloc(m, sizeof(*f->section_pb) * (f->nr_sections ? f->nr_sections : 1));
	if (!f->cpu_pcp || !f->zone_pcp || !f->section_pb) {
		pcp_fast_teardown(m);
		return -PMM_ENOMEM;
	}
	pcp_fast_zonelists_update(m);
	/*
	 * A section keeps its memmap and pageblock flags while it is online
	 * (memory hotplug clears its entry before it goes offline and sets it
	 * again at online, for boot and hot-added sections alike); the fast
	 * free path handles frames of online sections only.
	 */
	for (unsigned long nr = 0; nr < f->nr_sections; nr++) {
		struct mem_section *ms = nr_to_section(m, nr);

		if (ms && online_section(ms))
			f->section_pb[nr] = ms->usage->pageblock_flags;
	}
	pcp_fast_update(m);
	return 0;
}

void pcp_fast_teardown(struct pmm *m)
{
	struct pmm_fast *f = &m->fast;

	__atomic_store_n(&f->alloc, false, __ATOMIC_RELAXED);
	__atomic_store_n(&f->free, false, __ATOMIC_RELAXED);
	__atomic_store_n(&f->leaf_alloc_cpus, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->leaf_free_cpus, 0, __ATOMIC_RELAXED);
	pmm_free(m, f->cpu_pcp, sizeof(*f->cpu_pcp) * m->nr_cpus * MAX_NR_ZONES);
	pmm_free(m, f->zone_pcp, sizeof(*f->zone_pcp) * NR_ZONE_IDS);
	pmm_free(m, f->section_pb, sizeof(*f->section_pb) * (f->nr_sections ? f->nr_sections : 1));
	f->cpu_pcp = NULL;
	f->zone_pcp = NULL;
	f->section_pb = NULL;
}

/* Drain all of @cpu's pages in @zone, in chunks bounded like the kernel's. */
void drain_zone_pages_cpu(struct zone *zone, unsigned cpu)
{
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

	pcp_lock(zone->machine, pcp, cpu);
	while (pcp->count > 0) {
		int todo = MIN(pcp->count, pcp_batch(pcp) << PCP_BATCH_SCALE_MAX);
		free_pcppages_bulk(zone, todo, pcp, 0);
	}
	pcp_unlock(pcp);
}

/* A lockless peek at a CPU's count, as drain_all_pages() does: the drain rechecks. */
static data_race_fn bool pcp_has_pages(const struct per_cpu_pages *pcp)
{
	return pcp->count != 0;
}

bool pcp_drain_all(struct pmm *m)
{
	bool moved = false;
	int nid;

	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			if (!zone->per_cpu_pageset)
				continue;
			for (unsigned cpu = 0; cpu < m->nr_cpus; cpu++) {
				if (pcp_has_pages(&zone->per_cpu_pageset[cpu])) {
					drain_zone_pages_cpu(zone, cpu);
					moved = true;
				}
			}
		}
	return moved;
}

int zone_batchsize(const struct zone *zone)
{
	long batch = MIN(zone_managed_pages(zone) >> 10, (long)((1 << 20) / PAGE_SIZE));
	long x;

	batch /= 4;
	if (batch < 1)
		batch = 1;
	/* rounddown_pow_of_two(batch + batch/2) - 1 */
	x = batch + batch / 2;
	return (int)((1l << (63 - __builtin_clzl((unsigned long)x))) - 1);
}

/*
 * The node a CPU is on: the one node_cpus= names, which may have no memory
 * (a memoryless node, or one hotplug emptied); a CPU not named is spread
 * over the online nodes round-robin, cpu c on the (c % n)-th.  It decides
 * which zones are local to the CPU and how a zone's per-CPU high is split.
 */
int cpu_to_node(const struct pmm *m, unsigned cpu)
{
	int nr = m->nr_online_nodes, k = (int)(cpu % (unsigned)nr), nid;
	unsigned named = cpu < PMM_MAX_CPUS ? m->cfg.cpu_node[cpu] : 0;

	if (named)
		return (int)named - 1;
	for_each_online_node(m, nid)
		if (k-- == 0)
			return nid;
	return 0;
}

/*
 * @nid while it has memory, else the first node with memory in its
 * fallback order (Linux's "Fallback order for Node 2: 2 3 0 1").
 */
int node_mem_fallback(const struct pmm *m, int nid)
{
	unsigned long online = __atomic_load_n(&m->node_online_map, __ATOMIC_RELAXED);
	int nr = __atomic_load_n(&m->node_order_nr[nid], __ATOMIC_ACQUIRE);

	/* Its fallback order, as build_all_zonelists() last made it. */
	for (int k = 0; k < nr; k++) {
		int n = __atomic_load_n(&m->node_order[nid][k], __ATOMIC_RELAXED);

		if (online & (1ul << n))
			return n;
	}
	/* A node that had none yet: the next node id up with memory. */
	for (int k = 0; k < MAX_NUMNODES; k++)
		if (online & (1ul << ((nid + k) % MAX_NUMNODES)))
			return (nid + k) % MAX_NUMNODES;
	return nid;
}

/* The node a CPU allocates from first: the kernel's cpu_to_mem(). */
int cpu_to_mem(const struct pmm *m, unsigned cpu)
{
	return node_mem_fallback(m, cpu_to_node(m, cpu));
}

unsigned long nodes_with_cpus(const struct pmm *m)
{
	unsigned long mask = 0;

	for (unsigned c = 0; c < m->nr_cpus; c++)
		mask |= 1ul << cpu_to_node(m, c);
	return mask;
}

bool node_memoryless(const struct pmm *m, int nid)
{
	if (nid < 0 || nid >= MAX_NUMNODES || node_online(m, nid))
		return false;
	return nodes_with_cpus(m) & (1ul << nid);
}

int numa_node_id(const struct pmm *m)
{
	unsigned long online = __atomic_load_n(&m->node_online_map, __ATOMIC_RELAXED);

	/*
	 * One node with memory and no CPU named onto another (memoryless)
	 * node: every CPU is on it, no CPU lookup needed (the full path
	 * asks on every allocation, for the NUMA events).
	 */
	if (likely(m->nr_online_nodes == 1 && !(m->named_nodes & ~online)))
		return __builtin_ctzl(online);
	return cpu_to_node(m, pmm_this_cpu(m));
}

int numa_mem_id(const struct pmm *m)
{
	/* One node with memory: no CPU lookup needed. */
	if (likely(m->nr_online_nodes == 1))
		return __builtin_ctzl(m->node_online_map);
	return cpu_to_mem(m, pmm_this_cpu(m));
}

int zone_highsize(const struct pmm *m, const struct zone *zone, int batch)
{
	unsigned long total;
	int nr_split_cpus = 0;
	long high;

	if (!m->percpu_pagelist_high_fraction)
		total = low_wmark_pages(zone);
	else
		total = (unsigned long)zone_managed_pages(zone) /
			(unsigned long)m->percpu_pagelist_high_fraction;
	/* cpumask_of_node(): the node's CPUs, unless node_cpumask= says otherwise. */
	for (unsigned c = 0; c < m->nr_cpus; c++)
		if ((m->cfg.node_cpumask_set >> zone->node) & 1 ?
			    (m->cfg.node_cpumask[zone->node][c / 64] >> (c % 64)) & 1 :
			    cpu_to_node(m, c) == zone->node)
			nr_split_cpus++;
	if (!nr_split_cpus)
		nr_split_cpus = (int)m->nr_cpus;
	high = (long)(total / (unsigned long)nr_split_cpus);
	return (int)MAX(high, (long)batch << 2);
}

static void zone_set_pageset_high_and_batch(struct pmm *m, struct zone *zone)
{
	int new_batch = MAX(1, zone_batchsize(zone));
	int new_high = zone_highsize(m, zone, new_batch);

	zone->pageset_high = new_high;
	zone->pageset_batch = new_batch;
	if (!zone->per_cpu_pageset)
		return;
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[c];
		__atomic_store_n(&pcp->high, new_high, __ATOMIC_RELAXED);
		__atomic_store_n(&pcp->batch, new_batch, __ATOMIC_RELAXED);
	}
}

void zone_pcp_update_all(struct pmm *m)
{
	int nid;

	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			zone_set_pageset_high_and_batch(m, &m->node_data[nid]->node_zones[z]);
}

int setup_zone_pageset(struct pmm *m, struct zone *zone)
{
	struct per_cpu_pages *set = pmm_zalloc(m, sizeof(*set) * m->nr_cpus);

	if (!set)
		return -PMM_ENOMEM;
	if ((uintptr_t)set % CACHELINE) {
		/* The platform's allocator must honour struct alignment. */
		pmm_free(m, set, sizeof(*set) * m->nr_cpus);
		return -PMM_ENOMEM;
	}
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		set[c].node = cpu_to_node(m, c);
		set[c].zone_is_local = set[c].node == zone->node;
		set[c].zone = zone;
		for (int i = 0; i < NR_PCP_LISTS; i++)
			INIT_LIST_HEAD(&set[c].lists[i]);
	}
	/*
	 * The lists come with their high and batch, as the kernel's
	 * setup_zone_pageset() ends.  No one takes from or frees to them in
	 * between: at boot nothing else runs, and memory hotplug sets up only
	 * a zone without memory, which no zonelist or fast path table names
	 * until online rebuilds them.  sysctl_lock, as for every update of
	 * high/batch (a sysctl may be recomputing them for all zones).
	 */
	pmm_lock(&m->sysctl_lock);
	__atomic_store_n(&zone->per_cpu_pageset, set, __ATOMIC_RELEASE);
	zone_set_pageset_high_and_batch(m, zone);
	pmm_unlock(&m->sysctl_lock);
	return 0;
}

int pcp_setup(struct pmm *m)
{
	int nid, err;

	if (!m->cfg.pcp)
		return 0;
	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			if (!populated_zone(zone))
				continue;
			if ((err = setup_zone_pageset(m, zone)))
				return err;
		}
	return 0;
}

void pcp_teardown(struct pmm *m)
{
	int nid;

	pcp_fast_teardown(m);

	for_each_online_node(m, nid)
		for (int z = 0; m->node_data[nid] && z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];
			pmm_free(m, zone->per_cpu_pageset, sizeof(struct per_cpu_pages) * m->nr_cpus);
			zone->per_cpu_pageset = NULL;
		}
}

long pcp_alloc_bulk(struct zone *zone, struct zone *preferred, int migratetype,
		    unsigned alloc_flags, unsigned long nr, struct page **array,
		    struct page **prep)
{
	struct pmm *m = zone->machine;
	int host;
	unsigned cpu = pcp_this_cpu(m, &host);
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
	struct list_head *list = &pcp->lists[order_to_pindex(migratetype, 0)], bad;
	unsigned long taken = 0;

	/* "Is a parallel drain in progress?": the kernel's caller then takes one page. */
	if (unlikely(!pcp_trylock(m, pcp, cpu, host)))
		return -1;
	INIT_LIST_HEAD(&bad);
	for (unsigned long i = 0; i < nr;) {
		struct list_head *e = list->next;

		if (unlikely(e == list)) {
			if (!pcp_refill(zone, pcp, list, 0, migratetype, alloc_flags, &bad))
				break;
			e = list->next;
		}
		/*
		 * Take pages off the front, following lru.next alone, and
		 * relink the list once: each page then waits for one load,
		 * not for the store the previous one made to the list head.
		 */
		for (; i < nr && e != list; i++) {
			struct page *page;

			if (array[i])
				continue;
			page = list_entry(e, struct page, lru);
			e = e->next;
			if (unlikely(prep)) {
				page->lru.next = *prep ? &(*prep)->lru : NULL;
				*prep = page;
			} else
				set_page_count(page, 1); /* all prep_new_page() would do */
			array[i] = page;
			taken++;
		}
		list->next = e;
		e->prev = list;
		/* Filled slots at the end, or the list ran dry: refill or stop. */
		while (i < nr && array[i])
			i++;
	}
	pcp->count -= (int)taken;
	pcp_count_alloc(pcp, 0, taken, zone, preferred);
	pcp_unlock(pcp);
	report_bad_new_pages(m, &bad);
	return (long)taken;
}

struct per_cpu_pages *list_free_trylock(struct pmm *m, struct zone *zone)
{
	int host;
	unsigned cpu = pcp_this_cpu(m, &host);
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

	return likely(pcp_trylock(m, pcp, cpu, host)) ? pcp : NULL;
}

void free_unref_page_list(struct pmm *m, struct list_head *first)
{
	struct list_free lf = LIST_FREE_INIT;
	struct list_head *e, *next;

	for (e = first; e; e = next) {
		next = e->next; /* before the page goes on a per-CPU list */
		list_free_page(m, &lf, list_entry(e, struct page, lru));
	}
	if (lf.pcp)
		list_free_unlock(&lf);
}
