// SPDX-License-Identifier: MIT
/*
 * page_owner (mm/page_owner.c): per-frame allocation records in page_ext,
 * stacks in the stack depot, and the kernel's text outputs.
 *
 * Every frame of an allocation gets the same record (the whole block's
 * order, gfp, stack, pid/tgid/comm, timestamp) and the OWNER and
 * OWNER_ALLOCATED bits; a free clears OWNER_ALLOCATED and records the free
 * stack and time (6.1 keeps no free pid or tgid).  A migration copies the
 * old block's record to the new block's first frame only, as 6.1 does.
 * Each alloc stack counts the base pages it holds (show_stacks): a block's
 * under its first frame's stack, a split block's each under its own
 * frame's.  A thread already inside page_owner (the depot or the
 * symbolizer allocating) gets the dummy stack instead of recursing; a
 * depot failure gets the failure stack; frames in use before page_owner
 * started get the early stack.
 *
 * Cost when off: one predictable branch per allocation and free
 * (set_page_owner()/reset_page_owner() in page_owner.h).  On, each hook
 * walks the stack against the thread's previous walk on the same path
 * (a stack_trail) and, when the frames are the same, reuses that walk's
 * depot record: no hashing and no depot lookup.  Only a stack the thread
 * did not capture last time on that path goes to the depot.
 *
 * Locking: a record is written by the thread that allocates or frees the
 * block (which owns it); readers (dumps) may see a record mid-update, as the
 * kernel's readers may.  The stack list is guarded by po->lock; a stack gets
 * on it once, by whoever sets its depot mark.  Per-thread state needs none.
 */
#include <stdio.h>
#include <string.h>

#include <pmm/page_owner.h>

#include "ext/page_ext.h"
#include "ext/page_owner.h"
#include "ext/stackdepot.h"
#include "mm/debug.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "platform/stacktrace.h"
#include "platform/symbolize.h"

struct page_owner {
	unsigned short order;
	short last_migrate_reason;
	pmm_gfp_t gfp_mask;
	depot_stack_handle_t handle;
	depot_stack_handle_t free_handle;
	uint64_t ts_nsec;
	uint64_t free_ts_nsec;
	char comm[16];
	int pid;
	int tgid;
};
/*
 * Linux 6.1's record, field for field (6.12 adds free_pid and free_tgid,
 * 64 bytes, which no output of a 6.1 machine prints): page_ext is then
 * 64 bytes a frame with the 8-byte flags word, as the boot log says.
 */
static_assert(sizeof(struct page_owner) == 56, "page_owner: Linux 6.1's 56 bytes");

struct page_owner_state {
	struct stack_depot depot;
	struct page_ext_operations ops;
	size_t ext_size;                /* m->page_ext->entry_size, at hand for the hooks */
	bool trail;                     /* the platform's stack() is pmm's: walk with trails */
	struct symbolizer *sym;
	depot_stack_handle_t dummy_handle, failure_handle, early_handle;
	uint64_t boot_ns;
	struct pmm_lock lock;           /* stacks[] */
	depot_stack_handle_t *stacks;   /* alloc stacks in first-use order */
	size_t nr_stacks, cap_stacks;
};

/* The depot mark page_owner sets on a stack once it is on stacks[]. */
#define STACK_MARK_LISTED 0

static const char *const migrate_reason_names[PMM_MR_TYPES] = {
	"compaction", "memory_failure", "memory_hotplug", "syscall_or_cpuset",
	"mempolicy_mbind", "numa_misplaced", "contig_range", "longterm_pin", "demotion",
};

/* A thread's identity as page_owner records it. */
struct task_ident {
	const struct pmm_platform *plat; /* whose task() filled it in; NULL: not yet */
	int pid, tgid;
	char comm[16];
};

/*
 * The last stack this thread saved on one path (allocation or free): the
 * frames its walk went through, and the depot record that holds it.  The
 * same walk again is recognised by comparing frames, and its record reused,
 * with no hashing and no depot lookup.
 */
struct owner_trail {
	struct stack_trail trail;  /* .entries point into rec */
	uint64_t depot_id;         /* the depot rec belongs to (stack_depot.id) */
	struct stack_record *rec;
};

/*
 * Everything page_owner keeps per thread, in one initial-exec block (about
 * 420 bytes): one %fs-relative address, where the general TLS model costs a
 * __tls_get_addr() call per access in a PIC library.
 */
struct owner_thread {
	int in_page_owner;                  /* recursion guard (dummy_handle) */
	/*
	 * Machines by id (m->fast.id), never by address: state for a destroyed
	 * machine must not apply to one made at the same address.  0: none.
	 */
	uint64_t task_for;                  /* task is this machine's answer (no override) */
	uint64_t task_override_for;         /* pmm_set_thread_task() was for this machine */
	uint64_t time_override_for;         /* pmm_set_thread_time() was for this machine */
	uint64_t time_override_ns;
	/*
	 * page_owner_stack=caller: the frame of the entry point (pmm_alloc_pages(),
	 * pmm_free_pages()) running the full path on machine entry.machine, where
	 * the hooks deep inside start their walks.
	 */
	struct page_owner_entry entry;
	struct task_ident task;             /* the platform's answer, read once (a system call) */
	struct owner_trail alloc, free;
};
static __thread struct owner_thread owner_thread __attribute__((tls_model("initial-exec")));
/* What pmm_set_thread_task() set (rarely used: general TLS). */
static __thread struct task_ident task_override;

static __attribute__((noinline)) const struct task_ident *current_task_slow(struct pmm *m,
									   struct owner_thread *ot)
{
	if (ot->task_override_for == m->fast.id)
		return &task_override;
	if (ot->task.plat != m->plat) {
		m->plat->task(m->plat->ctx, &ot->task.pid, &ot->task.tgid, ot->task.comm);
		ot->task.plat = m->plat;
	}
	ot->task_for = m->fast.id;
	return &ot->task;
}

