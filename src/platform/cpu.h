/* SPDX-License-Identifier: MIT */
/*
 * The current CPU, cheaply, and per-CPU locks taken without an atomic.
 *
 * glibc (>= 2.35) registers an rseq area for each thread and exports its
 * offset from the thread pointer; the kernel keeps `cpu_id` there current,
 * so reading it is one load.  pmm never writes a field the kernel owns: it
 * writes only `rseq_cs`, the field the ABI gives user space to describe a
 * restartable sequence.  Without rseq, sched_getcpu().
 *
 * pmm_rseq_trylock_cpu() takes a per-CPU lock word with a restartable
 * sequence: "if I am on CPU c and the word is 0, store PMM_RSEQ_LOCKED" runs
 * as one unit with respect to every other thread on CPU c (the kernel
 * restarts the sequence if the thread is preempted, migrated or signalled
 * before the store), so no locked instruction is needed.  Threads on other
 * CPUs (a drain, a thread acting as CPU c) must not use plain stores on the
 * same word: they compare-and-swap their own tag in, then call
 * pmm_cpu_fence(c), which aborts any sequence in flight on CPU c, and then
 * check that their tag is still there (see pcp_trylock_remote()).
 */
#ifndef PMM_PLATFORM_CPU_H
#define PMM_PLATFORM_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PMM_FREESTANDING
#include <sys/rseq.h> /* no rseq without Linux: the CPU is the platform's */
#endif

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PMM_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define PMM_TSAN 1
#endif

/*
 * Restartable per-CPU locks: x86-64 only (the sequence below is x86-64
 * assembly).  ThreadSanitizer cannot see the store made inside the
 * assembly, so under it a taken lock is announced with __tsan_acquire() on
 * the lock word, and the release is the unlock's store-release of 0, which
 * it sees: it then checks that the lists the lock guards are touched only
 * under it, by the rseq holder and compare-and-swap takers alike, and
 * would report two holders at once as racing writers.
 */
#if defined(__x86_64__) && defined(RSEQ_SIG) && !defined(PMM_FREESTANDING)
#define PMM_HAVE_RSEQ_LOCK 1
#else
#define PMM_HAVE_RSEQ_LOCK 0
#endif
#if PMM_HAVE_RSEQ_LOCK && defined(PMM_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

/* The value a restartable-sequence holder stores in a per-CPU lock word. */
#define PMM_RSEQ_LOCKED 1ul

#ifdef RSEQ_SIG
static inline struct rseq *pmm_rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}
#endif

/* CPU of the calling thread via rseq, or -1 when no rseq area is registered. */
static inline int pmm_cpu_rseq(void)
{
#if defined(RSEQ_SIG) && (defined(__x86_64__) || defined(__aarch64__))
	if (__builtin_expect(__rseq_size != 0, 1)) {
		const volatile struct rseq *rs = pmm_rseq_area();
		return (int32_t)rs->cpu_id; /* -1 (RSEQ_CPU_ID_UNINITIALIZED) or -2 when unusable */
	}
#endif
	return -1;
}

/*
 * pmm_rseq_trylock_cpu() - take the per-CPU lock *@word if the calling
 * thread runs on host CPU @cpu.  @rs is the thread's rseq area
 * (pmm_rseq_area()).
 *
 * Returns 1 when the lock was free and is now held (the word is
 * PMM_RSEQ_LOCKED; release it with a store-release of 0), 0 when it is held
 * (nothing written), -1 when the thread is not on @cpu any more or the
 * sequence was restarted (nothing written; read the CPU again or use the
 * remote protocol).  Only for a thread whose rseq area is registered
 * (pmm_cpu_rseq() >= 0) and only when PMM_HAVE_RSEQ_LOCK.
 * Context: any thread; never blocks; no system call.
 */
