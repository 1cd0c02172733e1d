// SPDX-License-Identifier: MIT
/*
 * seq_file sinks for the reports (see seq.h).  Lines are short (the longest
 * is pagetypeinfo's, about 170 characters), so a formatted piece always
 * fits the local buffer; an oversized piece is still counted correctly.
 */
#include <string.h>

#include <pmm/errno.h>
#include "report/seq.h"

#ifndef PMM_FREESTANDING /* no streams without a C library */
void seq_init_file(struct seq_file *s, FILE *f)
{
	memset(s, 0, sizeof(*s));
	s->f = f;
}
#endif

void seq_init_buf(struct seq_file *s, char *buf, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->size = buf ? size : 0;
	if (s->size)
		buf[0] = '\0';
}

static void seq_write(struct seq_file *s, const char *p, size_t n)
{
#ifndef PMM_FREESTANDING
	if (s->f) {
		if (!s->err && n && fwrite(p, 1, n, s->f) != n)
			s->err = -PMM_EIO;
		s->len += n;
		return;
	}
#endif
	if (s->len + 1 < s->size) {
		size_t room = s->size - 1 - s->len;

		memcpy(s->buf + s->len, p, n < room ? n : room);
		s->buf[s->len + (n < room ? n : room)] = '\0';
	}
	s->len += n;
}

void seq_printf(struct seq_file *s, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		seq_write(s, tmp, (size_t)n);
		return;
	}
	/* Longer than any line pmm prints; format it straight to the sink. */
#ifndef PMM_FREESTANDING
	if (s->f) {
		va_start(ap, fmt);
		if (!s->err && vfprintf(s->f, fmt, ap) < 0)
			s->err = -PMM_EIO;
		va_end(ap);
		s->len += (size_t)n;
		return;
	}
#endif
	{
		size_t room = s->len < s->size ? s->size - s->len : 0;

		va_start(ap, fmt);
		vsnprintf(room ? s->buf + s->len : tmp, room ? room : 1, fmt, ap);
		va_end(ap);
		s->len += (size_t)n;
	}
}

void seq_puts(struct seq_file *s, const char *str)
{
	seq_write(s, str, strlen(str));
}

void seq_putc(struct seq_file *s, char c)
{
	seq_write(s, &c, 1);
}
