/* SPDX-License-Identifier: MIT */
/*
 * pmm: the Linux kernel's physical page management as a library.
 *
 * A `struct pmm` is one machine: its physical memory, nodes, zones, memmap
 * (one `struct pmm_page` per frame, the kernel's 64-byte struct page) and
 * allocators.  Machines share nothing; several may live in one process.
 *
 * Frames are named three ways, converted by arithmetic: the page descriptor
 * (struct pmm_page *), the page frame number, and the address of the frame's
 * memory in this process (page_address).
 *
 * Thread safety: after pmm_create() returns, every allocation, free and
 * query function may be called from any thread concurrently, unless its
 * contract says otherwise.  pmm_destroy() must not race with anything.
 */
#ifndef PMM_PMM_H
#define PMM_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pmm/api.h>
#include <pmm/config.h>
#include <pmm/debug.h>
#include <pmm/errno.h>
#include <pmm/gfp.h>
#include <pmm/hotplug.h>
#include <pmm/platform.h>

PMM_BEGIN_DECLS

struct pmm;
struct pmm_page; /* the kernel's struct page; layout is private */

#define PMM_PAGE_SHIFT 12
#define PMM_PAGE_SIZE (1ul << PMM_PAGE_SHIFT)
#define PMM_MAX_ORDER 11          /* orders 0..10, as Linux 6.1 */
#define PMM_PAGEBLOCK_ORDER 9
#define PMM_NUMA_NO_NODE (-1)

/**
 * pmm_create() - build and boot a machine.
 * @cfg: the configuration (copied; see <pmm/config.h>).
 * @out: receives the machine.
 *
 * Boots in the kernel's order: memblock, sparse sections, vmemmap, zones
 * and pageblocks, page_ext, free to buddy, per-CPU lists.  The boot log
 * (Zone ranges:, Memory: ...) goes to the config's log sink.
 *
 * Return: 0, or -PMM_EINVAL for a bad layout (overlapping or empty ranges,
 * misaligned range, too many nodes, reserved range outside memory, ...;
 * in libpmm_freestanding also a config without a platform),
 * -PMM_ENOMEM when the platform refuses address space or memory.  On error
 * nothing is left allocated and *@out is NULL.
 * Context: process context; may sleep (maps memory).
 */
PMM_API int pmm_create(const struct pmm_config *cfg, struct pmm **out);

/**
 * pmm_destroy() - tear a machine down and return all its memory to the host.
 * Allocated frames need not be freed first.  NULL is ignored.
 * Context: no other thread may use the machine; may sleep.
 */
PMM_API void pmm_destroy(struct pmm *m);

/* ------------------------------------------------------------------ frames */

/**
 * pmm_page_to_pfn() - the frame number of @page.
 * Return: the pfn.  @page must be a descriptor of @m (not checked).
 * Context: any; lock-free.
 */
PMM_API unsigned long pmm_page_to_pfn(const struct pmm *m, const struct pmm_page *page);

/**
 * pmm_pfn_to_page() - the descriptor of frame @pfn.
 * Return: the page, or NULL when @pfn has no memmap (a hole, beyond the end).
 * Context: any; lock-free.
 */
PMM_API struct pmm_page *pmm_pfn_to_page(const struct pmm *m, unsigned long pfn);

/**
 * pmm_page_address() - where the frame's memory is in this process.
 * Return: the address of the first byte of the frame.
 * Context: any; lock-free.
 */
PMM_API void *pmm_page_address(const struct pmm *m, const struct pmm_page *page);

/**
 * pmm_virt_to_page() - the descriptor of the frame holding @addr.
 * Return: the page, or NULL if @addr is not inside this machine's memory.
 * Context: any; lock-free.
 */
PMM_API struct pmm_page *pmm_virt_to_page(const struct pmm *m, const void *addr);

/**
 * pmm_max_pfn() - one past the highest frame of the machine (the kernel's max_pfn).
 * Return: that pfn; it grows when memory is added.
 * Context: any; lock-free.
 */
PMM_API unsigned long pmm_max_pfn(const struct pmm *m);

/**
 * pmm_pfn_valid() - true when @pfn has a memmap (the kernel's pfn_valid()).
 * Context: any; lock-free.
 */
PMM_API bool pmm_pfn_valid(const struct pmm *m, unsigned long pfn);

