/* SPDX-License-Identifier: MIT */
/* page_owner internals shared with the allocator (split_page, reports). */
#ifndef PMM_EXT_PAGE_OWNER_H
#define PMM_EXT_PAGE_OWNER_H

#include "mm/internal.h"

#define PAGE_OWNER_STACK_DEPTH 16

/*
 * The allocation and free hooks (the kernel's set_page_owner() and
 * reset_page_owner()), for any allocation path, the per-CPU fast path
 * included.  Off, each is one load and one predictable branch, inline.  On,
 * the out-of-line part records the stack of the function that calls the
 * hook (the first frame printed, as post_alloc_hook() and
 * free_pages_prepare() are in the kernel's records), so call them from the
 * function that should appear there, directly: not through a wrapper that
 * is itself out of line, and not as a tail call.
 *
 * set_page_owner(): after @page (a block of 2^@order frames) is taken,
 * before it is handed out.  Each frame's record gets the stack, @order,
 * @gfp, time, pid, tgid and comm; the stack's page count grows by 2^@order.
 * reset_page_owner(): when the block is being freed, before it can be
 * reallocated.  The records get the free stack, time, pid and tgid and stop
 * being "allocated"; the allocation stack's count shrinks by 2^@order.
 *
 * Cost on (order 0, the same stacks as last time on the thread): the two
 * frame-pointer walks compared with the thread's previous ones, no hashing
 * and no depot lookup, two clock reads, one atomic add each.  See
 * docs/performance.md for the figures.
 *
 * Context: the caller owns @page (it is allocated and not yet handed out,
 * or being freed), so its page_ext cannot go away.  Any thread; no lock
 * needed or taken (the show_stacks list's lock the first time a stack holds
 * pages).  Async-signal-safe in the sense the kernel's is: a handler that
 * allocates while its thread is inside page_owner gets the dummy stack.
 */
void page_owner_set_slow(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp);
void page_owner_reset_slow(struct pmm *m, struct page *page, unsigned order);

/*
 * page_owner_stack=caller.  The public entry points record from their own
 * frame (@frame: their __builtin_frame_address(0)), so a record's stack
 * starts at their caller whichever path served the call:
 *   page_owner_set_at()/page_owner_reset_at(): the hooks' work, walking
 *     from @frame; the per-CPU fast paths call them (page_owner on, the
 *     machine's fast.extra has FAST_EXTRA_OWNER);
 *   page_owner_entry_enter()/_leave(): around a full-path call, so the
 *     hooks deep in it walk from @frame too.  enter returns the thread's
 *     entry as it found it, which leave puts back exactly: a call nested
 *     in another's full path (a bad-page handler allocating, on this
 *     machine or another) leaves the outer call's entry as it was.
 * Context: as the hooks; the entry is per thread.
 */
struct page_owner_entry {
	uint64_t machine;   /* the fast.id of the machine whose full path runs; 0: none */
	const void *frame;  /* its entry point's frame */
};
void page_owner_set_at(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp,
		       const void *frame);
void page_owner_reset_at(struct pmm *m, struct page *page, unsigned order, const void *frame);
struct page_owner_entry page_owner_entry_enter(struct pmm *m, const void *frame);
void page_owner_entry_leave(struct page_owner_entry prev);

/*
 * The wrappers are always inlined, as the kernel's are in practice: a
 * record's stack starts at the hook's caller (prep_new_page(),
 * free_pages_prepare(), ...) at every optimisation level, -O0 included.
 */
static inline __attribute__((always_inline)) void
set_page_owner(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp)
{
	if (unlikely(m->page_owner != NULL))
		page_owner_set_slow(m, page, order, gfp);
}

static inline __attribute__((always_inline)) void
reset_page_owner(struct pmm *m, struct page *page, unsigned order)
{
	if (unlikely(m->page_owner != NULL))
		page_owner_reset_slow(m, page, order);
}

void split_page_owner_slow(struct pmm *m, struct page *page, unsigned nr);
static inline __attribute__((always_inline)) void
split_page_owner(struct pmm *m, struct page *page, unsigned nr)
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
