// SPDX-License-Identifier: MIT
/*
 * The misuse catalogue: one test per class of bad input, each asserting
 *   - the report in the kernel's bad_page() format ("BUG: Bad page state in
 *     process <comm>  pfn:<pfn>" ... "page dumped because: <reason>"), or the
 *     warning for a refused request, captured from the machine's log;
 *   - pmm_bad_page_count() and the pmm_set_bad_page_handler() callback;
 *   - that the misuse was contained: pmm_validate() is clean and the shadow
 *     model (tests/model) agrees with every frame's state afterwards, and at
 *     the end everything comes back (buddyinfo as after boot).
 * Both modes are covered: report-and-continue (the default) and fatal=on,
 * where the report ends with a "Kernel panic - not syncing" line and the
 * embedder's handler, whose contract is then to abort, is called.
 *
 * Out of scope: use after pmm_destroy().  The machine's memory is unmapped
 * and its struct pmm freed, so any call through a stale pointer is a use of
 * freed memory in the C sense: no library can detect it without a global
 * registry of live machines, which DESIGN.md rules out (no hidden globals),
 * and ASan reports it in the sanitizer builds.  Use before init is covered:
 * pmm_create() with invalid arguments fails with an error and no machine.
 *
 * Prints "misuse: N/N classes detected".
 */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/model.c"
#include "mm/page_alloc.h"

#ifdef PMM_ASAN
#include <sanitizer/asan_interface.h>
/* The test writes into a freed frame on purpose: hide it from ASan, as a DMA would be. */
#define stray_write_ok(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define stray_write_ok(p, n) ((void)(p), (void)(n))
#endif

#define REASON_DOUBLE_FREE "double free: page is already free (refcount 0)"
#define REASON_FOREIGN "freeing a pointer that is not a page of this machine"
#define REASON_RESERVED_ORDER "freeing a reserved frame (never handed out) with an order above 0"

static unsigned classes_detected;
static unsigned classes_total;

struct fixture {
	struct pmm *m;
	struct model *md;
	struct pmm_test_log log;
	pthread_mutex_t lock;       /* the callback may run on any thread */
	unsigned long cb_calls, cb_pfn;
	char cb_reason[256];
	unsigned long bad_seen;     /* pmm_bad_page_count() already accounted for */
	unsigned long calls_seen;
	size_t log_seen;            /* log bytes already checked */
};

static void on_bad_page(void *ctx, unsigned long pfn, const char *reason)
{
	struct fixture *fx = ctx;

	pthread_mutex_lock(&fx->lock);
	fx->cb_calls++;
	fx->cb_pfn = pfn;
	snprintf(fx->cb_reason, sizeof(fx->cb_reason), "%s", reason);
	pthread_mutex_unlock(&fx->lock);
}

static void fx_init(struct fixture *fx, const char *cfg)
{
	memset(fx, 0, sizeof(*fx));
	pthread_mutex_init(&fx->lock, NULL);
	fx->m = pmm_test_machine(cfg, &fx->log);
	fx->md = model_new(fx->m, 0);
	assert_non_null(fx->md);
	pmm_set_bad_page_handler(fx->m, on_bad_page, fx);
	fx->log_seen = fx->log.len;
}

/* The log written since the last check. */
static const char *fx_new_log(const struct fixture *fx)
{
	return fx->log.buf ? fx->log.buf + fx->log_seen : "";
}

static void fx_expect_nothing(struct fixture *fx, const char *what)
{
	if (pmm_bad_page_count(fx->m) != fx->bad_seen)
		fail_msg("%s: %lu unexpected bad page(s):\n%s", what,
			 pmm_bad_page_count(fx->m) - fx->bad_seen, fx_new_log(fx));
	if (fx->cb_calls != fx->calls_seen)
		fail_msg("%s: the bad-page callback ran", what);
}

/* The model and the validator agree that nothing was corrupted. */
static void fx_contained(struct fixture *fx, const char *what)
{
	model_check(fx->md);
	if (model_divergences(fx->md))
		fail_msg("%s: not contained:\n%s", what, model_first_error(fx->md));
	assert_machine_valid(fx->m);
}

/*
 * Exactly @n new reports, the last for @pfn (~0ul: a foreign pointer) with
 * @reason; the log holds the header line and the reason line; then the
 * machine is still consistent.
 */
static void fx_expect_report_as(struct fixture *fx, unsigned long n, unsigned long pfn,
				const char *reason, const char *header, const char *dumped,
				const char *what);

static void fx_expect_report(struct fixture *fx, unsigned long n, unsigned long pfn,
			     const char *reason, const char *what)
{
	fx_expect_report_as(fx, n, pfn, reason, NULL, reason, what);
}

/*
 * The calling thread's name, as a report prints it (the kernel's
 * current->comm): "test_misuse" natively, the emulator's name under
 * qemu-user, which answers PR_GET_NAME for its own thread.
 */
static const char *comm(void)
{
	static __thread char name[17];

	if (prctl(PR_GET_NAME, name, 0, 0, 0))
		fail_msg("prctl(PR_GET_NAME) failed");
	return name;
}

/*
 * As fx_expect_report(), for reports whose first line is @header (NULL:
 * the bad_page() one) and whose dump_page() reason is @dumped.
 */
static void fx_expect_report_as(struct fixture *fx, unsigned long n, unsigned long pfn,
				const char *reason, const char *header, const char *dumped,
				const char *what)
{
	char want[256];
	const char *log = fx_new_log(fx);

	if (pmm_bad_page_count(fx->m) != fx->bad_seen + n)
		fail_msg("%s: pmm_bad_page_count() went from %lu to %lu, want +%lu\n%s", what,
			 fx->bad_seen, pmm_bad_page_count(fx->m), n, log);
	if (fx->cb_calls != fx->calls_seen + n)
		fail_msg("%s: callback ran %lu times, want %lu", what, fx->cb_calls - fx->calls_seen, n);
	if (fx->cb_pfn != pfn)
		fail_msg("%s: callback pfn 0x%lx, want 0x%lx", what, fx->cb_pfn, pfn);
	if (strcmp(fx->cb_reason, reason))
		fail_msg("%s: callback reason \"%s\", want \"%s\"", what, fx->cb_reason, reason);
	if (header)
		snprintf(want, sizeof(want), "%s", header);
	else if (pfn == ~0ul)
		snprintf(want, sizeof(want), "BUG: Bad page pointer in process %s  page:", comm());
	else
		snprintf(want, sizeof(want), "BUG: Bad page state in process %s  pfn:%05lx\n",
			 comm(), pfn);
	if (!strstr(log, want))
		fail_msg("%s: log lacks \"%s\":\n%s", what, want, log);
	snprintf(want, sizeof(want), "page dumped because: %s\n", dumped);
	if (!strstr(log, want))
		fail_msg("%s: log lacks \"%s\":\n%s", what, want, log);
	if (pfn != ~0ul && !strstr(log, "\npage:") && strncmp(log, "page:", 5))
		fail_msg("%s: no dump_page() lines:\n%s", what, log);
	fx->bad_seen += n;
	fx->calls_seen += n;
	fx->log_seen = fx->log.len;
	model_expect_bad_pages(fx->md, n);
	fx_contained(fx, what);
}

/* Free everything, check every frame came back, tear down. */
static void fx_done(struct fixture *fx)
{
	model_release_all(fx->md);
	model_check_conservation(fx->md);
	if (model_divergences(fx->md))
		fail_msg("teardown: %s", model_first_error(fx->md));
	fx_expect_nothing(fx, "teardown");
	assert_machine_valid(fx->m);
	model_delete(fx->md);
	pmm_destroy(fx->m);
	pmm_test_log_reset(&fx->log);
	pthread_mutex_destroy(&fx->lock);
}

/* Reached the end of a class's test: every assertion held. */
#define DETECTED() (classes_detected++)

static unsigned long pfn_of(struct fixture *fx, struct pmm_page *p)
{
	return pmm_page_to_pfn(fx->m, p);
}

