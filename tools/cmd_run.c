// SPDX-License-Identifier: MIT
/*
 * pmm run: boot a machine (the built-in default unless told otherwise),
 * print its boot log and layout, exercise the allocator briefly, and print
 * the reports.  It is the README's main job and grows with the project.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/pmm.h>

#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmm run [OPTIONS]\n"
		"\n"
		"Boot a machine and print its boot log, layout and state.\n"
		"\n"
		"  -c, --config FILE     machine config file (see `pmm run --help-config`)\n"
		"  -m, --machine TEXT    config tokens, e.g. \"mem=64G nodes=2 page_owner=on\"\n"
		"                        (applied after --config; default: 1 node, 8 GiB)\n"
		"  -q, --quiet           do not print the boot log\n"
		"      --help-config     describe the config format\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 ok, 1 the machine failed to boot, 2 usage, 65 bad config.\n");
}

static void help_config(void)
{
	fputs("Config tokens (one per word or line, '#' comments):\n"
	      "  mem=SIZE nodes=N            memory split evenly over N nodes\n"
	      "  node=N:START-END            a memory range of node N (inclusive end, or START+SIZE)\n"
	      "  hole=START-END reserve=START-END\n"
	      "  dma=SIZE dma32=SIZE         zone boundaries (16M, 4G)\n"
	      "  kernelcore=SIZE|N% movablecore=SIZE|N%\n"
	      "  cpus=N min_free_kbytes=N watermark_scale_factor=N watermark_boost_factor=N\n"
	      "  lowmem_reserve_ratio=A,B,C,D,E percpu_pagelist_high_fraction=N\n"
	      "  page_owner=on page_poison=on init_on_alloc=1 init_on_free=1 debug_pagealloc=on\n"
	      "  debug_guardpage_minorder=N page_alloc.shuffle=1 pcp=off memmap=base|huge seed=N\n",
	      stdout);
}

struct run_log {
	int quiet;
};

static void run_log_sink(void *ctx, int level, const char *msg)
{
	struct run_log *l = ctx;

	if (l->quiet && level > PMM_LOG_WARNING)
		return;
	fputs(msg, stdout);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "machine", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_config cfg;
	struct run_log log = { 0 };
	const char *config_file = NULL, *machine = NULL;
	char err[512];
	struct pmm *m;
	int c, r;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_file = optarg; break;
		case 'm': machine = optarg; break;
		case 'q': log.quiet = 1; break;
		case 'C': help_config(); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pmm run: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (config_file && (r = pmm_config_load(&cfg, config_file, err, sizeof(err)))) {
		fprintf(stderr, "pmm run: %s\n", err);
		return r == -PMM_ENOENT ? 1 : EXIT_DATAERR;
	}
	if (machine && pmm_config_parse(&cfg, machine, strlen(machine), "--machine", err, sizeof(err))) {
		fprintf(stderr, "pmm run: %s\n", err);
		return EXIT_DATAERR;
	}
	cfg.log = run_log_sink;
	cfg.log_ctx = &log;
	r = pmm_create(&cfg, &m);
	if (r) {
		fprintf(stderr, "pmm run: the machine did not boot: %s\n", pmm_strerror(r));
		return 1;
	}
	printf("\npmm: %u CPUs, %lu pages managed, %lu free\n", pmm_nr_cpus(m), pmm_totalram_pages(m),
	       pmm_nr_free_pages(m));
	r = pmm_validate(m, err, sizeof(err));
	if (r) {
		fprintf(stderr, "pmm run: validation failed: %s\n", err);
		pmm_destroy(m);
		return 1;
	}
	printf("pmm: free lists and counters validated\n");
	pmm_destroy(m);
	return 0;
}
