// SPDX-License-Identifier: MIT
/*
 * Boot-time huge page pools (src/mm/hugetlb.c): the kernel's
 * hugepagesz=/hugepages=/default_hugepagesz= pairing and its errors with
 * file:line; 1 GiB pages taken from memblock, 1 GiB-aligned from the top of
 * each node in turn, counted reserved on the "Memory:" line and managed
 * afterwards; per-node counts; a shortfall warned as the kernel warns it;
 * 2 MiB pages from the buddy allocator; the pool handing pages out and
 * taking them back, refusing a double put or a wrong order as bad pages,
 * and giving pages back to the buddy allocator; offline dissolving pool
 * pages and refusing a block with one handed out; resizing after boot as
 * writing nr_hugepages does (growing on the nodes in turn, shrinking with
 * surplus pages that leave when released, one node's count, running out of
 * memory, 1 GiB pages as contiguous ranges), surplus pages by
 * nr_overcommit_hugepages; contiguous ranges replacing pool pages;
 * reservations (backed by the pool or by gathered surplus pages, kept by
 * takes without one, shrinks and offline, released with the surplus pages
 * they needed); demotion of 1 GiB pages into 2 MiB ones.
 */
#include "harness.h"

#include <limits.h>

#include <pmm/hotplug.h>
#include <pmm/hugetlb.h>
#include <pmm/report.h>

#define G1 (1ul << PMM_HUGETLB_ORDER_1G)
#define M2 (1ul << PMM_HUGETLB_ORDER_2M)

static void expect_parse_error(const char *text, const char *why)
{
	struct pmm_config c;
	char err[256];

	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, text, strlen(text), "t.conf", err, sizeof(err)),
			 -PMM_EINVAL);
	if (!strstr(err, why) || strncmp(err, "t.conf:", 7))
		fail_msg("'%s': error '%s', expected file:line and '%s'", text, err, why);
}

static void parse(struct pmm_config *c, const char *text)
{
	char err[256];

	pmm_config_default(c);
	if (pmm_config_parse(c, text, strlen(text), "t.conf", err, sizeof(err)))
		fail_msg("'%s': %s", text, err);
}

static void test_config_pairing(void **state)
{
	struct pmm_config c;

	(void)state;
	parse(&c, "hugepagesz=1G hugepages=2 hugepagesz=2M hugepages=0:3,1:4");
	assert_int_equal(c.nr_hstates, 2);
	assert_int_equal(c.hstates[0].order, 18);
	assert_int_equal(c.hstates[0].nr, 2);
	assert_int_equal(c.hstates[1].order, 9);
	assert_int_equal(c.hstates[1].nr, 7);
	assert_int_equal(c.hstates[1].nr_node[0], 3);
	assert_int_equal(c.hstates[1].nr_node[1], 4);
	assert_false(c.default_count.count_set);

	/* Before any size: the default size's count, tied to default_hugepagesz= when it comes. */
	parse(&c, "hugepages=5");
	assert_true(c.default_count.count_set);
	assert_int_equal(c.default_count.nr, 5);
	assert_int_equal(c.nr_hstates, 0);
	parse(&c, "hugepages=3 default_hugepagesz=1G");
	assert_false(c.default_count.count_set);
	assert_int_equal(c.default_hstate, 0);
	assert_int_equal(c.hstates[0].order, 18);
	assert_int_equal(c.hstates[0].nr, 3);
	parse(&c, "default_hugepagesz=1G hugepagesz=1G hugepages=1");
	assert_int_equal(c.nr_hstates, 1);
	assert_int_equal(c.hstates[0].nr, 1);

	expect_parse_error("hugepagesz=4M", "unsupported huge page size");
	expect_parse_error("hugepagesz=1G hugepagesz=1G", "named twice");
	expect_parse_error("hugepagesz=1G hugepages=1 hugepages=2", "given twice");
	expect_parse_error("hugepages=0:1,x:2", "expected hugepages=N or NODE:N");
	expect_parse_error("hugepages=0:1,0:2", "a node counted twice");
	expect_parse_error("hugepages=-1", "bad huge page count");
	expect_parse_error("default_hugepagesz=1G default_hugepagesz=2M", "given twice");
}

/* The pfns of the 1 GiB pages in @m's pool, taking them out and putting them back. */
static unsigned long pool_pfns(struct pmm *m, int nid, unsigned long *pfns, unsigned long max)
{
	struct pmm_page *taken[64];
	unsigned long n = 0;

	while (n < max && n < 64 && (taken[n] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, nid))) {
		pfns[n] = pmm_page_to_pfn(m, taken[n]);
		n++;
	}
	for (unsigned long i = 0; i < n; i++)
		pmm_put_page(m, taken[i]);
	return n;
}

/* @c's counts, all of them, for @order on @nid. */
static struct pmm_hugetlb_counts counts(struct pmm *m, unsigned order, int nid)
{
	struct pmm_hugetlb_counts c;

	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(pmm_hugetlb_counts(m, order, nid, &c), 0);
	return c;
}

#define assert_counts(m, order, nid, nr_, free_, surp_)                      \
	do {                                                                 \
		struct pmm_hugetlb_counts c_ = counts(m, order, nid);        \
		if (c_.nr != (nr_) || c_.nr_free != (free_) || c_.surplus != (surp_)) \
			fail_msg("pool %u node %d: nr %lu free %lu surplus %lu, expected %lu %lu %lu", \
				 (unsigned)(order), (int)(nid), c_.nr, c_.nr_free, c_.surplus,  \
				 (unsigned long)(nr_), (unsigned long)(free_), (unsigned long)(surp_)); \
	} while (0)

