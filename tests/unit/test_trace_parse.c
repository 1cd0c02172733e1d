// SPDX-License-Identifier: MIT
/*
 * kmem trace text: the whole real 6.1 capture and the trace-cmd report parse
 * with no error and the counts of an independent count; every event prints
 * back to its original line; malformed input gives "file:line: reason" and
 * parsing goes on; every input source (file, xz, gzip, stdin, memory) works.
 */
#include "harness.h"

#include <unistd.h>
#include <zstd.h>

#include <pmm/errno.h>
#include <pmm/trace.h>

#include "lib/linereader.h"

/*
 * Search within one line.  The texts are 100 MB: strstr over the rest of
 * the buffer is quadratic under ASan (its interceptor measures the whole
 * haystack on every call), so the tests walk lines and search inside each.
 */
static const char *line_find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

/* The line at @p: its length; *@next is the following line or NULL. */
static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*next = nl ? nl + 1 : NULL;
	return (size_t)((nl ? nl : end) - p);
}

static const char *const kind_needles[] = {
	" mm_page_alloc: ", " mm_page_free: ", " mm_page_free_batched: ",
	" mm_page_alloc_zone_locked: ", " mm_page_pcpu_drain: ", " mm_page_alloc_extfrag: ",
};

/* Count lines holding @needle. */
static uint64_t count_lines_with(const char *text, size_t len, const char *needle)
{
	const char *p = text, *end = text + len;
	uint64_t n = 0;

	while (p && p < end) {
		const char *next;
		size_t l = line_at(p, end, &next);

		if (line_find(p, l, needle))
			n++;
		p = next;
	}
	return n;
}

/* trace-cmd pads the name: " mm_page_free:         page=" */
static uint64_t count_report_kind(const char *text, size_t len, const char *name)
{
	char needle[64];

	snprintf(needle, sizeof(needle), " %s: ", name);
	return count_lines_with(text, len, needle);
}

static void drain(struct pmm_trace_parser *p, struct pmm_trace_stats *st)
{
	struct pmm_trace_event ev;
	int r;

	while ((r = pmm_trace_next(p, &ev)) != 0)
		if (r < 0)
			fail_msg("unexpected error %d: %s", r, pmm_trace_errmsg(p));
	pmm_trace_get_stats(p, st);
}

static void test_real_trace_counts(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/trace.txt.xz");
	struct pmm_trace_parser *p;
	struct pmm_trace_stats st;
	size_t len;
	char *text;
	uint64_t total = 0, kmem = 0, lines = 0;
	unsigned k;
	const char *q;

	(void)state;
	/* streaming straight from the .xz file */
	assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
	drain(p, &st);
	pmm_trace_close(p);
	assert_int_equal(st.errors, 0);

	text = pmm_test_read_file(path, &len);
	for (k = 0; k < 6; k++) {
		uint64_t want = count_lines_with(text, len, kind_needles[k]);

		if (st.events[k] != want)
			fail_msg("%s: parsed %llu, independent count %llu", kind_needles[k],
				 (unsigned long long)st.events[k], (unsigned long long)want);
		assert_true(want > 0);
		kmem += want;
	}
	assert_int_equal(st.events[PMM_TRACE_PHASE], count_lines_with(text, len, ": CAPTURE_PHASE "));
	for (q = text; q && q < text + len;) {
		lines++;
		if (*q != '#')
			total++;
		line_at(q, text + len, &q);
	}
	assert_int_equal(st.lines, lines);
	assert_int_equal(st.events[PMM_TRACE_OTHER],
			 total - kmem - st.events[PMM_TRACE_PHASE]);
	assert_int_equal(st.comments, lines - total);
	assert_int_equal(st.bytes, len);
	free(text);
	free(path);
}

/*
 * Parse @text from memory and print every event back with @style; each
 * must equal its line.  Comment lines are skipped on both sides.
 */
static uint64_t round_trip_kver(const char *name, const char *text, size_t len,
				enum pmm_trace_style style, enum pmm_kver kver)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	const char *line = text, *end = text + len;
	uint64_t n = 0;
	int r;
	char buf[1024];

	struct pmm_trace_opts opts = { .kver = kver };

	assert_int_equal(pmm_trace_open_mem(&p, name, text, len, &opts), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		const char *nl;
		size_t flen;

		if (r < 0)
			fail_msg("%s", pmm_trace_errmsg(p));
		/* the matching original line */
		for (;;) {
			nl = memchr(line, '\n', (size_t)(end - line));
			if (!nl)
				nl = end;
			if (nl > line && *line != '#' && strncmp(line, "cpus=", 5) != 0)
				break;
			line = nl + 1;
		}
		flen = pmm_trace_format_line(buf, sizeof(buf), &ev, style, kver);
		if (flen != (size_t)(nl - line) || memcmp(buf, line, flen) != 0)
			fail_msg("%s: event %llu\n  original: %.*s\n  printed:  %s", name,
				 (unsigned long long)n, (int)(nl - line), line, buf);
		line = nl + 1;
		n++;
	}
	pmm_trace_close(p);
	return n;
}

static uint64_t round_trip(const char *name, const char *text, size_t len,
			   enum pmm_trace_style style)
{
	return round_trip_kver(name, text, len, style, PMM_KVER_6_1);
}

static void test_real_trace_round_trip(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/trace.txt.xz");
	size_t len;
	char *text = pmm_test_read_file(path, &len);

	(void)state;
	assert_true(round_trip("trace.txt", text, len, PMM_TRACE_STYLE_FTRACE) > 700000);
	free(text);
	free(path);
}

static void test_report_counts_and_round_trip(void **state)
{
	char *path = pmm_test_shared("trace-cmd/trace-report.txt.xz");
	static const char *const names[] = { "mm_page_alloc", "mm_page_free", "mm_page_free_batched",
					     "mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
					     "mm_page_alloc_extfrag" };
	struct pmm_trace_parser *p;
	struct pmm_trace_stats st;
	struct pmm_trace_event ev;
	size_t len;
	char *text = pmm_test_read_file(path, &len);
	unsigned k;
	int r;

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "trace-report.txt", text, len, NULL), 0);
	r = pmm_trace_next(p, &ev);
	assert_int_equal(r, 1);
	assert_int_equal(ev.style, PMM_TRACE_STYLE_REPORT);
	assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_0X);
	drain(p, &st);
	pmm_trace_close(p);
	assert_int_equal(st.errors, 0);
	for (k = 0; k < 6; k++)
		assert_int_equal(st.events[k], count_report_kind(text, len, names[k]));
	assert_int_equal(st.comments, 1); /* "cpus=2" */
	assert_true(round_trip("trace-report.txt", text, len, PMM_TRACE_STYLE_REPORT) > 800000);
	free(text);
	free(path);
}

/* ---------------------------------------------------------------- malformed */

#define HDR "          <idle>-0       [000] d..1.     0.317015: "
#define GOOD HDR "mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=0"

struct bad_case {
	const char *line;
	int err;
	const char *reason;
};

static const struct bad_case bad_cases[] = {
	{ HDR "mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 order=1 migr", -PMM_EBADMSG,
	  "truncated line: 'migratetype=' missing" },
	{ "          <idle>-0       [000] d..1.     0.3170", -PMM_EBADMSG,
	  "truncated line: timestamp cut short" },
	{ "          <idle>-0       [000]", -PMM_EBADMSG, "truncated line: timestamp missing" },
	{ HDR "mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 order=1 migratetype=0 gfp_flags=",
	  -PMM_EBADMSG, "truncated line: 'gfp_flags' value missing" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x52b6 ordr=0", -PMM_EBADMSG,
	  "bad field: expected 'order='" },
	/* trace-cmd report -R: the record's fields, gfp_flags as a number */
	{ "       trace-cmd-109   [001]     3.211462: mm_page_alloc:         pfn=0x16f60 order=2 "
	  "gfp_flags=0x52dc0 migratetype=0",
	  -PMM_EBADMSG,
	  "page= missing: a raw field list (trace-cmd report -R), whose gfp_flags are an unknown "
	  "kernel's bits; give pmm the report without -R" },
	{ HDR "mm_page_free: pfn order=0", -PMM_EBADMSG, "bad field: expected 'page='" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x1ffffffffffffffff order=0", -PMM_ERANGE,
	  "number overflow in 'pfn'" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=99999999999", -PMM_ERANGE,
	  "number overflow in 'order'" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=x1", -PMM_EBADMSG,
	  "bad value for 'order': expected a decimal number" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0xzz order=0", -PMM_EBADMSG,
	  "bad value for 'pfn': expected a hexadecimal number" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=21174x order=0", -PMM_EBADMSG,
	  "bad value for 'pfn': expected 0x and a hexadecimal number, or a decimal one" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn= order=0", -PMM_EBADMSG,
	  "bad value for 'pfn': expected 0x and a hexadecimal number, or a decimal one" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=18446744073709551616 order=0", -PMM_ERANGE,
	  "number overflow in 'pfn'" },
	{ HDR "mm_page_free: page=0000d6e5337b pfn=0x52b6 order=0", -PMM_EBADMSG,
	  "bad value for 'page': expected 16 hex digits, or 8 from a 32-bit kernel" },
	{ HDR "mm_page_free: page=(ptrva) pfn=0x52b6 order=0", -PMM_EBADMSG,
	  "bad value for 'page': expected a pointer" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=0 extra=1", -PMM_EBADMSG,
	  "unexpected text after the last field" },
	{ HDR "mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 order=0 migratetype=0 "
	      "gfp_flags=GFP_KERNEL|__GFP_BOGUS",
	  -PMM_EBADMSG, "unknown gfp flag name '__GFP_BOGUS' in gfp_flags" },
	{ "hello world", -PMM_EBADMSG,
	  "not a trace event line (expected 'TASK-PID [CPU] TIMESTAMP: EVENT: ...')" },
	{ "averyveryverylongname-12 [000] .....  1.000000: mm_page_free: "
	  "page=00000000d6e5337b pfn=0x1 order=0",
	  -PMM_EBADMSG, "bad field: task name longer than 15 characters" },
	{ "   sh-1 [000] ..... 99999999999999999999.000000: mm_page_free: "
	  "page=00000000d6e5337b pfn=0x1 order=0",
	  -PMM_ERANGE, "number overflow in timestamp" },
	{ "\x01\x02garbage\x7f", -PMM_EBADMSG, "binary garbage (byte 0x01 at column 1)" },
	{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=0\x03", -PMM_EBADMSG,
	  "binary garbage (byte 0x03 at column 106)" },
	{ HDR "mm_page_free", -PMM_EBADMSG, "truncated line: event name missing" },
	/* not a trace-cmd file prefix: the comm after it would start with '#' (fuzz find) */
	{ "other.dat:    #   stress-ng-42    [000]     0.000001: mm_page_free:         page=0x1000 "
	  "pfn=0x1000 order=0",
	  -PMM_EBADMSG, "bad field: task name longer than 15 characters" },
};

