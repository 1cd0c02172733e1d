/* SPDX-License-Identifier: MIT */
/*
 * Replaying a real kernel's kmem trace on a pmm machine.
 *
 * Each traced allocation (mm_page_alloc) is made again on the machine with
 * the trace's order and gfp flags (bits above the 6.1 allocator's, which
 * lockdep or KASAN kernels print, dropped; __GFP_NOFAIL dropped too, as a
 * replay has no one to free memory while a request waits, so page_owner
 * records and event lines show the flags without it; older kernels'
 * flag names read with their 6.1 meaning, as pmm_gfp_parse() says), by the trace's CPU (modulo the machine's
 * CPUs), as the trace's task at the trace's time (what page_owner records
 * and pmm's own event lines of pmm_trace_attach() show), preferring the
 * CPU's node or, with opts.node_of_frame, the node of the kernel's frame; each
 * traced free (mm_page_free) frees the block that the allocation of that
 * trace pfn returned.  pmm chooses its own frames, so the machine's pfns
 * differ from the trace's: what is compared is the allocator's behaviour
 * (free blocks by order, fallbacks, refills, drains) under the same demand.
 *
 * What is not replayed is counted, never fatal:
 *   - frees of frames the trace never allocated (allocated before tracing
 *     began, or by paths that do not trace allocation: compaction and
 *     migration targets, the bulk allocator);
 *   - allocations the trace shows failing (pfn=0x0 with a NULL page);
 *   - allocations pmm refuses (by order: "allocations failed");
 *   - mm_page_free_batched, a second line for a free that has its own
 *     mm_page_free line;
 *   - other events (compaction, migration).
 * mm_page_alloc_zone_locked, mm_page_pcpu_drain and mm_page_alloc_extfrag
 * are counted and compared with pmm's own counts of the same tracepoints;
 * a drain that no free on its CPU triggered (drain_all_pages(), e.g. from
 * reading /proc/pagetypeinfo with page_owner on) also drains every CPU's
 * lists of the machine (explicit_drains).
 * A free of part of a larger allocation (split_page(), a split THP) splits
 * pmm's block once and frees the pieces.  CAPTURE_PHASE markers snapshot the
 * free blocks by order of every zone; every N events the machine-wide free
 * blocks by order are sampled for "fragmentation over time".
 *
 * Thread safety: a replay is used by one thread at a time; it acts as the
 * trace's CPUs and tasks through that thread's pmm_set_thread_cpu(),
 * pmm_set_thread_task() and pmm_set_thread_time() settings.
 */
#ifndef PMM_REPLAY_H
#define PMM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pmm/api.h>
#include <pmm/config.h>
#include <pmm/pmm.h>
#include <pmm/trace.h>

PMM_BEGIN_DECLS

struct pmm_replay;

/* Why an event was not replayed. */
enum pmm_replay_skip {
	PMM_REPLAY_SKIP_FREE_UNTRACKED = 0, /* free of a frame not allocated in the trace */
	PMM_REPLAY_SKIP_FREE_PMM_FAILED,    /* free of a frame whose allocation pmm refused */
	PMM_REPLAY_SKIP_FREE_ORDER,         /* free whose order/range does not fit the allocation */
	PMM_REPLAY_SKIP_ALLOC_TRACE_FAILED, /* mm_page_alloc with pfn=0x0: failed in the kernel */
	PMM_REPLAY_SKIP_FREE_BATCHED,       /* mm_page_free_batched: counted only */
	PMM_REPLAY_SKIP_OTHER,              /* events that are not kmem page events */
	PMM_REPLAY_SKIP_NR
};

/* Why a replay stopped. */
enum pmm_replay_stop {
	PMM_REPLAY_STOP_NONE = 0,  /* not stopped (yet) */
	PMM_REPLAY_STOP_END,       /* end of the input */
	PMM_REPLAY_STOP_EVENTS,    /* max_events reached */
	PMM_REPLAY_STOP_UNTIL,     /* an event later than until_ns */
	PMM_REPLAY_STOP_CALLBACK,  /* the progress callback asked */
	PMM_REPLAY_STOP_ERROR,     /* bad input or a read error */
};

