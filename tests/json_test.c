/* json_test.c - unit tests of the tokenizer, parser and writer.
 *
 * Every input is fed whole, one byte at a time, and split in two at every
 * position; each way must give the same events.  Expected texts are
 * qemu-ga 7.2's replies to the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "caltime.h"
#include "fmt.h"
#include "json.h"
#include "num.h"
#include "options.h"

static int passed, failed;

struct mem {
	char *p;
	size_t len, cap;
};

static int to_mem(struct out *o, const unsigned char *p, size_t n)
{
	struct mem *m = o->ctx;

	if (m->len + n + 1 > m->cap) {
		m->cap = (m->len + n + 1) * 2;
		m->p = realloc(m->p, m->cap);
		if (!m->p)
			abort();
	}
	memcpy(m->p + m->len, p, n);
	m->len += n;
	m->p[m->len] = 0;
	return 0;
}

static struct out *new_out(struct mem *m)
{
	struct out *o = calloc(1, sizeof(*o) + 4096);

	o->sink = to_mem;
	o->ctx = m;
	o->buf = (unsigned char *)(o + 1);
	o->cap = 4096;
	return o;
}

/* Events as text: "V:<value echoed>" or "E:<error desc>", one per line. */
static void render(struct json_stream *js, enum json_event ev, struct out *o)
{
	if (ev == JE_MESSAGE) {
		out_lit(o, "V:");
		out_value(o, &js->buf, 0);
	} else {
		out_lit(o, "E:");
		if (js->err.pre)
			out_str_part(o, js->err.pre, strlen(js->err.pre));
		out_str_part(o, js->err.mid, js->err.midlen);
		if (js->err.suf)
			out_str_part(o, js->err.suf, strlen(js->err.suf));
	}
	out_lit(o, "\n");
}

static void feed(struct json_stream *js, const unsigned char *p, size_t n,
		 struct out *o)
{
	while (n) {
		enum json_event ev;
		size_t used = json_feed(js, p, n, &ev);
		p += used;
		n -= used;
		if (ev != JE_NONE)
			render(js, ev, o);
	}
}

/* Feed in pieces split at the given positions (ascending, ends with n). */
static char *run_split(const unsigned char *in, const size_t *cuts, size_t ncuts)
{
	struct mem m = { 0 };
	struct out *o = new_out(&m);
	struct json_stream js;
	size_t at = 0, i;

	json_stream_init(&js);
	for (i = 0; i < ncuts; i++) {
		feed(&js, in + at, cuts[i] - at, o);
		at = cuts[i];
	}
	out_flush(o);
	json_stream_free(&js);
	free(o);
	if (!m.p)
		m.p = strdup("");
	return m.p;
}

static void check(const char *name, bool ok, const char *got, const char *want)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s\n  got:  %.400s\n  want: %.400s\n", name, got, want);
}

/* Whole, byte by byte, and every two-way split. */
static void expect_n(const char *name, const void *input, size_t n,
		     const char *want, bool all_splits)
{
	const unsigned char *in = input;
	size_t *cuts = calloc(n + 1, sizeof(*cuts)), i;
	char *got = run_split(in, &n, 1);
	bool ok = !strcmp(got, want);

	check(name, ok, got, want);
	free(got);
	if (!ok || !all_splits) {
		free(cuts);
		return;
	}
	if (!cuts)
		abort();
	for (i = 0; i < n; i++)
		cuts[i] = i + 1;
	got = run_split(in, cuts, n);
	check(name, !strcmp(got, want), got, want);
	free(got);
	for (i = 1; i < n; i++) {
		size_t two[2] = { i, n };
		got = run_split(in, two, 2);
		if (strcmp(got, want)) {
			char label[128];
			snprintf(label, sizeof(label), "%s (split at %zu)", name, i);
			check(label, false, got, want);
			free(got);
			free(cuts);
			return;
		}
		free(got);
	}
	passed++;
	free(cuts);
}

static void expect(const char *name, const char *input, const char *want)
{
	expect_n(name, input, strlen(input), want, true);
}

#define PING "{\"execute\":\"guest-ping\",\"id\":\"after\"}"
#define PING_V "V:{\"execute\": \"guest-ping\", \"id\": \"after\"}\n"
#define STRAY(t) "E:JSON parse error, stray '" t "'\n"
#define PERR(t) "E:JSON parse error, " t "\n"

