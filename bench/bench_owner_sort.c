// SPDX-License-Identifier: MIT
/*
 * bench_owner_sort: throughput of pmm_owner_sort_run() on the real 6.1
 * page_owner dump, against the kernel's page_owner_sort measured on this
 * machine (33 MB/s: a 30 MB dump in about 0.9 s).
 *
 * The dump is decompressed into memory first; each run reads it through
 * fmemopen() and writes into a preallocated fmemopen() buffer, so the time
 * is parsing, grouping, sorting and formatting, not disk.  Median of 5 runs
 * (wall clock; the CPU time is printed too, as a busy machine stretches the
 * wall clock much more).
 *
 * Usage: bench_owner_sort [--all] [DUMP]   (DUMP: page_owner.txt[.xz];
 * default: the shared capture next to the source tree, or $PMM_SHARED_DIR)
 * Prints one Markdown table row (with --all, one per option set).
 */
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pmm/errno.h>
#include <pmm/owner_sort.h>

#define KERNEL_TOOL_MBPS 33.0
#define RUNS 5

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static char *unxz(const char *in, size_t inlen, size_t *len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = inlen * 10 + 4096;
	char *out = malloc(cap);
	lzma_ret r;

	if (!out || lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
		free(out);
		return NULL;
	}
	s.next_in = (const uint8_t *)in;
	s.avail_in = inlen;
	s.next_out = (uint8_t *)out;
	s.avail_out = cap;
	for (;;) {
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK && r != LZMA_BUF_ERROR) {
			free(out);
			lzma_end(&s);
			return NULL;
		}
		if (s.avail_out == 0) {
			char *no = realloc(out, cap * 2);

			if (!no) {
				free(out);
				lzma_end(&s);
				return NULL;
			}
			out = no;
			s.next_out = (uint8_t *)out + cap;
			s.avail_out = cap;
			cap *= 2;
		}
	}
	*len = cap - s.avail_out;
	lzma_end(&s);
	return out;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Median wall seconds of RUNS runs with these arguments (and in *cpu the
 * median CPU seconds, which a busy machine disturbs less); < 0 on failure.
 */
static double time_runs(const char *dump, size_t len, char *outbuf, size_t outcap, int argc,
			char **argv, size_t *outlen, double *cpu)
{
	double t[RUNS], c[RUNS];
	struct pmm_owner_sort_opts opts;
	const char *operands[1];
	char err[256];
	int nr;

	pmm_owner_sort_opts_init(&opts);
	if (pmm_owner_sort_parse_args(&opts, argc, argv, operands, 1, &nr, err, sizeof(err))) {
		fprintf(stderr, "bench_owner_sort: %s\n", err);
		return -1;
	}
	for (int i = 0; i < RUNS; i++) {
		FILE *in = fmemopen((void *)dump, len, "r");
		FILE *out = fmemopen(outbuf, outcap, "w");
		double t0, c0;
		int ret;

		if (!in || !out) {
			fprintf(stderr, "bench_owner_sort: fmemopen failed\n");
			return -1;
		}
		setvbuf(out, NULL, _IOFBF, 1 << 16);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		t0 = clock_s(CLOCK_MONOTONIC);
		ret = pmm_owner_sort_run(&opts, in, "page_owner.txt", out, err, sizeof(err));
		t[i] = clock_s(CLOCK_MONOTONIC) - t0;
		c[i] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		*outlen = (size_t)ftell(out);
		fclose(in);
		fclose(out);
		if (ret) {
			fprintf(stderr, "bench_owner_sort: %s (%s)\n", err, pmm_strerror(ret));
			return -1;
		}
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	qsort(c, RUNS, sizeof(c[0]), cmp_double);
	*cpu = c[RUNS / 2];
	return t[RUNS / 2];
}

static const char *default_dump(void)
{
	static char path[4096];
	const char *base = getenv("PMM_SHARED_DIR");
	const char *src = __FILE__, *slash;

	if (base) {
		snprintf(path, sizeof(path), "%s/data/linux-6.1/a-1g-1node-mixed/page_owner.txt.xz",
			 base);
		return path;
	}
	/* __FILE__ is .../pmm/bench/bench_owner_sort.c; shared sits beside pmm */
	slash = strrchr(src, '/');
	for (int up = 0; slash && up < 1; up++) {
		const char *p = slash - 1;

		while (p > src && *p != '/')
			p--;
		slash = *p == '/' ? p : NULL;
	}
	snprintf(path, sizeof(path), "%.*s/../shared/data/linux-6.1/a-1g-1node-mixed/page_owner.txt.xz",
		 slash ? (int)(slash - src) : 1, slash ? src : ".");
	return path;
}

int main(int argc, char **argv)
{
	static char *sets[][4] = {
		{ "owner-sort", NULL },
		{ "owner-sort", "-m", NULL },
		{ "owner-sort", "-a", NULL },
		{ "owner-sort", "--cull=stacktrace", NULL },
		{ "owner-sort", "-m", "--cull=pid,name", NULL },
	};
	const char *path = NULL;
	bool all = false;
	size_t rawlen, len, outlen = 0;
	char *raw, *dump, *outbuf;
	int nsets;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else
			path = argv[i];
	}
	if (!path)
		path = default_dump();
	raw = slurp(path, &rawlen);
	if (!raw) {
		fprintf(stderr, "bench_owner_sort: cannot read %s\n", path);
		return 1;
	}
	if (rawlen >= 6 && !memcmp(raw, "\xfd" "7zXZ", 6)) {
		dump = unxz(raw, rawlen, &len);
		free(raw);
	} else {
		dump = raw;
		len = rawlen;
	}
	if (!dump) {
		fprintf(stderr, "bench_owner_sort: cannot decompress %s\n", path);
		return 1;
	}
	outbuf = malloc(len * 2 + (1 << 20));
	if (!outbuf)
		return 1;

	nsets = all ? (int)(sizeof(sets) / sizeof(sets[0])) : 1;
	for (int s = 0; s < nsets; s++) {
		int n = 0;
		char label[128] = "";
		double sec, mbps, cpu = 0;

		while (sets[s][n])
			n++;
		for (int k = 1; k < n; k++)
			snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s",
				 k > 1 ? " " : "", sets[s][k]);
		sec = time_runs(dump, len, outbuf, len * 2 + (1 << 20), n, sets[s], &outlen, &cpu);
		if (sec < 0)
			return 1;
		mbps = (double)len / 1e6 / sec;
		printf("| owner-sort %s | %.1f MB page_owner dump -> %.1f MB | %.1f ms (CPU %.1f ms) | "
		       "%.0f MB/s | %.1fx the kernel's page_owner_sort (%.0f MB/s) |\n",
		       label[0] ? label : "(default)", (double)len / 1e6, (double)outlen / 1e6,
		       sec * 1e3, cpu * 1e3, mbps, mbps / KERNEL_TOOL_MBPS, KERNEL_TOOL_MBPS);
	}
	free(outbuf);
	free(dump);
	return 0;
}
