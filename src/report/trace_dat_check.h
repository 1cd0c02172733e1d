/* SPDX-License-Identifier: MIT */
/*
 * Checks of a trace.dat that pmm makes before libtracecmd/libtraceevent see
 * it: these libraries trust the file's sizes, offsets and formats, and a
 * damaged file makes them allocate whatever a size field says, read past
 * their buffers, or divide by zero.  trace_dat.c calls them; they read the
 * file themselves (pread, and libzstd/zlib for compressed sections).
 */
#ifndef PMM_REPORT_TRACE_DAT_CHECK_H
#define PMM_REPORT_TRACE_DAT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dat_cpu_data {
	uint64_t off, size;  /* in the file; size 0: no data */
};

/* What the walk found: the file as libtracecmd will set it up. */
struct dat_layout {
	int version;               /* 6 or 7 */
	bool big_endian;
	uint64_t page_size;        /* ring-buffer page size from the file header */
	bool compressed;           /* v7: CPU data in compressed chunks */
	char compression[16];      /* v7: "none", "zstd" or "zlib" */
	int cpus;                  /* CPU data entries libtracecmd sets up */
	char release[65];          /* the kernel's release from the UNAME option, or "" */
	struct dat_cpu_data *cpu;  /* [cpus], malloc'd */
};

/*
 * trace_dat_check_file() - walk the trace.dat at @path as libtracecmd will
 * read its headers: every size and offset within the file (or within its
 * decompressed section), every option libtracecmd decodes well formed, and
 * no event print format that libtraceevent divides by zero when it parses
 * it.  Fills @lay (free with trace_dat_layout_free()).
 * Return: 1 when the file passes, 0 when it is not a trace.dat of version
 * 6 or 7 (libtracecmd refuses those itself), -PMM_EBADMSG with a reason in
 * @why, or another negative pmm errno (-PMM_ENOMEM, an I/O error).
 */
int trace_dat_check_file(const char *path, struct dat_layout *lay, char *why, size_t whylen);

/*
 * trace_dat_check_cpu_data() - check the CPU data of a file that passed
 * trace_dat_check_file() against the ring-buffer page header libtraceevent
 * read (@ts_size: timestamp bytes, @commit_size: commit field bytes): data
 * inside the file, whole pages, every page's commit size within the page;
 * compressed chunks inside their section, each decompressing to what it
 * says.  Return: 0, or -PMM_EBADMSG with a reason in @why.
 */
int trace_dat_check_cpu_data(const char *path, const struct dat_layout *lay, int ts_size,
			     int commit_size, char *why, size_t whylen);

void trace_dat_layout_free(struct dat_layout *lay);

/*
 * trace_dat_format_divides() - whether the event format text @fmt (@len
 * bytes) has a print argument that libtraceevent divides by zero while it
 * parses it: a '/' or '%' whose divisor is a lone token libtraceevent takes
 * as a number, and that number is 0 (a literal 0, a name, a string).
 * Return: true with the divisor quoted in @why.
 */
bool trace_dat_format_divides(const char *fmt, size_t len, char *why, size_t whylen);

#endif
