// SPDX-License-Identifier: MIT
/*
 * owner-sort: the page_owner_sort tool of Linux 6.1 (and 6.6) or 6.12 as a
 * streaming library routine.
 *
 * What the 6.1 tool does: read records (blocks ended by a blank line, "PFN"
 * lines set aside), fold a record into the previous one when its text is
 * byte-identical, filter, qsort every record by the cull comparison, fold
 * neighbours that compare equal (summing times and pages), qsort again by the
 * sort keys and print.  The 6.12 tool does not fold while reading, and keeps
 * each record's text with the digits of its ts cut out (unless it sorts by
 * the allocation time first), so that records that differ only in when they
 * were allocated compare equal; its one sort key is decided by the option
 * parser (owner_sort_opts.c).
 *
 * How this does the same in one pass: each record is folded into a group
 * keyed by what the cull comparison looks at (the whole text without
 * --cull), found through a hash table.  glibc's qsort is a stable merge sort,
 * so after the tool's first sort the survivor of each run of equals is the
 * earliest record, which is the group's first record here; the groups are
 * then put in cull order and merge-sorted by the sort keys with the same
 * split and merge steps as glibc (msort.c), so that comparators that never
 * return 0 (alloc and free timestamps) order ties exactly as the tool does.
 * Only the groups are kept, and of each only the strings the cull, the sort
 * and the output need, interned: a record text is kept as three pieces, its
 * first line up to the ts value (shared by the records of one task and gfp
 * mask), the rest of that line (ts and free_ts, unique), and the stack
 * (shared).  Memory follows what is distinct, which matters because touching
 * fresh memory (page faults) is the largest cost of a run.
 *
 * With the 6.12 tool's cut, the text kept is head + mid + stack of the
 * text without its ts digits: when they are on line one (always, in a
 * dump) the mid simply starts after them, so nothing is copied; otherwise
 * (lenient input) they are cut out of the stack in the record buffer.
 * Where the 6.12 tool is undefined, pmm chooses: the tool searches its ts
 * pattern in the copied text, which it has not NUL-terminated, so the
 * search may read past the text; pmm searches the text alone (which finds
 * what the tool's search of its read buffer finds, since a match ends in
 * "ns", inside the text).  And it cuts the digits with an overlapping
 * memcpy(); pmm moves the rest down as memmove() does (as glibc's x86-64
 * memcpy() does: the kernel tool's outputs in tests/data agree).
 *
 * Invariants: a group's fields are those of its first record; times and
 * pages wrap as the tool's ints do; a record text never contains NUL and is
 * followed in its buffer by the blank line's '\n' and a NUL, as in the
 * tool's buffer; a text is head + mid + stack, split at positions that
 * depend only on its bytes, so equal texts have equal pieces.
 *
 * Reading (the tool's read_block()) is in owner_sort_read.c, the field
 * patterns in owner_sort_record.c, strings in owner_sort_store.c.
 *
 * Locking: none; a run owns all its state and shares nothing.
 */
#include <pmm/owner_sort.h>
#include <pmm/errno.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/owner_sort_opts.h"
#include "report/owner_sort_read.h"
#include "report/owner_sort_record.h"
#include "report/owner_sort_store.h"

#define OUT_SIZE    (64u << 10)  /* output buffer */
#define NO_ID       UINT32_MAX

struct group {
	const char *mid;        /* text between head and stack (text kept) */
	uint64_t ts;
	uint64_t free_ts;
	uint32_t head;          /* interned text up to the ts value, or NO_ID */
	uint32_t mid_len;
	uint32_t stack;         /* interned stack, or NO_ID */
	uint32_t comm;          /* interned comm, or NO_ID */
	int pid;
	int tgid;
	uint32_t times;         /* wraps like the tool's int */
	uint32_t pages;
	int allocator;
};

struct name_ref {
	const char *s;
	size_t len;
};

struct run {
	const struct pmm_owner_sort_opts *o;  /* &opts, the caller's with the keys in force */
	struct pmm_owner_sort_opts opts;
	const char *name;
	char *err;
	size_t errlen;
	bool strict;
	enum owner_tool tool;
	bool fold_repeats;      /* 6.1: fold a record into the previous identical one */
	bool cut_ts;            /* 6.12: the ts digits are not part of the text */

	struct owner_reader rd;

	/* record buffers: one being read, one holding the last stored record */
	struct owner_buf rec[2];
	int cur;
	const char *prev_txt;
	size_t prev_len;
	uint32_t prev_group;
	bool have_prev;

	/* filters */
	int *pids;
	size_t nr_pids;
	int *tgids;
	size_t nr_tgids;
	struct name_ref *names;
	size_t nr_names;

	/* what each group keeps */
	bool keep_txt;
	bool keep_stack;
	bool keep_comm;

