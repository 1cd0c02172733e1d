/* SPDX-License-Identifier: MIT */
/*
 * Generic vmemmap page-table populator, for embedders with real page tables.
 *
 * The memmap is one virtual array, `vmemmap + pfn` (64-byte struct page per
 * pfn).  Where pmm runs inside a kernel (unikernel, hobby kernel), that range
 * must be backed the way Linux backs it: build 4- or 5-level page tables
 * (pgd/p4d/pud/pmd/pte, 512 eight-byte entries per 4 KiB table) mapping the
 * range onto physical memory.  This file does so following x86-64
 * vmemmap_populate() and remove_pagetable() [6.1 arch/x86/mm/init_64.c,
 * mm/sparse-vmemmap.c]; the architecture is reached only through the hooks
 * in struct vmemmap_pgtable_ops, with a default x86-64 entry format.
 *
 * Population (vmemmap_populate):
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
 *    checked with vmemmap_verify.  A 4 KiB request falling inside an
 *    existing huge PMD is satisfied by it (the kernel would not meet this).
 *
 * Partially used huge PMDs (a range not 2 MiB aligned in the vmemmap, e.g. a
 * memory block smaller than a section): as the kernel does, the unused parts
 * of the 2 MiB block are filled with PAGE_UNUSED (0xFD) and the first struct
 * page of each used part is zeroed.  Filling the tail after a range is
 * deferred (unused_pmd_start) so that populating consecutive ranges does not
 * fill and then overwrite it.  On removal the freed part is filled with 0xFD
 * too, and the block is freed only when the whole 2 MiB reads 0xFD, i.e. no
 * other range still uses it.  The bytes are written through phys_to_virt(),
 * because the vmemmap itself need not be mapped in the caller's address
 * space (it is not in the tests).
 *
 * Removal (vmemmap_free): clears leaves and frees their blocks (2 MiB blocks
 * back to the altmap when they came from it), then frees every table left
 * empty.  Unlike the kernel, tables referenced from the PGD are freed too,
 * unless VMEMMAP_PGTABLE_KEEP_TOP is set: the kernel keeps them because its
 * top-level entries are copied into every process's page tables
 * (sync_global_pgds), and an embedder doing the same must keep them as well.
 *
 * Entry rules every format must follow: a zero entry is empty; mk_table and
 * mk_leaf never return 0.  Table and data memory is written and read through
 * phys_to_virt(), which must give a pointer valid for the whole table or
 * block (a direct map).
 *
 * Invariants: every present non-leaf entry points to a table allocated by
 * alloc_table (or pre-existing in an adopted root); every leaf maps a block
 * of its own size, aligned to that size, from alloc_block or an altmap, and
 * no block is mapped twice.  nr_tables/nr_pte_pages/nr_pmd_blocks count what
 * this tree currently holds.
 *
 * Locking: none inside.  The caller serialises populate, free and destroy on
 * one tree (the kernel runs them at boot or under mem_hotplug_lock) and must
 * serialise its altmap with them.  vmemmap_lookup may run concurrently with
 * populate (entries are published with release stores after their table is
 * zeroed) but not with free.  Hooks are called with no pmm lock held.
 */
#ifndef PMM_MM_VMEMMAP_PGTABLE_H
#define PMM_MM_VMEMMAP_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

struct vmem_altmap;

#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#define VMEMMAP_PAGE_SIZE (UINT64_C(1) << PAGE_SHIFT)
#define VMEMMAP_PMD_SHIFT 21
#define VMEMMAP_PMD_SIZE (UINT64_C(1) << VMEMMAP_PMD_SHIFT)
#define VMEMMAP_PTRS_PER_TABLE 512
#define VMEMMAP_STRUCT_PAGE_SIZE 64
#define VMEMMAP_PAGES_PER_SUBSECTION 512UL
/* x86-64: 128 MiB sections, so a section's memmap is 32768 * 64 B = 2 MiB. */
#define VMEMMAP_SECTION_MEMMAP_SIZE (UINT64_C(32768) * VMEMMAP_STRUCT_PAGE_SIZE)

/* The kernel's vmemmap base without KASLR (4- and 5-level paging). */
#define VMEMMAP_START_L4 UINT64_C(0xffffea0000000000)
#define VMEMMAP_START_L5 UINT64_C(0xffd4000000000000)

/* PAGE_UNUSED: fill of the unused parts of a partially used huge PMD. */
#define VMEMMAP_PAGE_UNUSED 0xFD

/* NUMA distances as in the kernel: warn when above LOCAL_DISTANCE. */
#define VMEMMAP_LOCAL_DISTANCE 10
#define VMEMMAP_REMOTE_DISTANCE 20

/*
 * The level of the table an entry lives in, named by what the entry maps.
 * With 4-level paging the p4d is folded into the pgd: the root's entries are
 * at VMEMMAP_LVL_P4D and VMEMMAP_LVL_PGD is not used.  Entry index at level
 * L is bits [12 + 9(L-1), 21 + 9(L-1)) of the virtual address.
 */
