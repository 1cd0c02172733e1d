// SPDX-License-Identifier: MIT
/*
 * pmm owner-sort: the command around pmm_owner_sort_run().
 *
 * Opens INPUT ("-" = stdin; xz-compressed input, recognised by its magic, is
 * decompressed on the fly through a stdio cookie so that the dump
 * is still streamed), and writes the report to OUTPUT or stdout.  OUTPUT is
 * opened only once the report is known good (see lazy_out), so a rejected
 * input never clobbers an existing report.
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
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/owner_sort.h>

#include "commands.h"

/* --help: the option list of the tool --kver chose. */
static void usage(FILE *f, enum pmm_kver kver)
{
	bool v612 = kver == PMM_KVER_6_12;

	fputs("Usage: pmm owner-sort [OPTIONS] INPUT [OUTPUT]\n"
	      "Sort, filter and cull a page_owner dump (/sys/kernel/debug/page_owner) exactly\n"
	      "like the kernel's page_owner_sort: Linux 6.1's tools/vm/page_owner_sort (6.6's\n"
	      "is the same) or, with --kver 6.12, Linux 6.12's tools/mm/page_owner_sort.\n"
	      "INPUT may be - (stdin) and may be xz-compressed; the report goes to OUTPUT,\n"
	      "or stdout.\n"
	      "\n"
	      "--kver <release>\tThe kernel whose tool and dump format to use, as uname -r\n"
	      "\t\t\tprints it (6.1, 6.8.0-31-generic, 6.12): before 6.8 the\n"
	      "\t\t\t6.1 tool, from 6.8 the new one.  (The kernel changed it\n"
	      "\t\t\tafter 6.6: for any dump without free_ts, say 6.12.)\n"
	      "\t\t\t--kver 6.12 --help lists that tool's options.\n",
	      f);
	fputs(v612 ? "\nLinux 6.12's tool:\n" : "\nLinux 6.1's tool (the default):\n", f);
	fputs("-a\t\t\tSort by memory allocation time.\n"
	      "-m\t\t\tSort by total memory.\n"
	      "-n\t\t\tSort by task command name.\n"
	      "-p\t\t\tSort by pid.\n"
	      "-P\t\t\tSort by tgid.\n",
	      f);
	if (!v612)
		fputs("-r\t\t\tSort by memory release time.\n", f);
	fputs("-s\t\t\tSort by the stacktrace.\n"
	      "-t\t\t\tSort by number of times record is seen.\n",
	      f);
	if (v612)
		fputs("\t\t\tOne of these at most; without one, -t.  Unless it is -a,\n"
		      "\t\t\trecords that differ only in their ts are one entry,\n"
		      "\t\t\tprinted with \"ts  ns\".\n",
		      f);
	else
		fputs("\t\t\tThe last one counts.  Without one records come in text\n"
		      "\t\t\torder; --cull without one sorts by times.\n"
		      "-f\t\t\tFilter out the information of blocks whose memory has\n"
		      "\t\t\tbeen released.\n",
		      f);
	fputs("-d\t\t\tPrint debug information (with --lenient).\n"
	      "--pid <pidlist>\t\tSelect by pid. This selects the information of\n"
	      "\t\t\tblocks whose process ID numbers appear in <pidlist>.\n"
	      "--tgid <tgidlist>\tSelect by tgid. This selects the information of\n"
	      "\t\t\tblocks whose Thread Group ID numbers appear in <tgidlist>.\n"
	      "--name <cmdlist>\tSelect by command name. This selects the information\n"
	      "\t\t\tof blocks whose command name appears in <cmdlist>.\n"
	      "--cull <rules>\t\tCull by user-defined rules. <rules> is a comma-separated\n",
	      f);
	if (v612)
		fputs("\t\t\tlist of: pid/p, tgid/tg, name/n, stacktrace/st,\n"
		      "\t\t\tallocator/ator.\n"
		      "--sort <order>\t\tChecked as the tool checks it ([+|-]key[,...] with keys\n"
		      "\t\t\tpid/p, tgid/tg, name/n, stacktrace/st, txt/T, alloc_ts/at,\n"
		      "\t\t\tallocator/ator), then overridden by the sort option\n"
		      "\t\t\tabove, as in the tool: it has no effect.\n",
		      f);
	else
		fputs("\t\t\tlist of: pid/p, tgid/tg, name/n, stacktrace/st, free/f,\n"
		      "\t\t\tallocator/ator.\n"
		      "--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]] with\n"
		      "\t\t\tkeys pid/p, tgid/tg, name/n, stacktrace/st, txt/T,\n"
		      "\t\t\talloc_ts/at, free_ts/ft, allocator/ator.\n",
		      f);
	fputs("--lenient\t\tAccept any input as the kernel tool does, instead of\n"
	      "\t\t\trejecting malformed dumps, or another kernel's, with\n"
	      "\t\t\tfile:line: reason.\n"
	      "--help\t\t\tShow this help.\n"
	      "\n"
	      "Exit status: 0 ok, 1 I/O error, 2 usage (where the kernel's tool prints its\n"
	      "usage and exits 1), 65 malformed input.\n",
	      f);
}

