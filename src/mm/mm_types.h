/* SPDX-License-Identifier: MIT */
/*
 * struct page and its flags, as Linux 6.1 lays them out on x86-64.
 *
 * Every frame has one 64-byte descriptor in the vmemmap.  The fields keep the
 * kernel's roles so reports (dump_page, %pGp) print the same values:
 *   flags      page-flag bits (low) and node/zone/last_cpupid fields (high)
 *   lru        free-list link for PageBuddy blocks and pcp list link
 *   mapping    NULL for free pages; TAIL_MAPPING on compound tails
 *   index      6.1 caches the migratetype of pages on pcp lists here
 *   private    buddy order of a free block (PageBuddy/PageGuard)
 *   _mapcount  -1, or a page type (PG_buddy, PG_guard...) stored inverted
 *   _refcount  0 for free frames, >= 1 when allocated
 *
 * Locking: flags' node/zone fields are set at init and read-only after;
 * PageBuddy, private and lru of free blocks change under zone->lock;
 * _refcount is atomic.
 */
#ifndef PMM_MM_TYPES_H
#define PMM_MM_TYPES_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"

/*
 * Intentional racy reads, as the kernel's data_race(): TSan does not
 * instrument the function.  Only for reads whose racing writer cannot
 * change what is read (immutable bits of a word), is a misuse (a second
 * free of the same block), or that a later atomic operation or lock
 * confirms.
 */
#if defined(__clang__) || defined(__GNUC__)
#define data_race_fn __attribute__((no_sanitize("thread")))
#else
#define data_race_fn
#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define MAX_ORDER 11
#define MAX_ORDER_NR_PAGES (1ul << (MAX_ORDER - 1))
#define pageblock_order 9
#define pageblock_nr_pages (1ul << pageblock_order)
#define PAGE_ALLOC_COSTLY_ORDER 3

struct page {
	unsigned long flags;
	union {
		struct {                    /* free, page cache, anon */
			struct list_head lru;
			void *mapping;
			unsigned long index;
			unsigned long private;
		};
		struct {                    /* compound tail pages */
			unsigned long compound_head; /* head | 1 */
			unsigned char compound_dtor; /* page[1] only */
			unsigned char compound_order;
			unsigned short pad0;
			int compound_mapcount;
			int compound_pincount;
			unsigned int compound_nr;
			unsigned long private_1;
		};
	};
	union {
		int _mapcount;
		unsigned int page_type;
	};
	int _refcount;
	unsigned long memcg_data;
} __attribute__((aligned(16)));

static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes");
static_assert(offsetof(struct page, lru) == 8, "lru at 8");
static_assert(offsetof(struct page, mapping) == 24, "mapping at 24");
static_assert(offsetof(struct page, index) == 32, "index at 32");
static_assert(offsetof(struct page, private) == 40, "private at 40");
static_assert(offsetof(struct page, compound_order) == 17, "compound_order at 17");
static_assert(offsetof(struct page, compound_mapcount) == 20, "compound_mapcount at 20");
static_assert(offsetof(struct page, compound_nr) == 28, "compound_nr at 28");
static_assert(offsetof(struct page, _mapcount) == 48, "_mapcount at 48");
static_assert(offsetof(struct page, _refcount) == 52, "_refcount at 52");
static_assert(offsetof(struct page, memcg_data) == 56, "memcg_data at 56");

/* Page flag bits, 6.1 x86-64 numbering. */
enum pageflags {
	PG_locked, PG_referenced, PG_uptodate, PG_dirty, PG_lru, PG_active,
	PG_workingset, PG_waiters, PG_error, PG_slab, PG_owner_priv_1, PG_arch_1,
	PG_reserved, PG_private, PG_private_2, PG_writeback, PG_head,
	PG_mappedtodisk, PG_reclaim, PG_swapbacked, PG_unevictable, PG_mlocked,
	PG_uncached, PG_hwpoison, PG_young, PG_idle, PG_arch_2,
	NR_PAGEFLAGS,
	PG_reported = PG_uptodate,
	PG_vmemmap_self_hosted = PG_owner_priv_1, /* frame holds its section's memmap */
};

