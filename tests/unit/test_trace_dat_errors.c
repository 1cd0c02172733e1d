// SPDX-License-Identifier: MIT
/*
 * trace.dat input on its edges, from small trace.dat files (version 6,
 * uncompressed) that the test writes itself: ring-buffer pages that lost
 * events (count known and unknown), a record of an event id the file does
 * not describe, a kmem event whose format lacks a field pmm reads, events
 * of other systems, a failed allocation (pfn -1), and files that are
 * missing, empty, not a trace.dat or cut in their headers.
 */
#include "harness.h"

#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/trace.h>

#define PAGE 4096u
#define ID_FREE 301
#define ID_ALLOC 302
#define ID_SWITCH 303
#define ID_UNKNOWN 999

static bool have_tracecmd;

static int check_tracecmd(void **state)
{
	struct pmm_trace_parser *p;

	(void)state;
	/* without libtracecmd there is nothing to test */
	have_tracecmd = pmm_trace_open_dat(&p, "/nonexistent.dat", NULL) != -PMM_ENOSYS;
	return 0;
}

static void need_tracecmd(void)
{
	if (!have_tracecmd) {
		printf("SKIP: pmm built without libtracecmd\n");
		skip();
	}
}

/* ------------------------------------------------------------ building a trace.dat */

struct out {
	unsigned char *p;
	size_t len, cap;
	size_t table; /* build(): where the flyrecord CPU table starts */
};

static void put(struct out *o, const void *data, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = realloc(o->p, o->cap);
		assert_non_null(o->p);
	}
	memcpy(o->p + o->len, data, n);
	o->len += n;
}

/* Numbers little-endian, as the file says (endian byte 0). */
static void put_le(struct out *o, uint64_t v, int bytes)
{
	unsigned char b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(o, b, (size_t)bytes);
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s) + 1);
}

/* A text section: 8-byte size, then the text. */
static void put_text8(struct out *o, const char *s)
{
	put_le(o, strlen(s), 8);
	put(o, s, strlen(s));
}

static const char header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";

static const char header_event[] =
	"# compressed entry header\n"
	"\ttype_len    :    5 bits\n"
	"\ttime_delta  :   27 bits\n"
	"\tarray       :   32 bits\n"
	"\n"
	"\tpadding     : type == 29\n"
	"\ttime_extend : type == 30\n"
	"\ttime_stamp : type == 31\n"
	"\tdata max type_len  == 28\n";

#define COMMON_FIELDS                                                                  \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"        \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"        \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

/* 6.1's mm_page_free: 8 + 8 + 4 bytes */
static const char fmt_free[] =
	"name: mm_page_free\nID: 301\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"page=%p pfn=0x%lx order=%d\", "
	"(((struct page *)vmemmap_base) + (REC->pfn)), REC->pfn, REC->order\n";

/*
 * mm_page_free with its print format in another order: the record's fields
 * are all there, but libtraceevent's text of it is not the body pmm reads.
 */
static const char fmt_free_odd[] =
	"name: mm_page_free\nID: 301\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"order=%d pfn=0x%lx page=%p\", "
	"REC->order, REC->pfn, (((struct page *)vmemmap_base) + (REC->pfn))\n";

/* mm_page_free whose page= is not the pfn plus a constant: a slope of 64 */
static const char fmt_free_scaled[] =
	"name: mm_page_free\nID: 301\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"page=%p pfn=0x%lx order=%d\", "
	"(((struct page *)vmemmap_base) + (REC->pfn) * 64), REC->pfn, REC->order\n";

/*
 * mm_page_free as Linux 3.2 had it, under its name of then: the record holds
 * the struct page pointer, not the pfn, and the print format is the
 * kernel's page_to_pfn() macro expanded (x86-64, SPARSEMEM_VMEMMAP), which
 * libtraceevent evaluates without dividing by sizeof(struct page).  (The
 * common fields are 6.1's; 3.2's differ, which matters nothing here.)
 */
static const char fmt_free_direct[] =
	"name: mm_page_free_direct\nID: 301\nformat:\n" COMMON_FIELDS
	"\tfield:struct page * page;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"page=%p pfn=%lu order=%d\", REC->page, "
	"(unsigned long)((REC->page) - ((struct page *)0xffffea0000000000UL)), REC->order\n";

/*
 * mm_page_free and mm_page_alloc as Linux 3.3 to 4.0 had them: the struct
 * page pointer recorded, page_to_pfn() expanded in the print format.
 */
static const char fmt_free_page[] =
	"name: mm_page_free\nID: 301\nformat:\n" COMMON_FIELDS
	"\tfield:struct page * page;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\nprint fmt: \"page=%p pfn=%lu order=%d\", REC->page, "
	"(unsigned long)((REC->page) - ((struct page *)(0xffffea0000000000UL))), REC->order\n";

/*
 * Its gfp_flags are 3.10's bits, which differ from 6.1's (__GFP_WAIT, the
 * direct reclaim of then, is 6.1's __GFP_RECLAIMABLE bit), printed through
 * the kernel's show_gfp_flags() table as the format file spells it out.
 */
#define G(x) "(( gfp_t)" #x "u)"
static const char fmt_alloc_page[] =
	"name: mm_page_alloc\nID: 302\nformat:\n" COMMON_FIELDS
	"\tfield:struct page * page;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:gfp_t gfp_flags;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:int migratetype;\toffset:32;\tsize:4;\tsigned:1;\n"
	"\nprint fmt: \"page=%p pfn=%lu order=%d migratetype=%d gfp_flags=%s\", REC->page, "
	"REC->page ? (unsigned long)((REC->page) - ((struct page *)(0xffffea0000000000UL))) : 0, "
	"REC->order, REC->migratetype, (REC->gfp_flags) ? __print_flags(REC->gfp_flags, \"|\", "
	"{(unsigned long)(" G(0x10) " | " G(0x40) " | " G(0x80) " | " G(0x20000) " | " G(0x02) " | "
	G(0x08) "), \"GFP_HIGHUSER_MOVABLE\"}, "
	"{(unsigned long)(" G(0x10) " | " G(0x40) " | " G(0x80) " | " G(0x20000) "), \"GFP_USER\"}, "
	"{(unsigned long)(" G(0x10) " | " G(0x40) " | " G(0x80) " | " G(0x80000) "), \"GFP_TEMPORARY\"}, "
	"{(unsigned long)(" G(0x10) " | " G(0x40) " | " G(0x80) "), \"GFP_KERNEL\"}, "
	"{(unsigned long)(" G(0x10) " | " G(0x40) "), \"GFP_NOFS\"}, "
	"{(unsigned long)(" G(0x20) "), \"GFP_ATOMIC\"}, "
	"{(unsigned long)(" G(0x10) "), \"GFP_NOIO\"}, "
	"{(unsigned long)" G(0x20) ", \"GFP_HIGH\"}, {(unsigned long)" G(0x10) ", \"GFP_WAIT\"}, "
	"{(unsigned long)" G(0x40) ", \"GFP_IO\"}, {(unsigned long)" G(0x100) ", \"GFP_COLD\"}, "
	"{(unsigned long)" G(0x200) ", \"GFP_NOWARN\"}, {(unsigned long)" G(0x400) ", \"GFP_REPEAT\"}, "
	"{(unsigned long)" G(0x800) ", \"GFP_NOFAIL\"}, {(unsigned long)" G(0x1000) ", \"GFP_NORETRY\"}, "
	"{(unsigned long)" G(0x4000) ", \"GFP_COMP\"}, {(unsigned long)" G(0x8000) ", \"GFP_ZERO\"}, "
	"{(unsigned long)" G(0x10000) ", \"GFP_NOMEMALLOC\"}, "
	"{(unsigned long)" G(0x20000) ", \"GFP_HARDWALL\"}, "
	"{(unsigned long)" G(0x40000) ", \"GFP_THISNODE\"}, "
	"{(unsigned long)" G(0x80000) ", \"GFP_RECLAIMABLE\"}, "
	"{(unsigned long)" G(0x08) ", \"GFP_MOVABLE\"}, {(unsigned long)" G(0x200000) ", \"GFP_NOTRACK\"}, "
	"{(unsigned long)" G(0x400000) ", \"GFP_NO_KSWAPD\"}, "
	"{(unsigned long)" G(0x800000) ", \"GFP_OTHER_NODE\"}) : \"GFP_NOWAIT\"\n";
