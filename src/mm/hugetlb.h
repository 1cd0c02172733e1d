/* SPDX-License-Identifier: MIT */
/* Huge page pools (mm/hugetlb.c's boot part, its pool and their resizing). */
#ifndef PMM_MM_HUGETLB_H
#define PMM_MM_HUGETLB_H

#include "mm/internal.h"

/* page[1].compound_dtor of a hugetlb page (enum compound_dtor_id). */
#define HUGETLB_PAGE_DTOR 2

/* PageHuge(): the head of a hugetlb page. */
static inline bool PageHuge(const struct page *page)
{
	return PageHead(page) && page[1].compound_dtor == HUGETLB_PAGE_DTOR;
}

/*
 * PageHuge() for the free path, read racily: a writer racing with it is
 * another free of the same block, a misuse the free path then reports
 * (data_race).  Plain reads: TSan checks atomic ones even here.
 */
static inline data_race_fn bool free_of_huge_page(const struct page *page)
{
	return (page->flags & (1ul << PG_head)) && page[1].compound_dtor == HUGETLB_PAGE_DTOR;
}

/*
 * Boot, in pmm_create()'s order:
 *   hugetlb_setup()            the sizes and counts of cfg's hugepagesz=/hugepages=
 *                              (after free_area_init: nodes are known);
 *                              -PMM_EINVAL for a count on a node that is not there
 *   hugetlb_reserve_gigantic() 1 GiB pages from memblock (parse_args() time);
 *                              -PMM_ENOMEM when their list cannot be had
 *   hugetlb_gather()           they become pool pages counted in managed
 *                              (gather_bootmem_prealloc(), hugetlb_init())
 *   hugetlb_alloc_pools()      2 MiB pages from the buddy, and the log's
 *                              "HugeTLB: registered" lines
 * hugetlb_teardown() frees the bookkeeping.  Boot runs single-threaded.
 */
PMM_HIDDEN int hugetlb_setup(struct pmm *m);
PMM_HIDDEN int hugetlb_reserve_gigantic(struct pmm *m);
PMM_HIDDEN void hugetlb_gather(struct pmm *m);
PMM_HIDDEN void hugetlb_alloc_pools(struct pmm *m);
PMM_HIDDEN void hugetlb_teardown(struct pmm *m);

/* What /proc/meminfo shows of the pools (hugetlb_report_meminfo()). */
struct hugetlb_meminfo {
	unsigned order;             /* the default size's (2 MiB unless default_hugepagesz=1G) */
	unsigned long nr, nr_free;  /* its pool (on the node asked for): pages, and those not handed out */
	unsigned long surplus;      /* of nr, those that leave the pool when released */
	unsigned long resv;         /* of the default size's free pages, those reserved (every node's) */
	unsigned long total_pages;  /* frames in every pool (Hugetlb, and hugetlb_total_pages()) */
};

/*
 * hugetlb_meminfo() - fill @h, its pool counts those of node @nid (a node
 * number below MAX_NUMNODES) or of every node (@nid < 0); a machine
 * without pools has 2 MiB and zeros.  Takes the pool lock.
 */
PMM_HIDDEN void hugetlb_meminfo(struct pmm *m, int nid, struct hugetlb_meminfo *h);

/*
 * dissolve_free_huge_pages(): every huge page with frames in [@start,
 * @end) that is in its pool leaves it for the buddy allocator (all its
 * frames, those outside the range too), and the pool's persistent size
 * drops by one; memory offline does this before it checks that the range
 * is free.  Returns 0, or -PMM_EBUSY at the first page that is handed
 * out.  The frames must be online.  Takes the pool lock, then frees
 * through the allocator.
 */
PMM_HIDDEN int hugetlb_dissolve_free(struct pmm *m, unsigned long start, unsigned long end);

/*
 * alloc_and_dissolve_huge_page(), for a contiguous allocation that meets
 * huge page @head in its pool: a fresh 2 MiB page from the buddy
 * allocator on its node @nid (outside the isolated range) takes its place
 * in the pool, and @head goes back to the buddy allocator.  Returns 0 (also
 * when @head is no longer a huge page), or -PMM_EBUSY when it is handed out,
 * is a 1 GiB page, or no fresh page can be had.  Takes the pool lock, and
 * allocates and frees through the allocator.
 */
PMM_HIDDEN int hugetlb_replace_free(struct pmm *m, struct page *head, int nid);

/* The default huge page size's order (default_hugepagesz=; 2 MiB unless it says 1G). */
PMM_HIDDEN unsigned hugetlb_default_order(const struct pmm *m);

/*
 * A free of a hugetlb page (pmm_free_pages(), pmm_put_page()): drops the
 * caller's reference and, at zero, the page goes back to its pool (a
 * surplus page to the buddy allocator).  A page
 * already in its pool, or a wrong order, is reported and refused.
 * Takes the pool lock.
 */
PMM_HIDDEN void hugetlb_free_page(struct pmm *m, struct page *page, unsigned order);

/*
 * hugetlb_validate(): every pool's free lists against its counts (each
 * listed page a free huge page of the pool's order on its node), and the
 * counts against each other (per node: free and surplus at most the
 * node's pages; the nodes' sums; reserved at most free).  Returns 0 or
 * -PMM_ECORRUPT with a description in @buf.  Takes the pool lock.
 */
PMM_HIDDEN int hugetlb_validate(struct pmm *m, char *buf, size_t size);

#endif
