// SPDX-License-Identifier: MIT
/*
 * The public page-table builder (<pmm/vmemmap.h>) used the way a hobby
 * kernel would, through nothing but the installed headers: no internal
 * header, no test harness.
 *
 * "Physical memory" is a 136 MiB anonymous mapping (physical address =
 * offset; untouched parts cost nothing).  A frame allocator hands out tables
 * and blocks from its first 64 MiB; pfns from 0x8000 (128 MiB) on are a
 * hot-added section whose memmap comes from its own first frames (altmap).
 * The test's MMU is an independent x86-64 walker over the raw table bytes:
 * every translation it makes is compared with pmm_vmemmap_lookup(), and data
 * written through one is read back through the other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <pmm/errno.h>
#include <pmm/vmemmap.h>

#define SZ_4K UINT64_C(0x1000)
#define SZ_2M UINT64_C(0x200000)
#define MEM_SIZE (UINT64_C(136) << 20)
#define POOL_SIZE (UINT64_C(64) << 20) /* tables and blocks come from here */
#define NR_POOL_FRAMES (POOL_SIZE / SZ_4K)
#define PAGES_PER_SECTION 32768UL
#define HOTPLUG_PFN 0x8000UL /* section 1: memmap on its own memory */

struct phys {
	uint8_t *mem;
	uint8_t used[NR_POOL_FRAMES]; /* 0 free, 1 table, 2 block */
	unsigned long tables, blocks_4k, blocks_2m; /* outstanding */
	unsigned long flushes, frees_unflushed, flushes_seen;
	int no_pse;
	uint64_t root; /* in CR3, never in a TLB entry: freed without a flush */
	char log[4096];
};

static int pool_take(struct phys *p, uint64_t size, uint8_t kind, uint64_t *phys)
{
	uint64_t nr = size / SZ_4K;

	for (uint64_t f = 0; f + nr <= NR_POOL_FRAMES; f += nr) {
		uint64_t i;

		for (i = 0; i < nr && !p->used[f + i]; i++)
			;
		if (i < nr)
			continue;
		memset(&p->used[f], kind, nr);
		*phys = f * SZ_4K;
		return 0;
	}
	return -PMM_ENOMEM;
}

static void pool_give(struct phys *p, uint64_t phys, uint64_t size, uint8_t kind)
{
	/* The entry that pointed here must have been flushed since the last free. */
	if (p->flushes == p->flushes_seen && !(kind == 1 && phys == p->root))
		p->frees_unflushed++;
	p->flushes_seen = p->flushes;
	for (uint64_t f = phys / SZ_4K; f < (phys + size) / SZ_4K; f++) {
		assert_true(f < NR_POOL_FRAMES);
		assert_int_equal(p->used[f], kind);
		p->used[f] = 0;
	}
	memset(p->mem + phys, 0x6b, size);
}

static int h_alloc_table(void *ctx, int node, uint64_t *phys)
{
	struct phys *p = ctx;
	int err = pool_take(p, SZ_4K, 1, phys);

	(void)node;
	if (!err) {
		memset(p->mem + *phys, 0, SZ_4K);
		p->tables++;
	}
	return err;
}

static void h_free_table(void *ctx, uint64_t phys)
{
	struct phys *p = ctx;

	pool_give(p, phys, SZ_4K, 1);
	p->tables--;
}

static int h_alloc_block(void *ctx, uint64_t size, uint64_t align, int node, uint64_t *phys)
{
	struct phys *p = ctx;
	int err;

	(void)node;
	assert_true(align == size && (size == SZ_4K || size == SZ_2M));
	err = pool_take(p, size, 2, phys);
	if (!err)
		size == SZ_2M ? p->blocks_2m++ : p->blocks_4k++;
	return err;
}

static void h_free_block(void *ctx, uint64_t phys, uint64_t size)
{
	struct phys *p = ctx;

	pool_give(p, phys, size, 2);
	size == SZ_2M ? p->blocks_2m-- : p->blocks_4k--;
}