static inline const struct task_ident *current_task(struct pmm *m, struct owner_thread *ot)
{
#ifdef PMM_FREESTANDING
	/*
	 * An embedder's execution context runs one task after another (its
	 * thread-local data may well be per CPU): ask each time.
	 */
	ot->task.plat = NULL;
#else
	if (likely(ot->task_for == m->fast.id))
		return &ot->task;
#endif
	return current_task_slow(m, ot);
}

int pmm_set_thread_task(struct pmm *m, int pid, int tgid, const char *comm)
{
	struct owner_thread *ot = &owner_thread;

	ot->task_for = 0;
	if (pid < 0) {
		if (ot->task_override_for == m->fast.id)
			ot->task_override_for = 0;
		return 0;
	}
	if (!comm)
		return -PMM_EINVAL;
	task_override.pid = pid;
	task_override.tgid = tgid < 0 ? pid : tgid;
	memset(task_override.comm, 0, sizeof(task_override.comm));
	for (size_t i = 0; i < sizeof(task_override.comm) - 1 && comm[i]; i++)
		task_override.comm[i] = comm[i];
	ot->task_override_for = m->fast.id;
	return 0;
}

void pmm_set_thread_time(struct pmm *m, uint64_t ns)
{
	struct owner_thread *ot = &owner_thread;

	if (ns == UINT64_MAX) {
		if (ot->time_override_for == m->fast.id)
			ot->time_override_for = 0;
		return;
	}
	ot->time_override_ns = ns;
	ot->time_override_for = m->fast.id;
}

void current_task_ident(struct pmm *m, int *pid, int *tgid, char comm[16])
{
	const struct task_ident *t = current_task(m, &owner_thread);

	*pid = t->pid;
	*tgid = t->tgid;
	memcpy(comm, t->comm, 16);
}

bool current_time_override(const struct pmm *m, uint64_t *ns)
{
	const struct owner_thread *ot = &owner_thread;

	if (likely(ot->time_override_for != m->fast.id))
		return false;
	*ns = ot->time_override_ns;
	return true;
}

static inline struct page_owner *get_page_owner(struct page_owner_state *po, struct page_ext *ext)
{
	return page_ext_data(ext, &po->ops);
}

static bool need_page_owner(struct pmm *m)
{
	return m->cfg.page_owner;
}

/*
 * The stack through the platform's stack() (an embedder's, or the fault
 * injecting wrapper): its entry 0 is the return address into this function,
 * entry 1 into the hook; skip both, as the kernel skips save_stack() and
 * __set_page_owner().  It cannot start at another frame, which is why
 * caller stacks are never in effect with it (page_owner_setup()).
 */
static __attribute__((noinline)) struct stack_record *save_stack_platform(struct pmm *m,
									  struct page_owner_state *po)
{
	uintptr_t entries[PAGE_OWNER_STACK_DEPTH];
	unsigned nr = m->plat->stack(m->plat->ctx, entries, PAGE_OWNER_STACK_DEPTH, 2);
	struct stack_record *rec = depot_save_record(&po->depot, entries, nr);

	__asm__ volatile("" ::: "memory"); /* no tail call: it would lose this frame */
	return rec;
}

/*
 * save_stack() - a stack into the depot for a hook (page_owner_set_slow(),
 * page_owner_reset_slow(), the _at() variants): the walk starts at @frame
 * and its first entry is @frame's return address.  @frame is the hook's own
 * frame (the record starts at its caller, the kernel's shape) or, with
 * caller stacks, an entry point's frame some calls further up (the record
 * starts at the entry point's caller).  @min: the fewest entries a walk
 * that ends on a broken chain keeps before the unwinder is asked (1 for an
 * entry point's frame, whose return address is all that is wanted).
 * With pmm's own stack capture the walk is recognised against the thread's
 * trail for this path (@tr); only a stack not seen last time on this path
 * is looked up in (or added to) the depot.  A platform's stack() walks from
 * its own call and ignores @frame and @min (caller stacks are never in
 * effect with one).
 * Return: the handle; *@recp is its record, or NULL for the dummy and
 * failure handles.
 */
static inline __attribute__((always_inline)) depot_stack_handle_t
save_stack(struct pmm *m, struct page_owner_state *po, struct owner_thread *ot,
	   struct owner_trail *tr, const void *frame, unsigned min, struct stack_record **recp)
{
	struct stack_record *rec;

	*recp = NULL;
	if (unlikely(ot->in_page_owner))
		return po->dummy_handle;
	ot->in_page_owner = 1;
	/* The frame walk is the host's: a freestanding build has only the platform's stack(). */
#ifdef PMM_FREESTANDING
	(void)tr, (void)frame, (void)min;
#else
	uintptr_t entries[PAGE_OWNER_STACK_DEPTH];
	unsigned nr;

	if (likely(po->trail)) {
		/* A record of another (maybe destroyed) depot must not be compared with. */
		if (unlikely(tr->depot_id != po->depot.id))
			tr->trail.entries = NULL;
		else if (likely(pmm_stack_trail_same(frame, &tr->trail, PAGE_OWNER_STACK_DEPTH))) {
			ot->in_page_owner = 0;
			*recp = tr->rec;
			return depot_record_handle(tr->rec);
		}
		switch (pmm_stack_capture_trail(frame, &tr->trail, entries, PAGE_OWNER_STACK_DEPTH, min,
						&nr)) {
		case STACK_TRAIL_SAME:
			rec = tr->rec;
			break;
		case STACK_TRAIL_NEW:
			rec = depot_save_record(&po->depot, entries, nr);
			if (rec) {
				tr->trail.entries = depot_record_entries(&po->depot, rec);
				tr->trail.nr = nr;
				tr->rec = rec;
				tr->depot_id = po->depot.id;
			}
			break;
		default:
			rec = depot_save_record(&po->depot, entries, nr);
			break;
		}
	} else
#endif
	{
		rec = save_stack_platform(m, po);
	}
	ot->in_page_owner = 0;
	if (unlikely(!rec))
		return po->failure_handle;
	*recp = rec;
	return depot_record_handle(rec);
}

