// SPDX-License-Identifier: MIT
/*
 * Contiguous requests isolate single pageblocks (Linux 6.1), so a free
 * block larger than a pageblock may meet an isolated and a usable
 * pageblock.  These cases put one there and check that nothing is lost,
 * stranded on an isolate list or miscounted.  Concurrency is played out
 * from inside migrate callbacks: the embedder's owners free their pages
 * there, and one request runs nested in another's callback, as two threads
 * would interleave.
 *
 * A = 0x8000 and B = 0x8200 are the two pageblocks of one max-order block,
 * W2 = 0x7e00 the upper pageblock of the block below, C = 0x8400 the first
 * pageblock of the block above.
 */
#include "harness.h"

#include <pmm/hotplug.h>
#include <pmm/trace.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define A 0x8000ul
#define B 0x8200ul
#define C 0x8400ul
#define W2 0x7e00ul

/*
 * Nothing isolated, nothing lost: pmm_validate() (assert_machine_valid())
 * also checks that every block on an isolate list lies in an isolated
 * pageblock and that nr_isolate_pageblock counts the isolated ones.
 */
static void expect_clean(struct pmm *m, struct zone *z, unsigned long free0)
{
	pmm_drain_all(m);
	assert_int_equal(z->nr_isolate_pageblock, 0);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_machine_valid(m);
}

/* ------------------------------------------------------------------ 1 */
/*
 * Two requests hold A and B of one max-order block isolated; the owners
 * free the last pages of A and B, which merge into one order-10 block on
 * the isolate list (both pageblocks are MIGRATE_ISOLATE).  The request
 * for A (nested, range [W2+0x10, A+0x11)) then fails: its pw in W2 is
 * refused.  unset_migratetype_isolate(A) moves the whole order-10 block,
 * B's frames included, to the movable list and counts 1024 free pages
 * while B is still isolated.  The request for B then succeeds and
 * isolate_freepages_range_locked() takes pb out of that block as if it
 * were on an isolate list.
 */
struct ctx1 {
	unsigned long pa, pb, pw;
	int nested_err, calls;
};

static int migrate1(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct ctx1 *x = c;

	(void)order;
	x->calls++;
	if (pfn == x->pb) {
		/* The request for B holds B isolated: now one for W2 and A. */
		x->nested_err = pmm_alloc_contig_range(m, x->pw, x->pa + 1, PMM_GFP_KERNEL);
		/* pb was freed by its owner meanwhile (below): "moved". */
		return 0;
	}
	if (pfn == x->pw) {
		/* Both A and B isolated: the owners of pa and pb free them now. */
		pmm_free_pages(m, pmm_pfn_to_page(m, x->pa), 0);
		pmm_free_pages(m, pmm_pfn_to_page(m, x->pb), 0);
		return -PMM_EBUSY; /* pw cannot move: the request for A fails */
	}
	return -PMM_EBUSY;
}

static void test_merged_isolated_pair_head_undone_first(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct zone *z = page_zone(m, pfn_to_page(m, A));
	struct ctx1 x = { .pa = A + 0x10, .pb = B + 0x10, .pw = W2 + 0x10 };
	struct pmm_mm_ops ops = { .migrate = migrate1 };
	unsigned long free0;
	int err;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_int_equal(pmm_alloc_contig_range(m, x.pa, x.pa + 1, PMM_GFP_KERNEL), 0);
	assert_int_equal(pmm_alloc_contig_range(m, x.pb, x.pb + 1, PMM_GFP_KERNEL), 0);
	assert_int_equal(pmm_alloc_contig_range(m, x.pw, x.pw + 1, PMM_GFP_KERNEL), 0);
	pmm_set_mm_ops(m, &ops, &x);
	err = pmm_alloc_contig_range(m, x.pb, x.pb + 1, PMM_GFP_KERNEL);
	pmm_set_mm_ops(m, NULL, NULL);
	if (!err)
		pmm_free_contig_range(m, x.pb, 1);
	pmm_free_contig_range(m, x.pw, 1);
	expect_clean(m, z, free0);
	pmm_destroy(m);
}

