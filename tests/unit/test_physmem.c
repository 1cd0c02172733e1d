// SPDX-License-Identifier: MIT
/*
 * Where a machine's memory comes from (src/mm/physmem.c, the platform's
 * memfile operations): every backend boots and its frames are the backing
 * object's bytes at offset = physical address; free page reporting punches
 * holes in file-backed memory; machines on different backends coexist; bad
 * backends fail with a message naming the backend and leak nothing (neither
 * platform resources nor descriptors), also when the N-th reservation,
 * commit or allocation fails.
 */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm/internal.h"

#define LAYOUT "mem=512M nodes=2 hole=0x8000000-0xfffffff reserve=0x0-0xfffff cpus=2 "

static unsigned long huge_pages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A hugetlbfs memfd can be created (the kernel has hugetlbfs), pages or not. */
static int host_has_hugetlbfs(void)
{
	int fd = memfd_create("probe", MFD_CLOEXEC | 0x0004U /* MFD_HUGETLB */ | (21U << 26));

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/pmm-test-%d-%s", (int)getpid(), name);
}

static struct pmm *boot(const char *text, struct pmm_test_log *log)
{
	return pmm_test_machine(text, log);
}

/* Every present frame round-trips, and its bytes are the machine's. */
static unsigned long check_frames(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	unsigned long n = 0;

	for (unsigned long i = 0; i < mem->cnt; i++)
		for (unsigned long pfn = PFN_DOWN(mem->regions[i].base);
		     pfn < PFN_DOWN(mem->regions[i].base + mem->regions[i].size); pfn++) {
			struct pmm_page *p = pmm_pfn_to_page(m, pfn);
			char *a;

			if (!p || pmm_page_to_pfn(m, p) != pfn)
				fail_msg("pfn %#lx does not round-trip", pfn);
			a = pmm_page_address(m, p);
			if (a != m->mem + PFN_PHYS(pfn) || pmm_virt_to_page(m, a + 4095) != p)
				fail_msg("pfn %#lx: address does not round-trip", pfn);
			n++;
		}
	return n;
}

/* Allocate @nr order-3 blocks and stamp each 4 KiB frame with its pfn. */
static void stamp(struct pmm *m, struct pmm_page **pages, int nr)
{
	for (int i = 0; i < nr; i++) {
		pages[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
		assert_non_null(pages[i]);
		for (unsigned j = 0; j < 8; j++) {
			unsigned long pfn = pmm_page_to_pfn(m, pages[i]) + j;
			memcpy((char *)pmm_page_address(m, pages[i]) + j * 4096, &pfn, sizeof(pfn));
		}
	}
}

static void unstamp(struct pmm *m, struct pmm_page **pages, int nr)
{
	for (int i = 0; i < nr; i++) {
		for (unsigned j = 0; j < 8; j++) {
			unsigned long pfn = pmm_page_to_pfn(m, pages[i]) + j, got;
			memcpy(&got, (char *)pmm_page_address(m, pages[i]) + j * 4096, sizeof(got));
			if (got != pfn)
				fail_msg("frame %#lx holds %#lx: memory shared with another machine?", pfn,
					 got);
		}
		pmm_free_pages(m, pages[i], 3);
	}
}

/* Frame @pfn's stamp, read from the file at offset = its physical address. */
static unsigned long file_stamp(int fd, unsigned long pfn)
{
	unsigned long v = 0;

	assert_int_equal(pread(fd, &v, sizeof(v), (off_t)PFN_PHYS(pfn)), sizeof(v));
	return v;
}

/* The machine's memory is mapped from the memfd (its name in /proc/self/maps). */
static int mapped_from(const void *addr, const char *what)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)addr >= lo &&
		    (uintptr_t)addr < hi)
			found = strstr(line, what) != NULL;
	}
	fclose(f);
	return found;
}

static void test_backends_boot(void **state)
{
	char path[128], cfg[256];
	const char *backends[] = { "anon", "memfd", "file" };
	int fds = pmm_test_count_fds();

	(void)state;
	tmp_path(path, sizeof(path), "boot.mem");
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		struct pmm_page *pages[64];
		struct pmm *m;
		unsigned long present;

		snprintf(cfg, sizeof(cfg), LAYOUT "backend=%s%s%s", backends[b],
			 b == 2 ? ":" : "", b == 2 ? path : "");
		m = boot(cfg, NULL);
		present = check_frames(m);
		assert_int_equal(present, (512ul << 8) - (128ul << 8));
		assert_false(pmm_pfn_valid(m, 0x8000)); /* the hole */
		stamp(m, pages, 64);
		if (b == 1)
			assert_true(mapped_from(pmm_page_address(m, pages[0]), "/memfd:pmm"));
		if (b == 2) {
			int fd = open(path, O_RDONLY);
			struct stat st;

			assert_true(fd >= 0);
			assert_int_equal(fstat(fd, &st), 0);
			assert_int_equal(st.st_size, 512ul << 20);
			for (int i = 0; i < 64; i++)
				assert_int_equal(file_stamp(fd, pmm_page_to_pfn(m, pages[i]) + 5),
						 pmm_page_to_pfn(m, pages[i]) + 5);
			close(fd);
		}
		unstamp(m, pages, 64);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
	/* The file outlives the machine. */
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	assert_int_equal(pmm_test_count_fds(), fds);
}

