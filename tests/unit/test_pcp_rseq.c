// SPDX-License-Identifier: MIT
/*
 * Restartable per-CPU locks (platform/cpu.h, mm/pcp.h): the rseq primitive
 * itself, the protocol between a thread on the CPU (plain store inside a
 * restartable sequence) and any other taker (compare-and-swap, membarrier
 * fence, recheck), and the allocator running on both at once with drains
 * and pinned threads racing the per-CPU fast paths.
 *
 * Where the host has no rseq, membarrier or x86-64, the primitive tests
 * print SKIP and the concurrent test still runs on compare-and-swap locks.
 * Under ThreadSanitizer the sequences run too (platform/cpu.h tells TSan
 * of each taken lock), so TSan checks the lists against both kinds of
 * taker.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/pcp.h"
#include "platform/cpu.h"

static bool have_rseq_locks(void)
{
	return PMM_HAVE_RSEQ_LOCK && pmm_cpu_rseq() >= 0 && pmm_cpu_fence_register();
}

/* The primitive: on this CPU it takes a free word, refuses a held one, and never writes otherwise. */
static void test_rseq_trylock_primitive(void **state)
{
	(void)state;
	if (!have_rseq_locks()) {
		print_message("SKIP: no restartable per-CPU locks here (rseq, membarrier or x86-64 missing)\n");
		return;
	}
#if PMM_HAVE_RSEQ_LOCK
	unsigned long word = 0;
	int taken = -1, tries = 0;

	/* A migration between reading the CPU and the sequence gives -1: read again. */
	while (taken < 0 && tries++ < 1000)
		taken = pmm_rseq_trylock_cpu(pmm_rseq_area(), &word, (unsigned)pmm_cpu_rseq());
	assert_int_equal(taken, 1);
	assert_int_equal(word, PMM_RSEQ_LOCKED);

	/* Held: 0 and the word is untouched (a remote holder's tag survives too). */
	word = 0xabc0;
	taken = -1;
	tries = 0;
	while (taken < 0 && tries++ < 1000)
		taken = pmm_rseq_trylock_cpu(pmm_rseq_area(), &word, (unsigned)pmm_cpu_rseq());
	assert_int_equal(taken, 0);
	assert_int_equal(word, 0xabc0);

	/* Not on that CPU: -1 and nothing written. */
	word = 0;
	assert_int_equal(pmm_rseq_trylock_cpu(pmm_rseq_area(), &word, 0xffffu), -1);
	assert_int_equal(word, 0);
#endif
}

/* Two frees of one order-0 page: the first frees it, the second is a reported double free. */
static void free_twice(struct pmm *m, const char *mode)
{
	unsigned long free0, bad0 = pmm_bad_page_count(m);
	struct pmm_page *p;

	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_non_null(p);
	pmm_free_pages(m, p, 0);
	assert_int_equal(pmm_bad_page_count(m), bad0);
	assert_int_equal(page_ref_count((struct page *)p), 0);
	pmm_free_pages(m, p, 0);
	if (pmm_bad_page_count(m) != bad0 + 1)
		fail_msg("%s: the second free was not reported (%lu reports)", mode,
			 pmm_bad_page_count(m) - bad0);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_machine_valid(m);
}

static void *no_op(void *arg)
{
	return arg;
}

/*
 * The fast frees' refcount drop (pmm_refcount_drop_one()): only 1 -> 0,
 * nothing written otherwise; unlocked while the process has one thread and
 * locked once a second thread was created, and in both modes a second free
 * of the same page is reported.  Runs first: no thread exists yet.
 */
static void test_refcount_drop_modes(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	static const int from[] = { 1, 0, 2, -1, INT32_MAX };
	pthread_t t;

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
			int ref = from[i];

			assert_int_equal(pmm_refcount_drop_one(&ref), from[i] == 1);
			assert_int_equal(ref, from[i] == 1 ? 0 : from[i]);
		}
#if PMM_HAVE_SINGLE_THREADED
		/* The mode is the one this pass means to test. */
		assert_int_equal(__libc_single_threaded != 0, mode == 0);
#else
		if (mode == 0)
			print_message("SKIP: no single-threaded hint here; both passes use the locked drop\n");
#endif
		free_twice(m, mode == 0 ? "one thread" : "after a second thread");
		if (mode == 0) {
			assert_int_equal(pthread_create(&t, NULL, no_op, NULL), 0);
			assert_int_equal(pthread_join(t, NULL), 0);
		}
	}
	pmm_destroy(m);
}

/*
 * The remote protocol: a lock held through rseq refuses a remote taker,
 * which writes nothing; a free lock is taken with the taker's tag; and once
 * rseq is in use on the machine a remote taker still gets a free lock
 * (after the fence) and a local sequence then sees it held.
 */