/* ------------------------------------------------------------------ 2 */
/*
 * An allocated (non-compound) order-10 block covers A and B.  A request
 * for [B+100, C+6) isolates B and C: has_unmovable_pages_locked() sees only
 * B's tail frames (refcount 0) and lets it pass.  While B is isolated the
 * owner frees the order-10 block: free_one_page() lists it whole under
 * A's type (movable, counted), B's frames with it.  The request then finds
 * the block's head A at free_block_head_locked(B+100) and
 * isolate_freepages_range_locked() treats it as isolated.
 */
struct ctx2 {
	struct pmm_page *big;
	unsigned long pc;
};

static int migrate2(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct ctx2 *x = c;

	(void)order;
	if (pfn != x->pc)
		return -PMM_EBUSY;
	pmm_free_pages(m, x->big, 10); /* its owner frees the order-10 block now */
	x->big = NULL;
	pmm_free_pages(m, pmm_pfn_to_page(m, pfn), 0);
	return 0;
}

static void test_order10_free_into_half_isolated(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct zone *z;
	struct ctx2 x = { 0 };
	struct pmm_mm_ops ops = { .migrate = migrate2 };
	struct pmm_page *keep[512];
	unsigned long free0, p, b;
	int nk = 0, err;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	/* An order-10 movable block with a free first pageblock above it. */
	for (;;) {
		struct pmm_page *pg = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_NOWARN, 10);

		assert_non_null(pg);
		p = pmm_page_to_pfn(m, pg);
		if (p + 2048 <= pmm_max_pfn(m) && !pmm_alloc_contig_range(m, p + 1024 + 5, p + 1024 + 6,
									 PMM_GFP_KERNEL)) {
			x.big = pg;
			break;
		}
		assert_true(nk < 512);
		keep[nk++] = pg;
	}
	while (nk)
		pmm_free_pages(m, keep[--nk], 10);
	z = page_zone(m, pfn_to_page(m, p));
	b = p + 512;
	x.pc = p + 1024 + 5;
	pmm_set_mm_ops(m, &ops, &x);
	err = pmm_alloc_contig_range(m, b + 100, x.pc + 1, PMM_GFP_KERNEL);
	pmm_set_mm_ops(m, NULL, NULL);
	if (!err)
		pmm_free_contig_range(m, b + 100, x.pc + 1 - (b + 100));
	else if (x.big)
		pmm_free_pages(m, x.big, 10);
	expect_clean(m, z, free0);
	pmm_destroy(m);
}

/* ------------------------------------------------------------------ 3 */
/*
 * As 1, but once the merged block sits on the movable list with B still
 * isolated, unmovable order-10 allocations take the movable order-10
 * blocks (a fallback steal each: change_pageblock_range() over both
 * pageblocks) until they take this one: B's MIGRATE_ISOLATE is overwritten
 * with MIGRATE_UNMOVABLE, B's own request can no longer undo it and
 * nr_isolate_pageblock stays up.
 */
struct ctx3 {
	struct ctx1 c1;
	struct pmm_page *got[256];
	int n;
	bool hit;
};

static int migrate3(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct ctx3 *x = c;
	int r = migrate1(&x->c1, m, pfn, order);

	if (pfn == x->c1.pb) {
		while (x->n < 256) {
			struct pmm_page *pg = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN |
									 PMM___GFP_NORETRY, 10);

			if (!pg)
				break;
			x->got[x->n++] = pg;
			if (pmm_page_to_pfn(m, pg) == A) {
				x->hit = true;
				break;
			}
		}
	}
	return r;
}

