// SPDX-License-Identifier: MIT
/*
 * Reading trace-cmd trace.dat files through libtracecmd/libtraceevent into
 * the same `struct pmm_trace_event` the text parser produces.
 *
 * Records are read per CPU and merged by timestamp (the public libtracecmd
 * 1.3 API has no merged pull iterator); ties go to the lower CPU.  Record
 * fields (pfn, order, gfp_flags, migratetype, ...) are read as numbers from
 * the event's format.  Values that exist only in the print format are taken
 * as libtraceevent renders them, which is what `trace-cmd report` shows:
 * page= (its evaluation of vmemmap_base + pfn) and pageblock_order.
 * fragmenting is computed as the kernel does, fallback_order <
 * pageblock_order, because libtraceevent 1.7 mis-evaluates that expression
 * (operator precedence in its ternary) and prints 9 or 10.
 *
 * Invariants: at most one pending record per CPU; a record handed out is
 * freed on the next call.  A record with missed_events set is preceded by a
 * PMM_TRACE_LOST event (lost = 0 when the count is unknown).  Locking: none; one thread per parser.
 * pmm_trace_open_dat() runs all of this in a child process
 * (trace_isolate.c) and hands its events on, so that a file libtraceevent
 * crashes on is refused instead of taking the caller's process down.
 */
#include "report/trace_internal.h"

#include <stdio.h>

#include <pmm/errno.h>

#ifndef PMM_HAVE_TRACECMD

int pmm_trace_open_dat(struct pmm_trace_parser **out, const char *path,
		       const struct pmm_trace_opts *opts)
{
	(void)path;
	*out = NULL;
	if (opts && opts->errbuf && opts->errbuf_size) {
		static const char msg[] = "trace.dat input needs libtracecmd, and pmm was built without it";
		size_t n = sizeof(msg) < opts->errbuf_size ? sizeof(msg) : opts->errbuf_size;

		for (size_t i = 0; i + 1 < n; i++)
			opts->errbuf[i] = msg[i];
		opts->errbuf[n - 1] = '\0';
	}
	return -PMM_ENOSYS;
}

int trace_dat_open_inproc(struct pmm_trace_parser *p, const char *path, char *why, size_t whylen)
{
	(void)p;
	(void)path;
	snprintf(why, whylen, "trace.dat input needs libtracecmd, and pmm was built without it");
	return -PMM_ENOSYS;
}

#else

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>

#include "platform/file.h"
#include "report/gfp_format.h"
#include "report/trace_dat_check.h"
#include "report/trace_isolate.h"

#define NR_FIELDS 9

/*
 * What rendered_fields() knows of an event's page=: libtraceevent renders
 * it from the print format, which costs more than the rest of the record.
 * Where that format makes page= the pfn field plus a constant (the
 * kernel's pfn_to_page() on vmemmap: "vmemmap_base + REC->pfn"), two
 * renderings with different pfns give the constant, and the rest follow
 * from it; one in PAGE_RECHECK is rendered again and compared.
 */
enum page_memo {
	PAGE_RENDER,   /* render every record */
	PAGE_LEARN,    /* linear in pfn: learn the constant */
	PAGE_CHECK,    /* one rendering seen: the next with another pfn confirms it */
	PAGE_KNOWN,    /* page = pfn + page_delta */
};

#define PAGE_RECHECK 1024

/* Per event id: its kind and the fields we read. */
struct dat_event_info {
	int id;                      /* -1: slot unused */
	enum pmm_trace_kind kind;
	struct tep_event *event;
	struct tep_format_field *f[NR_FIELDS];
	enum page_memo memo;
	uint8_t page_fmt, pfn_dec;   /* as the learning renderings parsed */
	int32_t pageblock_order;
	uint64_t page_delta, learn_pfn;
	unsigned since_check;
	/*
	 * Linux 4.0 and older: the record holds the struct page pointer
	 * (f[F_PFN] is the "page" field), and the pfn is its offset from
	 * memmap, the vmemmap's start, in struct pages (MEMMAP_PAGE_SIZE).
	 */
	bool page_ptr;
	bool old_name;               /* named as before Linux 3.3 */
	uint64_t memmap;
	/*
	 * mm_page_alloc's gfp_flags as its print format names them, the
	 * kernel's show_gfp_flags(): a __print_flags() table and the text for
	 * 0.  The record holds that kernel's bits, which moved between
	 * versions (4.4, 4.15, 6.12); gfp_of() reads them through the names.
	 * NULL: no table, and the number is taken as 6.1's.
	 */
	const struct tep_print_flag_sym *gfp_syms;
	const char *gfp_zero;
	/* mm_page_free_batched's cold (4.14 and older, mm_pagevec_free's always); NULL if none */
	struct tep_format_field *cold;
};

/*
 * sizeof(struct page) on x86-64 kernels 2.6.32 to 4.0 as distributions
 * build them; a record whose pointer is not a multiple of it from memmap
 * is refused with that reason.
 */
#define MEMMAP_PAGE_SIZE 64

enum { F_PFN, F_ORDER, F_MT, F_GFP, F_REFILL, F_FB_ORDER, F_FB_MT, F_CHOWN, F_UNUSED };