/**
 * pmm_page_count() - the reference count of @page (page_ref_count()).
 * Besides its owner's references, an allocated block may carry a
 * passing one: memory offline, a contiguous allocation and idle page
 * tracking pin a block they find by frame number while they look at it
 * (or ask the migrate callback to move it), as the kernel's scanners do.
 * The owner's last pmm_free_pages() still frees it; the pin's drop
 * returns what is left.
 * Return: the count; 0 for a free frame.
 * Context: any; lock-free (a racy snapshot while others take or drop references).
 */
PMM_API int pmm_page_count(const struct pmm_page *page);

/**
 * pmm_page_zonenum() / pmm_page_nid(): the zone index and node of @page.
 * Return: the zone index (0 DMA, 1 DMA32, 2 Normal, 3 Movable, 4 Device)
 * or the node id, as the page's flags hold them.
 * Context: any; lock-free.
 */
PMM_API int pmm_page_zonenum(const struct pmm_page *page);
PMM_API int pmm_page_nid(const struct pmm_page *page);

/* ------------------------------------------------------------------ allocation */

/**
 * pmm_alloc_pages() - allocate 2^@order contiguous frames (alloc_pages()).
 * @gfp: PMM_GFP_* / PMM___GFP_* flags: zone, migratetype and behaviour.
 * @order: 0..PMM_MAX_ORDER-1.
 *
 * With __GFP_COMP the block is a compound page (head + tails); without it,
 * only the first page carries the reference count, as in the kernel.
 * Return: the first page, with refcount 1, or NULL when memory is short,
 * the order is too large, or @gfp is invalid (these are reported once
 * through the log unless __GFP_NOWARN).
 *
 * __GFP_NOFAIL with __GFP_DIRECT_RECLAIM (GFP_KERNEL | __GFP_NOFAIL) never
 * returns NULL for want of memory, as in Linux 6.1: it calls reclaim and
 * compaction again, may then use the reserves, and yields the CPU between
 * rounds (sched_yield(); a pause instruction in freestanding builds) until
 * a page is free.  pmm has no OOM killer, so unless a callback or another
 * thread frees memory such a request waits for ever.  Other requests fail
 * where 6.1 would call the OOM killer (or, without __GFP_FS, wait for
 * one).  Without __GFP_DIRECT_RECLAIM, __GFP_NOFAIL cannot be honoured: it
 * warns once and the request fails as any other.
 * Context: any thread.  pmm itself never sleeps; a request with
 * __GFP_DIRECT_RECLAIM that the free lists cannot serve calls the
 * embedder's reclaim and compaction callbacks (pmm_set_mm_ops()), without
 * pmm locks, and sleeps if they do.  An allocation that a callback makes
 * from the same machine may use the reserves (the kernel's PF_MEMALLOC)
 * and does not reclaim again; with __GFP_NOMEMALLOC above order 0 it may
 * still compact first, as in Linux 6.1.  The wake_kswapd hint may be called
 * from any allocation: for __GFP_KSWAPD_RECLAIM (GFP_ATOMIC and GFP_NOWAIT
 * have it too), and by whichever allocation next finds a zone's watermark
 * boosted by a fallback, as in Linux 6.1 (rmqueue()); so it must not sleep
 * (the kernel's wakeup_kswapd() does not).
 */
PMM_API struct pmm_page *pmm_alloc_pages(struct pmm *m, pmm_gfp_t gfp, unsigned order);

/**
 * pmm_alloc_pages_node() - as pmm_alloc_pages(), preferring node @nid
 * (PMM_NUMA_NO_NODE = the calling CPU's node, or the first node with memory
 * in its fallback order); with __GFP_THISNODE only @nid.  A memoryless node
 * (node_cpus= puts a CPU on a node without memory) starts at the first node
 * with memory in its fallback order, as its zonelist does in the kernel.
 * Return: the page or NULL; NULL also for an offline or absent node, and
 * for a memoryless one with __GFP_THISNODE.
 * Context: as pmm_alloc_pages().
 */
PMM_API struct pmm_page *pmm_alloc_pages_node(struct pmm *m, int nid, pmm_gfp_t gfp,
					      unsigned order);

