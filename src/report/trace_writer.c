// SPDX-License-Identifier: MIT
/*
 * pmm's own kmem events as kernel trace lines (pmm_trace_attach()): a
 * tracepoint listener that fills a struct pmm_trace_event per event and
 * prints it with pmm_trace_format_line(), the formatter the parser's round
 * trip tests hold to the kernel's bytes.
 *
 * Invariants: one fwrite() per line (stdio locks the stream, so lines of
 * concurrent threads never interleave); the first write error is kept and
 * returned by pmm_trace_detach().
 * Locking: the listener runs in the allocating thread, sometimes under
 * zone->lock or a pcp lock (as the kernel's tracepoints do); it takes no
 * pmm lock and does not allocate.
 */
#include <stdlib.h>
#include <string.h>

#include <pmm/trace.h>

#include "ext/page_owner.h"
#include "mm/internal.h"
#include "mm/pcp.h"
#include "mm/trace.h"

struct pmm_trace_writer {
	struct pmm *m;
	FILE *out;
	struct pmm_trace_attach_opts opts;
	uint64_t t0;            /* platform clock at attach */
	uint64_t lines;         /* atomic */
	int failed;             /* atomic: a write failed */
	struct pmm_tracepoints tp;
};

static void emit(struct pmm_trace_writer *w, struct pmm_trace_event *ev)
{
	char buf[512];
	size_t n;

	current_task_ident(w->m, &ev->pid, &ev->tgid, ev->comm);
	ev->comm[PMM_TRACE_COMM_LEN - 1] = '\0';
	if (!w->opts.record_tgid)
		ev->tgid = -1;
	ev->cpu = (int32_t)pmm_this_cpu(w->m);
	if (!current_time_override(w->m, &ev->ts_ns))
		ev->ts_ns = w->m->plat->clock_ns(w->m->plat->ctx) - w->t0;
	ev->ts_digits = 6;
	memcpy(ev->lat, ".....", 6);
	ev->style = (uint8_t)w->opts.style;
	/* perf script right-aligns names to the longest one recorded: all six kmem events. */
	if (w->opts.style == PMM_TRACE_STYLE_PERF)
		ev->name_pad = (uint8_t)(sizeof("mm_page_alloc_zone_locked") - 1 -
					 strlen(pmm_trace_kind_name((enum pmm_trace_kind)ev->kind)));
	n = pmm_trace_format_line(buf, sizeof(buf) - 1, ev, w->opts.style, w->opts.kver);
	if (n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2; /* cannot happen: the longest kmem line is ~250 bytes */
	buf[n++] = '\n';
	if (fwrite(buf, 1, n, w->out) != n)
		__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->lines, 1, __ATOMIC_RELAXED);
}

static void page_fields(struct pmm_trace_writer *w, struct pmm_trace_event *ev, unsigned long pfn)
{
	ev->pfn = pfn;
	ev->page = (uint64_t)(uintptr_t)pfn_to_page(w->m, pfn);
	ev->page_fmt = PMM_TRACE_PAGE_HEX16;
}

static void on_alloc(void *ctx, unsigned long pfn, unsigned order, pmm_gfp_t gfp, int mt)
{
	struct pmm_trace_writer *w = ctx;
	struct pmm_trace_event ev = { .kind = PMM_TRACE_MM_PAGE_ALLOC };

	if (pfn == ~0ul) {
		ev.page_fmt = PMM_TRACE_PAGE_NULL;
	} else {
		page_fields(w, &ev, pfn);
	}
	ev.order = (int32_t)order;
	ev.gfp = gfp;
	ev.migratetype = mt;
	emit(w, &ev);
}

static void on_free(void *ctx, unsigned long pfn, unsigned order)
{
	struct pmm_trace_writer *w = ctx;
	struct pmm_trace_event ev = { .kind = PMM_TRACE_MM_PAGE_FREE };

	page_fields(w, &ev, pfn);
	ev.order = (int32_t)order;
	emit(w, &ev);
}

static void on_free_batched(void *ctx, unsigned long pfn)
{
	struct pmm_trace_writer *w = ctx;
	struct pmm_trace_event ev = { .kind = PMM_TRACE_MM_PAGE_FREE_BATCHED };

	page_fields(w, &ev, pfn);
	emit(w, &ev);
}

