/* SPDX-License-Identifier: MIT */
/*
 * Machine configuration: the physical layout (nodes, memory ranges, holes,
 * reserved ranges, zone boundaries, ZONE_MOVABLE sizing) and the boot
 * parameters and sysctls a kernel would take on its command line.
 *
 * Fill one with pmm_config_default() and adjust fields, or parse the text
 * format with pmm_config_parse():
 *
 *   # comments run to the end of the line; tokens are separated by blanks
 *   mem=8G                 total memory, split evenly over `nodes`, from 0
 *   nodes=2                number of NUMA nodes for mem= (default 1)
 *   node=1:0x100000000-0x1ffffffff   a memory range of node 1 (inclusive end,
 *                          or START+SIZE); when any node= is given, mem= is not used
 *   hole=0x9f000-0xfffff   remove a range from memory
 *   reserve=0x0-0xfffff    memblock-reserved range (boot allocations, firmware)
 *   late_free=0x34e02000-0x34ffffff  reserved frames freed once boot is done,
 *                          as the kernel frees its init memory, initrd and image
 *                          gaps (free_reserved_area()): managed pages grow, the
 *                          watermarks keep their boot values.  Frames not
 *                          reserved (reserve=) are left alone.  Freed in the
 *                          order given.  late_free=START-END:WHAT says what the
 *                          kernel freed there, and the boot log says it in the
 *                          kernel's words ("Freeing initrd memory: 1076K"):
 *                          initrd, initmem, decrypted, text_rodata_gap,
 *                          rodata_data_gap, or smp_alternatives, which x86
 *                          frees early in start_kernel(): right after the
 *                          "Memory:" line, before the watermarks are set
 *   deferred_struct_page_init=on   as a kernel built with
 *                          CONFIG_DEFERRED_STRUCT_PAGE_INIT (Debian's are): boot
 *                          hands each node's highest zone to the buddy only up to
 *                          the first section boundary past its first 128 MiB
 *                          before "Memory:", and the rest after it ("node 0
 *                          deferred pages initialised in 3ms"), before the
 *                          watermarks are set; default off
 *   dma=16M dma32=4G       zone boundaries (x86-64 defaults)
 *   kernelcore=2G | kernelcore=40%   movablecore=1G | movablecore=25%
 *   cpus=4                 number of CPUs (per-CPU lists); default: the host's
 *   node_cpus=1:2-3,6      the CPUs of node 1, as /sys/devices/system/node/node1/
 *                          cpulist prints them; repeat per node.  A CPU no
 *                          node_cpus= names is spread round-robin over the nodes
 *                          with memory (CPU c on the (c mod n)-th), as without
 *                          it.  The node decides where a CPU's allocations go
 *                          first and the per-CPU lists' high (zone_highsize()
 *                          counts a node's own CPUs).  A node without memory
 *                          is a memoryless node: its CPUs allocate from the
 *                          next node id up that has memory, wrapping (the
 *                          kernel's fallback order with equal distances)
 *   node_cpumask=1:0-7     the CPUs the kernel counts as node 1's
 *                          (cpumask_of_node(), sysfs's cpulist) where they are
 *                          not those node_cpus= puts there: NUMA emulation
 *                          (numa=fake=) lists every CPU of a physical node in
 *                          each of its fake nodes, while each CPU allocates
 *                          from one of them (node_cpus=).  zone_highsize()
 *                          splits a zone's high over these
 *   node_distance=1:20,10,30   node 1's distances to nodes 0, 1, 2, ... as
 *                          /sys/devices/system/node/node1/distance prints them
 *                          (ACPI SLIT: 10 to itself; 1-255); repeat per node.
 *                          Unset: 10 to itself, 20 to any other.  They order
 *                          each node's fallback list as the kernel's
 *                          find_next_best_node() does
 *   transparent_hugepage=never|always|madvise   as the kernel's boot parameter:
 *                          with always or madvise, khugepaged raises
 *                          min_free_kbytes after boot and after memory
 *                          hotplug to keep free pageblocks for huge pages
 *                          (set_recommended_min_free_kbytes(): 11 pageblocks per
 *                          zone up to Normal, at most 5% of low memory).
 *                          With never, khugepaged's start computes
 *                          min_free_kbytes once more after boot (the marks
 *                          just set lower the free pages it counts).
 *                          pmm has no huge-page collapsing; this is the
 *                          watermarks' part.  Without the token: a kernel
 *                          built without THP, min_free_kbytes as a fresh boot
 *                          computes it
 *   hugepagesz=1G hugepages=2   boot-time huge page pools, with the kernel's
 *                          syntax and rules: hugepagesz= (2M or 1G) names the
 *                          size the next hugepages= counts; hugepages=N, or
 *                          hugepages=0:2,1:1 for per-node counts; a
 *                          hugepages= before any size, or after
 *                          default_hugepagesz=, counts the default size (2M
 *                          unless default_hugepagesz= says otherwise).
 *                          Gigantic (1G) pages come from memblock while it
 *                          boots, 1 GiB-aligned from the top of each node in
 *                          turn as the kernel's bootmem allocation does: the
 *                          "Memory:" line counts them reserved, and they join
 *                          managed pages (pool pages, not free ones) once the
 *                          watermarks are first set.  2M pages are allocated
 *                          from the buddy allocator at the end of boot.
 *                          <pmm/hugetlb.h> hands them out and gives them back
 *   min_free_kbytes=N watermark_scale_factor=N watermark_boost_factor=N
 *   lowmem_reserve_ratio=256,256,32,0,0 percpu_pagelist_high_fraction=N
 *   page_owner=on  page_poison=on  init_on_alloc=1  init_on_free=1
 *   page_owner_stack=kernel|caller  where page_owner's stacks start: kernel
 *                          (the default) as the kernel's records do, at
 *                          get_page_from_freelist/free_unref_page and the
 *                          allocator's frames above them; caller: at the
 *                          caller of pmm_alloc_pages()/pmm_free_pages(), the
 *                          same stack whichever path served the call, which
 *                          lets the per-CPU fast paths run with page_owner
 *                          on.  An entry point built on those two
 *                          (pmm_get_free_pages(), pmm_put_page(), ...) is
 *                          then the first frame, above its own caller.
 *                          caller needs pmm's own stack walk: with a
 *                          platform stack() other than pmm_posix_stack the
 *                          machine logs a warning and uses kernel
 *   debug_pagealloc=on  debug_guardpage_minorder=N  page_alloc.shuffle=1
 *                          (guard pages, as in Linux, only with
 *                          debug_pagealloc=on; N is 0..5)
 *   pcp=off  seed=N  fatal=on  cpu=rseq|getcpu
 *   backend=anon           where the machine's memory comes from: anon (one
 *                          MAP_NORESERVE reservation, the default), memfd (a
 *                          shared-memory file), hugetlbfs (a memfd of 2 MiB
 *                          huge pages; needs HugePages_Free for all memory),
 *                          file:PATH (a regular or DAX file, created if
 *                          missing, kept afterwards; no blanks or '#' in PATH),
 *                          fd:N (an open descriptor, not closed by pmm).
 *                          Memory an embedder mapped itself is set in the C
 *                          struct only (PMM_BACKEND_MEMORY, backend.base/size).
 *   memmap=base|huge|altmap  where struct pages live: the host's memory in
 *                          base or huge (2 MiB) pages, or altmap: each wholly
 *                          present section keeps its memmap in its own first
 *                          512 frames (memmap_on_memory), which are then never
 *                          given to the buddy allocator; needs a file backend
 *   maxmem=16G             the machine's physical address span for memory
 *                          hotplug (<pmm/hotplug.h>): address space (never
 *                          memory) is reserved up to there, so blocks can be
 *                          added above the boot memory; default: the end of
 *                          boot memory.  Rounded up to a 128 MiB section;
 *                          at most 64T (PMM_MAXMEM_LIMIT: x86-64's 46
 *                          physical address bits).
 *   hotplug=N:START-END[:STATE]   memory plugged into node N when boot is
 *                          done, as the kernel's ACPI driver adds a DIMM that
 *                          was present at boot (outside the firmware's memory
 *                          map): added offline (the default, as
 *                          memhp_default_state=offline), or onlined: STATE
 *                          online, online_kernel or online_movable
 *                          (<pmm/hotplug.h>).  Whole 128 MiB blocks; maxmem=
 *                          grows to cover it.  Repeat per range
 *   host_node=N:H          place pmm node N's memmap and memory on host NUMA
 *                          node H (preferred: the host falls back when H is
 *                          full, and vmemmap_verify warns for memmap pages
 *                          that landed elsewhere).  Repeat per node.  H must
 *                          exist on this host; needs a platform with NUMA
 *                          (libnuma at build time), else pmm_create() fails
 *                          with -PMM_EOPNOTSUPP
 *   host_bind=all|memmap   what host_node= places: the memmap and the memory
 *                          (all, the default) or only the memmap (with
 *                          memmap=altmap that includes the frames a section's
 *                          own memmap lives in)
 *
 * Sizes take K, M, G, T suffixes (powers of 1024) or 0x hex.
 */
