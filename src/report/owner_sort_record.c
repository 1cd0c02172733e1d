// SPDX-License-Identifier: MIT
/*
 * Field extraction for owner-sort: what the page_owner_sort tool's regexes
 * and strtol/strtoull calls make of one record, and a strict check of the
 * record header.  The tools of Linux 6.1 and 6.12 differ in one pattern:
 * 6.1's ts pattern ends in "ns," (the comma before free_ts), 6.12's in "ns";
 * and 6.12 has no free_ts pattern.
 *
 * Why no regex engine: the tool's patterns are a literal word followed by
 * \s*, digits and a literal, so for a given start the POSIX leftmost-longest
 * match is fixed by one scan; the tool takes the leftmost start where the
 * whole pattern matches.  Only the comm pattern has a greedy (.*), whose
 * longest match ends at the last ")," on the line that is followed by
 * blanks and "ts".  tests/unit/test_owner_sort.c checks every pattern
 * against <regex.h> on random input.
 *
 * Where the tool's behaviour is undefined, this file picks one answer:
 *  - captures longer than its fixed buffers (25 bytes for numbers, 16 for
 *    comm) are used whole instead of overflowing;
 *  - an order that truncates to a negative int shifts by (order & 31), as
 *    x86 does;
 *  - "__vmalloc_node_range" on the first or second line makes the tool walk
 *    back before its buffer; here the walk stops at the record start.
 *
 * Pure functions: no state, no allocation, no locks.
 */
#include "report/owner_sort_record.h"

#include <limits.h>
#include <string.h>

#define NOT_FOUND ((size_t)-1)

/* [[:space:]] in the C locale: what \s matches in glibc, newline included. */
static inline bool rx_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_lower_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static size_t skip_space(const char *s, size_t n, size_t i)
{
	while (i < n && rx_space((unsigned char)s[i]))
		i++;
	return i;
}

static size_t skip_digits(const char *s, size_t n, size_t i)
{
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	return i;
}

static bool has_at(const char *s, size_t n, size_t i, const char *lit, size_t ll)
{
	return i <= n && n - i >= ll && memcmp(s + i, lit, ll) == 0;
}

/* Last c in s[0..n), or NULL (memrchr() is not C11). */
static const char *last_byte(const char *s, char c, size_t n)
{
	while (n--)
		if (s[n] == c)
			return s + n;
	return NULL;
}

/* Leftmost occurrence of lit in s[from..n). */
static size_t find_lit(const char *s, size_t n, size_t from, const char *lit, size_t ll)
{
	while (from < n && n - from >= ll) {
		const char *p = memchr(s + from, lit[0], n - from - ll + 1);

		if (!p)
			return NOT_FOUND;
		if (memcmp(p + 1, lit + 1, ll - 1) == 0)
			return (size_t)(p - s);
		from = (size_t)(p - s) + 1;
	}
	return NOT_FOUND;
}

/* word\s*([0-9]*)<end>: order (end ','), pid (end ','). */
static bool match_num_comma(const char *s, size_t n, size_t a, size_t *cap, size_t *caplen)
{
	size_t j = skip_space(s, n, a), k = skip_digits(s, n, j);

	if (k < n && s[k] == ',') {
		*cap = j;
		*caplen = k - j;
		return true;
	}
	return false;
}

/*
 * tgid\s*([0-9]*)<space>: with digits, they must be followed by a space;
 * without, any space inside the blank run can be the literal one, and the
 * capture is empty.
 */
static bool match_tgid(const char *s, size_t n, size_t a, size_t *cap, size_t *caplen)
{
	size_t j = skip_space(s, n, a), k = skip_digits(s, n, j);

	if (k > j && k < n && s[k] == ' ') {
		*cap = j;
		*caplen = k - j;
		return true;
	}
	for (size_t t = a; t < j; t++) {
		if (s[t] == ' ') {
			*cap = t;
			*caplen = 0;
			return true;
		}
	}
	return false;
}

