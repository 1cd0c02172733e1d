/* SPDX-License-Identifier: MIT */
/*
 * Building real vmemmap page tables, for embedders with an MMU of their own
 * (unikernels, hobby kernels, hypervisors building a guest's tables).
 *
 * Linux keeps one `struct page` (64 bytes) per page frame in one virtual
 * array, the vmemmap: the struct page of pfn P is at vmemmap_base + 64 * P.
 * The array is sparse: only the parts describing present memory are mapped,
 * by ordinary page tables (pgd/p4d/pud/pmd/pte, 512 eight-byte entries per
 * 4 KiB table).  This header is the populator that builds those tables, as
 * x86-64's vmemmap_populate() and remove_pagetable() do [6.1
 * arch/x86/mm/init_64.c, mm/sparse-vmemmap.c]; everything architectural is
 * reached through hooks (struct pmm_vmemmap_ops), with the x86-64 entry
 * format as the default.  It also holds the vmem_altmap allocator, which
 * places a range's memmap inside the range itself (device memory, and memory
 * hot-added with memmap_on_memory).
 *
 * The code behind this header is freestanding: it calls no C library
 * function other than memset/memcpy, allocates nothing itself (every table
 * and block comes from a hook), and never sleeps unless a hook does.
 *
 * How population works (pmm_vmemmap_populate):
 *  - A range smaller than one section's memmap (2 MiB for 128 MiB sections:
 *    subsection hotplug) is mapped with 4 KiB pages.  As on x86-64, such
 *    ranges never draw from an altmap; their pages come from alloc_block.
 *  - Otherwise, when huge PMDs are supported, each 2 MiB of the range gets a
 *    2 MiB block (from the altmap when one is given) mapped by a huge PMD.
 *    If no block is available it falls back to 4 KiB pages for that PMD;
 *    with an altmap there is no fallback and the call fails -PMM_ENOMEM.
 *  - Without huge PMDs: 4 KiB pages, and an altmap is refused (-PMM_ENOMEM,
 *    "vmemmap_populate: no cpu support for altmap allocations").
 *  - Entries already present are kept (population is idempotent) and only
 *    checked for NUMA placement (vmemmap_verify: "[start-end] potential
 *    offnode page_structs").  A 4 KiB request inside an existing huge PMD is
 *    satisfied by it.
 *
 * Partially used huge PMDs (a range not 2 MiB aligned in the vmemmap, e.g. a
 * memory block smaller than a section): as the kernel does, the unused parts
 * of the 2 MiB block are filled with PMM_VMEMMAP_PAGE_UNUSED (0xFD) and the
 * first struct page of each used part is zeroed; filling the tail after a
 * range is deferred so consecutive ranges do not fill and overwrite it.  On
 * removal the freed part is filled with 0xFD and the block is freed only when
 * all of its 2 MiB reads 0xFD.  These bytes are written through
 * phys_to_virt(), so the vmemmap itself need not be mapped in the caller's
 * address space.
 *
 * Removal (pmm_vmemmap_free) clears leaves and frees their blocks (2 MiB
 * blocks back to the altmap they came from), then every table left empty.
 * Unlike the kernel, tables referenced from the root are freed too, unless
 * PMM_VMEMMAP_KEEP_TOP is set: a kernel copies its top-level entries into
 * every process's page tables (sync_global_pgds) and must keep them.
 *
 * Entry rules every format must follow: a zero entry is empty; mk_table and
 * mk_leaf never return 0.  Tables and blocks are read and written through
 * phys_to_virt(), which must give a pointer valid for the whole table or
 * block (a direct map).
 *
 * Invariants: every present non-leaf entry points to a table from
 * alloc_table (or pre-existing under an adopted root); every leaf maps a
 * block of its own size, aligned to that size, from alloc_block or an
 * altmap, and no block is mapped twice; the nr_* counters of struct
 * pmm_vmemmap count what the tree currently holds.
 *
 * Locking: none inside.  The caller serialises populate, free, print_last
 * and destroy on one tree (the kernel runs them at boot or under
 * mem_hotplug_lock), and serialises every use of one altmap with them.
 * pmm_vmemmap_lookup() may run concurrently with populate (entries are
 * published with release stores after their table was zeroed by the hook),
 * but not with free or destroy.  Hooks are called with no pmm lock held and
 * must not call back into the same tree.
 */