static void test_steal_overwrites_isolate(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct zone *z = page_zone(m, pfn_to_page(m, A));
	struct ctx3 x = { .c1 = { .pa = A + 0x10, .pb = B + 0x10, .pw = W2 + 0x10 } };
	struct pmm_mm_ops ops = { .migrate = migrate3 };
	unsigned long free0;
	int err;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_int_equal(pmm_alloc_contig_range(m, x.c1.pa, x.c1.pa + 1, PMM_GFP_KERNEL), 0);
	assert_int_equal(pmm_alloc_contig_range(m, x.c1.pb, x.c1.pb + 1, PMM_GFP_KERNEL), 0);
	assert_int_equal(pmm_alloc_contig_range(m, x.c1.pw, x.c1.pw + 1, PMM_GFP_KERNEL), 0);
	pmm_set_mm_ops(m, &ops, &x);
	err = pmm_alloc_contig_range(m, x.c1.pb, x.c1.pb + 1, PMM_GFP_KERNEL);
	pmm_set_mm_ops(m, NULL, NULL);
	if (!err)
		pmm_free_contig_range(m, x.c1.pb, 1);
	while (x.n)
		pmm_free_pages(m, x.got[--x.n], 10);
	pmm_free_contig_range(m, x.c1.pw, 1);
	expect_clean(m, z, free0);
	pmm_destroy(m);
}

/* ------------------------------------------------------------------ 4 */
/*
 * The plainest case: a request for the first frame of a movable order-10
 * block someone holds.  Only its pageblock A is isolated; the migrate
 * callback moves the block and frees it, and free_one_page() lists it whole
 * under A's type (isolate), B's 512 frames with it although B is not
 * isolated.  isolate_freepages_range_locked() then gives every frame but
 * the first back as MIGRATE_ISOLATE, B's included: they sit on the isolate
 * lists of a movable pageblock, uncounted and never allocated.
 */
struct ctx4 {
	struct pmm_page *big, *moved;
};

static int migrate4(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct ctx4 *x = c;

	if (!x->big || pfn != pmm_page_to_pfn(m, x->big) || order != 10)
		return -PMM_EBUSY;
	x->moved = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_NOWARN, 10);
	if (!x->moved)
		return -PMM_ENOMEM;
	pmm_free_pages(m, x->big, 10);
	x->big = NULL;
	return 0;
}

static void test_range_at_order10_head(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct ctx4 x = { 0 };
	struct pmm_mm_ops ops = { .migrate = migrate4 };
	unsigned long free0, p;
	struct zone *z;
	int err;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	x.big = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 10);
	assert_non_null(x.big);
	p = pmm_page_to_pfn(m, x.big);
	z = page_zone(m, pfn_to_page(m, p));
	pmm_set_mm_ops(m, &ops, &x);
	err = pmm_alloc_contig_range(m, p, p + 1, PMM_GFP_HIGHUSER_MOVABLE);
	pmm_set_mm_ops(m, NULL, NULL);
	if (!err)
		pmm_free_contig_range(m, p, 1);
	if (x.big)
		pmm_free_pages(m, x.big, 10);
	if (x.moved)
		pmm_free_pages(m, x.moved, 10);
	expect_clean(m, z, free0);
	pmm_destroy(m);
}

/*
 * A movable compound order-10 block crosses into the range's pageblock
 * from outside: 6.1's isolate_single_pageblock() migrates it whole, and so
 * does pmm (the migrate callback, asked about the head outside the
 * range); its frames then split by pageblock as they are freed.  The same
 * block in an unmovable pageblock, or without a callback, stays: -EBUSY.
 * Both directions: the block below the range, and the block above it.
 */
static int move_compound(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct ctx4 *x = c;

	if (!x->big || pfn != pmm_page_to_pfn(m, x->big) || order != 10)
		return -PMM_EBUSY;
	x->moved = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_COMP | PMM___GFP_NOWARN, 10);
	if (!x->moved)
		return -PMM_ENOMEM;
	pmm_free_pages(m, x->big, 10);
	x->big = NULL;
	return 0;
}

