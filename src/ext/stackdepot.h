/* SPDX-License-Identifier: MIT */
/*
 * Stack depot: deduplicated storage of stack traces behind 32-bit handles,
 * as lib/stackdepot.c in Linux 6.1 (and, as an option, the 6.8+ layout).
 *
 * A trace is stored once; saving the same trace again returns the same
 * handle.  Handles have the kernel's bit layout, records the kernel's sizes,
 * so the handle a machine prints is the one Linux would print for the same
 * sequence of saves.  Records are never freed: a handle stays valid until the
 * depot is destroyed.
 *
 * Storage is a set of 16 KiB pools obtained from the platform's
 * reserve/commit -- never from the machine's page allocator, which is the
 * thing whose stacks are being recorded and must not recurse into itself.
 *
 * Locking: lookups are lock-free (bucket heads are published with release
 * stores, readers use acquire loads); inserts take depot->lock.  A new pool is
 * obtained before the lock is taken and handed back after it is dropped if
 * another thread supplied one first, so no system call runs under the lock.
 * All functions may be called from any thread concurrently, except
 * depot_init() and depot_destroy().
 */
#ifndef PMM_EXT_STACKDEPOT_H
#define PMM_EXT_STACKDEPOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/lock.h"
#include "platform/platform.h"

struct symbolizer;

typedef uint32_t depot_stack_handle_t;

/*
 * A stored trace.  Callers may keep a pointer to one (it lives as long as
 * its depot; see stack_depot.id) to skip the handle lookup; only `count`
 * and the marks change after the record is published.
 *
 * The entry count and the marks share one 32-bit word (the kernel's u32
 * size), bits 0-15 and 16-31, so that setting a mark is an atomic OR of a
 * whole word: a 16-bit atomic OR is a call into libatomic on targets
 * without sub-word atomics (RISC-V), which a freestanding embedder lacks.
 */
struct stack_record {
	struct stack_record *next; /* older record in the same bucket */
	uint32_t hash;             /* jhash2 of the entries */
	uint32_t size_marks;       /* depot_record_size(), depot_record_mark(); atomic */
	uint32_t handle;           /* own handle, extra bits clear */
	int32_t count;             /* depot_count_add(); atomic */
	/* 6.8+: 8 more bytes of header; then uintptr_t entries[size] */
};

/* Bits of a handle the depot does not use; callers may keep flags there. */
#define STACK_DEPOT_EXTRA_BITS 5
/* A pool ("slab" in 6.1): 4 pages of 4 KiB, whatever the host page size. */
#define DEPOT_POOL_ORDER 2
#define DEPOT_POOL_SIZE (4096u << DEPOT_POOL_ORDER)
/* Records are aligned to 1 << DEPOT_STACK_ALIGN bytes; offsets count those. */
#define DEPOT_STACK_ALIGN 4
#define DEPOT_OFFSET_BITS (DEPOT_POOL_ORDER + 12 - DEPOT_STACK_ALIGN)
/* The kernel's cap on pools (8192 x 16 KiB = 128 MiB of stacks). */
#define DEPOT_POOLS_CAP 8192u
/* Longest trace stored; longer ones are truncated (CONFIG_STACKDEPOT_MAX_FRAMES). */
#define DEPOT_MAX_FRAMES 64u
/* Seed of jhash2 over a trace's words (STACK_HASH_SEED). */
#define DEPOT_HASH_SEED 0x9747b28cu
/* Hash table bounds: 2^12..2^20 buckets, one per 16 KiB of memory. */
#define DEPOT_TABLE_ORDER_MIN 12u
#define DEPOT_TABLE_ORDER_MAX 20u
#define DEPOT_TABLE_SCALE 14u

enum depot_layout {
	/*
	 * 6.1: slabindex:16 | offset:10 | valid:1 | extra:5, 24-byte record
	 * header; the first record's handle is 0x04000000.
	 */
	DEPOT_LAYOUT_6_1 = 0,
	/*
	 * 6.8+ (as in 6.12): pool_index_plus_1:17 | offset:10 | extra:5,
	 * 32-byte record header; the first record's handle is 0x00000001.
	 */
	DEPOT_LAYOUT_6_8,
};

struct depot_options {
	enum depot_layout layout; /* default DEPOT_LAYOUT_6_1 */
	/*
	 * log2 of the number of hash buckets, 1..24; 0 sizes the table from
	 * @memory_bytes as the kernel does (one bucket per 16 KiB, clamped to
	 * 2^12..2^20; 2^12 if @memory_bytes is 0 too).
	 */
	unsigned table_order;
	uint64_t memory_bytes;
	/* Pools the depot may use, 1..DEPOT_POOLS_CAP; 0 = the kernel's 8192. */
	unsigned max_pools;
	/* Boot-time init: log as alloc_large_system_hash() does, not kvcalloc. */
	bool early;
	/* stack_depot_disable=on: every save returns 0. */
	bool disabled;
	/* Where messages go (the machine's log); NULL: the platform's log. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
};

struct depot_stats {
	unsigned pools;          /* pools obtained, the spare one included */
	unsigned max_pools;      /* the limit */
	size_t pool_bytes;       /* pools * DEPOT_POOL_SIZE */
	unsigned long records;   /* distinct stacks stored (persistent_count) */
	size_t record_bytes;     /* their total size, padding included (persistent_bytes) */
	size_t table_buckets;
	size_t table_bytes;      /* bucket array: one pointer per bucket, as 6.1 */
	size_t total_bytes;      /* pool_bytes + table_bytes */
	unsigned long failures;  /* saves that returned 0 for lack of space */
};

