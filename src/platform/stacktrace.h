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
 */
#ifndef PMM_PLATFORM_STACKTRACE_H
#define PMM_PLATFORM_STACKTRACE_H

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

/*
 * pmm_stack_capture_init() - load what the unwinder needs (libgcc_s) now, so
 * that the first fallback does not allocate or open files in the middle of
 * an allocation.  Idempotent; call at platform setup.
 */
void pmm_stack_capture_init(void);

#endif
