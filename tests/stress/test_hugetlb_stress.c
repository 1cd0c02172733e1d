// SPDX-License-Identifier: MIT
/*
 * The 2 MiB huge page pool resized under load.
 *
 * Three user threads take pages from the pool (pmm_hugetlb_alloc() on a
 * node or on any), stamp all 2 MiB of each with their own pattern, hold a
 * few, take and drop extra references, hand some to another user (both
 * holders drop theirs; the last one gives the page up), and check the
 * stamps before every release.  One resizer thread sets the pool's size
 * (pmm_hugetlb_resize() on all nodes or one, the nr_hugepages sysctl),
 * its surplus allowance (pmm_hugetlb_set_overcommit(), the
 * nr_overcommit_hugepages sysctl) and gives free pages back
 * (pmm_hugetlb_shrink()), so pages come from and go back to the buddy
 * allocator while they are handed out: a page released while its node
 * has surplus pages goes to the buddy allocator, any other back to the
 * pool.  Two worker threads allocate and free ordinary blocks of orders
 * 0-3 around all this, stamping and checking them.
 *
 * The users also reserve pages (pmm_hugetlb_reserve(), 1-3 at a time,
 * which may gather surplus pages into the pool or fail with -PMM_ENOMEM
 * and hold nothing), take pages against the reservations they hold
 * (pmm_hugetlb_alloc_reserved() on any node: with a reservation held it
 * must not fail, whatever the resizer does, since the pool keeps a free
 * page for every reservation), and release unused ones
 * (pmm_hugetlb_unreserve(), which must succeed for a count they hold),
 * each keeping count of its own.  Those calls run with a lock read-held
 * that the main thread write-holds now and then to see the users' counts
 * settled: their sum must be the pool's reservations then.  Every reading
 * of the counts has them within the pool's free pages, and at least those
 * of the user reading them.
 *
 * Every frame anyone holds is claimed in an ownership map (a frame handed
 * out twice, say a huge page's frame given to a worker while a user holds
 * it, is caught when the second owner claims it) and its stamps are
 * checked before it goes back.  A user disowns a page's frames before its
 * last reference is dropped, since the page may go to the buddy allocator
 * at once.  The resizer checks each pmm_hugetlb_counts() it reads on its
 * own (free and surplus within the pool, on all nodes and on each), and,
 * being the only thread that changes the persistent size, that the pool's
 * pages less its surplus ones are the size last set.
 *
 * After joining: everything released (each reservation made used or
 * released, none left in the pool), no surplus allowed, the pool resized
 * to 0: empty on every node, the free pages the count before the threads
 * started plus the boot pool's, pmm_validate() clean and no bad page
 * reported.
 *
 * Runs for PMM_HUGETLB_STRESS_SECONDS (default 4, 8 under
 * PMM_TEST_SANITIZER).  Prints "stress: hugetlb resize: ...".
 */
#include "harness.h"
#include "stress/frames.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <pmm/hotplug.h>
#include <pmm/hugetlb.h>

#define NR_USERS 3
#define NR_WORKERS 2
#define USER_HELD 4      /* huge pages a user holds at most */
#define USER_RESV 6      /* reservations a user holds at most (asks for more below this) */
#define MAILBOX 4        /* shared pages waiting for a user */
#define WORKER_HELD 64
#define BOOT_POOL 16
#define MAX_COUNT 48     /* pool sizes the resizer asks for: 0..MAX_COUNT */
#define MAX_OVERCOMMIT 16
#define HUGE_ORDER PMM_HUGETLB_ORDER_2M
#define HUGE_NR (1ul << HUGE_ORDER)
#define WORDS (PMM_PAGE_SIZE / sizeof(uint64_t))

#define HMAGIC 0x4ba9e00000000000ull /* a user's huge page */
#define WMAGIC 0x5eedf00d00000000ull /* a worker's block */

#define CONFIG "mem=2G nodes=2 cpus=4 hugepages=16"

static const int nids[] = { PMM_NUMA_NO_NODE, 0, 1 };

struct shared;

/* A huge page a user holds. */
struct huge {
	unsigned long pfn;
	uint64_t stamp;   /* the pattern its frames hold (see stamp_huge()) */
	int refs;         /* references this holder took */
	int *holders;     /* non-NULL: shared, holders left (atomic) */
};

struct user {
	struct shared *s;
	int id;
	uint64_t seq;
	struct huge held[USER_HELD];
	unsigned nheld;
	pthread_mutex_t lock; /* box */
	struct huge box[MAILBOX];
	unsigned nbox;
	unsigned long takes, takes_empty, empty, releases, refs, shared, received, checks;
	unsigned long resv_held; /* this user's reservations: written with resv_lock read-held */
	unsigned long resv_made, resv_calls, resv_enomem, resv_used, resv_released;
};

struct wblock {
	struct pmm_page *page;
	unsigned long pfn;
	unsigned order;
	uint64_t stamp;
};

struct worker {
	struct shared *s;
	int id;
	uint64_t seq;
	struct wblock held[WORKER_HELD];
	unsigned long ops, allocs, fails;
};

struct shared {
	struct pmm *m;
	struct stress_frames f; /* ownership map, failures, stop flag, clock */
	double seconds;
	struct user u[NR_USERS];
	struct worker w[NR_WORKERS];

	/*
	 * The users' reservation calls hold resv_lock for reading; the main
	 * thread holds it for writing to read their counts with none in
	 * flight, and sets resv_gate first so that users do not keep it
	 * waiting (glibc's rwlocks let readers in ahead of a writer).
	 */
	pthread_rwlock_t resv_lock;
	int resv_gate; /* atomic */
	unsigned long resv_checks;

	/* the resizer */
	unsigned long r_resizes, r_grew, r_shrank, r_short, r_sysctl, r_overcommit, r_shrinks,
		r_shrunk, r_counts, r_peak_nr, r_peak_surplus;
	unsigned long r_offlined, r_offline_busy, r_contig, r_contig_fail;
};

static uint64_t *frame(struct shared *s, unsigned long pfn)
{
	return pmm_page_address(s->m, pmm_pfn_to_page(s->m, pfn));
}

/* ------------------------------------------------------------ users */

/* Every word of a huge page: its owner's stamp and where it is. */
static uint64_t huge_word(uint64_t stamp, unsigned long pfn, unsigned long w)
{
	return stamp ^ (pfn << 9 | w);
}

