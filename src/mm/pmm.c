// SPDX-License-Identifier: MIT
/*
 * The machine: pmm_create() boots it in the kernel's order, pmm_destroy()
 * returns everything to the host, and the public frame and allocation entry
 * points live here, thin over page_alloc.c.
 *
 * Boot order (DESIGN.md): memblock -> the machine's memory from its backend
 * (physmem.c) -> sparse sections and vmemmap -> zones, memmap and
 * pageblocks -> zonelists -> free to buddy -> watermarks -> per-CPU lists.
 */
#include <string.h>

#include "mm/debug.h"
#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "mm/pcp_fast.h"
#include "platform/platform.h"

static void free_node_data(struct pmm *m)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		pg_data_t *pgdat = m->node_data[nid];
		if (!pgdat)
			continue;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (pgdat->node_zones[z].machine)
				pmm_lock_destroy(&pgdat->node_zones[z].lock);
		pmm_free(m, pgdat, sizeof(*pgdat));
		m->node_data[nid] = NULL;
	}
}

void pmm_destroy(struct pmm *m)
{
	const struct pmm_platform *plat;

	if (!m)
		return;
	plat = m->plat;
	pmm_set_thread_cpu(m, -1); /* the caller's pin; other threads' name a dead id */
	pmm_page_reporting_unregister(m);
	pmm_fail_page_alloc_set(m, NULL);
	pmm_ext_unregister(m);
	pcp_teardown(m);
	hugetlb_teardown(m);
	free_node_data(m);
	sparse_teardown(m);
	release_memory_debug(m);
	physmem_release(m);
	pmm_lock_destroy(&m->sysctl_lock);
	pmm_lock_destroy(&m->hotplug_lock);
	pmm_lock_destroy(&m->fast_lock);
	pmm_lock_destroy(&m->bad_page.lock);
	pmm_rcu_destroy(&m->rcu);
	plat->free(plat->ctx, m, sizeof(*m));
}

static int check_config(struct pmm *m)
{
	const struct pmm_config *c = &m->cfg;

	if (c->dma_limit > c->dma32_limit) {
		pr_err(m, "pmm: dma=0x%llx above dma32=0x%llx\n", (unsigned long long)c->dma_limit,
		       (unsigned long long)c->dma32_limit);
		return -PMM_EINVAL;
	}
	if ((c->dma_limit | c->dma32_limit) % PAGE_SIZE) {
		pr_err(m, "pmm: zone boundaries must be page-aligned\n");
		return -PMM_EINVAL;
	}
	if (c->nr_cpus > PMM_MAX_CPUS) {
		pr_err(m, "pmm: cpus=%u exceeds %d\n", c->nr_cpus, PMM_MAX_CPUS);
		return -PMM_EINVAL;
	}
	for (unsigned cpu = 0; cpu < PMM_MAX_CPUS; cpu++) {
		int nid = c->cpu_node[cpu] - 1;

		if (nid < 0)
			continue;
		if (cpu >= m->nr_cpus) {
			pr_err(m, "pmm: node_cpus=%d: CPU %u, but the machine has %u CPUs (cpus=)\n",
			       nid, cpu, m->nr_cpus);
			return -PMM_EINVAL;
		}
	}
	if (c->maxmem > PMM_MAXMEM_LIMIT) {
		pr_err(m, "pmm: maxmem=%#llx is beyond the %llu TiB physical address limit\n",
		       (unsigned long long)c->maxmem, PMM_MAXMEM_LIMIT >> 40);
		return -PMM_EINVAL;
	}
	/* Boot memory too: node= ranges (or mem=) end within the same limit. */
	for (unsigned i = 0; i < c->nr_ranges; i++)
		if (c->ranges[i].end > PMM_MAXMEM_LIMIT) {
			pr_err(m, "pmm: node=%d:%#llx-%#llx ends beyond the %llu TiB physical address limit\n",
			       c->ranges[i].nid, (unsigned long long)c->ranges[i].start,
			       (unsigned long long)c->ranges[i].end - 1, PMM_MAXMEM_LIMIT >> 40);
			return -PMM_EINVAL;
		}
	if (!c->nr_ranges && c->mem_bytes > PMM_MAXMEM_LIMIT) {
		pr_err(m, "pmm: mem=%#llx is beyond the %llu TiB physical address limit\n",
		       (unsigned long long)c->mem_bytes, PMM_MAXMEM_LIMIT >> 40);
		return -PMM_EINVAL;
	}
	if (c->debug_guardpage_minorder > MAX_ORDER / 2) {
		pr_err(m, "Bad debug_guardpage_minorder value\n");
		return -PMM_EINVAL;
	}
	if (c->debug_guardpage_minorder)
		pr_info(m, "Setting debug_guardpage_minorder to %u\n", c->debug_guardpage_minorder);
	if (c->memmap == PMM_MEMMAP_ALTMAP && c->backend.kind != PMM_BACKEND_MEMFD &&
	    c->backend.kind != PMM_BACKEND_HUGETLBFS && c->backend.kind != PMM_BACKEND_FILE &&
	    c->backend.kind != PMM_BACKEND_FD) {
		pr_err(m, "pmm: memmap=altmap needs a file-backed memory backend (memfd, hugetlbfs, file:PATH or fd:N), not backend=%s\n",
		       physmem_backend_name(m));
		return -PMM_EINVAL;
	}
	if ((unsigned)c->thp > PMM_THP_MADVISE) {
		pr_err(m, "pmm: unknown transparent_hugepage mode %d\n", (int)c->thp);
		return -PMM_EINVAL;
	}
	if ((unsigned)c->memmap > PMM_MEMMAP_ALTMAP) {
		pr_err(m, "pmm: unknown memmap mode %d\n", (int)c->memmap);
		return -PMM_EINVAL;
	}
	for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++) {
		const struct pmm_platform *p = m->plat;
		int host = c->host_node[nid], r;

		if (!(c->host_node_mask & (1ull << nid)))
			continue;
		r = p->numa_node_valid ? p->numa_node_valid(p->ctx, host) : -PMM_EOPNOTSUPP;
		if (r == -PMM_EOPNOTSUPP || (!r && (!p->numa_place || !p->numa_where))) {
			pr_err(m, "pmm: host_node=%d:%d: platform %s has no NUMA support%s\n", nid, host,
			       p->name, p->numa_node_valid ? " on this host" : " (built without libnuma?)");
			return -PMM_EOPNOTSUPP;
		}
		if (r) {
			pr_err(m, "pmm: host_node=%d:%d: host node %d does not exist\n", nid, host, host);
			return -PMM_EINVAL;
		}
	}
	if (c->page_owner && !m->setup_ext) {
		pr_err(m, "pmm: page_owner=on but this build has no page_owner\n");
		return -PMM_EOPNOTSUPP;
	}
	return 0;
}

