/* SPDX-License-Identifier: MIT */
/*
 * The shared part of the pmm tool: the options that say which machine to
 * boot (`pmm run`, `replay`, `report`, `map`), a replay on a booted
 * machine, the summary a replay prints, its pictures, and the main job's
 * replay of the shipped trace slice.
 */
#ifndef PMM_TOOLS_REPLAY_JOB_H
#define PMM_TOOLS_REPLAY_JOB_H

#include <stdio.h>

#include <pmm/config.h>
#include <pmm/replay.h>

struct pmm;

/*
 * pmm_tool_shipped_trace() - path of the shipped trace slice
 * (data/kmem-6.1-slice.txt.zst) in the source tree or the installed data
 * directory, or NULL when neither has it.  Static storage.
 */
const char *pmm_tool_shipped_trace(void);

/* The machine options: --machine-from PATH, -c FILE, -m TOKENS (NULL: not given). */
struct pmm_tool_machine {
	const char *capture;
	const char *config_file;
	const char *machine;
};

/*
 * pmm_tool_log_stderr() - a machine's log sink for the commands whose
 * standard output is their product (report, map, bench): warnings and
 * errors go to stderr, the rest (the boot log) too when @ctx points to a
 * non-zero int (-v).
 */
void pmm_tool_log_stderr(void *ctx, int level, const char *msg);

/*
 * pmm_tool_report_dir() - -o DIR: create @dir (an existing directory is
 * fine), saying why not on stderr as "@cmd: cannot create ...".
 * Return: 0, or 1.
 */
int pmm_tool_report_dir(const char *dir, const char *cmd);

/* -s/--sysctl NAME=VALUE: the writes asked for, in order. */
#define PMM_TOOL_MAX_SYSCTLS 32
struct pmm_tool_sysctls {
	const char *arg[PMM_TOOL_MAX_SYSCTLS];
	int nr;
};

/*
 * pmm_tool_sysctl_arg() - add -s's @arg to @s, if it has the form
 * NAME=VALUE (a name of 1-63 characters) and there is room; else say why
 * on stderr as "@cmd: ...".
 * Return: 0, or EXIT_USAGE.
 */
int pmm_tool_sysctl_arg(struct pmm_tool_sysctls *s, const char *arg, const char *cmd);

/*
 * pmm_tool_apply_sysctls() - write @s's sysctls to @m in order
 * (pmm_sysctl_write()), stopping at the first one refused, which is named
 * on stderr as "@cmd: --sysctl NAME=VALUE: no such sysctl" or "...: the
 * value is refused".  The writes act as CPU 0 (pmm_set_thread_cpu()), so
 * that a replay on @m afterwards pays no per-lock fence.
 * Return: 0, or EXIT_USAGE.
 */
int pmm_tool_apply_sysctls(struct pmm *m, const struct pmm_tool_sysctls *s, const char *cmd);

/*
 * pmm_tool_machine_config() - apply @mo to @cfg in the order the commands
 * document: the config pmm_config_from_capture() derives from the capture
 * (printed on stderr when @verbose), then the config file, then the
 * tokens.  Errors are printed as "@cmd: reason" (a config's "file:line:
 * reason").
 * Return: 0; 1 when the config file cannot be opened (or out of memory);
 * EXIT_DATAERR for a bad capture, file or tokens.
 */
int pmm_tool_machine_config(struct pmm_config *cfg, const struct pmm_tool_machine *mo, const char *cmd,
			    int verbose);

/*
 * pmm_tool_replay_summary() - print a finished replay's results to @out:
 * events by kind, what was replayed, skipped events by reason, allocations
 * failed by order, pmm's and the trace's counts of the compared events, the
 * phases, and free frames by order at the end (buddyinfo-like lines).
 * @capture (a --machine-from directory, or NULL): where it has the
 * kernel's /proc/buddyinfo of a phase (phases/NAME/buddyinfo), that is
 * printed under pmm's; when any phase had one, so is its buddyinfo.txt
 * under pmm's at the end.
 */
void pmm_tool_replay_summary(FILE *out, struct pmm_replay *r, const char *name, const char *capture);

/*
 * pmm_tool_replay_warnings() - one line per kind of event whose page= and
 * pageblock_order a trace.dat left to guesses (res->unrendered), each
 * starting with @prefix.
 */
void pmm_tool_replay_warnings(FILE *out, const struct pmm_replay_result *res, const char *prefix);

