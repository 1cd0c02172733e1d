// SPDX-License-Identifier: MIT
/*
 * A trace back end run in a child process (src/report/trace_isolate.c):
 * what the caller reads equals what the back end returns in-process (events
 * with their name and text, errors with their message, every counter), for
 * a scripted back end and for trace.dat files; a back end that crashes,
 * while opening or after some events, ends in -PMM_EBADMSG naming the
 * signal and the last event, and the caller's process goes on; closing
 * early kills the child; no child is left behind, not even a zombie.
 */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/trace.h>

#include "report/trace_isolate.h"

/* ------------------------------------------------ a scripted back end */

enum script {
	S_PLAIN, S_CRASH_OPEN, S_REFUSE_OPEN, S_CRASH_AT, S_ENDLESS, S_STICKY, S_BAD_KIND,
	S_HANG_OPEN, S_HANG_AT, S_HANG_DEAF, /* a library stuck in a loop; DEAF ignores the stop */
};

/* Stuck for good, as a library looping on a damaged file. */
static _Noreturn void hang(bool deaf)
{
	if (deaf)
		signal(SIGUSR1, SIG_IGN);
	for (;;)
		pause();
}

static enum script script;
static unsigned crash_at; /* S_CRASH_AT: the call that crashes */
static const char *script_path;

struct fake {
	unsigned calls;
	char text[300 * 1024]; /* more than one pipe buffer */
	char name[32];
};

static int fake_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev)
{
	struct fake *f = p->dat;
	unsigned i = f->calls++;

	if (script == S_CRASH_AT && i == crash_at)
		raise(SIGSEGV);
	if ((script == S_HANG_AT || script == S_HANG_DEAF) && i == crash_at)
		hang(script == S_HANG_DEAF);
	if (script == S_STICKY && i == 5) {
		snprintf(p->errmsg, sizeof(p->errmsg), "%s: read error", script_path);
		p->sticky = -PMM_EIO;
		return -PMM_EIO;
	}
	if (script != S_ENDLESS && i >= 40)
		return 0;
	p->st.lines++;
	if (i % 7 == 3) {
		/* a bad line, skipped: the caller may go on */
		p->st.errors++;
		snprintf(p->errmsg, sizeof(p->errmsg), "%s:%u: bad line %u", script_path, i + 1, i);
		return -PMM_EBADMSG;
	}
	memset(ev, 0, sizeof(*ev));
	ev->kind = (uint8_t)(i % 2 ? PMM_TRACE_MM_PAGE_FREE : PMM_TRACE_OTHER);
	ev->ts_ns = 1000ull * i + 7;
	ev->pfn = 0x1000 + i;
	ev->order = (int32_t)(i % 4);
	ev->cpu = (int32_t)(i % 3);
	ev->pid = 100 + (int32_t)i;
	ev->tgid = -1;
	snprintf(ev->comm, sizeof(ev->comm), "task-%u", i);
	snprintf(f->name, sizeof(f->name), "event_%u", i);
	ev->name = f->name;
	ev->name_len = strlen(f->name);
	if (ev->kind == PMM_TRACE_OTHER) {
		/* lengths 0, 1, ... and one far longer than the child's buffer */
		size_t n = i == 12 ? sizeof(f->text) - 1 : i * 3;

		memset(f->text, 'a' + (int)(i % 26), n);
		f->text[n] = '\0';
		ev->text = f->text;
		ev->text_len = n;
	}
	p->st.events[ev->kind]++;
	p->st.bytes += 100 + i;
	if (script == S_BAD_KIND && i == 8) {
		/* what a child whose memory was trampled might send */
		p->st.events[ev->kind]--;
		ev->kind = 200;
	}
	return 1;
}

static void fake_close(struct pmm_trace_parser *p)
{
	free(p->dat);
}

static int fake_open(struct pmm_trace_parser *p, const char *path, char *why, size_t whylen)
{
	if (script == S_CRASH_OPEN)
		raise(SIGBUS);
	if (script == S_HANG_OPEN)
		hang(false);
	if (script == S_REFUSE_OPEN) {
		snprintf(why, whylen, "not a file this back end reads");
		return -PMM_EBADMSG;
	}
	script_path = path;
	p->dat = calloc(1, sizeof(struct fake));
	if (!p->dat)
		return -PMM_ENOMEM;
	p->next = fake_next;
	p->close = fake_close;
	p->st.comments = 2;
	return 0;
}

