// SPDX-License-Identifier: MIT
/*
 * Fault sweeps (SQLite's faultsim method): for every public call that can
 * fail, fail its 1st, 2nd, ... N-th platform reservation, commit or
 * bookkeeping allocation (the faulty platform), or its N-th page
 * allocation (pmm_fail_nth()), until the call goes through without a
 * failure.  Every injected failure must give an error or NULL (or, where a
 * debugging aid absorbs it by design, a documented degraded success), and
 * afterwards:
 *   - nothing leaks: the faulty platform's outstanding count is 0 after
 *     pmm_destroy(), and free pages are back to what they were before the
 *     call once its results are released;
 *   - pmm_validate() is clean.
 * Prints "fault sweep: N points, 0 leaks".
 */
#include "harness.h"

#include <pmm/page_owner.h>

#include "mm/internal.h"

#define ALL_FAULTS (PMM_FAULT_RESERVE | PMM_FAULT_COMMIT | PMM_FAULT_ALLOC)

static unsigned long total_points, total_absorbed;

/* ------------------------------------------------------------ pmm_create */

static void sweep_create(const char *cfg)
{
	unsigned long points = 0, absorbed = 0;

	for (unsigned long n = 1;; n++) {
		struct pmm_platform_faulty f;
		struct pmm_config c;
		struct pmm *m = NULL;
		char err[256];
		int r;

		pmm_config_default(&c);
		if (pmm_config_parse(&c, cfg, strlen(cfg), "<t>", err, sizeof(err)))
			fail_msg("%s: %s", cfg, err);
		pmm_platform_faulty_init(&f, pmm_platform_posix(), ALL_FAULTS, n);
		c.platform = &f.ops;
		c.log = pmm_test_log_sink;
		c.log_ctx = NULL;
		r = pmm_create(&c, &m);
		if (!f.failures) {
			assert_int_equal(r, 0);
			assert_machine_valid(m);
			pmm_destroy(m);
			if (f.outstanding)
				fail_msg("%s: clean boot leaked %ld resources", cfg, f.outstanding);
			break;
		}
		points++;
		if (r == 0) {
			/* Only a debugging aid may absorb a failure; the machine must work. */
			struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
			assert_non_null(p);
			pmm_free_pages(m, p, 3);
			assert_machine_valid(m);
			pmm_destroy(m);
			total_absorbed++;
			absorbed++;
		} else if (m != NULL) {
			fail_msg("%s: failing call %lu: error %s but *out is set", cfg, n, pmm_errname(r));
		}
		if (f.outstanding)
			fail_msg("%s: failing call %lu: %ld resources (%zu bytes) leaked", cfg, n,
				 f.outstanding, f.outstanding_bytes);
	}
	print_message("  pmm_create(\"%s\"): %lu points (%lu absorbed)\n", cfg, points, absorbed);
	total_points += points;
}

