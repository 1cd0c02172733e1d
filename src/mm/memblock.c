// SPDX-License-Identifier: MIT
/*
 * memblock: the machine's physical memory map before the buddy allocator
 * exists.  `memory` lists the ranges of RAM per node, sorted and merged;
 * `reserved` lists ranges in use at boot (firmware, the config's reserve=
 * ranges, boot allocations).  memblock_phys_alloc() is the early allocator:
 * top-down, like the kernel's default, carving from free memory and
 * recording the carve-out in `reserved`.
 *
 * Invariants: regions are sorted by base, non-overlapping, page-aligned,
 * non-empty; adjacent memory regions of the same node are merged.
 * Locking: boot (single-threaded), then memory hotplug changes `memory`
 * under the hotplug lock.
 */
#include <string.h>

#include "mm/internal.h"

static void memblock_remove_idx(struct memblock_type *t, unsigned long i)
{
	t->total_size -= t->regions[i].size;
	memmove(&t->regions[i], &t->regions[i + 1], (t->cnt - i - 1) * sizeof(t->regions[0]));
	t->cnt--;
}

/* Insert keeping order; merges with neighbours of the same nid.  Fails on overlap. */
int memblock_add(struct memblock_type *t, uint64_t base, uint64_t size, int nid)
{
	unsigned long i;

	if (!size)
		return -PMM_EINVAL;
	for (i = 0; i < t->cnt; i++) {
		struct memblock_region *r = &t->regions[i];
		if (base < r->base + r->size && r->base < base + size)
			return -PMM_EEXIST;
		if (r->base > base)
			break;
	}
	if (t->cnt >= INIT_MEMBLOCK_REGIONS)
		return -PMM_E2BIG;
	memmove(&t->regions[i + 1], &t->regions[i], (t->cnt - i) * sizeof(t->regions[0]));
	t->regions[i] = (struct memblock_region){ .base = base, .size = size, .nid = nid };
	t->cnt++;
	t->total_size += size;
	/* Merge with the next, then with the previous region. */
	if (i + 1 < t->cnt && t->regions[i + 1].nid == nid &&
	    t->regions[i].base + t->regions[i].size == t->regions[i + 1].base) {
		t->regions[i].size += t->regions[i + 1].size;
		t->total_size -= t->regions[i + 1].size;
		memblock_remove_idx(t, i + 1);
	}
	if (i > 0 && t->regions[i - 1].nid == nid &&
	    t->regions[i - 1].base + t->regions[i - 1].size == t->regions[i].base) {
		t->regions[i - 1].size += t->regions[i].size;
		t->total_size -= t->regions[i].size;
		memblock_remove_idx(t, i);
	}
	return 0;
}

/*
 * Remove [base, base+size) from every region it touches, splitting as
 * needed.  All or nothing: only a region reaching past both ends needs a
 * free slot (it splits in two), and without one nothing is changed and the
 * result is -PMM_E2BIG, so memory hotplug can refuse a removal cleanly
 * instead of losing the record of the memory above it.
 */
int memblock_remove_range(struct memblock_type *t, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;
	unsigned long i = 0;

	if (t->cnt >= INIT_MEMBLOCK_REGIONS)
		for (i = 0; i < t->cnt; i++)
			if (t->regions[i].base < base && t->regions[i].base + t->regions[i].size > end)
				return -PMM_E2BIG;
	i = 0;
	while (i < t->cnt) {
		struct memblock_region r = t->regions[i];
		uint64_t rend = r.base + r.size;

		if (rend <= base || r.base >= end) {
			i++;
			continue;
		}
		memblock_remove_idx(t, i);
		if (r.base < base) {
			int e = memblock_add(t, r.base, base - r.base, r.nid);
			if (e)
				return e;
			i++;
		}
		if (rend > end) {
			int e = memblock_add(t, end, rend - end, r.nid);
			if (e)
				return e;
			i++;
		}
	}
	return 0;
}

/* One past the last pfn of memory: the end of the last (highest) memory region, 0 if none. */
unsigned long memblock_end_pfn(const struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;

	if (!mem->cnt)
		return 0;
	return PFN_DOWN(mem->regions[mem->cnt - 1].base + mem->regions[mem->cnt - 1].size);
}

/* Reserve a range; overlapping reservations are united, as the kernel's are. */
int memblock_reserve(struct pmm *m, uint64_t base, uint64_t size)
{
	struct memblock_type *t = &m->memblock.reserved;
	uint64_t end = base + size;
	unsigned long i = 0;

	while (i < t->cnt) {
		struct memblock_region *r = &t->regions[i];
		if (r->base <= end && base <= r->base + r->size) {
			uint64_t rend = r->base + r->size;
			base = MIN(base, r->base);
			end = MAX(end, rend);
			memblock_remove_idx(t, i);
			continue;
		}
		i++;
	}
	return memblock_add(t, base, end - base, MAX_NUMNODES);
}

