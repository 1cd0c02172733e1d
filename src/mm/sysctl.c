// SPDX-License-Identifier: MIT
/*
 * The vm sysctls that shape the allocator, with the kernel's checks and
 * side effects: min_free_kbytes and watermark_scale_factor recompute the
 * watermarks (and per-CPU high/batch, which derive from them);
 * lowmem_reserve_ratio recomputes the reserves.  Locking: m->sysctl_lock.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/hugetlb.h>

#include "mm/hugetlb.h"
#include "mm/internal.h"
#include "mm/pcp.h"

static bool proc_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * proc_dointvec()'s write of a vector of @n ints: values separated by
 * blanks, tabs or newlines, each within int; fewer than @n leave the rest
 * as in @old, and input after the @n-th is ignored.  Unlike the kernel's,
 * nothing is stored unless the whole value parses (-PMM_EINVAL; none at
 * all is an error too).
 */
static int parse_int_vector(const char *v, int *out, int n, const int *old)
{
	int got = 0;

	memcpy(out, old, (size_t)n * sizeof(*out));
	if (!v)
		return -PMM_EINVAL;
	while (got < n) {
		bool neg;
		int64_t x = 0;

		while (proc_space(*v))
			v++;
		if (!*v)
			break;
		/* proc_get_long(): digits, maybe after one '-', then a separator or the end. */
		neg = *v == '-';
		v += neg;
		if (*v < '0' || *v > '9')
			return -PMM_EINVAL;
		for (; *v >= '0' && *v <= '9'; v++) {
			x = x * 10 + (*v - '0');
			if (x > (int64_t)INT32_MAX + neg)
				return -PMM_EINVAL;
		}
		if (*v && !proc_space(*v))
			return -PMM_EINVAL;
		out[got++] = (int)(neg ? -x : x);
	}
	return got ? 0 : -PMM_EINVAL;
}

/* A scalar int sysctl's value, as parse_int_vector() takes one. */
static int parse_long(const char *v, long *out)
{
	int x, none = 0;
	int err = parse_int_vector(v, &x, 1, &none);

	*out = x;
	return err;
}

/*
 * proc_doulongvec_minmax()'s write of one unsigned long: decimal digits
 * between blanks; a sign, another character or a value past ULONG_MAX is
 * -PMM_EINVAL (so is nothing at all).
 */
static int parse_ulong(const char *v, unsigned long *out)
{
	unsigned long x = 0;

	if (!v)
		return -PMM_EINVAL;
	while (proc_space(*v))
		v++;
	if (*v < '0' || *v > '9')
		return -PMM_EINVAL;
	for (; *v >= '0' && *v <= '9'; v++) {
		if (x > (ULONG_MAX - (unsigned long)(*v - '0')) / 10)
			return -PMM_EINVAL;
		x = x * 10 + (unsigned long)(*v - '0');
	}
	if (*v && !proc_space(*v))
		return -PMM_EINVAL;
	*out = x;
	return 0;
}

/*
 * The huge page sysctls, for the default size: nr_hugepages resizes the
 * pool (hugetlb_sysctl_handler()), nr_overcommit_hugepages sets its
 * surplus allowance.  nr_hugepages_mempolicy resizes it over the nodes the
 * writer's memory policy allows (hugetlb_mempolicy_sysctl_handler()); pmm
 * has no tasks and so no policy, and the kernel's default policy allows
 * every node with memory: it is nr_hugepages.  Not under the sysctl lock:
 * a resize allocates, and the pool has its own locks.  1 for the size
 * itself, 0 for the surplus allowance, -PMM_ENOENT for none of them.
 */
static int hugetlb_sysctl(const char *name)
{
	if (!strcmp(name, "nr_hugepages") || !strcmp(name, "nr_hugepages_mempolicy"))
		return 1;
	return strcmp(name, "nr_overcommit_hugepages") ? -PMM_ENOENT : 0;
}

static int hugetlb_sysctl_write(struct pmm *m, const char *name, const char *value)
{
	unsigned long v;
	unsigned order = hugetlb_default_order(m);
	int which = hugetlb_sysctl(name);

	if (which < 0)
		return which;
	if (parse_ulong(value, &v))
		return -PMM_EINVAL;
	if (which)
		return pmm_hugetlb_resize(m, order, PMM_NUMA_NO_NODE, v);
	return pmm_hugetlb_set_overcommit(m, order, v);
}

