// SPDX-License-Identifier: MIT
/*
 * The trace-pfn map's out-of-line part (see pfnmap.h): the directory, which
 * doubles at half load, and the leaves, carved from slabs so that a trace
 * naming every frame of a machine costs a few allocations, not one a leaf.
 * The first slab is small (a short trace stays small); the next ones are
 * 2 MiB in huge pages, since a page fault costs more than filling the page.
 */
#include <stdlib.h>
#include <string.h>

#include "platform/file.h"
#include "replay/pfnmap.h"

#define DIR_MIN_BITS 8
#define FIRST_SLAB_LEAVES 16 /* 64 KiB, from calloc */
#define SLAB_LEAVES 512      /* 2 MiB, from os_buffer_alloc() */

/* A new, empty directory of 2^@bits slots; on failure @h keeps its old one. */
static int dir_alloc(struct pfnmap *h, unsigned bits)
{
	struct pfnmap_dir *dir = calloc((size_t)1 << bits, sizeof(*dir));

	if (!dir)
		return -PMM_ENOMEM;
	h->dir = dir;
	h->dir_mask = ((size_t)1 << bits) - 1;
	h->dir_shift = 64 - bits;
	return 0;
}

static size_t dir_home(const struct pfnmap *h, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> h->dir_shift);
}

static void dir_insert(struct pfnmap *h, uint64_t key, struct pfnmap_leaf *leaf)
{
	size_t i = dir_home(h, key);

	while (h->dir[i].key)
		i = (i + 1) & h->dir_mask;
	h->dir[i].key = key;
	h->dir[i].leaf = leaf;
}

int pfnmap_init(struct pfnmap *h)
{
	memset(h, 0, sizeof(*h));
	return dir_alloc(h, DIR_MIN_BITS);
}

void pfnmap_destroy(struct pfnmap *h)
{
	for (size_t i = 0; i < h->nr_slabs; i++) {
		if (i == 0)
			free(h->slabs[i]);
		else
			os_buffer_free(h->slabs[i], SLAB_LEAVES * sizeof(struct pfnmap_leaf));
	}
	free(h->slabs);
	free(h->dir);
	memset(h, 0, sizeof(*h));
}

static int dir_grow(struct pfnmap *h)
{
	struct pfnmap_dir *old = h->dir;
	size_t old_cap = h->dir_mask + 1;

	if (dir_alloc(h, 64 - h->dir_shift + 1))
		return -PMM_ENOMEM;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			dir_insert(h, old[i].key, old[i].leaf);
	free(old);
	return 0;
}

static struct pfnmap_leaf *leaf_alloc(struct pfnmap *h)
{
	if (!h->slab_left) {
		struct pfnmap_leaf *slab;

		if (h->nr_slabs == h->cap_slabs) {
			size_t cap = h->cap_slabs ? h->cap_slabs * 2 : 16;
			void **n = realloc(h->slabs, cap * sizeof(*n));

			if (!n)
				return NULL;
			h->slabs = n;
			h->cap_slabs = cap;
		}
		if (h->nr_slabs == 0)
			slab = calloc(FIRST_SLAB_LEAVES, sizeof(*slab));
		else
			slab = os_buffer_alloc(SLAB_LEAVES * sizeof(*slab));
		if (!slab)
			return NULL;
		h->slab = slab;
		h->slab_left = h->nr_slabs == 0 ? FIRST_SLAB_LEAVES : SLAB_LEAVES;
		h->slabs[h->nr_slabs++] = slab;
	}
	h->slab_left--;
	return h->slab++;
}

struct pfnmap_leaf *pfnmap_leaf_add(struct pfnmap *h, uint64_t key)
{
	struct pfnmap_leaf *leaf;

	if (2 * (h->nr_leaves + 1) > h->dir_mask + 1 && dir_grow(h))
		return NULL;
	leaf = leaf_alloc(h);
	if (!leaf)
		return NULL;
	dir_insert(h, key, leaf);
	h->nr_leaves++;
	h->last_key = key;
	h->last = leaf;
	return leaf;
}
