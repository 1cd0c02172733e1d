// SPDX-License-Identifier: MIT
/*
 * Readers beside writers: threads allocate, touch and free at mixed orders
 * (plain and compound blocks) on a page_owner machine while others read everything the API lets any
 * thread read at any time: the seven /proc and debugfs reports, node 0's
 * sysfs meminfo, numastat and vmstat, the
 * page_owner file and show_stacks, the idle page bitmap (written and read),
 * the free blocks by order, the counters and pmm_validate(); one more
 * thread starts and stops reclaim on the node.  Each reading must be whole
 * (a report parses as its first line says), and afterwards every page is
 * back and the machine is valid.  Run under ThreadSanitizer by ./dev test,
 * which is where a read without its lock shows up.
 *
 * PMM_STRESS_OPS scales the writers' operations (default 20000 each).
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <pmm/page_idle.h>
#include <pmm/page_owner.h>
#include <pmm/replay.h>
#include <pmm/report.h>

#define NR_WRITERS 3
#define HELD 48

struct shared {
	struct pmm *m;
	unsigned long ops;
	atomic_int writers_left;
	atomic_ulong reads;
	atomic_int failed;
	char why[256];
};

static void fail_once(struct shared *s, const char *what)
{
	int no = 0;

	if (atomic_compare_exchange_strong(&s->failed, &no, 1))
		snprintf(s->why, sizeof(s->why), "%s", what);
}

static void *writer(void *arg)
{
	struct shared *s = arg;
	struct pmm_page *held[HELD] = { 0 };
	unsigned orders[HELD] = { 0 };
	uint64_t x = (uint64_t)(uintptr_t)&held | 1;

	for (unsigned long i = 0; i < s->ops; i++) {
		unsigned slot, order;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		slot = (unsigned)(x % HELD);
		if (held[slot]) {
			pmm_free_pages(s->m, held[slot], orders[slot]);
			held[slot] = NULL;
		}
		order = (unsigned)(x >> 32) % 16;
		order = order < 12 ? order % 4 : order == 15 ? 9 : 0;
		/* Some compound: a reader may pin a block its allocation is still building. */
		held[slot] = pmm_alloc_pages(s->m,
					     PMM_GFP_KERNEL | PMM___GFP_NOWARN |
						     (order && (x >> 40) % 2 ? PMM___GFP_COMP : 0),
					     order);
		orders[slot] = order;
		if (held[slot]) {
			memset(pmm_page_address(s->m, held[slot]), (int)i, 64);
			if (i % 4 == 0)
				pmm_page_mark_accessed(s->m, held[slot]);
		}
	}
	for (unsigned i = 0; i < HELD; i++)
		if (held[i])
			pmm_free_pages(s->m, held[i], orders[i]);
	atomic_fetch_sub(&s->writers_left, 1);
	return NULL;
}

/* The reports, whole: each starts as the kernel's does. */
static void *report_reader(void *arg)
{
	struct shared *s = arg;
	static const char *const starts[PMM_REPORT_NR] = {
		[PMM_REPORT_BUDDYINFO] = "Node 0, zone",
		[PMM_REPORT_PAGETYPEINFO] = "Page block order:",
		[PMM_REPORT_ZONEINFO] = "Node 0, zone",
		[PMM_REPORT_VMSTAT] = "nr_free_pages ",
		[PMM_REPORT_EXTFRAG_INDEX] = "Node 0, zone",
		[PMM_REPORT_UNUSABLE_INDEX] = "Node 0, zone",
		[PMM_REPORT_MEMINFO] = "MemTotal: ",
	};
	size_t cap = 1 << 20;
	char *buf = malloc(cap);

	assert_non_null(buf);
	while (atomic_load(&s->writers_left) > 0) {
		for (int r = 0; r < PMM_REPORT_NR; r++) {
			long n = pmm_report_snprint(s->m, (enum pmm_report)r, buf, cap);

			if (!starts[r])
				fail_once(s, "a report this test does not know: give its first line");
			else if (n <= 0 || (size_t)n >= cap)
				fail_once(s, "a report failed or did not fit");
			else if (strncmp(buf, starts[r], strlen(starts[r])) != 0)
				fail_once(s, "a report does not start as the kernel's");
			atomic_fetch_add(&s->reads, 1);
		}
		/* and each node's sysfs files */
		for (int w = 0; w < PMM_NODE_REPORT_NR; w++) {
			FILE *f = fmemopen(buf, cap, "w");

			if (!f || pmm_report_node_write(s->m, 0, (enum pmm_node_report)w, f))
				fail_once(s, "a node's file failed");
			if (f)
				fclose(f);
			atomic_fetch_add(&s->reads, 1);
		}
	}
	free(buf);
	return NULL;
}