/* gfp_of()'s memo: a record's gfp number as 6.1's bits, per event id. */
#define GFP_MEMO 64

struct gfp_memo {
	unsigned key; /* event id + 1; 0: empty */
	pmm_gfp_t gfp;
	uint64_t raw;
};

struct dat {
	struct tracecmd_input *handle;
	struct tep_handle *tep;
	int nr_cpus;
	struct tep_record **pending; /* per CPU */
	struct tep_record *current;  /* handed out last; freed next call */
	struct tep_record *deferred; /* == current: its LOST notice went first */
	struct trace_seq seq;
	struct dat_event_info *info; /* open addressing on id */
	size_t info_cap;
	struct dat_layout lay;       /* what trace_dat_check_file() found */
	unsigned common_end;         /* where every record's common fields end */
	int looped_cpu;              /* >= 0: its records went back; not reported yet */
	unsigned long long looped_at, looped_from;
	struct gfp_memo gfp_memo[GFP_MEMO];
};

/* Whether print argument @a involves no record field: a constant (no deeper than @depth). */
static bool arg_constant(const struct tep_print_arg *a, int depth)
{
	if (!a)
		return true;
	if (depth <= 0)
		return false; /* a damaged format's nesting: not worth following */
	switch (a->type) {
	case TEP_PRINT_NULL:
	case TEP_PRINT_ATOM:
		return true;
	case TEP_PRINT_TYPE:
		return arg_constant(a->typecast.item, depth - 1);
	case TEP_PRINT_OP:
		return arg_constant(a->op.left, depth - 1) && arg_constant(a->op.right, depth - 1);
	default:
		return false;
	}
}

/* REC-><name>, as it is: not under a cast, which might narrow it */
static bool arg_is_field(const struct tep_print_arg *a, const char *name)
{
	return a && a->type == TEP_PRINT_FIELD && a->field.name && strcmp(a->field.name, name) == 0;
}

static bool arg_op(const struct tep_print_arg *a, const char *op)
{
	return a && a->type == TEP_PRINT_OP && a->op.op && strcmp(a->op.op, op) == 0;
}

/* "constant + REC->pfn", either way round. */
static bool arg_pfn_plus_constant(const struct tep_print_arg *a)
{
	return arg_op(a, "+") && ((arg_is_field(a->op.right, "pfn") && arg_constant(a->op.left, 16)) ||
				  (arg_is_field(a->op.left, "pfn") && arg_constant(a->op.right, 16)));
}

/* "-1" as the kernel writes it (-1UL, -1L, -1): what a failed allocation's pfn is. */
static bool arg_minus_one(const struct tep_print_arg *a)
{
	const char *n;

	if (!arg_op(a, "-") || (a->op.left && a->op.left->type != TEP_PRINT_NULL) ||
	    !a->op.right || a->op.right->type != TEP_PRINT_ATOM)
		return false;
	n = a->op.right->atom.atom;
	return n && (strcmp(n, "1") == 0 || strcmp(n, "1L") == 0 || strcmp(n, "1UL") == 0 ||
		     strcmp(n, "1ULL") == 0);
}

/*
 * Whether @event's page= is the pfn plus a constant for every pfn but -1:
 * its format starts "page=%p" and the first argument is "C + REC->pfn" or
 * "REC->pfn != -1 ? C + REC->pfn : ...".  64-bit files only.
 */
static bool page_linear_in_pfn(struct dat *d, const struct tep_event *event)
{
	const struct tep_print_arg *a = event->print_fmt.args, *cond;

	if (tep_get_long_size(d->tep) != 8 || !event->print_fmt.format ||
	    strncmp(event->print_fmt.format, "page=%p ", 8) != 0 || !a)
		return false;
	if (arg_pfn_plus_constant(a))
		return true;
	if (!arg_op(a, "?") || !arg_op(a->op.right, ":"))
		return false;
	cond = a->op.left;
	return arg_op(cond, "!=") && arg_is_field(cond->op.left, "pfn") && arg_minus_one(cond->op.right) &&
	       arg_pfn_plus_constant(a->op.right->op.left);
}

static const struct tep_print_arg *strip_casts(const struct tep_print_arg *a)
{
	for (int i = 0; a && a->type == TEP_PRINT_TYPE && i < 16; i++)
		a = a->typecast.item;
	return a;
}

/* A number as the kernel's headers write one ("0xffffea0000000000UL"); not a symbol. */
static bool arg_number(const struct tep_print_arg *a, uint64_t *v)
{
	const char *s, *end;

	a = strip_casts(a);
	if (!a || a->type != TEP_PRINT_ATOM || !(s = a->atom.atom) || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, (char **)&end, 0);
	if (errno || end == s)
		return false;
	end += strspn(end, "uUlL");
	return *end == '\0';
}

/*
 * Whether @event is a kmem page event of Linux 4.0 or older (2.6.32 on),
 * whose record holds "struct page *page" instead of the pfn, with the
 * print format of x86-64's SPARSEMEM_VMEMMAP, where page_to_pfn() is the
 * pointer's offset from a constant memmap:
 *   "page=%p pfn=%lu ...", REC->page,
 *   [REC->page ? ] (unsigned long)((REC->page) - ((struct page *)(C)))[ : 0]
 * (4.1 recorded the pfn instead).  64-bit files only.  Return: the page
 * field, with C in *@memmap; NULL for any other shape (FLATMEM's mem_map,
 * a 32-bit kernel), which leaves the event OTHER.
 */
