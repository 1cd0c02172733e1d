// SPDX-License-Identifier: MIT
/*
 * Stack depot, stack capture and symbolization.
 *
 * Each test builds its own depot over a counting test platform (mmap pools,
 * malloc bookkeeping, captured log), so tests are independent and can check
 * that every pool and table went back to the platform.
 */
#include "harness.h"

#include <pthread.h>
#include <regex.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pmm/errno.h>

#include "ext/stackdepot.h"
#include "lib/jhash.h"
#include "platform/stacktrace.h"
#include "platform/symbolize.h"

/* A handle without its extra bits. */
#define HANDLE_MASK_TEST 0x07ffffffu

#ifdef __clang__
#define TEST_NOINLINE __attribute__((noinline))
#else
#define TEST_NOINLINE __attribute__((noinline, noclone))
#endif

/* ------------------------------------------------------------ test platform */

struct tplat {
	struct pmm_platform ops;
	pthread_mutex_t mu;
	long reserved;         /* reservations outstanding */
	long allocated;        /* alloc() blocks outstanding */
	unsigned long reserves;
	unsigned long fail_reserve_after; /* fail every reserve after this many (0: never) */
	char log[8192];
	size_t loglen;
	unsigned nlog;
};

static void *tp_reserve(void *ctx, size_t size, size_t align)
{
	struct tplat *t = ctx;
	void *p;

	(void)align;
	pthread_mutex_lock(&t->mu);
	if (t->fail_reserve_after && t->reserves >= t->fail_reserve_after) {
		pthread_mutex_unlock(&t->mu);
		return NULL;
	}
	t->reserves++;
	pthread_mutex_unlock(&t->mu);
	p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	__atomic_add_fetch(&t->reserved, 1, __ATOMIC_RELAXED);
	return p;
}

static void tp_release(void *ctx, void *addr, size_t size)
{
	struct tplat *t = ctx;

	munmap(addr, size);
	__atomic_sub_fetch(&t->reserved, 1, __ATOMIC_RELAXED);
}

static int tp_commit(void *ctx, void *addr, size_t size, unsigned flags)
{
	(void)ctx;
	(void)flags;
	return mprotect(addr, size, PROT_READ | PROT_WRITE) ? -PMM_ENOMEM : 0;
}

static void *tp_alloc(void *ctx, size_t size)
{
	struct tplat *t = ctx;
	void *p = malloc(size);

	if (p)
		__atomic_add_fetch(&t->allocated, 1, __ATOMIC_RELAXED);
	return p;
}

static void tp_free(void *ctx, void *ptr, size_t size)
{
	struct tplat *t = ctx;

	(void)size;
	free(ptr);
	__atomic_sub_fetch(&t->allocated, 1, __ATOMIC_RELAXED);
}

static void tp_log(void *ctx, int level, const char *msg)
{
	struct tplat *t = ctx;
	size_t n = strlen(msg);

	(void)level;
	pthread_mutex_lock(&t->mu);
	if (t->loglen + n < sizeof(t->log)) {
		memcpy(t->log + t->loglen, msg, n + 1);
		t->loglen += n;
	}
	t->nlog++;
	pthread_mutex_unlock(&t->mu);
}

static void tplat_init(struct tplat *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->ops.name = "test";
	t->ops.ctx = t;
	t->ops.reserve = tp_reserve;
	t->ops.release = tp_release;
	t->ops.commit = tp_commit;
	t->ops.alloc = tp_alloc;
	t->ops.free = tp_free;
	t->ops.log = tp_log;
	t->ops.page_size = 4096;
}

static void tplat_clear_log(struct tplat *t)
{
	t->log[0] = '\0';
	t->loglen = 0;
	t->nlog = 0;
}

/* Nothing the depot took from the platform is still out. */
static void tplat_assert_clean(struct tplat *t)
{
	assert_int_equal(t->reserved, 0);
	assert_int_equal(t->allocated, 0);
	pthread_mutex_destroy(&t->mu);
}

static void depot_setup(struct stack_depot *d, struct tplat *t, const struct depot_options *o)
{
	tplat_init(t);
	assert_int_equal(depot_init(d, &t->ops, o), 0);
	tplat_clear_log(t);
}

/* A made-up trace of @n frames, distinct for each @id. */
static void fake_stack(uintptr_t *e, unsigned n, unsigned long id)
{
	for (unsigned i = 0; i < n; i++)
		e[i] = 0xffffffff81000000ul + id * 0x1000 + i * 0x10 + 1;
}

/* ------------------------------------------------------------------- jhash */

static void test_jhash(void **state)
{
	uint32_t k[4] = { 1, 2, 3, 4 };

	(void)state;
	/* lookup3: no words means the initial state is returned unmixed. */
	assert_int_equal(jhash2(k, 0, 0), 0xdeadbeefu);
	assert_int_equal(jhash2(k, 0, DEPOT_HASH_SEED), 0xdeadbeefu + DEPOT_HASH_SEED);
	/* Every word and the seed matter. */
	assert_int_not_equal(jhash2(k, 4, 0), jhash2(k, 3, 0));
	assert_int_not_equal(jhash2(k, 4, 0), jhash2(k, 4, 1));
	k[3] = 5;
	assert_int_not_equal(jhash2(k, 4, 0), jhash2((uint32_t[]){ 1, 2, 3, 4 }, 4, 0));
}

/* ---------------------------------------------------------------- the depot */

