/* SPDX-License-Identifier: MIT */
/* Sub-commands of the pmm tool. Each returns the process exit status. */
#ifndef PMM_TOOLS_COMMANDS_H
#define PMM_TOOLS_COMMANDS_H

struct pmm_command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_owner_sort(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Exit statuses (sysexits-like): 0 ok, 1 failure, 2 usage, 65 bad input data. */
#define EXIT_USAGE 2
#define EXIT_DATAERR 65

#endif
