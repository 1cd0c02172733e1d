// SPDX-License-Identifier: MIT
/*
 * Boot-time zone setup, in the order and with the messages of Linux 6.1:
 * zone boundaries (free_area_init), ZONE_MOVABLE sizing from kernelcore= /
 * movablecore=, per-node zone sizes, memmap initialisation (every struct
 * page of a present section, holes reserved), zonelists, watermarks and
 * lowmem reserves, and the hand-over of free memory to the buddy allocator.
 *
 * Kept apart from page_alloc.c as the kernel keeps mm_init.c: none of this
 * is on a hot path.  Locking: runs before the machine is shared.
 */
#include <limits.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"

const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable", "Device" };
const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

#define K(pages) ((pages) << (PAGE_SHIFT - 10))

static unsigned long find_min_pfn_with_active_regions(const struct pmm *m)
{
	return m->memblock.memory.cnt ? PFN_DOWN(m->memblock.memory.regions[0].base) : 0;
}

/* ZONE_MOVABLE takes its pages from the highest zone below it that has any. */
static void find_usable_zone_for_movable(struct pmm *m)
{
	int zi;

	for (zi = ZONE_MOVABLE - 1; zi >= 0; zi--)
		if (m->arch_zone_highest_possible_pfn[zi] > m->arch_zone_lowest_possible_pfn[zi])
			break;
	m->movable_zone = zi < 0 ? ZONE_DMA : zi;
}

static unsigned long node_present(const struct pmm *m, int nid)
{
	return memblock_present_pages_in(m, nid, 0, ~0ul);
}

/* kernelcore= / movablecore=: where ZONE_MOVABLE starts on each node. */
static void find_zone_movable_pfns_for_nodes(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long totalpages = 0, required_kernelcore = 0, required_movablecore = 0;
	unsigned long usable_startpfn;
	int usable_nodes = 0, nid;

	for_each_online_node(m, nid) {
		totalpages += node_present(m, nid);
		usable_nodes++;
	}
	if (m->cfg.kernelcore_percent)
		required_kernelcore = totalpages * m->cfg.kernelcore_percent / 100;
	else
		required_kernelcore = PFN_DOWN(m->cfg.kernelcore);
	if (m->cfg.movablecore_percent)
		required_movablecore = totalpages * m->cfg.movablecore_percent / 100;
	else
		required_movablecore = PFN_DOWN(m->cfg.movablecore);

	if (required_movablecore) {
		unsigned long corepages;

		required_movablecore = ALIGN_UP(required_movablecore, MAX_ORDER_NR_PAGES);
		required_movablecore = MIN(totalpages, required_movablecore);
		corepages = totalpages - required_movablecore;
		required_kernelcore = MAX(required_kernelcore, corepages);
	}
	if (!required_kernelcore || required_kernelcore >= totalpages)
		goto out;

	usable_startpfn = m->arch_zone_lowest_possible_pfn[m->movable_zone];
restart:
	{
		unsigned long kernelcore_node = required_kernelcore / (unsigned long)usable_nodes;

		for_each_online_node(m, nid) {
			unsigned long kernelcore_remaining;

			if (required_kernelcore < kernelcore_node)
				kernelcore_node = required_kernelcore / (unsigned long)usable_nodes;
			kernelcore_remaining = kernelcore_node;
			for (unsigned long i = 0; i < mem->cnt; i++) {
				unsigned long start_pfn = PFN_DOWN(mem->regions[i].base);
				unsigned long end_pfn = PFN_DOWN(mem->regions[i].base + mem->regions[i].size);
				unsigned long size_pages;

				if (mem->regions[i].nid != nid)
					continue;
				start_pfn = MAX(start_pfn, m->zone_movable_pfn[nid]);
				if (start_pfn >= end_pfn)
					continue;
				if (start_pfn < usable_startpfn) {
					unsigned long kernel_pages = MIN(end_pfn, usable_startpfn) - start_pfn;

					kernelcore_remaining -= MIN(kernel_pages, kernelcore_remaining);
					required_kernelcore -= MIN(kernel_pages, required_kernelcore);
					if (end_pfn <= usable_startpfn) {
						m->zone_movable_pfn[nid] = end_pfn;
						continue;
					}
					start_pfn = usable_startpfn;
				}
				size_pages = MIN(end_pfn - start_pfn, kernelcore_remaining);
				m->zone_movable_pfn[nid] = start_pfn + size_pages;
				required_kernelcore -= MIN(required_kernelcore, size_pages);
				kernelcore_remaining -= size_pages;
				if (!kernelcore_remaining)
					break;
			}
		}
		usable_nodes--;
		if (usable_nodes && required_kernelcore > (unsigned long)usable_nodes)
			goto restart;
	}
out:
	for_each_online_node(m, nid) {
		unsigned long start, end;

		get_pfn_range_for_nid(m, nid, &start, &end);
		m->zone_movable_pfn[nid] = ALIGN_UP(m->zone_movable_pfn[nid], MAX_ORDER_NR_PAGES);
		if (m->zone_movable_pfn[nid] >= end)
			m->zone_movable_pfn[nid] = 0;
	}
}

