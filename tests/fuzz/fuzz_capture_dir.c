// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for pmm_config_from_capture() on a capture directory:
 * the boot log together with iomem.txt, zoneinfo.txt, kpageflags.bin and
 * thp/enabled, the files that decide the reservations, late frees and
 * zone matching.  Any input derives a config or fails with a message,
 * without a crash, leak or undefined behaviour, and whatever it derives,
 * pmm_config_parse() takes.
 *
 * The input is the files' contents one after the other, separated by
 * SEP; missing parts are missing files.  They are written into one
 * directory made at the first call, reused, and removed at exit.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SEP[] = "\n--pmm-capture-part--\n";
static const char *const parts[] = { "dmesg.txt", "iomem.txt", "zoneinfo.txt", "kpageflags.bin",
				     "thp/enabled" };

static char dir[64];

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

/* The directory and its files, at exit: libFuzzer ends a run with exit(). */
static void remove_dir(void)
{
	char path[128];

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, parts[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/thp", dir);
	rmdir(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char path[128];

	if (!dir[0]) {
		char tmpl[] = "/tmp/pmm-fuzz-capture-XXXXXX";

		if (!mkdtemp(tmpl))
			abort();
		snprintf(dir, sizeof(dir), "%s", tmpl);
		snprintf(path, sizeof(path), "%s/thp", dir);
		if (mkdir(path, 0700))
			abort();
		atexit(remove_dir);
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const uint8_t *next = p < end ? memmem(p, (size_t)(end - p), SEP, sizeof(SEP) - 1) : NULL;
		size_t n = next ? (size_t)(next - p) : (size_t)(end - p);

		snprintf(path, sizeof(path), "%s/%s", dir, parts[i]);
		if (p < end || i == 0)
			put(parts[i], p, p < end ? n : 0);
		else
			unlink(path);
		p = next ? next + sizeof(SEP) - 1 : end;
	}
	fuzz_derive_and_parse(dir);
	fuzz_capture_release(dir);
	return 0;
}
