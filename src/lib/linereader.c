// SPDX-License-Identifier: MIT
/*
 * linereader: see linereader.h for the contract.
 *
 * Data flow: raw bytes (memory, or a descriptor read into `in`) go through
 * the codec (none, xz, gzip) into the window buf[start, end), in which lines
 * are found with memchr.  Plain memory input skips the window: lines point
 * into the caller's buffer.
 *
 * Invariants: start <= scan <= end <= cap; buf[start, scan) holds no '\n'
 * (so a partial line is never scanned twice); a line handed out lies in
 * buf[start_before, start) and is not moved until the next call.
 */
#include "lib/linereader.h"

#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>
#ifdef PMM_HAVE_ZLIB
#include <zlib.h>
#endif

#include <pmm/errno.h>
#include "platform/file.h"

#define WINDOW_SIZE (256u << 10)
#define INPUT_SIZE (128u << 10)
/*
 * A reader of a descriptor has one huge page for `in` and its window (one
 * fault instead of a hundred), which makes the window 1.9 MiB: room for a
 * 1 MiB zstd frame decoded in one go (see fill_zstd_frame()).  That window
 * never grows: a full window holding no '\n' is already an over-long line,
 * skipped in place, so only the malloc'ed window of memory input is ever
 * realloc'ed.
 */
#define ARENA_SIZE (2u << 20)
#define ARENA_WINDOW (ARENA_SIZE - INPUT_SIZE)
_Static_assert(ARENA_WINDOW > LINEREADER_MAX_LINE, "the arena's window must never have to grow");

struct linereader {
	char *name;
	int fd;                      /* -1 for memory input */
	bool own_fd;
	enum linereader_codec codec;
	const unsigned char *mem;    /* memory input */
	size_t mem_len, mem_pos;
	char *arena;                 /* os_buffer_alloc(ARENA_SIZE): in, then buf; NULL for memory */
	unsigned char *in;           /* compressed input from fd */
	size_t in_pos, in_len;
	bool raw_eof;                /* no more raw input */
	lzma_stream xz;
	ZSTD_DStream *zst;
	size_t zst_left;             /* ZSTD_decompressStream()'s last hint; 0 = between frames */
#ifdef PMM_HAVE_ZLIB
	z_stream gz;
	bool gz_done;                /* last member ended at raw EOF */
#endif
	char *buf;
	size_t cap, start, scan, end;
	bool eof;                    /* decoded stream ended */
	bool skipping;               /* discarding the rest of an over-long line */
	int err;                     /* sticky error */
	char errmsg[96];
	unsigned long lineno;
	uint64_t bytes;
};

static void set_msg(char *msg, size_t msglen, const char *name, const char *reason)
{
	if (msg && msglen)
		snprintf(msg, msglen, "%s: %s", name, reason);
}

static int fail(struct linereader *lr, int err, const char *reason)
{
	lr->err = err;
	snprintf(lr->errmsg, sizeof(lr->errmsg), "%s", reason);
	return err;
}

/* Raw (possibly compressed) input: from memory, or into lr->in from the fd. */
static int raw_fill(struct linereader *lr)
{
	long n;

	if (lr->fd < 0 || lr->raw_eof)
		return 0;
	if (lr->in_pos < lr->in_len)
		return 0;
	n = os_file_read(lr->fd, lr->in, INPUT_SIZE);
	if (n < 0)
		return fail(lr, -PMM_EIO, "read error");
	if (n == 0)
		lr->raw_eof = true;
	lr->in_pos = 0;
	lr->in_len = (size_t)n;
	return 0;
}

static const unsigned char *raw_ptr(struct linereader *lr, size_t *avail)
{
	if (lr->fd < 0) {
		*avail = lr->mem_len - lr->mem_pos;
		return lr->mem + lr->mem_pos;
	}
	*avail = lr->in_len - lr->in_pos;
	return lr->in + lr->in_pos;
}

static void raw_consume(struct linereader *lr, size_t n)
{
	if (lr->fd < 0)
		lr->mem_pos += n;
	else
		lr->in_pos += n;
}

static bool raw_done(const struct linereader *lr)
{
	if (lr->fd < 0)
		return lr->mem_pos == lr->mem_len;
	return lr->raw_eof && lr->in_pos == lr->in_len;
}