static void on_zone_locked(void *ctx, unsigned long pfn, unsigned order, int mt, int refill)
{
	struct pmm_trace_writer *w = ctx;
	struct pmm_trace_event ev = { .kind = PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED };

	page_fields(w, &ev, pfn);
	ev.order = (int32_t)order;
	ev.migratetype = mt;
	ev.percpu_refill = refill;
	emit(w, &ev);
}

static void on_pcpu_drain(void *ctx, unsigned long pfn, unsigned order, int mt)
{
	struct pmm_trace_writer *w = ctx;
	struct pmm_trace_event ev = { .kind = PMM_TRACE_MM_PAGE_PCPU_DRAIN };

	page_fields(w, &ev, pfn);
	ev.order = (int32_t)order;
	ev.migratetype = mt;
	emit(w, &ev);
}

static void on_extfrag(void *ctx, unsigned long pfn, int alloc_order, int fallback_order,
		       int alloc_mt, int fallback_mt, int change_ownership)
{
	struct pmm_trace_writer *w = ctx;
	struct pmm_trace_event ev = { .kind = PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG };

	page_fields(w, &ev, pfn);
	ev.order = alloc_order;
	ev.fallback_order = fallback_order;
#pragma push_macro("pageblock_order")
#undef pageblock_order
	ev.pageblock_order = PMM_PAGEBLOCK_ORDER; /* the event's field, not mm_types.h's macro */
#pragma pop_macro("pageblock_order")
	ev.migratetype = alloc_mt;
	ev.fallback_migratetype = fallback_mt;
	ev.fragmenting = fallback_order < PMM_PAGEBLOCK_ORDER;
	ev.change_ownership = change_ownership;
	emit(w, &ev);
}

static const char header[] =
	"# tracer: nop\n"
	"#\n"
	"# pmm: the machine's own kmem events\n"
	"#\n"
	"#                                _-----=> irqs-off/BH-disabled\n"
	"#                               / _----=> need-resched\n"
	"#                              | / _---=> hardirq/softirq\n"
	"#                              || / _--=> preempt-depth\n"
	"#                              ||| / _-=> migrate-disable\n"
	"#                              |||| /     delay\n"
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
	"#              | |         |   |||||     |         |\n";

int pmm_trace_attach(struct pmm *m, FILE *out, const struct pmm_trace_attach_opts *opts,
		     struct pmm_trace_writer **wp)
{
	struct pmm_trace_writer *w;
	unsigned kinds;
	int err;

	if (!m || !out || !wp)
		return -PMM_EINVAL;
	*wp = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -PMM_ENOMEM;
	w->m = m;
	w->out = out;
	if (opts)
		w->opts = *opts;
	if (w->opts.style == PMM_TRACE_STYLE_DAT)
		w->opts.style = PMM_TRACE_STYLE_REPORT;
	kinds = w->opts.kinds ? w->opts.kinds : ~0u;
#define HOOK(kind, field, fn) \
	if (kinds & (1u << (kind))) \
		w->tp.field = fn
	HOOK(PMM_TRACE_MM_PAGE_ALLOC, mm_page_alloc, on_alloc);
	HOOK(PMM_TRACE_MM_PAGE_FREE, mm_page_free, on_free);
	HOOK(PMM_TRACE_MM_PAGE_FREE_BATCHED, mm_page_free_batched, on_free_batched);
	HOOK(PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED, mm_page_alloc_zone_locked, on_zone_locked);
	HOOK(PMM_TRACE_MM_PAGE_PCPU_DRAIN, mm_page_pcpu_drain, on_pcpu_drain);
	HOOK(PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG, mm_page_alloc_extfrag, on_extfrag);
#undef HOOK
	w->t0 = m->plat->clock_ns(m->plat->ctx);
	if (!w->opts.no_header && w->opts.style == PMM_TRACE_STYLE_FTRACE &&
	    fputs(header, out) == EOF)
		w->failed = 1;
	if ((err = tracepoint_register(m, &w->tp, w))) {
		free(w);
		return err;
	}
	*wp = w;
	return 0;
}

int pmm_trace_detach(struct pmm_trace_writer *w)
{
	int failed;

	if (!w)
		return 0;
	tracepoint_unregister(w->m, &w->tp, w);
	failed = w->failed || fflush(w->out) != 0 || ferror(w->out);
	free(w);
	return failed ? -PMM_EIO : 0;
}

uint64_t pmm_trace_writer_lines(const struct pmm_trace_writer *w)
{
	return w ? __atomic_load_n(&w->lines, __ATOMIC_RELAXED) : 0;
}
