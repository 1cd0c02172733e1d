// SPDX-License-Identifier: MIT
/*
 * Free page reporting (src/mm/page_reporting.c) against threads: frees that
 * ask for a pass, passes run by pmm_page_reporting_run() and by the frees
 * themselves, and a reporter registered and unregistered at the same time.
 * The reporter's state must outlive every thread that found it, and two
 * registrations at once must end with one reporter and one -PMM_EBUSY.
 * A pass asked for runs on a free two seconds later, not before, on any
 * thread's clock.  Then a pass as Linux 6.1 makes it: a request made while
 * a pass runs is kept, a list's budget ends a pass that asks for the
 * next, reported pageblocks become movable, lower zones are not held to
 * the movable zone's reserve; frees past the per-CPU lists run due passes,
 * and memory offline waits for a pass that holds blocks of its range.
 * Run under ThreadSanitizer by ./dev test (and under ASan, which sees a use
 * of a freed reporter).
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <pmm/hotplug.h>
#include "mm/internal.h"
#include "mm/page_alloc.h"

#define ROUNDS 300

struct race {
	struct pmm *m;
	atomic_int stop;
	atomic_ulong reported;  /* frames handed to count_report() */
	atomic_ulong passes;    /* pmm_page_reporting_run() calls */
	atomic_ulong busy;      /* -PMM_EBUSY from a registration */
};

static int count_report(void *ctx, const struct pmm_reported_block *blocks, unsigned n)
{
	struct race *r = ctx;

	for (unsigned i = 0; i < n; i++)
		atomic_fetch_add(&r->reported, 1ul << blocks[i].order);
	return 0;
}

/* Frees of pageblock-order blocks (each asks for a pass), and passes run by hand. */
static void *freer(void *arg)
{
	struct race *r = arg;
	unsigned long i = 0;

	while (!atomic_load(&r->stop)) {
		struct pmm_page *p = pmm_alloc_pages(r->m, PMM_GFP_KERNEL, 9);

		if (p)
			pmm_free_pages(r->m, p, 9);
		if (++i % 8 == 0) {
			pmm_page_reporting_run(r->m);
			(void)pmm_page_reporting_reported(r->m);
			atomic_fetch_add(&r->passes, 1);
		}
	}
	return NULL;
}

/* Register and unregister, racing the freer and another registrar. */
static void *registrar(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < ROUNDS; i++) {
		int err = pmm_page_reporting_register(r->m, 0, count_report, r);

		if (err == -PMM_EBUSY) {
			atomic_fetch_add(&r->busy, 1);
			continue;
		}
		assert_int_equal(err, 0);
		pmm_page_reporting_run(r->m);
		pmm_page_reporting_unregister(r->m);
	}
	return NULL;
}

static void test_register_unregister_race(void **state)
{
	struct race r = { .m = pmm_test_machine("mem=1G cpus=2", NULL) };
	pthread_t f[2], g[2];
	unsigned long free0;

	(void)state;
	pmm_drain_all(r.m);
	free0 = pmm_nr_free_pages(r.m);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&f[i], NULL, freer, &r), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&g[i], NULL, registrar, &r), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(g[i], NULL);
	atomic_store(&r.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(f[i], NULL);
	print_message("reporting race: %lu frames reported, %lu passes by hand, %lu busy registrations\n",
		      atomic_load(&r.reported), atomic_load(&r.passes), atomic_load(&r.busy));
	assert_true(atomic_load(&r.reported) > 0);
	/* Every registration ended in an unregistration: none is left. */
	assert_int_equal(pmm_page_reporting_run(r.m), 0);
	assert_int_equal(pmm_page_reporting_reported(r.m), 0);
	pmm_drain_all(r.m);
	assert_int_equal(pmm_nr_free_pages(r.m), free0);
	assert_int_equal(pmm_bad_page_count(r.m), 0);
	assert_machine_valid(r.m);
	pmm_destroy(r.m);
}

/*
 * The machine's clock for test_pass_waits_delay(): one time for all
 * threads, and a per-thread skew, as two threads' cheap clock readings
 * may lie a few microseconds apart.
 */
static _Atomic uint64_t fake_now;
static __thread int64_t fake_skew;

static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return atomic_load(&fake_now) + (uint64_t)fake_skew;
}

