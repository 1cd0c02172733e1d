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

/* CPU of the calling thread via rseq, or -1 when no rseq area is registered. */
int pmm_cpu_rseq(void);

/* CPU of the calling thread via sched_getcpu() (0 if unknown). */
unsigned pmm_cpu_getcpu(void);

/* rseq when available, else sched_getcpu(). May be stale once used. */
unsigned pmm_cpu_current(void);

#endif
