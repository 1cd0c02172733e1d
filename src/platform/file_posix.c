// SPDX-License-Identifier: MIT
/*
 * os_file_*: POSIX open/read/close for the text parsers, and os_buffer_*:
 * large buffers from mmap with transparent huge pages (see file.h).
 * Stateless; safe from any thread.
 */
#include "platform/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pmm/errno.h>

int os_file_open_read(const char *path, int *fd)
{
	int r;

	do
		r = open(path, O_RDONLY | O_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r >= 0) {
		struct stat st;

		/* open() takes a directory; the first read would fail with EISDIR */
		if (fstat(r, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(r);
			return -PMM_EISDIR;
		}
		*fd = r;
		return 0;
	}
	switch (errno) {
	case ENOENT:
	case ENOTDIR:
		return -PMM_ENOENT;
	case EACCES:
	case EPERM:
		return -PMM_EPERM;
	case ENOMEM:
		return -PMM_ENOMEM;
	default:
		return -PMM_EIO;
	}
}

long os_file_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	if (n > (size_t)LONG_MAX)
		n = (size_t)LONG_MAX;
	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EISDIR ? -PMM_EISDIR : -PMM_EIO;
	return (long)r;
}

void os_file_close(int fd)
{
	close(fd);
}

#ifdef PMM_ASAN
/* Under AddressSanitizer the buffers come from calloc, so that overruns are caught. */
void *os_buffer_alloc(size_t size)
{
	return size ? calloc(1, size) : NULL;
}

void os_buffer_free(void *p, size_t size)
{
	(void)size;
	free(p);
}
#else
#define HUGE_SIZE ((size_t)2 << 20)

static size_t huge_round(size_t size)
{
	return (size + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
}

void *os_buffer_alloc(size_t size)
{
	size_t len = huge_round(size), map_len = len + HUGE_SIZE;
	char *p, *a;

	if (!size || len < size || map_len < len)
		return NULL;
	/* Over-map by 2 MiB and trim, so that the buffer starts on a huge page. */
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + map_len)
		munmap(a + len, (size_t)(p + map_len - (a + len)));
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

void os_buffer_free(void *p, size_t size)
{
	if (p)
		munmap(p, huge_round(size));
}
#endif
