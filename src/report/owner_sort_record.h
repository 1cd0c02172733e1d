/* SPDX-License-Identifier: MIT */
/*
 * One page_owner record as the page_owner_sort tool sees it: the tool of
 * Linux 6.1 (6.6's is the same) or of 6.12, whose ts pattern lost the
 * trailing comma and which has no free_ts pattern.
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

/* Which tool's patterns. */
enum owner_tool {
	OWNER_TOOL_6_1,      /* Linux 6.1 and 6.6 */
	OWNER_TOOL_6_12,     /* Linux 6.12: ts without the comma, no free_ts */
};

/* Fields read with a pattern, in the order of the 6.1 tool's regexes. */
enum owner_field {
	OWNER_FIELD_ORDER,   /* order\s*([0-9]*),                           */
	OWNER_FIELD_PID,     /* pid\s*([0-9]*),                             */
	OWNER_FIELD_TGID,    /* tgid\s*([0-9]*)<space>                      */
	OWNER_FIELD_COMM,    /* tgid\s*[0-9]*\s*\((.*)\),\s*ts              */
	OWNER_FIELD_TS,      /* ts\s*([0-9]*)\s*ns,  (6.12: ts\s*([0-9]*)\s*ns) */
	OWNER_FIELD_FREE_TS, /* free_ts\s*([0-9]*)\s*ns  (6.1 only)          */
	OWNER_NR_FIELDS
};

/*
 * owner_field_match() - the capture of a field's pattern in s[0..n), the
 * pattern being @tool's (only the ts one differs; the free_ts pattern is
 * 6.1's whatever @tool says).
 * Return: true with the capture in [*cap, *cap + *caplen), or false when the
 * pattern does not match anywhere.
 */
bool owner_field_match(enum owner_tool tool, enum owner_field f, const char *s, size_t n,
		       size_t *cap, size_t *caplen);

/* Parsed values, exactly as the tool computes them. */
struct owner_record {
	int pages;          /* 1 << order; 0 when the order is missing or > 64 */
	int pid;            /* -1 when missing or out of range */
	int tgid;           /* -1 likewise */
	uint64_t ts;        /* UINT64_MAX ((__u64)-1) when missing */
	uint64_t free_ts;   /* likewise; 0 for the 6.12 tool, which has none */
	size_t comm_off;    /* capture of the comm pattern; empty if none */
	size_t comm_len;
	size_t stack_off;   /* the stack: text after the first newline */
	size_t ts_off;      /* where the ts pattern's capture starts; SIZE_MAX if none */
	int allocator;      /* OWNER_ALLOC_* bits */
	unsigned int bad;   /* bit (1 << field) for each field that failed */
	unsigned int nomatch; /* bit (1 << field) where the pattern itself failed */
	bool canonical;     /* line one has the exact layout (see the .c) */
	bool free_ts_field; /* canonical, and line one ends in ", free_ts N ns" */
	size_t cap[OWNER_NR_FIELDS]; /* each pattern's capture, when it matched */
	size_t len[OWNER_NR_FIELDS];
	size_t mask_len;    /* hex digits of the gfp mask (canonical only) */
};

/*
 * owner_record_parse() - all fields of one record, as @tool reads them (the
 * 6.12 tool does not look for free_ts: it is 0, and never bad).
 * @s:   record text plus the terminating '\n' (see above); @n its length.
 * @pfn: the last "PFN" line seen so far (the tool keeps it across records),
 *       @pfn_len bytes, no NUL inside.
 */
void owner_record_parse(struct owner_record *r, enum owner_tool tool, const char *s, size_t n,
			const char *pfn, size_t pfn_len);

/* owner_record_pages() - just the page count (1 << order), for merged repeats. */
int owner_record_pages(const char *s, size_t n, unsigned int *bad);

/*
 * owner_header_check() - is the first line of the text a well-formed header
 * of @tool's kernel ("Page allocated via order %u, mask %#x(%pGg), pid %d,
 * tgid %d (%s), ts %llu ns", followed by ", free_ts %llu ns" in 6.1 and 6.6
 * and by nothing in 6.12), whose fields are the ones the tool's patterns
 * find in @r (parsed with the same @tool)?
 * Return: NULL if so, else a short reason.
 */
const char *owner_header_check(enum owner_tool tool, const char *s, size_t n,
			       const struct owner_record *r);

#endif /* PMM_REPORT_OWNER_SORT_RECORD_H */
