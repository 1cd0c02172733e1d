/* SPDX-License-Identifier: MIT */
/*
 * A map from a trace's pfn to the block pmm allocated for it: a two-level
 * table, as a page table is.  Values of 512 consecutive pfns share a leaf
 * (one 4 KiB page); leaves are found through a small open-addressing
 * directory keyed by pfn >> 9, with the last leaf used remembered.  A
 * trace allocates and frees pfns close to each other, so a lookup is
 * usually the remembered leaf and one cache line that its neighbours have
 * just used; a hash of pfns would scatter them over the whole table.
 *
 * Cost: 4 KiB for each 512-pfn range the trace has named (2 MiB for every
 * frame of a 1 GiB machine), kept until the map is destroyed.
 *
 * Values pack pmm's pfn with the block's order and flags:
 * pfn << 8 | flags << 4 | order, always with PFNMAP_PRESENT, so 0 marks an
 * empty entry.  Keys must be below PFNMAP_KEY_LIMIT.
 *
 * Locking: none; a map belongs to one replay.
 */
#ifndef PMM_REPLAY_PFNMAP_H
#define PMM_REPLAY_PFNMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pmm/errno.h>

#define PFNMAP_KEY_LIMIT (1ull << 52)

#define PFNMAP_ORDER_MASK 0xfull
#define PFNMAP_COMPOUND (1ull << 4)  /* allocated with __GFP_COMP */
#define PFNMAP_FAILED (1ull << 5)    /* pmm refused the allocation: no block */
#define PFNMAP_PRESENT (1ull << 6)   /* set in every stored value */

#define PFNMAP_LEAF_SHIFT 9
#define PFNMAP_LEAF_ENTRIES (1u << PFNMAP_LEAF_SHIFT)

struct pfnmap_leaf {
	uint64_t val[PFNMAP_LEAF_ENTRIES]; /* 0 = no entry */
};

struct pfnmap_dir {
	uint64_t key;                /* leaf number (pfn >> 9) + 1; 0 = empty */
	struct pfnmap_leaf *leaf;
};

struct pfnmap {
	uint64_t last_key;           /* directory key of @last, 0 = none */
	struct pfnmap_leaf *last;    /* the leaf used last */
	struct pfnmap_dir *dir;
	size_t dir_mask;             /* directory capacity - 1 (a power of two) */
	unsigned dir_shift;          /* 64 - log2(directory capacity) */
	size_t nr_leaves;
	struct pfnmap_leaf *slab;    /* leaves not handed out yet ... */
	size_t slab_left;            /* ... and how many */
	void **slabs;                /* every slab, to free them */
	size_t nr_slabs, cap_slabs;
};

static inline uint64_t pfnmap_val(uint64_t pfn, unsigned order, uint64_t flags)
{
	return pfn << 8 | PFNMAP_PRESENT | flags | order;
}
static inline uint64_t pfnmap_val_pfn(uint64_t v) { return v >> 8; }
static inline unsigned pfnmap_val_order(uint64_t v) { return (unsigned)(v & PFNMAP_ORDER_MASK); }

/* The leaf for directory key @key, or NULL; remembers it as the last. */
static inline struct pfnmap_leaf *pfnmap_leaf_find(struct pfnmap *h, uint64_t key)
{
	size_t i;

	if (__builtin_expect(key == h->last_key, 1))
		return h->last;
	i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> h->dir_shift);
	for (;;) {
		const struct pfnmap_dir *d = &h->dir[i];

		if (d->key == key) {
			h->last_key = key;
			h->last = d->leaf;
			return d->leaf;
		}
		if (d->key == 0)
			return NULL;
		i = (i + 1) & h->dir_mask;
	}
}

/* Return: the value slot of @pfn if it holds an entry, or NULL. */
static inline uint64_t *pfnmap_find(struct pfnmap *h, uint64_t pfn)
{
	struct pfnmap_leaf *l = pfnmap_leaf_find(h, (pfn >> PFNMAP_LEAF_SHIFT) + 1);
	uint64_t *v;

	if (!l)
		return NULL;
	v = &l->val[pfn & (PFNMAP_LEAF_ENTRIES - 1)];
	return *v ? v : NULL;
}

/* pfnmap_init() - an empty map.  Return: 0 or -PMM_ENOMEM. */
int pfnmap_init(struct pfnmap *h);
void pfnmap_destroy(struct pfnmap *h);

/* pfnmap_leaf_add() - a new, empty leaf for directory key @key. Return: it or NULL (no memory). */
struct pfnmap_leaf *pfnmap_leaf_add(struct pfnmap *h, uint64_t key);

/*
 * pfnmap_put() - set @pfn's value (insert or overwrite).
 * Return: 0 or -PMM_ENOMEM (the map is unchanged then).
 */
static inline int pfnmap_put(struct pfnmap *h, uint64_t pfn, uint64_t val)
{
	uint64_t key = (pfn >> PFNMAP_LEAF_SHIFT) + 1;
	struct pfnmap_leaf *l = pfnmap_leaf_find(h, key);

	if (__builtin_expect(!l, 0) && !(l = pfnmap_leaf_add(h, key)))
		return -PMM_ENOMEM;
	l->val[pfn & (PFNMAP_LEAF_ENTRIES - 1)] = val;
	return 0;
}

/* pfnmap_remove() - empty slot @v (from pfnmap_find()); leaves are kept. */
static inline void pfnmap_remove(uint64_t *v)
{
	*v = 0;
}

/* Visit the value of every entry (order unspecified); the body may not change the map. */
#define pfnmap_for_each(h, v)                                                        \
	for (size_t pfnmap_i_ = 0; pfnmap_i_ <= (h)->dir_mask; pfnmap_i_++)            \
		if ((h)->dir[pfnmap_i_].key)                                           \
			for (uint64_t *v = (h)->dir[pfnmap_i_].leaf->val;              \
			     v < (h)->dir[pfnmap_i_].leaf->val + PFNMAP_LEAF_ENTRIES; v++) \
				if (*v)

#endif
