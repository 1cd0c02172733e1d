// SPDX-License-Identifier: MIT
/*
 * The fault-injecting platform: forwards to a base platform and fails the
 * N-th counted reservation, commit or allocation (SQLite's faultsim idea);
 * opening a memory file counts as a reservation, mapping it as a commit.
 * It also counts what is outstanding so tests can prove nothing leaked.
 * Not thread-safe by design: fault sweeps run single-threaded.
 */
#include <stdio.h>

#include <pmm/errno.h>
#include <pmm/platform.h>

#include "platform/platform.h"

static struct pmm_platform_faulty *F(void *ctx)
{
	return ctx;
}

static int should_fail(struct pmm_platform_faulty *f, unsigned op)
{
	if (!(f->mask & op))
		return 0;
	f->calls++;
	if (f->fail_nth && f->calls == f->fail_nth) {
		f->failures++;
		return 1;
	}
	return 0;
}

static void *faulty_reserve(void *ctx, size_t size, size_t align)
{
	struct pmm_platform_faulty *f = F(ctx);
	void *p;

	if (should_fail(f, PMM_FAULT_RESERVE))
		return NULL;
	p = f->base->reserve(f->base->ctx, size, align);
	if (p) {
		f->outstanding++;
		f->outstanding_bytes += size;
	}
	return p;
}

static void faulty_release(void *ctx, void *addr, size_t size)
{
	struct pmm_platform_faulty *f = F(ctx);

	f->outstanding--;
	f->outstanding_bytes -= size;
	f->base->release(f->base->ctx, addr, size);
}

static int faulty_commit(void *ctx, void *addr, size_t size, unsigned flags)
{
	struct pmm_platform_faulty *f = F(ctx);

	if (should_fail(f, PMM_FAULT_COMMIT))
		return -PMM_ENOMEM;
	return f->base->commit(f->base->ctx, addr, size, flags);
}

static int faulty_decommit(void *ctx, void *addr, size_t size)
{
	struct pmm_platform_faulty *f = F(ctx);
	return f->base->decommit(f->base->ctx, addr, size);
}

static int faulty_discard(void *ctx, void *addr, size_t size)
{
	struct pmm_platform_faulty *f = F(ctx);
	return f->base->discard(f->base->ctx, addr, size);
}

static int faulty_protect(void *ctx, void *addr, size_t size, int access)
{
	struct pmm_platform_faulty *f = F(ctx);
	return f->base->protect(f->base->ctx, addr, size, access);
}

static void *faulty_alloc(void *ctx, size_t size)
{
	struct pmm_platform_faulty *f = F(ctx);
	void *p;

	if (should_fail(f, PMM_FAULT_ALLOC))
		return NULL;
	p = f->base->alloc(f->base->ctx, size);
	if (p) {
		f->outstanding++;
		f->outstanding_bytes += size;
	}
	return p;
}

static void faulty_free(void *ctx, void *ptr, size_t size)
{
	struct pmm_platform_faulty *f = F(ctx);

	if (!ptr)
		return;
	f->outstanding--;
	f->outstanding_bytes -= size;
	f->base->free(f->base->ctx, ptr, size);
}

static int faulty_memfile_open(void *ctx, const struct pmm_backend *b, uint64_t size,
			       struct pmm_memfile *mf, char *err, size_t errlen)
{
	struct pmm_platform_faulty *f = F(ctx);
	int r;

	if (should_fail(f, PMM_FAULT_RESERVE)) {
		if (err && errlen)
			snprintf(err, errlen, "injected failure");
		return -PMM_ENOMEM;
	}
	r = f->base->memfile_open(f->base->ctx, b, size, mf, err, errlen);
	if (!r)
		f->outstanding++;
	return r;
}

static int faulty_memfile_map(void *ctx, const struct pmm_memfile *mf, void *addr,
			      uint64_t offset, size_t size, unsigned flags)
{
	struct pmm_platform_faulty *f = F(ctx);

	if (should_fail(f, PMM_FAULT_COMMIT))
		return -PMM_ENOMEM;
	return f->base->memfile_map(f->base->ctx, mf, addr, offset, size, flags);
}

