// SPDX-License-Identifier: MIT
/*
 * memmap=altmap (src/mm/sparse_vmemmap.c, mm_init.c): each wholly present
 * section keeps its memmap in its own first 512 frames, as memory hot-added
 * with memmap_on_memory does.  Checked: the struct pages and the frames are
 * the same host memory (compared byte for byte, and measured: the memory
 * file grows by 64 bytes per frame while no anonymous memory backs the
 * memmap); those frames are reserved, flagged vmemmap_self_hosted, in
 * UNMOVABLE pageblocks, present but never managed, never allocated (every
 * free page is taken and none is one of them) and refused when freed or
 * released; sections with holes, reservations or two nodes fall back to host
 * memory; anonymous memory refuses memmap=altmap; failures leak nothing.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm/internal.h"

#define MEMMAP_PFNS 512ul /* 32768 struct pages of 64 bytes = 2 MiB */

/* Sum of a /proc/self/smaps field (kB) over the mappings inside [lo, hi). */
static unsigned long smaps_kb(const void *lo, const void *hi, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long sum = 0, start = 0, end = 0, v, s, e;
	size_t flen = strlen(field);

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		/* A mapping's header line ("lo-hi perms ..."); field lines start with a name. */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			start = s;
			end = e;
			continue;
		}
		if (!strncmp(line, field, flen) && start >= (uintptr_t)lo && end <= (uintptr_t)hi &&
		    sscanf(line + flen, " %lu", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

static unsigned long present_pages(const struct pmm *m)
{
	unsigned long n = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		if (m->node_data[nid])
			n += m->node_data[nid]->node_present_pages;
	return n;
}

/* Every present frame: pfn -> page -> pfn and page -> address -> page. */
static void check_round_trips(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;

	for (unsigned long i = 0; i < mem->cnt; i++)
		for (unsigned long pfn = PFN_DOWN(mem->regions[i].base);
		     pfn < PFN_DOWN(mem->regions[i].base + mem->regions[i].size); pfn++) {
			struct pmm_page *p = pmm_pfn_to_page(m, pfn);

			if (!p || pmm_page_to_pfn(m, p) != pfn ||
			    pmm_virt_to_page(m, pmm_page_address(m, p)) != p)
				fail_msg("pfn %#lx does not round-trip", pfn);
		}
}

/* The self-hosted sections of @m, and the state of their memmap frames. */
static unsigned long check_self_hosted(struct pmm *m)
{
	unsigned long n = 0;

	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		unsigned long spfn = section_nr_to_pfn(nr);
		struct page *first = pfn_to_page(m, spfn);

		if (!section_vmemmap_pages(m, nr))
			continue;
		n++;
		assert_int_equal(section_vmemmap_pages(m, nr), MEMMAP_PFNS);
		assert_int_equal(m->altmaps[nr].base_pfn, spfn);
		assert_int_equal(m->altmaps[nr].alloc, MEMMAP_PFNS);
		/* The same host memory: the frames hold the section's struct pages. */
		if (memcmp(page_address(m, first), first, MEMMAP_PFNS << PAGE_SHIFT))
			fail_msg("section %lu: its first frames are not its memmap", nr);
		first[1000].private = 0x5eed;
		assert_int_equal(((struct page *)page_address(m, first))[1000].private, 0x5eed);
		first[1000].private = 0;
		for (unsigned long pfn = spfn; pfn < spfn + MEMMAP_PFNS; pfn++) {
			struct page *p = pfn_to_page(m, pfn);

			if (!PageReserved(p) || !PageVmemmapSelfHosted(p) || page_ref_count(p) != 1 ||
			    page_zonenum(p) != page_zonenum(first) || page_to_nid(p) != page_to_nid(first))
				fail_msg("pfn %#lx: memmap frame in the wrong state (flags %#lx refcount %d)",
					 pfn, p->flags, page_ref_count(p));
		}
		assert_int_equal(get_pfnblock_migratetype(m, spfn), MIGRATE_UNMOVABLE);
		assert_false(PageVmemmapSelfHosted(pfn_to_page(m, spfn + MEMMAP_PFNS)));
		assert_false(PageReserved(pfn_to_page(m, spfn + MEMMAP_PFNS)));
	}
	assert_int_equal(n, m->nr_self_hosted);
	return n;
}

/* Layout, state of the memmap frames, and present/managed accounting. */
static void test_layout_and_accounting(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *a = pmm_test_machine("mem=1G nodes=2 backend=memfd memmap=altmap", &log);
	struct pmm *h = pmm_test_machine("mem=1G nodes=2 backend=memfd memmap=huge", NULL);

	(void)state;
	assert_int_equal(check_self_hosted(a), 8);
	assert_true(pmm_test_log_has(&log, "pmm: memmap=altmap: 8 of 8 present sections host their own memmap (16384K)\n"));
	assert_true(pmm_test_log_has(&log, "Memory: 1032192K/1048576K available"));
	assert_true(pmm_test_log_has(&log, "16384K reserved"));
	check_round_trips(a);
	/* Present as before, managed less exactly the memmap frames of each zone. */
	for (int nid = 0; nid < 2; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *za = &a->node_data[nid]->node_zones[z];
			struct zone *zh = &h->node_data[nid]->node_zones[z];
			unsigned long hosted = 0;

			for (unsigned long pfn = za->zone_start_pfn; pfn < zone_end_pfn(za); pfn++)
				hosted += PageVmemmapSelfHosted(pfn_to_page(a, pfn));
			assert_int_equal(za->spanned_pages, zh->spanned_pages);
			assert_int_equal(za->present_pages, zh->present_pages);
			if (zone_managed_pages(za) != zone_managed_pages(zh) - (long)hosted)
				fail_msg("node %d zone %s: managed %ld, host-memmap machine %ld, %lu memmap frames",
					 nid, za->name, zone_managed_pages(za), zone_managed_pages(zh), hosted);
		}
	assert_int_equal(pmm_totalram_pages(a), present_pages(a) - 8 * MEMMAP_PFNS);
	assert_int_equal(pmm_totalram_pages(h), present_pages(h));
	assert_machine_valid(a);
	pmm_destroy(a);
	pmm_destroy(h);
	pmm_test_log_reset(&log);
}

/* Take every free page: none is a memmap frame; freeing or releasing one is refused. */
static void test_memmap_frames_never_allocated(void **state)
{
	struct pmm *m = pmm_test_machine("mem=512M nodes=2 cpus=2 backend=memfd memmap=altmap", NULL);
	const pmm_gfp_t gfp = PMM_GFP_KERNEL | PMM___GFP_MEMALLOC | PMM___GFP_NOWARN;
	unsigned long managed = pmm_totalram_pages(m), n = 0, cap = managed + 1;
	struct pmm_page **pages = calloc(cap, sizeof(*pages));

	(void)state;
	assert_int_equal(check_self_hosted(m), 4);
	/* Until the buddy lists and every CPU's lists are empty. */
	for (int round = 0; round < 8 && pmm_nr_free_pages(m); round++) {
		struct pmm_page *p;

		while (n < cap && (p = pmm_alloc_pages(m, gfp, 0)))
			pages[n++] = p;
		pmm_drain_all(m);
	}
	assert_int_equal(n, managed);
	assert_int_equal(pmm_nr_free_pages(m), 0);
	for (unsigned long i = 0; i < n; i++)
		if (PageVmemmapSelfHosted((struct page *)pages[i]) ||
		    pmm_page_to_pfn(m, pages[i]) % PAGES_PER_SECTION < MEMMAP_PFNS)
			fail_msg("allocated pfn %#lx holds a memmap", pmm_page_to_pfn(m, pages[i]));
	for (unsigned long i = 0; i < n; i++)
		pmm_free_pages(m, pages[i], 0);
	free(pages);

	/* Not movable, not releasable, and a free of one is a bad page. */
	assert_int_equal(pmm_alloc_contig_range(m, 0x8000, 0x8000 + MEMMAP_PFNS, PMM_GFP_KERNEL),
			 -PMM_EBUSY);
	assert_int_equal(pmm_free_reserved_area(m, 0x8000, 0x8000 + MEMMAP_PFNS), 0);
	pmm_free_pages(m, pmm_pfn_to_page(m, 0x8000 + 7), 0);
	assert_int_equal(pmm_bad_page_count(m), 1);
	/* As the kernel: the reference is gone, the frame is leaked, not freed. */
	assert_true(PageVmemmapSelfHosted(pfn_to_page(m, 0x8000 + 7)));
	assert_false(PageBuddy(pfn_to_page(m, 0x8000 + 7)));
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), managed);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * The memmap's memory moves into the machine's.  memmap=huge: the memory
 * object holds nothing after boot and anonymous host memory backs the
 * memmap.  memmap=altmap: no anonymous memory backs the vmemmap, and the
 * object holds exactly 64 bytes per present frame: measured as the frames
 * resident through the machine's own mapping (memfd: shmem has no
 * readahead) and as the blocks a file allocated on disk.
 */