#ifndef PMM_VMEMMAP_H
#define PMM_VMEMMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <pmm/api.h>

PMM_BEGIN_DECLS

/* ------------------------------------------------------------ geometry */

#define PMM_VMEMMAP_PAGE_SHIFT 12
#define PMM_VMEMMAP_PAGE_SIZE (UINT64_C(1) << PMM_VMEMMAP_PAGE_SHIFT)
#define PMM_VMEMMAP_PMD_SHIFT 21
#define PMM_VMEMMAP_PMD_SIZE (UINT64_C(1) << PMM_VMEMMAP_PMD_SHIFT)
#define PMM_VMEMMAP_PTRS_PER_TABLE 512
#define PMM_VMEMMAP_STRUCT_PAGE_SIZE 64
#define PMM_VMEMMAP_PAGES_PER_SUBSECTION 512UL
/* x86-64: 128 MiB sections, so a section's memmap is 32768 * 64 B = 2 MiB. */
#define PMM_VMEMMAP_SECTION_MEMMAP_SIZE (UINT64_C(32768) * PMM_VMEMMAP_STRUCT_PAGE_SIZE)

/* The kernel's vmemmap base without KASLR (4- and 5-level paging). */
#define PMM_VMEMMAP_START_L4 UINT64_C(0xffffea0000000000)
#define PMM_VMEMMAP_START_L5 UINT64_C(0xffd4000000000000)

/* PAGE_UNUSED: fill of the unused parts of a partially used huge PMD. */
#define PMM_VMEMMAP_PAGE_UNUSED 0xFD

/* NUMA distances as in the kernel: placement warns above LOCAL_DISTANCE. */
#define PMM_VMEMMAP_LOCAL_DISTANCE 10
#define PMM_VMEMMAP_REMOTE_DISTANCE 20

/*
 * The level of the table an entry lives in, named by what the entry maps.
 * With 4-level paging the p4d is folded into the pgd: the root's entries are
 * at PMM_VMEMMAP_LVL_P4D and PMM_VMEMMAP_LVL_PGD is not used.  The entry
 * index at level L is bits [12 + 9(L-1), 21 + 9(L-1)) of the virtual address.
 */
enum pmm_vmemmap_level {
	PMM_VMEMMAP_LVL_PTE = 1, /* entry maps 4 KiB */
	PMM_VMEMMAP_LVL_PMD = 2, /* entry maps 2 MiB */
	PMM_VMEMMAP_LVL_PUD = 3, /* entry maps 1 GiB */
	PMM_VMEMMAP_LVL_P4D = 4, /* entry maps 512 GiB; the pgd in 4-level mode */
	PMM_VMEMMAP_LVL_PGD = 5, /* entry maps 256 TiB; 5-level mode only */
};

/* The default (x86-64) entry format. */
#define PMM_X86_PAGE_PRESENT UINT64_C(0x001)
#define PMM_X86_PAGE_RW UINT64_C(0x002)
#define PMM_X86_PAGE_ACCESSED UINT64_C(0x020)
#define PMM_X86_PAGE_DIRTY UINT64_C(0x040)
#define PMM_X86_PAGE_PSE UINT64_C(0x080) /* leaf at PMD/PUD level */
#define PMM_X86_PAGE_GLOBAL UINT64_C(0x100)
#define PMM_X86_PAGE_NX (UINT64_C(1) << 63)
#define PMM_X86_PAGE_ADDR_MASK UINT64_C(0x000ffffffffff000)       /* bits 12..51 */
#define PMM_X86_PAGE_LARGE_ADDR_MASK UINT64_C(0x000fffffffe00000) /* bit 12 is PAT */
#define PMM_X86_PAGE_HUGE_ADDR_MASK UINT64_C(0x000fffffc0000000)
/* _KERNPG_TABLE, PAGE_KERNEL, PAGE_KERNEL_LARGE */
#define PMM_X86_KERNPG_TABLE \
	(PMM_X86_PAGE_PRESENT | PMM_X86_PAGE_RW | PMM_X86_PAGE_ACCESSED | PMM_X86_PAGE_DIRTY)
#define PMM_X86_PAGE_KERNEL (PMM_X86_KERNPG_TABLE | PMM_X86_PAGE_GLOBAL | PMM_X86_PAGE_NX)
#define PMM_X86_PAGE_KERNEL_LARGE (PMM_X86_PAGE_KERNEL | PMM_X86_PAGE_PSE)

