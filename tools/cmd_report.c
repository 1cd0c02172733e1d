// SPDX-License-Identifier: MIT
/*
 * pmm report: boot a machine, optionally replay a kernel trace on it, and
 * print its /proc and debugfs files and nothing else, so that the output
 * can be compared with a real kernel's files as they are (diff, scripts).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pmm/page_owner.h>
#include <pmm/pmm.h>
#include <pmm/replay.h>
#include <pmm/report.h>

#include "commands.h"
#include "replay_job.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pmm report [OPTIONS] [REPORT...]\n"
		"\n"
		"Boot a machine and print its /proc and debugfs files in the kernel's format,\n"
		"and nothing else: one report is the file itself, to compare with a real\n"
		"kernel's (e.g. `pmm report --machine-from DIR zoneinfo | diff DIR/zoneinfo.txt -`);\n"
		"several are each headed \"==> PATH <==\" as head(1) heads files.  With -t, the\n"
		"files are those of the machine after a kernel kmem trace was replayed on it.\n"
		"\n"
		"REPORT (default buddyinfo):\n"
		"  buddyinfo, pagetypeinfo, zoneinfo, vmstat,   /proc/NAME\n"
		"  meminfo (no DirectMap lines: no direct map)\n"
		"  extfrag_index, unusable_index                /sys/kernel/debug/extfrag/NAME\n"
		"  page_owner                                   /sys/kernel/debug/page_owner\n"
		"  show_stacks                                  .../debug/page_owner_stacks/show_stacks\n"
		"  nodeN/meminfo, nodeN/numastat, nodeN/vmstat  /sys/devices/system/node/nodeN/NAME\n"
		"  all                                          every one of them, of every node\n"
		"(page_owner and show_stacks boot the machine with page_owner=on.)\n"
		"\n"
		"  -c, --config FILE     machine config file (see `pmm run --help-config`)\n"
		"  -m, --machine TEXT    config tokens, e.g. \"mem=64G nodes=2\" (after -c;\n"
		"                        default: 1 node, 8 GiB)\n"
		"      --machine-from PATH  the machine of a Linux capture (a directory with its\n"
		"                        boot log, iomem.txt, sysctl_vm/, zoneinfo.txt; or a boot\n"
		"                        log), applied before -c and -m\n"
		"  -t, --trace FILE      replay FILE first (any input `pmm replay` reads; '-' for\n"
		"                        standard input)\n"
		"      --kver RELEASE    the trace's kernel (e.g. 6.8): its gfp flag names, and\n"
		"                        the page_owner file's format (default: a trace.dat's own\n"
		"                        kernel; text as the --machine-from capture's kernel,\n"
		"                        else Linux 6.1)\n"
		"  -s, --sysctl NAME=VALUE  write /proc/sys/vm/NAME after the boot, before any\n"
		"                        replay (repeatable, applied in order): min_free_kbytes,\n"
		"                        watermark_scale_factor, watermark_boost_factor,\n"
		"                        lowmem_reserve_ratio, percpu_pagelist_high_fraction,\n"
		"                        nr_hugepages, nr_hugepages_mempolicy,\n"
		"                        nr_overcommit_hugepages\n"
		"  -o, --output-dir DIR  write each report to DIR/NAME instead (DIR is created)\n"
		"  -v, --verbose         print the boot log on stderr\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 ok; 1 the machine failed to boot or validate, a config file\n"
		"could not be opened or a report not written; 2 usage (a --sysctl the machine\n"
		"refuses included); 65 a bad config or trace (file:line: reason), or a trace\n"
		"that holds no event.\n");
}

/*
 * A report's id: pmm_report_write()'s reports, then the two that need
 * page_owner, then node N's file W at NODE_BASE + N * PMM_NODE_REPORT_NR + W.
 */
enum { EXTRA_PAGE_OWNER = PMM_REPORT_NR, EXTRA_SHOW_STACKS, NODE_BASE };
#define MAX_IDS (NODE_BASE + PMM_MAX_NUMNODES * PMM_NODE_REPORT_NR)
#define NODE_NID(id) (((id) - NODE_BASE) / PMM_NODE_REPORT_NR)
#define NODE_FILE(id) ((enum pmm_node_report)(((id) - NODE_BASE) % PMM_NODE_REPORT_NR))

/* The report's name as given on the command line: "zoneinfo", "node1/numastat". */
static void report_name(int id, char *buf, size_t size)
{
	if (id >= NODE_BASE)
		snprintf(buf, size, "node%d/%s", NODE_NID(id), pmm_node_report_name(NODE_FILE(id)));
	else if (id == EXTRA_PAGE_OWNER)
		snprintf(buf, size, "page_owner");
	else if (id == EXTRA_SHOW_STACKS)
		snprintf(buf, size, "show_stacks");
	else
		snprintf(buf, size, "%s", pmm_report_name((enum pmm_report)id));
}

