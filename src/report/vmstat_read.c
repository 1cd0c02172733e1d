// SPDX-License-Identifier: MIT
/*
 * Reading a machine for the vmstat reports: the values buddyinfo,
 * pagetypeinfo, zoneinfo, extfrag and vmstat print, gathered under the
 * locks that guard them and copied out, so that printing holds no lock.
 *
 * Counters live in two places, as in the kernel: the zone's atomics and
 * each CPU's per_cpu_pages events (allocations and NUMA hits taken on the
 * per-CPU fast path); a reading sums both, as fold_vm_zone_numa_events()
 * and sum_vm_events() do.
 *
 * Locking: the machine's hotplug_lock across a node (zone spans and the
 * memmap the pageblock walk touches stay put), then per zone sysctl_lock
 * (lowmem_reserve, watermarks, pageset high/batch), zone->lock (free
 * areas, boost) and each pcp->lock in turn for its count; the order of
 * internal.h.  The mixed-block walk (page_owner) runs after the zone locks,
 * still under the hotplug lock.
 */
#include <string.h>

#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "report/vmstat.h"

/* Per-CPU event slot that feeds each NUMA item (none for interleave). */
static const int numa_pcp_event[NR_VM_NUMA_EVENT_ITEMS] = {
	[NUMA_HIT] = PCP_NUMA_HIT,
	[NUMA_MISS] = PCP_NUMA_MISS,
	[NUMA_FOREIGN] = -1, /* counted on the preferred zone */
	[NUMA_INTERLEAVE_HIT] = -1,
	[NUMA_LOCAL] = PCP_NUMA_LOCAL,
	[NUMA_OTHER] = PCP_NUMA_OTHER,
};

static unsigned long pcp_event_sum(const struct pmm *m, const struct zone *zone, int ev)
{
	unsigned long sum = 0;

	if (ev < 0 || !zone->per_cpu_pageset)
		return 0;
	for (unsigned cpu = 0; cpu < m->nr_cpus; cpu++)
		sum += pcp_event_read(&zone->per_cpu_pageset[cpu], (enum pcp_event)ev);
	return sum;
}

static unsigned long zone_numa_event_state(const struct pmm *m, const struct zone *zone, int item)
{
	return __atomic_load_n(&zone->vm_numa_event[item], __ATOMIC_RELAXED) +
	       pcp_event_sum(m, zone, numa_pcp_event[item]);
}

static unsigned long zone_event_state(const struct pmm *m, const struct zone *zone, int ev)
{
	unsigned long sum;

	if (ev >= NR_ZONE_EVENTS)
		return 0;
	sum = __atomic_load_n(&zone->vm_events[ev], __ATOMIC_RELAXED);
	if (ev == EV_PGALLOC)
		sum += pcp_event_sum(m, zone, PCP_PGALLOC);
	else if (ev == EV_PGFREE)
		sum += pcp_event_sum(m, zone, PCP_PGFREE);
	return sum;
}

static unsigned long free_list_count(const struct list_head *head)
{
	const struct list_head *pos;
	unsigned long n = 0;

	/* Capped, as the kernel caps it: a debugging count need not be exact. */
	list_for_each(pos, head)
		if (++n >= FREECOUNT_CAP)
			break;
	return n;
}

static void pcp_read(struct pmm *m, struct zone *zone, struct pcp_report *pcp)
{
	int threshold = __atomic_load_n(&zone->stat_threshold, __ATOMIC_RELAXED);

	for (unsigned cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct pcp_report *r = &pcp[cpu];

		if (zone->per_cpu_pageset) {
			struct per_cpu_pages *p = &zone->per_cpu_pageset[cpu];

			pcp_lock(m, p, cpu);
			r->count = p->count;
			/* Written with atomic stores by pageset updates, which skip the lock. */
			r->high = __atomic_load_n(&p->high, __ATOMIC_RELAXED);
			r->batch = __atomic_load_n(&p->batch, __ATOMIC_RELAXED);
			pcp_unlock(p);
		} else {
			/* Per-CPU lists off: the kernel's boot pageset, which caches nothing. */
			r->count = 0;
			r->high = 0;
			r->batch = 1;
		}
		r->stat_threshold = threshold;
	}
}

