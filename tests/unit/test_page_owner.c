// SPDX-License-Identifier: MIT
/*
 * page_ext and page_owner: storage only when needed, per section, safe
 * against a section going away under a reader; records set on every
 * allocation path (zone, per-CPU, bulk, contiguous, split, migration), the
 * dump's line structure checked against the real 6.1 dump, show_stacks
 * counts, version knobs, and the double-free report carrying both stacks.
 */
#include "harness.h"

#include <pthread.h>
#include <pmm/page_owner.h>
#include <pmm/report.h>
#include <regex.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ext/page_ext.h"
#include "ext/page_owner.h"
#include "mm/internal.h"

static char *dump(struct pmm *m, enum pmm_kver kver, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_int_equal(pmm_page_owner_dump(m, f, 0, kver), 0);
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_absent_when_unused(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M", NULL);
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(pmm_page_ext_bytes(m), 0);
	assert_false(pmm_page_owner_enabled(m));
	assert_int_equal(pmm_page_owner_dump(m, f, 0, PMM_KVER_6_1), -PMM_EINVAL);
	fclose(f);
	pmm_destroy(m);
}

static void test_per_section_storage(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=1G hole=0x10000000-0x17ffffff page_owner=on", &log);
	char line[64];

	(void)state;
	/* 7 present sections x 32768 frames x 64 bytes (8 flags + 6.1's 56 owner). */
	assert_int_equal(pmm_page_ext_bytes(m), 7ul * 32768 * 64);
	snprintf(line, sizeof(line), "allocated %lu bytes of page_ext\n", 7ul * 32768 * 64);
	assert_true(pmm_test_log_has(&log, line));
	assert_true(pmm_test_log_has(&log, "Node 0, zone    DMA32: page owner found early allocated 0 pages\n"));
	assert_null(lookup_page_ext(m, 0x10000));
	assert_non_null(lookup_page_ext(m, 0x18000));
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * The captured 1 GiB guest booted page_owner=on: its page_ext line, byte
 * for byte (8 sections x 32768 frames x 64 bytes: 6.1's record is 56).
 */
static void test_page_ext_size_matches_kernel(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/dmesg.txt.xz");
	static const char *const wanted[] = { "allocated " };
	struct pmm_test_log log = { 0 };
	struct pmm *m;

	(void)state;
	m = pmm_test_machine("node=0:0x1000-0x9efff node=0:0x100000-0x3ffdcfff cpus=2 page_owner=on",
			     &log);
	assert_int_equal(pmm_test_log_has_kernel_lines(&log, path, wanted, 1), 1);
	assert_int_equal(pmm_page_ext_bytes(m), 16777216);
	free(path);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

struct holder {
	struct pmm *m;
	struct page_ext *ext;
	int done;
	struct timespec released;
};

static void *hold_ext(void *arg)
{
	struct holder *h = arg;
	struct page_ext *ext = page_ext_get(h->m, (struct page *)pmm_pfn_to_page(h->m, 0x9000));

	__atomic_store_n(&h->ext, ext, __ATOMIC_RELEASE);
	usleep(200 * 1000);
	/*
	 * Still readable: the storage cannot go while we hold it (were it
	 * released, this read of unmapped memory would fault).
	 */
	(void)*(volatile unsigned long *)&ext->flags;
	clock_gettime(CLOCK_MONOTONIC, &h->released);
	page_ext_put(h->m, ext);
	return NULL;
}

static void test_section_goes_away_under_reader(void **state)
{
	struct pmm *m = pmm_test_machine("mem=512M page_owner=on", NULL);
	struct holder h = { .m = m };
	struct timespec done;
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, hold_ext, &h);
	while (!__atomic_load_n(&h.ext, __ATOMIC_ACQUIRE))
		usleep(1000);
	pmm_lock(&m->hotplug_lock);
	page_ext_offline_section(m, 0x9000 >> 15);
	pmm_unlock(&m->hotplug_lock);
	clock_gettime(CLOCK_MONOTONIC, &done);
	pthread_join(t, NULL);
	/* The offline waited for the reader to let go. */
	assert_true(done.tv_sec > h.released.tv_sec ||
		    (done.tv_sec == h.released.tv_sec && done.tv_nsec >= h.released.tv_nsec));
	assert_null(lookup_page_ext(m, 0x9000));
	assert_int_equal(pmm_page_ext_bytes(m), 3ul * 32768 * 64);
	/* Allocations in that section now go unrecorded, not crash. */
	assert_int_equal(page_ext_online_section(m, 0x9000 >> 15), 0);
	assert_non_null(lookup_page_ext(m, 0x9000));
	pmm_destroy(m);
}

/* Every line of a dump matches one of the record's line shapes. */
static void check_structure(const char *what, const char *text, int *records)
{
	regex_t hdr, hdr612, pfn, pfnhex, stack, migr;
	const char *p = text;
	int state = 0;

	assert_int_equal(regcomp(&hdr, "^Page allocated via order [0-9]+, mask 0x[0-9a-f]+\\(.*\\), pid -?[0-9]+, tgid -?[0-9]+ \\(.*\\), ts [0-9]+ ns, free_ts [0-9]+ ns$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&hdr612, "^Page allocated via order [0-9]+, mask 0x[0-9a-f]+\\(.*\\), pid -?[0-9]+, tgid -?[0-9]+ \\(.*\\), ts [0-9]+ ns$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&pfn, "^PFN [0-9]+ type [A-Za-z]+ Block [0-9]+ type [A-Za-z]+ Flags 0x[0-9a-f]+\\(.*\\)$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&pfnhex, "^PFN 0x[0-9a-f]+ type [A-Za-z]+ Block [0-9]+ type [A-Za-z]+ Flags 0x[0-9a-f]+\\(.*\\)$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&stack, "^ [^ ]+(\\+0x[0-9a-f]+/0x[0-9a-f]+( \\[.*\\])?)?$", REG_EXTENDED), 0);
	/* The migrate line, or the memcg lines a kernel adds for charged pages. */
	assert_int_equal(regcomp(&migr, "^(Page has been migrated, last migrate reason: [a-z_]+|Slab cache page|Charged (\\(via objcg\\) )?to (offline )?memcg .*)$", REG_EXTENDED), 0);
	*records = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		char line[1024];
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n >= sizeof(line))
			fail_msg("%s: line too long", what);
		memcpy(line, p, n);
		line[n] = 0;
		if (state == 0) {
			if (regexec(&hdr, line, 0, NULL, 0) && regexec(&hdr612, line, 0, NULL, 0))
				fail_msg("%s: not a record header: \"%s\"", what, line);
			state = 1;
			(*records)++;
		} else if (state == 1) {
			if (regexec(&pfn, line, 0, NULL, 0) && regexec(&pfnhex, line, 0, NULL, 0))
				fail_msg("%s: not a PFN line: \"%s\"", what, line);
			state = 2;
		} else if (line[0] == 0) {
			state = 0;
		} else if (regexec(&stack, line, 0, NULL, 0) && regexec(&migr, line, 0, NULL, 0)) {
			fail_msg("%s: not a stack line: \"%s\"", what, line);
		}
		p += n + (e ? 1 : 0);
	}
	assert_int_equal(state, 0);
	regfree(&hdr);
	regfree(&hdr612);
	regfree(&pfn);
	regfree(&pfnhex);
	regfree(&stack);
	regfree(&migr);
}

static void test_dump_structure_like_kernel(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/page_owner.txt.xz");
	struct pmm *m = pmm_test_machine("mem=256M page_owner=on cpus=2", NULL);
	struct pmm_page *p[6];
	size_t len, klen;
	char *text, *kernel;
	int records, krecords;

	(void)state;
	p[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	p[1] = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_ZERO, 0);
	p[2] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_COMP, 3);
	p[3] = pmm_alloc_pages(m, PMM_GFP_ATOMIC, 1);
	p[4] = pmm_alloc_pages(m, PMM_GFP_DMA32, 9);
	p[5] = pmm_alloc_pages(m, PMM_GFP_NOFS | PMM___GFP_RECLAIMABLE, 2);
	text = dump(m, PMM_KVER_6_1, &len);
	check_structure("pmm", text, &records);
	assert_int_equal(records, 6);
	assert_true(strstr(text, "mask 0x40cc0(GFP_KERNEL|__GFP_COMP)") != NULL);
	assert_true(strstr(text, "mask 0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO)") != NULL);
	assert_true(strstr(text, " prep_new_page") != NULL);
	assert_true(strstr(text, " test_dump_structure_like_kernel+0x") != NULL);
	kernel = pmm_test_read_file(path, &klen);
	check_structure("kernel", kernel, &krecords);
	assert_int_equal(krecords, 45689);
	free(kernel);
	free(text);
	/* Version knobs: hex PFN from 6.6, no free_ts from 6.12. */
	text = dump(m, PMM_KVER_6_6, &len);
	check_structure("pmm 6.6", text, &records);
	assert_true(strstr(text, "PFN 0x") != NULL);
	free(text);
	text = dump(m, PMM_KVER_6_12, &len);
	check_structure("pmm 6.12", text, &records);
	assert_null(strstr(text, "free_ts"));
	free(text);
	pmm_free_pages(m, p[0], 0);
	pmm_free_pages(m, p[1], 0);
	pmm_free_pages(m, p[2], 3);
	pmm_free_pages(m, p[3], 1);
	pmm_free_pages(m, p[4], 9);
	pmm_free_pages(m, p[5], 2);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(len, 0); /* free frames are never printed */
	free(text);
	free(path);
	pmm_destroy(m);
}

