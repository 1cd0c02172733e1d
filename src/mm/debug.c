// SPDX-License-Identifier: MIT
/*
 * Reporting bad pages: dump_page() and bad_page() in the kernel's format
 * (mm/debug.c, mm/page_alloc.c), the %pGp page-flags formatter, and the
 * rate limit (60 reports, then a 60 s window of suppressed ones).
 *
 * A bad page found while the allocator has it in hand (being freed, being
 * handed out) is taken out of circulation: its mapcount is reset (so it is
 * no longer PageBuddy) and nothing frees it again.  A bad *request* (a
 * double free, a wrong order, a tail page, a get on a free page) is only
 * reported and refused: that page is not ours to take (it may sit on a free
 * list, or still belong to the caller), so it is left exactly as it is.
 * Either way the machine counts it and tells the embedder through the
 * on_bad_page callback.
 *
 * fatal=on: after the report the log gets a final "Kernel panic - not
 * syncing" line and the callback is called; its contract is then not to
 * return (abort the process).  The library never aborts on its own: without
 * a callback, or if it returns, pmm goes on as in report-and-continue mode.
 *
 * dump_page() may look at a page another thread is changing (the loser of a
 * double-free race reports while the winner frees): it prints a snapshot
 * taken with intentionally racy reads, as the kernel's __dump_page() does.
 *
 * Pointers are printed raw (as with the kernel's no_hash_pointers): in a
 * user-space allocator the address is what a developer needs.
 */
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/debug.h"

static const struct {
	int bit;
	const char *name;
} pageflag_names[] = {
	{ PG_locked, "locked" }, { PG_waiters, "waiters" }, { PG_error, "error" },
	{ PG_referenced, "referenced" }, { PG_uptodate, "uptodate" }, { PG_dirty, "dirty" },
	{ PG_lru, "lru" }, { PG_active, "active" }, { PG_workingset, "workingset" },
	{ PG_slab, "slab" }, { PG_owner_priv_1, "owner_priv_1" }, { PG_arch_1, "arch_1" },
	{ PG_reserved, "reserved" }, { PG_private, "private" }, { PG_private_2, "private_2" },
	{ PG_writeback, "writeback" }, { PG_head, "head" }, { PG_mappedtodisk, "mappedtodisk" },
	{ PG_reclaim, "reclaim" }, { PG_swapbacked, "swapbacked" },
	{ PG_unevictable, "unevictable" }, { PG_mlocked, "mlocked" }, { PG_uncached, "uncached" },
	{ PG_hwpoison, "hwpoison" }, { PG_young, "young" }, { PG_idle, "idle" },
	{ PG_arch_2, "arch_2" },
};

size_t format_page_flags(char *buf, size_t size, unsigned long flags)
{
	size_t n = 0;
	bool first = true;

#define EMIT(...)                                                                  \
	do {                                                                       \
		int r_ = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, __VA_ARGS__); \
		if (r_ > 0)                                                        \
			n += (size_t)r_;                                           \
	} while (0)

	EMIT("0x%lx(", flags);
	for (size_t i = 0; i < sizeof(pageflag_names) / sizeof(pageflag_names[0]); i++) {
		if (!(flags & (1ul << pageflag_names[i].bit)))
			continue;
		EMIT("%s%s", first ? "" : "|", pageflag_names[i].name);
		first = false;
	}
	EMIT("%snode=%lu", first ? "" : "|", (flags >> NODES_PGSHIFT) & NODES_MASK);
	EMIT("|zone=%lu", (flags >> ZONES_PGSHIFT) & ZONES_MASK);
	EMIT("|lastcpupid=0x%lx", (flags >> LAST_CPUPID_PGSHIFT) & LAST_CPUPID_MASK);
	EMIT(")");
#undef EMIT
	return n;
}

static void dump_raw(struct pmm *m, const char *prefix, const struct page *p)
{
	const unsigned long *w = (const unsigned long *)p;

	pr_warn(m, "%s: %016lx %016lx %016lx %016lx\n", prefix, w[0], w[1], w[2], w[3]);
	pr_warn(m, "%s: %016lx %016lx %016lx %016lx\n", prefix, w[4], w[5], w[6], w[7]);
}

__attribute__((noinline)) data_race_fn struct zone *page_zone_racy(const struct pmm *m,
								   const struct page *page)
{
	struct page snap = { .flags = page->flags };

	return page_zone(m, &snap);
}