/* ------------------------------------------------------------ double free */

/* Freed to the buddy lists (no per-CPU lists), then freed again. */
static void test_double_free_immediate(void **state)
{
	struct fixture fx;
	struct pmm_page *p;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 pcp=off");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	model_free(fx.md, p);
	pmm_free_pages(fx.m, p, 2);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "double free");
	/* Order 0 and compound too. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL | PMM___GFP_COMP, 3);
	model_free(fx.md, p);
	pmm_free_pages(fx.m, p, 3);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "compound double free");
	fx_done(&fx);
	DETECTED();
}

/* The freed page merged with its buddy: it is now inside a larger free block. */
static void test_double_free_after_merge(void **state)
{
	struct fixture fx;
	struct pmm_page *p, *q;
	unsigned long pfn;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 pcp=off");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 1);
	assert_int_equal(pmm_split_page(fx.m, p, 1), 0);
	pfn = pfn_of(&fx, p);
	q = pmm_pfn_to_page(fx.m, pfn + 1);
	/* The model tracks the split by hand: both halves are order-0 blocks. */
	fx.md->f[pfn].order = 0;
	fx.md->f[pfn + 1].state = MF_HEAD;
	fx.md->f[pfn + 1].order = 0;
	fx.md->f[pfn + 1].ref = 1;
	live_add(fx.md, pfn + 1);
	model_free(fx.md, q);
	model_free(fx.md, p); /* merges with q, and on upwards */
	pmm_free_pages(fx.m, q, 0);
	fx_expect_report(&fx, 1, pfn + 1, REASON_DOUBLE_FREE, "free of a page inside a merged block");
	pmm_free_pages(fx.m, p, 0);
	fx_expect_report(&fx, 1, pfn, REASON_DOUBLE_FREE, "free of a merged block's head");
	fx_done(&fx);
	DETECTED();
}

/* Freed to this CPU's per-CPU list, then freed again while it sits there. */
static void test_double_free_on_pcp_list(void **state)
{
	struct fixture fx;
	struct pmm_page *p;
	struct page *pg;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	pmm_set_thread_cpu(fx.m, 1);
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	model_free(fx.md, p);
	pg = (struct page *)p;
	assert_false(PageBuddy(pg)); /* on the per-CPU list, not the buddy lists */
	pmm_free_pages(fx.m, p, 0);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "double free on a pcp list");
	/* Order 3 is cached per CPU too. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 3);
	model_free(fx.md, p);
	pmm_free_pages(fx.m, p, 3);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "order-3 double free on a pcp list");
	pmm_drain_all(fx.m);
	fx_contained(&fx, "after drain");
	fx_done(&fx);
	DETECTED();
}

struct racer {
	struct pmm *m;
	struct pmm_page *volatile page;
	unsigned order;
	unsigned gen;      /* atomic: iteration to run */
	unsigned done;     /* atomic: finishers of the current iteration */
	int cpu;
};

struct racer_arg {
	struct racer *r;
	int cpu;
};

static void *racer_thread(void *arg)
{
	struct racer_arg *a = arg;
	struct racer *r = a->r;
	unsigned seen = 0;

	pmm_set_thread_cpu(r->m, a->cpu);
	for (;;) {
		unsigned g;

		while ((g = __atomic_load_n(&r->gen, __ATOMIC_ACQUIRE)) == seen)
			sched_yield();
		if (g == ~0u)
			break;
		seen = g;
		pmm_free_pages(r->m, __atomic_load_n(&r->page, __ATOMIC_RELAXED), r->order);
		__atomic_fetch_add(&r->done, 1, __ATOMIC_RELEASE);
	}
	pmm_set_thread_cpu(r->m, -1);
	return NULL;
}

/*
 * Two threads free the same block at the same moment, many times: each time
 * exactly one free succeeds and the other is reported as a double free.
 */
static unsigned long run_double_free_race(struct fixture *fx, unsigned long iters)
{
	struct racer r = { .m = fx->m };
	struct racer_arg a[2] = { { &r, 0 }, { &r, 1 } };
	pthread_t t[2];
	unsigned long reports = 0;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer_thread, &a[i]), 0);
	for (unsigned long i = 1; i <= iters; i++) {
		unsigned long before = pmm_bad_page_count(fx->m);

		r.order = (unsigned)(i % 4 == 0 ? i % 11 : 0);
		__atomic_store_n(&r.page, pmm_alloc_pages(fx->m, PMM_GFP_KERNEL | (i & 1 ? PMM___GFP_COMP : 0),
							  r.order),
				 __ATOMIC_RELAXED);
		assert_non_null(r.page);
		__atomic_store_n(&r.done, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r.gen, (unsigned)i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) != 2)
			sched_yield();
		if (pmm_bad_page_count(fx->m) != before + 1)
			fail_msg("iteration %lu (order %u): %lu reports, want exactly 1", i, r.order,
				 pmm_bad_page_count(fx->m) - before);
		if (pmm_page_count(r.page) != 0)
			fail_msg("iteration %lu: freed page has refcount %d", i, pmm_page_count(r.page));
		reports++;
	}
	__atomic_store_n(&r.gen, ~0u, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return reports;
}

static void test_double_free_two_threads(void **state)
{
	static const char *const cfgs[] = { "mem=64M cpus=2", "mem=64M cpus=2 pcp=off" };
	const char *e = getenv("PMM_MISUSE_RACE_ITERS");
	unsigned long iters = e ? strtoul(e, NULL, 0) : 1000; /* tests/stress runs more */

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct fixture fx;
		unsigned long n;

		fx_init(&fx, cfgs[c]);
		n = run_double_free_race(&fx, iters);
		assert_int_equal(fx.cb_calls, n);
		assert_string_equal(fx.cb_reason, REASON_DOUBLE_FREE);
		assert_true(pmm_test_log_has(&fx.log, "page dumped because: " REASON_DOUBLE_FREE "\n"));
		fx.bad_seen += n;
		fx.calls_seen += n;
		model_expect_bad_pages(fx.md, n);
		pmm_drain_all(fx.m);
		fx_contained(&fx, "after the race");
		fx_done(&fx);
	}
	DETECTED();
}

/* ------------------------------------------------------------ foreign pointers */

static void test_foreign_pointer(void **state)
{
	struct fixture fx;
	struct pmm *other = pmm_test_machine("mem=32M cpus=1", NULL);
	struct pmm_page *theirs = pmm_alloc_pages(other, PMM_GFP_KERNEL, 0), *mine;
	long on_stack[8] = { 0 };
	char *heap = malloc(256);

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	/* A page of another machine. */
	pmm_free_pages(fx.m, theirs, 0);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "page of another machine");
	assert_int_equal(pmm_page_count(theirs), 1);
	assert_int_equal(pmm_bad_page_count(other), 0);
	/* Random pointers: the stack, the heap, NULL. */
	pmm_free_pages(fx.m, (struct pmm_page *)on_stack, 0);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "stack pointer");
	pmm_free_pages(fx.m, (struct pmm_page *)heap, 1);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "heap pointer");
	pmm_free_pages(fx.m, NULL, 0);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "NULL");
	/* Inside the memmap but not at a struct page boundary. */
	mine = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	pmm_free_pages(fx.m, (struct pmm_page *)((char *)mine + 8), 0);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "misaligned memmap pointer");
	/* pfns with no memmap: past the end. */
	pmm_free_contig_range(fx.m, 1ul << 30, 1);
	fx_expect_report(&fx, 1, ~0ul, "freeing frames past the end of this machine's memory",
			 "pfn past the end");
	/* get/put on foreign pointers. */
	assert_int_equal(pmm_get_page(fx.m, theirs), -PMM_EINVAL);
	fx_expect_report(&fx, 1, ~0ul, "get_page on a pointer that is not a page of this machine",
			 "get on a foreign page");
	pmm_put_page(fx.m, theirs);
	fx_expect_report(&fx, 1, ~0ul, "put_page on a pointer that is not a page of this machine",
			 "put on a foreign page");
	pmm_free_pages(other, theirs, 0);
	assert_machine_valid(other);
	pmm_destroy(other);
	free(heap);
	fx_done(&fx);
	DETECTED();
}

