/* b64.h - base64 as qemu-ga reads and writes it. */
#ifndef TINYQGA_B64_H
#define TINYQGA_B64_H

#include <stddef.h>
#include <sys/types.h>

#include "json.h"

/* Decode s (n bytes) over itself.  Only A-Z a-z 0-9 + / = and newline
 * are accepted (-1 otherwise: "Base64 data contains invalid characters");
 * then decoded as glib does: newlines skipped, '=' counts as a zero digit
 * whose bytes are dropped, an incomplete last group is dropped. */
ssize_t b64_decode(char *s, size_t n);

/* Standard base64 with padding; streamed: call with multiples of 3 bytes
 * except the last time. */
void out_b64(struct out *o, const unsigned char *p, size_t n);

#endif
