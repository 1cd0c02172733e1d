// SPDX-License-Identifier: MIT
/*
 * The generic vmemmap page-table populator on a software machine.
 *
 * The machine is a 64 MiB byte array used as physical memory (physical
 * address = offset), two NUMA nodes of 32 MiB, a frame owner map that
 * catches double and mismatched frees, and counters of every allocation and
 * free.  Table pages, 4 KiB and 2 MiB blocks come from it.  An independent
 * decoder of the x86-64 entry format plays the MMU: it walks the raw bytes
 * of the tables, checks every entry's bits, and every leaf it finds is
 * compared 4 KiB by 4 KiB with pmm_vmemmap_lookup().
 */
#include "harness.h"

#include <inttypes.h>
#include <stdbool.h>

#include <pmm/errno.h>
#include <pmm/platform.h>

#include <pmm/vmemmap.h>

#define SZ_4K UINT64_C(0x1000)
#define SZ_1M UINT64_C(0x100000)
#define SZ_2M UINT64_C(0x200000)
#define MEM_SIZE (64 * SZ_1M)
#define NR_FRAMES (MEM_SIZE / SZ_4K)
#define NODE_SIZE (32 * SZ_1M)
#define PAGES_PER_SECTION 32768UL
#define PAGES_PER_SUBSECTION 512UL

/* The altmap region used by the altmap tests: pfns [0x2000, 0x3000). */
#define ALTMAP_BASE_PFN 0x2000UL
#define ALTMAP_NR_PFNS 0x1000UL

#define JUNK 0x5a   /* fresh memory: blocks are not zeroed */
#define POISON 0x6b /* freed memory */

enum owner { FREE, TABLE, BLOCK_4K, BLOCK_2M, RESERVED };

struct machine {
	uint8_t *mem;
	uint8_t owner[NR_FRAMES];
	unsigned long tables_alloc, tables_free;
	unsigned long b4k_alloc, b4k_free, b2m_alloc, b2m_free;
	unsigned long bad_frees;
	unsigned long unflushed_frees; /* frees with no TLB flush since the last */
	unsigned long flushes_at_free;
	uint64_t root_phys; /* never in a TLB entry: exempt from the flush check */
	/* knobs */
	bool no_pse;
	bool fail_2m;
	long fail_table_at;  /* fail the table allocation with this index; -1 never */
	bool misplace;       /* blocks come from the other node */
	int distance_override; /* node_distance() result when > 0 */
	/* observations */
	unsigned long flushes, syncs;
	int nlog;
	char log[512][160];
	int log_level[512];
};

/* ------------------------------------------------------------ machine */

static int frames_find(struct machine *m, uint64_t lo, uint64_t hi, uint64_t nr)
{
	uint64_t f, i;

	for (f = lo; f + nr <= hi; f += nr) {
		for (i = 0; i < nr; i++)
			if (m->owner[f + i] != FREE)
				break;
		if (i == nr)
			return (int)f;
	}
	return -1;
}

static int frames_alloc(struct machine *m, int node, uint64_t size, enum owner o,
			uint64_t *phys)
{
	uint64_t nr = size / SZ_4K, lo, hi, i;
	int f;

	lo = node == 1 ? NODE_SIZE / SZ_4K : 0;
	hi = lo + NODE_SIZE / SZ_4K;
	f = frames_find(m, lo, hi, nr);
	if (f < 0)
		return -PMM_ENOMEM;
	for (i = 0; i < nr; i++)
		m->owner[f + i] = (uint8_t)o;
	*phys = (uint64_t)f * SZ_4K;
	return 0;
}

static void frames_free(struct machine *m, uint64_t phys, uint64_t size, enum owner o)
{
	uint64_t i, f = phys / SZ_4K, nr = size / SZ_4K;

	/* Whatever was mapped must be flushed from the TLB before reuse. */
	if (m->flushes == m->flushes_at_free && !(o == TABLE && phys == m->root_phys))
		m->unflushed_frees++;
	m->flushes_at_free = m->flushes;

	if (phys % size || phys + size > MEM_SIZE) {
		m->bad_frees++;
		return;
	}
	for (i = 0; i < nr; i++)
		if (m->owner[f + i] != o) {
			m->bad_frees++;
			return;
		}
	for (i = 0; i < nr; i++)
		m->owner[f + i] = FREE;
	memset(m->mem + phys, POISON, size);
}

static int m_alloc_table(void *ctx, int node, uint64_t *phys)
{
	struct machine *m = ctx;
	int err;

	if (m->fail_table_at >= 0 && (long)m->tables_alloc == m->fail_table_at) {
		m->fail_table_at = -1;
		return -PMM_ENOMEM;
	}
	err = frames_alloc(m, node < 0 ? 0 : node, SZ_4K, TABLE, phys);
	if (err)
		return err;
	memset(m->mem + *phys, 0, SZ_4K);
	m->tables_alloc++;
	return 0;
}

static void m_free_table(void *ctx, uint64_t phys)
{
	struct machine *m = ctx;

	frames_free(m, phys, SZ_4K, TABLE);
	m->tables_free++;
}

static int m_alloc_block(void *ctx, uint64_t size, uint64_t align, int node,
			 uint64_t *phys)
{
	struct machine *m = ctx;
	int err;

	if (align != size || (size != SZ_4K && size != SZ_2M))
		return -PMM_EINVAL;
	if (size == SZ_2M && m->fail_2m)
		return -PMM_ENOMEM;
	if (m->misplace)
		node = !node;
	err = frames_alloc(m, node, size, size == SZ_2M ? BLOCK_2M : BLOCK_4K, phys);
	if (err)
		return err;
	memset(m->mem + *phys, JUNK, size);
	if (size == SZ_2M)
		m->b2m_alloc++;
	else
		m->b4k_alloc++;
	return 0;
}

static void m_free_block(void *ctx, uint64_t phys, uint64_t size)
{
	struct machine *m = ctx;

	frames_free(m, phys, size, size == SZ_2M ? BLOCK_2M : BLOCK_4K);
	if (size == SZ_2M)
		m->b2m_free++;
	else
		m->b4k_free++;
}

static void *m_phys_to_virt(void *ctx, uint64_t phys)
{
	struct machine *m = ctx;

	return phys < MEM_SIZE ? m->mem + phys : NULL;
}

static bool m_pmd_huge_supported(void *ctx)
{
	return !((struct machine *)ctx)->no_pse;
}

static int m_phys_to_nid(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys < NODE_SIZE ? 0 : 1;
}

static int m_node_distance(void *ctx, int from, int to)
{
	struct machine *m = ctx;

	if (m->distance_override > 0)
		return m->distance_override;
	return from == to ? 10 : 21;
}

