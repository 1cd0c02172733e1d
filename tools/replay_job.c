// SPDX-License-Identifier: MIT
/*
 * The shared part of the pmm tool (replay_job.h): the machine options, the
 * printed replay summary, the pictures, and the main job's replay of the
 * shipped slice.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pmm/picture.h>
#include <pmm/pmm.h>
#include <pmm/replay.h>
#include <pmm/report.h>

#include "commands.h"
#include <pmm/page_idle.h>
#include <stdlib.h>

#include "replay_job.h"

/*
 * The installed data directory as seen from this executable: BINDIR's path to
 * DATADIR/pmm after the directory /proc/self/exe names.  0, or -1 where the
 * executable's path cannot be read (no /proc) or does not fit.
 */
static int data_beside_exe(const char *name, char *buf, size_t size)
{
#ifdef PMM_BIN_TO_DATA
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	n = snprintf(buf, size, "%s/%s/%s", exe, PMM_BIN_TO_DATA, name);
	return n > 0 && (size_t)n < size ? 0 : -1;
#else
	(void)name, (void)buf, (void)size;
	return -1;
#endif
}

static const char *find_data(const char *name, char *buf, size_t size)
{
	static const char *const dirs[] = {
#ifdef PMM_SOURCE_DATA_DIR
		PMM_SOURCE_DATA_DIR,
#endif
#ifdef PMM_DATA_DIR
		PMM_DATA_DIR,
#endif
		"data",
	};

	if (data_beside_exe(name, buf, size) == 0 && access(buf, R_OK) == 0) {
		char *clean = realpath(buf, NULL); /* without the "bin/.." */

		if (clean && strlen(clean) < size)
			strcpy(buf, clean);
		free(clean);
		return buf;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, size, "%s/%s", dirs[i], name);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

const char *pmm_tool_shipped_trace(void)
{
	static char path[4096];

	return find_data("kmem-6.1-slice.txt.zst", path, sizeof(path));
}

/* --machine-from: @path's capture config applied to @cfg; 0, or an exit status. */
static int machine_from(struct pmm_config *cfg, const char *path, const char *cmd, int verbose)
{
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int e;

	if (!f) {
		fprintf(stderr, "%s: out of memory\n", cmd);
		return 1;
	}
	e = pmm_config_from_capture(path, f, err, sizeof(err));
	fclose(f);
	if (!e && pmm_config_parse(cfg, text, len, path, err, sizeof(err)))
		e = -PMM_EINVAL;
	if (!e && verbose)
		fprintf(stderr, "%s: the machine of %s:\n%s", cmd, path, text);
	free(text);
	if (e) {
		fprintf(stderr, "%s: --machine-from: %s\n", cmd, err);
		return EXIT_DATAERR;
	}
	return 0;
}

void pmm_tool_log_stderr(void *ctx, int level, const char *msg)
{
	const int *verbose = ctx;

	if ((verbose && *verbose) || level <= PMM_LOG_WARNING)
		fputs(msg, stderr);
}

int pmm_tool_report_dir(const char *dir, const char *cmd)
{
	struct stat st;

	if (!mkdir(dir, 0777))
		return 0;
	/* an existing directory is fine; an existing file is not one */
	if (errno == EEXIST && stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	if (errno == EEXIST)
		return 0;
	fprintf(stderr, "%s: cannot create the report directory %s: %s\n", cmd, dir, strerror(errno));
	return 1;
}

int pmm_tool_sysctl_arg(struct pmm_tool_sysctls *s, const char *arg, const char *cmd)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || eq - arg >= 64) {
		fprintf(stderr, "%s: --sysctl takes NAME=VALUE, not '%s'\n", cmd, arg);
		return EXIT_USAGE;
	}
	if (s->nr == PMM_TOOL_MAX_SYSCTLS) {
		fprintf(stderr, "%s: at most %d --sysctl options\n", cmd, PMM_TOOL_MAX_SYSCTLS);
		return EXIT_USAGE;
	}
	s->arg[s->nr++] = arg;
	return 0;
}