	struct group *g;
	uint32_t nr_groups;
	uint32_t cap_groups;
	uint64_t *ht;           /* hash low 32 bits << 32 | group index + 1; 0 = empty */
	size_t ht_mask;
	struct owner_arena arena;
	struct owner_intern str;
	uint32_t *head_rank;    /* by string id: rank among the heads (text kept) */
	bool *head_prefix;      /* by string id: a proper prefix of another head */

	/* output */
	FILE *out;
	char *obuf;
	size_t olen;
	bool out_error;
};

PMM_PRINTF(3, 4)
static int fail(struct run *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->err && r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ------------------------------------------------------------------ groups */

static inline const struct owner_str *str_of(const struct run *r, uint32_t id)
{
	return owner_intern_str(&r->str, id);
}

static inline bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* A record's pieces and interned ids, as its group would hold them. */
struct pieces {
	size_t head_len;        /* text[0..head_len) */
	size_t mid_off, mid_len;
	uint32_t head, stack, comm;
};

/*
 * Where the text splits: at the ts value if it is on line one, else at its
 * end.  With the 6.12 cut, the mid starts after the ts digits; digits in
 * the stack (lenient input only) are cut out of s itself, which is why s is
 * writable.  The comm is the uncut text's, as in the tool.
 */
static int split(struct run *r, char *s, size_t len, const struct owner_record *rc,
		 struct pieces *pc)
{
	size_t cut = 0, stack_off = rc->stack_off;
	long id;

	pc->head = pc->stack = pc->comm = NO_ID;
	if (r->cut_ts && rc->ts_off != SIZE_MAX)
		cut = rc->len[OWNER_FIELD_TS];
	pc->head_len = rc->ts_off < stack_off ? rc->ts_off : stack_off;
	pc->mid_off = pc->head_len;
	if (cut && rc->ts_off < stack_off)
		pc->mid_off += cut;
	pc->mid_len = stack_off - pc->mid_off;
	if (r->keep_comm) { /* before the stack is cut: the comm may be in it */
		id = owner_intern(&r->str, s + rc->comm_off, rc->comm_len);
		if (id < 0)
			return (int)id;
		pc->comm = (uint32_t)id;
	}
	if (cut && rc->ts_off >= stack_off) {
		memmove(s + rc->ts_off, s + rc->ts_off + cut, len - rc->ts_off - cut);
		len -= cut;
	}
	if (r->keep_txt) {
		id = owner_intern(&r->str, s, pc->head_len);
		if (id < 0)
			return (int)id;
		pc->head = (uint32_t)id;
	}
	if (r->keep_stack) {
		id = owner_intern(&r->str, s + stack_off, len - stack_off);
		if (id < 0)
			return (int)id;
		pc->stack = (uint32_t)id;
	}
	return 0;
}

/* Is the record in group g under the cull comparison? */
static bool same_key(const struct run *r, const struct group *g, const char *s,
		     const struct owner_record *rc, const struct pieces *pc)
{
	unsigned int cull = r->o->cull;

	if (!cull)
		return g->head == pc->head && g->stack == pc->stack &&
		       same_bytes(g->mid, g->mid_len, s + pc->mid_off, pc->mid_len);
	if ((cull & PMM_OWNER_SORT_CULL_STACKTRACE) && g->stack != pc->stack)
		return false;
	if ((cull & PMM_OWNER_SORT_CULL_PID) && g->pid != rc->pid)
		return false;
	if ((cull & PMM_OWNER_SORT_CULL_TGID) && g->tgid != rc->tgid)
		return false;
	if ((cull & PMM_OWNER_SORT_CULL_COMM) && g->comm != pc->comm)
		return false;
	if ((cull & PMM_OWNER_SORT_CULL_FREE) && !g->free_ts != !rc->free_ts)
		return false;
	if ((cull & PMM_OWNER_SORT_CULL_ALLOCATOR) && g->allocator != rc->allocator)
		return false;
	return true;
}

static uint64_t key_hash(const struct run *r, const char *s, const struct owner_record *rc,
			 const struct pieces *pc)
{
	unsigned int cull = r->o->cull;
	uint64_t h = 0x2545f4914f6cdd1dull;

	if (!cull)
		return owner_hash(s + pc->mid_off, pc->mid_len,
				  (uint64_t)pc->head << 32 | pc->stack);
	if (cull & PMM_OWNER_SORT_CULL_STACKTRACE)
		h = owner_mix(h ^ pc->stack);
	if (cull & PMM_OWNER_SORT_CULL_COMM)
		h = owner_mix(h ^ pc->comm ^ 0x100000000ull);
	if (cull & PMM_OWNER_SORT_CULL_PID)
		h = owner_mix(h ^ (uint32_t)rc->pid ^ 0x200000000ull);
	if (cull & PMM_OWNER_SORT_CULL_TGID)
		h = owner_mix(h ^ (uint32_t)rc->tgid ^ 0x400000000ull);
	if (cull & PMM_OWNER_SORT_CULL_FREE)
		h = owner_mix(h ^ (rc->free_ts != 0) ^ 0x800000000ull);
	if (cull & PMM_OWNER_SORT_CULL_ALLOCATOR)
		h = owner_mix(h ^ (uint32_t)rc->allocator ^ 0x1000000000ull);
	return h;
}

static int grow_table(struct run *r)
{
	size_t size = (r->ht_mask + 1) * 2, mask = size - 1;
	uint64_t *ht = calloc(size, sizeof(*ht));

	if (!ht)
		return -PMM_ENOMEM;
	for (size_t i = 0; i <= r->ht_mask; i++) {
		uint64_t e = r->ht[i];
		size_t h;

		if (!e)
			continue;
		for (h = (size_t)(e >> 32) & mask; ht[h]; h = (h + 1) & mask)
			;
		ht[h] = e;
	}
	free(r->ht);
	r->ht = ht;
	r->ht_mask = mask;
	return 0;
}

static int new_group(struct run *r, const char *s, const struct owner_record *rc,
		     const struct pieces *pc, uint32_t *idx)
{
	struct group *g;

	if (r->nr_groups == r->cap_groups) {
		uint32_t cap = r->cap_groups ? r->cap_groups * 2 : 1024;
		struct group *ng;

		if (cap > UINT32_MAX / 4)
			return -PMM_ENOMEM;
		ng = realloc(r->g, (size_t)cap * sizeof(*ng));
		if (!ng)
			return -PMM_ENOMEM;
		r->g = ng;
		r->cap_groups = cap;
	}
	g = &r->g[r->nr_groups];
	g->mid = NULL;
	g->mid_len = 0;
	if (r->keep_txt) {
		g->mid = owner_arena_put(&r->arena, s + pc->mid_off, pc->mid_len);
		if (!g->mid)
			return -PMM_ENOMEM;
		g->mid_len = (uint32_t)pc->mid_len;
	}
	g->head = pc->head;
	g->stack = pc->stack;
	g->comm = pc->comm;
	g->pid = rc->pid;
	g->tgid = rc->tgid;
	g->allocator = rc->allocator;
	g->ts = rc->ts;
	g->free_ts = rc->free_ts;
	g->times = 1;
	g->pages = (uint32_t)rc->pages;
	*idx = r->nr_groups++;
	return 0;
}

/* The group of this record, created when it is the first of its key. */
static int find_group(struct run *r, char *s, size_t len, const struct owner_record *rc,
		      uint32_t *idx)
{
	struct pieces pc;
	uint32_t tag;
	size_t h;
	int ret;

	ret = split(r, s, len, rc, &pc);
	if (ret)
		return ret;
	tag = (uint32_t)key_hash(r, s, rc, &pc);
	for (h = tag & r->ht_mask;; h = (h + 1) & r->ht_mask) {
		uint64_t e = r->ht[h];
		struct group *g;

		if (!e)
			break;
		if ((uint32_t)(e >> 32) != tag)
			continue;
		g = &r->g[(uint32_t)e - 1];
		if (same_key(r, g, s, rc, &pc)) {
			g->times++;
			g->pages += (uint32_t)rc->pages;
			*idx = (uint32_t)e - 1;
			return 0;
		}
	}
	ret = new_group(r, s, rc, &pc, idx);
	if (ret)
		return ret;
	r->ht[h] = (uint64_t)tag << 32 | (*idx + 1);
	if ((size_t)r->nr_groups * 10 > (r->ht_mask + 1) * 7)
		return grow_table(r);
	return 0;
}

/* ------------------------------------------------------------------ records */

static const char *const dbg_wrong[OWNER_NR_FIELDS] = {
	[OWNER_FIELD_ORDER] = "wrong order",
	[OWNER_FIELD_PID] = "wrong/invalid pid",
	[OWNER_FIELD_TGID] = "wrong/invalid tgid",
	[OWNER_FIELD_TS] = "wrong ts_nsec",
	[OWNER_FIELD_FREE_TS] = "wrong free_ts_nsec",
};

/* -d: what the tool's getter for field f prints for this record. */
static void debug_get(const struct run *r, enum owner_field f, const char *s, size_t n,
		      unsigned int bad, unsigned int nomatch)
{
	FILE *d = r->o->debug_stream;

	if (!r->o->debug || !d || !((bad | nomatch) & (1u << f)))
		return;
	if (nomatch & (1u << f)) {
		fputs("no matching pattern in ", d);
		fwrite(s, 1, n, d);
		fputc('\n', d);
	}
	if (f != OWNER_FIELD_COMM && (bad & (1u << f))) {
		fprintf(d, "%s in follow buf:\n", dbg_wrong[f]);
		fwrite(s, 1, n, d);
		fputc('\n', d);
	}
}

static bool in_nums(int v, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/*
 * is_need(): the filters, with the tool's sequence of field reads for -d
 * (6.1 reads both times first, for -f; 6.12 has no -f and does not).
 */
static bool wanted(const struct run *r, const struct owner_record *rc, const char *s, size_t n)
{
	unsigned int bad = rc->bad, nm = rc->nomatch;
	bool name_ok = true;

	if (r->tool == OWNER_TOOL_6_1) {
		debug_get(r, OWNER_FIELD_TS, s, n, bad, nm);
		debug_get(r, OWNER_FIELD_FREE_TS, s, n, bad, nm);
		if (r->o->unreleased && rc->free_ts != 0 && rc->ts < rc->free_ts)
			return false;
	}
	if (r->pids) {
		debug_get(r, OWNER_FIELD_PID, s, n, bad, nm);
		if (!in_nums(rc->pid, r->pids, r->nr_pids))
			return false;
	}
	if (r->tgids) {
		debug_get(r, OWNER_FIELD_TGID, s, n, bad, nm);
		if (!in_nums(rc->tgid, r->tgids, r->nr_tgids))
			return false;
	}
	debug_get(r, OWNER_FIELD_COMM, s, n, bad, nm);
	if (r->names) {
		name_ok = false;
		for (size_t i = 0; i < r->nr_names && !name_ok; i++)
			name_ok = same_bytes(r->names[i].s, r->names[i].len, s + rc->comm_off,
					     rc->comm_len);
	}
	return name_ok;
}

static int add_record(struct run *r, char *s, size_t len, unsigned long first_line)
{
	struct owner_record rc;
	size_t n = len + 1; /* the tool's patterns also see the blank line's '\n' */
	uint32_t idx;
	int ret;

	if (r->strict && len == 0)
		return owner_bad_input(&r->rd, first_line, "empty record (stray blank line)");
	if (r->fold_repeats && r->have_prev && len == r->prev_len &&
	    memcmp(s, r->prev_txt, len) == 0) {
		unsigned int bad = 0;
		int pages = owner_record_pages(s, n, &bad);
		struct group *g = &r->g[r->prev_group];

		if (bad && r->o->debug) {
			unsigned int nm = 0;
			size_t cap, cl;

			if (!owner_field_match(r->tool, OWNER_FIELD_ORDER, s, n, &cap, &cl))
				nm = 1u << OWNER_FIELD_ORDER;
			debug_get(r, OWNER_FIELD_ORDER, s, n, bad, nm);
		}
		g->times++;
		g->pages += (uint32_t)pages;
		return 0;
	}
	owner_record_parse(&rc, r->tool, s, n, r->rd.pfn.p ? r->rd.pfn.p : "", r->rd.pfn_len);
	if (r->strict) {
		const char *why = owner_header_check(r->tool, s, n, &rc);

		if (why)
			return owner_bad_input(&r->rd, first_line, "%s", why);
	}
	if (!wanted(r, &rc, s, n))
		return 0;
	debug_get(r, OWNER_FIELD_PID, s, n, rc.bad, rc.nomatch);
	debug_get(r, OWNER_FIELD_TGID, s, n, rc.bad, rc.nomatch);
	debug_get(r, OWNER_FIELD_COMM, s, n, rc.bad, rc.nomatch);
	debug_get(r, OWNER_FIELD_ORDER, s, n, rc.bad, rc.nomatch);
	debug_get(r, OWNER_FIELD_TS, s, n, rc.bad, rc.nomatch);
	debug_get(r, OWNER_FIELD_FREE_TS, s, n, rc.bad, rc.nomatch); /* never for 6.12 */
	ret = find_group(r, s, len, &rc, &idx);
	if (ret)
		return fail(r, ret, "%s: out of memory", r->name);
	if (!r->fold_repeats)
		return 0;
	/* the next record is compared with this one: keep its buffer */
	r->prev_txt = s;
	r->prev_len = len;
	r->prev_group = idx;
	r->have_prev = true;
	r->cur ^= 1;
	return 0;
}

/* ------------------------------------------------------------------ sorting */

typedef int (*cmp_fn)(const struct run *r, const struct group *a, const struct group *b);

/* strcmp() on NUL-free byte strings. */
static inline int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* The tool's "l1->x - l2->x" on ints: wraps. */
static inline int isub(int a, int b)
{
	return (int)((uint32_t)a - (uint32_t)b);
}

/* strcmp() of two interned strings; the same id is the same string. */
static inline int cmp_id(const struct run *r, uint32_t a, uint32_t b)
{
	const struct owner_str *x, *y;

	if (a == b)
		return 0;
	x = str_of(r, a);
	y = str_of(r, b);
	return cmp_bytes(x->s, x->len, y->s, y->len);
}

/* strcmp() of two texts held as head + mid + stack, piece by piece. */
static int cmp_txt_pieces(const struct run *r, const struct group *a, const struct group *b)
{
	const struct owner_str *ha = str_of(r, a->head), *hb = str_of(r, b->head);
	const struct owner_str *sa = str_of(r, a->stack), *sb = str_of(r, b->stack);
	const char *pa[3] = { ha->s, a->mid, sa->s }, *pb[3] = { hb->s, b->mid, sb->s };
	size_t na[3] = { ha->len, a->mid_len, sa->len }, nb[3] = { hb->len, b->mid_len, sb->len };
	unsigned int ia = 0, ib = 0;
	size_t oa = 0, ob = 0;

	for (;;) {
		size_t k;
		int c;

		while (ia < 3 && oa == na[ia]) {
			ia++;
			oa = 0;
		}
		while (ib < 3 && ob == nb[ib]) {
			ib++;
			ob = 0;
		}
		if (ia == 3 || ib == 3)
			return ia == 3 ? (ib == 3 ? 0 : -1) : 1;
		k = na[ia] - oa < nb[ib] - ob ? na[ia] - oa : nb[ib] - ob;
		c = memcmp(pa[ia] + oa, pb[ib] + ob, k);
		if (c)
			return c;
		oa += k;
		ob += k;
	}
}

/*
 * strcmp() of two texts.  Different heads: unless the smaller is a prefix
 * of another head, they differ inside both, and their rank decides.  Same
 * head: the mids (each up to the end of line one, so neither can be a
 * proper prefix of the other unless a text has no newline), then stacks.
 */
static int cmp_txt(const struct run *r, const struct group *a, const struct group *b)
{
	size_t m;
	int c;

	if (a->head != b->head) {
		uint32_t ra = r->head_rank[a->head], rb = r->head_rank[b->head];

		if (!r->head_prefix[ra < rb ? a->head : b->head])
			return ra < rb ? -1 : 1;
		return cmp_txt_pieces(r, a, b);
	}
	m = a->mid_len < b->mid_len ? a->mid_len : b->mid_len;
	c = memcmp(a->mid, b->mid, m);
	if (c)
		return c;
	if (a->mid_len != b->mid_len)
		return cmp_txt_pieces(r, a, b);
	return cmp_id(r, a->stack, b->stack);
}

/* compare_cull_condition() with a non-zero cull. */
static int cmp_cull(const struct run *r, const struct group *a, const struct group *b)
{
	unsigned int cull = r->o->cull;
	int c;

	if ((cull & PMM_OWNER_SORT_CULL_STACKTRACE) && (c = cmp_id(r, a->stack, b->stack)) != 0)
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_PID) && (c = isub(a->pid, b->pid)) != 0)
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_TGID) && (c = isub(a->tgid, b->tgid)) != 0)
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_COMM) && (c = cmp_id(r, a->comm, b->comm)) != 0)
		return c;
	if ((cull & PMM_OWNER_SORT_CULL_FREE) && !a->free_ts != !b->free_ts)
		return a->free_ts ? 1 : -1;
	if (cull & PMM_OWNER_SORT_CULL_ALLOCATOR)
		return isub(a->allocator, b->allocator);
	return 0;
}

