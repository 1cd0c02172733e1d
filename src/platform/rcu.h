/* SPDX-License-Identifier: MIT */
/*
 * RCU for the two structures a machine frees while readers may hold them:
 * a section's page_ext storage (hot-remove) and the registered free page
 * reporter.  Readers bracket their use with pmm_rcu_read_lock() and
 * pmm_rcu_read_unlock(); the writer unpublishes the pointer, waits in
 * pmm_synchronize_rcu() for every reader that may have seen it, then frees.
 *
 * Hosted builds use liburcu-bp (process-wide, threads register themselves
 * on first use); the machine argument is unused.
 *
 * Freestanding builds (PMM_FREESTANDING) have no threads to register and
 * keep a reader count per machine and CPU instead.  They rely on the
 * freestanding contract that pmm runs with preemption off (see lock.h): a
 * reader leaves its section on the CPU whose count it raised.  A reader
 * raises its count (a sequentially consistent atomic add, a full fence)
 * and then loads the pointer; the writer stores the pointer and then,
 * after a full fence, looks at each count.  One of them sees the other:
 * either the reader finds the pointer gone, or the writer finds the count
 * raised and waits until it drains or that CPU's outermost section ends
 * (its generation moves on).  The counts are atomic, so two contexts that
 * share a CPU number (an embedder's thread preempted inside pmm, against
 * the contract) cost only waiting, never a missed reader.  Sections nest.
 * A writer must not wait inside a section of its own.
 *
 * Locking: none; the read side takes no lock and never waits.
 */
#ifndef PMM_PLATFORM_RCU_H
#define PMM_PLATFORM_RCU_H

#include <stdint.h>

#include <pmm/platform.h>

#ifndef PMM_FREESTANDING
#include <urcu-bp.h>
#endif

/*
 * liburcu's grace periods are invisible to ThreadSanitizer: under it a
 * hosted reader's unlock is announced as a release of the machine's
 * struct pmm_rcu, and the writer's return from pmm_synchronize_rcu() as
 * an acquire of it, which is the ordering a grace period gives.
 */
#if defined(PMM_TSAN) && !defined(PMM_FREESTANDING)
#include <sanitizer/tsan_interface.h>
#define pmm_rcu_tsan_release(r) __tsan_release((void *)(r))
#define pmm_rcu_tsan_acquire(r) __tsan_acquire((void *)(r))
#else
#define pmm_rcu_tsan_release(r) ((void)(r))
#define pmm_rcu_tsan_acquire(r) ((void)(r))
#endif

/* One CPU's readers, on a cache line of its own. */
struct pmm_rcu_cpu {
	unsigned long nest; /* sections open on this CPU */
	unsigned long gen;  /* outermost sections ended on this CPU */
	char pad[64 - 2 * sizeof(unsigned long)];
};

struct pmm_rcu {
	struct pmm_rcu_cpu *cpu; /* freestanding: nr_cpus entries; hosted: NULL */
	unsigned nr_cpus;
	const struct pmm_platform *plat;
};

#ifdef PMM_FREESTANDING
static inline struct pmm_rcu_cpu *pmm_rcu_this_cpu(const struct pmm_rcu *r)
{
	return &r->cpu[r->plat->current_cpu(r->plat->ctx) % r->nr_cpus];
}
#endif

static inline void pmm_rcu_read_lock(const struct pmm_rcu *r)
{
#ifdef PMM_FREESTANDING
	__atomic_add_fetch(&pmm_rcu_this_cpu(r)->nest, 1, __ATOMIC_SEQ_CST);
#else
	(void)r;
	urcu_bp_read_lock();
#endif
}

static inline void pmm_rcu_read_unlock(const struct pmm_rcu *r)
{
#ifdef PMM_FREESTANDING
	struct pmm_rcu_cpu *c = pmm_rcu_this_cpu(r);

	/* Everything read in the section is read before the count falls. */
	if (!__atomic_sub_fetch(&c->nest, 1, __ATOMIC_RELEASE))
		__atomic_add_fetch(&c->gen, 1, __ATOMIC_RELEASE);
#else
	pmm_rcu_tsan_release(r);
	urcu_bp_read_unlock();
#endif
}

/*
 * pmm_rcu_init() - set up @r for a machine of @nr_cpus CPUs on @plat (in a
 * freestanding build, one cache line per CPU from @plat->alloc).
 * Return: 0 or -PMM_ENOMEM.  Context: boot.
 */
int pmm_rcu_init(struct pmm_rcu *r, const struct pmm_platform *plat, unsigned nr_cpus);

/* pmm_rcu_destroy() - release what pmm_rcu_init() took; no reader may remain. */
void pmm_rcu_destroy(struct pmm_rcu *r);

/*
 * pmm_synchronize_rcu() - return once every read-side section that began
 * before the call has ended.  Context: may wait (hosted: sleeps; freestanding:
 * spins); not inside a read-side section; holds up no reader.
 */
void pmm_synchronize_rcu(const struct pmm_rcu *r);

#endif