int pmm_tool_apply_sysctls(struct pmm *m, const struct pmm_tool_sysctls *s, const char *cmd)
{
	int status = 0;

	if (!s->nr)
		return 0;
	/*
	 * The writes act as CPU 0, as the replays that follow act as the
	 * trace's CPUs: a write on the real CPU would take the restartable
	 * per-CPU lock, and every lock a replay takes after that pays a
	 * membarrier() fence (pmm_set_thread_cpu()), six times the replay's
	 * time.
	 */
	pmm_set_thread_cpu(m, 0);
	for (int i = 0; i < s->nr && !status; i++) {
		const char *eq = strchr(s->arg[i], '=');
		char name[64];
		int r;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - s->arg[i]), s->arg[i]);
		r = pmm_sysctl_write(m, name, eq + 1);
		if (r) {
			fprintf(stderr, "%s: --sysctl %s: %s\n", cmd, s->arg[i],
				r == -PMM_ENOENT ? "no such sysctl" : "the value is refused");
			status = EXIT_USAGE;
		}
	}
	pmm_set_thread_cpu(m, PMM_CPU_UNPIN);
	return status;
}

int pmm_tool_machine_config(struct pmm_config *cfg, const struct pmm_tool_machine *mo, const char *cmd,
			    int verbose)
{
	char err[512];
	int r;

	if (mo->capture && (r = machine_from(cfg, mo->capture, cmd, verbose)))
		return r;
	if (mo->config_file && (r = pmm_config_load(cfg, mo->config_file, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return r == -PMM_ENOENT || r == -PMM_EISDIR || r == -PMM_EIO ? 1 : EXIT_DATAERR;
	}
	if (mo->machine &&
	    pmm_config_parse(cfg, mo->machine, strlen(mo->machine), "--machine", err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return EXIT_DATAERR;
	}
	return 0;
}

static void buddyinfo_lines(FILE *out, const char *indent, const struct pmm_replay_zone_free *z,
			    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%sNode %d, zone %8s ", indent, z[i].nid, z[i].zone_name);
		for (int o = 0; o < PMM_MAX_ORDER; o++)
			fprintf(out, "%6lu ", z[i].nr_free[o]);
		fputc('\n', out);
	}
}

static double mib(uint64_t pages)
{
	return (double)pages * PMM_PAGE_SIZE / (1024.0 * 1024.0);
}

/* "@title order 1: N, order 3: M" for the nonzero counts, or "@title none". */
static void print_by_order(FILE *out, const char *title, const uint64_t count[PMM_MAX_ORDER])
{
	int any = 0;

	fputs(title, out);
	for (int o = 0; o < PMM_MAX_ORDER; o++)
		if (count[o]) {
			fprintf(out, "%s order %d: %llu", any ? "," : "", o, (unsigned long long)count[o]);
			any = 1;
		}
	fprintf(out, "%s\n", any ? "" : " none");
}

/*
 * The kernel's buddyinfo lines in @capture/@rel, each after @indent, under
 * a heading naming the file; false (nothing printed) without the file.
 */
static bool kernel_buddyinfo(FILE *out, const char *indent, const char *capture, const char *rel)
{
	char path[4096], line[512];
	FILE *f;

	if (!capture)
		return false;
	snprintf(path, sizeof(path), "%s/%s", capture, rel);
	f = fopen(path, "r");
	if (!f)
		return false;
	fprintf(out, "%sthe kernel's (%s):\n", indent, rel);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Node ", 5))
			fprintf(out, "%s%s%s", indent, line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
	return true;
}

void pmm_tool_replay_warnings(FILE *out, const struct pmm_replay_result *res, const char *prefix)
{
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++) {
		if (!res->unrendered[k])
			continue;
		fprintf(out, "%swarning: %llu %s events: libtraceevent's text of them (from the "
			"trace.dat's print format) did not parse, so their page= and pageblock_order "
			"are guesses (0 and 9)\n",
			prefix, (unsigned long long)res->unrendered[k],
			pmm_trace_kind_name((enum pmm_trace_kind)k));
	}
}

int pmm_tool_replay_no_events(const struct pmm_replay_result *res, const char *path,
			      const char *prefix)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";

	if (res->events || res->stop != PMM_REPLAY_STOP_END)
		return 0;
	if (res->lines)
		fprintf(stderr, "%s%s:%llu: no events: the input holds no trace event lines\n", prefix,
			name, (unsigned long long)res->lines);
	else
		fprintf(stderr, "%s%s: no events: the input is empty\n", prefix, name);
	return EXIT_DATAERR;
}

void pmm_tool_replay_summary(FILE *out, struct pmm_replay *r, const char *name, const char *capture)
{
	bool kernel_phases = false;
	const struct pmm_replay_result *res = pmm_replay_result(r);
	struct pmm *m = pmm_replay_machine(r);
	struct pmm_replay_zone_free zones[64];
	uint64_t free_skipped = res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED] +
				res->skipped[PMM_REPLAY_SKIP_FREE_PMM_FAILED] +
				res->skipped[PMM_REPLAY_SKIP_FREE_ORDER];
	uint64_t refused = 0, trace_failed = 0;
	size_t nz;

	for (int o = 0; o < PMM_MAX_ORDER; o++) {
		refused += res->alloc_failed[o];
		trace_failed += res->trace_alloc_failed[o];
	}
	fprintf(out, "replay of %s: %s\n", name, pmm_replay_stop_name(res->stop));
	fprintf(out, "  %llu events in %.3f s (%.2f M events/s), trace time %.6f .. %.6f s\n",
		(unsigned long long)res->events, res->elapsed_s, res->events_per_s / 1e6,
		(double)res->first_ts_ns / 1e9, (double)res->last_ts_ns / 1e9);
	fprintf(out, "  machine: %u CPUs, %lu pages managed (%.0f MiB)\n", pmm_nr_cpus(m),
		pmm_totalram_pages(m), mib(pmm_totalram_pages(m)));
	if (res->kver != PMM_KVER_6_1)
		fprintf(out, "  gfp flag names: read as Linux %s names them\n",
			res->kver == PMM_KVER_6_6 ? "6.3 to 6.7" : "6.8 and later");
	if (res->parse_errors)
		fprintf(out, "  %llu malformed lines skipped\n", (unsigned long long)res->parse_errors);
	pmm_tool_replay_warnings(out, res, "  ");

	fprintf(out, "\nevents by kind                   count  what the replay did\n");
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++) {
		fprintf(out, "  %-26s %9llu  ", pmm_trace_kind_name((enum pmm_trace_kind)k),
			(unsigned long long)res->by_kind[k]);
		switch (k) {
		case PMM_TRACE_MM_PAGE_ALLOC:
			fprintf(out, "%llu allocated (%llu pages), %llu refused by pmm, %llu failed in the trace\n",
				(unsigned long long)res->allocs, (unsigned long long)res->alloc_pages,
				(unsigned long long)refused, (unsigned long long)trace_failed);
			break;
		case PMM_TRACE_MM_PAGE_FREE:
			fprintf(out, "%llu freed (%llu pages; %llu partial, %llu blocks split), %llu skipped\n",
				(unsigned long long)(res->frees - res->partial_frees),
				(unsigned long long)res->free_pages, (unsigned long long)res->partial_frees,
				(unsigned long long)res->splits, (unsigned long long)free_skipped);
			break;
		case PMM_TRACE_MM_PAGE_FREE_BATCHED:
			fputs("counted only (each has its own mm_page_free line)\n", out);
			break;
		case PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED:
		case PMM_TRACE_MM_PAGE_PCPU_DRAIN:
		case PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG:
			fputs("compared with pmm's own (below)\n", out);
			break;
		case PMM_TRACE_PHASE:
			fputs("free blocks snapshot (below)\n", out);
			break;
		case PMM_TRACE_LOST:
			fprintf(out, "%llu events lost by the tracer\n", (unsigned long long)res->lost_events);
			break;
		default:
			fputs("skipped\n", out);
			break;
		}
	}
	if (res->by_old_name[PMM_TRACE_MM_PAGE_FREE] || res->by_old_name[PMM_TRACE_MM_PAGE_FREE_BATCHED]) {
		fprintf(out, "  (of them %llu mm_page_free_direct and %llu mm_pagevec_free: their names before\n"
			     "   Linux 3.3, replayed alike; before 2.6.34 a pagevec free had no\n"
			     "   mm_page_free_direct line, so a trace of such a kernel loses those frees)\n",
			(unsigned long long)res->by_old_name[PMM_TRACE_MM_PAGE_FREE],
			(unsigned long long)res->by_old_name[PMM_TRACE_MM_PAGE_FREE_BATCHED]);
	}
	if (res->pfn_bytes)
		fprintf(out, "  (%llu events of a kernel before 4.1, which recorded the struct page: their pfn\n"
			     "   is its byte offset into the memmap, as trace-cmd and perf print pfn=, divided by 64)\n",
			(unsigned long long)res->pfn_bytes);
	if (res->implied_frees)
		fprintf(out, "  (%llu live blocks were freed because the trace allocated their pfn again: lost frees)\n",
			(unsigned long long)res->implied_frees);

	fprintf(out, "\nskipped events by reason:\n");
	for (int s = 0; s < PMM_REPLAY_SKIP_NR; s++)
		fprintf(out, "  %-22s %9llu  %s\n", pmm_replay_skip_name((enum pmm_replay_skip)s),
			(unsigned long long)res->skipped[s], pmm_replay_skip_desc((enum pmm_replay_skip)s));

	print_by_order(out, "\nallocations failed by order (refused by pmm):", res->alloc_failed);
	print_by_order(out, "allocations that failed in the trace (pfn=0x0):", res->trace_alloc_failed);

	fprintf(out, "\ntracepoint                      trace        pmm\n");
	fprintf(out, "  %-26s %9llu  %9llu\n", "mm_page_alloc_zone_locked",
		(unsigned long long)res->zone_locked.trace, (unsigned long long)res->zone_locked.pmm);
	fprintf(out, "  %-26s %9llu  %9llu\n", "mm_page_pcpu_drain",
		(unsigned long long)res->pcpu_drain.trace, (unsigned long long)res->pcpu_drain.pmm);
	fprintf(out, "  %-26s %9llu  %9llu\n", "mm_page_alloc_extfrag",
		(unsigned long long)res->extfrag.trace, (unsigned long long)res->extfrag.pmm);
	if (res->explicit_drains)
		fprintf(out, "  (%llu drains in the trace that no free triggered, drain_all_pages() or\n"
			     "   drain_local_pages(), made pmm drain every CPU's lists)\n",
			(unsigned long long)res->explicit_drains);

	if (res->nr_phases) {
		fprintf(out, "\nphases (pmm's free blocks by order when the marker was replayed; blocks\n"
			     "refilled and drained since the previous marker, the trace's and pmm's):\n");
		for (size_t p = 0; p < res->nr_phases; p++) {
			const struct pmm_replay_phase *ph = &res->phases[p], *prev = p ? ph - 1 : NULL;
			char rel[256];

			fprintf(out, "  %s at %.6f s, after %llu events; zone_locked %llu / %llu, pcpu_drain %llu / %llu\n",
				ph->name, (double)ph->ts_ns / 1e9, (unsigned long long)ph->event,
				(unsigned long long)(ph->zone_locked_trace - (prev ? prev->zone_locked_trace : 0)),
				(unsigned long long)(ph->zone_locked_pmm - (prev ? prev->zone_locked_pmm : 0)),
				(unsigned long long)(ph->pcpu_drain_trace - (prev ? prev->pcpu_drain_trace : 0)),
				(unsigned long long)(ph->pcpu_drain_pmm - (prev ? prev->pcpu_drain_pmm : 0)));
			buddyinfo_lines(out, "    ", ph->zones, ph->nr_zones);
			snprintf(rel, sizeof(rel), "phases/%s/buddyinfo", ph->name);
			kernel_phases |= kernel_buddyinfo(out, "    ", capture, rel);
		}
	}

	fprintf(out, "\nfree frames by order at the end (/proc/buddyinfo):\n");
	if (pmm_report_buddyinfo(m, out)) {
		nz = pmm_zone_free_blocks(m, zones, sizeof(zones) / sizeof(zones[0]));
		if (nz > sizeof(zones) / sizeof(zones[0]))
			nz = sizeof(zones) / sizeof(zones[0]);
		buddyinfo_lines(out, "", zones, nz);
	}
	if (kernel_phases)
		kernel_buddyinfo(out, "", capture, "buddyinfo.txt");
	fprintf(out, "live: %llu blocks (%llu pages, %.1f MiB) held by the replay; %lu pages (%.1f MiB) free in the buddy lists\n",
		(unsigned long long)res->live_blocks, (unsigned long long)res->live_pages,
		mib(res->live_pages), pmm_nr_free_pages(m), mib(pmm_nr_free_pages(m)));
	if (res->validate)
		fprintf(out, "pmm_validate: FAILED: %s\n", res->validate_msg);
	else
		fprintf(out, "pmm_validate: ok\n");
}

