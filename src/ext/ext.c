// SPDX-License-Identifier: MIT
/*
 * The extensions built into this library: page_ext and its clients
 * (page_owner).  With no client needed, a machine boots without page_ext
 * and pays nothing for it.
 */
#include "ext/page_ext.h"
#include "ext/page_owner.h"

int pmm_ext_register(struct pmm *m)
{
	m->page_ext = pmm_zalloc(m, sizeof(*m->page_ext));
	if (!m->page_ext)
		return -PMM_ENOMEM;
	page_owner_register(m);
	return 0;
}

void pmm_ext_unregister(struct pmm *m)
{
	if (m->teardown_ext)
		m->teardown_ext(m);
	pmm_free(m, m->page_ext, sizeof(*m->page_ext));
	m->page_ext = NULL;
}