struct skewed_free {
	struct pmm *m;
	struct pmm_page *p;
};

/* Free a block from a thread whose clock is a microsecond behind. */
static void *free_behind(void *arg)
{
	struct skewed_free *sf = arg;

	fake_skew = -1000;
	pmm_free_pages(sf->m, sf->p, 10);
	return NULL;
}

/* Free an order-10 block: not a per-CPU order, so the free itself may run a pass. */
static void alloc_free_10(struct pmm *m)
{
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10);

	assert_non_null(p);
	pmm_free_pages(m, p, 10);
}

/*
 * A free that leaves a reportable block asks for a pass, and a free runs it
 * PAGE_REPORTING_DELAY (2 s) after the request, not before, whichever
 * thread frees and even if its clock reads a little behind the request's.
 */
static void test_pass_waits_delay(void **state)
{
	struct pmm_platform plat = *pmm_platform_posix();
	struct race r = { 0 };
	struct skewed_free sf;
	unsigned long after_first;
	uint64_t t;
	pthread_t th;

	(void)state;
	plat.clock_ns = fake_clock;
	atomic_store(&fake_now, 100 * 1000000000ull);
	r.m = pmm_test_machine_on("mem=256M cpus=2", &plat, NULL);
	assert_int_equal(pmm_page_reporting_register(r.m, 0, count_report, &r), 0);
	/* Registering asks for a pass "long ago": the next free runs it. */
	alloc_free_10(r.m);
	after_first = atomic_load(&r.reported);
	assert_true(after_first > 0);

	/* Take a block: the next free of it asks again, at t. */
	atomic_fetch_add(&fake_now, 5 * 1000000000ull);
	t = atomic_load(&fake_now);
	sf = (struct skewed_free){ .m = r.m, .p = pmm_alloc_pages(r.m, PMM_GFP_KERNEL, 10) };
	assert_non_null(sf.p);
	alloc_free_10(r.m);
	assert_int_equal(atomic_load(&r.reported), after_first);
	/* Another thread's free, its clock 1 us behind t: still too early. */
	assert_int_equal(pthread_create(&th, NULL, free_behind, &sf), 0);
	pthread_join(th, NULL);
	assert_int_equal(atomic_load(&r.reported), after_first);
	atomic_store(&fake_now, t + 1999999999ull);
	alloc_free_10(r.m);
	assert_int_equal(atomic_load(&r.reported), after_first);
	/* Two seconds after the request: this free reports the new blocks. */
	atomic_store(&fake_now, t + 2000000000ull);
	alloc_free_10(r.m);
	assert_true(atomic_load(&r.reported) > after_first);
	assert_int_equal(pmm_bad_page_count(r.m), 0);
	pmm_page_reporting_unregister(r.m);
	assert_machine_valid(r.m);
	pmm_destroy(r.m);
}

/* A callback that counts calls and pages, and can be told to run a hook once. */
struct counting {
	struct pmm *m;
	atomic_ulong calls, pages, dma32_pages;
	void (*hook)(struct counting *c, const struct pmm_reported_block *blocks, unsigned n);
	struct pmm_page *held;
	unsigned long lo, hi;   /* the hook's range */
	atomic_int in_hook;
};

static int counting_report(void *ctx, const struct pmm_reported_block *blocks, unsigned n)
{
	struct counting *c = ctx;

	atomic_fetch_add(&c->calls, 1);
	for (unsigned i = 0; i < n; i++) {
		atomic_fetch_add(&c->pages, 1ul << blocks[i].order);
		if (blocks[i].pfn < (4ul << 30) / PMM_PAGE_SIZE)
			atomic_fetch_add(&c->dma32_pages, 1ul << blocks[i].order);
	}
	if (c->hook)
		c->hook(c, blocks, n);
	return 0;
}

static void *free_held(void *arg)
{
	struct counting *c = arg;

	pmm_free_pages(c->m, c->held, 10);
	return NULL;
}

/* Another thread frees the held order-10 block while the pass is in the callback. */
static void hook_free_held(struct counting *c, const struct pmm_reported_block *blocks, unsigned n)
{
	pthread_t th;

	(void)blocks;
	(void)n;
	c->hook = NULL;
	assert_int_equal(pthread_create(&th, NULL, free_held, c), 0);
	pthread_join(th, NULL);
}