static int hugetlb_sysctl_read(struct pmm *m, const char *name, char *buf, size_t size)
{
	struct pmm_hugetlb_counts c;
	int which = hugetlb_sysctl(name), err;

	if (which < 0)
		return which;
	err = pmm_hugetlb_counts(m, hugetlb_default_order(m), PMM_NUMA_NO_NODE, &c);
	if (err)
		return err;
	return snprintf(buf, size, "%lu\n", which ? c.max : c.nr_overcommit);
}

/* min_free_kbytes and watermark_scale_factor handlers: setup_per_zone_wmarks() only. */
static void recompute(struct pmm *m)
{
	setup_per_zone_wmarks(m);
	zone_pcp_update_all(m);
}

int pmm_sysctl_write(struct pmm *m, const char *name, const char *value)
{
	long v;
	int err = hugetlb_sysctl_write(m, name, value);

	if (err != -PMM_ENOENT)
		return err;
	err = 0;
	pmm_lock(&m->sysctl_lock);
	if (!strcmp(name, "min_free_kbytes")) {
		if ((err = parse_long(value, &v)) || v < 0 || v > (1l << 30)) {
			err = -PMM_EINVAL;
			goto out;
		}
		m->min_free_kbytes = (int)v;
		m->user_min_free_kbytes = (int)v;
		recompute(m);
	} else if (!strcmp(name, "watermark_scale_factor")) {
		if ((err = parse_long(value, &v)) || v < 1 || v > 3000) {
			err = -PMM_EINVAL;
			goto out;
		}
		m->watermark_scale_factor = (int)v;
		recompute(m);
	} else if (!strcmp(name, "watermark_boost_factor")) {
		if ((err = parse_long(value, &v)) || v < 0 || v > INT32_MAX) {
			err = -PMM_EINVAL;
			goto out;
		}
		m->watermark_boost_factor = (int)v;
	} else if (!strcmp(name, "percpu_pagelist_high_fraction")) {
		if ((err = parse_long(value, &v)) || (v != 0 && v < 8) || v > INT32_MAX) {
			err = -PMM_EINVAL;
			goto out;
		}
		m->percpu_pagelist_high_fraction = (int)v;
		zone_pcp_update_all(m);
	} else if (!strcmp(name, "lowmem_reserve_ratio")) {
		int ratio[MAX_NR_ZONES];

		if ((err = parse_int_vector(value, ratio, MAX_NR_ZONES, m->lowmem_reserve_ratio)))
			goto out;
		/* lowmem_reserve_ratio_sysctl_handler(): below 1 means no reserve. */
		for (int i = 0; i < MAX_NR_ZONES; i++)
			m->lowmem_reserve_ratio[i] = ratio[i] < 1 ? 0 : ratio[i];
		setup_per_zone_lowmem_reserve(m);
	} else {
		err = -PMM_ENOENT;
	}
out:
	pmm_unlock(&m->sysctl_lock);
	return err;
}

int pmm_sysctl_read(struct pmm *m, const char *name, char *buf, size_t size)
{
	int n = hugetlb_sysctl_read(m, name, buf, size);

	if (n != -PMM_ENOENT)
		return n;
	pmm_lock(&m->sysctl_lock);
	if (!strcmp(name, "min_free_kbytes"))
		n = snprintf(buf, size, "%d\n", m->min_free_kbytes);
	else if (!strcmp(name, "watermark_scale_factor"))
		n = snprintf(buf, size, "%d\n", m->watermark_scale_factor);
	else if (!strcmp(name, "watermark_boost_factor"))
		n = snprintf(buf, size, "%d\n", m->watermark_boost_factor);
	else if (!strcmp(name, "percpu_pagelist_high_fraction"))
		n = snprintf(buf, size, "%d\n", m->percpu_pagelist_high_fraction);
	else if (!strcmp(name, "lowmem_reserve_ratio"))
		n = snprintf(buf, size, "%d\t%d\t%d\t%d\t%d\n", m->lowmem_reserve_ratio[0],
			     m->lowmem_reserve_ratio[1], m->lowmem_reserve_ratio[2],
			     m->lowmem_reserve_ratio[3], m->lowmem_reserve_ratio[4]);
	else
		n = -PMM_ENOENT;
	pmm_unlock(&m->sysctl_lock);
	return n;
}