static void test_create(void **state)
{
	static const char *const cfgs[] = {
		"mem=64M cpus=2",
		"mem=256M nodes=2 cpus=4 page_owner=on",
		"mem=128M pcp=off page_poison=on",
		"mem=64M memmap=huge debug_pagealloc=on",
		"node=0:0x0-0x7ffffff node=0:0x10000000-0x17ffffff reserve=0x0-0xfffff cpus=3",
		"mem=512M nodes=4 cpus=8 movablecore=25% page_alloc.shuffle=1 page_owner=on",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		sweep_create(cfgs[i]);
}

/* ------------------------------------------------------------ calls on a live machine */

struct call {
	const char *name;
	const char *cfg;
	bool may_absorb;          /* a debugging aid may go on without the memory */
	int (*call)(struct pmm *m, void **res);
	void (*undo)(struct pmm *m, void *res, int r);
};

static unsigned long free_now(struct pmm *m)
{
	pmm_drain_all(m);
	return pmm_nr_free_pages(m);
}

/* Fail the n-th counted platform call of @c->call for n = 1, 2, ... */
static void sweep_call(const struct call *c)
{
	unsigned long points = 0;

	for (unsigned long n = 1;; n++) {
		struct pmm_platform_faulty f;
		struct pmm_config cfg;
		struct pmm *m;
		unsigned long before, failures;
		void *res = NULL;
		int r;

		pmm_config_default(&cfg);
		pmm_config_parse(&cfg, c->cfg, strlen(c->cfg), "<t>", NULL, 0);
		pmm_platform_faulty_init(&f, pmm_platform_posix(), ALL_FAULTS, 0);
		cfg.platform = &f.ops;
		cfg.log = pmm_test_log_sink;
		cfg.log_ctx = NULL;
		assert_int_equal(pmm_create(&cfg, &m), 0);
		pmm_set_thread_cpu(m, 0);
		before = free_now(m);
		f.calls = 0;
		failures = f.failures;
		f.fail_nth = n;
		r = c->call(m, &res);
		f.fail_nth = 0;
		if (f.failures == failures) {
			if (r)
				fail_msg("%s: no failure injected but the call failed: %s", c->name,
					 pmm_errname(r));
			c->undo(m, res, r);
		} else {
			points++;
			if (r == 0 && !c->may_absorb)
				fail_msg("%s: platform call %lu failed but the call succeeded", c->name, n);
			if (r == 0)
				total_absorbed++;
			c->undo(m, res, r);
		}
		if (free_now(m) != before)
			fail_msg("%s: failing call %lu: %lu free pages before, %lu after", c->name, n,
				 before, free_now(m));
		assert_machine_valid(m);
		pmm_set_thread_cpu(m, -1);
		pmm_destroy(m);
		if (f.outstanding)
			fail_msg("%s: failing call %lu: %ld resources (%zu bytes) leaked", c->name, n,
				 f.outstanding, f.outstanding_bytes);
		if (f.failures == failures)
			break;
	}
	print_message("  %s: %lu points\n", c->name, points);
	total_points += points;
}

static int report_cb(void *ctx, const struct pmm_reported_block *b, unsigned n)
{
	(void)ctx;
	(void)b;
	(void)n;
	return 0;
}

static int call_reporting(struct pmm *m, void **res)
{
	int r = pmm_page_reporting_register(m, 0, NULL, NULL);

	*res = (void *)(uintptr_t)(r == 0);
	if (r == 0) {
		/* A second registration is refused whatever happens to memory. */
		if (pmm_page_reporting_register(m, 0, report_cb, NULL) != -PMM_EBUSY)
			return -PMM_EINVAL;
		pmm_page_reporting_run(m);
	}
	return r;
}

static void undo_reporting(struct pmm *m, void *res, int r)
{
	(void)r;
	if (res)
		pmm_page_reporting_unregister(m);
	assert_int_equal(pmm_page_reporting_reported(m), 0);
}

static int call_fail_attr(struct pmm *m, void **res)
{
	struct pmm_fail_attr a;
	int r;

	pmm_fail_attr_default(&a);
	a.probability = 100;
	a.times = 1;
	a.verbose = 0;
	r = pmm_fail_page_alloc_set(m, &a);
	*res = (void *)(uintptr_t)(r == 0);
	return r;
}

static void undo_fail_attr(struct pmm *m, void *res, int r)
{
	struct pmm_page *p;

	(void)r;
	if (res) {
		/* Armed: the first eligible allocation fails, the next does not. */
		assert_null(pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, 2));
		p = pmm_alloc_pages(m, PMM_GFP_NOWAIT, 2);
		assert_non_null(p);
		pmm_free_pages(m, p, 2);
	}
	assert_int_equal(pmm_fail_page_alloc_set(m, NULL), 0);
}

#define CONTIG_START 0x3200ul
#define CONTIG_NR 300ul

static int call_contig(struct pmm *m, void **res)
{
	int r = pmm_alloc_contig_range(m, CONTIG_START, CONTIG_START + CONTIG_NR, PMM_GFP_KERNEL);

	*res = (void *)(uintptr_t)(r == 0);
	return r;
}

static void undo_contig(struct pmm *m, void *res, int r)
{
	(void)r;
	if (res)
		pmm_free_contig_range(m, CONTIG_START, CONTIG_NR);
}

static int call_contig_pages(struct pmm *m, void **res)
{
	struct pmm_page *p = pmm_alloc_contig_pages(m, 200, PMM_GFP_HIGHUSER_MOVABLE, -1);

	*res = p;
	return p ? 0 : -PMM_ENOMEM;
}

static void undo_contig_pages(struct pmm *m, void *res, int r)
{
	(void)r;
	if (res)
		pmm_free_contig_range(m, pmm_page_to_pfn(m, res), 200);
}

/* A burst of allocations of every order, with page_owner recording them. */
struct burst {
	struct pmm_page *p[64];
	unsigned order[64];
	unsigned n;
};

static int call_alloc_burst(struct pmm *m, void **res)
{
	struct burst *b = calloc(1, sizeof(*b));

	*res = b;
	for (unsigned i = 0; i < 44; i++) {
		b->order[b->n] = i % 11;
		b->p[b->n] = pmm_alloc_pages(m, (i & 1 ? PMM___GFP_COMP : 0) | PMM_GFP_KERNEL, i % 11);
		if (!b->p[b->n])
			return -PMM_ENOMEM;
		b->n++;
	}
	return 0;
}

static void undo_alloc_burst(struct pmm *m, void *res, int r)
{
	struct burst *b = res;

	(void)r;
	for (unsigned i = 0; i < b->n; i++)
		pmm_free_pages(m, b->p[i], b->order[i]);
	free(b);
}

static int call_owner_dump(struct pmm *m, void **res)
{
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
	FILE *out = fopen("/dev/null", "w");
	int r;

	*res = p;
	r = pmm_page_owner_dump(m, out, 0, PMM_KVER_6_1);
	fclose(out);
	return r;
}

