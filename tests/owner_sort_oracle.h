/* SPDX-License-Identifier: MIT */
/*
 * A test oracle for owner-sort: the page_owner_sort algorithm of Linux 6.1
 * and, with opts->kver PMM_KVER_6_12, of 6.12, done the slow, literal way,
 * written from the reference (§3) independently of src/report/: fgets()
 * into a 128 KiB buffer, POSIX regexes from <regex.h> for every field,
 * every record kept in a list, libc qsort() twice.
 *
 * 6.12's differences, as the reference gives them: its ts regex has no
 * trailing comma and there is no free_ts; no record is folded into the
 * previous one while reading; unless the first sort key is the allocation
 * time, the ts regex's capture is deleted from the stored text (searched in
 * that text); without a sort key it sorts by times, descending.
 *
 * Where the tool is undefined (buffer overflows, reading before its buffer)
 * the oracle takes the answers documented in src/report/owner_sort_record.c:
 * whole captures, a shift by (order & 31), a walk-back stopped at the record
 * start; for 6.12's cut, the stored text ends at its own length, and the
 * bytes after the digits move down as memmove() moves them.  The tool's
 * "max_size too small??" abort is not modelled.
 *
 * glibc's qsort() is a stable merge sort (when it can allocate), as on the
 * machine that made the kernel outputs; oracle_exact_qsort() says whether
 * the tie order of never-equal comparators (-a, -r) can be trusted here.
 *
 * Header-only (static functions) so that the unit test and the fuzz target
 * can both include it.  Not thread-safe: uses file-scope state, as the tool.
 */
#ifndef PMM_TEST_OWNER_SORT_ORACLE_H
#define PMM_TEST_OWNER_SORT_ORACLE_H

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/owner_sort.h>

#define ORACLE_BUF_SIZE (128 * 1024)

enum { O_CMA = 1 << 1, O_SLAB = 1 << 2, O_VMALLOC = 1 << 3, O_OTHERS = 1 << 4 };

struct oracle_entry {
	char *txt;
	char *comm;
	char *stacktrace;
	uint64_t ts_nsec;
	uint64_t free_ts_nsec;
	int len;
	int num;
	int page_num;
	int pid;
	int tgid;
	int allocator;
};

/*
 * The tool's field patterns: order, pid, tgid, comm, ts and free_ts of
 * 6.1's, then 6.12's ts (the only one it changed).
 */
#define ORACLE_TS612 6
static const char *const oracle_pats[ORACLE_TS612 + 1] = {
	"order\\s*([0-9]*),",
	"pid\\s*([0-9]*),",
	"tgid\\s*([0-9]*) ",
	"tgid\\s*[0-9]*\\s*\\((.*)\\),\\s*ts",
	"ts\\s*([0-9]*)\\s*ns,",
	"free_ts\\s*([0-9]*)\\s*ns",
	[ORACLE_TS612] = "ts\\s*([0-9]*)\\s*ns",
};

/* oracle_pats compiled once, kept for the process */
static regex_t oracle_re[ORACLE_TS612 + 1];
static bool oracle_re_ready;

struct oracle {
	const struct pmm_owner_sort_opts *o;
	bool v612;              /* the 6.12 tool */
	int ts_re;              /* index of the ts regex in re[] */
	struct pmm_owner_sort_sortkey keys[PMM_OWNER_SORT_MAX_KEYS]; /* the order in force */
	unsigned int nr_keys;
	FILE *debug;
	regex_t *re;
	struct oracle_entry *list;
	int size, cap;
	int pids[64], npids, tgids[64], ntgids;
	char names[64][64];
	int nnames;
};

static struct oracle *oracle_cur; /* for the qsort comparators */

static bool oracle_exact_qsort(void)
{
#ifdef __GLIBC__
	return true;
#else
	return false;
#endif
}

