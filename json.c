/* json.c - QEMU's JSON dialect: streaming lexer, streamer, in-place parser,
 * and the writer that formats replies as qemu-ga does.
 *
 * Lexer and streamer follow QEMU's observable behaviour byte for byte:
 * which bytes form which tokens, when a value is complete, which error a
 * bad input gets and how the stream recovers after it.  Tokens of the value
 * being collected are appended to one buffer as records
 *     [type:1][raw length:4][value:8][raw text]
 * and parsed there once the value is complete: strings are decoded over
 * their raw text, numbers and container extents go into the value field.
 */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "json.h"
#include "mem.h"
#include "num.h"
#include "options.h"

#define HDR 13

enum lex_state {
	S_START, S_RECOVERY, S_DQ, S_DQ_ESC, S_SQ, S_SQ_ESC, S_ZERO,
	S_SIGN, S_DIGITS, S_MANT, S_MANT_DIGITS, S_EXP_E, S_EXP_SIGN,
	S_EXP_DIGITS, S_KEYWORD,
};

/* Lexer actions; the low byte is a state or a token type. */
#define GO(s) (0x100 | (s))		/* take the byte, go to state s */
#define EMIT(t) (0x200 | (t))		/* take the byte, emit token t */
#define EMIT_LA(t) (0x300 | (t))	/* emit token t, look at byte again */
#define START_LA 0x500			/* recovery ends, look again */
#define ERROR 0x600			/* take the byte, token is invalid */

static bool is_digit(unsigned c) { return c - '0' < 10; }
static bool is_ws(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned lex(unsigned st, unsigned c)
{
	switch (st) {
	case S_START:
		switch (c) {
		case '"': return GO(S_DQ);
		case '\'': return GO(S_SQ);
		case '0': return GO(S_ZERO);
		case '-': return GO(S_SIGN);
		case '{': return EMIT(J_LCURLY);
		case '}': return EMIT(J_RCURLY);
		case '[': return EMIT(J_LSQUARE);
		case ']': return EMIT(J_RSQUARE);
		case ':': return EMIT(J_COLON);
		case ',': return EMIT(J_COMMA);
		}
		if (is_ws(c))
			return GO(S_START);	/* skipped, never part of a token */
		if (c >= '1' && c <= '9')
			return GO(S_DIGITS);
		if (c >= 'a' && c <= 'z')
			return GO(S_KEYWORD);
		return ERROR;
	case S_RECOVERY:
		/* skip to a structural byte, a control byte other than tab,
		 * or 0xFE/0xFF: a host forces a reset with those */
		if (c == '\t' || (c >= 0x20 && c <= 0xFD &&
				  !memchr("{}[]:,", (int)c, 6)))
			return GO(S_RECOVERY);
		return START_LA;
	case S_DQ:
	case S_SQ:
		if (c < 0x20 || c > 0xFD)
			return ERROR;
		if (c == '\\')
			return GO(st + 1);
		if (c == (st == S_DQ ? '"' : '\''))
			return EMIT(J_STRING);
		return GO(st);
	case S_DQ_ESC:
	case S_SQ_ESC:
		return c < 0x20 || c > 0xFD ? ERROR : GO(st - 1);
	case S_ZERO:
		if (is_digit(c))
			return ERROR;
		return c == '.' ? GO(S_MANT) : EMIT_LA(J_INTEGER);
	case S_SIGN:
		if (c == '0')
			return GO(S_ZERO);
		return c >= '1' && c <= '9' ? GO(S_DIGITS) : ERROR;
	case S_DIGITS:
		if (is_digit(c))
			return GO(S_DIGITS);
		if (c == 'e' || c == 'E')
			return GO(S_EXP_E);
		return c == '.' ? GO(S_MANT) : EMIT_LA(J_INTEGER);
	case S_MANT:
		return is_digit(c) ? GO(S_MANT_DIGITS) : ERROR;
	case S_MANT_DIGITS:
		if (is_digit(c))
			return GO(S_MANT_DIGITS);
		return c == 'e' || c == 'E' ? GO(S_EXP_E) : EMIT_LA(J_FLOAT);
	case S_EXP_E:
		if (c == '-' || c == '+')
			return GO(S_EXP_SIGN);
		return is_digit(c) ? GO(S_EXP_DIGITS) : ERROR;
	case S_EXP_SIGN:
		return is_digit(c) ? GO(S_EXP_DIGITS) : ERROR;
	case S_EXP_DIGITS:
		return is_digit(c) ? GO(S_EXP_DIGITS) : EMIT_LA(J_FLOAT);
	case S_KEYWORD:
		return c >= 'a' && c <= 'z' ? GO(S_KEYWORD) : EMIT_LA(J_KEYWORD);
	}
	return ERROR;
}

/* ---- record buffer ---- */

static bool jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + n < b->len)
		return false;
	if (b->len + n <= b->cap)
		return true;
	while (cap < b->len + n)
		cap *= 2;
	unsigned char *p = mem_realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void wr32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static uint32_t rec_raw(const struct jbuf *b, jv v) { return rd32(b->p + v + 1); }
