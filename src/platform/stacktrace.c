// SPDX-License-Identifier: MIT
/*
 * Stack capture: a bounded frame-pointer walk, with glibc's unwinder as the
 * fallback.  See stacktrace.h for the contract.
 *
 * Why a walk cannot fault: a frame is dereferenced only if its pointer is
 * aligned, lies at or above the walker's own frame and below the top of the
 * stack the walk is on (the thread's stack, or the signal stack when a
 * handler runs on one), and is above the frame before it.  Memory in
 * [own frame, stack top) is mapped for as long as the walker runs.  The only
 * permitted non-increasing step is the one hop from the signal stack to the
 * thread's stack.
 *
 * Trails (pmm_stack_capture_trail()): a walk records the address of every
 * frame it read and the link it stopped on.  Whether a frame is dereferenced
 * depends only on its address, the walk's first frame and the stack's top,
 * so a later walk from the same first frame on the same thread that finds
 * the same links may read the same frames without checking them again; it
 * compares each return address and link with the recorded ones instead.
 * Where the recorded walk stopped is decided by those same values, except
 * for a frame whose return address was zero: that one is read again.
 *
 * State: the thread's stack bounds, found once per thread with
 * pthread_getattr_np() and kept in a thread-local; nothing else.
 */
#include "platform/stacktrace.h"

#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define NOINLINE __attribute__((noinline))
#if defined(__clang__) || defined(__GNUC__)
#define NO_SANITIZE_ADDRESS __attribute__((no_sanitize_address))
#else
#define NO_SANITIZE_ADDRESS
#endif

/* Frames the unwinder fallback can look at (skip plus max plus our own). */
#define UNWIND_MAX 160
/*
 * Frames looked at for @first: our own (and an interceptor's) before the
 * caller's, and the allocator's when the walk starts at an entry point's
 * frame.
 */
#define UNWIND_DEEP 32

struct stack_bounds {
	uintptr_t lo;  /* lowest byte of the thread's stack */
	uintptr_t hi;  /* one past its highest byte */
	int state;     /* 0 not looked up, 1 valid, -1 unknown */
};

/* initial-exec: one %fs-relative load, not a __tls_get_addr() call per capture. */
static __thread struct stack_bounds thread_stack __attribute__((tls_model("initial-exec")));

static NOINLINE void stack_bounds_lookup(struct stack_bounds *b)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;

	b->state = -1;
	if (pthread_getattr_np(pthread_self(), &attr))
		return;
	if (!pthread_attr_getstack(&attr, &addr, &size) && size) {
		b->lo = (uintptr_t)addr;
		b->hi = (uintptr_t)addr + size;
		b->state = 1;
	}
	pthread_attr_destroy(&attr);
}

static inline const struct stack_bounds *stack_bounds_get(void)
{
	struct stack_bounds *b = &thread_stack;

	if (__builtin_expect(b->state == 0, 0))
		stack_bounds_lookup(b);
	return b;
}

/*
 * The walk itself from frame @fp, inlined into each exported capture
 * function, which passes its own frame (__builtin_frame_address(0)) so that
 * entry 0 is the return address into its caller.  *@broken tells whether the chain ended on
 * something other than its natural end (a zero frame or return address).
 */
static inline __attribute__((always_inline)) unsigned
fp_walk(uintptr_t fp, uintptr_t *entries, unsigned max, unsigned skip, bool *broken)
{
	const struct stack_bounds *b = stack_bounds_get();
	uintptr_t lo = fp, hi = 0;
	bool on_altstack = false;
	unsigned n = 0;

	*broken = true;
	if (b->state == 1 && fp >= b->lo && fp < b->hi) {
		hi = b->hi;
	} else {
		stack_t ss;

		/* Not on the thread's stack: a signal stack, or one we do not know. */
		if (sigaltstack(NULL, &ss) || !(ss.ss_flags & SS_ONSTACK) ||
		    fp < (uintptr_t)ss.ss_sp || fp >= (uintptr_t)ss.ss_sp + ss.ss_size)
			return 0;
		hi = (uintptr_t)ss.ss_sp + ss.ss_size;
		on_altstack = true;
	}

	while (n < max) {
		const uintptr_t *frame;
		uintptr_t next, ret;

		if (fp & (sizeof(uintptr_t) - 1) || fp < lo || hi - fp < 2 * sizeof(uintptr_t))
			return n;
		frame = (const uintptr_t *)fp;
		next = frame[0];
		ret = frame[1];
		if (!ret)
			break;
		if (skip)
			skip--;
		else
			entries[n++] = ret;
		if (!next)
			break;
		if (next <= fp || next >= hi) {
			/* The signal frame's hop back to the interrupted stack. */
			if (!on_altstack || b->state != 1 || next < b->lo || next >= b->hi)
				return n;
			on_altstack = false;
			lo = b->lo;
			hi = b->hi;
		}
		fp = next;
	}
	*broken = false;
	return n;
}