/* The value of /proc/meminfo's line @label. */
static unsigned long meminfo_value(struct pmm *m, const char *label)
{
	char buf[8192];
	const char *p;

	assert_true(pmm_report_snprint(m, PMM_REPORT_MEMINFO, buf, sizeof(buf)) < (long)sizeof(buf));
	p = strstr(buf, label);
	assert_non_null(p);
	return strtoul(p + strlen(label), NULL, 10);
}

static void expect_sysctl(struct pmm *m, const char *name, const char *value)
{
	char buf[64];

	assert_int_equal(pmm_sysctl_read(m, name, buf, sizeof(buf)), (int)strlen(value));
	assert_string_equal(buf, value);
}

/* Frames free in the buddy allocator and per-CPU lists, lists drained. */
static unsigned long free_frames(struct pmm *m)
{
	pmm_drain_all(m);
	return pmm_nr_free_pages(m);
}

static void test_gigantic_boot(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long nr, nr_free, pfns[8];
	unsigned long managed_without;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G reserve=0x0-0xfffff", &log);
	managed_without = pmm_totalram_pages(m);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, NULL),
			 -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, 0);
	assert_true(pmm_test_log_has(&log, "HugeTLB: registered 2.00 MiB page size, pre-allocated 0 pages\n"));
	assert_true(pmm_test_log_has(&log, "HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page\n"));
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	m = pmm_test_machine("mem=8G reserve=0x0-0xfffff hugepagesz=1G hugepages=2", &log);
	assert_machine_valid(m);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(nr_free, 2);
	/* From the top, 1 GiB-aligned; the kernel's pool hands out the first one taken first. */
	assert_int_equal(pool_pfns(m, PMM_NUMA_NO_NODE, pfns, 8), 2);
	assert_int_equal(pfns[0], 7 * G1);
	assert_int_equal(pfns[1], 6 * G1);
	/* Reserved while memblock was up, then managed: nothing lost, nothing free. */
	assert_true(pmm_test_log_has(&log, "2098176K reserved, 0K cma-reserved)\n"));
	assert_true(pmm_test_log_has(&log, "HugeTLB: registered 1.00 GiB page size, pre-allocated 2 pages\n"));
	assert_true(pmm_test_log_has(&log, "HugeTLB: 16380 KiB vmemmap can be freed for a 1.00 GiB page\n"));
	assert_int_equal(pmm_totalram_pages(m), managed_without);
	pmm_drain_all(m);
	assert_true(pmm_nr_free_pages(m) <= managed_without - 2 * G1);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	/* More than there is: what fits, and the kernel's warning. */
	m = pmm_test_machine("mem=8G reserve=0x0-0xfffff hugepagesz=1G hugepages=100", &log);
	assert_true(pmm_test_log_has(&log, "HugeTLB: allocating 100 of page size 1.00 GiB failed.  Only allocated 7 hugepages.\n"));
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, NULL), 0);
	assert_int_equal(nr, 7);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_gigantic_nodes(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long nr, pfns[8];
	struct pmm *m;

	(void)state;
	/* Spread: node 0, node 1, node 0, ... from each node's top. */
	m = pmm_test_machine("mem=8G nodes=2 hugepagesz=1G hugepages=3", &log);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, 0, &nr, NULL), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, 1, &nr, NULL), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(pool_pfns(m, 1, pfns, 8), 1);
	assert_int_equal(pfns[0], 7 * G1);
	assert_int_equal(pool_pfns(m, 0, pfns, 8), 2);
	assert_int_equal(pfns[0], 3 * G1);
	assert_int_equal(pfns[1], 2 * G1);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	/* Per node. */
	m = pmm_test_machine("mem=8G nodes=2 hugepagesz=1G hugepages=1:2", &log);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, 0, &nr, NULL), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, 1, &nr, NULL), 0);
	assert_int_equal(nr, 2);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	/* A count for a node the machine does not have: refused. */
	{
		struct pmm_config c;

		parse(&c, "mem=8G nodes=2 hugepagesz=1G hugepages=3:1");
		pmm_test_expect_refused(&c, "hugepages= counts pages on node 3, which the machine does not have");
		/* memmap=altmap keeps each section's memmap in its first frames: no 1 GiB pages. */
		parse(&c, "mem=4G backend=memfd memmap=altmap hugepagesz=1G hugepages=1");
		pmm_test_expect_refused(&c, "1G huge pages at boot and memmap=altmap do not go together");
		/* A config built in C with more sizes than there are. */
		parse(&c, "mem=4G hugepagesz=1G hugepages=1 hugepagesz=2M");
		c.nr_hstates = 3;
		pmm_test_expect_refused(&c, "pmm: 3 huge page sizes, at most 2");
	}
}