/* Machine-wide free blocks, sampled every sample_every events. */
struct pmm_replay_sample {
	uint64_t event;                        /* events handled before the sample */
	uint64_t ts_ns;                        /* trace time of the last event */
	unsigned long nr_free[PMM_MAX_ORDER];  /* free blocks by order, all zones (buddyinfo sums) */
	unsigned long free_pages;              /* base pages in those blocks */
	unsigned long live_pages;              /* pages the replay holds allocated */
	float unusable[PMM_MAX_ORDER];         /* unusable free space index per order, 0..1 */
};

/* One zone's free blocks by order (a /proc/buddyinfo line). */
struct pmm_replay_zone_free {
	int nid;
	int zone;                              /* zone index: 0 DMA, 1 DMA32, 2 Normal, 3 Movable, 4 Device */
	const char *zone_name;                 /* "DMA", "DMA32", ... (static) */
	unsigned long nr_free[PMM_MAX_ORDER];
	unsigned long managed_pages;
};

/* A CAPTURE_PHASE marker and the machine's free blocks right then. */
struct pmm_replay_phase {
	char name[64];
	uint64_t event;                        /* events handled before the marker */
	uint64_t ts_ns;
	size_t nr_zones;
	struct pmm_replay_zone_free *zones;    /* populated zones, node then zone order */
	/* mm_page_alloc_zone_locked and mm_page_pcpu_drain counted before the marker */
	uint64_t zone_locked_trace, zone_locked_pmm;
	uint64_t pcpu_drain_trace, pcpu_drain_pmm;
};

/* pmm's count and the trace's count of one tracepoint. */
struct pmm_replay_pair {
	uint64_t trace;
	uint64_t pmm;
};

struct pmm_replay_result {
	uint64_t events;                          /* events handled (every kind) */
	uint64_t by_kind[PMM_TRACE_NR_KINDS];     /* events handled, by kind */
	uint64_t allocs;                          /* allocations made on the machine */
	uint64_t alloc_pages;                     /* base pages they took */
	uint64_t frees;                           /* mm_page_free events replayed (blocks freed) */
	uint64_t free_pages;                      /* base pages freed (implied frees included) */
	uint64_t partial_frees;                   /* frees of part of a block (of them, pieces freed) */
	uint64_t splits;                          /* blocks split for partial frees */
	uint64_t implied_frees;                   /* live blocks freed because the trace allocated their pfn again */
	uint64_t skipped[PMM_REPLAY_SKIP_NR];     /* events not replayed, by reason */
	uint64_t alloc_failed[PMM_MAX_ORDER];     /* allocations pmm refused, by order */
	uint64_t trace_alloc_failed[PMM_MAX_ORDER]; /* allocations that failed in the trace, by order */
	uint64_t lost_events;                     /* events the trace says it lost (LOST lines) */
	uint64_t parse_errors;                    /* malformed lines (skipped with keep_going) */
	uint64_t lines;                           /* input lines read (records of a trace.dat) */
	struct pmm_replay_pair zone_locked;       /* mm_page_alloc_zone_locked */
	struct pmm_replay_pair pcpu_drain;        /* mm_page_pcpu_drain */
	struct pmm_replay_pair extfrag;           /* mm_page_alloc_extfrag */
	uint64_t live_blocks;                     /* blocks the replay holds allocated now */
	uint64_t live_pages;
	uint64_t first_ts_ns, last_ts_ns;         /* trace time of the first and last event */
	double elapsed_s;                         /* wall time spent in the replay calls */
	double events_per_s;
	enum pmm_replay_stop stop;
	struct pmm_replay_sample *samples;        /* oldest first */
	size_t nr_samples;
	uint64_t sample_every;                    /* current interval (doubles when samples fill up) */
	struct pmm_replay_phase *phases;
	size_t nr_phases;
	int validate;                             /* pmm_validate() at finish: 0 or -PMM_ECORRUPT */
	char validate_msg[256];
	/*
	 * Drains of every CPU's lists made because the trace drained pages
	 * that no free on that CPU had just pushed past high
	 * (drain_all_pages(), drain_local_pages()).
	 */
	uint64_t explicit_drains;
	/*
	 * The parser's st.unrendered: trace.dat events, by kind, whose
	 * page= and pageblock_order are guesses (libtraceevent's text of
	 * them did not parse).  Nothing the replay does depends on them.
	 */
	uint64_t unrendered[PMM_TRACE_NR_KINDS];
	/*
	 * Of by_kind[]: events under their names before Linux 3.3,
	 * mm_page_free_direct (MM_PAGE_FREE) and mm_pagevec_free
	 * (MM_PAGE_FREE_BATCHED); replayed as the new names are.
	 */
	uint64_t by_old_name[PMM_TRACE_NR_KINDS];
	/*
	 * The parser's st.pfn_bytes: events of a kernel before 4.1 whose pfn
	 * is the struct page's byte offset into the memmap divided by 64 (a
	 * trace.dat's pointer, or pfn= of trace-cmd report / perf script).
	 */
	uint64_t pfn_bytes;
	/*
	 * The kernel whose gfp names the last input was read with
	 * (pmm_trace_kver()): opts.kver, or with opts.kver_from_file the
	 * one a trace.dat names.  Its masks are that kernel's, so reports of
	 * them (pmm_page_owner_dump()) print best with its names.
	 */
	enum pmm_kver kver;
};

