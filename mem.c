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
