/* SPDX-License-Identifier: MIT */
/*
 * A hash map from a trace's pfn to the block pmm allocated for it: open
 * addressing with linear probing, Fibonacci hashing, deletion by backward
 * shift (no tombstones), grown at half load.  Traces of big machines name
 * millions of pfns; a lookup is one multiply and, almost always, one cache
 * line.
 *
 * Values pack pmm's pfn with the block's order and flags: pfn << 8 |
 * flags << 4 | order.  Keys are stored plus one, so 0 marks an empty slot;
 * keys must be below PFNMAP_KEY_LIMIT.
 *
 * Locking: none; a map belongs to one replay.
 */
#ifndef PMM_REPLAY_PFNMAP_H
#define PMM_REPLAY_PFNMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFNMAP_KEY_LIMIT (1ull << 52)

#define PFNMAP_ORDER_MASK 0xfull
#define PFNMAP_COMPOUND (1ull << 4)  /* allocated with __GFP_COMP */
#define PFNMAP_FAILED (1ull << 5)    /* pmm refused the allocation: no block */

struct pfnmap_slot {
	uint64_t key;   /* trace pfn + 1; 0 = empty */
	uint64_t val;
};

struct pfnmap {
	struct pfnmap_slot *slots;
	size_t mask;    /* capacity - 1 (capacity is a power of two) */
	size_t count;
	unsigned shift; /* 64 - log2(capacity) */
};

static inline uint64_t pfnmap_val(uint64_t pfn, unsigned order, uint64_t flags)
{
	return pfn << 8 | flags | order;
}
static inline uint64_t pfnmap_val_pfn(uint64_t v) { return v >> 8; }
static inline unsigned pfnmap_val_order(uint64_t v) { return (unsigned)(v & PFNMAP_ORDER_MASK); }

static inline size_t pfnmap_hash(const struct pfnmap *h, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> h->shift);
}

/* Return: the slot holding @pfn, or NULL. */
static inline struct pfnmap_slot *pfnmap_find(const struct pfnmap *h, uint64_t pfn)
{
	uint64_t key = pfn + 1;
	size_t i = pfnmap_hash(h, key);

	for (;;) {
		struct pfnmap_slot *s = &h->slots[i];

		if (s->key == key)
			return s;
		if (s->key == 0)
			return NULL;
		i = (i + 1) & h->mask;
	}
}

int pfnmap_init(struct pfnmap *h, size_t capacity);
void pfnmap_destroy(struct pfnmap *h);
int pfnmap_grow(struct pfnmap *h);

/*
 * pfnmap_put() - set @pfn's value (insert or overwrite).
 * Return: 0 or -PMM_ENOMEM (the map is unchanged then).
 */
static inline int pfnmap_put(struct pfnmap *h, uint64_t pfn, uint64_t val)
{
	uint64_t key = pfn + 1;
	size_t i;

	if (__builtin_expect(2 * (h->count + 1) > h->mask + 1, 0)) {
		int err = pfnmap_grow(h);
		if (err)
			return err;
	}
	i = pfnmap_hash(h, key);
	for (;;) {
		struct pfnmap_slot *s = &h->slots[i];

		if (s->key == key) {
			s->val = val;
			return 0;
		}
		if (s->key == 0) {
			s->key = key;
			s->val = val;
			h->count++;
			return 0;
		}
		i = (i + 1) & h->mask;
	}
}

/* pfnmap_remove() - empty slot @s (from pfnmap_find()), shifting followers back. */
static inline void pfnmap_remove(struct pfnmap *h, struct pfnmap_slot *s)
{
	size_t i = (size_t)(s - h->slots), j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & h->mask;
		if (h->slots[j].key == 0)
			break;
		home = pfnmap_hash(h, h->slots[j].key);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		h->slots[i] = h->slots[j];
		i = j;
	}
	h->slots[i].key = 0;
	h->count--;
}

/* Visit every entry (order unspecified); @fn may not change the map. */
#define pfnmap_for_each(h, s)                                                  \
	for (struct pfnmap_slot *s = (h)->slots; s <= (h)->slots + (h)->mask; s++) \
		if (s->key)

#endif
