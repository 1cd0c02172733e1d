// SPDX-License-Identifier: MIT
/*
 * gfp mask text: the kernel's %pGg / show_gfp_flags spelling (reference
 * §2.10 worked examples and version deltas), the parser, round trips, and
 * every mask of the real 6.1 page_owner dump and kmem trace.
 */
#include "harness.h"

#include <pmm/errno.h>
#include <pmm/gfp.h>
#include "report/gfp_format.h"

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

static void expect_fmt(pmm_gfp_t gfp, enum pmm_kver kver, const char *want)
{
	char buf[512];
	size_t n = pmm_gfp_format(buf, sizeof(buf), gfp, kver);

	if (strcmp(buf, want) != 0 || n != strlen(want))
		fail_msg("gfp 0x%x kver %d: expected \"%s\", got \"%s\" (len %zu)", gfp, (int)kver,
			 want, buf, n);
}

static void test_worked_examples_6_1(void **state)
{
	(void)state;
	/* reference §2.10, Linux 6.1 */
	expect_fmt(0xcc0, PMM_KVER_6_1, "GFP_KERNEL");
	expect_fmt(0x40cc0, PMM_KVER_6_1, "GFP_KERNEL|__GFP_COMP");
	expect_fmt(0xdc0, PMM_KVER_6_1, "GFP_KERNEL|__GFP_ZERO");
	expect_fmt(0x100dca, PMM_KVER_6_1, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO");
	expect_fmt(0x100cc8, PMM_KVER_6_1, "GFP_USER|__GFP_MOVABLE");
	expect_fmt(0xa20, PMM_KVER_6_1, "GFP_ATOMIC");
	expect_fmt(0x42a20, PMM_KVER_6_1, "GFP_ATOMIC|__GFP_NOWARN|__GFP_COMP");
	expect_fmt(0xd2cc0, PMM_KVER_6_1,
		   "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC");
	expect_fmt(0x40c50, PMM_KVER_6_1, "GFP_NOFS|__GFP_COMP|__GFP_RECLAIMABLE");
	expect_fmt(0x1000cc0, PMM_KVER_6_1, "GFP_KERNEL|0x1000000");
	expect_fmt(0x40dc0, PMM_KVER_6_1, "GFP_KERNEL|__GFP_COMP|__GFP_ZERO");
	expect_fmt(0, PMM_KVER_6_1, "");
	expect_fmt(PMM_GFP_TRANSHUGE, PMM_KVER_6_1, "GFP_TRANSHUGE");
	expect_fmt(PMM_GFP_TRANSHUGE_LIGHT, PMM_KVER_6_1, "GFP_TRANSHUGE_LIGHT");
	expect_fmt(PMM___GFP_RECLAIM, PMM_KVER_6_1, "GFP_NOIO");
	expect_fmt(PMM___GFP_DIRECT_RECLAIM, PMM_KVER_6_1, "__GFP_DIRECT_RECLAIM");
}

static void test_version_deltas(void **state)
{
	(void)state;
	/* 6.3+: no __GFP_ATOMIC, GFP_ATOMIC = HIGH|KSWAPD_RECLAIM */
	expect_fmt(0x820, PMM_KVER_6_6, "GFP_ATOMIC");
	expect_fmt(0x820, PMM_KVER_6_1, "GFP_NOWAIT|__GFP_HIGH");
	expect_fmt(0xa20, PMM_KVER_6_6, "GFP_ATOMIC|0x200");
	expect_fmt(0x200, PMM_KVER_6_1, "__GFP_ATOMIC");
	expect_fmt(0x200, PMM_KVER_6_6, "0x200");
	/* 6.12: singles in bit order, GFP_NOWAIT includes NOWARN */
	expect_fmt(0x40dc0, PMM_KVER_6_12, "GFP_KERNEL|__GFP_ZERO|__GFP_COMP");
	expect_fmt(0x2800, PMM_KVER_6_12, "GFP_NOWAIT");
	expect_fmt(0x2800, PMM_KVER_6_1, "GFP_NOWAIT|__GFP_NOWARN");
	expect_fmt(0x800, PMM_KVER_6_12, "__GFP_KSWAPD_RECLAIM");
	expect_fmt(0x12cd0, PMM_KVER_6_12, "GFP_KERNEL|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY");
	expect_fmt(0x1, PMM_KVER_6_12, "GFP_DMA");
	expect_fmt(0x8, PMM_KVER_6_12, "__GFP_MOVABLE");
}

static void test_trace_spelling_and_truncation(void **state)
{
	char buf[64];
	char small[8];
	size_t n;

	(void)state;
	n = pmm_gfp_format_trace(buf, sizeof(buf), 0, PMM_KVER_6_1);
	assert_string_equal(buf, "none");
	assert_int_equal(n, 4);
	n = pmm_gfp_format_trace(buf, sizeof(buf), 0xcc0, PMM_KVER_6_1);
	assert_string_equal(buf, "GFP_KERNEL");
	n = pmm_gfp_format(small, sizeof(small), 0x40dc0, PMM_KVER_6_1);
	assert_int_equal(n, strlen("GFP_KERNEL|__GFP_COMP|__GFP_ZERO"));
	assert_string_equal(small, "GFP_KER");
	n = pmm_gfp_format(NULL, 0, 0x40dc0, PMM_KVER_6_1);
	assert_int_equal(n, strlen("GFP_KERNEL|__GFP_COMP|__GFP_ZERO"));
	small[0] = 'x';
	pmm_gfp_format(small, 1, 0xcc0, PMM_KVER_6_1);
	assert_int_equal(small[0], '\0');
}

static void expect_parse(const char *text, int want_err, pmm_gfp_t want)
{
	pmm_gfp_t v = 0xdeadbeef;
	int err = pmm_gfp_parse(text, strlen(text), &v);

	if (err != want_err)
		fail_msg("parse \"%s\": expected %d, got %d", text, want_err, err);
	if (!err && v != want)
		fail_msg("parse \"%s\": expected 0x%x, got 0x%x", text, want, v);
}

static void test_parse(void **state)
{
	pmm_gfp_t v;

	(void)state;
	expect_parse("none", 0, 0);
	expect_parse("0", 0, 0);
	expect_parse("0xcc0", 0, 0xcc0);
	expect_parse("3264", 0, 0xcc0);
	expect_parse("GFP_KERNEL", 0, 0xcc0);
	expect_parse("GFP_KERNEL|__GFP_COMP|__GFP_ZERO", 0, 0x40dc0);
	expect_parse("GFP_KERNEL|0x1000000", 0, 0x1000cc0);
	expect_parse("PMM_GFP_KERNEL|PMM___GFP_ZERO", 0, 0xdc0);
	expect_parse("pmm___GFP_ZERO", 0, 0x100);
	expect_parse("GFP_ATOMIC", 0, 0xa20);
	expect_parse("__GFP_DMA|__GFP_DMA32", 0, 0x5);
	expect_parse(" GFP_KERNEL | __GFP_ZERO ", 0, 0xdc0);
	/* bad input */
	expect_parse("", -PMM_EINVAL, 0);
	expect_parse("   ", -PMM_EINVAL, 0);
	expect_parse("GFP_FOO", -PMM_EINVAL, 0);
	expect_parse("gfp_kernel", -PMM_EINVAL, 0);
	expect_parse("GFP_KERNEL|", -PMM_EINVAL, 0);
	expect_parse("|GFP_KERNEL", -PMM_EINVAL, 0);
	expect_parse("GFP_KERNEL||__GFP_ZERO", -PMM_EINVAL, 0);
	expect_parse("0x", -PMM_EINVAL, 0);
	expect_parse("0x1g", -PMM_EINVAL, 0);
	expect_parse("0x100000000", -PMM_EINVAL, 0);
	expect_parse("99999999999", -PMM_EINVAL, 0);
	expect_parse("12ab", -PMM_EINVAL, 0);
	expect_parse("none|GFP_KERNEL", -PMM_EINVAL, 0);
	expect_parse("GFP_KERNEL__GFP_ZERO", -PMM_EINVAL, 0);
	assert_int_equal(pmm_gfp_parse(NULL, 0, &v), -PMM_EINVAL);
	assert_int_equal(pmm_gfp_parse("GFP_KERNEL", 10, NULL), -PMM_EINVAL);
	/* length is honoured: no reading past it */
	assert_int_equal(pmm_gfp_parse("GFP_KERNELXYZ", 10, &v), 0);
	assert_int_equal(v, 0xcc0);
	/* version meaning of the names that changed */
	assert_int_equal(gfp_parse_kver("GFP_ATOMIC", 10, PMM_KVER_6_6, &v), 0);
	assert_int_equal(v, 0x820);
	assert_int_equal(gfp_parse_kver("GFP_NOWAIT", 10, PMM_KVER_6_12, &v), 0);
	assert_int_equal(v, 0x2800);
	assert_int_equal(gfp_parse_kver("GFP_NOWAIT", 10, PMM_KVER_6_1, &v), 0);
	assert_int_equal(v, 0x800);
}

/* A kernel release, as uname -r or a trace.dat's UNAME option gives it, picks a name table. */
static void test_kver_from_release(void **state)
{
	static const struct {
		const char *release;
		int err;
		enum pmm_kver want;
	} cases[] = {
		{ "6.1.192-pageowner", 0, PMM_KVER_6_1 },
		{ "6.1", 0, PMM_KVER_6_1 },
		{ "6.2.16", 0, PMM_KVER_6_1 },
		{ "3.10.0-1160.el7.x86_64", 0, PMM_KVER_6_1 },
		{ "2.6.32-754.el6.x86_64", 0, PMM_KVER_6_1 },
		{ "5.15.0-91-generic", 0, PMM_KVER_6_1 },
		{ "6.3.0", 0, PMM_KVER_6_6 },
		{ "6.6.150", 0, PMM_KVER_6_6 },
		{ "6.7.12", 0, PMM_KVER_6_6 },
		{ "6.8.0-31-generic", 0, PMM_KVER_6_12 },
		{ "6.11-rc7", 0, PMM_KVER_6_12 },
		{ "6.12.15", 0, PMM_KVER_6_12 },
		{ "6.18.9", 0, PMM_KVER_6_12 },
		{ "7.0", 0, PMM_KVER_6_12 },
		{ "Linux 6.6.0", 0, PMM_KVER_6_6 },
		{ "v6.12", 0, PMM_KVER_6_12 },
		{ "", -PMM_EINVAL, PMM_KVER_6_6 },
		{ "6", -PMM_EINVAL, PMM_KVER_6_6 },
		{ "6.", -PMM_EINVAL, PMM_KVER_6_6 },
		{ ".12", -PMM_EINVAL, PMM_KVER_6_6 },
		{ "6,12", -PMM_EINVAL, PMM_KVER_6_6 },
		{ "x6.12", -PMM_EINVAL, PMM_KVER_6_6 },
		{ "1006.1", -PMM_EINVAL, PMM_KVER_6_6 },
		{ "6.1000", -PMM_EINVAL, PMM_KVER_6_6 },
		{ " 6.1", -PMM_EINVAL, PMM_KVER_6_6 },
	};
	enum pmm_kver k;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = PMM_KVER_6_6; /* unchanged on error */
		if (pmm_kver_from_release(cases[i].release, &k) != cases[i].err || k != cases[i].want)
			fail_msg("\"%s\": %d, kver %d; want %d, kver %d", cases[i].release,
				 pmm_kver_from_release(cases[i].release, &k), (int)k, cases[i].err,
				 (int)cases[i].want);
	}
	assert_int_equal(pmm_kver_from_release(NULL, &k), -PMM_EINVAL);
	assert_int_equal(pmm_kver_from_release("6.1", NULL), -PMM_EINVAL);
}

