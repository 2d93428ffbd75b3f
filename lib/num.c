/* num.c - numbers as QEMU reads and prints them, without libc's strtod
 * and printf (about 17 KB with musl).
 *
 * Integers that fit int64 stay int64, else uint64, else double; doubles
 * are read correctly rounded and printed as "%.17g".  Both conversions are
 * exact: they work on big integers, so every digit matches glibc's. */
#include <stdbool.h>
#include <string.h>

#include "fmt.h"
#include "num.h"

/* 5^1074 * 2^53 and 10^1125 * 2^56 both fit in 160 limbs of 32 bits. */
#define LIMBS 160
#define MAX_DIGITS 800	/* more never changes a double: kept as a sticky 1 */

struct big {
	int n;
	uint32_t d[LIMBS];
};

static void big_mul_add(struct big *b, uint32_t m, uint32_t add)
{
	uint64_t carry = add;

	for (int i = 0; i < b->n; i++) {
		carry += (uint64_t)b->d[i] * m;
		b->d[i] = (uint32_t)carry;
		carry >>= 32;
	}
	if (carry && b->n < LIMBS)
		b->d[b->n++] = (uint32_t)carry;
}

static void big_pow(struct big *b, uint32_t base, unsigned exp)
{
	uint32_t step = base == 10 ? 1000000000u : 1220703125u;	/* ^9, ^13 */
	unsigned k = base == 10 ? 9 : 13;

	for (; exp >= k; exp -= k)
		big_mul_add(b, step, 0);
	while (exp--)
		big_mul_add(b, base, 0);
}

static void big_shl(struct big *b, unsigned bits)
{
	unsigned w = bits / 32, s = bits % 32;
	int i;

	if (!b->n)
		return;
	if (b->n + (int)w + 1 > LIMBS)
		w = (unsigned)(LIMBS - 1 - b->n);	/* cannot happen: bounded inputs */
	b->d[b->n + (int)w] = 0;
	for (i = b->n - 1; i >= 0; i--) {
		uint64_t v = (uint64_t)b->d[i] << s;
		b->d[i + (int)w + 1] |= (uint32_t)(v >> 32);
		b->d[i + (int)w] = (uint32_t)v;
	}
	memset(b->d, 0, w * sizeof(uint32_t));
	b->n += (int)w + 1;
	while (b->n && !b->d[b->n - 1])
		b->n--;
}

static void big_shr1(struct big *b)
{
	for (int i = 0; i < b->n; i++)
		b->d[i] = b->d[i] >> 1 | (i + 1 < b->n ? b->d[i + 1] << 31 : 0);
	while (b->n && !b->d[b->n - 1])
		b->n--;
}

