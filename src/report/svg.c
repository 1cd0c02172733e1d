// SPDX-License-Identifier: MIT
/*
 * SVG pictures (include/pmm/picture.h): the physical memory map and the
 * fragmentation chart of a replay.
 *
 * The map walks each node's frames once, in runs: a free buddy block, an
 * allocated block (its head's order) or a single frame, each run added to
 * the pageblocks it covers, so a machine of N frames costs O(blocks + runs).
 * The chart only reads a replay's samples and phases.
 *
 * Output is written with stdio; the first write error is reported at the
 * end (ferror).  Locking: none (picture.h says what a busy machine gives).
 */
#include <stdlib.h>
#include <string.h>

#include <pmm/picture.h>

#include "mm/internal.h"
#include "mm/page_alloc.h"

/* ------------------------------------------------------------ helpers */

/* Rounding without libm (the library links no maths library). */
static double dfloor(double v)
{
	double t = (double)(long long)v;

	return t > v ? t - 1 : t;
}

static double dceil(double v)
{
	double t = (double)(long long)v;

	return t < v ? t + 1 : t;
}

/* log10 of v > 0: the binary exponent, then ln(m) = 2 atanh((m-1)/(m+1)) for m in [1, 2). */
static double dlog10(double v)
{
	int e = 0;
	double z, z2, term, sum = 0;

	while (v >= 2) {
		v /= 2;
		e++;
	}
	while (v < 1) {
		v *= 2;
		e--;
	}
	z = (v - 1) / (v + 1);
	z2 = z * z;
	term = z;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= z2;
	}
	return (2 * sum + e * 0.6931471805599453) / 2.302585092994046;
}

static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
			break;
		}
	}
}

static void svg_begin(FILE *f, double w, double h)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
		   "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
		w, h, w, h);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", w, h);
}

static void text_at(FILE *f, double x, double y, double size, const char *anchor, const char *extra,
		    const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" text-anchor=\"%s\"%s%s>", x, y, size,
		anchor, extra ? " " : "", extra ? extra : "");
	xml_text(f, s);
	fputs("</text>\n", f);
}

static int svg_end(FILE *f)
{
	fputs("</svg>\n", f);
	if (fflush(f) || ferror(f))
		return -PMM_EIO;
	return 0;
}

/* "1.5 GiB", "512 MiB", "4 KiB" */
static void fmt_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == dfloor(v) || v >= 100)
		snprintf(buf, size, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
}

/* Mix @rgb with white: t = 0 keeps the colour, t = 1 is white. */
static void tint(char *buf, size_t size, unsigned rgb, double t)
{
	unsigned r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;

	r = (unsigned)(r + (255 - r) * t + 0.5);
	g = (unsigned)(g + (255 - g) * t + 0.5);
	b = (unsigned)(b + (255 - b) * t + 0.5);
	snprintf(buf, size, "#%02x%02x%02x", r, g, b);
}

/* ------------------------------------------------------------ memory map */

#define MAP_COLS 64
#define MAP_MAX_COLS 4096
#define MAP_MIN_WIDTH 1100.0 /* the header and legend's width */
#define MAP_MAX_ROWS 256
#define CELL 11.0
#define PITCH 13.0
#define LEFT 150.0
#define RIGHT 360.0
#define NO_ZONE (-1)

/* Migratetype colours (legend order), then reserved and hole. */
static const unsigned mt_rgb[MIGRATE_TYPES] = {
	0xd62728, /* Unmovable: red */
	0x1f77b4, /* Movable: blue */
	0xff7f0e, /* Reclaimable: orange */
	0x9467bd, /* HighAtomic: purple */
	0x2ca02c, /* CMA: green */
	0x7f7f7f, /* Isolate: grey */
};
#define RESERVED_RGB 0x4d4d4d
/* Fully free blocks keep a little colour so the type stays visible. */
#define FREE_TINT 0.82

struct block_stat {
	unsigned free, used, reserved, hole;
	signed char mt;     /* -1: no memmap */
	signed char zone;   /* zone index, NO_ZONE */
};

struct cell {
	unsigned long pfn, nr;          /* first frame, frames covered */
	unsigned long free, used, reserved, hole;
	int mt;                         /* majority migratetype, -1 if none */
	int zone;
};

/* Add a run of @n frames of @kind starting at @pfn to the blocks it covers. */
enum run_kind { RUN_FREE, RUN_USED, RUN_RESERVED };

static void add_run(struct block_stat *bs, unsigned long base, unsigned long nblocks,
		    unsigned long pfn, unsigned long n, enum run_kind kind)
{
	while (n) {
		unsigned long b = (pfn - base) >> pageblock_order;
		unsigned long take = pageblock_nr_pages - (pfn & (pageblock_nr_pages - 1));

		if (b >= nblocks)
			return;
		if (take > n)
			take = n;
		if (kind == RUN_FREE)
			bs[b].free += (unsigned)take;
		else if (kind == RUN_USED)
			bs[b].used += (unsigned)take;
		else
			bs[b].reserved += (unsigned)take;
		pfn += take;
		n -= take;
	}
}

