// SPDX-License-Identifier: MIT
/*
 * Memory hotplug (src/mm/memory_hotplug.c, sparse.c, physmem.c): a block
 * offlined and onlined again gives back exactly what it took (free, managed,
 * present pages, reports) and serves allocations; a block with a frame in
 * use refuses to go offline and nothing changes; removing a block releases
 * its memmap (RSS measured) and makes its pfns invalid; a page_ext reader
 * holding an entry across the removal keeps valid memory; a failure of any
 * commit, reservation or allocation during add or online leaves the machine
 * consistent and leaks nothing (swept); two nodes, memory above the boot
 * end (maxmem=), ZONE_MOVABLE and memmap=altmap; bad requests are refused
 * with the kernel's messages.
 */
#include "harness.h"

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pmm/hotplug.h>
#include <pmm/report.h>

#include "ext/page_ext.h"
#include "mm/internal.h"
#include "mm/pcp.h"
#include "mm/pcp_fast.h"

#define PPS PAGES_PER_SECTION
#define SECTION_BYTES ((uint64_t)PMM_MEMORY_BLOCK_SIZE)

/* What a block's trip must give back: the machine's counters, per zone. */
struct counts {
	unsigned long free, managed;
	unsigned long present[PMM_MAX_NUMNODES][MAX_NR_ZONES];
	unsigned long spanned[PMM_MAX_NUMNODES][MAX_NR_ZONES];
	unsigned long start[PMM_MAX_NUMNODES][MAX_NR_ZONES];
	unsigned long node_present[PMM_MAX_NUMNODES];
};

static void counts_read(struct pmm *m, struct counts *c)
{
	int nid;

	memset(c, 0, sizeof(*c));
	pmm_drain_all(m);
	c->free = pmm_nr_free_pages(m);
	c->managed = pmm_totalram_pages(m);
	for_each_online_node(m, nid) {
		c->node_present[nid] = m->node_data[nid]->node_present_pages;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			c->present[nid][z] = m->node_data[nid]->node_zones[z].present_pages;
			c->spanned[nid][z] = m->node_data[nid]->node_zones[z].spanned_pages;
			c->start[nid][z] = m->node_data[nid]->node_zones[z].zone_start_pfn;
		}
	}
}

static void counts_expect_equal(const char *what, const struct counts *a, const struct counts *b)
{
	if (a->free != b->free || a->managed != b->managed)
		fail_msg("%s: free %lu -> %lu, managed %lu -> %lu", what, a->free, b->free, a->managed,
			 b->managed);
	for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++) {
		if (a->node_present[nid] != b->node_present[nid])
			fail_msg("%s: node %d present %lu -> %lu", what, nid, a->node_present[nid],
				 b->node_present[nid]);
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (a->present[nid][z] != b->present[nid][z] ||
			    a->spanned[nid][z] != b->spanned[nid][z] || a->start[nid][z] != b->start[nid][z])
				fail_msg("%s: node %d zone %d present %lu -> %lu, spanned %lu -> %lu, start %#lx -> %#lx",
					 what, nid, z, a->present[nid][z], b->present[nid][z],
					 a->spanned[nid][z], b->spanned[nid][z], a->start[nid][z],
					 b->start[nid][z]);
	}
}

static char *report(struct pmm *m, enum pmm_report which)
{
	long n = pmm_report_snprint(m, which, NULL, 0);
	char *buf;

	assert_true(n > 0);
	buf = malloc((size_t)n + 1);
	assert_int_equal(pmm_report_snprint(m, which, buf, (size_t)n + 1), n);
	return buf;
}

/* The value after "@key" in zoneinfo's block for node @nid, zone @zone. */
static unsigned long zoneinfo_value(const char *zi, int nid, const char *zone, const char *key)
{
	char head[64], *p;
	unsigned long v = 0;

	snprintf(head, sizeof(head), "Node %d, zone %8s", nid, zone);
	p = strstr(zi, head);
	if (!p)
		fail_msg("zoneinfo has no '%s'", head);
	p = strstr(p, key);
	if (!p || sscanf(p + strlen(key), " %lu", &v) != 1)
		fail_msg("zoneinfo '%s' has no '%s'", head, key);
	return v;
}

/* Allocate exactly the frames [pfn, pfn + nr) and free them: the block serves memory. */
static void expect_allocatable(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	assert_int_equal(pmm_alloc_contig_range(m, pfn, pfn + nr, PMM_GFP_KERNEL), 0);
	for (unsigned long p = pfn; p < pfn + nr; p++)
		assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, p)), 1);
	pmm_free_contig_range(m, pfn, nr);
}