#undef G

/*
 * What the V_PAGE_PTR allocations ask for, in 3.10's bits: nothing (the
 * failed one), and GFP_KERNEL|__GFP_ZERO|__GFP_NO_KSWAPD with a bit the
 * table does not name.
 */
#define GFP_3_10_FAILED 0x0
#define GFP_3_10_ALLOC (0xd0 | 0x8000 | 0x400000 | 0x8000000)

/*
 * mm_page_free_batched as Linux 4.9 to 4.14 had it (pfn recorded, the
 * cold flag still there), in the free records' place: their order is its
 * cold.
 */
static const char fmt_free_batched[] =
	"name: mm_page_free_batched\nID: 301\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:int cold;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\nprint fmt: \"page=%p pfn=%lu order=0 cold=%d\", "
	"(((struct page *)vmemmap_base) + (REC->pfn)), REC->pfn, REC->cold\n";

/*
 * mm_page_alloc as 6.1 lays it out, printing gfp_flags through part of
 * 6.12's show_gfp_flags() table: GFP_ATOMIC without __GFP_ATOMIC (6.3
 * and later), GFP_NOWAIT with __GFP_NOWARN (6.12 and later).
 */
#define G(x) "(( gfp_t)" #x "u)"
static const char fmt_alloc_6_12[] =
	"name: mm_page_alloc\nID: 302\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long gfp_flags;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int migratetype;\toffset:32;\tsize:4;\tsigned:1;\n"
	"\nprint fmt: \"page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s\", "
	"REC->pfn != -1UL ? (((struct page *)vmemmap_base) + (REC->pfn)) : ((void *)0), "
	"REC->pfn != -1UL ? REC->pfn : 0, REC->order, REC->migratetype, "
	"(REC->gfp_flags) ? __print_flags(REC->gfp_flags, \"|\", "
	"{(unsigned long)(" G(0x400) " | " G(0x800) " | " G(0x40) " | " G(0x80) "), \"GFP_KERNEL\"}, "
	"{(unsigned long)(" G(0x20) " | " G(0x800) "), \"GFP_ATOMIC\"}, "
	"{(unsigned long)(" G(0x800) " | " G(0x2000) "), \"GFP_NOWAIT\"}, "
	"{(unsigned long)" G(0x20) ", \"__GFP_HIGH\"}, "
	"{(unsigned long)" G(0x2000) ", \"__GFP_NOWARN\"}, "
	"{(unsigned long)" G(0x800) ", \"__GFP_KSWAPD_RECLAIM\"}) : \"none\"\n";
#undef G

/* What the V_UNAME allocations ask for: GFP_NOWAIT (failed) and GFP_ATOMIC|__GFP_NOWARN, 6.12's bits. */
#define GFP_6_12_FAILED 0x2800
#define GFP_6_12_ALLOC 0x2820

/* build(): the UNAME option's text, or NULL for none. */
static const char *build_uname;

#define MEMMAP 0xffffea0000000000ull

/* mm_page_alloc as 6.1 lays it out; @mt names its migratetype field */
static char *fmt_alloc(const char *mt)
{
	char *s;

	assert_true(asprintf(&s,
			     "name: mm_page_alloc\nID: 302\nformat:\n" COMMON_FIELDS
			     "\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;\n"
			     "\tfield:unsigned int order;\toffset:16;\tsize:4;\tsigned:0;\n"
			     "\tfield:unsigned long gfp_flags;\toffset:24;\tsize:8;\tsigned:0;\n"
			     "\tfield:int %s;\toffset:32;\tsize:4;\tsigned:1;\n"
			     "\nprint fmt: \"page=%%p pfn=0x%%lx order=%%d migratetype=%%d "
			     "gfp_flags=%%s\", REC->pfn != -1UL ? (((struct page *)vmemmap_base) + "
			     "(REC->pfn)) : ((void *)0), REC->pfn != -1UL ? REC->pfn : 0, "
			     "REC->order, REC->%s, (REC->gfp_flags) ? \"GFP_KERNEL\" : \"none\"\n",
			     mt, mt) > 0);
	return s;
}

/* A sched event: not kmem, so "other". */
static const char fmt_switch[] =
	"name: sched_wakeup\nID: 303\nformat:\n" COMMON_FIELDS
	"\tfield:int target_pid;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\nprint fmt: \"pid=%d\", REC->target_pid\n";

/* One record to put on a ring-buffer page. */
struct rec {
	uint16_t id;
	int32_t pid;
	uint32_t delta;   /* ns after the previous record (or the page) */
	uint64_t a, b, c; /* free: pfn, order; alloc: pfn, order, gfp; sched: pid */
	int32_t d;        /* alloc: migratetype */
};

/* The record's payload; returns its length (a multiple of 4). */
static size_t payload(const struct rec *r, unsigned char *p)
{
	size_t n;

	memset(p, 0, 40);
	p[0] = (unsigned char)r->id;
	p[1] = (unsigned char)(r->id >> 8);
	memcpy(p + 4, &r->pid, 4);
	if (r->id == ID_SWITCH) {
		uint32_t v = (uint32_t)r->a;

		memcpy(p + 8, &v, 4);
		return 12;
	}
	memcpy(p + 8, &r->a, 8);
	{
		uint32_t order = (uint32_t)r->b;

		memcpy(p + 16, &order, 4);
	}
	n = 20;
	if (r->id == ID_ALLOC) {
		memcpy(p + 24, &r->c, 8);
		memcpy(p + 32, &r->d, 4);
		n = 36;
	}
	return (n + 3) & ~(size_t)3;
}

/*
 * A 4 KiB ring-buffer page at time @ts holding @n records.  @lost: 0, or
 * the page follows dropped events: -1 count unknown, else the count, stored
 * after the data as the kernel does.
 */
static void put_page(struct out *o, uint64_t ts, const struct rec *r, int n, long long lost)
{
	unsigned char page[PAGE], *d = page + 16;
	uint64_t commit;
	size_t used = 0;

	memset(page, 0, sizeof(page));
	memcpy(page, &ts, 8);
	for (int i = 0; i < n; i++) {
		unsigned char pl[40];
		size_t len = payload(&r[i], pl);
		uint32_t head = (uint32_t)(len / 4) | (r[i].delta << 5);

		memcpy(d + used, &head, 4);
		memcpy(d + used + 4, pl, len);
		used += 4 + len;
	}
	commit = used;
	if (lost) {
		commit |= 1ull << 31;
		if (lost > 0) {
			commit |= 1ull << 30;
			memcpy(d + used, &lost, 8);
		}
	}
	memcpy(page + 8, &commit, 8);
	put(o, page, sizeof(page));
}

enum variant { V_GOOD, V_NO_FIELD, V_ODD_PRINT, V_SCALED, V_FREE_DIRECT, V_PAGE_PTR, V_BATCHED, V_UNAME };