/* ------------------------------------------------------------ altmap */

/*
 * struct pmm_vmem_altmap - the kernel's struct vmem_altmap: a range whose
 * memmap lives inside it.  The first pfns of the range are handed out in
 * order, as a bump allocator, to back the vmemmap of the whole range:
 *
 *   [base_pfn, base_pfn + reserve)                   never used (labels,
 *                                                    info blocks)
 *   [base_pfn + reserve, base_pfn + reserve + free)  memmap blocks
 *   [base_pfn + reserve + free, ...)                 ordinary memory
 *
 * Invariant: alloc + align <= free.  Every block starts at a pfn that is a
 * multiple of the largest power of two dividing its page count (a 2 MiB
 * block is 2 MiB aligned, as a huge PMD needs); the skipped pfns are counted
 * in align and never given back.  Freeing only lowers alloc: blocks are
 * expected back in the reverse order they went out, which is how the kernel
 * tears a range down (all at once).  Fill it with pmm_vmem_altmap_init();
 * read the fields freely, change them only through these functions.
 */
struct pmm_vmem_altmap {
	unsigned long base_pfn; /* first pfn of the range (set once) */
	unsigned long end_pfn;  /* pfn after the range, 0 if unknown; informational,
				   as in the kernel: the allocator never reads it */
	unsigned long reserve;  /* pfns at base_pfn never handed out (set once) */
	unsigned long free;     /* pfns after the reserve usable for memmap (set once) */
	unsigned long align;    /* pfns skipped so far to align blocks */
	unsigned long alloc;    /* pfns handed out and not yet freed */
};

/**
 * pmm_vmem_altmap_init() - describe a range whose memmap lives inside it.
 * @altmap: filled in; align and alloc start at 0.
 * @base_pfn: first pfn of the range.
 * @end_pfn: pfn after the range, or 0 when the caller does not know it.
 * @reserve: pfns at @base_pfn never to hand out.
 * @free: pfns after the reserve that may back the memmap.
 *
 * Return: 0, or -PMM_EINVAL when the pfns wrap around or (with @end_pfn set)
 * reserve + free do not fit in [base_pfn, end_pfn); @altmap is then unchanged.
 * Context: any; does not sleep.
 */
PMM_API int pmm_vmem_altmap_init(struct pmm_vmem_altmap *altmap, unsigned long base_pfn,
				 unsigned long end_pfn, unsigned long reserve,
				 unsigned long free);

/**
 * pmm_vmem_altmap_next_pfn() - where the next block would start before
 * alignment: base_pfn + reserve + alloc + align.
 * Context: any; the caller serialises with allocation.
 */
