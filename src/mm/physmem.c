// SPDX-License-Identifier: MIT
/*
 * The machine's "physical" memory: where the bytes of its frames live.
 *
 * Physical address P is host memory at m->mem + P for every backend (the
 * user-space counterpart of the kernel's direct map, so page_address() is
 * arithmetic).  Backends (struct pmm_backend, <pmm/platform.h>):
 *
 *   anon       one MAP_NORESERVE reservation; each memblock memory range is
 *              committed, holes stay inaccessible.  An 8 GiB machine costs
 *              only what is touched.
 *   memfd, hugetlbfs, file, fd
 *              a memory object from the platform (memfile_open), mapped
 *              shared at offset P over a reservation, one mapping per memory
 *              range rounded out to the object's page size (2 MiB for
 *              hugetlbfs, so frames of a hole sharing a huge page with
 *              memory are mapped too).  The same object can be mapped a
 *              second time elsewhere: memmap=altmap maps a section's first
 *              frames at that section's part of the vmemmap.
 *   memory     the embedder's own mapping (base, size); nothing is reserved,
 *              mapped or released.
 *
 * Discarding (free page reporting) drops the pages of anonymous memory with
 * the platform's discard() and punches a hole in a memory object, so the
 * host's memory really goes back in both cases.
 *
 * The address span reserved is the machine's possible span (maxmem=, else
 * the end of boot memory); memory hotplug commits a range of it when it is
 * added (physmem_add_range()) and gives it back when it is removed.  With
 * host_node= each node's memory is placed on its host node as it is
 * committed, before anything touches it.
 *
 * Locking: physmem_init() and physmem_release() run at boot and teardown;
 * physmem_discard() may run from any thread (it only asks the platform).
 */
#include <stdio.h>
#include <string.h>

#include <pmm/errno.h>

#include "mm/internal.h"

#define MEM_ALIGN (2ul << 20)

static const char *const backend_names[] = {
	[PMM_BACKEND_ANON] = "anon",   [PMM_BACKEND_MEMFD] = "memfd",
	[PMM_BACKEND_HUGETLBFS] = "hugetlbfs", [PMM_BACKEND_FILE] = "file",
	[PMM_BACKEND_FD] = "fd",       [PMM_BACKEND_MEMORY] = "memory",
};

const char *physmem_backend_name(const struct pmm *m)
{
	unsigned k = (unsigned)m->cfg.backend.kind;

	return k < sizeof(backend_names) / sizeof(backend_names[0]) ? backend_names[k] : "?";
}

/* host_node=: place [base, base + size) of node @nid on its host node, unless memmap-only. */
static void physmem_place(struct pmm *m, uint64_t base, uint64_t size, int nid)
{
	int host = host_node_of(m, nid), err;

	if (host < 0 || m->cfg.host_bind_memmap_only)
		return;
	err = m->plat->numa_place(m->plat->ctx, m->mem + base, (size_t)size, host);
	if (err)
		pr_warn(m, "pmm: node %d: cannot place [mem %#018llx-%#018llx] on host node %d: %s\n",
			nid, (unsigned long long)base, (unsigned long long)(base + size - 1), host,
			pmm_strerror(err));
}

/* The config token naming the backend, for messages: "file:/path", "fd:3". */
static void backend_token(const struct pmm *m, char *buf, size_t len)
{
	const struct pmm_backend *b = &m->cfg.backend;

	if (b->kind == PMM_BACKEND_FILE)
		snprintf(buf, len, "backend=file:%.*s", (int)sizeof(b->path), b->path);
	else if (b->kind == PMM_BACKEND_FD)
		snprintf(buf, len, "backend=fd:%d", b->fd);
	else
		snprintf(buf, len, "backend=%s", physmem_backend_name(m));
}

static int init_anon(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;

	m->mem = m->plat->reserve(m->plat->ctx, m->mem_size, MEM_ALIGN);
	if (!m->mem) {
		pr_err(m, "pmm: cannot reserve %zu bytes of address space for memory\n", m->mem_size);
		return -PMM_ENOMEM;
	}
	for (unsigned long i = 0; i < mem->cnt; i++) {
		int err = m->plat->commit(m->plat->ctx, m->mem + mem->regions[i].base,
					  mem->regions[i].size, 0);
		if (err) {
			pr_err(m, "pmm: cannot commit memory range %lu\n", i);
			return err;
		}
	}
	return 0;
}

