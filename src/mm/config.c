// SPDX-License-Identifier: MIT
/*
 * Machine configuration: defaults and the text format (see <pmm/config.h>).
 * The parser reports the first error as "file:line: reason" and never reads
 * past @len.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/config.h>
#include <pmm/errno.h>

#include "mm/internal.h"

void pmm_config_default(struct pmm_config *c)
{
	static const int ratio[PMM_NR_ZONES] = { 256, 256, 32, 0, 0 };

	memset(c, 0, sizeof(*c));
	c->nr_nodes = 1;
	c->mem_bytes = 8ull << 30;
	c->dma_limit = 16ull << 20;
	c->dma32_limit = 4ull << 30;
	c->min_free_kbytes = -1;
	c->watermark_scale_factor = 10;
	c->watermark_boost_factor = 15000;
	memcpy(c->lowmem_reserve_ratio, ratio, sizeof(ratio));
	c->pcp = true;
	c->memmap = PMM_MEMMAP_HUGE;
	c->seed = 1;
	c->backend.kind = PMM_BACKEND_ANON;
	c->backend.fd = -1;
	c->default_hstate = -1;
	c->hugetlb_parsed = -1;
}

int pmm_parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t i = 0;
	int base = 10, digits = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		int d;
		char ch = s[i];

		if (ch == '_')
			continue;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -PMM_EINVAL;
		v = v * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	if (!digits)
		return -PMM_EINVAL;
	if (i < len) {
		switch (s[i]) {
		case 'k': case 'K': mult = 1ull << 10; break;
		case 'm': case 'M': mult = 1ull << 20; break;
		case 'g': case 'G': mult = 1ull << 30; break;
		case 't': case 'T': mult = 1ull << 40; break;
		default: return -PMM_EINVAL;
		}
		i++;
		if (i < len && (s[i] == 'B' || s[i] == 'b'))
			i++;
		if (i != len)
			return -PMM_EINVAL;
	}
	if (v && mult > UINT64_MAX / v)
		return -PMM_EINVAL;
	*out = v * mult;
	return 0;
}

struct cursor {
	const char *file;
	unsigned line;
	char *err;
	size_t errlen;
};

static int fail(struct cursor *c, const char *fmt, const char *tok, size_t toklen)
{
	if (c->err && c->errlen) {
		char msg[256];
		snprintf(msg, sizeof(msg), fmt, (int)toklen, tok);
		snprintf(c->err, c->errlen, "%s:%u: %s", c->file, c->line, msg);
	}
	return -PMM_EINVAL;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

/*
 * A key with a fixed set of values (@names, NULL-terminated): the index of
 * @v among them; else the error "KEY must be A, B or C: 'TOKEN'" and -1.
 */
static int parse_choice(struct cursor *c, const char *key, const char *v, size_t vl,
			const char *const *names, const char *tok, size_t n)
{
	char fmt[160];
	size_t len;
	unsigned i;

	for (i = 0; names[i]; i++)
		if (key_is(v, vl, names[i]))
			return (int)i;
	len = (size_t)snprintf(fmt, sizeof(fmt), "%s must be ", key);
	for (unsigned j = 0; j < i && len < sizeof(fmt); j++)
		len += (size_t)snprintf(fmt + len, sizeof(fmt) - len, "%s%s", names[j],
					j + 2 < i ? ", " : j + 2 == i ? " or " : "");
	if (len < sizeof(fmt))
		snprintf(fmt + len, sizeof(fmt) - len, ": '%%.*s'");
	fail(c, fmt, tok, n);
	return -1;
}

static int parse_bool(const char *v, size_t n, bool *out)
{
	if (key_is(v, n, "1") || key_is(v, n, "on") || key_is(v, n, "y") || key_is(v, n, "yes") ||
	    key_is(v, n, "true")) {
		*out = true;
		return 0;
	}
	if (key_is(v, n, "0") || key_is(v, n, "off") || key_is(v, n, "n") || key_is(v, n, "no") ||
	    key_is(v, n, "false")) {
		*out = false;
		return 0;
	}
	return -PMM_EINVAL;
}

