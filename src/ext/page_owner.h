/* SPDX-License-Identifier: MIT */
/* page_owner internals shared with the allocator (split_page, reports). */
#ifndef PMM_EXT_PAGE_OWNER_H
#define PMM_EXT_PAGE_OWNER_H

#include "mm/internal.h"

#define PAGE_OWNER_STACK_DEPTH 16

void split_page_owner_slow(struct pmm *m, struct page *page, unsigned nr);
static inline void split_page_owner(struct pmm *m, struct page *page, unsigned nr)
{
	if (unlikely(m->page_owner != NULL))
		split_page_owner_slow(m, page, nr);
}

void dump_page_owner(struct pmm *m, struct page *page);

/*
 * current_task_ident() - the calling thread's pid, tgid and comm as
 * page_owner records them: what pmm_set_thread_task() set for @m, else the
 * platform's answer (cached per thread).
 */
void current_task_ident(struct pmm *m, int *pid, int *tgid, char comm[16]);

/* current_time_override() - true, and *@ns, when pmm_set_thread_time() set a time for @m. */
bool current_time_override(const struct pmm *m, uint64_t *ns);

/* Register page_owner as a page_ext client of @m. */
void page_owner_register(struct pmm *m);

#endif