/* Fill @bs for the @nblocks pageblocks of node @nid from pfn @base. */
static void scan_node(struct pmm *m, int nid, unsigned long base, unsigned long nblocks,
		      struct block_stat *bs)
{
	pg_data_t *pgdat = m->node_data[nid];
	unsigned long end = base + (nblocks << pageblock_order), pfn = base;

	for (unsigned long b = 0; b < nblocks; b++) {
		unsigned long s = base + (b << pageblock_order), e = s + pageblock_nr_pages;
		unsigned long present = memblock_present_pages_in(m, nid, s, e);

		bs[b].mt = -1;
		bs[b].zone = NO_ZONE;
		bs[b].hole = (unsigned)(pageblock_nr_pages - present);
		if (present && pfn_valid(m, s))
			bs[b].mt = (signed char)get_pfnblock_migratetype(m, s);
		for (int z = 0; z < MAX_NR_ZONES && present; z++) {
			const struct zone *zone = &pgdat->node_zones[z];

			if (populated_zone(zone) && zone->zone_start_pfn < e && zone_end_pfn(zone) > s) {
				bs[b].zone = (signed char)z;
				break;
			}
		}
	}
	while (pfn < end) {
		struct page *page;
		unsigned long n = 1;

		if (pfn >= m->max_pfn)
			break;
		if (!pfn_valid(m, pfn)) {
			pfn = ALIGN_DOWN(pfn, pageblock_nr_pages) + pageblock_nr_pages;
			continue;
		}
		page = pfn_to_page(m, pfn);
		if (PageBuddy(page)) {
			unsigned o = buddy_order(page);

			n = 1ul << (o < MAX_ORDER ? o : 0);
			add_run(bs, base, nblocks, pfn, n, RUN_FREE);
		} else if (PageReserved(page)) {
			add_run(bs, base, nblocks, pfn, 1, RUN_RESERVED);
		} else if (page_ref_count(page) > 0) {
			unsigned long o = page_private(page);

			n = 1ul << (o < MAX_ORDER ? o : 0);
			if (pfn & (n - 1))
				n = 1;
			add_run(bs, base, nblocks, pfn, n, RUN_USED);
		} else if (!PageTail(page)) {
			/* Refcount 0 and not in the buddy lists: on a per-CPU list. */
			add_run(bs, base, nblocks, pfn, 1, RUN_FREE);
		} else {
			add_run(bs, base, nblocks, pfn, 1, RUN_USED);
		}
		pfn += n;
	}
	/* Reserved frames of holes are the holes'. */
	for (unsigned long b = 0; b < nblocks; b++)
		bs[b].reserved = bs[b].reserved > bs[b].hole ? bs[b].reserved - bs[b].hole : 0;
}

static void cell_fill(const struct cell *c, char *buf, size_t size)
{
	unsigned long present = c->nr - c->hole;

	if (!present || c->mt < 0) {
		snprintf(buf, size, "none");
	} else if (c->reserved * 2 >= present) {
		tint(buf, size, RESERVED_RGB, 0);
	} else {
		tint(buf, size, mt_rgb[c->mt], FREE_TINT * (double)c->free / (double)present);
	}
}

/* Border between cell (r, c) and its neighbour: does the zone change? */
static int zone_at(const struct cell *cells, unsigned long ncells, unsigned cols, long r, long c)
{
	long i = r * (long)cols + c;

	if (r < 0 || c < 0 || c >= (long)cols || i < 0 || (unsigned long)i >= ncells)
		return NO_ZONE - 1;
	return cells[i].zone;
}

/* Zone outline colours, by zone index (DMA, DMA32, Normal, Movable, Device). */
static const char *const zone_rgb[MAX_NR_ZONES] = {
	"#00897b", "#111111", "#c2185b", "#6d4c41", "#e6a100",
};

static void draw_zone_edges(FILE *f, const struct cell *cells, unsigned long ncells, unsigned cols,
			    double x0, double y0, int z)
{
	unsigned long rows = (ncells + cols - 1) / cols;
	const double g = (PITCH - CELL) / 2;

	fprintf(f, "<path class=\"zone\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" stroke-linecap=\"square\" d=\"",
		zone_rgb[z]);
	for (long r = 0; r < (long)rows; r++) {
		for (long c = 0; c < (long)cols; c++) {
			double x = x0 + c * PITCH - g, y = y0 + r * PITCH - g;

			if (zone_at(cells, ncells, cols, r, c) != z)
				continue;
			if (zone_at(cells, ncells, cols, r - 1, c) != z)
				fprintf(f, "M%.1f %.1fh%.1f", x, y, PITCH);
			if (zone_at(cells, ncells, cols, r + 1, c) != z)
				fprintf(f, "M%.1f %.1fh%.1f", x, y + PITCH, PITCH);
			if (zone_at(cells, ncells, cols, r, c - 1) != z)
				fprintf(f, "M%.1f %.1fv%.1f", x, y, PITCH);
			if (zone_at(cells, ncells, cols, r, c + 1) != z)
				fprintf(f, "M%.1f %.1fv%.1f", x + PITCH, y, PITCH);
		}
	}
	fputs("\"/>\n", f);
}

