/* mem.h - memory straight from the kernel, one mapping per block. */
#ifndef TINYQGA_MEM_H
#define TINYQGA_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);		/* zeroed, or NULL */
void *mem_realloc(void *p, size_t n);	/* grows in place or moves pages */
void mem_free(void *p);

#endif
