// SPDX-License-Identifier: MIT
/*
 * Writing kmem page events as the kernel prints them: the TP_printk bodies
 * of include/trace/events/kmem.h (reference §2.9) and the line around them,
 * either as tracefs `trace` prints it (print_trace_fmt / trace_print_context
 * in 6.1: "%16s-%-7d ", "[%03d] ", latency flags, "%5llu.%06lu: ") or as
 * `trace-cmd report` 3.x does ("%16s-%-5d [%03d] %5llu.%06lu: " and the
 * event name with its colon padded to 21 columns; with -l, libtraceevent's
 * latency layout "%8.8s-%-5d %3d<latency flags> " before the time).
 *
 * Hand-rolled appenders instead of snprintf: pmm formats one line per page
 * event when it traces itself, so this sits on a hot path.
 * Invariants: output is NUL-terminated when size > 0; the return value is
 * the untruncated length.  Locking: none; pure.
 */
#include <stdbool.h>
#include <string.h>

#include <pmm/trace.h>
#include "report/gfp_format.h"
#include "report/trace_internal.h"

struct out {
	char *buf;
	size_t size, pos;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->pos < o->size) {
		size_t room = o->size - 1 - o->pos;

		memcpy(o->buf + o->pos, s, n < room ? n : room);
	}
	o->pos += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void pad(struct out *o, size_t n)
{
	static const char spaces[] = "                                ";

	while (n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		put(o, spaces, k);
		n -= k;
	}
}

/* Unsigned decimal, zero-padded to @zeros digits; two digits per division. */
static size_t fmt_u64(char *tmp, uint64_t v, unsigned zeros)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char rev[24];
	char *e = rev + sizeof(rev), *b = e;
	size_t n;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		b -= 2;
		memcpy(b, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		b -= 2;
		memcpy(b, pairs + 2 * v, 2);
	} else {
		*--b = (char)('0' + v);
	}
	while ((size_t)(e - b) < zeros)
		*--b = '0';
	n = (size_t)(e - b);
	memcpy(tmp, b, n);
	return n;
}

static void put_u64(struct out *o, uint64_t v, unsigned zeros)
{
	char tmp[24];

	put(o, tmp, fmt_u64(tmp, v, zeros));
}

/* %Nd / %-Nd / %d */
static void put_int(struct out *o, int64_t v, int width)
{
	char tmp[24];
	size_t n;

	if (v < 0) {
		tmp[0] = '-';
		n = 1 + fmt_u64(tmp + 1, (uint64_t)-(v + 1) + 1, 0);
	} else {
		n = fmt_u64(tmp, (uint64_t)v, 0);
	}
	if (width > 0 && (size_t)width > n)
		pad(o, (size_t)width - n);
	put(o, tmp, n);
	if (width < 0 && (size_t)-width > n)
		pad(o, (size_t)-width - n);
}