/* search_pattern(): first capture, or NULL; *len its length. */
static char *oracle_capture(struct oracle *or, int which, const char *buf, const char *what)
{
	regmatch_t m[2];
	char *s;

	if (regexec(&or->re[which], buf, 2, m, REG_NOTBOL) != 0 || m[1].rm_so == -1) {
		if (or->o->debug && or->debug)
			fprintf(or->debug, "no matching pattern in %s\n", buf);
		(void)what;
		return NULL;
	}
	s = malloc((size_t)(m[1].rm_eo - m[1].rm_so) + 1);
	memcpy(s, buf + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
	s[m[1].rm_eo - m[1].rm_so] = 0;
	return s;
}

static bool oracle_strtol(const char *s, long *v, bool unsig, unsigned long long *uv)
{
	char *end;

	errno = 0;
	if (unsig)
		*uv = strtoull(s, &end, 10);
	else
		*v = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == 0;
}

static void oracle_dbg(struct oracle *or, const char *msg, const char *buf)
{
	if (or->o->debug && or->debug)
		fprintf(or->debug, "%s in follow buf:\n%s\n", msg, buf);
}

static int oracle_pages(struct oracle *or, const char *buf)
{
	char *c = oracle_capture(or, 0, buf, "order");
	long v = 0;
	bool ok = oracle_strtol(c ? c : "", &v, false, NULL);
	int order = (int)(uint32_t)(unsigned long)v;

	free(c);
	if (!ok || order > 64) {
		oracle_dbg(or, "wrong order", buf);
		return 0;
	}
	return (int)(1u << ((unsigned)order & 31));
}

static int oracle_pid(struct oracle *or, const char *buf, int which)
{
	char *c = oracle_capture(or, which, buf, "pid");
	long v = 0;
	bool ok = oracle_strtol(c ? c : "", &v, false, NULL);

	free(c);
	if (!ok) {
		oracle_dbg(or, which == 1 ? "wrong/invalid pid" : "wrong/invalid tgid", buf);
		return -1;
	}
	return (int)(uint32_t)(unsigned long)v;
}

/* which: 4 the allocation time (through the tool's own ts regex), 5 free_ts */
static uint64_t oracle_ts(struct oracle *or, const char *buf, int which)
{
	char *c = oracle_capture(or, which == 4 ? or->ts_re : which, buf, "ts");
	unsigned long long v = 0;
	bool ok = oracle_strtol(c ? c : "", NULL, true, &v);

	free(c);
	if (!ok) {
		oracle_dbg(or, which == 4 ? "wrong ts_nsec" : "wrong free_ts_nsec", buf);
		return UINT64_MAX;
	}
	return v;
}

static char *oracle_comm(struct oracle *or, const char *buf)
{
	char *c = oracle_capture(or, 3, buf, "comm");

	return c ? c : strdup("");
}

static int oracle_allocator(const char *buf, const char *pfn)
{
	int a = 0;
	const char *v;

	if (strstr(pfn, "CMA"))
		a |= O_CMA;
	if (strstr(pfn, "slab"))
		a |= O_SLAB;
	v = strstr(buf, "__vmalloc_node_range");
	if (v) {
		const char *t = v, *first;

		while (t > buf && *t != '\n')
			t--;
		if (*t == '\n' && t > buf) {
			t--;
			while (t > buf && *t != '\n')
				t--;
			first = *t == '\n' ? t + 1 : buf;
		} else {
			first = buf;
		}
		t = strstr(first, "alloc_pages");
		if (t && first <= t && t < v)
			a |= O_VMALLOC;
	}
	return a ? a : O_OTHERS;
}

static int oracle_parse_list(const char *s, int *out, int max)
{
	int n = 0;

	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		char piece[64];
		long v;

		if (len >= sizeof(piece) || n >= max)
			return -1;
		memcpy(piece, s, len);
		piece[len] = 0;
		if (!oracle_strtol(piece, &v, false, NULL))
			return -1;
		out[n++] = (int)(uint32_t)(unsigned long)v;
		if (!c)
			return n;
		s = c + 1;
	}
}

