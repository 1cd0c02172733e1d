// SPDX-License-Identifier: MIT
/*
 * Trace replay (include/pmm/replay.h): a kernel's kmem events made again on
 * a pmm machine.
 *
 * The trace's pfns are keys of a two-level map (pfnmap.h) whose values are the
 * blocks pmm returned; a free looks its pfn up, and only when that misses
 * does it look for an enclosing allocation (a free of part of a block),
 * which costs one lookup per order.  pmm's own zone_locked / pcpu_drain /
 * extfrag tracepoints are counted by a listener that hooks neither
 * allocation nor free, so the per-CPU fast path stays on.
 *
 * Invariants: every event handled lands in exactly one of: replayed
 * (alloc, free), compared (zone_locked, pcpu_drain, extfrag), marker
 * (phase), lost, or skipped[reason]; so result->events equals the sum of
 * by_kind[] and the parser's counts.
 * Locking: none; one thread drives a replay (replay.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/page_owner.h>
#include <pmm/replay.h>

#include "mm/huge_memory.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "mm/trace.h"
#include "replay/pfnmap.h"

#define DEFAULT_SAMPLE_EVERY 1000
#define DEFAULT_MAX_SAMPLES 4096

/* Trace CPUs whose last page event is kept (higher ones share by modulo). */
#define REPLAY_TRACK_CPUS 1024

struct pmm_replay {
	struct pmm *m;
	bool owned;                  /* the replay booted @m */
	bool keep_zero;              /* honour __GFP_ZERO (else dropped unless someone traces) */
	bool node_of_frame;          /* opts.node_of_frame on a machine of several nodes */
	bool skip_clear_set;         /* we set m->skip_clear; destroy puts it back */
	struct pmm_replay_opts opts;
	struct pmm_replay_result res;
	struct pfnmap map;
	unsigned nr_cpus;
	int cur_cpu;                 /* the trace CPU we act as, -1 = none yet */
	int32_t cur_pid;             /* the task we act as, INT32_MIN = none */
	/*
	 * The kind of each trace CPU's last page event (+1; 0 = none yet), to
	 * tell a drain that a free triggered from one that nothing did.
	 */
	uint8_t last_kind[REPLAY_TRACK_CPUS];
	int32_t drain_cpu;           /* trace CPU of a drain no free triggered, INT32_MIN = none */
	int drain_node;              /* its node */
	bool drain_local;            /* it drained a page of that node (or one of unknown node) */
	bool drain_worker;           /* its task is a kernel worker (kworker/...) */
	char cur_comm[PMM_TRACE_COMM_LEN];
	uint64_t next_sample;        /* event count at which to sample */
	size_t cap_samples, cap_phases;
	uint64_t bytes;              /* decoded input consumed (progress) */
	char errmsg[400];
	struct pmm_tracepoints tp;   /* counts pmm's own zone_locked/pcpu_drain/extfrag */
	bool tp_attached;
};

/* ------------------------------------------------------------ names */

static const char *const skip_names[PMM_REPLAY_SKIP_NR] = {
	"free_untracked", "free_pmm_failed", "free_order_mismatch",
	"alloc_failed_in_trace", "free_batched", "other_event",
};

static const char *const skip_descs[PMM_REPLAY_SKIP_NR] = {
	"free of a frame not allocated in the trace (before tracing began, or by compaction, migration or the bulk allocator)",
	"free of a frame whose allocation pmm refused",
	"free whose order or range does not fit the frame's allocation",
	"allocation that failed in the kernel (pfn=0x0)",
	"mm_page_free_batched: a second line for a free that has its own mm_page_free line",
	"event that is not a kmem page event (compaction, migration, ...)",
};

static const char *const stop_names[] = {
	"not stopped", "end of input", "event limit", "time limit", "stopped by callback",
	"input error",
};

const char *pmm_replay_skip_name(enum pmm_replay_skip why)
{
	return (unsigned)why < PMM_REPLAY_SKIP_NR ? skip_names[why] : NULL;
}

const char *pmm_replay_skip_desc(enum pmm_replay_skip why)
{
	return (unsigned)why < PMM_REPLAY_SKIP_NR ? skip_descs[why] : NULL;
}

