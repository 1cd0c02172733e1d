/* SPDX-License-Identifier: MIT */
/*
 * The platform seam: the operating-system services a pmm machine uses.
 *
 * A machine calls only these; the library never calls the OS elsewhere.
 * pmm_platform_posix() is the default.  A unikernel or hobby kernel supplies
 * its own table (reserve/commit may simply hand out ranges of physical RAM it
 * owns).  pmm_platform_faulty() wraps another table and fails chosen calls,
 * for tests of every error path.
 *
 * All callbacks may be called from any thread, never while a pmm lock is held
 * (pmm performs no system call under a lock), and must not call back into pmm.
 */
#ifndef PMM_PUBLIC_PLATFORM_H
#define PMM_PUBLIC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <pmm/api.h>

PMM_BEGIN_DECLS

/* Flags for commit(). */
#define PMM_COMMIT_HUGE 0x1 /* ask the host for 2 MiB pages (advice only) */

/* Log levels, as printk's. */
enum pmm_log_level {
	PMM_LOG_EMERG, PMM_LOG_ALERT, PMM_LOG_CRIT, PMM_LOG_ERR,
	PMM_LOG_WARNING, PMM_LOG_NOTICE, PMM_LOG_INFO, PMM_LOG_DEBUG,
};

struct pmm_platform {
	const char *name;
	void *ctx; /* passed back to every callback */

	/*
	 * reserve() - reserve @size bytes of address space, aligned to @align
	 * (a power of two, at least the host page size), inaccessible until
	 * committed.  Returns the address or NULL.
	 */
	void *(*reserve)(void *ctx, size_t size, size_t align);
	/* release() - give back a whole reservation made by reserve(). */
	void (*release)(void *ctx, void *addr, size_t size);
	/*
	 * commit() - make [addr, addr+size) of a reservation readable and
	 * writable and zero-filled on first touch.  Page-aligned.  0 or
	 * -PMM_ENOMEM.
	 */
	int (*commit)(void *ctx, void *addr, size_t size, unsigned flags);
	/* decommit() - make a committed range inaccessible and return its memory. */
	int (*decommit)(void *ctx, void *addr, size_t size);
	/*
	 * discard() - keep a committed range accessible but let the host take its
	 * memory back (contents become zero or undefined): free page reporting.
	 */
	int (*discard)(void *ctx, void *addr, size_t size);
	/* protect() - make a committed range inaccessible (0) or accessible (1) again. */
	int (*protect)(void *ctx, void *addr, size_t size, int access);

	/*
	 * alloc()/free() for pmm's own bookkeeping: zeroed memory aligned to
	 * 64 bytes (a cache line); NULL on failure.  free() gets the size asked for.
	 */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *ptr, size_t size);

	/* Clock: monotonic nanoseconds. */
	uint64_t (*clock_ns)(void *ctx);
	/* The CPU this thread runs on now, in [0, nr_cpus()). */
	unsigned (*current_cpu)(void *ctx);
	unsigned (*nr_cpus)(void *ctx);
	/* Identity of the calling thread for page_owner: pid, tgid, comm[16]. */
	void (*task)(void *ctx, int *pid, int *tgid, char comm[16]);
	/*
	 * stack() - capture up to @max return addresses of the caller, skipping
	 * @skip innermost frames.  Returns the number stored (0 if unsupported).
	 */
	unsigned (*stack)(void *ctx, uintptr_t *entries, unsigned max, unsigned skip);
	/* log() - one message (ends with '\n'); the default writes to stderr. */
	void (*log)(void *ctx, int level, const char *msg);
	/* Host page size in bytes. */
	size_t page_size;
};

/**
 * pmm_platform_posix() - the default platform: mmap/mprotect/madvise, rseq or
 * sched_getcpu, clock_gettime, stderr.
 * Return: a static table.  Context: any.
 */
PMM_API const struct pmm_platform *pmm_platform_posix(void);

/* Which operations the faulty platform may fail. */
enum pmm_fault_op {
	PMM_FAULT_RESERVE = 1 << 0,
	PMM_FAULT_COMMIT = 1 << 1,
	PMM_FAULT_ALLOC = 1 << 2,
};

struct pmm_platform_faulty {
	struct pmm_platform ops;        /* give &ops to the machine config */
	const struct pmm_platform *base; /* the platform it forwards to */
	unsigned mask;                  /* enum pmm_fault_op bits that count */
	unsigned long fail_nth;         /* fail the N-th counted call (1-based); 0 never */
	unsigned long calls;            /* counted calls so far */
	unsigned long failures;         /* failures injected */
	long outstanding;               /* reserve+commit+alloc minus their undo: 0 = no leak */
	size_t outstanding_bytes;       /* bytes still reserved+allocated */
};

/**
 * pmm_platform_faulty_init() - wrap @base so the @fail_nth-th call of the
 * operations in @mask fails (returns NULL or -PMM_ENOMEM).
 * The struct counts calls and outstanding resources so a test can assert
 * that nothing leaked after a failed or completed run.
 * Context: the counters are not atomic; use from one thread.
 */
PMM_API void pmm_platform_faulty_init(struct pmm_platform_faulty *f,
				      const struct pmm_platform *base,
				      unsigned mask, unsigned long fail_nth);

PMM_END_DECLS

#endif