static void straddling(unsigned long off, unsigned long len)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct ctx4 x = { 0 };
	struct pmm_mm_ops ops = { .migrate = move_compound };
	unsigned long free0, p;
	struct zone *z;

	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	x.big = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_COMP, 10);
	assert_non_null(x.big);
	p = pmm_page_to_pfn(m, x.big);
	z = page_zone(m, pfn_to_page(m, p));
	/* No callback: the block cannot go, the request is busy. */
	assert_int_equal(pmm_alloc_contig_range(m, p + off, p + off + len, PMM_GFP_KERNEL), -PMM_EBUSY);
	assert_non_null(x.big);
	pmm_set_mm_ops(m, &ops, &x);
	assert_int_equal(pmm_alloc_contig_range(m, p + off, p + off + len, PMM_GFP_KERNEL), 0);
	pmm_set_mm_ops(m, NULL, NULL);
	assert_null(x.big);
	assert_non_null(x.moved);
	assert_int_equal(z->nr_isolate_pageblock, 0);
	pmm_free_contig_range(m, p + off, len);
	pmm_free_pages(m, x.moved, 10);
	expect_clean(m, z, free0);
	pmm_destroy(m);
}

static void test_compound_straddling_moved(void **state)
{
	(void)state;
	straddling(600, 1);   /* the block's head lies in the pageblock below the range */
	straddling(400, 100); /* the range ends in the block's first pageblock */
}

/*
 * The migrate callback is asked about a block pmm holds a reference on
 * (the kernel's migration takes one too), so the block cannot be freed and
 * handed to someone else while the callback looks, and @order is the
 * block's as allocated.  The owner may still free it during the call; the
 * pin's drop then frees the first frame.  Cases: a plain order-3 block
 * moved, a compound order-2 block moved, a callback that frees the block
 * and says busy, one that says "moved" but keeps it (asked 6.1's 10
 * passes, then busy, nothing changed), and a move beside a second,
 * passing reference (another scanner's pin, played by the callback's
 * own get, dropped when it is asked again): the block is asked about
 * again and the move succeeds.
 */
enum pin_mode { PIN_MOVE, PIN_FREE_BUSY, PIN_KEEP, PIN_PASSING };

struct ctx_pin {
	enum pin_mode mode;
	struct pmm_page *blk, *moved, *passing;
	unsigned order, asked_order;
	pmm_gfp_t gfp;
	int count_in_call, calls;
};

static int migrate_pin(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct ctx_pin *x = c;

	x->calls++;
	if (x->passing && pfn == pmm_page_to_pfn(m, x->passing)) {
		/* Asked again about the block it gave away: the passing reference goes. */
		assert_int_equal(pmm_page_count(x->passing), 2);
		pmm_put_page(m, x->passing);
		x->passing = NULL;
		return 0;
	}
	if (!x->blk || pfn != pmm_page_to_pfn(m, x->blk))
		return -PMM_EBUSY;
	x->asked_order = order;
	x->count_in_call = pmm_page_count(x->blk);
	if (x->mode == PIN_KEEP)
		return 0;
	if (x->mode == PIN_PASSING) {
		assert_int_equal(pmm_get_page(m, x->blk), 0);
		x->passing = x->blk;
	}
	if (x->mode == PIN_MOVE || x->mode == PIN_PASSING) {
		x->moved = pmm_alloc_pages(m, x->gfp | PMM___GFP_NOWARN, x->order);
		if (!x->moved)
			return -PMM_ENOMEM;
	}
	pmm_free_pages(m, x->blk, x->order);
	x->blk = NULL;
	/* Freed under the pin: the first frame is still held (and by the passing reference). */
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, pfn)), x->passing ? 2 : 1);
	return x->mode == PIN_FREE_BUSY ? -PMM_EBUSY : 0;
}