static void test_framing(void)
{
	expect("object", "{\"execute\":\"guest-ping\"}", "V:{\"execute\": \"guest-ping\"}\n");
	expect("two glued", PING PING, PING_V PING_V);
	expect("whitespace between", " \r\n\t" PING "\n\n " PING "  ", PING_V PING_V);
	expect("nested", "{\"a\":[1,{\"b\":[]},{}],\"c\":{\"d\":null}}",
	       "V:{\"a\": [1, {\"b\": []}, {}], \"c\": {\"d\": null}}\n");
	/* a scalar at top level needs a delimiter to end */
	expect("scalar pending", "1", "");
	expect("scalars", "1\nnull true\n\"s\" []", "V:1\nV:null\nV:true\nV:\"s\"\nV:[]\n");
	expect("single quotes", "{'execute':'guest-ping'}", "V:{\"execute\": \"guest-ping\"}\n");
	/* QDict order, not insertion order */
	expect("member order", "{\"b\":1,\"a\":2,\"zz\":3,\"execute\":0}",
	       "V:{\"a\": 2, \"execute\": 0, \"zz\": 3, \"b\": 1}\n");
}

static void test_errors(void)
{
	expect("missing colon", "{\"execute\" \"guest-ping\"}" PING,
	       PERR("missing : in object pair") PING_V);
	expect("trailing comma", "{\"execute\":\"guest-ping\",}" PING,
	       PERR("expecting value") PING_V);
	expect("bare word", "{\"execute\":guest-ping}" PING,
	       STRAY("-p") PERR("expecting value") PING_V);
	expect("extra brace", "{\"a\":1}}" PING,
	       "V:{\"a\": 1}\n" PERR("expecting value") PING_V);
	expect("control in string", "{\"id\":\"\x01\"}" PING,
	       STRAY("\\\"\\u0001") PERR("expecting value") PING_V);
	expect("leading zero", "{\"id\":01}" PING, STRAY("01") PERR("expecting value") PING_V);
	expect("newline in string", "{\"a\":\"x\ny\"}" PING,
	       STRAY("\\\"x\\n") PERR("expecting value") PING_V);
	expect("invalid keyword", "{\"a\":abc}" PING, PERR("invalid keyword 'abc'") PING_V);
	expect("keyword run", "{\"a\":nulltrue}" PING, PERR("invalid keyword 'nulltrue'") PING_V);
	expect("upper case", "True " PING, STRAY("T") PING_V);
	expect("duplicate", "{\"a\":1,\"a\":2}" PING, PERR("duplicate key") PING_V);
	expect("duplicate nested ok", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
	       "V:{\"a\": {\"a\": 1}, \"b\": {\"a\": 2}}\n");
	expect("list separator", "[1 2]" PING, PERR("expected separator in list") PING_V);
	expect("dict separator", "{\"a\":1 \"b\":2}" PING, PERR("expected separator in dict") PING_V);
	expect("key not string", "{1:2}" PING, PERR("key is not a string in object") PING_V);
	expect("object key", "{{}:2}" PING, PERR("key is not a string in object") PING_V);
	expect("lone closers", "] } : ," PING,
	       PERR("expecting value") PERR("expecting value") PERR("expecting value")
	       PERR("expecting value") PING_V);
	expect("mismatched", "[}" PING, PERR("expecting value") PING_V);
	expect("signs", "+1 " PING, STRAY("+") PING_V);
	expect("minus dot", "-.5 " PING, STRAY("-.") PING_V);
	expect("dot brace", "[1.}" PING, STRAY("1.}") PING_V);
	expect_n("nul byte", "\0" PING, sizeof(PING), STRAY("") PING_V, true);
	expect_n("nul in string", "[\"ab\0cd\"]" PING, 9 + sizeof(PING) - 1,
		 STRAY("\\\"ab") PERR("expecting value") PING_V, true);
	/* recovery skips to structural bytes; a control byte is one more error */
	expect("recovery", "\x01 abc " PING, STRAY("\\u0001") PING_V);
	expect("recovery control", "\x01 abc\x02 " PING,
	       STRAY("\\u0001") STRAY("\\u0002") PING_V);
}

