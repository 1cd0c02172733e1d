/* SPDX-License-Identifier: MIT */
/*
 * The current CPU, cheaply.  glibc (>= 2.35) registers an rseq area for each
 * thread and exports its offset from the thread pointer; the kernel keeps
 * `cpu_id` there current, so reading it is one load.  pmm only reads it and
 * never writes a field the kernel owns.  Without rseq, sched_getcpu().
 */
#ifndef PMM_PLATFORM_CPU_H
#define PMM_PLATFORM_CPU_H

#include <stdint.h>

#include <sys/rseq.h>

/* CPU of the calling thread via rseq, or -1 when no rseq area is registered. */
static inline int pmm_cpu_rseq(void)
{
#if defined(RSEQ_SIG) && (defined(__x86_64__) || defined(__aarch64__))
	if (__builtin_expect(__rseq_size != 0, 1)) {
		const volatile struct rseq *rs = (const volatile struct rseq *)
			((char *)__builtin_thread_pointer() + __rseq_offset);
		return (int32_t)rs->cpu_id; /* -1 (RSEQ_CPU_ID_UNINITIALIZED) or -2 when unusable */
	}
#endif
	return -1;
}

/* CPU of the calling thread via sched_getcpu() (0 if unknown). */
unsigned pmm_cpu_getcpu(void);

/* rseq when available, else sched_getcpu(). May be stale once used. */
unsigned pmm_cpu_current(void);

#endif
