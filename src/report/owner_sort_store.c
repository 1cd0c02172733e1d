// SPDX-License-Identifier: MIT
/*
 * owner-sort storage: string arena, hash, interner (see the header).
 *
 * The arena hands out space in blocks (64 KiB doubling to 1 MiB) and never
 * moves what it gave;
 * untouched reserved space costs no memory.  The interner is open addressing
 * with linear probing; each slot carries 32 bits of the hash, so a probe
 * looks at the string itself only when those bits agree.
 *
 * No locks: each run owns its storage.
 */
#include "report/owner_sort_store.h"

#include <pmm/errno.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Blocks double from 64 KiB to 1 MiB: small dumps stay small. */
#define ARENA_FIRST (64u << 10)
#define ARENA_MAX   (1u << 20)

struct owner_arena_block {
	struct owner_arena_block *next;
	size_t used;
	size_t size;
	char data[];
};

char *owner_arena_reserve(struct owner_arena *a, size_t n)
{
	struct owner_arena_block *b = a->head;

	if (!b || b->size - b->used < n) {
		size_t size = a->next ? a->next : ARENA_FIRST;

		if (size < ARENA_MAX)
			a->next = size * 2;
		if (size < n)
			size = n;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	return b->data + b->used;
}

void owner_arena_commit(struct owner_arena *a, size_t n)
{
	a->head->used += n;
}

char *owner_arena_put(struct owner_arena *a, const void *s, size_t n)
{
	char *p = owner_arena_reserve(a, n ? n : 1);

	if (p) {
		if (n)
			memcpy(p, s, n);
		owner_arena_commit(a, n);
	}
	return p;
}

void owner_arena_free(struct owner_arena *a)
{
	while (a->head) {
		struct owner_arena_block *b = a->head;

		a->head = b->next;
		free(b);
	}
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t owner_mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	return x;
}

/* Two independent multiply-xorshift lanes, 16 bytes a step, then a finaliser. */
uint64_t owner_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t a = seed ^ 0x9e3779b97f4a7c15ull, b = n * 0xc2b2ae3d27d4eb4full;

	while (n >= 16) {
		a = (a ^ load64(s)) * 0x9fb21c651e98df25ull;
		b = (b ^ load64(s + 8)) * 0xff51afd7ed558ccdull;
		a ^= a >> 29;
		b ^= b >> 31;
		s += 16;
		n -= 16;
	}
	if (n >= 8) {
		a = (a ^ load64(s)) * 0x9fb21c651e98df25ull;
		a ^= a >> 29;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t t = 0;

		memcpy(&t, s, n);
		b = (b ^ t) * 0xff51afd7ed558ccdull;
	}
	return owner_mix(a ^ (b >> 1) ^ (b << 63));
}

int owner_intern_init(struct owner_intern *in, struct owner_arena *arena)
{
	memset(in, 0, sizeof(*in));
	in->arena = arena;
	in->mask = 255;
	in->slot = calloc(in->mask + 1, sizeof(*in->slot));
	return in->slot ? 0 : -PMM_ENOMEM;
}

void owner_intern_free(struct owner_intern *in)
{
	free(in->strs);
	free(in->slot);
	memset(in, 0, sizeof(*in));
}

static int intern_grow(struct owner_intern *in)
{
	size_t size = (in->mask + 1) * 2, mask = size - 1;
	uint64_t *slot = calloc(size, sizeof(*slot));

	if (!slot)
		return -PMM_ENOMEM;
	for (size_t i = 0; i <= in->mask; i++) {
		uint64_t e = in->slot[i];
		size_t h;

		if (!e)
			continue;
		for (h = (size_t)(e >> 32) & mask; slot[h]; h = (h + 1) & mask)
			;
		slot[h] = e;
	}
	free(in->slot);
	in->slot = slot;
	in->mask = mask;
	return 0;
}

long owner_intern(struct owner_intern *in, const char *s, size_t len)
{
	uint32_t tag = (uint32_t)owner_hash(s, len, 0x5bd1e995);
	size_t h = tag & in->mask;
	struct owner_str *str;

	for (uint64_t e; (e = in->slot[h]) != 0; h = (h + 1) & in->mask) {
		const struct owner_str *o;

		if ((uint32_t)(e >> 32) != tag)
			continue;
		o = &in->strs[(uint32_t)e - 1];
		if (o->len == len && memcmp(o->s, s, len) == 0)
			return (long)((uint32_t)e - 1);
	}
	if (len > UINT32_MAX || in->nr == UINT32_MAX - 1)
		return -PMM_ENOMEM;
	if (in->nr == in->cap) {
		uint32_t cap = in->cap ? in->cap * 2 : 256;
		struct owner_str *n = realloc(in->strs, (size_t)cap * sizeof(*n));

		if (!n)
			return -PMM_ENOMEM;
		in->strs = n;
		in->cap = cap;
	}
	str = &in->strs[in->nr];
	str->s = owner_arena_put(in->arena, s, len);
	if (!str->s)
		return -PMM_ENOMEM;
	str->len = (uint32_t)len;
	in->slot[h] = (uint64_t)tag << 32 | (in->nr + 1);
	in->nr++;
	if ((size_t)in->nr * 10 > (in->mask + 1) * 7) {
		int ret = intern_grow(in);

		if (ret)
			return ret;
	}
	return (long)(in->nr - 1);
}
