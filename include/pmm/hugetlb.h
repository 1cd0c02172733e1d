/* SPDX-License-Identifier: MIT */
/*
 * Huge page pools (Linux 6.1 mm/hugetlb.c, the part that takes physical
 * memory: at boot, and when a pool is resized or a page is surplus).
 *
 * The kernel's command line sets them up, and so does pmm's config
 * (<pmm/config.h>): `hugepagesz=1G hugepages=2` takes two 1 GiB pages
 * from memblock while the machine boots (1 GiB-aligned, from the top of
 * each node in turn, as the kernel's bootmem allocation does; the
 * "Memory:" line counts them reserved, and they join their zone's managed
 * pages afterwards), and `hugepagesz=2M hugepages=64` (or a bare
 * `hugepages=64`) takes 64 order-9 blocks from the buddy allocator at the
 * end of boot.  `hugepages=0:2,1:1` counts per node.  The boot log says
 * what was taken ("HugeTLB: registered 1.00 GiB page size, pre-allocated
 * 2 pages").  Every machine has a 2 MiB pool, empty unless asked for; a
 * 1 GiB pool exists when the config names that size.
 *
 * A page in the pool belongs to the pool (refcount 0, neither free nor
 * reserved, as the kernel's free huge pages).  pmm_hugetlb_alloc() hands
 * one out: the head of a compound block of 2^order frames with refcount 1;
 * pmm_get_page() takes further references, and pmm_put_page() (or
 * pmm_free_pages(page, order)) drops one: the last brings the page back
 * to its pool, never to the buddy allocator.  A put on a page that is in
 * its pool, or pmm_free_pages() with another order, is reported as a bad
 * page and refused.
 *
 * After boot, pmm_hugetlb_resize() sets a pool's size as writing
 * nr_hugepages does (/proc/sys/vm/nr_hugepages for the default size,
 * pmm_sysctl_write(m, "nr_hugepages", ...); a node's
 * hugepages-<size>kB/nr_hugepages with a node): growing takes fresh pages
 * from the buddy allocator (1 GiB ones as contiguous ranges, which may
 * migrate movable blocks through pmm_set_mm_ops()), the allowed nodes in
 * turn; shrinking gives free pool pages back and marks pages still handed
 * out as surplus: each goes back to the buddy allocator when it is
 * released.  pmm_hugetlb_set_overcommit() (nr_overcommit_hugepages) lets
 * pmm_hugetlb_alloc() take surplus 2 MiB pages from the buddy allocator
 * when the pool is empty.  pmm_hugetlb_shrink() gives up to a number of
 * free pool pages back.  pmm_hugetlb_demote() splits free 1 GiB pages into
 * 2 MiB ones of that pool.
 *
 * Reservations are the kernel's promise, made when a hugetlbfs file or a
 * MAP_HUGETLB mapping is set up, that its pages will be there when they
 * are first touched: pmm_hugetlb_reserve() promises pages of the pool
 * (HugePages_Rsvd), adding surplus pages where the pool has too few free
 * (within nr_overcommit_hugepages); pmm_hugetlb_alloc_reserved() takes a
 * page against a reservation, and pmm_hugetlb_unreserve() releases those
 * not used, giving surplus pages back.  While pages are reserved,
 * pmm_hugetlb_alloc(), shrinking, and memory offline leave that many free
 * pages in the pool.
 *
 * Memory offline (<pmm/hotplug.h>) dissolves the pool pages it meets, as
 * the kernel's dissolve_free_huge_pages() does: each goes back to the
 * buddy allocator and the pool's persistent size drops by one.  A
 * contiguous allocation (pmm_alloc_contig_range()) that meets a 2 MiB
 * page in its pool swaps it for a fresh one from outside the range, as
 * alloc_and_dissolve_huge_page() does, so the pool keeps its size.  A huge
 * page handed out is offered to the migrate callback of pmm_set_mm_ops(),
 * as the kernel migrates one (a 1 GiB page only by offline: a contiguous
 * allocation finds it busy); without a callback, or refused, it keeps its
 * blocks busy.
 */
#ifndef PMM_HUGETLB_H
#define PMM_HUGETLB_H

#include <pmm/pmm.h>

PMM_BEGIN_DECLS

/**
 * pmm_hugetlb_pool() - the size of the pool of 2^@order-frame pages.
 * @order: PMM_HUGETLB_ORDER_2M (9) or PMM_HUGETLB_ORDER_1G (18).
 * @nid: a node, or PMM_NUMA_NO_NODE for all nodes.
 * @nr: if not NULL, receives the pool's pages, handed out or not
 *      (HugePages_Total).
 * @nr_free: if not NULL, receives those in the pool now (HugePages_Free).
 * Return: 0, or -PMM_EINVAL: a NULL @m, @nid neither a node number nor
 * PMM_NUMA_NO_NODE, or an @order the machine has no pool of (1 GiB pages
 * need hugepagesz=1G in the config).
 * Context: takes the pool lock; does not sleep.
 */