/*
 * Names that Linux 4.19 and older print (include/trace/events/mmflags.h
 * since 4.6, gfpflags.h before it, whose single bits had no "__" before
 * 4.6): read with their 6.1 meaning, or as no bit when 6.1 has none.
 */
static void test_parse_names_of_older_kernels(void **state)
{
	static const struct {
		const char *text;
		pmm_gfp_t want;
	} cases[] = {
		/* 4.x mmflags.h */
		{ "GFP_TEMPORARY", PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE },
		{ "GFP_KERNEL|__GFP_COLD", PMM_GFP_KERNEL },
		{ "GFP_KERNEL|__GFP_NOTRACK", PMM_GFP_KERNEL },
		{ "GFP_TRANSHUGE|__GFP_OTHER_NODE", PMM_GFP_TRANSHUGE },
		{ "GFP_KERNEL|__GFP_REPEAT", PMM_GFP_KERNEL | PMM___GFP_RETRY_MAYFAIL },
		{ "GFP_TRANSHUGE_LIGHT|__GFP_THISNODE", PMM_GFP_TRANSHUGE_LIGHT | PMM___GFP_THISNODE },
		/* 3.x and 4.0-4.5 */
		{ "__GFP_WAIT", PMM___GFP_DIRECT_RECLAIM },
		{ "GFP_IOFS", PMM___GFP_IO | PMM___GFP_FS },
		/* "do not wake kswapd": 6.1 has no bit for it, it lacks __GFP_KSWAPD_RECLAIM */
		{ "GFP_HIGHUSER_MOVABLE|__GFP_NO_KSWAPD",
		  PMM_GFP_HIGHUSER_MOVABLE & ~PMM___GFP_KSWAPD_RECLAIM },
		{ "__GFP_NO_KSWAPD", 0 },
		{ "GFP_KERNEL|__GFP_NOACCOUNT", PMM_GFP_KERNEL },
		{ "GFP_KERNEL|__GFP_KMEMCG", PMM_GFP_KERNEL | PMM___GFP_ACCOUNT },
		/* gfpflags.h before 4.6 spelt single bits without "__" */
		{ "GFP_HIGH|GFP_WAIT|GFP_IO", PMM___GFP_HIGH | PMM___GFP_DIRECT_RECLAIM | PMM___GFP_IO },
		{ "GFP_KERNEL|GFP_COLD|GFP_NOWARN|GFP_REPEAT|GFP_NOFAIL|GFP_NORETRY",
		  PMM_GFP_KERNEL | PMM___GFP_NOWARN | PMM___GFP_RETRY_MAYFAIL | PMM___GFP_NOFAIL |
			  PMM___GFP_NORETRY },
		{ "GFP_USER|GFP_COMP|GFP_ZERO|GFP_NOMEMALLOC|GFP_MEMALLOC|GFP_HARDWALL|GFP_THISNODE",
		  PMM_GFP_USER | PMM___GFP_COMP | PMM___GFP_ZERO | PMM___GFP_NOMEMALLOC |
			  PMM___GFP_MEMALLOC | PMM___GFP_THISNODE },
		{ "GFP_NOFS|GFP_RECLAIMABLE|GFP_MOVABLE|GFP_NOTRACK|GFP_NO_KSWAPD|GFP_OTHER_NODE",
		  (PMM_GFP_NOFS | PMM___GFP_RECLAIMABLE | PMM___GFP_MOVABLE) &
			  ~PMM___GFP_KSWAPD_RECLAIM },
		{ "GFP_KMEMCG|GFP_DIRECT_RECLAIM|GFP_KSWAPD_RECLAIM",
		  PMM___GFP_ACCOUNT | PMM___GFP_RECLAIM },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_parse(cases[i].text, 0, cases[i].want);
	/* still refused: names no kernel printed */
	expect_parse("__GFP_COLDER", -PMM_EINVAL, 0);
	expect_parse("GFP_FOO", -PMM_EINVAL, 0);
	expect_parse("GFP_", -PMM_EINVAL, 0);
}

/* format -> parse is the identity, for every kernel version. */
static void test_round_trip(void **state)
{
	static const enum pmm_kver kvers[] = { PMM_KVER_6_1, PMM_KVER_6_6, PMM_KVER_6_12 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 200000; i++) {
			char buf[512];
			pmm_gfp_t m, back;

			if (i < 32) {
				m = 1u << i;
			} else {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				m = (pmm_gfp_t)x & (i & 1 ? 0xffffffffu : PMM___GFP_BITS_MASK);
			}
			pmm_gfp_format_trace(buf, sizeof(buf), m, kvers[k]);
			if (gfp_parse_kver(buf, strlen(buf), kvers[k], &back) != 0 || back != m)
				fail_msg("kver %d: 0x%x -> \"%s\" -> 0x%x", (int)kvers[k], m, buf, back);
		}
	}
}