static void *h_phys_to_virt(void *ctx, uint64_t phys)
{
	struct phys *p = ctx;

	return phys < MEM_SIZE ? p->mem + phys : NULL;
}

static bool h_pse(void *ctx)
{
	return !((struct phys *)ctx)->no_pse;
}

static void h_flush(void *ctx, uint64_t start, uint64_t end)
{
	struct phys *p = ctx;

	assert_true(start < end);
	p->flushes++;
}

static void h_log(void *ctx, int level, const char *msg)
{
	struct phys *p = ctx;

	(void)level;
	strncat(p->log, msg, sizeof(p->log) - strlen(p->log) - 1);
}

static const struct pmm_vmemmap_ops ops = {
	.alloc_table = h_alloc_table,
	.free_table = h_free_table,
	.alloc_block = h_alloc_block,
	.free_block = h_free_block,
	.phys_to_virt = h_phys_to_virt,
	.pmd_huge_supported = h_pse,
	.flush_tlb = h_flush,
	.log = h_log,
};

static struct phys *phys_new(void)
{
	static struct phys p;

	memset(&p, 0, sizeof(p));
	p.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	assert_true(p.mem != MAP_FAILED);
	/* Frames below 4 KiB are never handed out: phys 0 stays "no table". */
	p.used[0] = 3;
	return &p;
}

static void phys_done(struct phys *p)
{
	assert_int_equal(p->tables, 0);
	assert_int_equal(p->blocks_4k, 0);
	assert_int_equal(p->blocks_2m, 0);
	assert_int_equal(p->frees_unflushed, 0);
	munmap(p->mem, MEM_SIZE);
}

/* ------------------------------------------------ the test's own MMU */

/*
 * Translate @va by walking the raw tables from @pgd_phys as an x86-64 CPU
 * would, with @levels levels.  Returns 0 and the physical address and page
 * size, or -1 at the first non-present entry.  Checks the bits pmm must set:
 * tables _KERNPG_TABLE, leaves PAGE_KERNEL(_LARGE).
 */
static int mmu_walk(const struct phys *p, uint64_t pgd_phys, unsigned levels, uint64_t va,
		    uint64_t *pa, uint64_t *size)
{
	uint64_t table = pgd_phys;

	for (int level = (int)levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t e;

		memcpy(&e, p->mem + table + ((va >> shift) & 511) * 8, 8);
		if (!(e & PMM_X86_PAGE_PRESENT))
			return -1;
		if (level == 1 || (level == 2 && (e & PMM_X86_PAGE_PSE))) {
			uint64_t sz = UINT64_C(1) << shift;
			uint64_t base = e & (level == 2 ? PMM_X86_PAGE_LARGE_ADDR_MASK : PMM_X86_PAGE_ADDR_MASK);

			assert_int_equal(e & ~(level == 2 ? PMM_X86_PAGE_LARGE_ADDR_MASK : PMM_X86_PAGE_ADDR_MASK),
					 level == 2 ? PMM_X86_PAGE_KERNEL_LARGE : PMM_X86_PAGE_KERNEL);
			assert_int_equal(base & (sz - 1), 0);
			*pa = base + (va & (sz - 1));
			*size = sz;
			return 0;
		}
		assert_int_equal(e & ~PMM_X86_PAGE_ADDR_MASK, PMM_X86_KERNPG_TABLE);
		table = e & PMM_X86_PAGE_ADDR_MASK;
		assert_true(table < MEM_SIZE);
	}
	return -1;
}

static uint64_t memmap_va(const struct pmm_vmemmap *pt, unsigned long pfn)
{
	return pt->vmemmap_base + (uint64_t)pfn * PMM_VMEMMAP_STRUCT_PAGE_SIZE;
}

