// SPDX-License-Identifier: MIT
/*
 * libpmm_freestanding as a hobby kernel would use it: the machine's memory,
 * its memmap and pmm's bookkeeping all come from one arena the embedder
 * owns, through a `struct pmm_platform` of its own; the clock is a tick
 * counter, the CPU a number the embedder keeps per execution context, the
 * log a buffer.  The library links against this file alone (and the few C
 * library functions check_symbols.sh allows), so what runs here is what
 * an embedder without an operating system gets:
 *
 * - boot, allocation and free on two CPUs, drains, validation;
 * - the /proc reports and the page_owner dump into buffers, stacks from
 *   the platform's stack() printed as bare addresses;
 * - misuse (a double free) reported and contained;
 * - memory hot-remove and re-add while two threads allocate with
 *   page_owner on, which frees page_ext storage behind pmm's own RCU.
 *
 * A plain C program with a main() (not cmocka) so that nothing but the
 * library and this platform is linked in beside the C library.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <pmm/errno.h>
#include <pmm/hotplug.h>
#include <pmm/page_owner.h>
#include <pmm/pmm.h>
#include <pmm/report.h>

static int failures;

#define CHECK(cond, ...)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* ------------------------------------------------------------ the embedder's platform */

#define ARENA_SIZE (8ul << 30) /* address space; only what is touched is memory */

struct arena {
	char *base;
	size_t used;
	unsigned long reserves, allocs;
	pthread_mutex_t lock; /* the test's threads stand for CPUs */
	char log[1 << 16];
	size_t log_len;
	uint64_t ticks;
};

static struct arena arena;
static __thread unsigned this_cpu; /* the CPU this execution context stands for */

static void *arena_take(size_t size, size_t align)
{
	void *p = NULL;

	pthread_mutex_lock(&arena.lock);
	size_t at = (arena.used + align - 1) & ~(align - 1);
	if (at + size <= ARENA_SIZE) {
		p = arena.base + at;
		arena.used = at + size;
	}
	pthread_mutex_unlock(&arena.lock);
	return p;
}

static void *fs_reserve(void *ctx, size_t size, size_t align)
{
	(void)ctx;
	__atomic_add_fetch(&arena.reserves, 1, __ATOMIC_RELAXED);
	return arena_take(size, align < 4096 ? 4096 : align);
}

static void fs_release(void *ctx, void *addr, size_t size)
{
	(void)ctx, (void)addr, (void)size; /* a bump arena gives nothing back */
}

/* The arena is zero until written; a range given back is zeroed for its next use. */
static int fs_commit(void *ctx, void *addr, size_t size, unsigned flags)
{
	(void)ctx, (void)addr, (void)size, (void)flags;
	return 0;
}

static int fs_decommit(void *ctx, void *addr, size_t size)
{
	(void)ctx;
	memset(addr, 0, size);
	return 0;
}

static int fs_discard(void *ctx, void *addr, size_t size)
{
	(void)ctx, (void)addr, (void)size; /* contents may stay: "zero or undefined" */
	return 0;
}

static int fs_protect(void *ctx, void *addr, size_t size, int access)
{
	(void)ctx, (void)addr, (void)size, (void)access;
	return 0;
}

static void *fs_alloc(void *ctx, size_t size)
{
	(void)ctx;
	__atomic_add_fetch(&arena.allocs, 1, __ATOMIC_RELAXED);
	return arena_take(size ? size : 1, 64);
}

static void fs_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx, (void)ptr, (void)size;
}

static uint64_t fs_clock(void *ctx)
{
	(void)ctx;
	return __atomic_add_fetch(&arena.ticks, 1000, __ATOMIC_RELAXED);
}

static unsigned fs_current_cpu(void *ctx)
{
	(void)ctx;
	return this_cpu;
}

static unsigned fs_nr_cpus(void *ctx)
{
	(void)ctx;
	return 2;
}

static void fs_task(void *ctx, int *pid, int *tgid, char comm[16])
{
	(void)ctx;
	*pid = *tgid = 1 + (int)this_cpu;
	memcpy(comm, this_cpu ? "kworker/1" : "kworker/0", 10);
}

/* Two made-up return addresses, as a kernel's unwinder would give. */
static unsigned fs_stack(void *ctx, uintptr_t *entries, unsigned max, unsigned skip)
{
	(void)ctx, (void)skip;
	if (max < 2)
		return 0;
	entries[0] = 0xffffffff81234567ul;
	entries[1] = 0xffffffff81000abcul + this_cpu;
	return 2;
}

