// SPDX-License-Identifier: MIT
/*
 * pmm replay: replay a real kernel's kmem trace on a machine and print what
 * happened (events by kind, skipped by reason, allocations failed by order,
 * pmm's counts against the trace's, free frames by order), optionally with
 * pictures, pmm's own events as a trace, and the page_owner file.
 */
#include <errno.h>
#include <getopt.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <pmm/page_owner.h>
#include <pmm/pmm.h>
#include <pmm/replay.h>
#include <pmm/trace.h>

#include "commands.h"
#include "replay_job.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmm replay [OPTIONS] FILE\n"
		"\n"
		"Replay a kernel's kmem page events (ftrace `trace` / `trace_pipe` text,\n"
		"`trace-cmd report` (also -l) or `perf script` text, plain, .zst, .xz or .gz,\n"
		"or a trace-cmd trace.dat; of Linux 2.6.32 and later, whose mm_page_free_direct\n"
		"and mm_pagevec_free are 3.3's mm_page_free and mm_page_free_batched, and\n"
		"whose struct page pointers before 4.1 give the pfn (trace-cmd and perf\n"
		"printed it as the memmap byte offset): pfn= in hex or, before 5.14, decimal,\n"
		"page= of 32- or 64-bit kernels, older kernels' gfp flag names read with their\n"
		"6.1 meaning, and a trace.dat's gfp numbers, its kernel's bits, through the\n"
		"names its print format gives them; '-' for standard input) on a pmm machine:\n"
		"every mm_page_alloc is allocated again with the trace's order and gfp flags by\n"
		"the trace's CPU, every mm_page_free frees it.\n"
		"\n"
		"  -m, --machine TOKENS   machine config tokens, e.g. \"mem=1G cpus=2\" (after -c)\n"
		"  -c, --config FILE      machine config file (data/kmem-6.1-machine.conf is the\n"
		"                         guest of the shipped trace; default: 1 node, 8 GiB)\n"
		"      --machine-from PATH  the machine a Linux capture describes: PATH is a\n"
		"                         directory with the boot log (dmesg.txt[.xz], console.log)\n"
		"                         and optionally iomem.txt, nodes/, sysctl_vm/, thp/ and\n"
		"                         zoneinfo.txt, or a boot log: node ranges, CPUs and their\n"
		"                         nodes, kernelcore=, the kernel's reservations (managed\n"
		"                         pages as zoneinfo's), sysctls (-v prints the config; -c\n"
		"                         and -m apply after it); with its phases/NAME/buddyinfo,\n"
		"                         the kernel's free blocks are printed beside pmm's; on\n"
		"                         several nodes, each allocation prefers the node of the\n"
		"                         frame the kernel got (the trace does not say which node\n"
		"                         was asked for)\n"
		"  -n, --events N         stop after N events\n"
		"      --until SECONDS    stop at the first event later than this trace time\n"
		"      --every N          print a progress summary every N events\n"
		"      --sample-every N   sample free blocks every N events (default 1000)\n"
		"      --page-owner       track page owners (records carry the trace's pid, comm, time)\n"
		"      --page-owner-dump FILE  write the page_owner file after the replay\n"
		"      --svg-map FILE     draw the machine's memory map at the end (SVG)\n"
		"      --svg-chart FILE   chart fragmentation over the replay (SVG)\n"
		"      --chart-events     chart against events instead of trace time\n"
		"      --trace-out FILE   write pmm's own kmem events as a kernel trace\n"
		"      --keep-going       skip malformed lines (counted) instead of stopping\n"
		"      --kver RELEASE     the trace's kernel (e.g. 6.8): how its gfp flag names\n"
		"                         read (GFP_ATOMIC lost __GFP_ATOMIC in 6.3, GFP_NOWAIT\n"
		"                         gained __GFP_NOWARN in 6.8) and the page_owner file's\n"
		"                         format; default: a trace.dat's own kernel (its uname),\n"
		"                         text as the --machine-from capture's kernel, else 6.1\n"
		"  -s, --sysctl NAME=VALUE  write /proc/sys/vm/NAME after the boot, before the\n"
		"                         first event (repeatable, applied in order; see\n"
		"                         `pmm report --help` for the names); what it allocates\n"
		"                         is not counted as the replay's\n"
		"  -q, --quiet            no progress bar, no machine messages, a short summary\n"
		"  -v, --verbose          also print the machine's boot log\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 ok, 1 the machine failed validation (or a config file could not\n"
		"be opened, an output not written), 2 usage, 65 bad input (\"file:line: reason\"\n"
		"on stderr).\n");
}