static void stamp_huge(struct shared *s, const struct huge *h)
{
	for (unsigned long i = 0; i < HUGE_NR; i++) {
		uint64_t *f = frame(s, h->pfn + i);

		for (unsigned long w = 0; w < WORDS; w++)
			f[w] = huge_word(h->stamp, h->pfn + i, w);
	}
}

static void check_huge(struct shared *s, const struct huge *h, const char *who)
{
	for (unsigned long i = 0; i < HUGE_NR; i++) {
		const uint64_t *f = frame(s, h->pfn + i);

		for (unsigned long w = 0; w < WORDS; w++)
			if (f[w] != huge_word(h->stamp, h->pfn + i, w)) {
				stress_bad(&s->f, "%s: huge page 0x%lx: pfn 0x%lx word %lu overwritten: %#llx, stamp %#llx",
				    who, h->pfn, h->pfn + i, w, (unsigned long long)f[w],
				    (unsigned long long)huge_word(h->stamp, h->pfn + i, w));
				return;
			}
	}
}

/*
 * One holder lets go of @h: its stamps checked, its extra references
 * dropped, and its frames disowned before the reference that may be the
 * last (the page may leave for the buddy allocator at once); a shared
 * page is disowned by the last holder.
 */
static void huge_release(struct shared *s, struct huge *h, uint64_t x, const char *who)
{
	struct pmm_page *p = pmm_pfn_to_page(s->m, h->pfn);

	check_huge(s, h, who);
	if (pmm_page_count(p) < h->refs)
		stress_bad(&s->f, "%s: huge page 0x%lx has refcount %d, this holder alone has %d", who, h->pfn,
		    pmm_page_count(p), h->refs);
	for (; h->refs > 1; h->refs--, x >>= 1)
		if (x & 1)
			pmm_put_page(s->m, p);
		else
			pmm_free_pages(s->m, p, HUGE_ORDER);
	if (!h->holders || __atomic_sub_fetch(h->holders, 1, __ATOMIC_ACQ_REL) == 0) {
		free(h->holders);
		stress_disown(&s->f, h->pfn, HUGE_NR, who);
	}
	if (x & 2)
		pmm_put_page(s->m, p);
	else
		pmm_free_pages(s->m, p, HUGE_ORDER);
	h->refs = 0;
	h->holders = NULL;
}

/* Post @h (a reference for the receiver) to @to's mailbox; false when it is full. */
static bool send_huge(struct user *to, const struct huge *h)
{
	bool ok = false;

	pthread_mutex_lock(&to->lock);
	if (to->nbox < MAILBOX) {
		to->box[to->nbox++] = *h;
		ok = true;
	}
	pthread_mutex_unlock(&to->lock);
	return ok;
}

static bool receive_huge(struct user *u, struct huge *h)
{
	bool ok = false;

	pthread_mutex_lock(&u->lock);
	if (u->nbox) {
		*h = u->box[--u->nbox];
		ok = true;
	}
	pthread_mutex_unlock(&u->lock);
	return ok;
}

/*
 * One pmm_hugetlb_counts() on its own: free and surplus pages within the
 * pool; the reservations (the pool's, whatever @nid) at least the @held
 * of the caller, which no other thread can use or release, and for the
 * whole pool within its free pages.
 */
static bool counts_sane(struct shared *s, int nid, struct pmm_hugetlb_counts *c, unsigned long held,
			const char *who)
{
	int e = pmm_hugetlb_counts(s->m, HUGE_ORDER, nid, c);

	if (e) {
		stress_bad(&s->f, "%s: pmm_hugetlb_counts(node %d) = %d", who, nid, e);
		return false;
	}
	if (c->nr_free > c->nr || c->surplus > c->nr || c->resv < held ||
	    (nid == PMM_NUMA_NO_NODE && c->resv > c->nr_free)) {
		stress_bad(&s->f,
			   "%s: pool on node %d: nr %lu, free %lu, surplus %lu, resv %lu (max %lu, overcommit %lu), "
			   "%lu reservations held by the reader",
			   who, nid, c->nr, c->nr_free, c->surplus, c->resv, c->max, c->nr_overcommit, held);
		return false;
	}
	return true;
}

/* Page @p, just taken (asked on @nid), held by @u: owned, stamped, perhaps with extra references. */
static void huge_hold(struct user *u, struct pmm_page *p, int nid, uint64_t x)
{
	struct shared *s = u->s;
	struct huge *h;
	unsigned long pfn;
	int refs;

	pfn = pmm_page_to_pfn(s->m, p);
	if (pfn & (HUGE_NR - 1))
		stress_bad(&s->f, "user: huge page at pfn 0x%lx misaligned", pfn);
	if (nid != PMM_NUMA_NO_NODE && pmm_page_nid(p) != nid)
		stress_bad(&s->f, "user: huge page 0x%lx asked on node %d is on node %d", pfn, nid,
			   pmm_page_nid(p));
	if ((refs = pmm_page_count(p)) != 1)
		stress_bad(&s->f, "user: huge page 0x%lx taken with refcount %d", pfn, refs);
	stress_own(&s->f, pfn, HUGE_NR, "user take");
	h = &u->held[u->nheld++];
	*h = (struct huge){ .pfn = pfn, .refs = 1,
			    .stamp = HMAGIC ^ (uint64_t)u->id << 44 ^ ++u->seq << 28 };
	stamp_huge(s, h);
	u->takes++;
	/* Extra holders inside this thread (get_page), dropped at release. */
	for (unsigned k = (unsigned)(x >> 8) % 8; k < 2; k++) {
		if (pmm_get_page(s->m, p)) {
			stress_bad(&s->f, "user: get_page on held huge page 0x%lx failed", pfn);
			break;
		}
		h->refs++;
		u->refs++;
	}
}

static void huge_take(struct user *u, uint64_t x)
{
	struct shared *s = u->s;
	int nid = nids[x % 3];
	struct pmm_hugetlb_counts c;
	struct pmm_page *p;

	/*
	 * The pool as it was just before: with no free page there, or all of
	 * them reserved, a page taken is surplus.
	 */
	if (!counts_sane(s, nid, &c, u->resv_held, "user"))
		return;
	p = pmm_hugetlb_alloc(s->m, HUGE_ORDER, nid);
	if (!p) {
		u->empty++;
		return;
	}
	u->takes_empty += c.nr_free == 0 || (nid == PMM_NUMA_NO_NODE && c.nr_free <= c.resv);
	huge_hold(u, p, nid, x);
}

/*
 * Reservations: take a page against one held, release some held, or make
 * 1-3 more.  The calls run with resv_lock read-held and this user's count
 * brought up to date inside, so that the main thread, holding it for
 * writing, finds the users' counts the pool's.
 */
