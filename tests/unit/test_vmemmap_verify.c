// SPDX-License-Identifier: MIT
/*
 * NUMA placement of pmm's own memmap and memory (config host_node=,
 * src/mm/sparse_vmemmap.c vmemmap_place()/vmemmap_verify(), physmem.c,
 * the platform's numa_* seam).
 *
 * This host has one NUMA node, so a fake platform (POSIX underneath, its
 * numa_* operations replaced) plays a two-node host: it records where pmm
 * asks each range to go and answers where pages live, honouring the
 * placement except for pages the test chooses.  Checked: each node's
 * memmap is placed on its host node, a self-hosted one (memmap=altmap)
 * too; vmemmap_verify prints the kernel's
 * "[%lx-%lx] potential offnode page_structs" for exactly the off-node runs
 * (at boot and for hot-added memory), nothing for pages placed right or
 * never touched; host nodes that do not exist are refused with file:line
 * by the parser and by pmm_create(); a platform without NUMA refuses the
 * key with -PMM_EOPNOTSUPP.  On the real host (libnuma): binding to node 0
 * works (the kernel reports the policy and the pages' node) and verify says
 * nothing.
 */
#include "harness.h"

#include <sys/mman.h>
#include <unistd.h>

#ifdef PMM_HAVE_NUMA
#include <numa.h>
#include <numaif.h>
#endif

#include <pmm/hotplug.h>

#include "mm/internal.h"

#define PPS PAGES_PER_SECTION
#define MAX_PLACED 256

struct fake_host {
	struct pmm_platform ops;
	int nr_nodes;
	unsigned nr_placed;
	struct placed {
		uintptr_t start, end;
		int node;
	} placed[MAX_PLACED];
	/* Pages [flip_lo, flip_hi) of the memmap live on the other node. */
	uintptr_t flip_lo, flip_hi;
	/* Pages [absent_lo, absent_hi) were never allocated by the host. */
	uintptr_t absent_lo, absent_hi;
	/* When set, the next placement's pages [2, 5) land on the other node. */
	int flip_next;
	unsigned long queries;
};

static struct fake_host *FH(void *ctx)
{
	return ctx;
}

static int fake_node_valid(void *ctx, int node)
{
	return node >= 0 && node < FH(ctx)->nr_nodes ? 0 : -PMM_ENOENT;
}

static int fake_place(void *ctx, void *addr, size_t size, int node)
{
	struct fake_host *h = FH(ctx);

	assert_true(h->nr_placed < MAX_PLACED);
	h->placed[h->nr_placed++] = (struct placed){ (uintptr_t)addr, (uintptr_t)addr + size, node };
	if (h->flip_next) {
		h->flip_next = 0;
		h->flip_lo = (uintptr_t)addr + 2 * 4096;
		h->flip_hi = (uintptr_t)addr + 5 * 4096;
	}
	return 0;
}

static int fake_where(void *ctx, void *const *addrs, unsigned n, int *nodes)
{
	struct fake_host *h = FH(ctx);

	for (unsigned i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)addrs[i];

		nodes[i] = 0;
		for (unsigned k = h->nr_placed; k-- > 0;)
			if (a >= h->placed[k].start && a < h->placed[k].end) {
				nodes[i] = h->placed[k].node;
				break;
			}
		if (a >= h->flip_lo && a < h->flip_hi)
			nodes[i] = !nodes[i];
		if (a >= h->absent_lo && a < h->absent_hi)
			nodes[i] = -PMM_ENOENT;
		h->queries++;
	}
	return 0;
}

static void fake_init(struct fake_host *h, int nr_nodes)
{
	memset(h, 0, sizeof(*h));
	h->ops = *pmm_platform_posix();
	h->ops.name = "fake-numa";
	h->ops.ctx = h; /* the POSIX operations ignore their context */
	h->ops.numa_node_valid = fake_node_valid;
	h->ops.numa_place = fake_place;
	h->ops.numa_where = fake_where;
	h->nr_nodes = nr_nodes;
}

static struct pmm *fake_machine(struct fake_host *h, const char *text, struct pmm_test_log *log)
{
	return pmm_test_machine_on(text, &h->ops, log);
}