static void test_pool_use(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long nr, nr_free, free0, bad0;
	struct pmm_page *p, *q;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G hugepages=16 hugepagesz=1G hugepages=2", &log);
	assert_true(pmm_test_log_has(&log, "HugeTLB: registered 2.00 MiB page size, pre-allocated 16 pages\n"));
	assert_true(pmm_test_log_has(&log, "HugeTLB: registered 1.00 GiB page size, pre-allocated 2 pages\n"));
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, 16);
	assert_int_equal(nr_free, 16);

	/* Hand one out: a compound block, refcount 1. */
	p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE);
	assert_non_null(p);
	assert_int_equal(pmm_page_count(p), 1);
	memset(pmm_page_address(m, p), 0x5a, 4096);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(nr_free, 1);
	/* get + put keeps it; the last put brings it back to the pool. */
	assert_int_equal(pmm_get_page(m, p), 0);
	pmm_put_page(m, p);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, NULL, &nr_free), 0);
	assert_int_equal(nr_free, 1);
	/* Freed with another order: a bad page, refused; the page stays the caller's. */
	bad0 = pmm_bad_page_count(m);
	pmm_free_pages(m, p, 0);
	assert_int_equal(pmm_bad_page_count(m), bad0 + 1);
	assert_true(pmm_test_log_has(&log, "freeing a huge page with the wrong order"));
	pmm_free_pages(m, p, PMM_HUGETLB_ORDER_1G);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, NULL, &nr_free), 0);
	assert_int_equal(nr_free, 2);
	/* A second put: a double free, reported and refused; the pool is as it was. */
	pmm_put_page(m, p);
	assert_int_equal(pmm_bad_page_count(m), bad0 + 2);
	assert_true(pmm_test_log_has(&log, "freeing a huge page that is in its pool (double free)"));
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(nr_free, 2);

	/* A 2 MiB page, handed out and back, then all given back to the buddy allocator. */
	q = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, 0);
	assert_non_null(q);
	pmm_free_pages(m, q, PMM_HUGETLB_ORDER_2M);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_int_equal(pmm_hugetlb_shrink(m, PMM_HUGETLB_ORDER_2M, 100), 16);
	assert_int_equal(pmm_hugetlb_shrink(m, PMM_HUGETLB_ORDER_1G, 1), 1);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0 + 16 * M2 + G1);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(nr_free, 1);
	assert_machine_valid(m);
	/* The frames given back are ordinary memory again. */
	{
		struct pmm_page *blk[64];
		int n = 0;

		while (n < 64 && (blk[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10)))
			n++;
		assert_int_equal(n, 64);
		for (int i = 0; i < n; i++)
			pmm_free_pages(m, blk[i], 10);
	}
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_null(pmm_hugetlb_alloc(m, 12, PMM_NUMA_NO_NODE));
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, 99));
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_offline_dissolve(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long pfns[2], block, free0;
	struct pmm_page *p, *q, *held;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G hugepagesz=1G hugepages=2 hugepagesz=2M hugepages=8", &log);
	assert_int_equal(pool_pfns(m, PMM_NUMA_NO_NODE, pfns, 2), 2);
	block = pfns[0] + 3 * PMM_MEMORY_BLOCK_SIZE / 4096;
	/* Handed out: a block in the middle of the page (its first frame a tail) is busy. */
	p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE);
	assert_non_null(p);
	q = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE);
	assert_non_null(q);
	held = pmm_page_to_pfn(m, p) == pfns[0] ? p : q;
	pmm_free_pages(m, held == p ? q : p, PMM_HUGETLB_ORDER_1G);
	assert_int_equal(pmm_offline_pages(m, block, PMM_MEMORY_BLOCK_SIZE / 4096), -PMM_EBUSY);
	assert_true(pmm_test_log_has(&log, "failed due to failure to dissolve huge pages"));
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 2, 1, 0);
	assert_machine_valid(m);
	/* In the pool: dissolved, the whole page back to the buddy allocator, then offline. */
	pmm_free_pages(m, held, PMM_HUGETLB_ORDER_1G);
	free0 = free_frames(m);
	assert_int_equal(pmm_offline_pages(m, block, PMM_MEMORY_BLOCK_SIZE / 4096), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE).max, 1);
	assert_int_equal(free_frames(m), free0 + G1 - PMM_MEMORY_BLOCK_SIZE / 4096);
	assert_int_equal(pool_pfns(m, PMM_NUMA_NO_NODE, pfns + 1, 1), 1);
	assert_true(pfns[1] != pfns[0]);
	assert_machine_valid(m);
	/* 2 MiB pool pages in a block: dissolved too, the others stay. */
	{
		struct pmm_page *two = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE);
		unsigned long pfn;

		assert_non_null(two);
		pfn = pmm_page_to_pfn(m, two);
		pmm_free_pages(m, two, PMM_HUGETLB_ORDER_2M);
		assert_int_equal(pmm_offline_pages(m, pfn & ~(PMM_MEMORY_BLOCK_SIZE / 4096 - 1),
						   PMM_MEMORY_BLOCK_SIZE / 4096),
				 0);
		assert_true(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).nr < 8);
		assert_true(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).nr ==
			    counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).nr_free);
	}
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* The pools' boot on a platform failing each allocation in turn: a clean failure or a whole pool. */
static void check_pools(struct pmm *m)
{
	unsigned long nr;

	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &nr, NULL), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(pmm_hugetlb_pool(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, &nr, NULL), 0);
	assert_int_equal(nr, 4);
	assert_machine_valid(m);
}

static void test_boot_faults(void **state)
{
	(void)state;
	assert_true(pmm_test_boot_sweep("mem=4G nodes=2 hugepagesz=1G hugepages=2 hugepagesz=2M hugepages=4",
					check_pools) > 10);
}