static bool memblock_type_has(const struct memblock_type *t, uint64_t addr)
{
	for (unsigned long i = 0; i < t->cnt; i++)
		if (addr >= t->regions[i].base && addr < t->regions[i].base + t->regions[i].size)
			return true;
	return false;
}

bool memblock_is_reserved(const struct pmm *m, uint64_t addr)
{
	return memblock_type_has(&m->memblock.reserved, addr);
}

bool memblock_is_memory(const struct pmm *m, uint64_t addr)
{
	return memblock_type_has(&m->memblock.memory, addr);
}

/*
 * Early allocator: the highest free, @align-aligned range of @size bytes in
 * node @nid (any node if NUMA_NO_NODE) below current_limit.  Returns the
 * physical address, or UINT64_MAX when nothing fits.
 */
uint64_t memblock_phys_alloc(struct pmm *m, uint64_t size, uint64_t align, int nid)
{
	const struct memblock_type *mem = &m->memblock.memory;
	const struct memblock_type *res = &m->memblock.reserved;

	size = ALIGN_UP(size, PAGE_SIZE);
	for (unsigned long i = mem->cnt; i-- > 0;) {
		const struct memblock_region *r = &mem->regions[i];
		uint64_t lo = r->base, hi = MIN(r->base + r->size, m->memblock.current_limit);

		if (nid != PMM_NUMA_NO_NODE && r->nid != nid)
			continue;
		/* Walk the free gaps of this region from the top down. */
		while (hi > lo && hi - lo >= size) {
			uint64_t cand = ALIGN_DOWN(hi - size, align);
			uint64_t blocker = 0;
			bool clash = false;

			if (cand < lo)
				break;
			for (unsigned long j = 0; j < res->cnt; j++) {
				const struct memblock_region *x = &res->regions[j];
				if (x->base < cand + size && cand < x->base + x->size) {
					/* Nothing above the highest clash fits: go below it. */
					if (!clash || x->base > blocker)
						blocker = x->base;
					clash = true;
				}
			}
			if (!clash) {
				if (memblock_reserve(m, cand, size))
					return UINT64_MAX;
				return cand;
			}
			hi = blocker;
		}
	}
	return UINT64_MAX;
}

unsigned long memblock_reserved_pages_in(const struct pmm *m, unsigned long spfn,
					 unsigned long epfn)
{
	const struct memblock_type *res = &m->memblock.reserved;
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long n = 0;

	/* Reserved pages that are also memory (reservations may cover holes). */
	for (unsigned long i = 0; i < res->cnt; i++) {
		unsigned long rs = MAX(spfn, PFN_DOWN(res->regions[i].base));
		unsigned long re = MIN(epfn, PFN_UP(res->regions[i].base + res->regions[i].size));
		for (unsigned long j = 0; j < mem->cnt && rs < re; j++) {
			unsigned long ms = MAX(rs, PFN_DOWN(mem->regions[j].base));
			unsigned long me = MIN(re, PFN_DOWN(mem->regions[j].base + mem->regions[j].size));
			if (me > ms)
				n += me - ms;
		}
	}
	return n;
}

unsigned long memblock_present_pages_in(const struct pmm *m, int nid, unsigned long spfn,
					unsigned long epfn)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long n = 0;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		unsigned long s, e;

		if (nid != PMM_NUMA_NO_NODE && r->nid != nid)
			continue;
		s = MAX(spfn, PFN_DOWN(r->base));
		e = MIN(epfn, PFN_DOWN(r->base + r->size));
		if (e > s)
			n += e - s;
	}
	return n;
}

void get_pfn_range_for_nid(const struct pmm *m, int nid, unsigned long *start, unsigned long *end)
{
	const struct memblock_type *mem = &m->memblock.memory;

	*start = ~0ul;
	*end = 0;
	for (unsigned long i = 0; i < mem->cnt; i++) {
		if (mem->regions[i].nid != nid)
			continue;
		*start = MIN(*start, PFN_DOWN(mem->regions[i].base));
		*end = MAX(*end, PFN_DOWN(mem->regions[i].base + mem->regions[i].size));
	}
	if (*start == ~0ul)
		*start = 0;
}

/*
 * Build memblock from the config and validate it: every range page-aligned
 * and non-empty, no overlaps, node ids in range, holes removed, reserved
 * ranges inside memory.
 */
