/* SPDX-License-Identifier: MIT */
/*
 * The machine (struct pmm) and the functions the mm files share.
 *
 * struct pmm holds everything a booted machine is: no global state exists,
 * so machines in one process never see each other.
 *
 * Locking overview:
 *   zone->lock        free lists, buddy state, highatomic reserve of a zone
 *   pcp->lock         one CPU's per-CPU lists (see pcp.h)
 *   m->sysctl_lock    watermarks, lowmem_reserve, pcp high/batch updates
 *   m->hotplug_lock   memory hotplug (add/online/offline/remove of sections,
 *                     memory_hotplug.c) and the reports that walk zone spans;
 *                     page_ext readers use RCU
 * Order: hotplug_lock -> sysctl_lock -> pcp->lock -> zone->lock.
 */
#ifndef PMM_MM_INTERNAL_H
#define PMM_MM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pmm/config.h>
#include <pmm/gfp.h>
#include <pmm/pmm.h>
#include <pmm/vmemmap.h>

#include "mm/mm_types.h"
#include "mm/mmzone.h"
#include "platform/fastclock.h"
#include "platform/lock.h"
#include "platform/rcu.h"

struct page_owner_state;
struct page_reporting;
struct fail_page_alloc;
struct page_ext_state;

#define PMM_HIDDEN __attribute__((visibility("hidden")))

#define MAX_NUMNODES PMM_MAX_NUMNODES
#define INIT_MEMBLOCK_REGIONS 256

struct memblock_region {
	uint64_t base;
	uint64_t size;
	int nid;
};

struct memblock_type {
	unsigned long cnt;
	uint64_t total_size;
	struct memblock_region regions[INIT_MEMBLOCK_REGIONS];
	const char *name;
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
	uint64_t current_limit;
};

#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((uint64_t)(x) << PAGE_SHIFT)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Rate limiting, as the kernel's ratelimit_state (interval in ns). */
struct ratelimit {
	uint64_t interval;
	int burst;
	int printed;
	unsigned long missed;
	uint64_t begin;
	int busy;     /* atomic trylock, as ___ratelimit()'s raw_spin_trylock */
};

struct bad_page_state {
	struct pmm_lock lock;
	unsigned long nr_shown;     /* in the current 60 s window */
	unsigned long nr_unshown;
	uint64_t resume;            /* end of the window */
	unsigned long total;        /* every bad page ever detected */
};

struct pmm {
	const struct pmm_platform *plat;
	struct pmm_config cfg;
	unsigned nr_cpus;

	/* "Physical" memory: pfn p lives at mem + (p << PAGE_SHIFT). */
	char *mem;
	size_t mem_size;
	unsigned long max_pfn;          /* one past the highest pfn of memory (the end of
					   memblock's last region, so it follows memory
					   hotplug both ways; atomic) */
	unsigned long max_possible_pfn; /* end of the physical address span: max_pfn
					   at boot, or maxmem= (section-aligned) */
	struct pmm_memfile memfile;     /* file-backed memory (handle NULL if none):
					   physical address p at file offset p */
	bool mem_borrowed;              /* PMM_BACKEND_MEMORY: the embedder's, not released */

	/* Memmap: struct page of pfn p is vmemmap[p]. */
	struct page *vmemmap;
	size_t vmemmap_size;
	/*
	 * memmap=altmap: one vmem_altmap per section (index: section number);
	 * alloc is the number of the section's first frames holding its memmap,
	 * 0 when the section's memmap comes from the host.  NULL otherwise.
	 */
	struct pmm_vmem_altmap *altmaps;
	unsigned long nr_self_hosted;   /* sections with alloc > 0 */

	struct memblock memblock;

	/* Sparse sections: roots of SECTIONS_PER_ROOT sections, allocated on use. */
	struct mem_section **mem_section;
	unsigned long nr_mem_sections;  /* sections covering [0, max_possible_pfn) */
	unsigned long nr_section_roots;

