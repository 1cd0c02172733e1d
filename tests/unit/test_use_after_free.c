// SPDX-License-Identifier: MIT
/*
 * Use after free, caught three ways:
 *   - page_poison=on: a write into a freed block is reported when the block
 *     is handed out again, with the frame and the offset of the damage;
 *   - debug_pagealloc=on: free frames are inaccessible, so a stray access
 *     faults at once (in a forked child, which must die of SIGSEGV);
 *   - ASan builds (PMM_ASAN): pmm poisons free frames for ASan, which names
 *     the access "use-after-poison" (in a forked child).
 * Each also holds for frames never allocated since boot.
 */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef PMM_ASAN
#include <sanitizer/asan_interface.h>
#define hide_from_asan(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define hide_from_asan(p, n) ((void)(p), (void)(n))
#endif

static unsigned long poison_reports;
static char poison_reason[128];

static void on_bad(void *ctx, unsigned long pfn, const char *reason)
{
	(void)ctx;
	(void)pfn;
	poison_reports++;
	snprintf(poison_reason, sizeof(poison_reason), "%s", reason);
}

/* page_poison=on: the next allocation of the damaged frame reports it. */
static void test_poison_reports_at_reuse(void **state)
{
	struct pmm_test_log log = { 0 };
	struct pmm *m = pmm_test_machine("mem=64M cpus=1 page_poison=on pcp=off", &log);
	struct pmm_page *p, *q;
	unsigned char *mem;
	unsigned long pfn;
	char want[128];

	(void)state;
	pmm_set_bad_page_handler(m, on_bad, NULL);
	poison_reports = 0;
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	pfn = pmm_page_to_pfn(m, p);
	mem = pmm_page_address(m, p);
	memset(mem, 0x5a, 8 * PMM_PAGE_SIZE);
	pmm_free_pages(m, p, 3);
	/* Freed memory holds the poison. */
	hide_from_asan(mem, 8 * PMM_PAGE_SIZE);
	for (size_t i = 0; i < 8 * PMM_PAGE_SIZE; i += 511)
		assert_int_equal(mem[i], 0xaa);
	mem[2 * PMM_PAGE_SIZE + 0x456] = 0; /* the use after free, in the third frame */
	pmm_test_log_reset(&log);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	assert_ptr_equal(q, p);
	assert_int_equal(poison_reports, 1);
	assert_string_equal(poison_reason, "pagealloc: memory corruption");
	assert_true(pmm_test_log_has(&log, "pagealloc: memory corruption\n"));
	snprintf(want, sizeof(want), "pagealloc: pfn 0x%lx: first bad byte at offset 0x456, last at 0x456\n",
		 pfn + 2);
	if (!pmm_test_log_has(&log, want))
		fail_msg("log lacks \"%s\":\n%s", want, log.buf);
	assert_true(pmm_test_log_has(&log, "00000450: aa aa aa aa aa aa 00 aa"));
	assert_true(pmm_test_log_has(&log, "page dumped because: pagealloc: corrupted page details\n"));
	/* The other frames of the block are clean: one report only. */
	pmm_free_pages(m, q, 3);
	/* A frame never allocated since boot is poisoned too. */
	{
		struct pmm_page *far = pmm_pfn_to_page(m, 0x3f00);
		unsigned char *fm = pmm_page_address(m, far);

		assert_int_equal(pmm_page_count(far), 0);
		hide_from_asan(fm, PMM_PAGE_SIZE);
		assert_int_equal(fm[100], 0xaa);
	}
	assert_machine_valid(m);
	pmm_destroy(m);
	pmm_test_log_reset(&log);
}

/* ------------------------------------------------------------ forked children */

enum uaf_mode { UAF_PAGEALLOC_FREED, UAF_PAGEALLOC_NEVER, UAF_PAGEALLOC_READ, UAF_PAGEALLOC_GUARD,
		UAF_PAGEALLOC_WAS_GUARD, UAF_ASAN_FREED, UAF_ASAN_NEVER, UAF_REALLOCATED_OK };