PMM_API int pmm_hugetlb_pool(struct pmm *m, unsigned order, int nid, unsigned long *nr,
			     unsigned long *nr_free);

/**
 * struct pmm_hugetlb_counts - a pool's counts, as
 * /sys/kernel/mm/hugepages/hugepages-<size>kB/ shows them.
 * @nr: pages in the pool, handed out or not, surplus included
 *      (nr_hugepages; HugePages_Total).
 * @nr_free: pages in the pool not handed out (free_hugepages).
 * @surplus: of @nr, those that go back to the buddy allocator when
 *           released (surplus_hugepages; HugePages_Surp).
 * @resv: of @nr_free, the pages promised to reservations
 *        (resv_hugepages; HugePages_Rsvd): the pool's, for any node (the
 *        kernel keeps no count per node).
 * @nr_overcommit: how many surplus pages pmm_hugetlb_alloc() may create
 *                 (nr_overcommit_hugepages; all nodes).
 * @max: the persistent size last set (/proc/sys/vm/nr_hugepages' reading;
 *       all nodes).
 */
struct pmm_hugetlb_counts {
	unsigned long nr, nr_free, surplus, resv, nr_overcommit, max;
};

/**
 * pmm_hugetlb_counts() - the counts of the pool of 2^@order-frame pages,
 * on node @nid or, with PMM_NUMA_NO_NODE, on all nodes.
 * Return: 0, or -PMM_EINVAL for a NULL @c or the arguments
 * pmm_hugetlb_pool() refuses.
 * Context: takes the pool lock; does not sleep.
 */
PMM_API int pmm_hugetlb_counts(struct pmm *m, unsigned order, int nid,
			       struct pmm_hugetlb_counts *c);

/**
 * pmm_hugetlb_resize() - make the pool's persistent size @count pages
 * (set_max_huge_pages(), as writing nr_hugepages does).
 * @order: the pool's page order (9 or 18).
 * @nid: PMM_NUMA_NO_NODE: @count is the whole pool's size, pages taken
 *       and given back on every node with memory in turn; a node: @count is
 *       that node's share, the other nodes keep theirs (the kernel's
 *       arithmetic: the target is @count plus the other nodes' pages,
 *       surplus included, so with surplus pages elsewhere the node may get
 *       more than @count).
 * @count: pages wanted.  Growing first turns surplus pages back into
 *         persistent ones, then takes fresh pages (2 MiB from the buddy
 *         allocator, __GFP_THISNODE, retrying hard until a node fails once;
 *         1 GiB with a contiguous range below ZONE_MOVABLE of the node)
 *         until the count is reached or no allowed node has one.
 *         Shrinking gives free pages back to the buddy allocator, except
 *         those reservations need, then marks pages still handed out as
 *         surplus, and reserved free pages, which leave when their
 *         reservation is released (unlike the kernel's, pmm's arithmetic
 *         never counts a free page surplus without a reservation behind
 *         it: that page would stay in the pool for good).
 * Return: 0, also when memory ran out first: read the size reached with
 * pmm_hugetlb_pool() or pmm_hugetlb_counts() (the kernel's write succeeds
 * the same way); -PMM_EINVAL for the arguments pmm_hugetlb_pool() refuses.
 * Context: process context; may sleep, waiting for a resize of the same
 * pool in progress (they run one at a time); takes the pool lock, and allocates and frees
 * through the allocator; a 1 GiB page is taken as pmm_alloc_contig_pages()
 * takes a range (drains every CPU's lists, may call the migrate callback).
 */
PMM_API int pmm_hugetlb_resize(struct pmm *m, unsigned order, int nid, unsigned long count);

/**
 * pmm_hugetlb_set_overcommit() - allow @nr surplus pages
 * (nr_overcommit_hugepages): when the pool has no free page,
 * pmm_hugetlb_alloc() takes a fresh one from the buddy allocator while
 * fewer than @nr pages are surplus; it leaves the pool when released.
 * Return: 0, or -PMM_EINVAL for the arguments pmm_hugetlb_pool() refuses
 * and for 1 GiB pages, which are never allocated surplus (they become
 * surplus only when a shrink keeps them, see pmm_hugetlb_resize()).
 * Context: takes the pool lock; does not sleep.
 */
PMM_API int pmm_hugetlb_set_overcommit(struct pmm *m, unsigned order, unsigned long nr);

/**
 * pmm_hugetlb_alloc() - take a page from the pool.
 * @order: the pool's page order (9 or 18).
 * @nid: the node to take it from; PMM_NUMA_NO_NODE: the calling CPU's node
 *       first, then the others in its fallback order.
 * Return: the head of a compound block of 2^@order frames, refcount 1,
 * owned by the caller; NULL when the pool has no page there that is not
 * reserved and no surplus page can be had (or for the arguments
 * pmm_hugetlb_pool() refuses).  A surplus page (see
 * pmm_hugetlb_set_overcommit()) comes from @nid exactly, or from the local
 * node and its fallbacks for PMM_NUMA_NO_NODE.
 * Context: takes the pool lock, and the allocator's locks for a surplus
 * page; does not sleep.
 */