/*
 * The frame at @pfn, no longer reserved and with private 0, if
 * free_reserved_page() may give it back: online (an offline section's
 * frames are reserved too, but belong to no zone), reserved, held once,
 * not a self-hosted memmap (in use as long as its section exists).
 * NULL, and nothing changed, otherwise.
 */
static struct page *take_reserved_frame(struct pmm *m, unsigned long pfn)
{
	struct page *page = pfn_to_online_page(m, pfn);

	/*
	 * Holes (and the rest of a section past the end of memory) have
	 * reserved struct pages as well, but no memory behind them: a hole's
	 * frames are not even mapped.  Only memblock memory may be freed.
	 */
	if (!page || !PageReserved(page) || page_ref_count(page) != 1 ||
	    PageVmemmapSelfHosted(page) || !memblock_is_memory(m, PFN_PHYS(pfn)))
		return NULL;
	ClearPageReserved(page);
	page->private = 0;
	return page;
}

/*
 * late_free=: what a kernel frees once it is up (free_initmem(), the
 * initrd, the gaps of its image), after the watermarks were set; managed
 * pages grow and nothing is recomputed, as in the kernel.  With @early,
 * only the SMP alternatives instead, which x86 frees in start_kernel(),
 * before the watermarks.  The frames go straight to the buddy lists, as
 * boot's hand-over does, not through this thread's per-CPU lists: a boot
 * must not leave restartable per-CPU locks in use behind it (every
 * act-as-CPU lock would pay a fence after that).
 */
static void late_free(struct pmm *m, bool early)
{
	for (unsigned i = 0; i < m->cfg.nr_late_free; i++) {
		const struct pmm_range *r = &m->cfg.late_free[i];
		unsigned what = m->cfg.late_free_what[i];
		unsigned long end = MIN(PFN_DOWN(r->end), m->max_pfn), run = 0, n = 0;

		if ((what == PMM_LATE_FREE_SMP_ALTERNATIVES) != early)
			continue;
		for (unsigned long pfn = PFN_UP(r->start); pfn <= end; pfn++) {
			struct page *page = pfn < end ? take_reserved_frame(m, pfn) : NULL;

			if (page) {
				set_page_count(page, 0); /* free, not yet listed: boot's hand-over state */
				run++;
				continue;
			}
			if (run)
				free_pages_memory(m, pfn - run, pfn);
			n += run;
			run = 0;
		}
		if (late_free_name(what, true))
			pr_info(m, "Freeing %s memory: %luK\n", late_free_name(what, true),
				n << (PAGE_SHIFT - 10));
		else
			pr_info(m, "Freeing late_free memory [mem %#018llx-%#018llx]: %luK\n",
				(unsigned long long)r->start, (unsigned long long)r->end - 1,
				n << (PAGE_SHIFT - 10));
	}
}

/*
 * hotplug=: what the kernel's ACPI memory driver does with a DIMM present at
 * boot (acpi_init(), a subsys initcall after mm's): add it, and online it
 * as memhp_default_state says.
 */