static void offline_online_free_section(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=1G cpus=2", &log);
	unsigned long spfn = 5 * PPS;
	struct zone *z = page_zone(m, pfn_to_page(m, spfn));
	struct counts before, off, after;
	char *zi0, *zi1, *bi0, *bi1;

	(void)state;
	counts_read(m, &before);
	zi0 = report(m, PMM_REPORT_ZONEINFO);
	bi0 = report(m, PMM_REPORT_BUDDYINFO);
	assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ONLINE);

	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_true(pmm_test_log_has(&log, "Offlined Pages 32768\n"));
	assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_OFFLINE);
	assert_machine_valid(m);
	counts_read(m, &off);
	assert_int_equal(off.free, before.free - PPS);
	assert_int_equal(off.managed, before.managed - PPS);
	assert_int_equal(off.present[0][z->zone_idx], before.present[0][z->zone_idx] - PPS);
	assert_int_equal(off.node_present[0], before.node_present[0] - PPS);
	/* A middle block leaves the span alone, as shrink_zone_span() does. */
	assert_int_equal(off.spanned[0][z->zone_idx], before.spanned[0][z->zone_idx]);
	/* The reports see it: present, managed and free pages, and the free blocks. */
	zi1 = report(m, PMM_REPORT_ZONEINFO);
	assert_int_equal(zoneinfo_value(zi1, 0, "DMA32", "present"),
			 zoneinfo_value(zi0, 0, "DMA32", "present") - PPS);
	assert_int_equal(zoneinfo_value(zi1, 0, "DMA32", "managed"),
			 zoneinfo_value(zi0, 0, "DMA32", "managed") - PPS);
	assert_int_equal(zoneinfo_value(zi1, 0, "DMA32", "nr_free_pages"),
			 zoneinfo_value(zi0, 0, "DMA32", "nr_free_pages") - PPS);
	bi1 = report(m, PMM_REPORT_BUDDYINFO);
	assert_string_not_equal(bi0, bi1);
	/* Nothing is allocated from it while it is offline. */
	assert_int_equal(pmm_alloc_contig_range(m, spfn, spfn + 512, PMM_GFP_KERNEL), -PMM_EINVAL);
	free(zi1);
	free(bi1);

	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ONLINE);
	assert_machine_valid(m);
	counts_read(m, &after);
	counts_expect_equal("offline+online", &before, &after);
	zi1 = report(m, PMM_REPORT_ZONEINFO);
	assert_int_equal(zoneinfo_value(zi1, 0, "DMA32", "present"),
			 zoneinfo_value(zi0, 0, "DMA32", "present"));
	bi1 = report(m, PMM_REPORT_BUDDYINFO);
	assert_string_equal(bi0, bi1);
	for (unsigned long pfn = spfn; pfn < spfn + PPS; pfn += pageblock_nr_pages)
		assert_int_equal(get_pfnblock_migratetype(m, pfn), MIGRATE_MOVABLE);
	expect_allocatable(m, spfn, PPS);
	/* A second trip, of two blocks at once. */
	assert_int_equal(pmm_offline_pages(m, spfn, 2 * PPS), 0);
	assert_int_equal(pmm_online_pages(m, spfn, 2 * PPS, PMM_ONLINE_KERNEL), 0);
	counts_read(m, &after);
	counts_expect_equal("two blocks", &before, &after);
	/* Asking again for what is so already is no error, as writing sysfs state. */
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_machine_valid(m);
	free(zi0);
	free(zi1);
	free(bi0);
	free(bi1);
	pmm_destroy(m);
	free(log.buf);
}

/*
 * An edge block moves the zone's span.  Onlined again with the default
 * type it no longer intersects ZONE_DMA32, so default_kernel_zone_for_pfn()
 * gives it ZONE_NORMAL, as the kernel does; online_kernel likewise.
 */
static void offline_edge_section_shrinks_span(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G", NULL);
	unsigned long last = 7 * PPS;
	struct zone *z = page_zone(m, pfn_to_page(m, last));
	struct zone *normal = &m->node_data[0]->node_zones[ZONE_NORMAL];
	struct counts before, after;

	(void)state;
	assert_int_equal(z->zone_idx, ZONE_DMA32);
	counts_read(m, &before);
	assert_int_equal(pmm_offline_pages(m, last, PPS), 0);
	assert_int_equal(zone_end_pfn(z), last);
	assert_int_equal(pgdat_end_pfn(m->node_data[0]), last);
	assert_machine_valid(m);
	assert_int_equal(pmm_online_pages(m, last, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_page_zonenum(pmm_pfn_to_page(m, last)), ZONE_NORMAL);
	assert_int_equal(normal->zone_start_pfn, last);
	assert_int_equal(normal->present_pages, PPS);
	assert_int_equal(pgdat_end_pfn(m->node_data[0]), last + PPS);
	counts_read(m, &after);
	assert_int_equal(after.free, before.free);
	assert_int_equal(after.managed, before.managed);
	assert_int_equal(after.present[0][ZONE_DMA32] + PPS, before.present[0][ZONE_DMA32]);
	assert_machine_valid(m);
	expect_allocatable(m, last, PPS);
	pmm_destroy(m);
}

static void offline_refused_while_page_held(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=1G cpus=2", &log);
	struct pmm_page *held = NULL;
	struct counts before, after;
	unsigned long spfn;
	char msg[160];

	(void)state;
	/* A page in a block of its own zone, away from the zone's first block. */
	for (int i = 0; i < 100000 && !held; i++) {
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);

		assert_non_null(p);
		if (pmm_page_to_pfn(m, p) >= 2 * PPS)
			held = p;
	}
	assert_non_null(held);
	spfn = ALIGN_DOWN(pmm_page_to_pfn(m, held), PPS);
	counts_read(m, &before);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), -PMM_EBUSY);
	snprintf(msg, sizeof(msg), "memory offlining [mem %#010llx-%#010llx] failed due to failure to isolate range",
		 (unsigned long long)PFN_PHYS(spfn), (unsigned long long)PFN_PHYS(spfn + PPS) - 1);
	if (!pmm_test_log_has(&log, msg))
		fail_msg("log lacks '%s':\n%s", msg, log.buf);
	assert_true(pmm_test_log_has(&log, "unmovable page"));
	/* Nothing changed: still online, every free frame still free. */
	assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ONLINE);
	assert_machine_valid(m);
	counts_read(m, &after);
	counts_expect_equal("refused offline", &before, &after);
	assert_int_equal(pmm_page_count(held), 1);
	/* Let go of every frame and it goes. */
	pmm_free_pages(m, held, 0);
	pmm_test_log_reset(&log);
	/* The frames the loop above still holds all lie below 2 * PPS, in other blocks. */
	if (pmm_offline_pages(m, spfn, PPS))
		fail_msg("offline after the free: %s", log.buf ? log.buf : "");
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

