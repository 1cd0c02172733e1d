/* SPDX-License-Identifier: MIT */
/*
 * The platform seam: the operating-system services a pmm machine uses.
 *
 * A machine calls only these; the library never calls the OS elsewhere.
 * pmm_platform_posix() is the default.  A unikernel or hobby kernel supplies
 * its own table (reserve/commit may simply hand out ranges of physical RAM it
 * owns).  pmm_platform_faulty() wraps another table and fails chosen calls,
 * for tests of every error path.
 *
 * All callbacks may be called from any thread, never while a zone, per-CPU
 * or sysctl lock is held (pmm performs no system call under those), and must
 * not call back into pmm.  Memory hotplug (<pmm/hotplug.h>) calls them with
 * the machine's hotplug lock held, a sleeping lock like the kernel's
 * mem_hotplug_lock, so they may block there.
 */
#ifndef PMM_PUBLIC_PLATFORM_H
#define PMM_PUBLIC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <pmm/api.h>

PMM_BEGIN_DECLS

/* Flags for commit() and memfile_map(); advice only. */
#define PMM_COMMIT_HUGE 0x1     /* ask the host for 2 MiB pages */
#define PMM_COMMIT_POPULATE 0x2 /* the range is about to be written in full:
				   fault it in now, in one go */

/*
 * Where a machine's "physical" memory comes from (struct pmm_config.backend).
 * Physical address P of the machine is host memory at mem + P, whatever the
 * backend.  The file-backed kinds (MEMFD, HUGETLBFS, FILE, FD) map the same
 * object at offset P, which is what lets memmap=altmap place a section's
 * struct pages in that section's own frames.
 */
enum pmm_backend_kind {
	PMM_BACKEND_ANON = 0,  /* reserve() + commit() per memory range (default) */
	PMM_BACKEND_MEMFD,     /* an anonymous shared-memory file, 4 KiB host pages */
	PMM_BACKEND_HUGETLBFS, /* an anonymous hugetlbfs file, 2 MiB host pages: needs
				  free huge pages (HugePages_Free) for all of memory */
	PMM_BACKEND_FILE,      /* a regular or DAX file (or one on a hugetlbfs mount) */
	PMM_BACKEND_FD,        /* a file descriptor the embedder opened */
	PMM_BACKEND_MEMORY,    /* memory the embedder mapped already, like a direct map */
};

#define PMM_BACKEND_PATH_MAX 256

struct pmm_backend {
	enum pmm_backend_kind kind;
	/* FILE: created if missing (mode 0600), grown to the machine's size,
	 * never shrunk or removed; discarded frames become holes in it. */
	char path[PMM_BACKEND_PATH_MAX];
	/* FD: open read-write; pmm neither closes nor resizes it, so it must
	 * already hold the machine's size (a device such as /dev/dax is taken
	 * as large enough). */
	int fd;
	/* MEMORY: host address of physical address 0 (page-aligned) and the
	 * bytes usable from there: at least the highest memory address.  pmm
	 * only touches the frames of memory ranges and never unmaps it. */
	void *base;
	uint64_t size;
};

/* A file-backed memory object, as memfile_open() opened it. */
struct pmm_memfile {
	void *handle;     /* the platform's */
	size_t page_size; /* host page size of the object (4 KiB, 2 MiB for
			     hugetlbfs): maps and discards are multiples of it,
			     at offsets aligned to it */
};

/* Log levels, as printk's. */
enum pmm_log_level {
	PMM_LOG_EMERG, PMM_LOG_ALERT, PMM_LOG_CRIT, PMM_LOG_ERR,
	PMM_LOG_WARNING, PMM_LOG_NOTICE, PMM_LOG_INFO, PMM_LOG_DEBUG,
};

struct pmm_platform {
	const char *name;
	void *ctx; /* passed back to every callback */

