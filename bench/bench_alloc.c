// SPDX-License-Identifier: MIT
/*
 * bench_alloc: pmm's page allocator against the allocators people use.
 *
 * Rows: pmm with per-CPU lists, pmm with pcp=off, a "limit" (alloc_limit.h),
 * glibc posix_memalign(4096), glibc malloc (unaligned), jemalloc, mimalloc
 * and tcmalloc (alloc_peers.h says how each is called and loaded).
 * Columns, in ns per operation, median of 5 rounds:
 *   (a)   order-0 alloc+free pairs, one thread                   ns/pair
 *   (b)   100 000 order-0 allocations, then frees in random order ns/pair
 *   (c)   random orders 0-3, 50 000 live blocks, random replace  ns/replace
 *   (c0)  (c) without touching the new block                     ns/replace
 *   (d1)  two threads each doing (a): CPU ns per pair per thread, and the
 *         2-thread/1-thread throughput ratio (2.0 = perfect scaling)
 *   (d2)  a producer allocates (order 0) and passes blocks through a
 *         1024-slot ring to a consumer that frees them            ns/block
 *   (e)   order-9 (2 MiB) alloc+free pairs                       ns/pair
 *   (f)   batches of 32: allocate 32 order-0 blocks, touch them, free
 *         the 32; pmm with its bulk calls, the others with 32 single
 *         calls each way (they have no batch call for pages) ns/block
 * Every block's first byte is written once it is allocated, as a user would.
 *
 * Method.  Each case of each allocator runs in its own child process (the
 * peers with LD_PRELOAD), so no allocator sees another's heap and no case
 * inherits the state another case left.  In the child every case
 * runs a short pilot to size itself (~40 ms per run), warm-up runs until
 * host page faults stop (at most WARM_MAX runs or WARM_NS; warm-up writes
 * every page of each block, so memory handed out later at other block
 * boundaries is backed too), then its timed run.  The parent runs 5 rounds
 * of that, and each round runs a case for every allocator before the next
 * case, so that a slow spell of the host falls on all allocators' runs of
 * a case alike; the tables give the median and spread of the rounds.
 * Host page faults in the
 * timed parts are counted and reported: what is left is the allocator
 * giving memory back to the host and taking it again, which is its own
 * cost.  (c)'s live set is filled once before its pilot and kept through
 * its runs, which continue one random sequence.  The same random sequences
 * (fixed seed) drive every allocator.  The two threads of (d1) and (d2) are
 * created once in the children of those cases only (a single-thread case
 * runs in a single-threaded process) and reused; they are not pinned.  Single-thread
 * cases are timed in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, which
 * includes system time), and so is (d1)'s ns/thread; (d1)'s 2T/1T ratio
 * (2 x wall time per pair of one worker alone / wall time per pair of the
 * two, both in the same threaded child) and (d2) are wall time,
 * meaningful only when the machine is otherwise idle.  A thread asleep on a
 * contended mutex uses no CPU time: compare (d1) ns/thread with the wall
 * times in the spread table.
 *
 * Instruction counts: with valgrind installed, case (a) of every allocator
 * runs under callgrind, collecting only inside cg_a_<allocator>(), for N
 * pairs; Ir/N is the cost per pair, and "minus loop" subtracts the same
 * loop with no allocator.  pmm's self cost per function is listed.
 *
 * Usage: bench_alloc [--runs N] [--only a,b,...] [--no-callgrind]
 *                    [--cg-iters N] [--cg-dir DIR] [ALLOCATOR...]
 *        bench_alloc --child ALLOCATOR [--runs N] [--only ...] [--cg N]
 * Allocators: pmm pmm-nopcp limit glibc glibc-malloc jemalloc mimalloc
 * tcmalloc (and "loop", the empty allocator, for --cg).
 */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pmm/pmm.h>

#include "alloc_limit.h"
#include "alloc_peers.h"

extern char **environ;

#define NB 100000          /* (b): blocks per batch */
#define NLIVE 50000        /* (c): live blocks */
#define RING_SIZE 1024     /* (d2) */
#define F_BATCH 32         /* (f): blocks per batch */
#define MAX_RUNS 15
#define TARGET_NS 40e6     /* length of one timed run */
#define WARM_MAX 8         /* warm-up runs at most */
#define WARM_NS 3e9        /* no new warm-up run after this long, pilot included */
#define CG_DEFAULT_ITERS 200000

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define AI static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))

/* ---------------------------------------------------------------- helpers */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * CPU time of the calling thread: single-thread cases are timed with it, so
 * that time the thread spends descheduled on a shared machine is not
 * charged to the allocator.  System time (page faults, madvise, munmap) is
 * included: it is the allocator's.
 */
static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Harness memory comes from mmap, never from the allocator under test. */
static void *harness_mem(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("bench_alloc: mmap");
		exit(2);
	}
	memset(p, 0, bytes);
	return p;
}