/* A pfn in a hole of the layout (a whole section with no memmap). */
static void test_foreign_pfn_in_hole(void **state)
{
	struct fixture fx;

	(void)state;
	fx_init(&fx, "node=0:0x0-0x7ffffff node=0:0x10000000-0x17ffffff cpus=2");
	assert_false(pmm_pfn_valid(fx.m, 0x9000));
	assert_null(pmm_pfn_to_page(fx.m, 0x9000));
	pmm_free_contig_range(fx.m, 0x9000, 1);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "pfn in a hole");
	pmm_free_pages_addr(fx.m, (char *)pmm_page_address(fx.m, pmm_pfn_to_page(fx.m, 0)) + 0x9000ul * 4096, 0);
	fx_expect_report(&fx, 1, ~0ul, REASON_FOREIGN, "address in a hole");
	fx_done(&fx);
	DETECTED();
}

/* pmm_free_pages_addr() with an address that is not a frame. */
static void test_address_not_a_frame(void **state)
{
	struct fixture fx;
	struct pmm_page *p;
	char *addr;
	int local;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 1);
	addr = pmm_page_address(fx.m, p);
	pmm_free_pages_addr(fx.m, addr + 100, 1);
	fx_expect_report(&fx, 1, ~0ul, "freeing an address that is not a frame of this machine",
			 "address inside a frame");
	pmm_free_pages_addr(fx.m, &local, 0);
	fx_expect_report(&fx, 1, ~0ul, "freeing an address that is not a frame of this machine",
			 "stack address");
	pmm_free_pages_addr(fx.m, addr + (64ul << 20), 0);
	fx_expect_report(&fx, 1, ~0ul, "freeing an address that is not a frame of this machine",
			 "address past the end");
	/* NULL is ignored, as free_pages(0) is. */
	pmm_free_pages_addr(fx.m, NULL, 0);
	fx_expect_nothing(&fx, "free_pages_addr(NULL)");
	fx_done(&fx);
	DETECTED();
}

/* ------------------------------------------------------------ never allocated */

static void test_never_allocated(void **state)
{
	struct fixture fx;
	struct pmm_page *free_frame, *reserved;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 reserve=0x100000+64K");
	/* A frame the allocator holds free (never handed out). */
	free_frame = pmm_pfn_to_page(fx.m, 0x3000);
	assert_int_equal(pmm_page_count(free_frame), 0);
	pmm_free_pages(fx.m, free_frame, 0);
	fx_expect_report(&fx, 1, 0x3000, REASON_DOUBLE_FREE, "free of a free frame");
	pmm_free_pages(fx.m, free_frame, 4);
	fx_expect_report(&fx, 1, 0x3000, REASON_DOUBLE_FREE, "free of a free block");
	/* A reserved frame, never given to the allocator: the kernel's flags check catches it. */
	reserved = pmm_pfn_to_page(fx.m, 0x101);
	assert_int_equal(pmm_page_count(reserved), 1);
	/* Never handed out: not a block to split, at any order (nor a free frame). */
	assert_int_equal(pmm_split_page(fx.m, reserved, 0), -PMM_EINVAL);
	assert_int_equal(pmm_split_page(fx.m, pmm_pfn_to_page(fx.m, 0x100), 4), -PMM_EINVAL);
	assert_int_equal(pmm_split_page(fx.m, free_frame, 0), -PMM_EINVAL);
	assert_int_equal(pmm_page_count(reserved), 1);
	fx_expect_nothing(&fx, "split of a reserved frame");
	/*
	 * At an order above 0 the free would check, and take, the frames
	 * after it: here reserved ones and, past 0x10f, free ones.  Refused
	 * whole, also with a reference taken, where the free would release
	 * those frames.
	 */
	reserved = pmm_pfn_to_page(fx.m, 0x100);
	pmm_free_pages(fx.m, reserved, 5);
	fx_expect_report(&fx, 1, 0x100, REASON_RESERVED_ORDER, "free of a reserved frame at order 5");
	assert_int_equal(pmm_get_page(fx.m, reserved), 0);
	pmm_free_pages(fx.m, reserved, 5);
	fx_expect_report(&fx, 1, 0x100, REASON_RESERVED_ORDER, "free of a pinned reserved frame at order 5");
	assert_int_equal(pmm_page_count(reserved), 2);
	pmm_put_page(fx.m, reserved);
	assert_int_equal(pmm_page_count(reserved), 1);
	fx_expect_nothing(&fx, "put of the reference taken");
	reserved = pmm_pfn_to_page(fx.m, 0x101);
	pmm_free_pages(fx.m, reserved, 0);
	fx_expect_report(&fx, 1, 0x101, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", "free of a reserved frame");
	/* It stays out of circulation: a second free is a double free, nothing else. */
	pmm_free_pages(fx.m, reserved, 0);
	fx_expect_report(&fx, 1, 0x101, REASON_DOUBLE_FREE, "second free of a reserved frame");
	fx_done(&fx);
	DETECTED();
}

/* ------------------------------------------------------------ wrong order, tails */

static void test_wrong_order(void **state)
{
	struct fixture fx;
	struct pmm_page *p, *held[64];
	unsigned n = 0;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	/* Smaller than allocated. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	pmm_free_pages(fx.m, p, 1);
	fx_expect_report(&fx, 1, pfn_of(&fx, p),
			 "freeing a block with a smaller order than it was allocated with", "order too small");
	pmm_free_pages(fx.m, p, 0);
	fx_expect_report(&fx, 1, pfn_of(&fx, p),
			 "freeing a block with a smaller order than it was allocated with", "order 0 of order 2");
	/* Larger than allocated: find an order-2 block aligned to 8. */
	do {
		held[n] = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	} while (pfn_of(&fx, held[n++]) % 8 && n < 64);
	p = held[n - 1];
	assert_int_equal(pfn_of(&fx, p) % 8, 0);
	pmm_free_pages(fx.m, p, 3);
	fx_expect_report(&fx, 1, pfn_of(&fx, p),
			 "freeing a block with a larger order than it was allocated with", "order too large");
	/* Larger and misaligned for that order. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	while (pfn_of(&fx, p) % 8 == 0) {
		held[n++] = p;
		p = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	}
	pmm_free_pages(fx.m, p, 3);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "freeing a block whose pfn is not aligned to its order",
			 "misaligned for the order");
	/* A compound page with the wrong order. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL | PMM___GFP_COMP, 4);
	pmm_free_pages(fx.m, p, 3);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "freeing a compound page with the wrong order",
			 "compound, order too small");
	pmm_free_pages(fx.m, p, 5);
	fx_expect_report(&fx, 1, pfn_of(&fx, p),
			 pfn_of(&fx, p) % 32 ? "freeing a block whose pfn is not aligned to its order"
					     : "freeing a compound page with the wrong order",
			 "compound, order too large");
	/* The blocks are intact: they free normally now. */
	fx_done(&fx);
	DETECTED();
}

static void test_tail_page(void **state)
{
	struct fixture fx;
	struct pmm_page *p, *tail;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	p = model_alloc(fx.md, PMM_GFP_KERNEL | PMM___GFP_COMP, 3);
	tail = pmm_pfn_to_page(fx.m, pfn_of(&fx, p) + 5);
	pmm_free_pages(fx.m, tail, 0);
	fx_expect_report(&fx, 1, pfn_of(&fx, p) + 5, "freeing a tail page of a compound page",
			 "tail page");
	pmm_free_pages(fx.m, tail, 3);
	fx_expect_report(&fx, 1, pfn_of(&fx, p) + 5, "freeing a tail page of a compound page",
			 "tail page with the head's order");
	/* A reference through a tail is legitimate and lands on the head. */
	assert_int_equal(pmm_get_page(fx.m, tail), 0);
	assert_int_equal(pmm_page_count(p), 2);
	pmm_put_page(fx.m, tail);
	assert_int_equal(pmm_page_count(p), 1);
	fx_expect_nothing(&fx, "get/put through a tail");
	fx_contained(&fx, "tail");
	fx_done(&fx);
	DETECTED();
}

/*
 * A page inside a plain (non-compound) block, not its first: only the first
 * page of such a block carries the reference count, the others have 0.  The
 * kernel's __free_pages() of one trips put_page_testzero()'s
 * VM_BUG_ON_PAGE(page_ref_count(page) == 0) (CONFIG_DEBUG_VM), the same
 * check as a double free; but the page is not free, it is the caller's, and
 * the report says so.  Its owner still frees the block whole.
 */
#define REASON_INSIDE "freeing a page inside an allocated block, not its first page (refcount 0)"
#define REASON_GET_INSIDE "get_page on a page inside an allocated block, not its first page (refcount 0)"
#define REASON_MISALIGNED "freeing a block whose pfn is not aligned to its order"

static void inside_plain_block(const char *cfg)
{
	struct fixture fx;
	struct pmm_page *p, *q, *in;
	unsigned long pfn;

	fx_init(&fx, cfg);
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	pfn = pfn_of(&fx, p);
	for (unsigned i = 1; i < 4; i++) {
		pmm_free_pages(fx.m, pmm_pfn_to_page(fx.m, pfn + i), 0);
		fx_expect_report(&fx, 1, pfn + i, REASON_INSIDE, "order 0 inside an order-2 block");
	}
	/* Aligned for the order asked, still inside the block. */
	pmm_free_pages(fx.m, pmm_pfn_to_page(fx.m, pfn + 2), 1);
	fx_expect_report(&fx, 1, pfn + 2, REASON_INSIDE, "order 1 at the block's second half");
	/* Misaligned for the order asked: that is said first. */
	pmm_free_pages(fx.m, pmm_pfn_to_page(fx.m, pfn + 1), 1);
	fx_expect_report(&fx, 1, pfn + 1, REASON_MISALIGNED, "order 1 at the block's second page");
	pmm_free_pages(fx.m, pmm_pfn_to_page(fx.m, pfn + 2), 2);
	fx_expect_report(&fx, 1, pfn + 2, REASON_MISALIGNED, "the block's order at its third page");
	/* put_page(), get_page() and a bulk free of such a page. */
	in = pmm_pfn_to_page(fx.m, pfn + 3);
	pmm_put_page(fx.m, in);
	fx_expect_report(&fx, 1, pfn + 3, REASON_INSIDE, "put_page inside the block");
	assert_int_equal(pmm_get_page(fx.m, in), -PMM_EINVAL);
	fx_expect_report(&fx, 1, pfn + 3, REASON_GET_INSIDE, "get_page inside the block");
	pmm_free_pages_bulk(fx.m, 1, &in);
	fx_expect_report(&fx, 1, pfn + 3, REASON_INSIDE, "bulk free inside the block");
	assert_int_equal(pmm_page_count(p), 1);
	/* Deep inside a larger block: a quarter of an order-4 block. */
	q = model_alloc(fx.md, PMM_GFP_KERNEL, 4);
	pmm_free_pages(fx.m, pmm_pfn_to_page(fx.m, pfn_of(&fx, q) + 12), 2);
	fx_expect_report(&fx, 1, pfn_of(&fx, q) + 12, REASON_INSIDE, "order 2 inside an order-4 block");
	/* Once the owner freed the block, the same page is a double free again. */
	model_free(fx.md, q);
	pmm_free_pages(fx.m, pmm_pfn_to_page(fx.m, pfn_of(&fx, q) + 12), 2);
	fx_expect_report(&fx, 1, pfn_of(&fx, q) + 12, REASON_DOUBLE_FREE, "inside a freed block");
	/* The block is intact: its owner frees it whole (fx_done checks it came back). */
	fx_done(&fx);
}

static void test_inside_plain_block(void **state)
{
	(void)state;
	inside_plain_block("mem=64M cpus=2");
	inside_plain_block("mem=64M cpus=2 pcp=off");
	DETECTED();
}

/* ------------------------------------------------------------ refcounts */

static void test_refcount_underflow(void **state)
{
	struct fixture fx;
	struct pmm_page *p;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	p = pmm_alloc_pages(fx.m, PMM_GFP_KERNEL, 0);
	assert_int_equal(pmm_get_page(fx.m, p), 0);
	pmm_put_page(fx.m, p);
	pmm_put_page(fx.m, p);
	assert_int_equal(pmm_page_count(p), 0);
	fx_expect_nothing(&fx, "balanced get/put");
	pmm_put_page(fx.m, p);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "put below zero");
	assert_int_equal(pmm_page_count(p), 0);
	/* Compound: put through a tail after the last reference went. */
	p = pmm_alloc_pages(fx.m, PMM_GFP_KERNEL | PMM___GFP_COMP, 2);
	pmm_put_page(fx.m, p);
	/* Freeing tore the compound page down: the old tail is just a free page now. */
	pmm_put_page(fx.m, pmm_pfn_to_page(fx.m, pfn_of(&fx, p) + 1));
	fx_expect_report(&fx, 1, pfn_of(&fx, p) + 1, REASON_DOUBLE_FREE,
			 "put through a tail of a freed compound page");
	fx_done(&fx);
	DETECTED();
}