	/*
	 * reserve() - reserve @size bytes of address space, aligned to @align
	 * (a power of two, at least the host page size), inaccessible until
	 * committed.  Returns the address or NULL.
	 */
	void *(*reserve)(void *ctx, size_t size, size_t align);
	/* release() - give back a whole reservation made by reserve(). */
	void (*release)(void *ctx, void *addr, size_t size);
	/*
	 * commit() - make [addr, addr+size) of a reservation readable and
	 * writable and zero-filled on first touch.  Page-aligned.  0 or
	 * -PMM_ENOMEM.
	 */
	int (*commit)(void *ctx, void *addr, size_t size, unsigned flags);
	/* decommit() - make a committed range inaccessible and return its memory. */
	int (*decommit)(void *ctx, void *addr, size_t size);
	/*
	 * discard() - keep a committed range accessible but let the host take its
	 * memory back (contents become zero or undefined): free page reporting.
	 */
	int (*discard)(void *ctx, void *addr, size_t size);
	/* protect() - make a committed range inaccessible (0) or accessible (1) again. */
	int (*protect)(void *ctx, void *addr, size_t size, int access);

	/*
	 * alloc()/free() for pmm's own bookkeeping: zeroed memory aligned to
	 * 64 bytes (a cache line); NULL on failure.  free() gets the size asked for.
	 */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *ptr, size_t size);

	/* Clock: monotonic nanoseconds. */
	uint64_t (*clock_ns)(void *ctx);
	/* The CPU this thread runs on now, in [0, nr_cpus()). */
	unsigned (*current_cpu)(void *ctx);
	unsigned (*nr_cpus)(void *ctx);
	/* Identity of the calling thread for page_owner: pid, tgid, comm[16]. */
	void (*task)(void *ctx, int *pid, int *tgid, char comm[16]);
	/*
	 * stack() - capture up to @max return addresses of the caller, skipping
	 * @skip innermost frames.  Returns the number stored (0 if unsupported).
	 */
	unsigned (*stack)(void *ctx, uintptr_t *entries, unsigned max, unsigned skip);
	/* log() - one message (ends with '\n'); the default writes to stderr. */
	void (*log)(void *ctx, int level, const char *msg);
	/* Host page size in bytes. */
	size_t page_size;

	/*
	 * File-backed memory.  Optional: NULL on a platform without it, and then
	 * only PMM_BACKEND_ANON and PMM_BACKEND_MEMORY machines boot.
	 *
	 * memfile_open() - create or open the object @b describes (MEMFD,
	 * HUGETLBFS, FILE or FD) with at least @size bytes and fill @mf.
	 * Return: 0; -PMM_ENOENT or -PMM_EPERM (the path); -PMM_ENOMEM;
	 * -PMM_ENOSPC (an FD object smaller than @size); -PMM_EOPNOTSUPP (the
	 * host lacks that kind); -PMM_EINVAL (a kind that is not a file).  On
	 * error nothing is held and @err receives a one-line reason without
	 * a trailing newline.
	 */
	int (*memfile_open)(void *ctx, const struct pmm_backend *b, uint64_t size,
			    struct pmm_memfile *mf, char *err, size_t errlen);
	/*
	 * memfile_map() - map [@offset, @offset + @size) of @mf shared and
	 * read-write at @addr, a range inside a reservation from reserve(),
	 * replacing what was mapped there; all three are multiples of
	 * mf->page_size.  @flags: PMM_COMMIT_* advice.  decommit() and
	 * release() undo it.  0, -PMM_ENOMEM (no memory, or not enough huge
	 * pages), -PMM_EINVAL.
	 */
	int (*memfile_map)(void *ctx, const struct pmm_memfile *mf, void *addr, uint64_t offset,
			   size_t size, unsigned flags);
	/*
	 * memfile_discard() - give the object's memory in [@offset, @offset +
	 * @size) back to the host; it reads as zeros afterwards and mappings
	 * stay valid (free page reporting).  0 or a negative PMM_E* code.
	 */
	int (*memfile_discard)(void *ctx, const struct pmm_memfile *mf, uint64_t offset,
			       size_t size);
	/* memfile_close() - close @mf; its mappings stay until released. */
	void (*memfile_close)(void *ctx, struct pmm_memfile *mf);

	/*
	 * Host NUMA placement (config host_node=).  Optional: NULL on a
	 * platform without NUMA (the POSIX one built without libnuma), and
	 * then a machine with host_node= does not boot (-PMM_EOPNOTSUPP).
	 *
	 * numa_node_valid() - 0 if host node @node exists, -PMM_ENOENT if
	 * not, -PMM_EOPNOTSUPP when the host has no NUMA support at all.
	 */
	int (*numa_node_valid)(void *ctx, int node);
	/*
	 * numa_place() - allocate the pages of [@addr, @addr + @size) (a
	 * committed, page-aligned range) on host node @node from now on, and
	 * move those already allocated there: a preferred policy, so the host
	 * may fall back to another node when @node is full.  For a shared
	 * file mapping the policy belongs to the file's range.  0 or a
	 * negative PMM_E* code.
	 */
	int (*numa_place)(void *ctx, void *addr, size_t size, int node);
	/*
	 * numa_where() - where each of the @n pages at @addrs lives now:
	 * @nodes[i] is its host node, or -PMM_ENOENT when the host has not
	 * allocated it (never touched).  Return: 0 or a negative PMM_E* code
	 * (then @nodes is undefined).  A test seam: a fake answer proves the
	 * off-node warnings of vmemmap_verify.
	 */
	int (*numa_where)(void *ctx, void *const *addrs, unsigned n, int *nodes);
};

