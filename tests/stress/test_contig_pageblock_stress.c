// SPDX-License-Identifier: MIT
/*
 * Contiguous requests for different pageblocks of the same max-order
 * blocks, side by side, under load.
 *
 * Two worker threads allocate and free blocks of orders 0..10 (movable
 * and unmovable, some compound), so max-order blocks are split, merged,
 * stolen by fallback (change_pageblock_range() over both pageblocks) and
 * freed whole.  Two contig threads call pmm_alloc_contig_range() on a few
 * target max-order blocks: one pageblock or part of one (aligned or not),
 * a whole max-order block, or a range across the boundary of two blocks,
 * so the two often hold the two pageblocks of one block isolated at once.
 * The migrate callback moves a worker's block (under the worker's lock)
 * but refuses one move in four, so requests fail while their neighbour's
 * succeed.  Every frame anyone gets is claimed in an ownership map and
 * stamped with its pfn; the stamps are checked before it goes back.
 *
 * After joining and freeing everything: pmm_drain_all(), pmm_validate(),
 * the free page count back at its boot value, no pageblock left
 * MIGRATE_ISOLATE, zone->nr_isolate_pageblock 0 and no frame left on an
 * isolate list.  "lost" is boot free pages minus free pages at the end
 * (negative: phantom free pages counted).
 *
 * The third case offlines and onlines the memory block that holds the
 * targets meanwhile (offline isolates it whole with
 * start_isolate_page_range(), beside the contig requests' pageblocks).
 * The block comes back online in ZONE_NORMAL and ZONE_MOVABLE by turns,
 * so its frames change zones ("zone changes"): a request that looked at
 * them before they moved must not isolate them under the old zone's lock.
 * The fourth case does the same with contig requests that give their range
 * back at once, workers that hold few blocks and migration that always
 * moves them, so the block goes offline (and changes zones) often.
 *
 * PMM_CONTIG_PB_STRESS_SECONDS (default 3) per case.  Prints "stress: contig-pb: ...".
 */
#include "harness.h"
#include "stress/frames.h"

#include <pmm/hotplug.h>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define NR_WORKERS 2
#define NR_CONTIG 2
#define MAX_HELD 40
#define NR_TARGETS 4
#define MAX_RANGES 2

#define WMAGIC 0x5eedf00d00000000ull
#define CMAGIC 0xc0471600c0471600ull

struct slot {
	struct pmm_page *page;
	unsigned long pfn;
	unsigned order;
	pmm_gfp_t gfp;
};

struct shared;

struct worker {
	struct shared *s;
	int id;
	pthread_mutex_t lock; /* the slots: the worker and the migrate callback */
	struct slot slot[MAX_HELD];
	unsigned long ops, allocs, fails, big;
};

struct range {
	unsigned long pfn, nr;
};

struct contig {
	struct shared *s;
	int id;
	unsigned long ok, busy, inval, frames;
};

struct shared {
	struct pmm *m;
	struct stress_frames f;
	uint32_t *who; /* per frame, atomic: 1 + (worker << 8 | slot) at a worker block's head */
	struct worker w[NR_WORKERS];
	struct contig c[NR_CONTIG];
	unsigned long mig_moved, mig_refused, mig_busy, mig_nomem; /* atomic */
	unsigned long target0; /* the first target max-order block */
	unsigned long hp_off, hp_refused, hp_zone_changes;
	bool transient; /* contig requests free their range at once */
};

/* ------------------------------------------------------------ workers */

static void worker_free(struct worker *w, struct slot *sl)
{
	struct shared *s = w->s;
	unsigned long nr = 1ul << sl->order;

	stress_check(&s->f, s->m, sl->pfn, nr, WMAGIC, "worker");
	__atomic_store_n(&s->who[sl->pfn], 0, __ATOMIC_RELAXED);
	stress_disown(&s->f, sl->pfn, nr, "worker");
	pmm_free_pages(s->m, sl->page, sl->order);
	sl->page = NULL;
}

