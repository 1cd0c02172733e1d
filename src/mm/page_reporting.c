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
 * pass; the pass runs at the end of the first free past the per-CPU
 * list's plain hit (a drain, the zone path, the bulk free) at least
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

/*
 * A free left a block of a reported order (page_reporting_notify_free(),
 * __page_reporting_request()): REQUESTED whatever the state was, so that a
 * pass running now (ACTIVE) sees the request when it ends and asks for
 * the next; only a request from IDLE starts the delay.
 */
void page_reporting_notify_free_slow(struct pmm *m)
{
	if (__atomic_load_n(&m->reporting_state, __ATOMIC_RELAXED) == PAGE_REPORTING_REQUESTED)
		return;
	if (__atomic_exchange_n(&m->reporting_state, PAGE_REPORTING_REQUESTED, __ATOMIC_RELAXED) ==
	    PAGE_REPORTING_IDLE)
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
	/*
	 * At least half a pageblock: the pageblocks it covers become
	 * MOVABLE, those that can merge with others (migratetype_is_mergeable()).
	 */
	if (order >= pageblock_order - 1)
		for (unsigned long i = 0; i < (1ul << order); i += pageblock_nr_pages)
			if (get_pageblock_migratetype(m, page + i) < MIGRATE_PCPTYPES)
				set_pageblock_migratetype(m, page + i, MIGRATE_MOVABLE);
	return true;
}

/*
 * The kernel's scatterlist: isolated blocks, filled from the end (slot
 * @offset - 1 next), reported and put back in slot order.
 */
struct report_batch {
	struct pmm_reported_block blocks[PAGE_REPORTING_CAPACITY];
	struct page *pages[PAGE_REPORTING_CAPACITY];
	unsigned offset; /* free slots left */
};

/*
 * page_reporting_drain(), zone->lock held: put slots [@first, @first + @n)
 * back at the tail of their lists, under their pageblocks' types now (the
 * lock was dropped for the report, and a pageblock may have been isolated
 * since), marked reported if the report succeeded and the block did not
 * merge.  Returns the pages marked.
 */
