/* SPDX-License-Identifier: MIT */
/*
 * A cheap CLOCK_MONOTONIC for hot paths (page_owner stamps every allocation
 * and free, as the kernel's local_clock() does).
 *
 * Where the CPU's time-stamp counter is invariant and the kernel itself
 * reads CLOCK_MONOTONIC from it (clocksource tsc or kvm-clock), a read is
 * the counter scaled per thread: ns = base_ns + (tsc - base_tsc) * mult.
 * Each thread takes a fresh CLOCK_MONOTONIC sample at least once a
 * millisecond and steers its scale so that it meets CLOCK_MONOTONIC again
 * one millisecond on.  Elsewhere (another CPU or OS, or while the counter's
 * rate is being measured in a process's first millisecond of use) a read is
 * clock_gettime(CLOCK_MONOTONIC).
 *
 * Guarantees: per thread, values never decrease.  They stay within a few
 * microseconds of CLOCK_MONOTONIC (the sampling jitter and the rate error
 * over one millisecond; longer for a millisecond or two after a sample that
 * a preemption stretched).  Across threads, as for the kernel's
 * local_clock(), two reads ordered by other means may come out in the
 * other order by that much.
 *
 * State: the measured rate, process-wide (set once, atomics); the base and
 * scale per thread (initial-exec TLS, 32 bytes).  Locking: none.
 */
#ifndef PMM_PLATFORM_FASTCLOCK_H
#define PMM_PLATFORM_FASTCLOCK_H

#include <stdint.h>

/**
 * pmm_clock_fast_init() - decide whether the counter can be used (CPUID,
 * the kernel's clocksource: a file read) so that no read has to.
 * Idempotent; any thread.  Reads before it work too, on CLOCK_MONOTONIC.
 */
void pmm_clock_fast_init(void);

/* A thread's base and scale; zeroed means "take a sample". */
struct fast_clock_thread {
	uint64_t base_tsc;
	uint64_t base_ns;
	uint64_t mult;   /* ns per tick, 32.32 */
	uint64_t limit;  /* ticks after base_tsc that need a sample; 0: no base yet */
};

/* initial-exec: the read is a few %fs-relative loads, no call. */
extern __thread struct fast_clock_thread fast_clock_thread
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

uint64_t fast_clock_sample(struct fast_clock_thread *t) __attribute__((visibility("hidden")));

/**
 * pmm_clock_fast_ns() - CLOCK_MONOTONIC nanoseconds, as above.
 * Context: any thread; no lock, no system call but once a millisecond.
 */
static inline uint64_t pmm_clock_fast_ns(void)
{
#if defined(__x86_64__)
	struct fast_clock_thread *t = &fast_clock_thread;
	uint64_t d = __builtin_ia32_rdtsc() - t->base_tsc;

	if (__builtin_expect(d < t->limit, 1))
		return t->base_ns + (d * t->mult >> 32);
	return fast_clock_sample(t);
#else
	return fast_clock_sample(&fast_clock_thread);
#endif
}

#endif