static unsigned pick_order(uint64_t x)
{
	unsigned r = (unsigned)(x % 100);

	if (r < 60)
		return r % 4;      /* 0..3: the per-CPU orders */
	if (r < 72)
		return 4 + r % 5;  /* 4..8 */
	if (r < 86)
		return 9;          /* pageblock (per-CPU too) */
	return 10;                 /* max order */
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);

	while (!stress_stopping(&s->f)) {
		/* Few blocks held when offline is to succeed often. */
		unsigned i = (unsigned)(stress_rnd(&r) % (s->transient ? 4 : MAX_HELD));
		struct slot *sl = &w->slot[i];

		pthread_mutex_lock(&w->lock);
		if (sl->page) {
			worker_free(w, sl);
		} else {
			uint64_t x = stress_rnd(&r);
			unsigned o = pick_order(x);
			pmm_gfp_t gfp = ((x >> 8) % 3 ? PMM_GFP_HIGHUSER_MOVABLE : PMM_GFP_KERNEL) |
					PMM___GFP_NOWARN | PMM___GFP_NORETRY;
			struct pmm_page *p;

			if (o && (x >> 12) % 4 == 0)
				gfp |= PMM___GFP_COMP;
			p = pmm_alloc_pages(s->m, gfp, o);
			if (p) {
				unsigned long pfn = pmm_page_to_pfn(s->m, p);

				if (pfn & ((1ul << o) - 1))
					stress_bad(&s->f, "worker: order %u block at 0x%lx misaligned", o, pfn);
				stress_own(&s->f, pfn, 1ul << o, "worker");
				stress_stamp(s->m, pfn, 1ul << o, WMAGIC);
				*sl = (struct slot){ .page = p, .pfn = pfn, .order = o, .gfp = gfp };
				__atomic_store_n(&s->who[pfn], 1u + ((unsigned)w->id << 8 | i),
						 __ATOMIC_RELAXED);
				w->allocs++;
				w->big += o >= 9;
			} else {
				w->fails++;
			}
		}
		pthread_mutex_unlock(&w->lock);
		if (++w->ops % 64 == 0)
			sched_yield();
	}
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (w->slot[i].page)
			worker_free(w, &w->slot[i]);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * The embedder's migration of a worker's block: a new block of the same
 * gfp and order, the data copied and re-stamped, the old one freed, under
 * the worker's lock.  One move in four is refused (-PMM_EBUSY), so
 * requests fail beside others that succeed, except when offline is to
 * succeed often (transient).  A contig range: -PMM_EBUSY.
 */
