/* SPDX-License-Identifier: MIT */
/*
 * Cheap capture of the calling thread's stack: return addresses only, no
 * symbols (those are resolved when a report is printed, see symbolize.h).
 *
 * The default is a frame-pointer walk (pmm is built with
 * -fno-omit-frame-pointer): a load pair per frame, each frame pointer checked
 * against the thread's stack bounds before it is dereferenced, so a corrupt
 * or foreign (no frame pointer) chain ends the walk instead of faulting.
 * When the walk ends early on a broken chain, the unwinder (glibc
 * backtrace(), driven by DWARF CFI) is tried instead.
 *
 * Entry 0 is the return address into the function that called the capture
 * function (the capture function itself never appears); @skip drops that
 * many further innermost entries, as the kernel's stack_trace_save() does.
 * The capture functions are never inlined and never tail-call, so this holds
 * for whoever calls them -- but a caller that is itself reached by a sibling
 * call (tail call) is missing from any trace, with frame pointers or not.
 *
 * State: one thread-local cache of the thread's stack bounds, filled on the
 * first capture in each thread.  Locking: none.
 *
 * A caller that captures the same stacks over and over (page_owner, on every
 * allocation and free) can keep a struct stack_trail per thread: the frames
 * the last walk went through.  pmm_stack_capture_trail() then recognises a
 * walk that would go through the same frames and return the same addresses
 * by comparing, frame by frame, instead of storing -- and without the bounds
 * checks, which the recorded walk already passed for those very frame
 * addresses on this thread's stack.
 */
#ifndef PMM_PLATFORM_STACKTRACE_H
#define PMM_PLATFORM_STACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A frame-pointer walk shorter than this (and shorter than @max) that ended
 * on a broken chain rather than the chain's natural end is retried with the
 * unwinder.  This catches a build without frame pointers, where the walk
 * finds next to nothing.  Callers built without frame pointers below pmm's
 * own frames give a trace that stops after the first of their frames (pmm's
 * frames already pass the threshold); such embedders should point the
 * platform's stack() at pmm_stack_capture_unwind().
 */
#define STACK_FP_MIN_FRAMES 4u

/**
 * pmm_stack_capture_fp() - frame-pointer walk.
 * Return: entries stored in @entries (at most @max).  Never faults.
 * Context: any thread, async-signal-safe after the thread's first call.
 */
unsigned pmm_stack_capture_fp(uintptr_t *entries, unsigned max, unsigned skip);

/**
 * pmm_stack_capture_unwind() - the same with glibc's backtrace() (DWARF
 * unwinding): slower, but follows code built without frame pointers.
 * The first call in a process loads libgcc_s (pmm_stack_capture_init()
 * does it up front).
 * Return: entries stored.  Context: any thread; not async-signal-safe.
 */
unsigned pmm_stack_capture_unwind(uintptr_t *entries, unsigned max, unsigned skip);

/**
 * pmm_stack_capture() - the frame-pointer walk, falling back to the unwinder
 * when the walk ends on a broken chain with fewer than STACK_FP_MIN_FRAMES.
 * Return: entries stored.  Context: any thread.
 */
unsigned pmm_stack_capture(uintptr_t *entries, unsigned max, unsigned skip);

/**
 * pmm_posix_stack() - pmm_stack_capture() with the platform table's
 * signature (struct pmm_platform.stack); @ctx is unused.
 */
unsigned pmm_posix_stack(void *ctx, uintptr_t *entries, unsigned max, unsigned skip);

/* Longest walk a trail can recognise. */
#define STACK_TRAIL_MAX 16u

/*
 * The frames of one frame-pointer walk, so that the same walk is recognised
 * next time.  One trail belongs to one thread (its frame addresses are that
 * thread's stack) and must not be used by a signal handler that may
 * interrupt another use of it.  Zero-initialised = empty.
 */
struct stack_trail {
	const uintptr_t *entries;          /* its return addresses (caller's copy); NULL: empty */
	unsigned nr;                       /* how many, 1..STACK_TRAIL_MAX */
	unsigned max;                      /* the @max it was walked with */
	uintptr_t end;                     /* the frame whose zero return address ended it, or 0 */
	uintptr_t fp[STACK_TRAIL_MAX + 1]; /* frame i's address; fp[nr]: the link read last */
};

enum stack_trail_result {
	STACK_TRAIL_SAME,  /* the walk would give trail->entries[0..nr): nothing stored */
	STACK_TRAIL_NEW,   /* walked into @entries; the trail has its frames but no entries yet */
	STACK_TRAIL_OTHER, /* captured another way (signal stack, unwinder); trail emptied */
};

/**
 * pmm_stack_trail_same() - would pmm_stack_capture_trail() come back
 * STACK_TRAIL_SAME?  The cheap half of it, for callers that can skip
 * everything else on a match.
 * Context: the thread @trail belongs to.
 */
bool pmm_stack_trail_same(const void *frame, const struct stack_trail *trail, unsigned max);

/**
 * pmm_stack_capture_trail() - pmm_stack_capture() from the frame of the
 * caller's own function, recognising the walk @trail recorded.
 * @frame: __builtin_frame_address(0) in the caller, whose return address
 * becomes entry 0 (as if the caller had called pmm_stack_capture() with
 * @skip 1); or the frame of a function further up this thread's stack that
 * is still running (an entry point's, for page_owner's caller stacks), whose
 * return address then becomes entry 0.
 * @max: at most STACK_TRAIL_MAX.
 * @min: a walk that ends on a broken chain is kept if it found at least
 * this many entries, else the unwinder is asked (STACK_FP_MIN_FRAMES, as
 * pmm_stack_capture(); 1 when @frame is a frame of pmm's own whose return
 * address is the one wanted, as page_owner's caller stacks are).
 *
 * On STACK_TRAIL_NEW the caller may set @trail->entries to a stable copy of
 * the @entries (and @trail->nr to *@nr) to have the next identical walk come
 * back STACK_TRAIL_SAME; until it does, the trail matches nothing.
 * Return: as enum stack_trail_result; *@nr is the number of entries either way.
 * Context: the thread @trail belongs to.
 */
enum stack_trail_result pmm_stack_capture_trail(const void *frame, struct stack_trail *trail,
						uintptr_t *entries, unsigned max, unsigned min,
						unsigned *nr);

/*
 * pmm_stack_capture_init() - load what the unwinder needs (libgcc_s) now, so
 * that the first fallback does not allocate or open files in the middle of
 * an allocation.  Idempotent; call at platform setup.
 */
void pmm_stack_capture_init(void);

#endif
