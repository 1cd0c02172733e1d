// SPDX-License-Identifier: MIT
/*
 * A trace back end run in a child process (trace_isolate.h).
 *
 * The child sends one message per call of its parser's `next`, and one for
 * the open before them: a header, then the event (raw, its pointers
 * replaced on arrival), the counters of struct pmm_trace_stats that the
 * call changed as (index, delta) pairs, the event's name and text, and the
 * error message.  Both ends are this same build on this same machine, so
 * the structs go as they are.  The child buffers its messages and writes
 * them a pipe-full at a time; the parent reads the same way, so an event
 * costs two copies and no system call of its own.
 *
 * Invariants (parent): `ended` once the child's final message (end of
 * events, or a sticky error) came; `pid` is 0 once reaped.  Locking: none;
 * one thread per parser, as for every parser.
 */
#include "report/trace_isolate.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pmm/errno.h>

#define ISO_BUF (256 * 1024)
#define ISO_PIPE (1024 * 1024) /* Linux's pipe-max-size default: fewer wakeups */
#define ISO_STATS (sizeof(struct pmm_trace_stats) / sizeof(uint64_t))
#define ISO_STOP_SIGNAL SIGUSR1 /* parent to a stalled child: send what you have and die */
#define ISO_STOP_MS 5000        /* then how long the parent waits for that (at most) before SIGKILL */

static_assert(sizeof(struct pmm_trace_stats) % sizeof(uint64_t) == 0,
	      "the counters are 64-bit words, sent as (index, delta) pairs");

enum {
	ISO_OPEN = 1,   /* the open's result; r is 0 or its error */
	ISO_EVENT = 2,  /* an event follows (r == 1) */
	ISO_FINAL = 4,  /* no message follows: end of events, or a sticky error */
	ISO_NAME = 8,   /* the event's name is not NULL (it may be empty) */
	ISO_TEXT = 16,  /* nor is its text */
};

struct iso_msg {
	int32_t r;         /* what open or next returned */
	uint32_t flags;    /* ISO_* */
	uint32_t nstat;    /* (index, delta) pairs that follow */
	uint32_t name_len; /* then the name, the text and the error, unterminated */
	uint32_t text_len;
	uint32_t err_len;
	int32_t kver;      /* the parser's, for the open's message (a trace.dat's UNAME sets it) */
	uint32_t pad;
};

struct iso_stat {
	uint32_t idx;
	uint32_t pad;
	uint64_t delta;
};

/* The parent's end. */
struct iso {
	int fd;
	pid_t pid;
	bool ended;
	bool stalled;                    /* sent nothing for iso_stall_ms: told to stop */
	const char *who;
	char *path;                      /* for the messages of a failure after the open */
	uint64_t events;                 /* events received */
	int32_t last_cpu;
	uint64_t last_ts;
	unsigned char *buf;              /* received, not yet taken: [pos, len) */
	size_t pos, len;
	char *str;                       /* the last event's name and text */
	size_t str_cap;
};

/* ------------------------------------------------------------ the child */

struct iso_out {
	int fd;
	size_t len;
	unsigned char buf[ISO_BUF];
};

static void out_flush(struct iso_out *o)
{
	size_t off = 0;

	while (off < o->len) {
		ssize_t n = write(o->fd, o->buf + off, o->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1); /* the parent closed its end: nobody to tell */
		off += (size_t)n;
	}
	o->len = 0;
}