int pmm_tool_replay_pictures(struct pmm_replay *r, const char *what, const char *svg_map,
			     const char *svg_chart, int chart_events, const char *cmd)
{
	char sub[512];
	int status = 0;
	const char *slash = strrchr(what, '/');

	if (slash && slash[1])
		what = slash + 1;

	snprintf(sub, sizeof(sub), "after replaying %s (%llu events)", what,
		 (unsigned long long)pmm_replay_result(r)->events);
	if (svg_map) {
		struct pmm_svg_map_opts o = { .subtitle = sub };
		FILE *f = fopen(svg_map, "w");
		int err = f ? pmm_svg_memory_map(pmm_replay_machine(r), f, &o) : -PMM_EIO;

		if (f && fclose(f))
			err = -PMM_EIO;
		if (err) {
			fprintf(stderr, "%s: %s: cannot write the memory map: %s\n", cmd, svg_map,
				pmm_strerror(err));
			status = 1;
		}
	}
	if (svg_chart && pmm_replay_result(r)->nr_samples < 2) {
		/* A chart needs two points; no file is better than an empty one. */
		fprintf(stderr, "%s: %s not written: %llu events give no chart\n", cmd, svg_chart,
			(unsigned long long)pmm_replay_result(r)->events);
	} else if (svg_chart) {
		struct pmm_svg_chart_opts o = { .subtitle = sub, .x_events = chart_events };
		FILE *f;
		int err;

		snprintf(sub, sizeof(sub), "replay of %s on a %u-CPU machine of %.0f MiB", what,
			 pmm_nr_cpus(pmm_replay_machine(r)), mib(pmm_totalram_pages(pmm_replay_machine(r))));
		f = fopen(svg_chart, "w");
		err = f ? pmm_svg_frag_chart(pmm_replay_result(r), f, &o) : -PMM_EIO;
		if (f && fclose(f))
			err = -PMM_EIO;
		if (err) {
			fprintf(stderr, "%s: %s: cannot write the chart: %s\n", cmd, svg_chart,
				pmm_strerror(err));
			status = 1;
		}
	}
	return status;
}

