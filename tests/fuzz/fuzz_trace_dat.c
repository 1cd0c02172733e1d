// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the trace.dat reader (libtracecmd/libtraceevent
 * behind pmm's own checks, in the child process pmm_trace_open_dat()
 * starts): any bytes either open and read to their end, records in error
 * reported with a message, or are refused at open with a message naming
 * the file; never a crash, hang, leak, huge allocation or undefined
 * behaviour in the caller's process.  The child's own coverage is not
 * libFuzzer's to see, so this target explores by the seeds and the
 * caller's side; a crash in the child ends as a refusal with a message,
 * which is what a user gets.
 *
 * The input is handed over as a file, a memfd named by /proc/self/fd.
 * Seeds: tests/fuzz/seeds/trace_dat/ (version 6 and 7 files, plain and
 * zstd-compressed, cut from a real capture).
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
#include <pmm/trace.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/*
 * libtraceevent leaks what it had parsed of an event format it gives up on,
 * and libtracecmd parts of a handle it fails to open; pmm cannot free
 * those.  Leaks with either library on their allocation stack are theirs.
 */
const char *__lsan_default_suppressions(void)
{
	return "leak:libtraceevent.so\nleak:libtracecmd.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], msg[512];
	struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = sizeof(msg) };
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	int fd = fuzz_input_file("trace.dat", data, size, path, sizeof(path)), r;
	long n = 0;

	if (fd < 0)
		return 0;
	msg[0] = '\0';
	r = pmm_trace_open_dat(&p, path, &opts);
	if (r == 0) {
		while ((r = pmm_trace_next(p, &ev)) != 0) {
			if (r < 0 && (r != -PMM_EBADMSG || !pmm_trace_errmsg(p)[0]))
				abort();
			/* a record is at least 4 bytes of a page: no more records than bytes */
			if (++n > (long)size)
				abort();
		}
		pmm_trace_get_stats(p, &st);
		pmm_trace_close(p);
	} else if (r == -PMM_ENOSYS) {
		/* built without libtracecmd: nothing to fuzz */
	} else if (r != -PMM_EBADMSG || !strstr(msg, path)) {
		fprintf(stderr, "open: %d %s\n", r, msg);
		abort();
	}
	close(fd);
	return 0;
}
