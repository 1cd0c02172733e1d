/* SPDX-License-Identifier: MIT */
/*
 * Zones, free areas, nodes and memory sections (include/linux/mmzone.h).
 *
 * Locking: a zone's free_area[], nr_reserved_highatomic and the buddy state
 * of its pages are guarded by zone->lock, which sits on its own cache line.
 * Watermarks and lowmem_reserve are written under the machine's sysctl lock
 * and read locklessly.  Statistics are atomic counters.
 */
#ifndef PMM_MMZONE_H
#define PMM_MMZONE_H

#include <stdbool.h>
#include <stddef.h>

#include <pmm/config.h>

#include "mm/mm_types.h"
#include "platform/lock.h"

#define CACHELINE 64

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_CMA,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

extern const char *const migratetype_names[MIGRATE_TYPES];

static inline bool is_migrate_isolate(int mt) { return mt == MIGRATE_ISOLATE; }
static inline bool is_migrate_cma(int mt) { return mt == MIGRATE_CMA; }
static inline bool is_migrate_highatomic(int mt) { return mt == MIGRATE_HIGHATOMIC; }
static inline bool is_migrate_movable(int mt) { return mt == MIGRATE_MOVABLE || mt == MIGRATE_CMA; }

enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_MOVABLE,
	ZONE_DEVICE,
	MAX_NR_ZONES
};

extern const char *const zone_names[MAX_NR_ZONES];

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

/* Zone counters, in the order /proc/zoneinfo prints them (6.1). */
enum zone_stat_item {
	NR_FREE_PAGES,
	NR_ZONE_INACTIVE_ANON,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,
	NR_MLOCK,
	NR_BOUNCE,
	NR_FREE_CMA_PAGES,
	NR_VM_ZONE_STAT_ITEMS
};

enum numa_stat_item {
	NUMA_HIT, NUMA_MISS, NUMA_FOREIGN, NUMA_INTERLEAVE_HIT, NUMA_LOCAL, NUMA_OTHER,
	NR_VM_NUMA_EVENT_ITEMS
};

/* Allocator events counted per zone (summed into /proc/vmstat's pgalloc_<zone> etc.). */
enum zone_event_item {
	EV_PGALLOC,          /* pages allocated from this zone */
	EV_PGFREE,           /* pages freed to this zone */
	EV_ALLOCSTALL,       /* direct reclaim entries, by the request's highest zone */
	EV_PGREFILL,
	EV_COMPACTSTALL,     /* direct compaction that ran (the machine's sum is the event) */
	EV_COMPACTFAIL,
	EV_COMPACTSUCCESS,
	EV_HTLB_BUDDY_PGALLOC,      /* 2 MiB huge pages from the buddy allocator (machine sum) */
	EV_HTLB_BUDDY_PGALLOC_FAIL, /* and the tries that got none */
	NR_ZONE_EVENTS
};

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;
};

struct per_cpu_pages;
struct pglist_data;

/* zone->flags bits */
enum zone_flags {
	ZONE_BOOSTED_WATERMARK,
	ZONE_RECLAIM_ACTIVE,
};

struct zone {
	/* Read-mostly. */
	unsigned long _watermark[NR_WMARK];  /* sysctl lock */
	unsigned long watermark_boost;       /* zone->lock */
	unsigned long nr_reserved_highatomic; /* zone->lock */
	long lowmem_reserve[MAX_NR_ZONES];   /* sysctl lock */
	int node;
	int zone_idx;
	struct pglist_data *zone_pgdat;
	struct pmm *machine;
	struct per_cpu_pages *per_cpu_pageset; /* array [nr_cpus], NULL if pcp off */
	int stat_threshold;                  /* "vm stats threshold"; sysctl lock, read atomically */
	int pageset_high;                    /* sysctl lock */
	int pageset_batch;
	unsigned long zone_start_pfn;        /* set at init; hotplug: hotplug lock + zone->lock */
	long managed_pages;                  /* atomic */
	unsigned long spanned_pages;         /* as zone_start_pfn */
	unsigned long present_pages;         /* hotplug lock; atomic stores */
	unsigned long cma_pages;
	const char *name;
	bool initialized;
	int nr_isolate_pageblock;            /* zone->lock */
	uint64_t shuffle_rand;               /* zone->lock: random bits for shuffle */
	/*
	 * How far free pages (less the highatomic reserve and CMA) exceed the
	 * high watermark plus the largest lowmem reserve: 1 when by more than
	 * 2^costly order pages, so every watermark check of the fast path up
	 * to the costly order would pass, 2 when by more than a pageblock, so
	 * a pageblock-order one would too, else 0.  A per-CPU list hit of an
	 * order so covered may skip the check.  Recomputed under zone->lock
	 * whenever the inputs change.
	 */
	int fast_ok;
	uint64_t shuffle_rand_word;
	unsigned shuffle_rand_bits;