static void test_memmap_rss_moves(void **state)
{
	char path[128], cfg[192];
	struct pmm *m;
	size_t memmap;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/pmm-test-%d-rss.mem", (int)getpid());
	for (int file = 0; file < 2; file++)
		for (int altmap = 0; altmap < 2; altmap++) {
			unsigned long anon;
			size_t frames;
			long long blocks = -1;

			unlink(path);
			snprintf(cfg, sizeof(cfg), "mem=1G backend=%s%s memmap=%s", file ? "file:" : "memfd",
				 file ? path : "", altmap ? "altmap" : "huge");
			m = pmm_test_machine(cfg, NULL);
			memmap = present_pages(m) * 64;
			assert_int_equal(memmap, 16u << 20);
			anon = smaps_kb(m->vmemmap, (char *)m->vmemmap + m->vmemmap_size, "Anonymous:");
			frames = pmm_test_resident_bytes(m->mem, m->mem_size);
			if (file) {
				struct stat st;

				assert_int_equal(stat(path, &st), 0);
				blocks = (long long)st.st_blocks * 512;
			}
			print_message("%s: memmap anon %lu KiB, memmap resident %zu KiB, frames resident %zu KiB, file blocks %lld KiB\n",
				      cfg + 7, anon, pmm_test_resident_bytes(m->vmemmap, m->vmemmap_size) >> 10,
				      frames >> 10, blocks >> 10);
			assert_int_equal(pmm_test_resident_bytes(m->vmemmap, m->vmemmap_size), memmap);
			if (altmap) {
				assert_int_equal(anon, 0);
				if (file)
					assert_int_equal(blocks, memmap);
				else
					assert_int_equal(frames, memmap);
			} else {
				assert_int_equal(anon, memmap >> 10);
				if (file)
					assert_int_equal(blocks, 0);
				else
					assert_int_equal(frames, 0);
			}
			pmm_destroy(m);
		}
	unlink(path);
}

