// SPDX-License-Identifier: MIT
/*
 * The bulk calls (pmm_alloc_pages_bulk(), pmm_free_pages_bulk()) against
 * Linux 6.1's __alloc_pages_bulk() and release_pages() +
 * free_unref_page_list(): a bulk free leaves exactly the state the same
 * single frees leave (lists, counts, events, what is allocated next), on
 * the fast path and, with a tracepoint attached, on the two-pass path with
 * its events in the kernel's order; a bulk allocation refills a batch at a
 * time and counts once; misuse inside an array is reported per entry.
 */
#include "harness.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/report.h>
#include <pmm/trace.h>

#include "mm/internal.h"
#include "mm/pcp.h"

#define MACHINE "mem=1G cpus=2"

/*
 * The tests compare two machines driven alternately from one thread, so
 * they pin the thread to one host CPU (main()) rather than with
 * pmm_set_thread_cpu(), which pins a thread for one machine at a time:
 * both machines then use the same CPU's lists, through the restartable
 * per-CPU lock where the host has rseq.
 */
static struct pmm *machine(void)
{
	return pmm_test_machine(MACHINE, NULL);
}

/* /proc/zoneinfo and /proc/vmstat of @m, and the frames of the next @n order-0 allocations. */
static char *state(struct pmm *m, unsigned n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct pmm_page *p[64];

	assert_non_null(f);
	assert_true(n <= 64);
	assert_int_equal(pmm_report_zoneinfo(m, f), 0);
	assert_int_equal(pmm_report_vmstat(m, f), 0);
	for (unsigned i = 0; i < n; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		assert_non_null(p[i]);
		fprintf(f, "next %lu\n", pmm_page_to_pfn(m, p[i]));
	}
	for (unsigned i = 0; i < n; i++)
		pmm_free_pages(m, p[i], 0);
	fclose(f);
	return text;
}

/* The same allocations on two machines; @a then frees with single calls, @b in bulk. */
static void compare_frees(const char *what, struct pmm *a, struct pmm *b, unsigned nr,
			  unsigned chunk)
{
	struct pmm_page **pa = calloc(nr, sizeof(*pa)), **pb = calloc(nr, sizeof(*pb));
	char *sa, *sb;

	assert_non_null(pa);
	assert_non_null(pb);
	for (unsigned i = 0; i < nr; i++) {
		/* Mixed mobility: the pages go to more than one list. */
		pmm_gfp_t gfp = i % 5 == 3 ? PMM_GFP_HIGHUSER_MOVABLE : PMM_GFP_KERNEL;

		pa[i] = pmm_alloc_pages(a, gfp, 0);
		pb[i] = pmm_alloc_pages(b, gfp, 0);
		assert_non_null(pa[i]);
		assert_int_equal(pmm_page_to_pfn(a, pa[i]), pmm_page_to_pfn(b, pb[i]));
	}
	/* Free in a scattered order, so neighbours on the lists are not neighbours in memory. */
	for (unsigned i = 0; i < nr; i++) {
		unsigned j = (unsigned)((i * 7919ul) % nr);
		struct pmm_page *t = pa[i];

		pa[i] = pa[j];
		pa[j] = t;
		t = pb[i];
		pb[i] = pb[j];
		pb[j] = t;
	}
	for (unsigned i = 0; i < nr; i++)
		pmm_free_pages(a, pa[i], 0);
	for (unsigned i = 0; i < nr; i += chunk)
		pmm_free_pages_bulk(b, nr - i < chunk ? nr - i : chunk, pb + i);
	sa = state(a, 40);
	sb = state(b, 40);
	if (strcmp(sa, sb))
		print_message("%s: single frees and bulk frees differ\n", what);
	pmm_test_assert_text_eq(what, sa, strlen(sa), sb, strlen(sb));
	assert_int_equal(pmm_bad_page_count(b), 0);
	assert_machine_valid(a);
	assert_machine_valid(b);
	free(sa);
	free(sb);
	free(pa);
	free(pb);
}

/*
 * Bulk frees leave what single frees leave: the same lists in the same
 * order (what is allocated next), the same counts and events, with drains
 * at high on the way (3000 pages pass high several times) and lock holds
 * of SWAP_CLUSTER_MAX.
 */
