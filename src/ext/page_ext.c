// SPDX-License-Identifier: MIT
/*
 * page_ext storage and lookup.  Storage comes from the platform (reserved
 * and committed per section), never from the machine's allocator, so a
 * client such as page_owner never recurses into what it tracks.
 *
 * Locking: storage changes only at boot, teardown, or under the hotplug
 * lock; lookups run under the RCU read lock.
 */
#include <string.h>

#include "ext/page_ext.h"

void page_ext_register(struct pmm *m, struct page_ext_operations *ops)
{
	struct page_ext_state *pe = m->page_ext;

	if (pe->nr_clients < PAGE_EXT_MAX_CLIENTS)
		pe->clients[pe->nr_clients++] = ops;
}

static size_t page_ext_layout(struct pmm *m)
{
	struct page_ext_state *pe = m->page_ext;
	size_t size = 0;
	bool shared = false;

	for (unsigned i = 0; i < pe->nr_clients; i++)
		if (pe->clients[i]->need && pe->clients[i]->need(m) && pe->clients[i]->need_shared_flags)
			shared = true;
	if (shared)
		size = sizeof(struct page_ext);
	for (unsigned i = 0; i < pe->nr_clients; i++) {
		struct page_ext_operations *ops = pe->clients[i];

		if (!ops->need || !ops->need(m))
			continue;
		ops->offset = size;
		size += ops->size;
	}
	return size;
}

int page_ext_online_section(struct pmm *m, unsigned long nr)
{
	struct page_ext_state *pe = m->page_ext;
	struct mem_section *ms = nr_to_section(m, nr);
	char *base;

	if (!pe->entry_size || !ms || ms->page_ext)
		return 0;
	base = m->plat->reserve(m->plat->ctx, pe->section_bytes, m->plat->page_size);
	if (!base)
		goto fail;
	if (m->plat->commit(m->plat->ctx, base, pe->section_bytes, 0)) {
		m->plat->release(m->plat->ctx, base, pe->section_bytes);
		goto fail;
	}
	pe->total_bytes += pe->section_bytes;
	__atomic_store_n(&ms->page_ext,
			 (struct page_ext *)(base - pe->entry_size * section_nr_to_pfn(nr)),
			 __ATOMIC_RELEASE);
	return 0;
fail:
	pr_err(m, "page ext allocation failure\n");
	return -PMM_ENOMEM;
}

static char *section_storage(const struct pmm *m, const struct mem_section *ms, unsigned long nr)
{
	uintptr_t v = (uintptr_t)ms->page_ext & ~PAGE_EXT_INVALID;

	return (char *)(v + m->page_ext->entry_size * section_nr_to_pfn(nr));
}

void page_ext_offline_section(struct pmm *m, unsigned long nr)
{
	struct page_ext_state *pe = m->page_ext;
	struct mem_section *ms = nr_to_section(m, nr);
	char *base;

	if (!pe || !ms || !ms->page_ext)
		return;
	base = section_storage(m, ms, nr);
	/* Readers that already hold an entry finish before the memory goes. */
	__atomic_store_n(&ms->page_ext,
			 (struct page_ext *)((uintptr_t)ms->page_ext | PAGE_EXT_INVALID),
			 __ATOMIC_RELEASE);
	pmm_synchronize_rcu(&m->rcu);
	ms->page_ext = NULL;
	m->plat->release(m->plat->ctx, base, pe->section_bytes);
	pe->total_bytes -= pe->section_bytes;
}

int page_ext_init(struct pmm *m)
{
	struct page_ext_state *pe = m->page_ext;
	int err;

	pe->entry_size = page_ext_layout(m);
	if (!pe->entry_size)
		return 0;
	pe->section_bytes = ALIGN_UP(pe->entry_size * PAGES_PER_SECTION, m->plat->page_size);
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		if (!valid_section(nr_to_section(m, nr)))
			continue;
		if ((err = page_ext_online_section(m, nr)))
			return err;
	}
	pr_info(m, "allocated %zu bytes of page_ext\n", pe->total_bytes);
	for (unsigned i = 0; i < pe->nr_clients; i++)
		if (pe->clients[i]->need && pe->clients[i]->need(m) && pe->clients[i]->init)
			pe->clients[i]->init(m);
	return 0;
}

void page_ext_teardown(struct pmm *m)
{
	struct page_ext_state *pe = m->page_ext;

	if (!pe || !pe->entry_size || !m->mem_section)
		return;
	for (unsigned long nr = 0; nr < m->nr_mem_sections; nr++) {
		struct mem_section *ms = nr_to_section(m, nr);

		if (ms && ms->page_ext) {
			m->plat->release(m->plat->ctx, section_storage(m, ms, nr), pe->section_bytes);
			ms->page_ext = NULL;
		}
	}
	pe->total_bytes = 0;
}

struct page_ext *lookup_page_ext(const struct pmm *m, unsigned long pfn)
{
	struct mem_section *ms = pfn_to_section(m, pfn);
	uintptr_t v;

	if (!ms || !m->page_ext || !m->page_ext->entry_size)
		return NULL;
	v = (uintptr_t)__atomic_load_n(&ms->page_ext, __ATOMIC_ACQUIRE);
	if (!v || (v & PAGE_EXT_INVALID))
		return NULL;
	return (struct page_ext *)(v + m->page_ext->entry_size * pfn);
}

struct page_ext *page_ext_get(const struct pmm *m, const struct page *page)
{
	struct page_ext *ext;

	pmm_rcu_read_lock(&m->rcu);
	ext = lookup_page_ext(m, page_to_pfn(m, page));
	if (!ext) {
		pmm_rcu_read_unlock(&m->rcu);
		return NULL;
	}
	return ext;
}

void page_ext_put(const struct pmm *m, struct page_ext *ext)
{
	if (ext)
		pmm_rcu_read_unlock(&m->rcu);
}