const char *pmm_replay_stop_name(enum pmm_replay_stop why)
{
	return (unsigned)why < sizeof(stop_names) / sizeof(stop_names[0]) ? stop_names[why] : NULL;
}

/* ------------------------------------------------------------ free blocks */

double pmm_unusable_index(const unsigned long nr_free[PMM_MAX_ORDER], unsigned order)
{
	unsigned long total = 0, suitable = 0;

	for (unsigned o = 0; o < PMM_MAX_ORDER; o++) {
		total += nr_free[o] << o;
		if (o >= order)
			suitable += nr_free[o] << o;
	}
	if (!total)
		return 0.0;
	return (double)(total - suitable) / (double)total;
}

/* Add @zone's free block counts per order to @nr_free, read under zone->lock. */
static void zone_add_free_counts(struct zone *zone, unsigned long nr_free[PMM_MAX_ORDER])
{
	pmm_lock(&zone->lock);
	for (int o = 0; o < MAX_ORDER; o++)
		nr_free[o] += zone->free_area[o].nr_free;
	pmm_unlock(&zone->lock);
}

size_t pmm_zone_free_blocks(struct pmm *m, struct pmm_replay_zone_free *zones, size_t max)
{
	size_t n = 0;
	int nid;

	for_each_online_node(m, nid) {
		pg_data_t *pgdat = m->node_data[nid];

		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (!populated_zone(zone))
				continue;
			if (n < max) {
				struct pmm_replay_zone_free *zf = &zones[n];

				zf->nid = nid;
				zf->zone = z;
				zf->zone_name = zone_names[z];
				zf->managed_pages = (unsigned long)zone_managed_pages(zone);
				memset(zf->nr_free, 0, sizeof(zf->nr_free));
				zone_add_free_counts(zone, zf->nr_free);
			}
			n++;
		}
	}
	return n;
}

static void machine_free_blocks(struct pmm *m, unsigned long nr_free[PMM_MAX_ORDER])
{
	int nid;

	memset(nr_free, 0, sizeof(unsigned long) * PMM_MAX_ORDER);
	for_each_online_node(m, nid) {
		pg_data_t *pgdat = m->node_data[nid];

		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (!populated_zone(zone))
				continue;
			zone_add_free_counts(zone, nr_free);
		}
	}
}

static int take_sample(struct pmm_replay *r)
{
	struct pmm_replay_result *res = &r->res;
	struct pmm_replay_sample *s;
	size_t max = r->opts.max_samples;

	if (res->nr_samples == max) {
		/* Keep every other sample, newest kept, and sample half as often. */
		size_t j = 0;

		for (size_t i = res->nr_samples & 1; i < res->nr_samples; i += 2)
			res->samples[j++] = res->samples[i];
		res->nr_samples = j;
		res->sample_every *= 2;
	}
	if (res->nr_samples == r->cap_samples) {
		size_t cap = r->cap_samples ? r->cap_samples * 2 : 256;
		void *n;

		if (cap > max)
			cap = max;
		n = realloc(res->samples, cap * sizeof(*res->samples));
		if (!n)
			return -PMM_ENOMEM;
		res->samples = n;
		r->cap_samples = cap;
	}
	s = &res->samples[res->nr_samples++];
	memset(s, 0, sizeof(*s));
	s->event = res->events;
	s->ts_ns = res->last_ts_ns;
	machine_free_blocks(r->m, s->nr_free);
	for (unsigned o = 0; o < PMM_MAX_ORDER; o++)
		s->free_pages += s->nr_free[o] << o;
	s->live_pages = res->alloc_pages - res->free_pages;
	for (unsigned o = 0; o < PMM_MAX_ORDER; o++)
		s->unusable[o] = (float)pmm_unusable_index(s->nr_free, o);
	r->next_sample = res->events + res->sample_every;
	return 0;
}

