// SPDX-License-Identifier: MIT
/*
 * The machine a Linux capture describes, as config text: what a user of
 * `pmm replay` would otherwise copy by hand from a boot log into a config
 * file (data/kmem-6.1-machine.conf was written that way).
 *
 *   boot log (dmesg, console log; any codec the line reader knows):
 *     "Early memory node ranges" and the "  node   N: [mem A-B]" lines
 *       after it                                   -> node=N:A-B
 *     "smp: Brought up N nodes, M CPUs" (else "smpboot: Allowing M CPUs,
 *       H hotplug CPUs": M - H)                    -> cpus=
 *     x86's ".... node  #N, CPUs:   #2  #3" (the secondary CPUs by node,
 *       the list going on in lines of bare " #N" where printk broke it)
 *       and "SRAT: PXM P -> APIC 0x00 -> Node N" (the boot CPU's node),
 *       when the CPUs are on more than one node    -> node_cpus=N:LIST
 *     "Zone ranges:" when ZONE_NORMAL has memory and a boundary is not
 *       x86-64's 16M / 4G                          -> dma= dma32=
 *     "Kernel command line:" parameters pmm shares with the kernel
 *       (kernelcore, movablecore, page_alloc.shuffle, init_on_alloc, ...)
 *       and, when "HugeTLB: registered 1.00 GiB page size" says the kernel
 *       has them, the hugepagesz=/hugepages= that count 1 GiB pages
 *     an x86 log of Linux 5.13 or later ("BIOS-e820:" lines, "Linux
 *       version") keeps the first 1 MiB            -> reserve=0x0-0xfffff
 *     "RAMDISK: [mem A-B]" and "Freeing initrd memory"
 *                                                  -> reserve=A-B late_free=A-B:initrd
 *       (where the kernel moved it: "Allocated new RAMDISK: [mem A-B]", B
 *       not page-aligned, when the loader left it above the mapped memory)
 *     "node N deferred pages initialised in Mms"  -> deferred_struct_page_init=on
 *   nodes/nodeN/cpulist: each node's CPUs, in place of the log's lines
 *                                                  -> node_cpus=N:LIST
 *     unless a CPU is in several (NUMA emulation): what each node counts
 *                                                  -> node_cpumask=N:LIST
 *   nodes/nodeN/distance: the SLIT row of each node, when not all 10/20
 *                                                  -> node_distance=N:D,...
 *   iomem.txt: "Kernel code" .. "Kernel bss"     -> reserve=
 *     "System RAM" outside the node ranges: a DIMM ACPI added after boot,
 *     on the node of the log's "SRAT: ... hotplug" range, onlined as the
 *     command line's memhp_default_state= says -> hotplug=N:A-B[:STATE]
 *     with the boot log's "Freeing unused kernel image ... memory: NK",
 *     "Freeing unused decrypted memory" and "Freeing SMP alternatives
 *     memory": the image's gaps, init memory, decrypted section and SMP
 *     alternatives                                -> late_free=A-B:WHAT
 *   kpageflags.bin (/proc/kpageflags, plain or compressed): the frames
 *     still PG_reserved at the end           -> reserve= each run, exactly
 *     and, inside the image, the runs that are not: what the kernel freed
 *     of it, named by where they lie and checked against the log's sizes
 *                                                  -> late_free=A-B:WHAT
 *   sysctl_vm/: min_free_kbytes, watermark_scale_factor,
 *     watermark_boost_factor, lowmem_reserve_ratio,
 *     percpu_pagelist_high_fraction               -> the same keys
 *   zoneinfo.txt: a zone whose managed count is below what the config so
 *     far gives (without kpageflags: the kernel also reserved its memmap,
 *     page tables, ... from memblock) gets the difference reserved at its
 *     top, where memblock allocates -> reserve=, so that managed pages, watermarks
 *     and per-CPU high/batch come out as the kernel's; ZONE_MOVABLE from
 *     where the log's "Movable zone start for each node" lines put it
 *
 * iomem.txt and zoneinfo.txt may be compressed too (.xz, .zst, .gz).
 *
 * Every token is checked with pmm_config_parse() before it is written; one
 * pmm does not take (kernelcore=mirror) becomes a comment saying why.
 * Each token carries the file and line it came from as a comment.
 *
 * Locking: none; reads files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pmm/config.h>
#include <pmm/errno.h>

#include "lib/linereader.h"
#include "lib/uname.h"
#include "mm/internal.h"

#define MAX_LINE 512

/* The boot log's names in a capture directory, in the order they are tried. */
static const char *const boot_log_names[] = {
	"dmesg.txt", "dmesg.txt.xz", "dmesg.txt.zst", "dmesg.txt.gz", "dmesg",
	"console.log", "console.log.xz", "console.log.zst", "console.log.gz",
};

/* Kernel parameters that are pmm config keys with the kernel's syntax. */
static const char *const cmdline_keys[] = {
	"kernelcore", "movablecore", "page_alloc.shuffle", "init_on_alloc", "init_on_free",
	"page_poison", "debug_pagealloc", "debug_guardpage_minorder", "transparent_hugepage",
};

static const char *const sysctl_keys[] = {
	"min_free_kbytes", "watermark_scale_factor", "watermark_boost_factor",
	"lowmem_reserve_ratio", "percpu_pagelist_high_fraction",
};

struct capture {
	FILE *out;
	char *err;
	size_t errlen;
	struct pmm_config scratch; /* every token is tried here first */
	unsigned nr_ranges;
	unsigned long ranges_heading; /* the line of the first "Early memory node ranges"; 0 none */
	bool in_ranges, in_zones, in_movable;
	unsigned long long movable_start[PMM_MAX_NUMNODES]; /* "  Node N: 0x...": bytes; 0 none */
	bool movable_seen;          /* "Movable zone start for each node" */
	int cpus, cpus_allowed;     /* -1: not seen */
	char cpus_src[768];
	unsigned long long zone_end[3]; /* DMA, DMA32, Normal: last byte, 0 = empty or absent */
	char cmdline[4096];
	char cmdline_src[768];
	unsigned long long initrd[2];   /* "RAMDISK: [mem A-B]", inclusive; [1] = 0: none */
	bool initrd_freed;              /* "Freeing initrd memory" */
	unsigned long long gap_k[2];    /* "Freeing unused kernel image (text/rodata gap)",
					   "(rodata/data gap) memory: NK" */
	unsigned long long initmem_k;   /* "Freeing unused kernel image (initmem) memory: NK" */
	unsigned long long decrypted_k; /* "Freeing unused decrypted memory: NK" */
	unsigned long long alt_k;       /* "Freeing SMP alternatives memory: NK" */
	unsigned long long wp_k;        /* "Write protecting the kernel read-only data: Nk"; 0 unseen */
	unsigned nr_unnamed_gaps;       /* Linux 5.4's unnamed image frees after that line */
	unsigned long long unnamed_k;   /* more of them than x86 frees: kept reserved */
	bool rodata_from_log;           /* iomem.txt without "Kernel rodata": placed by wp_k */
	char deferred_src[288];         /* "node N deferred pages initialised in Mms" */
	bool gigantic;                  /* "HugeTLB: registered 1.00 GiB page size" */
	/* "ACPI: SRAT: Node N PXM P [mem A-B] hotplug": where a DIMM plugged at boot goes */
	struct { int nid; unsigned long long a, b; } srat_hotplug[16];
	unsigned nr_srat_hotplug;
	const char *memhp_state;        /* memhp_default_state= of the command line, or NULL */
	int heap_init[2];               /* "mem auto-init: ... heap alloc:on, heap free:off": 1/0, -1 unseen */
	char heap_init_src[288];
	uint8_t cpu_node[PMM_MAX_CPUS]; /* 1 + each CPU's node; 0: not known */
	int cpu_list_node;              /* 1 + the node of the last "CPUs:" list; 0: none open */
	char cpu_node_src[224];
	bool cpu_node_sysfs;        /* from nodes/nodeN/cpulist: the log's lines are not needed */
	int bsp_node;               /* "SRAT: ... APIC 0x00 -> Node N": CPU 0's node; -1: unknown */
	/* kpageflags.bin: the frames of memory PG_reserved at the end, as runs [0, 1) of pfns. */
	unsigned long long (*kpf)[2];
	size_t nr_kpf, cap_kpf;
	bool kpf_read;              /* there was a kpageflags file, and it was read */
	char kpf_name[32];          /* its name in the directory */
	bool kpf_over;              /* with it a zone has fewer managed pages than zoneinfo says */
	bool first_mb;              /* reserve=0x0-0xfffff was written */
	unsigned long long image[2];    /* the image's reserve=, inclusive; [1] = 0: none */
	bool x86;                   /* "BIOS-e820:" lines */
	int version;                /* "Linux version X.Y": X * 1000 + Y, 0 = unknown */
	char version_src[160];
};