static void m_log(void *ctx, int level, const char *msg)
{
	struct machine *m = ctx;

	if (m->nlog < 512) {
		snprintf(m->log[m->nlog], sizeof(m->log[0]), "%s", msg);
		m->log_level[m->nlog] = level;
	}
	m->nlog++;
}

static void m_flush_tlb(void *ctx, uint64_t start, uint64_t end)
{
	(void)start;
	(void)end;
	((struct machine *)ctx)->flushes++;
}

static void m_sync_pgd(void *ctx, uint64_t start, uint64_t end)
{
	(void)start;
	(void)end;
	((struct machine *)ctx)->syncs++;
}

static const struct pmm_vmemmap_ops machine_ops = {
	.alloc_table = m_alloc_table,
	.free_table = m_free_table,
	.alloc_block = m_alloc_block,
	.free_block = m_free_block,
	.phys_to_virt = m_phys_to_virt,
	.pmd_huge_supported = m_pmd_huge_supported,
	.phys_to_nid = m_phys_to_nid,
	.node_distance = m_node_distance,
	.log = m_log,
	.flush_tlb = m_flush_tlb,
	.sync_pgd = m_sync_pgd,
};

static int machine_setup(void **state)
{
	struct machine *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->mem = aligned_alloc(SZ_2M, MEM_SIZE);
	assert_non_null(m->mem);
	memset(m->mem, JUNK, MEM_SIZE);
	m->fail_table_at = -1;
	*state = m;
	return 0;
}

static int machine_teardown(void **state)
{
	struct machine *m = *state;

	free(m->mem);
	free(m);
	return 0;
}

static void reserve_altmap_region(struct machine *m)
{
	uint64_t f;

	for (f = ALTMAP_BASE_PFN; f < ALTMAP_BASE_PFN + ALTMAP_NR_PFNS; f++) {
		assert_int_equal(m->owner[f], FREE);
		m->owner[f] = RESERVED;
	}
}

static int count_log(const struct machine *m, const char *needle)
{
	int i, n = 0;

	for (i = 0; i < m->nlog && i < 512; i++)
		if (strstr(m->log[i], needle))
			n++;
	return n;
}

static void pt_init(struct machine *m, struct pmm_vmemmap *pt, unsigned levels,
		    unsigned flags)
{
	struct pmm_vmemmap_config cfg = {
		.ops = &machine_ops,
		.ctx = m,
		.levels = levels,
		.pgd_phys = PMM_VMEMMAP_PGD_ALLOC,
		.pgd_node = 0,
		.flags = flags,
	};

	assert_int_equal(pmm_vmemmap_init(pt, &cfg), 0);
	m->root_phys = pt->pgd_phys;
	assert_int_equal(pt->vmemmap_base, levels == 5 ? PMM_VMEMMAP_START_L5 : PMM_VMEMMAP_START_L4);
	assert_int_equal(m->tables_alloc, 1);
}

static uint64_t memmap_va(const struct pmm_vmemmap *pt, unsigned long pfn)
{
	return pt->vmemmap_base + (uint64_t)pfn * 64;
}

/* ------------------------------------------- the MMU: x86-64 decoder */

struct leaf {
	uint64_t va, phys, size;
};

struct walk {
	struct leaf leaves[8192];
	unsigned nleaves;
	unsigned long tables; /* below the root */
};

static unsigned shift_of(int level)
{
	return 12 + 9 * (unsigned)(level - 1);
}

static uint64_t sign_extend(uint64_t va, unsigned bits)
{
	if (va & (UINT64_C(1) << (bits - 1)))
		va |= ~((UINT64_C(1) << bits) - 1);
	return va;
}

static void decode(struct machine *m, struct walk *w, unsigned levels, int level,
		   uint64_t table_phys, uint64_t va_prefix)
{
	const uint64_t *t;
	unsigned i;

	if (table_phys >= MEM_SIZE || m->owner[table_phys / SZ_4K] != TABLE)
		fail_msg("table at %#" PRIx64 " (level %d) is not a table page", table_phys, level);
	t = (const uint64_t *)(m->mem + table_phys);
	for (i = 0; i < 512; i++) {
		uint64_t e = t[i], va;

		if (!e)
			continue;
		va = va_prefix | ((uint64_t)i << shift_of(level));
		if (!(e & PMM_X86_PAGE_PRESENT))
			fail_msg("level %d va %#" PRIx64 ": non-zero entry %#" PRIx64 " not present",
				 level, va, e);
		if (level == 1 || (level == 2 && (e & PMM_X86_PAGE_PSE))) {
			uint64_t size = level == 1 ? SZ_4K : SZ_2M;
			uint64_t flags = level == 1 ? 0x163 : 0x1e3;

			/* PAGE_KERNEL(_LARGE): P RW A D G (PSE) NX, address bits only. */
			if ((e & 0xfff) != flags || (e >> 52) != 0x800 ||
			    (e & PMM_X86_PAGE_ADDR_MASK & (size - 1)))
				fail_msg("leaf at level %d va %#" PRIx64 ": bad bits %#" PRIx64,
					 level, va, e);
			assert_true(w->nleaves < 8192);
			w->leaves[w->nleaves++] = (struct leaf){
				.va = sign_extend(va, levels == 5 ? 57 : 48),
				.phys = e & PMM_X86_PAGE_ADDR_MASK,
				.size = size,
			};
			continue;
		}
		/* _KERNPG_TABLE: P RW A D, no PSE, no NX. */
		if ((e & 0xfff) != 0x063 || (e >> 52))
			fail_msg("table entry at level %d va %#" PRIx64 ": bad bits %#" PRIx64,
				 level, va, e);
		w->tables++;
		decode(m, w, levels, level - 1, e & PMM_X86_PAGE_ADDR_MASK, va);
	}
}

struct range {
	uint64_t start, end, size; /* expected mapping size for the range */
};

/*
 * Check the whole tree: entry bits, that every leaf maps distinct, aligned
 * memory of the right kind, that lookup agrees with the decoder on every
 * 4 KiB, that the expected ranges (and nothing else) are mapped with the
 * expected page size, and that the counters match both the tree and the
 * machine's outstanding allocations.
 */