/* ------------------------------------------------------------ input */

/*
 * INPUT goes through one stdio cookie: its first bytes are read ahead to
 * look for the xz magic (this works on pipes, where nothing can be pushed
 * back), then either replayed and passed through, or fed to liblzma.
 */
struct in_cookie {
	FILE *raw;
	bool xz;
	bool done;
	bool corrupt;
	lzma_stream strm;
	uint8_t inbuf[1 << 16];
};

static ssize_t plain_read(struct in_cookie *c, char *buf, size_t size)
{
	size_t got;

	if (c->strm.avail_in) {
		got = c->strm.avail_in < size ? c->strm.avail_in : size;
		memcpy(buf, c->strm.next_in, got);
		c->strm.next_in += got;
		c->strm.avail_in -= got;
		return (ssize_t)got;
	}
	got = fread(buf, 1, size, c->raw);
	if (got == 0 && ferror(c->raw)) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)got;
}

static ssize_t in_read(void *cookie, char *buf, size_t size)
{
	struct in_cookie *c = cookie;

	if (!c->xz)
		return plain_read(c, buf, size);
	if (c->done || size == 0)
		return 0;
	c->strm.next_out = (uint8_t *)buf;
	c->strm.avail_out = size;
	while (c->strm.avail_out == size) {
		lzma_action action = LZMA_RUN;
		lzma_ret r;

		if (c->strm.avail_in == 0) {
			size_t got = fread(c->inbuf, 1, sizeof(c->inbuf), c->raw);

			if (got == 0 && ferror(c->raw)) {
				errno = EIO;
				return -1;
			}
			c->strm.next_in = c->inbuf;
			c->strm.avail_in = got;
			if (got == 0)
				action = LZMA_FINISH;
		}
		r = lzma_code(&c->strm, action);
		if (r == LZMA_STREAM_END) {
			c->done = true;
			break;
		}
		if (r != LZMA_OK) {
			c->corrupt = true;
			errno = EIO;
			return -1;
		}
	}
	return (ssize_t)(size - c->strm.avail_out);
}

static int in_close(void *cookie)
{
	struct in_cookie *c = cookie;

	if (c->xz)
		lzma_end(&c->strm);
	return 0;
}