/* The id of @name, or -1. */
static int report_lookup(const char *name)
{
	char buf[64], *end;
	long nid;

	for (int id = 0; id < NODE_BASE; id++) {
		report_name(id, buf, sizeof(buf));
		if (!strcmp(name, buf))
			return id;
	}
	/* "nodeN/FILE", N in decimal as sysfs spells it */
	if (strncmp(name, "node", 4) || !isdigit((unsigned char)name[4]) ||
	    (name[4] == '0' && name[5] != '/'))
		return -1;
	nid = strtol(name + 4, &end, 10);
	if (*end != '/' || nid >= PMM_MAX_NUMNODES)
		return -1;
	for (int w = 0; w < PMM_NODE_REPORT_NR; w++)
		if (!strcmp(end + 1, pmm_node_report_name((enum pmm_node_report)w)))
			return NODE_BASE + (int)nid * PMM_NODE_REPORT_NR + w;
	return -1;
}

/* Where the kernel has the file, for the "==> PATH <==" heads. */
static void report_path(int id, char *buf, size_t size)
{
	char name[64];

	report_name(id, name, sizeof(name));
	if (id >= NODE_BASE)
		snprintf(buf, size, "/sys/devices/system/node/%s", name);
	else if (id == PMM_REPORT_EXTFRAG_INDEX || id == PMM_REPORT_UNUSABLE_INDEX)
		snprintf(buf, size, "/sys/kernel/debug/extfrag/%s", name);
	else if (id == EXTRA_PAGE_OWNER)
		snprintf(buf, size, "/sys/kernel/debug/page_owner");
	else if (id == EXTRA_SHOW_STACKS)
		snprintf(buf, size, "/sys/kernel/debug/page_owner_stacks/show_stacks");
	else
		snprintf(buf, size, "/proc/%s", name);
}

static int write_one(struct pmm *m, int id, FILE *out, enum pmm_kver kver)
{
	if (id >= NODE_BASE)
		return pmm_report_node_write(m, NODE_NID(id), NODE_FILE(id), out);
	if (id == EXTRA_PAGE_OWNER)
		return pmm_page_owner_dump(m, out, 0, kver);
	if (id == EXTRA_SHOW_STACKS)
		return pmm_page_owner_show_stacks(m, out, 0);
	return pmm_report_write(m, (enum pmm_report)id, out);
}

/* Add @id to @ids unless it is there. */
static void add_report(int *ids, int *nr, int id)
{
	for (int k = 0; k < *nr; k++)
		if (ids[k] == id)
			return;
	ids[(*nr)++] = id;
}

/*
 * The reports asked for, in the order given (each once), into @ids; "all"
 * sets *@all, whose node files are added once the machine is known.
 */
static int parse_reports(int n, char **names, int *ids, int *nr, int *all)
{
	*nr = 0;
	*all = 0;
	for (int i = 0; i < n; i++) {
		int id = report_lookup(names[i]);

		if (!strcmp(names[i], "all")) {
			for (id = 0; id < NODE_BASE; id++)
				add_report(ids, nr, id);
			*all = 1;
			continue;
		}
		if (id < 0) {
			fprintf(stderr, "pmm report: no report called '%s' (see pmm report --help)\n",
				names[i]);
			return EXIT_USAGE;
		}
		add_report(ids, nr, id);
	}
	if (*nr == 0)
		ids[(*nr)++] = PMM_REPORT_BUDDYINFO;
	return 0;
}

/* With "all", every node's files; else check that each node asked for is there. */
static int check_nodes(struct pmm *m, int *ids, int *nr, int all)
{
	unsigned long nodes = pmm_report_nodes(m);

	for (int nid = 0; all && nid < PMM_MAX_NUMNODES; nid++)
		for (int w = 0; (nodes & (1ul << nid)) && w < PMM_NODE_REPORT_NR; w++)
			add_report(ids, nr, NODE_BASE + nid * PMM_NODE_REPORT_NR + w);
	for (int i = 0; i < *nr; i++)
		if (ids[i] >= NODE_BASE && !(nodes & (1ul << NODE_NID(ids[i])))) {
			fprintf(stderr, "pmm report: the machine has no node %d\n", NODE_NID(ids[i]));
			return EXIT_USAGE;
		}
	return 0;
}

