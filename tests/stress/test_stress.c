// SPDX-License-Identifier: MIT
/*
 * Concurrency stress: 16 threads on the host's CPUs (and, in a second case,
 * all pinned to one core with sched_setaffinity), allocating at mixed
 * orders through every entry point, passing blocks to each other through
 * queues so most frees are cross-thread, sharing blocks (get_page, both
 * holders put), draining and changing watermark sysctls concurrently.
 * Every frame's contents are stamped
 * with (thread, sequence) at allocation and checked before free, and an
 * ownership bitmap catches any frame handed out twice.  After joining:
 * everything freed and drained, per-CPU counts and zone counts agree,
 * pmm_validate() is clean and the free pages are back to the boot count.
 *
 * Also: two threads freeing the same block at once, many times, at every
 * order: exactly one free succeeds, the other is reported as a double free.
 *
 * Must be clean under TSan.  PMM_STRESS_OPS scales the operations per
 * thread (default 60000); PMM_STRESS_RACES the double-free iterations.
 * Prints "stress: N ops, 0 lost frames".
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "mm/internal.h"
#include "mm/pcp.h"

#define NR_THREADS 16
#define QCAP 256
#define MAX_HELD 64

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 0) : def;
}

struct block {
	unsigned long pfn;
	unsigned order;
	bool compound;
	uint64_t stamp;          /* what the frames hold */
	int *shared;             /* non-NULL: other holders exist (atomic count) */
};

struct queue {
	pthread_mutex_t lock;
	unsigned head, n;
	struct block b[QCAP];
};

struct stress {
	struct pmm *m;
	unsigned long max_pfn;
	unsigned char *owned;    /* per frame, atomic: 1 while some thread owns it */
	struct queue q[NR_THREADS];
	unsigned long ops_per_thread;
	unsigned long ops;       /* atomic */
	unsigned long errors;    /* atomic */
	char err[512];           /* first error (errlock) */
	pthread_mutex_t errlock;
	int pin_core;            /* -1: none */
};

struct worker {
	struct stress *s;
	unsigned id;
	uint64_t rng;
	uint64_t seq;
	struct block held[MAX_HELD];
	unsigned nheld;
};

static void stress_error(struct stress *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stress_error(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED) == 0) {
		pthread_mutex_lock(&s->errlock);
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
		pthread_mutex_unlock(&s->errlock);
	}
}

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static unsigned pick_order(struct worker *w)
{
	unsigned r = (unsigned)(rnd(w) % 1000);

	if (r < 600)
		return 0;
	if (r < 800)
		return 1 + r % 3;
	if (r < 990)
		return 4 + r % 4;
	return 8 + r % 3;
}

static uint64_t *frame(struct stress *s, unsigned long pfn)
{
	return pmm_page_address(s->m, pmm_pfn_to_page(s->m, pfn));
}

/* Claim the frames of a block pmm just handed out, and stamp them. */
static void own(struct worker *w, struct block *b)
{
	struct stress *s = w->s;
	unsigned long nr = 1ul << b->order;

	if (b->pfn & (nr - 1))
		stress_error(s, "thread %u: order %u block at pfn 0x%lx misaligned", w->id, b->order, b->pfn);
	b->stamp = (uint64_t)w->id << 48 | ++w->seq;
	for (unsigned long i = 0; i < nr; i++) {
		uint64_t *f;

		if (__atomic_exchange_n(&s->owned[b->pfn + i], 1, __ATOMIC_RELAXED))
			stress_error(s, "thread %u: pfn 0x%lx handed out while another thread owns it",
				     w->id, b->pfn + i);
		f = frame(s, b->pfn + i);
		f[0] = b->stamp ^ (b->pfn + i);
		f[511] = ~b->stamp;
	}
	b->shared = NULL;
}

/* Check the stamps; the caller frees the block right after. */
static void check(struct worker *w, const struct block *b)
{
	for (unsigned long i = 0; i < (1ul << b->order); i++) {
		uint64_t *f = frame(w->s, b->pfn + i);

		if (f[0] != (b->stamp ^ (b->pfn + i)) || f[511] != ~b->stamp)
			stress_error(w->s, "thread %u: pfn 0x%lx (block 0x%lx order %u, stamp %llx) overwritten: %llx",
				     w->id, b->pfn + i, b->pfn, b->order, (unsigned long long)b->stamp,
				     (unsigned long long)f[0]);
	}
}

static void disown(struct stress *s, const struct block *b)
{
	for (unsigned long i = 0; i < (1ul << b->order); i++)
		if (!__atomic_exchange_n(&s->owned[b->pfn + i], 0, __ATOMIC_RELAXED))
			stress_error(s, "pfn 0x%lx freed but nobody owned it", b->pfn + i);
}

