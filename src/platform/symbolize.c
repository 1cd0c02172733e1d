// SPDX-License-Identifier: MIT
/*
 * Symbol resolution with libdwfl for printed stack traces (%pS emulation).
 * See symbolize.h for the output format.
 *
 * Invariants: every cache entry owns its strings (copies, never pointers
 * into libdwfl, whose modules can vanish on a refresh); the cache only
 * grows, and holds one entry per distinct lookup address.
 *
 * Locking: sym->lock guards the Dwfl handle, the cache and the refresh
 * time.  The formatting happens under it too (it copies from the entry), so
 * an entry is never read while another thread fills it.
 */
#include "platform/symbolize.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <limits.h>
#include <pmm/errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "platform/lock.h"

/* A process whose libraries changed is re-read at most this often. */
#define REFRESH_INTERVAL_NS 1000000000ull

struct sym_entry {
	uintptr_t key;     /* lookup address; entry used iff name or tried */
	uintptr_t start;   /* symbol start */
	uint64_t size;     /* symbol size (st_size; 0 for assembler labels) */
	char *name;        /* NULL: no symbol covers key */
	const char *module; /* base name, NULL for the main executable; owned by sym->modules */
	char *file;        /* source file, NULL if unknown */
	int line;
	bool used;
	bool line_done;    /* file/line looked up */
};

struct module_name {
	struct module_name *next;
	char name[]; /* base name */
};

struct symbolizer {
	struct pmm_lock lock;
	Dwfl *dwfl;                   /* (lock) */
	char *debuginfo_path;         /* for Dwfl_Callbacks: NULL = default */
	Dwfl_Callbacks callbacks;
	char exe[PATH_MAX];           /* /proc/self/exe, "" if unknown */
	unsigned flags;
	uint64_t last_refresh_ns;     /* (lock) */
	struct sym_entry *cache;      /* (lock) open addressing, power of two */
	size_t cache_mask;
	size_t cache_used;
	struct module_name *modules;  /* (lock) interned module base names */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int dwfl_load(struct symbolizer *sym)
{
	if (!sym->dwfl) {
		sym->dwfl = dwfl_begin(&sym->callbacks);
		if (!sym->dwfl)
			return -PMM_ENOMEM;
	}
	dwfl_report_begin(sym->dwfl);
	if (dwfl_linux_proc_report(sym->dwfl, getpid())) {
		dwfl_report_end(sym->dwfl, NULL, NULL);
		return -PMM_EIO;
	}
	if (dwfl_report_end(sym->dwfl, NULL, NULL))
		return -PMM_EIO;
	sym->last_refresh_ns = now_ns();
	return 0;
}

struct symbolizer *symbolizer_create(unsigned flags)
{
	struct symbolizer *sym = calloc(1, sizeof(*sym));
	ssize_t n;

	if (!sym)
		return NULL;
	pmm_lock_init(&sym->lock);
	sym->flags = flags;
	sym->callbacks.find_elf = dwfl_linux_proc_find_elf;
	sym->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	sym->callbacks.debuginfo_path = &sym->debuginfo_path;
	n = readlink("/proc/self/exe", sym->exe, sizeof(sym->exe) - 1);
	sym->exe[n > 0 ? n : 0] = '\0';
	sym->cache_mask = 255;
	sym->cache = calloc(sym->cache_mask + 1, sizeof(*sym->cache));
	if (!sym->cache || dwfl_load(sym)) {
		symbolizer_destroy(sym);
		return NULL;
	}
	return sym;
}

void symbolizer_destroy(struct symbolizer *sym)
{
	if (!sym)
		return;
	if (sym->cache) {
		for (size_t i = 0; i <= sym->cache_mask; i++) {
			free(sym->cache[i].name);
			free(sym->cache[i].file);
		}
		free(sym->cache);
	}
	while (sym->modules) {
		struct module_name *m = sym->modules;

		sym->modules = m->next;
		free(m);
	}
	if (sym->dwfl)
		dwfl_end(sym->dwfl);
	pmm_lock_destroy(&sym->lock);
	free(sym);
}

unsigned symbolizer_flags(const struct symbolizer *sym)
{
	return sym ? sym->flags : 0;
}

static size_t addr_hash(uintptr_t a)
{
	uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17);
}

/* Find the slot of @key, or the empty slot where it belongs. */
static struct sym_entry *cache_slot(struct symbolizer *sym, uintptr_t key)
{
	size_t i = addr_hash(key) & sym->cache_mask;

	while (sym->cache[i].used && sym->cache[i].key != key)
		i = (i + 1) & sym->cache_mask;
	return &sym->cache[i];
}

static int cache_grow_locked(struct symbolizer *sym)
{
	size_t old_mask = sym->cache_mask;
	struct sym_entry *old = sym->cache;
	struct sym_entry *nc = calloc((old_mask + 1) * 2, sizeof(*nc));

	if (!nc)
		return -PMM_ENOMEM;
	sym->cache = nc;
	sym->cache_mask = old_mask * 2 + 1;
	for (size_t i = 0; i <= old_mask; i++)
		if (old[i].used)
			*cache_slot(sym, old[i].key) = old[i];
	free(old);
	return 0;
}

static const char *module_intern_locked(struct symbolizer *sym, const char *path)
{
	const char *base;
	struct module_name *m;
	size_t len;

	if (!path || (sym->exe[0] && !strcmp(path, sym->exe)))
		return NULL;
	if (path[0] == '[') {
		/* "[vdso: 1234]" */
		base = "vdso";
	} else {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
	}
	for (m = sym->modules; m; m = m->next)
		if (!strcmp(m->name, base))
			return m->name;
	len = strlen(base);
	m = malloc(sizeof(*m) + len + 1);
	if (!m)
		return NULL;
	memcpy(m->name, base, len + 1);
	m->next = sym->modules;
	sym->modules = m;
	return m->name;
}