static int faulty_memfile_discard(void *ctx, const struct pmm_memfile *mf, uint64_t offset,
				  size_t size)
{
	struct pmm_platform_faulty *f = F(ctx);
	return f->base->memfile_discard(f->base->ctx, mf, offset, size);
}

static void faulty_memfile_close(void *ctx, struct pmm_memfile *mf)
{
	struct pmm_platform_faulty *f = F(ctx);

	f->outstanding--;
	f->base->memfile_close(f->base->ctx, mf);
}

static int faulty_numa_node_valid(void *ctx, int node)
{
	return F(ctx)->base->numa_node_valid(F(ctx)->base->ctx, node);
}

static int faulty_numa_place(void *ctx, void *addr, size_t size, int node)
{
	return F(ctx)->base->numa_place(F(ctx)->base->ctx, addr, size, node);
}

static int faulty_numa_where(void *ctx, void *const *addrs, unsigned n, int *nodes)
{
	return F(ctx)->base->numa_where(F(ctx)->base->ctx, addrs, n, nodes);
}

static uint64_t faulty_clock(void *ctx)
{
	return F(ctx)->base->clock_ns(F(ctx)->base->ctx);
}

static unsigned faulty_cpu(void *ctx)
{
	return F(ctx)->base->current_cpu(F(ctx)->base->ctx);
}

const struct pmm_platform *platform_faulty_cpu_source(const struct pmm_platform *p)
{
	while (p->current_cpu == faulty_cpu)
		p = F(p->ctx)->base;
	return p;
}

static unsigned faulty_nr_cpus(void *ctx)
{
	return F(ctx)->base->nr_cpus(F(ctx)->base->ctx);
}

static void faulty_task(void *ctx, int *pid, int *tgid, char comm[16])
{
	F(ctx)->base->task(F(ctx)->base->ctx, pid, tgid, comm);
}

static unsigned faulty_stack(void *ctx, uintptr_t *e, unsigned max, unsigned skip)
{
	return F(ctx)->base->stack(F(ctx)->base->ctx, e, max, skip + 1);
}

static void faulty_log(void *ctx, int level, const char *msg)
{
	F(ctx)->base->log(F(ctx)->base->ctx, level, msg);
}

void pmm_platform_faulty_init(struct pmm_platform_faulty *f, const struct pmm_platform *base,
			      unsigned mask, unsigned long fail_nth)
{
	*f = (struct pmm_platform_faulty){
		.ops = {
			.name = "faulty",
			.ctx = f,
			.reserve = faulty_reserve,
			.release = faulty_release,
			.commit = faulty_commit,
			.decommit = faulty_decommit,
			.discard = faulty_discard,
			.protect = faulty_protect,
			.alloc = faulty_alloc,
			.free = faulty_free,
			.clock_ns = faulty_clock,
			.current_cpu = faulty_cpu,
			.nr_cpus = faulty_nr_cpus,
			.task = faulty_task,
			.stack = faulty_stack,
			.log = faulty_log,
			.page_size = base->page_size,
			/* Only what the base has: a platform without files stays so. */
			.memfile_open = base->memfile_open ? faulty_memfile_open : NULL,
			.memfile_map = base->memfile_map ? faulty_memfile_map : NULL,
			.memfile_discard = base->memfile_discard ? faulty_memfile_discard : NULL,
			.memfile_close = base->memfile_close ? faulty_memfile_close : NULL,
			.numa_node_valid = base->numa_node_valid ? faulty_numa_node_valid : NULL,
			.numa_place = base->numa_place ? faulty_numa_place : NULL,
			.numa_where = base->numa_where ? faulty_numa_where : NULL,
		},
		.base = base,
		.mask = mask,
		.fail_nth = fail_nth,
	};
}
