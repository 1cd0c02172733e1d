// SPDX-License-Identifier: MIT
/*
 * The "limit" allocator of bench_alloc: the least work a page allocator can
 * do and still be one.  Blocks of each size (orders 0-3 and 9) are carved
 * out of one preallocated, pre-faulted region per order; each block has a
 * 64-byte descriptor (as pmm's struct page) that is written on every alloc
 * and free.  A thread pops from and pushes to its own LIFO list; only when
 * its list runs dry or grows past LIM_HIGH does it move LIM_BATCH blocks
 * to or from a shared list under a mutex, so blocks can cross threads (the
 * producer/consumer case) without a per-operation lock.
 *
 * No coalescing, no splitting, no statistics, no checks: every real
 * allocator does more than this.
 */
#ifndef BENCH_ALLOC_LIMIT_H
#define BENCH_ALLOC_LIMIT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#define LIM_NCLASS 5 /* orders 0, 1, 2, 3, 9 */
#define LIM_BATCH 64
#define LIM_HIGH 1024

struct lim_desc {
	struct lim_desc *next;
	uint64_t state; /* 1 = allocated: the descriptor write every allocator does */
	uint64_t pad[6];
} __attribute__((aligned(64)));

struct lim_class {
	char *base;             /* the blocks, 2^shift bytes each */
	struct lim_desc *desc;  /* one per block */
	size_t nblocks;
	unsigned shift;
	pthread_mutex_t lock;   /* guards free and nfree */
	struct lim_desc *free;  /* shared list */
	size_t nfree;
};

struct lim_cache {
	struct lim_desc *head[LIM_NCLASS];
	unsigned count[LIM_NCLASS];
};

static struct lim_class lim_cls[LIM_NCLASS];
static __thread struct lim_cache lim_tc;

static inline unsigned lim_idx(unsigned order)
{
	return order < 4 ? order : 4;
}

/* Reserve @n blocks of 4 KiB << @order; returns 0 or -1. */
static int lim_class_init(unsigned i, unsigned order, size_t n)
{
	struct lim_class *c = &lim_cls[i];
	size_t bytes = n << (12 + order);
	void *b = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *d = mmap(NULL, n * sizeof(struct lim_desc), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED || d == MAP_FAILED)
		return -1;
	c->base = b;
	c->desc = d;
	c->nblocks = n;
	c->shift = 12 + order;
	pthread_mutex_init(&c->lock, NULL);
	/* Shared list in address order so that first use walks memory forward. */
	c->free = NULL;
	for (size_t k = n; k-- > 0;) {
		c->desc[k].next = c->free;
		c->free = &c->desc[k];
	}
	c->nfree = n;
	return 0;
}

/* Sized for the cases: 100 000 order-0 blocks live, ~12 500 per order in (c). */
static int lim_init(void)
{
	static const unsigned order[LIM_NCLASS] = { 0, 1, 2, 3, 9 };
	static const size_t n[LIM_NCLASS] = { 160000, 40000, 40000, 40000, 64 };

	for (unsigned i = 0; i < LIM_NCLASS; i++)
		if (lim_class_init(i, order[i], n[i]))
			return -1;
	return 0;
}

static __attribute__((noinline)) struct lim_desc *lim_refill(unsigned i)
{
	struct lim_class *c = &lim_cls[i];
	unsigned moved = 0;

	pthread_mutex_lock(&c->lock);
	while (c->free && moved < LIM_BATCH) {
		struct lim_desc *d = c->free;

		c->free = d->next;
		d->next = lim_tc.head[i];
		lim_tc.head[i] = d;
		moved++;
	}
	c->nfree -= moved;
	pthread_mutex_unlock(&c->lock);
	lim_tc.count[i] += moved;
	return lim_tc.head[i];
}

static __attribute__((noinline)) void lim_drain(unsigned i)
{
	struct lim_class *c = &lim_cls[i];

	pthread_mutex_lock(&c->lock);
	for (unsigned k = 0; k < LIM_BATCH; k++) {
		struct lim_desc *d = lim_tc.head[i];

		lim_tc.head[i] = d->next;
		d->next = c->free;
		c->free = d;
	}
	c->nfree += LIM_BATCH;
	pthread_mutex_unlock(&c->lock);
	lim_tc.count[i] -= LIM_BATCH;
}

static inline void *lim_alloc(unsigned order)
{
	unsigned i = lim_idx(order);
	struct lim_desc *d = lim_tc.head[i];

	if (__builtin_expect(d == NULL, 0) && !(d = lim_refill(i)))
		return NULL;
	lim_tc.head[i] = d->next;
	lim_tc.count[i]--;
	d->state = 1;
	return lim_cls[i].base + ((size_t)(d - lim_cls[i].desc) << lim_cls[i].shift);
}

static inline void lim_free(void *p, unsigned order)
{
	unsigned i = lim_idx(order);
	struct lim_class *c = &lim_cls[i];
	struct lim_desc *d = &c->desc[(size_t)((char *)p - c->base) >> c->shift];

	d->state = 0;
	d->next = lim_tc.head[i];
	lim_tc.head[i] = d;
	if (__builtin_expect(++lim_tc.count[i] > LIM_HIGH, 0))
		lim_drain(i);
}

#endif
