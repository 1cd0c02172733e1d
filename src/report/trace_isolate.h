/* SPDX-License-Identifier: MIT */
/*
 * Reading a trace in a child process: the child opens the file with a
 * back end's own open function and runs its `next`, and sends each result
 * (event, error, counts) down a pipe; the caller's parser reads them back.
 * A back end built on a library that trusts its input (libtracecmd and
 * libtraceevent for trace.dat) can then crash on a damaged file without
 * taking the caller's process down: the caller gets -PMM_EBADMSG and a
 * reason instead.
 */
#ifndef PMM_REPORT_TRACE_ISOLATE_H
#define PMM_REPORT_TRACE_ISOLATE_H

#include <stddef.h>

#include "report/trace_internal.h"

/*
 * Open @path on parser @p (as trace_parser_alloc() made it): set p->next,
 * p->close and the back end's state.  Return: 0, or a negative pmm errno
 * with the reason in @why.
 */
typedef int (*trace_isolate_open_fn)(struct pmm_trace_parser *p, const char *path, char *why,
				     size_t whylen);

/*
 * How long the caller waits for the child to send anything before taking
 * it to be stuck (a library looping on a damaged file): 60 s, where a
 * sound child sends a pipe-full of events every few milliseconds.
 */
#define TRACE_ISOLATE_STALL_MS 60000

/* trace_isolate_set_stall_ms() - that wait, for tests; 0 restores the default. */
void trace_isolate_set_stall_ms(unsigned ms);

/* trace_open_isolated()'s return when it could not start a child. */
#define TRACE_ISOLATE_NO_CHILD 1

/**
 * trace_open_isolated() - open @path with @open in a child process.
 * @p: a parser from trace_parser_alloc(), not yet opened.
 * @who: the library named when the child dies ("libtraceevent").
 *
 * Forks.  The child runs @open, then @p's `next` until it returns 0 or a
 * sticky error, and leaves by _exit() (no atexit handler runs); it has
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT and SIGPIPE at their defaults
 * and its standard output and error on /dev/null.  The caller's @p then
 * returns the child's events, errors and counts exactly as @open's parser
 * would have, with name and text valid until the next call.  If the child
 * dies, or sends nothing for TRACE_ISOLATE_STALL_MS (it is then killed),
 * @p's next call returns -PMM_EBADMSG (sticky) naming @who, the signal or
 * the stall, and the last event that came through.  Closing @p kills a
 * child that has not finished and reaps it.
 *
 * Return: 0 (@p reads from the child); a negative pmm errno from @open,
 * or -PMM_EBADMSG if the child died or stalled opening, with the reason in @why;
 * TRACE_ISOLATE_NO_CHILD if no pipe or child could be had (@p unchanged:
 * the caller may run @open itself).
 *
 * Context: may block (it waits for @open's result); not async-signal-safe.
 * In a multithreaded caller the child is a copy of this thread alone, so
 * @open must not need a lock another thread may hold: libtracecmd and
 * libtraceevent take none, and glibc's fork() makes malloc safe there.
 */
int trace_open_isolated(struct pmm_trace_parser *p, const char *path, trace_isolate_open_fn open,
			const char *who, char *why, size_t whylen);

#endif