/* No child left, running or zombie. */
static void assert_no_child(void)
{
	int st;

	errno = 0;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static struct pmm_trace_parser *open_isolated(const char *path, int want)
{
	struct pmm_trace_parser *p = trace_parser_alloc(NULL);
	char why[200] = "";
	int r;

	assert_non_null(p);
	r = trace_open_isolated(p, path, fake_open, "fakelib", why, sizeof(why));
	if (r == TRACE_ISOLATE_NO_CHILD)
		fail_msg("no child process could be started");
	if (r != want)
		fail_msg("open: %d (%s), want %d", r, why, want);
	if (want == -PMM_EBADMSG && script == S_CRASH_OPEN)
		assert_non_null(strstr(why, "fakelib crashed reading its headers (Bus error)"));
	if (want == -PMM_EBADMSG && script == S_HANG_OPEN)
		assert_string_equal(why, "fakelib stalled reading its headers (nothing came for 1.000 s; "
					 "stopped): a damaged file");
	if (want == -PMM_EBADMSG && script == S_REFUSE_OPEN)
		assert_string_equal(why, "not a file this back end reads");
	return p;
}

/* Every call's result, event and counters alike in the child and in-process. */
static void compare_streams(struct pmm_trace_parser *iso, struct pmm_trace_parser *inp,
			    unsigned max_calls)
{
	struct pmm_trace_event a, b;
	struct pmm_trace_stats sa, sb;

	for (unsigned i = 0; i < max_calls; i++) {
		int ra = pmm_trace_next(iso, &a), rb = pmm_trace_next(inp, &b);

		assert_int_equal(ra, rb);
		assert_string_equal(pmm_trace_errmsg(iso), pmm_trace_errmsg(inp));
		pmm_trace_get_stats(iso, &sa);
		pmm_trace_get_stats(inp, &sb);
		assert_memory_equal(&sa, &sb, sizeof(sa));
		if (ra == 1) {
			assert_int_equal(a.kind, b.kind);
			assert_int_equal(a.ts_ns, b.ts_ns);
			assert_int_equal(a.pfn, b.pfn);
			assert_int_equal(a.page, b.page);
			assert_int_equal(a.lost, b.lost);
			assert_int_equal(a.gfp, b.gfp);
			assert_int_equal(a.order, b.order);
			assert_int_equal(a.migratetype, b.migratetype);
			assert_int_equal(a.cpu, b.cpu);
			assert_int_equal(a.pid, b.pid);
			assert_int_equal(a.tgid, b.tgid);
			assert_int_equal(a.pageblock_order, b.pageblock_order);
			assert_int_equal(a.page_fmt, b.page_fmt);
			assert_int_equal(a.style, b.style);
			assert_string_equal(a.comm, b.comm);
			assert_int_equal(a.name_len, b.name_len);
			assert_memory_equal(a.name, b.name, a.name_len);
			assert_int_equal(a.text_len, b.text_len);
			assert_true((a.text == NULL) == (b.text == NULL));
			if (a.text)
				assert_memory_equal(a.text, b.text, a.text_len);
		}
		if (ra == 0)
			return;
	}
}

static void test_same_as_in_process(void **state)
{
	struct pmm_trace_parser *iso, *inp = trace_parser_alloc(NULL);
	char why[200];

	(void)state;
	script = S_PLAIN;
	iso = open_isolated("script.txt", 0);
	assert_int_equal(fake_open(inp, "script.txt", why, sizeof(why)), 0);
	compare_streams(iso, inp, 100);
	/* after the end: 0 again, and the child has been reaped or is on its way */
	assert_int_equal(pmm_trace_next(iso, &(struct pmm_trace_event){ 0 }), 0);
	pmm_trace_close(iso);
	pmm_trace_close(inp);
	assert_no_child();
}

static void test_sticky_error_forwarded(void **state)
{
	struct pmm_trace_parser *iso, *inp = trace_parser_alloc(NULL);
	struct pmm_trace_event ev;
	char why[200];

	(void)state;
	script = S_STICKY;
	iso = open_isolated("sticky.txt", 0);
	assert_int_equal(fake_open(inp, "sticky.txt", why, sizeof(why)), 0);
	compare_streams(iso, inp, 6);
	/* the sixth call failed for good: both say so again */
	assert_int_equal(pmm_trace_next(iso, &ev), -PMM_EIO);
	assert_int_equal(pmm_trace_next(inp, &ev), -PMM_EIO);
	pmm_trace_close(iso);
	pmm_trace_close(inp);
	assert_no_child();
}

static void test_open_crash_and_refusal(void **state)
{
	struct pmm_trace_parser *p;

	(void)state;
	script = S_CRASH_OPEN;
	p = open_isolated("crash.txt", -PMM_EBADMSG);
	pmm_trace_close(p);
	assert_no_child();
	script = S_REFUSE_OPEN;
	p = open_isolated("refuse.txt", -PMM_EBADMSG);
	pmm_trace_close(p);
	assert_no_child();
}

/*
 * Read until the error that ends the reading (the scripted back end's own
 * "bad line" errors are skipped): the events before it, and the last one's
 * call number (its ts_ns / 1000).
 */
static unsigned read_to_failure(struct pmm_trace_parser *p, unsigned *last)
{
	struct pmm_trace_event ev;
	unsigned events = 0;
	int r;

	while ((r = pmm_trace_next(p, &ev)) != -PMM_EBADMSG || strstr(pmm_trace_errmsg(p), "bad line")) {
		assert_int_not_equal(r, 0);
		if (r == 1) {
			events++;
			*last = (unsigned)(ev.ts_ns / 1000);
		}
	}
	/* sticky: the same error again, and no more events */
	assert_int_equal(pmm_trace_next(p, &ev), -PMM_EBADMSG);
	return events;
}

static void test_crash_midway(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_stats st;
	unsigned events, last = 0;
	char want[160];

	(void)state;
	script = S_CRASH_AT;
	crash_at = 20;
	p = open_isolated("crash.txt", 0);
	events = read_to_failure(p, &last);
	/* calls 0..19, less the bad lines 3, 10, 17 */
	assert_int_equal(events, 17);
	snprintf(want, sizeof(want),
		 "crash.txt: fakelib crashed after event 17 (cpu %u, %u ns) (Segmentation fault): a damaged file; the rest is not read",
		 last % 3, last * 1000 + 7);
	assert_string_equal(pmm_trace_errmsg(p), want);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.errors, 3 + 1);
	pmm_trace_close(p);
	assert_no_child();
}

