// SPDX-License-Identifier: MIT
/*
 * The /proc and debugfs reports against a real Linux 6.1 (the shared
 * captures, a 1 GiB 2-CPU guest).  Three kinds of checks:
 *
 *  - golden: the captured kernel's own numbers, parsed from each file and fed
 *    through pmm's printers, must give that file back byte for byte (every
 *    phase snapshot, and the separate trace-cmd boot);
 *  - layout: a pmm machine with the capture's memory layout prints reports
 *    with the kernel's lines, labels, widths and trailing blanks (numbers
 *    masked), and the numbers that follow from the layout and the sysctls
 *    (spanned, present, start_pfn, watermarks, protection, pcp high/batch,
 *    vm stats threshold) equal the kernel's;
 *  - behaviour: the counters follow allocations, reports agree with each
 *    other, the buffer variant truncates like snprintf.
 */
#include "harness.h"

#include <ctype.h>
#include <pthread.h>
#include <sched.h>

#include <pmm/config.h>
#include <pmm/hugetlb.h>
#include <pmm/page_owner.h>
#include <pmm/report.h>

#include "mm/internal.h"
#include "report/vmstat.h"

#define CAPTURE "a-1g-1node-mixed/"

static const char *const phases[] = {
	"00_boot_done", "01_fork", "02_tmpfs_small_files", "03_tmpfs_big_file",
	"04_anon_4x32M", "05_pagecache_96M", "06_pipes", "07_drop_caches",
	"08_anon_pressure_6x64M", "09_compact", "10_cleanup", "99_trace_stopped",
};
#define NR_PHASES (sizeof(phases) / sizeof(phases[0]))

static char *load(const char *rel, size_t *len)
{
	char *path = pmm_test_shared(rel);
	size_t n;
	char *text = pmm_test_read_file(path, len ? len : &n);

	free(path);
	return text;
}

static char *phase_file(const char *phase, const char *name)
{
	char *rel;

	if (asprintf(&rel, CAPTURE "phases/%s/%s", phase, name) < 0)
		fail_msg("out of memory");
	return rel;
}

static int zone_index(const char *name)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (!strcmp(name, zone_names[i]))
			return i;
	fail_msg("unknown zone name '%s'", name);
	return -1;
}

/* Next line of @*p into @line (without '\n'); false at the end. */
static bool next_line(const char **p, char *line, size_t size)
{
	const char *s = *p, *e;
	size_t n;

	if (!*s)
		return false;
	e = strchr(s, '\n');
	n = e ? (size_t)(e - s) : strlen(s);
	if (n >= size) {
		fail_msg("line too long: %.40s...", s);
		return false; /* not reached; tells gcc -O3 that n < size below */
	}
	memcpy(line, s, n);
	line[n] = 0;
	*p = e ? e + 1 : s + n;
	return true;
}

static char *render(void (*show)(struct seq_file *, const struct node_report *),
		    const struct node_report *n, size_t *len)
{
	struct seq_file s;
	char *buf;

	seq_init_buf(&s, NULL, 0);
	show(&s, n);
	buf = malloc(s.len + 1);
	seq_init_buf(&s, buf, s.len + 1);
	show(&s, n);
	*len = s.len;
	return buf;
}

static char *report_text(struct pmm *m, enum pmm_report which, size_t *len)
{
	long n = pmm_report_snprint(m, which, NULL, 0);
	char *buf;
	long again;

	if (n < 0)
		fail_msg("pmm_report_snprint(%s) = %s", pmm_report_name(which), pmm_errname((int)n));
	/* Counters may move between the two calls: leave room and retry. */
	for (;;) {
		buf = malloc((size_t)n + 4096);
		again = pmm_report_snprint(m, which, buf, (size_t)n + 4096);
		if (again < n + 4096)
			break;
		free(buf);
		n = again;
	}
	*len = (size_t)again;
	return buf;
}

/* ------------------------------------------------------------ capture parsers */

static void new_node(struct node_report *n)
{
	memset(n, 0, sizeof(*n));
	n->has_memory = true;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		n->zone[zi].name = zone_names[zi];
}

static void parse_buddyinfo(const char *text, struct node_report *n)
{
	char line[1024], zname[16];
	const char *p = text;

	new_node(n);
	while (next_line(&p, line, sizeof(line))) {
		int off, nid;
		struct zone_report *z;
		const char *q;

		if (sscanf(line, "Node %d, zone %15s%n", &nid, zname, &off) != 2)
			fail_msg("buddyinfo line '%s'", line);
		n->nid = nid;
		z = &n->zone[zone_index(zname)];
		z->populated = true;
		q = line + off;
		for (int o = 0; o < MAX_ORDER; o++) {
			int used;

			if (sscanf(q, "%lu%n", &z->nr_free[o], &used) != 1)
				fail_msg("buddyinfo order %d in '%s'", o, line);
			q += used;
		}
	}
}

/* The migratetype of printed column @col (no CMA column without CMA). */
static int column_mt(const struct node_report *n, int col)
{
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		if (mt == MIGRATE_CMA && !n->has_cma)
			continue;
		if (col-- == 0)
			return mt;
	}
	fail_msg("too many migratetype columns");
	return -1;
}

static void parse_pagetypeinfo(const char *text, struct node_report *n)
{
	char line[1024], zname[16], tname[16];
	const char *p = text;
	int in = 0; /* 1 blocks, 2 mixed */

	new_node(n);
	n->has_cma = strstr(text, " CMA ") != NULL;
	while (next_line(&p, line, sizeof(line))) {
		int nid, off;

		if (!strncmp(line, "Number of blocks type", 21)) {
			in = 1;
			continue;
		}
		if (!strncmp(line, "Number of mixed blocks", 22)) {
			in = 2;
			n->show_mixed = true;
			continue;
		}
		if (sscanf(line, "Node %d, zone %15[^,], type %15s%n", &nid, zname, tname, &off) == 3) {
			const char *q = line + off;
			struct zone_report *z;
			int mt = -1;
			char *zn = zname;

			while (*zn == ' ')
				zn++;
			z = &n->zone[zone_index(zn)];
			z->populated = true;
			n->nid = nid;
			for (int i = 0; i < MIGRATE_TYPES; i++)
				if (!strcmp(tname, migratetype_names[i]))
					mt = i;
			assert_true(mt >= 0);
			for (int o = 0; o < MAX_ORDER; o++) {
				int used;

				while (*q == ' ')
					q++;
				if (*q == '>') {
					z->free_count[mt][o] = FREECOUNT_CAP;
					q++;
				}
				if (sscanf(q, "%lu%n", &z->free_count[mt][o], &used) != 1)
					fail_msg("pagetypeinfo count in '%s'", line);
				q += used;
			}
			continue;
		}
		if (in && sscanf(line, "Node %d, zone %15s%n", &nid, zname, &off) == 2) {
			struct zone_report *z = &n->zone[zone_index(zname)];
			const char *q = line + off;
			unsigned long v;
			int used;

			for (int col = 0; sscanf(q, "%lu%n", &v, &used) == 1; col++, q += used)
				(in == 1 ? z->blocks : z->mixed)[column_mt(n, col)] = v;
		}
	}
}

/* "label  value" after leading blanks: the value, or -1 when @line is not @label. */
static bool labelled(const char *line, const char *label, unsigned long *v)
{
	while (*line == ' ')
		line++;
	if (strncmp(line, label, strlen(label)))
		return false;
	line += strlen(label);
	if (*line != ' ')
		return false;
	return sscanf(line, "%lu", v) == 1;
}

static void parse_zoneinfo(const char *text, struct node_report *n, struct pcp_report *pcp)
{
	char line[1024], zname[16];
	const char *p = text;
	struct zone_report *z = NULL;
	int zi = 0, node_items = -1, cpu = -1;
	unsigned long v;

	new_node(n);
	while (next_line(&p, line, sizeof(line))) {
		int nid;
		char *q;

		if (sscanf(line, "Node %d, zone %15s", &nid, zname) == 2) {
			n->nid = nid;
			zi = zone_index(zname);
			z = &n->zone[zi];
			z->pcp = pcp + zi * 64;
			cpu = -1;
			continue;
		}
		assert_non_null(z);
		if (!strcmp(line, "  per-node stats")) {
			node_items = 0;
			continue;
		}
		if (labelled(line, "pages free", &v)) {
			node_items = -1;
			z->free_pages = v;
		} else if (labelled(line, "boost", &v)) {
			z->boost = v;
		} else if (labelled(line, "min", &v)) {
			z->min = v;
		} else if (labelled(line, "low", &v)) {
			z->low = v;
		} else if (labelled(line, "high", &v)) {
			z->high = v;
		} else if (labelled(line, "spanned", &v)) {
			z->spanned = v;
		} else if (labelled(line, "present", &v)) {
			z->present = v;
			z->populated = v != 0;
		} else if (labelled(line, "managed", &v)) {
			z->managed = v;
		} else if (labelled(line, "cma", &v)) {
			z->cma = v;
		} else if ((q = strstr(line, "protection: ("))) {
			q += strlen("protection: (");
			for (int i = 0; i < MAX_NR_ZONES; i++) {
				z->protection[i] = strtol(q, &q, 10);
				if (*q == ',')
					q += 2;
			}
		} else if (!strcmp(line, "  pagesets")) {
			continue;
		} else if (sscanf(line, "    cpu: %d", &cpu) == 1) {
			assert_true(cpu >= 0 && cpu < 64);
			if ((unsigned)cpu + 1 > n->nr_cpus)
				n->nr_cpus = (unsigned)cpu + 1;
		} else if (labelled(line, "count:", &v)) {
			pcp[zi * 64 + cpu].count = (int)v;
		} else if (labelled(line, "high:", &v)) {
			pcp[zi * 64 + cpu].high = (int)v;
		} else if (labelled(line, "batch:", &v)) {
			pcp[zi * 64 + cpu].batch = (int)v;
		} else if (labelled(line, "vm stats threshold:", &v)) {
			pcp[zi * 64 + cpu].stat_threshold = (int)v;
		} else if (labelled(line, "node_unreclaimable:", &v)) {
			n->node_unreclaimable = v != 0;
		} else if (labelled(line, "start_pfn:", &v)) {
			z->start_pfn = v;
		} else {
			char name[64];
			bool found = false;

			if (sscanf(line, " %63s %lu", name, &v) != 2)
				fail_msg("zoneinfo line '%s'", line);
			if (node_items >= 0) {
				assert_true(node_items < NR_VM_NODE_STAT_ITEMS);
				assert_string_equal(name, node_stat_names[node_items]);
				n->node_stat[node_items++] = v;
				continue;
			}
			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS && !found; i++)
				if (!strcmp(name, zone_stat_names[i]))
					z->zone_stat[i] = v, found = true;
			for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS && !found; i++)
				if (!strcmp(name, numa_stat_names[i]))
					z->numa[i] = v, found = true;
			if (!found)
				fail_msg("zoneinfo: unknown counter '%s'", name);
		}
	}
	/* The printer takes each zone's pagesets as one array. */
	for (zi = 0; zi < MAX_NR_ZONES; zi++)
		n->zone[zi].pcp = pcp + zi * 64;
}

