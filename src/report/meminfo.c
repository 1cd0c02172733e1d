// SPDX-License-Identifier: MIT
/*
 * /proc/meminfo as Linux 6.1's meminfo_proc_show() prints it on the x86-64
 * build the shared captures ran (CONFIG_ZSWAP and CONFIG_TRANSPARENT_HUGEPAGE
 * on; no HIGHMEM, CMA or MEMORY_FAILURE lines), read from a machine
 * (meminfo_read) and printed (meminfo_show) in two steps, as the other
 * reports are (vmstat.h).
 *
 * What pmm has, it counts: MemTotal (managed pages), MemFree, MemAvailable
 * (si_mem_available() with no page cache or reclaimable slab), Mlocked and
 * Bounce (zone counters), CommitLimit (vm_commit_limit() at the default
 * overcommit_ratio of 50), the HugePages lines of the default huge page
 * size and Hugetlb.  What it has not (page cache, anon, slab, swap, vmalloc,
 * per-CPU areas) prints 0, as /proc/vmstat's unmodelled items do.  VmallocTotal
 * is the 4-level x86-64 vmalloc area's size.  The DirectMap lines
 * (arch_report_meminfo()) describe the kernel's own page tables: pmm has no
 * direct map, so a machine's report has none; the printer prints them when
 * given (a real kernel's numbers, in the tests).
 */
#include <string.h>

#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "report/vmstat.h"

/* How a line prints: a size, or a huge page count. */
enum { MI_KB, MI_COUNT };

static const struct {
	const char *label;
	unsigned char kind;
} meminfo_lines[NR_MEMINFO] = {
	[MI_MEMTOTAL] = { "MemTotal:", MI_KB },
	[MI_MEMFREE] = { "MemFree:", MI_KB },
	[MI_MEMAVAILABLE] = { "MemAvailable:", MI_KB },
	[MI_BUFFERS] = { "Buffers:", MI_KB },
	[MI_CACHED] = { "Cached:", MI_KB },
	[MI_SWAPCACHED] = { "SwapCached:", MI_KB },
	[MI_ACTIVE] = { "Active:", MI_KB },
	[MI_INACTIVE] = { "Inactive:", MI_KB },
	[MI_ACTIVE_ANON] = { "Active(anon):", MI_KB },
	[MI_INACTIVE_ANON] = { "Inactive(anon):", MI_KB },
	[MI_ACTIVE_FILE] = { "Active(file):", MI_KB },
	[MI_INACTIVE_FILE] = { "Inactive(file):", MI_KB },
	[MI_UNEVICTABLE] = { "Unevictable:", MI_KB },
	[MI_MLOCKED] = { "Mlocked:", MI_KB },
	[MI_SWAPTOTAL] = { "SwapTotal:", MI_KB },
	[MI_SWAPFREE] = { "SwapFree:", MI_KB },
	[MI_ZSWAP] = { "Zswap:", MI_KB },
	[MI_ZSWAPPED] = { "Zswapped:", MI_KB },
	[MI_DIRTY] = { "Dirty:", MI_KB },
	[MI_WRITEBACK] = { "Writeback:", MI_KB },
	[MI_ANONPAGES] = { "AnonPages:", MI_KB },
	[MI_MAPPED] = { "Mapped:", MI_KB },
	[MI_SHMEM] = { "Shmem:", MI_KB },
	[MI_KRECLAIMABLE] = { "KReclaimable:", MI_KB },
	[MI_SLAB] = { "Slab:", MI_KB },
	[MI_SRECLAIMABLE] = { "SReclaimable:", MI_KB },
	[MI_SUNRECLAIM] = { "SUnreclaim:", MI_KB },
	[MI_KERNELSTACK] = { "KernelStack:", MI_KB },
	[MI_PAGETABLES] = { "PageTables:", MI_KB },
	[MI_SECPAGETABLES] = { "SecPageTables:", MI_KB },
	[MI_NFS_UNSTABLE] = { "NFS_Unstable:", MI_KB },
	[MI_BOUNCE] = { "Bounce:", MI_KB },
	[MI_WRITEBACKTMP] = { "WritebackTmp:", MI_KB },
	[MI_COMMITLIMIT] = { "CommitLimit:", MI_KB },
	[MI_COMMITTED_AS] = { "Committed_AS:", MI_KB },
	[MI_VMALLOCTOTAL] = { "VmallocTotal:", MI_KB },
	[MI_VMALLOCUSED] = { "VmallocUsed:", MI_KB },
	[MI_VMALLOCCHUNK] = { "VmallocChunk:", MI_KB },
	[MI_PERCPU] = { "Percpu:", MI_KB },
	[MI_ANONHUGEPAGES] = { "AnonHugePages:", MI_KB },
	[MI_SHMEMHUGEPAGES] = { "ShmemHugePages:", MI_KB },
	[MI_SHMEMPMDMAPPED] = { "ShmemPmdMapped:", MI_KB },
	[MI_FILEHUGEPAGES] = { "FileHugePages:", MI_KB },
	[MI_FILEPMDMAPPED] = { "FilePmdMapped:", MI_KB },
	[MI_HUGEPAGES_TOTAL] = { "HugePages_Total:", MI_COUNT },
	[MI_HUGEPAGES_FREE] = { "HugePages_Free:", MI_COUNT },
	[MI_HUGEPAGES_RSVD] = { "HugePages_Rsvd:", MI_COUNT },
	[MI_HUGEPAGES_SURP] = { "HugePages_Surp:", MI_COUNT },
	[MI_HUGEPAGESIZE] = { "Hugepagesize:", MI_KB },
	[MI_HUGETLB] = { "Hugetlb:", MI_KB },
	[MI_DIRECTMAP4K] = { "DirectMap4k:", MI_KB },
	[MI_DIRECTMAP2M] = { "DirectMap2M:", MI_KB },
	[MI_DIRECTMAP1G] = { "DirectMap1G:", MI_KB },
};

