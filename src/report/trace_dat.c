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
 */
#include "report/trace_internal.h"

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

#else

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>

#include "platform/file.h"

#define NR_FIELDS 9

/* Per event id: its kind and the fields we read. */
struct dat_event_info {
	int id;                      /* -1: slot unused */
	enum pmm_trace_kind kind;
	struct tep_event *event;
	struct tep_format_field *f[NR_FIELDS];
};

enum { F_PFN, F_ORDER, F_MT, F_GFP, F_REFILL, F_FB_ORDER, F_FB_MT, F_CHOWN, F_UNUSED };

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
	char reason[160];
};

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
	if (event->system && strcmp(event->system, "kmem") == 0)
		e->kind = trace_kind_by_name(event->name, strlen(event->name));
	if (e->kind <= PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG) {
		for (k = 0; k < NR_FIELDS; k++) {
			if (!names[e->kind][k])
				continue;
			e->f[k] = tep_find_field(event, names[e->kind][k]);
			if (!e->f[k]) {
				/* a format we do not know; names[] has no row for OTHER */
				e->kind = PMM_TRACE_OTHER;
				break;
			}
		}
	}
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
 */
static void rendered_fields(struct pmm_trace_parser *p, struct dat *d, struct dat_event_info *e,
			    struct tep_record *rec, struct pmm_trace_event *ev)
{
	struct pmm_trace_event tmp;
	const char *reason;
	char rbuf[128];

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
	}
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
	if (best)
		d->pending[best_cpu] = tracecmd_read_data(d->handle, best_cpu);
	return best;
}