static int init_memory(struct pmm *m)
{
	const struct pmm_backend *b = &m->cfg.backend;
	uint64_t need = PFN_PHYS(m->max_possible_pfn);

	if (!b->base || (uintptr_t)b->base % PAGE_SIZE) {
		pr_err(m, "pmm: backend=memory: base %p is not a page-aligned address\n", b->base);
		return -PMM_EINVAL;
	}
	if (b->size < need) {
		pr_err(m, "pmm: backend=memory: %llu bytes given, memory ends at 0x%llx\n",
		       (unsigned long long)b->size, (unsigned long long)need);
		return -PMM_EINVAL;
	}
	m->mem = b->base;
	m->mem_size = (size_t)need;
	m->mem_borrowed = true;
	return 0;
}

static int init_memfile(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	const struct pmm_platform *p = m->plat;
	char tok[PMM_BACKEND_PATH_MAX + 32], why[PMM_BACKEND_PATH_MAX + 128] = "";
	uint64_t mapped_end = 0;
	size_t page;
	int err;

	backend_token(m, tok, sizeof(tok));
	if (!p->memfile_open || !p->memfile_map || !p->memfile_close) {
		pr_err(m, "pmm: %s: platform %s has no file-backed memory\n", tok, p->name);
		return -PMM_EOPNOTSUPP;
	}
	err = p->memfile_open(p->ctx, &m->cfg.backend, m->mem_size, &m->memfile, why, sizeof(why));
	if (err) {
		m->memfile.handle = NULL;
		pr_err(m, "pmm: %s: %s\n", tok, why[0] ? why : pmm_strerror(err));
		return err;
	}
	page = m->memfile.page_size;
	if (page < PAGE_SIZE || (page & (page - 1))) {
		pr_err(m, "pmm: %s: unusable host page size %zu\n", tok, page);
		return -PMM_EINVAL;
	}
	if (page > PAGE_SIZE && m->cfg.debug_pagealloc) {
		pr_err(m, "pmm: debug_pagealloc=on needs 4 KiB host pages; %s maps %zu KiB pages\n",
		       tok, page >> 10);
		return -PMM_EINVAL;
	}
	m->mem_size = ALIGN_UP(m->mem_size, page);
	m->mem = p->reserve(p->ctx, m->mem_size, MAX(MEM_ALIGN, page));
	if (!m->mem) {
		pr_err(m, "pmm: cannot reserve %zu bytes of address space for memory\n", m->mem_size);
		return -PMM_ENOMEM;
	}
	for (unsigned long i = 0; i < mem->cnt; i++) {
		uint64_t s = ALIGN_DOWN(mem->regions[i].base, (uint64_t)page);
		uint64_t e = ALIGN_UP(mem->regions[i].base + mem->regions[i].size, (uint64_t)page);

		/* Rounded out to huge pages, neighbours may share one. */
		s = MAX(s, mapped_end);
		if (s >= e)
			continue;
		err = p->memfile_map(p->ctx, &m->memfile, m->mem + s, s, (size_t)(e - s), 0);
		if (err) {
			pr_err(m, "pmm: %s: cannot map [mem 0x%016llx-0x%016llx]: %s%s\n", tok,
			       (unsigned long long)s, (unsigned long long)e - 1, pmm_strerror(err),
			       page > PAGE_SIZE && err == -PMM_ENOMEM ?
				       " (not enough free huge pages: see HugePages_Free)" : "");
			return err;
		}
		mapped_end = e;
	}
	return 0;
}

/*
 * physmem_init(): give the machine its memory, per its backend, once
 * memblock knows the layout.  Return: 0 or a negative PMM_E* code (logged);
 * whatever was acquired is released by physmem_release().
 */
