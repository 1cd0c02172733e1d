// SPDX-License-Identifier: MIT
/*
 * Generic vmemmap page-table populator (see <pmm/vmemmap.h> for the rules,
 * the hooks and how partially used huge PMDs are tracked).
 *
 * Invariants: a present non-leaf entry points to a table; every leaf maps a
 * block of its level's size aligned to that size; the nr_* counters match
 * the tree.  unused_pmd_start, when pending, lies inside a mapped huge PMD
 * (cleared whenever that PMD is unmapped).
 *
 * Locking: none; the caller serialises (see the header).  Entries are read
 * and written with single atomic accesses (READ_ONCE/WRITE_ONCE), and a new
 * table is published with a release store after alloc_table zeroed it.
 */
#include <stddef.h>
#include <string.h>

#include <pmm/errno.h>
#include <pmm/platform.h>
#include <pmm/vmemmap.h>

#define PMD_SIZE PMM_VMEMMAP_PMD_SIZE
#define PMD_MASK (~(PMD_SIZE - 1))
#define PTRS_PER_TABLE PMM_VMEMMAP_PTRS_PER_TABLE

/* ------------------------------------------------------------ messages */

/* printk without a C library: just what our few messages need. */
struct msgbuf {
	char buf[160];
	size_t len;
};

static void msg_str(struct msgbuf *m, const char *s)
{
	while (*s && m->len + 1 < sizeof(m->buf))
		m->buf[m->len++] = *s++;
	m->buf[m->len] = '\0';
}

/* %lx, or %0*lx with @width > 0. */
static void msg_hex(struct msgbuf *m, uint64_t v, int width)
{
	char tmp[17];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	while (n < width && n < 16)
		tmp[n++] = '0';
	while (n > 0 && m->len + 1 < sizeof(m->buf))
		m->buf[m->len++] = tmp[--n];
	m->buf[m->len] = '\0';
}

static void msg_dec(struct msgbuf *m, int v)
{
	char tmp[12];
	int n = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[n++] = '-';
	while (n > 0 && m->len + 1 < sizeof(m->buf))
		m->buf[m->len++] = tmp[--n];
	m->buf[m->len] = '\0';
}

static void pt_log(const struct pmm_vmemmap *pt, int level,
		   const struct msgbuf *m)
{
	if (pt->ops->log)
		pt->ops->log(pt->ctx, level, m->buf);
}

/* -------------------------------------------------------- entry format */

static uint64_t x86_level_addr_mask(int level, uint64_t e)
{
	if (level == PMM_VMEMMAP_LVL_PMD && (e & PMM_X86_PAGE_PSE))
		return PMM_X86_PAGE_LARGE_ADDR_MASK;
	if (level == PMM_VMEMMAP_LVL_PUD && (e & PMM_X86_PAGE_PSE))
		return PMM_X86_PAGE_HUGE_ADDR_MASK;
	return PMM_X86_PAGE_ADDR_MASK;
}

static uint64_t mk_table(const struct pmm_vmemmap *pt, int level, uint64_t phys)
{
	if (pt->ops->mk_table)
		return pt->ops->mk_table(pt->ctx, level, phys);
	return (phys & PMM_X86_PAGE_ADDR_MASK) | PMM_X86_KERNPG_TABLE;
}

static uint64_t mk_leaf(const struct pmm_vmemmap *pt, int level, uint64_t phys)
{
	if (pt->ops->mk_leaf)
		return pt->ops->mk_leaf(pt->ctx, level, phys);
	if (level == PMM_VMEMMAP_LVL_PTE)
		return (phys & PMM_X86_PAGE_ADDR_MASK) | PMM_X86_PAGE_KERNEL;
	return (phys & PMM_X86_PAGE_LARGE_ADDR_MASK) | PMM_X86_PAGE_KERNEL_LARGE;
}

static bool entry_present(const struct pmm_vmemmap *pt, int level, uint64_t e)
{
	if (pt->ops->entry_present)
		return pt->ops->entry_present(pt->ctx, level, e);
	return e & PMM_X86_PAGE_PRESENT;
}

static bool entry_leaf(const struct pmm_vmemmap *pt, int level, uint64_t e)
{
	if (pt->ops->entry_leaf)
		return pt->ops->entry_leaf(pt->ctx, level, e);
	if (level == PMM_VMEMMAP_LVL_PTE)
		return true;
	/* PSE above the PUD is reserved on x86-64, never a leaf. */
	return (level == PMM_VMEMMAP_LVL_PMD || level == PMM_VMEMMAP_LVL_PUD) &&
	       (e & PMM_X86_PAGE_PSE);
}