	/* The lock and what it guards, on their own lines. */
	struct pmm_lock lock __attribute__((aligned(CACHELINE)));
	/*
	 * A bit per free list of a per-CPU migratetype, set while it holds a
	 * block (FREE_LIST_BIT(), page_alloc.h), for zone_has_free_block().
	 * Written under zone->lock when it changes, read without it, as the
	 * lists themselves are by the kernel's check.  Right after the lock,
	 * so that it shares the lock's line where the mutex is larger
	 * (48 bytes on arm64 against 40 on x86-64).
	 */
	unsigned long free_pcp_lists;
	unsigned long flags;                 /* enum zone_flags bits (atomic) */
	struct free_area free_area[MAX_ORDER];

	/* Counters: written by every CPU, kept apart from the read-mostly part. */
	long vm_stat[NR_VM_ZONE_STAT_ITEMS] __attribute__((aligned(CACHELINE)));
	unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];
	unsigned long vm_events[NR_ZONE_EVENTS];
} __attribute__((aligned(CACHELINE)));
/*
 * zone_free_list_gained() stores the mask even when its bit is set: free
 * because the word shares the lock's cache line, which the holder wrote.
 */
static_assert(offsetof(struct zone, free_pcp_lists) / CACHELINE ==
		      offsetof(struct zone, lock) / CACHELINE,
	      "free_pcp_lists on zone->lock's cache line");

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}
static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return z->zone_start_pfn <= pfn && pfn < zone_end_pfn(z);
}
static inline bool populated_zone(const struct zone *z)
{
	/* Lockless: memory hotplug changes present pages (hotplug lock) at any time. */
	return __atomic_load_n(&z->present_pages, __ATOMIC_RELAXED) != 0;
}
static inline bool managed_zone(const struct zone *z)
{
	return __atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED) > 0;
}
static inline long zone_managed_pages(const struct zone *z)
{
	return __atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED);
}
static inline unsigned long wmark_pages(const struct zone *z, enum zone_watermarks w)
{
	/* Lockless: marks and boost change under zone->lock at any time (sysctls, boosting). */
	return __atomic_load_n(&z->_watermark[w], __ATOMIC_RELAXED) +
	       __atomic_load_n(&z->watermark_boost, __ATOMIC_RELAXED);
}
#define min_wmark_pages(z) wmark_pages(z, WMARK_MIN)
#define low_wmark_pages(z) wmark_pages(z, WMARK_LOW)
#define high_wmark_pages(z) wmark_pages(z, WMARK_HIGH)

static inline long zone_page_state(const struct zone *z, enum zone_stat_item i)
{
	long v = __atomic_load_n(&z->vm_stat[i], __ATOMIC_RELAXED);
	return v < 0 ? 0 : v;
}
static inline void mod_zone_page_state(struct zone *z, enum zone_stat_item i, long d)
{
	__atomic_fetch_add(&z->vm_stat[i], d, __ATOMIC_RELAXED);
}
/*
 * mod_zone_page_state() for a count every writer changes under one lock
 * (the caller's): a plain add, made of a relaxed load and store so that
 * lockless readers see the old or the new count.
 */
static inline void __mod_zone_page_state(struct zone *z, enum zone_stat_item i, long d)
{
	__atomic_store_n(&z->vm_stat[i], __atomic_load_n(&z->vm_stat[i], __ATOMIC_RELAXED) + d,
			 __ATOMIC_RELAXED);
}
static inline void count_zone_event(struct zone *z, enum zone_event_item i, unsigned long d)
{
	__atomic_fetch_add(&z->vm_events[i], d, __ATOMIC_RELAXED);
}

/*
 * A zonelist: the zones to try, in order, ending with a NULL zone.
 *
 * Memory hotplug rebuilds a zonelist in place when a zone gains its first
 * pages or loses its last, while allocations walk it.  An entry is one
 * pointer, stored and loaded whole (zonelist_zone()), and a walker reads
 * each entry once and takes the zone's index from the zone itself: a walk
 * racing a rebuild may miss a zone or meet one twice, as in Linux 6.1, but
 * never pairs a zone with another's index or uses an entry that has since
 * become the terminator.
 */
struct zoneref {
	struct zone *zone;
};

static inline struct zone *zonelist_zone(const struct zoneref *z)
{
	return __atomic_load_n(&z->zone, __ATOMIC_RELAXED);
}
#define MAX_ZONELIST (PMM_MAX_NUMNODES * MAX_NR_ZONES + 1)
enum { ZONELIST_FALLBACK, ZONELIST_NOFALLBACK, MAX_ZONELISTS };
struct zonelist {
	struct zoneref _zonerefs[MAX_ZONELIST];
};

typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	struct zonelist node_zonelists[MAX_ZONELISTS];
	int nr_zones;                       /* highest populated zone index + 1 */
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	unsigned long totalreserve_pages;
	/* Boot: where deferred_init_memmap() starts (ULONG_MAX: nothing deferred). */
	unsigned long first_deferred_pfn;
} pg_data_t;

static inline unsigned long pgdat_end_pfn(const pg_data_t *p)
{
	return p->node_start_pfn + p->node_spanned_pages;
}

/* ------------------------------------------------------------ SPARSEMEM */

#define SECTION_SIZE_BITS 27
#define PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION (1ul << PFN_SECTION_SHIFT)
#define PAGE_SECTION_MASK (~(PAGES_PER_SECTION - 1))
#define SUBSECTION_SHIFT 21
#define PFN_SUBSECTION_SHIFT (SUBSECTION_SHIFT - PAGE_SHIFT)
#define PAGES_PER_SUBSECTION (1ul << PFN_SUBSECTION_SHIFT)
#define SUBSECTIONS_PER_SECTION (1ul << (SECTION_SIZE_BITS - SUBSECTION_SHIFT))
#define NR_PAGEBLOCK_BITS 4
#define PB_migratetype_bits 3
#define PB_migrate_skip 3
#define MIGRATETYPE_MASK ((1ul << PB_migratetype_bits) - 1)
#define PAGEBLOCKS_PER_SECTION (PAGES_PER_SECTION >> pageblock_order)
#define USEMAP_WORDS (PAGEBLOCKS_PER_SECTION * NR_PAGEBLOCK_BITS / 64)

struct mem_section_usage {
	unsigned long subsection_map[SUBSECTIONS_PER_SECTION / 64];
	unsigned long pageblock_flags[USEMAP_WORDS]; /* cmpxchg updates, lockless reads */
};

/* section_mem_map flag bits, as 6.1 (ZONE_DEVICE configured). */
#define SECTION_MARKED_PRESENT (1ul << 0)
#define SECTION_HAS_MEM_MAP (1ul << 1)
#define SECTION_IS_ONLINE (1ul << 2)
#define SECTION_IS_EARLY (1ul << 3)
#define SECTION_TAINT_ZONE_DEVICE (1ul << 4)
#define SECTION_MAP_LAST_BIT 5
#define SECTION_MAP_MASK (~((1ul << SECTION_MAP_LAST_BIT) - 1))
#define SECTION_NID_SHIFT SECTION_MAP_LAST_BIT

struct page_ext;

struct mem_section {
	/*
	 * Flags in the low bits; with a memmap, the rest is the address of the
	 * section's first struct page minus its start pfn (so + pfn = the page);
	 * before that, the node id above SECTION_NID_SHIFT.
	 */
	unsigned long section_mem_map;
	struct mem_section_usage *usage;
	struct page_ext *page_ext;          /* RCU; low bit PAGE_EXT_INVALID */
	unsigned long pad;
};
static_assert(sizeof(struct mem_section) == 32, "mem_section is 32 bytes with page_ext");

#define SECTIONS_PER_ROOT (4096 / sizeof(struct mem_section))

static inline unsigned long pfn_to_section_nr(unsigned long pfn)
{
	return pfn >> PFN_SECTION_SHIFT;
}
static inline unsigned long section_nr_to_pfn(unsigned long nr)
{
	return nr << PFN_SECTION_SHIFT;
}
/*
 * A section's flags, read once: memory hotplug rewrites them (atomically,
 * under the hotplug lock) while lock-free readers such as
 * pfn_to_online_page() look.
 */
static inline unsigned long section_flags(const struct mem_section *s)
{
	return s ? __atomic_load_n(&s->section_mem_map, __ATOMIC_RELAXED) : 0;
}
static inline bool present_section(const struct mem_section *s)
{
	return section_flags(s) & SECTION_MARKED_PRESENT;
}
static inline bool valid_section(const struct mem_section *s)
{
	return section_flags(s) & SECTION_HAS_MEM_MAP;
}
static inline bool online_section(const struct mem_section *s)
{
	return section_flags(s) & SECTION_IS_ONLINE;
}
static inline bool early_section(const struct mem_section *s)
{
	return section_flags(s) & SECTION_IS_EARLY;
}
static inline int subsection_map_index(unsigned long pfn)
{
	return (int)((pfn & ~PAGE_SECTION_MASK) / PAGES_PER_SUBSECTION);
}

#endif
