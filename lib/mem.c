/* mem.c - memory straight from the kernel.
 *
 * tinyqga allocates little and rarely: the buffer of the value being read,
 * and short-lived scratch for one request.  Giving each block its own
 * mapping means a freed block goes back to the system at once (idle RSS
 * stays small after a 64 MiB request), a growing buffer moves by remapping
 * pages instead of copying, and no malloc is linked (about 7 KB with musl).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "mem.h"

#ifdef TINYQGA_SYSTEM_MALLOC
/* Sanitizer and valgrind builds: libc's allocator, which those tools watch
 * for overruns, use after free and leaks; mappings they cannot see into. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

void *mem_alloc(size_t n)
{
	return calloc(1, n ? n : 1);
}

void mem_free(void *p)
{
	free(p);
}

/* grown bytes are zero, as fresh pages are in the mapped version */
void *mem_realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	char *q = realloc(p, n ? n : 1);

	if (q && n > old)
		memset(q + old, 0, n - old);
	return q;
}
#else

#define HEAD 16		/* keeps blocks 16-byte aligned */

static size_t pages(size_t n)
{
	return (n + HEAD + 4095) & ~(size_t)4095;
}

void *mem_alloc(size_t n)
{
	size_t len = pages(n);
	char *p;

	if (len < n)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*(size_t *)p = len;
	return p + HEAD;
}

void mem_free(void *p)
{
	if (p) {
		char *b = (char *)p - HEAD;
		munmap(b, *(size_t *)b);
	}
}

void *mem_realloc(void *p, size_t n)
{
	char *b, *nb;
	size_t len = pages(n);

	if (!p)
		return mem_alloc(n);
	if (len < n)
		return NULL;
	b = (char *)p - HEAD;
	if (*(size_t *)b >= len)
		return p;
	nb = mremap(b, *(size_t *)b, len, MREMAP_MAYMOVE);
	if (nb == MAP_FAILED)
		return NULL;
	*(size_t *)nb = len;
	return nb + HEAD;
}
#endif
