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
 * kswapd, woken for node @zone's zones up to @highest_zoneidx: the
 * embedder's hint, then what balance_pgdat() ends with when it has nothing
 * more to reclaim: the watermark boost of every zone it balanced (0 to
 * @highest_zoneidx of the node) is dropped.  pmm's kswapd does no work of
 * its own, so it counts no pageoutrun.
 */
void wakeup_kswapd(struct pmm *m, struct zone *zone, unsigned order, int highest_zoneidx)
{
	struct zone *zones = m->node_data[zone->node]->node_zones;

	if (m->mm_ops.wake_kswapd)
		m->mm_ops.wake_kswapd(m->mm_ops_ctx, zone->node, highest_zoneidx, order);
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct zone *z = &zones[i];

		if (!managed_zone(z) || !__atomic_load_n(&z->watermark_boost, __ATOMIC_RELAXED))
			continue;
		pmm_lock(&z->lock);
		__atomic_store_n(&z->watermark_boost, 0, __ATOMIC_RELAXED);
		zone_fast_update(z);
		pmm_unlock(&z->lock);
	}
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
	struct zone *zone;
	int last_nid = -1;

	for (struct zoneref *z = ac->zonelist->_zonerefs; (zone = zonelist_zone(z)); z++) {
		if (zone->zone_idx > ac->highest_zoneidx || !managed_zone(zone) ||
		    zone->node == last_nid)
			continue;
		last_nid = zone->node;
		wakeup_kswapd(m, zone, order, ac->highest_zoneidx);
	}
}

/*
 * The machines (their pmm_fast.id) whose callbacks this thread is running,
 * innermost first, as a list of frames on the callers' stacks: the
 * kernel's PF_MEMALLOC.  Allocations a callback makes from any of them may
 * use the reserves and never enter reclaim again (alloc_pages_slowpath()),
 * also when a callback of one machine allocates from another whose
 * callback allocates from the first.
 */
struct memalloc_frame {
	uint64_t id;
	const struct memalloc_frame *prev;
};
static __thread const struct memalloc_frame *memalloc_top;

bool in_memalloc(const struct pmm *m)
{
	for (const struct memalloc_frame *f = memalloc_top; f; f = f->prev)
		if (f->id == m->fast.id)
			return true;
	return false;
}

static void memalloc_enter(struct memalloc_frame *f, const struct pmm *m)
{
	f->id = m->fast.id;
	f->prev = memalloc_top;
	memalloc_top = f;
}

static void memalloc_leave(const struct memalloc_frame *f)
{
	memalloc_top = f->prev;
}

/* The zone a request's reclaim events are counted against: its highest, on its node. */
static struct zone *event_zone(struct pmm *m, const struct alloc_context *ac)
{
	return &m->node_data[ac->preferred_nid]->node_zones[ac->highest_zoneidx];
}

unsigned long direct_reclaim(struct pmm *m, pmm_gfp_t gfp, unsigned order,
			     const struct alloc_context *ac)
{
	struct memalloc_frame frame;
	unsigned long progress;

	/*
	 * do_try_to_free_pages(): every entry is a stall, counted as
	 * allocstall_<zone> of the request's highest zone, whatever it frees.
	 */
	count_zone_event(event_zone(m, ac), EV_ALLOCSTALL, 1);
	if (!m->mm_ops.reclaim)
		return 0;
	memalloc_enter(&frame, m);
	progress = m->mm_ops.reclaim(m->mm_ops_ctx, gfp, order);
	memalloc_leave(&frame);
	return progress;
}

bool direct_compact(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	struct memalloc_frame frame;
	bool ran;

	/* try_to_compact_pages(): GFP_NOIO may not migrate (COMPACT_SKIPPED). */
	if (!order || !(gfp & PMM___GFP_IO) || !m->mm_ops.compact)
		return false;
	memalloc_enter(&frame, m);
	ran = m->mm_ops.compact(m->mm_ops_ctx, gfp, order);
	memalloc_leave(&frame);
	return ran;
}

void count_compact_event(struct pmm *m, const struct alloc_context *ac, enum zone_event_item ev)
{
	count_zone_event(event_zone(m, ac), ev, 1);
}

unsigned long zone_reclaimable_pages(struct pmm *m, struct zone *zone)
{
	struct memalloc_frame frame;
	unsigned long n;

	if (!m->mm_ops.reclaimable)
		return 0;
	memalloc_enter(&frame, m);
	n = m->mm_ops.reclaimable(m->mm_ops_ctx, zone->node, zone->zone_idx);
	memalloc_leave(&frame);
	return n;
}