static void adjust_zone_range_for_zone_movable(const struct pmm *m, int nid, int zone_type,
					       unsigned long node_end_pfn,
					       unsigned long *zone_start_pfn,
					       unsigned long *zone_end_pfn)
{
	unsigned long zmp = m->zone_movable_pfn[nid];

	if (!zmp)
		return;
	if (zone_type == ZONE_MOVABLE) {
		*zone_start_pfn = zmp;
		*zone_end_pfn = MIN(node_end_pfn, m->arch_zone_highest_possible_pfn[m->movable_zone]);
	} else if (*zone_start_pfn < zmp && *zone_end_pfn > zmp) {
		*zone_end_pfn = zmp;
	} else if (*zone_start_pfn >= zmp) {
		*zone_start_pfn = *zone_end_pfn;
	}
}

static unsigned long zone_spanned_pages_in_node(const struct pmm *m, int nid, int zone_type,
						unsigned long node_start_pfn,
						unsigned long node_end_pfn,
						unsigned long *zone_start_pfn,
						unsigned long *zone_end_pfn)
{
	unsigned long zs = m->arch_zone_lowest_possible_pfn[zone_type];
	unsigned long ze = m->arch_zone_highest_possible_pfn[zone_type];

	*zone_start_pfn = zs;
	*zone_end_pfn = ze;
	adjust_zone_range_for_zone_movable(m, nid, zone_type, node_end_pfn, zone_start_pfn,
					   zone_end_pfn);
	if (*zone_end_pfn < node_start_pfn || *zone_start_pfn > node_end_pfn)
		return 0;
	*zone_end_pfn = MIN(*zone_end_pfn, node_end_pfn);
	*zone_start_pfn = MAX(*zone_start_pfn, node_start_pfn);
	return *zone_end_pfn > *zone_start_pfn ? *zone_end_pfn - *zone_start_pfn : 0;
}

/* The kernel's estimate of the memmap a zone costs, taken off managed at first. */
static unsigned long calc_memmap_size(unsigned long spanned, unsigned long present)
{
	unsigned long pages = spanned;

	if (spanned > present + (present >> 4))
		pages = present;
	return ALIGN_UP(pages * sizeof(struct page), PAGE_SIZE) >> PAGE_SHIFT;
}

static void zone_init_internals(struct pmm *m, pg_data_t *pgdat, int zi, unsigned long managed)
{
	struct zone *z = &pgdat->node_zones[zi];

	z->managed_pages = (long)managed;
	z->name = zone_names[zi];
	z->zone_idx = zi;
	z->node = pgdat->node_id;
	z->zone_pgdat = pgdat;
	z->machine = m;
	pmm_lock_init(&z->lock);
	for (int o = 0; o < MAX_ORDER; o++) {
		for (int t = 0; t < MIGRATE_TYPES; t++)
			INIT_LIST_HEAD(&z->free_area[o].free_list[t]);
		z->free_area[o].nr_free = 0;
	}
	z->free_pcp_lists = 0;
	/* The boot pageset: every free goes straight to the buddy lists. */
	z->pageset_high = 0;
	z->pageset_batch = 1;
}

static void calculate_node_totalpages(struct pmm *m, pg_data_t *pgdat, unsigned long node_start_pfn,
				      unsigned long node_end_pfn)
{
	unsigned long totalpages = 0, realtotalpages = 0;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];
		unsigned long zs, ze, spanned, present;

		spanned = zone_spanned_pages_in_node(m, pgdat->node_id, i, node_start_pfn,
						     node_end_pfn, &zs, &ze);
		present = spanned ? memblock_present_pages_in(m, pgdat->node_id, zs, ze) : 0;
		z->zone_start_pfn = spanned ? zs : 0;
		z->spanned_pages = spanned;
		z->present_pages = present;
		totalpages += spanned;
		realtotalpages += present;
	}
	pgdat->node_spanned_pages = totalpages;
	pgdat->node_present_pages = realtotalpages;
}

static void free_area_init_core(struct pmm *m, pg_data_t *pgdat)
{
	for (int j = 0; j < MAX_NR_ZONES; j++) {
		struct zone *z = &pgdat->node_zones[j];
		unsigned long size = z->spanned_pages, freesize = z->present_pages;
		unsigned long memmap_pages = calc_memmap_size(size, freesize);

		if (freesize >= memmap_pages)
			freesize -= memmap_pages;
		if (j == 0 && freesize > m->dma_reserve)
			freesize -= m->dma_reserve;
		zone_init_internals(m, pgdat, j, freesize);
		if (!size)
			continue;
		z->initialized = true;
	}
}

/* __init_single_page(): the state of a frame nobody owns yet. */
static inline void init_single_page(struct page *p, int zone, int nid, int refcount)
{
	memset(p, 0, sizeof(*p));
	set_page_links(p, zone, nid);
	page_cpupid_reset_last(p);
	p->_refcount = refcount;
	p->_mapcount = -1;
	INIT_LIST_HEAD(&p->lru);
}

/*
 * memmap_init_range(): initialise [start, end) of @zone.  Frames that
 * memblock has not reserved get refcount 0 now, the state
 * __free_pages_core() would give them, so the hand-over to the buddy need
 * only touch the head page of each block.
 */
