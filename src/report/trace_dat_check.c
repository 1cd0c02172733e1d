// SPDX-License-Identifier: MIT
/*
 * pmm's own walk of a trace.dat (versions 6 and 7) before libtracecmd reads
 * it.  libtracecmd 1.3 allocates whatever a size field says before it reads
 * that many bytes, decodes options without checking their length, follows
 * option-section links without a bound, and hands every event format to
 * libtraceevent, which divides by zero while it folds a constant such as
 * "x / 0".  So every size, offset and option libtracecmd will decode is
 * checked here against the bytes that are really there (in the file, or in
 * the section once decompressed), and the files it would mishandle are
 * refused with a reason.  The ring-buffer pages are checked after
 * libtracecmd has read the headers (their layout comes from header_page).
 *
 * Limits that are pmm's, not the format's: a compressed section inflates to
 * at most 256 MiB, a compressed chunk of CPU data to at most 64 MiB and a
 * CPU's chunks together to at most 1024 times their compressed size, at
 * most 64 option sections, CPU ids below 8192.
 *
 * Reads go through pread on one descriptor; nothing here is shared.
 */
#include "report/trace_dat_check.h"

#ifdef PMM_HAVE_TRACECMD

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#ifdef PMM_HAVE_ZLIB
#include <zlib.h>
#endif

#include <pmm/errno.h>

#include "lib/uname.h"

#define MAX_INFLATE (256u << 20)
#define MAX_CHUNK (64u << 20)
#define MAX_RATIO 1024
#define MAX_OPTION_SECTIONS 64
#define MAX_CPU_ID 8192

/* libtracecmd's section and option ids */
enum {
	OPT_DONE = 0, OPT_DATE = 1, OPT_CPUSTAT = 2, OPT_BUFFER = 3, OPT_TRACECLOCK = 4,
	OPT_UNAME = 5, OPT_HOOK = 6, OPT_OFFSET = 7, OPT_CPUCOUNT = 8, OPT_VERSION = 9,
	OPT_PROCMAPS = 10, OPT_TIME_SHIFT = 12, OPT_GUEST = 13, OPT_STRINGS = 15,
	OPT_HEADER_INFO = 16, OPT_FTRACE_EVENTS = 17, OPT_EVENT_FORMATS = 18,
	OPT_KALLSYMS = 19, OPT_PRINTK = 20, OPT_CMDLINES = 21, OPT_BUFFER_TEXT = 22,
};

struct chk {
	int fd;
	uint64_t fsize;
	bool be;                  /* numbers big-endian */
	int zalg;                 /* 0 none, 1 zstd, 2 zlib */
	char *why;
	size_t whylen;
	int err;                  /* first error; the reason is in why */
	bool trace_clock;         /* v6: a TRACECLOCK option was seen */
	uint64_t sec_off[OPT_CMDLINES + 1]; /* v7: section offsets from the options */
	bool top_seen, top_latency;
	uint64_t top_off;         /* v7: the top buffer's flyrecord section */
	struct dat_layout *lay;
};

/* A read position in the file (mem NULL) or in a decompressed section. */
struct cur {
	struct chk *k;
	const unsigned char *mem;
	uint64_t pos, end;
	uint64_t sec;             /* mem: where its section is in the file */
	const char *name;         /* mem: the section's name */
};

static bool fail(struct chk *k, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(struct chk *k, int err, const char *fmt, ...)
{
	va_list ap;

	if (k->err)
		return false;
	k->err = err;
	va_start(ap, fmt);
	vsnprintf(k->why, k->whylen, fmt, ap);
	va_end(ap);
	return false;
}

#define ULL(x) ((unsigned long long)(x))

static bool cut(struct cur *c, const char *what)
{
	if (!c->mem)
		return fail(c->k, -PMM_EBADMSG, "cut short: %s at byte %llu runs past its end (%llu bytes)",
			    what, ULL(c->pos), ULL(c->k->fsize));
	return fail(c->k, -PMM_EBADMSG, "%s runs past the end of its %s section (at byte %llu)", what,
		    c->name, ULL(c->sec));
}

static bool pread_all(int fd, void *buf, size_t n, uint64_t pos)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)pos);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return false;
		}
		p += r;
		n -= (size_t)r;
		pos += (uint64_t)r;
	}
	return true;
}

static bool c_get(struct cur *c, void *buf, uint64_t n, const char *what)
{
	if (n > c->end - c->pos)
		return cut(c, what);
	if (c->mem)
		memcpy(buf, c->mem + c->pos, (size_t)n);
	else if (!pread_all(c->k->fd, buf, (size_t)n, c->pos))
		return fail(c->k, -PMM_EIO, "read error at byte %llu", ULL(c->pos));
	c->pos += n;
	return true;
}

static uint64_t decode(const struct chk *k, const unsigned char *b, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | b[k->be ? i : bytes - 1 - i];
	return v;
}

static bool c_num(struct cur *c, int bytes, uint64_t *v, const char *what)
{
	unsigned char b[8];

	if (!c_get(c, b, (uint64_t)bytes, what))
		return false;
	*v = decode(c->k, b, bytes);
	return true;
}

static bool c_skip(struct cur *c, uint64_t n, const char *what)
{
	if (n > c->end - c->pos)
		return cut(c, what);
	c->pos += n;
	return true;
}

/* A NUL-terminated string; its first @outlen - 1 bytes into @out (may be NULL). */
static bool c_str(struct cur *c, char *out, size_t outlen, const char *what)
{
	size_t have = 0;
	unsigned char b[256];

	for (;;) {
		uint64_t n = c->end - c->pos < sizeof(b) ? c->end - c->pos : sizeof(b);
		unsigned char *z;

		if (!n)
			return cut(c, what);
		if (c->mem)
			memcpy(b, c->mem + c->pos, (size_t)n);
		else if (!pread_all(c->k->fd, b, (size_t)n, c->pos))
			return fail(c->k, -PMM_EIO, "read error at byte %llu", ULL(c->pos));
		z = memchr(b, 0, (size_t)n);
		for (size_t i = 0; out && i < (z ? (size_t)(z - b) : n) && have + 1 < outlen; i++)
			out[have++] = (char)b[i];
		if (z) {
			c->pos += (uint64_t)(z - b) + 1;
			if (out && outlen)
				out[have] = '\0';
			return true;
		}
		c->pos += n;
	}
}

