/* SPDX-License-Identifier: MIT */
/*
 * Reading files: the part of the platform seam that text parsers use.
 *
 * Kept apart from the `struct pmm_platform` table because it serves the
 * hosted side only (traces, dumps and configs read by the tool and tests);
 * a freestanding embedder never parses files and simply does not link
 * the parsers' file entry points.  Everything else in the library reaches
 * files through these calls, and takes its large hosted-side buffers
 * (decoder windows, replay tables) from os_buffer_alloc().
 */
#ifndef PMM_PLATFORM_FILE_H
#define PMM_PLATFORM_FILE_H

#include <stddef.h>

/* The descriptor of standard input, for paths spelled "-". */
#define OS_FILE_STDIN 0

/*
 * os_file_open_read() - open @path for reading.
 * Return: 0 with *@fd set, or -PMM_ENOENT, -PMM_EPERM, -PMM_ENOMEM, -PMM_EIO,
 * -PMM_EISDIR when @path is a directory.
 */
int os_file_open_read(const char *path, int *fd);

/*
 * os_file_read() - read up to @n bytes, retrying interrupted calls.
 * Return: the number of bytes read (0 at end of file), -PMM_EISDIR on a
 * directory, or -PMM_EIO.
 */
long os_file_read(int fd, void *buf, size_t n);

/* os_file_close() - close a descriptor from os_file_open_read(). */
void os_file_close(int fd);

/*
 * os_buffer_alloc() - @size bytes of zero-filled memory for a large buffer,
 * aligned to 2 MiB and backed by 2 MiB host pages where the host allows
 * (one page fault per 2 MiB touched instead of one per 4 KiB).  Meant for
 * buffers of a MiB or more; smaller ones waste the rest of a huge page.
 * Under AddressSanitizer (PMM_ASAN) it is calloc(), 16-byte aligned, so
 * that overruns of these buffers are caught.
 * Return: the buffer, or NULL.  Context: any thread.
 */
void *os_buffer_alloc(size_t size);

/* os_buffer_free() - release @p (NULL: nothing) from os_buffer_alloc(@size). */
void os_buffer_free(void *p, size_t size);

#endif
