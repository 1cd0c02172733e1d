// SPDX-License-Identifier: MIT
/*
 * owner-sort input: the Linux 6.1 page_owner_sort tool's read_block() over
 * a stdio stream, plus the strict mode's checks of each line's place in a
 * record.
 *
 * The tool fgets() lines into a 128 KiB buffer until an empty line; lines
 * starting with "PFN" are set aside (the last one is kept, across records);
 * a line is kept only up to a NUL; a record that fills the buffer, or one
 * cut by the end of input, ends the reading.  This reads 64 KiB blocks and
 * handles whole lines in place, falling back to a literal fgets() emulation
 * for anything unusual, so every input splits exactly as the tool splits it.
 *
 * Invariants: r->line counts complete lines consumed; a record handed out is
 * followed in its buffer by "\n" and a NUL, as in the tool's buffer.
 * No locks: a reader belongs to one run.
 */
#include "report/owner_sort_read.h"

#include <pmm/errno.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define READ_SIZE (64u << 10) /* input block */
#define REC_MAX   (OWNER_BUF_SIZE + 2) /* a record, its blank line's '\n' and a NUL */

int owner_bad_input(const struct owner_reader *r, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->err && r->errlen) {
		n = snprintf(r->err, r->errlen, "%s:%lu: ", r->name, line);
		if (n >= 0 && (size_t)n < r->errlen) {
			va_start(ap, fmt);
			vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -PMM_EBADMSG;
}

/* "name: what", and the code. */
static int owner_read_fail(const struct owner_reader *r, int code, const char *what)
{
	if (r->err && r->errlen)
		snprintf(r->err, r->errlen, "%s: %s", r->name, what);
	return code;
}

int owner_reader_init(struct owner_reader *r, FILE *in, const char *name, bool strict,
		      char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->name = name;
	r->strict = strict;
	r->err = err;
	r->errlen = errlen;
	r->rbuf = malloc(READ_SIZE);
	return r->rbuf ? 0 : -PMM_ENOMEM;
}

void owner_reader_free(struct owner_reader *r)
{
	free(r->rbuf);
	free(r->pfn.p);
	r->rbuf = NULL;
	r->pfn.p = NULL;
}

static bool fill(struct owner_reader *r)
{
	size_t got;

	if (r->eof)
		return false;
	r->rpos = 0;
	got = fread(r->rbuf, 1, READ_SIZE, r->in);
	r->rend = got;
	r->nul_from = SIZE_MAX;
	if (got == 0) {
		r->eof = true;
		if (ferror(r->in))
			r->io_error = true;
		return false;
	}
	return true;
}

bool owner_buf_ensure(struct owner_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (need <= b->cap)
		return true;
	while (cap < need)
		cap *= 2;
	if (cap > REC_MAX)
		cap = REC_MAX;
	if (cap < need)
		return false;
	p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

/*
 * fgets(dst, n, in) into b at off: at most n - 1 bytes, up to and including
 * a newline, NUL-terminated.  Returns the byte count, 0 at end of input;
 * sets r->nomem if b cannot grow.
 */
static size_t get_chunk(struct owner_reader *r, struct owner_buf *b, size_t off, size_t n)
{
	size_t got = 0, lim = n - 1;
	char *dst;

	while (got < lim) {
		size_t avail, want, take;
		const char *src, *nl;

		if (r->rpos == r->rend && !fill(r))
			break;
		avail = r->rend - r->rpos;
		want = avail < lim - got ? avail : lim - got;
		src = r->rbuf + r->rpos;
		nl = memchr(src, '\n', want);
		take = nl ? (size_t)(nl - src) + 1 : want;
		if (!owner_buf_ensure(b, off + got + take + 1)) {
			r->nomem = true;
			return 0;
		}
		memcpy(b->p + off + got, src, take);
		got += take;
		r->rpos += take;
		if (nl)
			break;
	}
	if (!owner_buf_ensure(b, off + got + 1)) {
		r->nomem = true;
		return 0;
	}
	dst = b->p + off;
	dst[got] = '\0';
	return got;
}

/* Does s[0..n) start with the string literal lit? */
#define STARTS_WITH(s, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((s), "" lit, sizeof(lit) - 1) == 0)

/* Strict mode: is this the kind of line a 6.1 record has at this place? */
static const char *line_shape(const char *c, size_t n, unsigned int idx)
{
	if (idx >= 2) {
		if (c[0] == ' ') /* a stack frame: nearly every line */
			return NULL;
		if (STARTS_WITH(c, n, "PFN"))
			return "second \"PFN\" line in one record (missing blank line?)";
		if (STARTS_WITH(c, n, "Page has been migrated, last migrate reason: ") ||
		    STARTS_WITH(c, n, "Slab cache page\n") || STARTS_WITH(c, n, "Charged "))
			return NULL;
		return "unexpected line in record (not a stack frame, migrate or memcg line)";
	}
	if (idx == 0)
		return STARTS_WITH(c, n, "Page allocated via order ") ? NULL :
		       "not a page_owner record: expected \"Page allocated via order\"";
	return STARTS_WITH(c, n, "PFN ") ? NULL : "expected the \"PFN\" line of the record";
}

/* Does rbuf[from..to) hold a NUL?  Input rarely does: remember where. */
static bool has_nul(struct owner_reader *r, size_t from, size_t to)
{
	if (r->nul_from == SIZE_MAX || r->nul_from > from || r->nul_at < from) {
		const char *z = memchr(r->rbuf + from, '\0', r->rend - from);

		r->nul_at = z ? (size_t)(z - r->rbuf) : r->rend;
		r->nul_from = from;
	}
	return r->nul_at < to;
}

struct pending {
	const char *src;        /* kept lines still in rbuf, not yet copied */
	size_t len;
};

/* Copy the pending lines; room for them was made when they were added. */
static void flush_pending(struct owner_buf *b, size_t *used, struct pending *p)
{
	if (p->len) {
		memcpy(b->p + *used, p->src, p->len);
		*used += p->len;
		p->len = 0;
	}
}

/*
 * One line the way the tool's loop body sees it: "\n" ends the record, a
 * "PFN" line is set aside, anything else is kept up to a NUL.  Returns
 * OWNER_REC_OK at the end of the record, 0 to go on, or a negative error.
 */
static int line_done(struct owner_reader *r, const char *c, size_t got, size_t l, bool complete,
		     unsigned int *idx, size_t buf_room)
{
	const char *why;

	if (r->strict) {
		unsigned long ln = complete ? r->line : r->line + 1;

		if (l != got)
			return owner_bad_input(r, ln, "NUL byte in input (binary data?)");
		if (!complete) {
			if (got == buf_room - 1)
				return owner_bad_input(r, ln, "record longer than %u bytes",
						 OWNER_BUF_SIZE - 1);
			return owner_bad_input(r, ln, "truncated record: no blank line before end of input");
		}
		/* The tool's records end at a "\n" line, which such a file has none of. */
		if (got >= 2 && c[got - 2] == '\r')
			return owner_bad_input(r, ln, "CRLF line ends (the kernel's tool needs LF: "
						      "convert the file first)");
		why = line_shape(c, got, *idx);
		if (why)
			return owner_bad_input(r, ln, "%s", why);
	}
	(*idx)++;
	if (c[0] == 'P' && c[1] == 'F' && c[2] == 'N') {
		if (!owner_buf_ensure(&r->pfn, l ? l : 1))
			return owner_read_fail(r, -PMM_ENOMEM, "out of memory");
		memcpy(r->pfn.p, c, l);
		r->pfn_len = l;
	}
	return 0;
}

/*
 * owner_read_block(): one record into buf (OWNER_BUF_SIZE + 1 bytes), followed by
 * the blank line's "\n" and a NUL.  Returns OWNER_REC_OK with its length in *len,
 * OWNER_REC_END when the tool would stop reading (end of input, a record that
 * fills its 128 KiB buffer), or a negative error (strict mode, I/O).
 *
 * Whole lines found in the input buffer are handled in place and copied in
 * runs; anything unusual (a line across the buffer end, a NUL, a record near
 * the size limit) goes through the literal fgets() emulation.
 */
int owner_read_block(struct owner_reader *r, struct owner_buf *buf, size_t *len,
		     unsigned long *first_line)
{
	size_t used = 0;
	unsigned int idx = 0;
	struct pending p = { NULL, 0 };
	int ret;

	*first_line = r->line + 1;
	for (;;) {
		size_t got, l, fill_to = used + p.len;
		char *c;
		bool complete;

		/* fast path: a whole line in rbuf, far from the size limit */
		if (r->rpos < r->rend && fill_to + 2 <= OWNER_BUF_SIZE) {
			const char *src = r->rbuf + r->rpos;
			size_t budget = OWNER_BUF_SIZE - fill_to - 2, avail = r->rend - r->rpos;
			const char *nl = memchr(src, '\n', avail < budget ? avail : budget);

			if (nl && !has_nul(r, r->rpos, (size_t)(nl - r->rbuf))) {
				size_t ll = (size_t)(nl - src) + 1;

				r->rpos += ll;
				r->line++;
				if (src[0] == '\n') {
					flush_pending(buf, &used, &p);
					buf->p[used] = '\n';
					buf->p[used + 1] = '\0';
					*len = used;
					return OWNER_REC_OK;
				}
				ret = line_done(r, src, ll, ll, true, &idx, 0);
				if (ret)
					return ret;
				if (src[0] == 'P' && src[1] == 'F' && src[2] == 'N')
					continue;
				/* room for the lines so far, this one, '\n' and NUL */
				if (!owner_buf_ensure(buf, used + p.len + ll + 2))
					return owner_read_fail(r, -PMM_ENOMEM, "out of memory");
				if (p.len && p.src + p.len == src) {
					p.len += ll;
				} else {
					flush_pending(buf, &used, &p);
					p.src = src;
					p.len = ll;
				}
				continue;
			}
		}

		/* the tool's loop, one fgets() at a time */
		flush_pending(buf, &used, &p);
		if (OWNER_BUF_SIZE - used <= 1) {
			if (r->strict)
				return owner_bad_input(r, r->line + 1, "record longer than %u bytes",
						 OWNER_BUF_SIZE - 1);
			return OWNER_REC_END;
		}
		got = get_chunk(r, buf, used, OWNER_BUF_SIZE - used);
		if (r->nomem)
			return owner_read_fail(r, -PMM_ENOMEM, "out of memory");
		if (r->io_error)
			return owner_read_fail(r, -PMM_EIO, "read error");
		c = buf->p + used;
		if (got == 0) {
			if (r->strict && idx > 0)
				return owner_bad_input(r, r->line, "truncated record: no blank line before end of input");
			return OWNER_REC_END;
		}
		complete = c[got - 1] == '\n';
		if (complete)
			r->line++;
		if (c[0] == '\n') {
			*len = used;
			return OWNER_REC_OK;
		}
		l = memchr(c, '\0', got) ? strlen(c) : got;
		ret = line_done(r, c, got, l, complete, &idx, OWNER_BUF_SIZE - used);
		if (ret)
			return ret;
		if (c[0] == 'P' && c[1] == 'F' && c[2] == 'N')
			continue;
		used += l;
	}
}
