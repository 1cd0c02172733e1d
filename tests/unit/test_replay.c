// SPDX-License-Identifier: MIT
/*
 * Trace replay: the whole real 6.1 capture and the shipped slice replay
 * with no parse error, every event accounted for (replayed, compared, a
 * marker, or skipped by reason) and counted as the parser counts, ending
 * with a consistent machine; pmm's own event output replays into an
 * identical machine; partial frees, refusals, lost frees, limits and
 * page_owner identity; bad input gives "file:line: reason"; the pictures
 * are well-formed SVG with the expected cells and labels.
 *
 * Under sanitizers (PMM_TEST_SANITIZER=1) whole captures are sampled: the
 * first 50 000 events.
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <lzma.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/page_owner.h>
#include <pmm/picture.h>
#include <pmm/hugetlb.h>
#include <pmm/replay.h>
#include <pmm/report.h>
#include <pmm/trace.h>

#define SAMPLE_EVENTS 50000
#define SLICE "data/kmem-6.1-slice.txt.zst" /* the shipped trace, below the source tree */

static int sanitizer(void)
{
	const char *s = getenv("PMM_TEST_SANITIZER");

	return s && strcmp(s, "0") != 0;
}

static const char guest_config[] =
	"node=0:0x1000-0x9efff node=0:0x100000-0x3ffdcfff reserve=0x34400000-0x35dfffff "
	"cpus=2 min_free_kbytes=45056";

static void config_from(struct pmm_config *cfg, const char *text)
{
	char err[256];

	pmm_config_default(cfg);
	if (pmm_config_parse(cfg, text, strlen(text), "test", err, sizeof(err)))
		fail_msg("config: %s", err);
	cfg->log = pmm_test_log_sink;
	cfg->log_ctx = NULL;
}

/* Every event lands in exactly one bucket, and the buckets add up. */
static void assert_accounted(const struct pmm_replay_result *res)
{
	uint64_t sum = 0, refused = 0, trace_failed = 0;

	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++)
		sum += res->by_kind[k];
	assert_int_equal(sum, res->events);
	for (int o = 0; o < PMM_MAX_ORDER; o++) {
		refused += res->alloc_failed[o];
		trace_failed += res->trace_alloc_failed[o];
	}
	assert_int_equal(trace_failed, res->skipped[PMM_REPLAY_SKIP_ALLOC_TRACE_FAILED]);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC], res->allocs + refused + trace_failed);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE],
			 res->frees + res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED] +
				 res->skipped[PMM_REPLAY_SKIP_FREE_PMM_FAILED] +
				 res->skipped[PMM_REPLAY_SKIP_FREE_ORDER]);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE_BATCHED],
			 res->skipped[PMM_REPLAY_SKIP_FREE_BATCHED]);
	assert_int_equal(res->by_kind[PMM_TRACE_OTHER], res->skipped[PMM_REPLAY_SKIP_OTHER]);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED], res->zone_locked.trace);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_PCPU_DRAIN], res->pcpu_drain.trace);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG], res->extfrag.trace);
	assert_int_equal(res->by_kind[PMM_TRACE_PHASE], res->nr_phases);
	assert_int_equal(res->alloc_pages - res->free_pages, res->live_pages);
	assert_true(res->nr_samples >= 2);
}

/*
 * Replay what @p reads (named @name; closed after) on a new machine of
 * @config, through our own parser so that the replay's counts can be
 * compared with the parser's: those go to @st unless it is NULL.  A replay
 * error or a machine that fails validation after fails the test.
 */
static struct pmm_replay *replay_parser(struct pmm_trace_parser *p, const char *name,
					const char *config, const struct pmm_replay_opts *o,
					struct pmm_trace_stats *st)
{
	struct pmm_replay *r;
	struct pmm_config cfg;

	config_from(&cfg, config);
	assert_int_equal(pmm_replay_create(&r, NULL, &cfg, o), 0);
	if (pmm_replay_parser(r, p, name))
		fail_msg("replay of %s: %s", name, pmm_replay_errmsg(r));
	if (st)
		pmm_trace_get_stats(p, st);
	pmm_trace_close(p);
	if (pmm_replay_finish(r))
		fail_msg("pmm_validate after replay of %s: %s", name, pmm_replay_result(r)->validate_msg);
	return r;
}

/* Replay the file at @path (at most @max_events; 0 = all). */
static struct pmm_replay *replay_path(const char *path, const char *config, uint64_t max_events,
				      struct pmm_trace_stats *st)
{
	struct pmm_replay_opts o = { .max_events = max_events };
	struct pmm_trace_parser *p;

	assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
	return replay_parser(p, path, config, &o, st);
}

/* Replay @len bytes of trace at @data, named @name in messages. */
static struct pmm_replay *replay_mem(const char *name, const void *data, size_t len,
				     const char *config, const struct pmm_replay_opts *o)
{
	struct pmm_trace_parser *p;

	assert_int_equal(pmm_trace_open_mem(&p, name, data, len, NULL), 0);
	return replay_parser(p, name, config, o, NULL);
}

static void assert_counts_match_parser(const struct pmm_replay_result *res,
				       const struct pmm_trace_stats *st, int whole)
{
	assert_int_equal(st->errors, 0);
	assert_int_equal(res->parse_errors, 0);
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++) {
		/* A sampled replay stops at the event after its last one, which the parser read. */
		if (whole || st->events[k] == res->by_kind[k])
			assert_int_equal(st->events[k], res->by_kind[k]);
		else
			assert_int_equal(st->events[k], res->by_kind[k] + 1);
	}
}

/* ------------------------------------------------------------ real traces */

static void test_whole_capture(void **state)
{
	char *path = pmm_test_shared("a-1g-1node-mixed/trace.txt.xz");
	uint64_t max = sanitizer() ? SAMPLE_EVENTS : 0;
	struct pmm_trace_stats st;
	struct pmm_replay *r = replay_path(path, guest_config, max, &st);
	const struct pmm_replay_result *res = pmm_replay_result(r);

	(void)state;
	assert_accounted(res);
	assert_counts_match_parser(res, &st, !max);
	assert_int_equal(res->validate, 0);
	if (!max) {
		/* The capture's README and stats.txt: 720 585 events, none lost. */
		assert_int_equal(res->stop, PMM_REPLAY_STOP_END);
		assert_int_equal(res->events, 720585);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC], 170720);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE], 160388);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE_BATCHED], 138854);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED], 131319);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_PCPU_DRAIN], 119180);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG], 25);
		assert_int_equal(res->by_kind[PMM_TRACE_OTHER], 88);
		assert_int_equal(res->by_kind[PMM_TRACE_PHASE], 11);
		assert_int_equal(res->lost_events, 0);
		/* consistency.txt: 19058 live blocks (25033 pages), 8726 frees of pfns not allocated. */
		assert_int_equal(res->live_blocks, 19058);
		assert_int_equal(res->live_pages, 25033);
		assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED], 8726);
		assert_int_equal(res->skipped[PMM_REPLAY_SKIP_ALLOC_TRACE_FAILED], 0);
		assert_int_equal(res->implied_frees, 0);
		/* A 1 GiB machine takes every allocation of a 1 GiB guest. */
		for (int o = 0; o < PMM_MAX_ORDER; o++)
			assert_int_equal(res->alloc_failed[o], 0);
		assert_string_equal(res->phases[0].name, "00_boot_done");
		assert_string_equal(res->phases[10].name, "10_cleanup");
		assert_int_equal(res->phases[0].nr_zones, 2);
		/* pmm's own refills, drains and fallbacks happened, in the trace's range. */
		assert_true(res->zone_locked.pmm > res->zone_locked.trace / 2);
		assert_true(res->pcpu_drain.pmm > res->pcpu_drain.trace / 2);
		assert_true(res->extfrag.pmm > 0);
		/*
		 * From boot_done on, pmm refills its per-CPU lists in every phase
		 * exactly as often as the kernel did, and drains them within
		 * 0.5% until the compaction (which frees pages the trace never
		 * allocated): the same batch, high and free_factor, and a drain
		 * of every CPU where the capture's reading of /proc/pagetypeinfo
		 * (page_owner on) drained them all.
		 */
		for (size_t p = 1; p < res->nr_phases; p++) {
			const struct pmm_replay_phase *a = &res->phases[p - 1], *b = &res->phases[p];
			uint64_t kd = b->pcpu_drain_trace - a->pcpu_drain_trace;
			uint64_t pd = b->pcpu_drain_pmm - a->pcpu_drain_pmm;

			assert_int_equal(b->zone_locked_trace - a->zone_locked_trace,
					 b->zone_locked_pmm - a->zone_locked_pmm);
			if (p >= 2 && p <= 9 && (kd > pd ? kd - pd : pd - kd) * 200 > kd)
				fail_msg("%s: %llu drains in the kernel, %llu in pmm", b->name,
					 (unsigned long long)kd, (unsigned long long)pd);
		}
		assert_int_equal(res->explicit_drains, 11);
	}
	pmm_replay_destroy(r);
	free(path);
}

static void test_trace_cmd_report(void **state)
{
	char *path = pmm_test_shared("trace-cmd/trace-report.txt.xz");
	uint64_t max = sanitizer() ? SAMPLE_EVENTS : 0;
	struct pmm_trace_stats st;
	struct pmm_replay *r = replay_path(path, "mem=1G cpus=2", max, &st);
	const struct pmm_replay_result *res = pmm_replay_result(r);

	(void)state;
	assert_accounted(res);
	assert_counts_match_parser(res, &st, !max);
	if (!max)
		assert_int_equal(res->events, 891007);
	pmm_replay_destroy(r);
	free(path);
}

static void assert_same_free_state(struct pmm *a, struct pmm *b);

/* The trace.dat and its `trace-cmd report` text are the same events: same replay. */
static void test_trace_dat_equals_report(void **state)
{
	char *dat_xz = pmm_test_shared("trace-cmd/trace.dat.xz");
	char *report = pmm_test_shared("trace-cmd/trace-report.txt.xz");
	uint64_t max = sanitizer() ? SAMPLE_EVENTS : 0;
	struct pmm_trace_parser *probe;
	struct pmm_trace_stats st_dat, st_rep;
	struct pmm_replay *rd, *rr;
	const struct pmm_replay_result *d, *t;
	size_t len;
	char *raw = pmm_test_read_file(dat_xz, &len);
	char *tmp = pmm_test_write_tmp("replay.dat", raw, len);

	(void)state;
	free(raw);
	if (pmm_trace_open_dat(&probe, tmp, NULL) == -PMM_ENOSYS) {
		printf("SKIP: pmm built without libtracecmd\n");
		unlink(tmp);
		free(tmp);
		free(dat_xz);
		free(report);
		skip();
	}
	pmm_trace_close(probe);
	rd = replay_path(tmp, "mem=1G cpus=2", max, &st_dat);
	rr = replay_path(report, "mem=1G cpus=2", max, &st_rep);
	d = pmm_replay_result(rd);
	t = pmm_replay_result(rr);
	assert_accounted(d);
	assert_counts_match_parser(d, &st_dat, !max);
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++)
		assert_int_equal(d->by_kind[k], t->by_kind[k]);
	assert_int_equal(d->allocs, t->allocs);
	assert_int_equal(d->frees, t->frees);
	for (int k = 0; k < PMM_REPLAY_SKIP_NR; k++)
		assert_int_equal(d->skipped[k], t->skipped[k]);
	assert_int_equal(d->zone_locked.pmm, t->zone_locked.pmm);
	assert_int_equal(d->pcpu_drain.pmm, t->pcpu_drain.pmm);
	assert_int_equal(d->live_pages, t->live_pages);
	if (!max)
		assert_int_equal(d->events, 891007);
	assert_same_free_state(pmm_replay_machine(rd), pmm_replay_machine(rr));
	pmm_replay_destroy(rd);
	pmm_replay_destroy(rr);
	unlink(tmp);
	free(tmp);
	free(dat_xz);
	free(report);
}

static void test_shipped_slice(void **state)
{
	char *path = pmm_test_source_path(SLICE);
	uint64_t max = sanitizer() ? SAMPLE_EVENTS : 0;
	struct pmm_trace_stats st;
	struct pmm_replay *r = replay_path(path, guest_config, max, &st);
	const struct pmm_replay_result *res = pmm_replay_result(r);
	static const char *const phases[] = { "00_boot_done", "01_fork", "02_tmpfs_small_files",
					      "03_tmpfs_big_file", "04_anon_4x32M" };

	(void)state;
	assert_accounted(res);
	assert_counts_match_parser(res, &st, !max);
	if (!max) {
		/* data/README.md */
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC], 108753);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE], 83421);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE_BATCHED], 73234);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED], 79020);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_PCPU_DRAIN], 51537);
		assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG], 23);
		assert_int_equal(res->nr_phases, 5);
		for (int i = 0; i < 5; i++)
			assert_string_equal(res->phases[i].name, phases[i]);
		assert_int_equal(res->last_ts_ns, 13465711000ull);
	}
	pmm_replay_destroy(r);
	free(path);
}

/* ------------------------------------------------------------ the shipped file */

/* Two replays of the same events made the same decisions, to the last counter. */
static void assert_same_result(const char *what, const struct pmm_replay_result *a,
			       const struct pmm_replay_result *b)
{
	/* Every counter before the timings is a uint64_t (events .. last_ts_ns). */
	const uint64_t *wa = (const uint64_t *)(const void *)a, *wb = (const uint64_t *)(const void *)b;
	size_t words = offsetof(struct pmm_replay_result, elapsed_s) / sizeof(uint64_t);

	for (size_t i = 0; i < words; i++)
		if (wa[i] != wb[i])
			fail_msg("%s: result counter %zu (of %zu): %llu vs %llu", what, i, words,
				 (unsigned long long)wa[i], (unsigned long long)wb[i]);
	assert_int_equal(a->stop, b->stop);
	assert_int_equal(a->validate, b->validate);
	assert_int_equal(a->sample_every, b->sample_every);
	assert_int_equal(a->nr_samples, b->nr_samples);
	assert_memory_equal(a->samples, b->samples, a->nr_samples * sizeof(*a->samples));
	assert_int_equal(a->nr_phases, b->nr_phases);
	for (size_t i = 0; i < a->nr_phases; i++) {
		const struct pmm_replay_phase *pa = &a->phases[i], *pb = &b->phases[i];

		assert_string_equal(pa->name, pb->name);
		assert_int_equal(pa->event, pb->event);
		assert_int_equal(pa->ts_ns, pb->ts_ns);
		assert_int_equal(pa->nr_zones, pb->nr_zones);
		assert_memory_equal(pa->zones, pb->zones, pa->nr_zones * sizeof(*pa->zones));
	}
}

/*
 * The shipped .zst is, byte for byte, the first 396 005 lines of the
 * capture it was cut from (data/README.md).  Same text, same replay: that
 * its replay from the file equals one from memory is
 * test_shipped_slice_codecs' part.
 */
static void test_shipped_slice_is_the_capture(void **state)
{
	char *capture = pmm_test_shared("a-1g-1node-mixed/trace.txt.xz");
	char *shipped = pmm_test_source_path(SLICE);
	size_t clen, slen, cut = 0;
	char *ctext = pmm_test_read_file(capture, &clen);
	char *stext = pmm_test_read_file(shipped, &slen);

	(void)state;
	for (unsigned long lines = 0; lines < 396005 && cut < clen; cut++)
		if (ctext[cut] == '\n')
			lines++;
	pmm_test_assert_text_eq("shipped slice vs the capture's first 396005 lines", ctext, cut, stext,
				slen);
	free(ctext);
	free(stext);
	free(capture);
	free(shipped);
}

/*
 * The same text read as zstd (the shipped file), as xz (what shipped
 * before), as a plain file and from memory: every event, the same replay.
 */
static void test_shipped_slice_codecs(void **state)
{
	char *shipped = pmm_test_source_path(SLICE);
	uint64_t max = sanitizer() ? SAMPLE_EVENTS : 0;
	struct pmm_replay_opts o = { .max_events = max };
	size_t len, xz_len = 0, xz_cap;
	char *text = pmm_test_read_file(shipped, &len), *xz_path, *plain_path;
	uint8_t *xz;
	struct pmm_trace_stats st_zst, st_xz, st_plain;
	struct pmm_replay *rz, *rx, *rp, *rm;

	(void)state;
	xz_cap = lzma_stream_buffer_bound(len);
	xz = malloc(xz_cap);
	assert_non_null(xz);
	assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, len,
						 xz, &xz_len, xz_cap),
			 LZMA_OK);
	xz_path = pmm_test_write_tmp("replay-slice.txt.xz", xz, xz_len);
	plain_path = pmm_test_write_tmp("replay-slice.txt", text, len);

	rz = replay_path(shipped, guest_config, max, &st_zst);
	rx = replay_path(xz_path, guest_config, max, &st_xz);
	rp = replay_path(plain_path, guest_config, max, &st_plain);
	rm = replay_mem("memory", text, len, guest_config, &o);
	if (!max) {
		/* Every event of the slice (data/README.md), none lost on the way. */
		assert_int_equal(pmm_replay_result(rz)->events, 395993);
		assert_int_equal(st_zst.bytes, len);
		assert_int_equal(st_zst.lines, 396005);
	}
	assert_memory_equal(&st_zst, &st_xz, sizeof(st_zst));
	assert_memory_equal(&st_zst, &st_plain, sizeof(st_zst));
	assert_same_result("zstd vs xz", pmm_replay_result(rz), pmm_replay_result(rx));
	assert_same_result("zstd vs plain file", pmm_replay_result(rz), pmm_replay_result(rp));
	assert_same_result("zstd vs memory", pmm_replay_result(rz), pmm_replay_result(rm));
	assert_same_free_state(pmm_replay_machine(rz), pmm_replay_machine(rx));
	assert_same_free_state(pmm_replay_machine(rz), pmm_replay_machine(rp));
	assert_same_free_state(pmm_replay_machine(rz), pmm_replay_machine(rm));
	pmm_replay_destroy(rz);
	pmm_replay_destroy(rx);
	pmm_replay_destroy(rp);
	pmm_replay_destroy(rm);
	unlink(xz_path);
	unlink(plain_path);
	free(xz_path);
	free(plain_path);
	free(xz);
	free(text);
	free(shipped);
}

