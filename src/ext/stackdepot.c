// SPDX-License-Identifier: MIT
/*
 * Stack depot (lib/stackdepot.c): deduplicated stack traces behind 32-bit
 * handles.  See stackdepot.h for the contract.
 *
 * Storage: records are packed back to back in 16 KiB pools, each aligned to
 * 16 bytes; a record is a header then its entries.  A handle encodes the
 * pool index and the record's offset (in 16-byte units), so fetch is
 * arithmetic.  Sizes follow the kernel so handles match:
 *   6.1  header 24 bytes (next, hash, size, handle; the 4 padding bytes carry
 *        pmm's base-page counter), record = ALIGN(24 + 8 n, 16);
 *   6.8+ header 32 bytes (list_head, hash, size, handle, refcount),
 *        record = ALIGN(32 + 8 n, 16) (non-refcounted records are stored at
 *        their used size).
 *
 * As in the kernel, one spare pool is kept ready ahead of the current one so
 * that most inserts need no allocation; when it is missing, the saving thread
 * obtains a pool before taking the lock, and frees it after dropping the lock
 * if it turned out not to be needed.
 *
 * Invariants:
 *   - a record, once its handle is published, is immutable except `count`;
 *   - pools[i] != NULL for every i < pool_index; pool_used[i] covers only
 *     completely written records;
 *   - each bucket is a singly linked list, newest first; `next` pointers are
 *     written before the record is published and never change.
 *
 * Locking: d->lock serialises inserts (pool_index, pool_offset, the spare
 * pool, bucket heads, counters).  Readers take no lock: bucket heads, pools[]
 * and pool_used[] are stored with release and loaded with acquire, so a
 * reader that sees a record (or a used size) sees its contents.  Counters and
 * pool_index are read with relaxed atomics for statistics and bounds checks.
 */
#include "ext/stackdepot.h"

#include <pmm/errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/jhash.h"
#include "platform/symbolize.h"

#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct stack_record) == 24, "6.1 record header is 24 bytes");
#endif

