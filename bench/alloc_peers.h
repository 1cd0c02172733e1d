// SPDX-License-Identifier: MIT
/*
 * The allocators bench_alloc compares, each as three inline operations on
 * an opaque handle:
 *
 *   X_alloc(order)      a block of 4096 << order bytes (NULL on failure)
 *   X_addr(handle)      its first byte, which the benchmark touches
 *   X_free(handle, order)
 *
 * An allocator with a batch call for order-0 blocks also has
 * X_alloc_bulk(handles, n) and X_free_bulk(handles, n) (only pmm); the
 * others' batches are loops over the single calls.
 *
 * pmm's handle is its struct pmm_page *; the others hand out addresses.
 *
 * How the peers are loaded.  jemalloc, mimalloc and tcmalloc are measured
 * the way people deploy them: each runs in its own child process started
 * with LD_PRELOAD=<its soname>, so it is the process's malloc, with its
 * initial-exec TLS fast path, exactly as in production.  Loading them with
 * dlopen(RTLD_LOCAL) instead would leave two mallocs in one process and can
 * fall back to slower TLS models.  Their native entry points (aligned
 * allocation, sized free) are looked up with dlsym(RTLD_DEFAULT) at start;
 * a call through that pointer costs what a call through the PLT costs.
 * peer_check() refuses to run a peer whose malloc is not the preloaded one.
 *
 * Blocks are page-aligned (4096) for every row except "glibc malloc", the
 * extra unaligned row.  Sized free is used where the allocator has it.
 */
#ifndef BENCH_ALLOC_PEERS_H
#define BENCH_ALLOC_PEERS_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/pmm.h>

#include "alloc_limit.h"

#define PEER_ALIGN 4096ul
#define BLOCK_SIZE(order) (4096ul << (order))

/* ---------------------------------------------------------------- pmm */

static struct pmm *bench_machine;

static void pmm_quiet_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

/* 8 GiB default machine (MAP_NORESERVE), per-CPU lists on or off. */
static int pmm_setup(bool pcp)
{
	struct pmm_config cfg;
	int err;

	pmm_config_default(&cfg);
	cfg.pcp = pcp;
	cfg.log = pmm_quiet_log;
	err = pmm_create(&cfg, &bench_machine);
	if (err) {
		fprintf(stderr, "bench_alloc: pmm_create: %s\n", pmm_strerror(err));
		return -1;
	}
	return 0;
}

static inline void *pmm_b_alloc(unsigned order)
{
	return pmm_alloc_pages(bench_machine, PMM_GFP_KERNEL, order);
}

static inline void *pmm_b_addr(void *h)
{
	return pmm_page_address(bench_machine, h);
}

static inline void pmm_b_free(void *h, unsigned order)
{
	pmm_free_pages(bench_machine, h, order);
}

/*
 * Batch entry points, case (f): pmm's bulk calls on an array of @n handles.
 * The bench keeps handles as void *, the same representation as struct
 * pmm_page * (the project builds with -fno-strict-aliasing).  As the
 * contract asks, the array starts zeroed and pmm_alloc_pages_bulk() is
 * called until every slot is filled; a call that adds nothing is a
 * failure.  Return: false on failure.
 */
static inline bool pmm_b_alloc_bulk(void **h, unsigned n)
{
	struct pmm_page **pages = (struct pmm_page **)h;
	unsigned long got = 0, prev;

	memset(pages, 0, n * sizeof(*pages));
	do {
		prev = got;
		got = pmm_alloc_pages_bulk(bench_machine, PMM_GFP_KERNEL, n, pages);
	} while (got < n && got > prev);
	return got == n;
}

static inline void pmm_b_free_bulk(void *const *h, unsigned n)
{
	pmm_free_pages_bulk(bench_machine, n, (struct pmm_page *const *)h);
}

/* ---------------------------------------------------------------- limit */

static inline void *limit_addr(void *h)
{
	return h;
}

/* ---------------------------------------------------------------- loop only */

/*
 * No allocator at all: the benchmark loop and the touch, for subtracting
 * from instruction counts.  The asm keeps the compiler from seeing through
 * the constant block.
 */
static char loop_block[4096] __attribute__((aligned(4096)));

static inline void *loop_alloc(unsigned order)
{
	void *p = loop_block;

	(void)order;
	__asm__ volatile("" : "+r"(p));
	return p;
}

static inline void *loop_addr(void *h)
{
	return h;
}

static inline void loop_free(void *h, unsigned order)
{
	(void)order;
	__asm__ volatile("" : : "r"(h));
}