static int take_phase(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	struct pmm_replay_result *res = &r->res;
	struct pmm_replay_phase *ph;
	size_t nz, len;

	if (res->nr_phases == r->cap_phases) {
		size_t cap = r->cap_phases ? r->cap_phases * 2 : 16;
		void *n = realloc(res->phases, cap * sizeof(*res->phases));

		if (!n)
			return -PMM_ENOMEM;
		res->phases = n;
		r->cap_phases = cap;
	}
	ph = &res->phases[res->nr_phases];
	memset(ph, 0, sizeof(*ph));
	len = ev->text ? ev->text_len : 0;
	if (len >= sizeof(ph->name))
		len = sizeof(ph->name) - 1;
	if (len)
		memcpy(ph->name, ev->text, len);
	ph->event = res->events;
	ph->ts_ns = ev->ts_ns;
	ph->zone_locked_trace = res->zone_locked.trace;
	ph->zone_locked_pmm = res->zone_locked.pmm;
	ph->pcpu_drain_trace = res->pcpu_drain.trace;
	ph->pcpu_drain_pmm = res->pcpu_drain.pmm;
	nz = pmm_zone_free_blocks(r->m, NULL, 0);
	ph->zones = calloc(nz ? nz : 1, sizeof(*ph->zones));
	if (!ph->zones)
		return -PMM_ENOMEM;
	ph->nr_zones = pmm_zone_free_blocks(r->m, ph->zones, nz);
	res->nr_phases++;
	return 0;
}

/* ------------------------------------------------------------ pmm's own events */

static void count_zone_locked(void *ctx, unsigned long pfn, unsigned order, int mt, int refill)
{
	(void)pfn, (void)order, (void)mt, (void)refill;
	((struct pmm_replay *)ctx)->res.zone_locked.pmm++;
}

static void count_pcpu_drain(void *ctx, unsigned long pfn, unsigned order, int mt)
{
	(void)pfn, (void)order, (void)mt;
	((struct pmm_replay *)ctx)->res.pcpu_drain.pmm++;
}

static void count_extfrag(void *ctx, unsigned long pfn, int alloc_order, int fallback_order,
			  int alloc_mt, int fallback_mt, int change_ownership)
{
	(void)pfn, (void)alloc_order, (void)fallback_order, (void)alloc_mt, (void)fallback_mt,
		(void)change_ownership;
	((struct pmm_replay *)ctx)->res.extfrag.pmm++;
}

/* ------------------------------------------------------------ life cycle */

int pmm_replay_create(struct pmm_replay **out, struct pmm *m, const struct pmm_config *cfg,
		      const struct pmm_replay_opts *opts)
{
	struct pmm_replay *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -PMM_ENOMEM;
	if (opts)
		r->opts = *opts;
	if (!r->opts.sample_every)
		r->opts.sample_every = DEFAULT_SAMPLE_EVERY;
	if (r->opts.max_samples < 2)
		r->opts.max_samples = DEFAULT_MAX_SAMPLES;
	if (!m) {
		struct pmm_config c;

		if (cfg)
			c = *cfg;
		else
			pmm_config_default(&c);
		if (r->opts.page_owner)
			c.page_owner = true;
		if ((err = pmm_create(&c, &m))) {
			free(r);
			return err;
		}
		r->owned = true;
	}
	r->m = m;
	r->nr_cpus = pmm_nr_cpus(m);
	r->cur_cpu = -1;
	r->cur_pid = INT32_MIN;
	r->drain_cpu = INT32_MIN;
	/*
	 * Zeroing frames changes no allocator decision but costs a page fault
	 * and a memset per page; page_owner records keep the trace's flags.
	 */
	r->keep_zero = r->opts.zero_pages || pmm_page_owner_enabled(m);
	r->node_of_frame = r->opts.node_of_frame && m->nr_online_nodes > 1;
	/*
	 * Nor does init_on_alloc's or init_on_free's zeroing, or that of the
	 * __GFP_ZERO kept for page_owner: the machine skips them all while
	 * the replay has it (its page checks stay).
	 */
	if (!r->opts.zero_pages && !m->skip_clear) {
		m->skip_clear = r->skip_clear_set = true;
		pcp_fast_update(m);
	}
	r->res.sample_every = r->opts.sample_every;
	r->res.kver = r->opts.kver;
	r->next_sample = r->opts.sample_every;
	r->tp.mm_page_alloc_zone_locked = count_zone_locked;
	r->tp.mm_page_pcpu_drain = count_pcpu_drain;
	r->tp.mm_page_alloc_extfrag = count_extfrag;
	if ((err = pfnmap_init(&r->map)) || (err = tracepoint_register(m, &r->tp, r)) ||
	    (err = take_sample(r))) {
		pmm_replay_destroy(r);
		return err;
	}
	r->tp_attached = true;
	*out = r;
	return 0;
}

