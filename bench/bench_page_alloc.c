// SPDX-License-Identifier: MIT
/*
 * bench_page_alloc: the machine's own costs, in one table each.
 *
 *   1. boot: time and peak RSS to boot 8 GiB and 64 GiB machines (each in a
 *      child process, so RSS is the machine's alone), and 64 GiB on a memfd
 *      with the memmap in host memory and self-hosted (memmap=altmap);
 *   2. the zone path (per-CPU lists off) and the per-CPU path: order 0..10
 *      alloc+free pairs, ns per pair (median of 5) and, with --callgrind,
 *      instructions per pair from callgrind (the loop subtracted);
 *   3. page_owner off vs on: an order-0 pair, ns and instructions, and
 *      page_owner's bytes per frame; then page_owner's own work alone: its
 *      two hooks called directly on one page (what an allocation path pays
 *      to call them), ns and instructions per pair and the instructions of
 *      the stack walks in them (callgrind's inclusive counts); and the cost
 *      of a read of page_owner's clock against clock_gettime().
 *   4. bulk: the per-CPU lists' traffic with the zone, bench_alloc's case
 *      (b) on the default machine: rounds of 100 000 order-0 allocations,
 *      each touched, then frees in random order; ns per allocation and per
 *      free (median of 5 rounds) and, with --callgrind, the instructions
 *      per page of the per-CPU refill (rmqueue_bulk) and drain
 *      (free_pcppages_bulk), callgrind's inclusive counts.
 *
 * Usage: bench_page_alloc [--callgrind] [--only boot,zone,owner,bulk]
 * Internal: bench_page_alloc --pairs CONFIG ORDER N   (one measured loop)
 *           bench_page_alloc --hooks CONFIG N          (the hooks alone)
 *           bench_page_alloc --bulk ROUNDS             (bulk's rounds)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pmm/page_owner.h>
#include <pmm/pmm.h>

#include "ext/page_owner.h"
#include "platform/fastclock.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct pmm *boot(const char *cfgtext)
{
	struct pmm_config c;
	struct pmm *m;

	pmm_config_default(&c);
	if (pmm_config_parse(&c, cfgtext, strlen(cfgtext), "bench", NULL, 0)) {
		fprintf(stderr, "bad config %s\n", cfgtext);
		exit(2);
	}
	c.log = NULL;
	c.log_ctx = NULL;
	if (pmm_create(&c, &m)) {
		fprintf(stderr, "cannot boot %s\n", cfgtext);
		exit(1);
	}
	return m;
}

static void quiet_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static struct pmm *boot_quiet(const char *cfgtext)
{
	struct pmm_config c;
	struct pmm *m;

	pmm_config_default(&c);
	pmm_config_parse(&c, cfgtext, strlen(cfgtext), "bench", NULL, 0);
	c.log = quiet_log;
	if (pmm_create(&c, &m))
		exit(1);
	return m;
}

/* The measured loop: N alloc+free pairs of @order (pages touched once). */
static __attribute__((noinline)) void pairs(struct pmm *m, unsigned order, long n)
{
	for (long i = 0; i < n; i++) {
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, order);
		*(volatile char *)pmm_page_address(m, p) = 1;
		pmm_free_pages(m, p, order);
	}
}

/*
 * page_owner's hooks alone, as an allocation path calls them (from a
 * function of its own, as post_alloc_hook() and free_pages_prepare() do):
 * N records of an order-0 allocation and its free, on one page that stays
 * allocated.  The barrier keeps the compiler from testing page_owner once
 * for the whole loop, which an allocation path cannot do either.
 */