static void memmap_init_range(struct pmm *m, unsigned long start, unsigned long end, int zi,
			      int nid)
{
	const struct memblock_type *res = &m->memblock.reserved;
	unsigned long r = 0;

	for (unsigned long pfn = start; pfn < end;) {
		unsigned long stop = end;
		bool reserved = false;

		/* Next reserved region boundary at or after pfn. */
		while (r < res->cnt && PFN_UP(res->regions[r].base + res->regions[r].size) <= pfn)
			r++;
		if (r < res->cnt) {
			unsigned long rs = PFN_DOWN(res->regions[r].base);
			unsigned long re = PFN_UP(res->regions[r].base + res->regions[r].size);
			if (rs <= pfn) {
				reserved = true;
				stop = MIN(end, re);
			} else {
				stop = MIN(end, rs);
			}
		}
		for (; pfn < stop; pfn++) {
			struct page *p = pfn_to_page(m, pfn);

			init_single_page(p, zi, nid, reserved ? 1 : 0);
			if (reserved)
				SetPageReserved(p);
			if ((pfn & (pageblock_nr_pages - 1)) == 0)
				set_pfnblock_flags_mask(m, MIGRATE_MOVABLE, pfn, MIGRATETYPE_MASK);
		}
	}
}

void memmap_init_hotplug(struct pmm *m, unsigned long start, unsigned long end, int zi, int nid,
			 int mt)
{
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct page *p = pfn_to_page(m, pfn);

		init_single_page(p, zi, nid, 1);
		SetPageReserved(p);
		if ((pfn & (pageblock_nr_pages - 1)) == 0)
			set_pfnblock_flags_mask(m, (unsigned long)mt, pfn, MIGRATETYPE_MASK);
	}
}

static void init_unavailable_range(struct pmm *m, unsigned long spfn, unsigned long epfn, int zi,
				   int nid)
{
	unsigned long pgcnt = 0;

	for (unsigned long pfn = spfn; pfn < epfn; pfn++) {
		if (!pfn_valid(m, ALIGN_DOWN(pfn, pageblock_nr_pages))) {
			pfn = ALIGN_DOWN(pfn, pageblock_nr_pages) + pageblock_nr_pages - 1;
			continue;
		}
		init_single_page(pfn_to_page(m, pfn), zi, nid, 1);
		SetPageReserved(pfn_to_page(m, pfn));
		pgcnt++;
	}
	if (pgcnt)
		pr_info(m, "On node %d, zone %s: %lu pages in unavailable ranges\n", nid,
			zone_names[zi], pgcnt);
}

/*
 * mhp_init_memmap_on_memory()'s memmap part, for the frames [start, end)
 * holding a section's own memmap (memmap=altmap), at boot and at online:
 * they belong to zone @zi of node @nid (the memory they describe), are
 * initialised as hotplug initialises memory (reserved, refcount 1), never
 * onlined, flagged PG_vmemmap_self_hosted, and their pageblocks are
 * UNMOVABLE.  They stay present pages (memory_block_online() adds them back
 * with adjust_present_page_count()) but never become managed pages.
 */
void memmap_init_self_hosted(struct pmm *m, unsigned long start, unsigned long end, int zi,
			     int nid)
{
	memmap_init_hotplug(m, start, end, zi, nid, MIGRATE_UNMOVABLE);
	for (unsigned long pfn = start; pfn < end; pfn++)
		SetPageVmemmapSelfHosted(pfn_to_page(m, pfn));
}

/* Boot: every self-hosted memmap, in the zone memmap_init() gave its section. */
static void init_self_hosted_memmap(struct pmm *m)
{
	if (!m->altmaps)
		return;
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		unsigned long spfn = section_nr_to_pfn(nr), n = section_vmemmap_pages(m, nr);
		const struct page *first = pfn_to_page(m, spfn);

		if (n)
			memmap_init_self_hosted(m, spfn, spfn + n, page_zonenum(first),
						page_to_nid(first));
	}
}

static void memmap_init(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long hole_pfn = 0, end_pfn = 0;
	int zone_id = 0, nid = 0;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		unsigned long start_pfn = PFN_DOWN(mem->regions[i].base);
		pg_data_t *pgdat;

		end_pfn = PFN_DOWN(mem->regions[i].base + mem->regions[i].size);
		nid = mem->regions[i].nid;
		pgdat = m->node_data[nid];
		for (int j = 0; j < MAX_NR_ZONES; j++) {
			struct zone *z = &pgdat->node_zones[j];
			unsigned long s, e;

			if (!populated_zone(z))
				continue;
			s = MIN(MAX(start_pfn, z->zone_start_pfn), zone_end_pfn(z));
			e = MIN(MAX(end_pfn, z->zone_start_pfn), zone_end_pfn(z));
			if (s < e) {
				memmap_init_range(m, s, e, j, nid);
				if (hole_pfn < s)
					init_unavailable_range(m, hole_pfn, s, j, nid);
				hole_pfn = e;
			}
			zone_id = j;
		}
	}
	end_pfn = ALIGN_UP(end_pfn, PAGES_PER_SECTION);
	if (hole_pfn < end_pfn)
		init_unavailable_range(m, hole_pfn, end_pfn, zone_id, nid);
	init_self_hosted_memmap(m);
}