/*
 * The working-set estimate, with idle page tracking as a kernel user does it
 * through /sys/kernel/mm/page_idle/bitmap: at each interval, frames still
 * idle since the last mark were not touched (here: not allocated again),
 * the rest are the interval's working set; then mark every frame idle.
 */
#define WS_INTERVALS 64

struct working_set {
	struct pmm *m;
	uint64_t *bits;
	size_t words;
	unsigned n;
	uint64_t events[WS_INTERVALS];
	unsigned long active[WS_INTERVALS], idle[WS_INTERVALS];
};

static int working_set_tick(void *ctx, const struct pmm_replay_result *res, uint64_t bytes)
{
	struct working_set *ws = ctx;
	unsigned long idle = 0, allocated = 0;
	long got;

	(void)bytes;
	got = pmm_page_idle_read(ws->m, 0, ws->bits, ws->words);
	for (long w = 0; w < got; w++)
		idle += (unsigned long)__builtin_popcountll(ws->bits[w]);
	/* Every allocated frame: mark idle and count (free frames are skipped). */
	for (size_t w = 0; w < ws->words; w++)
		ws->bits[w] = ~0ull;
	pmm_page_idle_write(ws->m, 0, ws->bits, ws->words);
	got = pmm_page_idle_read(ws->m, 0, ws->bits, ws->words);
	for (long w = 0; w < got; w++)
		allocated += (unsigned long)__builtin_popcountll(ws->bits[w]);
	if (ws->n < WS_INTERVALS && res->events) {
		ws->events[ws->n] = res->events;
		ws->idle[ws->n] = idle;
		ws->active[ws->n] = allocated >= idle ? allocated - idle : 0;
		ws->n++;
	}
	return 0;
}

