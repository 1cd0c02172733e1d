/* SPDX-License-Identifier: MIT */
/*
 * Allocation flags: the kernel's gfp bits with their Linux 6.1 values, so that
 * a mask read from a real trace or page_owner dump means the same here.
 *
 * __GFP_* bits are spelled PMM___GFP_* (the kernel's names behind a pmm
 * prefix); the composites GFP_* are PMM_GFP_*.  Bits 0x1000000 and above are
 * unused in 6.1 (KASAN_HW_TAGS and LOCKDEP off) and are refused.
 */
#ifndef PMM_GFP_H
#define PMM_GFP_H

#include <stddef.h>
#include <pmm/api.h>

PMM_BEGIN_DECLS

typedef unsigned int pmm_gfp_t;

#define PMM___GFP_DMA            0x01u
#define PMM___GFP_HIGHMEM        0x02u
#define PMM___GFP_DMA32          0x04u
#define PMM___GFP_MOVABLE        0x08u
#define PMM___GFP_RECLAIMABLE    0x10u
#define PMM___GFP_HIGH           0x20u
#define PMM___GFP_IO             0x40u
#define PMM___GFP_FS             0x80u
#define PMM___GFP_ZERO           0x100u
#define PMM___GFP_ATOMIC         0x200u
#define PMM___GFP_DIRECT_RECLAIM 0x400u
#define PMM___GFP_KSWAPD_RECLAIM 0x800u
#define PMM___GFP_WRITE          0x1000u
#define PMM___GFP_NOWARN         0x2000u
#define PMM___GFP_RETRY_MAYFAIL  0x4000u
#define PMM___GFP_NOFAIL         0x8000u
#define PMM___GFP_NORETRY        0x10000u
#define PMM___GFP_MEMALLOC       0x20000u
#define PMM___GFP_COMP           0x40000u
#define PMM___GFP_NOMEMALLOC     0x80000u
#define PMM___GFP_HARDWALL       0x100000u
#define PMM___GFP_THISNODE       0x200000u
#define PMM___GFP_ACCOUNT        0x400000u
#define PMM___GFP_ZEROTAGS       0x800000u
#define PMM___GFP_BITS_SHIFT     24
#define PMM___GFP_BITS_MASK      ((1u << PMM___GFP_BITS_SHIFT) - 1)

#define PMM___GFP_RECLAIM  (PMM___GFP_DIRECT_RECLAIM | PMM___GFP_KSWAPD_RECLAIM)
#define PMM_GFP_ZONEMASK   (PMM___GFP_DMA | PMM___GFP_HIGHMEM | PMM___GFP_DMA32 | PMM___GFP_MOVABLE)
#define PMM_GFP_MOVABLE_MASK (PMM___GFP_RECLAIMABLE | PMM___GFP_MOVABLE)

#define PMM_GFP_ATOMIC     (PMM___GFP_HIGH | PMM___GFP_ATOMIC | PMM___GFP_KSWAPD_RECLAIM)
#define PMM_GFP_KERNEL     (PMM___GFP_RECLAIM | PMM___GFP_IO | PMM___GFP_FS)
#define PMM_GFP_KERNEL_ACCOUNT (PMM_GFP_KERNEL | PMM___GFP_ACCOUNT)
#define PMM_GFP_NOWAIT     (PMM___GFP_KSWAPD_RECLAIM)
#define PMM_GFP_NOIO       (PMM___GFP_RECLAIM)
#define PMM_GFP_NOFS       (PMM___GFP_RECLAIM | PMM___GFP_IO)
#define PMM_GFP_USER       (PMM_GFP_KERNEL | PMM___GFP_HARDWALL)
#define PMM_GFP_DMA        (PMM___GFP_DMA)
#define PMM_GFP_DMA32      (PMM___GFP_DMA32)
#define PMM_GFP_HIGHUSER   (PMM_GFP_USER | PMM___GFP_HIGHMEM)
#define PMM_GFP_HIGHUSER_MOVABLE (PMM_GFP_HIGHUSER | PMM___GFP_MOVABLE)
#define PMM_GFP_TRANSHUGE_LIGHT \
	((PMM_GFP_HIGHUSER_MOVABLE | PMM___GFP_COMP | PMM___GFP_NOMEMALLOC | \
	  PMM___GFP_NOWARN) & ~PMM___GFP_RECLAIM)