static void test_dedup(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t a[16], b[16], a2[16];
	depot_stack_handle_t ha, hb, ha2, hshort;
	struct depot_stats st;

	(void)state;
	depot_setup(&d, &t, NULL);
	fake_stack(a, 16, 1);
	fake_stack(b, 16, 2);
	memcpy(a2, a, sizeof(a));
	ha = depot_save(&d, a, 16);
	hb = depot_save(&d, b, 16);
	ha2 = depot_save(&d, a2, 16);
	hshort = depot_save(&d, a, 15); /* a prefix is a different stack */
	assert_int_not_equal(ha, 0);
	assert_int_not_equal(hb, 0);
	assert_int_equal(ha, ha2);
	assert_int_not_equal(ha, hb);
	assert_int_not_equal(hshort, ha);
	assert_int_not_equal(hshort, hb);
	depot_get_stats(&d, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(depot_save(&d, a, 0), 0);
	assert_int_equal(depot_save(&d, NULL, 3), 0);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_handle_layout_61(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[64];
	unsigned long id = 0;
	size_t off = 0;

	(void)state;
	depot_setup(&d, &t, NULL);
	/* 6.1: record = ALIGN(24 + 8 n, 16); offset in 16-byte units at bit 16. */
	static const struct {
		unsigned n, units;
	} seq[] = { { 16, 10 }, { 1, 2 }, { 2, 3 }, { 3, 3 }, { 4, 4 }, { 64, 34 } };
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		fake_stack(e, seq[i].n, ++id);
		assert_int_equal(depot_save(&d, e, seq[i].n), 0x04000000u | (off / 16) << 16);
		off += seq[i].units * 16;
	}
	/* Fill pool 0 with 16-frame records until one no longer fits. */
	while (off + 160 <= DEPOT_POOL_SIZE) {
		fake_stack(e, 16, ++id);
		assert_int_equal(depot_save(&d, e, 16), 0x04000000u | (off / 16) << 16);
		off += 160;
	}
	fake_stack(e, 16, ++id);
	assert_int_equal(depot_save(&d, e, 16), 0x04000001u); /* pool 1, offset 0 */
	fake_stack(e, 16, ++id);
	assert_int_equal(depot_save(&d, e, 16), 0x040a0001u);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_handle_layout_68(void **state)
{
	struct depot_options o = { .layout = DEPOT_LAYOUT_6_8 };
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[16];

	(void)state;
	depot_setup(&d, &t, &o);
	/* pool_index_plus_1:17 | offset:10 at bit 17; record = ALIGN(32 + 8 n, 16) */
	fake_stack(e, 16, 1);
	assert_int_equal(depot_save(&d, e, 16), 0x00000001u);
	fake_stack(e, 1, 2);
	assert_int_equal(depot_save(&d, e, 1), 0x00000001u | 10u << 17);
	fake_stack(e, 16, 3);
	assert_int_equal(depot_save(&d, e, 16), 0x00000001u | 13u << 17);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_fetch_round_trip(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[100];
	const uintptr_t *got;
	depot_stack_handle_t h[65];

	(void)state;
	depot_setup(&d, &t, NULL);
	for (unsigned n = 1; n <= 64; n++) {
		fake_stack(e, n, n);
		h[n] = depot_save(&d, e, n);
		assert_int_not_equal(h[n], 0);
	}
	for (unsigned n = 1; n <= 64; n++) {
		fake_stack(e, n, n);
		assert_int_equal(depot_fetch(&d, h[n], &got), n);
		assert_memory_equal(got, e, n * sizeof(uintptr_t));
	}
	/* Longer than DEPOT_MAX_FRAMES: stored truncated. */
	fake_stack(e, 100, 1000);
	h[0] = depot_save(&d, e, 100);
	assert_int_equal(depot_fetch(&d, h[0], &got), DEPOT_MAX_FRAMES);
	assert_int_equal(depot_save(&d, e, DEPOT_MAX_FRAMES), h[0]);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_invalid_handles(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[16];
	const uintptr_t *got = (const uintptr_t *)1;
	depot_stack_handle_t h1, h2;

	(void)state;
	depot_setup(&d, &t, NULL);
	fake_stack(e, 16, 1);
	h1 = depot_save(&d, e, 16);
	fake_stack(e, 3, 2);
	h2 = depot_save(&d, e, 3);
	assert_int_equal(h2, 0x040a0000u);

	assert_int_equal(depot_fetch(&d, 0, &got), 0);
	assert_null(got);
	/* Only extra bits: the "no stack" handle of an empty save, silently 0. */
	assert_int_equal(depot_fetch(&d, 0xf8000000u, &got), 0);
	assert_int_equal(t.nlog, 0);

	/* Past the last pool: the kernel's message. */
	assert_int_equal(depot_fetch(&d, 0x04000005u, &got), 0);
	assert_null(got);
	assert_string_equal(t.log, "slab index 5 out of bounds (0) for stack id 04000005\n");
	tplat_clear_log(&t);

	/* Valid bit clear, offset past the used part, offset inside a record. */
	assert_int_equal(depot_fetch(&d, h2 & ~0x04000000u, &got), 0);
	assert_int_equal(depot_fetch(&d, 0x04000000u | 500u << 16, &got), 0);
	assert_int_equal(depot_fetch(&d, 0x04000000u | 4u << 16, &got), 0);
	assert_int_equal(depot_fetch(&d, 0x040b0000u, &got), 0); /* inside h2's record */
	assert_int_equal(t.nlog, 4);
	assert_int_equal(depot_count_add(&d, 0x04000005u, 1), 0);
	assert_int_equal(depot_count_get(&d, 0x04000000u | 4u << 16), 0);

	/* Random garbage never crashes and never names a record by accident. */
	uint32_t x = 12345;
	for (int i = 0; i < 100000; i++) {
		x = x * 1103515245u + 12345u;
		if ((x & HANDLE_MASK_TEST) == (h1 & HANDLE_MASK_TEST) ||
		    (x & HANDLE_MASK_TEST) == (h2 & HANDLE_MASK_TEST))
			continue;
		assert_int_equal(depot_fetch(&d, x, &got), 0);
	}
	/* Still intact. */
	assert_int_equal(depot_fetch(&d, h2, &got), 3);
	assert_int_equal(got[0], e[0]);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_extra_bits(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[8];
	const uintptr_t *got;
	depot_stack_handle_t h, hx;

	(void)state;
	depot_setup(&d, &t, NULL);
	fake_stack(e, 8, 7);
	h = depot_save(&d, e, 8);
	hx = depot_save_extra(&d, e, 8, 0x15);
	assert_int_equal(hx, h | 0x15u << 27);
	assert_int_equal(depot_get_extra_bits(hx), 0x15);
	assert_int_equal(depot_get_extra_bits(h), 0);
	assert_int_equal(depot_set_extra_bits(h, 3), h | 3u << 27);
	assert_int_equal(depot_set_extra_bits(hx, 0), h);
	assert_int_equal(depot_fetch(&d, hx, &got), 8);
	assert_memory_equal(got, e, sizeof(e));
	/* An empty stack keeps the extra bits, as __stack_depot_save()'s fast exit. */
	assert_int_equal(depot_save_extra(&d, e, 0, 2), 2u << 27);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_capacity(void **state)
{
	struct depot_options o = { .max_pools = 1 };
	struct stack_depot d;
	struct tplat t;
	struct depot_stats st;
	uintptr_t e[16];
	unsigned long id = 0, stored = 0;
	depot_stack_handle_t h, first;
	const uintptr_t *got;

	(void)state;
	depot_setup(&d, &t, &o);
	fake_stack(e, 16, 0);
	first = depot_save(&d, e, 16);
	while ((h = depot_save(&d, (fake_stack(e, 16, ++id), e), 16)) != 0)
		stored++;
	/* 16384 / 160 records of 16 frames fit in the one pool. */
	assert_int_equal(stored + 1, DEPOT_POOL_SIZE / 160);
	assert_string_equal(t.log, "Stack depot reached limit capacity\n");
	for (int i = 0; i < 10; i++)
		assert_int_equal(depot_save(&d, (fake_stack(e, 16, ++id), e), 16), 0);
	assert_int_equal(t.nlog, 1); /* WARN_ONCE */
	/* Existing stacks still dedup and fetch; small ones fill the tail. */
	fake_stack(e, 16, 0);
	assert_int_equal(depot_save(&d, e, 16), first);
	assert_int_equal(depot_fetch(&d, first, &got), 16);
	fake_stack(e, 1, 99999);
	assert_int_not_equal(depot_save(&d, e, 1), 0);
	depot_get_stats(&d, &st);
	assert_int_equal(st.pools, 1);
	assert_int_equal(st.failures, 11);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_platform_failure(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[16];
	depot_stack_handle_t h;
	const uintptr_t *got;

	(void)state;
	depot_setup(&d, &t, NULL);
	t.fail_reserve_after = 1; /* the first pool only, no spare */
	fake_stack(e, 16, 1);
	h = depot_save(&d, e, 16);
	assert_int_not_equal(h, 0);
	for (unsigned long id = 2; id < 200; id++) {
		fake_stack(e, 16, id);
		depot_save(&d, e, 16);
	}
	fake_stack(e, 16, 1000);
	assert_int_equal(depot_save(&d, e, 16), 0);
	assert_int_equal(depot_fetch(&d, h, &got), 16);
	/* Once the platform recovers, saving resumes in the next pool. */
	t.fail_reserve_after = 0;
	assert_int_equal(depot_save(&d, e, 16), 0x04000001u);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_init_messages(void **state)
{
	struct depot_options o = { .early = true, .memory_bytes = 1ull << 30 };
	struct stack_depot d;
	struct tplat t;
	struct depot_stats st;

	(void)state;
	/* The line a real 6.1 kernel logged with 1 GiB and page_owner=on. */
	tplat_init(&t);
	assert_int_equal(depot_init(&d, &t.ops, &o), 0);
	assert_string_equal(t.log,
			    "stackdepot hash table entries: 65536 (order: 7, 524288 bytes, linear)\n");
	depot_get_stats(&d, &st);
	assert_int_equal(st.table_buckets, 65536);
	depot_destroy(&d);
	tplat_assert_clean(&t);

	tplat_init(&t);
	assert_int_equal(depot_init(&d, &t.ops, NULL), 0);
	assert_string_equal(t.log, "Stack Depot allocating hash table of 4096 entries with kvcalloc\n");
	depot_destroy(&d);
	tplat_assert_clean(&t);

	o = (struct depot_options){ .memory_bytes = 1ull << 40 };
	tplat_init(&t);
	assert_int_equal(depot_init(&d, &t.ops, &o), 0);
	depot_get_stats(&d, &st);
	assert_int_equal(st.table_buckets, 1u << DEPOT_TABLE_ORDER_MAX);
	depot_destroy(&d);
	tplat_assert_clean(&t);

	o = (struct depot_options){ .disabled = true };
	tplat_init(&t);
	assert_int_equal(depot_init(&d, &t.ops, &o), 0);
	assert_string_equal(t.log, "Stack Depot is disabled\n");
	assert_int_equal(depot_save(&d, (uintptr_t[]){ 1, 2 }, 2), 0);
	depot_destroy(&d);
	tplat_assert_clean(&t);

	o = (struct depot_options){ .max_pools = DEPOT_POOLS_CAP + 1 };
	tplat_init(&t);
	assert_int_equal(depot_init(&d, &t.ops, &o), -PMM_EINVAL);
	assert_int_equal(depot_init(&d, NULL, NULL), -PMM_EINVAL);
	depot_destroy(&d); /* harmless after a failed init */
	tplat_assert_clean(&t);
}

static void test_counts_and_iteration(void **state)
{
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[16];
	depot_stack_handle_t h[300], got;
	struct depot_iter it;
	unsigned n = 0;

	(void)state;
	depot_setup(&d, &t, NULL);
	for (unsigned i = 0; i < 300; i++) {
		fake_stack(e, 1 + i % 16, i);
		h[i] = depot_save(&d, e, 1 + i % 16);
	}
	assert_int_equal(depot_count_add(&d, h[5], 4), 4);
	assert_int_equal(depot_count_add(&d, h[5] | 1u << 27, -1), 3);
	assert_int_equal(depot_count_get(&d, h[5]), 3);
	assert_int_equal(depot_count_get(&d, h[6]), 0);

	depot_iter_start(&it);
	while (depot_iter_next(&d, &it, &got)) {
		assert_true(n < 300);
		assert_int_equal(got, h[n]); /* storage order = save order */
		n++;
	}
	assert_int_equal(n, 300);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

/*
 * Storage for N distinct 16-frame stacks: 160 bytes each, 102 per pool, plus
 * the spare pool (present unless the last save was the first in a new pool).
 */
static void check_accounting(unsigned long nstacks)
{
	struct stack_depot d;
	struct tplat t;
	struct depot_stats st;
	uintptr_t e[16];
	unsigned long per_pool = DEPOT_POOL_SIZE / 160;
	char buf[512], want[512];

	depot_setup(&d, &t, NULL);
	for (unsigned long i = 0; i < nstacks; i++) {
		fake_stack(e, 16, i);
		assert_int_not_equal(depot_save(&d, e, 16), 0);
	}
	depot_get_stats(&d, &st);
	assert_int_equal(st.records, nstacks);
	assert_int_equal(st.record_bytes, nstacks * 160);
	assert_int_equal(st.pools, (nstacks + per_pool - 1) / per_pool + 1);
	assert_int_equal(t.reserved, st.pools);
	assert_int_equal(st.pool_bytes, st.pools * DEPOT_POOL_SIZE);
	assert_int_equal(st.total_bytes, st.pool_bytes + 4096 * sizeof(void *));
	snprintf(want, sizeof(want),
		 "pools: %u\nrefcounted_allocations: 0\nrefcounted_frees: 0\n"
		 "refcounted_in_use: 0\nfreelist_size: 0\npersistent_count: %lu\n"
		 "persistent_bytes: %lu\n",
		 st.pools, nstacks, nstacks * 160);
	assert_int_equal(depot_snprint_stats(&d, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

static void test_accounting(void **state)
{
	(void)state;
	check_accounting(102);
	check_accounting(1000);
	check_accounting(10000);
}

/* The record-level calls page_owner's hooks use agree with the handle-level ones. */
static void test_record_api(void **state)
{
	struct stack_depot d, d2;
	struct tplat t, t2;
	struct stack_record *r, *r2;
	uintptr_t e[16];
	const uintptr_t *got;
	depot_stack_handle_t h;
	uint64_t id;

	(void)state;
	depot_setup(&d, &t, NULL);
	fake_stack(e, 7, 1);
	r = depot_save_record(&d, e, 7);
	assert_non_null(r);
	h = depot_save(&d, e, 7);
	assert_int_equal(depot_record_handle(r), h);
	assert_ptr_equal(depot_record(&d, h), r);
	assert_ptr_equal(depot_record(&d, depot_set_extra_bits(h, 5)), r);
	assert_memory_equal(depot_record_entries(&d, r), e, 7 * sizeof(*e));
	fake_stack(e, 7, 2);
	r2 = depot_save_record(&d, e, 7);
	assert_non_null(r2);
	assert_ptr_not_equal(r2, r);
	assert_ptr_equal(depot_save_record(&d, e, 7), r2);
	assert_null(depot_save_record(&d, e, 0));
	assert_null(depot_record(&d, 0));

	assert_int_equal(depot_record_count_add(r, 5), 5);
	assert_int_equal(depot_record_count_add(r, -2), 3);
	assert_int_equal(depot_count_get(&d, h), 3);
	assert_int_equal(depot_count_add(&d, h, 1), 4);

	/* A mark is won once; marks leave the trace alone. */
	assert_true(depot_record_mark(r, 0));
	assert_false(depot_record_mark(r, 0));
	assert_true(depot_record_mark(r, 15));
	assert_false(depot_record_mark(r, 15));
	assert_true(depot_record_mark(r2, 0));
	assert_int_equal(depot_fetch(&d, h, &got), 7);
	fake_stack(e, 7, 1);
	assert_memory_equal(got, e, 7 * sizeof(*e));
	assert_int_equal(depot_save(&d, e, 7), h);

	/* Ids: never 0, never the same twice, even for a depot at the same address. */
	id = d.id;
	assert_int_not_equal(id, 0);
	depot_setup(&d2, &t2, NULL);
	assert_int_not_equal(d2.id, 0);
	assert_int_not_equal(d2.id, id);
	depot_destroy(&d2);
	tplat_assert_clean(&t2);
	depot_destroy(&d);
	tplat_assert_clean(&t);
	depot_setup(&d, &t, NULL);
	assert_int_not_equal(d.id, id);
	assert_int_not_equal(d.id, 0);
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

/* ------------------------------------------------------------- concurrency */

#define NTHREADS 8
#define NSTACKS 3000

struct worker {
	struct stack_depot *d;
	unsigned seed;
	depot_stack_handle_t h[NSTACKS];
	unsigned marked;        /* depot_record_mark() calls that won */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uintptr_t e[16];
	const uintptr_t *got;

	/* Each thread saves every stack, starting at a different place. */
	for (unsigned k = 0; k < NSTACKS; k++) {
		unsigned i = (k + w->seed * 397) % NSTACKS;
		unsigned n = 4 + i % 13;

		fake_stack(e, n, i);
		w->h[i] = depot_save(w->d, e, n);
		if (!w->h[i] || depot_fetch(w->d, w->h[i], &got) != n ||
		    memcmp(got, e, n * sizeof(*e)))
			w->h[i] = 0;
		depot_count_add(w->d, w->h[i], 1);
		if (w->h[i] && depot_record_mark(depot_record(w->d, w->h[i]), 1))
			w->marked++;
	}
	return NULL;
}

static void test_concurrent_save(void **state)
{
	static struct worker w[NTHREADS];
	pthread_t tid[NTHREADS];
	struct stack_depot d;
	struct tplat t;
	struct depot_stats st;

	(void)state;
	depot_setup(&d, &t, NULL);
	for (unsigned i = 0; i < NTHREADS; i++) {
		w[i].d = &d;
		w[i].seed = i;
		assert_int_equal(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	for (unsigned s = 0; s < NSTACKS; s++) {
		assert_int_not_equal(w[0].h[s], 0);
		for (unsigned i = 1; i < NTHREADS; i++)
			assert_int_equal(w[i].h[s], w[0].h[s]);
		assert_int_equal(depot_count_get(&d, w[0].h[s]), NTHREADS);
	}
	{
		unsigned marked = 0;

		/* Each stack's mark was won by exactly one thread. */
		for (unsigned i = 0; i < NTHREADS; i++)
			marked += w[i].marked;
		assert_int_equal(marked, NSTACKS);
	}
	depot_get_stats(&d, &st);
	assert_int_equal(st.records, NSTACKS);
	assert_int_equal(t.reserved, st.pools); /* spare pools handed back */
	depot_destroy(&d);
	tplat_assert_clean(&t);
}

/* ------------------------------------------------------- capture and symbols */

typedef unsigned (*capture_fn)(uintptr_t *, unsigned, unsigned);

static volatile unsigned sink;

static unsigned posix_capture(uintptr_t *e, unsigned max, unsigned skip)
{
	unsigned n = pmm_posix_stack(NULL, e, max, skip);

	sink += n; /* keeps the call from being a tail call: our frame stays */
	return n;
}

TEST_NOINLINE static unsigned level3(capture_fn fn, uintptr_t *e, unsigned max, unsigned skip)
{
	unsigned n = fn(e, max, skip);

	sink += n;
	return n;
}

TEST_NOINLINE static unsigned level2(capture_fn fn, uintptr_t *e, unsigned max, unsigned skip)
{
	unsigned n = level3(fn, e, max, skip);

	sink += n;
	return n;
}

TEST_NOINLINE static unsigned level1(capture_fn fn, uintptr_t *e, unsigned max, unsigned skip)
{
	unsigned n = level2(fn, e, max, skip);

	sink += n;
	return n;
}

static void check_names(struct symbolizer *sym, const uintptr_t *e, unsigned n,
			const char *const *want, unsigned nwant, const char *what)
{
	char name[256];

	if (n < nwant)
		fail_msg("%s: %u frames, want at least %u", what, n, nwant);
	for (unsigned i = 0; i < nwant; i++) {
		symbolize_name(sym, e[i], name, sizeof(name));
		if (strcmp(name, want[i]))
			fail_msg("%s: frame %u is '%s' (0x%lx), want '%s'", what, i, name,
				 (unsigned long)e[i], want[i]);
	}
}

static void check_capture(capture_fn fn, const char *what, const char *const *inner, unsigned ninner)
{
	struct symbolizer *sym = symbolizer_create(0);
	static const char *const full[] = { "level3", "level2", "level1" };
	uintptr_t e[16];
	unsigned n;

	assert_non_null(sym);
	if (inner) {
		n = level1(fn, e, 16, 0);
		check_names(sym, e, n, inner, ninner, what);
		n = level1(fn, e, 16, (unsigned)ninner);
		check_names(sym, e, n, full, 3, what);
	} else {
		n = level1(fn, e, 16, 0);
		check_names(sym, e, n, full, 3, what);
		assert_true(n <= 16);
		n = level1(fn, e, 16, 1);
		check_names(sym, e, n, full + 1, 2, what);
		n = level1(fn, e, 2, 0);
		assert_int_equal(n, 2);
		check_names(sym, e, n, full, 2, what);
	}
	symbolizer_destroy(sym);
}

static void test_capture_fp(void **state)
{
	(void)state;
	check_capture(pmm_stack_capture_fp, "fp", NULL, 0);
	assert_int_equal(pmm_stack_capture_fp(NULL, 4, 0), 0);
}

static void test_capture_unwind(void **state)
{
	(void)state;
	pmm_stack_capture_init();
	check_capture(pmm_stack_capture_unwind, "unwind", NULL, 0);
	check_capture(pmm_stack_capture, "capture", NULL, 0);
}

static void test_capture_posix(void **state)
{
	static const char *const inner[] = { "posix_capture" };

	(void)state;
	check_capture(posix_capture, "posix", inner, 1);
}

static void *capture_thread(void *arg)
{
	uintptr_t *e = arg;

	e[16] = level1(pmm_stack_capture_fp, e, 16, 0);
	return NULL;
}

static void test_capture_in_thread(void **state)
{
	static const char *const full[] = { "level3", "level2", "level1", "capture_thread" };
	struct symbolizer *sym = symbolizer_create(0);
	uintptr_t e[17];
	pthread_t tid;

	(void)state;
	assert_non_null(sym);
	assert_int_equal(pthread_create(&tid, NULL, capture_thread, e), 0);
	pthread_join(tid, NULL);
	check_names(sym, e, (unsigned)e[16], full, 4, "thread");
	symbolizer_destroy(sym);
}

/* ------------------------------------------------------------------ trails */

struct trail_call {
	struct stack_trail *t;
	unsigned max;
	enum stack_trail_result r;
	uintptr_t e[16];
	unsigned nr;
	uintptr_t ref[16];     /* pmm_stack_capture() from the same frame */
	unsigned nref;
};

/* A trail capture from this function's frame, and a plain one to compare. */
TEST_NOINLINE static void trail_here(struct trail_call *c)
{
	c->r = pmm_stack_capture_trail(__builtin_frame_address(0), c->t, c->e, c->max, STACK_FP_MIN_FRAMES,
				       &c->nr);
	c->nref = pmm_stack_capture(c->ref, c->max, 1);
	sink += c->nr;
}

TEST_NOINLINE static void trail_at_depth(struct trail_call *c, int depth)
{
	if (depth > 0)
		trail_at_depth(c, depth - 1);
	else
		trail_here(c);
	sink++;
}

/* Two callers alike in everything but their address. */
TEST_NOINLINE static void trail_outer_a(struct trail_call *c)
{
	trail_at_depth(c, 1);
	sink++;
}

TEST_NOINLINE static void trail_outer_b(struct trail_call *c)
{
	trail_at_depth(c, 1);
	sink += 2; /* not trail_outer_a()'s twin, which the compiler would fold into one */
}

/*
 * Check a call's result against the plain capture; on NEW, keep its entries
 * in @kept as a trail user (page_owner, with the depot's copy) would.
 */
static void trail_check(struct trail_call *c, enum stack_trail_result want, uintptr_t *kept,
			const char *what)
{
	if (c->r != want)
		fail_msg("%s: result %d, want %d", what, c->r, want);
	if (c->nr != c->nref)
		fail_msg("%s: %u entries, the plain capture %u", what, c->nr, c->nref);
	if (c->r == STACK_TRAIL_SAME) {
		assert_memory_equal(c->t->entries, c->ref, c->nr * sizeof(uintptr_t));
		return;
	}
	assert_memory_equal(c->e, c->ref, c->nr * sizeof(uintptr_t));
	assert_null(c->t->entries);
	memcpy(kept, c->e, c->nr * sizeof(uintptr_t));
	c->t->entries = kept;
	c->t->nr = c->nr;
}

static void test_trail(void **state)
{
	struct stack_trail t = { 0 };
	struct trail_call c = { .t = &t, .max = 16 };
	uintptr_t kept[16];
	int depth[] = { 2, 2, 2, 3, 3, 2 };
	enum stack_trail_result want[] = { STACK_TRAIL_NEW, STACK_TRAIL_SAME, STACK_TRAIL_SAME,
					   STACK_TRAIL_NEW, STACK_TRAIL_SAME, STACK_TRAIL_NEW };

	(void)state;
	pmm_stack_capture_init();
	/* One call site, at the depths given: the same walk is recognised, another is not. */
	for (volatile unsigned i = 0; i < 6; i++) {
		char what[32];

		trail_at_depth(&c, depth[i]);
		snprintf(what, sizeof(what), "call %u", i);
		trail_check(&c, want[i], kept, what);
	}
	/* The same frames under a different caller. */
	for (volatile int i = 0; i < 2; i++) {
		trail_outer_a(&c);
		trail_check(&c, i ? STACK_TRAIL_SAME : STACK_TRAIL_NEW, kept, "outer a");
	}
	trail_outer_b(&c);
	trail_check(&c, STACK_TRAIL_NEW, kept, "outer b");
	trail_outer_a(&c);
	trail_check(&c, STACK_TRAIL_NEW, kept, "outer a again");

	/* A walk cut at @max; asked for more, the same trail must not match. */
	c.max = 2;
	for (volatile int i = 0; i < 2; i++) {
		trail_at_depth(&c, 1);
		trail_check(&c, i ? STACK_TRAIL_SAME : STACK_TRAIL_NEW, kept, "max 2");
		assert_int_equal(c.nr, 2);
	}
	c.max = 16;
	trail_at_depth(&c, 1);
	trail_check(&c, STACK_TRAIL_NEW, kept, "max 16 after 2");
	assert_true(c.nr > 2);

	/* An empty trail matches nothing. */
	t.entries = NULL;
	trail_at_depth(&c, 1);
	trail_check(&c, STACK_TRAIL_NEW, kept, "emptied");
}

/*
 * Made-up frames on this thread's stack, walked from the first: what ends
 * a walk (a zero return address, a zero or bad link, @max) and what makes
 * the same trail stop matching.
 */
static void test_trail_made_up_frames(void **state)
{
	uintptr_t f[10] __attribute__((aligned(16)));
	struct stack_trail t = { 0 };
	uintptr_t e[16], kept[16];
	unsigned nr;

	(void)state;
	pmm_stack_capture_init();
	for (int i = 0; i < 4; i++) {
		f[2 * i] = (uintptr_t)&f[2 * i + 2];
		f[2 * i + 1] = 0x1000 + (uintptr_t)i;
	}
	f[5] = 0;  /* frame 2 returns nowhere: the walk ends there */
	f[8] = 0;
	f[9] = 0;
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 16, STACK_FP_MIN_FRAMES, &nr), STACK_TRAIL_NEW);
	assert_int_equal(nr, 2);
	assert_int_equal(e[0], 0x1000);
	assert_int_equal(e[1], 0x1001);
	memcpy(kept, e, sizeof(e));
	t.entries = kept;
	t.nr = nr;
	assert_true(pmm_stack_trail_same(f, &t, 16));
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 16, STACK_FP_MIN_FRAMES, &nr), STACK_TRAIL_SAME);
	assert_int_equal(nr, 2);
	assert_false(pmm_stack_trail_same(f + 2, &t, 16)); /* another first frame */
	assert_false(pmm_stack_trail_same(f, &t, 8));      /* another max */

	/* Frame 2 now returns somewhere: one more entry, then the zero link. */
	f[5] = 0x1002;
	f[4] = 0;
	assert_false(pmm_stack_trail_same(f, &t, 16));
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 16, STACK_FP_MIN_FRAMES, &nr), STACK_TRAIL_NEW);
	assert_int_equal(nr, 3);
	assert_int_equal(e[2], 0x1002);
	memcpy(kept, e, sizeof(e));
	t.entries = kept;
	t.nr = nr;
	assert_true(pmm_stack_trail_same(f, &t, 16));

	/* A link that goes down the stack ends the walk; the trail no longer matches. */
	f[2] = (uintptr_t)&f[0];
	assert_false(pmm_stack_trail_same(f, &t, 16));
	assert_int_not_equal(pmm_stack_capture_trail(f, &t, e, 16, STACK_FP_MIN_FRAMES, &nr), STACK_TRAIL_SAME);
	f[2] = (uintptr_t)&f[4];

	/*
	 * A link down the stack right after the first entry: @min decides.
	 * 1 keeps the one frame (an entry point's frame, whose return address
	 * is all that is wanted); STACK_FP_MIN_FRAMES asks the unwinder, whose
	 * trace of this thread has none of the made-up addresses.
	 */
	f[0] = (uintptr_t)f - 2 * sizeof(uintptr_t);
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 16, 1, &nr), STACK_TRAIL_NEW);
	assert_int_equal(nr, 1);
	assert_int_equal(e[0], 0x1000);
	t.entries = NULL;
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 16, STACK_FP_MIN_FRAMES, &nr),
			 STACK_TRAIL_OTHER);
	assert_null(t.entries);
	assert_true(nr > 0);
	for (unsigned i = 0; i < nr; i++)
		assert_true(e[i] < 0x1000 || e[i] > 0x1003);
	f[0] = (uintptr_t)&f[2];

	/* Another return address in the middle. */
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 16, STACK_FP_MIN_FRAMES, &nr), STACK_TRAIL_NEW);
	memcpy(kept, e, sizeof(e));
	t.entries = kept;
	t.nr = nr;
	f[3] = 0x2001;
	assert_false(pmm_stack_trail_same(f, &t, 16));
	f[3] = 0x1001;
	assert_true(pmm_stack_trail_same(f, &t, 16));

	/* Cut at max: the same with that max, not with more. */
	assert_int_equal(pmm_stack_capture_trail(f, &t, e, 2, STACK_FP_MIN_FRAMES, &nr), STACK_TRAIL_NEW);
	assert_int_equal(nr, 2);
	t.entries = e;
	t.nr = nr;
	assert_true(pmm_stack_trail_same(f, &t, 2));
	assert_false(pmm_stack_trail_same(f, &t, 16));
}

static void *trail_thread(void *arg)
{
	struct trail_call *c = arg;
	uintptr_t kept[16];

	/* A thread's first walk finds its stack bounds: still a trail walk. */
	for (volatile int i = 0; i < 2; i++) {
		trail_at_depth(c, 1);
		trail_check(c, i ? STACK_TRAIL_SAME : STACK_TRAIL_NEW, kept, "thread");
	}
	c->t->entries = NULL;
	return NULL;
}

static void test_trail_in_thread(void **state)
{
	struct stack_trail t = { 0 };
	struct trail_call c = { .t = &t, .max = 16 };
	pthread_t tid;

	(void)state;
	assert_int_equal(pthread_create(&tid, NULL, trail_thread, &c), 0);
	pthread_join(tid, NULL);
}

static void match(const char *re, const char *s)
{
	regex_t r;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&r, s, 0, NULL, 0))
		fail_msg("'%s' does not match /%s/", s, re);
	regfree(&r);
}

TEST_NOINLINE static int known_function(int x)
{
	return x * 3 + (int)sink;
}

static void test_symbolize_format(void **state)
{
	struct symbolizer *sym = symbolizer_create(0);
	uintptr_t f = (uintptr_t)known_function;
	char buf[512], small[8];
	int n;

	(void)state;
	assert_non_null(sym);
	n = symbolize_addr(sym, f + 5, buf, sizeof(buf), 0);
	assert_int_equal(n, strlen(buf));
	match("^known_function\\+0x5/0x[1-9a-f][0-9a-f]*$", buf);
	/* Offset 0 still prints 0x0, as the kernel's %#lx. */
	symbolize_addr(sym, f, buf, sizeof(buf), 0);
	match("^known_function\\+0x0/0x[1-9a-f][0-9a-f]*$", buf);
	/* %pB looks up addr - 1 but prints the offset of addr. */
	symbolize_addr(sym, f + 5, buf, sizeof(buf), SYM_BACKTRACE);
	match("^known_function\\+0x5/0x", buf);
	/* Nothing there: "0x<hex>". */
	symbolize_addr(sym, 0x10, buf, sizeof(buf), 0);
	assert_string_equal(buf, "0x10");
	symbolize_addr(NULL, 0xffffffff81234567ul, buf, sizeof(buf), 0);
	assert_string_equal(buf, "0xffffffff81234567");
	/*
	 * Shared objects carry their module, as %pS for module text (getppid:
	 * a libc function no sanitizer intercepts in the executable).
	 */
	symbolize_addr(sym, (uintptr_t)getppid + 1, buf, sizeof(buf), 0);
	match("^[a-z_0-9.]+\\+0x1/0x[0-9a-f]+ \\[libc\\.so\\.6\\]$", buf);
	symbolize_addr(sym, (uintptr_t)getppid + 1, buf, sizeof(buf), SYM_NO_MODULE);
	match("^[a-z_0-9.]+\\+0x1/0x[0-9a-f]+$", buf);
	/* file:line from DWARF. */
	symbolize_addr(sym, f + 5, buf, sizeof(buf), SYM_LINE);
	match("^known_function\\+0x5/0x[0-9a-f]+ .*test_stackdepot\\.c:[0-9]+$", buf);
	/* Truncation: snprintf semantics, always terminated. */
	n = symbolize_addr(sym, f + 5, small, sizeof(small), 0);
	assert_true(n > (int)sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	symbolizer_destroy(sym);
}

static void test_snprint(void **state)
{
	struct symbolizer *sym = symbolizer_create(0);
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[3] = { 0x1000, 0x2345, (uintptr_t)known_function + 7 };
	depot_stack_handle_t h;
	char buf[512], want[512], sbuf[256];
	int n;

	(void)state;
	assert_non_null(sym);
	depot_setup(&d, &t, NULL);
	h = depot_save(&d, e, 2);
	n = depot_snprint(&d, h, buf, sizeof(buf), 0, NULL);
	assert_string_equal(buf, " 0x1000\n 0x2345\n");
	assert_int_equal(n, 16);
	n = depot_snprint(&d, h, buf, sizeof(buf), 2, NULL);
	assert_string_equal(buf, "   0x1000\n   0x2345\n");
	/* Truncated: the full length is returned, the text is cut and terminated. */
	n = depot_snprint(&d, h, buf, 10, 0, NULL);
	assert_int_equal(n, 16);
	assert_string_equal(buf, " 0x1000\n ");
	assert_int_equal(depot_snprint(&d, 0, buf, sizeof(buf), 0, NULL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(depot_snprint(&d, 0x04000007u, buf, sizeof(buf), 0, NULL), 0);

	h = depot_save(&d, e, 3);
	symbolize_addr(sym, e[2], sbuf, sizeof(sbuf), 0);
	snprintf(want, sizeof(want), " 0x1000\n 0x2345\n %s\n", sbuf);
	depot_snprint(&d, h, buf, sizeof(buf), 0, sym);
	assert_string_equal(buf, want);
	match("^ known_function\\+0x7/0x", strrchr(buf, '\n') - strlen(sbuf) - 1);
	depot_destroy(&d);
	tplat_assert_clean(&t);
	symbolizer_destroy(sym);
}

/* Capture, save and print a real stack: what page_owner does. */
static void test_capture_save_print(void **state)
{
	struct symbolizer *sym = symbolizer_create(0);
	struct stack_depot d;
	struct tplat t;
	uintptr_t e[16];
	unsigned n;
	char buf[4096];
	depot_stack_handle_t h1, h2;

	(void)state;
	assert_non_null(sym);
	depot_setup(&d, &t, NULL);
	h1 = h2 = 0;
	/* One call site (a loop the compiler must not unroll), so one stack. */
	for (volatile int i = 0; i < 2; i++) {
		n = level1(pmm_stack_capture_fp, e, 16, 0);
		h2 = depot_save(&d, e, n);
		if (!h1)
			h1 = h2;
	}
	assert_int_equal(h1, h2); /* same call site, same stack */
	depot_snprint(&d, h1, buf, sizeof(buf), 0, sym);
	match("^ level3\\+0x[0-9a-f]+/0x[0-9a-f]+\n level2\\+0x[0-9a-f]+/0x[0-9a-f]+\n"
	      " level1\\+0x[0-9a-f]+/0x[0-9a-f]+\n test_capture_save_print\\+", buf);
	depot_destroy(&d);
	tplat_assert_clean(&t);
	symbolizer_destroy(sym);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jhash),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_handle_layout_61),
		cmocka_unit_test(test_handle_layout_68),
		cmocka_unit_test(test_fetch_round_trip),
		cmocka_unit_test(test_invalid_handles),
		cmocka_unit_test(test_extra_bits),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_platform_failure),
		cmocka_unit_test(test_init_messages),
		cmocka_unit_test(test_counts_and_iteration),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_record_api),
		cmocka_unit_test(test_concurrent_save),
		cmocka_unit_test(test_capture_fp),
		cmocka_unit_test(test_capture_unwind),
		cmocka_unit_test(test_capture_posix),
		cmocka_unit_test(test_capture_in_thread),
		cmocka_unit_test(test_trail),
		cmocka_unit_test(test_trail_in_thread),
		cmocka_unit_test(test_trail_made_up_frames),
		cmocka_unit_test(test_symbolize_format),
		cmocka_unit_test(test_snprint),
		cmocka_unit_test(test_capture_save_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
