// SPDX-License-Identifier: MIT
/* pmm: the command-line front end; dispatches to sub-commands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct pmm_command commands[] = {
	{ "run", cmd_run, "boot a machine and print its layout and reports (the main job)" },
	{ "replay", cmd_replay, "replay a kernel kmem trace (ftrace text or trace.dat) on a machine" },
	{ "report", cmd_report, "print a machine's /proc and debugfs files, nothing else" },
	{ "map", cmd_map, "draw a machine's physical memory (and a replay's fragmentation) as SVG" },
	{ "bench", cmd_bench, "measure pmm's allocation paths on a machine, with and without per-CPU lists" },
	{ "owner-sort", cmd_owner_sort, "sort/filter a page_owner dump like the kernel's page_owner_sort" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pmm COMMAND [OPTIONS]\n\ncommands:\n");
	for (const struct pmm_command *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'pmm COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pmm 0.1.0\n");
		return 0;
	}
	for (const struct pmm_command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	fprintf(stderr, "pmm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