static void test_resize(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm_page *p[4];
	unsigned long free0;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=4G nodes=2", &log);
	free0 = free_frames(m);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	expect_sysctl(m, "nr_hugepages", "0\n");

	/* Growing: fresh pages from the buddy allocator, the nodes in turn. */
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "10\n"), 0);
	expect_sysctl(m, "nr_hugepages", "10\n");
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 10, 10, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, 5, 5, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 1, 5, 5, 0);
	assert_int_equal(free_frames(m), free0 - 10 * M2);
	assert_int_equal(meminfo_value(m, "HugePages_Total:"), 10);
	assert_int_equal(meminfo_value(m, "Hugetlb:"), 10 * 2048);
	/* Each page from the buddy allocator is an event (alloc_buddy_huge_page()). */
	assert_int_equal(pmm_test_vmstat(m, "htlb_buddy_alloc_success"), 10);
	assert_int_equal(pmm_test_vmstat(m, "htlb_buddy_alloc_fail"), 0);
	assert_machine_valid(m);
	/* nr_hugepages_mempolicy: the default policy's nodes, i.e. all of them. */
	expect_sysctl(m, "nr_hugepages_mempolicy", "10\n");
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages_mempolicy", "12"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, 6, 6, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 1, 6, 6, 0);
	expect_sysctl(m, "nr_hugepages", "12\n");
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages_mempolicy", "-1"), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages_mempolicy", "10"), 0);
	expect_sysctl(m, "nr_hugepages_mempolicy", "10\n");
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 10, 10, 0);
	assert_int_equal(free_frames(m), free0 - 10 * M2);

	/* Shrinking below what is handed out: free pages go, three become surplus. */
	for (int i = 0; i < 4; i++)
		assert_non_null(p[i] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 4, 0, 3);
	expect_sysctl(m, "nr_hugepages", "1\n");
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).max, 1);
	assert_int_equal(meminfo_value(m, "HugePages_Surp:"), 3);
	assert_int_equal(free_frames(m), free0 - 4 * M2);
	/* A surplus page leaves the pool when released; the last one stays. */
	pmm_free_pages(m, p[0], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 3, 0, 2);
	assert_int_equal(free_frames(m), free0 - 3 * M2);
	pmm_put_page(m, p[1]);
	pmm_free_pages(m, p[2], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 0);
	pmm_free_pages(m, p[3], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_int_equal(free_frames(m), free0 - M2);
	/* A released surplus page was given back, not pooled: putting it again is a bad page. */
	assert_machine_valid(m);

	/* Growing takes surplus pages back first: no fresh page for them. */
	assert_non_null(p[0] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 1);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 0);
	assert_int_equal(free_frames(m), free0 - M2);
	pmm_free_pages(m, p[0], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 1, 0);

	/* One node's count: the other node keeps its pages. */
	{
		struct pmm_hugetlb_counts n0 = counts(m, PMM_HUGETLB_ORDER_2M, 0);

		assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, 1, 6), 0);
		assert_counts(m, PMM_HUGETLB_ORDER_2M, 1, 6, 6, 0);
		assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, n0.nr, n0.nr, 0);
		assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, n0.nr + 6, n0.nr + 6, 0);
		assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, 1, 0), 0);
		assert_counts(m, PMM_HUGETLB_ORDER_2M, 1, 0, 0, 0);
		assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, n0.nr, n0.nr, 0);
	}

	/* More than memory holds: as many as can be had, then all given back. */
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, 1, ULONG_MAX), 0);
	{
		struct pmm_hugetlb_counts c = counts(m, PMM_HUGETLB_ORDER_2M, 1);

		/* Node 1 has 2 GiB: nearly all of it, never more. */
		assert_true(c.nr > 800 && c.nr <= 1024);
		assert_int_equal(c.nr_free, c.nr);
	}
	assert_machine_valid(m);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_int_equal(free_frames(m), free0);
	assert_machine_valid(m);

	/* Refused: nothing changes. */
	assert_int_equal(pmm_hugetlb_resize(m, 12, PMM_NUMA_NO_NODE, 1), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, 99, 1), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_resize(NULL, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "-1"), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "3x"), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", ""), -PMM_EINVAL);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "99999999999999999999999"), -PMM_EINVAL);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_overcommit(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm_page *p[3];
	unsigned long free0;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=2G hugepages=1", &log);
	free0 = free_frames(m);
	expect_sysctl(m, "nr_overcommit_hugepages", "0\n");
	assert_non_null(p[0] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	/* The pool is empty and no surplus is allowed. */
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));

	assert_int_equal(pmm_sysctl_write(m, "nr_overcommit_hugepages", "2"), 0);
	expect_sysctl(m, "nr_overcommit_hugepages", "2\n");
	/* A node the machine does not have: no surplus page, one failed try counted. */
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, 5));
	assert_int_equal(pmm_test_vmstat(m, "htlb_buddy_alloc_fail"), 1);
	assert_non_null(p[1] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_non_null(p[2] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, 0));
	assert_int_equal(pmm_page_count(p[2]), 1);
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 3, 0, 2);
	assert_int_equal(free_frames(m), free0 - 2 * M2);
	expect_sysctl(m, "nr_hugepages", "1\n");
	memset(pmm_page_address(m, p[2]), 0x33, 2u << 20);

	/*
	 * Surplus is a count per node, not a mark on a page (as in the
	 * kernel): while the node has surplus pages, any page released there
	 * leaves the pool, the persistent one first here; the last stays.
	 */
	pmm_free_pages(m, p[1], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 2, 0, 1);
	pmm_free_pages(m, p[0], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 0);
	pmm_free_pages(m, p[2], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_int_equal(free_frames(m), free0);
	/* Freed twice: the second is reported, and the buddy allocator is intact. */
	pmm_free_pages(m, p[2], PMM_HUGETLB_ORDER_2M);
	assert_int_equal(pmm_bad_page_count(m), 1);
	assert_int_equal(free_frames(m), free0);
	assert_machine_valid(m);

	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_2M, 0), 0);
	assert_non_null(p[0] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	pmm_free_pages(m, p[0], PMM_HUGETLB_ORDER_2M);
	assert_int_equal(pmm_hugetlb_set_overcommit(m, 12, 1), -PMM_EINVAL);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	/* 1 GiB pages are never surplus: refused for a 1 GiB default size. */
	m = pmm_test_machine("mem=4G default_hugepagesz=1G hugepagesz=1G", &log);
	assert_int_equal(pmm_sysctl_write(m, "nr_overcommit_hugepages", "1"), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_1G, 1), -PMM_EINVAL);
	expect_sysctl(m, "nr_overcommit_hugepages", "0\n");
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* The gfp of every order-9 direct reclaim a resize asked for. */
struct reclaim_log {
	unsigned long calls, hard, noretry;
};

