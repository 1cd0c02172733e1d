// SPDX-License-Identifier: MIT
/*
 * pmm run: the README's main job.  Boot a machine (the built-in default
 * unless told otherwise, with page_owner on), replay the real Linux 6.1
 * kmem trace slice shipped in data/ on it, and print the replay summary,
 * the /proc reports, the top page_owner stacks, and write the pictures.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pmm/owner_sort.h>
#include <pmm/page_owner.h>
#include <pmm/pmm.h>
#include <pmm/report.h>

#include "commands.h"
#include "replay_job.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmm run [OPTIONS]\n"
		"\n"
		"Boot a machine, replay the shipped Linux 6.1 kmem trace on it and print what\n"
		"happened: the replay summary, the /proc reports, the top page_owner stacks;\n"
		"write the memory map and the fragmentation chart as SVG.\n"
		"\n"
		"  -c, --config FILE     machine config file (see `pmm run --help-config`)\n"
		"  -m, --machine TEXT    config tokens, e.g. \"mem=64G nodes=2 page_owner=on\"\n"
		"                        (applied after --config; default: 1 node, 8 GiB)\n"
		"      --machine-from PATH  the machine of a Linux capture (a directory with its\n"
		"                        boot log, iomem.txt, sysctl_vm/, zoneinfo.txt; or a boot\n"
		"                        log), applied before -c and -m\n"
		"  -q, --quiet           do not print the boot log\n"
		"  -t, --trace FILE      replay FILE instead of the shipped trace slice\n"
		"      --kver RELEASE    the trace's kernel (e.g. 6.8): its gfp flag names, and\n"
		"                        the page_owner report's format (default: a trace.dat's\n"
		"                        own kernel; text as the --machine-from capture's\n"
		"                        kernel, else as Linux 6.1)\n"
		"      --no-replay       only boot the machine\n"
		"      --no-page-owner   boot without page_owner (it is on by default here)\n"
		"      --stacks N        print the N stacks holding most pages (default 5, 0: none)\n"
		"      --svg-map FILE    the memory-map picture (default pmm-map.svg)\n"
		"      --svg-chart FILE  the fragmentation chart (default pmm-fragmentation.svg)\n"
		"  -r, --report LIST     reports to print, comma-separated (default:\n"
		"                        buddyinfo,pagetypeinfo): buddyinfo, pagetypeinfo, zoneinfo,\n"
		"                        vmstat, meminfo, extfrag_index, unusable_index, page_owner,\n"
		"                        show_stacks (the last two need page_owner=on), all, none\n"
		"  -o, --report-dir DIR  also write every report to DIR/<name> (DIR is created)\n"
		"  -s, --sysctl NAME=VALUE  write /proc/sys/vm/NAME after the boot, before the\n"
		"                        replay (repeatable, in order; e.g. nr_hugepages=64,\n"
		"                        min_free_kbytes=...; see pmm report --help)\n"
		"      --help-config     describe the config format\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 ok; 1 the machine failed to boot or validate, a config file\n"
		"could not be opened or an output not written; 2 usage (a --sysctl the\n"
		"machine refuses included); 65 a bad config or trace (file:line: reason), a\n"
		"trace that cannot be opened or holds no event.\n");
}

static void help_config(void)
{
	fputs("Config tokens (one per word or line, '#' comments):\n"
	      "  mem=SIZE nodes=N            memory split evenly over N nodes\n"
	      "  node=N:START-END            a memory range of node N (inclusive end, or START+SIZE)\n"
	      "  hole=START-END reserve=START-END late_free=START-END[:WHAT]\n"
	      "                              WHAT: initrd, initmem, decrypted, text_rodata_gap,\n"
	      "                              rodata_data_gap, smp_alternatives (logged as the kernel)\n"
	      "  deferred_struct_page_init=on  hand the top zone of each node over in two steps\n"
	      "  dma=SIZE dma32=SIZE         zone boundaries (16M, 4G)\n"
	      "  kernelcore=SIZE|N% movablecore=SIZE|N%\n"
	      "  cpus=N node_cpus=N:CPULIST  CPUs, and the CPUs of node N (as sysfs's cpulist: 0-3,8)\n"
	      "  node_cpumask=N:CPULIST  the CPUs counted as node N's where node_cpus= differs (numa=fake=)\n"
	      "  node_distance=N:D0,D1,...  node N's distances to nodes 0, 1, ... (10 self, 20 others)\n"
	      "  transparent_hugepage=never|always|madvise  khugepaged's min_free_kbytes (never)\n"
	      "  hugepagesz=2M|1G hugepages=N|NODE:N,... default_hugepagesz=2M|1G\n"
	      "                              boot-time huge page pools (1G from memblock)\n"
	      "  min_free_kbytes=N watermark_scale_factor=N watermark_boost_factor=N\n"
	      "  lowmem_reserve_ratio=A,B,C,D,E percpu_pagelist_high_fraction=N\n"
	      "  page_owner=on page_owner_stack=kernel|caller page_poison=on init_on_alloc=1\n"
	      "  init_on_free=1 debug_pagealloc=on\n"
	      "  debug_guardpage_minorder=N page_alloc.shuffle=1 pcp=off seed=N fatal=on\n"
	      "  cpu=rseq|getcpu\n"
	      "  backend=anon|memfd|hugetlbfs|file:PATH|fd:N\n"
	      "                              where memory comes from (default anon: an anonymous\n"
	      "                              reservation; hugetlbfs needs free 2 MiB huge pages;\n"
	      "                              file:PATH is created if missing and kept)\n"
	      "  memmap=base|huge|altmap     struct pages in host base or huge pages, or (altmap,\n"
	      "                              file backends only) in each section's own first frames\n"
	      "  maxmem=SIZE                 physical span for memory hotplug (address space only)\n"
	      "  hotplug=N:START-END[:online|online_kernel|online_movable]\n"
	      "                              memory added to node N when boot is done (offline)\n"
	      "  host_node=N:H host_bind=all|memmap\n"
	      "                              place node N's memmap (and memory) on host NUMA node H\n",
	      stdout);
}

#define MIN_SZ(a, b) ((a) < (b) ? (a) : (b))

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

/* 1 + the index in extra_reports[] of the first such report @list names, or 0 ("all" names none). */
static int needs_page_owner(const char *list)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		for (size_t i = 0; i < sizeof(extra_reports) / sizeof(extra_reports[0]); i++)
			if (strlen(extra_reports[i]) == n && !strncmp(p, extra_reports[i], n))
				return (int)i + 1;
		p += n + (p[n] == ',');
	}
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