struct pmm_replay_opts {
	uint64_t max_events;    /* stop after this many events; 0 = no limit */
	uint64_t until_ns;      /* stop at the first event later than this trace time; 0 = no limit */
	/*
	 * Called every @every events (0 = never) and once at the end; a
	 * non-zero return stops the replay (PMM_REPLAY_STOP_CALLBACK).
	 * @bytes: decoded input bytes consumed so far.
	 */
	uint64_t every;
	int (*progress)(void *ctx, const struct pmm_replay_result *res, uint64_t bytes);
	void *ctx;
	uint64_t sample_every;  /* free blocks sample interval in events; 0 = 1000 */
	size_t max_samples;     /* 0 = 4096; when full, every other sample goes and the interval doubles */
	int page_owner;         /* an owned machine boots with page_owner=on (the config may say so too) */
	int keep_going;         /* count malformed lines and go on instead of stopping */
	/*
	 * Zero the frames' memory as the kernel would: __GFP_ZERO,
	 * init_on_alloc, init_on_free.  Off by default, since it decides
	 * nothing and touches memory: the machine skips that zeroing while
	 * the replay has it (pmm_replay_destroy() turns it back on), and
	 * __GFP_ZERO is dropped from the flags unless page_owner is on or
	 * pmm's own events are written (pmm_trace_attach()), so that records
	 * and lines keep the trace's exact gfp flags.  Page checks that
	 * init_on_alloc/init_on_free imply stay on either way.
	 */
	int zero_pages;
	enum pmm_kver kver;     /* gfp names of the input (6.1 by default) */
	/*
	 * On a machine with the trace's layout (pmm_config_from_capture() of
	 * the same capture) and more than one node: prefer, for each
	 * allocation, the node of the frame the kernel got, not the node of
	 * the trace's CPU.  The trace does not say which node was asked for,
	 * and alloc_pages_node() callers (the ring buffer, per-CPU areas,
	 * kthreads bound to a node) ask for another CPU's; where the kernel
	 * fell back to a remote node, pmm then starts there too.  Frames the
	 * machine does not have keep the CPU's node.  Off by default: on a
	 * machine laid out otherwise the trace's pfns mean nothing.
	 */
	int node_of_frame;
	int kver_from_file;     /* a trace.dat's own kernel decides kver (pmm_trace_opts) */
};

/**
 * pmm_replay_create() - prepare a replay.
 * @out: receives the replay; NULL on error.
 * @m: the machine to replay on (stays the caller's; it must outlive the
 *     replay), or NULL to boot one from @cfg that the replay owns.
 * @cfg: used when @m is NULL; NULL means pmm_config_default().
 * @opts: NULL for the defaults.
 * Return: 0; an error of pmm_create(); -PMM_EBUSY when @m has its maximum
 * of tracepoint listeners; -PMM_ENOMEM.
 * Context: no other thread may use @m while the replay lives.
 */
PMM_API int pmm_replay_create(struct pmm_replay **out, struct pmm *m, const struct pmm_config *cfg,
			      const struct pmm_replay_opts *opts);