static unsigned long log_reclaim(void *ctx, pmm_gfp_t gfp, unsigned order)
{
	struct reclaim_log *r = ctx;

	if (order == PMM_HUGETLB_ORDER_2M) {
		r->calls++;
		r->hard += !!(gfp & PMM___GFP_RETRY_MAYFAIL);
		r->noretry += !!(gfp & PMM___GFP_NORETRY);
	}
	return 0;
}

/*
 * A node that failed an allocation tried hard (__GFP_RETRY_MAYFAIL) is
 * then tried without it for the rest of the resize, as alloc_buddy_huge_page()
 * does (node_alloc_noretry): a plain costly request, which still gets one
 * round of direct reclaim, not a __GFP_NORETRY one.
 */
static void test_resize_noretry_nodes(void **state)
{
	struct pmm_test_log log = { 0 };
	struct reclaim_log r = { 0 };
	struct pmm_mm_ops ops = { .reclaim = log_reclaim };
	unsigned long held = 0, free0;
	struct pmm_page *p, **keep;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=1G nodes=2", &log);
	free0 = free_frames(m);
	keep = calloc(free0, sizeof(*keep));
	assert_non_null(keep);
	/* Node 0 full (order 0, so no 2 MiB block is left there). */
	while ((p = pmm_alloc_pages_node(m, 0, PMM_GFP_KERNEL | PMM___GFP_THISNODE | PMM___GFP_NOWARN, 0)))
		keep[held++] = p;
	pmm_set_mm_ops(m, &ops, &r);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1000), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, 0, 0, 0);
	assert_true(counts(m, PMM_HUGETLB_ORDER_2M, 1).nr > 10);
	/* Node 0 failed hard once, then plainly on every later turn, and node 1 at the end. */
	assert_true(r.hard >= 1);
	assert_true(r.calls > r.hard);
	assert_int_equal(r.noretry, 0);
	/* Every page an event, and every refusal too: node 0's turns, node 1's last. */
	assert_int_equal(pmm_test_vmstat(m, "htlb_buddy_alloc_success"),
			 counts(m, PMM_HUGETLB_ORDER_2M, 1).nr);
	assert_true(pmm_test_vmstat(m, "htlb_buddy_alloc_fail") >= 2);
	pmm_set_mm_ops(m, NULL, NULL);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0), 0);
	while (held)
		pmm_free_pages(m, keep[--held], 0);
	free(keep);
	assert_int_equal(free_frames(m), free0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

#define assert_resv(m, order, n) assert_int_equal(counts(m, order, PMM_NUMA_NO_NODE).resv, (n))

static void test_resize_gigantic(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long free0, pfns[4];
	struct pmm_page *p;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G nodes=2 default_hugepagesz=1G hugepagesz=1G", &log);
	free0 = free_frames(m);
	/* The default size is 1 GiB: nr_hugepages is its pool. */
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "2"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 2, 2, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, 0, 1, 1, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, 1, 1, 1, 0);
	assert_int_equal(meminfo_value(m, "HugePages_Total:"), 2);
	assert_int_equal(free_frames(m), free0 - 2 * G1);
	/* Each 1 GiB-aligned, below ZONE_MOVABLE, on its own node. */
	assert_int_equal(pool_pfns(m, 0, pfns, 4), 1);
	assert_int_equal(pool_pfns(m, 1, pfns + 1, 3), 1);
	assert_int_equal(pfns[0] % G1, 0);
	assert_int_equal(pfns[1] % G1, 0);
	assert_int_equal(pmm_page_nid(pmm_pfn_to_page(m, pfns[0])), 0);
	assert_int_equal(pmm_page_nid(pmm_pfn_to_page(m, pfns[1])), 1);
	assert_machine_valid(m);

	p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, 1);
	assert_non_null(p);
	memset(pmm_page_address(m, p), 0x77, 4096);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 0, 1);
	pmm_free_pages(m, p, PMM_HUGETLB_ORDER_1G);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_int_equal(free_frames(m), free0);
	/* The frames are ordinary memory again: a whole 1 GiB range can be had once more. */
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, 0, 1), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, 0, 1, 1, 0);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, 0, 0), 0);
	assert_int_equal(free_frames(m), free0);

	/*
	 * A reserved free page that a shrink keeps is surplus, 1 GiB ones
	 * too (x86-64 allocates them at run time), and leaves when its
	 * reservation is released (return_unused_surplus_pages()).
	 */
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "1"), 0);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_1G, 1), 0);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 1);
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_1G, 1), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_resv(m, PMM_HUGETLB_ORDER_1G, 0);
	assert_int_equal(free_frames(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * A surplus page elsewhere makes the kernel's shrink keep a free page and
 * count it surplus, for good (found by tests/stress/test_hugetlb_stress.c):
 * in pmm only pages handed out are surplus, and the pool empties.
 */
static void test_surplus_only_handed_out(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long free0;
	struct pmm_page *p;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=2G nodes=2", &log);
	free0 = free_frames(m);
	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_2M, 1), 0);
	assert_non_null(p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, 1));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 1, 1, 0, 1);
	/* Node 0's share of 3, plus node 1's surplus page, as the kernel counts it. */
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, 0, 3), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, 4, 4, 0);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, 0, 0, 0, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 1);
	pmm_free_pages(m, p, PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).max, 0);
	assert_int_equal(pmm_hugetlb_shrink(m, PMM_HUGETLB_ORDER_2M, 100), 0);
	assert_int_equal(free_frames(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * Reservations backed by persistent pages: takes without one leave the
 * reserved pages alone, a shrink keeps them (and counts them surplus, as
 * the kernel does), and the release gives the surplus ones back.
 */
static void test_reserve_persistent(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm_page *p, *q;
	unsigned long free0;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=2G hugepages=4", &log);
	free0 = free_frames(m);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, 3), 0);
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 3);
	assert_int_equal(meminfo_value(m, "HugePages_Rsvd:"), 3);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 4, 4, 0);
	/* One page is not promised; then every free page is. */
	assert_non_null(p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, 0));
	assert_non_null(q = pmm_hugetlb_alloc_reserved(m, PMM_HUGETLB_ORDER_2M, 0));
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 2);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 4, 2, 0);
	/* Nothing to give back: two handed out, two promised. */
	assert_int_equal(pmm_hugetlb_shrink(m, PMM_HUGETLB_ORDER_2M, 10), 0);
	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_2M, 0), 0);
	/*
	 * nr_hugepages=0: the kernel's floor (resv + nr - free = 4) keeps
	 * every page, and all four become surplus, the two free ones for the
	 * reservations that hold them.
	 */
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 4, 2, 4);
	expect_sysctl(m, "nr_hugepages", "0\n");
	assert_int_equal(meminfo_value(m, "HugePages_Surp:"), 4);
	assert_machine_valid(m);
	/* A page released leaves; the reservations' release takes the free ones. */
	pmm_put_page(m, p);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 3, 2, 3);
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_2M, 3), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_2M, 2), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 1);
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 0);
	assert_int_equal(meminfo_value(m, "HugePages_Rsvd:"), 0);
	pmm_put_page(m, q);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_int_equal(free_frames(m), free0 + 4 * M2);
	assert_machine_valid(m);

	/* Growing again turns surplus pages back into persistent ones first. */
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "2"), 0);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, 2), 0);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 2, 2, 2);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "1"), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 2, 2, 1);
	/* One reserved page is persistent now: the release gives back only the surplus one. */
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_2M, 2), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* Reservations beyond the pool: surplus pages join it free, within the overcommit. */
static void test_reserve_surplus(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm_page *p[3];
	unsigned long free0;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=2G", &log);
	free0 = free_frames(m);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, 1), -PMM_ENOMEM);
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 0);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, ULONG_MAX), -PMM_ENOMEM);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, (unsigned long)LONG_MAX), -PMM_ENOMEM);
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_2M, ULONG_MAX), -PMM_EINVAL);
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 0);
	assert_null(pmm_hugetlb_alloc_reserved(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_2M, 3), 0);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, 2), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 2, 2, 2);
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 2);
	assert_int_equal(free_frames(m), free0 - 2 * M2);
	/* Two more would need a fourth surplus page: nothing changes. */
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, 2), -PMM_ENOMEM);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 2, 2, 2);
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 2);
	assert_int_equal(free_frames(m), free0 - 2 * M2);
	assert_machine_valid(m);
	/* A take without a reservation gets the third surplus page, not a reserved one. */
	assert_non_null(p[0] = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 3, 2, 3);
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_non_null(p[1] = pmm_hugetlb_alloc_reserved(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_non_null(p[2] = pmm_hugetlb_alloc_reserved(m, PMM_HUGETLB_ORDER_2M, 0));
	assert_null(pmm_hugetlb_alloc_reserved(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_resv(m, PMM_HUGETLB_ORDER_2M, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 3, 0, 3);
	memset(pmm_page_address(m, p[2]), 0x5a, 2u << 20);
	for (int i = 0; i < 3; i++)
		pmm_free_pages(m, p[i], PMM_HUGETLB_ORDER_2M);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_2M, 1), -PMM_EINVAL);
	assert_int_equal(free_frames(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	/* 1 GiB pages: reservations of the pool only, never surplus ones. */
	m = pmm_test_machine("mem=4G hugepagesz=1G hugepages=1", &log);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_1G, 1), 0);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_1G, 1), -PMM_ENOMEM);
	assert_null(pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE));
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_1G, 1), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_resv(m, PMM_HUGETLB_ORDER_1G, 0);
	assert_int_equal(pmm_hugetlb_reserve(m, 12, 1), -PMM_EINVAL);
	assert_null(pmm_hugetlb_alloc_reserved(NULL, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE));
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* Memory offline dissolves a free pool page only while the pool has one not promised. */
static void test_reserve_offline(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long pfn, block = PMM_MEMORY_BLOCK_SIZE / 4096;
	struct pmm_page *p;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G hugepages=1", &log);
	assert_non_null(p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	pfn = pmm_page_to_pfn(m, p) & ~(block - 1);
	pmm_put_page(m, p);
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_2M, 1), 0);
	assert_int_equal(pmm_offline_pages(m, pfn, block), -PMM_EBUSY);
	assert_true(pmm_test_log_has(&log, "failed due to failure to dissolve huge pages"));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_2M, 1), 0);
	assert_int_equal(pmm_offline_pages(m, pfn, block), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* 1 GiB pages split into 2 MiB ones of that pool, except those reserved. */
static void test_demote(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long free0, pfns[2], pfn;
	struct pmm_page *p, *s;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G hugepagesz=1G hugepages=2", &log);
	free0 = free_frames(m);
	assert_int_equal(pool_pfns(m, PMM_NUMA_NO_NODE, pfns, 2), 2);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_1G, 64, 1), -PMM_EINVAL);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0), 0);
	/* One page is reserved: only the other is demoted. */
	assert_int_equal(pmm_hugetlb_reserve(m, PMM_HUGETLB_ORDER_1G, 1), 0);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 2), 1);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 512, 512, 0);
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE).max, 1);
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).max, 512);
	expect_sysctl(m, "nr_hugepages", "512\n");
	assert_int_equal(meminfo_value(m, "Hugetlb:"), 2ul << 20);
	assert_int_equal(free_frames(m), free0);
	assert_machine_valid(m);
	/* A 2 MiB page from inside the old 1 GiB page, usable as any other. */
	assert_non_null(s = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	pfn = pmm_page_to_pfn(m, s);
	assert_true(pfn % M2 == 0);
	assert_true((pfn >= pfns[0] && pfn < pfns[0] + G1) || (pfn >= pfns[1] && pfn < pfns[1] + G1));
	memset(pmm_page_address(m, s), 0x6b, 2u << 20);
	assert_int_equal(pmm_page_count(s), 1);
	pmm_put_page(m, s);
	assert_machine_valid(m);

	/* Released, the reserved page can go too. */
	assert_int_equal(pmm_hugetlb_unreserve(m, PMM_HUGETLB_ORDER_1G, 1), 0);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_1G, 0, 5), 1);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0, 0, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1024, 1024, 0);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1), 0);
	assert_machine_valid(m);
	/* The 2 MiB pool given back: order-9 blocks that merge in the buddy allocator. */
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_int_equal(free_frames(m), free0 + 2 * G1);
	assert_machine_valid(m);

	/*
	 * A node with a surplus 2 MiB page handed out: the first page demoted
	 * there goes to the buddy allocator and that page turns persistent.
	 */
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_2M, 1), 0);
	assert_non_null(p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 1);
	assert_int_equal(pmm_hugetlb_demote(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1), 1);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 512, 511, 0);
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).max, 512);
	pmm_put_page(m, p);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 512, 512, 0);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_int_equal(free_frames(m), free0 + 2 * G1);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* The embedder's migration of the huge page it holds: to a fresh huge page, data copied. */