/* Remove gives the memmap back (RSS), pfns become invalid, and add + online restore all. */
static void remove_releases_memmap_and_add_restores(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=1G memmap=base", &log);
	unsigned long spfn = 6 * PPS;
	const size_t memmap = PPS * sizeof(struct page);
	void *smap = m->vmemmap + spfn;
	size_t total0, total1;
	struct counts before, after;

	(void)state;
	counts_read(m, &before);
	total0 = pmm_test_resident_bytes(m->vmemmap, m->vmemmap_size);
	assert_int_equal(pmm_test_resident_bytes(smap, memmap), memmap);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), -PMM_EBUSY);
	assert_true(pmm_test_log_has(&log, "removing memory fails, because memory [0x0000000030000000-0x0000000037ffffff] is onlined"));
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	total1 = pmm_test_resident_bytes(m->vmemmap, m->vmemmap_size);
	print_message("hotplug: memmap resident %zu KiB -> %zu KiB after removing one block\n",
		      total0 >> 10, total1 >> 10);
	assert_int_equal(pmm_test_resident_bytes(smap, memmap), 0);
	assert_int_equal(total0 - total1, memmap);
	assert_int_equal(pmm_test_resident_bytes(m->mem + PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ABSENT);
	for (unsigned long pfn = spfn; pfn < spfn + PPS; pfn += 511) {
		assert_false(pmm_pfn_valid(m, pfn));
		assert_null(pmm_pfn_to_page(m, pfn));
		assert_null(pmm_virt_to_page(m, m->mem + PFN_PHYS(pfn)));
	}
	assert_false(pmm_pfn_valid(m, spfn + PPS - 1));
	assert_true(pmm_pfn_valid(m, spfn - 1));
	assert_true(pmm_pfn_valid(m, spfn + PPS));
	assert_machine_valid(m);
	/* Removing again, or offlining or onlining what is absent, is refused. */
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), -PMM_EINVAL);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), -PMM_EINVAL);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), -PMM_EINVAL);

	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_OFFLINE);
	assert_true(pmm_pfn_valid(m, spfn));
	assert_non_null(pmm_pfn_to_page(m, spfn + 7));
	assert_true(PageReserved((struct page *)pmm_pfn_to_page(m, spfn + 7)));
	assert_int_equal(pmm_page_nid(pmm_pfn_to_page(m, spfn + 7)), 0);
	assert_int_equal(pmm_test_resident_bytes(smap, memmap), memmap);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), -PMM_EEXIST);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	counts_read(m, &after);
	counts_expect_equal("remove+add+online", &before, &after);
	assert_machine_valid(m);
	expect_allocatable(m, spfn + 1024, 2048);
	pmm_destroy(m);
	free(log.buf);
}

/* ------------------------------------------------------------ page_ext readers */

struct reader {
	struct pmm *m;
	struct page *page;
	int held;        /* the reader holds its entry */
	int offlining;   /* the main thread started offline+remove */
	int done;        /* offline returned */
	int saw_done;    /* the reader saw it return while holding */
	unsigned long flags_seen;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct page_ext *ext = page_ext_get(r->m, r->page);
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	assert_non_null(ext);
	ext->flags |= 1ul << 40; /* a bit nobody else uses: proves the write lands */
	__atomic_store_n(&r->held, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&r->offlining, __ATOMIC_SEQ_CST))
		sched_yield();
	nanosleep(&ts, NULL);
	/* Offline is waiting for us: the entry is still the section's memory. */
	r->saw_done = __atomic_load_n(&r->done, __ATOMIC_SEQ_CST);
	r->flags_seen = ext->flags;
	ext->flags &= ~(1ul << 40);
	page_ext_put(r->m, ext);
	return NULL;
}