static NOINLINE __attribute__((noreturn)) void alloc_failed(unsigned order)
{
	fprintf(stderr, "bench_alloc: allocation of order %u failed\n", order);
	exit(3);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---------------------------------------------------------------- shared case data */

struct slot {
	void *h;
	unsigned order;
};

struct ring {
	_Alignas(64) _Atomic uint64_t head; /* consumer's next index */
	_Alignas(64) _Atomic uint64_t tail; /* producer's next index */
	_Alignas(64) void *slot[RING_SIZE];
};

static struct {
	void **bh;             /* (b) handles */
	uint32_t *perm;        /* (b) free order */
	struct slot *live;     /* (c) live set */
	uint8_t *init_order;   /* (c) orders of the initial live set */
	uint32_t *step_slot;   /* (c) slot replaced at each step */
	uint8_t *step_order;   /* (c) order of its replacement */
	uint64_t max_steps;
	uint64_t step_pos;     /* (c) where the next run starts in the sequence */
	struct ring *ring;     /* (d2) */
} g;

static void case_data_init(void)
{
	g.bh = harness_mem(NB * sizeof(*g.bh));
	g.perm = harness_mem(NB * sizeof(*g.perm));
	for (uint32_t i = 0; i < NB; i++)
		g.perm[i] = i;
	for (uint32_t i = NB - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1)), t = g.perm[i];

		g.perm[i] = g.perm[j];
		g.perm[j] = t;
	}
	g.live = harness_mem(NLIVE * sizeof(*g.live));
	g.init_order = harness_mem(NLIVE);
	for (unsigned i = 0; i < NLIVE; i++)
		g.init_order[i] = (uint8_t)(rng() & 3);
	g.max_steps = 4000000;
	g.step_slot = harness_mem(g.max_steps * sizeof(*g.step_slot));
	g.step_order = harness_mem(g.max_steps);
	for (uint64_t i = 0; i < g.max_steps; i++) {
		uint64_t r = rng();

		g.step_slot[i] = (uint32_t)((r >> 8) % NLIVE);
		g.step_order[i] = (uint8_t)(r & 3);
	}
	g.ring = harness_mem(sizeof(*g.ring));
}

/* ---------------------------------------------------------------- case templates */

typedef void *(*alloc_fn)(unsigned order);
typedef void *(*addr_fn)(void *h);
typedef void (*free_fn)(void *h, unsigned order);
/* (f)'s optional batch calls: fill h[0..n) with order-0 blocks (false on failure); free them. */
typedef bool (*balloc_fn)(void **h, unsigned n);
typedef void (*bfree_fn)(void *const *h, unsigned n);

#define TOUCH(p) (*(volatile char *)(p) = 1)

/*
 * Warm-up runs of (b) and (c) write every page of each block, not just the
 * first, so that whatever memory an allocator hands out later at another
 * block boundary is already backed by the host.
 */
AI void touch_block(void *p, unsigned order, bool all)
{
	if (!all) {
		TOUCH(p);
		return;
	}
	for (unsigned long k = 0; k < 1ul << order; k++)
		TOUCH((char *)p + (k << 12));
}

/* (a), (e), (d1): alloc, touch, free. */
AI void tpl_pairs(alloc_fn A, addr_fn P, free_fn F, unsigned order, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		void *h = A(order);

		if (unlikely(!h))
			alloc_failed(order);
		TOUCH(P(h));
		F(h, order);
	}
}

/* (b) */
AI void tpl_batch(alloc_fn A, addr_fn P, free_fn F, uint64_t reps, bool warm)
{
	void **bh = g.bh;
	const uint32_t *perm = g.perm;

	for (uint64_t r = 0; r < reps; r++) {
		for (unsigned i = 0; i < NB; i++) {
			void *h = A(0);

			if (unlikely(!h))
				alloc_failed(0);
			touch_block(P(h), 0, warm);
			bh[i] = h;
		}
		for (unsigned i = 0; i < NB; i++)
			F(bh[perm[i]], 0);
	}
}

/* (c): the live set is filled before and emptied after each timed run. */
AI void tpl_fill(alloc_fn A, addr_fn P, bool warm)
{
	for (unsigned i = 0; i < NLIVE; i++) {
		unsigned o = g.init_order[i];
		void *h = A(o);

		if (unlikely(!h))
			alloc_failed(o);
		touch_block(P(h), o, warm);
		g.live[i].h = h;
		g.live[i].order = o;
	}
}

AI void tpl_empty(free_fn F)
{
	for (unsigned i = 0; i < NLIVE; i++)
		F(g.live[i].h, g.live[i].order);
}

AI void tpl_replace(alloc_fn A, addr_fn P, free_fn F, uint64_t n, bool touch, bool warm)
{
	struct slot *live = g.live;
	const uint32_t *ss = g.step_slot + g.step_pos;
	const uint8_t *so = g.step_order + g.step_pos;

	for (uint64_t i = 0; i < n; i++) {
		struct slot *s = &live[ss[i]];
		unsigned o = so[i];
		void *h;

		F(s->h, s->order);
		h = A(o);
		if (unlikely(!h))
			alloc_failed(o);
		if (touch || warm)
			touch_block(P(h), o, warm);
		s->h = h;
		s->order = o;
	}
}

/*
 * (f): batches of F_BATCH order-0 blocks, allocated, touched, then freed,
 * with the allocator's batch calls @BA and @BF, or (NULL) a loop over its
 * single calls.
 */
AI void tpl_batches(alloc_fn A, addr_fn P, free_fn F, balloc_fn BA, bfree_fn BF, uint64_t n)
{
	void *h[F_BATCH];

	for (uint64_t i = 0; i < n; i++) {
		if (BA) {
			if (unlikely(!BA(h, F_BATCH)))
				alloc_failed(0);
		} else {
			for (unsigned k = 0; k < F_BATCH; k++)
				if (unlikely(!(h[k] = A(0))))
					alloc_failed(0);
		}
		for (unsigned k = 0; k < F_BATCH; k++)
			TOUCH(P(h[k]));
		if (BF) {
			BF(h, F_BATCH);
		} else {
			for (unsigned k = 0; k < F_BATCH; k++)
				F(h[k], 0);
		}
	}
}

/* (d2).  Spin, but yield the CPU when the other side is not running. */
static inline void spin_wait(unsigned spin)
{
	if (spin < 4096)
		__builtin_ia32_pause();
	else
		sched_yield();
}

AI void tpl_produce(alloc_fn A, addr_fn P, uint64_t n)
{
	struct ring *r = g.ring;
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	for (uint64_t i = 0; i < n; i++) {
		void *h = A(0);

		if (unlikely(!h))
			alloc_failed(0);
		TOUCH(P(h));
		for (unsigned spin = 0; tail - head >= RING_SIZE; spin++) {
			spin_wait(spin);
			head = atomic_load_explicit(&r->head, memory_order_acquire);
		}
		r->slot[tail % RING_SIZE] = h;
		atomic_store_explicit(&r->tail, ++tail, memory_order_release);
	}
}