PMM_API struct pmm_page *pmm_hugetlb_alloc(struct pmm *m, unsigned order, int nid);

/**
 * pmm_hugetlb_reserve() - promise @nr more pages of the pool to later
 * takes (hugetlb_acct_memory() at mmap time): the pool keeps that many of
 * its free pages for pmm_hugetlb_alloc_reserved().  Where the free pages do
 * not cover every reservation, fresh surplus pages join the pool free
 * (gather_surplus_pages(), within nr_overcommit_hugepages; never 1 GiB
 * ones).
 * Return: 0 (also for @nr 0); -PMM_ENOMEM when the pool cannot cover the
 * reservations and not enough surplus pages can be had (nothing is
 * reserved, the surplus pages taken go back); -PMM_EINVAL for the
 * arguments pmm_hugetlb_pool() refuses.
 * Context: takes the pool lock, dropping it while surplus pages are
 * allocated (the allocator's locks); does not sleep.
 */
PMM_API int pmm_hugetlb_reserve(struct pmm *m, unsigned order, unsigned long nr);

/**
 * pmm_hugetlb_unreserve() - release @nr reservations that were not used
 * (hugetlb_acct_memory() with a negative delta, at munmap or truncate):
 * up to @nr surplus pages that are free leave the pool for the buddy
 * allocator (return_unused_surplus_pages(), a node at a time).
 * Return: 0; -PMM_EINVAL when fewer than @nr pages are reserved (nothing
 * is released) or for the arguments pmm_hugetlb_pool() refuses.
 * Context: takes the pool lock, then frees through the allocator; does
 * not sleep.
 */
PMM_API int pmm_hugetlb_unreserve(struct pmm *m, unsigned order, unsigned long nr);

/**
 * pmm_hugetlb_alloc_reserved() - take a page against one of the pool's
 * reservations, which it consumes (the first fault of a mapping that
 * reserved).  As pmm_hugetlb_alloc(), but it may take reserved free pages;
 * where @nid has no free page it takes a surplus one there, as the kernel
 * does for a mapping whose policy names a node.
 * Return: the head, as pmm_hugetlb_alloc(); NULL when the pool holds no
 * reservation (none made, or all used), when @nid has no page and no
 * surplus page can be had (the reservation stays), or for the arguments
 * pmm_hugetlb_pool() refuses.
 * Context: as pmm_hugetlb_alloc().
 */
PMM_API struct pmm_page *pmm_hugetlb_alloc_reserved(struct pmm *m, unsigned order, int nid);

/**
 * pmm_hugetlb_shrink() - give up to @nr free pages of the pool back to the
 * buddy allocator, those that are neither surplus nor needed by
 * reservations, taking one from each node in turn (the kernel's
 * remove_pool_huge_page() order).  A 2 MiB page is freed as one order-9
 * block, a 1 GiB page as 262144 order-0 frames (free_contig_range()).
 * Pages handed out stay where they are.  Managed pages do not change.
 * Return: the pages given back; 0 for the arguments pmm_hugetlb_pool()
 * refuses.
 * Context: takes the resize lock and the pool lock, then frees through
 * the allocator (zone and per-CPU locks); does not sleep.
 */
PMM_API unsigned long pmm_hugetlb_shrink(struct pmm *m, unsigned order, unsigned long nr);

/**
 * pmm_hugetlb_demote() - split up to @nr free 1 GiB pages of the pool into
 * 2 MiB pool pages, 512 each, on the same node (writing N to
 * /sys/kernel/mm/hugepages/hugepages-1048576kB/demote, or a node's file):
 * the 1 GiB pool's persistent size drops by one and the 2 MiB pool's grows
 * by 512 per page.  Pages are taken from the nodes in turn (the kernel's
 * next node to free), never those that reservations need.  A 2 MiB page
 * made on a node where its pool has surplus pages goes to the buddy
 * allocator instead, and one surplus page becomes persistent, as when a
 * page is released there.
 * @order: PMM_HUGETLB_ORDER_1G, the one size with a smaller one to demote to.
 * @nid: a node, or PMM_NUMA_NO_NODE for every node with memory.
 * Return: the pages demoted (fewer than @nr when the pool ran out of free
 * pages that are not reserved); -PMM_EINVAL for an @order with no smaller
 * size (2 MiB) or the arguments pmm_hugetlb_pool() refuses.
 * Context: takes the 1 GiB and then the 2 MiB pool's resize locks (waiting
 * for a resize in progress) and the pool lock; does not sleep otherwise.
 */
PMM_API long pmm_hugetlb_demote(struct pmm *m, unsigned order, int nid, unsigned long nr);

PMM_END_DECLS

#endif