static void fs_log(void *ctx, int level, const char *msg)
{
	size_t n = strlen(msg);

	(void)ctx, (void)level;
	pthread_mutex_lock(&arena.lock);
	if (arena.log_len + n < sizeof(arena.log)) {
		memcpy(arena.log + arena.log_len, msg, n + 1);
		arena.log_len += n;
	}
	pthread_mutex_unlock(&arena.lock);
}

static const struct pmm_platform platform = {
	.name = "test-freestanding",
	.reserve = fs_reserve,
	.release = fs_release,
	.commit = fs_commit,
	.decommit = fs_decommit,
	.discard = fs_discard,
	.protect = fs_protect,
	.alloc = fs_alloc,
	.free = fs_free,
	.clock_ns = fs_clock,
	.current_cpu = fs_current_cpu,
	.nr_cpus = fs_nr_cpus,
	.task = fs_task,
	.stack = fs_stack,
	.log = fs_log,
	.page_size = 4096,
};

/* ------------------------------------------------------------ the checks */

static struct pmm *boot(const char *tokens)
{
	struct pmm_config cfg;
	struct pmm *m = NULL;
	char err[256] = "";
	int r;

	pmm_config_default(&cfg);
	cfg.platform = &platform;
	r = pmm_config_parse(&cfg, tokens, strlen(tokens), "<test>", err, sizeof(err));
	CHECK(r == 0, "config '%s': %s", tokens, err);
	r = pmm_create(&cfg, &m);
	CHECK(r == 0, "pmm_create(%s) = %d", tokens, r);
	return m;
}

static void test_boot_and_reports(void)
{
	struct pmm_config cfg;
	struct pmm *m;
	char buf[1 << 15];
	long n;

	/* No platform, no default to fall back to. */
	pmm_config_default(&cfg);
	CHECK(pmm_create(&cfg, &m) == -PMM_EINVAL, "a freestanding machine needs a platform");

	m = boot("mem=256M cpus=2 page_owner=on");
	if (!m)
		return;
	CHECK(strstr(arena.log, "Built 1 zonelists") != NULL, "boot log: %.200s", arena.log);
	CHECK(pmm_nr_cpus(m) == 2, "%u CPUs", pmm_nr_cpus(m));
	CHECK(pmm_validate(m, buf, sizeof(buf)) == 0, "%s", buf);

	n = pmm_report_snprint(m, PMM_REPORT_BUDDYINFO, buf, sizeof(buf));
	CHECK(n > 0 && strncmp(buf, "Node 0, zone      DMA ", 22) == 0, "buddyinfo: %.100s", buf);
	n = pmm_report_snprint(m, PMM_REPORT_ZONEINFO, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "\n  pagesets\n    cpu: 0\n") && strstr(buf, "\n    cpu: 1\n"),
	      "zoneinfo: %.100s", buf);
	n = pmm_report_snprint(m, PMM_REPORT_MEMINFO, buf, sizeof(buf));
	CHECK(n > 0 && strncmp(buf, "MemTotal:", 9) == 0, "meminfo: %.100s", buf);
	n = pmm_report_node_snprint(m, 0, PMM_NODE_REPORT_MEMINFO, buf, sizeof(buf));
	CHECK(n > 0 && strncmp(buf, "Node 0 MemTotal:", 16) == 0, "node0/meminfo: %.100s", buf);
	pmm_destroy(m);
}

static void test_alloc_free_two_cpus(void)
{
	struct pmm *m = boot("mem=256M cpus=2 page_owner=on");
	struct pmm_page *pages[64];
	unsigned long before;
	char buf[4096];

	if (!m)
		return;
	before = pmm_nr_free_pages(m);
	for (unsigned round = 0; round < 50; round++) {
		for (unsigned i = 0; i < 64; i++) {
			this_cpu = i & 1;
			pages[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, i % 4);
			CHECK(pages[i] != NULL, "allocation %u of order %u", i, i % 4);
			if (pages[i])
				memset(pmm_page_address(m, pages[i]), (int)i, 4096u << (i % 4));
		}
		for (unsigned i = 0; i < 64; i++) {
			this_cpu = (i + round) & 1; /* freed on the other CPU half the time */
			if (pages[i])
				pmm_free_pages(m, pages[i], i % 4);
		}
	}
	this_cpu = 0;
	pmm_drain_all(m);
	CHECK(pmm_nr_free_pages(m) == before, "%lu free, %lu before", pmm_nr_free_pages(m), before);
	CHECK(pmm_validate(m, buf, sizeof(buf)) == 0, "%s", buf);
	pmm_destroy(m);
}