/*
 * Every 4 KiB of the memmap of [pfn, pfn + nr): the MMU and the library
 * agree, the mapping has the expected size, and a struct page written
 * through the translation reads back through the other one.
 */
static void check_mapped(struct phys *p, const struct pmm_vmemmap *pt, unsigned long pfn,
			 unsigned long nr, uint64_t want_size)
{
	for (uint64_t va = memmap_va(pt, pfn); va < memmap_va(pt, pfn + nr); va += SZ_4K) {
		uint64_t pa, sz, pa2, sz2;

		if (mmu_walk(p, pt->pgd_phys, pt->levels, va, &pa, &sz))
			fail_msg("va %#llx: the MMU finds no mapping", (unsigned long long)va);
		assert_int_equal(pmm_vmemmap_lookup(pt, va, &pa2, &sz2), 0);
		assert_int_equal(pa, pa2);
		assert_int_equal(sz, sz2);
		if (sz != want_size)
			fail_msg("va %#llx: %llu-byte mapping, want %llu", (unsigned long long)va,
				 (unsigned long long)sz, (unsigned long long)want_size);
		memcpy(p->mem + pa, &va, sizeof(va));
		assert_int_equal(pmm_vmemmap_lookup(pt, va + 8, &pa2, NULL), 0);
		assert_memory_equal(p->mem + pa2 - 8, &va, sizeof(va));
	}
}

static void check_unmapped(const struct phys *p, const struct pmm_vmemmap *pt, unsigned long pfn,
			   unsigned long nr)
{
	for (uint64_t va = memmap_va(pt, pfn); va < memmap_va(pt, pfn + nr); va += SZ_4K) {
		uint64_t pa, sz;

		if (!mmu_walk(p, pt->pgd_phys, pt->levels, va, &pa, &sz))
			fail_msg("va %#llx is mapped (hole)", (unsigned long long)va);
		assert_int_equal(pmm_vmemmap_lookup(pt, va, &pa, &sz), -PMM_ENOENT);
	}
}

static void tree_init(struct phys *p, struct pmm_vmemmap *pt, unsigned levels)
{
	struct pmm_vmemmap_config cfg = {
		.ops = &ops,
		.ctx = p,
		.levels = levels,
		.pgd_phys = PMM_VMEMMAP_PGD_ALLOC,
	};

	assert_int_equal(pmm_vmemmap_init(pt, &cfg), 0);
	assert_int_equal(p->tables, 1);
	p->root = pt->pgd_phys;
}

/* ------------------------------------------------------------ tests */

/* Sections 0 and 3 present, 1 and 2 a hole: huge PMDs, 4 and 5 levels. */
static void test_huge_pmds(void **state)
{
	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		struct phys *p = phys_new();
		struct pmm_vmemmap pt;

		tree_init(p, &pt, levels);
		assert_int_equal(pt.vmemmap_base, levels == 5 ? PMM_VMEMMAP_START_L5 : PMM_VMEMMAP_START_L4);
		assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
		assert_int_equal(pmm_vmemmap_populate_section(&pt, 3 * PAGES_PER_SECTION, PAGES_PER_SECTION, 0, NULL), 0);
		/* Populating again changes nothing. */
		assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
		assert_int_equal(pt.nr_pmd_blocks, 2);
		assert_int_equal(p->blocks_2m, 2);
		assert_int_equal(pt.nr_pte_pages, 0);
		/* pgd -> (p4d ->) pud -> pmd: one table per level below the root. */
		assert_int_equal(pt.nr_tables, levels - 2);
		check_mapped(p, &pt, 0, PAGES_PER_SECTION, SZ_2M);
		check_mapped(p, &pt, 3 * PAGES_PER_SECTION, PAGES_PER_SECTION, SZ_2M);
		check_unmapped(p, &pt, PAGES_PER_SECTION, 2 * PAGES_PER_SECTION);

		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, NULL), 0);
		check_unmapped(p, &pt, 0, PAGES_PER_SECTION);
		check_mapped(p, &pt, 3 * PAGES_PER_SECTION, PAGES_PER_SECTION, SZ_2M);
		/* Still mapped: destroy refuses and frees nothing. */
		assert_int_equal(pmm_vmemmap_destroy(&pt), -PMM_EBUSY);
		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 3 * PAGES_PER_SECTION, PAGES_PER_SECTION, NULL), 0);
		assert_int_equal(pt.nr_tables, 0);
		assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
		phys_done(p);
	}
}