AI void tpl_consume(free_fn F, uint64_t n)
{
	struct ring *r = g.ring;
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	for (uint64_t i = 0; i < n; i++) {
		void *h;

		for (unsigned spin = 0; head == tail; spin++) {
			spin_wait(spin);
			tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		}
		h = r->slot[head % RING_SIZE];
		atomic_store_explicit(&r->head, ++head, memory_order_release);
		F(h, 0);
	}
}

/*
 * One specialised, out-of-line copy of every case per allocator: the
 * allocator's calls are direct (or through one loaded pointer for the
 * preloaded peers), never through the benchmark's own indirection.
 */
struct impl {
	void (*a)(uint64_t n);
	void (*cg)(uint64_t n);
	void (*b)(uint64_t reps);
	void (*warm_b)(uint64_t reps);
	void (*fill)(bool warm);
	void (*empty)(void);
	void (*c)(uint64_t n);
	void (*c0)(uint64_t n);
	void (*warm_c)(uint64_t n);
	void (*prod)(uint64_t n);
	void (*cons)(uint64_t n);
	void (*e)(uint64_t n);
	void (*f)(uint64_t n);
};

/* BA, BF: the allocator's batch calls for (f), or NULL (DEFINE_IMPL) for loops of A and F. */
#define DEFINE_IMPL_BATCH(X, A, P, F, BA, BF)                                     \
	static NOINLINE void loop_a_##X(uint64_t n) { tpl_pairs(A, P, F, 0, n); } \
	static NOINLINE void cg_a_##X(uint64_t n) { tpl_pairs(A, P, F, 0, n); }   \
	static NOINLINE void loop_b_##X(uint64_t r) { tpl_batch(A, P, F, r, false); } \
	static NOINLINE void warm_b_##X(uint64_t r) { tpl_batch(A, P, F, r, true); } \
	static NOINLINE void fill_##X(bool warm) { tpl_fill(A, P, warm); }        \
	static NOINLINE void empty_##X(void) { tpl_empty(F); }                    \
	static NOINLINE void loop_c_##X(uint64_t n) { tpl_replace(A, P, F, n, true, false); } \
	static NOINLINE void loop_c0_##X(uint64_t n) { tpl_replace(A, P, F, n, false, false); } \
	static NOINLINE void warm_c_##X(uint64_t n) { tpl_replace(A, P, F, n, true, true); } \
	static NOINLINE void prod_##X(uint64_t n) { tpl_produce(A, P, n); }       \
	static NOINLINE void cons_##X(uint64_t n) { tpl_consume(F, n); }          \
	static NOINLINE void loop_e_##X(uint64_t n) { tpl_pairs(A, P, F, 9, n); } \
	static NOINLINE void loop_f_##X(uint64_t n) { tpl_batches(A, P, F, BA, BF, n); } \
	static const struct impl impl_##X = {                                     \
		loop_a_##X, cg_a_##X, loop_b_##X, warm_b_##X, fill_##X, empty_##X,  \
		loop_c_##X, loop_c0_##X, warm_c_##X, prod_##X, cons_##X, loop_e_##X, \
		loop_f_##X,                                                       \
	}
#define DEFINE_IMPL(X, A, P, F) DEFINE_IMPL_BATCH(X, A, P, F, NULL, NULL)

DEFINE_IMPL_BATCH(pmm, pmm_b_alloc, pmm_b_addr, pmm_b_free, pmm_b_alloc_bulk, pmm_b_free_bulk);
DEFINE_IMPL(limit, lim_alloc, limit_addr, lim_free);
DEFINE_IMPL(loop, loop_alloc, loop_addr, loop_free);
DEFINE_IMPL(glibc, glibc_alloc, glibc_addr, glibc_free);
DEFINE_IMPL(glibcu, glibcu_alloc, glibc_addr, glibc_free);
DEFINE_IMPL(je, je_alloc, glibc_addr, je_free);
DEFINE_IMPL(mi, mi_alloc, glibc_addr, mi_free);
DEFINE_IMPL(tc, tc_alloc, glibc_addr, tc_free);

static int setup_pmm(void) { return pmm_setup(true); }
static int setup_pmm_nopcp(void) { return pmm_setup(false); }
static int setup_none(void) { return 0; }

struct allocator {
	const char *name;      /* command-line name */
	const char *label;     /* table row */
	const char *preload;   /* LD_PRELOAD for its child, or NULL */
	int (*setup)(void);
	const struct impl *impl;
	bool aligned;          /* hands out page-aligned blocks (a fair peer) */
	bool peer;             /* counts as "what people use today" */
};

static const struct allocator allocators[] = {
	{ "pmm", "pmm (per-CPU lists)", NULL, setup_pmm, &impl_pmm, true, false },
	{ "pmm-nopcp", "pmm pcp=off", NULL, setup_pmm_nopcp, &impl_pmm, true, false },
	{ "limit", "limit (thread-local list)", NULL, lim_init, &impl_limit, true, false },
	{ "glibc", "glibc posix_memalign", NULL, setup_none, &impl_glibc, true, true },
	{ "glibc-malloc", "glibc malloc (unaligned)", NULL, setup_none, &impl_glibcu, false, true },
	{ "jemalloc", "jemalloc mallocx/sdallocx", "libjemalloc.so.2", je_setup, &impl_je, true, true },
	{ "mimalloc", "mimalloc mi_malloc_aligned", "libmimalloc.so.2", mi_setup, &impl_mi, true, true },
	{ "tcmalloc", "tcmalloc tc_memalign/tc_free_sized", "libtcmalloc_minimal.so.4", tc_setup,
	  &impl_tc, true, true },
	{ "loop", "loop only", NULL, setup_none, &impl_loop, true, false },
};
#define NALLOC (sizeof(allocators) / sizeof(allocators[0]))
#define NTABLE (NALLOC - 1) /* "loop" is only for instruction counts */