struct stack_depot {
	/*
	 * Unique among the depots of this process, never 0: a record pointer
	 * kept with the id it came from is valid while the depot's id is the same.
	 */
	uint64_t id;
	const struct pmm_platform *platform;
	void (*log)(void *ctx, int level, const char *msg); /* NULL: platform->log */
	void *log_ctx;
	enum depot_layout layout;
	unsigned header_size;            /* bytes before entries[] in a record */
	unsigned max_pools;
	bool disabled;

	struct stack_record **table;     /* buckets; heads: acquire/release */
	size_t table_mask;
	size_t table_alloc_bytes;        /* what was asked of platform->alloc */

	void **pools;                    /* [max_pools]; entries written under lock, read acquire */
	uint32_t *pool_used;             /* [max_pools] bytes in use; release after a record is written */
	size_t pool_map_bytes;           /* size of each pool's reservation */

	struct pmm_lock lock;            /* serialises inserts */
	unsigned pool_index;             /* current pool (lock; read relaxed by fetch) */
	size_t pool_offset;              /* next free byte in it (lock) */
	int next_pool_ready;             /* spare pool installed (lock; read acquire) */
	unsigned nr_pools;               /* pools installed (lock; read relaxed) */
	unsigned long nr_records;        /* (lock; read relaxed) */
	size_t record_bytes;             /* (lock; read relaxed) */
	unsigned long nr_failures;       /* atomic */
	int warned_capacity;             /* atomic exchange: WARN_ONCE */
};

/**
 * depot_init() - set up an empty depot.
 * @d: the depot object, owned by the caller.
 * @platform: reserve/commit/release for pools, alloc/free for the table, log.
 * @opts: NULL for the defaults.
 *
 * Logs the kernel's hash-table line at PMM_LOG_INFO ("Stack Depot is
 * disabled" instead when @opts->disabled).
 * Return: 0; -PMM_EINVAL for a platform without the needed callbacks or an
 * option out of range; -PMM_ENOMEM if the table cannot be allocated.
 * Context: calls the platform; not concurrently with any use of @d.
 */
int depot_init(struct stack_depot *d, const struct pmm_platform *platform,
	       const struct depot_options *opts);

/**
 * depot_destroy() - release every pool and the table.  Handles become invalid.
 * Context: no other use of @d may be in progress.  Safe on a zeroed or
 * already destroyed depot.
 */
void depot_destroy(struct stack_depot *d);

/**
 * depot_save_extra() - store a trace, or find it stored already.
 * @entries: return addresses, innermost first; @nr_entries of them (more than
 * DEPOT_MAX_FRAMES are truncated).
 * @extra: up to STACK_DEPOT_EXTRA_BITS bits OR'd into the handle; they do not
 * take part in deduplication.
 *
 * Return: the handle (with @extra); or a handle naming no stack -- 0, or
 * just the @extra bits, as the kernel returns -- when @nr_entries is 0, the
 * depot is disabled, its pools are exhausted (logs "Stack depot reached
 * limit capacity" once per depot), or the platform cannot supply a pool.
 * The counter stored with a record is 32-bit, as the kernel's refcount_t.
 * Context: any thread; lock-free when the trace is already stored, otherwise
 * takes d->lock and may reserve memory from the platform outside it.
 */
depot_stack_handle_t depot_save_extra(struct stack_depot *d, const uintptr_t *entries,
				      unsigned nr_entries, unsigned extra);

static inline depot_stack_handle_t depot_save(struct stack_depot *d, const uintptr_t *entries,
					      unsigned nr_entries)
{
	return depot_save_extra(d, entries, nr_entries, 0);
}

/**
 * depot_save_record() - depot_save(), returning the record itself.
 * Return: the record, or NULL where depot_save() returns a handle naming no
 * stack.  Context: as depot_save_extra().
 */
struct stack_record *depot_save_record(struct stack_depot *d, const uintptr_t *entries,
				       unsigned nr_entries);

/**
 * depot_record() - the record behind a handle (extra bits ignored).
 * Return: NULL for 0 or a handle that names no record (logged as by
 * depot_fetch()).  Context: any thread, lock-free.
 */
struct stack_record *depot_record(struct stack_depot *d, depot_stack_handle_t handle);

static inline depot_stack_handle_t depot_record_handle(const struct stack_record *r)
{
	return r->handle;
}

static inline const uintptr_t *depot_record_entries(const struct stack_depot *d,
						    const struct stack_record *r)
{
	return (const uintptr_t *)((const char *)r + d->header_size);
}