/*
 * @n bad lines, each followed by a good one (after one good line first if
 * @good_first), read as file @name: each bad line gives its error and
 * reason with its line number, and skips itself only.
 */
static void expect_bad_lines(const char *name, const struct bad_case *c, size_t n,
			     bool good_first)
{
	size_t i, lead = good_first ? 1 : 0;
	char *doc = NULL;
	size_t doclen = 0;
	FILE *f = open_memstream(&doc, &doclen);
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;

	if (good_first)
		fprintf(f, "%s\n", GOOD);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n%s\n", c[i].line, GOOD);
	fclose(f);
	assert_int_equal(pmm_trace_open_mem(&p, name, doc, doclen, NULL), 0);
	if (good_first)
		assert_int_equal(pmm_trace_next(p, &ev), 1);
	for (i = 0; i < n; i++) {
		char want[512];
		int r = pmm_trace_next(p, &ev);

		snprintf(want, sizeof(want), "%s:%zu: %s", name, 2 * i + 1 + lead, c[i].reason);
		if (r != c[i].err || strcmp(pmm_trace_errmsg(p), want) != 0)
			fail_msg("case %zu: expected %d \"%s\", got %d \"%s\"", i, c[i].err, want, r,
				 pmm_trace_errmsg(p));
		r = pmm_trace_next(p, &ev);
		if (r != 1)
			fail_msg("case %zu: good line after it gave %d \"%s\"", i, r, pmm_trace_errmsg(p));
		assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
		assert_int_equal(ev.pfn, 0x52b6);
		assert_string_equal(pmm_trace_errmsg(p), "");
	}
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.errors, n);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], n + lead);
	pmm_trace_close(p);
	free(doc);
}

static void test_malformed_lines(void **state)
{
	(void)state;
	expect_bad_lines("bad.txt", bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]), false);
}

static void test_empty_and_odd_inputs(void **state)
{
	static const char crlf[] = GOOD "\r\n# comment\r\n\r\n" GOOD;
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "empty", "", 0, NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.lines, 0);
	pmm_trace_close(p);

	assert_int_equal(pmm_trace_open_mem(&p, "empty", NULL, 0, NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);

	/* CRLF line ends, no final newline */
	assert_int_equal(pmm_trace_open_mem(&p, "crlf", crlf, sizeof(crlf) - 1, NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.order, 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.pfn, 0x52b6);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.lines, 4);
	assert_int_equal(st.comments, 2);
	pmm_trace_close(p);

	/* input ending inside the event name: nothing may be read past it (fuzz find) */
	{
		static const struct {
			const char *text, *msg;
		} cuts[] = {
			{ HDR "mm_page_", "cut:1: truncated line: event name missing" },
			{ HDR "mm_page_free: page=", "cut:1: bad value for 'page': expected a pointer" },
			{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x",
			  "cut:1: bad value for 'pfn': expected a hexadecimal number" },
			{ HDR "mm_page_free: page=00000000d6e5337b pfn=0x1 order=",
			  "cut:1: bad value for 'order': expected a decimal number" },
			{ "CPU:1 [LOST 4", "cut:1: not a trace event line (expected 'TASK-PID [CPU] "
					   "TIMESTAMP: EVENT: ...')" },
		};
		size_t i;

		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			size_t n = strlen(cuts[i].text);
			char *exact = malloc(n); /* exact size: ASan sees any read past it */

			memcpy(exact, cuts[i].text, n);
			assert_int_equal(pmm_trace_open_mem(&p, "cut", exact, n, NULL), 0);
			assert_true(pmm_trace_next(p, &ev) < 0);
			assert_string_equal(pmm_trace_errmsg(p), cuts[i].msg);
			assert_int_equal(pmm_trace_next(p, &ev), 0);
			pmm_trace_close(p);
			free(exact);
		}
	}

	assert_int_equal(pmm_trace_next(NULL, &ev), -PMM_EINVAL);
	pmm_trace_close(NULL);
}

static void test_line_too_long(void **state)
{
	size_t big = (2u << 20) + 100, len;
	char *doc = malloc(big + 2 * sizeof(GOOD) + 4), *path;
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	int pass;

	(void)state;
	len = 0;
	memcpy(doc, GOOD "\n", sizeof(GOOD));
	len += sizeof(GOOD);
	memset(doc + len, 'x', big);
	len += big;
	doc[len++] = '\n';
	memcpy(doc + len, GOOD "\n", sizeof(GOOD));
	len += sizeof(GOOD);
	path = pmm_test_write_tmp("trace_long_line.txt", doc, len);
	/* memory and file readers take different paths */
	for (pass = 0; pass < 2; pass++) {
		char want[256];

		if (pass == 0)
			assert_int_equal(pmm_trace_open_mem(&p, "long.txt", doc, len, NULL), 0);
		else
			assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
		assert_int_equal(pmm_trace_next(p, &ev), 1);
		assert_int_equal(pmm_trace_next(p, &ev), -PMM_E2BIG);
		snprintf(want, sizeof(want), "%s:2: line too long (over 1048576 bytes)",
			 pass == 0 ? "long.txt" : path);
		assert_string_equal(pmm_trace_errmsg(p), want);
		assert_int_equal(pmm_trace_next(p, &ev), 1);
		assert_int_equal(ev.pfn, 0x52b6);
		assert_int_equal(pmm_trace_next(p, &ev), 0);
		pmm_trace_close(p);
	}
	unlink(path);
	free(path);
	free(doc);
}

/* Lines around the kmem events: LOST, tgid column, markers, other events. */
static void test_special_lines(void **state)
{
	static const char doc[] =
		"CPU:1 [LOST 42 EVENTS]\n"
		"            bash-812     (    800) [002] d..1.   123.456789: mm_page_alloc: "
		"page=0000000000000000 pfn=0x0 order=3 migratetype=1 gfp_flags=none\n"
		"            init-1       [001] .....     3.017422: tracing_mark_write: CAPTURE_PHASE 00_boot_done\n"
		"            init-1       [001] .....    21.931399: mm_compaction_begin: zone_start=0x1 "
		"migrate_pfn=0x1 free_pfn=0xe00 zone_end=0x1000, mode=sync\n"
		"     kworker/0:1-3       [000] ...1.     0.000000123: mm_page_free: "
		"page=(____ptrval____) pfn=0x10 order=0\n"
		"     a-b-c 1-77 [001] 1.500000: mm_page_pcpu_drain: page=(null) pfn=0x1 order=0 migratetype=2\n"
		"  sh-5 [000] 123456789: mm_page_free_batched: page=0x1 pfn=0x2 order=0\n";
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	char buf[512];

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "special", doc, sizeof(doc) - 1, NULL), 0);

	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_LOST);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.lost, 42);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "CPU:1 [LOST 42 EVENTS]");

	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_ALLOC);
	assert_string_equal(ev.comm, "bash");
	assert_int_equal(ev.pid, 812);
	assert_int_equal(ev.tgid, 800);
	assert_int_equal(ev.cpu, 2);
	assert_string_equal(ev.lat, "d..1.");
	assert_int_equal(ev.ts_ns, 123456789000ull);
	assert_int_equal(ev.pfn, 0);
	assert_int_equal(ev.gfp, 0);
	assert_int_equal(ev.order, 3);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "            bash-812     (    800) [002] d..1.   123.456789: mm_page_alloc: "
				 "page=0000000000000000 pfn=0x0 order=3 migratetype=1 gfp_flags=none");

	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_PHASE);
	assert_int_equal(ev.text_len, strlen("00_boot_done"));
	assert_memory_equal(ev.text, "00_boot_done", ev.text_len);

	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_OTHER);
	assert_int_equal(ev.name_len, strlen("mm_compaction_begin"));
	assert_memory_equal(ev.name, "mm_compaction_begin", ev.name_len);
	assert_memory_equal(ev.text, "zone_start=0x1 ", 15);

	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "kworker/0:1");
	assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_PTRVAL);
	assert_int_equal(ev.ts_digits, 9);
	assert_int_equal(ev.ts_ns, 123);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "     kworker/0:1-3       [000] ...1.     0.000000123: mm_page_free: "
				 "page=(____ptrval____) pfn=0x10 order=0");

	/* a comm with '-' and digits and a space, no latency column */
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "a-b-c 1");
	assert_int_equal(ev.pid, 77);
	assert_string_equal(ev.lat, "");
	assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_NULL);
	assert_int_equal(ev.migratetype, 2);

	/* counter clock: a raw count, printed back as one */
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.ts_digits, PMM_TRACE_TS_RAW);
	assert_int_equal(ev.ts_ns, 123456789);
	assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_0X);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "              sh-5       [000]    123456789: mm_page_free_batched: "
				 "page=0x1 pfn=0x2 order=0");

	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.lost_events, 42);
	assert_int_equal(st.events[PMM_TRACE_LOST], 1);
	assert_int_equal(st.errors, 0);
	pmm_trace_close(p);
}

/*
 * Linux 5.13 and older print pfn= in decimal (5.14 made it 0x hex): every
 * kmem event of such a kernel parses to its frame and its body prints back
 * as it was.
 */