static const struct allocator *find_allocator(const char *name)
{
	for (unsigned i = 0; i < NALLOC; i++)
		if (!strcmp(allocators[i].name, name))
			return &allocators[i];
	return NULL;
}

/* ---------------------------------------------------------------- two worker threads */

static struct {
	pthread_t t[2];
	pthread_barrier_t start, done;
	void (*job[2])(uint64_t n);
	uint64_t n;
	double t0[2], t1[2];   /* wall */
	double c0[2], c1[2];   /* thread CPU time */
	bool quit;
} pool;

static void *worker(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&pool.start);
		if (pool.quit)
			return NULL;
		pool.c0[i] = cpu_ns();
		pool.t0[i] = now_ns();
		pool.job[i](pool.n);
		pool.t1[i] = now_ns();
		pool.c1[i] = cpu_ns();
		pthread_barrier_wait(&pool.done);
	}
}

static void pool_start(void)
{
	pthread_barrier_init(&pool.start, NULL, 3);
	pthread_barrier_init(&pool.done, NULL, 3);
	for (uintptr_t i = 0; i < 2; i++)
		if (pthread_create(&pool.t[i], NULL, worker, (void *)i)) {
			fprintf(stderr, "bench_alloc: pthread_create failed\n");
			exit(2);
		}
}

static void pool_stop(void)
{
	pool.quit = true;
	pthread_barrier_wait(&pool.start);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(pool.t[i], NULL);
}

/* A worker's job in a one-worker run of (d1). */
static void job_idle(uint64_t n)
{
	(void)n;
}

/* Run job0 and job1 on the two workers; return the wall time, *per_thread the mean CPU time. */
static double pool_run(void (*j0)(uint64_t), void (*j1)(uint64_t), uint64_t n, double *per_thread)
{
	pool.job[0] = j0;
	pool.job[1] = j1;
	pool.n = n;
	pthread_barrier_wait(&pool.start);
	pthread_barrier_wait(&pool.done);
	if (per_thread)
		*per_thread = ((pool.c1[0] - pool.c0[0]) + (pool.c1[1] - pool.c0[1])) / 2;
	return fmax(pool.t1[0], pool.t1[1]) - fmin(pool.t0[0], pool.t0[1]);
}

/* ---------------------------------------------------------------- child: the cases */

enum { C_A, C_B, C_C, C_C0, C_D1, C_D2, C_E, C_F, NCASES };

static const struct case_info {
	const char *key;       /* --only name and result key */
	const char *head;      /* table column */
	uint64_t pilot, min, max;
	double ops_per_n;      /* operations per unit of n */
} cases[NCASES] = {
	[C_A] = { "a", "(a) order-0 pair", 100000, 100000, 50000000, 1 },
	[C_B] = { "b", "(b) 100k then random free", 1, 1, 50, NB },
	[C_C] = { "c", "(c) orders 0-3, 50k live", 100000, 100000, 4000000, 1 },
	[C_C0] = { "c0", "(c) without touch", 100000, 100000, 4000000, 1 },
	[C_D1] = { "d1", "(d1) 2 threads, per thread", 100000, 100000, 50000000, 1 },
	[C_D2] = { "d2", "(d2) producer/consumer", 50000, 50000, 10000000, 1 },
	[C_E] = { "e", "(e) order-9 pair", 2000, 2000, 10000000, 1 },
	[C_F] = { "f", "(f) batches of 32, per block", 3125, 3125, 50000000 / F_BATCH, F_BATCH },
};

/*
 * Run case @c once with @n (@warm: a warm-up run).  Return: elapsed ns of
 * the timed part; *flt gets the host page faults taken in it, *aux for
 * (d1) the mean per-thread ns.
 */
static double run_case(const struct impl *im, int c, uint64_t n, bool warm, long *flt,
		       double *aux)
{
	double t0, t = 0;
	long f0;

	if (c == C_C || c == C_C0) {
		if (g.step_pos + n > g.max_steps)
			g.step_pos = 0;
	}
	f0 = minflt();
	t0 = cpu_ns();
	switch (c) {
	case C_A:
		im->a(n);
		break;
	case C_B:
		(warm ? im->warm_b : im->b)(n);
		break;
	case C_C:
	case C_C0:
		(warm ? im->warm_c : c == C_C ? im->c : im->c0)(n);
		break;
	case C_D1:
		t0 = 0;
		t = pool_run(im->a, im->a, n, aux);
		break;
	case C_D2:
		atomic_store(&g.ring->head, 0);
		atomic_store(&g.ring->tail, 0);
		t0 = 0;
		t = pool_run(im->prod, im->cons, n, NULL);
		break;
	case C_E:
		im->e(n);
		break;
	case C_F:
		im->f(n);
		break;
	}
	if (t0 != 0)
		t = cpu_ns() - t0;
	*flt = minflt() - f0;
	if (c == C_C || c == C_C0)
		g.step_pos += n;
	return t;
}