static void test_bulk_free_equals_single_frees(void **state_)
{
	static const unsigned chunks[] = { 1, 7, 32, 33, 500, 3000 };

	(void)state_;
	for (unsigned c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct pmm *a = machine(), *b = machine();
		char what[64];

		snprintf(what, sizeof(what), "bulk frees of %u", chunks[c]);
		compare_frees(what, a, b, 3000, chunks[c]);
		pmm_destroy(a);
		pmm_destroy(b);
	}
}

/* The lists of @p's zone that this thread uses (it stays on one CPU). */
static struct per_cpu_pages *this_pcp(struct pmm *m, struct pmm_page *p)
{
	struct zone *zone = &m->node_data[pmm_page_nid(p)]->node_zones[pmm_page_zonenum(p)];

	return &zone->per_cpu_pageset[pmm_this_cpu(m)];
}

/*
 * A bulk free whose last page brings count to high drains at that page, as
 * the single free of that page does, not at the next one.
 */
static void test_bulk_free_drains_at_high(void **state_)
{
	struct pmm *a = machine(), *b = machine();
	struct per_cpu_pages *pa, *pb;
	struct pmm_page **arr, **brr;
	unsigned n, k;
	char *sa, *sb;

	(void)state_;
	arr = calloc(4096, sizeof(*arr));
	brr = calloc(4096, sizeof(*brr));
	assert_non_null(arr);
	assert_non_null(brr);
	arr[0] = pmm_alloc_pages(a, PMM_GFP_KERNEL, 0);
	brr[0] = pmm_alloc_pages(b, PMM_GFP_KERNEL, 0);
	pa = this_pcp(a, arr[0]);
	pb = this_pcp(b, brr[0]);
	n = (unsigned)pb->high * 2;
	assert_true(n <= 4096);
	for (unsigned i = 1; i < n; i++) {
		arr[i] = pmm_alloc_pages(a, PMM_GFP_KERNEL, 0);
		brr[i] = pmm_alloc_pages(b, PMM_GFP_KERNEL, 0);
		assert_int_equal(pmm_page_to_pfn(a, arr[i]), pmm_page_to_pfn(b, brr[i]));
	}
	assert_int_equal(pa->count, pb->count);
	k = (unsigned)(pb->high - pb->count);
	for (unsigned i = 0; i < k; i++)
		pmm_free_pages(a, arr[i], 0);
	pmm_free_pages_bulk(b, k, brr);
	assert_true(pb->count < pb->high);
	assert_int_equal(pa->count, pb->count);
	for (unsigned i = k; i < n; i++)
		pmm_free_pages(a, arr[i], 0);
	pmm_free_pages_bulk(b, n - k, brr + k);
	sa = state(a, 40);
	sb = state(b, 40);
	pmm_test_assert_text_eq("drain at high", sa, strlen(sa), sb, strlen(sb));
	free(sa);
	free(sb);
	free(arr);
	free(brr);
	pmm_destroy(a);
	pmm_destroy(b);
}

/* The same with a tracepoint attached: the two-pass path, and its events in the kernel's order. */
static void test_bulk_free_traced(void **state_)
{
	struct pmm *a = machine(), *b = machine();
	struct pmm_trace_writer *wa, *wb;
	struct pmm_trace_attach_opts opts = { .no_header = 1 };
	char *ta = NULL, *tb = NULL, *line;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
	struct pmm_page *p[6];
	unsigned long pfn[6];
	unsigned frees = 0, batched = 0;

	(void)state_;
	assert_int_equal(pmm_trace_attach(a, fa, &opts, &wa), 0);
	assert_int_equal(pmm_trace_attach(b, fb, &opts, &wb), 0);
	compare_frees("traced bulk frees", a, b, 700, 50);
	assert_int_equal(pmm_trace_detach(wa), 0);
	assert_int_equal(pmm_trace_detach(wb), 0);
	fclose(fa);
	fclose(fb);
	free(ta);
	free(tb);

	/* Six pages: six mm_page_free lines first, then six mm_page_free_batched, in array order. */
	tb = NULL;
	fb = open_memstream(&tb, &lb);
	for (unsigned i = 0; i < 6; i++) {
		p[i] = pmm_alloc_pages(b, PMM_GFP_KERNEL, 0);
		pfn[i] = pmm_page_to_pfn(b, p[i]);
	}
	assert_int_equal(pmm_trace_attach(b, fb, &opts, &wb), 0);
	pmm_free_pages_bulk(b, 6, p);
	assert_int_equal(pmm_trace_detach(wb), 0);
	fclose(fb);
	for (line = strtok(tb, "\n"); line; line = strtok(NULL, "\n")) {
		char want[64];

		if (strstr(line, "mm_page_free:")) {
			assert_int_equal(batched, 0);
			assert_true(frees < 6);
			snprintf(want, sizeof(want), "pfn=0x%lx order=0", pfn[frees++]);
		} else if (strstr(line, "mm_page_free_batched:")) {
			assert_int_equal(frees, 6);
			assert_true(batched < 6);
			snprintf(want, sizeof(want), "pfn=0x%lx order=0", pfn[batched++]);
		} else {
			fail_msg("unexpected trace line: %s", line);
		}
		if (!strstr(line, want))
			fail_msg("trace line %s: want %s", line, want);
	}
	assert_int_equal(frees, 6);
	assert_int_equal(batched, 6);
	free(tb);
	assert_machine_valid(b);
	pmm_destroy(a);
	pmm_destroy(b);
}