#ifndef PMM_CONFIG_H
#define PMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <pmm/api.h>
#include <pmm/platform.h>

PMM_BEGIN_DECLS

#define PMM_MAX_NUMNODES 64
#define PMM_MAX_RANGES 128
#define PMM_MAX_CPUS 1024
/* The largest maxmem=: x86-64's MAX_PHYSMEM_BITS (46) with 4-level paging, 64 TiB. */
#define PMM_MAXMEM_LIMIT (1ull << 46)
#define PMM_NR_ZONES 5 /* DMA, DMA32, Normal, Movable, Device */

/* hotplug=N:START-END:STATE: what becomes of the memory added at boot's end. */
enum pmm_hotplug_state {
	PMM_HOTPLUG_OFFLINE = 0,
	PMM_HOTPLUG_ONLINE,          /* online: the zone it lies in, else a kernel zone */
	PMM_HOTPLUG_ONLINE_KERNEL,   /* online_kernel */
	PMM_HOTPLUG_ONLINE_MOVABLE,  /* online_movable */
};

/* A physical range [start, end), in bytes, belonging to node @nid. */
struct pmm_range {
	uint64_t start;
	uint64_t end;
	int nid;
};

/*
 * transparent_hugepage=: what /sys/kernel/mm/transparent_hugepage/enabled
 * says; PMM_THP_NONE (no token) is a kernel built without THP.
 */