struct huge_mover {
	struct pmm_page *held;
	unsigned long calls, refused;
};

static int move_huge(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct huge_mover *mv = ctx;
	struct pmm_page *nw;

	mv->calls++;
	if (!mv->held || pfn != pmm_page_to_pfn(m, mv->held) || order != PMM_HUGETLB_ORDER_2M) {
		mv->refused++;
		return -PMM_EBUSY;
	}
	nw = pmm_hugetlb_alloc(m, order, PMM_NUMA_NO_NODE);
	if (!nw)
		return -PMM_ENOMEM;
	memcpy(pmm_page_address(m, nw), pmm_page_address(m, mv->held), PMM_PAGE_SIZE << order);
	pmm_put_page(m, mv->held);
	mv->held = nw;
	return 0;
}

static bool huge_data_intact(struct pmm *m, struct pmm_page *p, unsigned char c)
{
	const unsigned char *a = pmm_page_address(m, p);

	for (unsigned long i = 0; i < (PMM_PAGE_SIZE << PMM_HUGETLB_ORDER_2M); i += 4093)
		if (a[i] != c)
			return false;
	return true;
}

/*
 * Huge pages handed out move through the migrate callback, as the kernel
 * migrates hugetlb pages: memory offline and contiguous ranges no longer
 * fail on them; 1 GiB pages only for offline.
 */