/*
 * Misuse inside an array is reported per entry and contained: the same
 * page twice, a pointer into nowhere, a tail page, the head of an order-1
 * block; NULL is skipped; a page with a second reference only loses one.
 */
static void test_bulk_free_misuse(void **state_)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine(MACHINE, &log);
	unsigned long free0, bad0;
	struct pmm_page *p[4], *shared, *pair, *arr[10];
	static char not_a_page[256];

	(void)state_;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	bad0 = pmm_bad_page_count(m);
	for (unsigned i = 0; i < 4; i++)
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	shared = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_int_equal(pmm_get_page(m, shared), 0);
	pair = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
	arr[0] = p[0];
	arr[1] = NULL;
	arr[2] = p[1];
	arr[3] = p[0]; /* twice in one call */
	arr[4] = (struct pmm_page *)not_a_page;
	arr[5] = shared;
	arr[6] = (struct pmm_page *)((struct page *)pair + 1); /* a tail of the order-1 block */
	arr[7] = pair;                                         /* its head, as order 0 */
	arr[8] = p[2];
	arr[9] = p[3];
	pmm_test_log_reset(&log);
	pmm_free_pages_bulk(m, 10, arr);
	/* The second p[0], the foreign pointer, the tail and the head: four reports. */
	assert_int_equal(pmm_bad_page_count(m), bad0 + 4);
	assert_true(pmm_test_log_has(&log, "BUG: Bad page state"));
	assert_int_equal(pmm_page_count(shared), 1);
	assert_int_equal(pmm_page_count(pair), 1);
	assert_machine_valid(m);
	/* What was refused is still the caller's to free properly. */
	pmm_free_pages(m, shared, 0);
	pmm_free_pages(m, pair, 1);
	pmm_drain_all(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	assert_int_equal(pmm_bad_page_count(m), bad0 + 4);
	assert_machine_valid(m);
	/* Nothing to do. */
	pmm_free_pages_bulk(m, 0, NULL);
	arr[0] = NULL;
	pmm_free_pages_bulk(m, 1, arr);
	assert_int_equal(pmm_bad_page_count(m), bad0 + 4);
	pmm_destroy(m);
	free(log.buf);
}

/*
 * A bulk allocation refills this CPU's list a batch at a time, as
 * __rmqueue_pcplist() does (not all it needs at once), takes the pages
 * from its front, counts PGALLOC once per page and traces no mm_page_alloc.
 */
