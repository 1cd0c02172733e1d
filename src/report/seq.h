/* SPDX-License-Identifier: MIT */
/*
 * A small seq_file: the reports print through it to either a stdio stream
 * or a caller's buffer with snprintf semantics, so each report is written
 * once for both public entry points.
 *
 * Invariants: with a buffer, buf[min(len, size - 1)] is NUL after every
 * call and len counts the whole output, truncated or not.  With a stream,
 * the first write error sticks in err and later writes are skipped.
 * Locking: none; one seq_file belongs to one caller.
 */
#ifndef PMM_REPORT_SEQ_H
#define PMM_REPORT_SEQ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct seq_file {
	FILE *f;        /* stream sink, or NULL for the buffer sink */
	char *buf;      /* buffer sink (may be NULL when size is 0) */
	size_t size;
	size_t len;     /* characters produced so far */
	int err;        /* 0 or -PMM_EIO */
};

void seq_init_file(struct seq_file *s, FILE *f);
void seq_init_buf(struct seq_file *s, char *buf, size_t size);
void seq_printf(struct seq_file *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seq_puts(struct seq_file *s, const char *str);
void seq_putc(struct seq_file *s, char c);

#endif