static void check_tree(struct machine *m, const struct pmm_vmemmap *pt,
		       const struct range *exp, unsigned nexp)
{
	static struct walk w;
	static uint8_t seen[NR_FRAMES];
	unsigned i, j, n4k = 0, n2m = 0;
	uint64_t off;

	memset(&w, 0, sizeof(w));
	memset(seen, 0, sizeof(seen));
	decode(m, &w, pt->levels, pt->levels == 5 ? 5 : 4, pt->pgd_phys, 0);

	for (i = 0; i < w.nleaves; i++) {
		const struct leaf *l = &w.leaves[i];
		bool wanted = false;

		if (l->phys % l->size || l->phys + l->size > MEM_SIZE)
			fail_msg("leaf va %#" PRIx64 " -> %#" PRIx64 " misaligned or outside memory",
				 l->va, l->phys);
		for (off = 0; off < l->size; off += SZ_4K) {
			uint64_t f = (l->phys + off) / SZ_4K, phys = 0, size = 0;
			uint8_t o = m->owner[f];

			if (seen[f]++)
				fail_msg("frame %#" PRIx64 " mapped twice (va %#" PRIx64 ")",
					 f, l->va + off);
			if (l->size == SZ_4K ? o != BLOCK_4K : (o != BLOCK_2M && o != RESERVED))
				fail_msg("va %#" PRIx64 " maps frame %#" PRIx64 " owned by %u",
					 l->va + off, f, o);
			assert_int_equal(pmm_vmemmap_lookup(pt, l->va + off, &phys, &size), 0);
			assert_int_equal(phys, l->phys + off);
			assert_int_equal(size, l->size);
		}
		if (l->size == SZ_4K)
			n4k++;
		else
			n2m++;
		for (j = 0; j < nexp; j++)
			if (l->va < exp[j].end && exp[j].start < l->va + l->size &&
			    exp[j].size == l->size)
				wanted = true;
		if (!wanted)
			fail_msg("stray %#" PRIx64 "-byte mapping at va %#" PRIx64, l->size, l->va);
	}
	for (j = 0; j < nexp; j++)
		for (off = exp[j].start; off < exp[j].end; off += SZ_4K) {
			uint64_t phys = 0, size = 0;

			if (pmm_vmemmap_lookup(pt, off, &phys, &size))
				fail_msg("va %#" PRIx64 " of expected range %u not mapped", off, j);
			if (size != exp[j].size)
				fail_msg("va %#" PRIx64 " mapped with %#" PRIx64 " pages, expected %#" PRIx64,
					 off, size, exp[j].size);
		}

	assert_int_equal(n4k, pt->nr_pte_pages);
	assert_int_equal(n2m, pt->nr_pmd_blocks);
	assert_int_equal(w.tables, pt->nr_tables);
	assert_int_equal(m->tables_alloc - m->tables_free, pt->nr_tables + (pt->own_pgd ? 1 : 0));
	assert_int_equal(m->b4k_alloc - m->b4k_free, pt->nr_pte_pages);
	assert_int_equal(m->b2m_alloc - m->b2m_free, pt->nr_pmd_blocks - pt->nr_altmap_blocks);
	assert_int_equal(m->bad_frees, 0);
	assert_int_equal(m->unflushed_frees, 0);
}

/* After destroy: nothing outstanding, every frame free or reserved. */
static void check_all_released(struct machine *m)
{
	uint64_t f;

	assert_int_equal(m->tables_alloc, m->tables_free);
	assert_int_equal(m->b4k_alloc, m->b4k_free);
	assert_int_equal(m->b2m_alloc, m->b2m_free);
	assert_int_equal(m->bad_frees, 0);
	assert_int_equal(m->unflushed_frees, 0);
	for (f = 0; f < NR_FRAMES; f++)
		if (m->owner[f] != FREE && m->owner[f] != RESERVED)
			fail_msg("frame %#" PRIx64 " still owned (%u)", f, m->owner[f]);
}

static void destroy_and_check(struct machine *m, struct pmm_vmemmap *pt)
{
	assert_int_equal(pt->nr_pte_pages, 0);
	assert_int_equal(pt->nr_pmd_blocks, 0);
	assert_int_equal(pt->nr_tables, 0);
	assert_int_equal(pmm_vmemmap_destroy(pt), 0);
	check_all_released(m);
}

static struct range section_range(const struct pmm_vmemmap *pt, unsigned long pfn,
				  unsigned long nr, uint64_t size)
{
	return (struct range){ memmap_va(pt, pfn), memmap_va(pt, pfn + nr), size };
}

/* -------------------------------------------------------------- tests */

static void test_one_section_huge_pmd(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct range r;
	uint64_t phys = 0, size = 0;

	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	r = section_range(&pt, 0, PAGES_PER_SECTION, SZ_2M);
	check_tree(m, &pt, &r, 1);
	assert_int_equal(pt.nr_pmd_blocks, 1);
	assert_int_equal(pt.nr_tables, 2); /* pud + pmd tables */
	assert_int_equal(m->syncs, 1);
	/* The block is on the requested node and the memmap is left alone. */
	assert_int_equal(pmm_vmemmap_lookup(&pt, PMM_VMEMMAP_START_L4 + 0x1234, &phys, &size), 0);
	assert_true(phys < NODE_SIZE);
	assert_int_equal(m->mem[phys], JUNK);
	assert_int_equal(pmm_vmemmap_lookup(&pt, PMM_VMEMMAP_START_L4 + SZ_2M, &phys, &size), -PMM_ENOENT);
	assert_int_equal(pmm_vmemmap_lookup(&pt, PMM_VMEMMAP_START_L4 - SZ_4K, &phys, &size), -PMM_ENOENT);

	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	/* Leaf and two tables were unmapped, each flushed before its free. */
	assert_int_equal(m->flushes, 3);
	destroy_and_check(m, &pt);
}

