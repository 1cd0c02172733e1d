/* SPDX-License-Identifier: MIT */
/*
 * The kernel's kmem page events (include/trace/events/kmem.h): reading them
 * from ftrace text (`trace`, `trace_pipe`), `trace-cmd report` text (also
 * its latency layout, -l), `perf script` text and trace-cmd `trace.dat`
 * files, and writing them in the kernel's own words.  Kernels back to 3.3
 * are read: their gfp flag names (pmm_gfp_parse()), decimal pfn= (before
 * 5.14), 32-bit page= values and mm_page_free_batched's cold= (before 4.15).
 * So are older ones (2.6.32 to 3.2), where mm_page_free is
 * "mm_page_free_direct" and mm_page_free_batched "mm_pagevec_free"
 * (ev->old_name; the same bodies, cold= always there).
 *
 * Before Linux 4.1 the kmem events recorded the struct page pointer, not
 * the pfn, and printed page_to_pfn() of it.  The kernel's own text has the
 * frame number.  A trace.dat's record has the pointer: where the print
 * format is x86-64's SPARSEMEM_VMEMMAP page_to_pfn() (the pointer minus a
 * constant memmap), the pfn is (page - memmap) / 64, page= the pointer; a
 * pointer that is not a 64-byte step from memmap is a record error, and
 * any other format leaves the event OTHER.  `trace-cmd report` and `perf
 * script` printed pfn= as libtraceevent evaluates that macro, without the
 * division: the byte offset.  Their text (page= "0x...", decimal pfn=)
 * cannot be told from a 4.1 to 5.13 kernel's by one line, so the parser
 * holds lines back (up to 100 000, in memory) until the pfns tell: six
 * multiples of 64 << order (byte offsets; by chance once in 2^36), one
 * that is not (frame numbers), or an old event name (byte offsets).  A
 * text that ends before that is taken as frame numbers.  Byte offsets are
 * divided by 64 and counted in st.pfn_bytes; one that is not a multiple of
 * 64 from the same memmap is an error line.  Nothing is held for the
 * kernel's text or hex pfn=.
 *
 * `trace-cmd report -R` prints a record's raw fields instead, gfp_flags as a
 * number in the bits of a kernel the text does not name: such lines are
 * errors whose reason names the option.
 *
 * One event is a plain `struct pmm_trace_event`.  A parser is a stream: open
 * it on a file ("-" for standard input; plain, zstd, xz or gzip, detected from the
 * content; a trace.dat is recognised by its magic) or on memory, then call
 * pmm_trace_next() until it returns 0.  A malformed line yields an error and
 * a "file:line: reason" message; the caller chooses to stop or to call again,
 * which skips that line (it is counted in the stats).
 *
 * page= values: a kernel prints the struct page address hashed ("%p": 16
 * hex digits, or 8 on a 32-bit kernel), and
 * trace-cmd prints what libtraceevent computes from the format, so neither
 * identifies a frame: use pfn.  The value is kept as printed, with the way
 * it was printed, so a line can be written back byte for byte.  For its own
 * events pmm prints the address of the frame's struct page in its vmemmap,
 * in the kernel's 16-hex-digit form (what a kernel prints with the trace
 * option hash-ptr cleared).
 *
 * pfn= is "0x%lx" since Linux 5.14 and "%lu" before; both are read, and
 * pfn_dec keeps which one a line used.
 */
#ifndef PMM_TRACE_H
#define PMM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pmm/api.h>
#include <pmm/gfp.h>

PMM_BEGIN_DECLS

enum pmm_trace_kind {
	PMM_TRACE_MM_PAGE_ALLOC = 0,        /* order, migratetype, gfp; pfn 0 = failed */
	PMM_TRACE_MM_PAGE_FREE,             /* order; "mm_page_free_direct" before 3.3 */
	PMM_TRACE_MM_PAGE_FREE_BATCHED,     /* (order 0) a second line for a free;
					       "mm_pagevec_free" before 3.3 */
	PMM_TRACE_MM_PAGE_ALLOC_ZONE_LOCKED, /* order, migratetype, percpu_refill */
	PMM_TRACE_MM_PAGE_PCPU_DRAIN,       /* order, migratetype */
	PMM_TRACE_MM_PAGE_ALLOC_EXTFRAG,    /* order = alloc_order, migratetype = alloc_migratetype, fallback_* ... */
	PMM_TRACE_PHASE,                    /* a "CAPTURE_PHASE <name>" marker: text = name */
	PMM_TRACE_OTHER,                    /* any other event: name, text = its body */
	PMM_TRACE_LOST,                     /* "CPU:N [LOST M EVENTS]": cpu, lost */
	PMM_TRACE_NR_KINDS
};

