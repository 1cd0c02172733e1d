// SPDX-License-Identifier: MIT
/*
 * Huge page pools: the part of mm/hugetlb.c that decides where physical
 * memory goes at boot (hugepagesz=, hugepages=, default_hugepagesz=), a
 * pool that hands the pages out and takes them back, and its resizing,
 * surplus pages, dissolving and replacement after boot.
 *
 *   - Gigantic pages (1 GiB, order 18: above the buddy's largest block)
 *     are taken from memblock while it boots, as hugepages_setup() does
 *     when the command line is parsed: each 1 GiB-aligned from the top of
 *     a node (memblock's top-down search, falling back to any node), the
 *     nodes with memory in turn from node 0 (for_each_node_mask_to_alloc())
 *     or as many on each node as hugepages=N:C asks.  The "Memory:" line
 *     counts them reserved.  hugetlb_init()'s gather_bootmem_prealloc()
 *     then makes each a compound page in its node's pool and adds it to
 *     its zone's managed pages: after the watermarks are first computed
 *     (postcore), before khugepaged computes them again (subsys, later in
 *     link order).
 *   - 2 MiB pages (order 9) come from the buddy allocator, __GFP_THISNODE on
 *     each node in turn, at the end of pmm's boot (the kernel's
 *     hugetlb_init(); they change no managed count, so no watermark).
 *
 * A page in its pool has refcount 0 and is neither free (no PageBuddy)
 * nor reserved, as the kernel's free huge pages; page[1]'s compound_dtor
 * says hugetlb (PageHuge()).  Handed out it has refcount 1; the last put
 * brings it back to the pool, unless the page is surplus.
 *
 * After boot the pools are resized as writing nr_hugepages resizes them
 * (set_max_huge_pages()): growing allocates fresh pages (2 MiB from the
 * buddy allocator, 1 GiB with alloc_contig_pages()) on the allowed nodes
 * in turn; shrinking gives free pool pages back to the buddy allocator and
 * then marks pages still handed out as surplus, so that each goes back to
 * the buddy allocator when its last reference is dropped.  With
 * nr_overcommit_hugepages above 0, an allocation that finds the 2 MiB pool
 * empty takes a fresh surplus page from the buddy allocator
 * (alloc_surplus_huge_page()).  Memory offline dissolves the pool pages
 * in its range (dissolve_free_huge_pages()), and a contiguous allocation
 * swaps those in its range for fresh ones (alloc_and_dissolve_huge_page()).
 *
 * Reservations (hugetlb_acct_memory()) promise pages for later: the pool
 * keeps resv_huge_pages of its free pages for takes that use one, growing
 * by surplus pages where it has too few free (gather_surplus_pages()), and
 * a release of unused reservations gives surplus pages back
 * (return_unused_surplus_pages()).  Takes without a reservation, offline's
 * dissolve and shrinking leave the reserved pages alone.
 *
 * The kernel counts surplus pages per node, not per page.  pmm reads the
 * counts so that a node's surplus pages are first its pages handed out,
 * and only the rest (free surplus pages) are free: a free page counts as
 * surplus only while a reservation needs it, and a free page leaves the
 * pool uncounted as surplus only from a node with a free page that is not
 * surplus.  The kernel's arithmetic can mark a free page surplus with no
 * reservation behind it, and a later removal then leaves more surplus
 * pages than pages on the node (see adjust_pool_surplus()).
 * Demotion splits a free 1 GiB page into 512 pages of the 2 MiB pool
 * (demote_pool_huge_folio()).  pmm has no migration of huge pages.
 *
 * Locking: an hstate's resize lock serialises its resizes (the kernel's
 * h->resize_lock), and is taken before the pool lock (struct pmm_hugetlb),
 * which guards the lists and counts and is never held across a call into
 * the allocator; a page's refcount is atomic.  Boot runs single-threaded.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <pmm/hugetlb.h>

#include "mm/debug.h"
#include "mm/hugetlb.h"
#include "mm/page_alloc.h"

struct hstate {
	unsigned order;
	unsigned long max_huge_pages;                   /* asked for */
	unsigned long max_huge_pages_node[MAX_NUMNODES]; /* hugepages=N:C; all 0: spread */
	bool node_specific;
	unsigned long nr_huge_pages, free_huge_pages, surplus_huge_pages;
	unsigned long resv_huge_pages;                  /* of free_huge_pages, those promised */
	unsigned long nr_huge_pages_node[MAX_NUMNODES];
	unsigned long free_huge_pages_node[MAX_NUMNODES];
	unsigned long surplus_huge_pages_node[MAX_NUMNODES];
	unsigned long nr_overcommit_huge_pages;
	struct list_head freelists[MAX_NUMNODES];       /* heads, through page->lru */
	int next_nid_to_alloc, next_nid_to_free;        /* resize lock (boot: single thread) */
	struct pmm_lock resize_lock;                    /* taken before the pool lock */
};

struct pmm_hugetlb {
	struct pmm_lock lock;
	unsigned nr_hstates;
	struct hstate hstates[PMM_MAX_HSTATES]; /* the two sizes, at most: 2M is added last */
	/*
	 * The 1 GiB pages taken from memblock, in the order taken, until
	 * gathered: room for as many as memory holds (x86-64 has one gigantic
	 * size, boot_h).
	 */
	struct hstate *boot_h;
	uint64_t *boot;
	unsigned long nr_boot, boot_cap;
};

static bool gigantic(const struct hstate *h)
{
	return h->order >= MAX_ORDER;
}

/* string_get_size(size, 1, STRING_UNITS_2, ...) for the two sizes pmm has. */
static const char *size_name(const struct hstate *h)
{
	return h->order == PMM_HUGETLB_ORDER_1G ? "1.00 GiB" : "2.00 MiB";
}

static struct hstate *hstate_of_order(const struct pmm *m, unsigned order)
{
	struct pmm_hugetlb *ht = m->hugetlb;

	for (unsigned i = 0; ht && i < ht->nr_hstates; i++)
		if (ht->hstates[i].order == order)
			return &ht->hstates[i];
	return NULL;
}

static struct hstate *add_hstate(struct pmm_hugetlb *ht, unsigned order)
{
	struct hstate *h = &ht->hstates[ht->nr_hstates++];

	memset(h, 0, sizeof(*h));
	h->order = order;
	pmm_lock_init(&h->resize_lock);
	for (int n = 0; n < MAX_NUMNODES; n++)
		INIT_LIST_HEAD(&h->freelists[n]);
	return h;
}

static void take_count(struct hstate *h, const struct pmm_hstate_config *c)
{
	h->max_huge_pages = c->nr;
	memcpy(h->max_huge_pages_node, c->nr_node, sizeof(h->max_huge_pages_node));
	h->node_specific = false;
	for (int n = 0; n < MAX_NUMNODES; n++)
		h->node_specific |= c->nr_node[n] != 0;
}

/* Nodes with memory (N_MEMORY), from memblock: a bit per node.  Boot only (single thread). */
static unsigned long boot_memory_nodes(const struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long mask = 0;

	for (unsigned long i = 0; i < mem->cnt; i++)
		mask |= 1ul << mem->regions[i].nid;
	return mask;
}

/*
 * After boot: node_online_map, which free_area_init() sets from memblock.
 * memblock itself is rewritten by memory hotplug under the hotplug lock,
 * which a resize does not hold; a node memory is added to must have been
 * online at boot, so the map covers it.
 */
static unsigned long memory_nodes(const struct pmm *m)
{
	return __atomic_load_n(&m->node_online_map, __ATOMIC_RELAXED);
}