/* The record's first field: the pfn, or for a format of 4.0 and older its struct page. */
static void as_page(struct rec *r, int n, bool free_ptr, bool alloc_ptr)
{
	for (int i = 0; i < n; i++)
		if ((r[i].id == ID_FREE && free_ptr) || (r[i].id == ID_ALLOC && alloc_ptr))
			r[i].a = r[i].a == (uint64_t)-1 ? 0 : MEMMAP + r[i].a * 64;
	for (int i = 0; i < n; i++)
		if (r[i].id == ID_ALLOC && alloc_ptr)
			r[i].c = r[i].a ? GFP_3_10_ALLOC : GFP_3_10_FAILED;
}

/*
 * The test file: kmem (mm_page_free, mm_page_alloc) and sched formats,
 * saved cmdlines, and two CPUs:
 *   cpu0 page 1 at 1000: free pfn 0x1000 (pid 42), alloc of pfn -1 (failed)
 *   cpu0 page 2 at 5000, after 7 lost events: free pfn 0x2000, a record of
 *        unknown id, free pfn 0x2001
 *   cpu1 page 1 at 2000: sched_wakeup, alloc pfn 0x3000 order 2
 *   cpu1 page 2 at 6000, after lost events of unknown count: free pfn 0x3000
 * Returns the file's length; *@data_off where the CPU data starts.
 */
static size_t build(struct out *o, enum variant v, size_t *data_off)
{
	char *alloc = fmt_alloc(v == V_NO_FIELD ? "mtype" : "migratetype");
	struct rec c0p1[] = {
		{ ID_FREE, 42, 0, 0x1000, 0, 0, 0 },
		{ ID_ALLOC, 42, 10, (uint64_t)-1, 3, 0xcc0, 1 },
	};
	struct rec c0p2[] = {
		{ ID_FREE, 42, 0, 0x2000, 0, 0, 0 },
		{ ID_UNKNOWN, 42, 10, 0, 0, 0, 0 },
		{ ID_FREE, 43, 10, 0x2001, 1, 0, 0 },
	};
	struct rec c1p1[] = {
		{ ID_SWITCH, 43, 0, 42, 0, 0, 0 },
		{ ID_ALLOC, 43, 10, 0x3000, 2, 0xcc0, 0 },
	};
	struct rec c1p2[] = {
		{ ID_FREE, 43, 0, 0x3000, 2, 0, 0 },
	};
	bool free_ptr = v == V_FREE_DIRECT || v == V_PAGE_PTR, alloc_ptr = v == V_PAGE_PTR;
	size_t cpu_table, off;

	as_page(c0p1, 2, free_ptr, alloc_ptr);
	as_page(c0p2, 3, free_ptr, alloc_ptr);
	as_page(c1p1, 2, free_ptr, alloc_ptr);
	as_page(c1p2, 1, free_ptr, alloc_ptr);
	if (v == V_UNAME) {
		c0p1[1].c = GFP_6_12_FAILED;
		c1p1[1].c = GFP_6_12_ALLOC;
	}
	o->len = 0;
	put(o, "\x17\x08\x44tracing", 10);
	put_str(o, "6");
	put_le(o, 0, 1); /* little endian */
	put_le(o, 8, 1); /* long size */
	put_le(o, PAGE, 4);
	put_str(o, "header_page");
	put_text8(o, header_page);
	put_str(o, "header_event");
	put_text8(o, header_event);
	put_le(o, 0, 4); /* ftrace formats */
	put_le(o, 2, 4); /* systems */
	put_str(o, "kmem");
	put_le(o, 2, 4);
	put_text8(o, v == V_ODD_PRINT ? fmt_free_odd :
		     v == V_SCALED ? fmt_free_scaled :
		     v == V_FREE_DIRECT ? fmt_free_direct :
		     v == V_PAGE_PTR ? fmt_free_page :
		     v == V_BATCHED ? fmt_free_batched : fmt_free);
	put_text8(o, v == V_PAGE_PTR ? fmt_alloc_page : v == V_UNAME ? fmt_alloc_6_12 : alloc);
	put_str(o, "sched");
	put_le(o, 1, 4);
	put_text8(o, fmt_switch);
	put_le(o, 0, 4); /* kallsyms */
	put_le(o, 0, 4); /* printk formats */
	put_text8(o, "42 stress-ng\n43 kworker/0:1\n");
	put_le(o, 2, 4); /* cpus */
	put(o, "options  ", 10);
	if (build_uname) {
		put_le(o, 5, 2); /* UNAME */
		put_le(o, strlen(build_uname) + 1, 4);
		put_str(o, build_uname);
	}
	put_le(o, 0, 2); /* the end of the options */
	put(o, "flyrecord", 10);
	cpu_table = o->len;
	o->table = cpu_table;
	put_le(o, 0, 8);
	put_le(o, 0, 8);
	put_le(o, 0, 8);
	put_le(o, 0, 8);
	while (o->len % PAGE)
		put_le(o, 0, 1);
	off = o->len;
	*data_off = off;
	put_page(o, 1000, c0p1, 2, 0);
	put_page(o, 5000, c0p2, 3, 7);
	put_page(o, 2000, c1p1, 2, 0);
	put_page(o, 6000, c1p2, 1, -1);
	/* cpu table: offset and size of each CPU's pages */
	for (int cpu = 0; cpu < 2; cpu++) {
		uint64_t start = off + (uint64_t)cpu * 2 * PAGE, size = 2 * PAGE;

		memcpy(o->p + cpu_table + 16 * (size_t)cpu, &start, 8);
		memcpy(o->p + cpu_table + 16 * (size_t)cpu + 8, &size, 8);
	}
	free(alloc);
	return o->len;
}

/* ------------------------------------------------------------ tests */

/* Patch the 8-byte little-endian number at @at. */
static void patch8(unsigned char *p, size_t at, uint64_t v)
{
	memcpy(p + at, &v, 8);
}


static void expect_event(struct pmm_trace_parser *p, struct pmm_trace_event *ev, int kind,
			 const char *name, int cpu, uint64_t ts, int pid)
{
	int r = pmm_trace_next(p, ev);

	if (r != 1)
		fail_msg("want %s at %llu: got %d (%s)", name, (unsigned long long)ts, r,
			 pmm_trace_errmsg(p));
	assert_int_equal(ev->kind, kind);
	assert_int_equal(ev->cpu, cpu);
	assert_int_equal(ev->ts_ns, ts);
	assert_int_equal(ev->style, PMM_TRACE_STYLE_DAT);
	if (name) {
		assert_int_equal(ev->name_len, strlen(name));
		assert_memory_equal(ev->name, name, ev->name_len);
	}
	if (pid >= 0)
		assert_int_equal(ev->pid, pid);
}