static int write_report(struct pmm *m, const char *name, FILE *out, enum pmm_kver kver)
{
	int id = pmm_report_lookup(name);

	if (id >= 0)
		return pmm_report_write(m, (enum pmm_report)id, out);
	if (!strcmp(name, "page_owner"))
		return pmm_page_owner_dump(m, out, 0, kver);
	if (!strcmp(name, "show_stacks"))
		return pmm_page_owner_show_stacks(m, out, 0);
	return -PMM_EINVAL;
}

/* Print the chosen reports (to stdout), and all of them to @dir if given. */
static int print_reports(struct pmm *m, const char *list, const char *dir, enum pmm_kver kver)
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
			if (write_report(m, names[i], stdout, kver))
				status = 1;
		}
		if (dir) {
			char path[4096];
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			f = fopen(path, "w");
			if (!f || write_report(m, names[i], f, kver) || fclose(f)) {
				fprintf(stderr, "pmm run: cannot write %s\n", path);
				status = 1;
			}
		}
	}
	return status;
}

/* The @n stacks holding the most pages, from show_stacks, biggest first. */
struct stack_entry {
	const char *text;
	size_t len;
	long pages;
};

static int by_pages(const void *a, const void *b)
{
	const struct stack_entry *x = a, *y = b;
	return (y->pages > x->pages) - (y->pages < x->pages);
}

static int top_stacks(struct pmm *m, size_t n)
{
	char *buf = NULL;
	size_t len = 0, nr = 0, cap = 64;
	struct stack_entry *e = malloc(cap * sizeof(*e));
	FILE *f = open_memstream(&buf, &len);
	const char *p;

	if (!f || !e || pmm_page_owner_show_stacks(m, f, 1)) {
		if (f)
			fclose(f);
		free(buf);
		free(e);
		return 1;
	}
	fclose(f);
	/* Records are "<frames>nr_base_pages: N\n\n". */
	for (p = buf; p && *p;) {
		const char *tag = strstr(p, "nr_base_pages: ");
		const char *next;

		if (!tag)
			break;
		next = strstr(tag, "\n\n");
		next = next ? next + 2 : tag + strlen(tag);
		if (nr == cap) {
			cap *= 2;
			e = realloc(e, cap * sizeof(*e));
		}
		e[nr++] = (struct stack_entry){ p, (size_t)(next - p), strtol(tag + 15, NULL, 10) };
		p = next;
	}
	qsort(e, nr, sizeof(*e), by_pages);
	printf("\n== top page_owner stacks (%zu of %zu, by pages held)\n", MIN_SZ(n, nr), nr);
	for (size_t i = 0; i < nr && i < n; i++)
		fwrite(e[i].text, 1, e[i].len, stdout);
	free(e);
	free(buf);
	return 0;
}

/*
 * Who holds the memory: the page_owner dump culled by task name and sorted
 * by pages, as `page_owner_sort --cull name -m` would print it.  With a
 * replay, the names are the traced kernel's tasks.
 */
