// SPDX-License-Identifier: MIT
/*
 * Streaming parser for kmem page events in ftrace text: the tracefs `trace`
 * and `trace_pipe` layout, `trace-cmd report` and `perf script` output.
 *
 *   FTRACE: "<comm>-<pid> [(<tgid>) ][<cpu>] [<lat> ]<sec>.<usec>: <event>: <body>"
 *   REPORT: "[<file or instance>: ]<comm>-<pid> [<cpu>] <sec>.<usec>: [(+<diff>) ]<event>:<padding> <body>"
 *   REPORT -l: "[<file>: ]<comm, cut to 8>-<pid> <cpu><lat> <sec>.<usec>: <event>:<padding> <body>"
 *   PERF:   "<comm> <tid> [<cpu>] <sec>.<usec>: <padding><subsys>:<event>: <body>"
 *           (with -g, each followed by its call chain, "\t<addr> <sym> (<dso>)" a line)
 *           (with -F pid,tid: "<comm> <pid>/<tid> [<cpu>] ...")
 *
 * The kmem bodies are parsed strictly in the order TP_printk prints them
 * (reference §2.9), so a missing, extra or misspelt field is an error that
 * names the field.  Lines are never copied and no sscanf/strtol is used:
 * the hot path is memchr plus hand-rolled digit loops (the replay target is
 * 5 million events/s end to end).  gfp_flags strings are few and repeat, so
 * their values are kept in a small direct-mapped cache.
 *
 * Invariants: a returned event's name/text point into the line reader's
 * current line; an error leaves the reader at the next line, so a caller
 * can skip bad lines; a sticky error (I/O) is returned forever after.
 * Locking: none; a parser is used by one thread at a time.
 */
#include "report/trace_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/errno.h>
#include "lib/linereader.h"
#include "platform/file.h"
#include "report/gfp_format.h"

static const struct {
	const char *name;
	size_t len;
} kind_names[PMM_TRACE_NR_KINDS] = {
#define K(s) { s, sizeof(s) - 1 }
	K("mm_page_alloc"), K("mm_page_free"), K("mm_page_free_batched"),
	K("mm_page_alloc_zone_locked"), K("mm_page_pcpu_drain"), K("mm_page_alloc_extfrag"),
	K("phase"), K("other"), K("lost"),
#undef K
};

/*
 * What Linux 2.6.32 to 3.2 called the two free events; 3.3 renamed them
 * ("mm-tracepoint: rename page-free events") and kept their TP_printk.
 * The kernel emits them where it emits the new names; a pagevec free
 * emits both from 2.6.34 on (see README's note on older traces).
 */
#define OLD_FREE_NAME "mm_page_free_direct"
#define OLD_FREE_BATCHED_NAME "mm_pagevec_free"

const char *pmm_trace_kind_name(enum pmm_trace_kind kind)
{
	if ((unsigned)kind >= PMM_TRACE_NR_KINDS)
		return NULL;
	return kind_names[kind].name;
}

const char *trace_kind_old_name(enum pmm_trace_kind kind)
{
	if (kind == PMM_TRACE_MM_PAGE_FREE)
		return OLD_FREE_NAME;
	if (kind == PMM_TRACE_MM_PAGE_FREE_BATCHED)
		return OLD_FREE_BATCHED_NAME;
	return NULL;
}

enum pmm_trace_kind trace_kind_by_name(const char *name, size_t len)
{
	unsigned k;

	if (len == sizeof(OLD_FREE_BATCHED_NAME) - 1 && memcmp(name, OLD_FREE_BATCHED_NAME, len) == 0)
		return PMM_TRACE_MM_PAGE_FREE_BATCHED;
	if (len < 12 || memcmp(name, "mm_page_", 8) != 0)
		return PMM_TRACE_OTHER;
	for (k = 0; k <= PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG; k++)
		if (kind_names[k].len == len && memcmp(kind_names[k].name, name, len) == 0)
			return (enum pmm_trace_kind)k;
	if (len == sizeof(OLD_FREE_NAME) - 1 && memcmp(name, OLD_FREE_NAME, len) == 0)
		return PMM_TRACE_MM_PAGE_FREE;
	return PMM_TRACE_OTHER;
}

/* ------------------------------------------------------------------ body */

struct cur {
	const char *start, *p, *end;
	const char *reason;
	char *rbuf;
	size_t rlen;
};

static int bad(struct cur *c, int err, const char *fmt, const char *a)
{
	snprintf(c->rbuf, c->rlen, fmt, a);
	c->reason = c->rbuf;
	return err;
}

/*
 * The literal @lit (" key=") must come next.  Forced inline so that memcmp
 * sees a constant length and becomes a couple of loads: 7.4 -> 10.5 M
 * lines/s on the 6.1 capture.
 */
static inline __attribute__((always_inline)) int expect(struct cur *c, const char *lit, size_t n,
						    const char *field)
{
	size_t avail = (size_t)(c->end - c->p);

	if (avail >= n && memcmp(c->p, lit, n) == 0) {
		c->p += n;
		return 0;
	}
	if (avail < n && memcmp(c->p, lit, avail) == 0)
		return bad(c, -PMM_EBADMSG, "truncated line: '%s' missing", field);
	return bad(c, -PMM_EBADMSG, "bad field: expected '%s'", field);
}

#define EXPECT(c, lit, field) expect(c, lit, sizeof(lit) - 1, field)

static bool at_value_end(const struct cur *c)
{
	return c->p == c->end || *c->p == ' ';
}

static uint64_t load8(const char *s)
{
	uint64_t v;

	memcpy(&v, s, sizeof(v));
	return v;
}

#define BYTES(b) (0x0101010101010101ull * (uint8_t)(b))

/* 0x80 in each byte of @x (all below 0x80) that is >= @n (at most 0x80). */
static inline uint64_t bytes_ge(uint64_t x, uint8_t n)
{
	return ((x | BYTES(0x80)) - BYTES(n)) & BYTES(0x80);
}

/* Are the 8 bytes of @x all hex digits (0-9, a-f, A-F)? */
static inline bool hex8_ok(uint64_t x)
{
	uint64_t lower = x | BYTES(0x20); /* A-F -> a-f; nothing else lands in a-f */
	uint64_t digit = bytes_ge(x, '0') & ~bytes_ge(x, '9' + 1);
	uint64_t alpha = bytes_ge(lower, 'a') & ~bytes_ge(lower, 'f' + 1);

	return !(x & BYTES(0x80)) && ((digit | alpha) & BYTES(0x80)) == BYTES(0x80);
}

/* The value of 8 hex digits (hex8_ok()) loaded from memory, first digit most significant. */
static inline uint64_t hex8_value(uint64_t x)
{
	/* '0'-'9' are 0x3N, 'a'-'f'/'A'-'F' are 0x6N/0x4N with N = 1..6: add 9 for bit 6. */
	uint64_t v = (x & BYTES(0x0f)) + ((x >> 6) & BYTES(0x01)) * 9;

	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		v = __builtin_bswap64(v);
	v = (v | v >> 4) & 0x00ff00ff00ff00ffull;
	v = (v | v >> 8) & 0x0000ffff0000ffffull;
	return (v | v >> 16) & 0xffffffffull;
}

/* Hex digit value + 1, 0 for anything else: one load per character. */
static const unsigned char hex_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