static void assert_same_shape(const char *what, const char *expected, const char *actual);

/* ------------------------------------------------------------ golden: the kernel's numbers */

static void golden(const char *rel, void (*parse)(const char *, struct node_report *),
		   void (*show)(struct seq_file *, const struct node_report *))
{
	size_t elen, alen;
	char *expected = load(rel, &elen);
	struct node_report *n = malloc(sizeof(*n));
	char *actual;

	parse(expected, n);
	actual = render(show, n, &alen);
	pmm_test_assert_text_eq(rel, expected, elen, actual, alen);
	free(actual);
	free(n);
	free(expected);
}

static void test_buddyinfo_golden(void **state)
{
	(void)state;
	golden(CAPTURE "buddyinfo.txt", parse_buddyinfo, buddyinfo_show);
	golden("trace-cmd/buddyinfo.txt", parse_buddyinfo, buddyinfo_show);
	for (size_t i = 0; i < NR_PHASES; i++) {
		char *rel = phase_file(phases[i], "buddyinfo");
		golden(rel, parse_buddyinfo, buddyinfo_show);
		free(rel);
	}
}

static void test_pagetypeinfo_golden(void **state)
{
	(void)state;
	golden(CAPTURE "pagetypeinfo.txt", parse_pagetypeinfo, pagetypeinfo_show);
	for (size_t i = 0; i < NR_PHASES; i++) {
		char *rel = phase_file(phases[i], "pagetypeinfo");
		golden(rel, parse_pagetypeinfo, pagetypeinfo_show);
		free(rel);
	}
}

static struct pcp_report golden_pcp[MAX_NR_ZONES * 64];

static void parse_zoneinfo_static(const char *text, struct node_report *n)
{
	memset(golden_pcp, 0, sizeof(golden_pcp));
	parse_zoneinfo(text, n, golden_pcp);
}

static void test_zoneinfo_golden(void **state)
{
	(void)state;
	golden(CAPTURE "zoneinfo.txt", parse_zoneinfo_static, zoneinfo_show);
	golden("trace-cmd/zoneinfo.txt", parse_zoneinfo_static, zoneinfo_show);
	for (size_t i = 0; i < NR_PHASES; i++) {
		char *rel = phase_file(phases[i], "zoneinfo");
		golden(rel, parse_zoneinfo_static, zoneinfo_show);
		free(rel);
	}
}

/*
 * The extfrag indices are a function of buddyinfo: derive them from it.  The
 * capture read extfrag/ a moment after buddyinfo while the workload still
 * ran, so only zones that did not change in between can match to the digit:
 * extfrag_index (every order was satisfiable, -1.000 throughout) and the
 * DMA zone; the DMA32 line of unusable_index must have the same shape.
 */
static void test_extfrag_golden(void **state)
{
	struct node_report *n = malloc(sizeof(*n));
	char *bi = load(CAPTURE "buddyinfo.txt", NULL);
	size_t elen, alen;
	char *expected, *actual, *nl;

	(void)state;
	parse_buddyinfo(bi, n);
	expected = load(CAPTURE "extfrag/extfrag_index", &elen);
	actual = render(extfrag_show, n, &alen);
	pmm_test_assert_text_eq("extfrag_index", expected, elen, actual, alen);
	free(expected);
	free(actual);

	expected = load(CAPTURE "extfrag/unusable_index", &elen);
	actual = render(unusable_show, n, &alen);
	assert_same_shape("unusable_index", expected, actual);
	nl = strchr(expected, '\n');
	assert_non_null(nl);
	assert_true(!strncmp(expected, "Node 0, zone      DMA ", 22));
	pmm_test_assert_text_eq("unusable_index, DMA", expected, (size_t)(nl - expected + 1), actual,
				(size_t)(strchr(actual, '\n') - actual + 1));
	free(expected);
	free(actual);
	free(bi);
	free(n);
}

/* An order that a request could not get: the extfrag index is a fraction. */
static void test_extfrag_formula_edges(void **state)
{
	unsigned long nr_free[MAX_ORDER] = { 0 };

	(void)state;
	/* Nothing free: extfrag 0, unusable 1.000. */
	assert_int_equal(fragmentation_index(nr_free, 3), 0);
	assert_int_equal(unusable_free_index(nr_free, 3), 1000);
	/* 10 single pages: order 0 is satisfiable, order 1 is pure fragmentation. */
	nr_free[0] = 10;
	assert_int_equal(fragmentation_index(nr_free, 0), -1000);
	/* 1000 - (1000 + 10*1000/2) / 10 = 1000 - 600 */
	assert_int_equal(fragmentation_index(nr_free, 1), 400);
	assert_int_equal(unusable_free_index(nr_free, 1), 1000);
	assert_int_equal(unusable_free_index(nr_free, 0), 0);
	/* Add one order-2 block: order 1 and 2 satisfiable, 14 pages free. */
	nr_free[2] = 1;
	assert_int_equal(fragmentation_index(nr_free, 2), -1000);
	/* (14 - 2 << 1) * 1000 / 14 */
	assert_int_equal(unusable_free_index(nr_free, 1), (14 - 4) * 1000 / 14);
	assert_int_equal(fragmentation_index(nr_free, MAX_ORDER), 0);
}

static void parse_vmstat(const char *text, char names[][48], unsigned long *values, unsigned *nr)
{
	char line[256];
	const char *p = text;

	*nr = 0;
	while (next_line(&p, line, sizeof(line))) {
		if (sscanf(line, "%47s %lu", names[*nr], &values[*nr]) != 2)
			fail_msg("vmstat line '%s'", line);
		(*nr)++;
	}
}

static void vmstat_golden(const char *rel)
{
	static char names[512][48];
	static unsigned long values[512];
	size_t elen;
	char *expected = load(rel, &elen), *actual;
	unsigned nr;
	struct seq_file s;

	parse_vmstat(expected, names, values, &nr);
	/* Every item of the kernel's list, in its order, then nr_unstable. */
	assert_int_equal(nr, nr_vmstat_items + 1);
	assert_string_equal(names[nr - 1], "nr_unstable");
	actual = malloc(elen + 1);
	seq_init_buf(&s, actual, elen + 1);
	vmstat_show(&s, values);
	pmm_test_assert_text_eq(rel, expected, elen, actual, s.len);
	free(actual);
	free(expected);
}

static void test_vmstat_golden(void **state)
{
	(void)state;
	vmstat_golden(CAPTURE "vmstat.txt");
	for (size_t i = 0; i < NR_PHASES; i++) {
		char *rel = phase_file(phases[i], "vmstat");
		vmstat_golden(rel);
		free(rel);
	}
}

/*
 * The allocator's reserve as calculate_totalreserve_pages() sums it (per
 * zone the highest protection plus the high mark, capped at managed) and,
 * in *@low, the zones' low marks, from a parsed zoneinfo.
 */
static unsigned long zoneinfo_reserve(const struct node_report *n, unsigned long *low)
{
	unsigned long reserve = 0;

	*low = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone_report *z = &n->zone[zi];
		long max = 0;

		for (int j = zi; j < MAX_NR_ZONES; j++)
			if (z->protection[j] > max)
				max = z->protection[j];
		reserve += MIN((unsigned long)max + z->high, z->managed);
		*low += z->low;
	}
	return reserve;
}

/* The numbers of a meminfo file, checking that its lines are the kernel's, in its order. */
static void parse_meminfo(const char *rel, const char *text, struct meminfo_report *r)
{
	unsigned i = 0;

	memset(r, 0, sizeof(*r));
	for (const char *p = text; *p; i++) {
		const char *label = meminfo_label(i), *colon = strchr(p, ':');
		char *end;

		if (!label || !colon || strncmp(p, label, (size_t)(colon + 1 - p)) || label[colon + 1 - p])
			fail_msg("%s: line %u is not %s", rel, i + 1, label ? label : "(the end)");
		r->v[i] = strtoul(colon + 1, &end, 10);
		p = strchr(end, '\n');
		p = p ? p + 1 : end + strlen(end);
	}
	assert_true(i >= MI_DIRECTMAP4K);
	r->nr_directmap = i - MI_DIRECTMAP4K;
}

