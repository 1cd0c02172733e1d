/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the owner-sort option parser and runner: the 6.1 tool's
 * comma-list parsing (its explode() and parse_nums_list()).
 *
 * Pure functions: no state, no allocation, no locks.
 */
#ifndef PMM_REPORT_OWNER_SORT_OPTS_H
#define PMM_REPORT_OWNER_SORT_OPTS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * owner_num_list() - parse "N,N,..." as the tool does: each piece goes
 * through strtol(piece, &end, 10) and must be wholly consumed without
 * ERANGE; the long is kept in an int (low 32 bits).  An empty list or piece
 * is an error.
 * @s:   the list.
 * @out: receives the values, may be NULL to only count and validate.
 * Return: number of values, or -1 if the list is invalid.
 */
long owner_num_list(const char *s, int *out);

/* owner_list_count() - number of pieces of a comma list ("" is one piece). */
size_t owner_list_count(const char *s);

#endif /* PMM_REPORT_OWNER_SORT_OPTS_H */