static int parse_hex(struct cur *c, const char *field, uint64_t *out)
{
	const char *s = c->p, *p = s, *end = c->end;
	uint64_t v = 0;
	unsigned d;

	while (p < end && *p == '0')
		p++;
	{
		const char *sig = p;

		while (p < end && (d = hex_tab[(unsigned char)*p]) != 0) {
			v = v << 4 | (d - 1);
			p++;
		}
		c->p = p;
		if (p == s || !at_value_end(c))
			return bad(c, -PMM_EBADMSG, "bad value for '%s': expected a hexadecimal number",
				   field);
		if (p - sig > 16)
			return bad(c, -PMM_ERANGE, "number overflow in '%s'", field);
	}
	*out = v;
	return 0;
}

/* Decimal into [lo, hi]; @hi up to UINT32_MAX (for %u fields). */
static int parse_dec(struct cur *c, const char *field, int64_t lo, int64_t hi, int64_t *out)
{
	const char *s;
	bool neg = false;
	int64_t v = 0;

	if (c->p < c->end && *c->p == '-' && lo < 0) {
		neg = true;
		c->p++;
	}
	s = c->p;
	if (c->end - s >= 1 && *s >= '0' && *s <= '9' && (c->end - s == 1 || s[1] == ' ')) {
		/* One digit and the value's end (order=, migratetype=, percpu_refill=): no loop. */
		v = *s - '0';
		c->p = s + 1;
	} else {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
			v = v * 10 + (*c->p - '0');
			if (v > (int64_t)1 << 33)
				v = (int64_t)1 << 33; /* saturate: reported below */
			c->p++;
		}
		if (c->p == s || !at_value_end(c))
			return bad(c, -PMM_EBADMSG, "bad value for '%s': expected a decimal number",
				   field);
	}
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return bad(c, -PMM_ERANGE, "number overflow in '%s'", field);
	*out = v;
	return 0;
}

/*
 * A pfn= in decimal: "%lu", as Linux 5.13 and older print it (5.10, 5.4,
 * 4.19, 4.18; 5.14 made it "0x%lx" with "mm, tracing: unify PFN format
 * strings").  ev->pfn_dec says so, and the line prints back as it was.
 */
static __attribute__((noinline, cold)) int parse_pfn_dec(struct cur *c,
							  struct pmm_trace_event *ev)
{
	const char *s = c->p;
	uint64_t v = 0;

	if (c->end - s >= 2 && s[0] == '0' && s[1] == 'x') { /* "0x" and no hex digit */
		c->p += 2;
		return parse_hex(c, "pfn", &ev->pfn);
	}
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return bad(c, -PMM_ERANGE, "number overflow in '%s'", "pfn");
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == s || !at_value_end(c))
		return bad(c, -PMM_EBADMSG,
			   "bad value for '%s': expected 0x and a hexadecimal number, or a decimal one",
			   "pfn");
	ev->pfn = v;
	ev->pfn_dec = 1;
	return 0;
}

static int field_int(struct cur *c, const char *field, int32_t *out)
{
	int64_t v;
	int err = parse_dec(c, field, INT32_MIN, INT32_MAX, &v);

	if (!err)
		*out = (int32_t)v;
	return err;
}

/* %u fields are kept bit-for-bit in the int32_t. */
static int field_uint(struct cur *c, const char *field, int32_t *out)
{
	int64_t v;
	int err = parse_dec(c, field, 0, UINT32_MAX, &v);

	if (!err)
		*out = (int32_t)(uint32_t)v;
	return err;
}

static int parse_page(struct cur *c, struct pmm_trace_event *ev)
{
	static const char ptrval[] = "(____ptrval____)";
	static const char ptrval32[] = "(ptrval)"; /* the same, as wide as a 32-bit pointer */
	size_t avail;
	int err;

	err = EXPECT(c, "page=", "page=");
	if (err) {
		/* Every format since 2.6.32 prints page= first; only a raw field list starts so. */
		if (c->end - c->p >= 4 && memcmp(c->p, "pfn=", 4) == 0)
			return bad(c, err,
				   "%s: a raw field list (trace-cmd report -R), whose gfp_flags are an "
				   "unknown kernel's bits; give pmm the report without -R",
				   "page= missing");
		return err;
	}
	avail = (size_t)(c->end - c->p);
	if (avail >= 2 && c->p[0] == '0' && c->p[1] == 'x') {
		c->p += 2;
		ev->page_fmt = PMM_TRACE_PAGE_0X;
		return parse_hex(c, "page", &ev->page);
	}
	if (avail == 0 || *c->p == '(') {
		if (avail >= sizeof(ptrval) - 1 && memcmp(c->p, ptrval, sizeof(ptrval) - 1) == 0) {
			c->p += sizeof(ptrval) - 1;
			ev->page_fmt = PMM_TRACE_PAGE_PTRVAL;
		} else if (avail >= sizeof(ptrval32) - 1 &&
			   memcmp(c->p, ptrval32, sizeof(ptrval32) - 1) == 0) {
			c->p += sizeof(ptrval32) - 1;
			ev->page_fmt = PMM_TRACE_PAGE_PTRVAL32;
		} else if (avail >= 6 && memcmp(c->p, "(null)", 6) == 0) {
			c->p += 6;
			ev->page_fmt = PMM_TRACE_PAGE_NULL;
		} else if (avail >= 5 && memcmp(c->p, "(nil)", 5) == 0) {
			/* trace-cmd report: libtraceevent prints NULL with the C library's "%p" */
			c->p += 5;
			ev->page_fmt = PMM_TRACE_PAGE_NIL;
		} else {
			return bad(c, -PMM_EBADMSG, "bad value for '%s': expected a pointer", "page");
		}
		if (!at_value_end(c))
			return bad(c, -PMM_EBADMSG, "bad value for '%s': expected a pointer", "page");
		return 0;
	}
	ev->page_fmt = PMM_TRACE_PAGE_HEX16;
	/* 16 hex digits, 8 at a time: a third of the digit loop's instructions. */
	if (avail >= 16 && (avail == 16 || c->p[16] == ' ')) {
		uint64_t hi = load8(c->p), lo = load8(c->p + 8);

		if (hex8_ok(hi) && hex8_ok(lo)) {
			ev->page = hex8_value(hi) << 32 | hex8_value(lo);
			c->p += 16;
			return 0;
		}
	}
	{
		const char *s = c->p;

		err = parse_hex(c, "page", &ev->page);
		if (err)
			return err;
		/* A 32-bit kernel's %p is 8 digits wide. */
		if (c->p - s == 8)
			ev->page_fmt = PMM_TRACE_PAGE_HEX8;
		else if (c->p - s != 16)
			return bad(c, -PMM_EBADMSG,
				   "bad value for '%s': expected 16 hex digits, or 8 from a 32-bit kernel",
				   "page");
	}
	return 0;
}

/*
 * Cache key of a gfp_flags string: its length and first and last 8 bytes.
 * The cache compares the whole string on a hit, so a weak key costs a
 * reparse at worst; hashing every byte cost 36 instructions a line.
 */
static uint32_t hash_str(const char *s, size_t n)
{
	uint64_t h;

	if (n >= 8) {
		h = load8(s) * 0x9e3779b97f4a7c15ull ^ load8(s + n - 8) * 0xc2b2ae3d27d4eb4full ^ n;
	} else {
		size_t i;

		h = n;
		for (i = 0; i < n; i++)
			h = h * 131 + (unsigned char)s[i];
		h *= 0x9e3779b97f4a7c15ull;
	}
	return (uint32_t)(h >> 32);
}