/* Without PSE, and for a subsection: 4 KiB PTEs. */
static void test_base_pages(void **state)
{
	struct phys *p = phys_new();
	struct pmm_vmemmap pt;

	(void)state;
	p->no_pse = 1;
	tree_init(p, &pt, 4);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pt.nr_pte_pages, PAGES_PER_SECTION * 64 / SZ_4K);
	assert_int_equal(pt.nr_pmd_blocks, 0);
	check_mapped(p, &pt, 0, PAGES_PER_SECTION, SZ_4K);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, NULL), 0);

	/* With PSE, a 512-page subsection's 32 KiB of memmap still uses PTEs. */
	p->no_pse = 0;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 2 * PAGES_PER_SECTION + 512, 512, 1, NULL), 0);
	assert_int_equal(pt.nr_pte_pages, 8);
	check_mapped(p, &pt, 2 * PAGES_PER_SECTION + 512, 512, SZ_4K);
	check_unmapped(p, &pt, 2 * PAGES_PER_SECTION, 512);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 2 * PAGES_PER_SECTION + 512, 512, NULL), 0);
	assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
	phys_done(p);
}

/* A hot-added section whose memmap lives in its own first 512 frames. */
static void test_altmap_section(void **state)
{
	struct phys *p = phys_new();
	struct pmm_vmem_altmap altmap;
	struct pmm_vmemmap pt;
	uint64_t pa, sz;

	(void)state;
	tree_init(p, &pt, 4);
	assert_int_equal(pmm_vmem_altmap_init(&altmap, HOTPLUG_PFN, HOTPLUG_PFN + PAGES_PER_SECTION, 0,
					      PAGES_PER_SECTION), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, HOTPLUG_PFN, PAGES_PER_SECTION, 0, &altmap), 0);
	/* The memmap is exactly the section's first 2 MiB; nothing from the pool. */
	assert_int_equal(altmap.alloc, 512);
	assert_int_equal(altmap.align, 0);
	assert_int_equal(pmm_vmem_altmap_next_pfn(&altmap), HOTPLUG_PFN + 512);
	assert_int_equal(pt.nr_altmap_blocks, 1);
	assert_int_equal(p->blocks_2m, 0);
	assert_int_equal(mmu_walk(p, pt.pgd_phys, 4, memmap_va(&pt, HOTPLUG_PFN), &pa, &sz), 0);
	assert_int_equal(pa, (uint64_t)HOTPLUG_PFN * SZ_4K);
	assert_int_equal(sz, SZ_2M);
	/* The struct page of the section's last pfn sits in its 512th frame. */
	assert_int_equal(mmu_walk(p, pt.pgd_phys, 4, memmap_va(&pt, HOTPLUG_PFN + PAGES_PER_SECTION - 1),
				  &pa, &sz), 0);
	assert_int_equal(pa >> 12, HOTPLUG_PFN + 511);
	check_mapped(p, &pt, HOTPLUG_PFN, PAGES_PER_SECTION, SZ_2M);

	/* Without PSE an altmap cannot be used, and the kernel says so. */
	{
		struct pmm_vmem_altmap a2;

		p->no_pse = 1;
		assert_int_equal(pmm_vmem_altmap_init(&a2, 2 * HOTPLUG_PFN, 0, 0, PAGES_PER_SECTION), 0);
		assert_int_equal(pmm_vmemmap_populate_section(&pt, 2 * HOTPLUG_PFN, PAGES_PER_SECTION, 0, &a2),
				 -PMM_ENOMEM);
		assert_non_null(strstr(p->log, "vmemmap_populate: no cpu support for altmap allocations\n"));
		assert_int_equal(a2.alloc, 0);
		p->no_pse = 0;
		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 2 * HOTPLUG_PFN, PAGES_PER_SECTION, &a2), 0);
	}

	/* Teardown gives the block back to the altmap, not to free_block. */
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, HOTPLUG_PFN, PAGES_PER_SECTION, &altmap), 0);
	assert_int_equal(altmap.alloc, 0);
	assert_int_equal(pt.nr_altmap_blocks, 0);
	check_unmapped(p, &pt, HOTPLUG_PFN, PAGES_PER_SECTION);
	assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
	phys_done(p);
}