static void test_decimal_pfns(void **state)
{
	static const struct {
		const char *line;
		int kind;
		uint64_t pfn;
	} lines[] = {
		{ "          <idle>-0     [001] d.s2   512.334455: mm_page_alloc: "
		  "page=00000000b4e3a1f2 pfn=1183744 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
		  PMM_TRACE_MM_PAGE_ALLOC, 1183744 },
		{ "            bash-2041  [000] ....   512.334501: mm_page_alloc: "
		  "page=0000000000000000 pfn=0 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT",
		  PMM_TRACE_MM_PAGE_ALLOC, 0 },
		{ "            bash-2041  [000] ....   512.334502: mm_page_free: "
		  "page=00000000b4e3a1f2 pfn=18446744073709551615 order=0",
		  PMM_TRACE_MM_PAGE_FREE, UINT64_MAX },
		{ "     kworker/1:2-310   [001] ....   512.334503: mm_page_free_batched: "
		  "page=00000000b4e3a1f2 pfn=4096 order=0",
		  PMM_TRACE_MM_PAGE_FREE_BATCHED, 4096 },
		{ "            bash-2041  [000] d..3   512.334504: mm_page_alloc_zone_locked: "
		  "page=00000000b4e3a1f2 pfn=262143 order=0 migratetype=0 percpu_refill=1",
		  PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED, 262143 },
		{ "            bash-2041  [000] d..3   512.334505: mm_page_pcpu_drain: "
		  "page=00000000b4e3a1f2 pfn=7 order=0 migratetype=2",
		  PMM_TRACE_MM_PAGE_PCPU_DRAIN, 7 },
		{ "            bash-2041  [000] d..3   512.334506: mm_page_alloc_extfrag: "
		  "page=00000000b4e3a1f2 pfn=1024 alloc_order=0 fallback_order=9 pageblock_order=9 "
		  "alloc_migratetype=0 fallback_migratetype=1 fragmenting=0 change_ownership=1",
		  PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG, 1024 },
	};
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char doc[2048] = "", buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		strcat(doc, lines[i].line);
		strcat(doc, "\n");
	}
	assert_int_equal(pmm_trace_open_mem(&p, "5.10", doc, strlen(doc), NULL), 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int r = pmm_trace_next(p, &ev);

		if (r != 1)
			fail_msg("line %zu: %d %s", i + 1, r, pmm_trace_errmsg(p));
		assert_int_equal(ev.kind, lines[i].kind);
		assert_true(ev.pfn == lines[i].pfn);
		assert_int_equal(ev.pfn_dec, 1);
		/*
		 * The body; the task column comes out as 6.1 lays it out
		 * (older kernels pad the pid to 5 columns, not 7).
		 */
		pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
		assert_non_null(strstr(buf, ": mm_page"));
		assert_string_equal(strstr(buf, ": mm_page"), strstr(lines[i].line, ": mm_page"));
	}
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);

	/* A hex line after a decimal one prints in hex again. */
	assert_int_equal(pmm_trace_open_mem(&p, "mixed", GOOD "\n", strlen(GOOD) + 1, NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.pfn_dec, 0);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, GOOD);
	pmm_trace_close(p);
}

/*
 * mm_page_free_batched printed "order=0 cold=%d" until Linux 4.15 took the
 * cold end of the per-CPU lists away; such lines are read, and print back
 * with their cold=.
 */
static void test_free_batched_cold(void **state)
{
	static const char doc[] =
		"     kworker/1:2-310   [001] ....   512.334503: mm_page_free_batched: "
		"page=ffffea0000b6e740 pfn=186589 order=0 cold=1\n"
		"     kworker/1:2-310   [001] ....   512.334504: mm_page_free_batched: "
		"page=ffffea0000b6e780 pfn=186590 order=0 cold=0\n"
		"     kworker/1:2-310   [001] ....   512.334505: mm_page_free_batched: "
		"page=ffffea0000b6e780 pfn=186590 order=0\n"
		"     kworker/1:2-310   [001] ....   512.334506: mm_page_free_batched: "
		"page=ffffea0000b6e780 pfn=186590 order=0 cold=x\n"
		"     kworker/1:2-310   [001] ....   512.334507: mm_page_free: "
		"page=ffffea0000b6e780 pfn=186590 order=0 cold=0\n";
	static const int cold[] = { 1, 0 };
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	const char *line = doc;
	char buf[512];

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "4.14", doc, sizeof(doc) - 1, NULL), 0);
	for (int i = 0; i < 3; i++) {
		const char *nl = strchr(line, '\n');
		int r = pmm_trace_next(p, &ev);

		if (r != 1)
			fail_msg("line %d: %d %s", i + 1, r, pmm_trace_errmsg(p));
		assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE_BATCHED);
		assert_int_equal(ev.has_cold, i < 2);
		if (i < 2)
			assert_int_equal(ev.cold, cold[i]);
		pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
		assert_true(strlen(strstr(buf, ": mm_page")) == (size_t)(nl - strstr(line, ": mm_page")));
		assert_memory_equal(strstr(buf, ": mm_page"), strstr(line, ": mm_page"),
				    strlen(strstr(buf, ": mm_page")));
		line = nl + 1;
	}
	assert_int_equal(pmm_trace_next(p, &ev), -PMM_EBADMSG);
	assert_string_equal(pmm_trace_errmsg(p),
			    "4.14:4: bad value for 'cold': expected a decimal number");
	/* only mm_page_free_batched ever had it */
	assert_int_equal(pmm_trace_next(p, &ev), -PMM_EBADMSG);
	assert_string_equal(pmm_trace_errmsg(p), "4.14:5: unexpected text after the last field");
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);
}

/*
 * Linux 2.6.32 to 3.2 named mm_page_free "mm_page_free_direct" and
 * mm_page_free_batched "mm_pagevec_free" (3.3 renamed them and kept their
 * TP_printk): "page=%p pfn=%lu order=%d" and "page=%p pfn=%lu order=0
 * cold=%d".  The kernel's own text of them reads as those kinds, keeps its
 * name and prints back as it was.  page= is what that kernel's %p printed,
 * the struct page address (vmemmap at 0xffffea0000000000 on x86-64, 64
 * bytes a page): 0xffffea0000000000 + 64 * pfn.
 */
static void test_pre_3_3_free_names(void **state)
{
	static const char ftrace[] =
		"# tracer: nop\n"
		"#\n"
		"#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n"
		"#              | |       |          |         |\n"
		"            bash-2041  [000]   512.334502: mm_page_free_direct: "
		"page=ffffea0000b63740 pfn=186589 order=0\n"
		"     kworker/1:2-310   [001]   512.334503: mm_pagevec_free: "
		"page=ffffea0000b63780 pfn=186590 order=0 cold=1\n"
		"     kworker/1:2-310   [001]   512.334504: mm_page_free_direct: "
		"page=ffffea0000b63780 pfn=186590 order=0\n"
		"            bash-2041  [000] d..3 512.334505: mm_page_free_direct: "
		"page=ffffea0000b63800 pfn=186592 order=2\n";
	static const struct {
		int kind;
		uint64_t page, pfn;
		int32_t order, cold;
		const char *name;
	} want[] = {
		{ PMM_TRACE_MM_PAGE_FREE, 0xffffea0000b63740, 186589, 0, 0, "mm_page_free_direct" },
		{ PMM_TRACE_MM_PAGE_FREE_BATCHED, 0xffffea0000b63780, 186590, 0, 1, "mm_pagevec_free" },
		{ PMM_TRACE_MM_PAGE_FREE, 0xffffea0000b63780, 186590, 0, 0, "mm_page_free_direct" },
		{ PMM_TRACE_MM_PAGE_FREE, 0xffffea0000b63800, 186592, 2, 0, "mm_page_free_direct" },
	};
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	const char *line = strstr(ftrace, "            bash");
	char buf[512];

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "3.2", ftrace, sizeof(ftrace) - 1, NULL), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *nl = strchr(line, '\n'), *body = strstr(line, ": mm_page");
		int r = pmm_trace_next(p, &ev);

		if (r != 1)
			fail_msg("line %zu: %d %s", i + 1, r, pmm_trace_errmsg(p));
		assert_int_equal(ev.kind, want[i].kind);
		assert_int_equal(ev.old_name, 1);
		assert_int_equal(ev.name_len, strlen(want[i].name));
		assert_memory_equal(ev.name, want[i].name, ev.name_len);
		assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_HEX16);
		assert_true(ev.page == want[i].page);
		assert_true(ev.pfn == want[i].pfn);
		assert_int_equal(ev.pfn_dec, 1);
		assert_int_equal(ev.order, want[i].order);
		assert_int_equal(ev.has_cold, want[i].kind == PMM_TRACE_MM_PAGE_FREE_BATCHED);
		assert_int_equal(ev.cold, want[i].cold);
		/* written back under its own name: the body is the line's */
		pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
		assert_non_null(strstr(buf, ": mm_page"));
		if (strlen(strstr(buf, ": mm_page")) != (size_t)(nl - body) ||
		    memcmp(strstr(buf, ": mm_page"), body, (size_t)(nl - body)) != 0)
			fail_msg("line %zu written back as '%s'", i + 1, buf);
		/* and so in the other layouts */
		pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_PERF, PMM_KVER_6_1);
		assert_non_null(strstr(buf, want[i].kind == PMM_TRACE_MM_PAGE_FREE
						    ? " kmem:mm_page_free_direct: page="
						    : " kmem:mm_pagevec_free: page="));
		line = nl + 1;
	}
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 3);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE_BATCHED], 1);
	assert_int_equal(st.events[PMM_TRACE_OTHER], 0);
	assert_int_equal(st.errors, 0);
	pmm_trace_close(p);

	/* the new names are not old ones */
	assert_int_equal(pmm_trace_open_mem(&p, "6.1", GOOD, strlen(GOOD), NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
	assert_int_equal(ev.old_name, 0);
	pmm_trace_close(p);
}

/*
 * The old events as `trace-cmd report` (also -l) and `perf script` print
 * them: libtraceevent renders them from the format file, where the record
 * holds only page and pfn= is page_to_pfn() as the kernel's macros expand
 * it, "(unsigned long)((REC->page) - ((struct page *)0xffffea0000000000UL))"
 * on x86-64.  libtraceevent 1.7.1 subtracts without dividing by sizeof(struct
 * page) (pfn 186589 of page 0xffffea0000b63740 comes out as 11941696).  A
 * text of them is read as such (test_libtraceevent_byte_offsets); in a text
 * whose kmem lines so far had frame numbers (the kernel's line first here)
 * they cannot belong, and are refused with the reason.  Mistakes of the
 * kernel's text (cold= missing) are named too; each error skips its line only.
 */
static void test_pre_3_3_free_names_refused(void **state)
{
#define REFUSED(name)                                                                     \
	-PMM_EBADMSG, "bad value for 'pfn': " name " printed by trace-cmd or perf (libtraceevent, " \
		      "page=0x...) is not a frame number before Linux 3.3, and this text's kmem "  \
		      "lines before had frame numbers"
	static const struct bad_case bad[] = {
		{ "            bash-2041  [000]   512.334502: mm_page_free_direct:  "
		  "page=0xffffea0000b63740 pfn=11941696 order=0",
		  REFUSED("mm_page_free_direct") },
		{ "     kworker/1:2-310   [001]   512.334503: mm_pagevec_free:      "
		  "page=0xffffea0000b63780 pfn=11941760 order=0 cold=1",
		  REFUSED("mm_pagevec_free") },
		{ "    bash-2041    0d..3   512.334502: mm_page_free_direct:  "
		  "page=0xffffea0000b63740 pfn=11941696 order=0",
		  REFUSED("mm_page_free_direct") },
		{ "            bash  2041 [000]   512.334502: kmem:mm_page_free_direct: "
		  "page=0xffffea0000b63740 pfn=11941696 order=0",
		  REFUSED("mm_page_free_direct") },
		{ "     kworker/1:2  310 [001]   512.334503:      kmem:mm_pagevec_free: "
		  "page=0xffffea0000b63780 pfn=11941760 order=0 cold=0",
		  REFUSED("mm_pagevec_free") },
		/* the kernel's text, malformed: mm_pagevec_free always printed cold= */
		{ "     kworker/1:2-310   [001]   512.334503: mm_pagevec_free: "
		  "page=ffffea0000b63780 pfn=186590 order=0",
		  -PMM_EBADMSG, "truncated line: 'cold=' missing" },
		{ "     kworker/1:2-310   [001]   512.334503: mm_pagevec_free: "
		  "page=ffffea0000b63780 pfn=186590 order=0 cold=hot",
		  -PMM_EBADMSG, "bad value for 'cold': expected a decimal number" },
		{ "            bash-2041  [000]   512.334502: mm_page_free_direct: "
		  "page=ffffea0000b63740 pfn=186589 order=0 cold=0",
		  -PMM_EBADMSG, "unexpected text after the last field" },
		{ "            bash-2041  [000]   512.334502: mm_page_free_direct: "
		  "page=ffffea0000b63740 order=0",
		  -PMM_EBADMSG, "bad field: expected 'pfn='" },
	};
#undef REFUSED

	(void)state;
	expect_bad_lines("old.txt", bad, sizeof(bad) / sizeof(bad[0]), true);
}

/* ---------------------------------------------- libtraceevent's pfn= before 4.1 */

#define MEMMAP 0xffffea0000000000ull
#define RPT(comm, cpu, ts, ev) comm "  [" cpu "]   " ts ": " ev ": "

/* What a text should give: an event (kind, pfn, old name), or an error (line, words). */
struct want_ev {
	int kind; /* -1: an error */
	uint64_t pfn;
	int old_name;
	unsigned long line;
	const char *words;
};

static void expect_stream(const char *name, const char *doc, size_t len,
			  const struct want_ev *w, size_t n, uint64_t pfn_bytes)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;

	assert_int_equal(pmm_trace_open_mem(&p, name, doc, len, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		int r = pmm_trace_next(p, &ev);

		if (w[i].kind < 0) {
			char at[64];

			snprintf(at, sizeof(at), "%s:%lu: ", name, w[i].line);
			if (r >= 0 || strncmp(pmm_trace_errmsg(p), at, strlen(at)) != 0 ||
			    !strstr(pmm_trace_errmsg(p), w[i].words))
				fail_msg("%s #%zu: want an error at %s\"%s\", got %d \"%s\"", name, i, at,
					 w[i].words, r, pmm_trace_errmsg(p));
			continue;
		}
		if (r != 1)
			fail_msg("%s #%zu: want an event, got %d \"%s\"", name, i, r, pmm_trace_errmsg(p));
		if (ev.kind != w[i].kind || ev.pfn != w[i].pfn || ev.old_name != w[i].old_name)
			fail_msg("%s #%zu: want kind %d pfn %llu old %d, got %d %llu %d", name, i,
				 w[i].kind, (unsigned long long)w[i].pfn, w[i].old_name, ev.kind,
				 (unsigned long long)ev.pfn, ev.old_name);
		pmm_trace_get_stats(p, &st);
		if (w[i].line && st.lines != w[i].line)
			fail_msg("%s #%zu: at line %llu, want %lu", name, i,
				 (unsigned long long)st.lines, w[i].line);
	}
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.pfn_bytes, pfn_bytes);
	pmm_trace_close(p);
}