static unsigned count_lines(const struct pmm_test_log *log, const char *needle)
{
	unsigned n = 0;

	for (const char *p = log->buf; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The memmap of each section is placed on its node's host node, and only the memmap. */
static void memmap_placed_per_node(void **state)
{
	struct fake_host h;
	struct pmm_test_log log = { 0 };
	struct pmm *m;
	unsigned long nr_sections = 0;

	(void)state;
	fake_init(&h, 2);
	m = fake_machine(&h, "nodes=2 mem=1G host_node=0:0 host_node=1:1 host_bind=memmap", &log);
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		uintptr_t s = (uintptr_t)(m->vmemmap + section_nr_to_pfn(nr));
		unsigned k;

		if (!valid_section(nr_to_section(m, nr)))
			continue;
		nr_sections++;
		for (k = 0; k < h.nr_placed; k++)
			if (h.placed[k].start == s)
				break;
		if (k == h.nr_placed)
			fail_msg("section %lu's memmap was not placed", nr);
		assert_int_equal(h.placed[k].end - s, PPS * sizeof(struct page));
		assert_int_equal(h.placed[k].node, page_to_nid(pfn_to_page(m, section_nr_to_pfn(nr))));
	}
	/* memmap only: no memory range was placed. */
	assert_int_equal(h.nr_placed, nr_sections);
	/* Every memmap page was asked about, and all are where they belong. */
	assert_int_equal(h.queries, nr_sections * PPS * sizeof(struct page) / 4096);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	pmm_destroy(m);
	free(log.buf);

	/* host_bind=all (the default) places each node's memory too, before the memmap. */
	fake_init(&h, 2);
	memset(&log, 0, sizeof(log));
	m = fake_machine(&h, "nodes=2 mem=1G host_node=0:1 host_node=1:0", &log);
	assert_int_equal(h.nr_placed, 2 + nr_sections);
	assert_int_equal(h.placed[0].start, (uintptr_t)m->mem);
	assert_int_equal(h.placed[0].end, (uintptr_t)m->mem + (512ul << 20));
	assert_int_equal(h.placed[0].node, 1);
	assert_int_equal(h.placed[1].start, (uintptr_t)m->mem + (512ul << 20));
	assert_int_equal(h.placed[1].node, 0);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	pmm_destroy(m);
	free(log.buf);
}

/* A memmap in its section's own frames (memmap=altmap) is memmap: placed under host_bind=memmap too. */
static void self_hosted_memmap_placed(void **state)
{
	struct fake_host h;
	struct pmm_test_log log = { 0 };
	struct pmm *m;
	unsigned long nr_sections = 0, spfn = 5 * PPS;

	(void)state;
	fake_init(&h, 2);
	m = fake_machine(&h, "mem=1G backend=memfd memmap=altmap host_node=0:1 host_bind=memmap", &log);
	assert_true(m->nr_self_hosted > 0);
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		uintptr_t s = (uintptr_t)(m->vmemmap + section_nr_to_pfn(nr));
		unsigned k;

		if (!valid_section(nr_to_section(m, nr)))
			continue;
		nr_sections++;
		for (k = 0; k < h.nr_placed; k++)
			if (h.placed[k].start == s && h.placed[k].end - s == PPS * sizeof(struct page))
				break;
		if (k == h.nr_placed)
			fail_msg("section %lu's memmap (%s) was not placed", nr,
				 section_vmemmap_pages(m, nr) ? "self-hosted" : "host memory");
		assert_int_equal(h.placed[k].node, 1);
	}
	/* Only the memmap was placed, and verify finds every page of it where it was put. */
	assert_int_equal(h.nr_placed, nr_sections);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);

	/* A hot-added self-hosting section likewise. */
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
	assert_true(section_vmemmap_pages(m, pfn_to_section_nr(spfn)) > 0);
	assert_int_equal(h.placed[h.nr_placed - 1].start, (uintptr_t)(m->vmemmap + spfn));
	assert_int_equal(h.placed[h.nr_placed - 1].node, 1);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