/* ------------------------------------------------------------ machine from a capture */

/* pmm_config_from_capture() of @path as text (malloc'd) and its return in *@ret. */
static char *capture_text(const char *path, int *ret, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	*ret = pmm_config_from_capture(path, f, err, errlen);
	fclose(f);
	return text;
}

/*
 * The lines of a /proc/zoneinfo text that a boot decides, in order, into
 * @v (malloc'd copies): zone headers, watermarks and boost, spans,
 * present and managed pages, protection, per-CPU high and batch,
 * start_pfn.
 */
static size_t zone_static_lines(const char *zi, char **v, size_t max)
{
	static const char *const keys[] = { "Node ", "min ", "low ", "high ", "boost ", "spanned ",
					    "present ", "managed ", "protection:", "high:", "batch:",
					    "start_pfn:" };
	size_t n = 0;

	for (const char *p = zi; p && *p && n < max; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		const char *q = p + strspn(p, " ");
		size_t len = strcspn(p, "\n");

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strncmp(q, keys[k], strlen(keys[k])) == 0) {
				v[n++] = strndup(p, len);
				break;
			}
	}
	return n;
}

/* As capture_text(), for a capture that must work: any error fails the test. */
static char *capture_ok(const char *path)
{
	char err[512];
	int ret;
	char *text = capture_text(path, &ret, err, sizeof(err));

	if (ret)
		fail_msg("pmm_config_from_capture(%s): %d %s", path, ret, err);
	return text;
}

/* The numbers of a "Memory: AK/TK available (... RK reserved, ...)" line in @text, or false. */
static bool memory_line(const char *text, unsigned long *avail, unsigned long *total,
			unsigned long *reserved)
{
	const char *p = strstr(text, "Memory: "), *r;

	return p && sscanf(p, "Memory: %luK/%luK available", avail, total) == 2 &&
	       (r = strstr(p, "K bss, ")) && sscanf(r, "K bss, %luK reserved", reserved) == 1;
}

/*
 * pmm's "Memory:" line against the kernel's in @dmesg (a path): the same
 * memory and the same reserved part (the SMP alternatives still held,
 * deferred memory counted), and as much available as the kernel had plus
 * what the kernel itself allocated before it printed the line (x86's
 * vmalloc page tables, 64 pages and more): pmm runs no kernel.  And the
 * deferred hand-over is logged for the nodes the kernel logs it for.
 */
static void assert_memory_line_is_kernels(const struct pmm_test_log *log, const char *dmesg)
{
	size_t len;
	char *k = pmm_test_read_file(dmesg, &len), *line, *save = NULL;
	unsigned long ka, kt, kr, pa, pt, pr;

	assert_true(memory_line(k, &ka, &kt, &kr));
	if (!memory_line(log->buf, &pa, &pt, &pr))
		fail_msg("no Memory: line in pmm's boot log:\n%s", log->buf);
	if (pt != kt || pr != kr || pa < ka || pa - ka > 2048)
		fail_msg("%s: kernel Memory: %luK/%luK, %luK reserved; pmm %luK/%luK, %luK reserved",
			 dmesg, ka, kt, kr, pa, pt, pr);
	for (line = strtok_r(k, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *d = strstr(line, "] node "), *in = strstr(line, " deferred pages initialised in ");
		char want[64];

		if (!d || !in)
			continue;
		snprintf(want, sizeof(want), "%.*s", (int)(in - d - 2 + 31), d + 2);
		if (!pmm_test_log_has(log, want))
			fail_msg("%s: kernel \"%s\", not in pmm's boot log", dmesg, line);
	}
	free(k);
}

/*
 * Booted on @cfg, the machine derived from capture @dir, pmm prints each
 * line of the capture's boot log about the memory layout and the
 * zonelists (zone and node ranges, memoryless nodes, holes, fallback
 * orders, "Built N zonelists ... Total pages", the policy zone), and its
 * zoneinfo has the lines boot decides (zone_static_lines()) exactly as the
 * kernel's @zoneinfo (a path) has them.
 */
static void assert_machine_is_capture(const char *dir, const struct pmm_config *cfg,
				      const char *zoneinfo)
{
	static const char *const wanted[] = {
		"Zone ranges:", "  DMA ", "  DMA32 ", "  Normal ", "  Device ",
		"Movable zone start for each node", "  Node ", "Early memory node ranges", "  node ",
		"Initmem setup node ", "Initializing node ", "On node ", "Fallback order for Node ",
		"Built ", "Policy zone: ", "Freeing SMP alternatives memory: ", "Freeing initrd memory: ",
		"Freeing unused decrypted memory: ", "Freeing unused kernel image (",
		"HugeTLB: registered 1.00 GiB ", "HugeTLB: 16380 KiB vmemmap can be freed for a 1.00 GiB",
		"HugeTLB: allocating ",
	};
	struct pmm_test_log log = { 0 };
	struct pmm_config c = *cfg;
	char *zk, *zp = NULL, *vk[512], *vp[512], dmesg[1024], why[256];
	struct pmm *m;
	size_t zlen, nk, np;
	FILE *zf = open_memstream(&zp, &zlen);

	c.log = pmm_test_log_sink;
	c.log_ctx = &log;
	assert_int_equal(pmm_create(&c, &m), 0);
	if (pmm_validate(m, why, sizeof(why)))
		fail_msg("%s: %s", dir, why);
	snprintf(dmesg, sizeof(dmesg), "%s/dmesg.txt.xz", dir);
	assert_true(pmm_test_log_has_kernel_lines(&log, dmesg, wanted,
						  sizeof(wanted) / sizeof(wanted[0])) >= 15);
	assert_memory_line_is_kernels(&log, dmesg);
	pmm_test_log_reset(&log);
	assert_int_equal(pmm_report_zoneinfo(m, zf), 0);
	fclose(zf);
	zk = pmm_test_read_file(zoneinfo, &zlen);
	nk = zone_static_lines(zk, vk, 512);
	np = zone_static_lines(zp, vp, 512);
	assert_true(nk >= 50);
	assert_int_equal(np, nk);
	for (size_t i = 0; i < nk; i++) {
		if (strcmp(vk[i], vp[i]) != 0)
			fail_msg("%s: zoneinfo line %zu: kernel \"%s\", derived machine \"%s\"", dir, i,
				 vk[i], vp[i]);
		free(vk[i]);
		free(vp[i]);
	}
	pmm_destroy(m);
	free(zk);
	free(zp);
}

/*
 * Booted, the machine @cfg derived from a capture with kpageflags holds
 * exactly the frames the kernel's /proc/kpageflags (@kpf, a path) marks
 * PG_reserved at the end of the capture, holes included: right after boot
 * nothing is allocated, so a frame with a reference is a reserved one.
 * Where the kernel has no page online (KPF_NOPAGE: a 2 MiB subsection
 * without memory inside a section with some, e.g. a memmap= hole), its
 * memmap holds reserved frames all the same, and pmm's must too.
 */
static void assert_reserved_is_kpageflags(const struct pmm_config *cfg, const char *kpf)
{
	size_t len;
	uint64_t *flags = (uint64_t *)pmm_test_read_file(kpf, &len);
	struct pmm_test_log log = { 0 };
	struct pmm_config c = *cfg;
	unsigned long pfn, checked = 0, reserved = 0;
	struct pmm *m;

	c.log = pmm_test_log_sink;
	c.log_ctx = &log;
	assert_int_equal(pmm_create(&c, &m), 0);
	for (pfn = 0; pfn < len / 8; pfn++) {
		struct pmm_page *page = pmm_pfn_to_page(m, pfn);
		bool kernel = flags[pfn] & (1ull << 32); /* KPF_RESERVED */

		if (!page)
			continue;
		if (flags[pfn] & (1ull << 20)) /* KPF_NOPAGE */
			kernel = true;
		if (kernel != (pmm_page_count(page) != 0))
			fail_msg("%s: pfn %#lx is %sreserved in the kernel, not in pmm", kpf, pfn,
				 kernel ? "" : "not ");
		checked++;
		reserved += kernel;
	}
	assert_true(checked > 32768 && reserved > 0);
	/*
	 * The 1 GiB huge pages are where the kernel's are: its KPF_HUGE heads
	 * of 262144-frame compounds, pmm's 1 GiB pool (what is in it at the
	 * end: a capture's workload does not use them).
	 */
	{
		unsigned long kernel[64], nk = 0, nr = 0;
		struct pmm_page *got;

		for (pfn = 0; pfn < len / 8 && nk < 64; pfn++)
			if ((flags[pfn] & (1ull << 17)) && (flags[pfn] & (1ull << 15)) && /* HUGE, HEAD */
			    pfn + (1ul << 18) <= len / 8 && (flags[pfn + (1ul << 18) - 1] & (1ull << 16)))
				kernel[nk++] = pfn;
		while ((got = pmm_hugetlb_alloc(m, PMM_HUGETLB_ORDER_1G, PMM_NUMA_NO_NODE))) {
			unsigned long p = pmm_page_to_pfn(m, got), i;

			for (i = 0; i < nk && kernel[i] != p; i++)
				;
			if (i == nk)
				fail_msg("%s: pmm has a 1 GiB huge page at pfn %#lx, the kernel does not", kpf, p);
			nr++;
		}
		if (nr != nk)
			fail_msg("%s: the kernel has %lu 1 GiB huge pages, pmm %lu", kpf, nk, nr);
	}
	pmm_destroy(m);
	pmm_test_log_reset(&log);
	free(flags);
}

/*
 * The real capture's boot log, iomem.txt, sysctl_vm/ and zoneinfo.txt
 * give the machine data/kmem-6.1-machine.conf describes: the same config;
 * booted, every line of its zoneinfo that boot decides (watermarks, spans,
 * present and managed pages, protection, per-CPU high and batch) is the
 * kernel's; and the shipped slice replays on it as on the file's machine.
 */
static void test_machine_from_real_capture(void **state)
{
	char *dir = pmm_test_shared("a-1g-1node-mixed/dmesg.txt.xz");
	char *conf = pmm_test_source_path("data/kmem-6.1-machine.conf");
	char *shipped = pmm_test_source_path(SLICE);
	struct pmm_replay_opts o = { .max_events = sanitizer() ? SAMPLE_EVENTS : 150000 };
	struct pmm_config derived, by_hand;
	struct pmm_replay *rd, *rh;
	char err[512], *text;
	size_t len;
	char *trace;

	(void)state;
	*strrchr(dir, '/') = '\0';
	text = capture_ok(dir);
	assert_non_null(strstr(text, "node=0:0x1000-0x9efff            # dmesg.txt.xz:48\n"));
	assert_non_null(strstr(text, "cpus=2                           # dmesg.txt.xz:128: smp: "
				     "Brought up 1 node, 2 CPUs\n"));
	assert_non_null(strstr(text, "late_free=0x3fec3000-0x3ffcffff:initrd # Freeing initrd memory\n"));
	assert_non_null(strstr(text, "\ndeferred_struct_page_init=on     # dmesg.txt.xz:131: node 0 "
				     "deferred pages initialised in 20ms\n"));
	assert_non_null(strstr(text, "\nreserve=0x3ed80000-0x3fdfffff    # kpageflags.bin.xz: reserved "
				     "at the end\n"));
	assert_null(strstr(text, "# zoneinfo.txt: Node 0")); /* nothing left to place */
	config_from(&derived, text);
	pmm_config_default(&by_hand);
	assert_int_equal(pmm_config_load(&by_hand, conf, err, sizeof(err)), 0);
	assert_int_equal(derived.nr_ranges, by_hand.nr_ranges);
	assert_memory_equal(derived.ranges, by_hand.ranges, by_hand.nr_ranges * sizeof(by_hand.ranges[0]));
	assert_int_equal(derived.nr_reserved, by_hand.nr_reserved);
	assert_memory_equal(derived.reserved, by_hand.reserved,
			    by_hand.nr_reserved * sizeof(by_hand.reserved[0]));
	assert_int_equal(derived.nr_late_free, by_hand.nr_late_free);
	assert_memory_equal(derived.late_free, by_hand.late_free,
			    by_hand.nr_late_free * sizeof(by_hand.late_free[0]));
	assert_memory_equal(derived.late_free_what, by_hand.late_free_what, by_hand.nr_late_free);
	assert_true(derived.deferred_struct_page_init && by_hand.deferred_struct_page_init);
	assert_true(derived.init_on_alloc && by_hand.init_on_alloc && !derived.init_on_free);
	assert_int_equal(derived.nr_cpus, by_hand.nr_cpus);
	assert_int_equal(derived.min_free_kbytes, by_hand.min_free_kbytes);
	assert_int_equal(derived.thp, PMM_THP_ALWAYS);
	assert_int_equal(by_hand.thp, PMM_THP_ALWAYS);
	assert_non_null(strstr(text, "# sysctl_vm/min_free_kbytes: 45056 is khugepaged's "));
	assert_int_equal(derived.watermark_scale_factor, by_hand.watermark_scale_factor);
	assert_memory_equal(derived.lowmem_reserve_ratio, by_hand.lowmem_reserve_ratio,
			    sizeof(by_hand.lowmem_reserve_ratio));

	{
		char *zpath = pmm_test_shared("a-1g-1node-mixed/zoneinfo.txt");

		char *kpf = pmm_test_shared("a-1g-1node-mixed/kpageflags.bin.xz");

		assert_machine_is_capture(dir, &derived, zpath);
		assert_reserved_is_kpageflags(&derived, kpf);
		free(kpf);
		free(zpath);
	}
	{
		/*
		 * Without kpageflags: the image's parts where iomem.txt's gaps
		 * put them, and what else the kernel reserved at the top of
		 * each zone, so that zoneinfo still comes out the kernel's.
		 */
		static const char *const files[] = { "dmesg.txt.xz", "iomem.txt", "zoneinfo.txt",
						      "sysctl_vm", "thp" };
		char tmpl[] = "/tmp/pmm-nokpf-XXXXXX", from[1024], to[1024], *ztext;
		const char *tmp = mkdtemp(tmpl);
		struct pmm_config nokpf;

		assert_non_null(tmp);
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(from, sizeof(from), "%s/%s", dir, files[i]);
			snprintf(to, sizeof(to), "%s/%s", tmp, files[i]);
			assert_int_equal(symlink(from, to), 0);
		}
		ztext = capture_ok(tmp);
		assert_non_null(strstr(ztext, "\nreserve=0x3ec15000-0x3fec2fff    # zoneinfo.txt: Node 0, "
					      "zone DMA32 managed 248420\n"));
		config_from(&nokpf, ztext);
		snprintf(from, sizeof(from), "%s/zoneinfo.txt", dir);
		assert_machine_is_capture(tmp, &nokpf, from);
		free(ztext);

		/*
		 * A kpageflags with one frame more reserved than zoneinfo's
		 * managed counts leave (a driver's, after boot): not used.
		 */
		{
			char *kpf = pmm_test_shared("a-1g-1node-mixed/kpageflags.bin.xz");
			size_t klen;
			uint64_t *flags = (uint64_t *)pmm_test_read_file(kpf, &klen);
			FILE *f;

			assert_true(klen / 8 > 0x20000 && !(flags[0x20000] & (1ull << 32)));
			flags[0x20000] |= 1ull << 32;
			snprintf(to, sizeof(to), "%s/kpageflags.bin", tmp);
			f = fopen(to, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(flags, 1, klen, f), klen);
			fclose(f);
			ztext = capture_ok(tmp);
			assert_non_null(strstr(ztext, "\n# kpageflags: more frames reserved at the end than "
						      "zoneinfo.txt's managed counts leave: not used\n"));
			config_from(&nokpf, ztext);
			assert_machine_is_capture(tmp, &nokpf, from);
			unlink(to);
			free(flags);
			free(kpf);
		}
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(to, sizeof(to), "%s/%s", tmp, files[i]);
			unlink(to);
		}
		rmdir(tmp);
		free(ztext);
	}
	trace = pmm_test_read_file(shipped, &len);
	by_hand.log = pmm_test_log_sink; /* as config_from() gave derived */
	by_hand.log_ctx = NULL;
	assert_int_equal(pmm_replay_create(&rd, NULL, &derived, &o), 0);
	assert_int_equal(pmm_replay_create(&rh, NULL, &by_hand, &o), 0);
	{
		struct pmm_trace_parser *pd, *ph;

		assert_int_equal(pmm_trace_open_mem(&pd, "slice", trace, len, NULL), 0);
		assert_int_equal(pmm_trace_open_mem(&ph, "slice", trace, len, NULL), 0);
		assert_int_equal(pmm_replay_parser(rd, pd, "slice"), 0);
		assert_int_equal(pmm_replay_parser(rh, ph, "slice"), 0);
		pmm_trace_close(pd);
		pmm_trace_close(ph);
	}
	assert_int_equal(pmm_replay_finish(rd), 0);
	assert_int_equal(pmm_replay_finish(rh), 0);
	assert_same_result("derived vs hand-written machine", pmm_replay_result(rh),
			   pmm_replay_result(rd));
	assert_same_free_state(pmm_replay_machine(rh), pmm_replay_machine(rd));
	pmm_replay_destroy(rd);
	pmm_replay_destroy(rh);
	free(trace);
	free(text);
	free(shipped);
	free(conf);
	free(dir);
}