static void out_put(struct iso_out *o, const void *data, size_t n)
{
	const unsigned char *s = data;

	while (n) {
		size_t k;

		if (o->len == sizeof(o->buf))
			out_flush(o);
		k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

/* One message: the result @r of open or next, what it changed since @st0. */
static void out_msg(struct iso_out *o, struct pmm_trace_parser *p, int r, uint32_t flags,
		    const struct pmm_trace_event *ev, const struct pmm_trace_stats *st0)
{
	const uint64_t *a = (const uint64_t *)st0, *b = (const uint64_t *)&p->st;
	struct iso_msg m = { .r = r, .flags = flags, .kver = (int32_t)p->kver };

	for (size_t i = 0; i < ISO_STATS; i++)
		m.nstat += a[i] != b[i];
	if (ev) {
		m.flags |= ISO_EVENT;
		m.flags |= (ev->name ? ISO_NAME : 0) | (ev->text ? ISO_TEXT : 0);
		m.name_len = ev->name ? (uint32_t)ev->name_len : 0;
		m.text_len = ev->text ? (uint32_t)ev->text_len : 0;
	}
	m.err_len = (uint32_t)strnlen(p->errmsg, sizeof(p->errmsg));
	out_put(o, &m, sizeof(m));
	if (ev)
		out_put(o, ev, sizeof(*ev));
	for (size_t i = 0; i < ISO_STATS; i++) {
		if (a[i] != b[i]) {
			struct iso_stat s = { .idx = (uint32_t)i, .delta = b[i] - a[i] };

			out_put(o, &s, sizeof(s));
		}
	}
	out_put(o, ev ? ev->name : NULL, m.name_len);
	out_put(o, ev ? ev->text : NULL, m.text_len);
	out_put(o, p->errmsg, m.err_len);
}

/* The child's messages: static, so that its crash handler can send what is buffered. */
static struct iso_out iso_out;

/*
 * A crash in the child, or the parent's stop (ISO_STOP_SIGNAL): send the
 * messages buffered so far, so that the caller gets every event before the
 * one that crashed or hung, then die of the signal (the handler was reset
 * on entry).  Only write() and raise().
 */
static void child_crash(int sig)
{
	out_flush(&iso_out);
	raise(sig);
}

static _Noreturn void child_main(struct pmm_trace_parser *p, const char *path,
				 trace_isolate_open_fn open_fn, int fd)
{
	/* SIGUSR1: the parent's word that we sent nothing for too long (iso_wait()) */
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, ISO_STOP_SIGNAL };
	static char altstack[64 * 1024]; /* the handler runs even on a blown stack */
	struct iso_out *o = &iso_out;
	struct sigaction sa = { .sa_handler = child_crash,
				.sa_flags = SA_RESETHAND | SA_NODEFER | SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct pmm_trace_stats st0;
	struct pmm_trace_event ev;
	int null = open("/dev/null", O_WRONLY);
	int r;

	/* None of the caller's handlers runs its crash work here; the parent closing its end ends us. */
	sigset_t unblock;

	sigaltstack(&ss, NULL);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&unblock);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		sigaction(fatal[i], &sa, NULL);
		sigaddset(&unblock, fatal[i]);
	}
	/* the forking thread's mask is ours: it may block them */
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	o->fd = fd;
	o->len = 0;
	st0 = p->st;
	r = open_fn(p, path, p->errmsg, sizeof(p->errmsg));
	out_msg(o, p, r, ISO_OPEN | (r ? ISO_FINAL : 0), NULL, &st0);
	while (r == 0) {
		st0 = p->st;
		p->errmsg[0] = '\0';
		r = p->next(p, &ev);
		if (r == 0 || (r < 0 && p->sticky)) {
			out_msg(o, p, r, ISO_FINAL, NULL, &st0);
			break;
		}
		out_msg(o, p, r, 0, r == 1 ? &ev : NULL, &st0);
		r = 0;
	}
	out_flush(o);
	_exit(0);
}

/* ----------------------------------------------------------- the parent */

/* iso_recv()'s returns beside the child's own r (1, 0 or a negative errno). */
#define ISO_DEAD 2    /* end of file: the child is gone */
#define ISO_BROKEN 3  /* a message this build's child does not send, or no memory for it */
#define ISO_STALLED 4 /* the child sent nothing for iso_stall_ms */

static unsigned iso_stall_ms = TRACE_ISOLATE_STALL_MS;

void trace_isolate_set_stall_ms(unsigned ms)
{
	iso_stall_ms = ms ? ms : TRACE_ISOLATE_STALL_MS;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until the child's end of the pipe has something (data or its
 * close).  A child that sends nothing for iso_stall_ms is stuck in a loop
 * of the library, which would otherwise hang the caller: it is told to
 * stop (ISO_STOP_SIGNAL), which makes it send the events it holds and die,
 * and the wait goes on for those.  Return: 0, or ISO_STALLED when not
 * even that came within ISO_STOP_MS (or iso_stall_ms, if shorter).
 */
static int iso_wait(struct iso *s)
{
	unsigned stop_ms = iso_stall_ms < ISO_STOP_MS ? iso_stall_ms : ISO_STOP_MS;
	int64_t deadline = mono_ms() + (s->stalled ? stop_ms : iso_stall_ms);

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		int r;

		if (left <= 0) {
			if (s->stalled)
				return ISO_STALLED; /* not even the stop got through */
			/* the child sends its buffered events and dies: read those first */
			s->stalled = true;
			if (s->pid > 0) /* never 0: that would signal our whole process group */
				kill(s->pid, ISO_STOP_SIGNAL);
			deadline = mono_ms() + stop_ms;
			continue;
		}
		r = poll(&pfd, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0; /* let read() report it */
	}
}

