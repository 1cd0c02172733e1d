// SPDX-License-Identifier: MIT
/*
 * The fragmentation reports of Linux 6.1 mm/vmstat.c: /proc/buddyinfo,
 * /proc/pagetypeinfo and debugfs extfrag/{extfrag_index,unusable_index}
 * (reference §2.4, §2.5, §2.8), printed from a node_report.
 *
 * All four print only populated zones; pagetypeinfo and unusable_index
 * print nothing for a node without memory.  Field widths are the kernel's
 * and every line ends with the kernel's trailing blank.
 * Locking: none; the values were read beforehand (vmstat_read.c).
 */
#include "report/vmstat.h"

static bool mt_printed(const struct node_report *n, int mt)
{
	return mt != MIGRATE_CMA || n->has_cma;
}

void buddyinfo_show(struct seq_file *s, const struct node_report *n)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone_report *z = &n->zone[zi];

		if (!z->populated)
			continue;
		seq_printf(s, "Node %d, zone %8s ", n->nid, z->name);
		for (int order = 0; order < MAX_ORDER; order++)
			seq_printf(s, "%6lu ", z->nr_free[order]);
		seq_putc(s, '\n');
	}
}

static void blocks_row(struct seq_file *s, const struct node_report *n, const char *name,
		       const unsigned long count[MIGRATE_TYPES])
{
	seq_printf(s, "Node %d, zone %8s ", n->nid, name);
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		if (mt_printed(n, mt))
			seq_printf(s, "%12lu ", count[mt]);
	seq_putc(s, '\n');
}

static void blocks_header(struct seq_file *s, const struct node_report *n, const char *title)
{
	seq_printf(s, "\n%-23s", title);
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		if (mt_printed(n, mt))
			seq_printf(s, "%12s ", migratetype_names[mt]);
	seq_putc(s, '\n');
}

void pagetypeinfo_show(struct seq_file *s, const struct node_report *n)
{
	if (!n->has_memory)
		return;
	seq_printf(s, "Page block order: %d\n", pageblock_order);
	seq_printf(s, "Pages per block:  %lu\n", (unsigned long)pageblock_nr_pages);
	seq_putc(s, '\n');

	seq_printf(s, "%-43s ", "Free pages count per migrate type at order");
	for (int order = 0; order < MAX_ORDER; order++)
		seq_printf(s, "%6d ", order);
	seq_putc(s, '\n');
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone_report *z = &n->zone[zi];

		if (!z->populated)
			continue;
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			if (!mt_printed(n, mt))
				continue;
			seq_printf(s, "Node %4d, zone %8s, type %12s ", n->nid, z->name,
				   migratetype_names[mt]);
			for (int order = 0; order < MAX_ORDER; order++) {
				unsigned long c = z->free_count[mt][order];

				seq_printf(s, "%s%6lu ", c >= FREECOUNT_CAP ? ">" : "",
					   c >= FREECOUNT_CAP ? FREECOUNT_CAP : c);
			}
			seq_putc(s, '\n');
		}
	}

	blocks_header(s, n, "Number of blocks type ");
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (n->zone[zi].populated)
			blocks_row(s, n, n->zone[zi].name, n->zone[zi].blocks);

	if (!n->show_mixed)
		return;
	blocks_header(s, n, "Number of mixed blocks ");
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (n->zone[zi].populated)
			blocks_row(s, n, n->zone[zi].name, n->zone[zi].mixed);
}

/* ---------------------------------------------------------------- extfrag */

struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

static void fill_contig_page_info(const unsigned long nr_free[MAX_ORDER], unsigned suitable_order,
				  struct contig_page_info *info)
{
	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (unsigned order = 0; order < MAX_ORDER; order++) {
		unsigned long blocks = nr_free[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

int unusable_free_index(const unsigned long nr_free[MAX_ORDER], unsigned order)
{
	struct contig_page_info info;

	fill_contig_page_info(nr_free, order, &info);
	/* No free memory counts as all of it unusable. */
	if (!info.free_pages)
		return 1000;
	return (int)((info.free_pages - (info.free_blocks_suitable << order)) * 1000ull /
		     info.free_pages);
}

int fragmentation_index(const unsigned long nr_free[MAX_ORDER], unsigned order)
{
	struct contig_page_info info;
	unsigned long requested = 1ul << order;

	if (order >= MAX_ORDER)
		return 0;
	fill_contig_page_info(nr_free, order, &info);
	if (!info.free_blocks_total)
		return 0;
	/* The index only means something when the request would fail. */
	if (info.free_blocks_suitable)
		return -1000;
	return (int)(1000 - (1000 + info.free_pages * 1000ull / requested) /
				    info.free_blocks_total);
}

static void index_show(struct seq_file *s, const struct node_report *n, bool extfrag)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone_report *z = &n->zone[zi];

		if (!z->populated)
			continue;
		seq_printf(s, "Node %d, zone %8s ", n->nid, z->name);
		for (unsigned order = 0; order < MAX_ORDER; order++) {
			int index;

			if (extfrag) {
				index = fragmentation_index(z->nr_free, order);
				seq_printf(s, "%2d.%03d ", index / 1000, index % 1000);
			} else {
				index = unusable_free_index(z->nr_free, order);
				seq_printf(s, "%d.%03d ", index / 1000, index % 1000);
			}
		}
		seq_putc(s, '\n');
	}
}

void extfrag_show(struct seq_file *s, const struct node_report *n)
{
	index_show(s, n, true);
}

void unusable_show(struct seq_file *s, const struct node_report *n)
{
	if (!n->has_memory)
		return;
	index_show(s, n, false);
}