static void test_page_owner_and_misuse(void)
{
	struct pmm *m = boot("mem=256M cpus=2 page_owner=on");
	struct pmm_page *p;
	unsigned long pos = 0, bad;
	static char buf[1 << 20];
	long n;

	if (!m)
		return;
	this_cpu = 1;
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 2);
	CHECK(p != NULL, "order-2 allocation");
	if (!p) {
		pmm_destroy(m);
		return;
	}
	pos = pmm_page_to_pfn(m, p);
	n = pmm_page_owner_read(m, buf, sizeof(buf), &pos, PMM_KVER_6_1);
	CHECK(n > 0 && strstr(buf, "Page allocated via order 2, mask 0xcc0(GFP_KERNEL)") != NULL,
	      "page_owner: %.200s", buf);
	CHECK(strstr(buf, "tgid 2 (kworker/1)") != NULL, "the platform's task: %.300s", buf);
	CHECK(strstr(buf, "\n 0xffffffff81234567\n 0xffffffff81000abd\n") != NULL,
	      "the platform's stack as bare addresses: %.400s", buf);

	pos = 0;
	n = pmm_page_owner_stacks_read(m, buf, sizeof(buf), &pos, 0);
	CHECK(n > 0 && strstr(buf, " 0xffffffff81234567\n") && strstr(buf, "nr_base_pages: "),
	      "show_stacks: %.300s", buf);

	pmm_free_pages(m, p, 2);
	bad = pmm_bad_page_count(m);
	arena.log_len = 0;
	arena.log[0] = '\0';
	pmm_free_pages(m, p, 2); /* again */
	CHECK(pmm_bad_page_count(m) == bad + 1, "the double free is one bad page");
	CHECK(strstr(arena.log, "BUG: Bad page state") != NULL, "report: %.200s", arena.log);
	this_cpu = 0;
	pmm_drain_all(m);
	CHECK(pmm_validate(m, buf, sizeof(buf)) == 0, "after the double free: %s", buf);
	pmm_destroy(m);
}

/*
 * Two "CPUs" allocate and free while the main context takes a ZONE_MOVABLE
 * block away and gives it back.  Both allocate kernel frames, never in that
 * zone; CPU 1 also reads the whole page_owner file every 64 operations,
 * whose page_ext lookups of the block's frames race the offline's release
 * of the block's page_ext.
 */
struct worker {
	struct pmm *m;
	unsigned cpu;
	int stop;
	unsigned long ops, failed, reads;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct pmm_page *held[16] = { 0 };

	pmm_gfp_t gfp = PMM_GFP_KERNEL;
	static __thread char buf[1 << 16];

	this_cpu = w->cpu;
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		unsigned i = (unsigned)(w->ops % 16);

		if (held[i])
			pmm_free_pages(w->m, held[i], 0);
		held[i] = pmm_alloc_pages(w->m, gfp, 0);
		if (held[i])
			*(volatile char *)pmm_page_address(w->m, held[i]) = 1;
		else
			w->failed++;
		__atomic_store_n(&w->ops, w->ops + 1, __ATOMIC_RELAXED);
		if (w->cpu == 1 && w->ops % 64 == 0) {
			unsigned long pos = 0;

			while (pmm_page_owner_read(w->m, buf, sizeof(buf), &pos, PMM_KVER_6_1) > 0)
				;
			w->reads++;
		}
	}
	for (unsigned i = 0; i < 16; i++)
		if (held[i])
			pmm_free_pages(w->m, held[i], 0);
	return NULL;
}