/* ------------------------------------------------------------ input size for the bar */

/* Uncompressed size of a single-stream .xz file from its index, or 0. */
static uint64_t xz_size(FILE *f, long fsize)
{
	uint8_t footer[LZMA_STREAM_HEADER_SIZE], *ibuf;
	lzma_stream_flags flags;
	lzma_index *idx = NULL;
	uint64_t memlimit = UINT64_MAX, size = 0;
	size_t pos = 0;

	if (fsize < 2 * LZMA_STREAM_HEADER_SIZE || fseek(f, fsize - LZMA_STREAM_HEADER_SIZE, SEEK_SET) ||
	    fread(footer, 1, sizeof(footer), f) != sizeof(footer) ||
	    lzma_stream_footer_decode(&flags, footer) != LZMA_OK ||
	    flags.backward_size > (lzma_vli)fsize - 2 * LZMA_STREAM_HEADER_SIZE)
		return 0;
	ibuf = malloc(flags.backward_size);
	if (!ibuf)
		return 0;
	if (!fseek(f, fsize - LZMA_STREAM_HEADER_SIZE - (long)flags.backward_size, SEEK_SET) &&
	    fread(ibuf, 1, flags.backward_size, f) == flags.backward_size &&
	    lzma_index_buffer_decode(&idx, &memlimit, NULL, ibuf, &pos, flags.backward_size) == LZMA_OK) {
		/* A concatenated file holds more streams than this index says: then size is a guess. */
		if (lzma_index_file_size(idx) == (lzma_vli)fsize)
			size = lzma_index_uncompressed_size(idx);
		lzma_index_end(idx, NULL);
	}
	free(ibuf);
	return size;
}

/*
 * Decoded size of a .zst: the sum of its frames' recorded sizes, found by
 * libzstd's walk over the frame and block headers of the mapped file (only
 * the pages holding headers are read).  0 when a frame does not record its
 * size or the walk does not end at the end of the file.
 */
static uint64_t zstd_size(FILE *f, uint64_t fsize)
{
	const unsigned char *p = mmap(NULL, (size_t)fsize, PROT_READ, MAP_PRIVATE, fileno(f), 0);
	uint64_t pos = 0, size = 0;

	if (p == MAP_FAILED)
		return 0;
	while (pos < fsize) {
		/* A skippable frame records 0; it is stepped over like any other. */
		unsigned long long content = ZSTD_getFrameContentSize(p + pos, (size_t)(fsize - pos));
		size_t frame = ZSTD_findFrameCompressedSize(p + pos, (size_t)(fsize - pos));

		if (content == ZSTD_CONTENTSIZE_UNKNOWN || content == ZSTD_CONTENTSIZE_ERROR ||
		    ZSTD_isError(frame)) {
			size = 0;
			break;
		}
		size += content;
		pos += frame;
	}
	munmap((void *)p, (size_t)fsize);
	return size;
}

/* Decoded size of the input, for the progress bar; 0 when unknown. */
static uint64_t input_size(const char *path)
{
	unsigned char magic[6] = { 0 };
	struct stat st;
	uint64_t size = 0;
	FILE *f;

	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic)) {
		fclose(f);
		return (uint64_t)st.st_size;
	}
	if (!memcmp(magic, "\x28\xb5\x2f\xfd", 4)) {
		size = zstd_size(f, (uint64_t)st.st_size);
	} else if (!memcmp(magic, "\xfd" "7zXZ", 6)) {
		size = xz_size(f, (long)st.st_size);
	} else if (magic[0] == 0x1f && magic[1] == 0x8b) {
		unsigned char isize[4];

		/* ISIZE is the size modulo 2^32: good for the bar below 4 GiB. */
		if (st.st_size > 18 && !fseek(f, -4, SEEK_END) && fread(isize, 1, 4, f) == 4)
			size = isize[0] | (uint64_t)isize[1] << 8 | (uint64_t)isize[2] << 16 |
			       (uint64_t)isize[3] << 24;
	} else if (!memcmp(magic, "\x17\x08\x44tra", 6)) {
		size = 0; /* trace.dat: no decoded-bytes measure */
	} else {
		size = (uint64_t)st.st_size;
	}
	fclose(f);
	return size;
}

