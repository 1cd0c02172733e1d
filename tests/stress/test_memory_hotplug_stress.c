// SPDX-License-Identifier: MIT
/*
 * Memory hotplug under load: worker threads allocate (orders 0-3, through
 * the per-CPU fast paths and the full path), stamp, check and free blocks
 * in the zone whose block another thread takes offline and brings back
 * online, again and again; some cycles also remove and re-add the block.
 * An offline may meet a frame a worker holds and is then refused
 * (-PMM_EBUSY, nothing changed), which is right; most must go through.
 * Meanwhile one more thread sweeps the idle page bitmap over the quiet
 * block, writing and reading it, as a working-set estimator would: it must
 * never touch the memmap of the block while it is removed.
 * Every frame a worker gets must lie in an online block and keep its stamp.
 * After joining: everything freed and drained, pmm_validate() clean, free
 * and managed pages back to the boot count.  Two last cases resize the
 * huge page pool, and allocate a block's frames whole, while memory is
 * plugged in and pulled out.  Runs under TSan (its name
 * matches the ./dev TSan filter).  Prints "stress: hotplug ...".
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <pmm/hotplug.h>
#include <pmm/hugetlb.h>
#include <pmm/page_idle.h>

#include "mm/internal.h"

#define NR_WORKERS 3
#define MAX_HELD 16
#define PPS PAGES_PER_SECTION

struct shared {
	struct pmm *m;
	int stop;
	unsigned long ops[NR_WORKERS];
	unsigned long bad;               /* frames handed out from a block not online */
	unsigned long idle_pfn;          /* the block idle_main() sweeps */
	unsigned long idle_sweeps;
};

struct worker {
	struct shared *s;
	int id;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	struct pmm_page *held[MAX_HELD] = { 0 };
	unsigned order[MAX_HELD] = { 0 };
	uint64_t rnd = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);
	unsigned long ops = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned i;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		i = (unsigned)(rnd % MAX_HELD);
		if (held[i]) {
			unsigned long pfn = pmm_page_to_pfn(s->m, held[i]);
			uint64_t *mem = pmm_page_address(s->m, held[i]);

			if (mem[0] != (pfn ^ 0xfeedull))
				__atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
			pmm_free_pages(s->m, held[i], order[i]);
			held[i] = NULL;
		} else {
			unsigned o = (unsigned)((rnd >> 32) % 4);
			struct pmm_page *p = pmm_alloc_pages(s->m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, o);

			if (p) {
				unsigned long pfn = pmm_page_to_pfn(s->m, p);

				if (pmm_memory_block_state(s->m, pfn) != PMM_BLOCK_ONLINE)
					__atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
				*(uint64_t *)pmm_page_address(s->m, p) = pfn ^ 0xfeedull;
				held[i] = p;
				order[i] = o;
			}
		}
		ops++;
	}
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (held[i])
			pmm_free_pages(s->m, held[i], order[i]);
	s->ops[w->id] = ops;
	return NULL;
}

/* Mark the block's frames idle and read its bitmap back, over and over. */
static void *idle_main(void *arg)
{
	struct shared *s = arg;
	uint64_t bits[64];

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		for (unsigned long pfn = s->idle_pfn; pfn < s->idle_pfn + PPS; pfn += 64 * 64) {
			memset(bits, 0xff, sizeof(bits));
			if (pmm_page_idle_write(s->m, pfn, bits, 64) < 0 ||
			    pmm_page_idle_read(s->m, pfn, bits, 64) < 0)
				__atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
		}
		s->idle_sweeps++;
	}
	return NULL;
}

struct cycles {
	unsigned long offlined, busy, removed;
};

/* Offline (retrying while busy), sometimes remove and re-add, online: @n times. */
static void run_cycles(struct pmm *m, unsigned long spfn, int n, struct cycles *c)
{
	for (int i = 0; i < n; i++) {
		int r = -PMM_EBUSY;

		for (int tries = 0; tries < 50 && r == -PMM_EBUSY; tries++) {
			r = pmm_offline_pages(m, spfn, PPS);
			if (r == -PMM_EBUSY) {
				c->busy++;
				usleep(100);
			}
		}
		if (r == -PMM_EBUSY) {
			/* Refused: nothing changed. */
			assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_ONLINE);
			continue;
		}
		assert_int_equal(r, 0);
		c->offlined++;
		assert_int_equal(pmm_memory_block_state(m, spfn), PMM_BLOCK_OFFLINE);
		if (i % 3 == 0) {
			assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
			assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
			c->removed++;
		}
		usleep(300);
		assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	}
}

