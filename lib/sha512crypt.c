/* sha512crypt.c - SHA-512 and the "$6$" password hash (Drepper's
 * SHA-crypt, as glibc and libxcrypt compute it), for images whose libc has
 * no crypt() (Debian's musl) and no chpasswd. */
#include <stdint.h>
#include <string.h>

#include "sha512crypt.h"

struct sha512 {
	uint64_t h[8];
	unsigned char buf[128];
	uint64_t len;
};

static const uint64_t K[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static uint64_t ror(uint64_t x, int n) { return x >> n | x << (64 - n); }

static void block(struct sha512 *s, const unsigned char *p)
{
	uint64_t w[80], v[8], t1, t2;	/* v: the working variables a..h */
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint64_t)p[8 * i] << 56 | (uint64_t)p[8 * i + 1] << 48 |
		       (uint64_t)p[8 * i + 2] << 40 | (uint64_t)p[8 * i + 3] << 32 |
		       (uint64_t)p[8 * i + 4] << 24 | (uint64_t)p[8 * i + 5] << 16 |
		       (uint64_t)p[8 * i + 6] << 8 | p[8 * i + 7];
	for (; i < 80; i++)
		w[i] = (ror(w[i - 2], 19) ^ ror(w[i - 2], 61) ^ (w[i - 2] >> 6)) + w[i - 7] +
		       (ror(w[i - 15], 1) ^ ror(w[i - 15], 8) ^ (w[i - 15] >> 7)) + w[i - 16];
	memcpy(v, s->h, sizeof(v));
	for (i = 0; i < 80; i++) {
		t1 = v[7] + (ror(v[4], 14) ^ ror(v[4], 18) ^ ror(v[4], 41)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
		t2 = (ror(v[0], 28) ^ ror(v[0], 34) ^ ror(v[0], 39)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));	/* h = g, ..., b = a */
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void init(struct sha512 *s)
{
	static const uint64_t iv[8] = {
		0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
		0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
		0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
	};
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
}

static void update(struct sha512 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t have = s->len % 128;

	s->len += n;
	while (n) {
		size_t k = 128 - have < n ? 128 - have : n;
		memcpy(s->buf + have, p, k);
		have += k;
		p += k;
		n -= k;
		if (have == 128) {
			block(s, s->buf);
			have = 0;
		}
	}
}

static void final(struct sha512 *s, unsigned char out[64])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[144] = { 0x80 };
	size_t have = s->len % 128, n = (have < 112 ? 112 : 240) - have;

	for (int i = 0; i < 8; i++)
		pad[n + 8 + i] = (unsigned char)(bits >> (56 - 8 * i));
	update(s, pad, n + 16);
	for (int i = 0; i < 64; i++)
		out[i] = (unsigned char)(s->h[i / 8] >> (56 - 8 * (i % 8)));
}

static void update_repeat(struct sha512 *s, const unsigned char *d, size_t len, size_t total)
{
	for (; total >= len; total -= len)
		update(s, d, len);
	update(s, d, total);
}

char *sha512_crypt(const char *key, const char *salt16, char out[SHA512_CRYPT_MAX])
{
	static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	static const unsigned char order[22][3] = {
		{ 0, 21, 42 }, { 22, 43, 1 }, { 44, 2, 23 }, { 3, 24, 45 }, { 25, 46, 4 },
		{ 47, 5, 26 }, { 6, 27, 48 }, { 28, 49, 7 }, { 50, 8, 29 }, { 9, 30, 51 },
		{ 31, 52, 10 }, { 53, 11, 32 }, { 12, 33, 54 }, { 34, 55, 13 }, { 56, 14, 35 },
		{ 15, 36, 57 }, { 37, 58, 16 }, { 59, 17, 38 }, { 18, 39, 60 }, { 40, 61, 19 },
		{ 62, 20, 41 }, { 63, 0, 0 },
	};
	size_t klen = strlen(key), slen = strnlen(salt16, 16);
	unsigned char a[64], b[64], p[64], sb[64];
	struct sha512 ctx, alt;
	size_t i;
	char *o;

	init(&alt);		/* digest B: key salt key */
	update(&alt, key, klen);
	update(&alt, salt16, slen);
	update(&alt, key, klen);
	final(&alt, b);
	init(&ctx);		/* digest A */
	update(&ctx, key, klen);
	update(&ctx, salt16, slen);
	update_repeat(&ctx, b, 64, klen);
	for (i = klen; i; i >>= 1)
		if (i & 1)
			update(&ctx, b, 64);
		else
			update(&ctx, key, klen);
	final(&ctx, a);
	init(&alt);		/* P: the key, klen times */
	for (i = 0; i < klen; i++)
		update(&alt, key, klen);
	final(&alt, p);
	init(&alt);		/* S: the salt, 16 + a[0] times */
	for (i = 0; i < 16u + a[0]; i++)
		update(&alt, salt16, slen);
	final(&alt, sb);
	for (i = 0; i < 5000; i++) {	/* the default rounds */
		init(&ctx);
		if (i & 1)
			update_repeat(&ctx, p, 64, klen);
		else
			update(&ctx, a, 64);
		if (i % 3)
			update(&ctx, sb, slen);
		if (i % 7)
			update_repeat(&ctx, p, 64, klen);
		if (i & 1)
			update(&ctx, a, 64);
		else
			update_repeat(&ctx, p, 64, klen);
		final(&ctx, a);
	}
	memcpy(out, "$6$", 3);
	memcpy(out + 3, salt16, slen);
	o = out + 3 + slen;
	*o++ = '$';
	for (i = 0; i < 22; i++) {
		unsigned v = (unsigned)a[order[i][0]] << 16 | (unsigned)a[order[i][1]] << 8 | a[order[i][2]];
		int n = i == 21 ? 2 : 4;
		if (i == 21)
			v = a[63];
		for (int k = 0; k < n; k++, v >>= 6)
			*o++ = b64[v & 63];
	}
	*o = 0;
	memset(a, 0, sizeof(a));
	memset(p, 0, sizeof(p));
	return out;
}