static uint64_t rec_val(const struct jbuf *b, jv v) { return rd64(b->p + v + 5); }
static jv rec_after(const struct jbuf *b, jv v) { return v + HDR + rec_raw(b, v); }

/* Offset just past a value, containers included. */
static jv extent(const struct jbuf *b, jv v)
{
	enum jtype t = b->p[v];
	return t == J_OBJECT || t == J_ARRAY ? (jv)rec_val(b, v) : rec_after(b, v);
}

/* ---- stream ---- */

void json_stream_init(struct json_stream *js)
{
	memset(js, 0, sizeof(*js));
}

static void drop_tokens(struct json_stream *js)
{
	js->braces = js->brackets = 0;
	js->ntokens = js->token_size = 0;
	js->doomed = js->oom = false;
	js->buf.len = 0;
	/* a huge value leaves no huge buffer behind */
	if (js->buf.cap > 65536) {
		mem_free(js->buf.p);
		js->buf.p = NULL;
		js->buf.cap = 0;
	}
}

void json_stream_reset(struct json_stream *js)
{
	drop_tokens(js);
	js->state = S_START;
	js->msg_ready = false;
}

void json_done(struct json_stream *js)
{
	if (js->msg_ready) {
		drop_tokens(js);
		js->msg_ready = false;
	}
}

void json_stream_free(struct json_stream *js)
{
	mem_free(js->buf.p);
	json_stream_init(js);
}

static enum json_event fail(struct json_stream *js, const char *text)
{
	js->err = (struct json_err){ .pre = text };
	return JE_ERROR;
}

/* Running out of memory can only happen to a value near the limits; it is
 * then rejected as a whole, like a value past them. */
static void token_begin(struct json_stream *js)
{
	js->tok = js->buf.len;
	if (js->oom || !jbuf_reserve(&js->buf, HDR)) {
		js->oom = true;
		return;
	}
	memset(js->buf.p + js->tok, 0, HDR);
	js->buf.len += HDR;
}

static size_t cur_len(const struct json_stream *js)
{
	return js->oom ? 0 : js->buf.len - js->tok - HDR;
}

static void token_put(struct json_stream *js, unsigned char c)
{
	if (js->oom || !jbuf_reserve(&js->buf, 1)) {
		js->oom = true;
		return;
	}
	js->buf.p[js->buf.len++] = c;
	if (!js->doomed && js->token_size + cur_len(js) + 1 > JSON_MAX_TOKEN_SIZE) {
		/* this value will be rejected whatever follows; keep only the
		 * current token, which an error reply may quote */
		size_t n = js->buf.len - js->tok;
		memmove(js->buf.p, js->buf.p + js->tok, n);
		js->buf.len = n;
		js->tok = 0;
		js->doomed = true;
	}
}

static enum json_event parse(struct json_stream *js);

/* The streamer: queue a finished token, and decide whether the value is
 * complete, as json-streamer.c. */
static enum json_event emit(struct json_stream *js, enum jtype t)
{
	size_t len = cur_len(js);