static bool only_has(const char *only, const char *key)
{
	size_t k = strlen(key);

	if (!only)
		return true;
	for (const char *p = only; *p;) {
		size_t l = strcspn(p, ",");

		if (l == k && !strncmp(p, key, k))
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

/* Every block must be page-aligned where the row promises it. */
static int check_alignment(const struct allocator *al)
{
	if (!al->aligned)
		return 0;
	for (unsigned o = 0; o <= 9; o += (o == 3 ? 6 : 1)) {
		void *h = NULL;
		uintptr_t a;

		if (al->impl == &impl_pmm)
			h = pmm_b_alloc(o), a = (uintptr_t)pmm_b_addr(h), pmm_b_free(h, o);
		else if (al->impl == &impl_limit)
			h = lim_alloc(o), a = (uintptr_t)h, lim_free(h, o);
		else if (al->impl == &impl_glibc)
			h = glibc_alloc(o), a = (uintptr_t)h, glibc_free(h, o);
		else if (al->impl == &impl_je)
			h = je_alloc(o), a = (uintptr_t)h, je_free(h, o);
		else if (al->impl == &impl_mi)
			h = mi_alloc(o), a = (uintptr_t)h, mi_free(h, o);
		else if (al->impl == &impl_tc)
			h = tc_alloc(o), a = (uintptr_t)h, tc_free(h, o);
		else
			return 0;
		if (!h || (a & (PEER_ALIGN - 1))) {
			fprintf(stderr, "bench_alloc: %s: order %u block %p is not page-aligned\n",
				al->name, o, (void *)a);
			return -1;
		}
	}
	return 0;
}

static int child_main(const struct allocator *al, unsigned runs, const char *only, uint64_t cg)
{
	const struct impl *im = al->impl;
	bool threaded;

	if (al->setup() || check_alignment(al))
		return 1;
	if (cg) {
		/* Warm the path up, then count exactly N pairs inside cg_a_*(). */
		im->a(cg);
		im->cg(cg);
		printf("CG %s %llu\n", al->name, (unsigned long long)cg);
		return 0;
	}
	case_data_init();
	/*
	 * The two worker threads exist only in a child that runs a two-thread
	 * case: a single-thread case runs in a single-threaded process, as a
	 * single-threaded program would call the allocator (glibc's malloc,
	 * and pmm's refcount drop, skip their atomics then).
	 */
	threaded = only_has(only, cases[C_D1].key) || only_has(only, cases[C_D2].key);
	if (threaded)
		pool_start();
	for (int c = 0; c < NCASES; c++) {
		const struct case_info *ci = &cases[c];
		double v[MAX_RUNS], aux[MAX_RUNS], t, per, thr, tcase = now_ns();
		uint64_t n;
		long flt, f;

		if (!only_has(only, ci->key))
			continue;
		/*
		 * Pilot to size the runs, then warm up until a run takes no more
		 * host page faults than 1 per 10 000 operations (the allocator has
		 * touched all the memory it will reuse), within WARM_MAX runs and
		 * WARM_NS of warm-up.  An allocator that returns memory to the host
		 * keeps faulting; those faults are its own and stay in its times.
		 */
		if (c == C_C || c == C_C0)
			im->fill(true); /* the live set stays from here to the last run */
		t = run_case(im, c, ci->pilot, true, &f, &per);
		n = (uint64_t)((double)ci->pilot * TARGET_NS / fmax(t, 1));
		n = n < ci->min ? ci->min : n > ci->max ? ci->max : n;
		thr = (double)n * ci->ops_per_n / 1e4;
		for (unsigned w = 0; w < WARM_MAX; w++) {
			if ((n == ci->pilot || w > 0) && (double)f <= thr)
				break;
			if (w > 0 && now_ns() - tcase > WARM_NS)
				break;
			run_case(im, c, n, true, &f, &per);
			if (getenv("BENCH_ALLOC_DEBUG"))
				fprintf(stderr, "[%s warm-up %u: n=%llu, %ld faults, %.1f s]\n", ci->key,
					w, (unsigned long long)n, f, (now_ns() - tcase) / 1e9);
		}
		/*
		 * One untimed run as the timed ones run (first bytes only):
		 * warm-up runs write every page of each block, and the run
		 * after them inherits caches and TLBs full of that, which later
		 * runs of the case do not.
		 */
		run_case(im, c, n, false, &f, &per);
		flt = 0;
		for (unsigned r = 0; r < runs; r++) {
			t = run_case(im, c, n, false, &f, &per);
			flt += f;
			v[r] = t / ((double)n * ci->ops_per_n);
			aux[r] = per / ((double)n * ci->ops_per_n);
		}
		printf("R %s %.3f %ld %llu\n", ci->key, median(v, runs), flt,
		       (unsigned long long)n);
		if (c == C_D1) {
			/*
			 * One worker alone, the other idle, in the same
			 * threaded process: the "one thread" of the
			 * 2T/1T ratio, so that it measures scaling and
			 * not single-threaded shortcuts that (a), in
			 * its single-threaded child, may take.
			 */
			printf("R d1t %.3f 0 0\n", median(aux, runs));
			for (unsigned r = 0; r < runs; r++)
				v[r] = pool_run(im->a, job_idle, n, NULL) / (double)n;
			printf("R d1one %.3f 0 0\n", median(v, runs));
		}
		printf("T %s %.1f\n", ci->key, (now_ns() - tcase) / 1e9);
		if (c == C_C || c == C_C0)
			im->empty();
		fflush(stdout);
	}
	if (threaded)
		pool_stop();
	if (al->impl == &impl_pmm) {
		char why[256];

		if (pmm_validate(bench_machine, why, sizeof(why))) {
			fprintf(stderr, "bench_alloc: %s: machine inconsistent after the run: %s\n",
				al->name, why);
			return 1;
		}
		pmm_destroy(bench_machine);
	}
	return 0;
}

/* ---------------------------------------------------------------- parent */

#define C_D1T NCASES       /* slot for (d1) per-thread ns */
#define C_D1ONE (NCASES + 1) /* slot for (d1)'s one-worker wall time per pair */
#define NSLOTS (NCASES + 2)

struct result {
	bool ok;
	double med[NSLOTS], lo[NSLOTS], hi[NSLOTS];
	double v[NSLOTS][MAX_RUNS]; /* each round's value, until result_finish() */
	unsigned nv[NSLOTS];
	long flt[NSLOTS];   /* host page faults in all timed runs */
	double n[NSLOTS];   /* n of each timed run */
	bool have[NSLOTS];
	double cg_ir; /* instructions per pair under callgrind, <0 if absent */
};

static int case_index(const char *key)
{
	if (!strcmp(key, "d1t"))
		return C_D1T;
	if (!strcmp(key, "d1one"))
		return C_D1ONE;
	for (int c = 0; c < NCASES; c++)
		if (!strcmp(cases[c].key, key))
			return c;
	return -1;
}

static char self_exe[4096];

/* Environment for a child: ours without LD_PRELOAD, plus @preload. */
static char **child_env(const char *preload, char *buf, size_t bufsize)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		exit(2);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[k++] = environ[i];
	if (preload) {
		snprintf(buf, bufsize, "LD_PRELOAD=%s", preload);
		env[k++] = buf;
	}
	env[k] = NULL;
	return env;
}

/* Spawn @argv with @preload; feed each stdout line to @line. Return the exit status. */
static int spawn_collect(char *const argv[], const char *preload, bool quiet_stderr,
			 void (*line)(void *ctx, char *l), void *ctx)
{
	posix_spawn_file_actions_t fa;
	char pre[256], buf[512];
	char **env = child_env(preload, pre, sizeof(pre));
	int fd[2], status = -1;
	pid_t pid;
	FILE *f;

	if (pipe(fd))
		exit(2);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	if (quiet_stderr)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, env)) {
		fprintf(stderr, "bench_alloc: cannot run %s\n", argv[0]);
		close(fd[0]);
		close(fd[1]);
		free(env);
		return -1;
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	while (f && fgets(buf, sizeof(buf), f))
		line(ctx, buf);
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return status;
}