static int dat_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev)
{
	struct dat *d = p->dat;
	struct tep_record *rec;
	struct tep_event *event;
	struct dat_event_info *e;
	unsigned long long v;
	const char *comm;

	if (d->deferred) {
		/* the record whose lost-events notice went out last call */
		rec = d->deferred;
		d->deferred = NULL;
	} else {
		if (d->current) {
			tracecmd_free_record(d->current);
			d->current = NULL;
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
	event = tep_find_event_by_record(d->tep, rec);
	if (!event) {
		p->st.errors++;
		snprintf(p->errmsg, sizeof(p->errmsg), "%s: record at offset %llu on cpu %d: unknown event id",
			 tracecmd_get_private(d->handle) ? (const char *)tracecmd_get_private(d->handle) : "trace.dat",
			 rec->offset, rec->cpu);
		return -PMM_EBADMSG;
	}
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
	ev->pfn = v;
	field_val(e, F_ORDER, rec, &v);
	ev->order = (int32_t)v;
	field_val(e, F_MT, rec, &v);
	ev->migratetype = (int32_t)v;
	field_val(e, F_GFP, rec, &v);
	ev->gfp = (pmm_gfp_t)v;
	field_val(e, F_REFILL, rec, &v);
	ev->percpu_refill = (int32_t)v;
	field_val(e, F_FB_ORDER, rec, &v);
	ev->fallback_order = (int32_t)v;
	field_val(e, F_FB_MT, rec, &v);
	ev->fallback_migratetype = (int32_t)v;
	field_val(e, F_CHOWN, rec, &v);
	ev->change_ownership = (int32_t)v;
	/* TP_printk prints pfn 0 for a failed allocation (pfn == -1UL). */
	if (ev->pfn == (uint64_t)-1 || (tep_get_long_size(d->tep) == 4 && ev->pfn == 0xffffffffu))
		ev->pfn = 0;
	rendered_fields(p, d, e, rec, ev);
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
	trace_seq_destroy(&d->seq);
	if (d->handle) {
		free(tracecmd_get_private(d->handle));
		tracecmd_close(d->handle);
	}
	free(d);
}

/* ------------------------------------------------------------ version 6 CPU table */

/* A reader over the file's headers; numbers in the file's byte order. */
struct v6_walk {
	FILE *f;
	bool big_endian;
};

static bool v6_bytes(struct v6_walk *w, void *buf, size_t n)
{
	return fread(buf, 1, n, w->f) == n;
}

static uint64_t v6_decode(const struct v6_walk *w, const unsigned char *b, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | b[w->big_endian ? i : bytes - 1 - i];
	return v;
}

static bool v6_num(struct v6_walk *w, int bytes, uint64_t *v)
{
	unsigned char b[8];

	if (!v6_bytes(w, b, (size_t)bytes))
		return false;
	*v = v6_decode(w, b, bytes);
	return true;
}

/* A number at @pos, leaving the stream where it was (one small read, no buffer refill). */
static bool v6_num_at(struct v6_walk *w, uint64_t pos, int bytes, uint64_t *v)
{
	unsigned char b[8];

	if (pos > INT64_MAX || pread(fileno(w->f), b, (size_t)bytes, (off_t)pos) != bytes)
		return false;
	*v = v6_decode(w, b, bytes);
	return true;
}

static bool v6_skip(struct v6_walk *w, uint64_t n)
{
	return n <= INT64_MAX && fseeko(w->f, (off_t)n, SEEK_CUR) == 0;
}

/* Skip a NUL-terminated string. */
static bool v6_skip_str(struct v6_walk *w)
{
	int c;

	while ((c = getc(w->f)) != EOF)
		if (c == 0)
			return true;
	return false;
}

/* Skip @count sections, each a @sizelen-byte length and its bytes. */
static bool v6_skip_sized(struct v6_walk *w, int sizelen, uint64_t count)
{
	uint64_t n;

	for (uint64_t i = 0; i < count; i++)
		if (!v6_num(w, sizelen, &n) || !v6_skip(w, n))
			return false;
	return true;
}

/*
 * Walk a version 6 trace.dat to its flyrecord CPU table.  Returns true with
 * the file offset of the table, the number of CPUs and the ring-buffer page
 * size; false when the file is not one (another version, a latency trace,
 * or broken in its headers: libtracecmd judges those and refuses them
 * cleanly).
 */
static bool v6_find_cpu_table(struct v6_walk *w, uint64_t *table, uint64_t *cpus,
			      uint64_t *page_size)
{
	static const char magic[10] = "\x17\x08\x44tracing";
	unsigned char head[16];
	char label[10];
	uint64_t n, systems, id;

	if (!v6_bytes(w, head, 12) || memcmp(head, magic, 10) != 0 || head[10] != '6' || head[11])
		return false;
	if (!v6_bytes(w, head, 2)) /* endianness, long size */
		return false;
	w->big_endian = head[0] != 0;
	if (!v6_num(w, 4, page_size))
		return false;
	if (!v6_bytes(w, head, 12) || memcmp(head, "header_page", 12) != 0 ||
	    !v6_skip_sized(w, 8, 1) || !v6_bytes(w, head, 13) ||
	    memcmp(head, "header_event", 13) != 0 || !v6_skip_sized(w, 8, 1))
		return false;
	if (!v6_num(w, 4, &n) || !v6_skip_sized(w, 8, n)) /* ftrace formats */
		return false;
	if (!v6_num(w, 4, &systems))
		return false;
	for (uint64_t i = 0; i < systems; i++)
		if (!v6_skip_str(w) || !v6_num(w, 4, &n) || !v6_skip_sized(w, 8, n))
			return false;
	/* kallsyms, printk formats, saved cmdlines, then the CPU count */
	if (!v6_skip_sized(w, 4, 2) || !v6_skip_sized(w, 8, 1) || !v6_num(w, 4, cpus))
		return false;
	if (!v6_bytes(w, label, sizeof(label)))
		return false;
	if (memcmp(label, "options  ", 10) == 0) {
		for (;;) {
			if (!v6_num(w, 2, &id))
				return false;
			if (id == 0) /* TRACECMD_OPTION_DONE */
				break;
			if (!v6_num(w, 4, &n))
				return false;
			if (id == 8 && n >= 4) { /* TRACECMD_OPTION_CPUCOUNT */
				if (!v6_num(w, 4, cpus) || !v6_skip(w, n - 4))
					return false;
			} else if (!v6_skip(w, n)) {
				return false;
			}
		}
		if (!v6_bytes(w, label, sizeof(label)))
			return false;
	}
	if (memcmp(label, "flyrecord", 10) != 0)
		return false;
	*table = (uint64_t)ftello(w->f);
	return true;
}

/*
 * libtracecmd 1.3 cannot be trusted with a version 6 file whose CPU data it
 * fails to set up: it reports the failure, then crashes freeing per-CPU state
 * it never built (tracecmd_open_fd() closing its half-made handle).  A file
 * cut short while it was copied or written is the usual such file; a table
 * entry off a page boundary, or a first ring-buffer page whose commit size
 * exceeds the page, are the others (kbuffer loads a page before it checks
 * that size, so a later such page makes it read past the mapping).  So
 * check the table and every page header against what the library will
 * require, after it has read the headers (@tep) and before it sets up the
 * CPU data.  Returns 0 when the
 * file passes or is not a version 6 flyrecord file (the library's own checks
 * refuse the rest cleanly), -PMM_EBADMSG with a reason in @why otherwise.
 */
static int v6_check_cpu_data(const char *path, struct tep_handle *tep, char *why, size_t whylen)
{
	struct v6_walk w = { NULL, false };
	uint64_t table, cpus, page_size, size, off, len, commit;
	int commit_size = tep_get_header_page_size(tep), err = 0;

	w.f = fopen(path, "rb");
	if (!w.f)
		return 0;
	if (fseeko(w.f, 0, SEEK_END) != 0 || (size = (uint64_t)ftello(w.f)) == (uint64_t)-1 ||
	    fseeko(w.f, 0, SEEK_SET) != 0 || !v6_find_cpu_table(&w, &table, &cpus, &page_size))
		goto out;
	err = -PMM_EBADMSG;
	if (cpus > (size - table) / 16) {
		snprintf(why, whylen, "cut short: its table of %llu CPUs at byte %llu runs past its end (%llu bytes)",
			 (unsigned long long)cpus, (unsigned long long)table, (unsigned long long)size);
		goto out;
	}
	if (tep_get_header_timestamp_size(tep) != 8 || (commit_size != 4 && commit_size != 8) ||
	    page_size < 16 || (page_size & (page_size - 1))) {
		snprintf(why, whylen, "its ring-buffer page header is not one libtracecmd reads "
			 "(page size %llu, timestamp %d bytes, commit %d bytes)", (unsigned long long)page_size,
			 tep_get_header_timestamp_size(tep), commit_size);
		goto out;
	}
	for (uint64_t cpu = 0; cpu < cpus; cpu++) {
		if (!v6_num_at(&w, table + 16 * cpu, 8, &off) || !v6_num_at(&w, table + 16 * cpu + 8, 8, &len))
			goto out;
		if (!len)
			continue;
		if (off > size || len > size - off) {
			snprintf(why, whylen, "cut short: CPU %llu's data runs to byte %llu, past its end (%llu bytes)",
				 (unsigned long long)cpu, (unsigned long long)(off + len), (unsigned long long)size);
			goto out;
		}
		if (off % page_size || len < 8 + (uint64_t)commit_size) {
			snprintf(why, whylen, "CPU %llu's data at byte %llu (%llu bytes) is not whole ring-buffer pages",
				 (unsigned long long)cpu, (unsigned long long)off, (unsigned long long)len);
			goto out;
		}
		/* every page's commit size, which kbuffer trusts before checking it */
		for (uint64_t page = off; page + 8 + (uint64_t)commit_size <= off + len; page += page_size) {
			if (!v6_num_at(&w, page + 8, commit_size, &commit))
				goto out;
			commit &= (1u << 27) - 1; /* the bits above flag lost events */
			if (commit > page_size - 8 - (uint64_t)commit_size) {
				snprintf(why, whylen, "CPU %llu's ring-buffer page at byte %llu says it holds %llu bytes, more than a page",
					 (unsigned long long)cpu, (unsigned long long)page, (unsigned long long)commit);
				goto out;
			}
		}
	}
	err = 0;
out:
	fclose(w.f);
	return err;
}

/*
 * tracecmd_open() in its two steps, with v6_check_cpu_data() between them.
 * Returns 0 with d->handle open and its CPU data set up, or a negative pmm
 * errno with the reason in @why (d->handle then NULL, or open with headers
 * only, which tracecmd_close() frees cleanly).
 */
static int dat_open_handle(struct dat *d, const char *path, char *why, size_t whylen)
{
	int fd, err;

	/* no libtraceevent plugins: the same text whatever the host has installed */
	d->handle = tracecmd_open_head(path, TRACECMD_FL_LOAD_NO_PLUGINS);
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
	if (v6_check_cpu_data(path, tracecmd_get_tep(d->handle), why, whylen) < 0)
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

int pmm_trace_open_dat(struct pmm_trace_parser **out, const char *path,
		       const struct pmm_trace_opts *opts)
{
	struct pmm_trace_parser *p;
	struct dat *d;
	char why[200];
	size_t i;
	int cpu, err;

	*out = NULL;
	if (!path)
		return -PMM_EINVAL;
	p = trace_parser_alloc(opts);
	d = calloc(1, sizeof(*d));
	if (!p || !d) {
		free(p);
		free(d);
		return -PMM_ENOMEM;
	}
	p->dat = d;
	p->next = dat_next;
	p->close = dat_close;
	trace_seq_init(&d->seq);
	err = dat_open_handle(d, path, why, sizeof(why));
	if (err) {
		if (opts && opts->errbuf && opts->errbuf_size)
			snprintf(opts->errbuf, opts->errbuf_size, "%s: %s", path, why);
		pmm_trace_close(p);
		return err;
	}
	tracecmd_set_private(d->handle, strdup(path));
	d->tep = tracecmd_get_tep(d->handle);
	d->nr_cpus = tep_get_cpus(d->tep);
	d->pending = calloc(d->nr_cpus > 0 ? (size_t)d->nr_cpus : 1, sizeof(*d->pending));
	d->info_cap = 2 * (size_t)(tep_get_events_count(d->tep) + 1);
	d->info = calloc(d->info_cap, sizeof(*d->info));
	if (!d->pending || !d->info) {
		pmm_trace_close(p);
		return -PMM_ENOMEM;
	}
	for (i = 0; i < d->info_cap; i++)
		d->info[i].id = -1;
	for (cpu = 0; cpu < d->nr_cpus; cpu++)
		d->pending[cpu] = tracecmd_read_data(d->handle, cpu);
	*out = p;
	return 0;
}

#endif /* PMM_HAVE_TRACECMD */