struct node_panel {
	int nid;
	unsigned long base;             /* first pfn of the first row */
	unsigned long nblocks;          /* pageblocks from base */
	struct block_stat *bs;
	struct cell *cells;
	unsigned long ncells;
	unsigned long rows;
	unsigned cols;                  /* cells per row */
	unsigned nzones;                /* zones with cells here */
};

/* Height of a node's grid: its rows, or its zone labels if taller. */
static double panel_height(const struct node_panel *np)
{
	double h = (double)np->rows * PITCH, l = np->nzones * 30.0;

	return h > l ? h : l;
}

static void build_cells(struct node_panel *np, unsigned per)
{
	np->ncells = (np->nblocks + per - 1) / per;
	for (unsigned long i = 0; i < np->ncells; i++) {
		struct cell *c = &np->cells[i];
		unsigned long votes[MIGRATE_TYPES] = { 0 }, zvotes[MAX_NR_ZONES] = { 0 };

		memset(c, 0, sizeof(*c));
		c->pfn = np->base + ((i * per) << pageblock_order);
		c->mt = -1;
		c->zone = NO_ZONE;
		for (unsigned j = 0; j < per; j++) {
			unsigned long b = i * per + j;
			const struct block_stat *s;

			if (b >= np->nblocks) {
				c->nr += pageblock_nr_pages;
				c->hole += pageblock_nr_pages;
				continue;
			}
			s = &np->bs[b];
			c->nr += pageblock_nr_pages;
			c->free += s->free;
			c->used += s->used;
			c->reserved += s->reserved;
			c->hole += s->hole;
			if (s->mt >= 0 && s->mt < MIGRATE_TYPES)
				votes[(int)s->mt] += pageblock_nr_pages - s->hole;
			if (s->zone >= 0)
				zvotes[(int)s->zone] += pageblock_nr_pages - s->hole + 1;
		}
		for (int t = 0; t < MIGRATE_TYPES; t++)
			if (votes[t] && (c->mt < 0 || votes[t] > votes[c->mt]))
				c->mt = t;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (zvotes[z] && (c->zone < 0 || zvotes[z] > zvotes[c->zone]))
				c->zone = z;
	}
	np->rows = (np->ncells + np->cols - 1) / np->cols;
	{
		int seen[MAX_NR_ZONES] = { 0 };

		np->nzones = 0;
		for (unsigned long i = 0; i < np->ncells; i++)
			if (np->cells[i].zone >= 0 && !seen[np->cells[i].zone]++)
				np->nzones++;
	}
}

static void legend_swatch(FILE *f, double x, double y, const char *fill, const char *label)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" stroke=\"#999999\" stroke-width=\"0.5\"/>\n",
		x, y - CELL + 1, CELL, CELL, fill);
	text_at(f, x + CELL + 5, y, 12, "start", NULL, label);
}

static double draw_legend(FILE *f, double x, double y)
{
	char fill[16];
	double cx = x;

	text_at(f, x, y, 12, "start", "font-weight=\"bold\"", "Pageblock migratetype:");
	cx = x + 175;
	for (int t = 0; t < MIGRATE_TYPES; t++) {
		tint(fill, sizeof(fill), mt_rgb[t], 0);
		legend_swatch(f, cx, y, fill, migratetype_names[t]);
		cx += 30 + 7.5 * (double)strlen(migratetype_names[t]);
	}
	tint(fill, sizeof(fill), RESERVED_RGB, 0);
	legend_swatch(f, cx, y, fill, "reserved");
	cx += 95;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#bbbbbb\" stroke-dasharray=\"2 2\"/>\n",
		cx, y - CELL + 1, CELL, CELL);
	text_at(f, cx + CELL + 5, y, 12, "start", NULL, "no memory (hole)");

	y += 22;
	text_at(f, x, y, 12, "start", "font-weight=\"bold\"", "Shade = frames free:");
	cx = x + 175;
	for (int i = 0; i <= 4; i++) {
		char label[16];

		tint(fill, sizeof(fill), mt_rgb[MIGRATE_MOVABLE], FREE_TINT * i / 4.0);
		snprintf(label, sizeof(label), "%d%%", i * 25);
		legend_swatch(f, cx, y, fill, label);
		cx += 62;
	}
	text_at(f, cx + 10, y, 12, "start", "fill=\"#555555\"",
		"(pale = free, full colour = in use; free includes per-CPU lists)");
	return y;
}

