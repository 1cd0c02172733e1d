// SPDX-License-Identifier: MIT
/*
 * The shadow model: see model.h.  Included directly by the tests that use it.
 *
 * The model is written from the kernel's rules, not from pmm's code: zones
 * for a gfp mask from the GFP_ZONE_TABLE semantics, __free_pages() of a
 * non-compound block that still has other references releasing everything
 * but page 0, split_page() giving each frame its own reference, and so on.
 * Internal headers are used only to observe the machine (per-CPU counts,
 * free_area counts, node map), never to decide what it should do.
 */
#include "model/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/pcp.h"

enum mstate { MF_RESERVED, MF_FREE, MF_HEAD, MF_TAIL, MF_LEAKED };
static const char *const mstate_names[] = { "reserved", "free", "head", "tail", "leaked" };

struct mframe {
	uint8_t state;     /* enum mstate */
	uint8_t order;     /* MF_HEAD: block order */
	uint8_t compound;  /* MF_HEAD: allocated with __GFP_COMP and order > 0 */
	uint8_t pad;
	int32_t ref;       /* MF_HEAD: reference count */
	uint32_t seq;      /* allocation sequence of this frame (stamp) */
	uint32_t live_idx; /* MF_HEAD: index in md->live */
	unsigned long head; /* MF_TAIL: pfn of the head */
};

#define NR_ZONE_SLOTS (PMM_MAX_NUMNODES * MAX_NR_ZONES)
#define ERRBUF 4096

struct model {
	struct pmm *m;
	unsigned long max_pfn;
	struct mframe *f;
	unsigned long *live; /* pfns of live heads */
	unsigned long nr_live, cap_live;
	uint64_t tag;
	uint32_t seq;
	unsigned check_every;
	unsigned nr_cpus;
	unsigned long initial_free;   /* frames free in the model at the start */
	unsigned long leaked;         /* frames a test made pmm take out of circulation */
	unsigned long nr_free;        /* frames free in the model now */
	unsigned long initial_nr_free_area[NR_ZONE_SLOTS][MAX_ORDER];
	unsigned long initial_highatomic[NR_ZONE_SLOTS]; /* reserved pageblocks at the start */
	unsigned long bad_base;       /* pmm_bad_page_count() expected */
	bool guard;                   /* guard pages: contiguous ranges may be busy */
	bool abort_on_divergence;
	FILE *trace;                  /* log every operation here (debugging) */
	unsigned long divergences;
	size_t errlen;
	char err[ERRBUF];
	struct model_stats st;
};

/* ------------------------------------------------------------ helpers */

