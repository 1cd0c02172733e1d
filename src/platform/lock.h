/* SPDX-License-Identifier: MIT */
/*
 * Locks for pmm's internal use.  A `struct pmm_lock` is a mutex in hosted
 * builds (threads may be preempted while holding a zone lock, so spinning
 * would waste the other core) and a test-and-set spinlock in freestanding
 * builds (PMM_FREESTANDING), where the embedder runs with preemption off.
 *
 * Ownership is tracked in debug builds so that *_locked functions can assert
 * their precondition (lockdep_assert_held).
 */
#ifndef PMM_PLATFORM_LOCK_H
#define PMM_PLATFORM_LOCK_H

#include <stdbool.h>

#ifndef PMM_FREESTANDING
#include <pthread.h>

struct pmm_lock {
	pthread_mutex_t mutex;
	unsigned long owner; /* thread holding it, 0 if none (debug aid) */
};

static inline unsigned long pmm_lock_self(void)
{
	return (unsigned long)pthread_self();
}

static inline void pmm_lock_init(struct pmm_lock *l)
{
	pthread_mutex_init(&l->mutex, NULL);
	l->owner = 0;
}

static inline void pmm_lock_destroy(struct pmm_lock *l)
{
	pthread_mutex_destroy(&l->mutex);
}

static inline void pmm_lock(struct pmm_lock *l)
{
	pthread_mutex_lock(&l->mutex);
	__atomic_store_n(&l->owner, pmm_lock_self(), __ATOMIC_RELAXED);
}

static inline bool pmm_trylock(struct pmm_lock *l)
{
	if (pthread_mutex_trylock(&l->mutex))
		return false;
	__atomic_store_n(&l->owner, pmm_lock_self(), __ATOMIC_RELAXED);
	return true;
}

static inline void pmm_unlock(struct pmm_lock *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->mutex);
}

/* True if the calling thread holds @l. */
static inline bool pmm_lock_held(const struct pmm_lock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == pmm_lock_self();
}

#else /* PMM_FREESTANDING */

/* The CPU's spin-wait hint. */
#if defined(__x86_64__) || defined(__i386__)
#define pmm_spin_pause() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define pmm_spin_pause() __asm__ __volatile__("yield" ::: "memory")
#else
#define pmm_spin_pause() __asm__ __volatile__("" ::: "memory")
#endif

struct pmm_lock {
	int locked;
};

static inline void pmm_lock_init(struct pmm_lock *l) { l->locked = 0; }
static inline void pmm_lock_destroy(struct pmm_lock *l) { (void)l; }
static inline bool pmm_trylock(struct pmm_lock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}
static inline void pmm_lock(struct pmm_lock *l)
{
	while (!pmm_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			pmm_spin_pause();
}
static inline void pmm_unlock(struct pmm_lock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
static inline bool pmm_lock_held(const struct pmm_lock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}
#endif

#endif

/*
 * A lock for very short critical sections with a trylock fast path (the
 * per-CPU lists).  Contended acquisitions yield the CPU instead of spinning,
 * so a preempted holder is not waited for in a busy loop.
 */
#ifndef PMM_PLATFORM_SPINLOCK_DEFINED
#define PMM_PLATFORM_SPINLOCK_DEFINED
#ifndef PMM_FREESTANDING
#include <sched.h>
#define pmm_cpu_relax() sched_yield()
#else
#define pmm_cpu_relax() pmm_spin_pause()
#endif

struct pmm_spinlock {
	int locked;
};

static inline void pmm_spin_init(struct pmm_spinlock *l)
{
	l->locked = 0;
}
static inline bool pmm_spin_trylock(struct pmm_spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}
static inline void pmm_spin_lock(struct pmm_spinlock *l)
{
	while (!pmm_spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			pmm_cpu_relax();
}
static inline void pmm_spin_unlock(struct pmm_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
static inline bool pmm_spin_is_locked(const struct pmm_spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}
#endif
