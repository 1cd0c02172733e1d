/* SPDX-License-Identifier: MIT */
/*
 * Address to symbol resolution for reports, through elfutils' libdwfl over
 * the process's own mappings.  Only reports call it: stacks are captured and
 * stored as bare addresses.
 *
 * Output emulates the kernel's %pS (lib/vsprintf.c symbol_string()):
 * "func+0xoff/0xsize", " [module]" appended for code outside the main
 * executable (as %pS does for module text; the module is the file's base
 * name), and "0x<hex>" for an address no symbol covers.  %pS looks the
 * address up as it is; with SYM_BACKTRACE the lookup uses addr - 1 as %pB
 * does, so a return address just past a call to a noreturn function still
 * names the caller (the printed offset stays addr - start).  Stack traces in
 * page_owner, show_stacks and stack_depot_print use %pS, so that is the
 * default.
 *
 * Locking: one lock per symbolizer around libdwfl (which is not thread-safe)
 * and its cache of resolved addresses; callable from any thread.
 */
#ifndef PMM_PLATFORM_SYMBOLIZE_H
#define PMM_PLATFORM_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct symbolizer;

enum symbolize_flags {
	SYM_BACKTRACE = 1u << 0, /* %pB: resolve addr - 1 */
	SYM_LINE = 1u << 1,      /* append " file:line" (of addr - 1 for return addresses) */
	SYM_NO_MODULE = 1u << 2, /* never append " [module]" */
};

/**
 * symbolizer_create() - a symbolizer for the calling process.
 * @flags: enum symbolize_flags used when a caller passes none (depot_snprint).
 *
 * Reads /proc/self/maps now; libraries loaded later are picked up when an
 * address falls outside every known module (at most once a second).
 * Return: the symbolizer, or NULL if libdwfl cannot be set up.
 * Context: may allocate and read files; takes no pmm lock.
 */
struct symbolizer *symbolizer_create(unsigned flags);

/* symbolizer_destroy() - free it and its cache.  NULL is allowed. */
void symbolizer_destroy(struct symbolizer *sym);

/* symbolizer_flags() - the default flags given at creation. */
unsigned symbolizer_flags(const struct symbolizer *sym);

/**
 * symbolize_addr() - format @addr into @buf (no newline).
 * @sym: NULL formats "0x<hex>".
 * Return: the length of the full text, as snprintf(); @buf is always
 * NUL-terminated when @len > 0.
 * Context: any thread; takes the symbolizer's lock; the first lookup of an
 * address may read debug information from disk.
 */
int symbolize_addr(struct symbolizer *sym, uintptr_t addr, char *buf, size_t len,
		   unsigned flags);

/**
 * symbolize_name() - just the name of the function containing @addr,
 * copied to @buf.
 * Return: 0, or -PMM_ENOENT when no symbol covers @addr (@buf gets "").
 */
int symbolize_name(struct symbolizer *sym, uintptr_t addr, char *buf, size_t len);

#endif