static void page_ext_reader_survives_remove(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G page_owner=on", NULL);
	unsigned long spfn = 4 * PPS;
	struct reader r = { .m = m, .page = pfn_to_page(m, spfn + 100) };
	pthread_t t;

	(void)state;
	assert_non_null(lookup_page_ext(m, spfn + 100));
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	while (!__atomic_load_n(&r.held, __ATOMIC_SEQ_CST))
		sched_yield();
	__atomic_store_n(&r.offlining, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	__atomic_store_n(&r.done, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.saw_done, 0);
	assert_true(r.flags_seen & (1ul << 40));
	/* New readers find nothing, the memmap is gone. */
	assert_null(lookup_page_ext(m, spfn + 100));
	assert_false(pmm_pfn_valid(m, spfn + 100));
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_non_null(lookup_page_ext(m, spfn + 100));
	assert_int_equal(lookup_page_ext(m, spfn + 100)->flags, 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ fault sweep */

static unsigned long sweep_add_online(const char *text)
{
	struct pmm_platform_faulty f;
	struct pmm_config c;
	struct pmm *m;
	unsigned long spfn = 3 * PPS, n, failures = 0;
	struct counts removed, now;
	long base;

	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, text, strlen(text), "<sweep>", NULL, 0), 0);
	pmm_platform_faulty_init(&f, pmm_platform_posix(),
				 PMM_FAULT_RESERVE | PMM_FAULT_COMMIT | PMM_FAULT_ALLOC, 0);
	c.platform = &f.ops;
	c.log = pmm_test_log_sink;
	assert_int_equal(pmm_create(&c, &m), 0);
	/* One clean trip first, so every lasting allocation (stack depot) is made. */
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	counts_read(m, &removed);
	base = f.outstanding;

	for (n = 1;; n++) {
		unsigned long injected = f.failures;
		int r;

		f.fail_nth = f.calls + n;
		r = pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES);
		if (r) {
			assert_int_equal(r, -PMM_ENOMEM);
			assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ABSENT);
			assert_false(pmm_pfn_valid(m, spfn));
			assert_int_equal(pmm_test_resident_bytes(m->vmemmap + spfn, PPS * sizeof(struct page)), 0);
		} else {
			r = pmm_online_pages(m, spfn, PPS, PMM_ONLINE);
			if (r) {
				assert_int_equal(r, -PMM_ENOMEM);
				assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_OFFLINE);
				assert_machine_valid(m);
				counts_read(m, &now);
				counts_expect_equal("failed online", &removed, &now);
			} else {
				assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ONLINE);
				assert_machine_valid(m);
				f.fail_nth = 0;
				assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
			}
			f.fail_nth = 0;
			assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
		}
		f.fail_nth = 0;
		assert_machine_valid(m);
		counts_read(m, &now);
		counts_expect_equal("after the trip", &removed, &now);
		if (f.outstanding != base)
			fail_msg("%s: failing call %lu: %ld resources leaked", text, n, f.outstanding - base);
		if (f.failures == injected)
			break;
		failures++;
	}
	/* And the machine takes the block back once nothing fails, and serves it. */
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	expect_allocatable(m, spfn + 2048, 1024);
	assert_machine_valid(m);
	print_message("hotplug fault sweep: %s: %lu fault points, 0 leaks\n", text, failures);
	pmm_destroy(m);
	assert_int_equal(f.outstanding, 0);
	return failures;
}

static void fault_sweep_add_online(void **state)
{
	(void)state;
	assert_true(sweep_add_online("mem=1G page_owner=on") >= 3);
	assert_true(sweep_add_online("mem=1G backend=memfd memmap=altmap page_owner=on") >= 3);
}

/* ------------------------------------------------------------ layouts */

