/* SPDX-License-Identifier: MIT */
/*
 * Debugging aids: fault injection (the kernel's fail_page_alloc and
 * fail-nth).  Poisoning, init_on_alloc/init_on_free and debug_pagealloc are
 * machine config options (<pmm/config.h>).
 */
#ifndef PMM_DEBUG_H
#define PMM_DEBUG_H

#include <stdbool.h>
#include <pmm/api.h>

PMM_BEGIN_DECLS

struct pmm;

/* The attributes of /sys/kernel/debug/fail_page_alloc/. */
struct pmm_fail_attr {
	unsigned long probability;   /* percent, 0..100; 0 = never */
	unsigned long interval;      /* only every interval-th eligible call */
	long times;                  /* failures left; -1 = unlimited */
	long space;                  /* pages to let through first */
	int verbose;                 /* >0: print FAULT_INJECTION on each failure */
	bool ignore_gfp_reclaim;     /* "ignore-gfp-wait": spare __GFP_DIRECT_RECLAIM */
	bool ignore_gfp_highmem;     /* spare __GFP_HIGHMEM */
	unsigned min_order;          /* spare orders below this */
};

/** pmm_fail_attr_default() - the kernel's defaults (interval 1, times 1,
 * probability 0, verbose 2, ignore-gfp-wait and -highmem Y, min-order 1).
 * Context: any; does not sleep.
 */
PMM_API void pmm_fail_attr_default(struct pmm_fail_attr *attr);

/**
 * pmm_fail_page_alloc_set() - turn fault injection on with @attr, or off
 * with NULL.  Randomness comes from the machine's seed (deterministic).
 * Return: 0, -PMM_EINVAL (probability > 100, min_order too large) or -PMM_ENOMEM.
 * Context: not concurrently with allocations on @m.
 */
PMM_API int pmm_fail_page_alloc_set(struct pmm *m, const struct pmm_fail_attr *attr);

/**
 * pmm_fail_nth() - fail exactly the @nth next allocation on @m made by the
 * calling thread (the kernel's /proc/self/fail-nth); 0 cancels.
 * __GFP_NOFAIL allocations are not counted.  Return: 0.
 * Context: affects only the calling thread.
 */
PMM_API int pmm_fail_nth(struct pmm *m, unsigned long nth);

PMM_END_DECLS

#endif
