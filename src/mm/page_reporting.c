// SPDX-License-Identifier: MIT
/*
 * Free page reporting (mm/page_reporting.c): large free blocks are handed to
 * a reporter that returns their memory to the host.  In user space the
 * built-in reporter discards the frames (MADV_DONTNEED, or a hole punched in a
 * file-backed machine's memory: physmem_discard()), which is how a pmm
 * machine's RSS shrinks after a burst of use; an embedder may register its
 * own (a hypervisor's balloon, say).
 *
 * A free that leaves a block of at least page_reporting_order requests a
 * pass; the pass runs on the next pmm_free_pages() at least
 * PAGE_REPORTING_DELAY after the request, or when the embedder calls
 * pmm_page_reporting_run().  A pass walks each zone's lists of the
 * reporting orders, isolates up to PAGE_REPORTING_CAPACITY unreported blocks
 * at a time, reports them without the zone lock, and puts them back at the
 * tail marked PageReported.  Allocation clears the mark.
 *
 * Locking: rep->lock serialises passes; zone->lock is held only to isolate
 * and put back.  A free touches only the machine's own reporting_order,
 * reporting_state and reporting_requested_at (atomics), as the kernel's
 * frees test page_reporting_order first.  The reporter itself lives under
 * RCU, as the kernel's pr_dev_info does: a pass finds it and takes its lock
 * in a read-side section (platform/rcu.h), and unregistering unpublishes it,
 * waits for those sections (pmm_synchronize_rcu()) and then for a pass already
 * holding the lock before it frees it.
 */

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "platform/cpu.h"

#ifdef PMM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/*
 * The reporter, found under the RCU read lock.  The load is an acquire
 * (a plain load on x86-64) rather than an rcu_dereference() so that
 * ThreadSanitizer sees it pair with the registration's publishing store.
 */
static struct page_reporting *reporter_get(const struct pmm *m)
{
	pmm_rcu_read_lock(&m->rcu);
	return __atomic_load_n(&m->reporting, __ATOMIC_ACQUIRE);
}

/*
 * Leave the read-side section.  ThreadSanitizer cannot see a grace period:
 * each reader announces the end of its section on m->reporting, and
 * unregistering takes all of them in after pmm_synchronize_rcu()
 * (reporter_wait_readers()), the order the grace period guarantees.
 */
static void reporter_put(const struct pmm *m)
{
#ifdef PMM_TSAN
	__tsan_release((void *)&m->reporting);
#endif
	pmm_rcu_read_unlock(&m->rcu);
}

static void reporter_wait_readers(struct pmm *m)
{
	pmm_synchronize_rcu(&m->rcu);
#ifdef PMM_TSAN
	__tsan_acquire(&m->reporting);
#endif
}

#define PAGE_REPORTING_CAPACITY 32
#define PAGE_REPORTING_DELAY_NS (2ull * 1000000000ull)

enum { PAGE_REPORTING_IDLE, PAGE_REPORTING_REQUESTED, PAGE_REPORTING_ACTIVE };

struct page_reporting {
	struct pmm_lock lock;
	unsigned order;
	int (*report)(void *ctx, const struct pmm_reported_block *blocks, unsigned n);
	void *ctx;
	unsigned long reported_pages;   /* written under rep->lock; read atomically */
};

static int discard_report(void *ctx, const struct pmm_reported_block *blocks, unsigned n)
{
	struct pmm *m = ctx;

	for (unsigned i = 0; i < n; i++) {
		int err = physmem_discard(m, blocks[i].pfn, 1ul << blocks[i].order);
		if (err)
			return err;
	}
	return 0;
}

