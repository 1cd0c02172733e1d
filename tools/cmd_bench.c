// SPDX-License-Identifier: MIT
/*
 * pmm bench: what pmm's allocation paths cost on a machine you choose, here
 * and now.  Each case runs on the machine with its per-CPU lists and again
 * with pcp=off (the zone path), so the gain of the lists is seen; times are
 * the thread's CPU time, the median of several runs.  The comparison with
 * other allocators, in one run, is bench/run.sh (`./dev bench`).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pmm/pmm.h>

#include "commands.h"
#include "replay_job.h"

#define MAX_RUNS 101
#define RUN_NS 30e6       /* a timed run's length, from the pilot's speed */
#define BATCH_MAX 100000  /* the batch case's blocks, at most */
#define LIVE_MAX 50000    /* the mixed case's live blocks, at most */
#define BULK 32

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmm bench [OPTIONS]\n"
		"\n"
		"Measure pmm's allocation paths on a machine (default: the built-in one, 1 node,\n"
		"8 GiB): each case with the per-CPU lists and with pcp=off (the zone path);\n"
		"ns per operation, the median of the runs' thread CPU time, every block's first\n"
		"byte written as a user would.  Prints a Markdown table.  The comparison with\n"
		"glibc, jemalloc, mimalloc and tcmalloc is bench/run.sh (./dev bench).\n"
		"\n"
		"Cases (--only takes a comma-separated list of them):\n"
		"  pair0, pair3, pair9  alloc + touch + free of one block of order 0, 3, 9\n"
		"  batch    up to 100000 order-0 allocations, then their frees in random order\n"
		"  mixed    random orders 0-3 around up to 50000 live blocks: free a random\n"
		"           one, allocate a random order in its place\n"
		"  bulk     32 order-0 pages by pmm_alloc_pages_bulk(), touched, freed by\n"
		"           pmm_free_pages_bulk() (ns per page)\n"
		"  threads  two threads each doing pair0: their throughput over one thread's\n"
		"           (wall time; meaningful on an otherwise idle host of 2+ CPUs)\n"
		"(batch and mixed take at most a quarter of the machine's memory.)\n"
		"\n"
		"  -c, --config FILE     machine config file (see `pmm run --help-config`)\n"
		"  -m, --machine TEXT    config tokens, e.g. \"mem=4G cpus=2 page_owner=on\"\n"
		"      --machine-from PATH  the machine of a Linux capture, before -c and -m\n"
		"      --only LIST       run these cases only (default: all)\n"
		"      --runs N          timed runs per case and machine (default 5, at most 101)\n"
		"      --no-zone         skip the pcp=off machine\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 ok; 1 a machine failed to boot or an allocation failed; 2 usage;\n"
		"65 a bad config.\n");
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: the same sequence on every machine and run */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define TOUCH(m, p) (*(volatile char *)pmm_page_address((m), (p)) = 1)

struct bench {
	struct pmm *m;
	unsigned long nbatch, nlive;
	struct pmm_page **blocks;  /* batch: the blocks; mixed: the live set */
	unsigned char *orders;     /* mixed: each live block's order */
	uint32_t *perm;            /* batch: the order of the frees */
	uint64_t seed;
};

/* Each case: @n operations; return the thread CPU ns per operation, or -1 when an allocation failed. */
typedef double (*case_fn)(struct bench *b, unsigned long n, unsigned arg);

static double case_pair(struct bench *b, unsigned long n, unsigned order)
{
	struct pmm *m = b->m;
	double t0 = cpu_ns();

	for (unsigned long i = 0; i < n; i++) {
		struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, order);

		if (!p)
			return -1;
		TOUCH(m, p);
		pmm_free_pages(m, p, order);
	}
	return (cpu_ns() - t0) / (double)n;
}

