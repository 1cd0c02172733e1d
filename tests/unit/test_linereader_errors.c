// SPDX-License-Identifier: MIT
/*
 * linereader on bad input: missing and unreadable files, lines at and past
 * the length limit (with and without a final newline), truncated and
 * corrupt gzip/xz/zstd streams, read errors in the middle of a file, and an
 * allocation sweep that fails every allocation a reader makes in turn.
 * Each case checks the error code, the reader's message and the line count
 * a caller turns into "file:line: reason".
 *
 * Read errors and allocation failures come from read(), mmap() and the
 * malloc family defined below, which forward to the C library unless a test
 * arms them.  The library is linked statically into this program, so its
 * calls (and those of liblzma, libzstd and zlib) land here.  Sanitizer
 * builds bring their own allocator, so the interposers are left out there
 * and those tests skip.
 */
#include "harness.h"

#include <errno.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zstd.h>
#ifdef PMM_HAVE_ZLIB
#include <zlib.h>
#endif

#include <pmm/errno.h>
#include <pmm/trace.h>

#include "lib/linereader.h"

#if !defined(PMM_ASAN) && !defined(PMM_TSAN)
#define INTERPOSE 1
#endif

/* ------------------------------------------------------------ interposers */

#ifdef INTERPOSE
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static int read_fail_fd = -1;     /* fail reads of this descriptor ... */
static long read_fail_after = -1; /* ... after this many succeeded */
static long alloc_armed;          /* allocations counted while nonzero */
static long alloc_fail_at;        /* the n-th counted allocation fails */
static long alloc_seen;
static int mmap_fail;             /* anonymous mappings fail */

static int alloc_fails(void)
{
	if (!alloc_armed)
		return 0;
	return ++alloc_seen == alloc_fail_at;
}

void *malloc(size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (fd >= 0 && fd == read_fail_fd) {
		if (read_fail_after == 0) {
			errno = EIO;
			return -1;
		}
		read_fail_after--;
	}
	return syscall(SYS_read, fd, buf, n);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (mmap_fail && (flags & MAP_ANONYMOUS)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
#endif

/* ------------------------------------------------------------ helpers */

/* An empty directory: opened as a file, and the home of a file that does not exist. */
static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pmm-lr-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

static void drop_file(char *path)
{
	unlink(path);
	free(path);
}

/*
 * C_ZSTD records the content size (one-shot decoding), C_ZSTD_STREAM does
 * not (streaming), C_ZSTD_FRAMES is a 16 KiB frame per 64 KiB, as the
 * shipped traces are cut, so frames straddle the reader's input buffer.
 */
enum codec { C_PLAIN, C_GZIP, C_XZ, C_ZSTD, C_ZSTD_STREAM, C_ZSTD_FRAMES, NR_CODECS };

static const char *const codec_name[NR_CODECS] = { "plain", "gzip", "xz", "zstd", "zstd-stream",
						   "zstd-frames" };

/* @data compressed with @c into a malloc'd buffer; *@out_len its length. */
static unsigned char *squeeze(enum codec c, const void *data, size_t len, size_t *out_len)
{
	size_t cap = len + len / 2 + 4096, n = 0;
	unsigned char *out = malloc(cap);

	assert_non_null(out);
	switch (c) {
	case C_PLAIN:
		memcpy(out, data, len);
		n = len;
		break;
	case C_GZIP: {
#ifdef PMM_HAVE_ZLIB
		z_stream z;

		memset(&z, 0, sizeof(z));
		/* 15 + 16: a gzip header, not zlib's */
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (unsigned char *)data;
		z.avail_in = (unsigned)len;
		z.next_out = out;
		z.avail_out = (unsigned)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		n = z.total_out;
		deflateEnd(&z);
#else
		fail_msg("gzip without zlib");
#endif
		break;
	}
	case C_XZ:
		assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, data, len, out,
							 &n, cap),
				 LZMA_OK);
		break;
	case C_ZSTD:
	case C_ZSTD_STREAM:
	case C_ZSTD_FRAMES: {
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		size_t chunk = c == C_ZSTD_FRAMES ? 64 << 10 : len, pos = 0;

		assert_non_null(cc);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, c != C_ZSTD_STREAM);
		do {
			size_t k = len - pos < chunk ? len - pos : chunk,
			       r = ZSTD_compress2(cc, out + n, cap - n, (const char *)data + pos, k);

			assert_false(ZSTD_isError(r));
			n += r;
			pos += k;
		} while (pos < len);
		ZSTD_freeCCtx(cc);
		break;
	}
	default:
		fail();
	}
	*out_len = n;
	return out;
}