/*
 * Before Linux 4.1 the kmem events recorded the struct page pointer, and
 * `trace-cmd report` / `perf script` print pfn= as libtraceevent computes
 * page_to_pfn() from the format: the byte offset into the memmap, 64 per
 * frame.  From 4.1 they print the frame number, with page= the memmap's
 * start plus it; both in decimal before 5.14, page - pfn the same constant.
 * The reader holds lines back until the pfns tell: six whose pfn= is a
 * multiple of 64 << order (a byte offset), or one that is not (a frame
 * number), or a free event under its name before 3.3; then hands them out
 * in order, divided by 64 for byte offsets, with their own line numbers.
 */
static void test_libtraceevent_byte_offsets(void **state)
{
	/* Linux 3.10 as trace-cmd report prints it: pfn 186589 is 11941696 bytes in */
	static const char old[] =
		"cpus=2\n"
		RPT("          <idle>-0    ", "001", "512.334400", "sched_wakeup") "comm=bash pid=2041\n"
		RPT("            bash-2041 ", "000", "512.334501", "mm_page_alloc")
		"page=0xffffea0000b63740 pfn=11941696 order=0 migratetype=1 gfp_flags=GFP_KERNEL\n"
		RPT("            bash-2041 ", "000", "512.334502", "mm_page_alloc")
		"page=(nil) pfn=0 order=3 migratetype=0 gfp_flags=GFP_KERNEL\n"
		RPT("          <idle>-0    ", "001", "512.334503", "sched_wakeup") "comm=kswapd0 pid=40\n"
		RPT("            bash-2041 ", "000", "512.334504", "mm_page_free") "page=0xffffea0000b63740 pfn=11941696 order=0\n"
		RPT("            bash-2041 ", "000", "512.334505", "mm_page_alloc")
		"page=0xffffea0000040000 pfn=262144 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		RPT("            bash-2041 ", "000", "512.334506", "mm_page_free") "page=0xffffea0000040000 pfn=262144 order=2\n"
		RPT("            bash-2041 ", "000", "512.334507", "mm_page_alloc_zone_locked")
		"page=0xffffea00000c3500 pfn=800000 order=0 migratetype=1 percpu_refill=1\n"
		RPT("            bash-2041 ", "000", "512.334508", "mm_page_pcpu_drain")
		"page=0xffffea00000c3500 pfn=800000 order=0 migratetype=1\n"
		RPT("            bash-2041 ", "000", "512.334509", "mm_page_free_batched")
		"page=0xffffea00000c3540 pfn=800064 order=0 cold=0\n"
		RPT("            bash-2041 ", "000", "512.334510", "mm_page_free") "page=0xffffea00000c3541 pfn=800065 order=0\n"
		RPT("            bash-2041 ", "000", "512.334511", "mm_page_free") "page=0xffffea00000c3580 pfn=800128 order=0\n";
	static const struct want_ev old_want[] = {
		{ PMM_TRACE_OTHER, 0, 0, 2, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC, 186589, 0, 3, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC, 0, 0, 4, NULL },
		{ PMM_TRACE_OTHER, 0, 0, 5, NULL },
		{ PMM_TRACE_MM_PAGE_FREE, 186589, 0, 6, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC, 4096, 0, 7, NULL },
		{ PMM_TRACE_MM_PAGE_FREE, 4096, 0, 8, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED, 12500, 0, 9, NULL },
		{ PMM_TRACE_MM_PAGE_PCPU_DRAIN, 12500, 0, 10, NULL },
		{ PMM_TRACE_MM_PAGE_FREE_BATCHED, 12501, 0, 11, NULL },
		{ -1, 0, 0, 12, "bad value for 'pfn': 800065 is not the byte offset into the memmap at 0xffffea0000000000" },
		{ PMM_TRACE_MM_PAGE_FREE, 12502, 0, 13, NULL },
	};
	/* Linux 4.9 by perf script: frame numbers, the first ones multiples of 64 << order */
	static const char new[] =
		"            perf  2041 [000]   512.334501: kmem:mm_page_alloc: "
		"page=0xffffea0000008000 pfn=32768 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE\n"
		"            perf  2041 [000]   512.334502: kmem:mm_page_alloc: "
		"page=0xffffea0000010000 pfn=65536 order=9 migratetype=1 gfp_flags=GFP_TRANSHUGE\n"
		"            perf  2041 [000]   512.334503: kmem:mm_page_alloc: "
		"page=0xffffea0000000040 pfn=64 order=0 migratetype=1 gfp_flags=GFP_KERNEL\n"
		"            perf  2041 [000]   512.334504: kmem:mm_page_alloc: "
		"page=0xffffea0000003039 pfn=12345 order=0 migratetype=1 gfp_flags=GFP_KERNEL\n"
		"            perf  2041 [000]   512.334505: kmem:mm_page_free: "
		"page=0xffffea0000000040 pfn=64 order=0\n";
	static const struct want_ev new_want[] = {
		{ PMM_TRACE_MM_PAGE_ALLOC, 32768, 0, 1, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC, 65536, 0, 2, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC, 64, 0, 3, NULL },
		{ PMM_TRACE_MM_PAGE_ALLOC, 12345, 0, 4, NULL },
		{ PMM_TRACE_MM_PAGE_FREE, 64, 0, 5, NULL },
	};
	/* Linux 3.2 by perf script: the old name alone says byte offsets */
	static const char v32[] =
		"            bash  2041 [000]   512.334502: kmem:mm_page_free_direct: "
		"page=0xffffea0000b63740 pfn=11941696 order=0\n"
		"     kworker/1:2  310 [001]   512.334503:      kmem:mm_pagevec_free: "
		"page=0xffffea0000b63780 pfn=11941760 order=0 cold=0\n";
	static const struct want_ev v32_want[] = {
		{ PMM_TRACE_MM_PAGE_FREE, 186589, 1, 1, NULL },
		{ PMM_TRACE_MM_PAGE_FREE_BATCHED, 186590, 1, 2, NULL },
	};
	/* the same as trace-cmd report lays it out, to print back byte for byte */
	static const char laid_out[] =
		"cpus=2\n"
		"            bash-2041  [000]   512.334501: mm_page_alloc:        page=0xffffea0000b63740 pfn=11941696 order=0 migratetype=1 gfp_flags=GFP_KERNEL\n"
		"            bash-2041  [000]   512.334502: mm_page_alloc:        page=(nil) pfn=0 order=3 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"            bash-2041  [000]   512.334504: mm_page_free:         page=0xffffea0000b63740 pfn=11941696 order=0\n"
		"            bash-2041  [000]   512.334505: mm_page_alloc:        page=0xffffea0000040000 pfn=262144 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"            bash-2041  [000]   512.334506: mm_page_free:         page=0xffffea0000040000 pfn=262144 order=2\n"
		"            bash-2041  [000]   512.334507: mm_page_alloc_zone_locked: page=0xffffea00000c3500 pfn=800000 order=0 migratetype=1 percpu_refill=1\n"
		"            bash-2041  [000]   512.334508: mm_page_pcpu_drain:   page=0xffffea00000c3500 pfn=800000 order=0 migratetype=1\n"
		"            bash-2041  [000]   512.334509: mm_page_free_batched: page=0xffffea00000c3540 pfn=800064 order=0 cold=0\n";
	size_t big = (1u << 20) + 10, len;
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char *doc, *q;

	(void)state;
	assert_int_equal(round_trip("laid_out.txt", laid_out, sizeof(laid_out) - 1, PMM_TRACE_STYLE_REPORT), 8);
	assert_int_equal(pmm_trace_open_mem(&p, "laid_out.txt", laid_out, sizeof(laid_out) - 1, NULL), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pmm_trace_next(p, &ev), 1);
		assert_int_equal(ev.pfn_bytes, i != 1); /* not the failed allocation */
	}
	pmm_trace_close(p);

	expect_stream("old.txt", old, sizeof(old) - 1, old_want, sizeof(old_want) / sizeof(old_want[0]), 8);
	expect_stream("new.txt", new, sizeof(new) - 1, new_want, sizeof(new_want) / sizeof(new_want[0]), 0);
	expect_stream("v32.txt", v32, sizeof(v32) - 1, v32_want, sizeof(v32_want) / sizeof(v32_want[0]), 2);

	/*
	 * Too few lines to tell by the end (five multiples, a line too long
	 * among them): frame numbers, as from 4.1 on; the long line's error
	 * comes in its place.
	 */
	doc = malloc(big + 4096);
	q = doc;
	for (int i = 1; i <= 5; i++) {
		q += sprintf(q, RPT("            bash-2041 ", "000", "512.33450%d", "mm_page_free")
			     "page=0x%llx pfn=%d order=0\n", i, MEMMAP + 64ull * i, 64 * i);
		if (i == 2) {
			memset(q, 'x', big);
			q += big;
			*q++ = '\n';
		}
	}
	len = (size_t)(q - doc);
	{
		const struct want_ev few[] = {
			{ PMM_TRACE_MM_PAGE_FREE, 64, 0, 1, NULL },
			{ PMM_TRACE_MM_PAGE_FREE, 128, 0, 2, NULL },
			{ -1, 0, 0, 3, "line too long" },
			{ PMM_TRACE_MM_PAGE_FREE, 192, 0, 4, NULL },
			{ PMM_TRACE_MM_PAGE_FREE, 256, 0, 5, NULL },
			{ PMM_TRACE_MM_PAGE_FREE, 320, 0, 6, NULL },
		};

		expect_stream("few.txt", doc, len, few, sizeof(few) / sizeof(few[0]), 0);
	}

	/*
	 * The input fails while lines are held (a second zstd frame cut
	 * short): the held lines come first, read as frame numbers, then the
	 * reader's error, sticky.
	 */
	{
		size_t half = strlen(doc) / 2, cap = ZSTD_compressBound(len), n1, n2;
		char *z = malloc(2 * cap);

		q = strchr(doc, '\n') + 1; /* the first line, then the long one cut short */
		n1 = ZSTD_compress(z, cap, doc, (size_t)(q - doc), 1);
		assert_false(ZSTD_isError(n1));
		n2 = ZSTD_compress(z + n1, cap, q, half, 1);
		assert_false(ZSTD_isError(n2));
		assert_int_equal(pmm_trace_open_mem(&p, "cut.zst", z, n1 + n2 / 2, NULL), 0);
		assert_int_equal(pmm_trace_next(p, &ev), 1);
		assert_int_equal(ev.pfn, 64);
		assert_int_equal(pmm_trace_next(p, &ev), -PMM_EIO);
		assert_non_null(strstr(pmm_trace_errmsg(p), "cut.zst:2: "));
		assert_non_null(strstr(pmm_trace_errmsg(p), "zstd"));
		assert_int_equal(pmm_trace_next(p, &ev), -PMM_EIO);
		pmm_trace_close(p);
		free(z);
	}
	free(doc);
}