static void test_remote_protocol(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M", NULL);
	struct zone *z = &m->node_data[0]->node_zones[ZONE_DMA32];
	struct per_cpu_pages *pcp;
	unsigned cpu;
	int host;

	(void)state;
	cpu = pcp_this_cpu(m, &host);
	pcp = &z->per_cpu_pageset[cpu];
	if (have_rseq_locks()) {
		/* pcp_this_cpu() on a thread with rseq switched the machine to USED. */
		assert_int_equal(m->fast.rseq, PCP_RSEQ_USED);
		/* The leaf paths run wherever the fast paths do (not in ASan builds). */
		assert_int_equal(m->fast.leaf_alloc_cpus, m->fast.alloc ? m->nr_cpus : 0);
		assert_int_equal(m->fast.leaf_free_cpus, m->fast.free ? m->nr_cpus : 0);
	} else {
		print_message("SKIP: no restartable per-CPU locks; remote protocol on compare-and-swap only\n");
	}

	__atomic_store_n(&pcp->lock.word, PMM_RSEQ_LOCKED, __ATOMIC_RELEASE);
	assert_false(pcp_trylock_remote(m, pcp, cpu));
	assert_int_equal(pcp->lock.word, PMM_RSEQ_LOCKED);
	pcp_unlock(pcp);

	assert_true(pcp_trylock_remote(m, pcp, cpu));
	assert_true(pcp->lock.word != 0 && pcp->lock.word != PMM_RSEQ_LOCKED);
	/* Held remotely: the owning CPU's own attempt fails (the kernel's trylock). */
	{
		int h;
		unsigned c = pcp_this_cpu(m, &h);

		if (c == cpu)
			assert_false(pcp_trylock(m, pcp, c, h));
	}
	pcp_unlock(pcp);
	assert_int_equal(pcp->lock.word, 0);
	pmm_destroy(m);
}

/*
 * A free that finds its per-CPU list busy (another thread draining it)
 * goes to the buddy lists through free_one_page(), which counts no pgfree
 * in 6.1: only the per-CPU commit and __free_pages_ok() count it.
 */
static void test_busy_list_free_uncounted(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M cpus=1", NULL);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	struct zone *z = page_zone(m, (struct page *)p);
	struct per_cpu_pages *pcp = &z->per_cpu_pageset[0];
	unsigned long f0, free0;

	(void)state;
	pmm_drain_all(m);
	f0 = pmm_test_vmstat(m, "pgfree");
	free0 = (unsigned long)zone_page_state(z, NR_FREE_PAGES);
	assert_true(pcp_trylock_remote(m, pcp, 0));
	pmm_free_pages(m, p, 0);
	pcp_unlock(pcp);
	/* On the buddy lists, not the per-CPU list, and not counted. */
	assert_int_equal(zone_page_state(z, NR_FREE_PAGES), free0 + 1);
	assert_int_equal(pcp->count, 0);
	assert_int_equal(pmm_test_vmstat(m, "pgfree"), f0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

struct race {
	struct pmm *m;
	atomic_int stop;
	atomic_ulong ops;
	int pin; /* -1: not pinned */
	unsigned seed;
};

/* Every per-CPU order: half the slots order 0, the rest 1, 2, 3 and the pageblock order. */
static const unsigned slot_order[8] = { 0, 0, 0, 0, 1, 2, 3, pageblock_order };

/* Alloc/free with a per-thread stash; blocks are stamped and checked. */
static void *churn(void *arg)
{
	struct race *r = arg;
	struct pmm_page *stash[64] = { 0 };
	unsigned long ops = 0, seed = r->seed;

	if (r->pin >= 0)
		pmm_set_thread_cpu(r->m, r->pin);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		unsigned i;

		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		i = (unsigned)(seed >> 58);
		if (stash[i]) {
			unsigned long *w = pmm_page_address(r->m, stash[i]);

			if (*w != (unsigned long)stash[i])
				fail_msg("page %p lost its stamp: %#lx", (void *)stash[i], *w);
			pmm_free_pages(r->m, stash[i], slot_order[i & 7]);
			stash[i] = NULL;
		} else {
			stash[i] = pmm_alloc_pages(r->m, PMM_GFP_KERNEL | PMM___GFP_NOWARN,
						   slot_order[i & 7]);
			if (stash[i])
				*(unsigned long *)pmm_page_address(r->m, stash[i]) = (unsigned long)stash[i];
		}
		ops++;
	}
	for (unsigned i = 0; i < 64; i++)
		if (stash[i])
			pmm_free_pages(r->m, stash[i], slot_order[i & 7]);
	if (r->pin >= 0)
		pmm_set_thread_cpu(r->m, -1);
	atomic_fetch_add(&r->ops, ops);
	return NULL;
}

static unsigned long run_race(struct pmm *m, int nr_unpinned, int nr_pinned, unsigned ms)
{
	enum { MAXT = 8 };
	struct race r[MAXT];
	pthread_t t[MAXT];
	int n = nr_unpinned + nr_pinned;
	unsigned long ops = 0, drains = 0;
	struct timespec start, now;

	for (int i = 0; i < n; i++) {
		r[i] = (struct race){ .m = m, .pin = i < nr_unpinned ? -1 : (i % (int)pmm_nr_cpus(m)),
				      .seed = 17u * (unsigned)i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, churn, &r[i]), 0);
	}
	/*
	 * This thread drains every CPU's lists, taking each lock remotely,
	 * for @ms and at least 20 times: a drain waits for a holder that was
	 * preempted after taking the lock, and with more threads than CPUs a
	 * few drains may take the whole time (a soak saw 1-2 in 700 ms in 15
	 * runs of 200).  At most 20 s, so a starved drain cannot hang the test.
	 */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long elapsed;

		pmm_drain_all(m);
		drains++;
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if ((elapsed >= (long)ms && drains >= 20) || elapsed >= 20000)
			break;
	}
	for (int i = 0; i < n; i++)
		atomic_store(&r[i].stop, 1);
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		ops += atomic_load(&r[i].ops);
	}
	print_message("race: %d unpinned + %d pinned threads, %lu ops, %lu drains\n", nr_unpinned,
		      nr_pinned, ops, drains);
	return ops;
}