#define EXTRA_SHIFT (32u - STACK_DEPOT_EXTRA_BITS)
#define HANDLE_MASK ((1u << EXTRA_SHIFT) - 1)
#define OFFSET_MASK ((1u << DEPOT_OFFSET_BITS) - 1)
/* 6.1 field positions */
#define V61_INDEX_BITS 16u
#define V61_VALID_BIT (1u << (V61_INDEX_BITS + DEPOT_OFFSET_BITS))
/* 6.8 field positions */
#define V68_INDEX_BITS 17u

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static void depot_log(struct stack_depot *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void depot_log(struct stack_depot *d, int level, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (!d->log && !d->platform->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->log)
		d->log(d->log_ctx, level, msg);
	else
		d->platform->log(d->platform->ctx, level, msg);
}

static inline uintptr_t *record_entries(const struct stack_depot *d, struct stack_record *r)
{
	return (uintptr_t *)((char *)r + d->header_size);
}

static inline size_t record_bytes(const struct stack_depot *d, unsigned nr_entries)
{
	size_t sz = d->header_size + (size_t)nr_entries * sizeof(uintptr_t);
	size_t align = (size_t)1 << DEPOT_STACK_ALIGN;

	return (sz + align - 1) & ~(align - 1);
}

static inline uint32_t handle_encode(const struct stack_depot *d, unsigned pool, size_t offset)
{
	uint32_t off = (uint32_t)(offset >> DEPOT_STACK_ALIGN);

	if (d->layout == DEPOT_LAYOUT_6_1)
		return pool | off << V61_INDEX_BITS | V61_VALID_BIT;
	return (pool + 1) | off << V68_INDEX_BITS;
}

/*
 * Split a handle into pool index and byte offset.  Return false for handles
 * that name no record in any layout sense (6.1: valid bit clear; 6.8: pool
 * field 0).
 */
static inline bool handle_decode(const struct stack_depot *d, uint32_t handle,
				 unsigned *pool, size_t *offset)
{
	if (d->layout == DEPOT_LAYOUT_6_1) {
		if (!(handle & V61_VALID_BIT))
			return false;
		*pool = handle & ((1u << V61_INDEX_BITS) - 1);
		*offset = (size_t)((handle >> V61_INDEX_BITS) & OFFSET_MASK) << DEPOT_STACK_ALIGN;
		return true;
	}
	if (!(handle & ((1u << V68_INDEX_BITS) - 1)))
		return false;
	*pool = (handle & ((1u << V68_INDEX_BITS) - 1)) - 1;
	*offset = (size_t)((handle >> V68_INDEX_BITS) & OFFSET_MASK) << DEPOT_STACK_ALIGN;
	return true;
}

static unsigned table_order_for(const struct depot_options *o)
{
	uint64_t pages, buckets;
	unsigned order = 0;

	if (o->table_order)
		return o->table_order;
	/* One bucket per 16 KiB: roundup_pow_of_two(pages) >> (14 - 12). */
	pages = o->memory_bytes >> 12;
	while (order < 63 && (1ull << order) < pages)
		order++;
	buckets = order >= DEPOT_TABLE_SCALE - 12 ? order - (DEPOT_TABLE_SCALE - 12) : 0;
	if (buckets < DEPOT_TABLE_ORDER_MIN)
		buckets = DEPOT_TABLE_ORDER_MIN;
	if (buckets > DEPOT_TABLE_ORDER_MAX)
		buckets = DEPOT_TABLE_ORDER_MAX;
	return (unsigned)buckets;
}

/* get_order(): pages of 4 KiB, as a power of two, needed for @bytes. */
static unsigned get_order(size_t bytes)
{
	unsigned order = 0;

	while (((size_t)4096 << order) < bytes)
		order++;
	return order;
}

int depot_init(struct stack_depot *d, const struct pmm_platform *platform,
	       const struct depot_options *opts)
{
	static const struct depot_options defaults;
	const struct pmm_platform *p = platform;
	size_t buckets;
	unsigned order;

	static uint64_t last_id;

	memset(d, 0, sizeof(*d));
	d->id = __atomic_add_fetch(&last_id, 1, __ATOMIC_RELAXED);
	if (!opts)
		opts = &defaults;
	d->log = opts->log;
	d->log_ctx = opts->log_ctx;
	if (!p || !p->reserve || !p->commit || !p->release || !p->alloc || !p->free)
		return -PMM_EINVAL;
	if (opts->layout != DEPOT_LAYOUT_6_1 && opts->layout != DEPOT_LAYOUT_6_8)
		return -PMM_EINVAL;
	if (opts->table_order > 24 || opts->max_pools > DEPOT_POOLS_CAP)
		return -PMM_EINVAL;

	d->platform = p;
	d->layout = opts->layout;
	d->header_size = opts->layout == DEPOT_LAYOUT_6_1 ? 24 : 32;
	d->max_pools = opts->max_pools ? opts->max_pools : DEPOT_POOLS_CAP;
	d->disabled = opts->disabled;
	d->pool_map_bytes = DEPOT_POOL_SIZE;
	if (p->page_size > d->pool_map_bytes)
		d->pool_map_bytes = p->page_size;
	pmm_lock_init(&d->lock);

	if (d->disabled) {
		depot_log(d, PMM_LOG_INFO, "Stack Depot is disabled\n");
		return 0;
	}

	order = table_order_for(opts);
	buckets = (size_t)1 << order;
	d->table_alloc_bytes = buckets * sizeof(*d->table);
	d->table = p->alloc(p->ctx, d->table_alloc_bytes);
	d->pools = p->alloc(p->ctx, d->max_pools * sizeof(*d->pools));
	d->pool_used = p->alloc(p->ctx, d->max_pools * sizeof(*d->pool_used));
	if (!d->table || !d->pools || !d->pool_used) {
		depot_destroy(d);
		return -PMM_ENOMEM;
	}
	memset(d->table, 0, d->table_alloc_bytes);
	memset(d->pools, 0, d->max_pools * sizeof(*d->pools));
	memset(d->pool_used, 0, d->max_pools * sizeof(*d->pool_used));
	d->table_mask = buckets - 1;

	if (opts->early)
		depot_log(d, PMM_LOG_INFO,
			  "stackdepot hash table entries: %zu (order: %u, %zu bytes, linear)\n",
			  buckets, get_order(d->table_alloc_bytes), d->table_alloc_bytes);
	else
		depot_log(d, PMM_LOG_INFO,
			  "Stack Depot allocating hash table of %zu entries with kvcalloc\n",
			  buckets);
	return 0;
}

static void pool_free(struct stack_depot *d, void *pool)
{
	d->platform->release(d->platform->ctx, pool, d->pool_map_bytes);
}

void depot_destroy(struct stack_depot *d)
{
	const struct pmm_platform *p = d->platform;

	if (!p)
		return;
	if (d->pools) {
		for (unsigned i = 0; i < d->max_pools; i++)
			if (d->pools[i])
				pool_free(d, d->pools[i]);
		p->free(p->ctx, d->pools, d->max_pools * sizeof(*d->pools));
	}
	if (d->pool_used)
		p->free(p->ctx, d->pool_used, d->max_pools * sizeof(*d->pool_used));
	if (d->table)
		p->free(p->ctx, d->table, d->table_alloc_bytes);
	pmm_lock_destroy(&d->lock);
	memset(d, 0, sizeof(*d));
}

/* A fresh pool from the platform, or NULL.  Called without d->lock. */
static void *pool_alloc(struct stack_depot *d)
{
	const struct pmm_platform *p = d->platform;
	void *pool = p->reserve(p->ctx, d->pool_map_bytes, d->pool_map_bytes);

	if (!pool)
		return NULL;
	if (p->commit(p->ctx, pool, d->pool_map_bytes, 0)) {
		p->release(p->ctx, pool, d->pool_map_bytes);
		return NULL;
	}
	return pool;
}

/*
 * Install *@prealloc as the current pool if it has none, else as the spare
 * one (init_stack_slab()).  Consumes *@prealloc when it is used.
 */
static void pool_install_locked(struct stack_depot *d, void **prealloc)
{
	unsigned idx = d->pool_index;

	if (!*prealloc || LOAD_RLX(&d->next_pool_ready))
		return;
	if (!d->pools[idx]) {
		STORE_REL(&d->pools[idx], *prealloc);
		*prealloc = NULL;
		STORE_RLX(&d->nr_pools, d->nr_pools + 1);
		return;
	}
	/* The last pool has no successor: stop asking for spares. */
	if (idx + 1 < d->max_pools) {
		STORE_REL(&d->pools[idx + 1], *prealloc);
		*prealloc = NULL;
		STORE_RLX(&d->nr_pools, d->nr_pools + 1);
	}
	STORE_REL(&d->next_pool_ready, 1);
}

static struct stack_record *record_alloc_locked(struct stack_depot *d, const uintptr_t *entries,
						unsigned n, uint32_t hash, void **prealloc)
{
	size_t need = record_bytes(d, n);
	struct stack_record *r;
	unsigned idx;

	if (d->pool_offset + need > DEPOT_POOL_SIZE) {
		if (d->pool_index + 1 >= d->max_pools) {
			if (!__atomic_exchange_n(&d->warned_capacity, 1, __ATOMIC_RELAXED))
				depot_log(d, PMM_LOG_WARNING, "Stack depot reached limit capacity\n");
			return NULL;
		}
		STORE_RLX(&d->pool_index, d->pool_index + 1);
		d->pool_offset = 0;
		if (d->pool_index + 1 < d->max_pools)
			STORE_REL(&d->next_pool_ready, 0);
	}
	pool_install_locked(d, prealloc);
	idx = d->pool_index;
	if (!d->pools[idx])
		return NULL;

	r = (struct stack_record *)((char *)d->pools[idx] + d->pool_offset);
	r->next = NULL;
	r->hash = hash;
	r->size_marks = n; /* no marks yet */
	r->handle = handle_encode(d, idx, d->pool_offset);
	r->count = 0;
	memcpy(record_entries(d, r), entries, (size_t)n * sizeof(uintptr_t));
	d->pool_offset += need;
	STORE_REL(&d->pool_used[idx], (uint32_t)d->pool_offset);
	STORE_RLX(&d->nr_records, d->nr_records + 1);
	STORE_RLX(&d->record_bytes, d->record_bytes + need);
	return r;
}

static struct stack_record *bucket_find(const struct stack_depot *d, struct stack_record *r,
					const uintptr_t *entries, unsigned n, uint32_t hash)
{
	for (; r; r = r->next)
		if (r->hash == hash && depot_record_size(r) == n &&
		    !memcmp(record_entries(d, r), entries, (size_t)n * sizeof(uintptr_t)))
			return r;
	return NULL;
}

/* The kernel hashes the unsigned long array as u32 words. */
typedef uint32_t __attribute__((may_alias)) u32_alias;

static uint32_t hash_stack(const uintptr_t *entries, unsigned n)
{
	return jhash2((const u32_alias *)entries,
		      (uint32_t)(n * sizeof(uintptr_t) / sizeof(uint32_t)), DEPOT_HASH_SEED);
}

struct stack_record *depot_save_record(struct stack_depot *d, const uintptr_t *entries,
				       unsigned nr_entries)
{
	struct stack_record **bucket, *found;
	void *prealloc = NULL;
	uint32_t hash;

	if (!nr_entries || !entries || d->disabled || !d->table)
		return NULL;
	if (nr_entries > DEPOT_MAX_FRAMES)
		nr_entries = DEPOT_MAX_FRAMES;

	hash = hash_stack(entries, nr_entries);
	bucket = &d->table[hash & d->table_mask];
	found = bucket_find(d, LOAD_ACQ(bucket), entries, nr_entries, hash);
	if (found)
		return found;

	/* No spare pool: get one now, while no lock is held. */
	if (!LOAD_ACQ(&d->next_pool_ready))
		prealloc = pool_alloc(d);

	pmm_lock(&d->lock);
	found = bucket_find(d, *bucket, entries, nr_entries, hash);
	if (!found) {
		found = record_alloc_locked(d, entries, nr_entries, hash, &prealloc);
		if (found) {
			found->next = *bucket;
			STORE_REL(bucket, found);
		}
	} else {
		/* Someone else inserted it; keep our pool as the spare if useful. */
		pool_install_locked(d, &prealloc);
	}
	pmm_unlock(&d->lock);

	if (prealloc)
		pool_free(d, prealloc);
	if (!found)
		__atomic_add_fetch(&d->nr_failures, 1, __ATOMIC_RELAXED);
	return found;
}

depot_stack_handle_t depot_save_extra(struct stack_depot *d, const uintptr_t *entries,
				      unsigned nr_entries, unsigned extra)
{
	struct stack_record *r = depot_save_record(d, entries, nr_entries);

	return (r ? r->handle : 0) | (uint32_t)extra << EXTRA_SHIFT;
}

struct stack_record *depot_record(struct stack_depot *d, depot_stack_handle_t handle)
{
	uint32_t h = handle & HANDLE_MASK;
	struct stack_record *r;
	unsigned pool, cur;
	size_t offset, used;
	char *base;

	if (!h || !d->pools)
		return NULL;
	if (!handle_decode(d, h, &pool, &offset))
		goto bad;
	cur = LOAD_RLX(&d->pool_index);
	if (pool > cur || pool >= d->max_pools) {
		depot_log(d, PMM_LOG_WARNING, "%s index %u out of bounds (%u) for stack id %08x\n",
			  d->layout == DEPOT_LAYOUT_6_1 ? "slab" : "pool", pool, cur, handle);
		return NULL;
	}
	base = LOAD_ACQ(&d->pools[pool]);
	used = LOAD_ACQ(&d->pool_used[pool]);
	if (!base || offset + d->header_size > used)
		goto bad;
	r = (struct stack_record *)(base + offset);
	if (r->handle != h || depot_record_size(r) > (used - offset - d->header_size) / sizeof(uintptr_t))
		goto bad;
	return r;
bad:
	depot_log(d, PMM_LOG_WARNING, "stackdepot: no stack with id %08x\n", handle);
	return NULL;
}

unsigned depot_fetch(struct stack_depot *d, depot_stack_handle_t handle,
		     const uintptr_t **entries)
{
	struct stack_record *r = depot_record(d, handle);

	*entries = r ? record_entries(d, r) : NULL;
	return r ? depot_record_size(r) : 0;
}

long depot_count_add(struct stack_depot *d, depot_stack_handle_t handle, long delta)
{
	struct stack_record *r = depot_record(d, handle);

	if (!r)
		return 0;
	return __atomic_add_fetch(&r->count, (int32_t)delta, __ATOMIC_RELAXED);
}

long depot_count_get(struct stack_depot *d, depot_stack_handle_t handle)
{
	struct stack_record *r = depot_record(d, handle);

	return r ? LOAD_RLX(&r->count) : 0;
}

bool depot_iter_next(struct stack_depot *d, struct depot_iter *it,
		     depot_stack_handle_t *handle)
{
	while (d->pools && it->pool < d->max_pools) {
		char *base = LOAD_ACQ(&d->pools[it->pool]);
		size_t used = base ? LOAD_ACQ(&d->pool_used[it->pool]) : 0;

		if (it->offset < used) {
			struct stack_record *r = (struct stack_record *)(base + it->offset);

			*handle = r->handle;
			it->offset += record_bytes(d, depot_record_size(r));
			return true;
		}
		/* The current pool has nothing more (yet); earlier ones are full. */
		if (it->pool >= LOAD_RLX(&d->pool_index))
			return false;
		it->pool++;
		it->offset = 0;
	}
	return false;
}

void depot_get_stats(struct stack_depot *d, struct depot_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->max_pools = d->max_pools;
	st->pools = LOAD_RLX(&d->nr_pools);
	st->pool_bytes = (size_t)st->pools * DEPOT_POOL_SIZE;
	st->records = LOAD_RLX(&d->nr_records);
	st->record_bytes = LOAD_RLX(&d->record_bytes);
	st->table_buckets = d->table ? d->table_mask + 1 : 0;
	st->table_bytes = d->table_alloc_bytes;
	st->total_bytes = st->pool_bytes + st->table_bytes;
	st->failures = LOAD_RLX(&d->nr_failures);
}

int depot_snprint_stats(struct stack_depot *d, char *buf, size_t size)
{
	struct depot_stats st;

	depot_get_stats(d, &st);
	return snprintf(buf, size,
			"pools: %u\n"
			"refcounted_allocations: 0\n"
			"refcounted_frees: 0\n"
			"refcounted_in_use: 0\n"
			"freelist_size: 0\n"
			"persistent_count: %lu\n"
			"persistent_bytes: %zu\n",
			st.pools, st.records, st.record_bytes);
}

int stack_trace_snprint(char *buf, size_t size, const uintptr_t *entries,
			unsigned nr_entries, int spaces, struct symbolizer *sym)
{
	unsigned flags = symbolizer_flags(sym);
	size_t total = 0;
	char sbuf[1024];

	if (!buf)
		size = 0;
	if (size)
		buf[0] = '\0';
	if (spaces < 0)
		spaces = 0;
	for (unsigned i = 0; entries && i < nr_entries; i++) {
		int slen = symbolize_addr(sym, entries[i], sbuf, sizeof(sbuf), flags);
		size_t room = total < size ? size - total : 0;
		int w;

		if (slen < 0)
			slen = 0;
		if ((size_t)slen >= sizeof(sbuf))
			slen = sizeof(sbuf) - 1;
		/* "%*c%pS\n": the blank is right-aligned in a field of 1 + spaces. */
		w = snprintf(room ? buf + total : NULL, room, "%*c%.*s\n", 1 + spaces, ' ',
			     slen, sbuf);
		if (w > 0)
			total += (size_t)w;
	}
	return total > (size_t)0x7fffffff ? 0x7fffffff : (int)total;
}

int depot_snprint(struct stack_depot *d, depot_stack_handle_t handle, char *buf,
		  size_t size, int spaces, struct symbolizer *sym)
{
	const uintptr_t *entries;
	unsigned n = depot_fetch(d, handle, &entries);

	if (buf && size)
		buf[0] = '\0';
	return n ? stack_trace_snprint(buf, size, entries, n, spaces, sym) : 0;
}