/**
 * pmm_free_pages() - drop a reference to a block from pmm_alloc_pages()
 * (__free_pages()); the block is freed when the last reference goes.
 * Misuse (double free, wrong order, tail page, a page inside an allocated
 * block that is not its first, a page not from @m, ...) is detected,
 * reported in the kernel's "BUG: Bad page state" format and contained: a
 * bad request is refused and leaves the block as it was (an allocated one
 * is still its owner's to free); a page found bad while being freed
 * (scribbled flags or mapping) is taken out of circulation.  Free lists
 * stay intact.
 * Context: any thread; does not sleep.
 */
PMM_API void pmm_free_pages(struct pmm *m, struct pmm_page *page, unsigned order);

/**
 * pmm_get_free_pages() - allocate and return the block's address
 * (__get_free_pages()).  Return: address or NULL.
 * Context: as pmm_alloc_pages().
 */
PMM_API void *pmm_get_free_pages(struct pmm *m, pmm_gfp_t gfp, unsigned order);

/**
 * pmm_free_pages_addr() - free by address (free_pages()).  NULL is ignored;
 * an address not inside @m is reported and ignored.
 * Context: as pmm_free_pages().
 */
PMM_API void pmm_free_pages_addr(struct pmm *m, void *addr, unsigned order);

/** pmm_get_page() - take an extra reference (get_page()).  Return: 0,
 * -PMM_EINVAL if @page is free or a page past the first of a non-compound
 * block (its count is 0) or not a page of @m, or
 * -PMM_EOVERFLOW if the count is at INT_MAX; each error is reported as a
 * bad page (counted, callback) and the page is left as it is.
 * Context: any thread; lock-free; does not sleep.
 */
PMM_API int pmm_get_page(struct pmm *m, struct pmm_page *page);

/** pmm_put_page() - drop a reference to an order-0 or compound page
 * (put_page()); frees it (at its compound order) when the last goes.
 * Context: as pmm_free_pages().
 */
PMM_API void pmm_put_page(struct pmm *m, struct pmm_page *page);


/* ------------------------------------------------------------------ CPUs */

/* pmm_set_thread_cpu()'s @cpu that ends a pin: follow the real CPU again. */
#define PMM_CPU_UNPIN (-1)

/**
 * pmm_set_thread_cpu() - make the calling thread act as CPU @cpu of @m
 * (per-CPU lists, statistics), or follow the real CPU again with
 * PMM_CPU_UNPIN (-1; a no-op when the thread is not pinned on @m).
 * Trace replay and deterministic tests use it.
 * Cost: the first pin turns the restartable per-CPU fast path of @m off for
 * good (threads on their own CPU then take the general fast path); and
 * once any thread has used that fast path on @m, each per-CPU lock a
 * pinned thread takes pays a membarrier() fence.  Pin before the machine
 * serves native threads, or keep replay machines for replay.
 * Return: 0, or -PMM_EINVAL if @cpu >= the machine's CPU count or is
 * negative other than PMM_CPU_UNPIN (the thread's pin is then unchanged).
 * Context: affects only the calling thread and only machine @m.
 */
PMM_API int pmm_set_thread_cpu(struct pmm *m, int cpu);

/**
 * pmm_set_thread_task() - make the calling thread act as task @pid (thread
 * group @tgid, name @comm) of @m: page_owner records it as the allocating
 * and freeing task, and the kmem event writer (pmm_trace_attach()) prints
 * it, instead of the real thread's identity.  Trace replay uses it so that
 * owner records name the traced task.
 * @pid: the task id; a negative value restores the real identity.
 * @tgid: the thread group id; negative means the same as @pid.
 * @comm: the task name; the first 15 characters are kept.
 * Return: 0, or -PMM_EINVAL when @comm is NULL (and @pid >= 0).
 * Context: affects only the calling thread and only machine @m; cheap (no
 * system call), so it may be called before every allocation.
 */
PMM_API int pmm_set_thread_task(struct pmm *m, int pid, int tgid, const char *comm);

/**
 * pmm_set_thread_time() - make the calling thread's clock read @ns
 * (nanoseconds since boot, the kernel's local_clock()) for @m: page_owner
 * timestamps and the event writer's timestamps use it.  UINT64_MAX restores
 * the real clock.  Trace replay sets each event's time.
 * Context: affects only the calling thread and only machine @m; cheap.
 */
PMM_API void pmm_set_thread_time(struct pmm *m, uint64_t ns);

/**
 * pmm_nr_cpus() - the machine's CPU count (per-CPU list sets per zone).
 * Return: that count, fixed at boot.
 * Context: any; lock-free.
 */
