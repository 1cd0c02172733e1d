// SPDX-License-Identifier: MIT
/*
 * Parse throughput of the kmem trace text parser: the real 6.1 capture
 * (a-1g-1node-mixed/trace.txt.xz, and the trace-cmd report) decompressed
 * into memory, parsed whole, median of 5 runs; also the formatter writing
 * every event back.  Prints events/s and MB/s.
 *
 * Usage: bench_trace_parse [trace.txt[.xz] ...]   (default: the shared captures)
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pmm/trace.h>

#define RUNS 5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *raw;

	if (!f)
		return NULL;
	raw = malloc(cap);
	for (;;) {
		n += fread(raw + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		raw = realloc(raw, cap);
	}
	fclose(f);
	if (n >= 6 && memcmp(raw, "\xfd" "7zXZ", 5) == 0) {
		lzma_stream s = LZMA_STREAM_INIT;
		size_t ocap = n * 40, olen;
		char *out = malloc(ocap);

		if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) {
			free(raw);
			free(out);
			return NULL;
		}
		s.next_in = (const uint8_t *)raw;
		s.avail_in = n;
		s.next_out = (uint8_t *)out;
		s.avail_out = ocap;
		while (lzma_code(&s, LZMA_FINISH) == LZMA_OK && s.avail_out == 0) {
			olen = ocap - s.avail_out;
			ocap *= 2;
			out = realloc(out, ocap);
			s.next_out = (uint8_t *)out + olen;
			s.avail_out = ocap - olen;
		}
		olen = ocap - s.avail_out;
		lzma_end(&s);
		free(raw);
		*len = olen;
		return out;
	}
	*len = n;
	return raw;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void bench(const char *path)
{
	size_t len;
	char *text = load(path, &len);
	double parse[RUNS], fmt[RUNS];
	unsigned long long events = 0;
	int run;

	if (!text) {
		printf("%-40s not found, skipped\n", path);
		return;
	}
	for (run = 0; run < RUNS; run++) {
		struct pmm_trace_parser *p;
		struct pmm_trace_event ev;
		double t0;
		int r;

		events = 0;
		pmm_trace_open_mem(&p, path, text, len, NULL);
		t0 = now();
		while ((r = pmm_trace_next(p, &ev)) != 0)
			if (r > 0)
				events++;
		parse[run] = now() - t0;
		pmm_trace_close(p);

		/* parse + format each event back (the re-emit path) */
		pmm_trace_open_mem(&p, path, text, len, NULL);
		t0 = now();
		while ((r = pmm_trace_next(p, &ev)) != 0) {
			char line[512];

			if (r > 0)
				pmm_trace_format_line(line, sizeof(line), &ev, ev.style, PMM_KVER_6_1);
		}
		fmt[run] = now() - t0;
		pmm_trace_close(p);
	}
	qsort(parse, RUNS, sizeof(double), cmp);
	qsort(fmt, RUNS, sizeof(double), cmp);
	{
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		double tp = parse[RUNS / 2], tf = fmt[RUNS / 2] - tp;

		printf("%-26s %9llu events %7.1f MB  parse %6.2f M events/s %7.0f MB/s   format %6.2f M events/s\n",
		       base, events, (double)len / 1e6, (double)events / tp / 1e6,
		       (double)len / tp / 1e6, tf > 0 ? (double)events / tf / 1e6 : 0.0);
	}
	free(text);
}

int main(int argc, char **argv)
{
	int i;

	printf("bench_trace_parse: median of %d runs, input in memory\n", RUNS);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			bench(argv[i]);
		return 0;
	}
	{
		/* ../shared next to the source tree, as the tests find it */
		const char *env = getenv("PMM_SHARED_DIR");
		char base[4096], path[4200];

		if (env) {
			snprintf(base, sizeof(base), "%s", env);
		} else {
			snprintf(base, sizeof(base), "%s", __FILE__);
			*strrchr(base, '/') = '\0'; /* bench/ */
			strncat(base, "/../../shared", sizeof(base) - strlen(base) - 1);
		}
		snprintf(path, sizeof(path), "%s/data/linux-6.1/a-1g-1node-mixed/trace.txt.xz", base);
		bench(path);
		snprintf(path, sizeof(path), "%s/data/linux-6.1/trace-cmd/trace-report.txt.xz", base);
		bench(path);
	}
	return 0;
}
