// SPDX-License-Identifier: MIT
/*
 * Host NUMA placement for the POSIX platform, from libnuma: which host
 * nodes exist (numa_available(), the all-nodes mask), a preferred policy on
 * a range with mbind(MPOL_PREFERRED, MPOL_MF_MOVE), and where pages live
 * with move_pages() given no target nodes (it only reports).
 * Built only with libnuma (PMM_HAVE_NUMA); stateless.
 */
#ifdef PMM_HAVE_NUMA
#include <errno.h>
#include <numa.h>
#include <numaif.h>

#include <pmm/errno.h>

#include "platform/numa.h"

int pmm_posix_numa_node_valid(void *ctx, int node)
{
	(void)ctx;
	if (numa_available() < 0)
		return -PMM_EOPNOTSUPP;
	if (node < 0 || node > numa_max_node() || !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node))
		return -PMM_ENOENT;
	return 0;
}

int pmm_posix_numa_place(void *ctx, void *addr, size_t size, int node)
{
	struct bitmask *mask;
	long r;

	(void)ctx;
	if (numa_available() < 0)
		return -PMM_EOPNOTSUPP;
	mask = numa_allocate_nodemask();
	if (!mask)
		return -PMM_ENOMEM;
	numa_bitmask_setbit(mask, (unsigned)node);
	r = mbind(addr, size, MPOL_PREFERRED, mask->maskp, mask->size + 1, MPOL_MF_MOVE);
	numa_free_nodemask(mask);
	if (r)
		return errno == ENOMEM ? -PMM_ENOMEM : -PMM_EINVAL;
	return 0;
}

int pmm_posix_numa_where(void *ctx, void *const *addrs, unsigned n, int *nodes)
{
	(void)ctx;
	if (numa_available() < 0)
		return -PMM_EOPNOTSUPP;
	if (numa_move_pages(0, n, (void **)addrs, NULL, nodes, 0))
		return -PMM_EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (nodes[i] < 0)
			nodes[i] = -PMM_ENOENT;
	return 0;
}
#else
typedef int pmm_numa_posix_unused; /* ISO C wants a translation unit to declare something */
#endif