static int fill_xz(struct linereader *lr)
{
	const unsigned char *src;
	size_t avail;
	lzma_ret r;
	int err = raw_fill(lr);

	if (err)
		return err;
	src = raw_ptr(lr, &avail);
	lr->xz.next_in = src;
	lr->xz.avail_in = avail;
	lr->xz.next_out = (uint8_t *)lr->buf + lr->end;
	lr->xz.avail_out = lr->cap - lr->end;
	r = lzma_code(&lr->xz, raw_done(lr) ? LZMA_FINISH : LZMA_RUN);
	raw_consume(lr, avail - lr->xz.avail_in);
	lr->end = lr->cap - lr->xz.avail_out;
	switch (r) {
	case LZMA_OK:
		return 0;
	case LZMA_STREAM_END:
		lr->eof = true;
		return 0;
	case LZMA_BUF_ERROR:
		return fail(lr, -PMM_EIO, "truncated xz data");
	case LZMA_MEM_ERROR:
		return fail(lr, -PMM_ENOMEM, "out of memory decoding xz");
	default:
		return fail(lr, -PMM_EIO, "corrupt xz data");
	}
}

/*
 * At least @need bytes of raw input in one piece, if the input has them and
 * they fit in `in`: moves what is left of `in` to its start and reads more.
 */
static int raw_need(struct linereader *lr, size_t need)
{
	if (lr->fd < 0 || need > INPUT_SIZE)
		return 0;
	if (lr->in_pos && lr->in_len - lr->in_pos < need) {
		memmove(lr->in, lr->in + lr->in_pos, lr->in_len - lr->in_pos);
		lr->in_len -= lr->in_pos;
		lr->in_pos = 0;
	}
	while (!lr->raw_eof && lr->in_len - lr->in_pos < need) {
		long n = os_file_read(lr->fd, lr->in + lr->in_len, INPUT_SIZE - lr->in_len);

		if (n < 0)
			return fail(lr, -PMM_EIO, "read error");
		if (n == 0)
			lr->raw_eof = true;
		lr->in_len += (size_t)n;
	}
	return 0;
}

static int zstd_error(struct linereader *lr, size_t r)
{
	if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
		return fail(lr, -PMM_ENOMEM, "out of memory decoding zstd");
	if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
		return fail(lr, -PMM_EIO, "zstd window above 128 MiB (recompress with --long=27 or less)");
	return fail(lr, -PMM_EIO, "corrupt zstd data");
}

/*
 * A whole frame that records its size and fits the window is decoded in one
 * call straight into the window: no copy out of zstd's own window, which the
 * streaming decoder makes of every byte.  The shipped trace is cut in 1 MiB
 * frames for this.  Return: 0 done, 1 not such a frame (stream it), or an
 * error.
 */
static int fill_zstd_frame(struct linereader *lr)
{
	const unsigned char *src;
	unsigned long long size;
	size_t avail, csize, n;
	int err = raw_need(lr, 18); /* the longest frame header */

	if (err)
		return err;
	src = raw_ptr(lr, &avail);
	size = ZSTD_getFrameContentSize(src, avail);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
	    size > lr->cap - lr->end)
		return 1;
	csize = ZSTD_findFrameCompressedSize(src, avail);
	if (ZSTD_isError(csize) && lr->fd >= 0) {
		/* Perhaps only the frame's start is in `in`. */
		if ((err = raw_need(lr, INPUT_SIZE)))
			return err;
		src = raw_ptr(lr, &avail);
		csize = ZSTD_findFrameCompressedSize(src, avail);
	}
	if (ZSTD_isError(csize))
		return 1; /* cut short, or bigger than `in`: the streaming decoder reports or copes */
	n = ZSTD_decompressDCtx(lr->zst, lr->buf + lr->end, lr->cap - lr->end, src, csize);
	if (ZSTD_isError(n))
		return zstd_error(lr, n);
	raw_consume(lr, csize);
	lr->end += n;
	return 0;
}