static void working_set_print(FILE *out, const struct working_set *ws)
{
	fprintf(out, "\nworking set (page_idle bitmap, marked every interval): frames allocated and\n"
		     "touched in the interval vs frames left idle since the previous mark\n");
	fprintf(out, "  %12s %12s %12s\n", "after event", "active", "idle");
	for (unsigned i = 0; i < ws->n; i++)
		fprintf(out, "  %12llu %9lu (%lu MiB) %9lu\n", (unsigned long long)ws->events[i],
			ws->active[i], ws->active[i] >> 8, ws->idle[i]);
}

int pmm_tool_parse_kver(const char *arg, struct pmm_tool_kver *k, const char *cmd)
{
	if (pmm_kver_from_release(arg, &k->kver)) {
		/* in pmm owner-sort's words (owner_sort_opts.c) */
		fprintf(stderr, "%s: --kver: '%s' is not a kernel release (MAJOR.MINOR, e.g. 6.12)\n",
			cmd, arg);
		return EXIT_USAGE;
	}
	k->given = 1;
	return 0;
}

void pmm_tool_kver_from_capture(struct pmm_tool_kver *k, const char *capture)
{
	char release[128];

	if (!k->given && capture && !pmm_capture_release(capture, release, sizeof(release)))
		pmm_kver_from_release(release, &k->kver);
}

