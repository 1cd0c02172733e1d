// SPDX-License-Identifier: MIT
/*
 * Tests for owner-sort (src/report/owner_sort*.c).
 *
 *  - golden: the real Linux 6.1 dump and the kernel tool's own outputs for
 *    six option sets, byte for byte;
 *  - patterns: the hand-written regex emulation against <regex.h>;
 *  - oracle: generated dumps (and mangled ones, in lenient mode) under many
 *    option sets against tests/owner_sort_oracle.h, a literal slow
 *    re-derivation of the tool;
 *  - formats and quirks checked by hand on tiny dumps;
 *  - malformed input: the file:line: reason messages, no crash;
 *  - option parsing, API misuse, I/O errors, -d messages;
 *  - Linux 6.12's tool (--kver 6.12): its own outputs of a dump pmm wrote
 *    and of the real 6.1 dump put in 6.12's format, byte for byte; the ts
 *    cut and merge on a hand-written dump; the oracle's 6.12 mode on
 *    generated and mangled dumps; its strict mode, options and -d.
 */
#include "harness.h"

#include <pmm/errno.h>
#include <pmm/owner_sort.h>

#include "owner_sort_oracle.h"
#include "report/owner_sort_record.h"

/* ------------------------------------------------------------ helpers */

static FILE *open_in(const char *in, size_t len)
{
	FILE *f;

	if (len)
		return fmemopen((void *)in, len, "r");
	f = tmpfile();
	assert_non_null(f);
	return f;
}

static int run_opts(const struct pmm_owner_sort_opts *o, const char *in, size_t len,
		    char **out, size_t *outlen, char *err, size_t errlen)
{
	FILE *fin = open_in(in, len), *fout;
	int ret;

	assert_non_null(fin);
	*out = NULL;
	*outlen = 0;
	fout = open_memstream(out, outlen);
	assert_non_null(fout);
	ret = pmm_owner_sort_run(o, fin, "t.txt", fout, err, errlen);
	fclose(fout);
	fclose(fin);
	return ret;
}

/* Parse "owner-sort" + args (NULL-terminated); fails the test on error. */
static void parse(struct pmm_owner_sort_opts *o, const char *const *args)
{
	const char *argv[32], *ops[2];
	char err[256];
	int argc = 1, nr;

	argv[0] = "owner-sort";
	while (args && args[argc - 1])
		argv[argc] = args[argc - 1], argc++;
	argv[argc] = NULL;
	pmm_owner_sort_opts_init(o);
	if (pmm_owner_sort_parse_args(o, argc, (char *const *)argv, ops, 2, &nr, err, sizeof(err)))
		fail_msg("parse failed: %s", err);
}

static int parse_err(const char *const *args, char *err, size_t errlen)
{
	struct pmm_owner_sort_opts o;
	const char *argv[32], *ops[2];
	int argc = 1, nr;

	argv[0] = "owner-sort";
	while (args[argc - 1])
		argv[argc] = args[argc - 1], argc++;
	argv[argc] = NULL;
	pmm_owner_sort_opts_init(&o);
	return pmm_owner_sort_parse_args(&o, argc, (char *const *)argv, ops, 2, &nr, err, errlen);
}

/* Library output for args on in[0..len); fails on error. */
static char *lib_output(const char *const *args, bool lenient, const char *in, size_t len,
			size_t *outlen)
{
	struct pmm_owner_sort_opts o;
	char *out, err[256];
	int ret;

	parse(&o, args);
	o.lenient = lenient;
	ret = run_opts(&o, in, len, &out, outlen, err, sizeof(err));
	if (ret)
		fail_msg("run failed: %d %s", ret, err);
	return out;
}

static char *oracle_output(const char *const *args, const char *in, size_t len, size_t *outlen)
{
	struct pmm_owner_sort_opts o;
	char *out = NULL;

	parse(&o, args);
	assert_int_equal(oracle_run(&o, in, len, &out, outlen, NULL), 0);
	return out;
}

static char *args_str(const char *const *args)
{
	static char buf[256];

	buf[0] = 0;
	for (int i = 0; args[i]; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s", args[i]);
	return buf;
}

/* ------------------------------------------------------------ golden */

static const struct {
	const char *file;
	const char *args[4];
} goldens[] = {
	{ "a-default", { NULL } },
	{ "a-m", { "-m", NULL } },
	{ "a-cull-stacktrace", { "--cull", "stacktrace", NULL } },
	{ "a-cull-pid-name-m", { "-m", "--cull", "pid,name", NULL } },
	{ "a-sort-pid", { "--sort=-p,n", NULL } },
	{ "a-name", { "--name", "swapper/0", NULL } },
};

/* Every golden of the capture whose dump and page_owner_sort/ outputs are at @dump_path and @dir. */
static void check_goldens(const char *dump_path, const char *dir)
{
	size_t dlen;
	char *dump = pmm_test_read_file(dump_path, &dlen);

	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		char path[1024], *exp, *out;
		size_t elen, olen;

		snprintf(path, sizeof(path), "%s/page_owner_sort/%s.out.xz", dir, goldens[i].file);
		exp = pmm_test_read_file(path, &elen);
		out = lib_output(goldens[i].args, false, dump, dlen, &olen);
		pmm_test_assert_text_eq(path, exp, elen, out, olen);
		free(out);
		if (i == 0) { /* lenient mode reads a well-formed dump the same way */
			out = lib_output(goldens[i].args, true, dump, dlen, &olen);
			pmm_test_assert_text_eq("a-default, lenient", exp, elen, out, olen);
			free(out);
		}
		free(exp);
	}
	free(dump);
}

static void test_golden(void **state)
{
	char *dump_path = pmm_test_shared("a-1g-1node-mixed/page_owner.txt.xz");
	char *dir = strdup(dump_path);

	(void)state;
	*strrchr(dir, '/') = '\0';
	check_goldens(dump_path, dir);
	free(dir);
	free(dump_path);
}

/*
 * A second real dump that ships with pmm (tests/data/captures): a two-node
 * 6.1.192 guest, and the kernel's own page_owner_sort outputs of it.
 */
static void test_golden_shipped(void **state)
{
	char *dir = pmm_test_source_path("tests/data/captures/f-2g-2node-pageowner");
	char dump_path[1024];

	(void)state;
	snprintf(dump_path, sizeof(dump_path), "%s/page_owner.txt.xz", dir);
	check_goldens(dump_path, dir);
	free(dir);
}

/* Streaming: the dump through a pipe-like stream that returns tiny reads. */
struct trickle {
	const char *p;
	size_t left;
	unsigned int step;
};

static ssize_t trickle_read(void *c, char *buf, size_t size)
{
	struct trickle *t = c;
	size_t n = 1 + t->step++ % 97; /* odd, small reads: lines cross every boundary */

	if (n > t->left)
		n = t->left;
	if (n > size)
		n = size;
	memcpy(buf, t->p, n);
	t->p += n;
	t->left -= n;
	return (ssize_t)n;
}

static void test_golden_trickle(void **state)
{
	char *dump_path = pmm_test_shared("a-1g-1node-mixed/page_owner.txt.xz");
	char *path = pmm_test_shared("a-1g-1node-mixed/page_owner_sort/a-cull-stacktrace.out.xz");
	size_t dlen, elen, olen;
	char *dump = pmm_test_read_file(dump_path, &dlen);
	char *exp = pmm_test_read_file(path, &elen), *out, err[256];
	struct trickle t = { dump, dlen, 0 };
	cookie_io_functions_t io = { .read = trickle_read };
	struct pmm_owner_sort_opts o;
	FILE *fin = fopencookie(&t, "r", io), *fout;
	const char *args[] = { "--cull", "stacktrace", NULL };

	(void)state;
	setvbuf(fin, NULL, _IOFBF, 64);
	parse(&o, args);
	fout = open_memstream(&out, &olen);
	assert_int_equal(pmm_owner_sort_run(&o, fin, "pipe", fout, err, sizeof(err)), 0);
	fclose(fout);
	fclose(fin);
	pmm_test_assert_text_eq("trickle --cull stacktrace", exp, elen, out, olen);
	free(out);
	free(exp);
	free(dump);
	free(path);
	free(dump_path);
}

/* ------------------------------------------------------------ patterns */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static uint32_t rndn(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* A string of pattern-ish tokens: where the tricky matches live. */
static size_t random_field_text(char *s, size_t cap)
{
	static const char *const tok[] = {
		"order", "pid", "tgid", "ts", "free_ts", "ns", "ns,", ",", " ", "  ", "\t", "\n",
		"\v", "(", ")", "),", "0", "7", "42", "18446744073709551616", "9999999999",
		"x", "a", "Page allocated via ", "(bash)", "), ts ", " ns, ", "s", "t", "\r",
	};
	size_t n = 0, k = 1 + rndn(24);

	for (size_t i = 0; i < k; i++) {
		const char *t = tok[rndn(sizeof(tok) / sizeof(tok[0]))];
		size_t l = strlen(t);

		if (n + l + 2 > cap)
			break;
		memcpy(s + n, t, l);
		n += l;
	}
	s[n] = 0;
	return n;
}

/* The tool's patterns (the oracle's), in pmm's field order, then 6.12's ts. */
#define TS612 OWNER_NR_FIELDS
_Static_assert(TS612 == ORACLE_TS612, "the oracle's patterns are pmm's fields, then 6.12's ts");

/* Does the 6.12 tool look for field f?  (It has no free_ts.) */
static bool sought(enum owner_tool tool, int f)
{
	return tool == OWNER_TOOL_6_1 || f != OWNER_FIELD_FREE_TS;
}

static void test_patterns_vs_regex(void **state)
{
	regex_t re[OWNER_NR_FIELDS + 1];
	char s[512];

	(void)state;
	for (int f = 0; f <= OWNER_NR_FIELDS; f++)
		assert_int_equal(regcomp(&re[f], oracle_pats[f], REG_EXTENDED | REG_NEWLINE), 0);
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 40000; iter++) {
		size_t n = random_field_text(s, sizeof(s));
		enum owner_tool tool = iter % 2 ? OWNER_TOOL_6_12 : OWNER_TOOL_6_1;

		for (int f = 0; f < OWNER_NR_FIELDS; f++) {
			regmatch_t m[2];
			int rf = tool == OWNER_TOOL_6_12 && f == OWNER_FIELD_TS ? TS612 : f;
			bool rx = regexec(&re[rf], s, 2, m, REG_NOTBOL) == 0 && m[1].rm_so != -1;
			size_t cap = 0, len = 0;
			bool me = owner_field_match(tool, (enum owner_field)f, s, n, &cap, &len);

			if (rx != me)
				fail_msg("field %d (tool %d) on \"%s\": regex %d, emulation %d", f, tool,
					 s, rx, me);
			if (rx && ((size_t)(m[1].rm_eo - m[1].rm_so) != len ||
				   memcmp(s + m[1].rm_so, s + cap, len) != 0))
				fail_msg("field %d (tool %d) on \"%s\": regex captured \"%.*s\", "
					 "emulation \"%.*s\"", f, tool, s, (int)(m[1].rm_eo - m[1].rm_so),
					 s + m[1].rm_so, (int)len, s + cap);
		}
	}
	for (int f = 0; f <= OWNER_NR_FIELDS; f++)
		regfree(&re[f]);
}