static int migrate_block(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct shared *s = ctx;
	uint32_t enc = pfn < s->f.max_pfn ? __atomic_load_n(&s->who[pfn], __ATOMIC_RELAXED) : 0;
	static __thread uint64_t r;
	struct worker *w;
	struct slot *sl;
	struct pmm_page *nw;
	unsigned long npfn;

	if (!r)
		r = 0x1234567ull + (uint64_t)(uintptr_t)&r;
	if (!enc || (enc - 1) >> 8 >= NR_WORKERS) {
		__atomic_fetch_add(&s->mig_busy, 1, __ATOMIC_RELAXED);
		return -PMM_EBUSY;
	}
	if (!s->transient && stress_rnd(&r) % 4 == 0) {
		__atomic_fetch_add(&s->mig_refused, 1, __ATOMIC_RELAXED);
		return -PMM_EBUSY;
	}
	w = &s->w[(enc - 1) >> 8];
	sl = &w->slot[(enc - 1) & 0xff];
	pthread_mutex_lock(&w->lock);
	if (!sl->page || sl->pfn != pfn || __atomic_load_n(&s->who[pfn], __ATOMIC_RELAXED) != enc) {
		pthread_mutex_unlock(&w->lock);
		__atomic_fetch_add(&s->mig_busy, 1, __ATOMIC_RELAXED);
		return -PMM_EBUSY;
	}
	if (sl->order != order) {
		/* pmm looked at the block as it changed (pmm.h allows it): not ours at that order. */
		pthread_mutex_unlock(&w->lock);
		__atomic_fetch_add(&s->mig_busy, 1, __ATOMIC_RELAXED);
		return -PMM_EBUSY;
	}
	/* Nobody may find the old frames ours once they are freed. */
	__atomic_store_n(&s->who[pfn], 0, __ATOMIC_RELAXED);
	nw = stress_move_block(&s->f, m, sl->page, order, sl->gfp, WMAGIC);
	if (!nw) {
		__atomic_store_n(&s->who[pfn], enc, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&w->lock);
		__atomic_fetch_add(&s->mig_nomem, 1, __ATOMIC_RELAXED);
		return -PMM_ENOMEM;
	}
	npfn = pmm_page_to_pfn(m, nw);
	sl->page = nw;
	sl->pfn = npfn;
	__atomic_store_n(&s->who[npfn], enc, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&w->lock);
	__atomic_fetch_add(&s->mig_moved, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------ contiguous ranges */

static void range_free(struct shared *s, struct range *rg)
{
	stress_check(&s->f, s->m, rg->pfn, rg->nr, CMAGIC, "contig");
	stress_disown(&s->f, rg->pfn, rg->nr, "contig");
	pmm_free_contig_range(s->m, rg->pfn, rg->nr);
}

/*
 * A range just handed out: every frame order 0 with refcount 1, plus at
 * most one reference per other thread that may be asking the migrate
 * callback about it (the other contig threads and offline pin a block
 * while they ask, as the kernel's migration does).
 */
static void range_take(struct contig *c, unsigned long pfn, unsigned long nr)
{
	struct shared *s = c->s;

	stress_own(&s->f, pfn, nr, "contig");
	for (unsigned long i = 0; i < nr; i++) {
		int n = pmm_page_count(pmm_pfn_to_page(s->m, pfn + i));

		if (n < 1 || n > 1 + (NR_CONTIG - 1) + 1) {
			stress_bad(&s->f, "contig: pfn 0x%lx (of 0x%lx+%lu) has refcount %d", pfn + i, pfn,
				   nr, n);
			break;
		}
	}
	stress_stamp(s->m, pfn, nr, CMAGIC);
	c->frames += nr;
}

static void *contig_main(void *arg)
{
	struct contig *c = arg;
	struct shared *s = c->s;
	struct range held[MAX_RANGES];
	unsigned nheld = 0;
	uint64_t r = 0xdeadbeefcafef00dull * (uint64_t)(c->id + 3);

	while (!stress_stopping(&s->f)) {
		uint64_t x = stress_rnd(&r), y = stress_rnd(&r);
		unsigned long blk = s->target0 + (x % NR_TARGETS) * 1024, start, end;
		unsigned kind = (unsigned)((x >> 8) % 10);
		pmm_gfp_t gfp = ((x >> 16) & 1 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE) |
				PMM___GFP_NOWARN;
		int e;

		if (nheld == MAX_RANGES || (nheld && (s->transient || (x >> 20) % 2 == 0))) {
			range_free(s, &held[--nheld]);
			continue;
		}
		if (kind < 6) {
			/* Part of one pageblock, often its first frame (an order-10 head). */
			unsigned long pb = blk + ((x >> 24) & 1) * 512;
			unsigned long off = (y % 3 == 0) ? 0 : (y >> 8) % 512;

			start = pb + off;
			end = start + 1 + (y >> 20) % (512 - off);
		} else if (kind < 8) {
			start = blk + ((x >> 24) & 1) * 512; /* one whole pageblock */
			end = start + 512;
		} else if (kind == 8) {
			start = blk; /* a whole max-order block */
			end = blk + 1024;
		} else {
			/* Across the boundary into the next target block. */
			if (blk == s->target0 + (NR_TARGETS - 1) * 1024)
				blk -= 1024;
			start = blk + 512 + (y >> 8) % 512;
			end = blk + 1024 + 1 + (y >> 20) % 512;
		}
		e = pmm_alloc_contig_range(s->m, start, end, gfp);
		if (e == 0) {
			range_take(c, start, end - start);
			held[nheld++] = (struct range){ start, end - start };
			c->ok++;
		} else if (e == -PMM_EBUSY) {
			c->busy++;
		} else if (e == -PMM_EINVAL) {
			c->inval++;
		} else {
			stress_bad(&s->f, "pmm_alloc_contig_range(0x%lx, 0x%lx) = %d", start, end, e);
		}
	}
	while (nheld)
		range_free(s, &held[--nheld]);
	return NULL;
}

/* ------------------------------------------------------------ checks */

/* Online pageblocks that are MIGRATE_ISOLATE (the block may have changed zones: all of them). */
static int isolated_pageblocks(struct pmm *m)
{
	int n = 0;

	for (unsigned long p = 0; p < pmm_max_pfn(m); p += pageblock_nr_pages)
		if (pfn_to_online_page(m, p) && is_migrate_isolate(get_pfnblock_migratetype(m, p)))
			n++;
	return n;
}

/*
 * Node 0's zones: nr_isolate_pageblock summed as absolute values (a count
 * moved from one zone to another is +1 in one, -1 in the other), and the
 * frames on their isolate lists.
 */
static int nr_isolate_pageblock(struct pmm *m)
{
	int n = 0;

	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		n += abs(m->node_data[0]->node_zones[zi].nr_isolate_pageblock);
	return n;
}

static unsigned long isolate_list_frames(struct pmm *m)
{
	unsigned long n = 0;

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &m->node_data[0]->node_zones[zi];

		pmm_lock(&z->lock);
		for (unsigned o = 0; o < MAX_ORDER; o++) {
			struct list_head *h = &z->free_area[o].free_list[MIGRATE_ISOLATE], *pos;

			for (pos = h->next; pos != h; pos = pos->next)
				n += 1ul << o;
		}
		pmm_unlock(&z->lock);
	}
	return n;
}

static double run_seconds(void)
{
	const char *v = getenv("PMM_CONTIG_PB_STRESS_SECONDS");

	return v && *v ? strtod(v, NULL) : 3.0;
}

/* The reporter: holds each batch off the lists for a moment (as a hypervisor call would). */
static int report_slowly(void *ctx, const struct pmm_reported_block *blocks, unsigned n)
{
	(void)ctx;
	(void)blocks;
	(void)n;
	usleep(50);
	return 0;
}

static void *reporter_main(void *arg)
{
	struct shared *s = arg;

	while (!stress_stopping(&s->f)) {
		pmm_page_reporting_run(s->m);
		usleep(500);
	}
	return NULL;
}

/* Memory offline of the memory block holding the targets, and online again, beside it all. */
static void *hotplug_main(void *arg)
{
	struct shared *s = arg;
	unsigned long spfn = ALIGN_DOWN(s->target0, PMM_PAGES_PER_MEMORY_BLOCK);

	while (!stress_stopping(&s->f)) {
		/* Only this thread offlines it: its zone is stable here (racy: a worker may own the frame). */
		struct zone *before = page_zone_racy(s->m, pfn_to_page(s->m, s->target0));

		if (pmm_offline_pages(s->m, spfn, PMM_PAGES_PER_MEMORY_BLOCK)) {
			s->hp_refused++;
			usleep(s->transient ? 20 : 200);
			continue;
		}
		s->hp_off++;
		usleep(s->transient ? 30 : 300);
		if (pmm_online_pages(s->m, spfn, PMM_PAGES_PER_MEMORY_BLOCK,
				     s->hp_off % 2 ? PMM_ONLINE_MOVABLE : PMM_ONLINE_KERNEL))
			stress_bad(&s->f, "online of 0x%lx failed", spfn);
		s->hp_zone_changes += page_zone_racy(s->m, pfn_to_page(s->m, s->target0)) != before;
	}
	return NULL;
}

enum hotplug_mode {
	NO_HOTPLUG,
	HOTPLUG,           /* offline and online beside contig requests that hold ranges */
	HOTPLUG_TRANSIENT, /* ... that free each range at once, so offline succeeds often */
};

static void contig_pageblocks_under_load(const char *machine, unsigned long target0, bool reporting,
					 enum hotplug_mode hotplug)
{
	pthread_t thp;
	pthread_t trep;
	struct pmm *m = pmm_test_machine(machine, NULL);
	struct shared *s = calloc(1, sizeof(*s));
	struct pmm_mm_ops ops = { .migrate = migrate_block };
	pthread_t tw[NR_WORKERS], tc[NR_CONTIG];
	unsigned long free0, free1, wallocs = 0, wfails = 0, wbig = 0, cok = 0, cbusy = 0, cinval = 0;
	unsigned long bad0 = pmm_bad_page_count(m), onlist;
	double secs = run_seconds();
	char vbuf[512];
	int v, iso, nriso;

	assert_non_null(s);
	s->m = m;
	assert_true(stress_frames_init(&s->f, pmm_max_pfn(m)));
	s->who = calloc(s->f.max_pfn, sizeof(*s->who));
	assert_non_null(s->who);
	s->target0 = target0;
	s->transient = hotplug == HOTPLUG_TRANSIENT;
	assert_true(page_zone(m, pfn_to_page(m, target0 + NR_TARGETS * 1024 - 1)) ==
		    page_zone(m, pfn_to_page(m, target0)));
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	pmm_set_mm_ops(m, &ops, s);

	for (int i = 0; i < NR_WORKERS; i++) {
		s->w[i].s = s;
		s->w[i].id = i;
		pthread_mutex_init(&s->w[i].lock, NULL);
		assert_int_equal(pthread_create(&tw[i], NULL, worker_main, &s->w[i]), 0);
	}
	for (int i = 0; i < NR_CONTIG; i++) {
		s->c[i].s = s;
		s->c[i].id = i;
		assert_int_equal(pthread_create(&tc[i], NULL, contig_main, &s->c[i]), 0);
	}
	if (hotplug)
		assert_int_equal(pthread_create(&thp, NULL, hotplug_main, s), 0);
	if (reporting) {
		assert_int_equal(pmm_page_reporting_register(m, 9, report_slowly, NULL), 0);
		assert_int_equal(pthread_create(&trep, NULL, reporter_main, s), 0);
	}
	while (stress_elapsed(&s->f) < secs && !__atomic_load_n(&s->f.bad, __ATOMIC_RELAXED))
		usleep(20000);
	stress_stop(&s->f);
	for (int i = 0; i < NR_CONTIG; i++)
		pthread_join(tc[i], NULL);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(tw[i], NULL);
	if (hotplug)
		pthread_join(thp, NULL);
	if (reporting) {
		pthread_join(trep, NULL);
		pmm_page_reporting_unregister(m);
	}
	pmm_set_mm_ops(m, NULL, NULL);
	pmm_drain_all(m);

	free1 = pmm_nr_free_pages(m);
	v = pmm_validate(m, vbuf, sizeof(vbuf));
	iso = isolated_pageblocks(m);
	nriso = nr_isolate_pageblock(m);
	onlist = isolate_list_frames(m);
	for (int i = 0; i < NR_WORKERS; i++) {
		wallocs += s->w[i].allocs;
		wfails += s->w[i].fails;
		wbig += s->w[i].big;
	}
	for (int i = 0; i < NR_CONTIG; i++) {
		cok += s->c[i].ok;
		cbusy += s->c[i].busy;
		cinval += s->c[i].inval;
	}
	printf("stress: contig-pb: %s: %.1fs: workers %lu allocs (%lu of order 9-10), %lu failed; "
	       "contig %lu ok, %lu busy, %lu inval; migrate %lu moved, %lu refused, %lu busy, %lu "
	       "nomem; %lu offlines (%lu zone changes), %lu refused\n",
	       machine, stress_elapsed(&s->f), wallocs, wbig, wfails, cok, cbusy, cinval,
	       s->mig_moved, s->mig_refused, s->mig_busy, s->mig_nomem, s->hp_off, s->hp_zone_changes,
	       s->hp_refused);
	printf("stress: contig-pb: end: free %lu (boot %lu): lost %ld; nr_isolate_pageblock %d; "
	       "isolated pageblocks %d; frames on isolate lists %lu; bad pages %lu; failures %lu%s%s; "
	       "pmm_validate %d%s%s\n",
	       free1, free0, (long)free0 - (long)free1, nriso, iso, onlist,
	       pmm_bad_page_count(m) - bad0, s->f.bad, s->f.bad ? ": " : "", s->f.first_bad, v,
	       v ? ": " : "", v ? vbuf : "");
	fflush(stdout);
	assert_int_equal(s->f.bad, 0);
	assert_int_equal(stress_first_owned(&s->f), s->f.max_pfn);
	assert_int_equal(v, 0);
	assert_int_equal(nriso, 0);
	assert_int_equal(iso, 0);
	assert_int_equal(onlist, 0);
	assert_int_equal(pmm_bad_page_count(m), bad0);
	assert_int_equal(free1, free0);

	free(s->who);
	stress_frames_destroy(&s->f);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_mutex_destroy(&s->w[i].lock);
	free(s);
	pmm_destroy(m);
}

static void test_contig_pageblocks_pcp(void **state)
{
	(void)state;
	contig_pageblocks_under_load("mem=64M dma=0 cpus=4", 0x1000, false, NO_HOTPLUG);
}

static void test_contig_pageblocks_reporting(void **state)
{
	(void)state;
	/* Free page reporting takes order-9/10 blocks off the lists and puts them back. */
	contig_pageblocks_under_load("mem=64M dma=0 cpus=2", 0x1000, true, NO_HOTPLUG);
}

static void test_contig_pageblocks_offline(void **state)
{
	(void)state;
	/*
	 * Open bug: about one run in several under ASan, a memory block
	 * offlined and onlined beside the contiguous requests ends with
	 * nr_isolate_pageblock 1 and thousands of frames lost (pmm_validate()
	 * names it).  Skipped, visibly, until it is fixed; run it with
	 * PMM_CONTIG_PB_OFFLINE=1.
	 */
	/* The targets in the second memory block, which goes offline and online meanwhile. */
	contig_pageblocks_under_load("mem=256M dma=0 cpus=2", 0x8000 + 0x1000, false, HOTPLUG);
}

static void test_contig_pageblocks_zone_change(void **state)
{
	(void)state;
	/*
	 * Before isolation checked the zone under its lock, a request that had
	 * read the frames' old zone isolated them under that zone's lock:
	 * nr_isolate_pageblock one too many in one zone and one too few in
	 * the other, and NR_FREE_PAGES thousands of pages off, in every 5 s run.
	 */
	contig_pageblocks_under_load("mem=256M dma=0 cpus=2", 0x8000 + 0x1000, false,
				     HOTPLUG_TRANSIENT);
}

static void test_contig_pageblocks_guard(void **state)
{
	(void)state;
	/* Debug guard pages: expand() leaves guards that merge back as buddies. */
	contig_pageblocks_under_load("mem=64M dma=0 cpus=2 debug_pagealloc=1 debug_guardpage_minorder=2",
				     0x1000, false, NO_HOTPLUG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contig_pageblocks_pcp),
		cmocka_unit_test(test_contig_pageblocks_reporting),
		cmocka_unit_test(test_contig_pageblocks_offline),
		cmocka_unit_test(test_contig_pageblocks_zone_change),
		cmocka_unit_test(test_contig_pageblocks_guard),
	};

	/* PMM_TEST_FILTER=test_contig_pageblocks_offline runs only that case (a glob). */
	if (getenv("PMM_TEST_FILTER"))
		cmocka_set_test_filter(getenv("PMM_TEST_FILTER"));

	return cmocka_run_group_tests(tests, NULL, NULL);
}
