/* SPDX-License-Identifier: MIT */
/*
 * The platform seam: every operating-system service pmm uses, behind one
 * small table of functions.  Nothing outside src/platform/ calls the OS.
 *
 * A machine holds a pointer to a `struct pmm_platform`; the default is the
 * POSIX one (pmm_platform_posix()).  Tests wrap it with the fault-injecting
 * backend (pmm_platform_faulty()) to fail the N-th reservation or commit.
 * Embedders (unikernels, hobby kernels) supply their own table.
 *
 * Contract of each operation is given below.  All operations may be called
 * from any thread; none takes a pmm lock.  Operations that can fail return 0
 * or a negative PMM_E* code.
 */
#ifndef PMM_PLATFORM_H
#define PMM_PLATFORM_H

#include <stdbool.h>
#include <pmm/platform.h>

/*
 * platform_cpu_is_host() - whether @p's current_cpu() is the host's own CPU
 * number (the POSIX platform, possibly wrapped by the faulty one), so the
 * machine may read it from rseq itself and use restartable per-CPU locks.
 */
bool platform_cpu_is_host(const struct pmm_platform *p);
/* The table whose current_cpu() @p forwards to (itself unless @p is faulty). */
const struct pmm_platform *platform_faulty_cpu_source(const struct pmm_platform *p);

#endif