static void meminfo_golden(const char *rel)
{
	size_t elen;
	char *expected = load(rel, &elen), *actual;
	struct meminfo_report r;
	struct seq_file s;

	parse_meminfo(rel, expected, &r);
	actual = malloc(elen + 1);
	seq_init_buf(&s, actual, elen + 1);
	meminfo_show(&s, &r);
	pmm_test_assert_text_eq(rel, expected, elen, actual, s.len);
	free(actual);
	free(expected);
}

static void test_meminfo_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < NR_PHASES; i++) {
		char *rel = phase_file(phases[i], "meminfo");

		meminfo_golden(rel);
		free(rel);
	}
}

/* ------------------------------------------------------------ golden: a node's sysfs files */

/* The numbers of nodes/node0/meminfo, checking every label and its padding. */
static void parse_node_meminfo(const char *rel, const char *text, struct node_files *f)
{
	unsigned i = 0;

	memset(f, 0, sizeof(*f));
	for (const char *p = text; *p; i++) {
		const char *label = node_meminfo_label(i);
		char *end;
		int nid = -1, len = 0;

		if (!label || sscanf(p, "Node %d %n", &nid, &len) != 1 || !len ||
		    strncmp(p + len, label, strlen(label)))
			fail_msg("%s: line %u is not Node N %s", rel, i + 1, label ? label : "(the end)");
		f->nid = nid;
		f->meminfo[i] = strtoul(p + len + strlen(label), &end, 10);
		p = strchr(end, '\n');
		p = p ? p + 1 : end + strlen(end);
	}
	assert_int_equal(i, NR_NODE_MEMINFO);
}

/* "name value" lines into @v (at most @max), their names checked against @names. */
static unsigned parse_named(const char *rel, const char *text, const char *const *names, unsigned max,
			    unsigned long *v)
{
	unsigned i = 0;

	for (const char *p = text; *p; i++) {
		size_t n = strcspn(p, " ");

		if (i >= max || strlen(names[i]) != n || strncmp(p, names[i], n))
			fail_msg("%s: line %u is not %s", rel, i + 1, i < max ? names[i] : "(the end)");
		char *end;

		v[i] = strtoul(p + n, &end, 10);
		p = strchr(end, '\n');
		p = p ? p + 1 : end + strlen(end);
	}
	return i;
}

/* The captured kernel's node0 files through pmm's printers, byte for byte. */
static void test_node_files_golden(void **state)
{
	static const char *const numastat_names[] = {
		"numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node",
	};
	const char *vmstat_names[NR_NODE_VMSTAT];
	struct node_files f;
	unsigned k = 0;
	void (*show[3])(struct seq_file *, const struct node_files *) = {
		node_meminfo_show, node_numastat_show, node_vmstat_show,
	};
	const char *const rel[3] = { CAPTURE "nodes/node0/meminfo", CAPTURE "nodes/node0/numastat",
				     CAPTURE "nodes/node0/vmstat" };

	(void)state;
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		vmstat_names[k++] = zone_stat_names[i];
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
		vmstat_names[k++] = numa_stat_names[i];
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		vmstat_names[k++] = node_stat_names[i];
	for (int w = 0; w < 3; w++) {
		size_t elen;
		char *expected = load(rel[w], &elen), *actual = malloc(elen + 1);
		struct seq_file s;

		if (w == 0) {
			parse_node_meminfo(rel[w], expected, &f);
		} else if (w == 1) {
			assert_int_equal(parse_named(rel[w], expected, numastat_names, 6,
						     f.vmstat + NR_VM_ZONE_STAT_ITEMS), 6);
		} else {
			assert_int_equal(parse_named(rel[w], expected, vmstat_names, NR_NODE_VMSTAT, f.vmstat),
					 NR_NODE_VMSTAT);
		}
		seq_init_buf(&s, actual, elen + 1);
		show[w](&s, &f);
		pmm_test_assert_text_eq(rel[w], expected, elen, actual, s.len);
		free(actual);
		free(expected);
	}
}

/*
 * MemAvailable is si_mem_available() of the same reading's free pages, page
 * cache and reclaimable kernel memory, the allocator's reserve and the low
 * marks (zoneinfo); CommitLimit is half of what hugetlb leaves of MemTotal.
 */
static void test_meminfo_formulas(void **state)
{
	struct node_report *n = malloc(sizeof(*n));

	(void)state;
	for (size_t i = 0; i < NR_PHASES; i++) {
		char *rz = phase_file(phases[i], "zoneinfo"), *rm = phase_file(phases[i], "meminfo");
		char *zt = load(rz, NULL), *mt = load(rm, NULL);
		struct meminfo_report r;
		unsigned long reserve, low, avail, limit;

		parse_zoneinfo_static(zt, n);
		reserve = zoneinfo_reserve(n, &low);
		parse_meminfo(rm, mt, &r);
		avail = (unsigned long)si_mem_available_pages(
				r.v[MI_MEMFREE] / 4, reserve, low,
				(r.v[MI_ACTIVE_FILE] + r.v[MI_INACTIVE_FILE]) / 4, r.v[MI_KRECLAIMABLE] / 4) *
			4;
		limit = vm_commit_limit_pages(r.v[MI_MEMTOTAL] / 4, r.v[MI_HUGETLB] / 4,
					      r.v[MI_SWAPTOTAL] / 4) * 4;
		if (avail != r.v[MI_MEMAVAILABLE] || limit != r.v[MI_COMMITLIMIT])
			fail_msg("%s: MemAvailable %lu, CommitLimit %lu; the kernel's %lu, %lu", rm, avail,
				 limit, r.v[MI_MEMAVAILABLE], r.v[MI_COMMITLIMIT]);
		free(zt);
		free(mt);
		free(rz);
		free(rm);
	}
	free(n);
}

/* ------------------------------------------------------------ formulas on the kernel's numbers */

static unsigned long vmstat_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	unsigned long v;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ' && sscanf(p + n, "%lu", &v) == 1)
			return v;
	fail_msg("vmstat has no %s", name);
	return 0;
}

/*
 * nr_dirty_threshold and nr_dirty_background_threshold follow from the free
 * and file pages of the same reading and the allocator's reserve (per zone
 * the highest protection plus the high mark, capped at managed).
 */
static void test_dirty_limits_formula(void **state)
{
	struct node_report *n = malloc(sizeof(*n));

	(void)state;
	for (size_t i = 0; i <= NR_PHASES; i++) {
		char *rz = i < NR_PHASES ? phase_file(phases[i], "zoneinfo") : strdup(CAPTURE "zoneinfo.txt");
		char *rv = i < NR_PHASES ? phase_file(phases[i], "vmstat") : strdup(CAPTURE "vmstat.txt");
		char *zt = load(rz, NULL), *vt = load(rv, NULL);
		unsigned long reserve, low, bg, dirty;

		parse_zoneinfo_static(zt, n);
		reserve = zoneinfo_reserve(n, &low);
		global_dirty_limits(vmstat_value(vt, "nr_free_pages"),
				    vmstat_value(vt, "nr_inactive_file") + vmstat_value(vt, "nr_active_file"),
				    reserve, &bg, &dirty);
		if (dirty != vmstat_value(vt, "nr_dirty_threshold") ||
		    bg != vmstat_value(vt, "nr_dirty_background_threshold"))
			fail_msg("%s: dirty %lu/%lu, kernel %lu/%lu", rv, dirty, bg,
				 vmstat_value(vt, "nr_dirty_threshold"),
				 vmstat_value(vt, "nr_dirty_background_threshold"));
		free(zt);
		free(vt);
		free(rz);
		free(rv);
	}
	free(n);
}

/* "vm stats threshold" is calculate_normal_threshold() of the zone and CPU count. */
static void test_stat_threshold_formula(void **state)
{
	const char *files[] = { CAPTURE "zoneinfo.txt", "trace-cmd/zoneinfo.txt" };
	struct node_report *n = malloc(sizeof(*n));

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char *t = load(files[f], NULL);
		int checked = 0;

		parse_zoneinfo_static(t, n);
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			const struct zone_report *z = &n->zone[zi];

			if (!z->populated)
				continue;
			for (unsigned c = 0; c < n->nr_cpus; c++, checked++)
				assert_int_equal(calculate_normal_threshold(z->managed, n->nr_cpus),
						 z->pcp[c].stat_threshold);
		}
		assert_true(checked > 0);
		free(t);
	}
	free(n);
}

/* The first "vm stats threshold" of zone @name in @m's zoneinfo. */
static int zoneinfo_threshold(struct pmm *m, const char *name)
{
	char *buf = malloc(1 << 20), *z, *t;
	int v;

	assert_non_null(buf);
	assert_true(pmm_report_snprint(m, PMM_REPORT_ZONEINFO, buf, 1 << 20) > 0);
	z = strstr(buf, name);
	assert_non_null(z);
	t = strstr(z, "vm stats threshold: ");
	assert_non_null(t);
	v = atoi(t + strlen("vm stats threshold: "));
	free(buf);
	return v;
}

/*
 * The threshold is worked out when the marks are (refresh_zone_stat_thresholds()
 * in init_per_zone_wmark_min(): boot, memory hotplug), not at each read:
 * reserved memory freed later (free_reserved_area(), the kernel's init
 * memory) raises the zone's managed pages but leaves the threshold.
 */
