// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for pmm's own walk of a trace.dat
 * (src/report/trace_dat_check.c), in this process and without
 * libtracecmd: pmm_trace_open_dat() runs it in a child process, whose
 * coverage fuzz_trace_dat cannot see, so this target is what guides the
 * fuzzer through it.  Any bytes either pass, are "not a trace.dat", or are
 * refused with a reason; never a crash, leak, hang, huge allocation or
 * undefined behaviour.  A file that passes also has its CPU data checked
 * against the two ring-buffer page headers libtracecmd reads (commit
 * field of 8 bytes on 64-bit kernels, 4 on 32-bit ones).
 *
 * The input is a memfd named by /proc/self/fd, as for fuzz_trace_dat.
 * Seeds: tests/fuzz/seeds/trace_dat_check/, the same files as trace_dat's.
 */
#define _GNU_SOURCE /* memfd_create() */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_file.h"

#include <pmm/errno.h>

#include "report/trace_dat_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef PMM_HAVE_TRACECMD
/* A refusal comes with a reason. */
static void check_refusal(int r, const char *why)
{
	if (r < 0 && !why[0]) {
		fprintf(stderr, "refused (%d) with no reason\n", r);
		abort();
	}
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef PMM_HAVE_TRACECMD
	char path[64], why[256] = "";
	struct dat_layout lay;
	int fd = fuzz_input_file("trace.dat", data, size, path, sizeof(path)), r;

	if (fd < 0)
		return 0;
	memset(&lay, 0, sizeof(lay));
	r = trace_dat_check_file(path, &lay, why, sizeof(why));
	check_refusal(r, why);
	if (r == 1)
		for (int commit = 4; commit <= 8; commit += 4) {
			why[0] = '\0';
			check_refusal(trace_dat_check_cpu_data(path, &lay, 8, commit, why, sizeof(why)),
				      why);
		}
	trace_dat_layout_free(&lay);
	close(fd);
#else
	(void)data;
	(void)size;
#endif
	return 0;
}