enum pmm_thp {
	PMM_THP_NONE = 0,
	PMM_THP_NEVER = 1,
	PMM_THP_ALWAYS = 2,
	PMM_THP_MADVISE = 3,
};

/* late_free=START-END:WHAT: what the kernel freed there (its log's words in comments). */
enum pmm_late_free_what {
	PMM_LATE_FREE_UNNAMED = 0,       /* "late_free" (and the range, in pmm's line) */
	PMM_LATE_FREE_SMP_ALTERNATIVES,  /* "SMP alternatives": before the watermarks */
	PMM_LATE_FREE_INITRD,            /* "initrd" */
	PMM_LATE_FREE_DECRYPTED,         /* "unused decrypted" */
	PMM_LATE_FREE_INITMEM,           /* "unused kernel image (initmem)" */
	PMM_LATE_FREE_TEXT_RODATA_GAP,   /* "unused kernel image (text/rodata gap)" */
	PMM_LATE_FREE_RODATA_DATA_GAP,   /* "unused kernel image (rodata/data gap)" */
	PMM_NR_LATE_FREE_KINDS
};

enum pmm_memmap_mode {
	PMM_MEMMAP_BASE = 0,   /* commit the vmemmap in host base pages */
	PMM_MEMMAP_HUGE = 1,   /* ask for 2 MiB host pages (MADV_HUGEPAGE) */
	PMM_MEMMAP_ALTMAP = 2, /* sections host their own memmap (vmem_altmap);
				  needs a file-backed backend */
};