static struct tep_format_field *memmap_pointer(struct dat *d, struct tep_event *event,
					       uint64_t *memmap)
{
	struct tep_format_field *f = tep_find_field(event, "page");
	const struct tep_print_arg *a = event->print_fmt.args, *b;

	if (!f || f->size != 8 || (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC)) ||
	    tep_get_long_size(d->tep) != 8 || !event->print_fmt.format ||
	    strncmp(event->print_fmt.format, "page=%p pfn=%lu ", 16) != 0 ||
	    !arg_is_field(a, "page") || !(b = a->next))
		return NULL;
	if (arg_op(b, "?")) {
		if (!arg_is_field(b->op.left, "page") || !arg_op(b->op.right, ":"))
			return NULL;
		b = b->op.right->op.left;
	}
	b = strip_casts(b);
	if (!arg_op(b, "-") || !arg_is_field(b->op.left, "page") || !arg_number(b->op.right, memmap))
		return NULL;
	return f;
}

/*
 * The kernel's show_gfp_flags(REC->gfp_flags) among @event's print
 * arguments: "(REC->gfp_flags) ? __print_flags(REC->gfp_flags, "|",
 * {value, "name"}, ...) : "none"" ("GFP_NOWAIT" for 0 before 4.6; no
 * condition at all in some).  Return: the table, with the text for 0 in
 * *@zero (NULL where the format has none); NULL if there is no table.
 */
static const struct tep_print_flag_sym *gfp_flag_table(const struct tep_event *event,
						       const char **zero)
{
	for (const struct tep_print_arg *a = event->print_fmt.args; a; a = a->next) {
		const struct tep_print_arg *f = a, *z = NULL;

		if (arg_op(a, "?") && arg_op(a->op.right, ":")) {
			f = a->op.right->op.left;
			z = a->op.right->op.right;
		}
		f = strip_casts(f);
		if (f && f->type == TEP_PRINT_FLAGS && arg_is_field(strip_casts(f->flags.field), "gfp_flags")) {
			*zero = z && z->type == TEP_PRINT_ATOM ? z->atom.atom : NULL;
			return f->flags.flags;
		}
	}
	*zero = NULL;
	return NULL;
}

static struct dat_event_info *lookup_info(struct dat *d, struct tep_event *event)
{
	static const char *const names[][NR_FIELDS] = {
		[PMM_TRACE_MM_PAGE_ALLOC] = { "pfn", "order", "migratetype", "gfp_flags" },
		[PMM_TRACE_MM_PAGE_FREE] = { "pfn", "order" },
		[PMM_TRACE_MM_PAGE_FREE_BATCHED] = { "pfn" },
		[PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED] = { "pfn", "order", "migratetype", NULL,
							  "percpu_refill" },
		[PMM_TRACE_MM_PAGE_PCPU_DRAIN] = { "pfn", "order", "migratetype" },
		[PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG] = { "pfn", "alloc_order", "alloc_migratetype", NULL,
						      NULL, "fallback_order", "fallback_migratetype",
						      "change_ownership" },
	};
	size_t i = (size_t)event->id % d->info_cap;
	struct dat_event_info *e;
	int k;

	for (;;) {
		e = &d->info[i];
		if (e->id == event->id)
			return e;
		if (e->id == -1)
			break;
		i = (i + 1) % d->info_cap;
	}
	e->id = event->id;
	e->event = event;
	e->kind = PMM_TRACE_OTHER;
	e->memo = PAGE_RENDER;
	if (event->system && strcmp(event->system, "kmem") == 0)
		e->kind = trace_kind_by_name(event->name, strlen(event->name));
	e->old_name = trace_kind_old_name(e->kind) &&
		      strcmp(event->name, trace_kind_old_name(e->kind)) == 0;
	if (e->kind <= PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG) {
		for (k = 0; k < NR_FIELDS; k++) {
			if (!names[e->kind][k])
				continue;
			e->f[k] = tep_find_field(event, names[e->kind][k]);
			if (!e->f[k] && k == F_PFN) {
				e->f[k] = memmap_pointer(d, event, &e->memmap);
				e->page_ptr = e->f[k] != NULL;
			}
			if (!e->f[k]) {
				/* a format we do not know; names[] has no row for OTHER */
				e->kind = PMM_TRACE_OTHER;
				break;
			}
		}
	}
	if (e->kind == PMM_TRACE_MM_PAGE_ALLOC)
		e->gfp_syms = gfp_flag_table(event, &e->gfp_zero);
	if (e->kind == PMM_TRACE_MM_PAGE_FREE_BATCHED)
		e->cold = tep_find_field(event, "cold");
	/* extfrag's other rendered field, pageblock_order, is left to libtraceevent */
	if (e->kind < PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG && !e->page_ptr && page_linear_in_pfn(d, event))
		e->memo = PAGE_LEARN;
	return e;
}

static int field_val(struct dat_event_info *e, int k, struct tep_record *rec,
		     unsigned long long *v)
{
	*v = 0;
	if (!e->f[k])
		return 0;
	return tep_read_number_field(e->f[k], rec->data, v);
}