static void test_refcount_overflow(void **state)
{
	struct fixture fx;
	struct pmm_page *p;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	p = model_alloc(fx.md, PMM_GFP_KERNEL | PMM___GFP_COMP, 1);
	/* Counting to 2^31 takes a while; start near the top. */
	set_page_count((struct page *)p, INT_MAX - 1);
	assert_int_equal(pmm_get_page(fx.m, p), 0);
	assert_int_equal(pmm_page_count(p), INT_MAX);
	fx_expect_nothing(&fx, "get to INT_MAX");
	assert_int_equal(pmm_get_page(fx.m, p), -PMM_EOVERFLOW);
	assert_int_equal(pmm_page_count(p), INT_MAX);
	fx.md->f[pfn_of(&fx, p)].ref = INT_MAX;
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "get_page would overflow the refcount", "overflow");
	/* Through a tail as well. */
	assert_int_equal(pmm_get_page(fx.m, pmm_pfn_to_page(fx.m, pfn_of(&fx, p) + 1)), -PMM_EOVERFLOW);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "get_page would overflow the refcount",
			 "overflow through a tail");
	set_page_count((struct page *)p, 1);
	fx.md->f[pfn_of(&fx, p)].ref = 1;
	fx_done(&fx);
	DETECTED();
}

static void test_get_on_free_frame(void **state)
{
	struct fixture fx;
	struct pmm_page *p;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 pcp=off");
	p = pmm_pfn_to_page(fx.m, 0x2000);
	assert_int_equal(pmm_get_page(fx.m, p), -PMM_EINVAL);
	fx_expect_report(&fx, 1, 0x2000, "get_page on a free page (refcount 0)", "get on a buddy page");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	model_free(fx.md, p);
	assert_int_equal(pmm_get_page(fx.m, p), -PMM_EINVAL);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "get_page on a free page (refcount 0)", "get after free");
	assert_int_equal(pmm_page_count(p), 0);
	fx_done(&fx);
	DETECTED();
}

/* ------------------------------------------------------------ scribbled metadata */

