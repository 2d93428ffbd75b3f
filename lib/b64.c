/* b64.c - see b64.h. */
#include <string.h>

#include "handler.h"
#include "b64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int rank(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : c == '=' ? 0 : -1;
}

static ssize_t b64_decode(char *s, size_t n)
{
	unsigned char *in = (unsigned char *)s, *out = in, last[2] = { 0, 0 };
	unsigned long v = 0;
	int k = 0;

	for (size_t i = 0; i < n; i++)
		if (rank(in[i]) < 0 && in[i] != '\n')
			return -1;
	for (size_t i = 0; i < n; i++) {
		int r = rank(in[i]);
		if (r < 0)
			continue;
		last[1] = last[0];
		last[0] = in[i];
		v = v << 6 | (unsigned)r;
		if (++k == 4) {
			*out++ = (unsigned char)(v >> 16);
			if (last[1] != '=')
				*out++ = (unsigned char)(v >> 8);
			if (last[0] != '=')
				*out++ = (unsigned char)v;
			k = 0;
			v = 0;
		}
	}
	return (ssize_t)(out - in);
}

ssize_t b64_arg(struct call *c, const char *arg)
{
	ssize_t n = b64_decode((char *)arg, strlen(arg));

	if (n < 0)
		call_error(c, "Base64 data contains invalid characters");
	return n;
}

void out_b64(struct out *o, const unsigned char *p, size_t n)
{
	char buf[1024];
	size_t k = 0;

	for (; n >= 3; p += 3, n -= 3) {
		buf[k++] = alphabet[p[0] >> 2];
		buf[k++] = alphabet[(p[0] & 3) << 4 | p[1] >> 4];
		buf[k++] = alphabet[(p[1] & 15) << 2 | p[2] >> 6];
		buf[k++] = alphabet[p[2] & 63];
		if (k == sizeof(buf)) {
			out_bytes(o, buf, k);
			k = 0;
		}
	}
	if (n) {
		buf[k++] = alphabet[p[0] >> 2];
		buf[k++] = alphabet[(p[0] & 3) << 4 | (n > 1 ? p[1] >> 4 : 0)];
		buf[k++] = n > 1 ? alphabet[(p[1] & 15) << 2] : '=';
		buf[k++] = '=';
	}
	out_bytes(o, buf, k);
}
