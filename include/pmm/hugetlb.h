/* SPDX-License-Identifier: MIT */
/*
 * Boot-time huge page pools (Linux 6.1 mm/hugetlb.c, the part that takes
 * physical memory at boot).
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
 * page and refused.  pmm_hugetlb_shrink() gives pool pages back to the
 * buddy allocator, as lowering nr_hugepages does.
 *
 * Memory offline (<pmm/hotplug.h>) treats a block holding a huge page,
 * pooled or handed out, as busy.
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
 * pmm_hugetlb_alloc() - take a page from the pool.
 * @order: the pool's page order (9 or 18).
 * @nid: the node to take it from; PMM_NUMA_NO_NODE: the calling CPU's node
 *       first, then the others in its fallback order.
 * Return: the head of a compound block of 2^@order frames, refcount 1,
 * owned by the caller; NULL when the pool has no page there (or for the
 * arguments pmm_hugetlb_pool() refuses).
 * Context: takes the pool lock; does not sleep.
 */
PMM_API struct pmm_page *pmm_hugetlb_alloc(struct pmm *m, unsigned order, int nid);

/**
 * pmm_hugetlb_shrink() - give up to @nr pages of the pool back to the buddy
 * allocator, taking one from each node in turn (the kernel's
 * remove_pool_huge_page() order).  A 2 MiB page is freed as one order-9
 * block, a 1 GiB page as 262144 order-0 frames (free_contig_range()).
 * Pages handed out stay where they are.  Managed pages do not change.
 * Return: the pages given back; 0 for the arguments pmm_hugetlb_pool()
 * refuses.
 * Context: takes the pool lock, then frees through the allocator (zone
 * and per-CPU locks); does not sleep.
 */
PMM_API unsigned long pmm_hugetlb_shrink(struct pmm *m, unsigned order, unsigned long nr);

PMM_END_DECLS

#endif