static void test_paths(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M page_owner=on cpus=2", NULL);
	struct pmm_page *arr[40] = { 0 }, *p, *q;
	size_t len;
	char *text;
	int records;

	(void)state;
	/* split: 4 records of order 0 where there was one of order 2. */
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 2);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, "via order 2,"), 1);
	free(text);
	assert_int_equal(pmm_split_page(m, p, 2), 0);
	text = dump(m, PMM_KVER_6_1, &len);
	check_structure("split", text, &records);
	assert_int_equal(count(text, "via order 0,"), 4);
	free(text);
	for (int i = 0; i < 4; i++)
		pmm_free_pages(m, (struct pmm_page *)((struct page *)p + i), 0);
	/* bulk: with page_owner on, Linux 6.1 gives one page per call (the single page allocator). */
	for (unsigned long want = 1; want <= 40; want++)
		assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 40, arr), want);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, "Page allocated via"), 40);
	free(text);
	for (int i = 0; i < 40; i++)
		pmm_free_pages(m, arr[i], 0);
	/* contiguous */
	assert_int_equal(pmm_alloc_contig_range(m, 0x4000, 0x4010, PMM_GFP_KERNEL), 0);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, "Page allocated via"), 16);
	free(text);
	pmm_free_contig_range(m, 0x4000, 16);
	/* migration: the new page inherits the record and the reason. */
	p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	q = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	pmm_page_owner_migrate(m, p, q, PMM_MR_COMPACTION);
	pmm_free_pages(m, p, 0);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, "Page has been migrated, last migrate reason: compaction\n"), 1);
	free(text);
	pmm_free_pages(m, q, 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static void migrate_to_wrong_block_child(void *arg)
{
	struct pmm *m = arg;
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	struct pmm_page *q = pmm_pfn_to_page(m, 0x7fff);

	alarm(10);
	/* An order-0 frame at the end of a section: 8 records would run past its page_ext. */
	pmm_page_owner_migrate(m, p, q, PMM_MR_COMPACTION);
	pmm_free_pages(m, p, 3);
}

/*
 * pmm_page_owner_migrate() copies a record between blocks of one order (as
 * the kernel's folio_copy_owner() between folios of one size); the new
 * page must be allocated.  Another order or a free page: nothing recorded,
 * nothing written past the new block.
 */
static void test_migrate_needs_same_order(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1 page_owner=on", NULL);
	struct pmm_page *p, *q, *fr;
	char out[4096], *text;
	size_t len;
	int status, records;

	(void)state;
	assert_int_equal(pmm_alloc_contig_range(m, 0x7fff, 0x8000, PMM_GFP_KERNEL), 0);
	status = pmm_test_run_child(migrate_to_wrong_block_child, m, out, sizeof(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("migrate of an order-3 record to an order-0 page: %s %d\n%s",
			 WIFSIGNALED(status) ? "killed by signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), out);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	fr = pmm_pfn_to_page(m, 0x6000);
	assert_int_equal(pmm_page_count(fr), 0);
	text = dump(m, PMM_KVER_6_1, &len);
	records = count(text, "Page allocated via");
	free(text);
	pmm_page_owner_migrate(m, p, q, PMM_MR_COMPACTION);
	pmm_page_owner_migrate(m, q, p, PMM_MR_COMPACTION);
	pmm_page_owner_migrate(m, q, fr, PMM_MR_COMPACTION);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, "Page allocated via"), records);
	assert_int_equal(count(text, "migrate reason"), 0);
	free(text);
	/* The same order: the record moves, as before. */
	pmm_free_pages(m, q, 0);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	pmm_page_owner_migrate(m, p, q, PMM_MR_COMPACTION);
	pmm_free_pages(m, p, 3);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, "Page has been migrated, last migrate reason: compaction\n"), 1);
	free(text);
	pmm_free_pages(m, q, 3);
	pmm_free_contig_range(m, 0x7fff, 1);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

static __attribute__((noinline)) struct pmm_page *alloc_here(struct pmm *m, unsigned order)
{
	return pmm_alloc_pages(m, PMM_GFP_KERNEL, order);
}

/*
 * In show_stacks text @buf: pages held by every stack whose text contains
 * @fn (an unrolled loop may make several stacks through one function).
 */
static long stack_pages_in(const char *buf, const char *fn)
{
	long total = 0;

	for (const char *rec = buf; rec && *rec;) {
		const char *tag = strstr(rec, "nr_base_pages: ");
		const char *here = strstr(rec, fn);

		if (!tag)
			break;
		if (here && here < tag)
			total += strtol(tag + 15, NULL, 10);
		rec = strstr(tag, "\n\n");
		rec = rec ? rec + 2 : NULL;
	}
	return total;
}

/* The show_stacks text of @m, stacks holding at least @threshold pages. */
/* Out of line: inlined, gcc -O3 takes the result for a pointer to the local buf (-Wdangling-pointer). */
static __attribute__((noinline)) char *show_stacks_min(struct pmm *m, unsigned long threshold)
{
	char *buf = NULL, rec[8192];
	size_t len, off = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long pos = 0;
	long n;

	assert_int_equal(pmm_page_owner_show_stacks(m, f, threshold), 0);
	fclose(f);
	/* The buffer form, stack by stack, gives the same text. */
	while ((n = pmm_page_owner_stacks_read(m, rec, sizeof(rec), &pos, threshold)) > 0) {
		assert_true(off + (size_t)n <= len);
		assert_memory_equal(rec, buf + off, (size_t)n);
		off += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(off, len);
	assert_int_equal(pmm_page_owner_stacks_read(m, rec, sizeof(rec), &pos, threshold), 0);
	/* A buffer too small for the next stack: -ENOMEM, and the cursor stays. */
	if (len) {
		pos = 0;
		assert_int_equal(pmm_page_owner_stacks_read(m, rec, 8, &pos, threshold), -PMM_ENOMEM);
		assert_int_equal(pos, 0);
		assert_int_equal(pmm_page_owner_stacks_read(m, NULL, 0, &pos, threshold), -PMM_ENOMEM);
	}
	assert_int_equal(pmm_page_owner_stacks_read(m, NULL, 8, &pos, threshold), -PMM_EINVAL);
	assert_int_equal(pmm_page_owner_stacks_read(m, rec, 8, NULL, threshold), -PMM_EINVAL);
	return buf;
}

static char *show_stacks_text(struct pmm *m)
{
	return show_stacks_min(m, 0);
}

/* Whether @w, a place in show_stacks @text, is the first frame of a record. */
static bool starts_record(const char *text, const char *w)
{
	return w == text || (w - text >= 2 && w[-1] == '\n' && w[-2] == '\n');
}

/* A second allocation site, for a migration's new block. */
static __attribute__((noinline)) struct pmm_page *alloc_target(struct pmm *m, unsigned order)
{
	return pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, order);
}

static void test_show_stacks(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M page_owner=on", NULL);
	struct pmm_page *p[10];
	char *buf;

	(void)state;
	/* One call site: clang would unroll a constant loop into ten. */
	for (volatile int i = 0; i < 10; i++)
		p[i] = alloc_here(m, 1);
	buf = show_stacks_text(m);
	assert_true(strstr(buf, " alloc_here+0x") != NULL);
	assert_int_equal(stack_pages_in(buf, " alloc_here+"), 20);
	free(buf);
	/* Threshold hides it; freeing brings the count to zero and hides it too. */
	buf = show_stacks_min(m, 21);
	assert_null(strstr(buf, "alloc_here"));
	free(buf);
	for (int i = 0; i < 10; i++)
		pmm_free_pages(m, p[i], 1);
	buf = show_stacks_text(m);
	assert_null(strstr(buf, "alloc_here"));
	free(buf);
	/*
	 * A migration moves the new block's pages to the old block's stack,
	 * whose frees take them back: nothing stays on the new one's.
	 */
	p[0] = alloc_here(m, 1);
	p[1] = alloc_target(m, 1);
	pmm_page_owner_migrate(m, p[0], p[1], PMM_MR_COMPACTION);
	buf = show_stacks_text(m);
	assert_null(strstr(buf, "alloc_target"));
	assert_int_equal(stack_pages_in(buf, " alloc_here+"), 4);
	free(buf);
	pmm_free_pages(m, p[0], 1);
	pmm_free_pages(m, p[1], 1);
	buf = show_stacks_text(m);
	assert_null(strstr(buf, "alloc_target"));
	assert_null(strstr(buf, "alloc_here"));
	free(buf);
	pmm_destroy(m);
}

static __attribute__((noinline)) void free_here(struct pmm *m, struct pmm_page *p)
{
	pmm_free_pages(m, p, 0);
}

/*
 * A double free of an order-0 page allocated and freed at alloc_here() and
 * free_here() on a machine of @cfg (one CPU, so every thread has the same
 * lists): the report carries both stacks.  alloc_here() takes a page from
 * a primed per-CPU list (a fast-path hit where the fast paths run), not the
 * refill of an empty one, which is the full path's.  The log holds the
 * report when this returns; the caller checks the rest and destroys the
 * machine.
 */
static struct pmm *double_free_report(const char *cfg, struct pmm_test_log *log)
{
	struct pmm *m = pmm_test_machine(cfg, log);
	struct pmm_page *prime = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0), *p;

	assert_int_equal(pmm_nr_cpus(m), 1);
	pmm_free_pages(m, prime, 0);
	p = alloc_here(m, 0);
	assert_ptr_equal(p, prime); /* the list's head: a list hit */
	free_here(m, p);
	pmm_test_log_reset(log);
	free_here(m, p);
	assert_int_equal(pmm_bad_page_count(m), 1);
	assert_true(pmm_test_log_has(log, "BUG: Bad page state in process "));
	assert_true(pmm_test_log_has(log, "page dumped because: double free"));
	assert_true(pmm_test_log_has(log, "page_owner tracks the page as freed\n"));
	assert_true(pmm_test_log_has(log, "page last allocated via order 0, migratetype Unmovable, gfp_mask 0xcc0(GFP_KERNEL), pid "));
	assert_true(pmm_test_log_has(log, " alloc_here+0x"));
	assert_true(pmm_test_log_has(log, "page last free stack trace:\n"));
	assert_true(pmm_test_log_has(log, " free_here+0x"));
	assert_machine_valid(m);
	return m;
}