static void test_sections_with_holes(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	/* Holes between them; pfn 1<<27 is 8 GiB into the vmemmap (another
	 * pud entry), pfn 1<<33 is 512 GiB in (another pgd entry). */
	const unsigned long secs[] = { 0, 1, 3, 40, 1UL << 27 >> 15, 1UL << 33 >> 15 };
	const unsigned n = sizeof(secs) / sizeof(secs[0]);
	struct range r[6];
	unsigned i;

	pt_init(m, &pt, 4, 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(pmm_vmemmap_populate_section(&pt, secs[i] * PAGES_PER_SECTION,
								 PAGES_PER_SECTION, 0, NULL), 0);
		r[i] = section_range(&pt, secs[i] * PAGES_PER_SECTION, PAGES_PER_SECTION, SZ_2M);
	}
	check_tree(m, &pt, r, n);
	assert_int_equal(pt.nr_pmd_blocks, n);
	/* 2 pud tables (two pgd entries) + 3 pmd tables (three 1 GiB areas). */
	assert_int_equal(pt.nr_tables, 5);

	/* Remove in another order; tables go as soon as they are empty. */
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, secs[5] * PAGES_PER_SECTION,
							   PAGES_PER_SECTION, NULL), 0);
	check_tree(m, &pt, r, n - 1);
	assert_int_equal(pt.nr_tables, 3);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, secs[1] * PAGES_PER_SECTION,
							   PAGES_PER_SECTION, NULL), 0);
	r[1] = r[0];
	check_tree(m, &pt, r, n - 1);
	assert_int_equal(pt.nr_tables, 3);
	for (i = 0; i < n - 1; i++)
		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, secs[i] * PAGES_PER_SECTION,
								   PAGES_PER_SECTION, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_subsection_uses_base_pages(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmem_altmap altmap;
	struct range r[2];

	reserve_altmap_region(m);
	assert_int_equal(pmm_vmem_altmap_init(&altmap, ALTMAP_BASE_PFN, 0, 0, ALTMAP_NR_PFNS), 0);
	pt_init(m, &pt, 4, 0);
	/* Two subsections: 1024 struct pages = 64 KiB of memmap = 16 PTEs,
	 * and (x86-64) the altmap is not used for less than a section. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 3 * PAGES_PER_SUBSECTION,
							 2 * PAGES_PER_SUBSECTION, 0, &altmap), 0);
	r[0] = section_range(&pt, 3 * PAGES_PER_SUBSECTION, 2 * PAGES_PER_SUBSECTION, SZ_4K);
	check_tree(m, &pt, r, 1);
	assert_int_equal(pt.nr_pte_pages, 16);
	assert_int_equal(pt.nr_pmd_blocks, 0);
	assert_int_equal(pt.nr_tables, 3); /* pud, pmd, pte */
	assert_int_equal(altmap.alloc, 0);
	assert_int_equal(altmap.align, 0);

	/* Another subsection in the same PMD shares the PTE table. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 9 * PAGES_PER_SUBSECTION,
							 PAGES_PER_SUBSECTION, 0, NULL), 0);
	r[1] = section_range(&pt, 9 * PAGES_PER_SUBSECTION, PAGES_PER_SUBSECTION, SZ_4K);
	check_tree(m, &pt, r, 2);
	assert_int_equal(pt.nr_pte_pages, 24);
	assert_int_equal(pt.nr_tables, 3);

	/* Removing one keeps the shared tables; removing both frees them. */
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 3 * PAGES_PER_SUBSECTION,
							   2 * PAGES_PER_SUBSECTION, &altmap), 0);
	check_tree(m, &pt, &r[1], 1);
	assert_int_equal(pt.nr_tables, 3);
	assert_int_equal(altmap.alloc, 0);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 9 * PAGES_PER_SUBSECTION,
							   PAGES_PER_SUBSECTION, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	/* One flush per PTE and per table (pte, pmd, pud) unmapped. */
	assert_int_equal(m->flushes, 24 + 3);
	destroy_and_check(m, &pt);
}

static void test_no_pse_uses_base_pages(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmem_altmap altmap;
	struct range r;

	m->no_pse = true;
	reserve_altmap_region(m);
	assert_int_equal(pmm_vmem_altmap_init(&altmap, ALTMAP_BASE_PFN, 0, 0, ALTMAP_NR_PFNS), 0);
	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 2 * PAGES_PER_SECTION, 0, NULL), 0);
	r = section_range(&pt, 0, 2 * PAGES_PER_SECTION, SZ_4K);
	check_tree(m, &pt, &r, 1);
	assert_int_equal(pt.nr_pte_pages, 1024);
	assert_int_equal(pt.nr_pmd_blocks, 0);
	assert_int_equal(pt.nr_tables, 4); /* pud, pmd, 2 pte */

	/* An altmap cannot be honoured without huge PMDs: error, said once. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 4 * PAGES_PER_SECTION,
							 PAGES_PER_SECTION, 0, &altmap), -PMM_ENOMEM);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 5 * PAGES_PER_SECTION,
							 PAGES_PER_SECTION, 0, &altmap), -PMM_ENOMEM);
	assert_int_equal(count_log(m, "vmemmap_populate: no cpu support for altmap allocations\n"), 1);
	assert_int_equal(m->log_level[0], PMM_LOG_ERR);
	assert_int_equal(altmap.alloc, 0);
	check_tree(m, &pt, &r, 1);

	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, 2 * PAGES_PER_SECTION, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_fallback_without_2m_blocks(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct range r[2];

	pt_init(m, &pt, 4, 0);
	m->fail_2m = true;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	r[0] = section_range(&pt, 0, PAGES_PER_SECTION, SZ_4K);
	check_tree(m, &pt, r, 1);
	assert_int_equal(pt.nr_pte_pages, 512);
	/* With 2 MiB blocks back, the next section gets a huge PMD. */
	m->fail_2m = false;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SECTION,
							 PAGES_PER_SECTION, 0, NULL), 0);
	r[1] = section_range(&pt, PAGES_PER_SECTION, PAGES_PER_SECTION, SZ_2M);
	check_tree(m, &pt, r, 2);
	assert_int_equal(pt.nr_pmd_blocks, 1);
	/* Populating the first again keeps its PTEs (no huge PMD over a table). */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	check_tree(m, &pt, r, 2);
	assert_int_equal(m->b2m_alloc, 1);

	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, 2 * PAGES_PER_SECTION, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_altmap_exact_pfns(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmem_altmap altmap;
	struct range r[4];
	/* base 0x2000 + reserve 3 -> first 512-aligned pfn 0x2200 (pad 509). */
	const unsigned long want[4] = { 0x2200, 0x2400, 0x2600, 0x2800 };
	unsigned i;

	reserve_altmap_region(m);
	assert_int_equal(pmm_vmem_altmap_init(&altmap, ALTMAP_BASE_PFN,
					  ALTMAP_BASE_PFN + ALTMAP_NR_PFNS, 3,
					  ALTMAP_NR_PFNS - 3), 0);
	pt_init(m, &pt, 4, 0);
	for (i = 0; i < 4; i++) {
		uint64_t phys = 0, size = 0;

		assert_int_equal(pmm_vmemmap_populate_section(&pt, i * PAGES_PER_SECTION,
								 PAGES_PER_SECTION, 0, &altmap), 0);
		r[i] = section_range(&pt, i * PAGES_PER_SECTION, PAGES_PER_SECTION, SZ_2M);
		assert_int_equal(pmm_vmemmap_lookup(&pt, r[i].start, &phys, &size), 0);
		assert_int_equal(phys >> 12, want[i]);
		assert_int_equal(size, SZ_2M);
	}
	check_tree(m, &pt, r, 4);
	assert_int_equal(altmap.alloc, 2048);
	assert_int_equal(altmap.align, 509);
	assert_int_equal(pt.nr_altmap_blocks, 4);
	assert_int_equal(m->b2m_alloc, 0);
	/* The blocks sit on node 1 (32 MiB+) while the pages are node 0's:
	 * fresh huge PMDs are not verified, as in the kernel. */
	assert_int_equal(count_log(m, "offnode"), 0);

	for (i = 4; i-- > 0;)
		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, i * PAGES_PER_SECTION,
								   PAGES_PER_SECTION, &altmap), 0);
	check_tree(m, &pt, NULL, 0);
	assert_int_equal(altmap.alloc, 0);
	assert_int_equal(altmap.align, 509);
	assert_int_equal(pt.nr_altmap_blocks, 0);
	assert_int_equal(m->b2m_free, 0);
	destroy_and_check(m, &pt);
}