static void test_bulk_alloc_batches(void **state_)
{
	struct pmm *m = machine();
	struct pmm_page *arr[200] = { 0 };
	struct per_cpu_pages *pcp;
	unsigned long pgalloc0;
	int batch, before;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct pmm_trace_writer *w;
	struct pmm_trace_attach_opts opts = { .no_header = 1 };

	(void)state_;
	arr[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	pcp = this_pcp(m, arr[0]);
	batch = pcp->batch;
	assert_true(batch > 1 && 200 % batch != 0);
	pmm_drain_all(m);
	pgalloc0 = pmm_test_vmstat(m, "pgalloc_dma32") + pmm_test_vmstat(m, "pgalloc_normal");
	assert_int_equal(pmm_trace_attach(m, f, &opts, &w), 0);
	assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 200, arr), 200);
	assert_int_equal(pmm_trace_detach(w), 0);
	fclose(f);
	/* 199 pages from an empty list: ceil(199 / batch) refills of batch pages each. */
	before = (199 + batch - 1) / batch * batch;
	assert_int_equal(pcp->count, before - 199);
	assert_int_equal(pmm_test_vmstat(m, "pgalloc_dma32") + pmm_test_vmstat(m, "pgalloc_normal"),
			 pgalloc0 + 199);
	assert_null(strstr(text, "mm_page_alloc:"));
	assert_non_null(strstr(text, "mm_page_alloc_zone_locked:"));
	free(text);
	for (unsigned i = 1; i < 200; i++) {
		assert_non_null(arr[i]);
		assert_int_equal(pmm_page_count(arr[i]), 1);
		/* Refilled in frame order, taken from the front. */
		if (i > 1 && (i - 1) % batch)
			assert_int_equal(pmm_page_to_pfn(m, arr[i]), pmm_page_to_pfn(m, arr[i - 1]) + 1);
	}
	pmm_free_pages_bulk(m, 200, arr);
	assert_machine_valid(m);

	/* One empty slot, led by filled ones: the single page allocator. */
	memset(arr, 0, sizeof(arr));
	for (unsigned i = 0; i < 3; i++)
		arr[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	arr[1] = NULL;
	/* Slots filled after the first empty one do not make it a single-slot call... */
	assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 3, arr), 3);
	arr[2] = NULL;
	/* ...while one empty slot at the end does; either way the slot is filled. */
	assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 3, arr), 3);
	pmm_free_pages_bulk(m, 3, arr);
	pmm_drain_all(m);
	assert_int_equal(pmm_bad_page_count(m), 0);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* __GFP_ZERO pages of a batch are prepared (zeroed) like any other allocation's. */
static void test_bulk_alloc_zeroed(void **state_)
{
	struct pmm *m = machine();
	struct pmm_page *arr[40] = { 0 };

	(void)state_;
	assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 40, arr), 40);
	for (unsigned i = 0; i < 40; i++)
		memset(pmm_page_address(m, arr[i]), 0xa5, PMM_PAGE_SIZE);
	pmm_free_pages_bulk(m, 40, arr);
	memset(arr, 0, sizeof(arr));
	assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL | PMM___GFP_ZERO, 40, arr), 40);
	for (unsigned i = 0; i < 40; i++) {
		const unsigned char *b = pmm_page_address(m, arr[i]);

		for (unsigned j = 0; j < PMM_PAGE_SIZE; j++)
			if (b[j])
				fail_msg("page %u byte %u is 0x%x after __GFP_ZERO", i, j, b[j]);
	}
	pmm_free_pages_bulk(m, 40, arr);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/*
 * The slots a caller filled are the caller's: pmm reads none of them, also
 * when it prepares the pages it adds (__GFP_ZERO, page checks), as the
 * kernel's __alloc_pages_bulk() only skips them.  A slot holding something
 * that is no page at all stays as it was.
 */
static void test_bulk_alloc_leaves_filled_slots(void **state_)
{
	static const char *const configs[] = { "mem=256M cpus=1", "mem=256M cpus=1 page_poison=on" };

	(void)state_;
	for (unsigned c = 0; c < 2; c++) {
		struct pmm *m = pmm_test_machine(configs[c], NULL);
		struct pmm_page *arr[40] = { 0 }, *const mark = (struct pmm_page *)(uintptr_t)0x1230;

		/* No array: nothing filled, nothing freed. */
		assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, 4, NULL), 0);
		pmm_free_pages_bulk(m, 4, NULL);
		for (unsigned i = 0; i < 40; i += 5)
			arr[i] = mark;
		assert_int_equal(pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL | PMM___GFP_ZERO, 40, arr), 40);
		for (unsigned i = 0; i < 40; i++) {
			if (i % 5 == 0) {
				assert_ptr_equal(arr[i], mark);
				arr[i] = NULL;
				continue;
			}
			assert_int_equal(pmm_page_count(arr[i]), 1);
			assert_int_equal(((const unsigned char *)pmm_page_address(m, arr[i]))[PMM_PAGE_SIZE - 1], 0);
		}
		pmm_free_pages_bulk(m, 40, arr);
		pmm_drain_all(m);
		assert_int_equal(pmm_bad_page_count(m), 0);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

int main(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		perror("sched_setaffinity");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_free_equals_single_frees),
		cmocka_unit_test(test_bulk_free_drains_at_high),
		cmocka_unit_test(test_bulk_free_traced),
		cmocka_unit_test(test_bulk_free_misuse),
		cmocka_unit_test(test_bulk_alloc_batches),
		cmocka_unit_test(test_bulk_alloc_zeroed),
		cmocka_unit_test(test_bulk_alloc_leaves_filled_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