static int cmp_key(const struct run *r, enum pmm_owner_sort_key k, const struct group *a,
		   const struct group *b)
{
	switch (k) {
	case PMM_OWNER_SORT_KEY_TIMES:
		return isub((int)a->times, (int)b->times);
	case PMM_OWNER_SORT_KEY_PAGES:
		return isub((int)a->pages, (int)b->pages);
	case PMM_OWNER_SORT_KEY_PID:
		return isub(a->pid, b->pid);
	case PMM_OWNER_SORT_KEY_TGID:
		return isub(a->tgid, b->tgid);
	case PMM_OWNER_SORT_KEY_COMM:
		return cmp_id(r, a->comm, b->comm);
	case PMM_OWNER_SORT_KEY_STACKTRACE:
		return cmp_id(r, a->stack, b->stack);
	case PMM_OWNER_SORT_KEY_ALLOC_TS:
		return a->ts < b->ts ? -1 : 1; /* never 0, as in the tool */
	case PMM_OWNER_SORT_KEY_FREE_TS:
		return a->free_ts < b->free_ts ? -1 : 1;
	case PMM_OWNER_SORT_KEY_TXT:
		return cmp_txt(r, a, b);
	default:
		return isub(a->allocator, b->allocator);
	}
}

/* compare_sort_condition(): first non-zero key, times its sign. */
static int cmp_sort(const struct run *r, const struct group *a, const struct group *b)
{
	const struct pmm_owner_sort_opts *o = r->o;

	for (unsigned int i = 0; i < o->nr_keys; i++) {
		int c = cmp_key(r, o->keys[i].key, a, b);

		if (c) /* sign * c in int arithmetic: -INT_MIN stays INT_MIN */
			return o->keys[i].descending ? (int)(0u - (uint32_t)c) : c;
	}
	return 0;
}