/* ts\s*([0-9]*)\s*ns, (6.1), ts\s*([0-9]*)\s*ns (6.12) and free_ts\s*([0-9]*)\s*ns */
static bool match_ts(const char *s, size_t n, size_t a, const char *tail, size_t tl,
		     size_t *cap, size_t *caplen)
{
	size_t j = skip_space(s, n, a), k = skip_digits(s, n, j);
	size_t m = k > j ? skip_space(s, n, k) : j;

	if (has_at(s, n, m, tail, tl)) {
		*cap = j;
		*caplen = k - j;
		return true;
	}
	return false;
}

/*
 * The line holding a comm capture start, and the last ")," on it that is
 * followed by blanks and "ts": computed once per line, because callers try
 * the pattern at increasing positions and a crafted line can hold thousands
 * of "tgid (" (the scan would be quadratic).
 */
struct comm_cache {
	bool valid;
	size_t line_end;
	size_t lastq;   /* NOT_FOUND if none at or after the first start */
};

/* tgid\s*[0-9]*\s*\((.*)\),\s*ts: the greedy capture ends at the last fit. */
static bool match_comm(const char *s, size_t n, size_t a, size_t *cap, size_t *caplen,
		       struct comm_cache *cc)
{
	size_t j = skip_space(s, n, a), k = skip_digits(s, n, j);
	size_t m = k > j ? skip_space(s, n, k) : j;
	size_t p;

	if (m >= n || s[m] != '(')
		return false;
	p = m + 1;
	if (!cc->valid || p > cc->line_end) {
		const char *nl = memchr(s + p, '\n', n - p);
		size_t end = nl ? (size_t)(nl - s) : n;

		cc->valid = true;
		cc->line_end = end;
		cc->lastq = NOT_FOUND;
		while (end > p) {
			const char *q = last_byte(s + p, ')', end - p);
			size_t qi;

			if (!q)
				break;
			qi = (size_t)(q - s);
			if (qi + 1 < n && s[qi + 1] == ',' &&
			    has_at(s, n, skip_space(s, n, qi + 2), "ts", 2)) {
				cc->lastq = qi;
				break;
			}
			end = qi;
		}
	}
	/* the largest fit on the line; a later start past it has none */
	if (cc->lastq == NOT_FOUND || cc->lastq < p)
		return false;
	*cap = p;
	*caplen = cc->lastq - p;
	return true;
}

bool owner_field_match(enum owner_tool tool, enum owner_field f, const char *s, size_t n,
		       size_t *cap, size_t *caplen)
{
	static const struct {
		const char *word;
		size_t len;
	} words[OWNER_NR_FIELDS] = {
		[OWNER_FIELD_ORDER] = { "order", 5 },   [OWNER_FIELD_PID] = { "pid", 3 },
		[OWNER_FIELD_TGID] = { "tgid", 4 },     [OWNER_FIELD_COMM] = { "tgid", 4 },
		[OWNER_FIELD_TS] = { "ts", 2 },         [OWNER_FIELD_FREE_TS] = { "free_ts", 7 },
	};
	struct comm_cache cc = { false, 0, 0 };
	const char *ts_tail = tool == OWNER_TOOL_6_12 ? "ns" : "ns,";
	size_t i = 0;

	if ((unsigned int)f >= OWNER_NR_FIELDS)
		return false;
	for (;;) {
		bool ok;
		size_t a;

		i = find_lit(s, n, i, words[f].word, words[f].len);
		if (i == NOT_FOUND)
			return false;
		a = i + words[f].len;
		switch (f) {
		case OWNER_FIELD_ORDER:
		case OWNER_FIELD_PID:
			ok = match_num_comma(s, n, a, cap, caplen);
			break;
		case OWNER_FIELD_TGID:
			ok = match_tgid(s, n, a, cap, caplen);
			break;
		case OWNER_FIELD_COMM:
			ok = match_comm(s, n, a, cap, caplen, &cc);
			break;
		case OWNER_FIELD_TS:
			ok = match_ts(s, n, a, ts_tail, strlen(ts_tail), cap, caplen);
			break;
		default:
			ok = match_ts(s, n, a, "ns", 2, cap, caplen);
			break;
		}
		if (ok)
			return true;
		i++;
	}
}