/* owner_record_parse() finds fields in one pass; it must agree with one-by-one. */
static void test_parse_one_pass(void **state)
{
	char s[512];

	(void)state;
	rng_state = 12345;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = random_field_text(s, sizeof(s) - 1), cap, len;
		struct owner_record r;
		enum owner_tool tool = iter % 2 ? OWNER_TOOL_6_12 : OWNER_TOOL_6_1;

		s[n++] = '\n';
		s[n] = 0;
		owner_record_parse(&r, tool, s, n, "", 0);
		if (tool == OWNER_TOOL_6_12) { /* no free_ts: never read, never bad */
			assert_true(r.free_ts == 0);
			assert_false((r.bad | r.nomatch) & (1u << OWNER_FIELD_FREE_TS));
		}
		for (int f = 0; f < OWNER_NR_FIELDS; f++) {
			bool m = owner_field_match(tool, (enum owner_field)f, s, n, &cap, &len);

			if (!sought(tool, f))
				continue;
			assert_int_equal(!m, !!(r.nomatch & (1u << f)));
			if (f == OWNER_FIELD_COMM && m) {
				assert_int_equal(r.comm_off, cap);
				assert_int_equal(r.comm_len, len);
			}
			if (f == OWNER_FIELD_TS)
				assert_true(m ? r.ts_off == cap : r.ts_off == SIZE_MAX);
		}
		{
			unsigned int bad = 0;
			int pages = owner_record_pages(s, n, &bad);

			assert_int_equal(pages, r.pages);
			assert_int_equal(!!(bad & 1u), !!(r.bad & 1u));
		}
	}
}

/* A header in (or near) the 6.1 or 6.12 layout, with hostile names and task names. */
static size_t random_header(char *s, size_t cap)
{
	static const char *const tails[] = { ", free_ts %s ns", ", free_ts %s ns", ", free_ts %s ns",
					     "", "", " free_ts %s ns", ", free_ts %s nsx", "x" };
	char tail[64];
	static const char *const names[] = { "", "GFP_KERNEL", "GFP_NOFS|__GFP_ZERO", "0xabc",
					     "GFP_pid", "ts", "free_ts 1 ns", "order 2," };
	static const char *const comm_tok[] = { "a", "ts", "t", "s", ")", ",", "(", " ", "), ts 1 ns,",
						"tgid 5 (", "free_ts 3 ns", "pid 9,", "order 4,", "x" };
	static const char *const digits[] = { "0", "7", "812", "", "99999999999999999999999" };
	char comm[128] = "";
	size_t k = rndn(5);

	for (size_t i = 0; i < k; i++)
		strcat(comm, comm_tok[rndn(sizeof(comm_tok) / sizeof(comm_tok[0]))]);
	snprintf(tail, sizeof(tail), tails[rndn(8)], digits[rndn(5)]);
	return (size_t)snprintf(s, cap,
				"Page allocated via order %s, mask 0x%s(%s), pid %s, tgid %s (%s), "
				"ts %s ns%s\n stack_frame+0x1/0x2\n",
				digits[rndn(5)], rndn(8) ? "cc0" : "", names[rndn(8)],
				digits[rndn(5)], digits[rndn(5)], comm, digits[rndn(5)], tail);
}

/* The canonical fast path of owner_record_parse() must agree with the patterns. */
static void test_parse_canonical(void **state)
{
	char s[512];
	unsigned int canonical[2] = { 0, 0 };

	(void)state;
	rng_state = 4242;
	for (int iter = 0; iter < 60000; iter++) {
		size_t n = random_header(s, sizeof(s) - 1), cap, len;
		struct owner_record r;
		enum owner_tool tool = iter % 2 ? OWNER_TOOL_6_12 : OWNER_TOOL_6_1;

		s[n++] = '\n';
		s[n] = 0;
		owner_record_parse(&r, tool, s, n, "", 0);
		canonical[tool] += r.canonical;
		for (int f = 0; f < OWNER_NR_FIELDS; f++) {
			bool m = owner_field_match(tool, (enum owner_field)f, s, n, &cap, &len);

			if (!sought(tool, f))
				continue;
			if (m != !(r.nomatch & (1u << f)) ||
			    (m && (r.cap[f] != cap || r.len[f] != len)))
				fail_msg("field %d of \"%s\": pattern %d [%zu,+%zu), parse %d [%zu,+%zu)%s",
					 f, s, m, cap, len, !(r.nomatch & (1u << f)), r.cap[f], r.len[f],
					 r.canonical ? " (canonical)" : "");
		}
	}
	/* both paths were exercised, for each tool */
	for (int t = 0; t < 2; t++) {
		assert_true(canonical[t] > 1000);
		assert_true(canonical[t] < 29000);
	}
}

/* ------------------------------------------------------------ generated dumps */

struct gen {
	bool v612;              /* write 6.12's format: no free_ts, hex PFN */
	char *buf;
	size_t len, cap;
	char last[1024];        /* last record, for exact repeats */
	size_t last_len;
	char saved[8][1024];    /* earlier records, for later repeats */
	size_t saved_len[8];
};

static void gen_put(struct gen *g, const char *s, size_t n)
{
	if (g->len + n + 1 > g->cap) {
		g->cap = (g->len + n + 1) * 2;
		g->buf = realloc(g->buf, g->cap);
		assert_non_null(g->buf);
	}
	memcpy(g->buf + g->len, s, n);
	g->len += n;
	g->buf[g->len] = 0;
}

static const char *const stacks[] = {
	" get_page_from_freelist+0x506/0x1100\n __alloc_pages+0x1dc/0x330\n"
	" folio_alloc+0x17/0x50\n __filemap_get_folio+0x155/0x340\n",
	" get_page_from_freelist+0x506/0x1100\n __alloc_pages+0x1dc/0x330\n"
	" allocate_slab+0x334/0x490\n ___slab_alloc+0x336/0x940\n",
	" __alloc_pages_bulk+0x230/0x6a0\n __vmalloc_node_range+0x19c/0x598\n"
	" module_alloc+0x4e/0x60\n",
	" get_page_from_freelist+0x506/0x1100\n __vmalloc_node_range+0x234/0x598\n"
	" bpf_jit_alloc_exec+0x10/0x20\n",
	" register_early_stack+0x36/0x6a\n init_page_owner+0x38/0x33d\n",
	" alloc_pages+0xac/0x150\n __vmalloc_node_range+0x44c/0x598\n vmalloc+0x1/0x2\n",
	" get_page_from_freelist+0x506/0x1100\n",
	"",
};

static const struct {
	int pid, tgid;
	const char *comm;
} tasks[] = {
	{ 1, 1, "swapper/0" }, { 1, 1, "init" },   { 812, 812, "bash" },  { 813, 812, "bash" },
	{ 23, 23, "kworker/u4:1" }, { 0, 0, "swapper/0" }, { 1446, 1446, "cat" },
	{ 70, 65, "ts worker" }, { 71, 65, "a(b)c" }, { 2, 2, "kthreadd" },
};

static const struct {
	unsigned int mask;
	const char *names;
} masks[] = {
	{ 0x0, "" }, { 0xcc0, "GFP_KERNEL" }, { 0x100cca, "GFP_HIGHUSER_MOVABLE" },
	{ 0x12c50, "GFP_NOFS|__GFP_NOWARN|__GFP_NORETRY|__GFP_RECLAIMABLE" },
};

static void gen_record(struct gen *g)
{
	char rec[1024];
	int n;
	uint64_t ts, fts;
	int t = (int)rndn(sizeof(tasks) / sizeof(tasks[0])), m = (int)rndn(4);
	static const unsigned int orders[] = { 0, 0, 0, 1, 2, 3, 9, 10 };
	static uint64_t prev_ts = 1000000;
	uint32_t dice = rndn(100);

	if (dice < 8 && g->last_len) { /* the same text again, maybe another PFN line */
		static const char *const pfns[] = {
			"PFN 5 type Unmovable Block 0 type Unmovable Flags 0x200(slab|node=0)\n",
			"PFN 6 type Movable Block 0 type CMA Flags 0x0(node=0)\n",
			"PFN 7 type Movable Block 0 type Movable Flags 0x0(node=0)\n",
		};
		const char *pfn = strstr(g->last, "\nPFN ");
		const char *rest = pfn ? strchr(pfn + 1, '\n') + 1 : g->last + g->last_len;
		size_t head = pfn ? (size_t)(pfn - g->last) + 1 : g->last_len;

		gen_put(g, g->last, head);
		{
			const char *p = pfns[rndn(3)];

			gen_put(g, p, strlen(p));
		}
		gen_put(g, rest, g->last_len - (size_t)(rest - g->last));
		return;
	}
	if (dice < 14) { /* an earlier record again */
		int k = (int)rndn(8);

		if (g->saved_len[k]) {
			gen_put(g, g->saved[k], g->saved_len[k]);
			return;
		}
	}
	ts = rndn(10) == 0 ? prev_ts : prev_ts + rndn(1000000);
	prev_ts = ts;
	switch (rndn(4)) {
	case 0:
	case 1:
		fts = 0;
		break;
	case 2:
		fts = ts > 10 ? ts - rndn(10) : 0;
		break;
	default:
		fts = ts + rndn(1000);
		break;
	}
	{
		unsigned int order = orders[rndn(8)], pfn = rnd() % 100000, block = rnd() % 200;
		unsigned int flags = rnd() % 0x1000;
		const char *mt = rndn(6) ? "Unmovable" : "CMA";
		const char *bmt = rndn(5) ? "Movable" : "Reclaimable";
		const char *fl = rndn(3) ? "node=0|zone=1" : "slab|node=0";
		const char *stack = stacks[rndn(sizeof(stacks) / sizeof(stacks[0]))];
		const char *mig = rndn(8) ? "" : "Page has been migrated, last migrate reason: compaction\n";
		const char *memcg = rndn(5) ? "" : "Charged to memcg /\n";
		char free_ts[48] = "", pfn_s[16];

		/* from 6.12 the header ends after ts, and the PFN is in hex */
		if (!g->v612)
			snprintf(free_ts, sizeof(free_ts), ", free_ts %llu ns", (unsigned long long)fts);
		snprintf(pfn_s, sizeof(pfn_s), g->v612 ? "0x%x" : "%u", pfn);
		n = snprintf(rec, sizeof(rec),
			     "Page allocated via order %u, mask 0x%x(%s), pid %d, tgid %d (%s), ts %llu ns%s\n"
			     "PFN %s type %s Block %u type %s Flags 0x%x(%s)\n%s%s%s\n",
			     order, masks[m].mask, masks[m].names, tasks[t].pid, tasks[t].tgid,
			     tasks[t].comm, (unsigned long long)ts, free_ts, pfn_s, mt, block, bmt, flags,
			     fl, stack, mig, memcg);
	}
	assert_true(n > 0 && (size_t)n < sizeof(rec));
	gen_put(g, rec, (size_t)n);
	memcpy(g->last, rec, (size_t)n);
	g->last_len = (size_t)n;
	if (rndn(3) == 0) {
		int k = (int)rndn(8);

		memcpy(g->saved[k], rec, (size_t)n);
		g->saved_len[k] = (size_t)n;
	}
}

