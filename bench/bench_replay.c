// SPDX-License-Identifier: MIT
/*
 * Replay throughput on the shipped trace slice (data/kmem-6.1-slice.txt.zst,
 * 395 993 events) on the guest's machine (data/kmem-6.1-machine.conf),
 * median of 5 runs, three ways:
 *   engine      pre-parsed events through pmm_replay_event() (the replay alone)
 *   text        parse + replay of the decompressed text in memory
 *   file        pmm_replay_file() on the file as shipped (zstd; decompression included)
 * each as events per second of wall time and of the thread's CPU time (the
 * CPU time is what the replay costs; wall time also counts other load on
 * the host).  Then the same with page_owner on, and the time of a
 * page_owner report (pmm_page_owner_dump() to /dev/null) after it.
 * Last, whole processes, measured from outside with wait4(): the pmm tool
 * next to this binary replaying the file (`pmm replay -q -c MACHINE TRACE`:
 * start-up, boot, decompression, parse, replay, validation and exit, user
 * + system CPU time of the process), and the main job `pmm run -q` with
 * its page_owner, reports and pictures, for scale.
 *
 * Usage: bench_replay [TRACE [MACHINE.conf]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pmm/page_owner.h>
#include <pmm/replay.h>
#include <pmm/trace.h>

#define RUNS 5

struct clocks {
	double wall, cpu;
};

static struct clocks now(void)
{
	struct timespec w, c;

	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
	return (struct clocks){ (double)w.tv_sec + (double)w.tv_nsec / 1e9,
				(double)c.tv_sec + (double)c.tv_nsec / 1e9 };
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @v[0..n); sorts @v, so v[0] is the fastest after. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static void quiet(void *ctx, int level, const char *msg)
{
	(void)ctx, (void)level, (void)msg;
}

static const char *trace_path = "data/kmem-6.1-slice.txt.zst";
static const char *conf_path = "data/kmem-6.1-machine.conf";
static struct pmm_config cfg;

static struct pmm_replay *new_replay(int page_owner)
{
	struct pmm_replay_opts o = { .page_owner = page_owner };
	struct pmm_replay *r;

	if (pmm_replay_create(&r, NULL, &cfg, &o)) {
		fprintf(stderr, "bench_replay: cannot boot the machine\n");
		exit(1);
	}
	return r;
}

static void finish(struct pmm_replay *r)
{
	if (pmm_replay_finish(r)) {
		fprintf(stderr, "bench_replay: validate: %s\n", pmm_replay_result(r)->validate_msg);
		exit(1);
	}
}

/* The slice decompressed into memory, and its events parsed once. */
static char *text;
static size_t text_len;
static struct pmm_trace_event *events;
static char (*texts)[64];
static size_t nr_events;

static void load(void)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	size_t cap = 1 << 20;
	FILE *mem;
	int r;

	/* Decompress by parsing the file and printing every event back: the parser's round trip is exact. */
	if (pmm_trace_open(&p, trace_path, NULL)) {
		fprintf(stderr, "bench_replay: cannot open %s\n", trace_path);
		exit(1);
	}
	mem = open_memstream(&text, &text_len);
	events = malloc(cap * sizeof(*events));
	texts = malloc(cap * sizeof(*texts));
	while ((r = pmm_trace_next(p, &ev)) == 1) {
		char line[1024];

		if (nr_events == cap) {
			cap *= 2;
			events = realloc(events, cap * sizeof(*events));
			texts = realloc(texts, cap * sizeof(*texts));
		}
		pmm_trace_format_line(line, sizeof(line), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
		fprintf(mem, "%s\n", line);
		if (ev.text) {
			size_t n = ev.text_len < 63 ? ev.text_len : 63;

			memcpy(texts[nr_events], ev.text, n);
			texts[nr_events][n] = '\0';
			ev.text = texts[nr_events];
			ev.text_len = n;
		}
		ev.name = NULL;
		events[nr_events++] = ev;
	}
	pmm_trace_close(p);
	fclose(mem);
	if (r < 0) {
		fprintf(stderr, "bench_replay: %s\n", "parse error");
		exit(1);
	}
}

enum mode { ENGINE, TEXT, FILE_IN };

static struct clocks run(enum mode mode, int page_owner, double *dump_s)
{
	struct pmm_replay *r = new_replay(page_owner);
	struct pmm_trace_parser *p;
	struct clocks t0, t1;