/* How page= was printed. */
enum pmm_trace_page_fmt {
	PMM_TRACE_PAGE_HEX16 = 0, /* kernel %p: 16 hex digits ("00000000a1b2c3d4") */
	PMM_TRACE_PAGE_0X,        /* libtraceevent: "0xffffffff9acc41f0" */
	PMM_TRACE_PAGE_PTRVAL,    /* "(____ptrval____)": hash key not ready yet */
	PMM_TRACE_PAGE_NULL,      /* "(null)"; page is 0 */
	PMM_TRACE_PAGE_NIL,       /* "(nil)": libtraceevent's NULL (trace-cmd report); page is 0 */
	PMM_TRACE_PAGE_HEX8,      /* a 32-bit kernel's %p: 8 hex digits ("f6f1b380") */
	PMM_TRACE_PAGE_PTRVAL32,  /* "(ptrval)": a 32-bit kernel's "(____ptrval____)" */
};

/* Layout of the text around the event. */
enum pmm_trace_style {
	PMM_TRACE_STYLE_FTRACE = 0, /* tracefs `trace` / `trace_pipe` */
	PMM_TRACE_STYLE_REPORT,     /* `trace-cmd report` */
	PMM_TRACE_STYLE_DAT,        /* read from a trace.dat (written as REPORT) */
	PMM_TRACE_STYLE_PERF,       /* `perf script`: "<comm> <tid> [cpu] ts: kmem:<event>: " */
	PMM_TRACE_STYLE_REPORT_LAT, /* `trace-cmd report -l`: "<comm, 8 columns>-<pid> <cpu><lat> ts: " */
};

#define PMM_TRACE_COMM_LEN 16 /* TASK_COMM_LEN: 15 characters and a NUL */
#define PMM_TRACE_TS_RAW 255  /* ts_digits of a counter clock: ts_ns is the raw count */

struct pmm_trace_event {
	uint64_t ts_ns;           /* timestamp in ns (raw count for counter clocks) */
	uint64_t pfn;
	uint64_t page;            /* page= as printed (see page_fmt) */
	uint64_t lost;            /* LOST: events lost on that CPU */
	pmm_gfp_t gfp;            /* MM_PAGE_ALLOC */
	int32_t pid;
	int32_t tgid;             /* -1 unless the line has a "(tgid)" column */
	int32_t cpu;
	int32_t order;            /* order; alloc_order for extfrag */
	int32_t migratetype;      /* migratetype; alloc_migratetype for extfrag */
	int32_t percpu_refill;    /* zone_locked */
	int32_t fallback_order;   /* extfrag fields */
	int32_t pageblock_order;
	int32_t fallback_migratetype;
	int32_t fragmenting;      /* as printed (kernel: 0/1) */
	int32_t change_ownership;
	int32_t cold;             /* FREE_BATCHED: cold= (Linux 4.14 and older), when has_cold */
	uint8_t kind;             /* enum pmm_trace_kind */
	uint8_t page_fmt;         /* enum pmm_trace_page_fmt */
	uint8_t style;            /* enum pmm_trace_style it was read from */
	uint8_t ts_digits;        /* decimals printed: 6 (us; also 0), 9 (ns), PMM_TRACE_TS_RAW */
	uint8_t pfn_dec;          /* pfn= was decimal (Linux 5.13 and older), else 0x hex */
	uint8_t name_pad;         /* PERF: spaces before the right-aligned event name */
	uint8_t has_cold;         /* FREE_BATCHED: the line ends in cold= */
	char lat[8];              /* latency flags ("d..4."; FTRACE, REPORT_LAT), "" when absent */
	char comm[PMM_TRACE_COMM_LEN];
	/* FREE, FREE_BATCHED: named as before Linux 3.3 (mm_page_free_direct,
	 * mm_pagevec_free); in the byte that was padding, so no field moved */
	uint8_t old_name;
	/* pfn= was printed as the struct page's byte offset into the memmap
	 * (trace-cmd report / perf script of a kernel before 4.1, or a
	 * trace.dat's record of one): pfn is that divided by 64, and the
	 * writer prints it back as it was */
	uint8_t pfn_bytes;
	const char *name;         /* event name; valid until the next call */
	size_t name_len;
	const char *text;         /* PHASE: phase name; OTHER: body; else NULL */
	size_t text_len;
};