static __attribute__((noinline)) void alloc_hook(struct pmm *m, struct page *page)
{
	set_page_owner(m, page, 0, PMM_GFP_KERNEL);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void free_hook(struct pmm *m, struct page *page)
{
	reset_page_owner(m, page, 0);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void hook_pairs(struct pmm *m, struct pmm_page *p, long n)
{
	struct page *page = (struct page *)p;

	for (long i = 0; i < n; i++) {
		alloc_hook(m, page);
		free_hook(m, page);
	}
}

static double median_hook_ns(const char *cfg, long n)
{
	struct pmm *m = boot_quiet(cfg);
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	double t[5];

	hook_pairs(m, p, n / 4 + 1);
	for (int r = 0; r < 5; r++) {
		double t0 = thread_ns();
		hook_pairs(m, p, n);
		t[r] = (thread_ns() - t0) / (double)n;
	}
	pmm_free_pages(m, p, 0);
	pmm_destroy(m);
	qsort(t, 5, sizeof(t[0]), cmp_double);
	return t[2];
}

/* Where clock_read_ns() puts what it reads, so the reads are not optimised away. */
static volatile uint64_t sink;

/* ns per read of page_owner's clock (@fast) or of clock_gettime(), median of 5. */
static double clock_read_ns(int fast)
{
	const long n = 2000000;
	double t[5];

	pmm_clock_fast_init();
	for (int r = 0; r < 5; r++) {
		double t0 = thread_ns();

		for (long i = 0; i < n; i++) {
			if (fast) {
				sink += pmm_clock_fast_ns();
			} else {
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				sink += (uint64_t)ts.tv_nsec;
			}
		}
		t[r] = (thread_ns() - t0) / (double)n;
	}
	qsort(t, 5, sizeof(t[0]), cmp_double);
	return t[2];
}

static __attribute__((noinline)) void empty_loop(long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

static double median_pair_ns(const char *cfg, unsigned order, long n)
{
	struct pmm *m = boot_quiet(cfg);
	double t[5];

	pairs(m, order, n / 4 + 1); /* warm: pages resident, lists filled */
	for (int r = 0; r < 5; r++) {
		double t0 = thread_ns();
		pairs(m, order, n);
		t[r] = (thread_ns() - t0) / (double)n;
	}
	pmm_destroy(m);
	qsort(t, 5, sizeof(t[0]), cmp_double);
	return t[2];
}

/*
 * Run ourselves under callgrind with @args, counting inside @fn only.
 * Return: instructions per iteration (@iters of them counted), -1 on
 * failure; @incl[i], if given, the inclusive count per iteration of the
 * function named @fns[i] (0 when it never ran).
 */
static double callgrind_run(const char *self, const char *fn, const char *args, long iters,
			    const char *const *fns, double *incl, int nfns)
{
	char cmd[1024], out[64] = "/tmp/pmm-cg-XXXXXX";
	int fd = mkstemp(out);
	double total = -1;
	FILE *f;

	if (fd < 0)
		return -1;
	close(fd);
	for (int i = 0; i < nfns; i++)
		incl[i] = 0;
	snprintf(cmd, sizeof(cmd),
		 "valgrind --tool=callgrind --callgrind-out-file=%s --toggle-collect=%s %s %s "
		 ">/dev/null 2>&1",
		 out, fn, self, args);
	if (system(cmd) == 0 && (f = fopen(out, "r"))) {
		char line[256];
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7))
				total = strtod(strchr(line, ':') + 1, NULL);
		fclose(f);
	}
	if (total >= 0 && nfns) {
		snprintf(cmd, sizeof(cmd), "callgrind_annotate --inclusive=yes --threshold=100 %s 2>/dev/null", out);
		if ((f = popen(cmd, "r"))) {
			char line[512];
			while (fgets(line, sizeof(line), f))
				for (int i = 0; i < nfns; i++) {
					char want[128];
					const char *at;

					snprintf(want, sizeof(want), ":%s ", fns[i]);
					if ((at = strstr(line, want))) {
						char num[64];
						size_t k = 0;

						for (const char *c = line; c < at && k < sizeof(num) - 1; c++)
							if (*c >= '0' && *c <= '9')
								num[k++] = *c;
							else if (*c == '(')
								break;
						num[k] = 0;
						incl[i] = strtod(num, NULL) / (double)iters;
					}
				}
			pclose(f);
		}
	}
	unlink(out);
	return total < 0 ? -1 : total / (double)iters;
}

/* Instructions per pair from callgrind: run ourselves under valgrind. */
static double callgrind_pairs(const char *self, const char *cfg, unsigned order, long n)
{
	char args[512];

	snprintf(args, sizeof(args), "--pairs '%s' %u %ld", cfg, order, n);
	/* The measured run does n / 10 + 1 warm-up pairs first, inside pairs() too. */
	return callgrind_run(self, "pairs", args, order == 99 ? n : n + n / 10 + 1, NULL, NULL, 0);
}

/* ---------------------------------------------------------------- bulk */

#define BULK_N 100000

struct bulk {
	struct pmm *m;
	struct pmm_page **blocks;
	uint32_t *order; /* the free order: a fixed-seed permutation */
};

static void bulk_init(struct bulk *b)
{
	uint64_t x = 88172645463325252ull;

	b->m = boot_quiet("");
	b->blocks = calloc(BULK_N, sizeof(*b->blocks));
	b->order = calloc(BULK_N, sizeof(*b->order));
	if (!b->blocks || !b->order)
		exit(2);
	for (uint32_t i = 0; i < BULK_N; i++)
		b->order[i] = i;
	for (uint32_t i = BULK_N - 1; i > 0; i--) {
		uint32_t j, t;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		j = (uint32_t)(x % (i + 1));
		t = b->order[i], b->order[i] = b->order[j], b->order[j] = t;
	}
}

/* One round; the thread CPU ns of its allocations and of its frees in *@ta, *@tf. */
static __attribute__((noinline)) void bulk_round(struct bulk *b, double *ta, double *tf)
{
	double t0 = thread_ns(), t1;

	for (long i = 0; i < BULK_N; i++) {
		struct pmm_page *p = pmm_alloc_pages(b->m, PMM_GFP_KERNEL, 0);

		if (!p) {
			fprintf(stderr, "bench_page_alloc: bulk: allocation %ld failed\n", i);
			exit(1);
		}
		*(volatile char *)pmm_page_address(b->m, p) = 1;
		b->blocks[i] = p;
	}
	t1 = thread_ns();
	for (long i = 0; i < BULK_N; i++)
		pmm_free_pages(b->m, b->blocks[b->order[i]], 0);
	*ta = t1 - t0;
	*tf = thread_ns() - t1;
}

/* The rounds callgrind counts (its toggle), after one round of warm-up. */
static __attribute__((noinline)) void bulk_rounds(struct bulk *b, long rounds)
{
	double ta, tf;

	for (long r = 0; r < rounds; r++)
		bulk_round(b, &ta, &tf);
}

static void bench_bulk(const char *self, int cg)
{
	static const char *const fns[] = { "rmqueue_bulk", "free_pcppages_bulk" };
	double ta[5], tf[5], incl[2];
	struct bulk b;

	bulk_init(&b);
	bulk_round(&b, &ta[0], &tf[0]); /* warm: memory resident */
	for (int r = 0; r < 5; r++) {
		bulk_round(&b, &ta[r], &tf[r]);
		ta[r] /= BULK_N;
		tf[r] /= BULK_N;
	}
	pmm_destroy(b.m);
	qsort(ta, 5, sizeof(ta[0]), cmp_double);
	qsort(tf, 5, sizeof(tf[0]), cmp_double);
	printf("\n### Per-CPU refill and drain (bench_alloc's case (b) pattern)\n\n");
	printf("%d order-0 allocations, each touched, then frees in random order; ns per page, "
	       "median of 5 rounds.\n\n",
	       BULK_N);
	printf("| allocation | free |");
	if (cg)
		printf(" refill instructions per page | drain instructions per page |");
	printf("\n|---:|---:|%s\n", cg ? "---:|---:|" : "");
	printf("| %.1f | %.1f |", ta[2], tf[2]);
	if (cg) {
		/* Each page is refilled once and drained once per round; 5 rounds counted. */
		if (callgrind_run(self, "bulk_rounds", "--bulk 5", 5l * BULK_N, fns, incl, 2) < 0)
			printf(" – | – |");
		else
			printf(" %.0f | %.0f |", incl[0], incl[1]);
	}
	printf("\n");
}

static void bench_boot(void)
{
	static const char *const cfgs[] = {
		"mem=8G", "mem=64G", "mem=64G backend=memfd", "mem=64G backend=memfd memmap=altmap",
	};

	printf("## Boot (fresh process each; peak RSS includes the process itself)\n\n");
	printf("| machine | boot time (ms, median of 5) | peak RSS (MiB) | memmap (MiB) |\n|---|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		double t[5];
		long rss = 0;

		for (int r = 0; r < 5; r++) {
			int pipefd[2];
			pid_t pid;

			if (pipe(pipefd))
				exit(1);
			pid = fork();
			if (pid == 0) {
				double t0 = now_ns(), dt;
				struct pmm *m = boot_quiet(cfgs[i]);
				struct rusage ru;

				dt = now_ns() - t0;
				getrusage(RUSAGE_SELF, &ru);
				dprintf(pipefd[1], "%f %ld\n", dt, ru.ru_maxrss);
				pmm_destroy(m);
				_exit(0);
			}
			close(pipefd[1]);
			{
				char buf[128] = { 0 };
				ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
				if (n > 0)
					sscanf(buf, "%lf %ld", &t[r], &rss);
			}
			close(pipefd[0]);
			waitpid(pid, NULL, 0);
		}
		qsort(t, 5, sizeof(t[0]), cmp_double);
		printf("| %s | %.1f | %.0f | %.0f |\n", cfgs[i], t[2] / 1e6, rss / 1024.0,
		       (double)strtoull(cfgs[i] + 4, NULL, 10) * 1024 * 64 / 4096);
	}
	printf("\n");
}

static void bench_zone(const char *self, int cg)
{
	double loop = cg ? callgrind_pairs(self, "mem=1G", 99, 100000) : 0;

	printf("## Alloc+free pairs by order: zone path (pcp=off) and per-CPU path\n\n");
	printf("| order | zone path ns | per-CPU path ns |%s\n", cg ? " zone path instr | per-CPU instr |" : "");
	printf("|---:|---:|---:|%s\n", cg ? "---:|---:|" : "");
	for (unsigned o = 0; o < 11; o++) {
		long n = o < 4 ? 200000 : 20000;
		double z = median_pair_ns("mem=4G pcp=off", o, n);
		double p = median_pair_ns("mem=4G", o, n);

		printf("| %u | %.1f | %.1f |", o, z, p);
		if (cg)
			printf(" %.0f | %.0f |", callgrind_pairs(self, "mem=1G pcp=off", o, 20000) - loop,
			       callgrind_pairs(self, "mem=1G", o, 20000) - loop);
		printf("\n");
	}
	printf("\n(the per-CPU path serves orders 0-3 and 9 from per-CPU lists; others go to the zone)\n\n");
}

static void bench_owner(const char *self, int cg)
{
	static const char *const parts[] = { "pmm_stack_trail_same", "pmm_stack_capture_trail", "save_stack_platform",
					     "depot_save_record" };
	double off = median_pair_ns("mem=1G", 0, 200000), on = median_pair_ns("mem=1G page_owner=on", 0, 200000);
	double on_caller = median_pair_ns("mem=1G page_owner=on page_owner_stack=caller", 0, 200000);
	double hooks_off = median_hook_ns("mem=1G", 2000000), hooks_on = median_hook_ns("mem=1G page_owner=on", 1000000);
	struct pmm *m = boot_quiet("mem=1G page_owner=on");
	double bytes = (double)pmm_page_ext_bytes(m) / (double)pmm_totalram_pages(m);

	pmm_destroy(m);
	printf("## page_owner off vs on (order-0 pair)\n\n");
	printf("| page_owner | ns per pair |%s\n|---|---:|%s\n", cg ? " instructions per pair |" : "",
	       cg ? "---:|" : "");
	if (cg) {
		double loop = callgrind_pairs(self, "mem=1G", 99, 100000);
		printf("| off | %.1f | %.0f |\n| on | %.1f | %.0f |\n| on, caller stacks | %.1f | %.0f |\n",
		       off, callgrind_pairs(self, "mem=1G", 0, 100000) - loop, on,
		       callgrind_pairs(self, "mem=1G page_owner=on", 0, 20000) - loop, on_caller,
		       callgrind_pairs(self, "mem=1G page_owner=on page_owner_stack=caller", 0, 20000) -
			       loop);
	} else {
		printf("| off | %.1f |\n| on | %.1f |\n| on, caller stacks | %.1f |\n", off, on, on_caller);
	}
	printf("\non/off: %.2fx (the kernel's stacks, full path), %.2fx (caller stacks, fast paths);"
	       " page_ext bytes per frame with page_owner: %.0f\n\n",
	       on / off, on_caller / off, bytes);

	printf("## page_owner's own work: set_page_owner() + reset_page_owner(), order 0\n\n");
	printf("(called directly on one page, as an allocation path calls them; \"off\" is the\n"
	       "harness alone, two calls and the page_owner tests)\n\n");
	printf("| hooks | ns per pair |%s\n|---|---:|%s\n",
	       cg ? " instructions per pair | of which stack walks |" : "", cg ? "---:|---:|" : "");
	if (cg) {
		double incl[4], on_i, off_i, loop = callgrind_pairs(self, "mem=1G", 99, 100000);

		off_i = callgrind_run(self, "hook_pairs", "--hooks mem=1G 100000", 100000, NULL, NULL, 0) - loop;
		on_i = callgrind_run(self, "hook_pairs", "--hooks 'mem=1G page_owner=on' 20000", 20000,
				     parts, incl, 4) - loop;
		printf("| off | %.1f | %.0f | |\n", hooks_off, off_i);
		printf("| on | %.1f | %.0f | %.0f |\n", hooks_on, on_i, incl[0] + incl[1] + incl[2] + incl[3]);
		printf("\npage_owner's work per pair: %.1f ns, %.0f instructions\n", hooks_on - hooks_off,
		       on_i - off_i);
	} else {
		printf("| off | %.1f |\n| on | %.1f |\n", hooks_off, hooks_on);
		printf("\npage_owner's work per pair: %.1f ns\n", hooks_on - hooks_off);
	}
	printf("clock read: pmm_clock_fast_ns() %.1f ns, clock_gettime(CLOCK_MONOTONIC) %.1f ns\n\n",
	       clock_read_ns(1), clock_read_ns(0));
}

int main(int argc, char **argv)
{
	const char *only = "boot,zone,owner,bulk";
	int cg = 0;

	if (argc == 4 && !strcmp(argv[1], "--hooks")) {
		struct pmm *m = boot_quiet(argv[2]);
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);

		hook_pairs(m, p, atol(argv[3]));
		pmm_free_pages(m, p, 0);
		pmm_destroy(m);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "--pairs")) {
		struct pmm *m = boot_quiet(argv[2]);
		unsigned order = (unsigned)atoi(argv[3]);
		long n = atol(argv[4]);

		if (order == 99)
			empty_loop(n); /* the loop alone, to subtract */
		else {
			pairs(m, order, n / 10 + 1);
			pairs(m, order, n);
		}
		pmm_destroy(m);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--bulk")) {
		struct bulk b;
		double ta, tf;

		bulk_init(&b);
		bulk_round(&b, &ta, &tf);
		bulk_rounds(&b, atol(argv[2]));
		pmm_destroy(b.m);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--callgrind"))
			cg = 1;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--callgrind] [--only boot,zone,owner,bulk]\n", argv[0]);
			return 2;
		}
	}
	(void)boot;
	if (strstr(only, "boot"))
		bench_boot();
	if (strstr(only, "zone"))
		bench_zone(argv[0], cg);
	if (strstr(only, "owner"))
		bench_owner(argv[0], cg);
	if (strstr(only, "bulk"))
		bench_bulk(argv[0], cg);
	return 0;
}