/* @n rounds of the batch; ns per allocation and free. */
static double case_batch(struct bench *b, unsigned long n, unsigned unused)
{
	struct pmm *m = b->m;
	double t = 0;

	(void)unused;
	for (unsigned long r = 0; r < n; r++) {
		double t0 = cpu_ns();
		unsigned long i;

		for (i = 0; i < b->nbatch; i++) {
			b->blocks[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
			if (!b->blocks[i])
				break;
			TOUCH(m, b->blocks[i]);
		}
		if (i < b->nbatch) {
			while (i--)
				pmm_free_pages(m, b->blocks[i], 0);
			return -1;
		}
		for (i = 0; i < b->nbatch; i++)
			pmm_free_pages(m, b->blocks[b->perm[i]], 0);
		t += cpu_ns() - t0;
	}
	return t / ((double)n * (double)b->nbatch);
}

static double case_mixed(struct bench *b, unsigned long n, unsigned unused)
{
	struct pmm *m = b->m;
	uint64_t s = b->seed;
	double t0;

	(void)unused;
	t0 = cpu_ns();
	for (unsigned long i = 0; i < n; i++) {
		uint64_t r = rng_next(&s);
		unsigned long slot = (unsigned long)(r % b->nlive);
		unsigned order = (unsigned)(r >> 62);

		pmm_free_pages(m, b->blocks[slot], b->orders[slot]);
		b->blocks[slot] = pmm_alloc_pages(m, PMM_GFP_KERNEL, order);
		b->orders[slot] = (unsigned char)order;
		if (!b->blocks[slot]) {
			b->orders[slot] = 0xff; /* nothing to free here */
			b->seed = s;
			return -1;
		}
		TOUCH(m, b->blocks[slot]);
	}
	b->seed = s;
	return (cpu_ns() - t0) / (double)n;
}

/* @n batches of BULK pages; ns per page. */
static double case_bulk(struct bench *b, unsigned long n, unsigned unused)
{
	struct pmm *m = b->m;
	struct pmm_page *pages[BULK];
	double t0;

	(void)unused;
	t0 = cpu_ns();
	for (unsigned long i = 0; i < n; i++) {
		unsigned long got;

		memset(pages, 0, sizeof(pages));
		/* the kernel's bulk call may give one page (pcp=off, page_owner): ask again */
		for (unsigned long had = 0;; had = got) {
			got = pmm_alloc_pages_bulk(m, PMM_GFP_KERNEL, BULK, pages);
			if (got == BULK || got == had)
				break;
		}
		for (unsigned long k = 0; k < got; k++)
			TOUCH(m, pages[k]);
		pmm_free_pages_bulk(m, got, pages);
		if (got < BULK)
			return -1;
	}
	return (cpu_ns() - t0) / ((double)n * BULK);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ------------------------------------------------------------ two threads */

struct worker {
	struct bench *b;
	pthread_t tid;
	pthread_barrier_t *start, *done;
	unsigned long n;
	int go, quit, failed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		pthread_barrier_wait(w->start);
		if (w->quit)
			return NULL;
		if (w->go && case_pair(w->b, w->n, 0) < 0)
			w->failed = 1;
		pthread_barrier_wait(w->done);
	}
}

/*
 * Wall time of one worker alone and of both at once, each doing @n pairs,
 * in the same two-worker process (pmm's refcount drop is locked in both).
 * Return: 2 * alone / both, the throughput ratio; -1 on a failed allocation.
 */
static double threads_ratio(struct bench *b, unsigned long n, unsigned runs, double *lo, double *hi)
{
	pthread_barrier_t start, done;
	struct worker w[2];
	double ratio[MAX_RUNS];
	int failed = 0;

	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .b = b, .start = &start, .done = &done, .n = n };
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			fprintf(stderr, "pmm bench: cannot start a thread: %s\n", strerror(errno));
			exit(1);
		}
	}
	for (unsigned r = 0; r <= runs; r++) { /* run 0 warms up */
		double t[2];

		for (int both = 0; both < 2; both++) {
			double t0;

			w[0].go = 1;
			w[1].go = both;
			t0 = wall_ns();
			pthread_barrier_wait(&start);
			pthread_barrier_wait(&done);
			t[both] = wall_ns() - t0;
		}
		if (r)
			ratio[r - 1] = 2 * t[0] / t[1];
	}
	w[0].quit = w[1].quit = 1;
	pthread_barrier_wait(&start);
	for (int i = 0; i < 2; i++) {
		pthread_join(w[i].tid, NULL);
		failed |= w[i].failed;
	}
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	if (failed)
		return -1;
	qsort(ratio, runs, sizeof(ratio[0]), cmp_double);
	*lo = ratio[0];
	*hi = ratio[runs - 1];
	return ratio[runs / 2];
}