/* Nanoseconds since the machine's page_owner started (the kernel's local_clock(), since boot). */
static inline uint64_t local_clock(struct pmm *m, struct page_owner_state *po,
				   const struct owner_thread *ot)
{
	uint64_t now;

	if (unlikely(ot->time_override_for == m->fast.id))
		return ot->time_override_ns;
	now = machine_clock_ns(m);
	/* Another thread's fast clock may be a little behind the one that set boot_ns. */
	return now > po->boot_ns ? now - po->boot_ns : 0;
}

/* Put @handle on the show_stacks list (once: the caller set its depot mark). */
static __attribute__((noinline)) void list_stack(struct page_owner_state *po,
						 depot_stack_handle_t handle)
{
	const struct pmm_platform *plat = po->depot.platform;
	depot_stack_handle_t *grown = NULL, *old = NULL;
	size_t grown_cap = 0, grown_alloc = 0, old_cap = 0;

	for (;;) {
		pmm_lock(&po->lock);
		if (po->nr_stacks < po->cap_stacks)
			break;
		if (grown && grown_alloc > po->cap_stacks) {
			if (po->nr_stacks)
				memcpy(grown, po->stacks, po->nr_stacks * sizeof(*grown));
			old = po->stacks;
			old_cap = po->cap_stacks;
			po->stacks = grown;
			po->cap_stacks = grown_alloc;
			grown = NULL;
			break;
		}
		/* No allocation under the lock: grow outside it, then look again. */
		grown_cap = po->cap_stacks ? po->cap_stacks * 2 : 256;
		pmm_unlock(&po->lock);
		if (grown)
			plat->free(plat->ctx, grown, grown_alloc * sizeof(*grown));
		grown = plat->alloc(plat->ctx, grown_cap * sizeof(*grown));
		if (!grown)
			return;
		grown_alloc = grown_cap;
	}
	po->stacks[po->nr_stacks++] = handle;
	pmm_unlock(&po->lock);
	if (grown)
		plat->free(plat->ctx, grown, grown_alloc * sizeof(*grown));
	if (old)
		plat->free(plat->ctx, old, old_cap * sizeof(*old));
}

static inline void set_owner_handle(struct page_owner_state *po, const struct task_ident *t,
				    struct page_ext *ext, depot_stack_handle_t handle,
				    unsigned order, pmm_gfp_t gfp, unsigned long nr, uint64_t ts)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct page_owner *o = get_page_owner(po, ext);
		unsigned long flags = __atomic_load_n(&ext->flags, __ATOMIC_RELAXED);

		o->handle = handle;
		o->order = (unsigned short)order;
		o->gfp_mask = gfp;
		o->last_migrate_reason = -1;
		o->pid = t->pid;
		o->tgid = t->tgid;
		o->ts_nsec = ts;
		memcpy(o->comm, t->comm, sizeof(o->comm));
		/*
		 * Only the frame's owner writes its flags (the kernel's
		 * __set_bit()); atomic for the readers of a dump.
		 */
		__atomic_store_n(&ext->flags,
				 flags | (1ul << PAGE_EXT_OWNER) | (1ul << PAGE_EXT_OWNER_ALLOCATED),
				 __ATOMIC_RELAXED);
		ext = (struct page_ext *)((char *)ext + po->ext_size);
	}
}

/*
 * The allocation hook's work (__set_page_owner()), recording the stack
 * whose innermost frame is @frame.
 */
static inline __attribute__((always_inline)) void
set_owner_from(struct pmm *m, struct page *page, unsigned order, pmm_gfp_t gfp, const void *frame,
	       unsigned min)
{
	struct page_owner_state *po = m->page_owner;
	struct owner_thread *ot = &owner_thread;
	struct stack_record *rec;
	depot_stack_handle_t handle;
	struct page_ext *ext;

	handle = save_stack(m, po, ot, &ot->alloc, frame, min, &rec);
	ext = page_ext_of_owned(m, page, po->ext_size);
	if (unlikely(!ext))
		return;
	set_owner_handle(po, current_task(m, ot), ext, handle, order, gfp, 1ul << order,
			 local_clock(m, po, ot));
	if (unlikely(!rec) && !(rec = depot_record(&po->depot, handle)))
		return;
	depot_record_count_add(rec, 1l << order);
	if (unlikely(depot_record_mark(rec, STACK_MARK_LISTED)))
		list_stack(po, handle);
}

/*
 * The frame a deep hook walks from: its own, or (caller stacks) its entry
 * point's, and the least walk kept when the chain breaks: an entry point's
 * own frame gives the wanted return address, however few frames follow.
 */
static inline const void *hook_frame(const struct pmm *m, const struct owner_thread *ot,
				     const void *own, unsigned *min)
{
	if (unlikely(m->page_owner_caller_stacks && ot->entry.machine == m->fast.id)) {
		*min = 1;
		return ot->entry.frame;
	}
	*min = STACK_FP_MIN_FRAMES;
	return own;
}

/*
 * The allocation hook (__set_page_owner()).  Its caller's stack is recorded,
 * so it must stay a function of its own, never inlined or tail-called.
 */
__attribute__((noinline)) void page_owner_set_slow(struct pmm *m, struct page *page, unsigned order,
						   pmm_gfp_t gfp)
{
	unsigned min;
	const void *frame = hook_frame(m, &owner_thread, __builtin_frame_address(0), &min);

	set_owner_from(m, page, order, gfp, frame, min);
}