/*
 * pmm_tool_replay_no_events() - a replay that reached the end of the input
 * at @path ("-": standard input) without finding one event in it is bad
 * input: say so on stderr ("@prefix<file>: no events: the input is empty",
 * or "@prefix<file>:<lines>: no events: ..." when it held lines).  Shared
 * by `pmm replay` and `pmm run -t`, so both treat such a trace alike.
 * Return: EXIT_DATAERR then, else 0.
 */
int pmm_tool_replay_no_events(const struct pmm_replay_result *res, const char *path,
			      const char *prefix);

/*
 * pmm_tool_replay_pictures() - write the memory map and/or the
 * fragmentation chart of @r (NULL paths are skipped); @what names the input
 * in the pictures' subtitles; @chart_events puts events instead of trace
 * time on the chart's x axis.  Messages go to stderr, starting "@cmd: ".
 * Return: 0, or 1 when a file could not be written.
 */
int pmm_tool_replay_pictures(struct pmm_replay *r, const char *what, const char *svg_map,
			     const char *svg_chart, int chart_events, const char *cmd);

/*
 * pmm_tool_kver - --kver: the kernel whose gfp names a trace has; when not
 * given, a trace.dat's own kernel decides, and text reads as the kernel of
 * the --machine-from capture it came with, else as Linux 6.1's.
 */
struct pmm_tool_kver {
	enum pmm_kver kver;
	int given;
};

/*
 * pmm_tool_parse_kver() - read --kver's @arg (a kernel release such as
 * "6.8" or "6.1.0-18-amd64", see pmm_kver_from_release()) into @k; on a bad
 * one print "@cmd: --kver ..." on stderr.
 * Return: 0, or EXIT_USAGE.
 */
int pmm_tool_parse_kver(const char *arg, struct pmm_tool_kver *k, const char *cmd);

/*
 * pmm_tool_kver_from_capture() - unless --kver was given, the kernel of
 * the capture at @capture (pmm_capture_release()) for a trace that is the
 * capture's own; @k is unchanged when the capture names none (or @capture
 * is NULL).
 */
void pmm_tool_kver_from_capture(struct pmm_tool_kver *k, const char *capture);

/*
 * pmm_tool_kver_opts() - set @ro's kver and kver_from_file as @k says: a
 * trace.dat's own kernel decides unless --kver was given.
 */
void pmm_tool_kver_opts(struct pmm_replay_opts *ro, const struct pmm_tool_kver *k);

/*
 * pmm_tool_replay_trace() - replay the kmem trace at @trace_path (NULL: the
 * shipped slice; "-": standard input) on the booted machine @m with @opts,
 * whose kver, kver_from_file and node_of_frame are set here as the main
 * job sets them (@capture: the --machine-from capture the trace belongs
 * to, or NULL; @kver as for pmm_tool_replay_main_job()).  Messages go to
 * stderr, each starting with @prefix.
 * On return *@rp is the finished replay (pmm_replay_finish() done; the
 * machine keeps its allocations until the caller destroys it), or NULL
 * when nothing was replayed.
 * Return: 0; 1 when the replay could not start or the machine failed
 * validation after it; EXIT_DATAERR when the trace is unreadable,
 * malformed ("file:line: reason") or holds no event.
 */
int pmm_tool_replay_trace(struct pmm *m, const char *trace_path, struct pmm_replay_opts *opts,
			  const char *capture, struct pmm_tool_kver *kver, const char *prefix,
			  struct pmm_replay **rp);

/*
 * pmm_tool_replay_main_job() - replay the kmem trace at @trace_path (NULL:
 * the shipped slice) on the booted machine @m (not destroyed; the replay's
 * allocations stay on it), print the summary to @out (@capture as for
 * pmm_tool_replay_summary()) and write the pictures (NULL paths: none).
 * Return: an exit status: 0 ok, 1 the machine failed validation or a
 * picture could not be written, 65 the trace is unreadable, malformed or
 * holds no event (a "file:line: reason" message on stderr; no summary or
 * pictures when nothing was replayed).
 * @kver: --kver as given; on return, the kernel whose names the trace was
 * read with (res->kver), for the reports of its masks.
 */
int pmm_tool_replay_main_job(struct pmm *m, const char *trace_path, FILE *out, const char *svg_map,
			     const char *svg_chart, const char *capture, struct pmm_tool_kver *kver);

#endif