/* Every record of the real dump: "mask 0x...(NAMES)" where NAMES = %pGg. */
static void test_page_owner_masks(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/page_owner.txt.xz");
	size_t len, records = 0, nonzero = 0, heads = 0;
	char *text = pmm_test_read_file(path, &len);
	const char *p = text, *end = text + len;

	(void)state;
	while (p && p < end) {
		const char *next, *m, *close;
		size_t n = line_at(p, end, &next), nlen;
		char *hexend, buf[512];
		pmm_gfp_t mask, back;

		if (n > 24 && memcmp(p, "Page allocated via order", 24) == 0)
			heads++;
		m = line_find(p, n, ", mask 0x");
		if (m) {
			mask = (pmm_gfp_t)strtoul(m + 9, &hexend, 16);
			assert_int_equal(*hexend, '(');
			close = memchr(hexend, ')', (size_t)(p + n - hexend));
			assert_non_null(close);
			nlen = (size_t)(close - hexend - 1);
			pmm_gfp_format(buf, sizeof(buf), mask, PMM_KVER_6_1);
			if (strlen(buf) != nlen || memcmp(buf, hexend + 1, nlen) != 0)
				fail_msg("record %zu: mask 0x%x: kernel printed \"%.*s\", pmm \"%s\"",
					 records, mask, (int)nlen, hexend + 1, buf);
			if (mask) {
				assert_int_equal(pmm_gfp_parse(hexend + 1, nlen, &back), 0);
				assert_int_equal(back, mask);
				nonzero++;
			}
			records++;
		}
		p = next;
	}
	/* one mask per record header, counted independently */
	assert_int_equal(records, heads);
	assert_true(records > 0);
	assert_true(nonzero > 0);
	free(text);
	free(path);
}

