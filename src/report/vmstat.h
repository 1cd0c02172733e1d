/* SPDX-License-Identifier: MIT */
/*
 * The reports of mm/vmstat.c, split in two steps:
 *
 *   read  (vmstat_read.c)  machine -> struct node_report / vmstat values,
 *                          under the machine's locks, no output;
 *   show  (vmstat_show.c, frag_show.c)  those values -> the kernel's text,
 *                          no locks, no machine.
 *
 * The split keeps printing (which may block on a stream) out of every lock,
 * and lets tests feed a real kernel's numbers through the printers and get
 * the real kernel's files back byte for byte.
 *
 * Migratetype columns: the kernel prints one column per MIGRATE_TYPES of its
 * build, so CMA appears only when the build has CMA (has_cma).
 */
#ifndef PMM_REPORT_VMSTAT_H
#define PMM_REPORT_VMSTAT_H

#include <stdbool.h>

#include "mm/mmzone.h"
#include "report/seq.h"

struct pmm;

/* node_stat_item of a 6.1 x86-64 build (Debian config), in print order. */
#define NR_VM_NODE_STAT_ITEMS 43
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS];

/* pagetypeinfo stops counting a free list here and prints ">100000". */
#define FREECOUNT_CAP 100000ul

struct pcp_report {
	int count;
	int high;
	int batch;
	int stat_threshold;     /* "vm stats threshold" */
};

struct zone_report {
	const char *name;
	bool populated;
	/* buddyinfo, extfrag */
	unsigned long nr_free[MAX_ORDER];
	/* pagetypeinfo: list lengths, capped at FREECOUNT_CAP (then ">") */
	unsigned long free_count[MIGRATE_TYPES][MAX_ORDER];
	unsigned long blocks[MIGRATE_TYPES];
	unsigned long mixed[MIGRATE_TYPES];
	/* zoneinfo */
	unsigned long free_pages, boost, min, low, high;
	unsigned long spanned, present, managed, cma;
	long protection[MAX_NR_ZONES];
	unsigned long zone_stat[NR_VM_ZONE_STAT_ITEMS];
	unsigned long numa[NR_VM_NUMA_EVENT_ITEMS];
	const struct pcp_report *pcp;   /* [nr_cpus] of the node report */
	unsigned long start_pfn;
};

struct node_report {
	int nid;
	bool has_memory;                /* N_MEMORY: pagetypeinfo skips others */
	bool has_cma;                   /* the build's MIGRATE_TYPES include CMA */
	bool show_mixed;                /* page_owner on: "Number of mixed blocks" */
	unsigned nr_cpus;               /* online CPUs: one pageset each */
	bool node_unreclaimable;
	unsigned long node_stat[NR_VM_NODE_STAT_ITEMS];
	struct zone_report zone[MAX_NR_ZONES];
};

/* ---------------------------------------------------------------- /proc/vmstat */

/* What a /proc/vmstat line counts, for the values pmm has. */
enum vmstat_src {
	VS_ZERO,            /* not modelled by pmm */
	VS_ZONE_STAT,       /* idx: zone_stat_item, summed over zones */
	VS_NUMA,            /* idx: numa_stat_item, summed over zones */
	VS_NODE_STAT,       /* idx: node_stat_names[] */
	VS_DIRTY_THRESH,
	VS_DIRTY_BG_THRESH,
	VS_ZONE_EVENT,      /* idx: zone_event_item, zone in .zone */
	VS_EVENT,           /* idx: zone_event_item, summed over zones */
};

struct vmstat_item {
	const char *name;
	unsigned char src;  /* enum vmstat_src */
	unsigned char idx;
	unsigned char zone; /* VS_ZONE_EVENT: the zone index */
};

extern const struct vmstat_item vmstat_items[];
extern const unsigned nr_vmstat_items;

/* ---------------------------------------------------------------- formulas */


/*
 * global_dirty_limits() with the default ratios (dirty 20%, background 10%):
 * @free and @file pages, @totalreserve the allocator's reserve.
 */