struct pmm_trace_stats {
	uint64_t lines;                       /* lines read */
	uint64_t events[PMM_TRACE_NR_KINDS];  /* returned, by kind */
	uint64_t comments;                    /* '#' headers, "cpus=N", blank lines */
	uint64_t errors;                      /* malformed lines (skipped if the caller went on) */
	uint64_t lost_events;                 /* sum of LOST counts */
	uint64_t bytes;                       /* decoded input bytes consumed */
	/*
	 * trace.dat: kmem events, by kind, whose text as libtraceevent renders
	 * it from the file's print format did not parse as the kernel's body.
	 * Their record fields are still read; page= and pageblock_order, which
	 * exist only in that text, are then 0 (page_fmt 0X) and 9.
	 */
	uint64_t unrendered[PMM_TRACE_NR_KINDS];
	/*
	 * kmem events of a kernel before 4.1, whose pfn is the struct page's
	 * byte offset into the memmap divided by 64: a trace.dat's record of
	 * the pointer, or `trace-cmd report` / `perf script` text, which
	 * prints that offset as pfn= (see the header's note; ev->pfn_bytes).
	 */
	uint64_t pfn_bytes;
};

struct pmm_trace_opts {
	enum pmm_kver kver; /* meaning of GFP_ATOMIC/GFP_NOWAIT in the input */
	char *errbuf;       /* optional: "file: reason" when an open fails */
	size_t errbuf_size;
	/*
	 * A trace.dat that names its kernel (the release in its UNAME option)
	 * is read with that kernel's names instead of kver's
	 * (pmm_kver_from_release()); pmm_trace_kver() says which were used.
	 * Text never names its kernel: kver holds for it.
	 */
	int kver_from_file;
};

struct pmm_trace_parser;

/**
 * pmm_trace_open() - start reading events from the file at @path.
 * @out: the parser; NULL on failure.
 * @path: a file, or "-" for standard input.  Text may be plain, zstd, xz or gzip;
 *        a trace-cmd trace.dat (by its magic) goes to pmm_trace_open_dat().
 * @opts: NULL for 6.1 gfp names and no message buffer.
 *
 * Return: 0; -PMM_ENOENT, -PMM_EPERM, -PMM_EISDIR or -PMM_EIO when the file
 * cannot be read; -PMM_ENOSYS for gzip without zlib or trace.dat without libtracecmd;
 * -PMM_EBADMSG for a trace.dat libtracecmd cannot read; -PMM_ENOMEM.
 * Context: may sleep (file I/O).
 */
PMM_API int pmm_trace_open(struct pmm_trace_parser **out, const char *path,
			   const struct pmm_trace_opts *opts);

/**
 * pmm_trace_open_mem() - as pmm_trace_open(), over @len bytes at @data
 * (text only, plain or compressed), which must stay valid until close.
 * @name: used in error messages.
 * Context: any; does not sleep.
 * Return: as pmm_trace_open(), without its read errors.
 */
PMM_API int pmm_trace_open_mem(struct pmm_trace_parser **out, const char *name,
			       const void *data, size_t len, const struct pmm_trace_opts *opts);

