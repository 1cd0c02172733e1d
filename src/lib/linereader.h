/* SPDX-License-Identifier: MIT */
/*
 * linereader: buffered reading of text one line at a time, for every text
 * parser in pmm (traces, page_owner dumps, /proc snapshots, configs).
 *
 * Sources: a file path ("-" for standard input) or a memory buffer.  The
 * input may be plain, zstd (libzstd), xz (liblzma) or gzip (zlib, when
 * built with PMM_HAVE_ZLIB), concatenated frames or streams included; the
 * format is detected from the first bytes, not the name, so a compressed
 * stream on stdin works too.
 *
 * A line is returned as pointer + length without its '\n' (and without a
 * trailing '\r'); it is not NUL-terminated and stays valid until the next
 * call.  Plain memory input is not copied.  A final line without '\n' is
 * still a line.  A line longer than the limit is skipped whole and reported
 * as -PMM_E2BIG, with the line number counted, so a caller can go on.
 *
 * Locking: none; one reader belongs to one thread at a time.
 */
#ifndef PMM_LIB_LINEREADER_H
#define PMM_LIB_LINEREADER_H

#include <stddef.h>
#include <stdint.h>

struct linereader;

/* Longest line returned; longer ones give -PMM_E2BIG. */
#define LINEREADER_MAX_LINE (1u << 20)

enum linereader_codec {
	LINEREADER_PLAIN,
	LINEREADER_XZ,
	LINEREADER_GZIP,
	LINEREADER_ZSTD,
};

/*
 * linereader_open_path() - read the file at @path ("-" = standard input).
 * @msg, @msglen: receive "path: reason" on failure (may be NULL).
 * Return: 0, -PMM_ENOENT/-PMM_EPERM/-PMM_EISDIR/-PMM_EIO (cannot open or read),
 * -PMM_ENOSYS (gzip input without zlib), -PMM_ENOMEM.
 */
int linereader_open_path(struct linereader **out, const char *path, char *msg, size_t msglen);

/*
 * linereader_open_mem() - read @len bytes at @data, which must outlive the
 * reader.  @name is used in messages.  Errors as linereader_open_path().
 */
int linereader_open_mem(struct linereader **out, const char *name, const void *data, size_t len,
			char *msg, size_t msglen);

/*
 * linereader_next() - the next line.
 * Return: 1 with *@line and *@len set, 0 at end of input, -PMM_E2BIG for an
 * over-long line (skipped; call again), or a sticky -PMM_EIO (read error,
 * corrupt or truncated compressed data) / -PMM_ENOMEM.
 */
int linereader_next(struct linereader *lr, const char **line, size_t *len);

/*
 * linereader_read() - up to @n decoded bytes into @dst, for binary input
 * (/proc/kpageflags): not to be mixed with linereader_next() on one reader.
 * Return: the bytes copied (fewer than @n only at the end of input, 0
 * there), or a sticky -PMM_EIO / -PMM_ENOMEM as linereader_next().
 */
long linereader_read(struct linereader *lr, void *dst, size_t n);

/* Number of the line last returned (1-based). */
unsigned long linereader_lineno(const struct linereader *lr);

/* The name given at open ("<stdin>" for "-"). */
const char *linereader_name(const struct linereader *lr);

/* Decoded bytes consumed so far. */
uint64_t linereader_bytes(const struct linereader *lr);

/* What the input was compressed with. */
enum linereader_codec linereader_codec(const struct linereader *lr);

/* Text of the last sticky error ("corrupt xz data"), or "" . */
const char *linereader_errmsg(const struct linereader *lr);

void linereader_close(struct linereader *lr);

#endif
