/* SPDX-License-Identifier: MIT */
/*
 * Memory hotplug of a machine's own memory (Linux 6.1 mm/memory_hotplug.c),
 * at the granularity of a memory block, which on pmm is one memory section
 * (PMM_MEMORY_BLOCK_SIZE, 128 MiB, x86-64's SECTION_SIZE_BITS).
 *
 * A block's life, as the kernel's:
 *
 *   absent --pmm_add_memory()--> offline --pmm_online_pages()--> online
 *   online --pmm_offline_pages()--> offline --pmm_remove_memory()--> absent
 *
 * Adding makes the sections present with a memmap (pfn_valid() is true, the
 * struct pages are reserved); onlining gives the frames to a zone's buddy
 * allocator; offlining takes every frame back out (it fails with -PMM_EBUSY
 * and changes nothing if a frame is in use); removing releases the memmap,
 * the section's bookkeeping and the memory itself (pfn_valid() is false).
 * Boot memory goes through the same steps: any whole section without holes
 * or boot reservations can be offlined and removed, and added back.
 *
 * pmm cannot move a user's data by itself: offlining a block that holds an
 * allocated frame fails with -PMM_EBUSY, unless the embedder installed a
 * migrate callback (pmm_set_mm_ops()), which is then asked to move each
 * allocated block out of a movable pageblock, as alloc_contig_range() does.
 *
 * Where the frames may come from: anywhere in the machine's physical address
 * span that is not memory already, i.e. below the end of boot memory (holes
 * between ranges and nodes), or up to `maxmem=` (<pmm/config.h>), which
 * reserves address space (never memory) for the memory that may be plugged.
 *
 * Messages are the kernel's, at its levels: "Offlined Pages %ld" and
 * "memory offlining [mem %#010llx-%#010llx] failed due to %s" (debug),
 * "Built %u zonelists, ..." when a zone gains or loses all its memory, the
 * dump_page() of the frame that keeps a block busy, and so on.
 *
 * Locking: every call takes the machine's hotplug lock (the kernel's
 * mem_hotplug_lock), so hotplug operations and reports serialise, while
 * allocation and free on other blocks go on concurrently.  The calls may
 * sleep (they map and unmap memory and wait for RCU readers of page_ext),
 * must not be made with a pmm lock held, and must not be made from a
 * migrate callback or a bad-page handler (they would deadlock).
 */
#ifndef PMM_HOTPLUG_H
#define PMM_HOTPLUG_H

#include <stdint.h>

#include <pmm/api.h>

PMM_BEGIN_DECLS

struct pmm;

/* One memory block: a section of 2^27 bytes, 32768 frames. */
#define PMM_MEMORY_BLOCK_SIZE (1ul << 27)
#define PMM_PAGES_PER_MEMORY_BLOCK (PMM_MEMORY_BLOCK_SIZE >> 12)

/* The zone a block goes to when onlined (the kernel's MMOP_* online types). */
enum pmm_online_type {
	/*
	 * "online": the zone the range already lies in (a kernel zone or
	 * ZONE_MOVABLE, whichever spans it alone), else a kernel zone.
	 */
	PMM_ONLINE = 1,
	PMM_ONLINE_KERNEL,  /* "online_kernel": DMA, DMA32 or Normal, by address */
	PMM_ONLINE_MOVABLE, /* "online_movable": ZONE_MOVABLE */
};

/* What a block is now (the memoryN/state of sysfs, plus "absent"). */
enum pmm_block_state {
	PMM_BLOCK_ABSENT = 0,  /* no memory there (never added, or removed) */
	PMM_BLOCK_OFFLINE,     /* present, memmap reserved, no frame in a zone */
	PMM_BLOCK_ONLINE,      /* its frames belong to a zone */
};

/**
 * pmm_add_memory() - plug [@start, @start + @size) into node @nid, offline
 * (add_memory() with memhp_default_state=offline).
 * @start, @size: bytes, both multiples of PMM_MEMORY_BLOCK_SIZE.
 *
 * The memory is committed from the machine's backend, each section gets
 * its usage block, its memmap (committed in the vmemmap, or from the
 * section's own first frames with memmap=altmap) initialised as reserved
 * frames of @nid, and is placed on @nid's host node when `host_node=` maps
 * one (then checked by vmemmap_verify).  Nothing is given to a zone yet.
 * Return: 0; -PMM_EINVAL for an unaligned or empty range or a node that had
 * no memory at boot (6.1 would bring a memoryless node online; pmm builds
 * its nodes at boot only); -PMM_E2BIG beyond the machine's physical address
 * span; -PMM_EEXIST if any of it is memory already; -PMM_ENOMEM when the
 * platform refuses memory (then nothing of the range is left behind).
 * Context: process context; takes the hotplug lock; may sleep.
 */