static void huge_resv(struct user *u, uint64_t x)
{
	struct shared *s = u->s;
	struct pmm_hugetlb_counts c;
	struct pmm_page *p = NULL;
	unsigned long n;
	int e;

	/* The main thread is waiting to count: leave it be, do it next time. */
	if (__atomic_load_n(&s->resv_gate, __ATOMIC_RELAXED))
		return;
	pthread_rwlock_rdlock(&s->resv_lock);
	if (u->resv_held && x % 2 == 0) {
		/*
		 * The pool keeps a free page for each reservation, and any
		 * node will do: with one held, this take cannot fail.
		 */
		p = pmm_hugetlb_alloc_reserved(s->m, HUGE_ORDER, PMM_NUMA_NO_NODE);
		if (p) {
			u->resv_held--;
			u->resv_used++;
		} else if (!pmm_hugetlb_counts(s->m, HUGE_ORDER, PMM_NUMA_NO_NODE, &c)) {
			stress_bad(&s->f,
				   "user %d: pmm_hugetlb_alloc_reserved(any node) = NULL holding %lu reservations: "
				   "then nr %lu, free %lu, surplus %lu, resv %lu (max %lu, overcommit %lu)",
				   u->id, u->resv_held, c.nr, c.nr_free, c.surplus, c.resv, c.max,
				   c.nr_overcommit);
		} else {
			stress_bad(&s->f, "user %d: pmm_hugetlb_alloc_reserved(any node) = NULL holding %lu reservations",
				   u->id, u->resv_held);
		}
	} else if (u->resv_held && x % 4 == 1) {
		n = 1 + (x >> 2) % u->resv_held;
		if ((e = pmm_hugetlb_unreserve(s->m, HUGE_ORDER, n))) {
			stress_bad(&s->f, "user %d: pmm_hugetlb_unreserve(%lu) holding %lu: %d", u->id, n,
				   u->resv_held, e);
		} else {
			u->resv_held -= n;
			u->resv_released += n;
		}
	} else if (u->resv_held < USER_RESV) {
		/* -PMM_ENOMEM: no surplus page to be had; nothing is held then (the main thread counts). */
		n = 1 + (x >> 2) % 3;
		e = pmm_hugetlb_reserve(s->m, HUGE_ORDER, n);
		u->resv_calls++;
		if (!e) {
			u->resv_held += n;
			u->resv_made += n;
		} else if (e == -PMM_ENOMEM) {
			u->resv_enomem++;
		} else {
			stress_bad(&s->f, "user %d: pmm_hugetlb_reserve(%lu) holding %lu: %d", u->id, n,
				   u->resv_held, e);
		}
	}
	pthread_rwlock_unlock(&s->resv_lock);
	/* Stamped outside the lock: the main thread need not wait for 2 MiB of writes. */
	if (p)
		huge_hold(u, p, PMM_NUMA_NO_NODE, x >> 8);
}

/* Another user gets a reference to held page @i; neither writes it any more. */
static void huge_share(struct user *u, unsigned i, uint64_t x)
{
	struct shared *s = u->s;
	struct huge *h = &u->held[i];
	struct user *to = &s->u[(u->id + 1 + (int)(x % (NR_USERS - 1))) % NR_USERS];
	struct huge given;
	int *holders;

	if (h->holders)
		return;
	holders = malloc(sizeof(*holders));
	if (!holders) {
		stress_bad(&s->f, "user: out of memory");
		return;
	}
	if (pmm_get_page(s->m, pmm_pfn_to_page(s->m, h->pfn))) {
		stress_bad(&s->f, "user: get_page on held huge page 0x%lx failed", h->pfn);
		free(holders);
		return;
	}
	*holders = 2;
	h->holders = holders;
	given = (struct huge){ .pfn = h->pfn, .stamp = h->stamp, .refs = 1, .holders = holders };
	if (send_huge(to, &given)) {
		u->shared++;
		return;
	}
	/* Nobody took it: drop that reference ourselves, the page is ours alone again. */
	h->holders = NULL;
	free(holders);
	pmm_put_page(s->m, pmm_pfn_to_page(s->m, h->pfn));
}

static void *user_main(void *arg)
{
	struct user *u = arg;
	struct shared *s = u->s;
	uint64_t r = 0x2545f4914f6cdd1dull * (uint64_t)(u->id + 1);
	struct huge got;

	while (!stress_stopping(&s->f)) {
		uint64_t x = stress_rnd(&r);

		while (receive_huge(u, &got)) {
			huge_release(s, &got, stress_rnd(&r), "user (shared)");
			u->received++;
			u->releases++;
		}
		if (u->nheld == USER_HELD || (u->nheld && x % 3 == 0)) {
			unsigned i = (unsigned)((x >> 8) % u->nheld);

			huge_release(s, &u->held[i], x >> 16, "user");
			u->held[i] = u->held[--u->nheld];
			u->releases++;
		} else if (u->nheld && x % 7 == 1) {
			huge_share(u, (unsigned)((x >> 8) % u->nheld), x >> 16);
		} else if (u->nheld && x % 11 == 2) {
			check_huge(s, &u->held[(x >> 8) % u->nheld], "user (held)");
			u->checks++;
		} else if ((x >> 40) % 3 == 0) {
			huge_resv(u, x >> 44);
		} else {
			huge_take(u, x >> 4);
		}
		if (x % 4 == 0)
			sched_yield();
	}
	while (u->nheld) {
		huge_release(s, &u->held[--u->nheld], stress_rnd(&r), "user (exit)");
		u->releases++;
	}
	/* The main thread counts no more: no gate, but the lock all the same. */
	if (u->resv_held) {
		int e;

		pthread_rwlock_rdlock(&s->resv_lock);
		if ((e = pmm_hugetlb_unreserve(s->m, HUGE_ORDER, u->resv_held))) {
			stress_bad(&s->f, "user %d (exit): pmm_hugetlb_unreserve(%lu) of all it holds: %d", u->id,
				   u->resv_held, e);
		} else {
			u->resv_released += u->resv_held;
			u->resv_held = 0;
		}
		pthread_rwlock_unlock(&s->resv_lock);
	}
	return NULL;
}

/* ------------------------------------------------------------ the resizer */

/*
 * Check the counts after the resizer's own call: each reading sane, and
 * the persistent size (pages less surplus pages) the size last set, which
 * only this thread changes (taking or releasing a surplus page changes both).
 */
