// SPDX-License-Identifier: MIT
/*
 * os_file_*: POSIX open/read/close for the text parsers (see file.h).
 * Stateless; safe from any thread.
 */
#include "platform/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <pmm/errno.h>

int os_file_open_read(const char *path, int *fd)
{
	int r;

	do
		r = open(path, O_RDONLY | O_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r >= 0) {
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
	return r < 0 ? -PMM_EIO : (long)r;
}

void os_file_close(int fd)
{
	close(fd);
}
