// SPDX-License-Identifier: MIT
/*
 * Allocation-failure reporting: warn_alloc() and the per-zone free memory
 * summary it prints (__show_free_areas), plus NUMA hit/miss accounting.
 */
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define K(x) ((x) << (PAGE_SHIFT - 10))

void mod_numa_events(struct zone *zone, struct zone *preferred)
{
	struct pmm *m = zone->machine;
	int local = numa_node_id(m);

	if (zone->node == preferred->node) {
		__atomic_fetch_add(&zone->vm_numa_event[NUMA_HIT], 1, __ATOMIC_RELAXED);
	} else {
		/* zone_statistics(): on the preferred zone itself. */
		__atomic_fetch_add(&zone->vm_numa_event[NUMA_MISS], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&preferred->vm_numa_event[NUMA_FOREIGN], 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&zone->vm_numa_event[zone->node == local ? NUMA_LOCAL : NUMA_OTHER], 1,
			   __ATOMIC_RELAXED);
}

static size_t migration_types(char *buf, unsigned types)
{
	static const char letters[MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'C', 'I' };
	size_t n = 0;

	for (int i = 0; i < MIGRATE_TYPES; i++)
		if (types & (1u << i))
			buf[n++] = letters[i];
	buf[n] = 0;
	return n;
}

/* Diagnostics read counters other CPUs are changing: racy on purpose (data_race). */
static data_race_fn unsigned long zone_pcp_pages(const struct pmm *m, const struct zone *z)
{
	unsigned long n = 0;

	if (z->per_cpu_pageset)
		for (unsigned c = 0; c < m->nr_cpus; c++)
			n += (unsigned long)z->per_cpu_pageset[c].count;
	return n;
}

data_race_fn void show_free_areas(struct pmm *m)
{
	int nid;

	for_each_online_node(m, nid)
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->node_data[nid]->node_zones[zi];
			char line[1024];
			size_t n = 0;
			unsigned long total = 0;

			if (!populated_zone(z))
				continue;
			pr_warn(m,
				"Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB reserved_highatomic:%luKB active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB writepending:0kB present:%lukB managed:%lukB mlocked:0kB bounce:0kB free_pcp:%lukB local_pcp:%lukB free_cma:%lukB\n",
				nid, z->name, K((unsigned long)zone_page_state(z, NR_FREE_PAGES)),
				K(z->watermark_boost), K(min_wmark_pages(z)), K(low_wmark_pages(z)),
				K(high_wmark_pages(z)),
				K(z->nr_reserved_highatomic), K(z->present_pages),
				K((unsigned long)zone_managed_pages(z)), K(zone_pcp_pages(m, z)),
				z->per_cpu_pageset
					? K((unsigned long)z->per_cpu_pageset[pmm_this_cpu(m)].count)
					: 0ul,
				K((unsigned long)zone_page_state(z, NR_FREE_CMA_PAGES)));
			n = (size_t)snprintf(line, sizeof(line), "lowmem_reserve[]:");
			for (int j = 0; j < MAX_NR_ZONES; j++)
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %ld", z->lowmem_reserve[j]);
			pr_warn(m, "%s\n", line);

			n = (size_t)snprintf(line, sizeof(line), "Node %d %s: ", nid, z->name);
			pmm_lock(&z->lock);
			for (int o = 0; o < MAX_ORDER; o++) {
				unsigned long nr = z->free_area[o].nr_free;
				unsigned types = 0;
				char t[MIGRATE_TYPES + 1];

				total += nr << o;
				for (int mt = 0; mt < MIGRATE_TYPES; mt++)
					if (!list_empty(&z->free_area[o].free_list[mt]))
						types |= 1u << mt;
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%lu*%lukB ", nr,
						      K(1ul) << o);
				if (nr) {
					migration_types(t, types);
					n += (size_t)snprintf(line + n, sizeof(line) - n, "(%s) ", t);
				}
			}
			pmm_unlock(&z->lock);
			snprintf(line + n, sizeof(line) - n, "= %lukB", K(total));
			pr_warn(m, "%s\n", line);
		}
}

void warn_alloc(struct pmm *m, pmm_gfp_t gfp, unsigned order, const char *fmt, ...)
{
	char what[128], names[512], comm[16];
	va_list ap;
	int pid, tgid;
	bool show;

	(void)order;
	if (gfp & PMM___GFP_NOWARN)
		return;
	pmm_lock(&m->bad_page.lock);
	show = ratelimit_ok(m, &m->warn_alloc_rs);
	pmm_unlock(&m->bad_page.lock);
	if (!show)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	pmm_gfp_format(names, sizeof(names), gfp, PMM_KVER_6_1);
	m->plat->task(m->plat->ctx, &pid, &tgid, comm);
	pr_warn(m, "%.16s: %s, mode:0x%x(%s), nodemask=(null),cpuset=/,mems_allowed=0-%d\n", comm,
		what, gfp, names, m->nr_node_ids - 1);
	show_free_areas(m);
}

void warn_once_nofail(struct pmm *m, unsigned order, enum nofail_warn why)
{
	static const char *const what[] = {
		[NOFAIL_WARN_ORDER] = "(> 1)",
		[NOFAIL_WARN_NORECLAIM] = "without __GFP_DIRECT_RECLAIM: it can fail",
		[NOFAIL_WARN_MEMALLOC] = "from inside reclaim or compaction (PF_MEMALLOC): it can only wait",
		[NOFAIL_WARN_COSTLY] = "above the costly order (3)",
	};
	/* The kernel's WARN_ON_ONCE()s: each prints once per machine. */
	int bit = 1 << why;

	if (__atomic_fetch_or(&m->warned_nofail, bit, __ATOMIC_RELAXED) & bit)
		return;
	pr_warn(m, "WARNING: __GFP_NOFAIL allocation of order %u %s\n", order, what[why]);
}