enum vmemmap_level {
	VMEMMAP_LVL_PTE = 1, /* entry maps 4 KiB */
	VMEMMAP_LVL_PMD = 2, /* entry maps 2 MiB */
	VMEMMAP_LVL_PUD = 3, /* entry maps 1 GiB */
	VMEMMAP_LVL_P4D = 4, /* entry maps 512 GiB; the pgd in 4-level mode */
	VMEMMAP_LVL_PGD = 5, /* entry maps 256 TiB; 5-level mode only */
};

/* The default (x86-64) entry format. */
#define X86_PAGE_PRESENT UINT64_C(0x001)
#define X86_PAGE_RW UINT64_C(0x002)
#define X86_PAGE_ACCESSED UINT64_C(0x020)
#define X86_PAGE_DIRTY UINT64_C(0x040)
#define X86_PAGE_PSE UINT64_C(0x080) /* leaf at PMD/PUD level */
#define X86_PAGE_GLOBAL UINT64_C(0x100)
#define X86_PAGE_NX (UINT64_C(1) << 63)
#define X86_PAGE_ADDR_MASK UINT64_C(0x000ffffffffff000)       /* bits 12..51 */
#define X86_PAGE_LARGE_ADDR_MASK UINT64_C(0x000fffffffe00000) /* bit 12 is PAT */
#define X86_PAGE_HUGE_ADDR_MASK UINT64_C(0x000fffffc0000000)
/* _KERNPG_TABLE, PAGE_KERNEL, PAGE_KERNEL_LARGE */
#define X86_KERNPG_TABLE (X86_PAGE_PRESENT | X86_PAGE_RW | X86_PAGE_ACCESSED | X86_PAGE_DIRTY)
#define X86_PAGE_KERNEL (X86_KERNPG_TABLE | X86_PAGE_GLOBAL | X86_PAGE_NX)
#define X86_PAGE_KERNEL_LARGE (X86_PAGE_KERNEL | X86_PAGE_PSE)

/*
 * Architecture hooks.  @ctx is vmemmap_pgtable_config.ctx.  Hooks must not
 * call back into this tree.
 */
struct vmemmap_pgtable_ops {
	/* --- required ----------------------------------------------------- */
	/*
	 * alloc_table() - a zeroed 4 KiB table page, preferably on @node.
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
	int (*alloc_block)(void *ctx, uint64_t size, uint64_t align, int node,
			   uint64_t *phys);
	/* free_block() - give back a block from alloc_block(). */
	void (*free_block)(void *ctx, uint64_t phys, uint64_t size);
	/*
	 * phys_to_virt() - a pointer through which the caller's CPU reads and
	 * writes physical memory at @phys, valid for the whole table or block
	 * containing it.  NULL if @phys is not accessible.
	 */
	void *(*phys_to_virt)(void *ctx, uint64_t phys);

	/* --- entry format: all five, or none for the x86-64 default -------- */
	/* mk_table() - entry at @level pointing to the table at @phys. */
	uint64_t (*mk_table)(void *ctx, int level, uint64_t phys);
	/* mk_leaf() - entry at @level (PTE or PMD) mapping the block at @phys. */
	uint64_t (*mk_leaf)(void *ctx, int level, uint64_t phys);
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
	 * flush_tlb() - after an entry mapping [@start, @end) was cleared and
	 * before its memory is freed.  NULL: nothing to flush.
	 */
	void (*flush_tlb)(void *ctx, uint64_t start, uint64_t end);
	/*
	 * sync_pgd() - after a successful populate of [@start, @end): copy new
	 * top-level entries into other page tables (sync_global_pgds).
	 */
	void (*sync_pgd)(void *ctx, uint64_t start, uint64_t end);
};

/* vmemmap_pgtable_config.pgd_phys: allocate a fresh root with alloc_table. */
#define VMEMMAP_PGD_ALLOC UINT64_MAX

/* vmemmap_pgtable_config.flags */
#define VMEMMAP_PGTABLE_KEEP_TOP 0x1u /* never free tables the root points to */

struct vmemmap_pgtable_config {
	const struct vmemmap_pgtable_ops *ops;
	void *ctx;
	unsigned levels;   /* 4 or 5 */
	uint64_t pgd_phys; /* the embedder's root table, or VMEMMAP_PGD_ALLOC */
	int pgd_node;      /* node for an allocated root */
	uint64_t vmemmap_base; /* virtual address of struct page for pfn 0, 2 MiB
				  aligned; 0: VMEMMAP_START_L4 / _L5 */
	uint64_t section_memmap_size; /* memmap bytes per section; ranges below
					 it use 4 KiB pages.  0: 2 MiB */
	unsigned flags;    /* VMEMMAP_PGTABLE_* */
};

struct vmemmap_pgtable {
	const struct vmemmap_pgtable_ops *ops;
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

	unsigned long nr_tables;     /* tables below the root */
	unsigned long nr_pte_pages;  /* 4 KiB blocks mapped by PTEs */
	unsigned long nr_pmd_blocks; /* 2 MiB blocks mapped by huge PMDs */
	unsigned long nr_altmap_blocks; /* of which from an altmap */
};

