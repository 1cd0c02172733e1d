// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for trace replay: any bytes go through the trace parser
 * into a replay on a small machine (16 MiB, 2 CPUs, or 64 MiB on two nodes
 * with node_of_frame; the first byte chooses that, page_owner and pmm's own
 * event output), then the pictures.  Nothing may crash, leak or misbehave,
 * and the machine must always validate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/errno.h>
#include <pmm/picture.h>
#include <pmm/replay.h>
#include <pmm/trace.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, int level, const char *msg)
{
	(void)ctx, (void)level, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	static const char cfgtext[] = "mem=16M cpus=2 min_free_kbytes=256";
	static const char numatext[] = "mem=64M nodes=2 cpus=2 min_free_kbytes=256";
	struct pmm_replay_opts o = { .sample_every = 7, .max_samples = 16, .keep_going = 1 };
	struct pmm_trace_writer *w = NULL;
	struct pmm_trace_parser *p;
	struct pmm_replay *r;
	struct pmm_config cfg;
	char err[128];
	uint8_t flags = size ? data[0] : 0;

	if (!null)
		null = fopen("/dev/null", "w");
	pmm_config_default(&cfg);
	if (flags & 16 ? pmm_config_parse(&cfg, numatext, sizeof(numatext) - 1, "fuzz", err, sizeof(err))
		       : pmm_config_parse(&cfg, cfgtext, sizeof(cfgtext) - 1, "fuzz", err, sizeof(err)))
		abort();
	cfg.log = quiet;
	o.node_of_frame = !!(flags & 16);
	o.page_owner = flags & 1;
	o.keep_going = !(flags & 4);
	if (pmm_replay_create(&r, NULL, &cfg, &o))
		abort();
	if ((flags & 2) && pmm_trace_attach(pmm_replay_machine(r), null, NULL, &w))
		abort();
	if (pmm_trace_open_mem(&p, "fuzz", data, size, NULL) == 0) {
		pmm_replay_parser(r, p, "fuzz");
		pmm_trace_close(p);
	}
	if (pmm_trace_detach(w))
		abort();
	if (pmm_replay_finish(r)) {
		fprintf(stderr, "validate: %s\n", pmm_replay_result(r)->validate_msg);
		abort();
	}
	if (flags & 8) {
		pmm_svg_memory_map(pmm_replay_machine(r), null, NULL);
		pmm_svg_frag_chart(pmm_replay_result(r), null, NULL);
	}
	pmm_replay_destroy(r);
	return 0;
}
