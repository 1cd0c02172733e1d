/* SPDX-License-Identifier: MIT */
/*
 * What the capture fuzz targets check of pmm_config_from_capture() on
 * @path: it derives a config or fails with a message (a failure without
 * one aborts), and whatever it derives, pmm_config_parse() takes.  And
 * pmm_capture_release() finds one word there, or none.
 */
#ifndef PMM_TESTS_FUZZ_CAPTURE_H
#define PMM_TESTS_FUZZ_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/config.h>
#include <pmm/errno.h>

static inline void fuzz_derive_and_parse(const char *path)
{
	char err[512], perr[512], *text = NULL;
	size_t len = 0;
	struct pmm_config cfg;
	FILE *out = open_memstream(&text, &len);
	int r;

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
}

static inline void fuzz_capture_release(const char *path)
{
	char rel[32];
	int r = pmm_capture_release(path, rel, sizeof(rel));

	if (r == 0 ? !rel[0] || strcspn(rel, " \t\n") != strlen(rel) : r != -PMM_ENOENT || rel[0])
		abort();
}

#endif