static void pin_case(enum pin_mode mode, unsigned order, bool comp)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	struct ctx_pin x = { .mode = mode, .order = order };
	struct pmm_mm_ops ops = { .migrate = migrate_pin };
	unsigned long free0, p;
	struct zone *z;
	int err;

	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	x.gfp = PMM_GFP_HIGHUSER_MOVABLE | (comp ? PMM___GFP_COMP : 0);
	x.blk = pmm_alloc_pages(m, x.gfp, order);
	assert_non_null(x.blk);
	p = pmm_page_to_pfn(m, x.blk);
	z = page_zone(m, pfn_to_page(m, p));
	pmm_set_mm_ops(m, &ops, &x);
	err = pmm_alloc_contig_range(m, p, p + (1ul << order), PMM_GFP_KERNEL);
	pmm_set_mm_ops(m, NULL, NULL);
	assert_int_equal(x.calls, mode == PIN_KEEP ? 10 : mode == PIN_PASSING ? 2 : 1);
	assert_null(x.passing);
	assert_int_equal(x.asked_order, order);
	/* The owner's reference and pmm's. */
	assert_int_equal(x.count_in_call, 2);
	switch (mode) {
	case PIN_MOVE:
	case PIN_PASSING:
		assert_int_equal(err, 0);
		for (unsigned long i = 0; i < (1ul << order); i++)
			assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, p + i)), 1);
		pmm_free_contig_range(m, p, 1ul << order);
		pmm_free_pages(m, x.moved, order);
		break;
	case PIN_FREE_BUSY:
		assert_int_equal(err, -PMM_EBUSY);
		assert_null(x.blk);
		break;
	case PIN_KEEP:
		/* "Moved" but still held: busy, and the block is as it was. */
		assert_int_equal(err, -PMM_EBUSY);
		assert_int_equal(pmm_page_count(x.blk), 1);
		pmm_free_pages(m, x.blk, order);
		break;
	}
	expect_clean(m, z, free0);
	pmm_destroy(m);
}

static void test_migrate_holds_block(void **state)
{
	(void)state;
	pin_case(PIN_MOVE, 3, false);
	pin_case(PIN_MOVE, 2, true);
	pin_case(PIN_FREE_BUSY, 3, false);
	pin_case(PIN_FREE_BUSY, 2, true);
	pin_case(PIN_KEEP, 3, false);
	pin_case(PIN_PASSING, 3, false);
	pin_case(PIN_PASSING, 2, true);
}

/* Trace lines naming @what that a writer put in @buf. */
static unsigned long count_lines(const char *buf, const char *what)
{
	unsigned long n = 0;

	for (const char *p = buf; (p = strstr(p, what)); p++)
		n++;
	return n;
}

struct move_one {
	unsigned long pfn;
};

/* Move the order-0 page at x->pfn: a fresh page, then the old one freed. */
static int move_one(void *c, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct move_one *x = c;

	if (pfn != x->pfn || order)
		return 0;
	if (!pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0))
		return -PMM_ENOMEM;
	pmm_free_pages(m, pmm_pfn_to_page(m, pfn), 0);
	x->pfn = 0;
	return 0;
}

/*
 * What a range counts and traces, as 6.1's alloc_contig_range(): no
 * pgalloc for the range (split_map_pages() only takes frames off the
 * lists); the frames of the free block outside the range go back one
 * by one (free_contig_range() of head and tail: an order-0 mm_page_free
 * each, no pgfree, as their pageblock is isolated); a page migrated
 * away from an isolated pageblock is freed without pgfree too.  The
 * migration's new page is an allocation like any other (pgalloc 1).
 */