void global_dirty_limits(unsigned long free, unsigned long file, unsigned long totalreserve,
			 unsigned long *background, unsigned long *dirty);

/* The two debugfs extfrag indices for @order, in thousandths. */
int unusable_free_index(const unsigned long nr_free[MAX_ORDER], unsigned order);
int fragmentation_index(const unsigned long nr_free[MAX_ORDER], unsigned order);

/* ---------------------------------------------------------------- /proc/meminfo */

/* Its lines, in print order (meminfo.c). */
enum meminfo_item {
	MI_MEMTOTAL, MI_MEMFREE, MI_MEMAVAILABLE, MI_BUFFERS, MI_CACHED, MI_SWAPCACHED,
	MI_ACTIVE, MI_INACTIVE, MI_ACTIVE_ANON, MI_INACTIVE_ANON, MI_ACTIVE_FILE,
	MI_INACTIVE_FILE, MI_UNEVICTABLE, MI_MLOCKED, MI_SWAPTOTAL, MI_SWAPFREE, MI_ZSWAP,
	MI_ZSWAPPED, MI_DIRTY, MI_WRITEBACK, MI_ANONPAGES, MI_MAPPED, MI_SHMEM,
	MI_KRECLAIMABLE, MI_SLAB, MI_SRECLAIMABLE, MI_SUNRECLAIM, MI_KERNELSTACK,
	MI_PAGETABLES, MI_SECPAGETABLES, MI_NFS_UNSTABLE, MI_BOUNCE, MI_WRITEBACKTMP,
	MI_COMMITLIMIT, MI_COMMITTED_AS, MI_VMALLOCTOTAL, MI_VMALLOCUSED, MI_VMALLOCCHUNK,
	MI_PERCPU, MI_ANONHUGEPAGES, MI_SHMEMHUGEPAGES, MI_SHMEMPMDMAPPED, MI_FILEHUGEPAGES,
	MI_FILEPMDMAPPED, MI_HUGEPAGES_TOTAL, MI_HUGEPAGES_FREE, MI_HUGEPAGES_RSVD,
	MI_HUGEPAGES_SURP, MI_HUGEPAGESIZE, MI_HUGETLB, MI_DIRECTMAP4K, MI_DIRECTMAP2M,
	MI_DIRECTMAP1G, NR_MEMINFO
};

struct meminfo_report {
	unsigned long v[NR_MEMINFO]; /* as printed: kB, or a count of huge pages */
	unsigned nr_directmap;       /* DirectMap lines to print: 0, 2 or 3 (with 1G) */
};

/* "MemTotal:" and the like; NULL beyond the last. */
const char *meminfo_label(unsigned i);

/*
 * si_mem_available() in pages: @free less the allocator's reserve, plus
 * the page cache and reclaimable kernel memory less half of each (at most
 * the zones' summed low watermarks); never below 0.
 */
long si_mem_available_pages(unsigned long free, unsigned long totalreserve,
			    unsigned long wmark_low, unsigned long pagecache,
			    unsigned long reclaimable);

/* vm_commit_limit() with overcommit_kbytes unset and the default ratio (50%). */
unsigned long vm_commit_limit_pages(unsigned long totalram, unsigned long hugetlb_pages,
				    unsigned long swap_pages);

/* ---------------------------------------------------------------- /sys/devices/system/node/nodeN/ */

/* node_read_meminfo()'s lines, in print order (meminfo.c). */
enum node_meminfo_item {
	NMI_MEMTOTAL, NMI_MEMFREE, NMI_MEMUSED, NMI_SWAPCACHED, NMI_ACTIVE, NMI_INACTIVE,
	NMI_ACTIVE_ANON, NMI_INACTIVE_ANON, NMI_ACTIVE_FILE, NMI_INACTIVE_FILE, NMI_UNEVICTABLE,
	NMI_MLOCKED, NMI_DIRTY, NMI_WRITEBACK, NMI_FILEPAGES, NMI_MAPPED, NMI_ANONPAGES, NMI_SHMEM,
	NMI_KERNELSTACK, NMI_PAGETABLES, NMI_SECPAGETABLES, NMI_NFS_UNSTABLE, NMI_BOUNCE,
	NMI_WRITEBACKTMP, NMI_KRECLAIMABLE, NMI_SLAB, NMI_SRECLAIMABLE, NMI_SUNRECLAIM,
	NMI_ANONHUGEPAGES, NMI_SHMEMHUGEPAGES, NMI_SHMEMPMDMAPPED, NMI_FILEHUGEPAGES,
	NMI_FILEPMDMAPPED, NMI_HUGEPAGES_TOTAL, NMI_HUGEPAGES_FREE, NMI_HUGEPAGES_SURP,
	NR_NODE_MEMINFO
};