static int fill_zstd(struct linereader *lr)
{
	ZSTD_inBuffer in;
	ZSTD_outBuffer out = { lr->buf, lr->cap, lr->end };
	size_t avail, r;
	int err = raw_fill(lr);

	if (err)
		return err;
	if (!lr->zst_left) {
		err = fill_zstd_frame(lr);
		if (err <= 0)
			return err;
		/*
		 * A frame to stream, perhaps after one-shot ones, which leave the
		 * context in their own state: start the session afresh.  Between
		 * frames that loses nothing and costs next to nothing.
		 */
		ZSTD_DCtx_reset(lr->zst, ZSTD_reset_session_only);
	}
	in.src = raw_ptr(lr, &avail);
	in.size = avail;
	in.pos = 0;
	/* Between frames (the last call returned 0) the end of input is the end. */
	if (!avail && raw_done(lr) && !lr->zst_left) {
		lr->eof = true;
		return 0;
	}
	r = ZSTD_decompressStream(lr->zst, &out, &in);
	raw_consume(lr, in.pos);
	if (ZSTD_isError(r))
		return zstd_error(lr, r);
	/* No input left, nothing flushed, and the frame still wants more. */
	if (!avail && raw_done(lr) && out.pos == lr->end && r)
		return fail(lr, -PMM_EIO, "truncated zstd data");
	lr->end = out.pos;
	lr->zst_left = r;
	return 0;
}

#ifdef PMM_HAVE_ZLIB
static int fill_gz(struct linereader *lr)
{
	const unsigned char *src;
	size_t avail;
	int r, err = raw_fill(lr);

	if (err)
		return err;
	src = raw_ptr(lr, &avail);
	if (lr->gz_done) {
		/* Bytes after a finished member: another member follows. */
		if (!avail) {
			lr->eof = true;
			return 0;
		}
		if (inflateReset(&lr->gz) != Z_OK)
			return fail(lr, -PMM_EIO, "corrupt gzip data");
		lr->gz_done = false;
	}
	if (avail > UINT32_MAX)
		avail = UINT32_MAX;
	lr->gz.next_in = (unsigned char *)src;
	lr->gz.avail_in = (unsigned)avail;
	lr->gz.next_out = (unsigned char *)lr->buf + lr->end;
	lr->gz.avail_out = (unsigned)(lr->cap - lr->end);
	r = inflate(&lr->gz, Z_NO_FLUSH);
	raw_consume(lr, avail - lr->gz.avail_in);
	lr->end = lr->cap - lr->gz.avail_out;
	switch (r) {
	case Z_OK:
		return 0;
	case Z_STREAM_END:
		lr->gz_done = true;
		if (raw_done(lr))
			lr->eof = true;
		return 0;
	case Z_BUF_ERROR:
		if (raw_done(lr))
			return fail(lr, -PMM_EIO, "truncated gzip data");
		return 0;
	case Z_MEM_ERROR:
		return fail(lr, -PMM_ENOMEM, "out of memory decoding gzip");
	default:
		return fail(lr, -PMM_EIO, "corrupt gzip data");
	}
}
#endif

static int fill_plain(struct linereader *lr)
{
	long n;

	if (lr->in_pos < lr->in_len) {
		/* Bytes read while sniffing the format. */
		size_t k = lr->in_len - lr->in_pos;

		if (k > lr->cap - lr->end)
			k = lr->cap - lr->end;
		memcpy(lr->buf + lr->end, lr->in + lr->in_pos, k);
		lr->in_pos += k;
		lr->end += k;
		return 0;
	}
	if (lr->raw_eof) {
		lr->eof = true;
		return 0;
	}
	n = os_file_read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
	if (n < 0)
		return fail(lr, -PMM_EIO, "read error");
	if (n == 0)
		lr->eof = lr->raw_eof = true;
	lr->end += (size_t)n;
	return 0;
}

static int fill(struct linereader *lr)
{
	switch (lr->codec) {
	case LINEREADER_XZ:
		return fill_xz(lr);
	case LINEREADER_ZSTD:
		return fill_zstd(lr);
#ifdef PMM_HAVE_ZLIB
	case LINEREADER_GZIP:
		return fill_gz(lr);
#endif
	default:
		return fill_plain(lr);
	}
}

static enum linereader_codec sniff(const unsigned char *p, size_t n)
{
	static const unsigned char xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (n >= 6 && memcmp(p, xz_magic, 6) == 0)
		return LINEREADER_XZ;
	if (n >= 4 && memcmp(p, zstd_magic, 4) == 0)
		return LINEREADER_ZSTD;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return LINEREADER_GZIP;
	return LINEREADER_PLAIN;
}