/*
 * assert_machine_is_capture() on the machine derived from
 * tests/data/captures/@name, against its zoneinfo-boot.txt; returns the
 * derived config text.
 */
static char *assert_shipped_capture(const char *name)
{
	char rel[256], *dir, *zi, *text;
	struct pmm_config cfg;

	snprintf(rel, sizeof(rel), "tests/data/captures/%s", name);
	dir = pmm_test_source_path(rel);
	snprintf(rel, sizeof(rel), "tests/data/captures/%s/zoneinfo-boot.txt", name);
	zi = pmm_test_source_path(rel);
	text = capture_ok(dir);
	config_from(&cfg, text);
	assert_machine_is_capture(dir, &cfg, zi);
	free(zi);
	snprintf(rel, sizeof(rel), "tests/data/captures/%s/kpageflags.bin.xz", name);
	zi = pmm_test_source_path(rel);
	assert_reserved_is_kpageflags(&cfg, zi);
	free(zi);
	free(dir);
	return text;
}

/*
 * assert_shipped_capture() of @name, and its config has each of @want
 * (NULL-terminated; "!x": does not have x).
 */
static void assert_capture_says(const char *name, const char *const *want)
{
	char *text = assert_shipped_capture(name);

	for (; *want; want++) {
		bool absent = **want == '!';

		if (absent != !strstr(text, *want + absent))
			fail_msg("%s: %s '%s' in\n%s", name, absent ? "unwanted" : "no", *want + absent, text);
	}
	free(text);
}

#define SAYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * Captures of Linux 6.1 in QEMU (tests/data/captures and its README;
 * Debian's kernel, and one built with page_owner from Debian's 6.1
 * source): two nodes with memory above 4 GiB and the kernel image there; a
 * ZONE_MOVABLE from movablecore=; four nodes with CPUs in blocks, a
 * memoryless node with a CPU and a node with no CPU; THP never with
 * shuffling and init_on_free; and the machines below.  Every zoneinfo line
 * boot decides is the kernel's on each, the memoryless node's empty zones
 * included, and so is every boot log line about the layout.  What it takes: each CPU on its node, the SMP
 * alternatives freed before the watermarks are set (not late), the
 * Movable zone's reservations matched from where the boot log says it
 * starts, and khugepaged's min_free_kbytes (raised with THP on, computed
 * again with THP never).
 */
static void test_machine_from_shipped_captures(void **state)
{
	(void)state;
	/* QEMU's SLIT (10 and 20) gives no node_distance=; THP's min_free_kbytes is computed. */
	assert_capture_says("d-6g-4node-blocks",
			    SAYS("\nnode_cpus=0:0-1 ", "\nnode_cpus=1:2 ", "\nnode_cpus=2:3 ", "!node_cpus=3",
				 "\ntransparent_hugepage=always ", "!\nmin_free_kbytes=", "!node_distance="));
	assert_capture_says("e-2g-shuffle-thpnever",
			    SAYS("\ntransparent_hugepage=never ", "\npage_alloc.shuffle=1 ", "\ninit_on_free=1 "));
	assert_capture_says("b-4g-2node-mixed",
			    SAYS("\nnode_cpus=1:1 ",
				 "\nreserve=0x119600000-0x11c9fffff  # iomem.txt: Kernel code .. Kernel bss\n",
				 ":smp_alternatives # Freeing SMP alternatives memory: 36K\n"));
	assert_capture_says("c-3g-q35-movable",
			    /* memblock's top-down allocations, at the top of Movable. */
			    SAYS("\nmovablecore=512M ",
				 "\nreserve=0x13ed03000-0x13fffffff  # kpageflags.bin.xz: reserved at the end\n"));
	/*
	 * mem=1400M cut the RAM below where the loader put the initrd, so the
	 * kernel moved it; memmap=64M$0x30000000 made a hole of whole
	 * subsections inside a section (kpageflags: no page there); one of
	 * the four CPUs did not come up.
	 */
	assert_capture_says("i-1536m-4cpu-memmap",
			    SAYS("\nnode=0:0x100000-0x2fffffff ", "\nnode=0:0x34000000-0x577fffff ",
				 "\nreserve=0x56410000-0x565fffff ", "\nlate_free=0x56410000-0x565fffff:initrd ",
				 "\ncpus=3 "));
	/*
	 * crashkernel=192M (a memblock reservation at 1840 MiB that kpageflags
	 * shows reserved) and 64 boot-time 2 MiB huge pages (taken from the
	 * buddy after boot: they change no boot-decided line); the 1 GiB size
	 * was refused by this CPU model.
	 */
	assert_capture_says("j-3g-q35-hugetlb-crash", SAYS("\nreserve=0x6f000000-0x7effffff "));
	/*
	 * Two nodes of 2 GiB with mem=3G, which cuts the second and drops the
	 * RAM above 4 GiB; memmap=256M!1G, a persistent-memory range (no
	 * memmap) inside the first; nokaslr.
	 */
	assert_capture_says("o-4g-2node-mem-pmem", SAYS("\nnode=0:0x50000000-0x7fffffff ",
							 "\nnode=1:0x80000000-0xbffdcfff "));
	/* Two nodes in QEMU's tables and numa=off: one node ("Faking a node"). */
	assert_capture_says("m-2g-2node-numaoff", SAYS("!node=1:", "!node_cpus="));

	/*
	 * A 6.1.192 kernel built from defconfig with page_owner: a different
	 * image, SMP alternatives and reservations; two nodes, and q35; eight
	 * CPUs on nodes of 2 and 6 GiB; 16 GiB on one node with four CPUs;
	 * three nodes of 1, 3 and 1 GiB, the last without CPUs, with
	 * movablecore=1G.
	 */
	assert_capture_says("f-2g-2node-pageowner", SAYS("\nnode_cpus=1:1 "));
	assert_capture_says("g-3g-1node-pageowner", SAYS("!node_cpus="));
	assert_capture_says("h-8g-8cpu-2node-pageowner", SAYS("\nnode_cpus=0:0-2 ", "\nnode_cpus=1:3-7 "));
	assert_capture_says("k-16g-4cpu-pageowner", SAYS("\ncpus=4 "));
	assert_capture_says("l-5g-3node-movable-pageowner", SAYS("\nmovablecore=1G ", "!node_cpus=2"));
	/*
	 * One node in QEMU's tables made three by numa=fake=3: CPU c is on
	 * node c (round-robin, the boot CPU on node 0), but each node's
	 * cpulist has all three, and the kernel splits each zone's per-CPU
	 * high over those three (node_cpumask=).
	 */
	assert_capture_says("n-3g-numafake-pageowner",
			    SAYS("\nnode_cpus=0:0 ", "\nnode_cpus=2:2 ", "\nnode_cpumask=1:0-2 "));
	/*
	 * Three nodes of 1 GiB at SLIT distances 10/15/30, the last without
	 * CPUs; shuffling, init_on_free and THP madvise.
	 */
	/* 1 GiB pages from memblock: two below the kernel's memmap; none where no GiB is free. */
	assert_capture_says("q-8g-gigantic-pageowner", SAYS("\nhugepagesz=1G ", "\nhugepages=2 "));
	assert_capture_says("q-3g-gigantic-pageowner", SAYS("\nhugepagesz=1G ", "\nhugepages=2 "));
	/* Per node: one on node 0, and one of the two node 1 asked for (no other free GiB). */
	assert_capture_says("t-6g-2node-gigantic-pernode-pageowner",
			    SAYS("\nhugepagesz=1G ", "\nhugepages=0:1,1:2 "));
	/* A DIMM present at boot that ACPI adds after it: left offline, and onlined. */
	assert_capture_says("v-2g-dimm", SAYS("\nhotplug=0:0x100000000-0x13fffffff "));
	assert_capture_says("w-2g-dimm-online", SAYS("\nhotplug=0:0x100000000-0x13fffffff:online "));
	/* kernelcore= spread over two nodes; a small one-CPU machine. */
	assert_capture_says("r-6g-2node-kernelcore-pageowner", SAYS("\nkernelcore=2G "));
	assert_capture_says("s-512m-1cpu", SAYS("\ncpus=1 "));
	assert_capture_says("p-3g-3node-dist-shuffle-pageowner",
			    SAYS("\nnode_distance=0:10,15,30 ", "\npage_alloc.shuffle=1 ",
				 "\ntransparent_hugepage=madvise "));
}

static void put_file(const char *dir, const char *name, const char *text);
static void rm_file(const char *dir, const char *name);

/*
 * The token lines of config @text, without their sources and without the
 * comment lines, less those starting with one of @skip (NULL-terminated).
 */
static char *config_tokens(const char *text, const char *const *skip)
{
	char *out = NULL, *copy = strdup(text), *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t n = strcspn(l, " #");
		bool skipped = n == 0;

		for (const char *const *k = skip; !skipped && *k; k++)
			skipped = strncmp(l, *k, strlen(*k)) == 0;
		if (!skipped)
			fprintf(f, "%.*s\n", (int)n, l);
	}
	fclose(f);
	free(copy);
	return out;
}

/* A directory of links to each file of @dir but its kpageflags (malloc'd path). */
static char *capture_without_kpageflags(const char *dir)
{
	char tmpl[] = "/tmp/pmm-nokpf-XXXXXX", from[1024], to[1024];
	const char *tmp = mkdtemp(tmpl);
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(tmp);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "kpageflags", 10) == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", tmp, e->d_name);
		assert_int_equal(symlink(from, to), 0);
	}
	closedir(d);
	return strdup(tmp);
}

static void remove_links(char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	char path[1024];

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(tmp);
	free(tmp);
}

/*
 * tests/data/captures/@edited is the capture @orig with the lines another
 * kernel prints differently edited to that kernel's (its README.md says
 * which).  The machine derived from it is @orig's: the same config tokens
 * (but those starting with one of @skip), with kpageflags and without;
 * booted, every zoneinfo line boot decides is the kernel's and so is every
 * reserved frame.  Its config has each of @want ("!x": not x).
 */
static void assert_same_machine_as(const char *edited, const char *orig, const char *const *skip,
				   const char *const *want)
{
	char rel[256], *edir, *odir, *et, *ot, *ek, *ok, *zi, *kpf;
	struct pmm_config cfg;

	snprintf(rel, sizeof(rel), "tests/data/captures/%s", edited);
	edir = pmm_test_source_path(rel);
	snprintf(rel, sizeof(rel), "tests/data/captures/%s", orig);
	odir = pmm_test_source_path(rel);
	et = capture_ok(edir);
	ot = capture_ok(odir);
	for (const char *const *w = want; *w; w++) {
		bool absent = **w == '!';

		if (absent != !strstr(et, *w + absent))
			fail_msg("%s: %s '%s' in\n%s", edited, absent ? "unwanted" : "no", *w + absent, et);
	}
	ek = config_tokens(et, skip);
	ok = config_tokens(ot, skip);
	if (strcmp(ek, ok) != 0)
		fail_msg("%s: config tokens\n%s\nnot %s's\n%s", edited, ek, orig, ok);
	config_from(&cfg, et);
	snprintf(rel, sizeof(rel), "tests/data/captures/%s/zoneinfo-boot.txt", orig);
	zi = pmm_test_source_path(rel);
	assert_machine_is_capture(edir, &cfg, zi);
	snprintf(rel, sizeof(rel), "tests/data/captures/%s/kpageflags.bin.xz", orig);
	kpf = pmm_test_source_path(rel);
	assert_reserved_is_kpageflags(&cfg, kpf);
	free(kpf);
	free(zi);
	free(ek);
	free(ok);
	free(et);
	free(ot);
	{
		char *en = capture_without_kpageflags(edir), *on = capture_without_kpageflags(odir);

		et = capture_ok(en);
		ot = capture_ok(on);
		ek = config_tokens(et, skip);
		ok = config_tokens(ot, skip);
		if (strcmp(ek, ok) != 0)
			fail_msg("%s without kpageflags: config tokens\n%s\nnot %s's\n%s", edited, ek, orig,
				 ok);
		free(ek);
		free(ok);
		free(et);
		free(ot);
		remove_links(en);
		remove_links(on);
	}
	free(edir);
	free(odir);
}

/*
 * Captures of Linux 6.1 edited to the boot log lines and files of other
 * kernels (tests/data/captures/x-*, each README.md): the same machine.
 * Linux 5.4 names none of the image's frees ("Freeing unused kernel image
 * memory" three times: initmem, then after "Write protecting ..." the
 * text/rodata and rodata/data gaps) and its iomem.txt has no "Kernel
 * rodata" ("Kernel data" starts where code ends): the frees are named by
 * their order and rodata placed by "Write protecting"'s size.  Its
 * sysctl_vm/ has percpu_pagelist_fraction (until 5.13): per-CPU lists
 * sized otherwise than pmm sizes them, which the config says.  Linux
 * 6.12 prints SRAT's CPU lines at debug level, and 6.9+ says "CPU topo:
 * Allowing N present CPUs plus M hotplug CPUs".
 */
static void test_machine_from_other_kernels(void **state)
{
	(void)state;
	assert_same_machine_as("x-s-512m-1cpu-as-5.4", "s-512m-1cpu",
			       SAYS("percpu_pagelist_high_fraction="),
			       SAYS("\n# iomem.txt: no \"Kernel rodata\" (Linux 5.4 and older): rodata taken "
				    "as 0x11800000-0x120e6fff and data from 0x12200000",
				    ":text_rodata_gap ", ":rodata_data_gap ", ":initmem ",
				    "\n# sysctl_vm/percpu_pagelist_fraction: 0: a kernel of 5.13 or older"));
	assert_same_machine_as("x-d-6g-4node-blocks-as-6.12", "d-6g-4node-blocks", SAYS(NULL),
			       SAYS("\ncpus=4 ", "\nnode_cpus=0:0-1 ", "!# boot log: no \"SRAT"));
	{
		/*
		 * The boot log alone: Linux 6.12+ has no "SRAT: PXM ... -> APIC"
		 * line for the boot CPU; it is on the lowest node with memory,
		 * which the config says it assumed.
		 */
		char *log = pmm_test_source_path("tests/data/captures/x-d-6g-4node-blocks-as-6.12/"
						 "dmesg.txt.xz");
		char *text = capture_ok(log);

		for (const char *const *w = SAYS("\nnode_cpus=0:0-1 ", "\nnode_cpus=1:2 ",
						 "\nnode_cpus=2:3 ",
						 "\n# boot log: no \"SRAT: PXM ... -> APIC 0x00\" line "
						 "(Linux 6.12+ does not print it) and no nodes/nodeN/cpulist: "
						 "the boot CPU taken to be on node 0, the lowest with memory\n");
		     *w; w++)
			if (!strstr(text, *w))
				fail_msg("%s: no '%s' in\n%s", log, *w, text);
		free(text);
		free(log);
	}
	{
		/*
		 * The boot log alone, where printk split the ".... node  #1, CPUs:"
		 * list: a warning printed while CPU 3 came up left "#4" .. "#7"
		 * on lines of their own, still node 1's (capture h).
		 */
		char *log = pmm_test_source_path("tests/data/captures/h-8g-8cpu-2node-pageowner/"
						 "dmesg.txt.xz");
		char *text = capture_ok(log);

		for (const char *const *w = SAYS("\nnode_cpus=0:0-2 ", "\nnode_cpus=1:3-7 "); *w; w++)
			if (!strstr(text, *w))
				fail_msg("%s: no '%s' in\n%s", log, *w, text);
		free(text);
		free(log);
	}
	{
		/* Linux 6.9+'s "CPU topo: Allowing N present CPUs plus M hotplug CPUs". */
		char tmpl[] = "/tmp/pmm-capture-XXXXXX", *text;
		const char *dir = mkdtemp(tmpl);

		assert_non_null(dir);
		put_file(dir, "dmesg.txt",
			 "[    0.000000] Early memory node ranges\n"
			 "[    0.000000]   node   0: [mem 0x0000000000001000-0x000000003fffffff]\n"
			 "[    0.030174] CPU topo: Allowing 3 present CPUs plus 5 hotplug CPUs\n");
		text = capture_ok(dir);
		if (!strstr(text, "\ncpus=3                           # dmesg.txt:3: CPU topo: Allowing"))
			fail_msg("no cpus=3 in\n%s", text);
		free(text);
		rm_file(dir, "dmesg.txt");
		rmdir(dir);
	}
}