/* Write each report to @dir/NAME; 0, or 1 when one could not be written. */
static int write_reports_to(struct pmm *m, const int *ids, int nr, const char *dir, enum pmm_kver kver)
{
	int status = 0;

	for (int i = 0; i < nr; i++) {
		char path[4096], name[64];
		FILE *f;
		int e = -PMM_EIO;

		report_name(ids[i], name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (ids[i] >= NODE_BASE) { /* DIR/nodeN/NAME */
			*strrchr(path, '/') = 0;
			if (pmm_tool_report_dir(path, "pmm report")) {
				status = 1;
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s", dir, name);
		}
		f = fopen(path, "w");
		if (f) {
			e = write_one(m, ids[i], f, kver);
			if (fclose(f) && !e)
				e = -PMM_EIO;
		}
		if (e) {
			fprintf(stderr, "pmm report: cannot write %s: %s\n", path,
				f ? pmm_strerror(e) : strerror(errno));
			status = 1;
		}
	}
	return status;
}

static int print_reports(struct pmm *m, const int *ids, int nr, enum pmm_kver kver)
{
	for (int i = 0; i < nr; i++) {
		int e;

		if (nr > 1) {
			char path[128];

			report_path(ids[i], path, sizeof(path));
			printf("%s==> %s <==\n", i ? "\n" : "", path);
		}
		fflush(stdout);
		e = write_one(m, ids[i], stdout, kver);
		if (e) {
			char name[64];

			report_name(ids[i], name, sizeof(name));
			fprintf(stderr, "pmm report: %s: %s\n", name, pmm_strerror(e));
			return 1;
		}
	}
	if (fflush(stdout)) {
		fprintf(stderr, "pmm report: write error on standard output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "machine", required_argument, NULL, 'm' },
		{ "machine-from", required_argument, NULL, 'F' },
		{ "trace", required_argument, NULL, 't' },
		{ "kver", required_argument, NULL, 'K' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "sysctl", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pmm_tool_machine mo = { 0 };
	struct pmm_tool_kver kver = { PMM_KVER_6_1, 0 };
	const char *trace = NULL, *dir = NULL;
	int ids[MAX_IDS], nr, all, verbose = 0, c, r, status;
	struct pmm_tool_sysctls sysctls = { 0 };
	struct pmm_replay *replay = NULL;
	struct pmm_config cfg;
	struct pmm *m;

	pmm_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:t:o:s:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': mo.config_file = optarg; break;
		case 'm': mo.machine = optarg; break;
		case 'F': mo.capture = optarg; break;
		case 't': trace = optarg; break;
		case 'K':
			if (pmm_tool_parse_kver(optarg, &kver, "pmm report"))
				return EXIT_USAGE;
			break;
		case 'o': dir = optarg; break;
		case 's':
			if (pmm_tool_sysctl_arg(&sysctls, optarg, "pmm report"))
				return EXIT_USAGE;
			break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if ((r = parse_reports(argc - optind, argv + optind, ids, &nr, &all)))
		return r;
	/* Made before the boot and the replay, so that a bad path fails at once. */
	if (dir && pmm_tool_report_dir(dir, "pmm report"))
		return 1;
	for (int i = 0; i < nr; i++)
		if (ids[i] == EXTRA_PAGE_OWNER || ids[i] == EXTRA_SHOW_STACKS)
			cfg.page_owner = 1;
	if ((r = pmm_tool_machine_config(&cfg, &mo, "pmm report", verbose)))
		return r;
	for (int i = 0; i < nr; i++)
		if ((ids[i] == EXTRA_PAGE_OWNER || ids[i] == EXTRA_SHOW_STACKS) && !cfg.page_owner) {
			fprintf(stderr, "pmm report: the %s report needs page_owner, which the config "
					"turned off\n", ids[i] == EXTRA_PAGE_OWNER ? "page_owner" : "show_stacks");
			return EXIT_USAGE;
		}
	cfg.log = pmm_tool_log_stderr;
	cfg.log_ctx = &verbose;
	r = pmm_create(&cfg, &m);
	if (r) {
		fprintf(stderr, "pmm report: the machine did not boot: %s\n", pmm_strerror(r));
		return 1;
	}
	if ((r = check_nodes(m, ids, &nr, all)) || (r = pmm_tool_apply_sysctls(m, &sysctls, "pmm report"))) {
		pmm_destroy(m);
		return r;
	}
	status = 0;
	if (trace) {
		struct pmm_replay_opts ro = { 0 };

		status = pmm_tool_replay_trace(m, trace, &ro, mo.capture, &kver, "pmm report: ", &replay);
		if (!replay) {
			pmm_destroy(m);
			return status;
		}
		/* A trace with malformed parts still gives the files of what it held. */
	} else {
		char err[512];

		if (pmm_validate(m, err, sizeof(err))) {
			fprintf(stderr, "pmm report: validation failed: %s\n", err);
			status = 1;
		}
	}
	r = dir ? write_reports_to(m, ids, nr, dir, kver.kver) : print_reports(m, ids, nr, kver.kver);
	if (r && !status)
		status = r;
	if (replay)
		pmm_replay_destroy(replay);
	pmm_destroy(m);
	return status;
}