/*
 * Upper fields of page->flags, packed from bit 63 down as a 6.1 kernel with
 * NODES_SHIFT=10 and NR_CPUS=8192 (Debian's config) packs them, so %pGp
 * prints the same raw value: node 63..54, zone 53..51, last_cpupid 50..30.
 */
#define NODES_SHIFT 10
#define ZONES_SHIFT 3
#define LAST_CPUPID_SHIFT 21
#define NODES_PGSHIFT (64 - NODES_SHIFT)
#define ZONES_PGSHIFT (NODES_PGSHIFT - ZONES_SHIFT)
#define LAST_CPUPID_PGSHIFT (ZONES_PGSHIFT - LAST_CPUPID_SHIFT)
#define NODES_MASK ((1ul << NODES_SHIFT) - 1)
#define ZONES_MASK ((1ul << ZONES_SHIFT) - 1)
#define LAST_CPUPID_MASK ((1ul << LAST_CPUPID_SHIFT) - 1)
#define PAGEFLAGS_MASK ((1ul << NR_PAGEFLAGS) - 1)
/*
 * LRU generation (LRU_GEN=y): 3 bits just above the flags.  With the
 * layout above no bits are left for LRU_REFS (its width is 0).
 */
#define LRU_GEN_PGOFF (LAST_CPUPID_PGSHIFT - 3)
#define LRU_GEN_MASK (7ul << LRU_GEN_PGOFF)
#define LRU_REFS_MASK 0ul
static_assert(LRU_GEN_PGOFF == NR_PAGEFLAGS, "flags, lru_gen and fields fill 64 bits");

#define PAGE_FLAGS_CHECK_AT_FREE                                            \
	((1ul << PG_lru) | (1ul << PG_locked) | (1ul << PG_private) |        \
	 (1ul << PG_private_2) | (1ul << PG_writeback) | (1ul << PG_reserved) | \
	 (1ul << PG_slab) | (1ul << PG_active) | (1ul << PG_unevictable) |   \
	 (1ul << PG_mlocked) | LRU_GEN_MASK)
#define PAGE_FLAGS_CHECK_AT_PREP \
	((PAGEFLAGS_MASK & ~(1ul << PG_hwpoison)) | LRU_GEN_MASK | LRU_REFS_MASK)

static inline bool test_bit_flag(const struct page *p, int nr)
{
	return (__atomic_load_n(&p->flags, __ATOMIC_RELAXED) >> nr) & 1;
}
static inline void set_bit_flag(struct page *p, int nr)
{
	__atomic_fetch_or(&p->flags, 1ul << nr, __ATOMIC_RELAXED);
}
static inline void clear_bit_flag(struct page *p, int nr)
{
	__atomic_fetch_and(&p->flags, ~(1ul << nr), __ATOMIC_RELAXED);
}

#define PAGEFLAG(Name, bit)                                                     \
	static inline bool Page##Name(const struct page *p) { return test_bit_flag(p, bit); } \
	static inline void SetPage##Name(struct page *p) { set_bit_flag(p, bit); }   \
	static inline void ClearPage##Name(struct page *p) { clear_bit_flag(p, bit); }
PAGEFLAG(Reserved, PG_reserved)
PAGEFLAG(Head, PG_head)
PAGEFLAG(Reported, PG_reported)
PAGEFLAG(HWPoison, PG_hwpoison)
PAGEFLAG(Young, PG_young)
PAGEFLAG(Idle, PG_idle)
PAGEFLAG(LRU, PG_lru)
PAGEFLAG(Slab, PG_slab)
PAGEFLAG(VmemmapSelfHosted, PG_vmemmap_self_hosted)
#undef PAGEFLAG

/* Page types: stored in page_type by clearing the bit (page_type starts at -1). */
#define PAGE_TYPE_BASE 0xf0000000u
#define PG_buddy 0x00000080u
#define PG_offline 0x00000100u
#define PG_table 0x00000200u
#define PG_guard 0x00000400u
#define PAGE_MAPCOUNT_RESERVE (-128)