static void test_contig_counts_and_events(void **state)
{
	struct pmm *m = pmm_test_machine("mem=256M cpus=1", NULL);
	const unsigned long x = 0x8000;
	struct pmm_trace_attach_opts o = { .kinds = 1u << PMM_TRACE_MM_PAGE_FREE, .no_header = 1 };
	struct pmm_mm_ops ops = { .migrate = move_one };
	struct move_one mv;
	struct pmm_trace_writer *w;
	struct pmm_page *p;
	unsigned long a0, f0, len;
	char *buf;
	FILE *f;

	(void)state;
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, x)), 0);
	a0 = pmm_test_vmstat(m, "pgalloc_dma32");
	f0 = pmm_test_vmstat(m, "pgfree");
	f = open_memstream(&buf, &len);
	assert_int_equal(pmm_trace_attach(m, f, &o, &w), 0);
	assert_int_equal(pmm_alloc_contig_range(m, x + 1, x + 2, PMM_GFP_KERNEL), 0);
	assert_int_equal(pmm_trace_detach(w), 0);
	fclose(f);
	assert_int_equal(pmm_test_vmstat(m, "pgalloc_dma32"), a0);
	assert_int_equal(pmm_test_vmstat(m, "pgfree"), f0);
	/* The range's pageblock was one free block: all of it but the frame is given back. */
	assert_int_equal(count_lines(buf, "mm_page_free: "), pageblock_nr_pages - 1);
	assert_int_equal(count_lines(buf, "order=0\n"), pageblock_nr_pages - 1);
	free(buf);
	pmm_free_contig_range(m, x + 1, 1);

	pmm_set_mm_ops(m, &ops, &mv);
	p = pmm_alloc_pages(m, PMM_GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(p);
	mv.pfn = pmm_page_to_pfn(m, p);
	pmm_drain_all(m);
	a0 = pmm_test_vmstat(m, "pgalloc_dma32") + pmm_test_vmstat(m, "pgalloc_normal");
	f0 = pmm_test_vmstat(m, "pgfree");
	assert_int_equal(pmm_alloc_contig_range(m, pmm_page_to_pfn(m, p), pmm_page_to_pfn(m, p) + 1,
						 PMM_GFP_KERNEL),
			 0);
	assert_int_equal(mv.pfn, 0);
	assert_int_equal(pmm_test_vmstat(m, "pgalloc_dma32") + pmm_test_vmstat(m, "pgalloc_normal"),
			 a0 + 1);
	assert_int_equal(pmm_test_vmstat(m, "pgfree"), f0);
	pmm_set_mm_ops(m, NULL, NULL);
	pmm_free_contig_range(m, pmm_page_to_pfn(m, p), 1);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * A request that found a block online may reach its pageblocks after the
 * block went offline.  With memmap=altmap the block's first pageblock is
 * its own memmap, which offline never isolates: it keeps its type while
 * the section is offline (and online rewrites its zone links, into
 * another zone if the block comes back elsewhere).  Isolating it then
 * counted an isolated pageblock in a zone with no memory left, for good.
 * Played here by calling the isolation as such a late request would.
 */
static void test_offline_memmap_pageblock_not_isolated(void **state)
{
	struct pmm *m = pmm_test_machine("mem=512M cpus=2 backend=memfd memmap=altmap", NULL);
	const unsigned long blk = 0x18000, nr = PMM_PAGES_PER_MEMORY_BLOCK;
	struct zone *movable;

	(void)state;
	/* The block alone in ZONE_MOVABLE, then offline: the zone has nothing left. */
	assert_int_equal(pmm_offline_pages(m, blk, nr), 0);
	assert_int_equal(pmm_online_pages(m, blk, nr, PMM_ONLINE_MOVABLE), 0);
	movable = page_zone(m, pfn_to_page(m, blk + nr - 1));
	assert_int_equal(movable->zone_idx, ZONE_MOVABLE);
	assert_int_equal(pmm_offline_pages(m, blk, nr), 0);
	assert_false(populated_zone(movable));
	assert_false(is_migrate_isolate(get_pfnblock_migratetype(m, blk)));
	assert_int_equal(start_isolate_page_range(m, blk, blk + pageblock_nr_pages, MIGRATE_MOVABLE,
						  false),
			 -PMM_EBUSY);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		assert_int_equal(m->node_data[0]->node_zones[zi].nr_isolate_pageblock, 0);
	assert_int_equal(pmm_online_pages(m, blk, nr, PMM_ONLINE_KERNEL), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merged_isolated_pair_head_undone_first),
		cmocka_unit_test(test_order10_free_into_half_isolated),
		cmocka_unit_test(test_steal_overwrites_isolate),
		cmocka_unit_test(test_range_at_order10_head),
		cmocka_unit_test(test_compound_straddling_moved),
		cmocka_unit_test(test_migrate_holds_block),
		cmocka_unit_test(test_contig_counts_and_events),
		cmocka_unit_test(test_offline_memmap_pageblock_not_isolated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
