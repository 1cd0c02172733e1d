// SPDX-License-Identifier: MIT
/*
 * /proc/zoneinfo and /proc/vmstat as Linux 6.1 prints them (mm/vmstat.c
 * zoneinfo_show_print(), vmstat_text[], vmstat_show(); reference §2.6, §2.7),
 * and the formulas behind two of their numbers: the per-CPU counter
 * threshold and the dirty limits.
 *
 * The item lists are those of the 6.1 x86-64 build the shared captures come
 * from (Debian config: NUMA, ZONE_DEVICE, SWAP, NUMA_BALANCING, THP with PUD,
 * COMPACTION, MIGRATION, HUGETLB, KSM, ZSWAP; no ZSMALLOC, no CMA, no
 * memory balloon), so a pmm report lines up with that kernel's line for
 * line.  Items pmm does not model print 0 where the kernel would print them.
 * Locking: none; the values were read beforehand (vmstat_read.c).
 */
#include "report/vmstat.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = {
	"nr_free_pages",
	"nr_zone_inactive_anon",
	"nr_zone_active_anon",
	"nr_zone_inactive_file",
	"nr_zone_active_file",
	"nr_zone_unevictable",
	"nr_zone_write_pending",
	"nr_mlock",
	"nr_bounce",
	"nr_free_cma",
};

const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
};

const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	"nr_inactive_anon",
	"nr_active_anon",
	"nr_inactive_file",
	"nr_active_file",
	"nr_unevictable",
	"nr_slab_reclaimable",
	"nr_slab_unreclaimable",
	"nr_isolated_anon",
	"nr_isolated_file",
	"workingset_nodes",
	"workingset_refault_anon",
	"workingset_refault_file",
	"workingset_activate_anon",
	"workingset_activate_file",
	"workingset_restore_anon",
	"workingset_restore_file",
	"workingset_nodereclaim",
	"nr_anon_pages",
	"nr_mapped",
	"nr_file_pages",
	"nr_dirty",
	"nr_writeback",
	"nr_writeback_temp",
	"nr_shmem",
	"nr_shmem_hugepages",
	"nr_shmem_pmdmapped",
	"nr_file_hugepages",
	"nr_file_pmdmapped",
	"nr_anon_transparent_hugepages",
	"nr_vmscan_write",
	"nr_vmscan_immediate_reclaim",
	"nr_dirtied",
	"nr_written",
	"nr_throttled_written",
	"nr_kernel_misc_reclaimable",
	"nr_foll_pin_acquired",
	"nr_foll_pin_released",
	"nr_kernel_stack",
	"nr_page_table_pages",
	"nr_sec_page_table_pages",
	"nr_swapcached",
	"pgpromote_success",
	"pgpromote_candidate",
};

/* ---------------------------------------------------------------- /proc/vmstat */

#define ZONE_STAT(i) { NULL, VS_ZONE_STAT, i, 0 }
#define ZERO(n) { n, VS_ZERO, 0, 0 }
#define PER_ZONE(prefix, ev)                                                      \
	{ prefix "_dma", VS_ZONE_EVENT, ev, ZONE_DMA },                           \
	{ prefix "_dma32", VS_ZONE_EVENT, ev, ZONE_DMA32 },                       \
	{ prefix "_normal", VS_ZONE_EVENT, ev, ZONE_NORMAL },                     \
	{ prefix "_movable", VS_ZONE_EVENT, ev, ZONE_MOVABLE },                   \
	{ prefix "_device", VS_ZONE_EVENT, ev, ZONE_DEVICE }
/* Counted nowhere in pmm: a per-zone event slot that is always zero. */
#define NR_ZONE_EVENTS_NONE NR_ZONE_EVENTS

/*
 * The table starts with the zone, NUMA and node stat items, whose names come
 * from the arrays above (vmstat_item_name()); events follow, by name.
 */