/* hugepagesz=: the huge page sizes pmm takes (x86-64's PMD and PUD sizes). */
#define PMM_HUGETLB_ORDER_2M 9
#define PMM_HUGETLB_ORDER_1G 18
#define PMM_MAX_HSTATES 2

/* One huge page size's boot-time pool request (hugepagesz=S hugepages=...). */
struct pmm_hstate_config {
	unsigned order;                          /* PMM_HUGETLB_ORDER_2M or _1G */
	bool count_set;                          /* a hugepages= counted this size */
	unsigned long nr;                        /* pages wanted (the per-node sum) */
	unsigned long nr_node[PMM_MAX_NUMNODES]; /* hugepages=N:C,...; all 0: spread over nodes */
};

struct pmm_bad_page_info;
struct pmm;

struct pmm_config {
	/* Layout. */
	unsigned nr_nodes;                       /* for mem=: nodes to split over */
	uint64_t mem_bytes;                      /* mem=; ignored when nr_ranges > 0 */
	unsigned nr_ranges;                      /* explicit node= ranges */
	struct pmm_range ranges[PMM_MAX_RANGES];
	unsigned nr_holes;
	struct pmm_range holes[PMM_MAX_RANGES];
	unsigned nr_reserved;
	struct pmm_range reserved[PMM_MAX_RANGES];
	unsigned nr_late_free;                   /* late_free=: freed after boot */
	struct pmm_range late_free[PMM_MAX_RANGES];
	uint8_t late_free_what[PMM_MAX_RANGES];  /* enum pmm_late_free_what of each */
	bool deferred_struct_page_init;          /* deferred_struct_page_init=on */
	uint64_t dma_limit;                      /* ZONE_DMA below this (16 MiB) */
	uint64_t dma32_limit;                    /* ZONE_DMA32 below this (4 GiB) */
	uint64_t kernelcore;                     /* bytes; 0 = unset */
	uint64_t movablecore;                    /* bytes; 0 = unset */
	unsigned kernelcore_percent;             /* kernelcore=N% (0 = unset) */
	unsigned movablecore_percent;            /* movablecore=N% (0 = unset) */
	unsigned nr_cpus;                        /* 0 = the host's CPU count */
	uint8_t cpu_node[PMM_MAX_CPUS];          /* node_cpus=: 1 + CPU c's node; 0 = round-robin */
	/* node_cpumask=: bit c of [n] when CPU c counts as node n's; nodes in node_cpumask_set */
	uint64_t node_cpumask[PMM_MAX_NUMNODES][PMM_MAX_CPUS / 64];
	uint64_t node_cpumask_set;
	/* node_distance=: [a][b] the SLIT distance from a to b; 0 = 10 (a == b) or 20 */
	uint8_t node_distance[PMM_MAX_NUMNODES][PMM_MAX_NUMNODES];

	/* sysctls and boot parameters (-1 / defaults mean "as the kernel computes"). */
	int min_free_kbytes;                     /* -1 = computed */
	int watermark_scale_factor;              /* 10 */
	int watermark_boost_factor;              /* 15000 */
	int lowmem_reserve_ratio[PMM_NR_ZONES];  /* 256 256 32 0 0 */
	int percpu_pagelist_high_fraction;       /* 0 */
	enum pmm_thp thp;                        /* transparent_hugepage= (none) */
	/* hugepagesz=, hugepages=, default_hugepagesz=: sizes in the order named */
	unsigned nr_hstates;
	struct pmm_hstate_config hstates[PMM_MAX_HSTATES];
	int default_hstate;                      /* index into hstates; -1: 2M, not named */
	struct pmm_hstate_config default_count;  /* hugepages= for the default size, not
						    yet tied to an hstates[] entry */
	int hugetlb_parsed;                      /* parser state: the hstates[] index the next
						    hugepages= counts; -1: the default size */
	bool page_owner;
	bool page_owner_caller_stacks;           /* page_owner_stack=caller */
	bool page_poison;
	bool init_on_alloc;
	bool init_on_free;
	bool debug_pagealloc;
	unsigned debug_guardpage_minorder;
	bool shuffle;
	bool pcp;                                /* per-CPU lists (default on) */
	bool fatal;                              /* reports end with a panic line; the bad-page
						    handler must then abort (pmm_set_bad_page_handler) */
	enum pmm_memmap_mode memmap;
	bool cpu_getcpu;                         /* current CPU by sched_getcpu(), not rseq */
	uint64_t seed;                           /* shuffle and fault-injection randomness */
	uint64_t maxmem;                         /* maxmem=: physical span for hotplug; 0 = boot end */
	unsigned nr_hotplug;                     /* hotplug=: memory added when boot is done */
	struct pmm_range hotplug[PMM_MAX_RANGES];
	uint8_t hotplug_state[PMM_MAX_RANGES];   /* enum pmm_hotplug_state of each */
	/*
	 * host_node=N:H: bit N of host_node_mask set means pmm node N's memmap
	 * (and memory, unless host_bind_memmap_only) goes to host node
	 * host_node[N].  A mask keeps a zeroed config meaning "no placement".
	 */
	uint64_t host_node_mask;
	int host_node[PMM_MAX_NUMNODES];
	bool host_bind_memmap_only;              /* host_bind=memmap */

