// SPDX-License-Identifier: MIT
/*
 * Free page reporting (src/mm/page_reporting.c) against threads: frees that
 * ask for a pass, passes run by pmm_page_reporting_run() and by the frees
 * themselves, and a reporter registered and unregistered at the same time.
 * The reporter's state must outlive every thread that found it, and two
 * registrations at once must end with one reporter and one -PMM_EBUSY.
 * A pass asked for runs on a free two seconds later, not before, on any
 * thread's clock.
 * Run under ThreadSanitizer by ./dev test (and under ASan, which sees a use
 * of a freed reporter).
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_unregister_race),
		cmocka_unit_test(test_pass_waits_delay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