int memblock_setup(struct pmm *m)
{
	const struct pmm_config *c = &m->cfg;
	struct memblock *mb = &m->memblock;
	int err;

	memset(mb, 0, sizeof(*mb));
	mb->memory.name = "memory";
	mb->reserved.name = "reserved";
	mb->current_limit = UINT64_MAX;

	if (c->nr_ranges == 0) {
		uint64_t per, base = 0;

		if (c->nr_nodes == 0 || c->nr_nodes > MAX_NUMNODES) {
			pr_err(m, "pmm: %u nodes requested, at most %d supported\n", c->nr_nodes,
			       MAX_NUMNODES);
			return -PMM_EINVAL;
		}
		if (c->mem_bytes == 0 || c->mem_bytes % PAGE_SIZE) {
			pr_err(m, "pmm: mem=%llu is zero or not a multiple of the page size\n",
			       (unsigned long long)c->mem_bytes);
			return -PMM_EINVAL;
		}
		/* Split evenly on section boundaries where the size allows it. */
		per = c->mem_bytes / c->nr_nodes;
		if (per >= (1ull << SECTION_SIZE_BITS))
			per = ALIGN_DOWN(per, 1ull << SECTION_SIZE_BITS);
		per = ALIGN_DOWN(per, PAGE_SIZE);
		if (per == 0) {
			pr_err(m, "pmm: mem=%llu too small for %u nodes\n",
			       (unsigned long long)c->mem_bytes, c->nr_nodes);
			return -PMM_EINVAL;
		}
		for (unsigned n = 0; n < c->nr_nodes; n++) {
			uint64_t sz = n + 1 == c->nr_nodes ? c->mem_bytes - base : per;
			if ((err = memblock_add(&mb->memory, base, sz, (int)n)))
				return err;
			base += sz;
		}
	} else {
		for (unsigned i = 0; i < c->nr_ranges; i++) {
			const struct pmm_range *r = &c->ranges[i];
			if (r->end <= r->start) {
				pr_err(m, "pmm: memory range %u of node %d is empty\n", i, r->nid);
				return -PMM_EINVAL;
			}
			if ((r->start | r->end) % PAGE_SIZE) {
				pr_err(m, "pmm: memory range [mem 0x%016llx-0x%016llx] is not page-aligned\n",
				       (unsigned long long)r->start, (unsigned long long)r->end - 1);
				return -PMM_EINVAL;
			}
			if (r->nid < 0 || r->nid >= MAX_NUMNODES) {
				pr_err(m, "pmm: node %d out of range (at most %d nodes)\n", r->nid,
				       MAX_NUMNODES);
				return -PMM_EINVAL;
			}
			err = memblock_add(&mb->memory, r->start, r->end - r->start, r->nid);
			if (err == -PMM_EEXIST) {
				pr_err(m, "pmm: memory range [mem 0x%016llx-0x%016llx] overlaps another\n",
				       (unsigned long long)r->start, (unsigned long long)r->end - 1);
				return -PMM_EINVAL;
			}
			if (err)
				return err;
		}
	}
	for (unsigned i = 0; i < c->nr_holes; i++) {
		const struct pmm_range *h = &c->holes[i];
		uint64_t s = ALIGN_DOWN(h->start, PAGE_SIZE), e = ALIGN_UP(h->end, PAGE_SIZE);
		if (h->end <= h->start) {
			pr_err(m, "pmm: hole %u is empty\n", i);
			return -PMM_EINVAL;
		}
		if ((err = memblock_remove_range(&mb->memory, s, e - s)))
			return err;
	}
	if (mb->memory.cnt == 0 || mb->memory.total_size == 0) {
		pr_err(m, "pmm: no memory left after removing holes\n");
		return -PMM_EINVAL;
	}
	for (unsigned i = 0; i < c->nr_reserved; i++) {
		const struct pmm_range *r = &c->reserved[i];
		uint64_t s = ALIGN_DOWN(r->start, PAGE_SIZE), e = ALIGN_UP(r->end, PAGE_SIZE);
		bool inside = false;

		if (r->end <= r->start) {
			pr_err(m, "pmm: reserved range %u is empty\n", i);
			return -PMM_EINVAL;
		}
		for (unsigned long j = 0; j < mb->memory.cnt; j++) {
			const struct memblock_region *x = &mb->memory.regions[j];
			if (s < x->base + x->size && x->base < e)
				inside = true;
		}
		if (!inside) {
			pr_err(m, "pmm: reserved range [mem 0x%016llx-0x%016llx] is outside memory\n",
			       (unsigned long long)r->start, (unsigned long long)r->end - 1);
			return -PMM_EINVAL;
		}
		if ((err = memblock_reserve(m, s, e - s)))
			return err;
	}
	return 0;
}
