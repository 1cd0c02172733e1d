// SPDX-License-Identifier: MIT
/*
 * Reclaim and compaction entry points.  pmm has no page cache or LRU of its
 * own: these call the embedder's pmm_mm_ops when installed and otherwise
 * report no progress, so the slow path fails cleanly.
 */
#include "mm/internal.h"
#include "mm/page_alloc.h"

void pmm_set_mm_ops(struct pmm *m, const struct pmm_mm_ops *ops, void *ctx)
{
	if (ops)
		m->mm_ops = *ops;
	else
		m->mm_ops = (struct pmm_mm_ops){ 0 };
	m->mm_ops_ctx = ctx;
}

/*
 * kswapd: the embedder's hint, then what kswapd's balancing ends with when
 * it has nothing more to reclaim: the watermark boost is dropped.
 */
void wakeup_kswapd(struct pmm *m, struct zone *zone, unsigned order)
{
	if (m->mm_ops.wake_kswapd)
		m->mm_ops.wake_kswapd(m->mm_ops_ctx, zone->node, zone->zone_idx, order);
	pmm_lock(&zone->lock);
	__atomic_store_n(&zone->watermark_boost, 0, __ATOMIC_RELAXED);
	zone_fast_update(zone);
	pmm_unlock(&zone->lock);
}

int pmm_set_reclaim_active(struct pmm *m, int nid, int highest_zoneidx, bool active)
{
	if (!node_online(m, nid) || highest_zoneidx < 0 || highest_zoneidx >= MAX_NR_ZONES)
		return -PMM_EINVAL;
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct zone *zone = &m->node_data[nid]->node_zones[i];

		if (!managed_zone(zone))
			continue;
		/* Read locklessly by every free's drain decision (pcp_add_page()). */
		if (active)
			__atomic_fetch_or(&zone->flags, 1ul << ZONE_RECLAIM_ACTIVE, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&zone->flags, ~(1ul << ZONE_RECLAIM_ACTIVE), __ATOMIC_RELAXED);
	}
	return 0;
}

void wake_all_kswapds(struct pmm *m, unsigned order, const struct alloc_context *ac)
{
	int last_nid = -1;

	if (!m->mm_ops.wake_kswapd)
		return;
	struct zone *zone;

	for (struct zoneref *z = ac->zonelist->_zonerefs; (zone = zonelist_zone(z)); z++) {
		if (zone->zone_idx > ac->highest_zoneidx || zone->node == last_nid)
			continue;
		last_nid = zone->node;
		wakeup_kswapd(m, zone, order);
	}
}

unsigned long direct_reclaim(struct pmm *m, pmm_gfp_t gfp, unsigned order,
			     const struct alloc_context *ac)
{
	(void)ac;
	if (!m->mm_ops.reclaim)
		return 0;
	return m->mm_ops.reclaim(m->mm_ops_ctx, gfp, order);
}

/*
 * __alloc_pages_direct_compact()'s compaction: the embedder's callback, for
 * a request above order 0.  True when a block of @order may now be free;
 * the slow path then tries its free lists again with its own flags, as the
 * kernel does, rather than starting a new allocation (which would recurse
 * here for as long as the callback answers "maybe").
 */
bool direct_compact(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	if (!order || !m->mm_ops.compact)
		return false;
	return m->mm_ops.compact(m->mm_ops_ctx, gfp, order);
}