static void release(struct worker *w, struct block *b)
{
	struct stress *s = w->s;
	struct pmm_page *p = pmm_pfn_to_page(s->m, b->pfn);

	check(w, b);
	if (b->shared) {
		/* The last holder gives the frames up; each drops its reference. */
		if (__atomic_sub_fetch(b->shared, 1, __ATOMIC_ACQ_REL) == 0) {
			disown(s, b);
			free(b->shared);
		}
		pmm_put_page(s->m, p);
		return;
	}
	disown(s, b);
	switch (rnd(w) % 4) {
	case 0:
		pmm_free_pages_addr(s->m, pmm_page_address(s->m, p), b->order);
		break;
	case 1:
		if (b->order == 0 || b->compound) {
			pmm_put_page(s->m, p);
			break;
		}
		/* fall through */
	default:
		pmm_free_pages(s->m, p, b->order);
	}
}

/*
 * Release up to 16 of the held order-0 blocks, from @first on, in one
 * pmm_free_pages_bulk() call (a NULL slot among them): shared ones drop
 * a reference, the others go back.
 */
static void release_bulk(struct worker *w, unsigned first)
{
	struct stress *s = w->s;
	struct pmm_page *arr[17];
	unsigned n = 0;

	for (unsigned i = first; i < w->nheld && n < 16;) {
		struct block *b = &w->held[i];

		if (b->order) {
			i++;
			continue;
		}
		check(w, b);
		if (!b->shared || __atomic_sub_fetch(b->shared, 1, __ATOMIC_ACQ_REL) == 0) {
			disown(s, b);
			free(b->shared);
		}
		arr[n++] = pmm_pfn_to_page(s->m, b->pfn);
		if (n == 3)
			arr[n++] = NULL;
		w->held[i] = w->held[--w->nheld];
	}
	pmm_free_pages_bulk(s->m, n, arr);
}

