// SPDX-License-Identifier: MIT
/*
 * Attaching listeners to the kmem tracepoints (the kernel's
 * tracepoint_probe_register()).  The allocator calls through m->tp with one
 * predictable branch; with one listener m->tp is that listener's hooks, with
 * several it is the fan-out below, which calls each listener's hook in the
 * order they were registered.
 *
 * Locking: none of its own; registration happens while no other thread uses
 * the machine (the caller's promise), so the allocator reads m->tp plainly.
 */
#include <pmm/errno.h>

#include "mm/pcp.h"
#include "mm/trace.h"

#define for_each_listener(m, l) \
	for (const struct tp_listener *l = (m)->tp_listeners; l < (m)->tp_listeners + (m)->nr_tp_listeners; l++)

static void mux_alloc(void *ctx, unsigned long pfn, unsigned order, pmm_gfp_t gfp, int mt)
{
	for_each_listener((struct pmm *)ctx, l)
		if (l->tp->mm_page_alloc)
			l->tp->mm_page_alloc(l->ctx, pfn, order, gfp, mt);
}

static void mux_free(void *ctx, unsigned long pfn, unsigned order)
{
	for_each_listener((struct pmm *)ctx, l)
		if (l->tp->mm_page_free)
			l->tp->mm_page_free(l->ctx, pfn, order);
}

static void mux_free_batched(void *ctx, unsigned long pfn)
{
	for_each_listener((struct pmm *)ctx, l)
		if (l->tp->mm_page_free_batched)
			l->tp->mm_page_free_batched(l->ctx, pfn);
}

static void mux_zone_locked(void *ctx, unsigned long pfn, unsigned order, int mt, int refill)
{
	for_each_listener((struct pmm *)ctx, l)
		if (l->tp->mm_page_alloc_zone_locked)
			l->tp->mm_page_alloc_zone_locked(l->ctx, pfn, order, mt, refill);
}

static void mux_pcpu_drain(void *ctx, unsigned long pfn, unsigned order, int mt)
{
	for_each_listener((struct pmm *)ctx, l)
		if (l->tp->mm_page_pcpu_drain)
			l->tp->mm_page_pcpu_drain(l->ctx, pfn, order, mt);
}

static void mux_extfrag(void *ctx, unsigned long pfn, int alloc_order, int fallback_order,
			int alloc_mt, int fallback_mt, int change_ownership)
{
	for_each_listener((struct pmm *)ctx, l)
		if (l->tp->mm_page_alloc_extfrag)
			l->tp->mm_page_alloc_extfrag(l->ctx, pfn, alloc_order, fallback_order, alloc_mt,
						     fallback_mt, change_ownership);
}

static const struct pmm_tracepoints mux = {
	.mm_page_alloc = mux_alloc,
	.mm_page_free = mux_free,
	.mm_page_free_batched = mux_free_batched,
	.mm_page_alloc_zone_locked = mux_zone_locked,
	.mm_page_pcpu_drain = mux_pcpu_drain,
	.mm_page_alloc_extfrag = mux_extfrag,
};

static void tracepoints_publish(struct pmm *m)
{
	if (m->nr_tp_listeners == 0) {
		m->tp = NULL;
		m->tp_ctx = NULL;
	} else if (m->nr_tp_listeners == 1) {
		m->tp = m->tp_listeners[0].tp;
		m->tp_ctx = m->tp_listeners[0].ctx;
	} else {
		m->tp = &mux;
		m->tp_ctx = m;
	}
	pcp_fast_update(m);
}

int tracepoint_register(struct pmm *m, const struct pmm_tracepoints *tp, void *ctx)
{
	unsigned max = sizeof(m->tp_listeners) / sizeof(m->tp_listeners[0]);

	for_each_listener(m, l)
		if (l->tp == tp && l->ctx == ctx)
			return -PMM_EEXIST;
	if (m->nr_tp_listeners == max)
		return -PMM_EBUSY;
	m->tp_listeners[m->nr_tp_listeners].tp = tp;
	m->tp_listeners[m->nr_tp_listeners].ctx = ctx;
	m->nr_tp_listeners++;
	tracepoints_publish(m);
	return 0;
}

void tracepoint_unregister(struct pmm *m, const struct pmm_tracepoints *tp, void *ctx)
{
	for (unsigned i = 0; i < m->nr_tp_listeners; i++) {
		if (m->tp_listeners[i].tp != tp || m->tp_listeners[i].ctx != ctx)
			continue;
		for (; i + 1 < m->nr_tp_listeners; i++)
			m->tp_listeners[i] = m->tp_listeners[i + 1];
		m->nr_tp_listeners--;
		tracepoints_publish(m);
		return;
	}
}

bool tracepoints_need_full_path(const struct pmm *m)
{
	for_each_listener(m, l)
		if (l->tp->mm_page_alloc || l->tp->mm_page_free || l->tp->mm_page_free_batched)
			return true;
	return false;
}