static void test_double_free_report_has_both_stacks(void **state)
{
	struct pmm_test_log log = { 0 };

	(void)state;
	pmm_destroy(double_free_report("mem=128M cpus=1 page_owner=on", &log));
	pmm_test_log_reset(&log);
}

/*
 * __dump_page_owner()'s other lines: a page never allocated since boot has
 * no page_owner record ("never set?"), and a page whose data moved here
 * says why (lower case, unlike /sys/kernel/debug/page_owner's "Page has
 * been migrated").
 */
static void test_bad_page_owner_never_set_and_migrated(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=128M cpus=1 page_owner=on", &log);
	struct pmm_page *never = NULL, *p, *q;

	(void)state;
	/* A free frame at the top of memory: free since boot, never handed out. */
	for (unsigned long pfn = pmm_max_pfn(m) - 1; !never; pfn--) {
		struct pmm_page *c = pmm_pfn_to_page(m, pfn);

		if (c && PageBuddy((struct page *)c))
			never = c;
	}
	pmm_test_log_reset(&log);
	pmm_free_pages(m, never, 0);
	assert_int_equal(pmm_bad_page_count(m), 1);
	assert_true(pmm_test_log_has(&log, "page dumped because: "));
	assert_true(pmm_test_log_has(&log, "page_owner info is not present (never set?)\n"));
	assert_false(pmm_test_log_has(&log, "page last allocated via"));

	p = alloc_here(m, 0);
	q = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	pmm_page_owner_migrate(m, p, q, PMM_MR_COMPACTION);
	pmm_free_pages(m, p, 0);
	free_here(m, q);
	pmm_test_log_reset(&log);
	free_here(m, q);
	assert_int_equal(pmm_bad_page_count(m), 2);
	assert_true(pmm_test_log_has(&log, "page_owner tracks the page as freed\n"));
	assert_true(pmm_test_log_has(&log, " alloc_here+0x")); /* the stack it inherited */
	assert_true(pmm_test_log_has(&log, "page has been migrated, last migrate reason: compaction\n"));
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* Not alloc_here()'s twin: the compiler would fold the two into one. */
static __attribute__((noinline)) struct pmm_page *alloc_there(struct pmm *m, unsigned order)
{
	return pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, order);
}