void pmm_replay_destroy(struct pmm_replay *r)
{
	if (!r)
		return;
	if (r->tp_attached)
		tracepoint_unregister(r->m, &r->tp, r);
	if (r->skip_clear_set && !r->owned) {
		r->m->skip_clear = false;
		pcp_fast_update(r->m);
	}
	for (size_t i = 0; i < r->res.nr_phases; i++)
		free(r->res.phases[i].zones);
	free(r->res.phases);
	free(r->res.samples);
	pfnmap_destroy(&r->map);
	if (r->owned)
		pmm_destroy(r->m);
	free(r);
}

const struct pmm_replay_result *pmm_replay_result(const struct pmm_replay *r)
{
	return &r->res;
}

struct pmm *pmm_replay_machine(const struct pmm_replay *r)
{
	return r->m;
}

const char *pmm_replay_errmsg(const struct pmm_replay *r)
{
	return r->errmsg;
}

/* ------------------------------------------------------------ replaying */

static inline void act_as(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	int cpu = ev->cpu < 0 ? 0 : (int)((unsigned)ev->cpu % r->nr_cpus);

	if (cpu != r->cur_cpu) {
		pmm_set_thread_cpu(r->m, cpu);
		r->cur_cpu = cpu;
	}
	/* page_owner records and pmm's own event lines name the traced task and time. */
	if (ev->pid != r->cur_pid || memcmp(ev->comm, r->cur_comm, sizeof(r->cur_comm))) {
		r->cur_pid = ev->pid;
		memcpy(r->cur_comm, ev->comm, sizeof(r->cur_comm));
		r->cur_comm[PMM_TRACE_COMM_LEN - 1] = '\0';
		pmm_set_thread_task(r->m, ev->pid, ev->tgid, r->cur_comm);
	}
	pmm_set_thread_time(r->m, ev->ts_ns);
}

static void release_thread(struct pmm_replay *r)
{
	pmm_set_thread_cpu(r->m, -1);
	pmm_set_thread_task(r->m, -1, -1, NULL);
	pmm_set_thread_time(r->m, UINT64_MAX);
	r->cur_cpu = -1;
	r->cur_pid = INT32_MIN;
}

static inline struct pmm_page *block_page(struct pmm_replay *r, uint64_t val)
{
	return (struct pmm_page *)pfn_to_page(r->m, (unsigned long)pfnmap_val_pfn(val));
}

static void free_block(struct pmm_replay *r, uint64_t val)
{
	unsigned order = pfnmap_val_order(val);

	pmm_free_pages(r->m, block_page(r, val), order);
	r->res.free_pages += 1ul << order;
}

/*
 * The node of the trace's frame @pfn on the machine (opts node_of_frame,
 * on a machine of several nodes that has the frame), else PMM_NUMA_NO_NODE:
 * the node an allocation prefers, and what tells a drain's pages local.
 */
static int frame_node(const struct pmm_replay *r, uint64_t pfn)
{
	const struct pmm_page *page;

	if (likely(!r->node_of_frame) || pfn > ULONG_MAX)
		return PMM_NUMA_NO_NODE;
	page = pmm_pfn_to_page(r->m, (unsigned long)pfn);
	return page ? pmm_page_nid(page) : PMM_NUMA_NO_NODE;
}