/*
 * A 32-bit kernel prints page= with 8 hex digits, and a pointer it cannot
 * hash yet as "(ptrval)" (the "(____ptrval____)" of 64-bit ones, cut to
 * the pointer's width).  Both are read, and print back as they were.
 */
static void test_32bit_kernel_pages(void **state)
{
	static const struct {
		const char *line;
		uint8_t page_fmt;
		uint64_t page, pfn;
	} lines[] = {
		{ "            bash-2041  [000] ....   512.334501: mm_page_alloc: "
		  "page=f6f1b380 pfn=186589 order=0 migratetype=1 gfp_flags=GFP_KERNEL",
		  PMM_TRACE_PAGE_HEX8, 0xf6f1b380, 186589 },
		{ "            bash-2041  [000] ....   512.334502: mm_page_free: "
		  "page=0000beef pfn=7 order=0",
		  PMM_TRACE_PAGE_HEX8, 0xbeef, 7 },
		{ "          <idle>-0     [001] d.s2     0.012345: mm_page_alloc: "
		  "page=(ptrval) pfn=4096 order=1 migratetype=0 gfp_flags=GFP_ATOMIC",
		  PMM_TRACE_PAGE_PTRVAL32, 0, 4096 },
		{ "            bash-2041  [000] ....   512.334503: mm_page_free: "
		  "page=0xf6f1b380 pfn=0x2d8dd order=0",
		  PMM_TRACE_PAGE_0X, 0xf6f1b380, 0x2d8dd },
	};
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int r;

		assert_int_equal(pmm_trace_open_mem(&p, "32bit", lines[i].line, strlen(lines[i].line),
						    NULL), 0);
		r = pmm_trace_next(p, &ev);
		if (r != 1)
			fail_msg("line %zu: %d %s", i + 1, r, pmm_trace_errmsg(p));
		assert_int_equal(ev.page_fmt, lines[i].page_fmt);
		assert_true(ev.page == lines[i].page);
		assert_true(ev.pfn == lines[i].pfn);
		pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
		assert_string_equal(strstr(buf, ": mm_page"), strstr(lines[i].line, ": mm_page"));
		pmm_trace_close(p);
	}
}

/*
 * Real captures of a Linux 6.18 kernel (tests/data/README.md): `perf
 * script` output in its default layout and with "-F pid,tid --ns", and
 * tracefs text.  Every line parses (6.12+ gfp names), the kinds agree with
 * an independent count, and every event prints back to its line.
 */
static void test_perf_script_and_6_18(void **state)
{
	static const struct {
		const char *file, *prefix;
		enum pmm_trace_style style;
	} caps[] = {
		{ "tests/data/perf-script-6.18.txt", " kmem:", PMM_TRACE_STYLE_PERF },
		{ "tests/data/perf-script-6.18-ns-pid.txt", " kmem:", PMM_TRACE_STYLE_PERF },
		{ "tests/data/ftrace-6.18.txt", " ", PMM_TRACE_STYLE_FTRACE },
	};
	static const char *const kinds[] = { "mm_page_alloc", "mm_page_free", "mm_page_free_batched",
					     "mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
					     "mm_page_alloc_extfrag" };

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		char *path = pmm_test_source_path(caps[c].file), needle[64];
		size_t len;
		char *text = pmm_test_read_file(path, &len);
		struct pmm_trace_opts opts = { .kver = PMM_KVER_6_12 };
		struct pmm_trace_parser *p;
		struct pmm_trace_event ev;
		struct pmm_trace_stats st;
		uint64_t events = 0;
		int r;

		assert_int_equal(pmm_trace_open_mem(&p, caps[c].file, text, len, &opts), 0);
		while ((r = pmm_trace_next(p, &ev)) != 0) {
			if (r < 0)
				fail_msg("%s", pmm_trace_errmsg(p));
			assert_int_equal(ev.style, caps[c].style);
			events++;
		}
		pmm_trace_get_stats(p, &st);
		pmm_trace_close(p);
		assert_int_equal(st.errors, 0);
		for (unsigned k = 0; k < 6; k++) {
			snprintf(needle, sizeof(needle), "%s%s: ", caps[c].prefix, kinds[k]);
			assert_int_equal(st.events[k], count_lines_with(text, len, needle));
		}
		assert_true(st.events[PMM_TRACE_MM_PAGE_ALLOC] > 20 && st.events[PMM_TRACE_MM_PAGE_FREE] > 3);
		assert_int_equal(round_trip_kver(caps[c].file, text, len, caps[c].style, PMM_KVER_6_12),
				 events);
		free(text);
		free(path);
	}
}

/* What perf script puts around an event: comm with '-' and '/', pid/tid, the name column. */
static void test_perf_script_fields(void **state)
{
	int r;
	static const char doc[] =
		" kworker/u8:0-ev  7078 [001] 38470.809885:             kmem:mm_page_alloc: "
		"page=0x44a95b pfn=0x44a95b order=0 migratetype=0 gfp_flags=GFP_NOFS|__GFP_NOWARN\n"
		"     ksoftirqd/1    22/22    [001] 38471.009536288:              kmem:mm_page_free: "
		"page=0x44a95c pfn=0x44a95c order=0\n"
		"     Web Content  4242 [000]    12.000001: compaction:mm_compaction_begin: zone_start=0x1\n"
		"            a-7 12 [000]    12.000002: kmem:mm_page_free: page=0x1 pfn=0x1 order=0\n";
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char buf[512];

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "perf", doc, sizeof(doc) - 1, NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_ALLOC);
	assert_int_equal(ev.style, PMM_TRACE_STYLE_PERF);
	assert_string_equal(ev.comm, "kworker/u8:0-ev");
	assert_int_equal(ev.pid, 7078);
	assert_int_equal(ev.tgid, -1);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.pfn, 0x44a95b);
	assert_int_equal(ev.ts_ns, 38470809885000ull);
	assert_int_equal(ev.name_pad, 12);

	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
	assert_string_equal(ev.comm, "ksoftirqd/1");
	assert_int_equal(ev.pid, 22);
	assert_int_equal(ev.tgid, 22);
	assert_int_equal(ev.ts_digits, 9);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_PERF, PMM_KVER_6_1);
	assert_string_equal(buf, "     ksoftirqd/1    22/22    [001] 38471.009536288:              "
				 "kmem:mm_page_free: page=0x44a95c pfn=0x44a95c order=0");
	/* The same event as tracefs would print it. */
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "     ksoftirqd/1-22      (     22) [001] 38471.009536288: "
				 "mm_page_free: page=0x44a95c pfn=0x44a95c order=0");

	/* Another subsystem's event: its whole "subsys:event" is the name; a comm with a blank. */
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_OTHER);
	assert_string_equal(ev.comm, "Web Content");
	assert_int_equal(ev.name_len, strlen("compaction:mm_compaction_begin"));
	assert_memory_equal(ev.name, "compaction:mm_compaction_begin", ev.name_len);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_PERF, PMM_KVER_6_1);
	assert_string_equal(buf, "     Web Content  4242 [000]    12.000001: "
				 "compaction:mm_compaction_begin: zone_start=0x1");

	/*
	 * perf record -g: each event's call chain follows it, one frame a
	 * line ("\t%16lx sym+off (dso)"), then a blank line.  Not events;
	 * the same text before any perf event line is not taken for them.
	 */
	{
		static const char chain[] =
			"         swapper     0 [000]   123.456789:       kmem:mm_page_alloc: page=0x1234 "
			"pfn=0x1234 order=0 migratetype=0 gfp_flags=GFP_ATOMIC\n"
			"\tffffffff8123abcd __alloc_pages+0x1ed ([kernel.kallsyms])\n"
			"\tffffffff8123abce alloc_pages+0x8f ([kernel.kallsyms])\n"
			"\t    7f1234567890 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
			"\n"
			"         swapper     0 [000]   123.456790:           kmem:mm_page_free: page=0x1234 "
			"pfn=0x1234 order=0\n"
			"\tffffffff8123abcf __free_pages+0x1 ([kernel.kallsyms])\n";
		struct pmm_trace_parser *q;
		struct pmm_trace_stats st;

		assert_int_equal(pmm_trace_open_mem(&q, "chain", chain, sizeof(chain) - 1, NULL), 0);
		assert_int_equal(pmm_trace_next(q, &ev), 1);
		assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_ALLOC);
		r = pmm_trace_next(q, &ev);
		if (r != 1)
			fail_msg("%d %s", r, pmm_trace_errmsg(q));
		assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
		assert_int_equal(pmm_trace_next(q, &ev), 0);
		pmm_trace_get_stats(q, &st);
		assert_int_equal(st.errors, 0);
		assert_int_equal(st.comments, 5);
		pmm_trace_close(q);

		{
			const char *frames = strchr(chain, '\n') + 1;

			assert_int_equal(pmm_trace_open_mem(&q, "chain", frames, strlen(frames), NULL), 0);
		}
		assert_int_equal(pmm_trace_next(q, &ev), -PMM_EBADMSG);
		pmm_trace_close(q);
	}

	/* A comm ending in "-<digits>" before perf's blank is all comm. */
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "a-7");
	assert_int_equal(ev.pid, 12);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);
}