static int parse_int(const char *v, size_t n, long min, long max, long *out)
{
	uint64_t u;
	bool neg = n > 0 && v[0] == '-';
	size_t i;

	if (neg) {
		v++;
		n--;
	}
	/* Plain decimal or 0x hex only: no size suffixes on counts. */
	for (i = (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? 2 : 0; i < n; i++)
		if (!(v[i] >= '0' && v[i] <= '9') &&
		    !(v[1] == 'x' && ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'f')))
			return -PMM_EINVAL;
	if (n == 0 || pmm_parse_size(v, n, &u) || u > (uint64_t)LONG_MAX)
		return -PMM_EINVAL;
	*out = neg ? -(long)u : (long)u;
	if (*out < min || *out > max)
		return -PMM_ERANGE;
	return 0;
}

/* "START-END" (inclusive end) or "START+SIZE" -> [start, end). */
static int parse_range(const char *v, size_t n, uint64_t *start, uint64_t *end)
{
	const char *sep = NULL;
	uint64_t a, b;

	for (size_t i = 1; i < n; i++)
		if (v[i] == '-' || v[i] == '+') {
			sep = v + i;
			break;
		}
	if (!sep)
		return -PMM_EINVAL;
	if (pmm_parse_size(v, (size_t)(sep - v), &a) ||
	    pmm_parse_size(sep + 1, n - (size_t)(sep - v) - 1, &b))
		return -PMM_EINVAL;
	if (*sep == '+') {
		if (b == 0 || a + b < a)
			return -PMM_EINVAL;
		*start = a;
		*end = a + b;
	} else {
		if (b < a || b == UINT64_MAX)
			return -PMM_EINVAL;
		*start = a;
		*end = b + 1;
	}
	return 0;
}

static int add_range(struct pmm_range *arr, unsigned *nr, uint64_t s, uint64_t e, int nid)
{
	if (*nr >= PMM_MAX_RANGES)
		return -PMM_E2BIG;
	arr[*nr] = (struct pmm_range){ .start = s, .end = e, .nid = nid };
	(*nr)++;
	return 0;
}

/* late_free=START-END:WHAT: the name it takes, and the kernel's words for it in its log. */
static const struct {
	const char *token, *log;
} late_free_kinds[] = {
	[PMM_LATE_FREE_SMP_ALTERNATIVES] = { "smp_alternatives", "SMP alternatives" },
	[PMM_LATE_FREE_INITRD] = { "initrd", "initrd" },
	[PMM_LATE_FREE_DECRYPTED] = { "decrypted", "unused decrypted" },
	[PMM_LATE_FREE_INITMEM] = { "initmem", "unused kernel image (initmem)" },
	[PMM_LATE_FREE_TEXT_RODATA_GAP] = { "text_rodata_gap", "unused kernel image (text/rodata gap)" },
	[PMM_LATE_FREE_RODATA_DATA_GAP] = { "rodata_data_gap", "unused kernel image (rodata/data gap)" },
};
static_assert(sizeof(late_free_kinds) / sizeof(late_free_kinds[0]) == PMM_NR_LATE_FREE_KINDS,
	      "a name for every late_free kind");

const char *late_free_name(unsigned what, bool kernel_words)
{
	if (what == PMM_LATE_FREE_UNNAMED || what >= PMM_NR_LATE_FREE_KINDS)
		return NULL;
	return kernel_words ? late_free_kinds[what].log : late_free_kinds[what].token;
}

/* late_free=START-END[:WHAT] */
static int parse_late_free(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			   const char *tok, size_t n)
{
	const char *colon = memchr(v, ':', vl);
	size_t rl = colon ? (size_t)(colon - v) : vl;
	unsigned what = PMM_LATE_FREE_UNNAMED;
	uint64_t s, e;

	if (colon) {
		const char *name = colon + 1;
		size_t nl = vl - rl - 1;

		for (unsigned i = 1; i < PMM_NR_LATE_FREE_KINDS; i++)
			if (key_is(name, nl, late_free_kinds[i].token))
				what = i;
		if (what == PMM_LATE_FREE_UNNAMED)
			return fail(c, "unknown late_free kind in '%.*s' (initrd, initmem, decrypted, "
				       "text_rodata_gap, rodata_data_gap, smp_alternatives)", tok, n);
	}
	if (parse_range(v, rl, &s, &e))
		return fail(c, "bad range in '%.*s'", tok, n);
	if (add_range(cfg->late_free, &cfg->nr_late_free, s, e, -1))
		return fail(c, "too many ranges at '%.*s'", tok, n);
	cfg->late_free_what[cfg->nr_late_free - 1] = (uint8_t)what;
	return 0;
}