/* Pages held by every stack of @m whose text contains @fn. */
static long pages_of(struct pmm *m, const char *fn)
{
	char *buf = show_stacks_text(m);
	long total = stack_pages_in(buf, fn);

	free(buf);
	return total;
}

/*
 * A migration writes the new block's first record only, as Linux 6.1's
 * __folio_copy_owner() and set_page_owner_migrate_reason(): split after,
 * the tails show their own allocation's stack and no migrate reason, and
 * each frame's pages count (and are freed) on its own stack.
 */
static void test_migrate_head_only(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1 page_owner=on", NULL);
	struct pmm_page *p = alloc_here(m, 2), *q = alloc_target(m, 2);
	unsigned long qp = pmm_page_to_pfn(m, q);
	char buf[8192];

	(void)state;
	pmm_page_owner_migrate(m, p, q, PMM_MR_COMPACTION);
	pmm_free_pages(m, p, 2);
	assert_int_equal(pages_of(m, " alloc_here+"), 4);
	assert_int_equal(pages_of(m, " alloc_target+"), 0);
	assert_int_equal(pmm_split_page(m, q, 2), 0);
	for (unsigned long i = 0; i < 4; i++) {
		unsigned long pos = qp + i;

		assert_true(pmm_page_owner_read(m, buf, sizeof(buf), &pos, PMM_KVER_6_1) > 0);
		assert_int_equal(pos, qp + i + 1);
		assert_int_equal(strstr(buf, " alloc_here+") != NULL, i == 0);
		assert_int_equal(strstr(buf, " alloc_target+") != NULL, i != 0);
		assert_int_equal(strstr(buf, "last migrate reason: compaction") != NULL, i == 0);
	}
	assert_int_equal(pages_of(m, " alloc_here+"), 1);
	assert_int_equal(pages_of(m, " alloc_target+"), 3);
	for (unsigned long i = 0; i < 4; i++)
		pmm_free_pages(m, pmm_pfn_to_page(m, qp + i), 0);
	assert_int_equal(pages_of(m, " alloc_here+"), 0);
	assert_int_equal(pages_of(m, " alloc_target+"), 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* The stack lines of the first record of a dump. */
static void first_stack(struct pmm *m, char *out, size_t size)
{
	char *text = NULL, *p;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(pmm_page_owner_dump(m, f, 0, PMM_KVER_6_1), 0);
	fclose(f);
	p = strstr(text, "\nPFN ");

	assert_non_null(p);
	p = strchr(p + 1, '\n') + 1;
	len = (size_t)(strstr(p, "\n\n") + 1 - p);
	assert_true(len < size);
	memcpy(out, p, len);
	out[len] = 0;
	free(text);
}

/* The posix platform with a stack() of the embedder kind: page_owner calls it. */
static unsigned hook_stack(void *ctx, uintptr_t *e, unsigned max, unsigned skip)
{
	const struct pmm_platform *base = pmm_platform_posix();
	unsigned n = base->stack(base->ctx, e, max, skip + 1);

	(void)ctx;
	__asm__ volatile("" ::: "memory"); /* no tail call: our frame is the one skipped */
	return n;
}

/* A machine of @text on @plat, logging into @log (may be NULL). */
static struct pmm *hooked_machine(const char *text, struct pmm_platform *plat)
{
	*plat = *pmm_platform_posix();
	plat->stack = hook_stack;
	return pmm_test_machine_on(text, plat, NULL);
}

/*
 * pmm's own capture (a walk recognised against the thread's last one) and a
 * platform's stack() record the same frames, from the caller of the
 * allocator down, whether the stack is new or seen last time.
 */
static void test_stack_same_either_way(void **state)
{
	struct pmm_platform plat;
	struct pmm *m = pmm_test_machine("mem=128M page_owner=on", NULL);
	struct pmm *h = hooked_machine("mem=128M page_owner=on", &plat);
	struct pmm_page *p[4];
	char a[2048], b[2048], c[2048];

	(void)state;
	/* One call site for both machines, so one stack. */
	for (volatile int i = 0; i < 4; i++)
		p[(i & 1) * 2 + i / 2] = alloc_here(i & 1 ? h : m, 0);
	first_stack(m, a, sizeof(a));
	first_stack(h, b, sizeof(b));
	assert_string_equal(a, b);
	assert_true(strncmp(a, " prep_new_page", 14) == 0);
	assert_non_null(strstr(a, "\n alloc_here+0x"));
	/* The second record (the walk recognised) has the same stack. */
	pmm_free_pages(m, p[0], 0);
	first_stack(m, c, sizeof(c));
	assert_string_equal(a, c);
	assert_int_equal(pages_of(m, " alloc_here+"), 1);
	assert_int_equal(pages_of(h, " alloc_here+"), 2);
	pmm_free_pages(m, p[1], 0);
	pmm_free_pages(h, p[2], 0);
	pmm_free_pages(h, p[3], 0);
	assert_int_equal(pages_of(m, " alloc_here+"), 0);
	assert_int_equal(pages_of(h, " alloc_here+"), 0);
	pmm_destroy(h);
	pmm_destroy(m);
}

static __attribute__((noinline)) struct pmm_page *alloc_comp_here(struct pmm *m, unsigned order)
{
	return pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_COMP, order);
}

/*
 * page_owner_stack=caller: the per-CPU fast paths run with page_owner on,
 * and a record's stack starts at the caller of pmm_alloc_pages() whichever
 * path served the call.  The first allocation after a drain refills the
 * list on the full path, the others are fast-path hits: one stack holds
 * them all.  A compound block (full path both ways) records from its
 * caller too, and every free gives its pages back to the right stack.
 */
static void test_caller_stacks(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M page_owner=on page_owner_stack=caller", NULL);
	struct pmm *k = pmm_test_machine("mem=128M page_owner=on", NULL);
	struct pmm_page *p[8], *c, *q;
	char a[2048];
	char *text;

	(void)state;
#ifndef PMM_ASAN /* ASan builds take the full path always (poisoned frames) */
	assert_true(m->fast.alloc && m->fast.free);
#endif
	assert_false(k->fast.alloc); /* the kernel's stacks keep the full path */
	pmm_drain_all(m);
	for (volatile int i = 0; i < 8; i++)
		p[i] = alloc_here(m, 0);
	c = alloc_comp_here(m, 2);
	first_stack(m, a, sizeof(a));
	assert_true(strncmp(a, " alloc_here+0x", 14) == 0 || strncmp(a, " alloc_comp_here", 16) == 0);
	text = show_stacks_text(m);
	assert_int_equal(count(text, " alloc_here+"), 1);
	assert_int_equal(count(text, " alloc_comp_here"), 1); /* maybe a .constprop clone */
	assert_null(strstr(text, "get_page_from_freelist"));
	free(text);
	assert_int_equal(pages_of(m, " alloc_here+"), 8);
	assert_int_equal(pages_of(m, " alloc_comp_here"), 4);
	/* The kernel's stacks, for comparison, start inside the allocator. */
	pmm_free_pages(k, alloc_here(k, 0), 0);
	q = alloc_here(k, 0);
	first_stack(k, a, sizeof(a));
	assert_true(strncmp(a, " prep_new_page", 14) == 0);
	pmm_free_pages(k, q, 0);
	/* Fast and full-path frees alike give the pages back. */
	for (volatile int i = 0; i < 8; i++)
		pmm_free_pages(m, p[i], 0);
	pmm_free_pages(m, c, 2);
	assert_int_equal(pages_of(m, " alloc_here+"), 0);
	assert_int_equal(pages_of(m, " alloc_comp_here"), 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	pmm_destroy(k);
	pmm_destroy(m);
}

static __attribute__((noinline)) void *get_free_here(struct pmm *m)
{
	return pmm_get_free_pages(m, PMM_GFP_KERNEL, 0);
}

/*
 * An entry point built on pmm_alloc_pages() calls it as any caller does:
 * with caller stacks its own frame comes first, above its caller's, and
 * nothing of the allocator's.
 */
static void test_caller_stacks_through_wrapper(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M page_owner=on page_owner_stack=caller", NULL);
	void *a[4];
	char *text, *w;

	(void)state;
	for (volatile int i = 0; i < 4; i++)
		a[i] = get_free_here(m);
	text = show_stacks_text(m);
	w = strstr(text, " pmm_get_free_pages+0x");
	assert_non_null(w);
	if (!starts_record(text, w))
		fail_msg("pmm_get_free_pages is not the first frame:\n%s", text);
	w = strchr(w, '\n');
	assert_true(strncmp(w, "\n get_free_here+0x", 18) == 0);
	assert_int_equal(count(text, " get_free_here+"), 1);
	assert_null(strstr(text, "get_page_from_freelist"));
	free(text);
	assert_int_equal(pages_of(m, " get_free_here+"), 4);
	for (volatile int i = 0; i < 4; i++)
		pmm_free_pages_addr(m, a[i], 0);
	assert_int_equal(pages_of(m, " get_free_here+"), 0);
	pmm_destroy(m);
}

/*
 * Caller stacks in a double-free report: the allocation and the first free
 * are recorded from the callers of pmm_alloc_pages() and pmm_free_pages()
 * (the fast paths served both: a primed list, fast paths on), with no
 * allocator frame above them.
 */
static void test_caller_stacks_in_reports(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m;
	const char *alloc;

	(void)state;
	m = double_free_report("mem=128M cpus=1 page_owner=on page_owner_stack=caller", &log);
#ifndef PMM_ASAN /* ASan builds take the full path always (poisoned frames) */
	assert_true(m->fast.alloc && m->fast.free);
#endif
	assert_true(pmm_test_log_has(&log, "page last free stack trace:\n free_here+0x"));
	alloc = strstr(log.buf, "page last allocated via ");
	assert_non_null(alloc);
	assert_true(strncmp(strchr(alloc, '\n'), "\n alloc_here+0x", 15) == 0);
	assert_false(pmm_test_log_has(&log, "prep_new_page"));
	assert_false(pmm_test_log_has(&log, "free_unref_page"));
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * page_owner_stack=caller on a platform with a stack() of its own (the
 * faulty wrapper's): that stack() cannot start at an entry point's frame,
 * so the machine says so once and keeps the kernel's stacks, and the full
 * path.  One call site is one stack, however the calls were served: a
 * fast path recording from its own frame would make a second.
 */
static void test_caller_stacks_need_own_walk(void **state)
{
	struct pmm_platform_faulty f;
	struct pmm_test_log log = { 0 };
	struct pmm *m;
	struct pmm_page *p[8];
	char a[2048];
	char *text;

	(void)state;
	pmm_platform_faulty_init(&f, pmm_platform_posix(), 0, 0);
	m = pmm_test_machine_on("mem=128M page_owner=on page_owner_stack=caller", &f.ops, &log);
	assert_int_equal(count(log.buf, "page_owner_stack=caller needs pmm's stack walk "
					"(platform faulty has its own stack()), falling back to kernel\n"), 1);
	assert_false(m->fast.alloc);
	pmm_drain_all(m);
	for (volatile int i = 0; i < 8; i++)
		p[i] = alloc_here(m, 0);
	first_stack(m, a, sizeof(a));
	assert_true(strncmp(a, " prep_new_page", 14) == 0);
	text = show_stacks_text(m);
	assert_int_equal(count(text, " alloc_here+"), 1);
	free(text);
	assert_int_equal(pages_of(m, " alloc_here+"), 8);
	for (volatile int i = 0; i < 8; i++)
		free_here(m, p[i]);
	assert_int_equal(pages_of(m, " alloc_here+"), 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_destroy(m);
	assert_int_equal(f.outstanding, 0);
	pmm_test_log_reset(&log);
}

struct nested {
	struct pmm *other;
	struct pmm_page *kept;
	int calls;
};

/* A bad-page handler that allocates (and frees, then allocates again) on another machine. */
static void alloc_elsewhere(void *ctx, unsigned long pfn, const char *reason)
{
	struct nested *n = ctx;

	(void)pfn;
	(void)reason;
	n->calls++;
	free_here(n->other, alloc_there(n->other, 0));
	n->kept = alloc_there(n->other, 0);
}

/*
 * Caller stacks with a call into another machine nested in one's full path
 * (a bad-page handler that allocates elsewhere): the nested call's entry
 * frame is its own, and when it returns the outer call's entry frame is
 * back, so the outer record still starts at its caller.  Both machines
 * without per-CPU lists, so every call is a full-path one.
 */
static void test_caller_stacks_nested_machines(void **state)
{
	const char *cfg = "mem=128M cpus=1 pcp=off page_owner=on page_owner_stack=caller";
	struct nested n = { .other = pmm_test_machine(cfg, NULL) };
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine(cfg, &log);
	struct pmm_page *p, *q;
	char *text, *w;

	(void)state;
	pmm_set_bad_page_handler(m, alloc_elsewhere, &n);
	/* The page the next allocation takes, scribbled on while free. */
	p = alloc_there(m, 0);
	pmm_free_pages(m, p, 0);
	q = alloc_there(m, 0);
	assert_ptr_equal(q, p);
	pmm_free_pages(m, q, 0);
	((struct page *)p)->mapping = (void *)0x1234560;
	q = alloc_here(m, 0);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_int_equal(n.calls, 1);
	assert_int_equal(pmm_bad_page_count(m), 1);
	text = show_stacks_text(m);
	assert_int_equal(count(text, " alloc_here+"), 1);
	w = strstr(text, " alloc_here+");
	if (!starts_record(text, w))
		fail_msg("alloc_here is not the first frame:\n%s", text);
	assert_null(strstr(text, "prep_new_page"));
	free(text);
	/* The other machine's records start at its caller too. */
	text = show_stacks_text(n.other);
	if (strncmp(text, " alloc_there+", 13) != 0)
		fail_msg("alloc_there is not the first frame:\n%s", text);
	free(text);
	free_here(n.other, n.kept);
	pmm_free_pages(m, q, 0);
	assert_int_equal(pages_of(m, " alloc_here+"), 0);
	assert_int_equal(pmm_bad_page_count(n.other), 0);
	pmm_destroy(m);
	pmm_destroy(n.other);
	pmm_test_log_reset(&log);
}

/* Two call sites taking turns: every record and count goes to the right stack. */
static void test_stacks_taking_turns(void **state)
{
	struct pmm *m = pmm_test_machine("mem=128M page_owner=on", NULL);
	struct pmm_page *p[20];
	size_t len;
	char *text;

	(void)state;
	for (volatile int i = 0; i < 20; i++)
		p[i] = i & 1 ? alloc_there(m, 1) : alloc_here(m, 0);
	assert_int_equal(pages_of(m, " alloc_here+"), 10);
	assert_int_equal(pages_of(m, " alloc_there"), 20);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_int_equal(count(text, " alloc_here+"), 10);
	assert_int_equal(count(text, " alloc_there"), 10);
	free(text);
	for (volatile int i = 0; i < 20; i += 2)
		pmm_free_pages(m, p[i], 0);
	assert_int_equal(pages_of(m, " alloc_here+"), 0);
	assert_int_equal(pages_of(m, " alloc_there"), 20);
	for (volatile int i = 1; i < 20; i += 2)
		pmm_free_pages(m, p[i], 1);
	assert_int_equal(pages_of(m, " alloc_there"), 0);
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_destroy(m);
}

/*
 * A thread's remembered stack belongs to one machine's depot: using another
 * machine, or one created where a destroyed one was, records its own stacks.
 */
static void test_stacks_across_machines(void **state)
{
	struct pmm *a = pmm_test_machine("mem=128M page_owner=on", NULL);
	struct pmm *b = pmm_test_machine("mem=128M page_owner=on", NULL);
	struct pmm_page *p;

	(void)state;
	for (volatile int i = 0; i < 3; i++) {
		p = alloc_here(i & 1 ? b : a, 0);
		free_here(i & 1 ? b : a, p);
	}
	pmm_destroy(a);
	a = pmm_test_machine("mem=128M page_owner=on", NULL);
	p = alloc_here(a, 0);
	assert_int_equal(pages_of(a, " alloc_here+"), 1);
	free_here(a, p);
	assert_int_equal(pages_of(a, " alloc_here+"), 0);
	p = alloc_here(b, 0);
	assert_int_equal(pages_of(b, " alloc_here+"), 1);
	free_here(b, p);
	assert_int_equal(pmm_bad_page_count(a) + pmm_bad_page_count(b), 0);
	pmm_destroy(a);
	pmm_destroy(b);
}

/*
 * pmm_set_thread_task()/_time() name their machine: a machine destroyed with
 * them set must not pass them to a later one, even at the same address.
 */
static void test_thread_overrides_die_with_machine(void **state)
{
	struct pmm *old = pmm_test_machine("mem=64M page_owner=on", NULL), *m = NULL;
	struct pmm_page *p;
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(pmm_set_thread_task(old, 4242, 4242, "ghost"), 0);
	pmm_set_thread_time(old, 777);
	pmm_destroy(old);
	for (int tries = 0; tries < 20 && !m; tries++) {
		m = pmm_test_machine("mem=64M page_owner=on", NULL);
		if (m != old) {
			pmm_destroy(m);
			m = NULL;
		}
	}
	if (!m)
		m = pmm_test_machine("mem=64M page_owner=on", NULL);
	print_message("  new machine %s the old one's address\n", m == old ? "at" : "not at");
	p = alloc_here(m, 0);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_null(strstr(text, "ghost"));
	assert_null(strstr(text, "pid 4242"));
	assert_null(strstr(text, "ts 777 ns"));
	free(text);
	/* An override for this machine still applies. */
	assert_int_equal(pmm_set_thread_task(m, 4243, 4243, "live"), 0);
	pmm_set_thread_time(m, 778);
	free_here(m, p);
	p = alloc_here(m, 0);
	text = dump(m, PMM_KVER_6_1, &len);
	assert_non_null(strstr(text, "pid 4243, tgid 4243 (live), ts 778 ns"));
	free(text);
	pmm_set_thread_task(m, -1, -1, NULL);
	pmm_set_thread_time(m, UINT64_MAX);
	free_here(m, p);
	pmm_destroy(m);
}

struct freer {
	struct pmm *m;
	struct pmm_page *p[8];
};

static void *free_in_thread(void *arg)
{
	struct freer *f = arg;

	for (int i = 0; i < 8; i++)
		free_here(f->m, f->p[i]);
	return NULL;
}

/* Pages freed by a thread that did not allocate them leave their stack's count right. */
static void test_free_elsewhere(void **state)
{
	struct freer f = { .m = pmm_test_machine("mem=128M page_owner=on", NULL) };
	pthread_t t;
	char *text;
	size_t len;

	(void)state;
	for (volatile int i = 0; i < 8; i++)
		f.p[i] = alloc_here(f.m, 0);
	assert_int_equal(pages_of(f.m, " alloc_here+"), 8);
	assert_int_equal(pthread_create(&t, NULL, free_in_thread, &f), 0);
	pthread_join(t, NULL);
	assert_int_equal(pages_of(f.m, " alloc_here+"), 0);
	f.p[0] = alloc_here(f.m, 0);
	free_here(f.m, f.p[0]);
	text = dump(f.m, PMM_KVER_6_1, &len);
	assert_int_equal(len, 0);
	free(text);
	pmm_destroy(f.m);
}

struct reallocator {
	struct pmm *m;
	unsigned long pfn;
	atomic_int done;
	int same;
};

/* Free and allocate again, 2000 times: the per-CPU list gives the same frame back. */
static void *realloc_loop(void *arg)
{
	struct reallocator *r = arg;

	for (int i = 0; i < 2000; i++) {
		struct pmm_page *p = pmm_alloc_pages(r->m, PMM_GFP_KERNEL, 0);

		assert_non_null(p);
		r->same += pmm_page_to_pfn(r->m, p) == r->pfn;
		pmm_free_pages(r->m, p, 0);
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/*
 * A bad-page report's page_owner lines (offline reports a page in use)
 * formatted while the frame's owner writes its record: the report prints
 * a copy, and no sanitizer sees the formatting read the record (under
 * TSan, vsnprintf() read comm while an allocation's memcpy() wrote it).
 */
static void test_bad_page_report_beside_writer(void **state)
{
	struct reallocator r = { .m = pmm_test_machine("mem=64M cpus=1 page_owner=on", NULL) };
	struct pmm_page *p = pmm_alloc_pages(r.m, PMM_GFP_KERNEL, 0);
	struct page *page = (struct page *)p;
	pthread_t t;

	(void)state;
	r.pfn = pmm_page_to_pfn(r.m, p);
	pmm_free_pages(r.m, p, 0);
	assert_int_equal(pthread_create(&t, NULL, realloc_loop, &r), 0);
	while (!atomic_load(&r.done))
		dump_page_owner(r.m, page);
	pthread_join(t, NULL);
	assert_true(r.same > 0);
	assert_int_equal(pmm_bad_page_count(r.m), 0);
	pmm_destroy(r.m);
}

/*
 * NULL where a buffer, cursor, stream or machine belongs is refused, and
 * the cursor stays: a NULL @buf with a size once returned the record's
 * length and moved past it, so the record was never read.
 */
static void test_null_arguments(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1 page_owner=on", NULL);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	unsigned long pfn = pmm_page_to_pfn(m, p), pos = pfn;
	char buf[4096];

	(void)state;
	assert_int_equal(pmm_page_owner_read(m, NULL, sizeof(buf), &pos, PMM_KVER_6_1),
			 -PMM_EINVAL);
	assert_int_equal(pos, pfn);
	assert_int_equal(pmm_page_owner_read(m, buf, sizeof(buf), NULL, PMM_KVER_6_1),
			 -PMM_EINVAL);
	assert_int_equal(pmm_page_owner_read(NULL, buf, sizeof(buf), &pos, PMM_KVER_6_1),
			 -PMM_EINVAL);
	assert_int_equal(pos, pfn);
	assert_int_equal(pmm_page_owner_dump(m, NULL, 0, PMM_KVER_6_1), -PMM_EINVAL);
	assert_int_equal(pmm_page_owner_dump(NULL, stdout, 0, PMM_KVER_6_1), -PMM_EINVAL);
	assert_int_equal(pmm_page_owner_show_stacks(NULL, stdout, 0), -PMM_EINVAL);
	/* The record is still there for a proper read. */
	assert_true(pmm_page_owner_read(m, buf, sizeof(buf), &pos, PMM_KVER_6_1) > 0);
	assert_int_equal(pos, pfn + 1);
	pmm_free_pages(m, p, 0);
	pmm_destroy(m);
}

/*
 * With mobility grouping off (a machine this small), every allocation's
 * migratetype is Unmovable whatever its gfp says (the kernel's
 * gfp_migratetype()): in the dump's "type", in a bad-page report's
 * "migratetype" and in pagetypeinfo's mixed blocks, where an Unmovable
 * block holding only such allocations is not mixed.
 */
static void test_mobility_grouping_off(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=8M cpus=1 page_owner=on", &log);
	struct pmm_page *p[4];
	char buf[8192], *text = NULL, *mixed;
	unsigned long pos, mt[5];
	size_t len;
	FILE *f;

	(void)state;
	assert_true(pmm_test_log_has(&log, "mobility grouping off"));
	for (int i = 0; i < 4; i++)
		assert_non_null(p[i] = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0));
	pos = pmm_page_to_pfn(m, p[0]);
	assert_true(pmm_page_owner_read(m, buf, sizeof(buf), &pos, PMM_KVER_6_1) > 0);
	assert_non_null(strstr(buf, "(GFP_HIGHUSER_MOVABLE)"));
	snprintf(buf + 4096, 64, "PFN %lu type Unmovable Block", pmm_page_to_pfn(m, p[0]));
	assert_non_null(strstr(buf, buf + 4096));
	dump_page_owner(m, (struct page *)p[0]);
	assert_true(pmm_test_log_has(&log, "migratetype Unmovable, gfp_mask 0x100cca"));
	f = open_memstream(&text, &len);
	assert_int_equal(pmm_report_pagetypeinfo(m, f), 0);
	fclose(f);
	mixed = strstr(text, "Number of mixed blocks");
	assert_non_null(mixed);
	mixed = strstr(mixed, "zone      DMA");
	assert_non_null(mixed);
	assert_int_equal(sscanf(mixed, "zone      DMA %lu %lu %lu %lu %lu", &mt[0], &mt[1], &mt[2],
				&mt[3], &mt[4]),
			 5);
	assert_int_equal(mt[0], 0);
	free(text);
	for (int i = 0; i < 4; i++)
		pmm_free_pages(m, p[i], 0);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_when_unused),
		cmocka_unit_test(test_per_section_storage),
		cmocka_unit_test(test_page_ext_size_matches_kernel),
		cmocka_unit_test(test_section_goes_away_under_reader),
		cmocka_unit_test(test_dump_structure_like_kernel),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_migrate_needs_same_order),
		cmocka_unit_test(test_show_stacks),
		cmocka_unit_test(test_double_free_report_has_both_stacks),
		cmocka_unit_test(test_bad_page_owner_never_set_and_migrated),
		cmocka_unit_test(test_stack_same_either_way),
		cmocka_unit_test(test_caller_stacks),
		cmocka_unit_test(test_caller_stacks_through_wrapper),
		cmocka_unit_test(test_caller_stacks_in_reports),
		cmocka_unit_test(test_caller_stacks_need_own_walk),
		cmocka_unit_test(test_caller_stacks_nested_machines),
		cmocka_unit_test(test_stacks_taking_turns),
		cmocka_unit_test(test_stacks_across_machines),
		cmocka_unit_test(test_free_elsewhere),
		cmocka_unit_test(test_bad_page_report_beside_writer),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_mobility_grouping_off),
		cmocka_unit_test(test_migrate_head_only),
		cmocka_unit_test(test_thread_overrides_die_with_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