static int codec_available(enum codec c)
{
#ifndef PMM_HAVE_ZLIB
	if (c == C_GZIP)
		return 0;
#endif
	(void)c;
	return 1;
}

/* Read every line: fills @got with "line|line|..." and returns the final status. */
static int read_all(struct linereader *lr, char *got, size_t size)
{
	const char *line;
	size_t len, used = 0;
	int r;

	got[0] = '\0';
	while ((r = linereader_next(lr, &line, &len)) == 1) {
		int k = snprintf(got + used, size - used, "%s%.*s", used ? "|" : "", (int)len, line);

		assert_true(k >= 0 && (size_t)k < size - used);
		used += (size_t)k;
	}
	return r;
}

static const char sample[] = "first line\nsecond\r\n\nlast without newline\r";
static const char sample_lines[] = "first line|second||last without newline";

/* ------------------------------------------------------------ open errors */

static void test_open_missing(void **state)
{
	struct linereader *lr = (void *)1;
	char msg[256], *path;

	(void)state;
	assert_true(asprintf(&path, "%s/no-such-file", tmpdir) > 0);
	assert_int_equal(linereader_open_path(&lr, path, msg, sizeof(msg)), -PMM_ENOENT);
	assert_null(lr);
	{
		char want[300];

		snprintf(want, sizeof(want), "%s: no such entry", path);
		assert_string_equal(msg, want);
	}
	free(path);
}

static void test_open_unreadable(void **state)
{
	struct linereader *lr = (void *)1;
	char msg[256], want[300];

	(void)state;
	/* A directory opens (its first read would fail): refused as what it is. */
	assert_int_equal(linereader_open_path(&lr, tmpdir, msg, sizeof(msg)), -PMM_EISDIR);
	assert_null(lr);
	snprintf(want, sizeof(want), "%s: is a directory", tmpdir);
	assert_string_equal(msg, want);
	/* NULL message buffer is fine */
	assert_int_equal(linereader_open_path(&lr, tmpdir, NULL, 0), -PMM_EISDIR);
}

static void test_open_mem_bad_args(void **state)
{
	struct linereader *lr = (void *)1;
	const char *line;
	char msg[128];
	size_t len;

	(void)state;
	assert_int_equal(linereader_open_mem(&lr, "x", NULL, 5, NULL, 0), -PMM_EINVAL);
	assert_null(lr);
	assert_int_equal(linereader_open_mem(&lr, "x", NULL, 5, msg, sizeof(msg)), -PMM_EINVAL);
	assert_string_equal(msg, "x: no data for a non-empty buffer");
	/* NULL data of length 0 is an empty input named "<input>" */
	assert_int_equal(linereader_open_mem(&lr, NULL, NULL, 0, NULL, 0), 0);
	assert_string_equal(linereader_name(lr), "<input>");
	assert_int_equal(linereader_codec(lr), LINEREADER_PLAIN);
	assert_int_equal(linereader_next(lr, &line, &len), 0);
	linereader_close(lr);
	linereader_close(NULL);
}

/* ------------------------------------------------------------ every codec, mem and file */