static bool oracle_is_need(struct oracle *or, const char *buf)
{
	char *comm;
	bool ok = true;

	if (!or->v612) { /* 6.1 reads both times first, for -f */
		uint64_t ts = oracle_ts(or, buf, 4), fts = oracle_ts(or, buf, 5);

		if (or->o->unreleased && fts != 0 && ts < fts)
			return false;
	}
	if (or->o->pids) {
		int pid = oracle_pid(or, buf, 1), i;

		for (i = 0; i < or->npids && or->pids[i] != pid; i++)
			;
		if (i == or->npids)
			return false;
	}
	if (or->o->tgids) {
		int tgid = oracle_pid(or, buf, 2), i;

		for (i = 0; i < or->ntgids && or->tgids[i] != tgid; i++)
			;
		if (i == or->ntgids)
			return false;
	}
	comm = oracle_comm(or, buf);
	if (or->o->names) {
		ok = false;
		for (int i = 0; i < or->nnames && !ok; i++)
			ok = !strcmp(or->names[i], comm);
	}
	free(comm);
	return ok;
}

/*
 * The tool's int sums and differences, as its build computes them (two's
 * complement, wrapping), without C's undefined behaviour on overflow: an
 * order-31 record is 2^31 pages, and two of them make an int overflow.
 */
static int o_add(int a, int b)
{
	return (int)((uint32_t)a + (uint32_t)b);
}

static int o_diff(int a, int b)
{
	return (int)((uint32_t)a - (uint32_t)b);
}

/* 6.12: delete the ts regex's capture from txt[0..len); the new length. */
static int oracle_cut_ts(struct oracle *or, char *txt, int len)
{
	regmatch_t m[2];

	if (regexec(&or->re[or->ts_re], txt, 2, m, REG_NOTBOL) != 0 || m[1].rm_so == -1)
		return len;
	memmove(txt + m[1].rm_so, txt + m[1].rm_eo, (size_t)(len - m[1].rm_eo));
	len -= (int)(m[1].rm_eo - m[1].rm_so);
	txt[len] = 0;
	return len;
}

static void oracle_add(struct oracle *or, char *buf, int len, const char *pfn)
{
	struct oracle_entry *e;

	if (!or->v612 && or->size && len == or->list[or->size - 1].len &&
	    !memcmp(buf, or->list[or->size - 1].txt, (size_t)len)) {
		or->list[or->size - 1].num = o_add(or->list[or->size - 1].num, 1);
		or->list[or->size - 1].page_num =
			o_add(or->list[or->size - 1].page_num, oracle_pages(or, buf));
		return;
	}
	if (!oracle_is_need(or, buf))
		return;
	if (or->size == or->cap) {
		or->cap = or->cap ? or->cap * 2 : 64;
		or->list = realloc(or->list, (size_t)or->cap * sizeof(*or->list));
	}
	e = &or->list[or->size++];
	e->pid = oracle_pid(or, buf, 1);
	e->tgid = oracle_pid(or, buf, 2);
	e->comm = oracle_comm(or, buf);
	e->txt = malloc((size_t)len + 1);
	memcpy(e->txt, buf, (size_t)len);
	e->txt[len] = 0;
	if (or->v612 && or->keys[0].key != PMM_OWNER_SORT_KEY_ALLOC_TS)
		len = oracle_cut_ts(or, e->txt, len);
	e->len = len;
	e->num = 1;
	e->page_num = oracle_pages(or, buf);
	e->stacktrace = strchr(e->txt, '\n') ? strchr(e->txt, '\n') + 1 : e->txt + len;
	e->ts_nsec = oracle_ts(or, buf, 4);
	e->free_ts_nsec = or->v612 ? 0 : oracle_ts(or, buf, 5);
	e->allocator = oracle_allocator(buf, pfn);
}