int hugetlb_setup(struct pmm *m)
{
	const struct pmm_config *c = &m->cfg;
	unsigned long nodes = boot_memory_nodes(m) | m->named_nodes;
	struct pmm_hugetlb *ht;
	struct hstate *h;

	ht = pmm_zalloc(m, sizeof(*ht));
	if (!ht)
		return -PMM_ENOMEM;
	pmm_lock_init(&ht->lock);
	m->hugetlb = ht;
	if (c->nr_hstates > PMM_MAX_HSTATES) {
		pr_err(m, "pmm: %u huge page sizes, at most %d\n", c->nr_hstates, PMM_MAX_HSTATES);
		return -PMM_EINVAL;
	}
	for (unsigned i = 0; i < c->nr_hstates; i++) {
		if (c->hstates[i].order != PMM_HUGETLB_ORDER_2M &&
		    c->hstates[i].order != PMM_HUGETLB_ORDER_1G) {
			pr_err(m, "pmm: huge page order %u is not 9 (2M) or 18 (1G)\n",
			       c->hstates[i].order);
			return -PMM_EINVAL;
		}
		if (hstate_of_order(m, c->hstates[i].order)) {
			pr_err(m, "pmm: huge page size of order %u named twice\n", c->hstates[i].order);
			return -PMM_EINVAL;
		}
		h = add_hstate(ht, c->hstates[i].order);
		if (c->hstates[i].count_set)
			take_count(h, &c->hstates[i]);
	}
	/* hugetlb_init(): the 2 MiB size always exists; a bare hugepages= counts the default size. */
	h = hstate_of_order(m, PMM_HUGETLB_ORDER_2M);
	if (!h)
		h = add_hstate(ht, PMM_HUGETLB_ORDER_2M);
	/* A config built in C may leave a count for a named default size here too. */
	if (c->default_hstate >= 0 && c->default_hstate < (int)c->nr_hstates)
		h = hstate_of_order(m, c->hstates[c->default_hstate].order);
	if (c->default_count.count_set) {
		if (h->max_huge_pages) {
			pr_warn(m, "HugeTLB: Ignoring hugepages=%lu associated with %s page size\n",
				h->max_huge_pages, size_name(h));
			pr_warn(m, "HugeTLB: Using hugepages=%lu for number of default huge pages\n",
				c->default_count.nr);
		}
		take_count(h, &c->default_count);
	}
	for (unsigned i = 0; i < ht->nr_hstates; i++) {
		h = &ht->hstates[i];
		for (int n = 0; n < MAX_NUMNODES; n++)
			if (h->max_huge_pages_node[n] && !(nodes & (1ul << n))) {
				pr_err(m, "pmm: hugepages= counts pages on node %d, which the machine does not have\n",
				       n);
				return -PMM_EINVAL;
			}
		if (gigantic(h) && h->max_huge_pages && m->cfg.memmap == PMM_MEMMAP_ALTMAP) {
			pr_err(m, "pmm: 1G huge pages at boot and memmap=altmap do not go together (a section's memmap lives in its first frames)\n");
			return -PMM_EINVAL;
		}
	}
	return 0;
}

void hugetlb_teardown(struct pmm *m)
{
	struct pmm_hugetlb *ht = m->hugetlb;

	if (!ht)
		return;
	if (ht->boot)
		pmm_free(m, ht->boot, MAX(ht->boot_cap, 1ul) * sizeof(*ht->boot));
	for (unsigned i = 0; i < ht->nr_hstates; i++)
		pmm_lock_destroy(&ht->hstates[i].resize_lock);
	pmm_lock_destroy(&ht->lock);
	pmm_free(m, ht, sizeof(*ht));
	m->hugetlb = NULL;
}

/* hstate_next_node_to_alloc()/_to_free(): the node at *@next in @mask (or the next one), and advance. */
static int next_node(int *next, unsigned long mask)
{
	int nid = *next;

	if (!mask)
		return PMM_NUMA_NO_NODE;
	while (!(mask & (1ul << nid)))
		nid = (nid + 1) % MAX_NUMNODES;
	*next = (nid + 1) % MAX_NUMNODES;
	return nid;
}

/* __alloc_bootmem_huge_page(): memblock's top-down search on @nid, else on any node. */
static bool alloc_bootmem_huge_page(struct pmm *m, struct hstate *h, int nid)
{
	struct pmm_hugetlb *ht = m->hugetlb;
	uint64_t size = PAGE_SIZE << h->order, addr;

	if (ht->nr_boot == ht->boot_cap)
		return false; /* memory holds no more */
	addr = memblock_phys_alloc(m, size, size, nid);
	if (addr == UINT64_MAX && nid != PMM_NUMA_NO_NODE)
		addr = memblock_phys_alloc(m, size, size, PMM_NUMA_NO_NODE);
	if (addr == UINT64_MAX)
		return false;
	ht->boot[ht->nr_boot++] = addr;
	return true;
}

/*
 * hugetlb_hstate_alloc_pages(): @h's pages, as many on each node as
 * hugepages=N:C asks, or spread over the nodes with memory from where the
 * last allocation left off, each taken by @one; a shortfall is warned as
 * the kernel warns it and lowers the counts to what was taken.  A 2 MiB
 * page tries each node in turn (alloc_pool_huge_page()); a 1 GiB one
 * once, memblock itself falling back to any node.
 */
static void alloc_hstate_pages(struct pmm *m, struct hstate *h,
			       bool (*one)(struct pmm *m, struct hstate *h, int nid))
{
	unsigned long nodes = boot_memory_nodes(m), got = 0;

	if (h->node_specific) {
		for (int n = 0; n < MAX_NUMNODES; n++) {
			unsigned long want = h->max_huge_pages_node[n], j;

			for (j = 0; j < want && one(m, h, n); j++)
				;
			if (j == want)
				continue;
			pr_warn(m, "HugeTLB: allocating %lu of page size %s failed node%d.  Only allocated %lu hugepages.\n",
				want, size_name(h), n, j);
			h->max_huge_pages -= want - j;
			h->max_huge_pages_node[n] = j;
		}
		return;
	}
	for (; got < h->max_huge_pages; got++) {
		bool ok = false;

		for (int tries = gigantic(h) ? 1 : __builtin_popcountl(nodes); tries > 0 && !ok; tries--)
			ok = one(m, h, next_node(&h->next_nid_to_alloc, nodes));
		if (!ok)
			break;
	}
	if (got < h->max_huge_pages) {
		pr_warn(m, "HugeTLB: allocating %lu of page size %s failed.  Only allocated %lu hugepages.\n",
			h->max_huge_pages, size_name(h), got);
		h->max_huge_pages = got;
	}
}

int hugetlb_reserve_gigantic(struct pmm *m)
{
	struct pmm_hugetlb *ht = m->hugetlb;
	struct hstate *h = hstate_of_order(m, PMM_HUGETLB_ORDER_1G);

	static_assert(PMM_MAX_HSTATES == 2, "x86-64's sizes: one gigantic, 1G");
	if (!h || !h->max_huge_pages)
		return 0;
	ht->boot_cap = MIN(h->max_huge_pages, (unsigned long)(m->memblock.memory.total_size >>
							      (PAGE_SHIFT + h->order)));
	ht->boot = pmm_zalloc(m, MAX(ht->boot_cap, 1ul) * sizeof(*ht->boot));
	if (!ht->boot)
		return -PMM_ENOMEM;
	ht->boot_h = h;
	alloc_hstate_pages(m, h, alloc_bootmem_huge_page);
	return 0;
}

/*
 * The head's private while the page is on its pool's list: the kernel's
 * HPageFreed, which tells a pool page from one whose last reference is
 * gone but that is not back yet, or that a resize has taken off the list.
 */
#define HUGE_PAGE_FREED 1ul