static void test_flags_scribbled(void **state)
{
	struct fixture fx;
	struct pmm_page *p;
	unsigned long pfn;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 page_owner=on");
	/* A flag that must be clear at free: the kernel leaks the page. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	pfn = pfn_of(&fx, p);
	SetPageLRU((struct page *)p);
	pmm_free_pages(fx.m, p, 0);
	model_forget_leaked(fx.md, pfn);
	fx_expect_report(&fx, 1, pfn, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", "PG_lru at free");
	assert_true(pmm_test_log_has(&fx.log, "|lru|") || pmm_test_log_has(&fx.log, "(lru|"));
	assert_true(pmm_test_log_has(&fx.log, "page_owner tracks the page as"));
	/* In a tail of an order-2 block: the whole block is leaked. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 2);
	pfn = pfn_of(&fx, p);
	SetPageSlab((struct page *)pmm_pfn_to_page(fx.m, pfn + 3));
	pmm_free_pages(fx.m, p, 2);
	model_forget_leaked(fx.md, pfn);
	fx_expect_report(&fx, 1, pfn + 3, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", "PG_slab in a tail");
	/* The leaked frames are never handed out again. */
	for (int i = 0; i < 200; i++) {
		struct pmm_page *q = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
		assert_true(pfn_of(&fx, q) < pfn || pfn_of(&fx, q) >= pfn + 4);
	}
	fx_done(&fx);
	DETECTED();
}

static void test_mapping_scribbled(void **state)
{
	struct fixture fx;
	struct pmm_page *p;
	unsigned long pfn;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 pcp=off");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 1);
	pfn = pfn_of(&fx, p);
	((struct page *)p)->mapping = (void *)0x1234560;
	pmm_free_pages(fx.m, p, 1);
	model_forget_leaked(fx.md, pfn);
	fx_expect_report(&fx, 1, pfn, "non-NULL mapping", "mapping at free");
	assert_true(pmm_test_log_has(&fx.log, "mapping:0000000001234560"));
	/* A compound tail whose mapping is not TAIL_MAPPING. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL | PMM___GFP_COMP, 2);
	pfn = pfn_of(&fx, p);
	((struct page *)pmm_pfn_to_page(fx.m, pfn + 3))->mapping = NULL;
	pmm_free_pages(fx.m, p, 2);
	model_forget_leaked(fx.md, pfn);
	fx_expect_report(&fx, 1, pfn + 3, "corrupted mapping in tail page", "tail mapping");
	/* Still charged to a cgroup. */
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	pfn = pfn_of(&fx, p);
	((struct page *)p)->memcg_data = 0x40;
	pmm_free_pages(fx.m, p, 0);
	model_forget_leaked(fx.md, pfn);
	fx_expect_report(&fx, 1, pfn, "page still charged to cgroup", "memcg_data at free");
	fx_done(&fx);
	DETECTED();
}

/* ------------------------------------------------------------ poison */

static void test_poison_overwritten(void **state)
{
	struct fixture fx;
	struct pmm_page *p, *q;
	unsigned char *mem;
	unsigned long pfn;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2 page_poison=on");
	pmm_set_thread_cpu(fx.m, 0);
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	pfn = pfn_of(&fx, p);
	mem = pmm_page_address(fx.m, p);
	model_free(fx.md, p);
	stray_write_ok(mem, PMM_PAGE_SIZE);
	assert_int_equal(mem[0x123], 0xaa);
	mem[0x123] = 0x11; /* use after free */
	mem[0x140] = 0x22;
	fx_expect_nothing(&fx, "write after free, before reuse");
	q = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	assert_ptr_equal(q, p); /* the per-CPU list is LIFO */
	assert_true(pmm_test_log_has(&fx.log, "pagealloc: memory corruption\n"));
	assert_true(pmm_test_log_has(&fx.log, "first bad byte at offset 0x123, last at 0x140"));
	assert_true(pmm_test_log_has(&fx.log, "00000120: aa aa aa 11 aa"));
	/* The kernel's check_poison_mem() format: no "BUG:" line, its own dump reason. */
	fx_expect_report_as(&fx, 1, pfn, "pagealloc: memory corruption", "pagealloc: memory corruption\n",
			    "pagealloc: corrupted page details", "poison overwritten");
	/* One flipped bit is called what it is. */
	model_free(fx.md, q);
	stray_write_ok(mem, PMM_PAGE_SIZE);
	mem[0x800] ^= 0x04;
	q = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	fx_expect_report_as(&fx, 1, pfn, "pagealloc: memory corruption", "pagealloc: single bit error\n",
			    "pagealloc: corrupted page details", "single bit");
	fx_done(&fx);
	DETECTED();
}

/* ------------------------------------------------------------ reports from inside the allocator */

/* A bad-page handler that uses the machine, as its contract allows. */
struct reentry {
	struct pmm *m;
	unsigned long calls, pfn;
	int validate;  /* what pmm_validate() said from inside the handler */
	bool alloc_ok; /* an allocation from inside it succeeded (and was freed) */
	char reason[128];
};

static void reentering_handler(void *ctx, unsigned long pfn, const char *reason)
{
	struct reentry *r = ctx;
	struct pmm_page *p;
	char buf[256];

	r->calls++;
	r->pfn = pfn;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->validate = pmm_validate(r->m, buf, sizeof(buf));
	p = pmm_alloc_pages(r->m, PMM_GFP_KERNEL, 0);
	r->alloc_ok = p != NULL;
	if (p)
		pmm_free_pages(r->m, p, 0);
}

/*
 * A free frame's struct page scribbled on (a stray write sets a flag) is
 * found when a per-CPU list refills from the buddy lists, with the zone
 * and list locks held: the report waits until they are dropped, so a
 * handler may validate and allocate (before, it deadlocked).  The frame
 * is leaked, as the kernel leaks it; all else comes back.
 */
static void bad_frame_at_refill(bool bulk)
{
	static struct pmm_page *held[20000];
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", &log);
	struct reentry r = { .m = m };
	unsigned long n = 0, free0, pfn;
	struct pmm_page *p;

	pmm_set_bad_page_handler(m, reentering_handler, &r);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pfn = pmm_page_to_pfn(m, p);
	pmm_free_pages(m, p, 0);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	SetPageLRU((struct page *)pmm_pfn_to_page(m, pfn));
	memset(held, 0, sizeof(held));
	alarm(120); /* a handler called under the allocator's locks would hang here */
	while (!r.calls && n + 32 <= sizeof(held) / sizeof(held[0])) {
		unsigned long got = 1;

		if (bulk)
			got = pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 32, held + n);
		else if (!(held[n] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0)))
			got = 0;
		if (!got)
			break;
		n += got;
	}
	alarm(0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.pfn, pfn);
	assert_string_equal(r.reason, "PAGE_FLAGS_CHECK_AT_PREP flag(s) set");
	assert_int_equal(r.validate, 0);
	assert_true(r.alloc_ok);
	assert_true(pmm_test_log_has(&log, "BUG: Bad page state in process"));
	assert_int_equal(pmm_bad_page_count(m), 1);
	for (unsigned long i = 0; i < n; i++) {
		assert_int_not_equal(pmm_page_to_pfn(m, held[i]), pfn);
		pmm_free_pages(m, held[i], 0);
	}
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0 - 1);
	assert_int_equal(pmm_bad_page_count(m), 1);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

static void test_bad_frame_at_refill(void **state)
{
	(void)state;
	bad_frame_at_refill(false);
	bad_frame_at_refill(true);
	DETECTED();
}

/*
 * A double free while a reader holds a reference (page_idle's and
 * page_owner's readers pin the frame they look at): the owner's second
 * free takes the reader's reference and frees the page, which no free
 * can tell from the last holder's; the reader's release then finds the
 * count at 0 and reports the double free rather than take it to -1.
 */
static void test_double_free_under_a_pin(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", &log);
	struct reentry r = { .m = m };
	struct page *pin;
	struct pmm_page *p;
	unsigned long pfn, free0;

	(void)state;
	pmm_set_bad_page_handler(m, reentering_handler, &r);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pfn = pmm_page_to_pfn(m, p);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	pin = page_pin_allocated(m, pfn);
	assert_ptr_equal(pin, p);
	pmm_free_pages(m, p, 0);
	assert_int_equal(pmm_page_count(p), 1);
	pmm_free_pages(m, p, 0);
	assert_int_equal(pmm_page_count(p), 0);
	assert_int_equal(r.calls, 0);
	page_unpin(m, pin);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.pfn, pfn);
	assert_string_equal(r.reason, REASON_DOUBLE_FREE);
	assert_int_equal(r.validate, 0);
	assert_int_equal(pmm_page_count(p), 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0 + 1);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
	DETECTED();
}