static int size_or_percent(const char *v, size_t n, uint64_t *bytes, unsigned *pct)
{
	if (n > 1 && v[n - 1] == '%') {
		long p;
		if (parse_int(v, n - 1, 1, 99, &p))
			return -PMM_EINVAL;
		*pct = (unsigned)p;
		*bytes = 0;
		return 0;
	}
	*pct = 0;
	return pmm_parse_size(v, n, bytes);
}

/* hugepagesz=S / default_hugepagesz=S: the hstates[] index of size S, added if new; -1 bad size. */
static int hstate_of_size(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			  const char *tok, size_t n, bool *added)
{
	uint64_t s;
	unsigned order;

	*added = false;
	if (pmm_parse_size(v, vl, &s))
		return fail(c, "bad size in '%.*s'", tok, n), -1;
	if (s == 2ull << 20)
		order = PMM_HUGETLB_ORDER_2M;
	else if (s == 1ull << 30)
		order = PMM_HUGETLB_ORDER_1G;
	else
		return fail(c, "unsupported huge page size in '%.*s' (2M or 1G)", tok, n), -1;
	for (unsigned i = 0; i < cfg->nr_hstates; i++)
		if (cfg->hstates[i].order == order)
			return (int)i;
	if (cfg->nr_hstates >= PMM_MAX_HSTATES)
		return fail(c, "too many huge page sizes at '%.*s'", tok, n), -1;
	memset(&cfg->hstates[cfg->nr_hstates], 0, sizeof(cfg->hstates[0]));
	cfg->hstates[cfg->nr_hstates].order = order;
	*added = true;
	return (int)cfg->nr_hstates++;
}

/*
 * hugepagesz=S, default_hugepagesz=S, hugepages=N | hugepages=NODE:N[,NODE:N...],
 * with the kernel's pairing (hugepages_setup() and its neighbours): a
 * hugepages= counts the size named last, or the default size before any.
 * What the kernel warns about and ignores (a size named twice, two counts
 * for one size) is an error here.
 */
static int parse_hugetlb(struct pmm_config *cfg, struct cursor *c, const char *k, size_t kl,
			 const char *v, size_t vl, const char *tok, size_t n)
{
	struct pmm_hstate_config *h;
	bool added;
	int i;

	if (key_is(k, kl, "hugepagesz")) {
		if ((i = hstate_of_size(cfg, c, v, vl, tok, n, &added)) < 0)
			return -PMM_EINVAL;
		/* Naming the default size again is how its count is given. */
		if (!added && (i != cfg->default_hstate || cfg->hstates[i].count_set))
			return fail(c, "huge page size named twice: '%.*s'", tok, n);
		cfg->hugetlb_parsed = i;
		return 0;
	}
	if (key_is(k, kl, "default_hugepagesz")) {
		if (cfg->default_hstate >= 0)
			return fail(c, "default_hugepagesz given twice: '%.*s'", tok, n);
		if ((i = hstate_of_size(cfg, c, v, vl, tok, n, &added)) < 0)
			return -PMM_EINVAL;
		cfg->default_hstate = i;
		cfg->hugetlb_parsed = i;
		if (cfg->default_count.count_set) {
			if (cfg->hstates[i].count_set)
				return fail(c, "two hugepages= counts for the default size at '%.*s'", tok,
					    n);
			cfg->default_count.order = cfg->hstates[i].order;
			cfg->hstates[i] = cfg->default_count;
			memset(&cfg->default_count, 0, sizeof(cfg->default_count));
		}
		return 0;
	}
	/* hugepages= */
	h = cfg->hugetlb_parsed >= 0 ? &cfg->hstates[cfg->hugetlb_parsed] : &cfg->default_count;
	if (h->count_set)
		return fail(c, "hugepages= given twice for one size (name the size with hugepagesz= "
			       "first): '%.*s'", tok, n);
	memset(h->nr_node, 0, sizeof(h->nr_node));
	h->nr = 0;
	if (!memchr(v, ':', vl)) {
		long nr;

		if (parse_int(v, vl, 0, 1l << 32, &nr))
			return fail(c, "bad huge page count in '%.*s'", tok, n);
		h->nr = (unsigned long)nr;
	} else {
		for (size_t i0 = 0; i0 < vl;) {
			size_t j = i0, colon;
			long node, nr;

			while (j < vl && v[j] != ',')
				j++;
			colon = i0;
			while (colon < j && v[colon] != ':')
				colon++;
			if (colon == j || parse_int(v + i0, colon - i0, 0, PMM_MAX_NUMNODES - 1, &node) ||
			    parse_int(v + colon + 1, j - colon - 1, 0, 1l << 32, &nr))
				return fail(c, "expected hugepages=N or NODE:N,... in '%.*s'", tok, n);
			if (h->nr_node[node])
				return fail(c, "a node counted twice in '%.*s'", tok, n);
			h->nr_node[node] = (unsigned long)nr;
			h->nr += (unsigned long)nr;
			i0 = j + 1;
		}
	}
	h->count_set = true;
	return 0;
}