static int oracle_cmp_key(enum pmm_owner_sort_key k, const struct oracle_entry *a,
			  const struct oracle_entry *b)
{
	switch (k) {
	case PMM_OWNER_SORT_KEY_TIMES: return o_diff(a->num, b->num);
	case PMM_OWNER_SORT_KEY_PAGES: return o_diff(a->page_num, b->page_num);
	case PMM_OWNER_SORT_KEY_PID: return o_diff(a->pid, b->pid);
	case PMM_OWNER_SORT_KEY_TGID: return o_diff(a->tgid, b->tgid);
	case PMM_OWNER_SORT_KEY_COMM: return strcmp(a->comm, b->comm);
	case PMM_OWNER_SORT_KEY_STACKTRACE: return strcmp(a->stacktrace, b->stacktrace);
	case PMM_OWNER_SORT_KEY_ALLOC_TS: return a->ts_nsec < b->ts_nsec ? -1 : 1;
	case PMM_OWNER_SORT_KEY_FREE_TS: return a->free_ts_nsec < b->free_ts_nsec ? -1 : 1;
	case PMM_OWNER_SORT_KEY_TXT: return strcmp(a->txt, b->txt);
	default: return o_diff(a->allocator, b->allocator);
	}
}

static int oracle_cmp_cull(const void *p1, const void *p2)
{
	const struct oracle_entry *a = p1, *b = p2;
	unsigned int cull = oracle_cur->o->cull;
	int c;

	if (!cull)
		return strcmp(a->txt, b->txt);
	if ((cull & PMM_OWNER_SORT_CULL_STACKTRACE) && (c = strcmp(a->stacktrace, b->stacktrace)))
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_PID) && (c = o_diff(a->pid, b->pid)))
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_TGID) && (c = o_diff(a->tgid, b->tgid)))
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_COMM) && (c = strcmp(a->comm, b->comm)))
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_FREE) && !a->free_ts_nsec != !b->free_ts_nsec)
		return a->free_ts_nsec ? 1 : -1;
	if ((cull & PMM_OWNER_SORT_CULL_ALLOCATOR) && (c = o_diff(a->allocator, b->allocator)))
		return c;
	return 0;
}

static int oracle_cmp_sort(const void *p1, const void *p2)
{
	const struct oracle *or = oracle_cur;
	int cmp = 0;

	for (unsigned int i = 0; i < or->nr_keys; i++)
		if (cmp == 0)
			cmp = (int)((or->keys[i].descending ? -1u : 1u) *
				    (uint32_t)oracle_cmp_key(or->keys[i].key, p1, p2));
	return cmp;
}

static void oracle_print_allocator(FILE *out, int a)
{
	fprintf(out, "allocated by ");
	if (a & O_CMA)
		fprintf(out, "CMA ");
	if (a & O_SLAB)
		fprintf(out, "SLAB ");
	if (a & O_VMALLOC)
		fprintf(out, "VMALLOC ");
	if (a & O_OTHERS)
		fprintf(out, "OTHERS ");
}

/*
 * oracle_run() - the tool on in[0..len), report into a malloc'd *out.
 * Returns 0, or -1 if a list option is invalid.
 */
