// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for pmm_config_from_capture() on a boot log: any input
 * derives a config or fails with a message, without a crash, leak or
 * undefined behaviour; and whatever it derives, pmm_config_parse() takes
 * (every token it writes was checked, the rest are comments).
 *
 * The input is handed over as a file, a memfd named by /proc/self/fd.
 */
#define _GNU_SOURCE /* memfd_create() */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pmm/config.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512], perr[512], *text = NULL;
	size_t len = 0;
	struct pmm_config cfg;
	FILE *out;
	int fd = memfd_create("bootlog", MFD_CLOEXEC), r;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	out = open_memstream(&text, &len);
	if (!out)
		abort();
	r = pmm_config_from_capture(path, out, err, sizeof(err));
	fclose(out);
	if (r && !err[0])
		abort(); /* every failure says why */
	if (!r) {
		pmm_config_default(&cfg);
		if (pmm_config_parse(&cfg, text, len, "derived", perr, sizeof(perr)))
			abort();
	}
	free(text);
	close(fd);
	return 0;
}