/*
 * glibc's msort_with_tmp(): halve (n / 2 on the left), sort both halves,
 * merge taking the left element while cmp <= 0.  Same steps, same result,
 * even for comparators that are not consistent.
 */
static void msort(const struct run *r, cmp_fn cmp, uint32_t *b, size_t n, uint32_t *tmp)
{
	size_t n1, n2;
	uint32_t *b1, *b2, *t;

	if (n <= 1)
		return;
	n1 = n / 2;
	n2 = n - n1;
	b1 = b;
	b2 = b + n1;
	msort(r, cmp, b1, n1, tmp);
	msort(r, cmp, b2, n2, tmp);
	t = tmp;
	while (n1 > 0 && n2 > 0) {
		if (cmp(r, &r->g[*b1], &r->g[*b2]) <= 0) {
			*t++ = *b1++;
			n1--;
		} else {
			*t++ = *b2++;
			n2--;
		}
	}
	if (n1 > 0)
		memcpy(t, b1, n1 * sizeof(*t));
	memcpy(b, tmp, (n - n2) * sizeof(*b));
}

/* ------------------------------------------------------------------ output */

static void out_flush(struct run *r)
{
	if (r->olen && !r->out_error && fwrite(r->obuf, 1, r->olen, r->out) != r->olen)
		r->out_error = true;
	r->olen = 0;
}