/**
 * pmm_trace_open_dat() - read a trace-cmd trace.dat through libtracecmd.
 * Events come in timestamp order across CPUs, with style PMM_TRACE_STYLE_DAT,
 * ts_ns in full nanoseconds and ts_digits 6 (so pmm_trace_format_line()
 * with PMM_TRACE_STYLE_REPORT prints `trace-cmd report`'s line).  Record
 * fields are read as numbers; the two values that exist only in the print
 * format, page= and pageblock_order, are what libtraceevent renders (what
 * `trace-cmd report` shows; page is its vmemmap_base + pfn, not an address);
 * when that text does not parse as the kernel's body (a print format pmm
 * does not know), they are 0 and 9 and the event is counted in the stats'
 * unrendered[] by kind.
 * Kernels before 4.1 (and their old names before 3.3) recorded page, not
 * pfn: the pfn comes from the pointer where the print format gives the
 * memmap's start, else the event is PMM_TRACE_OTHER (see the top of this
 * file).
 * gfp_flags holds the bits of the kernel that wrote it, which moved between
 * versions: it is named through the print format's show_gfp_flags() table
 * as `trace-cmd report` names it, and those names read as the text parser
 * reads them (opts->kver), so that the file and its report text give the
 * same gfp; a name pmm does not know is a record error.
 * mm_page_free_batched's cold field (4.14 and older) sets cold and has_cold,
 * as cold= does in text.
 * fragmenting is the kernel's fallback_order < pageblock_order: libtraceevent
 * 1.7 mis-evaluates that expression and prints 9 or 10.  Dropped events come
 * as a PMM_TRACE_LOST event before the record that follows them.
 * libtraceevent's plugins are not loaded: an OTHER event's text is its own
 * print format's, the same on every host (`trace-cmd report` on a host
 * with libtraceevent1-plugin prints some events, sched_switch among them,
 * its own way).  Standard input cannot be a trace.dat (libtracecmd needs
 * to seek).
 * libtracecmd and libtraceevent trust the file, so pmm walks it first
 * (versions 6 and 7, plain or zstd/zlib-compressed): every size and offset
 * must lie inside the file (or its decompressed section), options must be
 * well formed (an event-hook option is refused), option sections must link
 * forward, no event print format may divide by a zero constant or decode an
 * undeclared field, and every CPU's data must be whole ring-buffer pages
 * whose commit sizes fit a page, compressed chunks inflating to what they
 * say (at most 64 MiB each, 1024 times their size in all).  A file that
 * fails is refused with -PMM_EBADMSG and a message naming the place.
 * While reading, a record that would make libtraceevent read outside it or
 * divide by zero (a field divisor that is 0 in that record) comes as a
 * -PMM_EBADMSG error naming its offset and CPU, and reading goes on; a CPU
 * whose records go back in the file (a damaged page kbuffer would loop on)
 * is reported once and not read further.
 * All of this, and libtracecmd and libtraceevent themselves, run in a
 * child process (one fork() at open; its standard output and error go to
 * /dev/null) that sends the events to the caller's process through a pipe:
 * a damaged file that makes them crash in a way the checks above did not
 * foresee cannot take the caller's process down.  If the child dies while
 * opening, the open returns -PMM_EBADMSG ("libtraceevent crashed reading
 * its headers (<signal>)"); if it dies later, every event it had read
 * comes first, then pmm_trace_next() returns -PMM_EBADMSG for good, naming
 * the file, the signal and the last event (number, CPU, timestamp); a
 * message the child could not have sent sound ends the reading the same
 * way ("failed"), and so does a child that sends nothing for 60 s, stuck
 * in a loop of the libraries ("stalled"): it is told to stop (SIGUSR1),
 * sends the events it holds and dies, or is killed.  Without a child
 * (fork() failed) the file is read in the caller's process, checks and all.
 * Return: 0; -PMM_ENOSYS when pmm was built without libtracecmd; errors as
 * pmm_trace_open().
 * Context: may sleep; forks a child process that lives until the events
 * end or pmm_trace_close() (which kills it if it is still reading, and
 * reaps it).  The child copies only the calling thread, and uses nothing
 * another thread could hold locked (glibc's fork() keeps malloc usable).
 * A caller that sets SIGCHLD to SIG_IGN still works, but a crash's signal
 * is then reported as "status unknown".
 */
PMM_API int pmm_trace_open_dat(struct pmm_trace_parser **out, const char *path,
			       const struct pmm_trace_opts *opts);

/**
 * pmm_trace_next() - the next event.
 * @ev: filled on success; its name/text pointers stay valid until the next call.
 *
 * Return: 1 for an event; 0 at the end; -PMM_EBADMSG (malformed line),
 * -PMM_ERANGE (a number too large for its field) or -PMM_E2BIG (line too
 * long): that line is skipped, pmm_trace_errmsg() says "file:line: reason",
 * and the next call goes on with the next line; -PMM_EIO (read error,
 * corrupt compressed data) or -PMM_ENOMEM: sticky, every later call returns
 * it again.  A text whose pfn= may be byte offsets (Linux before 4.1, see
 * above) is read ahead until that is known; its events and errors still
 * come in order, each with its own line number.
 * Context: may sleep when reading a file.
 */
PMM_API int pmm_trace_next(struct pmm_trace_parser *p, struct pmm_trace_event *ev);

/**
 * pmm_trace_errmsg() - "file:line: reason" for the last error, or "".
 * Return: never NULL; valid until the next call on @p.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_trace_errmsg(const struct pmm_trace_parser *p);

/**
 * pmm_trace_kver() - the kernel whose gfp names @p reads: the opts' kver,
 * or, with kver_from_file, the one a trace.dat's UNAME option names.
 * Return: that table.
 * Context: any; does not sleep.
 */
PMM_API enum pmm_kver pmm_trace_kver(const struct pmm_trace_parser *p);

/** pmm_trace_get_stats() - counts so far. Context: any. */
PMM_API void pmm_trace_get_stats(const struct pmm_trace_parser *p, struct pmm_trace_stats *st);

/**
 * pmm_trace_close() - free the parser (NULL is fine).
 * Context: no other thread may use @p.
 */
PMM_API void pmm_trace_close(struct pmm_trace_parser *p);

