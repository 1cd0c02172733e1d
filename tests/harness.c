// SPDX-License-Identifier: MIT
#include "harness.h"

#include <pmm/report.h>

#include <lzma.h>
#include <zstd.h>
#include <dirent.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

char *pmm_test_shared(const char *rel)
{
	const char *base = getenv("PMM_SHARED_DIR");
	char *path;

	if (!base)
		base = PMM_TEST_SHARED_DIR;
	if (asprintf(&path, "%s/data/linux-6.1/%s", base, rel) < 0)
		fail_msg("out of memory");
	if (exists(path))
		return path;
	free(path);
	if (getenv("PMM_REQUIRE_SHARED_DATA") &&
	    strcmp(getenv("PMM_REQUIRE_SHARED_DATA"), "1") == 0)
		fail_msg("shared data %s missing under %s and PMM_REQUIRE_SHARED_DATA=1", rel, base);
	printf("SKIP: %s not found under %s/data/linux-6.1 (no ../shared)\n", rel, base);
	fflush(stdout);
	skip();
	return NULL;
}

char *pmm_test_source_path(const char *rel)
{
	char *path;

	if (asprintf(&path, "%s/%s", PMM_TEST_SOURCE_DIR, rel) < 0)
		fail_msg("out of memory");
	return path;
}

static char *read_plain(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);

	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap + 1);
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static char *unxz(const char *in, size_t inlen, size_t *len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = inlen * 8 + 4096;
	char *out = malloc(cap + 1);
	lzma_ret r;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		fail_msg("lzma_stream_decoder failed");
	s.next_in = (const uint8_t *)in;
	s.avail_in = inlen;
	s.next_out = (uint8_t *)out;
	s.avail_out = cap;
	for (;;) {
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK && r != LZMA_BUF_ERROR)
			fail_msg("xz decode error %d", (int)r);
		if (s.avail_out == 0) {
			size_t used = cap;
			cap *= 2;
			out = realloc(out, cap + 1);
			s.next_out = (uint8_t *)out + used;
			s.avail_out = cap - used;
		} else if (r == LZMA_BUF_ERROR) {
			fail_msg("truncated xz input");
		}
	}
	*len = s.total_out;
	out[*len] = 0;
	lzma_end(&s);
	return out;
}

static char *unzstd(const char *in, size_t inlen, size_t *len)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob = { NULL, 0, 0 };
	size_t r = 1;

	if (!z)
		fail_msg("ZSTD_createDStream failed");
	while (ib.pos < ib.size || r != 0) {
		if (ob.pos == ob.size) {
			ob.size = ob.size ? ob.size * 2 : inlen * 8 + 4096;
			ob.dst = realloc(ob.dst, ob.size + 1);
			if (!ob.dst)
				fail_msg("out of memory for %zu bytes", ob.size);
		}
		r = ZSTD_decompressStream(z, &ob, &ib);
		if (ZSTD_isError(r))
			fail_msg("zstd decode: %s", ZSTD_getErrorName(r));
		if (r && ib.pos == ib.size && ob.pos < ob.size)
			fail_msg("truncated zstd input");
	}
	ZSTD_freeDStream(z);
	((char *)ob.dst)[ob.pos] = 0;
	*len = ob.pos;
	return ob.dst;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

char *pmm_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	char *raw;

	if (!f)
		fail_msg("cannot open %s", path);
	raw = read_plain(f, &n);
	fclose(f);
	if (has_suffix(path, ".xz") || has_suffix(path, ".zst")) {
		char *out = has_suffix(path, ".xz") ? unxz(raw, n, len) : unzstd(raw, n, len);

		free(raw);
		return out;
	}
	*len = n;
	return raw;
}

char *pmm_test_write_tmp(const char *name, const void *data, size_t len)
{
	char *path;
	FILE *f;
	int fd;

	/* The name last, so that its extension is the file's. */
	if (asprintf(&path, "%s/tmp-XXXXXX-%s", PMM_TEST_BINARY_DIR, name) < 0)
		fail_msg("out of memory");
	fd = mkstemps(path, (int)strlen(name) + 1);
	if (fd < 0)
		fail_msg("cannot create %s", path);
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		fail_msg("cannot write %s", path);
	}
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		fail_msg("cannot write %s", path);
	}
	if (fclose(f))
		fail_msg("cannot write %s", path);
	return path;
}