static void test_reset(void)
{
	expect("0xff alone", "\xff", STRAY("\\uFFFD"));
	expect("0xfe alone", "\xfe", STRAY("\\uFFFD"));
	expect("0xff mid string", "{\"execute\":\"guest-pi\xff" PING,
	       STRAY("\\\"guest-pi\\uFFFD") PING_V);
	expect("0xff mid nesting", "{\"id\":[[[\xff" PING, STRAY("\\uFFFD") PING_V);
	expect("0xff storm", "\xff\xff\xff" PING,
	       STRAY("\\uFFFD") STRAY("\\uFFFD") STRAY("\\uFFFD") PING_V);
	expect("0xff before sync", "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":1}}",
	       STRAY("\\uFFFD") "V:{\"execute\": \"guest-sync-delimited\", \"arguments\": {\"id\": 1}}\n");

	/* json_stream_reset forgets a half-read value */
	struct mem m = { 0 };
	struct out *o = new_out(&m);
	struct json_stream js;
	json_stream_init(&js);
	feed(&js, (const unsigned char *)"{\"execute\":\"guest-ping\",\"id\":\"old", 33, o);
	json_stream_reset(&js);
	feed(&js, (const unsigned char *)PING, sizeof(PING) - 1, o);
	out_flush(o);
	check("reset drops partial value", m.p && !strcmp(m.p, PING_V), m.p, PING_V);
	json_stream_free(&js);
	free(o);
	free(m.p);
}

static void test_strings(void)
{
	expect("escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\'\"]",
	       "V:[\"\\\"\\\\/\\b\\f\\n\\r\\t'\"]\n");
	expect("sq escapes", "['\\'\\\"x']", "V:[\"'\\\"x\"]\n");
	expect("u escapes", "[\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"]",
	       "V:[\"A\\u00E9\\u20AC\\uD83D\\uDE00\"]\n");
	expect("u0000", "[\"a\\u0000b\"]", "V:[\"a\\u0000b\"]\n");
	expect("overlong nul", "[\"\xc0\x80\"]", "V:[\"\\u0000\"]\n");
	expect("utf8", "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"]",
	       "V:[\"\\u00E9\\u20AC\\uD83D\\uDE00\\u007F\"]\n");
	expect("bad utf8", "[\"a\xc3(b\"]" PING, PERR("invalid UTF-8 sequence in string") PING_V);
	expect("utf8 surrogate", "[\"\xed\xa0\x80\"]" PING,
	       PERR("invalid UTF-8 sequence in string") PING_V);
	expect("utf8 nonchar", "[\"\xef\xbf\xbe\"]" PING,
	       PERR("invalid UTF-8 sequence in string") PING_V);
	expect("utf8 overlong", "[\"\xc1\x81\"]" PING,
	       PERR("invalid UTF-8 sequence in string") PING_V);
	expect("bad escape", "[\"\\x41\"]" PING, PERR("invalid escape sequence in string") PING_V);
	expect("lone surrogate", "[\"\\ud83d\"]" PING,
	       PERR("\\\\ud83d is not a valid Unicode character") PING_V);
	expect("bad pair", "[\"\\ud800\\u0041\"]" PING,
	       PERR("\\\\ud800 is not a valid Unicode character") PING_V);
	expect("nonchar pair", "[\"\\ud83f\\udffe\"]" PING,
	       PERR("\\\\ud83f\\\\udffe is not a valid Unicode character") PING_V);
	expect("short u", "[\"\\u12\"]" PING,
	       PERR("\\\\u12\\\" is not a valid Unicode character") PING_V);
	expect("nonchar u", "[\"\\uFFFE\"]" PING,
	       PERR("\\\\uFFFE is not a valid Unicode character") PING_V);
	/* the writer: invalid bytes in error texts become U+FFFD */
	expect("stray invalid", "[\"\xf8\x88\x80\x80\x80\x01", STRAY("\\\"\\uFFFD\\u0001"));
}

static void test_numbers(void)
{
	expect("int edges", "[0,-0,9223372036854775807,-9223372036854775808]",
	       "V:[0, 0, 9223372036854775807, -9223372036854775808]\n");
	expect("uint edges", "[9223372036854775808,18446744073709551615]",
	       "V:[9223372036854775808, 18446744073709551615]\n");
	expect("past uint64", "[18446744073709551616,-9223372036854775809]",
	       "V:[1.8446744073709552e+19, -9.2233720368547758e+18]\n");
	expect("floats", "[0.1,1E5,5e-324,1e-400,-0.0,2.5e+3,1.0]",
	       "V:[0.10000000000000001, 100000, 4.9406564584124654e-324, 0, -0, 2500, 1]\n");
	expect("zero then e", "[0e5]", PERR("expected separator in list"));

	/* 10,000 digits */
	char *big = malloc(10010);
	big[0] = '[';
	memset(big + 1, '9', 10000);
	strcpy(big + 10001, "]");
	expect_n("10000 digits", big, strlen(big), "V:[inf]\n", false);
	free(big);
}