static void diverge(struct model *md, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diverge(struct model *md, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	md->divergences++;
	if (md->abort_on_divergence) {
		fprintf(stderr, "model divergence after %lu ops: %s\n", md->st.ops, line);
		abort();
	}
	if (n > 0 && md->errlen + (size_t)n + 64 < ERRBUF)
		md->errlen += (size_t)snprintf(md->err + md->errlen, ERRBUF - md->errlen,
					       "[op %lu] %s\n", md->st.ops, line);
}

static uint64_t stamp_of(const struct model *md, unsigned long pfn, uint32_t seq, unsigned word)
{
	uint64_t x = md->tag ^ ((uint64_t)pfn << 20) ^ ((uint64_t)seq << 1) ^ word;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static uint64_t *frame_words(const struct model *md, unsigned long pfn)
{
	return pmm_page_address(md->m, pmm_pfn_to_page(md->m, pfn));
}

static void stamp_frame(struct model *md, unsigned long pfn)
{
	uint64_t *w = frame_words(md, pfn);
	uint32_t seq = md->f[pfn].seq;

	w[0] = stamp_of(md, pfn, seq, 0);
	w[PMM_PAGE_SIZE / 8 - 1] = stamp_of(md, pfn, seq, 1);
}

static void verify_frame(struct model *md, unsigned long pfn, const char *when)
{
	uint64_t *w = frame_words(md, pfn);
	uint32_t seq = md->f[pfn].seq;

	if (w[0] != stamp_of(md, pfn, seq, 0) || w[PMM_PAGE_SIZE / 8 - 1] != stamp_of(md, pfn, seq, 1))
		diverge(md, "%s: contents of pfn 0x%lx changed while allocated (seq %u)", when, pfn,
			seq);
}

static void live_add(struct model *md, unsigned long pfn)
{
	if (md->nr_live == md->cap_live) {
		md->cap_live = md->cap_live ? md->cap_live * 2 : 1024;
		md->live = realloc(md->live, md->cap_live * sizeof(*md->live));
		if (!md->live)
			abort();
	}
	md->f[pfn].live_idx = (uint32_t)md->nr_live;
	md->live[md->nr_live++] = pfn;
}

static void live_del(struct model *md, unsigned long pfn)
{
	uint32_t i = md->f[pfn].live_idx;
	unsigned long last = md->live[--md->nr_live];

	md->live[i] = last;
	md->f[last].live_idx = i;
}

/* Iterate populated zones: slot = nid * MAX_NR_ZONES + zone index. */
#define for_each_model_zone(md, nid, zi, z)                                           \
	for (nid = 0; nid < (md)->m->nr_node_ids; nid++)                               \
		if ((md)->m->node_data[nid])                                           \
			for (zi = 0; zi < MAX_NR_ZONES; zi++)                          \
				if ((z = &(md)->m->node_data[nid]->node_zones[zi]),    \
				    populated_zone(z))

static unsigned long pcp_pages(struct model *md)
{
	unsigned long n = 0;
	struct zone *z;
	int nid, zi;

	for_each_model_zone(md, nid, zi, z)
		if (z->per_cpu_pageset)
			for (unsigned c = 0; c < md->m->nr_cpus; c++)
				n += (unsigned long)__atomic_load_n(&z->per_cpu_pageset[c].count,
								    __ATOMIC_RELAXED);
	return n;
}

/* Frames held as guard pages (debug_guardpage_minorder): free, but not counted free. */
static unsigned long guard_pages(struct model *md)
{
	unsigned long n = 0;

	if (!md->guard)
		return 0;
	for (unsigned long pfn = 0; pfn < md->max_pfn; pfn++) {
		struct page *p = (struct page *)pmm_pfn_to_page(md->m, pfn);
		if (p && PageGuard(p))
			n += 1ul << page_private(p);
	}
	return n;
}

/*
 * The highest zone a gfp mask may use (GFP_ZONE_TABLE semantics), or -1 when
 * the mask is invalid: more than one of DMA/DMA32/HIGHMEM, MOVABLE together
 * with RECLAIMABLE, or bits outside the 6.1 mask.
 */
static int gfp_highest_zone(pmm_gfp_t gfp)
{
	int n = !!(gfp & PMM___GFP_DMA) + !!(gfp & PMM___GFP_DMA32) + !!(gfp & PMM___GFP_HIGHMEM);

	if (gfp & ~PMM___GFP_BITS_MASK)
		return -1;
	if (n > 1)
		return -1;
	if ((gfp & PMM___GFP_MOVABLE) && (gfp & PMM___GFP_RECLAIMABLE))
		return -1;
	if (gfp & PMM___GFP_DMA)
		return ZONE_DMA;
	if (gfp & PMM___GFP_DMA32)
		return ZONE_DMA32;
	if ((gfp & PMM___GFP_HIGHMEM) && (gfp & PMM___GFP_MOVABLE))
		return ZONE_MOVABLE;
	return ZONE_NORMAL;
}

static void expect_bad_count(struct model *md, const char *what)
{
	unsigned long n = pmm_bad_page_count(md->m);

	if (n != md->bad_base) {
		diverge(md, "%s: pmm reported %lu unexpected bad page(s)", what, n - md->bad_base);
		md->bad_base = n;
	}
}

/* ------------------------------------------------------------ state changes */

/* pmm handed out [pfn, pfn + 2^order): check it against the model, then record it. */
static void take_block(struct model *md, struct pmm_page *page, unsigned order, bool compound,
		       pmm_gfp_t gfp, int highest_zone, int nid, const char *what)
{
	unsigned long pfn, nr = 1ul << order;

	if (!page)
		return;
	pfn = pmm_page_to_pfn(md->m, page);
	if (pfn >= md->max_pfn || pmm_pfn_to_page(md->m, pfn) != page) {
		diverge(md, "%s: returned %p, not a page of the machine", what, (void *)page);
		return;
	}
	if (pfn & (nr - 1))
		diverge(md, "%s: order %u block at pfn 0x%lx is misaligned", what, order, pfn);
	if (pfn + nr > md->max_pfn) {
		diverge(md, "%s: order %u block at pfn 0x%lx runs past the end", what, order, pfn);
		return;
	}
	for (unsigned long i = 0; i < nr; i++)
		if (md->f[pfn + i].state != MF_FREE) {
			diverge(md, "%s: order %u block at pfn 0x%lx contains pfn 0x%lx, %s in the model",
				what, order, pfn, pfn + i, mstate_names[md->f[pfn + i].state]);
			return; /* leave the model as it was */
		}
	if (highest_zone >= 0 && pmm_page_zonenum(page) > highest_zone)
		diverge(md, "%s: gfp 0x%x allows zones up to %d, got pfn 0x%lx in zone %d", what, gfp,
			highest_zone, pfn, pmm_page_zonenum(page));
	if (nid >= 0 && pmm_page_nid(page) != nid)
		diverge(md, "%s: asked for node %d only, got pfn 0x%lx on node %d", what, nid, pfn,
			pmm_page_nid(page));
	if (pmm_page_count(page) != 1)
		diverge(md, "%s: new block pfn 0x%lx has refcount %d", what, pfn, pmm_page_count(page));
	for (unsigned long i = 0; i < nr; i++) {
		struct mframe *fr = &md->f[pfn + i];

		if (gfp & PMM___GFP_ZERO) {
			uint64_t *w = frame_words(md, pfn + i);
			if (w[0] | w[PMM_PAGE_SIZE / 8 - 1])
				diverge(md, "%s: __GFP_ZERO block pfn 0x%lx: frame 0x%lx not zeroed",
					what, pfn, pfn + i);
		}
		fr->state = i ? MF_TAIL : MF_HEAD;
		fr->head = pfn;
		fr->seq = ++md->seq;
		stamp_frame(md, pfn + i);
	}
	md->f[pfn].order = (uint8_t)order;
	md->f[pfn].compound = compound && order > 0;
	md->f[pfn].ref = 1;
	md->nr_free -= nr;
	live_add(md, pfn);
	md->st.allocs++;
}

static void free_frames(struct model *md, unsigned long pfn, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		md->f[pfn + i].state = MF_FREE;
		md->f[pfn + i].ref = 0;
	}
	md->nr_free += nr;
}

/*
 * The model's side of dropping one reference to the block at @head
 * (__free_pages()).  Returns true when the block was freed entirely.
 */
static bool model_put(struct model *md, unsigned long head)
{
	struct mframe *h = &md->f[head];
	unsigned order = h->order;

	if (h->ref > 1) {
		h->ref--;
		if (!h->compound && order) {
			/* Another holder keeps page 0; the rest goes now. */
			free_frames(md, head + 1, (1ul << order) - 1);
			h->order = 0;
		}
		return false;
	}
	live_del(md, head);
	free_frames(md, head, 1ul << order);
	return true;
}

static void verify_block(struct model *md, unsigned long head, const char *when)
{
	for (unsigned long i = 0; i < (1ul << md->f[head].order); i++)
		verify_frame(md, head + i, when);
}

static void check_refcount(struct model *md, unsigned long pfn, const char *what)
{
	int want = md->f[pfn].state == MF_HEAD ? md->f[pfn].ref : 0;
	int got = pmm_page_count(pmm_pfn_to_page(md->m, pfn));

	if (got != want)
		diverge(md, "%s: pfn 0x%lx refcount %d, model says %d (%s)", what, pfn, got, want,
			mstate_names[md->f[pfn].state]);
}

/* ------------------------------------------------------------ setup */

void model_buf_src_init(struct model_src *src, struct model_buf_src *b, const uint8_t *data,
			size_t len);
static uint8_t buf_byte(void *ctx, enum model_byte_kind kind)
{
	struct model_buf_src *b = ctx;

	(void)kind;
	return b->pos < b->len ? b->data[b->pos++] : 0;
}

static bool buf_more(void *ctx)
{
	struct model_buf_src *b = ctx;
	return b->pos < b->len;
}

void model_buf_src_init(struct model_src *src, struct model_buf_src *b, const uint8_t *data,
			size_t len)
{
	b->data = data;
	b->len = len;
	b->pos = 0;
	src->byte = buf_byte;
	src->more = buf_more;
	src->ctx = b;
}

struct model *model_new(struct pmm *m, unsigned check_every)
{
	struct model *md = calloc(1, sizeof(*md));
	struct zone *z;
	int nid, zi;

	if (!md)
		return NULL;
	md->m = m;
	/* Every pfn with a memmap: present sections extend past the last range. */
	md->max_pfn = m->nr_mem_sections * PAGES_PER_SECTION;
	md->f = calloc(md->max_pfn, sizeof(*md->f));
	if (!md->f) {
		free(md);
		return NULL;
	}
	md->tag = (uint64_t)(uintptr_t)md ^ 0x5eed5eed5eed5eedull;
	md->check_every = check_every;
	md->nr_cpus = pmm_nr_cpus(m);
	md->guard = m->guard_minorder > 0;
	for (unsigned long pfn = 0; pfn < md->max_pfn; pfn++) {
		if (!pmm_pfn_valid(m, pfn)) {
			md->f[pfn].state = MF_RESERVED;
			continue;
		}
		if (pmm_page_count(pmm_pfn_to_page(m, pfn)) == 0) {
			md->f[pfn].state = MF_FREE;
			md->nr_free++;
		} else {
			md->f[pfn].state = MF_RESERVED;
		}
	}
	md->initial_free = md->nr_free;
	for_each_model_zone(md, nid, zi, z) {
		for (unsigned o = 0; o < MAX_ORDER; o++)
			md->initial_nr_free_area[nid * MAX_NR_ZONES + zi][o] = z->free_area[o].nr_free;
		md->initial_highatomic[nid * MAX_NR_ZONES + zi] =
			z->nr_reserved_highatomic / pageblock_nr_pages;
	}
	md->bad_base = pmm_bad_page_count(m);
	pmm_set_thread_cpu(m, 0);
	if (md->nr_free != pmm_nr_free_pages(m) + pcp_pages(md))
		diverge(md, "start: %lu frames with refcount 0 but %lu free pages + %lu on per-CPU lists",
			md->nr_free, pmm_nr_free_pages(m), pcp_pages(md));
	return md;
}

void model_delete(struct model *md)
{
	if (!md)
		return;
	pmm_set_thread_cpu(md->m, -1);
	free(md->live);
	free(md->f);
	free(md);
}

unsigned long model_divergences(const struct model *md)
{
	return md->divergences;
}

const char *model_first_error(const struct model *md)
{
	return md->err;
}

void model_set_abort_on_divergence(struct model *md, bool on)
{
	md->abort_on_divergence = on;
}

void model_set_trace(struct model *md, FILE *f)
{
	md->trace = f;
}

void model_stats(const struct model *md, struct model_stats *out)
{
	*out = md->st;
}

void model_expect_bad_pages(struct model *md, unsigned long n)
{
	md->bad_base += n;
}

void model_forget_leaked(struct model *md, unsigned long pfn)
{
	struct mframe *h = &md->f[pfn];
	unsigned long nr;

	if (h->state != MF_HEAD)
		return;
	nr = 1ul << h->order;
	live_del(md, pfn);
	for (unsigned long i = 0; i < nr; i++)
		md->f[pfn + i].state = MF_LEAKED;
	md->initial_free -= nr;
	md->leaked += nr;
}

/* ------------------------------------------------------------ checks */

void model_check(struct model *md)
{
	char buf[512];
	unsigned long pcp, guard;

	md->st.checks++;
	if (pmm_validate(md->m, buf, sizeof(buf)))
		diverge(md, "pmm_validate: %s", buf);
	expect_bad_count(md, "check");
	for (unsigned long pfn = 0; pfn < md->max_pfn; pfn++) {
		struct mframe *fr = &md->f[pfn];

		if (fr->state == MF_RESERVED || fr->state == MF_LEAKED)
			continue;
		check_refcount(md, pfn, "check");
	}
	pcp = pcp_pages(md);
	guard = guard_pages(md);
	if (md->nr_free != pmm_nr_free_pages(md->m) + pcp + guard)
		diverge(md, "check: model has %lu free frames, pmm %lu free + %lu on per-CPU lists + %lu guard",
			md->nr_free, pmm_nr_free_pages(md->m), pcp, guard);
}

void model_release_all(struct model *md)
{
	while (md->nr_live) {
		unsigned long head = md->live[md->nr_live - 1];

		verify_block(md, head, "release");
		pmm_free_pages(md->m, pmm_pfn_to_page(md->m, head), md->f[head].order);
		model_put(md, head);
		md->st.frees++;
	}
	pmm_drain_all(md->m);
	if (pcp_pages(md))
		diverge(md, "release: %lu pages still on per-CPU lists after pmm_drain_all()",
			pcp_pages(md));
	model_check(md);
}

void model_check_conservation(struct model *md)
{
	struct zone *z;
	int nid, zi;

	if (md->nr_live)
		diverge(md, "conservation: %lu blocks still live", md->nr_live);
	if (md->nr_free != md->initial_free)
		diverge(md, "conservation: %lu frames free, %lu at the start", md->nr_free,
			md->initial_free);
	if (pmm_nr_free_pages(md->m) != md->initial_free)
		diverge(md, "conservation: pmm has %lu free pages, %lu at the start",
			pmm_nr_free_pages(md->m), md->initial_free);
	/*
	 * buddyinfo: equal in every order, with one exception the kernel makes
	 * too: a pageblock still reserved for high-order atomic allocations
	 * (MIGRATE_HIGHATOMIC) does not merge with a buddy of a mobile type, so
	 * each reserved block may leave one max-order block as two of
	 * pageblock order (and a block unreserved during the run lets two
	 * merge that were apart at the start).  Frames taken out of
	 * circulation (bad pages a test provoked) keep their neighbours from
	 * merging: then only the totals are compared.
	 */
	for_each_model_zone(md, nid, zi, z) {
		const unsigned long *was = md->initial_nr_free_area[nid * MAX_NR_ZONES + zi];
		long reserved_now = (long)(z->nr_reserved_highatomic / pageblock_nr_pages);
		long reserved_then = (long)md->initial_highatomic[nid * MAX_NR_ZONES + zi];
		long unmerged = (long)was[MAX_ORDER - 1] - (long)z->free_area[MAX_ORDER - 1].nr_free;

		if (md->leaked)
			break;
		for (unsigned o = 0; o < MAX_ORDER; o++) {
			long now = (long)z->free_area[o].nr_free, want = (long)was[o];

			if (unmerged >= -reserved_then && unmerged <= reserved_now &&
			    MAX_ORDER - 1 == pageblock_order + 1) {
				if (o == MAX_ORDER - 1)
					want -= unmerged;
				else if (o == pageblock_order)
					want += 2 * unmerged;
			}
			if (now != want) {
				diverge(md, "conservation: node %d zone %s order %u: %ld free blocks, %lu at the start "
					"(highatomic reserve %lu pages, %d isolated pageblocks)",
					nid, z->name, o, now, was[o], z->nr_reserved_highatomic,
					z->nr_isolate_pageblock);
				break;
			}
		}
	}
	for (unsigned long pfn = 0; pfn < md->max_pfn; pfn++)
		if (md->f[pfn].state != MF_RESERVED && md->f[pfn].state != MF_LEAKED &&
		    md->f[pfn].state != MF_FREE) {
			diverge(md, "conservation: pfn 0x%lx is %s", pfn, mstate_names[md->f[pfn].state]);
			break;
		}
}

/* ------------------------------------------------------------ tables */

static const pmm_gfp_t gfp_table[] = {
	PMM_GFP_KERNEL,
	PMM_GFP_KERNEL | PMM___GFP_COMP,
	PMM_GFP_ATOMIC,
	PMM_GFP_ATOMIC | PMM___GFP_COMP,
	PMM_GFP_NOWAIT,
	PMM_GFP_NOWAIT | PMM___GFP_COMP,
	PMM_GFP_HIGHUSER_MOVABLE,
	PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_COMP,
	PMM_GFP_DMA32,
	PMM_GFP_DMA32 | PMM___GFP_COMP,
	PMM_GFP_KERNEL | PMM___GFP_DMA,
	PMM_GFP_KERNEL | PMM___GFP_ZERO,
	PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE,
	PMM_GFP_USER,
	PMM_GFP_TRANSHUGE_LIGHT,
	PMM_GFP_KERNEL | PMM___GFP_NORETRY | PMM___GFP_COMP,
	PMM_GFP_NOIO,
	PMM_GFP_ATOMIC | PMM___GFP_ZERO,
	PMM_GFP_KERNEL | PMM___GFP_DMA | PMM___GFP_DMA32,        /* invalid: two zones */
	PMM_GFP_KERNEL | PMM___GFP_MOVABLE | PMM___GFP_RECLAIMABLE, /* invalid */
};
#define NR_GFP (sizeof(gfp_table) / sizeof(gfp_table[0]))

/* Orders skewed to small ones, as real workloads are; every order appears. */
static unsigned order_of(uint8_t b)
{
	if (b < 120)
		return 0;
	if (b < 165)
		return 1;
	if (b < 195)
		return 2;
	if (b < 215)
		return 3;
	if (b < 228)
		return 4;
	if (b < 237)
		return 5;
	if (b < 243)
		return 6;
	if (b < 247)
		return 7;
	if (b < 250)
		return 8;
	if (b < 253)
		return 9;
	if (b < 255)
		return 10;
	return PMM_MAX_ORDER; /* refused */
}

static const struct {
	const char *name, *value;
	int expect;
} sysctl_table[] = {
	{ "min_free_kbytes", "128", 0 },
	{ "min_free_kbytes", "1024", 0 },
	{ "min_free_kbytes", "4096", 0 },
	{ "min_free_kbytes", "45", 0 },
	{ "watermark_scale_factor", "10", 0 },
	{ "watermark_scale_factor", "200", 0 },
	{ "watermark_scale_factor", "1000", 0 },
	{ "watermark_scale_factor", "0", -PMM_EINVAL },
	{ "percpu_pagelist_high_fraction", "0", 0 },
	{ "percpu_pagelist_high_fraction", "8", 0 },
	{ "percpu_pagelist_high_fraction", "4", -PMM_EINVAL },
	{ "min_free_kbytes", "-1", -PMM_EINVAL },
	{ "watermark_boost_factor", "0", 0 },
	{ "watermark_boost_factor", "15000", 0 },
	{ "no_such_sysctl", "1", -PMM_ENOENT },
};
#define NR_SYSCTL (sizeof(sysctl_table) / sizeof(sysctl_table[0]))

/* ------------------------------------------------------------ operations */

static unsigned arg(const struct model_src *src)
{
	return src->byte(src->ctx, MODEL_ARG);
}

static unsigned arg16(const struct model_src *src)
{
	unsigned lo = arg(src);
	return lo | arg(src) << 8;
}

static unsigned long pick_live(struct model *md, const struct model_src *src)
{
	return md->live[arg16(src) % md->nr_live];
}

static void do_alloc(struct model *md, pmm_gfp_t gfp, unsigned order, int nid, bool by_addr)
{
	int hz = gfp_highest_zone(gfp);
	bool nid_ok = nid < 0 || (nid < md->m->nr_node_ids && (md->m->node_online_map & (1ul << nid)));
	struct pmm_page *page;

	if (by_addr) {
		void *addr = pmm_get_free_pages(md->m, gfp, order);
		page = addr ? pmm_virt_to_page(md->m, addr) : NULL;
		if (addr && (!page || pmm_page_address(md->m, page) != addr))
			diverge(md, "get_free_pages: %p is not the address of a frame", addr);
	} else if (nid >= 0) {
		page = pmm_alloc_pages_node(md->m, nid, gfp | PMM___GFP_THISNODE, order);
	} else {
		page = pmm_alloc_pages(md->m, gfp, order);
	}
	if (!page) {
		md->st.alloc_failures++;
		return;
	}
	if (order >= PMM_MAX_ORDER || hz < 0 || !nid_ok) {
		diverge(md, "alloc: order %u gfp 0x%x node %d must be refused, got pfn 0x%lx", order,
			gfp, nid, pmm_page_to_pfn(md->m, page));
		return;
	}
	take_block(md, page, order, gfp & PMM___GFP_COMP, gfp, hz, nid, "alloc");
}

static void do_free(struct model *md, unsigned long head, int how)
{
	struct mframe *h = &md->f[head];
	struct pmm_page *page = pmm_pfn_to_page(md->m, head);
	unsigned order = h->order;
	bool gone;

	verify_block(md, head, "free");
	if (how == 1)
		pmm_free_pages_addr(md->m, pmm_page_address(md->m, page), order);
	else
		pmm_free_pages(md->m, page, order);
	gone = model_put(md, head);
	md->st.frees++;
	if (!gone)
		check_refcount(md, head, "free (still referenced)");
	expect_bad_count(md, "free");
}

static void do_get(struct model *md, unsigned long head, unsigned which)
{
	struct mframe *h = &md->f[head];
	unsigned long pfn = head;
	int r;

	if (h->ref >= 6)
		return;
	if (h->compound)
		pfn = head + which % (1ul << h->order); /* get_page() through a tail */
	r = pmm_get_page(md->m, pmm_pfn_to_page(md->m, pfn));
	if (r) {
		diverge(md, "get_page(pfn 0x%lx of block 0x%lx) = %d", pfn, head, r);
		return;
	}
	h->ref++;
	md->st.gets++;
	check_refcount(md, head, "get");
}

static void do_put(struct model *md, unsigned long head, unsigned which)
{
	struct mframe *h = &md->f[head];
	unsigned long pfn = head;
	bool gone;

	if (!h->compound && h->order)
		return; /* put_page() is for order-0 and compound pages */
	if (h->compound)
		pfn = head + which % (1ul << h->order);
	verify_block(md, head, "put");
	pmm_put_page(md->m, pmm_pfn_to_page(md->m, pfn));
	gone = model_put(md, head);
	md->st.puts++;
	if (!gone)
		check_refcount(md, head, "put (still referenced)");
	expect_bad_count(md, "put");
}

static void do_split(struct model *md, unsigned long head, unsigned wrong)
{
	struct mframe *h = &md->f[head];
	unsigned order = h->order;
	bool ok = !h->compound;
	int r;

	if (wrong & 1) {
		/* The wrong order: refused, nothing changes. */
		order = (order + 1 + wrong % 3) % PMM_MAX_ORDER;
		if (order == h->order)
			order = (order + 1) % PMM_MAX_ORDER;
		ok = false;
	}
	r = pmm_split_page(md->m, pmm_pfn_to_page(md->m, head), order);
	if (!ok) {
		if (r != -PMM_EINVAL)
			diverge(md, "split_page(pfn 0x%lx, order %u) of a %s order %u block = %d, want -EINVAL",
				head, order, h->compound ? "compound" : "plain", h->order, r);
		return;
	}
	if (r) {
		diverge(md, "split_page(pfn 0x%lx, order %u) = %d", head, order, r);
		return;
	}
	for (unsigned long i = 1; i < (1ul << order); i++) {
		struct mframe *t = &md->f[head + i];
		t->state = MF_HEAD;
		t->order = 0;
		t->compound = 0;
		t->ref = 1;
		live_add(md, head + i);
	}
	h->order = 0;
	md->st.splits++;
	if (order)
		check_refcount(md, head + (1ul << order) - 1, "split");
}

static void do_bulk(struct model *md, pmm_gfp_t gfp, unsigned nr, unsigned prefill)
{
	struct pmm_page *array[64];
	bool mine[64];
	struct pmm_page *sentinel = md->nr_live ? pmm_pfn_to_page(md->m, md->live[0]) : NULL;
	unsigned long got, filled = 0, n = 0;
	int hz = gfp_highest_zone(gfp);

	memset(array, 0, sizeof(array));
	memset(mine, 0, sizeof(mine));
	/* Slots already filled must be left alone. */
	if (sentinel && (prefill & 1))
		for (unsigned i = prefill % 5; i < nr; i += 7) {
			array[i] = sentinel;
			mine[i] = true;
			filled++;
		}
	got = pmm_alloc_pages_bulk(md->m, gfp, nr, array);
	if (got > nr || got < filled)
		diverge(md, "bulk(%u, %lu prefilled) = %lu", nr, filled, got);
	for (unsigned i = 0; i < nr; i++) {
		if (!array[i])
			continue;
		n++;
		if (mine[i]) {
			if (array[i] != sentinel)
				diverge(md, "bulk overwrote prefilled slot %u", i);
			continue;
		}
		if (hz < 0) {
			diverge(md, "bulk with invalid gfp 0x%x filled a slot", gfp);
			return;
		}
		take_block(md, array[i], 0, false, gfp, hz, -1, "bulk");
		md->st.bulk_pages++;
	}
	if (n != got)
		diverge(md, "bulk returned %lu but %lu slots are filled", got, n);
}

/*
 * pmm_free_pages_bulk() of up to @nr distinct live order-0 blocks picked
 * from @src, NULL slots among them: each loses one reference, as a single
 * free would take it.
 */
static void do_bulk_free(struct model *md, const struct model_src *src, unsigned nr)
{
	struct pmm_page *array[64];
	unsigned long heads[64];
	unsigned n = 0, k = 0;

	for (unsigned tries = 0; tries < nr && md->nr_live; tries++) {
		unsigned long head = pick_live(md, src);
		struct mframe *h = &md->f[head];
		bool dup = false;

		if (arg(src) % 8 == 0) {
			array[n++] = NULL;
			continue;
		}
		if (h->order || h->compound)
			continue;
		for (unsigned i = 0; i < k; i++)
			dup |= heads[i] == head;
		if (dup)
			continue;
		verify_block(md, head, "bulk free");
		heads[k++] = head;
		array[n++] = pmm_pfn_to_page(md->m, head);
	}
	pmm_free_pages_bulk(md->m, n, array);
	for (unsigned i = 0; i < k; i++) {
		if (!model_put(md, heads[i]))
			check_refcount(md, heads[i], "bulk free (still referenced)");
		md->st.frees++;
	}
	md->st.bulk_frees += k;
	expect_bad_count(md, "bulk free");
}

/* Same node and zone as pfn @a?  Both must have a memmap. */
static bool same_zone(struct model *md, unsigned long a, unsigned long b)
{
	struct pmm_page *pa = pmm_pfn_to_page(md->m, a), *pb = pmm_pfn_to_page(md->m, b);

	return pa && pb && pmm_page_nid(pa) == pmm_page_nid(pb) &&
	       pmm_page_zonenum(pa) == pmm_page_zonenum(pb);
}

static void do_contig(struct model *md, unsigned long start, unsigned long nr, pmm_gfp_t gfp)
{
	unsigned long end = start + nr, ws, we;
	bool valid = nr > 0 && end <= md->max_pfn, window_free = true;
	struct zone *zone = NULL;
	int r;

	for (unsigned long pfn = start; valid && pfn < end; pfn++)
		if (!pmm_pfn_valid(md->m, pfn) || !same_zone(md, start, pfn))
			valid = false;
	/* The frames of the last section past the end of memory belong to no zone's span. */
	if (valid) {
		zone = page_zone(md->m, (struct page *)pmm_pfn_to_page(md->m, start));
		valid = zone_spans_pfn(zone, start) && zone_spans_pfn(zone, end - 1);
	}
	r = pmm_alloc_contig_range(md->m, start, end, gfp);
	if (!valid) {
		if (r != -PMM_EINVAL)
			diverge(md, "contig [0x%lx, 0x%lx) is not in one zone's span: got %d, want -EINVAL",
				start, end, r);
		return;
	}
	if (r == 0) {
		for (unsigned long pfn = start; pfn < end; pfn++)
			take_block(md, pmm_pfn_to_page(md->m, pfn), 0, false, 0, -1, -1, "contig");
		md->st.contig_ok++;
		return;
	}
	if (r != -PMM_EBUSY) {
		diverge(md, "contig [0x%lx, 0x%lx) = %d", start, end, r);
		return;
	}
	md->st.contig_busy++;
	/*
	 * Busy must have a reason: with no migrate callback, an allocated or
	 * reserved frame in a pageblock the range touches (each is checked
	 * whole; no other pageblock is isolated).
	 */
	{
		struct page *p = (struct page *)pmm_pfn_to_page(md->m, start);
		zone = page_zone(md->m, p);
	}
	ws = ALIGN_DOWN(start, pageblock_nr_pages);
	we = MIN(ALIGN_UP(end, pageblock_nr_pages), zone_end_pfn(zone));
	for (unsigned long pfn = start; pfn < end; pfn++)
		if (md->f[pfn].state != MF_FREE)
			window_free = false;
	for (unsigned long pfn = ws; pfn < we && window_free; pfn++) {
		if (!pmm_pfn_valid(md->m, pfn) || !zone_spans_pfn(zone, pfn))
			continue;
		if (md->f[pfn].state != MF_FREE)
			window_free = false;
	}
	if (window_free && !md->guard)
		diverge(md, "contig [0x%lx, 0x%lx): -EBUSY though every frame in [0x%lx, 0x%lx) is free",
			start, end, ws, we);
}

/* A run of order-0, single-reference, plain blocks from @head, at most @max long. */
static unsigned long order0_run(struct model *md, unsigned long head, unsigned long max)
{
	unsigned long n = 0;

	while (n < max && head + n < md->max_pfn) {
		struct mframe *fr = &md->f[head + n];
		if (fr->state != MF_HEAD || fr->order || fr->compound || fr->ref != 1)
			break;
		n++;
	}
	return n;
}

static void do_free_run(struct model *md, unsigned long head, unsigned long max, bool exact)
{
	unsigned long n = order0_run(md, head, max);

	if (!n)
		return;
	for (unsigned long i = 0; i < n; i++)
		verify_frame(md, head + i, "free run");
	if (exact)
		pmm_free_pages_exact(md->m, pmm_page_address(md->m, pmm_pfn_to_page(md->m, head)),
				     n * PMM_PAGE_SIZE - (n > 1 ? 100 : 0));
	else
		pmm_free_contig_range(md->m, head, n);
	for (unsigned long i = 0; i < n; i++) {
		model_put(md, head + i);
		check_refcount(md, head + i, "free run");
	}
	md->st.frees += n;
	expect_bad_count(md, exact ? "free_pages_exact" : "free_contig_range");
}

static void do_exact(struct model *md, size_t size, pmm_gfp_t gfp)
{
	unsigned long nr = (size + PMM_PAGE_SIZE - 1) / PMM_PAGE_SIZE, pfn;
	unsigned order = 0;
	int hz = gfp_highest_zone(gfp);
	void *addr;

	while ((1ul << order) < nr)
		order++;
	addr = pmm_alloc_pages_exact(md->m, size, gfp);
	if (!addr) {
		md->st.alloc_failures++;
		return;
	}
	if (hz < 0) {
		diverge(md, "alloc_pages_exact with invalid gfp 0x%x succeeded", gfp);
		return;
	}
	pfn = pmm_page_to_pfn(md->m, pmm_virt_to_page(md->m, addr));
	if (pfn & ((1ul << order) - 1))
		diverge(md, "alloc_pages_exact(%zu): pfn 0x%lx not aligned to order %u", size, pfn, order);
	/* The whole power-of-two block was free before; its unused tail is free again. */
	for (unsigned long i = nr; i < (1ul << order); i++)
		if (md->f[pfn + i].state != MF_FREE)
			diverge(md, "alloc_pages_exact: tail pfn 0x%lx was %s", pfn + i,
				mstate_names[md->f[pfn + i].state]);
	for (unsigned long i = 0; i < nr; i++)
		take_block(md, pmm_pfn_to_page(md->m, pfn + i), 0, false, gfp, hz, -1, "exact");
	md->st.exact++;
}

static void do_sysctl(struct model *md, unsigned i)
{
	int r = pmm_sysctl_write(md->m, sysctl_table[i].name, sysctl_table[i].value);

	if (r != sysctl_table[i].expect)
		diverge(md, "sysctl %s=%s: %d, want %d", sysctl_table[i].name, sysctl_table[i].value, r,
			sysctl_table[i].expect);
	md->st.sysctls++;
}

static void do_cpu(struct model *md, unsigned b)
{
	int cpu = (int)(b % (md->nr_cpus + 2)) - 1;
	int r = pmm_set_thread_cpu(md->m, cpu);
	int want = cpu == (int)md->nr_cpus ? -PMM_EINVAL : 0;

	if (r != want)
		diverge(md, "set_thread_cpu(%d) = %d, want %d", cpu, r, want);
	/* Following the real CPU would make runs irreproducible: act as CPU 0 again. */
	if (cpu < 0)
		pmm_set_thread_cpu(md->m, 0);
	md->st.cpu_switches++;
}

/* One operation.  Returns false when the source is dry. */
static bool step(struct model *md, const struct model_src *src)
{
	unsigned op;

	if (!src->more(src->ctx))
		return false;
	op = src->byte(src->ctx, MODEL_OP) % 32;
	md->st.ops++;
	if (md->trace)
		fprintf(md->trace, "op %lu: %u (live %lu, free %lu)\n", md->st.ops, op, md->nr_live,
			md->nr_free);
	if (op < 10) {                        /* alloc */
		pmm_gfp_t gfp = gfp_table[arg(src) % NR_GFP];
		unsigned order = order_of((uint8_t)arg(src));
		do_alloc(md, gfp | PMM___GFP_NOWARN, order, -1, op == 9);
	} else if (op < 19) {                 /* free */
		unsigned how = arg(src);
		if (md->nr_live)
			do_free(md, pick_live(md, src), how % 8 == 1);
	} else if (op < 21) {                 /* get */
		unsigned which = arg(src);
		if (md->nr_live)
			do_get(md, pick_live(md, src), which);
	} else if (op < 23) {                 /* put */
		unsigned which = arg(src);
		if (md->nr_live)
			do_put(md, pick_live(md, src), which);
	} else if (op == 23) {                /* split */
		unsigned wrong = arg(src) % 8 == 0 ? 1 : 0;
		if (md->nr_live)
			do_split(md, pick_live(md, src), wrong ? 1 + 2 * arg(src) : 0);
	} else if (op == 24) {                /* bulk allocation, or bulk free */
		pmm_gfp_t gfp = gfp_table[arg(src) % NR_GFP];
		unsigned nr = 1 + arg(src) % 64, prefill = arg(src);
		if (prefill % 3)
			do_bulk(md, gfp | PMM___GFP_NOWARN, nr, prefill);
		else
			do_bulk_free(md, src, nr);
	} else if (op == 25) {                /* contiguous range, or free one */
		unsigned b = arg(src);
		if (b & 1) {
			unsigned long start = (arg16(src) | (unsigned long)arg(src) << 16) % md->max_pfn;
			unsigned long nr = 1 + arg(src) % 64;
			do_contig(md, start, nr, b & 2 ? PMM_GFP_KERNEL : PMM_GFP_HIGHUSER_MOVABLE);
		} else if (md->nr_live) {
			unsigned long head = pick_live(md, src);
			do_free_run(md, head, 1 + arg(src) % 64, false);
		}
	} else if (op == 26) {                /* exact, or free a run with free_pages_exact */
		unsigned b = arg(src);
		if (b & 1) {
			size_t size = 1 + (size_t)arg16(src) % (40 * PMM_PAGE_SIZE);
			do_exact(md, size, gfp_table[arg(src) % NR_GFP] | PMM___GFP_NOWARN);
		} else if (md->nr_live) {
			unsigned long head = pick_live(md, src);
			do_free_run(md, head, 1 + arg(src) % 16, true);
		}
	} else if (op == 27) {                /* drain */
		pmm_drain_all(md->m);
		md->st.drains++;
		if (pcp_pages(md))
			diverge(md, "drain: %lu pages left on per-CPU lists", pcp_pages(md));
	} else if (op == 28) {                /* sysctl */
		do_sysctl(md, arg(src) % NR_SYSCTL);
	} else if (op == 29) {                /* act as a CPU */
		do_cpu(md, arg(src));
	} else if (op == 30) {                /* alloc on a node only */
		pmm_gfp_t gfp = gfp_table[arg(src) % NR_GFP];
		unsigned order = order_of((uint8_t)arg(src));
		int nid = (int)(arg(src) % ((unsigned)md->m->nr_node_ids + 1));
		do_alloc(md, gfp | PMM___GFP_NOWARN, order, nid, false);
	} else {                              /* rare: check, release all */
		unsigned b = arg(src);
		if (b < 8)
			model_check(md);
		else if (b < 10)
			model_release_all(md);
		else if (md->nr_live)
			do_free(md, pick_live(md, src), 0);
	}
	if (md->check_every && md->st.ops % md->check_every == 0)
		model_check(md);
	return true;
}

unsigned long model_run(struct model *md, const struct model_src *src, unsigned long max_ops)
{
	unsigned long n = 0;

	while ((!max_ops || n < max_ops) && step(md, src))
		n++;
	return n;
}

/* ------------------------------------------------------------ direct use */

struct pmm_page *model_alloc(struct model *md, pmm_gfp_t gfp, unsigned order)
{
	struct pmm_page *page = pmm_alloc_pages(md->m, gfp, order);

	if (page)
		take_block(md, page, order, gfp & PMM___GFP_COMP, gfp, gfp_highest_zone(gfp), -1,
			   "model_alloc");
	return page;
}

void model_free(struct model *md, struct pmm_page *page)
{
	unsigned long pfn = pmm_page_to_pfn(md->m, page);

	if (pfn >= md->max_pfn || md->f[pfn].state != MF_HEAD) {
		diverge(md, "model_free: pfn 0x%lx is not a live block", pfn);
		return;
	}
	do_free(md, pfn, 0);
}