/* page_owner's file, show_stacks, and the free blocks by order. */
static void *owner_reader(void *arg)
{
	struct shared *s = arg;
	FILE *null = fopen("/dev/null", "w");
	char rec[8192];

	assert_non_null(null);
	while (atomic_load(&s->writers_left) > 0) {
		unsigned long pos = 0;
		struct pmm_replay_zone_free zones[8];
		int records = 0;
		long n;

		while (records < 2000 && (n = pmm_page_owner_read(s->m, rec, sizeof(rec), &pos,
								  PMM_KVER_6_1)) > 0) {
			if (strncmp(rec, "Page allocated via order ", 25) != 0)
				fail_once(s, "a page_owner record does not start as the kernel's");
			records++;
		}
		if (n < 0)
			fail_once(s, "pmm_page_owner_read failed");
		if (pmm_page_owner_show_stacks(s->m, null, 1))
			fail_once(s, "show_stacks failed");
		if (pmm_zone_free_blocks(s->m, zones, 8) < 1)
			fail_once(s, "no zone");
		atomic_fetch_add(&s->reads, 1);
	}
	fclose(null);
	return NULL;
}

/* Idle tracking, counters, validation and the reclaim state of the node. */
static void *misc_reader(void *arg)
{
	struct shared *s = arg;
	uint64_t bits[512];
	unsigned long round = 0;
	char msg[256];

	while (atomic_load(&s->writers_left) > 0) {
		unsigned long pfn = (round * 64 * 512) % (pmm_max_pfn(s->m) & ~63ul);

		memset(bits, 0xff, sizeof(bits));
		if (pmm_page_idle_write(s->m, pfn, bits, 512) < 0 ||
		    pmm_page_idle_read(s->m, pfn, bits, 512) < 0)
			fail_once(s, "page_idle refused an aligned range");
		if (pmm_nr_free_pages(s->m) > pmm_totalram_pages(s->m))
			fail_once(s, "more free pages than managed ones");
		if (pmm_set_reclaim_active(s->m, 0, 2, round & 1))
			fail_once(s, "pmm_set_reclaim_active refused node 0");
		if (round % 16 == 0 && pmm_validate(s->m, msg, sizeof(msg)))
			fail_once(s, msg);
		round++;
		atomic_fetch_add(&s->reads, 1);
	}
	pmm_set_reclaim_active(s->m, 0, 2, false);
	return NULL;
}

static void test_readers_beside_writers(void **state)
{
	const char *ops = getenv("PMM_STRESS_OPS");
	struct shared s = { .m = pmm_test_machine("mem=512M cpus=2 page_owner=on", NULL) };
	pthread_t w[NR_WRITERS], r[3];
	unsigned long free0;

	(void)state;
	s.ops = ops && *ops ? strtoul(ops, NULL, 0) / 3 : 20000;
	atomic_store(&s.writers_left, NR_WRITERS);
	pmm_drain_all(s.m);
	free0 = pmm_nr_free_pages(s.m);
	for (int i = 0; i < NR_WRITERS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, writer, &s), 0);
	assert_int_equal(pthread_create(&r[0], NULL, report_reader, &s), 0);
	assert_int_equal(pthread_create(&r[1], NULL, owner_reader, &s), 0);
	assert_int_equal(pthread_create(&r[2], NULL, misc_reader, &s), 0);
	for (int i = 0; i < NR_WRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	print_message("stress: readers: %lu ops by %d writers, %lu readings\n",
		      s.ops * NR_WRITERS, NR_WRITERS, atomic_load(&s.reads));
	if (atomic_load(&s.failed))
		fail_msg("%s", s.why);
	pmm_drain_all(s.m);
	assert_int_equal(pmm_nr_free_pages(s.m), free0);
	assert_int_equal(pmm_bad_page_count(s.m), 0);
	assert_machine_valid(s.m);
	pmm_destroy(s.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readers_beside_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