PMM_API unsigned pmm_nr_cpus(const struct pmm *m);

/**
 * pmm_drain_all() - return every CPU's cached pages to the buddy lists
 * (drain_all_pages()).  Works without the owning threads' help.
 * Context: any thread; briefly takes each CPU's list lock.
 */
PMM_API void pmm_drain_all(struct pmm *m);

/* ------------------------------------------------------------------ embedder hooks */

/*
 * Reclaim and compaction belong to the embedder (a user-space pool has no
 * page cache).  All callbacks are optional; without them the slow path
 * fails cleanly.  They are called without any pmm lock held and may call
 * pmm_free_pages() on the machine.  An allocation reclaim or compaction
 * makes from the machine may use the reserves below the min mark and never
 * calls reclaim back (the kernel's PF_MEMALLOC, per thread); one with
 * __GFP_NOMEMALLOC above order 0 may call compaction first.
 */
struct pmm_mm_ops {
	/*
	 * Background reclaim hint: kswapd of node @nid is woken for its
	 * zones up to @zone_idx (the request's highest zone, or the zone
	 * whose watermark was boosted), which are below their low mark or
	 * boosted.  pmm then drops the watermark boost of those zones, as
	 * kswapd's balancing ends.  Called from allocations that may not
	 * sleep (GFP_ATOMIC): only wake something up here.
	 */
	void (*wake_kswapd)(void *ctx, int nid, int zone_idx, unsigned order);
	/*
	 * Direct reclaim, for a request that may sleep (__GFP_DIRECT_RECLAIM)
	 * and found too little free: free what you can and return the number
	 * of pages freed.  0 means no progress: the request then does not
	 * drain the per-CPU lists or take the high-order atomic reserve, as
	 * in Linux 6.1 (a callback may call pmm_drain_all() itself and count
	 * what that gave back).  Every call counts one allocstall_<zone>.
	 */
	unsigned long (*reclaim)(void *ctx, pmm_gfp_t gfp, unsigned order);
	/*
	 * Direct compaction, for a request above order 0 that may enter
	 * direct reclaim and __GFP_IO (never for GFP_NOIO): before the first
	 * reclaim for orders above 3 and for unmovable or reclaimable
	 * requests, and after each reclaim.  Return false only when
	 * compaction did not run (the kernel's COMPACT_SKIPPED): nothing is
	 * counted, and a request above order 3 with __GFP_NORETRY gives up at
	 * once.  Return true whenever it ran, even if it freed nothing:
	 * compact_stall counts it, and the allocator looks at its free lists
	 * once more (compact_success if that finds a block, compact_fail if
	 * not).
	 * Above order 0 the watermark check sees only the buddy lists, so a
	 * block the callback freed onto a per-CPU list counts after
	 * pmm_drain_all().
	 */
	bool (*compact)(void *ctx, pmm_gfp_t gfp, unsigned order);
	/*
	 * Migration, for pmm_alloc_contig_range() and memory offline: move
	 * the data of the allocated block at @pfn (of @order) elsewhere and
	 * free the block with pmm_free_pages(); return 0, or an error to make
	 * the range busy.  @pfn may be the head of a huge page handed out
	 * (pmm_hugetlb_alloc(); @order 9, or 18 for offline only): move it as
	 * the kernel moves a hugetlb page, to another huge page or anywhere,
	 * and drop every reference taken (pmm_put_page()); it goes back to
	 * its pool, where offline dissolves it and a contiguous allocation
	 * swaps it for a fresh one.  pmm holds a reference on a block (not a
	 * huge page) while it asks, as the kernel's migration does, so nobody
	 * else can be given the frame at @pfn meanwhile, and @order is read
	 * under that reference: the block's order, unless its owner freed or
	 * split it (pmm_split_page()) just before.  pmm finds huge pages by a
	 * lockless look.  So check @pfn and @order against what you hold: if
	 * you do not hold them, return 0 (nothing to move) or an error (the
	 * range is then busy); nothing is lost either way.  A block you hold
	 * must be freed before you return 0.  If another reference than pmm's
	 * is left after a 0 (another thread's passing look, or your own), the
	 * block is asked about again, up to 10 times as Linux 6.1's
	 * migrate_pages() tries a page, and then the range is busy.
	 */
	int (*migrate)(void *ctx, struct pmm *m, unsigned long pfn, unsigned order);
	/*
	 * The pages reclaim could still free from zone @zone_idx of node
	 * @nid (the kernel's zone_reclaimable_pages(): its LRU lists).  After
	 * a reclaim that did not get the page, the request calls reclaim
	 * again only while some zone would pass its min mark with these
	 * counted as free, at most 16 times in a row without progress
	 * (should_reclaim_retry()).  Without it pmm counts none, and a
	 * request makes one reclaim call unless free pages alone would do.
	 */
	unsigned long (*reclaimable)(void *ctx, int nid, int zone_idx);
};