static int parse_gfp(struct pmm_trace_parser *p, struct cur *c, pmm_gfp_t *out)
{
	const char *s = c->p;
	size_t n = (size_t)(c->end - s);
	struct trace_gfp_cache_entry *e;
	uint32_t h;
	pmm_gfp_t v;

	if (n == 0)
		return bad(c, -PMM_EBADMSG, "truncated line: '%s' value missing", "gfp_flags");
	h = hash_str(s, n);
	e = &p->gfp_cache[h % TRACE_GFP_CACHE];
	if (e->len == n && e->hash == h && memcmp(e->str, s, n) == 0) {
		*out = e->gfp;
		c->p = c->end;
		return 0;
	}
	if (gfp_parse_kver(s, n, p->kver, &v) != 0 || memchr(s, ' ', n)) {
		/* Name the first offending token. */
		const char *t = s, *bar;
		char tok[64];

		for (;;) {
			size_t tl;
			pmm_gfp_t tv;

			bar = memchr(t, '|', (size_t)(c->end - t));
			tl = bar ? (size_t)(bar - t) : (size_t)(c->end - t);
			if (tl == 0 || gfp_parse_kver(t, tl, p->kver, &tv) != 0 || memchr(t, ' ', tl)) {
				if (tl >= sizeof(tok))
					tl = sizeof(tok) - 1;
				memcpy(tok, t, tl);
				tok[tl] = '\0';
				c->p = t;
				return bad(c, -PMM_EBADMSG, "unknown gfp flag name '%s' in gfp_flags", tok);
			}
			if (!bar)
				break;
			t = bar + 1;
		}
		return bad(c, -PMM_EBADMSG, "bad value for '%s'", "gfp_flags");
	}
	if (n < TRACE_GFP_CACHE_STR) {
		e->hash = h;
		e->len = (uint16_t)n;
		e->gfp = v;
		memcpy(e->str, s, n);
	}
	*out = v;
	c->p = c->end;
	return 0;
}

#define TRY(x)                      \
	do {                        \
		int err_ = (x);     \
		if (err_)           \
			return err_; \
	} while (0)

static int body_alloc(struct pmm_trace_parser *p, struct cur *c, struct pmm_trace_event *ev)
{
	TRY(EXPECT(c, " order=", "order="));
	TRY(field_int(c, "order", &ev->order));
	TRY(EXPECT(c, " migratetype=", "migratetype="));
	TRY(field_int(c, "migratetype", &ev->migratetype));
	TRY(EXPECT(c, " gfp_flags=", "gfp_flags="));
	return parse_gfp(p, c, &ev->gfp);
}

static int body_extfrag(struct cur *c, struct pmm_trace_event *ev)
{
	TRY(EXPECT(c, " alloc_order=", "alloc_order="));
	TRY(field_int(c, "alloc_order", &ev->order));
	TRY(EXPECT(c, " fallback_order=", "fallback_order="));
	TRY(field_int(c, "fallback_order", &ev->fallback_order));
	TRY(EXPECT(c, " pageblock_order=", "pageblock_order="));
	TRY(field_int(c, "pageblock_order", &ev->pageblock_order));
	TRY(EXPECT(c, " alloc_migratetype=", "alloc_migratetype="));
	TRY(field_int(c, "alloc_migratetype", &ev->migratetype));
	TRY(EXPECT(c, " fallback_migratetype=", "fallback_migratetype="));
	TRY(field_int(c, "fallback_migratetype", &ev->fallback_migratetype));
	TRY(EXPECT(c, " fragmenting=", "fragmenting="));
	TRY(field_int(c, "fragmenting", &ev->fragmenting));
	TRY(EXPECT(c, " change_ownership=", "change_ownership="));
	return field_int(c, "change_ownership", &ev->change_ownership);
}

int trace_parse_body(struct pmm_trace_parser *p, enum pmm_trace_kind kind, const char *s,
		     size_t len, struct pmm_trace_event *ev, char *rbuf, size_t rlen,
		     const char **reason)
{
	struct cur c = { s, s, s + len, NULL, rbuf, rlen };
	int err;

	err = parse_page(&c, ev);
	if (!err) {
		/* ev->pfn_dec is 0 from the caller. */
		if (__builtin_expect((size_t)(c.end - c.p) >= 7 && memcmp(c.p, " pfn=0x", 7) == 0, 1)) {
			c.p += 7;
			err = parse_hex(&c, "pfn", &ev->pfn);
		} else {
			err = EXPECT(&c, " pfn=", "pfn=");
			if (!err)
				err = parse_pfn_dec(&c, ev);
		}
	}
	if (!err) {
		switch (kind) {
		case PMM_TRACE_MM_PAGE_ALLOC:
			err = body_alloc(p, &c, ev);
			break;
		case PMM_TRACE_MM_PAGE_FREE:
		case PMM_TRACE_MM_PAGE_FREE_BATCHED:
			err = EXPECT(&c, " order=", "order=");
			if (!err)
				err = field_int(&c, "order", &ev->order);
			/*
			 * "order=0 cold=%d" until Linux 4.15 dropped cold pages;
			 * mm_pagevec_free always printed it.
			 */
			if (!err && kind == PMM_TRACE_MM_PAGE_FREE_BATCHED &&
			    (c.p != c.end || ev->old_name)) {
				err = EXPECT(&c, " cold=", "cold=");
				if (!err)
					err = field_int(&c, "cold", &ev->cold);
				ev->has_cold = 1;
			}
			break;
		case PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED:
			err = EXPECT(&c, " order=", "order=");
			if (!err)
				err = field_uint(&c, "order", &ev->order);
			if (!err)
				err = EXPECT(&c, " migratetype=", "migratetype=");
			if (!err)
				err = field_int(&c, "migratetype", &ev->migratetype);
			if (!err)
				err = EXPECT(&c, " percpu_refill=", "percpu_refill=");
			if (!err)
				err = field_int(&c, "percpu_refill", &ev->percpu_refill);
			break;
		case PMM_TRACE_MM_PAGE_PCPU_DRAIN:
			err = EXPECT(&c, " order=", "order=");
			if (!err)
				err = field_int(&c, "order", &ev->order);
			if (!err)
				err = EXPECT(&c, " migratetype=", "migratetype=");
			if (!err)
				err = field_int(&c, "migratetype", &ev->migratetype);
			break;
		case PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG:
			err = body_extfrag(&c, ev);
			break;
		default:
			err = bad(&c, -PMM_EBADMSG, "%s", "not a kmem page event");
			break;
		}
	}
	if (!err && c.p != c.end)
		err = bad(&c, -PMM_EBADMSG, "%s", "unexpected text after the last field");
	if (err)
		*reason = c.reason;
	return err;
}