static void two_nodes_movable_and_maxmem(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("nodes=2 mem=2G maxmem=3G cpus=2", &log);
	unsigned long n1 = 12 * PPS, top = 16 * PPS;
	struct zone *mov1 = &m->node_data[1]->node_zones[ZONE_MOVABLE];
	struct zone *norm0 = &m->node_data[0]->node_zones[ZONE_NORMAL];
	struct counts before, after;
	struct pmm_page *p;

	(void)state;
	counts_read(m, &before);
	assert_int_equal(pmm_max_pfn(m), top);
	/* A block of node 1 goes out, comes back as ZONE_MOVABLE. */
	assert_int_equal(pmm_offline_pages(m, n1, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(n1), SECTION_BYTES), 0);
	assert_int_equal(m->node_data[1]->node_present_pages, before.node_present[1] - PPS);
	assert_int_equal(pmm_add_memory(m, 1, PFN_PHYS(n1), SECTION_BYTES), 0);
	assert_int_equal(pmm_page_nid(pmm_pfn_to_page(m, n1)), 1);
	assert_false(populated_zone(mov1));
	pmm_test_log_reset(&log);
	assert_int_equal(pmm_online_pages(m, n1, PPS, PMM_ONLINE_MOVABLE), 0);
	assert_true(pmm_test_log_has(&log, "Built 2 zonelists, mobility grouping on."));
	assert_int_equal(mov1->present_pages, PPS);
	assert_int_equal(mov1->zone_start_pfn, n1);
	assert_int_equal(pmm_page_zonenum(pmm_pfn_to_page(m, n1)), ZONE_MOVABLE);
	assert_machine_valid(m);
	/* Movable allocations on node 1 now come from there. */
	p = pmm_alloc_pages_node(m, 1, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_THISNODE, 0);
	assert_non_null(p);
	assert_int_equal(pmm_page_zonenum(p), ZONE_MOVABLE);
	assert_int_equal(pmm_page_nid(p), 1);
	assert_int_equal(pmm_offline_pages(m, n1, PPS), -PMM_EBUSY);
	pmm_free_pages(m, p, 0);
	pmm_test_log_reset(&log);
	assert_int_equal(pmm_offline_pages(m, n1, PPS), 0);
	assert_true(pmm_test_log_has(&log, "Built 2 zonelists"));
	assert_false(populated_zone(mov1));
	assert_int_equal(mov1->spanned_pages, 0);
	assert_int_equal(pmm_online_pages(m, n1, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_page_zonenum(pmm_pfn_to_page(m, n1)), ZONE_DMA32);
	counts_read(m, &after);
	counts_expect_equal("node 1 round trip", &before, &after);

	/* Above the boot end, up to maxmem=: a new block of node 0, in ZONE_NORMAL. */
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(top), 2 * SECTION_BYTES), 0);
	assert_int_equal(pmm_max_pfn(m), top + 2 * PPS);
	assert_int_equal(pmm_online_pages(m, top, 2 * PPS, PMM_ONLINE), 0);
	assert_int_equal(norm0->present_pages, 2 * PPS);
	assert_int_equal(pmm_totalram_pages(m), before.managed + 2 * PPS);
	assert_non_null(pmm_virt_to_page(m, m->mem + PFN_PHYS(top + 5)));
	expect_allocatable(m, top + PPS, PPS);
	assert_machine_valid(m);
	/* maxmem= is the end: a block beyond is refused. */
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(top + 8 * PPS), SECTION_BYTES), -PMM_E2BIG);
	assert_true(pmm_test_log_has(&log, "exceeds maximum addressable range"));
	assert_int_equal(pmm_offline_pages(m, top, 2 * PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(top), 2 * SECTION_BYTES), 0);
	assert_int_equal(pmm_max_pfn(m), top);
	assert_null(pmm_virt_to_page(m, m->mem + PFN_PHYS(top + 5)));
	counts_read(m, &after);
	counts_expect_equal("above the boot end and back", &before, &after);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

/*
 * Boot memory ending inside a section (1088 MiB: half of section 8), a
 * block added above it and removed again: max_pfn goes back to the end of
 * memory, not to the end of section 8 (memblock decides, as at boot).
 */
static void max_pfn_restored_after_remove_above_partial_section(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1088M maxmem=2G", NULL);
	unsigned long boot_end = (1088ul << 20) >> PAGE_SHIFT, spfn = 9 * PPS;

	(void)state;
	assert_int_equal(pmm_max_pfn(m), boot_end);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_max_pfn(m), spfn + PPS);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_max_pfn(m), boot_end);
	/* And a trip that went online too. */
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_max_pfn(m), boot_end);
	assert_null(pmm_virt_to_page(m, m->mem + PFN_PHYS(boot_end)));
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A hot-added block gets the fast free path as boot memory does: while it
 * is online its section's pageblock flags are in pmm_fast.section_pb, so a
 * free of one of its frames goes straight onto this CPU's list (not
 * counted free, first out again), and offline clears the entry first.
 */
static void hot_added_section_freed_by_fast_path(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G maxmem=2G cpus=1", NULL);
	unsigned long spfn = 8 * PPS, snr = pfn_to_section_nr(spfn), pfn = spfn + 4096;
	struct page *page;
	unsigned long free0;

	(void)state;
	assert_int_equal(pmm_set_thread_cpu(m, 0), 0);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_null(m->fast.section_pb[snr]);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_ptr_equal(m->fast.section_pb[snr], nr_to_section(m, snr)->usage->pageblock_flags);

	assert_int_equal(pmm_alloc_contig_range(m, pfn, pfn + 1, PMM_GFP_KERNEL), 0);
	page = pfn_to_page(m, pfn);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
#ifndef PMM_ASAN /* ASan builds take the full path always (poisoned frames) */
	assert_true(m->fast.free);
	/* The fast free takes it (the full path would have been the only one before). */
	assert_true(free_page_fast(m, page, 0, NULL));
#else
	pmm_free_pages(m, (struct pmm_page *)page, 0);
#endif
	/* On the per-CPU list: not free yet, and the next movable order-0 request gets it. */
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_ptr_equal(pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0), page);
	pmm_free_pages(m, (struct pmm_page *)page, 0);

	/* Offline still works (it drains the list) and takes the entry away first. */
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_null(m->fast.section_pb[snr]);
	assert_int_equal(pmm_nr_free_pages(m), free0 - (PPS - 1));
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_non_null(m->fast.section_pb[snr]);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_null(m->fast.section_pb[snr]);
	assert_machine_valid(m);
	pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
}

