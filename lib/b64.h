/* b64.h - base64 as qemu-ga reads and writes it. */
#ifndef TINYQGA_B64_H
#define TINYQGA_B64_H

#include <stddef.h>
#include <sys/types.h>

#include "json.h"

/* A base64 string argument decoded over itself; returns the length (not
 * NUL-terminated).  Only A-Z a-z 0-9 + / = and newline are accepted, else
 * -1 after call_error() with qemu-ga's "Base64 data contains invalid
 * characters"; then decoded as glib does: newlines skipped, '=' counts as
 * a zero digit whose bytes are dropped, an incomplete last group is
 * dropped. */
struct call;
ssize_t b64_arg(struct call *c, const char *arg);

/* Standard base64 with padding; streamed: call with multiples of 3 bytes
 * except the last time. */
void out_b64(struct out *o, const unsigned char *p, size_t n);

#endif