static void check_sample(struct linereader *lr, enum codec c)
{
	char got[256];

	assert_int_equal(linereader_codec(lr), c == C_PLAIN  ? LINEREADER_PLAIN
					      : c == C_GZIP ? LINEREADER_GZIP
					      : c == C_XZ   ? LINEREADER_XZ
							    : LINEREADER_ZSTD);
	assert_int_equal(read_all(lr, got, sizeof(got)), 0);
	assert_string_equal(got, sample_lines);
	assert_int_equal(linereader_lineno(lr), 4);
	assert_int_equal(linereader_bytes(lr), sizeof(sample) - 1);
	/* the end stays the end */
	assert_int_equal(read_all(lr, got, sizeof(got)), 0);
	assert_int_equal(linereader_lineno(lr), 4);
}

static void test_no_trailing_newline(void **state)
{
	(void)state;
	for (int c = 0; c < NR_CODECS; c++) {
		struct linereader *lr;
		unsigned char *z;
		size_t zlen;
		char *path;

		if (!codec_available(c))
			continue;
		z = squeeze(c, sample, sizeof(sample) - 1, &zlen);
		assert_int_equal(linereader_open_mem(&lr, "m", z, zlen, NULL, 0), 0);
		check_sample(lr, c);
		linereader_close(lr);

		path = pmm_test_write_tmp("sample", z, zlen);
		assert_int_equal(linereader_open_path(&lr, path, NULL, 0), 0);
		check_sample(lr, c);
		linereader_close(lr);
		drop_file(path);
		free(z);
	}
}

static void test_empty(void **state)
{
	struct linereader *lr;
	const char *line;
	char *path, byte;
	size_t len;

	(void)state;
	path = pmm_test_write_tmp("sample", "", 0);
	assert_int_equal(linereader_open_path(&lr, path, NULL, 0), 0);
	assert_int_equal(linereader_codec(lr), LINEREADER_PLAIN);
	assert_int_equal(linereader_next(lr, &line, &len), 0);
	assert_int_equal(linereader_next(lr, &line, &len), 0);
	assert_int_equal(linereader_lineno(lr), 0);
	assert_int_equal(linereader_read(lr, &byte, 1), 0);
	assert_int_equal(linereader_bytes(lr), 0);
	linereader_close(lr);
	drop_file(path);
}

/* ------------------------------------------------------------ long lines */

/*
 * @nlines lines: line i is @lens[i] bytes of a letter, with a newline after
 * every one but (when !@final_nl) the last.
 */
static char *make_lines(const size_t *lens, int nlines, int final_nl, size_t *len)
{
	size_t total = 0, pos = 0;
	char *text;
	int i;

	for (i = 0; i < nlines; i++)
		total += lens[i] + 1;
	text = malloc(total);
	assert_non_null(text);
	for (i = 0; i < nlines; i++) {
		memset(text + pos, 'a' + i, lens[i]);
		pos += lens[i];
		if (i + 1 < nlines || final_nl)
			text[pos++] = '\n';
	}
	*len = pos;
	return text;
}

/* Lines of @lens come out as lines or -PMM_E2BIG (over the limit), in order. */
static void check_long_lines(struct linereader *lr, const size_t *lens, int nlines, size_t total)
{
	const char *line;
	size_t len;
	int i;

	for (i = 0; i < nlines; i++) {
		int r = linereader_next(lr, &line, &len);

		if (lens[i] > LINEREADER_MAX_LINE) {
			if (r != -PMM_E2BIG)
				fail_msg("%s: line %d (%zu bytes): got %d, want -PMM_E2BIG",
					 linereader_name(lr), i + 1, lens[i], r);
		} else {
			if (r != 1)
				fail_msg("%s: line %d (%zu bytes): got %d, want a line",
					 linereader_name(lr), i + 1, lens[i], r);
			assert_int_equal(len, lens[i]);
			if (len)
				assert_int_equal(line[0], 'a' + i);
			if (len)
				assert_int_equal(line[len - 1], 'a' + i);
		}
		assert_int_equal(linereader_lineno(lr), i + 1);
	}
	assert_int_equal(linereader_next(lr, &line, &len), 0);
	assert_int_equal(linereader_lineno(lr), nlines);
	assert_int_equal(linereader_bytes(lr), total);
}