const struct vmstat_item vmstat_items[] = {
	ZONE_STAT(NR_FREE_PAGES),
	ZONE_STAT(NR_ZONE_INACTIVE_ANON),
	ZONE_STAT(NR_ZONE_ACTIVE_ANON),
	ZONE_STAT(NR_ZONE_INACTIVE_FILE),
	ZONE_STAT(NR_ZONE_ACTIVE_FILE),
	ZONE_STAT(NR_ZONE_UNEVICTABLE),
	ZONE_STAT(NR_ZONE_WRITE_PENDING),
	ZONE_STAT(NR_MLOCK),
	ZONE_STAT(NR_BOUNCE),
	ZONE_STAT(NR_FREE_CMA_PAGES),
#define NUMA(i) { NULL, VS_NUMA, i, 0 }
	NUMA(NUMA_HIT), NUMA(NUMA_MISS), NUMA(NUMA_FOREIGN),
	NUMA(NUMA_INTERLEAVE_HIT), NUMA(NUMA_LOCAL), NUMA(NUMA_OTHER),
#define NODE(i) { NULL, VS_NODE_STAT, i, 0 }
	NODE(0), NODE(1), NODE(2), NODE(3), NODE(4), NODE(5), NODE(6), NODE(7), NODE(8),
	NODE(9), NODE(10), NODE(11), NODE(12), NODE(13), NODE(14), NODE(15), NODE(16),
	NODE(17), NODE(18), NODE(19), NODE(20), NODE(21), NODE(22), NODE(23), NODE(24),
	NODE(25), NODE(26), NODE(27), NODE(28), NODE(29), NODE(30), NODE(31), NODE(32),
	NODE(33), NODE(34), NODE(35), NODE(36), NODE(37), NODE(38), NODE(39), NODE(40),
	NODE(41), NODE(42),
	{ "nr_dirty_threshold", VS_DIRTY_THRESH, 0, 0 },
	{ "nr_dirty_background_threshold", VS_DIRTY_BG_THRESH, 0, 0 },

	/* enum vm_event_item */
	ZERO("pgpgin"), ZERO("pgpgout"), ZERO("pswpin"), ZERO("pswpout"),
	PER_ZONE("pgalloc", EV_PGALLOC),
	PER_ZONE("allocstall", EV_ALLOCSTALL),
	PER_ZONE("pgskip", NR_ZONE_EVENTS_NONE),
	{ "pgfree", VS_EVENT, EV_PGFREE, 0 },
	ZERO("pgactivate"), ZERO("pgdeactivate"), ZERO("pglazyfree"),
	ZERO("pgfault"), ZERO("pgmajfault"), ZERO("pglazyfreed"),
	{ "pgrefill", VS_EVENT, EV_PGREFILL, 0 },
	ZERO("pgreuse"),
	ZERO("pgsteal_kswapd"), ZERO("pgsteal_direct"),
	ZERO("pgdemote_kswapd"), ZERO("pgdemote_direct"),
	ZERO("pgscan_kswapd"), ZERO("pgscan_direct"), ZERO("pgscan_direct_throttle"),
	ZERO("pgscan_anon"), ZERO("pgscan_file"), ZERO("pgsteal_anon"), ZERO("pgsteal_file"),
	ZERO("zone_reclaim_failed"),
	ZERO("pginodesteal"), ZERO("slabs_scanned"), ZERO("kswapd_inodesteal"),
	ZERO("kswapd_low_wmark_hit_quickly"), ZERO("kswapd_high_wmark_hit_quickly"),
	ZERO("pageoutrun"),
	ZERO("pgrotated"),
	ZERO("drop_pagecache"), ZERO("drop_slab"), ZERO("oom_kill"),
	ZERO("numa_pte_updates"), ZERO("numa_huge_pte_updates"), ZERO("numa_hint_faults"),
	ZERO("numa_hint_faults_local"), ZERO("numa_pages_migrated"),
	ZERO("pgmigrate_success"), ZERO("pgmigrate_fail"),
	ZERO("thp_migration_success"), ZERO("thp_migration_fail"), ZERO("thp_migration_split"),
	ZERO("compact_migrate_scanned"), ZERO("compact_free_scanned"), ZERO("compact_isolated"),
	{ "compact_stall", VS_EVENT, EV_COMPACTSTALL, 0 },
	{ "compact_fail", VS_EVENT, EV_COMPACTFAIL, 0 },
	{ "compact_success", VS_EVENT, EV_COMPACTSUCCESS, 0 },
	ZERO("compact_daemon_wake"), ZERO("compact_daemon_migrate_scanned"),
	ZERO("compact_daemon_free_scanned"),
	{ "htlb_buddy_alloc_success", VS_EVENT, EV_HTLB_BUDDY_PGALLOC, 0 },
	{ "htlb_buddy_alloc_fail", VS_EVENT, EV_HTLB_BUDDY_PGALLOC_FAIL, 0 },
	ZERO("unevictable_pgs_culled"), ZERO("unevictable_pgs_scanned"),
	ZERO("unevictable_pgs_rescued"), ZERO("unevictable_pgs_mlocked"),
	ZERO("unevictable_pgs_munlocked"), ZERO("unevictable_pgs_cleared"),
	ZERO("unevictable_pgs_stranded"),
	ZERO("thp_fault_alloc"), ZERO("thp_fault_fallback"), ZERO("thp_fault_fallback_charge"),
	ZERO("thp_collapse_alloc"), ZERO("thp_collapse_alloc_failed"),
	ZERO("thp_file_alloc"), ZERO("thp_file_fallback"), ZERO("thp_file_fallback_charge"),
	ZERO("thp_file_mapped"), ZERO("thp_split_page"), ZERO("thp_split_page_failed"),
	ZERO("thp_deferred_split_page"), ZERO("thp_split_pmd"),
	ZERO("thp_scan_exceed_none_pte"), ZERO("thp_scan_exceed_swap_pte"),
	ZERO("thp_scan_exceed_share_pte"), ZERO("thp_split_pud"),
	ZERO("thp_zero_page_alloc"), ZERO("thp_zero_page_alloc_failed"),
	ZERO("thp_swpout"), ZERO("thp_swpout_fallback"),
	ZERO("swap_ra"), ZERO("swap_ra_hit"),
	ZERO("ksm_swpin_copy"), ZERO("cow_ksm"),
	ZERO("zswpin"), ZERO("zswpout"),
	ZERO("direct_map_level2_splits"), ZERO("direct_map_level3_splits"),
};
const unsigned nr_vmstat_items = ARRAY_SIZE(vmstat_items);