int pmm_page_reporting_register(struct pmm *m, unsigned order,
				int (*report)(void *ctx, const struct pmm_reported_block *blocks,
					      unsigned n),
				void *ctx)
{
	struct page_reporting *rep, *none = NULL;

	if (__atomic_load_n(&m->reporting, __ATOMIC_RELAXED))
		return -PMM_EBUSY;
	if (order == 0 || order >= MAX_ORDER)
		order = pageblock_order;
	if (m->cfg.page_poison && !report)
		return -PMM_EINVAL; /* discarded frames would lose their poison */
	rep = pmm_zalloc(m, sizeof(*rep));
	if (!rep)
		return -PMM_ENOMEM;
	pmm_lock_init(&rep->lock);
	rep->order = order;
	rep->report = report ? report : discard_report;
	rep->ctx = report ? ctx : m;
	/* Published whole; of two registrations at once, one wins. */
	if (!__atomic_compare_exchange_n(&m->reporting, &none, rep, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED)) {
		pmm_lock_destroy(&rep->lock);
		pmm_free(m, rep, sizeof(*rep));
		return -PMM_EBUSY;
	}
	/* Report what is already free, at the next free (asked for long ago). */
	__atomic_store_n(&m->reporting_requested_at, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->reporting_state, PAGE_REPORTING_REQUESTED, __ATOMIC_RELAXED);
	__atomic_store_n(&m->reporting_order, order, __ATOMIC_RELAXED);
	return 0;
}

void pmm_page_reporting_unregister(struct pmm *m)
{
	struct page_reporting *rep = __atomic_exchange_n(&m->reporting, NULL, __ATOMIC_ACQ_REL);

	if (!rep)
		return;
	__atomic_store_n(&m->reporting_order, MAX_ORDER, __ATOMIC_RELAXED);
	/* Every thread that found it has left its read-side section ... */
	reporter_wait_readers(m);
	/* ... and a pass that took its lock there has finished. */
	pmm_lock(&rep->lock);
	pmm_unlock(&rep->lock);
	pmm_lock_destroy(&rep->lock);
	pmm_free(m, rep, sizeof(*rep));
}