static void test_hot_remove_under_load(void)
{
	/* Four blocks; the last one comes and goes as ZONE_MOVABLE. */
	struct pmm *m = boot("mem=512M cpus=2 page_owner=on");
	struct worker w[2];
	pthread_t t[2];
	unsigned long last = (512ul << 20) / 4096 - PMM_PAGES_PER_MEMORY_BLOCK;
	unsigned long before;
	char buf[4096];
	int r, cycles = 0, busy = 0;

	if (!m)
		return;
	this_cpu = 0;
	r = pmm_offline_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK);
	CHECK(r == 0, "offline at boot: %d", r);
	r = pmm_online_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK, PMM_ONLINE_MOVABLE);
	CHECK(r == 0, "online_movable at boot: %d", r);
	before = pmm_nr_free_pages(m);
	for (unsigned i = 0; i < 2; i++) {
		w[i] = (struct worker){ .m = m, .cpu = i };
		pthread_create(&t[i], NULL, worker_run, &w[i]);
	}
	this_cpu = 0;
	/* Both workers under way first, then offline and online while they go on. */
	while (!__atomic_load_n(&w[0].ops, __ATOMIC_RELAXED) ||
	       !__atomic_load_n(&w[1].ops, __ATOMIC_RELAXED))
		sched_yield();
	for (int i = 0; i < 200 && cycles < 20; i++) {
		r = pmm_offline_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK);
		if (r == -PMM_EBUSY) {
			busy++; /* a worker's frame was there: pmm left the block as it was */
			continue;
		}
		CHECK(r == 0, "offline: %d", r);
		r = pmm_online_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK, PMM_ONLINE_MOVABLE);
		CHECK(r == 0, "online: %d", r);
		cycles++;
		sched_yield();
	}
	for (unsigned i = 0; i < 2; i++) {
		__atomic_store_n(&w[i].stop, 1, __ATOMIC_RELEASE);
		pthread_join(t[i], NULL);
		CHECK(w[i].ops > 0 && w[i].failed == 0, "cpu %u: %lu ops, %lu failed", i, w[i].ops,
		      w[i].failed);
	}
	CHECK(cycles >= 10, "%d offlines succeeded, %d refused", cycles, busy);
	CHECK(w[1].reads > 0, "no page_owner read beside the offlines");
	pmm_drain_all(m);
	CHECK(pmm_nr_free_pages(m) == before, "%lu free, %lu before", pmm_nr_free_pages(m), before);
	CHECK(pmm_validate(m, buf, sizeof(buf)) == 0, "%s", buf);
	printf("freestanding: hot-remove %d cycles (%d refused) beside %lu + %lu allocations and %lu "
	       "page_owner reads\n", cycles, busy, w[0].ops, w[1].ops, w[1].reads);
	pmm_destroy(m);
}

/*
 * The grace period itself: a reader holding a frame's page_ext (the
 * library's internal page_ext_get(), as page_owner's readers take it) keeps
 * an offline of that frame's block from returning until it lets go.
 */
struct page_ext;
struct page;
struct page_ext *page_ext_get(const struct pmm *m, const struct page *page);
void page_ext_put(const struct pmm *m, struct page_ext *ext);

struct holder {
	struct pmm *m;
	unsigned long pfn;
	int holding, offline_done, saw_done, got;
};

static void *holder_run(void *arg)
{
	struct holder *h = arg;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	struct page_ext *ext;

	this_cpu = 1;
	ext = page_ext_get(h->m, (const struct page *)pmm_pfn_to_page(h->m, h->pfn));
	h->got = ext != NULL;
	__atomic_store_n(&h->holding, 1, __ATOMIC_SEQ_CST);
	nanosleep(&ts, NULL); /* the offline is waiting for us by now */
	h->saw_done = __atomic_load_n(&h->offline_done, __ATOMIC_SEQ_CST);
	page_ext_put(h->m, ext);
	return NULL;
}

static void test_grace_period(void)
{
	struct pmm *m = boot("mem=512M cpus=2 page_owner=on");
	unsigned long last = (512ul << 20) / 4096 - PMM_PAGES_PER_MEMORY_BLOCK;
	struct holder h;
	pthread_t t;
	int r;

	if (!m)
		return;
	this_cpu = 0;
	h = (struct holder){ .m = m, .pfn = last + 100 };
	pthread_create(&t, NULL, holder_run, &h);
	while (!__atomic_load_n(&h.holding, __ATOMIC_SEQ_CST))
		sched_yield();
	r = pmm_offline_pages(m, last, PMM_PAGES_PER_MEMORY_BLOCK);
	__atomic_store_n(&h.offline_done, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	CHECK(h.got, "no page_ext for pfn %lu", h.pfn);
	CHECK(r == 0, "offline: %d", r);
	CHECK(!h.saw_done, "the offline returned while a reader held the block's page_ext");
	pmm_destroy(m);
}

int main(void)
{
	arena.base = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena.base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pthread_mutex_init(&arena.lock, NULL);
	test_boot_and_reports();
	test_alloc_free_two_cpus();
	test_page_owner_and_misuse();
	test_hot_remove_under_load();
	test_grace_period();
	printf("freestanding: %lu reservations and %lu allocations from the arena (%zu MiB), %d failed\n",
	       arena.reserves, arena.allocs, arena.used >> 20, failures);
	return failures ? 1 : 0;
}