static void result_line(void *ctx, char *l)
{
	struct result *r = ctx;
	char key[16];
	double med, n = 0;
	long flt;
	int c;

	if (sscanf(l, "T %15s %lf", key, &med) == 2) {
		fprintf(stderr, ".");
		return;
	}
	if (sscanf(l, "R %15s %lf %ld %lf", key, &med, &flt, &n) < 3)
		return;
	c = case_index(key);
	if (c < 0 || r->nv[c] >= MAX_RUNS)
		return;
	/* One value per child (the median of its runs; the parent runs one); rounds make the spread. */
	r->v[c][r->nv[c]++] = med;
	r->flt[c] += flt;
	r->n[c] = n;
	r->have[c] = true;
}

/* Median and spread of the rounds each slot of @r got. */
static void result_finish(struct result *r)
{
	for (int c = 0; c < NSLOTS; c++) {
		if (!r->nv[c])
			continue;
		r->med[c] = median(r->v[c], r->nv[c]); /* sorts */
		r->lo[c] = r->v[c][0];
		r->hi[c] = r->v[c][r->nv[c] - 1];
	}
}

/*
 * Run case @key of @al in a fresh child, so that no case inherits the heap
 * another case left behind (tcmalloc's 2 MiB allocations, for one, are 9x
 * slower right after (c) has freed its 50 000 blocks).
 */
static void run_child(const struct allocator *al, unsigned runs, const char *key,
		      struct result *r)
{
	char runs_s[16];
	char *argv[] = { self_exe, "--child", (char *)al->name, "--runs", runs_s,
			 "--only", (char *)key, NULL };
	int st;

	snprintf(runs_s, sizeof(runs_s), "%u", runs);
	st = spawn_collect(argv, al->preload, false, result_line, r);
	if (st != 0) {
		r->ok = false;
		fprintf(stderr, "bench_alloc: %s (%s): child failed (status %d)\n", al->name, key,
			st);
	}
}

/* ---------------------------------------------------------------- callgrind */

static void ignore_line(void *ctx, char *l)
{
	(void)ctx;
	(void)l;
}

static double callgrind_totals(const char *path)
{
	char buf[512];
	double v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "totals:", 7) || (v < 0 && !strncmp(buf, "summary:", 8)))
			v = strtod(strchr(buf, ':') + 1, NULL);
	}
	fclose(f);
	return v;
}

static double run_callgrind(const struct allocator *al, const char *dir, uint64_t iters)
{
	char out[4200], outarg[4300], logarg[4300], n_s[32];
	char *argv[] = { "valgrind", "--tool=callgrind", "--collect-atstart=no",
			 "--toggle-collect=cg_a_*", outarg, logarg, self_exe, "--child",
			 (char *)al->name, "--cg", n_s, NULL };
	double total;
	int st;

	snprintf(out, sizeof(out), "%s/callgrind.%s.out", dir, al->name);
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	snprintf(logarg, sizeof(logarg), "--log-file=%s/callgrind.%s.log", dir, al->name);
	snprintf(n_s, sizeof(n_s), "%llu", (unsigned long long)iters);
	st = spawn_collect(argv, al->preload, true, ignore_line, NULL);
	if (st != 0) {
		fprintf(stderr, "bench_alloc: callgrind of %s failed (status %d; log in %s)\n",
			al->name, st, dir);
		return -1;
	}
	total = callgrind_totals(out);
	return total < 0 ? -1 : total / (double)iters;
}

/* Self instructions per pair of each function in @al's callgrind profile. */
struct fn_cost {
	char name[96];
	double ir;
};

static int cmp_cost(const void *a, const void *b)
{
	double x = ((const struct fn_cost *)a)->ir, y = ((const struct fn_cost *)b)->ir;

	return x > y ? -1 : x < y;
}