static void test_stat_threshold_set_with_marks(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G cpus=1 reserve=0x10000000-0x2fffffff", NULL);
	struct zone *dma32 = &m->node_data[0]->node_zones[ZONE_DMA32];
	unsigned long managed0 = (unsigned long)zone_managed_pages(dma32);
	int t0 = zoneinfo_threshold(m, "zone    DMA32");

	(void)state;
	assert_int_equal(t0, calculate_normal_threshold(managed0, 1));
	pmm_free_reserved_area(m, 0x10000, 0x30000);
	assert_true((unsigned long)zone_managed_pages(dma32) >= managed0 + 0x20000);
	/* 2 * fls(1) * (1 + fls(managed >> 15)) would grow: the shown value does not. */
	assert_int_not_equal(calculate_normal_threshold((unsigned long)zone_managed_pages(dma32), 1), t0);
	assert_int_equal(zoneinfo_threshold(m, "zone    DMA32"), t0);
	pmm_destroy(m);
}

static unsigned boot_cpu_of_platform;

static unsigned platform_cpu(void *ctx)
{
	(void)ctx;
	return boot_cpu_of_platform;
}

#define BOOT_REPORT_MACHINE "mem=4G nodes=2 cpus=2 hugepagesz=2M hugepages=101"

/* node0/numastat and zoneinfo of a machine as booted, on @plat (NULL: the host's CPUs). */
static char *boot_reports(const struct pmm_platform *plat)
{
	struct pmm *m = pmm_test_machine_on(BOOT_REPORT_MACHINE, plat, NULL);
	size_t size = 1 << 20, n;
	char *buf = malloc(size);

	assert_non_null(buf);
	n = (size_t)pmm_report_node_snprint(m, 0, PMM_NODE_REPORT_NUMASTAT, buf, size);
	assert_true(n > 0 && n < size);
	assert_true(pmm_report_snprint(m, PMM_REPORT_ZONEINFO, buf + n, size - n) > 0);
	pmm_destroy(m);
	return buf;
}

static void *boot_reports_thread(void *arg)
{
	return boot_reports(arg);
}

/*
 * A machine as booted reports the same whichever CPU runs pmm_create():
 * boot acts as CPU 0, as the kernel's boot task does.  The boot pool's
 * 2 MiB pages used to be allocated (numastat's local_node/other_node) and
 * left on the per-CPU list (zoneinfo's pagesets) of the host CPU.  Played
 * with a platform that names the CPU, and with threads on two host CPUs
 * where there are two.
 */
static void test_boot_reports_cpu_independent(void **state)
{
	struct pmm_platform plat = *pmm_platform_posix();
	char *a, *b;
	cpu_set_t set;

	(void)state;
	plat.current_cpu = platform_cpu;
	boot_cpu_of_platform = 0;
	a = boot_reports(&plat);
	boot_cpu_of_platform = 1;
	b = boot_reports(&plat);
	assert_string_equal(a, b);
	free(b);
	free(a);

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	if (!CPU_ISSET(0, &set) || !CPU_ISSET(1, &set)) {
		print_message("SKIP: host CPUs 0 and 1 not both available; the platform case ran\n");
		return;
	}
	{
		char *r[2];

		for (int c = 0; c < 2; c++) {
			pthread_attr_t attr;
			cpu_set_t one;
			pthread_t th;
			void *ret;

			CPU_ZERO(&one);
			CPU_SET(c, &one);
			assert_int_equal(pthread_attr_init(&attr), 0);
			assert_int_equal(pthread_attr_setaffinity_np(&attr, sizeof(one), &one), 0);
			assert_int_equal(pthread_create(&th, &attr, boot_reports_thread, NULL), 0);
			pthread_join(th, &ret);
			pthread_attr_destroy(&attr);
			r[c] = ret;
		}
		assert_string_equal(r[0], r[1]);
		free(r[0]);
		free(r[1]);
	}
}

/* ------------------------------------------------------------ masked comparison */

static bool is_field_start(const char *l, size_t i)
{
	char c = l[i], prev = i ? l[i - 1] : ' ';

	if (isalnum((unsigned char)prev) || prev == '_' || prev == '-' || prev == '>' || prev == '.')
		return false;
	if (isdigit((unsigned char)c))
		return true;
	return (c == '-' || c == '>') && isdigit((unsigned char)l[i + 1]);
}

static size_t field_len(const char *l)
{
	size_t n = 0;

	if (l[n] == '-' || l[n] == '>')
		n++;
	while (isdigit((unsigned char)l[n]))
		n++;
	if (l[n] == '.' && isdigit((unsigned char)l[n + 1]))
		for (n++; isdigit((unsigned char)l[n]); n++)
			;
	return n;
}

static size_t next_field(const char *l, size_t i)
{
	for (; l[i]; i++)
		if (is_field_start(l, i))
			return i;
	return i;
}

/*
 * Lines @e (kernel) and @a (pmm) are the same format with other numbers:
 * the text between numbers is identical and each number either starts
 * where the kernel's does (a label then %lu) or ends where it does (a
 * right-aligned %6lu); trailing blanks are identical.
 */
static bool same_shape(const char *e, const char *a)
{
	size_t i = 0, j = 0;

	for (;;) {
		size_t fe = next_field(e, i), fa = next_field(a, j);
		size_t pe = 0, pa = 0, le, la;

		while (fe - pe > i && e[fe - pe - 1] == ' ')
			pe++;
		while (fa - pa > j && a[fa - pa - 1] == ' ')
			pa++;
		if (fe - pe - i != fa - pa - j || memcmp(e + i, a + j, fe - pe - i))
			return false;
		if (!e[fe] || !a[fa])
			return !e[fe] && !a[fa] && pe == pa;
		le = field_len(e + fe);
		la = field_len(a + fa);
		/* pagetypeinfo's ">" sits in front of a full-width %6lu. */
		if (pe != pa && pe + le - (e[fe] == '>') != pa + la - (a[fa] == '>'))
			return false;
		i = fe + le;
		j = fa + la;
	}
}

static void assert_same_shape(const char *what, const char *expected, const char *actual)
{
	const char *p = expected, *q = actual;
	char el[1024], al[1024];
	int line = 0;

	for (;;) {
		bool he = next_line(&p, el, sizeof(el)), ha = next_line(&q, al, sizeof(al));

		line++;
		if (!he && !ha)
			return;
		if (he != ha)
			fail_msg("%s: line %d: %s has no line; other side: '%s'", what, line,
				 he ? "pmm" : "the kernel", he ? el : al);
		if (!same_shape(el, al))
			fail_msg("%s: line %d differs in shape\n  kernel: '%s'\n  pmm:    '%s'", what,
				 line, el, al);
	}
}

static void test_masked_compare_catches_width_errors(void **state)
{
	(void)state;
	assert_true(same_shape("Node 0, zone      DMA      1     12 ",
			       "Node 0, zone      DMA    123      1 "));
	assert_true(same_shape("  pages free     3808", "  pages free     205756"));
	assert_true(same_shape("Node 0, zone      DMA -1.000  0.008 ",
			       "Node 0, zone      DMA  0.250 -1.000 "));
	assert_true(same_shape("type    Unmovable >100000      1 ", "type    Unmovable      1 >100000 "));
	assert_false(same_shape("zone      DMA      1 ", "zone      DMA     1 "));   /* %5lu */
	assert_false(same_shape("zone      DMA      1 ", "zone      DMA      1"));   /* blank */
	assert_false(same_shape("zone      DMA      1 ", "zone       DMA      1 ")); /* %9s */
	assert_false(same_shape("  pages free     1", "  pages free    1"));
	assert_false(same_shape("      nr_mapped    416", "      nr_mapped 416"));
	assert_false(same_shape("numa_hit 1", "numa_hits 1"));
	assert_false(same_shape("a 1 2", "a 1"));
}

/* ------------------------------------------------------------ a pmm machine with the capture's layout */

/*
 * The guest's memory (dmesg "Early memory node ranges"), its CPUs, and the
 * memory the kernel held back when it set its watermarks (an x86 kernel
 * reserves the low 1 MiB; the image at 0x34400000 per iomem.txt; the initrd
 * at 0x3fec3000 per "RAMDISK:"; below it the boot allocations: memmap, page
 * tables, per-CPU areas, NODE_DATA).  The last range's size is what makes
 * the reservations add up; test_watermark_fidelity checks that total against
 * the kernel's boot log.
 */
#define CAPTURE_LAYOUT                                                      \
	"node=0:0x1000-0x9efff node=0:0x100000-0x3ffdcfff cpus=2 "          \
	"reserve=0x0-0xfffff reserve=0x34400000-0x35dfffff "                \
	"reserve=0x3ec0e000-0x3ffcffff "

/* The capture's sysctls, read from sysctl_vm/ as the config text wants them. */
static void capture_sysctls(char *buf, size_t size)
{
	char *mfk = load(CAPTURE "sysctl_vm/min_free_kbytes", NULL);
	char *wsf = load(CAPTURE "sysctl_vm/watermark_scale_factor", NULL);
	char *lrr = load(CAPTURE "sysctl_vm/lowmem_reserve_ratio", NULL);

	for (char *c = lrr; *c; c++)
		if (*c == '\t' || *c == ' ')
			*c = ',';
	snprintf(buf, size, "min_free_kbytes=%ld watermark_scale_factor=%ld lowmem_reserve_ratio=%s",
		 strtol(mfk, NULL, 10), strtol(wsf, NULL, 10), strtok(lrr, "\n"));
	free(mfk);
	free(wsf);
	free(lrr);
}