/*
 * backtrace() from a frame of its own.  The trace starts at @first, the
 * return address into the exported function's caller: finding it by value
 * rather than counting our own frames keeps this right when a sanitizer's
 * backtrace() interceptor adds or hides frames, and when the walk was asked
 * to start several frames up (page_owner's caller stacks start at the entry
 * point's frame, deep hooks below it).  If it is not there, it is taken to
 * be entry @start (this function's frame and the exported one's precede
 * it: 2).
 */
static NOINLINE unsigned unwind_capture(uintptr_t *entries, unsigned max, unsigned skip,
					uintptr_t first, unsigned start)
{
	void *buf[UNWIND_MAX];
	unsigned want, got, n = 0;
	int r;

	if (!max || skip >= UNWIND_MAX - UNWIND_DEEP)
		return 0;
	want = max > UNWIND_MAX - UNWIND_DEEP - skip ? UNWIND_MAX : max + skip + UNWIND_DEEP;
	r = backtrace(buf, (int)want);
	got = r > 0 ? (unsigned)r : 0;
	for (unsigned i = 0; i < got && i < UNWIND_DEEP; i++) {
		if ((uintptr_t)buf[i] == first) {
			start = i;
			break;
		}
	}
	for (unsigned i = start + skip; i < got && n < max; i++)
		entries[n++] = (uintptr_t)buf[i];
	return n;
}

/* Keeps the call before it from becoming a tail call, which would lose a frame. */
#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

static inline __attribute__((always_inline)) unsigned
capture_here(uintptr_t *entries, unsigned max, unsigned skip)
{
	bool broken;
	unsigned n;
	unsigned want_min = max < STACK_FP_MIN_FRAMES ? max : STACK_FP_MIN_FRAMES;

	if (!entries || !max)
		return 0;
	n = fp_walk((uintptr_t)__builtin_frame_address(0), entries, max, skip, &broken);
	if (broken && n < want_min) {
		unsigned m = unwind_capture(entries, max, skip,
					    (uintptr_t)__builtin_return_address(0), 2);

		NO_TAIL_CALL();
		if (m > n)
			n = m;
	}
	return n;
}

NO_SANITIZE_ADDRESS NOINLINE
unsigned pmm_stack_capture_fp(uintptr_t *entries, unsigned max, unsigned skip)
{
	bool broken;

	if (!entries || !max)
		return 0;
	return fp_walk((uintptr_t)__builtin_frame_address(0), entries, max, skip, &broken);
}

NOINLINE unsigned pmm_stack_capture_unwind(uintptr_t *entries, unsigned max, unsigned skip)
{
	unsigned n = unwind_capture(entries, max, skip, (uintptr_t)__builtin_return_address(0), 2);

	NO_TAIL_CALL();
	return n;
}

NO_SANITIZE_ADDRESS NOINLINE
unsigned pmm_stack_capture(uintptr_t *entries, unsigned max, unsigned skip)
{
	unsigned n = capture_here(entries, max, skip);

	NO_TAIL_CALL();
	return n;
}

NO_SANITIZE_ADDRESS NOINLINE
unsigned pmm_posix_stack(void *ctx, uintptr_t *entries, unsigned max, unsigned skip)
{
	unsigned n;

	(void)ctx;
	n = capture_here(entries, max, skip);
	NO_TAIL_CALL();
	return n;
}

/*
 * fp_walk() for a trail: on the thread's stack (from @fp, below @hi), no
 * skip, every frame read and the last link kept in t->fp (see the file
 * comment): fp[i] is frame i's address, which is also the link read from
 * frame i - 1.  t->end is the frame whose zero return address ended the
 * walk, 0 if something else did (@max entries, a zero or bad link).
 */
static inline __attribute__((always_inline)) unsigned
trail_walk(uintptr_t fp, uintptr_t hi, uintptr_t *entries, unsigned max, struct stack_trail *t,
	   bool *broken)
{
	uintptr_t *fps = t->fp;
	unsigned n = 0;

	*broken = true;
	t->end = 0;
	fps[0] = fp;
	while (n < max) {
		const uintptr_t *frame;
		uintptr_t next, ret;

		if (fp & (sizeof(uintptr_t) - 1) || hi - fp < 2 * sizeof(uintptr_t))
			return n;
		frame = (const uintptr_t *)fp;
		next = frame[0];
		ret = frame[1];
		if (!ret) {
			t->end = fp;
			break;
		}
		entries[n++] = ret;
		fps[n] = next;
		if (!next)
			break;
		if (next <= fp || next >= hi)
			return n;
		fp = next;
	}
	*broken = false;
	return n;
}

