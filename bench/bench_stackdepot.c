// SPDX-License-Identifier: MIT
/*
 * Stack depot and stack capture costs:
 *   - capture of 16 frames at depth > 16: frame-pointer walk, glibc
 *     backtrace() unwinder, and pmm_stack_capture() (walk + fallback);
 *     and with a trail, as page_owner's hooks do: the walk recognised
 *     (pmm_stack_trail_same()) and a new walk recording one;
 *   - depot_save() on a hit (one hot stack; random stacks out of 10000) and
 *     on a miss (every stack new);
 *   - depot_fetch();
 *   - storage for N distinct 16-frame stacks, N = 1000 and 10000.
 *
 * Usage: bench_stackdepot [capture-loop N]
 * With "capture-loop N" it only runs N fp captures (for callgrind:
 *   valgrind --tool=callgrind ./bench_stackdepot capture-loop 100000
 * then divide pmm_stack_capture_fp's inclusive Ir by its calls).
 */
#include <pmm/errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ext/stackdepot.h"
#include "platform/stacktrace.h"

#define DEPTH 24

static void *b_reserve(void *ctx, size_t size, size_t align)
{
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void)ctx;
	(void)align;
	return p == MAP_FAILED ? NULL : p;
}

static void b_release(void *ctx, void *addr, size_t size)
{
	(void)ctx;
	munmap(addr, size);
}

static int b_commit(void *ctx, void *addr, size_t size, unsigned flags)
{
	(void)ctx;
	(void)flags;
	return mprotect(addr, size, PROT_READ | PROT_WRITE) ? -PMM_ENOMEM : 0;
}

static void *b_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void b_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	(void)size;
	free(ptr);
}

static const struct pmm_platform bench_platform = {
	.name = "bench",
	.reserve = b_reserve,
	.release = b_release,
	.commit = b_commit,
	.alloc = b_alloc,
	.free = b_free,
	.page_size = 4096,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef unsigned (*capture_fn)(uintptr_t *, unsigned, unsigned);

struct capture_run {
	capture_fn fn;
	long iters;
	unsigned frames;
	double ns;
};

static volatile unsigned sink;

/* Recurse to DEPTH frames, then time the capture there. */
static __attribute__((noinline)) void deep(struct capture_run *r, int depth)
{
	uintptr_t e[16];

	if (depth > 0) {
		deep(r, depth - 1);
		sink++;
		return;
	}
	double best = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now();
		for (long i = 0; i < r->iters; i++)
			r->frames = r->fn(e, 16, 0);
		double t = (now() - t0) / r->iters;
		if (t < best)
			best = t;
	}
	r->ns = best;
}

static struct stack_trail bench_trail;
static uintptr_t bench_kept[16];

/* What a page_owner hook does: the trail's walk if recognised, else a new one kept. */
static __attribute__((noinline)) unsigned trail_capture(uintptr_t *e, unsigned max, unsigned skip)
{
	const void *frame = __builtin_frame_address(0);
	unsigned nr;

	(void)skip;
	if (pmm_stack_trail_same(frame, &bench_trail, max))
		return bench_trail.nr;
	if (pmm_stack_capture_trail(frame, &bench_trail, e, max, STACK_FP_MIN_FRAMES, &nr) == STACK_TRAIL_NEW) {
		memcpy(bench_kept, e, nr * sizeof(*e));
		bench_trail.entries = bench_kept;
		bench_trail.nr = nr;
	}
	sink += nr;
	return nr;
}

/* The same with the trail forgotten each time: a new walk, recorded. */
static __attribute__((noinline)) unsigned trail_capture_new(uintptr_t *e, unsigned max, unsigned skip)
{
	unsigned nr;

	(void)skip;
	bench_trail.entries = NULL;
	pmm_stack_capture_trail(__builtin_frame_address(0), &bench_trail, e, max, STACK_FP_MIN_FRAMES,
				&nr);
	sink += nr;
	return nr;
}

static void fake_stack(uintptr_t *e, unsigned n, unsigned long id)
{
	for (unsigned i = 0; i < n; i++)
		e[i] = 0xffffffff81000000ul + id * 0x1000 + i * 0x10 + 1;
}