/* ---------------------------------------------------------------- glibc */

static inline void *glibc_alloc(unsigned order)
{
	void *p;

	return posix_memalign(&p, PEER_ALIGN, BLOCK_SIZE(order)) ? NULL : p;
}

static inline void *glibc_addr(void *h)
{
	return h;
}

static inline void glibc_free(void *h, unsigned order)
{
	(void)order;
	free(h);
}

static inline void *glibcu_alloc(unsigned order)
{
	return malloc(BLOCK_SIZE(order));
}

/* ---------------------------------------------------------------- preloaded peers */

/* jemalloc */
static void *(*je_mallocx)(size_t size, int flags);
static void (*je_sdallocx)(void *ptr, size_t size, int flags);
#define JE_ALIGN_4096 12 /* MALLOCX_ALIGN(4096) = MALLOCX_LG_ALIGN(12) */

static inline void *je_alloc(unsigned order)
{
	return je_mallocx(BLOCK_SIZE(order), JE_ALIGN_4096);
}

static inline void je_free(void *h, unsigned order)
{
	je_sdallocx(h, BLOCK_SIZE(order), JE_ALIGN_4096);
}

/* mimalloc */
static void *(*mi_malloc_aligned_p)(size_t size, size_t alignment);
static void (*mi_free_size_aligned_p)(void *p, size_t size, size_t alignment);

static inline void *mi_alloc(unsigned order)
{
	return mi_malloc_aligned_p(BLOCK_SIZE(order), PEER_ALIGN);
}

static inline void mi_free(void *h, unsigned order)
{
	mi_free_size_aligned_p(h, BLOCK_SIZE(order), PEER_ALIGN);
}

/* tcmalloc (gperftools) */
static void *(*tc_memalign_p)(size_t alignment, size_t size);
static void (*tc_free_sized_p)(void *ptr, size_t size);

static inline void *tc_alloc(unsigned order)
{
	return tc_memalign_p(PEER_ALIGN, BLOCK_SIZE(order));
}

static inline void tc_free(void *h, unsigned order)
{
	tc_free_sized_p(h, BLOCK_SIZE(order));
}

/* Look up @name in the process (the preloaded library); NULL and a message if absent. */
static void *peer_sym(const char *lib, const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	if (!p)
		fprintf(stderr, "bench_alloc: %s: no symbol %s (is it preloaded?)\n", lib, name);
	return p;
}

/*
 * Check that the process's malloc and free come from @soname (LD_PRELOAD
 * worked) and that @sym is defined by it too.  Return: 0 or -1.
 */
static int peer_check(const char *soname, const char *sym)
{
	static const char *const fns[] = { "malloc", "free" };
	Dl_info info;

	for (unsigned i = 0; i < 2; i++) {
		void *f = dlsym(RTLD_DEFAULT, fns[i]);

		if (!f || !dladdr(f, &info) || !info.dli_fname || !strstr(info.dli_fname, soname)) {
			fprintf(stderr, "bench_alloc: %s comes from %s, not %s\n", fns[i],
				f && info.dli_fname ? info.dli_fname : "?", soname);
			return -1;
		}
	}
	if (!dladdr(dlsym(RTLD_DEFAULT, sym), &info) || !strstr(info.dli_fname, soname)) {
		fprintf(stderr, "bench_alloc: %s is not from %s\n", sym, soname);
		return -1;
	}
	return 0;
}

static int je_setup(void)
{
	if (peer_check("libjemalloc", "mallocx"))
		return -1;
	*(void **)&je_mallocx = peer_sym("jemalloc", "mallocx");
	*(void **)&je_sdallocx = peer_sym("jemalloc", "sdallocx");
	return je_mallocx && je_sdallocx ? 0 : -1;
}

static int mi_setup(void)
{
	if (peer_check("libmimalloc", "mi_malloc_aligned"))
		return -1;
	*(void **)&mi_malloc_aligned_p = peer_sym("mimalloc", "mi_malloc_aligned");
	*(void **)&mi_free_size_aligned_p = peer_sym("mimalloc", "mi_free_size_aligned");
	return mi_malloc_aligned_p && mi_free_size_aligned_p ? 0 : -1;
}

static int tc_setup(void)
{
	if (peer_check("libtcmalloc", "tc_memalign"))
		return -1;
	*(void **)&tc_memalign_p = peer_sym("tcmalloc", "tc_memalign");
	*(void **)&tc_free_sized_p = peer_sym("tcmalloc", "tc_free_sized");
	return tc_memalign_p && tc_free_sized_p ? 0 : -1;
}

#endif
