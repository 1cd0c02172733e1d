// SPDX-License-Identifier: MIT
/*
 * File-backed machine memory on POSIX (Linux): memfd_create() for the memfd
 * and hugetlbfs backends, open()+ftruncate() for a named file, an embedder's
 * descriptor as given.  Mappings are MAP_SHARED|MAP_FIXED over part of a
 * PROT_NONE reservation; discarding punches a hole (fallocate), which is how
 * shmem, hugetlbfs and regular files give pages back while the mapping
 * stays.  A file on a hugetlbfs mount is detected with fstatfs and gets the
 * mount's page size.
 *
 * Each open object is a small malloc'd record: the descriptor and whether
 * pmm opened it (and so closes it).  No state is shared between objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <pmm/errno.h>
#include <pmm/platform.h>

#include "platform/memfile.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26) /* log2(2 MiB) << MFD_HUGE_SHIFT */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#define SZ_2M (2ul << 20)

struct posix_memfile {
	int fd;
	bool own; /* pmm opened it: close on memfile_close */
};

static int errno_to_pmm(int e)
{
	switch (e) {
	case ENOENT: case ENOTDIR: return -PMM_ENOENT;
	case EACCES: case EPERM: case EROFS: return -PMM_EPERM;
	case ENOMEM: return -PMM_ENOMEM;
	case ENOSPC: case EFBIG: case EDQUOT: return -PMM_ENOSPC;
	case EINVAL: case EBADF: case EISDIR: return -PMM_EINVAL;
	case ENOSYS: case EOPNOTSUPP: return -PMM_EOPNOTSUPP;
	default: return -PMM_EIO;
	}
}

/* Host page size of the object behind @fd: 2 MiB (or the mount's) on hugetlbfs. */
static size_t fd_page_size(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type == HUGETLBFS_MAGIC && sfs.f_bsize > 0)
		return (size_t)sfs.f_bsize;
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Report "@what@name: strerror(@e)" in @buf, close what we opened, return @err. */
static int fail(int err, int fd, bool own, char *buf, size_t len, const char *what,
		const char *name, int e)
{
	if (buf && len)
		snprintf(buf, len, "%s%s: %s", what, name, strerror(e));
	if (own && fd >= 0)
		close(fd);
	return err;
}

int pmm_posix_memfile_open(void *ctx, const struct pmm_backend *b, uint64_t size,
			   struct pmm_memfile *mf, char *err, size_t errlen)
{
	struct posix_memfile *pf;
	struct stat st;
	int fd = -1;
	bool own = true;
	size_t page_size;

	(void)ctx;
	switch (b->kind) {
	case PMM_BACKEND_MEMFD:
		fd = memfd_create("pmm", MFD_CLOEXEC);
		if (fd < 0)
			return fail(errno == ENOSYS ? -PMM_EOPNOTSUPP : errno_to_pmm(errno), -1, false,
				    err, errlen, "memfd_create", "", errno);
		break;
	case PMM_BACKEND_HUGETLBFS:
		fd = memfd_create("pmm-hugetlb", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
		if (fd < 0)
			return fail(-PMM_EOPNOTSUPP, -1, false, err, errlen,
				    "memfd_create(MFD_HUGETLB): the host has no 2 MiB hugetlbfs", "",
				    errno);
		break;
	case PMM_BACKEND_FILE:
		if (!b->path[0] || !memchr(b->path, '\0', sizeof(b->path)))
			return fail(-PMM_EINVAL, -1, false, err, errlen, "file backend without a path",
				    "", EINVAL);
		fd = open(b->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return fail(errno_to_pmm(errno), -1, false, err, errlen, "cannot open ", b->path,
				    errno);
		break;
	case PMM_BACKEND_FD:
		fd = b->fd;
		own = false;
		break;
	default:
		return fail(-PMM_EINVAL, -1, false, err, errlen, "backend is not a file", "", EINVAL);
	}
	if (fstat(fd, &st))
		return fail(errno_to_pmm(errno), fd, own, err, errlen, "fstat", "", errno);
	if (S_ISDIR(st.st_mode))
		return fail(-PMM_EINVAL, fd, own, err, errlen,
			    b->kind == PMM_BACKEND_FILE ? b->path : "descriptor", "", EISDIR);
	page_size = fd_page_size(fd);
	size = (size + page_size - 1) & ~(uint64_t)(page_size - 1);
	/* A regular (or shmem/hugetlbfs) file grows; a device is taken as large enough. */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < size) {
		if (!own) {
			if (err && errlen)
				snprintf(err, errlen,
					 "descriptor %d holds %lld bytes, the machine needs %llu", fd,
					 (long long)st.st_size, (unsigned long long)size);
			return -PMM_ENOSPC;
		}
		if (ftruncate(fd, (off_t)size))
			return fail(errno_to_pmm(errno), fd, own, err, errlen, "cannot grow ",
				    b->kind == PMM_BACKEND_FILE ? b->path : "the memory file", errno);
	}
	pf = malloc(sizeof(*pf));
	if (!pf)
		return fail(-PMM_ENOMEM, fd, own, err, errlen, "malloc", "", ENOMEM);
	pf->fd = fd;
	pf->own = own;
	mf->handle = pf;
	mf->page_size = page_size;
	return 0;
}

int pmm_posix_memfile_map(void *ctx, const struct pmm_memfile *mf, void *addr, uint64_t offset,
			  size_t size, unsigned flags)
{
	const struct posix_memfile *pf = mf->handle;
	void *p;

	(void)ctx;
	p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, pf->fd, (off_t)offset);
	if (p == MAP_FAILED)
		return errno == ENOMEM ? -PMM_ENOMEM : errno_to_pmm(errno);
	/* Advice: shmem honours it only with shmem_enabled=advise. */
	if (flags & PMM_COMMIT_HUGE)
		madvise(addr, size, MADV_HUGEPAGE);
	/*
	 * One call instead of a fault per 4 KiB page: a memfd memmap's boot
	 * costs a third of the CPU time.  Linux 5.14+; older kernels say
	 * EINVAL and the pages fault in as they are written.
	 */
	if (flags & PMM_COMMIT_POPULATE)
		madvise(addr, size, MADV_POPULATE_WRITE);
	return 0;
}

int pmm_posix_memfile_discard(void *ctx, const struct pmm_memfile *mf, uint64_t offset, size_t size)
{
	const struct posix_memfile *pf = mf->handle;

	(void)ctx;
	if (fallocate(pf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)size))
		return errno_to_pmm(errno);
	return 0;
}

void pmm_posix_memfile_close(void *ctx, struct pmm_memfile *mf)
{
	struct posix_memfile *pf = mf->handle;

	(void)ctx;
	if (!pf)
		return;
	if (pf->own)
		close(pf->fd);
	free(pf);
	mf->handle = NULL;
}