	switch (t) {
	case J_LCURLY: js->braces++; break;
	case J_RCURLY: js->braces--; break;
	case J_LSQUARE: js->brackets++; break;
	case J_RSQUARE: js->brackets--; break;
	default: break;
	}
	if (js->oom)
		return fail(js, "out of memory");
	if (js->token_size + len + 1 > JSON_MAX_TOKEN_SIZE)
		return fail(js, "JSON token size limit exceeded");
	if (js->ntokens + 1 > JSON_MAX_TOKEN_COUNT)
		return fail(js, "JSON token count limit exceeded");
	if (js->braces + js->brackets > JSON_MAX_NESTING)
		return fail(js, "JSON nesting depth limit exceeded");
	js->buf.p[js->tok] = (unsigned char)t;
	wr32(js->buf.p + js->tok + 1, (uint32_t)len);
	js->ntokens++;
	js->token_size += len;
	if ((js->braces > 0 || js->brackets > 0) && js->braces >= 0 &&
	    js->brackets >= 0)
		return JE_NONE;
	return parse(js);
}

static enum json_event stray(struct json_stream *js)
{
	size_t n = cur_len(js);
	const unsigned char *t = n ? js->buf.p + js->tok + HDR : (const unsigned char *)"";
	const unsigned char *nul = memchr(t, 0, n);

	/* QEMU formats the token with %s: it ends at a NUL byte */
	js->err = (struct json_err){ "JSON parse error, stray '", t,
				     nul ? (size_t)(nul - t) : n, "'" };
	return JE_ERROR;
}

size_t json_feed(struct json_stream *js, const unsigned char *p, size_t n,
		 enum json_event *ev)
{
	size_t i = 0;

	*ev = JE_NONE;
	json_done(js);
	while (i < n && *ev == JE_NONE) {
		unsigned c = p[i], a = lex(js->state, c), arg = a & 0xFF;

		switch (a & 0xF00) {
		case 0x100:	/* GO */
			i++;
			if (arg == S_START || arg == S_RECOVERY) {
				js->state = (unsigned char)arg;
				break;	/* whitespace, or input being skipped */
			}
			if (js->state == S_START)
				token_begin(js);
			js->state = (unsigned char)arg;
			token_put(js, (unsigned char)c);
			if (cur_len(js) > JSON_MAX_TOKEN_SIZE) {
				/* QEMU's lexer cuts the token here and lexes
				 * the rest of it as new input */
				*ev = fail(js, "JSON token size limit exceeded");
				js->state = S_START;
			}
			break;
		case 0x200:	/* EMIT */
			if (js->state == S_START)
				token_begin(js);
			token_put(js, (unsigned char)c);
			i++;
			js->state = S_START;
			*ev = emit(js, arg);
			break;
		case 0x300:	/* EMIT_LA */
			js->state = S_START;
			*ev = emit(js, arg);
			break;
		case START_LA:
			js->state = S_START;
			break;
		default:	/* ERROR */
			if (js->state == S_START)
				token_begin(js);
			token_put(js, (unsigned char)c);
			i++;
			js->state = S_RECOVERY;
			*ev = stray(js);
			break;
		}
	}
	if (*ev != JE_NONE)
		js->msg_ready = true;
	return i;
}

/* ---- UTF-8 as QEMU's cutils: modified UTF-8, C0 80 is U+0000 ---- */

static bool valid_cp(int32_t cp)
{
	if (cp > 0x10FFFF || cp < 0)
		return false;
	if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
		return false;	/* noncharacters */
	return !(cp >= 0xD800 && cp <= 0xDFFF);
}

/* One sequence of at most n bytes: the code point, or -1 for an invalid
 * sequence; *used says how many bytes it took either way. */
