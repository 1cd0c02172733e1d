// SPDX-License-Identifier: MIT
/*
 * The public report entry points (<pmm/report.h>): pick a report, read each
 * online node into a node_report (vmstat_read.c) and print it (frag_show.c,
 * vmstat_show.c), one node at a time, to a stream or a buffer.
 *
 * Locking: see vmstat_read.c; nothing is held while printing.
 */
#include <string.h>

#include <pmm/report.h>
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "report/seq.h"
#include "report/vmstat.h"

static const char *const report_names[PMM_REPORT_NR] = {
	[PMM_REPORT_BUDDYINFO] = "buddyinfo",
	[PMM_REPORT_PAGETYPEINFO] = "pagetypeinfo",
	[PMM_REPORT_ZONEINFO] = "zoneinfo",
	[PMM_REPORT_VMSTAT] = "vmstat",
	[PMM_REPORT_EXTFRAG_INDEX] = "extfrag_index",
	[PMM_REPORT_UNUSABLE_INDEX] = "unusable_index",
	[PMM_REPORT_MEMINFO] = "meminfo",
};

const char *pmm_report_name(enum pmm_report which)
{
	return (unsigned)which < PMM_REPORT_NR ? report_names[which] : NULL;
}

int pmm_report_lookup(const char *name)
{
	if (!name)
		return -PMM_EINVAL;
	for (int i = 0; i < PMM_REPORT_NR; i++)
		if (!strcmp(name, report_names[i]))
			return i;
	return -PMM_EINVAL;
}

static int report_vmstat(struct pmm *m, struct seq_file *s)
{
	size_t size = nr_vmstat_items * sizeof(unsigned long);
	unsigned long *v = pmm_zalloc(m, size);

	if (!v)
		return -PMM_ENOMEM;
	vmstat_read(m, v);
	vmstat_show(s, v);
	pmm_free(m, v, size);
	return 0;
}

static int report_meminfo(struct pmm *m, struct seq_file *s)
{
	struct meminfo_report *r = pmm_zalloc(m, sizeof(*r));

	if (!r)
		return -PMM_ENOMEM;
	meminfo_read(m, r);
	meminfo_show(s, r);
	pmm_free(m, r, sizeof(*r));
	return 0;
}

static int report_nodes(struct pmm *m, enum pmm_report which, struct seq_file *s)
{
	static const unsigned what[PMM_REPORT_NR] = {
		[PMM_REPORT_PAGETYPEINFO] = READ_FREE_LISTS | READ_BLOCKS,
		[PMM_REPORT_ZONEINFO] = READ_ZONEINFO,
	};
	size_t pcp_size = 0;
	struct pcp_report *pcp = NULL;
	struct node_report *n;
	unsigned long cpus = nodes_with_cpus(m); /* a memoryless node has CPUs */
	int nid;

	n = pmm_zalloc(m, sizeof(*n));
	if (!n)
		return -PMM_ENOMEM;
	if (what[which] & READ_ZONEINFO) {
		pcp_size = sizeof(*pcp) * MAX_NR_ZONES * m->nr_cpus;
		pcp = pmm_zalloc(m, pcp_size);
		if (!pcp) {
			pmm_free(m, n, sizeof(*n));
			return -PMM_ENOMEM;
		}
	}
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		if (!(m->node_online_map & (1ul << nid))) {
			/* A memoryless node: only zoneinfo shows it. */
			if ((cpus & (1ul << nid)) && which == PMM_REPORT_ZONEINFO) {
				node_report_memoryless(m, nid, n);
				zoneinfo_show(s, n);
			}
			continue;
		}
		node_report_read(m, nid, what[which], n, pcp);
		switch (which) {
		case PMM_REPORT_BUDDYINFO:
			buddyinfo_show(s, n);
			break;
		case PMM_REPORT_PAGETYPEINFO:
			pagetypeinfo_show(s, n);
			break;
		case PMM_REPORT_ZONEINFO:
			zoneinfo_show(s, n);
			break;
		case PMM_REPORT_EXTFRAG_INDEX:
			extfrag_show(s, n);
			break;
		case PMM_REPORT_UNUSABLE_INDEX:
			unusable_show(s, n);
			break;
		default:
			break;
		}
	}
	if (pcp)
		pmm_free(m, pcp, pcp_size);
	pmm_free(m, n, sizeof(*n));
	return 0;
}