void pmm_tool_kver_opts(struct pmm_replay_opts *ro, const struct pmm_tool_kver *k)
{
	ro->kver = k->kver;
	ro->kver_from_file = !k->given;
}

int pmm_tool_replay_trace(struct pmm *m, const char *trace_path, struct pmm_replay_opts *opts,
			  const char *capture, struct pmm_tool_kver *kver, const char *prefix,
			  struct pmm_replay **rp)
{
	struct pmm_replay *r;
	int err, status;

	*rp = NULL;
	/* A capture's own trace (-t) names its frames: their nodes are the capture's. */
	opts->node_of_frame = capture && trace_path;
	if (trace_path)
		pmm_tool_kver_from_capture(kver, capture);
	pmm_tool_kver_opts(opts, kver);
	if (!trace_path)
		trace_path = pmm_tool_shipped_trace();
	if (!trace_path) {
		fprintf(stderr, "%sthe shipped trace data/kmem-6.1-slice.txt.zst was not found\n", prefix);
		return EXIT_DATAERR;
	}
	err = pmm_replay_create(&r, m, NULL, opts);
	if (err) {
		fprintf(stderr, "%scannot start the replay: %s\n", prefix, pmm_strerror(err));
		return 1;
	}
	err = pmm_replay_file(r, trace_path);
	if (err) {
		fprintf(stderr, "%s%s\n", prefix, pmm_replay_errmsg(r));
		status = EXIT_DATAERR;
	} else {
		status = pmm_tool_replay_no_events(pmm_replay_result(r), trace_path, prefix);
	}
	/* a trace unreadable from its start, or empty: no report of a replay that never ran */
	if (status && !pmm_replay_result(r)->events) {
		pmm_replay_destroy(r);
		return status;
	}
	if (pmm_replay_finish(r)) {
		fprintf(stderr, "%sthe machine failed validation after the replay: %s\n", prefix,
			pmm_replay_result(r)->validate_msg);
		status = 1;
	}
	kver->kver = pmm_replay_result(r)->kver;
	*rp = r;
	return status;
}

int pmm_tool_replay_main_job(struct pmm *m, const char *trace_path, FILE *out, const char *svg_map,
			     const char *svg_chart, const char *capture, struct pmm_tool_kver *kver)
{
	struct pmm_replay_opts opts = { .every = 50000 };
	struct working_set ws = { .m = m };
	struct pmm_replay *r;
	int status;

	ws.words = (pmm_max_pfn(m) + 63) / 64;
	ws.bits = calloc(ws.words, sizeof(*ws.bits));
	if (ws.bits) {
		opts.progress = working_set_tick;
		opts.ctx = &ws;
		working_set_tick(&ws, &(struct pmm_replay_result){ 0 }, 0);
	}
	status = pmm_tool_replay_trace(m, trace_path, &opts, capture, kver, "pmm: ", &r);
	if (r) {
		const char *name = trace_path ? trace_path : pmm_tool_shipped_trace();

		pmm_tool_replay_summary(out, r, name, capture);
		if (ws.bits)
			working_set_print(out, &ws);
		if (pmm_tool_replay_pictures(r, name, svg_map, svg_chart, 0, "pmm run") && !status)
			status = 1;
		pmm_replay_destroy(r);
	}
	free(ws.bits);
	return status;
}