	int nr_node_ids;                /* highest node id + 1 */
	/*
	 * Each online node's fallback order (build_all_zonelists(), under
	 * the hotplug lock; read by numa_mem_id() without it): itself, then
	 * the nodes with memory.
	 */
	int8_t node_order[MAX_NUMNODES][MAX_NUMNODES];
	uint8_t node_order_nr[MAX_NUMNODES];
	bool zonelists_built;           /* after boot's first build_all_zonelists() */
	unsigned long named_nodes;      /* nodes node_cpus= puts a CPU on (constant) */
	unsigned long node_online_map;  /* bit per node with memory */
	int nr_online_nodes;            /* its population count */
	/*
	 * Check every page of a block on free and allocation, not only the
	 * first (Linux 6.3+'s check_pages_enabled: on with poisoning,
	 * init_on_alloc/free or debug_pagealloc).
	 */
	bool check_pages;
	/* debug_guardpage_minorder in effect: 0 unless debug_pagealloc is on (init_debug_guardpage()). */
	unsigned guard_minorder;
	pg_data_t *node_data[MAX_NUMNODES];
	unsigned long zone_movable_pfn[MAX_NUMNODES];
	unsigned long arch_zone_lowest_possible_pfn[MAX_NR_ZONES];
	unsigned long arch_zone_highest_possible_pfn[MAX_NR_ZONES];
	int movable_zone;               /* the zone ZONE_MOVABLE takes from */
	int policy_zone;

	/* sysctls (sysctl_lock). */
	struct pmm_lock sysctl_lock;
	int min_free_kbytes;
	int user_min_free_kbytes;
	int watermark_scale_factor;
	int watermark_boost_factor;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	int percpu_pagelist_high_fraction;
	bool page_group_by_mobility_disabled; /* mobility_disabled(); hotplug may flip it */
	unsigned long totalreserve_pages;
	unsigned long vm_total_pages;   /* "Total pages" of the zonelist line */
	unsigned long dma_reserve;