__attribute__((noinline)) void page_owner_set_at(struct pmm *m, struct page *page, unsigned order,
						 pmm_gfp_t gfp, const void *frame)
{
	set_owner_from(m, page, order, gfp, frame, 1);
}

/* The free hook's work (__reset_page_owner()), as set_owner_from(). */
static inline __attribute__((always_inline)) void reset_owner_from(struct pmm *m, struct page *page,
								    unsigned order,
								    const void *frame, unsigned min)
{
	struct page_owner_state *po = m->page_owner;
	struct owner_thread *ot = &owner_thread;
	struct stack_record *rec;
	depot_stack_handle_t handle = save_stack(m, po, ot, &ot->free, frame, min, &rec);
	depot_stack_handle_t alloc_handle = 0;
	uint64_t ts = local_clock(m, po, ot);
	struct page_ext *ext = page_ext_of_owned(m, page, po->ext_size);

	if (unlikely(!ext))
		return;
	for (unsigned long i = 0; i < (1ul << order); i++) {
		struct page_owner *o = get_page_owner(po, ext);
		unsigned long flags = __atomic_load_n(&ext->flags, __ATOMIC_RELAXED);

		__atomic_store_n(&ext->flags, flags & ~(1ul << PAGE_EXT_OWNER_ALLOCATED),
				 __ATOMIC_RELAXED);
		o->free_handle = handle;
		o->free_ts_nsec = ts;
		if (i == 0)
			alloc_handle = o->handle;
		ext = (struct page_ext *)((char *)ext + po->ext_size);
	}
	if (!alloc_handle || alloc_handle == po->early_handle)
		return;
	/* Most frees on a thread give back what its last allocation stack took. */
	rec = ot->alloc.rec;
	if (!rec || ot->alloc.depot_id != po->depot.id || depot_record_handle(rec) != alloc_handle)
		rec = depot_record(&po->depot, alloc_handle);
	if (rec)
		depot_record_count_add(rec, -(1l << order));
}

/* The free hook (__reset_page_owner()); never inlined, as page_owner_set_slow(). */
__attribute__((noinline)) void page_owner_reset_slow(struct pmm *m, struct page *page, unsigned order)
{
	unsigned min;
	const void *frame = hook_frame(m, &owner_thread, __builtin_frame_address(0), &min);

	reset_owner_from(m, page, order, frame, min);
}

__attribute__((noinline)) void page_owner_reset_at(struct pmm *m, struct page *page, unsigned order,
						   const void *frame)
{
	reset_owner_from(m, page, order, frame, 1);
}

/*
 * The entry as found goes back as it was, whichever machine it was for: a
 * nested call on another machine must not clear the outer call's entry.
 * Machine ids are never 0, so entry.machine alone says whether it is set.
 */
struct page_owner_entry page_owner_entry_enter(struct pmm *m, const void *frame)
{
	struct owner_thread *ot = &owner_thread;
	struct page_owner_entry prev = ot->entry;

	ot->entry = (struct page_owner_entry){ .machine = m->fast.id, .frame = frame };
	return prev;
}

void page_owner_entry_leave(struct page_owner_entry prev)
{
	owner_thread.entry = prev;
}

/* Whether frees subtract from @handle's count (the early stack keeps none). */
static inline bool stack_counted(const struct page_owner_state *po, depot_stack_handle_t handle)
{
	return handle && handle != po->early_handle;
}

/*
 * A block's frees subtract its 2^order pages from its first frame's stack;
 * once split, each frame's free subtracts one page from its own.  Only a
 * migrated block has frames on other stacks than its first (its tails kept
 * the destination allocation's records): their pages move there now.
 */
void split_page_owner_slow(struct pmm *m, struct page *page, unsigned nr)
{
	struct page_owner_state *po = m->page_owner;
	struct page_ext *ext = page_ext_get(m, page), *e;
	depot_stack_handle_t head_handle;

	if (!ext)
		return;
	head_handle = get_page_owner(po, ext)->handle;
	e = ext;
	for (unsigned i = 0; i < nr; i++) {
		struct page_owner *o = get_page_owner(po, e);

		o->order = 0;
		if (i && o->handle != head_handle) {
			if (stack_counted(po, head_handle))
				depot_count_add(&po->depot, head_handle, -1);
			if (stack_counted(po, o->handle))
				depot_count_add(&po->depot, o->handle, 1);
		}
		e = page_ext_next(m, e);
	}
	page_ext_put(m, ext);
}

/* The order of the allocated block @page is the first page of, or -1 (free, tail, reserved). */
static int allocated_block_order(const struct page *page)
{
	if (PageTail(page) || PageBuddy(page) || PageReserved(page) || page_ref_count(page) <= 0)
		return -1;
	return PageHead(page) ? (int)compound_order(page) : (int)page_private(page);
}

void pmm_page_owner_migrate(struct pmm *m, struct pmm_page *oldp, struct pmm_page *newp,
			    enum pmm_migrate_reason reason)
{
	struct page_owner_state *po = m->page_owner;
	struct page *old = (struct page *)oldp, *newpage = (struct page *)newp;
	struct page_ext *old_ext, *new_ext;
	struct page_owner *o, *n;
	unsigned long nr;
	int order;