static void undo_owner_dump(struct pmm *m, void *res, int r)
{
	(void)r;
	if (res)
		pmm_free_pages(m, res, 1);
}

static void test_live_calls(void **state)
{
	static const struct call calls[] = {
		{ "pmm_page_reporting_register", "mem=128M cpus=2", false, call_reporting, undo_reporting },
		{ "pmm_fail_page_alloc_set", "mem=64M cpus=2", false, call_fail_attr, undo_fail_attr },
		{ "pmm_alloc_contig_range", "mem=64M cpus=2", false, call_contig, undo_contig },
		/* page_owner: a stack the depot cannot store is recorded with its failure handle. */
		{ "pmm_alloc_contig_range page_owner=on", "mem=64M cpus=2 page_owner=on", true, call_contig,
		  undo_contig },
		{ "pmm_alloc_contig_pages page_owner=on", "mem=64M cpus=2 page_owner=on", true,
		  call_contig_pages, undo_contig_pages },
		{ "pmm_alloc_pages x44 page_owner=on", "mem=256M cpus=2 page_owner=on", true,
		  call_alloc_burst, undo_alloc_burst },
		{ "pmm_page_owner_dump", "mem=64M cpus=2 page_owner=on", true, call_owner_dump,
		  undo_owner_dump },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		sweep_call(&calls[i]);
}

/* ------------------------------------------------------------ fail-nth, every order */

/*
 * For each order, a sequence of allocations through every entry point; fail
 * its 1st, 2nd, ... allocation with pmm_fail_nth() until none fails.  The
 * failed one returns NULL (bulk: fills fewer slots), the rest succeed.
 */
#define SEQ 6

static void sweep_fail_nth(const char *cfg)
{
	struct pmm *m = pmm_test_machine(cfg, NULL);
	unsigned long base = free_now(m), points = 0, bulk_ok;
	struct pmm_page *bulk0[8] = { 0 };

	pmm_set_thread_cpu(m, 0);
	/* What bulk gives without faults: 8 pages with per-CPU lists, 1 without. */
	bulk_ok = pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 8, bulk0);
	for (unsigned i = 0; i < 8; i++)
		if (bulk0[i])
			pmm_free_pages(m, bulk0[i], 0);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++) {
		for (unsigned long n = 1;; n++) {
			struct pmm_page *p[SEQ] = { 0 }, *bulk[8] = { 0 };
			void *addr, *exact;
			unsigned failed = 0;
			unsigned long got;

			pmm_fail_nth(m, n);
			p[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL, order);
			p[1] = pmm_alloc_pages(m, PMM_GFP_ATOMIC | PMM___GFP_COMP, order);
			p[2] = pmm_alloc_pages_node(m, 0, PMM_GFP_HIGHUSER_MOVABLE, order);
			p[3] = pmm_alloc_pages(m, PMM_GFP_NOWAIT | PMM___GFP_NOWARN, order);
			addr = pmm_get_free_pages(m, PMM_GFP_DMA32, order);
			exact = pmm_alloc_pages_exact(m, (PMM_PAGE_SIZE << order) - 100, PMM_GFP_KERNEL);
			got = pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 8, bulk);
			pmm_fail_nth(m, 0);
			for (unsigned i = 0; i < 4; i++)
				failed += !p[i];
			failed += !addr + !exact + (got < bulk_ok);
			if (n <= 7 && failed != 1)
				fail_msg("%s order %u: failing allocation %lu: %u calls failed, want 1", cfg,
					 order, n, failed);
			for (unsigned i = 0; i < 4; i++)
				if (p[i])
					pmm_free_pages(m, p[i], order);
			if (addr)
				pmm_free_pages_addr(m, addr, order);
			if (exact)
				pmm_free_pages_exact(m, exact, (PMM_PAGE_SIZE << order) - 100);
			for (unsigned i = 0; i < 8; i++)
				if (bulk[i])
					pmm_free_pages(m, bulk[i], 0);
			if (free_now(m) != base)
				fail_msg("%s order %u: failing allocation %lu: %lu free pages, want %lu", cfg,
					 order, n, free_now(m), base);
			assert_machine_valid(m);
			if (!failed)
				break;
			points++;
		}
	}
	assert_int_equal(pmm_bad_page_count(m), 0);
	pmm_set_thread_cpu(m, -1);
	pmm_destroy(m);
	print_message("  fail-nth, every order (%s): %lu points\n", cfg, points);
	total_points += points;
}

static void test_fail_nth_every_order(void **state)
{
	(void)state;
	sweep_fail_nth("mem=256M cpus=2");
	sweep_fail_nth("mem=256M cpus=2 pcp=off");
	sweep_fail_nth("mem=256M nodes=2 cpus=2 page_owner=on");
}

static void test_summary(void **state)
{
	(void)state;
	print_message("fault sweep: %lu points, 0 leaks (%lu absorbed by debugging aids)\n", total_points,
		      total_absorbed);
	assert_true(total_points > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_live_calls),
		cmocka_unit_test(test_fail_nth_every_order),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