static void test_altmap_exhaustion(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmem_altmap altmap;
	struct range r;
	uint64_t phys = 0, size = 0;
	unsigned long tables;
	unsigned i;

	reserve_altmap_region(m);
	/* 0x1000 pfns after 3 reserved: 509 padding + 7 blocks of 512 fit. */
	assert_int_equal(pmm_vmem_altmap_init(&altmap, ALTMAP_BASE_PFN, 0, 3, ALTMAP_NR_PFNS - 3), 0);
	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 8 * PAGES_PER_SECTION, 0, &altmap),
			 -PMM_ENOMEM);
	/* Seven PMDs mapped at exact pfns, the eighth not, no fallback. */
	r = section_range(&pt, 0, 7 * PAGES_PER_SECTION, SZ_2M);
	check_tree(m, &pt, &r, 1);
	for (i = 0; i < 7; i++) {
		assert_int_equal(pmm_vmemmap_lookup(&pt, memmap_va(&pt, i * PAGES_PER_SECTION), &phys, &size), 0);
		assert_int_equal(phys >> 12, 0x2200 + i * 0x200);
	}
	assert_int_equal(pmm_vmemmap_lookup(&pt, memmap_va(&pt, 7 * PAGES_PER_SECTION), &phys, &size),
			 -PMM_ENOENT);
	assert_int_equal(altmap.alloc, 7 * 512);
	assert_int_equal(altmap.align, 509);
	assert_int_equal(pmm_vmem_altmap_nr_free(&altmap), 0x1000 - 3 - 509 - 7 * 512);
	assert_int_equal(m->b4k_alloc, 0);
	assert_int_equal(m->b2m_alloc, 0);

	/* Trying again changes nothing. */
	tables = m->tables_alloc;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 8 * PAGES_PER_SECTION, 0, &altmap),
			 -PMM_ENOMEM);
	assert_int_equal(m->tables_alloc, tables);
	assert_int_equal(altmap.alloc, 7 * 512);
	check_tree(m, &pt, &r, 1);

	/* The caller's cleanup, as section_activate() does. */
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, 8 * PAGES_PER_SECTION, &altmap), 0);
	check_tree(m, &pt, NULL, 0);
	assert_int_equal(altmap.alloc, 0);
	destroy_and_check(m, &pt);
}

/*
 * Which memory goes back to the altmap: only blocks that came from it.  A
 * huge PMD shared with a range populated without the altmap, and base pages
 * (x86-64 never takes them from the altmap), go back to free_block even
 * when the free names the altmap.
 */