static unsigned long xorshift(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		capture_fn fn;
		long iters;
	} caps[] = {
		{ "fp walk (pmm_stack_capture_fp)", pmm_stack_capture_fp, 2000000 },
		{ "fp walk + fallback (pmm_stack_capture)", pmm_stack_capture, 2000000 },
		{ "unwinder (glibc backtrace)", pmm_stack_capture_unwind, 200000 },
		{ "trail, walk recognised (page_owner's hooks)", trail_capture, 5000000 },
		{ "trail, new walk recorded", trail_capture_new, 2000000 },
	};
	struct stack_depot d;
	struct depot_stats st;
	enum { NSTACKS = 10000 };
	static uintptr_t stacks[NSTACKS][16];
	depot_stack_handle_t *handles = calloc(NSTACKS, sizeof(*handles));
	const uintptr_t *got;
	unsigned long seed = 88172645463325252ul;
	double t0, t;

	pmm_stack_capture_init();
	if (argc == 3 && !strcmp(argv[1], "capture-loop")) {
		struct capture_run r = { pmm_stack_capture_fp, atol(argv[2]), 0, 0 };

		deep(&r, DEPTH);
		printf("%ld captures of %u frames\n", r.iters * 5, r.frames);
		return 0;
	}

	printf("%-44s %10s %8s\n", "stack capture, 16 frames", "ns/op", "frames");
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct capture_run r = { caps[i].fn, caps[i].iters, 0, 0 };

		deep(&r, DEPTH);
		printf("%-44s %10.1f %8u\n", caps[i].name, r.ns, r.frames);
	}

	for (unsigned i = 0; i < NSTACKS; i++)
		fake_stack(stacks[i], 16, i);

	printf("\n%-44s %10s\n", "depot (6.1 layout, 4096 buckets)", "ns/op");
	if (depot_init(&d, &bench_platform, NULL))
		return 1;
	t0 = now();
	for (unsigned i = 0; i < NSTACKS; i++)
		handles[i] = depot_save(&d, stacks[i], 16);
	t = (now() - t0) / NSTACKS;
	printf("%-44s %10.1f\n", "save, miss (10000 new stacks)", t);

	t0 = now();
	for (long i = 0; i < 5000000; i++)
		sink += depot_save(&d, stacks[7], 16);
	printf("%-44s %10.1f\n", "save, hit (same stack)", (now() - t0) / 5000000);

	t0 = now();
	for (long i = 0; i < 5000000; i++)
		sink += depot_save(&d, stacks[xorshift(&seed) % NSTACKS], 16);
	printf("%-44s %10.1f\n", "save, hit (random of 10000)", (now() - t0) / 5000000);

	t0 = now();
	for (long i = 0; i < 5000000; i++)
		sink += depot_fetch(&d, handles[xorshift(&seed) % NSTACKS], &got);
	printf("%-44s %10.1f\n", "fetch (random of 10000)", (now() - t0) / 5000000);

	t0 = now();
	for (long i = 0; i < 5000000; i++)
		sink += (unsigned)depot_count_add(&d, handles[xorshift(&seed) % NSTACKS], 1);
	printf("%-44s %10.1f\n", "count_add (random of 10000)", (now() - t0) / 5000000);
	depot_destroy(&d);

	printf("\n%-12s %8s %10s %12s %12s %12s %10s\n", "N stacks", "pools", "pool KiB",
	       "record bytes", "table bytes", "total bytes", "B/stack");
	for (unsigned n = 1000; n <= NSTACKS; n *= 10) {
		if (depot_init(&d, &bench_platform, NULL))
			return 1;
		for (unsigned i = 0; i < n; i++)
			depot_save(&d, stacks[i], 16);
		depot_get_stats(&d, &st);
		printf("%-12u %8u %10zu %12zu %12zu %12zu %10.1f\n", n, st.pools,
		       st.pool_bytes / 1024, st.record_bytes, st.table_bytes, st.total_bytes,
		       (double)st.total_bytes / n);
		depot_destroy(&d);
	}
	free(handles);
	return sink == 42 ? 1 : 0;
}
