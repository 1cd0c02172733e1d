// SPDX-License-Identifier: MIT
/*
 * gfp masks as text: the kernel's %pGg / show_gfp_flags() spelling and its
 * inverse.
 *
 * Printing follows format_flags() in lib/vsprintf.c: walk a name table in
 * order, print every entry whose whole mask is still set, clear those bits,
 * and print what no name covers as one trailing 0x... number.  The table
 * order decides the text (6.1 prints "GFP_KERNEL|__GFP_COMP|__GFP_ZERO",
 * 6.12 "GFP_KERNEL|__GFP_ZERO|__GFP_COMP"), so each kernel version has its
 * own table, transcribed from include/trace/events/mmflags.h of that version
 * (reference §2.10).
 *
 * Invariants: every table entry has a nonzero mask (the parser's extra
 * names of bits pmm does not model, and of older kernels' bits with no
 * 6.1 effect, excepted); values are the 6.1 bit
 * values of <pmm/gfp.h>, which did not move through 6.12.
 * Locking: none; everything here is pure and reentrant.
 */
#include "report/gfp_format.h"

#include <pmm/errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct gfp_name {
	const char *name;
	unsigned char len;
	pmm_gfp_t mask;
};

#define N(name, mask) { #name, sizeof(#name) - 1, (mask) }

/* 6.1 gfpflag_names[] order (__def_gfpflag_names). */
static const struct gfp_name gfp_names_6_1[] = {
	N(GFP_TRANSHUGE, PMM_GFP_TRANSHUGE),
	N(GFP_TRANSHUGE_LIGHT, PMM_GFP_TRANSHUGE_LIGHT),
	N(GFP_HIGHUSER_MOVABLE, PMM_GFP_HIGHUSER_MOVABLE),
	N(GFP_HIGHUSER, PMM_GFP_HIGHUSER),
	N(GFP_USER, PMM_GFP_USER),
	N(GFP_KERNEL_ACCOUNT, PMM_GFP_KERNEL_ACCOUNT),
	N(GFP_KERNEL, PMM_GFP_KERNEL),
	N(GFP_NOFS, PMM_GFP_NOFS),
	N(GFP_ATOMIC, PMM___GFP_HIGH | PMM___GFP_ATOMIC | PMM___GFP_KSWAPD_RECLAIM),
	N(GFP_NOIO, PMM_GFP_NOIO),
	N(GFP_NOWAIT, PMM___GFP_KSWAPD_RECLAIM),
	N(GFP_DMA, PMM_GFP_DMA),
	N(__GFP_HIGHMEM, PMM___GFP_HIGHMEM),
	N(GFP_DMA32, PMM_GFP_DMA32),
	N(__GFP_HIGH, PMM___GFP_HIGH),
	N(__GFP_ATOMIC, PMM___GFP_ATOMIC),
	N(__GFP_IO, PMM___GFP_IO),
	N(__GFP_FS, PMM___GFP_FS),
	N(__GFP_NOWARN, PMM___GFP_NOWARN),
	N(__GFP_RETRY_MAYFAIL, PMM___GFP_RETRY_MAYFAIL),
	N(__GFP_NOFAIL, PMM___GFP_NOFAIL),
	N(__GFP_NORETRY, PMM___GFP_NORETRY),
	N(__GFP_COMP, PMM___GFP_COMP),
	N(__GFP_ZERO, PMM___GFP_ZERO),
	N(__GFP_NOMEMALLOC, PMM___GFP_NOMEMALLOC),
	N(__GFP_MEMALLOC, PMM___GFP_MEMALLOC),
	N(__GFP_HARDWALL, PMM___GFP_HARDWALL),
	N(__GFP_THISNODE, PMM___GFP_THISNODE),
	N(__GFP_RECLAIMABLE, PMM___GFP_RECLAIMABLE),
	N(__GFP_MOVABLE, PMM___GFP_MOVABLE),
	N(__GFP_ACCOUNT, PMM___GFP_ACCOUNT),
	N(__GFP_WRITE, PMM___GFP_WRITE),
	N(__GFP_RECLAIM, PMM___GFP_RECLAIM),
	N(__GFP_DIRECT_RECLAIM, PMM___GFP_DIRECT_RECLAIM),
	N(__GFP_KSWAPD_RECLAIM, PMM___GFP_KSWAPD_RECLAIM),
	N(__GFP_ZEROTAGS, PMM___GFP_ZEROTAGS),
};