/* strtoull over a run of digits; false when it would set ERANGE. */
static bool dec_value(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/*
 * A capture converted the tool's way: strtol (fails above LONG_MAX; the
 * long is then stored in an int) or strtoull (fails above 2^64 - 1); an
 * empty capture fails too (endptr == start).
 */
static int pages_from(const char *s, size_t len, bool ok, unsigned int *bad)
{
	uint64_t v;
	int order;

	if (!ok || len == 0 || !dec_value(s, len, &v) || v > (uint64_t)INT64_MAX) {
		*bad |= 1u << OWNER_FIELD_ORDER;
		return 0;
	}
	order = (int)(uint32_t)v;
	if (order > 64) {
		*bad |= 1u << OWNER_FIELD_ORDER;
		return 0;
	}
	return (int)(1u << ((unsigned int)order & 31));
}

static int pid_from(enum owner_field f, const char *s, size_t len, bool ok, unsigned int *bad)
{
	uint64_t v;

	if (!ok || len == 0 || !dec_value(s, len, &v) || v > (uint64_t)INT64_MAX) {
		*bad |= 1u << f;
		return -1;
	}
	return (int)(uint32_t)v;
}

static uint64_t ts_from(enum owner_field f, const char *s, size_t len, bool ok,
			unsigned int *bad)
{
	uint64_t v;

	if (!ok || len == 0 || !dec_value(s, len, &v)) {
		*bad |= 1u << f;
		return UINT64_MAX;
	}
	return v;
}

int owner_record_pages(const char *s, size_t n, unsigned int *bad)
{
	size_t cap = 0, len = 0;
	bool ok = owner_field_match(OWNER_TOOL_6_1, OWNER_FIELD_ORDER, s, n, &cap, &len);

	return pages_from(s + cap, len, ok, bad);
}

/*
 * First "__vmalloc_node_range" in s[0..n).  Scanning for its 'v', rare in
 * stack text, beats scanning for '_', which every frame is full of.
 */
static size_t find_vmalloc(const char *s, size_t n)
{
	static const char word[] = "__vmalloc_node_range";
	size_t from = 2;

	while (from < n) {
		const char *v = memchr(s + from, 'v', n - from);
		size_t i;

		if (!v)
			break;
		i = (size_t)(v - s) - 2;
		if (has_at(s, n, i, word, sizeof(word) - 1))
			return i;
		from = (size_t)(v - s) + 1;
	}
	return NOT_FOUND;
}

/*
 * get_allocator(): CMA and slab from the last PFN line; VMALLOC when
 * "alloc_pages" occurs between the start of the line before the first
 * "__vmalloc_node_range" and that occurrence.
 */
static int allocator_of(const char *s, size_t n, const char *pfn, size_t pfn_len)
{
	int a = 0;
	size_t v;

	if (find_lit(pfn, pfn_len, 0, "CMA", 3) != NOT_FOUND)
		a |= OWNER_ALLOC_CMA;
	if (find_lit(pfn, pfn_len, 0, "slab", 4) != NOT_FOUND)
		a |= OWNER_ALLOC_SLAB;
	v = find_vmalloc(s, n);
	if (v != NOT_FOUND) {
		size_t t = v, first = 0, ap;

		while (t > 0 && s[t] != '\n')
			t--;
		if (s[t] == '\n' && t > 0) {
			t--;
			while (t > 0 && s[t] != '\n')
				t--;
			first = s[t] == '\n' ? t + 1 : 0;
		}
		ap = find_lit(s, n, first, "alloc_pages", 11);
		if (ap != NOT_FOUND && ap < v)
			a |= OWNER_ALLOC_VMALLOC;
	}
	return a ? a : OWNER_ALLOC_OTHERS;
}

/* The literal lit (a string literal) at s[*i], consumed. */
#define EAT(s, n, i, lit) eat_lit((s), (n), (i), "" lit, sizeof(lit) - 1)

static inline bool eat_lit(const char *s, size_t n, size_t *i, const char *lit, size_t ll)
{
	if (n - *i < ll || memcmp(s + *i, lit, ll) != 0)
		return false;
	*i += ll;
	return true;
}

static bool eat_digits(const char *s, size_t n, size_t *i, size_t *cap, size_t *len)
{
	size_t k = skip_digits(s, n, *i);

	if (k == *i)
		return false;
	*cap = *i;
	*len = k - *i;
	*i = k;
	return true;
}

/* Characters of %pGg output: flag names, '|', and "0x..." for unknown bits. */
static inline bool gfp_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '|' ||
	       (c >= 'a' && c <= 'f') || c == 'x';
}