static int hotplug_boot_memory(struct pmm *m)
{
	static_assert((int)PMM_HOTPLUG_ONLINE == (int)PMM_ONLINE &&
			      (int)PMM_HOTPLUG_ONLINE_KERNEL == (int)PMM_ONLINE_KERNEL &&
			      (int)PMM_HOTPLUG_ONLINE_MOVABLE == (int)PMM_ONLINE_MOVABLE,
		      "hotplug= states are online types");
	for (unsigned i = 0; i < m->cfg.nr_hotplug; i++) {
		const struct pmm_range *r = &m->cfg.hotplug[i];
		int err = r->end > r->start ? pmm_add_memory(m, r->nid, r->start, r->end - r->start)
					    : -PMM_EINVAL;

		/* add_memory() onlines the new memory blocks one by one (online_memory_block()). */
		for (uint64_t b = r->start;
		     !err && m->cfg.hotplug_state[i] != PMM_HOTPLUG_OFFLINE && b < r->end;
		     b += PMM_MEMORY_BLOCK_SIZE)
			err = pmm_online_pages(m, PFN_DOWN(b), PMM_PAGES_PER_MEMORY_BLOCK,
					       (enum pmm_online_type)m->cfg.hotplug_state[i]);
		if (err) {
			pr_err(m, "pmm: hotplug=%d:%#llx-%#llx: %s (whole 128 MiB blocks, not memory yet)\n",
			       r->nid, (unsigned long long)r->start, (unsigned long long)r->end - 1,
			       pmm_strerror(err));
			return err;
		}
	}
	return 0;
}

/* maxmem= grown to cover what hotplug= adds beyond boot memory, as SRAT's hotplug ranges do. */
static void maxmem_for_hotplug(struct pmm_config *c)
{
	uint64_t end = c->nr_ranges ? 0 : c->mem_bytes;

	for (unsigned i = 0; i < c->nr_ranges; i++)
		end = MAX(end, c->ranges[i].end);
	end = MAX(end, c->maxmem);
	for (unsigned i = 0; i < c->nr_hotplug; i++)
		if (c->hotplug[i].end > end)
			c->maxmem = end = c->hotplug[i].end;
}