/*
 * A ".... node #N," line that is not the CPU list, on a line whose
 * "Linux version 9999.1" had just been scanned: the CPU list's offset
 * used to be the version's number, read far past the line (found by
 * fuzz_config_capture; ASan saw it).  Now the line is passed over.  And
 * an SRAT line putting the boot CPU on node 138 is refused, as a CPU
 * list's node number out of range is (it was kept, and a shift by it
 * overflowed: UBSan, the fuzz smoke run).
 */
static void test_machine_from_odd_node_line(void **state)
{
	static const char dmesg[] =
		"[    0.000000] Linux version 9999.1 (gcc) .... node  #0,O CPUs:   #1\n"
		"[    0.000000] Early memory node ranges\n"
		"[    0.000000]   node   0: [mem 0x0000000000001000-0x000000003fffffff]\n";
	static const char version[] =
		"[    0.000000] Linux version 60004000.1 (gcc)\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"[    0.000000] Early memory node ranges\n"
		"[    0.000000]   node   0: [mem 0x0000000000001000-0x000000003fffffff]\n";
	static const char srat[] =
		"[    0.000000]   node   0: [mem 0x0000000000001000-0x000000003fffffff]\n"
		"[    0.071595] SRAT: PXM 0 -> APIC 0x00 -> Node 138\n"
		"[    1.092787] .... node  #1, CPUs:      #1\n";
	char tmpl[] = "/tmp/pmm-capture-XXXXXX", err[512], thp[64], *text;
	const char *dir = mkdtemp(tmpl);
	struct pmm_config cfg;
	int ret;

	(void)state;
	assert_non_null(dir);
	snprintf(thp, sizeof(thp), "%s/thp", dir);
	put_file(dir, "dmesg.txt", dmesg);
	text = capture_ok(dir);
	assert_non_null(strstr(text, "\nnode=0:0x1000-0x3fffffff "));
	assert_null(strstr(text, "node_cpus="));
	free(text);
	/* A version number that overflowed an int when scaled (UBSan, fuzz smoke): not a version. */
	put_file(dir, "dmesg.txt", version);
	text = capture_ok(dir);
	assert_null(strstr(text, "keeps the first 1 MiB"));
	free(text);

	put_file(dir, "dmesg.txt", srat);
	text = capture_text(dir, &ret, err, sizeof(err));
	assert_int_equal(ret, -PMM_EBADMSG);
	assert_non_null(strstr(err, "dmesg.txt:2: bad node number: SRAT: PXM 0 -> APIC 0x00 -> Node 138"));
	free(text);

	/*
	 * A sysfs value of two lines (fuzz_capture_dir): the first is the
	 * value, and no comment of the derived config may spill onto a line
	 * of its own (the config did not parse).
	 */
	put_file(dir, "dmesg.txt", dmesg);
	assert_int_equal(mkdir(thp, 0700), 0);
	put_file(dir, "thp/enabled", "always [madvise] never\n[    1.000000] madvior\n");
	text = capture_ok(dir);
	config_from(&cfg, text);
	assert_int_equal(cfg.thp, PMM_THP_MADVISE);
	free(text);
	put_file(dir, "thp/enabled", "always [madv\nise] never\n");
	text = capture_ok(dir);
	config_from(&cfg, text);
	assert_int_equal(cfg.thp, PMM_THP_NONE);
	free(text);
	rm_file(dir, "thp/enabled");
	rmdir(thp);
	rm_file(dir, "dmesg.txt");
	rmdir(dir);
}

/*
 * pmm_capture_release(): a capture's uname.txt, else its boot log's "Linux
 * version" line, else nothing; a boot log file alone.
 */