/*
 * The fast path.  When line one is exactly
 *   "Page allocated via order D, mask 0xH(NAMES), pid D, tgid D (COMM),
 *    ts D ns, free_ts D ns"
 * with NAMES drawn from gfp_name_char() and COMM free of "ts", every
 * pattern's leftmost match is the field at its place:  nothing before
 * "order" can hold a pattern word; NAMES cannot spell "pid", "tgid", "ts" or
 * "free_ts" (no p, i, g, t, s, r); "tgid D " and "tgid D (" are the first
 * tgid; the line's last ')' closes COMM, since the tail has none, and is
 * followed by ", ts"; and with no "ts" in COMM the first "ts" and "free_ts"
 * are the ones after it.  So the spans come from one structural scan.
 * For the 6.12 tool the line may also end after "ts D ns" (its kernel's
 * header): its ts pattern needs no comma, and it has no free_ts pattern.
 */
static bool canonical_spans(enum owner_tool tool, const char *s, size_t le,
			    struct owner_record *r)
{
	size_t i = 0, k, *cap = r->cap, *len = r->len;
	const char *close;

	if (!EAT(s, le, &i, "Page allocated via order ") ||
	    !eat_digits(s, le, &i, &cap[OWNER_FIELD_ORDER], &len[OWNER_FIELD_ORDER]) ||
	    !EAT(s, le, &i, ", mask 0x"))
		return false;
	k = i;
	while (i < le && is_lower_hex((unsigned char)s[i]))
		i++;
	r->mask_len = i - k;
	if (i == k || !EAT(s, le, &i, "("))
		return false;
	while (i < le && gfp_name_char((unsigned char)s[i]))
		i++;
	if (!EAT(s, le, &i, "), pid ") ||
	    !eat_digits(s, le, &i, &cap[OWNER_FIELD_PID], &len[OWNER_FIELD_PID]) ||
	    !EAT(s, le, &i, ", tgid ") ||
	    !eat_digits(s, le, &i, &cap[OWNER_FIELD_TGID], &len[OWNER_FIELD_TGID]) ||
	    !EAT(s, le, &i, " ("))
		return false;
	cap[OWNER_FIELD_COMM] = i;
	close = last_byte(s + i, ')', le - i);
	if (!close)
		return false;
	len[OWNER_FIELD_COMM] = (size_t)(close - s) - i;
	for (k = i; k + 1 < i + len[OWNER_FIELD_COMM]; k++)
		if (s[k] == 't' && s[k + 1] == 's')
			return false;
	i = (size_t)(close - s);
	if (!EAT(s, le, &i, "), ts ") ||
	    !eat_digits(s, le, &i, &cap[OWNER_FIELD_TS], &len[OWNER_FIELD_TS]) ||
	    !EAT(s, le, &i, " ns"))
		return false;
	r->free_ts_field = i < le;
	if (i == le)
		return tool == OWNER_TOOL_6_12;
	return EAT(s, le, &i, ", free_ts ") &&
	       eat_digits(s, le, &i, &cap[OWNER_FIELD_FREE_TS], &len[OWNER_FIELD_FREE_TS]) &&
	       EAT(s, le, &i, " ns") && i == le;
}

/*
 * All six patterns in one left-to-right pass: at each position try every
 * pattern not matched yet, so each gets its leftmost match, as if searched
 * alone.  A real header holds all six, so the pass stops inside line one.
 * The 6.12 tool has five: free_ts counts as found from the start.
 */
