// SPDX-License-Identifier: MIT
/*
 * Contiguous allocation and the 2 MiB huge page pool under load.
 *
 * Three worker threads allocate and free blocks of orders 0-3
 * (GFP_KERNEL and GFP_HIGHUSER_MOVABLE, some compound), one thread takes
 * and frees contiguous ranges (pmm_alloc_contig_pages() of 512 frames and
 * other sizes, and pmm_alloc_contig_range() on ranges it picks, aligned
 * or not), and one thread takes pages from the huge page pool, gives
 * them back, and shrinks the pool to the buddy allocator now and then
 * (it starts with POOL0 pages and is shrunk towards POOL_FLOOR).  Every
 * frame anyone gets is claimed in an ownership map (a frame handed out
 * twice is caught the moment the second owner claims it) and stamped
 * with its pfn; the stamps are checked before the frame goes back.  A
 * page in the pool is nobody's: a contiguous allocation that meets one
 * swaps it for a fresh page elsewhere (alloc_and_dissolve_huge_page()),
 * so the pool's frames move, and the ownership map catches a range
 * handed out over a page that stayed in the pool or was handed out.
 * Failures of contiguous and pool allocations are allowed and counted;
 * corruption is not.
 *
 * The second case installs a migrate callback that moves the workers'
 * blocks (under the worker's lock, as an embedder's rmap walk would) and
 * the huge pages the hugetlb thread holds (under its lock: a new page
 * from the pool, the data copied, every reference the thread holds moved
 * over, the old page released to the pool, where the contiguous
 * allocation swaps it for one outside its range): alloc_contig_range()
 * then moves allocated blocks out of its range while the workers keep
 * allocating and freeing around it.  A move takes one page from the pool
 * and gives one back, so the pool's size and the number of pages in it
 * stay what the hugetlb thread counts; which pages those are changes.
 * The pool may be empty (every page held, no overcommit): the move then
 * fails with -PMM_ENOMEM and the range is busy.  Without the callback, a
 * held huge page makes its range busy: the hugetlb thread checks that
 * now and then with a range over part of one it holds.  One in four of
 * the ranges the contig thread picks itself starts in a held huge page,
 * so held pages meet ranges often in both cases.
 *
 * After joining: everything freed, drained, pmm_validate() clean, no bad
 * page reported, the pool at its start size less what was shrunk, and
 * the free pages the boot count plus the shrunk pages; then the rest of
 * the pool goes back and the count is checked once more.
 *
 * Runs for PMM_CONTIG_STRESS_SECONDS per case (default 5, 25 under
 * PMM_TEST_SANITIZER).  Prints "stress: contig: ...".
 */
#include "harness.h"
#include "stress/frames.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <pmm/hugetlb.h>

#define NR_WORKERS 3
#define MAX_HELD 64
#define MAX_RANGES 4
#define HUGE_ORDER PMM_HUGETLB_ORDER_2M
#define HUGE_NR (1ul << HUGE_ORDER)
#define POOL0 48
#define POOL_FLOOR 16

#define WMAGIC 0x5eedf00d00000000ull /* a worker's block */
#define CMAGIC 0xc0471600c0471600ull /* a contiguous range */
#define HMAGIC 0x4ba9e00000000000ull /* a huge page */

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
	unsigned long ops, allocs, fails;
};

struct range {
	unsigned long pfn, nr;
};

/*
 * A slot of the hugetlb thread: a page it holds, or none.  Changed under
 * shared.hlock only: by the hugetlb thread, and by the migrate callback,
 * which moves a held page to a new pfn (state and refs stay).
 */
enum hstate { H_NONE, H_HELD };

struct huge {
	unsigned long pfn;
	enum hstate state;
	int refs; /* references held by the hugetlb thread when H_HELD */
};

struct shared {
	struct pmm *m;
	struct stress_frames f; /* ownership map, failures, stop flag, clock */
	uint32_t *who;        /* per frame, atomic: 1 + (worker << 8 | slot) for a worker block's first frame */
	bool migrate;
	double seconds;
	struct worker w[NR_WORKERS];