/* Every byte of @page's block of @order is zero. */
static bool block_is_zero(struct pmm *m, struct pmm_page *page, unsigned order)
{
	const unsigned char *p = pmm_page_address(m, page);

	for (size_t i = 0; i < (size_t)PAGE_SIZE << order; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Free a dirtied block of @order and allocate again with @gfp until the
 * same block comes back (this CPU's list is last in, first out; a
 * migration between the free and the allocation can hand out another
 * one): whether it came back zeroed.
 */
static bool dirty_block_comes_back_zeroed(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, order), *q;
		bool zero;

		assert_non_null(p);
		memset(pmm_page_address(m, p), 0xa5, PAGE_SIZE << order);
		pmm_free_pages(m, p, order);
		q = pmm_alloc_pages(m, gfp, order);
		assert_non_null(q);
		zero = block_is_zero(m, q, order);
		pmm_free_pages(m, q, order);
		if (q == p)
			return zero;
		assert_true(zero || !(gfp & PMM___GFP_ZERO));
	}
	fail_msg("the freed block never came back from this CPU's list");
	return false;
}

/*
 * The leaves add nothing to a block: __GFP_ZERO is turned away to the
 * general tier, which zeroes, and init_on_alloc turns the leaf allocation
 * off (the leaf free stays on); either way a dirty block comes back zeroed
 * from the per-CPU list it was freed to, at order 0 (the inline leaf) and
 * above (alloc_pages_tiers()).
 */
static void test_leaf_leaves_zeroing(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M", NULL);

	(void)state;
	for (unsigned order = 0; order <= 3; order += 3) {
		assert_true(dirty_block_comes_back_zeroed(m, PMM_GFP_KERNEL | PMM___GFP_ZERO, order));
		/* And the test can tell: without __GFP_ZERO the block comes back dirty. */
		assert_false(dirty_block_comes_back_zeroed(m, PMM_GFP_KERNEL, order));
	}
	/* The leaves run wherever the fast paths do (not in ASan builds). */
	if (have_rseq_locks() && m->fast.alloc)
		assert_int_equal(m->fast.leaf_alloc_cpus, m->nr_cpus);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_destroy(m);

	m = pmm_test_machine("mem=128M init_on_alloc=1", NULL);
	for (unsigned order = 0; order <= 3; order += 3)
		assert_true(dirty_block_comes_back_zeroed(m, PMM_GFP_KERNEL, order));
	/* The allocations above put the machine's restartable locks in use. */
	if (have_rseq_locks() && m->fast.alloc) {
		assert_true(m->fast.free);
		assert_int_equal(m->fast.leaf_alloc_cpus, 0);
		assert_int_equal(m->fast.leaf_free_cpus, m->nr_cpus);
	}
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * Fast paths on restartable locks racing remote drains, then (once a thread
 * pinned itself, which turns the leaf paths off) the general fast path on
 * rseq and pinned threads on compare-and-swap, with drains.  Nothing lost,
 * no bad page, every count agrees.
 */
static void test_race_with_drains(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M", NULL);
	unsigned long free0;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_true(run_race(m, 2, 0, 700) > 0);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);

	assert_true(run_race(m, 2, 2, 700) > 0);
	/* A pin turns the leaf paths off for good. */
	assert_false(m->fast.leaf_alloc_cpus || m->fast.leaf_free_cpus);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcount_drop_modes), /* first: before any thread */
		cmocka_unit_test(test_rseq_trylock_primitive),
		cmocka_unit_test(test_remote_protocol),
		cmocka_unit_test(test_busy_list_free_uncounted),
		cmocka_unit_test(test_leaf_leaves_zeroing),
		cmocka_unit_test(test_race_with_drains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