static uint64_t entry_phys(const struct pmm_vmemmap *pt, int level, uint64_t e)
{
	if (pt->ops->entry_phys)
		return pt->ops->entry_phys(pt->ctx, level, e);
	return e & x86_level_addr_mask(level, e);
}

/* Acquire pairs with entry_set(): a lookup racing with populate sees a
 * zeroed table behind every entry it reads. */
static uint64_t entry_read(const uint64_t *e)
{
	return __atomic_load_n(e, __ATOMIC_ACQUIRE);
}

/* Release: the table or block the entry points to is ready before it. */
static void entry_set(uint64_t *e, uint64_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static void entry_clear(uint64_t *e)
{
	__atomic_store_n(e, 0, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ geometry */

static unsigned level_shift(int level)
{
	return PMM_VMEMMAP_PAGE_SHIFT + 9u * (unsigned)(level - 1);
}

static uint64_t level_size(int level)
{
	return UINT64_C(1) << level_shift(level);
}

static int top_level(const struct pmm_vmemmap *pt)
{
	return pt->levels == 5 ? PMM_VMEMMAP_LVL_PGD : PMM_VMEMMAP_LVL_P4D;
}

static uint64_t *entry_at(uint64_t *table, int level, uint64_t addr)
{
	return table + ((addr >> level_shift(level)) & (PTRS_PER_TABLE - 1));
}

/* pXd_addr_end(): end of the level-@level entry containing @addr, or @end. */
static uint64_t level_addr_end(int level, uint64_t addr, uint64_t end)
{
	uint64_t boundary = (addr + level_size(level)) & ~(level_size(level) - 1);

	/* Compare minus one so a boundary that wrapped to 0 still works. */
	return boundary - 1 < end - 1 ? boundary : end;
}

static bool va_canonical(const struct pmm_vmemmap *pt, uint64_t va)
{
	unsigned bits = pt->levels == 5 ? 57 : 48;
	uint64_t high = va >> (bits - 1);

	return high == 0 || high == (UINT64_MAX >> (bits - 1));
}

static int check_range(const struct pmm_vmemmap *pt, uint64_t start,
		       uint64_t end)
{
	unsigned bits = pt->levels == 5 ? 57 : 48;

	if (start >= end || ((start | end) & (PMM_VMEMMAP_PAGE_SIZE - 1)))
		return -PMM_EINVAL;
	/* Both ends canonical and in the same half: no hole in between. */
	if (!va_canonical(pt, start) || !va_canonical(pt, end - 1) ||
	    (start >> (bits - 1)) != ((end - 1) >> (bits - 1)))
		return -PMM_EINVAL;
	return 0;
}

static uint64_t *table_virt(const struct pmm_vmemmap *pt, int level, uint64_t e)
{
	return pt->ops->phys_to_virt(pt->ctx, entry_phys(pt, level, e));
}

/* --------------------------------------------------------- allocation */

/*
 * Make *@e (at @level) point to a table, allocating a zeroed one if empty.
 * Return: the table, or NULL with *@err set.
 */
static uint64_t *table_populate(struct pmm_vmemmap *pt, uint64_t *e,
				int level, int node, int *err)
{
	uint64_t v = entry_read(e), phys;
	uint64_t *table;
	int ret;

	if (v) {
		if (!entry_present(pt, level, v) || entry_leaf(pt, level, v)) {
			*err = -PMM_EEXIST;
			return NULL;
		}
		table = table_virt(pt, level, v);
		if (!table)
			*err = -PMM_EFAULT;
		return table;
	}

	ret = pt->ops->alloc_table(pt->ctx, node, &phys);
	if (ret) {
		*err = ret < 0 ? ret : -PMM_ENOMEM;
		return NULL;
	}
	table = pt->ops->phys_to_virt(pt->ctx, phys);
	if (!table || (phys & (PMM_VMEMMAP_PAGE_SIZE - 1))) {
		pt->ops->free_table(pt->ctx, phys);
		*err = table ? -PMM_EINVAL : -PMM_EFAULT;
		return NULL;
	}
	entry_set(e, mk_table(pt, level, phys));
	pt->nr_tables++;
	return table;
}

/*
 * vmemmap_pgd_populate() .. vmemmap_pud_populate(): make sure the pgd, p4d
 * (folded into the pgd with 4 levels) and pud entries for @addr point to
 * tables, allocating them on @node.  Return: the pmd entry for @addr, or NULL
 * with *@err set.
 */
static uint64_t *vmemmap_upper_populate(struct pmm_vmemmap *pt, uint64_t addr,
					int node, int *err)
{
	uint64_t *table = pt->pgd;
	int level;

	for (level = top_level(pt); level > PMM_VMEMMAP_LVL_PMD; level--) {
		table = table_populate(pt, entry_at(table, level, addr), level, node, err);
		if (!table)
			return NULL;
	}
	return entry_at(table, PMM_VMEMMAP_LVL_PMD, addr);
}

/*
 * vmemmap_alloc_block_buf(): memmap backing of @size bytes from the altmap
 * if given, else from the embedder.  Return: 0 or -PMM_ENOMEM/-PMM_EINVAL.
 */
static int vmemmap_alloc_block_buf(struct pmm_vmemmap *pt, uint64_t size,
				   int node, struct pmm_vmem_altmap *altmap,
				   uint64_t *phys)
{
	unsigned long pfn;
	int ret;

	if (altmap) {
		ret = pmm_vmem_altmap_alloc_block(altmap, (unsigned long)size, &pfn);
		if (ret)
			return -PMM_ENOMEM;
		*phys = (uint64_t)pfn << PMM_VMEMMAP_PAGE_SHIFT;
		return 0;
	}
	ret = pt->ops->alloc_block(pt->ctx, size, size, node, phys);
	if (ret)
		return ret < 0 ? ret : -PMM_ENOMEM;
	/* A misaligned block cannot be mapped by a leaf of its size. */
	if (*phys & (size - 1)) {
		pt->ops->free_block(pt->ctx, *phys, size);
		return -PMM_EINVAL;
	}
	return 0;
}

/* vmemmap_verify(): warn when the backing memory sits on a distant node. */
static void vmemmap_verify(struct pmm_vmemmap *pt, int level, uint64_t e,
			   int node, uint64_t start, uint64_t end)
{
	struct msgbuf m = { .len = 0 };
	int actual, dist;

	if (!pt->ops->phys_to_nid)
		return;
	actual = pt->ops->phys_to_nid(pt->ctx, entry_phys(pt, level, e));
	if (actual < 0 || node < 0)
		return;
	if (pt->ops->node_distance)
		dist = pt->ops->node_distance(pt->ctx, actual, node);
	else
		dist = actual == node ? PMM_VMEMMAP_LOCAL_DISTANCE : PMM_VMEMMAP_REMOTE_DISTANCE;
	if (dist <= PMM_VMEMMAP_LOCAL_DISTANCE)
		return;
	msg_str(&m, "[");
	msg_hex(&m, start, 0);
	msg_str(&m, "-");
	msg_hex(&m, end - 1, 0);
	msg_str(&m, "] potential offnode page_structs\n");
	pt_log(pt, PMM_LOG_WARNING, &m);
}

/* ------------------------------------------------- partial huge PMDs */

/* Pointer to the byte backing @addr if a huge PMD maps it, else NULL. */
static uint8_t *huge_pmd_byte(const struct pmm_vmemmap *pt, uint64_t addr)
{
	uint64_t *table = pt->pgd, v;
	uint8_t *block;
	int level;

	for (level = top_level(pt); level > PMM_VMEMMAP_LVL_PMD; level--) {
		v = entry_read(entry_at(table, level, addr));
		if (!entry_present(pt, level, v) || entry_leaf(pt, level, v))
			return NULL;
		table = table_virt(pt, level, v);
		if (!table)
			return NULL;
	}
	v = entry_read(entry_at(table, PMM_VMEMMAP_LVL_PMD, addr));
	if (!entry_present(pt, PMM_VMEMMAP_LVL_PMD, v) || !entry_leaf(pt, PMM_VMEMMAP_LVL_PMD, v))
		return NULL;
	block = pt->ops->phys_to_virt(pt->ctx, entry_phys(pt, PMM_VMEMMAP_LVL_PMD, v));
	return block ? block + (addr & (PMD_SIZE - 1)) : NULL;
}

static void vmemmap_fill(struct pmm_vmemmap *pt, uint64_t addr, int c,
			 uint64_t len)
{
	uint8_t *p;

	if (!len)
		return;
	p = huge_pmd_byte(pt, addr);
	if (p)
		memset(p, c, (size_t)len);
}

/* Fill the deferred tail [unused_pmd_start, next PMD boundary). */
static void vmemmap_flush_unused_pmd(struct pmm_vmemmap *pt)
{
	uint64_t start = pt->unused_pmd_start;

	if (!pt->unused_pmd_pending)
		return;
	pt->unused_pmd_pending = false;
	vmemmap_fill(pt, start, PMM_VMEMMAP_PAGE_UNUSED,
		     ((start + PMD_SIZE - 1) & PMD_MASK) - start);
}

/*
 * Mark a piece in use: since ranges are added and removed in the same
 * granularity, one non-0xFD struct page keeps a neighbour's removal from
 * freeing the block even if this memmap is never initialised.
 */
static void vmemmap_mark_sub_pmd_used(struct pmm_vmemmap *pt, uint64_t start)
{
	vmemmap_fill(pt, start, 0, PMM_VMEMMAP_STRUCT_PAGE_SIZE);
}

/* A range of an existing huge PMD comes into use. */
static void vmemmap_use_sub_pmd(struct pmm_vmemmap *pt, uint64_t start,
				uint64_t end)
{
	/* Consecutive ranges: just move the deferred tail along. */
	if (pt->unused_pmd_pending && pt->unused_pmd_start == start) {
		if (end & (PMD_SIZE - 1))
			pt->unused_pmd_start = end;
		else
			pt->unused_pmd_pending = false;
		return;
	}
	vmemmap_flush_unused_pmd(pt);
	vmemmap_mark_sub_pmd_used(pt, start);
}

/* A new huge PMD is only partly used by [start, end). */
static void vmemmap_use_new_sub_pmd(struct pmm_vmemmap *pt, uint64_t start,
				    uint64_t end)
{
	uint64_t pmd_start = start & PMD_MASK;

	vmemmap_flush_unused_pmd(pt);
	vmemmap_mark_sub_pmd_used(pt, start);
	vmemmap_fill(pt, pmd_start, PMM_VMEMMAP_PAGE_UNUSED, start - pmd_start);
	if (end & (PMD_SIZE - 1)) {
		pt->unused_pmd_pending = true;
		pt->unused_pmd_start = end;
	}
}

/* Whole 2 MiB at @p reads PAGE_UNUSED? */
static bool block_all_unused(const uint8_t *p)
{
	const uint64_t pattern = UINT64_C(0x0101010101010101) * PMM_VMEMMAP_PAGE_UNUSED;
	uint64_t off, w;

	for (off = 0; off < PMD_SIZE; off += sizeof(w)) {
		memcpy(&w, p + off, sizeof(w));
		if (w != pattern)
			return false;
	}
	return true;
}

/* [addr, end) of a huge PMD is going away: is the whole PMD now unused? */
static bool vmemmap_pmd_is_unused(struct pmm_vmemmap *pt, uint64_t addr,
				  uint64_t end)
{
	uint8_t *block;

	vmemmap_flush_unused_pmd(pt);
	vmemmap_fill(pt, addr, PMM_VMEMMAP_PAGE_UNUSED, end - addr);
	block = huge_pmd_byte(pt, addr & PMD_MASK);
	return block && block_all_unused(block);
}

/* ----------------------------------------------------------- populate */

static void vmemmap_print_run(struct pmm_vmemmap *pt)
{
	struct msgbuf m = { .len = 0 };

	msg_str(&m, " [");
	msg_hex(&m, pt->run_addr_start, 0);
	msg_str(&m, "-");
	msg_hex(&m, pt->run_addr_end - 1, 0);
	msg_str(&m, "] PMD -> [");
	msg_hex(&m, pt->run_p_start, 2 * (int)sizeof(void *));
	msg_str(&m, "-");
	msg_hex(&m, pt->run_p_end - 1, 2 * (int)sizeof(void *));
	msg_str(&m, "] on node ");
	msg_dec(&m, pt->run_node);
	msg_str(&m, "\n");
	pt_log(pt, PMM_LOG_DEBUG, &m);
}

void pmm_vmemmap_print_last(struct pmm_vmemmap *pt)
{
	if (pt->run_valid)
		vmemmap_print_run(pt);
	pt->run_valid = false;
}

/*
 * Extend or restart the run of contiguous huge PMDs for the debug lines.
 * The kernel only asks for physical contiguity (it walks one range in
 * order); pmm also asks for virtual contiguity, since runs span calls and a
 * hole between sections would otherwise be printed as mapped.
 */
static void vmemmap_track_run(struct pmm_vmemmap *pt, uint64_t addr,
			      uint64_t phys, int node)
{
	uintptr_t p = (uintptr_t)pt->ops->phys_to_virt(pt->ctx, phys);

	if (!pt->run_valid || pt->run_p_end != p || pt->run_node != node ||
	    pt->run_addr_end != addr) {
		if (pt->run_valid)
			vmemmap_print_run(pt);
		pt->run_valid = true;
		pt->run_addr_start = addr;
		pt->run_node = node;
		pt->run_p_start = p;
	}
	pt->run_addr_end = addr + PMD_SIZE;
	pt->run_p_end = p + PMD_SIZE;
}

/*
 * vmemmap_pte_populate(): back one 4 KiB page of the vmemmap.  Never from an
 * altmap: x86-64 passes none for base pages (only huge PMDs use it), and the
 * free path relies on that.
 */
static int vmemmap_pte_populate(struct pmm_vmemmap *pt, uint64_t *pte_table,
				uint64_t addr, int node)
{
	uint64_t *pte = entry_at(pte_table, PMM_VMEMMAP_LVL_PTE, addr);
	uint64_t v = entry_read(pte), phys;
	int err;

	if (!v) {
		err = vmemmap_alloc_block_buf(pt, PMM_VMEMMAP_PAGE_SIZE, node, NULL, &phys);
		if (err)
			return err;
		v = mk_leaf(pt, PMM_VMEMMAP_LVL_PTE, phys);
		entry_set(pte, v);
		pt->nr_pte_pages++;
	} else if (!entry_present(pt, PMM_VMEMMAP_LVL_PTE, v)) {
		return -PMM_EEXIST;
	}
	vmemmap_verify(pt, PMM_VMEMMAP_LVL_PTE, v, node, addr, addr + PMM_VMEMMAP_PAGE_SIZE);
	return 0;
}

/* vmemmap_populate_basepages(): 4 KiB pages for [start, end). */
static int vmemmap_populate_basepages(struct pmm_vmemmap *pt, uint64_t start,
				      uint64_t end, int node)
{
	uint64_t addr, next, *pmd, *pte_table, v;
	int err = 0;

	for (addr = start; addr < end; addr = next) {
		next = level_addr_end(PMM_VMEMMAP_LVL_PMD, addr, end);
		pmd = vmemmap_upper_populate(pt, addr, node, &err);
		if (!pmd)
			return err;
		v = entry_read(pmd);
		if (v && entry_present(pt, PMM_VMEMMAP_LVL_PMD, v) &&
		    entry_leaf(pt, PMM_VMEMMAP_LVL_PMD, v)) {
			/* Already backed by a huge PMD: use that part of it. */
			vmemmap_verify(pt, PMM_VMEMMAP_LVL_PMD, v, node, addr, next);
			vmemmap_use_sub_pmd(pt, addr, next);
			continue;
		}
		pte_table = table_populate(pt, pmd, PMM_VMEMMAP_LVL_PMD, node, &err);
		if (!pte_table)
			return err;
		for (; addr < next; addr += PMM_VMEMMAP_PAGE_SIZE) {
			err = vmemmap_pte_populate(pt, pte_table, addr, node);
			if (err)
				return err;
		}
	}
	return 0;
}

/* vmemmap_populate_hugepages(): a 2 MiB block per PMD where possible. */
static int vmemmap_populate_hugepages(struct pmm_vmemmap *pt, uint64_t start,
				      uint64_t end, int node,
				      struct pmm_vmem_altmap *altmap)
{
	uint64_t addr, next, *pmd, v, phys;
	int err = 0;

	for (addr = start; addr < end; addr = next) {
		next = level_addr_end(PMM_VMEMMAP_LVL_PMD, addr, end);
		pmd = vmemmap_upper_populate(pt, addr, node, &err);
		if (!pmd)
			return err;
		v = entry_read(pmd);
		if (!v) {
			err = vmemmap_alloc_block_buf(pt, PMD_SIZE, node, altmap, &phys);
			if (!err) {
				entry_set(pmd, mk_leaf(pt, PMM_VMEMMAP_LVL_PMD, phys));
				pt->nr_pmd_blocks++;
				if (altmap)
					pt->nr_altmap_blocks++;
				vmemmap_track_run(pt, addr, phys, node);
				if ((addr | next) & (PMD_SIZE - 1))
					vmemmap_use_new_sub_pmd(pt, addr, next);
				continue;
			}
			/*
			 * No fallback with an altmap: a correctly sized one
			 * never runs dry, so running dry means a bad
			 * configuration, reported as the PTE case would be.
			 */
			if (altmap)
				return -PMM_ENOMEM;
		} else if (entry_present(pt, PMM_VMEMMAP_LVL_PMD, v) &&
			   entry_leaf(pt, PMM_VMEMMAP_LVL_PMD, v)) {
			vmemmap_verify(pt, PMM_VMEMMAP_LVL_PMD, v, node, addr, next);
			vmemmap_use_sub_pmd(pt, addr, next);
			continue;
		}
		/* Fallback, or a PTE table already there: fill it in. */
		err = vmemmap_populate_basepages(pt, addr, next, node);
		if (err)
			return err;
	}
	return 0;
}

int pmm_vmemmap_populate(struct pmm_vmemmap *pt, uint64_t start, uint64_t end,
			 int node, struct pmm_vmem_altmap *altmap)
{
	bool pse;
	int err;

	err = check_range(pt, start, end);
	if (err)
		return err;
	pse = !pt->ops->pmd_huge_supported || pt->ops->pmd_huge_supported(pt->ctx);

	/* Smaller than a section's memmap: subsection hotplug, 4 KiB pages,
	 * and (x86-64) never from the altmap. */
	if (end - start < pt->section_memmap_size) {
		err = vmemmap_populate_basepages(pt, start, end, node);
	} else if (pse) {
		err = vmemmap_populate_hugepages(pt, start, end, node, altmap);
	} else if (altmap) {
		if (!pt->warned_no_pse) {
			struct msgbuf m = { .len = 0 };

			pt->warned_no_pse = true;
			msg_str(&m, "vmemmap_populate: no cpu support for altmap allocations\n");
			pt_log(pt, PMM_LOG_ERR, &m);
		}
		err = -PMM_ENOMEM;
	} else {
		err = vmemmap_populate_basepages(pt, start, end, node);
	}
	if (!err && pt->ops->sync_pgd)
		pt->ops->sync_pgd(pt->ctx, start, end);
	return err;
}

/* -------------------------------------------------------------- remove */

static void flush_range(struct pmm_vmemmap *pt, uint64_t start, uint64_t size)
{
	if (pt->ops->flush_tlb)
		pt->ops->flush_tlb(pt->ctx, start, start + size);
}

/* free_hugepage_table(): the block goes back where it came from. */
static void free_hugepage_table(struct pmm_vmemmap *pt, uint64_t phys,
				struct pmm_vmem_altmap *altmap)
{
	unsigned long pfn = (unsigned long)(phys >> PMM_VMEMMAP_PAGE_SHIFT);
	unsigned long nr = (unsigned long)(PMD_SIZE >> PMM_VMEMMAP_PAGE_SHIFT);

	if (altmap && pmm_vmem_altmap_owns(altmap, pfn, nr)) {
		if (pmm_vmem_altmap_free(altmap, nr)) {
			struct msgbuf m = { .len = 0 };

			msg_str(&m, "pmm_vmemmap_free: altmap accounting mismatch at pfn ");
			msg_hex(&m, pfn, 0);
			msg_str(&m, "\n");
			pt_log(pt, PMM_LOG_ERR, &m);
		}
		pt->nr_altmap_blocks--;
	} else {
		pt->ops->free_block(pt->ctx, phys, PMD_SIZE);
	}
	pt->nr_pmd_blocks--;
}

/* A huge PMD covering [addr, next) of the range being removed. */
static void remove_huge_pmd(struct pmm_vmemmap *pt, uint64_t *pmd,
			    uint64_t addr, uint64_t next,
			    struct pmm_vmem_altmap *altmap)
{
	uint64_t pmd_start = addr & PMD_MASK;
	uint64_t phys;

	if (((addr | next) & (PMD_SIZE - 1)) && !vmemmap_pmd_is_unused(pt, addr, next))
		return;
	phys = entry_phys(pt, PMM_VMEMMAP_LVL_PMD, entry_read(pmd));
	entry_clear(pmd);
	if (pt->unused_pmd_pending && (pt->unused_pmd_start & PMD_MASK) == pmd_start)
		pt->unused_pmd_pending = false;
	if (pt->run_valid && pt->run_addr_start <= pmd_start &&
	    pmd_start < pt->run_addr_end)
		pt->run_valid = false;
	flush_range(pt, pmd_start, PMD_SIZE);
	free_hugepage_table(pt, phys, altmap);
}

static bool table_empty(const uint64_t *table)
{
	unsigned i;

	for (i = 0; i < PTRS_PER_TABLE; i++)
		if (entry_read(&table[i]))
			return false;
	return true;
}

/*
 * free_{pte,pmd,pud,p4d}_table(): free the table *@e (at @level) points to
 * once nothing in it is left.
 */
static void free_table_if_empty(struct pmm_vmemmap *pt, uint64_t *e,
				int level, const uint64_t *table, uint64_t addr)
{
	uint64_t phys;

	if (level == top_level(pt) && (pt->flags & PMM_VMEMMAP_KEEP_TOP))
		return;
	if (!table_empty(table))
		return;
	phys = entry_phys(pt, level, entry_read(e));
	entry_clear(e);
	/* Paging-structure caches may still hold the table. */
	flush_range(pt, addr & ~(level_size(level) - 1), level_size(level));
	pt->ops->free_table(pt->ctx, phys);
	pt->nr_tables--;
}

static void remove_range(struct pmm_vmemmap *pt, uint64_t *table, int level,
			 uint64_t addr, uint64_t end, struct pmm_vmem_altmap *altmap)
{
	uint64_t next, *e, v, *child;

	for (; addr < end; addr = next) {
		next = level_addr_end(level, addr, end);
		e = entry_at(table, level, addr);
		v = entry_read(e);
		if (!v || !entry_present(pt, level, v))
			continue;
		if (level == PMM_VMEMMAP_LVL_PTE) {
			/* remove_pte_table(): base pages never come from an altmap. */
			entry_clear(e);
			flush_range(pt, addr, PMM_VMEMMAP_PAGE_SIZE);
			pt->ops->free_block(pt->ctx, entry_phys(pt, level, v),
					    PMM_VMEMMAP_PAGE_SIZE);
			pt->nr_pte_pages--;
			continue;
		}
		if (entry_leaf(pt, level, v)) {
			/* Leaves above the PMD are not ours to remove. */
			if (level == PMM_VMEMMAP_LVL_PMD)
				remove_huge_pmd(pt, e, addr, next, altmap);
			continue;
		}
		child = table_virt(pt, level, v);
		if (!child)
			continue;
		remove_range(pt, child, level - 1, addr, next, altmap);
		free_table_if_empty(pt, e, level, child, addr);
	}
}

int pmm_vmemmap_free(struct pmm_vmemmap *pt, uint64_t start, uint64_t end,
		     struct pmm_vmem_altmap *altmap)
{
	int err = check_range(pt, start, end);

	if (err)
		return err;
	remove_range(pt, pt->pgd, top_level(pt), start, end, altmap);
	return 0;
}

/* -------------------------------------------------------------- lookup */

int pmm_vmemmap_lookup(const struct pmm_vmemmap *pt, uint64_t vaddr,
		       uint64_t *phys, uint64_t *size)
{
	uint64_t *table = pt->pgd, v, sz;
	int level;

	if (!va_canonical(pt, vaddr))
		return -PMM_ENOENT;
	for (level = top_level(pt); level >= PMM_VMEMMAP_LVL_PTE; level--) {
		v = entry_read(entry_at(table, level, vaddr));
		if (!v || !entry_present(pt, level, v))
			return -PMM_ENOENT;
		if (level == PMM_VMEMMAP_LVL_PTE || entry_leaf(pt, level, v)) {
			sz = level_size(level);
			*phys = entry_phys(pt, level, v) + (vaddr & (sz - 1));
			if (size)
				*size = sz;
			return 0;
		}
		table = table_virt(pt, level, v);
		if (!table)
			return -PMM_ENOENT;
	}
	return -PMM_ENOENT;
}

/* ------------------------------------------------------ pfn interface */

static int section_range(const struct pmm_vmemmap *pt, unsigned long pfn,
			 unsigned long nr_pages, uint64_t *start, uint64_t *end)
{
	if (!nr_pages || ((pfn | nr_pages) & (PMM_VMEMMAP_PAGES_PER_SUBSECTION - 1)))
		return -PMM_EINVAL;
	/* pfn + nr must not wrap, nor the byte offsets. */
	if (nr_pages > ~0UL - pfn ||
	    (uint64_t)(pfn + nr_pages) > (UINT64_MAX - pt->vmemmap_base) / PMM_VMEMMAP_STRUCT_PAGE_SIZE)
		return -PMM_EINVAL;
	*start = pt->vmemmap_base + (uint64_t)pfn * PMM_VMEMMAP_STRUCT_PAGE_SIZE;
	*end = pt->vmemmap_base + (uint64_t)(pfn + nr_pages) * PMM_VMEMMAP_STRUCT_PAGE_SIZE;
	return 0;
}

int pmm_vmemmap_populate_section(struct pmm_vmemmap *pt,
				 unsigned long pfn, unsigned long nr_pages,
				 int nid, struct pmm_vmem_altmap *altmap)
{
	uint64_t start, end;
	int err = section_range(pt, pfn, nr_pages, &start, &end);

	return err ? err : pmm_vmemmap_populate(pt, start, end, nid, altmap);
}

int pmm_vmemmap_depopulate_section(struct pmm_vmemmap *pt,
				   unsigned long pfn, unsigned long nr_pages,
				   struct pmm_vmem_altmap *altmap)
{
	uint64_t start, end;
	int err = section_range(pt, pfn, nr_pages, &start, &end);

	return err ? err : pmm_vmemmap_free(pt, start, end, altmap);
}

/* ------------------------------------------------------- init/destroy */

int pmm_vmemmap_init(struct pmm_vmemmap *pt,
		     const struct pmm_vmemmap_config *cfg)
{
	const struct pmm_vmemmap_ops *ops = cfg->ops;
	unsigned nfmt;
	uint64_t phys;
	int err;

	if (!ops || !ops->alloc_table || !ops->free_table || !ops->alloc_block ||
	    !ops->free_block || !ops->phys_to_virt)
		return -PMM_EINVAL;
	nfmt = !!ops->mk_table + !!ops->mk_leaf + !!ops->entry_present +
	       !!ops->entry_leaf + !!ops->entry_phys;
	if (nfmt != 0 && nfmt != 5)
		return -PMM_EINVAL;
	if (cfg->levels != 4 && cfg->levels != 5)
		return -PMM_EINVAL;
	if (cfg->section_memmap_size & (PMM_VMEMMAP_PAGE_SIZE - 1))
		return -PMM_EINVAL;

	memset(pt, 0, sizeof(*pt));
	pt->ops = ops;
	pt->ctx = cfg->ctx;
	pt->levels = cfg->levels;
	pt->flags = cfg->flags;
	pt->section_memmap_size = cfg->section_memmap_size ?
		cfg->section_memmap_size : PMM_VMEMMAP_SECTION_MEMMAP_SIZE;
	pt->vmemmap_base = cfg->vmemmap_base;
	if (!pt->vmemmap_base)
		pt->vmemmap_base = cfg->levels == 5 ? PMM_VMEMMAP_START_L5 : PMM_VMEMMAP_START_L4;
	if ((pt->vmemmap_base & (PMD_SIZE - 1)) || !va_canonical(pt, pt->vmemmap_base))
		return -PMM_EINVAL;

	if (cfg->pgd_phys == PMM_VMEMMAP_PGD_ALLOC) {
		err = ops->alloc_table(cfg->ctx, cfg->pgd_node, &phys);
		if (err)
			return err < 0 ? err : -PMM_ENOMEM;
		pt->own_pgd = true;
	} else {
		phys = cfg->pgd_phys;
	}
	pt->pgd_phys = phys;
	pt->pgd = ops->phys_to_virt(cfg->ctx, phys);
	if (!pt->pgd || (phys & (PMM_VMEMMAP_PAGE_SIZE - 1))) {
		if (pt->own_pgd)
			ops->free_table(cfg->ctx, phys);
		return pt->pgd ? -PMM_EINVAL : -PMM_EFAULT;
	}
	return 0;
}

static bool subtree_maps(const struct pmm_vmemmap *pt, const uint64_t *table,
			 int level)
{
	unsigned i;
	uint64_t v;
	const uint64_t *child;

	for (i = 0; i < PTRS_PER_TABLE; i++) {
		v = entry_read(&table[i]);
		if (!v)
			continue;
		if (level == PMM_VMEMMAP_LVL_PTE || !entry_present(pt, level, v) ||
		    entry_leaf(pt, level, v))
			return true;
		child = table_virt(pt, level, v);
		if (!child || subtree_maps(pt, child, level - 1))
			return true;
	}
	return false;
}

static void free_subtree(struct pmm_vmemmap *pt, uint64_t *table, int level,
			 uint64_t va)
{
	unsigned bits = pt->levels == 5 ? 57 : 48;
	uint64_t v, eva;
	unsigned i;

	for (i = 0; i < PTRS_PER_TABLE; i++) {
		v = entry_read(&table[i]);
		if (!v)
			continue;
		eva = va | ((uint64_t)i << level_shift(level));
		/* Sign-extend: the flush hook takes canonical addresses. */
		if (eva >> (bits - 1) & 1)
			eva |= ~((UINT64_C(1) << bits) - 1);
		/* subtree_maps() said: no leaves, so every entry is a table. */
		if (level > PMM_VMEMMAP_LVL_PMD)
			free_subtree(pt, table_virt(pt, level, v), level - 1, eva);
		entry_clear(&table[i]);
		flush_range(pt, eva, level_size(level));
		pt->ops->free_table(pt->ctx, entry_phys(pt, level, v));
		pt->nr_tables--;
	}
}

int pmm_vmemmap_destroy(struct pmm_vmemmap *pt)
{
	if (!pt->own_pgd)
		return 0;
	if (subtree_maps(pt, pt->pgd, top_level(pt)))
		return -PMM_EBUSY;
	free_subtree(pt, pt->pgd, top_level(pt), 0);
	pt->ops->free_table(pt->ctx, pt->pgd_phys);
	pt->own_pgd = false;
	pt->pgd = NULL;
	return 0;
}