static int32_t utf8_decode(const unsigned char *p, size_t n, size_t *used)
{
	static const int32_t min_cp[5] = { 0x80, 0x800, 0x10000, 0x200000,
					   0x4000000 };
	unsigned c = p[0], mask, len = 0, i;
	int32_t cp;

	*used = 1;
	if (c < 0x80)
		return (int32_t)c;
	if (c >= 0xFE || !(c & 0x40))
		return -1;
	for (mask = 0x80; c & mask; mask >>= 1)
		len++;
	cp = (int32_t)(c & (mask - 1));
	for (i = 1; i < len; i++) {
		if (i >= n || (p[i] & 0xC0) != 0x80) {
			*used = i;
			return -1;
		}
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	*used = len;
	if (!valid_cp(cp))
		return -1;
	if (cp < min_cp[len - 2] && !(cp == 0 && len == 2))
		return -1;	/* overlong, other than C0 80 */
	return cp;
}

static size_t utf8_encode(unsigned char *o, int32_t cp)
{
	if (cp > 0 && cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- parser ---- */

/* QEMU formats the detail into 1024 bytes, then prefixes it. */
static enum json_event perrf(struct json_stream *js, const char *f, int n,
			     const void *arg)
{
	char msg[1024];

	fmt(msg, sizeof(msg), f, n, (const char *)arg);
	fmt(js->errtext, sizeof(js->errtext), "JSON parse error, %s", msg);
	js->err = (struct json_err){ .pre = js->errtext };
	return JE_ERROR;
}

static enum json_event perr(struct json_stream *js, const char *msg)
{
	return perrf(js, "%.*s", (int)strlen(msg), msg);
}

static int hex4(const unsigned char *s, const unsigned char *end)
{
	int cp = 0, i;

	for (i = 0; i < 4; i++) {
		unsigned c = s + i < end ? s[i] : 0, d;

		if (is_digit(c))
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		cp = cp << 4 | (int)d;
	}
	return cp;
}

/* Decode a string token over its own raw text. */
static enum json_event parse_string(struct json_stream *js, jv v)
{
	unsigned char *raw = js->buf.p + v + HDR, *end = raw + rec_raw(&js->buf, v);
	unsigned char quote = raw[0], *r = raw + 1, *w = raw;
	size_t used;

	while (*r != quote) {
		if (*r != '\\') {
			int32_t cp = utf8_decode(r, (size_t)(end - r), &used);
			if (cp < 0)
				return perr(js, "invalid UTF-8 sequence in string");
			memmove(w, r, used);
			w += used;
			r += used;
			continue;
		}
		unsigned char *beg = r++;
		int32_t cp;
		switch (*r++) {
		case '"': *w++ = '"'; continue;
		case '\'': *w++ = '\''; continue;
		case '\\': *w++ = '\\'; continue;
		case '/': *w++ = '/'; continue;
		case 'b': *w++ = '\b'; continue;
		case 'f': *w++ = '\f'; continue;
		case 'n': *w++ = '\n'; continue;
		case 'r': *w++ = '\r'; continue;
		case 't': *w++ = '\t'; continue;
		case 'u':
			break;
		default:
			return perr(js, "invalid escape sequence in string");
		}
		cp = hex4(r, end);
		r += 4;
		if (cp >= 0xD800 && cp <= 0xDBFF && r + 1 < end && r[0] == '\\' &&
		    r[1] == 'u') {
			int lo = hex4(r + 2, end);
			cp = 0x10000 + ((cp & 0x3FF) << 10);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp |= lo & 0x3FF;
				r += 6;
			} else {
				cp = -1;
			}
		}
		if (!valid_cp(cp)) {
			size_t n = (size_t)((r < end ? r : end) - beg);
			return perrf(js, "%.*s is not a valid Unicode character",
				     (int)n, beg);
		}
		w += utf8_encode(w, cp);
	}
	*w = 0;		/* room: the quotes are gone */
	js->buf.p[v] = J_STR;
	wr64(js->buf.p + v + 5, (uint64_t)(w - raw));
	return JE_NONE;
}

/* Integers that fit int64 stay so, else uint64, else double, as QEMU. */
static void parse_number(struct json_stream *js, jv v)
{
	const char *s = (const char *)js->buf.p + v + HDR;
	size_t n = rec_raw(&js->buf, v);
	uint64_t bits;
	int64_t i;

	if (js->buf.p[v] == J_INTEGER) {
		switch (num_parse_int(s, n, &i, &bits)) {
		case NUM_INT:
			js->buf.p[v] = J_INT;
			wr64(js->buf.p + v + 5, (uint64_t)i);
			return;
		case NUM_UINT:
			js->buf.p[v] = J_UINT;
			wr64(js->buf.p + v + 5, bits);
			return;
		case NUM_DOUBLE:
			break;
		}
	}
	double d = num_to_double(s, n);
	memcpy(&bits, &d, 8);
	js->buf.p[v] = J_DOUBLE;
	wr64(js->buf.p + v + 5, bits);
}

static enum json_event parse_keyword(struct json_stream *js, jv v)
{
	const char *s = (const char *)js->buf.p + v + HDR;
	uint32_t n = rec_raw(&js->buf, v);

	if (n == 4 && !memcmp(s, "true", 4))
		js->buf.p[v] = J_TRUE;
	else if (n == 5 && !memcmp(s, "false", 5))
		js->buf.p[v] = J_FALSE;
	else if (n == 4 && !memcmp(s, "null", 4))
		js->buf.p[v] = J_NULL;
	else
		return perrf(js, "invalid keyword '%.*s'", n > 1100 ? 1100 : (int)n, s);
	return JE_NONE;
}

/* Keys seen per object, to reject duplicates in O(1) as QDict does. */
struct keyset {
	uint32_t *slot;		/* pairs (object, key), UINT32_MAX = empty */
	size_t mask;
	uint32_t small[2 * 64];
};

/* SipHash-1-3 keyed with a random seed per process: with an unkeyed hash
 * (FNV-1a before) a host can send keys that all land on one probe chain,
 * and the duplicate check turns quadratic (100,000 keys took 131 s). */
static uint64_t sip_k0, sip_k1;
static int sip_seeded;

static void sip_seed(void)
{
	uint64_t k[2];

	/* early boot may have no entropy yet: then clock and pid, which a
	 * host cannot see (not a secret key, only not its choice) */
	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		k[0] = (uint64_t)t.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)t.tv_sec;
		k[1] = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&t ^ k[0] * 31;
	}
	sip_k0 = k[0];
	sip_k1 = k[1];
	sip_seeded = 1;
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND							\
	do {								\
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;			\
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;			\
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* The object is part of the key, so its members spread over the table. */
static uint64_t key_hash(const unsigned char *m, size_t n, uint32_t obj)
{
	uint64_t k1 = sip_k1 ^ obj, b = (uint64_t)n << 56, w;
	uint64_t v0 = 0x736f6d6570736575u ^ sip_k0, v1 = 0x646f72616e646f6du ^ k1;
	uint64_t v2 = 0x6c7967656e657261u ^ sip_k0, v3 = 0x7465646279746573u ^ k1;
	size_t i, j;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, m + i, 8);	/* host order: any order spreads as well */
		v3 ^= w;
		SIPROUND;
		v0 ^= w;
	}
	for (j = 0; i + j < n; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static bool keyset_init(struct keyset *ks, size_t keys)
{
	size_t cap = 64;

	if (!sip_seeded)
		sip_seed();
	while (cap < 2 * keys)
		cap *= 2;
	ks->slot = cap == 64 ? ks->small : mem_alloc(cap * 2 * sizeof(uint32_t));
	if (!ks->slot)
		return false;
	memset(ks->slot, 0xFF, cap * 2 * sizeof(uint32_t));
	ks->mask = cap - 1;
	return true;
}

/* false if the object already has this key */
static bool keyset_add(struct keyset *ks, const struct jbuf *b, jv obj, jv key)
{
	size_t n, m;
	const char *k = jv_str(b, key, &n);
	size_t i = (size_t)key_hash((const unsigned char *)k, n, obj) & ks->mask;

	for (; ks->slot[2 * i] != UINT32_MAX; i = (i + 1) & ks->mask) {
		if (ks->slot[2 * i] != obj)
			continue;
		const char *o = jv_str(b, ks->slot[2 * i + 1], &m);
		if (m == n && !memcmp(o, k, n))
			return false;
	}
	ks->slot[2 * i] = obj;
	ks->slot[2 * i + 1] = key;
	return true;
}

enum { F_ARR, F_OBJ_KEY, F_OBJ_VAL };

/* QEMU's recursive descent parser, made iterative: the same checks in the
 * same order, so the first error found is the one QEMU reports. */
static enum json_event parse(struct json_stream *js)
{
	struct jbuf *b = &js->buf;
	struct { jv open, key; unsigned char st; } f[JSON_MAX_NESTING + 1];
	struct keyset ks;
	enum json_event ev = JE_NONE;
	size_t depth = 0, keys = 0;
	jv pos = 0, v;

	for (v = 0; v < b->len; v = rec_after(b, v))
		keys += b->p[v] == J_COLON;
	if (!keyset_init(&ks, keys))
		return fail(js, "out of memory");
value:
	if (pos >= b->len) {
		ev = perr(js, "premature EOI");
		goto out;
	}
	v = pos;
	pos = rec_after(b, pos);
	switch (b->p[v]) {
	case J_LCURLY:
	case J_LSQUARE:
		if (depth > JSON_MAX_NESTING) {
			ev = fail(js, "JSON nesting depth limit exceeded");
			goto out;
		}
		f[depth].open = v;
		f[depth].st = b->p[v] == J_LCURLY ? F_OBJ_KEY : F_ARR;
		depth++;
		if (pos < b->len && b->p[pos] == (b->p[v] == J_LCURLY ? J_RCURLY : J_RSQUARE))
			goto close;
		goto value;
	case J_STRING:
		ev = parse_string(js, v);
		break;
	case J_INTEGER:
	case J_FLOAT:
		parse_number(js, v);
		break;
	case J_KEYWORD:
		ev = parse_keyword(js, v);
		break;
	default:
		ev = perr(js, "expecting value");
		break;
	}
	if (ev != JE_NONE)
		goto out;
done:
	if (depth == 0) {
		ev = JE_MESSAGE;
		goto out;
	}
	if (f[depth - 1].st == F_OBJ_KEY) {
		if (b->p[v] != J_STR) {
			ev = perr(js, "key is not a string in object");
			goto out;
		}
		if (pos >= b->len || b->p[pos] != J_COLON) {
			ev = perr(js, pos >= b->len ? "premature EOI" :
				  "missing : in object pair");
			goto out;
		}
		f[depth - 1].key = v;
		f[depth - 1].st = F_OBJ_VAL;
		pos = rec_after(b, pos);
		goto value;
	}
	if (f[depth - 1].st == F_OBJ_VAL &&
	    !keyset_add(&ks, b, f[depth - 1].open, f[depth - 1].key)) {
		ev = perr(js, "duplicate key");
		goto out;
	}
	if (pos >= b->len) {
		ev = perr(js, "premature EOI");
		goto out;
	}
	if (b->p[pos] == (f[depth - 1].st == F_ARR ? J_RSQUARE : J_RCURLY))
		goto close;
	if (b->p[pos] != J_COMMA) {
		ev = perr(js, f[depth - 1].st == F_ARR ?
			  "expected separator in list" :
			  "expected separator in dict");
		goto out;
	}
	if (f[depth - 1].st == F_OBJ_VAL)
		f[depth - 1].st = F_OBJ_KEY;
	pos = rec_after(b, pos);
	goto value;
close:
	depth--;
	v = f[depth].open;
	pos = rec_after(b, pos);
	b->p[v] = b->p[v] == J_LCURLY ? J_OBJECT : J_ARRAY;
	wr64(b->p + v + 5, pos);
	goto done;
out:
	if (ks.slot != ks.small)
		mem_free(ks.slot);
	return ev;
}

/* ---- reading parsed values ---- */

enum jtype jv_type(const struct jbuf *b, jv v)
{
	return v == JV_NONE ? 0 : (enum jtype)b->p[v];
}

const char *jv_str(const struct jbuf *b, jv v, size_t *len)
{
	if (len)
		*len = (size_t)rec_val(b, v);
	return (const char *)b->p + v + HDR;
}

bool jv_int(const struct jbuf *b, jv v, int64_t *out)
{
	if (jv_type(b, v) != J_INT)
		return false;
	*out = (int64_t)rec_val(b, v);
	return true;
}

bool jv_uint(const struct jbuf *b, jv v, uint64_t *out)
{
	if (jv_type(b, v) != J_UINT)
		return false;
	*out = rec_val(b, v);
	return true;
}

double jv_double(const struct jbuf *b, jv v)
{
	uint64_t bits = rec_val(b, v);
	double d;

	if (b->p[v] == J_INT)
		return (double)(int64_t)bits;
	if (b->p[v] == J_UINT)
		return (double)bits;
	memcpy(&d, &bits, 8);
	return d;
}

jv jv_first(const struct jbuf *b, jv c)
{
	jv x = rec_after(b, c);
	enum jtype t = b->p[x];

	return t == J_RCURLY || t == J_RSQUARE ? JV_NONE : x;
}

jv jv_member_value(const struct jbuf *b, jv key)
{
	return rec_after(b, rec_after(b, key));
}

jv jv_next(const struct jbuf *b, jv e)
{
	jv x = extent(b, e);

	if (b->p[x] == J_COLON)		/* e is a key: skip its value */
		x = extent(b, rec_after(b, x));
	return b->p[x] == J_COMMA ? rec_after(b, x) : JV_NONE;
}

jv jv_get(const struct jbuf *b, jv obj, const char *key)
{
	size_t n = strlen(key), m;
	jv k;

	for (k = jv_first(b, obj); k != JV_NONE; k = jv_next(b, k)) {
		const char *s = jv_str(b, k, &m);
		if (m == n && !memcmp(s, key, n))
			return jv_member_value(b, k);
	}
	return JV_NONE;
}

size_t jv_count(const struct jbuf *b, jv c)
{
	size_t n = 0;
	jv e;

	for (e = jv_first(b, c); e != JV_NONE; e = jv_next(b, e))
		n++;
	return n;
}

/* QDict's bucket for a key: TDB's hash, 512 buckets. */
static unsigned qdict_bucket(const unsigned char *k, size_t n)
{
	uint32_t h = 0x238F13AFu * (uint32_t)n;
	size_t i;

	for (i = 0; i < n; i++)
		h += (uint32_t)k[i] << (i * 5 % 24);
	return (1103515243u * h + 12345u) % 512;
}

/* Insertion sort for the usual handful of members, counting sort over
 * the 512 buckets for more; either way newest first within a bucket. */
bool jv_order_init(struct jv_order *o, const struct jbuf *b, jv obj)
{
	size_t n = jv_count(b, obj), i, j, len;
	uint16_t sbk[JV_ORDER_SMALL], *bk = sbk;
	jv *tmp = NULL, k;

	o->n = n;
	o->keys = o->small;
	if (n > JV_ORDER_SMALL) {
		o->keys = mem_alloc(n * (2 * sizeof(jv) + sizeof(uint16_t)));
		if (!o->keys)
			return false;
		tmp = o->keys + n;
		bk = (uint16_t *)(tmp + n);
	}
	for (k = jv_first(b, obj), i = 0; k != JV_NONE; k = jv_next(b, k), i++) {
		const char *s = jv_str(b, k, &len);
		bk[i] = (uint16_t)qdict_bucket((const unsigned char *)s, len);
		if (tmp)
			tmp[i] = k;
		else
			o->keys[i] = k;
	}
	if (!tmp) {
		for (i = 1; i < n; i++) {
			jv key = o->keys[i];
			uint16_t kb = bk[i];
			for (j = i; j > 0 && bk[j - 1] >= kb; j--) {
				o->keys[j] = o->keys[j - 1];
				bk[j] = bk[j - 1];
			}
			o->keys[j] = key;
			bk[j] = kb;
		}
		return true;
	}
	uint32_t start[513] = { 0 };
	for (i = 0; i < n; i++)
		start[bk[i] + 1]++;
	for (i = 1; i < 513; i++)
		start[i] += start[i - 1];
	for (i = n; i--;)
		o->keys[start[bk[i]]++] = tmp[i];
	return true;
}

void jv_order_free(struct jv_order *o)
{
	if (o->keys != o->small)
		mem_free(o->keys);
}

/* ---- writer ---- */

void out_flush(struct out *o)
{
	if (o->len && !o->dead && o->sink(o, o->buf, o->len) < 0)
		o->dead = true;
	o->len = 0;
}

void out_bytes(struct out *o, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n) {
		size_t k = o->cap - o->len;
		if (k == 0) {
			out_flush(o);
			k = o->cap;
		}
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void out_lit(struct out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

void out_str_open(struct out *o) { out_bytes(o, "\"", 1); }
void out_str_close(struct out *o) { out_bytes(o, "\"", 1); }

static void out_u16(struct out *o, unsigned v)
{
	static const char hex[] = "0123456789ABCDEF";
	char t[6] = { '\\', 'u', hex[v >> 12 & 15], hex[v >> 8 & 15],
		      hex[v >> 4 & 15], hex[v & 15] };

	out_bytes(o, t, 6);
}

/* Escape as QEMU's json-writer: named escapes, \uXXXX (upper case) for
 * controls, DEL and all non-ASCII, surrogate pairs above the BMP, and
 * U+FFFD for each invalid sequence. */
void out_str_part(struct out *o, const void *p, size_t n)
{
	const unsigned char *s = p, *e;

	if (n == 0)
		return;		/* p may be NULL then: no pointer arithmetic on it */
	e = s + n;
	while (s < e) {
		const unsigned char *run = s;
		size_t used;

		while (s < e && *s >= 0x20 && *s < 0x7F && *s != '"' && *s != '\\')
			s++;
		out_bytes(o, run, (size_t)(s - run));
		if (s == e)
			break;
		int32_t cp = utf8_decode(s, (size_t)(e - s), &used);
		s += used;
		switch (cp) {
		case '"': out_bytes(o, "\\\"", 2); break;
		case '\\': out_bytes(o, "\\\\", 2); break;
		case '\b': out_bytes(o, "\\b", 2); break;
		case '\f': out_bytes(o, "\\f", 2); break;
		case '\n': out_bytes(o, "\\n", 2); break;
		case '\r': out_bytes(o, "\\r", 2); break;
		case '\t': out_bytes(o, "\\t", 2); break;
		default:
			if (cp < 0)
				cp = 0xFFFD;
			if (cp > 0xFFFF) {
				out_u16(o, 0xD800 + (unsigned)((cp - 0x10000) >> 10));
				out_u16(o, 0xDC00 + (unsigned)((cp - 0x10000) & 0x3FF));
			} else {
				out_u16(o, (unsigned)cp);
			}
		}
	}
}

void out_str(struct out *o, const void *p, size_t n)
{
	out_str_open(o);
	out_str_part(o, p, n);
	out_str_close(o);
}

void out_i64(struct out *o, int64_t v)
{
	char t[24];

	out_bytes(o, t, fmt_i64(t, v));
}

void out_u64(struct out *o, uint64_t v)
{
	char t[24];

	out_bytes(o, t, fmt_u64(t, v, 10));
}

void out_double(struct out *o, double v)
{
	char t[32];

	out_bytes(o, t, num_format_double(t, v));
}

void out_key(struct out *o, int *count, const char *key)
{
	if ((*count)++)
		out_bytes(o, ", ", 2);
	out_bytes(o, "\"", 1);
	out_lit(o, key);
	out_bytes(o, "\": ", 3);
}

void out_value(struct out *o, const struct jbuf *b, jv v)
{
	struct jv_order ord;
	size_t i, len;
	const char *s;
	jv e;

	switch (jv_type(b, v)) {
	case J_OBJECT:
		out_lit(o, "{");
		if (jv_order_init(&ord, b, v)) {
			for (i = 0; i < ord.n; i++) {
				if (i)
					out_lit(o, ", ");
				s = jv_str(b, ord.keys[i], &len);
				out_str(o, s, len);
				out_lit(o, ": ");
				out_value(o, b, jv_member_value(b, ord.keys[i]));
			}
			jv_order_free(&ord);
		}
		out_lit(o, "}");
		break;
	case J_ARRAY:
		out_lit(o, "[");
		for (e = jv_first(b, v), i = 0; e != JV_NONE; e = jv_next(b, e), i++) {
			if (i)
				out_lit(o, ", ");
			out_value(o, b, e);
		}
		out_lit(o, "]");
		break;
	case J_STR:
		s = jv_str(b, v, &len);
		out_str(o, s, len);
		break;
	case J_INT: out_i64(o, (int64_t)rec_val(b, v)); break;
	case J_UINT: out_u64(o, rec_val(b, v)); break;
	case J_DOUBLE: out_double(o, jv_double(b, v)); break;
	case J_TRUE: out_lit(o, "true"); break;
	case J_FALSE: out_lit(o, "false"); break;
	default: out_lit(o, "null"); break;
	}
}
