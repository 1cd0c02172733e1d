/* SPDX-License-Identifier: MIT */
/*
 * The POSIX platform's file-backed memory (memfile_posix.c): the
 * memfile_* operations of struct pmm_platform, with the contracts given in
 * <pmm/platform.h>.
 */
#ifndef PMM_PLATFORM_MEMFILE_H
#define PMM_PLATFORM_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

#include <pmm/platform.h>

int pmm_posix_memfile_open(void *ctx, const struct pmm_backend *b, uint64_t size,
			   struct pmm_memfile *mf, char *err, size_t errlen);
int pmm_posix_memfile_map(void *ctx, const struct pmm_memfile *mf, void *addr, uint64_t offset,
			  size_t size, unsigned flags);
int pmm_posix_memfile_discard(void *ctx, const struct pmm_memfile *mf, uint64_t offset,
			      size_t size);
void pmm_posix_memfile_close(void *ctx, struct pmm_memfile *mf);

#endif