static void zone_read(struct pmm *m, struct zone *zone, int zi, unsigned what,
		      struct zone_report *r, struct pcp_report *pcp)
{
	r->name = zone_names[zi];
	r->populated = populated_zone(zone);
	r->spanned = zone->spanned_pages;
	r->present = zone->present_pages;
	r->start_pfn = zone->zone_start_pfn;
	r->cma = zone->cma_pages;

	pmm_lock(&m->sysctl_lock);
	memcpy(r->protection, zone->lowmem_reserve, sizeof(r->protection));
	pmm_lock(&zone->lock);
	for (int order = 0; order < MAX_ORDER; order++) {
		r->nr_free[order] = zone->free_area[order].nr_free;
		if (what & READ_FREE_LISTS)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				r->free_count[mt][order] =
					free_list_count(&zone->free_area[order].free_list[mt]);
	}
	r->boost = zone->watermark_boost;
	r->min = min_wmark_pages(zone);
	r->low = low_wmark_pages(zone);
	r->high = high_wmark_pages(zone);
	pmm_unlock(&zone->lock);
	r->managed = (unsigned long)zone_managed_pages(zone);
	if ((what & READ_ZONEINFO) && r->populated) {
		r->pcp = pcp;
		pcp_read(m, zone, pcp);
	}
	pmm_unlock(&m->sysctl_lock);

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		r->zone_stat[i] = (unsigned long)zone_page_state(zone, (enum zone_stat_item)i);
	r->free_pages = r->zone_stat[NR_FREE_PAGES];
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		r->numa[i] = zone_numa_event_state(m, zone, i);
}

/*
 * pagetypeinfo_showblockcount_print(): sample one pfn per pageblock from the
 * zone start (not necessarily block-aligned) and count its block's type.
 */
static void blocks_read(struct pmm *m, struct zone *zone, unsigned long count[MIGRATE_TYPES])
{
	unsigned long end = zone_end_pfn(zone);

	for (unsigned long pfn = zone->zone_start_pfn; pfn < end; pfn += pageblock_nr_pages) {
		struct page *page = pfn_to_online_page(m, pfn);
		int mt;

		if (!page || page_zone_racy(m, page) != zone)
			continue;
		mt = get_pfnblock_migratetype(m, pfn);
		if (mt < MIGRATE_TYPES)
			count[mt]++;
	}
}

void node_report_memoryless(const struct pmm *m, int nid, struct node_report *n)
{
	memset(n, 0, sizeof(*n));
	n->nid = nid;
	n->nr_cpus = m->nr_cpus;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		n->zone[zi].name = zone_names[zi];
}

void node_report_read(struct pmm *m, int nid, unsigned what, struct node_report *n,
		      struct pcp_report *pcp)
{
	pg_data_t *pgdat = m->node_data[nid];

	memset(n, 0, sizeof(*n));
	n->nid = nid;
	n->nr_cpus = m->nr_cpus;
	/* pmm has no CMA areas: it prints as a kernel built without CMA. */
	n->has_cma = false;
	n->node_unreclaimable = false;
	n->show_mixed = (what & READ_BLOCKS) && m->debug_hooks.mixed_blocks;

	pmm_lock(&m->hotplug_lock);
	/* Memory hotplug changes it, under the lock. */
	n->has_memory = pgdat->node_present_pages != 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *zone = &pgdat->node_zones[zi];

		zone_read(m, zone, zi, what, &n->zone[zi], pcp ? pcp + (size_t)zi * m->nr_cpus : NULL);
		if ((what & READ_BLOCKS) && n->zone[zi].populated)
			blocks_read(m, zone, n->zone[zi].blocks);
	}
	if (n->show_mixed) {
		/*
		 * Pages on per-CPU lists look allocated to page_owner: return
		 * them first.  Still under the hotplug lock: the walk touches
		 * the memmap of every section the zone spans.
		 */
		pcp_drain_all(m);
		for (int zi = 0; zi < MAX_NR_ZONES; zi++)
			if (n->zone[zi].populated)
				m->debug_hooks.mixed_blocks(m, &pgdat->node_zones[zi], n->zone[zi].mixed);
	}
	pmm_unlock(&m->hotplug_lock);
}

