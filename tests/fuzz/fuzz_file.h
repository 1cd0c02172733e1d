/* SPDX-License-Identifier: MIT */
/*
 * The fuzz input as a file, for readers that take a path: a memfd holding
 * the bytes, named by /proc/self/fd (also valid in a child the reader
 * forks, which inherits the descriptor).
 */
#ifndef PMM_FUZZ_FILE_H
#define PMM_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Return: the memfd (close it when done) with its path in @path, or -1. */
static inline int fuzz_input_file(const char *name, const uint8_t *data, size_t size,
				  char *path, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