/* Sections with a hole, a reservation or two nodes keep a host memmap. */
static void test_partial_sections(void **state)
{
	static const struct { const char *cfg; unsigned long hosted, sections; } cases[] = {
		/* The captured 1 GiB guest: sections 0 and 7 have holes. */
		{ "node=0:0x1000-0x9efff node=0:0x100000-0x3ffdcfff", 6, 8 },
		/* Memory reserved in section 1's first frames; a 128 MiB hole (section 3). */
		{ "mem=1G reserve=0x8000000+4K hole=0x18000000-0x1fffffff", 6, 7 },
		/* A node boundary inside section 8. */
		{ "node=0:0x0-0x43ffffff node=1:0x44000000-0x7fffffff", 15, 16 },
		/* Reserved frames beyond the memmap part do not matter. */
		{ "mem=256M reserve=0x400000+64K", 2, 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cfg[256];
		struct pmm *m;
		unsigned long present = 0;

		snprintf(cfg, sizeof(cfg), "%s backend=memfd memmap=altmap", cases[i].cfg);
		m = pmm_test_machine(cfg, NULL);
		if (check_self_hosted(m) != cases[i].hosted)
			fail_msg("%s: %lu sections self-hosted, want %lu", cfg, m->nr_self_hosted,
				 cases[i].hosted);
		for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++)
			present += present_section(nr_to_section(m, nr));
		assert_int_equal(present, cases[i].sections);
		check_round_trips(m);
		/* Host memory backs only the memmap of the sections that fell back. */
		assert_int_equal(smaps_kb(m->vmemmap, (char *)m->vmemmap + m->vmemmap_size, "Anonymous:"),
				 (cases[i].sections - cases[i].hosted) * 2048);
		assert_int_equal(pmm_totalram_pages(m) + cases[i].hosted * MEMMAP_PFNS +
					 memblock_reserved_pages_in(m, 0, m->max_pfn),
				 present_pages(m));
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

/* An altmap machine beside an anonymous one: independent memmaps and frames. */
static void test_coexist(void **state)
{
	struct pmm *a = pmm_test_machine("mem=512M backend=memfd memmap=altmap", NULL);
	struct pmm *b = pmm_test_machine("mem=512M", NULL);
	struct pmm_page *pa = pmm_alloc_pages(a, PMM_GFP_KERNEL, 5);
	struct pmm_page *pb = pmm_alloc_pages(b, PMM_GFP_KERNEL, 5);

	(void)state;
	assert_false(page_is_ours(b, pa));
	assert_false(page_is_ours(a, pb));
	memset(pmm_page_address(a, pa), 0xaa, 32 * 4096);
	memset(pmm_page_address(b, pb), 0xbb, 32 * 4096);
	check_self_hosted(a);
	pmm_free_pages(a, pa, 5);
	pmm_free_pages(b, pb, 5);
	assert_machine_valid(a);
	assert_machine_valid(b);
	pmm_destroy(b);
	check_round_trips(a);
	pmm_destroy(a);
}

/* memmap=altmap needs a memory file; refused otherwise, nothing leaked. */
static void test_needs_file_backend(void **state)
{
	static const char *const bad[] = { "mem=1G memmap=altmap", "mem=1G backend=anon memmap=altmap" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct pmm_config c;
		static char mem[1 << 20] __attribute__((aligned(4096)));

		pmm_config_default(&c);
		if (i < 2) {
			assert_int_equal(pmm_config_parse(&c, bad[i], strlen(bad[i]), "<t>", NULL, 0), 0);
		} else {
			c.mem_bytes = sizeof(mem);
			c.memmap = PMM_MEMMAP_ALTMAP;
			c.backend.kind = PMM_BACKEND_MEMORY;
			c.backend.base = mem;
			c.backend.size = sizeof(mem);
		}
		pmm_test_expect_refused(&c, i < 2 ? "pmm: memmap=altmap needs a file-backed memory backend (memfd, hugetlbfs, file:PATH or fd:N), not backend=anon\n"
						: "not backend=memory\n");
	}
}

static void check_eight_self_hosted(struct pmm *m)
{
	assert_int_equal(check_self_hosted(m), 8);
}

/* Fail the N-th reservation, commit or allocation of an altmap boot, for every N. */
static void test_fault_sweep(void **state)
{
	(void)state;
	/* The 8 memmap mappings are among the points. */
	assert_true(pmm_test_boot_sweep("mem=1G nodes=2 page_owner=on backend=memfd memmap=altmap",
					check_eight_self_hosted) > 8 + 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_accounting),
		cmocka_unit_test(test_memmap_frames_never_allocated),
		cmocka_unit_test(test_memmap_rss_moves),
		cmocka_unit_test(test_partial_sections),
		cmocka_unit_test(test_coexist),
		cmocka_unit_test(test_needs_file_backend),
		cmocka_unit_test(test_fault_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