/* Every gfp_flags= of the real trace parses and prints back the same. */
static void test_trace_masks(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/trace.txt.xz");
	size_t len, seen = 0;
	char *text = pmm_test_read_file(path, &len);
	const char *p = text, *end = text + len;

	(void)state;
	while (p && p < end) {
		const char *next, *f;
		size_t n = line_at(p, end, &next), vlen;
		pmm_gfp_t m;
		char buf[512];

		f = line_find(p, n, " gfp_flags=");
		if (f) {
			const char *v = f + 11;

			vlen = (size_t)(p + n - v);
			if (pmm_gfp_parse(v, vlen, &m) != 0)
				fail_msg("cannot parse \"%.*s\"", (int)vlen, v);
			pmm_gfp_format_trace(buf, sizeof(buf), m, PMM_KVER_6_1);
			if (strlen(buf) != vlen || memcmp(buf, v, vlen) != 0)
				fail_msg("\"%.*s\" -> 0x%x -> \"%s\"", (int)vlen, v, m, buf);
			seen++;
		}
		p = next;
	}
	assert_true(seen > 0);
	free(text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_examples_6_1),
		cmocka_unit_test(test_version_deltas),
		cmocka_unit_test(test_trace_spelling_and_truncation),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_names_of_older_kernels),
		cmocka_unit_test(test_kver_from_release),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_page_owner_masks),
		cmocka_unit_test(test_trace_masks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
