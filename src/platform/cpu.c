// SPDX-License-Identifier: MIT
/* Current-CPU lookup through glibc's registered rseq area, or sched_getcpu(). */
#include <sched.h>
#include <stddef.h>
#include <sys/rseq.h>

#include "platform/cpu.h"

unsigned pmm_cpu_getcpu(void)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (unsigned)cpu;
}

unsigned pmm_cpu_current(void)
{
	int cpu = pmm_cpu_rseq();
	return cpu >= 0 ? (unsigned)cpu : pmm_cpu_getcpu();
}