static void resizer_counts(struct shared *s, struct pmm_hugetlb_counts *all, unsigned long overcommit,
			   const char *after)
{
	struct pmm_hugetlb_counts c;

	s->r_counts++;
	if (!counts_sane(s, PMM_NUMA_NO_NODE, all, 0, after))
		return;
	for (int nid = 0; nid < 2; nid++)
		counts_sane(s, nid, &c, 0, after);
	if (all->nr - all->surplus != all->max)
		stress_bad(&s->f, "%s: pool of %lu pages, %lu surplus, but its persistent size is %lu",
			   after, all->nr, all->surplus, all->max);
	if (all->nr_overcommit != overcommit)
		stress_bad(&s->f, "%s: overcommit %lu, set to %lu", after, all->nr_overcommit, overcommit);
	if (all->nr > s->r_peak_nr)
		s->r_peak_nr = all->nr;
	if (all->surplus > s->r_peak_surplus)
		s->r_peak_surplus = all->surplus;
}

static void *resizer_main(void *arg)
{
	struct shared *s = arg;
	uint64_t r = 0x9e3779b97f4a7c15ull;
	unsigned long overcommit = 0;
	struct pmm_hugetlb_counts before, after;
	char buf[64];

	resizer_counts(s, &before, overcommit, "resizer (start)");
	while (!stress_stopping(&s->f)) {
		uint64_t x = stress_rnd(&r);
		unsigned long n = (x >> 8) % (MAX_COUNT + 1);
		int nid = nids[(x >> 16) % 3], e;

		switch (x % 10) {
		case 0:
		case 1:
		case 2:
			e = pmm_hugetlb_resize(s->m, HUGE_ORDER, nid, n);
			if (e)
				stress_bad(&s->f, "pmm_hugetlb_resize(node %d, %lu) = %d", nid, n, e);
			resizer_counts(s, &after, overcommit, "resize");
			s->r_resizes++;
			s->r_grew += after.max > before.max;
			s->r_shrank += after.max < before.max;
			if (nid == PMM_NUMA_NO_NODE) {
				/* Shrinking reaches the count; growing may fall short of it. */
				if (after.max > n || (n <= before.max && after.max != n))
					stress_bad(&s->f, "pmm_hugetlb_resize(all, %lu) from %lu: persistent size %lu", n,
					    before.max, after.max);
				s->r_short += after.max < n;
			}
			break;
		case 3:
			snprintf(buf, sizeof(buf), "%lu\n", n);
			if ((e = pmm_sysctl_write(s->m, "nr_hugepages", buf)))
				stress_bad(&s->f, "sysctl nr_hugepages=%lu: %d", n, e);
			resizer_counts(s, &after, overcommit, "sysctl nr_hugepages");
			s->r_resizes++;
			s->r_sysctl++;
			s->r_grew += after.max > before.max;
			s->r_shrank += after.max < before.max;
			s->r_short += after.max < n;
			if (after.max > n || (n <= before.max && after.max != n))
				stress_bad(&s->f, "sysctl nr_hugepages=%lu from %lu: persistent size %lu", n, before.max,
				    after.max);
			if (pmm_sysctl_read(s->m, "nr_hugepages", buf, sizeof(buf)) <= 0 ||
			    strtoul(buf, NULL, 10) != after.max)
				stress_bad(&s->f, "sysctl nr_hugepages reads %s with persistent size %lu", buf, after.max);
			break;
		case 4:
		case 5:
			overcommit = (x >> 8) % (MAX_OVERCOMMIT + 1);
			if (x % 8 == 4) {
				e = pmm_hugetlb_set_overcommit(s->m, HUGE_ORDER, overcommit);
			} else {
				snprintf(buf, sizeof(buf), "%lu", overcommit);
				e = pmm_sysctl_write(s->m, "nr_overcommit_hugepages", buf);
			}
			if (e)
				stress_bad(&s->f, "overcommit %lu: %d", overcommit, e);
			resizer_counts(s, &after, overcommit, "overcommit");
			s->r_overcommit++;
			break;
		case 6: {
			unsigned long want = 1 + (x >> 8) % 4, got;

			got = pmm_hugetlb_shrink(s->m, HUGE_ORDER, want);
			resizer_counts(s, &after, overcommit, "shrink");
			if (got > want || after.max > before.max)
				stress_bad(&s->f, "pmm_hugetlb_shrink(%lu) = %lu, persistent size %lu -> %lu", want, got,
				    before.max, after.max);
			s->r_shrinks++;
			s->r_shrunk += got;
			break;
		}
		case 7: {
			/*
			 * A block offlined and onlined again: the pool pages in
			 * it are dissolved (the persistent size drops with
			 * them); one handed out, or a worker's block, keeps it.
			 */
			unsigned long blocks = s->f.max_pfn / PMM_PAGES_PER_MEMORY_BLOCK;
			unsigned long pfn = (x >> 20) % blocks * PMM_PAGES_PER_MEMORY_BLOCK;

			e = pmm_offline_pages(s->m, pfn, PMM_PAGES_PER_MEMORY_BLOCK);
			if (!e) {
				s->r_offlined++;
				if ((e = pmm_online_pages(s->m, pfn, PMM_PAGES_PER_MEMORY_BLOCK, PMM_ONLINE)))
					stress_bad(&s->f, "block 0x%lx offlined, then online: %d", pfn, e);
			} else if (e == -PMM_EBUSY || e == -PMM_EINVAL) {
				s->r_offline_busy++;
			} else {
				stress_bad(&s->f, "pmm_offline_pages(0x%lx): %d", pfn, e);
			}
			resizer_counts(s, &after, overcommit, "offline");
			if (after.max > before.max)
				stress_bad(&s->f, "offline: persistent size %lu -> %lu", before.max, after.max);
			break;
		}
		case 8: {
			/*
			 * A contiguous range, 2 MiB-aligned: a pool page in the
			 * way is swapped for a fresh one, never one handed out
			 * (the ownership map would catch that).
			 */
			unsigned long nr = HUGE_NR << ((x >> 8) % 2), pfn;
			struct pmm_page *p = pmm_alloc_contig_pages(s->m, nr, PMM_GFP_HIGHUSER_MOVABLE, nid);

			if (!p) {
				s->r_contig_fail++;
			} else {
				pfn = pmm_page_to_pfn(s->m, p);
				stress_own(&s->f, pfn, nr, "contig");
				for (unsigned long i = 0; i < nr; i += 64)
					*frame(s, pfn + i) = (pfn + i) ^ WMAGIC;
				for (unsigned long i = 0; i < nr; i += 64)
					if (*frame(s, pfn + i) != ((pfn + i) ^ WMAGIC))
						stress_bad(&s->f, "contig: pfn 0x%lx overwritten", pfn + i);
				stress_disown(&s->f, pfn, nr, "contig");
				pmm_free_contig_range(s->m, pfn, nr);
				s->r_contig++;
			}
			resizer_counts(s, &after, overcommit, "contig");
			if (after.max != before.max)
				stress_bad(&s->f, "contig: persistent size %lu -> %lu", before.max, after.max);
			break;
		}
		default:
			resizer_counts(s, &after, overcommit, "resizer");
			break;
		}
		before = after;
		/* Let the users see each size for a while. */
		usleep((useconds_t)((x >> 32) % 1000));
	}
	return NULL;
}

