// SPDX-License-Identifier: MIT
/*
 * fail_page_alloc: fault injection for page allocations, with the kernel's
 * attributes (probability, interval, times, space, verbose, min-order,
 * ignore-gfp-wait, ignore-gfp-highmem) and the per-task fail-nth counter,
 * here per thread.  A hit makes the allocation return NULL at once: no slow
 * path, no warn_alloc, no mm_page_alloc event.
 *
 * Locking: attribute updates and the decision are serialised by one lock;
 * fault injection is a debugging aid, not a fast path.
 */
#include <string.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

struct fail_page_alloc {
	struct pmm_lock lock;
	struct pmm_fail_attr attr;
	unsigned long count;   /* calls that passed the filters, for interval */
	uint64_t rand;         /* xorshift64 state from the machine seed */
};

static void pr_notice_fault(struct pmm *m, const struct fail_page_alloc *f);

static __thread uint64_t fail_nth_machine; /* pmm_fast.id, 0 if none */
static __thread unsigned long fail_nth_left;

int pmm_fail_page_alloc_set(struct pmm *m, const struct pmm_fail_attr *attr)
{
	struct fail_page_alloc *f;

	if (!attr) {
		if (m->fail) {
			f = m->fail;
			__atomic_store_n(&m->fail, NULL, __ATOMIC_RELEASE);
			/* Setting is documented as not concurrent with allocation. */
			pmm_lock_destroy(&f->lock);
			pmm_free(m, f, sizeof(*f));
			pcp_fast_update(m);
		}
		return 0;
	}
	if (attr->probability > 100 || attr->min_order >= MAX_ORDER)
		return -PMM_EINVAL;
	f = m->fail;
	if (!f) {
		f = pmm_zalloc(m, sizeof(*f));
		if (!f)
			return -PMM_ENOMEM;
		pmm_lock_init(&f->lock);
		f->rand = m->cfg.seed ? m->cfg.seed : 0x9e3779b97f4a7c15ull;
	}
	pmm_lock(&f->lock);
	f->attr = *attr;
	f->count = 0;
	pmm_unlock(&f->lock);
	__atomic_store_n(&m->fail, f, __ATOMIC_RELEASE);
	pcp_fast_update(m);
	return 0;
}

void pmm_fail_attr_default(struct pmm_fail_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->interval = 1;
	a->times = 1;
	a->verbose = 2;
	a->ignore_gfp_reclaim = true;
	a->ignore_gfp_highmem = true;
	a->min_order = 1;
}

int pmm_fail_nth(struct pmm *m, unsigned long nth)
{
	if (nth && !__atomic_load_n(&m->fail_nth_used, __ATOMIC_RELAXED)) {
		__atomic_store_n(&m->fail_nth_used, true, __ATOMIC_RELAXED);
		pcp_fast_update(m);
	}
	fail_nth_machine = nth ? m->fast.id : 0;
	fail_nth_left = nth;
	return 0;
}

static uint64_t next_rand(struct fail_page_alloc *f)
{
	f->rand ^= f->rand << 13;
	f->rand ^= f->rand >> 7;
	f->rand ^= f->rand << 17;
	return f->rand;
}

bool should_fail_alloc_page_slow(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	struct fail_page_alloc *f;
	bool fail = false;

	if (unlikely(fail_nth_machine == m->fast.id) && !(gfp & PMM___GFP_NOFAIL)) {
		if (--fail_nth_left == 0) {
			fail_nth_machine = 0;
			return true;
		}
	}
	f = __atomic_load_n(&m->fail, __ATOMIC_ACQUIRE);
	if (likely(!f))
		return false;
	pmm_lock(&f->lock);
	if (order < f->attr.min_order || (gfp & PMM___GFP_NOFAIL) ||
	    (f->attr.ignore_gfp_highmem && (gfp & PMM___GFP_HIGHMEM)) ||
	    (f->attr.ignore_gfp_reclaim && (gfp & PMM___GFP_DIRECT_RECLAIM)))
		goto out;
	if (f->attr.probability == 0 || f->attr.times == 0)
		goto out;
	if (f->attr.space > 0 && f->attr.space > (1l << order)) {
		f->attr.space -= 1l << order;
		goto out;
	}
	if (f->attr.interval > 1 && ++f->count % f->attr.interval)
		goto out;
	if (f->attr.probability <= next_rand(f) % 100)
		goto out;
	fail = true;
	if (f->attr.times > 0)
		f->attr.times--;
	if (f->attr.verbose > 0 && !(gfp & PMM___GFP_NOWARN))
		pr_notice_fault(m, f);
out:
	pmm_unlock(&f->lock);
	return fail;
}

static void pr_notice_fault(struct pmm *m, const struct fail_page_alloc *f)
{
	pmm_printk(m, PMM_LOG_NOTICE,
		   "FAULT_INJECTION: forcing a failure.\nname fail_page_alloc, interval %lu, probability %lu, space %ld, times %ld\n",
		   f->attr.interval, f->attr.probability, f->attr.space, f->attr.times);
}
