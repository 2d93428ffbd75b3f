/* fmt.c - the little printf tinyqga needs, without stdio.
 *
 * libc's printf drags its floating-point formatter and FILE machinery into
 * a static binary (about 10 KB with musl); messages here need only %s,
 * %.*s, %c, %d/%u/%x with l/ll/z, and %%. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "fmt.h"
#include "mem.h"

struct sink {
	char *buf;
	size_t cap, len;
	int fd;			/* >= 0: flush to this fd when full */
};

static void put(struct sink *s, const char *p, size_t n)
{
	while (n) {
		if (s->fd >= 0 && s->len == s->cap) {
			write_all(s->fd, s->buf, s->len);
			s->len = 0;
		}
		if (s->len < s->cap) {
			size_t k = s->cap - s->len;
			if (k > n)
				k = n;
			memcpy(s->buf + s->len, p, k);
			s->len += k;
			p += k;
			n -= k;
		} else {
			s->len += n;	/* counting only: the caller sizes a buffer */
			n = 0;
		}
	}
}

size_t fmt_u64(char *out, unsigned long long v, unsigned base)
{
	char t[24];
	size_t n = 0, i;

	do {
		t[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	return n;
}

size_t fmt_i64(char *out, long long v)
{
	if (v >= 0)
		return fmt_u64(out, (unsigned long long)v, 10);
	out[0] = '-';
	return 1 + fmt_u64(out + 1, 0ULL - (unsigned long long)v, 10);
}

static void vformat(struct sink *s, const char *f, va_list ap)
{
	char num[24];

	for (; *f; f++) {
		const char *run = f;
		int lng = 0, prec = -1;

		while (*f && *f != '%')
			f++;
		put(s, run, (size_t)(f - run));
		if (!*f)
			break;
		f++;
		if (f[0] == '.' && f[1] == '*') {
			prec = va_arg(ap, int);
			f += 2;
		}
		for (; *f == 'l' || *f == 'z'; f++)
			lng += *f == 'z' ? 2 : 1;
		switch (*f) {
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t n = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
			put(s, str, n);
			break;
		}
		case 'c':
			num[0] = (char)va_arg(ap, int);
			put(s, num, 1);
			break;
		case 'd':
		case 'i':
			put(s, num, fmt_i64(num, lng >= 2 ? va_arg(ap, long long) :
					    lng ? va_arg(ap, long) : va_arg(ap, int)));
			break;
		case 'u':
		case 'x':
			put(s, num, fmt_u64(num, lng >= 2 ? va_arg(ap, unsigned long long) :
					    lng ? va_arg(ap, unsigned long) :
					    va_arg(ap, unsigned), *f == 'x' ? 16 : 10));
			break;
		default:
			put(s, f, 1);	/* %% */
			break;
		}
	}
}

size_t fmt_v(char *buf, size_t cap, const char *f, va_list ap)
{
	struct sink s = { buf, cap ? cap - 1 : 0, 0, -1 };

	vformat(&s, f, ap);
	if (cap)
		buf[s.len < cap - 1 ? s.len : cap - 1] = 0;
	return s.len;
}

size_t fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = fmt_v(buf, cap, f, ap);
	va_end(ap);
	return n;
}

char *fmt_alloc(const char *f, va_list ap)
{
	va_list again;
	size_t n;
	char *p;

	va_copy(again, ap);
	n = fmt_v(NULL, 0, f, again);
	va_end(again);
	p = mem_alloc(n + 1);
	if (p)
		fmt_v(p, n + 1, f, ap);
	return p;
}

void fmt_fd(int fd, const char *f, ...)
{
	char buf[512];
	struct sink s = { buf, sizeof(buf), 0, fd };
	va_list ap;

	va_start(ap, f);
	vformat(&s, f, ap);
	va_end(ap);
	write_all(fd, buf, s.len);
}

char *str_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return (char *)hay;
	return *needle ? NULL : (char *)hay;
}