/*
 * @line parses alone to one event of @kind (the event, in *@out when not
 * NULL) and, written back in @style, is the same line again.
 */
static void expect_line(const char *line, enum pmm_trace_style style, int kind,
			struct pmm_trace_event *out)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char buf[1024];
	int r;

	assert_int_equal(pmm_trace_open_mem(&p, "line", line, strlen(line), NULL), 0);
	r = pmm_trace_next(p, &ev);
	if (r != 1)
		fail_msg("'%s': got %d (%s)", line, r, pmm_trace_errmsg(p));
	if (ev.kind != kind)
		fail_msg("'%s': kind %s, expected %s", line, pmm_trace_kind_name(ev.kind),
			 pmm_trace_kind_name(kind));
	pmm_trace_format_line(buf, sizeof(buf), &ev, style, PMM_KVER_6_1);
	if (strcmp(buf, line) != 0)
		fail_msg("written back\n  as: '%s'\n  not: '%s'", buf, line);
	if (out)
		*out = ev;
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);
}

/*
 * What `trace-cmd report` (3.1.6 with libtraceevent 1.7.1, the lines
 * copied from its output) prints around and in kmem events.
 */
static void test_trace_cmd_report_lines(void **state)
{
	struct pmm_trace_event ev;

	(void)state;
	/* a failed allocation: libtraceevent prints the NULL page with glibc's "%p" */
	expect_line("       stress-ng-42    [000]     0.000001: mm_page_alloc:        page=(nil) pfn=0x0 "
		    "order=3 migratetype=1 gfp_flags=GFP_KERNEL",
		    PMM_TRACE_STYLE_REPORT, PMM_TRACE_MM_PAGE_ALLOC, &ev);
	assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_NIL);
	assert_int_equal(ev.page, 0);
	assert_int_equal(ev.pfn, 0);
	assert_int_equal(ev.order, 3);

	/* events dropped: how many when the ring-buffer page says, else not */
	expect_line("CPU:0 [7 EVENTS DROPPED]", PMM_TRACE_STYLE_REPORT, PMM_TRACE_LOST, &ev);
	assert_int_equal(ev.lost, 7);
	expect_line("CPU:1 [EVENTS DROPPED]", PMM_TRACE_STYLE_REPORT, PMM_TRACE_LOST, &ev);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.lost, 0);
	/* and the kernel's own words for a count it does not know (5.8+) */
	expect_line("CPU:12 [LOST EVENTS]", PMM_TRACE_STYLE_FTRACE, PMM_TRACE_LOST, &ev);
	assert_int_equal(ev.cpu, 12);
	assert_int_equal(ev.lost, 0);
}

/* The first event of @doc, which must hold exactly @n events and no error. */
static struct pmm_trace_event first_of(const char *doc, unsigned n)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev, first;
	unsigned got = 0;
	int r;

	memset(&first, 0, sizeof(first));
	assert_int_equal(pmm_trace_open_mem(&p, "doc", doc, strlen(doc), NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r < 0)
			fail_msg("%s", pmm_trace_errmsg(p));
		if (got++ == 0)
			first = ev;
	}
	assert_int_equal(got, n);
	pmm_trace_close(p);
	first.name = NULL; /* pointed into the closed parser's line */
	first.text = NULL;
	return first;
}

/* `trace-cmd report --ts-diff` puts "(+delta)" between timestamp and event (trace-cmd 3.1.6's lines). */
static void test_trace_cmd_report_ts_diff(void **state)
{
	static const char tsdiff[] =
		"cpus=2\n"
		"       stress-ng-42    [000]     0.000001:          mm_page_free:         page=0x1000 "
		"pfn=0x1000 order=0\n"
		"       stress-ng-42    [000]     0.000001: (+10)    mm_page_alloc:        page=(nil) "
		"pfn=0x0 order=3 migratetype=1 gfp_flags=GFP_KERNEL\n"
		"     kworker/0:1-43    [001]     0.000002000: (+990)   mm_page_alloc:        page=0x3000 "
		"pfn=0x3000 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n";
	struct pmm_trace_event ev;
	struct pmm_trace_parser *p;

	(void)state;
	ev = first_of(tsdiff, 3);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
	assert_int_equal(ev.style, PMM_TRACE_STYLE_REPORT);
	assert_int_equal(pmm_trace_open_mem(&p, "tsdiff", tsdiff, strlen(tsdiff), NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_ALLOC);
	assert_int_equal(ev.order, 3);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "kworker/0:1");
	assert_int_equal(ev.ts_ns, 2000);
	assert_int_equal(ev.pfn, 0x3000);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);
}

/*
 * `trace-cmd report` of a file with buffer instances, or of several -i
 * files, starts each line with the instance's or file's name: the LOST
 * line too (and then its event line does not), and each file's "cpus="
 * line (trace-cmd 3.1.6's lines; the last as an instance would print it).
 */
static void test_trace_cmd_report_prefixes(void **state)
{
	static const char files[] =
		"    t.dat: cpus=2\n"
		"other.dat: cpus=2\n"
		"    t.dat:      kworker/0:1-43    [001]     0.000002: mm_page_alloc:        page=0x3000 "
		"pfn=0x3000 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"other.dat:        stress-ng-42    [000]     0.000001: mm_page_free:         page=0x1000 "
		"pfn=0x1000 order=0\n"
		"    t.dat: CPU:0 [7 EVENTS DROPPED]\n"
		"       stress-ng-42    [000]     0.000005: mm_page_free:         page=0x2000 pfn=0x2000 "
		"order=0\n"
		"     kmem:      Web Content-4242  [001]     0.000006: mm_page_free:         page=0x2000 "
		"pfn=0x2000 order=0\n";
	struct pmm_trace_event ev;
	struct pmm_trace_parser *p;

	(void)state;
	ev = first_of(files, 5);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_ALLOC);
	assert_string_equal(ev.comm, "kworker/0:1");
	assert_int_equal(ev.pid, 43);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(pmm_trace_open_mem(&p, "files", files, strlen(files), NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "stress-ng");
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_LOST);
	assert_int_equal(ev.lost, 7);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.pfn, 0x2000);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "Web Content");
	assert_int_equal(ev.pid, 4242);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);
}

/*
 * `trace-cmd report -l`: libtraceevent's latency layout, "%8.8s-%-5d %3d"
 * and the latency flags right after the CPU, then the time.  The real
 * excerpt (tests/data/README.md) parses whole, agrees with an independent
 * count and prints back line for line; then the variants trace-cmd 3.1.6
 * printed for the same trace.dat with more files, -t and --ts-diff, and
 * what is refused.
 */