/* enqueue_hugetlb_folio(): @page (refcount 0) to the head of its node's list. */
static void enqueue_huge_page(struct hstate *h, struct page *page)
{
	int nid = page_to_nid(page);

	page->private = HUGE_PAGE_FREED;
	list_add(&page->lru, &h->freelists[nid]);
	h->free_huge_pages++;
	h->free_huge_pages_node[nid]++;
}

/*
 * page_ref_freeze(): @page's count from @count to 0 in one step, so that
 * a reference someone else holds (a scanner's pin, page_pin_allocated())
 * is never overwritten; false, and nothing changed, if the count was not
 * @count.
 */
static bool page_ref_freeze(struct page *page, int count)
{
	return __atomic_compare_exchange_n(&page->_refcount, &count, 0, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/*
 * prep_compound_gigantic_page() + prep_new_huge_page(): the frames of a
 * memblock range or of a contiguous allocation (each with refcount 1)
 * become one compound hugetlb page with refcount 0.  Each count is frozen
 * 1 -> 0, as 6.1 does: another thread may hold a passing reference on a
 * frame (a contiguous request or memory offline asking the migrate
 * callback about it).  If one cannot be frozen, the frames frozen so far
 * are put back as they were (refcount 1, no compound links) and false is
 * returned: the caller frees them, and the holder's drop frees the frame
 * it holds.  @demote: the
 * frames of a free gigantic page, whose counts are 0 already (nobody can
 * take a reference on them: page_pin_allocated() wants a count above 0).
 */
static bool prep_gigantic_page(struct pmm *m, struct hstate *h, struct page *page, bool demote)
{
	unsigned long nr = 1ul << h->order, i;

	for (i = 0; i < nr; i++) {
		struct page *p = page + i;

		if (!demote && !page_ref_freeze(p, 1))
			goto inflated;
		ClearPageReserved(p);
		p->private = 0;
		if (i) {
			p->mapping = TAIL_MAPPING;
			p->compound_head = (unsigned long)page + 1;
		}
	}
	SetPageHead(page);
	page[1].compound_dtor = HUGETLB_PAGE_DTOR;
	page[1].compound_order = (unsigned char)h->order;
	page[1].compound_nr = (unsigned)nr;
	page[1].compound_mapcount = -1;
	page[1].compound_pincount = 0;
	return true;

inflated:
	pr_warn(m, "HugeTLB page can not be used due to unexpected inflated ref count\n");
	while (i-- > 0) {
		struct page *p = page + i;

		if (i) {
			p->mapping = NULL;
			p->compound_head = 0;
		}
		set_page_count(p, 1);
	}
	return false;
}

void hugetlb_gather(struct pmm *m)
{
	struct pmm_hugetlb *ht = m->hugetlb;

	/* The kernel's list of boot pages is last-in first-out. */
	for (unsigned long i = ht->nr_boot; i-- > 0;) {
		struct hstate *h = ht->boot_h;
		struct page *page = pfn_to_page(m, PFN_DOWN(ht->boot[i]));
		int nid = page_to_nid(page);

		/* Boot runs alone: nobody else holds a reference to fail the freeze. */
		if (!prep_gigantic_page(m, h, page, false))
			continue;
		h->nr_huge_pages++;
		h->nr_huge_pages_node[nid]++;
		enqueue_huge_page(h, page);
		/* adjust_managed_page_count(): the "stolen" pages count as RAM again. */
		__atomic_fetch_add(&page_zone(m, page)->managed_pages, 1l << h->order,
				   __ATOMIC_RELAXED);
	}
	pmm_free(m, ht->boot, MAX(ht->boot_cap, 1ul) * sizeof(*ht->boot));
	ht->boot = NULL;
	ht->nr_boot = ht->boot_cap = 0;
}

/*
 * alloc_buddy_huge_page(): a 2 MiB block from the buddy allocator on @nid
 * (or, without __GFP_THISNODE in @gfp, from its fallback nodes), made a
 * hugetlb page with refcount 0 (frozen: no reference to give back); NULL
 * if there is none.  As 6.1 does, the head's count is frozen 1 -> 0 at
 * once: a scanner may already hold a passing reference on the fresh block
 * (page_pin_allocated()), which a plain store of 0 would overwrite.  Such
 * a block is freed (the holder's drop frees it) and one more is tried.
 */
static struct page *alloc_buddy_huge_page(struct pmm *m, struct hstate *h, pmm_gfp_t gfp, int nid)
{
	for (int tries = 0; tries < 2; tries++) {
		struct page *page =
			alloc_pages_nid(m, gfp | PMM___GFP_COMP | PMM___GFP_NOWARN, h->order, nid);

		if (!page)
			break;
		if (page_ref_freeze(page, 1)) {
			page[1].compound_dtor = HUGETLB_PAGE_DTOR;
			count_zone_event(page_zone(m, page), EV_HTLB_BUDDY_PGALLOC, 1);
			return page;
		}
		pmm_free_pages(m, (struct pmm_page *)page, h->order);
		if (tries)
			pr_warn(m, "HugeTLB head page unexpected inflated ref count\n"); /* twice in a row */
	}
	/* A machine-wide event: any zone holds it, one of a node with memory. */
	count_zone_event(&m->node_data[node_online(m, nid) ? nid : numa_mem_id(m)]->node_zones[0],
			 EV_HTLB_BUDDY_PGALLOC_FAIL, 1);
	return NULL;
}

/* __prep_account_new_huge_page() and the first put: @page (refcount 0) joins @h's pool. */
static void add_new_pool_page(struct pmm *m, struct hstate *h, struct page *page)
{
	pmm_lock(&m->hugetlb->lock);
	h->nr_huge_pages++;
	h->nr_huge_pages_node[page_to_nid(page)]++;
	enqueue_huge_page(h, page);
	pmm_unlock(&m->hugetlb->lock);
}

/* alloc_pool_huge_page() at boot: a 2 MiB page on @nid into the pool. */
static bool alloc_fresh_huge_page(struct pmm *m, struct hstate *h, int nid)
{
	struct page *page = alloc_buddy_huge_page(
		m, h, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_THISNODE | PMM___GFP_RETRY_MAYFAIL, nid);

	if (!page)
		return false;
	add_new_pool_page(m, h, page);
	return true;
}

void hugetlb_alloc_pools(struct pmm *m)
{
	struct pmm_hugetlb *ht = m->hugetlb;

	for (unsigned i = 0; i < ht->nr_hstates; i++)
		if (!gigantic(&ht->hstates[i]) && ht->hstates[i].max_huge_pages)
			alloc_hstate_pages(m, &ht->hstates[i], alloc_fresh_huge_page);
	/* report_hugepages() */
	for (unsigned i = 0; i < ht->nr_hstates; i++) {
		struct hstate *h = &ht->hstates[i];
		/* hugetlb_vmemmap_optimizable_size(): the memmap less the one page kept */
		unsigned long vmemmap = (sizeof(struct page) << h->order) - PAGE_SIZE;

		pr_info(m, "HugeTLB: registered %s page size, pre-allocated %lu pages\n",
			size_name(h), h->free_huge_pages);
		pr_info(m, "HugeTLB: %lu KiB vmemmap can be freed for a %s page\n", vmemmap >> 10,
			size_name(h));
	}
}

/* ------------------------------------------------------------ the pool */

/* update_and_free_hugetlb_folio(): a page off its pool's lists back to the buddy. */
static void free_pool_page(struct pmm *m, struct hstate *h, struct page *page)
{
	unsigned long nr = 1ul << h->order;

	if (!gigantic(h)) {
		page[1].compound_dtor = COMPOUND_PAGE_DTOR;
		set_page_count(page, 1);
		pmm_free_pages(m, (struct pmm_page *)page, h->order);
		return;
	}
	/* destroy_compound_gigantic_page(), then free_contig_range(): order-0 frees. */
	for (unsigned long i = 1; i < nr; i++) {
		struct page *p = page + i;

		memset(&p->lru, 0, offsetof(struct page, _mapcount) - offsetof(struct page, lru));
		set_page_count(p, 1);
	}
	ClearPageHead(page);
	INIT_LIST_HEAD(&page->lru);
	page->private = 0;
	set_page_count(page, 1);
	free_contig_range(m, page_to_pfn(m, page), nr);
}

/* update_and_free_pages_bulk(): every page on @list (off the pool's counts) to the buddy. */
static void free_pool_page_list(struct pmm *m, struct hstate *h, struct list_head *list)
{
	while (!list_empty(list)) {
		struct page *page = list_entry(list->next, struct page, lru);

		list_del(&page->lru);
		INIT_LIST_HEAD(&page->lru);
		free_pool_page(m, h, page);
	}
}

/*
 * free_huge_folio(): the last reference to @page is gone (its refcount is
 * 0).  While its node has surplus pages, it leaves the pool for the buddy
 * allocator (remove_hugetlb_folio() with adjust_surplus); else it goes
 * back on its node's list.
 */
static void huge_page_released(struct pmm *m, struct hstate *h, struct page *page)
{
	int nid = page_to_nid(page);

	pmm_lock(&m->hugetlb->lock);
	if (h->surplus_huge_pages_node[nid]) {
		h->nr_huge_pages--;
		h->nr_huge_pages_node[nid]--;
		h->surplus_huge_pages--;
		h->surplus_huge_pages_node[nid]--;
		pmm_unlock(&m->hugetlb->lock);
		free_pool_page(m, h, page);
		return;
	}
	enqueue_huge_page(h, page);
	pmm_unlock(&m->hugetlb->lock);
}

void hugetlb_free_page(struct pmm *m, struct page *page, unsigned order)
{
	struct hstate *h = hstate_of_order(m, compound_order(page));
	int old = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);

	if (!h || order != h->order) {
		bad_page_refuse(m, page, "freeing a huge page with the wrong order");
		return;
	}
	do {
		if (old <= 0) {
			bad_page_refuse(m, page, "freeing a huge page that is in its pool (double free)");
			return;
		}
	} while (!__atomic_compare_exchange_n(&page->_refcount, &old, old - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	if (old == 1)
		huge_page_released(m, h, page);
}

/* An hstate of @m for @order and a node argument that names a node or none; else NULL. */
static struct hstate *pool_args(const struct pmm *m, unsigned order, int nid)
{
	if (!m || (nid != PMM_NUMA_NO_NODE && (nid < 0 || nid >= MAX_NUMNODES)))
		return NULL;
	return hstate_of_order(m, order);
}

int pmm_hugetlb_counts(struct pmm *m, unsigned order, int nid, struct pmm_hugetlb_counts *c)
{
	struct hstate *h = pool_args(m, order, nid);
	bool all = nid == PMM_NUMA_NO_NODE;

	if (!h || !c)
		return -PMM_EINVAL;
	pmm_lock(&m->hugetlb->lock);
	c->nr = all ? h->nr_huge_pages : h->nr_huge_pages_node[nid];
	c->nr_free = all ? h->free_huge_pages : h->free_huge_pages_node[nid];
	c->surplus = all ? h->surplus_huge_pages : h->surplus_huge_pages_node[nid];
	c->resv = h->resv_huge_pages;
	c->nr_overcommit = h->nr_overcommit_huge_pages;
	c->max = h->max_huge_pages;
	pmm_unlock(&m->hugetlb->lock);
	return 0;
}

int pmm_hugetlb_pool(struct pmm *m, unsigned order, int nid, unsigned long *nr,
		     unsigned long *nr_free)
{
	struct pmm_hugetlb_counts c;
	int err = pmm_hugetlb_counts(m, order, nid, &c);

	if (err)
		return err;
	if (nr)
		*nr = c.nr;
	if (nr_free)
		*nr_free = c.nr_free;
	return 0;
}

void hugetlb_meminfo(struct pmm *m, int nid, struct hugetlb_meminfo *out)
{
	struct pmm_hugetlb *ht = m->hugetlb;
	const struct hstate *def;

	out->order = hugetlb_default_order(m);
	out->nr = out->nr_free = out->surplus = out->resv = out->total_pages = 0;
	if (!ht)
		return;
	def = hstate_of_order(m, out->order);
	pmm_lock(&ht->lock);
	for (unsigned i = 0; i < ht->nr_hstates; i++)
		out->total_pages += ht->hstates[i].nr_huge_pages << ht->hstates[i].order;
	if (def) {
		out->nr = nid < 0 ? def->nr_huge_pages : def->nr_huge_pages_node[nid];
		out->nr_free = nid < 0 ? def->free_huge_pages : def->free_huge_pages_node[nid];
		out->surplus = nid < 0 ? def->surplus_huge_pages : def->surplus_huge_pages_node[nid];
		out->resv = def->resv_huge_pages;
	}
	pmm_unlock(&ht->lock);
}

/* @page (a head on its node's list) off it, out of the free counts; pool lock held. */
static void unlink_free_huge_page(struct hstate *h, struct page *page)
{
	int nid = page_to_nid(page);

	list_del(&page->lru);
	INIT_LIST_HEAD(&page->lru);
	page->private = 0;
	h->free_huge_pages--;
	h->free_huge_pages_node[nid]--;
}

/* dequeue_hugetlb_folio_node_exact(): the first page of @nid's list; pool lock held. */
static struct page *dequeue_huge_page_node(struct hstate *h, int nid)
{
	struct page *page;

	if (list_empty(&h->freelists[nid]))
		return NULL;
	page = list_entry(h->freelists[nid].next, struct page, lru);
	unlink_free_huge_page(h, page);
	return page;
}

/*
 * alloc_surplus_huge_page(): with the pool empty, a fresh 2 MiB page
 * beyond its persistent size while fewer than nr_overcommit_hugepages are
 * surplus; handed out at once, back to the buddy allocator when released.
 * @nid: exactly that node, or PMM_NUMA_NO_NODE for the local node and its
 * fallbacks.  The page comes with the caller's reference (refcount 1).
 */
static struct page *alloc_surplus_huge_page(struct pmm *m, struct hstate *h, int nid)
{
	pmm_gfp_t gfp = PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_RETRY_MAYFAIL;
	struct page *page;
	bool over;

	if (gigantic(h))
		return NULL;
	pmm_lock(&m->hugetlb->lock);
	over = h->surplus_huge_pages >= h->nr_overcommit_huge_pages;
	pmm_unlock(&m->hugetlb->lock);
	if (over)
		return NULL;
	if (nid != PMM_NUMA_NO_NODE)
		gfp |= PMM___GFP_THISNODE;
	page = alloc_buddy_huge_page(m, h, gfp, nid);
	if (!page)
		return NULL;
	pmm_lock(&m->hugetlb->lock);
	/* Others may have taken the allowance meanwhile (the kernel rechecks too). */
	if (h->surplus_huge_pages >= h->nr_overcommit_huge_pages) {
		pmm_unlock(&m->hugetlb->lock);
		free_pool_page(m, h, page);
		return NULL;
	}
	h->nr_huge_pages++;
	h->nr_huge_pages_node[page_to_nid(page)]++;
	h->surplus_huge_pages++;
	h->surplus_huge_pages_node[page_to_nid(page)]++;
	pmm_unlock(&m->hugetlb->lock);
	/* Frozen until now: no other reference can exist to be overwritten. */
	set_page_count(page, 1);
	return page;
}

/*
 * alloc_hugetlb_folio(): a page of @h from its pool on @nid (or the local
 * node and its fallbacks), else a fresh surplus one.  @resv: the take uses
 * one of the pool's reservations, which it then consumes; without one, a
 * take may not use the pool's reserved free pages.
 */
static struct page *alloc_huge_page(struct pmm *m, struct hstate *h, int nid, bool resv)
{
	struct page *page = NULL;

	pmm_lock(&m->hugetlb->lock);
	if (resv && !h->resv_huge_pages) {
		pmm_unlock(&m->hugetlb->lock);
		return NULL;
	}
	if (!resv && h->free_huge_pages == h->resv_huge_pages) {
		/* dequeue_hugetlb_folio_vma(): every free page is promised */
	} else if (nid != PMM_NUMA_NO_NODE) {
		page = dequeue_huge_page_node(h, nid);
	} else {
		/*
		 * The calling CPU's node first, then the others in its fallback
		 * order, which memory hotplug may be rebuilding (mm_init.c).
		 */
		int local = numa_mem_id(m);
		int nr = __atomic_load_n(&m->node_order_nr[local], __ATOMIC_ACQUIRE);

		for (int i = 0; !page && i < nr; i++)
			page = dequeue_huge_page_node(
				h, __atomic_load_n(&m->node_order[local][i], __ATOMIC_RELAXED));
		for (int n = 0; !page && n < MAX_NUMNODES; n++)
			page = dequeue_huge_page_node(h, n);
	}
	if (page) {
		set_page_count(page, 1);
		h->resv_huge_pages -= resv;
	}
	pmm_unlock(&m->hugetlb->lock);
	if (page || !(page = alloc_surplus_huge_page(m, h, nid)) || !resv)
		return page;
	/* A fresh page for a reservation: consume it, unless others used the last meanwhile. */
	pmm_lock(&m->hugetlb->lock);
	if (h->resv_huge_pages) {
		h->resv_huge_pages--;
		pmm_unlock(&m->hugetlb->lock);
		return page;
	}
	pmm_unlock(&m->hugetlb->lock);
	/* put_page(): a scanner may hold a passing reference; the last drop releases it. */
	hugetlb_free_page(m, page, h->order);
	return NULL;
}

struct pmm_page *pmm_hugetlb_alloc(struct pmm *m, unsigned order, int nid)
{
	struct hstate *h = pool_args(m, order, nid);

	return h ? (struct pmm_page *)alloc_huge_page(m, h, nid, false) : NULL;
}

struct pmm_page *pmm_hugetlb_alloc_reserved(struct pmm *m, unsigned order, int nid)
{
	struct hstate *h = pool_args(m, order, nid);

	return h ? (struct pmm_page *)alloc_huge_page(m, h, nid, true) : NULL;
}

/* persistent_huge_pages(): the pool's pages that are not surplus.  Pool lock held. */
static unsigned long persistent_huge_pages(const struct hstate *h)
{
	return h->nr_huge_pages - h->surplus_huge_pages;
}

/*
 * Of node @nid's free pages, those that count as surplus: its surplus
 * pages beyond the ones handed out.  Pool lock held.
 */
static unsigned long free_surplus_node(const struct hstate *h, int nid)
{
	unsigned long used = h->nr_huge_pages_node[nid] - h->free_huge_pages_node[nid];

	return h->surplus_huge_pages_node[nid] > used ? h->surplus_huge_pages_node[nid] - used : 0;
}

/* The pool's free surplus pages, every node's.  Pool lock held. */
static unsigned long free_surplus(const struct hstate *h)
{
	unsigned long n = 0;

	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		n += free_surplus_node(h, nid);
	return n;
}

/*
 * The persistent pages the pool cannot give back now: those handed out,
 * and the free ones that reservations need beyond the free surplus pages.
 * The kernel's floor (resv + nr - free) also counts the surplus pages
 * handed out.  Pool lock held.
 */
static unsigned long persistent_floor(const struct hstate *h)
{
	unsigned long fs = free_surplus(h);
	unsigned long used = h->nr_huge_pages - h->free_huge_pages;

	return used - (h->surplus_huge_pages - fs) +
	       (h->resv_huge_pages > fs ? h->resv_huge_pages - fs : 0);
}

/*
 * remove_pool_huge_page(): a free page of @h off the lists of the nodes in
 * @nodes, from the next one to free, and out of the counts; NULL if none
 * is free.  @acct_surplus: a surplus page, from a node with one; else a
 * persistent page, from a node with a free page that is not surplus.
 * Pool lock held.
 */
static struct page *remove_pool_huge_page(struct hstate *h, unsigned long nodes, bool acct_surplus)
{
	for (int tries = __builtin_popcountl(nodes); tries > 0; tries--) {
		int nid = next_node(&h->next_nid_to_free, nodes);
		struct page *page;

		if ((acct_surplus ? h->surplus_huge_pages_node[nid] != 0
				  : h->free_huge_pages_node[nid] > free_surplus_node(h, nid)) &&
		    (page = dequeue_huge_page_node(h, nid))) {
			h->nr_huge_pages--;
			h->nr_huge_pages_node[nid]--;
			if (acct_surplus) {
				h->surplus_huge_pages--;
				h->surplus_huge_pages_node[nid]--;
			}
			return page;
		}
	}
	return NULL;
}

unsigned long pmm_hugetlb_shrink(struct pmm *m, unsigned order, unsigned long nr)
{
	struct hstate *h = pool_args(m, order, PMM_NUMA_NO_NODE);
	unsigned long done = 0, nodes;

	if (!h)
		return 0;
	nodes = memory_nodes(m);
	pmm_lock(&h->resize_lock);
	while (done < nr) {
		struct page *page = NULL;

		pmm_lock(&m->hugetlb->lock);
		if (persistent_floor(h) < persistent_huge_pages(h))
			page = remove_pool_huge_page(h, nodes, false);
		h->max_huge_pages = h->nr_huge_pages - h->surplus_huge_pages;
		pmm_unlock(&m->hugetlb->lock);
		if (!page)
			break;
		free_pool_page(m, h, page);
		done++;
	}
	pmm_unlock(&h->resize_lock);
	return done;
}

/*
 * adjust_pool_surplus(): move one page of a node in @nodes into the
 * surplus count (@delta 1, from the next node to free) or out of it (-1:
 * a node with a surplus page, from the next one to allocate on).  Pool
 * lock held.
 *
 * A page counted surplus is one handed out (surplus_node < nr_node -
 * free_node), or a free one while reservations hold more free pages than
 * are surplus already: it stays for them, and leaves when they are
 * released.  The kernel's test (surplus_node < nr_node) may count a free
 * page surplus with no reservation behind it, which then never leaves
 * the pool, and a later removal of that free page leaves more surplus
 * pages than pages on the node.
 */
static bool adjust_pool_surplus(struct hstate *h, unsigned long nodes, int delta)
{
	bool free_ok = delta > 0 && free_surplus(h) < h->resv_huge_pages;

	for (int tries = __builtin_popcountl(nodes); tries > 0; tries--) {
		int nid = delta < 0 ? next_node(&h->next_nid_to_alloc, nodes)
				    : next_node(&h->next_nid_to_free, nodes);
		unsigned long sur = h->surplus_huge_pages_node[nid];

		if (delta < 0 ? sur != 0
			      : sur < h->nr_huge_pages_node[nid] - h->free_huge_pages_node[nid] ||
					(free_ok && sur < h->nr_huge_pages_node[nid])) {
			h->surplus_huge_pages += (unsigned long)(long)delta;
			h->surplus_huge_pages_node[nid] += (unsigned long)(long)delta;
			return true;
		}
	}
	return false;
}

/*
 * A fresh gigantic page on @nid (alloc_gigantic_page(): alloc_contig_pages()
 * on that node's zones up to Normal, GFP_HIGHUSER), made a compound
 * hugetlb page with refcount 0; NULL if no range could be had.
 */
static struct page *alloc_gigantic_page(struct pmm *m, struct hstate *h, int nid)
{
	/* A frame with a passing reference: the range goes back, and one more is tried (6.1). */
	for (int tries = 0; tries < 2; tries++) {
		struct page *page = alloc_contig_pages(
			m, 1ul << h->order, PMM_GFP_HIGHUSER | PMM___GFP_THISNODE | PMM___GFP_NOWARN,
			nid);

		if (!page)
			return NULL;
		if (prep_gigantic_page(m, h, page, false))
			return page;
		free_contig_range(m, page_to_pfn(m, page), 1ul << h->order);
	}
	return NULL;
}

/*
 * alloc_pool_huge_page(): a fresh page of @h into the pool from the first
 * node of @nodes, from the next one to allocate on, that has one.  A node
 * that failed a 2 MiB allocation tried hard (__GFP_RETRY_MAYFAIL) is
 * tried without it for the rest of the resize, until it succeeds again
 * (*@noretry, the kernel's node_alloc_noretry).  Resize lock held.
 */
static bool alloc_pool_huge_page(struct pmm *m, struct hstate *h, unsigned long nodes,
				 unsigned long *noretry)
{
	for (int tries = __builtin_popcountl(nodes); tries > 0; tries--) {
		int nid = next_node(&h->next_nid_to_alloc, nodes);
		bool hard = !(*noretry & (1ul << nid));
		struct page *page;

		if (gigantic(h)) {
			page = alloc_gigantic_page(m, h, nid);
		} else {
			page = alloc_buddy_huge_page(m, h,
						     PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_THISNODE |
							     (hard ? PMM___GFP_RETRY_MAYFAIL : 0),
						     nid);
			if (page && !hard)
				*noretry &= ~(1ul << nid);
			if (!page && hard)
				*noretry |= 1ul << nid;
		}
		if (page) {
			add_new_pool_page(m, h, page);
			return true;
		}
	}
	return false;
}

int pmm_hugetlb_resize(struct pmm *m, unsigned order, int nid, unsigned long count)
{
	struct hstate *h = pool_args(m, order, nid);
	unsigned long nodes, noretry = 0, min_count;
	struct list_head gone;

	if (!h)
		return -PMM_EINVAL;
	/* __nr_hugepages_store_common(): one node's count, or the nodes with memory. */
	nodes = nid == PMM_NUMA_NO_NODE ? memory_nodes(m) : 1ul << nid;
	INIT_LIST_HEAD(&gone);
	pmm_lock(&h->resize_lock);
	pmm_lock(&m->hugetlb->lock);
	if (nid != PMM_NUMA_NO_NODE) {
		unsigned long asked = count;

		/* The other nodes' pages stay; a count that overflows asks for all it can get. */
		count += h->nr_huge_pages - h->nr_huge_pages_node[nid];
		if (count < asked)
			count = ULONG_MAX;
	}
	/* Growing: surplus pages become persistent first, then fresh pages are taken. */
	while (h->surplus_huge_pages && count > persistent_huge_pages(h))
		if (!adjust_pool_surplus(h, nodes, -1))
			break;
	while (count > persistent_huge_pages(h)) {
		bool ok;

		pmm_unlock(&m->hugetlb->lock);
		ok = alloc_pool_huge_page(m, h, nodes, &noretry);
		pmm_lock(&m->hugetlb->lock);
		if (!ok)
			break;
	}
	/*
	 * Shrinking: free pages go back to the buddy allocator (those handed
	 * out cannot, nor those reservations need), then pages still handed
	 * out, and free ones reserved, become surplus, to go back when they
	 * are released.  The floor (persistent_floor()) leaves out the
	 * surplus pages handed out, which the kernel's (resv + nr - free)
	 * counts: it keeps free pages that the next step would then mark
	 * surplus.
	 */
	min_count = MAX(count, persistent_floor(h));
	while (min_count < persistent_huge_pages(h)) {
		struct page *page = remove_pool_huge_page(h, nodes, false);

		if (!page)
			break;
		list_add(&page->lru, &gone);
	}
	while (count < persistent_huge_pages(h))
		if (!adjust_pool_surplus(h, nodes, 1))
			break;
	h->max_huge_pages = persistent_huge_pages(h);
	pmm_unlock(&m->hugetlb->lock);
	free_pool_page_list(m, h, &gone);
	pmm_unlock(&h->resize_lock);
	return 0;
}

int pmm_hugetlb_set_overcommit(struct pmm *m, unsigned order, unsigned long nr)
{
	struct hstate *h = pool_args(m, order, PMM_NUMA_NO_NODE);

	/* hugetlb_overcommit_handler(): gigantic pages are never allocated surplus. */
	if (!h || gigantic(h))
		return -PMM_EINVAL;
	pmm_lock(&m->hugetlb->lock);
	h->nr_overcommit_huge_pages = nr;
	pmm_unlock(&m->hugetlb->lock);
	return 0;
}

/*
 * demote_free_huge_folio(): gigantic page @page, off its pool's lists and
 * counts, becomes 2 MiB pages of @t's pool, each joining it as a page
 * released does (on a node with surplus pages, it goes to the buddy
 * allocator instead and a surplus page becomes persistent, as in the
 * kernel).  @t's resize lock held, not the pool lock.
 *
 * An offline or a contiguous allocation over the page meanwhile sees no
 * huge page where the head bit is already clear and leaves it; neither
 * can finish while a frame is not free in the buddy allocator, so an
 * offline comes back and dissolves the 2 MiB pages made here (or is
 * refused), as the kernel's offline_pages() loop does.
 */
static void demote_free_huge_page(struct pmm *m, struct hstate *t, struct page *page,
				  unsigned order)
{
	unsigned long nr = 1ul << order, step = 1ul << t->order;
	int nid = page_to_nid(page);

	/* destroy_compound_hugetlb_folio_for_demote(): no head, no tails. */
	ClearPageHead(page);
	for (unsigned long i = 1; i < nr; i++) {
		struct page *p = page + i;

		memset(&p->lru, 0, offsetof(struct page, _mapcount) - offsetof(struct page, lru));
	}
	for (unsigned long i = 0; i < nr; i += step) {
		struct page *sub = page + i;

		INIT_LIST_HEAD(&sub->lru);
		prep_gigantic_page(m, t, sub, true); /* any order: each frame, then the compound fields */
		pmm_lock(&m->hugetlb->lock);
		t->nr_huge_pages++;
		t->nr_huge_pages_node[nid]++;
		pmm_unlock(&m->hugetlb->lock);
		huge_page_released(m, t, sub);
	}
}

long pmm_hugetlb_demote(struct pmm *m, unsigned order, int nid, unsigned long nr)
{
	struct hstate *h = pool_args(m, order, nid), *t = hstate_of_order(m, PMM_HUGETLB_ORDER_2M);
	unsigned long nodes, done = 0;

	/* x86-64's one demotion: 1 GiB pages into 2 MiB ones (demote_size). */
	if (!h || !gigantic(h) || !t)
		return -PMM_EINVAL;
	nodes = nid == PMM_NUMA_NO_NODE ? memory_nodes(m) : 1ul << nid;
	pmm_lock(&h->resize_lock);
	pmm_lock(&m->hugetlb->lock);
	while (done < nr) {
		unsigned long avail = nid == PMM_NUMA_NO_NODE ? h->free_huge_pages
							      : h->free_huge_pages_node[nid];
		struct page *page = NULL;

		/* demote_store(): pages reservations need stay (the kernel's count can wrap here). */
		if (avail <= h->resv_huge_pages)
			break;
		/* demote_pool_huge_folio(): the first free page of the next node to free. */
		page = remove_pool_huge_page(h, nodes, false);
		if (!page)
			break;
		h->max_huge_pages--;
		pmm_unlock(&m->hugetlb->lock);
		/* The larger size's resize lock first, then the smaller's (the kernel's order). */
		pmm_lock(&t->resize_lock);
		demote_free_huge_page(m, t, page, h->order);
		pmm_lock(&m->hugetlb->lock);
		t->max_huge_pages += 1ul << (h->order - t->order);
		pmm_unlock(&t->resize_lock);
		done++;
	}
	pmm_unlock(&m->hugetlb->lock);
	pmm_unlock(&h->resize_lock);
	return (long)done;
}

/*
 * gather_surplus_pages(): reserve @delta more pages, taking fresh surplus
 * pages into the pool where its free pages do not cover every
 * reservation.  Pool lock held; dropped while allocating.
 */
static int gather_surplus_pages(struct pmm *m, struct hstate *h, unsigned long delta)
{
	unsigned long allocated = 0, take;
	struct list_head got;
	bool alloc_ok = true;
	long needed;
	int err = -PMM_ENOMEM;

	INIT_LIST_HEAD(&got);
	/* More than memory holds (and than the signed arithmetic below takes). */
	if (delta > (unsigned long)LONG_MAX - h->resv_huge_pages)
		return -PMM_ENOMEM;
	needed = (long)(h->resv_huge_pages + delta) - (long)h->free_huge_pages;
	if (needed <= 0) {
		h->resv_huge_pages += delta;
		return 0;
	}
	for (;;) {
		pmm_unlock(&m->hugetlb->lock);
		for (long i = 0; i < needed; i++) {
			struct page *page = alloc_surplus_huge_page(m, h, PMM_NUMA_NO_NODE);

			if (!page) {
				alloc_ok = false;
				break;
			}
			list_add(&page->lru, &got);
			allocated++;
		}
		pmm_lock(&m->hugetlb->lock);
		/* Others may have taken or freed pages meanwhile. */
		needed = (long)(h->resv_huge_pages + delta) - (long)(h->free_huge_pages + allocated);
		if (needed <= 0 || !alloc_ok)
			break;
	}
	take = 0;
	if (needed <= 0) {
		/*
		 * Enough: as many as are needed join the pool free, the rest go
		 * back; none when pages freed meanwhile cover it all.
		 */
		if (needed + (long)allocated > 0)
			take = (unsigned long)(needed + (long)allocated);
		h->resv_huge_pages += delta;
		err = 0;
	}
	while (take--) {
		struct page *page = list_entry(got.next, struct page, lru);

		list_del(&page->lru);
		/*
		 * The allocation's reference goes (put_page_testzero()).  A
		 * passing reference on a hugetlb page (idle page tracking, a
		 * migration scan before it drops one on seeing a huge page) is
		 * held for a moment and not across this lock: wait for it
		 * rather than store 0 over it.
		 */
		while (!page_ref_freeze(page, 1))
			pmm_cpu_relax();
		enqueue_huge_page(h, page);
	}
	pmm_unlock(&m->hugetlb->lock);
	while (!list_empty(&got)) {
		struct page *page = list_entry(got.next, struct page, lru);

		list_del(&page->lru);
		INIT_LIST_HEAD(&page->lru);
		/* put_page(): surplus, so back to the buddy allocator, or to the pool if no longer */
		hugetlb_free_page(m, page, h->order);
	}
	pmm_lock(&m->hugetlb->lock);
	return err;
}

int pmm_hugetlb_reserve(struct pmm *m, unsigned order, unsigned long nr)
{
	struct hstate *h = pool_args(m, order, PMM_NUMA_NO_NODE);
	int err;

	if (!h)
		return -PMM_EINVAL;
	if (!nr)
		return 0;
	pmm_lock(&m->hugetlb->lock);
	err = gather_surplus_pages(m, h, nr);
	pmm_unlock(&m->hugetlb->lock);
	return err;
}

int pmm_hugetlb_unreserve(struct pmm *m, unsigned order, unsigned long nr)
{
	struct hstate *h = pool_args(m, order, PMM_NUMA_NO_NODE);
	unsigned long nodes, n;
	struct list_head gone;

	if (!h)
		return -PMM_EINVAL;
	nodes = memory_nodes(m);
	INIT_LIST_HEAD(&gone);
	pmm_lock(&m->hugetlb->lock);
	if (nr > h->resv_huge_pages) {
		pmm_unlock(&m->hugetlb->lock);
		return -PMM_EINVAL;
	}
	/*
	 * return_unused_surplus_pages(): part of the reservation may have
	 * been backed by persistent pages; only surplus ones leave, spread
	 * over the nodes.  1 GiB pages too: a shrink counts reserved free
	 * ones surplus (x86-64 has gigantic_page_runtime_supported()).
	 */
	n = MIN(nr, h->surplus_huge_pages);
	while (n--) {
		struct page *page = remove_pool_huge_page(h, nodes, true);

		if (!page)
			break;
		list_add(&page->lru, &gone);
	}
	h->resv_huge_pages -= nr;
	pmm_unlock(&m->hugetlb->lock);
	free_pool_page_list(m, h, &gone);
	return 0;
}

/* What pool_look() saw of a head found by frame number. */
enum pool_look {
	POOL_NOT_HUGE, /* no hugetlb page (any more): gone back to the buddy allocator */
	POOL_IN_USE,   /* handed out (a reference held) */
	POOL_MOVING,   /* no reference but not on a list: on its way into the pool or out */
	POOL_FREE,     /* on its node's free list */
};

/*
 * The state of @head, pool lock held.  A page in the pool changes only
 * under that lock, but a head found by frame number may be a page leaving
 * it, whose frames the buddy allocator is already rewriting: so the look
 * is a racy copy (snapshot_page()), which only a page in the pool (stable
 * under the lock) can turn into POOL_FREE.  *@order: its order then.
 */
static enum pool_look pool_look(const struct page *head, unsigned *order)
{
	struct page snap[2];

	snapshot_page(&snap[0], head);
	snapshot_page(&snap[1], head + 1);
	if (!PageHuge(snap))
		return POOL_NOT_HUGE;
	if (page_ref_count(snap))
		return POOL_IN_USE;
	if (snap[0].private != HUGE_PAGE_FREED)
		return POOL_MOVING;
	*order = compound_order(snap);
	return POOL_FREE;
}

/*
 * dissolve_free_huge_page() for the page whose frames include @page: a
 * page in its pool leaves it for the buddy allocator; 0 also when @page is
 * not part of a huge page (any more), -PMM_EBUSY when the page is handed
 * out or every free page of the pool is reserved.  A head with no
 * reference that is not on its list is on its way back or out
 * (!HPageFreed): wait until it is in the pool or gone.
 */
static int dissolve_free_huge_page(struct pmm *m, struct page *page)
{
	for (;;) {
		/* Memory offline's scan: the frame may be a free one the buddy allocator is linking. */
		struct page *head = compound_head_racy(page);
		struct hstate *h;
		unsigned order = 0;
		bool surplus;
		int nid;

		if (!free_of_huge_page(head))
			return 0;
		pmm_lock(&m->hugetlb->lock);
		/* Pool pages change only under this lock: a huge head found now stays one. */
		head = compound_head_racy(page);
		switch (pool_look(head, &order)) {
		case POOL_NOT_HUGE:
			pmm_unlock(&m->hugetlb->lock);
			return 0;
		case POOL_IN_USE:
			pmm_unlock(&m->hugetlb->lock);
			return -PMM_EBUSY;
		case POOL_MOVING:
			pmm_unlock(&m->hugetlb->lock);
			pmm_cpu_relax();
			continue;
		case POOL_FREE:
			break;
		}
		h = hstate_of_order(m, order);
		/* The pool's free pages are all promised: this one may be needed. */
		if (h->free_huge_pages == h->resv_huge_pages) {
			pmm_unlock(&m->hugetlb->lock);
			return -PMM_EBUSY;
		}
		nid = page_to_nid(head);
		/* A node whose free pages are all surplus gives up a surplus one. */
		surplus = free_surplus_node(h, nid) == h->free_huge_pages_node[nid];
		unlink_free_huge_page(h, head);
		h->nr_huge_pages--;
		h->nr_huge_pages_node[nid]--;
		if (surplus) {
			h->surplus_huge_pages--;
			h->surplus_huge_pages_node[nid]--;
		} else {
			h->max_huge_pages--;
		}
		pmm_unlock(&m->hugetlb->lock);
		free_pool_page(m, h, head);
		return 0;
	}
}

int hugetlb_replace_free(struct pmm *m, struct page *head, int nid)
{
	/* Only 2 MiB pages are replaced: 1 GiB ones would need a contiguous range themselves. */
	struct hstate *h = hstate_of_order(m, PMM_HUGETLB_ORDER_2M);
	struct page *fresh = NULL;
	enum pool_look look;
	unsigned order = 0;

	for (;;) {
		/* Racy looks first, to spare an allocation; the pool lock decides. */
		if (!free_of_huge_page(head))
			break;
		if (page_ref_count(head))
			goto busy;
		if (!fresh) {
			fresh = alloc_buddy_huge_page(m, h,
						      PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_THISNODE |
							      PMM___GFP_RETRY_MAYFAIL,
						      nid);
			if (!fresh)
				return -PMM_EBUSY;
		}
		pmm_lock(&m->hugetlb->lock);
		look = pool_look(head, &order);
		if (look == POOL_NOT_HUGE) { /* dissolved meanwhile: the fresh page is not needed */
			pmm_unlock(&m->hugetlb->lock);
			break;
		}
		if (look == POOL_IN_USE || (look == POOL_FREE && order != h->order)) {
			pmm_unlock(&m->hugetlb->lock); /* taken meanwhile, or a 1 GiB page */
			goto busy;
		}
		if (look == POOL_MOVING) { /* on its way back or out: look again */
			pmm_unlock(&m->hugetlb->lock);
			pmm_cpu_relax();
			continue;
		}
		/* The fresh page takes the old one's place in the pool and its counts. */
		unlink_free_huge_page(h, head);
		h->nr_huge_pages--;
		h->nr_huge_pages_node[page_to_nid(head)]--;
		h->nr_huge_pages++;
		h->nr_huge_pages_node[page_to_nid(fresh)]++;
		enqueue_huge_page(h, fresh);
		pmm_unlock(&m->hugetlb->lock);
		free_pool_page(m, h, head);
		return 0;
	}
	if (fresh)
		free_pool_page(m, h, fresh);
	return 0;
busy:
	if (fresh)
		free_pool_page(m, h, fresh);
	return -PMM_EBUSY;
}

int hugetlb_dissolve_free(struct pmm *m, unsigned long start, unsigned long end)
{
	/* Huge pages are aligned to their size: a step of the smallest finds every one. */
	for (unsigned long pfn = ALIGN_DOWN(start, 1ul << PMM_HUGETLB_ORDER_2M); pfn < end;
	     pfn += 1ul << PMM_HUGETLB_ORDER_2M) {
		int err = dissolve_free_huge_page(m, pfn_to_page(m, MAX(pfn, start)));

		if (err)
			return err;
	}
	return 0;
}

unsigned hugetlb_default_order(const struct pmm *m)
{
	const struct pmm_config *c = &m->cfg;

	if (c->default_hstate >= 0 && c->default_hstate < (int)c->nr_hstates)
		return c->hstates[c->default_hstate].order;
	return PMM_HUGETLB_ORDER_2M;
}

/* hugetlb_validate(): one pool's lists and counts.  Pool lock held. */
static int validate_hstate(struct pmm *m, const struct hstate *h, char *buf, size_t size)
{
	unsigned long nr = 0, nr_free = 0, surplus = 0;

#define HFAIL(...)                                        \
	do {                                              \
		if (buf && size)                          \
			snprintf(buf, size, __VA_ARGS__); \
		return -PMM_ECORRUPT;                     \
	} while (0)
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		const struct list_head *head = &h->freelists[nid], *pos;
		unsigned long listed = 0;

		for (pos = head->next; pos != head; pos = pos->next) {
			struct page *p = list_entry(pos, struct page, lru);

			if (pos->next->prev != pos || pos->prev->next != pos)
				HFAIL("hugetlb %s node %d: broken link", size_name(h), nid);
			if (!page_is_ours(m, p))
				HFAIL("hugetlb %s node %d: entry %p is not a page", size_name(h), nid,
				      (void *)p);
			if (!PageHuge(p) || compound_order(p) != h->order || page_to_nid(p) != nid ||
			    page_ref_count(p) || p->private != HUGE_PAGE_FREED)
				HFAIL("hugetlb %s node %d: pfn 0x%lx: huge %d order %u node %d "
				      "refcount %d private %lu",
				      size_name(h), nid, page_to_pfn(m, p), PageHuge(p),
				      compound_order(p), page_to_nid(p), page_ref_count(p), p->private);
			if (++listed > h->free_huge_pages_node[nid])
				break;
		}
		if (listed != h->free_huge_pages_node[nid])
			HFAIL("hugetlb %s node %d: %lu free but %s%lu listed", size_name(h), nid,
			      h->free_huge_pages_node[nid], pos == head ? "" : "more than ",
			      listed);
		if (h->free_huge_pages_node[nid] > h->nr_huge_pages_node[nid] ||
		    h->surplus_huge_pages_node[nid] > h->nr_huge_pages_node[nid])
			HFAIL("hugetlb %s node %d: %lu pages, %lu free, %lu surplus", size_name(h), nid,
			      h->nr_huge_pages_node[nid], h->free_huge_pages_node[nid],
			      h->surplus_huge_pages_node[nid]);
		nr += h->nr_huge_pages_node[nid];
		nr_free += h->free_huge_pages_node[nid];
		surplus += h->surplus_huge_pages_node[nid];
	}
	if (nr != h->nr_huge_pages || nr_free != h->free_huge_pages || surplus != h->surplus_huge_pages)
		HFAIL("hugetlb %s: %lu/%lu/%lu pages/free/surplus, the nodes' sum %lu/%lu/%lu",
		      size_name(h), h->nr_huge_pages, h->free_huge_pages, h->surplus_huge_pages, nr,
		      nr_free, surplus);
	if (h->resv_huge_pages > h->free_huge_pages)
		HFAIL("hugetlb %s: %lu reserved but %lu free", size_name(h), h->resv_huge_pages,
		      h->free_huge_pages);
#undef HFAIL
	return 0;
}

int hugetlb_validate(struct pmm *m, char *buf, size_t size)
{
	struct pmm_hugetlb *ht = m->hugetlb;
	int err = 0;

	if (!ht)
		return 0;
	pmm_lock(&ht->lock);
	for (unsigned i = 0; i < ht->nr_hstates && !err; i++)
		err = validate_hstate(m, &ht->hstates[i], buf, size);
	pmm_unlock(&ht->lock);
	return err;
}