int pmm_svg_memory_map(struct pmm *m, FILE *out, const struct pmm_svg_map_opts *opts)
{
	struct pmm_svg_map_opts o = { 0 };
	struct node_panel panels[MAX_NUMNODES];
	unsigned long max_rows, present_pages = 0, free_pages = 0;
	unsigned per = 1, npanels = 0, cols;
	double width, height, y;
	char buf[256], sz[32], sz2[32];
	int nid, err = 0;

	if (opts)
		o = *opts;
	if (o.columns > MAP_MAX_COLS)
		return -PMM_EINVAL;
	max_rows = o.max_rows ? o.max_rows : MAP_MAX_ROWS;
	cols = o.columns ? o.columns : MAP_COLS;
	for_each_online_node(m, nid) {
		pg_data_t *pgdat = m->node_data[nid];
		struct node_panel *np = &panels[npanels++];
		unsigned long s = pgdat->node_start_pfn, e = pgdat_end_pfn(pgdat);

		memset(np, 0, sizeof(*np));
		np->nid = nid;
		np->base = ALIGN_DOWN(s, pageblock_nr_pages);
		np->nblocks = (ALIGN_UP(e, pageblock_nr_pages) - np->base) >> pageblock_order;
	}
	/* Pageblocks per cell: a power of two keeping the rows within max_rows. */
	for (;;) {
		unsigned long rows = 0;

		for (unsigned i = 0; i < npanels; i++) {
			unsigned long span = (unsigned long)cols * per;
			unsigned long base = panels[i].base / (span << pageblock_order) * (span << pageblock_order);
			unsigned long end = panels[i].base + (panels[i].nblocks << pageblock_order);

			rows += (end - base + (span << pageblock_order) - 1) / (span << pageblock_order);
		}
		if (rows <= max_rows || per >= (1u << 20))
			break;
		per *= 2;
	}
	for (unsigned i = 0; i < npanels; i++) {
		struct node_panel *np = &panels[i];
		unsigned long span = ((unsigned long)cols * per) << pageblock_order;
		unsigned long end = np->base + (np->nblocks << pageblock_order);

		/* Rows start at multiples of their span, so addresses line up. */
		np->base = np->base / span * span; /* any column count, not only powers of two */
		np->nblocks = (end - np->base) >> pageblock_order;
		np->bs = calloc(np->nblocks ? np->nblocks : 1, sizeof(*np->bs));
		np->cells = calloc((np->nblocks + per - 1) / per + 1, sizeof(*np->cells));
		if (!np->bs || !np->cells) {
			err = -PMM_ENOMEM;
			goto out;
		}
		scan_node(m, np->nid, np->base, np->nblocks, np->bs);
		np->cols = cols;
		build_cells(np, per);
		for (unsigned long b = 0; b < np->nblocks; b++) {
			if (np->bs[b].zone == NO_ZONE)
				continue;
			present_pages += pageblock_nr_pages - np->bs[b].hole;
			free_pages += np->bs[b].free;
		}
	}

	width = LEFT + cols * PITCH + RIGHT;
	if (width < MAP_MIN_WIDTH)
		width = MAP_MIN_WIDTH;
	height = 100 + (per > 1 ? 18 : 0) + (o.subtitle ? 18 : 0) + 30;
	for (unsigned i = 0; i < npanels; i++)
		height += 60 + panel_height(&panels[i]);
	svg_begin(out, width, height);
	text_at(out, 20, 32, 20, "start", "font-weight=\"bold\"",
		o.title ? o.title : "Physical memory map");
	fmt_bytes(sz, sizeof(sz), PFN_PHYS(present_pages));
	fmt_bytes(sz2, sizeof(sz2), PFN_PHYS(free_pages));
	{
		char line[400], row[32], cellsz[32];

		fmt_bytes(cellsz, sizeof(cellsz), (uint64_t)(pageblock_nr_pages * per) << PAGE_SHIFT);

		fmt_bytes(row, sizeof(row), ((uint64_t)pageblock_nr_pages * per * cols) << PAGE_SHIFT);
		snprintf(line, sizeof(line),
			 "%d node%s, %s of memory, %s free (%.0f%%); one cell = %s%s, one row = %s",
			 npanels, npanels == 1 ? "" : "s", sz, sz2,
			 present_pages ? 100.0 * (double)free_pages / (double)present_pages : 0.0, cellsz,
			 per == 1 ? " (a pageblock)" : "", row);
		text_at(out, 20, y = 54, 13, "start", "fill=\"#333333\"", line);
		if (per > 1) {
			snprintf(line, sizeof(line),
				 "(%u pageblocks per cell: colour of the most frequent migratetype)", per);
			text_at(out, 20, y += 18, 12, "start", "fill=\"#555555\"", line);
		}
	}
	if (o.subtitle)
		text_at(out, 20, y += 18, 12, "start", "fill=\"#555555\"", o.subtitle);
	y = draw_legend(out, 20, y + 30) + 22;

	for (unsigned i = 0; i < npanels; i++) {
		struct node_panel *np = &panels[i];
		pg_data_t *pgdat = m->node_data[np->nid];
		double gx = LEFT, gy = y + 34, gh = panel_height(np);
		unsigned long npresent = 0, nfree = 0;
		double label_y = -1;
		int seen[MAX_NR_ZONES] = { 0 };
		char fill[16];

		for (unsigned long b = 0; b < np->nblocks; b++) {
			if (np->bs[b].zone == NO_ZONE)
				continue;
			npresent += pageblock_nr_pages - np->bs[b].hole;
			nfree += np->bs[b].free;
		}
		fprintf(out, "<g id=\"node%d\">\n", np->nid);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"6\" fill=\"#f7f7f7\" stroke=\"#333333\" stroke-width=\"1.5\"/>\n",
			10.0, y, width - 20, gh + 50);
		fmt_bytes(sz, sizeof(sz), PFN_PHYS(npresent));
		snprintf(buf, sizeof(buf), "Node %d", np->nid);
		text_at(out, 22, y + 22, 15, "start", "font-weight=\"bold\"", buf);
		snprintf(buf, sizeof(buf), "%s present, %.0f%% free, pfn 0x%lx-0x%lx", sz,
			 npresent ? 100.0 * (double)nfree / (double)npresent : 0.0, pgdat->node_start_pfn,
			 pgdat_end_pfn(pgdat) - 1);
		text_at(out, 90, y + 22, 12, "start", "fill=\"#333333\"", buf);

		for (unsigned long r = 0; r < np->rows; r++) {
			uint64_t addr = PFN_PHYS(np->cells[r * cols].pfn);
			char a[32];

			fmt_bytes(a, sizeof(a), addr);
			snprintf(buf, sizeof(buf), "0x%09llx", (unsigned long long)addr);
			text_at(out, gx - 62, gy + (double)r * PITCH + CELL - 1.5, 10, "end",
				"font-family=\"DejaVu Sans Mono, monospace\"", buf);
			text_at(out, gx - 8, gy + (double)r * PITCH + CELL - 1.5, 10, "end", "fill=\"#555555\"",
				addr ? a : "0");
		}
		for (unsigned long k = 0; k < np->ncells; k++) {
			const struct cell *c = &np->cells[k];
			double cx = gx + (double)(k % cols) * PITCH, cy = gy + (double)(k / cols) * PITCH;
			unsigned long present = c->nr - c->hole;

			cell_fill(c, fill, sizeof(fill));
			if (!strcmp(fill, "none")) {
				fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#bbbbbb\" stroke-width=\"0.7\" stroke-dasharray=\"2 2\"/>\n",
					cx, cy, CELL, CELL);
				continue;
			}
			fprintf(out, "<rect class=\"pb\" x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\"",
				cx, cy, CELL, CELL, fill);
			if (np->ncells <= 16384)
				fprintf(out, "><title>pfn 0x%lx-0x%lx %s %s: %lu free, %lu used, %lu reserved of %lu</title></rect>\n",
					c->pfn, c->pfn + c->nr - 1, c->zone >= 0 ? zone_names[c->zone] : "-",
					c->mt >= 0 ? migratetype_names[c->mt] : "-", c->free, c->used,
					c->reserved, present);
			else
				fputs("/>\n", out);
		}
		/* Zone outlines, and their labels in the right margin at the row each starts. */
		for (unsigned long k = 0; k < np->ncells; k++) {
			int z = np->cells[k].zone;
			const struct zone *zone;
			double ly, rx = gx + cols * PITCH;
			unsigned long zfree = 0, zpresent = 0;

			if (z < 0 || seen[z])
				continue;
			seen[z] = 1;
			zone = &pgdat->node_zones[z];
			draw_zone_edges(out, np->cells, np->ncells, cols, gx, gy, z);
			for (unsigned long b = 0; b < np->nblocks; b++) {
				if (np->bs[b].zone != z)
					continue;
				zpresent += pageblock_nr_pages - np->bs[b].hole;
				zfree += np->bs[b].free;
			}
			ly = gy + (double)(k / cols) * PITCH + CELL - 1;
			if (ly < label_y + 17)
				ly = label_y + 17;
			label_y = ly;
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
				rx + 14, ly - 10.5, zone_rgb[z]);
			fmt_bytes(sz, sizeof(sz), PFN_PHYS(zone->present_pages));
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\"><tspan font-weight=\"bold\">zone ",
				rx + 34, ly);
			xml_text(out, zone->name);
			snprintf(buf, sizeof(buf), "</tspan> %s, %.0f%% free", sz,
				 zpresent ? 100.0 * (double)zfree / (double)zpresent : 0.0);
			fprintf(out, "%s</text>\n", buf);
			snprintf(buf, sizeof(buf), "pfn 0x%lx-0x%lx", zone->zone_start_pfn,
				 zone_end_pfn(zone) - 1);
			text_at(out, rx + 34, ly + 13, 10, "start", "fill=\"#555555\"", buf);
			label_y += 13;
		}
		fputs("</g>\n", out);
		y += gh + 60;
	}
	err = svg_end(out);
