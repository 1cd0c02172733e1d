/* SPDX-License-Identifier: MIT */
/*
 * Shared inside the trace reader: the parser object (text and trace.dat
 * back ends behind one `next`), and the body parser that trace_dat.c also
 * uses on libtraceevent's rendering.
 */
#ifndef PMM_REPORT_TRACE_INTERNAL_H
#define PMM_REPORT_TRACE_INTERNAL_H

#include <stdbool.h>
#include <pmm/trace.h>

struct linereader;
struct trace_held;

enum trace_pfn_unit { TRACE_PFN_UNDECIDED = 0, TRACE_PFN_FRAMES, TRACE_PFN_BYTES };

#define TRACE_GFP_CACHE 64
#define TRACE_GFP_CACHE_STR 120

struct trace_gfp_cache_entry {
	uint32_t hash;
	uint16_t len;      /* 0: empty */
	pmm_gfp_t gfp;
	char str[TRACE_GFP_CACHE_STR];
};

struct pmm_trace_parser {
	int (*next)(struct pmm_trace_parser *p, struct pmm_trace_event *ev);
	void (*close)(struct pmm_trace_parser *p);
	struct linereader *lr;           /* text back end */
	void *dat;                       /* trace.dat back end */
	enum pmm_kver kver;
	bool kver_from_file;             /* a trace.dat's UNAME decides kver */
	int sticky;                      /* fatal error returned again */
	bool report_style;               /* input looks like trace-cmd report */
	bool perf_seen;                  /* a perf script event line came: call chains may follow */
	struct pmm_trace_stats st;
	/* text: what libtraceevent's pfn= is (trace_parse.c, "pfn= as a byte offset") */
	uint8_t pfn_unit;                /* enum trace_pfn_unit */
	unsigned pfn_aligned;            /* lines whose pfn= fits a byte offset */
	uint64_t pfn_base;               /* their page - pfn */
	struct trace_held *held;         /* lines held back while pfn_unit is undecided */
	size_t nheld, held_next, held_cap, held_bytes;
	char errmsg[320];
	struct trace_gfp_cache_entry gfp_cache[TRACE_GFP_CACHE];
};

/*
 * trace_parse_body() - parse the body of a kmem event of @kind (one of the
 * six mm_page_* kinds) into @ev, whose pfn_dec the caller has zeroed.
 * Return: 0, or -PMM_EBADMSG / -PMM_ERANGE with @reason (a static or
 * @rbuf string) and *@col the offset in @s where it went wrong.
 */
int trace_parse_body(struct pmm_trace_parser *p, enum pmm_trace_kind kind, const char *s,
		     size_t len, struct pmm_trace_event *ev, char *rbuf, size_t rlen,
		     const char **reason);

/*
 * trace_kind_by_name() - the kind of event @name, PMM_TRACE_OTHER if not
 * kmem.  The names before Linux 3.3, mm_page_free_direct and
 * mm_pagevec_free, are MM_PAGE_FREE and MM_PAGE_FREE_BATCHED.
 */
enum pmm_trace_kind trace_kind_by_name(const char *name, size_t len);

/* trace_kind_old_name() - @kind's name before Linux 3.3, or NULL if it had no other. */
const char *trace_kind_old_name(enum pmm_trace_kind kind);

/* trace_parser_alloc() - a zeroed parser with options applied. */
struct pmm_trace_parser *trace_parser_alloc(const struct pmm_trace_opts *opts);

/*
 * trace_dat_open_inproc() - read trace.dat @path on parser @p in this
 * process (pmm_trace_open_dat() runs it in a child).  Return: 0, or a
 * negative pmm errno with the reason in @why; @p needs pmm_trace_close()
 * either way.  -PMM_ENOSYS in a build without libtracecmd.
 */
int trace_dat_open_inproc(struct pmm_trace_parser *p, const char *path, char *why, size_t whylen);

#endif