/* ------------------------------------------------------------ impossible requests */

static void test_order_above_max(void **state)
{
	struct fixture fx;
	struct pmm_page *p;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	for (unsigned order = PMM_MAX_ORDER; order < 40; order += 7) {
		char want[128];
		assert_null(pmm_alloc_pages(fx.m, PMM_GFP_KERNEL, order));
		snprintf(want, sizeof(want), "WARNING: page allocation of order %u refused", order);
		assert_true(strstr(fx_new_log(&fx), want) != NULL);
	}
	assert_null(pmm_get_free_pages(fx.m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 11));
	assert_null(pmm_alloc_pages_exact(fx.m, 8ul << 20, PMM_GFP_KERNEL));
	fx_expect_nothing(&fx, "refused allocations are not bad pages");
	fx.log_seen = fx.log.len;
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	pmm_free_pages(fx.m, p, PMM_MAX_ORDER);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "freeing with an order above the maximum", "free order 11");
	pmm_free_pages(fx.m, p, ~0u);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), "freeing with an order above the maximum", "free order ~0");
	assert_int_equal(pmm_split_page(fx.m, p, 40), -PMM_EINVAL);
	fx_done(&fx);
	DETECTED();
}

static void test_contradictory_gfp(void **state)
{
	static const struct {
		pmm_gfp_t gfp;
		const char *why;
	} cases[] = {
		{ PMM_GFP_KERNEL | PMM___GFP_DMA | PMM___GFP_DMA32, "contradictory zone modifiers (GFP_ZONE_BAD)" },
		{ PMM_GFP_KERNEL | PMM___GFP_DMA | PMM___GFP_HIGHMEM, "contradictory zone modifiers (GFP_ZONE_BAD)" },
		{ PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_DMA32, "contradictory zone modifiers (GFP_ZONE_BAD)" },
		{ PMM_GFP_KERNEL | PMM___GFP_MOVABLE | PMM___GFP_RECLAIMABLE, "both __GFP_MOVABLE and __GFP_RECLAIMABLE" },
		{ PMM_GFP_KERNEL | 0x1000000u, "unknown gfp bits" },
		{ 0xfe000000u | PMM_GFP_KERNEL, "unknown gfp bits" },
	};
	struct fixture fx;

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[160];
		struct pmm_page *arr[4] = { 0 };

		assert_null(pmm_alloc_pages(fx.m, cases[i].gfp, 0));
		snprintf(want, sizeof(want), "WARNING: page allocation with gfp 0x%x refused: %s\n",
			 cases[i].gfp, cases[i].why);
		if (!strstr(fx_new_log(&fx), want))
			fail_msg("gfp 0x%x: log lacks \"%s\":\n%s", cases[i].gfp, want, fx_new_log(&fx));
		fx.log_seen = fx.log.len;
		/* Quiet with __GFP_NOWARN, refused all the same, on every entry point. */
		assert_null(pmm_alloc_pages(fx.m, cases[i].gfp | PMM___GFP_NOWARN, 3));
		assert_null(pmm_alloc_pages_node(fx.m, 0, cases[i].gfp | PMM___GFP_NOWARN, 0));
		assert_null(pmm_get_free_pages(fx.m, cases[i].gfp | PMM___GFP_NOWARN, 0));
		assert_int_equal(pmm_alloc_pages_bulk(fx.m, cases[i].gfp | PMM___GFP_NOWARN, 4, arr), 0);
		assert_null(arr[0]);
		assert_null(pmm_alloc_contig_pages(fx.m, 4, cases[i].gfp | PMM___GFP_NOWARN, -1));
		if (strstr(fx_new_log(&fx), "refused"))
			fail_msg("gfp 0x%x with __GFP_NOWARN warned:\n%s", cases[i].gfp, fx_new_log(&fx));
	}
	/* An offline node is refused too. */
	assert_null(pmm_alloc_pages_node(fx.m, 7, PMM_GFP_KERNEL, 0));
	assert_true(strstr(fx_new_log(&fx), "on node 7 refused: no such online node") != NULL);
	fx_expect_nothing(&fx, "refused requests");
	fx_contained(&fx, "gfp");
	fx_done(&fx);
	DETECTED();
}

/* A migrate callback that must not be asked: it only counts. */
static int migrate_counted(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	(void)m;
	(void)pfn;
	(void)order;
	(*(unsigned *)ctx)++;
	return -PMM_EBUSY;
}

struct contig_probe {
	struct pmm *m;
	unsigned long nr;
};

/* In a child, so that a call that never returns fails the test instead of hanging it. */
static void contig_pages_child(void *arg)
{
	const struct contig_probe *cp = arg;

	alarm(10);
	if (pmm_alloc_contig_pages(cp->m, cp->nr, PMM_GFP_KERNEL, PMM_NUMA_NO_NODE))
		_exit(4);
}

static void free_contig_child(void *arg)
{
	struct pmm *m = arg;

	alarm(10);
	pmm_free_contig_range(m, pmm_max_pfn(m), ~0ul);
}

struct bad_count {
	unsigned long n, pfn;
	char reason[128];
};

static void count_bad(void *ctx, unsigned long pfn, const char *reason)
{
	struct bad_count *bc = ctx;

	bc->n++;
	bc->pfn = pfn;
	snprintf(bc->reason, sizeof(bc->reason), "%s", reason);
}

/*
 * pmm_free_contig_range() over frames past the end of memory: the part of
 * the range there is reported once (no frame is there to free), and the
 * range never wraps around to frame 0, whose owner it would rob.
 */
static void free_contig_past_end(void)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", &log);
	struct bad_count bc = { 0 };
	unsigned long free0, max = pmm_max_pfn(m);
	char out[4096];
	int status;

	pmm_set_bad_page_handler(m, count_bad, &bc);
	status = pmm_test_run_child(free_contig_child, m, out, sizeof(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("pmm_free_contig_range(max_pfn, ~0ul): %s %d, want a return at once",
			 WIFSIGNALED(status) ? "killed by signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	assert_int_equal(pmm_alloc_contig_range(m, 0, 2, PMM_GFP_KERNEL), 0);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	pmm_free_contig_range(m, ~0ul - 1, 4);
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, 0)), 1);
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(m, 1)), 1);
	assert_int_equal(bc.n, 1);
	assert_int_equal(bc.pfn, ~0ul);
	assert_string_equal(bc.reason, "freeing frames past the end of this machine's memory");
	assert_true(pmm_test_log_has(&log, "page dumped because: freeing frames past the end of "
					   "this machine's memory\n"));
	/* Up to the end, frames are freed as before; past it, one report again. */
	pmm_free_contig_range(m, max - 1, 3);
	assert_int_equal(bc.n, 3); /* max - 1 is free: a double free, then the rest */
	assert_int_equal(bc.pfn, ~0ul);
	pmm_free_contig_range(m, 0, 2);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0 + 2);
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/*
 * Contiguous allocations of sizes no machine has, and ranges that are not
 * ranges: refused at once (NULL or -PMM_EINVAL), nothing reported, nothing
 * changed.
 */