static Dwfl_Module *module_of_locked(struct symbolizer *sym, uintptr_t addr)
{
	Dwfl_Module *mod = dwfl_addrmodule(sym->dwfl, addr);

	/* Perhaps a library loaded after we read the maps: read them again. */
	if (!mod && now_ns() - sym->last_refresh_ns >= REFRESH_INTERVAL_NS &&
	    dwfl_load(sym) == 0)
		mod = dwfl_addrmodule(sym->dwfl, addr);
	return mod;
}

/*
 * Line lookup by scanning every compile unit's address ranges.  libdwfl
 * finds the CU through .debug_aranges, which clang does not emit; without
 * this, code built by clang would have no file:line.
 */
static const char *line_by_cu_scan(Dwfl_Module *mod, uintptr_t at, int *lineno)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;

	if (!dw)
		return NULL;
	while (dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
		Dwarf_Addr base, start, end, rel = at - bias;
		ptrdiff_t o = 0;

		while ((o = dwarf_ranges(&cudie, o, &base, &start, &end)) > 0) {
			Dwarf_Line *l;

			if (rel < start || rel >= end)
				continue;
			l = dwarf_getsrc_die(&cudie, rel);
			if (l && dwarf_lineno(l, lineno) == 0)
				return dwarf_linesrc(l, NULL, NULL);
			return NULL;
		}
	}
	return NULL;
}

static void resolve_line_locked(struct symbolizer *sym, struct sym_entry *e)
{
	Dwfl_Module *mod;
	Dwfl_Line *line;
	uintptr_t at = e->key;
	const char *file;
	int lineno = 0;

	e->line_done = true;
	/* A return address's own line is the statement after the call. */
	if (e->name && at > e->start)
		at--;
	mod = module_of_locked(sym, at);
	line = mod ? dwfl_module_getsrc(mod, at) : NULL;
	file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (!file && mod)
		file = line_by_cu_scan(mod, at, &lineno);
	if (file) {
		e->file = strdup(file);
		e->line = lineno;
	}
}

static struct sym_entry *lookup_locked(struct symbolizer *sym, uintptr_t key)
{
	struct sym_entry *e = cache_slot(sym, key);
	Dwfl_Module *mod;
	const char *name, *modname;
	GElf_Sym esym;
	GElf_Off off = 0;

	if (e->used)
		return e;
	if ((sym->cache_used + 1) * 4 > (sym->cache_mask + 1) * 3) {
		if (cache_grow_locked(sym))
			return NULL;
		e = cache_slot(sym, key);
	}
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->used = true;
	sym->cache_used++;

	mod = module_of_locked(sym, key);
	if (!mod)
		return e;
	name = dwfl_module_addrinfo(mod, key, &off, &esym, NULL, NULL, NULL);
	if (!name || !name[0])
		return e;
	/* Drop a symbol version ("pthread_create@GLIBC_2.2.5"): not part of the name. */
	e->name = strndup(name, strcspn(name, "@"));
	e->start = key - (uintptr_t)off;
	e->size = esym.st_size;
	modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	e->module = module_intern_locked(sym, modname);
	return e;
}

/* The kernel prints hex with "0x" even for 0 (%#lx, lib/vsprintf.c number()). */
static int format_entry(char *buf, size_t len, uintptr_t addr, const struct sym_entry *e,
			unsigned flags)
{
	char tail[PATH_MAX + 32] = "";
	char mod[280] = "";

	if (!e || !e->name)
		return snprintf(buf, len, "0x%lx", (unsigned long)addr);
	if (e->module && !(flags & SYM_NO_MODULE))
		snprintf(mod, sizeof(mod), " [%s]", e->module);
	if ((flags & SYM_LINE) && e->file)
		snprintf(tail, sizeof(tail), " %s:%d", e->file, e->line);
	return snprintf(buf, len, "%s+0x%lx/0x%lx%s%s", e->name,
			(unsigned long)(addr - e->start), (unsigned long)e->size, mod, tail);
}

int symbolize_addr(struct symbolizer *sym, uintptr_t addr, char *buf, size_t len,
		   unsigned flags)
{
	struct sym_entry *e;
	uintptr_t key;
	int r;

	if (!buf)
		len = 0;
	if (!sym)
		return snprintf(buf, len, "0x%lx", (unsigned long)addr);
	key = (flags & SYM_BACKTRACE) && addr ? addr - 1 : addr;
	pmm_lock(&sym->lock);
	e = lookup_locked(sym, key);
	if (e && (flags & SYM_LINE) && !e->line_done)
		resolve_line_locked(sym, e);
	r = format_entry(buf, len, addr, e, flags);
	pmm_unlock(&sym->lock);
	return r;
}

int symbolize_name(struct symbolizer *sym, uintptr_t addr, char *buf, size_t len)
{
	struct sym_entry *e;
	int r = -PMM_ENOENT;

	if (len)
		buf[0] = '\0';
	if (!sym)
		return r;
	pmm_lock(&sym->lock);
	e = lookup_locked(sym, addr);
	if (e && e->name) {
		if (len)
			snprintf(buf, len, "%s", e->name);
		r = 0;
	}
	pmm_unlock(&sym->lock);
	return r;
}