	if (!po || !page_is_ours(m, old) || !page_is_ours(m, newpage))
		return;
	/*
	 * The record covers 2^order frames of the new block: one of another
	 * order (or a free page) would get records that are not its own, and
	 * past a section's end the writes would leave its page_ext.
	 */
	order = allocated_block_order(old);
	if (order < 0 || allocated_block_order(newpage) != order)
		return;
	old_ext = page_ext_get(m, old);
	if (!old_ext)
		return;
	new_ext = lookup_page_ext(m, page_to_pfn(m, newpage));
	o = get_page_owner(po, old_ext);
	if (!new_ext || o->order != (unsigned)order) {
		page_ext_put(m, old_ext);
		return;
	}
	nr = 1ul << o->order;
	/*
	 * The new block's frees will subtract its pages from its first
	 * frame's stack, @old's from here on: move them there from the
	 * stack of @newpage's own allocation, which will never see them
	 * freed (split_page_owner_slow() gives the tails theirs back).
	 */
	n = get_page_owner(po, new_ext);
	if (stack_counted(po, n->handle))
		depot_count_add(&po->depot, n->handle, -(long)nr);
	/*
	 * Linux 6.1's __folio_copy_owner() and set_page_owner_migrate_reason():
	 * the first frame's record only, without the free stack; the tails
	 * keep the destination allocation's own records.  free_ts gets the
	 * old alloc time (a 6.1 quirk, kept).
	 */
	n->order = o->order;
	n->gfp_mask = o->gfp_mask;
	n->last_migrate_reason = (unsigned)reason < PMM_MR_TYPES ? (short)reason
								  : o->last_migrate_reason;
	n->handle = o->handle;
	n->ts_nsec = o->ts_nsec;
	n->free_ts_nsec = o->ts_nsec;
	memcpy(n->comm, o->comm, sizeof(n->comm));
	n->pid = o->pid;
	n->tgid = o->tgid;
	__atomic_fetch_or(&new_ext->flags, (1ul << PAGE_EXT_OWNER) | (1ul << PAGE_EXT_OWNER_ALLOCATED),
			  __ATOMIC_RELAXED);
	if (stack_counted(po, o->handle))
		depot_count_add(&po->depot, o->handle, (long)nr);
	page_ext_put(m, old_ext);
}

/* ------------------------------------------------------------ init */

static __attribute__((noinline)) depot_stack_handle_t register_stack(struct pmm *m,
								      struct page_owner_state *po)
{
	uintptr_t entries[4];
	unsigned nr = m->plat->stack(m->plat->ctx, entries, 4, 0);

	return depot_save(&po->depot, entries, nr);
}

static __attribute__((noinline)) depot_stack_handle_t register_dummy_stack(struct pmm *m,
									    struct page_owner_state *po)
{
	return register_stack(m, po);
}

static __attribute__((noinline)) depot_stack_handle_t register_failure_stack(struct pmm *m,
									      struct page_owner_state *po)
{
	return register_stack(m, po);
}

static __attribute__((noinline)) depot_stack_handle_t register_early_stack(struct pmm *m,
									    struct page_owner_state *po)
{
	return register_stack(m, po);
}

/* Frames in use before page_owner started get the early owner. */
static void init_early_allocated_pages(struct pmm *m, struct page_owner_state *po)
{
	int nid;

	for_each_online_node(m, nid)
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->node_data[nid]->node_zones[zi];
			unsigned long count = 0;

			if (!populated_zone(z))
				continue;
			for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn++) {
				struct page *page;
				struct page_ext *ext;

				if (!pfn_valid(m, pfn)) {
					pfn = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES) + MAX_ORDER_NR_PAGES - 1;
					continue;
				}
				page = pfn_to_page(m, pfn);
				if (page_zone(m, page) != z)
					continue;
				if (PageBuddy(page)) {
					unsigned long order = buddy_order(page);
					if (order > 0 && order < MAX_ORDER)
						pfn += (1ul << order) - 1;
					continue;
				}
				if (PageReserved(page) || page_ref_count(page) == 0)
					continue;
				ext = lookup_page_ext(m, pfn);
				if (!ext || (ext->flags & (1ul << PAGE_EXT_OWNER)))
					continue;
				set_owner_handle(po, current_task(m, &owner_thread), ext, po->early_handle,
						 0, 0, 1, local_clock(m, po, &owner_thread));
				count++;
			}
			pr_info(m, "Node %d, zone %8s: page owner found early allocated %lu pages\n", nid,
				z->name, count);
		}
}

static void init_page_owner(struct pmm *m, struct page_owner_state *po)
{
	po->dummy_handle = register_dummy_stack(m, po);
	po->failure_handle = register_failure_stack(m, po);
	po->early_handle = register_early_stack(m, po);
	init_early_allocated_pages(m, po);
}

/* The depot's messages belong in the machine's log, next to the boot log. */
static void machine_log(void *ctx, int level, const char *msg)
{
	pmm_printk(ctx, level, "%s", msg);
}

/*
 * pagetypeinfo's mixed blocks of @zone (pagetypeinfo_showmixedcount_print()):
 * walk the zone a pageblock at a time; a block counts once, under its own
 * migratetype (CMA as Movable), as soon as one allocation in it asked for
 * another migratetype.  Lockless, as the kernel's walk: a block that changes
 * under it may be miscounted, nothing else.  A block straddling two zones
 * may count in both; the kernel accepts that too.
 */
#if defined(__clang__) || defined(__GNUC__)
#define data_race_fn __attribute__((no_sanitize("thread")))
#else
#define data_race_fn
#endif

/*
 * The fields of a frame the mixed walk reads without locks, copied in one
 * place marked as the kernel's data_race(): a frame may be allocated,
 * freed or merged under the walk, which then miscounts at worst.
 */
static data_race_fn void page_snapshot(const struct page *page, struct page *snap)
{
	snap->flags = page->flags;
	snap->page_type = page->page_type;
	snap->private = page->private;
}

static data_race_fn void owner_snapshot(const struct page_owner *o, pmm_gfp_t *gfp, unsigned *order)
{
	*gfp = o->gfp_mask;
	*order = o->order;
}