void pmm_test_assert_text_eq(const char *what, const char *e, size_t elen,
			     const char *a, size_t alen)
{
	size_t i = 0, line = 1, ls = 0;

	while (i < elen && i < alen && e[i] == a[i]) {
		if (e[i] == '\n') {
			line++;
			ls = i + 1;
		}
		i++;
	}
	if (i == elen && i == alen)
		return;
	{
		const char *ee = memchr(e + ls, '\n', elen - ls);
		const char *ae = memchr(a + ls, '\n', alen - ls);
		int el = ee ? (int)(ee - (e + ls)) : (int)(elen - ls);
		int al = ae ? (int)(ae - (a + ls)) : (int)(alen - ls);
		print_error("%s: first difference at line %zu, column %zu\n"
			    "  expected: \"%.*s\"\n  actual:   \"%.*s\"\n"
			    "  (expected %zu bytes, got %zu)\n",
			    what, line, i - ls + 1, el, e + ls, al, a + ls, elen, alen);
	}
	fail();
}

void pmm_test_log_sink(void *ctx, int level, const char *msg)
{
	struct pmm_test_log *log = ctx;
	size_t n = strlen(msg);

	(void)level;
	if (!log)
		return;
	if (log->echo)
		fputs(msg, stderr);
	if (log->len + n + 1 > log->cap) {
		log->cap = (log->len + n + 1) * 2;
		log->buf = realloc(log->buf, log->cap);
	}
	memcpy(log->buf + log->len, msg, n + 1);
	log->len += n;
}

void pmm_test_log_reset(struct pmm_test_log *log)
{
	free(log->buf);
	log->buf = NULL;
	log->len = log->cap = 0;
}

int pmm_test_log_has(const struct pmm_test_log *log, const char *needle)
{
	return log->buf && strstr(log->buf, needle) != NULL;
}

unsigned long pmm_test_vmstat(struct pmm *m, const char *name)
{
	static char buf[1 << 16];
	char key[64];
	const char *p;

	assert_true(pmm_report_snprint(m, PMM_REPORT_VMSTAT, buf, sizeof(buf)) > 0);
	snprintf(key, sizeof(key), "\n%s ", name);
	/* the first line has no newline before it */
	if (!strncmp(buf, key + 1, strlen(key + 1)))
		return strtoul(buf + strlen(key + 1), NULL, 10);
	p = strstr(buf, key);
	assert_non_null(p);
	return strtoul(p + strlen(key), NULL, 10);
}