/* @n bytes, NUL-terminated, malloc'd; NULL on error. */
static char *c_blob(struct cur *c, uint64_t n, const char *what)
{
	char *s;

	if (n > c->end - c->pos) {
		cut(c, what);
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		fail(c->k, -PMM_ENOMEM, "out of memory");
		return NULL;
	}
	if (!c_get(c, s, n, what)) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------ decompression */

/* Inflate @src into exactly @rsize bytes at @dst. */
static bool inflate_exact(const struct chk *k, const void *src, size_t csize, void *dst, size_t rsize)
{
	if (k->zalg == 1) {
		size_t r = ZSTD_decompress(dst, rsize, src, csize);

		return !ZSTD_isError(r) && r == rsize;
	}
#ifdef PMM_HAVE_ZLIB
	if (k->zalg == 2) {
		uLongf dl = (uLongf)rsize;

		return uncompress(dst, &dl, src, (uLong)csize) == Z_OK && dl == rsize;
	}
#endif
	return false;
}

/*
 * A compressed block at @c (4-byte compressed size, 4-byte inflated size,
 * the data), as libtracecmd's in_uncompress_block() reads it: its inflated
 * bytes, malloc'd, in *@out and *@outlen; @c moves past it.
 */
static bool c_inflate(struct cur *c, const char *what, unsigned char **out, uint64_t *outlen)
{
	uint64_t at = c->pos, csize, rsize;
	unsigned char *src, *dst;

	*out = NULL;
	if (!c_num(c, 4, &csize, what) || !c_num(c, 4, &rsize, what))
		return false;
	if (csize > c->end - c->pos)
		return cut(c, what);
	if (rsize > MAX_INFLATE)
		return fail(c->k, -PMM_EBADMSG, "%s at byte %llu says it inflates to %llu bytes, more than pmm reads (%u)",
			    what, ULL(at), ULL(rsize), MAX_INFLATE);
	src = malloc(csize ? (size_t)csize : 1);
	dst = malloc(rsize ? (size_t)rsize : 1);
	if (!src || !dst) {
		free(src);
		free(dst);
		return fail(c->k, -PMM_ENOMEM, "out of memory");
	}
	if (!c_get(c, src, csize, what)) {
		free(src);
		free(dst);
		return false;
	}
	if (!inflate_exact(c->k, src, (size_t)csize, dst, (size_t)rsize)) {
		free(src);
		free(dst);
		return fail(c->k, -PMM_EBADMSG, "%s at byte %llu does not inflate to the %llu bytes it says",
			    what, ULL(at), ULL(rsize));
	}
	free(src);
	*out = dst;
	*outlen = rsize;
	return true;
}

/* ------------------------------------------------------------ event formats */

static bool tok_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Past the string or character literal that starts at @p. */
static const char *skip_literal(const char *p, const char *end)
{
	char q = *p++;

	while (p < end && *p != q)
		p += *p == '\\' && p + 1 < end ? 2 : 1;
	return p < end ? p + 1 : end;
}

/*
 * The divisor that starts at @p: false when libtraceevent takes it as the
 * number 0 while it parses (a literal 0, a name or a string, alone or
 * alone in parentheses).  A field (REC->x), a call, a cast or a longer
 * expression is not folded then; trace_dat.c checks those per record.
 */
static bool divisor_ok(const char *p, const char *end)
{
	const char *t, *r;
	int parens = 0;
	char num[32];
	size_t n;

	p = skip_ws(p, end);
	while (p < end && *p == '(') {
		parens++;
		p = skip_ws(p + 1, end);
	}
	if (p >= end || *p == '"' || *p == '\'')
		return false;
	if (!tok_char(*p))
		return true; /* '-', '!', '~', ...: an operator, not an atom */
	for (t = p; p < end && tok_char(*p); p++)
		;
	r = skip_ws(p, end);
	if (isdigit((unsigned char)*t)) {
		if (parens && (r >= end || *r != ')'))
			return true;
		n = (size_t)(p - t) < sizeof(num) - 1 ? (size_t)(p - t) : sizeof(num) - 1;
		memcpy(num, t, n);
		num[n] = '\0';
		return strtoull(num, NULL, 0) != 0;
	}
	if (p - t == 3 && memcmp(t, "REC", 3) == 0 && end - r >= 2 && r[0] == '-' && r[1] == '>')
		return true;
	if (r < end && *r == '(')
		return true; /* a call */
	if (parens && r < end && *r == ')') {
		r = skip_ws(r + 1, end);
		/* "(type)operand" is a cast */
		return r < end && (tok_char(*r) || *r == '(' || *r == '"' || *r == '\'' || *r == '-');
	}
	return false;
}

bool trace_dat_format_divides(const char *fmt, size_t len, char *why, size_t whylen)
{
	static const char key[] = "print fmt:";
	const char *end = fmt + len, *p;

	p = memmem(fmt, len, key, sizeof(key) - 1);
	if (!p)
		return false;
	p = skip_ws(p + sizeof(key) - 1, end);
	if (p < end && *p == '"')
		p = skip_literal(p, end);
	while (p < end) {
		if (*p == '"' || *p == '\'') {
			p = skip_literal(p, end);
			continue;
		}
		if ((*p == '/' || *p == '%') && !divisor_ok(p + 1, end)) {
			const char *e = p + 1;
			int n;

			while (e < end && e - p < 24 && *e != '\n' && *e != ',')
				e++;
			n = (int)(e - p);
			snprintf(why, whylen, "its print format divides by zero (\"%.*s\"), which libtraceevent cannot evaluate",
				 n, p);
			return true;
		}
		p++;
	}
	return false;
}

/* Whether the format @fmt declares a field named @name (@n bytes). */
static bool declares_field(const char *fmt, const char *end, const char *name, size_t n)
{
	for (const char *p = fmt; (p = memmem(p, (size_t)(end - p), "field:", 6)) != NULL; p += 6) {
		const char *semi = memchr(p, ';', (size_t)(end - p)), *e;

		if (!semi)
			return false;
		e = semi;
		if ((e = memchr(p, '[', (size_t)(semi - p))) == NULL)
			e = semi;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if ((size_t)(e - p) >= n && memcmp(e - n, name, n) == 0 && !tok_char(e[-(ptrdiff_t)n - 1]))
			return true;
	}
	return false;
}

/*
 * libtraceevent marks the field that __print_flags() or __print_symbolic()
 * decodes while it parses the format, and crashes when the format does not
 * declare it.  Return: true with the field named in @why when that is so.
 */
static bool flags_field_missing(const char *fmt, size_t len, char *why, size_t whylen)
{
	static const char *const calls[] = { "__print_flags(", "__print_symbolic(",
					     "__print_flags_u64(", "__print_symbolic_u64(" };
	const char *end = fmt + len, *args = memmem(fmt, len, "print fmt:", 10);

	for (size_t i = 0; args && i < sizeof(calls) / sizeof(calls[0]); i++) {
		size_t cl = strlen(calls[i]);

		for (const char *p = args; (p = memmem(p, (size_t)(end - p), calls[i], cl)) != NULL;) {
			int depth = 0;

			/* the first argument: up to the ',' outside any parentheses */
			for (p += cl; p < end && (depth || *p != ','); p++) {
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth < 0)
					break;
				else if (*p == '"' || *p == '\'')
					p = skip_literal(p, end) - 1;
				else if (end - p > 5 && memcmp(p, "REC->", 5) == 0) {
					const char *t = p + 5, *e = t;

					while (e < end && tok_char(*e))
						e++;
					if (!declares_field(fmt, args, t, (size_t)(e - t))) {
						snprintf(why, whylen, "its print format decodes field %.*s, which it does not declare",
							 (int)(e - t), t);
						return true;
					}
					p = e - 1;
				}
			}
		}
	}
	return false;
}