#define PAGE_TYPE_OPS(Name, bit)                                               \
	static inline bool Page##Name(const struct page *p)                    \
	{                                                                     \
		return (p->page_type & (PAGE_TYPE_BASE | bit)) == PAGE_TYPE_BASE; \
	}                                                                     \
	static inline void __SetPage##Name(struct page *p) { p->page_type &= ~bit; } \
	static inline void __ClearPage##Name(struct page *p) { p->page_type |= bit; }
PAGE_TYPE_OPS(Buddy, PG_buddy)
PAGE_TYPE_OPS(Guard, PG_guard)
PAGE_TYPE_OPS(Offline, PG_offline)
#undef PAGE_TYPE_OPS

/* Compound pages. */
#define TAIL_MAPPING ((void *)0xdead000000000400ul)
#define COMPOUND_PAGE_DTOR 1

static inline bool PageTail(const struct page *p)
{
	return __atomic_load_n(&p->compound_head, __ATOMIC_RELAXED) & 1;
}
static inline struct page *compound_head(struct page *p)
{
	unsigned long h = __atomic_load_n(&p->compound_head, __ATOMIC_RELAXED);
	return (h & 1) ? (struct page *)(h - 1) : p;
}
static inline bool PageCompound(const struct page *p)
{
	return PageHead(p) || PageTail(p);
}
static inline unsigned compound_order(const struct page *p)
{
	return PageHead(p) ? p[1].compound_order : 0;
}

/* Reference counts (atomic). */
static inline int page_ref_count(const struct page *p)
{
	return __atomic_load_n(&p->_refcount, __ATOMIC_RELAXED);
}
/*
 * A release store (a plain store on x86-64): an allocation publishes the
 * block with it, so a reader that pins the block by its pfn
 * (page_pin_allocated()) sees everything written while it was free.
 */
static inline void set_page_count(struct page *p, int v)
{
	__atomic_store_n(&p->_refcount, v, __ATOMIC_RELEASE);
}
static inline int page_ref_inc_return(struct page *p)
{
	return __atomic_add_fetch(&p->_refcount, 1, __ATOMIC_RELAXED);
}
static inline int page_ref_dec_return(struct page *p)
{
	return __atomic_sub_fetch(&p->_refcount, 1, __ATOMIC_ACQ_REL);
}
static inline int page_mapcount_raw(const struct page *p)
{
	return p->_mapcount;
}

static inline unsigned long page_private(const struct page *p)
{
	return p->private;
}
static inline void set_page_private(struct page *p, unsigned long v)
{
	p->private = v;
}

static inline int page_zonenum(const struct page *p)
{
	return (int)((p->flags >> ZONES_PGSHIFT) & ZONES_MASK);
}
static inline int page_to_nid(const struct page *p)
{
	return (int)((p->flags >> NODES_PGSHIFT) & NODES_MASK);
}
/*
 * Node and zone together: two pages merge only if this matches.  The
 * allocator asks it of pages other threads own (the buddy's neighbour in
 * buddy_merge_likely()), whose low flag bits may be changing; these bits
 * never change after init, so the racy read is fine (data_race).
 */
static inline data_race_fn unsigned long page_zone_id(const struct page *p)
{
	return p->flags >> ZONES_PGSHIFT;
}
static inline void set_page_links(struct page *p, int zone, int nid)
{
	p->flags &= ~((NODES_MASK << NODES_PGSHIFT) | (ZONES_MASK << ZONES_PGSHIFT));
	p->flags |= ((unsigned long)nid & NODES_MASK) << NODES_PGSHIFT;
	p->flags |= ((unsigned long)zone & ZONES_MASK) << ZONES_PGSHIFT;
}
static inline void page_cpupid_reset_last(struct page *p)
{
	p->flags |= LAST_CPUPID_MASK << LAST_CPUPID_PGSHIFT;
}

#endif