static void test_lost_and_unknown(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_GOOD, &off));
	char *path = pmm_test_write_tmp("t.dat", o.p, len), want[300];
	int r;

	(void)state;
	assert_int_equal(pmm_trace_open(&p, path, NULL), 0);

	expect_event(p, &ev, PMM_TRACE_MM_PAGE_FREE, "mm_page_free", 0, 1000, 42);
	assert_int_equal(ev.pfn, 0x1000);
	assert_int_equal(ev.order, 0);
	assert_string_equal(ev.comm, "stress-ng");

	expect_event(p, &ev, PMM_TRACE_MM_PAGE_ALLOC, "mm_page_alloc", 0, 1010, 42);
	assert_int_equal(ev.pfn, 0); /* printed as 0: the allocation failed */
	assert_int_equal(ev.order, 3);
	assert_int_equal(ev.migratetype, 1);
	assert_int_equal(ev.gfp, 0xcc0);

	expect_event(p, &ev, PMM_TRACE_OTHER, "sched_wakeup", 1, 2000, 43);
	assert_non_null(ev.text);
	assert_int_equal(ev.text_len, strlen("pid=42"));
	assert_memory_equal(ev.text, "pid=42", ev.text_len);
	assert_string_equal(ev.comm, "kworker/0:1");

	expect_event(p, &ev, PMM_TRACE_MM_PAGE_ALLOC, "mm_page_alloc", 1, 2010, 43);
	assert_int_equal(ev.pfn, 0x3000);
	assert_int_equal(ev.order, 2);

	/* cpu0's second page: 7 events were lost before it */
	expect_event(p, &ev, PMM_TRACE_LOST, NULL, 0, 5000, -1);
	assert_int_equal(ev.lost, 7);
	expect_event(p, &ev, PMM_TRACE_MM_PAGE_FREE, "mm_page_free", 0, 5000, 42);
	assert_int_equal(ev.pfn, 0x2000);

	/* a record of an id the file does not describe: an error naming it, then on */
	r = pmm_trace_next(p, &ev);
	assert_int_equal(r, -PMM_EBADMSG);
	snprintf(want, sizeof(want), "%s: record at offset %zu on cpu 0: unknown event id", path,
		 off + PAGE + 16 + 4 + 20);
	assert_string_equal(pmm_trace_errmsg(p), want);
	expect_event(p, &ev, PMM_TRACE_MM_PAGE_FREE, "mm_page_free", 0, 5020, 43);
	assert_int_equal(ev.pfn, 0x2001);
	assert_int_equal(ev.order, 1);
	assert_string_equal(pmm_trace_errmsg(p), "");

	/* cpu1's second page: events lost, how many unknown */
	expect_event(p, &ev, PMM_TRACE_LOST, NULL, 1, 6000, -1);
	assert_int_equal(ev.lost, 0);
	expect_event(p, &ev, PMM_TRACE_MM_PAGE_FREE, "mm_page_free", 1, 6000, 43);
	assert_int_equal(ev.pfn, 0x3000);

	assert_int_equal(pmm_trace_next(p, &ev), 0);
	assert_int_equal(pmm_trace_next(p, &ev), 0);
	pmm_trace_get_stats(p, &st);
	assert_int_equal(st.events[PMM_TRACE_LOST], 2);
	assert_int_equal(st.lost_events, 7);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 4);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_ALLOC], 2);
	assert_int_equal(st.events[PMM_TRACE_OTHER], 1);
	assert_int_equal(st.lines, 8);
	pmm_trace_close(p);
	unlink(path);
	free(path);
	free(o.p);
}

/* Close in the middle, with a LOST notice out and its record held back. */
/*
 * page= as libtraceevent renders it, whether or not the reader renders
 * every record: the reader learns "page = pfn + C" from two renderings of
 * a format that says so (6.1's) and computes the rest, and renders every
 * record of a format that does not (page= 64 bytes a frame here).  The
 * four frees have pfns 0x1000, 0x2000, 0x2001 and 0x3000, in that order.
 */
static void test_page_linear_or_rendered(void **state)
{
	(void)state;
	for (enum variant v = V_GOOD; v <= V_SCALED; v += V_SCALED - V_GOOD) {
		struct pmm_trace_parser *p;
		struct pmm_trace_event ev;
		struct out o = { 0 };
		size_t off, len = (need_tracecmd(), build(&o, v, &off));
		char *path = pmm_test_write_tmp("t.dat", o.p, len);
		uint64_t page[4], pfn[4], slope = v == V_SCALED ? 64 : 1;
		int n = 0, r;

		assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
		while ((r = pmm_trace_next(p, &ev)) != 0) {
			if (r != 1 || ev.kind != PMM_TRACE_MM_PAGE_FREE)
				continue;
			assert_true(n < 4);
			assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_0X);
			page[n] = ev.page;
			pfn[n++] = ev.pfn;
		}
		assert_int_equal(n, 4);
		assert_int_equal(pfn[2], 0x2001);
		for (int i = 1; i < 4; i++)
			assert_int_equal(page[i] - page[0], (pfn[i] - pfn[0]) * slope);
		pmm_trace_close(p);
		unlink(path);
		free(path);
		free(o.p);
	}
}

static void test_close_midway(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_GOOD, &off));
	char *path = pmm_test_write_tmp("t.dat", o.p, len);
	int fds = pmm_test_count_fds();

	(void)state;
	assert_int_equal(pmm_trace_open_dat(&p, path, NULL), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pmm_trace_next(p, &ev), 1);
	assert_int_equal(ev.kind, PMM_TRACE_LOST);
	pmm_trace_close(p);
	assert_int_equal(pmm_test_count_fds(), fds);
	unlink(path);
	free(path);
	free(o.p);
}

/*
 * A kmem event whose format lacks a field pmm reads (here mm_page_alloc's
 * migratetype) is not decoded as that event: it comes as "other", with the
 * body libtraceevent prints.
 */
static void test_format_without_field(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_NO_FIELD, &off));
	char *path = pmm_test_write_tmp("t.dat", o.p, len);
	int r, allocs = 0, frees = 0;

	(void)state;
	assert_int_equal(pmm_trace_open_dat(&p, path, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r < 0) {
			assert_int_equal(r, -PMM_EBADMSG); /* the unknown id */
			continue;
		}
		if (ev.name_len == strlen("mm_page_alloc") &&
		    memcmp(ev.name, "mm_page_alloc", ev.name_len) == 0) {
			assert_int_equal(ev.kind, PMM_TRACE_OTHER);
			assert_non_null(ev.text);
			assert_true(ev.text_len > 0);
			allocs++;
		}
		if (ev.kind == PMM_TRACE_MM_PAGE_FREE)
			frees++;
	}
	assert_int_equal(allocs, 2);
	assert_int_equal(frees, 4);
	pmm_trace_close(p);
	unlink(path);
	free(path);
	free(o.p);
}

/*
 * The gfp of every allocation in trace.dat @path is what pmm reads from
 * `trace-cmd report`'s text of it (skipped without the trace-cmd command).
 */
static void same_gfp_as_report(const char *path)
{
	struct pmm_trace_parser *pd, *pt;
	struct pmm_trace_event d, t;
	char *cmd, *text = NULL;
	size_t len = 0, n;
	FILE *f;
	int nd = 0;

	if (system("command -v trace-cmd >/dev/null 2>&1") != 0) {
		printf("NOTE: no trace-cmd command: the report's gfp_flags not compared\n");
		return;
	}
	assert_true(asprintf(&cmd, "trace-cmd report '%s' 2>/dev/null", path) > 0);
	f = popen(cmd, "r");
	assert_non_null(f);
	text = malloc(1 << 16);
	assert_non_null(text);
	while ((n = fread(text + len, 1, (1 << 16) - 1 - len, f)) > 0)
		len += n;
	assert_int_equal(pclose(f), 0);
	assert_int_equal(pmm_trace_open(&pd, path, NULL), 0);
	assert_int_equal(pmm_trace_open_mem(&pt, "report", text, len, NULL), 0);
	for (;;) {
		int a, b;

		while ((a = pmm_trace_next(pd, &d)) != 0 && (a < 0 || d.kind != PMM_TRACE_MM_PAGE_ALLOC))
			;
		while ((b = pmm_trace_next(pt, &t)) != 0 && (b < 0 || t.kind != PMM_TRACE_MM_PAGE_ALLOC))
			;
		assert_int_equal(a, b);
		if (a == 0)
			break;
		if (d.gfp != t.gfp)
			fail_msg("allocation %d: gfp 0x%x from the file, 0x%x from its report:\n%.*s", nd,
				 d.gfp, t.gfp, (int)len, text);
		nd++;
	}
	assert_int_equal(nd, 2);
	pmm_trace_close(pd);
	pmm_trace_close(pt);
	free(text);
	free(cmd);
}

