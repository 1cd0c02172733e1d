// SPDX-License-Identifier: MIT
/*
 * Kernel-style messages: formatted into a stack buffer and handed to the
 * machine's log sink in one call, so concurrent messages never interleave
 * within a line.  Also the ratelimit helper and bookkeeping allocations.
 */
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"

void pmm_vprintk(struct pmm *m, int level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (m->cfg.log)
		m->cfg.log(m->cfg.log_ctx, level, buf);
	else
		m->plat->log(m->plat->ctx, level, buf);
}

void pmm_printk(struct pmm *m, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pmm_vprintk(m, level, fmt, ap);
	va_end(ap);
}

/* ___ratelimit(): at most @burst messages per @interval; counts the rest. */
bool ratelimit_ok(struct pmm *m, struct ratelimit *rs)
{
	uint64_t now = m->plat->clock_ns(m->plat->ctx);
	bool ok;

	if (!rs->interval)
		return true;
	/* Several threads may fail allocations at once; like the kernel, a busy state says no. */
	if (__atomic_exchange_n(&rs->busy, 1, __ATOMIC_ACQUIRE))
		return false;
	if (!rs->begin || now - rs->begin > rs->interval) {
		rs->begin = now;
		rs->printed = 0;
	}
	ok = rs->printed < rs->burst;
	if (ok)
		rs->printed++;
	else
		rs->missed++;
	__atomic_store_n(&rs->busy, 0, __ATOMIC_RELEASE);
	return ok;
}

void *pmm_zalloc(struct pmm *m, size_t size)
{
	return m->plat->alloc(m->plat->ctx, size);
}

void pmm_free(struct pmm *m, void *p, size_t size)
{
	if (p)
		m->plat->free(m->plat->ctx, p, size);
}