int pmm_test_log_has_kernel_lines(const struct pmm_test_log *log, const char *dmesg_path,
				  const char *const *prefixes, size_t n)
{
	char *dmesg, *save = NULL;
	size_t len;
	int checked = 0;

	dmesg = pmm_test_read_file(dmesg_path, &len);
	for (char *line = strtok_r(dmesg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *text = strstr(line, "] "), want[512];

		if (!text || line[0] != '[')
			continue;
		text += 2;
		for (size_t i = 0; i < n; i++)
			if (!strncmp(text, prefixes[i], strlen(prefixes[i]))) {
				snprintf(want, sizeof(want), "%s\n", text);
				if (!pmm_test_log_has(log, want))
					fail_msg("%s: kernel line missing from pmm's boot log: \"%s\"\n%s",
						 dmesg_path, text, log->buf ? log->buf : "");
				checked++;
				break;
			}
	}
	free(dmesg);
	return checked;
}

struct pmm *pmm_test_machine(const char *text, struct pmm_test_log *log)
{
	return pmm_test_machine_on(text, NULL, log);
}

struct pmm *pmm_test_machine_on(const char *text, const struct pmm_platform *plat,
				struct pmm_test_log *log)
{
	struct pmm_config c;
	struct pmm *m;
	char err[256];
	int r;

	pmm_config_default(&c);
	if (plat)
		c.platform = plat; /* before parsing: host_node= asks it which nodes exist */
	if (text && pmm_config_parse(&c, text, strlen(text), "<test>", err, sizeof(err)))
		fail_msg("config '%s': %s", text, err);
	c.log = pmm_test_log_sink;
	c.log_ctx = log;
	r = pmm_create(&c, &m);
	if (r)
		fail_msg("pmm_create('%s') = %s%s%s", text ? text : "", pmm_errname(r),
			 log && log->buf ? "; log:\n" : "", log && log->buf ? log->buf : "");
	return m;
}

size_t pmm_test_resident_bytes(const void *addr, size_t len)
{
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(ps - 1);
	size_t n = (len + ((uintptr_t)addr - a) + (size_t)ps - 1) / (size_t)ps, res = 0;
	unsigned char *vec = malloc(n ? n : 1);

	assert_non_null(vec);
	if (mincore((void *)a, n * (size_t)ps, vec)) {
		/*
		 * qemu-user refuses mincore() on a range with PROT_NONE pages
		 * (ENOMEM), where Linux answers; a cross build's tests run
		 * under it with PMM_TEST_EMULATOR set (CMakeLists.txt).
		 */
		int e = errno;

		free(vec);
		if (e == ENOMEM && getenv("PMM_TEST_EMULATOR")) {
			printf("SKIP: host residency not measurable under %s (mincore: %s)\n",
			       getenv("PMM_TEST_EMULATOR"), strerror(e));
			skip();
		}
		fail_msg("mincore(%p, %zu): %s", (void *)a, n * (size_t)ps, strerror(e));
	}
	for (size_t i = 0; i < n; i++)
		res += vec[i] & 1;
	free(vec);
	return res * (size_t)ps;
}

int pmm_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

unsigned long pmm_test_boot_sweep(const char *text, void (*check)(struct pmm *m))
{
	unsigned long n, failures = 0;
	int fds = pmm_test_count_fds();

	for (n = 1;; n++) {
		struct pmm_platform_faulty f;
		struct pmm_config c;
		struct pmm *m;
		int r;

		pmm_config_default(&c);
		assert_int_equal(pmm_config_parse(&c, text, strlen(text), "<sweep>", NULL, 0), 0);
		pmm_platform_faulty_init(&f, pmm_platform_posix(),
					 PMM_FAULT_RESERVE | PMM_FAULT_COMMIT | PMM_FAULT_ALLOC, n);
		c.platform = &f.ops;
		c.log = pmm_test_log_sink;
		c.log_ctx = NULL;
		r = pmm_create(&c, &m);
		if (r == 0) {
			/* Met no failure, or one the machine survives (a symbolizer-free path, say). */
			if (f.failures == 0 && check)
				check(m);
			pmm_destroy(m);
		} else {
			assert_int_not_equal(f.failures, 0);
			assert_null(m);
		}
		if (f.outstanding != 0)
			fail_msg("%s: failing call %lu: %ld resources (%zu bytes) leaked", text, n,
				 f.outstanding, f.outstanding_bytes);
		if (pmm_test_count_fds() != fds)
			fail_msg("%s: failing call %lu: a descriptor leaked", text, n);
		if (f.failures == 0)
			break;
		failures++;
	}
	{
		/* The same line every run: a backend file's path is shown as PATH. */
		const char *file = strstr(text, "file:");
		int pre = file ? (int)(file - text) + 5 : (int)strlen(text);
		const char *rest = file ? file + 5 + strcspn(file + 5, " ") : "";

		print_message("boot fault sweep: %.*s%s%s: %lu fault points, 0 leaks\n", pre, text,
			      file ? "PATH" : "", rest, failures);
	}
	return failures;
}

void pmm_test_expect_refused(struct pmm_config *c, const char *message)
{
	struct pmm_platform_faulty f;
	struct pmm_test_log log = { 0 };
	struct pmm *m = (struct pmm *)c;
	int fds = pmm_test_count_fds();

	pmm_platform_faulty_init(&f, pmm_platform_posix(), 0, 0);
	c->platform = &f.ops;
	c->log = pmm_test_log_sink;
	c->log_ctx = &log;
	assert_int_equal(pmm_create(c, &m), -PMM_EINVAL);
	assert_null(m);
	if (!pmm_test_log_has(&log, message))
		fail_msg("log lacks \"%s\":\n%s", message, log.buf ? log.buf : "");
	assert_int_equal(f.outstanding, 0);
	assert_int_equal(pmm_test_count_fds(), fds);
	pmm_test_log_reset(&log);
}

int pmm_test_run_child(void (*fn)(void *arg), void *arg, char *out, size_t outlen)
{
	int fds[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while (n + 1 < outlen && (r = read(fds[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}