/*
 * memblock has 256 regions.  With all in use, removing the middle block of
 * a hot-added range would split its region in two: the removal is refused
 * whole (-PMM_E2BIG), where it used to go ahead and lose the record of the
 * memory above (max_pfn fell under a present block, which then could not
 * be onlined: "memory holes").  The edges go, which frees what the split
 * needs.
 */
static void remove_refused_when_memblock_cannot_split(void **state)
{
	struct pmm_test_log log = { 0 };
	char text[16384];
	size_t n = 0;
	struct pmm *m;
	unsigned long spfn = 16 * PPS;

	(void)state;
	/* 127 separate ranges of 8 MiB, 128 one-page holes inside them: 255 regions. */
	n += (size_t)snprintf(text + n, sizeof(text) - n, "maxmem=3G hole=0x200000+4K");
	for (unsigned long i = 0; i < 127; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " node=0:%#lx+8M hole=%#lx+4K",
				      i << 24, (i << 24) + (4ul << 20));
	assert_true(n < sizeof(text));
	m = pmm_test_machine(text, &log);
	assert_int_equal(m->memblock.memory.cnt, 255);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), 3 * SECTION_BYTES), 0);
	assert_int_equal(m->memblock.memory.cnt, 256);
	assert_int_equal(pmm_max_pfn(m), spfn + 3 * PPS);

	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn + PPS), SECTION_BYTES), -PMM_E2BIG);
	assert_true(pmm_test_log_has(&log, "removing memory fails, because memblock has no free region to split [0x0000000088000000-0x000000008fffffff] out of"));
	assert_int_equal(m->memblock.memory.cnt, 256);
	assert_int_equal(pmm_max_pfn(m), spfn + 3 * PPS);
	for (unsigned long p = spfn; p < spfn + 3 * PPS; p += PPS)
		assert_int_equal(pmm_memory_block_state(m, p), PMM_BLOCK_OFFLINE);
	assert_int_equal(pmm_online_pages(m, spfn + 2 * PPS, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_offline_pages(m, spfn + 2 * PPS, PPS), 0);

	/* From the top down no region splits. */
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn + 2 * PPS), SECTION_BYTES), 0);
	assert_int_equal(pmm_max_pfn(m), spfn + 2 * PPS);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn + PPS), SECTION_BYTES), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(m->memblock.memory.cnt, 255);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