/* ------------------------------------------------------------ progress */

struct progress {
	struct pmm_replay *r;
	uint64_t total;          /* decoded input bytes, 0 unknown */
	uint64_t summary_every;  /* --every */
	int bar;                 /* draw the bar on stderr */
	double last;             /* when the bar was drawn */
	double start;
	int drawn;
};

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw_bar(struct progress *p, const struct pmm_replay_result *res, uint64_t bytes)
{
	double t = wall() - p->start, rate = t > 0 ? (double)res->events / t : 0;
	char bar[41];

	if (p->total) {
		double frac = (double)bytes / (double)p->total;
		int fill;

		if (frac > 1)
			frac = 1;
		fill = (int)(frac * 40);
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '.', (size_t)(40 - fill));
		bar[40] = '\0';
		fprintf(stderr, "\r[%s] %3.0f%% %10llu events %6.2f M/s  t=%.3f s ", bar, frac * 100,
			(unsigned long long)res->events, rate / 1e6, (double)res->last_ts_ns / 1e9);
	} else {
		fprintf(stderr, "\r%10llu events %6.2f M/s  t=%.3f s ", (unsigned long long)res->events,
			rate / 1e6, (double)res->last_ts_ns / 1e9);
	}
	fflush(stderr);
	p->drawn = 1;
}

static void clear_bar(struct progress *p)
{
	if (p->drawn) {
		fprintf(stderr, "\r%*s\r", 110, "");
		fflush(stderr);
		p->drawn = 0;
	}
}

static void print_summary_line(struct progress *p, const struct pmm_replay_result *res)
{
	struct pmm_replay_zone_free zones[64];
	unsigned long nr_free[PMM_MAX_ORDER] = { 0 }, free_pages = 0;
	size_t nz = pmm_zone_free_blocks(pmm_replay_machine(p->r), zones, 64);

	if (nz > 64)
		nz = 64;
	for (size_t z = 0; z < nz; z++)
		for (int o = 0; o < PMM_MAX_ORDER; o++)
			nr_free[o] += zones[z].nr_free[o];
	for (int o = 0; o < PMM_MAX_ORDER; o++)
		free_pages += nr_free[o] << o;
	printf("[%llu events, t=%.6f s] %llu allocs, %llu frees, %llu skipped frees, live %llu pages; "
	       "free %lu pages, blocks by order:",
	       (unsigned long long)res->events, (double)res->last_ts_ns / 1e9,
	       (unsigned long long)res->allocs, (unsigned long long)res->frees,
	       (unsigned long long)(res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED] +
				    res->skipped[PMM_REPLAY_SKIP_FREE_PMM_FAILED] +
				    res->skipped[PMM_REPLAY_SKIP_FREE_ORDER]),
	       (unsigned long long)(res->alloc_pages - res->free_pages), free_pages);
	for (int o = 0; o < PMM_MAX_ORDER; o++)
		printf(" %lu", nr_free[o]);
	printf("; unusable index order 9: %.3f\n", pmm_unusable_index(nr_free, 9));
	fflush(stdout);
}