static int top_owners(struct pmm *m, size_t n)
{
	char *dumpbuf = NULL, *outbuf = NULL, err[256];
	size_t dlen = 0, olen = 0, shown = 0;
	struct pmm_owner_sort_opts opts;
	char *argv[] = { "owner-sort", "--cull", "name", "-m", NULL };
	const char *operands[2];
	int nr = 0, r;
	FILE *d = open_memstream(&dumpbuf, &dlen), *in, *o;

	if (!d || pmm_page_owner_dump(m, d, 0, PMM_KVER_6_1) || fclose(d))
		return 1;
	if (!dlen) { /* --no-replay: nothing allocated, no record to sort */
		printf("\n== top page owners by task (page_owner_sort --cull name -m): none, no "
		       "page is allocated\n");
		free(dumpbuf);
		return 0;
	}
	pmm_owner_sort_opts_init(&opts);
	if (pmm_owner_sort_parse_args(&opts, 4, argv, operands, 2, &nr, err, sizeof(err)))
		return 1;
	in = fmemopen(dumpbuf, dlen, "r");
	o = open_memstream(&outbuf, &olen);
	r = in && o ? pmm_owner_sort_run(&opts, in, "page_owner", o, err, sizeof(err)) : -1;
	if (in)
		fclose(in);
	if (o)
		fclose(o);
	printf("\n== top page owners by task (page_owner_sort --cull name -m), first %zu\n", n);
	/* Culled by name, each entry is one line. */
	for (char *p = outbuf; r == 0 && p && *p && shown < n;) {
		char *next = strchr(p, '\n');
		size_t len = next ? (size_t)(next - p) + 1 : strlen(p);
		if (len > 1) {
			fwrite(p, 1, len, stdout);
			shown++;
		}
		p += len;
	}
	if (r)
		fprintf(stderr, "pmm run: owner-sort: %s\n", err);
	free(dumpbuf);
	free(outbuf);
	return r ? 1 : 0;
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
		{ "machine-from", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "report", required_argument, NULL, 'r' },
		{ "trace", required_argument, NULL, 't' },
		{ "kver", required_argument, NULL, 'K' },
		{ "no-replay", no_argument, NULL, 'R' },
		{ "no-page-owner", no_argument, NULL, 'P' },
		{ "stacks", required_argument, NULL, 'S' },
		{ "svg-map", required_argument, NULL, 'M' },
		{ "svg-chart", required_argument, NULL, 'G' },
		{ "report-dir", required_argument, NULL, 'o' },
		{ "sysctl", required_argument, NULL, 's' },
		{ "help-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_config cfg;
	struct run_log log = { 0 };
	struct pmm_tool_machine mo = { 0 };
	const char *reports = "buddyinfo,pagetypeinfo", *report_dir = NULL, *trace = NULL;
	const char *svg_map = "pmm-map.svg", *svg_chart = "pmm-fragmentation.svg";
	int replay = 1, page_owner = 1;
	struct pmm_tool_kver kver = { PMM_KVER_6_1, 0 };
	struct pmm_tool_sysctls sysctls = { 0 };
	long stacks = 5;
	char *end;
	char err[512];
	struct pmm *m;
	int c, r;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:qr:o:s:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': trace = optarg; break;
		case 'K':
			if (pmm_tool_parse_kver(optarg, &kver, "pmm run"))
				return EXIT_USAGE;
			break;
		case 'R': replay = 0; break;
		case 'P': page_owner = 0; break;
		case 'M': svg_map = optarg; break;
		case 'G': svg_chart = optarg; break;
		case 'S':
			stacks = strtol(optarg, &end, 10);
			if (*end || stacks < 0) {
				fprintf(stderr, "pmm run: --stacks wants a count, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r': reports = optarg; break;
		case 'o': report_dir = optarg; break;
		case 's':
			if (pmm_tool_sysctl_arg(&sysctls, optarg, "pmm run"))
				return EXIT_USAGE;
			break;
		case 'c': mo.config_file = optarg; break;
		case 'm': mo.machine = optarg; break;
		case 'F': mo.capture = optarg; break;
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
	/* Made before the boot and the replay, so that a bad path fails at once. */
	if (report_dir && pmm_tool_report_dir(report_dir, "pmm run"))
		return 1;
	cfg.page_owner = page_owner;
	if ((r = pmm_tool_machine_config(&cfg, &mo, "pmm run", !log.quiet)))
		return r;
	if (!cfg.page_owner && (r = needs_page_owner(reports))) {
		fprintf(stderr, "pmm run: the %s report needs page_owner, which %s turned off\n",
			extra_reports[r - 1], page_owner ? "the config" : "--no-page-owner");
		return EXIT_USAGE;
	}
	cfg.log = run_log_sink;
	cfg.log_ctx = &log;
	r = pmm_create(&cfg, &m);
	if (r) {
		fprintf(stderr, "pmm run: the machine did not boot: %s\n", pmm_strerror(r));
		return 1;
	}
	if ((r = pmm_tool_apply_sysctls(m, &sysctls, "pmm run"))) {
		pmm_destroy(m);
		return r;
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
	if (replay) {
		printf("\n");
		fflush(stdout);
		r = pmm_tool_replay_main_job(m, trace, stdout, svg_map, svg_chart, mo.capture, &kver);
		if (r) {
			pmm_destroy(m);
			return r;
		}
	}
	r = print_reports(m, reports, report_dir, kver.kver);
	if (stacks && pmm_page_owner_enabled(m) &&
	    (top_stacks(m, (size_t)stacks) || top_owners(m, (size_t)stacks)))
		r = 1;
	pmm_destroy(m);
	return r;
}