int pmm_create(const struct pmm_config *cfg, struct pmm **out)
{
	struct pcp_boot_pin boot_pin;
	const struct pmm_platform *plat;
	struct pmm *m;
	int err;

	if (!out)
		return -PMM_EINVAL;
	*out = NULL;
	if (!cfg)
		return -PMM_EINVAL;
#ifdef PMM_FREESTANDING
	/* No operating system to default to: the embedder's table is the platform. */
	if (!(plat = cfg->platform))
		return -PMM_EINVAL;
#else
	plat = cfg->platform ? cfg->platform : pmm_platform_posix();
#endif
	m = plat->alloc(plat->ctx, sizeof(*m));
	if (!m)
		return -PMM_ENOMEM;
	m->plat = plat;
#ifndef PMM_FREESTANDING
	m->clock_fast = plat->clock_ns == pmm_platform_posix()->clock_ns;
	if (m->clock_fast)
		pmm_clock_fast_init();
#endif
	m->cfg = *cfg;
	m->cfg.platform = plat;
	maxmem_for_hotplug(&m->cfg);
	pmm_lock_init(&m->sysctl_lock);
	pmm_lock_init(&m->hotplug_lock);
	pmm_lock_init(&m->fast_lock);
	m->reporting_order = MAX_ORDER; /* no reporter: no free asks for a pass */
	{
		static uint64_t next_id;

		m->fast.id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	}
	pcp_boot_cpu_enter(m, &boot_pin);
	pmm_lock_init(&m->bad_page.lock);
	m->warn_alloc_rs = (struct ratelimit){ .interval = 10ull * 1000000000ull, .burst = 1 };
	m->nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : plat->nr_cpus(plat->ctx);
	if (m->nr_cpus > PMM_MAX_CPUS)
		m->nr_cpus = PMM_MAX_CPUS;
	if ((err = pmm_rcu_init(&m->rcu, plat, m->nr_cpus)))
		goto fail;
	for (unsigned c = 0; c < PMM_MAX_CPUS; c++)
		if (cfg->cpu_node[c])
			m->named_nodes |= 1ul << (cfg->cpu_node[c] - 1);
	if (!platform_cpu_is_host(plat))
		m->cpu_mode = PMM_CPU_PLATFORM;
	else
		m->cpu_mode = cfg->cpu_getcpu ? PMM_CPU_GETCPU : PMM_CPU_RSEQ;
	/* Restartable per-CPU locks need rseq here and the membarrier fence. */
	m->fast.rseq = m->cpu_mode == PMM_CPU_RSEQ && pmm_cpu_fence_register() ? PCP_RSEQ_READY
									       : PCP_RSEQ_OFF;
	m->min_free_kbytes = cfg->min_free_kbytes;
	m->user_min_free_kbytes = cfg->min_free_kbytes;
	m->watermark_scale_factor = cfg->watermark_scale_factor;
	m->watermark_boost_factor = cfg->watermark_boost_factor;
	memcpy(m->lowmem_reserve_ratio, cfg->lowmem_reserve_ratio, sizeof(m->lowmem_reserve_ratio));
	m->percpu_pagelist_high_fraction = cfg->percpu_pagelist_high_fraction;
	/* Poisoning takes precedence over init_on_alloc/init_on_free. */
	m->init_on_alloc = cfg->init_on_alloc && !cfg->page_poison;
	m->init_on_free = cfg->init_on_free && !cfg->page_poison;
	m->check_pages = cfg->page_poison || cfg->init_on_alloc || cfg->init_on_free ||
			 cfg->debug_pagealloc;
	m->guard_minorder = cfg->debug_pagealloc ? cfg->debug_guardpage_minorder : 0;
	if ((err = pmm_ext_register(m)))
		goto fail;
	if ((err = check_config(m)))
		goto fail;
	if ((err = memblock_setup(m)))
		goto fail;
	if ((err = physmem_init(m)))
		goto fail;
	if ((err = sparse_init(m)))
		goto fail;
	/* parse_args(): hugepages= takes 1 GiB pages from memblock. */
	if ((err = hugetlb_setup(m)))
		goto fail;
	if ((err = hugetlb_reserve_gigantic(m)))
		goto fail;
	if ((err = free_area_init(m)))
		goto fail;
	vmemmap_verify_boot(m);
	build_all_zonelists(m);
	if (cfg->page_poison && (cfg->init_on_alloc || cfg->init_on_free))
		pr_info(m, "mem auto-init: CONFIG_PAGE_POISONING is on, will take precedence over init_on_alloc and init_on_free\n");
	/* report_meminit(): pmm has no stacks to initialise. */
	pr_info(m, "mem auto-init: stack:off, heap alloc:%s, heap free:%s\n",
		m->init_on_alloc ? "on" : "off", m->init_on_free ? "on" : "off");
	if (m->init_on_free)
		pr_info(m, "mem auto-init: clearing system memory may take some time...\n");
	/* stack_depot_early_init() */
	if (m->early_ext && (err = m->early_ext(m)))
		goto fail;
	memblock_free_all(m);
	mem_init_print_info(m);
	late_free(m, true);
	/* page_alloc_init_late(): the rest of memory, then the initcalls' watermarks. */
	deferred_init_memmap(m);
	init_per_zone_wmark_min(m);
	/*
	 * hugetlb_init() and hugepage_init() are both subsys initcalls, in
	 * mm/Makefile's order: the 1 GiB pages join managed pages between the
	 * watermarks of init_per_zone_wmark_min() and khugepaged's.  Without
	 * THP nothing recomputes the per-CPU lists' high and batch after
	 * init_per_zone_wmark_min(), so they do not count those pages.
	 */
	if (m->cfg.thp != PMM_THP_NONE)
		hugetlb_gather(m);
	start_stop_khugepaged(m);
	shuffle_free_memory(m);
	if ((err = pcp_setup(m)))
		goto fail;
	if (m->cfg.thp == PMM_THP_NONE)
		hugetlb_gather(m);
	if ((err = pcp_fast_setup(m)))
		goto fail;
	if (m->setup_ext && (err = m->setup_ext(m)))
		goto fail;
	hugetlb_alloc_pools(m);
	if ((err = hotplug_boot_memory(m)))
		goto fail;
	late_free(m, false);
	pcp_boot_cpu_leave(m, &boot_pin);
	pcp_fast_update(m);
	*out = m;
	return 0;
fail:
	pcp_boot_cpu_leave(m, &boot_pin);
	pmm_destroy(m);
	return err;
}

/* ------------------------------------------------------------ frames */

unsigned long pmm_page_to_pfn(const struct pmm *m, const struct pmm_page *page)
{
	return page_to_pfn(m, (const struct page *)page);
}

struct pmm_page *pmm_pfn_to_page(const struct pmm *m, unsigned long pfn)
{
	if (!pfn_valid(m, pfn))
		return NULL;
	return (struct pmm_page *)pfn_to_page(m, pfn);
}

void *pmm_page_address(const struct pmm *m, const struct pmm_page *page)
{
	return page_address(m, (const struct page *)page);
}

struct pmm_page *pmm_virt_to_page(const struct pmm *m, const void *addr)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)m->mem;

	if (a < base || a >= base + PFN_PHYS(__atomic_load_n(&m->max_pfn, __ATOMIC_RELAXED)))
		return NULL;
	return pmm_pfn_to_page(m, (a - base) >> PAGE_SHIFT);
}

unsigned long pmm_max_pfn(const struct pmm *m)
{
	return __atomic_load_n(&m->max_pfn, __ATOMIC_RELAXED);
}

bool pmm_pfn_valid(const struct pmm *m, unsigned long pfn)
{
	return pfn_valid(m, pfn);
}

