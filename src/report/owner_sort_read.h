/* SPDX-License-Identifier: MIT */
/*
 * owner-sort input: records split exactly as the Linux 6.1 page_owner_sort
 * tool's read_block() splits them (see owner_sort_read.c).
 *
 * Not thread-safe: a reader belongs to one run.
 */
#ifndef PMM_REPORT_OWNER_SORT_READ_H
#define PMM_REPORT_OWNER_SORT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pmm/api.h>

#include "report/owner_sort_record.h"

/* A growable buffer: records grow theirs up to the tool's limit on demand. */
struct owner_buf {
	char *p;
	size_t cap;
};

struct owner_reader {
	FILE *in;
	const char *name;       /* for messages */
	bool strict;            /* reject what a 6.1 dump never holds */
	char *err;              /* "name:line: reason" goes here */
	size_t errlen;

	char *rbuf;             /* input block */
	size_t rpos, rend;
	size_t nul_at;          /* first NUL in rbuf at or after nul_from, or rend */
	size_t nul_from;        /* SIZE_MAX: not looked for since the last fill */
	bool eof;
	bool io_error;
	bool nomem;
	unsigned long line;     /* complete lines consumed */

	struct owner_buf pfn;   /* the last "PFN" line, kept across records */
	size_t pfn_len;
};

enum { OWNER_REC_END = 0, OWNER_REC_OK = 1 };

/* 0 or -PMM_ENOMEM. */
int owner_reader_init(struct owner_reader *r, FILE *in, const char *name, bool strict,
		      char *err, size_t errlen);
void owner_reader_free(struct owner_reader *r);

/* Room for need bytes (at most OWNER_BUF_SIZE + 2); false when out of memory. */
bool owner_buf_ensure(struct owner_buf *b, size_t need);

/*
 * owner_read_block() - the next record into buf, followed by "\n" and NUL.
 * Return: OWNER_REC_OK with its length in *len and its first line number in
 * *first_line; OWNER_REC_END where the tool stops reading; or -PMM_EBADMSG
 * (strict mode, message in err), -PMM_EIO, -PMM_ENOMEM.
 */
int owner_read_block(struct owner_reader *r, struct owner_buf *buf, size_t *len,
		     unsigned long *first_line);

/* Format "name:line: reason" into the reader's err; returns -PMM_EBADMSG. */
PMM_PRINTF(3, 4)
int owner_bad_input(const struct owner_reader *r, unsigned long line, const char *fmt, ...);

#endif /* PMM_REPORT_OWNER_SORT_READ_H */