static void test_capture_release(void **state)
{
	char tmpl[] = "/tmp/pmm-capture-XXXXXX", rel[64], path[600];
	char *shipped = pmm_test_source_path("tests/data/captures/b-4g-2node-mixed"), *log;
	const char *dir = mkdtemp(tmpl);

	(void)state;
	assert_non_null(dir);
	assert_int_equal(pmm_capture_release(shipped, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.1.0-50-amd64");
	free(shipped);
	/* x-...-as-5.4 has no uname.txt: its boot log says it */
	shipped = pmm_test_source_path("tests/data/captures/x-s-512m-1cpu-as-5.4");
	assert_int_equal(pmm_capture_release(shipped, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.1.0-50-amd64");
	free(shipped);

	assert_int_equal(pmm_capture_release(dir, rel, sizeof(rel)), -PMM_ENOENT);
	assert_string_equal(rel, "");
	put_file(dir, "dmesg.txt", "[    0.000000] Linux version 6.12.15-x (root@h) (gcc 14) #1 SMP\n"
				   "[    0.000000] Command line: console=ttyS0\n");
	assert_int_equal(pmm_capture_release(dir, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.12.15-x");
	snprintf(path, sizeof(path), "%s/dmesg.txt", dir);
	log = path;
	assert_int_equal(pmm_capture_release(log, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.12.15-x");
	/* uname.txt comes first; one that is not uname -a's is passed over */
	put_file(dir, "uname.txt", "Linux box 6.8.0-31-generic #31-Ubuntu SMP x86_64 GNU/Linux\n");
	assert_int_equal(pmm_capture_release(dir, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.8.0-31-generic");
	put_file(dir, "uname.txt", "6.8.0\n");
	assert_int_equal(pmm_capture_release(dir, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.12.15-x");
	/* a release that does not fit is none */
	assert_int_equal(pmm_capture_release(dir, rel, 5), -PMM_ENOENT);
	put_file(dir, "dmesg.txt", "[    0.000000] Command line: console=ttyS0\n");
	assert_int_equal(pmm_capture_release(dir, rel, sizeof(rel)), -PMM_ENOENT);
	assert_int_equal(pmm_capture_release(log, rel, sizeof(rel)), -PMM_ENOENT);
	assert_int_equal(pmm_capture_release("/nonexistent/capture", rel, sizeof(rel)), -PMM_ENOENT);
	assert_int_equal(pmm_capture_release(NULL, rel, sizeof(rel)), -PMM_EINVAL);
	assert_int_equal(pmm_capture_release(dir, rel, 0), -PMM_EINVAL);
	rm_file(dir, "uname.txt");
	rm_file(dir, "dmesg.txt");
	rmdir(dir);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* @text xz-compressed as @dir/@name. */
static void put_file_xz(const char *dir, const char *name, const char *text)
{
	size_t len = strlen(text), cap = lzma_stream_buffer_bound(len), xz_len = 0;
	uint8_t *xz = malloc(cap);
	char path[512];
	FILE *f;

	assert_non_null(xz);
	assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, len,
						 xz, &xz_len, cap),
			 LZMA_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(xz, 1, xz_len, f), xz_len);
	fclose(f);
	free(xz);
}

/*
 * Two nodes, syslog prefixes, an arm64-like zone layout, CPUs from
 * "Allowing", kernel parameters pmm takes and one it does not, iomem read
 * without root; and the errors: no log, no node ranges, a bad range.
 */
static void test_machine_from_boot_log(void **state)
{
	static const char dmesg[] =
		"<6>[    0.000000] Linux version 6.6.0 (gcc) #1 SMP\n"
		"<6>[    0.000000] Kernel command line: BOOT_IMAGE=/vmlinuz kernelcore=25% "
		"movablecore=mirror page_alloc.shuffle=1 quiet\n"
		"<6>[    0.000000] Zone ranges:\n"
		"<6>[    0.000000]   DMA      [mem 0x0000000040000000-0x00000000ffffffff]\n"
		"<6>[    0.000000]   DMA32    empty\n"
		"<6>[    0.000000]   Normal   [mem 0x0000000100000000-0x000000023fffffff]\n"
		"<6>[    0.000000] Movable zone start for each node\n"
		"<6>[    0.000000] Early memory node ranges\n"
		"<6>[    0.000000]   node   0: [mem 0x0000000040000000-0x000000013fffffff]\n"
		"<6>[    0.000000]   node   1: [mem 0x0000000140000000-0x000000023fffffff]\n"
		"<6>[    0.000000] Initmem setup node 0 [mem 0x0000000040000000-0x000000013fffffff]\n"
		"<6>[    0.010000] smpboot: Allowing 8 CPUs, 4 hotplug CPUs\n";
	char tmpl[] = "/tmp/pmm-capture-XXXXXX", err[512], *text;
	const char *dir = mkdtemp(tmpl);
	struct pmm_config cfg;
	struct pmm *m;
	int ret;

	(void)state;
	assert_non_null(dir);
	/* No boot log in it yet. */
	text = capture_text(dir, &ret, err, sizeof(err));
	assert_int_equal(ret, -PMM_ENOENT);
	assert_non_null(strstr(err, ": no kernel boot log in the directory"));
	free(text);

	put_file(dir, "dmesg.txt", dmesg);
	put_file(dir, "iomem.txt", "00000000-00000000 : System RAM\n"
				   "  00000000-00000000 : Kernel code\n"
				   "  00000000-00000000 : Kernel bss\n");
	mkdir(strcat(strcpy(err, dir), "/sysctl_vm"), 0700);
	put_file(dir, "sysctl_vm/min_free_kbytes", "67584\n");
	text = capture_ok(dir);
	assert_non_null(strstr(text, "node=0:0x40000000-0x13fffffff    # dmesg.txt:9\n"));
	assert_non_null(strstr(text, "node=1:0x140000000-0x23fffffff   # dmesg.txt:10\n"));
	assert_non_null(strstr(text, "cpus=4 "));
	assert_non_null(strstr(text, "dma=0x100000000 "));
	assert_null(strstr(text, "dma32="));
	assert_non_null(strstr(text, "kernelcore=25% "));
	assert_non_null(strstr(text, "page_alloc.shuffle=1 "));
	assert_non_null(strstr(text, "# dmesg.txt:2: kernel command line: 'movablecore=mirror' not taken: "));
	assert_null(strstr(text, "quiet"));
	assert_non_null(strstr(text, "# iomem.txt: addresses hidden"));
	assert_null(strstr(text, "\nreserve="));
	assert_non_null(strstr(text, "min_free_kbytes=67584 "));

	/*
	 * It boots: two nodes (node 1 all ZONE_MOVABLE, as the DMA zone
	 * covers kernelcore=), four CPUs.
	 */
	config_from(&cfg, text);
	assert_int_equal(cfg.nr_cpus, 4);
	assert_int_equal(cfg.kernelcore_percent, 25);
	assert_true(cfg.shuffle);
	assert_int_equal(pmm_create(&cfg, &m), 0);
	{
		struct pmm_page *p = pmm_alloc_pages_node(m, 1, PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_THISNODE, 0);

		assert_non_null(p);
		assert_true(pmm_page_to_pfn(m, p) >= 0x140000);
		pmm_free_pages(m, p, 0);
	}
	pmm_destroy(m);
	free(text);

	/* A boot log without node ranges; then a range that ends before it starts. */
	put_file(dir, "dmesg.txt", "[    0.000000] Linux version 6.6.0\n");
	text = capture_text(dir, &ret, err, sizeof(err));
	assert_int_equal(ret, -PMM_EBADMSG);
	assert_string_equal(err, "dmesg.txt: no \"Early memory node ranges\" lines: not a Linux boot "
				 "log, or it starts after boot");
	free(text);
	put_file(dir, "dmesg.txt", "Early memory node ranges\n  node   0: [mem 0x2000-0x1000]\n");
	text = capture_text(dir, &ret, err, sizeof(err));
	assert_int_equal(ret, -PMM_EBADMSG);
	assert_string_equal(err, "dmesg.txt:2: bad node range:   node   0: [mem 0x2000-0x1000]");
	free(text);

	/*
	 * A dmesg whose ring buffer wrapped past the boot (no node ranges) is
	 * passed over for a console log that kept them.
	 */
	put_file(dir, "dmesg.txt", "[ 9999.000000] eth0: link up\n");
	put_file(dir, "console.log", dmesg);
	text = capture_text(dir, &ret, err, sizeof(err));
	assert_int_equal(ret, 0);
	assert_non_null(strstr(text, "node=1:0x140000000-0x23fffffff   # console.log:10\n"));
	free(text);
	rm_file(dir, "console.log");

	/* The boot log itself as the path. */
	put_file(dir, "dmesg.txt", dmesg);
	text = capture_text(strcat(strcpy(err, dir), "/dmesg.txt"), &ret, err + 256, 256);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(text, "node=1:"));
	assert_null(strstr(text, "min_free_kbytes"));
	free(text);

	/* x86 keeps its first MiB from Linux 5.13 on. */
	for (int v = 0; v < 2; v++) {
		char log[512];

		snprintf(log, sizeof(log),
			 "[    0.000000] Linux version %s (gcc) #1 SMP\n"
			 "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
			 "[    0.000000] Early memory node ranges\n"
			 "[    0.000000]   node   0: [mem 0x0000000000001000-0x000000003fffffff]\n",
			 v ? "5.13.0" : "5.12.19");
		put_file(dir, "dmesg.txt", log);
		text = capture_text(dir, &ret, err, sizeof(err));
		assert_int_equal(ret, 0);
		if (!strstr(text, "\nreserve=0x0-0xfffff ") != !v)
			fail_msg("Linux %s: %s", v ? "5.13" : "5.12", text);
		free(text);
	}

	rm_file(dir, "sysctl_vm/min_free_kbytes");
	rmdir(strcat(strcpy(err, dir), "/sysctl_vm"));
	rm_file(dir, "dmesg.txt");
	rm_file(dir, "iomem.txt");
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Boot logs as other kernels and tools write them.  A kernel built with
 * CONFIG_PRINTK_CALLER puts the caller ("[    T1]" a task, "[    C0]" a
 * CPU) after the time stamp, on the console right after it and in
 * util-linux dmesg after a space: the lines are the same lines.
 */
static void test_machine_from_log_variants(void **state)
{
	static const char *const prefix[] = { "[    0.000000][    T0] ", "[    0.000000] [    C1] ",
					      "<6>[    0.000000][  T123] " };
	char tmpl[] = "/tmp/pmm-capture-XXXXXX", log[1024], *text;
	const char *dir = mkdtemp(tmpl);

	(void)state;
	assert_non_null(dir);
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		snprintf(log, sizeof(log),
			 "%sEarly memory node ranges\n"
			 "%s  node   0: [mem 0x0000000000001000-0x000000003fffffff]\n"
			 "%s  node   1: [mem 0x0000000040000000-0x000000007fffffff]\n"
			 "%ssmp: Brought up 2 nodes, 3 CPUs\n",
			 prefix[i], prefix[i], prefix[i], prefix[i]);
		put_file(dir, "dmesg.txt", log);
		text = capture_ok(dir);
		if (!strstr(text, "\nnode=1:0x40000000-0x7fffffff ") || !strstr(text, "\ncpus=3 "))
			fail_msg("'%s': %s", prefix[i], text);
		free(text);
	}

	/*
	 * A node range line damaged or cut short (a log cut in the middle of
	 * its last line) is an error where it is: the block used to end there,
	 * dropping the nodes after it, or keep the digits before the cut as
	 * the range's end.
	 */
	{
		static const char *const bad[] = {
			/* RAM from 0 (arm64 boards have it): the cut end is still above the start */
			"Early memory node ranges\n  node   0: [mem 0x0000000000000000-0x000000003fffffff]\n"
			"  node   1: [mem 0x0000000000000000-0x000000007fff",
			"Early memory node ranges\n  node   0: [mem 0x0000000000001000-0x000000003fffffff]\n"
			"  node   0: [mem 0x00000000400#0000-0x000000007fffffff]\n"
			"  node   1: [mem 0x0000000080000000-0x00000000bfffffff]\n",
		};
		char err[512];
		int ret;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			put_file(dir, "dmesg.txt", bad[i]);
			text = capture_text(dir, &ret, err, sizeof(err));
			if (ret != -PMM_EBADMSG || strncmp(err, "dmesg.txt:3: malformed node range line: ", 40))
				fail_msg("case %zu: %d '%s'\n%s", i, ret, err, text);
			free(text);
		}
		/* The heading and no node line after it: said so, with where the heading is. */
		put_file(dir, "dmesg.txt", "[    0.0] Linux version 6.1.0\n[    0.0] Early memory node ranges\n"
					   "[    0.0] Initmem setup node 0 [mem 0x1000-0x3fffffff]\n");
		text = capture_text(dir, &ret, err, sizeof(err));
		assert_int_equal(ret, -PMM_EBADMSG);
		assert_string_equal(err, "dmesg.txt:2: \"Early memory node ranges\" and no node range line after it");
		free(text);
	}

	/*
	 * Linux 5.15 and before say "HugeTLB registered 1.00 GiB page size"
	 * (the colon came with the vmemmap report in 2022): 1 GiB pages all
	 * the same.
	 */
	put_file(dir, "dmesg.txt",
		 "[    0.000000] Linux version 5.15.0 (gcc) #1 SMP\n"
		 "[    0.000000] Early memory node ranges\n"
		 "[    0.000000]   node   0: [mem 0x0000000000001000-0x000000013fffffff]\n"
		 "[    0.000000] Kernel command line: console=ttyS0 hugepagesz=1G hugepages=2\n"
		 "[    0.500000] HugeTLB registered 1.00 GiB page size, pre-allocated 2 pages\n"
		 "[    0.500000] HugeTLB registered 2.00 MiB page size, pre-allocated 0 pages\n");
	text = capture_ok(dir);
	if (!strstr(text, "\nhugepagesz=1G ") || !strstr(text, "\nhugepages=2 "))
		fail_msg("%s", text);
	free(text);

	/*
	 * iomem.txt with CRLF line ends (a capture that went through a
	 * Windows machine) says the same: the kernel's sections by name, and
	 * System RAM outside the node ranges.
	 */
	put_file(dir, "dmesg.txt",
		 "[    0.000000] Early memory node ranges\n"
		 "[    0.000000]   node   0: [mem 0x0000000000001000-0x000000013fffffff]\n"
		 "[    1.000000] Freeing unused kernel image (text/rodata gap) memory: 2040K\n");
	for (int crlf = 0; crlf < 2; crlf++) {
		static const char *const iomem[] = {
			"00001000-13fffffff : System RAM", "  119600000-11a401fff : Kernel code",
			"  11a600000-11aee6fff : Kernel rodata", "  11b000000-11b641fff : Kernel data",
			"  11c803000-11c9fffff : Kernel bss", "140000000-17fffffff : System RAM",
		};

		log[0] = '\0';
		for (size_t i = 0; i < sizeof(iomem) / sizeof(iomem[0]); i++) {
			strcat(log, iomem[i]);
			strcat(log, crlf ? "\r\n" : "\n");
		}
		put_file(dir, "iomem.txt", log);
		text = capture_ok(dir);
		if (!strstr(text, "\nlate_free=0x11a402000-0x11a5fffff:text_rodata_gap ") ||
		    !strstr(text, "\nhotplug=0:0x140000000-0x17fffffff "))
			fail_msg("%s: %s", crlf ? "CRLF" : "LF", text);
		free(text);
	}
	rm_file(dir, "iomem.txt");
	/* And compressed. */
	put_file_xz(dir, "iomem.txt.xz", log);
	text = capture_ok(dir);
	if (!strstr(text, "\nlate_free=0x11a402000-0x11a5fffff:text_rodata_gap ") ||
	    !strstr(text, "\nhotplug=0:0x140000000-0x17fffffff "))
		fail_msg("iomem.txt.xz: %s", text);
	free(text);
	rm_file(dir, "iomem.txt.xz");
	rm_file(dir, "dmesg.txt");
	assert_int_equal(rmdir(dir), 0);
}

/* "managed" of node @nid's zone @zone in a /proc/zoneinfo text, or -1. */
static long long zone_managed(const char *zi, int nid, const char *zone)
{
	char head[64];
	const char *p, *next;
	long long v;

	snprintf(head, sizeof(head), "Node %d, zone %8s\n", nid, zone);
	p = strstr(zi, head);
	if (!p)
		return -1;
	next = strstr(p + 1, "Node ");
	p = strstr(p, "managed");
	if (!p || (next && p > next) || sscanf(p, "managed %lld", &v) != 1)
		return -1;
	return v;
}

/*
 * Two nodes with a ZONE_NORMAL: zoneinfo.txt's managed counts are met
 * zone by zone on each node, the difference reserved at each zone's top;
 * a zone whose present count the layout does not give is left alone.
 */
static void test_machine_from_zoneinfo(void **state)
{
	static const char dmesg[] =
		"[    0.000000] Early memory node ranges\n"
		"[    0.000000]   node   0: [mem 0x0000000000001000-0x000000000009efff]\n"
		"[    0.000000]   node   0: [mem 0x0000000000100000-0x00000000bfffffff]\n"
		"[    0.000000]   node   1: [mem 0x0000000100000000-0x000000013fffffff]\n"
		"[    1.000000] smp: Brought up 2 nodes, 4 CPUs\n";
	static const char zoneinfo[] =
		"Node 0, zone      DMA\n  pages free     3000\n        present  3998\n"
		"        managed  3900\n"
		"Node 0, zone    DMA32\n        present  782336\n        managed  781000\n"
		"Node 1, zone   Normal\n        present  262144\n        managed  260096\n"
		"Node 1, zone      DMA\n        present  5\n        managed  5\n";
	char tmpl[] = "/tmp/pmm-capture-XXXXXX", *text, *zi = NULL;
	const char *dir = mkdtemp(tmpl);
	struct pmm_config cfg;
	struct pmm *m;
	size_t zlen;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	put_file(dir, "dmesg.txt", dmesg);
	put_file(dir, "zoneinfo.txt", zoneinfo);
	text = capture_ok(dir);
	assert_non_null(strstr(text, "\nreserve=0xf9e000-0xffffff "));
	assert_non_null(strstr(text, "\nreserve=0xbfac8000-0xbfffffff "));
	assert_non_null(strstr(text, "\nreserve=0x13f800000-0x13fffffff "));
	assert_non_null(strstr(text, "# zoneinfo.txt: Node 1, zone DMA managed 5: present 5, this "
				     "config 0: not matched\n"));

	config_from(&cfg, text);
	assert_int_equal(pmm_create(&cfg, &m), 0);
	f = open_memstream(&zi, &zlen);
	assert_int_equal(pmm_report_zoneinfo(m, f), 0);
	fclose(f);
	assert_int_equal(zone_managed(zi, 0, "DMA"), 3900);
	assert_int_equal(zone_managed(zi, 0, "DMA32"), 781000);
	assert_int_equal(zone_managed(zi, 1, "Normal"), 260096);
	pmm_destroy(m);
	free(zi);

	/*
	 * zoneinfo.txt compressed, as the boot log and kpageflags may be: the
	 * same config (it used to be passed over without a word).
	 */
	rm_file(dir, "zoneinfo.txt");
	put_file_xz(dir, "zoneinfo.txt.xz", zoneinfo);
	{
		char *xz_text = capture_ok(dir);

		assert_string_equal(xz_text, text);
		free(xz_text);
	}
	/* Cut short: what it has, and a comment saying where it ends. */
	{
		char path[512], *cut;
		struct stat st;

		snprintf(path, sizeof(path), "%s/zoneinfo.txt.xz", dir);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(truncate(path, st.st_size - 20), 0);
		cut = capture_ok(dir);
		if (!strstr(cut, "\n# zoneinfo.txt.xz:") || !strstr(cut, ": read up to there\n"))
			fail_msg("%s", cut);
		free(cut);
	}
	free(text);
	rm_file(dir, "dmesg.txt");
	rm_file(dir, "zoneinfo.txt.xz");
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Which CPUs sit on which node: x86's boot log lists the secondary CPUs by
 * node and SRAT gives the boot CPU's; nodes/nodeN/cpulist, where the
 * capture has it, says it for every CPU and wins.
 */
static void test_machine_from_node_cpus(void **state)
{
	static const char dmesg[] =
		"[    0.000000] SRAT: PXM 0 -> APIC 0x00 -> Node 0\n"
		"[    0.000000] SRAT: PXM 0 -> APIC 0x01 -> Node 0\n"
		"[    0.000000] SRAT: PXM 1 -> APIC 0x02 -> Node 1\n"
		"[    0.000000] Early memory node ranges\n"
		"[    0.000000]   node   0: [mem 0x0000000000001000-0x000000003fffffff]\n"
		"[    0.000000]   node   1: [mem 0x0000000040000000-0x000000007fffffff]\n"
		"[    0.600000] x86: Booting SMP configuration:\n"
		"[    0.700000] .... node  #0, CPUs:      #1\n"
		"[    0.800000] .... node  #1, CPUs:   #2  #3  #5\n"
		"[    0.900000] .... node  #0, CPUs:   #4\n"
		"[    1.000000] smp: Brought up 2 nodes, 6 CPUs\n";
	char tmpl[] = "/tmp/pmm-capture-XXXXXX", path[512], *text;
	const char *dir = mkdtemp(tmpl);
	struct pmm_config cfg;

	(void)state;
	assert_non_null(dir);
	put_file(dir, "dmesg.txt", dmesg);
	text = capture_ok(dir);
	if (!strstr(text, "\nnode_cpus=0:0-1,4 ") || !strstr(text, "\nnode_cpus=1:2-3,5 "))
		fail_msg("%s", text);
	config_from(&cfg, text);
	assert_int_equal(cfg.cpu_node[0], 1);
	assert_int_equal(cfg.cpu_node[5], 2);
	free(text);

	/*
	 * Without SRAT, the boot CPU is on the lowest node with memory, where
	 * x86's round-robin of CPUs over nodes no table places (numa=fake=)
	 * starts, whatever node the log lists first.
	 */
	put_file(dir, "dmesg.txt",
		 "[    0.000000] Early memory node ranges\n"
		 "[    0.000000]   node   1: [mem 0x0000000040000000-0x000000007fffffff]\n"
		 "[    0.000000]   node   2: [mem 0x0000000080000000-0x00000000bfffffff]\n"
		 "[    0.700000] .... node  #2, CPUs:      #1\n"
		 "[    0.800000] .... node  #1, CPUs:   #2  #3\n"
		 "[    1.000000] smp: Brought up 2 nodes, 4 CPUs\n");
	text = capture_ok(dir);
	if (!strstr(text, "\nnode_cpus=1:0,2-3 ") || !strstr(text, "\nnode_cpus=2:1 "))
		fail_msg("%s", text);
	free(text);
	put_file(dir, "dmesg.txt", dmesg);

	/* sysfs's lists instead; a node directory without one is skipped. */
	snprintf(path, sizeof(path), "%s/nodes", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	for (int nid = 0; nid < 3; nid++) {
		snprintf(path, sizeof(path), "%s/nodes/node%d", dir, nid);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	put_file(dir, "nodes/node0/cpulist", "0,2,4\n");
	put_file(dir, "nodes/node1/cpulist", "1,3,5\n");
	text = capture_ok(dir);
	if (!strstr(text, "\nnode_cpus=0:0,2,4 ") || !strstr(text, "\nnode_cpus=1:1,3,5 "))
		fail_msg("%s", text);
	free(text);
	/* One list that is not a cpulist: the boot log's lines instead. */
	put_file(dir, "nodes/node1/cpulist", "1,3-x\n");
	text = capture_ok(dir);
	if (!strstr(text, "\nnode_cpus=0:0-1,4 ") || !strstr(text, "\nnode_cpus=1:2-3,5 "))
		fail_msg("%s", text);
	free(text);
	put_file(dir, "nodes/node1/cpulist", "1,3,5\n");

	/* CPUs on a node without memory (a memoryless node) are named too, and the config boots. */
	put_file(dir, "nodes/node1/cpulist", "1,3\n");
	put_file(dir, "nodes/node2/cpulist", "5\n");
	text = capture_ok(dir);
	if (!strstr(text, "\nnode_cpus=2:5 ") ||
	    !strstr(text, "\nnode_cpus=1:1,3 "))
		fail_msg("%s", text);
	config_from(&cfg, text);
	{
		struct pmm *m;

		assert_int_equal(pmm_create(&cfg, &m), 0);
		pmm_destroy(m);
	}
	free(text);

	/*
	 * Distances: rows list the online nodes (those with a directory) in
	 * id order; written when not all 10/20, with the ids between filled.
	 */
	put_file(dir, "nodes/node0/distance", "10 20 20\n");
	put_file(dir, "nodes/node1/distance", "20 10 20\n");
	put_file(dir, "nodes/node2/distance", "20 20 10\n");
	text = capture_ok(dir);
	assert_null(strstr(text, "node_distance="));
	free(text);
	put_file(dir, "nodes/node0/distance", "10 12 32\n");
	put_file(dir, "nodes/node1/distance", "12 10 32\n");
	put_file(dir, "nodes/node2/distance", "32 32 10\n");
	text = capture_ok(dir);
	if (!strstr(text, "\nnode_distance=0:10,12,32 ") || !strstr(text, "\nnode_distance=1:12,10,32 ") ||
	    !strstr(text, "\nnode_distance=2:32,32,10 "))
		fail_msg("%s", text);
	config_from(&cfg, text);
	assert_int_equal(cfg.node_distance[2][0], 32);
	free(text);
	/* Not a row of distances: left to the defaults. */
	put_file(dir, "nodes/node2/distance", "32 x 10\n");
	text = capture_ok(dir);
	assert_null(strstr(text, "node_distance="));
	free(text);
	for (int nid = 0; nid < 3; nid++) {
		char name[64];

		snprintf(name, sizeof(name), "nodes/node%d/distance", nid);
		rm_file(dir, name);
	}
	rm_file(dir, "nodes/node2/cpulist");

	/* One node, and a CPU the log did not bring up: nothing to say. */
	put_file(dir, "nodes/node0/cpulist", "0-5\n");
	put_file(dir, "nodes/node1/cpulist", "6\n");
	text = capture_ok(dir);
	assert_null(strstr(text, "node_cpus="));
	free(text);

	rm_file(dir, "nodes/node0/cpulist");
	rm_file(dir, "nodes/node1/cpulist");
	for (int nid = 0; nid < 3; nid++) {
		snprintf(path, sizeof(path), "%s/nodes/node%d", dir, nid);
		assert_int_equal(rmdir(path), 0);
	}
	snprintf(path, sizeof(path), "%s/nodes", dir);
	assert_int_equal(rmdir(path), 0);
	rm_file(dir, "dmesg.txt");
	assert_int_equal(rmdir(dir), 0);
}

/* ------------------------------------------------------------ round trip */

static void assert_same_free_state(struct pmm *a, struct pmm *b)
{
	struct pmm_replay_zone_free za[16], zb[16];
	size_t na = pmm_zone_free_blocks(a, za, 16), nb = pmm_zone_free_blocks(b, zb, 16);

	assert_int_equal(na, nb);
	for (size_t z = 0; z < na; z++)
		for (int o = 0; o < PMM_MAX_ORDER; o++)
			if (za[z].nr_free[o] != zb[z].nr_free[o])
				fail_msg("zone %s order %d: A has %lu free blocks, B %lu", za[z].zone_name, o,
					 za[z].nr_free[o], zb[z].nr_free[o]);
	assert_int_equal(pmm_nr_free_pages(a), pmm_nr_free_pages(b));
}

/*
 * The events of @text printed again as @style lines (with pid/tid columns
 * for perf when @tids), comments left out.  Returns malloc'd text.
 */
static char *reprint(const char *text, size_t len, enum pmm_trace_style style, bool tids,
		     size_t *out_len)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	char buf[1024];
	int r;

	assert_non_null(f);
	assert_int_equal(pmm_trace_open_mem(&p, "slice", text, len, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		assert_int_equal(r, 1);
		if (tids)
			ev.tgid = ev.pid;
		ev.name_pad = 11;
		assert_true(pmm_trace_format_line(buf, sizeof(buf), &ev, style, PMM_KVER_6_1) < sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	pmm_trace_close(p);
	fclose(f);
	*out_len = olen;
	return out;
}

/*
 * The same events as `perf script` prints them (default columns, and
 * -F pid,tid) replay as the tracefs text does, to the last counter.
 */
static void test_perf_script_trace(void **state)
{
	char *shipped = pmm_test_source_path(SLICE);
	struct pmm_replay_opts o = { .max_events = sanitizer() ? SAMPLE_EVENTS : 200000 };
	size_t len, plen, tlen;
	char *text = pmm_test_read_file(shipped, &len);
	char *perf = reprint(text, len, PMM_TRACE_STYLE_PERF, false, &plen);
	char *tids = reprint(text, len, PMM_TRACE_STYLE_PERF, true, &tlen);
	struct pmm_replay *rf, *rp, *rt;

	(void)state;
	assert_non_null(memmem(perf, plen, " kmem:mm_page_alloc: ", 21));
	assert_non_null(memmem(tids, tlen, "/", 1));
	rf = replay_mem("tracefs", text, len, guest_config, &o);
	rp = replay_mem("perf", perf, plen, guest_config, &o);
	rt = replay_mem("perf pid/tid", tids, tlen, guest_config, &o);
	assert_true(pmm_replay_result(rp)->allocs > 10000);
	assert_int_equal(pmm_replay_result(rp)->nr_phases, pmm_replay_result(rf)->nr_phases);
	{
		/* Only the line count differs: the perf text has no '#' header. */
		struct pmm_replay_result a = *pmm_replay_result(rf), b = *pmm_replay_result(rp),
					 c = *pmm_replay_result(rt);
		size_t header = 0;

		for (const char *q = text; *q == '#'; q = strchr(q, '\n') + 1)
			header++;
		assert_true(header > 0);
		assert_int_equal(a.lines, b.lines + header);
		assert_int_equal(a.lines, c.lines + header);
		b.lines = c.lines = a.lines;
		assert_same_result("tracefs vs perf", &a, &b);
		assert_same_result("tracefs vs perf pid/tid", &a, &c);
	}
	assert_same_free_state(pmm_replay_machine(rf), pmm_replay_machine(rp));
	pmm_replay_destroy(rf);
	pmm_replay_destroy(rp);
	pmm_replay_destroy(rt);
	free(perf);
	free(tids);
	free(text);
	free(shipped);
}

/* A real `perf script` capture of a Linux 6.18 machine (tests/data) replays cleanly. */
static void test_perf_script_capture(void **state)
{
	char *path = pmm_test_source_path("tests/data/perf-script-6.18.txt");
	struct pmm_trace_stats st;
	struct pmm_replay *r = replay_path(path, "mem=24G cpus=2", 0, &st);
	const struct pmm_replay_result *res = pmm_replay_result(r);

	(void)state;
	assert_accounted(res);
	assert_counts_match_parser(res, &st, 1);
	assert_true(res->allocs > 20);
	assert_int_equal(res->parse_errors, 0);
	pmm_replay_destroy(r);
	free(path);
}


/*
 * @text with every " pfn=0x<hex>" as " pfn=<decimal>": the kmem events as a
 * Linux 5.13 or older kernel prints them (before "mm, tracing: unify PFN
 * format strings").  *@n: how many were rewritten.  Returns malloc'd text.
 */
static char *pfns_in_decimal(const char *text, size_t len, size_t *out_len, uint64_t *n)
{
	static const char key[] = " pfn=0x";
	char *out = malloc(len + len / 4 + 64), *o = out;
	const char *p = text, *end = text + len;

	assert_non_null(out);
	*n = 0;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
		char *hexend;
		unsigned long long v;

		if (!hit) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		memcpy(o, p, (size_t)(hit - p) + 5);
		o += (hit - p) + 5;
		v = strtoull(hit + sizeof(key) - 1, &hexend, 16);
		assert_true(hexend > hit + sizeof(key) - 1);
		o += sprintf(o, "%llu", v);
		p = hexend;
		(*n)++;
	}
	*out_len = (size_t)(o - out);
	return out;
}

/*
 * A trace from a kernel that prints pfn= in decimal (5.13 and older)
 * replays exactly as the same events printed in hex: the slice rewritten
 * so makes the same decisions to the last counter and free block.
 */
static void test_decimal_pfn_trace(void **state)
{
	char *shipped = pmm_test_source_path(SLICE);
	struct pmm_replay_opts o = { .max_events = sanitizer() ? SAMPLE_EVENTS : 200000 };
	size_t len, dlen;
	uint64_t rewritten;
	char *text = pmm_test_read_file(shipped, &len);
	char *dec = pfns_in_decimal(text, len, &dlen, &rewritten);
	struct pmm_replay *rh, *rd;

	(void)state;
	assert_true(rewritten > 100000);
	assert_null(memmem(dec, dlen, " pfn=0x", 7));
	rh = replay_mem("hex", text, len, guest_config, &o);
	rd = replay_mem("decimal", dec, dlen, guest_config, &o);
	assert_int_equal(pmm_replay_result(rd)->parse_errors, 0);
	assert_true(pmm_replay_result(rd)->allocs > 10000);
	assert_same_result("hex vs decimal pfn", pmm_replay_result(rh), pmm_replay_result(rd));
	assert_same_free_state(pmm_replay_machine(rh), pmm_replay_machine(rd));
	pmm_replay_destroy(rh);
	pmm_replay_destroy(rd);
	free(dec);
	free(text);
	free(shipped);
}

/*
 * Replay the slice on A with A's own events written out; replay that output
 * on B, a machine of the same config: B makes the same requests in the same
 * order, so it must make the same decisions (B runs the per-CPU fast path,
 * A does not: this also holds the fast path to the full path's results).
 */
static void test_round_trip(void **state)
{
	char *slice = pmm_test_source_path(SLICE);
	const char *config = "mem=256M cpus=2 min_free_kbytes=8192";
	struct pmm_replay_opts o = { .max_events = sanitizer() ? 20000 : 0 };
	struct pmm_trace_writer *w;
	struct pmm_replay *ra, *rb;
	struct pmm_config cfg;
	const struct pmm_replay_result *a, *b;
	char *tmp = pmm_test_write_tmp("replay-own-events.txt", NULL, 0);
	FILE *f = fopen(tmp, "w");

	(void)state;
	assert_non_null(f);
	config_from(&cfg, config);
	assert_int_equal(pmm_replay_create(&ra, NULL, &cfg, &o), 0);
	assert_int_equal(pmm_trace_attach(pmm_replay_machine(ra), f, NULL, &w), 0);
	if (pmm_replay_file(ra, slice))
		fail_msg("%s", pmm_replay_errmsg(ra));
	assert_int_equal(pmm_trace_detach(w), 0);
	assert_int_equal(pmm_replay_finish(ra), 0);
	fclose(f);
	a = pmm_replay_result(ra);

	o.max_events = 0;
	assert_int_equal(pmm_replay_create(&rb, NULL, &cfg, &o), 0);
	if (pmm_replay_file(rb, tmp))
		fail_msg("%s", pmm_replay_errmsg(rb));
	assert_int_equal(pmm_replay_finish(rb), 0);
	b = pmm_replay_result(rb);
	assert_accounted(b);

	/* Every allocation A made or refused is one line of its output; so is every free. */
	{
		uint64_t refused = 0;

		for (int ord = 0; ord < PMM_MAX_ORDER; ord++)
			refused += a->alloc_failed[ord];
		assert_int_equal(b->by_kind[PMM_TRACE_MM_PAGE_ALLOC], a->allocs + refused);
		/* The whole slice does not fit in 256 MiB without reclaim: refusals are covered. */
		if (!sanitizer())
			assert_true(refused > 1000);
	}
	assert_int_equal(b->frees, a->frees + a->implied_frees);
	assert_int_equal(b->allocs, a->allocs);
	assert_int_equal(b->alloc_pages, a->alloc_pages);
	assert_int_equal(b->free_pages, a->free_pages);
	assert_int_equal(b->live_pages, a->live_pages);
	assert_int_equal(b->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED], 0);
	assert_int_equal(b->skipped[PMM_REPLAY_SKIP_FREE_ORDER], 0);
	for (int ord = 0; ord < PMM_MAX_ORDER; ord++) {
		assert_int_equal(b->alloc_failed[ord], 0);
		assert_int_equal(b->trace_alloc_failed[ord], a->alloc_failed[ord]);
	}
	/* B's own refills, drains and fallbacks are exactly the ones A wrote. */
	assert_int_equal(b->zone_locked.trace, a->zone_locked.pmm);
	assert_int_equal(b->zone_locked.pmm, a->zone_locked.pmm);
	assert_int_equal(b->pcpu_drain.trace, a->pcpu_drain.pmm);
	assert_int_equal(b->pcpu_drain.pmm, a->pcpu_drain.pmm);
	assert_int_equal(b->extfrag.trace, a->extfrag.pmm);
	assert_int_equal(b->extfrag.pmm, a->extfrag.pmm);
	assert_same_free_state(pmm_replay_machine(ra), pmm_replay_machine(rb));

	pmm_replay_destroy(ra);
	pmm_replay_destroy(rb);
	unlink(tmp);
	free(tmp);
	free(slice);
}

/* ------------------------------------------------------------ synthetic traces */

static const char *line(char *buf, size_t size, int cpu, const char *event, const char *body)
{
	static double t = 1.0;

	t += 0.000001;
	snprintf(buf, size, "            test-42      [%03d] .....  %11.6f: %s: %s\n", cpu, t, event, body);
	return buf;
}

struct text {
	char *buf;
	size_t len, cap;
};

static void add(struct text *t, int cpu, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(struct text *t, int cpu, const char *event, const char *fmt, ...)
{
	char body[512], l[700];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	line(l, sizeof(l), cpu, event, body);
	n = strlen(l);
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
	}
	memcpy(t->buf + t->len, l, n + 1);
	t->len += n;
}

static void alloc_line(struct text *t, int cpu, unsigned long pfn, int order, const char *gfp)
{
	add(t, cpu, "mm_page_alloc", "page=0000000012345678 pfn=0x%lx order=%d migratetype=0 gfp_flags=%s",
	    pfn, order, gfp);
}

static void free_line(struct text *t, int cpu, unsigned long pfn, int order)
{
	add(t, cpu, "mm_page_free", "page=0000000012345678 pfn=0x%lx order=%d", pfn, order);
}

static struct pmm_replay *replay_text(const struct text *t, const char *config, int page_owner)
{
	struct pmm_replay_opts o = { .page_owner = page_owner, .sample_every = 2 };

	return replay_mem("synthetic", t->buf, t->len, config, &o);
}

static void test_partial_frees(void **state)
{
	struct text t = { 0 };
	struct pmm_replay *r;
	const struct pmm_replay_result *res;
	unsigned long free0;

	(void)state;
	/* A non-compound order-3 block freed page by page (split_page()). */
	alloc_line(&t, 0, 0x1000, 3, "GFP_KERNEL");
	free_line(&t, 0, 0x1003, 0);
	free_line(&t, 1, 0x1000, 0);
	for (unsigned long p = 0x1001; p < 0x1008; p++)
		if (p != 0x1003)
			free_line(&t, 0, p, 0);
	/* A THP (compound order 9) split and freed in pieces of order 0 and a whole order-2 part. */
	alloc_line(&t, 1, 0x2000, 9, "GFP_TRANSHUGE");
	free_line(&t, 1, 0x2004, 2);
	free_line(&t, 1, 0x2000, 0);
	/* Order mismatch: larger than allocated. */
	alloc_line(&t, 0, 0x3000, 0, "GFP_KERNEL");
	free_line(&t, 0, 0x3000, 1);
	free_line(&t, 0, 0x3000, 0);
	/* Part of a block whose range runs past the block. */
	alloc_line(&t, 0, 0x4000, 1, "GFP_KERNEL");
	free_line(&t, 0, 0x4001, 1);
	free_line(&t, 0, 0x4000, 1);

	r = replay_text(&t, "mem=64M cpus=2", 0);
	res = pmm_replay_result(r);
	assert_accounted(res);
	assert_int_equal(res->allocs, 4);
	assert_int_equal(res->splits, 2);
	assert_int_equal(res->partial_frees, 2);
	/* 8 pages of the order-3 block, 5 of the THP, 1 + 2 of the others. */
	assert_int_equal(res->free_pages, 8 + 5 + 1 + 2);
	assert_int_equal(res->live_pages, 512 - 5);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_ORDER], 2);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED], 0);
	free0 = pmm_nr_free_pages(pmm_replay_machine(r));
	assert_true(free0 > 0);
	pmm_replay_destroy(r);
	free(t.buf);
}

static void test_refusals_and_lost_frees(void **state)
{
	struct text t = { 0 };
	struct pmm_replay *r;
	const struct pmm_replay_result *res;

	(void)state;
	/* pmm refuses contradictory flags; the free of that frame is skipped for it. */
	alloc_line(&t, 0, 0x1000, 2, "__GFP_MOVABLE|__GFP_RECLAIMABLE|__GFP_NOWARN");
	free_line(&t, 0, 0x1000, 2);
	/* Failed in the kernel. */
	add(&t, 1, "mm_page_alloc", "page=(null) pfn=0x0 order=4 migratetype=0 gfp_flags=GFP_KERNEL");
	/*
	 * A bit no name covers, printed as a number: 6.1's __GFP_NOLOCKDEP
	 * on a lockdep kernel.  It decides nothing here; the kernel allocated.
	 */
	alloc_line(&t, 1, 0x6000, 0, "GFP_NOFS|0x8000000");
	free_line(&t, 1, 0x6000, 0);
	/* A frame allocated twice: its free was lost, the replay frees it first. */
	alloc_line(&t, 0, 0x5000, 0, "GFP_KERNEL");
	alloc_line(&t, 1, 0x5000, 0, "GFP_KERNEL");
	/* Never allocated in the trace. */
	free_line(&t, 0, 0x9000, 0);
	free_line(&t, 0, 0x9200, 9);
	add(&t, 0, "mm_page_free_batched", "page=0000000012345678 pfn=0x5000 order=0");
	add(&t, 0, "mm_page_alloc_zone_locked",
	    "page=0000000012345678 pfn=0x5000 order=0 migratetype=0 percpu_refill=1");
	add(&t, 0, "mm_page_pcpu_drain", "page=0000000012345678 pfn=0x5000 order=0 migratetype=0");
	add(&t, 0, "mm_compaction_begin", "zone_start=0x1 migrate_pfn=0x1 free_pfn=0x3fc00 zone_end=0x3ffdd, mode=sync");
	add(&t, 0, "tracing_mark_write", "CAPTURE_PHASE my_phase");

	r = replay_text(&t, "mem=64M cpus=2", 0);
	res = pmm_replay_result(r);
	assert_accounted(res);
	assert_int_equal(res->alloc_failed[2], 1);
	assert_int_equal(res->alloc_failed[0], 0);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_PMM_FAILED], 1);
	assert_int_equal(res->trace_alloc_failed[4], 1);
	assert_int_equal(res->implied_frees, 1);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED], 2);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_BATCHED], 1);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_OTHER], 1);
	assert_int_equal(res->zone_locked.trace, 1);
	assert_int_equal(res->pcpu_drain.trace, 1);
	assert_int_equal(res->live_blocks, 1);
	assert_int_equal(res->nr_phases, 1);
	assert_string_equal(res->phases[0].name, "my_phase");
	pmm_replay_destroy(r);
	free(t.buf);
}