/*
 * A free that asks for reporting while a pass runs is not lost: the pass
 * ends asking for the next, due two seconds after it ended (6.1's
 * __page_reporting_request() swaps in REQUESTED from ACTIVE, and the work
 * queues itself again).  Before, the request was dropped and the pass
 * went idle; the next free then only asked, and the block freed during
 * the pass waited for yet another free.
 */
static void test_request_during_pass(void **state)
{
	struct pmm_platform plat = *pmm_platform_posix();
	struct counting c = { 0 };
	unsigned long calls;

	(void)state;
	plat.clock_ns = fake_clock;
	atomic_store(&fake_now, 100 * 1000000000ull);
	c.m = pmm_test_machine_on("mem=256M cpus=1", &plat, NULL);
	c.held = pmm_alloc_pages(c.m, PMM_GFP_KERNEL, 10);
	assert_non_null(c.held);
	assert_int_equal(pmm_page_reporting_register(c.m, 0, counting_report, &c), 0);
	c.hook = hook_free_held;
	assert_true(pmm_page_reporting_run(c.m) > 0);
	assert_null(c.hook);
	calls = atomic_load(&c.calls);
	/* Two seconds after that pass, a free runs the pass the request asked for. */
	atomic_fetch_add(&fake_now, 2 * 1000000000ull);
	alloc_free_10(c.m);
	assert_true(atomic_load(&c.calls) > calls);
	/* And reporting went idle: no pass is due two seconds later. */
	calls = atomic_load(&c.calls);
	atomic_fetch_add(&fake_now, 2 * 1000000000ull);
	pmm_free_pages(c.m, pmm_alloc_pages(c.m, PMM_GFP_KERNEL, 0), 0);
	assert_int_equal(atomic_load(&c.calls), calls);
	pmm_page_reporting_unregister(c.m);
	assert_int_equal(pmm_bad_page_count(c.m), 0);
	assert_machine_valid(c.m);
	pmm_destroy(c.m);
}

/*
 * Frees that stay on the per-CPU lists but drain them past their high
 * mark (the leaf path) put merged blocks back in the buddy lists and run
 * a pass that is due; before, only the full path and the bulk free did.
 */
static void test_per_cpu_drains_run_pass(void **state)
{
	struct pmm_platform plat = *pmm_platform_posix();
	struct counting c = { 0 };
	static struct pmm_page *p[8192];
	unsigned long calls;

	(void)state;
	plat.clock_ns = fake_clock;
	atomic_store(&fake_now, 100 * 1000000000ull);
	c.m = pmm_test_machine_on("mem=256M cpus=1", &plat, NULL);
	assert_int_equal(pmm_page_reporting_register(c.m, 0, counting_report, &c), 0);
	assert_true(pmm_page_reporting_run(c.m) > 0);
	/* Order-0 frees past high: drains merge order-9 and -10 blocks, which asks. */
	for (int i = 0; i < 8192; i++)
		assert_non_null(p[i] = pmm_alloc_pages(c.m, PMM_GFP_HIGHUSER_MOVABLE, 0));
	for (int i = 0; i < 8192; i++)
		pmm_free_pages(c.m, p[i], 0);
	calls = atomic_load(&c.calls);
	atomic_fetch_add(&fake_now, 3 * 1000000000ull);
	for (int i = 0; i < 8192; i++)
		assert_non_null(p[i] = pmm_alloc_pages(c.m, PMM_GFP_HIGHUSER_MOVABLE, 0));
	for (int i = 0; i < 8192; i++)
		pmm_free_pages(c.m, p[i], 0);
	assert_true(atomic_load(&c.calls) > calls);
	pmm_page_reporting_unregister(c.m);
	assert_int_equal(pmm_bad_page_count(c.m), 0);
	assert_machine_valid(c.m);
	pmm_destroy(c.m);
}

/*
 * Free pages in blocks of at least @order, over every zone that a pass
 * reports: free above its low mark by a batch of @order.
 */