	t0 = now();
	switch (mode) {
	case ENGINE:
		for (size_t i = 0; i < nr_events; i++)
			if (pmm_replay_event(r, &events[i]))
				exit(1);
		break;
	case TEXT:
		if (pmm_trace_open_mem(&p, "slice", text, text_len, NULL) || pmm_replay_parser(r, p, "slice"))
			exit(1);
		pmm_trace_close(p);
		break;
	case FILE_IN:
		if (pmm_replay_file(r, trace_path))
			exit(1);
		break;
	}
	t1 = now();
	finish(r);
	if (pmm_replay_result(r)->events != nr_events) {
		fprintf(stderr, "bench_replay: %llu events replayed, %zu expected\n",
			(unsigned long long)pmm_replay_result(r)->events, nr_events);
		exit(1);
	}
	if (dump_s) {
		FILE *null = fopen("/dev/null", "w");
		struct clocks d0 = now(), d1;

		if (pmm_page_owner_dump(pmm_replay_machine(r), null, 0, PMM_KVER_6_1))
			exit(1);
		fflush(null);
		d1 = now();
		fclose(null);
		*dump_s = d1.wall - d0.wall;
	}
	pmm_replay_destroy(r);
	return (struct clocks){ t1.wall - t0.wall, t1.cpu - t0.cpu };
}

/* One run of @argv as a child: its wall time and user + system CPU time, stdout to /dev/null. */
static struct clocks process(char *const *argv)
{
	struct clocks t0, t1;
	struct rusage ru;
	int status;
	pid_t pid;

	fflush(stdout); /* else the child's freopen() writes our buffered table again */
	t0 = now();
	pid = fork();

	if (pid < 0) {
		perror("bench_replay: fork");
		exit(1);
	}
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_replay: %s %s failed\n", argv[0], argv[1]);
		exit(1);
	}
	t1 = now();
	return (struct clocks){ t1.wall - t0.wall,
				(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
					(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6 };
}

#define PROCESS_RUNS 11

static void process_row(const char *label, char *const *argv)
{
	double wall[PROCESS_RUNS], cpu[PROCESS_RUNS], w, c;

	for (int i = 0; i < PROCESS_RUNS; i++) {
		struct clocks t = process(argv);

		wall[i] = t.wall;
		cpu[i] = t.cpu;
	}
	w = median(wall, PROCESS_RUNS);
	c = median(cpu, PROCESS_RUNS);
	printf("%-42s %12.3f %12.3f %14.2f %14.2f   (fastest: %.3f s CPU, %.2f M ev/s)\n", label, w, c,
	       (double)nr_events / w / 1e6, (double)nr_events / c / 1e6, cpu[0],
	       (double)nr_events / cpu[0] / 1e6);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "engine (pre-parsed events)", "text in memory (parse + replay)",
					     "file (decompress + parse + replay)" };
	char err[256];
	double dump_median = 0;

	if (argc > 1)
		trace_path = argv[1];
	if (argc > 2)
		conf_path = argv[2];
	pmm_config_default(&cfg);
	if (pmm_config_load(&cfg, conf_path, err, sizeof(err))) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return 1;
	}
	cfg.log = quiet;
	load();
	printf("bench_replay: %s, %zu events, %.1f MB of text, machine %s; median of %d runs\n",
	       trace_path, nr_events, (double)text_len / 1e6, conf_path, RUNS);
	printf("%-42s %12s %12s %14s %14s\n", "", "wall s", "cpu s", "M events/s", "M ev/s (cpu)");
	for (int po = 0; po < 2; po++) {
		for (int mode = 0; mode < 3; mode++) {
			double wall[RUNS], cpu[RUNS], dump[RUNS], w, c;
			char label[96];

			for (int i = 0; i < RUNS; i++) {
				struct clocks t = run((enum mode)mode, po, po && mode == TEXT ? &dump[i] : NULL);

				wall[i] = t.wall;
				cpu[i] = t.cpu;
			}
			w = median(wall, RUNS);
			c = median(cpu, RUNS);
			snprintf(label, sizeof(label), "%s%s", names[mode], po ? ", page_owner" : "");
			printf("%-42s %12.3f %12.3f %14.2f %14.2f\n", label, w, c, (double)nr_events / w / 1e6,
			       (double)nr_events / c / 1e6);
			if (po && mode == TEXT)
				dump_median = median(dump, RUNS);
		}
	}
	printf("%-42s %12.3f   (pmm_page_owner_dump() to /dev/null after the page_owner replay)\n",
	       "page_owner report", dump_median);

	{
		char tool[4096];
		const char *slash = strrchr(argv[0], '/');

		snprintf(tool, sizeof(tool), "%.*spmm", slash ? (int)(slash - argv[0] + 1) : 0, argv[0]);
		if (access(tool, X_OK)) {
			printf("(no %s: whole-process rows skipped)\n", tool);
			return 0;
		}
		printf("whole processes, median of %d:\n", PROCESS_RUNS);
		process_row("pmm replay -q (the file, end to end)",
			    (char *const[]){ tool, "replay", "-q", "-c", (char *)conf_path,
					     (char *)trace_path, NULL });
		process_row("pmm run -q (page_owner, reports, SVGs)",
			    (char *const[]){ tool, "run", "-q", "-t", (char *)trace_path, "--svg-map",
					     "/dev/null", "--svg-chart", "/dev/null", NULL });
	}
	return 0;
}