/*
 * A trace of Linux 3.2, as its tracefs `trace` printed it: the header and
 * "%16s-%-5d [%03d] %5lu.%06lu: " of that time, pfn= in decimal, page= the
 * struct page address (0xffffea0000000000 + 64 * pfn on x86-64), the gfp
 * names of then, and the free events under their names before 3.3.  A
 * pagevec free (2.6.34 to 3.2) is mm_pagevec_free and then its own
 * mm_page_free_direct.  Every free takes effect, and the machine ends as
 * the same trace with 3.3's names leaves it.
 */
static const char trace_3_2[] =
	"# tracer: nop\n"
	"#\n"
	"#           TASK-PID    CPU#    TIMESTAMP  FUNCTION\n"
	"#              | |       |          |         |\n"
	"            bash-2041  [000]   512.334500: mm_page_alloc: page=ffffea0000040000 pfn=4096 "
	"order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
	"            bash-2041  [000]   512.334501: mm_page_alloc: page=ffffea0000080000 pfn=8192 "
	"order=2 migratetype=0 gfp_flags=GFP_KERNEL|GFP_COMP\n"
	"            bash-2041  [000]   512.334502: mm_page_alloc: page=ffffea00000c0000 pfn=12288 "
	"order=0 migratetype=2 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
	"            bash-2041  [000]   512.334503: mm_page_free_direct: page=ffffea0000040000 "
	"pfn=4096 order=0\n"
	"            bash-2041  [000]   512.334504: mm_page_free_direct: page=ffffea0000080000 "
	"pfn=8192 order=2\n"
	"         kswapd0-29    [001]   512.334505: mm_pagevec_free: page=ffffea00000c0000 "
	"pfn=12288 order=0 cold=0\n"
	"         kswapd0-29    [001]   512.334506: mm_page_free_direct: page=ffffea00000c0000 "
	"pfn=12288 order=0\n";

/* @text with the free events renamed as Linux 3.3 did. */
static char *renamed_3_3(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	assert_non_null(out);
	while (*text) {
		if (!strncmp(text, "mm_page_free_direct:", 20)) {
			o = stpcpy(o, "mm_page_free:");
			text += 20;
		} else if (!strncmp(text, "mm_pagevec_free:", 16)) {
			o = stpcpy(o, "mm_page_free_batched:");
			text += 16;
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

static void test_pre_3_3_trace(void **state)
{
	struct pmm_replay_opts o = { .sample_every = 2 };
	struct pmm_replay *r, *r33;
	const struct pmm_replay_result *res, *res33;
	char *t33 = renamed_3_3(trace_3_2);

	(void)state;
	r = replay_mem("3.2", trace_3_2, sizeof(trace_3_2) - 1, "mem=64M cpus=2", &o);
	res = pmm_replay_result(r);
	assert_accounted(res);
	assert_int_equal(res->allocs, 3);
	assert_int_equal(res->by_kind[PMM_TRACE_MM_PAGE_FREE], 3);
	assert_int_equal(res->frees, 3);
	assert_int_equal(res->free_pages, 1 + 4 + 1);
	assert_int_equal(res->live_blocks, 0);
	assert_int_equal(res->live_pages, 0);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_BATCHED], 1);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_FREE_UNTRACKED], 0);
	assert_int_equal(res->skipped[PMM_REPLAY_SKIP_OTHER], 0);
	assert_int_equal(res->by_old_name[PMM_TRACE_MM_PAGE_FREE], 3);
	assert_int_equal(res->by_old_name[PMM_TRACE_MM_PAGE_FREE_BATCHED], 1);
	assert_int_equal(res->by_old_name[PMM_TRACE_MM_PAGE_ALLOC], 0);

	r33 = replay_mem("3.3", t33, strlen(t33), "mem=64M cpus=2", &o);
	res33 = pmm_replay_result(r33);
	assert_int_equal(res33->frees, res->frees);
	assert_int_equal(res33->free_pages, res->free_pages);
	assert_int_equal(res33->skipped[PMM_REPLAY_SKIP_FREE_BATCHED], 1);
	assert_int_equal(res33->by_old_name[PMM_TRACE_MM_PAGE_FREE], 0);
	assert_int_equal(res33->by_old_name[PMM_TRACE_MM_PAGE_FREE_BATCHED], 0);
	assert_same_free_state(pmm_replay_machine(r), pmm_replay_machine(r33));
	pmm_replay_destroy(r33);
	pmm_replay_destroy(r);
	free(t33);
}

/* Order-10 blocks free on node @nid at the replay's first phase. */
static unsigned long phase_max_order_free(const struct pmm_replay_result *res, int nid)
{
	unsigned long n = 0;

	assert_int_equal(res->nr_phases, 1);
	for (size_t z = 0; z < res->phases[0].nr_zones; z++)
		if (res->phases[0].zones[z].nid == nid)
			n += res->phases[0].zones[z].nr_free[PMM_MAX_ORDER - 1];
	return n;
}