PMM_API unsigned long pmm_vmem_altmap_next_pfn(const struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmem_altmap_nr_free() - pfns still available: free - (alloc + align),
 * or 0.
 * Context: any; the caller serialises with allocation.
 */
PMM_API unsigned long pmm_vmem_altmap_nr_free(const struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmem_altmap_alloc_block() - take @size bytes of memmap backing from
 * @altmap (the kernel's altmap_alloc_block_buf()).
 * @altmap: the range's altmap.
 * @size: bytes; a non-zero multiple of PMM_VMEMMAP_PAGE_SIZE.
 * @pfn: set to the first pfn of the block on success.
 *
 * The block starts at the next pfn rounded up to the largest power of two
 * that divides size / PAGE_SIZE; the rounding is added to align.
 *
 * Return: 0; -PMM_EINVAL if @size is zero or not a multiple of the page
 * size; -PMM_ENOMEM if the block plus its padding exceeds
 * pmm_vmem_altmap_nr_free().  On error @altmap is unchanged.
 * Context: the caller serialises calls on @altmap; does not sleep.
 */
PMM_API int pmm_vmem_altmap_alloc_block(struct pmm_vmem_altmap *altmap, unsigned long size,
					unsigned long *pfn);

/**
 * pmm_vmem_altmap_free() - give back @nr_pfns pfns of memmap backing.
 * Only alloc goes down (alignment padding stays consumed), as in the kernel.
 *
 * Return: 0, or -PMM_EINVAL (and no change) if @nr_pfns exceeds alloc.
 * Context: the caller serialises calls on @altmap; does not sleep.
 */
PMM_API int pmm_vmem_altmap_free(struct pmm_vmem_altmap *altmap, unsigned long nr_pfns);

/**
 * pmm_vmem_altmap_offset() - pfns from base_pfn at which ordinary memory
 * begins: reserve + free; 0 for a NULL altmap.  The first pfns never become
 * pages of a buddy allocator.
 * Context: any; does not sleep.
 */
PMM_API unsigned long pmm_vmem_altmap_offset(const struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmem_altmap_owns() - whether [@pfn, @pfn + @nr) lies in the part of
 * the range the allocator hands out, [base_pfn + reserve, + free).
 *
 * The kernel's free path trusts that a block freed "with an altmap" came
 * from it; pmm checks, because a range smaller than a section is populated
 * from ordinary memory even when an altmap is passed.
 * Context: any; does not sleep.
 */
PMM_API bool pmm_vmem_altmap_owns(const struct pmm_vmem_altmap *altmap, unsigned long pfn,
				  unsigned long nr);

/* ------------------------------------------------------------ page tables */

/*
 * Architecture hooks.  @ctx is pmm_vmemmap_config.ctx.  Physical addresses
 * are the embedder's; pmm only stores them in entries and passes them back.
 */
struct pmm_vmemmap_ops {
	/* --- required ----------------------------------------------------- */
	/*
	 * alloc_table() - a zeroed 4 KiB table page, preferably on @node
	 * (negative: any node).
	 * Return: 0 with *@phys set (4 KiB aligned), or a negative PMM_E* code.
	 */
	int (*alloc_table)(void *ctx, int node, uint64_t *phys);
	/* free_table() - give back a page from alloc_table(). */
	void (*free_table)(void *ctx, uint64_t phys);
	/*
	 * alloc_block() - @size bytes (4 KiB or 2 MiB) aligned to @align
	 * (== @size) on @node, contents undefined: memmap backing.  Failing a
	 * 2 MiB request is normal; population falls back to 4 KiB pages.  The
	 * kernel serves this from the per-node sparse buffer, then the page
	 * allocator, then memblock; an embedder does the equivalent.
	 * Return: 0 with *@phys set, or a negative PMM_E* code.
	 */
	int (*alloc_block)(void *ctx, uint64_t size, uint64_t align, int node, uint64_t *phys);
	/* free_block() - give back a block from alloc_block(). */
	void (*free_block)(void *ctx, uint64_t phys, uint64_t size);
	/*
	 * phys_to_virt() - a pointer through which the calling CPU reads and
	 * writes physical memory at @phys, valid for the whole table or block
	 * containing it (altmap blocks included).  NULL if not accessible.
	 */
	void *(*phys_to_virt)(void *ctx, uint64_t phys);

	/* --- entry format: all five, or none for the x86-64 default -------- */
	/* mk_table() - entry at @level pointing to the table at @phys. */
	uint64_t (*mk_table)(void *ctx, int level, uint64_t phys);
	/* mk_leaf() - entry at @level (PTE or PMD) mapping the block at @phys. */
	uint64_t (*mk_leaf)(void *ctx, int level, uint64_t phys);
	/* entry_present() - whether a non-zero entry is present. */
	bool (*entry_present)(void *ctx, int level, uint64_t entry);
	/* entry_leaf() - a present entry maps memory (PTEs always do). */
	bool (*entry_leaf)(void *ctx, int level, uint64_t entry);
	/* entry_phys() - table or block address of a present entry. */
	uint64_t (*entry_phys)(void *ctx, int level, uint64_t entry);

	/* --- optional ----------------------------------------------------- */
	/* pmd_huge_supported() - X86_FEATURE_PSE.  NULL: supported. */
	bool (*pmd_huge_supported)(void *ctx);
	/*
	 * phys_to_nid() - node of the memory at @phys (early_pfn_to_nid), or
	 * negative if unknown.  NULL: no placement check (vmemmap_verify).
	 */
	int (*phys_to_nid)(void *ctx, uint64_t phys);
	/* node_distance() - NULL: LOCAL_DISTANCE if equal, REMOTE_DISTANCE if not. */
	int (*node_distance)(void *ctx, int from, int to);
	/* log() - one message ending in '\n' at a PMM_LOG_* level.  NULL: silent. */
	void (*log)(void *ctx, int level, const char *msg);
	/*
	 * flush_tlb() - after an entry covering [@start, @end) was cleared and
	 * before the memory it pointed to is freed.  NULL: nothing to flush.
	 */
	void (*flush_tlb)(void *ctx, uint64_t start, uint64_t end);
	/*
	 * sync_pgd() - after a successful populate of [@start, @end): copy new
	 * top-level entries into other page tables (sync_global_pgds).
	 */
	void (*sync_pgd)(void *ctx, uint64_t start, uint64_t end);
};

/* pmm_vmemmap_config.pgd_phys: allocate a fresh root with alloc_table. */
#define PMM_VMEMMAP_PGD_ALLOC UINT64_MAX

/* pmm_vmemmap_config.flags */
#define PMM_VMEMMAP_KEEP_TOP 0x1u /* never free tables the root points to */

struct pmm_vmemmap_config {
	const struct pmm_vmemmap_ops *ops;
	void *ctx;            /* passed to every hook */
	unsigned levels;      /* 4 or 5 */
	uint64_t pgd_phys;    /* the embedder's root table, or PMM_VMEMMAP_PGD_ALLOC */
	int pgd_node;         /* node for an allocated root */
	uint64_t vmemmap_base; /* virtual address of struct page for pfn 0, 2 MiB
				  aligned and canonical; 0: PMM_VMEMMAP_START_L4/_L5 */
	uint64_t section_memmap_size; /* memmap bytes per section; ranges below it
					 use 4 KiB pages.  0: 2 MiB */
	unsigned flags;       /* PMM_VMEMMAP_* flags */
};

/*
 * struct pmm_vmemmap - one vmemmap page-table tree.  The caller provides the
 * storage (no allocation happens for it); fields are set by
 * pmm_vmemmap_init() and are read-only for the caller.  The nr_* counters
 * may be read between calls.
 */
struct pmm_vmemmap {
	const struct pmm_vmemmap_ops *ops;
	void *ctx;
	uint64_t *pgd;         /* root table, through phys_to_virt */
	uint64_t pgd_phys;
	uint64_t vmemmap_base;
	uint64_t section_memmap_size;
	unsigned levels;       /* 4 or 5 */
	unsigned flags;
	bool own_pgd;          /* root came from alloc_table; destroy frees it */
	bool warned_no_pse;    /* "no cpu support for altmap" printed once */

	/* The kernel's unused_pmd_start: tail of the last new partial huge
	 * PMD, not yet filled with PAGE_UNUSED. */
	bool unused_pmd_pending;
	uint64_t unused_pmd_start;

	/* Run of virtually and physically contiguous huge PMDs, for the
	 * pr_debug " [%lx-%lx] PMD -> [%p-%p] on node %d" lines. */
	bool run_valid;
	int run_node;
	uint64_t run_addr_start, run_addr_end;
	uintptr_t run_p_start, run_p_end;

	unsigned long nr_tables;        /* tables below the root */
	unsigned long nr_pte_pages;     /* 4 KiB blocks mapped by PTEs */
	unsigned long nr_pmd_blocks;    /* 2 MiB blocks mapped by huge PMDs */
	unsigned long nr_altmap_blocks; /* of which from an altmap */
};

/**
 * pmm_vmemmap_init() - set up a tree from @cfg.
 * @pt: storage for the tree; overwritten.
 * @cfg: the configuration; need not outlive the call (the ops table must).
 *
 * Return: 0; -PMM_EINVAL for a missing required hook, a partial entry
 * format, levels other than 4 or 5, a misaligned or non-canonical
 * vmemmap_base, a section_memmap_size not a multiple of 4 KiB, or a root not
 * 4 KiB aligned; the alloc_table error if the root cannot be allocated;
 * -PMM_EFAULT if phys_to_virt() cannot reach the root.  On error nothing is
 * held (an allocated root was given back).
 * Context: the caller serialises; calls alloc_table (and may sleep only if
 * that hook does).
 */
PMM_API int pmm_vmemmap_init(struct pmm_vmemmap *pt, const struct pmm_vmemmap_config *cfg);

/**
 * pmm_vmemmap_destroy() - release a tree's remaining tables.
 *
 * With a root of its own: frees every table left (those kept by
 * PMM_VMEMMAP_KEEP_TOP, or emptied by nothing) and the root.  With an
 * adopted root: frees nothing, as tables under the embedder's root are the
 * embedder's.
 *
 * Return: 0; -PMM_EBUSY (and nothing freed) while anything is still mapped.
 * Context: the caller serialises; calls flush_tlb and free_table.
 */
PMM_API int pmm_vmemmap_destroy(struct pmm_vmemmap *pt);

/**
 * pmm_vmemmap_populate() - back [@start, @end) of the vmemmap with memory.
 * @pt: the tree.
 * @start: first byte, 4 KiB aligned.
 * @end: byte after the range, 4 KiB aligned, > @start.
 * @node: node the struct pages describe; tables and blocks are asked there.
 * @altmap: where 2 MiB blocks come from for a range of at least one
 *	section's memmap, or NULL.
 *
 * Already-mapped parts are kept.  On failure the range may be partly
 * populated; the caller releases it with pmm_vmemmap_free() over the same
 * range and altmap, as the kernel's section_activate() does.
 *
 * Return: 0; -PMM_EINVAL for a misaligned, empty or non-canonical range;
 * -PMM_ENOMEM when a table or block cannot be had (altmap exhausted, no
 * 2 MiB block with an altmap, altmap without huge PMD support); -PMM_EEXIST
 * if the range meets a leaf above PMD level or a non-empty entry the format
 * does not call present; -PMM_EFAULT if phys_to_virt() fails; or an error a
 * hook returned.
 * Context: the caller serialises (mem_hotplug_lock); calls the hooks.
 */
PMM_API int pmm_vmemmap_populate(struct pmm_vmemmap *pt, uint64_t start, uint64_t end,
				 int node, struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmemmap_free() - unmap [@start, @end) of the vmemmap and free its
 * memory.
 * @altmap: the altmap the range was populated with, or NULL.  A 2 MiB block
 *	goes back to it only if it lies in the part the altmap hands out.
 *
 * Blocks fully inside the range are freed; a huge PMD only partly inside is
 * freed once no part of it is in use (PAGE_UNUSED tracking).  Tables left
 * empty are freed (see PMM_VMEMMAP_KEEP_TOP).
 *
 * Return: 0, or -PMM_EINVAL for a misaligned, empty or non-canonical range
 * (nothing done).
 * Context: the caller serialises; calls flush_tlb before each free.
 */
PMM_API int pmm_vmemmap_free(struct pmm_vmemmap *pt, uint64_t start, uint64_t end,
			     struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmemmap_lookup() - translate a vmemmap address as the MMU would.
 * @phys: set to the physical address of @vaddr.
 * @size: if not NULL, set to the size of the mapping (4 KiB or 2 MiB).
 *
 * Return: 0, or -PMM_ENOENT if @vaddr is not mapped (or not canonical).
 * Context: any thread, concurrently with populate but not with free or
 * destroy; does not sleep.
 */
PMM_API int pmm_vmemmap_lookup(const struct pmm_vmemmap *pt, uint64_t vaddr, uint64_t *phys,
			       uint64_t *size);

/**
 * pmm_vmemmap_populate_section() - populate the memmap of
 * [@pfn, @pfn + @nr_pages): vmemmap_base + 64 * pfn onwards
 * (the kernel's __populate_section_memmap()).
 *
 * Return: as pmm_vmemmap_populate(); -PMM_EINVAL unless @pfn and @nr_pages
 * are multiples of PMM_VMEMMAP_PAGES_PER_SUBSECTION (512), @nr_pages is not
 * 0 and the range does not wrap.
 * Context: as pmm_vmemmap_populate().
 */
PMM_API int pmm_vmemmap_populate_section(struct pmm_vmemmap *pt, unsigned long pfn,
					 unsigned long nr_pages, int nid,
					 struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmemmap_depopulate_section() - pmm_vmemmap_free() of the memmap of
 * [@pfn, @pfn + @nr_pages), with the alignment rules of
 * pmm_vmemmap_populate_section().
 * Return: as pmm_vmemmap_free(), or -PMM_EINVAL for a bad pfn range.
 * Context: as pmm_vmemmap_free().
 */
PMM_API int pmm_vmemmap_depopulate_section(struct pmm_vmemmap *pt, unsigned long pfn,
					   unsigned long nr_pages,
					   struct pmm_vmem_altmap *altmap);

/**
 * pmm_vmemmap_print_last() - log the last pending run of huge PMDs
 * (PMM_LOG_DEBUG), as the kernel does at the end of sparse_init().
 * Context: as pmm_vmemmap_populate().
 */
PMM_API void pmm_vmemmap_print_last(struct pmm_vmemmap *pt);

PMM_END_DECLS

#endif /* PMM_VMEMMAP_H */