static __attribute__((format(printf, 3, 4))) int failf(struct capture *c, int err,
							 const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Write "@token  # @src" if pmm takes @token, else a comment with the reason. */
static void emit(struct capture *c, const char *token, const char *src)
{
	char why[256], line[1200];

	if (pmm_config_parse(&c->scratch, token, strlen(token), "token", why, sizeof(why)) == 0)
		snprintf(line, sizeof(line), "%-32s # %s", token, src);
	else
		snprintf(line, sizeof(line), "# %s: '%s' not taken: %s", src, token,
			 strstr(why, ": ") ? strstr(why, ": ") + 2 : why);
	/* One line, whatever the capture's files hold: a comment must not end early. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(c->out, "%s\n", line);
}

/*
 * The length of a CONFIG_PRINTK_CALLER field at @s, "[%6s]" of "T<pid>" or
 * "C<cpu>" and the blank after it, else 0.
 */
static size_t caller_field(const char *s)
{
	size_t i = 1;

	if (*s != '[')
		return 0;
	while (s[i] == ' ')
		i++;
	if (s[i] != 'T' && s[i] != 'C')
		return 0;
	if (s[++i] < '0' || s[i] > '9')
		return 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (s[i] != ']')
		return 0;
	return i + 1 + (s[i + 1] == ' ');
}

/*
 * The message of a log line: after a "<N>" syslog level, a "[ seconds]"
 * stamp and a caller field (the console puts it right after the stamp,
 * util-linux dmesg after a blank).
 */
static const char *log_body(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');

		if (e)
			s = e + 1;
	}
	if (*s == '[') {
		const char *e = strchr(s, ']');

		if (e)
			s = e + 1 + (e[1] == ' ');
	}
	return s + caller_field(s);
}

/*
 * "Freeing unused kernel image memory: NK" of Linux 5.4 and older (the
 * "(initmem)", "(text/rodata gap)" and "(rodata/data gap)" names came in
 * 5.5; 4.x said "unused kernel memory"): named by when it comes, as x86
 * frees them: initmem in free_initmem(), then mark_rodata_ro() prints
 * "Write protecting the kernel read-only data" and frees the text/rodata
 * gap and the rodata/data gap, in that order.
 */
static void image_unnamed(struct capture *c, unsigned long long k)
{
	if (!c->wp_k)
		c->initmem_k += k;
	else if (c->nr_unnamed_gaps < 2)
		c->gap_k[c->nr_unnamed_gaps++] += k;
	else
		c->unnamed_k += k; /* a third after it: no x86 kernel frees one */
}

/* A line that is only " #N" CPU numbers: the rest of a broken "CPUs:" list. */
static bool cpu_list_rest(const char *s)
{
	bool any = false;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '#')
			return any && (*s == '\0' || *s == '\n' || *s == '\r');
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		any = true;
	}
}

static int boot_log_line(struct capture *c, const char *name, unsigned long lineno, const char *s)
{
	char src[160], tok[128];
	unsigned long long a, b;
	int nid, n1, n2;
	const char *p;

	snprintf(src, sizeof(src), "%s:%lu", name, lineno);
	if (strncmp(s, "BIOS-e820: ", 11) == 0)
		c->x86 = true;
	if (!c->version && (p = strstr(s, "Linux version ")) &&
	    sscanf(p, "Linux version %d.%d", &n1, &n2) == 2 && n1 >= 0 && n1 < 1000 && n2 >= 0 &&
	    n2 < 1000) {
		c->version = n1 * 1000 + n2;
		snprintf(c->version_src, sizeof(c->version_src), "%s", src);
	}
	if (strstr(s, "Movable zone start for each node")) {
		c->in_movable = c->movable_seen = true;
		return 0;
	}
	if (c->in_movable) {
		if (sscanf(s, " Node %d: %llx", &nid, &a) == 2 && nid >= 0 && nid < PMM_MAX_NUMNODES) {
			c->movable_start[nid] = a;
			return 0;
		}
		c->in_movable = false;
	}
	if (strstr(s, "Early memory node ranges")) {
		c->in_ranges = true;
		if (!c->ranges_heading)
			c->ranges_heading = lineno;
		return 0;
	}
	if (c->in_ranges) {
		/*
		 * A line of the block must be whole: the "]" is what says the
		 * end was not cut short (a log cut in its last line).
		 */
		n1 = n2 = 0;
		if (sscanf(s, " node %d:%n", &nid, &n1) == 1 && n1 > 0 &&
		    (sscanf(s, " node %d: [mem %llx-%llx]%n", &nid, &a, &b, &n2) != 3 || n2 == 0))
			return failf(c, -PMM_EBADMSG, "%s:%lu: malformed node range line: %s", name,
				     lineno, s);
		if (n2 > 0) {
			if (nid < 0 || nid >= PMM_MAX_NUMNODES || b < a)
				return failf(c, -PMM_EBADMSG, "%s:%lu: bad node range: %s", name, lineno, s);
			if (c->nr_ranges == PMM_MAX_RANGES)
				return failf(c, -PMM_EBADMSG, "%s:%lu: more node ranges than pmm holds (%d)",
					     name, lineno, PMM_MAX_RANGES);
			snprintf(tok, sizeof(tok), "node=%d:%#llx-%#llx", nid, a, b);
			emit(c, tok, src);
			c->nr_ranges++;
			return 0;
		}
		c->in_ranges = false;
	}
	if (strncmp(s, "Zone ranges:", 12) == 0) {
		c->in_zones = true;
		return 0;
	}
	if (c->in_zones) {
		static const char *const zones[] = { "DMA ", "DMA32 ", "Normal " };
		const char *z = s;
		unsigned i;

		while (*z == ' ')
			z++;
		for (i = 0; i < 3; i++)
			if (strncmp(z, zones[i], strlen(zones[i])) == 0)
				break;
		if (i < 3) {
			p = strstr(z, "[mem ");
			if (p && sscanf(p, "[mem %llx-%llx]", &a, &b) == 2)
				c->zone_end[i] = b;
			return 0;
		}
		if (strncmp(z, "Device ", 7) == 0)
			return 0;
		/* The block is over; this line is read for what else it says. */
		c->in_zones = false;
	}
	/*
	 * The rest of such a list: each " #N" is a pr_cont(), so a message
	 * printed while a CPU came up (a warning, a calibration note) breaks
	 * the list, and what follows it stands on a line of its own.
	 */
	if (c->cpu_list_node && !c->cpu_node_sysfs && cpu_list_rest(s)) {
		for (p = s; (p = strchr(p, '#')) && sscanf(p, "#%d", &n2) == 1; p++)
			if (n2 >= 0 && n2 < PMM_MAX_CPUS)
				c->cpu_node[n2] = (uint8_t)c->cpu_list_node;
		return 0;
	}
	/* x86's announce_cpu(): ".... node  #1, CPUs:   #2  #3" lists the secondary CPUs. */
	/* %n is stored only when the whole pattern matched: n1 must not keep an older value. */
	n1 = 0;
	if (!c->cpu_node_sysfs && (p = strstr(s, ".... node ")) &&
	    sscanf(p, ".... node #%d, CPUs:%n", &nid, &n1) == 1 && n1 > 0) {
		if (nid < 0 || nid >= PMM_MAX_NUMNODES)
			return failf(c, -PMM_EBADMSG, "%s:%lu: bad node number: %s", name, lineno, s);
		for (p += n1; (p = strchr(p, '#')) && sscanf(p, "#%d", &n2) == 1; p++)
			if (n2 >= 0 && n2 < PMM_MAX_CPUS)
				c->cpu_node[n2] = (uint8_t)(nid + 1);
		c->cpu_list_node = nid + 1;
		if (!c->cpu_node_src[0])
			snprintf(c->cpu_node_src, sizeof(c->cpu_node_src),
				 "%s: the boot CPUs' \".... node #N, CPUs:\" lines", src);
		return 0;
	}
	if (!c->cpu_node_sysfs && (p = strstr(s, "SRAT: PXM ")) &&
	    sscanf(p, "SRAT: PXM %*u -> APIC 0x%x -> Node %d", &n1, &nid) == 2 && n1 == 0) {
		if (nid < 0 || nid >= PMM_MAX_NUMNODES)
			return failf(c, -PMM_EBADMSG, "%s:%lu: bad node number: %s", name, lineno, s);
		c->bsp_node = nid;
	}
	if (strstr(s, "smp: Brought up "))
		c->cpu_list_node = 0; /* every CPU is up: no list goes on */
	if ((p = strstr(s, "smp: Brought up ")) && sscanf(p, "smp: Brought up %d node", &n1) == 1 &&
	    (p = strstr(p, ", ")) && sscanf(p, ", %d CPU", &n2) == 1) {
		c->cpus = n2;
		snprintf(c->cpus_src, sizeof(c->cpus_src), "%s: %s", src, strstr(s, "smp: "));
		return 0;
	}
	if ((p = strstr(s, "smpboot: Allowing ")) &&
	    sscanf(p, "smpboot: Allowing %d CPUs, %d hotplug CPUs", &n1, &n2) == 2 && n2 >= 0 &&
	    n1 > n2) {
		c->cpus_allowed = n1 - n2;
		if (c->cpus < 0)
			snprintf(c->cpus_src, sizeof(c->cpus_src), "%s: %s", src, p);
		return 0;
	}
	/* Linux 6.9+ (x86's topology rework): the present CPUs, hotplug ones apart. */
	if ((p = strstr(s, "CPU topo: Allowing ")) &&
	    sscanf(p, "CPU topo: Allowing %d present CPUs plus %d hotplug CPUs", &n1, &n2) == 2 &&
	    n1 > 0 && n2 >= 0) {
		c->cpus_allowed = n1;
		if (c->cpus < 0)
			snprintf(c->cpus_src, sizeof(c->cpus_src), "%s: %s", src, p);
		return 0;
	}
	if (sscanf(s, "RAMDISK: [mem %llx-%llx]", &a, &b) == 2 && b > a) {
		c->initrd[0] = a;
		c->initrd[1] = b;
		return 0;
	}
	/*
	 * relocate_initrd(): the image was beyond what the early page tables
	 * map (mem= cut the RAM below it); the kernel copied it into a new
	 * reservation, which it frees later, and freed the old one.  The end
	 * printed is the image's last byte: the pages run to the page it is in.
	 */
	if (sscanf(s, "Allocated new RAMDISK: [mem %llx-%llx]", &a, &b) == 2 && b > a &&
	    b < ~0ull - PAGE_SIZE) {
		c->initrd[0] = a & ~(unsigned long long)(PAGE_SIZE - 1);
		c->initrd[1] = b | (PAGE_SIZE - 1);
		return 0;
	}
	if (strncmp(s, "Freeing ", 8) == 0 && (p = strstr(s, " memory: ")) &&
	    sscanf(p, " memory: %lluK", &a) == 1) {
		if (strstr(s, "initrd"))
			c->initrd_freed = true;
		else if (strstr(s, "(text/rodata gap)"))
			c->gap_k[0] += a;
		else if (strstr(s, "(rodata/data gap)"))
			c->gap_k[1] += a;
		else if (strstr(s, "SMP alternatives"))
			c->alt_k += a;
		else if (strstr(s, "decrypted"))
			c->decrypted_k += a;
		else if (strstr(s, "(initmem)"))
			c->initmem_k += a;
		else if (strstr(s, "unused kernel"))
			image_unnamed(c, a);
		return 0;
	}
	/* mark_rodata_ro(): from the image's start to the end of rodata, 2 MiB aligned. */
	if ((p = strstr(s, "Write protecting the kernel read-only data: ")) &&
	    sscanf(p + 44, "%llu", &a) == 1 && a && a < (1ull << 40))
		c->wp_k = a;
	if ((p = strstr(s, "mem auto-init: stack:")) && strstr(p, "heap alloc:") &&
	    strstr(p, "heap free:")) {
		c->heap_init[0] = strncmp(strstr(p, "heap alloc:") + 11, "on", 2) == 0;
		c->heap_init[1] = strncmp(strstr(p, "heap free:") + 10, "on", 2) == 0;
		snprintf(c->heap_init_src, sizeof(c->heap_init_src), "%s: %.100s", src, p);
	}
	if (!c->deferred_src[0] && (p = strstr(s, " deferred pages initialised in ")) &&
	    strncmp(s, "node ", 5) == 0)
		snprintf(c->deferred_src, sizeof(c->deferred_src), "%s: %.100s", src, s);
	/* Linux 5.15 and before: "HugeTLB registered ..." */
	if (strncmp(s, "HugeTLB: registered 1.00 GiB page size", 38) == 0 ||
	    strncmp(s, "HugeTLB registered 1.00 GiB page size", 37) == 0)
		c->gigantic = true;
	if (c->nr_srat_hotplug < 16 && (p = strstr(s, "SRAT: Node ")) && strstr(p, "] hotplug") &&
	    sscanf(p, "SRAT: Node %d PXM %*d [mem %llx-%llx]", &nid, &a, &b) == 3 && nid >= 0 &&
	    nid < PMM_MAX_NUMNODES) {
		c->srat_hotplug[c->nr_srat_hotplug].nid = nid;
		c->srat_hotplug[c->nr_srat_hotplug].a = a;
		c->srat_hotplug[c->nr_srat_hotplug++].b = b;
	}
	if (strncmp(s, "Kernel command line: ", 21) == 0 && !c->cmdline[0]) {
		static const char *const states[] = { "online_kernel", "online_movable", "online",
						      "offline" };

		snprintf(c->cmdline, sizeof(c->cmdline), "%s", s + 21);
		if ((p = strstr(s, "memhp_default_state=")))
			for (unsigned i = 0; i < 4; i++)
				if (!strncmp(p + 20, states[i], strlen(states[i]))) {
					c->memhp_state = states[i];
					break;
				}
		snprintf(c->cmdline_src, sizeof(c->cmdline_src), "%s: kernel command line", src);
	}
	return 0;
}

