/* SPDX-License-Identifier: MIT */
/*
 * Internal side of gfp mask printing and parsing (gfp_format.c): the parts
 * that the trace parser and formatter need beyond <pmm/gfp.h>.
 */
#ifndef PMM_REPORT_GFP_FORMAT_H
#define PMM_REPORT_GFP_FORMAT_H

#include <stddef.h>
#include <pmm/gfp.h>

/*
 * gfp_parse_kver() - as pmm_gfp_parse(), but the composite names whose value
 * changed between kernels (GFP_ATOMIC in 6.3, GFP_NOWAIT in 6.12) take the
 * value they had in @kver.  Names of every version are accepted.
 */
int gfp_parse_kver(const char *text, size_t len, enum pmm_kver kver, pmm_gfp_t *out);

/*
 * gfp_format_append() - append the %pGg spelling of @gfp (nothing for 0) to
 * @buf at @pos, never writing past @size - 1 bytes.
 * Return: the new position as if nothing were truncated.
 */
size_t gfp_format_append(char *buf, size_t size, size_t pos, pmm_gfp_t gfp, enum pmm_kver kver);

#endif