static void long_lines_case(const size_t *lens, int nlines, int final_nl)
{
	size_t len;
	char *text = make_lines(lens, nlines, final_nl, &len);

	for (int c = 0; c < NR_CODECS; c++) {
		struct linereader *lr;
		unsigned char *z;
		size_t zlen;
		char *path;

		if (!codec_available(c))
			continue;
		z = squeeze(c, text, len, &zlen);
		assert_int_equal(linereader_open_mem(&lr, codec_name[c], z, zlen, NULL, 0), 0);
		check_long_lines(lr, lens, nlines, len);
		linereader_close(lr);
		path = pmm_test_write_tmp("long", z, zlen);
		assert_int_equal(linereader_open_path(&lr, path, NULL, 0), 0);
		check_long_lines(lr, lens, nlines, len);
		linereader_close(lr);
		drop_file(path);
		free(z);
	}
	free(text);
}

static void test_line_at_limit(void **state)
{
	const size_t lens[] = { 3, LINEREADER_MAX_LINE, 5 };

	(void)state;
	long_lines_case(lens, 3, 1);
	long_lines_case(lens, 2, 0);
}

static void test_line_over_limit(void **state)
{
	const size_t lens[] = { 3, LINEREADER_MAX_LINE + 1, 5, 3 * LINEREADER_MAX_LINE, 7 };

	(void)state;
	long_lines_case(lens, 5, 1);
}

/* An over-long last line without a newline is still reported, and counted. */
static void test_over_limit_last_line(void **state)
{
	const size_t big[] = { 2, 3 * LINEREADER_MAX_LINE };
	const size_t just[] = { 2, LINEREADER_MAX_LINE + 1 };

	(void)state;
	long_lines_case(big, 2, 0);
	long_lines_case(just, 2, 0);
}

/* ------------------------------------------------------------ bad compressed data */

static const char *const truncated_msg[NR_CODECS] = {
	NULL, "truncated gzip data", "truncated xz data", "truncated zstd data",
	"truncated zstd data", "truncated zstd data",
};

static const char *const corrupt_msg[NR_CODECS] = {
	NULL, "corrupt gzip data", "corrupt xz data", "corrupt zstd data", "corrupt zstd data",
	"corrupt zstd data",
};

/* A pseudo-random payload for line @i, so that the text compresses only so far. */
static unsigned long long mix(unsigned long long i)
{
	i ^= i >> 33;
	i *= 0xff51afd7ed558ccdull;
	i ^= i >> 33;
	return i;
}

/*
 * Numbered lines "line N <16 hex digits>", enough to span several windows
 * (and, compressed, several input buffers) when @n is large.
 */
static char *numbered(unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 32 + 1, pos = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	for (unsigned i = 1; i <= n; i++)
		pos += (size_t)snprintf(text + pos, cap - pos, "line %u %016llx\n", i, mix(i));
	*len = pos;
	return text;
}

/* Read "line N" lines to the end or an error, checking each; returns the status. */
static int read_numbered(struct linereader *lr)
{
	const char *line;
	size_t len;
	char want[48];
	int r;

	while ((r = linereader_next(lr, &line, &len)) == 1) {
		snprintf(want, sizeof(want), "line %lu %016llx", linereader_lineno(lr),
			 mix(linereader_lineno(lr)));
		if (len != strlen(want) || memcmp(line, want, len) != 0)
			fail_msg("%s: line %lu is '%.*s'", linereader_name(lr), linereader_lineno(lr),
				 (int)len, line);
	}
	return r;
}

/*
 * Read @lr to its error: every line before it must be the right one (when
 * @check_lines); then @err with message @msg, sticky for lines and for
 * linereader_read().
 */