static void test_trace_cmd_report_latency(void **state)
{
	static const char *const kinds[] = { "mm_page_alloc", "mm_page_free", "mm_page_free_batched",
					     "mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
					     "mm_page_alloc_extfrag" };
	static const char more[] =
		"trace.dat: cpus=2\n"
		"   t2.dat: cpus=2\n"
		"trace.dat: trace-cm-109     1.....     3.211462: mm_page_alloc:        "
		"page=0xffffffff9acc41f0 pfn=0x16f60 order=2 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"   t2.dat:    sleep-108     1...1.     3.278220: mm_page_free:         "
		"page=0xffffffff9acb3556 pfn=0x62c6 order=0\n"
		"trace-cm-93      0.....     3.211518241: mm_page_free:         "
		"page=0xffffffff9aced08e pfn=0x3fdfe order=0\n"
		"trace-cm-93      0.....     3.211518: (+56)    mm_page_free:         "
		"page=0xffffffff9aced08e pfn=0x3fdfe order=0\n"
		"     a-b-123456  31d.s4.  1234.000001: mm_page_free:         "
		"page=0xffffffff9aced08e pfn=0x3fdfe order=0\n";
	char *path = pmm_test_source_path("tests/data/trace-cmd-report-l-6.1.txt");
	size_t len;
	char *text = pmm_test_read_file(path, &len);
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	uint64_t events = 0;
	char buf[512];
	int r;

	(void)state;
	assert_int_equal(pmm_trace_open_mem(&p, "report-l", text, len, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r < 0)
			fail_msg("%s", pmm_trace_errmsg(p));
		assert_int_equal(ev.style, PMM_TRACE_STYLE_REPORT_LAT);
		events++;
	}
	pmm_trace_get_stats(p, &st);
	pmm_trace_close(p);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.comments, 1); /* "cpus=2" */
	for (unsigned k = 0; k < 6; k++) {
		assert_int_equal(st.events[k], count_report_kind(text, len, kinds[k]));
		assert_true(st.events[k] > 0);
	}
	assert_int_equal(round_trip("report-l", text, len, PMM_TRACE_STYLE_REPORT_LAT), events);
	free(text);
	free(path);

	assert_int_equal(pmm_trace_open_mem(&p, "more", more, strlen(more), NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_ALLOC);
	assert_string_equal(ev.comm, "trace-cm");
	assert_int_equal(ev.pid, 109);
	assert_int_equal(ev.cpu, 1);
	assert_string_equal(ev.lat, ".....");
	assert_int_equal(ev.ts_ns, 3211462000ull);
	assert_int_equal(ev.gfp, PMM_GFP_KERNEL);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "sleep");
	assert_int_equal(ev.pid, 108);
	assert_string_equal(ev.lat, "...1.");
	assert_int_equal(pmm_trace_next(p, &ev), 1); /* -t: nanoseconds */
	assert_int_equal(ev.ts_ns, 3211518241ull);
	assert_int_equal(ev.ts_digits, 9);
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_REPORT_LAT, PMM_KVER_6_1);
	assert_string_equal(buf, "trace-cm-93      0.....     3.211518241: mm_page_free:         "
				 "page=0xffffffff9aced08e pfn=0x3fdfe order=0");
	assert_int_equal(pmm_trace_next(p, &ev), 1); /* --ts-diff */
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
	assert_int_equal(ev.pfn, 0x3fdfe);
	/* a comm with '-', a pid wider than its 5 columns, a CPU of two digits */
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_string_equal(ev.comm, "a-b");
	assert_int_equal(ev.pid, 123456);
	assert_int_equal(ev.cpu, 31);
	assert_string_equal(ev.lat, "d.s4.");
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_REPORT_LAT, PMM_KVER_6_1);
	assert_string_equal(buf, "     a-b-123456  31d.s4.  1234.000001: mm_page_free:         "
				 "page=0xffffffff9aced08e pfn=0x3fdfe order=0");
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_close(p);

	/* pmm's own events, written in this layout: the comm cut to 8 */
	memset(&ev, 0, sizeof(ev));
	ev.kind = PMM_TRACE_MM_PAGE_FREE;
	strcpy(ev.comm, "kworker/0:1");
	ev.pid = 3;
	ev.ts_ns = 5000000;
	ev.ts_digits = 6;
	ev.pfn = 0x10;
	ev.page = 0x1000;
	ev.page_fmt = PMM_TRACE_PAGE_0X;
	strcpy(ev.lat, "d..1.");
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_REPORT_LAT, PMM_KVER_6_1);
	assert_string_equal(buf, "kworker/-3       0d..1.     0.005000: mm_page_free:         "
				 "page=0x1000 pfn=0x10 order=0");
}

/*
 * gfp flag names that kernels print for bits that decide nothing in the
 * page allocator pmm models: KASAN's with CONFIG_KASAN_HW_TAGS (5.17-6.2
 * __GFP_SKIP_ZERO/_SKIP_KASAN_POISON/_SKIP_KASAN_UNPOISON, 6.3+
 * __GFP_SKIP_KASAN), lockdep's __GFP_NOLOCKDEP and the slab's
 * __GFP_NO_OBJ_EXT (6.12+, with memcg).  They are read, and add no bit.
 * The names of Linux 4.19 and older are read with their 6.1 meaning
 * (test_gfp_format.c has them all).
 */
static void test_gfp_names_of_other_kernels(void **state)
{
	static const struct {
		const char *flags;
		pmm_gfp_t gfp;
	} cases[] = {
		{ "GFP_KERNEL|__GFP_ZERO|__GFP_SKIP_ZERO|__GFP_SKIP_KASAN_UNPOISON",
		  PMM_GFP_KERNEL | PMM___GFP_ZERO },
		{ "GFP_HIGHUSER_MOVABLE|__GFP_SKIP_KASAN_POISON", PMM_GFP_HIGHUSER_MOVABLE },
		{ "GFP_USER|__GFP_SKIP_ZERO|__GFP_SKIP_KASAN", PMM_GFP_USER },
		{ "GFP_NOFS|__GFP_NOLOCKDEP", PMM_GFP_NOFS },
		{ "GFP_KERNEL|__GFP_NOWARN|__GFP_NO_OBJ_EXT", PMM_GFP_KERNEL | PMM___GFP_NOWARN },
		/* Linux 4.14 and 3.10: names 6.1 no longer has */
		{ "GFP_TEMPORARY|__GFP_COLD|__GFP_NOTRACK", PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE },
		{ "GFP_KERNEL|GFP_REPEAT|GFP_COMP", PMM_GFP_KERNEL | PMM___GFP_RETRY_MAYFAIL | PMM___GFP_COMP },
	};
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		struct pmm_trace_opts opts = { .kver = i < 2 ? PMM_KVER_6_1 : PMM_KVER_6_12 };
		int r;

		snprintf(line, sizeof(line), HDR "mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 "
			 "order=0 migratetype=0 gfp_flags=%s", cases[i].flags);
		assert_int_equal(pmm_trace_open_mem(&p, "gfp", line, strlen(line), &opts), 0);
		r = pmm_trace_next(p, &ev);
		if (r != 1)
			fail_msg("%s: %d %s", cases[i].flags, r, pmm_trace_errmsg(p));
		if (ev.gfp != cases[i].gfp)
			fail_msg("%s: gfp %#x, expected %#x", cases[i].flags, (unsigned)ev.gfp,
				 (unsigned)cases[i].gfp);
		pmm_trace_close(p);
	}
}

/* What pmm prints for its own allocations. */
static void test_format_own_events(void **state)
{
	struct pmm_trace_event ev;
	char buf[512];
	char tiny[10];
	size_t n;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PMM_TRACE_MM_PAGE_ALLOC;
	ev.page = 0xffffea0000148d80ull; /* struct page in pmm's vmemmap */
	ev.pfn = 0x5236;
	ev.order = 2;
	ev.migratetype = 1;
	ev.gfp = 0x140dca;
	ev.pid = 4242;
	ev.tgid = -1;
	ev.cpu = 1;
	ev.ts_ns = 1234567891500ull; /* rounds up to .567892 like ns2usecs() */
	strcpy(ev.comm, "pmm-replay");
	pmm_trace_format_body(buf, sizeof(buf), &ev, PMM_KVER_6_1);
	assert_string_equal(buf, "page=ffffea0000148d80 pfn=0x5236 order=2 migratetype=1 "
				 "gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO");
	pmm_trace_format_body(buf, sizeof(buf), &ev, PMM_KVER_6_12);
	assert_string_equal(buf, "page=ffffea0000148d80 pfn=0x5236 order=2 migratetype=1 "
				 "gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP");
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "      pmm-replay-4242    [001]  1234.567892: mm_page_alloc: "
				 "page=ffffea0000148d80 pfn=0x5236 order=2 migratetype=1 "
				 "gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO");
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_REPORT, PMM_KVER_6_1);
	assert_string_equal(buf, "      pmm-replay-4242  [001]  1234.567892: mm_page_alloc:        "
				 "page=ffffea0000148d80 pfn=0x5236 order=2 migratetype=1 "
				 "gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO");
	/* truncation keeps the snprintf contract */
	n = pmm_trace_format_line(tiny, sizeof(tiny), &ev, PMM_TRACE_STYLE_REPORT, PMM_KVER_6_1);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(tiny, "      pmm");

	ev.kind = PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED;
	ev.order = -1; /* %u */
	ev.percpu_refill = 1;
	pmm_trace_format_body(buf, sizeof(buf), &ev, PMM_KVER_6_1);
	assert_string_equal(buf, "page=ffffea0000148d80 pfn=0x5236 order=4294967295 migratetype=1 "
				 "percpu_refill=1");
	ev.kind = PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG;
	ev.order = 0;
	ev.fallback_order = 10;
	ev.pageblock_order = 9;
	ev.migratetype = 0;
	ev.fallback_migratetype = 1;
	ev.fragmenting = 0;
	ev.change_ownership = 1;
	pmm_trace_format_body(buf, sizeof(buf), &ev, PMM_KVER_6_1);
	assert_string_equal(buf, "page=ffffea0000148d80 pfn=0x5236 alloc_order=0 fallback_order=10 "
				 "pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 "
				 "fragmenting=0 change_ownership=1");
	ev.kind = PMM_TRACE_PHASE;
	ev.text = "01_fork";
	ev.text_len = 7;
	ev.ts_digits = 9;
	pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
	assert_string_equal(buf, "      pmm-replay-4242    [001]  1234.567891500: tracing_mark_write: "
				 "CAPTURE_PHASE 01_fork");
}

/* ---------------------------------------------------------------- sources */

static void test_sources(void **state)
{
	static const char doc[] = "# tracer: nop\n" GOOD "\n" GOOD "\n";
	struct pmm_trace_parser *p;
	struct pmm_trace_stats st;
	char msg[256];
	struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = sizeof(msg) };
	char *plain, *cmd = NULL, *xz = NULL, *gz = NULL;
	int saved;

	(void)state;
	plain = pmm_test_write_tmp("trace_src.txt", doc, sizeof(doc) - 1);
	if (asprintf(&cmd, "xz -kfc '%s' > '%s.xz' && gzip -kfc '%s' > '%s.gz'", plain, plain, plain,
		     plain) < 0)
		fail();
	assert_int_equal(system(cmd), 0);
	free(cmd);
	if (asprintf(&xz, "%s.xz", plain) < 0 || asprintf(&gz, "%s.gz", plain) < 0)
		fail();

	assert_int_equal(pmm_trace_open(&p, plain, &opts), 0);
	drain(p, &st);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 2);
	pmm_trace_close(p);

	assert_int_equal(pmm_trace_open(&p, xz, &opts), 0);
	drain(p, &st);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 2);
	assert_int_equal(st.bytes, sizeof(doc) - 1);
	pmm_trace_close(p);

	/* gzip needs zlib in the build; without it the refusal must say so */
	msg[0] = '\0';
	saved = pmm_trace_open(&p, gz, &opts);
	if (saved == 0) {
		drain(p, &st);
		assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 2);
		pmm_trace_close(p);
	} else {
		assert_int_equal(saved, -PMM_ENOSYS);
		assert_null(p);
		assert_non_null(strstr(msg, "built without zlib"));
		printf("NOTE: gzip input unsupported in this build: %s\n", msg);
	}

	/* standard input, compressed */
	saved = dup(0);
	assert_non_null(freopen(xz, "rb", stdin));
	assert_int_equal(pmm_trace_open(&p, "-", &opts), 0);
	drain(p, &st);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 2);
	pmm_trace_close(p);
	dup2(saved, 0);
	close(saved);

	/* missing file */
	msg[0] = '\0';
	assert_int_equal(pmm_trace_open(&p, "/nonexistent/trace.txt", &opts), -PMM_ENOENT);
	assert_null(p);
	assert_string_equal(msg, "/nonexistent/trace.txt: no such entry");

	unlink(plain);
	unlink(xz);
	unlink(gz);
	free(plain);
	free(xz);
	free(gz);
}