/* x86's memblock_find_dma_reserve(): reserved memory inside ZONE_DMA. */
static void find_dma_reserve(struct pmm *m)
{
	unsigned long dma_end = m->arch_zone_highest_possible_pfn[ZONE_DMA];

	m->dma_reserve = memblock_reserved_pages_in(m, 0, dma_end);
}

int free_area_init(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };
	unsigned long start_pfn, cpus;
	int nid;

	max_zone_pfn[ZONE_DMA] = MIN(PFN_DOWN(m->cfg.dma_limit), m->max_pfn);
	max_zone_pfn[ZONE_DMA32] = MIN(PFN_DOWN(m->cfg.dma32_limit), m->max_pfn);
	max_zone_pfn[ZONE_NORMAL] = m->max_pfn;

	start_pfn = find_min_pfn_with_active_regions(m);
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		unsigned long end_pfn;

		if (i == ZONE_MOVABLE)
			continue;
		end_pfn = MAX(max_zone_pfn[i], start_pfn);
		m->arch_zone_lowest_possible_pfn[i] = start_pfn;
		m->arch_zone_highest_possible_pfn[i] = end_pfn;
		start_pfn = end_pfn;
	}

	for (unsigned long i = 0; i < mem->cnt; i++) {
		int n = mem->regions[i].nid;
		m->node_online_map |= 1ul << n;
		if (n + 1 > m->nr_node_ids)
			m->nr_node_ids = n + 1;
	}
	m->nr_online_nodes = __builtin_popcountl(m->node_online_map);
	find_usable_zone_for_movable(m);
	find_zone_movable_pfns_for_nodes(m);

	pr_info(m, "Zone ranges:\n");
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		if (i == ZONE_MOVABLE)
			continue;
		if (m->arch_zone_lowest_possible_pfn[i] == m->arch_zone_highest_possible_pfn[i])
			pr_info(m, "  %-8s empty\n", zone_names[i]);
		else
			pr_info(m, "  %-8s [mem 0x%016llx-0x%016llx]\n", zone_names[i],
				(unsigned long long)PFN_PHYS(m->arch_zone_lowest_possible_pfn[i]),
				(unsigned long long)PFN_PHYS(m->arch_zone_highest_possible_pfn[i]) - 1);
	}
	pr_info(m, "Movable zone start for each node\n");
	for (int i = 0; i < MAX_NUMNODES; i++)
		if (m->zone_movable_pfn[i])
			pr_info(m, "  Node %d: 0x%016llx\n", i,
				(unsigned long long)PFN_PHYS(m->zone_movable_pfn[i]));
	pr_info(m, "Early memory node ranges\n");
	for (unsigned long i = 0; i < mem->cnt; i++)
		pr_info(m, "  node %3d: [mem 0x%016llx-0x%016llx]\n", mem->regions[i].nid,
			(unsigned long long)mem->regions[i].base,
			(unsigned long long)(mem->regions[i].base + mem->regions[i].size) - 1);

	find_dma_reserve(m);
	cpus = nodes_with_cpus(m);
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		pg_data_t *pgdat;
		unsigned long s, e;

		if (!(m->node_online_map & (1ul << nid))) {
			/* A node with CPUs (node_cpus=) and no memory: the kernel's lines, no pgdat. */
			if (cpus & (1ul << nid)) {
				pr_info(m, "Initializing node %d as memoryless\n", nid);
				pr_info(m, "Initmem setup node %d as memoryless\n", nid);
			}
			continue;
		}
		pgdat = pmm_zalloc(m, sizeof(*pgdat));
		if (!pgdat)
			return -PMM_ENOMEM;
		m->node_data[nid] = pgdat;
		pgdat->node_id = nid;
		get_pfn_range_for_nid(m, nid, &s, &e);
		pgdat->node_start_pfn = s;
		if (s != e)
			pr_info(m, "Initmem setup node %d [mem 0x%016llx-0x%016llx]\n", nid,
				(unsigned long long)PFN_PHYS(s), (unsigned long long)PFN_PHYS(e) - 1);
		calculate_node_totalpages(m, pgdat, s, e);
		free_area_init_core(m, pgdat);
		for (int j = 0; j < MAX_NR_ZONES; j++)
			if (populated_zone(&pgdat->node_zones[j]))
				pgdat->nr_zones = j + 1;
	}
	memmap_init(m);
	return 0;
}

/* ------------------------------------------------------------ zonelists */

static int build_zonerefs_node(pg_data_t *pgdat, struct zoneref *zrefs)
{
	int nr = 0;

	for (int zt = MAX_NR_ZONES - 1; zt >= 0; zt--) {
		struct zone *z = &pgdat->node_zones[zt];
		if (managed_zone(z))
			__atomic_store_n(&zrefs[nr++].zone, z, __ATOMIC_RELAXED);
	}
	return nr;
}

