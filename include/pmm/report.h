/* SPDX-License-Identifier: MIT */
/*
 * The kernel's allocator reports, byte for byte in Linux 6.1's formats:
 *
 *   /proc/buddyinfo        free blocks per order, per populated zone
 *   /proc/pagetypeinfo     free blocks per migratetype and order, pageblocks
 *                          per migratetype, and (page_owner on) mixed blocks
 *   /proc/zoneinfo         every zone of every node: watermarks, sizes,
 *                          protection, counters, per-CPU lists
 *   /proc/vmstat           the 6.1 item list; items pmm does not model print 0
 *   extfrag/extfrag_index  debugfs fragmentation index per order
 *   extfrag/unusable_index debugfs unusable free space index per order
 *   /proc/meminfo          MemTotal, MemFree, MemAvailable, CommitLimit and the
 *                          huge page pools as the kernel computes them; what pmm
 *                          does not model (page cache, slab, swap) prints 0, and
 *                          the x86 DirectMap lines (the kernel's own page tables)
 *                          are left out
 *
 * Each report is a consistent reading per zone (taken under that zone's
 * lock), not an atomic snapshot of the whole machine: as in the kernel,
 * allocations on other threads may run between two zones.
 *
 * Thread safety: any thread may print any report at any time while the
 * machine is live.  pagetypeinfo with page_owner on drains every CPU's lists
 * first, as the kernel's does.
 */
#ifndef PMM_REPORT_H
#define PMM_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <pmm/api.h>

PMM_BEGIN_DECLS

struct pmm;

enum pmm_report {
	PMM_REPORT_BUDDYINFO,      /* "buddyinfo" */
	PMM_REPORT_PAGETYPEINFO,   /* "pagetypeinfo" */
	PMM_REPORT_ZONEINFO,       /* "zoneinfo" */
	PMM_REPORT_VMSTAT,         /* "vmstat" */
	PMM_REPORT_EXTFRAG_INDEX,  /* "extfrag_index" */
	PMM_REPORT_UNUSABLE_INDEX, /* "unusable_index" */
	PMM_REPORT_MEMINFO,        /* "meminfo" */
	PMM_REPORT_NR
};

/**
 * pmm_report_write() - print report @which of machine @m to @out.
 * Return: 0; -PMM_EINVAL for a NULL argument or an unknown report;
 * -PMM_ENOMEM when the bookkeeping for the reading cannot be allocated;
 * -PMM_EIO when writing to @out fails (part of the report may be written).
 * Context: process context; takes the machine's hotplug and sysctl locks and
 * each zone lock in turn, never while writing to @out.
 * Not in libpmm_freestanding (docs/freestanding.md), nor are the
 * other FILE * calls below: use the _snprint() forms.
 */
PMM_API int pmm_report_write(struct pmm *m, enum pmm_report which, FILE *out);

/**
 * pmm_report_snprint() - as pmm_report_write(), into @buf.
 * @buf, @size: receives at most @size - 1 characters and a NUL (nothing
 * when @size is 0; @buf may then be NULL).
 *
 * Return: the length of the whole report (as snprintf: a value >= @size
 * means the text was truncated; call again with a larger buffer, though the
 * report may have grown in between), or -PMM_EINVAL / -PMM_ENOMEM.
 * Context: as pmm_report_write().
 */
PMM_API long pmm_report_snprint(struct pmm *m, enum pmm_report which, char *buf, size_t size);

/**
 * pmm_report_name() - the file name of a report ("zoneinfo", "extfrag_index").
 * Return: a static string, or NULL for an unknown @which.
 * Context: any.
 */
PMM_API const char *pmm_report_name(enum pmm_report which);

/**
 * pmm_report_lookup() - the report called @name (as pmm_report_name() spells it).
 * Return: the enum pmm_report value, or -PMM_EINVAL.
 * Context: any.
 */
PMM_API int pmm_report_lookup(const char *name);

/*
 * One function per report; each is pmm_report_write() with @which fixed and
 * has the same contract.
 */
PMM_API int pmm_report_buddyinfo(struct pmm *m, FILE *out);
PMM_API int pmm_report_pagetypeinfo(struct pmm *m, FILE *out);
PMM_API int pmm_report_zoneinfo(struct pmm *m, FILE *out);
PMM_API int pmm_report_vmstat(struct pmm *m, FILE *out);
PMM_API int pmm_report_extfrag_index(struct pmm *m, FILE *out);
PMM_API int pmm_report_unusable_index(struct pmm *m, FILE *out);
PMM_API int pmm_report_meminfo(struct pmm *m, FILE *out);

/*
 * A node's files under /sys/devices/system/node/nodeN/, in Linux 6.1's
 * formats: meminfo ("Node N MemTotal: ..."; what pmm does not model is 0,
 * and the HugePages lines are the default size's pool on that node),
 * numastat (the NUMA events under their older names) and vmstat (the zone
 * counters, NUMA events and node counters of the node: the first lines of
 * /proc/vmstat, for that node alone).
 */
enum pmm_node_report {
	PMM_NODE_REPORT_MEMINFO,  /* "meminfo" */
	PMM_NODE_REPORT_NUMASTAT, /* "numastat" */
	PMM_NODE_REPORT_VMSTAT,   /* "vmstat" */
	PMM_NODE_REPORT_NR
};

/**
 * pmm_report_node_write() - print node @nid's file @which to @out.
 * Return: 0; -PMM_EINVAL for a NULL argument or an unknown @which;
 * -PMM_ENODEV when the kernel would have no directory for node @nid
 * (pmm_report_nodes()); -PMM_ENOMEM when the reading's bookkeeping
 * cannot be allocated; -PMM_EIO when writing to @out fails.
 * Context: process context; takes the machine's hotplug lock and the huge
 * page pool lock, never while writing to @out.
 * Not in libpmm_freestanding (docs/freestanding.md): use pmm_report_node_snprint().
 */
PMM_API int pmm_report_node_write(struct pmm *m, int nid, enum pmm_node_report which, FILE *out);

/**
 * pmm_report_node_snprint() - node @nid's file @which into @buf, as
 * snprintf(): at most @size - 1 characters and a NUL (nothing when @size
 * is 0).
 * Return: the length of the whole file (larger than @size - 1 when it was
 * cut), or pmm_report_node_write()'s errors but -PMM_EIO; -PMM_EINVAL also
 * for a NULL @buf with a nonzero @size.
 * Context: as pmm_report_node_write().
 */
PMM_API long pmm_report_node_snprint(struct pmm *m, int nid, enum pmm_node_report which,
				     char *buf, size_t size);

/**
 * pmm_report_nodes() - the nodes with a directory under
 * /sys/devices/system/node/: those with memory, and those with CPUs only.
 * Return: a mask, bit N for node N; 0 for a NULL @m.
 * Context: any thread; lock-free.
 */
PMM_API unsigned long pmm_report_nodes(struct pmm *m);

/**
 * pmm_node_report_name() - the file name of a node report ("numastat").
 * Return: a static string, or NULL for an unknown @which.
 * Context: any.
 */
PMM_API const char *pmm_node_report_name(enum pmm_node_report which);

PMM_END_DECLS

#endif