static int on_progress(void *ctx, const struct pmm_replay_result *res, uint64_t bytes)
{
	struct progress *p = ctx;

	if (p->summary_every && res->events && res->events % p->summary_every == 0) {
		clear_bar(p);
		print_summary_line(p, res);
	}
	if (p->bar) {
		double now = wall();

		if (now - p->last >= 0.1) {
			p->last = now;
			draw_bar(p, res, bytes);
		}
	}
	return 0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* ------------------------------------------------------------ main */

struct replay_log {
	int verbose, quiet;
};

static void log_sink(void *ctx, int level, const char *msg)
{
	struct replay_log *l = ctx;

	if (l->quiet || (level > PMM_LOG_WARNING && !l->verbose))
		return;
	fputs(msg, stderr);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_UNTIL = 256, OPT_EVERY, OPT_SAMPLE, OPT_PAGE_OWNER, OPT_PO_DUMP, OPT_SVG_MAP,
	OPT_SVG_CHART, OPT_CHART_EVENTS, OPT_TRACE_OUT, OPT_KEEP_GOING, OPT_MACHINE_FROM, OPT_KVER,
};

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "machine-from", required_argument, NULL, OPT_MACHINE_FROM },
		{ "events", required_argument, NULL, 'n' },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "sample-every", required_argument, NULL, OPT_SAMPLE },
		{ "page-owner", no_argument, NULL, OPT_PAGE_OWNER },
		{ "page-owner-dump", required_argument, NULL, OPT_PO_DUMP },
		{ "svg-map", required_argument, NULL, OPT_SVG_MAP },
		{ "svg-chart", required_argument, NULL, OPT_SVG_CHART },
		{ "chart-events", no_argument, NULL, OPT_CHART_EVENTS },
		{ "trace-out", required_argument, NULL, OPT_TRACE_OUT },
		{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
		{ "kver", required_argument, NULL, OPT_KVER },
		{ "sysctl", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_tool_machine mo = { 0 };
	const char *svg_map = NULL, *svg_chart = NULL;
	const char *trace_out = NULL, *po_dump = NULL, *path;
	struct pmm_replay_opts ro = { 0 };
	struct pmm_tool_kver kver = { PMM_KVER_6_1, 0 };
	struct progress prog = { 0 };
	struct replay_log log = { 0 };
	struct pmm_trace_writer *writer = NULL;
	struct pmm_tool_sysctls sysctls = { 0 };
	struct pmm_config cfg;
	struct pmm_replay *r;
	struct pmm *m;
	FILE *tf = NULL;
	int c, e, status = 0, chart_events = 0;
	uint64_t v;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:c:n:s:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mo.machine = optarg; break;
		case 'c': mo.config_file = optarg; break;
		case OPT_MACHINE_FROM: mo.capture = optarg; break;
		case 'n':
			if (parse_u64(optarg, &ro.max_events) || !ro.max_events) {
				fprintf(stderr, "pmm replay: --events wants a positive number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_UNTIL: {
			char *end;
			double s;

			errno = 0;
			s = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(s > 0) || s > 1.8e10) {
				fprintf(stderr, "pmm replay: --until wants seconds (e.g. 12.5), not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			ro.until_ns = (uint64_t)(s * 1e9);
			break;
		}
		case OPT_EVERY:
			if (parse_u64(optarg, &prog.summary_every) || !prog.summary_every) {
				fprintf(stderr, "pmm replay: --every wants a positive number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SAMPLE:
			if (parse_u64(optarg, &v) || !v) {
				fprintf(stderr, "pmm replay: --sample-every wants a positive number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			ro.sample_every = v;
			break;
		case OPT_PAGE_OWNER: ro.page_owner = 1; break;
		case OPT_PO_DUMP: po_dump = optarg; ro.page_owner = 1; break;
		case OPT_SVG_MAP: svg_map = optarg; break;
		case OPT_SVG_CHART: svg_chart = optarg; break;
		case OPT_CHART_EVENTS: chart_events = 1; break;
		case OPT_TRACE_OUT: trace_out = optarg; break;
		case OPT_KEEP_GOING: ro.keep_going = 1; break;
		case OPT_KVER:
			if (pmm_tool_parse_kver(optarg, &kver, "pmm replay"))
				return EXIT_USAGE;
			break;
		case 's':
			if (pmm_tool_sysctl_arg(&sysctls, optarg, "pmm replay"))
				return EXIT_USAGE;
			break;
		case 'q': log.quiet = 1; break;
		case 'v': log.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind == argc ? "pmm replay: which trace? (a FILE argument is needed)\n"
					       : "pmm replay: one FILE only\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];
	if ((e = pmm_tool_machine_config(&cfg, &mo, "pmm replay", log.verbose)))
		return e;
	ro.node_of_frame = mo.capture != NULL; /* the capture's layout: its pfns name nodes */
	pmm_tool_kver_from_capture(&kver, mo.capture);
	pmm_tool_kver_opts(&ro, &kver);
	cfg.log = log_sink;
	cfg.log_ctx = &log;

	prog.bar = !log.quiet && isatty(STDERR_FILENO);
	if (prog.bar || prog.summary_every) {
		uint64_t every = prog.summary_every ? prog.summary_every : 65536;

		if (prog.bar && every > 65536)
			every = gcd(every, 65536);
		ro.every = every;
		ro.progress = on_progress;
		ro.ctx = &prog;
	}
	/*
	 * The command boots the machine itself, so that --sysctl writes land
	 * before the replay starts counting the machine's own events.
	 */
	cfg.page_owner = cfg.page_owner || ro.page_owner;
	if ((e = pmm_create(&cfg, &m))) {
		fprintf(stderr, "pmm replay: the machine did not boot: %s\n", pmm_strerror(e));
		return 1;
	}
	if ((status = pmm_tool_apply_sysctls(m, &sysctls, "pmm replay"))) {
		pmm_destroy(m);
		return status;
	}
	if ((e = pmm_replay_create(&r, m, NULL, &ro))) {
		fprintf(stderr, "pmm replay: cannot start the replay: %s\n", pmm_strerror(e));
		pmm_destroy(m);
		return 1;
	}
	prog.r = r;
	if (trace_out) {
		tf = fopen(trace_out, "w");
		if (!tf || (e = pmm_trace_attach(pmm_replay_machine(r), tf, NULL, &writer))) {
			fprintf(stderr, "pmm replay: %s: %s\n", trace_out,
				tf ? pmm_strerror(e) : strerror(errno));
			if (tf)
				fclose(tf);
			pmm_replay_destroy(r);
			pmm_destroy(m);
			return 1;
		}
	}
	if (prog.bar) {
		prog.total = input_size(path);
		prog.start = wall();
	}

	e = pmm_replay_file(r, path);
	clear_bar(&prog);
	if (e) {
		fprintf(stderr, "pmm replay: %s\n", pmm_replay_errmsg(r));
		status = EXIT_DATAERR;
		/* unreadable from its start: no report of a replay that never ran */
		if (pmm_replay_result(r)->events == 0)
			goto out;
	} else if ((status = pmm_tool_replay_no_events(pmm_replay_result(r), path, "pmm replay: "))) {
		/* reported; the summary still shows what the input held */
	} else if (pmm_replay_result(r)->parse_errors) {
		fprintf(stderr, "pmm replay: %llu malformed lines skipped; the first: %s\n",
			(unsigned long long)pmm_replay_result(r)->parse_errors, pmm_replay_errmsg(r));
		status = EXIT_DATAERR;
	}
	if (writer) {
		e = pmm_trace_detach(writer);
		writer = NULL;
		if (fclose(tf))
			e = -PMM_EIO;
		if (e) {
			fprintf(stderr, "pmm replay: %s: write error\n", trace_out);
			if (!status)
				status = 1;
		}
	}
	if (pmm_replay_finish(r)) {
		fprintf(stderr, "pmm replay: the machine failed validation: %s\n",
			pmm_replay_result(r)->validate_msg);
		status = 1;
	}
	if (log.quiet) {
		const struct pmm_replay_result *res = pmm_replay_result(r);
		uint64_t skipped = 0;

		for (int k = 0; k < PMM_REPLAY_SKIP_NR; k++)
			skipped += res->skipped[k];
		pmm_tool_replay_warnings(stderr, res, "pmm replay: ");
		printf("%s: %llu events (%s), %llu allocations, %llu frees, %llu skipped; pmm_validate: %s\n",
		       path, (unsigned long long)res->events, pmm_replay_stop_name(res->stop),
		       (unsigned long long)res->allocs, (unsigned long long)res->frees,
		       (unsigned long long)skipped, res->validate ? "FAILED" : "ok");
	} else {
		pmm_tool_replay_summary(stdout, r, strcmp(path, "-") ? path : "<stdin>", mo.capture);
	}
	if (pmm_tool_replay_pictures(r, path, svg_map, svg_chart, chart_events, "pmm replay") && !status)
		status = 1;
	if (po_dump) {
		FILE *f = fopen(po_dump, "w");

		e = f ? pmm_page_owner_dump(pmm_replay_machine(r), f, 0, pmm_replay_result(r)->kver) : -PMM_EIO;
		if (f && fclose(f))
			e = -PMM_EIO;
		if (e) {
			fprintf(stderr, "pmm replay: %s: cannot write the page_owner file: %s\n", po_dump,
				pmm_strerror(e));
			if (!status)
				status = 1;
		}
	}
out:
	if (writer) {
		pmm_trace_detach(writer);
		fclose(tf);
	}
	pmm_replay_destroy(r);
	pmm_destroy(m);
	return status;
}