/* An embedder's descriptor: used as is, never closed, must be large enough. */
static void test_fd_backend(void **state)
{
	int fd = memfd_create("embedder", MFD_CLOEXEC), fds;
	char cfg[128];
	struct pmm_page *pages[16];
	struct pmm *m;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 256 << 20), 0);
	fds = pmm_test_count_fds();
	snprintf(cfg, sizeof(cfg), "mem=256M backend=fd:%d", fd);
	m = boot(cfg, NULL);
	stamp(m, pages, 16);
	assert_int_equal(file_stamp(fd, pmm_page_to_pfn(m, pages[3])), pmm_page_to_pfn(m, pages[3]));
	unstamp(m, pages, 16);
	pmm_destroy(m);
	assert_int_equal(pmm_test_count_fds(), fds);
	assert_int_not_equal(fcntl(fd, F_GETFD), -1);
	close(fd);
}

/* Memory the embedder mapped itself: physical 0 at its base, never unmapped. */
static void test_memory_backend(void **state)
{
	size_t size = 256ul << 20;
	char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	struct pmm_config c;
	struct pmm *m;
	struct pmm_page *p;

	(void)state;
	assert_true(base != MAP_FAILED);
	pmm_config_default(&c);
	c.mem_bytes = size;
	c.backend.kind = PMM_BACKEND_MEMORY;
	c.backend.base = base;
	c.backend.size = size;
	c.log = pmm_test_log_sink;
	assert_int_equal(pmm_create(&c, &m), 0);
	assert_ptr_equal(pmm_page_address(m, pmm_pfn_to_page(m, 0x100)), base + 0x100000);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 4);
	memset(pmm_page_address(m, p), 0x77, 16 * 4096);
	assert_int_equal(base[PFN_PHYS(pmm_page_to_pfn(m, p))], 0x77);
	pmm_free_pages(m, p, 4);
	assert_machine_valid(m);
	pmm_destroy(m);
	base[0] = 1; /* still the embedder's, still mapped */
	munmap(base, size);
}

/* Free page reporting punches holes: the file's allocated blocks fall. */
static void test_reporting_punches_holes(void **state)
{
	char path[128], cfg[192];
	struct pmm_page *p[32];
	struct stat st;
	long long touched, after;
	struct pmm *m;
	int fd;

	(void)state;
	tmp_path(path, sizeof(path), "report.mem");
	snprintf(cfg, sizeof(cfg), "mem=512M cpus=1 backend=file:%s", path);
	m = boot(cfg, NULL);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	for (int i = 0; i < 32; i++) {
		p[i] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10);
		memset(pmm_page_address(m, p[i]), 0x5a, 4 << 20);
	}
	assert_int_equal(fstat(fd, &st), 0);
	touched = (long long)st.st_blocks * 512;
	assert_true(touched >= 128ll << 20);
	for (int i = 0; i < 32; i++)
		pmm_free_pages(m, p[i], 10);
	assert_int_equal(pmm_page_reporting_register(m, 0, NULL, NULL), 0);
	assert_true(pmm_page_reporting_run(m) >= 32 * 1024);
	assert_int_equal(fstat(fd, &st), 0);
	after = (long long)st.st_blocks * 512;
	print_message("reporting: file blocks %lld MiB -> %lld MiB\n", touched >> 20, after >> 20);
	assert_true(after + (128ll << 20) <= touched);
	/* A reported block reads back as zeros when allocated again. */
	p[0] = pmm_alloc_pages(m, PMM_GFP_KERNEL, 10);
	assert_non_null(p[0]);
	for (size_t off = 0; off < (4u << 20); off += 4096)
		assert_int_equal(((char *)pmm_page_address(m, p[0]))[off], 0);
	pmm_free_pages(m, p[0], 10);
	pmm_page_reporting_unregister(m);
	pmm_destroy(m);
	close(fd);
	unlink(path);
}