void owner_record_parse(struct owner_record *r, enum owner_tool tool, const char *s, size_t n,
			const char *pfn, size_t pfn_len)
{
	size_t *cap = r->cap, *len = r->len;
	unsigned int all = (1u << OWNER_NR_FIELDS) - 1, none_sought = 0, found;
	struct comm_cache cc = { false, 0, 0 };
	size_t text = n ? n - 1 : 0;
	const char *nl = memchr(s, '\n', text);
	const char *ts_tail = tool == OWNER_TOOL_6_12 ? "ns" : "ns,";
	size_t ts_tl = strlen(ts_tail);

	if (tool == OWNER_TOOL_6_12)
		none_sought = 1u << OWNER_FIELD_FREE_TS;
	found = none_sought;
	memset(r->cap, 0, sizeof(r->cap));
	memset(r->len, 0, sizeof(r->len));
	r->canonical = canonical_spans(tool, s, nl ? (size_t)(nl - s) : text, r);
	if (r->canonical)
		found = all;
	else
		r->free_ts_field = false; /* the scan may have set it before failing */
	for (size_t i = 0; i < n && found != all; i++) {
		size_t rest = n - i;

		switch (s[i]) {
		case 'o':
			if (!(found & (1u << OWNER_FIELD_ORDER)) && rest >= 5 &&
			    !memcmp(s + i, "order", 5) &&
			    match_num_comma(s, n, i + 5, &cap[OWNER_FIELD_ORDER],
					    &len[OWNER_FIELD_ORDER]))
				found |= 1u << OWNER_FIELD_ORDER;
			break;
		case 'p':
			if (!(found & (1u << OWNER_FIELD_PID)) && rest >= 3 && s[i + 1] == 'i' &&
			    s[i + 2] == 'd' &&
			    match_num_comma(s, n, i + 3, &cap[OWNER_FIELD_PID], &len[OWNER_FIELD_PID]))
				found |= 1u << OWNER_FIELD_PID;
			break;
		case 't':
			if (rest >= 4 && !memcmp(s + i, "tgid", 4)) {
				if (!(found & (1u << OWNER_FIELD_TGID)) &&
				    match_tgid(s, n, i + 4, &cap[OWNER_FIELD_TGID],
					       &len[OWNER_FIELD_TGID]))
					found |= 1u << OWNER_FIELD_TGID;
				if (!(found & (1u << OWNER_FIELD_COMM)) &&
				    match_comm(s, n, i + 4, &cap[OWNER_FIELD_COMM],
					       &len[OWNER_FIELD_COMM], &cc))
					found |= 1u << OWNER_FIELD_COMM;
			} else if (rest >= 2 && s[i + 1] == 's' && !(found & (1u << OWNER_FIELD_TS)) &&
				   match_ts(s, n, i + 2, ts_tail, ts_tl, &cap[OWNER_FIELD_TS],
					    &len[OWNER_FIELD_TS])) {
				found |= 1u << OWNER_FIELD_TS;
			}
			break;
		case 'f':
			if (!(found & (1u << OWNER_FIELD_FREE_TS)) && rest >= 7 &&
			    !memcmp(s + i, "free_ts", 7) &&
			    match_ts(s, n, i + 7, "ns", 2, &cap[OWNER_FIELD_FREE_TS],
				     &len[OWNER_FIELD_FREE_TS]))
				found |= 1u << OWNER_FIELD_FREE_TS;
			break;
		default:
			break;
		}
	}
	r->bad = 0;
	r->nomatch = all & ~found;
	found &= ~none_sought; /* the spans of a pattern not sought are no capture */
#define GOT(f) (found & (1u << (f)))
	r->pages = pages_from(s + cap[OWNER_FIELD_ORDER], len[OWNER_FIELD_ORDER],
			      GOT(OWNER_FIELD_ORDER), &r->bad);
	r->pid = pid_from(OWNER_FIELD_PID, s + cap[OWNER_FIELD_PID], len[OWNER_FIELD_PID],
			  GOT(OWNER_FIELD_PID), &r->bad);
	r->tgid = pid_from(OWNER_FIELD_TGID, s + cap[OWNER_FIELD_TGID], len[OWNER_FIELD_TGID],
			   GOT(OWNER_FIELD_TGID), &r->bad);
	r->ts = ts_from(OWNER_FIELD_TS, s + cap[OWNER_FIELD_TS], len[OWNER_FIELD_TS],
			GOT(OWNER_FIELD_TS), &r->bad);
	r->ts_off = GOT(OWNER_FIELD_TS) ? cap[OWNER_FIELD_TS] : SIZE_MAX;
	if (none_sought & (1u << OWNER_FIELD_FREE_TS))
		r->free_ts = 0;
	else
		r->free_ts = ts_from(OWNER_FIELD_FREE_TS, s + cap[OWNER_FIELD_FREE_TS],
				     len[OWNER_FIELD_FREE_TS], GOT(OWNER_FIELD_FREE_TS), &r->bad);
	if (GOT(OWNER_FIELD_COMM)) {
		r->comm_off = cap[OWNER_FIELD_COMM];
		r->comm_len = len[OWNER_FIELD_COMM];
	} else {
		r->comm_off = 0;
		r->comm_len = 0;
		r->bad |= 1u << OWNER_FIELD_COMM;
	}
#undef GOT
	r->stack_off = nl ? (size_t)(nl - s) + 1 : text;
	r->allocator = allocator_of(s, n, pfn, pfn_len);
}