static void test_migrate_huge(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long block = PMM_MEMORY_BLOCK_SIZE / 4096, pfn, free0;
	struct pmm_mm_ops ops = { .migrate = move_huge };
	struct huge_mover mv = { 0 };
	struct pmm_page *g;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=8G hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=1", &log);
	assert_non_null(mv.held = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE));
	memset(pmm_page_address(m, mv.held), 0x3c, PMM_PAGE_SIZE << PMM_HUGETLB_ORDER_2M);
	pfn = pmm_page_to_pfn(m, mv.held);
	/* Without a callback the block stays busy. */
	assert_int_equal(pmm_offline_pages(m, pfn & ~(block - 1), block), -PMM_EBUSY);
	/*
	 * With one: the move takes a surplus page (the pool is empty), the
	 * old page, released on a node with a surplus page, leaves the pool,
	 * and the new one is persistent.
	 */
	assert_int_equal(pmm_hugetlb_set_overcommit(m, PMM_HUGETLB_ORDER_2M, 1), 0);
	pmm_set_mm_ops(m, &ops, &mv);
	assert_int_equal(pmm_offline_pages(m, pfn & ~(block - 1), block), 0);
	assert_int_equal(mv.calls, 1);
	assert_true(pmm_page_to_pfn(m, mv.held) >> 15 != pfn >> 15);
	assert_true(huge_data_intact(m, mv.held, 0x3c));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 0);
	assert_int_equal(counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE).max, 1);
	assert_int_equal(pmm_online_pages(m, pfn & ~(block - 1), block, PMM_ONLINE_KERNEL), 0);
	assert_machine_valid(m);

	/* A contiguous range over it: moved again, the range taken. */
	pfn = pmm_page_to_pfn(m, mv.held);
	assert_int_equal(pmm_alloc_contig_range(m, pfn, pfn + M2, PMM_GFP_KERNEL), 0);
	assert_int_equal(mv.calls, 2);
	assert_true(pmm_page_to_pfn(m, mv.held) != pfn);
	assert_true(huge_data_intact(m, mv.held, 0x3c));
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 1, 0, 0);
	pmm_free_contig_range(m, pfn, M2);
	assert_machine_valid(m);

	/* 1 GiB: busy for a contiguous range without asking; offline asks, and is refused here. */
	assert_non_null(g = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE));
	pfn = pmm_page_to_pfn(m, g);
	assert_int_equal(pmm_alloc_contig_range(m, pfn + M2, pfn + 2 * M2, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_int_equal(mv.calls, 2);
	assert_int_equal(pmm_offline_pages(m, pfn + block, block), -PMM_EBUSY);
	assert_int_equal(mv.calls, 3);
	assert_int_equal(mv.refused, 1);
	assert_int_equal(pmm_page_count(g), 1);
	pmm_put_page(m, g);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 0);

	pmm_put_page(m, mv.held);
	free0 = free_frames(m);
	assert_int_equal(pmm_sysctl_write(m, "nr_hugepages", "0"), 0);
	assert_int_equal(free_frames(m), free0 + M2);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_contig_replaces(void **state)
{
	struct pmm_test_log log = { 0 };
	unsigned long pfn, free0;
	struct pmm_page *p, *q;
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("mem=4G hugepages=8 hugepagesz=1G hugepages=1", &log);
	free0 = free_frames(m);
	p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE);
	assert_non_null(p);
	pfn = pmm_page_to_pfn(m, p);
	pmm_free_pages(m, p, PMM_HUGETLB_ORDER_2M);

	/* A pool page in the way: a fresh one takes its place, the range is had. */
	assert_int_equal(pmm_alloc_contig_range(m, pfn + 100, pfn + 700, PMM_GFP_KERNEL), 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 8, 8, 0);
	for (int i = 0; i < 8; i++) {
		struct pmm_page *h = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE);
		unsigned long hp = pmm_page_to_pfn(m, h);

		/* None of the pool's pages overlaps the range now. */
		assert_true(hp + M2 <= pfn + 100 || hp >= pfn + 700);
		pmm_free_pages(m, h, PMM_HUGETLB_ORDER_2M);
	}
	pmm_free_contig_range(m, pfn + 100, 600);
	assert_int_equal(free_frames(m), free0);
	assert_machine_valid(m);

	/* Handed out, it stays where it is, and so does the range. */
	p = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE);
	pfn = pmm_page_to_pfn(m, p);
	assert_int_equal(pmm_alloc_contig_range(m, pfn, pfn + 1, PMM_GFP_KERNEL), -PMM_EBUSY);
	pmm_free_pages(m, p, PMM_HUGETLB_ORDER_2M);
	/* A 1 GiB page is never replaced. */
	q = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE);
	pfn = pmm_page_to_pfn(m, q);
	pmm_free_pages(m, q, PMM_HUGETLB_ORDER_1G);
	assert_int_equal(pmm_alloc_contig_range(m, pfn + 4096, pfn + 4097, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_counts(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1, 1, 0);
	assert_counts(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 8, 8, 0);
	assert_int_equal(free_frames(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_pairing),
		cmocka_unit_test(test_gigantic_boot),
		cmocka_unit_test(test_gigantic_nodes),
		cmocka_unit_test(test_pool_use),
		cmocka_unit_test(test_offline_dissolve),
		cmocka_unit_test(test_boot_faults),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_overcommit),
		cmocka_unit_test(test_resize_gigantic),
		cmocka_unit_test(test_resize_noretry_nodes),
		cmocka_unit_test(test_surplus_only_handed_out),
		cmocka_unit_test(test_contig_replaces),
		cmocka_unit_test(test_reserve_persistent),
		cmocka_unit_test(test_reserve_surplus),
		cmocka_unit_test(test_reserve_offline),
		cmocka_unit_test(test_demote),
		cmocka_unit_test(test_migrate_huge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