/*
 * The command line's hugepagesz=, default_hugepagesz= and hugepages=
 * tokens, @t one of them, paired as the kernel pairs them (@size: the size
 * the next hugepages= counts, 0 the default, -1 none valid).  What counts
 * 1 GiB pages is written when the log says the kernel has that size: those
 * come from memblock, and no trace records them.  2 MiB pages come from
 * the buddy allocator after boot, where a trace of the boot has them: a
 * comment.  So is what the kernel ignored (a size its CPU lacks, and the
 * count after it).
 */
static void emit_hugetlb(struct capture *c, const char *t, int *size, bool default_1g)
{
	const char *v = strchr(t, '=') + 1;
	bool one_g = !strcmp(v, "1G") || !strcmp(v, "1024M") || !strcmp(v, "1073741824");

	if (strncmp(t, "hugepages=", 10) == 0) {
		bool counts_1g = *size == 30 || (*size == 0 && default_1g);

		if (counts_1g) {
			emit(c, t, c->cmdline_src);
		} else {
			fprintf(c->out, "# %s: '%s': %s\n", c->cmdline_src, t,
				*size < 0 ? "the kernel ignored it (no valid hugepagesz= before it)"
					  : "2 MiB pages come from the buddy allocator after boot "
					    "(a trace of the boot has them)");
		}
		if (*size < 0)
			*size = 0;
		return;
	}
	if (one_g && !c->gigantic) {
		fprintf(c->out, "# %s: '%s': the kernel did not register 1 GiB pages\n",
			c->cmdline_src, t);
		*size = -1;
		return;
	}
	if (!one_g && strcmp(v, "2M") && strcmp(v, "2048K") && strcmp(v, "2097152")) {
		fprintf(c->out, "# %s: '%s': not a size x86-64 has; the kernel ignored it\n",
			c->cmdline_src, t);
		*size = -1;
		return;
	}
	*size = one_g ? 30 : 21;
	if (one_g)
		emit(c, t, c->cmdline_src);
	else
		fprintf(c->out, "# %s: '%s': 2 MiB pages are not written (see hugepages=)\n",
			c->cmdline_src, t);
}

static void emit_cmdline(struct capture *c)
{
	char *save = NULL;
	int huge_size = 0;
	bool default_1g = c->gigantic && (strstr(c->cmdline, "default_hugepagesz=1G") ||
					  strstr(c->cmdline, "default_hugepagesz=1024M"));

	for (char *t = strtok_r(c->cmdline, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		size_t kl = strcspn(t, "=");

		if (t[kl] == '=' && ((kl == 9 && strncmp(t, "hugepages", 9) == 0) ||
				     (kl == 10 && strncmp(t, "hugepagesz", 10) == 0) ||
				     (kl == 18 && strncmp(t, "default_hugepagesz", 18) == 0))) {
			emit_hugetlb(c, t, &huge_size, default_1g);
			continue;
		}

		/* The "mem auto-init:" line says what init_on_* came to. */
		if (c->heap_init[0] >= 0 && t[kl] == '=' &&
		    ((kl == 13 && strncmp(t, "init_on_alloc", 13) == 0) ||
		     (kl == 12 && strncmp(t, "init_on_free", 12) == 0)))
			continue;
		for (size_t i = 0; i < sizeof(cmdline_keys) / sizeof(cmdline_keys[0]); i++)
			if (t[kl] == '=' && strlen(cmdline_keys[i]) == kl &&
			    strncmp(t, cmdline_keys[i], kl) == 0)
				emit(c, t, c->cmdline_src);
	}
}

/* A @key=NID:CPULIST token of the CPUs in @bits (below cpus=, when known). */
static void emit_cpulist(struct capture *c, const char *key, int nid, const uint64_t *bits,
			 const char *src)
{
	unsigned limit = c->cpus > 0 ? MIN((unsigned)c->cpus, PMM_MAX_CPUS) : PMM_MAX_CPUS;
	char tok[512];
	size_t len = (size_t)snprintf(tok, sizeof(tok), "%s=%d:", key, nid), start = len;

#define HAS(cpu) ((bits[(cpu) / 64] >> ((cpu) % 64)) & 1)
	for (unsigned cpu = 0; cpu < limit && len < sizeof(tok); cpu++) {
		unsigned end = cpu;

		if (!HAS(cpu))
			continue;
		while (end + 1 < limit && HAS(end + 1))
			end++;
		len += (size_t)snprintf(tok + len, sizeof(tok) - len, "%s%u", len == start ? "" : ",", cpu);
		if (end > cpu && len < sizeof(tok))
			len += (size_t)snprintf(tok + len, sizeof(tok) - len, "-%u", end);
		cpu = end;
	}
#undef HAS
	if (len == start)
		return;
	if (len >= sizeof(tok)) {
		fprintf(c->out, "# %s: node %d's CPU list is too long for one token\n", src, nid);
		return;
	}
	emit(c, tok, src);
}

/*
 * node_cpus= per node, when the CPUs are known to sit on more than one
 * node or on one other than node 0 (one node 0 is what pmm assumes).  The
 * boot CPU, which x86's log does not list, is on the node SRAT gives APIC
 * 0, else on the lowest node with memory.  Then node_cpumask= for the
 * nodes whose cpulist counts other CPUs than those (NUMA emulation).
 */
static void emit_node_cpus(struct capture *c)
{
	unsigned long long nodes = 0;

	if (!c->cpu_node_sysfs && !c->cpu_node[0]) {
		int bsp = c->bsp_node;
		bool listed = false;

		/*
		 * x86 does not announce the boot CPU.  Without SRAT's word for
		 * it, the lowest node with memory: where x86 starts handing out
		 * CPUs round-robin over the nodes when no table places them
		 * (numa=fake=).
		 */
		for (unsigned cpu = 1; cpu < PMM_MAX_CPUS; cpu++)
			listed |= c->cpu_node[cpu] != 0;
		if (listed && bsp < 0) {
			for (unsigned r = 0; r < c->scratch.nr_ranges; r++)
				if (bsp < 0 || c->scratch.ranges[r].nid < bsp)
					bsp = c->scratch.ranges[r].nid;
			/* Linux 6.12+ prints SRAT's CPU lines at debug level only. */
			if (bsp >= 0)
				fprintf(c->out, "# boot log: no \"SRAT: PXM ... -> APIC 0x00\" line "
						"(Linux 6.12+ does not print it) and no nodes/nodeN/cpulist: "
						"the boot CPU taken to be on node %d, the lowest with memory\n",
					bsp);
		}
		if (listed && bsp >= 0)
			c->cpu_node[0] = (uint8_t)(bsp + 1);
	}
	/* A CPU beyond cpus= (one that was not brought up) is not the machine's. */
	if (c->cpus > 0)
		memset(c->cpu_node + MIN(c->cpus, PMM_MAX_CPUS), 0,
		       PMM_MAX_CPUS - MIN(c->cpus, PMM_MAX_CPUS));
	for (unsigned cpu = 0; cpu < PMM_MAX_CPUS; cpu++)
		if (c->cpu_node[cpu])
			nodes |= 1ull << (c->cpu_node[cpu] - 1);
	if (nodes && nodes != 1)
		for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++) {
			uint64_t bits[PMM_MAX_CPUS / 64] = { 0 };

			if (!(nodes & (1ull << nid)))
				continue;
			for (unsigned cpu = 0; cpu < PMM_MAX_CPUS; cpu++)
				if (c->cpu_node[cpu] == nid + 1)
					bits[cpu / 64] |= 1ull << (cpu % 64);
			emit_cpulist(c, "node_cpus", nid, bits, c->cpu_node_src);
		}
	for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++)
		if (c->scratch.node_cpumask_set & (1ull << nid))
			emit_cpulist(c, "node_cpumask", nid, c->scratch.node_cpumask[nid],
				     "nodes/node*/cpulist: a CPU in several nodes (NUMA emulation)");
}