/* ------------------------------------------------------------------ line */

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Parse "[<digits>]"-free decimal between [s, e); -1 if empty or too big. */
static int64_t dec_span(const char *s, const char *e)
{
	int64_t v = 0;

	if (s == e || e - s > 10)
		return -1;
	for (; s < e; s++) {
		if (!is_digit(*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > INT32_MAX ? -1 : v;
}

/*
 * trace-cmd report of several files, or of a file with buffer instances,
 * starts each line with the file's or instance's name right-aligned and
 * ": ", then the comm right-aligned in its 16 columns.  When the text
 * before the pid [@b, @e) is too long for a comm, return where those 16
 * columns start after such a name (past their blanks), else @b.
 */
static const char *skip_report_prefix(const char *b, const char *e)
{
	const char *c = e - PMM_TRACE_COMM_LEN;

	if (c - b < 2 || c[-2] != ':' || c[-1] != ' ' || c[0] != ' ')
		return b;
	while (c < e && *c == ' ')
		c++;
	/* a comm that starts a line with '#' would print back as a comment */
	return c < e && *c != '#' ? c : b;
}

/*
 * Find "<comm>-<pid> [(<tgid>) ][<cpu>]" (ftrace, trace-cmd) or
 * "<comm> <tid> [<cpu>]" / "<comm> <pid>/<tid> [<cpu>]" (perf script) and
 * fill ev; *@perf says which.  Searching backward from each '[' keeps comms
 * containing '-', blanks or digits intact.
 * Return: pointer just past ']', or NULL.
 */
static const char *parse_task(const char *b, const char *end, struct pmm_trace_event *ev,
			      const char **why, bool *perf)
{
	const char *q = b;

	*why = "not a trace event line (expected 'TASK-PID [CPU] TIMESTAMP: EVENT: ...')";
	while ((q = memchr(q, '[', (size_t)(end - q))) != NULL) {
		const char *r = q + 1, *e, *d, *pe;
		int64_t cpu, pid, tgid = -1;

		while (r < end && is_digit(*r))
			r++;
		q++;
		if (r == q || r >= end || *r != ']')
			continue;
		cpu = dec_span(q, r);
		e = q - 1;
		while (e > b && e[-1] == ' ')
			e--;
		if (e == q - 1 || e == b)
			continue;
		if (e[-1] == ')') {
			const char *o = e - 1;

			while (o > b && o[-1] != '(')
				o--;
			if (o == b)
				continue;
			{
				const char *t = o, *te = e - 1;

				while (t < te && *t == ' ')
					t++;
				if (te - t == 7 && memcmp(t, "-------", 7) == 0)
					tgid = -1;
				else if ((tgid = dec_span(t, te)) < 0)
					continue;
			}
			e = o - 1;
			while (e > b && e[-1] == ' ')
				e--;
		}
		pe = e;
		d = e;
		while (d > b && is_digit(d[-1]))
			d--;
		if (d == pe || d == b)
			continue;
		pid = dec_span(d, pe);
		*perf = d[-1] != '-';
		if (__builtin_expect(*perf, 0)) {
			if (tgid >= 0)
				continue; /* "(tgid)" is ftrace's */
			if (d[-1] == '/') { /* perf -F pid,tid */
				pe = d - 1;
				d = pe;
				while (d > b && is_digit(d[-1]))
					d--;
				if (d == pe || d == b || (tgid = dec_span(d, pe)) < 0)
					continue;
			}
			if (d[-1] != ' ')
				continue;
			e = d - 1; /* the comm ends before the blanks */
			while (e > b && e[-1] == ' ')
				e--;
			if (e == b)
				continue;
		} else {
			e = d - 1;
		}
		if (pid < 0 || cpu < 0) {
			*why = "number overflow in task pid or cpu";
			return NULL;
		}
		if (__builtin_expect((size_t)(e - b) >= PMM_TRACE_COMM_LEN, 0))
			b = skip_report_prefix(b, e);
		if ((size_t)(e - b) >= PMM_TRACE_COMM_LEN) {
			*why = "bad field: task name longer than 15 characters";
			return NULL;
		}
		memcpy(ev->comm, b, (size_t)(e - b));
		ev->comm[e - b] = '\0';
		ev->pid = (int32_t)pid;
		ev->tgid = (int32_t)tgid;
		ev->cpu = (int32_t)cpu;
		return r + 1;
	}
	return NULL;
}

/*
 * `trace-cmd report -l` (libtraceevent's latency layout): "%8.8s-%-5d %3d"
 * and the latency flags right after the CPU ("trace-cm-109     1.....").
 * The comm is cut to 8 columns and right-aligned in them, after a file's
 * name and ": " when the report has several; @b is past the line's
 * leading blanks.  Return: just past the latency flags, or NULL.
 */
static const char *parse_lat_task(const char *line, const char *b, const char *end,
				  struct pmm_trace_event *ev)
{
	const char *x = b;

	while ((x = memchr(x, '-', (size_t)(end - x))) != NULL) {
		const char *cb = x - line > 8 ? x - 8 : line, *q = x + 1, *d, *l;
		int64_t pid, cpu;

		x++;
		if (cb > line && (cb - line < 2 || cb[-2] != ':' || cb[-1] != ' '))
			continue;
		while (cb < x - 1 && (*cb == ' ' || *cb == '\t'))
			cb++;
		for (d = q; d < end && is_digit(*d); d++)
			;
		if (cb == x - 1 || d == q || d == end || *d != ' ' || (pid = dec_span(q, d)) < 0)
			continue;
		while (d < end && *d == ' ')
			d++;
		for (q = d; d < end && is_digit(*d); d++)
			;
		if (d == q || (cpu = dec_span(q, d)) < 0)
			continue;
		for (l = d; l < end && *l != ' '; l++)
			;
		if (l == end || l - d >= (ptrdiff_t)sizeof(ev->lat) || memchr(d, ':', (size_t)(l - d)))
			continue;
		memcpy(ev->comm, cb, (size_t)(x - 1 - cb));
		ev->comm[x - 1 - cb] = '\0';
		memcpy(ev->lat, d, (size_t)(l - d));
		ev->lat[l - d] = '\0';
		ev->pid = (int32_t)pid;
		ev->cpu = (int32_t)cpu;
		ev->style = PMM_TRACE_STYLE_REPORT_LAT;
		return l;
	}
	return NULL;
}

/* "<sec>.<frac>:" or "<count>:" at s; returns past ':' or NULL. */
static const char *parse_ts(const char *s, const char *end, struct pmm_trace_event *ev,
			    const char **why, bool *overflow)
{
	static const uint64_t scale[10] = { 1000000000, 100000000, 10000000, 1000000, 100000,
					    10000, 1000, 100, 10, 1 };
	uint64_t sec = 0, frac = 0;
	const char *d = s;
	unsigned nd;

	*why = "bad field: expected a timestamp 'SECONDS.MICROSECONDS:'";
	while (s < end && is_digit(*s)) {
		if (sec > (UINT64_MAX - 9) / 10) {
			*why = "number overflow in timestamp";
			*overflow = true;
			return NULL;
		}
		sec = sec * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == end) {
		*why = "truncated line: timestamp cut short";
		return NULL;
	}
	if (s == d)
		return NULL;
	if (*s == ':') {
		ev->ts_ns = sec;
		ev->ts_digits = PMM_TRACE_TS_RAW;
		return s + 1;
	}
	if (*s != '.')
		return NULL;
	d = ++s;
	/* Microseconds, as ftrace prints them by default: no loop. */
	if (end - s > 6 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
	    is_digit(s[4]) && is_digit(s[5]) && !is_digit(s[6])) {
		frac = (uint64_t)(s[0] - '0') * 100000 + (uint64_t)(s[1] - '0') * 10000 +
		       (uint64_t)(s[2] - '0') * 1000 + (uint64_t)(s[3] - '0') * 100 +
		       (uint64_t)(s[4] - '0') * 10 + (uint64_t)(s[5] - '0');
		s += 6;
	}
	while (s < end && is_digit(*s)) {
		frac = frac * 10 + (uint64_t)(*s - '0');
		s++;
		if (s - d > 9)
			return NULL;
	}
	nd = (unsigned)(s - d);
	if (s == end) {
		*why = "truncated line: timestamp cut short";
		return NULL;
	}
	if (nd == 0 || *s != ':')
		return NULL;
	if (sec > UINT64_MAX / 1000000000u - 1) {
		*why = "number overflow in timestamp";
		*overflow = true;
		return NULL;
	}
	ev->ts_ns = sec * 1000000000u + frac * scale[nd];
	ev->ts_digits = (uint8_t)nd;
	return s + 1;
}

/*
 * The kmem names by fixed-length compares: a byte loop to the ':' costs a
 * mispredicted exit per line, a fifth of the parse.  Needs "name:" at @s;
 * *@len is the name's length (the old names' differ from their kind's).
 */
static enum pmm_trace_kind fast_kind(const char *s, const char *end, size_t *len)
{
#define IS(lit) ((size_t)(end - s) >= sizeof(lit) - 1 && memcmp(s, lit, sizeof(lit) - 1) == 0)
#define KIND(k, lit)                         \
	do {                                 \
		if (IS(lit ":")) {           \
			*len = sizeof(lit) - 1; \
			return k;            \
		}                            \
	} while (0)
	if (end - s < 9 || !IS("mm_page_")) {
		KIND(PMM_TRACE_MM_PAGE_FREE_BATCHED, OLD_FREE_BATCHED_NAME);
		return PMM_TRACE_OTHER;
	}
	switch (s[8]) {
	case 'a':
		KIND(PMM_TRACE_MM_PAGE_ALLOC, "mm_page_alloc");
		KIND(PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED, "mm_page_alloc_zone_locked");
		KIND(PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG, "mm_page_alloc_extfrag");
		break;
	case 'f':
		KIND(PMM_TRACE_MM_PAGE_FREE, "mm_page_free");
		KIND(PMM_TRACE_MM_PAGE_FREE_BATCHED, "mm_page_free_batched");
		KIND(PMM_TRACE_MM_PAGE_FREE, OLD_FREE_NAME);
		break;
	case 'p':
		KIND(PMM_TRACE_MM_PAGE_PCPU_DRAIN, "mm_page_pcpu_drain");
		break;
	}
	return PMM_TRACE_OTHER;
#undef KIND
#undef IS
}

/* The first control byte in the line, as a reason, or NULL. */
static const char *binary_reason(const char *s, size_t n, char *rbuf, size_t rlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			snprintf(rbuf, rlen, "binary garbage (byte 0x%02x at column %zu)", ch, i + 1);
			return rbuf;
		}
	}
	return NULL;
}

/*
 * "CPU:N [LOST M EVENTS]" (kernel) or "CPU:N [M EVENTS DROPPED]"
 * (trace-cmd); without M when the count is not known: the kernel's
 * "CPU:N [LOST EVENTS]" (5.8+, an iterator the writer overran) and
 * trace-cmd's "CPU:N [EVENTS DROPPED]".  An unknown count is 0.
 */
static bool parse_lost(const char *s, const char *end, struct pmm_trace_event *ev)
{
	const char *p = s + 4, *d = p;
	int64_t cpu;
	uint64_t n = 0;
	bool kernel;

	while (p < end && is_digit(*p))
		p++;
	cpu = dec_span(d, p);
	if (cpu < 0 || end - p < 2 || p[0] != ' ' || p[1] != '[')
		return false;
	p += 2;
	kernel = end - p >= 4 && memcmp(p, "LOST", 4) == 0;
	if (kernel) {
		p += 4;
		if ((size_t)(end - p) == 8 && memcmp(p, " EVENTS]", 8) == 0)
			goto count_unknown;
		if (p == end || *p++ != ' ')
			return false;
	} else if ((size_t)(end - p) == 15 && memcmp(p, "EVENTS DROPPED]", 15) == 0) {
		goto count_unknown;
	}
	d = p;
	while (p < end && is_digit(*p)) {
		if (n > UINT64_MAX / 10 - 1)
			return false;
		n = n * 10 + (uint64_t)(*p++ - '0');
	}
	if (p == d)
		return false;
	if (kernel ? (size_t)(end - p) != 8 || memcmp(p, " EVENTS]", 8)
		   : (size_t)(end - p) != 16 || memcmp(p, " EVENTS DROPPED]", 16))
		return false;
count_unknown:
	ev->comm[0] = '\0';
	ev->kind = PMM_TRACE_LOST;
	ev->cpu = (int32_t)cpu;
	ev->lost = n;
	return true;
}

/*
 * Skip spaces and tabs; eight at a time while they last, since ftrace
 * right-aligns the task name in 16 columns and most lines start with ~10.
 */
static const char *skip_blanks(const char *s, const char *end)
{
	while (end - s >= 8) {
		uint64_t x = load8(s) ^ 0x2020202020202020ull;

		if (x) {
			/* the first non-space is the first nonzero byte in memory order */
			if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
				s += (unsigned)__builtin_ctzll(x) / 8;
			else
				s += (unsigned)__builtin_clzll(x) / 8;
			break;
		}
		s += 8;
	}
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/*
 * trace-cmd report --ts-diff: "(+<delta>)" padded to 8 columns between the
 * timestamp and the event name.  Returns the event name's start, or @s
 * when no such column is there.
 */
static const char *skip_ts_diff(const char *s, const char *end)
{
	const char *p = s + 2;

	if (end - s < 4 || s[1] != '+' || !is_digit(*p))
		return s;
	while (p < end && is_digit(*p))
		p++;
	if (p == end || *p != ')')
		return s;
	for (p++; p < end && *p == ' '; p++)
		;
	return p;
}

/*
 * A frame of the call chain `perf script` prints under an event recorded
 * with -g: blanks, the address as up to 16 hex digits, then nothing or a
 * blank and the symbol ("\tffffffff8123abcd __alloc_pages+0x1ed ([kernel.kallsyms])").
 * @s is past the line's leading blanks.
 */
static bool perf_frame(const char *s, const char *end)
{
	const char *d = s;

	while (d < end && hex_tab[(unsigned char)*d])
		d++;
	return d > s && d - s <= 16 && (d == end || *d == ' ');
}

/*
 * A line that is not an event may be a LOST or "cpus=" line after the
 * name of a trace-cmd report's file or instance ("t.dat: cpus=2",
 * "kmem: CPU:0 [7 EVENTS DROPPED]").  Return: 1 a LOST event in @ev,
 * 0 a "cpus=" line (counted as a comment), -1 neither.
 */
static int prefixed_line(struct pmm_trace_parser *p, const char *s, const char *end,
			 struct pmm_trace_event *ev)
{
	const char *c = s;

	while ((c = memchr(c, ':', (size_t)(end - c))) != NULL && end - c > 6) {
		c++;
		if (*c != ' ' || c - 1 == s)
			continue;
		if (memcmp(c + 1, "CPU:", 4) == 0 && parse_lost(c + 1, end, ev)) {
			p->report_style = true;
			return 1;
		}
		if (memcmp(c + 1, "cpus=", 5) == 0 && !memchr(c, '[', (size_t)(end - c))) {
			p->report_style = true;
			return 0;
		}
	}
	return -1;
}

/*
 * Whether @ev's page= is as libtraceevent prints a pointer ("0x..." or
 * "(nil)"): a line of `trace-cmd report` or `perf script`, whose pfn= it
 * computed from the event's format, not the kernel's own text (whose %p
 * prints hex digits without 0x, or "(null)").  Before Linux 4.1 that pfn=
 * is the struct page's byte offset into the memmap ("pfn= as a byte
 * offset", below; with FLATMEM's mem_map some other number, with
 * SPARSEMEM's statement expression "[FAILED TO PARSE]").  The two free
 * events' names before 3.3 say so by themselves: in a text whose kmem
 * lines so far had frame numbers they are refused rather than free the
 * wrong frames.
 */
static bool libtraceevent_pfn(const struct pmm_trace_event *ev)
{
	return ev->page_fmt == PMM_TRACE_PAGE_0X || ev->page_fmt == PMM_TRACE_PAGE_NIL;
}

#define OLD_PFN_REASON(name)                                                                 \
	"bad value for 'pfn': " name " printed by trace-cmd or perf (libtraceevent, page=0x...) " \
	"is not a frame number before Linux 3.3, and this text's kmem lines before had frame numbers"

/*
 * One line.  Return: 1 event in @ev, 0 not an event (comment, blank), or an
 * error with *@reason set.
 */
static int parse_line(struct pmm_trace_parser *p, const char *line, size_t len,
		      struct pmm_trace_event *ev, char *rbuf, size_t rlen, const char **reason)
{
	const char *end = line + len, *s = line, *tok, *name;
	enum pmm_trace_kind kind;
	size_t klen = 0;
	bool overflow = false, perf = false;
	int err;

	s = skip_blanks(s, end);
	if (s == end || *s == '#')
		return 0;
	if (end - s > 5 && memcmp(s, "cpus=", 5) == 0 && !memchr(s, '[', (size_t)(end - s))) {
		p->report_style = true;
		return 0;
	}

	{
		/* A constant-size copy becomes a few vector stores; memset here became rep stos. */
		static const struct pmm_trace_event zero_event;

		memcpy(ev, &zero_event, offsetof(struct pmm_trace_event, lat));
	}
	ev->lat[0] = '\0';
	ev->old_name = ev->pfn_bytes = 0; /* past lat, where the copy above stops */
	ev->name = NULL;
	ev->text = NULL;
	ev->text_len = ev->name_len = 0;
	ev->tgid = -1;

	if (end - s > 4 && memcmp(s, "CPU:", 4) == 0 && parse_lost(s, end, ev))
		return 1;

	tok = s;
	s = parse_task(s, end, ev, reason, &perf);
	if (!s) {
		/* perf -g: the event's call chain, indented, a frame a line */
		if (p->perf_seen && tok > line && perf_frame(tok, end))
			return 0;
		s = parse_lat_task(line, tok, end, ev);
		if (!s) {
			err = prefixed_line(p, tok, end, ev);
			return err >= 0 ? err : -PMM_EBADMSG;
		}
		p->report_style = true;
	}
	if (s == end || *s != ' ') {
		*reason = "truncated line: timestamp missing";
		return -PMM_EBADMSG;
	}
	while (s < end && *s == ' ')
		s++;
	/* Optional latency column: a token not ending in ':'. */
	tok = s;
	while (s < end && *s != ' ')
		s++;
	if (s == tok) {
		*reason = "truncated line: timestamp missing";
		return -PMM_EBADMSG;
	}
	if (s[-1] != ':') {
		if (s - tok >= (ptrdiff_t)sizeof(ev->lat)) {
			*reason = "bad field: latency flags too long";
			return -PMM_EBADMSG;
		}
		memcpy(ev->lat, tok, (size_t)(s - tok));
		ev->lat[s - tok] = '\0';
		while (s < end && *s == ' ')
			s++;
		tok = s;
		if (s == end) {
			*reason = "truncated line: timestamp missing";
			return -PMM_EBADMSG;
		}
	}
	s = parse_ts(tok, end, ev, reason, &overflow);
	if (!s)
		return overflow ? -PMM_ERANGE : -PMM_EBADMSG;
	tok = s;
	while (s < end && *s == ' ')
		s++;
	if (__builtin_expect(s < end && *s == '(', 0))
		s = skip_ts_diff(s, end);
	name = s;
	if (__builtin_expect(perf, 0)) {
		/* perf script right-aligns "<subsys>:<event>"; "kmem:" names the kmem kinds. */
		size_t pad = s > tok ? (size_t)(s - tok) - 1 : 0;

		ev->style = PMM_TRACE_STYLE_PERF;
		p->perf_seen = true;
		ev->name_pad = pad > 255 ? 255 : (uint8_t)pad;
		if (end - s > 5 && memcmp(s, "kmem:", 5) == 0)
			s += 5;
	}
	kind = fast_kind(s, end, &klen);
	if (kind != PMM_TRACE_OTHER) {
		name = s;
		s += klen;
	} else {
		s = name;
		while (s < end && *s != ':' && *s != ' ')
			s++;
		/* perf: "<subsys>:<event>:" is one name. */
		if (perf && end - s > 1 && *s == ':' && s[1] != ' ')
			for (s++; s < end && *s != ':' && *s != ' '; s++)
				;
	}
	if (s == end || s == name || *s != ':') {
		*reason = s == end ? "truncated line: event name missing"
				   : "bad field: expected 'EVENT:' after the timestamp";
		return -PMM_EBADMSG;
	}
	ev->name = name;
	ev->name_len = (size_t)(s - name);
	s++;
	/* Only trace-cmd pads the name column. */
	if (end - s > 1 && s[0] == ' ' && s[1] == ' ')
		p->report_style = true;
	while (s < end && *s == ' ')
		s++;
	if (kind == PMM_TRACE_OTHER)
		kind = trace_kind_by_name(name, ev->name_len);
	ev->kind = (uint8_t)kind;
	if (kind != PMM_TRACE_OTHER) {
		ev->old_name = ev->name_len != kind_names[kind].len;
		err = trace_parse_body(p, kind, s, (size_t)(end - s), ev, rbuf, rlen, reason);
		if (__builtin_expect(ev->old_name, 0) && !err && libtraceevent_pfn(ev) &&
		    p->pfn_unit == TRACE_PFN_FRAMES) {
			*reason = ev->kind == PMM_TRACE_MM_PAGE_FREE ? OLD_PFN_REASON(OLD_FREE_NAME)
								      : OLD_PFN_REASON(OLD_FREE_BATCHED_NAME);
			return -PMM_EBADMSG;
		}
		return err ? err : 1;
	}
	if ((*reason = binary_reason(line, len, rbuf, rlen)) != NULL)
		return -PMM_EBADMSG;
	/* trace-cmd shows a marker as "print: tracing_mark_write: ..." */
	if (ev->name_len == 5 && memcmp(name, "print", 5) == 0 && end - s > 20 &&
	    memcmp(s, "tracing_mark_write: ", 20) == 0)
		s += 20;
	else if (!(ev->name_len == 18 && memcmp(name, "tracing_mark_write", 18) == 0))
		goto other;
	if (end - s > 14 && memcmp(s, "CAPTURE_PHASE ", 14) == 0) {
		const char *e = end;

		s += 14;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		ev->kind = PMM_TRACE_PHASE;
		ev->text = s;
		ev->text_len = (size_t)(e - s);
		return 1;
	}
other:
	ev->text = s;
	ev->text_len = (size_t)(end - s);
	return 1;
}

/* ------------------------------------------------------- pfn= as a byte offset */

/*
 * Kernels before 4.1 recorded a kmem event's struct page pointer, not its
 * pfn (4.1: "tracing, mm: Record pfn instead of pointer to struct page"),
 * and printed pfn= with page_to_pfn(), on x86-64 (SPARSEMEM_VMEMMAP) the
 * pointer's distance from the memmap's start in struct pages.  The
 * kernel's own text has the frame number.  `trace-cmd report` and `perf
 * script` evaluate the expanded macro with libtraceevent, which subtracts
 * the two addresses without dividing by sizeof(struct page): their pfn= is
 * the byte offset (64 per frame) and page= the real pointer.  From 4.1
 * the same tools print the frame number, and page= as the memmap's start
 * plus it.  Both print pfn= in decimal (hex came in 5.14) and page= as
 * "0x...", and in both page - pfn is one constant: one line does not tell
 * them apart.  The pfns do: a byte offset of an order-N block is a
 * multiple of 64 << N, a frame number only one time in 64.  So while
 * undecided, the text's lines are held back from the first such line on,
 * until one whose pfn= cannot be a byte offset (frame numbers) or
 * PFN_BYTES_LINES that can (byte offsets; a text of frame numbers passes
 * that by chance once in 2^36), or an event under a name from before 3.3.
 * At the end of the input, or PFN_HOLD_LINES lines held, fewer than that
 * count as frame numbers.  A kernel's own text, hex pfn=, or perf and
 * trace-cmd text of a newer kernel decide at their first kmem line.
 */
#define PFN_BYTES_LINES 6
#define PFN_HOLD_LINES 100000
#define PFN_HOLD_BYTES (32u << 20)
#define STRUCT_PAGE_SIZE 64 /* x86-64's sizeof(struct page) before 4.1 */

struct trace_held {
	char *text;            /* the line, or the error message of rc */
	size_t len;
	unsigned long lineno;
	uint64_t bytes;
	int rc;                /* 1: a line; else the reader's error */
};

/*
 * Learn from @ev (@r: parse_line()'s result) what pfn= is.  Return: whether
 * the line has to wait for the answer.
 */
static bool pfn_unit_learn(struct pmm_trace_parser *p, const struct pmm_trace_event *ev, int r)
{
	int order;

	if (r != 1 || ev->kind > PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG)
		return false;
	if (!libtraceevent_pfn(ev) || !ev->pfn_dec) {
		p->pfn_unit = TRACE_PFN_FRAMES;
		return false;
	}
	if (ev->page_fmt == PMM_TRACE_PAGE_NIL)
		return false; /* a failed allocation: pfn= 0 either way */
	if (ev->old_name) {
		/* before 3.3: the record held the pointer */
		if (!p->pfn_aligned++)
			p->pfn_base = ev->page - ev->pfn;
		p->pfn_unit = TRACE_PFN_BYTES;
		return false;
	}
	if (ev->kind == PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG)
		return true; /* its pfn is not always of a block of its order */
	order = ev->kind == PMM_TRACE_MM_PAGE_FREE_BATCHED ? 0 : ev->order;
	if (order < 0 || order > 20)
		order = 0;
	if (ev->pfn % ((uint64_t)STRUCT_PAGE_SIZE << order) || ev->page % STRUCT_PAGE_SIZE ||
	    (p->pfn_aligned && ev->page - ev->pfn != p->pfn_base)) {
		p->pfn_unit = TRACE_PFN_FRAMES;
		return false;
	}
	if (!p->pfn_aligned++)
		p->pfn_base = ev->page - ev->pfn;
	if (p->pfn_aligned >= PFN_BYTES_LINES)
		p->pfn_unit = TRACE_PFN_BYTES;
	return true;
}

/*
 * Decide with what has come (the end of the input, a read error, too much
 * held): fewer than PFN_BYTES_LINES multiples are frame numbers.
 */
static void pfn_unit_settle(struct pmm_trace_parser *p)
{
	if (p->pfn_unit == TRACE_PFN_UNDECIDED)
		p->pfn_unit = TRACE_PFN_FRAMES;
}

/*
 * Under TRACE_PFN_BYTES: @ev's pfn= from libtraceevent as the frame number.
 * Return: @r, or -PMM_EBADMSG with @reason when it is no byte offset like
 * the others.
 */
static int pfn_from_bytes(struct pmm_trace_parser *p, struct pmm_trace_event *ev, int r,
			  char *rbuf, size_t rlen, const char **reason)
{
	if (r != 1 || ev->kind > PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG || !libtraceevent_pfn(ev) ||
	    !ev->pfn_dec || ev->page_fmt == PMM_TRACE_PAGE_NIL)
		return r;
	if (ev->pfn % STRUCT_PAGE_SIZE || ev->page - ev->pfn != p->pfn_base) {
		snprintf(rbuf, rlen,
			 "bad value for 'pfn': %llu is not the byte offset into the memmap at 0x%llx that this text's other lines have (trace-cmd or perf of a kernel before 4.1)",
			 (unsigned long long)ev->pfn, (unsigned long long)p->pfn_base);
		*reason = rbuf;
		return -PMM_EBADMSG;
	}
	ev->pfn /= STRUCT_PAGE_SIZE;
	ev->pfn_bytes = 1;
	p->st.pfn_bytes++;
	return r;
}

static void held_free(struct pmm_trace_parser *p)
{
	for (size_t i = 0; i < p->nheld; i++)
		free(p->held[i].text);
	free(p->held);
	p->held = NULL;
	p->nheld = p->held_next = p->held_cap = p->held_bytes = 0;
}

/*
 * Keep a copy of @text (a line, or for @rc < 0 the reader's message).
 * Return: 0, or a sticky -PMM_ENOMEM with its message set.
 */
static int hold(struct pmm_trace_parser *p, const char *text, size_t len, unsigned long lineno,
		uint64_t bytes, int rc)
{
	struct trace_held *h;

	if (p->nheld == p->held_cap) {
		size_t cap = p->held_cap ? p->held_cap * 2 : 64;

		h = realloc(p->held, cap * sizeof(*h));
		if (!h)
			goto nomem;
		p->held = h;
		p->held_cap = cap;
	}
	h = &p->held[p->nheld];
	h->text = malloc(len + 1);
	if (!h->text)
		goto nomem;
	memcpy(h->text, text, len);
	h->text[len] = '\0';
	h->len = len;
	h->lineno = lineno;
	h->bytes = bytes;
	h->rc = rc;
	p->nheld++;
	p->held_bytes += len;
	if (p->nheld >= PFN_HOLD_LINES || p->held_bytes >= PFN_HOLD_BYTES)
		pfn_unit_settle(p);
	return 0;
nomem:
	p->sticky = -PMM_ENOMEM;
	snprintf(p->errmsg, sizeof(p->errmsg), "%s:%lu: out of memory", linereader_name(p->lr),
		 lineno);
	return -PMM_ENOMEM;
}

/*
 * The next raw line: a held one once pfn_unit is decided, else the
 * reader's.  Return: linereader_next()'s result.
 */
static int next_raw(struct pmm_trace_parser *p, const char **line, size_t *len,
		    unsigned long *lineno, uint64_t *bytes, bool *held)
{
	int r;

	if (__builtin_expect(p->nheld != 0, 0)) {
		if (p->held_next < p->nheld && p->pfn_unit != TRACE_PFN_UNDECIDED) {
			struct trace_held *h = &p->held[p->held_next++];

			*line = h->text;
			*len = h->len;
			*lineno = h->lineno;
			*bytes = h->bytes;
			*held = true;
			return h->rc;
		}
		if (p->held_next == p->nheld)
			held_free(p); /* the last one's event is out, and the caller is back */
	}
	*held = false;
	r = linereader_next(p->lr, line, len);
	*lineno = linereader_lineno(p->lr);
	*bytes = linereader_bytes(p->lr);
	return r;
}

static int text_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev)
{
	for (;;) {
		const char *line, *reason = NULL;
		char rbuf[192];
		unsigned long lineno;
		uint64_t bytes;
		size_t len;
		bool held;
		int r = next_raw(p, &line, &len, &lineno, &bytes, &held);

		p->st.lines = lineno;
		p->st.bytes = bytes;
		if (r <= 0 && !held && p->held_next < p->nheld) {
			/* the end, or the reader failed: what is held comes first */
			const char *msg = r == -PMM_E2BIG ? "" : linereader_errmsg(p->lr);

			if (r < 0 && hold(p, msg, strlen(msg), lineno, bytes, r))
				return -PMM_ENOMEM;
			if (r != -PMM_E2BIG) /* a line too long is skipped: the rest may still tell */
				pfn_unit_settle(p);
			continue;
		}
		if (r == 0)
			return 0;
		if (r == -PMM_E2BIG) {
			p->st.errors++;
			snprintf(p->errmsg, sizeof(p->errmsg), "%s:%lu: line too long (over %u bytes)",
				 linereader_name(p->lr), lineno, LINEREADER_MAX_LINE);
			return r;
		}
		if (r < 0) {
			p->sticky = r;
			/* a held error's text is its message, kept with a NUL */
			snprintf(p->errmsg, sizeof(p->errmsg), "%s:%lu: %s", linereader_name(p->lr),
				 lineno + 1, held ? line : linereader_errmsg(p->lr));
			return r;
		}
		r = parse_line(p, line, len, ev, rbuf, sizeof(rbuf), &reason);
		if (__builtin_expect(p->pfn_unit != TRACE_PFN_FRAMES, 0)) {
			/*
			 * Undecided, every line comes from the reader (held ones wait):
			 * it waits too if it cannot be read yet, or if lines before
			 * it do, even when it has just decided.
			 */
			if (p->pfn_unit == TRACE_PFN_UNDECIDED &&
			    (pfn_unit_learn(p, ev, r) || p->nheld)) {
				if (hold(p, line, len, lineno, bytes, 1))
					return -PMM_ENOMEM;
				continue;
			}
			if (p->pfn_unit == TRACE_PFN_BYTES)
				r = pfn_from_bytes(p, ev, r, rbuf, sizeof(rbuf), &reason);
		}
		if (r == 1) {
			if (ev->style == PMM_TRACE_STYLE_FTRACE && p->report_style)
				ev->style = PMM_TRACE_STYLE_REPORT;
			p->st.events[ev->kind]++;
			if (ev->kind == PMM_TRACE_LOST)
				p->st.lost_events += ev->lost;
			return 1;
		}
		if (r == 0) {
			p->st.comments++;
			continue;
		}
		{
			/* Garbage explains a failure better than the field that tripped on it. */
			char bbuf[96];
			const char *b = binary_reason(line, len, bbuf, sizeof(bbuf));

			if (b)
				reason = b;
			p->st.errors++;
			snprintf(p->errmsg, sizeof(p->errmsg), "%s:%lu: %s", linereader_name(p->lr),
				 lineno, reason ? reason : "malformed line");
		}
		return r;
	}
}

static void text_close(struct pmm_trace_parser *p)
{
	held_free(p);
	linereader_close(p->lr);
}

struct pmm_trace_parser *trace_parser_alloc(const struct pmm_trace_opts *opts)
{
	struct pmm_trace_parser *p = calloc(1, sizeof(*p));

	if (p && opts) {
		p->kver = opts->kver;
		p->kver_from_file = opts->kver_from_file != 0;
	}
	return p;
}

static void open_msg(const struct pmm_trace_opts *opts, const char *msg)
{
	if (opts && opts->errbuf && opts->errbuf_size)
		snprintf(opts->errbuf, opts->errbuf_size, "%s", msg);
}

static int open_text(struct pmm_trace_parser **out, struct linereader *lr,
		     const struct pmm_trace_opts *opts)
{
	struct pmm_trace_parser *p = trace_parser_alloc(opts);

	if (!p) {
		linereader_close(lr);
		open_msg(opts, "out of memory");
		return -PMM_ENOMEM;
	}
	p->lr = lr;
	p->next = text_next;
	p->close = text_close;
	*out = p;
	return 0;
}

/* trace-cmd's file magic: 0x17 0x08 'D' "tracing". */
static bool is_trace_dat(const char *path)
{
	static const unsigned char magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	unsigned char head[10];
	size_t n = 0;
	int fd;

	if (strcmp(path, "-") == 0 || os_file_open_read(path, &fd) != 0)
		return false;
	while (n < sizeof(head)) {
		long r = os_file_read(fd, head + n, sizeof(head) - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	os_file_close(fd);
	return n == sizeof(head) && memcmp(head, magic, sizeof(magic)) == 0;
}

int pmm_trace_open(struct pmm_trace_parser **out, const char *path, const struct pmm_trace_opts *opts)
{
	struct linereader *lr;
	char msg[320];
	int err;

	*out = NULL;
	if (!path)
		return -PMM_EINVAL;
	if (is_trace_dat(path))
		return pmm_trace_open_dat(out, path, opts);
	msg[0] = '\0';
	err = linereader_open_path(&lr, path, msg, sizeof(msg));
	if (err) {
		open_msg(opts, msg);
		return err;
	}
	return open_text(out, lr, opts);
}

int pmm_trace_open_mem(struct pmm_trace_parser **out, const char *name, const void *data,
		       size_t len, const struct pmm_trace_opts *opts)
{
	struct linereader *lr;
	char msg[320];
	int err;

	*out = NULL;
	msg[0] = '\0';
	err = linereader_open_mem(&lr, name, data, len, msg, sizeof(msg));
	if (err) {
		open_msg(opts, msg);
		return err;
	}
	return open_text(out, lr, opts);
}

int pmm_trace_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev)
{
	if (!p || !ev)
		return -PMM_EINVAL;
	if (p->sticky)
		return p->sticky;
	p->errmsg[0] = '\0';
	return p->next(p, ev);
}

const char *pmm_trace_errmsg(const struct pmm_trace_parser *p)
{
	return p ? p->errmsg : "";
}

enum pmm_kver pmm_trace_kver(const struct pmm_trace_parser *p)
{
	return p ? p->kver : PMM_KVER_6_1;
}

void pmm_trace_get_stats(const struct pmm_trace_parser *p, struct pmm_trace_stats *st)
{
	if (p && st)
		*st = p->st;
}

void pmm_trace_close(struct pmm_trace_parser *p)
{
	if (!p)
		return;
	if (p->close)
		p->close(p);
	free(p);
}