/* num.c against the C library this test is built with (glibc): both are
 * exact, so every double and every parse must agree bit for bit. */
static unsigned long long rng = 88172645463325252ULL;
static unsigned long long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_num_conversions(void)
{
	static const char *const hard[] = {
		"9007199254740993", "2.4703282292062327e-324", "2.4703282292062328e-324",
		"1e309", "1.7976931348623158e308", "1.7976931348623159e308", "4503599627370496.5",
		"4503599627370497.5", "1e-324", "3e-324", "2.2250738585072011e-308", "1e23",
		"0.000000000000000000000000000000000001e-288", "123456789012345678901234567890",
	};
	int bad_fmt = 0, bad_parse = 0;
	char a[64], b[64], s[1300];

	for (int i = 0; i < 200000; i++) {
		unsigned long long r = rnd();
		double d;
		memcpy(&d, &r, 8);
		if (d != d)
			continue;
		snprintf(a, sizeof(a), "%.17g", d);
		b[num_format_double(b, d)] = 0;
		bad_fmt += strcmp(a, b) != 0;
		double p = num_to_double(a, strlen(a));
		bad_parse += memcmp(&p, &d, 8) != 0 && !(p == 0 && d == 0);
	}
	for (int i = 0; i < 50000; i++) {
		int n = 0, nd = 1 + (int)(rnd() % (i % 50 == 0 ? 1000 : 25));
		if (rnd() & 1)
			s[n++] = '-';
		for (int k = 0; k < nd; k++) {
			s[n++] = (char)('0' + rnd() % 10);
			if (k == 0 && nd > 1 && rnd() % 3 == 0)
				s[n++] = '.';
		}
		if (rnd() & 1)
			n += sprintf(s + n, "e%d", (int)(rnd() % 700) - 350);
		s[n] = 0;
		double q = num_to_double(s, (size_t)n), g = strtod(s, NULL);
		bad_parse += memcmp(&q, &g, 8) != 0;
	}
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
		double q = num_to_double(hard[i], strlen(hard[i])), g = strtod(hard[i], NULL);
		bad_parse += memcmp(&q, &g, 8) != 0;
	}
	check("%.17g of 200000 random doubles as libc", !bad_fmt, "mismatches", "none");
	check("parse of 250000 numbers as libc's strtod", !bad_parse, "mismatches", "none");
}

static char *repeat(const char *pre, const char *unit, size_t n, const char *suf,
		    size_t *len)
{
	size_t a = strlen(pre), u = strlen(unit), b = strlen(suf);
	char *s = malloc(a + u * n + b + 1), *p = s;

	memcpy(p, pre, a);
	p += a;
	while (n--) {
		memcpy(p, unit, u);
		p += u;
	}
	memcpy(p, suf, b + 1);
	*len = a + u * n + b;
	*len = (size_t)(p - s) + b;
	return s;
}

static char *repeat_text(const char *unit, size_t n)
{
	size_t len;
	return repeat("", unit, n, "", &len);
}