static void test_altmap_free_checks_origin(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmem_altmap altmap;
	/* A: [1M, 3M) of the vmemmap from ordinary memory; B: [3M, 5M) with
	 * the altmap, sharing A's second PMD. */
	const unsigned long a_pfn = PAGES_PER_SECTION / 2, b_pfn = a_pfn + PAGES_PER_SECTION;
	uint64_t phys = 0, size = 0;
	struct range r;

	reserve_altmap_region(m);
	assert_int_equal(pmm_vmem_altmap_init(&altmap, ALTMAP_BASE_PFN, 0, 0, ALTMAP_NR_PFNS), 0);
	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, a_pfn, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, b_pfn, PAGES_PER_SECTION, 0, &altmap), 0);
	assert_int_equal(altmap.alloc, 512);
	assert_int_equal(pmm_vmemmap_lookup(&pt, memmap_va(&pt, b_pfn + PAGES_PER_SECTION / 2), &phys, &size), 0);
	assert_int_equal(phys >> 12, ALTMAP_BASE_PFN);
	r = (struct range){ pt.vmemmap_base, pt.vmemmap_base + 6 * SZ_1M, SZ_2M };
	check_tree(m, &pt, &r, 1);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, a_pfn, PAGES_PER_SECTION, NULL), 0);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, b_pfn, PAGES_PER_SECTION, &altmap), 0);
	check_tree(m, &pt, NULL, 0);
	assert_int_equal(altmap.alloc, 0);
	assert_int_equal(m->b2m_alloc, 2);
	assert_int_equal(m->b2m_free, 2);
	assert_int_equal(count_log(m, "altmap accounting"), 0);

	/* A PTE table already there: the rest of the section is filled with
	 * base pages from ordinary memory, not from the altmap. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SUBSECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, &altmap), 0);
	r = section_range(&pt, 0, PAGES_PER_SECTION, SZ_4K);
	check_tree(m, &pt, &r, 1);
	assert_int_equal(pt.nr_pte_pages, 512);
	assert_int_equal(altmap.alloc, 0);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, &altmap), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static bool all_bytes(const uint8_t *p, int c, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

static uint8_t *block_of(struct machine *m, const struct pmm_vmemmap *pt, uint64_t va)
{
	uint64_t phys = 0, size = 0;

	assert_int_equal(pmm_vmemmap_lookup(pt, va, &phys, &size), 0);
	assert_int_equal(size, SZ_2M);
	return m->mem + (phys & ~(SZ_2M - 1));
}

static void test_partial_pmds_page_unused(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	/* A: one section's worth starting half a section in: memmap
	 * [1M, 3M) of the vmemmap, so two partial PMDs.  B follows it: [3M, 5M). */
	const unsigned long a_pfn = PAGES_PER_SECTION / 2, b_pfn = a_pfn + PAGES_PER_SECTION;
	struct range r[2];
	uint64_t base;
	uint8_t *blk0, *blk1, *blk2;

	pt_init(m, &pt, 4, 0);
	base = pt.vmemmap_base;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, a_pfn, PAGES_PER_SECTION, 0, NULL), 0);
	r[0] = (struct range){ base, base + 4 * SZ_1M, SZ_2M };
	check_tree(m, &pt, r, 1);
	assert_int_equal(pt.nr_pmd_blocks, 2);
	blk0 = block_of(m, &pt, base);
	blk1 = block_of(m, &pt, base + SZ_2M);
	/* Unused head of PMD 0 filled, first struct page of each used part zeroed. */
	assert_true(all_bytes(blk0, PMM_VMEMMAP_PAGE_UNUSED, SZ_1M));
	assert_true(all_bytes(blk0 + SZ_1M, 0, 64));
	assert_int_equal(blk0[SZ_1M + 64], JUNK);
	assert_true(all_bytes(blk1, 0, 64));
	/* The tail [3M, 4M) is left for later: B may follow directly. */
	assert_true(pt.unused_pmd_pending);
	assert_int_equal(pt.unused_pmd_start, base + 3 * SZ_1M);
	assert_int_equal(blk1[SZ_1M], JUNK);

	assert_int_equal(pmm_vmemmap_populate_section(&pt, b_pfn, PAGES_PER_SECTION, 0, NULL), 0);
	r[0].end = base + 6 * SZ_1M;
	check_tree(m, &pt, r, 1);
	assert_int_equal(pt.nr_pmd_blocks, 3);
	blk2 = block_of(m, &pt, base + 2 * SZ_2M);
	/* B reused PMD 1 without filling it; PMD 2 is new and used from its start. */
	assert_int_equal(blk1[SZ_1M], JUNK);
	assert_true(all_bytes(blk2, 0, 64));
	assert_true(pt.unused_pmd_pending);
	assert_int_equal(pt.unused_pmd_start, base + 5 * SZ_1M);

	/* Remove A: PMD 0 is wholly unused now and goes; PMD 1 is still B's. */
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, a_pfn, PAGES_PER_SECTION, NULL), 0);
	r[0].start = base + SZ_2M;
	check_tree(m, &pt, r, 1);
	assert_int_equal(pt.nr_pmd_blocks, 2);
	assert_int_equal(m->b2m_free, 1);
	assert_true(all_bytes(blk1, PMM_VMEMMAP_PAGE_UNUSED, SZ_1M));
	/* The deferred tail of PMD 2 was filled before the check. */
	assert_false(pt.unused_pmd_pending);
	assert_true(all_bytes(blk2 + SZ_1M, PMM_VMEMMAP_PAGE_UNUSED, SZ_1M));

	/* Remove B: both remaining blocks go, and the tables. */
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, b_pfn, PAGES_PER_SECTION, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	assert_int_equal(m->b2m_free, 3);

	/*
	 * A subsection-sized populate landing in the unused head of a partial
	 * huge PMD is served by that PMD, and keeps it alive when A goes.
	 */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, a_pfn, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SUBSECTION,
							 PAGES_PER_SUBSECTION, 0, NULL), 0);
	assert_int_equal(pt.nr_pte_pages, 0);
	assert_int_equal(pt.nr_pmd_blocks, 2);
	assert_int_equal(m->b2m_alloc, 5);
	blk0 = block_of(m, &pt, base);
	assert_true(all_bytes(blk0 + 32 * 1024, 0, 64));
	/* Not contiguous with A: A's deferred tail was filled. */
	assert_false(pt.unused_pmd_pending);
	assert_true(all_bytes(block_of(m, &pt, base + SZ_2M) + SZ_1M, PMM_VMEMMAP_PAGE_UNUSED, SZ_1M));
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, a_pfn, PAGES_PER_SECTION, NULL), 0);
	assert_int_equal(pt.nr_pmd_blocks, 1);
	assert_int_equal(block_of(m, &pt, base), blk0);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, PAGES_PER_SUBSECTION,
							   PAGES_PER_SUBSECTION, NULL), 0);
	assert_int_equal(pt.nr_pmd_blocks, 0);
	assert_int_equal(m->b2m_free, 5);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_populate_is_idempotent(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct range r[2];
	uint64_t p1 = 0, p2 = 0, size = 0;
	unsigned long t, b2, b4;

	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 2 * PAGES_PER_SECTION,
							 PAGES_PER_SUBSECTION, 0, NULL), 0);
	r[0] = section_range(&pt, 0, PAGES_PER_SECTION, SZ_2M);
	r[1] = section_range(&pt, 2 * PAGES_PER_SECTION, PAGES_PER_SUBSECTION, SZ_4K);
	assert_int_equal(pmm_vmemmap_lookup(&pt, r[0].start + 0x777, &p1, &size), 0);
	t = m->tables_alloc;
	b2 = m->b2m_alloc;
	b4 = m->b4k_alloc;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 2 * PAGES_PER_SECTION,
							 PAGES_PER_SUBSECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate(&pt, r[0].start, r[0].end, 0, NULL), 0);
	assert_int_equal(m->tables_alloc, t);
	assert_int_equal(m->b2m_alloc, b2);
	assert_int_equal(m->b4k_alloc, b4);
	assert_int_equal(pmm_vmemmap_lookup(&pt, r[0].start + 0x777, &p2, &size), 0);
	assert_int_equal(p1, p2);
	check_tree(m, &pt, r, 2);

	assert_int_equal(pmm_vmemmap_free(&pt, r[0].start, r[1].end, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_five_level(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	/* pfn 1<<33 is 512 GiB into the vmemmap: another p4d entry. */
	const unsigned long pfns[3] = { 0, PAGES_PER_SECTION, 1UL << 33 };
	struct range r[4];
	unsigned i;

	pt_init(m, &pt, 5, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pmm_vmemmap_populate_section(&pt, pfns[i], PAGES_PER_SECTION, 1, NULL), 0);
		r[i] = section_range(&pt, pfns[i], PAGES_PER_SECTION, SZ_2M);
	}
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 5 * PAGES_PER_SECTION,
							 PAGES_PER_SUBSECTION, 1, NULL), 0);
	r[3] = section_range(&pt, 5 * PAGES_PER_SECTION, PAGES_PER_SUBSECTION, SZ_4K);
	check_tree(m, &pt, r, 4);
	assert_int_equal(r[0].start, UINT64_C(0xffd4000000000000));
	/* p4d table, 2 pud tables, 2 pmd tables, 1 pte table. */
	assert_int_equal(pt.nr_tables, 6);
	assert_int_equal(count_log(m, "offnode"), 0);

	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, pfns[2], PAGES_PER_SECTION, NULL), 0);
	r[2] = r[3];
	check_tree(m, &pt, r, 3);
	assert_int_equal(pt.nr_tables, 4);
	assert_int_equal(pmm_vmemmap_free(&pt, r[0].start, r[3].end, NULL), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_offnode_warning(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	char want[128];
	uint64_t start;

	pt_init(m, &pt, 4, 0);
	m->misplace = true;
	/* Base pages: every new PTE is verified. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 4 * PAGES_PER_SUBSECTION,
							 2 * PAGES_PER_SUBSECTION, 0, NULL), 0);
	start = memmap_va(&pt, 4 * PAGES_PER_SUBSECTION);
	assert_int_equal(start, UINT64_C(0xffffea0000020000));
	assert_int_equal(count_log(m, "] potential offnode page_structs\n"), 16);
	assert_string_equal(m->log[0], "[ffffea0000020000-ffffea0000020fff] potential offnode page_structs\n");
	assert_int_equal(m->log_level[0], PMM_LOG_WARNING);
	snprintf(want, sizeof(want), "[%" PRIx64 "-%" PRIx64 "] potential offnode page_structs\n",
		 start + 15 * SZ_4K, start + 16 * SZ_4K - 1);
	assert_string_equal(m->log[15], want);

	/* A fresh huge PMD is not verified (kernel); an existing one is. */
	m->nlog = 0;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SECTION, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(count_log(m, "offnode"), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SECTION, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(count_log(m, "offnode"), 1);
	assert_string_equal(m->log[0], "[ffffea0000200000-ffffea00003fffff] potential offnode page_structs\n");
	/* Populating for the node the memory is on: silent. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SECTION, PAGES_PER_SECTION, 1, NULL), 0);
	assert_int_equal(count_log(m, "offnode"), 1);
	/* Nodes close enough by the distance table: silent. */
	m->distance_override = 10;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SECTION, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(count_log(m, "offnode"), 1);
	/* Correct placement: silent. */
	m->distance_override = 0;
	m->misplace = false;
	m->nlog = 0;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 8 * PAGES_PER_SUBSECTION,
							 PAGES_PER_SUBSECTION, 0, NULL), 0);
	assert_int_equal(count_log(m, "offnode"), 0);

	assert_int_equal(pmm_vmemmap_free(&pt, pt.vmemmap_base, memmap_va(&pt, 2 * PAGES_PER_SECTION), NULL), 0);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_table_allocation_failure(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	const unsigned long far = 1UL << 33; /* needs pud, pmd, pte tables */
	long nth;

	pt_init(m, &pt, 4, 0);
	/* Fail each table allocation in turn (index 0 is the root). */
	for (nth = 1; nth <= 3; nth++) {
		struct range r;

		m->fail_table_at = (long)m->tables_alloc + nth - 1;
		assert_int_equal(pmm_vmemmap_populate_section(&pt, far, PAGES_PER_SUBSECTION, 0, NULL),
				 -PMM_ENOMEM);
		assert_int_equal(pt.nr_pte_pages, 0);
		check_tree(m, &pt, NULL, 0);
		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, far, PAGES_PER_SUBSECTION, NULL), 0);
		check_tree(m, &pt, NULL, 0);
		assert_int_equal(pt.nr_tables, 0);
		/* And it works afterwards. */
		assert_int_equal(pmm_vmemmap_populate_section(&pt, far, PAGES_PER_SUBSECTION, 0, NULL), 0);
		r = section_range(&pt, far, PAGES_PER_SUBSECTION, SZ_4K);
		check_tree(m, &pt, &r, 1);
		assert_int_equal(pmm_vmemmap_depopulate_section(&pt, far, PAGES_PER_SUBSECTION, NULL), 0);
	}
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

