/* SPDX-License-Identifier: MIT */
/*
 * kmem tracepoints (include/trace/events/kmem.h).  The allocator calls
 * trace_*() at the kernel's points; each costs one predictable branch when
 * nobody listens.  A listener (the event writer, a replay checker) fills a
 * struct pmm_tracepoints and attaches it to the machine.
 * pfn is ~0ul for a failed allocation (the kernel prints pfn=0x0 page=0).
 */
#ifndef PMM_MM_TRACE_H
#define PMM_MM_TRACE_H

#include <pmm/gfp.h>

#include "mm/internal.h"

struct pmm_tracepoints {
	void (*mm_page_alloc)(void *ctx, unsigned long pfn, unsigned order, pmm_gfp_t gfp, int mt);
	void (*mm_page_free)(void *ctx, unsigned long pfn, unsigned order);
	void (*mm_page_free_batched)(void *ctx, unsigned long pfn);
	void (*mm_page_alloc_zone_locked)(void *ctx, unsigned long pfn, unsigned order, int mt,
					  int percpu_refill);
	void (*mm_page_pcpu_drain)(void *ctx, unsigned long pfn, unsigned order, int mt);
	void (*mm_page_alloc_extfrag)(void *ctx, unsigned long pfn, int alloc_order,
				      int fallback_order, int alloc_mt, int fallback_mt,
				      int change_ownership);
};

/*
 * tracepoint_register() - add a listener to @m's kmem tracepoints (at most
 * four at once).  Hooks left NULL are not called.  Listeners that hook
 * neither mm_page_alloc nor mm_page_free keep the per-CPU fast path, which
 * passes no other tracepoint.
 * Return: 0, -PMM_EBUSY when four are attached, -PMM_EEXIST when (@tp, @ctx)
 * already is.
 * Context: no other thread may use @m meanwhile.
 */
PMM_HIDDEN int tracepoint_register(struct pmm *m, const struct pmm_tracepoints *tp, void *ctx);

/* tracepoint_unregister() - remove that listener (ignored if absent). Same context. */
PMM_HIDDEN void tracepoint_unregister(struct pmm *m, const struct pmm_tracepoints *tp, void *ctx);

/* tracepoints_need_full_path() - some listener wants every allocation or free. */
PMM_HIDDEN bool tracepoints_need_full_path(const struct pmm *m);

#define TRACE(m, ev, ...)                                                   \
	do {                                                                \
		const struct pmm_tracepoints *tp_ = (m)->tp;                \
		if (unlikely(tp_ != NULL) && tp_->ev)                       \
			tp_->ev((m)->tp_ctx, __VA_ARGS__);                  \
	} while (0)

#endif