/*
 * node_of_frame: CPU 0 (node 0) allocates two blocks that the kernel took
 * from node 1 (pfns above 1 GiB on this machine), as alloc_pages_node()
 * for another CPU's node does.  With the option they come from node 1 too,
 * without it from CPU 0's node; a frame the machine lacks keeps the CPU's.
 */
static void test_node_of_frame(void **state)
{
	struct pmm_replay_opts o = { .sample_every = 2 };
	unsigned long n0[2], n1[2];
	struct text t = { 0 };
	struct pmm_replay *r;

	(void)state;
	alloc_line(&t, 0, 0x50000, 10, "GFP_KERNEL|__GFP_RETRY_MAYFAIL");
	alloc_line(&t, 0, 0x50400, 10, "GFP_KERNEL|__GFP_RETRY_MAYFAIL");
	alloc_line(&t, 0, 0x900000, 10, "GFP_KERNEL"); /* beyond the machine */
	add(&t, 0, "tracing_mark_write", "CAPTURE_PHASE after");
	for (int with = 0; with < 2; with++) {
		o.node_of_frame = with;
		r = replay_mem("synthetic", t.buf, t.len, "mem=2G nodes=2 cpus=2", &o);
		assert_int_equal(pmm_replay_result(r)->allocs, 3);
		n0[with] = phase_max_order_free(pmm_replay_result(r), 0);
		n1[with] = phase_max_order_free(pmm_replay_result(r), 1);
		pmm_replay_destroy(r);
	}
	assert_int_equal(n0[0] + 3, n0[1] + 1);
	assert_int_equal(n1[0], n1[1] + 2);
	free(t.buf);
}

static void drain_line(struct text *t, int cpu, unsigned long pfn)
{
	add(t, cpu, "mm_page_pcpu_drain", "page=0000000012345678 pfn=0x%lx order=0 migratetype=0", pfn);
}

/* A drain line of vmstat's kernel worker on @cpu. */
static void worker_drain_line(struct text *t, int cpu, unsigned long pfn)
{
	char l[300];
	size_t n = (size_t)snprintf(l, sizeof(l),
				    "     kworker/%d:1-77      [%03d] .....     9.%06lu: mm_page_pcpu_drain: "
				    "page=0000000012345678 pfn=0x%lx order=0 migratetype=0\n",
				    cpu, cpu, pfn % 1000000, pfn);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
	}
	memcpy(t->buf + t->len, l, n + 1);
	t->len += n;
}

/*
 * A drain that no free triggered (drain_all_pages(), here CPU 1 emptying
 * CPU 0's lists as reading /proc/pagetypeinfo does with page_owner on) is
 * replayed as a drain of every CPU; one right after a free is that free's
 * own and pmm's free decides it; on a machine of several nodes, a kernel
 * worker's that drains only pages of other nodes than its CPU's (vmstat's
 * expiry of remote pages) is not replayed.
 */
static void test_explicit_drains(void **state)
{
	struct pmm_replay_opts o = { .node_of_frame = 1 };
	const struct pmm_replay_result *res;
	struct text t = { 0 };
	struct pmm_replay *r;

	(void)state;
	for (unsigned long p = 0x1000; p < 0x1008; p++)
		alloc_line(&t, 0, p, 0, "GFP_KERNEL");
	for (unsigned long p = 0x1000; p < 0x1008; p++)
		free_line(&t, 0, p, 0);
	drain_line(&t, 0, 0x1000); /* after a free on its CPU: the free's own */
	alloc_line(&t, 1, 0x2000, 0, "GFP_KERNEL");
	drain_line(&t, 1, 0x1001); /* after an allocation: drain_all_pages() */
	drain_line(&t, 1, 0x1002);
	free_line(&t, 1, 0x2000, 0);
	r = replay_mem("synthetic", t.buf, t.len, "mem=64M cpus=2", &o);
	res = pmm_replay_result(r);
	assert_accounted(res);
	assert_int_equal(res->explicit_drains, 1);
	assert_int_equal(res->pcpu_drain.trace, 3);
	/* Whatever the refills left on both CPUs' lists went back: at least the 8 pages freed. */
	assert_true(res->pcpu_drain.pmm >= 8);
	pmm_replay_destroy(r);
	free(t.buf);

	/*
	 * Two nodes of 1 GiB, CPU 0 on node 0: a kernel worker's drain of
	 * node-1 pages only (vmstat's expiry), then one with a node-0 page,
	 * then a user task's drain of node-1 pages only (drain_all_pages()
	 * from a CPU whose own lists were empty).
	 */
	t = (struct text){ 0 };
	alloc_line(&t, 0, 0x50000, 0, "GFP_KERNEL");
	free_line(&t, 0, 0x50000, 0);
	alloc_line(&t, 0, 0x1000, 0, "GFP_KERNEL");
	worker_drain_line(&t, 0, 0x50000);
	worker_drain_line(&t, 0, 0x50001);
	alloc_line(&t, 0, 0x1001, 0, "GFP_KERNEL");
	worker_drain_line(&t, 0, 0x50002);
	worker_drain_line(&t, 0, 0x1002);
	alloc_line(&t, 0, 0x1003, 0, "GFP_KERNEL");
	drain_line(&t, 0, 0x50003);
	r = replay_mem("synthetic", t.buf, t.len, "mem=2G nodes=2 cpus=2", &o);
	res = pmm_replay_result(r);
	assert_accounted(res);
	assert_int_equal(res->explicit_drains, 2);
	pmm_replay_destroy(r);
	free(t.buf);
}

static void test_page_owner_identity(void **state)
{
	static const char text[] =
		"       kworker/1-4242    [001] .....     5.000001: mm_page_alloc: page=0000000012345678 pfn=0x1000 order=1 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_ZERO\n";
	struct text t = { .buf = strdup(text), .len = sizeof(text) - 1 };
	struct pmm_replay *r;
	char *dump;
	size_t len;
	FILE *f;

	(void)state;
	r = replay_text(&t, "mem=64M cpus=2", 1);
	assert_true(pmm_page_owner_enabled(pmm_replay_machine(r)));
	f = open_memstream(&dump, &len);
	assert_int_equal(pmm_page_owner_dump(pmm_replay_machine(r), f, 0, PMM_KVER_6_1), 0);
	fclose(f);
	/* The line's task and time, and its exact flags (__GFP_ZERO kept with page_owner on). */
	if (!strstr(dump, "pid 4242, tgid 4242 (kworker/1), ts 5000001000 ns"))
		fail_msg("no record of task kworker/1-4242 at 5.000001 s in:\n%.2000s", dump);
	if (!strstr(dump, "Page allocated via order 1, mask 0xdc0(GFP_KERNEL|__GFP_ZERO)"))
		fail_msg("no order-1 GFP_KERNEL|__GFP_ZERO record in:\n%.2000s", dump);
	free(dump);
	pmm_replay_destroy(r);
	free(t.buf);
}

static int stop_at_third(void *ctx, const struct pmm_replay_result *res, uint64_t bytes)
{
	int *calls = ctx;

	(void)bytes;
	(*calls)++;
	return res->events >= 30;
}

static void test_limits(void **state)
{
	struct pmm_replay_opts o = { 0 };
	struct text t = { 0 };
	struct pmm_trace_parser *p;
	struct pmm_replay *r;
	struct pmm_config cfg;
	int calls = 0;

	(void)state;
	for (unsigned long i = 0; i < 100; i++)
		alloc_line(&t, (int)(i % 3), 0x1000 + i, 0, "GFP_KERNEL");
	config_from(&cfg, "mem=64M cpus=2");

	o.max_events = 7;
	assert_int_equal(pmm_replay_create(&r, NULL, &cfg, &o), 0);
	assert_int_equal(pmm_trace_open_mem(&p, "t", t.buf, t.len, NULL), 0);
	assert_int_equal(pmm_replay_parser(r, p, "t"), 0);
	assert_int_equal(pmm_replay_result(r)->events, 7);
	assert_int_equal(pmm_replay_result(r)->stop, PMM_REPLAY_STOP_EVENTS);
	pmm_trace_close(p);
	pmm_replay_destroy(r);

	memset(&o, 0, sizeof(o));
	{
		struct pmm_trace_event ev;

		assert_int_equal(pmm_trace_open_mem(&p, "t", t.buf, t.len, NULL), 0);
		assert_int_equal(pmm_trace_next(p, &ev), 1);
		o.until_ns = ev.ts_ns + 9000; /* nine more lines at 1 us each */
		pmm_trace_close(p);
	}
	assert_int_equal(pmm_replay_create(&r, NULL, &cfg, &o), 0);
	assert_int_equal(pmm_trace_open_mem(&p, "t", t.buf, t.len, NULL), 0);
	assert_int_equal(pmm_replay_parser(r, p, "t"), 0);
	assert_int_equal(pmm_replay_result(r)->events, 10);
	assert_int_equal(pmm_replay_result(r)->stop, PMM_REPLAY_STOP_UNTIL);
	pmm_trace_close(p);
	assert_int_equal(pmm_replay_finish(r), 0);
	pmm_replay_destroy(r);

	memset(&o, 0, sizeof(o));
	o.every = 10;
	o.progress = stop_at_third;
	o.ctx = &calls;
	o.sample_every = 1;
	o.max_samples = 8;
	assert_int_equal(pmm_replay_create(&r, NULL, &cfg, &o), 0);
	assert_int_equal(pmm_trace_open_mem(&p, "t", t.buf, t.len, NULL), 0);
	assert_int_equal(pmm_replay_parser(r, p, "t"), 0);
	assert_int_equal(pmm_replay_result(r)->events, 30);
	assert_int_equal(pmm_replay_result(r)->stop, PMM_REPLAY_STOP_CALLBACK);
	assert_int_equal(calls, 3);
	/* 30 samples asked for, at most 8 kept, the interval doubled to fit. */
	assert_true(pmm_replay_result(r)->nr_samples <= 8);
	assert_true(pmm_replay_result(r)->sample_every >= 4);
	for (size_t i = 1; i < pmm_replay_result(r)->nr_samples; i++)
		assert_true(pmm_replay_result(r)->samples[i].event >
			    pmm_replay_result(r)->samples[i - 1].event);
	pmm_trace_close(p);
	assert_int_equal(pmm_replay_finish(r), 0);
	pmm_replay_destroy(r);
	free(t.buf);
}

/* A replay on the caller's machine leaves the machine to the caller. */
static void test_callers_machine(void **state)
{
	struct text t = { 0 };
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	struct pmm_trace_parser *p;
	struct pmm_replay *r;
	unsigned long before = pmm_nr_free_pages(m);

	(void)state;
	alloc_line(&t, 0, 0x1000, 4, "GFP_KERNEL");
	assert_int_equal(pmm_replay_create(&r, m, NULL, NULL), 0);
	assert_ptr_equal(pmm_replay_machine(r), m);
	assert_int_equal(pmm_trace_open_mem(&p, "t", t.buf, t.len, NULL), 0);
	assert_int_equal(pmm_replay_parser(r, p, "t"), 0);
	pmm_trace_close(p);
	assert_int_equal(pmm_replay_finish(r), 0);
	pmm_replay_destroy(r);
	assert_true(pmm_nr_free_pages(m) < before);
	assert_machine_valid(m);
	pmm_destroy(m);
	free(t.buf);
}

/* Whether a frame written, freed and allocated again still holds what was written. */
static bool frame_kept(struct pmm *m)
{
	struct pmm_page *p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0), *q;
	unsigned char *a;
	bool kept;

	assert_non_null(p);
	a = pmm_page_address(m, p);
	memset(a, 0xab, PMM_PAGE_SIZE);
	pmm_free_pages(m, p, 0);
	q = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0); /* the per-CPU list's head: the same frame */
	assert_ptr_equal(q, p);
	kept = a[0] == 0xab && a[PMM_PAGE_SIZE - 1] == 0xab;
	pmm_free_pages(m, q, 0);
	return kept;
}

/*
 * A traced __GFP_NOFAIL request that the machine cannot serve fails and is
 * counted, where the live allocator would wait for memory for ever: a
 * replay has nothing else running to free it.  40 order-9 blocks (80 MiB)
 * never freed, on a 32 MiB machine.
 */
static void test_replay_nofail(void **state)
{
	enum { N = 40 };
	char *text = malloc(N * 160 + 1), *t = text;
	const struct pmm_replay_result *res;
	struct pmm_replay *r;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < N; i++)
		t += sprintf(t, "            bash-2041  [000]   512.%06d: mm_page_alloc: "
				"page=%016lx pfn=%d order=9 migratetype=0 "
				"gfp_flags=GFP_KERNEL|__GFP_NOFAIL|__GFP_COMP\n",
			     i, 0xffffea0000000000ul + 0x8000ul * (unsigned long)(i + 1), 512 * (i + 1));
	alarm(60); /* the request kept its __GFP_NOFAIL if this fires */
	r = replay_mem("nofail", text, (size_t)(t - text), "mem=32M cpus=1 dma=0", NULL);
	alarm(0);
	res = pmm_replay_result(r);
	assert_accounted(res);
	assert_true(res->allocs > 0);
	assert_true(res->alloc_failed[9] > 0);
	assert_int_equal(res->allocs + res->alloc_failed[9], N);
	pmm_replay_destroy(r);
	free(text);
}

/*
 * While a replay has the machine, the zeroing of init_on_alloc and
 * init_on_free is skipped (nothing reads the frames); with zero_pages,
 * and again once the replay is gone, it is done.
 */