/* ------------------------------------------------------------ workers */

static void worker_stamp(struct shared *s, const struct wblock *b)
{
	for (unsigned long i = 0; i < (1ul << b->order); i++) {
		uint64_t *f = frame(s, b->pfn + i);

		f[0] = b->stamp ^ (b->pfn + i);
		f[WORDS - 1] = ~b->stamp ^ (b->pfn + i);
	}
}

static void worker_free(struct worker *w, struct wblock *b)
{
	struct shared *s = w->s;

	for (unsigned long i = 0; i < (1ul << b->order); i++) {
		const uint64_t *f = frame(s, b->pfn + i);

		if (f[0] != (b->stamp ^ (b->pfn + i)) || f[WORDS - 1] != (~b->stamp ^ (b->pfn + i))) {
			stress_bad(&s->f, "worker %d: pfn 0x%lx (order %u block 0x%lx) overwritten: %#llx %#llx",
			    w->id, b->pfn + i, b->order, b->pfn, (unsigned long long)f[0],
			    (unsigned long long)f[WORDS - 1]);
			break;
		}
	}
	stress_disown(&s->f, b->pfn, 1ul << b->order, "worker");
	pmm_free_pages(s->m, b->page, b->order);
	b->page = NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t r = 0xdeadbeefcafef00dull * (uint64_t)(w->id + 1);

	while (!stress_stopping(&s->f)) {
		uint64_t x = stress_rnd(&r);
		struct wblock *b = &w->held[x % WORKER_HELD];

		if (b->page) {
			worker_free(w, b);
		} else {
			unsigned o = (unsigned)((x >> 8) % 4);
			pmm_gfp_t gfp = ((x >> 12) & 1 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE) |
					PMM___GFP_NOWARN;
			struct pmm_page *p;

			if (o && (x >> 13) % 4 == 0)
				gfp |= PMM___GFP_COMP;
			p = pmm_alloc_pages(s->m, gfp, o);
			if (p) {
				unsigned long pfn = pmm_page_to_pfn(s->m, p);

				if (pfn & ((1ul << o) - 1))
					stress_bad(&s->f, "worker %d: order %u block at pfn 0x%lx misaligned", w->id, o, pfn);
				stress_own(&s->f, pfn, 1ul << o, "worker");
				*b = (struct wblock){ .page = p, .pfn = pfn, .order = o,
						      .stamp = WMAGIC ^ (uint64_t)w->id << 40 ^ ++w->seq };
				worker_stamp(s, b);
				w->allocs++;
			} else {
				w->fails++;
			}
		}
		if (++w->ops % 256 == 0)
			sched_yield();
	}
	for (unsigned i = 0; i < WORKER_HELD; i++)
		if (w->held[i].page)
			worker_free(w, &w->held[i]);
	return NULL;
}

/* ------------------------------------------------------------ the test */

/*
 * The users' reservations counted with none of their calls in flight (the
 * gate keeps new ones out, the write lock waits for those inside): their
 * sum is the pool's.
 */
static void resv_quiet_check(struct shared *s)
{
	struct pmm_hugetlb_counts c;
	unsigned long held = 0;

	__atomic_store_n(&s->resv_gate, 1, __ATOMIC_RELAXED);
	pthread_rwlock_wrlock(&s->resv_lock);
	for (int i = 0; i < NR_USERS; i++)
		held += s->u[i].resv_held;
	if (counts_sane(s, PMM_NUMA_NO_NODE, &c, 0, "quiet") && c.resv != held)
		stress_bad(&s->f, "quiet: the users hold %lu reservations, the pool counts %lu "
			   "(nr %lu, free %lu, surplus %lu)",
			   held, c.resv, c.nr, c.nr_free, c.surplus);
	s->resv_checks++;
	pthread_rwlock_unlock(&s->resv_lock);
	__atomic_store_n(&s->resv_gate, 0, __ATOMIC_RELAXED);
}

static double run_seconds(void)
{
	const char *v = getenv("PMM_HUGETLB_STRESS_SECONDS");
	const char *san = getenv("PMM_TEST_SANITIZER");

	if (v && *v)
		return strtod(v, NULL);
	return san && *san && strcmp(san, "0") ? 8.0 : 4.0;
}

static void assert_pool_empty(struct pmm *m, int nid)
{
	struct pmm_hugetlb_counts c;

	assert_int_equal(pmm_hugetlb_counts(m, HUGE_ORDER, nid, &c), 0);
	if (c.nr || c.nr_free || c.surplus || c.max)
		fail_msg("pool on node %d after resizing to 0: nr %lu, free %lu, surplus %lu, max %lu", nid,
			 c.nr, c.nr_free, c.surplus, c.max);
}