static void altmap_sections(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G backend=memfd memmap=altmap", NULL);
	unsigned long spfn = 5 * PPS, hosted = m->nr_self_hosted;
	struct counts before, after;

	(void)state;
	assert_int_equal(section_vmemmap_pages(m, pfn_to_section_nr(spfn)), 512);
	counts_read(m, &before);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	counts_read(m, &after);
	/* All 32768 frames leave present pages; the 32256 beyond the memmap leave managed. */
	assert_int_equal(after.present[0][ZONE_DMA32], before.present[0][ZONE_DMA32] - PPS);
	assert_int_equal(after.managed, before.managed - (PPS - 512));
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(m->nr_self_hosted, hosted - 1);
	assert_false(pmm_pfn_valid(m, spfn));
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(m->nr_self_hosted, hosted);
	assert_int_equal(section_vmemmap_pages(m, pfn_to_section_nr(spfn)), 512);
	/* The struct pages are the section's own first frames. */
	assert_memory_equal(m->vmemmap + spfn, m->mem + PFN_PHYS(spfn), 4096);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	for (unsigned long pfn = spfn; pfn < spfn + 512; pfn++) {
		struct page *p = pfn_to_page(m, pfn);

		assert_true(PageReserved(p) && PageVmemmapSelfHosted(p));
	}
	assert_int_equal(get_pfnblock_migratetype(m, spfn), MIGRATE_UNMOVABLE);
	counts_read(m, &after);
	counts_expect_equal("altmap round trip", &before, &after);
	expect_allocatable(m, spfn + 1024, 4096);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ refusals */

static void bad_requests_refused(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=1G hole=0x10000000-0x100fffff", &log);
	struct counts before, after;

	(void)state;
	counts_read(m, &before);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(PPS) + 4096, SECTION_BYTES), -PMM_EINVAL);
	assert_true(pmm_test_log_has(&log, "Block size [0x8000000] unaligned hotplug range: start 0x8001000, size 0x8000000"));
	assert_int_equal(pmm_add_memory(m, 0, 0, 0), -PMM_EINVAL);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(PPS), SECTION_BYTES), -PMM_EEXIST);
	assert_int_equal(pmm_add_memory(m, 0, 1ull << 30, SECTION_BYTES), -PMM_E2BIG);
	assert_int_equal(pmm_add_memory(m, 3, 0, SECTION_BYTES), -PMM_EINVAL);
	assert_true(pmm_test_log_has(&log, "node 3 was absent from the node_possible_map"));
	/* A memoryless node (CPUs, no memory) is possible: refused, in pmm's own words. */
	{
		struct pmm_test_log l2 = { 0 };
		struct pmm *m2 = pmm_test_machine("node=0:0-0x7fffffff cpus=2 node_cpus=0:0 node_cpus=1:1 "
						  "maxmem=4G",
						  &l2);

		assert_int_equal(pmm_add_memory(m2, 1, 0x80000000ull, SECTION_BYTES), -PMM_EINVAL);
		assert_true(pmm_test_log_has(&l2, "pmm: node 1 had no memory at boot: memory cannot be added to it"));
		assert_false(pmm_test_log_has(&l2, "node_possible_map"));
		pmm_destroy(m2);
		free(l2.buf);
	}
	assert_int_equal(pmm_offline_pages(m, PPS + 1, PPS), -PMM_EINVAL);
	assert_int_equal(pmm_offline_pages(m, PPS, PPS / 2), -PMM_EINVAL);
	assert_int_equal(pmm_offline_pages(m, 8 * PPS, PPS), -PMM_EINVAL);
	assert_int_equal(pmm_online_pages(m, PPS, PPS, (enum pmm_online_type)9), -PMM_EINVAL);
	/* Section 2 has a hole; section 0 holds ZONE_DMA and the start of DMA32. */
	assert_int_equal(pmm_offline_pages(m, 2 * PPS, PPS), -PMM_EINVAL);
	assert_true(pmm_test_log_has(&log, "memory offlining [mem 0x10000000-0x17ffffff] failed due to memory holes"));
	assert_int_equal(pmm_offline_pages(m, 0, PPS), -PMM_EINVAL);
	assert_true(pmm_test_log_has(&log, "failed due to multizone range"));
	/* Partly offline ranges are refused whole. */
	assert_int_equal(pmm_offline_pages(m, 4 * PPS, PPS), 0);
	assert_int_equal(pmm_offline_pages(m, 4 * PPS, 2 * PPS), -PMM_EINVAL);
	assert_int_equal(pmm_online_pages(m, 3 * PPS, 2 * PPS, PMM_ONLINE), -PMM_EINVAL);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(4 * PPS), 2 * SECTION_BYTES), -PMM_EBUSY);
	assert_int_equal(pmm_memory_block_state(m, 4 * PPS), PMM_BLOCK_OFFLINE);
	assert_int_equal(pmm_online_pages(m, 4 * PPS, PPS, PMM_ONLINE), 0);
	assert_int_equal(pmm_memory_block_state(m, 1ul << 40), PMM_BLOCK_ABSENT);
	counts_read(m, &after);
	counts_expect_equal("refusals", &before, &after);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

/* maxmem=: a size, within x86-64's physical address bits, not below the memory. */
static void maxmem_refused(void **state)
{
	struct pmm_config c;
	char err[256];

	(void)state;
	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, "maxmem=0", 8, "<test>", err, sizeof(err)), -PMM_EINVAL);
	assert_string_equal(err, "<test>:1: bad size in 'maxmem=0'");
	assert_int_equal(pmm_config_parse(&c, "\nmaxmem=65T", 11, "<test>", err, sizeof(err)), -PMM_EINVAL);
	assert_string_equal(err, "<test>:2: maxmem beyond the 64 TiB physical address limit: 'maxmem=65T'");
	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, "mem=1G maxmem=512M", 18, "<test>", err, sizeof(err)), 0);
	pmm_test_expect_refused(&c, "maxmem=0x20000000 is below the end of memory 0x40000000");
	pmm_config_default(&c);
	c.mem_bytes = 1ull << 30;
	c.maxmem = 1ull << 47;
	pmm_test_expect_refused(&c, "maxmem=0x800000000000 is beyond the 64 TiB physical address limit");
	/* Boot memory has the same limit: node= ranges and mem=. */
	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, "node=0:0x400000000000-0x400007ffffff", 36, "<test>", err,
					  sizeof(err)),
			 0);
	pmm_test_expect_refused(&c, "node=0:0x400000000000-0x400007ffffff ends beyond the 64 TiB physical address limit");
	pmm_config_default(&c);
	c.mem_bytes = (64ull << 40) + (128ull << 20);
	pmm_test_expect_refused(&c, "mem=0x400008000000 is beyond the 64 TiB physical address limit");
}

/* A migrate callback lets a busy block go: the embedder moves the data. */
static int move_block(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct pmm_page **moved = ctx, *old = pmm_pfn_to_page(m, pfn);
	struct pmm_page *new = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, order);

	if (!new)
		return -PMM_ENOMEM;
	memcpy(pmm_page_address(m, new), pmm_page_address(m, old), PMM_PAGE_SIZE << order);
	pmm_free_pages(m, old, order);
	*moved = new;
	return 0;
}

