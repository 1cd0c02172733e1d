// SPDX-License-Identifier: MIT
/*
 * pmm owner-sort: the command around pmm_owner_sort_run().
 *
 * Opens INPUT ("-" = stdin; xz-compressed input, by magic or by a ".xz"
 * name, is decompressed on the fly through a stdio cookie so that the dump
 * is still streamed), and writes the report to OUTPUT or stdout.  A named
 * OUTPUT is written to a temporary file beside it and renamed into place
 * only on success, so a rejected input never clobbers an existing report.
 *
 * Exit status: 0 ok, 1 I/O or memory failure, 2 usage, 65 bad input.
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/owner_sort.h>

#include "commands.h"

static void usage(FILE *f)
{
	fputs("Usage: pmm owner-sort [OPTIONS] INPUT [OUTPUT]\n"
	      "Sort, filter and cull a page_owner dump (/sys/kernel/debug/page_owner) exactly\n"
	      "like Linux 6.1's tools/vm/page_owner_sort.  INPUT may be - (stdin) and may be\n"
	      "xz-compressed; the report goes to OUTPUT, or stdout.\n"
	      "\n"
	      "-a\t\t\tSort by memory allocation time.\n"
	      "-m\t\t\tSort by total memory.\n"
	      "-n\t\t\tSort by task command name.\n"
	      "-p\t\t\tSort by pid.\n"
	      "-P\t\t\tSort by tgid.\n"
	      "-r\t\t\tSort by memory release time.\n"
	      "-s\t\t\tSort by the stacktrace.\n"
	      "-t\t\t\tSort by number of times record is seen.\n"
	      "\t\t\tWithout a sort option records come in text order, as in 6.1;\n"
	      "\t\t\t--cull without one sorts by times.\n"
	      "-f\t\t\tFilter out the information of blocks whose memory has\n"
	      "\t\t\tbeen released.\n"
	      "-d\t\t\tPrint debug information (with --lenient).\n"
	      "--pid <pidlist>\t\tSelect by pid. This selects the information of\n"
	      "\t\t\tblocks whose process ID numbers appear in <pidlist>.\n"
	      "--tgid <tgidlist>\tSelect by tgid. This selects the information of\n"
	      "\t\t\tblocks whose Thread Group ID numbers appear in <tgidlist>.\n"
	      "--name <cmdlist>\tSelect by command name. This selects the information\n"
	      "\t\t\tof blocks whose command name appears in <cmdlist>.\n"
	      "--cull <rules>\t\tCull by user-defined rules. <rules> is a comma-separated\n"
	      "\t\t\tlist of: pid/p, tgid/tg, name/n, stacktrace/st, free/f,\n"
	      "\t\t\tallocator/ator.\n"
	      "--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]] with\n"
	      "\t\t\tkeys pid/p, tgid/tg, name/n, stacktrace/st, txt/T,\n"
	      "\t\t\talloc_ts/at, free_ts/ft, allocator/ator.\n"
	      "--lenient\t\tAccept any input as the kernel tool does, instead of\n"
	      "\t\t\trejecting malformed dumps with file:line: reason.\n"
	      "--help\t\t\tShow this help.\n"
	      "\n"
	      "Exit status: 0 ok, 1 I/O error, 2 usage, 65 malformed input.\n",
	      f);
}

/* ------------------------------------------------------------ xz input */

struct xz_cookie {
	FILE *raw;
	lzma_stream strm;
	uint8_t inbuf[1 << 16];
	bool done;
	bool corrupt;
	bool io_error;
};

static ssize_t xz_read(void *cookie, char *buf, size_t size)
{
	struct xz_cookie *x = cookie;

	if (x->done || size == 0)
		return 0;
	x->strm.next_out = (uint8_t *)buf;
	x->strm.avail_out = size;
	while (x->strm.avail_out == size) {
		lzma_action action = LZMA_RUN;
		lzma_ret r;

		if (x->strm.avail_in == 0) {
			size_t got = fread(x->inbuf, 1, sizeof(x->inbuf), x->raw);

			if (got == 0 && ferror(x->raw)) {
				x->io_error = true;
				errno = EIO;
				return -1;
			}
			x->strm.next_in = x->inbuf;
			x->strm.avail_in = got;
			if (got == 0)
				action = LZMA_FINISH;
		}
		r = lzma_code(&x->strm, action);
		if (r == LZMA_STREAM_END) {
			x->done = true;
			break;
		}
		if (r != LZMA_OK) {
			x->corrupt = true;
			errno = EIO;
			return -1;
		}
	}
	return (ssize_t)(size - x->strm.avail_out);
}

static int xz_close(void *cookie)
{
	struct xz_cookie *x = cookie;

	lzma_end(&x->strm);
	return 0;
}