void dump_page(struct pmm *m, struct page *page, const char *reason)
{
	unsigned long pfn = page_to_pfn(m, page);
	struct page snap, hsnap[2];
	struct page *head = page;
	char flags[256];
	int mapcount;

	snapshot_page(&snap, page);
	/* Follow compound_head only to a page of this machine. */
	if ((snap.compound_head & 1) && page_is_ours(m, (void *)(snap.compound_head - 1)))
		head = (struct page *)(snap.compound_head - 1);
	if (head != page)
		snapshot_page(&hsnap[0], head);
	else
		hsnap[0] = snap;
	hsnap[1] = hsnap[0];
	if (PageHead(&hsnap[0]) && page_is_ours(m, head + 1))
		snapshot_page(&hsnap[1], head + 1);

	if (snap.flags == ~0ul) {
		pr_warn(m, "page:%016lx is uninitialized and poisoned\n", (unsigned long)page);
		dump_raw(m, "raw", &snap);
		goto out;
	}
	/* Typed pages (buddy, guard) show mapcount 0, as page_mapcount() does. */
	mapcount = snap._mapcount < PAGE_MAPCOUNT_RESERVE ? 0 : snap._mapcount + 1;
	pr_warn(m, "page:%016lx refcount:%d mapcount:%d mapping:%016lx index:0x%lx pfn:0x%lx\n",
		(unsigned long)page, snap._refcount, mapcount,
		(unsigned long)(PageTail(&snap) ? NULL : snap.mapping),
		PageTail(&snap) ? 0ul : snap.index, pfn);
	if (head != page || PageHead(&snap)) {
		unsigned order = PageHead(&hsnap[0]) ? hsnap[1].compound_order : 0;
		pr_warn(m, "head:%016lx order:%u compound_mapcount:%d compound_pincount:%d\n",
			(unsigned long)head, order, order ? hsnap[1].compound_mapcount + 1 : 0,
			order ? hsnap[1].compound_pincount : 0);
	}
	if (snap.memcg_data)
		pr_warn(m, "memcg:%lx\n", snap.memcg_data);
	format_page_flags(flags, sizeof(flags), hsnap[0].flags);
	pr_warn(m, "flags: %s\n", flags);
	dump_raw(m, "raw", &snap);
	if (head != page)
		dump_raw(m, "head", &hsnap[0]);
out:
	if (reason)
		pr_warn(m, "page dumped because: %s\n", reason);
	if (m->debug_hooks.dump_page_owner)
		m->debug_hooks.dump_page_owner(m, page);
}

/* The kernel's page_bad_reason(): the last matching check wins. */
const char *page_bad_reason(const struct page *page, unsigned long flags)
{
	const char *bad_reason = NULL;

	if (page->_mapcount != -1)
		bad_reason = "nonzero mapcount";
	if (page->mapping != NULL)
		bad_reason = "non-NULL mapping";
	if (page_ref_count(page) != 0)
		bad_reason = "nonzero _refcount";
	if (page->flags & flags) {
		if (flags == PAGE_FLAGS_CHECK_AT_PREP)
			bad_reason = "PAGE_FLAGS_CHECK_AT_PREP flag(s) set";
		else
			bad_reason = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	}
	if (page->memcg_data)
		bad_reason = "page still charged to cgroup";
	return bad_reason;
}

/* The end of every report: fatal mode's last line, then the embedder. */
void bad_page_notify(struct pmm *m, unsigned long pfn, const char *reason)
{
	if (unlikely(m->cfg.fatal))
		pr_emerg(m, "Kernel panic - not syncing: Bad page state: %s (fatal=on)\n", reason);
	if (m->on_bad_page)
		m->on_bad_page(m->on_bad_page_ctx, pfn, reason);
}

static void report_bad_page(struct pmm *m, struct page *page, const char *reason, bool take)
{
	struct bad_page_state *bp = &m->bad_page;
	uint64_t now = m->plat->clock_ns(m->plat->ctx);
	bool show = true;
	char comm[16];
	int pid, tgid;

	pmm_lock(&bp->lock);
	bp->total++;
	if (bp->nr_shown == 60) {
		if (now < bp->resume) {
			bp->nr_unshown++;
			show = false;
		} else {
			if (bp->nr_unshown) {
				pr_alert(m, "BUG: Bad page state: %lu messages suppressed\n",
					 bp->nr_unshown);
				bp->nr_unshown = 0;
			}
			bp->nr_shown = 0;
		}
	}
	if (show && bp->nr_shown++ == 0)
		bp->resume = now + 60ull * 1000000000ull;
	pmm_unlock(&bp->lock);

	if (show || m->cfg.fatal) {
		m->plat->task(m->plat->ctx, &pid, &tgid, comm);
		pr_alert(m, "BUG: Bad page state in process %.16s  pfn:%05lx\n", comm,
			 page_to_pfn(m, page));
		dump_page(m, page, reason);
	}
	/* Leak the frame: no longer a buddy, never handed out again. */
	if (take && page->_mapcount < PAGE_MAPCOUNT_RESERVE)
		page->_mapcount = -1;
	bad_page_notify(m, page_to_pfn(m, page), reason);
}

void bad_page(struct pmm *m, struct page *page, const char *reason)
{
	report_bad_page(m, page, reason, true);
}

void bad_page_refuse(struct pmm *m, struct page *page, const char *reason)
{
	report_bad_page(m, page, reason, false);
}

/* A pointer that is not a struct page of this machine: nothing to dump. */
void bad_page_pointer(struct pmm *m, const void *ptr, const char *what)
{
	char comm[16];
	int pid, tgid;

	pmm_lock(&m->bad_page.lock);
	m->bad_page.total++;
	pmm_unlock(&m->bad_page.lock);
	m->plat->task(m->plat->ctx, &pid, &tgid, comm);
	pr_alert(m, "BUG: Bad page pointer in process %.16s  page:%016lx\n", comm,
		 (unsigned long)ptr);
	pr_alert(m, "page dumped because: %s\n", what);
	bad_page_notify(m, ~0ul, what);
}
