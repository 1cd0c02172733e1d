/* SPDX-License-Identifier: MIT */
/*
 * Pictures of a machine, as SVG: a map of physical memory (one cell per
 * pageblock, coloured by the pageblock's migratetype and shaded by how much
 * of it is free, zones and nodes framed) and a chart of fragmentation over a
 * trace replay (free memory by block order and the unusable free space
 * index over time, phases marked).  Both are plain SVG 1.1 with text in
 * system sans-serif fonts; rsvg-convert, browsers and Inkscape show them.
 */
#ifndef PMM_PICTURE_H
#define PMM_PICTURE_H

#include <stdio.h>

#include <pmm/api.h>
#include <pmm/replay.h>

PMM_BEGIN_DECLS

struct pmm;

struct pmm_svg_map_opts {
	const char *title;     /* NULL: "Physical memory map" */
	const char *subtitle;  /* an extra line under the title (e.g. what was replayed); NULL: none */
	unsigned columns;      /* cells per row, at most 4096; 0 = 64 (one 128 MiB memory section per row) */
	unsigned max_rows;     /* 0 = 256: beyond, one cell stands for several pageblocks */
};

/**
 * pmm_svg_memory_map() - draw @m's physical memory as SVG to @out.
 * Each cell is a pageblock (2 MiB): its colour is the pageblock's
 * migratetype (legend), its shade the share of its frames that are free
 * (buddy lists and per-CPU lists; pale = free, full colour = in use); fully
 * reserved blocks are dark grey, holes are empty.  Rows start with their
 * physical address; each node is a framed panel; each zone is outlined and
 * labelled with its size and free share.  A machine too large for
 * @max_rows rows draws several pageblocks per cell (majority migratetype,
 * summed free share) and says so.
 * Return: 0, -PMM_EIO when writing fails, -PMM_ENOMEM, -PMM_EINVAL when
 * @opts->columns is above 4096 (nothing written).
 * Context: reads frames without locks: a machine that other threads change
 * meanwhile is drawn approximately.
 */
PMM_API int pmm_svg_memory_map(struct pmm *m, FILE *out, const struct pmm_svg_map_opts *opts);

struct pmm_svg_chart_opts {
	const char *title;     /* NULL: "Fragmentation during the replay" */
	const char *subtitle;  /* NULL: none */
	int x_events;          /* x axis in events instead of trace seconds */
	unsigned width;        /* 0 = 1100 px */
};

/**
 * pmm_svg_frag_chart() - chart @res's samples as SVG to @out: on top, free
 * memory (MiB) stacked by the order of the free block holding it (order 0
 * at the bottom); below, the unusable free space index for orders 3
 * (PAGE_ALLOC_COSTLY_ORDER), 9 (a pageblock, a THP) and 10; x is the
 * trace's time in seconds (or the event count); every CAPTURE_PHASE marker
 * is a labelled vertical line.
 * Return: 0, -PMM_EINVAL when @res has fewer than two samples, -PMM_EIO.
 * Context: pure; does not touch the machine.
 */
PMM_API int pmm_svg_frag_chart(const struct pmm_replay_result *res, FILE *out,
			       const struct pmm_svg_chart_opts *opts);

PMM_END_DECLS

#endif
