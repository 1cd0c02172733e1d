/* SPDX-License-Identifier: MIT */
/*
 * page_ext: per-frame extension data (mm/page_ext.c).
 *
 * Clients (page_owner) register operations; at boot the core asks each
 * whether it is needed, lays the entry out (an 8-byte flags word when a
 * needing client wants shared flags, then each client's data at the offset
 * the core assigns), and allocates one array per present section.  Nothing
 * is allocated when no client is needed.
 *
 * A section's pointer is stored biased by its start pfn, as the kernel does:
 * entry(pfn) = section->page_ext + entry_size * pfn.  Readers use
 * page_ext_get()/page_ext_put() (an RCU read-side section, platform/rcu.h);
 * taking a section away marks it PAGE_EXT_INVALID, waits for readers, then
 * frees it.
 */
#ifndef PMM_EXT_PAGE_EXT_H
#define PMM_EXT_PAGE_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include "mm/internal.h"

struct page_ext {
	unsigned long flags;
};

#define PAGE_EXT_INVALID 0x1ul

enum page_ext_flags {
	PAGE_EXT_OWNER,
	PAGE_EXT_OWNER_ALLOCATED,
};

struct page_ext_operations {
	size_t offset;                      /* filled in by the core */
	size_t size;
	bool (*need)(struct pmm *m);
	void (*init)(struct pmm *m);
	bool need_shared_flags;
};

#define PAGE_EXT_MAX_CLIENTS 4

struct page_ext_state {
	size_t entry_size;                  /* bytes per frame, 0 = no page_ext */
	size_t section_bytes;               /* entry_size * PAGES_PER_SECTION, page-aligned */
	size_t total_bytes;                 /* allocated so far */
	unsigned nr_clients;
	struct page_ext_operations *clients[PAGE_EXT_MAX_CLIENTS];
};

/* Register a client before boot (from pmm_ext_register()). */
void page_ext_register(struct pmm *m, struct page_ext_operations *ops);
/* Size the entry and allocate storage for every present section; run init(). */
int page_ext_init(struct pmm *m);
/* Allocate / release one section's storage (hotplug). */
int page_ext_online_section(struct pmm *m, unsigned long section_nr);
void page_ext_offline_section(struct pmm *m, unsigned long section_nr);
void page_ext_teardown(struct pmm *m);

struct page_ext *page_ext_get(const struct pmm *m, const struct page *page);
void page_ext_put(const struct pmm *m, struct page_ext *ext);
/* Lookup without the RCU section: the caller keeps the section alive. */
struct page_ext *lookup_page_ext(const struct pmm *m, unsigned long pfn);

/*
 * page_ext_of_owned() - lookup_page_ext() inline, for the allocation and
 * free hooks: a section's page_ext goes away only when the section is taken
 * offline, which needs every one of its frames free, so the caller that owns
 * @page (allocating or freeing it) keeps the storage alive without RCU.
 * @entry_size: m->page_ext->entry_size, which the hot caller keeps at hand.
 * Return: NULL when the section has no page_ext (never had, or going away).
 */
static inline struct page_ext *page_ext_of_owned(const struct pmm *m, const struct page *page,
						 size_t entry_size)
{
	unsigned long pfn = page_to_pfn(m, page);
	struct mem_section *ms = nr_to_section(m, pfn_to_section_nr(pfn));
	uintptr_t v;

	if (unlikely(!ms))
		return NULL;
	v = (uintptr_t)__atomic_load_n(&ms->page_ext, __ATOMIC_ACQUIRE);
	if (unlikely(!v || (v & PAGE_EXT_INVALID)))
		return NULL;
	return (struct page_ext *)(v + entry_size * pfn);
}

static inline struct page_ext *page_ext_next(const struct pmm *m, struct page_ext *ext)
{
	return (struct page_ext *)((char *)ext + m->page_ext->entry_size);
}

static inline void *page_ext_data(struct page_ext *ext, const struct page_ext_operations *ops)
{
	return (char *)ext + ops->offset;
}

#endif