int node_distance(const struct pmm *m, int a, int b)
{
	unsigned d = m->cfg.node_distance[a][b];

	return d ? (int)d : a == b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

/*
 * The kernel's find_next_best_node(): @local first, then among the nodes
 * with memory not in *@used the nearest, a node below @local counting one
 * more, a node with CPUs (@cpus, a mask: none during boot's first build,
 * when no node's CPU mask is filled yet) one more, ties going to the less
 * loaded (@load) and then the lower id.  -1 when none is left.
 */
static int next_best_node(const struct pmm *m, int local, uint64_t *used, const int *load,
			  unsigned long cpus)
{
	int best = -1, min_val = INT_MAX;

	if (!(*used & (1ull << local))) {
		*used |= 1ull << local;
		return local;
	}
	for (int n = 0; n < MAX_NUMNODES; n++) {
		int val;

		if (!(m->node_online_map & (1ul << n)) || (*used & (1ull << n)))
			continue;
		val = node_distance(m, local, n) + (n < local);
		if (cpus & (1ul << n))
			val += PENALTY_FOR_NODE_WITH_CPUS;
		val = val * MAX_NUMNODES + load[n];
		if (val < min_val) {
			min_val = val;
			best = n;
		}
	}
	if (best >= 0)
		*used |= 1ull << best;
	return best;
}

/*
 * The fallback order of node @local (the kernel's build_zonelists()), kept
 * in m->node_order for the zonelists, numa_mem_id() and the boot log.
 * The first node of each distance group gets a load, so that nodes at the
 * same distance take turns being first across the nodes built after it.
 */
static void build_node_order(struct pmm *m, int local, int *load, unsigned long cpus)
{
	uint64_t used = 0;
	int node, prev = local, nr = 0;

	while ((node = next_best_node(m, local, &used, load, cpus)) >= 0) {
		if (node_distance(m, local, node) != node_distance(m, local, prev))
			load[node]++;
		__atomic_store_n(&m->node_order[local][nr++], (int8_t)node, __ATOMIC_RELAXED);
		prev = node;
	}
	__atomic_store_n(&m->node_order_nr[local], (uint8_t)nr, __ATOMIC_RELEASE);
}

/* The zonelists of @pgdat: its fallback order's zones, and its own alone. */
static void build_zonelists(struct pmm *m, pg_data_t *pgdat)
{
	struct zoneref *zr = pgdat->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
	struct zoneref *nf = pgdat->node_zonelists[ZONELIST_NOFALLBACK]._zonerefs;
	int local = pgdat->node_id, nr = 0;

	for (int k = 0; k < m->node_order_nr[local]; k++) {
		int n = m->node_order[local][k];

		if (m->node_online_map & (1ul << n))
			nr += build_zonerefs_node(m->node_data[n], zr + nr);
	}
	__atomic_store_n(&zr[nr].zone, NULL, __ATOMIC_RELAXED);
	nr = build_zonerefs_node(pgdat, nf);
	__atomic_store_n(&nf[nr].zone, NULL, __ATOMIC_RELAXED);
}

static unsigned long nr_free_zone_pages(struct pmm *m, int offset)
{
	unsigned long sum = 0;
	int nid;

	/* Every zone appears once in one node's fallback list. */
	for_each_online_node(m, nid) {
		for (int z = 0; z <= offset && z < MAX_NR_ZONES; z++) {
			struct zone *zone = &m->node_data[nid]->node_zones[z];
			unsigned long size = (unsigned long)zone_managed_pages(zone);
			unsigned long high = high_wmark_pages(zone);
			if (size > high)
				sum += size - high;
		}
	}
	return sum;
}

unsigned long nr_free_buffer_pages(struct pmm *m)
{
	return nr_free_zone_pages(m, ZONE_NORMAL);
}

/* "Fallback order for Node N: ..." as the kernel's build_zonelists() prints it. */
static void print_fallback_order(struct pmm *m, int nid)
{
	char line[16 + 4 * MAX_NUMNODES];
	int len = 0;

	line[0] = '\0';
	for (int k = 0; k < m->node_order_nr[nid]; k++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%d ", m->node_order[nid][k]);
	pr_info(m, "Fallback order for Node %d: %s\n", nid, line);
}

void build_all_zonelists(struct pmm *m)
{
	int nid, nr_online = 0, load[MAX_NUMNODES] = { 0 };
	unsigned long cpus = nodes_with_cpus(m);
	bool disabled;

	/*
	 * Every online node in id order, memoryless ones too, sharing one
	 * load; boot's first build sees no CPUs (the kernel builds before any
	 * CPU joins its node's mask), later ones do.
	 */
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		bool online = m->node_online_map & (1ul << nid);

		if (!online && !(cpus & (1ul << nid)))
			continue; /* neither memory nor CPUs: not a node */
		build_node_order(m, nid, load, m->zonelists_built ? cpus : 0);
		if (online)
			build_zonelists(m, m->node_data[nid]);
		print_fallback_order(m, nid);
		nr_online++;
	}
	m->zonelists_built = true;
	m->vm_total_pages = nr_free_zone_pages(m, ZONE_MOVABLE);
	disabled = m->vm_total_pages < pageblock_nr_pages * MIGRATE_TYPES;
	/* Written only when it changes: allocations read it without a lock. */
	if (mobility_disabled(m) != disabled)
		__atomic_store_n(&m->page_group_by_mobility_disabled, disabled, __ATOMIC_RELAXED);
	m->policy_zone = ZONE_DMA;
	for_each_online_node(m, nid)
		for (int z = ZONE_NORMAL; z >= ZONE_DMA; z--)
			if (populated_zone(&m->node_data[nid]->node_zones[z]) && z > m->policy_zone)
				m->policy_zone = z;
	pr_info(m, "Built %d zonelists, mobility grouping %s.  Total pages: %lu\n", nr_online,
		disabled ? "off" : "on", m->vm_total_pages);
	pr_info(m, "Policy zone: %s\n", zone_names[m->policy_zone]);
}

/* ------------------------------------------------------------ watermarks */

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1ul << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

#define for_each_zone(m, nid, z)                                  \
	for_each_online_node(m, nid)                                \
		for (z = m->node_data[nid]->node_zones;             \
		     z < m->node_data[nid]->node_zones + MAX_NR_ZONES; z++)

void setup_per_zone_wmarks(struct pmm *m)
{
	unsigned long pages_min = (unsigned long)m->min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *z;
	int nid;

	for_each_zone(m, nid, z)
		lowmem_pages += (unsigned long)zone_managed_pages(z);
	for_each_zone(m, nid, z) {
		unsigned long managed = (unsigned long)zone_managed_pages(z);
		unsigned long tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
		unsigned long gap;

		/* Under zone->lock; the allocator reads them locklessly (wmark_pages()). */
		pmm_lock(&z->lock);
		gap = MAX(tmp >> 2, managed * (unsigned long)m->watermark_scale_factor / 10000);
		__atomic_store_n(&z->_watermark[WMARK_MIN], tmp, __ATOMIC_RELAXED);
		__atomic_store_n(&z->watermark_boost, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&z->_watermark[WMARK_LOW], tmp + gap, __ATOMIC_RELAXED);
		__atomic_store_n(&z->_watermark[WMARK_HIGH], tmp + 2 * gap, __ATOMIC_RELAXED);
		__atomic_store_n(&z->_watermark[WMARK_PROMO], tmp + 3 * gap, __ATOMIC_RELAXED);
		zone_fast_update(z);
		pmm_unlock(&z->lock);
	}
	calculate_totalreserve_pages(m);
}

void setup_per_zone_lowmem_reserve(struct pmm *m)
{
	int nid;

	for_each_online_node(m, nid) {
		pg_data_t *pgdat = m->node_data[nid];

		for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
			struct zone *z = &pgdat->node_zones[i];
			int ratio = m->lowmem_reserve_ratio[i];
			bool clear = ratio < 1 || !zone_managed_pages(z);
			unsigned long managed = 0;

			pmm_lock(&z->lock);
			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += (unsigned long)zone_managed_pages(&pgdat->node_zones[j]);
				/* Read locklessly by the watermark checks. */
				__atomic_store_n(&z->lowmem_reserve[j],
						 clear ? 0 : (long)(managed / (unsigned long)ratio),
						 __ATOMIC_RELAXED);
			}
			zone_fast_update(z);
			pmm_unlock(&z->lock);
		}
	}
	calculate_totalreserve_pages(m);
}