/**
 * vmemmap_pgtable_init() - set up a tree from @cfg.
 *
 * Return: 0; -PMM_EINVAL for a missing required hook, a partial entry
 * format, levels other than 4 or 5, a misaligned or non-canonical
 * vmemmap_base, or a section_memmap_size not a multiple of 4 KiB; the
 * alloc_table error if the root cannot be allocated; -PMM_EFAULT if
 * phys_to_virt() cannot reach the root.
 * Context: may call alloc_table.
 */
int vmemmap_pgtable_init(struct vmemmap_pgtable *pt,
			 const struct vmemmap_pgtable_config *cfg);

/**
 * vmemmap_pgtable_destroy() - release a tree's remaining tables.
 *
 * With a root of its own: frees every table left (those kept by
 * VMEMMAP_PGTABLE_KEEP_TOP, or emptied by nothing) and the root.  With an
 * adopted root: frees nothing, as tables under the embedder's root are the
 * embedder's.
 *
 * Return: 0; -PMM_EBUSY (and nothing freed) while anything is still mapped.
 * Context: the caller serialises; calls free_table.
 */
int vmemmap_pgtable_destroy(struct vmemmap_pgtable *pt);

/**
 * vmemmap_populate() - back [@start, @end) of the vmemmap with memory.
 * @pt: the tree.
 * @start: first byte, 4 KiB aligned.
 * @end: byte after the range, 4 KiB aligned, > @start.
 * @node: node the struct pages describe; tables and blocks are asked there.
 * @altmap: where 2 MiB blocks come from for a range of at least one
 *	section's memmap, or NULL.
 *
 * Already-mapped parts are kept.  On failure the range may be partly
 * populated; the caller releases it with vmemmap_free() over the same range
 * and altmap, as section_activate() does.
 *
 * Return: 0; -PMM_EINVAL for a misaligned, empty or non-canonical range;
 * -PMM_ENOMEM when a table or block cannot be had (altmap exhausted, no
 * 2 MiB block with an altmap, altmap without huge PMD support); -PMM_EEXIST
 * if the range meets a leaf above PMD level or a non-empty entry this
 * format does not call present; -PMM_EFAULT if phys_to_virt() fails.
 * Context: the caller serialises (mem_hotplug_lock); calls the hooks.
 */
int vmemmap_populate(struct vmemmap_pgtable *pt, uint64_t start, uint64_t end,
		     int node, struct vmem_altmap *altmap);

/**
 * vmemmap_free() - unmap [@start, @end) of the vmemmap and free its memory.
 * @altmap: the altmap the range was populated with, or NULL.  A 2 MiB block
 *	goes back to it only if it lies in the altmap's range.
 *
 * Blocks fully inside the range are freed; a huge PMD only partly inside is
 * freed once no part of it is in use (PAGE_UNUSED tracking).  Tables left
 * empty are freed (see VMEMMAP_PGTABLE_KEEP_TOP).
 *
 * Return: 0, or -PMM_EINVAL for a misaligned, empty or non-canonical range
 * (nothing done).
 * Context: the caller serialises; calls flush_tlb before each free.
 */
int vmemmap_free(struct vmemmap_pgtable *pt, uint64_t start, uint64_t end,
		 struct vmem_altmap *altmap);

/**
 * vmemmap_lookup() - translate a vmemmap address as the MMU would.
 * @phys: set to the physical address of @vaddr.
 * @size: if not NULL, set to the size of the mapping (4 KiB or 2 MiB).
 *
 * Return: 0, or -PMM_ENOENT if @vaddr is not mapped (or not canonical).
 * Context: not concurrently with vmemmap_free().
 */
int vmemmap_lookup(const struct vmemmap_pgtable *pt, uint64_t vaddr,
		   uint64_t *phys, uint64_t *size);

/**
 * pgtable_populate_section_memmap() - populate the memmap of
 * [@pfn, @pfn + @nr_pages): vmemmap_base + pfn * 64 onwards.
 *
 * Return: as vmemmap_populate(); -PMM_EINVAL unless @pfn and @nr_pages are
 * multiples of PAGES_PER_SUBSECTION (512) and @nr_pages is not 0.
 * Context: as vmemmap_populate().
 */
int pgtable_populate_section_memmap(struct vmemmap_pgtable *pt,
				    unsigned long pfn, unsigned long nr_pages,
				    int nid, struct vmem_altmap *altmap);

/**
 * pgtable_depopulate_section_memmap() - vmemmap_free() of the memmap of
 * [@pfn, @pfn + @nr_pages), same alignment rules.
 * Context: as vmemmap_free().
 */
int pgtable_depopulate_section_memmap(struct vmemmap_pgtable *pt,
				      unsigned long pfn, unsigned long nr_pages,
				      struct vmem_altmap *altmap);

/**
 * vmemmap_populate_print_last() - print the last pending run of huge PMDs
 * (pr_debug), as the kernel does at the end of sparse_init().
 * Context: as vmemmap_populate().
 */
void vmemmap_populate_print_last(struct vmemmap_pgtable *pt);

#endif /* PMM_MM_VMEMMAP_PGTABLE_H */