static void out_put(struct run *r, const char *s, size_t n)
{
	while (n) {
		size_t room = OUT_SIZE - r->olen, k = n < room ? n : room;

		memcpy(r->obuf + r->olen, s, k);
		r->olen += k;
		s += k;
		n -= k;
		if (r->olen == OUT_SIZE)
			out_flush(r);
	}
}

/* a string literal (only: sizeof must see the array), without strlen() */
#define out_str(r, lit) out_put((r), "" lit, sizeof(lit) - 1)

static void out_int(struct run *r, int v)
{
	char buf[16], *p = buf + sizeof(buf);
	uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	out_put(r, p, (size_t)(buf + sizeof(buf) - p));
}

static void out_allocator(struct run *r, int a)
{
	out_str(r, "allocated by ");
	if (a & OWNER_ALLOC_CMA)
		out_str(r, "CMA ");
	if (a & OWNER_ALLOC_SLAB)
		out_str(r, "SLAB ");
	if (a & OWNER_ALLOC_VMALLOC)
		out_str(r, "VMALLOC ");
	if (a & OWNER_ALLOC_OTHERS)
		out_str(r, "OTHERS ");
}

static void print_group(struct run *r, const struct group *g)
{
	unsigned int cull = r->o->cull;

	out_int(r, (int)g->times);
	out_str(r, " times, ");
	out_int(r, (int)g->pages);
	if (!cull) {
		out_str(r, " pages, ");
		out_allocator(r, g->allocator);
		out_str(r, ":\n");
		const struct owner_str *h = str_of(r, g->head), *st = str_of(r, g->stack);

		out_put(r, h->s, h->len);
		out_put(r, g->mid, g->mid_len);
		out_put(r, st->s, st->len);
		out_put(r, "\n", 1);
		return;
	}
	out_str(r, " pages");
	if ((cull & PMM_OWNER_SORT_CULL_PID) || r->pids) {
		out_str(r, ", PID ");
		out_int(r, g->pid);
	}
	if ((cull & PMM_OWNER_SORT_CULL_TGID) || r->tgids) {
		out_str(r, ", TGID ");
		out_int(r, g->tgid);
	}
	if ((cull & PMM_OWNER_SORT_CULL_COMM) || r->names) {
		out_str(r, ", task_comm_name: ");
		const struct owner_str *c = str_of(r, g->comm);

		out_put(r, c->s, c->len);
	}
	if (cull & PMM_OWNER_SORT_CULL_ALLOCATOR) {
		out_str(r, ", ");
		out_allocator(r, g->allocator);
	}
	if (cull & PMM_OWNER_SORT_CULL_FREE)
	{
		if (g->free_ts)
			out_str(r, " (UNRELEASED)");
		else
			out_str(r, " (RELEASED)");
	}
	if (cull & PMM_OWNER_SORT_CULL_STACKTRACE) {
		out_str(r, ":\n");
		const struct owner_str *st = str_of(r, g->stack);

		out_put(r, st->s, st->len);
	}
	out_put(r, "\n", 1);
}