int pmm_page_count(const struct pmm_page *page)
{
	return page_ref_count((const struct page *)page);
}

int pmm_page_zonenum(const struct pmm_page *page)
{
	return page_zonenum((const struct page *)page);
}

int pmm_page_nid(const struct pmm_page *page)
{
	return page_to_nid((const struct page *)page);
}

unsigned pmm_nr_cpus(const struct pmm *m)
{
	return m->nr_cpus;
}

/* ------------------------------------------------------------ allocation */

/* The general tier of the fast path (any thread, any CPU source), for alloc_pages_tiers(). */
static inline __attribute__((always_inline)) struct page *
alloc_pages_pcp_fast(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	/* Two copies, as the leaf: order 0 is a constant in the first. */
	return likely(order == 0) ? alloc_pages_fast(m, gfp, 0) : alloc_pages_fast(m, gfp, order);
}

/* The full path with page_owner's caller stacks: its hooks walk from @frame. */
static __attribute__((noinline)) struct page *alloc_pages_entry_owner(struct pmm *m, pmm_gfp_t gfp,
								      unsigned order,
								      const void *frame)
{
	struct page_owner_entry prev = page_owner_entry_enter(m, frame);
	struct page *page = alloc_pages_nid(m, gfp, order, PMM_NUMA_NO_NODE);

	page_owner_entry_leave(prev);
	return page;
}

/*
 * Every allocation no leaf served: an order-0 one from pmm_alloc_pages(),
 * a higher order's from alloc_pages_tiers(); the general tier (which zeroes
 * and records caller stacks, work the leaves leave to it) and the full
 * path.  @frame is pmm_alloc_pages()'s, where page_owner's caller stacks
 * start.
 */
static __attribute__((noinline)) struct page *alloc_pages_rest(struct pmm *m, pmm_gfp_t gfp,
								unsigned order, const void *frame)
{
	pmm_gfp_t extra = __atomic_load_n(&m->fast.extra, __ATOMIC_RELAXED);
	struct page *page;

	if (__atomic_load_n(&m->fast.alloc, __ATOMIC_RELAXED)) {
		page = alloc_pages_pcp_fast(m, gfp, order);
		if (likely(page)) {
			if (unlikely(extra & FAST_EXTRA_OWNER))
				page_owner_set_at(m, page, order, gfp, frame);
			return page;
		}
	}
	if (unlikely(extra & FAST_EXTRA_OWNER))
		return alloc_pages_entry_owner(m, gfp, order, frame);
	return alloc_pages_nid(m, gfp, order, PMM_NUMA_NO_NODE);
}

/*
 * An allocation of a higher order: its leaf (the pageblock order's with its
 * order a constant), then alloc_pages_rest().  Out of line, so that
 * pmm_alloc_pages() keeps no register across a call on its hot path, and
 * light, so that a higher order's leaf hit pays no more than its own
 * registers.  Its parameters are alloc_pages_rest()'s, so that
 * pmm_alloc_pages() calls either through one pointer.
 */
static __attribute__((noinline)) struct page *alloc_pages_tiers(struct pmm *m, pmm_gfp_t gfp,
								 unsigned order, const void *frame)
{
	struct page *page = order == pageblock_order ? alloc_pages_leaf(m, gfp, pageblock_order) :
						       alloc_pages_leaf(m, gfp, order);

	if (likely(page))
		return page;
	return alloc_pages_rest(m, gfp, order, frame);
}

typedef struct page *alloc_tier_fn(struct pmm *m, pmm_gfp_t gfp, unsigned order,
				   const void *frame);

struct pmm_page *pmm_alloc_pages(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	alloc_tier_fn *next = alloc_pages_tiers;

	/*
	 * The order-0 leaf inline, with order a constant; everything else out
	 * of line: a higher order to its leaf in alloc_pages_tiers(), an
	 * order-0 miss to alloc_pages_rest(), through one call so that the
	 * order-0 hit keeps no frame.
	 */
	if (likely(order == 0)) {
		struct page *page = alloc_pages_leaf(m, gfp, 0);

		if (likely(page))
			return (struct pmm_page *)page;
		next = alloc_pages_rest;
	}
	return (struct pmm_page *)next(m, gfp, order, __builtin_frame_address(0));
}

struct pmm_page *pmm_alloc_pages_node(struct pmm *m, int nid, pmm_gfp_t gfp, unsigned order)
{
	/*
	 * The calling CPU's node, or the one node there is, prefers the same
	 * zonelist as pmm_alloc_pages(): take its fast paths too.
	 */
	if (nid == PMM_NUMA_NO_NODE ||
	    ((unsigned)nid < MAX_NUMNODES &&
	     __atomic_load_n(&m->node_online_map, __ATOMIC_RELAXED) == 1ul << nid))
		return pmm_alloc_pages(m, gfp, order);
	return (struct pmm_page *)alloc_pages_nid(m, gfp, order, nid);
}