static struct pmm *capture_machine(const char *extra)
{
	char sysctls[256], cfg[1024];

	capture_sysctls(sysctls, sizeof(sysctls));
	snprintf(cfg, sizeof(cfg), CAPTURE_LAYOUT "%s %s", sysctls, extra);
	return pmm_test_machine(cfg, NULL);
}

/* Exercise the allocator a little so that counters and lists are not at boot state. */
static void churn(struct pmm *m)
{
	struct pmm_page *p[64];
	pmm_gfp_t gfp[3] = { PMM_GFP_KERNEL, PMM_GFP_HIGHUSER_MOVABLE, PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE };

	for (int cpu = 0; cpu < 2; cpu++) {
		assert_int_equal(pmm_set_thread_cpu(m, cpu), 0);
		for (int i = 0; i < 64; i++)
			p[i] = pmm_alloc_pages(m, gfp[i % 3], (unsigned)(i % 5));
		for (int i = 0; i < 64; i += 2)
			if (p[i])
				pmm_free_pages(m, p[i], (unsigned)(i % 5));
	}
	pmm_set_thread_cpu(m, -1);
}

static const char *const capture_file[PMM_REPORT_NR] = {
	[PMM_REPORT_BUDDYINFO] = CAPTURE "buddyinfo.txt",
	[PMM_REPORT_PAGETYPEINFO] = CAPTURE "pagetypeinfo.txt",
	[PMM_REPORT_ZONEINFO] = CAPTURE "zoneinfo.txt",
	[PMM_REPORT_VMSTAT] = CAPTURE "vmstat.txt",
	[PMM_REPORT_EXTFRAG_INDEX] = CAPTURE "extfrag/extfrag_index",
	[PMM_REPORT_UNUSABLE_INDEX] = CAPTURE "extfrag/unusable_index",
	[PMM_REPORT_MEMINFO] = CAPTURE "meminfo.txt",
};

static void test_reports_have_the_kernels_shape(void **state)
{
	/* The capture ran with page_owner=on, so pagetypeinfo has its mixed section. */
	struct pmm *m = capture_machine("page_owner=on");

	(void)state;
	churn(m);
	for (int r = 0; r < PMM_REPORT_NR; r++) {
		size_t len;
		char *expected = load(capture_file[r], NULL);
		char *actual = report_text(m, (enum pmm_report)r, &len);
		char *directmap = strstr(expected, "\nDirectMap4k:");

		/* the kernel's own page tables: a pmm machine has no direct map */
		if (r == PMM_REPORT_MEMINFO && directmap)
			directmap[1] = 0;

		assert_int_equal(strlen(actual), len);
		assert_same_shape(capture_file[r], expected, actual);
		free(expected);
		free(actual);
	}
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void machine_meminfo(struct pmm *m, struct meminfo_report *r)
{
	size_t len;
	char *t = report_text(m, PMM_REPORT_MEMINFO, &len);

	parse_meminfo("pmm's meminfo", t, r);
	assert_int_equal(r->nr_directmap, 0);
	free(t);
}

/*
 * A machine's meminfo: the capture's machine has its kernel's MemTotal and
 * CommitLimit; MemFree is NR_FREE_PAGES; MemAvailable is what is free above
 * the allocator's reserve (no page cache or slab to add); the huge page
 * pools show in the default size's lines, CommitLimit and Hugetlb.
 */
static void test_meminfo_of_a_machine(void **state)
{
	struct node_report *n = malloc(sizeof(*n));
	struct meminfo_report r, kernel;
	struct pmm_page *p[16], *huge;
	unsigned long reserve, low, nr, nr_free;
	char *kt = load(CAPTURE "meminfo.txt", NULL), *zt, *dir = pmm_test_shared(CAPTURE), *cfg = NULL;
	char err[256];
	size_t len, cfglen = 0;
	FILE *f = open_memstream(&cfg, &cfglen);
	struct pmm *m;

	(void)state;
	/* The machine pmm derives from the capture (--machine-from), managed pages as the kernel's. */
	assert_non_null(f);
	if (pmm_config_from_capture(dir, f, err, sizeof(err)))
		fail_msg("%s", err);
	fclose(f);
	m = pmm_test_machine(cfg, NULL);
	parse_meminfo(CAPTURE "meminfo.txt", kt, &kernel);
	machine_meminfo(m, &r);
	assert_int_equal(r.v[MI_MEMTOTAL], kernel.v[MI_MEMTOTAL]);
	assert_int_equal(r.v[MI_COMMITLIMIT], kernel.v[MI_COMMITLIMIT]);
	assert_int_equal(r.v[MI_HUGEPAGESIZE], kernel.v[MI_HUGEPAGESIZE]);
	assert_int_equal(r.v[MI_VMALLOCTOTAL], kernel.v[MI_VMALLOCTOTAL]);
	for (int i = 0; i < 16; i++)
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, (unsigned)(i % 4));
	machine_meminfo(m, &r);
	zt = report_text(m, PMM_REPORT_ZONEINFO, &len);
	parse_zoneinfo_static(zt, n);
	reserve = zoneinfo_reserve(n, &low);
	assert_int_equal(r.v[MI_MEMFREE], pmm_nr_free_pages(m) * 4);
	assert_int_equal(r.v[MI_MEMAVAILABLE], (pmm_nr_free_pages(m) - reserve) * 4);
	for (int i = 0; i < 16; i++)
		pmm_free_pages(m, p[i], (unsigned)(i % 4));
	free(zt);
	free(kt);
	free(cfg);
	free(dir);
	pmm_destroy(m);

	/* Pools of both sizes, 1 GiB the default: its lines, and both in Hugetlb. */
	m = pmm_test_machine("mem=4G hugepagesz=1G hugepages=2 hugepagesz=2M hugepages=8 "
			     "default_hugepagesz=1G", NULL);
	huge = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE);
	assert_non_null(huge);
	machine_meminfo(m, &r);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(r.v[MI_HUGEPAGES_TOTAL], 2);
	assert_int_equal(r.v[MI_HUGEPAGES_FREE], 1);
	assert_int_equal(r.v[MI_HUGEPAGESIZE], 1048576);
	assert_int_equal(r.v[MI_HUGETLB], 2 * 1048576 + 8 * 2048);
	assert_int_equal(r.v[MI_MEMTOTAL], pmm_totalram_pages(m) * 4);
	assert_int_equal(r.v[MI_COMMITLIMIT], (r.v[MI_MEMTOTAL] - r.v[MI_HUGETLB]) / 2);
	pmm_free_pages(m, huge, PMM_HUGETLB_ORDER_1G);
	machine_meminfo(m, &r);
	assert_int_equal(r.v[MI_HUGEPAGES_FREE], 2);
	pmm_destroy(m);
	free(n);
}

/* The file through the stream call, which the buffer call must match, whole and cut. */
static void node_text(struct pmm *m, int nid, enum pmm_node_report w, char **text)
{
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	char *buf, small[8];

	assert_non_null(f);
	assert_int_equal(pmm_report_node_write(m, nid, w, f), 0);
	fclose(f);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(pmm_report_node_snprint(m, nid, w, buf, len + 1), (long)len);
	assert_string_equal(buf, *text);
	assert_int_equal(pmm_report_node_snprint(m, nid, w, small, sizeof(small)), (long)len);
	assert_int_equal(strncmp(small, *text, sizeof(small) - 1), 0);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_int_equal(pmm_report_node_snprint(m, nid, w, NULL, 0), (long)len);
	free(buf);
}

/*
 * A two-node machine's node files add up to the machine's: MemTotal and
 * MemFree to meminfo's, each node's counters to /proc/vmstat's; the
 * NUMA events land on the node that served the allocation; each node's
 * huge pages are its own.  A node with CPUs only has a directory of zeros;
 * a node with neither has none.
 */