/**
 * pmm_set_mm_ops() - install reclaim/compaction callbacks (NULL removes them).
 * Context: call before sharing the machine between threads.
 */
PMM_API void pmm_set_mm_ops(struct pmm *m, const struct pmm_mm_ops *ops, void *ctx);

/**
 * pmm_set_reclaim_active() - the embedder's kswapd starts (@active true) or
 * stops balancing node @nid for zones up to @highest_zoneidx, an index as
 * wake_kswapd() gives it (0 DMA, 1 DMA32, 2 Normal, 3 Movable; balance_pgdat()'s
 * set_reclaim_active() / clear_reclaim_active(), Linux 6.1): each managed
 * zone of the node up to that index gets or loses ZONE_RECLAIM_ACTIVE.
 * While a zone has it, every CPU's lists of that zone keep at most
 * 4 x batch pages (nr_pcp_high()): a free that takes a list past that
 * drains it down to it, so freed pages reach the buddy lists where
 * reclaim and the watermark checks see them.  A call on behalf of
 * wake_kswapd() is the usual pairing; it does not nest (one "stop" ends
 * any number of "start"s, as the kernel's bit does).
 * Return: 0; -PMM_EINVAL for a node that is not online or a zone index
 * outside 0..4 (nothing is changed then).
 * Context: any thread, without pmm locks; does not sleep.  Lists take the
 * new limit at their next free.
 */
PMM_API int pmm_set_reclaim_active(struct pmm *m, int nid, int highest_zoneidx, bool active);

/**
 * pmm_set_bad_page_handler() - be told of every bad page pmm detects.
 * @fn: called after the report with the frame's pfn (~0ul for a pointer
 * that is not a page of @m) and the kernel's reason string.
 *
 * With `fatal=on` in the config, the report ends with a "Kernel panic - not
 * syncing: Bad page state: <reason> (fatal=on)" line and @fn's contract is
 * not to return: it should abort the process (after saving what it needs).
 * pmm itself never aborts; without @fn, or if @fn returns, the bad page is
 * contained and pmm goes on as in the default report-and-continue mode.
 * Context: @fn runs in the thread that hit the bad page, without pmm locks.
 * Call it before sharing the machine between threads: a report running at
 * the same time may pair the old @fn with the new @ctx.
 */
PMM_API void pmm_set_bad_page_handler(struct pmm *m,
				      void (*fn)(void *ctx, unsigned long pfn, const char *reason),
				      void *ctx);

/**
 * pmm_bad_page_count() - bad pages and bad pointers detected so far.
 * Return: that count.
 * Context: any thread; lock-free.
 */
PMM_API unsigned long pmm_bad_page_count(const struct pmm *m);

/* ------------------------------------------------------------------ statistics */

/**
 * pmm_nr_free_pages() - free base pages in all zones, per-CPU lists excluded.
 * Return: the sum of the zones' NR_FREE_PAGES, read one zone after
 * another (not a snapshot while others allocate).
 * Context: any thread; lock-free.
 */
PMM_API unsigned long pmm_nr_free_pages(const struct pmm *m);

/**
 * pmm_totalram_pages() - pages managed by the buddy allocator.
 * Return: that count; it changes when memory is added or removed, or
 * reserved memory is freed.
 * Context: any thread; lock-free.
 */
PMM_API unsigned long pmm_totalram_pages(const struct pmm *m);

/**
 * pmm_validate() - walk every zone and check every invariant of the free
 * lists, counters and page states (zone_validate()), then the huge page
 * pools' lists and counts.  Meant for tests and debugging; takes each zone
 * lock in turn, then the pool lock.
 * @buf, @size: receives a description of the first violation (may be NULL).
 * Return: 0 when consistent, -PMM_ECORRUPT otherwise.
 * Context: any thread; takes each zone lock and then each of its per-CPU
 * list locks in turn, so allocations and frees wait while it walks a zone.
 */