/* hotplug=N:START-END[:STATE] */
static int parse_hotplug(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			 const char *tok, size_t n)
{
	uint64_t s, e;
	long iv;
	static const char *const states[] = { "offline", "online", "online_kernel",
					      "online_movable" };
	const char *colon = memchr(v, ':', vl), *st;
	size_t rl;
	unsigned state = PMM_HOTPLUG_OFFLINE;

	if (!colon)
		return fail(c, "expected hotplug=N:START-END[:STATE] in '%.*s'", tok, n);
	if (parse_int(v, (size_t)(colon - v), 0, PMM_MAX_NUMNODES - 1, &iv))
		return fail(c, "bad node id in '%.*s'", tok, n);
	rl = vl - (size_t)(colon - v) - 1;
	st = memchr(colon + 1, ':', rl);
	if (st) {
		size_t sl = (size_t)(v + vl - st - 1);

		for (state = 0; state < 4; state++)
			if (strlen(states[state]) == sl && !memcmp(st + 1, states[state], sl))
				break;
		if (state == 4)
			return fail(c, "hotplug= state must be offline, online, online_kernel or "
				       "online_movable in '%.*s'", tok, n);
		rl = (size_t)(st - colon - 1);
	}
	if (parse_range(colon + 1, rl, &s, &e))
		return fail(c, "bad range in '%.*s'", tok, n);
	if (add_range(cfg->hotplug, &cfg->nr_hotplug, s, e, (int)iv))
		return fail(c, "too many ranges at '%.*s'", tok, n);
	cfg->hotplug_state[cfg->nr_hotplug - 1] = (uint8_t)state;
	return 0;
}

/* backend=anon|memfd|hugetlbfs|file:PATH|fd:N */
static int parse_backend(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			 const char *tok, size_t n)
{
	struct pmm_backend *b = &cfg->backend;
	long fd;

	if (key_is(v, vl, "anon")) {
		b->kind = PMM_BACKEND_ANON;
	} else if (key_is(v, vl, "memfd")) {
		b->kind = PMM_BACKEND_MEMFD;
	} else if (key_is(v, vl, "hugetlbfs")) {
		b->kind = PMM_BACKEND_HUGETLBFS;
	} else if (vl > 5 && !memcmp(v, "file:", 5)) {
		if (vl - 5 >= sizeof(b->path))
			return fail(c, "backend file path too long in '%.*s'", tok, n);
		memset(b->path, 0, sizeof(b->path));
		memcpy(b->path, v + 5, vl - 5);
		b->kind = PMM_BACKEND_FILE;
	} else if (vl > 3 && !memcmp(v, "fd:", 3)) {
		if (parse_int(v + 3, vl - 3, 0, INT_MAX, &fd))
			return fail(c, "bad descriptor in '%.*s'", tok, n);
		b->fd = (int)fd;
		b->kind = PMM_BACKEND_FD;
	} else {
		return fail(c, "backend must be anon, memfd, hugetlbfs, file:PATH or fd:N: '%.*s'", tok,
			    n);
	}
	return 0;
}