static void expect_error(struct linereader *lr, int err, const char *msg, unsigned nmax,
			 int check_lines)
{
	const char *line;
	size_t len;
	char byte;
	int r;

	if (check_lines)
		r = read_numbered(lr);
	else
		while ((r = linereader_next(lr, &line, &len)) == 1)
			;

	if (r != err)
		fail_msg("%s: got %d (%s) after line %lu, want %d", linereader_name(lr), r,
			 linereader_errmsg(lr), linereader_lineno(lr), err);
	assert_true(linereader_lineno(lr) <= nmax);
	assert_string_equal(linereader_errmsg(lr), msg);
	assert_int_equal(linereader_next(lr, &line, &len), err);
	assert_int_equal(linereader_read(lr, &byte, 1), err);
}

static void expect_stream_error(struct linereader *lr, int err, const char *msg, unsigned nmax)
{
	expect_error(lr, err, msg, nmax, 1);
}

/* linereader_read() in 4 KiB pieces to the end or an error; at most @max bytes. */
static long read_to_error(struct linereader *lr, size_t max)
{
	char piece[4096];
	size_t total = 0;
	long n;

	while ((n = linereader_read(lr, piece, sizeof(piece))) > 0) {
		total += (size_t)n;
		assert_true(total <= max);
	}
	return n;
}

static void test_truncated(void **state)
{
	size_t len;
	char *text = numbered(200000, &len);

	(void)state;
	for (int c = C_GZIP; c < NR_CODECS; c++) {
		size_t zlen, cuts[3];
		unsigned char *z;

		if (!codec_available(c))
			continue;
		z = squeeze(c, text, len, &zlen);
		cuts[0] = zlen / 2;
		cuts[1] = zlen - 1;
		cuts[2] = 7; /* inside the header */
		for (int k = 0; k < 3; k++) {
			struct linereader *lr;
			char *path, name[64];

			snprintf(name, sizeof(name), "%s cut at %zu of %zu", codec_name[c], cuts[k], zlen);
			assert_int_equal(linereader_open_mem(&lr, name, z, cuts[k], NULL, 0), 0);
			expect_stream_error(lr, -PMM_EIO, truncated_msg[c], 200000);
			linereader_close(lr);
			/* linereader_read() meets it too */
			assert_int_equal(linereader_open_mem(&lr, name, z, cuts[k], NULL, 0), 0);
			assert_int_equal(read_to_error(lr, len), -PMM_EIO);
			assert_string_equal(linereader_errmsg(lr), truncated_msg[c]);
			linereader_close(lr);
			path = pmm_test_write_tmp("cut", z, cuts[k]);
			assert_int_equal(linereader_open_path(&lr, path, NULL, 0), 0);
			expect_stream_error(lr, -PMM_EIO, truncated_msg[c], 200000);
			linereader_close(lr);
			drop_file(path);
		}
		free(z);
	}
	free(text);
}

static void test_corrupt(void **state)
{
	size_t len;
	char *text = numbered(200000, &len);

	(void)state;
	for (int c = C_GZIP; c < NR_CODECS; c++) {
		struct linereader *lr;
		unsigned char *z;
		size_t zlen;
		char *path;

		if (!codec_available(c))
			continue;
		z = squeeze(c, text, len, &zlen);
		/*
		 * The stream's checksum (or its structure) catches a flipped
		 * byte, perhaps only at its end: lines before may be wrong.
		 */
		z[zlen / 2] ^= 0x55;
		assert_int_equal(linereader_open_mem(&lr, codec_name[c], z, zlen, NULL, 0), 0);
		expect_error(lr, -PMM_EIO, corrupt_msg[c], 200000, 0);
		linereader_close(lr);
		path = pmm_test_write_tmp("corrupt", z, zlen);
		assert_int_equal(linereader_open_path(&lr, path, NULL, 0), 0);
		expect_error(lr, -PMM_EIO, corrupt_msg[c], 200000, 0);
		linereader_close(lr);
		drop_file(path);
		free(z);
	}
	free(text);
}

