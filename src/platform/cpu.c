// SPDX-License-Identifier: MIT
/*
 * Current-CPU lookup through glibc's registered rseq area, or sched_getcpu(),
 * and the membarrier fence behind restartable per-CPU locks.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>

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

static long sys_membarrier(int cmd, unsigned flags, int cpu)
{
	return syscall(__NR_membarrier, cmd, flags, cpu);
}

bool pmm_cpu_fence_register(void)
{
#if PMM_HAVE_RSEQ_LOCK
	static int state; /* 0 unknown, 1 usable, -1 not */
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	long cmds;

	if (s)
		return s > 0;
	if (pmm_cpu_rseq() < 0) {
		/* This thread has no rseq area; another thread may, so do not cache. */
		return false;
	}
	cmds = sys_membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
	s = cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) &&
			    sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) == 0
		    ? 1
		    : -1;
	__atomic_store_n(&state, s, __ATOMIC_RELEASE);
	return s > 0;
#else
	return false;
#endif
}

bool pmm_cpu_fence(unsigned cpu)
{
	long r;

	/* Only the targeted CPU is interrupted; fall back to all CPUs of the process. */
	if (sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU,
			   (int)cpu) == 0)
		return true;
	while ((r = sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0)) != 0 && errno == EINTR)
		;
	return r == 0;
}