static int oracle_run(const struct pmm_owner_sort_opts *o, const char *in, size_t len,
		      char **out, size_t *outlen, FILE *debug)
{
	struct oracle or;
	char *buf, *pfn;
	FILE *fin, *fout;
	int count;

	memset(&or, 0, sizeof(or));
	or.o = o;
	or.debug = debug;
	or.v612 = o->kver == PMM_KVER_6_12;
	or.ts_re = or.v612 ? ORACLE_TS612 : 4;
	or.nr_keys = o->nr_keys;
	memcpy(or.keys, o->keys, sizeof(or.keys));
	if (or.v612 && or.nr_keys == 0) { /* 6.12 always sorts: by times, by default */
		or.nr_keys = 1;
		or.keys[0].key = PMM_OWNER_SORT_KEY_TIMES;
		or.keys[0].descending = true;
	}
	oracle_cur = &or;
	if ((o->pids && (or.npids = oracle_parse_list(o->pids, or.pids, 64)) < 0) ||
	    (o->tgids && (or.ntgids = oracle_parse_list(o->tgids, or.tgids, 64)) < 0)) {
		oracle_cur = NULL;
		return -1;
	}
	if (o->names) {
		const char *s = o->names;

		for (;;) {
			const char *c = strchr(s, ',');
			size_t l = c ? (size_t)(c - s) : strlen(s);

			if (l >= sizeof(or.names[0]) || or.nnames >= 64) {
				oracle_cur = NULL;
				return -1;
			}
			memcpy(or.names[or.nnames], s, l);
			or.names[or.nnames++][l] = 0;
			if (!c)
				break;
			s = c + 1;
		}
	}
	buf = malloc(ORACLE_BUF_SIZE);
	pfn = malloc(ORACLE_BUF_SIZE);
	pfn[0] = 0;
	fin = fmemopen((void *)(len ? in : "x"), len ? len : 1, "r");
	fout = open_memstream(out, outlen);
	if (!len)
		fgetc(fin); /* fmemopen wants at least one byte: consume it */
	if (!oracle_re_ready) {
		for (int i = 0; i <= ORACLE_TS612; i++)
			regcomp(&oracle_re[i], oracle_pats[i], REG_EXTENDED | REG_NEWLINE);
		oracle_re_ready = true;
	}
	or.re = oracle_re;

	for (;;) { /* read_block() + add_list() */
		char *curr = buf, *const end = buf + ORACLE_BUF_SIZE;
		int got = -1;

		while (end - curr > 1 && fgets(curr, (int)(end - curr), fin)) {
			if (*curr == '\n') {
				got = (int)(curr - buf);
				break;
			}
			if (!strncmp(curr, "PFN", 3)) {
				strcpy(pfn, curr);
				continue;
			}
			curr += strlen(curr);
		}
		if (got < 0)
			break;
		oracle_add(&or, buf, got, pfn);
	}

	if (or.size)
		qsort(or.list, (size_t)or.size, sizeof(or.list[0]), oracle_cmp_cull);
	count = 0;
	for (int i = 0; i < or.size; i++) {
		if (count == 0 || oracle_cmp_cull(&or.list[count - 1], &or.list[i]) != 0) {
			or.list[count++] = or.list[i];
		} else {
			or.list[count - 1].num = o_add(or.list[count - 1].num, or.list[i].num);
			or.list[count - 1].page_num =
				o_add(or.list[count - 1].page_num, or.list[i].page_num);
			free(or.list[i].txt);
			free(or.list[i].comm);
		}
	}
	if (count && or.nr_keys)
		qsort(or.list, (size_t)count, sizeof(or.list[0]), oracle_cmp_sort);

	for (int i = 0; i < count; i++) {
		struct oracle_entry *e = &or.list[i];
		unsigned int cull = o->cull;

		if (!cull) {
			fprintf(fout, "%d times, %d pages, ", e->num, e->page_num);
			oracle_print_allocator(fout, e->allocator);
			fprintf(fout, ":\n%s\n", e->txt);
		} else {
			fprintf(fout, "%d times, %d pages", e->num, e->page_num);
			if ((cull & PMM_OWNER_SORT_CULL_PID) || o->pids)
				fprintf(fout, ", PID %d", e->pid);
			if ((cull & PMM_OWNER_SORT_CULL_TGID) || o->tgids)
				fprintf(fout, ", TGID %d", e->tgid);
			if ((cull & PMM_OWNER_SORT_CULL_COMM) || o->names)
				fprintf(fout, ", task_comm_name: %s", e->comm);
			if (cull & PMM_OWNER_SORT_CULL_ALLOCATOR) {
				fprintf(fout, ", ");
				oracle_print_allocator(fout, e->allocator);
			}
			if (cull & PMM_OWNER_SORT_CULL_FREE)
				fprintf(fout, " (%s)", e->free_ts_nsec ? "UNRELEASED" : "RELEASED");
			if (cull & PMM_OWNER_SORT_CULL_STACKTRACE)
				fprintf(fout, ":\n%s", e->stacktrace);
			fprintf(fout, "\n");
		}
		free(e->txt);
		free(e->comm);
	}
	fclose(fout);
	fclose(fin);
	oracle_cur = NULL;
	free(or.list);
	free(buf);
	free(pfn);
	return 0;
}

#endif /* PMM_TEST_OWNER_SORT_ORACLE_H */