const char *meminfo_label(unsigned i)
{
	return i < NR_MEMINFO ? meminfo_lines[i].label : NULL;
}

/* 4-level x86-64: VMALLOC_END - VMALLOC_START, 32 TiB less one byte, in kB. */
#define VMALLOC_TOTAL_KB ((32ull << 30) - 1)

/* The overcommit_ratio sysctl's default (mm/util.c). */
#define OVERCOMMIT_RATIO 50

long si_mem_available_pages(unsigned long free, unsigned long totalreserve,
			    unsigned long wmark_low, unsigned long pagecache,
			    unsigned long reclaimable)
{
	long available = (long)free - (long)totalreserve;

	/* Half the page cache, or the low watermarks' worth, is not available. */
	pagecache -= pagecache / 2 < wmark_low ? pagecache / 2 : wmark_low;
	available += (long)pagecache;
	available += (long)(reclaimable - (reclaimable / 2 < wmark_low ? reclaimable / 2 : wmark_low));
	return available < 0 ? 0 : available;
}

unsigned long vm_commit_limit_pages(unsigned long totalram, unsigned long hugetlb_pages,
				    unsigned long swap_pages)
{
	return (totalram - hugetlb_pages) * OVERCOMMIT_RATIO / 100 + swap_pages;
}

void meminfo_read(struct pmm *m, struct meminfo_report *r)
{
	unsigned long free = 0, mlock = 0, bounce = 0, wmark_low = 0, totalram = 0, totalreserve;
	struct hugetlb_meminfo h;
	int nid;

	memset(r, 0, sizeof(*r));
	for_each_online_node(m, nid) {
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone *zone = &m->node_data[nid]->node_zones[zi];

			free += (unsigned long)zone_page_state(zone, NR_FREE_PAGES);
			mlock += (unsigned long)zone_page_state(zone, NR_MLOCK);
			bounce += (unsigned long)zone_page_state(zone, NR_BOUNCE);
			totalram += (unsigned long)zone_managed_pages(zone);
			wmark_low += low_wmark_pages(zone); /* the boost counts */
		}
	}
	pmm_lock(&m->sysctl_lock);
	totalreserve = m->totalreserve_pages;
	pmm_unlock(&m->sysctl_lock);
	hugetlb_meminfo(m, -1, &h);

#define KB(pages) ((pages) << (PAGE_SHIFT - 10))
	r->v[MI_MEMTOTAL] = KB(totalram);
	r->v[MI_MEMFREE] = KB(free);
	r->v[MI_MEMAVAILABLE] = KB((unsigned long)si_mem_available_pages(free, totalreserve, wmark_low, 0, 0));
	r->v[MI_MLOCKED] = KB(mlock);
	r->v[MI_BOUNCE] = KB(bounce);
	r->v[MI_COMMITLIMIT] = KB(vm_commit_limit_pages(totalram, h.total_pages, 0));
	r->v[MI_VMALLOCTOTAL] = VMALLOC_TOTAL_KB;
	r->v[MI_HUGEPAGES_TOTAL] = h.nr;
	r->v[MI_HUGEPAGES_FREE] = h.nr_free;
	r->v[MI_HUGEPAGES_RSVD] = h.resv;
	r->v[MI_HUGEPAGES_SURP] = h.surplus;
	r->v[MI_HUGEPAGESIZE] = KB(1ul << h.order);
	r->v[MI_HUGETLB] = KB(h.total_pages);
#undef KB
	r->nr_directmap = 0;
}

void meminfo_show(struct seq_file *s, const struct meminfo_report *r)
{
	unsigned n = MI_DIRECTMAP4K + (r->nr_directmap <= 3 ? r->nr_directmap : 3);

	for (unsigned i = 0; i < n; i++) {
		if (meminfo_lines[i].kind == MI_COUNT)
			seq_printf(s, "%-16s   %5lu\n", meminfo_lines[i].label, r->v[i]);
		else
			seq_printf(s, "%-16s%8lu kB\n", meminfo_lines[i].label, r->v[i]);
	}
}