/* ------------------------------------------------------------------ setup */

static int check_opts(const struct pmm_owner_sort_opts *o)
{
	bool v612 = o->kver == PMM_KVER_6_12;

	if ((unsigned int)o->kver > PMM_KVER_6_12)
		return -1;
	if (o->cull & ~PMM_OWNER_SORT_CULL_ALL)
		return -1;
	if (o->nr_keys > PMM_OWNER_SORT_MAX_KEYS)
		return -1;
	for (unsigned int i = 0; i < o->nr_keys; i++)
		if ((unsigned int)o->keys[i].key >= PMM_OWNER_SORT_NR_KEYS ||
		    (v612 && o->keys[i].key == PMM_OWNER_SORT_KEY_FREE_TS))
			return -1;
	/* the 6.12 tool knows no free_ts: no -f, no --cull=free */
	if (v612 && (o->unreleased || (o->cull & PMM_OWNER_SORT_CULL_FREE)))
		return -1;
	return 0;
}

static int setup_filters(struct run *r)
{
	const struct pmm_owner_sort_opts *o = r->o;
	long n;

	if (o->pids) {
		n = owner_num_list(o->pids, NULL);
		if (n < 0)
			return fail(r, -PMM_EINVAL, "wrong/invalid pid in from the command line:%s",
				    o->pids);
		r->pids = malloc((size_t)n * sizeof(int));
		if (!r->pids)
			return -PMM_ENOMEM;
		r->nr_pids = (size_t)owner_num_list(o->pids, r->pids);
	}
	if (o->tgids) {
		n = owner_num_list(o->tgids, NULL);
		if (n < 0)
			return fail(r, -PMM_EINVAL, "wrong/invalid tgid in from the command line:%s",
				    o->tgids);
		r->tgids = malloc((size_t)n * sizeof(int));
		if (!r->tgids)
			return -PMM_ENOMEM;
		r->nr_tgids = (size_t)owner_num_list(o->tgids, r->tgids);
	}
	if (o->names) {
		const char *s = o->names;

		r->names = malloc(owner_list_count(s) * sizeof(*r->names));
		if (!r->names)
			return -PMM_ENOMEM;
		for (;;) {
			const char *c = strchr(s, ',');

			r->names[r->nr_names].s = s;
			r->names[r->nr_names].len = c ? (size_t)(c - s) : strlen(s);
			r->nr_names++;
			if (!c)
				break;
			s = c + 1;
		}
	}
	return 0;
}