/* The name of the event format @s (its "name: " line), for messages. */
static void format_name(const char *s, char *out, size_t outlen)
{
	const char *p = strstr(s, "name: ");
	size_t n = 0;

	if (p)
		for (p += 6; *p && *p != '\n' && n + 1 < outlen; p++)
			out[n++] = *p;
	if (!n && outlen > 1)
		out[n++] = '?';
	out[n] = '\0';
}

/* @count formats of @system, each an 8-byte size and its text. */
static bool c_formats(struct cur *c, const char *system, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		uint64_t size, at;
		char *s, name[64], why[200];

		if (!c_num(c, 8, &size, "an event format's size"))
			return false;
		at = c->pos;
		s = c_blob(c, size, "an event format");
		if (!s)
			return false;
		if (trace_dat_format_divides(s, (size_t)size, why, sizeof(why)) ||
		    flags_field_missing(s, (size_t)size, why, sizeof(why))) {
			format_name(s, name, sizeof(name));
			free(s);
			if (c->mem)
				return fail(c->k, -PMM_EBADMSG, "event %s:%s (in the %s section at byte %llu): %s",
					    system, name, c->name, ULL(c->sec), why);
			return fail(c->k, -PMM_EBADMSG, "event %s:%s (format at byte %llu): %s", system, name,
				    ULL(at), why);
		}
		free(s);
	}
	return true;
}

/* ------------------------------------------------------------ sections */

static bool c_header_info(struct cur *c)
{
	char label[13];
	uint64_t n;

	if (!c_get(c, label, 12, "the header_page label") || memcmp(label, "header_page", 12) != 0)
		return c->k->err ? false : fail(c->k, -PMM_EBADMSG, "no header_page label at byte %llu",
						 ULL(c->pos - 12));
	if (!c_num(c, 8, &n, "header_page's size") || !c_skip(c, n, "header_page"))
		return false;
	if (!c_get(c, label, 13, "the header_event label") || memcmp(label, "header_event", 13) != 0)
		return c->k->err ? false : fail(c->k, -PMM_EBADMSG, "no header_event label at byte %llu",
						 ULL(c->pos - 13));
	return c_num(c, 8, &n, "header_event's size") && c_skip(c, n, "header_event");
}

static bool c_ftrace_formats(struct cur *c)
{
	uint64_t n;

	return c_num(c, 4, &n, "the ftrace format count") && c_formats(c, "ftrace", n);
}

static bool c_event_formats(struct cur *c)
{
	uint64_t systems, n;
	char sys[64];

	if (!c_num(c, 4, &systems, "the event system count"))
		return false;
	for (uint64_t i = 0; i < systems; i++)
		if (!c_str(c, sys, sizeof(sys), "an event system's name") ||
		    !c_num(c, 4, &n, "an event system's format count") || !c_formats(c, sys, n))
			return false;
	return true;
}

/* kallsyms (a 4-byte size), saved cmdlines (8) */
static bool c_sized(struct cur *c, int bytes, const char *what)
{
	uint64_t n;

	return c_num(c, bytes, &n, what) && c_skip(c, n, what);
}

/*
 * The printk formats, as libtraceevent's tep_parse_printk_formats() takes
 * them apart: lines of "ADDR : \"FORMAT\"", split at the first ':' after
 * any leading ones, the format taken from the second byte after it, a
 * leading quote dropped, and then the last byte and the three before it
 * looked at.  A line with no ':', or a format of fewer than 3 bytes, makes
 * it read outside the string; such a file is refused.
 */
