// SPDX-License-Identifier: MIT
/*
 * The list of extensions built into this library.  page_ext clients
 * (page_owner, page_idle) attach their boot and teardown hooks here; with
 * none built, a machine boots without page_ext and pays nothing for it.
 */
#include "mm/internal.h"

void pmm_ext_register(struct pmm *m)
{
	m->setup_ext = NULL;
	m->teardown_ext = NULL;
}