void vmstat_read(struct pmm *m, unsigned long *v)
{
	long zone_stat[NR_VM_ZONE_STAT_ITEMS] = { 0 };
	unsigned long numa[NR_VM_NUMA_EVENT_ITEMS] = { 0 };
	unsigned long events[MAX_NR_ZONES][NR_ZONE_EVENTS] = { { 0 } };
	unsigned long totalreserve, dirty, background;
	int nid;

	for_each_online_node(m, nid) {
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *zone = &m->node_data[nid]->node_zones[zi];

			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
				zone_stat[i] += __atomic_load_n(&zone->vm_stat[i], __ATOMIC_RELAXED);
			for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
				numa[i] += zone_numa_event_state(m, zone, i);
			for (int i = 0; i < NR_ZONE_EVENTS; i++)
				events[zi][i] += zone_event_state(m, zone, i);
		}
	}
	/* Racing updates may leave a sum briefly negative; the kernel shows 0. */
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (zone_stat[i] < 0)
			zone_stat[i] = 0;

	pmm_lock(&m->sysctl_lock);
	totalreserve = m->totalreserve_pages;
	pmm_unlock(&m->sysctl_lock);
	/* pmm has no page cache: no file pages count as dirtyable. */
	global_dirty_limits((unsigned long)zone_stat[NR_FREE_PAGES], 0, totalreserve, &background,
			    &dirty);

	for (unsigned i = 0; i < nr_vmstat_items; i++) {
		const struct vmstat_item *it = &vmstat_items[i];

		switch (it->src) {
		case VS_ZONE_STAT:
			v[i] = (unsigned long)zone_stat[it->idx];
			break;
		case VS_NUMA:
			v[i] = numa[it->idx];
			break;
		case VS_DIRTY_THRESH:
			v[i] = dirty;
			break;
		case VS_DIRTY_BG_THRESH:
			v[i] = background;
			break;
		case VS_ZONE_EVENT:
			v[i] = it->idx < NR_ZONE_EVENTS ? events[it->zone][it->idx] : 0;
			break;
		case VS_EVENT:
			v[i] = 0;
			for (int zi = 0; zi < MAX_NR_ZONES; zi++)
				v[i] += events[zi][it->idx];
			break;
		default: /* VS_ZERO, VS_NODE_STAT: not modelled */
			v[i] = 0;
			break;
		}
	}
}

unsigned long node_files_nodes(struct pmm *m)
{
	return __atomic_load_n(&m->node_online_map, __ATOMIC_RELAXED) | nodes_with_cpus(m);
}

int node_files_read(struct pmm *m, int nid, struct node_files *f)
{
	unsigned long *zs = f->vmstat, *numa = f->vmstat + NR_VM_ZONE_STAT_ITEMS;
	unsigned long managed = 0;
	struct hugetlb_meminfo h;

	memset(f, 0, sizeof(*f));
	f->nid = nid;
	if (nid < 0 || nid >= MAX_NUMNODES || !(node_files_nodes(m) & (1ul << nid)))
		return -PMM_ENODEV;
	/* A node with CPUs only has no pgdat in pmm: every counter is 0. */
	pmm_lock(&m->hotplug_lock);
	if (node_online(m, nid)) {
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone *zone = &m->node_data[nid]->node_zones[zi];

			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
				zs[i] += (unsigned long)zone_page_state(zone, (enum zone_stat_item)i);
			for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
				numa[i] += zone_numa_event_state(m, zone, i);
			managed += (unsigned long)zone_managed_pages(zone);
		}
	}
	pmm_unlock(&m->hotplug_lock);
	/* The node counters (page cache, anon, slab) are not modelled: 0. */
	hugetlb_meminfo(m, nid, &h);
#define KB(pages) ((pages) << (PAGE_SHIFT - 10))
	f->meminfo[NMI_MEMTOTAL] = KB(managed);
	f->meminfo[NMI_MEMFREE] = KB(zs[NR_FREE_PAGES]);
	f->meminfo[NMI_MEMUSED] = KB(managed - (zs[NR_FREE_PAGES] < managed ? zs[NR_FREE_PAGES] : managed));
	f->meminfo[NMI_MLOCKED] = KB(zs[NR_MLOCK]);
	f->meminfo[NMI_BOUNCE] = KB(zs[NR_BOUNCE]);
	f->meminfo[NMI_HUGEPAGES_TOTAL] = h.nr;
	f->meminfo[NMI_HUGEPAGES_FREE] = h.nr_free;
	f->meminfo[NMI_HUGEPAGES_SURP] = h.surplus;
#undef KB
	return 0;
}
