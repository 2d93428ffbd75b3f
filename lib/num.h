/* num.h - JSON numbers as QEMU reads and prints them, and the one reader
 * of unsigned decimal and hex numbers in text (sysfs, /proc, options). */
#ifndef TINYQGA_NUM_H
#define TINYQGA_NUM_H

#include <stdbool.h>
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

/* A digit's value (0-9, a-f, A-F), else 16 or more. */
unsigned num_digit(char c);
/* The digits of base 10 or 16 (then after an optional "0x") at the start
 * of s: the value in *v and where the digits end; NULL if there are none
 * or the value passes max. */
const char *num_scan(const char *s, unsigned base, uint64_t max, uint64_t *v);
/* The same up to UINT64_MAX, whatever follows the digits. */
bool parse_u64(const char *s, unsigned base, uint64_t *v);

#endif
