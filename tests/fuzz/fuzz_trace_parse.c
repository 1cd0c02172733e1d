// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the kmem trace text parser, the formatter and the
 * gfp parser.  Any input must parse (events or errors) without a crash,
 * leak or undefined behaviour; every kmem event it yields must print, the
 * printed body must parse back to the same fields, and so must the whole
 * line printed as perf script does (for a comm perf's layout can carry).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/errno.h>
#include <pmm/gfp.h>
#include <pmm/trace.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const struct pmm_trace_event *ev)
{
	static const char hdr[] = "x-1 [000] 1.000000: ";
	char line[4096], body[4000];
	struct pmm_trace_parser *p;
	struct pmm_trace_event back;
	const char *name = pmm_trace_kind_name((enum pmm_trace_kind)ev->kind);
	size_t n = pmm_trace_format_body(body, sizeof(body), ev, PMM_KVER_6_1);
	int len;

	if (n >= sizeof(body))
		return;
	len = snprintf(line, sizeof(line), "%s%s: %s\n", hdr, name, body);
	if (pmm_trace_open_mem(&p, "fmt", line, (size_t)len, NULL) != 0)
		abort();
	if (pmm_trace_next(p, &back) != 1)
		abort();
	if (back.kind != ev->kind || back.pfn != ev->pfn || back.order != ev->order ||
	    back.page != ev->page || back.page_fmt != ev->page_fmt ||
	    back.migratetype != ev->migratetype || back.gfp != ev->gfp ||
	    back.pfn_dec != ev->pfn_dec || back.has_cold != ev->has_cold || back.cold != ev->cold)
		abort();
	pmm_trace_close(p);
}

/*
 * A comm perf's "<comm> <tid> [cpu]" can carry unambiguously: not empty,
 * no blank at either end, no '['.
 */
static int perf_comm_ok(const char *comm)
{
	size_t n = strlen(comm);

	return n > 0 && comm[0] != ' ' && comm[0] != '\t' && comm[n - 1] != ' ' &&
	       comm[n - 1] != '\t' && !strchr(comm, '[');
}

static void check_perf_line(const struct pmm_trace_event *ev)
{
	char line[4096];
	struct pmm_trace_parser *p;
	struct pmm_trace_event back;
	size_t n = pmm_trace_format_line(line, sizeof(line) - 1, ev, PMM_TRACE_STYLE_PERF,
					 PMM_KVER_6_1);

	if (n >= sizeof(line) - 1 || !perf_comm_ok(ev->comm))
		return;
	line[n] = '\n';
	if (pmm_trace_open_mem(&p, "perf", line, n + 1, NULL) != 0)
		abort();
	if (pmm_trace_next(p, &back) != 1)
		abort();
	if (back.style != PMM_TRACE_STYLE_PERF || back.kind != ev->kind || back.pfn != ev->pfn ||
	    back.order != ev->order || back.gfp != ev->gfp || back.cpu != ev->cpu ||
	    back.pid != ev->pid || back.tgid != ev->tgid || strcmp(back.comm, ev->comm) != 0)
		abort();
	pmm_trace_close(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	char buf[8192];
	int r, budget = 100000;
	pmm_gfp_t g;

	if (pmm_gfp_parse((const char *)data, size, &g) == 0) {
		pmm_gfp_format(buf, sizeof(buf), g, PMM_KVER_6_12);
		pmm_gfp_format_trace(buf, 16, g, PMM_KVER_6_6);
	}
	if (pmm_trace_open_mem(&p, "fuzz", data, size, NULL) != 0)
		return 0;
	while ((r = pmm_trace_next(p, &ev)) != 0 && budget-- > 0) {
		if (r == -PMM_EIO || r == -PMM_ENOMEM)
			break;
		if (r < 0) {
			if (!strstr(pmm_trace_errmsg(p), "fuzz:"))
				abort();
			continue;
		}
		pmm_trace_format_line(buf, sizeof(buf), &ev, PMM_TRACE_STYLE_FTRACE, PMM_KVER_6_1);
		pmm_trace_format_line(buf, 7, &ev, PMM_TRACE_STYLE_REPORT, PMM_KVER_6_12);
		/*
		 * A pfn= read as a byte offset prints back as one, and a line
		 * alone cannot say it is one (test_libtraceevent_byte_offsets
		 * round-trips whole texts of them).
		 */
		if (ev.kind <= PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG && !ev.pfn_bytes) {
			check_body(&ev);
			check_perf_line(&ev);
		}
	}
	pmm_trace_close(p);
	return 0;
}
