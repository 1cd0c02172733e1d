// SPDX-License-Identifier: MIT
/*
 * Command-line parsing for owner-sort: getopt_long semantics (option
 * clusters, "--opt=val" or "--opt val", unique-prefix long options, options
 * after operands, "--") and the rules of the page_owner_sort of the chosen
 * kernel.
 *
 * Linux 6.1 (and 6.6): the last sort option wins, --cull accumulates keys
 * and implies "sort by times" when no sort was chosen before it, --sort
 * replaces the whole order.
 *
 * Linux 6.12: no -f, -r or free_ts keys; the single-letter sort options are
 * collected as a set, of which at most one may be given, and after all
 * options that one alone (times, descending, if none) becomes the order,
 * whatever --sort said: the tool validates --sort and then overwrites it.
 *
 * --kver may come anywhere, even after the options it changes the meaning
 * of, so a first pass over the arguments looks only for it.
 *
 * Nothing is allocated: lists stay pointers into argv and are parsed again by
 * the runner.  No state besides the caller's options; no locks.
 */
#include <pmm/owner_sort.h>
#include <pmm/errno.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "report/owner_sort_opts.h"

/* Keys of --cull and --sort (the tool's get_arg_type()). */
enum arg_type {
	ARG_UNKNOWN,
	ARG_PID,
	ARG_TGID,
	ARG_COMM,
	ARG_STACKTRACE,
	ARG_FREE,
	ARG_TXT,
	ARG_FREE_TS,
	ARG_ALLOC_TS,
	ARG_ALLOCATOR,
};

static const struct {
	const char *name;
	enum arg_type type;
} arg_names[] = {
	{ "pid", ARG_PID },           { "p", ARG_PID },
	{ "tgid", ARG_TGID },         { "tg", ARG_TGID },
	{ "name", ARG_COMM },         { "n", ARG_COMM },
	{ "stacktrace", ARG_STACKTRACE }, { "st", ARG_STACKTRACE },
	{ "free", ARG_FREE },         { "f", ARG_FREE },
	{ "txt", ARG_TXT },           { "T", ARG_TXT },
	{ "free_ts", ARG_FREE_TS },   { "ft", ARG_FREE_TS },
	{ "alloc_ts", ARG_ALLOC_TS }, { "at", ARG_ALLOC_TS },
	{ "allocator", ARG_ALLOCATOR }, { "ator", ARG_ALLOCATOR },
};

static enum arg_type arg_type_of(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
		if (strlen(arg_names[i].name) == len && !memcmp(arg_names[i].name, s, len))
			return arg_names[i].type;
	return ARG_UNKNOWN;
}

PMM_PRINTF(3, 4)
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -PMM_EINVAL;
}

size_t owner_list_count(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == ',';
	return n;
}

/* strtol(s, &end, 10) over exactly s[0..len): false if not all consumed or ERANGE. */
static bool strtol_whole(const char *s, size_t len, long long *v)
{
	size_t i = 0;
	bool neg = false;
	uint64_t x = 0, lim;

	while (i < len && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == len)
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > 9 || x > (lim - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = neg ? (long long)(0 - x) : (long long)x;
	return true;
}

long owner_num_list(const char *s, int *out)
{
	long n = 0;

	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		long long v;

		if (!strtol_whole(s, len, &v))
			return -1;
		if (out)
			out[n] = (int)(uint32_t)(uint64_t)v;
		n++;
		if (!c)
			return n;
		s = c + 1;
	}
}

static void set_single(struct pmm_owner_sort_opts *o, enum pmm_owner_sort_key k, bool desc)
{
	o->nr_keys = 1;
	o->keys[0].key = k;
	o->keys[0].descending = desc;
}

static inline bool is_612(const struct pmm_owner_sort_opts *o)
{
	return o->kver == PMM_KVER_6_12;
}

/* The keys the 6.12 tool no longer has. */
static inline enum arg_type known(const struct pmm_owner_sort_opts *o, enum arg_type t)
{
	return is_612(o) && (t == ARG_FREE || t == ARG_FREE_TS) ? ARG_UNKNOWN : t;
}

