/* Memory for traffic keys: excluded from core dumps, cleansed when freed. */
#ifndef SECCTX_KEYMEM_H
#define SECCTX_KEYMEM_H

#include <stddef.h>

void	*keymem_alloc(size_t);
void	 keymem_free(void *);

#endif