static void test_node_files_of_a_machine(void **state)
{
	struct pmm *m = pmm_test_machine("mem=2G nodes=2 cpus=2 hugepagesz=2M hugepages=1:3", NULL);
	struct node_files f[2];
	struct meminfo_report r;
	unsigned long hit1, total = 0, nr_free = 0;
	struct pmm_page *p;
	char *t, *v;

	(void)state;
	assert_int_equal(pmm_report_nodes(m), 3);
	for (int nid = 0; nid < 2; nid++) {
		node_text(m, nid, PMM_NODE_REPORT_MEMINFO, &t);
		parse_node_meminfo("node meminfo", t, &f[nid]);
		assert_int_equal(f[nid].nid, nid);
		total += f[nid].meminfo[NMI_MEMTOTAL];
		nr_free += f[nid].meminfo[NMI_MEMFREE];
		assert_int_equal(f[nid].meminfo[NMI_MEMUSED],
				 f[nid].meminfo[NMI_MEMTOTAL] - f[nid].meminfo[NMI_MEMFREE]);
		free(t);
	}
	machine_meminfo(m, &r);
	assert_int_equal(total, r.v[MI_MEMTOTAL]);
	assert_int_equal(nr_free, r.v[MI_MEMFREE]);
	assert_int_equal(f[0].meminfo[NMI_HUGEPAGES_TOTAL], 0);
	assert_int_equal(f[1].meminfo[NMI_HUGEPAGES_TOTAL], 3);
	assert_int_equal(f[1].meminfo[NMI_HUGEPAGES_FREE], 3);

	/* An allocation served by node 1 counts there as a hit. */
	node_text(m, 1, PMM_NODE_REPORT_NUMASTAT, &t);
	hit1 = strtoul(t + strlen("numa_hit "), NULL, 10);
	free(t);
	p = pmm_alloc_pages_node(m, 1, PMM_GFP_KERNEL, 0);
	assert_non_null(p);
	assert_int_equal(pmm_page_nid(p), 1);
	node_text(m, 1, PMM_NODE_REPORT_NUMASTAT, &t);
	assert_true(strtoul(t + strlen("numa_hit "), NULL, 10) > hit1);
	free(t);
	/* Each node's nr_free_pages is its MemFree; the two add up to /proc/vmstat's. */
	nr_free = 0;
	for (int nid = 0; nid < 2; nid++) {
		node_text(m, nid, PMM_NODE_REPORT_VMSTAT, &v);
		node_text(m, nid, PMM_NODE_REPORT_MEMINFO, &t);
		parse_node_meminfo("node meminfo", t, &f[nid]);
		assert_int_equal(strncmp(v, "nr_free_pages ", 14), 0);
		assert_int_equal(strtoul(v + 14, NULL, 10) * 4, f[nid].meminfo[NMI_MEMFREE]);
		nr_free += strtoul(v + 14, NULL, 10);
		free(v);
		free(t);
	}
	assert_int_equal(nr_free, pmm_test_vmstat(m, "nr_free_pages"));
	pmm_free_pages(m, p, 0);
	assert_int_equal(pmm_report_node_write(m, 2, PMM_NODE_REPORT_MEMINFO, stdout), -PMM_ENODEV);
	assert_int_equal(pmm_report_node_write(m, -1, PMM_NODE_REPORT_MEMINFO, stdout), -PMM_ENODEV);
	assert_int_equal(pmm_report_node_write(m, 0, PMM_NODE_REPORT_NR, stdout), -PMM_EINVAL);
	assert_int_equal(pmm_report_node_write(m, 0, PMM_NODE_REPORT_VMSTAT, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_report_node_snprint(m, 2, PMM_NODE_REPORT_MEMINFO, NULL, 0), -PMM_ENODEV);
	assert_int_equal(pmm_report_node_snprint(m, 0, PMM_NODE_REPORT_NR, NULL, 0), -PMM_EINVAL);
	assert_int_equal(pmm_report_node_snprint(m, 0, PMM_NODE_REPORT_VMSTAT, NULL, 8), -PMM_EINVAL);
	assert_null(pmm_node_report_name(PMM_NODE_REPORT_NR));
	assert_string_equal(pmm_node_report_name(PMM_NODE_REPORT_NUMASTAT), "numastat");
	pmm_destroy(m);

	/* Node 1 has a CPU and no memory: its files are there, all zero. */
	m = pmm_test_machine("mem=256M cpus=2 node_cpus=1:1", NULL);
	assert_int_equal(pmm_report_nodes(m), 3);
	node_text(m, 1, PMM_NODE_REPORT_MEMINFO, &t);
	parse_node_meminfo("node meminfo", t, &f[1]);
	for (int i = 0; i < NR_NODE_MEMINFO; i++)
		assert_int_equal(f[1].meminfo[i], 0);
	free(t);
	pmm_destroy(m);
	assert_int_equal(pmm_report_nodes(NULL), 0);
}

/* Without page_owner there is no mixed-blocks section, as in the kernel. */
static void test_pagetypeinfo_mixed_needs_page_owner(void **state)
{
	struct pmm *m = capture_machine("");
	size_t len;
	char *t = report_text(m, PMM_REPORT_PAGETYPEINFO, &len);

	(void)state;
	assert_non_null(strstr(t, "Number of blocks type"));
	assert_null(strstr(t, "Number of mixed blocks"));
	free(t);
	pmm_destroy(m);
}

/* The values of @label in zone @zone of a zoneinfo text, '|'-joined. */
static void zone_values(const char *text, const char *zone, const char *label, char *out,
			size_t size)
{
	char head[64], line[1024];
	const char *p = text;
	bool in = false;
	size_t len = 0;

	snprintf(head, sizeof(head), "Node 0, zone %8s", zone);
	out[0] = 0;
	while (next_line(&p, line, sizeof(line))) {
		const char *s = line;

		if (!strncmp(line, "Node ", 5)) {
			in = !strcmp(line, head);
			continue;
		}
		while (*s == ' ')
			s++;
		if (in && !strncmp(s, label, strlen(label)) && s[strlen(label)] == ' ')
			len += (size_t)snprintf(out + len, size - len, "%s|", s + strlen(label));
	}
}

static unsigned long zone_value(const char *text, const char *zone, const char *label)
{
	char v[256];

	zone_values(text, zone, label, v, sizeof(v));
	if (!v[0])
		fail_msg("zone %s has no '%s'", zone, label);
	return strtoul(v + strspn(v, " :"), NULL, 10);
}

/*
 * Pages the kernel freed from its own reservations after it set its
 * watermarks, from the boot log: initrd, unused decrypted memory and the
 * init/gap parts of the image ("Freeing ...: NK").  SMP alternatives are
 * freed too, but in start_kernel, before any initcall.
 */
static unsigned long late_freed_pages(const char *dmesg, unsigned long *all_after_mem_init)
{
	const char *p = strstr(dmesg, "] Memory: ");
	unsigned long late = 0, all = 0;
	char line[512];

	assert_non_null(p);
	while (next_line(&p, line, sizeof(line))) {
		const char *f = strstr(line, "] Freeing ");
		const char *k = f ? strstr(f, "memory: ") : NULL;
		unsigned long kb;

		if (!k || sscanf(k, "memory: %luK", &kb) != 1)
			continue;
		all += kb / 4;
		if (!strstr(line, "SMP alternatives"))
			late += kb / 4;
	}
	*all_after_mem_init = all;
	return late;
}

/*
 * The requirement: the capture's zone sizes, min_free_kbytes and ratios give
 * exactly the kernel's min/low/high, protection, pcp high/batch and
 * thresholds.  The kernel set them before it freed its init memory, and
 * freeing reserved memory raises managed without recomputing them
 * (adjust_managed_page_count), so the machine reserves what the kernel
 * still held then; its managed pages are the capture's minus the pages
 * freed after that, read from the capture's boot log.
 */
static void test_watermark_fidelity(void **state)
{
	static const char *const exact[] = {
		"pages free", "boost", "min", "low", "high", "spanned", "present", "cma",
		"protection:", "high:", "batch:", "vm stats threshold:", "node_unreclaimable:",
		"start_pfn:",
	};
	struct pmm *m = capture_machine("page_owner=on");
	char *kernel = load(CAPTURE "zoneinfo.txt", NULL);
	char *dmesg = load(CAPTURE "dmesg.txt.xz", NULL);
	unsigned long all_after, late = late_freed_pages(dmesg, &all_after);
	unsigned long mem_reserved_kb, present = 0, managed = 0;
	const char *mem = strstr(dmesg, "] Memory: ");
	size_t len;
	char *ours = report_text(m, PMM_REPORT_ZONEINFO, &len);

	(void)state;
	/*
	 * The explanation holds on the capture alone: what "Memory:" called
	 * reserved, less everything freed later, is what stays unmanaged.
	 */
	assert_non_null(mem);
	assert_int_equal(sscanf(strstr(mem, "bss, "), "bss, %luK reserved", &mem_reserved_kb), 1);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		present += zone_value(kernel, zone_names[zi], "present");
		managed += zone_value(kernel, zone_names[zi], "managed");
	}
	assert_int_equal(mem_reserved_kb / 4 - all_after, present - managed);

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const char *zn = zone_names[zi];
		unsigned long kmanaged = zone_value(kernel, zn, "managed");
		unsigned long pmanaged = zone_value(ours, zn, "managed");

		for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
			char kv[512], pv[512];

			/* Free pages depend on the workload: exact only for empty zones. */
			if (!strcmp(exact[i], "pages free") && kmanaged)
				continue;
			zone_values(kernel, zn, exact[i], kv, sizeof(kv));
			zone_values(ours, zn, exact[i], pv, sizeof(pv));
			if (strcmp(kv, pv))
				fail_msg("zone %s '%s': kernel '%s', pmm '%s'", zn, exact[i], kv, pv);
		}
		/* All the late frees are above 16 MiB: in DMA32. */
		assert_int_equal(pmanaged, kmanaged - (zi == ZONE_DMA32 ? late : 0));
	}
	free(ours);
	free(dmesg);
	free(kernel);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ behaviour */

static unsigned long text_value(const char *text, const char *name)
{
	return vmstat_value(text, name);
}

static void sum_buddyinfo(const char *text, unsigned long *pages)
{
	struct node_report *n = malloc(sizeof(*n));

	parse_buddyinfo(text, n);
	*pages = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		for (int o = 0; o < MAX_ORDER; o++)
			*pages += n->zone[zi].nr_free[o] << o;
	free(n);
}

/*
 * The fast paths count a per-CPU list hit in one counter per order
 * (PCP_HIT); vmstat reads it as 1 << order pages of pgalloc and one
 * numa_hit and numa_local, as the kernel counts it.  Orders 0-3 and the
 * pageblock order, on whichever path the calling thread takes (the leaf
 * where it has rseq), with the lists primed so that most are hits.  A 2
 * GiB machine is DMA and DMA32, and GFP_KERNEL prefers DMA32.
 */