static void teardown(struct run *r)
{
	free(r->head_rank);
	free(r->head_prefix);
	owner_intern_free(&r->str);
	owner_arena_free(&r->arena);
	free(r->g);
	free(r->ht);
	owner_reader_free(&r->rd);
	free(r->rec[0].p);
	free(r->rec[1].p);
	free(r->pids);
	free(r->tgids);
	free(r->names);
	free(r->obuf);
}

static int read_all(struct run *r)
{
	bool any = false;

	for (;;) {
		size_t len = 0;
		unsigned long first = 0;
		struct owner_buf *buf = &r->rec[r->cur];
		int ret = owner_read_block(&r->rd, buf, &len, &first);

		if (ret < 0)
			return ret;
		if (ret == OWNER_REC_END)
			break;
		any = true;
		ret = add_record(r, buf->p, len, first);
		if (ret)
			return ret;
	}
	if (r->strict && !any)
		return owner_bad_input(&r->rd, r->rd.line + 1, "empty input: no page_owner records");
	return 0;
}

struct head_ref {
	const char *s;
	uint32_t len;
	uint32_t id;
};

static int cmp_head_ref(const void *pa, const void *pb)
{
	const struct head_ref *a = pa, *b = pb;

	return cmp_bytes(a->s, a->len, b->s, b->len);
}

/*
 * Rank the distinct heads and mark those that are a proper prefix of
 * another: in sorted order a string is a prefix of some later one exactly
 * when it is a prefix of the next.
 */