/*
 * A caller that ignores SIGCHLD (its children are reaped by the kernel)
 * still reads to the crash and gets the events before it; only the signal
 * is unknown, as pmm_trace_open_dat()'s header says.
 */
static void test_crash_with_sigchld_ignored(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct pmm_trace_parser *p;
	unsigned last = 0;

	(void)state;
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	script = S_CRASH_AT;
	crash_at = 20;
	p = open_isolated("crash.txt", 0);
	assert_int_equal(read_to_failure(p, &last), 17);
	assert_non_null(strstr(pmm_trace_errmsg(p), "fakelib crashed after event 17"));
	assert_non_null(strstr(pmm_trace_errmsg(p), "(status unknown)"));
	pmm_trace_close(p);
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
	assert_no_child();
}

/*
 * A child that sends nothing for the stall time is stopped: it first sends
 * the events it holds, then the reading ends naming the stall.  One that
 * does not stop is killed after as long again; its held events are lost,
 * but the caller does not hang.  Opening stalls alike.  The caller's
 * thread may block the stop signal: the child unblocks it.
 */
static void test_stall(void **state)
{
	struct pmm_trace_parser *p;
	sigset_t usr1, old;
	unsigned last = 0;
	char want[200];

	(void)state;
	trace_isolate_set_stall_ms(1000); /* long enough for a loaded host to reach the hang */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
	script = S_HANG_AT;
	crash_at = 20;
	p = open_isolated("hang.txt", 0);
	assert_int_equal(read_to_failure(p, &last), 17);
	snprintf(want, sizeof(want),
		 "hang.txt: fakelib stalled after event 17 (cpu %u, %u ns) (nothing came for 1.000 s; "
		 "stopped): a damaged file; the rest is not read",
		 last % 3, last * 1000 + 7);
	assert_string_equal(pmm_trace_errmsg(p), want);
	pmm_trace_close(p);
	assert_no_child();
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);

	/* only what the child wrote out before it hung: call 12's text filled its buffer */
	script = S_HANG_DEAF;
	p = open_isolated("deaf.txt", 0);
	assert_int_equal(read_to_failure(p, &last), 10);
	snprintf(want, sizeof(want),
		 "deaf.txt: fakelib stalled after event 10 (cpu %u, %u ns) (nothing came for 1.000 s; "
		 "stopped): a damaged file; the rest is not read",
		 last % 3, last * 1000 + 7);
	assert_string_equal(pmm_trace_errmsg(p), want);
	pmm_trace_close(p);
	assert_no_child();

	script = S_HANG_OPEN;
	p = open_isolated("hang.txt", -PMM_EBADMSG);
	pmm_trace_close(p);
	assert_no_child();
	trace_isolate_set_stall_ms(0);
}