/* A whole good stream, then bytes that are not one. */
static void test_trailing_garbage(void **state)
{
	static const char garbage[] = "this is not compressed\n";

	(void)state;
	for (int c = C_GZIP; c < NR_CODECS; c++) {
		struct linereader *lr;
		unsigned char *z, *zz;
		size_t zlen, len;
		char *text;

		if (!codec_available(c))
			continue;
		text = numbered(2, &len);
		z = squeeze(c, text, len, &zlen);
		free(text);
		zz = malloc(zlen + sizeof(garbage));
		assert_non_null(zz);
		memcpy(zz, z, zlen);
		memcpy(zz + zlen, garbage, sizeof(garbage));
		assert_int_equal(linereader_open_mem(&lr, codec_name[c], zz, zlen + sizeof(garbage),
						     NULL, 0),
				 0);
		expect_stream_error(lr, -PMM_EIO, corrupt_msg[c], 3);
		linereader_close(lr);
		free(zz);
		free(z);
	}
}

/* Concatenated members or frames read as one stream. */
static void test_concatenated(void **state)
{
	(void)state;
	for (int c = C_GZIP; c < NR_CODECS; c++) {
		struct linereader *lr;
		unsigned char *a, *b, *ab;
		size_t alen, blen;
		char got[64];

		if (!codec_available(c))
			continue;
		a = squeeze(c, "one\ntw", 6, &alen);
		b = squeeze(c, "o\nthree", 7, &blen);
		ab = malloc(alen + blen);
		assert_non_null(ab);
		memcpy(ab, a, alen);
		memcpy(ab + alen, b, blen);
		assert_int_equal(linereader_open_mem(&lr, "ab", ab, alen + blen, NULL, 0), 0);
		assert_int_equal(read_all(lr, got, sizeof(got)), 0);
		assert_string_equal(got, "one|two|three");
		assert_int_equal(linereader_lineno(lr), 3);
		linereader_close(lr);
		free(ab);
		free(a);
		free(b);
	}
}

/* A zstd frame asking for a 1 GiB window: refused with a way out. */
static void test_zstd_window_too_large(void **state)
{
	/* magic; descriptor: no content size, not single segment; window 2^30 */
	static const unsigned char frame[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3,
					       0x01, 0x00, 0x00 };
	struct linereader *lr;
	const char *line;
	size_t len;

	(void)state;
	assert_int_equal(linereader_open_mem(&lr, "big", frame, sizeof(frame), NULL, 0), 0);
	assert_int_equal(linereader_next(lr, &line, &len), -PMM_EIO);
	assert_string_equal(linereader_errmsg(lr),
			    "zstd window above 128 MiB (recompress with --long=27 or less)");
	linereader_close(lr);
}

/* The trace parser turns a stream error into "name:line: reason". */
static void test_trace_parser_message(void **state)
{
	static const char text[] =
		"# tracer: nop\n"
		"  <idle>-0  [000] d..2.   1.000001: mm_page_free: page=0000000012345678 pfn=0x1000 order=0\n";
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	unsigned char *z;
	size_t zlen;

	(void)state;
	z = squeeze(C_XZ, text, sizeof(text) - 1, &zlen);
	/* cut in the stream's footer: both lines decode, then the end is missing */
	assert_int_equal(pmm_trace_open_mem(&p, "cut.xz", z, zlen - 10, NULL), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_MM_PAGE_FREE);
	assert_int_equal(ev.pfn, 0x1000);
	assert_int_equal(pmm_trace_next(p, &ev), -PMM_EIO);
	assert_string_equal(pmm_trace_errmsg(p), "cut.xz:3: truncated xz data");
	assert_int_equal(pmm_trace_next(p, &ev), -PMM_EIO);
	pmm_trace_close(p);
	free(z);
}

/* ------------------------------------------------------------ linereader_read() */