/*
 * Fill the buffer so that it holds at least @n bytes.  Return: 0,
 * ISO_DEAD at end of file, or ISO_STALLED (iso_wait()).
 */
static int iso_fill(struct iso *s, size_t n)
{
	if (s->len - s->pos >= n)
		return 0;
	memmove(s->buf, s->buf + s->pos, s->len - s->pos);
	s->len -= s->pos;
	s->pos = 0;
	while (s->len < n) {
		ssize_t k;

		if (iso_wait(s))
			return ISO_STALLED;
		k = read(s->fd, s->buf + s->len, ISO_BUF - s->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return ISO_DEAD;
		s->len += (size_t)k;
	}
	return 0;
}

/* Take @n bytes (any size) into @dst.  Return: 0, or as iso_fill() when it fails. */
static int iso_take(struct iso *s, void *dst, size_t n)
{
	unsigned char *d = dst;

	while (n) {
		size_t k = n < ISO_BUF ? n : ISO_BUF;
		int r = iso_fill(s, k);

		if (r)
			return r;
		memcpy(d, s->buf + s->pos, k);
		d += k;
		s->pos += k;
		n -= k;
	}
	return 0;
}

/* Reap the child, killing it first if @kill_it.  Return: its wait status, or -1. */
static int iso_reap(struct iso *s, bool kill_it)
{
	int st = -1;

	if (s->pid <= 0)
		return -1;
	if (kill_it)
		kill(s->pid, SIGKILL);
	while (waitpid(s->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			st = -1; /* ECHILD: the caller reaps children itself (SIGCHLD ignored) */
			break;
		}
	}
	s->pid = 0;
	return st;
}

/* How the child ended, for a message: "Segmentation fault", "exit status 1". */
static void iso_death(struct iso *s, char *buf, size_t len)
{
	int st;

	close(s->fd);
	s->fd = -1;
	st = iso_reap(s, false);
	if (st == -1)
		snprintf(buf, len, "status unknown");
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "%s", strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
}


/* Bounds of a message from a sound child: its text is one record's rendering. */
#define ISO_MAX_NAME 4096u
#define ISO_MAX_TEXT (64u << 20)

/* The child's message into @ev (if an event) and @p.  Return: its r, ISO_DEAD, ISO_BROKEN or ISO_STALLED. */
static int iso_recv(struct pmm_trace_parser *p, struct iso *s, struct pmm_trace_event *ev,
		    uint32_t *flags)
{
	struct iso_msg m;
	struct iso_stat st;
	uint64_t *words = (uint64_t *)&p->st;
	size_t need;
	int t;

	if ((t = iso_take(s, &m, sizeof(m))))
		return t;
	*flags = m.flags;
	/* the child's memory may have been damaged before it sent this: nothing is trusted */
	if ((m.flags & ISO_EVENT ? m.r != 1 : m.r > 0) || m.nstat > ISO_STATS ||
	    m.name_len > ISO_MAX_NAME || m.text_len > ISO_MAX_TEXT || m.err_len >= sizeof(p->errmsg) ||
	    m.kver < PMM_KVER_6_1 || m.kver > PMM_KVER_6_12)
		return ISO_BROKEN;
	if (m.flags & ISO_OPEN)
		p->kver = (enum pmm_kver)m.kver;
	if (m.flags & ISO_EVENT) {
		if ((t = iso_take(s, ev, sizeof(*ev))))
			return t;
		if (ev->kind >= PMM_TRACE_NR_KINDS)
			return ISO_BROKEN;
	}
	for (uint32_t i = 0; i < m.nstat; i++) {
		if ((t = iso_take(s, &st, sizeof(st))))
			return t;
		if (st.idx >= ISO_STATS)
			return ISO_BROKEN;
		words[st.idx] += st.delta;
	}
	need = (size_t)m.name_len + m.text_len + 2;
	if (need > s->str_cap) {
		char *n = realloc(s->str, need);

		if (!n)
			return ISO_BROKEN;
		s->str = n;
		s->str_cap = need;
	}
	if ((t = iso_take(s, s->str, m.name_len)) ||
	    (t = iso_take(s, s->str + m.name_len + 1, m.text_len)))
		return t;
	s->str[m.name_len] = '\0';
	s->str[m.name_len + 1 + m.text_len] = '\0';
	if ((t = iso_take(s, p->errmsg, m.err_len)))
		return t;
	p->errmsg[m.err_len] = '\0';
	if (m.flags & ISO_EVENT) {
		ev->name = m.flags & ISO_NAME ? s->str : NULL;
		ev->name_len = m.name_len;
		ev->text = m.flags & ISO_TEXT ? s->str + m.name_len + 1 : NULL;
		ev->text_len = m.text_len;
		s->events++;
		s->last_cpu = ev->cpu;
		s->last_ts = ev->ts_ns;
	}
	return m.r;
}

/*
 * Why reading stopped: the child died (ISO_DEAD), sent what it could not
 * have (ISO_BROKEN) or nothing at all for too long (ISO_STALLED).
 */
static void iso_failed(struct iso *s, int how_r, bool opening, char *buf, size_t len)
{
	const char *what = how_r == ISO_BROKEN ? "failed" : s->stalled ? "stalled" : "crashed";
	char how[64];

	if (how_r == ISO_BROKEN || how_r == ISO_STALLED) {
		close(s->fd);
		s->fd = -1;
		iso_reap(s, true);
	} else {
		iso_death(s, how, sizeof(how));
	}
	if (how_r == ISO_BROKEN)
		snprintf(how, sizeof(how), "a damaged message, or no memory for it");
	else if (s->stalled)
		snprintf(how, sizeof(how), "nothing came for %u.%03u s; stopped", iso_stall_ms / 1000,
			 iso_stall_ms % 1000);
	s->ended = true;
	if (opening)
		snprintf(buf, len, "%s %s reading its headers (%s): a damaged file", s->who, what, how);
	else if (s->events)
		snprintf(buf, len,
			 "%s: %s %s after event %llu (cpu %d, %llu ns) (%s): a damaged file; the rest is not read",
			 s->path ? s->path : "trace", s->who, what, (unsigned long long)s->events,
			 s->last_cpu, (unsigned long long)s->last_ts, how);
	else
		snprintf(buf, len, "%s: %s %s before the first event (%s): a damaged file",
			 s->path ? s->path : "trace", s->who, what, how);
}

static int iso_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev)
{
	struct iso *s = p->dat;
	uint32_t flags = 0;
	int r;

	if (s->ended)
		return 0;
	r = iso_recv(p, s, ev, &flags);
	if (r == ISO_DEAD || r == ISO_BROKEN || r == ISO_STALLED) {
		iso_failed(s, r, false, p->errmsg, sizeof(p->errmsg));
		p->st.errors++;
		p->sticky = -PMM_EBADMSG;
		return -PMM_EBADMSG;
	}
	if (flags & ISO_FINAL) {
		s->ended = true;
		if (r < 0)
			p->sticky = r;
	}
	return r;
}