/*
 * host_node=N:H.  The host node must exist; the platform that will run the
 * machine says so (a platform without NUMA cannot tell: pmm_create() then
 * refuses the key with -PMM_EOPNOTSUPP).
 */
static int parse_host_node(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			   const char *tok, size_t n)
{
#ifdef PMM_FREESTANDING
	const struct pmm_platform *p = cfg->platform; /* none yet: it cannot tell */
#else
	const struct pmm_platform *p = cfg->platform ? cfg->platform : pmm_platform_posix();
#endif
	const char *colon = memchr(v, ':', vl);
	long nid, host;
	int r;

	if (!colon)
		return fail(c, "expected host_node=N:H in '%.*s'", tok, n);
	if (parse_int(v, (size_t)(colon - v), 0, PMM_MAX_NUMNODES - 1, &nid))
		return fail(c, "bad node id in '%.*s'", tok, n);
	if (parse_int(colon + 1, vl - (size_t)(colon - v) - 1, 0, INT_MAX, &host))
		return fail(c, "bad host node id in '%.*s'", tok, n);
	r = p && p->numa_node_valid ? p->numa_node_valid(p->ctx, (int)host) : -PMM_EOPNOTSUPP;
	if (r && r != -PMM_EOPNOTSUPP) {
		char why[160];

		snprintf(why, sizeof(why), "host node %ld does not exist on this host in '%%.*s'", host);
		return fail(c, why, tok, n);
	}
	cfg->host_node_mask |= 1ull << nid;
	cfg->host_node[nid] = (int)host;
	return 0;
}

/*
 * node_cpus=N:LIST, LIST a kernel cpulist ("0-3,8,10-11").  A CPU named for
 * two different nodes is an error; naming it twice for one node is not.
 * node_cpumask=N:LIST (@mask) only records the CPUs in node N's mask.
 */
static int parse_node_cpus(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			   const char *tok, size_t n, bool mask)
{
	const char *colon = memchr(v, ':', vl), *p, *end = v + vl;
	long nid;

	if (!colon || colon + 1 == end)
		return fail(c, mask ? "expected node_cpumask=N:CPULIST in '%.*s'"
				    : "expected node_cpus=N:CPULIST in '%.*s'", tok, n);
	if (parse_int(v, (size_t)(colon - v), 0, PMM_MAX_NUMNODES - 1, &nid))
		return fail(c, "bad node id in '%.*s'", tok, n);
	if (mask) {
		memset(cfg->node_cpumask[nid], 0, sizeof(cfg->node_cpumask[nid]));
		cfg->node_cpumask_set |= 1ull << nid;
	}
	for (p = colon + 1; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *dash;
		const char *e = comma ? comma : end;
		long lo, hi;

		dash = memchr(p, '-', (size_t)(e - p));
		if (parse_int(p, (size_t)((dash ? dash : e) - p), 0, PMM_MAX_CPUS - 1, &lo) ||
		    (dash && parse_int(dash + 1, (size_t)(e - dash - 1), 0, PMM_MAX_CPUS - 1, &hi)))
			return fail(c, "bad CPU list (CPUs are 0-1023, as in 0-3,8) in '%.*s'", tok, n);
		if (!dash)
			hi = lo;
		if (hi < lo)
			return fail(c, "CPU range ends before it starts in '%.*s'", tok, n);
		for (long cpu = lo; cpu <= hi; cpu++) {
			if (mask) {
				cfg->node_cpumask[nid][cpu / 64] |= 1ull << (cpu % 64);
				continue;
			}
			if (cfg->cpu_node[cpu] && cfg->cpu_node[cpu] != nid + 1)
				return fail(c, "a CPU named for another node already in '%.*s'", tok, n);
			cfg->cpu_node[cpu] = (uint8_t)(nid + 1);
		}
		if (!comma)
			break;
		p = comma + 1;
		if (p == end)
			return fail(c, "CPU list ends with ',' in '%.*s'", tok, n);
	}
	return 0;
}