/* dma=/dma32= only where they differ from x86-64's and a higher zone has memory. */
static void emit_zones(struct capture *c, const char *name)
{
	char tok[64], src[160];

	if (!c->zone_end[2])
		return;
	snprintf(src, sizeof(src), "%s: Zone ranges", name);
	if (c->zone_end[0] && c->zone_end[0] + 1 != 16ull << 20) {
		snprintf(tok, sizeof(tok), "dma=%#llx", c->zone_end[0] + 1);
		emit(c, tok, src);
	}
	if (c->zone_end[1] && c->zone_end[1] + 1 != 4ull << 30) {
		snprintf(tok, sizeof(tok), "dma32=%#llx", c->zone_end[1] + 1);
		emit(c, tok, src);
	}
}

static int read_boot_log(struct capture *c, const char *path)
{
	struct linereader *lr;
	const char *line, *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char buf[MAX_LINE], cpus[32];
	size_t len;
	int r;

	r = linereader_open_path(&lr, path, c->err, c->errlen);
	if (r)
		return r;
	while ((r = linereader_next(lr, &line, &len)) != 0) {
		if (r == -PMM_E2BIG)
			continue;
		if (r < 0) {
			failf(c, r, "%s:%lu: %s", name, linereader_lineno(lr) + 1, linereader_errmsg(lr));
			break;
		}
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1; /* the lines read here are short */
		memcpy(buf, line, len);
		buf[len] = '\0';
		r = boot_log_line(c, name, linereader_lineno(lr), log_body(buf));
		if (r)
			break;
	}
	linereader_close(lr);
	if (r)
		return r;
	if (!c->nr_ranges && c->ranges_heading)
		return failf(c, -PMM_EBADMSG,
			     "%s:%lu: \"Early memory node ranges\" and no node range line after it", name,
			     c->ranges_heading);
	if (!c->nr_ranges)
		return failf(c, -PMM_EBADMSG,
			     "%s: no \"Early memory node ranges\" lines: not a Linux boot log, or it "
			     "starts after boot",
			     name);
	if (c->cpus < 0)
		c->cpus = c->cpus_allowed;
	if (c->cpus > 0) {
		snprintf(cpus, sizeof(cpus), "cpus=%d", c->cpus);
		emit(c, cpus, c->cpus_src);
	}
	emit_node_cpus(c);
	emit_zones(c, name);
	emit_cmdline(c);
	/* What the kernel ran with (its config's default, or the command line). */
	if (c->heap_init[0] > 0)
		emit(c, "init_on_alloc=1", c->heap_init_src);
	if (c->heap_init[1] > 0)
		emit(c, "init_on_free=1", c->heap_init_src);
	if (c->deferred_src[0])
		emit(c, "deferred_struct_page_init=on", c->deferred_src);
	if (c->x86 && c->version >= 5013) {
		char src[256];

		snprintf(src, sizeof(src), "%s: x86 Linux 5.13+ keeps the first 1 MiB", c->version_src);
		emit(c, "reserve=0x0-0xfffff", src);
		c->first_mb = true;
	}
	if (c->initrd[1] && c->initrd_freed) {
		char tok[96];

		snprintf(tok, sizeof(tok), "reserve=%#llx-%#llx", c->initrd[0], c->initrd[1]);
		emit(c, tok, "RAMDISK: the initrd, kept until it is unpacked");
		snprintf(tok, sizeof(tok), "late_free=%#llx-%#llx:initrd", c->initrd[0], c->initrd[1]);
		emit(c, tok, "Freeing initrd memory");
	}
	return 0;
}

/*
 * The areas between iomem's image sections: [i][0]..[i][1] follows section
 * i (text, rodata, data).  False when iomem does not list all four.
 */
static bool image_areas(const unsigned long long part[4][2], unsigned long long area[3][2])
{
	for (unsigned i = 0; i < 4; i++)
		if (!part[i][1])
			return false;
	for (unsigned i = 0; i < 3; i++) {
		area[i][0] = PFN_PHYS(PFN_DOWN(part[i][1]) + 1); /* the page after section i */
		area[i][1] = part[i + 1][0];                  /* up to section i + 1 */
	}
	return true;
}

/* A late_free=A-B:WHAT token for @k KiB at @at, with the log line it stands for. */
static void emit_late_free(struct capture *c, unsigned long long at, unsigned long long k,
			   unsigned what)
{
	char tok[96], src[160];

	snprintf(tok, sizeof(tok), "late_free=%#llx-%#llx:%s", at, at + (k << 10) - 1,
		 late_free_name(what, false));
	snprintf(src, sizeof(src), "Freeing %s memory: %lluK", late_free_name(what, true), k);
	emit(c, tok, src);
}

/*
 * The image's late frees found, @k[WHAT] KiB at @at[WHAT] (0 KiB: none), in
 * the order x86 frees them: the SMP alternatives in start_kernel(), the
 * unused decrypted section and initmem in free_initmem(), the text/rodata
 * and rodata/data gaps in mark_rodata_ro().
 */
static void emit_image_frees(struct capture *c, const unsigned long long at[PMM_NR_LATE_FREE_KINDS],
			     const unsigned long long k[PMM_NR_LATE_FREE_KINDS])
{
	static const unsigned order[] = { PMM_LATE_FREE_SMP_ALTERNATIVES, PMM_LATE_FREE_DECRYPTED,
					  PMM_LATE_FREE_INITMEM, PMM_LATE_FREE_TEXT_RODATA_GAP,
					  PMM_LATE_FREE_RODATA_DATA_GAP };

	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (k[order[i]])
			emit_late_free(c, at[order[i]], k[order[i]], order[i]);
}

static void late_free_image_kpf(struct capture *c, unsigned long long start,
				unsigned long long end, const unsigned long long part[4][2]);

/*
 * What the kernel frees of its image once it is up, by the boot log's
 * "Freeing ... memory: NK" lines: the text/rodata and rodata/data gaps
 * between iomem's sections, and in the area between data and bss, initmem
 * first and the SMP alternatives after it (the linker script puts
 * .smp_locks after __init_end).  Where the decrypted section lies iomem
 * does not say (in bss): it is placed after them, so only its count is
 * the kernel's.  With kpageflags, late_free_image_kpf() knows where.
 */
static void late_free_image(struct capture *c, const unsigned long long part[4][2],
			    unsigned long long start, unsigned long long end)
{
	static const unsigned gap_what[] = { PMM_LATE_FREE_TEXT_RODATA_GAP,
					     PMM_LATE_FREE_RODATA_DATA_GAP };
	const struct {
		unsigned long long k;
		unsigned what;
	} tail[] = {
		{ c->initmem_k, PMM_LATE_FREE_INITMEM },
		{ c->alt_k, PMM_LATE_FREE_SMP_ALTERNATIVES },
		{ c->decrypted_k, PMM_LATE_FREE_DECRYPTED },
	};
	unsigned long long area[3][2], at[PMM_NR_LATE_FREE_KINDS] = { 0 },
			   k[PMM_NR_LATE_FREE_KINDS] = { 0 }, next;
	bool areas = image_areas(part, area);

	if (c->kpf_read) {
		late_free_image_kpf(c, start, end, part);
		return;
	}
	/* Place the three in the area between data and bss, while they fit. */
	next = areas ? area[2][0] : 0;
	for (unsigned i = 0; i < 3; i++) {
		if (!tail[i].k)
			continue;
		if (!areas || area[2][1] < next || area[2][1] - next < tail[i].k << 10) {
			fprintf(c->out, "# boot log: freeing %lluK of the kernel image (%s): iomem.txt "
					"has no room for it there: kept reserved\n",
				tail[i].k, late_free_name(tail[i].what, false));
			continue;
		}
		at[tail[i].what] = next;
		k[tail[i].what] = tail[i].k;
		next += tail[i].k << 10;
	}
	for (unsigned i = 0; areas && i < 2; i++) {
		unsigned long long have = area[i][1] > area[i][0] ? area[i][1] - area[i][0] : 0;

		if (!c->gap_k[i])
			continue;
		/*
		 * Each gap runs up to the next section.  Where rodata_from_log()
		 * placed rodata, Linux 5.4's text/rodata gap starts after the
		 * exception table, which iomem.txt does not show: past code's end.
		 */
		if (c->rodata_from_log && have > c->gap_k[i] << 10)
			area[i][0] = area[i][1] - (c->gap_k[i] << 10), have = c->gap_k[i] << 10;
		if (have != c->gap_k[i] << 10) {
			fprintf(c->out, "# boot log: freeing %lluK of the kernel image (%s), iomem.txt "
					"has %lluK there: not freed\n",
				c->gap_k[i], late_free_name(gap_what[i], false), have >> 10);
			continue;
		}
		at[gap_what[i]] = area[i][0];
		k[gap_what[i]] = c->gap_k[i];
	}
	emit_image_frees(c, at, k);
}