/* A free left a block of a reported order (page_reporting_notify_free()). */
void page_reporting_notify_free_slow(struct pmm *m)
{
	int idle = PAGE_REPORTING_IDLE;

	if (__atomic_compare_exchange_n(&m->reporting_state, &idle, PAGE_REPORTING_REQUESTED, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_store_n(&m->reporting_requested_at, machine_clock_ns(m), __ATOMIC_RELAXED);
}

/* __isolate_free_page(): take a free block off its list, if watermarks allow. */
static bool isolate_free_page_locked(struct zone *zone, struct page *page, unsigned order)
{
	struct pmm *m = zone->machine;
	int mt = get_pageblock_migratetype(m, page);

	if (!is_migrate_isolate(mt)) {
		unsigned long mark = zone->_watermark[WMARK_MIN] + (1ul << order);
		if (!zone_watermark_ok(zone, 0, mark, 0, ALLOC_CMA))
			return false;
		mod_zone_freepage_state(zone, -(1l << order), mt);
	}
	del_page_from_free_list(page, zone, order);
	return true;
}

static unsigned long report_zone(struct pmm *m, struct page_reporting *rep, struct zone *zone)
{
	struct pmm_reported_block blocks[PAGE_REPORTING_CAPACITY];
	struct page *pages[PAGE_REPORTING_CAPACITY];
	unsigned long done = 0;
	unsigned long mark = low_wmark_pages(zone) + ((unsigned long)PAGE_REPORTING_CAPACITY << rep->order);

	if (!zone_watermark_ok(zone, 0, mark, ZONE_MOVABLE, ALLOC_CMA))
		return 0;
	for (unsigned order = rep->order; order < MAX_ORDER; order++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			if (is_migrate_isolate(mt))
				continue;
			for (;;) {
				unsigned n = 0;
				struct list_head *pos;
				int err;

				pmm_lock(&zone->lock);
				list_for_each(pos, &zone->free_area[order].free_list[mt]) {
					struct page *p = list_entry(pos, struct page, lru);
					if (PageReported(p))
						continue;
					pages[n++] = p;
					if (n == PAGE_REPORTING_CAPACITY)
						break;
				}
				for (unsigned i = 0; i < n; i++) {
					if (!isolate_free_page_locked(zone, pages[i], order)) {
						/* Watermark hit: give back what we took and stop. */
						for (unsigned j = 0; j < i; j++)
							free_one_page_locked(zone, pages[j],
									     page_to_pfn(m, pages[j]), order, mt,
									     FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
						pmm_unlock(&zone->lock);
						return done;
					}
					blocks[i].pfn = page_to_pfn(m, pages[i]);
					blocks[i].order = order;
				}
				pmm_unlock(&zone->lock);
				if (!n)
					break;
				err = rep->report(rep->ctx, blocks, n);
				pmm_lock(&zone->lock);
				for (unsigned i = 0; i < n; i++) {
					/*
					 * The zone lock was dropped for the report: the block may
					 * have been isolated since (page_reporting_drain() reads
					 * the pageblock's type again, as here).
					 */
					int now = get_pfnblock_migratetype(m, blocks[i].pfn);

					free_one_page_locked(zone, pages[i], blocks[i].pfn, order, now,
							     FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
					if (!err && PageBuddy(pages[i]) && buddy_order(pages[i]) == order)
						SetPageReported(pages[i]);
				}
				pmm_unlock(&zone->lock);
				if (err)
					return done;
				done += (unsigned long)n << order;
			}
		}
	}
	return done;
}

/* A pass, with rep->lock held; drops it. */
static unsigned long report_pass_unlock(struct pmm *m, struct page_reporting *rep)
{
	unsigned long done = 0;
	int nid;

	__atomic_store_n(&m->reporting_state, PAGE_REPORTING_ACTIVE, __ATOMIC_RELAXED);
	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];
			if (managed_zone(zone))
				done += report_zone(m, rep, zone);
		}
	__atomic_store_n(&rep->reported_pages, rep->reported_pages + done, __ATOMIC_RELAXED);
	/* A free during the pass may have asked again; otherwise go idle. */
	{
		int active = PAGE_REPORTING_ACTIVE;
		__atomic_compare_exchange_n(&m->reporting_state, &active, PAGE_REPORTING_IDLE, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	pmm_unlock(&rep->lock);
	return done;
}

/*
 * The lock is taken inside the read-side section that found the reporter,
 * so once unregistering has waited for those sections, it only has to wait
 * for the lock.
 */
unsigned long pmm_page_reporting_run(struct pmm *m)
{
	struct page_reporting *rep;

	rep = reporter_get(m);
	if (!rep) {
		reporter_put(m);
		return 0;
	}
	pmm_lock(&rep->lock);
	reporter_put(m);
	return report_pass_unlock(m, rep);
}

/* Called at the end of a free: run a requested pass once its delay is over. */
void page_reporting_maybe_run(struct pmm *m)
{
	struct page_reporting *rep;

	/*
	 * Nothing asked for, or not long enough ago: no need to find the
	 * reporter.  Signed: another thread's clock may be a little behind
	 * the one that asked.
	 */
	if (__atomic_load_n(&m->reporting_state, __ATOMIC_RELAXED) != PAGE_REPORTING_REQUESTED ||
	    (int64_t)(machine_clock_ns(m) -
		      __atomic_load_n(&m->reporting_requested_at, __ATOMIC_RELAXED)) <
		    (int64_t)PAGE_REPORTING_DELAY_NS)
		return;
	rep = reporter_get(m);
	if (!rep || !pmm_trylock(&rep->lock)) {
		reporter_put(m);
		return;
	}
	reporter_put(m);
	report_pass_unlock(m, rep);
}

unsigned long pmm_page_reporting_reported(const struct pmm *m)
{
	struct page_reporting *rep = reporter_get(m);
	unsigned long n = rep ? __atomic_load_n(&rep->reported_pages, __ATOMIC_RELAXED) : 0;

	reporter_put(m);
	return n;
}