out:
	for (unsigned i = 0; i < npanels; i++) {
		free(panels[i].bs);
		free(panels[i].cells);
	}
	return err;
}

/* ------------------------------------------------------------ fragmentation chart */

/* Small blocks warm, large blocks cool; every colour dark enough for a line on white. */
static const char *const order_rgb[PMM_MAX_ORDER] = {
	"#7f0000", "#d7301f", "#f16913", "#e6a100", "#a3a300", "#4daf4a",
	"#1b9e77", "#17a2b8", "#1f78b4", "#3f3fbf", "#2a1a6e",
};

static double nice_step(double range, int ticks)
{
	double raw = range / ticks, p = 1, f;

	while (p * 10 <= raw)
		p *= 10;
	while (p > raw)
		p /= 10;
	f = raw / p;

	if (f <= 1)
		return p;
	if (f <= 2)
		return 2 * p;
	if (f <= 2.5)
		return 2.5 * p;
	if (f <= 5)
		return 5 * p;
	return 10 * p;
}

static void fmt_tick(char *buf, size_t size, double v, double step)
{
	double s1 = step * 10;

	if (v == 0 || (step >= 1 && step == dfloor(step)))
		snprintf(buf, size, "%.0f", v);
	else if (s1 == dfloor(s1))
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.2f", v);
}