/*
 * Kernels before 4.1 recorded the struct page pointer, not the pfn, and
 * their print format computes page_to_pfn() from it; libtraceevent leaves
 * out the division by sizeof(struct page), so trace-cmd report's pfn= is
 * the byte offset into the memmap.  The reader takes the memmap's start
 * from the format and divides: the events come with the kernel's pfns and
 * the pointer as page=.  So for 3.3 to 4.0 (V_PAGE_PTR: mm_page_free and
 * mm_page_alloc, a failed allocation's NULL included) and for 2.6.32 to
 * 3.2 (V_FREE_DIRECT: mm_page_free_direct, its old name kept).  A pointer
 * that is no struct page of that memmap (here the free of 0x2001, 8 bytes
 * off) is a record error that names the pointer and the memmap.
 */
static void test_struct_page_records(void **state)
{
	(void)state;
	for (enum variant v = V_FREE_DIRECT; v <= V_PAGE_PTR; v++) {
		struct pmm_trace_parser *p;
		struct pmm_trace_event ev;
		struct pmm_trace_stats st;
		struct out o = { 0 };
		size_t off, len = (need_tracecmd(), build(&o, v, &off));
		const uint64_t want[] = { 0x1000, 0x2000, 0x2001, 0x3000 };
		uint64_t pfn[4], allocs[2];
		char *path, msg[300];
		int n = 0, na = 0, errors = 0, r;

		if (v == V_PAGE_PTR) /* the third record of cpu0's second page */
			patch8(o.p, off + PAGE + 16 + 24 + 24 + 4 + 8, MEMMAP + 0x2001 * 64 + 8);
		path = pmm_test_write_tmp("t.dat", o.p, len);
		assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
		while ((r = pmm_trace_next(p, &ev)) != 0) {
			if (r < 0) {
				assert_int_equal(r, -PMM_EBADMSG);
				snprintf(msg, sizeof(msg), "%s: record at offset %zu on cpu 0: ", path,
					 off + PAGE + 16 + 24 + 24);
				if (strncmp(pmm_trace_errmsg(p), msg, strlen(msg)) == 0) {
					assert_non_null(strstr(pmm_trace_errmsg(p),
							       "mm_page_free's page 0xffffea0000080048 is not a 64-byte struct page of the memmap at 0xffffea0000000000"));
					errors++;
				}
				continue;
			}
			if (ev.kind == PMM_TRACE_MM_PAGE_FREE) {
				assert_true(n < 4);
				assert_int_equal(ev.old_name, v == V_FREE_DIRECT);
				assert_int_equal(ev.page_fmt, PMM_TRACE_PAGE_0X);
				assert_int_equal(ev.page, MEMMAP + ev.pfn * 64);
				assert_int_equal(ev.pfn_dec, 1);
				assert_int_equal(ev.pfn_bytes, 1);
				pfn[n++] = ev.pfn;
			} else if (ev.kind == PMM_TRACE_MM_PAGE_ALLOC) {
				assert_int_equal(ev.old_name, 0);
				if (v == V_PAGE_PTR) {
					assert_int_equal(ev.page_fmt,
							 ev.pfn ? PMM_TRACE_PAGE_0X : PMM_TRACE_PAGE_NIL);
					/*
					 * 3.10's bits read through the format's names, as
					 * `trace-cmd report` prints them and pmm reads that
					 * text: 0 is "GFP_NOWAIT" (kswapd woken, as every
					 * allocation then did), __GFP_NO_KSWAPD takes that
					 * away, and a bit the table has no name for stays
					 * as a number.
					 */
					assert_int_equal(ev.gfp, ev.pfn ? (PMM_GFP_KERNEL | PMM___GFP_ZERO | 0x8000000) &
										  ~PMM___GFP_KSWAPD_RECLAIM
									: PMM_GFP_NOWAIT);
				}
				allocs[na++] = ev.pfn;
			}
		}
		pmm_trace_get_stats(p, &st);
		assert_int_equal(na, 2);
		assert_int_equal(allocs[0], 0); /* failed: printed as 0 */
		assert_int_equal(allocs[1], 0x3000);
		if (v == V_PAGE_PTR) {
			assert_int_equal(errors, 1);
			assert_int_equal(n, 3);
			assert_int_equal(pfn[0], want[0]);
			assert_int_equal(pfn[1], want[1]);
			assert_int_equal(pfn[2], want[3]);
		} else {
			assert_int_equal(errors, 0);
			assert_int_equal(n, 4);
			assert_memory_equal(pfn, want, sizeof(want));
		}
		assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], (uint64_t)n);
		assert_int_equal(st.pfn_bytes, (uint64_t)n + (v == V_PAGE_PTR)); /* and the allocation */
		assert_int_equal(st.events[PMM_TRACE_OTHER], 1); /* sched_wakeup */
		assert_int_equal(st.unrendered[PMM_TRACE_MM_PAGE_FREE], 0);
		pmm_trace_close(p);
		if (v == V_PAGE_PTR)
			same_gfp_as_report(path);
		unlink(path);
		free(path);
		free(o.p);
	}
}

/*
 * mm_page_free_batched's cold field (4.14 and older) comes as cold= and
 * has_cold, as the text parser gives it, and the event prints back as
 * `trace-cmd report` prints it.
 */
static void test_batched_cold(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_BATCHED, &off));
	const int64_t want[] = { 0x1000, 0, 0x2000, 0, 0x2001, 1, 0x3000, 2 };
	char *path = pmm_test_write_tmp("t.dat", o.p, len), line[256], body[128];
	int n = 0, r;

	(void)state;
	assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r < 0 || ev.kind != PMM_TRACE_MM_PAGE_FREE_BATCHED)
			continue;
		assert_true(n < 4);
		assert_int_equal(ev.pfn, want[2 * n]);
		assert_int_equal(ev.order, 0);
		assert_int_equal(ev.has_cold, 1);
		assert_int_equal(ev.cold, want[2 * n + 1]);
		pmm_trace_format_line(line, sizeof(line), &ev, PMM_TRACE_STYLE_REPORT, PMM_KVER_6_1);
		snprintf(body, sizeof(body), "mm_page_free_batched: page=0x%" PRIx64 " pfn=%" PRIu64
					     " order=0 cold=%d",
			 ev.pfn, ev.pfn, (int)want[2 * n + 1]);
		if (!strstr(line, body))
			fail_msg("want \"%s\" in \"%s\"", body, line);
		n++;
	}
	assert_int_equal(n, 4);
	pmm_trace_close(p);
	unlink(path);
	free(path);
	free(o.p);
}

/*
 * A trace.dat names its kernel in its UNAME option.  With kver_from_file
 * its gfp names read as that kernel's: GFP_ATOMIC lost __GFP_ATOMIC in
 * 6.3 and GFP_NOWAIT gained __GFP_NOWARN in 6.12, so a 6.12 file's numbers
 * come back as they were.  Without it, or when the file names no kernel
 * pmm can read, opts.kver holds; pmm_trace_kver() says which did.
 */