static void test_counters_follow_fast_hits(void **state)
{
	static const unsigned orders[] = { 0, 1, 2, 3, 9 };
	/* 2 GiB: a per-CPU high (978 pages) that keeps a pageblock-order block listed. */
	struct pmm *m = pmm_test_machine("mem=2G", NULL);
	unsigned long allocated = 0, n = 0;
	char *before, *after;
	size_t len;

	(void)state;
	for (unsigned r = 0; r < 3; r++)
		for (unsigned k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
			struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, orders[k]);

			assert_non_null(p);
			pmm_free_pages(m, p, orders[k]);
		}
	before = report_text(m, PMM_REPORT_VMSTAT, &len);
	for (unsigned r = 0; r < 50; r++)
		for (unsigned k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
			struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, orders[k]);

			assert_non_null(p);
			allocated += 1ul << orders[k];
			n++;
			pmm_free_pages(m, p, orders[k]);
		}
	after = report_text(m, PMM_REPORT_VMSTAT, &len);
	assert_int_equal(text_value(after, "pgalloc_dma32") - text_value(before, "pgalloc_dma32"),
			 allocated);
	assert_int_equal(text_value(after, "pgfree") - text_value(before, "pgfree"), allocated);
	assert_int_equal(text_value(after, "numa_hit") - text_value(before, "numa_hit"), n);
	assert_int_equal(text_value(after, "numa_local") - text_value(before, "numa_local"), n);
	assert_int_equal(text_value(after, "numa_other"), text_value(before, "numa_other"));
	free(before);
	free(after);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void test_counters_follow_allocations(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=2", NULL);
	size_t len;
	char *before, *after, *bi, *zi;
	unsigned long allocated = 0, freed = 0, buddy_pages;
	struct pmm_page *p[40];

	(void)state;
	assert_int_equal(pmm_set_thread_cpu(m, 1), 0);
	before = report_text(m, PMM_REPORT_VMSTAT, &len);
	for (unsigned i = 0; i < 40; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, i % 4);
		assert_non_null(p[i]);
		allocated += 1ul << (i % 4);
	}
	for (unsigned i = 0; i < 40; i += 4) {
		pmm_free_pages(m, p[i], i % 4);
		freed += 1ul << (i % 4);
	}
	after = report_text(m, PMM_REPORT_VMSTAT, &len);
	/* 256 MiB is all DMA (16 MiB) + DMA32; GFP_KERNEL prefers DMA32. */
	assert_int_equal(text_value(after, "pgalloc_dma32") - text_value(before, "pgalloc_dma32"),
			 allocated);
	assert_int_equal(text_value(after, "pgalloc_dma"), text_value(before, "pgalloc_dma"));
	assert_int_equal(text_value(after, "pgfree") - text_value(before, "pgfree"), freed);
	/* NUMA events count allocations, not pages. */
	assert_int_equal(text_value(after, "numa_hit") - text_value(before, "numa_hit"), 40);
	assert_int_equal(text_value(after, "numa_local") - text_value(before, "numa_local"), 40);
	assert_int_equal(text_value(after, "numa_miss"), 0);
	assert_int_equal(text_value(after, "nr_free_pages"), pmm_nr_free_pages(m));

	/* buddyinfo, zoneinfo and vmstat agree on the free pages. */
	bi = report_text(m, PMM_REPORT_BUDDYINFO, &len);
	sum_buddyinfo(bi, &buddy_pages);
	assert_int_equal(buddy_pages, pmm_nr_free_pages(m));
	zi = report_text(m, PMM_REPORT_ZONEINFO, &len);
	assert_int_equal(zone_value(zi, "DMA", "pages free") + zone_value(zi, "DMA32", "pages free"),
			 pmm_nr_free_pages(m));
	assert_int_equal(zone_value(zi, "DMA", "managed") + zone_value(zi, "DMA32", "managed"),
			 pmm_totalram_pages(m));
	/* CPU 1 holds per-CPU pages in DMA32, CPU 0 none. */
	{
		char counts[256];

		zone_values(zi, "DMA32", "count:", counts, sizeof(counts));
		assert_true(!strncmp(counts, " 0|", 3));
		assert_true(strcmp(counts, " 0| 0|") != 0);
	}
	pmm_set_thread_cpu(m, -1);
	free(bi);
	free(zi);
	free(before);
	free(after);
	pmm_destroy(m);
}

/* Draining moves per-CPU pages back: buddyinfo then holds every free page. */
static void test_reports_after_drain(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M cpus=3", NULL);
	struct pmm_page *p[16];
	size_t len;
	char *zi, *vm;
	unsigned long buddy_pages;

	(void)state;
	pmm_set_thread_cpu(m, 2);
	for (int i = 0; i < 16; i++)
		p[i] = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	for (int i = 0; i < 16; i++)
		pmm_free_pages(m, p[i], 0);
	pmm_drain_all(m);
	zi = report_text(m, PMM_REPORT_ZONEINFO, &len);
	{
		char counts[256];

		zone_values(zi, "DMA32", "count:", counts, sizeof(counts));
		assert_string_equal(counts, " 0| 0| 0|");
	}
	vm = report_text(m, PMM_REPORT_BUDDYINFO, &len);
	sum_buddyinfo(vm, &buddy_pages);
	assert_int_equal(buddy_pages, pmm_totalram_pages(m));
	pmm_set_thread_cpu(m, -1);
	free(zi);
	free(vm);
	pmm_destroy(m);
}

static void mixed_counts(struct pmm *m, unsigned long out[MIGRATE_TYPES])
{
	size_t len;
	char *t = report_text(m, PMM_REPORT_PAGETYPEINFO, &len);
	struct node_report *n = malloc(sizeof(*n));

	parse_pagetypeinfo(t, n);
	assert_true(n->show_mixed);
	memset(out, 0, sizeof(unsigned long) * MIGRATE_TYPES);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			out[mt] += n->zone[zi].mixed[mt];
	free(n);
	free(t);
}

/*
 * A block counts as mixed once it holds an allocation of another
 * migratetype.  Make that happen by retyping the blocks of movable
 * allocations, as a fallback steal would.
 */
static void test_mixed_blocks(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1 page_owner=on", NULL);
	unsigned long before[MIGRATE_TYPES], after[MIGRATE_TYPES], back[MIGRATE_TYPES];
	struct pmm_page *p[4];
	int blocks = 0;

	(void)state;
	mixed_counts(m, before);
	/* One order-9 movable block each: four distinct pageblocks. */
	for (int i = 0; i < 4; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, pageblock_order);
		assert_non_null(p[i]);
		assert_int_equal(get_pageblock_migratetype(m, (struct page *)p[i]), MIGRATE_MOVABLE);
	}
	for (int i = 0; i < 3; i++, blocks++)
		set_pageblock_migratetype(m, (struct page *)p[i], MIGRATE_UNMOVABLE);
	mixed_counts(m, after);
	assert_int_equal(after[MIGRATE_UNMOVABLE], before[MIGRATE_UNMOVABLE] + (unsigned long)blocks);
	assert_int_equal(after[MIGRATE_MOVABLE], before[MIGRATE_MOVABLE]);
	assert_int_equal(after[MIGRATE_RECLAIMABLE], before[MIGRATE_RECLAIMABLE]);

	/* Freed, the blocks hold nothing of another type any more. */
	for (int i = 0; i < 4; i++)
		pmm_free_pages(m, p[i], pageblock_order);
	mixed_counts(m, back);
	assert_int_equal(back[MIGRATE_UNMOVABLE], before[MIGRATE_UNMOVABLE]);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* On a quiet machine pagetypeinfo's free lists add up to buddyinfo's nr_free. */
static void test_pagetypeinfo_adds_up_to_buddyinfo(void **state)
{
	struct pmm *m = capture_machine("");
	struct node_report *pt = malloc(sizeof(*pt)), *bi = malloc(sizeof(*bi));
	size_t len;
	char *t1, *t2;
	unsigned long blocks = 0;

	(void)state;
	churn(m);
	t1 = report_text(m, PMM_REPORT_PAGETYPEINFO, &len);
	t2 = report_text(m, PMM_REPORT_BUDDYINFO, &len);
	parse_pagetypeinfo(t1, pt);
	parse_buddyinfo(t2, bi);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		for (int o = 0; o < MAX_ORDER; o++) {
			unsigned long sum = 0;

			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				sum += pt->zone[zi].free_count[mt][o];
			if (sum != bi->zone[zi].nr_free[o])
				fail_msg("zone %s order %d: pagetypeinfo %lu, buddyinfo %lu",
					 zone_names[zi], o, sum, bi->zone[zi].nr_free[o]);
			blocks += sum;
		}
	assert_true(blocks > 0);
	free(t1);
	free(t2);
	free(pt);
	free(bi);
	pmm_destroy(m);
}

static void test_pageblock_counts_cover_the_zone(void **state)
{
	struct pmm *m = capture_machine("");
	struct node_report *n = malloc(sizeof(*n)), *k = malloc(sizeof(*k));
	size_t len;
	char *t = report_text(m, PMM_REPORT_PAGETYPEINFO, &len);
	char *kt = load(CAPTURE "pagetypeinfo.txt", NULL);

	(void)state;
	parse_pagetypeinfo(t, n);
	parse_pagetypeinfo(kt, k);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		unsigned long ours = 0, kernels = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			ours += n->zone[zi].blocks[mt];
			kernels += k->zone[zi].blocks[mt];
		}
		/* One sample per pageblock from the zone start: the same for the same layout. */
		assert_int_equal(ours, kernels);
	}
	free(t);
	free(kt);
	free(n);
	free(k);
	pmm_destroy(m);
}

