/* SPDX-License-Identifier: MIT */
/*
 * pmm owner-sort: sort, filter and cull a page_owner dump the way the
 * kernel's tools/vm/page_owner_sort (Linux 6.1) does, byte for byte.
 *
 * The input is the text of /sys/kernel/debug/page_owner (one record per
 * allocated block, each ended by a blank line).  The output is the 6.1 tool's
 * output for the same options: without --cull, one entry per distinct record
 * text ("N times, M pages, allocated by OTHERS :" and the record); with
 * --cull, one line per distinct cull key.
 *
 * Two input modes:
 *  - strict (default): the input must be a well-formed 6.1 dump; the first
 *    problem is reported as "file:line: reason" and nothing is written.
 *    Every accepted input gives exactly the kernel tool's output.
 *  - lenient (--lenient): accept anything, as the kernel tool does, and
 *    reproduce what it makes of it (fields it cannot find become -1 or 0,
 *    records without a terminating blank line are dropped, a record longer
 *    than 128 KiB ends the input).  Never fails on content.
 *
 * Where the tool's behaviour is undefined (a task name longer than its
 * 16-byte buffer, a number longer than 25 digits, an order that truncates to
 * a negative int) pmm picks one answer, documented in
 * src/report/owner_sort_record.c.  Not reproduced: the tool's "max_size too
 * small??" abort when records average under 100 bytes, and the order of
 * groups whose pids or tgids are 2^31 or more apart (the tool subtracts them
 * in int, which is no order there; no kernel has such pids).
 *
 * Options carry no allocated memory: list options point at the caller's
 * strings (normally argv), so there is nothing to free.
 */
#ifndef PMM_OWNER_SORT_H
#define PMM_OWNER_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pmm/api.h>

PMM_BEGIN_DECLS

/* --cull keys (bits of pmm_owner_sort_opts.cull). */
#define PMM_OWNER_SORT_CULL_PID        (1u << 0) /* pid / p */
#define PMM_OWNER_SORT_CULL_TGID       (1u << 1) /* tgid / tg */
#define PMM_OWNER_SORT_CULL_COMM       (1u << 2) /* name / n */
#define PMM_OWNER_SORT_CULL_STACKTRACE (1u << 3) /* stacktrace / st */
#define PMM_OWNER_SORT_CULL_FREE       (1u << 4) /* free / f: released or not */
#define PMM_OWNER_SORT_CULL_ALLOCATOR  (1u << 5) /* allocator / ator */
#define PMM_OWNER_SORT_CULL_ALL        0x3fu

/* Sort keys: the single-letter options and the --sort keys. */
enum pmm_owner_sort_key {
	PMM_OWNER_SORT_KEY_TIMES,      /* -t: times the record was seen */
	PMM_OWNER_SORT_KEY_PAGES,      /* -m: total pages */
	PMM_OWNER_SORT_KEY_PID,        /* -p, --sort p / pid */
	PMM_OWNER_SORT_KEY_TGID,       /* -P, --sort tg / tgid */
	PMM_OWNER_SORT_KEY_COMM,       /* -n, --sort n / name */
	PMM_OWNER_SORT_KEY_STACKTRACE, /* -s, --sort st / stacktrace */
	PMM_OWNER_SORT_KEY_ALLOC_TS,   /* -a, --sort at / alloc_ts */
	PMM_OWNER_SORT_KEY_FREE_TS,    /* -r, --sort ft / free_ts */
	PMM_OWNER_SORT_KEY_TXT,        /* --sort T / txt: the whole record */
	PMM_OWNER_SORT_KEY_ALLOCATOR,  /* --sort ator / allocator */
	PMM_OWNER_SORT_NR_KEYS
};

/* One key of the sort order; ties fall through to the next key. */
struct pmm_owner_sort_sortkey {
	enum pmm_owner_sort_key key;
	bool descending; /* "-" prefix in --sort; -m and -t are descending */
};

/* A comparator that appears twice can never decide, so at most one per key. */
#define PMM_OWNER_SORT_MAX_KEYS PMM_OWNER_SORT_NR_KEYS