/**
 * pmm_platform_posix() - the default platform: mmap/mprotect/madvise, rseq or
 * sched_getcpu, clock_gettime, stderr; file-backed memory from memfd_create
 * (hugetlbfs with MFD_HUGETLB), open/ftruncate, MAP_SHARED|MAP_FIXED and
 * fallocate(PUNCH_HOLE); NUMA placement from libnuma (mbind with
 * MPOL_PREFERRED and MPOL_MF_MOVE, move_pages to ask where pages live) when
 * the library was built with it, else the numa_* operations are NULL.
 * Return: a static table.  Context: any.
 * Not in libpmm_freestanding (docs/freestanding.md), where the embedder's
 * table is the only platform.
 */
PMM_API const struct pmm_platform *pmm_platform_posix(void);

/*
 * Which operations the faulty platform may fail.  memfile_open counts as a
 * reservation, memfile_map as a commit.
 */
enum pmm_fault_op {
	PMM_FAULT_RESERVE = 1 << 0,
	PMM_FAULT_COMMIT = 1 << 1,
	PMM_FAULT_ALLOC = 1 << 2,
};

struct pmm_platform_faulty {
	struct pmm_platform ops;        /* give &ops to the machine config */
	const struct pmm_platform *base; /* the platform it forwards to */
	unsigned mask;                  /* enum pmm_fault_op bits that count */
	unsigned long fail_nth;         /* fail the N-th counted call (1-based); 0 never */
	unsigned long calls;            /* counted calls so far */
	unsigned long failures;         /* failures injected */
	long outstanding;               /* reserve+alloc+memfile_open minus their undo: 0 = no leak */
	size_t outstanding_bytes;       /* bytes still reserved+allocated */
};

/**
 * pmm_platform_faulty_init() - wrap @base so the @fail_nth-th call of the
 * operations in @mask fails (returns NULL or -PMM_ENOMEM).
 * The struct counts calls and outstanding resources so a test can assert
 * that nothing leaked after a failed or completed run.
 * Context: the counters are not atomic; use from one thread.
 */
PMM_API void pmm_platform_faulty_init(struct pmm_platform_faulty *f,
				      const struct pmm_platform *base,
				      unsigned mask, unsigned long fail_nth);

PMM_END_DECLS

#endif