static int replay_alloc(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	unsigned order = (unsigned)ev->order;
	struct pmm_replay_result *res = &r->res;
	uint64_t *s;
	struct pmm_page *page;
	pmm_gfp_t gfp;
	int nid;
	uint64_t flags = (ev->gfp & PMM___GFP_COMP) && order ? PFNMAP_COMPOUND : 0;

	/*
	 * The kernel prints a failed allocation as pfn=0x0 with a NULL page;
	 * a machine whose pfn 0 is memory (pmm's own output) prints a real page.
	 */
	if (unlikely(ev->pfn == 0) && (ev->page == 0 || ev->page_fmt == PMM_TRACE_PAGE_PTRVAL)) {
		res->trace_alloc_failed[order]++;
		res->skipped[PMM_REPLAY_SKIP_ALLOC_TRACE_FAILED]++;
		return 0;
	}
	s = pfnmap_find(&r->map, ev->pfn);
	if (unlikely(s != NULL)) {
		/* The trace lost this frame's free; the kernel has freed it. */
		if (!(*s & PFNMAP_FAILED)) {
			free_block(r, *s);
			res->implied_frees++;
		}
		pfnmap_remove(s);
	}
	act_as(r, ev);
	/*
	 * Bits above the 6.1 allocator's (a number in the trace: lockdep's
	 * or KASAN's on kernels built with them) decide nothing here, and
	 * the kernel took them: drop them rather than have pmm refuse.
	 * __GFP_NOFAIL would wait for ever on a machine that has too little
	 * (nothing else runs to free memory): such a request fails here and
	 * is counted with the others.
	 */
	gfp = ev->gfp & PMM___GFP_BITS_MASK & ~(pmm_gfp_t)PMM___GFP_NOFAIL;
	/* Another listener (pmm_trace_attach()) prints the flags: keep them exact. */
	if (!r->keep_zero && r->m->nr_tp_listeners < 2)
		gfp &= ~(pmm_gfp_t)PMM___GFP_ZERO;
	nid = frame_node(r, ev->pfn);
	if (nid == PMM_NUMA_NO_NODE)
		page = pmm_alloc_pages(r->m, gfp, order);
	else
		page = pmm_alloc_pages_node(r->m, nid, gfp, order);
	if (unlikely(!page)) {
		res->alloc_failed[order]++;
		return pfnmap_put(&r->map, ev->pfn, pfnmap_val(0, order, PFNMAP_FAILED));
	}
	res->allocs++;
	res->alloc_pages += 1ul << order;
	if (unlikely(pfnmap_put(&r->map, ev->pfn, pfnmap_val(pmm_page_to_pfn(r->m, page), order, flags)))) {
		pmm_free_pages(r->m, page, order);
		res->allocs--;
		res->alloc_pages -= 1ul << order;
		return -PMM_ENOMEM;
	}
	return 0;
}

/*
 * A free of [pfn, pfn + 2^order) inside the block at trace pfn @base:
 * split the block into order-0 pages, free those in the range and keep the
 * others in the map, one entry per page.
 */
static int free_part(struct pmm_replay *r, uint64_t *s, uint64_t base, uint64_t pfn,
		     unsigned order)
{
	uint64_t val = *s;
	unsigned border = pfnmap_val_order(val);
	unsigned long first = (unsigned long)pfnmap_val_pfn(val), nr = 1ul << border;
	uint64_t lo = pfn - base, hi = lo + (1ull << order);
	struct page *head = pfn_to_page(r->m, first);

	if (hi > nr) {
		r->res.skipped[PMM_REPLAY_SKIP_FREE_ORDER]++;
		return 0;
	}
	if (split_compound_page(r->m, head, border)) {
		r->res.skipped[PMM_REPLAY_SKIP_FREE_ORDER]++;
		return 0;
	}
	r->res.splits++;
	pfnmap_remove(s);
	for (unsigned long i = 0; i < nr; i++) {
		if (i >= lo && i < hi) {
			pmm_free_pages(r->m, (struct pmm_page *)(head + i), 0);
			r->res.free_pages++;
		} else if (pfnmap_put(&r->map, base + i, pfnmap_val(first + i, 0, 0))) {
			return -PMM_ENOMEM;
		}
	}
	r->res.frees++;
	r->res.partial_frees++;
	return 0;
}

