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

	if (!rs->interval)
		return true;
	if (!rs->begin || now - rs->begin > rs->interval) {
		rs->begin = now;
		rs->printed = 0;
	}
	if (rs->printed < rs->burst) {
		rs->printed++;
		return true;
	}
	rs->missed++;
	return false;
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