static void mixed_blocks(struct pmm *m, struct zone *zone, unsigned long count[MIGRATE_TYPES])
{
	struct page_owner_state *po = m->page_owner;
	unsigned long pfn = zone->zone_start_pfn, end_pfn = zone_end_pfn(zone);

	while (pfn < end_pfn) {
		unsigned long block_end;
		int pageblock_mt;

		if (!pfn_to_online_page(m, pfn)) {
			pfn = ALIGN_UP(pfn + 1, MAX_ORDER_NR_PAGES);
			continue;
		}
		block_end = MIN(ALIGN_DOWN(pfn, pageblock_nr_pages) + pageblock_nr_pages, end_pfn);
		pageblock_mt = get_pfnblock_migratetype(m, pfn);
		for (; pfn < block_end; pfn++) {
			struct page *page = pfn_to_page(m, pfn), snap;
			struct page_ext *ext;
			unsigned long flags;
			pmm_gfp_t gfp;
			unsigned order;
			int page_mt;

			page_snapshot(page, &snap);
			if (page_zone(m, &snap) != zone)
				continue;
			if (PageBuddy(&snap)) {
				unsigned long free_order = page_private(&snap);

				if (free_order < MAX_ORDER)
					pfn += (1ul << free_order) - 1;
				continue;
			}
			if (PageReserved(&snap))
				continue;
			ext = page_ext_get(m, page);
			if (!ext)
				continue;
			flags = __atomic_load_n(&ext->flags, __ATOMIC_RELAXED);
			if (!(flags & (1ul << PAGE_EXT_OWNER_ALLOCATED))) {
				page_ext_put(m, ext);
				continue;
			}
			owner_snapshot(get_page_owner(po, ext), &gfp, &order);
			page_ext_put(m, ext);
			page_mt = gfp_to_migratetype(m, gfp);
			if (pageblock_mt != page_mt) {
				if (pageblock_mt < MIGRATE_TYPES)
					count[is_migrate_cma(pageblock_mt) ? MIGRATE_MOVABLE
									   : pageblock_mt]++;
				pfn = block_end;
				break;
			}
			if (order < MAX_ORDER)
				pfn += (1ul << order) - 1;
		}
	}
}

/*
 * stack_depot_early_init(): page_owner's state and stack depot, made (and
 * the depot's table logged) where the kernel's mm_init() makes them, before
 * boot hands memory to the buddy.  page_owner_setup() finishes the job.
 */
static int page_owner_early(struct pmm *m)
{
	struct page_owner_state *po;
	struct depot_options opts = { .memory_bytes = PFN_PHYS(m->max_pfn), .early = true,
				      .log = machine_log, .log_ctx = m };
	int err;

	if (!m->cfg.page_owner || m->page_owner_pending)
		return 0;
	po = pmm_zalloc(m, sizeof(*po));
	if (!po)
		return -PMM_ENOMEM;
	pmm_lock_init(&po->lock);
	po->boot_ns = machine_clock_ns(m);
	po->ops = (struct page_ext_operations){
		.size = sizeof(struct page_owner),
		.need = need_page_owner,
		.need_shared_flags = true,
	};
	if ((err = depot_init(&po->depot, m->plat, &opts))) {
		pmm_lock_destroy(&po->lock);
		pmm_free(m, po, sizeof(*po));
		return err;
	}
	m->page_owner_pending = po;
	return 0;
}

static int page_owner_setup(struct pmm *m)
{
	struct page_owner_state *po;
	int err;

	if (!m->cfg.page_owner)
		return page_ext_init(m);
	if ((err = page_owner_early(m)))
		return err;
	po = m->page_owner_pending;
	page_ext_register(m, &po->ops);
	if ((err = page_ext_init(m)))
		return err;
	po->ext_size = m->page_ext->entry_size;
#ifdef PMM_FREESTANDING
	po->trail = false;
#else
	po->trail = m->plat->stack == pmm_posix_stack;
#endif
	/*
	 * Caller stacks start the walk at an entry point's frame, several
	 * frames above the hook.  A platform's own stack() walks from where
	 * it is called and skips a fixed count, so the fast paths and the
	 * full path would give one call site two stacks: keep the kernel's
	 * stacks (and the full path) there, and say so once.
	 */
	m->page_owner_caller_stacks = m->cfg.page_owner_caller_stacks && po->trail;
	if (m->cfg.page_owner_caller_stacks && !po->trail)
		pr_warn(m, "page_owner: page_owner_stack=caller needs pmm's stack walk "
			   "(platform %s has its own stack()), falling back to kernel\n",
			m->plat->name ? m->plat->name : "?");
	po->sym = symbolizer_create(0);
	init_page_owner(m, po);
	/* Allocations are tracked from here on. */
	__atomic_store_n(&m->page_owner, po, __ATOMIC_RELEASE);
	pcp_fast_update(m);
	m->debug_hooks.dump_page_owner = dump_page_owner;
	m->debug_hooks.mixed_blocks = mixed_blocks;
	return 0;
}

static void page_owner_teardown(struct pmm *m)
{
	struct page_owner_state *po = m->page_owner ? m->page_owner : m->page_owner_pending;

	page_ext_teardown(m);
	if (!po)
		return;
	m->page_owner = NULL;
	m->page_owner_pending = NULL;
	symbolizer_destroy(po->sym);
	if (po->stacks)
		m->plat->free(m->plat->ctx, po->stacks, po->cap_stacks * sizeof(*po->stacks));
	depot_destroy(&po->depot);
	pmm_lock_destroy(&po->lock);
	pmm_free(m, po, sizeof(*po));
}

void page_owner_register(struct pmm *m)
{
	m->early_ext = page_owner_early;
	m->setup_ext = page_owner_setup;
	m->teardown_ext = page_owner_teardown;
}

/* ------------------------------------------------------------ output */

bool pmm_page_owner_enabled(const struct pmm *m)
{
	return m->page_owner != NULL;
}