static int replay_free(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	unsigned order = (unsigned)ev->order;
	struct pmm_replay_result *res = &r->res;
	uint64_t *s = pfnmap_find(&r->map, ev->pfn);

	if (likely(s != NULL)) {
		uint64_t val = *s;
		unsigned aorder = pfnmap_val_order(val);

		if (unlikely(val & PFNMAP_FAILED)) {
			pfnmap_remove(s);
			res->skipped[PMM_REPLAY_SKIP_FREE_PMM_FAILED]++;
			return 0;
		}
		if (likely(aorder == order)) {
			pfnmap_remove(s);
			act_as(r, ev);
			free_block(r, val);
			res->frees++;
			return 0;
		}
		if (order > aorder) {
			res->skipped[PMM_REPLAY_SKIP_FREE_ORDER]++;
			return 0;
		}
		act_as(r, ev);
		return free_part(r, s, ev->pfn, ev->pfn, order);
	}
	/* Part of a larger block? Its head is aligned to the block's order. */
	for (unsigned k = 1; k < PMM_MAX_ORDER; k++) {
		uint64_t base = ev->pfn & ~((1ull << k) - 1);

		if (base == ev->pfn)
			continue;
		s = pfnmap_find(&r->map, base);
		if (!s || pfnmap_val_order(*s) < k)
			continue;
		if (*s & PFNMAP_FAILED) {
			res->skipped[PMM_REPLAY_SKIP_FREE_PMM_FAILED]++;
			return 0;
		}
		act_as(r, ev);
		return free_part(r, s, base, ev->pfn, order);
	}
	res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED]++;
	return 0;
}

/*
 * The end of a drain that replay_drain() started (pmm_replay_event() calls
 * it at the first event that does not continue it): drain every CPU's lists
 * if it was one that pmm replays.
 */
static void end_drain(struct pmm_replay *r)
{
	if (r->drain_cpu == INT32_MIN)
		return;
	/* The thread still acts as the drain's CPU: no other event came in between. */
	if (r->drain_local || !r->drain_worker) {
		pmm_drain_all(r->m);
		r->res.explicit_drains++;
	}
	r->drain_cpu = INT32_MIN;
}

/*
 * A per-CPU list drain.  One that follows a free on the same CPU is the
 * free's own (count reached high): pmm's free makes its own.  The first
 * drain line after anything else starts a drain that no free triggered:
 * drain_all_pages() (reading /proc/pagetypeinfo with page_owner on, memory
 * isolation, direct reclaim that failed) or drain_local_pages()
 * (compaction), and pmm drains every CPU's lists too; or, on a machine of
 * several nodes, vmstat_update() giving back batches of remote zones'
 * pages that sat unused for three seconds, which pmm does not model.
 * With node_of_frame the two are told apart when the drain ends: the
 * latter runs in a kernel worker (mm_percpu_wq) and drained no page of
 * its CPU's own node.
 */
static void replay_drain(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	uint8_t last = r->last_kind[(unsigned)ev->cpu % REPLAY_TRACK_CPUS];
	int nid;

	if (r->drain_cpu == ev->cpu) { /* the drain goes on */
		nid = frame_node(r, ev->pfn);
		if (nid == PMM_NUMA_NO_NODE || nid == r->drain_node)
			r->drain_local = true;
		return;
	}
	if (last == PMM_TRACE_MM_PAGE_FREE + 1 || last == PMM_TRACE_MM_PAGE_FREE_BATCHED + 1 ||
	    last == PMM_TRACE_MM_PAGE_PCPU_DRAIN + 1)
		return;
	act_as(r, ev);
	r->drain_cpu = ev->cpu;
	r->drain_worker = strncmp(ev->comm, "kworker/", 8) == 0;
	r->drain_node = cpu_to_node(r->m, (unsigned)r->cur_cpu);
	nid = frame_node(r, ev->pfn);
	r->drain_local = nid == PMM_NUMA_NO_NODE || nid == r->drain_node;
}

static int bad_event(struct pmm_replay *r, const char *fmt, long long v)
{
	snprintf(r->errmsg, sizeof(r->errmsg), fmt, v);
	return -PMM_EBADMSG;
}

