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

#include <pmm/page_owner.h>
#include <pmm/pmm.h>
#include <pmm/report.h>

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
		"  -r, --report LIST     reports to print, comma-separated (default:\n"
		"                        buddyinfo,pagetypeinfo): buddyinfo, pagetypeinfo, zoneinfo,\n"
		"                        vmstat, extfrag_index, unusable_index, page_owner,\n"
		"                        show_stacks (the last two need page_owner=on), all, none\n"
		"  -o, --report-dir DIR  also write every report to DIR/<name>\n"
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

static const char *const extra_reports[] = { "page_owner", "show_stacks" };

static int report_known(const char *name, size_t len)
{
	char buf[32];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = 0;
	if (!strcmp(buf, "all") || !strcmp(buf, "none") || pmm_report_lookup(buf) >= 0)
		return 1;
	for (size_t i = 0; i < sizeof(extra_reports) / sizeof(extra_reports[0]); i++)
		if (!strcmp(buf, extra_reports[i]))
			return 1;
	return 0;
}

static int check_reports(const char *list)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (!report_known(p, n))
			return -1;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int write_report(struct pmm *m, const char *name, FILE *out)
{
	int id = pmm_report_lookup(name);

	if (id >= 0)
		return pmm_report_write(m, (enum pmm_report)id, out);
	if (!strcmp(name, "page_owner"))
		return pmm_page_owner_dump(m, out, 0, PMM_KVER_6_1);
	if (!strcmp(name, "show_stacks"))
		return pmm_page_owner_show_stacks(m, out, 0);
	return -PMM_EINVAL;
}

/* Print the chosen reports (to stdout), and all of them to @dir if given. */
static int print_reports(struct pmm *m, const char *list, const char *dir)
{
	const char *names[PMM_REPORT_NR + 2];
	size_t n = 0;
	int status = 0;

	for (int i = 0; i < PMM_REPORT_NR; i++)
		names[n++] = pmm_report_name((enum pmm_report)i);
	if (pmm_page_owner_enabled(m)) {
		names[n++] = "page_owner";
		names[n++] = "show_stacks";
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		int wanted = strstr(list, "all") != NULL;

		for (const char *p = list; *p && !wanted;) {
			size_t k = strcspn(p, ",");
			wanted = k == len && !strncmp(p, names[i], len);
			p += k + (p[k] == ',');
		}
		if (wanted) {
			printf("\n== %s\n", names[i]);
			fflush(stdout);
			if (write_report(m, names[i], stdout))
				status = 1;
		}
		if (dir) {
			char path[4096];
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			f = fopen(path, "w");
			if (!f || write_report(m, names[i], f) || fclose(f)) {
				fprintf(stderr, "pmm run: cannot write %s\n", path);
				status = 1;
			}
		}
	}
	return status;
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
		{ "report", required_argument, NULL, 'r' },
		{ "report-dir", required_argument, NULL, 'o' },
		{ "help-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_config cfg;
	struct run_log log = { 0 };
	const char *config_file = NULL, *machine = NULL, *reports = "buddyinfo,pagetypeinfo";
	const char *report_dir = NULL;
	char err[512];
	struct pmm *m;
	int c, r;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:qr:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reports = optarg; break;
		case 'o': report_dir = optarg; break;
		case 'c': config_file = optarg; break;
		case 'm': machine = optarg; break;
		case 'q': log.quiet = 1; break;
		case 'C': help_config(); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if ((r = check_reports(reports))) {
		fprintf(stderr, "pmm run: unknown report in '%s'\n", reports);
		return EXIT_USAGE;
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
	r = print_reports(m, reports, report_dir);
	pmm_destroy(m);
	return r;
}