static void put_hex(struct out *o, uint64_t v, unsigned digits)
{
	char tmp[16];
	unsigned n = 0;

	do {
		tmp[15 - n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v || n < digits);
	put(o, tmp + 16 - n, n);
}

static void put_page(struct out *o, const struct pmm_trace_event *ev)
{
	puts_(o, "page=");
	switch (ev->page_fmt) {
	case PMM_TRACE_PAGE_0X:
		puts_(o, "0x");
		put_hex(o, ev->page, 1);
		break;
	case PMM_TRACE_PAGE_PTRVAL:
		puts_(o, "(____ptrval____)");
		break;
	case PMM_TRACE_PAGE_NULL:
		puts_(o, "(null)");
		break;
	case PMM_TRACE_PAGE_NIL:
		puts_(o, "(nil)");
		break;
	case PMM_TRACE_PAGE_HEX8:
		put_hex(o, ev->page, 8);
		break;
	case PMM_TRACE_PAGE_PTRVAL32:
		puts_(o, "(ptrval)");
		break;
	default:
		put_hex(o, ev->page, 16);
		break;
	}
	if (ev->pfn_dec) {
		puts_(o, " pfn=");
		/* libtraceevent's pfn= before 4.1: the byte offset (x86-64's 64-byte struct page) */
		put_u64(o, ev->pfn_bytes ? ev->pfn * 64 : ev->pfn, 0);
		return;
	}
	puts_(o, " pfn=0x");
	put_hex(o, ev->pfn, 1);
}

static void field(struct out *o, const char *key, int64_t v)
{
	puts_(o, key);
	put_int(o, v, 0);
}

static void body(struct out *o, const struct pmm_trace_event *ev, enum pmm_kver kver)
{
	switch (ev->kind) {
	case PMM_TRACE_MM_PAGE_ALLOC:
		put_page(o, ev);
		field(o, " order=", ev->order);
		field(o, " migratetype=", ev->migratetype);
		puts_(o, " gfp_flags=");
		if (!ev->gfp)
			puts_(o, "none");
		else
			o->pos = gfp_format_append(o->buf, o->size, o->pos, ev->gfp, kver);
		break;
	case PMM_TRACE_MM_PAGE_FREE:
	case PMM_TRACE_MM_PAGE_FREE_BATCHED:
		put_page(o, ev);
		field(o, " order=", ev->order);
		if (ev->kind == PMM_TRACE_MM_PAGE_FREE_BATCHED && ev->has_cold)
			field(o, " cold=", ev->cold);
		break;
	case PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED:
		put_page(o, ev);
		field(o, " order=", (uint32_t)ev->order);
		field(o, " migratetype=", ev->migratetype);
		field(o, " percpu_refill=", ev->percpu_refill);
		break;
	case PMM_TRACE_MM_PAGE_PCPU_DRAIN:
		put_page(o, ev);
		field(o, " order=", ev->order);
		field(o, " migratetype=", ev->migratetype);
		break;
	case PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG:
		put_page(o, ev);
		field(o, " alloc_order=", ev->order);
		field(o, " fallback_order=", ev->fallback_order);
		field(o, " pageblock_order=", ev->pageblock_order);
		field(o, " alloc_migratetype=", ev->migratetype);
		field(o, " fallback_migratetype=", ev->fallback_migratetype);
		field(o, " fragmenting=", ev->fragmenting);
		field(o, " change_ownership=", ev->change_ownership);
		break;
	case PMM_TRACE_PHASE:
		puts_(o, "CAPTURE_PHASE ");
		if (ev->text)
			put(o, ev->text, ev->text_len);
		break;
	case PMM_TRACE_OTHER:
		if (ev->text)
			put(o, ev->text, ev->text_len);
		break;
	default:
		break;
	}
}

static size_t finish(struct out *o)
{
	if (o->size)
		o->buf[o->pos < o->size ? o->pos : o->size - 1] = '\0';
	return o->pos;
}

size_t pmm_trace_format_body(char *buf, size_t size, const struct pmm_trace_event *ev,
			     enum pmm_kver kver)
{
	struct out o = { buf, size, 0 };

	if (ev)
		body(&o, ev, kver);
	return finish(&o);
}

static void event_name(struct out *o, const struct pmm_trace_event *ev, int report, int perf)
{
	const char *name = pmm_trace_kind_name((enum pmm_trace_kind)ev->kind);
	size_t len = name ? strlen(name) : 0;
	bool kmem = true;

	if (ev->kind == PMM_TRACE_PHASE && !ev->name) {
		name = "tracing_mark_write";
		len = strlen(name);
		kmem = false;
	} else if (ev->old_name && trace_kind_old_name((enum pmm_trace_kind)ev->kind)) {
		/* a line of Linux before 3.3 keeps its event's name */
		name = trace_kind_old_name((enum pmm_trace_kind)ev->kind);
		len = strlen(name);
	} else if (ev->kind >= PMM_TRACE_PHASE && ev->name) {
		name = ev->name;
		len = ev->name_len;
		kmem = false;
	}
	if (perf) {
		/* perf script: "<subsys>:<event>" right-aligned in its column, one space after. */
		pad(o, ev->name_pad);
		if (kmem)
			puts_(o, "kmem:");
		put(o, name, len);
		puts_(o, ": ");
		return;
	}
	put(o, name, len);
	put(o, ":", 1);
	if (report && len + 1 < 21)
		pad(o, 21 - (len + 1));
	put(o, " ", 1);
}

size_t pmm_trace_format_line(char *buf, size_t size, const struct pmm_trace_event *ev,
			     enum pmm_trace_style style, enum pmm_kver kver)
{
	struct out o = { buf, size, 0 };
	int perf = style == PMM_TRACE_STYLE_PERF;
	int lat = style == PMM_TRACE_STYLE_REPORT_LAT;
	int report = style != PMM_TRACE_STYLE_FTRACE && !perf;
	size_t clen;

	if (!ev)
		return finish(&o);
	if (ev->kind == PMM_TRACE_LOST) {
		puts_(&o, "CPU:");
		put_int(&o, ev->cpu, 0);
		puts_(&o, report ? " [" : " [LOST ");
		/* 0: a count the tracer did not know, which it prints without one */
		if (ev->lost) {
			put_u64(&o, ev->lost, 0);
			puts_(&o, " ");
		}
		puts_(&o, report ? "EVENTS DROPPED]" : "EVENTS]");
		return finish(&o);
	}
	clen = strnlen(ev->comm, sizeof(ev->comm));
	if (lat) {
		/* trace-cmd report -l: "%8.8s-%-5d %3d", the latency flags, " " */
		if (clen > 8)
			clen = 8;
		pad(&o, 8 - clen);
		put(&o, ev->comm, clen);
		put(&o, "-", 1);
		put_int(&o, ev->pid, -5);
		put(&o, " ", 1);
		put_int(&o, ev->cpu, 3);
		put(&o, ev->lat, strnlen(ev->lat, sizeof(ev->lat)));
		put(&o, " ", 1);
		goto timestamp;
	}
	if (clen < 16)
		pad(&o, 16 - clen);
	put(&o, ev->comm, clen);
	if (perf && ev->tgid >= 0) {
		/* -F pid,tid: "%5d/%-5d " */
		put(&o, " ", 1);
		put_int(&o, ev->tgid, 5);
		put(&o, "/", 1);
		put_int(&o, ev->pid, -5);
		put(&o, " ", 1);
	} else if (perf) {
		put(&o, " ", 1);
		put_int(&o, ev->pid, 5);
		put(&o, " ", 1);
	} else {
		put(&o, "-", 1);
		put_int(&o, ev->pid, report ? -5 : -7);
		put(&o, " ", 1);
	}
	if (!report && !perf && ev->tgid >= 0) {
		put(&o, "(", 1);
		put_int(&o, ev->tgid, 7);
		put(&o, ") ", 2);
	}
	put(&o, "[", 1);
	put_u64(&o, (uint32_t)ev->cpu, 3);
	put(&o, "] ", 2);
	if (!report && !perf && ev->lat[0]) {
		put(&o, ev->lat, strnlen(ev->lat, sizeof(ev->lat)));
		put(&o, " ", 1);
	}
timestamp:
	if (ev->ts_digits == PMM_TRACE_TS_RAW) {
		char tmp[24];
		size_t n = fmt_u64(tmp, ev->ts_ns, 0);

		if (n < 12)
			pad(&o, 12 - n);
		put(&o, tmp, n);
	} else {
		char tmp[24];
		size_t n;
		uint64_t t = ev->ts_ns;
		uint64_t frac;

		if (ev->ts_digits == 9) {
			frac = t % 1000000000u;
			t /= 1000000000u;
		} else {
			/* ns2usecs(): the kernel rounds to the nearest microsecond. */
			t = t / 1000u + (t % 1000u >= 500u);
			frac = t % 1000000u;
			t /= 1000000u;
		}
		n = fmt_u64(tmp, t, 0);
		if (n < 5)
			pad(&o, 5 - n);
		put(&o, tmp, n);
		put(&o, ".", 1);
		put_u64(&o, frac, ev->ts_digits == 9 ? 9 : 6);
	}
	put(&o, ": ", 2);
	event_name(&o, ev, report, perf);
	body(&o, ev, kver);
	return finish(&o);
}