/* Events the machine cannot take, whatever the parser accepted. */
static int check_event(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	switch (ev->kind) {
	case PMM_TRACE_MM_PAGE_ALLOC:
	case PMM_TRACE_MM_PAGE_FREE:
		if (ev->order < 0 || ev->order >= PMM_MAX_ORDER)
			return bad_event(r, "order %lld is outside 0..10", (long long)ev->order);
		if (ev->pfn >= PFNMAP_KEY_LIMIT)
			return bad_event(r, "pfn 0x%llx is beyond a 64-bit physical address space (52-bit pfns)",
					 (long long)ev->pfn);
		return 0;
	default:
		return ev->kind < PMM_TRACE_NR_KINDS ? 0 : bad_event(r, "unknown event kind %lld", (long long)ev->kind);
	}
}

int pmm_replay_event(struct pmm_replay *r, const struct pmm_trace_event *ev)
{
	struct pmm_replay_result *res = &r->res;
	int err;

	if (unlikely(r->opts.max_events && res->events >= r->opts.max_events)) {
		res->stop = PMM_REPLAY_STOP_EVENTS;
		return 1;
	}
	if (unlikely(r->opts.until_ns && ev->kind != PMM_TRACE_LOST && ev->ts_ns > r->opts.until_ns)) {
		res->stop = PMM_REPLAY_STOP_UNTIL;
		return 1;
	}
	if (unlikely((err = check_event(r, ev))))
		return err;
	if (unlikely(res->events == 0))
		res->first_ts_ns = ev->ts_ns;
	if (ev->kind != PMM_TRACE_LOST)
		res->last_ts_ns = ev->ts_ns;
	if (unlikely(r->drain_cpu != INT32_MIN) &&
	    (ev->kind != PMM_TRACE_MM_PAGE_PCPU_DRAIN || ev->cpu != r->drain_cpu))
		end_drain(r);
	switch (ev->kind) {
	case PMM_TRACE_MM_PAGE_ALLOC:
		err = replay_alloc(r, ev);
		break;
	case PMM_TRACE_MM_PAGE_FREE:
		err = replay_free(r, ev);
		break;
	case PMM_TRACE_MM_PAGE_FREE_BATCHED:
		res->skipped[PMM_REPLAY_SKIP_FREE_BATCHED]++;
		break;
	case PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED:
		res->zone_locked.trace++;
		break;
	case PMM_TRACE_MM_PAGE_PCPU_DRAIN:
		res->pcpu_drain.trace++;
		replay_drain(r, ev);
		break;
	case PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG:
		res->extfrag.trace++;
		break;
	case PMM_TRACE_PHASE:
		err = take_phase(r, ev);
		if (!err)
			err = take_sample(r);
		break;
	case PMM_TRACE_LOST:
		res->lost_events += ev->lost;
		break;
	default:
		res->skipped[PMM_REPLAY_SKIP_OTHER]++;
		break;
	}
	if (unlikely(err))
		return err;
	if (ev->kind <= PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG)
		r->last_kind[(unsigned)ev->cpu % REPLAY_TRACK_CPUS] = (uint8_t)(ev->kind + 1);
	res->by_kind[ev->kind]++;
	if (unlikely(ev->old_name))
		res->by_old_name[ev->kind]++;
	res->events++;
	if (unlikely(res->events >= r->next_sample) && (err = take_sample(r)))
		return err;
	if (unlikely(r->opts.every && r->opts.progress && res->events % r->opts.every == 0) &&
	    r->opts.progress(r->opts.ctx, res, r->bytes)) {
		res->stop = PMM_REPLAY_STOP_CALLBACK;
		return 1;
	}
	return 0;
}

static uint64_t now_ns(struct pmm_replay *r)
{
	return r->m->plat->clock_ns(r->m->plat->ctx);
}