PMM_API int pmm_validate(struct pmm *m, char *buf, size_t size);


/* ------------------------------------------------------------------ free page reporting */

struct pmm_reported_block {
	unsigned long pfn;
	unsigned order;
};

/**
 * pmm_page_reporting_register() - start free page reporting (page_reporting_register()).
 * @order: the smallest order reported (0, or one no block has: >=
 * PMM_MAX_ORDER, means the pageblock order, the kernel's default).
 * @report: receives batches of up to 32 free blocks, isolated from the
 * allocator during the call; returns 0 to mark them reported, or an error.
 * NULL selects the built-in reporter, which gives the frames' memory back to
 * the host (discard; RSS falls).
 * Return: 0, -PMM_EBUSY if a reporter is registered (of two registrations
 * at once, one gets it), -PMM_EINVAL when the built-in reporter would
 * destroy page poison, -PMM_ENOMEM.
 * Context: any thread; does not sleep.  @report runs without pmm locks held
 * (except the reporting lock) and must not allocate from or free to @m, nor
 * run or unregister reporting, nor offline memory (which waits for a pass
 * to put its blocks back).
 */
PMM_API int pmm_page_reporting_register(struct pmm *m, unsigned order,
					int (*report)(void *ctx, const struct pmm_reported_block *blocks,
						      unsigned n),
					void *ctx);

/**
 * pmm_page_reporting_unregister() - stop reporting (page_reporting_unregister());
 * nothing happens when no reporter is registered.  Once it returns, no thread
 * is inside the reporter's callback or will call it again, and @ctx of the
 * registration may be freed.
 * Context: may sleep: waits for an RCU grace period (threads about to start
 * a pass) and for a pass in progress.  Must not be called from
 * the @report callback.  Any thread may call it, also while others free.
 */
PMM_API void pmm_page_reporting_unregister(struct pmm *m);

/**
 * pmm_page_reporting_run() - run a reporting pass now.  Passes otherwise run
 * from a free (pmm_free_pages() and the bulk free) two seconds or more
 * after a free asked for one: any free that goes past this CPU's per-CPU
 * list, as a drain past its high mark does.  A program whose frees all
 * stay on the per-CPU lists runs no pass; it may call this from a timer.
 * A pass works as Linux 6.1's: blocks of the reported orders not yet
 * reported, in batches of 32, while the zone stays above its low mark by
 * a batch; at most DIV_ROUND_UP(nr_free of the order, 512) + 1 batches per
 * free list, after which another pass is asked for (a large idle machine
 * is reported over several passes, two seconds apart).
 * Return: pages reported in this pass; 0 when no reporter is registered.
 * Context: may sleep: waits for a pass another thread is running, and the
 * reporter's callback runs in the calling thread.  Takes each zone lock
 * briefly.  Must not be called from the @report callback.
 */
PMM_API unsigned long pmm_page_reporting_run(struct pmm *m);

/**
 * pmm_page_reporting_reported() - pages reported since the current
 * reporter registered.
 * Return: that count; 0 when no reporter is registered.
 * Context: any thread; lock-free; does not sleep.
 */
PMM_API unsigned long pmm_page_reporting_reported(const struct pmm *m);

PMM_END_DECLS

PMM_BEGIN_DECLS

/* ------------------------------------------------------------------ more allocation */

/**
 * pmm_split_page() - turn an allocated non-compound block of @order into
 * 2^@order independent order-0 pages, each with refcount 1 (split_page()).
 * Return: 0, or -PMM_EINVAL for a compound, free, reserved (never handed
 * out, as pmm_free_pages() would report it) or foreign page, or an order
 * that is not the block's; nothing is changed then.
 * Context: the caller owns the block.
 */
PMM_API int pmm_split_page(struct pmm *m, struct pmm_page *page, unsigned order);

/**
 * pmm_alloc_pages_exact() - allocate @size bytes of contiguous frames, the
 * unused tail of the power-of-two block returned at once (alloc_pages_exact()).
 * Return: the address or NULL.  __GFP_COMP is ignored.
 * Context: as pmm_alloc_pages().
 */
PMM_API void *pmm_alloc_pages_exact(struct pmm *m, size_t size, pmm_gfp_t gfp);