#define PMM_GFP_TRANSHUGE  (PMM_GFP_TRANSHUGE_LIGHT | PMM___GFP_DIRECT_RECLAIM)

/* Which kernel's spelling of masks to print (the name table changed). */
enum pmm_kver {
	PMM_KVER_6_1 = 0,  /* 6.1: __GFP_ATOMIC exists, 6.1 table order */
	PMM_KVER_6_6 = 1,  /* 6.3..6.7: no __GFP_ATOMIC, GFP_ATOMIC = 0x820 */
	PMM_KVER_6_12 = 2, /* 6.8+ (as 6.12): single flags in bit order, GFP_NOWAIT has NOWARN */
};

/**
 * pmm_kver_from_release() - the name table of the kernel whose release
 * string is @release: "6.8", "6.1.192-pageowner" or "3.10.0-1160.el7.x86_64"
 * (uname -r), optionally after "Linux " or "v".  pmm knows the 6.1, 6.6 and
 * 6.12 kernels; a release takes the one whose names and page_owner format
 * it shares: __GFP_ATOMIC went in 6.3, and GFP_NOWAIT took __GFP_NOWARN in
 * 6.8 (posted November 2023), about when page_owner's dump and tool lost
 * free_ts (October 2023, after 6.6).  So releases before 6.3 map to
 * PMM_KVER_6_1 (older kernels' names are read with their 6.1 meaning), 6.3
 * to 6.7 to PMM_KVER_6_6, and 6.8 and later to PMM_KVER_6_12, whose flag
 * table order (single flags in bit order) may be newer than the kernel's.
 * @out: the table; unchanged on error.
 * Return: 0, or -PMM_EINVAL when @release does not start with
 * MAJOR.MINOR (decimal, each below 1000).
 * Context: any; does not sleep.
 */
PMM_API int pmm_kver_from_release(const char *release, enum pmm_kver *out);

/**
 * pmm_gfp_format() - print @gfp the way the kernel's %pGg does ("GFP_KERNEL|__GFP_ZERO").
 * @buf, @size: destination, always NUL-terminated when @size > 0.
 * @kver: which kernel's name table.
 *
 * Zero prints the empty string (page_owner shows "mask 0x0()"); use
 * pmm_gfp_format_trace() for the tracepoint spelling ("none").
 * Return: the length the full string needs (like snprintf).
 * Context: any; does not sleep.
 */
PMM_API size_t pmm_gfp_format(char *buf, size_t size, pmm_gfp_t gfp, enum pmm_kver kver);

/**
 * pmm_gfp_format_trace() - as pmm_gfp_format(), but 0 prints "none" (show_gfp_flags).
 * Return: the length the full string needs (like snprintf).
 * Context: any; does not sleep.
 */
PMM_API size_t pmm_gfp_format_trace(char *buf, size_t size, pmm_gfp_t gfp, enum pmm_kver kver);

/**
 * pmm_gfp_parse() - parse a mask: a number (hex with 0x, or decimal), "none",
 * or names joined by '|' as printed by the kernel (any of the composite
 * and __GFP_ names of 6.1 to 6.12, with or without the "pmm_" prefix;
 * a trailing 0x... remainder is accepted).  Names of bits pmm does not
 * have (KASAN's __GFP_SKIP_*, __GFP_NOLOCKDEP, __GFP_NO_OBJ_EXT) are
 * accepted and add nothing to the mask.  So are the names Linux 4.19 and
 * older printed, with their 6.1 meaning: GFP_TEMPORARY, GFP_IOFS,
 * __GFP_WAIT (direct reclaim), __GFP_REPEAT (__GFP_RETRY_MAYFAIL),
 * __GFP_KMEMCG (__GFP_ACCOUNT), __GFP_NO_KSWAPD (clears
 * __GFP_KSWAPD_RECLAIM), and, adding nothing, __GFP_COLD, __GFP_NOTRACK,
 * __GFP_OTHER_NODE and __GFP_NOACCOUNT; also the "GFP_" spelling of
 * single bits before 4.6 ("GFP_HIGH|GFP_WAIT").  A trailing number is
 * read with 6.1's bit values, which older kernels did not share.
 * @out: the mask.
 * Return: 0, or -PMM_EINVAL for an unknown name or malformed text.
 * Context: any; does not sleep.
 */
PMM_API int pmm_gfp_parse(const char *text, size_t len, pmm_gfp_t *out);

PMM_END_DECLS

#endif