/*
 * Would trail_walk() from fps[0] give t->entries[0..nr) again?  A recorded
 * frame is read only once the link leading to it is the recorded one; where
 * the recorded walk stopped on a zero return address, that frame must still
 * have one.  Two frames a step: the loop's own cost is half the compares'.
 */
static inline __attribute__((always_inline)) bool trail_same(const struct stack_trail *t)
{
	const uintptr_t *e = t->entries, *link = t->fp + 1;
	const uintptr_t *frame = (const uintptr_t *)t->fp[0];
	unsigned n = t->nr, i = 0;

	if (n & 1) {
		if (frame[1] != e[0] || frame[0] != link[0])
			return false;
		frame = (const uintptr_t *)frame[0];
		i = 1;
	}
	for (; i < n; i += 2) {
		if (frame[1] != e[i] || frame[0] != link[i])
			return false;
		frame = (const uintptr_t *)frame[0];
		if (frame[1] != e[i + 1] || frame[0] != link[i + 1])
			return false;
		frame = (const uintptr_t *)frame[0];
	}
	return !t->end || !((const uintptr_t *)t->end)[1];
}

/* pmm_stack_capture_trail() when the trail does not match: walk, or fall back. */
static NO_SANITIZE_ADDRESS NOINLINE enum stack_trail_result
trail_capture(const void *frame, struct stack_trail *t, uintptr_t *entries, unsigned max,
	      unsigned min, unsigned *nr)
{
	uintptr_t fp = (uintptr_t)frame;
	const struct stack_bounds *b;
	unsigned n, want_min;
	bool broken;

	t->entries = NULL;
	*nr = 0;
	if (!max)
		return STACK_TRAIL_OTHER;
	want_min = max < min ? max : min;
	b = stack_bounds_get();
	if (b->state == 1 && fp >= b->lo && fp < b->hi) {
		n = trail_walk(fp, b->hi, entries, max, t, &broken);
		if (n && !(broken && n < want_min)) {
			t->max = max;
			*nr = n;
			return STACK_TRAIL_NEW;
		}
	} else {
		/* A signal stack (or one we do not know): the general walk. */
		n = fp_walk(fp, entries, max, 0, &broken);
		if (!(broken && n < want_min)) {
			*nr = n;
			return STACK_TRAIL_OTHER;
		}
	}
	/*
	 * The unwinder's trace starts with unwind_capture()'s frame, ours and
	 * pmm_stack_capture_trail()'s; when @frame is our caller's own, the
	 * entry @frame returns to comes next (index 4).  When @frame is one
	 * further up (an entry point's, for page_owner's caller stacks), the
	 * frames of the calls in between come first: unwind_capture() finds
	 * the entry by its value, and 4 is only the guess if it cannot.
	 */
	n = unwind_capture(entries, max, 0, ((const uintptr_t *)frame)[1], 4);
	NO_TAIL_CALL();
	*nr = n;
	return STACK_TRAIL_OTHER;
}

/* The recognised walk is a leaf: no registers to save, no bounds to look up. */
NO_SANITIZE_ADDRESS NOINLINE
bool pmm_stack_trail_same(const void *frame, const struct stack_trail *t, unsigned max)
{
	if (max > STACK_TRAIL_MAX)
		max = STACK_TRAIL_MAX;
	return t->entries && t->fp[0] == (uintptr_t)frame && t->max == max && trail_same(t);
}

NO_SANITIZE_ADDRESS NOINLINE
enum stack_trail_result pmm_stack_capture_trail(const void *frame, struct stack_trail *t,
						uintptr_t *entries, unsigned max, unsigned min,
						unsigned *nr)
{
	enum stack_trail_result r;

	if (max > STACK_TRAIL_MAX)
		max = STACK_TRAIL_MAX;
	if (t->entries && t->fp[0] == (uintptr_t)frame && t->max == max && trail_same(t)) {
		*nr = t->nr;
		return STACK_TRAIL_SAME;
	}
	r = trail_capture(frame, t, entries, max, min, nr);
	NO_TAIL_CALL();
	return r;
}

void pmm_stack_capture_init(void)
{
	void *buf[2];

	/* The first backtrace() dlopen()s libgcc_s; do it while nothing is locked. */
	(void)backtrace(buf, 2);
	(void)stack_bounds_get();
}