/* A node's vmstat: the zone counters, the NUMA events, the node counters (/proc/vmstat's first lines). */
#define NR_NODE_VMSTAT (NR_VM_ZONE_STAT_ITEMS + NR_VM_NUMA_EVENT_ITEMS + NR_VM_NODE_STAT_ITEMS)

/* The three files of one node, as printed. */
struct node_files {
	int nid;
	unsigned long meminfo[NR_NODE_MEMINFO]; /* kB, or a count of huge pages */
	unsigned long vmstat[NR_NODE_VMSTAT];   /* numastat prints its NUMA events */
};

/* "MemTotal:       " and the like, padded as printed; NULL beyond the last. */
const char *node_meminfo_label(unsigned i);

/* ---------------------------------------------------------------- printers */

void buddyinfo_show(struct seq_file *s, const struct node_report *n);
void pagetypeinfo_show(struct seq_file *s, const struct node_report *n);
void zoneinfo_show(struct seq_file *s, const struct node_report *n);
void extfrag_show(struct seq_file *s, const struct node_report *n);
void unusable_show(struct seq_file *s, const struct node_report *n);
/* @v[i] is the value of vmstat_items[i]. */
void vmstat_show(struct seq_file *s, const unsigned long *v);
void meminfo_show(struct seq_file *s, const struct meminfo_report *r);
void node_meminfo_show(struct seq_file *s, const struct node_files *f);
void node_numastat_show(struct seq_file *s, const struct node_files *f);
void node_vmstat_show(struct seq_file *s, const struct node_files *f);

/* ---------------------------------------------------------------- readers */

enum {
	READ_FREE_LISTS = 1u << 0,  /* free_count[][] */
	READ_BLOCKS = 1u << 1,      /* blocks[], mixed[] */
	READ_ZONEINFO = 1u << 2,    /* watermarks, sizes, counters, pagesets */
};

/*
 * A memoryless node: online in the kernel's sense (a CPU is on it,
 * node_cpus=) but with no memory, hence no pgdat in pmm.  Its report has
 * every zone empty, as /proc/zoneinfo prints it; the other reports skip it
 * (node_memoryless() says which nodes those are).
 */
void node_report_memoryless(const struct pmm *m, int nid, struct node_report *n);

/*
 * node_report_read() - fill @n for node @nid of @m; @pcp has room for
 * pmm_nr_cpus(m) entries per zone (MAX_NR_ZONES * nr_cpus), or is NULL
 * without READ_ZONEINFO.
 */
void node_report_read(struct pmm *m, int nid, unsigned what, struct node_report *n,
		      struct pcp_report *pcp);
/* vmstat_read() - the values of every vmstat_items[] line. */
void vmstat_read(struct pmm *m, unsigned long *v);
/* meminfo_read() - /proc/meminfo's values of @m (no DirectMap lines). */
void meminfo_read(struct pmm *m, struct meminfo_report *r);
/*
 * node_files_read() - the values of node @nid's meminfo, numastat and
 * vmstat: a node with memory, or one with CPUs only (all zeros but its huge
 * pages, none), as sysfs has a directory for each.
 * Return: 0, or -PMM_ENODEV for any other @nid.
 */
int node_files_read(struct pmm *m, int nid, struct node_files *f);
/* The nodes node_files_read() takes, as a mask. */
unsigned long node_files_nodes(struct pmm *m);

#endif