static int big_cmp(const struct big *a, const struct big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

static void big_sub(struct big *a, const struct big *b)
{
	int64_t borrow = 0;

	for (int i = 0; i < a->n; i++) {
		int64_t v = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
		borrow = v < 0;
		a->d[i] = (uint32_t)v;
	}
	while (a->n && !a->d[a->n - 1])
		a->n--;
}

static unsigned big_bits(const struct big *b)
{
	return b->n ? (unsigned)(b->n - 1) * 32 + 32 - (unsigned)__builtin_clz(b->d[b->n - 1]) : 0;
}

static uint32_t big_div_small(struct big *b, uint32_t m)
{
	uint64_t r = 0;

	for (int i = b->n - 1; i >= 0; i--) {
		r = r << 32 | b->d[i];
		b->d[i] = (uint32_t)(r / m);
		r %= m;
	}
	while (b->n && !b->d[b->n - 1])
		b->n--;
	return (uint32_t)r;
}

/* digits * 10^e10, correctly rounded to nearest even. */
static double decimal_to_double(const char *dig, int nd, long e10)
{
	static struct big num, den, t;
	uint64_t q = 0, bits, mant, rem, half;
	int s, ex, lsb, drop, i;
	double d;

	if (nd == 0 || nd + e10 <= -324)
		return 0.0;
	if (nd + e10 > 309)
		return __builtin_inf();
	num.n = den.n = 0;
	den.d[den.n++] = 1;
	for (i = 0; i < nd; i++) {
		if (!num.n && dig[i] != '0')
			num.d[num.n++] = (uint32_t)(dig[i] - '0');
		else if (num.n)
			big_mul_add(&num, 10, (uint32_t)(dig[i] - '0'));
	}
	if (e10 >= 0)
		big_pow(&num, 10, (unsigned)e10);
	else
		big_pow(&den, 10, (unsigned)-e10);
	/* scale so that num / den lies in [2^55, 2^57) */
	s = 56 + (int)big_bits(&den) - (int)big_bits(&num);
	if (s >= 0)
		big_shl(&num, (unsigned)s);
	else
		big_shl(&den, (unsigned)-s);
	t = den;
	big_shl(&t, 56);
	for (i = 56; i >= 0; i--, big_shr1(&t)) {
		if (big_cmp(&num, &t) >= 0) {
			big_sub(&num, &t);
			q |= 1ULL << i;
		}
	}
	ex = 63 - __builtin_clzll(q) - s;	/* value is about 2^ex */
	if (ex > 1023)
		return __builtin_inf();
	lsb = ex - 52 < -1074 ? -1074 : ex - 52;
	drop = lsb + s;
	if (drop >= 63)
		return 0.0;
	mant = q >> drop;
	rem = q & ((1ULL << drop) - 1);
	half = 1ULL << (drop - 1);
	if (rem > half || (rem == half && (num.n || (mant & 1))))
		mant++;
	/* a carry into bit 53, or out of the subnormals, lands right */
	bits = ((uint64_t)(lsb + 1074) << 52) + mant;
	if (bits >= 0x7FF0000000000000ULL)
		return __builtin_inf();
	memcpy(&d, &bits, 8);
	return d;
}

double num_to_double(const char *s, size_t n)
{
	char dig[MAX_DIGITS + 1];
	const char *end = s + n;
	bool neg = s < end && *s == '-', point = false, nonzero_cut = false;
	int nd = 0;
	long e10 = 0, ex = 0;
	double d;

	s += neg;
	for (; s < end && (*s == '.' || (*s >= '0' && *s <= '9')); s++) {
		if (*s == '.') {
			point = true;
		} else if (nd == 0 && *s == '0') {
			e10 -= point;		/* leading zeros */
		} else if (nd < MAX_DIGITS) {
			dig[nd++] = *s;
			e10 -= point;
		} else {
			nonzero_cut |= *s != '0';
			e10 += !point;
		}
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		bool eneg = ++s < end && *s == '-';
		s += s < end && (*s == '-' || *s == '+');
		for (; s < end && *s >= '0' && *s <= '9'; s++)
			if (ex < 100000)
				ex = ex * 10 + (*s - '0');
		e10 += eneg ? -ex : ex;
	}
	if (nonzero_cut) {
		dig[nd++] = '1';	/* beyond any halfway case */
		e10--;
	}
	d = decimal_to_double(dig, nd, e10);
	return neg ? -d : d;
}

enum num_kind num_parse_int(const char *s, size_t n, int64_t *i, uint64_t *u)
{
	bool neg = n && *s == '-';
	uint64_t v = 0;
	size_t k;

	for (k = neg; k < n; k++) {
		unsigned dgt = (unsigned)(s[k] - '0');
		if (v > (UINT64_MAX - dgt) / 10)
			return NUM_DOUBLE;
		v = v * 10 + dgt;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return NUM_DOUBLE;
		*i = (int64_t)(0 - v);
		return NUM_INT;
	}
	if (v <= INT64_MAX) {
		*i = (int64_t)v;
		return NUM_INT;
	}
	*u = v;
	return NUM_UINT;
}

/* "%.17g": 17 significant digits of the exact value, ties to even. */
size_t num_format_double(char *out, double v)
{
	static struct big b;
	char dig[800], *o = out;
	uint64_t bits, m;
	int e, nd = 0, dexp, i, keep;

	memcpy(&bits, &v, 8);
	if (bits >> 63)
		*o++ = '-';
	e = (int)(bits >> 52 & 0x7FF);
	m = bits & 0xFFFFFFFFFFFFFULL;
	if (e == 0x7FF) {
		memcpy(o, m ? "nan" : "inf", 3);
		return (size_t)(o - out) + 3;
	}
	if (!e && !m) {
		*o++ = '0';
		return (size_t)(o - out);
	}
	if (e)
		m |= 1ULL << 52;
	e = e ? e - 1075 : -1074;
	b.n = 0;
	b.d[b.n++] = (uint32_t)m;
	b.d[b.n++] = (uint32_t)(m >> 32);
	if (!b.d[1])
		b.n = 1;
	if (e > 0)
		big_shl(&b, (unsigned)e);
	else
		big_pow(&b, 5, (unsigned)-e);	/* value = b * 10^e */
	while (b.n) {			/* decimal digits, lowest first */
		uint32_t c = big_div_small(&b, 1000000000u);
		for (i = 0; i < 9; i++, c /= 10)
			dig[nd++] = (char)('0' + c % 10);
	}
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	for (i = 0; i < nd / 2; i++) {		/* highest first */
		char t = dig[i];
		dig[i] = dig[nd - 1 - i];
		dig[nd - 1 - i] = t;
	}
	dexp = nd - 1 + (e > 0 ? 0 : e);
	if (nd > 17) {
		bool up = dig[17] > '5', more = false;
		for (i = 18; i < nd; i++)
			more |= dig[i] != '0';
		if (dig[17] == '5')
			up = more || ((dig[16] - '0') & 1);
		nd = 17;
		for (i = 16; up && i >= 0; i--) {
			up = dig[i] == '9';
			dig[i] = up ? '0' : (char)(dig[i] + 1);
		}
		if (up) {		/* 99..9 became 100..0 */
			dig[0] = '1';
			dexp++;
		}
	}
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (dexp < -4 || dexp >= 17) {
		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = dexp < 0 ? '-' : '+';
		if (dexp < 0)
			dexp = -dexp;
		if (dexp < 10)
			*o++ = '0';
		return (size_t)(o - out) + fmt_u64(o, (unsigned)dexp, 10);
	}
	if (dexp < 0) {
		*o++ = '0';
		*o++ = '.';
		for (i = -1; i > dexp; i--)
			*o++ = '0';
		memcpy(o, dig, (size_t)nd);
		return (size_t)(o - out) + (size_t)nd;
	}
	keep = dexp + 1;
	for (i = 0; i < keep; i++)
		*o++ = i < nd ? dig[i] : '0';
	if (nd > keep) {
		*o++ = '.';
		memcpy(o, dig + keep, (size_t)(nd - keep));
		o += nd - keep;
	}
	return (size_t)(o - out);
}

unsigned num_digit(char c)
{
	unsigned l = (unsigned char)c | 0x20;

	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	return l >= 'a' && l <= 'f' ? l - 'a' + 10 : 99;
}

const char *num_scan(const char *s, unsigned base, uint64_t max, uint64_t *v)
{
	const char *p = s;
	uint64_t x = 0;
	unsigned d;

	if (base == 16 && p[0] == '0' && (p[1] | 0x20) == 'x')
		s = p += 2;
	for (; (d = num_digit(*p)) < base; p++) {
		if (x > (max - d) / base)
			return NULL;
		x = x * base + d;
	}
	if (p == s)
		return NULL;
	*v = x;
	return p;
}

bool parse_u64(const char *s, unsigned base, uint64_t *v)
{
	return num_scan(s, base, UINT64_MAX, v) != NULL;
}