/**
 * pmm_trace_kind_name() - "mm_page_alloc", ..., "phase", "other", "lost"; NULL if out of range.
 * Context: any; does not sleep.
 */
PMM_API const char *pmm_trace_kind_name(enum pmm_trace_kind kind);

/**
 * pmm_trace_format_body() - the text the kernel prints after "name: " for
 * @ev ("page=... pfn=0x... order=0 migratetype=1 gfp_flags=GFP_KERNEL"),
 * with gfp names of @kver.  PHASE prints "CAPTURE_PHASE <name>", OTHER its
 * body, LOST nothing.
 * @buf, @size: destination, NUL-terminated when @size > 0.
 * Return: the length the full text needs (like snprintf).
 * Context: any; does not sleep.
 */
PMM_API size_t pmm_trace_format_body(char *buf, size_t size, const struct pmm_trace_event *ev,
				     enum pmm_kver kver);

/**
 * pmm_trace_format_line() - a whole line, without the newline, laid out as
 * @style (DAT is written as REPORT): task-pid, cpu, latency flags (FTRACE
 * when ev->lat is set, and REPORT_LAT, which also cuts the comm to 8
 * columns and prints the CPU without brackets), timestamp with ev->ts_digits decimals (0 means 6,
 * rounded to the microsecond as the kernel's ns2usecs() does), event name
 * and body.  PERF lays it out as `perf script` does: "<comm> <tid>" (or
 * "<pid>/<tid>" when ev->tgid is set), "kmem:" before a kmem event's name,
 * right-aligned after ev->name_pad spaces.  LOST prints the kernel's
 * "CPU:N [LOST M EVENTS]".
 * Return: the length the full line needs (like snprintf).
 * Context: any; does not sleep.
 */
PMM_API size_t pmm_trace_format_line(char *buf, size_t size, const struct pmm_trace_event *ev,
				     enum pmm_trace_style style, enum pmm_kver kver);

/* ------------------------------------------------------------------ pmm's own events */

struct pmm;
struct pmm_trace_writer;

struct pmm_trace_attach_opts {
	enum pmm_trace_style style; /* FTRACE (default): tracefs `trace`; REPORT: trace-cmd
				       report; REPORT_LAT: trace-cmd report -l; PERF:
				       perf script */
	enum pmm_kver kver;         /* gfp names to print */
	unsigned kinds;             /* bit (1u << kind) per kmem kind to write; 0 = all six */
	int record_tgid;            /* print the "(tgid)" column (the record-tgid option) */
	int no_header;              /* do not start with the "# tracer: nop" header */
};

/**
 * pmm_trace_attach() - write @m's own allocator events to @out as the
 * kernel's kmem trace lines: mm_page_alloc (pfn=0x0 page=(null) when it
 * fails), mm_page_free, mm_page_free_batched (pmm_free_pages_bulk()),
 * mm_page_alloc_zone_locked, mm_page_pcpu_drain and mm_page_alloc_extfrag,
 * each at the point the kernel traces it, with the
 * calling task's comm-pid (see pmm_set_thread_task()), the CPU it acts as,
 * latency flags ".....", a timestamp in seconds since the attach (the
 * thread's pmm_set_thread_time() when set) and the event's body.  page=
 * is the frame's struct page address in pmm's vmemmap.  pmm_trace_open()
 * and `pmm replay` read the output back.
 * @out: stays owned by the caller; must stay open until pmm_trace_detach().
 *       Each line is one fwrite(), so lines of concurrent threads do not mix.
 * @opts: NULL for the defaults (ftrace text, 6.1 names, every kind, header).
 * @wp: receives the writer, for pmm_trace_detach().
 * Return: 0; -PMM_EBUSY when @m already has its maximum of tracepoint
 * listeners (four); -PMM_ENOMEM; -PMM_EINVAL for a NULL argument.
 * Context: no other thread may use @m during the call.  Tracing disables
 * the per-CPU fast path, so allocation gets slower while attached.
 */
PMM_API int pmm_trace_attach(struct pmm *m, FILE *out, const struct pmm_trace_attach_opts *opts,
			     struct pmm_trace_writer **wp);

/**
 * pmm_trace_detach() - stop writing, flush @out and free @w (NULL is fine).
 * Return: 0, or -PMM_EIO when a write to @out failed at any point.
 * Context: no other thread may use the machine during the call.
 */
PMM_API int pmm_trace_detach(struct pmm_trace_writer *w);

/**
 * pmm_trace_writer_lines() - event lines written so far.
 * Return: that count.
 * Context: any thread; lock-free.
 */
PMM_API uint64_t pmm_trace_writer_lines(const struct pmm_trace_writer *w);

PMM_END_DECLS

#endif
