/* SPDX-License-Identifier: MIT */
/*
 * pmm owner-sort: sort, filter and cull a page_owner dump the way the
 * kernel's page_owner_sort tool does, byte for byte: the tool of Linux 6.1
 * (tools/vm/page_owner_sort.c; 6.6's is the same) by default, or the one of
 * Linux 6.12 (tools/mm/page_owner_sort.c) with @kver PMM_KVER_6_12.
 *
 * The input is the text of /sys/kernel/debug/page_owner (one record per
 * allocated block, each ended by a blank line).  The output is the chosen
 * tool's output for the same options: without --cull, one entry per
 * distinct record text ("N times, M pages, allocated by OTHERS :" and the
 * record); with --cull, one line per distinct cull key.
 *
 * What the 6.12 tool does differently (and so pmm with PMM_KVER_6_12):
 *  - it has no free_ts: no -f, no -r, no --cull=free, no --sort=ft (and a
 *    6.12 dump's header has no ", free_ts N ns");
 *  - its ts pattern is "ts\s*([0-9]*)\s*ns", without 6.1's trailing comma;
 *  - unless the first sort key is the allocation time (-a), the digits of
 *    "ts N" are cut out of each record's text before records are compared
 *    and merged, so that records differing only in their time merge (and
 *    print "ts  ns");
 *  - it does not fold a record into the previous byte-identical one while
 *    reading (which shows with --cull=allocator, where the repeat's own
 *    PFN line decides its allocator, and in -d's messages);
 *  - only one of -a -m -n -p -P -s -t may be given, and that option (or,
 *    without one, -t: times, descending) is the whole sort order: --sort is
 *    checked and then has no effect.
 * Releases map to the tools as pmm_kver_from_release() maps them: before
 * 6.8 the 6.1 one, 6.8 and later the new one.  (The kernel changed the
 * tool, and dropped free_ts from the dump, in a series of October 2023
 * merged after 6.6; pmm knows the 6.1, 6.6 and 6.12 kernels, and its own
 * dumps follow the same mapping.  For a 6.7 dump without free_ts, choose
 * 6.12.)
 *
 * Two input modes:
 *  - strict (default): the input must be a well-formed dump of the chosen
 *    kernel (6.1 and 6.6: with free_ts; 6.12: without); the first problem is
 *    reported as "file:line: reason" and nothing is written.  Every accepted
 *    input gives exactly the kernel tool's output.
 *  - lenient (--lenient): accept anything, as the kernel tool does, and
 *    reproduce what it makes of it (fields it cannot find become -1 or 0,
 *    records without a terminating blank line are dropped, a record longer
 *    than 128 KiB ends the input).  Never fails on content.
 *
 * Where the tool's behaviour is undefined (a task name longer than its
 * 16-byte buffer, a number longer than 25 digits, an order that truncates to
 * a negative int; in 6.12 the overlapping memcpy() that cuts the ts digits
 * and the pattern search past the end of the copied text) pmm picks one
 * answer, documented in src/report/owner_sort_record.c and owner_sort.c.
 * Not reproduced: the tool's "max_size too small??" abort when records
 * average under 100 bytes (6.1 exits 1; 6.12 exits 0 and writes nothing),
 * and the order of groups whose pids or tgids are 2^31 or more apart (the
 * tool subtracts them in int, which is no order there; no kernel has such
 * pids).
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
#include <pmm/gfp.h>

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
 * @kver:       which kernel's tool: PMM_KVER_6_1 (the default, 0) and
 *              PMM_KVER_6_6 are the 6.1 tool, PMM_KVER_6_12 the 6.12 one.
 *              With PMM_KVER_6_12, @unreleased, PMM_OWNER_SORT_CULL_FREE and
 *              PMM_OWNER_SORT_KEY_FREE_TS do not exist (the run refuses them),
 *              @nr_keys 0 sorts by times, descending, as the tool's default,
 *              and the ts digits are cut out of the record texts unless
 *              @keys[0] is PMM_OWNER_SORT_KEY_ALLOC_TS.
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
	enum pmm_kver kver;
};

/**
 * pmm_owner_sort_opts_init() - defaults: no cull, no sort keys, no filter,
 * strict input, the 6.1 tool.
 * @opts: options to initialise.
 *
 * Context: any; does not sleep.
 */
PMM_API void pmm_owner_sort_opts_init(struct pmm_owner_sort_opts *opts);

/**
 * pmm_owner_sort_parse_args() - parse the page_owner_sort command line of
 * the kernel @opts->kver names (or --kver names).
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
 * --name=LIST, --cull=KEYS, --sort=[+|-]KEY[,...], and pmm's own --lenient,
 * --help and --kver=RELEASE; long options take "=VALUE" or the next
 * argument and may be abbreviated to a unique prefix.  --kver takes a
 * kernel release ("6.12", "6.8.0-31-generic") and selects the tool through
 * pmm_kver_from_release(), for the whole command line wherever it stands
 * (the last one wins).
 *
 * The 6.1 tool's rules: the last of -a -m -n -p -P -r -s -t and --sort
 * wins; --cull without an earlier sort option sorts by times, descending.
 * The 6.12 tool's: no -f, -r, --cull=free or --sort=ft/free_ts; at most one
 * of -a -m -n -p -P -s -t (repeating the same one is fine); --sort is
 * checked, then overridden: the order is that option's key alone, or times,
 * descending, without one.
 *
 * Return: 0, or -PMM_EINVAL for an unknown option, a missing argument, a bad
 * key or list (message in @err, in the kernel tool's words where it has
 * them), a bad release, two different 6.12 sort options, or too many
 * operands.
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
 * input, a header of another kernel's format); -PMM_EINVAL for invalid
 * @opts (among them a @kver that is not one of enum pmm_kver, and the free_ts
 * options with PMM_KVER_6_12); -PMM_EIO when reading @in or writing @out
 * fails; -PMM_ENOMEM when memory runs out.
 * Context: may block on @in and @out; allocates; no locks held.  Reentrant:
 * runs share no state.
 */
PMM_API int pmm_owner_sort_run(const struct pmm_owner_sort_opts *opts, FILE *in,
			       const char *input_name, FILE *out, char *err,
			       size_t errlen);

PMM_END_DECLS

#endif /* PMM_OWNER_SORT_H */