static unsigned long free_in_orders_from(struct pmm *m, unsigned order)
{
	unsigned long n = 0;
	int nid;

	pmm_drain_all(m);
	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			if ((unsigned long)zone_page_state(zone, NR_FREE_PAGES) <=
			    low_wmark_pages(zone) + (32ul << order))
				continue;
			pmm_lock(&zone->lock);
			for (unsigned o = order; o < MAX_ORDER; o++)
				n += zone->free_area[o].nr_free << o;
			pmm_unlock(&zone->lock);
		}
	return n;
}

/*
 * A pass takes at most DIV_ROUND_UP(nr_free, 512) + 1 reports from a list
 * (page_reporting_cycle()'s budget) and then asks for another pass: a
 * 4 GiB machine is reported over several passes, and all of it in the
 * end, each block once (but ZONE_DMA, too small to keep a batch above its
 * low mark).
 */
static void test_pass_budget(void **state)
{
	struct pmm_platform plat = *pmm_platform_posix();
	struct counting c = { 0 };
	unsigned long first, total, reportable, calls;
	int passes = 1;

	(void)state;
	plat.clock_ns = fake_clock;
	atomic_store(&fake_now, 100 * 1000000000ull);
	c.m = pmm_test_machine_on("mem=4G cpus=1", &plat, NULL);
	reportable = free_in_orders_from(c.m, pageblock_order);
	assert_int_equal(pmm_page_reporting_register(c.m, 0, counting_report, &c), 0);
	first = total = pmm_page_reporting_run(c.m);
	print_message("budget: first pass %lu of %lu pages\n", first, reportable);
	assert_true(first > 0 && first < reportable);
	/* The budget asked for the next pass: a free two seconds later runs it. */
	calls = atomic_load(&c.calls);
	atomic_fetch_add(&fake_now, 2 * 1000000000ull);
	alloc_free_10(c.m);
	assert_true(atomic_load(&c.calls) > calls);
	total = atomic_load(&c.pages);
	for (unsigned long n; passes < 100 && (n = pmm_page_reporting_run(c.m)); passes++)
		total += n;
	print_message("budget: %d passes, %lu pages\n", passes, total);
	assert_true(passes < 100);
	assert_int_equal(total, atomic_load(&c.pages));
	assert_int_equal(pmm_page_reporting_reported(c.m), total);
	/* Every reportable block once; the order-10 block taken and freed above changes nothing. */
	assert_int_equal(total, reportable);
	pmm_page_reporting_unregister(c.m);
	assert_machine_valid(c.m);
	pmm_destroy(c.m);
}

/*
 * Reporting a block of at least half a pageblock makes its pageblocks
 * MOVABLE, as 6.1's __isolate_free_page() does for those that can merge.
 * Unmovable allocations steal pageblocks; freed, those are free whole.
 */
static void test_reported_pageblocks_movable(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct counting c = { 0 };
	static struct pmm_page *p[4096];
	unsigned long pfn, start, end, unmovable = 0;
	struct zone *zone;

	(void)state;
	for (int i = 0; i < 4096; i++)
		assert_non_null(p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0));
	for (int i = 0; i < 4096; i++)
		pmm_free_pages(m, p[i], 0);
	pmm_drain_all(m);
	zone = page_zone(m, (struct page *)p[0]);
	start = zone->zone_start_pfn;
	end = zone_end_pfn(zone);
	for (pfn = start; pfn < end; pfn += pageblock_nr_pages)
		unmovable += get_pfnblock_migratetype(m, pfn) == MIGRATE_UNMOVABLE;
	assert_true(unmovable > 0);
	assert_int_equal(pmm_page_reporting_register(m, 0, counting_report, &c), 0);
	while (pmm_page_reporting_run(m))
		;
	/* Every pageblock of a free block of order >= 8 left unmovable was not reported. */
	pmm_lock(&zone->lock);
	for (pfn = start; pfn < end; pfn += pageblock_nr_pages) {
		struct page *page = pfn_to_page(m, pfn);

		if (PageBuddy(page) && buddy_order(page) >= pageblock_order - 1)
			assert_int_not_equal(get_pfnblock_migratetype(m, pfn), MIGRATE_UNMOVABLE);
	}
	pmm_unlock(&zone->lock);
	pmm_page_reporting_unregister(m);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A zone is reported while it stays above its low mark by a full batch
 * (6.1 checks it for an allocation of class zone 0): DMA32 is not held to
 * the lowmem reserve it keeps against allocations for the zones above it.
 */
