// SPDX-License-Identifier: MIT
/*
 * The seeded model runner: millions of operations on several small machines
 * (per-CPU lists on and off, page_owner on and off, several nodes, a movable
 * zone, holes and reserved ranges, poisoning, shuffling, guard pages),
 * every result checked against the shadow model (tests/model), pmm_validate()
 * run periodically, and at the end everything freed and the free_area
 * counts of every zone compared with those after boot.
 *
 * PMM_MODEL_OPS sets the total number of operations (default 10^7);
 * PMM_MODEL_SEED the base seed (default fixed, so runs are reproducible).
 */
#include "harness.h"

#include <time.h>

#include "model/model.c"

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* A generator that alternates phases: growing, shrinking and mixed. */
struct seeded {
	uint64_t s;
	unsigned long ops;
	unsigned long phase_len;
	unsigned phase;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint8_t seeded_byte(void *ctx, enum model_byte_kind kind)
{
	struct seeded *g = ctx;
	uint64_t r = xorshift(&g->s);

	if (kind != MODEL_OP)
		return (uint8_t)(r >> 24);
	if (++g->ops % g->phase_len == 0)
		g->phase = (unsigned)(xorshift(&g->s) % 3);
	switch (g->phase) {
	case 0: /* grow: mostly allocations */
		if (r % 100 < 55)
			return (uint8_t)(r >> 8) % 10;
		break;
	case 1: /* shrink: mostly frees */
		if (r % 100 < 55)
			return (uint8_t)(10 + (r >> 8) % 9);
		break;
	}
	return (uint8_t)(r >> 32);
}

static bool seeded_more(void *ctx)
{
	(void)ctx;
	return true;
}

static void seeded_src(struct model_src *src, struct seeded *g, uint64_t seed)
{
	g->s = seed ? seed : 1;
	g->ops = 0;
	g->phase = 2;
	g->phase_len = 2000 + seed % 3000;
	src->byte = seeded_byte;
	src->more = seeded_more;
	src->ctx = g;
}

struct run_result {
	unsigned long ops, divergences;
	struct model_stats st;
};

/*
 * Boot @cfg; @runs times: run @ops operations from the next seed, release
 * everything and check conservation (one machine lives through all runs).
 */
static struct run_result run_case(const char *cfg, uint64_t seed, unsigned runs, unsigned long ops,
				  unsigned check_every)
{
	struct pmm *m = pmm_test_machine(cfg, NULL);
	struct model *md = model_new(m, check_every);
	struct run_result res = { 0 };

	assert_non_null(md);
	for (unsigned r = 0; r < runs; r++) {
		struct model_src src;
		struct seeded g;

		seeded_src(&src, &g, seed + r);
		res.ops += model_run(md, &src, ops);
		model_check(md);
		model_release_all(md);
		model_check_conservation(md);
		if (model_divergences(md))
			fail_msg("%s seed %llu: %lu divergences:\n%s", cfg, (unsigned long long)(seed + r),
				 model_divergences(md), model_first_error(md));
	}
	model_stats(md, &res.st);
	res.divergences = model_divergences(md);
	assert_machine_valid(m);
	model_delete(md);
	pmm_destroy(m);
	return res;
}

static const struct {
	const char *cfg;
	unsigned weight; /* share of the total, in percent */
	unsigned check_every;
} cases[] = {
	{ "mem=64M cpus=4", 22, 4096 },
	{ "mem=64M cpus=4 pcp=off", 14, 4096 },
	{ "mem=128M nodes=2 cpus=3 dma32=96M page_owner=on", 12, 8192 },
	{ "mem=96M movablecore=32M cpus=2", 12, 4096 },
	{ "node=0:0x0-0x2ffffff node=0:0x3400000-0x5ffffff reserve=0x0-0xfffff "
	  "reserve=0x4000000+64K cpus=2", 12, 4096 },
	{ "mem=48M cpus=1 page_alloc.shuffle=1 seed=7", 10, 4096 },
	{ "mem=64M cpus=2 page_poison=on", 6, 4096 },
	{ "mem=64M cpus=2 init_on_free=1 debug_pagealloc=on debug_guardpage_minorder=2", 6, 4096 },
	{ "mem=64M cpus=3 page_owner=on pcp=off", 6, 8192 },
	{ "mem=32M cpus=2 min_free_kbytes=2048 watermark_scale_factor=500", 10, 4096 },
};
#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_model_seeded(void **state)
{
	unsigned long total = env_ul("PMM_MODEL_OPS", 10000000ul), seed0 = env_ul("PMM_MODEL_SEED", 0x2545f491);
	unsigned long ops = 0, divergences = 0;
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < NR_CASES; i++) {
		unsigned long n = total / 100 * cases[i].weight;
		/* Several seeds per case, one machine through all of them. */
		unsigned runs = n >= 400000 ? 4 : 1;
		struct run_result sum = run_case(cases[i].cfg, seed0 + i * 1000, runs, n / runs,
						 cases[i].check_every);

		print_message("  %-58.58s %8lu ops %8lu allocs %7lu failed %5lu contig %6lu bulk-freed %4lu checks\n",
			      cases[i].cfg, sum.ops, sum.st.allocs, sum.st.alloc_failures, sum.st.contig_ok,
			      sum.st.bulk_frees, sum.st.checks);
		ops += sum.ops;
		divergences += sum.divergences;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("model: %lu ops, %lu divergences (%.1f s)\n", ops, divergences,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(divergences, 0);
}

/*
 * The same seed with per-CPU lists on and off: both end with every frame
 * free, validated, and the same free_area counts as after boot.
 */
static void test_model_pcp_on_off(void **state)
{
	unsigned long ops = env_ul("PMM_MODEL_OPS", 10000000ul) / 50;
	static const char *const pair[][2] = {
		{ "mem=64M cpus=4", "mem=64M cpus=4 pcp=off" },
		{ "mem=128M nodes=2 cpus=2 page_owner=on", "mem=128M nodes=2 cpus=2 page_owner=on pcp=off" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pair) / sizeof(pair[0]); i++) {
		struct run_result a = run_case(pair[i][0], 77 + i, 1, ops, 2048);
		struct run_result b = run_case(pair[i][1], 77 + i, 1, ops, 2048);

		assert_int_equal(a.ops, ops);
		assert_int_equal(b.ops, ops);
		print_message("  same seed, pcp on/off (%s): %lu + %lu ops, both conserved\n", pair[i][0],
			      a.ops, b.ops);
	}
}

/* Direct use: the model tracks a test's own allocations. */
static void test_model_direct(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	struct model *md = model_new(m, 0);
	struct pmm_page *p[11];

	(void)state;
	for (unsigned o = 0; o < 11; o++)
		p[o] = model_alloc(md, PMM_GFP_KERNEL | (o & 1 ? PMM___GFP_COMP : 0), o);
	model_check(md);
	for (unsigned o = 0; o < 11; o++)
		if (p[o])
			model_free(md, p[o]);
	model_release_all(md);
	model_check_conservation(md);
	if (model_divergences(md))
		fail_msg("%s", model_first_error(md));
	model_delete(md);
	pmm_destroy(m);
}

/* The model itself must notice a frame handed out twice and a changed stamp. */
static void test_model_catches_divergence(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	struct model *md = model_new(m, 0);
	struct pmm_page *p = model_alloc(md, PMM_GFP_KERNEL, 2);
	unsigned char *mem = pmm_page_address(m, p);

	(void)state;
	/* A stray write into an allocated block. */
	mem[PMM_PAGE_SIZE + 0] ^= 1; /* the first word of frame 1 */
	model_free(md, p);
	assert_int_equal(model_divergences(md), 1);
	assert_non_null(strstr(model_first_error(md), "changed while allocated"));
	/* A block the model believes free, claimed behind its back, then "handed out". */
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	{
		struct page *pg = (struct page *)p;
		struct model *md2 = md;
		/* Make the model think p is allocated already: take_block twice. */
		take_block(md2, p, 0, false, PMM_GFP_KERNEL, 2, -1, "first");
		take_block(md2, p, 0, false, PMM_GFP_KERNEL, 2, -1, "second");
		(void)pg;
	}
	assert_int_equal(model_divergences(md), 2);
	assert_non_null(strstr(model_first_error(md), "in the model"));
	model_delete(md);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_catches_divergence),
		cmocka_unit_test(test_model_direct),
		cmocka_unit_test(test_model_pcp_on_off),
		cmocka_unit_test(test_model_seeded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