void calculate_totalreserve_pages(struct pmm *m)
{
	unsigned long reserve_pages = 0;
	int nid;

	for_each_online_node(m, nid) {
		pg_data_t *pgdat = m->node_data[nid];

		pgdat->totalreserve_pages = 0;
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *z = &pgdat->node_zones[i];
			long max = 0;
			unsigned long managed = (unsigned long)zone_managed_pages(z);

			for (int j = i; j < MAX_NR_ZONES; j++)
				if (z->lowmem_reserve[j] > max)
					max = z->lowmem_reserve[j];
			max += (long)high_wmark_pages(z);
			if ((unsigned long)max > managed)
				max = (long)managed;
			pgdat->totalreserve_pages += (unsigned long)max;
			reserve_pages += (unsigned long)max;
		}
	}
	m->totalreserve_pages = reserve_pages;
}

/* calculate_min_free_kbytes(): sqrt(16 x low memory in kB), unless a user's value is larger. */
static void calculate_min_free_kbytes(struct pmm *m)
{
	unsigned long lowmem_kbytes = nr_free_buffer_pages(m) * (PAGE_SIZE >> 10);
	long new_min = (long)int_sqrt(lowmem_kbytes * 16);

	if (new_min > m->user_min_free_kbytes) {
		m->min_free_kbytes = (int)MIN(MAX(new_min, 128), 262144);
	} else {
		m->min_free_kbytes = m->user_min_free_kbytes;
		if (m->user_min_free_kbytes >= 0 && new_min != m->user_min_free_kbytes)
			pr_warn(m,
				"min_free_kbytes is not updated to %ld because user defined value %d is preferred\n",
				new_min, m->user_min_free_kbytes);
	}
}

static bool thp_enabled(const struct pmm *m)
{
	return m->cfg.thp == PMM_THP_ALWAYS || m->cfg.thp == PMM_THP_MADVISE;
}