static void test_keep_top_tables(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;

	pt_init(m, &pt, 4, PMM_VMEMMAP_KEEP_TOP);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 1UL << 33, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pt.nr_tables, 4);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, NULL), 0);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 1UL << 33, PAGES_PER_SECTION, NULL), 0);
	/* The pud tables the pgd points to stay, as in the kernel. */
	check_tree(m, &pt, NULL, 0);
	assert_int_equal(pt.nr_tables, 2);
	/* Destroy refuses while something is mapped, then frees them. */
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SUBSECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_destroy(&pt), -PMM_EBUSY);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SUBSECTION, NULL), 0);
	assert_int_equal(pt.nr_tables, 2);
	assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
	assert_int_equal(pt.nr_tables, 0);
	check_all_released(m);
}

static void test_adopted_root(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmemmap_config cfg = {
		.ops = &machine_ops, .ctx = m, .levels = 4,
	};
	uint64_t root = 0, pud = 0, pmd = 0, *rootp, *pudp, phys = 0, size = 0;
	const uint64_t foreign = UINT64_C(0xffff888000000000); /* direct map */

	/* The embedder's root already maps its direct map with a 1 GiB page. */
	assert_int_equal(m_alloc_table(m, 0, &root), 0);
	assert_int_equal(m_alloc_table(m, 0, &pud), 0);
	rootp = (uint64_t *)(m->mem + root);
	pudp = (uint64_t *)(m->mem + pud);
	rootp[(foreign >> 39) & 511] = pud | PMM_X86_KERNPG_TABLE;
	/* Bit 12 of a large entry is PAT, not address. */
	pudp[0] = PMM_X86_PAGE_KERNEL_LARGE | 0x1000;
	/* And a 2 MiB page at +1 GiB, also with PAT. */
	assert_int_equal(m_alloc_table(m, 0, &pmd), 0);
	pudp[1] = pmd | PMM_X86_KERNPG_TABLE;
	((uint64_t *)(m->mem + pmd))[0] = SZ_2M | PMM_X86_PAGE_KERNEL_LARGE | 0x1000;
	cfg.pgd_phys = root;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), 0);
	assert_false(pt.own_pgd);

	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_lookup(&pt, foreign + 0x12345, &phys, &size), 0);
	assert_int_equal(phys, 0x12345);
	assert_int_equal(size, UINT64_C(1) << 30);
	assert_int_equal(pmm_vmemmap_lookup(&pt, foreign + (UINT64_C(1) << 30) + 0x1234, &phys, &size), 0);
	assert_int_equal(phys, SZ_2M + 0x1234);
	assert_int_equal(size, SZ_2M);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 0, PAGES_PER_SECTION, NULL), 0);
	/* A pmm_vmemmap_free over the foreign range leaves a 1 GiB leaf alone. */
	assert_int_equal(pmm_vmemmap_free(&pt, foreign, foreign + SZ_2M, NULL), 0);
	assert_int_equal(pudp[0], PMM_X86_PAGE_KERNEL_LARGE | 0x1000);
	/* Populating over it is refused rather than split. */
	assert_int_equal(pmm_vmemmap_populate(&pt, foreign, foreign + SZ_4K, 0, NULL), -PMM_EEXIST);
	assert_int_equal(rootp[(foreign >> 39) & 511], pud | PMM_X86_KERNPG_TABLE);
	assert_int_equal(pt.nr_tables, 0);
	assert_int_equal(pmm_vmemmap_destroy(&pt), 0);
	/* Only the embedder's three tables remain, and are the embedder's. */
	assert_int_equal(m->tables_alloc - m->tables_free, 3);
	m->flushes++; /* the embedder unmapped them itself */
	m_free_table(m, pmd);
	m->flushes++;
	m_free_table(m, pud);
	m->root_phys = root;
	m_free_table(m, root);
	check_all_released(m);
}

/* An arm64-like format: bit 0 valid, bit 1 "table/page", blocks have it clear. */
static uint64_t f_mk_table(void *ctx, int level, uint64_t phys)
{
	(void)ctx;
	(void)level;
	return phys | 3;
}

static uint64_t f_mk_leaf(void *ctx, int level, uint64_t phys)
{
	(void)ctx;
	return phys | (level == PMM_VMEMMAP_LVL_PTE ? 3 : 1) | (UINT64_C(1) << 54);
}

static bool f_present(void *ctx, int level, uint64_t e)
{
	(void)ctx;
	(void)level;
	return e & 1;
}