static void test_contig_bad_sizes(void **state)
{
	static const unsigned long sizes[] = { 0, 1ul << 40, 1ul << 62, (1ul << 63) + 1, ~0ul };
	struct fixture fx;
	struct contig_probe cp;
	unsigned long max;
	unsigned migrations = 0;
	char out[4096];

	(void)state;
	fx_init(&fx, "mem=64M cpus=2");
	max = pmm_max_pfn(fx.m);
	cp.m = fx.m;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int status;

		cp.nr = sizes[i];
		status = pmm_test_run_child(contig_pages_child, &cp, out, sizeof(out));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("pmm_alloc_contig_pages(%#lx): %s %d, want NULL at once", sizes[i],
				 WIFSIGNALED(status) ? "killed by signal" : "exit status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	assert_null(pmm_alloc_contig_pages(fx.m, max + 1, PMM_GFP_KERNEL, PMM_NUMA_NO_NODE));
	/* Ranges that are empty, inverted or wrapping around. */
	assert_int_equal(pmm_alloc_contig_range(fx.m, 0x2000, 0x2000, PMM_GFP_KERNEL), -PMM_EINVAL);
	assert_int_equal(pmm_alloc_contig_range(fx.m, 0x2010, 0x2000, PMM_GFP_KERNEL), -PMM_EINVAL);
	assert_int_equal(pmm_alloc_contig_range(fx.m, ~0ul - 4, ~0ul, PMM_GFP_KERNEL), -PMM_EINVAL);
	/*
	 * Past the end of memory, where the last section still has a memmap
	 * (64 MiB of a 128 MiB section): frames of no zone, never allocated.
	 * The migrate callback is for allocated blocks: it must not be asked
	 * to move those, nor may they be freed.
	 */
	pmm_set_mm_ops(fx.m, &(struct pmm_mm_ops){ .migrate = migrate_counted }, &migrations);
	assert_true(pmm_pfn_valid(fx.m, max));
	assert_int_equal(pmm_alloc_contig_range(fx.m, max, max + 4, PMM_GFP_KERNEL), -PMM_EINVAL);
	assert_int_equal(pmm_alloc_contig_range(fx.m, max - 4, max + 4, PMM_GFP_KERNEL), -PMM_EINVAL);
	assert_int_equal(migrations, 0);
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(fx.m, max)), 1);
	pmm_set_mm_ops(fx.m, NULL, NULL);
	/* A free range with a gfp mask the allocator refuses everywhere else. */
	assert_int_equal(pmm_alloc_contig_range(fx.m, 0x2000, 0x2010,
						PMM_GFP_KERNEL | PMM___GFP_DMA | PMM___GFP_DMA32),
			 -PMM_EINVAL);
	assert_true(strstr(fx_new_log(&fx), "WARNING: page allocation with gfp 0xcc5 refused: "
					    "contradictory zone modifiers (GFP_ZONE_BAD)\n") != NULL);
	assert_int_equal(pmm_alloc_contig_range(fx.m, 0x2000, 0x2010,
						PMM_GFP_KERNEL | PMM___GFP_MOVABLE | PMM___GFP_RECLAIMABLE |
							PMM___GFP_NOWARN),
			 -PMM_EINVAL);
	fx.log_seen = fx.log.len;
	fx_expect_nothing(&fx, "refused contiguous requests");
	fx_contained(&fx, "contig");
	fx_done(&fx);
	free_contig_past_end();
	DETECTED();
}

/*
 * pmm_free_reserved_area() over frames that are not memory: a hole of the
 * layout and the rest of the last section past the end of memory have
 * reserved struct pages too, but no memory behind them (a hole's is not
 * even mapped), so none of them may become a managed frame.
 */
static void test_free_reserved_not_memory(void **state)
{
	struct fixture fx;
	unsigned long total, max;

	(void)state;
	fx_init(&fx, "mem=64M hole=0x1000000-0x10fffff cpus=2");
	total = pmm_totalram_pages(fx.m);
	max = pmm_max_pfn(fx.m);
	assert_true(pmm_pfn_valid(fx.m, 0x1010));
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(fx.m, 0x1010)), 1);
	assert_int_equal(pmm_free_reserved_area(fx.m, 0x1000, 0x1100), 0);
	assert_int_equal(pmm_free_reserved_area(fx.m, 0xff0, 0x1110), 0);
	assert_int_equal(pmm_free_reserved_area(fx.m, max, max + 64), 0);
	assert_int_equal(pmm_free_reserved_area(fx.m, 0x2000, 0x1000), 0);
	assert_int_equal(pmm_totalram_pages(fx.m), total);
	assert_int_equal(pmm_page_count(pmm_pfn_to_page(fx.m, 0x1010)), 1);
	fx_expect_nothing(&fx, "free_reserved_area on no memory");
	fx_contained(&fx, "free_reserved_area on no memory");
	fx_done(&fx);
	DETECTED();
}

/* Allocate until NULL at every order: never a crash, validator clean, all comes back. */
static void test_exhaustion_every_order(void **state)
{
	struct fixture fx;

	(void)state;
	fx_init(&fx, "mem=32M cpus=2");
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++) {
		unsigned long n = 0;
		pmm_gfp_t gfp = (order & 1) ? PMM_GFP_KERNEL | PMM___GFP_COMP : PMM_GFP_HIGHUSER_MOVABLE;

		while (model_alloc(fx.md, gfp | PMM___GFP_NOWARN, order))
			n++;
		/* Everything the zones' reserves allow is gone; atomic may dip further. */
		while (model_alloc(fx.md, PMM_GFP_ATOMIC | PMM___GFP_NOWARN, order))
			n++;
		fx.log_seen = fx.log.len;
		assert_null(pmm_alloc_pages(fx.m, gfp, order));
		if (!strstr(fx_new_log(&fx), "page allocation failure: order:") &&
		    !strstr(fx.log.buf, "page allocation failure: order:"))
			fail_msg("order %u: no allocation failure warning", order);
		assert_int_equal(pmm_alloc_pages_bulk(fx.m, gfp | PMM___GFP_NOWARN, 0, NULL), 0);
		fx_contained(&fx, "exhausted");
		if (order == 0)
			assert_true(n > 7000);
		model_release_all(fx.md);
		model_check_conservation(fx.md);
		if (model_divergences(fx.md))
			fail_msg("order %u: %s", order, model_first_error(fx.md));
	}
	fx_done(&fx);
	DETECTED();
}

/* ------------------------------------------------------------ bad configs, before init */

static void expect_create_fails_cfg(const char *text, unsigned guard_minorder, int want,
				    const char *msg)
{
	struct pmm_platform_faulty f;
	struct pmm_test_log log = { 0 };
	struct pmm_config c;
	struct pmm *m = (struct pmm *)&c;
	char err[256];
	int r;

	pmm_config_default(&c);
	if (pmm_config_parse(&c, text, strlen(text), "<t>", err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	if (guard_minorder)
		c.debug_guardpage_minorder = guard_minorder; /* the parser refuses it already */
	pmm_platform_faulty_init(&f, pmm_platform_posix(), 0, 0);
	c.platform = &f.ops;
	c.log = pmm_test_log_sink;
	c.log_ctx = &log;
	r = pmm_create(&c, &m);
	if (r != want)
		fail_msg("%s: pmm_create = %s, want %s", text, pmm_errname(r), pmm_errname(want));
	assert_null(m);
	if (msg && !pmm_test_log_has(&log, msg))
		fail_msg("%s: log lacks \"%s\":\n%s", text, msg, log.buf ? log.buf : "");
	assert_int_equal(f.outstanding, 0);
	pmm_test_log_reset(&log);
}

static void expect_create_fails(const char *text, int want, const char *msg)
{
	expect_create_fails_cfg(text, 0, want, msg);
}

static void test_bad_configs(void **state)
{
	struct pmm_config c;
	char err[256];

	(void)state;
	expect_create_fails("node=0:0x0-0x3fffffff node=0:0x20000000-0x4fffffff", -PMM_EINVAL, "overlaps another");
	expect_create_fails("mem=1G hole=0x0-0x3fffffff", -PMM_EINVAL, "no memory left");
	expect_create_fails("mem=1G dma=4G dma32=1G", -PMM_EINVAL, "above dma32");
	expect_create_fails_cfg("mem=64M", 6, -PMM_EINVAL, "Bad debug_guardpage_minorder value");
	/* Bad text never gets as far as a machine: the parser names file and line. */
	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, "mem=64M\ndebug_guardpage_minorder=6", 34, "cfg", err,
					  sizeof(err)),
			 -PMM_EINVAL);
	assert_string_equal(err, "cfg:2: value out of range in 'debug_guardpage_minorder=6'");
	expect_create_fails("mem=64M dma=0x1800", -PMM_EINVAL, "page-aligned");
	DETECTED();
}