static void hotplug_under_load(void **state)
{
	/* No ZONE_DMA: the block the workers allocate from can go offline too. */
	struct pmm *m = pmm_test_machine("mem=1G dma=0 cpus=4", NULL);
	struct shared s = { .m = m };
	struct worker w[NR_WORKERS];
	pthread_t t[NR_WORKERS], idle;
	unsigned long free0, managed0, ops = 0;
	struct cycles hot = { 0 }, cold = { 0 };
	const int cycles = 16;
	struct pmm_page *probe = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	/* The block the workers' allocations come from first, and one they leave alone. */
	const unsigned long hot_pfn = ALIGN_DOWN(pmm_page_to_pfn(m, probe), PPS);
	const unsigned long cold_pfn = hot_pfn == 6 * PPS ? 5 * PPS : 6 * PPS;

	(void)state;
	pmm_free_pages(m, probe, 0);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	managed0 = pmm_totalram_pages(m);
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){ .s = &s, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	s.idle_pfn = cold_pfn;
	assert_int_equal(pthread_create(&idle, NULL, idle_main, &s), 0);
	run_cycles(m, cold_pfn, cycles, &cold);
	run_cycles(m, hot_pfn, cycles / 4, &hot);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_WORKERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		ops += s.ops[i];
	}
	assert_int_equal(pthread_join(idle, NULL), 0);
	print_message("stress: hotplug: quiet block %lu/%d offlined (%lu removed, %lu busy), busy block %lu/%d offlined (%lu busy), %lu worker ops, %lu idle bitmap sweeps, %lu bad frames\n",
		      cold.offlined, cycles, cold.removed, cold.busy, hot.offlined, cycles / 4, hot.busy,
		      ops, s.idle_sweeps, s.bad);
	assert_int_equal(s.bad, 0);
	/*
	 * In the same zone, but the workers seldom hold its frames: it goes
	 * (every time in practice; half leaves room for unlucky schedules).
	 */
	assert_true(cold.offlined >= (unsigned long)cycles / 2);
	assert_int_equal(pmm_memory_block_state(m, cold_pfn), PMM_BLOCK_ONLINE);
	assert_int_equal(pmm_memory_block_state(m, hot_pfn), PMM_BLOCK_ONLINE);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_totalram_pages(m), managed0);
	/* Quiet now: the busy block goes too. */
	assert_int_equal(pmm_offline_pages(m, hot_pfn, PPS), 0);
	assert_int_equal(pmm_online_pages(m, hot_pfn, PPS, PMM_ONLINE), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A whole zone comes and goes under the workers: the machine's last block
 * is ZONE_MOVABLE's only one, and each offline empties the zone and each
 * online fills it again, so every cycle rebuilds the zonelists the
 * workers' allocations are walking (their GFP_KERNEL never takes a frame
 * from ZONE_MOVABLE, so no offline is refused).  A walk that met a
 * half-rebuilt list could take a zone for another's index or read a
 * terminator as a zone; under TSan, any unordered access to a list fails.
 */
static void movable_zone_comes_and_goes(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G dma=0 cpus=4", NULL);
	struct shared s = { .m = m };
	struct worker w[NR_WORKERS];
	pthread_t t[NR_WORKERS];
	const unsigned long last = (1ul << 30) / PAGE_SIZE - PPS;
	const int cycles = 16;
	unsigned long free0, ops = 0;

	(void)state;
	assert_int_equal(pmm_offline_pages(m, last, PPS), 0);
	assert_int_equal(pmm_online_pages(m, last, PPS, PMM_ONLINE_MOVABLE), 0);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){ .s = &s, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < cycles; i++) {
		assert_int_equal(pmm_offline_pages(m, last, PPS), 0);
		usleep(200);
		assert_int_equal(pmm_online_pages(m, last, PPS, PMM_ONLINE_MOVABLE), 0);
		usleep(200);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_WORKERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		ops += s.ops[i];
	}
	print_message("stress: hotplug: ZONE_MOVABLE emptied and filled %d times beside %lu worker ops, %lu bad frames\n",
		      cycles, ops, s.bad);
	assert_int_equal(s.bad, 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	pmm_destroy(m);
}

/* Allocate the block's range whole and give it back, until told to stop. */
struct contig_run {
	struct shared *s;
	unsigned long spfn, taken, busy, other;
};