static int parse_cull(struct pmm_owner_sort_opts *o, const char *arg, char *err, size_t errlen)
{
	unsigned int cull = 0;
	const char *s = arg;

	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);

		switch (known(o, arg_type_of(s, len))) {
		case ARG_PID:
			cull |= PMM_OWNER_SORT_CULL_PID;
			break;
		case ARG_TGID:
			cull |= PMM_OWNER_SORT_CULL_TGID;
			break;
		case ARG_COMM:
			cull |= PMM_OWNER_SORT_CULL_COMM;
			break;
		case ARG_STACKTRACE:
			cull |= PMM_OWNER_SORT_CULL_STACKTRACE;
			break;
		case ARG_FREE:
			cull |= PMM_OWNER_SORT_CULL_FREE;
			break;
		case ARG_ALLOCATOR:
			cull |= PMM_OWNER_SORT_CULL_ALLOCATOR;
			break;
		default:
			return fail(err, errlen, "wrong argument after --cull option:%s", arg);
		}
		if (!c)
			break;
		s = c + 1;
	}
	o->cull |= cull;
	if (o->nr_keys == 0)
		set_single(o, PMM_OWNER_SORT_KEY_TIMES, true);
	return 0;
}

static int parse_sort(struct pmm_owner_sort_opts *o, const char *arg, char *err, size_t errlen)
{
	struct pmm_owner_sort_sortkey keys[PMM_OWNER_SORT_MAX_KEYS];
	unsigned int nr = 0, seen = 0;
	const char *s = arg;

	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		bool desc = false;
		enum pmm_owner_sort_key k;

		if (len && (*s == '-' || *s == '+')) {
			desc = *s == '-';
			s++;
			len--;
		}
		switch (known(o, arg_type_of(s, len))) {
		case ARG_PID:
			k = PMM_OWNER_SORT_KEY_PID;
			break;
		case ARG_TGID:
			k = PMM_OWNER_SORT_KEY_TGID;
			break;
		case ARG_COMM:
			k = PMM_OWNER_SORT_KEY_COMM;
			break;
		case ARG_STACKTRACE:
			k = PMM_OWNER_SORT_KEY_STACKTRACE;
			break;
		case ARG_ALLOC_TS:
			k = PMM_OWNER_SORT_KEY_ALLOC_TS;
			break;
		case ARG_FREE_TS:
			k = PMM_OWNER_SORT_KEY_FREE_TS;
			break;
		case ARG_TXT:
			k = PMM_OWNER_SORT_KEY_TXT;
			break;
		case ARG_ALLOCATOR:
			k = PMM_OWNER_SORT_KEY_ALLOCATOR;
			break;
		default:
			return fail(err, errlen, "wrong argument after --sort option:%s", arg);
		}
		/*
		 * A repeated key is only consulted when the same comparison
		 * already returned 0, so it never decides: drop it.
		 */
		if (!(seen & (1u << k))) {
			seen |= 1u << k;
			keys[nr].key = k;
			keys[nr].descending = desc;
			nr++;
		}
		if (!c)
			break;
		s = c + 1;
	}
	memcpy(o->keys, keys, nr * sizeof(keys[0]));
	o->nr_keys = nr;
	return 0;
}

enum long_id {
	LONG_PID, LONG_TGID, LONG_NAME, LONG_CULL, LONG_SORT, LONG_LENIENT, LONG_HELP, LONG_KVER
};

static const struct {
	const char *name;
	bool has_arg;
} long_opts[] = {
	[LONG_PID] = { "pid", true },   [LONG_TGID] = { "tgid", true },
	[LONG_NAME] = { "name", true }, [LONG_CULL] = { "cull", true },
	[LONG_SORT] = { "sort", true }, [LONG_LENIENT] = { "lenient", false },
	[LONG_HELP] = { "help", false }, [LONG_KVER] = { "kver", true },
};

#define NR_LONG ((int)(sizeof(long_opts) / sizeof(long_opts[0])))