static bool send(struct worker *w, unsigned to, const struct block *b)
{
	struct queue *q = &w->s->q[to];
	bool ok = false;

	pthread_mutex_lock(&q->lock);
	if (q->n < QCAP) {
		q->b[(q->head + q->n++) % QCAP] = *b;
		ok = true;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static bool receive(struct worker *w, struct block *b)
{
	struct queue *q = &w->s->q[w->id];
	bool ok = false;

	pthread_mutex_lock(&q->lock);
	if (q->n) {
		*b = q->b[q->head];
		q->head = (q->head + 1) % QCAP;
		q->n--;
		ok = true;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static const pmm_gfp_t gfps[] = {
	PMM_GFP_KERNEL, PMM_GFP_KERNEL | PMM___GFP_COMP, PMM_GFP_ATOMIC, PMM_GFP_NOWAIT,
	PMM_GFP_HIGHUSER_MOVABLE, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_COMP, PMM_GFP_DMA32,
	PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE,
};

static void hold(struct worker *w, struct pmm_page *p, unsigned order, bool compound)
{
	struct block b = { .pfn = pmm_page_to_pfn(w->s->m, p), .order = order, .compound = compound };

	own(w, &b);
	if (w->nheld == MAX_HELD) {
		release(w, &w->held[0]);
		w->held[0] = w->held[--w->nheld];
	}
	w->held[w->nheld++] = b;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	if (s->pin_core >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(s->pin_core, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			stress_error(s, "sched_setaffinity failed");
	}
	for (unsigned long op = 0; op < s->ops_per_thread; op++) {
		unsigned r = (unsigned)(rnd(w) % 100);
		struct block b;

		while (receive(w, &b)) {
			release(w, &b);
			__atomic_fetch_add(&s->ops, 1, __ATOMIC_RELAXED);
		}
		if (r < 45) {
			pmm_gfp_t gfp = gfps[rnd(w) % (sizeof(gfps) / sizeof(gfps[0]))] | PMM___GFP_NOWARN;
			unsigned order = pick_order(w);
			struct pmm_page *p = pmm_alloc_pages(s->m, gfp, order);

			if (p)
				hold(w, p, order, order && (gfp & PMM___GFP_COMP));
		} else if (r < 48) {
			struct pmm_page *arr[16] = { 0 };
			unsigned long n = pmm_alloc_pages_bulk(s->m, PMM_GFP_KERNEL, 16, arr);

			for (unsigned long i = 0; i < 16; i++)
				if (arr[i])
					hold(w, arr[i], 0, false);
			(void)n;
		} else if (r < 52 && w->nheld) {
			/* Free several of ours at once, some received from other threads. */
			release_bulk(w, (unsigned)(rnd(w) % w->nheld));
		} else if (r < 70 && w->nheld) {
			/* Free one of ours. */
			unsigned i = (unsigned)(rnd(w) % w->nheld);
			release(w, &w->held[i]);
			w->held[i] = w->held[--w->nheld];
		} else if (r < 94 && w->nheld) {
			/* Hand one to another thread. */
			unsigned i = (unsigned)(rnd(w) % w->nheld);
			unsigned to = (unsigned)(rnd(w) % NR_THREADS);

			if (send(w, to, &w->held[i]))
				w->held[i] = w->held[--w->nheld];
		} else if (r < 98 && w->nheld) {
			/* Share one: take a reference, both holders put it. */
			unsigned i = (unsigned)(rnd(w) % w->nheld);
			struct block *hb = &w->held[i];
			unsigned to = (unsigned)(rnd(w) % NR_THREADS);

			if (!hb->shared && (hb->order == 0 || hb->compound)) {
				int *holders = malloc(sizeof(int));

				if (pmm_get_page(s->m, pmm_pfn_to_page(s->m, hb->pfn))) {
					stress_error(s, "get_page on a held block failed");
					free(holders);
				} else {
					*holders = 2;
					hb->shared = holders;
					if (!send(w, to, hb)) {
						/* Nobody took it: drop the extra reference ourselves. */
						*holders = 1;
						pmm_put_page(s->m, pmm_pfn_to_page(s->m, hb->pfn));
					}
				}
			}
		} else if (r < 99) {
			if (rnd(w) % 8 == 0) {
				/* Watermarks and per-CPU high/batch change under everyone's feet. */
				static const char *const v[] = { "512", "2048", "8192" };
				static const char *const f[] = { "0", "8", "64" };
				const char *name = rnd(w) & 1 ? "min_free_kbytes" : "percpu_pagelist_high_fraction";

				if (pmm_sysctl_write(s->m, name, name[0] == 'm' ? v[rnd(w) % 3] : f[rnd(w) % 3]))
					stress_error(s, "sysctl %s refused", name);
			} else {
				pmm_drain_all(s->m);
			}
		} else {
			void *a = pmm_get_free_pages(s->m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 2);

			if (a)
				hold(w, pmm_virt_to_page(s->m, a), 2, false);
		}
		__atomic_fetch_add(&s->ops, 1, __ATOMIC_RELAXED);
	}
	while (w->nheld)
		release(w, &w->held[--w->nheld]);
	return NULL;
}

static unsigned long pcp_total(struct pmm *m)
{
	unsigned long n = 0;
	int nid;

	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];

			if (zone->per_cpu_pageset)
				for (unsigned c = 0; c < m->nr_cpus; c++)
					n += (unsigned long)zone->per_cpu_pageset[c].count;
		}
	return n;
}

static unsigned long run_stress(const char *cfg, int pin_core, unsigned long ops_per_thread)
{
	struct stress *s = calloc(1, sizeof(*s));
	struct worker *w = calloc(NR_THREADS, sizeof(*w));
	pthread_t t[NR_THREADS];
	unsigned long initial, ops;
	struct block b;

	s->m = pmm_test_machine(cfg, NULL);
	s->max_pfn = s->m->nr_mem_sections * PAGES_PER_SECTION;
	s->owned = calloc(s->max_pfn, 1);
	s->ops_per_thread = ops_per_thread;
	s->pin_core = pin_core;
	pthread_mutex_init(&s->errlock, NULL);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_mutex_init(&s->q[i].lock, NULL);
	initial = pmm_nr_free_pages(s->m);
	for (unsigned i = 0; i < NR_THREADS; i++) {
		w[i].s = s;
		w[i].id = i;
		w[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	/* Blocks still in queues: their receivers have finished. */
	for (unsigned i = 0; i < NR_THREADS; i++) {
		w[i].s = s;
		while (receive(&w[i], &b))
			release(&w[i], &b);
	}
	if (s->errors)
		fail_msg("%s: %lu errors; first: %s", cfg, s->errors, s->err);
	for (unsigned long pfn = 0; pfn < s->max_pfn; pfn++)
		if (s->owned[pfn])
			fail_msg("%s: pfn 0x%lx still owned after everything was freed", cfg, pfn);
	pmm_drain_all(s->m);
	assert_int_equal(pcp_total(s->m), 0);
	assert_machine_valid(s->m);
	if (pmm_nr_free_pages(s->m) != initial)
		fail_msg("%s: %lu free pages at the end, %lu at boot: %ld frames lost", cfg,
			 pmm_nr_free_pages(s->m), initial, (long)initial - (long)pmm_nr_free_pages(s->m));
	assert_int_equal(pmm_bad_page_count(s->m), 0);
	ops = s->ops;
	print_message("  %-44s %s: %lu ops, 0 lost frames\n", cfg,
		      pin_core >= 0 ? "pinned to one core" : "on every core", ops);
	pmm_destroy(s->m);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_mutex_destroy(&s->q[i].lock);
	pthread_mutex_destroy(&s->errlock);
	free(s->owned);
	free(s);
	free(w);
	return ops;
}

static unsigned long total_ops;

static void test_stress_all_cores(void **state)
{
	unsigned long n = env_ul("PMM_STRESS_OPS", 60000);

	(void)state;
	total_ops += run_stress("mem=256M", -1, n);
	total_ops += run_stress("mem=256M nodes=2 pcp=off", -1, n / 2);
	total_ops += run_stress("mem=128M cpus=4 page_owner=on page_poison=on", -1, n / 4);
}

static void test_stress_one_core(void **state)
{
	unsigned long n = env_ul("PMM_STRESS_OPS", 60000);
	cpu_set_t set;
	int core = 0;

	(void)state;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (core = 0; core < CPU_SETSIZE && !CPU_ISSET(core, &set); core++)
			;
	total_ops += run_stress("mem=256M", core, n);
	total_ops += run_stress("mem=64M cpus=1", core, n / 2);
}

/* ------------------------------------------------------------ double free race */

struct racer {
	struct pmm *m;
	struct pmm_page *page;   /* atomic */
	unsigned order;          /* atomic */
	unsigned gen;            /* atomic */
	unsigned done;           /* atomic */
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	unsigned seen = 0;

	for (;;) {
		unsigned g;

		while ((g = __atomic_load_n(&r->gen, __ATOMIC_ACQUIRE)) == seen)
			sched_yield();
		if (g == ~0u)
			break;
		seen = g;
		pmm_free_pages(r->m, __atomic_load_n(&r->page, __ATOMIC_RELAXED),
			       __atomic_load_n(&r->order, __ATOMIC_RELAXED));
		__atomic_fetch_add(&r->done, 1, __ATOMIC_ACQ_REL);
	}
	return NULL;
}

static unsigned long bad_calls;

static void count_bad(void *ctx, unsigned long pfn, const char *reason)
{
	(void)ctx;
	(void)pfn;
	if (strcmp(reason, "double free: page is already free (refcount 0)"))
		fprintf(stderr, "unexpected reason: %s\n", reason);
	__atomic_fetch_add(&bad_calls, 1, __ATOMIC_RELAXED);
}

static void race_double_free(const char *cfg, unsigned long iters)
{
	struct pmm *m = pmm_test_machine(cfg, NULL);
	struct racer r = { .m = m };
	unsigned long initial = pmm_nr_free_pages(m);
	pthread_t t[2];

	bad_calls = 0;
	pmm_set_bad_page_handler(m, count_bad, NULL);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &r), 0);
	for (unsigned long i = 1; i <= iters; i++) {
		unsigned order = (unsigned)(i % 3 ? i % 4 : i % 11);
		struct pmm_page *p = pmm_alloc_pages(m, (i & 2 ? PMM___GFP_COMP : 0) | PMM_GFP_KERNEL, order);
		unsigned long before = pmm_bad_page_count(m);

		assert_non_null(p);
		__atomic_store_n(&r.page, p, __ATOMIC_RELAXED);
		__atomic_store_n(&r.order, order, __ATOMIC_RELAXED);
		__atomic_store_n(&r.done, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r.gen, (unsigned)i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) != 2)
			sched_yield();
		if (pmm_bad_page_count(m) != before + 1)
			fail_msg("%s: iteration %lu (order %u): %lu reports, want exactly 1", cfg, i, order,
				 pmm_bad_page_count(m) - before);
	}
	__atomic_store_n(&r.gen, ~0u, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(__atomic_load_n(&bad_calls, __ATOMIC_RELAXED), iters);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), initial);
	print_message("  double free race (%s): %lu iterations, each exactly one report\n", cfg, iters);
	pmm_destroy(m);
}

static void test_double_free_race(void **state)
{
	unsigned long n = env_ul("PMM_STRESS_RACES", 5000);

	(void)state;
	race_double_free("mem=128M cpus=2", n);
	race_double_free("mem=128M cpus=2 pcp=off", n / 2);
	race_double_free("mem=128M cpus=2 page_owner=on", n / 4);
}

static void test_summary(void **state)
{
	(void)state;
	print_message("stress: %lu ops, 0 lost frames\n", total_ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_all_cores),
		cmocka_unit_test(test_stress_one_core),
		cmocka_unit_test(test_double_free_race),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