/*
 * With kpageflags: the frames inside the kernel image [@start, @end] that
 * are not reserved at the end are what the kernel freed of it, exactly
 * there.  Each such run is named by where it lies between iomem's
 * sections, and written when its size is the boot log's: between code and
 * rodata, and rodata and data, the two gaps; between data and bss, initmem
 * and after it the SMP alternatives; inside bss, the unused decrypted
 * section.  Any other run is late-freed unnamed, after them.
 */
static void late_free_image_kpf(struct capture *c, unsigned long long start,
				unsigned long long end, const unsigned long long part[4][2])
{
	unsigned long long pfn = PFN_UP(start), last = PFN_DOWN(end + 1),
			   at[PMM_NR_LATE_FREE_KINDS] = { 0 }, k[PMM_NR_LATE_FREE_KINDS] = { 0 },
			   other[16][2];
	unsigned nr_other = 0, w;
	size_t i = 0;

	while (pfn < last) {
		unsigned long long gs, ge, kb, a;

		while (i < c->nr_kpf && c->kpf[i][1] <= pfn)
			i++;
		if (i < c->nr_kpf && c->kpf[i][0] <= pfn) {
			pfn = c->kpf[i][1];
			continue;
		}
		gs = pfn;
		ge = i < c->nr_kpf && c->kpf[i][0] < last ? c->kpf[i][0] : last;
		pfn = ge;
		a = gs << PAGE_SHIFT;
		kb = (ge - gs) << (PAGE_SHIFT - 10);
		w = PMM_LATE_FREE_UNNAMED;
		if (part[0][1] && part[1][0] && a > part[0][1] && a < part[1][0] && kb == c->gap_k[0])
			w = PMM_LATE_FREE_TEXT_RODATA_GAP;
		else if (part[1][1] && part[2][0] && a > part[1][1] && a < part[2][0] &&
			 kb == c->gap_k[1])
			w = PMM_LATE_FREE_RODATA_DATA_GAP;
		else if (part[2][1] && part[3][0] && a > part[2][1] && a < part[3][0] && c->initmem_k &&
			 (kb == c->initmem_k || kb == c->initmem_k + c->alt_k)) {
			w = PMM_LATE_FREE_INITMEM;
			if (kb > c->initmem_k) {
				at[PMM_LATE_FREE_SMP_ALTERNATIVES] = a + (c->initmem_k << 10);
				k[PMM_LATE_FREE_SMP_ALTERNATIVES] = c->alt_k;
				kb = c->initmem_k;
			}
		} else if (part[3][1] && a >= part[3][0] && a < part[3][1] && kb == c->decrypted_k)
			w = PMM_LATE_FREE_DECRYPTED;
		if (w != PMM_LATE_FREE_UNNAMED) {
			at[w] = a;
			k[w] = kb;
		} else if (nr_other < sizeof(other) / sizeof(other[0])) {
			other[nr_other][0] = a;
			other[nr_other++][1] = (ge << PAGE_SHIFT) - 1;
		} else {
			fprintf(c->out, "# kpageflags: %lluK not reserved at %#llx, inside the kernel "
					"image: more such runs than pmm takes, kept reserved\n", kb, a);
		}
	}
	emit_image_frees(c, at, k);
	for (unsigned o = 0; o < nr_other; o++) {
		char tok[96];

		snprintf(tok, sizeof(tok), "late_free=%#llx-%#llx", other[o][0], other[o][1]);
		emit(c, tok, "kpageflags: not reserved at the end, inside the kernel image");
	}
}

/*
 * The capture file @dir/@name, plain or compressed (@name.xz, .zst, .gz),
 * in @path; false if there is none.
 */