/* Machines on different backends side by side never see each other's frames. */
static void test_backends_coexist(void **state)
{
	char path[128], cfg[192];
	struct pmm *m[3];
	struct pmm_page *pages[3][32];
	int fds = pmm_test_count_fds();

	(void)state;
	tmp_path(path, sizeof(path), "coexist.mem");
	snprintf(cfg, sizeof(cfg), "mem=256M backend=file:%s", path);
	m[0] = boot("mem=256M", NULL);
	m[1] = boot("mem=256M backend=memfd", NULL);
	m[2] = boot(cfg, NULL);
	for (int i = 0; i < 3; i++)
		stamp(m[i], pages[i], 32);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (i != j)
				assert_null(pmm_virt_to_page(m[i], pmm_page_address(m[j], pages[j][0])));
	for (int i = 0; i < 3; i++) {
		unstamp(m[i], pages[i], 32);
		assert_machine_valid(m[i]);
	}
	for (int i = 0; i < 3; i++)
		pmm_destroy(m[i]);
	unlink(path);
	assert_int_equal(pmm_test_count_fds(), fds);
}

/* Boot @text (+ @backend) on the faulty platform; expect @want and @msg, no leak. */
static void expect_fail(const char *text, const struct pmm_backend *backend,
			const struct pmm_platform *base, int want, const char *msg)
{
	struct pmm_platform_faulty f;
	struct pmm_test_log log = { 0 };
	struct pmm_config c;
	struct pmm *m = (struct pmm *)&c;
	char err[256];
	int fds = pmm_test_count_fds(), r;

	pmm_config_default(&c);
	if (pmm_config_parse(&c, text, strlen(text), "<t>", err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	if (backend)
		c.backend = *backend;
	pmm_platform_faulty_init(&f, base ? base : pmm_platform_posix(), 0, 0);
	c.platform = &f.ops;
	c.log = pmm_test_log_sink;
	c.log_ctx = &log;
	r = pmm_create(&c, &m);
	if (r != want)
		fail_msg("%s: pmm_create = %s, want %s; log:\n%s", text, pmm_errname(r), pmm_errname(want),
			 log.buf ? log.buf : "");
	assert_null(m);
	if (!pmm_test_log_has(&log, msg))
		fail_msg("%s: log lacks \"%s\":\n%s", text, msg, log.buf ? log.buf : "");
	if (f.outstanding)
		fail_msg("%s: %ld platform resources leaked", text, f.outstanding);
	assert_int_equal(pmm_test_count_fds(), fds);
	pmm_test_log_reset(&log);
}

static void test_bad_backends(void **state)
{
	struct pmm_platform nofile = *pmm_platform_posix();
	struct pmm_backend b = { .kind = PMM_BACKEND_MEMORY, .fd = -1 };
	int fd;
	char text[64];

	(void)state;
	expect_fail("mem=64M backend=file:/nonexistent-pmm-dir/x", NULL, NULL, -PMM_ENOENT,
		    "pmm: backend=file:/nonexistent-pmm-dir/x: cannot open /nonexistent-pmm-dir/x: No such file or directory");
	expect_fail("mem=64M backend=file:/tmp", NULL, NULL, -PMM_EINVAL,
		    "pmm: backend=file:/tmp: cannot open /tmp: Is a directory");
	fd = memfd_create("small", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, 32 << 20), 0);
	snprintf(text, sizeof(text), "mem=64M backend=fd:%d", fd);
	expect_fail(text, NULL, NULL, -PMM_ENOSPC, "holds 33554432 bytes, the machine needs 67108864");
	close(fd);
	expect_fail("mem=64M backend=fd:999", NULL, NULL, -PMM_EINVAL, "pmm: backend=fd:999: fstat: Bad file descriptor");
	nofile.name = "nofile";
	nofile.memfile_open = NULL;
	expect_fail("mem=64M backend=memfd", NULL, &nofile, -PMM_EOPNOTSUPP,
		    "pmm: backend=memfd: platform faulty has no file-backed memory");
	expect_fail("mem=64M", &b, NULL, -PMM_EINVAL, "pmm: backend=memory: base (nil) is not a page-aligned address");
	b.base = (void *)0x10000;
	b.size = 32 << 20;
	expect_fail("mem=64M", &b, NULL, -PMM_EINVAL, "pmm: backend=memory: 33554432 bytes given, memory ends at 0x4000000");
	if (!host_has_hugetlbfs()) {
		print_message("SKIP: the host has no hugetlbfs: hugetlbfs error paths not tested\n");
		return;
	}
	expect_fail("mem=64M backend=hugetlbfs debug_pagealloc=on", NULL, NULL, -PMM_EINVAL,
		    "pmm: debug_pagealloc=on needs 4 KiB host pages; backend=hugetlbfs maps 2048 KiB pages");
	if (huge_pages_free() < 8 * 1024)
		expect_fail("mem=16G backend=hugetlbfs", NULL, NULL, -PMM_ENOMEM,
			    "(not enough free huge pages: see HugePages_Free)");
}

/* With free 2 MiB huge pages: a hugetlbfs machine boots and works. */
static void test_hugetlbfs(void **state)
{
	struct pmm_page *pages[32];
	struct pmm *m;

	(void)state;
	if (!host_has_hugetlbfs() || huge_pages_free() < 128) {
		print_message("SKIP: hugetlbfs backend: the host has %lu free 2 MiB huge pages, 128 needed\n",
			      huge_pages_free());
		skip();
	}
	for (int altmap = 0; altmap < 2; altmap++) {
		m = boot(altmap ? "mem=256M backend=hugetlbfs memmap=altmap" : "mem=256M backend=hugetlbfs",
			 NULL);
		assert_int_equal(m->memfile.page_size, 2u << 20);
		assert_int_equal(m->nr_self_hosted, altmap ? 2 : 0);
		check_frames(m);
		stamp(m, pages, 32);
		unstamp(m, pages, 32);
		assert_machine_valid(m);
		pmm_destroy(m);
	}
}

/* Fail the N-th reservation, commit or allocation of file-backed boots, for every N. */
static void test_fault_sweep(void **state)
{
	char path[128], text[192];

	(void)state;
	assert_true(pmm_test_boot_sweep("mem=1G nodes=2 backend=memfd", NULL) > 10);
	tmp_path(path, sizeof(path), "sweep.mem");
	snprintf(text, sizeof(text), "mem=1G hole=0x10000000-0x17ffffff backend=file:%s", path);
	assert_true(pmm_test_boot_sweep(text, NULL) > 10);
	unlink(path);
}

static void test_config_text(void **state)
{
	struct pmm_config c;
	char err[512], longtok[400];
	static const struct { const char *text, *msg; } bad[] = {
		{ "backend=nfs", "<t>:1: backend must be anon, memfd, hugetlbfs, file:PATH or fd:N: 'backend=nfs'" },
		{ "\nbackend=file:", "<t>:2: backend must be" },
		{ "backend=fd:x", "<t>:1: bad descriptor in 'backend=fd:x'" },
		{ "backend=fd:-1", "<t>:1: bad descriptor" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pmm_config_default(&c);
		assert_int_equal(pmm_config_parse(&c, bad[i].text, strlen(bad[i].text), "<t>", err,
						  sizeof(err)), -PMM_EINVAL);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("'%s': got \"%s\", want \"%s\"", bad[i].text, err, bad[i].msg);
	}
	snprintf(longtok, sizeof(longtok), "backend=file:/%0300d", 0);
	pmm_config_default(&c);
	assert_int_equal(pmm_config_parse(&c, longtok, strlen(longtok), "<t>", err, sizeof(err)),
			 -PMM_EINVAL);
	assert_non_null(strstr(err, "<t>:1: backend file path too long"));

	pmm_config_default(&c);
	assert_int_equal(c.backend.kind, PMM_BACKEND_ANON);
	assert_int_equal(c.backend.fd, -1);
	assert_int_equal(pmm_config_parse(&c, "backend=file:/x/y.mem", 21, "<t>", err, sizeof(err)), 0);
	assert_int_equal(c.backend.kind, PMM_BACKEND_FILE);
	assert_string_equal(c.backend.path, "/x/y.mem");
	assert_int_equal(pmm_config_parse(&c, "backend=fd:7", 12, "<t>", err, sizeof(err)), 0);
	assert_int_equal(c.backend.kind, PMM_BACKEND_FD);
	assert_int_equal(c.backend.fd, 7);
	assert_int_equal(pmm_config_parse(&c, "backend=hugetlbfs", 17, "<t>", err, sizeof(err)), 0);
	assert_int_equal(c.backend.kind, PMM_BACKEND_HUGETLBFS);
	assert_int_equal(pmm_config_parse(&c, "backend=anon", 12, "<t>", err, sizeof(err)), 0);
	assert_int_equal(c.backend.kind, PMM_BACKEND_ANON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backends_boot),
		cmocka_unit_test(test_fd_backend),
		cmocka_unit_test(test_memory_backend),
		cmocka_unit_test(test_reporting_punches_holes),
		cmocka_unit_test(test_backends_coexist),
		cmocka_unit_test(test_bad_backends),
		cmocka_unit_test(test_hugetlbfs),
		cmocka_unit_test(test_fault_sweep),
		cmocka_unit_test(test_config_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
