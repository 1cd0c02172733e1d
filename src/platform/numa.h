/* SPDX-License-Identifier: MIT */
/*
 * The POSIX platform's host NUMA placement (numa_posix.c): the numa_*
 * operations of struct pmm_platform, with the contracts given in
 * <pmm/platform.h>.  PMM_HAVE_NUMA says libnuma was found at build time;
 * without it the operations do not exist and the table leaves them NULL.
 */
#ifndef PMM_PLATFORM_NUMA_H
#define PMM_PLATFORM_NUMA_H

#include <stddef.h>

#ifdef PMM_HAVE_NUMA
int pmm_posix_numa_node_valid(void *ctx, int node);
int pmm_posix_numa_place(void *ctx, void *addr, size_t size, int node);
int pmm_posix_numa_where(void *ctx, void *const *addrs, unsigned n, int *nodes);
#define PMM_POSIX_NUMA_NODE_VALID pmm_posix_numa_node_valid
#define PMM_POSIX_NUMA_PLACE pmm_posix_numa_place
#define PMM_POSIX_NUMA_WHERE pmm_posix_numa_where
#else
#define PMM_POSIX_NUMA_NODE_VALID NULL
#define PMM_POSIX_NUMA_PLACE NULL
#define PMM_POSIX_NUMA_WHERE NULL
#endif

#endif