/* Wrap raw; NULL on failure (errno set). */
static FILE *open_input(struct in_cookie *c, FILE *raw)
{
	static const uint8_t magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	cookie_io_functions_t io = { .read = in_read, .close = in_close };
	lzma_stream init = LZMA_STREAM_INIT;
	size_t got;

	c->raw = raw;
	c->strm = init;
	errno = 0;
	got = fread(c->inbuf, 1, sizeof(magic), raw);
	if (got == 0 && ferror(raw)) {
		if (!errno) /* keep the read's own reason (EISDIR for a directory) */
			errno = EIO;
		return NULL;
	}
	c->strm.next_in = c->inbuf;
	c->strm.avail_in = got;
	if (got == sizeof(magic) && memcmp(c->inbuf, magic, sizeof(magic)) == 0) {
		if (lzma_stream_decoder(&c->strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			errno = ENOMEM;
			return NULL;
		}
		c->strm.next_in = c->inbuf;
		c->strm.avail_in = got;
		c->xz = true;
	}
	return fopencookie(c, "r", io);
}

/* ------------------------------------------------------------ output */

/*
 * OUTPUT is opened (created, truncated) on the first write, or at the end of
 * a successful run that wrote nothing: the library writes only after the
 * whole input was accepted, so a rejected input leaves OUTPUT untouched.
 */
struct lazy_out {
	const char *path;
	int fd;
};

static int lazy_open(struct lazy_out *o)
{
	if (o->fd < 0)
		o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	return o->fd;
}

static ssize_t lazy_write(void *cookie, const char *buf, size_t size)
{
	struct lazy_out *o = cookie;
	size_t done = 0;

	if (lazy_open(o) < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(o->fd, buf + done, size - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int lazy_close(void *cookie)
{
	struct lazy_out *o = cookie;

	if (o->fd >= 0 && close(o->fd) != 0)
		return -1;
	o->fd = -1;
	return 0;
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
	struct in_cookie *xz = NULL;
	struct lazy_out lazy = { .path = NULL, .fd = -1 };
	FILE *out;

	pmm_owner_sort_opts_init(&opts);
	ret = pmm_owner_sort_parse_args(&opts, argc, argv, operands, 2, &nr, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "pmm owner-sort: %s\nRun 'pmm owner-sort --help' for usage.\n", err);
		return EXIT_USAGE;
	}
	if (opts.help) {
		usage(stdout, opts.kver);
		return 0;
	}
	if (nr < 1) {
		fprintf(stderr, "pmm owner-sort: missing INPUT\nRun 'pmm owner-sort --help' for usage.\n");
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
	xz = calloc(1, sizeof(*xz));
	in = xz ? open_input(xz, raw) : NULL;
	if (!in) {
		fprintf(stderr, "pmm owner-sort: %s: %s\n", name, strerror(errno));
		if (xz && xz->xz)
			lzma_end(&xz->strm);
		free(xz);
		if (raw != stdin)
			fclose(raw);
		return 1;
	}

	if (nr > 1 && strcmp(operands[1], "-") != 0) {
		cookie_io_functions_t io = { .write = lazy_write, .close = lazy_close };

		lazy.path = operands[1];
		out = fopencookie(&lazy, "w", io);
		if (!out) {
			fprintf(stderr, "pmm owner-sort: %s: %s\n", operands[1], strerror(errno));
			status = 1;
			goto close_in;
		}
	} else {
		out = stdout;
	}

	ret = pmm_owner_sort_run(&opts, in, name, out, err, sizeof(err));
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
	if (out == stdout) {
		if (fflush(stdout) != 0 && status == 0) {
			fprintf(stderr, "pmm owner-sort: <stdout>: %s\n", strerror(errno));
			status = 1;
		}
	} else {
		/* an empty report still creates or truncates OUTPUT */
		if (status == 0 && lazy_open(&lazy) < 0) {
			fprintf(stderr, "pmm owner-sort: %s: %s\n", lazy.path, strerror(errno));
			status = 1;
		}
		if (fclose(out) != 0 && status == 0) {
			fprintf(stderr, "pmm owner-sort: %s: %s\n", lazy.path, strerror(errno));
			status = 1;
		}
	}
close_in:
	fclose(in);
	free(xz);
	if (raw != stdin)
		fclose(raw);
	return status;
}
