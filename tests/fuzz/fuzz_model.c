// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the whole allocator, checked by the shadow model
 * (tests/model): the input's first byte picks a machine configuration, the
 * rest is decoded into operations (allocations at every order and gfp,
 * frees, get/put, split, bulk, contiguous ranges, exact allocations, drain,
 * sysctls, act-as-CPU).  Any divergence from the model, any pmm_validate()
 * violation, any bad page pmm reports for correct use, and any frame not
 * back in the free lists after everything is released aborts.
 *
 * Machines are booted once per configuration and reused (a boot costs more
 * than most inputs): each input starts with every frame free and the
 * sysctls the driver may change set back, and ends with everything
 * released and the free lists checked against the state at its start.
 * What carries over is only the order of blocks on the free lists and
 * any highatomic reserve, which the model allows for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pmm/pmm.h>

#include "model/model.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static const char *const configs[] = {
	"mem=32M cpus=2",
	"mem=32M cpus=2 pcp=off",
	"mem=64M nodes=2 cpus=3 dma32=48M",
	"mem=48M movablecore=16M cpus=2",
	"node=0:0x0-0x13fffff node=0:0x1800000-0x27fffff reserve=0x0-0xfffff cpus=2",
	"mem=32M cpus=1 page_owner=on",
	"mem=32M cpus=2 page_poison=on debug_pagealloc=on debug_guardpage_minorder=1",
	"mem=32M cpus=2 page_alloc.shuffle=1 seed=3 init_on_free=1",
};
#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

static struct pmm *machines[NR_CONFIGS];
static char min_free_kbytes[NR_CONFIGS][32];

static struct pmm *machine(unsigned i)
{
	struct pmm_config c;

	if (!machines[i]) {
		pmm_config_default(&c);
		if (pmm_config_parse(&c, configs[i], strlen(configs[i]), "<fuzz>", NULL, 0))
			abort();
		c.log = quiet;
		if (pmm_create(&c, &machines[i]))
			abort();
		if (pmm_sysctl_read(machines[i], "min_free_kbytes", min_free_kbytes[i],
				    sizeof(min_free_kbytes[i])) <= 0)
			abort();
	}
	/* Undo what the previous input's sysctl operations changed. */
	if (pmm_sysctl_write(machines[i], "min_free_kbytes", min_free_kbytes[i]) ||
	    pmm_sysctl_write(machines[i], "watermark_scale_factor", "10") ||
	    pmm_sysctl_write(machines[i], "watermark_boost_factor", "15000") ||
	    pmm_sysctl_write(machines[i], "percpu_pagelist_high_fraction", "0"))
		abort();
	return machines[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_buf_src b;
	struct model_src src;
	struct model *md;

	if (size < 1)
		return 0;
	md = model_new(machine(data[0] % NR_CONFIGS), 128);
	if (!md)
		abort();
	model_set_abort_on_divergence(md, true);
	model_buf_src_init(&src, &b, data + 1, size - 1);
	model_run(md, &src, 20000);
	model_check(md);
	model_release_all(md);
	model_check_conservation(md);
	model_delete(md);
	return 0;
}