/*
 * Take page= (and pageblock_order) from libtraceevent's rendering; when that
 * text does not parse, guess them and count the event in st.unrendered.
 * @pfn: the record's pfn field.  A format whose page= is linear in the pfn
 * is rendered until the constant is known (dat_event_info.memo).
 */
static void rendered_fields(struct pmm_trace_parser *p, struct dat *d, struct dat_event_info *e,
			    struct tep_record *rec, struct pmm_trace_event *ev, uint64_t pfn)
{
	struct pmm_trace_event tmp;
	const char *reason;
	char rbuf[128];

	if (e->memo == PAGE_KNOWN && pfn != UINT64_MAX && ++e->since_check < PAGE_RECHECK) {
		ev->page = pfn + e->page_delta;
		ev->page_fmt = e->page_fmt;
		ev->pfn_dec = e->pfn_dec;
		ev->pageblock_order = e->pageblock_order;
		return;
	}
	trace_seq_reset(&d->seq);
	tep_print_event(d->tep, &d->seq, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&d->seq);
	memset(&tmp, 0, sizeof(tmp));
	if (trace_parse_body(p, e->kind, d->seq.buffer, strlen(d->seq.buffer), &tmp, rbuf,
			     sizeof(rbuf), &reason) == 0) {
		ev->page = tmp.page;
		ev->page_fmt = tmp.page_fmt;
		ev->pfn_dec = tmp.pfn_dec;
		ev->pageblock_order = tmp.pageblock_order;
	} else {
		/* Not the kernel's body: the values are guesses, and the stats say so. */
		ev->page = 0;
		ev->page_fmt = PMM_TRACE_PAGE_0X;
		ev->pageblock_order = 9;
		p->st.unrendered[e->kind]++;
		e->memo = PAGE_RENDER;
		return;
	}
	if (e->memo == PAGE_RENDER || pfn == UINT64_MAX)
		return;
	if (e->memo == PAGE_LEARN) {
		e->page_delta = tmp.page - pfn;
		e->learn_pfn = pfn;
		e->page_fmt = tmp.page_fmt;
		e->pfn_dec = tmp.pfn_dec;
		e->pageblock_order = tmp.pageblock_order;
		e->memo = PAGE_CHECK;
		return;
	}
	if (e->memo == PAGE_CHECK && pfn == e->learn_pfn)
		return; /* the same pfn says nothing of the slope */
	/* PAGE_CHECK with a second pfn, or PAGE_KNOWN's periodic check */
	e->since_check = 0;
	e->memo = tmp.page - pfn == e->page_delta && tmp.page_fmt == e->page_fmt &&
			  tmp.pfn_dec == e->pfn_dec && tmp.pageblock_order == e->pageblock_order ?
		  PAGE_KNOWN :
		  PAGE_RENDER;
}

static struct tep_record *pop_min(struct dat *d)
{
	struct tep_record *best = NULL;
	int cpu, best_cpu = -1;

	for (cpu = 0; cpu < d->nr_cpus; cpu++) {
		struct tep_record *r = d->pending[cpu];

		if (!r)
			continue;
		if (!best || r->ts < best->ts) {
			best = r;
			best_cpu = cpu;
		}
	}
	if (best) {
		struct tep_record *next = tracecmd_read_data(d->handle, best_cpu);

		/*
		 * A CPU's records come at rising offsets; kbuffer follows a
		 * damaged event length back into the page and would go round
		 * forever.  Stop reading that CPU, and say so once.
		 */
		if (next && next->offset <= best->offset) {
			d->looped_cpu = best_cpu;
			d->looped_at = next->offset;
			d->looped_from = best->offset;
			tracecmd_free_record(next);
			next = NULL;
		}
		d->pending[best_cpu] = next;
	}
	return best;
}