static void test_resize_under_load(void **state)
{
	struct pmm *m = pmm_test_machine(CONFIG, NULL);
	struct shared *s = calloc(1, sizeof(*s));
	pthread_t tu[NR_USERS], tw[NR_WORKERS], tr;
	struct pmm_hugetlb_counts c;
	unsigned long free0, bad_pages0 = pmm_bad_page_count(m);
	unsigned long takes = 0, takes_empty = 0, empty = 0, releases = 0, refs = 0, shared = 0;
	unsigned long checks = 0, wops = 0, wallocs = 0, wfails = 0;
	unsigned long resv_made = 0, resv_calls = 0, resv_enomem = 0, resv_used = 0, resv_released = 0;
	struct huge got;
	double t;

	(void)state;
	assert_non_null(s);
	s->m = m;
	s->seconds = run_seconds();
	assert_true(stress_frames_init(&s->f, pmm_max_pfn(m)));

	assert_int_equal(pmm_hugetlb_counts(m, HUGE_ORDER, PMM_NUMA_NO_NODE, &c), 0);
	assert_int_equal(c.nr, BOOT_POOL);
	assert_int_equal(c.nr_free, BOOT_POOL);
	assert_int_equal(c.surplus, 0);
	assert_int_equal(c.max, BOOT_POOL);
	assert_int_equal(c.nr_overcommit, 0);
	assert_int_equal(c.resv, 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	free0 = pmm_nr_free_pages(m);

	assert_int_equal(pthread_rwlock_init(&s->resv_lock, NULL), 0);

	clock_gettime(CLOCK_MONOTONIC, &s->f.t0);
	for (int i = 0; i < NR_USERS; i++) {
		s->u[i].s = s;
		s->u[i].id = i;
		pthread_mutex_init(&s->u[i].lock, NULL);
	}
	for (int i = 0; i < NR_USERS; i++)
		assert_int_equal(pthread_create(&tu[i], NULL, user_main, &s->u[i]), 0);
	for (int i = 0; i < NR_WORKERS; i++) {
		s->w[i].s = s;
		s->w[i].id = i;
		assert_int_equal(pthread_create(&tw[i], NULL, worker_main, &s->w[i]), 0);
	}
	assert_int_equal(pthread_create(&tr, NULL, resizer_main, s), 0);
	while (stress_elapsed(&s->f) < s->seconds && !__atomic_load_n(&s->f.bad, __ATOMIC_RELAXED)) {
		usleep(50 * 1000);
		resv_quiet_check(s);
	}
	stress_stop(&s->f);
	assert_int_equal(pthread_join(tr, NULL), 0);
	for (int i = 0; i < NR_WORKERS; i++) {
		assert_int_equal(pthread_join(tw[i], NULL), 0);
		wops += s->w[i].ops;
		wallocs += s->w[i].allocs;
		wfails += s->w[i].fails;
	}
	for (int i = 0; i < NR_USERS; i++)
		assert_int_equal(pthread_join(tu[i], NULL), 0);
	/* Shared pages nobody picked up: their senders have let go already, or will not any more. */
	for (int i = 0; i < NR_USERS; i++) {
		struct user *u = &s->u[i];

		while (receive_huge(u, &got)) {
			huge_release(s, &got, i, "user (left in mailbox)");
			u->releases++;
		}
		takes += u->takes;
		takes_empty += u->takes_empty;
		empty += u->empty;
		releases += u->releases;
		refs += u->refs;
		shared += u->shared;
		checks += u->checks;
		resv_made += u->resv_made;
		resv_calls += u->resv_calls;
		resv_enomem += u->resv_enomem;
		resv_used += u->resv_used;
		resv_released += u->resv_released;
	}
	t = stress_elapsed(&s->f);
	/* Read before the pool is emptied: a reservation left would keep pages in it. */
	assert_int_equal(pmm_hugetlb_counts(m, HUGE_ORDER, PMM_NUMA_NO_NODE, &c), 0);

	/* Nothing held any more: no surplus allowed, and the pool emptied. */
	assert_int_equal(pmm_hugetlb_set_overcommit(m, HUGE_ORDER, 0), 0);
	assert_int_equal(pmm_hugetlb_resize(m, HUGE_ORDER, PMM_NUMA_NO_NODE, 0), 0);

	print_message("stress: hugetlb resize: %.1f s: %lu takes (%lu found none), %lu releases, "
		      "%lu extra refs, %lu shared, %lu stamp checks; %lu resizes (%lu grew, %lu shrank, "
		      "%lu short; %lu by sysctl), %lu overcommit changes, %lu shrinks (%lu pages), "
		      "pool peak %lu; %lu surplus pages taken (peak %lu surplus); %lu reservations made "
		      "in %lu reserve calls (%lu more failed ENOMEM), %lu used, %lu released, "
		      "%lu quiet counts; "
		      "%lu blocks offlined (%lu refused), %lu contiguous ranges (%lu failed); %lu worker ops "
		      "(%lu allocs, %lu failed); %lu bad\n",
		      t, takes, empty, releases, refs, shared, checks, s->r_resizes, s->r_grew,
		      s->r_shrank, s->r_short, s->r_sysctl, s->r_overcommit, s->r_shrinks, s->r_shrunk,
		      s->r_peak_nr, takes_empty, s->r_peak_surplus, resv_made, resv_calls - resv_enomem,
		      resv_enomem, resv_used, resv_released, s->resv_checks, s->r_offlined,
		      s->r_offline_busy, s->r_contig, s->r_contig_fail, wops, wallocs, wfails, s->f.bad);
	if (s->f.bad)
		fail_msg("%lu bad; first: %s", s->f.bad, s->f.first_bad);
	/* Each page taken released once by its taker, and once more by each user it was shared with. */
	assert_int_equal(releases, takes + shared);
	if (stress_first_owned(&s->f) < s->f.max_pfn)
		fail_msg("pfn 0x%lx still owned after every thread gave its frames back",
			 stress_first_owned(&s->f));
	assert_true(takes > 0);
	assert_true(s->r_grew > 0 && s->r_shrank > 0);
	/* Every reservation made used or released: the pool holds none, and has none to release. */
	for (int i = 0; i < NR_USERS; i++) {
		struct user *u = &s->u[i];

		if (u->resv_held || u->resv_made != u->resv_used + u->resv_released)
			fail_msg("user %d: %lu reservations made, %lu used, %lu released, %lu still held", i,
				 u->resv_made, u->resv_used, u->resv_released, u->resv_held);
	}
	if (c.resv)
		fail_msg("%lu pages reserved after every user released its reservations (nr %lu, free %lu, "
			 "surplus %lu)",
			 c.resv, c.nr, c.nr_free, c.surplus);
	assert_int_equal(pmm_hugetlb_unreserve(m, HUGE_ORDER, 1), -PMM_EINVAL);
	assert_true(resv_used > 0 && resv_released > 0);

	assert_pool_empty(m, PMM_NUMA_NO_NODE);
	assert_pool_empty(m, 0);
	assert_pool_empty(m, 1);
	pmm_drain_all(m);
	assert_machine_valid(m);
	if (pmm_nr_free_pages(m) != free0 + BOOT_POOL * HUGE_NR)
		fail_msg("%lu free pages at the end, %lu before the threads plus %lu of the boot pool: "
			 "%ld frames lost",
			 pmm_nr_free_pages(m), free0, BOOT_POOL * HUGE_NR,
			 (long)(free0 + BOOT_POOL * HUGE_NR) - (long)pmm_nr_free_pages(m));
	assert_int_equal(pmm_bad_page_count(m), bad_pages0);
	assert_int_equal(bad_pages0, 0);

	for (int i = 0; i < NR_USERS; i++)
		pthread_mutex_destroy(&s->u[i].lock);
	pthread_rwlock_destroy(&s->resv_lock);
	stress_frames_destroy(&s->f);
	free(s);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ demotion under load */

/*
 * Demotion beside takes: a demoter grows the 1 GiB pool back to one page
 * (a contiguous range), demotes it into 512 pages of the 2 MiB pool,
 * sometimes holding a 1 GiB reservation first (then the demotion must
 * leave the reserved page alone), and resizes the 2 MiB pool up and down;
 * two takers take and release 2 MiB pages (surplus ones too), each
 * claimed in the ownership map and stamped in every frame.  The counts
 * are read after every call; at the end both pools are emptied, every
 * frame is back and pmm_validate() is clean.
 */
#define DEMOTE_CONFIG "mem=4G nodes=2 cpus=2 hugepagesz=1G hugepages=1"
#define DEMOTE_TAKERS 2
#define DEMOTE_HELD 8

struct demote_run {
	struct pmm *m;
	struct stress_frames f;
	double seconds;
	unsigned long demoted, regrown, reserved_kept, resizes;
	unsigned long takes[DEMOTE_TAKERS], none[DEMOTE_TAKERS];
};

struct demote_taker {
	struct demote_run *r;
	int id;
};

static uint64_t demote_stamp(unsigned long pfn, int id)
{
	return 0xde30000000000000ull ^ (uint64_t)id << 40 ^ pfn;
}

static void demote_counts_sane(struct demote_run *r, unsigned order, const char *who)
{
	struct pmm_hugetlb_counts c;

	if (pmm_hugetlb_counts(r->m, order, PMM_NUMA_NO_NODE, &c) || c.nr_free > c.nr ||
	    c.surplus > c.nr || c.resv > c.nr_free)
		stress_bad(&r->f, "%s: pool of order %u: nr %lu, free %lu, surplus %lu, resv %lu", who,
			   order, c.nr, c.nr_free, c.surplus, c.resv);
}

static void *demote_main(void *arg)
{
	struct demote_run *r = arg;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	while (!stress_stopping(&r->f)) {
		struct pmm_hugetlb_counts c;
		bool hold = stress_rnd(&x) % 4 == 0;
		long n;

		if (pmm_hugetlb_resize(r->m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1))
			stress_bad(&r->f, "demoter: 1 GiB resize refused");
		demote_counts_sane(r, PMM_HUGETLB_ORDER_1G, "demoter");
		if (pmm_hugetlb_counts(r->m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, &c))
			break;
		r->regrown += c.nr == 1;
		/* Holding the only free page's reservation: nothing may be demoted. */
		if (hold && c.nr_free == 1 && !pmm_hugetlb_reserve(r->m, PMM_HUGETLB_ORDER_1G, 1)) {
			n = pmm_hugetlb_demote(r->m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1);
			if (n != 0)
				stress_bad(&r->f, "demoter: demote gave %ld with the only page reserved", n);
			r->reserved_kept++;
			if (pmm_hugetlb_unreserve(r->m, PMM_HUGETLB_ORDER_1G, 1))
				stress_bad(&r->f, "demoter: unreserve of the one reservation refused");
		}
		n = pmm_hugetlb_demote(r->m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1);
		if (n < 0 || n > 1)
			stress_bad(&r->f, "demoter: demote gave %ld", n);
		r->demoted += (unsigned long)(n > 0 ? n : 0);
		demote_counts_sane(r, PMM_HUGETLB_ORDER_1G, "demoter");
		demote_counts_sane(r, PMM_HUGETLB_ORDER_2M, "demoter");
		/* Give most of the 2 MiB pool back, so that the next range can be had. */
		if (pmm_hugetlb_resize(r->m, PMM_HUGETLB_ORDER_2M, PMM_NUMA_NO_NODE,
				       stress_rnd(&x) % 16))
			stress_bad(&r->f, "demoter: 2 MiB resize refused");
		r->resizes++;
		demote_counts_sane(r, PMM_HUGETLB_ORDER_2M, "demoter");
	}
	return NULL;
}

static void demote_release(struct demote_run *r, struct pmm_page *p, int id)
{
	unsigned long pfn = pmm_page_to_pfn(r->m, p);

	for (unsigned long i = 0; i < HUGE_NR; i++) {
		uint64_t *w = pmm_page_address(r->m, pmm_pfn_to_page(r->m, pfn + i));

		if (*w != demote_stamp(pfn + i, id)) {
			stress_bad(&r->f, "taker %d: pfn 0x%lx overwritten: %#llx", id, pfn + i,
				   (unsigned long long)*w);
			break;
		}
	}
	stress_disown(&r->f, pfn, HUGE_NR, "taker");
	pmm_put_page(r->m, p);
}

static void *demote_taker_main(void *arg)
{
	struct demote_taker *t = arg;
	struct demote_run *r = t->r;
	struct pmm_page *held[DEMOTE_HELD];
	unsigned n = 0;
	uint64_t x = 0x2545f4914f6cdd1dull * (uint64_t)(t->id + 1);

	while (!stress_stopping(&r->f)) {
		if (n < DEMOTE_HELD && stress_rnd(&x) % 3) {
			struct pmm_page *p = pmm_hugetlb_alloc(r->m, HUGE_ORDER, nids[stress_rnd(&x) % 3]);
			unsigned long pfn;

			if (!p) {
				r->none[t->id]++;
				sched_yield(); /* let the demoter refill the pool */
				continue;
			}
			pfn = pmm_page_to_pfn(r->m, p);
			stress_own(&r->f, pfn, HUGE_NR, "taker");
			for (unsigned long i = 0; i < HUGE_NR; i++)
				*(uint64_t *)pmm_page_address(r->m, pmm_pfn_to_page(r->m, pfn + i)) =
					demote_stamp(pfn + i, t->id);
			held[n++] = p;
			r->takes[t->id]++;
		} else if (n) {
			unsigned k = (unsigned)(stress_rnd(&x) % n);

			demote_release(r, held[k], t->id);
			held[k] = held[--n];
		}
	}
	while (n)
		demote_release(r, held[--n], t->id);
	return NULL;
}

static void test_demote_under_load(void **state)
{
	struct pmm *m = pmm_test_machine(DEMOTE_CONFIG, NULL);
	struct demote_run *r = calloc(1, sizeof(*r));
	struct demote_taker tk[DEMOTE_TAKERS];
	pthread_t td, tt[DEMOTE_TAKERS];
	unsigned long free0, takes = 0, none = 0;

	(void)state;
	assert_non_null(r);
	r->m = m;
	r->seconds = run_seconds() / 2;
	assert_true(stress_frames_init(&r->f, pmm_max_pfn(m)));
	assert_int_equal(pmm_hugetlb_set_overcommit(m, HUGE_ORDER, 4), 0);
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	assert_int_equal(pthread_create(&td, NULL, demote_main, r), 0);
	for (int i = 0; i < DEMOTE_TAKERS; i++) {
		tk[i] = (struct demote_taker){ .r = r, .id = i };
		assert_int_equal(pthread_create(&tt[i], NULL, demote_taker_main, &tk[i]), 0);
	}
	while (stress_elapsed(&r->f) < r->seconds && !__atomic_load_n(&r->f.bad, __ATOMIC_RELAXED))
		usleep(20 * 1000);
	stress_stop(&r->f);
	assert_int_equal(pthread_join(td, NULL), 0);
	for (int i = 0; i < DEMOTE_TAKERS; i++) {
		assert_int_equal(pthread_join(tt[i], NULL), 0);
		takes += r->takes[i];
		none += r->none[i];
	}
	print_message("stress: hugetlb demote: %.1f s: %lu demoted, %lu regrown, %lu kept for a "
		      "reservation, %lu 2 MiB resizes; %lu takes (%lu found none); %lu bad\n",
		      stress_elapsed(&r->f), r->demoted, r->regrown, r->reserved_kept, r->resizes, takes,
		      none, r->f.bad);
	if (r->f.bad)
		fail_msg("%lu bad; first: %s", r->f.bad, r->f.first_bad);
	assert_true(r->demoted > 0 && takes > 0);
	if (stress_first_owned(&r->f) < r->f.max_pfn)
		fail_msg("pfn 0x%lx still owned after the takers let go", stress_first_owned(&r->f));
	/* Both pools emptied: every frame back, the boot 1 GiB page's too. */
	assert_int_equal(pmm_hugetlb_set_overcommit(m, HUGE_ORDER, 0), 0);
	assert_int_equal(pmm_hugetlb_resize(m, HUGE_ORDER, PMM_NUMA_NO_NODE, 0), 0);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0), 0);
	assert_pool_empty(m, PMM_NUMA_NO_NODE);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0 + (1ul << PMM_HUGETLB_ORDER_1G));
	assert_int_equal(pmm_bad_page_count(m), 0);
	stress_frames_destroy(&r->f);
	free(r);
	pmm_destroy(m);
}