static void print_breakdown(const struct allocator *al, const char *dir, uint64_t iters)
{
	static struct fn_cost fns[256];
	char cmd[4400], buf[1024];
	unsigned nfn = 0;
	double getcpu = 0, total = 0;
	FILE *p;

	/*
	 * callgrind_annotate lists "Ir (pct) file:function [object]"; with
	 * debug info a function's inlined lines are listed under the header
	 * they came from, so costs are summed by function name.
	 */
	snprintf(cmd, sizeof(cmd),
		 "callgrind_annotate --inclusive=no --auto=no --threshold=100 "
		 "%s/callgrind.%s.out 2>/dev/null", dir, al->name);
	p = popen(cmd, "r");
	if (!p)
		return;
	memset(fns, 0, sizeof(fns));
	while (fgets(buf, sizeof(buf), p)) {
		char *s = buf, *fn, *end;
		double ir = 0;
		unsigned k;

		while (*s == ' ')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			continue;
		for (; (*s >= '0' && *s <= '9') || *s == ','; s++)
			if (*s != ',')
				ir = ir * 10 + (*s - '0');
		while (*s == ' ')
			s++;
		if (*s == '(' && strchr(s, ')'))
			s = strchr(s, ')') + 1;
		while (*s == ' ')
			s++;
		if ((end = strstr(s, " [")))
			*end = 0;
		s[strcspn(s, "\n")] = 0;
		if (!strcmp(s, "PROGRAM TOTALS") || !(fn = strrchr(s, ':')))
			continue;
		fn++;
		if (!strncmp(fn, "cg_a_", 5))
			fn = "(benchmark loop)";
		for (k = 0; k < nfn && strcmp(fns[k].name, fn); k++)
			;
		if (k == nfn) {
			if (nfn == sizeof(fns) / sizeof(fns[0]))
				continue;
			snprintf(fns[nfn++].name, sizeof(fns[0].name), "%s", fn);
		}
		fns[k].ir += ir / (double)iters;
		total += ir / (double)iters;
		if (strstr(fn, "getcpu"))
			getcpu += ir / (double)iters;
	}
	pclose(p);
	qsort(fns, nfn, sizeof(fns[0]), cmp_cost);
	printf("\nInstructions per pair by function (self cost, inlined code counted in its "
	       "caller), %s, case (a):\n\n| function | Ir/pair |\n|---|---:|\n", al->label);
	for (unsigned k = 0; k < nfn; k++)
		if (fns[k].ir >= 0.5)
			printf("| %s | %.1f |\n", fns[k].name, fns[k].ir);
	printf("| **total** | %.1f |\n", total);
	if (getcpu > 0)
		printf("\nValgrind has no rseq, so under callgrind pmm finds its CPU with "
		       "sched_getcpu(): %.1f Ir/pair in *getcpu* functions that a native run "
		       "replaces with an rseq read.\n", getcpu);
}

/* ---------------------------------------------------------------- table */

static void cell(const struct result *r, int c)
{
	if (!r->ok && !r->have[c])
		printf(" failed |");
	else if (!r->have[c])
		printf(" – |");
	else
		printf(" %.1f |", r->med[c]);
}

static double scaling(const struct result *r)
{
	if (!r->have[C_D1ONE] || !r->have[C_D1] || r->med[C_D1] <= 0)
		return -1;
	return 2 * r->med[C_D1ONE] / r->med[C_D1];
}

static void print_table(const struct result *res, const bool *sel)
{
	static const int cols[] = { C_A, C_B, C_C, C_C0, C_D1T, -1, C_D2, C_E, C_F };
	const unsigned ncols = sizeof(cols) / sizeof(cols[0]);

	printf("| allocator |");
	for (unsigned k = 0; k < ncols; k++) {
		int c = cols[k];

		printf(" %s |", c == C_D1T ? "(d1) 2 threads, CPU ns/thread" : c < 0 ? "(d1) 2T/1T (wall)" : cases[c].head);
	}
	printf("\n|---|");
	for (unsigned k = 0; k < ncols; k++)
		printf("---:|");
	printf("\n");
	for (unsigned i = 0; i < NTABLE; i++) {
		if (!sel[i])
			continue;
		printf("| %s |", allocators[i].label);
		for (unsigned k = 0; k < ncols; k++) {
			if (cols[k] >= 0) {
				cell(&res[i], cols[k]);
			} else {
				double s = scaling(&res[i]);

				if (s < 0)
					printf(" – |");
				else
					printf(" %.2f |", s);
			}
		}
		printf("\n");
	}

	/* Ratios against the best page-aligned peer of each column. */
	for (unsigned who = 0; who < 2; who++) {
		const struct result *p = &res[who];

		if (!sel[who] || !p->ok)
			continue;
		printf("| **%s / best peer** |", allocators[who].name);
		for (unsigned k = 0; k < ncols; k++) {
			int c = cols[k], best = -1;
			double bv = 0;

			for (unsigned i = 0; i < NTABLE; i++) {
				double v;

				if (!sel[i] || !allocators[i].peer || !allocators[i].aligned || !res[i].ok)
					continue;
				v = c < 0 ? scaling(&res[i]) : res[i].have[c] ? res[i].med[c] : -1;
				if (v <= 0)
					continue;
				if (best < 0 || (c < 0 ? v > bv : v < bv))
					best = (int)i, bv = v;
			}
			if (best < 0 || (c >= 0 && !p->have[c]) || (c < 0 && scaling(p) < 0)) {
				printf(" – |");
				continue;
			}
			printf(" %.2f (%s) |", (c < 0 ? scaling(p) : p->med[c]) / bv,
			       allocators[best].name);
		}
		printf("\n");
	}
}

static void print_spread(const struct result *res, const bool *sel, unsigned runs)
{
	static const int cols[] = { C_A, C_B, C_C, C_C0, C_D1, C_D2, C_E, C_F };
	bool faults = false;

	printf("\nSpread (min–max of %u rounds, ns; (d1) is wall time per pair with 2 threads):\n\n",
	       runs);
	printf("| allocator | a | b | c | c0 | d1 wall | d2 | e | f |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (unsigned i = 0; i < NTABLE; i++) {
		if (!sel[i])
			continue;
		printf("| %s |", allocators[i].name);
		for (unsigned k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			const struct result *r = &res[i];
			int c = cols[k];

			if (r->have[c])
				printf(" %.1f–%.1f |", r->lo[c], r->hi[c]);
			else
				printf(" – |");
			if (r->have[c] && r->flt[c] > 0)
				faults = true;
		}
		printf("\n");
	}
	if (faults) {
		printf("\nHost page faults per 1000 operations during the timed runs (their cost, "
		       "10-14 us each on a VM, is in the times above):");
		for (unsigned i = 0; i < NTABLE; i++)
			for (int c = 0; c < NCASES; c++)
				if (sel[i] && res[i].have[c] && res[i].flt[c] > 0 && res[i].n[c] > 0)
					printf(" %s/%s=%.3g", allocators[i].name, cases[c].key,
					       1000.0 * (double)res[i].flt[c] /
						       (runs * res[i].n[c] * cases[c].ops_per_n));
		printf("\n");
	} else {
		printf("\nNo host page faults during any timed run.\n");
	}
}