static bool printk_formats_ok(struct chk *k, const char *s)
{
	unsigned long line = 0;

	for (const char *b = s; *b;) {
		const char *e = strchr(b, '\n'), *colon, *f;

		if (!e)
			e = b + strlen(b);
		line++;
		while (b < e && *b == ':')
			b++;
		if (b < e) {
			colon = memchr(b, ':', (size_t)(e - b));
			if (!colon)
				return fail(k, -PMM_EBADMSG, "printk formats: line %lu has no ':'", line);
			f = colon + 2;
			if (f < e && *f == '"')
				f++;
			if (f > e || e - f < 3)
				return fail(k, -PMM_EBADMSG,
					    "printk formats: line %lu has no format after its ':'", line);
		}
		b = *e ? e + 1 : e;
	}
	return true;
}

/* The printk formats section: a 4-byte size, then the lines. */
static bool c_printk(struct cur *c)
{
	uint64_t n;
	char *d;
	bool ok;

	if (!c_num(c, 4, &n, "the printk formats"))
		return false;
	d = c_blob(c, n, "the printk formats");
	if (!d)
		return false;
	ok = printk_formats_ok(c->k, d);
	free(d);
	return ok;
}

/* ------------------------------------------------------------ options */

static bool has_nul(const unsigned char *d, uint64_t n)
{
	return memchr(d, 0, (size_t)n) != NULL;
}

/* TIME_SHIFT: every CPU's samples there and at least one, times not negative. */
static bool time_shift_ok(const struct chk *k, const unsigned char *d, uint64_t n)
{
	uint64_t pos = 12, cpus, cnt;

	if (n < 16)
		return true; /* libtracecmd skips it */
	if (n - pos < 4)
		return false;
	cpus = decode(k, d + pos, 4);
	pos += 4;
	if (cpus > (n - pos) / 4)
		return false;
	for (uint64_t i = 0; i < cpus; i++) {
		if (n - pos < 4)
			return false;
		cnt = decode(k, d + pos, 4);
		pos += 4;
		if (!cnt || cnt > (n - pos) / 24)
			return false;
		for (uint64_t s = 0; s < cnt; s++)
			if (decode(k, d + pos + 8 * s, 8) >> 63)
				return false;
		pos += 24 * cnt;
	}
	return true;
}

/* GUEST: name, trace id, vCPU count, then (vCPU, pid) pairs with vCPU < count. */
static bool guest_ok(const struct chk *k, const unsigned char *d, uint64_t n)
{
	const unsigned char *z = memchr(d, 0, (size_t)n);
	uint64_t pos, cnt;

	if (!z)
		return false;
	pos = (uint64_t)(z - d) + 1;
	if (n - pos < 12)
		return false;
	cnt = decode(k, d + pos + 8, 4);
	pos += 12;
	if (cnt >> 31 || cnt > (n - pos) / 8)
		return false;
	for (uint64_t i = 0; i < cnt; i++)
		if (decode(k, d + pos + 8 * i, 4) >= cnt)
			return false;
	return true;
}