/*
 * Pool growth beside scanners that pin the frames it is about to take.
 * A contiguous request over a pageblock near the top of memory asks the
 * migrate callback about each allocated block it finds there, holding a
 * reference on the block while the callback (slow, and always busy) runs;
 * meanwhile another thread grows the 1 GiB pool (alloc_contig_pages(),
 * whose range includes that pageblock) and the 2 MiB pool, and shrinks
 * both again.  The pool must freeze each frame's count 1 -> 0 rather than
 * store 0 over the request's reference, and give a range it cannot freeze
 * back: with plain stores the request's drop found a count of 0 and
 * reported a double free within a few cycles.  At the end nothing is
 * reported bad, the machine is valid and every frame is back.
 */
struct pin_run {
	struct pmm *m;
	int stop;
	unsigned long cycles, calls;
};

static int pin_slowly(void *ctx, struct pmm *m, unsigned long pfn, unsigned order)
{
	struct pin_run *r = ctx;

	(void)m;
	(void)pfn;
	(void)order;
	__atomic_fetch_add(&r->calls, 1, __ATOMIC_RELAXED);
	usleep(300);
	return -PMM_EBUSY;
}

static void *pin_grower(void *arg)
{
	struct pin_run *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		pmm_hugetlb_resize(r->m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 1);
		pmm_hugetlb_resize(r->m, HUGE_ORDER, PMM_NUMA_NO_NODE, 64);
		pmm_hugetlb_resize(r->m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0);
		pmm_hugetlb_resize(r->m, HUGE_ORDER, PMM_NUMA_NO_NODE, 0);
		r->cycles++;
	}
	return NULL;
}