static void test_kver_from_uname(void **state)
{
	static const struct {
		const char *uname; /* NULL: no UNAME option */
		int from_file;
		enum pmm_kver kver, want;
		pmm_gfp_t nowait, atomic_nowarn;
	} cases[] = {
		{ "Linux host 6.12.15 x86_64", 1, PMM_KVER_6_1, PMM_KVER_6_12, 0x2800, 0x2820 },
		{ "Linux host 6.12.15 x86_64", 0, PMM_KVER_6_1, PMM_KVER_6_1, 0x800, 0x2a20 },
		{ "Linux host 6.6.150 x86_64", 1, PMM_KVER_6_1, PMM_KVER_6_6, 0x800, 0x2820 },
		{ "Linux host 6.8.0-31-generic x86_64", 1, PMM_KVER_6_1, PMM_KVER_6_12, 0x2800, 0x2820 },
		{ "Linux (none) 6.1.192-pageowner x86_64", 1, PMM_KVER_6_12, PMM_KVER_6_1, 0x800, 0x2a20 },
		{ NULL, 1, PMM_KVER_6_12, PMM_KVER_6_12, 0x2800, 0x2820 },
		{ "Linux host unknown x86_64", 1, PMM_KVER_6_6, PMM_KVER_6_6, 0x800, 0x2820 },
		{ "Linux", 1, PMM_KVER_6_1, PMM_KVER_6_1, 0x800, 0x2a20 },
	};

	(void)state;
	need_tracecmd();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pmm_trace_opts opts = { .kver = cases[i].kver,
					       .kver_from_file = cases[i].from_file };
		struct pmm_trace_parser *p;
		struct pmm_trace_event ev;
		struct out o = { 0 };
		pmm_gfp_t got[2] = { 0, 0 };
		size_t off, len;
		char *path;
		int n = 0, r;

		build_uname = cases[i].uname;
		len = build(&o, V_UNAME, &off);
		build_uname = NULL;
		path = pmm_test_write_tmp("t.dat", o.p, len);
		assert_int_equal(pmm_trace_open(&p, path, &opts), 0);
		assert_int_equal(pmm_trace_kver(p), cases[i].want);
		while ((r = pmm_trace_next(p, &ev)) != 0)
			if (r == 1 && ev.kind == PMM_TRACE_MM_PAGE_ALLOC && n < 2)
				got[n++] = ev.gfp;
		assert_int_equal(n, 2);
		if (got[0] != cases[i].nowait || got[1] != cases[i].atomic_nowarn)
			fail_msg("case %zu (%s): gfp 0x%x and 0x%x, want 0x%x and 0x%x", i,
				 cases[i].uname ? cases[i].uname : "no uname", (unsigned)got[0],
				 (unsigned)got[1], (unsigned)cases[i].nowait,
				 (unsigned)cases[i].atomic_nowarn);
		assert_int_equal(pmm_trace_kver(p), cases[i].want);
		pmm_trace_close(p);
		unlink(path);
		free(path);
		free(o.p);
	}
}

/*
 * A gfp_flags whose name in the format's table pmm does not know (a newer
 * kernel's flag) is a record error that quotes the names; the allocations
 * without it read on.
 */
static void test_gfp_name_unknown(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_PAGE_PTR, &off));
	unsigned char *z = memmem(o.p, len, "\"GFP_ZERO\"", 10);
	char *path;
	int allocs = 0, errors = 0, r;

	(void)state;
	assert_non_null(z);
	memcpy(z, "\"GFP_ZORO\"", 10);
	path = pmm_test_write_tmp("t.dat", o.p, len);
	assert_int_equal(pmm_trace_open(&p, path, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r == 1) {
			allocs += ev.kind == PMM_TRACE_MM_PAGE_ALLOC;
			continue;
		}
		if (strstr(pmm_trace_errmsg(p), "mm_page_free's page") ||
		    strstr(pmm_trace_errmsg(p), "unknown event id"))
			continue; /* the file's other two bad records */
		if (!strstr(pmm_trace_errmsg(p),
			    ": gfp_flags 0x84080d0 reads \"GFP_KERNEL|GFP_ZORO|GFP_NO_KSWAPD|0x8000000\" by "
			    "its print format, which pmm cannot read"))
			fail_msg("%s", pmm_trace_errmsg(p));
		errors++;
	}
	assert_int_equal(allocs, 1); /* the failed one, gfp 0 */
	assert_int_equal(errors, 1);
	pmm_trace_close(p);
	unlink(path);
	free(path);
	free(o.p);
}

/*
 * An event whose print-format text libtraceevent renders otherwise than
 * pmm reads still comes with its record's fields, but the two values that
 * exist only in that text (page=, pageblock_order) are guesses: the
 * parser counts such events by kind, and `pmm replay` says so.
 */
static void test_print_format_not_read(void **state)
{
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	struct pmm_trace_stats st;
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_ODD_PRINT, &off));
	char *path = pmm_test_write_tmp("odd.dat", o.p, len);
	const char *bin = getenv("PMM_PMM_BIN");
	uint64_t pfns = 0;
	int r;

	(void)state;
	assert_int_equal(pmm_trace_open_dat(&p, path, NULL), 0);
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r < 0)
			continue; /* the record of unknown id */
		if (ev.kind == PMM_TRACE_MM_PAGE_FREE)
			pfns += ev.pfn;
	}
	pmm_trace_get_stats(p, &st);
	pmm_trace_close(p);
	assert_int_equal(pfns, 0x1000 + 0x2000 + 0x2001 + 0x3000);
	assert_int_equal(st.events[PMM_TRACE_MM_PAGE_FREE], 4);
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++)
		if (st.unrendered[k] != (k == PMM_TRACE_MM_PAGE_FREE ? 4u : 0u))
			fail_msg("unrendered[%s] = %llu", pmm_trace_kind_name((enum pmm_trace_kind)k),
				 (unsigned long long)st.unrendered[k]);

	/* the same file in its good form: nothing counted */
	unlink(path);
	free(path);
	len = build(&o, V_GOOD, &off);
	path = pmm_test_write_tmp("good.dat", o.p, len);
	assert_int_equal(pmm_trace_open_dat(&p, path, NULL), 0);
	while (pmm_trace_next(p, &ev) != 0)
		;
	pmm_trace_get_stats(p, &st);
	pmm_trace_close(p);
	for (int k = 0; k < PMM_TRACE_NR_KINDS; k++)
		assert_int_equal(st.unrendered[k], 0);
	unlink(path);
	free(path);

	/* `pmm replay` warns, naming the kind and the count */
	if (bin) {
		char *cmd, out[4096];
		size_t n;
		FILE *f;

		len = build(&o, V_ODD_PRINT, &off);
		path = pmm_test_write_tmp("odd.dat", o.p, len);
		for (int quiet = 0; quiet < 2; quiet++) {
			assert_true(asprintf(&cmd, "'%s' replay %s --keep-going -m 'mem=256M cpus=2' '%s' 2>&1",
					     bin, quiet ? "-q" : "", path) > 0);
			f = popen(cmd, "r");
			assert_non_null(f);
			n = fread(out, 1, sizeof(out) - 1, f);
			out[n] = '\0';
			pclose(f);
			if (!strstr(out, "warning: 4 mm_page_free events") ||
			    !strstr(out, "page= and pageblock_order"))
				fail_msg("%s:\n%s", cmd, out);
			free(cmd);
		}
		unlink(path);
		free(path);
	} else {
		printf("NOTE: PMM_PMM_BIN not set: the command's warning not checked\n");
	}
	free(o.p);
}