static void test_create_invalid_args(void **state)
{
	struct pmm_config c;
	struct pmm *m = (struct pmm *)&c;

	(void)state;
	pmm_config_default(&c);
	assert_int_equal(pmm_create(NULL, &m), -PMM_EINVAL);
	assert_null(m);
	assert_int_equal(pmm_create(&c, NULL), -PMM_EINVAL);
	assert_int_equal(pmm_create(NULL, NULL), -PMM_EINVAL);
	/* Nothing to use before pmm_create(): every entry point needs its machine. */
	pmm_destroy(NULL);
	DETECTED();
}

/* ------------------------------------------------------------ a pin outliving its machine */

struct pinner {
	struct pmm *m;
	int step;        /* atomic: 0 start, 1 pinned, 2 go, 3 done */
	int ok;
};

static void *pinner_main(void *arg)
{
	struct pinner *pn = arg;
	struct pmm_page *p;

	pmm_set_thread_cpu(pn->m, 3);
	__atomic_store_n(&pn->step, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&pn->step, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
	/* pn->m is now another machine, maybe at the old one's address, with 2 CPUs. */
	p = pmm_alloc_pages(pn->m, PMM_GFP_KERNEL, 0);
	if (p)
		pmm_free_pages(pn->m, p, 0);
	pn->ok = p != NULL;
	__atomic_store_n(&pn->step, 3, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A thread acts as CPU 3 of a 4-CPU machine; the machine is destroyed and
 * a 2-CPU machine is booted, often at the same address.  The thread's pin
 * must not make the new machine index per-CPU lists it does not have.
 */
static void test_stale_cpu_pin(void **state)
{
	struct pinner pn = { 0 };
	struct pmm *old = pmm_test_machine("mem=32M cpus=4", NULL), *m = NULL;
	pthread_t t;
	int tries;

	(void)state;
	pn.m = old;
	assert_int_equal(pthread_create(&t, NULL, pinner_main, &pn), 0);
	while (__atomic_load_n(&pn.step, __ATOMIC_ACQUIRE) != 1)
		sched_yield();
	pmm_destroy(old);
	for (tries = 0; tries < 20; tries++) {
		m = pmm_test_machine("mem=32M cpus=2", NULL);
		if (m == old)
			break;
		pmm_destroy(m);
		m = NULL;
	}
	if (!m)
		m = pmm_test_machine("mem=32M cpus=2", NULL);
	pn.m = m;
	__atomic_store_n(&pn.step, 2, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(pn.ok);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_bad_page_count(m), 0);
	print_message("  stale pin: new machine %s the old one's address\n",
		      m == old ? "at" : "not at");
	pmm_destroy(m);
	DETECTED();
}

/* ------------------------------------------------------------ fatal mode */

static void abort_handler(void *ctx, unsigned long pfn, const char *reason)
{
	(void)ctx;
	(void)pfn;
	(void)reason;
	abort();
}

static void fatal_child(void *arg)
{
	(void)arg;
	struct pmm_config c;
	struct pmm *m;
	struct pmm_page *p;

	pmm_config_default(&c);
	pmm_config_parse(&c, "mem=32M cpus=1 fatal=on", strlen("mem=32M cpus=1 fatal=on"), "<t>", NULL, 0);
	if (pmm_create(&c, &m))
		_exit(2);
	pmm_set_bad_page_handler(m, abort_handler, NULL);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pmm_free_pages(m, p, 0);
	pmm_free_pages(m, p, 0); /* the handler aborts here */
	_exit(3);
}

static void test_fatal_mode(void **state)
{
	char out[16384];
	const char *bug, *why, *panic, *last;
	int status;
	struct fixture fx;
	struct pmm_page *p;

	(void)state;
	/* With a handler that aborts, as the contract says. */
	status = pmm_test_run_child(fatal_child, NULL, out, sizeof(out));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("fatal child: status 0x%x, want SIGABRT; stderr:\n%s", status, out);
	bug = strstr(out, "BUG: Bad page state in process ");
	why = strstr(out, "page dumped because: " REASON_DOUBLE_FREE "\n");
	panic = strstr(out, "Kernel panic - not syncing: Bad page state: " REASON_DOUBLE_FREE " (fatal=on)\n");
	if (!bug || !why || !panic || !(bug < why && why < panic))
		fail_msg("fatal child: report lines missing or out of order:\n%s", out);
	/*
	 * The panic line is the last thing pmm printed; qemu-user, in a cross
	 * build's run, then reports the signal itself ("qemu: uncaught target
	 * signal 6 (Aborted) - core dumped").
	 */
	last = panic + strlen("Kernel panic - not syncing: Bad page state: " REASON_DOUBLE_FREE " (fatal=on)\n");
	if (getenv("PMM_TEST_EMULATOR") && !strncmp(last, "qemu: uncaught target signal ", 29))
		last += strlen(last);
	assert_int_equal(*last, 0);

	/* A handler that returns breaks the contract, but pmm still contains the damage. */
	fx_init(&fx, "mem=64M cpus=2 fatal=on");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 1);
	model_free(fx.md, p);
	pmm_free_pages(fx.m, p, 1);
	assert_true(strstr(fx_new_log(&fx), "Kernel panic - not syncing: Bad page state: " REASON_DOUBLE_FREE
				      " (fatal=on)\n") != NULL);
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "fatal, handler returned");
	/* Without a handler the same. */
	pmm_set_bad_page_handler(fx.m, NULL, NULL);
	pmm_free_pages(fx.m, p, 1);
	assert_int_equal(pmm_bad_page_count(fx.m), fx.bad_seen + 1);
	assert_true(strstr(fx_new_log(&fx), "Kernel panic - not syncing") != NULL);
	fx.bad_seen++;
	fx.log_seen = fx.log.len;
	model_expect_bad_pages(fx.md, 1);
	fx_contained(&fx, "fatal, no handler");
	fx_done(&fx);

	/* Report-and-continue, the default, prints no panic line. */
	fx_init(&fx, "mem=64M cpus=2");
	p = model_alloc(fx.md, PMM_GFP_KERNEL, 0);
	model_free(fx.md, p);
	pmm_free_pages(fx.m, p, 0);
	assert_null(strstr(fx_new_log(&fx), "Kernel panic"));
	fx_expect_report(&fx, 1, pfn_of(&fx, p), REASON_DOUBLE_FREE, "default mode");
	fx_done(&fx);
	DETECTED();
}

#define T(fn) cmocka_unit_test(fn)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_double_free_immediate),
		T(test_double_free_after_merge),
		T(test_double_free_on_pcp_list),
		T(test_double_free_two_threads),
		T(test_foreign_pointer),
		T(test_foreign_pfn_in_hole),
		T(test_address_not_a_frame),
		T(test_never_allocated),
		T(test_wrong_order),
		T(test_tail_page),
		T(test_inside_plain_block),
		T(test_refcount_underflow),
		T(test_refcount_overflow),
		T(test_get_on_free_frame),
		T(test_flags_scribbled),
		T(test_mapping_scribbled),
		T(test_poison_overwritten),
		T(test_bad_frame_at_refill),
		T(test_double_free_under_a_pin),
		T(test_order_above_max),
		T(test_contradictory_gfp),
		T(test_contig_bad_sizes),
		T(test_free_reserved_not_memory),
		T(test_exhaustion_every_order),
		T(test_bad_configs),
		T(test_create_invalid_args),
		T(test_stale_cpu_pin),
		T(test_fatal_mode),
	};
	int failed;

	classes_total = sizeof(tests) / sizeof(tests[0]);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	printf("misuse: %u/%u classes detected\n", classes_detected, classes_total);
	return failed;
}