	/* the contig thread */
	unsigned long c_pages_ok, c_pages_fail, c_range_ok, c_range_busy, c_range_inval, c_frames;
	unsigned long c_aimed; /* ranges aimed at a huge page the hugetlb thread held */
	/* the migrate callback (atomic) */
	unsigned long mig_moved, mig_busy, mig_nomem;
	/* ... on huge pages (under hlock) */
	unsigned long mig_huge, mig_huge_nomem, mig_huge_busy;
	/*
	 * The hugetlb thread.  hlock: its slots, its counts and its model of
	 * the pool; the thread holds it for each step (its pool calls too, so
	 * the pool is as it counts it whenever it looks), the migrate callback
	 * for each move.
	 */
	pthread_mutex_t hlock;
	struct huge pool[POOL0];
	unsigned long h_takes, h_puts, h_empty, h_shrunk, h_refs, h_busy;
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

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);

	while (!stress_stopping(&s->f)) {
		unsigned i = (unsigned)(stress_rnd(&r) % MAX_HELD);
		struct slot *sl = &w->slot[i];

		pthread_mutex_lock(&w->lock);
		if (sl->page) {
			worker_free(w, sl);
		} else {
			uint64_t x = stress_rnd(&r);
			unsigned o = (unsigned)(x % 4);
			pmm_gfp_t gfp = ((x >> 8) & 1 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE) |
					PMM___GFP_NOWARN;
			struct pmm_page *p;

			if (o && (x >> 9) % 4 == 0)
				gfp |= PMM___GFP_COMP;
			p = pmm_alloc_pages(s->m, gfp, o);
			if (p) {
				unsigned long pfn = pmm_page_to_pfn(s->m, p);

				if (pfn & ((1ul << o) - 1))
					stress_bad(&s->f, "worker: order %u block at pfn 0x%lx misaligned", o, pfn);
				stress_own(&s->f, pfn, 1ul << o, "worker");
				stress_stamp(s->m, pfn, 1ul << o, WMAGIC);
				*sl = (struct slot){ .page = p, .pfn = pfn, .order = o, .gfp = gfp };
				__atomic_store_n(&s->who[pfn], 1u + ((unsigned)w->id << 8 | i),
						 __ATOMIC_RELAXED);
				w->allocs++;
			} else {
				w->fails++;
			}
		}
		pthread_mutex_unlock(&w->lock);
		/* Room for the contig and pool threads on hosts with fewer CPUs than threads. */
		if (++w->ops % 256 == 0)
			sched_yield();
	}
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (w->slot[i].page)
			worker_free(w, &w->slot[i]);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static unsigned long pooled(struct shared *s);
static int migrate_huge(struct shared *s, struct pmm *m, unsigned long pfn);

/*
 * The embedder's migration: a worker's block moves to a new one (same
 * gfp and order), its data copied and its stamps rewritten for the new
 * frames (the new "mapping"), under the worker's lock; a huge page the
 * hugetlb thread holds moves to another (migrate_huge()).  Anything else
 * allocated in the range (a contig range) stays: -PMM_EBUSY.
 */