/* node_distance=N:D0,D1,...: node N's row of the distance table. */
static int parse_node_distance(struct pmm_config *cfg, struct cursor *c, const char *v, size_t vl,
			       const char *tok, size_t n)
{
	const char *colon = memchr(v, ':', vl), *p, *end = v + vl;
	long nid, d;
	int to = 0;

	if (!colon || colon + 1 == end)
		return fail(c, "expected node_distance=N:D0,D1,... in '%.*s'", tok, n);
	if (parse_int(v, (size_t)(colon - v), 0, PMM_MAX_NUMNODES - 1, &nid))
		return fail(c, "bad node id in '%.*s'", tok, n);
	for (p = colon + 1; p <= end; to++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;

		if (to == PMM_MAX_NUMNODES)
			return fail(c, "more distances than nodes in '%.*s'", tok, n);
		if (parse_int(p, (size_t)(e - p), 1, 255, &d))
			return fail(c, "bad distance (1-255) in '%.*s'", tok, n);
		if (to == nid && d != 10)
			return fail(c, "a node's distance to itself is 10 (ACPI SLIT) in '%.*s'", tok, n);
		cfg->node_distance[nid][to] = (uint8_t)d;
		p = e + 1;
	}
	return 0;
}

static int apply(struct pmm_config *cfg, struct cursor *c, const char *tok, size_t n)
{
	const char *eq = memchr(tok, '=', n);
	const char *k = tok, *v;
	size_t kl, vl;
	long iv;
	uint64_t s, e;
	bool b;

	if (!eq)
		return fail(c, "expected key=value, got '%.*s'", tok, n);
	kl = (size_t)(eq - tok);
	v = eq + 1;
	vl = n - kl - 1;

#define BOOLKEY(name, field)                                               \
	if (key_is(k, kl, name)) {                                         \
		if (parse_bool(v, vl, &b))                                 \
			return fail(c, "not a boolean: '%.*s'", tok, n);   \
		cfg->field = b;                                            \
		return 0;                                                  \
	}
/* The value's index among the listed names: 0, 1 for a bool, an enum's values in order. */
#define CHOICEKEY(name, field, ...)                                                 \
	if (key_is(k, kl, name)) {                                                  \
		static const char *const names_[] = { __VA_ARGS__, NULL };           \
		int i_ = parse_choice(c, name, v, vl, names_, tok, n);              \
		if (i_ < 0)                                                          \
			return -PMM_EINVAL;                                          \
		cfg->field = i_;                                                     \
		return 0;                                                            \
	}
#define INTKEY(name, field, lo, hi)                                          \
	if (key_is(k, kl, name)) {                                           \
		int r_ = parse_int(v, vl, lo, hi, &iv);                      \
		if (r_ == -PMM_ERANGE)                                       \
			return fail(c, "value out of range in '%.*s'", tok, n); \
		if (r_)                                                      \
			return fail(c, "not a number: '%.*s'", tok, n);      \
		cfg->field = (__typeof__(cfg->field))iv;                     \
		return 0;                                                    \
	}

	if (key_is(k, kl, "mem")) {
		if (pmm_parse_size(v, vl, &s) || s == 0)
			return fail(c, "bad size in '%.*s'", tok, n);
		cfg->mem_bytes = s;
		return 0;
	}
	INTKEY("nodes", nr_nodes, 1, PMM_MAX_NUMNODES)
	INTKEY("cpus", nr_cpus, 1, PMM_MAX_CPUS)
	if (key_is(k, kl, "node_cpus"))
		return parse_node_cpus(cfg, c, v, vl, tok, n, false);
	if (key_is(k, kl, "node_cpumask"))
		return parse_node_cpus(cfg, c, v, vl, tok, n, true);
	if (key_is(k, kl, "node_distance"))
		return parse_node_distance(cfg, c, v, vl, tok, n);
	if (key_is(k, kl, "node")) {
		const char *colon = memchr(v, ':', vl);
		if (!colon)
			return fail(c, "expected node=N:START-END in '%.*s'", tok, n);
		if (parse_int(v, (size_t)(colon - v), 0, PMM_MAX_NUMNODES - 1, &iv))
			return fail(c, "bad node id in '%.*s'", tok, n);
		if (parse_range(colon + 1, vl - (size_t)(colon - v) - 1, &s, &e))
			return fail(c, "bad range in '%.*s'", tok, n);
		if (add_range(cfg->ranges, &cfg->nr_ranges, s, e, (int)iv))
			return fail(c, "too many ranges at '%.*s'", tok, n);
		return 0;
	}
	if (key_is(k, kl, "late_free"))
		return parse_late_free(cfg, c, v, vl, tok, n);
	if (key_is(k, kl, "hotplug"))
		return parse_hotplug(cfg, c, v, vl, tok, n);
	if (key_is(k, kl, "hugepagesz") || key_is(k, kl, "hugepages") ||
	    key_is(k, kl, "default_hugepagesz"))
		return parse_hugetlb(cfg, c, k, kl, v, vl, tok, n);
	if (key_is(k, kl, "hole") || key_is(k, kl, "reserve")) {
		bool hole = key_is(k, kl, "hole");
		if (parse_range(v, vl, &s, &e))
			return fail(c, "bad range in '%.*s'", tok, n);
		if (hole ? add_range(cfg->holes, &cfg->nr_holes, s, e, -1)
			 : add_range(cfg->reserved, &cfg->nr_reserved, s, e, -1))
			return fail(c, "too many ranges at '%.*s'", tok, n);
		return 0;
	}
	if (key_is(k, kl, "dma") || key_is(k, kl, "dma32")) {
		if (pmm_parse_size(v, vl, &s))
			return fail(c, "bad size in '%.*s'", tok, n);
		if (key_is(k, kl, "dma"))
			cfg->dma_limit = s;
		else
			cfg->dma32_limit = s;
		return 0;
	}
	if (key_is(k, kl, "kernelcore")) {
		if (size_or_percent(v, vl, &cfg->kernelcore, &cfg->kernelcore_percent))
			return fail(c, "bad size or percentage in '%.*s'", tok, n);
		return 0;
	}
	if (key_is(k, kl, "movablecore")) {
		if (size_or_percent(v, vl, &cfg->movablecore, &cfg->movablecore_percent))
			return fail(c, "bad size or percentage in '%.*s'", tok, n);
		return 0;
	}
	INTKEY("min_free_kbytes", min_free_kbytes, 0, 1l << 30)
	INTKEY("watermark_scale_factor", watermark_scale_factor, 1, 3000)
	INTKEY("watermark_boost_factor", watermark_boost_factor, 0, 1l << 30)
	INTKEY("percpu_pagelist_high_fraction", percpu_pagelist_high_fraction, 0, 1l << 30)
	INTKEY("debug_guardpage_minorder", debug_guardpage_minorder, 0, 5)
	INTKEY("seed", seed, 0, LONG_MAX)
	BOOLKEY("page_owner", page_owner)
	BOOLKEY("page_poison", page_poison)
	BOOLKEY("init_on_alloc", init_on_alloc)
	BOOLKEY("init_on_free", init_on_free)
	BOOLKEY("debug_pagealloc", debug_pagealloc)
	BOOLKEY("page_alloc.shuffle", shuffle)
	BOOLKEY("shuffle", shuffle)
	BOOLKEY("pcp", pcp)
	BOOLKEY("deferred_struct_page_init", deferred_struct_page_init)
	BOOLKEY("fatal", fatal)
	if (key_is(k, kl, "lowmem_reserve_ratio")) {
		size_t i = 0, z = 0;
		while (i < vl && z < PMM_NR_ZONES) {
			size_t j = i;
			while (j < vl && v[j] != ',')
				j++;
			if (parse_int(v + i, j - i, 0, INT32_MAX, &iv))
				return fail(c, "bad ratio list in '%.*s'", tok, n);
			cfg->lowmem_reserve_ratio[z++] = (int)iv;
			i = j + 1;
		}
		if (i < vl)
			return fail(c, "too many ratios in '%.*s'", tok, n);
		return 0;
	}
	CHOICEKEY("cpu", cpu_getcpu, "rseq", "getcpu")
	if (key_is(k, kl, "transparent_hugepage")) {
		static const char *const names[] = { "never", "always", "madvise", NULL };
		int i = parse_choice(c, "transparent_hugepage", v, vl, names, tok, n);

		static_assert(PMM_THP_NEVER == 1 && PMM_THP_ALWAYS == 2 && PMM_THP_MADVISE == 3,
			      "transparent_hugepage= names are listed in enum order after NONE");
		if (i < 0)
			return -PMM_EINVAL;
		cfg->thp = (enum pmm_thp)(i + 1);
		return 0;
	}
	/* The names' index is the value stored. */
	static_assert(PMM_MEMMAP_BASE == 0 && PMM_MEMMAP_HUGE == 1 && PMM_MEMMAP_ALTMAP == 2,
		      "memmap= names are listed in enum order");
	CHOICEKEY("memmap", memmap, "base", "huge", "altmap")
	if (key_is(k, kl, "backend"))
		return parse_backend(cfg, c, v, vl, tok, n);
	if (key_is(k, kl, "maxmem")) {
		if (pmm_parse_size(v, vl, &s) || s == 0)
			return fail(c, "bad size in '%.*s'", tok, n);
		/* Here for file:line; pmm_create() checks a config built in C. */
		static_assert(PMM_MAXMEM_LIMIT == 64ull << 40, "the message names 64 TiB");
		if (s > PMM_MAXMEM_LIMIT)
			return fail(c, "maxmem beyond the 64 TiB physical address limit: '%.*s'", tok, n);
		cfg->maxmem = s;
		return 0;
	}
	if (key_is(k, kl, "host_node"))
		return parse_host_node(cfg, c, v, vl, tok, n);
	CHOICEKEY("page_owner_stack", page_owner_caller_stacks, "kernel", "caller")
	CHOICEKEY("host_bind", host_bind_memmap_only, "all", "memmap")
#undef BOOLKEY
#undef CHOICEKEY
#undef INTKEY
	return fail(c, "unknown key in '%.*s'", tok, n);
}