	/* Services. */
	struct pmm_backend backend;              /* the machine's memory (default: anon) */
	const struct pmm_platform *platform;     /* NULL = pmm_platform_posix(); required
						    by libpmm_freestanding */
	/*
	 * Log sink for kernel-style messages (boot log, reports).  NULL = the
	 * platform's log.  @level is a PMM_LOG_* value; @msg ends with '\n'.
	 */
	void (*log)(void *log_ctx, int level, const char *msg);
	void *log_ctx;
};

/**
 * pmm_config_default() - the built-in default machine: one node, 8 GiB of
 * memory from physical address 0, x86-64 zone boundaries, kernel defaults
 * for every knob, per-CPU lists on, anonymous memory (backend.fd = -1), the
 * POSIX platform.  Start every config from it.
 * Context: any; does not sleep.
 */
PMM_API void pmm_config_default(struct pmm_config *cfg);

/**
 * pmm_config_parse() - apply the text format described above to @cfg.
 * @cfg: a config (usually from pmm_config_default()); tokens override it.
 * @text, @len: the text (need not be NUL-terminated; a UTF-8 byte order mark
 *        at its start is skipped).
 * @filename: used in error messages ("<cmdline>" for a command line).
 * @err, @errlen: receives "file:line: reason" on error.
 *
 * Return: 0, or -PMM_EINVAL (a NULL @cfg, or a NULL @text with @len not 0;
 * unknown key, bad value, too many ranges, a
 * backend path of PMM_BACKEND_PATH_MAX bytes or more, a host_node= naming
 * a host node that does not exist; the platform asked is @cfg->platform, or
 * the POSIX one when NULL, and without NUMA support the host node is not
 * checked here: pmm_create() then refuses it with -PMM_EOPNOTSUPP).
 * @cfg may be partially updated on error.
 * Context: any; does not sleep (host_node= asks the platform about the host).
 */
PMM_API int pmm_config_parse(struct pmm_config *cfg, const char *text, size_t len,
			     const char *filename, char *err, size_t errlen);

/**
 * pmm_config_load() - read a config file and apply it with pmm_config_parse().
 * Return: 0, -PMM_ENOENT if the file cannot be opened, -PMM_EISDIR if it is a
 * directory, -PMM_EIO if reading it fails, or -PMM_EINVAL.
 * Context: process context; reads a file.
 * Not in libpmm_freestanding (docs/freestanding.md): use pmm_config_parse().
 */
PMM_API int pmm_config_load(struct pmm_config *cfg, const char *path, char *err, size_t errlen);