static void test_read_bytes(void **state)
{
	size_t len;
	char *text = numbered(100000, &len), *back = malloc(len + 1);

	(void)state;
	assert_non_null(back);
	for (int c = 0; c < NR_CODECS; c++) {
		struct linereader *lr;
		unsigned char *z;
		size_t zlen, got = 0;
		long n;

		if (!codec_available(c))
			continue;
		z = squeeze(c, text, len, &zlen);
		assert_int_equal(linereader_open_mem(&lr, "r", z, zlen, NULL, 0), 0);
		while ((n = linereader_read(lr, back + got, 4093)) > 0)
			got += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(got, len);
		assert_memory_equal(back, text, len);
		assert_int_equal(linereader_bytes(lr), len);
		linereader_close(lr);
		free(z);
	}
	free(back);
	free(text);
}

/* ------------------------------------------------------------ injected failures */

#ifdef INTERPOSE
/*
 * Read errors on the n-th read() of the file, for every n up to the reads a
 * whole pass makes: the open fails with "path: input/output error", or the
 * lines before the failure come out and then a sticky -PMM_EIO "read error".
 */
static void test_read_errors(void **state)
{
	size_t len;
	char *text = numbered(150000, &len);

	(void)state;
	for (int c = 0; c < NR_CODECS; c++) {
		unsigned char *z;
		size_t zlen;
		char *path, want[300];
		long after;

		if (!codec_available(c))
			continue;
		/* Each file, compressed or not, takes several reads. */
		z = c == C_PLAIN ? (unsigned char *)text : squeeze(c, text, len, &zlen);
		if (c == C_PLAIN)
			zlen = len;
		path = pmm_test_write_tmp("rd", z, zlen);
		for (after = 0;; after++) {
			struct linereader *lr;
			const char *line;
			char msg[300];
			size_t l;
			int err, fd;

			/* The next descriptor open() gives is the reader's. */
			fd = dup(0);
			assert_true(fd >= 0);
			close(fd);
			read_fail_fd = fd;
			read_fail_after = after;
			err = linereader_open_path(&lr, path, msg, sizeof(msg));
			if (after == 0) {
				assert_int_equal(err, -PMM_EIO);
				snprintf(want, sizeof(want), "%s: input/output error", path);
				assert_string_equal(msg, want);
				continue;
			}
			assert_int_equal(err, 0);
			err = read_numbered(lr);
			read_fail_fd = -1;
			if (err == 0) {
				/* every read succeeded: the failure point is past the end */
				assert_int_equal(linereader_lineno(lr), 150000);
				linereader_close(lr);
				break;
			}
			assert_int_equal(err, -PMM_EIO);
			assert_string_equal(linereader_errmsg(lr), "read error");
			assert_int_equal(linereader_next(lr, &line, &l), -PMM_EIO);
			linereader_close(lr);
		}
		read_fail_fd = -1;
		assert_true(after >= 2);
		drop_file(path);
		if (c != C_PLAIN)
			free(z);
	}
	free(text);
}

/*
 * Fail the n-th allocation for every n until a pass meets none: each open
 * fails with "name: out of memory" or reading ends in a sticky -PMM_ENOMEM
 * (or the line/decoder copes); never anything else, never a wrong line.
 */