/* ------------------------------------------------------------------ strict */

static bool eat(const char *s, size_t n, size_t *i, const char *lit)
{
	size_t ll = strlen(lit);

	if (!has_at(s, n, *i, lit, ll))
		return false;
	*i += ll;
	return true;
}

/* 1..20 decimal digits; false if none or the value overflows 64 bits. */
static bool eat_dec(const char *s, size_t n, size_t *i, uint64_t *v, bool *range)
{
	size_t k = skip_digits(s, n, *i);

	*range = true;
	if (k == *i)
		return false;
	if (!dec_value(s + *i, k - *i, v)) {
		*range = false;
		return false;
	}
	*i = k;
	return true;
}

/* Why a 6.12 header must not have free_ts, and a 6.1 one must. */
#define HAS_FREE_TS \
	"header has \"free_ts\" (an older kernel's dump: read it without --kver 6.12, or use --lenient)"
#define NO_FREE_TS "header has no \"free_ts\" (a newer kernel's dump: use --kver 6.12)"

/* A canonical header (its fields are the patterns' captures): just the ranges. */
static const char *canonical_check(enum owner_tool tool, const char *s,
				   const struct owner_record *r)
{
	uint64_t v;

	if (!dec_value(s + r->cap[OWNER_FIELD_ORDER], r->len[OWNER_FIELD_ORDER], &v))
		return "order out of range";
	if (v > 30)
		return "order out of range (0..30)";
	if (r->mask_len > 8)
		return "bad gfp mask in record header";
	if (!dec_value(s + r->cap[OWNER_FIELD_PID], r->len[OWNER_FIELD_PID], &v) || v > INT_MAX)
		return "bad pid in record header";
	if (!dec_value(s + r->cap[OWNER_FIELD_TGID], r->len[OWNER_FIELD_TGID], &v) || v > INT_MAX)
		return "bad tgid in record header";
	if (!dec_value(s + r->cap[OWNER_FIELD_TS], r->len[OWNER_FIELD_TS], &v))
		return "ts out of range";
	if (tool == OWNER_TOOL_6_12)
		return r->free_ts_field ? HAS_FREE_TS : NULL;
	if (!dec_value(s + r->cap[OWNER_FIELD_FREE_TS], r->len[OWNER_FIELD_FREE_TS], &v))
		return "free_ts out of range";
	return NULL;
}