/* A cut or corrupt .xz is a sticky I/O error with a message, not a crash. */
static void test_corrupt_xz(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/trace.txt.xz");
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	char *raw = malloc(1 << 16);
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	int r;

	(void)state;
	assert_non_null(f);
	len = fread(raw, 1, 1 << 16, f);
	fclose(f);
	assert_int_equal(len, 1 << 16);
	/* truncated: the first 64 KiB only */
	assert_int_equal(pmm_trace_open_mem(&p, "cut.xz", raw, len, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) == 1)
		;
	assert_int_equal(r, -PMM_EIO);
	assert_non_null(strstr(pmm_trace_errmsg(p), "cut.xz:"));
	assert_non_null(strstr(pmm_trace_errmsg(p), "truncated xz data"));
	assert_int_equal(pmm_trace_next(p, &ev), -PMM_EIO);
	pmm_trace_close(p);
	/* corrupt: flip bytes in the middle */
	memset(raw + 30000, 0x55, 64);
	assert_int_equal(pmm_trace_open_mem(&p, "bad.xz", raw, len, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) == 1)
		;
	assert_int_equal(r, -PMM_EIO);
	assert_non_null(strstr(pmm_trace_errmsg(p), "bad.xz:"));
	pmm_trace_close(p);
	free(raw);
	free(path);
}

/* ---------------------------------------------------------------- zstd */

/* Lines of varying length, each with its number in pfn=, about @bytes of them. */
static char *numbered_lines(size_t bytes, size_t *len, unsigned *lines)
{
	char *text = malloc(bytes + 256);
	size_t n = 0;
	unsigned i = 0;

	assert_non_null(text);
	while (n < bytes) {
		n += (size_t)sprintf(text + n, HDR "mm_page_free: page=%016x pfn=0x%x order=%u\n",
				     i * 2654435761u, i, i % 3);
		i++;
	}
	*len = n;
	*lines = i;
	return text;
}

/* Append a zstd frame of @src to @out at *@pos; @known: record the decoded size. */
static void add_frame(char *out, size_t cap, size_t *pos, const char *src, size_t n, int known)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_outBuffer ob = { out, cap, *pos };
	ZSTD_inBuffer ib = { src, n, 0 };

	assert_non_null(c);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, known)));
	if (known)
		assert_false(ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(c, n)));
	assert_int_equal(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end), 0);
	*pos = ob.pos;
	ZSTD_freeCCtx(c);
}

static void expect_lines(const char *name, const void *data, size_t len, unsigned lines, size_t bytes)
{
	char *path = pmm_test_write_tmp(name, data, len);

	/* From a file (frames that fit the window decode in one call) and from memory (streamed). */
	for (int from_mem = 0; from_mem < 2; from_mem++) {
		struct pmm_trace_parser *p;
		struct pmm_trace_stats st;

		assert_int_equal(from_mem ? pmm_trace_open_mem(&p, name, data, len, NULL)
					  : pmm_trace_open(&p, path, NULL),
				 0);
		drain(p, &st);
		pmm_trace_close(p);
		if (st.events[PMM_TRACE_MM_PAGE_FREE] != lines || st.bytes != bytes)
			fail_msg("%s (%s): %llu events, %llu bytes; expected %u, %zu", name,
				 from_mem ? "memory" : "file",
				 (unsigned long long)st.events[PMM_TRACE_MM_PAGE_FREE],
				 (unsigned long long)st.bytes, lines, bytes);
	}
	unlink(path);
	free(path);
}

/*
 * @reason from a file, where a frame that fits the window is checked whole
 * before any of it is parsed; from memory the frame is streamed, so a
 * corrupt frame may show as a malformed line before its checksum fails.
 */
static void expect_zstd_error(const char *name, const void *data, size_t len, const char *reason)
{
	char *path = pmm_test_write_tmp(name, data, len);
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	int r;

	for (int from_file = 0; from_file < 2; from_file++) {
		if (from_file)
			assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
		else
			assert_int_equal(pmm_trace_open_mem(&p, name, data, len, NULL), 0);
		while ((r = pmm_trace_next(p, &ev)) == 1)
			;
		if (from_file && (r != -PMM_EIO || !strstr(pmm_trace_errmsg(p), reason)))
			fail_msg("%s (file): %d, '%s' lacks '%s'", name, r, pmm_trace_errmsg(p), reason);
		if (r >= 0 || !strstr(pmm_trace_errmsg(p), name))
			fail_msg("%s (memory): %d, '%s'", name, r, pmm_trace_errmsg(p));
		pmm_trace_close(p);
	}
	unlink(path);
	free(path);
}

/*
 * zstd input in every shape the reader treats differently: 1 MiB frames
 * that record their size (decoded in one call each, lines crossing frames),
 * one big frame and frames of unknown size (streamed), all mixed with a
 * skippable frame; and cut or corrupt ones.
 */
static void test_zstd_frames(void **state)
{
	size_t len, cap, pos = 0, mid;
	unsigned lines;
	char *text = numbered_lines(3500000, &len, &lines);
	char *z;
	static const unsigned char skippable[12] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4 };

	(void)state;
	cap = ZSTD_compressBound(len) * 2 + 4096;
	z = malloc(cap);
	assert_non_null(z);

	add_frame(z, cap, &pos, text, len, 1);
	expect_lines("one.zst", z, pos, lines, len);

	pos = 0;
	for (size_t off = 0; off < len; off += 1 << 20)
		add_frame(z, cap, &pos, text + off, len - off < (1u << 20) ? len - off : 1u << 20, 1);
	expect_lines("frames.zst", z, pos, lines, len);

	pos = 0;
	for (size_t off = 0; off < len; off += 1 << 20)
		add_frame(z, cap, &pos, text + off, len - off < (1u << 20) ? len - off : 1u << 20, 0);
	expect_lines("unsized.zst", z, pos, lines, len);

	/* sized, skippable, unsized, sized: one call, skip, stream, one call */
	pos = 0;
	add_frame(z, cap, &pos, text, 1 << 20, 1);
	memcpy(z + pos, skippable, sizeof(skippable));
	pos += sizeof(skippable);
	add_frame(z, cap, &pos, text + (1 << 20), 1 << 20, 0);
	add_frame(z, cap, &pos, text + (2 << 20), len - (2 << 20), 1);
	expect_lines("mixed.zst", z, pos, lines, len);

	/* cut inside the second frame; a corrupt byte in it */
	pos = 0;
	for (size_t off = 0; off < len; off += 1 << 20)
		add_frame(z, cap, &pos, text + off, len - off < (1u << 20) ? len - off : 1u << 20, 1);
	mid = ZSTD_findFrameCompressedSize(z, pos);
	assert_false(ZSTD_isError(mid));
	expect_zstd_error("cut.zst", z, mid + 1000, "truncated zstd data");
	z[mid + 1000] ^= 0x55;
	expect_zstd_error("bad.zst", z, pos, "corrupt zstd data");
	free(z);
	free(text);
}

/*
 * linereader_read(): binary input (kpageflags) byte for byte, newlines and
 * all, in reads that straddle its window refills: from memory, from a plain
 * file and from zstd (the reader's window and its codec).
 */
static void test_linereader_binary(void **state)
{
	enum { N = 300000 };
	uint64_t *in = malloc(N * sizeof(*in)), *out = malloc(N * sizeof(*out) + 8);
	size_t zcap = ZSTD_compressBound(N * sizeof(*in));
	char *z = malloc(zcap), *paths[2];
	size_t zlen;
	struct linereader *lr;

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(z);
	for (size_t i = 0; i < N; i++)
		in[i] = (i * 0x9e3779b97f4a7c15ull) ^ 0x0a0a0a0a0a0a0a0aull; /* '\n' bytes in every entry */
	zlen = ZSTD_compress(z, zcap, in, N * sizeof(*in), 3);
	assert_false(ZSTD_isError(zlen));
	paths[0] = pmm_test_write_tmp("binary.bin", in, N * sizeof(*in));
	paths[1] = pmm_test_write_tmp("binary.bin.zst", z, zlen);
	for (int src = 0; src < 3; src++) {
		size_t got = 0;
		long n;

		if (src == 0)
			assert_int_equal(linereader_open_mem(&lr, "mem", in, N * sizeof(*in), NULL, 0), 0);
		else
			assert_int_equal(linereader_open_path(&lr, paths[src - 1], NULL, 0), 0);
		memset(out, 0, N * sizeof(*out));
		/* 777 entries a read: never a multiple of the window. */
		while ((n = linereader_read(lr, (char *)out + got, 777 * 8)) > 0)
			got += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(got, N * sizeof(*in));
		assert_memory_equal(out, in, N * sizeof(*in));
		assert_int_equal(linereader_read(lr, out, 8), 0);
		linereader_close(lr);
	}
	for (int i = 0; i < 2; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	free(z);
	free(in);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linereader_binary),
		cmocka_unit_test(test_real_trace_counts),
		cmocka_unit_test(test_real_trace_round_trip),
		cmocka_unit_test(test_report_counts_and_round_trip),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_empty_and_odd_inputs),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_special_lines),
		cmocka_unit_test(test_decimal_pfns),
		cmocka_unit_test(test_32bit_kernel_pages),
		cmocka_unit_test(test_free_batched_cold),
		cmocka_unit_test(test_pre_3_3_free_names),
		cmocka_unit_test(test_pre_3_3_free_names_refused),
		cmocka_unit_test(test_libtraceevent_byte_offsets),
		cmocka_unit_test(test_perf_script_and_6_18),
		cmocka_unit_test(test_perf_script_fields),
		cmocka_unit_test(test_trace_cmd_report_lines),
		cmocka_unit_test(test_trace_cmd_report_ts_diff),
		cmocka_unit_test(test_trace_cmd_report_prefixes),
		cmocka_unit_test(test_trace_cmd_report_latency),
		cmocka_unit_test(test_gfp_names_of_other_kernels),
		cmocka_unit_test(test_format_own_events),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_corrupt_xz),
		cmocka_unit_test(test_zstd_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