/* PROCMAPS: no more library maps announced than lines that follow. */
static bool procmaps_ok(const unsigned char *d, uint64_t n)
{
	const char *s = (const char *)d, *nl;
	unsigned pid, nr, lines = 0;
	char line[128];
	size_t len;

	if (!n)
		return false;
	if (d[n - 1] != '\0')
		return true; /* libtracecmd ignores it */
	nl = strchr(s, '\n');
	if (!nl)
		return true;
	len = (size_t)(nl - s) < sizeof(line) - 1 ? (size_t)(nl - s) : sizeof(line) - 1;
	memcpy(line, s, len);
	line[len] = '\0';
	if (sscanf(line, "%x %x", &pid, &nr) != 2)
		return true;
	for (const char *p = nl + 1; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	return nr <= lines + 1;
}

/* v7 BUFFER of the top instance: its flyrecord section and CPU data. */
static bool buffer_v7(struct chk *k, const unsigned char *d, uint64_t n, bool latency)
{
	const unsigned char *name = d + 8, *clock, *z;
	uint64_t pos, cpus, max_id = 0, off = decode(k, d, 8);
	struct dat_cpu_data *cpu;

	z = memchr(name, 0, (size_t)(n - 8));
	if (!z)
		return fail(k, -PMM_EBADMSG, "a buffer option's name has no end");
	clock = z + 1;
	z = memchr(clock, 0, (size_t)(n - (uint64_t)(clock - d)));
	if (!z)
		return fail(k, -PMM_EBADMSG, "a buffer option's clock has no end");
	if (name[0] != '\0')
		return true; /* an instance: pmm reads the top buffer only */
	k->top_seen = true;
	k->top_latency = latency;
	k->top_off = off;
	if (latency)
		return true;
	pos = (uint64_t)(z - d) + 1;
	if (n - pos < 8)
		return fail(k, -PMM_EBADMSG, "the buffer option ends before its CPU count");
	cpus = decode(k, d + pos + 4, 4);
	pos += 8;
	if (cpus > (n - pos) / 20)
		return fail(k, -PMM_EBADMSG, "the buffer option lists %llu CPUs, more than its %llu bytes hold",
			    ULL(cpus), ULL(n));
	for (uint64_t i = 0; i < cpus; i++) {
		uint64_t id = decode(k, d + pos + 20 * i, 4);

		if (id >= MAX_CPU_ID)
			return fail(k, -PMM_EBADMSG, "the buffer option names CPU %llu, more than pmm reads (%d)",
				    ULL(id), MAX_CPU_ID);
		if (id > max_id)
			max_id = id;
	}
	/* libtracecmd indexes the CPU data by id when the ids are not 0..n-1 */
	cpu = calloc(cpus ? (size_t)max_id + 1 : 1, sizeof(*cpu));
	if (!cpu)
		return fail(k, -PMM_ENOMEM, "out of memory");
	for (uint64_t i = 0; i < cpus; i++) {
		uint64_t id = decode(k, d + pos + 20 * i, 4);

		cpu[id].off = decode(k, d + pos + 20 * i + 4, 8);
		cpu[id].size = decode(k, d + pos + 20 * i + 12, 8);
	}
	free(k->lay->cpu);
	k->lay->cpu = cpu;
	k->lay->cpus = cpus ? (int)max_id + 1 : 0;
	return true;
}

/* One option as libtracecmd's handle_options() decodes it. */
static bool option(struct chk *k, uint64_t id, const unsigned char *d, uint64_t n, uint64_t at)
{
	switch (id) {
	case OPT_DATE:
	case OPT_OFFSET:
	case OPT_UNAME:
	case OPT_VERSION:
		if (!has_nul(d, n))
			return fail(k, -PMM_EBADMSG, "option %llu at byte %llu is a string without an end",
				    ULL(id), ULL(at));
		/* the first UNAME's release; "" if it has none */
		if (id == OPT_UNAME && !k->lay->release[0])
			uname_release((const char *)d, k->lay->release, sizeof(k->lay->release));
		return true;
	case OPT_CPUSTAT:
		if (!n)
			return fail(k, -PMM_EBADMSG, "the CPU stats option at byte %llu is empty", ULL(at));
		return true;
	case OPT_HOOK:
		return fail(k, -PMM_EBADMSG, "it has an event-hook option (trace-cmd record -H, at byte %llu), which pmm does not read",
			    ULL(at));
	case OPT_CPUCOUNT:
		if (n < 4)
			return fail(k, -PMM_EBADMSG, "the CPU count option at byte %llu is %llu bytes, not 4",
				    ULL(at), ULL(n));
		if (k->lay->version == 6)
			k->lay->cpus = (int)(decode(k, d, 4) & 0x7fffffff);
		return true;
	case OPT_PROCMAPS:
		if (!procmaps_ok(d, n))
			return fail(k, -PMM_EBADMSG, "the process maps option at byte %llu is not well formed", ULL(at));
		return true;
	case OPT_TIME_SHIFT:
		if (!time_shift_ok(k, d, n))
			return fail(k, -PMM_EBADMSG, "the time shift option at byte %llu is not well formed", ULL(at));
		return true;
	case OPT_GUEST:
		if (!guest_ok(k, d, n))
			return fail(k, -PMM_EBADMSG, "the guest option at byte %llu is not well formed", ULL(at));
		return true;
	case OPT_TRACECLOCK:
		k->trace_clock = true;
		return true;
	case OPT_BUFFER:
	case OPT_BUFFER_TEXT:
		if (n < 9 || !has_nul(d + 8, n - 8))
			return fail(k, -PMM_EBADMSG, "the buffer option at byte %llu is not well formed", ULL(at));
		if (k->lay->version == 7 && !buffer_v7(k, d, n, id == OPT_BUFFER_TEXT))
			return false;
		return true;
	case OPT_HEADER_INFO:
	case OPT_FTRACE_EVENTS:
	case OPT_EVENT_FORMATS:
	case OPT_KALLSYMS:
	case OPT_PRINTK:
	case OPT_CMDLINES:
		if (n >= 8 && k->lay->version == 7)
			k->sec_off[id] = decode(k, d, 8);
		return true;
	default:
		return true;
	}
}

/* Options at @c until the DONE option (v7: its next-section offset in *@next). */
static bool c_options(struct cur *c, uint64_t *next)
{
	for (;;) {
		uint64_t id, n, at = c->pos;
		unsigned char *d;
		bool ok;

		if (!c_num(c, 2, &id, "an option's id"))
			return false;
		if (id == OPT_DONE && c->k->lay->version == 6)
			return true;
		if (!c_num(c, 4, &n, "an option's size"))
			return false;
		if (n > c->end - c->pos)
			return cut(c, "an option");
		d = (unsigned char *)c_blob(c, n, "an option");
		if (!d)
			return false;
		if (id == OPT_DONE) {
			*next = n >= 8 ? decode(c->k, d, 8) : 0;
			free(d);
			if (n < 8)
				return fail(c->k, -PMM_EBADMSG, "the options end at byte %llu without a link", ULL(at));
			return true;
		}
		ok = option(c->k, id, d, n, at);
		free(d);
		if (!ok)
			return false;
	}
}

/* ------------------------------------------------------------ version 6 */

static bool walk_v6(struct chk *k, struct cur *c)
{
	struct dat_layout *lay = k->lay;
	char label[10];
	uint64_t n, cpus;

	if (!c_header_info(c) || !c_ftrace_formats(c) || !c_event_formats(c))
		return false;
	if (!c_sized(c, 4, "kallsyms") || !c_printk(c) ||
	    !c_sized(c, 8, "the saved cmdlines") || !c_num(c, 4, &cpus, "the CPU count"))
		return false;
	lay->cpus = (int)(cpus & 0x7fffffff);
	if (!c_get(c, label, sizeof(label), "the options label"))
		return false;
	if (memcmp(label, "options  ", 10) == 0) {
		if (!c_options(c, &n) || !c_get(c, label, sizeof(label), "the flyrecord label"))
			return false;
	}
	if (memcmp(label, "latency  ", 10) == 0)
		return fail(k, -PMM_EBADMSG, "a latency trace, which holds text, not the events pmm reads");
	if (memcmp(label, "flyrecord", 10) != 0)
		return fail(k, -PMM_EBADMSG, "no flyrecord data where it should be (byte %llu)",
			    ULL(c->pos - sizeof(label)));
	if ((uint64_t)lay->cpus > (c->end - c->pos) / 16)
		return fail(k, -PMM_EBADMSG, "cut short: its table of %llu CPUs at byte %llu runs past its end (%llu bytes)",
			    ULL(lay->cpus), ULL(c->pos), ULL(k->fsize));
	lay->cpu = calloc(lay->cpus ? (size_t)lay->cpus : 1, sizeof(*lay->cpu));
	if (!lay->cpu)
		return fail(k, -PMM_ENOMEM, "out of memory");
	for (int cpu = 0; cpu < lay->cpus; cpu++)
		if (!c_num(c, 8, &lay->cpu[cpu].off, "the CPU table") ||
		    !c_num(c, 8, &lay->cpu[cpu].size, "the CPU table"))
			return false;
	if (k->trace_clock) {
		/* read after the table; a failed read is a known old-file bug libtracecmd tolerates */
		char *s;

		if (c->end - c->pos < 8 || !c_num(c, 8, &n, "the trace clock"))
			return true;
		s = c_blob(c, n, "the trace clock");
		if (!s)
			return false;
		/* libtracecmd sscanf()s the first word between brackets, and crashes when there is none */
		for (char *w = s; (w = strchr(w, '[')) != NULL; w++)
			if ((w == s || w[-1] == ' ') && strspn(w, "[]") == strcspn(w, " ")) {
				free(s);
				return fail(k, -PMM_EBADMSG, "its trace clock text has an empty [] entry");
			}
		free(s);
	}
	return true;
}

/* ------------------------------------------------------------ version 7 */

/* The section at @off: its header, and a cursor over its contents. */
static bool section_open(struct chk *k, uint64_t off, uint64_t want_id, const char *name,
			 struct cur *out, unsigned char **mem)
{
	struct cur c = { k, NULL, off, k->fsize, 0, NULL };
	uint64_t id, flags, desc, size;

	*mem = NULL;
	if (off > k->fsize)
		return fail(k, -PMM_EBADMSG, "cut short: its %s section at byte %llu is past its end (%llu bytes)",
			    name, ULL(off), ULL(k->fsize));
	if (!c_num(&c, 2, &id, name) || !c_num(&c, 2, &flags, name) || !c_num(&c, 4, &desc, name) ||
	    !c_num(&c, 8, &size, name))
		return false;
	if (id != want_id)
		return fail(k, -PMM_EBADMSG, "its %s section at byte %llu has id %llu, not %llu", name,
			    ULL(off), ULL(id), ULL(want_id));
	if (size > c.end - c.pos)
		return cut(&c, name);
	c.end = c.pos + size;
	if (flags & 1) {
		uint64_t len;

		if (!k->zalg)
			return fail(k, -PMM_EBADMSG, "its %s section at byte %llu is compressed, and the file names no compression",
				    name, ULL(off));
		if (!c_inflate(&c, name, mem, &len))
			return false;
		*out = (struct cur){ k, *mem, 0, len, off, name };
		return true;
	}
	*out = c;
	return true;
}

/*
 * libtracecmd's read_metadata_strings(): from the end of the file header it
 * steps from section to section by their sizes, reading the strings ones.
 */
static bool walk_strings(struct chk *k, uint64_t pos)
{
	uint64_t total = 0;

	for (;;) {
		struct cur c = { k, NULL, pos, k->fsize, 0, NULL };
		uint64_t id, flags, desc, size;

		if (k->fsize - pos < 16)
			return true;
		if (!c_num(&c, 2, &id, "") || !c_num(&c, 2, &flags, "") || !c_num(&c, 4, &desc, "") ||
		    !c_num(&c, 8, &size, ""))
			return false;
		if (id == OPT_STRINGS) {
			uint64_t len;

			if (flags & 1) {
				unsigned char *mem;

				if (!k->zalg)
					return fail(k, -PMM_EBADMSG, "its strings section at byte %llu is compressed, and the file names no compression",
						    ULL(pos));
				if (!c_inflate(&c, "the strings section", &mem, &len))
					return false;
				free(mem);
			} else {
				len = size & 0xffffffffu;
				if (!c_skip(&c, len, "the strings section"))
					return false;
			}
			total += len;
			if (total > MAX_INFLATE)
				return fail(k, -PMM_EBADMSG, "its strings sections hold more than pmm reads (%u bytes)",
					    MAX_INFLATE);
			pos = c.pos;
			continue;
		}
		/* libtracecmd seeks by the size as a signed offset: one that points back loops forever */
		if (size >> 63) {
			if ((int64_t)(c.pos + size) >= 0)
				return fail(k, -PMM_EBADMSG, "the section at byte %llu says it is %lld bytes long",
					    ULL(pos), (long long)size);
			return true;
		}
		if (size > k->fsize - c.pos)
			return true; /* the next read fails: libtracecmd stops there */
		pos = c.pos + size;
	}
}

static bool walk_v7(struct chk *k, struct cur *c)
{
	struct dat_layout *lay = k->lay;
	uint64_t opt, hdr_end, prev = 0;
	int sections = 0;
	static const struct {
		int id;
		const char *name;
	} secs[] = {
		{ OPT_HEADER_INFO, "header" }, { OPT_FTRACE_EVENTS, "ftrace formats" },
		{ OPT_EVENT_FORMATS, "event formats" }, { OPT_KALLSYMS, "kallsyms" },
		{ OPT_PRINTK, "printk formats" }, { OPT_CMDLINES, "saved cmdlines" },
	};

	if (!c_str(c, lay->compression, sizeof(lay->compression), "the compression name") ||
	    !c_str(c, NULL, 0, "the compression version"))
		return false;
	if (strcmp(lay->compression, "none") == 0) {
		k->zalg = 0;
	} else if (strcmp(lay->compression, "zstd") == 0) {
		k->zalg = 1;
	} else if (strcmp(lay->compression, "zlib") == 0) {
#ifdef PMM_HAVE_ZLIB
		k->zalg = 2;
#else
		return fail(k, -PMM_EBADMSG, "it is compressed with zlib, and pmm was built without zlib");
#endif
	} else {
		return fail(k, -PMM_EBADMSG, "it is compressed with \"%s\", which pmm does not read",
			    lay->compression);
	}
	if (!c_num(c, 8, &opt, "the options offset"))
		return false;
	hdr_end = c->pos;
	if (!walk_strings(k, hdr_end))
		return false;
	while (opt) {
		struct cur oc;
		unsigned char *mem;
		uint64_t next = 0;
		bool ok;

		if (opt <= prev || ++sections > MAX_OPTION_SECTIONS)
			return fail(k, -PMM_EBADMSG, "its options section at byte %llu links to byte %llu, %s",
				    ULL(prev), ULL(opt),
				    opt <= prev ? "not further on" : "one section too many for pmm");
		if (!section_open(k, opt, OPT_DONE, "options", &oc, &mem))
			return false;
		/* libtracecmd reads the options past the section's size, to their DONE */
		if (!mem)
			oc.end = k->fsize;
		ok = c_options(&oc, &next);
		free(mem);
		if (!ok)
			return false;
		prev = opt;
		opt = next;
	}
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		uint64_t off = k->sec_off[secs[i].id];
		unsigned char *mem;
		struct cur sc;
		bool ok;

		if (!off)
			continue;
		if (!section_open(k, off, (uint64_t)secs[i].id, secs[i].name, &sc, &mem))
			return false;
		if (!mem)
			sc.end = k->fsize;
		switch (secs[i].id) {
		case OPT_HEADER_INFO: ok = c_header_info(&sc); break;
		case OPT_FTRACE_EVENTS: ok = c_ftrace_formats(&sc); break;
		case OPT_EVENT_FORMATS: ok = c_event_formats(&sc); break;
		case OPT_KALLSYMS: ok = c_sized(&sc, 4, "kallsyms"); break;
		case OPT_PRINTK: ok = c_printk(&sc); break;
		default: ok = c_sized(&sc, 8, "the saved cmdlines"); break;
		}
		free(mem);
		if (!ok)
			return false;
	}
	if (!k->top_seen)
		return fail(k, -PMM_EBADMSG, "it has no flyrecord data (no buffer option for the top instance)");
	if (k->top_latency)
		return fail(k, -PMM_EBADMSG, "a latency trace, which holds text, not the events pmm reads");
	{
		struct cur bc = { k, NULL, k->top_off, k->fsize, 0, NULL };
		uint64_t id, flags;

		if (k->top_off > k->fsize || !c_num(&bc, 2, &id, "the flyrecord section") ||
		    !c_num(&bc, 2, &flags, "the flyrecord section") || !c_skip(&bc, 12, "the flyrecord section"))
			return k->err ? false : fail(k, -PMM_EBADMSG, "cut short: its flyrecord section at byte %llu is past its end (%llu bytes)",
					       ULL(k->top_off), ULL(k->fsize));
		lay->compressed = flags & 1;
		if (lay->compressed && !k->zalg)
			return fail(k, -PMM_EBADMSG, "its flyrecord data at byte %llu is compressed, and the file names no compression",
				    ULL(k->top_off));
	}
	return true;
}