static void offline_with_migrate_callback(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G cpus=1", NULL);
	struct pmm_mm_ops ops = { .migrate = move_block };
	struct pmm_page *moved = NULL, *p = NULL;
	unsigned long spfn;

	(void)state;
	pmm_set_mm_ops(m, &ops, &moved);
	while (!p || pmm_page_to_pfn(m, p) < 2 * PPS) {
		p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
		assert_non_null(p);
	}
	memset(pmm_page_address(m, p), 0x5a, PMM_PAGE_SIZE);
	spfn = ALIGN_DOWN(pmm_page_to_pfn(m, p), PPS);
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_non_null(moved);
	assert_true(pmm_page_to_pfn(m, moved) < spfn || pmm_page_to_pfn(m, moved) >= spfn + PPS);
	assert_int_equal(((unsigned char *)pmm_page_address(m, moved))[100], 0x5a);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A machine too small for mobility grouping gets it once hot-added memory
 * lifts it over the threshold (build_all_zonelists()), and the fast path's
 * gfp table follows: a movable request then takes the movable lists.
 */
static void mobility_grouping_follows_hotplug(void **state)
{
	struct pmm *m = pmm_test_machine("mem=8M maxmem=256M", NULL);
	unsigned long spfn = PPS; /* 128 MiB, above the boot memory */
	struct pmm_page *p;

	(void)state;
	assert_true(m->page_group_by_mobility_disabled);
	assert_int_equal(m->fast.gfp[PMM___GFP_MOVABLE] & 3, MIGRATE_UNMOVABLE);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), SECTION_BYTES), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_false(m->page_group_by_mobility_disabled);
	assert_int_equal(m->fast.gfp[PMM___GFP_MOVABLE] & 3, MIGRATE_MOVABLE);
	p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(p);
	pmm_free_pages(m, p, 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void check_dimm_online(struct pmm *m)
{
	assert_int_equal(pmm_memory_block_state(m, 0x48000), PMM_BLOCK_ONLINE);
	assert_int_equal(pmm_totalram_pages(m), 262144 + 65536);
	assert_machine_valid(m);
}

/*
 * hotplug=: a DIMM the kernel's ACPI driver adds once boot is done, left
 * offline or onlined block by block (each first block of a zone rebuilds
 * the zonelists, as the kernel logs it); maxmem= grows to cover it; a
 * range that is not whole blocks is refused with its token.
 */
static void boot_hotplug_token(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm_config c;
	char err[256];
	struct pmm *m;
	const char *bad = "hotplug=0:0x100000000-0x13fffffff:sideways";

	(void)state;
	m = pmm_test_machine("mem=2G hotplug=0:0x100000000-0x13fffffff", &log);
	assert_int_equal(pmm_memory_block_state(m, 0x100000), PMM_BLOCK_OFFLINE);
	assert_int_equal(pmm_memory_block_state(m, 0x13ffff), PMM_BLOCK_OFFLINE);
	assert_int_equal(pmm_totalram_pages(m), 524288);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	m = pmm_test_machine("mem=2G hotplug=0:0x100000000-0x13fffffff:online", &log);
	assert_int_equal(pmm_memory_block_state(m, 0x100000), PMM_BLOCK_ONLINE);
	assert_int_equal(pmm_memory_block_state(m, 0x13ffff), PMM_BLOCK_ONLINE);
	assert_int_equal(pmm_totalram_pages(m), 524288 + 262144);
	assert_int_equal(m->node_data[0]->node_zones[ZONE_NORMAL].present_pages, 262144);
	/* The zonelists were rebuilt once, when the first block populated Normal. */
	assert_true(pmm_test_log_has(&log, "Policy zone: Normal\n"));
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);

	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, bad, strlen(bad), "t.conf", err, sizeof(err)),
			 -PMM_EINVAL);
	assert_non_null(strstr(err, "t.conf:1: hotplug= state must be"));
	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, "mem=2G hotplug=0:0x100000000-0x103ffffff", 40,
					  "t.conf", err, sizeof(err)),
			 0);
	pmm_test_expect_refused(&c, "pmm: hotplug=0:0x100000000-0x103ffffff");
	/* Each platform failure while adding and onlining at boot: a clean failure or the whole DIMM. */
	assert_true(pmm_test_boot_sweep("mem=1G page_owner=on hotplug=0:0x40000000-0x4fffffff:online",
					check_dimm_online) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offline_online_free_section),
		cmocka_unit_test(offline_edge_section_shrinks_span),
		cmocka_unit_test(offline_refused_while_page_held),
		cmocka_unit_test(remove_releases_memmap_and_add_restores),
		cmocka_unit_test(page_ext_reader_survives_remove),
		cmocka_unit_test(fault_sweep_add_online),
		cmocka_unit_test(two_nodes_movable_and_maxmem),
		cmocka_unit_test(max_pfn_restored_after_remove_above_partial_section),
		cmocka_unit_test(hot_added_section_freed_by_fast_path),
		cmocka_unit_test(remove_refused_when_memblock_cannot_split),
		cmocka_unit_test(altmap_sections),
		cmocka_unit_test(bad_requests_refused),
		cmocka_unit_test(maxmem_refused),
		cmocka_unit_test(offline_with_migrate_callback),
		cmocka_unit_test(mobility_grouping_follows_hotplug),
		cmocka_unit_test(boot_hotplug_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