static int rec_error(struct pmm_trace_parser *p, struct dat *d, struct tep_record *rec,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record @rec in error: "file: record at offset N on cpu C: <why>". */
static int rec_error(struct pmm_trace_parser *p, struct dat *d, struct tep_record *rec,
		     const char *fmt, ...)
{
	const char *path = tracecmd_get_private(d->handle);
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	p->st.errors++;
	snprintf(p->errmsg, sizeof(p->errmsg), "%s: record at offset %llu on cpu %d: %s",
		 path ? path : "trace.dat", rec->offset, rec->cpu, why);
	return -PMM_EBADMSG;
}

/*
 * Whether @event's fields lie inside @rec's @rec->size bytes: libtraceevent
 * and field_val() read them at the offsets the format gives, with no check
 * against the record.  Return: NULL, or the first field that does not fit.
 */
static const char *field_outside(struct dat *d, struct tep_event *event, struct tep_record *rec)
{
	struct tep_format_field *lists[2] = { event->format.common_fields, event->format.fields };
	unsigned size = rec->size > 0 ? (unsigned)rec->size : 0;

	for (int l = 0; l < 2; l++) {
		for (struct tep_format_field *f = lists[l]; f; f = f->next) {
			unsigned long long loc;

			if (f->offset < 0 || f->size < 0 || (unsigned)f->offset + (unsigned)f->size > size)
				return f->name;
			if (!(f->flags & TEP_FIELD_IS_DYNAMIC))
				continue;
			/* __data_loc: offset in the low 16 bits, length in the high ones */
			if (f->size != 2 && f->size != 4 && f->size != 8)
				return f->name;
			loc = tep_read_number(d->tep, (const char *)rec->data + f->offset, f->size);
			if (f->flags & TEP_FIELD_IS_RELATIVE)
				loc += (unsigned)f->offset + (unsigned)f->size;
			if ((loc & 0xffff) + ((loc >> 16) & 0xffff) > size)
				return f->name;
		}
	}
	return NULL;
}

/*
 * A divisor libtraceevent evaluates to something other than 0 for @rec: a
 * number, or a plain number field whose value here is not 0.  Anything else
 * (an expression, a cast, a missing operand) counts as 0.
 */
static bool divisor_nonzero(struct dat *d, struct tep_event *event, const struct tep_print_arg *a,
			    struct tep_record *rec)
{
	struct tep_format_field *f;

	if (!a)
		return false;
	if (a->type == TEP_PRINT_ATOM)
		return a->atom.atom && strtoull(a->atom.atom, NULL, 0) != 0;
	if (a->type != TEP_PRINT_FIELD || !a->field.name)
		return false;
	f = a->field.field ? a->field.field : tep_find_any_field(event, a->field.name);
	if (!f || (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_STRING)) ||
	    (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) ||
	    (unsigned)f->offset + (unsigned)f->size > (unsigned)rec->size)
		return false;
	return tep_read_number(d->tep, (const char *)rec->data + f->offset, f->size) != 0;
}

/*
 * libtraceevent evaluates '/' and '%' in print arguments with no check of
 * the divisor (SIGFPE on 0).  Return: whether every division in the
 * argument list @a can be evaluated for @rec; a list nested deeper than
 * 64 is not looked into, and counts as one that cannot.
 */