/**
 * pmm_free_pages_exact() - free what pmm_alloc_pages_exact() returned:
 * each frame of [@addr, @addr + @size rounded up to a frame) as
 * pmm_free_pages_addr() frees it.  NULL is ignored; a range not inside @m
 * (or one that wraps) is reported once and nothing is freed.
 * Context: as pmm_free_pages().
 */
PMM_API void pmm_free_pages_exact(struct pmm *m, void *addr, size_t size);

/**
 * pmm_alloc_pages_bulk() - fill the NULL slots of @array[0..@nr) with
 * order-0 pages (alloc_pages_bulk_array(), Linux 6.1): from this CPU's
 * per-CPU list of the first zone whose low watermark stays met after @nr
 * more pages, under one lock, refilled from the buddy lists a batch at a
 * time.  As in the kernel, only one page comes back, from the ordinary
 * allocator, when one slot is empty, when page_owner is on, when the list
 * is busy (another thread is draining it), when no zone of the local node
 * qualifies, or when the batch gives nothing; an injected failure
 * (pmm_fail_nth(), fault injection) fills nothing.  The pages of a batch
 * produce no mm_page_alloc tracepoint (the kernel's bulk path has none);
 * their refills produce mm_page_alloc_zone_locked.
 * Return: how many slots of @array are now non-NULL (those filled before
 * included).  Fewer than @nr means memory ran short or the allocator gave
 * one page: call again for the rest.  An invalid @gfp, or a NULL @array,
 * fills nothing.
 * Context: any thread; does not sleep; never waits for another thread.
 */
PMM_API unsigned long pmm_alloc_pages_bulk(struct pmm *m, pmm_gfp_t gfp, unsigned long nr,
					   struct pmm_page **array);

/**
 * pmm_free_pages_bulk() - free the non-NULL entries of @pages[0..@nr) as
 * order-0 pages in one call (release_pages() handing its pages to
 * free_unref_page_list(), Linux 6.1); a NULL @pages frees nothing.  Each entry is freed as
 * pmm_free_pages(m, page, 0) would free it: a reference is dropped and a
 * page whose last reference that was goes back.  First every page is
 * checked and prepared (mm_page_free), then those bound for a per-CPU list
 * are put on this CPU's list (mm_page_free_batched), which is locked once
 * for up to 32 pages (SWAP_CLUSTER_MAX) and again when the zone changes;
 * a busy list (another thread draining it) sends a page to the buddy lists
 * instead, as a single free does.  NULL entries are skipped, so an array
 * from pmm_alloc_pages_bulk() can be freed whole.  Misuse of an entry (a
 * double free, also of a page listed twice; a pointer that is not a page
 * of @m; a tail page or a block of a higher order) is reported in the
 * kernel's bad_page style and that entry left as it was; the others are
 * freed.  @pages itself is not written.
 * Context: any thread; does not sleep; never waits for another thread.
 */
PMM_API void pmm_free_pages_bulk(struct pmm *m, unsigned long nr, struct pmm_page *const *pages);

/**
 * pmm_alloc_contig_range() - allocate exactly the frames [@start, @end)
 * (alloc_contig_range()), all in one zone.  Allocated blocks in the range
 * are moved by the migrate callback of pmm_set_mm_ops(), 2 MiB huge pages
 * handed out too; a 2 MiB huge page in its pool is swapped for a fresh one
 * outside the range (<pmm/hugetlb.h>).
 * The pageblocks the range touches are isolated for the time of the call,
 * and each is checked whole for pages that cannot move, frames beside the
 * range included, as Linux 6.1 does; afterwards they are MIGRATE_MOVABLE.
 * A compound block larger than a pageblock that crosses the edge of those
 * pageblocks is moved whole by the migrate callback (asked about its head,
 * which may lie outside the range), as isolate_single_pageblock() does.
 * Requests for other pageblocks are not affected.
 * Return: 0, each frame then order 0 with refcount 1; -PMM_EBUSY when a
 * frame cannot be freed (no migrate callback or its refusal, reserved or
 * unmovable pages in a pageblock the range touches, a 1 GiB huge page, no
 * memory for a huge page's replacement, a pageblock is being isolated
 * by someone else, or the range went offline and online into another zone
 * while it was being isolated); -PMM_EINVAL for an
 * invalid range (empty, or not all online frames inside one zone's span;
 * the frames of the last section past the end of memory are not) or an
 * invalid @gfp (warned about, as pmm_alloc_pages() does, unless
 * __GFP_NOWARN).  On error the frames are left as they were (pool pages
 * already swapped stay where they went).
 * Context: process context; drains every CPU's lists.
 */
