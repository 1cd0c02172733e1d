// SPDX-License-Identifier: MIT
/*
 * The writer's side of pmm's RCU (rcu.h): liburcu-bp's grace period in a
 * hosted build, a wait on each CPU's reader count in a freestanding one.
 */
#include <pmm/errno.h>

#include "platform/lock.h"
#include "platform/rcu.h"

int pmm_rcu_init(struct pmm_rcu *r, const struct pmm_platform *plat, unsigned nr_cpus)
{
	r->plat = plat;
	r->nr_cpus = nr_cpus ? nr_cpus : 1;
	r->cpu = NULL;
#ifdef PMM_FREESTANDING
	r->cpu = plat->alloc(plat->ctx, r->nr_cpus * sizeof(*r->cpu));
	if (!r->cpu)
		return -PMM_ENOMEM;
	for (unsigned i = 0; i < r->nr_cpus; i++)
		r->cpu[i].nest = r->cpu[i].gen = 0;
#endif
	return 0;
}

void pmm_rcu_destroy(struct pmm_rcu *r)
{
	if (r->cpu)
		r->plat->free(r->plat->ctx, r->cpu, r->nr_cpus * sizeof(*r->cpu));
	r->cpu = NULL;
}

void pmm_synchronize_rcu(const struct pmm_rcu *r)
{
#ifdef PMM_FREESTANDING
	/* The unpublishing store before any count is looked at (rcu.h). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!r->cpu)
		return; /* never set up: no reader could have started */
	for (unsigned i = 0; i < r->nr_cpus; i++) {
		struct pmm_rcu_cpu *c = &r->cpu[i];
		unsigned long gen = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);

		/* Until the section open now ends: the count drains or a section ends. */
		while (__atomic_load_n(&c->nest, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE) == gen)
			pmm_spin_pause();
	}
#else
	urcu_bp_synchronize_rcu();
	pmm_rcu_tsan_acquire(r);
#endif
}