static void iso_close(struct pmm_trace_parser *p)
{
	struct iso *s = p->dat;

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	iso_reap(s, !s->ended);
	free(s->buf);
	free(s->str);
	free(s->path);
	free(s);
	p->dat = NULL;
}

int trace_open_isolated(struct pmm_trace_parser *p, const char *path, trace_isolate_open_fn open_fn,
			const char *who, char *why, size_t whylen)
{
	struct pmm_trace_event ev;
	struct iso *s = calloc(1, sizeof(*s));
	uint32_t flags = 0;
	int fds[2], r;

	if (s)
		s->buf = malloc(ISO_BUF);
	if (!s || !s->buf || pipe2(fds, O_CLOEXEC) < 0) {
		if (s)
			free(s->buf);
		free(s);
		return TRACE_ISOLATE_NO_CHILD;
	}
	fflush(NULL); /* nothing buffered twice */
	s->pid = fork();
	if (s->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(s->buf);
		free(s);
		return TRACE_ISOLATE_NO_CHILD;
	}
	if (s->pid == 0) {
		close(fds[0]);
		child_main(p, path, open_fn, fds[1]);
	}
	close(fds[1]);
#ifdef F_SETPIPE_SZ
	fcntl(fds[0], F_SETPIPE_SZ, ISO_PIPE); /* a hint: the default size works too */
#endif
	s->fd = fds[0];
	s->who = who;
	s->path = strdup(path); /* NULL: the messages say "trace" */
	s->last_cpu = -1;
	p->dat = s;
	p->next = iso_next;
	p->close = iso_close;
	r = iso_recv(p, s, &ev, &flags);
	if (r == ISO_DEAD || r == ISO_BROKEN || r == ISO_STALLED) {
		iso_failed(s, r, true, why, whylen);
		return -PMM_EBADMSG;
	}
	if (r < 0 || !(flags & ISO_OPEN)) {
		/* the child's reason, without the parser's own message left behind */
		snprintf(why, whylen, "%s", r < 0 ? p->errmsg : "the reader process sent no result");
		p->errmsg[0] = '\0';
		s->ended = true;
		return r < 0 ? r : -PMM_EBADMSG;
	}
	p->errmsg[0] = '\0';
	return 0;
}
