/* SPDX-License-Identifier: MIT */
/*
 * Storage for owner-sort: an append-only arena for strings, a fast hash,
 * and a string interner (equal byte strings get equal ids).
 *
 * Why interning: a page_owner dump repeats the same stacks and the same
 * header prefixes thousands of times.  Keeping each once keeps memory (and
 * the page faults of touching it, which dominate the run time) proportional
 * to what is distinct.
 *
 * Invariants: arena strings never move or die before owner_arena_free();
 * an id indexes owner_intern.strs.  Not thread-safe: one run owns them.
 */
#ifndef PMM_REPORT_OWNER_SORT_STORE_H
#define PMM_REPORT_OWNER_SORT_STORE_H

#include <stddef.h>
#include <stdint.h>

struct owner_arena_block;

struct owner_arena {
	struct owner_arena_block *head; /* newest block first */
	size_t next;                    /* size of the next block */
};

/* Room for n bytes at the end (uncommitted), or NULL when out of memory. */
char *owner_arena_reserve(struct owner_arena *a, size_t n);
/* Keep the first n bytes of the last reservation. */
void owner_arena_commit(struct owner_arena *a, size_t n);
/* Copy of s[0..n), or NULL when out of memory. */
char *owner_arena_put(struct owner_arena *a, const void *s, size_t n);
void owner_arena_free(struct owner_arena *a);

/* A fast non-cryptographic hash; collisions only cost a compare. */
uint64_t owner_hash(const void *p, size_t n, uint64_t seed);
/* A 64-bit finaliser, to fold integers into a hash. */
uint64_t owner_mix(uint64_t x);

struct owner_str {
	const char *s;
	uint32_t len;
};

struct owner_intern {
	struct owner_str *strs;  /* by id */
	uint32_t nr;
	uint32_t cap;
	uint64_t *slot;          /* hash low 32 bits << 32 | id + 1; 0 = empty */
	size_t mask;
	struct owner_arena *arena;
};

/* 0 or -PMM_ENOMEM. */
int owner_intern_init(struct owner_intern *in, struct owner_arena *arena);
void owner_intern_free(struct owner_intern *in);
/* The id of s[0..len) (added if new): >= 0, or -PMM_ENOMEM. */
long owner_intern(struct owner_intern *in, const char *s, size_t len);

static inline const struct owner_str *owner_intern_str(const struct owner_intern *in,
						       uint32_t id)
{
	return &in->strs[id];
}

#endif /* PMM_REPORT_OWNER_SORT_STORE_H */