/* The general tier of the fast free, for free_pages_tiers(). */
static inline __attribute__((always_inline)) bool
free_pages_pcp_fast(struct pmm *m, struct page *page, unsigned order, const void *frame)
{
	return likely(order == 0) ? free_page_fast(m, page, 0, frame)
				  : free_page_fast(m, page, order, frame);
}

/* Finish what free_page_leaf() started (@r is not FREE_LEAF_NO or _DONE). */
static __attribute__((noinline)) void free_leaf_finish(struct pmm *m, struct page *page,
						       unsigned order, enum free_leaf r,
						       struct per_cpu_pages *pcp)
{
	int mt = (int)page->index;

	switch (r) {
	case FREE_LEAF_BAD:
		bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_FREE));
		return;
	case FREE_LEAF_LOCKED:
		free_claimed_page(m, page, order, page_to_pfn(m, page), mt);
		return;
	case FREE_LEAF_HIGH:
		pcp_free_high(pcp->zone, pcp, order_to_pindex(mt, order), order);
		pcp_unlock(pcp);
		return;
	default:
		return;
	}
}

/* The full path with page_owner's caller stacks: its hooks walk from @frame. */
static __attribute__((noinline)) void free_pages_entry_owner(struct pmm *m, struct page *page,
							     unsigned order, const void *frame)
{
	struct page_owner_entry prev = page_owner_entry_enter(m, frame);

	free_pages_entry(m, page, order);
	page_owner_entry_leave(prev);
}

/*
 * Every free no leaf finished: an order-0 leaf's result (from
 * pmm_free_pages()) or a higher order's after its leaf (from
 * free_pages_tiers()); what the leaf left (@r, @pcp), the general tier and
 * the full path.  @frame is pmm_free_pages()'s.
 */
static __attribute__((noinline)) void free_pages_rest(struct pmm *m, struct page *page,
						      unsigned order, enum free_leaf r,
						      struct per_cpu_pages *pcp, const void *frame)
{
	if (r != FREE_LEAF_NO)
		free_leaf_finish(m, page, order, r, pcp);
	else if (!pcp_allowed_order(order) || !__atomic_load_n(&m->fast.free, __ATOMIC_RELAXED) ||
		 !free_pages_pcp_fast(m, page, order, frame)) {
		if (unlikely(__atomic_load_n(&m->fast.extra, __ATOMIC_RELAXED) & FAST_EXTRA_OWNER))
			free_pages_entry_owner(m, page, order, frame);
		else
			free_pages_entry(m, page, order);
	}
	/*
	 * Every free but a leaf's plain hit (which leaves the zone alone and
	 * so asks for no pass) may run a pass that is due: the leaf's drain
	 * past high, which is what merges blocks of the reported orders.
	 */
	if (unlikely(__atomic_load_n(&m->reporting, __ATOMIC_RELAXED) != NULL))
		page_reporting_maybe_run(m);
}

/*
 * A free of a higher order: its leaf (the pageblock order's with its order
 * a constant), then free_pages_rest().  Out of line and light, as
 * alloc_pages_tiers(); @r is FREE_LEAF_NO and @pcp NULL, the parameters
 * being free_pages_rest()'s.
 */
static __attribute__((noinline)) void free_pages_tiers(struct pmm *m, struct page *page,
						       unsigned order, enum free_leaf r,
						       struct per_cpu_pages *pcp, const void *frame)
{
	if (pcp_allowed_order(order)) {
		r = order == pageblock_order ? free_page_leaf(m, page, pageblock_order, &pcp) :
					       free_page_leaf(m, page, order, &pcp);
		if (likely(r == FREE_LEAF_DONE))
			return;
	}
	free_pages_rest(m, page, order, r, pcp, frame);
}

typedef void free_tier_fn(struct pmm *m, struct page *page, unsigned order, enum free_leaf r,
			  struct per_cpu_pages *pcp, const void *frame);

void pmm_free_pages(struct pmm *m, struct pmm_page *ppage, unsigned order)
{
	struct page *page = (struct page *)ppage;
	free_tier_fn *next = free_pages_tiers;
	struct per_cpu_pages *pcp = NULL;
	enum free_leaf r = FREE_LEAF_NO;

	/* As pmm_alloc_pages(): the order-0 leaf inline, the rest through one call. */
	if (likely(order == 0)) {
		r = free_page_leaf(m, page, 0, &pcp);
		if (likely(r == FREE_LEAF_DONE))
			return;
		next = free_pages_rest;
	}
	next(m, page, order, r, pcp, __builtin_frame_address(0));
}

void *pmm_get_free_pages(struct pmm *m, pmm_gfp_t gfp, unsigned order)
{
	struct pmm_page *page = pmm_alloc_pages(m, gfp, order); /* its fast paths too */

	return page ? page_address(m, (struct page *)page) : NULL;
}