static unsigned long report_drain_locked(struct pmm *m, struct zone *zone, struct report_batch *b,
					 unsigned first, unsigned n, bool reported)
{
	unsigned long done = 0;

	for (unsigned i = first; i < first + n; i++) {
		struct page *page = b->pages[i];
		unsigned order = b->blocks[i].order;

		free_one_page_locked(zone, page, b->blocks[i].pfn, order,
				     get_pfnblock_migratetype(m, b->blocks[i].pfn),
				     FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
		if (reported && PageBuddy(page) && buddy_order(page) == order) {
			SetPageReported(page);
			done += 1ul << order;
		}
	}
	return done;
}

/* list_rotate_to_front(): @e becomes the first entry of @list, the order otherwise kept. */
static void list_rotate_to_front(struct list_head *e, struct list_head *list)
{
	list_move_tail(list, e);
}

/*
 * page_reporting_cycle(): one free list of @zone.  Unreported blocks are
 * isolated into @b; a full batch is reported when the next unreported
 * block is found, with that block rotated to the front of the list first
 * (the list is walked again from there).  The budget is
 * DIV_ROUND_UP(nr_free, 32 * 16) reports, and one more is made before it
 * counts as spent (6.1's "a sixteenth of the list plus one call"); past
 * that the pass asks for another and leaves the list, its remaining
 * blocks at the front.  A block the watermark keeps from isolation ends the list too.
 * *@done counts the pages reported.  0, or the reporter's error.
 */
static int report_cycle(struct pmm *m, struct page_reporting *rep, struct zone *zone,
			unsigned order, int mt, struct report_batch *b, unsigned long *done)
{
	struct free_area *area = &zone->free_area[order];
	struct list_head *list = &area->free_list[mt], *pos, *next = list;
	long budget;
	int err = 0;

	pmm_lock(&zone->lock);
	budget = (long)((area->nr_free + PAGE_REPORTING_CAPACITY * 16 - 1) / (PAGE_REPORTING_CAPACITY * 16));
	for (pos = list->next; pos != list; pos = next) {
		struct page *page = list_entry(pos, struct page, lru);

		next = pos->next;
		if (PageReported(page))
			continue;
		if (budget < 0) {
			__atomic_store_n(&m->reporting_state, PAGE_REPORTING_REQUESTED, __ATOMIC_RELAXED);
			next = pos;
			break;
		}
		if (b->offset) {
			if (!isolate_free_page_locked(zone, page, order)) {
				next = pos;
				break;
			}
			b->offset--;
			b->pages[b->offset] = page;
			b->blocks[b->offset] = (struct pmm_reported_block){ page_to_pfn(m, page), order };
			continue;
		}
		if (list->next != pos)
			list_rotate_to_front(pos, list);
		pmm_unlock(&zone->lock);
		err = rep->report(rep->ctx, b->blocks, PAGE_REPORTING_CAPACITY);
		b->offset = PAGE_REPORTING_CAPACITY;
		budget--;
		pmm_lock(&zone->lock);
		*done += report_drain_locked(m, zone, b, 0, PAGE_REPORTING_CAPACITY, !err);
		/* The lock was dropped: walk again from the front. */
		next = list->next;
		if (err)
			break;
	}
	/* What is left unreported goes to the front, for the next pass. */
	if (next != list && list->next != next)
		list_rotate_to_front(next, list);
	pmm_unlock(&zone->lock);
	return err;
}

/*
 * page_reporting_process_zone(): every list of the reported orders but
 * the isolate ones, while the zone stays above its low mark by a full
 * batch of the smallest reported order; the batch carries from list to
 * list, and what is in it at the end is reported then.
 */
static int report_zone(struct pmm *m, struct page_reporting *rep, struct zone *zone,
		       unsigned long *done)
{
	struct report_batch b;
	unsigned long mark = low_wmark_pages(zone) + ((unsigned long)PAGE_REPORTING_CAPACITY << rep->order);
	unsigned left;
	int err;

	if (!zone_watermark_ok(zone, 0, mark, 0, ALLOC_CMA))
		return 0;
	b.offset = PAGE_REPORTING_CAPACITY;
	for (unsigned order = rep->order; order < MAX_ORDER; order++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			if (is_migrate_isolate(mt))
				continue;
			if ((err = report_cycle(m, rep, zone, order, mt, &b, done)))
				return err;
		}
	left = PAGE_REPORTING_CAPACITY - b.offset;
	if (!left)
		return 0;
	err = rep->report(rep->ctx, b.blocks + b.offset, left);
	pmm_lock(&zone->lock);
	*done += report_drain_locked(m, zone, &b, b.offset, left, !err);
	pmm_unlock(&zone->lock);
	return err;
}

/*
 * A pass (page_reporting_process()), with rep->lock held; drops it.  A
 * reporter's error ends it.  If a free asked for reporting meanwhile, or
 * a list's budget ran out, the next pass is due PAGE_REPORTING_DELAY from
 * now, as the kernel schedules its work again; otherwise reporting goes
 * idle.
 */
static unsigned long report_pass_unlock(struct pmm *m, struct page_reporting *rep)
{
	int state = PAGE_REPORTING_ACTIVE;
	unsigned long done = 0;
	int nid;

	__atomic_store_n(&m->reporting_state, PAGE_REPORTING_ACTIVE, __ATOMIC_RELAXED);
	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];
			if (managed_zone(zone) && report_zone(m, rep, zone, &done))
				goto out;
		}
out:
	__atomic_store_n(&rep->reported_pages, rep->reported_pages + done, __ATOMIC_RELAXED);
	/*
	 * Before the lock goes: a free's maybe_run() that sees REQUESTED
	 * with the old time finds the lock still held.
	 */
	if (!__atomic_compare_exchange_n(&m->reporting_state, &state, PAGE_REPORTING_IDLE, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_store_n(&m->reporting_requested_at, machine_clock_ns(m), __ATOMIC_RELAXED);
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

/*
 * Wait for a pass running now to finish: the blocks it holds off the
 * lists are back on them then (memory offline, whose range must be all
 * free, waits so where the kernel's offline_pages() retries until it is).
 */
void page_reporting_wait_pass(struct pmm *m)
{
	struct page_reporting *rep = reporter_get(m);

	if (rep) {
		pmm_lock(&rep->lock);
		pmm_unlock(&rep->lock);
	}
	reporter_put(m);
}

unsigned long pmm_page_reporting_reported(const struct pmm *m)
{
	struct page_reporting *rep = reporter_get(m);
	unsigned long n = rep ? __atomic_load_n(&rep->reported_pages, __ATOMIC_RELAXED) : 0;

	reporter_put(m);
	return n;
}
