/* SPDX-License-Identifier: MIT */
/*
 * The kernel release in the text of uname(2)'s fields joined by spaces,
 * as `uname -a` prints them and trace-cmd stores them in a trace.dat:
 * "Linux host 6.1.192-pageowner #1 SMP ... x86_64" (sysname, nodename,
 * release, ...).  Pure; no state, no locking.
 */
#ifndef PMM_LIB_UNAME_H
#define PMM_LIB_UNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * uname_release() - the third field of @s (NUL-terminated) into @buf.
 * Return: true when there is one and it fits @size with its NUL.
 */
static inline bool uname_release(const char *s, char *buf, size_t size)
{
	size_t len;

	for (int field = 0; field < 2; field++) {
		s = strchr(s, ' ');
		if (!s)
			return false;
		s++;
	}
	len = strcspn(s, " \t\r\n");
	if (!len || len >= size)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

#endif