void pmm_free_pages_addr(struct pmm *m, void *addr, unsigned order)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)m->mem;

	if (!addr)
		return;
	if (a < base || a >= base + PFN_PHYS(__atomic_load_n(&m->max_pfn, __ATOMIC_RELAXED)) ||
	    (a & (PAGE_SIZE - 1))) {
		bad_page_pointer(m, addr, "freeing an address that is not a frame of this machine");
		return;
	}
	pmm_free_pages(m, (struct pmm_page *)pfn_to_page(m, (a - base) >> PAGE_SHIFT), order);
}

int pmm_get_page(struct pmm *m, struct pmm_page *ppage)
{
	struct page *page = (struct page *)ppage;
	int old;

	if (!page_is_ours(m, page)) {
		bad_page_pointer(m, page, "get_page on a pointer that is not a page of this machine");
		return -PMM_EINVAL;
	}
	page = compound_head(page);
	old = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
	do {
		/* Free pages (buddy or per-CPU) have refcount 0. */
		if (old <= 0) {
			bad_page_refuse(m, page,
					plain_block_of(m, page)
						? "get_page on a page inside an allocated block, not its "
						  "first page (refcount 0)"
						: "get_page on a free page (refcount 0)");
			return -PMM_EINVAL;
		}
		if (old == INT32_MAX) {
			bad_page_refuse(m, page, "get_page would overflow the refcount");
			return -PMM_EOVERFLOW;
		}
	} while (!__atomic_compare_exchange_n(&page->_refcount, &old, old + 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 0;
}

void pmm_put_page(struct pmm *m, struct pmm_page *ppage)
{
	struct page *page = (struct page *)ppage;

	if (!page_is_ours(m, page)) {
		bad_page_pointer(m, page, "put_page on a pointer that is not a page of this machine");
		return;
	}
	page = compound_head(page);
	pmm_free_pages(m, (struct pmm_page *)page, compound_order(page));
}

void pmm_drain_all(struct pmm *m)
{
	pcp_drain_all(m);
}

void pmm_set_bad_page_handler(struct pmm *m,
			      void (*fn)(void *ctx, unsigned long pfn, const char *reason), void *ctx)
{
	m->on_bad_page = fn;
	m->on_bad_page_ctx = ctx;
}

unsigned long pmm_bad_page_count(const struct pmm *m)
{
	return __atomic_load_n(&m->bad_page.total, __ATOMIC_RELAXED);
}

unsigned long pmm_nr_free_pages(const struct pmm *m)
{
	unsigned long n = 0;
	int nid;

	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += (unsigned long)zone_page_state(&m->node_data[nid]->node_zones[z], NR_FREE_PAGES);
	return n;
}

unsigned long pmm_totalram_pages(const struct pmm *m)
{
	unsigned long n = 0;
	int nid;

	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += (unsigned long)zone_managed_pages(&m->node_data[nid]->node_zones[z]);
	return n;
}

int pmm_split_page(struct pmm *m, struct pmm_page *page, unsigned order)
{
	return split_page_checked(m, (struct page *)page, order);
}

static unsigned get_order(size_t size)
{
	unsigned order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

void *pmm_alloc_pages_exact(struct pmm *m, size_t size, pmm_gfp_t gfp)
{
	unsigned order;
	struct page *page;
	unsigned long used, nr;

	if (!size)
		return NULL;
	order = get_order(size);
	if (order >= MAX_ORDER)
		return NULL;
	page = alloc_pages_nid(m, gfp & ~PMM___GFP_COMP, order, PMM_NUMA_NO_NODE);
	if (!page)
		return NULL;
	split_page_checked(m, page, order);
	nr = PFN_UP(size);
	for (used = nr; used < (1ul << order); used++)
		free_pages_entry(m, page + used, 0);
	return page_address(m, page);
}

void pmm_free_pages_exact(struct pmm *m, void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)m->mem;
	uintptr_t end = base + PFN_PHYS(__atomic_load_n(&m->max_pfn, __ATOMIC_RELAXED));

	if (!addr)
		return;
	/* A range that leaves the machine (or wraps) frees nothing: one report. */
	if (a < base || a > end || size > end - a) {
		bad_page_pointer(m, addr, "freeing a range that is not frames of this machine");
		return;
	}
	for (size_t off = 0; off < size; off += PAGE_SIZE)
		pmm_free_pages_addr(m, (void *)(a + off), 0);
}

unsigned long pmm_alloc_pages_bulk(struct pmm *m, pmm_gfp_t gfp, unsigned long nr,
				   struct pmm_page **array)
{
	bool single;
	unsigned long populated;

	if (!array)
		return 0;
	populated = alloc_pages_bulk(m, gfp, PMM_NUMA_NO_NODE, nr, (struct page **)array, &single);

	if (unlikely(single)) {
		/* The kernel's fallback: one page from the single page allocator, its fast paths too. */
		for (unsigned long i = 0; i < nr; i++)
			if (!array[i]) {
				array[i] = (struct pmm_page *)alloc_pages_rest(
					m, gfp, 0, __builtin_frame_address(0));
				populated += array[i] != NULL;
				break;
			}
	}
	return populated;
}

/*
 * The first step of a bulk free for one page: checked, its reference
 * dropped and, if that was the last, prepared for a per-CPU list, by the
 * single fast free's claim when @fast, else (or when the claim declines) by
 * the full path's.  True when the page is ready for the list.  A report or
 * the full path runs with @lf's lists released (@lf may be NULL).
 */
static inline __attribute__((always_inline)) bool
free_bulk_prepare(struct pmm *m, struct page *page, bool fast, pmm_gfp_t extra, const void *frame,
		  struct list_free *lf)
{
	unsigned long pfn;
	int mt;

	if (likely(fast)) {
		enum free_claim c = free_fast_claim(&m->fast, page, 0, &pfn, &mt);

		if (likely(c == FREE_CLAIM_OK)) {
			if (unlikely(extra & FAST_EXTRA_OWNER))
				page_owner_reset_at(m, page, 0, frame);
			return true;
		}
		if (lf && lf->pcp)
			list_free_unlock(lf);
		if (c == FREE_CLAIM_BAD) {
			bad_page(m, page, page_bad_reason(page, PAGE_FLAGS_CHECK_AT_FREE));
			return false;
		}
	}
	return free_pages_entry_list(m, page);
}

/*
 * pmm_free_pages_bulk() with the fast paths on and nothing to record: each
 * page claimed as a single fast free claims it and put on the list at
 * once.  Nothing can watch the order of the two steps (no tracepoint, no
 * page_owner), so they need not run as two passes.
 */
static void free_pages_bulk_fast(struct pmm *m, unsigned long nr, struct pmm_page *const *pages)
{
	struct list_free lf = LIST_FREE_INIT;

	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = (struct page *)pages[i];

		if (page && free_bulk_prepare(m, page, true, 0, NULL, &lf))
			list_free_page(m, &lf, page);
	}
	if (lf.pcp)
		list_free_unlock(&lf);
}

void pmm_free_pages_bulk(struct pmm *m, unsigned long nr, struct pmm_page *const *pages)
{
	const struct pmm_fast *f = &m->fast;
	pmm_gfp_t extra = __atomic_load_n(&f->extra, __ATOMIC_RELAXED);
	bool fast = __atomic_load_n(&f->free, __ATOMIC_RELAXED);
	const void *frame = __builtin_frame_address(0);
	struct page_owner_entry prev = { 0 };
	struct list_head *first = NULL, **tail = &first;

	if (unlikely(!pages))
		return;
	if (likely(fast && !(extra & FAST_EXTRA_OWNER))) {
		free_pages_bulk_fast(m, nr, pages);
		goto out;
	}
	if (unlikely(extra & FAST_EXTRA_OWNER))
		prev = page_owner_entry_enter(m, frame);
	/*
	 * First every page is checked and prepared (free_unref_page_list()'s
	 * first loop), and those bound for a per-CPU list are chained, in
	 * order, through lru.next.
	 */
	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = (struct page *)pages[i];

		if (page && free_bulk_prepare(m, page, fast, extra, frame, NULL)) {
			*tail = &page->lru;
			tail = &page->lru.next;
		}
	}
	*tail = NULL;
	/* Then onto this CPU's lists. */
	free_unref_page_list(m, first);
	if (unlikely(extra & FAST_EXTRA_OWNER))
		page_owner_entry_leave(prev);
out:
	if (unlikely(__atomic_load_n(&m->reporting, __ATOMIC_RELAXED) != NULL))
		page_reporting_maybe_run(m);
}