static char *gen_dump_as(bool v612, uint64_t seed, int records, size_t *len)
{
	struct gen g;

	memset(&g, 0, sizeof(g));
	g.v612 = v612;
	rng_state = seed;
	for (int i = 0; i < records; i++)
		gen_record(&g);
	*len = g.len;
	if (!g.buf)
		g.buf = calloc(1, 1);
	return g.buf;
}

static char *gen_dump(uint64_t seed, int records, size_t *len)
{
	return gen_dump_as(false, seed, records, len);
}

static const char *const option_sets[][6] = {
	{ NULL },
	{ "-a", NULL },
	{ "-m", NULL },
	{ "-n", NULL },
	{ "-p", NULL },
	{ "-P", NULL },
	{ "-r", NULL },
	{ "-s", NULL },
	{ "-t", NULL },
	{ "-f", NULL },
	{ "-f", "-m", NULL },
	{ "--cull=pid", NULL },
	{ "--cull=tgid", NULL },
	{ "--cull=name", NULL },
	{ "--cull=stacktrace", NULL },
	{ "--cull=free", NULL },
	{ "--cull=allocator", NULL },
	{ "--cull=p,tg,n,st,f,ator", NULL },
	{ "-m", "--cull=pid,name", NULL },
	{ "--cull=st", "-a", NULL },
	{ "--cull=n", "--sort=-at", NULL },
	{ "--cull=ator,f", "-r", NULL },
	{ "--sort=T", NULL },
	{ "--sort=-T", NULL },
	{ "--sort=st,-at", NULL },
	{ "--sort=ator,pid,name", NULL },
	{ "--sort=-ft", NULL },
	{ "--sort=tg,-p", NULL },
	{ "--sort=-p,n", NULL },
	{ "--sort=+n,-ator,ft", NULL },
	{ "--pid=1,812", NULL },
	{ "--tgid=812,65", NULL },
	{ "--name=bash,cat", NULL },
	{ "--pid=1", "--cull=st", NULL },
	{ "--name=swapper/0", "-m", NULL },
	{ "--tgid=1", "--cull=n", NULL },
	{ "--pid=0,1,2", "--tgid=1,2", "--name=init,kthreadd", "-s", NULL },
	{ "-a", "--cull=ator,f", NULL },
	{ "--cull=st", "--sort=T", NULL },
};

#define NR_SETS (sizeof(option_sets) / sizeof(option_sets[0]))

static void compare_with_oracle(const char *what, const char *const *args, bool lenient,
				const char *dump, size_t len)
{
	size_t olen, elen;
	char *exp = oracle_output(args, dump, len, &elen);
	char *out = lib_output(args, lenient, dump, len, &olen);
	char label[512];

	snprintf(label, sizeof(label), "%s%s%s", what, args_str(args), lenient ? " (lenient)" : "");
	pmm_test_assert_text_eq(label, exp, elen, out, olen);
	free(exp);
	free(out);
}

static void test_oracle_generated(void **state)
{
	(void)state;
	if (!oracle_exact_qsort()) {
		printf("SKIP: the oracle needs glibc's merge-sort qsort\n");
		skip();
	}
	/* every option set meets four dumps of 20..300 records, one of them also lenient */
	for (uint64_t seed = 1; seed <= 8; seed++) {
		size_t len;
		char *dump = gen_dump(seed * 0x9e3779b97f4a7c15ull, 20 + (int)(seed * 37 % 300), &len);
		char what[64];

		snprintf(what, sizeof(what), "generated dump %llu", (unsigned long long)seed);
		for (size_t i = 0; i < NR_SETS; i++) {
			if ((i + seed) % 2)
				continue;
			compare_with_oracle(what, option_sets[i], false, dump, len);
			if (seed > 6)
				compare_with_oracle(what, option_sets[i], true, dump, len);
		}
		free(dump);
	}
}

/* Mangle a dump: the lenient mode must still do exactly what the tool does. */
static size_t mangle(char *buf, size_t len, size_t cap)
{
	static const char *const tok[] = {
		"\n", "\n\n", "PFN 1 slab CMA\n", "order", " 12,", "pid", "tgid 5 (", "), ts 7 ns,",
		"free_ts 3 ns", "__vmalloc_node_range", "alloc_pages", "slab", "CMA", "(", ")",
		"99999999999999999999999", "4294967295", "order 31,", "order 65,", " ",
	};
	int ops = 1 + (int)rndn(6);

	for (int k = 0; k < ops; k++) {
		size_t at = len ? rndn((uint32_t)len) : 0;

		switch (rndn(5)) {
		case 0: { /* delete a range */
			size_t n = rndn(40);

			if (at + n > len)
				n = len - at;
			memmove(buf + at, buf + at + n, len - at - n);
			len -= n;
			break;
		}
		case 1: { /* insert a token */
			const char *t = tok[rndn(sizeof(tok) / sizeof(tok[0]))];
			size_t n = strlen(t);

			if (len + n >= cap)
				break;
			memmove(buf + at + n, buf + at, len - at);
			memcpy(buf + at, t, n);
			len += n;
			break;
		}
		case 2: /* flip a byte, sometimes to NUL */
			if (len)
				buf[at] = rndn(4) ? (char)rnd() : '\0';
			break;
		case 3: /* cut the end */
			len = at;
			break;
		default: /* duplicate a range */
		{
			size_t n = rndn(200);

			if (at + n > len)
				n = len - at;
			if (len + n >= cap)
				break;
			memmove(buf + at + n, buf + at, len - at);
			len += n;
			break;
		}
		}
	}
	return len;
}

/*
 * @dump (@len bytes, malloc'd; freed here) mangled by @seed: read
 * leniently, the oracle's report; strictly, that report too or a complaint
 * that names its line.
 */
static void mangled_as_oracle(char *dump, size_t len, uint64_t seed, const char *const *args,
			      const char *what)
{
	size_t cap = len * 2 + 64, olen;
	struct pmm_owner_sort_opts o;
	char *out, err[256], msg[96];
	int ret;

	dump = realloc(dump, cap);
	assert_non_null(dump);
	rng_state = seed;
	len = mangle(dump, len, cap);
	compare_with_oracle(what, args, true, dump, len);
	parse(&o, args);
	ret = run_opts(&o, dump, len, &out, &olen, err, sizeof(err));
	if (ret) {
		assert_int_equal(ret, -PMM_EBADMSG);
		assert_true(strncmp(err, "t.txt:", 6) == 0);
		assert_true(strchr(err + 6, ':') != NULL);
	} else {
		size_t elen;
		char *exp = oracle_output(args, dump, len, &elen);

		snprintf(msg, sizeof(msg), "%s accepted by strict mode", what);
		pmm_test_assert_text_eq(msg, exp, elen, out, olen);
		free(exp);
	}
	free(out);
	free(dump);
}

static void test_oracle_mangled(void **state)
{
	(void)state;
	if (!oracle_exact_qsort()) {
		printf("SKIP: the oracle needs glibc's merge-sort qsort\n");
		skip();
	}
	for (uint64_t seed = 1; seed <= 300; seed++) {
		size_t len;
		char *dump = gen_dump(seed * 7919, 3 + (int)(seed % 17), &len);

		mangled_as_oracle(dump, len, seed, option_sets[seed % NR_SETS], "mangled dump");
	}
}

/* ------------------------------------------------------------ formats by hand */

#define HDR(order, mask, names, pid, tgid, comm, ts, fts)                                       \
	"Page allocated via order " #order ", mask " #mask "(" names "), pid " #pid ", tgid " #tgid \
	" (" comm "), ts " #ts " ns, free_ts " #fts " ns\n"
#define PFN_PLAIN "PFN 300001 type Movable Block 585 type Movable Flags 0x17ffffc0080014(uptodate|lru|node=0)\n"
#define PFN_SLAB  "PFN 300002 type Unmovable Block 585 type Unmovable Flags 0x200(slab|node=0)\n"
#define STACK_A " post_alloc_hook+0x1e6/0x210\n get_page_from_freelist+0x5f1/0x1270\n"
#define STACK_B " post_alloc_hook+0x1e6/0x210\n __alloc_pages+0x1a3/0x330\n"