/*
 * khugepaged's set_recommended_min_free_kbytes().  With transparent huge
 * pages enabled: khugepaged_recommended_pages(), at most 5% of low
 * memory; it raises min_free_kbytes, never lowers it.  Disabled:
 * min_free_kbytes computed again.  Then the marks.
 */
static void set_recommended_min_free_kbytes(struct pmm *m)
{
	unsigned long nr_zones = 0, rec;
	int nid;

	if (!thp_enabled(m)) {
		calculate_min_free_kbytes(m);
		setup_per_zone_wmarks(m);
		return;
	}
	for_each_online_node(m, nid)
		for (int z = 0; z <= ZONE_NORMAL; z++)
			nr_zones += populated_zone(&m->node_data[nid]->node_zones[z]);
	rec = MIN(khugepaged_recommended_pages(nr_zones), nr_free_buffer_pages(m) / 20)
	      << (PAGE_SHIFT - 10);
	if ((long)rec > m->min_free_kbytes) {
		if (m->user_min_free_kbytes >= 0)
			pr_info(m, "raising min_free_kbytes from %d to %lu to help transparent hugepage allocations\n",
				m->min_free_kbytes, rec);
		m->min_free_kbytes = (int)rec;
	}
	setup_per_zone_wmarks(m);
}

static int fls_long(unsigned long x)
{
	return x ? (int)(8 * sizeof(x)) - __builtin_clzl(x) : 0;
}

int calculate_normal_threshold(unsigned long managed, unsigned nr_online_cpus)
{
	/* Memory in 128 MiB units: more memory and more CPUs tolerate more drift. */
	unsigned long mem = managed >> (27 - PAGE_SHIFT);
	int threshold = 2 * fls_long(nr_online_cpus) * (1 + fls_long(mem));

	return threshold < 125 ? threshold : 125;
}

/*
 * refresh_zone_stat_thresholds(): each populated zone's threshold from its
 * managed pages now.  Only here (boot's marks, memory hotplug), as in 6.1:
 * pages freed to a zone later (free_reserved_area(), late_free=) raise its
 * managed pages but not the threshold zoneinfo shows.
 */
static void refresh_zone_stat_thresholds(struct pmm *m)
{
	int nid;

	for_each_online_node(m, nid)
		for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
			struct zone *z = &m->node_data[nid]->node_zones[zi];

			if (populated_zone(z))
				__atomic_store_n(&z->stat_threshold,
						 calculate_normal_threshold(
							 (unsigned long)zone_managed_pages(z), m->nr_cpus),
						 __ATOMIC_RELAXED);
		}
}

/*
 * init_per_zone_wmark_min(): min_free_kbytes from low memory, then the
 * marks and the counters' thresholds; with transparent huge pages enabled,
 * khugepaged's raise follows (khugepaged_min_free_kbytes_update(), which
 * memory hotplug reaches too).
 */
void init_per_zone_wmark_min(struct pmm *m)
{
	calculate_min_free_kbytes(m);
	setup_per_zone_wmarks(m);
	refresh_zone_stat_thresholds(m);
	setup_per_zone_lowmem_reserve(m);
	if (thp_enabled(m))
		set_recommended_min_free_kbytes(m);
}

/*
 * The end of boot's watermark setup in a kernel built with THP:
 * hugepage_init() starts (or, with never, does not start) khugepaged,
 * and start_stop_khugepaged() sets min_free_kbytes either way.
 */
void start_stop_khugepaged(struct pmm *m)
{
	if (m->cfg.thp != PMM_THP_NONE)
		set_recommended_min_free_kbytes(m);
}

/* ------------------------------------------------------------ hand-over */

/*
 * Free [start, end) to the buddy, except frames holding a section's own
 * memmap; with @dry, only count.  Returns the frames (to be) freed.
 */
static unsigned long free_range_but_memmap(struct pmm *m, unsigned long start, unsigned long end,
					   bool dry)
{
	unsigned long n = 0;

	if (!m->nr_self_hosted) {
		if (!dry && start < end)
			free_pages_memory(m, start, end);
		return start < end ? end - start : 0;
	}
	while (start < end) {
		unsigned long nr = pfn_to_section_nr(start);
		unsigned long hosted_end = section_nr_to_pfn(nr) + section_vmemmap_pages(m, nr);
		unsigned long stop = MIN(end, section_nr_to_pfn(nr) + PAGES_PER_SECTION);

		if (start < hosted_end)
			start = MIN(hosted_end, stop);
		if (start < stop && !dry)
			free_pages_memory(m, start, stop);
		n += stop > start ? stop - start : 0;
		start = stop;
	}
	return n;
}

/*
 * defer_init(): with deferred_struct_page_init=on, the first frame of node
 * @nid that boot leaves to deferred_init_memmap().  Only the node's highest
 * zone (the one that ends where the node ends) defers, and only past its
 * first PAGES_PER_SECTION present frames, at a section boundary.
 */