static int migrate_block(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct shared *s = ctx;
	uint32_t enc = pfn < s->f.max_pfn ? __atomic_load_n(&s->who[pfn], __ATOMIC_RELAXED) : 0;
	struct worker *w;
	struct slot *sl;
	struct pmm_page *nw;
	unsigned long npfn;

	if ((!enc || (enc - 1) >> 8 >= NR_WORKERS) && order == HUGE_ORDER)
		return migrate_huge(s, m, pfn);
	if (!enc || (enc - 1) >> 8 >= NR_WORKERS) {
		__atomic_fetch_add(&s->mig_busy, 1, __ATOMIC_RELAXED);
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

/*
 * A huge page the hugetlb thread holds, under its lock: a new page from
 * the pool (none when every page is held: -PMM_ENOMEM), the stamps
 * checked, the data copied and re-stamped for the new frames, the
 * thread's references moved over (its extra ones taken on the new page,
 * all dropped on the old), and the slot pointed at the new page.  The
 * old frames are disowned before the last put: from then on the page is
 * the pool's, which may hand it out again at once or, in the range being
 * taken, swap it for a fresh one.  Any other huge page: -PMM_EBUSY.
 */
static int migrate_huge(struct shared *s, struct pmm *m, unsigned long pfn)
{
	struct pmm_page *old, *nw;
	struct huge *h = NULL;
	unsigned long npfn;
	int c;

	pthread_mutex_lock(&s->hlock);
	for (unsigned i = 0; i < POOL0 && !h; i++)
		if (s->pool[i].state == H_HELD && s->pool[i].pfn == pfn)
			h = &s->pool[i];
	if (!h) {
		s->mig_huge_busy++;
		pthread_mutex_unlock(&s->hlock);
		return -PMM_EBUSY;
	}
	old = pmm_pfn_to_page(m, pfn);
	c = pmm_page_count(old);
	if (c != h->refs)
		stress_bad(&s->f, "migrate huge: pfn 0x%lx has refcount %d, the hugetlb thread holds %d", pfn,
			   c, h->refs);
	nw = pmm_hugetlb_alloc(m, HUGE_ORDER, PMM_NUMA_NO_NODE);
	if (!nw) {
		/* No overcommit: only an empty pool has nothing to give. */
		if (pooled(s))
			stress_bad(&s->f, "migrate huge: pool empty with %lu pages in it", pooled(s));
		s->mig_huge_nomem++;
		pthread_mutex_unlock(&s->hlock);
		return -PMM_ENOMEM;
	}
	npfn = pmm_page_to_pfn(m, nw);
	if (!pooled(s))
		stress_bad(&s->f, "migrate huge: pool handed out pfn 0x%lx with none in it", npfn);
	if (npfn % HUGE_NR)
		stress_bad(&s->f, "migrate huge: pool handed out pfn 0x%lx, not 2 MiB-aligned", npfn);
	if (pmm_page_count(nw) != 1)
		stress_bad(&s->f, "migrate huge: pfn 0x%lx taken with refcount %d", npfn, pmm_page_count(nw));
	stress_own(&s->f, npfn, HUGE_NR, "migrate huge target");
	stress_check(&s->f, s->m, pfn, HUGE_NR, HMAGIC, "migrate huge source");
	memcpy(pmm_page_address(m, nw), pmm_page_address(m, old), HUGE_NR * PMM_PAGE_SIZE);
	stress_stamp(s->m, npfn, HUGE_NR, HMAGIC);
	for (int i = 1; i < h->refs; i++) {
		if (pmm_get_page(m, nw))
			stress_bad(&s->f, "migrate huge: get_page on pfn 0x%lx failed", npfn);
		pmm_put_page(m, old);
	}
	h->pfn = npfn;
	/* The old page is the pool's from the last put on. */
	stress_disown(&s->f, pfn, HUGE_NR, "migrate huge source");
	pmm_put_page(m, old);
	if (pmm_page_count(nw) != h->refs)
		stress_bad(&s->f, "migrate huge: pfn 0x%lx has refcount %d after the move, want %d", npfn,
			   pmm_page_count(nw), h->refs);
	s->mig_huge++;
	pthread_mutex_unlock(&s->hlock);
	return 0;
}

/* ------------------------------------------------------------ contiguous ranges */

static void range_free(struct shared *s, struct range *rg)
{
	stress_check(&s->f, s->m, rg->pfn, rg->nr, CMAGIC, "contig");
	stress_disown(&s->f, rg->pfn, rg->nr, "contig");
	pmm_free_contig_range(s->m, rg->pfn, rg->nr);
}

/* A range just handed out: every frame order 0, refcount 1; claim and stamp. */
static void range_take(struct shared *s, unsigned long pfn, unsigned long nr, const char *how)
{
	stress_own(&s->f, pfn, nr, how);
	for (unsigned long i = 0; i < nr; i++) {
		int c = pmm_page_count(pmm_pfn_to_page(s->m, pfn + i));

		if (c != 1) {
			stress_bad(&s->f, "%s: pfn 0x%lx (of 0x%lx+%lu) has refcount %d", how, pfn + i, pfn, nr, c);
			break;
		}
	}
	stress_stamp(s->m, pfn, nr, CMAGIC);
	s->c_frames += nr;
}

/* The head pfn of a huge page the hugetlb thread holds now (from slot @i on), or ~0ul. */
static unsigned long held_huge_pfn(struct shared *s, uint64_t i)
{
	unsigned long pfn = ~0ul;

	pthread_mutex_lock(&s->hlock);
	for (unsigned k = 0; k < POOL0 && pfn == ~0ul; k++)
		if (s->pool[(i + k) % POOL0].state == H_HELD)
			pfn = s->pool[(i + k) % POOL0].pfn;
	pthread_mutex_unlock(&s->hlock);
	return pfn;
}

static void *contig_main(void *arg)
{
	static const unsigned long sizes[] = { 512, 512, 512, 1, 3, 64, 300, 1000, 1024, 2048 };
	struct shared *s = arg;
	struct range held[MAX_RANGES];
	unsigned nheld = 0;
	uint64_t r = 0xdeadbeefcafef00dull;

	while (!stress_stopping(&s->f)) {
		uint64_t x = stress_rnd(&r);

		if (nheld == MAX_RANGES || (nheld && x % 3 == 0)) {
			unsigned i = (unsigned)((x >> 8) % nheld);

			range_free(s, &held[i]);
			held[i] = held[--nheld];
		} else if ((x >> 16) % 3 == 0) {
			/*
			 * A range of our choosing, pageblock-aligned or not:
			 * anywhere, or (one in four) starting in a huge page the
			 * hugetlb thread holds, which must move (or, without the
			 * callback, make the range busy) unless it is put first.
			 */
			unsigned long nr = 1 + (x >> 24) % 700;
			unsigned long start = (x >> 40) % (s->f.max_pfn - nr);
			unsigned long hpfn = (x >> 22) % 4 ? ~0ul : held_huge_pfn(s, (x >> 8) % POOL0);
			pmm_gfp_t gfp = ((x >> 20) & 1 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE) |
					PMM___GFP_NOWARN;
			int e;

			if (hpfn != ~0ul) {
				start = hpfn + (x >> 40) % HUGE_NR;
				if (start > s->f.max_pfn - nr)
					start = s->f.max_pfn - nr;
				s->c_aimed++;
			}
			if ((x >> 21) & 1)
				start &= ~511ul;
			e = pmm_alloc_contig_range(s->m, start, start + nr, gfp);
			if (e == 0) {
				range_take(s, start, nr, "contig_range");
				held[nheld++] = (struct range){ start, nr };
				s->c_range_ok++;
			} else if (e == -PMM_EBUSY) {
				s->c_range_busy++;
			} else if (e == -PMM_EINVAL) {
				s->c_range_inval++;
			} else {
				stress_bad(&s->f, "pmm_alloc_contig_range(0x%lx, 0x%lx) = %d", start, start + nr, e);
			}
		} else {
			unsigned long nr = sizes[(x >> 24) % (sizeof(sizes) / sizeof(sizes[0]))];
			unsigned long align = 1;
			pmm_gfp_t gfp = ((x >> 20) & 1 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE) |
					PMM___GFP_NOWARN;
			struct pmm_page *p = pmm_alloc_contig_pages(s->m, nr, gfp, PMM_NUMA_NO_NODE);

			while (align < nr)
				align <<= 1;
			if (p) {
				unsigned long pfn = pmm_page_to_pfn(s->m, p);

				if (pfn & (align - 1))
					stress_bad(&s->f, "contig_pages: %lu frames at 0x%lx, not aligned to %lu", nr, pfn,
					    align);
				range_take(s, pfn, nr, "contig_pages");
				held[nheld++] = (struct range){ pfn, nr };
				s->c_pages_ok++;
			} else {
				s->c_pages_fail++;
			}
		}
	}
	while (nheld)
		range_free(s, &held[--nheld]);
	return NULL;
}

/*
 * ------------------------------------------------------------ the huge page pool
 *
 * Everything here runs under shared.hlock: the migrate callback may move
 * a held page (its slot's pfn changes) whenever the lock is free.
 */

static unsigned pool_count(struct shared *s, enum hstate st)
{
	unsigned n = 0;

	for (unsigned i = 0; i < POOL0; i++)
		n += s->pool[i].state == st;
	return n;
}

/*
 * The pages in the pool now, as this thread counts them: it is the pool's
 * only user but for the migrate callback, which gives back (the old page)
 * what it takes (the new one) under hlock.
 */
static unsigned long pooled(struct shared *s)
{
	return POOL0 - s->h_shrunk - pool_count(s, H_HELD);
}

/* Take one page from the pool: refcount 1, frames nobody else owns; stamp it. */
static struct huge *huge_take(struct shared *s)
{
	struct pmm_page *p = pmm_hugetlb_alloc(s->m, HUGE_ORDER, PMM_NUMA_NO_NODE);
	unsigned long pfn;
	struct huge *h = NULL;

	if (!p) {
		if (pooled(s))
			stress_bad(&s->f, "hugetlb: pool empty with %lu pages in it", pooled(s));
		s->h_empty++;
		return NULL;
	}
	pfn = pmm_page_to_pfn(s->m, p);
	if (pfn % HUGE_NR)
		stress_bad(&s->f, "hugetlb: pool handed out pfn 0x%lx, not 2 MiB-aligned", pfn);
	for (unsigned i = 0; i < POOL0 && !h; i++)
		if (s->pool[i].state == H_NONE)
			h = &s->pool[i];
	if (!h) {
		stress_bad(&s->f, "hugetlb: pool handed out a page with all %d held", POOL0);
		return NULL;
	}
	if (pmm_page_count(p) != 1)
		stress_bad(&s->f, "hugetlb: pfn 0x%lx taken with refcount %d", pfn, pmm_page_count(p));
	stress_own(&s->f, pfn, HUGE_NR, "hugetlb take");
	stress_stamp(s->m, pfn, HUGE_NR, HMAGIC);
	*h = (struct huge){ .pfn = pfn, .state = H_HELD, .refs = 1 };
	s->h_takes++;
	return h;
}

static void huge_put(struct shared *s, struct huge *h, uint64_t x)
{
	struct pmm_page *p = pmm_pfn_to_page(s->m, h->pfn);

	stress_check(&s->f, s->m, h->pfn, HUGE_NR, HMAGIC, "hugetlb put");
	while (h->refs > 1) {
		pmm_put_page(s->m, p);
		h->refs--;
	}
	/* Nobody's from the last put on: a contiguous allocation may take its place. */
	stress_disown(&s->f, h->pfn, HUGE_NR, "hugetlb put");
	if (x & 1)
		pmm_put_page(s->m, p);
	else
		pmm_free_pages(s->m, p, HUGE_ORDER);
	h->state = H_NONE;
	h->refs = 0;
	s->h_puts++;
}

/* The pool's own counts must match what this thread (see pooled()) knows. */
static void pool_counts(struct shared *s)
{
	unsigned long nr, nr_free;

	if (pmm_hugetlb_pool(s->m, HUGE_ORDER, PMM_NUMA_NO_NODE, &nr, &nr_free))
		stress_bad(&s->f, "pmm_hugetlb_pool failed");
	else if (nr_free != pooled(s) || nr != nr_free + pool_count(s, H_HELD))
		stress_bad(&s->f, "hugetlb: pool says %lu pages (%lu free), we hold %u and count %lu pooled", nr,
		    nr_free, pool_count(s, H_HELD), pooled(s));
}

/* Shrink the pool by one page: give back what we hold, then one pooled page goes. */
static void huge_shrink_one(struct shared *s, uint64_t x)
{
	unsigned long got;

	for (unsigned i = 0; i < POOL0; i++)
		if (s->pool[i].state == H_HELD)
			huge_put(s, &s->pool[i], x >> (i % 32));
	got = pmm_hugetlb_shrink(s->m, HUGE_ORDER, 1);
	if (got != 1)
		stress_bad(&s->f, "pmm_hugetlb_shrink(1) gave back %lu pages with %lu pooled", got, pooled(s));
	s->h_shrunk += got;
	pool_counts(s);
}

/*
 * Without a migrate callback, a contiguous range over part of a page this
 * thread holds is busy (with one, the callback would wait for our lock).
 */
static void huge_range_busy(struct shared *s, uint64_t x)
{
	unsigned i0 = (unsigned)(x % POOL0);
	unsigned long start, nr;
	int e;

	for (unsigned k = 0; k < POOL0; k++) {
		struct huge *h = &s->pool[(i0 + k) % POOL0];

		if (h->state != H_HELD)
			continue;
		start = h->pfn + (x >> 8) % HUGE_NR;
		nr = 1 + (x >> 20) % (h->pfn + HUGE_NR - start);
		e = pmm_alloc_contig_range(s->m, start, start + nr,
					   PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_NOWARN);
		if (e != -PMM_EBUSY)
			stress_bad(&s->f, "hugetlb: contig range 0x%lx+%lu over held page 0x%lx: %d, not busy",
				   start, nr, h->pfn, e);
		else
			s->h_busy++;
		return;
	}
}

static void *huge_main(void *arg)
{
	struct shared *s = arg;
	uint64_t r = 0x123456789abcdefull;

	while (!stress_stopping(&s->f)) {
		uint64_t x = stress_rnd(&r);
		unsigned held;
		/* Shrink towards the floor over the run. */
		double due = stress_elapsed(&s->f) / s->seconds * (POOL0 - POOL_FLOOR);

		pthread_mutex_lock(&s->hlock);
		held = pool_count(s, H_HELD);
		if ((double)s->h_shrunk < due && POOL0 - s->h_shrunk > POOL_FLOOR) {
			huge_shrink_one(s, x);
		} else if (held && (x % 2 == 0 || !pooled(s))) {
			unsigned i;

			do
				i = (unsigned)((x >> 8) % POOL0), x = stress_rnd(&r);
			while (s->pool[i].state != H_HELD);
			huge_put(s, &s->pool[i], x);
		} else {
			struct huge *h = huge_take(s);

			if (h && (x >> 4) % 4 == 0) {
				/* A second holder (get_page), given back at put time. */
				if (pmm_get_page(s->m, pmm_pfn_to_page(s->m, h->pfn)))
					stress_bad(&s->f, "hugetlb: get_page on a held page failed");
				else
					h->refs++, s->h_refs++;
			}
		}
		if (!s->migrate && x % 16 == 1)
			huge_range_busy(s, stress_rnd(&r));
		if (x % 64 == 0)
			pool_counts(s);
		pthread_mutex_unlock(&s->hlock);
		if (x % 4 == 0)
			sched_yield();
	}
	pthread_mutex_lock(&s->hlock);
	for (unsigned i = 0; i < POOL0; i++)
		if (s->pool[i].state == H_HELD)
			huge_put(s, &s->pool[i], i);
	pool_counts(s);
	pthread_mutex_unlock(&s->hlock);
	return NULL;
}

/* ------------------------------------------------------------ the test */

static double run_seconds(void)
{
	const char *v = getenv("PMM_CONTIG_STRESS_SECONDS");
	const char *san = getenv("PMM_TEST_SANITIZER");

	if (v && *v)
		return strtod(v, NULL);
	return san && *san && strcmp(san, "0") ? 25.0 : 5.0;
}

static void contig_under_load(bool migrate)
{
	struct pmm *m = pmm_test_machine("mem=1G dma=0 cpus=4 hugepagesz=2M hugepages=48", NULL);
	struct shared *s = calloc(1, sizeof(*s));
	pthread_t tw[NR_WORKERS], tc, th;
	struct pmm_mm_ops ops = { .migrate = migrate_block };
	unsigned long nr, nr_free, free0, wops = 0, wallocs = 0, wfails = 0, pool0[POOL0];
	unsigned moved = 0;
	unsigned long bad_pages0 = pmm_bad_page_count(m);
	double t;

	assert_non_null(s);
	pthread_mutex_init(&s->hlock, NULL);
	s->m = m;
	s->migrate = migrate;
	s->seconds = run_seconds();
	assert_true(stress_frames_init(&s->f, pmm_max_pfn(m)));
	s->who = calloc(s->f.max_pfn, sizeof(*s->who));
	assert_non_null(s->who);
	if (migrate)
		pmm_set_mm_ops(m, &ops, s);

	/* The pool: take every page (learning where they are) and give them back. */
	assert_int_equal(pmm_hugetlb_pool(m, HUGE_ORDER, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, POOL0);
	assert_int_equal(nr_free, POOL0);
	pthread_mutex_lock(&s->hlock);
	for (unsigned i = 0; i < POOL0; i++) {
		assert_non_null(huge_take(s));
		pool0[i] = s->pool[i].pfn;
	}
	assert_null(pmm_hugetlb_alloc(m, HUGE_ORDER, PMM_NUMA_NO_NODE));
	for (unsigned i = 0; i < POOL0; i++)
		huge_put(s, &s->pool[i], i);
	s->h_takes = s->h_puts = 0;
	pthread_mutex_unlock(&s->hlock);
	assert_int_equal(s->f.bad, 0);

	pmm_drain_all(m);
	assert_machine_valid(m);
	free0 = pmm_nr_free_pages(m);

	clock_gettime(CLOCK_MONOTONIC, &s->f.t0);
	for (int i = 0; i < NR_WORKERS; i++) {
		s->w[i].s = s;
		s->w[i].id = i;
		pthread_mutex_init(&s->w[i].lock, NULL);
		assert_int_equal(pthread_create(&tw[i], NULL, worker_main, &s->w[i]), 0);
	}
	assert_int_equal(pthread_create(&tc, NULL, contig_main, s), 0);
	assert_int_equal(pthread_create(&th, NULL, huge_main, s), 0);
	while (stress_elapsed(&s->f) < s->seconds && !__atomic_load_n(&s->f.bad, __ATOMIC_RELAXED))
		usleep(50 * 1000);
	stress_stop(&s->f);
	for (int i = 0; i < NR_WORKERS; i++) {
		assert_int_equal(pthread_join(tw[i], NULL), 0);
		wops += s->w[i].ops;
		wallocs += s->w[i].allocs;
		wfails += s->w[i].fails;
	}
	assert_int_equal(pthread_join(tc, NULL), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	t = stress_elapsed(&s->f);
	if (migrate)
		pmm_set_mm_ops(m, NULL, NULL);

	print_message("stress: contig: %s, %.1f s: %lu worker ops (%lu allocs, %lu failed); "
		      "contig_pages %lu ok / %lu failed, contig_range %lu ok / %lu busy / %lu invalid "
		      "(%lu aimed at held huge pages), "
		      "%lu frames taken; migrated %lu (busy %lu, no memory %lu); huge migrated %lu "
		      "(not held %lu, pool empty %lu); hugetlb %lu takes, %lu puts, %lu extra refs, "
		      "%lu ranges over held pages busy, %lu shrunk (pool %d -> %lu), %lu empty; %lu bad\n",
		      migrate ? "with migration" : "no migration", t, wops, wallocs, wfails,
		      s->c_pages_ok, s->c_pages_fail, s->c_range_ok, s->c_range_busy, s->c_range_inval,
		      s->c_aimed, s->c_frames, s->mig_moved, s->mig_busy, s->mig_nomem, s->mig_huge,
		      s->mig_huge_busy, s->mig_huge_nomem, s->h_takes, s->h_puts, s->h_refs, s->h_busy,
		      s->h_shrunk, POOL0, POOL0 - s->h_shrunk, s->h_empty, s->f.bad);
	if (s->f.bad)
		fail_msg("%lu bad; first: %s", s->f.bad, s->f.first_bad);
	assert_int_equal(pmm_bad_page_count(m), bad_pages0);
	/* Nothing held any more: every frame back. */
	if (stress_first_owned(&s->f) < s->f.max_pfn)
		fail_msg("pfn 0x%lx still owned after every thread gave its frames back",
			 stress_first_owned(&s->f));
	assert_true(s->c_pages_ok + s->c_range_ok > 0);
	assert_true(s->h_takes > 0);
	if (migrate)
		assert_true(s->mig_huge > 0);
	else
		assert_true(s->h_busy > 0);

	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_hugetlb_pool(m, HUGE_ORDER, PMM_NUMA_NO_NODE, &nr, &nr_free), 0);
	assert_int_equal(nr, POOL0 - s->h_shrunk);
	assert_int_equal(nr_free, nr);
	assert_int_equal(pmm_nr_free_pages(m), free0 + s->h_shrunk * HUGE_NR);
	/* Where the pool's pages are now: those a contiguous allocation moved are elsewhere. */
	pthread_mutex_lock(&s->hlock);
	for (unsigned i = 0; i < nr; i++) {
		bool same = false;

		assert_non_null(huge_take(s));
		for (unsigned j = 0; j < POOL0; j++)
			same |= pool0[j] == s->pool[i].pfn;
		moved += !same;
	}
	for (unsigned i = 0; i < nr; i++)
		huge_put(s, &s->pool[i], i);
	pthread_mutex_unlock(&s->hlock);
	assert_int_equal(s->f.bad, 0);
	print_message("stress: contig: %s: %u of the %lu pool pages left are not where the pool began\n",
		      migrate ? "with migration" : "no migration", moved, nr);

	/* The rest of the pool goes back too: the machine as if it had booted without one. */
	assert_int_equal(pmm_hugetlb_shrink(m, HUGE_ORDER, POOL0), nr);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0 + POOL0 * HUGE_NR);
	assert_int_equal(pmm_bad_page_count(m), bad_pages0);

	for (int i = 0; i < NR_WORKERS; i++)
		pthread_mutex_destroy(&s->w[i].lock);
	pthread_mutex_destroy(&s->hlock);
	stress_frames_destroy(&s->f);
	free(s->who);
	free(s);
	pmm_destroy(m);
}

static void contig_no_migration(void **state)
{
	(void)state;
	contig_under_load(false);
}

static void contig_with_migration(void **state)
{
	(void)state;
	contig_under_load(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contig_no_migration),
		cmocka_unit_test(contig_with_migration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