/* 6.3 .. 6.7 (6.6's): the 6.1 order without __GFP_ATOMIC; GFP_ATOMIC lost that bit. */
static const struct gfp_name gfp_names_6_6[] = {
	N(GFP_TRANSHUGE, PMM_GFP_TRANSHUGE),
	N(GFP_TRANSHUGE_LIGHT, PMM_GFP_TRANSHUGE_LIGHT),
	N(GFP_HIGHUSER_MOVABLE, PMM_GFP_HIGHUSER_MOVABLE),
	N(GFP_HIGHUSER, PMM_GFP_HIGHUSER),
	N(GFP_USER, PMM_GFP_USER),
	N(GFP_KERNEL_ACCOUNT, PMM_GFP_KERNEL_ACCOUNT),
	N(GFP_KERNEL, PMM_GFP_KERNEL),
	N(GFP_NOFS, PMM_GFP_NOFS),
	N(GFP_ATOMIC, PMM___GFP_HIGH | PMM___GFP_KSWAPD_RECLAIM),
	N(GFP_NOIO, PMM_GFP_NOIO),
	N(GFP_NOWAIT, PMM___GFP_KSWAPD_RECLAIM),
	N(GFP_DMA, PMM_GFP_DMA),
	N(__GFP_HIGHMEM, PMM___GFP_HIGHMEM),
	N(GFP_DMA32, PMM_GFP_DMA32),
	N(__GFP_HIGH, PMM___GFP_HIGH),
	N(__GFP_IO, PMM___GFP_IO),
	N(__GFP_FS, PMM___GFP_FS),
	N(__GFP_NOWARN, PMM___GFP_NOWARN),
	N(__GFP_RETRY_MAYFAIL, PMM___GFP_RETRY_MAYFAIL),
	N(__GFP_NOFAIL, PMM___GFP_NOFAIL),
	N(__GFP_NORETRY, PMM___GFP_NORETRY),
	N(__GFP_COMP, PMM___GFP_COMP),
	N(__GFP_ZERO, PMM___GFP_ZERO),
	N(__GFP_NOMEMALLOC, PMM___GFP_NOMEMALLOC),
	N(__GFP_MEMALLOC, PMM___GFP_MEMALLOC),
	N(__GFP_HARDWALL, PMM___GFP_HARDWALL),
	N(__GFP_THISNODE, PMM___GFP_THISNODE),
	N(__GFP_RECLAIMABLE, PMM___GFP_RECLAIMABLE),
	N(__GFP_MOVABLE, PMM___GFP_MOVABLE),
	N(__GFP_ACCOUNT, PMM___GFP_ACCOUNT),
	N(__GFP_WRITE, PMM___GFP_WRITE),
	N(__GFP_RECLAIM, PMM___GFP_RECLAIM),
	N(__GFP_DIRECT_RECLAIM, PMM___GFP_DIRECT_RECLAIM),
	N(__GFP_KSWAPD_RECLAIM, PMM___GFP_KSWAPD_RECLAIM),
	N(__GFP_ZEROTAGS, PMM___GFP_ZEROTAGS),
};