/**
 * pmm_replay_file() - replay the trace at @path (ftrace text, trace-cmd
 * report text, plain, zstd, xz or gzip, or a trace.dat; "-" for standard input)
 * until its end or a limit of the options.
 * Return: 0 when the input was read (result->stop says why it ended);
 * the parser's errors otherwise (pmm_trace_open(), pmm_trace_next()), and
 * -PMM_EBADMSG for an event the machine cannot take (an order above the
 * maximum, a pfn beyond 52 bits), with pmm_replay_errmsg() saying
 * "file:line: reason".  With keep_going, malformed lines are counted and
 * skipped and only read errors stop the replay.
 * Context: the calling thread acts as the trace's CPUs and tasks meanwhile;
 * it is restored to itself on return.
 */
PMM_API int pmm_replay_file(struct pmm_replay *r, const char *path);

/**
 * pmm_replay_parser() - as pmm_replay_file(), from an open parser (not
 * closed here); @name is used in messages.
 * Return: as pmm_replay_file(), without its open errors.
 * Context: as pmm_replay_file().
 */
PMM_API int pmm_replay_parser(struct pmm_replay *r, struct pmm_trace_parser *p, const char *name);

/**
 * pmm_replay_event() - replay one event.
 * Return: 0; 1 when a limit says stop (the event was not replayed);
 * -PMM_EBADMSG for an event the machine cannot take (pmm_replay_errmsg()).
 * Context: as pmm_replay_file(), but the thread's CPU, task and time
 * settings stay those of the last event; pmm_replay_finish() restores them.
 */
PMM_API int pmm_replay_event(struct pmm_replay *r, const struct pmm_trace_event *ev);

/**
 * pmm_replay_finish() - end the replay: a last sample, the live counts, and
 * pmm_validate() of the machine.  May be called again after more events.
 * Return: 0 when the machine is consistent, -PMM_ECORRUPT otherwise
 * (result->validate_msg says what is wrong).
 * Context: the replay's thread; walks every zone as pmm_validate() does.
 */
PMM_API int pmm_replay_finish(struct pmm_replay *r);

/**
 * pmm_replay_result() - the counts so far (valid until the replay is destroyed).
 * Return: never NULL.
 * Context: the replay's thread, or any thread once the replay is not
 * running.
 */
PMM_API const struct pmm_replay_result *pmm_replay_result(const struct pmm_replay *r);

/**
 * pmm_replay_machine() - the machine replayed on.
 * Return: never NULL.
 * Context: any; does not sleep.
 */
PMM_API struct pmm *pmm_replay_machine(const struct pmm_replay *r);

/**
 * pmm_replay_errmsg() - "file:line: reason" of the error that stopped the replay, or "".
 * Return: "file:line: reason" for the last error, or "".
 * Context: as pmm_replay_result().
 */
PMM_API const char *pmm_replay_errmsg(const struct pmm_replay *r);

/**
 * pmm_replay_destroy() - detach from the machine and free the replay; an
 * owned machine is destroyed too.  Blocks still allocated on a machine
 * that is the caller's stay allocated.  NULL is ignored.
 * Context: no other thread may use the replay; destroying an owned machine
 * has pmm_destroy()'s contract.
 */
PMM_API void pmm_replay_destroy(struct pmm_replay *r);

/**
 * pmm_replay_skip_name() - "free_untracked", ...; NULL if out of range.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_replay_skip_name(enum pmm_replay_skip why);

/**
 * pmm_replay_skip_desc() - a sentence saying what the reason means; NULL if out of range.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_replay_skip_desc(enum pmm_replay_skip why);

/**
 * pmm_replay_stop_name() - "end of input", ...; NULL if out of range.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_replay_stop_name(enum pmm_replay_stop why);

/**
 * pmm_unusable_index() - the kernel's unusable free space index
 * (debugfs extfrag/unusable_index) for an allocation of @order, given the
 * free blocks by order: the share of free memory in blocks smaller than
 * 2^@order pages.  Return: 0..1 (0 when nothing is free).
 * Context: any; does not sleep.
 */
PMM_API double pmm_unusable_index(const unsigned long nr_free[PMM_MAX_ORDER], unsigned order);

/**
 * pmm_zone_free_blocks() - read the free blocks by order of every populated
 * zone of @m (a /proc/buddyinfo snapshot), node then zone order.
 * @zones, @max: destination.
 * Return: the number of populated zones (which may exceed @max; only @max
 * are written).
 * Context: takes each zone lock briefly.
 */
PMM_API size_t pmm_zone_free_blocks(struct pmm *m, struct pmm_replay_zone_free *zones, size_t max);

PMM_END_DECLS

#endif