static void test_two_nodes(void **state)
{
	struct pmm *m = pmm_test_machine("mem=2G nodes=2 cpus=4", NULL);
	size_t len;
	char *zi = report_text(m, PMM_REPORT_ZONEINFO, &len);
	char *pt = report_text(m, PMM_REPORT_PAGETYPEINFO, &len);
	char *bi = report_text(m, PMM_REPORT_BUDDYINFO, &len);
	int per_node = 0, node1_zones = 0, headers = 0, cpus = 0;
	const char *s;

	(void)state;
	for (s = zi; (s = strstr(s, "per-node stats")); s++)
		per_node++;
	for (s = zi; (s = strstr(s, "Node 1, zone")); s++)
		node1_zones++;
	for (s = zi; (s = strstr(s, "\n    cpu: ")); s++)
		cpus++;
	for (s = pt; (s = strstr(s, "Page block order: 9")); s++)
		headers++;
	assert_int_equal(per_node, 2);
	assert_int_equal(node1_zones, MAX_NR_ZONES);
	assert_int_equal(headers, 2);
	/* Every populated zone lists every CPU. */
	assert_int_equal(cpus % 4, 0);
	assert_true(cpus > 0);
	assert_non_null(strstr(bi, "Node 1, zone"));
	free(zi);
	free(pt);
	free(bi);
	pmm_destroy(m);
}

static void test_pcp_off_prints_boot_pageset(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2 pcp=off", NULL);
	size_t len;
	char *zi = report_text(m, PMM_REPORT_ZONEINFO, &len);
	char v[128];

	(void)state;
	zone_values(zi, "DMA32", "high:", v, sizeof(v));
	assert_string_equal(v, "  0|  0|");
	zone_values(zi, "DMA32", "batch:", v, sizeof(v));
	assert_string_equal(v, " 1| 1|");
	free(zi);
	pmm_destroy(m);
}

/* A kernel with CMA prints a CMA column; a list past 100000 prints ">100000". */
static void test_cma_column_and_overflow(void **state)
{
	struct node_report *n = malloc(sizeof(*n));
	size_t len;
	char *t;

	(void)state;
	new_node(n);
	n->has_cma = true;
	n->zone[ZONE_DMA32].populated = true;
	n->zone[ZONE_DMA32].free_count[MIGRATE_MOVABLE][10] = FREECOUNT_CAP;
	n->zone[ZONE_DMA32].free_count[MIGRATE_MOVABLE][9] = FREECOUNT_CAP - 1;
	t = render(pagetypeinfo_show, n, &len);
	/* reference §2.5, the header of a CMA build */
	assert_non_null(strstr(t, "\nNumber of blocks type     Unmovable      Movable  Reclaimable"
				  "   HighAtomic          CMA      Isolate \n"));
	assert_non_null(strstr(t, "Node    0, zone    DMA32, type          CMA "));
	assert_non_null(strstr(t, "  99999 >100000 \n"));
	free(t);
	free(n);
}

static void test_snprint_and_errors(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1", NULL);
	char small[40], *full;
	long n;
	size_t len;
	FILE *ro;

	(void)state;
	full = report_text(m, PMM_REPORT_ZONEINFO, &len);
	n = pmm_report_snprint(m, PMM_REPORT_ZONEINFO, small, sizeof(small));
	assert_int_equal(n, (long)len);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, full, sizeof(small) - 1);
	assert_int_equal(pmm_report_snprint(m, PMM_REPORT_ZONEINFO, NULL, 0), (long)len);
	assert_int_equal(pmm_report_snprint(m, PMM_REPORT_ZONEINFO, NULL, 10), -PMM_EINVAL);
	assert_int_equal(pmm_report_snprint(m, PMM_REPORT_NR, small, sizeof(small)), -PMM_EINVAL);
	assert_int_equal(pmm_report_snprint(NULL, PMM_REPORT_VMSTAT, small, sizeof(small)),
			 -PMM_EINVAL);
	assert_int_equal(pmm_report_write(m, PMM_REPORT_VMSTAT, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_report_write(m, (enum pmm_report)-1, stdout), -PMM_EINVAL);

	/* A stream that refuses writes. */
	ro = fopen("/dev/null", "r");
	assert_non_null(ro);
	assert_int_equal(pmm_report_vmstat(m, ro), -PMM_EIO);
	fclose(ro);

	for (int r = 0; r < PMM_REPORT_NR; r++)
		assert_int_equal(pmm_report_lookup(pmm_report_name((enum pmm_report)r)), r);
	assert_int_equal(pmm_report_lookup("slabinfo"), -PMM_EINVAL);
	assert_int_equal(pmm_report_lookup(NULL), -PMM_EINVAL);
	assert_null(pmm_report_name(PMM_REPORT_NR));
	free(full);
	pmm_destroy(m);
}

/* The stream variants print what the buffer variant does. */
static void test_stream_equals_buffer(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M cpus=2", NULL);
	int (*fn[PMM_REPORT_NR])(struct pmm *, FILE *) = {
		pmm_report_buddyinfo, pmm_report_pagetypeinfo, pmm_report_zoneinfo,
		pmm_report_vmstat, pmm_report_extfrag_index, pmm_report_unusable_index,
		pmm_report_meminfo,
	};

	(void)state;
	for (int r = 0; r < PMM_REPORT_NR; r++) {
		char *mem = NULL, *buf;
		size_t memlen = 0, len;
		FILE *f = open_memstream(&mem, &memlen);

		assert_non_null(f);
		assert_int_equal(fn[r](m, f), 0);
		fclose(f);
		buf = report_text(m, (enum pmm_report)r, &len);
		pmm_test_assert_text_eq(pmm_report_name((enum pmm_report)r), buf, len, mem, memlen);
		free(buf);
		free(mem);
	}
	pmm_destroy(m);
}

struct churner {
	struct pmm *m;
	int cpu;
	volatile int *stop;
};

static void *churn_thread(void *arg)
{
	struct churner *c = arg;
	struct pmm_page *p[32] = { NULL };
	unsigned i = 0;

	pmm_set_thread_cpu(c->m, c->cpu);
	while (!__atomic_load_n(c->stop, __ATOMIC_RELAXED)) {
		unsigned k = i % 32, order = (i / 32) % 4;

		if (p[k])
			pmm_free_pages(c->m, p[k], (unsigned)(k % 4));
		p[k] = pmm_alloc_pages(c->m, k % 2 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE,
				       (unsigned)(k % 4));
		(void)order;
		i++;
	}
	for (unsigned k = 0; k < 32; k++)
		if (p[k])
			pmm_free_pages(c->m, p[k], k % 4);
	return NULL;
}

/* Reports read a live machine: same shape as on a quiet one, nothing corrupted. */
static void test_reports_while_allocating(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=3 page_owner=on", NULL);
	volatile int stop = 0;
	struct churner c[2] = { { m, 1, &stop }, { m, 2, &stop } };
	pthread_t t[2];
	char *quiet[PMM_REPORT_NR];
	size_t len;

	(void)state;
	for (int r = 0; r < PMM_REPORT_NR; r++)
		quiet[r] = report_text(m, (enum pmm_report)r, &len);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_thread, &c[i]), 0);
	for (int round = 0; round < 20; round++)
		for (int r = 0; r < PMM_REPORT_NR; r++) {
			char *live = report_text(m, (enum pmm_report)r, &len);

			assert_same_shape(pmm_report_name((enum pmm_report)r), quiet[r], live);
			free(live);
		}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_machine_valid(m);
	for (int r = 0; r < PMM_REPORT_NR; r++)
		free(quiet[r]);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddyinfo_golden),
		cmocka_unit_test(test_pagetypeinfo_golden),
		cmocka_unit_test(test_zoneinfo_golden),
		cmocka_unit_test(test_extfrag_golden),
		cmocka_unit_test(test_extfrag_formula_edges),
		cmocka_unit_test(test_vmstat_golden),
		cmocka_unit_test(test_meminfo_golden),
		cmocka_unit_test(test_meminfo_formulas),
		cmocka_unit_test(test_meminfo_of_a_machine),
		cmocka_unit_test(test_node_files_golden),
		cmocka_unit_test(test_node_files_of_a_machine),
		cmocka_unit_test(test_dirty_limits_formula),
		cmocka_unit_test(test_stat_threshold_formula),
		cmocka_unit_test(test_stat_threshold_set_with_marks),
		cmocka_unit_test(test_boot_reports_cpu_independent),
		cmocka_unit_test(test_masked_compare_catches_width_errors),
		cmocka_unit_test(test_reports_have_the_kernels_shape),
		cmocka_unit_test(test_pagetypeinfo_mixed_needs_page_owner),
		cmocka_unit_test(test_watermark_fidelity),
		cmocka_unit_test(test_counters_follow_allocations),
		cmocka_unit_test(test_counters_follow_fast_hits),
		cmocka_unit_test(test_reports_after_drain),
		cmocka_unit_test(test_mixed_blocks),
		cmocka_unit_test(test_pagetypeinfo_adds_up_to_buddyinfo),
		cmocka_unit_test(test_pageblock_counts_cover_the_zone),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_pcp_off_prints_boot_pageset),
		cmocka_unit_test(test_cma_column_and_overflow),
		cmocka_unit_test(test_snprint_and_errors),
		cmocka_unit_test(test_stream_equals_buffer),
		cmocka_unit_test(test_reports_while_allocating),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
