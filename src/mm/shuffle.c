// SPDX-License-Identifier: MIT
/*
 * Page shuffling (mm/shuffle.c): with page_alloc.shuffle=1 the free lists of
 * the largest order are randomised at boot, and merged max-order blocks go to
 * the head or tail of their list by a random bit.  Randomness is a per-zone
 * xorshift64 seeded from the machine seed, so a seed reproduces a run.
 * Locking: zone->lock.
 */
#include "mm/internal.h"
#include "mm/page_alloc.h"

#define SHUFFLE_ORDER (MAX_ORDER - 1)
#define SHUFFLE_RETRY 10

static uint64_t zone_rand(struct zone *z)
{
	uint64_t x = z->shuffle_rand;

	if (!x)
		x = z->machine->cfg.seed * 0x9e3779b97f4a7c15ull + (uint64_t)z->zone_idx * 0x632be59bd9b4e019ull +
		    (uint64_t)z->node + 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	z->shuffle_rand = x;
	return x;
}

bool shuffle_pick_tail(struct zone *zone)
{
	static_assert(sizeof(zone->shuffle_rand) == 8, "64 random bits at a time");
	if (!zone->shuffle_rand_bits) {
		zone->shuffle_rand_bits = 64;
		zone->shuffle_rand_word = zone_rand(zone);
	}
	zone->shuffle_rand_bits--;
	return (zone->shuffle_rand_word >> zone->shuffle_rand_bits) & 1;
}

static struct page *shuffle_valid_page(struct pmm *m, struct zone *zone, unsigned long pfn,
				       unsigned order)
{
	struct page *page;

	if (!pfn_valid(m, pfn))
		return NULL;
	page = pfn_to_page(m, pfn);
	if (page_zone(m, page) != zone || !PageBuddy(page) || buddy_order(page) != order)
		return NULL;
	return page;
}

static void list_swap(struct list_head *a, struct list_head *b)
{
	struct list_head *pos = b->prev;

	list_del(b);
	list_insert(b, a->prev, a);
	if (pos == a)
		pos = b;
	list_del(a);
	list_insert(a, pos, pos->next);
}

void shuffle_zone(struct pmm *m, struct zone *z)
{
	unsigned long order_pages = 1ul << SHUFFLE_ORDER;
	unsigned long start = ALIGN_UP(z->zone_start_pfn, order_pages), end = zone_end_pfn(z);

	pmm_lock(&z->lock);
	for (unsigned long i = start; i < end; i += order_pages) {
		struct page *page_i = shuffle_valid_page(m, z, i, SHUFFLE_ORDER), *page_j = NULL;
		int retry;

		if (!page_i)
			continue;
		for (retry = 0; retry < SHUFFLE_RETRY; retry++) {
			unsigned long j = z->zone_start_pfn +
					  ALIGN_DOWN(zone_rand(z) % z->spanned_pages, order_pages);
			page_j = shuffle_valid_page(m, z, j, SHUFFLE_ORDER);
			if (page_j && page_j != page_i)
				break;
		}
		if (retry >= SHUFFLE_RETRY)
			continue;
		if (get_pageblock_migratetype(m, page_i) != get_pageblock_migratetype(m, page_j))
			continue;
		list_swap(&page_i->lru, &page_j->lru);
	}
	pmm_unlock(&z->lock);
}

void shuffle_free_memory(struct pmm *m)
{
	int nid;

	if (!m->cfg.shuffle)
		return;
	for_each_online_node(m, nid)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (populated_zone(&m->node_data[nid]->node_zones[z]))
				shuffle_zone(m, &m->node_data[nid]->node_zones[z]);
}
