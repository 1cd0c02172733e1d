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

#include "fuzz_file.h"

#include "fuzz_capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_input_file("bootlog", data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	fuzz_derive_and_parse(path);
	fuzz_capture_release(path);
	close(fd);
	return 0;
}
