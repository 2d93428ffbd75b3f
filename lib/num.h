/* num.h - JSON numbers as QEMU reads and prints them. */
#ifndef TINYQGA_NUM_H
#define TINYQGA_NUM_H

#include <stddef.h>
#include <stdint.h>

enum num_kind { NUM_INT, NUM_UINT, NUM_DOUBLE };

/* An integer token (-?digits): int64 if it fits, else uint64 if positive
 * and it fits, else NUM_DOUBLE (use num_to_double). */
enum num_kind num_parse_int(const char *s, size_t n, int64_t *i, uint64_t *u);
/* Any number token, correctly rounded. */
double num_to_double(const char *s, size_t n);
/* printf's "%.17g"; out needs 32 bytes; returns the length, no NUL. */
size_t num_format_double(char *out, double v);

#endif