int physmem_init(struct pmm *m)
{
	const struct memblock_type *mem = &m->memblock.memory;
	int err;

	m->max_pfn = memblock_end_pfn(m);
	if (m->cfg.maxmem && PFN_UP(m->cfg.maxmem) < m->max_pfn) {
		pr_err(m, "pmm: maxmem=%#llx is below the end of memory %#llx\n",
		       (unsigned long long)m->cfg.maxmem, (unsigned long long)PFN_PHYS(m->max_pfn));
		return -PMM_EINVAL;
	}
	/* Without maxmem= this is max_pfn: every user below needs only max_possible_pfn. */
	m->max_possible_pfn = MAX(m->max_pfn, ALIGN_UP(PFN_UP(m->cfg.maxmem), PAGES_PER_SECTION));
	m->mem_size = ALIGN_UP((size_t)PFN_PHYS(m->max_possible_pfn), MEM_ALIGN);
	switch (m->cfg.backend.kind) {
	case PMM_BACKEND_ANON:
		err = init_anon(m);
		break;
	case PMM_BACKEND_MEMORY:
		err = init_memory(m);
		break;
	case PMM_BACKEND_MEMFD:
	case PMM_BACKEND_HUGETLBFS:
	case PMM_BACKEND_FILE:
	case PMM_BACKEND_FD:
		err = init_memfile(m);
		break;
	default:
		pr_err(m, "pmm: unknown backend kind %d\n", (int)m->cfg.backend.kind);
		return -PMM_EINVAL;
	}
	/* Placed before the first touch: the memory is only mapped so far. */
	for (unsigned long i = 0; !err && i < mem->cnt; i++)
		physmem_place(m, mem->regions[i].base, mem->regions[i].size, mem->regions[i].nid);
	return err;
}

/* Undo physmem_init(), also a partial one. */
void physmem_release(struct pmm *m)
{
	if (m->mem && !m->mem_borrowed)
		m->plat->release(m->plat->ctx, m->mem, m->mem_size);
	m->mem = NULL;
	if (m->memfile.handle)
		m->plat->memfile_close(m->plat->ctx, &m->memfile);
	m->memfile.handle = NULL;
}

/*
 * physmem_add_range(): make the hot-added frames [pfn, pfn + nr) (whole
 * sections, inside mem_size: pmm_add_memory() checked that) accessible
 * memory of node @nid.  Return: 0 or -PMM_ENOMEM (nothing left committed).
 */
int physmem_add_range(struct pmm *m, unsigned long pfn, unsigned long nr, int nid)
{
	void *addr = m->mem + PFN_PHYS(pfn);
	size_t size = (size_t)nr << PAGE_SHIFT;
	int err;

	if (m->mem_borrowed)
		err = 0;
	else if (m->memfile.handle)
		err = m->plat->memfile_map(m->plat->ctx, &m->memfile, addr, PFN_PHYS(pfn), size, 0);
	else
		err = m->plat->commit(m->plat->ctx, addr, size, 0);
	if (err)
		return err;
	physmem_place(m, PFN_PHYS(pfn), size, nid);
	return 0;
}

/*
 * physmem_remove_range(): the frames of removed memory go back to the host
 * and become inaccessible (the hole in a memory file is punched, so a file
 * backend shrinks on disk too).  The embedder's own memory is left alone.
 */
void physmem_remove_range(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	size_t size = (size_t)nr << PAGE_SHIFT;

	if (m->mem_borrowed)
		return;
	m->plat->decommit(m->plat->ctx, m->mem + PFN_PHYS(pfn), size);
	if (m->memfile.handle && m->plat->memfile_discard)
		m->plat->memfile_discard(m->plat->ctx, &m->memfile, PFN_PHYS(pfn), size);
}

/* Give the memory of frames [pfn, pfn + nr) back to the host; they read as zero. */
int physmem_discard(struct pmm *m, unsigned long pfn, unsigned long nr)
{
	if (m->memfile.handle && m->plat->memfile_discard)
		return m->plat->memfile_discard(m->plat->ctx, &m->memfile, PFN_PHYS(pfn),
						(size_t)nr << PAGE_SHIFT);
	return m->plat->discard(m->plat->ctx, m->mem + PFN_PHYS(pfn), (size_t)nr << PAGE_SHIFT);
}