/* getopt_long's lookup: exact name, else a unique prefix. */
static int find_long(const char *name, size_t len, char *err, size_t errlen)
{
	int found = -1, matches = 0;

	for (int i = 0; i < NR_LONG; i++) {
		if (strncmp(long_opts[i].name, name, len) != 0)
			continue;
		if (strlen(long_opts[i].name) == len)
			return i;
		found = i;
		matches++;
	}
	if (matches == 1)
		return found;
	if (matches > 1)
		return fail(err, errlen, "option '--%.*s' is ambiguous", (int)len, name);
	return fail(err, errlen, "unrecognized option '--%.*s'", (int)len, name);
}

static int apply_long(struct pmm_owner_sort_opts *o, int id, const char *val, char *err,
		      size_t errlen)
{
	enum pmm_kver kver;

	switch (id) {
	case LONG_PID:
		if (owner_num_list(val, NULL) < 0)
			return fail(err, errlen, "wrong/invalid pid in from the command line:%s", val);
		o->pids = val;
		return 0;
	case LONG_TGID:
		if (owner_num_list(val, NULL) < 0)
			return fail(err, errlen, "wrong/invalid tgid in from the command line:%s", val);
		o->tgids = val;
		return 0;
	case LONG_NAME:
		o->names = val;
		return 0;
	case LONG_CULL:
		return parse_cull(o, val, err, errlen);
	case LONG_SORT:
		return parse_sort(o, val, err, errlen);
	case LONG_LENIENT:
		o->lenient = true;
		return 0;
	case LONG_KVER:
		/* only checked here: the first pass set o->kver from the last one */
		if (pmm_kver_from_release(val, &kver))
			return fail(err, errlen,
				    "--kver: '%s' is not a kernel release (MAJOR.MINOR, e.g. 6.12)",
				    val);
		return 0;
	default:
		o->help = true;
		return 0;
	}
}

/*
 * The 6.12 tool's single-letter sort options (its compare_flag bits) and
 * the order each gives.
 */
static const struct {
	char opt;
	enum pmm_owner_sort_key key;
	bool descending;
} sort612[] = {
	{ .opt = 'a', .key = PMM_OWNER_SORT_KEY_ALLOC_TS },
	{ .opt = 'm', .key = PMM_OWNER_SORT_KEY_PAGES, .descending = true },
	{ .opt = 'p', .key = PMM_OWNER_SORT_KEY_PID },
	{ .opt = 's', .key = PMM_OWNER_SORT_KEY_STACKTRACE },
	{ .opt = 't', .key = PMM_OWNER_SORT_KEY_TIMES, .descending = true },
	{ .opt = 'P', .key = PMM_OWNER_SORT_KEY_TGID },
	{ .opt = 'n', .key = PMM_OWNER_SORT_KEY_COMM },
};

#define NR_SORT612 (sizeof(sort612) / sizeof(sort612[0]))

/* After the 6.12 options: the one sort option given, or times. */
static int finish_612(struct pmm_owner_sort_opts *o, unsigned int flags, char *err,
		      size_t errlen)
{
	if (flags & (flags - 1))
		return fail(err, errlen,
			    "only one of -a -m -n -p -P -s -t may be given (Linux 6.12's tool)");
	for (unsigned int i = 0; i < NR_SORT612; i++) {
		if (flags == 1u << i) {
			set_single(o, sort612[i].key, sort612[i].descending);
			return 0;
		}
	}
	set_single(o, PMM_OWNER_SORT_KEY_TIMES, true);
	return 0;
}