static bool capture_file_path(const char *dir, const char *name, char *path, size_t size)
{
	static const char *const ext[] = { "", ".xz", ".zst", ".gz" };
	struct stat st;

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, size, "%s/%s%s", dir, name, ext[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

/* Extend the last run if @pfn follows it, else start one; false without memory. */
static bool kpf_add(struct capture *c, unsigned long long pfn)
{
	if (c->nr_kpf && c->kpf[c->nr_kpf - 1][1] == pfn) {
		c->kpf[c->nr_kpf - 1][1]++;
		return true;
	}
	if (c->nr_kpf == c->cap_kpf) {
		size_t cap = c->cap_kpf ? c->cap_kpf * 2 : 64;
		void *p = realloc(c->kpf, cap * sizeof(c->kpf[0]));

		if (!p)
			return false;
		c->kpf = p;
		c->cap_kpf = cap;
	}
	c->kpf[c->nr_kpf][0] = pfn;
	c->kpf[c->nr_kpf][1] = pfn + 1;
	c->nr_kpf++;
	return true;
}

/*
 * kpageflags.bin (/proc/kpageflags, 8 bytes a frame, at the end of the
 * capture): the frames of memory with KPF_RESERVED, as runs.  They are
 * where the kernel's boot reservations that it never gave back lie
 * (memmap, page tables, percpu areas, the kernel image, ...), and where the
 * image's freed parts lie.  Any problem with the file: a comment, and the
 * config goes without it.
 */
static void read_kpageflags(struct capture *c, const char *dir)
{
	enum { KPF_RESERVED = 32, CHUNK = 8192 };
	const struct pmm_config *cfg = &c->scratch;
	char path[4096], *name = c->kpf_name;
	struct linereader *lr;
	uint64_t *buf;
	unsigned long long pfn = 0;
	long n;

	if (!capture_file_path(dir, "kpageflags.bin", path, sizeof(path)))
		return;
	snprintf(c->kpf_name, sizeof(c->kpf_name), "%s", strrchr(path, '/') + 1);
	buf = malloc(CHUNK * sizeof(*buf));
	if (!buf || linereader_open_path(&lr, path, NULL, 0)) {
		free(buf);
		fprintf(c->out, "# %s: cannot read it\n", name);
		return;
	}
	while ((n = linereader_read(lr, buf, CHUNK * sizeof(*buf))) > 0) {
		for (long i = 0; i < n / 8; i++, pfn++) {
			bool mem = false;

			if (!(buf[i] & (1ull << KPF_RESERVED)))
				continue;
			for (unsigned r = 0; r < cfg->nr_ranges && !mem; r++)
				mem = pfn >= PFN_UP(cfg->ranges[r].start) && pfn < PFN_DOWN(cfg->ranges[r].end);
			if (mem && !kpf_add(c, pfn)) {
				n = -PMM_ENOMEM;
				break;
			}
		}
		if (n < 0 || n % 8)
			break;
	}
	linereader_close(lr);
	free(buf);
	if (n < 0 || n % 8 || !c->nr_kpf) {
		fprintf(c->out, "# %s: %s: not used\n", name,
			n < 0 ? "unreadable" : n % 8 ? "not whole 8-byte entries" : "no reserved frame");
		c->nr_kpf = 0;
		return;
	}
	c->kpf_read = true;
}

/*
 * With kpageflags: reserve= each run of frames the kernel still held at the
 * end, less what other tokens already reserve (the first MiB, the image).
 */
static void reserve_kpageflags(struct capture *c)
{
	char src[96];

	if (!c->kpf_read)
		return;
	snprintf(src, sizeof(src), "%s: reserved at the end", c->kpf_name);
	for (size_t i = 0; i < c->nr_kpf; i++) {
		unsigned long long a = c->kpf[i][0] << PAGE_SHIFT, b = (c->kpf[i][1] << PAGE_SHIFT) - 1;
		char tok[96];

		if (c->first_mb && a < (1ull << 20))
			a = 1ull << 20;
		if (c->image[1] && a >= c->image[0] && a <= c->image[1])
			a = c->image[1] + 1;
		if (c->image[1] && b >= c->image[0] && b <= c->image[1])
			b = c->image[0] - 1;
		if (a > b)
			continue;
		if (c->image[1] && a < c->image[0] && b > c->image[1]) {
			snprintf(tok, sizeof(tok), "reserve=%#llx-%#llx", a, c->image[0] - 1);
			emit(c, tok, src);
			a = c->image[1] + 1;
		}
		snprintf(tok, sizeof(tok), "reserve=%#llx-%#llx", a, b);
		emit(c, tok, src);
	}
}

/*
 * A "System RAM" range [@a, @b] of iomem.txt outside the boot log's node
 * ranges: memory added after boot, a DIMM the ACPI driver found (on the
 * node SRAT's hotplug range names) -> hotplug=N:A-B[:STATE], onlined as
 * the command line's memhp_default_state= says (the kernel's default:
 * offline).
 */
static void hotplugged_ram(struct capture *c, unsigned long long a, unsigned long long b)
{
	char tok[128];
	int nid = 0;

	if (!b || b < a)
		return; /* addresses hidden (iomem read without root) */
	for (unsigned i = 0; i < c->scratch.nr_ranges; i++)
		if (c->scratch.ranges[i].start <= b && a < c->scratch.ranges[i].end)
			return;
	for (unsigned i = 0; i < c->nr_srat_hotplug; i++)
		if (c->srat_hotplug[i].a <= a && b <= c->srat_hotplug[i].b)
			nid = c->srat_hotplug[i].nid;
	snprintf(tok, sizeof(tok), "hotplug=%d:%#llx-%#llx%s%s", nid, a, b,
		 c->memhp_state && strcmp(c->memhp_state, "offline") ? ":" : "",
		 c->memhp_state && strcmp(c->memhp_state, "offline") ? c->memhp_state : "");
	emit(c, tok, "iomem.txt: System RAM outside the node ranges (added after boot)");
}

/*
 * The capture file @dir/@name, plain or compressed as the boot log and
 * kpageflags may be (capture_file_path()), open for reading; NULL if none.
 */
static struct linereader *open_capture_file(const char *dir, const char *name)
{
	struct linereader *lr;
	char path[4096];

	if (!capture_file_path(dir, name, path, sizeof(path)) ||
	    linereader_open_path(&lr, path, NULL, 0) != 0)
		return NULL;
	return lr;
}

/*
 * The next line of @lr in @buf, cut to @size - 1 bytes and NUL-terminated
 * (CR LF read as LF); false at the end, or where the file cannot be read
 * on (a comment to @out, if not NULL, then says so; what came before it
 * stands).
 */
static bool capture_line(FILE *out, struct linereader *lr, char *buf, size_t size)
{
	const char *line;
	size_t len;
	int r;

	while ((r = linereader_next(lr, &line, &len)) == -PMM_E2BIG)
		;
	if (r < 0 && out)
		fprintf(out, "# %s:%lu: %s: read up to there\n",
			strrchr(linereader_name(lr), '/') ? strrchr(linereader_name(lr), '/') + 1
							   : linereader_name(lr),
			linereader_lineno(lr) + 1, linereader_errmsg(lr));
	if (r <= 0)
		return false;
	if (len >= size)
		len = size - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return true;
}

/*
 * iomem.txt of Linux 5.4 and older has no "Kernel rodata", and its
 * "Kernel data" starts where code ends.  x86-64 starts rodata at the first
 * 2 MiB boundary after the code (and its exception table), and data at
 * the first one after rodata: where "Write protecting the kernel read-only
 * data: Nk", counted from the image's start, ends.  The rodata/data gap
 * runs up to there.  From those, @part's rodata and data as Linux 5.5+
 * lists them; a comment says so, or why not.
 */
static void rodata_from_log(struct capture *c, unsigned long long part[4][2])
{
	const unsigned long long huge = 2ull << 20;
	unsigned long long rodata = (part[0][1] | (huge - 1)) + 1;
	unsigned long long sdata = PFN_PHYS(PFN_UP(part[0][0])) + (c->wp_k << 10);
	unsigned long long gap = c->gap_k[1] << 10;

	if (!c->wp_k || sdata % huge || sdata <= rodata + gap || part[2][0] > rodata ||
	    sdata - 1 > part[2][1]) {
		fprintf(c->out, "# iomem.txt: no \"Kernel rodata\" (Linux 5.4 and older), and the "
				"boot log's \"Write protecting the kernel read-only data\" does not "
				"place it: the gaps around it kept reserved\n");
		return;
	}
	part[1][0] = rodata;
	part[1][1] = sdata - gap - 1;
	part[2][0] = sdata;
	c->rodata_from_log = true;
	fprintf(c->out, "# iomem.txt: no \"Kernel rodata\" (Linux 5.4 and older): rodata taken "
			"as %#llx-%#llx and data from %#llx, by the boot log's \"Write protecting the "
			"kernel read-only data: %lluk\"\n",
		part[1][0], part[1][1], sdata, c->wp_k);
}

/* iomem.txt: the kernel image, from its first "Kernel ..." entry to the end of its last. */
static void read_iomem(struct capture *c, const char *dir)
{
	static const char *const parts[] = { "Kernel code", "Kernel rodata", "Kernel data",
					     "Kernel bss" };
	struct linereader *lr = open_capture_file(dir, "iomem.txt");
	char line[MAX_LINE], tok[96];
	unsigned long long a, b, start = 0, end = 0, part[4][2] = { { 0 } };
	bool seen = false;

	if (!lr)
		return;
	while (capture_line(c->out, lr, line, sizeof(line))) {
		char what[64];

		if (sscanf(line, " %llx-%llx : %63[^\n]", &a, &b, what) != 3)
			continue;
		if (line[0] != ' ' && !strcmp(what, "System RAM"))
			hotplugged_ram(c, a, b);
		if (strncmp(what, "Kernel ", 7) != 0)
			continue;
		if (!seen || a < start)
			start = a;
		if (b > end)
			end = b;
		seen = true;
		for (unsigned i = 0; i < 4; i++)
			if (strcmp(what, parts[i]) == 0) {
				part[i][0] = a;
				part[i][1] = b;
			}
	}
	linereader_close(lr);
	if (!seen)
		return;
	if (!end) {
		fprintf(c->out, "# iomem.txt: addresses hidden (read without root): no kernel image "
				"reserve=\n");
		return;
	}
	if (part[0][1] && !part[1][1] && part[2][1] && part[3][1])
		rodata_from_log(c, part);
	if (c->unnamed_k)
		fprintf(c->out, "# boot log: freeing %lluK more of the kernel image than x86 frees "
				"(unnamed, after its two gaps): kept reserved\n", c->unnamed_k);
	snprintf(tok, sizeof(tok), "reserve=%#llx-%#llx", start, end);
	emit(c, tok, "iomem.txt: Kernel code .. Kernel bss");
	late_free_image(c, part, start, end);
	c->image[0] = start;
	c->image[1] = end;
}

/*
 * The start of the small file @dir/@name (a sysfs or procfs value) in @buf,
 * NUL-terminated, trailing blanks and newlines removed; false if unreadable.
 */
static bool read_value(const char *dir, const char *name, char *buf, size_t size)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strcspn(buf, "\n"); /* a sysfs or procfs value is one line */
	buf[n] = '\0';
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return true;
}

/* thp/enabled (sysfs's transparent_hugepage/enabled): "always [madvise] never". */
static void read_thp(struct capture *c, const char *dir)
{
	char val[128], tok[64], *open, *close;

	if (!read_value(dir, "thp/enabled", val, sizeof(val)))
		return;
	open = strchr(val, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return;
	*close = '\0';
	snprintf(tok, sizeof(tok), "transparent_hugepage=%s", open + 1);
	emit(c, tok, "thp/enabled");
}

/*
 * The min_free_kbytes khugepaged sets on the machine of @dir's zoneinfo.txt
 * (khugepaged_recommended_pages() of its populated zones up to Normal; the
 * cap rarely binds and then the value is written as a user's), or 0
 * without zoneinfo.txt.
 */
static unsigned long khugepaged_min_free_kbytes(const char *dir)
{
	struct linereader *lr = open_capture_file(dir, "zoneinfo.txt");
	char line[MAX_LINE], zone[16] = "";
	unsigned long nr = 0, present;

	if (!lr)
		return 0;
	/* match_zoneinfo() says what is wrong with the file */
	while (capture_line(NULL, lr, line, sizeof(line))) {
		int nid;

		if (sscanf(line, "Node %d, zone %15s", &nid, zone) == 2)
			continue;
		if (sscanf(line, " present %lu", &present) == 1 && present &&
		    (!strcmp(zone, "DMA") || !strcmp(zone, "DMA32") || !strcmp(zone, "Normal")))
			nr++;
	}
	linereader_close(lr);
	return khugepaged_recommended_pages(nr) << (PAGE_SHIFT - 10);
}

static void read_sysctls(struct capture *c, const char *dir)
{
	unsigned long thp_min = c->scratch.thp == PMM_THP_ALWAYS || c->scratch.thp == PMM_THP_MADVISE
					? khugepaged_min_free_kbytes(dir)
					: 0;

	for (size_t i = 0; i < sizeof(sysctl_keys) / sizeof(sysctl_keys[0]); i++) {
		char val[128], tok[192], src[96];

		snprintf(src, sizeof(src), "sysctl_vm/%s", sysctl_keys[i]);
		if (!read_value(dir, src, val, sizeof(val)))
			continue;
		/* lowmem_reserve_ratio prints its values separated by tabs. */
		for (char *p = val; *p; p++)
			if (*p == '\t' || *p == ' ')
				*p = ',';
		snprintf(tok, sizeof(tok), "%s=%s", sysctl_keys[i], val);
		/*
		 * khugepaged's value is not a user's: written as min_free_kbytes=
		 * it would stay fixed through memory hotplug, where the kernel
		 * computes it again.
		 */
		if (!strcmp(sysctl_keys[i], "min_free_kbytes") && thp_min &&
		    strtoul(val, NULL, 10) == thp_min) {
			fprintf(c->out, "# %s: %s is khugepaged's (transparent_hugepage=): pmm "
					"computes it\n", src, val);
			continue;
		}
		emit(c, tok, src);
	}
	/*
	 * Linux 5.13 and older size per-CPU lists by percpu_pagelist_fraction
	 * (high = 6 x batch, or managed pages / fraction); 5.14 replaced it
	 * with percpu_pagelist_high_fraction, sized from the low watermark.
	 * pmm has only the latter.
	 */
	{
		char val[128];

		if (read_value(dir, "sysctl_vm/percpu_pagelist_fraction", val, sizeof(val)))
			fprintf(c->out, "# sysctl_vm/percpu_pagelist_fraction: %s: a kernel of 5.13 or "
					"older, whose per-CPU lists are sized otherwise; pmm sizes them "
					"as Linux 6.1 does (zoneinfo's per-CPU high is not this kernel's)\n",
				val);
	}
}

/* A run of frames [s, e). */
struct span {
	uint64_t s, e;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/* Sort @k spans and merge those that overlap or touch; returns how many are left. */
static size_t spans_merge(struct span *out, size_t k)
{
	size_t w = 0;

	qsort(out, k, sizeof(*out), span_cmp);
	for (size_t i = 0; i < k; i++) {
		if (w && out[i].s <= out[w - 1].e) {
			if (out[i].e > out[w - 1].e)
				out[w - 1].e = out[i].e;
		} else {
			out[w++] = out[i];
		}
	}
	return w;
}

/*
 * @n ranges as frames, sorted and merged: rounded out (@out_round, as
 * memblock reserves) or in (as free_reserved_area() frees).
 */
static size_t spans_of(const struct pmm_range *r, unsigned n, bool out_round, struct span *out)
{
	size_t k = 0;

	for (unsigned i = 0; i < n; i++) {
		out[k].s = out_round ? PFN_DOWN(r[i].start) : PFN_UP(r[i].start);
		out[k].e = out_round ? PFN_UP(r[i].end) : PFN_DOWN(r[i].end);
		if (out[k].s < out[k].e)
			k++;
	}
	return spans_merge(out, k);
}

/* @a minus @b (both sorted and merged) into @out, which holds na + nb spans. */
static size_t spans_minus(const struct span *a, size_t na, const struct span *b, size_t nb,
			  struct span *out)
{
	size_t n = 0, j = 0;

	for (size_t i = 0; i < na; i++) {
		uint64_t cur = a[i].s;

		while (j < nb && b[j].e <= cur)
			j++;
		for (size_t k = j; k < nb && b[k].s < a[i].e; k++) {
			if (b[k].s > cur)
				out[n++] = (struct span){ cur, b[k].s };
			if (b[k].e > cur)
				cur = b[k].e;
		}
		if (cur < a[i].e)
			out[n++] = (struct span){ cur, a[i].e };
	}
	return n;
}

/*
 * The free runs of node @nid's memory in frames [@zs, @ze): its ranges
 * rounded in (as memblock's memory) less @res, ascending, into @out (room
 * for PMM_MAX_RANGES + @nres runs).  *@present: all its frames there.
 */
static size_t free_runs(const struct pmm_config *cfg, int nid, uint64_t zs, uint64_t ze,
			const struct span *res, size_t nres, struct span *out, uint64_t *present)
{
	struct span mem[2 * PMM_MAX_RANGES];
	size_t n = 0;

	*present = 0;
	/* Boot memory, and memory hotplug= adds online. */
	for (unsigned i = 0; i < cfg->nr_ranges + cfg->nr_hotplug; i++) {
		const struct pmm_range *r = i < cfg->nr_ranges ? &cfg->ranges[i]
							       : &cfg->hotplug[i - cfg->nr_ranges];
		uint64_t a = MAX(PFN_UP(r->start), zs), b = MIN(PFN_DOWN(r->end), ze);

		if (i >= cfg->nr_ranges &&
		    cfg->hotplug_state[i - cfg->nr_ranges] == PMM_HOTPLUG_OFFLINE)
			continue;
		if (r->nid == nid && a < b)
			mem[n++] = (struct span){ a, b };
	}
	/* Merged: a log may give overlapping ranges (the machine will refuse them). */
	n = spans_merge(mem, n);
	for (size_t i = 0; i < n; i++)
		*present += mem[i].e - mem[i].s;
	return spans_minus(mem, n, res, nres, out);
}

/*
 * Zone @z (0 DMA, 1 DMA32, 2 Normal, 3 Movable) of node @nid, which has
 * @present and @managed frames in zoneinfo.txt: if the config gives it the
 * same present frames and more managed ones as the zone ends up (late_free=
 * given back), reserve the difference at the zone's top, in frames boot
 * leaves free.  Where the node has a ZONE_MOVABLE, it takes everything
 * from its start up, as the kernel's adjust_zone_range_for_zone_movable()
 * cuts the other zones there.
 */
static void match_zone(struct capture *c, int nid, unsigned z, const char *zone,
		       uint64_t present, uint64_t managed)
{
	const struct pmm_config *cfg = &c->scratch;
	struct span res[PMM_MAX_RANGES], late[PMM_MAX_RANGES], end[2 * PMM_MAX_RANGES];
	struct span runs[3 * PMM_MAX_RANGES];
	uint64_t lim[4] = { 0, PFN_DOWN(cfg->dma_limit), PFN_DOWN(cfg->dma32_limit), UINT64_MAX };
	uint64_t ms = c->movable_start[nid] ? PFN_DOWN(c->movable_start[nid]) : UINT64_MAX;
	uint64_t zs = z == 3 ? ms : MIN(lim[z], ms), ze = z == 3 ? UINT64_MAX : MIN(lim[z + 1], ms);
	uint64_t p, fr = 0, want;
	size_t nres, nlate, nend, n;
	char src[96];

	nres = spans_of(cfg->reserved, cfg->nr_reserved, true, res);
	nlate = spans_of(cfg->late_free, cfg->nr_late_free, false, late);
	nend = spans_minus(res, nres, late, nlate, end);
	n = free_runs(cfg, nid, zs, ze, end, nend, runs, &p);
	for (size_t i = 0; i < n; i++)
		fr += runs[i].e - runs[i].s;
	snprintf(src, sizeof(src), "zoneinfo.txt: Node %d, zone %s managed %llu", nid, zone,
		 (unsigned long long)managed);
	if (p != present) {
		fprintf(c->out, "# %s: present %llu, this config %llu: not matched\n", src,
			(unsigned long long)present, (unsigned long long)p);
		return;
	}
	if (fr < managed && c->kpf_read)
		c->kpf_over = true; /* frames reserved after boot: pmm_config_from_capture() goes without */
	if (fr < managed)
		fprintf(c->out, "# %s: this config leaves %llu; the kernel had given back more of its "
				"reservations\n",
			src, (unsigned long long)fr);
	if (fr <= managed)
		return;
	want = fr - managed;
	n = free_runs(cfg, nid, zs, ze, res, nres, runs, &p);
	while (n-- > 0 && want) {
		uint64_t take = MIN(runs[n].e - runs[n].s, want);
		char tok[96];

		snprintf(tok, sizeof(tok), "reserve=%#llx-%#llx",
			 (unsigned long long)PFN_PHYS(runs[n].e - take),
			 (unsigned long long)PFN_PHYS(runs[n].e) - 1);
		emit(c, tok, src);
		want -= take;
	}
}

/*
 * zoneinfo.txt: each populated DMA, DMA32, Normal and Movable zone,
 * through match_zone(), at the end of its block.  With kernelcore= or
 * movablecore=, the boot log must say where each node's ZONE_MOVABLE
 * starts ("Movable zone start for each node").
 */
static void match_zoneinfo(struct capture *c, const char *dir)
{
	static const char *const zones[] = { "DMA", "DMA32", "Normal", "Movable" };
	struct linereader *lr = open_capture_file(dir, "zoneinfo.txt");
	char line[MAX_LINE], zone[16] = "";
	unsigned long long present = 0, managed = 0;
	int nid = -1;
	bool have_p = false, have_m = false;

	if (!lr)
		return;
	if ((c->scratch.kernelcore || c->scratch.movablecore || c->scratch.kernelcore_percent ||
	     c->scratch.movablecore_percent) && !c->movable_seen) {
		fprintf(c->out, "# zoneinfo.txt: not matched (ZONE_MOVABLE moves the zone boundaries, "
				"and the boot log does not say where: no \"Movable zone start\" lines)\n");
		linereader_close(lr);
		return;
	}
	for (;;) {
		bool eof = !capture_line(c->out, lr, line, sizeof(line));
		int n2;
		char z2[16];

		if (!eof && sscanf(line, "Node %d, zone %15s", &n2, z2) != 2) {
			if (sscanf(line, " present %llu", &present) == 1)
				have_p = true;
			else if (sscanf(line, " managed %llu", &managed) == 1)
				have_m = true;
			continue;
		}
		/* The end of a zone's block. */
		for (unsigned z = 0; nid >= 0 && nid < PMM_MAX_NUMNODES && have_p && have_m && present &&
				     z < 4;
		     z++)
			if (strcmp(zone, zones[z]) == 0)
				match_zone(c, nid, z, zone, present, managed);
		if (eof)
			break;
		nid = n2;
		snprintf(zone, sizeof(zone), "%s", z2);
		have_p = have_m = false;
	}
	linereader_close(lr);
}

/*
 * nodes/nodeN/cpulist (sysfs's /sys/devices/system/node/nodeN/cpulist) for
 * each node: the CPUs of every node, the boot CPU included.  Each list is
 * read as the node_cpus= token it becomes; a list that is not one leaves
 * the CPUs to the boot log.  When a CPU is in more than one list (NUMA
 * emulation lists every CPU of a physical node in each fake node's), the
 * lists become node_cpumask= and each CPU's own node is the log's.
 */
static void read_node_cpulists(struct capture *c, const char *dir)
{
	struct pmm_config *lists = calloc(1, sizeof(*lists));
	bool shared = false;

	if (!lists)
		return;
	for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++) {
		char name[64], list[1024], tok[1100];

		snprintf(name, sizeof(name), "nodes/node%d/cpulist", nid);
		if (!read_value(dir, name, list, sizeof(list)) || !list[0])
			continue;
		snprintf(tok, sizeof(tok), "node_cpumask=%d:%s", nid, list);
		if (pmm_config_parse(lists, tok, strlen(tok), name, NULL, 0)) {
			lists->node_cpumask_set = 0;
			break;
		}
	}
	for (unsigned cpu = 0; cpu < PMM_MAX_CPUS; cpu++)
		for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++) {
			if (!((lists->node_cpumask_set >> nid) & 1) ||
			    !((lists->node_cpumask[nid][cpu / 64] >> (cpu % 64)) & 1))
				continue;
			shared |= c->cpu_node[cpu] != 0;
			c->cpu_node[cpu] = (uint8_t)(nid + 1);
		}
	if (shared) {
		/*
		 * Each CPU's own node is the log's; the lists, what the kernel
		 * counts per node, go to the scratch config as the node_cpumask=
		 * tokens emit_node_cpus() writes from them will leave it.
		 */
		memset(c->cpu_node, 0, sizeof(c->cpu_node));
		memcpy(c->scratch.node_cpumask, lists->node_cpumask, sizeof(c->scratch.node_cpumask));
		c->scratch.node_cpumask_set = lists->node_cpumask_set;
	} else if (lists->node_cpumask_set) {
		c->cpu_node_sysfs = true;
		snprintf(c->cpu_node_src, sizeof(c->cpu_node_src), "nodes/node*/cpulist");
	}
	free(lists);
}

/* Whether the boot log at @path has the "Early memory node ranges" heading. */
static bool log_has_node_ranges(const char *path)
{
	struct linereader *lr;
	const char *line;
	size_t len;
	bool found = false;
	int r;

	if (linereader_open_path(&lr, path, NULL, 0))
		return false;
	while (!found && (r = linereader_next(lr, &line, &len)) != 0) {
		if (r < 0 && r != -PMM_E2BIG)
			break; /* unreadable: the reading proper reports it */
		found = r > 0 && memmem(line, len, "Early memory node ranges", 24);
	}
	linereader_close(lr);
	return found;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * nodes/nodeN/distance: node N's distances to each online node (those with
 * a nodes/nodeM directory) in id order.  Written as node_distance= rows
 * only when some distance is not the default (10 to itself, 20 to others).
 */
static void read_node_distances(struct capture *c, const char *dir)
{
	int ids[PMM_MAX_NUMNODES], nr = 0;
	uint8_t dist[PMM_MAX_NUMNODES][PMM_MAX_NUMNODES];
	bool odd = false;

	for (int nid = 0; nid < PMM_MAX_NUMNODES; nid++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/nodes/node%d", dir, nid);
		if (is_dir(path))
			ids[nr++] = nid;
	}
	memset(dist, 0, sizeof(dist));
	for (int i = 0; i < nr; i++) {
		char name[64], row[1024], *p = row, *end;

		snprintf(name, sizeof(name), "nodes/node%d/distance", ids[i]);
		if (!read_value(dir, name, row, sizeof(row)))
			return;
		for (int j = 0; j < nr; j++) {
			unsigned long d = strtoul(p, &end, 10);

			if (end == p || d < 1 || d > 255 || (i == j && d != 10))
				return; /* not a distance row: leave the defaults */
			dist[ids[i]][ids[j]] = (uint8_t)d;
			odd |= d != (i == j ? 10u : 20u);
			p = end;
		}
	}
	for (int i = 0; odd && i < nr; i++) {
		char tok[1024], src[96];
		int len = snprintf(tok, sizeof(tok), "node_distance=%d:", ids[i]);

		for (int to = 0; to <= ids[nr - 1]; to++)
			len += snprintf(tok + len, sizeof(tok) - (size_t)len, "%s%u", to ? "," : "",
					dist[ids[i]][to] ? dist[ids[i]][to] : to == ids[i] ? 10u : 20u);
		snprintf(src, sizeof(src), "nodes/node%d/distance", ids[i]);
		emit(c, tok, src);
	}
}

/* The config of capture directory @path, whose boot log is @log, with kpageflags if @kpf. */
static int derive_dir_with(struct capture *c, const char *path, const char *log, bool kpf)
{
	int r;

	read_node_cpulists(c, path);
	r = read_boot_log(c, log);
	if (r)
		return r;
	read_node_distances(c, path);
	if (kpf)
		read_kpageflags(c, path);
	read_iomem(c, path);
	reserve_kpageflags(c);
	free(c->kpf);
	c->kpf = NULL;
	read_thp(c, path);
	read_sysctls(c, path);
	match_zoneinfo(c, path);
	return 0;
}

/*
 * derive_dir_with() kpageflags, unless its reserved frames leave a zone
 * fewer managed pages than zoneinfo.txt has (frames a driver reserved
 * after boot are among them, and nothing tells which): then without it,
 * as a capture that has none.
 */
static int derive_dir(struct capture *c, const char *path, const char *log)
{
	struct capture *try = malloc(sizeof(*try));
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!try)
		return failf(c, -PMM_ENOMEM, "out of memory");
	*try = *c;
	try->out = open_memstream(&text, &len);
	if (!try->out) {
		free(try);
		return failf(c, -PMM_ENOMEM, "out of memory");
	}
	r = derive_dir_with(try, path, log, true);
	fclose(try->out);
	if (r || !try->kpf_over)
		fwrite(text, 1, len, c->out);
	else
		fprintf(c->out, "# kpageflags: more frames reserved at the end than zoneinfo.txt's "
				"managed counts leave: not used\n");
	free(text);
	if (r || !try->kpf_over) {
		free(try);
		return r;
	}
	free(try);
	return derive_dir_with(c, path, log, false);
}

