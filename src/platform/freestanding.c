// SPDX-License-Identifier: MIT
/*
 * The platform seam's freestanding side (PMM_FREESTANDING builds, the
 * pmm_freestanding library): what the POSIX files give a hosted build,
 * taken from the embedder's `struct pmm_platform` or from nothing at all.
 *
 * - The CPU is always the platform's current_cpu(): there is no rseq area
 *   to read and no membarrier to fence restartable sequences with, so the
 *   per-CPU lists take their locks with an atomic (pcp.h).
 * - Stacks come from the platform's stack() callback, never from a walk of
 *   the host's frames, and are printed as bare addresses ("0x<hex>", as the
 *   kernel's %pS prints an address no symbol covers): an embedder has no
 *   ELF file for pmm to read symbols from.
 * - RCU is pmm's own (platform/rcu.h), per machine.
 *
 * In a hosted build this file is empty.
 */
#ifdef PMM_FREESTANDING

#include <stdio.h>

#include <pmm/errno.h>

#include "platform/platform.h"
#include "platform/cpu.h"
#include "platform/symbolize.h"

bool platform_cpu_is_host(const struct pmm_platform *p)
{
	(void)p;
	return false;
}

bool pmm_cpu_fence_register(void)
{
	return false;
}

bool pmm_cpu_fence(unsigned cpu)
{
	(void)cpu;
	return false;
}

struct symbolizer *symbolizer_create(unsigned flags)
{
	(void)flags;
	return NULL;
}

void symbolizer_destroy(struct symbolizer *sym)
{
	(void)sym;
}

unsigned symbolizer_flags(const struct symbolizer *sym)
{
	(void)sym;
	return 0;
}

int symbolize_addr(struct symbolizer *sym, uintptr_t addr, char *buf, size_t len, unsigned flags)
{
	(void)sym, (void)flags;
	return snprintf(buf, len, "0x%lx", (unsigned long)addr);
}

int symbolize_name(struct symbolizer *sym, uintptr_t addr, char *buf, size_t len)
{
	(void)sym, (void)addr;
	if (len)
		buf[0] = '\0';
	return -PMM_ENOENT;
}

#endif /* PMM_FREESTANDING */