static int rank_heads(struct run *r)
{
	uint32_t nr = r->str.nr, n = 0;
	struct head_ref *h;

	r->head_rank = calloc(nr ? nr : 1, sizeof(*r->head_rank));
	r->head_prefix = calloc(nr ? nr : 1, sizeof(*r->head_prefix));
	h = malloc((nr ? nr : 1) * sizeof(*h));
	if (!r->head_rank || !r->head_prefix || !h) {
		free(h);
		return -PMM_ENOMEM;
	}
	for (uint32_t i = 0; i < r->nr_groups; i++) {
		uint32_t id = r->g[i].head;

		if (!r->head_prefix[id]) { /* first sight: borrow the flag as "seen" */
			const struct owner_str *st = str_of(r, id);

			r->head_prefix[id] = true;
			h[n].s = st->s;
			h[n].len = st->len;
			h[n].id = id;
			n++;
		}
	}
	qsort(h, n, sizeof(*h), cmp_head_ref);
	for (uint32_t i = 0; i < n; i++) {
		r->head_rank[h[i].id] = i;
		r->head_prefix[h[i].id] = i + 1 < n && h[i].len < h[i + 1].len &&
					  memcmp(h[i].s, h[i + 1].s, h[i].len) == 0;
	}
	free(h);
	return 0;
}

static int write_all(struct run *r)
{
	uint32_t *order, *tmp;
	size_t n = r->nr_groups;

	order = malloc((n ? n : 1) * sizeof(*order));
	tmp = malloc((n ? n : 1) * sizeof(*tmp));
	r->obuf = malloc(OUT_SIZE);
	if (!order || !tmp || !r->obuf) {
		free(order);
		free(tmp);
		return fail(r, -PMM_ENOMEM, "%s: out of memory", r->name);
	}
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	if (r->keep_txt && rank_heads(r)) {
		free(order);
		free(tmp);
		return fail(r, -PMM_ENOMEM, "%s: out of memory", r->name);
	}
	msort(r, r->o->cull ? cmp_cull : cmp_txt, order, n, tmp);
	if (r->o->nr_keys)
		msort(r, cmp_sort, order, n, tmp);
	for (size_t i = 0; i < n; i++)
		print_group(r, &r->g[order[i]]);
	out_flush(r);
	free(order);
	free(tmp);
	if (r->out_error || fflush(r->out) != 0 || ferror(r->out))
		return fail(r, -PMM_EIO, "write error");
	return 0;
}

int pmm_owner_sort_run(const struct pmm_owner_sort_opts *opts, FILE *in,
		       const char *input_name, FILE *out, char *err, size_t errlen)
{
	struct run r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.errlen = errlen;
	r.name = input_name ? input_name : "<input>";
	if (err && errlen)
		err[0] = '\0';
	if (!opts || !in || !out || check_opts(opts))
		return fail(&r, -PMM_EINVAL, "invalid owner-sort options");
	r.opts = *opts;
	r.o = &r.opts;
	r.tool = opts->kver == PMM_KVER_6_12 ? OWNER_TOOL_6_12 : OWNER_TOOL_6_1;
	if (r.tool == OWNER_TOOL_6_12) {
		/* the 6.12 tool always has a sort key: without an option, times */
		if (r.opts.nr_keys == 0) {
			r.opts.nr_keys = 1;
			r.opts.keys[0].key = PMM_OWNER_SORT_KEY_TIMES;
			r.opts.keys[0].descending = true;
		}
		r.cut_ts = r.opts.keys[0].key != PMM_OWNER_SORT_KEY_ALLOC_TS;
	} else {
		r.fold_repeats = true;
	}
	opts = r.o;
	r.out = out;
	r.strict = !opts->lenient;
	r.keep_txt = opts->cull == 0;
	r.keep_stack = (opts->cull & PMM_OWNER_SORT_CULL_STACKTRACE) != 0;
	r.keep_comm = (opts->cull & PMM_OWNER_SORT_CULL_COMM) || opts->names;
	for (unsigned int i = 0; i < opts->nr_keys; i++) {
		if (opts->keys[i].key == PMM_OWNER_SORT_KEY_TXT)
			r.keep_txt = true;
		if (opts->keys[i].key == PMM_OWNER_SORT_KEY_STACKTRACE)
			r.keep_stack = true;
		if (opts->keys[i].key == PMM_OWNER_SORT_KEY_COMM)
			r.keep_comm = true;
	}
	r.keep_stack |= r.keep_txt; /* a kept text is head + mid + stack */

	ret = setup_filters(&r);
	if (ret)
		goto out;
	r.ht_mask = 255;
	r.ht = calloc(r.ht_mask + 1, sizeof(*r.ht));
	if (owner_reader_init(&r.rd, in, r.name, r.strict, err, errlen) || !r.ht ||
	    !owner_buf_ensure(&r.rec[0], 4096) || !owner_buf_ensure(&r.rec[1], 4096) ||
	    owner_intern_init(&r.str, &r.arena)) {
		ret = fail(&r, -PMM_ENOMEM, "%s: out of memory", r.name);
		goto out;
	}
	ret = read_all(&r);
	if (ret)
		goto out;
	ret = write_all(&r);
out:
	if (ret == -PMM_ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "%s: out of memory", r.name);
	teardown(&r);
	return ret;
}
