// SPDX-License-Identifier: MIT
/* Current-CPU lookup through glibc's registered rseq area, or sched_getcpu(). */
#include <sched.h>
#include <stddef.h>
#include <sys/rseq.h>

#include "platform/cpu.h"

int pmm_cpu_rseq(void)
{
#if defined(RSEQ_SIG) && (defined(__x86_64__) || defined(__aarch64__))
	if (__rseq_size != 0) {
		const volatile struct rseq *rs = (const volatile struct rseq *)
			((char *)__builtin_thread_pointer() + __rseq_offset);
		int32_t id = (int32_t)rs->cpu_id;
		if (id >= 0)
			return id;
	}
#endif
	return -1;
}

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