PMM_API int pmm_add_memory(struct pmm *m, int nid, uint64_t start, uint64_t size);

/**
 * pmm_online_pages() - give the offline blocks of [@start_pfn, @start_pfn +
 * @nr_pages) to a zone of their node (online_pages(): memmap initialised
 * for the zone, page_ext allocated, every frame freed to the buddy
 * allocator, zone and node spans and present/managed pages grown,
 * watermarks and per-CPU high/batch recomputed, zonelists rebuilt when the
 * zone had no memory).
 * @start_pfn, @nr_pages: whole memory blocks, all on one node.
 * @type: enum pmm_online_type.
 * Return: 0 (also when every block is online already); -PMM_EINVAL for an
 * unaligned range, an unknown @type, a block that is absent, a range mixing
 * online and offline blocks or nodes; -PMM_ENOMEM when page_ext or per-CPU
 * lists cannot be allocated (the blocks then stay offline, as they were).
 * Context: process context; takes the hotplug lock; may sleep.
 */
PMM_API int pmm_online_pages(struct pmm *m, unsigned long start_pfn, unsigned long nr_pages,
			     enum pmm_online_type type);

/**
 * pmm_offline_pages() - take the online blocks of [@start_pfn, @start_pfn +
 * @nr_pages) out of their zone (offline_pages()): isolate their pageblocks
 * (MIGRATE_ISOLATE), drain every CPU's lists, move allocated blocks out
 * with the embedder's migrate callback if there is one, dissolve the huge
 * pages in their pools that have frames in the range (<pmm/hugetlb.h>:
 * each goes back to the buddy allocator whole, and its pool's size drops
 * by one), check that every frame is free, then take the free blocks off the buddy lists, shrink
 * managed and present pages and the zone and node spans, free the blocks'
 * page_ext (waiting for RCU readers), mark the sections offline, and
 * recompute watermarks and per-CPU high/batch.
 * @start_pfn, @nr_pages: whole memory blocks, all online in one zone.
 * Return: 0 (also when every block is offline already); -PMM_EINVAL for an
 * unaligned range, an absent block, a mix of online and offline blocks, a
 * range over two zones ("multizone range") or with holes in its sections
 * ("memory holes"); -PMM_EBUSY when a frame is in use (allocated, a huge
 * page handed out, or reserved at boot) and cannot be moved: then the pageblocks are
 * un-isolated (to MIGRATE_MOVABLE, as the kernel leaves them) and no free
 * frame is lost.  Each failure logs the kernel's "memory offlining [mem
 * ...] failed due to <reason>" at debug level.
 * Context: process context; takes the hotplug lock; may sleep.
 */
PMM_API int pmm_offline_pages(struct pmm *m, unsigned long start_pfn, unsigned long nr_pages);

/**
 * pmm_remove_memory() - unplug [@start, @start + @size) (remove_memory()):
 * every block must be offline.  Its memmap is decommitted (RSS falls by
 * 2 MiB per section) or, with memmap=altmap, unmapped from the section's
 * own frames; the sections are marked absent, so pfn_valid() and
 * pmm_pfn_to_page() fail for them; the memory goes back to the host.
 * @start, @size: bytes, both multiples of PMM_MEMORY_BLOCK_SIZE.
 * Return: 0; -PMM_EINVAL for an unaligned or empty range or one with an
 * absent block; -PMM_EBUSY if a block is online; -PMM_E2BIG when the range
 * lies inside one memory range of memblock, which would split in two, and
 * memblock's 256 regions are all in use (nothing is removed in either case).
 * Context: process context; takes the hotplug lock; may sleep.
 */
PMM_API int pmm_remove_memory(struct pmm *m, uint64_t start, uint64_t size);

/**
 * pmm_memory_block_state() - the state of the memory block holding @pfn.
 * Return: enum pmm_block_state (PMM_BLOCK_ABSENT beyond the machine too).
 * Context: any; lock-free (a hotplug operation may change it at once).
 */
PMM_API enum pmm_block_state pmm_memory_block_state(const struct pmm *m, unsigned long pfn);

PMM_END_DECLS

#endif