/* Off-node memmap pages are reported as one kernel line per run, at boot and at hot-add. */
static void offnode_runs_reported(void **state)
{
	struct fake_host h;
	struct pmm_test_log log = { 0 };
	struct pmm *m;
	char want[128];
	unsigned long spfn = 6 * PPS;
	uintptr_t lo, hi;

	(void)state;
	fake_init(&h, 2);
	/* Boot: pages 2-4 of the first memmap placed (section 0's) live on the other node. */
	h.flip_next = 1;
	m = fake_machine(&h, "nodes=2 mem=1G host_node=0:0 host_node=1:1 host_bind=memmap", &log);
	lo = h.placed[0].start + 2 * 4096;
	hi = h.placed[0].start + 5 * 4096;
	assert_int_equal(lo, (uintptr_t)(m->vmemmap) + 2 * 4096);
	snprintf(want, sizeof(want), "[%lx-%lx] potential offnode page_structs\n", (unsigned long)lo,
		 (unsigned long)hi - 1);
	if (!pmm_test_log_has(&log, want))
		fail_msg("log lacks '%s':\n%s", want, log.buf);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 1);

	/* Hot-added memory is verified too: a node-1 block comes back with pages off-node. */
	assert_int_equal(pmm_offline_pages(m, spfn, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
	pmm_test_log_reset(&log);
	h.flip_next = 1;
	assert_int_equal(pmm_add_memory(m, 1, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
	lo = (uintptr_t)(m->vmemmap + spfn) + 2 * 4096;
	snprintf(want, sizeof(want), "[%lx-%lx] potential offnode page_structs\n", (unsigned long)lo,
		 (unsigned long)lo + 3 * 4096 - 1);
	if (!pmm_test_log_has(&log, want))
		fail_msg("log lacks '%s':\n%s", want, log.buf ? log.buf : "");
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 1);
	assert_int_equal(h.placed[h.nr_placed - 1].node, 1);

	/* Pages the host never allocated cannot be off-node: nothing is said of them. */
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
	pmm_test_log_reset(&log);
	h.absent_lo = (uintptr_t)(m->vmemmap + spfn);
	h.absent_hi = h.absent_lo + 16 * 4096;
	h.flip_next = 1;
	assert_int_equal(pmm_add_memory(m, 1, PFN_PHYS(spfn), PMM_MEMORY_BLOCK_SIZE), 0);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	assert_int_equal(pmm_online_pages(m, spfn, PPS, PMM_ONLINE), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
}

static void host_node_refused(void **state)
{
	struct fake_host h;
	struct pmm_config c;
	struct pmm_test_log log = { 0 };
	struct pmm *m = (struct pmm *)&c;
	char err[256];
	const char *bad[][2] = {
		{ "mem=1G\nhost_node=0:7", "<test>:2: host node 7 does not exist on this host in 'host_node=0:7'" },
		{ "host_node=0", "<test>:1: expected host_node=N:H in 'host_node=0'" },
		{ "host_node=64:0", "<test>:1: bad node id in 'host_node=64:0'" },
		{ "host_node=0:x", "<test>:1: bad host node id in 'host_node=0:x'" },
		{ "host_bind=some", "<test>:1: host_bind must be all or memmap: 'host_bind=some'" },
	};

	(void)state;
	fake_init(&h, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pmm_config_default(&c);
		c.platform = &h.ops;
		err[0] = 0;
		assert_int_equal(pmm_config_parse(&c, bad[i][0], strlen(bad[i][0]), "<test>", err, sizeof(err)),
				 -PMM_EINVAL);
		assert_string_equal(err, bad[i][1]);
	}
	/* A config built in C is checked by pmm_create() the same way. */
	pmm_config_default(&c);
	c.platform = &h.ops;
	c.host_node_mask = 1;
	c.host_node[0] = 5;
	c.log = pmm_test_log_sink;
	c.log_ctx = &log;
	assert_int_equal(pmm_create(&c, &m), -PMM_EINVAL);
	assert_null(m);
	assert_true(pmm_test_log_has(&log, "pmm: host_node=0:5: host node 5 does not exist"));
	/* A platform without NUMA: the key parses (nothing to ask) and the machine refuses it. */
	h.ops.numa_node_valid = NULL;
	h.ops.numa_place = NULL;
	h.ops.numa_where = NULL;
	pmm_config_default(&c);
	c.platform = &h.ops;
	assert_int_equal(pmm_config_parse(&c, "host_node=0:3", 13, "<test>", err, sizeof(err)), 0);
	c.log = pmm_test_log_sink;
	c.log_ctx = &log;
	pmm_test_log_reset(&log);
	assert_int_equal(pmm_create(&c, &m), -PMM_EOPNOTSUPP);
	assert_null(m);
	assert_true(pmm_test_log_has(&log, "pmm: host_node=0:3: platform fake-numa has no NUMA support (built without libnuma?)"));
	free(log.buf);
}

/* The real host: one node.  Placing node 0 on host node 0 works and verify is quiet. */
static void real_host_node0(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m;

	(void)state;
#ifdef PMM_HAVE_NUMA
	if (numa_available() < 0) {
		print_message("SKIP: real_host_node0: the host kernel has no NUMA support\n");
		skip();
	}
	m = pmm_test_machine("mem=512M host_node=0:0", &log);
	{
		int mode = -1, status[2] = { -1, -1 };
		unsigned long mask = 0;
		struct pmm_page *frame = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		void *pages[2] = { m->vmemmap, NULL };

		assert_int_equal(get_mempolicy(&mode, &mask, sizeof(mask) * 8, m->vmemmap, MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_PREFERRED);
		assert_int_equal(mask, 1);
		mode = -1;
		mask = 0;
		assert_int_equal(get_mempolicy(&mode, &mask, sizeof(mask) * 8, m->mem, MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_PREFERRED);
		assert_int_equal(mask, 1);
		/* Where the pages are: the memmap was written at boot; write a frame. */
		assert_non_null(frame);
		pages[1] = pmm_page_address(m, frame);
		*(volatile char *)pages[1] = 1;
		assert_int_equal(move_pages(0, 2, pages, NULL, status, 0), 0);
		assert_int_equal(status[0], 0);
		assert_int_equal(status[1], 0);
		pmm_free_pages(m, frame, 0);
	}
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	assert_false(pmm_test_log_has(&log, "cannot place"));
	/* Hot-added memory is placed and verified the same way. */
	assert_int_equal(pmm_offline_pages(m, 2 * PPS, PPS), 0);
	assert_int_equal(pmm_remove_memory(m, PFN_PHYS(2 * PPS), PMM_MEMORY_BLOCK_SIZE), 0);
	assert_int_equal(pmm_add_memory(m, 0, PFN_PHYS(2 * PPS), PMM_MEMORY_BLOCK_SIZE), 0);
	assert_int_equal(pmm_online_pages(m, 2 * PPS, PPS, PMM_ONLINE), 0);
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	assert_false(pmm_test_log_has(&log, "cannot"));
	assert_machine_valid(m);
	pmm_destroy(m);

	/* A self-hosted memmap (a shared memfd mapping) gets the policy under host_bind=memmap. */
	pmm_test_log_reset(&log);
	m = pmm_test_machine("mem=512M backend=memfd memmap=altmap host_node=0:0 host_bind=memmap", &log);
	assert_true(m->nr_self_hosted > 0);
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		int mode = -1;
		unsigned long mask = 0;

		if (!section_vmemmap_pages(m, nr))
			continue;
		assert_int_equal(get_mempolicy(&mode, &mask, sizeof(mask) * 8,
					       m->vmemmap + section_nr_to_pfn(nr), MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_PREFERRED);
		assert_int_equal(mask, 1);
	}
	assert_int_equal(count_lines(&log, "potential offnode page_structs"), 0);
	assert_false(pmm_test_log_has(&log, "cannot"));
	assert_machine_valid(m);
	pmm_destroy(m);
	free(log.buf);
#else
	(void)log;
	(void)m;
	print_message("SKIP: real_host_node0: built without libnuma\n");
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memmap_placed_per_node),
		cmocka_unit_test(self_hosted_memmap_placed),
		cmocka_unit_test(offnode_runs_reported),
		cmocka_unit_test(host_node_refused),
		cmocka_unit_test(real_host_node0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
