// SPDX-License-Identifier: MIT
/*
 * Reporting bad pages: dump_page() and bad_page() in the kernel's format
 * (mm/debug.c, mm/page_alloc.c), the %pGp page-flags formatter, and the
 * rate limit (60 reports, then a 60 s window of suppressed ones).
 *
 * A bad page is taken out of circulation: its mapcount is reset (so it is
 * no longer PageBuddy) and nothing frees it again.  The machine counts it
 * and tells the embedder through the on_bad_page callback.
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

void dump_page(struct pmm *m, struct page *page, const char *reason)
{
	struct page *head = compound_head(page);
	unsigned long pfn = page_to_pfn(m, page);
	char flags[256];
	int mapcount;

	if (page->flags == ~0ul) {
		pr_warn(m, "page:%016lx is uninitialized and poisoned\n", (unsigned long)page);
		dump_raw(m, "raw", page);
		goto out;
	}
	/* Typed pages (buddy, guard) show mapcount 0, as page_mapcount() does. */
	mapcount = page->_mapcount < PAGE_MAPCOUNT_RESERVE ? 0 : page->_mapcount + 1;
	pr_warn(m, "page:%016lx refcount:%d mapcount:%d mapping:%016lx index:0x%lx pfn:0x%lx\n",
		(unsigned long)page, page_ref_count(page), mapcount,
		(unsigned long)(PageTail(page) ? NULL : page->mapping),
		PageTail(page) ? 0ul : page->index, pfn);
	if (head != page || PageHead(page)) {
		unsigned order = compound_order(head);
		pr_warn(m, "head:%016lx order:%u compound_mapcount:%d compound_pincount:%d\n",
			(unsigned long)head, order, order ? head[1].compound_mapcount + 1 : 0,
			order ? head[1].compound_pincount : 0);
	}
	if (page->memcg_data)
		pr_warn(m, "memcg:%lx\n", page->memcg_data);
	format_page_flags(flags, sizeof(flags), head->flags);
	pr_warn(m, "flags: %s\n", flags);
	dump_raw(m, "raw", page);
	if (head != page)
		dump_raw(m, "head", head);
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

void bad_page(struct pmm *m, struct page *page, const char *reason)
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

	if (show) {
		m->plat->task(m->plat->ctx, &pid, &tgid, comm);
		pr_alert(m, "BUG: Bad page state in process %.16s  pfn:%05lx\n", comm,
			 page_to_pfn(m, page));
		dump_page(m, page, reason);
	}
	/* Leak the frame: no longer a buddy, never handed out again. */
	if (page->_mapcount < PAGE_MAPCOUNT_RESERVE)
		page->_mapcount = -1;
	if (m->on_bad_page)
		m->on_bad_page(m->on_bad_page_ctx, page_to_pfn(m, page), reason);
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
	if (m->on_bad_page)
		m->on_bad_page(m->on_bad_page_ctx, ~0ul, what);
}
