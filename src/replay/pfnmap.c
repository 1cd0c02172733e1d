// SPDX-License-Identifier: MIT
/* The trace-pfn map's out-of-line part: allocation and growth (see pfnmap.h). */
#include <stdlib.h>

#include <pmm/errno.h>

#include "replay/pfnmap.h"

int pfnmap_init(struct pfnmap *h, size_t capacity)
{
	unsigned bits = 4;

	while ((1ull << bits) < capacity)
		bits++;
	h->slots = calloc((size_t)1 << bits, sizeof(*h->slots));
	if (!h->slots)
		return -PMM_ENOMEM;
	h->mask = ((size_t)1 << bits) - 1;
	h->shift = 64 - bits;
	h->count = 0;
	return 0;
}

void pfnmap_destroy(struct pfnmap *h)
{
	free(h->slots);
	h->slots = NULL;
	h->mask = 0;
	h->count = 0;
}

int pfnmap_grow(struct pfnmap *h)
{
	struct pfnmap old = *h;
	int err = pfnmap_init(h, (old.mask + 1) * 2);

	if (err) {
		*h = old;
		return err;
	}
	for (size_t i = 0; i <= old.mask; i++) {
		const struct pfnmap_slot *s = &old.slots[i];
		size_t j;

		if (!s->key)
			continue;
		j = pfnmap_hash(h, s->key);
		while (h->slots[j].key)
			j = (j + 1) & h->mask;
		h->slots[j] = *s;
		h->count++;
	}
	free(old.slots);
	return 0;
}