static bool f_leaf(void *ctx, int level, uint64_t e)
{
	(void)ctx;
	return level == PMM_VMEMMAP_LVL_PTE || (e & 3) == 1;
}

static uint64_t f_phys(void *ctx, int level, uint64_t e)
{
	(void)ctx;
	(void)level;
	return e & UINT64_C(0x0000fffffffff000);
}

static void test_custom_entry_format(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap_ops ops = machine_ops;
	struct pmm_vmemmap pt;
	struct pmm_vmemmap_config cfg = {
		.ops = &ops, .ctx = m, .levels = 4, .pgd_phys = PMM_VMEMMAP_PGD_ALLOC,
		.vmemmap_base = UINT64_C(0xfffffc0000000000),
	};
	uint64_t phys = 0, size = 0, *table, e;
	int lvl;

	ops.mk_table = f_mk_table;
	ops.mk_leaf = f_mk_leaf;
	ops.entry_present = f_present;
	ops.entry_leaf = f_leaf;
	ops.entry_phys = f_phys;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), 0);
	m->root_phys = pt.pgd_phys;
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, PAGES_PER_SECTION,
							 PAGES_PER_SUBSECTION, 0, NULL), 0);
	/* Raw entries are in the custom format. */
	table = pt.pgd;
	for (lvl = 4; lvl > 2; lvl--) {
		e = table[(cfg.vmemmap_base >> (12 + 9 * (lvl - 1))) & 511];
		assert_int_equal(e & 0xfff, 3);
		table = (uint64_t *)(m->mem + (e & ~UINT64_C(0xfff)));
	}
	e = table[(cfg.vmemmap_base >> 21) & 511];
	assert_int_equal(e & 0xfff, 1);
	assert_int_equal(e >> 54, 1);
	assert_int_equal(pmm_vmemmap_lookup(&pt, cfg.vmemmap_base + 0x1040, &phys, &size), 0);
	assert_int_equal(phys, (e & UINT64_C(0x0000fffffffff000)) + 0x1040);
	assert_int_equal(size, SZ_2M);
	assert_int_equal(pmm_vmemmap_lookup(&pt, cfg.vmemmap_base + SZ_2M + 0x40, &phys, &size), 0);
	assert_int_equal(size, SZ_4K);
	assert_int_equal(pt.nr_pte_pages, 8);

	assert_int_equal(pmm_vmemmap_free(&pt, cfg.vmemmap_base, cfg.vmemmap_base + 4 * SZ_2M, NULL), 0);
	destroy_and_check(m, &pt);

	/* Half a format is refused. */
	ops.entry_phys = NULL;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
}

static void test_print_last(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	uint64_t p0 = 0, p1 = 0, size = 0;
	char want[160];
	int i, n = 0;

	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 2 * PAGES_PER_SECTION, 0, NULL), 0);
	assert_int_equal(pmm_vmemmap_lookup(&pt, pt.vmemmap_base, &p0, &size), 0);
	assert_int_equal(pmm_vmemmap_lookup(&pt, pt.vmemmap_base + SZ_2M, &p1, &size), 0);
	/* First fit hands out consecutive 2 MiB blocks: one run. */
	assert_int_equal(p1, p0 + SZ_2M);
	for (i = 0; i < m->nlog; i++)
		n += m->log_level[i] == PMM_LOG_DEBUG;
	assert_int_equal(n, 0);
	pmm_vmemmap_print_last(&pt);
	snprintf(want, sizeof(want), " [ffffea0000000000-ffffea00003fffff] PMD -> [%016" PRIxPTR
		 "-%016" PRIxPTR "] on node 0\n", (uintptr_t)(m->mem + p0),
		 (uintptr_t)(m->mem + p0 + 2 * SZ_2M - 1));
	assert_int_equal(m->nlog, 1);
	assert_string_equal(m->log[0], want);
	assert_int_equal(m->log_level[0], PMM_LOG_DEBUG);
	pmm_vmemmap_print_last(&pt);
	assert_int_equal(m->nlog, 1);

	assert_int_equal(pmm_vmemmap_free(&pt, pt.vmemmap_base, pt.vmemmap_base + 2 * SZ_2M, NULL), 0);
	destroy_and_check(m, &pt);
}

static void test_bad_arguments(void **state)
{
	struct machine *m = *state;
	struct pmm_vmemmap pt;
	struct pmm_vmemmap_ops ops = machine_ops;
	struct pmm_vmemmap_config cfg = {
		.ops = &machine_ops, .ctx = m, .levels = 3, .pgd_phys = PMM_VMEMMAP_PGD_ALLOC,
	};
	const uint64_t base = PMM_VMEMMAP_START_L4;

	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	cfg.levels = 4;
	cfg.vmemmap_base = base + SZ_4K;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	cfg.vmemmap_base = UINT64_C(0x0000800000000000); /* not canonical with 4 levels */
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	cfg.vmemmap_base = 0;
	cfg.section_memmap_size = 100;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	cfg.section_memmap_size = 0;
	ops.free_block = NULL;
	cfg.ops = &ops;
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EINVAL);
	cfg.ops = &machine_ops;
	cfg.pgd_phys = MEM_SIZE; /* phys_to_virt() cannot reach it */
	assert_int_equal(pmm_vmemmap_init(&pt, &cfg), -PMM_EFAULT);
	assert_int_equal(m->tables_alloc, 0);

	pt_init(m, &pt, 4, 0);
	assert_int_equal(pmm_vmemmap_populate(&pt, base + 8, base + SZ_4K, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate(&pt, base, base + SZ_4K + 64, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate(&pt, base, base, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate(&pt, base + SZ_4K, base, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate(&pt, UINT64_C(0x00007ffffffff000),
					  UINT64_C(0x0000800000001000), 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_free(&pt, base, base, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 100, PAGES_PER_SUBSECTION, 0, NULL),
			 -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 100, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_populate_section(&pt, 0, 0, 0, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_vmemmap_depopulate_section(&pt, 512, 511, NULL), -PMM_EINVAL);
	assert_int_equal(m->tables_alloc, 1);
	check_tree(m, &pt, NULL, 0);
	destroy_and_check(m, &pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, machine_setup, machine_teardown)
		T(test_one_section_huge_pmd),
		T(test_sections_with_holes),
		T(test_subsection_uses_base_pages),
		T(test_no_pse_uses_base_pages),
		T(test_fallback_without_2m_blocks),
		T(test_altmap_exact_pfns),
		T(test_altmap_exhaustion),
		T(test_altmap_free_checks_origin),
		T(test_partial_pmds_page_unused),
		T(test_populate_is_idempotent),
		T(test_five_level),
		T(test_offnode_warning),
		T(test_table_allocation_failure),
		T(test_keep_top_tables),
		T(test_adopted_root),
		T(test_custom_entry_format),
		T(test_print_last),
		T(test_bad_arguments),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