static void test_growth_beside_pins(void **state)
{
	struct pmm *m = pmm_test_machine("mem=2G hugepagesz=1G hugepages=0 hugepagesz=2M hugepages=0",
					 NULL);
	struct pin_run r = { .m = m };
	struct pmm_mm_ops ops = { .migrate = pin_slowly };
	/* The last pageblocks below 2 GiB: inside the 1 GiB range the pool takes. */
	unsigned long top = (2ul << 30) / PMM_PAGE_SIZE, ok = 0, busy = 0, i = 0;
	unsigned long free0, bad0 = pmm_bad_page_count(m);
	struct timespec t0, t1;
	double secs = run_seconds() / 2;
	pthread_t t;

	(void)state;
	pmm_drain_all(m);
	free0 = pmm_nr_free_pages(m);
	pmm_set_mm_ops(m, &ops, &r);
	assert_int_equal(pthread_create(&t, NULL, pin_grower, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		unsigned long p = top - 512 * (1 + i++ % 4);

		if (!pmm_alloc_contig_range(m, p, p + 512, PMM_GFP_KERNEL)) {
			ok++;
			pmm_free_contig_range(m, p, 512);
		} else {
			busy++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < secs &&
		 pmm_bad_page_count(m) == bad0);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	assert_int_equal(pthread_join(t, NULL), 0);
	pmm_set_mm_ops(m, NULL, NULL);
	print_message("stress: hugetlb pins: %.1f s: %lu pool cycles beside %lu contiguous requests "
		      "(%lu busy), %lu callback calls; %lu bad pages\n",
		      secs, r.cycles, ok + busy, busy, r.calls, pmm_bad_page_count(m) - bad0);
	assert_int_equal(pmm_bad_page_count(m), bad0);
	assert_true(r.cycles > 0 && r.calls > 0);
	assert_int_equal(pmm_hugetlb_resize(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE, 0), 0);
	assert_int_equal(pmm_hugetlb_resize(m, HUGE_ORDER, PMM_NUMA_NO_NODE, 0), 0);
	pmm_drain_all(m);
	assert_machine_valid(m);
	assert_int_equal(pmm_nr_free_pages(m), free0);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resize_under_load),
		cmocka_unit_test(test_demote_under_load),
		cmocka_unit_test(test_growth_beside_pins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
