/* json.h - streaming JSON tokenizer, in-place parser and reply writer.
 *
 * The dialect, limits and error texts are those of QEMU's JSON lexer,
 * streamer and parser, so every input gets the reply qemu-ga would give.
 * Input is consumed byte by byte and may stop anywhere; all state lives in
 * struct json_stream.  A complete top-level value is parsed in place in the
 * buffer that collected its tokens: no tree is allocated and strings are
 * decoded where they lie.
 */
#ifndef TINYQGA_JSON_H
#define TINYQGA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Token and value types stored in the message buffer. */
enum jtype {
	J_LCURLY = 1, J_RCURLY, J_LSQUARE, J_RSQUARE, J_COLON, J_COMMA,
	J_INTEGER, J_FLOAT, J_KEYWORD, J_STRING,
	/* after parsing */
	J_OBJECT, J_ARRAY, J_INT, J_UINT, J_DOUBLE, J_TRUE, J_FALSE, J_NULL,
	J_STR,
};

/* A parsed value: the offset of its record in the message buffer. */
typedef uint32_t jv;
#define JV_NONE UINT32_MAX

struct jbuf {
	unsigned char *p;
	size_t len, cap;
};

enum json_event { JE_NONE, JE_MESSAGE, JE_ERROR };

/* An error reply text in up to three parts: pre + mid (raw bytes, may be
 * long and need not be valid UTF-8) + suf. */
struct json_err {
	const char *pre;
	const unsigned char *mid;
	size_t midlen;
	const char *suf;
};

struct json_stream {
	unsigned char state;
	bool doomed;		/* this value is over the size limit already */
	bool oom;		/* ... or could not be stored */
	bool msg_ready;		/* a message or error awaits json_feed's caller */
	long braces, brackets;
	size_t ntokens;		/* tokens queued for this value */
	size_t token_size;	/* their text bytes */
	size_t tok;		/* offset of the current token's record */
	struct jbuf buf;	/* queued tokens, then the parsed value */
	struct json_err err;
	char errtext[1060];	/* details are cut at 1023 bytes as QEMU */
};

void json_stream_init(struct json_stream *js);
void json_stream_reset(struct json_stream *js);
void json_stream_free(struct json_stream *js);

/* Consume bytes until one event is ready; returns how many were consumed.
 * On JE_MESSAGE the value is at offset 0 of js->buf; on JE_ERROR js->err
 * holds the reply text.  Both stay valid until the next call. */
size_t json_feed(struct json_stream *js, const unsigned char *p, size_t n,
		 enum json_event *ev);

/* Release the last event's value now rather than at the next json_feed:
 * a large message should not stay resident while the agent waits. */
void json_done(struct json_stream *js);

/* Reading a parsed value. */
enum jtype jv_type(const struct jbuf *b, jv v);
const char *jv_str(const struct jbuf *b, jv v, size_t *len);
bool jv_int(const struct jbuf *b, jv v, int64_t *out);	/* J_INT only */
bool jv_uint(const struct jbuf *b, jv v, uint64_t *out);	/* J_UINT only */
double jv_double(const struct jbuf *b, jv v);		/* any number */
jv jv_first(const struct jbuf *b, jv container);	/* first elem/key */
jv jv_next(const struct jbuf *b, jv elem);	/* next elem/key or JV_NONE */
jv jv_member_value(const struct jbuf *b, jv key);
jv jv_get(const struct jbuf *b, jv obj, const char *key);
size_t jv_count(const struct jbuf *b, jv container);

/* Members of an object in the order QEMU's QDict iterates them (its hash
 * buckets): replies echo objects in that order and the dispatcher checks
 * members in it.  Small objects need no allocation; false on ENOMEM. */
#define JV_ORDER_SMALL 16
struct jv_order {
	jv *keys;
	size_t n;
	jv small[JV_ORDER_SMALL];
};
bool jv_order_init(struct jv_order *o, const struct jbuf *b, jv obj);
void jv_order_free(struct jv_order *o);

/* ---- writer ---- */

struct out;
typedef int (*out_sink)(struct out *o, const unsigned char *p, size_t n);

struct out {
	out_sink sink;		/* returns -1 when the reply must be dropped */
	void *ctx;
	bool dead;		/* the rest of this reply is discarded */
	size_t len, cap;
	unsigned char *buf;	/* cap bytes, given by whoever sets it up */
};

void out_flush(struct out *o);
void out_bytes(struct out *o, const void *p, size_t n);
void out_lit(struct out *o, const char *s);
void out_str(struct out *o, const void *p, size_t n);	/* quoted */
void out_str_open(struct out *o);
void out_str_part(struct out *o, const void *p, size_t n);	/* escaped */
void out_str_close(struct out *o);
void out_i64(struct out *o, int64_t v);
void out_u64(struct out *o, uint64_t v);
void out_double(struct out *o, double v);
void out_value(struct out *o, const struct jbuf *b, jv v);	/* echo */
/* `"key": ` after ", " unless it is the first member (*count counts). */
void out_key(struct out *o, int *count, const char *key);

#endif