#if PMM_HAVE_RSEQ_LOCK
static inline __attribute__((always_inline)) int pmm_rseq_trylock_cpu(struct rseq *rs,
								       unsigned long *word,
								       unsigned cpu)
{
	/*
	 * The descriptor (struct rseq_cs: version, flags, start_ip,
	 * post_commit_offset, abort_ip) is emitted next to the code; the abort
	 * handler is preceded by the signature glibc registered (RSEQ_SIG),
	 * encoded as the operand of a ud1 so stray execution traps.
	 */
	__asm__ goto(".pushsection __rseq_cs, \"aw\"\n\t"
		     ".balign 32\n"
		     ".Lpmm_rseq_cs%=:\n\t"
		     ".long 0, 0\n\t"
		     ".quad .Lpmm_rseq_start%=, .Lpmm_rseq_commit%= - .Lpmm_rseq_start%=, .Lpmm_rseq_abort%=\n\t"
		     ".popsection\n\t"
		     "leaq .Lpmm_rseq_cs%=(%%rip), %%rax\n\t"
		     "movq %%rax, %c[cs_off](%[rs])\n"
		     ".Lpmm_rseq_start%=:\n\t"
		     "cmpl %[cpu], %c[cpu_off](%[rs])\n\t"
		     "jne %l[moved]\n\t"
		     "cmpq $0, (%[word])\n\t"
		     "jne %l[busy]\n\t"
		     "movq %[locked], (%[word])\n"
		     ".Lpmm_rseq_commit%=:\n\t"
		     ".pushsection __rseq_failure, \"ax\"\n\t"
		     ".byte 0x0f, 0xb9, 0x3d\n\t"
		     ".long %c[sig]\n"
		     ".Lpmm_rseq_abort%=:\n\t"
		     "jmp %l[moved]\n\t"
		     ".popsection"
		     :
		     : [rs] "r"(rs), [cpu] "r"(cpu), [word] "r"(word),
		       [locked] "i"(PMM_RSEQ_LOCKED), [sig] "i"(RSEQ_SIG),
		       [cs_off] "i"(offsetof(struct rseq, rseq_cs)),
		       [cpu_off] "i"(offsetof(struct rseq, cpu_id))
		     : "rax", "memory", "cc"
		     : busy, moved);
#ifdef PMM_TSAN
	__tsan_acquire(word);
#endif
	return 1;
busy:
	return 0;
moved:
	return -1;
}
#endif

/*
 * pmm_refcount_drop_one() - the 1 -> 0 drop of a page's reference count
 * *@ref that decides which of two racing frees owns the page: true when
 * *@ref was 1 and is now 0, false (nothing written) otherwise.
 *
 * While the process has one thread (glibc's __libc_single_threaded, which
 * only the creation of a second thread clears, and only that thread can
 * do), no other thread can race the drop and a signal handler on this
 * thread cannot split one instruction: the drop is an unlocked cmpxchg, which
 * neither waits for the thread's earlier stores to reach the cache nor holds
 * up its later loads, as glibc's malloc skips its atomics then (threads
 * made outside glibc, by a raw clone(), are not seen).  Otherwise,
 * and where that cannot be known (not x86-64, ThreadSanitizer, freestanding
 * builds), a locked compare-and-swap with acquire-release order.
 * Context: any thread; never blocks.
 */
#if defined(__x86_64__) && !defined(PMM_TSAN) && !defined(PMM_FREESTANDING) && \
	defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define PMM_HAVE_SINGLE_THREADED 1
#endif
#endif
#ifndef PMM_HAVE_SINGLE_THREADED
#define PMM_HAVE_SINGLE_THREADED 0
#endif

static inline __attribute__((always_inline)) bool pmm_refcount_drop_one(int *ref)
{
	int old = 1;

#if PMM_HAVE_SINGLE_THREADED
	if (__builtin_expect(__libc_single_threaded != 0, 1)) {
		/* The branch is the asm's own, so the caller's test is that jne. */
		__asm__ goto("movl $1, %%eax\n\t"
			     "cmpxchgl %[zero], %[ref]\n\t"
			     "jne %l[not_one]"
			     :
			     : [ref] "m"(*ref), [zero] "r"(0)
			     : "eax", "memory", "cc"
			     : not_one);
		return true;
not_one:
		return false;
	}
#endif
	return __atomic_compare_exchange_n(ref, &old, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* CPU of the calling thread via sched_getcpu() (0 if unknown). */
unsigned pmm_cpu_getcpu(void);

/* rseq when available, else sched_getcpu(). May be stale once used. */
unsigned pmm_cpu_current(void);

/*
 * pmm_cpu_fence_register() - register the process for pmm_cpu_fence()
 * (membarrier MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ).  Returns true
 * when restartable per-CPU locks may be used: rseq is registered for this
 * thread, the kernel has the command, and PMM_HAVE_RSEQ_LOCK.  Idempotent;
 * a system call the first time.  Context: may sleep.
 */
bool pmm_cpu_fence_register(void);

/*
 * pmm_cpu_fence() - make every restartable sequence in flight on host CPU
 * @cpu restart, and every store made before it on that CPU visible to the
 * caller (membarrier PRIVATE_EXPEDITED_RSEQ for one CPU, or for all CPUs if
 * that is refused).  Only after pmm_cpu_fence_register() returned true.
 * Returns false if the kernel refused both, and then nothing is fenced.
 * Context: a system call; may be called with pmm's per-CPU lock held (it
 * takes no pmm lock and calls no platform callback).
 */
bool pmm_cpu_fence(unsigned cpu);

#endif