struct axis {
	double x0, x1, y0, y1; /* pixels: left, right, top, bottom */
	double lo, hi;         /* data range on x */
	double vlo, vhi;       /* data range on y */
};

static double ax_x(const struct axis *a, double v)
{
	return a->x0 + (a->x1 - a->x0) * (v - a->lo) / (a->hi - a->lo);
}

static double ax_y(const struct axis *a, double v)
{
	return a->y1 - (a->y1 - a->y0) * (v - a->vlo) / (a->vhi - a->vlo);
}

/* @ylog: y values are log10 of what the labels show. */
static void draw_frame(FILE *f, const struct axis *a, double ystep, int ylog, const char *ylabel,
		       int xticks, double xstep, double xscale)
{
	char buf[32];

	/* Horizontal grid and y ticks. */
	for (double v = a->vlo; v <= a->vhi + ystep * 1e-6; v += ystep) {
		double y = ax_y(a, v);

		fprintf(f, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"#e0e0e0\" stroke-width=\"1\"/>\n", a->x0, y, a->x1);
		if (ylog) {
			double p = 1;

			for (int k = 0; k < (int)(v + 0.5); k++)
				p *= 10;
			snprintf(buf, sizeof(buf), "%.0f", p);
		} else {
			fmt_tick(buf, sizeof(buf), v, ystep);
		}
		text_at(f, a->x0 - 6, y + 4, 11, "end", NULL, buf);
	}
	if (xticks) {
		double first = dceil(a->lo / xstep) * xstep;

		for (double v = first; v <= a->hi + xstep * 1e-6; v += xstep) {
			double x = ax_x(a, v);

			fprintf(f, "<path d=\"M%.1f %.1fV%.1f\" stroke=\"#333333\" stroke-width=\"1\"/>\n", x, a->y1, a->y1 + 5);
			fmt_tick(buf, sizeof(buf), v / xscale, xstep / xscale);
			text_at(f, x, a->y1 + 18, 11, "middle", NULL, buf);
		}
	}
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n",
		a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0);
	fprintf(f, "<text x=\"0\" y=\"0\" font-size=\"12\" text-anchor=\"middle\" transform=\"translate(%.1f %.1f) rotate(-90)\">",
		a->x0 - 52, (a->y0 + a->y1) / 2);
	xml_text(f, ylabel);
	fputs("</text>\n", f);
}

static double sample_x(const struct pmm_replay_sample *s, int x_events)
{
	return x_events ? (double)s->event : (double)s->ts_ns / 1e9;
}