static int apply_short(struct pmm_owner_sort_opts *o, char c, unsigned int *flags612,
		       char *err, size_t errlen)
{
	if (is_612(o)) {
		for (unsigned int i = 0; i < NR_SORT612; i++) {
			if (sort612[i].opt == c) {
				*flags612 |= 1u << i;
				return 0;
			}
		}
		if (c == 'f' || c == 'r')
			return fail(err, errlen, "invalid option -- '%c' (not in Linux 6.12's tool)", c);
	}
	switch (c) {
	case 'a':
		set_single(o, PMM_OWNER_SORT_KEY_ALLOC_TS, false);
		break;
	case 'd':
		o->debug = true;
		break;
	case 'f':
		o->unreleased = true;
		break;
	case 'm':
		set_single(o, PMM_OWNER_SORT_KEY_PAGES, true);
		break;
	case 'n':
		set_single(o, PMM_OWNER_SORT_KEY_COMM, false);
		break;
	case 'p':
		set_single(o, PMM_OWNER_SORT_KEY_PID, false);
		break;
	case 'P':
		set_single(o, PMM_OWNER_SORT_KEY_TGID, false);
		break;
	case 'r':
		set_single(o, PMM_OWNER_SORT_KEY_FREE_TS, false);
		break;
	case 's':
		set_single(o, PMM_OWNER_SORT_KEY_STACKTRACE, false);
		break;
	case 't':
		set_single(o, PMM_OWNER_SORT_KEY_TIMES, true);
		break;
	default:
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			return fail(err, errlen, "invalid option -- '\\x%02x'", (unsigned char)c);
		return fail(err, errlen, "invalid option -- '%c'", c);
	}
	return 0;
}

void pmm_owner_sort_opts_init(struct pmm_owner_sort_opts *opts)
{
	if (opts)
		memset(opts, 0, sizeof(*opts));
}

/*
 * One pass over the arguments.  The first (kver_only) only picks up a valid
 * --kver and reports nothing: every error is the second pass's, in order.
 */
static int scan(struct pmm_owner_sort_opts *opts, int argc, char *const argv[],
		const char **operands, int max_operands, int *nr_operands, bool kver_only,
		unsigned int *flags612, char *err, size_t errlen)
{
	int nr = 0, ret;
	bool only_operands = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!a)
			return kver_only ? 0 : fail(err, errlen, "argument %d is NULL", i);
		if (!only_operands && !strcmp(a, "--")) {
			only_operands = true;
			continue;
		}
		if (!only_operands && a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const char *val = eq ? eq + 1 : NULL;
			int id = find_long(name, len, kver_only ? NULL : err, errlen);

			if (id < 0) {
				if (kver_only)
					continue;
				return id;
			}
			if (long_opts[id].has_arg && !val) {
				if (i + 1 >= argc || !argv[i + 1]) {
					if (kver_only)
						return 0;
					return fail(err, errlen, "option '--%s' requires an argument",
						    long_opts[id].name);
				}
				val = argv[++i];
			} else if (!long_opts[id].has_arg && val) {
				if (kver_only)
					continue;
				return fail(err, errlen, "option '--%s' doesn't allow an argument",
					    long_opts[id].name);
			}
			if (kver_only) {
				if (id == LONG_KVER)
					pmm_kver_from_release(val, &opts->kver); /* unchanged if bad */
				continue;
			}
			ret = apply_long(opts, id, val, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (!only_operands && a[0] == '-' && a[1] != '\0') {
			if (kver_only)
				continue;
			for (const char *c = a + 1; *c; c++) {
				ret = apply_short(opts, *c, flags612, err, errlen);
				if (ret)
					return ret;
			}
			continue;
		}
		if (kver_only)
			continue;
		if (nr >= max_operands)
			return fail(err, errlen, "too many operands: '%s'", a);
		operands[nr++] = a;
	}
	if (nr_operands)
		*nr_operands = nr;
	return 0;
}

int pmm_owner_sort_parse_args(struct pmm_owner_sort_opts *opts, int argc,
			      char *const argv[], const char **operands, int max_operands,
			      int *nr_operands, char *err, size_t errlen)
{
	unsigned int flags612 = 0;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (nr_operands)
		*nr_operands = 0;
	if (!opts || argc < 0 || (argc > 0 && !argv) || max_operands < 0 ||
	    (max_operands > 0 && !operands))
		return fail(err, errlen, "invalid arguments to the option parser");
	if ((unsigned int)opts->kver > PMM_KVER_6_12)
		return fail(err, errlen, "invalid kernel version in the options");

	scan(opts, argc, argv, NULL, 0, NULL, true, NULL, NULL, 0);
	ret = scan(opts, argc, argv, operands, max_operands, nr_operands, false, &flags612, err,
		   errlen);
	if (ret)
		return ret;
	return is_612(opts) ? finish_612(opts, flags612, err, errlen) : 0;
}