static int setup(struct linereader *lr, const unsigned char *head, size_t n, char *msg, size_t msglen)
{
	lr->codec = sniff(head, n);
	if (lr->codec == LINEREADER_PLAIN && lr->fd < 0)
		return 0; /* zero-copy */
	lr->cap = lr->arena ? ARENA_WINDOW : WINDOW_SIZE;
	lr->buf = lr->arena ? lr->arena + INPUT_SIZE : malloc(lr->cap);
	if (!lr->buf)
		return -PMM_ENOMEM;
	if (lr->codec == LINEREADER_XZ) {
		lzma_stream init = LZMA_STREAM_INIT;

		lr->xz = init;
		if (lzma_stream_decoder(&lr->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			return -PMM_ENOMEM;
	} else if (lr->codec == LINEREADER_ZSTD) {
		lr->zst = ZSTD_createDStream();
		if (!lr->zst)
			return -PMM_ENOMEM;
	} else if (lr->codec == LINEREADER_GZIP) {
#ifdef PMM_HAVE_ZLIB
		(void)msg;
		(void)msglen;
		memset(&lr->gz, 0, sizeof(lr->gz));
		/* 15 window bits + 32: accept gzip or zlib headers. */
		if (inflateInit2(&lr->gz, 15 + 32) != Z_OK)
			return -PMM_ENOMEM;
#else
		set_msg(msg, msglen, lr->name,
			"gzip input, but pmm was built without zlib (decompress it, or use xz)");
		return -PMM_ENOSYS;
#endif
	}
	return 0;
}

static struct linereader *alloc_reader(const char *name)
{
	struct linereader *lr = calloc(1, sizeof(*lr));

	if (!lr)
		return NULL;
	lr->fd = -1;
	lr->name = strdup(name ? name : "<input>");
	if (!lr->name) {
		free(lr);
		return NULL;
	}
	return lr;
}

int linereader_open_mem(struct linereader **out, const char *name, const void *data, size_t len,
			char *msg, size_t msglen)
{
	struct linereader *lr;
	int err;

	*out = NULL;
	if (!data && len) {
		set_msg(msg, msglen, name ? name : "<input>", "no data for a non-empty buffer");
		return -PMM_EINVAL;
	}
	lr = alloc_reader(name);
	if (!lr) {
		set_msg(msg, msglen, name ? name : "<input>", "out of memory");
		return -PMM_ENOMEM;
	}
	lr->mem = data ? data : (const unsigned char *)"";
	lr->mem_len = len;
	err = setup(lr, lr->mem, len, msg, msglen);
	if (err) {
		if (err == -PMM_ENOMEM)
			set_msg(msg, msglen, lr->name, "out of memory");
		linereader_close(lr);
		return err;
	}
	*out = lr;
	return 0;
}

int linereader_open_path(struct linereader **out, const char *path, char *msg, size_t msglen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct linereader *lr;
	long n;
	int err;

	*out = NULL;
	lr = alloc_reader(is_stdin ? "<stdin>" : path);
	if (!lr) {
		set_msg(msg, msglen, path, "out of memory");
		return -PMM_ENOMEM;
	}
	if (is_stdin) {
		lr->fd = OS_FILE_STDIN;
	} else {
		err = os_file_open_read(path, &lr->fd);
		if (err) {
			set_msg(msg, msglen, path, pmm_strerror(err));
			lr->fd = -1;
			linereader_close(lr);
			return err;
		}
		lr->own_fd = true;
	}
	lr->arena = os_buffer_alloc(ARENA_SIZE);
	lr->in = (unsigned char *)lr->arena;
	if (!lr->in) {
		err = -PMM_ENOMEM;
		goto fail;
	}
	/* Sniff from the first read; short reads (pipes) are fine for magic. */
	n = os_file_read(lr->fd, lr->in, INPUT_SIZE);
	if (n < 0) {
		err = (int)n;
		goto fail;
	}
	lr->in_len = (size_t)n;
	if (n == 0)
		lr->raw_eof = true;
	err = setup(lr, lr->in, lr->in_len, msg, msglen);
	if (err)
		goto fail;
	*out = lr;
	return 0;
fail:
	if (err != -PMM_ENOSYS)
		set_msg(msg, msglen, lr->name, pmm_strerror(err));
	linereader_close(lr);
	return err;
}

/* Plain memory: hand out lines straight from the caller's buffer. */
static int next_mem(struct linereader *lr, const char **line, size_t *len)
{
	for (;;) {
		const char *p = (const char *)lr->mem + lr->mem_pos;
		size_t avail = lr->mem_len - lr->mem_pos;
		const char *nl;
		size_t n;

		if (!avail)
			return 0;
		nl = memchr(p, '\n', avail);
		n = nl ? (size_t)(nl - p) : avail;
		lr->mem_pos += nl ? n + 1 : n;
		lr->bytes += nl ? n + 1 : n;
		lr->lineno++;
		if (n > LINEREADER_MAX_LINE)
			return -PMM_E2BIG;
		if (n && p[n - 1] == '\r')
			n--;
		*line = p;
		*len = n;
		return 1;
	}
}

int linereader_next(struct linereader *lr, const char **line, size_t *len)
{
	int err;

	if (lr->err)
		return lr->err;
	if (!lr->buf)
		return next_mem(lr, line, len);
	for (;;) {
		char *nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
		size_t n;

		if (nl) {
			char *p = lr->buf + lr->start;

			n = (size_t)(nl - p);
			lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
			lr->bytes += n + 1;
			lr->lineno++;
			if (lr->skipping || n > LINEREADER_MAX_LINE) {
				lr->skipping = false;
				return -PMM_E2BIG;
			}
			if (n && p[n - 1] == '\r')
				n--;
			*line = p;
			*len = n;
			return 1;
		}
		lr->scan = lr->end;
		if (lr->eof) {
			/* An over-long last line may have been dropped whole already. */
			if (lr->start == lr->end && !lr->skipping)
				return 0;
			/* Last line without a newline. */
			n = lr->end - lr->start;
			*line = lr->buf + lr->start;
			lr->bytes += n;
			lr->start = lr->scan = lr->end;
			lr->lineno++;
			if (lr->skipping || n > LINEREADER_MAX_LINE) {
				lr->skipping = false;
				return -PMM_E2BIG;
			}
			if (n && (*line)[n - 1] == '\r')
				n--;
			*len = n;
			return 1;
		}
		if (lr->skipping) {
			lr->bytes += lr->end - lr->start;
			lr->start = lr->scan = lr->end = 0;
		} else if (lr->start > 0) {
			memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
			lr->end -= lr->start;
			lr->scan = lr->end;
			lr->start = 0;
		}
		if (lr->end == lr->cap) {
			if (lr->cap > LINEREADER_MAX_LINE) {
				lr->skipping = true;
				lr->bytes += lr->end;
				lr->start = lr->scan = lr->end = 0;
			} else {
				/* Not the arena's window: that one is above the limit. */
				char *nbuf = realloc(lr->buf, lr->cap * 2);

				if (!nbuf)
					return fail(lr, -PMM_ENOMEM, "out of memory");
				lr->buf = nbuf;
				lr->cap *= 2;
			}
		}
		err = fill(lr);
		if (err)
			return err;
	}
}

long linereader_read(struct linereader *lr, void *dst, size_t n)
{
	size_t got = 0;

	if (lr->err)
		return lr->err;
	if (!lr->buf) {
		got = lr->mem_len - lr->mem_pos < n ? lr->mem_len - lr->mem_pos : n;
		memcpy(dst, lr->mem + lr->mem_pos, got);
		lr->mem_pos += got;
		lr->bytes += got;
		return (long)got;
	}
	while (got < n) {
		size_t k = lr->end - lr->start;
		int err;

		if (k) {
			if (k > n - got)
				k = n - got;
			memcpy((char *)dst + got, lr->buf + lr->start, k);
			lr->start += k;
			if (lr->scan < lr->start)
				lr->scan = lr->start;
			got += k;
			continue;
		}
		if (lr->eof)
			break;
		lr->start = lr->scan = lr->end = 0;
		err = fill(lr);
		if (err)
			return err;
	}
	lr->bytes += got;
	return (long)got;
}

unsigned long linereader_lineno(const struct linereader *lr)
{
	return lr->lineno;
}

const char *linereader_name(const struct linereader *lr)
{
	return lr->name;
}

uint64_t linereader_bytes(const struct linereader *lr)
{
	return lr->bytes;
}

enum linereader_codec linereader_codec(const struct linereader *lr)
{
	return lr->codec;
}

const char *linereader_errmsg(const struct linereader *lr)
{
	return lr->errmsg;
}

void linereader_close(struct linereader *lr)
{
	if (!lr)
		return;
	if (lr->codec == LINEREADER_XZ && lr->buf)
		lzma_end(&lr->xz);
	ZSTD_freeDStream(lr->zst);
#ifdef PMM_HAVE_ZLIB
	if (lr->codec == LINEREADER_GZIP && lr->buf)
		inflateEnd(&lr->gz);
#endif
	if (lr->own_fd && lr->fd >= 0)
		os_file_close(lr->fd);
	if (!lr->arena)
		free(lr->buf);
	os_buffer_free(lr->arena, ARENA_SIZE);
	free(lr->name);
	free(lr);
}