static const char tiny[] =
	HDR(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", 812, 812, "bash", 5178370999, 0)
	PFN_PLAIN STACK_A "\n"
	HDR(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", 2178370421, 100) PFN_SLAB STACK_B "\n"
	HDR(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", 813, 812, "bash", 6000000000, 0)
	PFN_PLAIN STACK_A "\n";

static void expect_out(const char *const *args, bool lenient, const char *in, size_t len,
		       const char *exp)
{
	size_t olen;
	char *out = lib_output(args, lenient, in, len, &olen);

	pmm_test_assert_text_eq(args_str(args), exp, strlen(exp), out, olen);
	free(out);
}

static void test_formats(void **state)
{
	const char *none[] = { NULL };
	const char *cull_all[] = { "--cull=pid,name,f,ator", NULL };
	const char *cull_st[] = { "--cull=st", NULL };
	const char *cull_tg[] = { "--cull=tg", NULL };
	const char *pid_filter[] = { "--pid=812", "--cull=st", NULL };
	const char *minus_m[] = { "-m", NULL };

	(void)state;
	/* no options: text order (strcmp: "order 0" < "order 1", pid 812 < 813) */
	expect_out(none, false, tiny, sizeof(tiny) - 1,
		   "1 times, 1 pages, allocated by OTHERS :\n"
		   HDR(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", 812, 812, "bash", 5178370999, 0)
		   STACK_A "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n"
		   HDR(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", 813, 812, "bash", 6000000000, 0)
		   STACK_A "\n"
		   "1 times, 2 pages, allocated by SLAB :\n"
		   HDR(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", 2178370421, 100) STACK_B "\n");
	/*
	 * The reference's --cull=pid,name,f,ator example: two spaces before
	 * "(".  All seen once, so the cull order stays: by pid.
	 */
	expect_out(cull_all, false, tiny, sizeof(tiny) - 1,
		   "1 times, 2 pages, PID 1, task_comm_name: systemd, allocated by SLAB  (UNRELEASED)\n"
		   "1 times, 1 pages, PID 812, task_comm_name: bash, allocated by OTHERS  (RELEASED)\n"
		   "1 times, 1 pages, PID 813, task_comm_name: bash, allocated by OTHERS  (RELEASED)\n");
	/* cull by stack: counts per stack, stack text after ":\n" */
	expect_out(cull_st, false, tiny, sizeof(tiny) - 1,
		   "2 times, 2 pages:\n" STACK_A "\n1 times, 2 pages:\n" STACK_B "\n");
	/* TGID prints the tgid (6.1.26+ stable fix), not the pid */
	expect_out(cull_tg, false, tiny, sizeof(tiny) - 1,
		   "2 times, 2 pages, TGID 812\n1 times, 2 pages, TGID 1\n");
	/* a --pid filter adds ", PID n" even when not culling by pid */
	expect_out(pid_filter, false, tiny, sizeof(tiny) - 1,
		   "1 times, 1 pages, PID 812:\n" STACK_A "\n");
	/* -m: by pages, descending; ties keep text order */
	expect_out(minus_m, false, tiny, sizeof(tiny) - 1,
		   "1 times, 2 pages, allocated by SLAB :\n"
		   HDR(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", 2178370421, 100) STACK_B "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n"
		   HDR(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", 812, 812, "bash", 5178370999, 0)
		   STACK_A "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n"
		   HDR(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", 813, 812, "bash", 6000000000, 0)
		   STACK_A "\n");
}

static void test_quirks(void **state)
{
	/* equal alloc ts: compare_ts never says "equal", so glibc's merge puts the right one first */
	static const char same_ts[] =
		HDR(0, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n"
		HDR(0, 0x0, "", 1, 1, "b", 5, 0) PFN_PLAIN STACK_A "\n";
	/* an exact repeat of the previous record folds into it even when its PFN line differs */
	static const char repeat[] =
		HDR(0, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n"
		HDR(0, 0x0, "", 1, 1, "a", 5, 0) PFN_SLAB STACK_A "\n"
		HDR(0, 0x0, "", 1, 1, "a", 6, 0) PFN_SLAB STACK_A "\n";
	/* VMALLOC needs "alloc_pages" on the line before __vmalloc_node_range */
	static const char vmalloc[] =
		HDR(0, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN
		" __alloc_pages_bulk+0x230/0x6a0\n __vmalloc_node_range+0x19c/0x598\n\n"
		HDR(0, 0x0, "", 1, 1, "a", 6, 0) PFN_PLAIN
		" get_page_from_freelist+0x1/0x2\n __vmalloc_node_range+0x19c/0x598\n\n";
	/* lenient: a stray blank line is an empty record; an unterminated last record is dropped */
	static const char loose[] =
		HDR(0, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n\n"
		HDR(2, 0x0, "", 1, 1, "a", 6, 0) PFN_PLAIN STACK_A;
	const char *a[] = { "-a", NULL }, *ator[] = { "--cull=ator", NULL }, *none[] = { NULL };
	const char *cullp[] = { "--cull=p", NULL };

	(void)state;
	expect_out(a, false, same_ts, sizeof(same_ts) - 1,
		   "1 times, 1 pages, allocated by OTHERS :\n" HDR(0, 0x0, "", 1, 1, "b", 5, 0) STACK_A
		   "\n1 times, 1 pages, allocated by OTHERS :\n" HDR(0, 0x0, "", 1, 1, "a", 5, 0) STACK_A
		   "\n");
	expect_out(ator, false, repeat, sizeof(repeat) - 1,
		   "2 times, 2 pages, allocated by OTHERS \n1 times, 1 pages, allocated by SLAB \n");
	expect_out(none, false, vmalloc, sizeof(vmalloc) - 1,
		   "1 times, 1 pages, allocated by VMALLOC :\n" HDR(0, 0x0, "", 1, 1, "a", 5, 0)
		   " __alloc_pages_bulk+0x230/0x6a0\n __vmalloc_node_range+0x19c/0x598\n\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" HDR(0, 0x0, "", 1, 1, "a", 6, 0)
		   " get_page_from_freelist+0x1/0x2\n __vmalloc_node_range+0x19c/0x598\n\n");
	expect_out(cullp, true, loose, sizeof(loose) - 1,
		   "1 times, 0 pages, PID -1\n1 times, 1 pages, PID 1\n");

	/*
	 * Page counts are the tool's int: an order-31 record is 2^31 pages,
	 * -2147483648 printed, and two of them wrap to 0, whether the second
	 * folds into the first as an exact repeat or by culling (found by a
	 * long fuzz run: the oracle's sums overflowed, which is undefined in
	 * C; both now wrap as the tool's build does).
	 */
	{
		static const char big[] =
			HDR(31, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n"
			HDR(31, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n"
			HDR(31, 0x0, "", 1, 1, "a", 6, 0) PFN_PLAIN STACK_A "\n";
		const char *st[] = { "--cull=st", NULL };

		expect_out(st, true, big, sizeof(big) - 1,
			   "3 times, -2147483648 pages:\n" STACK_A "\n");
		compare_with_oracle("order 31", st, true, big, sizeof(big) - 1);
		compare_with_oracle("order 31", none, true, big, sizeof(big) - 1);
	}

	/*
	 * Text order when one record's text up to its ts value ("abc ts ", the
	 * ts capture being empty) is a prefix of the other's ("abc ts a ts "):
	 * "abc ts a..." < "abc ts n...".
	 */
	{
		static const char prefix[] = "abc ts ns, x\n stack\n\nabc ts a ts 6 ns,\n stack\n\n";

		expect_out(none, true, prefix, sizeof(prefix) - 1,
			   "1 times, 0 pages, allocated by OTHERS :\nabc ts a ts 6 ns,\n stack\n\n"
			   "1 times, 0 pages, allocated by OTHERS :\nabc ts ns, x\n stack\n\n");
		compare_with_oracle("head prefix", none, true, prefix, sizeof(prefix) - 1);
	}
}

/* ------------------------------------------------------------ malformed input */

static void expect_bad(const char *in, size_t len, const char *msg)
{
	struct pmm_owner_sort_opts o;
	char *out, err[256];
	size_t olen;
	int ret;

	pmm_owner_sort_opts_init(&o);
	ret = run_opts(&o, in, len, &out, &olen, err, sizeof(err));
	if (ret != -PMM_EBADMSG)
		fail_msg("expected -PMM_EBADMSG (%s), got %d", msg, ret);
	if (strcmp(err, msg) != 0)
		fail_msg("expected message \"%s\", got \"%s\"", msg, err);
	assert_int_equal(olen, 0); /* nothing written */
	free(out);
	/* lenient mode takes anything */
	o.lenient = true;
	assert_int_equal(run_opts(&o, in, len, &out, &olen, err, sizeof(err)), 0);
	free(out);
}

#define REC(ts) HDR(0, 0x0, "", 1, 1, "a", ts, 0) PFN_PLAIN STACK_A

static void test_malformed(void **state)
{
	static const char truncated[] = REC(5) "\n" REC(6);
	static const char midline[] = REC(5) "\n" "Page allocated via ord";
	static const char garbage[] = "hello world\nthis is not a dump\n\n";
	static const char order_huge[] =
		HDR(99999999999999999999, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n";
	static const char order_big[] = HDR(31, 0x0, "", 1, 1, "a", 5, 0) PFN_PLAIN STACK_A "\n";
	static const char pid_huge[] = HDR(0, 0x0, "", 99999999999, 1, "a", 5, 0) PFN_PLAIN "\n";
	static const char ts_huge[] =
		HDR(0, 0x0, "", 1, 1, "a", 99999999999999999999999, 0) PFN_PLAIN "\n";
	static const char binary[] = REC(5) "\n" "Page allocated \0 via order 0\n\n";
	static const char stray[] = REC(5) "\n\n" REC(6) "\n";
	static const char no_pfn[] = HDR(0, 0x0, "", 1, 1, "a", 5, 0) STACK_A "\n";
	static const char two_pfn[] = REC(5) PFN_PLAIN "\n";
	static const char odd_line[] = REC(5) "what is this\n\n";
	static const char v612[] =
		"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n" PFN_PLAIN "\n";
	static const char ambiguous[] = HDR(0, 0x0, "", 1, 1, "ts 7 ns, x", 5, 0) PFN_PLAIN "\n";
	/* Linux 5.11-5.17 (no tgid or task name yet), and 5.10 and before (no pid or ts) */
	static const char v515[] =
		"Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 1, ts 5 ns, free_ts 0 ns\n"
		PFN_PLAIN STACK_A "\n";
	static const char v510[] = "Page allocated via order 0, mask 0xcc0(GFP_KERNEL)\n" PFN_PLAIN STACK_A "\n";
	/* a dump saved with CRLF line ends: the tool's records never end (no "\n" line) */
	static const char crlf[] =
		"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns, free_ts 0 ns\r\n"
		"PFN 300001 type Movable Block 585 type Movable Flags 0x0()\r\n"
		" post_alloc_hook+0x1e6/0x210\r\n\r\n";
	char *big;
	size_t blen = 0;

	(void)state;
	/* the record of lines 6-9 has no blank line after it */
	expect_bad(truncated, sizeof(truncated) - 1,
		   "t.txt:9: truncated record: no blank line before end of input");
	expect_bad(midline, sizeof(midline) - 1,
		   "t.txt:6: truncated record: no blank line before end of input");
	expect_bad(garbage, sizeof(garbage) - 1,
		   "t.txt:1: not a page_owner record: expected \"Page allocated via order\"");
	expect_bad("", 0, "t.txt:1: empty input: no page_owner records");
	expect_bad("\n", 1, "t.txt:1: empty record (stray blank line)");
	expect_bad(order_huge, sizeof(order_huge) - 1, "t.txt:1: order out of range");
	expect_bad(order_big, sizeof(order_big) - 1, "t.txt:1: order out of range (0..30)");
	expect_bad(pid_huge, sizeof(pid_huge) - 1, "t.txt:1: bad pid in record header");
	expect_bad(ts_huge, sizeof(ts_huge) - 1, "t.txt:1: ts out of range");
	expect_bad(binary, sizeof(binary) - 1, "t.txt:6: NUL byte in input (binary data?)");
	expect_bad(stray, sizeof(stray) - 1, "t.txt:6: empty record (stray blank line)");
	expect_bad(no_pfn, sizeof(no_pfn) - 1, "t.txt:2: expected the \"PFN\" line of the record");
	expect_bad(two_pfn, sizeof(two_pfn) - 1,
		   "t.txt:5: second \"PFN\" line in one record (missing blank line?)");
	expect_bad(odd_line, sizeof(odd_line) - 1,
		   "t.txt:5: unexpected line in record (not a stack frame, migrate or memcg line)");
	expect_bad(v612, sizeof(v612) - 1,
		   "t.txt:1: header has no \"free_ts\" (a newer kernel's dump: use --kver 6.12)");
	expect_bad(ambiguous, sizeof(ambiguous) - 1,
		   "t.txt:1: ambiguous record header (task name looks like a field)");
	expect_bad(v515, sizeof(v515) - 1,
		   "t.txt:1: header has no tgid and task name (a Linux 5.x dump; try --lenient)");
	expect_bad(v510, sizeof(v510) - 1,
		   "t.txt:1: header ends after the gfp mask (a Linux 5.10 or older dump; try --lenient)");
	expect_bad(crlf, sizeof(crlf) - 1,
		   "t.txt:1: CRLF line ends (the kernel's tool needs LF: convert the file first)");

	/*
	 * A record over the tool's 128 KiB buffer (131071 bytes of text): the
	 * complaint names the first line that does not fit.
	 */
	big = malloc(300000);
	memcpy(big, REC(5), strlen(REC(5)));
	blen = strlen(REC(5));
	while (blen < 140000) {
		memcpy(big + blen, STACK_A, strlen(STACK_A));
		blen += strlen(STACK_A);
	}
	big[blen++] = '\n';
	{
		size_t kept = 0, line = 0;
		char msg[128];

		for (const char *l = big; l < big + blen; l = strchr(l, '\n') + 1) {
			size_t ll = (size_t)(strchr(l, '\n') - l) + 1;

			line++;
			if (!strncmp(l, "PFN", 3))
				continue;
			if (kept + ll > 131071)
				break; /* this line is cut by the tool's fgets() */
			kept += ll;
			if (kept == 131071) {
				line++; /* full: the tool stops before the next line */
				break;
			}
		}
		snprintf(msg, sizeof(msg), "t.txt:%zu: record longer than 131071 bytes", line);
		expect_bad(big, blen, msg);
	}
	free(big);
}

/* Random bytes must never crash either mode; strict must complain. */
static void test_binary_noise(void **state)
{
	struct pmm_owner_sort_opts o;
	char buf[4096], *out, err[256];
	size_t olen;

	(void)state;
	rng_state = 777;
	for (int iter = 0; iter < 300; iter++) {
		size_t len = 1 + rndn(sizeof(buf));

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)rnd();
		pmm_owner_sort_opts_init(&o);
		assert_int_equal(run_opts(&o, buf, len, &out, &olen, err, sizeof(err)), -PMM_EBADMSG);
		assert_true(strncmp(err, "t.txt:", 6) == 0);
		free(out);
		o.lenient = true;
		o.cull = (unsigned int)iter & PMM_OWNER_SORT_CULL_ALL;
		assert_int_equal(run_opts(&o, buf, len, &out, &olen, err, sizeof(err)), 0);
		free(out);
	}
}

/* ------------------------------------------------------------ options */

static void test_args(void **state)
{
	struct pmm_owner_sort_opts o;
	const char *argv[16], *ops[2];
	char err[256];
	int nr;

	(void)state;
	{ /* mixed options and operands, clusters, abbreviations, "--" */
		const char *a[] = { "owner-sort", "in.txt", "-am", "--cu", "st,p", "--so=-p,n,-p",
				    "--", "-out", NULL };

		pmm_owner_sort_opts_init(&o);
		assert_int_equal(pmm_owner_sort_parse_args(&o, 8, (char *const *)a, ops, 2, &nr, err,
							   sizeof(err)), 0);
		assert_int_equal(nr, 2);
		assert_string_equal(ops[0], "in.txt");
		assert_string_equal(ops[1], "-out");
		assert_int_equal(o.cull, PMM_OWNER_SORT_CULL_STACKTRACE | PMM_OWNER_SORT_CULL_PID);
		/* --sort replaced -m; the repeated p was dropped */
		assert_int_equal(o.nr_keys, 2);
		assert_int_equal(o.keys[0].key, PMM_OWNER_SORT_KEY_PID);
		assert_true(o.keys[0].descending);
		assert_int_equal(o.keys[1].key, PMM_OWNER_SORT_KEY_COMM);
		assert_false(o.keys[1].descending);
	}
	{ /* --cull sorts by times only when no sort was given before it */
		const char *a1[] = { "--cull=n", NULL }, *a2[] = { "-m", "--cull=n", NULL };
		const char *a3[] = { "--cull=n", "-m", NULL };

		parse(&o, a1);
		assert_int_equal(o.nr_keys, 1);
		assert_int_equal(o.keys[0].key, PMM_OWNER_SORT_KEY_TIMES);
		assert_true(o.keys[0].descending);
		parse(&o, a2);
		assert_int_equal(o.keys[0].key, PMM_OWNER_SORT_KEY_PAGES);
		parse(&o, a3);
		assert_int_equal(o.keys[0].key, PMM_OWNER_SORT_KEY_PAGES);
	}
	{ /* each single-letter option */
		static const struct {
			const char *opt;
			enum pmm_owner_sort_key key;
			bool desc;
		} single[] = {
			{ "-a", PMM_OWNER_SORT_KEY_ALLOC_TS, false }, { "-m", PMM_OWNER_SORT_KEY_PAGES, true },
			{ "-n", PMM_OWNER_SORT_KEY_COMM, false },     { "-p", PMM_OWNER_SORT_KEY_PID, false },
			{ "-P", PMM_OWNER_SORT_KEY_TGID, false },     { "-r", PMM_OWNER_SORT_KEY_FREE_TS, false },
			{ "-s", PMM_OWNER_SORT_KEY_STACKTRACE, false }, { "-t", PMM_OWNER_SORT_KEY_TIMES, true },
		};
		for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
			const char *a[] = { "--sort=T,at", single[i].opt, NULL };

			parse(&o, a);
			assert_int_equal(o.nr_keys, 1);
			assert_int_equal(o.keys[0].key, single[i].key);
			assert_int_equal(o.keys[0].descending, single[i].desc);
		}
	}
	{
		const char *a[] = { "-d", "-f", "--lenient", "--pid", "1,-2, 3", "--tgid=4",
				    "--name=", "--help", NULL };

		parse(&o, a);
		assert_true(o.debug && o.unreleased && o.lenient && o.help);
		assert_string_equal(o.pids, "1,-2, 3");
		assert_string_equal(o.tgids, "4");
		assert_string_equal(o.names, "");
	}
	/* errors, in the kernel tool's words where it has them */
	{
		static const struct {
			const char *args[4];
			const char *msg;
		} bad[] = {
			{ { "--cull=st,txt", NULL }, "wrong argument after --cull option:st,txt" },
			{ { "--cull=", NULL }, "wrong argument after --cull option:" },
			{ { "--sort=p,", NULL }, "wrong argument after --sort option:p," },
			{ { "--sort=free", NULL }, "wrong argument after --sort option:free" },
			{ { "--sort=-", NULL }, "wrong argument after --sort option:-" },
			{ { "--pid=1,x", NULL }, "wrong/invalid pid in from the command line:1,x" },
			{ { "--pid=99999999999999999999", NULL },
			  "wrong/invalid pid in from the command line:99999999999999999999" },
			{ { "--tgid=", NULL }, "wrong/invalid tgid in from the command line:" },
			{ { "-x", NULL }, "invalid option -- 'x'" },
			{ { "--bogus", NULL }, "unrecognized option '--bogus'" },
			{ { "--pid", NULL }, "option '--pid' requires an argument" },
			{ { "--help=1", NULL }, "option '--help' doesn't allow an argument" },
			{ { "a", "b", "c", NULL }, "too many operands: 'c'" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(parse_err(bad[i].args, err, sizeof(err)), -PMM_EINVAL);
			if (strcmp(err, bad[i].msg))
				fail_msg("expected \"%s\", got \"%s\"", bad[i].msg, err);
		}
	}
	/* misuse */
	argv[0] = "owner-sort";
	argv[1] = NULL;
	assert_int_equal(pmm_owner_sort_parse_args(NULL, 1, (char *const *)argv, ops, 2, &nr, err,
						   sizeof(err)), -PMM_EINVAL);
	assert_int_equal(pmm_owner_sort_parse_args(&o, 2, (char *const *)argv, ops, 2, &nr, NULL, 0),
			 -PMM_EINVAL);
}

static ssize_t failing_read(void *c, char *buf, size_t size)
{
	(void)c;
	(void)buf;
	(void)size;
	errno = EIO;
	return -1;
}

static void test_api_misuse_and_io(void **state)
{
	struct pmm_owner_sort_opts o;
	char err[256], *out = NULL, small[64];
	size_t olen;
	FILE *in, *outf;
	cookie_io_functions_t io = { .read = failing_read };

	(void)state;
	pmm_owner_sort_opts_init(&o);
	in = fmemopen((void *)tiny, sizeof(tiny) - 1, "r");
	outf = open_memstream(&out, &olen);
	assert_int_equal(pmm_owner_sort_run(NULL, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
	assert_int_equal(pmm_owner_sort_run(&o, NULL, "x", outf, err, sizeof(err)), -PMM_EINVAL);
	assert_int_equal(pmm_owner_sort_run(&o, in, "x", NULL, err, sizeof(err)), -PMM_EINVAL);
	o.cull = 0x40;
	assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
	o.cull = 0;
	o.nr_keys = 1;
	o.keys[0].key = (enum pmm_owner_sort_key)99;
	assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
	o.nr_keys = PMM_OWNER_SORT_MAX_KEYS + 1;
	assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
	pmm_owner_sort_opts_init(&o);
	o.pids = "1,zz";
	assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
	assert_string_equal(err, "wrong/invalid pid in from the command line:1,zz");
	/* NULL err and name are fine */
	pmm_owner_sort_opts_init(&o);
	assert_int_equal(pmm_owner_sort_run(&o, in, NULL, outf, NULL, 0), 0);
	fclose(outf);
	fclose(in);
	free(out);

	/* read error */
	in = fopencookie(NULL, "r", io);
	outf = open_memstream(&out, &olen);
	assert_int_equal(pmm_owner_sort_run(&o, in, "broken", outf, err, sizeof(err)), -PMM_EIO);
	assert_string_equal(err, "broken: read error");
	fclose(outf);
	fclose(in);
	free(out);

	/* write error: the report does not fit */
	in = fmemopen((void *)tiny, sizeof(tiny) - 1, "r");
	outf = fmemopen(small, sizeof(small), "w");
	setvbuf(outf, NULL, _IONBF, 0);
	assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EIO);
	fclose(outf);
	fclose(in);

	/* a tiny error buffer is never overrun */
	in = fmemopen((void *)"junk\n\n", 6, "r");
	outf = open_memstream(&out, &olen);
	assert_int_equal(pmm_owner_sort_run(&o, in, "a-long-input-name.txt", outf, err, 8),
			 -PMM_EBADMSG);
	assert_string_equal(err, "a-long-");
	fclose(outf);
	fclose(in);
	free(out);
}

/*
 * A lenient run with the options @args (-d among them) on @in, whose
 * report and -d messages must be the oracle's.  Returns the messages
 * (malloc'd, *@dlen bytes) for the caller's own checks.
 */
static char *debug_run_as_oracle(const char *in, size_t len, const char *const *args, size_t *dlen)
{
	struct pmm_owner_sort_opts o;
	char *dbg = NULL, *odbg = NULL, *out, *oout, err[256];
	size_t odlen, olen, oolen;
	FILE *d = open_memstream(&dbg, dlen), *od = open_memstream(&odbg, &odlen);

	parse(&o, args);
	o.lenient = true;
	o.debug_stream = d;
	assert_int_equal(run_opts(&o, in, len, &out, &olen, err, sizeof(err)), 0);
	assert_int_equal(oracle_run(&o, in, len, &oout, &oolen, od), 0);
	fclose(d);
	fclose(od);
	pmm_test_assert_text_eq("debug messages", odbg, odlen, dbg, *dlen);
	pmm_test_assert_text_eq("debug run output", oout, oolen, out, olen);
	free(odbg);
	free(out);
	free(oout);
	return dbg;
}

/* -d: the tool's stderr messages for fields it cannot read, in its order. */
static void test_debug_messages(void **state)
{
	static const char in[] =
		"Page allocated via order x, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns, free_ts 0 ns\n"
		PFN_PLAIN STACK_A "\n"
		"Page allocated via order x, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns, free_ts 0 ns\n"
		PFN_PLAIN STACK_A "\n"
		"junk\n\n";
	const char *sets[][3] = { { "-d", NULL }, { "-d", "--pid=1", NULL }, { "-d", "--tgid=1,-1", NULL } };

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		size_t dlen;
		char *dbg = debug_run_as_oracle(in, sizeof(in) - 1, sets[i], &dlen);

		assert_true(dlen > 0);
		free(dbg);
	}
}

/* ------------------------------------------------------------ Linux 6.12's tool */

#define KVER612 "--kver=6.12"

/*
 * The real Linux 6.12 page_owner_sort's outputs (tests/data/page_owner_sort-6.12/,
 * whose README says how they were made) of two dumps: one pmm wrote in 6.12's
 * format, and the real 6.1 dump of capture f put in 6.12's format.
 */
static const struct {
	const char *dump;       /* "replay" or "f" */
	const char *file;
	const char *args[5];
} goldens612[] = {
	{ .dump = "replay", .file = "replay-default", .args = { KVER612, NULL } },
	{ .dump = "replay", .file = "replay-default", .args = { KVER612, "--sort=-p,n", NULL } }, /* --sort: no effect */
	{ .dump = "replay", .file = "replay-default", .args = { KVER612, "-t", NULL } },
	{ .dump = "replay", .file = "replay-a", .args = { KVER612, "-a", NULL } },
	{ .dump = "replay", .file = "replay-n", .args = { KVER612, "-n", NULL } },
	{ .dump = "replay", .file = "replay-cull-stacktrace", .args = { KVER612, "--cull", "stacktrace", NULL } },
	{ .dump = "replay", .file = "replay-cull-pid-name-m", .args = { KVER612, "-m", "--cull", "pid,name", NULL } },
	{ .dump = "f", .file = "f-default", .args = { KVER612, NULL } },
	{ .dump = "f", .file = "f-default", .args = { "--sort=-p,n", "--kver", "6.12.9-arch1-1", NULL } },
	{ .dump = "f", .file = "f-m", .args = { KVER612, "-m", NULL } },
	{ .dump = "f", .file = "f-s", .args = { KVER612, "-s", NULL } },
	{ .dump = "f", .file = "f-P", .args = { KVER612, "-P", NULL } },
	{ .dump = "f", .file = "f-cull-stacktrace", .args = { KVER612, "--cull", "stacktrace", NULL } },
	{ .dump = "f", .file = "f-cull-pid-name-m", .args = { KVER612, "-m", "--cull", "pid,name", NULL } },
	{ .dump = "f", .file = "f-cull-ator-tg", .args = { KVER612, "--cull=ator,tg", NULL } },
	{ .dump = "f", .file = "f-name", .args = { KVER612, "--name", "swapper/0", NULL } },
};

/*
 * A 6.1 dump as Linux 6.12 prints it: ", free_ts N ns" cut from the end of a
 * line, "PFN N " in hex (the README's perl, line by line).
 */
static char *to_612(const char *in, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1), *o = out;

	assert_non_null(out);
	for (const char *l = in; l < in + len;) {
		const char *nl = memchr(l, '\n', (size_t)(in + len - l));
		const char *end = nl ? nl : in + len, *cut = end;
		size_t ll = (size_t)(end - l);

		/* ", free_ts \d+ ns" at the end of the line */
		if (ll > 3 && !memcmp(end - 3, " ns", 3)) {
			const char *d = end - 3;

			while (d > l && d[-1] >= '0' && d[-1] <= '9')
				d--;
			if (d < end - 3 && d - l >= 10 && !memcmp(d - 10, ", free_ts ", 10))
				cut = d - 10;
		}
		if (ll > 4 && !memcmp(l, "PFN ", 4) && l[4] >= '0' && l[4] <= '9') {
			char *e;
			unsigned long pfn = strtoul(l + 4, &e, 10);

			if (*e == ' ') {
				o += sprintf(o, "PFN 0x%lx", pfn);
				l = e;
			}
		}
		memcpy(o, l, (size_t)(cut - l));
		o += cut - l;
		if (nl)
			*o++ = '\n';
		l = nl ? nl + 1 : end;
	}
	*outlen = (size_t)(o - out);
	return out;
}

static void test_golden_612(void **state)
{
	char *dir = pmm_test_source_path("tests/data/page_owner_sort-6.12");
	char *f61_dir = pmm_test_source_path("tests/data/captures/f-2g-2node-pageowner");
	char path[1024];
	size_t rlen, flen, f61len;
	char *replay, *f, *f61;

	(void)state;
	snprintf(path, sizeof(path), "%s/replay-dump.txt.xz", dir);
	replay = pmm_test_read_file(path, &rlen);
	snprintf(path, sizeof(path), "%s/page_owner.txt.xz", f61_dir);
	f61 = pmm_test_read_file(path, &f61len);
	f = to_612(f61, f61len, &flen);
	for (size_t i = 0; i < sizeof(goldens612) / sizeof(goldens612[0]); i++) {
		bool is_f = !strcmp(goldens612[i].dump, "f");
		char *exp, *out, label[256];
		size_t elen, olen;

		snprintf(path, sizeof(path), "%s/%s.out.xz", dir, goldens612[i].file);
		exp = pmm_test_read_file(path, &elen);
		snprintf(label, sizeof(label), "%s%s", goldens612[i].file, args_str(goldens612[i].args));
		out = lib_output(goldens612[i].args, false, is_f ? f : replay, is_f ? flen : rlen, &olen);
		pmm_test_assert_text_eq(label, exp, elen, out, olen);
		free(out);
		free(exp);
	}

	/*
	 * The 6.1 dump itself: the 6.12 tool reads it (--lenient gives its
	 * output), but strict mode refuses it, since its free_ts values keep
	 * records apart that the 6.12 tool would merge.
	 */
	{
		const char *args[] = { KVER612, NULL };
		struct pmm_owner_sort_opts o;
		char *exp, *out, err[256];
		size_t elen, olen;

		snprintf(path, sizeof(path), "%s/f61-default.out.xz", dir);
		exp = pmm_test_read_file(path, &elen);
		out = lib_output(args, true, f61, f61len, &olen);
		pmm_test_assert_text_eq("6.1 dump, --kver 6.12 --lenient", exp, elen, out, olen);
		free(out);
		free(exp);
		parse(&o, args);
		assert_int_equal(run_opts(&o, f61, f61len, &out, &olen, err, sizeof(err)), -PMM_EBADMSG);
		assert_string_equal(err, "t.txt:1: header has \"free_ts\" (an older kernel's dump: "
					 "read it without --kver 6.12, or use --lenient)");
		assert_int_equal(olen, 0);
		free(out);
		/* and the 6.1 tool refuses the 6.12 one, pointing at --kver */
		pmm_owner_sort_opts_init(&o);
		assert_int_equal(run_opts(&o, f, flen, &out, &olen, err, sizeof(err)), -PMM_EBADMSG);
		assert_string_equal(err, "t.txt:1: header has no \"free_ts\" (a newer kernel's dump: "
					 "use --kver 6.12)");
		free(out);
	}
	free(f);
	free(f61);
	free(replay);
	free(f61_dir);
	free(dir);
}

/* A hand-written 6.12 dump: records of ~250 bytes, as the tool needs 100. */
#define HDR612(order, mask, names, pid, tgid, comm, ts)                                          \
	"Page allocated via order " #order ", mask " #mask "(" names "), pid " #pid ", tgid " #tgid \
	" (" comm "), ts " #ts " ns\n"
#define PFN612_PLAIN "PFN 0x493e1 type Movable Block 585 type Movable Flags 0x17ffffc0080014(uptodate|lru|node=0)\n"
#define PFN612_SLAB  "PFN 0x493e2 type Unmovable Block 585 type Unmovable Flags 0x200(slab|node=0)\n"
#define BASH(pid, ts) HDR612(0, 0x100dca, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO", pid, 812, "bash", ts)

static const char dump612[] =
	BASH(812, 5178370999) PFN612_PLAIN STACK_A "\n"
	HDR612(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", 2178370421) PFN612_SLAB STACK_B "\n"
	BASH(812, 6000000000) PFN612_PLAIN STACK_A "\n"
	BASH(813, 6100000000) PFN612_PLAIN STACK_A "\n"
	BASH(812, 7000000000) PFN612_SLAB STACK_A "\n";

/*
 * The 6.12 tool merges records that differ only in their ts, and prints
 * them with "ts  ns"; -a keeps the digits and every record.  The expected
 * outputs are the real tool's for this dump (the same bytes in a file).
 */
static void test_612_merge(void **state)
{
	const char *none[] = { KVER612, NULL }, *a[] = { KVER612, "-a", NULL };
	const char *m[] = { KVER612, "-m", NULL }, *ator[] = { KVER612, "--cull=ator", NULL };
	const char *st[] = { KVER612, "--cull=st", NULL };
	const char *sort[] = { KVER612, "--sort=-p,n", NULL };
	const char *v61[] = { NULL };
	const char *merged =
		"3 times, 3 pages, allocated by OTHERS :\n" BASH(812, ) STACK_A "\n"
		"1 times, 1 pages, allocated by OTHERS :\n" BASH(813, ) STACK_A "\n"
		"1 times, 2 pages, allocated by SLAB :\n"
		HDR612(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", ) STACK_B "\n";

	(void)state;
	/* no option: times, descending; the three 812 records, ts apart, are one */
	expect_out(none, false, dump612, sizeof(dump612) - 1, merged);
	/* --sort is read, then overridden by the default */
	expect_out(sort, false, dump612, sizeof(dump612) - 1, merged);
	expect_out(m, false, dump612, sizeof(dump612) - 1,
		   "3 times, 3 pages, allocated by OTHERS :\n" BASH(812, ) STACK_A "\n"
		   "1 times, 2 pages, allocated by SLAB :\n"
		   HDR612(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", ) STACK_B "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(813, ) STACK_A "\n");
	/* -a: the ts digits stay, nothing merges, oldest first */
	expect_out(a, false, dump612, sizeof(dump612) - 1,
		   "1 times, 2 pages, allocated by SLAB :\n"
		   HDR612(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", 2178370421) STACK_B "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(812, 5178370999) STACK_A "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(812, 6000000000) STACK_A "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(813, 6100000000) STACK_A "\n"
		   "1 times, 1 pages, allocated by SLAB :\n" BASH(812, 7000000000) STACK_A "\n");
	/* culls see each record's own allocator: the last bash one is SLAB */
	expect_out(ator, false, dump612, sizeof(dump612) - 1,
		   "3 times, 3 pages, allocated by OTHERS \n2 times, 3 pages, allocated by SLAB \n");
	expect_out(st, false, dump612, sizeof(dump612) - 1,
		   "4 times, 4 pages:\n" STACK_A "\n1 times, 2 pages:\n" STACK_B "\n");
	compare_with_oracle("6.12 dump", none, false, dump612, sizeof(dump612) - 1);
	compare_with_oracle("6.12 dump", a, false, dump612, sizeof(dump612) - 1);
	/* the 6.1 tool finds no ts in it (its pattern wants "ns,"), so nothing merges */
	expect_out(v61, true, dump612, sizeof(dump612) - 1,
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(812, 5178370999) STACK_A "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(812, 6000000000) STACK_A "\n"
		   "1 times, 1 pages, allocated by SLAB :\n" BASH(812, 7000000000) STACK_A "\n"
		   "1 times, 1 pages, allocated by OTHERS :\n" BASH(813, 6100000000) STACK_A "\n"
		   "1 times, 2 pages, allocated by SLAB :\n"
		   HDR612(1, 0x152c40, "GFP_NOFS", 1, 1, "systemd", 2178370421) STACK_B "\n");
	compare_with_oracle("6.12 dump read by 6.1", v61, true, dump612, sizeof(dump612) - 1);
}

/* Where the 6.12 tool differs from 6.1 on odd input (lenient), each checked with the real tool. */
static void test_612_quirks(void **state)
{
	/* no fold while reading: an identical repeat's own PFN line decides its allocator */
	static const char repeat[] =
		HDR612(0, 0x0, "", 1, 1, "a", 5) PFN612_PLAIN STACK_A "\n"
		HDR612(0, 0x0, "", 1, 1, "a", 5) PFN612_SLAB STACK_A "\n"
		HDR612(0, 0x0, "", 1, 1, "a", 6) PFN612_SLAB STACK_A "\n";
	/*
	 * The ts pattern's first match is cut, wherever it is: here in the
	 * stack of the first two records (line one has none), so they merge.
	 */
	static const char in_stack[] =
		"abc\n frame ts 42 ns x\n\nabc\n frame ts 7 ns x\n\nabc ts 5 ns\n frame ts 9 ns\n\n";
	/* the task name is read from the text before the cut */
	static const char comm_cut[] = "abc\n tgid 1 (ts 5 ns), ts\n\nabc\n tgid 1 (ts 6 ns), ts\n\n";
	const char *ator[] = { KVER612, "--cull=ator", NULL }, *none[] = { KVER612, NULL };
	const char *st[] = { KVER612, "--cull=st", NULL }, *stn[] = { KVER612, "--cull=st,n", NULL };

	(void)state;
	expect_out(ator, false, repeat, sizeof(repeat) - 1,
		   "2 times, 2 pages, allocated by SLAB \n1 times, 1 pages, allocated by OTHERS \n");
	expect_out(none, true, in_stack, sizeof(in_stack) - 1,
		   "2 times, 0 pages, allocated by OTHERS :\nabc\n frame ts  ns x\n\n"
		   "1 times, 0 pages, allocated by OTHERS :\nabc ts  ns\n frame ts 9 ns\n\n");
	expect_out(st, true, in_stack, sizeof(in_stack) - 1,
		   "2 times, 0 pages:\n frame ts  ns x\n\n1 times, 0 pages:\n frame ts 9 ns\n\n");
	expect_out(stn, true, comm_cut, sizeof(comm_cut) - 1,
		   "1 times, 0 pages, task_comm_name: ts 5 ns:\n tgid 1 (ts  ns), ts\n\n"
		   "1 times, 0 pages, task_comm_name: ts 6 ns:\n tgid 1 (ts  ns), ts\n\n");
	expect_out(none, true, comm_cut, sizeof(comm_cut) - 1,
		   "2 times, 0 pages, allocated by OTHERS :\nabc\n tgid 1 (ts  ns), ts\n\n");
	compare_with_oracle("in-stack cut", none, true, in_stack, sizeof(in_stack) - 1);
	compare_with_oracle("in-stack cut", st, true, in_stack, sizeof(in_stack) - 1);
	compare_with_oracle("comm before the cut", stn, true, comm_cut, sizeof(comm_cut) - 1);
}

static const char *const option_sets612[][7] = {
	{ KVER612, NULL },
	{ KVER612, "-a", NULL },
	{ KVER612, "-m", NULL },
	{ KVER612, "-n", NULL },
	{ KVER612, "-p", NULL },
	{ KVER612, "-P", NULL },
	{ KVER612, "-s", NULL },
	{ KVER612, "-tt", NULL },
	{ KVER612, "--cull=pid", NULL },
	{ KVER612, "--cull=tgid", NULL },
	{ KVER612, "--cull=name", NULL },
	{ KVER612, "--cull=stacktrace", NULL },
	{ KVER612, "--cull=allocator", NULL },
	{ KVER612, "--cull=p,tg,n,st,ator", NULL },
	{ KVER612, "-m", "--cull=pid,name", NULL },
	{ KVER612, "--cull=st", "-a", NULL },
	{ KVER612, "--cull=n", "--sort=-at", NULL },
	{ KVER612, "--sort=T", "-s", NULL },
	{ KVER612, "--pid=1,812", NULL },
	{ KVER612, "--tgid=812,65", "-P", NULL },
	{ KVER612, "--name=bash,cat", "-a", NULL },
	{ KVER612, "--pid=1", "--cull=st", NULL },
	{ KVER612, "--name=swapper/0", "-m", NULL },
	{ KVER612, "--pid=0,1,2", "--tgid=1,2", "--name=init,kthreadd", "-s", NULL },
	{ KVER612, "-a", "--cull=ator", NULL },
};

#define NR_SETS612 (sizeof(option_sets612) / sizeof(option_sets612[0]))

/* Generated dumps, of 6.12's format and of 6.1's, against the oracle's 6.12 mode. */
static void test_612_oracle(void **state)
{
	(void)state;
	if (!oracle_exact_qsort()) {
		printf("SKIP: the oracle needs glibc's merge-sort qsort\n");
		skip();
	}
	for (uint64_t seed = 1; seed <= 8; seed++) {
		bool v612 = seed <= 6; /* and two 6.1 dumps, read leniently */
		size_t len;
		char *dump = gen_dump_as(v612, seed * 0x2545f4914f6cdd1dull, 20 + (int)(seed * 53 % 300),
					 &len);
		char what[64];

		snprintf(what, sizeof(what), "generated %s dump %llu", v612 ? "6.12" : "6.1",
			 (unsigned long long)seed);
		for (size_t i = 0; i < NR_SETS612; i++) {
			if (v612 && (i + seed) % 2)
				continue;
			compare_with_oracle(what, option_sets612[i], !v612, dump, len);
			if (v612 && seed > 4)
				compare_with_oracle(what, option_sets612[i], true, dump, len);
		}
		free(dump);
	}
	for (uint64_t seed = 1; seed <= 300; seed++) {
		size_t len;
		char *dump = gen_dump_as(true, seed * 104729, 3 + (int)(seed % 17), &len);

		mangled_as_oracle(dump, len, seed, option_sets612[seed % NR_SETS612],
				  "mangled 6.12 dump");
	}
}

static void expect_bad612(const char *in, size_t len, const char *msg)
{
	const char *args[] = { KVER612, NULL };
	struct pmm_owner_sort_opts o;
	char *out, err[256];
	size_t olen;
	int ret;

	parse(&o, args);
	ret = run_opts(&o, in, len, &out, &olen, err, sizeof(err));
	if (ret != -PMM_EBADMSG)
		fail_msg("expected -PMM_EBADMSG (%s), got %d", msg, ret);
	if (strcmp(err, msg) != 0)
		fail_msg("expected message \"%s\", got \"%s\"", msg, err);
	assert_int_equal(olen, 0);
	free(out);
	o.lenient = true;
	assert_int_equal(run_opts(&o, in, len, &out, &olen, err, sizeof(err)), 0);
	free(out);
}

static void test_612_malformed(void **state)
{
	static const char with_free_ts[] = REC(5) "\n";
	static const char trailing[] =
		"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns x\n" PFN612_PLAIN "\n";
	/* the ts pattern finds "ts 7 ns" in the task name: another value */
	static const char other_ts[] = HDR612(0, 0x0, "", 1, 1, "ts 7 ns, x", 5) PFN612_PLAIN "\n";
	/* the same value, but in the task name: the tool would cut the wrong digits */
	static const char same_ts[] = HDR612(0, 0x0, "", 1, 1, "x ts 5 ns", 5) PFN612_PLAIN "\n";
	static const char no_ts[] = "Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a)\n" PFN612_PLAIN "\n";
	static const char ok[] = HDR612(0, 0x0, "", 1, 1, "a", 5) PFN612_PLAIN STACK_A "\n"
				 HDR612(3, 0xcc0, "GFP_KERNEL", 2, 2, "ts", 6) PFN_PLAIN STACK_B "\n";
	const char *args[] = { KVER612, NULL };
	struct pmm_owner_sort_opts o;
	char *out, err[256];
	size_t olen;

	(void)state;
	expect_bad612(with_free_ts, sizeof(with_free_ts) - 1,
		      "t.txt:1: header has \"free_ts\" (an older kernel's dump: read it without "
		      "--kver 6.12, or use --lenient)");
	expect_bad612(trailing, sizeof(trailing) - 1, "t.txt:1: trailing text after ts in record header");
	expect_bad612(other_ts, sizeof(other_ts) - 1,
		      "t.txt:1: ambiguous record header (task name looks like a field)");
	expect_bad612(same_ts, sizeof(same_ts) - 1,
		      "t.txt:1: ambiguous record header (task name looks like a field)");
	expect_bad612(no_ts, sizeof(no_ts) - 1, "t.txt:1: bad task name or ts in record header");
	/* well-formed: either PFN spelling, a task called "ts" */
	parse(&o, args);
	assert_int_equal(run_opts(&o, ok, sizeof(ok) - 1, &out, &olen, err, sizeof(err)), 0);
	free(out);
}

/*
 * -d in 6.12: no free_ts, the filters read no ts first, and a repeat is read
 * whole again (6.1 folds it, reading only its order).  The real tool printed
 * the same messages for these bytes.
 */
static void test_612_debug(void **state)
{
	static const char in[] =
		"Page allocated via order x, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n" PFN612_PLAIN STACK_A "\n"
		"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts ns\n" PFN612_PLAIN STACK_A "\n"
		"Page allocated via order 0, mask 0x0(), pid 1, tgid 1 (a), ts ns\n" PFN612_PLAIN STACK_A "\n"
		"junk\n\n";
	const char *sets[][4] = { { KVER612, "-d", NULL }, { KVER612, "-d", "--pid=1", NULL },
				  { KVER612, "-d", "--tgid=1,-1", NULL } };

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		size_t dlen;
		char *dbg = debug_run_as_oracle(in, sizeof(in) - 1, sets[i], &dlen);

		assert_non_null(strstr(dbg, "wrong ts_nsec in follow buf:\n"));
		assert_null(strstr(dbg, "free_ts"));
		free(dbg);
	}
}

/* The 6.12 tool's command line. */
static void test_612_args(void **state)
{
	static const struct {
		const char *args[6];
		enum pmm_owner_sort_key key;
		bool desc;
	} ok[] = {
		{ .args = { KVER612, NULL }, .key = PMM_OWNER_SORT_KEY_TIMES, .desc = true },
		{ .args = { KVER612, "-m", NULL }, .key = PMM_OWNER_SORT_KEY_PAGES, .desc = true },
		{ .args = { "-a", "--kver", "6.12", NULL }, .key = PMM_OWNER_SORT_KEY_ALLOC_TS },
		{ .args = { KVER612, "-n", "--sort=-p,T", NULL }, .key = PMM_OWNER_SORT_KEY_COMM },
		{ .args = { "--sort=-p,T", KVER612, NULL },
		  .key = PMM_OWNER_SORT_KEY_TIMES, .desc = true },
		{ .args = { KVER612, "--cull=st", "-P", NULL }, .key = PMM_OWNER_SORT_KEY_TGID },
		{ .args = { KVER612, "-pp", "-p", NULL }, .key = PMM_OWNER_SORT_KEY_PID },
		{ .args = { KVER612, "-ds", NULL }, .key = PMM_OWNER_SORT_KEY_STACKTRACE },
		{ .args = { "--kv=6.12", "-t", NULL },
		  .key = PMM_OWNER_SORT_KEY_TIMES, .desc = true },
		/* the last --kver wins, and 6.7 is the 6.1 tool: the last sort option wins */
		{ .args = { KVER612, "--kver", "6.7.12-arch1-1", "-a", "-m", NULL },
		  .key = PMM_OWNER_SORT_KEY_PAGES, .desc = true },
		{ .args = { "--kver=6.6", "-r", NULL }, .key = PMM_OWNER_SORT_KEY_FREE_TS },
	};
	static const struct {
		const char *args[5];
		const char *msg;
	} bad[] = {
		{ .args = { KVER612, "-a", "-m", NULL },
		  .msg = "only one of -a -m -n -p -P -s -t may be given (Linux 6.12's tool)" },
		{ .args = { "-tn", KVER612, NULL },
		  .msg = "only one of -a -m -n -p -P -s -t may be given (Linux 6.12's tool)" },
		{ .args = { "-r", KVER612, NULL },
		  .msg = "invalid option -- 'r' (not in Linux 6.12's tool)" },
		/* from 6.8, the new tool */
		{ .args = { "--kver=6.8.0-31-generic", "-r", NULL },
		  .msg = "invalid option -- 'r' (not in Linux 6.12's tool)" },
		{ .args = { KVER612, "-f", NULL },
		  .msg = "invalid option -- 'f' (not in Linux 6.12's tool)" },
		{ .args = { KVER612, "--cull=st,free", NULL },
		  .msg = "wrong argument after --cull option:st,free" },
		{ .args = { KVER612, "--cull=f", NULL },
		  .msg = "wrong argument after --cull option:f" },
		{ .args = { KVER612, "--sort=ft", NULL },
		  .msg = "wrong argument after --sort option:ft" },
		{ .args = { KVER612, "--sort=p,-free_ts", NULL },
		  .msg = "wrong argument after --sort option:p,-free_ts" },
		{ .args = { "--kver=latest", NULL },
		  .msg = "--kver: 'latest' is not a kernel release (MAJOR.MINOR, e.g. 6.12)" },
		{ .args = { "-x", "--kver", "", NULL }, .msg = "invalid option -- 'x'" },
		{ .args = { "--kver", NULL }, .msg = "option '--kver' requires an argument" },
	};
	struct pmm_owner_sort_opts o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		parse(&o, ok[i].args);
		if (o.nr_keys != 1 || o.keys[0].key != ok[i].key || o.keys[0].descending != ok[i].desc)
			fail_msg("%s: %u keys, first %d%s", args_str(ok[i].args), o.nr_keys, o.keys[0].key,
				 o.keys[0].descending ? " descending" : "");
	}
	parse(&o, ok[0].args);
	assert_int_equal(o.kver, PMM_KVER_6_12);
	parse(&o, ok[9].args);
	assert_int_equal(o.kver, PMM_KVER_6_6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_err(bad[i].args, err, sizeof(err)), -PMM_EINVAL);
		if (strcmp(err, bad[i].msg))
			fail_msg("%s: expected \"%s\", got \"%s\"", args_str(bad[i].args), bad[i].msg, err);
	}
	/* a caller's kver holds without --kver */
	{
		const char *argv[] = { "owner-sort", "-r", NULL }, *ops[2];
		int nr;

		pmm_owner_sort_opts_init(&o);
		o.kver = PMM_KVER_6_12;
		assert_int_equal(pmm_owner_sort_parse_args(&o, 2, (char *const *)argv, ops, 2, &nr, err,
							   sizeof(err)), -PMM_EINVAL);
		o.kver = (enum pmm_kver)3;
		assert_int_equal(pmm_owner_sort_parse_args(&o, 1, (char *const *)argv, ops, 2, &nr, err,
							   sizeof(err)), -PMM_EINVAL);
	}
	/* what the 6.12 tool lacks, the run refuses */
	{
		FILE *in = fmemopen((void *)dump612, sizeof(dump612) - 1, "r"), *outf;
		char *out = NULL;
		size_t olen;

		outf = open_memstream(&out, &olen);
		pmm_owner_sort_opts_init(&o);
		o.kver = PMM_KVER_6_12;
		o.unreleased = true;
		assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
		o.unreleased = false;
		o.cull = PMM_OWNER_SORT_CULL_FREE;
		assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
		o.cull = 0;
		o.nr_keys = 2;
		o.keys[0].key = PMM_OWNER_SORT_KEY_PID;
		o.keys[1].key = PMM_OWNER_SORT_KEY_FREE_TS;
		assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
		pmm_owner_sort_opts_init(&o);
		o.kver = (enum pmm_kver)3;
		assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), -PMM_EINVAL);
		/* nr_keys 0: the tool's default, times */
		pmm_owner_sort_opts_init(&o);
		o.kver = PMM_KVER_6_12;
		assert_int_equal(pmm_owner_sort_run(&o, in, "x", outf, err, sizeof(err)), 0);
		fclose(outf);
		fclose(in);
		assert_true(olen > 0 && !strncmp(out, "3 times, 3 pages", 16));
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_golden_shipped),
		cmocka_unit_test(test_golden_trickle),
		cmocka_unit_test(test_patterns_vs_regex),
		cmocka_unit_test(test_parse_one_pass),
		cmocka_unit_test(test_parse_canonical),
		cmocka_unit_test(test_oracle_generated),
		cmocka_unit_test(test_oracle_mangled),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_quirks),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_binary_noise),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_api_misuse_and_io),
		cmocka_unit_test(test_debug_messages),
		cmocka_unit_test(test_golden_612),
		cmocka_unit_test(test_612_merge),
		cmocka_unit_test(test_612_quirks),
		cmocka_unit_test(test_612_oracle),
		cmocka_unit_test(test_612_malformed),
		cmocka_unit_test(test_612_debug),
		cmocka_unit_test(test_612_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
