/* fmt.h - formatted text without stdio: %s %.*s %c %d %u %x (l, ll, z), %%. */
#ifndef TINYQGA_FMT_H
#define TINYQGA_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf: returns the full length, writes at most cap-1 + NUL. */
size_t fmt_v(char *buf, size_t cap, const char *f, va_list ap);
size_t fmt(char *buf, size_t cap, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
/* A new NUL-terminated string from mem_alloc, or NULL. */
char *fmt_alloc(const char *f, va_list ap);
void fmt_fd(int fd, const char *f, ...) __attribute__((format(printf, 2, 3)));

/* Digits of a number, no NUL; returns the count (at most 20, 21 signed). */
size_t fmt_u64(char *out, unsigned long long v, unsigned base);
size_t fmt_i64(char *out, long long v);

/* strstr, done simply: the haystacks are short sysfs and uevent texts,
 * and musl's two-way strstr costs 1.3 KB of a static binary. */
char *str_find(const char *hay, const char *needle);

#endif