/*
 * node_read_meminfo() and hugetlb_report_node_meminfo(): each label with
 * the padding its format string gives it (FileHugePages and FilePmdMapped
 * have one space less than the rest).
 */
static const char *const node_meminfo_lines[NR_NODE_MEMINFO] = {
	[NMI_MEMTOTAL] = "MemTotal:       ",
	[NMI_MEMFREE] = "MemFree:        ",
	[NMI_MEMUSED] = "MemUsed:        ",
	[NMI_SWAPCACHED] = "SwapCached:     ",
	[NMI_ACTIVE] = "Active:         ",
	[NMI_INACTIVE] = "Inactive:       ",
	[NMI_ACTIVE_ANON] = "Active(anon):   ",
	[NMI_INACTIVE_ANON] = "Inactive(anon): ",
	[NMI_ACTIVE_FILE] = "Active(file):   ",
	[NMI_INACTIVE_FILE] = "Inactive(file): ",
	[NMI_UNEVICTABLE] = "Unevictable:    ",
	[NMI_MLOCKED] = "Mlocked:        ",
	[NMI_DIRTY] = "Dirty:          ",
	[NMI_WRITEBACK] = "Writeback:      ",
	[NMI_FILEPAGES] = "FilePages:      ",
	[NMI_MAPPED] = "Mapped:         ",
	[NMI_ANONPAGES] = "AnonPages:      ",
	[NMI_SHMEM] = "Shmem:          ",
	[NMI_KERNELSTACK] = "KernelStack:    ",
	[NMI_PAGETABLES] = "PageTables:     ",
	[NMI_SECPAGETABLES] = "SecPageTables:  ",
	[NMI_NFS_UNSTABLE] = "NFS_Unstable:   ",
	[NMI_BOUNCE] = "Bounce:         ",
	[NMI_WRITEBACKTMP] = "WritebackTmp:   ",
	[NMI_KRECLAIMABLE] = "KReclaimable:   ",
	[NMI_SLAB] = "Slab:           ",
	[NMI_SRECLAIMABLE] = "SReclaimable:   ",
	[NMI_SUNRECLAIM] = "SUnreclaim:     ",
	[NMI_ANONHUGEPAGES] = "AnonHugePages:  ",
	[NMI_SHMEMHUGEPAGES] = "ShmemHugePages: ",
	[NMI_SHMEMPMDMAPPED] = "ShmemPmdMapped: ",
	[NMI_FILEHUGEPAGES] = "FileHugePages: ",
	[NMI_FILEPMDMAPPED] = "FilePmdMapped: ",
	[NMI_HUGEPAGES_TOTAL] = "HugePages_Total: ",
	[NMI_HUGEPAGES_FREE] = "HugePages_Free:  ",
	[NMI_HUGEPAGES_SURP] = "HugePages_Surp:  ",
};

const char *node_meminfo_label(unsigned i)
{
	return i < NR_NODE_MEMINFO ? node_meminfo_lines[i] : NULL;
}

void node_meminfo_show(struct seq_file *s, const struct node_files *f)
{
	for (unsigned i = 0; i < NR_NODE_MEMINFO; i++) {
		if (i >= NMI_HUGEPAGES_TOTAL)
			seq_printf(s, "Node %d %s%5lu\n", f->nid, node_meminfo_lines[i], f->meminfo[i]);
		else
			seq_printf(s, "Node %d %s%8lu kB\n", f->nid, node_meminfo_lines[i], f->meminfo[i]);
	}
}

void node_numastat_show(struct seq_file *s, const struct node_files *f)
{
	/* node_read_numastat(): the NUMA events under their older names */
	static const char *const names[NR_VM_NUMA_EVENT_ITEMS] = {
		"numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node",
	};
	const unsigned long *numa = f->vmstat + NR_VM_ZONE_STAT_ITEMS;

	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		seq_printf(s, "%s %lu\n", names[i], numa[i]);
}

void node_vmstat_show(struct seq_file *s, const struct node_files *f)
{
	unsigned i = 0;

	for (int k = 0; k < NR_VM_ZONE_STAT_ITEMS; k++)
		seq_printf(s, "%s %lu\n", zone_stat_names[k], f->vmstat[i++]);
	for (int k = 0; k < NR_VM_NUMA_EVENT_ITEMS; k++)
		seq_printf(s, "%s %lu\n", numa_stat_names[k], f->vmstat[i++]);
	for (int k = 0; k < NR_VM_NODE_STAT_ITEMS; k++)
		seq_printf(s, "%s %lu\n", node_stat_names[k], f->vmstat[i++]);
}