int pmm_svg_frag_chart(const struct pmm_replay_result *res, FILE *out,
		       const struct pmm_svg_chart_opts *opts)
{
	struct pmm_svg_chart_opts o = { 0 };
	const struct pmm_replay_sample *S;
	size_t n;
	struct axis top, mid, bot;
	double maxblocks = 1, decades;
	double width, height, maxfree = 0, ystep, xstep, xscale = 1, last_label = -1e9;
	const double top_h = 300, mid_h = 220, bot_h = 160, left = 90, right = 230, head = 80;
	static const unsigned lines[] = { 3, 9, 10 };
	static const char *const line_rgb[] = { "#e6550d", "#6a3d9a", "#111111" };
	static const char *const line_dash[] = { "", " stroke-dasharray=\"7 3\"", " stroke-dasharray=\"2 2\"" };
	char buf[256];

	if (opts)
		o = *opts;
	if (!res || res->nr_samples < 2)
		return -PMM_EINVAL;
	S = res->samples;
	n = res->nr_samples;
	/* The replay's first sample is taken before any event: give it the first event's time. */
	width = o.width ? o.width : 1100;
	height = head + top_h + 40 + mid_h + 40 + bot_h + 70;
	top = (struct axis){ left, width - right, head, head + top_h, 0, 1, 0, 1 };
	top.lo = o.x_events ? (double)S[0].event : (double)res->first_ts_ns / 1e9;
	top.hi = sample_x(&S[n - 1], o.x_events);
	if (top.hi <= top.lo)
		top.hi = top.lo + 1;
	for (size_t i = 0; i < n; i++)
		if ((double)S[i].free_pages > maxfree)
			maxfree = (double)S[i].free_pages;
	maxfree = maxfree * PAGE_SIZE / (1024.0 * 1024.0);
	ystep = nice_step(maxfree > 0 ? maxfree : 1, 6);
	top.vhi = dceil((maxfree > 0 ? maxfree : 1) / ystep) * ystep;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < PMM_MAX_ORDER; k++)
			if ((double)S[i].nr_free[k] > maxblocks)
				maxblocks = (double)S[i].nr_free[k];
	decades = dceil(dlog10(maxblocks) - 1e-9);
	if (decades < 1)
		decades = 1;
	mid = top;
	mid.y0 = top.y1 + 40;
	mid.y1 = mid.y0 + mid_h;
	mid.vlo = 0;               /* log10 of 1 block; 0 blocks sit on the axis */
	mid.vhi = decades;
	bot = top;
	bot.y0 = mid.y1 + 40;
	bot.y1 = bot.y0 + bot_h;
	bot.vlo = 0;
	bot.vhi = 1;
	xstep = nice_step(top.hi - top.lo, 10);
	if (o.x_events && top.hi >= 1e6) {
		xscale = 1e6;
	} else if (o.x_events && top.hi >= 1e4) {
		xscale = 1e3;
	}

	svg_begin(out, width, height);
	text_at(out, 20, 30, 20, "start", "font-weight=\"bold\"",
		o.title ? o.title : "Fragmentation during the replay");
	if (o.subtitle)
		text_at(out, 20, 50, 12, "start", "fill=\"#444444\"", o.subtitle);

	/* Stacked free memory by order (order 0 at the bottom). */
	draw_frame(out, &top, ystep, 0, "free memory (MiB)", 0, xstep, xscale);
	for (int ord = PMM_MAX_ORDER - 1; ord >= 0; ord--) {
		fprintf(out, "<path class=\"order\" fill=\"%s\" stroke=\"none\" d=\"", order_rgb[ord]);
		for (size_t i = 0; i < n; i++) {
			double cum = 0;
			double x = ax_x(&top, i == 0 && !o.x_events ? top.lo : sample_x(&S[i], o.x_events));

			for (int k = 0; k <= ord; k++)
				cum += (double)(S[i].nr_free[k] << k);
			cum = cum * PAGE_SIZE / (1024.0 * 1024.0);
			fprintf(out, "%s%.1f %.1f", i ? "L" : "M", x, ax_y(&top, cum));
		}
		fprintf(out, "L%.1f %.1fL%.1f %.1fZ\"/>\n", ax_x(&top, top.hi), top.y1, top.x0, top.y1);
	}
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n",
		top.x0, top.y0, top.x1 - top.x0, top.y1 - top.y0);
	text_at(out, top.x0, top.y0 - 8, 13, "start", "font-weight=\"bold\"",
		"Free memory by the order of the free block holding it (stacked, MiB)");

	/* Free blocks by order, counted, on a log scale. */
	draw_frame(out, &mid, 1, 1, "free blocks (count, log scale)", 0, xstep, xscale);
	for (int ord = 0; ord < PMM_MAX_ORDER; ord++) {
		fprintf(out, "<path class=\"blocks\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" d=\"",
			order_rgb[ord]);
		for (size_t i = 0; i < n; i++) {
			double x = ax_x(&mid, i == 0 && !o.x_events ? mid.lo : sample_x(&S[i], o.x_events));
			double c = (double)S[i].nr_free[ord];

			fprintf(out, "%s%.1f %.1f", i ? "L" : "M", x, ax_y(&mid, c >= 1 ? dlog10(c) : 0));
		}
		fputs("\"/>\n", out);
	}
	text_at(out, mid.x0, mid.y0 - 8, 13, "start", "font-weight=\"bold\"",
		"Free blocks by order (buddyinfo, all zones; colours as above)");

	/* Unusable free space index. */
	draw_frame(out, &bot, 0.25, 0, "unusable free space index", 1, xstep, xscale);
	for (unsigned l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
		fprintf(out, "<path class=\"unusable\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"",
			line_rgb[l], line_dash[l]);
		for (size_t i = 0; i < n; i++) {
			double x = ax_x(&bot, i == 0 && !o.x_events ? bot.lo : sample_x(&S[i], o.x_events));

			fprintf(out, "%s%.1f %.1f", i ? "L" : "M", x, ax_y(&bot, S[i].unusable[lines[l]]));
		}
		fputs("\"/>\n", out);
	}
	text_at(out, bot.x0, bot.y0 - 8, 13, "start", "font-weight=\"bold\"",
		"Unusable free space index (share of free memory in blocks too small for the order)");
	if (o.x_events)
		snprintf(buf, sizeof(buf), "events replayed%s",
			 xscale == 1e6 ? " (millions)" : xscale == 1e3 ? " (thousands)" : "");
	else
		snprintf(buf, sizeof(buf), "trace time (s)");
	text_at(out, (bot.x0 + bot.x1) / 2, bot.y1 + 40, 12, "middle", NULL, buf);

	/* Phase markers across both panels, labels in the top panel, kept apart. */
	for (size_t p = 0; p < res->nr_phases; p++) {
		const struct pmm_replay_phase *ph = &res->phases[p];
		double v = o.x_events ? (double)ph->event : (double)ph->ts_ns / 1e9, x, lx;

		if (v < top.lo || v > top.hi)
			continue;
		x = ax_x(&top, v);
		fprintf(out, "<path class=\"phase\" d=\"M%.1f %.1fV%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"#222222\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n",
			x, top.y0, top.y1, x, mid.y0, mid.y1, x, bot.y0, bot.y1);
		lx = x - 3;
		if (lx < last_label + 13)
			lx = last_label + 13;
		last_label = lx;
		if (lx != x - 3)
			fprintf(out, "<path d=\"M%.1f %.1fL%.1f %.1f\" stroke=\"#222222\" stroke-width=\"0.7\"/>\n",
				x, top.y0 + 2, lx - 3, top.y0 + 8);
		fprintf(out, "<text class=\"phase\" x=\"0\" y=\"0\" font-size=\"11\" text-anchor=\"end\" "
			     "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\" "
			     "transform=\"translate(%.1f %.1f) rotate(-90)\">",
			lx, top.y0 + 6);
		xml_text(out, ph->name[0] ? ph->name : "phase");
		fputs("</text>\n", out);
	}

	/* Legends in the right margin. */
	{
		double lx = top.x1 + 16, ly = top.y0 + 4;

		text_at(out, lx, ly + 8, 12, "start", "font-weight=\"bold\"", "free block order");
		ly += 18;
		for (int ord = PMM_MAX_ORDER - 1; ord >= 0; ord--) {
			char size[16];

			fmt_bytes(size, sizeof(size), (uint64_t)PAGE_SIZE << ord);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\" stroke=\"#888888\" stroke-width=\"0.5\"/>\n",
				lx, ly, order_rgb[ord]);
			snprintf(buf, sizeof(buf), "order %d (%s)", ord, size);
			text_at(out, lx + 20, ly + 11.5, 11, "start", NULL, buf);
			ly += 19;
		}
		ly = bot.y0 + 4;
		text_at(out, lx, ly + 8, 12, "start", "font-weight=\"bold\"", "for an allocation of");
		ly += 18;
		for (unsigned l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
			char size[16];

			fmt_bytes(size, sizeof(size), (uint64_t)PAGE_SIZE << lines[l]);
			fprintf(out, "<path d=\"M%.1f %.1fh24\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", lx,
				ly + 7, line_rgb[l], line_dash[l]);
			snprintf(buf, sizeof(buf), "order %u (%s)", lines[l], size);
			text_at(out, lx + 30, ly + 11, 11, "start", NULL, buf);
			ly += 19;
		}
		ly += 8;
		snprintf(buf, sizeof(buf), "at the end: %.2f / %.2f / %.2f", S[n - 1].unusable[3],
			 S[n - 1].unusable[9], S[n - 1].unusable[10]);
		text_at(out, lx, ly + 8, 11, "start", "fill=\"#444444\"", buf);
		ly += 16;
		{
			char line[64], size[32];

			fmt_bytes(size, sizeof(size), (uint64_t)S[n - 1].free_pages << PAGE_SHIFT);
			snprintf(line, sizeof(line), "free at the end: %s", size);
			text_at(out, lx, ly + 8, 11, "start", "fill=\"#444444\"", line);
		}
	}
	return svg_end(out);
}