static void test_limits(void)
{
	size_t len;
	char *open, *close, *in, *want;

	/* nesting: 1024 open at once passes, 1025 fails */
	open = repeat_text("[", JSON_MAX_NESTING);
	close = repeat_text("]", JSON_MAX_NESTING);
	in = malloc(2 * JSON_MAX_NESTING + 100);
	sprintf(in, "%s%s", open, close);
	want = malloc(4 * JSON_MAX_NESTING + 100);
	sprintf(want, "V:%s\n", repeat_text("[", 1));
	{
		/* expected echo: [[...]] with no spaces inside empty arrays */
		char *w = malloc(2 * JSON_MAX_NESTING + 8);
		sprintf(w, "V:%s%s\n", open, close);
		expect_n("nesting at limit", in, strlen(in), w, false);
		free(w);
	}
	/* 1030 deep: the 1025th [ is refused and dropped with the value so
	 * far; the 5 after it form a value of their own, and each ] left
	 * over is one more error, as qemu-ga */
	sprintf(in, "[[[[[[%s%s]]]]]]" PING, open, close);
	{
		size_t wl;
		char *w = repeat("E:JSON nesting depth limit exceeded\nV:[[[[[]]]]]\n",
				 "E:JSON parse error, expecting value\n", JSON_MAX_NESTING + 1,
				 PING_V, &wl);
		expect_n("nesting past limit", in, strlen(in), w, false);
		free(w);
	}
	free(in);
	free(want);
	free(open);
	free(close);

	/* token count: 2^21 tokens pass, one more fails */
	size_t n = JSON_MAX_TOKEN_COUNT / 2 - 2;	/* [ + n*(1 ,) + [ ] ] */
	{
		struct mem m = { 0 };
		struct out *o = new_out(&m);
		struct json_stream js;
		json_stream_init(&js);
		in = repeat("[", "1,", n, "[]]", &len);
		feed(&js, (unsigned char *)in, len, o);
		out_flush(o);
		check("token count at limit", m.p && !strncmp(m.p, "V:[1, 1, ", 9) &&
		      m.len == 3 + 3 * n + 4, m.p ? "(long)" : "", "V:[1, 1, ...]");
		free(m.p);
		free(in);
		m = (struct mem){ 0 };
		in = repeat("[", "1,", n + 1, "[]]", &len);
		feed(&js, (unsigned char *)in, len, o);
		out_flush(o);
		check("token count past limit",
		      m.p && !strncmp(m.p, "E:JSON token count limit exceeded\n", 34),
		      m.p ? m.p : "", "E:JSON token count limit exceeded");
		json_stream_free(&js);
		free(o);
		free(m.p);
	}
	free(in);

	/* token size: a message may hold just under 64 MiB of tokens */
	size_t big = JSON_MAX_TOKEN_SIZE;
	in = malloc(big + 100);
	memcpy(in, "[\"", 2);
	memset(in + 2, 'a', big - 4);
	strcpy(in + big - 2, "\"]");
	{
		struct mem m = { 0 };
		struct out *o = new_out(&m);
		struct json_stream js;
		json_stream_init(&js);
		/* tokens "[" + string + "]" = big bytes: size + 1 > limit */
		feed(&js, (unsigned char *)in, big, o);
		out_flush(o);
		check("token size past limit", m.p && !strcmp(m.p,
		      "E:JSON token size limit exceeded\n"),
		      m.p ? m.p : "", "token size limit, expecting value");
		free(m.p);
		m = (struct mem){ 0 };
		/* one byte less fits */
		memcpy(in + big - 3, "\"]", 3);
		feed(&js, (unsigned char *)in, big - 1, o);
		out_flush(o);
		check("token size at limit", m.p && m.len == big - 1 + 3 &&
		      !strncmp(m.p, "V:[\"aaa", 7), "(long)", "V:[\"aaa...\"]");
		free(m.p);
		m = (struct mem){ 0 };
		/* a single token over 64 MiB is cut; what follows is new input */
		in[0] = '"';
		memset(in + 1, 'b', big + 10);
		strcpy(in + big + 11, "\xff" PING);
		feed(&js, (unsigned char *)in, strlen(in), o);
		out_flush(o);
		check("single token past limit", m.p && !strcmp(m.p,
		      "E:JSON token size limit exceeded\n"
		      PERR("invalid keyword 'bbbbbbbbbb'") STRAY("\\uFFFD") PING_V),
		      m.p ? m.p : "", "token size limit, stray, ping");
		json_stream_free(&js);
		free(o);
		free(m.p);
	}
	free(in);
}

/* One object whose 131,072 keys all have the same low 18 bits of FNV-1a
 * (the hash the duplicate check used, seeded with the object's position,
 * 0): 17 pairs of 3-byte blocks that collide in those bits from the same
 * state, every choice of one per pair a key (Joux's multicollision; the low
 * bits of FNV-1a depend only on the low bits of its state).  Unkeyed, the
 * keys all probe one chain of the table: quadratic, 100,000 took 131 s. */