static unsigned long defer_start(const struct pmm *m, int nid)
{
	const struct memblock_type *mem = &m->memblock.memory;
	const pg_data_t *pgdat = m->node_data[nid];
	const struct zone *top = NULL;
	unsigned long seen = 0;

	if (!m->cfg.deferred_struct_page_init)
		return ULONG_MAX;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (populated_zone(&pgdat->node_zones[zi]) &&
		    zone_end_pfn(&pgdat->node_zones[zi]) >= pgdat_end_pfn(pgdat))
			top = &pgdat->node_zones[zi];
	if (!top)
		return ULONG_MAX;
	for (unsigned long i = 0; i < mem->cnt; i++) {
		unsigned long start = MAX(PFN_UP(mem->regions[i].base), top->zone_start_pfn);
		unsigned long end = MIN(PFN_DOWN(mem->regions[i].base + mem->regions[i].size),
					zone_end_pfn(top));
		unsigned long pfn;

		if (mem->regions[i].nid != nid || start >= end)
			continue;
		/* The first frame counted past PAGES_PER_SECTION, then a boundary. */
		pfn = ALIGN_UP(start + (seen < PAGES_PER_SECTION ? PAGES_PER_SECTION - seen : 0),
			       PAGES_PER_SECTION);
		if (pfn < end)
			return pfn;
		seen += end - start;
	}
	return ULONG_MAX;
}

/*
 * The free (not memblock-reserved) frames of memory, boot's part
 * (@deferred_nid < 0: below each node's first_deferred_pfn) or the deferred
 * part of node @deferred_nid, given to the buddy (or, with @dry, counted)
 * in the largest naturally aligned blocks that fit.
 */
static unsigned long free_memory_ranges(struct pmm *m, int deferred_nid, bool dry)
{
	const struct memblock_type *mem = &m->memblock.memory;
	const struct memblock_type *res = &m->memblock.reserved;
	unsigned long n = 0;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		int nid = mem->regions[i].nid;
		unsigned long first_deferred = m->node_data[nid]->first_deferred_pfn;
		unsigned long start = PFN_UP(mem->regions[i].base);
		unsigned long end = PFN_DOWN(mem->regions[i].base + mem->regions[i].size);
		unsigned long r = 0;

		if (deferred_nid < 0)
			end = MIN(end, first_deferred);
		else if (nid != deferred_nid)
			continue;
		else
			start = MAX(start, first_deferred);
		while (start < end) {
			unsigned long stop = end;

			/* Skip reserved ranges; stop before the next one. */
			while (r < res->cnt && PFN_UP(res->regions[r].base + res->regions[r].size) <= start)
				r++;
			if (r < res->cnt) {
				unsigned long rs = PFN_DOWN(res->regions[r].base);
				unsigned long re = PFN_UP(res->regions[r].base + res->regions[r].size);
				if (rs <= start) {
					start = MIN(end, re);
					continue;
				}
				stop = MIN(end, rs);
			}
			n += free_range_but_memmap(m, start, stop, dry);
			start = stop;
		}
	}
	return n;
}

/*
 * memblock_free_all(): managed pages start again from zero and count what is
 * really given to the buddy: every free range, in the largest naturally
 * aligned blocks that fit, less what deferred struct page init leaves for
 * later (deferred_init_memmap()).  Frames holding a self-hosted memmap stay
 * out.
 */
void memblock_free_all(struct pmm *m)
{
	int nid;
	struct zone *z;

	for_each_zone(m, nid, z)
		z->managed_pages = 0;
	for_each_online_node(m, nid)
		m->node_data[nid]->first_deferred_pfn = defer_start(m, nid);
	free_memory_ranges(m, -1, false);
}

/*
 * page_alloc_init_late()'s deferred_init_memmap(), one node after the
 * other (the kernel runs a thread per node): the rest of each node's free
 * memory, logged as the kernel logs it.
 */
void deferred_init_memmap(struct pmm *m)
{
	int nid;

	for_each_online_node(m, nid) {
		pg_data_t *pgdat = m->node_data[nid];
		uint64_t t0;

		if (pgdat->first_deferred_pfn == ULONG_MAX)
			continue;
		t0 = m->plat->clock_ns(m->plat->ctx);
		free_memory_ranges(m, nid, false);
		pgdat->first_deferred_pfn = ULONG_MAX;
		pr_info(m, "node %d deferred pages initialised in %llums\n", nid,
			(unsigned long long)((m->plat->clock_ns(m->plat->ctx) - t0) / 1000000));
	}
}

void mem_init_print_info(struct pmm *m)
{
	unsigned long physpages = 0, totalram = 0, nr_free = 0;
	struct zone *z;
	int nid;

	for_each_online_node(m, nid)
		physpages += m->node_data[nid]->node_present_pages;
	for_each_zone(m, nid, z) {
		totalram += (unsigned long)zone_managed_pages(z);
		nr_free += (unsigned long)zone_page_state(z, NR_FREE_PAGES);
	}
	/* The kernel counts deferred memory as RAM already, though not yet free. */
	for_each_online_node(m, nid)
		if (m->node_data[nid]->first_deferred_pfn != ULONG_MAX)
			totalram += free_memory_ranges(m, nid, true);
	pr_info(m,
		"Memory: %luK/%luK available (0K kernel code, 0K rwdata, 0K rodata, 0K init, 0K bss, %luK reserved, 0K cma-reserved)\n",
		K(nr_free), K(physpages), K(physpages - totalram));
}