static const char *vmstat_item_name(const struct vmstat_item *it)
{
	switch (it->src) {
	case VS_ZONE_STAT:
		return zone_stat_names[it->idx];
	case VS_NUMA:
		return numa_stat_names[it->idx];
	case VS_NODE_STAT:
		return node_stat_names[it->idx];
	default:
		return it->name;
	}
}

void vmstat_show(struct seq_file *s, const unsigned long *v)
{
	for (unsigned i = 0; i < nr_vmstat_items; i++)
		seq_printf(s, "%s %lu\n", vmstat_item_name(&vmstat_items[i]), v[i]);
	/* Deprecated, kept so that old parsers still find it. */
	seq_puts(s, "nr_unstable 0\n");
}

/* ---------------------------------------------------------------- formulas */

/* vm_dirty_ratio and dirty_background_ratio at their defaults. */
#define VM_DIRTY_RATIO 20ul
#define DIRTY_BACKGROUND_RATIO 10ul

void global_dirty_limits(unsigned long free, unsigned long file, unsigned long totalreserve,
			 unsigned long *background, unsigned long *dirty)
{
	/* global_dirtyable_memory(): memory the allocator does not hold back. */
	unsigned long avail = free - (free < totalreserve ? free : totalreserve) + file + 1;
	/* The kernel turns the ratios into 1/PAGE_SIZE units first, truncating. */
	unsigned long ratio = VM_DIRTY_RATIO * PAGE_SIZE / 100;
	unsigned long bg_ratio = DIRTY_BACKGROUND_RATIO * PAGE_SIZE / 100;
	unsigned long thresh = ratio * avail / PAGE_SIZE;
	unsigned long bg_thresh = bg_ratio * avail / PAGE_SIZE;

	if (bg_thresh >= thresh)
		bg_thresh = thresh / 2;
	*background = bg_thresh;
	*dirty = thresh;
}

/* ---------------------------------------------------------------- /proc/zoneinfo */

static bool is_zone_first_populated(const struct node_report *n, int zi)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (n->zone[i].populated)
			return i == zi;
	return false;
}

static void zoneinfo_show_print(struct seq_file *s, const struct node_report *n, int zi)
{
	const struct zone_report *z = &n->zone[zi];

	seq_printf(s, "Node %d, zone %8s", n->nid, z->name);
	if (is_zone_first_populated(n, zi)) {
		seq_puts(s, "\n  per-node stats");
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			seq_printf(s, "\n      %-12s %lu", node_stat_names[i], n->node_stat[i]);
	}
	seq_printf(s, "\n  pages free     %lu", z->free_pages);
	seq_printf(s, "\n        boost    %lu", z->boost);
	seq_printf(s, "\n        min      %lu", z->min);
	seq_printf(s, "\n        low      %lu", z->low);
	seq_printf(s, "\n        high     %lu", z->high);
	seq_printf(s, "\n        spanned  %lu", z->spanned);
	seq_printf(s, "\n        present  %lu", z->present);
	seq_printf(s, "\n        managed  %lu", z->managed);
	seq_printf(s, "\n        cma      %lu", z->cma);
	seq_printf(s, "\n        protection: (%ld", z->protection[0]);
	for (int i = 1; i < MAX_NR_ZONES; i++)
		seq_printf(s, ", %ld", z->protection[i]);
	seq_putc(s, ')');

	/* The rest says nothing about a zone without pages. */
	if (!z->populated) {
		seq_putc(s, '\n');
		return;
	}
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		seq_printf(s, "\n      %-12s %lu", zone_stat_names[i], z->zone_stat[i]);
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		seq_printf(s, "\n      %-12s %lu", numa_stat_names[i], z->numa[i]);

	seq_puts(s, "\n  pagesets");
	for (unsigned cpu = 0; cpu < n->nr_cpus; cpu++) {
		const struct pcp_report *p = &z->pcp[cpu];

		seq_printf(s,
			   "\n    cpu: %u"
			   "\n              count: %d"
			   "\n              high:  %d"
			   "\n              batch: %d",
			   cpu, p->count, p->high, p->batch);
		seq_printf(s, "\n  vm stats threshold: %d", p->stat_threshold);
	}
	seq_printf(s,
		   "\n  node_unreclaimable:  %u"
		   "\n  start_pfn:           %lu",
		   n->node_unreclaimable ? 1u : 0u, z->start_pfn);
	seq_putc(s, '\n');
}

void zoneinfo_show(struct seq_file *s, const struct node_report *n)
{
	/* Every zone, populated or not: protection shows lowmem_reserve_ratio's effect. */
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		zoneinfo_show_print(s, n, zi);
}