	struct bad_page_state bad_page;
	struct ratelimit warn_alloc_rs;
	/* Embedder callback for every bad page (pfn ~0ul: a foreign pointer). */
	void (*on_bad_page)(void *ctx, unsigned long pfn, const char *reason);
	void *on_bad_page_ctx;
	/* Hooks that extensions (page_owner) fill in; NULL when off. */
	struct {
		void (*dump_page_owner)(struct pmm *m, struct page *page);
		/*
		 * pagetypeinfo's "Number of mixed blocks" row of @zone: per
		 * pageblock migratetype, the blocks holding an allocation of
		 * another migratetype (pagetypeinfo_showmixedcount_print()).
		 * Set when page_owner is on; called without locks, after the
		 * per-CPU lists were drained.
		 */
		void (*mixed_blocks)(struct pmm *m, struct zone *zone,
				     unsigned long count[MIGRATE_TYPES]);
	} debug_hooks;
	/*
	 * Kernel tracepoints (kmem:*); NULL when nobody listens.  With one
	 * listener tp/tp_ctx are its own; with more, tp is a fan-out to
	 * tp_listeners[] (tracepoint.c).  Changed only by
	 * tracepoint_register()/_unregister(), while no other thread uses @m.
	 */
	const struct pmm_tracepoints *tp;
	void *tp_ctx;
	struct tp_listener {
		const struct pmm_tracepoints *tp;
		void *ctx;
	} tp_listeners[4];
	unsigned nr_tp_listeners;
	bool init_on_alloc;
	bool init_on_free;
	/*
	 * Nobody reads the frames' contents (a trace replay): the zeroing of
	 * init_on_alloc, init_on_free and __GFP_ZERO is skipped, and nothing
	 * else they imply (page checks).  Set while no other thread uses @m,
	 * then pcp_fast_update().
	 */
	bool skip_clear;
	enum { PMM_CPU_RSEQ, PMM_CPU_GETCPU, PMM_CPU_PLATFORM } cpu_mode;
	struct page_owner_state *page_owner;   /* NULL when page_owner is off */
	struct page_owner_state *page_owner_pending; /* set up, not yet live */
	/*
	 * page_owner_stack=caller in effect: asked for, and the stacks are
	 * pmm's own walk, which can start at an entry point's frame.  Set
	 * once, before page_owner goes live; the fast paths (pcp_fast_update())
	 * and the hooks (hook_frame()) both go by it.
	 */
	bool page_owner_caller_stacks;
	struct page_ext_state *page_ext;       /* page_ext layout and storage */
	struct page_reporting *reporting;      /* NULL until a reporter registers */
	/*
	 * What frees need of free page reporting, read without the reporter
	 * (page_reporting.c): the smallest order reported (MAX_ORDER while
	 * none is registered), whether a pass is asked for, and since when.
	 */
	unsigned reporting_order;              /* atomic */
	int reporting_state;                   /* atomic */
	uint64_t reporting_requested_at;       /* atomic, machine_clock_ns() */
	/* plat->clock_ns is the host's CLOCK_MONOTONIC: machine_clock_ns() reads it cheaply */
	bool clock_fast;
	struct fail_page_alloc *fail;          /* NULL when fault injection is off */
	struct pmm_mm_ops mm_ops;              /* embedder reclaim/compaction */
	void *mm_ops_ctx;
	struct pmm_lock hotplug_lock;
	struct pmm_rcu rcu;                    /* page_ext storage and the reporter */
	struct pmm_hugetlb *hugetlb;           /* the huge page pools (hugetlb.c) */
	int warned_nofail;                     /* WARN_ON_ONCE state, warn_once_nofail() */
	/*
	 * What the per-CPU fast path reads (pcp_fast.h), together on two
	 * cache lines, written only at boot and when a feature is switched.
	 */
	struct pmm_fast {
		bool alloc;                    /* no feature needs the full path on alloc */
		bool free;                     /* ... on free */
		/*
		 * The leaf paths' CPU bound (pcp_fast.h): nr_cpus when
		 * alloc (free) may take them (restartable per-CPU locks in
		 * use, no thread ever pinned itself here), else 0, so that
		 * one compare of the CPU number checks both.
		 */
		unsigned leaf_alloc_cpus, leaf_free_cpus;
		bool pinned;                   /* a thread used pmm_set_thread_cpu() here */
		int rseq;                      /* PCP_RSEQ_* (pcp.h), atomic */
		/*
		 * Work the fast paths add: __GFP_ZERO if init_on_alloc (and not
		 * skip_clear), FAST_EXTRA_CHECKS with page checks on, and
		 * FAST_EXTRA_OWNER for page_owner with caller stacks (pcp.h).
		 */
		pmm_gfp_t extra;
		unsigned nr_cpus;
		/*
		 * Unique in the process for its lifetime (never reused, unlike
		 * the address): what per-thread state (a CPU pin, fail-nth)
		 * names its machine by, so it cannot outlive the machine.
		 */
		uint64_t id;
		ptrdiff_t rseq_offset;         /* glibc's __rseq_offset */
		uintptr_t vmemmap;             /* == m->vmemmap */
		unsigned long nr_sections;     /* entries of section_pb */
		/*
		 * Per section: its pageblock flags while it is online (boot or
		 * hot-added memory), else NULL (memory_hotplug.c clears an
		 * entry before its section goes offline and sets it at online).
		 */
		const unsigned long **section_pb;
		/*
		 * Per CPU and gfp zone index: the lists of the preferred zone
		 * (the first of the CPU's node's zonelist at or below it).
		 */
		struct per_cpu_pages **cpu_pcp; /* [nr_cpus * MAX_NR_ZONES] */
		/* Per page_zone_id(): the zone's per-CPU lists, NULL if none. */
		struct per_cpu_pages **zone_pcp; /* [1 << (NODES_SHIFT + ZONES_SHIFT)] */
		/* Per gfp & 0x1f: gfp zone index << 2 | migratetype, -1 for the full path. */
		signed char gfp[32];
	} fast __attribute__((aligned(CACHELINE)));
	struct pmm_lock fast_lock;             /* serialises pcp_fast_update() */
	bool fail_nth_used;                    /* a thread asked for fail-nth here */
	/* Extensions (page_ext clients) hook into boot and teardown. */
	int (*early_ext)(struct pmm *m);        /* before the hand-over (stack depot) */
	int (*setup_ext)(struct pmm *m);
	void (*teardown_ext)(struct pmm *m);

};