int pmm_config_parse(struct pmm_config *cfg, const char *text, size_t len, const char *filename,
		     char *err, size_t errlen)
{
	struct cursor c = { .file = filename ? filename : "<config>", .line = 1,
			    .err = err, .errlen = errlen };
	size_t i = 0;

	if (!cfg || (!text && len))
		return fail(&c, "no config to parse into, or no text%.*s", "", 0);
	/* A UTF-8 byte order mark, as some editors start a file with. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len) {
		size_t start;
		int r;

		if (text[i] == '\n') {
			c.line++;
			i++;
			continue;
		}
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\r') {
			i++;
			continue;
		}
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i] == '\0' || (unsigned char)text[i] < 0x20)
			return fail(&c, "binary data in config%.*s", "", 0);
		start = i;
		while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		       text[i] != '\r' && text[i] != '#')
			i++;
		r = apply(cfg, &c, text + start, i - start);
		if (r)
			return r;
	}
	return 0;
}

#ifndef PMM_FREESTANDING /* files are the hosted side's */
int pmm_config_load(struct pmm_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int r;

	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -PMM_ENOENT;
	}
	for (;;) {
		if (n == cap) {
			char *nb;
			cap = cap ? cap * 2 : 4096;
			if (cap > (1u << 24)) {
				free(buf);
				fclose(f);
				if (err && errlen)
					snprintf(err, errlen, "%s: config file too large", path);
				return -PMM_EINVAL;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -PMM_ENOMEM;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (!got) {
			if (ferror(f)) {
				/* a directory opens, then fails here with EISDIR */
				r = errno == EISDIR ? -PMM_EISDIR : -PMM_EIO;
				if (err && errlen)
					snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
				free(buf);
				fclose(f);
				return r;
			}
			break;
		}
		n += got;
	}
	fclose(f);
	r = pmm_config_parse(cfg, buf, n, path, err, errlen);
	free(buf);
	return r;
}
#endif