static void test_bad_files(void **state)
{
	char msg[512], want[600], *path;
	struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = sizeof(msg) };
	struct pmm_trace_parser *p = (void *)1;

	(void)state;
	need_tracecmd();
	assert_int_equal(pmm_trace_open_dat(&p, NULL, &opts), -PMM_EINVAL);
	assert_null(p);

	assert_true(asprintf(&path, "%s/no-such-dir/missing.dat", PMM_TEST_BINARY_DIR) > 0);
	assert_int_equal(pmm_trace_open_dat(&p, path, &opts), -PMM_ENOENT);
	snprintf(want, sizeof(want), "%s: no such entry", path);
	assert_string_equal(msg, want);
	free(path);

	assert_int_equal(pmm_trace_open_dat(&p, PMM_TEST_BINARY_DIR, &opts), -PMM_EISDIR);
	snprintf(want, sizeof(want), "%s: is a directory", PMM_TEST_BINARY_DIR);
	assert_string_equal(msg, want);
	assert_null(p);

	path = pmm_test_write_tmp("empty.dat", "", 0);
	assert_int_equal(pmm_trace_open_dat(&p, path, &opts), -PMM_EBADMSG);
	snprintf(want, sizeof(want), "%s: not a trace.dat libtracecmd can read", path);
	assert_string_equal(msg, want);
	assert_null(p);
	unlink(path);
	free(path);

	path = pmm_test_write_tmp("text.dat", "# tracer: nop\n", 14);
	assert_int_equal(pmm_trace_open_dat(&p, path, &opts), -PMM_EBADMSG);
	snprintf(want, sizeof(want), "%s: not a trace.dat libtracecmd can read", path);
	assert_string_equal(msg, want);
	unlink(path);
	free(path);
}

/*
 * A file cut in its headers is refused at open as one libtracecmd cannot
 * read, naming the file.
 */
static void test_cut_in_headers(void **state)
{
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_GOOD, &off));
	const size_t cuts[] = { 9, 12, 200, 1000, 2000 };

	(void)state;
	assert_true(len > 2000);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char msg[512] = "", want[600];
		struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = sizeof(msg) };
		struct pmm_trace_parser *p = (void *)1;
		char *path = pmm_test_write_tmp("cut.dat", o.p, cuts[i]);

		assert_int_equal(pmm_trace_open_dat(&p, path, &opts), -PMM_EBADMSG);
		assert_null(p);
		/* cut in its magic: not a trace.dat; further on: pmm's walk says where */
		if (cuts[i] < 12)
			snprintf(want, sizeof(want), "%s: not a trace.dat libtracecmd can read", path);
		else
			snprintf(want, sizeof(want), "%s: cut short: ", path);
		if (strncmp(msg, want, strlen(want)) != 0 || (cuts[i] >= 12 && !strstr(msg, "past its end")))
			fail_msg("cut at %zu: %s", cuts[i], msg);
		unlink(path);
		free(path);
	}
	free(o.p);
}


/* Open @o's first @len bytes: the error, and the message in @msg. */
static int open_bytes(const unsigned char *data, size_t len, char *msg, size_t msglen,
		      char **path_out)
{
	struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = msglen };
	struct pmm_trace_parser *p = (void *)1;
	char *path = pmm_test_write_tmp("bad.dat", data, len);
	int r;

	msg[0] = '\0';
	r = pmm_trace_open_dat(&p, path, &opts);
	if (r == 0)
		pmm_trace_close(p);
	else
		assert_null(p);
	unlink(path);
	*path_out = path;
	return r;
}

/*
 * A file cut anywhere in its CPU table or data is refused at open, saying
 * it was cut short and where its data should end.  (libtracecmd itself
 * crashes on such a file, freeing per-CPU state it never set up.)
 */
static void test_cut_in_cpu_data(void **state)
{
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_GOOD, &off));
	size_t table = o.table, n = 0;

	(void)state;
	for (size_t cut = table; cut < len; cut += cut < off + 64 ? 1 : 61, n++) {
		char msg[512], want[600], *path;

		assert_int_equal(open_bytes(o.p, cut, msg, sizeof(msg), &path), -PMM_EBADMSG);
		if (cut < table + 32)
			snprintf(want, sizeof(want),
				 "%s: cut short: its table of 2 CPUs at byte %zu runs past its end (%zu bytes)",
				 path, table, cut);
		else if (cut < off + 2 * PAGE)
			snprintf(want, sizeof(want),
				 "%s: cut short: CPU 0's data runs to byte %zu, past its end (%zu bytes)",
				 path, off + 2 * PAGE, cut);
		else
			snprintf(want, sizeof(want),
				 "%s: cut short: CPU 1's data runs to byte %zu, past its end (%zu bytes)",
				 path, len, cut);
		assert_string_equal(msg, want);
		free(path);
	}
	assert_true(n > 300);
	free(o.p);
}

/*
 * CPU data libtracecmd cannot set up, or a ring-buffer page whose commit
 * size exceeds the page (kbuffer reads such a page before it checks the
 * size), is refused at open with the place named; the whole file opens.
 */
static void test_bad_cpu_data(void **state)
{
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_GOOD, &off));
	size_t table = o.table;
	unsigned char *bad = malloc(len);
	char msg[512], want[600], *path;

	(void)state;
	assert_non_null(bad);
	assert_int_equal(open_bytes(o.p, len, msg, sizeof(msg), &path), 0);
	free(path);

	/* CPU 1's second page claims 5000 bytes */
	memcpy(bad, o.p, len);
	patch8(bad, off + 3 * PAGE + 8, 5000);
	assert_int_equal(open_bytes(bad, len, msg, sizeof(msg), &path), -PMM_EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: CPU 1's ring-buffer page at byte %zu says it holds 5000 bytes, more than a page",
		 path, off + 3 * PAGE);
	assert_string_equal(msg, want);
	free(path);

	/* the lost-events flags above the size are not part of it */
	memcpy(bad, o.p, len);
	patch8(bad, off + 3 * PAGE + 8, (3ull << 30) | 40);
	assert_int_equal(open_bytes(bad, len, msg, sizeof(msg), &path), 0);
	free(path);

	/* CPU 0's data moved off a page boundary */
	memcpy(bad, o.p, len);
	patch8(bad, table, off + 8);
	assert_int_equal(open_bytes(bad, len, msg, sizeof(msg), &path), -PMM_EBADMSG);
	snprintf(want, sizeof(want),
		 "%s: CPU 0's data at byte %zu (%u bytes) is not whole ring-buffer pages", path,
		 off + 8, 2 * PAGE);
	assert_string_equal(msg, want);
	free(path);

	/* CPU 1's data said to run far past the end */
	memcpy(bad, o.p, len);
	patch8(bad, table + 24, (uint64_t)1 << 40);
	assert_int_equal(open_bytes(bad, len, msg, sizeof(msg), &path), -PMM_EBADMSG);
	assert_non_null(strstr(msg, "cut short: CPU 1's data runs to byte"));
	free(path);
	free(bad);
	free(o.p);
}

/*
 * Bytes changed at random in the CPU table and the ring-buffer pages: each
 * file either opens and reads to its end, records with errors reported as
 * such, or is refused with a reason; none crashes or leaks.
 */