static void child(enum uaf_mode mode)
{
	const char *cfg = mode == UAF_PAGEALLOC_GUARD || mode == UAF_PAGEALLOC_WAS_GUARD
				  ? "mem=64M cpus=1 pcp=off debug_pagealloc=on debug_guardpage_minorder=3"
			  : mode <= UAF_PAGEALLOC_WAS_GUARD || mode == UAF_REALLOCATED_OK
				  ? "mem=64M cpus=1 debug_pagealloc=on"
				  : "mem=64M cpus=1";
	struct pmm_config c;
	struct pmm *m;
	struct pmm_page *p;
	volatile unsigned char *mem;

	pmm_config_default(&c);
	if (pmm_config_parse(&c, cfg, strlen(cfg), "<t>", NULL, 0) || pmm_create(&c, &m))
		_exit(2);
	if (mode == UAF_PAGEALLOC_GUARD || mode == UAF_PAGEALLOC_WAS_GUARD) {
		/* An order-0 page split from a free block: its buddies up to order 2 are guards. */
		p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
		if (!p)
			_exit(3);
		mem = pmm_page_address(m, p);
		mem[0] = 1;
		if (mode == UAF_PAGEALLOC_WAS_GUARD)
			pmm_free_pages(m, p, 0); /* the guards merge back into a free block */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		hide_from_asan((void *)(mem + PMM_PAGE_SIZE), 7 * PMM_PAGE_SIZE);
		mem[5 * PMM_PAGE_SIZE + 3] = 6;
		_exit(4);
	}
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
	if (!p)
		_exit(3);
	mem = pmm_page_address(m, p);
	mem[0] = 1;
	mem[PMM_PAGE_SIZE + 17] = 2; /* allocated: fine */
	pmm_free_pages(m, p, 1);
	if (mode <= UAF_PAGEALLOC_READ || mode == UAF_REALLOCATED_OK) {
		/* Let the fault kill us, whatever handler a sanitizer installed. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
	}
	switch (mode) {
	case UAF_PAGEALLOC_FREED:
		hide_from_asan((void *)mem, 2 * PMM_PAGE_SIZE);
		mem[PMM_PAGE_SIZE + 17] = 3;
		break;
	case UAF_PAGEALLOC_READ:
		hide_from_asan((void *)mem, 2 * PMM_PAGE_SIZE);
		(void)mem[5];
		break;
	case UAF_PAGEALLOC_NEVER:
	case UAF_ASAN_NEVER:
		mem = pmm_page_address(m, pmm_pfn_to_page(m, 0x3e00));
		if (mode == UAF_PAGEALLOC_NEVER)
			hide_from_asan((void *)mem, PMM_PAGE_SIZE);
		mem[9] = 4;
		break;
	case UAF_ASAN_FREED:
		mem[PMM_PAGE_SIZE + 17] = 3;
		break;
	case UAF_PAGEALLOC_GUARD:
	case UAF_PAGEALLOC_WAS_GUARD:
		break; /* done above */
	case UAF_REALLOCATED_OK:
		/* Allocated again: accessible again. */
		p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 1);
		mem = pmm_page_address(m, p);
		mem[PMM_PAGE_SIZE + 17] = 5;
		pmm_free_pages(m, p, 1);
		pmm_destroy(m);
		_exit(0);
	}
	_exit(4); /* the access did not trap */
}

static void child_main(void *arg)
{
	child(*(enum uaf_mode *)arg);
}

static void expect_segv(enum uaf_mode mode, const char *what)
{
	char out[8192];
	int status = pmm_test_run_child(child_main, &mode, out, sizeof(out));

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		fail_msg("%s: child status 0x%x (exit %d), want death by SIGSEGV; stderr:\n%s", what, status,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
}

static void test_debug_pagealloc_faults(void **state)
{
	enum uaf_mode ok = UAF_REALLOCATED_OK;
	char out[8192];
	int status;

	(void)state;
	expect_segv(UAF_PAGEALLOC_FREED, "write to a freed frame");
	expect_segv(UAF_PAGEALLOC_READ, "read of a freed frame");
	expect_segv(UAF_PAGEALLOC_NEVER, "write to a frame never allocated");
	expect_segv(UAF_PAGEALLOC_GUARD, "write to a guard page");
	expect_segv(UAF_PAGEALLOC_WAS_GUARD, "write to a former guard page, now free");
	status = pmm_test_run_child(child_main, &ok, out, sizeof(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("reallocated frame: child status 0x%x; stderr:\n%s", status, out);
}

static void expect_asan(enum uaf_mode mode, const char *what)
{
	char out[16384];
	int status = pmm_test_run_child(child_main, &mode, out, sizeof(out));

	if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 4))
		fail_msg("%s: the access went unnoticed (exit %d)", what, WEXITSTATUS(status));
	if (!strstr(out, "use-after-poison"))
		fail_msg("%s: ASan did not report use-after-poison; stderr:\n%s", what, out);
}

static void test_asan_poisons_free_frames(void **state)
{
	(void)state;
#ifdef PMM_ASAN
	expect_asan(UAF_ASAN_FREED, "write to a freed frame");
	expect_asan(UAF_ASAN_NEVER, "write to a frame never allocated");
#else
	(void)expect_asan;
	print_message("SKIP: not an ASan build (PMM_ASAN undefined)\n");
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poison_reports_at_reuse),
		cmocka_unit_test(test_debug_pagealloc_faults),
		cmocka_unit_test(test_asan_poisons_free_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