static bool has_xz_magic(FILE *f)
{
	static const unsigned char magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	unsigned char head[6];
	size_t got;
	long pos = ftell(f);

	if (pos < 0)
		return false; /* not seekable (a pipe): rely on the name */
	got = fread(head, 1, sizeof(head), f);
	if (fseek(f, pos, SEEK_SET) != 0)
		return false;
	return got == sizeof(head) && memcmp(head, magic, sizeof(head)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ------------------------------------------------------------ output */

struct output {
	FILE *f;
	char *tmp;        /* temporary path, renamed to final on success */
	const char *final;
};

static int open_output(struct output *o, const char *path)
{
	const char *slash;
	int fd;
	mode_t mask;

	o->final = path;
	o->tmp = NULL;
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	slash = strrchr(path, '/');
	if (asprintf(&o->tmp, "%.*s.pmm-owner-sort.XXXXXX", slash ? (int)(slash - path + 1) : 0,
		     path) < 0) {
		o->tmp = NULL;
		return -1;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		/* keep mkstemp's 0600: still a correct report */
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	return 0;
}

/* Close; on success move the temporary file into place. */
static int close_output(struct output *o, bool ok)
{
	int ret = 0;

	if (o->f == stdout) {
		if (fflush(stdout) != 0)
			ret = -1;
		return ret;
	}
	if (fclose(o->f) != 0)
		ret = -1;
	if (ok && ret == 0 && rename(o->tmp, o->final) != 0)
		ret = -1;
	if (!ok || ret != 0)
		unlink(o->tmp);
	free(o->tmp);
	return ret;
}

/* ------------------------------------------------------------ main */

int cmd_owner_sort(int argc, char **argv)
{
	struct pmm_owner_sort_opts opts;
	const char *operands[2];
	const char *in_path, *name;
	char err[512];
	int nr = 0, ret, status;
	FILE *raw, *in;
	struct xz_cookie *xz = NULL;
	struct output out;

	pmm_owner_sort_opts_init(&opts);
	ret = pmm_owner_sort_parse_args(&opts, argc, argv, operands, 2, &nr, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "pmm owner-sort: %s\n", err);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.help) {
		usage(stdout);
		return 0;
	}
	if (nr < 1) {
		fprintf(stderr, "pmm owner-sort: missing INPUT\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.debug)
		opts.debug_stream = stderr;

	in_path = operands[0];
	if (!strcmp(in_path, "-")) {
		raw = stdin;
		name = "<stdin>";
	} else {
		raw = fopen(in_path, "rb");
		name = in_path;
		if (!raw) {
			fprintf(stderr, "pmm owner-sort: %s: %s\n", in_path, strerror(errno));
			return 1;
		}
	}
	in = raw;
	if (ends_with(in_path, ".xz") || has_xz_magic(raw)) {
		cookie_io_functions_t io = { .read = xz_read, .close = xz_close };

		xz = calloc(1, sizeof(*xz));
		if (!xz || lzma_stream_decoder(&xz->strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			fprintf(stderr, "pmm owner-sort: cannot start xz decoder\n");
			free(xz);
			if (raw != stdin)
				fclose(raw);
			return 1;
		}
		xz->raw = raw;
		in = fopencookie(xz, "r", io);
		if (!in) {
			fprintf(stderr, "pmm owner-sort: %s: %s\n", name, strerror(errno));
			lzma_end(&xz->strm);
			free(xz);
			if (raw != stdin)
				fclose(raw);
			return 1;
		}
	}

	if (open_output(&out, nr > 1 ? operands[1] : NULL) != 0) {
		fprintf(stderr, "pmm owner-sort: %s: %s\n", operands[1], strerror(errno));
		status = 1;
		goto close_in;
	}

	ret = pmm_owner_sort_run(&opts, in, name, out.f, err, sizeof(err));
	if (xz && xz->corrupt) {
		fprintf(stderr, "pmm owner-sort: %s: corrupt xz data\n", name);
		status = EXIT_DATAERR;
	} else if (ret == -PMM_EBADMSG) {
		fprintf(stderr, "pmm owner-sort: %s\n", err);
		status = EXIT_DATAERR;
	} else if (ret) {
		fprintf(stderr, "pmm owner-sort: %s\n", err[0] ? err : pmm_strerror(ret));
		status = 1;
	} else {
		status = 0;
	}
	if (close_output(&out, status == 0) != 0 && status == 0) {
		fprintf(stderr, "pmm owner-sort: %s: %s\n", nr > 1 ? operands[1] : "<stdout>",
			strerror(errno));
		status = 1;
	}
close_in:
	if (in != raw)
		fclose(in);
	free(xz);
	if (raw != stdin)
		fclose(raw);
	return status;
}