/*
 * The release of the first "Linux version REL (...)" line of the boot log
 * at @path: the third word from "Linux", as in uname's text.
 */
static bool boot_log_release(const char *path, char *buf, size_t size)
{
	struct linereader *lr;
	char line[MAX_LINE];
	bool found = false;

	if (linereader_open_path(&lr, path, NULL, 0) != 0)
		return false;
	while (!found && capture_line(NULL, lr, line, sizeof(line))) {
		const char *p = strstr(line, "Linux version ");

		found = p && uname_release(p, buf, size);
	}
	linereader_close(lr);
	return found;
}

int pmm_capture_release(const char *path, char *buf, size_t size)
{
	struct linereader *lr;
	char file[4096], line[MAX_LINE];
	bool found = false;

	if (!path || !buf || !size)
		return -PMM_EINVAL;
	buf[0] = '\0';
	if (!is_dir(path)) {
		if (!is_file(path))
			return -PMM_ENOENT;
		return boot_log_release(path, buf, size) ? 0 : -PMM_ENOENT;
	}
	lr = open_capture_file(path, "uname.txt"); /* uname -a */
	if (lr) {
		found = capture_line(NULL, lr, line, sizeof(line)) && strncmp(line, "Linux ", 6) == 0 &&
			uname_release(line, buf, size);
		linereader_close(lr);
		if (found)
			return 0;
	}
	for (size_t i = 0; i < sizeof(boot_log_names) / sizeof(boot_log_names[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", path, boot_log_names[i]);
		if (is_file(file) && boot_log_release(file, buf, size))
			return 0;
	}
	return -PMM_ENOENT;
}

int pmm_config_from_capture(const char *path, FILE *out, char *err, size_t errlen)
{
	struct capture c = { .out = out, .err = err, .errlen = errlen, .cpus = -1,
			     .cpus_allowed = -1, .bsp_node = -1,
			     .heap_init = { -1, -1 } };
	char log[4096], file[4096];

	if (err && errlen)
		err[0] = '\0';
	if (!path || !out)
		return -PMM_EINVAL;
	pmm_config_default(&c.scratch);
	if (!is_dir(path)) {
		if (!is_file(path))
			return failf(&c, -PMM_ENOENT, "%s: cannot open: %s", path, strerror(errno));
		fprintf(out, "# The machine of the boot log %s (pmm_config_from_capture)\n", path);
		return read_boot_log(&c, path);
	}
	/*
	 * The first boot log that still has the node ranges: dmesg's ring
	 * buffer may have wrapped on a long-running machine where the serial
	 * console log kept everything.  Without such a log, the first one,
	 * whose reading then says what is missing.
	 */
	log[0] = '\0';
	for (size_t i = 0; i < sizeof(boot_log_names) / sizeof(boot_log_names[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", path, boot_log_names[i]);
		if (!is_file(file))
			continue;
		if (!log[0])
			snprintf(log, sizeof(log), "%s", file);
		if (log_has_node_ranges(file)) {
			snprintf(log, sizeof(log), "%s", file);
			break;
		}
	}
	if (!log[0])
		return failf(&c, -PMM_ENOENT,
			     "%s: no kernel boot log in the directory (dmesg.txt, dmesg.txt.xz, dmesg, "
			     "console.log, ...)",
			     path);
	fprintf(out, "# The machine of the Linux capture %s (pmm_config_from_capture)\n", path);
	return derive_dir(&c, path, log);
}