size_t pmm_page_ext_bytes(const struct pmm *m)
{
	return m->page_ext ? m->page_ext->total_bytes : 0;
}

/* snprintf into a cursor; remembers overflow. */
struct sbuf {
	char *buf;
	size_t size, len;
};

static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Past the end, or with no buffer at all (a sizing call), only count:
	 * no pointer arithmetic on a NULL or exhausted buffer. */
	va_start(ap, fmt);
	if (s->buf && s->len < s->size)
		n = vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len += (size_t)n;
}

static void sb_stack(struct sbuf *s, struct page_owner_state *po, depot_stack_handle_t handle)
{
	const uintptr_t *entries;
	unsigned nr = depot_fetch(&po->depot, handle, &entries);

	for (unsigned i = 0; i < nr; i++) {
		char sym[256];
		symbolize_addr(po->sym, entries[i], sym, sizeof(sym), 0);
		sb_printf(s, " %s\n", sym);
	}
}

/*
 * A record as the page_owner file's reader sees it: copied field by field
 * without locks, as the kernel's read_page_owner() reads it (data_race):
 * the frame may be freed or allocated again meanwhile, and then its record
 * prints half old, half new, as the kernel's may.  *@ext_flags: the
 * record's page_ext flags.  The copy is made of plain loads (no memcpy(),
 * which a sanitizer would check) so that only this function races.
 */
static data_race_fn void owner_record_snapshot(const struct page_ext *ext,
					       const struct page_owner *o,
					       unsigned long *ext_flags, struct page_owner *copy)
{
	*ext_flags = ext->flags;
	copy->order = o->order;
	copy->last_migrate_reason = o->last_migrate_reason;
	copy->gfp_mask = o->gfp_mask;
	copy->handle = o->handle;
	copy->free_handle = o->free_handle;
	copy->ts_nsec = o->ts_nsec;
	copy->free_ts_nsec = o->free_ts_nsec;
	for (size_t i = 0; i < sizeof(copy->comm); i++)
		copy->comm[i] = ((const volatile char *)o->comm)[i];
	copy->pid = o->pid;
	copy->tgid = o->tgid;
}

/* @page and @o: snapshots (page_snapshot(), owner_record_snapshot()). */
static void print_page_owner(struct pmm *m, struct sbuf *s, unsigned long pfn,
			     const struct page *page, const struct page_owner *o,
			     enum pmm_kver kver)
{
	struct page_owner_state *po = m->page_owner;
	char gfp[512], flags[256];
	int pageblock_mt = get_pfnblock_migratetype(m, pfn);
	int page_mt = gfp_to_migratetype(m, o->gfp_mask);

	pmm_gfp_format(gfp, sizeof(gfp), o->gfp_mask, kver);
	sb_printf(s, "Page allocated via order %u, mask 0x%x(%s), pid %d, tgid %d (%.16s), ts %llu ns",
		  o->order, o->gfp_mask, gfp, o->pid, o->tgid, o->comm,
		  (unsigned long long)o->ts_nsec);
	if (kver < PMM_KVER_6_12)
		sb_printf(s, ", free_ts %llu ns", (unsigned long long)o->free_ts_nsec);
	sb_printf(s, "\n");
	format_page_flags(flags, sizeof(flags), page->flags);
	if (kver >= PMM_KVER_6_6)
		sb_printf(s, "PFN 0x%lx type %s Block %lu type %s Flags %s\n", pfn,
			  migratetype_names[page_mt], pfn >> pageblock_order,
			  migratetype_names[pageblock_mt], flags);
	else
		sb_printf(s, "PFN %lu type %s Block %lu type %s Flags %s\n", pfn,
			  migratetype_names[page_mt], pfn >> pageblock_order,
			  migratetype_names[pageblock_mt], flags);
	sb_stack(s, po, o->handle);
	if (o->last_migrate_reason != -1 && o->last_migrate_reason < PMM_MR_TYPES)
		sb_printf(s, "Page has been migrated, last migrate reason: %s\n",
			  migrate_reason_names[o->last_migrate_reason]);
	sb_printf(s, "\n");
}

long pmm_page_owner_read(struct pmm *m, char *buf, size_t size, unsigned long *pos,
			 enum pmm_kver kver)
{
	struct page_owner_state *po;
	unsigned long pfn;
	long ret = 0;

	/* A NULL @buf would only count the record, and *@pos would skip it. */
	if (!m || !(po = m->page_owner) || !pos || (!buf && size))
		return -PMM_EINVAL;
	pfn = *pos;
	/* Sections stay present and their memmap mapped while we look (memory hotplug). */
	pmm_lock(&m->hotplug_lock);
	if (pfn == 0)
		pfn = m->memblock.memory.cnt ? PFN_DOWN(m->memblock.memory.regions[0].base) : 0;
	for (; pfn < m->max_pfn; pfn++) {
		struct page *page, snap;
		struct page_ext *ext;
		struct page_owner o;
		unsigned long ext_flags;
		struct sbuf s = { buf, size, 0 };

		if (!pfn_valid(m, pfn)) {
			pfn = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES) + MAX_ORDER_NR_PAGES - 1;
			continue;
		}
		page = pfn_to_page(m, pfn);
		page_snapshot(page, &snap);
		if (PageBuddy(&snap)) {
			unsigned long order = page_private(&snap);
			if (order < MAX_ORDER)
				pfn += (1ul << order) - 1;
			continue;
		}
		ext = page_ext_get(m, page);
		if (!ext)
			continue;
		owner_record_snapshot(ext, get_page_owner(po, ext), &ext_flags, &o);
		page_ext_put(m, ext);
		if (!(ext_flags & (1ul << PAGE_EXT_OWNER)) ||
		    !(ext_flags & (1ul << PAGE_EXT_OWNER_ALLOCATED)) ||
		    (pfn & ((1ul << o.order) - 1)) || !o.handle)
			continue;
		print_page_owner(m, &s, pfn, &snap, &o, kver);
		if (s.len >= size) {
			ret = -PMM_ENOMEM;
		} else {
			*pos = pfn + 1;
			ret = (long)s.len;
		}
		pmm_unlock(&m->hotplug_lock);
		return ret;
	}
	*pos = pfn;
	pmm_unlock(&m->hotplug_lock);
	return 0;
}

