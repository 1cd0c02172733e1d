/* SPDX-License-Identifier: MIT */
/*
 * page_owner: who allocated every frame, and who freed it last
 * (mm/page_owner.c).  Enable with `page_owner=on` in the machine config.
 * Each allocation records the order, gfp mask, the allocating stack (kept
 * deduplicated in the stack depot), pid, tgid, comm and a timestamp; each
 * free records the freeing stack and time, as Linux 6.1's record does.
 * Stacks are resolved to symbols only when printed.
 *
 * Output follows the kernel's text formats for a chosen kernel version
 * (6.1 by default: decimal PFN and free_ts; 6.6+: hex PFN; 6.12+: no free_ts).
 */
#ifndef PMM_PAGE_OWNER_H
#define PMM_PAGE_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <pmm/api.h>
#include <pmm/gfp.h>

PMM_BEGIN_DECLS

struct pmm;
struct pmm_page;

/**
 * pmm_page_owner_enabled() - true when the machine tracks page owners.
 * Return: true when the machine was booted with page_owner=on.
 * Context: any thread; does not sleep.
 */
PMM_API bool pmm_page_owner_enabled(const struct pmm *m);

/**
 * pmm_page_owner_read() - one record of the debugfs page_owner file.
 * @pos: in: the pfn to start at (the file offset); out: the pfn after the
 * record printed, for the next call.
 * @buf, @size: the record is written whole or not at all.
 * Return: bytes written; 0 at the end; -PMM_ENOMEM if @size is too small for
 * the record (as the kernel's read returns -ENOMEM; *@pos is left as it
 * was); -PMM_EINVAL when page_owner is off or @m or @pos is NULL, or @buf
 * is NULL with @size not 0 (nothing is read and *@pos is left as it was).
 * Context: any thread; takes the machine's hotplug lock (a mutex: may
 * sleep while memory is being added or removed) and the RCU read lock; may
 * read debug info to resolve symbols on first use.
 */
PMM_API long pmm_page_owner_read(struct pmm *m, char *buf, size_t size, unsigned long *pos,
				 enum pmm_kver kver);

/**
 * pmm_page_owner_dump() - the whole page_owner file from @start_pfn to @out.
 * Return: 0, -PMM_EINVAL when page_owner is off or @m or @out is NULL,
 * -PMM_ENOMEM if no buffer could be allocated, -PMM_EIO on a write error.
 * Context: as pmm_page_owner_read(), record by record; writes to @out.
 * Not in libpmm_freestanding (docs/freestanding.md): use pmm_page_owner_read().
 */
PMM_API int pmm_page_owner_dump(struct pmm *m, FILE *out, unsigned long start_pfn,
				enum pmm_kver kver);

/**
 * pmm_page_owner_show_stacks() - page_owner_stacks/show_stacks: every
 * allocation stack holding at least @threshold (and at least 1) base pages,
 * newest first, each followed by "nr_base_pages: N".
 * Return: 0, -PMM_EINVAL when page_owner is off or @m or @out is NULL,
 * -PMM_EIO on a write error.
 * Context: any thread; takes page_owner's stack list lock briefly for each
 * stack; writes to @out.
 * Not in libpmm_freestanding (docs/freestanding.md): use
 * pmm_page_owner_stacks_read().
 */
PMM_API int pmm_page_owner_show_stacks(struct pmm *m, FILE *out, unsigned long threshold);

/**
 * pmm_page_owner_stacks_read() - one stack of show_stacks (as
 * pmm_page_owner_show_stacks() prints them) into @buf.
 * @pos: 0 to start with the newest stack; then what the previous call left
 * there.  Stacks saved after the first call are not visited, as the
 * kernel's file walks the list from where it was when opened.
 * @buf, @size: the stack and its "nr_base_pages: N" line, whole or not at all.
 * Return: bytes written; 0 at the end; -PMM_ENOMEM if @size is too small for
 * the next stack (*@pos is left as it was); -PMM_EINVAL when page_owner is
 * off or an argument is NULL (@buf may be NULL only with @size 0).
 * Context: any thread; takes page_owner's stack list lock briefly.
 */
PMM_API long pmm_page_owner_stacks_read(struct pmm *m, char *buf, size_t size, unsigned long *pos,
					unsigned long threshold);

/**
 * pmm_page_ext_bytes() - bytes of page_ext storage (0 when no client needs it).
 * Return: that size; it changes when memory is added or removed.
 * Context: any thread; lock-free.
 */
PMM_API size_t pmm_page_ext_bytes(const struct pmm *m);

/* The kernel's migrate reasons, for pmm_page_owner_set_migrate_reason(). */
enum pmm_migrate_reason {
	PMM_MR_COMPACTION, PMM_MR_MEMORY_FAILURE, PMM_MR_MEMORY_HOTPLUG, PMM_MR_SYSCALL,
	PMM_MR_MEMPOLICY_MBIND, PMM_MR_NUMA_MISPLACED, PMM_MR_CONTIG_RANGE,
	PMM_MR_LONGTERM_PIN, PMM_MR_DEMOTION, PMM_MR_TYPES
};

/**
 * pmm_page_owner_migrate() - record that the data of @old moved to @newpage
 * (folio_copy_owner() + set_page_owner_migrate_reason()): @newpage inherits
 * @old's owner, with the migrate reason set.  As in Linux 6.1, only the
 * record of @newpage's first frame changes (not its free stack); the other
 * frames keep their own allocation's records, which a later split of the
 * block shows.  Used by embedders that migrate pages (compaction,
 * contiguous allocation).  @old and @newpage are the first pages of
 * allocated blocks of one order, as the kernel copies between folios of
 * one size; otherwise (a free, reserved or tail page, another order, a page
 * not of @m, page_owner off) nothing is recorded.  A @reason outside enum
 * pmm_migrate_reason moves the record with the reason @old had.
 * Context: any thread; the caller owns both blocks.
 */
PMM_API void pmm_page_owner_migrate(struct pmm *m, struct pmm_page *old, struct pmm_page *newpage,
				    enum pmm_migrate_reason reason);

PMM_END_DECLS

#endif