int pmm_alloc_contig_range(struct pmm *m, unsigned long start, unsigned long end, pmm_gfp_t gfp)
{
	return alloc_contig_range(m, start, end, MIGRATE_MOVABLE, gfp);
}

struct pmm_page *pmm_alloc_contig_pages(struct pmm *m, unsigned long nr, pmm_gfp_t gfp, int nid)
{
	return (struct pmm_page *)alloc_contig_pages(m, nr, gfp, nid);
}

void pmm_free_contig_range(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	free_contig_range(m, pfn, nr);
}

unsigned long pmm_free_reserved_area(struct pmm *m, unsigned long start, unsigned long end)
{
	unsigned long freed = 0;

	/*
	 * The hotplug lock keeps memblock and the sections still while they
	 * are read, and makes two calls over the same frames take each once.
	 */
	pmm_lock(&m->hotplug_lock);
	for (unsigned long pfn = start; pfn < end && pfn < pmm_max_pfn(m); pfn++) {
		struct page *page = take_reserved_frame(m, pfn);

		if (!page)
			continue;
		/* free_reserved_page(): an ordinary order-0 page, then managed grows. */
		__atomic_fetch_add(&page_zone(m, page)->managed_pages, 1, __ATOMIC_RELAXED);
		free_pages_entry(m, page, 0);
		freed++;
	}
	pmm_unlock(&m->hotplug_lock);
	return freed;
}
