// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for pmm_owner_sort_run().
 *
 * Input: three bytes of options (cull keys, -f, sort keys, a pid filter,
 * and in the third byte's bit 0 the kernel: Linux 6.12's tool, whose
 * free_ts options then become their nearest 6.12 kin), then the dump.
 * Each input is run
 *  - in lenient mode, and compared with tests/owner_sort_oracle.h (the tool
 *    re-derived with <regex.h> and qsort), except when pid or tgid are
 *    compared: the tool subtracts them in int, which is not an order for
 *    values 2^31 apart, and there only the set of groups is defined;
 *  - in strict mode, which must either reject the input with
 *    -PMM_EBADMSG and a "name:line: " message, or print what lenient mode
 *    printed.
 * Any crash, sanitizer report or disagreement aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/errno.h>
#include <pmm/owner_sort.h>

#include "owner_sort_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const struct pmm_owner_sort_opts *o, const uint8_t *in, size_t len, char **out,
	       size_t *outlen, char *err, size_t errlen)
{
	FILE *fin = len ? fmemopen((void *)in, len, "r") : tmpfile();
	FILE *fout = open_memstream(out, outlen);
	int ret;

	if (!fin || !fout)
		abort();
	ret = pmm_owner_sort_run(o, fin, "fuzz", fout, err, errlen);
	fclose(fout);
	fclose(fin);
	return ret;
}

static void differ(const char *what, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0;

	while (i < alen && i < blen && a[i] == b[i])
		i++;
	fprintf(stderr, "%s: outputs differ at byte %zu (%zu vs %zu bytes)\n", what, i, alen, blen);
	fprintf(stderr, "expected: %.*s\nactual:   %.*s\n", (int)(alen - i < 80 ? alen - i : 80),
		a + i, (int)(blen - i < 80 ? blen - i : 80), b + i);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmm_owner_sort_opts o;
	char *out = NULL, *strict_out = NULL, *exp = NULL, err[256];
	size_t olen = 0, slen = 0, elen = 0;
	bool pid_cmp;
	int ret;

	if (size < 3)
		return 0;
	pmm_owner_sort_opts_init(&o);
	o.cull = data[0] & PMM_OWNER_SORT_CULL_ALL;
	o.unreleased = data[0] & 0x40;
	if (data[0] & 0x80)
		o.pids = "0,1,-1";
	o.nr_keys = data[1] >> 6;
	for (unsigned int i = 0; i < o.nr_keys; i++) {
		o.keys[i].key = (enum pmm_owner_sort_key)((data[1] + i * 3) % PMM_OWNER_SORT_NR_KEYS);
		o.keys[i].descending = (data[1] >> (i + 3)) & 1;
	}
	if (data[2] & 1) { /* the 6.12 tool: no free_ts, and the ts cut unless keys[0] is -a */
		o.kver = PMM_KVER_6_12;
		o.cull &= ~PMM_OWNER_SORT_CULL_FREE;
		o.unreleased = false;
		for (unsigned int i = 0; i < o.nr_keys; i++)
			if (o.keys[i].key == PMM_OWNER_SORT_KEY_FREE_TS)
				o.keys[i].key = PMM_OWNER_SORT_KEY_ALLOC_TS;
	}
	data += 3;
	size -= 3;

	o.lenient = true;
	ret = run(&o, data, size, &out, &olen, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "lenient mode failed: %d %s\n", ret, err);
		abort();
	}

	pid_cmp = o.cull & (PMM_OWNER_SORT_CULL_PID | PMM_OWNER_SORT_CULL_TGID);
	for (unsigned int i = 0; i < o.nr_keys; i++)
		pid_cmp |= o.keys[i].key == PMM_OWNER_SORT_KEY_PID ||
			   o.keys[i].key == PMM_OWNER_SORT_KEY_TGID;
	if (!pid_cmp && oracle_exact_qsort()) {
		if (oracle_run(&o, (const char *)data, size, &exp, &elen, NULL))
			abort();
		if (elen != olen || memcmp(exp, out, olen))
			differ("lenient vs oracle", exp, elen, out, olen);
	}

	o.lenient = false;
	ret = run(&o, data, size, &strict_out, &slen, err, sizeof(err));
	if (ret) {
		if (ret != -PMM_EBADMSG || strncmp(err, "fuzz:", 5) != 0) {
			fprintf(stderr, "strict mode: unexpected %d \"%s\"\n", ret, err);
			abort();
		}
		if (slen)
			differ("strict mode wrote output on error", "", 0, strict_out, slen);
	} else if (slen != olen || memcmp(strict_out, out, olen)) {
		differ("strict vs lenient", out, olen, strict_out, slen);
	}
	free(out);
	free(strict_out);
	free(exp);
	return 0;
}
