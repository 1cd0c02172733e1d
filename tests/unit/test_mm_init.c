// SPDX-License-Identifier: MIT
/*
 * Booting machines (memblock, sparse, vmemmap, mm_init): layouts, the
 * memmap's shape and cost, the kernel's boot log, and bad configs.
 */
#include "harness.h"

#include <pmm/report.h>

#include <sys/mman.h>
#include <unistd.h>

#include "mm/internal.h"
#include "mm/pcp.h"

/* Every present frame round-trips pfn -> page -> pfn and page -> address -> page. */
static unsigned long check_round_trips(struct pmm *m)
{
	unsigned long present = 0;
	const struct memblock_type *mem = &m->memblock.memory;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		unsigned long s = PFN_DOWN(mem->regions[i].base);
		unsigned long e = PFN_DOWN(mem->regions[i].base + mem->regions[i].size);

		for (unsigned long pfn = s; pfn < e; pfn++) {
			struct pmm_page *p = pmm_pfn_to_page(m, pfn);
			if (!p)
				fail_msg("pfn %#lx has no page", pfn);
			if (pmm_page_to_pfn(m, p) != pfn)
				fail_msg("pfn %#lx -> page -> %#lx", pfn, pmm_page_to_pfn(m, p));
			if (pmm_virt_to_page(m, pmm_page_address(m, p)) != p)
				fail_msg("pfn %#lx: page -> address -> page differs", pfn);
			if (pmm_virt_to_page(m, (char *)pmm_page_address(m, p) + 4095) != p)
				fail_msg("pfn %#lx: last byte maps elsewhere", pfn);
			present++;
		}
	}
	return present;
}