#ifndef PMM_FREESTANDING /* the stream entry points; pmm_page_owner_read() fills buffers */
int pmm_page_owner_dump(struct pmm *m, FILE *out, unsigned long start_pfn, enum pmm_kver kver)
{
	size_t size = 16384;
	char *buf;
	unsigned long pos = start_pfn;
	long n;

	if (!m || !m->page_owner || !out)
		return -PMM_EINVAL;
	buf = m->plat->alloc(m->plat->ctx, size);
	if (!buf)
		return -PMM_ENOMEM;
	while ((n = pmm_page_owner_read(m, buf, size, &pos, kver)) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			n = -PMM_EIO;
			break;
		}
	m->plat->free(m->plat->ctx, buf, size);
	return n < 0 ? (int)n : 0;
}

int pmm_page_owner_show_stacks(struct pmm *m, FILE *out, unsigned long threshold)
{
	char buf[8192];
	unsigned long pos = 0;
	long n;

	if (!out)
		return -PMM_EINVAL;
	while ((n = pmm_page_owner_stacks_read(m, buf, sizeof(buf), &pos, threshold)) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			return -PMM_EIO;
	return n < 0 ? (int)n : 0;
}
#endif

/* The cursor of a finished show_stacks reading. */
#define STACKS_READ_END (~0ul)

long pmm_page_owner_stacks_read(struct pmm *m, char *buf, size_t size, unsigned long *pos,
				unsigned long threshold)
{
	struct page_owner_state *po;
	size_t i;

	if (!m || !(po = m->page_owner) || !pos || (!buf && size))
		return -PMM_EINVAL;
	if (*pos == STACKS_READ_END)
		return 0;
	/* The list only grows; a stack saved after the first call is not visited. */
	pmm_lock(&po->lock);
	i = *pos ? MIN(*pos, po->nr_stacks) : po->nr_stacks;
	pmm_unlock(&po->lock);
	while (i-- > 0) {
		depot_stack_handle_t h;
		long count;
		struct sbuf s = { buf, size, 0 };

		pmm_lock(&po->lock);
		h = po->stacks[i];
		pmm_unlock(&po->lock);
		count = depot_count_get(&po->depot, h);
		if (count < 1 || (unsigned long)count < threshold)
			continue;
		sb_stack(&s, po, h);
		sb_printf(&s, "nr_base_pages: %ld\n\n", count);
		if (s.len >= size)
			return -PMM_ENOMEM; /* not even this one stack fits: *@pos stays */
		*pos = i ? i : STACKS_READ_END;
		return (long)s.len;
	}
	*pos = STACKS_READ_END;
	return 0;
}

/*
 * The page_owner part of a bad-page report (__dump_page_owner()).  The
 * record is read racily on purpose, as the kernel's is (the loser of a
 * double-free race reports while the winner resets the record, offline
 * reports a page its owner is using), through owner_record_snapshot(): the
 * messages are formatted from the copy, never from the record a writer may
 * be changing.
 */
void dump_page_owner(struct pmm *m, struct page *page)
{
	struct page_owner_state *po = m->page_owner;
	struct page_ext *ext = page_ext_get(m, page);
	struct page_owner o;
	unsigned long ext_flags;
	char gfp[512];
	int mt;

	if (!ext) {
		pr_alert(m, "There is not page extension available.\n");
		return;
	}
	owner_record_snapshot(ext, get_page_owner(po, ext), &ext_flags, &o);
	page_ext_put(m, ext);
	if (!(ext_flags & (1ul << PAGE_EXT_OWNER))) {
		pr_alert(m, "page_owner info is not present (never set?)\n");
		return;
	}
	pr_alert(m, "page_owner tracks the page as %s\n",
		 (ext_flags & (1ul << PAGE_EXT_OWNER_ALLOCATED)) ? "allocated" : "freed");
	mt = gfp_to_migratetype(m, o.gfp_mask);
	pmm_gfp_format(gfp, sizeof(gfp), o.gfp_mask, PMM_KVER_6_1);
	pr_alert(m,
		 "page last allocated via order %u, migratetype %s, gfp_mask 0x%x(%s), pid %d, tgid %d (%.16s), ts %llu, free_ts %llu\n",
		 o.order, migratetype_names[mt], o.gfp_mask, gfp, o.pid, o.tgid, o.comm,
		 (unsigned long long)o.ts_nsec, (unsigned long long)o.free_ts_nsec);
	if (!o.handle) {
		pr_alert(m, "page_owner allocation stack trace missing\n");
	} else {
		char buf[4096] = "";
		struct sbuf s = { buf, sizeof(buf), 0 };
		sb_stack(&s, po, o.handle);
		pr_alert(m, "%s", buf);
	}
	if (!o.free_handle) {
		pr_alert(m, "page_owner free stack trace missing\n");
	} else {
		char buf[4096] = "";
		struct sbuf s = { buf, sizeof(buf), 0 };
		pr_alert(m, "page last free stack trace:\n");
		sb_stack(&s, po, o.free_handle);
		pr_alert(m, "%s", buf);
	}
	if (o.last_migrate_reason != -1 && o.last_migrate_reason < PMM_MR_TYPES)
		pr_alert(m, "page has been migrated, last migrate reason: %s\n",
			 migrate_reason_names[o.last_migrate_reason]);
}