static uint32_t fnv1a(uint32_t h, const char *s, size_t n)
{
	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void test_key_collisions(void)
{
	enum { PAIRS = 17, KEYS = 1 << PAIRS, MASK = (1 << 18) - 1 };
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char pair[PAIRS][2][3], *in, *p;
	uint32_t *seen = malloc((MASK + 1) * sizeof(*seen)), h = 2166136261u, first = 0;
	struct timespec t0, t1;
	bool same = true;
	size_t n;

	for (int i = 0; i < PAIRS; i++) {
		memset(seen, 0xFF, (MASK + 1) * sizeof(*seen));
		for (uint32_t c = 0;; c++) {
			char b[3] = { set[c % 62], set[c / 62 % 62], set[c / 3844 % 62] };
			uint32_t l = fnv1a(h, b, 3) & MASK;
			if (seen[l] != UINT32_MAX) {
				uint32_t o = seen[l];
				char a[3] = { set[o % 62], set[o / 62 % 62], set[o / 3844 % 62] };
				memcpy(pair[i][0], a, 3);
				memcpy(pair[i][1], b, 3);
				break;
			}
			seen[l] = c;
		}
		h = fnv1a(h, pair[i][0], 3);
	}
	in = p = malloc((size_t)KEYS * (3 * PAIRS + 8) + 16);
	*p++ = '{';
	for (uint32_t k = 0; k < KEYS; k++) {
		uint32_t kh = 2166136261u;
		*p++ = '"';
		for (int i = 0; i < PAIRS; i++) {
			memcpy(p, pair[i][k >> i & 1], 3);
			kh = fnv1a(kh, p, 3);
			p += 3;
		}
		if (k == 0)
			first = kh & MASK;
		same &= (kh & MASK) == first;
		memcpy(p, "\":0", 3);
		p += 3;
		*p++ = k == KEYS - 1 ? '}' : ',';
	}
	n = (size_t)(p - in);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *got = run_split((unsigned char *)in, &n, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	char what[64];
	snprintf(what, sizeof(what), "%.2f s, same low bits: %d", secs, same);
	check("131,072 keys colliding in FNV-1a: one object parsed within 2 s", same &&
	      !strncmp(got, "V:{", 3) && secs < 2, what, "a value, < 2 s, same low bits: 1");
	/* and a duplicate among them is still found */
	memcpy(in + n - 4 - 3 * PAIRS, in + 2, 3 * PAIRS);
	free(got);
	got = run_split((unsigned char *)in, &n, 1);
	check("131,072 keys colliding in FNV-1a: a duplicate still found", !strcmp(got,
	      PERR("duplicate key")), got, PERR("duplicate key"));
	free(got);
	free(in);
	free(seen);
}

static void test_memory(void)
{
	struct mem m = { 0 };
	struct out *o = new_out(&m);
	struct json_stream js;
	size_t len;
	char *in = repeat("", "[", 1000000, "", &len);

	/* a million open brackets: one error, then values of 1024 that never
	 * close; the buffer holds at most one value's tokens */
	json_stream_init(&js);
	feed(&js, (unsigned char *)in, len, o);
	out_flush(o);
	check("deep nesting bounded", js.buf.cap <= 65536, "", "buffer <= 64 KiB");
	feed(&js, (const unsigned char *)"\xff" PING, sizeof(PING), o);
	out_flush(o);
	check("deep nesting recovers", m.len >= sizeof(PING_V) &&
	      !strcmp(m.p + m.len - (sizeof(PING_V) - 1), PING_V), "", PING_V);
	json_stream_free(&js);
	free(o);
	free(m.p);
	free(in);
}

/* Our calendar arithmetic against libc's gmtime_r/timegm, 1900 to 2300. */
static void test_caltime(void)
{
	long bad = 0, n = 0;

	for (long long s = -2208988800LL; s < 10413792000LL; s += 86400 * 3 + 3607) {
		time_t t = (time_t)s;
		struct tm want, got;

		gmtime_r(&t, &want);
		caltime_from_secs(s, &got);
		bad += want.tm_year != got.tm_year || want.tm_mon != got.tm_mon ||
		       want.tm_mday != got.tm_mday || want.tm_hour != got.tm_hour ||
		       want.tm_min != got.tm_min || want.tm_sec != got.tm_sec ||
		       caltime_to_secs(&want) != s || timegm(&want) != t;
		n++;
	}
	check("caltime matches gmtime_r and timegm", bad == 0 && n > 40000, "", "0 differences");
	check("str_find", str_find("a/devices/pci0000", "/pci") != NULL &&
	      !str_find("abc", "abcd") && !str_find("", "x") && *str_find("ab", "") == 'a',
	      "", "found / not found");
}

int main(void)
{
	test_caltime();
	test_framing();
	test_errors();
	test_reset();
	test_strings();
	test_numbers();
	test_num_conversions();
	test_limits();
	test_memory();
	test_key_collisions();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