/**
 * struct pmm_owner_sort_opts - what to do with the dump.
 * @cull:       PMM_OWNER_SORT_CULL_* bits; 0 merges identical records only.
 * @nr_keys:    number of valid entries in @keys; 0 keeps the merge order
 *              (records sorted by text), as the 6.1 tool does without options.
 * @keys:       sort order, most significant first.
 * @pids:       --pid: comma-separated pids to keep, or NULL for all.
 * @tgids:      --tgid: comma-separated tgids to keep, or NULL.
 * @names:      --name: comma-separated task names to keep (exact), or NULL.
 * @unreleased: -f: drop blocks that were freed and reallocated since.
 * @lenient:    accept any input as the kernel tool does (see above).
 * @debug:      -d: report fields the tool could not parse (lenient mode).
 * @debug_stream: where -d messages go; NULL discards them.
 * @help:       --help was given (set by the parser; ignored by the runner).
 *
 * List strings are not copied: they must outlive pmm_owner_sort_run().
 */
struct pmm_owner_sort_opts {
	unsigned int cull;
	unsigned int nr_keys;
	struct pmm_owner_sort_sortkey keys[PMM_OWNER_SORT_MAX_KEYS];
	const char *pids;
	const char *tgids;
	const char *names;
	bool unreleased;
	bool lenient;
	bool debug;
	FILE *debug_stream;
	bool help;
};

/**
 * pmm_owner_sort_opts_init() - defaults: no cull, no sort keys, no filter,
 * strict input.
 * @opts: options to initialise.
 *
 * Context: any; does not sleep.
 */
PMM_API void pmm_owner_sort_opts_init(struct pmm_owner_sort_opts *opts);

/**
 * pmm_owner_sort_parse_args() - parse the 6.1 page_owner_sort command line.
 * @opts:         initialised options, updated in place.
 * @argc:         number of arguments, including @argv[0] (not parsed).
 * @argv:         arguments; not modified.  Options and operands may be mixed
 *                (GNU getopt_long order); "--" ends the options.
 * @operands:     receives the operands (input, output) in order.
 * @max_operands: room in @operands; extra operands are an error.
 * @nr_operands:  receives the number of operands found.
 * @err:          receives a one-line message on error (may be NULL).
 * @errlen:       size of @err.
 *
 * Options: -a -d -f -m -n -p -P -r -s -t, --pid=LIST, --tgid=LIST,
 * --name=LIST, --cull=KEYS, --sort=[+|-]KEY[,...], --lenient, --help; long
 * options take "=VALUE" or the next argument and may be abbreviated to a
 * unique prefix.  As in 6.1 the last of -a -m -n -p -P -r -s -t and --sort
 * wins; --cull without an earlier sort option sorts by times, descending.
 *
 * Return: 0, or -PMM_EINVAL for an unknown option, a missing argument, a bad
 * key or list (message in @err, in the kernel tool's words where it has
 * them), or too many operands.
 * Context: any; does not sleep; no allocation.
 */
PMM_API int pmm_owner_sort_parse_args(struct pmm_owner_sort_opts *opts, int argc,
				      char *const argv[], const char **operands,
				      int max_operands, int *nr_operands, char *err,
				      size_t errlen);

/**
 * pmm_owner_sort_run() - read a page_owner dump, write the sorted report.
 * @opts:       options (see struct pmm_owner_sort_opts).
 * @in:         the dump, read sequentially to EOF (a pipe is fine).
 * @input_name: name used in messages ("<input>" if NULL).
 * @out:        where the report goes; written only after all input is read,
 *              so nothing is written when the input is rejected.
 * @err:        receives "input_name:line: reason" on error (may be NULL).
 * @errlen:     size of @err.
 *
 * Memory is proportional to the distinct records (or cull keys), not to the
 * input; each record is at most 128 KiB.
 *
 * Return: 0 on success; -PMM_EBADMSG for malformed input in strict mode
 * (truncated record, garbage, binary data, out-of-range number, empty
 * input); -PMM_EINVAL for invalid @opts; -PMM_EIO when reading @in or
 * writing @out fails; -PMM_ENOMEM when memory runs out.
 * Context: may block on @in and @out; allocates; no locks held.  Reentrant:
 * runs share no state.
 */
PMM_API int pmm_owner_sort_run(const struct pmm_owner_sort_opts *opts, FILE *in,
			       const char *input_name, FILE *out, char *err,
			       size_t errlen);

PMM_END_DECLS

#endif /* PMM_OWNER_SORT_H */