static int report(struct pmm *m, enum pmm_report which, struct seq_file *s)
{
	if (!m || (unsigned)which >= PMM_REPORT_NR)
		return -PMM_EINVAL;
	if (which == PMM_REPORT_VMSTAT)
		return report_vmstat(m, s);
	if (which == PMM_REPORT_MEMINFO)
		return report_meminfo(m, s);
	return report_nodes(m, which, s);
}

#ifndef PMM_FREESTANDING /* the stream entry points; buffers below */
int pmm_report_write(struct pmm *m, enum pmm_report which, FILE *out)
{
	struct seq_file s;
	int err;

	if (!out)
		return -PMM_EINVAL;
	seq_init_file(&s, out);
	err = report(m, which, &s);
	if (!err && !s.err && fflush(out))
		s.err = -PMM_EIO;
	return err ? err : s.err;
}
#endif

long pmm_report_snprint(struct pmm *m, enum pmm_report which, char *buf, size_t size)
{
	struct seq_file s;
	int err;

	if (!buf && size)
		return -PMM_EINVAL;
	seq_init_buf(&s, buf, size);
	err = report(m, which, &s);
	return err ? err : (long)s.len;
}

#ifndef PMM_FREESTANDING
int pmm_report_buddyinfo(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_BUDDYINFO, out);
}

int pmm_report_pagetypeinfo(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_PAGETYPEINFO, out);
}

int pmm_report_zoneinfo(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_ZONEINFO, out);
}

int pmm_report_vmstat(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_VMSTAT, out);
}

int pmm_report_extfrag_index(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_EXTFRAG_INDEX, out);
}

int pmm_report_unusable_index(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_UNUSABLE_INDEX, out);
}

int pmm_report_meminfo(struct pmm *m, FILE *out)
{
	return pmm_report_write(m, PMM_REPORT_MEMINFO, out);
}
#endif

static const char *const node_report_names[PMM_NODE_REPORT_NR] = {
	[PMM_NODE_REPORT_MEMINFO] = "meminfo",
	[PMM_NODE_REPORT_NUMASTAT] = "numastat",
	[PMM_NODE_REPORT_VMSTAT] = "vmstat",
};

const char *pmm_node_report_name(enum pmm_node_report which)
{
	return (unsigned)which < PMM_NODE_REPORT_NR ? node_report_names[which] : NULL;
}

unsigned long pmm_report_nodes(struct pmm *m)
{
	return m ? node_files_nodes(m) : 0;
}

/* Node @nid's file @which into @s; 0 or the reading's error. */
static int report_node(struct pmm *m, int nid, enum pmm_node_report which, struct seq_file *s)
{
	struct node_files *f;
	int err;

	if (!m || (unsigned)which >= PMM_NODE_REPORT_NR)
		return -PMM_EINVAL;
	f = pmm_zalloc(m, sizeof(*f));
	if (!f)
		return -PMM_ENOMEM;
	err = node_files_read(m, nid, f);
	if (!err) {
		if (which == PMM_NODE_REPORT_MEMINFO)
			node_meminfo_show(s, f);
		else if (which == PMM_NODE_REPORT_NUMASTAT)
			node_numastat_show(s, f);
		else
			node_vmstat_show(s, f);
	}
	pmm_free(m, f, sizeof(*f));
	return err;
}

#ifndef PMM_FREESTANDING
int pmm_report_node_write(struct pmm *m, int nid, enum pmm_node_report which, FILE *out)
{
	struct seq_file s;
	int err;

	if (!out)
		return -PMM_EINVAL;
	seq_init_file(&s, out);
	err = report_node(m, nid, which, &s);
	if (!err && !s.err && fflush(out))
		s.err = -PMM_EIO;
	return err ? err : s.err;
}
#endif

long pmm_report_node_snprint(struct pmm *m, int nid, enum pmm_node_report which, char *buf,
			     size_t size)
{
	struct seq_file s;
	int err;

	if (!buf && size)
		return -PMM_EINVAL;
	seq_init_buf(&s, buf, size);
	err = report_node(m, nid, which, &s);
	return err ? err : (long)s.len;
}