/* 6.12+: composites, then every single bit in bit order (generated from the enum). */
static const struct gfp_name gfp_names_6_12[] = {
	N(GFP_TRANSHUGE, PMM_GFP_TRANSHUGE),
	N(GFP_TRANSHUGE_LIGHT, PMM_GFP_TRANSHUGE_LIGHT),
	N(GFP_HIGHUSER_MOVABLE, PMM_GFP_HIGHUSER_MOVABLE),
	N(GFP_HIGHUSER, PMM_GFP_HIGHUSER),
	N(GFP_USER, PMM_GFP_USER),
	N(GFP_KERNEL_ACCOUNT, PMM_GFP_KERNEL_ACCOUNT),
	N(GFP_KERNEL, PMM_GFP_KERNEL),
	N(GFP_NOFS, PMM_GFP_NOFS),
	N(GFP_ATOMIC, PMM___GFP_HIGH | PMM___GFP_KSWAPD_RECLAIM),
	N(GFP_NOIO, PMM_GFP_NOIO),
	N(GFP_NOWAIT, PMM___GFP_KSWAPD_RECLAIM | PMM___GFP_NOWARN),
	N(GFP_DMA, PMM_GFP_DMA),
	N(GFP_DMA32, PMM_GFP_DMA32),
	N(__GFP_RECLAIM, PMM___GFP_RECLAIM),
	N(__GFP_DMA, PMM___GFP_DMA),
	N(__GFP_HIGHMEM, PMM___GFP_HIGHMEM),
	N(__GFP_DMA32, PMM___GFP_DMA32),
	N(__GFP_MOVABLE, PMM___GFP_MOVABLE),
	N(__GFP_RECLAIMABLE, PMM___GFP_RECLAIMABLE),
	N(__GFP_HIGH, PMM___GFP_HIGH),
	N(__GFP_IO, PMM___GFP_IO),
	N(__GFP_FS, PMM___GFP_FS),
	N(__GFP_ZERO, PMM___GFP_ZERO),
	N(__GFP_DIRECT_RECLAIM, PMM___GFP_DIRECT_RECLAIM),
	N(__GFP_KSWAPD_RECLAIM, PMM___GFP_KSWAPD_RECLAIM),
	N(__GFP_WRITE, PMM___GFP_WRITE),
	N(__GFP_NOWARN, PMM___GFP_NOWARN),
	N(__GFP_RETRY_MAYFAIL, PMM___GFP_RETRY_MAYFAIL),
	N(__GFP_NOFAIL, PMM___GFP_NOFAIL),
	N(__GFP_NORETRY, PMM___GFP_NORETRY),
	N(__GFP_MEMALLOC, PMM___GFP_MEMALLOC),
	N(__GFP_COMP, PMM___GFP_COMP),
	N(__GFP_NOMEMALLOC, PMM___GFP_NOMEMALLOC),
	N(__GFP_HARDWALL, PMM___GFP_HARDWALL),
	N(__GFP_THISNODE, PMM___GFP_THISNODE),
	N(__GFP_ACCOUNT, PMM___GFP_ACCOUNT),
	N(__GFP_ZEROTAGS, PMM___GFP_ZEROTAGS),
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct gfp_name *gfp_table(enum pmm_kver kver, size_t *n)
{
	switch (kver) {
	case PMM_KVER_6_6:
		*n = ARRAY_SIZE(gfp_names_6_6);
		return gfp_names_6_6;
	case PMM_KVER_6_12:
		*n = ARRAY_SIZE(gfp_names_6_12);
		return gfp_names_6_12;
	case PMM_KVER_6_1:
	default:
		*n = ARRAY_SIZE(gfp_names_6_1);
		return gfp_names_6_1;
	}
}

static size_t put(char *buf, size_t size, size_t pos, const char *s, size_t len)
{
	if (pos < size) {
		size_t room = size - 1 - pos;

		memcpy(buf + pos, s, len < room ? len : room);
	}
	return pos + len;
}

size_t gfp_format_append(char *buf, size_t size, size_t pos, pmm_gfp_t gfp, enum pmm_kver kver)
{
	const struct gfp_name *t;
	size_t n, i;

	t = gfp_table(kver, &n);
	for (i = 0; i < n && gfp; i++) {
		if ((gfp & t[i].mask) != t[i].mask)
			continue;
		pos = put(buf, size, pos, t[i].name, t[i].len);
		gfp &= ~t[i].mask;
		if (gfp)
			pos = put(buf, size, pos, "|", 1);
	}
	if (gfp) {
		char hex[2 + 16];
		size_t len = 0;
		int shift;

		hex[len++] = '0';
		hex[len++] = 'x';
		for (shift = 28; shift > 0 && !(gfp >> shift); shift -= 4)
			;
		for (; shift >= 0; shift -= 4)
			hex[len++] = "0123456789abcdef"[(gfp >> shift) & 0xf];
		pos = put(buf, size, pos, hex, len);
	}
	return pos;
}

static size_t terminate(char *buf, size_t size, size_t pos)
{
	if (size)
		buf[pos < size ? pos : size - 1] = '\0';
	return pos;
}

size_t pmm_gfp_format(char *buf, size_t size, pmm_gfp_t gfp, enum pmm_kver kver)
{
	return terminate(buf, size, gfp_format_append(buf, size, 0, gfp, kver));
}

size_t pmm_gfp_format_trace(char *buf, size_t size, pmm_gfp_t gfp, enum pmm_kver kver)
{
	if (!gfp)
		return terminate(buf, size, put(buf, size, 0, "none", 4));
	return pmm_gfp_format(buf, size, gfp, kver);
}

/*
 * Names accepted by the parser.  Names that every table spells the same way
 * take their value from any table; only GFP_ATOMIC and GFP_NOWAIT differ,
 * and __GFP_ATOMIC and __GFP_DMA/__GFP_DMA32 exist in some tables only.
 */
static int lookup_name(const char *s, size_t len, enum pmm_kver kver, pmm_gfp_t *out)
{
	/*
	 * The last ones are printed by kernels configured for them and decide
	 * nothing in the allocator pmm models, so they add no bit: KASAN's
	 * (CONFIG_KASAN_HW_TAGS: 5.17-6.2 SKIP_ZERO, SKIP_KASAN_POISON and
	 * SKIP_KASAN_UNPOISON, 6.3+ SKIP_KASAN), lockdep's (6.12+; a number
	 * before) and the slab's object extensions (6.12+, CONFIG_SLAB_OBJ_EXT).
	 */
	static const struct gfp_name extra[] = {
		N(__GFP_ATOMIC, PMM___GFP_ATOMIC),
		N(__GFP_DMA, PMM___GFP_DMA),
		N(__GFP_DMA32, PMM___GFP_DMA32),
		N(__GFP_SKIP_ZERO, 0),
		N(__GFP_SKIP_KASAN_POISON, 0),
		N(__GFP_SKIP_KASAN_UNPOISON, 0),
		N(__GFP_SKIP_KASAN, 0),
		N(__GFP_NOLOCKDEP, 0),
		N(__GFP_NO_OBJ_EXT, 0),
	};
	/*
	 * What Linux 4.19 and older print (mmflags.h since 4.6, gfpflags.h
	 * before), with its 6.1 meaning: __GFP_WAIT was direct reclaim (4.4
	 * split it), __GFP_REPEAT became __GFP_RETRY_MAYFAIL (4.13),
	 * __GFP_KMEMCG was the memcg charge __GFP_ACCOUNT is now (3.8-3.17),
	 * GFP_TEMPORARY (to 4.14) was GFP_KERNEL|__GFP_RECLAIMABLE and
	 * GFP_IOFS (to 4.3) __GFP_IO|__GFP_FS.  No bit of 6.1 for those it
	 * removed with their effect: __GFP_COLD (4.15; the cold end of the
	 * per-CPU list), __GFP_NOTRACK (4.15; kmemcheck), __GFP_OTHER_NODE
	 * (4.10; NUMA statistics) and __GFP_NOACCOUNT (4.2-4.4).
	 * __GFP_NO_KSWAPD (to 4.3) is no bit either: 6.1 says "do not wake
	 * kswapd" by a missing __GFP_KSWAPD_RECLAIM, and gfp_parse_kver()
	 * clears that.  Before 4.6 the single bits were spelt without the
	 * "__"; those spellings follow.
	 */
	static const struct gfp_name older[] = {
		N(GFP_TEMPORARY, PMM_GFP_KERNEL | PMM___GFP_RECLAIMABLE),
		N(GFP_IOFS, PMM___GFP_IO | PMM___GFP_FS),
		N(__GFP_WAIT, PMM___GFP_DIRECT_RECLAIM),
		N(__GFP_REPEAT, PMM___GFP_RETRY_MAYFAIL),
		N(__GFP_KMEMCG, PMM___GFP_ACCOUNT),
		N(__GFP_COLD, 0),
		N(__GFP_NOTRACK, 0),
		N(__GFP_OTHER_NODE, 0),
		N(__GFP_NO_KSWAPD, 0),
		N(__GFP_NOACCOUNT, 0),
		N(GFP_HIGH, PMM___GFP_HIGH),
		N(GFP_WAIT, PMM___GFP_DIRECT_RECLAIM),
		N(GFP_IO, PMM___GFP_IO),
		N(GFP_COLD, 0),
		N(GFP_NOWARN, PMM___GFP_NOWARN),
		N(GFP_REPEAT, PMM___GFP_RETRY_MAYFAIL),
		N(GFP_NOFAIL, PMM___GFP_NOFAIL),
		N(GFP_NORETRY, PMM___GFP_NORETRY),
		N(GFP_COMP, PMM___GFP_COMP),
		N(GFP_ZERO, PMM___GFP_ZERO),
		N(GFP_NOMEMALLOC, PMM___GFP_NOMEMALLOC),
		N(GFP_MEMALLOC, PMM___GFP_MEMALLOC),
		N(GFP_HARDWALL, PMM___GFP_HARDWALL),
		N(GFP_THISNODE, PMM___GFP_THISNODE),
		N(GFP_RECLAIMABLE, PMM___GFP_RECLAIMABLE),
		N(GFP_MOVABLE, PMM___GFP_MOVABLE),
		N(GFP_NOTRACK, 0),
		N(GFP_NO_KSWAPD, 0),
		N(GFP_OTHER_NODE, 0),
		N(GFP_KMEMCG, PMM___GFP_ACCOUNT),
		N(GFP_DIRECT_RECLAIM, PMM___GFP_DIRECT_RECLAIM),
		N(GFP_KSWAPD_RECLAIM, PMM___GFP_KSWAPD_RECLAIM),
	};
	static const struct {
		const struct gfp_name *t;
		size_t n;
	} more[] = { { extra, ARRAY_SIZE(extra) }, { older, ARRAY_SIZE(older) } };
	const struct gfp_name *t;
	size_t n, i, k;

	t = gfp_table(kver, &n);
	for (i = 0; i < n; i++) {
		if (t[i].len == len && memcmp(t[i].name, s, len) == 0) {
			*out = t[i].mask;
			return 0;
		}
	}
	for (k = 0; k < ARRAY_SIZE(more); k++) {
		for (i = 0; i < more[k].n; i++) {
			if (more[k].t[i].len == len && memcmp(more[k].t[i].name, s, len) == 0) {
				*out = more[k].t[i].mask;
				return 0;
			}
		}
	}
	return -PMM_EINVAL;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Strict unsigned number that must fit in 32 bits: 0x-hex or decimal. */
static int parse_number(const char *s, size_t len, pmm_gfp_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	unsigned base = 10;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -PMM_EINVAL;
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -PMM_EINVAL;
		v = v * base + d;
		if (v > UINT32_MAX)
			return -PMM_EINVAL;
	}
	*out = (pmm_gfp_t)v;
	return 0;
}

/* Does @tok name __GFP_NO_KSWAPD, in either spelling? */
static bool is_no_kswapd(const char *tok, size_t len)
{
	static const char name[] = "__GFP_NO_KSWAPD";

	return (len == sizeof(name) - 1 && memcmp(tok, name, len) == 0) ||
	       (len == sizeof(name) - 3 && memcmp(tok, name + 2, len) == 0);
}

int gfp_parse_kver(const char *text, size_t len, enum pmm_kver kver, pmm_gfp_t *out)
{
	pmm_gfp_t mask = 0, clear = 0;
	size_t pos = 0;

	if (!text || !out)
		return -PMM_EINVAL;
	while (len && is_space(text[len - 1]))
		len--;
	while (pos < len && is_space(text[pos]))
		pos++;
	if (pos == len)
		return -PMM_EINVAL;
	if (len - pos == 4 && memcmp(text + pos, "none", 4) == 0) {
		*out = 0;
		return 0;
	}
	for (;;) {
		const char *tok = text + pos;
		const char *bar = memchr(tok, '|', len - pos);
		size_t tlen = bar ? (size_t)(bar - tok) : len - pos;
		pmm_gfp_t v;

		while (tlen && is_space(tok[tlen - 1]))
			tlen--;
		while (tlen && is_space(*tok)) {
			tok++;
			tlen--;
		}
		if (tlen == 0)
			return -PMM_EINVAL;
		if (tok[0] >= '0' && tok[0] <= '9') {
			if (parse_number(tok, tlen, &v))
				return -PMM_EINVAL;
		} else {
			if (tlen > 4 && (memcmp(tok, "PMM_", 4) == 0 || memcmp(tok, "pmm_", 4) == 0)) {
				tok += 4;
				tlen -= 4;
			}
			if (lookup_name(tok, tlen, kver, &v))
				return -PMM_EINVAL;
			if (is_no_kswapd(tok, tlen))
				clear |= PMM___GFP_KSWAPD_RECLAIM;
		}
		mask |= v;
		if (!bar)
			break;
		pos = (size_t)(bar - text) + 1;
	}
	*out = mask & ~clear;
	return 0;
}

/* A decimal below 1000 at *@s, at least one digit; moves *@s past it. */
static bool release_number(const char **s, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (**s >= '0' && **s <= '9') {
		v = v * 10 + (unsigned)(**s - '0');
		if (++digits > 3)
			return false;
		(*s)++;
	}
	*out = v;
	return digits > 0;
}

int pmm_kver_from_release(const char *release, enum pmm_kver *out)
{
	const char *s = release;
	unsigned major, minor;

	if (!s || !out)
		return -PMM_EINVAL;
	if (strncmp(s, "Linux ", 6) == 0)
		s += 6;
	if (*s == 'v')
		s++;
	if (!release_number(&s, &major) || *s++ != '.' || !release_number(&s, &minor))
		return -PMM_EINVAL;
	if (major < 6 || (major == 6 && minor < 3))
		*out = PMM_KVER_6_1;
	else if (major == 6 && minor < 8)
		*out = PMM_KVER_6_6;
	else
		*out = PMM_KVER_6_12;
	return 0;
}

int pmm_gfp_parse(const char *text, size_t len, pmm_gfp_t *out)
{
	return gfp_parse_kver(text, len, PMM_KVER_6_1, out);
}

#undef N