/* A message no sound child sends ends the reading, and the child with it. */
static void test_damaged_message(void **state)
{
	struct pmm_trace_parser *p;
	unsigned last = 0;

	(void)state;
	script = S_BAD_KIND;
	p = open_isolated("bad.txt", 0);
	assert_int_equal(read_to_failure(p, &last), 7); /* calls 0-7 less the bad line 3 */
	assert_non_null(strstr(pmm_trace_errmsg(p), "bad.txt: fakelib failed after event 7 (cpu 1, 7007 ns) (a damaged message, or no memory for it)"));
	pmm_trace_close(p);
	assert_no_child();
}

static void test_close_early_kills(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;

	(void)state;
	script = S_ENDLESS;
	p = open_isolated("endless.txt", 0);
	for (int i = 0; i < 1000; i++)
		assert_int_not_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p); /* the child never ends by itself */
	assert_no_child();
}

/* -------------------------------------------------- trace.dat files */

/*
 * The damaged trace.dat files of test_trace_dat_errors read the same in
 * the child as in-process: the checks' messages come through, and so do
 * the events before and after a bad record.
 */
static void test_dat_same_as_in_process(void **state)
{
	static const char *const files[] = { "v7-page-loop.dat", "v7-commit.dat", "div-field.dat" };
	unsigned compared = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char rel[128], why[200], msg[300] = "";
		struct pmm_trace_opts opts = { .errbuf = msg, .errbuf_size = sizeof(msg) };
		struct pmm_trace_parser *iso, *inp;
		char *path;
		int r;

		snprintf(rel, sizeof(rel), "tests/unit/data/trace_dat/%s", files[i]);
		path = pmm_test_source_path(rel);
		r = pmm_trace_open_dat(&iso, path, &opts);
		if (r == -PMM_ENOSYS) {
			printf("SKIP: pmm built without libtracecmd\n");
			free(path);
			skip();
			return;
		}
		inp = trace_parser_alloc(&opts);
		assert_non_null(inp);
		assert_int_equal(trace_dat_open_inproc(inp, path, why, sizeof(why)), r);
		if (r == 0) {
			compare_streams(iso, inp, 1u << 30);
			compared++;
			pmm_trace_close(iso);
		} else {
			char full[300];

			snprintf(full, sizeof(full), "%s: %s", path, why);
			assert_string_equal(msg, full);
		}
		pmm_trace_close(inp);
		assert_no_child();
		free(path);
	}
	assert_true(compared > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_in_process),
		cmocka_unit_test(test_sticky_error_forwarded),
		cmocka_unit_test(test_open_crash_and_refusal),
		cmocka_unit_test(test_crash_midway),
		cmocka_unit_test(test_crash_with_sigchld_ignored),
		cmocka_unit_test(test_damaged_message),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_close_early_kills),
		cmocka_unit_test(test_dat_same_as_in_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
