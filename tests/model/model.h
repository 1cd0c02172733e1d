/* SPDX-License-Identifier: MIT */
/*
 * A shadow model of one pmm machine, for differential testing.
 *
 * The model keeps a reference state for every frame: reserved (never given
 * to the allocator), free, the head of an allocated block (order, refcount,
 * compound or not) or a tail of one.  Every allocation pmm returns is
 * checked against it (the block must be entirely free in the model, aligned
 * to its order, in a zone the gfp allows, with refcount 1); every free,
 * get, put and split updates it exactly as the kernel's rules say.  Frame
 * contents are stamped per frame at allocation and verified before every
 * free, so a frame handed out twice, or written by the allocator while
 * allocated, is caught.  pmm_validate() and a per-frame comparison of
 * refcounts and free counts run periodically and on demand.
 *
 * The driver decodes a byte stream into operations (alloc at any order with
 * gfp from a table, free, get/put, split, bulk, contiguous ranges, exact
 * allocations, drain, sysctls, act-as-CPU), so the same code serves the
 * seeded runner (tests/unit/test_model.c) and libFuzzer
 * (tests/fuzz/fuzz_model.c).
 *
 * A test includes model.c directly (each test is one translation unit).
 * The model is single-threaded: one model drives one machine from one thread.
 */
#ifndef PMM_TEST_MODEL_H
#define PMM_TEST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pmm/pmm.h>

struct model;

/*
 * A byte source for the driver.  @kind is MODEL_OP for the byte that picks
 * an operation and MODEL_ARG for its arguments, so a generator may bias the
 * operation mix; a fuzzer's buffer ignores it.  more() says whether bytes
 * are left (the driver stops when it returns false).
 */
enum model_byte_kind { MODEL_OP, MODEL_ARG };
struct model_src {
	uint8_t (*byte)(void *ctx, enum model_byte_kind kind);
	bool (*more)(void *ctx);
	void *ctx;
};

/* A source over a buffer (libFuzzer input); bytes past the end read as 0. */
struct model_buf_src {
	const uint8_t *data;
	size_t len, pos;
};
void model_buf_src_init(struct model_src *src, struct model_buf_src *b, const uint8_t *data,
			size_t len);

/*
 * model_new() - start modelling @m, a freshly booted machine (nothing
 * allocated yet by anyone else, per-CPU lists empty).  @check_every: run the
 * full check every that many operations (0: only on demand).
 * Returns NULL if memory is short.
 */
struct model *model_new(struct pmm *m, unsigned check_every);
void model_delete(struct model *md);

/* Run operations from @src until it runs dry or @max_ops (0: no limit). */
unsigned long model_run(struct model *md, const struct model_src *src, unsigned long max_ops);

/*
 * Full check: pmm_validate(), no unexpected bad pages, every frame's
 * refcount as the model says, free frames in the model equal the machine's
 * free pages plus those on per-CPU lists.
 */
void model_check(struct model *md);

/* Free every live block (dropping every reference), drain, then model_check(). */
void model_release_all(struct model *md);

/*
 * After model_release_all(): every frame the allocator had at the start is
 * free again and every zone's free_area counts (buddyinfo) equal those at
 * model_new().  Differences are divergences.
 */
void model_check_conservation(struct model *md);

/* Divergences so far and the first few messages ("" when none). */
unsigned long model_divergences(const struct model *md);
const char *model_first_error(const struct model *md);
/* Abort the process at the first divergence (fuzzing). */
void model_set_abort_on_divergence(struct model *md, bool on);

/* Log every operation to @f (NULL: off), for debugging a divergence. */
void model_set_trace(struct model *md, FILE *f);

/* Counters for the summary line. */
struct model_stats {
	unsigned long ops, allocs, alloc_failures, frees, gets, puts, splits, bulk_pages, bulk_frees,
		contig_ok, contig_busy, exact, drains, sysctls, cpu_switches, checks;
};
void model_stats(const struct model *md, struct model_stats *out);

/* --- Direct use from tests (misuse catalogue): allocations the model tracks. */

/* Allocate through the model (checked); NULL when pmm returns NULL. */
struct pmm_page *model_alloc(struct model *md, pmm_gfp_t gfp, unsigned order);
/* Free a block the model allocated (checked; drops one reference). */
void model_free(struct model *md, struct pmm_page *page);
/*
 * A test deliberately made pmm take the block at @pfn out of circulation
 * (bad_page on a scribbled page): the model stops expecting it back.
 */
void model_forget_leaked(struct model *md, unsigned long pfn);
/* Bad pages the test provoked on purpose (not divergences). */
void model_expect_bad_pages(struct model *md, unsigned long n);

#endif