/* ------------------------------------------------------------ the cases */

static const struct bcase {
	const char *name;
	case_fn fn;
	unsigned arg;
	const char *what;
	const char *unit;
} cases[] = {
	{ "pair0", case_pair, 0, "order-0 alloc + touch + free", "pair" },
	{ "pair3", case_pair, 3, "order-3 alloc + touch + free", "pair" },
	{ "pair9", case_pair, 9, "order-9 (2 MiB) alloc + touch + free", "pair" },
	{ "batch", case_batch, 0, "order-0 allocations, then frees in random order", "pair" },
	{ "mixed", case_mixed, 0, "random orders 0-3, live blocks: free one, allocate in its place",
	  "replacement" },
	{ "bulk", case_bulk, 0, "32 order-0 pages by the bulk calls, touched", "page" },
	{ "threads", NULL, 0, "two threads each doing pair0: throughput over one thread's", "ratio" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct result {
	double med, lo, hi; /* < 0: not measured (an allocation failed) */
	int ran;
};

/* Fill the mixed case's live set; 0, or -1 when the machine cannot hold it. */
static int mixed_fill(struct bench *b)
{
	uint64_t s = 42;

	for (unsigned long i = 0; i < b->nlive; i++) {
		unsigned order = (unsigned)(rng_next(&s) >> 62);

		b->orders[i] = (unsigned char)order;
		b->blocks[i] = pmm_alloc_pages(b->m, PMM_GFP_KERNEL, order);
		if (!b->blocks[i]) {
			/* nothing to free from here on (blocks[] may hold the batch case's pointers) */
			memset(b->orders + i, 0xff, b->nlive - i);
			return -1;
		}
		/* every page, so that a later run's touch does not fault the host's memory in */
		for (unsigned k = 0; k < 1u << order; k++)
			((volatile char *)pmm_page_address(b->m, b->blocks[i]))[(size_t)k * PMM_PAGE_SIZE] = 1;
	}
	return 0;
}

static void mixed_empty(struct bench *b)
{
	for (unsigned long i = 0; i < b->nlive; i++)
		if (b->orders[i] != 0xff)
			pmm_free_pages(b->m, b->blocks[i], b->orders[i]);
}

/* One case on one machine: a pilot sizes the runs, one untimed run warms up. */
static void run_case(struct bench *b, const struct bcase *c, unsigned runs, struct result *res)
{
	double v[MAX_RUNS], pilot;
	unsigned long n = c->fn == case_batch ? 1 : 2000;

	res->ran = 1;
	res->med = res->lo = res->hi = -1;
	if (c->fn == case_mixed && mixed_fill(b)) {
		mixed_empty(b);
		return;
	}
	pilot = c->fn(b, n, c->arg);
	if (pilot >= 0) {
		double per = pilot * (c->fn == case_batch ? (double)b->nbatch : 1);
		double want = RUN_NS / (per > 1 ? per : 1);

		n = want < 1 ? 1 : want > 5e7 ? 50000000 : (unsigned long)want;
		if (c->fn == case_bulk)
			n = n / BULK ? n / BULK : 1;
		pilot = c->fn(b, n, c->arg);
	}
	for (unsigned r = 0; pilot >= 0 && r < runs; r++)
		if ((v[r] = c->fn(b, n, c->arg)) < 0)
			pilot = -1;
	if (c->fn == case_mixed)
		mixed_empty(b);
	if (pilot < 0)
		return;
	qsort(v, runs, sizeof(v[0]), cmp_double);
	res->med = v[runs / 2];
	res->lo = v[0];
	res->hi = v[runs - 1];
}

static int boot(struct pmm_config *cfg, int pcp, struct pmm **m)
{
	struct pmm_config c = *cfg;
	int r;

	c.pcp = pcp;
	c.log = pmm_tool_log_stderr;
	c.log_ctx = NULL;
	r = pmm_create(&c, m);
	if (r)
		fprintf(stderr, "pmm bench: the machine%s did not boot: %s\n", pcp ? "" : " with pcp=off",
			pmm_strerror(r));
	return r;
}

/*
 * Run the chosen cases on @m into @res[case]: the single-thread ones, or
 * (@threads) the two-thread one.  A process that has started a second
 * thread takes pmm's locked refcount drop from then on, so every
 * single-thread case, on both machines, runs before any thread starts.
 */
static void run_machine(struct pmm *m, const int *want, unsigned runs, struct result *res, int threads)
{
	unsigned long pages = pmm_nr_free_pages(m);
	struct bench b = { .m = m, .seed = 7 };
	uint64_t s = 99;

	/* a quarter of the free memory at most: batch holds order-0 blocks, mixed 3.75 pages each */
	b.nbatch = pages / 4 < BATCH_MAX ? pages / 4 : BATCH_MAX;
	b.nlive = pages / 16 < LIVE_MAX ? pages / 16 : LIVE_MAX;
	b.blocks = calloc(b.nbatch > b.nlive ? b.nbatch : b.nlive, sizeof(*b.blocks));
	b.orders = calloc(b.nlive ? b.nlive : 1, 1);
	b.perm = calloc(b.nbatch ? b.nbatch : 1, sizeof(*b.perm));
	if (!b.blocks || !b.orders || !b.perm) {
		fprintf(stderr, "pmm bench: out of memory\n");
		exit(1);
	}
	for (unsigned long i = 0; i < b.nbatch; i++)
		b.perm[i] = (uint32_t)i;
	for (unsigned long i = b.nbatch; i > 1; i--) {
		unsigned long k = (unsigned long)(rng_next(&s) % i);
		uint32_t x = b.perm[i - 1];

		b.perm[i - 1] = b.perm[k];
		b.perm[k] = x;
	}
	for (unsigned i = 0; i < NCASES; i++) {
		if (!want[i] || !cases[i].fn != !!threads)
			continue;
		if (!cases[i].fn) {
			double pilot = case_pair(&b, 20000, 0);
			unsigned long n = pilot > 0 ? (unsigned long)(RUN_NS / pilot) : 0;

			res[i].ran = 1;
			res[i].med = pilot < 0 ? -1 : threads_ratio(&b, n < 1000 ? 1000 : n, runs, &res[i].lo,
								   &res[i].hi);
			if (res[i].med < 0)
				res[i].lo = res[i].hi = -1;
			continue;
		}
		if ((cases[i].fn == case_batch && b.nbatch < 1000) ||
		    (cases[i].fn == case_mixed && b.nlive < 1000))
			continue; /* too small a machine: not run */
		run_case(&b, &cases[i], runs, &res[i]);
	}
	free(b.blocks);
	free(b.orders);
	free(b.perm);
}

static void cell(char *buf, size_t size, const struct result *r, int ratio)
{
	if (!r->ran)
		snprintf(buf, size, "machine too small");
	else if (r->med < 0)
		snprintf(buf, size, "failed");
	else
		snprintf(buf, size, ratio ? "%.2f" : "%.1f", r->med);
}

int cmd_bench(int argc, char **argv)
{
	enum { OPT_MACHINE_FROM = 256, OPT_ONLY, OPT_RUNS, OPT_NO_ZONE };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "machine", required_argument, NULL, 'm' },
		{ "machine-from", required_argument, NULL, OPT_MACHINE_FROM },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "no-zone", no_argument, NULL, OPT_NO_ZONE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_tool_machine mo = { 0 };
	struct result on[NCASES] = { 0 }, off[NCASES] = { 0 };
	int want[NCASES], zone = 1, c, r, status = 0;
	unsigned runs = 5;
	const char *only = NULL;
	struct pmm_config cfg;
	struct pmm *m;
	char *end;
	long v;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': mo.config_file = optarg; break;
		case 'm': mo.machine = optarg; break;
		case OPT_MACHINE_FROM: mo.capture = optarg; break;
		case OPT_ONLY: only = optarg; break;
		case OPT_RUNS:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > MAX_RUNS) {
				fprintf(stderr, "pmm bench: --runs wants a number from 1 to %d, not '%s'\n",
					MAX_RUNS, optarg);
				return EXIT_USAGE;
			}
			runs = (unsigned)v;
			break;
		case OPT_NO_ZONE: zone = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pmm bench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < NCASES; i++)
		want[i] = !only;
	for (const char *p = only; p && *p;) {
		size_t len = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < NCASES; i++)
			if (strlen(cases[i].name) == len && !strncmp(p, cases[i].name, len))
				break;
		if (i == NCASES) {
			fprintf(stderr, "pmm bench: no case called '%.*s' (see pmm bench --help)\n", (int)len, p);
			return EXIT_USAGE;
		}
		want[i] = 1;
		p += len + (p[len] == ',');
	}
	if ((r = pmm_tool_machine_config(&cfg, &mo, "pmm bench", 0)))
		return r;
	if (boot(&cfg, cfg.pcp, &m))
		return 1;
	printf("pmm bench: %u CPUs, %lu pages managed%s; ns per operation, median of %u run%s "
	       "(thread CPU time; threads: wall time)\n\n",
	       pmm_nr_cpus(m), pmm_totalram_pages(m), cfg.pcp ? "" : ", per-CPU lists off by the config",
	       runs, runs == 1 ? "" : "s");
	fflush(stdout);
	for (int threads = 0; threads < 2; threads++) {
		if (threads && !want[NCASES - 1])
			break;
		if (threads && boot(&cfg, cfg.pcp, &m))
			return 1;
		run_machine(m, want, runs, on, threads);
		pmm_destroy(m);
		if (zone && cfg.pcp) {
			if (boot(&cfg, 0, &m))
				return 1;
			run_machine(m, want, runs, off, threads);
			pmm_destroy(m);
		}
	}
	printf("| case | what | unit | %s | min-max |%s\n", cfg.pcp ? "per-CPU lists" : "pcp=off",
	       zone && cfg.pcp ? " pcp=off | lists / off |" : "");
	printf("|---|---|---|---:|---|%s\n", zone && cfg.pcp ? "---:|---:|" : "");
	for (unsigned i = 0; i < NCASES; i++) {
		char a[32], b[32];
		int ratio = !cases[i].fn;

		if (!want[i])
			continue;
		cell(a, sizeof(a), &on[i], ratio);
		printf("| %s | %s | %s | %s | ", cases[i].name, cases[i].what, cases[i].unit, a);
		if (on[i].ran && on[i].med >= 0)
			printf(ratio ? "%.2f-%.2f |" : "%.1f-%.1f |", on[i].lo, on[i].hi);
		else
			printf(" |");
		if (zone && cfg.pcp) {
			cell(b, sizeof(b), &off[i], ratio);
			printf(" %s |", b);
			if (!ratio && on[i].med > 0 && off[i].med > 0)
				printf(" %.2f |", on[i].med / off[i].med);
			else
				printf(" |");
		}
		printf("\n");
		if ((on[i].ran && on[i].med < 0) || (off[i].ran && off[i].med < 0))
			status = 1;
	}
	if (status)
		fprintf(stderr, "pmm bench: an allocation failed: the machine is too small for a case\n");
	return status;
}
