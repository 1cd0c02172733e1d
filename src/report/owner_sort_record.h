/* SPDX-License-Identifier: MIT */
/*
 * One page_owner record as the Linux 6.1 page_owner_sort tool sees it.
 *
 * The tool finds each field with a POSIX extended regex searched over the
 * whole record (leftmost-longest, REG_NEWLINE, C locale, where \s also
 * matches a newline) and converts the capture with strtol/strtoull.  This
 * module reproduces exactly what those searches and conversions yield,
 * including on input the kernel never writes, without a regex engine: each
 * pattern is simple enough that its match at a given start is determined by
 * a left-to-right scan.
 *
 * The record text passed in is what the tool keeps: every line of the block
 * except lines starting with "PFN", followed by the '\n' of the blank line
 * that ended it (the tool's buffer holds that newline too, and its patterns
 * see it).  Texts contain no NUL byte.
 *
 * No state, no allocation, no locks.
 */
#ifndef PMM_REPORT_OWNER_SORT_RECORD_H
#define PMM_REPORT_OWNER_SORT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tool's record buffer: a record must stay below this many bytes. */
#define OWNER_BUF_SIZE (128 * 1024)

/* The tool's allocator label bits (6.1 values; compared by difference). */
#define OWNER_ALLOC_CMA     (1 << 1)
#define OWNER_ALLOC_SLAB    (1 << 2)
#define OWNER_ALLOC_VMALLOC (1 << 3)
#define OWNER_ALLOC_OTHERS  (1 << 4)

/* Fields read with a pattern, in the order of the 6.1 tool's regexes. */
enum owner_field {
	OWNER_FIELD_ORDER,   /* order\s*([0-9]*),                           */
	OWNER_FIELD_PID,     /* pid\s*([0-9]*),                             */
	OWNER_FIELD_TGID,    /* tgid\s*([0-9]*)<space>                      */
	OWNER_FIELD_COMM,    /* tgid\s*[0-9]*\s*\((.*)\),\s*ts              */
	OWNER_FIELD_TS,      /* ts\s*([0-9]*)\s*ns,                         */
	OWNER_FIELD_FREE_TS, /* free_ts\s*([0-9]*)\s*ns                     */
	OWNER_NR_FIELDS
};

/*
 * owner_field_match() - the capture of a field's pattern in s[0..n).
 * Return: true with the capture in [*cap, *cap + *caplen), or false when the
 * pattern does not match anywhere.
 */
bool owner_field_match(enum owner_field f, const char *s, size_t n, size_t *cap,
		       size_t *caplen);

/* Parsed values, exactly as the tool computes them. */
struct owner_record {
	int pages;          /* 1 << order; 0 when the order is missing or > 64 */
	int pid;            /* -1 when missing or out of range */
	int tgid;           /* -1 likewise */
	uint64_t ts;        /* UINT64_MAX ((__u64)-1) when missing */
	uint64_t free_ts;   /* likewise */
	size_t comm_off;    /* capture of the comm pattern; empty if none */
	size_t comm_len;
	size_t stack_off;   /* the stack: text after the first newline */
	size_t ts_off;      /* where the ts pattern's capture starts; SIZE_MAX if none */
	int allocator;      /* OWNER_ALLOC_* bits */
	unsigned int bad;   /* bit (1 << field) for each field that failed */
	unsigned int nomatch; /* bit (1 << field) where the pattern itself failed */
	bool canonical;     /* line one has the exact 6.1 layout (see the .c) */
	size_t cap[OWNER_NR_FIELDS]; /* each pattern's capture, when it matched */
	size_t len[OWNER_NR_FIELDS];
	size_t mask_len;    /* hex digits of the gfp mask (canonical only) */
};

/*
 * owner_record_parse() - all fields of one record.
 * @s:   record text plus the terminating '\n' (see above); @n its length.
 * @pfn: the last "PFN" line seen so far (the tool keeps it across records),
 *       @pfn_len bytes, no NUL inside.
 */
void owner_record_parse(struct owner_record *r, const char *s, size_t n, const char *pfn,
			size_t pfn_len);

/* owner_record_pages() - just the page count (1 << order), for merged repeats. */
int owner_record_pages(const char *s, size_t n, unsigned int *bad);

/*
 * owner_header_check() - is the first line of the text a well-formed 6.1
 * header ("Page allocated via order %u, mask %#x(%pGg), pid %d, tgid %d
 * (%s), ts %llu ns, free_ts %llu ns"), whose fields are the ones the tool's
 * patterns find in @r?
 * Return: NULL if so, else a short reason.
 */
const char *owner_header_check(const char *s, size_t n, const struct owner_record *r);

#endif /* PMM_REPORT_OWNER_SORT_RECORD_H */