/* depot_count_add() on a record.  Return: the new value.  Context: any thread. */
static inline long depot_record_count_add(struct stack_record *r, long delta)
{
	return __atomic_add_fetch(&r->count, (int32_t)delta, __ATOMIC_RELAXED);
}

#define DEPOT_RECORD_MARKS_SHIFT 16

/* The record's number of entries (<= DEPOT_MAX_FRAMES). */
static inline unsigned depot_record_size(const struct stack_record *r)
{
	return __atomic_load_n(&r->size_marks, __ATOMIC_RELAXED) & 0xffffu;
}

/*
 * depot_record_mark() - set @bit (0..15) in the record's marks, which the
 * depot keeps for its user (page_owner marks the stacks it has listed).
 * Return: true for the one call that set it.  Context: any thread; a
 * relaxed load when the bit is set already, one atomic OR the first time.
 */
static inline bool depot_record_mark(struct stack_record *r, unsigned bit)
{
	uint32_t m = 1u << (DEPOT_RECORD_MARKS_SHIFT + bit);

	if (__atomic_load_n(&r->size_marks, __ATOMIC_RELAXED) & m)
		return false;
	return !(__atomic_fetch_or(&r->size_marks, m, __ATOMIC_RELAXED) & m);
}

/**
 * depot_fetch() - the trace behind a handle.
 * @entries: set to the stored entries (read-only, valid until destroy), or
 * NULL when 0 is returned.
 *
 * A handle that does not name a stored record -- index past the last pool
 * (logged in the kernel's words), offset past the used part of a pool, a
 * record whose own handle differs -- yields 0 and never a read outside the
 * depot's memory.
 * Return: number of entries, 0 for handle 0 or an invalid handle.
 * Context: any thread, lock-free.
 */
unsigned depot_fetch(struct stack_depot *d, depot_stack_handle_t handle,
		     const uintptr_t **entries);

/**
 * depot_count_add() - add @delta to the counter kept with a stored stack (page_owner
 * keeps live base pages there for show_stacks).
 * Return: the new value; 0 and no effect for an invalid handle.
 * Context: any thread; one atomic add.
 */
long depot_count_add(struct stack_depot *d, depot_stack_handle_t handle, long delta);

/* depot_count_get() - the counter's current value (0 for an invalid handle). */
long depot_count_get(struct stack_depot *d, depot_stack_handle_t handle);

/*
 * Iteration over every stored record, oldest first (storage order).  Safe
 * against concurrent saves: records saved after the walk passed their place
 * are not visited.
 */
struct depot_iter {
	unsigned pool;
	size_t offset;
};

static inline void depot_iter_start(struct depot_iter *it)
{
	it->pool = 0;
	it->offset = 0;
}

/**
 * depot_iter_next() - the next stored record's handle.
 * Return: true with *@handle set (extra bits clear), false at the end.
 * Context: any thread, lock-free.
 */
bool depot_iter_next(struct stack_depot *d, struct depot_iter *it,
		     depot_stack_handle_t *handle);

/* Extra bits of a handle (same position in both layouts). */
static inline unsigned depot_get_extra_bits(depot_stack_handle_t handle)
{
	return handle >> (32 - STACK_DEPOT_EXTRA_BITS);
}

static inline depot_stack_handle_t depot_set_extra_bits(depot_stack_handle_t handle,
							unsigned extra)
{
	const uint32_t shift = 32 - STACK_DEPOT_EXTRA_BITS;

	return (handle & ((1u << shift) - 1)) | (uint32_t)extra << shift;
}

/* depot_get_stats() - a snapshot of the counters.  Context: any thread. */
void depot_get_stats(struct stack_depot *d, struct depot_stats *st);

/**
 * depot_snprint_stats() - the 6.8+ debugfs `stackdepot/stats` text:
 * "pools: %d\n" then "%s: %ld\n" for refcounted_allocations,
 * refcounted_frees, refcounted_in_use, freelist_size, persistent_count,
 * persistent_bytes (records here are never evicted, so the refcounted ones
 * are 0).
 * Return: the length the text needs, as snprintf().
 */
int depot_snprint_stats(struct stack_depot *d, char *buf, size_t size);

/**
 * depot_snprint() - print a stored trace as stack_depot_snprint() does:
 * each frame as "%*c%pS\n" with width 1 + @spaces.
 * @sym: resolves addresses to "func+0xoff/0xsize"; NULL prints "0x<hex>"
 * (what %pS prints for an address without a symbol).
 *
 * Return: the length of the whole text, as snprintf(): if it is >= @size the
 * text was truncated (still NUL-terminated when @size > 0).  0 for handle 0
 * or an invalid handle.
 * Context: any thread; the symbolizer takes its own lock.
 */
int depot_snprint(struct stack_depot *d, depot_stack_handle_t handle, char *buf,
		  size_t size, int spaces, struct symbolizer *sym);

/**
 * stack_trace_snprint() - the same for a trace not (yet) in a depot.
 * Return: as depot_snprint().
 */
int stack_trace_snprint(char *buf, size_t size, const uintptr_t *entries,
			unsigned nr_entries, int spaces, struct symbolizer *sym);

#endif
