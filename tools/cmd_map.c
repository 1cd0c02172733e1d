// SPDX-License-Identifier: MIT
/*
 * pmm map: boot a machine, optionally replay a kernel trace on it, and draw
 * its physical memory as SVG (and, after a replay, the fragmentation chart).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/picture.h>
#include <pmm/pmm.h>
#include <pmm/replay.h>

#include "commands.h"
#include "replay_job.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmm map [OPTIONS] [FILE]\n"
		"\n"
		"Boot a machine and draw its physical memory as SVG to FILE (default\n"
		"pmm-map.svg; '-' for standard output): one cell per pageblock, coloured by\n"
		"its migratetype and shaded by its free share, nodes and zones framed.  With\n"
		"-t, the machine is drawn after a kernel kmem trace was replayed on it, and\n"
		"--chart draws the fragmentation over that replay.\n"
		"\n"
		"  -c, --config FILE     machine config file (see `pmm run --help-config`)\n"
		"  -m, --machine TEXT    config tokens, e.g. \"mem=64G nodes=2\" (after -c;\n"
		"                        default: 1 node, 8 GiB)\n"
		"      --machine-from PATH  the machine of a Linux capture, applied before -c, -m\n"
		"  -t, --trace FILE      replay FILE first (any input `pmm replay` reads; '-' for\n"
		"                        standard input)\n"
		"      --kver RELEASE    the trace's kernel, for its gfp flag names (as pmm replay)\n"
		"      --chart FILE      also chart fragmentation over the replay (needs -t)\n"
		"      --chart-events    chart against events instead of trace time\n"
		"      --title TEXT      the map's title (default \"Physical memory map\")\n"
		"      --columns N       pageblocks per row (default 64: a 128 MiB section)\n"
		"      --rows N          rows at most; beyond, a cell stands for several\n"
		"                        pageblocks (default 256)\n"
		"  -v, --verbose         print the boot log on stderr\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 ok; 1 the machine failed to boot or validate, a config file\n"
		"could not be opened or a picture not written; 2 usage; 65 a bad config or\n"
		"trace (file:line: reason), or a trace that holds no event.\n");
}

/* A count for --columns/--rows: 1..4096. */
static int parse_count(const char *arg, const char *opt, unsigned *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > 4096) {
		fprintf(stderr, "pmm map: %s wants a number from 1 to 4096, not '%s'\n", opt, arg);
		return EXIT_USAGE;
	}
	*v = (unsigned)n;
	return 0;
}

/* The map of @m to @path ("-": stdout); 0, or 1 when it could not be written. */
static int write_map(struct pmm *m, const char *path, const struct pmm_svg_map_opts *o)
{
	int to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	int e = -PMM_EIO;

	if (f) {
		e = pmm_svg_memory_map(m, f, o);
		if ((to_stdout ? fflush(f) : fclose(f)) && !e)
			e = -PMM_EIO;
	}
	if (e) {
		fprintf(stderr, "pmm map: %s: cannot write the memory map: %s\n",
			to_stdout ? "<stdout>" : path, f ? pmm_strerror(e) : strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_map(int argc, char **argv)
{
	enum { OPT_MACHINE_FROM = 256, OPT_KVER, OPT_CHART, OPT_CHART_EVENTS, OPT_TITLE, OPT_COLUMNS,
	       OPT_ROWS };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "machine", required_argument, NULL, 'm' },
		{ "machine-from", required_argument, NULL, OPT_MACHINE_FROM },
		{ "trace", required_argument, NULL, 't' },
		{ "kver", required_argument, NULL, OPT_KVER },
		{ "chart", required_argument, NULL, OPT_CHART },
		{ "chart-events", no_argument, NULL, OPT_CHART_EVENTS },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_tool_machine mo = { 0 };
	struct pmm_tool_kver kver = { PMM_KVER_6_1, 0 };
	struct pmm_svg_map_opts mapo = { 0 };
	const char *trace = NULL, *chart = NULL, *out = "pmm-map.svg";
	int verbose = 0, chart_events = 0, c, r, status = 0;
	struct pmm_replay *replay = NULL;
	struct pmm_config cfg;
	char sub[512];
	struct pmm *m;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:t:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': mo.config_file = optarg; break;
		case 'm': mo.machine = optarg; break;
		case OPT_MACHINE_FROM: mo.capture = optarg; break;
		case 't': trace = optarg; break;
		case OPT_KVER:
			if (pmm_tool_parse_kver(optarg, &kver, "pmm map"))
				return EXIT_USAGE;
			break;
		case OPT_CHART: chart = optarg; break;
		case OPT_CHART_EVENTS: chart_events = 1; break;
		case OPT_TITLE: mapo.title = optarg; break;
		case OPT_COLUMNS:
			if (parse_count(optarg, "--columns", &mapo.columns))
				return EXIT_USAGE;
			break;
		case OPT_ROWS:
			if (parse_count(optarg, "--rows", &mapo.max_rows))
				return EXIT_USAGE;
			break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "pmm map: one FILE only\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc)
		out = argv[optind];
	if (chart && !trace) {
		fprintf(stderr, "pmm map: --chart charts a replay: give the trace with -t\n");
		return EXIT_USAGE;
	}
	if (chart && !strcmp(chart, "-")) {
		fprintf(stderr, "pmm map: --chart wants a file name (only the map goes to standard output)\n");
		return EXIT_USAGE;
	}
	if ((r = pmm_tool_machine_config(&cfg, &mo, "pmm map", verbose)))
		return r;
	cfg.log = pmm_tool_log_stderr;
	cfg.log_ctx = &verbose;
	r = pmm_create(&cfg, &m);
	if (r) {
		fprintf(stderr, "pmm map: the machine did not boot: %s\n", pmm_strerror(r));
		return 1;
	}
	if (trace) {
		struct pmm_replay_opts ro = { 0 };
		const char *name = strrchr(trace, '/');

		status = pmm_tool_replay_trace(m, trace, &ro, mo.capture, &kver, "pmm map: ", &replay);
		if (!replay) {
			pmm_destroy(m);
			return status;
		}
		name = name && name[1] ? name + 1 : !strcmp(trace, "-") ? "<stdin>" : trace;
		snprintf(sub, sizeof(sub), "after replaying %s (%llu events)", name,
			 (unsigned long long)pmm_replay_result(replay)->events);
	} else {
		char err[512];

		if (pmm_validate(m, err, sizeof(err))) {
			fprintf(stderr, "pmm map: validation failed: %s\n", err);
			status = 1;
		}
		snprintf(sub, sizeof(sub), "as booted: %u CPUs, %lu pages managed", pmm_nr_cpus(m),
			 pmm_totalram_pages(m));
	}
	mapo.subtitle = sub;
	if (write_map(m, out, &mapo) && !status)
		status = 1;
	if (chart && pmm_tool_replay_pictures(replay, trace, NULL, chart, chart_events, "pmm map") && !status)
		status = 1;
	if (replay)
		pmm_replay_destroy(replay);
	pmm_destroy(m);
	return status;
}