static void print_host(int argc, char **argv)
{
	char buf[256], model[256] = "?";
	struct utsname u;
	double load[1];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "model name", 10) && strchr(buf, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(buf, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	if (getloadavg(load, 1) == 1 && load[0] > 0.5)
		printf("WARNING: load average %.2f before the run: other work shares the CPUs and "
		       "the times below are inflated (instruction counts are not).\n", load[0]);
	printf("bench_alloc:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\nhost: %s, %ld CPUs, Linux %s; compiler %s\n\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       u.release, __VERSION__);
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_alloc [--runs N] [--only a,b,c,c0,d1,d2,e,f] [--no-callgrind]\n"
			"                   [--cg-iters N] [--cg-dir DIR] [ALLOCATOR...]\n"
			"allocators:");
	for (unsigned i = 0; i < NTABLE; i++)
		fprintf(stderr, " %s", allocators[i].name);
	fprintf(stderr, "\n");
	return 2;
}

static int rm_dir(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(int argc, char **argv)
{
	const char *child = NULL, *only = NULL, *cg_dir = NULL;
	unsigned runs = 5;
	uint64_t cg = 0, cg_iters = CG_DEFAULT_ITERS;
	bool callgrind = true, sel[NALLOC] = { false }, any = false;
	static struct result res[NALLOC];
	double loop_ir = -1, t_start = now_ns();
	char tmpdir[] = "/tmp/bench_alloc.XXXXXX";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--child") && i + 1 < argc)
			child = argv[++i];
		else if (!strcmp(a, "--runs") && i + 1 < argc)
			runs = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(a, "--cg") && i + 1 < argc)
			cg = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--cg-iters") && i + 1 < argc)
			cg_iters = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--cg-dir") && i + 1 < argc)
			cg_dir = argv[++i];
		else if (!strcmp(a, "--no-callgrind"))
			callgrind = false;
		else if (find_allocator(a))
			sel[find_allocator(a) - allocators] = any = true;
		else
			return usage();
	}
	if (runs < 1 || runs > MAX_RUNS || cg_iters < 1)
		return usage();
	if (child) {
		const struct allocator *al = find_allocator(child);

		return al ? child_main(al, runs, only, cg) : usage();
	}
	if (!any)
		for (unsigned i = 0; i < NTABLE; i++)
			sel[i] = true;

	{
		ssize_t l = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

		if (l <= 0)
			return 2;
		self_exe[l] = 0;
	}
	print_host(argc, argv);
	for (unsigned i = 0; i < NTABLE; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].ok = true;
		res[i].cg_ir = -1;
	}
	/*
	 * Rounds: each round runs every case once for every allocator, case
	 * by case, so that the allocators' runs of a case lie seconds apart
	 * and a slow spell of the host (a shared VM's come and go over
	 * minutes) falls on all of them, not on whichever ran then.
	 */
	for (unsigned round = 0; round < runs; round++) {
		double t0 = now_ns();

		fprintf(stderr, "bench_alloc: round %u/%u ...", round + 1, runs);
		for (int c = 0; c < NCASES; c++) {
			if (!only_has(only, cases[c].key))
				continue;
			fprintf(stderr, " %s", cases[c].key);
			for (unsigned i = 0; i < NTABLE; i++)
				if (sel[i])
					run_child(&allocators[i], 1, cases[c].key, &res[i]);
		}
		fprintf(stderr, " = %.1f s\n", (now_ns() - t0) / 1e9);
	}
	for (unsigned i = 0; i < NTABLE; i++)
		result_finish(&res[i]);
	printf("ns per operation, median of %u rounds (each round runs every case of every "
	       "allocator once, case by case); thread CPU time except (d1) 2T/1T and (d2), "
	       "which are wall time (lower is better; 2T/1T: higher is better, 2.00 = perfect).\n\n",
	       runs);
	print_table(res, sel);
	print_spread(res, sel, runs);

	if (callgrind && system("valgrind --version >/dev/null 2>&1") != 0) {
		printf("\n(valgrind not found: no instruction counts)\n");
		callgrind = false;
	}
	if (callgrind) {
		const char *dir = cg_dir;

		if (dir)
			mkdir(dir, 0755);
		else if (!(dir = mkdtemp(tmpdir)))
			return 2;
		fprintf(stderr, "bench_alloc: callgrind ...\n");
		loop_ir = run_callgrind(&allocators[NALLOC - 1], dir, cg_iters);
		for (unsigned i = 0; i < NTABLE; i++)
			if (sel[i])
				res[i].cg_ir = run_callgrind(&allocators[i], dir, cg_iters);
		printf("\nInstructions per order-0 alloc+touch+free pair, case (a), callgrind, "
		       "%llu pairs after warm-up; loop only = %.1f:\n\n",
		       (unsigned long long)cg_iters, loop_ir);
		printf("| allocator | Ir/pair | minus loop |\n|---|---:|---:|\n");
		for (unsigned i = 0; i < NTABLE; i++) {
			if (!sel[i])
				continue;
			if (res[i].cg_ir < 0)
				printf("| %s | failed | |\n", allocators[i].label);
			else
				printf("| %s | %.1f | %.1f |\n", allocators[i].label, res[i].cg_ir,
				       res[i].cg_ir - loop_ir);
		}
		for (unsigned i = 0; i < 2; i++)
			if (sel[i] && res[i].cg_ir >= 0)
				print_breakdown(&allocators[i], dir, cg_iters);
		if (cg_dir)
			printf("\ncallgrind profiles: %s/callgrind.<allocator>.out\n", cg_dir);
		else
			rm_dir(dir);
	}
	printf("\ntotal time %.0f s\n", (now_ns() - t_start) / 1e9);
	return 0;
}