static void test_default_machine(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine(NULL, &log);

	(void)state;
	assert_int_equal(pmm_totalram_pages(m), 8ul << 18);
	assert_int_equal(pmm_nr_free_pages(m), 8ul << 18);
	assert_true(pmm_test_log_has(&log, "Zone ranges:\n"));
	assert_true(pmm_test_log_has(&log, "  DMA      [mem 0x0000000000000000-0x0000000000ffffff]\n"));
	assert_true(pmm_test_log_has(&log, "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]\n"));
	assert_true(pmm_test_log_has(&log, "  Normal   [mem 0x0000000100000000-0x00000001ffffffff]\n"));
	assert_true(pmm_test_log_has(&log, "  Device   empty\n"));
	assert_true(pmm_test_log_has(&log, "Memory: 8388608K/8388608K available"));
	assert_int_equal(check_round_trips(m), 8ul << 18);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* The boot log of a machine laid out like the captured 1 GiB guest. */
static void test_boot_log_matches_kernel(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/dmesg.txt.xz");
	struct pmm_test_log log = { 0 };
	struct pmm *m;
	static const char *const wanted[] = {
		"Zone ranges:", "  DMA      [mem", "  DMA32    [mem", "  Normal   empty",
		"Movable zone start for each node", "Early memory node ranges", "  node   0: [mem",
		"Initmem setup node", "On node 0, zone", "Fallback order for Node",
	};

	(void)state;
	m = pmm_test_machine("node=0:0x1000-0x9efff node=0:0x100000-0x3ffdcfff cpus=2", &log);
	assert_int_equal(pmm_test_log_has_kernel_lines(&log, path, wanted,
						       sizeof(wanted) / sizeof(wanted[0])),
			 13);
	/* report_meminit(), whose stack part pmm has none of. */
	assert_true(pmm_test_log_has(&log, "\nmem auto-init: stack:off, heap alloc:off, heap free:off\n"
					   "Memory: "));
	free(path);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	m = pmm_test_machine("mem=256M cpus=1 init_on_alloc=1 init_on_free=1", &log);
	assert_true(pmm_test_log_has(&log, "mem auto-init: stack:off, heap alloc:on, heap free:on\n"
					   "mem auto-init: clearing system memory may take some time...\n"));
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	/* mm_init(): stack_depot_early_init() logs its table before mem_init()'s "Memory:". */
	m = pmm_test_machine("mem=256M cpus=1 page_owner=on", &log);
	assert_true(pmm_test_log_has(&log, "mem auto-init: stack:off, heap alloc:off, heap free:off\n"
					   "stackdepot hash table entries: "));
	assert_true(pmm_test_log_has(&log, " bytes, linear)\nMemory: "));
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_two_nodes_holes_reserved(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine(
		"node=0:0x0-0x3fffffff node=1:0x80000000-0xbfffffff reserve=0x0-0xfffff "
		"reserve=0x80000000+2M hole=0x20000000-0x27ffffff cpus=4",
		&log);
	unsigned long present;

	(void)state;
	present = check_round_trips(m);
	assert_int_equal(present, (1ul << 18) * 2 - (128ul << 8));
	/* The 128 MiB hole is a whole section: no memmap. */
	assert_false(pmm_pfn_valid(m, 0x20000));
	assert_null(pmm_pfn_to_page(m, 0x27fff));
	/* The gap between the nodes has no memmap either. */
	assert_false(pmm_pfn_valid(m, 0x40000));
	assert_true(pmm_test_log_has(&log, "  node   1: [mem 0x0000000080000000-0x00000000bfffffff]\n"));
	assert_true(pmm_test_log_has(&log, "Built 2 zonelists"));
	/* Reserved frames are not given to the buddy. */
	assert_int_equal(pmm_totalram_pages(m), present - 256 - 512);
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, 0x10)), 1);
	/* Allocation from a node stays on it while it has memory. */
	for (int nid = 0; nid < 2; nid++) {
		struct pmm_page *p = pmm_alloc_pages_node(m, nid, PMM_GFP_KERNEL | PMM___GFP_THISNODE, 3);
		assert_non_null(p);
		assert_int_equal(pmm_page_nid(p), nid);
		pmm_free_pages(m, p, 3);
	}
	assert_null(pmm_alloc_pages_node(m, 5, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * node_cpus= puts CPUs on nodes: a CPU's allocations go to its node first,
 * and its per-CPU lists count among that node's CPUs (zone_highsize()); a
 * CPU it does not name stays round-robin.
 */
static void test_node_cpus(void **state)
{
	struct pmm *m = pmm_test_machine("nodes=2 mem=2G cpus=4 node_cpus=1:0-1", NULL);
	static const int want[4] = { 1, 1, 0, 1 }; /* CPU 2, 3: the 0th and 1st node */

	(void)state;
	for (int cpu = 0; cpu < 4; cpu++) {
		struct pmm_page *p;

		assert_int_equal(pmm_set_thread_cpu(m, cpu), 0);
		p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		assert_non_null(p);
		if (pmm_page_nid(p) != want[cpu])
			fail_msg("CPU %d allocated on node %d, want %d", cpu, pmm_page_nid(p), want[cpu]);
		pmm_free_pages(m, p, 0);
	}
	assert_int_equal(pmm_set_thread_cpu(m, -1), 0);
	/* Node 1 has three of the four CPUs, node 0 one: high splits over them. */
	for (int nid = 0; nid < 2; nid++) {
		struct zone *z = &m->node_data[nid]->node_zones[ZONE_DMA32];
		int split = nid ? 3 : 1;
		long high = MAX((long)low_wmark_pages(z) / split, (long)z->pageset_batch << 2);

		assert_true(zone_managed_pages(z) > 0);
		if (z->per_cpu_pageset[0].high != high)
			fail_msg("node %d: high %d, want %ld over %d CPUs", nid, z->per_cpu_pageset[0].high,
				 high, split);
	}
	assert_machine_valid(m);
	pmm_destroy(m);

	/*
	 * A memoryless node 2 with CPU 3: the CPU allocates from node 0, the
	 * next node with memory after 2 (wrapping); it is not one of node 0's
	 * CPUs for high (CPUs 0 and 2 are, round-robin).
	 */
	m = pmm_test_machine("nodes=2 mem=2G cpus=4 node_cpus=2:3", NULL);
	assert_int_equal(pmm_set_thread_cpu(m, 3), 0);
	{
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);

		assert_non_null(p);
		assert_int_equal(pmm_page_nid(p), 0);
		pmm_free_pages(m, p, 0);
	}
	assert_int_equal(pmm_set_thread_cpu(m, -1), 0);
	/* Asked for by node: the memoryless node's fallback, but not with __GFP_THISNODE. */
	{
		struct pmm_page *p = pmm_alloc_pages_node(m, 2, PMM_GFP_KERNEL, 0);

		assert_non_null(p);
		assert_int_equal(pmm_page_nid(p), 0);
		pmm_free_pages(m, p, 0);
		assert_null(pmm_alloc_pages_node(m, 2, PMM_GFP_KERNEL | PMM___GFP_THISNODE | PMM___GFP_NOWARN, 0));
		assert_null(pmm_alloc_pages_node(m, 5, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 0));
	}
	{
		struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];

		assert_int_equal(z->per_cpu_pageset[0].high,
				 MAX((long)low_wmark_pages(z) / 2, (long)z->pageset_batch << 2));
	}
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * node_distance= orders each node's fallback list as the kernel's
 * find_next_best_node() does: nearest first, a lower id one worse, and the
 * first node of each distance group loaded so that equals take turns (the
 * orders below are the 6.1 algorithm's for these tables); a memoryless
 * node's CPU allocates from its nearest node with memory.
 */
static void test_node_distance(void **state)
{
	static const struct {
		const char *cfg;
		const char *want[6];
	} cases[] = {
		{ "nodes=4 mem=4G cpus=4 node_distance=0:10,12,32,32 node_distance=1:12,10,32,32 "
		  "node_distance=2:32,32,10,12 node_distance=3:32,32,12,10",
		  { "Node 0: 0 1 2 3 \n", "Node 1: 1 0 3 2 \n", "Node 2: 2 3 0 1 \n",
		    "Node 3: 3 2 1 0 \n" } },
		{ "nodes=6 mem=6G cpus=6 node_distance=0:10,16,16,22,22,22 node_distance=1:16,10,16,22,22,22 "
		  "node_distance=2:16,16,10,22,22,22 node_distance=3:22,22,22,10,16,16 "
		  "node_distance=4:22,22,22,16,10,16 node_distance=5:22,22,22,16,16,10",
		  { "Node 0: 0 1 2 3 4 5 \n", "Node 1: 1 2 0 4 5 3 \n", "Node 2: 2 0 1 5 3 4 \n",
		    "Node 3: 3 4 5 0 1 2 \n", "Node 4: 4 5 3 1 2 0 \n", "Node 5: 5 3 4 2 0 1 \n" } },
		/* Node 2 has no memory; its CPU 2 is nearest node 0 (3 before 1: 1 is below it). */
		{ "node=0:0x0-0x3fffffff node=1:0x40000000-0x7fffffff node=3:0x80000000-0xbfffffff cpus=4 "
		  "node_cpus=2:2 node_distance=2:15,30,10,30",
		  { "Node 2: 2 0 3 1 \n" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pmm_test_log log = { 0 };
		struct pmm *m = pmm_test_machine(cases[i].cfg, &log);

		for (int k = 0; k < 6 && cases[i].want[k]; k++) {
			char line[96];

			snprintf(line, sizeof(line), "Fallback order for %s", cases[i].want[k]);
			if (!pmm_test_log_has(&log, line))
				fail_msg("%s: no \"%s\" in\n%s", cases[i].cfg, line, log.buf);
		}
		if (i == 2) {
			struct pmm_page *p;

			assert_int_equal(pmm_set_thread_cpu(m, 2), 0);
			p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
			assert_non_null(p);
			assert_int_equal(pmm_page_nid(p), 0);
			pmm_free_pages(m, p, 0);
			assert_int_equal(pmm_set_thread_cpu(m, -1), 0);
		}
		assert_machine_valid(m);
		pmm_destroy(m);
		pmm_test_log_reset(&log);
	}
}

/*
 * One node with memory and a memoryless node 1 with CPU 1: CPU 0's
 * allocations are NUMA-local, CPU 1's are not, on the per-CPU fast path
 * and on the full one (whose single-node shortcut must not take CPU 1 for
 * node 0's).
 */
static void test_memoryless_numa_events(void **state)
{
	static const char *const cfgs[] = { "mem=256M cpus=2 node_cpus=1:1",
					    "mem=256M cpus=2 node_cpus=1:1 pcp=off" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct pmm *m = pmm_test_machine(cfgs[i], NULL);
		unsigned long local, other;

		for (int cpu = 0; cpu < 2; cpu++) {
			struct pmm_page *p;

			local = pmm_test_vmstat(m, "numa_local");
			other = pmm_test_vmstat(m, "numa_other");
			assert_int_equal(pmm_set_thread_cpu(m, cpu), 0);
			p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
			assert_non_null(p);
			assert_int_equal(pmm_page_nid(p), 0);
			pmm_free_pages(m, p, 0);
			if (pmm_test_vmstat(m, "numa_local") - local != (cpu == 0) ||
			    pmm_test_vmstat(m, "numa_other") - other != (cpu == 1))
				fail_msg("%s: CPU %d: numa_local +%lu, numa_other +%lu", cfgs[i], cpu,
					 pmm_test_vmstat(m, "numa_local") - local,
					 pmm_test_vmstat(m, "numa_other") - other);
		}
		assert_int_equal(pmm_set_thread_cpu(m, -1), 0);
		pmm_destroy(m);
	}
}

static long min_free_kbytes_of(struct pmm *m)
{
	char buf[32];

	assert_true(pmm_sysctl_read(m, "min_free_kbytes", buf, sizeof(buf)) > 0);
	return atol(buf);
}

/*
 * transparent_hugepage=always|madvise: khugepaged raises min_free_kbytes to
 * 11 pageblocks per populated zone up to Normal (3 zones: 67584 kB, the
 * common value on x86 boxes; 2: 45056), capped at 5% of low memory; a
 * user's larger value stays, a smaller one is raised with the kernel's
 * message; memory hotplug computes it again.
 */
static void test_transparent_hugepage(void **state)
{
	static const struct {
		const char *cfg;
		long want; /* 0: above the fresh boot's value and below 45056 (the cap); -1: below it */
		const char *msg;
	} cases[] = {
		{ "mem=8G cpus=2 transparent_hugepage=always", 67584, NULL },
		{ "mem=8G cpus=2 transparent_hugepage=madvise", 67584, NULL },
		{ "nodes=2 mem=8G cpus=2 transparent_hugepage=always", 67584, NULL },
		{ "mem=1G cpus=2 transparent_hugepage=always", 45056, NULL },
		{ "mem=8G cpus=2 transparent_hugepage=always min_free_kbytes=100000", 100000, NULL },
		{ "mem=8G cpus=2 transparent_hugepage=always min_free_kbytes=1000", 67584,
		  " to 67584 to help transparent hugepage allocations\n" }, /* from the computed value */
		{ "mem=64M cpus=1 transparent_hugepage=always", 0, NULL },
		/* Computed again once the marks are set: their high marks no longer count. */
		{ "mem=8G cpus=2 transparent_hugepage=never", -1, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pmm_test_log log = { 0 };
		struct pmm *m = pmm_test_machine(cases[i].cfg, &log);
		char fresh_cfg[128];
		struct pmm *fresh;
		long got = min_free_kbytes_of(m), base;

		/* The same machine without transparent huge pages: a fresh boot's value. */
		snprintf(fresh_cfg, sizeof(fresh_cfg), "%.*s", (int)(strstr(cases[i].cfg, " transparent") - cases[i].cfg),
			 cases[i].cfg);
		fresh = pmm_test_machine(fresh_cfg, NULL);
		base = min_free_kbytes_of(fresh);
		pmm_destroy(fresh);
		if (cases[i].want > 0  ? got != cases[i].want
		    : cases[i].want < 0 ? !(got < base && got > base * 99 / 100)
					: !(got > base && got < 45056 && got % 4 == 0))
			fail_msg("%s: min_free_kbytes %ld (fresh boot %ld)", cases[i].cfg, got, base);
		assert_true(base < 67584);
		assert_true(!cases[i].msg == !pmm_test_log_has(&log, "to help transparent hugepage"));
		if (cases[i].msg)
			assert_true(pmm_test_log_has(&log, cases[i].msg) &&
				    pmm_test_log_has(&log, "raising min_free_kbytes from "));
		/* khugepaged's value is not the user's: no "user defined value" warning. */
		assert_false(pmm_test_log_has(&log, "because user defined value") && !strstr(cases[i].cfg, "min_free_kbytes="));
		pmm_destroy(m);
		pmm_test_log_reset(&log);
	}

	/* Memory hotplug: a Normal zone of 1 GiB appears (with 128 MiB the 5% cap would bind). */
	{
		struct pmm *m = pmm_test_machine("mem=1G cpus=2 maxmem=8G transparent_hugepage=always", NULL);
		unsigned long spfn = (4ul << 30) >> PAGE_SHIFT, n = (1ul << 30) >> PAGE_SHIFT;

		assert_int_equal(min_free_kbytes_of(m), 45056);
		assert_int_equal(pmm_add_memory(m, 0, 4ull << 30, 1ull << 30), 0);
		assert_int_equal(pmm_online_pages(m, spfn, n, PMM_ONLINE_KERNEL), 0);
		assert_int_equal(min_free_kbytes_of(m), 67584);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

/* memmap costs 64 bytes per present frame, measured with mincore(). */
static void check_memmap_rss(const char *cfg)
{
	struct pmm *m = pmm_test_machine(cfg, NULL);
	size_t res = pmm_test_resident_bytes(m->vmemmap, m->vmemmap_size);
	unsigned long present = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->node_data[nid])
			present += m->node_data[nid]->node_present_pages;
	if (res != present * 64)
		fail_msg("%s: memmap resident %zu bytes, 64 * present = %lu", cfg, res, present * 64);
	pmm_destroy(m);
}

static void test_memmap_rss(void **state)
{
	(void)state;
	check_memmap_rss("mem=1G memmap=base");
	check_memmap_rss("mem=1G memmap=huge");
	check_memmap_rss("node=0:0x0-0x7ffffff node=0:0x40000000-0x47ffffff memmap=base");
	check_memmap_rss("mem=4G nodes=2 hole=0x40000000-0x7fffffff");
	check_memmap_rss("mem=1G nodes=2 hole=0x8000000-0xfffffff backend=memfd memmap=base");
}

/* The value after "@key" in the block of zone @zone ("DMA32") of node 0 in @zi. */
static long long zone_value(const char *zi, const char *zone, const char *key)
{
	char head[64];
	const char *p;
	long long v = -1;

	snprintf(head, sizeof(head), "Node 0, zone %8s\n", zone);
	p = strstr(zi, head);
	if (!p || !(p = strstr(p, key)) || sscanf(p + strlen(key), " %lld", &v) != 1)
		fail_msg("zoneinfo has no %s in zone %s", key, zone);
	return v;
}

static __attribute__((noinline)) char *zoneinfo_of(struct pmm *m)
{
	char *zi = NULL;
	size_t len;
	FILE *f = open_memstream(&zi, &len);

	assert_int_equal(pmm_report_zoneinfo(m, f), 0);
	fclose(f);
	return zi;
}

/*
 * late_free=: reserved frames given back once boot is done, as the kernel
 * frees its init memory: managed pages grow, the watermarks stay as boot
 * set them; a range that is not reserved frees nothing.
 */
static void test_late_free(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *a = pmm_test_machine("mem=256M cpus=1 reserve=0x1000000-0x1ffffff", NULL);
	struct pmm *b = pmm_test_machine("mem=256M cpus=1 reserve=0x1000000-0x1ffffff "
					 "late_free=0x1000000-0x17fffff late_free=0x3000000-0x3ffffff",
					 &log);
	char *za = zoneinfo_of(a), *zb = zoneinfo_of(b);
	static const char *const same[] = { "min", "low", "high" };
	const char *pa, *pb;

	(void)state;
	assert_int_equal(zone_value(zb, "DMA32", "managed"), zone_value(za, "DMA32", "managed") + 2048);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_int_equal(zone_value(zb, "DMA32", same[i]), zone_value(za, "DMA32", same[i]));
	assert_int_equal(zone_value(zb, "DMA32", "high:"), zone_value(za, "DMA32", "high:"));
	/* DMA's protection against DMA32 allocations: from boot's DMA32 managed count, kept. */
	pa = strstr(za, "protection: (");
	pb = strstr(zb, "protection: (");
	assert_non_null(pa);
	assert_non_null(pb);
	assert_memory_equal(pa, pb, strcspn(pa, "\n") + 1);
	assert_true(pmm_test_log_has(&log, "Freeing late_free memory [mem 0x0000000001000000-"
					   "0x00000000017fffff]: 8192K\n"));
	assert_true(pmm_test_log_has(&log, "Freeing late_free memory [mem 0x0000000003000000-"
					   "0x0000000003ffffff]: 0K\n"));
	/* The frames are the allocator's now: all of them come back as free pages. */
	assert_machine_valid(b);
	/*
	 * Freed the way boot hands memory over, not through this thread's
	 * per-CPU lists: restartable locks are not in use after boot (an
	 * act-as-CPU lock, as a replay's, would pay a fence after that).
	 */
	assert_int_not_equal(__atomic_load_n(&b->fast.rseq, __ATOMIC_RELAXED), PCP_RSEQ_USED);
	free(za);
	free(zb);
	pmm_destroy(a);
	pmm_destroy(b);
	pmm_test_log_reset(&log);
}

/*
 * late_free=...:WHAT logs the kernel's words; the SMP alternatives are
 * freed before the watermarks are set (they count in them), the others
 * after (they do not); "Memory:" still holds them all as reserved.
 */
static void test_late_free_named(void **state)
{
	static const char two[] = "late_free=0x0-0xfff:initmem late_free=0x1000-0x1fff";
	static const char bad[] = "late_free=0x0-0xfff:kernel";
	struct pmm_test_log log = { 0 };
	struct pmm *a = pmm_test_machine("mem=256M cpus=1 reserve=0x1000000-0x1ffffff "
					 "late_free=0x1000000-0x17fffff:initrd", &log);
	struct pmm *b = pmm_test_machine("mem=256M cpus=1 reserve=0x1000000-0x1ffffff "
					 "late_free=0x1000000-0x17fffff:smp_alternatives", NULL);
	char *za = zoneinfo_of(a), *zb = zoneinfo_of(b);
	struct pmm_config c;
	char err[256];

	(void)state;
	assert_true(pmm_test_log_has(&log, "Memory: 245760K/262144K available (0K kernel code, 0K "
					   "rwdata, 0K rodata, 0K init, 0K bss, 16384K reserved"));
	assert_true(pmm_test_log_has(&log, "\nFreeing initrd memory: 8192K\n"));
	assert_int_equal(zone_value(za, "DMA32", "managed"), zone_value(zb, "DMA32", "managed"));
	assert_true(zone_value(zb, "DMA32", "min") > zone_value(za, "DMA32", "min"));
	assert_machine_valid(a);
	assert_machine_valid(b);
	free(za);
	free(zb);
	pmm_destroy(a);
	pmm_destroy(b);
	pmm_test_log_reset(&log);

	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, two, sizeof(two) - 1, "<t>", err, sizeof(err)), 0);
	assert_int_equal(c.nr_late_free, 2);
	assert_int_equal(c.late_free_what[0], PMM_LATE_FREE_INITMEM);
	assert_int_equal(c.late_free_what[1], PMM_LATE_FREE_UNNAMED);
	assert_int_equal(pmm_config_parse(&c, bad, sizeof(bad) - 1, "<t>", err, sizeof(err)), -PMM_EINVAL);
	assert_non_null(strstr(err, "unknown late_free kind in 'late_free=0x0-0xfff:kernel'"));
}

/*
 * deferred_struct_page_init=on: boot hands over the top zone of each node
 * only up to the first section boundary past its first 128 MiB before
 * "Memory:", the rest after it; nothing else changes.
 */
static void test_deferred_struct_page_init(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *on = pmm_test_machine("mem=1G nodes=2 cpus=2 deferred_struct_page_init=on", &log);
	struct pmm *off = pmm_test_machine("mem=1G nodes=2 cpus=2", NULL);
	char *zon = zoneinfo_of(on), *zoff = zoneinfo_of(off);

	(void)state;
	/*
	 * Sections are 0x8000 frames.  Node 0 [0, 512M): DMA32 from pfn 0x1000
	 * defers from the boundary after 0x9000, 0x10000; node 1 [512M, 1G):
	 * DMA32 from 0x20000 defers from 0x28000, itself a boundary.
	 * Available: 0x10000 + 0x8000 frames, 384M.
	 */
	assert_true(pmm_test_log_has(&log, "Memory: 393216K/1048576K available (0K kernel code, 0K "
					   "rwdata, 0K rodata, 0K init, 0K bss, 0K reserved"));
	assert_true(pmm_test_log_has(&log, "\nnode 0 deferred pages initialised in "));
	assert_true(pmm_test_log_has(&log, "\nnode 1 deferred pages initialised in "));
	assert_string_equal(zon, zoff);
	assert_machine_valid(on);
	free(zon);
	free(zoff);
	pmm_destroy(on);
	pmm_destroy(off);
	pmm_test_log_reset(&log);
}

static void test_sizes(void **state)
{
	static const char *const cfgs[] = {
		"mem=16M", "mem=128M", "mem=3G", "mem=64G", "mem=64G nodes=4",
		"mem=2G nodes=2 kernelcore=512M", "mem=8G movablecore=25%",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct pmm *m = pmm_test_machine(cfgs[i], NULL);
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		unsigned long present = 0;

		for (int nid = 0; nid < m->nr_node_ids; nid++)
			present += m->node_data[nid]->node_present_pages;
		assert_int_equal(check_round_trips(m), present);
		assert_non_null(p);
		pmm_free_pages(m, p, 0);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

static void test_movable_zone(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=8G movablecore=2G", &log);
	struct pmm_page *p;

	(void)state;
	assert_true(pmm_test_log_has(&log, "  Node 0: 0x0000000180000000\n"));
	p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(pmm_page_zonenum(p), 3);
	pmm_free_pages(m, p, 0);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_int_not_equal(pmm_page_zonenum(p), 3);
	pmm_free_pages(m, p, 0);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_two_machines(void **state)
{
	struct pmm *a = pmm_test_machine("mem=256M", NULL), *b = pmm_test_machine("mem=512M", NULL);
	struct pmm_page *pa = pmm_alloc_pages(a, PMM_GFP_KERNEL, 4);
	struct pmm_page *pb = pmm_alloc_pages(b, PMM_GFP_KERNEL, 4);
	char *xa = pmm_page_address(a, pa), *xb = pmm_page_address(b, pb);

	(void)state;
	memset(xa, 0x11, 16 * 4096);
	memset(xb, 0x22, 16 * 4096);
	assert_true(xa + 16 * 4096 <= xb || xb + 16 * 4096 <= xa);
	assert_null(pmm_virt_to_page(a, xb));
	assert_null(pmm_virt_to_page(b, xa));
	/* A page of machine b freed to machine a is refused and reported. */
	pmm_free_pages(a, pb, 4);
	assert_int_equal(pmm_bad_page_count(a), 1);
	assert_int_equal(pmm_bad_page_count(b), 0);
	assert_int_equal(xa[0], 0x11);
	assert_int_equal(xb[0], 0x22);
	pmm_free_pages(a, pa, 4);
	pmm_free_pages(b, pb, 4);
	assert_machine_valid(a);
	assert_machine_valid(b);
	pmm_destroy(a);
	pmm_destroy(b);
}

/* Bad configs fail with a clear error, and nothing stays allocated. */
static void expect_bad_config(const char *text, const char *message)
{
	struct pmm_config c;
	char err[256];

	pmm_config_default(&c);
	if (pmm_config_parse(&c, text, strlen(text), "<test>", err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	pmm_test_expect_refused(&c, message);
}

/*
 * Layouts the text format cannot express (the parser refuses them first) but
 * a C caller can: each refused by pmm_create() with its message, no leak.
 */
static void expect_bad_struct(void (*set)(struct pmm_config *c), const char *message)
{
	struct pmm_config c;

	pmm_config_default(&c);
	set(&c);
	pmm_test_expect_refused(&c, message);
}

static void too_many_nodes(struct pmm_config *c) { c->nr_nodes = PMM_MAX_NUMNODES + 1; }
static void zero_nodes(struct pmm_config *c) { c->nr_nodes = 0; }
static void zero_size(struct pmm_config *c) { c->mem_bytes = 0; }
static void too_small_for_nodes(struct pmm_config *c) { c->mem_bytes = 8192; c->nr_nodes = 4; }
static void empty_range(struct pmm_config *c)
{
	c->nr_ranges = 1;
	c->ranges[0] = (struct pmm_range){ .start = 1ull << 30, .end = 1ull << 30, .nid = 0 };
}
static void node_out_of_range(struct pmm_config *c)
{
	c->nr_ranges = 1;
	c->ranges[0] = (struct pmm_range){ .start = 0, .end = 1ull << 30, .nid = PMM_MAX_NUMNODES };
}
static void empty_hole(struct pmm_config *c)
{
	c->nr_holes = 1;
	c->holes[0] = (struct pmm_range){ .start = 4096, .end = 4096 };
}
static void empty_reserved(struct pmm_config *c)
{
	c->nr_reserved = 1;
	c->reserved[0] = (struct pmm_range){ .start = 4096, .end = 0 };
}

static void test_bad_config_structs(void **state)
{
	(void)state;
	expect_bad_struct(too_many_nodes, "pmm: 65 nodes requested, at most 64 supported");
	expect_bad_struct(zero_nodes, "pmm: 0 nodes requested, at most 64 supported");
	expect_bad_struct(zero_size, "pmm: mem=0 is zero or not a multiple of the page size");
	expect_bad_struct(too_small_for_nodes, "pmm: mem=8192 too small for 4 nodes");
	expect_bad_struct(empty_range, "pmm: memory range 0 of node 0 is empty");
	expect_bad_struct(node_out_of_range, "pmm: node 64 out of range (at most 64 nodes)");
	expect_bad_struct(empty_hole, "pmm: hole 0 is empty");
	expect_bad_struct(empty_reserved, "pmm: reserved range 0 is empty");
}

static void test_bad_configs(void **state)
{
	(void)state;
	expect_bad_config("node=0:0x0-0x3fffffff node=0:0x20000000-0x4fffffff", "overlaps another");
	expect_bad_config("node=0:0x1000-0x1fff node=0:0x1800+0x1000", "not page-aligned");
	expect_bad_config("node=0:0x0-0x3fffffff reserve=0x80000000+4096", "is outside memory");
	expect_bad_config("mem=1G hole=0x0-0x3fffffff", "no memory left");
	expect_bad_config("mem=1G dma=4G dma32=1G", "above dma32");
	expect_bad_config("mem=4097", "not a multiple of the page size");
	expect_bad_config("nodes=2 mem=1G cpus=4 node_cpus=1:2-4",
			  "pmm: node_cpus=1: CPU 4, but the machine has 4 CPUs (cpus=)");
}

static void test_bad_config_text(void **state)
{
	struct pmm_config c;
	char err[256];
	static const struct { const char *text, *msg; } cases[] = {
		{ "mem=", "<t>:1: bad size in 'mem='" },
		{ "mem=8Q", "<t>:1: bad size in 'mem=8Q'" },
		{ "# comment\nnodes=65", "<t>:2: value out of range in 'nodes=65'" },
		{ "node=64:0-0xfff", "<t>:1: bad node id in 'node=64:0-0xfff'" },
		{ "node=0:0x2000-0x1000", "<t>:1: bad range in 'node=0:0x2000-0x1000'" },
		{ "\n\nfrobnicate=1", "<t>:3: unknown key in 'frobnicate=1'" },
		{ "page_owner=maybe", "<t>:1: not a boolean: 'page_owner=maybe'" },
		{ "memmap=flat", "<t>:1: memmap must be base, huge or altmap: 'memmap=flat'" },
		{ "cpu=any", "<t>:1: cpu must be rseq or getcpu: 'cpu=any'" },
		{ "page_owner_stack=user", "<t>:1: page_owner_stack must be kernel or caller: 'page_owner_stack=user'" },
		{ "transparent_hugepage=yes", "<t>:1: transparent_hugepage must be never, always or madvise: 'transparent_hugepage=yes'" },
		{ "node_cpus=1", "<t>:1: expected node_cpus=N:CPULIST in 'node_cpus=1'" },
		{ "node_cpus=1:", "<t>:1: expected node_cpus=N:CPULIST in 'node_cpus=1:'" },
		{ "node_cpus=x:0", "<t>:1: bad node id in 'node_cpus=x:0'" },
		{ "node_cpus=0:0-x", "<t>:1: bad CPU list (CPUs are 0-1023, as in 0-3,8) in 'node_cpus=0:0-x'" },
		{ "node_cpus=0:1024", "<t>:1: bad CPU list" },
		{ "node_cpus=0:3-1", "<t>:1: CPU range ends before it starts in 'node_cpus=0:3-1'" },
		{ "node_cpus=0:1,", "<t>:1: CPU list ends with ',' in 'node_cpus=0:1,'" },
		{ "node_cpus=0:0-3\nnode_cpus=1:3", "<t>:2: a CPU named for another node already in 'node_cpus=1:3'" },
		{ "node_cpumask=1", "<t>:1: expected node_cpumask=N:CPULIST in 'node_cpumask=1'" },
		{ "node_cpumask=0:2-1", "<t>:1: CPU range ends before it starts in 'node_cpumask=0:2-1'" },
		{ "node_distance=0", "<t>:1: expected node_distance=N:D0,D1,... in 'node_distance=0'" },
		{ "node_distance=0:10,", "<t>:1: bad distance (1-255) in 'node_distance=0:10,'" },
		{ "node_distance=0:10,256", "<t>:1: bad distance (1-255) in 'node_distance=0:10,256'" },
		{ "node_distance=1:20,11", "<t>:1: a node's distance to itself is 10 (ACPI SLIT) in 'node_distance=1:20,11'" },
		{ "mem", "<t>:1: expected key=value, got 'mem'" },
		{ "mem=99999999999999999999999G", "<t>:1: bad size" },
		{ "\x01mem=1G", "<t>:1: binary data in config" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pmm_config_default(&c);
		if (pmm_config_parse(&c, cases[i].text, strlen(cases[i].text), "<t>", err, sizeof(err)) !=
		    -PMM_EINVAL)
			fail_msg("'%s' parsed", cases[i].text);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("'%s': got \"%s\", want \"%s\"", cases[i].text, err, cases[i].msg);
	}
	/* No config, or no text where a length says there is some: refused, not read. */
	assert_int_equal(pmm_config_parse(NULL, "mem=1G", 6, "<t>", err, sizeof(err)), -PMM_EINVAL);
	assert_string_equal(err, "<t>:1: no config to parse into, or no text");
	assert_int_equal(pmm_config_parse(&c, NULL, 6, "<t>", err, sizeof(err)), -PMM_EINVAL);
	assert_int_equal(pmm_config_parse(&c, NULL, 0, "<t>", err, sizeof(err)), 0);
	pmm_config_default(&c);
	{
		const char *ok = "mem=2G nodes=2 cpus=3 page_owner=on lowmem_reserve_ratio=1,2,3 "
				 "memmap=altmap cpu=getcpu page_owner_stack=caller node_cpus=1:0,2-3 "
				 "node_cpus=1:2";
		assert_int_equal(pmm_config_parse(&c, ok, strlen(ok), "<t>", err, sizeof(err)), 0);
	}
	assert_int_equal(c.memmap, PMM_MEMMAP_ALTMAP);
	assert_true(c.cpu_getcpu);
	assert_true(c.page_owner_caller_stacks);
	assert_int_equal(c.mem_bytes, 2ull << 30);
	assert_int_equal(c.nr_nodes, 2);
	assert_int_equal(c.nr_cpus, 3);
	assert_true(c.page_owner);
	assert_int_equal(c.lowmem_reserve_ratio[2], 3);
	assert_int_equal(c.lowmem_reserve_ratio[3], 0);
	assert_int_equal(c.cpu_node[0], 2);
	assert_int_equal(c.cpu_node[1], 0);
	assert_int_equal(c.cpu_node[2], 2);
	assert_int_equal(c.cpu_node[3], 2);
	assert_int_equal(c.cpu_node[4], 0);

	/*
	 * A file an editor saved with a UTF-8 byte order mark (Windows
	 * Notepad does) is the same config; it used to be "unknown key in
	 * 'mem=1G'", the mark invisible in the message.
	 */
	pmm_config_default(&c);
	{
		const char *bom = "\xef\xbb\xbfmem=1G\r\nnodes=2\r\n";

		if (pmm_config_parse(&c, bom, strlen(bom), "<t>", err, sizeof(err)))
			fail_msg("%s", err);
	}
	assert_int_equal(c.mem_bytes, 1ull << 30);
	assert_int_equal(c.nr_nodes, 2);
}

/* Fail the N-th platform call of a boot, for every N: clean error, nothing leaked. */
static void test_boot_fault_sweep(void **state)
{
	(void)state;
	assert_true(pmm_test_boot_sweep("mem=2G nodes=2 page_owner=on", NULL) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_machine),
		cmocka_unit_test(test_boot_log_matches_kernel),
		cmocka_unit_test(test_two_nodes_holes_reserved),
		cmocka_unit_test(test_node_cpus),
		cmocka_unit_test(test_node_distance),
		cmocka_unit_test(test_memoryless_numa_events),
		cmocka_unit_test(test_transparent_hugepage),
		cmocka_unit_test(test_memmap_rss),
		cmocka_unit_test(test_late_free),
		cmocka_unit_test(test_late_free_named),
		cmocka_unit_test(test_deferred_struct_page_init),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_movable_zone),
		cmocka_unit_test(test_two_machines),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_bad_config_structs),
		cmocka_unit_test(test_bad_config_text),
		cmocka_unit_test(test_boot_fault_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