int pmm_replay_parser(struct pmm_replay *r, struct pmm_trace_parser *p, const char *name)
{
	struct pmm_replay_result *res = &r->res;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	uint64_t t0 = now_ns(r), lines0, pfn_bytes0, unrendered0[PMM_TRACE_NR_KINDS];
	int ret = 0, err;

	r->errmsg[0] = '\0';
	res->stop = PMM_REPLAY_STOP_NONE;
	res->kver = pmm_trace_kver(p);
	pmm_trace_get_stats(p, &st);
	lines0 = st.lines;
	pfn_bytes0 = st.pfn_bytes;
	memcpy(unrendered0, st.unrendered, sizeof(unrendered0));
	for (;;) {
		err = pmm_trace_next(p, &ev);
		if (unlikely(err <= 0)) {
			if (err == 0) {
				res->stop = PMM_REPLAY_STOP_END;
				break;
			}
			if (r->opts.keep_going &&
			    (err == -PMM_EBADMSG || err == -PMM_ERANGE || err == -PMM_E2BIG)) {
				res->parse_errors++;
				if (!r->errmsg[0])
					snprintf(r->errmsg, sizeof(r->errmsg), "%s", pmm_trace_errmsg(p));
				continue;
			}
			snprintf(r->errmsg, sizeof(r->errmsg), "%s", pmm_trace_errmsg(p));
			if (err == -PMM_EBADMSG || err == -PMM_ERANGE || err == -PMM_E2BIG)
				res->parse_errors++;
			res->stop = PMM_REPLAY_STOP_ERROR;
			ret = err;
			break;
		}
		/* Fresh input position for the progress callback this event triggers. */
		if (unlikely(r->opts.every && (res->events + 1) % r->opts.every == 0)) {
			pmm_trace_get_stats(p, &st);
			r->bytes = st.bytes;
		}
		err = pmm_replay_event(r, &ev);
		if (likely(err == 0))
			continue;
		if (err == 1)
			break;
		if (err == -PMM_EBADMSG) {
			char why[160];

			pmm_trace_get_stats(p, &st);
			memcpy(why, r->errmsg, sizeof(why) - 1);
			why[sizeof(why) - 1] = '\0';
			snprintf(r->errmsg, sizeof(r->errmsg), "%s:%llu: %s", name ? name : "<trace>",
				 (unsigned long long)st.lines, why);
			if (r->opts.keep_going) {
				res->parse_errors++;
				continue;
			}
			res->parse_errors++;
		} else {
			snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s", name ? name : "<trace>",
				 pmm_strerror(err));
		}
		res->stop = PMM_REPLAY_STOP_ERROR;
		ret = err;
		break;
	}
	pmm_trace_get_stats(p, &st);
	r->bytes = st.bytes;
	res->lines += st.lines - lines0;
	res->pfn_bytes += st.pfn_bytes - pfn_bytes0;
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++)
		res->unrendered[k] += st.unrendered[k] - unrendered0[k];
	release_thread(r);
	res->elapsed_s += (double)(now_ns(r) - t0) / 1e9;
	res->events_per_s = res->elapsed_s > 0 ? (double)res->events / res->elapsed_s : 0;
	if (r->opts.progress && res->stop != PMM_REPLAY_STOP_CALLBACK)
		r->opts.progress(r->opts.ctx, res, r->bytes);
	return ret;
}

int pmm_replay_file(struct pmm_replay *r, const char *path)
{
	struct pmm_trace_opts topts = { .kver = r->opts.kver,
					.kver_from_file = r->opts.kver_from_file };
	struct pmm_trace_parser *p;
	int err;

	topts.errbuf = r->errmsg;
	topts.errbuf_size = sizeof(r->errmsg);
	r->errmsg[0] = '\0';
	err = pmm_trace_open(&p, path, &topts);
	if (err) {
		if (!r->errmsg[0])
			snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s", path, pmm_strerror(err));
		r->res.stop = PMM_REPLAY_STOP_ERROR;
		return err;
	}
	err = pmm_replay_parser(r, p, strcmp(path, "-") ? path : "<stdin>");
	pmm_trace_close(p);
	return err;
}

int pmm_replay_finish(struct pmm_replay *r)
{
	struct pmm_replay_result *res = &r->res;
	int err;

	end_drain(r);
	release_thread(r);
	res->live_blocks = 0;
	res->live_pages = 0;
	pfnmap_for_each(&r->map, v) {
		if (*v & PFNMAP_FAILED)
			continue;
		res->live_blocks++;
		res->live_pages += 1ul << pfnmap_val_order(*v);
	}
	if (res->nr_samples == 0 || res->samples[res->nr_samples - 1].event != res->events)
		if ((err = take_sample(r)))
			return err;
	res->validate = pmm_validate(r->m, res->validate_msg, sizeof(res->validate_msg));
	if (!res->validate)
		res->validate_msg[0] = '\0';
	return res->validate;
}