static void *contig_main(void *arg)
{
	struct contig_run *c = arg;

	while (!__atomic_load_n(&c->s->stop, __ATOMIC_RELAXED)) {
		int r = pmm_alloc_contig_range(c->s->m, c->spfn, c->spfn + PPS,
					       PMM_GFP_KERNEL | PMM___GFP_NOWARN);

		if (!r) {
			c->taken++;
			pmm_free_contig_range(c->s->m, c->spfn, PPS);
		} else if (r == -PMM_EBUSY) {
			c->busy++;
		} else if (r == -PMM_EINVAL) {
			c->other++; /* the block was offline or absent when looked at */
		} else {
			__atomic_fetch_add(&c->s->bad, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/*
 * A contiguous allocation of a block that another thread takes offline,
 * removes, adds back and onlines, again and again: the allocation looks
 * at the block's memmap without the hotplug lock, and a removal in
 * between released that memmap under it (a crash).  Each attempt must
 * succeed, find the block busy or find it gone.
 */
static void contig_beside_remove(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G dma=0 cpus=2", NULL);
	struct shared s = { .m = m };
	struct contig_run c = { .s = &s, .spfn = (1ul << 30) / PAGE_SIZE - PPS };
	unsigned long free0, cycles = 0, refused = 0;
	pthread_t t;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_int_equal(pthread_create(&t, NULL, contig_main, &c), 0);
	while (cycles < 400 && refused < 100000) {
		if (pmm_offline_pages(m, c.spfn, PPS)) {
			/*
			 * The contiguous thread holds the block: let it run, or
			 * on a loaded host (two cores shared with other tests)
			 * every refusal could fall within one of its time slices.
			 */
			refused++;
			usleep(20);
			continue;
		}
		assert_int_equal(pmm_remove_memory(m, PFN_PHYS(c.spfn), PMM_MEMORY_BLOCK_SIZE), 0);
		assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(c.spfn), PMM_MEMORY_BLOCK_SIZE), 0);
		assert_int_equal(pmm_online_pages(m, c.spfn, PPS, PMM_ONLINE), 0);
		cycles++;
		usleep(cycles % 8 * 50); /* online for a varying while */
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	assert_int_equal(pthread_join(t, NULL), 0);
	print_message("stress: hotplug: %lu removes beside %lu contiguous allocations (%lu busy, %lu gone)\n",
		      cycles, c.taken, c.busy, c.other);
	assert_int_equal(s.bad, 0);
	assert_true(cycles > 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	pmm_destroy(m);
}

/* Resize the default pool between 0 and 8 pages until told to stop, checking its counts. */
static void *pool_main(void *arg)
{
	struct shared *s = arg;
	struct pmm_hugetlb_counts c;
	unsigned long ops = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned long want = ops % 2 ? 0 : 8;

		if (pmm_hugetlb_resize(s->m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, want) ||
		    pmm_hugetlb_counts(s->m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, &c) ||
		    c.nr != want || c.nr_free != want || c.surplus || c.resv)
			__atomic_fetch_add(&s->bad, 1, __ATOMIC_RELAXED);
		ops++;
	}
	s->ops[0] = ops;
	return NULL;
}

/*
 * The huge page pool resized beside memory plugged in and pulled out:
 * a resize over every node reads which nodes have memory while
 * pmm_add_memory() and pmm_remove_memory() rewrite the machine's memory
 * map.  Under TSan an unordered read of that map fails the test; every
 * resize must give exactly the count asked for.
 */
static void hugetlb_pool_beside_hotplug(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G nodes=2 maxmem=2G cpus=2", NULL);
	struct shared s = { .m = m };
	const uint64_t start = 1ull << 30;
	const int cycles = 40;
	unsigned long free0;
	pthread_t t;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_int_equal(pthread_create(&t, NULL, pool_main, &s), 0);
	for (int i = 0; i < cycles; i++) {
		assert_int_equal(pmm_add_memory(m, i % 2, start, PMM_MEMORY_BLOCK_SIZE), 0);
		assert_int_equal(pmm_remove_memory(m, start, PMM_MEMORY_BLOCK_SIZE), 0);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	assert_int_equal(pthread_join(t, NULL), 0);
	print_message("stress: hotplug: %d adds and removes beside %lu pool resizes, %lu wrong counts\n",
		      cycles, s.ops[0], s.bad);
	assert_int_equal(s.bad, 0);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE, 0), 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hotplug_under_load),
		cmocka_unit_test(movable_zone_comes_and_goes),
		cmocka_unit_test(hugetlb_pool_beside_hotplug),
		cmocka_unit_test(contig_beside_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