static void test_replay_skips_zeroing(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=1 init_on_alloc=1 init_on_free=1", NULL);
	struct pmm_replay_opts zero = { .zero_pages = 1 };
	struct pmm_replay *r;

	(void)state;
	assert_false(frame_kept(m));
	assert_int_equal(pmm_replay_create(&r, m, NULL, NULL), 0);
	assert_true(frame_kept(m));
	pmm_replay_destroy(r);
	assert_false(frame_kept(m));
	assert_int_equal(pmm_replay_create(&r, m, NULL, &zero), 0);
	assert_false(frame_kept(m));
	pmm_replay_destroy(r);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ bad input */

struct bad_case {
	const char *name;
	const char *text;
	size_t len;             /* 0: strlen */
	const char *expect;     /* substring of the message */
};

static void test_bad_input(void **state)
{
	static const char good[] =
		"          <idle>-0       [000] d..1.     0.317015: mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 order=1 migratetype=0 gfp_flags=__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP\n";
	static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0\xff\xfe";
	const struct bad_case cases[] = {
		{ "garbage", "hello world\n", 0, "bad:1: " },
		{ "binary", bin, sizeof(bin) - 1, "bad:1: binary" },
		{ "truncated", "          <idle>-0       [000] d..1.     0.317015: mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 ord", 0, "bad:1: " },
		{ "wrong field", "          <idle>-0       [000] d..1.     0.317015: mm_page_alloc: page=00000000d6e5337b pfx=0x52b6 order=1 migratetype=0 gfp_flags=GFP_KERNEL\n", 0, "bad:1: bad field" },
		{ "huge pfn", "          <idle>-0       [000] d..1.     0.317015: mm_page_alloc: page=00000000d6e5337b pfn=0x52b6000000000000000000 order=1 migratetype=0 gfp_flags=GFP_KERNEL\n", 0, "bad:1: number overflow" },
		{ "huge order", "          <idle>-0       [000] d..1.     0.317015: mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=99999999999\n", 0, "bad:1: number overflow" },
		{ "order 11", "          <idle>-0       [000] d..1.     0.317015: mm_page_free: page=00000000d6e5337b pfn=0x52b6 order=11\n", 0, "bad:1: order 11 is outside 0..10" },
		{ "pfn 2^60", "          <idle>-0       [000] d..1.     0.317015: mm_page_free: page=00000000d6e5337b pfn=0x1000000000000000 order=0\n", 0, "bad:1: pfn 0x1000000000000000 is beyond" },
		{ "unknown gfp", "          <idle>-0       [000] d..1.     0.317015: mm_page_alloc: page=00000000d6e5337b pfn=0x52b6 order=1 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_WHATEVER\n", 0, "bad:1: unknown gfp flag name '__GFP_WHATEVER'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		struct pmm_replay_opts o = { 0 };
		struct pmm_trace_parser *p;
		struct pmm_replay *r;
		struct pmm_config cfg;
		char *text = malloc(sizeof(good) + len);
		int err;

		/* A good line first, so the bad one is line 2. */
		memcpy(text, good, sizeof(good) - 1);
		memcpy(text + sizeof(good) - 1, c->text, len);
		config_from(&cfg, "mem=64M cpus=2");
		assert_int_equal(pmm_replay_create(&r, NULL, &cfg, &o), 0);
		assert_int_equal(pmm_trace_open_mem(&p, "bad", text, sizeof(good) - 1 + len, NULL), 0);
		err = pmm_replay_parser(r, p, "bad");
		if (err >= 0)
			fail_msg("%s: replay returned %d", c->name, err);
		{
			char want[128];

			/* Shift the expected line number by the good line. */
			snprintf(want, sizeof(want), "%s", c->expect);
			if (!strncmp(want, "bad:1:", 6))
				want[4] = '2';
			if (!strstr(pmm_replay_errmsg(r), want))
				fail_msg("%s: message '%s' lacks '%s'", c->name, pmm_replay_errmsg(r), want);
		}
		assert_int_equal(pmm_replay_result(r)->events, 1);
		assert_int_equal(pmm_replay_result(r)->stop, PMM_REPLAY_STOP_ERROR);
		assert_int_equal(pmm_replay_finish(r), 0);
		pmm_trace_close(p);
		pmm_replay_destroy(r);

		/* keep_going: the line is counted and the replay goes on. */
		o.keep_going = 1;
		assert_int_equal(pmm_replay_create(&r, NULL, &cfg, &o), 0);
		assert_int_equal(pmm_trace_open_mem(&p, "bad", text, sizeof(good) - 1 + len, NULL), 0);
		assert_int_equal(pmm_replay_parser(r, p, "bad"), 0);
		assert_true(pmm_replay_result(r)->parse_errors >= 1);
		assert_int_equal(pmm_replay_finish(r), 0);
		pmm_trace_close(p);
		pmm_replay_destroy(r);
		free(text);
	}
}

static void test_missing_file(void **state)
{
	struct pmm_replay *r;
	struct pmm_config cfg;

	(void)state;
	config_from(&cfg, "mem=64M cpus=1");
	assert_int_equal(pmm_replay_create(&r, NULL, &cfg, NULL), 0);
	assert_true(pmm_replay_file(r, "/nonexistent/trace.txt") < 0);
	assert_non_null(strstr(pmm_replay_errmsg(r), "/nonexistent/trace.txt"));
	assert_int_equal(pmm_replay_result(r)->stop, PMM_REPLAY_STOP_ERROR);
	pmm_replay_destroy(r);
}

/* ------------------------------------------------------------ the event writer */

/* The writer in perf script's layout: read back as perf lines, names aligned as perf does. */
static void test_trace_writer_perf(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	struct pmm_trace_attach_opts ao = { .style = PMM_TRACE_STYLE_PERF, .record_tgid = 1 };
	struct pmm_trace_writer *w;
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_page *pg;
	unsigned n = 0;
	char *out;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(pmm_trace_attach(m, f, &ao, &w), 0);
	assert_int_equal(pmm_set_thread_cpu(m, 1), 0);
	assert_int_equal(pmm_set_thread_task(m, 4243, 4242, "worker"), 0);
	pmm_set_thread_time(m, 12345678901ull);
	pg = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	assert_non_null(pg);
	pmm_free_pages(m, pg, 0);
	pmm_set_thread_time(m, UINT64_MAX);
	pmm_set_thread_task(m, -1, -1, NULL);
	pmm_set_thread_cpu(m, -1);
	assert_int_equal(pmm_trace_detach(w), 0);
	fclose(f);

	if (!strstr(out, "          worker  4242/4243  [001]    12.345679:             "
			 "kmem:mm_page_alloc: page="))
		fail_msg("no perf line of task 4242/4243 on CPU 1 at 12.345679 in:\n%s", out);
	assert_non_null(strstr(out, "              kmem:mm_page_free: page="));
	assert_null(strstr(out, "# tracer"));
	assert_int_equal(pmm_trace_open_mem(&p, "perf", out, len, NULL), 0);
	while (pmm_trace_next(p, &ev) == 1) {
		assert_int_equal(ev.style, PMM_TRACE_STYLE_PERF);
		assert_int_equal(ev.pid, 4243);
		assert_int_equal(ev.tgid, 4242);
		n++;
	}
	assert_string_equal(pmm_trace_errmsg(p), "");
	assert_true(n >= 2);
	pmm_trace_close(p);
	free(out);
	pmm_destroy(m);
}

static void test_trace_writer(void **state)
{
	struct pmm *m = pmm_test_machine("mem=64M cpus=2", NULL);
	struct pmm_trace_writer *w;
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_page *pg, *big, *blocks[64];
	uint64_t kinds[PMM_TRACE_NR_KINDS] = { 0 };
	unsigned nblocks = 0;
	char *out;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(pmm_trace_attach(m, f, NULL, &w), 0);
	assert_int_equal(pmm_set_thread_cpu(m, 1), 0);
	assert_int_equal(pmm_set_thread_task(m, 4242, -1, "a-very-long-command-name"), 0);
	pmm_set_thread_time(m, 12345678901ull);
	pg = pmm_alloc_pages(m, PMM_GFP_KERNEL, 0);
	big = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_COMP, 3);
	assert_non_null(pg);
	assert_non_null(big);
	pmm_free_pages(m, pg, 0);
	pmm_free_pages(m, big, 3);
	/* Until the watermark says no: the failure is a line too. */
	while (nblocks < 64 && (blocks[nblocks] = pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 10)))
		nblocks++;
	assert_true(nblocks < 64);
	for (unsigned i = 0; i < nblocks; i++)
		pmm_free_pages(m, blocks[i], 10);
	/* Refused before the allocator runs (as the kernel's WARN): no line. */
	assert_null(pmm_alloc_pages(m, PMM_GFP_KERNEL | PMM___GFP_NOWARN, 12));
	pmm_set_thread_time(m, UINT64_MAX);
	pmm_set_thread_task(m, -1, -1, NULL);
	pmm_set_thread_cpu(m, -1);
	assert_true(pmm_trace_writer_lines(w) >= 5);
	assert_int_equal(pmm_trace_detach(w), 0);
	fclose(f);

	if (!strstr(out, "a-very-long-com-4242    [001] .....    12.345679: mm_page_alloc: page="))
		fail_msg("no line of task 4242 on CPU 1 at 12.345679 in:\n%s", out);
	if (!strstr(out, "order=3 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_COMP"))
		fail_msg("no order-3 compound allocation in:\n%s", out);
	if (!strstr(out, "mm_page_alloc: page=(null) pfn=0x0 order=10"))
		fail_msg("no failed allocation line in:\n%s", out);
	assert_int_equal(pmm_trace_open_mem(&p, "own", out, len, NULL), 0);
	for (int r; (r = pmm_trace_next(p, &ev)) != 0;) {
		if (r < 0)
			fail_msg("own output does not parse: %s", pmm_trace_errmsg(p));
		kinds[ev.kind]++;
		if (ev.kind == PMM_TRACE_MM_PAGE_ALLOC && ev.page_fmt != PMM_TRACE_PAGE_NULL) {
			struct pmm_page *page = pmm_pfn_to_page(m, ev.pfn);

			/* page= is the frame's struct page in pmm's vmemmap. */
			assert_int_equal(ev.page, (uint64_t)(uintptr_t)page);
		}
	}
	pmm_trace_close(p);
	assert_int_equal(kinds[PMM_TRACE_MM_PAGE_ALLOC], 2 + nblocks + 1);
	assert_int_equal(kinds[PMM_TRACE_MM_PAGE_FREE], 2 + nblocks);
	assert_true(kinds[PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED] >= 1);
	free(out);
	assert_machine_valid(m);
	pmm_destroy(m);
}

/* ------------------------------------------------------------ pictures */

/*
 * A small XML well-formedness check: tags nest and close, attributes are
 * quoted, entities are the predefined five or numeric.  Returns NULL or
 * what is wrong.
 */
static const char *xml_check(const char *s, size_t n)
{
	static char why[160];
	const char *stack[64];
	size_t lens[64], depth = 0, i = 0;
	int root = 0;

	while (i < n) {
		if (s[i] == '&') {
			static const char *const ents[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#" };
			int ok = 0;

			for (size_t e = 0; e < 6; e++)
				if (!strncmp(s + i, ents[e], strlen(ents[e])))
					ok = 1;
			if (!ok) {
				snprintf(why, sizeof(why), "bad entity at %zu", i);
				return why;
			}
			i++;
			continue;
		}
		if (s[i] != '<') {
			i++;
			continue;
		}
		if (!strncmp(s + i, "<?", 2) || !strncmp(s + i, "<!--", 4)) {
			const char *e = strstr(s + i, s[i + 1] == '?' ? "?>" : "-->");
			if (!e)
				return "unterminated declaration or comment";
			i = (size_t)(e - s) + 2;
			continue;
		}
		if (s[i + 1] == '/') {
			size_t j = i + 2, k = j;

			while (k < n && s[k] != '>')
				k++;
			if (!depth || k - j != lens[depth - 1] || strncmp(s + j, stack[depth - 1], k - j)) {
				snprintf(why, sizeof(why), "closing tag </%.*s> does not match at %zu", (int)(k - j), s + j, i);
				return why;
			}
			depth--;
			i = k + 1;
			continue;
		}
		{
			size_t j = i + 1, k = j;
			int self = 0;

			while (k < n && (isalnum((unsigned char)s[k]) || s[k] == ':' || s[k] == '-' || s[k] == '_'))
				k++;
			if (k == j)
				return "empty tag name";
			if (depth == 0 && root++)
				return "more than one root element";
			stack[depth] = s + j;
			lens[depth] = k - j;
			while (k < n && s[k] != '>') {
				if (s[k] == '"') {
					const char *q = memchr(s + k + 1, '"', n - k - 1);
					if (!q)
						return "unterminated attribute";
					if (memchr(s + k + 1, '<', (size_t)(q - s - k - 1)))
						return "'<' in an attribute";
					k = (size_t)(q - s) + 1;
					continue;
				}
				if (s[k] == '=' && s[k + 1] != '"')
					return "unquoted attribute";
				if (s[k] == '/' && s[k + 1] == '>')
					self = 1;
				k++;
			}
			if (k >= n)
				return "unterminated tag";
			if (!self && ++depth >= 64)
				return "nesting too deep";
			i = k + 1;
		}
	}
	return depth ? "unclosed element" : (root ? NULL : "no root element");
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_pictures(void **state)
{
	char *slice = pmm_test_source_path(SLICE);
	struct pmm_replay_opts o = { .max_events = sanitizer() ? 20000 : 0 };
	struct pmm_svg_chart_opts co = { .subtitle = "a <test> & more" };
	struct pmm_replay *r;
	struct pmm_config cfg;
	const char *why;
	char *svg;
	size_t len;
	FILE *f;

	(void)state;
	config_from(&cfg, guest_config);
	assert_int_equal(pmm_replay_create(&r, NULL, &cfg, &o), 0);
	if (pmm_replay_file(r, slice))
		fail_msg("%s", pmm_replay_errmsg(r));
	assert_int_equal(pmm_replay_finish(r), 0);

	f = open_memstream(&svg, &len);
	assert_int_equal(pmm_svg_memory_map(pmm_replay_machine(r), f, NULL), 0);
	fclose(f);
	if ((why = xml_check(svg, len)))
		fail_msg("memory map is not well-formed XML: %s", why);
	/* 0x1000..0x3ffdcfff: pageblocks 0..511, every one holding memory. */
	assert_int_equal(count(svg, "class=\"pb\""), 512);
	assert_non_null(strstr(svg, ">Node 0<"));
	assert_non_null(strstr(svg, ">zone DMA</tspan>"));
	assert_non_null(strstr(svg, ">zone DMA32</tspan>"));
	assert_int_equal(count(svg, "class=\"zone\""), 2);
	assert_non_null(strstr(svg, ">Unmovable<"));
	assert_non_null(strstr(svg, ">Movable<"));
	assert_non_null(strstr(svg, ">reserved<"));
	assert_non_null(strstr(svg, ">0x038000000<"));
	/* The reserved kernel image 0x34400000-0x35dfffff is 13 dark pageblocks. */
	assert_int_equal(count(svg, "fill=\"#4d4d4d\"><title>"), 13);
	free(svg);

	f = open_memstream(&svg, &len);
	assert_int_equal(pmm_svg_frag_chart(pmm_replay_result(r), f, &co), 0);
	fclose(f);
	if ((why = xml_check(svg, len)))
		fail_msg("chart is not well-formed XML: %s", why);
	assert_int_equal(count(svg, "class=\"order\""), PMM_MAX_ORDER);
	assert_int_equal(count(svg, "class=\"blocks\""), PMM_MAX_ORDER);
	assert_int_equal(count(svg, "class=\"unusable\""), 3);
	assert_non_null(strstr(svg, "a &lt;test&gt; &amp; more"));
	assert_non_null(strstr(svg, ">trace time (s)<"));
	assert_non_null(strstr(svg, ">free memory (MiB)<"));
	if (!sanitizer()) {
		assert_int_equal(count(svg, "<path class=\"phase\""), 5);
		assert_non_null(strstr(svg, ">00_boot_done<"));
		assert_non_null(strstr(svg, ">04_anon_4x32M<"));
	}
	free(svg);

	/* Fewer than two samples: nothing to chart. */
	{
		struct pmm_replay_result one = *pmm_replay_result(r);

		one.nr_samples = 1;
		f = open_memstream(&svg, &len);
		assert_int_equal(pmm_svg_frag_chart(&one, f, NULL), -PMM_EINVAL);
		fclose(f);
		free(svg);
	}
	pmm_replay_destroy(r);
	free(slice);
}

/* A machine too big for the rows draws several pageblocks per cell. */
static void test_map_of_a_big_machine(void **state)
{
	struct pmm *m = pmm_test_machine("mem=6G nodes=2 cpus=2", NULL);
	struct pmm_svg_map_opts o = { .title = "two nodes", .max_rows = 6 };
	const char *why;
	char *svg;
	size_t len;
	FILE *f = open_memstream(&svg, &len);

	(void)state;
	assert_int_equal(pmm_svg_memory_map(m, f, &o), 0);
	fclose(f);
	if ((why = xml_check(svg, len)))
		fail_msg("not well-formed XML: %s", why);
	assert_non_null(strstr(svg, ">Node 0<"));
	assert_non_null(strstr(svg, ">Node 1<"));
	/* 48 rows of 64 pageblocks would be needed: 8 pageblocks (16 MiB) per cell make 6. */
	assert_non_null(strstr(svg, "(8 pageblocks per cell"));
	assert_non_null(strstr(svg, "one cell = 16 MiB"));
	assert_non_null(strstr(svg, ">zone Normal</tspan>"));
	assert_non_null(strstr(svg, ">two nodes<"));
	free(svg);
	pmm_destroy(m);
}

/* map_svg() - @m's map with @o into a string (caller frees); its status in *@err. */
static char *map_svg(struct pmm *m, const struct pmm_svg_map_opts *o, int *err)
{
	char *svg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&svg, &len);
	const char *why;

	assert_non_null(f);
	*err = pmm_svg_memory_map(m, f, o);
	fclose(f);
	if (!*err && (why = xml_check(svg, len)))
		fail_msg("not well-formed XML: %s", why);
	return svg;
}

/* Any column count: rows start at multiples of their span, not of 128 MiB. */
static void test_map_columns(void **state)
{
	struct pmm *m = pmm_test_machine("mem=1G cpus=2", NULL);
	struct pmm_svg_map_opts o = { .columns = 48 };
	char *svg;
	int err;

	(void)state;
	svg = map_svg(m, &o, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(svg, "one cell = 2 MiB (a pageblock), one row = 96 MiB"));
	/* the second row starts at 96 MiB: 0x6000000, the third at 192 MiB */
	assert_non_null(strstr(svg, ">0x006000000<"));
	assert_non_null(strstr(svg, ">0x00c000000<"));
	assert_null(strstr(svg, ">0x008000000<"));
	free(svg);
	/* one pageblock a row: 512 rows for 1 GiB, more than 256, so 2 per cell */
	o = (struct pmm_svg_map_opts){ .columns = 1 };
	svg = map_svg(m, &o, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(svg, "one cell = 4 MiB"));
	free(svg);
	o = (struct pmm_svg_map_opts){ .columns = 4097 };
	svg = map_svg(m, &o, &err);
	assert_int_equal(err, -PMM_EINVAL);
	assert_true(svg == NULL || svg[0] == 0);
	free(svg);
	pmm_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_capture),
		cmocka_unit_test(test_trace_cmd_report),
		cmocka_unit_test(test_trace_dat_equals_report),
		cmocka_unit_test(test_shipped_slice),
		cmocka_unit_test(test_shipped_slice_is_the_capture),
		cmocka_unit_test(test_shipped_slice_codecs),
		cmocka_unit_test(test_decimal_pfn_trace),
		cmocka_unit_test(test_perf_script_trace),
		cmocka_unit_test(test_perf_script_capture),
		cmocka_unit_test(test_machine_from_real_capture),
		cmocka_unit_test(test_machine_from_boot_log),
		cmocka_unit_test(test_machine_from_odd_node_line),
		cmocka_unit_test(test_machine_from_log_variants),
		cmocka_unit_test(test_machine_from_zoneinfo),
		cmocka_unit_test(test_machine_from_node_cpus),
		cmocka_unit_test(test_machine_from_shipped_captures),
		cmocka_unit_test(test_machine_from_other_kernels),
		cmocka_unit_test(test_capture_release),
		cmocka_unit_test(test_node_of_frame),
		cmocka_unit_test(test_explicit_drains),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_partial_frees),
		cmocka_unit_test(test_refusals_and_lost_frees),
		cmocka_unit_test(test_pre_3_3_trace),
		cmocka_unit_test(test_page_owner_identity),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_callers_machine),
		cmocka_unit_test(test_replay_skips_zeroing),
		cmocka_unit_test(test_replay_nofail),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_trace_writer),
		cmocka_unit_test(test_trace_writer_perf),
		cmocka_unit_test(test_pictures),
		cmocka_unit_test(test_map_of_a_big_machine),
		cmocka_unit_test(test_map_columns),
	};

	/* PMM_TEST_FILTER=test_machine_from_* runs only those (a glob). */
	if (getenv("PMM_TEST_FILTER"))
		cmocka_set_test_filter(getenv("PMM_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