/*
 * An adopted root with an entry of the embedder's own (a direct map at
 * pgd index 273): pmm builds beside it, never frees the root or the top
 * tables with KEEP_TOP, and leaves the foreign entry alone.
 */
static void test_adopted_root(void **state)
{
	struct phys *p = phys_new();
	struct pmm_vmemmap pt;
	uint64_t root = 0, foreign = UINT64_C(0x123000) | PMM_X86_KERNPG_TABLE, e;
	struct pmm_vmemmap_config cfg = {
		.ops = &ops, .ctx = p, .levels = 4, .flags = PMM_VMEMMAP_KEEP_TOP,
	};

	(void)state;
	assert_int_equal(h_alloc_table(p, 0, &root), 0);
	memcpy(p->mem + root + 273 * 8, &foreign, 8);
	cfg.pgd_phys = root;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	check_mapped(p, &pt, 0, PAGES_PER_SECTION, SZ_2M);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, NULL), 0);
	/* The pud table the root points to is kept; pmd below it is gone. */
	assert_int_equal(pt.nr_tables, 1);
	assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
	memcpy(&e, p->mem + root + 273 * 8, 8);
	assert_int_equal(e, foreign);
	/* The kept table is the embedder's now: release it and the root. */
	memcpy(&e, p->mem + root + ((PMM_VMEMMAP_START_L4 >> 39) & 511) * 8, 8);
	assert_true(e & PMM_X86_PAGE_PRESENT);
	p->flushes++;
	h_free_table(p, e & PMM_X86_PAGE_ADDR_MASK);
	p->flushes++;
	h_free_table(p, root);
	phys_done(p);
}

static uint64_t h_mk_leaf(void *ctx, int level, uint64_t phys)
{
	(void)ctx;
	(void)level;
	return phys | 1;
}

static void test_bad_arguments(void **state)
{
	struct phys *p = phys_new();
	struct pmm_vmemmap pt;
	struct pmm_vmemmap_ops partial = ops;
	struct pmm_vmemmap_config cfg = {
		.ops = &partial, .ctx = p, .levels = 4, .pgd_phys = PMM_VMEMMAP_PGD_ALLOC,
	};

	(void)state;
	partial.alloc_block = NULL;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	/* An entry format is all five hooks or none. */
	partial = ops;
	partial.mk_leaf = h_mk_leaf;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	partial = ops;
	cfg.levels = 3;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	cfg.levels = 4;
	cfg.vmemmap_base = PMM_VMEMMAP_START_L4 + SZ_4K;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	assert_int_equal(p->tables, 0);

	tree_init(p, &pt, 4);
	assert_int_equal(pmm_vmemmap_populate(&pt, PMM_VMEMMAP_START_L4 + 8, PMM_VMEMMAP_START_L4 + SZ_4K, 0,
					      NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 100, 512, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 0, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pt.nr_tables, 0);
	assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
	phys_done(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_pmds),
		cmocka_unit_test(test_base_pages),
		cmocka_unit_test(test_altmap_section),
		cmocka_unit_test(test_adopted_root),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