static bool divisions_safe(struct dat *d, struct tep_event *event, const struct tep_print_arg *a,
			   struct tep_record *rec, int depth)
{
	if (depth > 64)
		return !a;
	for (; a; a = a->next) {
		bool ok = true;

		switch (a->type) {
		case TEP_PRINT_OP:
			if (a->op.op && (strcmp(a->op.op, "/") == 0 || strcmp(a->op.op, "%") == 0) &&
			    !divisor_nonzero(d, event, a->op.right, rec))
				return false;
			ok = divisions_safe(d, event, a->op.left, rec, depth + 1) &&
			     divisions_safe(d, event, a->op.right, rec, depth + 1);
			break;
		case TEP_PRINT_TYPE:
			ok = divisions_safe(d, event, a->typecast.item, rec, depth + 1);
			break;
		case TEP_PRINT_FLAGS:
			ok = divisions_safe(d, event, a->flags.field, rec, depth + 1);
			break;
		case TEP_PRINT_SYMBOL:
			ok = divisions_safe(d, event, a->symbol.field, rec, depth + 1);
			break;
		case TEP_PRINT_HEX:
		case TEP_PRINT_HEX_STR:
			ok = divisions_safe(d, event, a->hex.field, rec, depth + 1) &&
			     divisions_safe(d, event, a->hex.size, rec, depth + 1);
			break;
		case TEP_PRINT_INT_ARRAY:
			ok = divisions_safe(d, event, a->int_array.field, rec, depth + 1) &&
			     divisions_safe(d, event, a->int_array.count, rec, depth + 1) &&
			     divisions_safe(d, event, a->int_array.el_size, rec, depth + 1);
			break;
		case TEP_PRINT_FUNC:
			ok = divisions_safe(d, event, a->func.args, rec, depth + 1);
			break;
		case TEP_PRINT_DYNAMIC_ARRAY:
			ok = divisions_safe(d, event, a->dynarray.index, rec, depth + 1);
			break;
		default:
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Record @rec of @event can go to tep_print_event(); else an error for it. */
static int printable(struct pmm_trace_parser *p, struct dat *d, struct tep_event *event,
		     struct tep_record *rec)
{
	if (!divisions_safe(d, event, event->print_fmt.args, rec, 0))
		return rec_error(p, d, rec, "event %s:%s's print format divides by zero for it, which libtraceevent cannot evaluate",
				 event->system, event->name);
	return 0;
}

/*
 * The pfn of a Linux 4.0-or-older record (dat_event_info.page_ptr) whose
 * struct page pointer is @page: (page - memmap) / sizeof(struct page), as
 * the kernel's page_to_pfn() computes it; libtraceevent subtracts the two
 * addresses without the division, so its pfn= (trace-cmd report's) is the
 * byte offset.  page= is the pointer, as libtraceevent prints it.  NULL is
 * a failed allocation, pfn -1 (the caller prints it as 0, as the kernel
 * does).  Return: 0, or a record error when @page is not a struct page of
 * that memmap.
 */
static int pfn_of_page(struct pmm_trace_parser *p, struct dat *d, struct dat_event_info *e,
		       struct tep_record *rec, uint64_t page, struct pmm_trace_event *ev)
{
	ev->page = page;
	ev->pfn_dec = 1;
	if (page == 0) {
		ev->page_fmt = PMM_TRACE_PAGE_NIL;
		ev->pfn = UINT64_MAX;
		return 0;
	}
	ev->page_fmt = PMM_TRACE_PAGE_0X;
	ev->pfn_bytes = 1; /* trace-cmd report shows the byte offset */
	if (page < e->memmap || (page - e->memmap) % MEMMAP_PAGE_SIZE)
		return rec_error(p, d, rec,
				 "%s's page 0x%" PRIx64 " is not a %d-byte struct page of the memmap at 0x%" PRIx64 " that its print format gives",
				 e->event->name, page, MEMMAP_PAGE_SIZE, e->memmap);
	ev->pfn = (page - e->memmap) / MEMMAP_PAGE_SIZE;
	p->st.pfn_bytes++;
	return 0;
}

/*
 * @raw, the gfp_flags of a record of @e, as 6.1's bits in *@gfp: named as
 * libtraceevent names it in `trace-cmd report` (the table's entries in
 * order, each whose bits are all set taken off; what is left as a
 * number), and those names read as the text parser reads them
 * (gfp_parse_kver()), so that a trace.dat and its report text give the
 * same gfp.  Return: 0, or a record error for a name pmm does not know.
 */
static int gfp_of(struct pmm_trace_parser *p, struct dat *d, const struct dat_event_info *e,
		  struct tep_record *rec, uint64_t raw, pmm_gfp_t *gfp)
{
	struct gfp_memo *m = &d->gfp_memo[(uint32_t)(raw * 0x9e3779b97f4a7c15ull >> 32) % GFP_MEMO];
	unsigned key = (unsigned)e->id + 1;
	char text[1024];
	size_t n = 0;
	uint64_t left = raw;

	if (!e->gfp_syms) {
		*gfp = (pmm_gfp_t)raw;
		return 0;
	}
	if (m->key == key && m->raw == raw) {
		*gfp = m->gfp;
		return 0;
	}
	if (raw == 0) {
		if (!e->gfp_zero) {
			*gfp = 0;
			return 0;
		}
		n = (size_t)snprintf(text, sizeof(text), "%s", e->gfp_zero);
	}
	for (const struct tep_print_flag_sym *f = e->gfp_syms; f && left && n < sizeof(text);
	     f = f->next) {
		uint64_t v;

		if (!f->value || !isdigit((unsigned char)f->value[0]) || !f->str)
			continue; /* libtraceevent skips a value it cannot read, too */
		v = strtoull(f->value, NULL, 0);
		if (!v || (left & v) != v)
			continue;
		left &= ~v;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", n ? "|" : "", f->str);
	}
	if (left && n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s0x%" PRIx64, n ? "|" : "", left);
	if (n >= sizeof(text))
		return rec_error(p, d, rec, "gfp_flags 0x%" PRIx64 " has more names than pmm reads", raw);
	if (gfp_parse_kver(text, n, p->kver, gfp))
		return rec_error(p, d, rec,
				 "gfp_flags 0x%" PRIx64 " reads \"%.80s\" by its print format, which pmm cannot read",
				 raw, text);
	m->key = key;
	m->raw = raw;
	m->gfp = *gfp;
	return 0;
}

static int dat_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev)
{
	struct dat *d = p->dat;
	struct tep_record *rec;
	struct tep_event *event;
	struct dat_event_info *e;
	unsigned long long v;
	uint64_t pfn;
	const char *comm, *bad;
	int err;

	if (d->deferred) {
		/* the record whose lost-events notice went out last call */
		rec = d->deferred;
		d->deferred = NULL;
	} else {
		if (d->current) {
			tracecmd_free_record(d->current);
			d->current = NULL;
		}
		if (d->looped_cpu >= 0 && !d->pending[d->looped_cpu]) {
			const char *path = tracecmd_get_private(d->handle);

			p->st.errors++;
			snprintf(p->errmsg, sizeof(p->errmsg),
				 "%s: cpu %d: the record after offset %llu is at offset %llu, back in its ring-buffer page; the rest of the cpu's data is not read",
				 path ? path : "trace.dat", d->looped_cpu, d->looped_from, d->looped_at);
			d->looped_cpu = -1;
			return -PMM_EBADMSG;
		}
		rec = pop_min(d);
		if (!rec)
			return 0;
		d->current = rec;
		p->st.lines++;
		if (rec->missed_events) {
			/* The ring buffer dropped events before this one: say so first,
			 * as the text formats do with "CPU:N [LOST M EVENTS]". */
			memset(ev, 0, sizeof(*ev));
			ev->kind = PMM_TRACE_LOST;
			ev->style = PMM_TRACE_STYLE_DAT;
			ev->tgid = -1;
			ev->cpu = rec->cpu;
			ev->ts_ns = rec->ts;
			ev->lost = rec->missed_events > 0 ? (uint64_t)rec->missed_events : 0;
			p->st.events[PMM_TRACE_LOST]++;
			p->st.lost_events += ev->lost;
			d->deferred = rec;
			return 1;
		}
	}
	memset(ev, 0, sizeof(*ev));
	ev->tgid = -1;
	ev->style = PMM_TRACE_STYLE_DAT;
	ev->ts_digits = 6; /* as trace-cmd report prints; ts_ns keeps the ns */
	ev->ts_ns = rec->ts;
	ev->cpu = rec->cpu;
	/* kbuffer takes an event's length from the page without checking it against the page */
	if (rec->size < 0 || rec->record_size < 0 ||
	    rec->offset % d->lay.page_size + (unsigned)rec->record_size > d->lay.page_size)
		return rec_error(p, d, rec, "its %d bytes run past its ring-buffer page", rec->record_size);
	if ((unsigned)rec->size < d->common_end)
		return rec_error(p, d, rec, "it is %d bytes, short of the %u bytes of common fields",
				 rec->size, d->common_end);
	event = tep_find_event_by_record(d->tep, rec);
	if (!event)
		return rec_error(p, d, rec, "unknown event id");
	bad = field_outside(d, event, rec);
	if (bad)
		return rec_error(p, d, rec, "it is %d bytes, and event %s:%s's field %s lies outside them",
				 rec->size, event->system, event->name, bad);
	err = printable(p, d, event, rec);
	if (err)
		return err;
	e = lookup_info(d, event);
	ev->pid = tep_data_pid(d->tep, rec);
	comm = tep_data_comm_from_pid(d->tep, ev->pid);
	if (comm) {
		size_t n = strnlen(comm, PMM_TRACE_COMM_LEN - 1);

		memcpy(ev->comm, comm, n);
		ev->comm[n] = '\0';
	}
	ev->name = event->name;
	ev->name_len = strlen(event->name);
	ev->kind = (uint8_t)e->kind;
	if (e->kind == PMM_TRACE_OTHER) {
		trace_seq_reset(&d->seq);
		tep_print_event(d->tep, &d->seq, rec, "%s", TEP_PRINT_INFO);
		trace_seq_terminate(&d->seq);
		ev->text = d->seq.buffer;
		ev->text_len = strlen(d->seq.buffer);
		p->st.events[PMM_TRACE_OTHER]++;
		return 1;
	}
	field_val(e, F_PFN, rec, &v);
	if (e->page_ptr) {
		err = pfn_of_page(p, d, e, rec, v, ev);
		if (err)
			return err;
		v = ev->pfn;
	}
	ev->pfn = v;
	pfn = v;
	field_val(e, F_ORDER, rec, &v);
	ev->order = (int32_t)v;
	field_val(e, F_MT, rec, &v);
	ev->migratetype = (int32_t)v;
	field_val(e, F_GFP, rec, &v);
	err = gfp_of(p, d, e, rec, v, &ev->gfp);
	if (err)
		return err;
	field_val(e, F_REFILL, rec, &v);
	ev->percpu_refill = (int32_t)v;
	field_val(e, F_FB_ORDER, rec, &v);
	ev->fallback_order = (int32_t)v;
	field_val(e, F_FB_MT, rec, &v);
	ev->fallback_migratetype = (int32_t)v;
	field_val(e, F_CHOWN, rec, &v);
	ev->change_ownership = (int32_t)v;
	if (e->cold && tep_read_number_field(e->cold, rec->data, &v) == 0) {
		ev->cold = (int32_t)v;
		ev->has_cold = 1;
	}
	/* TP_printk prints pfn 0 for a failed allocation (pfn == -1UL). */
	if (ev->pfn == (uint64_t)-1 || (tep_get_long_size(d->tep) == 4 && ev->pfn == 0xffffffffu))
		ev->pfn = 0;
	ev->old_name = e->old_name;
	/* page= of a struct page pointer is the record's; only extfrag has more to render */
	if (!e->page_ptr || e->kind == PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG)
		rendered_fields(p, d, e, rec, ev, pfn);
	if (e->kind == PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG)
		ev->fragmenting = ev->fallback_order < ev->pageblock_order;
	p->st.events[e->kind]++;
	return 1;
}

static void dat_close(struct pmm_trace_parser *p)
{
	struct dat *d = p->dat;
	int cpu;

	if (!d)
		return;
	if (d->current)
		tracecmd_free_record(d->current);
	for (cpu = 0; d->pending && cpu < d->nr_cpus; cpu++)
		if (d->pending[cpu])
			tracecmd_free_record(d->pending[cpu]);
	free(d->pending);
	free(d->info);
	trace_dat_layout_free(&d->lay);
	trace_seq_destroy(&d->seq);
	if (d->handle) {
		free(tracecmd_get_private(d->handle));
		tracecmd_close(d->handle);
	}
	free(d);
}

/*
 * Every event's common fields alike (libtraceevent reads a record's type
 * and pid by one event's layout), and where they end.  Return: false with
 * a reason in @why when they differ.
 */
static bool common_fields(struct dat *d, char *why, size_t whylen)
{
	int n = tep_get_events_count(d->tep);
	struct tep_event *first = n > 0 ? tep_get_event(d->tep, 0) : NULL;

	d->common_end = 0;
	for (struct tep_format_field *f = first ? first->format.common_fields : NULL; f; f = f->next)
		if ((unsigned)f->offset + (unsigned)f->size > d->common_end)
			d->common_end = (unsigned)f->offset + (unsigned)f->size;
	for (int i = 1; i < n; i++) {
		struct tep_event *ev = tep_get_event(d->tep, i);
		struct tep_format_field *a = first->format.common_fields, *b = ev->format.common_fields;

		while (a && b && a->offset == b->offset && a->size == b->size &&
		       strcmp(a->name, b->name) == 0) {
			a = a->next;
			b = b->next;
		}
		if (a || b) {
			snprintf(why, whylen, "event %s:%s's common fields differ from event %s:%s's",
				 ev->system, ev->name, first->system, first->name);
			return false;
		}
	}
	return true;
}

/*
 * tracecmd_open() in its two steps, with pmm's checks of the file
 * (trace_dat_check.c) before each: libtracecmd and libtraceevent trust the
 * file's sizes and formats, and a damaged one makes them allocate without
 * bound, read out of bounds or divide by zero.  Returns 0 with d->handle
 * open and its CPU data set up, or a negative pmm errno with the reason in
 * @why (d->handle then NULL, or open with headers only, which
 * tracecmd_close() frees cleanly).
 */
static int dat_open_handle(struct dat *d, const char *path, char *why, size_t whylen)
{
	struct tep_handle *tep;
	int fd, err;

	err = trace_dat_check_file(path, &d->lay, why, whylen);
	if (err < 0)
		return err;
	/* no libtraceevent plugins: the same text whatever the host has installed */
	d->handle = err ? tracecmd_open_head(path, TRACECMD_FL_LOAD_NO_PLUGINS) : NULL;
	if (!d->handle) {
		err = os_file_open_read(path, &fd);
		if (err) {
			snprintf(why, whylen, "%s", pmm_strerror(err));
			return err;
		}
		os_file_close(fd);
		snprintf(why, whylen, "not a trace.dat libtracecmd can read");
		return -PMM_EBADMSG;
	}
	tep = tracecmd_get_tep(d->handle);
	err = trace_dat_check_cpu_data(path, &d->lay, tep_get_header_timestamp_size(tep),
				       tep_get_header_page_size(tep), why, whylen);
	if (err < 0)
		return err;
	d->tep = tep;
	if (!common_fields(d, why, whylen))
		return -PMM_EBADMSG;
	if (tracecmd_init_data(d->handle) < 0) {
		/*
		 * A failure the checks above did not foresee can leave per-CPU
		 * state that tracecmd_close() crashes on: leave this handle open
		 * (a leak, on this error path only) rather than close it.
		 */
		d->handle = NULL;
		snprintf(why, whylen, "libtracecmd could not set up its CPU data");
		return -PMM_EBADMSG;
	}
	return 0;
}

/*
 * Open @path on @p in this process: the back end that
 * trace_open_isolated() runs in its child (trace_isolate.h).
 */
int trace_dat_open_inproc(struct pmm_trace_parser *p, const char *path, char *why, size_t whylen)
{
	struct dat *d = calloc(1, sizeof(*d));
	size_t i;
	int cpu, err;

	if (!d) {
		snprintf(why, whylen, "out of memory");
		return -PMM_ENOMEM;
	}
	p->dat = d;
	p->next = dat_next;
	p->close = dat_close;
	trace_seq_init(&d->seq);
	err = dat_open_handle(d, path, why, whylen);
	if (err)
		return err;
	/* The file's own kernel names its gfp bits (gfp_of()); before the first record. */
	if (p->kver_from_file && d->lay.release[0])
		pmm_kver_from_release(d->lay.release, &p->kver);
	tracecmd_set_private(d->handle, strdup(path));
	/* the CPU data libtracecmd set up; a CPU count option can make tep's count differ */
	d->nr_cpus = d->lay.cpus;
	d->pending = calloc(d->nr_cpus > 0 ? (size_t)d->nr_cpus : 1, sizeof(*d->pending));
	d->info_cap = 2 * (size_t)(tep_get_events_count(d->tep) + 1);
	d->info = calloc(d->info_cap, sizeof(*d->info));
	if (!d->pending || !d->info) {
		snprintf(why, whylen, "out of memory");
		return -PMM_ENOMEM;
	}
	for (i = 0; i < d->info_cap; i++)
		d->info[i].id = -1;
	d->looped_cpu = -1;
	for (cpu = 0; cpu < d->nr_cpus; cpu++)
		d->pending[cpu] = tracecmd_read_data(d->handle, cpu);
	return 0;
}

int pmm_trace_open_dat(struct pmm_trace_parser **out, const char *path,
		       const struct pmm_trace_opts *opts)
{
	struct pmm_trace_parser *p;
	char why[200];
	int err;

	*out = NULL;
	if (!path)
		return -PMM_EINVAL;
	p = trace_parser_alloc(opts);
	if (!p)
		return -PMM_ENOMEM;
	/*
	 * libtracecmd and libtraceevent trust the file: pmm's checks catch
	 * what is known to crash them, and a child process takes whatever
	 * else a damaged file does to them.
	 */
	err = trace_open_isolated(p, path, trace_dat_open_inproc, "libtraceevent", why,
				  sizeof(why));
	if (err == TRACE_ISOLATE_NO_CHILD)
		err = trace_dat_open_inproc(p, path, why, sizeof(why));
	if (err) {
		if (opts && opts->errbuf && opts->errbuf_size)
			snprintf(opts->errbuf, opts->errbuf_size, "%s: %s", path, why);
		pmm_trace_close(p);
		return err;
	}
	*out = p;
	return 0;
}

#endif /* PMM_HAVE_TRACECMD */