const char *owner_header_check(enum owner_tool tool, const char *s, size_t n,
			       const struct owner_record *r)
{
	const char *nl = memchr(s, '\n', n);
	size_t le = nl ? (size_t)(nl - s) : n, i = 0, k, comm, comm_end, ts_at;
	uint64_t order, pid, tgid, ts, free_ts = 0;
	bool range;

	if (r->canonical)
		return canonical_check(tool, s, r);

	if (!eat(s, le, &i, "Page allocated via order "))
		return "not a page_owner record: expected \"Page allocated via order\"";
	if (!eat_dec(s, le, &i, &order, &range))
		return range ? "bad order in record header" : "order out of range";
	if (order > 30)
		return "order out of range (0..30)";
	if (!eat(s, le, &i, ", mask 0x"))
		return "bad gfp mask in record header";
	/* %#x of a 32-bit gfp_t: 1..8 lowercase hex digits */
	k = i;
	while (k < le && k - i <= 8 && is_lower_hex((unsigned char)s[k]))
		k++;
	if (k == i || k - i > 8)
		return "bad gfp mask in record header";
	i = k;
	if (!eat(s, le, &i, "("))
		return "bad gfp mask in record header";
	while (i < le && s[i] != ')' && s[i] != '(')
		i++;
	/* Older kernels' headers, read by the 6.1 tool as best it can. */
	if (i + 1 == le && s[i] == ')')
		return "header ends after the gfp mask (a Linux 5.10 or older dump; try --lenient)";
	if (!eat(s, le, &i, "), pid "))
		return "bad gfp flag names in record header";
	if (!eat_dec(s, le, &i, &pid, &range) || pid > INT_MAX)
		return "bad pid in record header";
	if (has_at(s, le, i, ", ts ", 5))
		return "header has no tgid and task name (a Linux 5.x dump; try --lenient)";
	if (!eat(s, le, &i, ", tgid "))
		return "bad pid in record header";
	if (!eat_dec(s, le, &i, &tgid, &range) || tgid > INT_MAX)
		return "bad tgid in record header";
	if (!eat(s, le, &i, " ("))
		return "bad tgid in record header";
	comm = i;
	/* comm is free text: it ends at the last "), ts " of the line */
	comm_end = NOT_FOUND;
	for (size_t e = le; e > i;) {
		const char *q = last_byte(s + i, ')', e - i);

		if (!q)
			break;
		if (has_at(s, le, (size_t)(q - s), "), ts ", 6)) {
			comm_end = (size_t)(q - s);
			break;
		}
		e = (size_t)(q - s);
	}
	if (comm_end == NOT_FOUND)
		return "bad task name or ts in record header";
	i = comm_end + 6;
	ts_at = i;
	if (!eat_dec(s, le, &i, &ts, &range))
		return range ? "bad ts in record header" : "ts out of range";
	if (!eat(s, le, &i, " ns"))
		return "bad ts in record header";
	if (tool == OWNER_TOOL_6_12) {
		if (has_at(s, le, i, ", free_ts ", 10))
			return HAS_FREE_TS;
		if (i != le)
			return "trailing text after ts in record header";
	} else {
		if (i == le)
			return NO_FREE_TS;
		if (!eat(s, le, &i, ", free_ts "))
			return "bad free_ts in record header";
		if (!eat_dec(s, le, &i, &free_ts, &range))
			return range ? "bad free_ts in record header" : "free_ts out of range";
		if (!eat(s, le, &i, " ns") || i != le)
			return "trailing text after free_ts in record header";
	}
	/*
	 * The tool reads the fields by pattern, not position: a task name
	 * holding text like "ts 5 ns," would change what it finds.  The 6.12
	 * tool also cuts the ts digits out of the text where its pattern
	 * found them, so they must be the header's.
	 */
	if (r->pages != (int)(1u << order) || r->pid != (int)pid || r->tgid != (int)tgid ||
	    r->ts != ts || r->free_ts != free_ts || r->comm_off != comm ||
	    r->comm_len != comm_end - comm || (tool == OWNER_TOOL_6_12 && r->ts_off != ts_at))
		return "ambiguous record header (task name looks like a field)";
	return NULL;
}
