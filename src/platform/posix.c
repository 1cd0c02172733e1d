// SPDX-License-Identifier: MIT
/*
 * The POSIX platform: address space from mmap (PROT_NONE reservations,
 * mprotect to commit, madvise to give memory back), file-backed memory
 * (memfile_posix.c), the current CPU from the
 * rseq area glibc registered (sched_getcpu() otherwise), CLOCK_MONOTONIC,
 * and stderr for the log.  Stateless: ctx is unused.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/platform.h>

#include "platform/platform.h"
#include "platform/cpu.h"
#include "platform/memfile.h"
#include "platform/numa.h"
#include "platform/stacktrace.h"

static void *posix_reserve(void *ctx, size_t size, size_t align)
{
	size_t len = size + align;
	char *p, *a;

	(void)ctx;
	if (len < size)
		return NULL;
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + size < p + len)
		munmap(a + size, (size_t)(p + len - (a + size)));
	return a;
}

static void posix_release(void *ctx, void *addr, size_t size)
{
	(void)ctx;
	munmap(addr, size);
}

static int posix_commit(void *ctx, void *addr, size_t size, unsigned flags)
{
	(void)ctx;
	if (mprotect(addr, size, PROT_READ | PROT_WRITE))
		return -PMM_ENOMEM;
	if (flags & PMM_COMMIT_HUGE)
		madvise(addr, size, MADV_HUGEPAGE);
	return 0;
}

static int posix_decommit(void *ctx, void *addr, size_t size)
{
	(void)ctx;
	/* MAP_FIXED over the range drops its pages and its protection at once. */
	if (mmap(addr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return -PMM_ENOMEM;
	return 0;
}

static int posix_discard(void *ctx, void *addr, size_t size)
{
	(void)ctx;
	return madvise(addr, size, MADV_DONTNEED) ? -PMM_EINVAL : 0;
}

static int posix_protect(void *ctx, void *addr, size_t size, int access)
{
	(void)ctx;
	return mprotect(addr, size, access ? PROT_READ | PROT_WRITE : PROT_NONE) ? -PMM_EINVAL : 0;
}

/* Cache-line aligned and zeroed: pmm's structures keep hot fields apart. */
static void *posix_alloc(void *ctx, size_t size)
{
	size_t rounded = (size + 63) & ~(size_t)63;
	void *p;

	(void)ctx;
	if (rounded < size)
		return NULL;
	p = aligned_alloc(64, rounded ? rounded : 64);
	if (p)
		memset(p, 0, rounded ? rounded : 64);
	return p;
}

static void posix_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	(void)size;
	free(ptr);
}

static uint64_t posix_clock_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned posix_current_cpu(void *ctx)
{
	(void)ctx;
	return pmm_cpu_current();
}

bool platform_cpu_is_host(const struct pmm_platform *p)
{
	return platform_faulty_cpu_source(p)->current_cpu == posix_current_cpu;
}

static unsigned posix_nr_cpus(void *ctx)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	(void)ctx;
	return n > 0 ? (unsigned)n : 1;
}

static void posix_task(void *ctx, int *pid, int *tgid, char comm[16])
{
	(void)ctx;
	*pid = (int)gettid();
	*tgid = (int)getpid();
	memset(comm, 0, 16);
	if (prctl(PR_GET_NAME, comm, 0, 0, 0))
		strcpy(comm, "pmm");
}

static void posix_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	fputs(msg, stderr);
}

static const struct pmm_platform posix_platform = {
	.name = "posix",
	.reserve = posix_reserve,
	.release = posix_release,
	.commit = posix_commit,
	.decommit = posix_decommit,
	.discard = posix_discard,
	.protect = posix_protect,
	.alloc = posix_alloc,
	.free = posix_free,
	.clock_ns = posix_clock_ns,
	.current_cpu = posix_current_cpu,
	.nr_cpus = posix_nr_cpus,
	.task = posix_task,
	.stack = pmm_posix_stack,
	.log = posix_log,
	.page_size = 4096,
	.memfile_open = pmm_posix_memfile_open,
	.memfile_map = pmm_posix_memfile_map,
	.memfile_discard = pmm_posix_memfile_discard,
	.memfile_close = pmm_posix_memfile_close,
	.numa_node_valid = PMM_POSIX_NUMA_NODE_VALID,
	.numa_place = PMM_POSIX_NUMA_PLACE,
	.numa_where = PMM_POSIX_NUMA_WHERE,
};

static pthread_once_t stack_once = PTHREAD_ONCE_INIT;

const struct pmm_platform *pmm_platform_posix(void)
{
	/* Load the unwinder now, outside any lock, so capture never allocates. */
	pthread_once(&stack_once, pmm_stack_capture_init);
	return &posix_platform;
}
