/* SPDX-License-Identifier: MIT */
/*
 * What the stress tests share: a map of who owns each frame (a frame
 * handed out twice is caught the moment its second owner claims it), the
 * first failure kept for the report, a stop flag and a clock, and a
 * cheap random number generator.  Embed a struct stress_frames in the
 * test's shared state; every function may be called from any thread.
 */
#ifndef PMM_TESTS_STRESS_FRAMES_H
#define PMM_TESTS_STRESS_FRAMES_H

#include <pmm/pmm.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct stress_frames {
	unsigned long max_pfn;
	unsigned char *owned; /* per frame, atomic: 1 while someone owns it */
	int stop;             /* atomic */
	struct timespec t0;   /* when the threads started */
	unsigned long bad;    /* atomic: failures seen */
	pthread_mutex_t badlock;
	char first_bad[384];
};

/* The map for frames [0, @max_pfn), nobody owning any; false without memory. */
static inline bool stress_frames_init(struct stress_frames *f, unsigned long max_pfn)
{
	f->max_pfn = max_pfn;
	f->owned = calloc(max_pfn, 1);
	f->stop = 0;
	f->bad = 0;
	f->first_bad[0] = '\0';
	pthread_mutex_init(&f->badlock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &f->t0);
	return f->owned != NULL;
}

static inline void stress_frames_destroy(struct stress_frames *f)
{
	pthread_mutex_destroy(&f->badlock);
	free(f->owned);
	f->owned = NULL;
}

/* Count a failure; the first one's message is kept in first_bad. */
static inline void stress_bad(struct stress_frames *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void stress_bad(struct stress_frames *f, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&f->bad, 1, __ATOMIC_RELAXED) == 0) {
		pthread_mutex_lock(&f->badlock);
		va_start(ap, fmt);
		vsnprintf(f->first_bad, sizeof(f->first_bad), fmt, ap);
		va_end(ap);
		pthread_mutex_unlock(&f->badlock);
	}
}

/* xorshift64: the next of a sequence seeded non-zero in *@r. */
static inline uint64_t stress_rnd(uint64_t *r)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return *r;
}

/* Seconds since t0. */
static inline double stress_elapsed(const struct stress_frames *f)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - f->t0.tv_sec) + (double)(t.tv_nsec - f->t0.tv_nsec) / 1e9;
}

static inline bool stress_stopping(struct stress_frames *f)
{
	return __atomic_load_n(&f->stop, __ATOMIC_RELAXED);
}

static inline void stress_stop(struct stress_frames *f)
{
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELAXED);
}

/* Claim [pfn, pfn + nr) for @who: no frame may be owned already. */
static inline void stress_own(struct stress_frames *f, unsigned long pfn, unsigned long nr,
			      const char *who)
{
	if (pfn + nr > f->max_pfn || pfn + nr < pfn) {
		stress_bad(f, "%s: frames 0x%lx+%lu past the end of memory", who, pfn, nr);
		return;
	}
	for (unsigned long i = 0; i < nr; i++)
		if (__atomic_exchange_n(&f->owned[pfn + i], 1, __ATOMIC_ACQ_REL))
			stress_bad(f, "%s: pfn 0x%lx handed out while someone owns it", who, pfn + i);
}

/* Give [pfn, pfn + nr) back: every frame must be owned. */
static inline void stress_disown(struct stress_frames *f, unsigned long pfn, unsigned long nr,
				 const char *who)
{
	for (unsigned long i = 0; i < nr; i++)
		if (!__atomic_exchange_n(&f->owned[pfn + i], 0, __ATOMIC_ACQ_REL))
			stress_bad(f, "%s: pfn 0x%lx given back but nobody owned it", who, pfn + i);
}

/* The first frame still owned, or max_pfn when none is. */
static inline unsigned long stress_first_owned(const struct stress_frames *f)
{
	for (unsigned long pfn = 0; pfn < f->max_pfn; pfn++)
		if (f->owned[pfn])
			return pfn;
	return f->max_pfn;
}

/* The word of frame @pfn of @m that the stress tests stamp. */
static inline uint64_t *stress_word(struct pmm *m, unsigned long pfn)
{
	return pmm_page_address(m, pmm_pfn_to_page(m, pfn));
}

/* Stamp each frame of [pfn, pfn + nr) with its pfn ^ @magic. */
static inline void stress_stamp(struct pmm *m, unsigned long pfn, unsigned long nr, uint64_t magic)
{
	for (unsigned long i = 0; i < nr; i++)
		*stress_word(m, pfn + i) = (pfn + i) ^ magic;
}

/* The frames of [pfn, pfn + nr) whose stamp is gone; the first is reported for @who. */
static inline unsigned long stress_check(struct stress_frames *f, struct pmm *m, unsigned long pfn,
					 unsigned long nr, uint64_t magic, const char *who)
{
	unsigned long lost = 0;

	for (unsigned long i = 0; i < nr; i++) {
		uint64_t v = *stress_word(m, pfn + i);

		if (v != ((pfn + i) ^ magic)) {
			if (!lost)
				stress_bad(f, "%s: pfn 0x%lx (of 0x%lx+%lu) overwritten: %#llx", who,
					   pfn + i, pfn, nr, (unsigned long long)v);
			lost++;
		}
	}
	return lost;
}

/*
 * What an embedder's migration does with a stamped block @old of @order:
 * a new block of @gfp, claimed; the old one's stamps checked, its data
 * copied and stamped for the new frames (the new "mapping"); the old one
 * disowned and freed.  Return: the new block, or NULL (nothing changed)
 * when none could be had.
 */
static inline struct pmm_page *stress_move_block(struct stress_frames *f, struct pmm *m,
						 struct pmm_page *old, unsigned order, pmm_gfp_t gfp,
						 uint64_t magic)
{
	unsigned long pfn = pmm_page_to_pfn(m, old), nr = 1ul << order, npfn;
	struct pmm_page *nw = pmm_alloc_pages(m, gfp, order);

	if (!nw)
		return NULL;
	npfn = pmm_page_to_pfn(m, nw);
	stress_own(f, npfn, nr, "migrate target");
	stress_check(f, m, pfn, nr, magic, "migrate source");
	memcpy(pmm_page_address(m, nw), pmm_page_address(m, old), nr * PMM_PAGE_SIZE);
	stress_stamp(m, npfn, nr, magic);
	stress_disown(f, pfn, nr, "migrate source");
	pmm_free_pages(m, old, order);
	return nw;
}

#endif