/**
 * pmm_config_from_capture() - write the config text of the machine a Linux
 * capture describes, for pmm_config_parse() or a config file.
 * @path: a capture directory (its boot log: dmesg.txt, dmesg.txt.xz, dmesg,
 *        console.log, plain or compressed, the first that still has the
 *        "Early memory node ranges"; and, when there, iomem.txt,
 *        nodes/nodeN/cpulist, sysctl_vm/ and zoneinfo.txt, the two .txt
 *        files plain or compressed too), or a boot log file.
 * @out: receives the text: node= for each "Early memory node ranges" line,
 *       cpus= ("smp: Brought up ..., M CPUs", else "smpboot: Allowing"),
 *       node_cpus= when the CPUs sit on more than one node (nodes/nodeN/
 *       cpulist, else x86's ".... node #N, CPUs:" lines and SRAT's APIC 0
 *       entry for the boot CPU), dma=/dma32= where "Zone ranges:" differ
 *       from x86-64's, the kernel command line's kernelcore=, movablecore=,
 *       page_alloc.shuffle=, init_on_alloc=, init_on_free=, page_poison=,
 *       debug_pagealloc=, debug_guardpage_minorder=, and its
 *       hugepagesz=/default_hugepagesz=/hugepages= that count 1 GiB pages
 *       when the log says the kernel registered that size (2 MiB counts
 *       are comments: those pages come from the buddy allocator, where a
 *       trace of the boot has them); hotplug=N:A-B[:STATE] for iomem.txt's
 *       "System RAM" outside the node ranges (a DIMM the ACPI driver added
 *       after boot, on the node SRAT's hotplug range names, onlined as
 *       memhp_default_state= says); reserve= for the
 *       kernel image from iomem.txt, less the SMP alternatives x86 frees
 *       before the watermarks are set; min_free_kbytes=, watermark_scale_factor=,
 *       watermark_boost_factor=, lowmem_reserve_ratio= and
 *       percpu_pagelist_high_fraction= from sysctl_vm/; reserve= for
 *       the first MiB of an x86 Linux 5.13+ log and for the initrd
 *       ("RAMDISK:"); late_free= for what the log's "Freeing ... memory"
 *       lines give back (initrd, the image's gaps and init memory); and,
 *       with zoneinfo.txt, reserve= for what else the kernel reserved in a
 *       zone (at the zone's top, as memblock allocates; ZONE_MOVABLE
 *       where the log's "Movable zone start" lines put it), so that managed
 *       pages, watermarks and per-CPU high/batch match.  One token a line,
 *       with the file and line it came from as a comment; a value pmm does
 *       not take (kernelcore=mirror) is written as a comment with the reason.
 * @err, @errlen: "file[:line]: reason" on failure (may be NULL).
 * Return: 0; -PMM_ENOENT when @path is missing or a directory without a
 * boot log; -PMM_EBADMSG when the log has no node ranges or a malformed
 * one; -PMM_EIO (corrupt compressed log), -PMM_ENOMEM, -PMM_EINVAL (NULL
 * argument).  Text may have been written to @out before an error.
 * Context: process context; reads files; does not sleep otherwise.
 * Not in libpmm_freestanding (docs/freestanding.md).
 */
PMM_API int pmm_config_from_capture(const char *path, FILE *out, char *err, size_t errlen);

/**
 * pmm_capture_release() - the release of the kernel a Linux capture was
 * taken on ("6.1.192-pageowner"), for pmm_kver_from_release().
 * @path: a capture directory (its uname.txt, the output of uname -a, else
 *        the "Linux version REL" line of its boot log, found as
 *        pmm_config_from_capture() finds it), or a boot log file.
 * @buf, @size: receives the release, NUL-terminated ("" on error).
 * Return: 0; -PMM_ENOENT when the capture names no release that fits
 * @size (or @path does not exist); -PMM_EINVAL for a NULL argument or a
 * zero @size.
 * Context: may sleep (file I/O).
 */
PMM_API int pmm_capture_release(const char *path, char *buf, size_t size);

/**
 * pmm_parse_size() - parse "8G", "512M", "0x1000", "4096" into bytes.
 * Return: 0 or -PMM_EINVAL (malformed, or overflows 64 bits).
 * Context: any; does not sleep.
 */
PMM_API int pmm_parse_size(const char *s, size_t len, uint64_t *out);

PMM_END_DECLS

#endif