PMM_API int pmm_alloc_contig_range(struct pmm *m, unsigned long start, unsigned long end,
				   pmm_gfp_t gfp);

/**
 * pmm_alloc_contig_pages() - find and allocate @nr contiguous frames aligned
 * to the next power of two of @nr, in the zones up to @gfp's zone of @nid
 * (PMM_NUMA_NO_NODE: the local node) and of its fallback nodes, in
 * zonelist order; with __GFP_THISNODE in @gfp, of @nid alone.
 * Return: the first page, or NULL.
 * Context: as pmm_alloc_contig_range().
 */
PMM_API struct pmm_page *pmm_alloc_contig_pages(struct pmm *m, unsigned long nr, pmm_gfp_t gfp,
						int nid);

/**
 * pmm_free_contig_range() - free @nr order-0 frames from @pfn (free_contig_range()).
 * Frames up to the end of memory (pmm_max_pfn()) are freed, or their misuse
 * reported, frame by frame; the part of the range past it, where no frame
 * is, gets one report ("freeing frames past the end of this machine's
 * memory") and the range never wraps around to frame 0.
 * Context: as pmm_free_pages(), frame by frame.
 */
PMM_API void pmm_free_contig_range(struct pmm *m, unsigned long pfn, unsigned long nr);

/**
 * pmm_sysctl_write() / pmm_sysctl_read() - the vm sysctls of this machine, by
 * their /proc/sys/vm names: min_free_kbytes, watermark_scale_factor,
 * watermark_boost_factor, lowmem_reserve_ratio, percpu_pagelist_high_fraction,
 * nr_hugepages, nr_hugepages_mempolicy and nr_overcommit_hugepages.
 * Values are written and read as /proc/sys/vm takes and prints them
 * (proc_dointvec()): decimal ints separated by blanks, tabs or newlines; a
 * vector (lowmem_reserve_ratio) may be given fewer values than zones, and
 * input after its last value is ignored.  Writes recompute watermarks,
 * reserves and per-CPU high/batch at once, as the kernel's handlers do; a
 * refused write changes nothing.  The two huge page sysctls take one
 * unsigned decimal (proc_doulongvec_minmax()) and act on the default huge
 * page size: nr_hugepages is pmm_hugetlb_resize() on all nodes and reads
 * back the persistent size reached; so is nr_hugepages_mempolicy, which
 * the kernel limits to the nodes of the writer's memory policy (pmm has
 * no tasks: the kernel's default policy, every node); nr_overcommit_hugepages is
 * pmm_hugetlb_set_overcommit() (refused for a 1 GiB default size).
 * Return: 0 (read: the length of the value's text, as snprintf(): @buf
 * gets at most @size - 1 characters and a NUL, so a result >= @size means
 * it was cut short; @buf may be NULL when @size is 0), -PMM_ENOENT for an
 * unknown name, -PMM_EINVAL for a value the kernel would refuse (pmm also
 * refuses min_free_kbytes above 2^30).
 * Context: any thread; serialised by the machine's sysctl lock (the huge
 * page sysctls by the pool's locks instead; a write of nr_hugepages
 * allocates and may sleep, see pmm_hugetlb_resize()).
 */
PMM_API int pmm_sysctl_write(struct pmm *m, const char *name, const char *value);
PMM_API int pmm_sysctl_read(struct pmm *m, const char *name, char *buf, size_t size);

PMM_END_DECLS

PMM_BEGIN_DECLS

/**
 * pmm_free_reserved_area() - give memblock-reserved frames [@start, @end)
 * to the allocator after boot (free_reserved_area(), as a kernel frees its
 * init sections and initrd).  Managed pages grow; watermarks and reserves
 * are not recomputed, exactly as in the kernel.  Frames that are not
 * reserved, frames that are not memory (holes of the layout, the rest of
 * the last section past the end of memory, offline blocks), and frames
 * holding a section's own memmap (memmap=altmap) are skipped.
 * Return: the number of frames freed.
 * Context: any thread; takes the machine's hotplug lock (a mutex: may
 * sleep while memory is being added or removed), so it must not be called
 * from a migrate callback or a bad-page handler.
 */
PMM_API unsigned long pmm_free_reserved_area(struct pmm *m, unsigned long start, unsigned long end);

PMM_END_DECLS

#endif