static void test_lower_zone_reported(void **state)
{
	struct pmm *m = pmm_test_machine("mem=8G cpus=1", NULL);
	static struct pmm_page *blk[8192];
	struct counting c = { 0 };
	struct zone *dma32 = &m->node_data[0]->node_zones[ZONE_DMA32];
	unsigned long target;
	int n = 0;

	(void)state;
	assert_true(dma32->lowmem_reserve[ZONE_MOVABLE] > 2048);
	while ((blk[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM_GFP_DMA32 | PMM___GFP_NOWARN |
						    PMM___GFP_NORETRY, 9)))
		n++;
	/* Free above low + a batch of order 9, but under that plus the reserve. */
	target = low_wmark_pages(dma32) + (32ul << 9) + 1024;
	assert_true(target + 1024 < low_wmark_pages(dma32) + (32ul << 9) +
					  (unsigned long)dma32->lowmem_reserve[ZONE_MOVABLE]);
	pmm_drain_all(m);
	while ((unsigned long)zone_page_state(dma32, NR_FREE_PAGES) < target && n)
		pmm_free_pages(m, blk[--n], 9);
	pmm_drain_all(m);
	assert_int_equal(pmm_page_reporting_register(m, 0, counting_report, &c), 0);
	pmm_page_reporting_run(m);
	assert_true(atomic_load(&c.dma32_pages) > 0);
	pmm_page_reporting_unregister(m);
	while (n)
		pmm_free_pages(m, blk[--n], 9);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* The callback holds a block of the last memory block for a while. */
static void hook_hold(struct counting *c, const struct pmm_reported_block *blocks, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (blocks[i].pfn >= c->lo && blocks[i].pfn < c->hi) {
			c->hook = NULL;
			atomic_store(&c->in_hook, 1);
			usleep(300 * 1000);
			atomic_store(&c->in_hook, 2);
			return;
		}
}

static void *run_passes(void *arg)
{
	struct counting *c = arg;

	for (int i = 0; i < 1000 && c->hook; i++)
		pmm_page_reporting_run(c->m);
	return NULL;
}

/*
 * Memory offline waits for a pass that holds free blocks of its range
 * off the lists (6.1's offline_pages() retries until they are back);
 * before, its retries ran out at once and it failed with -EBUSY.
 */
static void test_offline_waits_for_pass(void **state)
{
	struct counting c = { 0 };
	unsigned long free0;
	pthread_t th;

	(void)state;
	c.m = pmm_test_machine("mem=1G dma=0 cpus=2", NULL);
	c.lo = 7 * PMM_PAGES_PER_MEMORY_BLOCK;
	c.hi = c.lo + PMM_PAGES_PER_MEMORY_BLOCK;
	c.hook = hook_hold;
	pmm_drain_all(c.m);
	free0 = pmm_nr_free_pages(c.m);
	assert_int_equal(pmm_page_reporting_register(c.m, 0, counting_report, &c), 0);
	assert_int_equal(pthread_create(&th, NULL, run_passes, &c), 0);
	while (!atomic_load(&c.in_hook))
		usleep(100);
	assert_int_equal(pmm_offline_pages(c.m, c.lo, PMM_PAGES_PER_MEMORY_BLOCK), 0);
	assert_int_equal(atomic_load(&c.in_hook), 2);
	pthread_join(th, NULL);
	assert_int_equal(pmm_online_pages(c.m, c.lo, PMM_PAGES_PER_MEMORY_BLOCK, PMM_ONLINE), 0);
	pmm_page_reporting_unregister(c.m);
	pmm_drain_all(c.m);
	assert_int_equal(pmm_nr_free_pages(c.m), free0);
	assert_int_equal(pmm_bad_page_count(c.m), 0);
	assert_machine_valid(c.m);
	pmm_destroy(c.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_unregister_race),
		cmocka_unit_test(test_pass_waits_delay),
		cmocka_unit_test(test_request_during_pass),
		cmocka_unit_test(test_per_cpu_drains_run_pass),
		cmocka_unit_test(test_pass_budget),
		cmocka_unit_test(test_reported_pageblocks_movable),
		cmocka_unit_test(test_lower_zone_reported),
		cmocka_unit_test(test_offline_waits_for_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