static void alloc_sweep(enum codec c, int from_file)
{
	size_t len, zlen;
	char *text = numbered(120000, &len);
	unsigned char *z = squeeze(c, text, len, &zlen);
	char *path = from_file ? pmm_test_write_tmp("alloc", z, zlen) : NULL;
	long n, failures = 0;

	for (n = 1;; n++) {
		struct linereader *lr = NULL;
		const char *line;
		char msg[300], want[300];
		size_t l;
		int err, r;
		unsigned long lines = 0;

		alloc_seen = 0;
		alloc_fail_at = n;
		alloc_armed = 1;
		err = from_file ? linereader_open_path(&lr, path, msg, sizeof(msg))
				: linereader_open_mem(&lr, "mem", z, zlen, msg, sizeof(msg));
		if (err) {
			alloc_armed = 0;
			if (err != -PMM_ENOMEM)
				fail_msg("%s: alloc %ld: open gave %d", codec_name[c], n, err);
			snprintf(want, sizeof(want), "%s: out of memory", from_file ? path : "mem");
			assert_string_equal(msg, want);
			assert_null(lr);
			failures++;
			continue;
		}
		while ((r = linereader_next(lr, &line, &l)) == 1)
			lines++;
		alloc_armed = 0;
		if (r == -PMM_ENOMEM) {
			assert_non_null(strstr(linereader_errmsg(lr), "out of memory"));
			assert_int_equal(linereader_next(lr, &line, &l), -PMM_ENOMEM);
			failures++;
		} else {
			if (r != 0)
				fail_msg("%s: alloc %ld: read gave %d (%s)", codec_name[c], n, r,
					 linereader_errmsg(lr));
			assert_int_equal(lines, 120000);
		}
		linereader_close(lr);
		if (alloc_seen < n)
			break; /* no allocation failed: swept them all */
	}
	alloc_armed = 0;
	/* the reader and its name at least, for every codec */
	assert_true(failures >= 2);
	if (path)
		drop_file(path);
	free(z);
	free(text);
}

/* The window of compressed memory input grows for a long line: fail that too. */
static void alloc_sweep_long_line(enum codec c)
{
	const size_t lens[] = { 5, 600 << 10, 3 };
	size_t len, zlen;
	char *text = make_lines(lens, 3, 1, &len);
	unsigned char *z = squeeze(c, text, len, &zlen);
	long n, failures = 0;

	for (n = 1;; n++) {
		struct linereader *lr;
		const char *line;
		size_t l;
		int r, lines = 0;

		alloc_seen = 0;
		alloc_fail_at = n;
		alloc_armed = 1;
		r = linereader_open_mem(&lr, "mem", z, zlen, NULL, 0);
		if (r == 0)
			while ((r = linereader_next(lr, &line, &l)) == 1)
				lines++;
		alloc_armed = 0;
		if (r == -PMM_ENOMEM) {
			failures++;
			if (lr)
				assert_non_null(strstr(linereader_errmsg(lr), "out of memory"));
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(lines, 3);
		}
		linereader_close(lr);
		if (alloc_seen < n)
			break;
	}
	/* the reader, its name, its window, the decoder and two window growths */
	assert_true(failures >= 5);
	free(z);
	free(text);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	alloc_sweep_long_line(C_XZ);
	for (int c = 0; c < NR_CODECS; c++) {
		if (!codec_available(c))
			continue;
		alloc_sweep(c, 0);
		alloc_sweep(c, 1);
	}
}

/* No memory for the file reader's buffer: "path: out of memory". */
static void test_buffer_alloc_failure(void **state)
{
	struct linereader *lr = (void *)1;
	char msg[300], want[300];
	char *path = pmm_test_write_tmp("buf", "x\n", 2);
	int fds = pmm_test_count_fds(), err;

	(void)state;
	mmap_fail = 1;
	err = linereader_open_path(&lr, path, msg, sizeof(msg));
	mmap_fail = 0;
	assert_int_equal(err, -PMM_ENOMEM);
	assert_null(lr);
	snprintf(want, sizeof(want), "%s: out of memory", path);
	assert_string_equal(msg, want);
	assert_int_equal(pmm_test_count_fds(), fds);
	drop_file(path);
}
#else
static void test_read_errors(void **state)
{
	(void)state;
	skip();
}

static void test_alloc_failures(void **state)
{
	(void)state;
	skip();
}

static void test_buffer_alloc_failure(void **state)
{
	(void)state;
	skip();
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_open_unreadable),
		cmocka_unit_test(test_open_mem_bad_args),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_line_at_limit),
		cmocka_unit_test(test_line_over_limit),
		cmocka_unit_test(test_over_limit_last_line),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_concatenated),
		cmocka_unit_test(test_zstd_window_too_large),
		cmocka_unit_test(test_trace_parser_message),
		cmocka_unit_test(test_read_bytes),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_buffer_alloc_failure),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