/* Mobility grouping off (a tiny machine); read racily, as memory hotplug may change it. */
static inline bool mobility_disabled(const struct pmm *m)
{
	return __atomic_load_n(&m->page_group_by_mobility_disabled, __ATOMIC_RELAXED);
}

/*
 * The machine's clock (plat->clock_ns), in nanoseconds: where that is the
 * host's CLOCK_MONOTONIC, the cheap per-thread reading of it
 * (fastclock.h), which two threads may see a few microseconds apart: take
 * differences of two readings as signed.
 */
static inline uint64_t machine_clock_ns(const struct pmm *m)
{
#ifndef PMM_FREESTANDING
	if (likely(m->clock_fast))
		return pmm_clock_fast_ns();
#endif
	return m->plat->clock_ns(m->plat->ctx);
}

/* ------------------------------------------------------------ logging */
PMM_HIDDEN void pmm_printk(struct pmm *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
PMM_HIDDEN void pmm_vprintk(struct pmm *m, int level, const char *fmt, va_list ap);
#define pr_emerg(m, ...) pmm_printk(m, PMM_LOG_EMERG, __VA_ARGS__)
#define pr_alert(m, ...) pmm_printk(m, PMM_LOG_ALERT, __VA_ARGS__)
#define pr_err(m, ...) pmm_printk(m, PMM_LOG_ERR, __VA_ARGS__)
#define pr_warn(m, ...) pmm_printk(m, PMM_LOG_WARNING, __VA_ARGS__)
#define pr_info(m, ...) pmm_printk(m, PMM_LOG_INFO, __VA_ARGS__)
#define pr_debug(m, ...) pmm_printk(m, PMM_LOG_DEBUG, __VA_ARGS__)
PMM_HIDDEN bool ratelimit_ok(struct pmm *m, struct ratelimit *rs);

/* Bookkeeping memory from the platform (not from the machine's frames). */
PMM_HIDDEN void *pmm_zalloc(struct pmm *m, size_t size);
PMM_HIDDEN void pmm_free(struct pmm *m, void *p, size_t size);

/* ------------------------------------------------------------ memblock */
PMM_HIDDEN int memblock_setup(struct pmm *m);
PMM_HIDDEN int memblock_add(struct memblock_type *t, uint64_t base, uint64_t size, int nid);
PMM_HIDDEN int memblock_remove_range(struct memblock_type *t, uint64_t base, uint64_t size);
PMM_HIDDEN unsigned long memblock_end_pfn(const struct pmm *m);
PMM_HIDDEN int memblock_reserve(struct pmm *m, uint64_t base, uint64_t size);
PMM_HIDDEN bool memblock_is_reserved(const struct pmm *m, uint64_t addr);
/* @addr is in memblock.memory (boot, or with hotplug_lock: hotplug changes it). */
PMM_HIDDEN bool memblock_is_memory(const struct pmm *m, uint64_t addr);
PMM_HIDDEN uint64_t memblock_phys_alloc(struct pmm *m, uint64_t size, uint64_t align, int nid);
PMM_HIDDEN unsigned long memblock_reserved_pages_in(const struct pmm *m, unsigned long spfn,
						    unsigned long epfn);
PMM_HIDDEN unsigned long memblock_present_pages_in(const struct pmm *m, int nid,
						   unsigned long spfn, unsigned long epfn);
PMM_HIDDEN void get_pfn_range_for_nid(const struct pmm *m, int nid, unsigned long *start,
				      unsigned long *end);

/* ------------------------------------------------------------ physical memory */
PMM_HIDDEN int physmem_init(struct pmm *m);
PMM_HIDDEN void physmem_release(struct pmm *m);
PMM_HIDDEN int physmem_discard(struct pmm *m, unsigned long pfn, unsigned long nr);
/* Hotplug: commit (and place) / give back the memory of [pfn, pfn + nr). */
PMM_HIDDEN int physmem_add_range(struct pmm *m, unsigned long pfn, unsigned long nr, int nid);
PMM_HIDDEN void physmem_remove_range(struct pmm *m, unsigned long pfn, unsigned long nr);
PMM_HIDDEN const char *physmem_backend_name(const struct pmm *m);

/* ------------------------------------------------------------ sparse + vmemmap */
PMM_HIDDEN int sparse_init(struct pmm *m);
PMM_HIDDEN void sparse_teardown(struct pmm *m);
PMM_HIDDEN struct mem_section *pfn_to_section(const struct pmm *m, unsigned long pfn);
static inline struct mem_section *nr_to_section(const struct pmm *m, unsigned long nr)
{
	struct mem_section *root;

	if (nr >= m->nr_mem_sections)
		return NULL;
	root = m->mem_section[nr / SECTIONS_PER_ROOT];
	return root ? &root[nr % SECTIONS_PER_ROOT] : NULL;
}
PMM_HIDDEN bool pfn_valid(const struct pmm *m, unsigned long pfn);
PMM_HIDDEN int vmemmap_reserve(struct pmm *m);
PMM_HIDDEN int vmemmap_populate_range(struct pmm *m, unsigned long spfn, unsigned long nr);
PMM_HIDDEN int vmemmap_populate_self_hosted(struct pmm *m, unsigned long nr, int nid);
PMM_HIDDEN void vmemmap_depopulate_range(struct pmm *m, unsigned long spfn, unsigned long nr);
/* NUMA placement of the memmap (config host_node=): place, then verify once written. */
PMM_HIDDEN int host_node_of(const struct pmm *m, int nid);
PMM_HIDDEN void vmemmap_place(struct pmm *m, unsigned long spfn, unsigned long nr, int nid);
PMM_HIDDEN void vmemmap_verify(struct pmm *m, unsigned long spfn, unsigned long nr, int nid);
PMM_HIDDEN void vmemmap_verify_boot(struct pmm *m);
/* Hotplug of one section (sparse.c); the hotplug lock is held. */
PMM_HIDDEN int sparse_add_section(struct pmm *m, unsigned long nr, int nid);
PMM_HIDDEN void sparse_remove_section(struct pmm *m, unsigned long nr);
/* The page of @pfn if its section is online and it has a memmap, else NULL. */
PMM_HIDDEN struct page *pfn_to_online_page(const struct pmm *m, unsigned long pfn);
PMM_HIDDEN void vmemmap_release(struct pmm *m);
/* Pfns at the start of section @nr that hold its own memmap (memmap=altmap), or 0. */
static inline unsigned long section_vmemmap_pages(const struct pmm *m, unsigned long nr)
{
	return m->altmaps ? m->altmaps[nr].alloc + m->altmaps[nr].align : 0;
}

static inline struct page *pfn_to_page(const struct pmm *m, unsigned long pfn)
{
	return m->vmemmap + pfn;
}
static inline unsigned long page_to_pfn(const struct pmm *m, const struct page *p)
{
	return (unsigned long)(p - m->vmemmap);
}
static inline void *page_address(const struct pmm *m, const struct page *p)
{
	return m->mem + ((uint64_t)page_to_pfn(m, p) << PAGE_SHIFT);
}
static inline struct zone *page_zone(const struct pmm *m, const struct page *p)
{
	return &m->node_data[page_to_nid(p)]->node_zones[page_zonenum(p)];
}
/*
 * The zone of @page while other threads may own it and rewrite the low
 * bits of its flags at any time: the node and zone bits never change while
 * the memmap exists, so the read is racy on purpose (the kernel's
 * data_race()).  Out of line (debug.c) and never inlined, so that
 * ThreadSanitizer skips exactly this read and not the caller's.
 */
PMM_HIDDEN struct zone *page_zone_racy(const struct pmm *m, const struct page *page);
/* True if @p points at a struct page of a present frame of @m. */
PMM_HIDDEN bool page_is_ours(const struct pmm *m, const void *p);

/* Pageblock flags (lockless read, cmpxchg update). */
PMM_HIDDEN unsigned long get_pfnblock_flags_mask(const struct pmm *m, unsigned long pfn,
						 unsigned long mask);
PMM_HIDDEN void set_pfnblock_flags_mask(struct pmm *m, unsigned long flags, unsigned long pfn,
					unsigned long mask);
static inline int get_pfnblock_migratetype(const struct pmm *m, unsigned long pfn)
{
	return (int)get_pfnblock_flags_mask(m, pfn, MIGRATETYPE_MASK);
}
static inline int get_pageblock_migratetype(const struct pmm *m, const struct page *p)
{
	return get_pfnblock_migratetype(m, page_to_pfn(m, p));
}
PMM_HIDDEN void set_pageblock_migratetype(struct pmm *m, struct page *p, int mt);
/*
 * The migratetype, read with acquire order: what was written to the memmap
 * before the type was set (set_pfnblock_flags_mask() releases) is seen.
 */
PMM_HIDDEN int get_pfnblock_migratetype_acquire(const struct pmm *m, unsigned long pfn);

/* ------------------------------------------------------------ init */
PMM_HIDDEN int free_area_init(struct pmm *m);
PMM_HIDDEN void build_all_zonelists(struct pmm *m);
/*
 * late_free=:WHAT's name in a config (@kernel_words false) or in the
 * kernel's "Freeing %s memory" line; NULL for an unnamed range.
 */
PMM_HIDDEN const char *late_free_name(unsigned what, bool kernel_words);
PMM_HIDDEN void memblock_free_all(struct pmm *m);
/* Hand over what memblock_free_all() deferred (deferred_struct_page_init=on). */
PMM_HIDDEN void deferred_init_memmap(struct pmm *m);
PMM_HIDDEN void init_per_zone_wmark_min(struct pmm *m);
/* calculate_normal_threshold(): per-CPU counter drift allowed in a zone of @managed pages. */
PMM_HIDDEN int calculate_normal_threshold(unsigned long managed, unsigned nr_online_cpus);
PMM_HIDDEN void start_stop_khugepaged(struct pmm *m);

/*
 * The free pages khugepaged recommends for @nr_zones populated zones up
 * to Normal (set_recommended_min_free_kbytes(), before its 5%-of-low-
 * memory cap): per zone two free pageblocks for a type to fall back to
 * and nine (three types by three) to keep types apart.
 */
static inline unsigned long khugepaged_recommended_pages(unsigned long nr_zones)
{
	return pageblock_nr_pages * nr_zones * 2 +
	       pageblock_nr_pages * nr_zones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
}
PMM_HIDDEN void setup_per_zone_wmarks(struct pmm *m);
PMM_HIDDEN void setup_per_zone_lowmem_reserve(struct pmm *m);
PMM_HIDDEN void calculate_totalreserve_pages(struct pmm *m);
PMM_HIDDEN unsigned long nr_free_buffer_pages(struct pmm *m);
PMM_HIDDEN void mem_init_print_info(struct pmm *m);
/* memmap_init_range(MEMINIT_HOTPLUG): reserved frames of zone @zi, blocks of type @mt. */
PMM_HIDDEN void memmap_init_hotplug(struct pmm *m, unsigned long start, unsigned long end, int zi,
				    int nid, int mt);
/* The frames of a section's own memmap (memmap=altmap): reserved, self-hosted, UNMOVABLE blocks. */
PMM_HIDDEN void memmap_init_self_hosted(struct pmm *m, unsigned long start, unsigned long end,
					int zi, int nid);
/* Register the extensions this build has (page_ext clients) with @m. */
PMM_HIDDEN int pmm_ext_register(struct pmm *m);
PMM_HIDDEN void pmm_ext_unregister(struct pmm *m);

/* @nid names a node with memory (in node_online_map); any int may be asked. */
static inline bool node_online(const struct pmm *m, int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES &&
	       (__atomic_load_n(&m->node_online_map, __ATOMIC_RELAXED) & (1ul << nid));
}

#define for_each_online_node(m, nid) \
	for (nid = 0; nid < (m)->nr_node_ids; nid++) \
		if ((m)->node_online_map & (1ul << nid))

#endif