static void test_corrupt_cpu_data(void **state)
{
	struct out o = { 0 };
	size_t off, len = (need_tracecmd(), build(&o, V_GOOD, &off));
	size_t table = o.table;
	unsigned char *bad = malloc(len);
	unsigned seed = 12345;
	int opened = 0, refused = 0;

	(void)state;
	assert_non_null(bad);
	for (int it = 0; it < 400; it++) {
		struct pmm_trace_parser *p;
		struct pmm_trace_event ev;
		char msg[512] = "";
		struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = sizeof(msg) };
		char *path;
		int r, n = 0, flips;

		memcpy(bad, o.p, len);
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (int)(seed >> 16) % 4;
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			/* a third of the changes land in the page headers and the table */
			size_t at = (seed >> 8) % 3 == 0 ? off + ((seed >> 12) % 4) * PAGE + (seed >> 20) % 16
							 : table + (seed >> 4) % (len - table);

			bad[at] = (unsigned char)(seed >> 24);
		}
		path = pmm_test_write_tmp("corrupt.dat", bad, len);
		r = pmm_trace_open_dat(&p, path, &opts);
		if (r == 0) {
			opened++;
			while ((r = pmm_trace_next(p, &ev)) != 0 && n++ < 1000)
				if (r < 0)
					assert_true(pmm_trace_errmsg(p)[0] != '\0');
			pmm_trace_close(p);
		} else {
			refused++;
			assert_int_equal(r, -PMM_EBADMSG);
			assert_non_null(strstr(msg, path));
		}
		unlink(path);
		free(path);
	}
	assert_true(opened > 0 && refused > 0);
	free(bad);
	free(o.p);
}

/*
 * Open @path and read it to its end: the open error, or the first record
 * error (0: none), in @msg the first message holding @want (or the first
 * one); *@n events.
 */
static int replay_file(const char *path, const char *want, char *msg, size_t msglen, long *n)
{
	struct pmm_trace_opts opts = { .kver = PMM_KVER_6_1, .errbuf = msg, .errbuf_size = msglen };
	struct pmm_trace_parser *p;
	struct pmm_trace_event ev;
	int r, first = 0;
	long calls = 0;

	msg[0] = '\0';
	*n = 0;
	r = pmm_trace_open_dat(&p, path, &opts);
	if (r)
		return r;
	while ((r = pmm_trace_next(p, &ev)) != 0) {
		if (r < 0 && (!first || (want && !strstr(msg, want) && strstr(pmm_trace_errmsg(p), want))))
			snprintf(msg, msglen, "%s", pmm_trace_errmsg(p));
		if (r < 0 && !first)
			first = r;
		/* the reader must end: no more records than the file has bytes */
		if (++calls > 1000000)
			fail_msg("%s: reading does not end", path);
		if (r > 0)
			(*n)++;
	}
	pmm_trace_close(p);
	return first;
}

/*
 * Damaged files (tests/unit/data/trace_dat, written by make.py there from
 * the fuzz seeds) that crashed, hung or allocated without bound inside
 * libtraceevent/libtracecmd before pmm checked for what each shows: each
 * is refused, at open or at its bad records, with the reason.
 */
static void test_damaged_files(void **state)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
		/* libtraceevent's parser folds "x / 0": SIGFPE */
		{ "div-zero-parse.dat", "event kmem:mm_page_free (format at byte 4185): its print format divides by zero (\"/ 0" },
		/* REC->pfn / REC->order evaluated for a record of order 0: SIGFPE */
		{ "div-field.dat", "event kmem:mm_page_free's print format divides by zero for it" },
		/* __print_flags() of an undeclared field: NULL dereference in the parser */
		{ "flags-undeclared.dat", "its print format decodes field gfp_flags, which it does not declare" },
		/* a 1 TiB header_page: allocated before it is read */
		{ "huge-header.dat", "cut short: header_page at byte 38 runs past its end (243 bytes)" },
		/* version 7 CPU data, checked as version 6's is */
		{ "v7-cpu-off-page.dat", "CPU 1's data at byte 12296 (4096 bytes) is not whole ring-buffer pages" },
		{ "v7-cpu-past-end.dat", "cut short: CPU 1's data runs to byte 1099511640064, past its end" },
		{ "v7-commit.dat", "CPU 0's ring-buffer page at byte 8192 says it holds 5000 bytes, more than a page" },
		/* an options section linking back to itself: endless recursion */
		{ "v7-options-loop.dat", "links to byte" },
		/* an option of 4 GiB: allocated before it is read */
		{ "v7-option-size.dat", "cut short: an option at byte" },
		/* compressed chunks: one that says 2 GiB, one that inflates to garbage */
		{ "v7-chunk-huge.dat", "CPU 0's compressed chunk 0 says it inflates to 2147479552 bytes" },
		{ "v7-chunk-corrupt.dat", "CPU 0's ring-buffer page at byte 0 of its inflated data (chunk 0 at byte" },
		/* (fuzzer) a printk format line with nothing after its ':': read past its end */
		{ "printk-short.dat", "printk formats" },
		/* (fuzzer) an event format libtraceevent's parser follows a NULL pointer on */
		{ "format-crash.dat", "libtraceevent crashed reading its headers" },
		/* (fuzzer) an event length that sends kbuffer back into its page: an endless loop */
		{ "v7-page-loop.dat", "cpu 1: the record after offset 37708 is at offset 37456, back in its ring-buffer page" },
	};
	char msg[512], *path;
	long n, want_n;

	(void)state;
	need_tracecmd();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		assert_true(asprintf(&path, "%s/tests/unit/data/trace_dat/%s", PMM_TEST_SOURCE_DIR, cases[i].file) > 0);
		r = replay_file(path, cases[i].want, msg, sizeof(msg), &n);
		if (r != -PMM_EBADMSG || strncmp(msg, path, strlen(path)) != 0 || !strstr(msg, cases[i].want))
			fail_msg("%s: %d %s\nwant: %s", cases[i].file, r, msg, cases[i].want);
		free(path);
	}

	/* a CPU count option of 64 over data for 2 CPUs: read as the 2 (it wrote past libtracecmd's array) */
	assert_true(asprintf(&path, "%s/tests/fuzz/seeds/trace_dat/v7-zstd.dat", PMM_TEST_SOURCE_DIR) > 0);
	assert_int_equal(replay_file(path, NULL, msg, sizeof(msg), &want_n), 0);
	free(path);
	assert_true(asprintf(&path, "%s/tests/unit/data/trace_dat/v7-cpucount.dat", PMM_TEST_SOURCE_DIR) > 0);
	assert_int_equal(replay_file(path, NULL, msg, sizeof(msg), &n), 0);
	assert_true(want_n > 200);
	assert_int_equal(n, want_n);
	free(path);
}

/* The fuzz seeds, versions 6 and 7, plain and zstd-compressed, read alike. */
static void test_seeds_alike(void **state)
{
	static const char *const seeds[] = { "v6-plain.dat", "v7-plain.dat", "v7-zstd.dat" };
	char msg[512], *path;
	long n, first = -1;

	(void)state;
	need_tracecmd();
	for (size_t i = 0; i < 3; i++) {
		assert_true(asprintf(&path, "%s/tests/fuzz/seeds/trace_dat/%s", PMM_TEST_SOURCE_DIR, seeds[i]) > 0);
		if (replay_file(path, NULL, msg, sizeof(msg), &n) != 0)
			fail_msg("%s: %s", seeds[i], msg);
		if (first < 0)
			first = n;
		assert_int_equal(n, first);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_and_unknown),
		cmocka_unit_test(test_close_midway),
		cmocka_unit_test(test_page_linear_or_rendered),
		cmocka_unit_test(test_format_without_field),
		cmocka_unit_test(test_struct_page_records),
		cmocka_unit_test(test_gfp_name_unknown),
		cmocka_unit_test(test_kver_from_uname),
		cmocka_unit_test(test_batched_cold),
		cmocka_unit_test(test_print_format_not_read),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_cut_in_headers),
		cmocka_unit_test(test_cut_in_cpu_data),
		cmocka_unit_test(test_bad_cpu_data),
		cmocka_unit_test(test_corrupt_cpu_data),
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_seeds_alike),
	};

	return cmocka_run_group_tests(tests, check_tracecmd, NULL);
}