/* ------------------------------------------------------------ entry points */

static int open_chk(struct chk *k, const char *path, char *why, size_t whylen)
{
	struct stat st;

	memset(k, 0, sizeof(*k));
	k->why = why;
	k->whylen = whylen;
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return -1;
	if (fstat(k->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(k->fd);
		return -1;
	}
	k->fsize = (uint64_t)st.st_size;
	return 0;
}

int trace_dat_check_file(const char *path, struct dat_layout *lay, char *why, size_t whylen)
{
	static const char magic[10] = "\x17\x08\x44tracing";
	unsigned char head[16];
	struct chk k;
	struct cur c;
	uint64_t ps = 0;
	bool ok;

	memset(lay, 0, sizeof(*lay));
	if (open_chk(&k, path, why, whylen) != 0)
		return 0; /* libtracecmd says what is wrong with it */
	k.lay = lay;
	c = (struct cur){ &k, NULL, 0, k.fsize, 0, NULL };
	/* not ours to judge unless it says it is a trace.dat of version 6 or 7 */
	if (!c_get(&c, head, 12, "") || memcmp(head, magic, 10) != 0 ||
	    (head[10] != '6' && head[10] != '7') || head[11]) {
		close(k.fd);
		k.err = 0;
		return 0;
	}
	lay->version = head[10] - '0';
	/* endianness and long size, then the page size in that endianness */
	ok = c_get(&c, head, 2, "the file header");
	if (ok) {
		lay->big_endian = k.be = head[0] != 0;
		ok = c_num(&c, 4, &ps, "the file header");
		lay->page_size = ps;
	}
	ok = ok && (lay->version == 6 ? walk_v6(&k, &c) : walk_v7(&k, &c));
	close(k.fd);
	if (!ok) {
		trace_dat_layout_free(lay);
		return k.err ? k.err : -PMM_EBADMSG;
	}
	return 1;
}

/* A ring-buffer page's commit size (the bits above it flag lost events) within the page. */
static bool commit_ok(struct chk *k, const struct dat_layout *lay, int commit_size,
		      const unsigned char *field, int cpu, uint64_t at, const char *where)
{
	uint64_t commit = decode(k, field, commit_size) & ((1u << 27) - 1);

	if (commit > lay->page_size - 8 - (uint64_t)commit_size)
		return fail(k, -PMM_EBADMSG, "CPU %d's ring-buffer page at byte %llu%s says it holds %llu bytes, more than a page",
			    cpu, ULL(at), where, ULL(commit));
	return true;
}

/* Every ring-buffer page in @data (@len bytes, inflated) holds at most a page. */
static bool pages_ok(struct chk *k, const struct dat_layout *lay, int commit_size,
		     const unsigned char *data, uint64_t len, int cpu, uint64_t at, const char *where)
{
	for (uint64_t page = 0; page + 8 + (uint64_t)commit_size <= len; page += lay->page_size)
		if (!commit_ok(k, lay, commit_size, data + page + 8, cpu, at + page, where))
			return false;
	return true;
}

/* CPU @cpu's compressed chunks: inside its data, each inflating to what it says. */
static bool chunks_ok(struct chk *k, const struct dat_layout *lay, int commit_size, int cpu)
{
	const struct dat_cpu_data *cd = &lay->cpu[cpu];
	struct cur c = { k, NULL, cd->off, cd->off + 4 + cd->size, 0, NULL };
	uint64_t count, csum = 0, usum = 0, csize, usize, pos;
	unsigned char *src = NULL, *dst = NULL;
	bool ok = true;
	char where[64];

	if (cd->off + 4 + cd->size > k->fsize)
		c.end = k->fsize;
	if (!c_num(&c, 4, &count, "the chunk count"))
		return false;
	pos = c.pos;
	for (uint64_t i = 0; i < count; i++) {
		if (!c_num(&c, 4, &csize, "a chunk's size") || !c_num(&c, 4, &usize, "a chunk's size") ||
		    !c_skip(&c, csize, "a compressed chunk"))
			return false;
		if (usize > MAX_CHUNK || usize % lay->page_size)
			return fail(k, -PMM_EBADMSG, "CPU %d's compressed chunk %llu says it inflates to %llu bytes, not whole pages up to %u",
				    cpu, ULL(i), ULL(usize), MAX_CHUNK);
		csum += csize;
		usum += usize;
	}
	if (usum > (uint64_t)MAX_RATIO * csum + (1u << 20))
		return fail(k, -PMM_EBADMSG, "CPU %d's %llu compressed bytes say they inflate to %llu, more than pmm reads",
			    cpu, ULL(csum), ULL(usum));
	if (count && usum < 8 + (uint64_t)commit_size)
		return fail(k, -PMM_EBADMSG, "CPU %d's data inflates to %llu bytes, not a ring-buffer page",
			    cpu, ULL(usum));
	c.pos = pos;
	usum = 0;
	for (uint64_t i = 0; ok && i < count; i++) {
		uint64_t at;

		c_num(&c, 4, &csize, "");
		c_num(&c, 4, &usize, "");
		at = c.pos;
		free(src);
		free(dst);
		src = malloc(csize ? (size_t)csize : 1);
		dst = malloc(usize ? (size_t)usize : 1);
		if (!src || !dst) {
			ok = fail(k, -PMM_ENOMEM, "out of memory");
			break;
		}
		if (!c_get(&c, src, csize, "a compressed chunk")) {
			ok = false;
			break;
		}
		if (!inflate_exact(k, src, (size_t)csize, dst, (size_t)usize)) {
			ok = fail(k, -PMM_EBADMSG, "CPU %d's compressed chunk %llu at byte %llu does not inflate to the %llu bytes it says",
				  cpu, ULL(i), ULL(at), ULL(usize));
			break;
		}
		snprintf(where, sizeof(where), " of its inflated data (chunk %llu at byte %llu)", ULL(i), ULL(at));
		ok = pages_ok(k, lay, commit_size, dst, usize, cpu, usum, where);
		usum += usize;
	}
	free(src);
	free(dst);
	return ok;
}

int trace_dat_check_cpu_data(const char *path, const struct dat_layout *lay, int ts_size,
			     int commit_size, char *why, size_t whylen)
{
	struct chk k;
	bool ok = true;

	if (open_chk(&k, path, why, whylen) != 0)
		return 0;
	k.be = lay->big_endian;
	if (ts_size != 8 || (commit_size != 4 && commit_size != 8) || lay->page_size < 16 ||
	    lay->page_size > (1u << 24) || (lay->page_size & (lay->page_size - 1))) {
		ok = fail(&k, -PMM_EBADMSG, "its ring-buffer page header is not one libtracecmd reads "
			  "(page size %llu, timestamp %d bytes, commit %d bytes)", ULL(lay->page_size),
			  ts_size, commit_size);
	}
	if (lay->compressed && !k.zalg)
		k.zalg = strcmp(lay->compression, "zstd") == 0 ? 1 : 2;
	for (int cpu = 0; ok && cpu < lay->cpus; cpu++) {
		const struct dat_cpu_data *cd = &lay->cpu[cpu];
		uint64_t off = cd->off, len = cd->size;

		if (!len)
			continue;
		if (off > k.fsize || len > k.fsize - off) {
			ok = fail(&k, -PMM_EBADMSG, "cut short: CPU %d's data runs to byte %llu, past its end (%llu bytes)",
				  cpu, ULL(off + len), ULL(k.fsize));
			break;
		}
		if (lay->compressed) {
			ok = chunks_ok(&k, lay, commit_size, cpu);
			continue;
		}
		if (off % lay->page_size || len < 8 + (uint64_t)commit_size) {
			ok = fail(&k, -PMM_EBADMSG, "CPU %d's data at byte %llu (%llu bytes) is not whole ring-buffer pages",
				  cpu, ULL(off), ULL(len));
			break;
		}
		/* every page's commit size, which kbuffer trusts before checking it */
		for (uint64_t page = off; ok && page + 8 + (uint64_t)commit_size <= off + len; page += lay->page_size) {
			unsigned char b[8];

			if (!pread_all(k.fd, b, (size_t)commit_size, page + 8)) {
				ok = fail(&k, -PMM_EIO, "read error at byte %llu", ULL(page + 8));
				break;
			}
			ok = commit_ok(&k, lay, commit_size, b, cpu, page, "");
		}
	}
	close(k.fd);
	return ok ? 0 : (k.err ? k.err : -PMM_EBADMSG);
}

void trace_dat_layout_free(struct dat_layout *lay)
{
	free(lay->cpu);
	lay->cpu = NULL;
	lay->cpus = 0;
}

#endif /* PMM_HAVE_TRACECMD */
