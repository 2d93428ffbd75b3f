/* fuzz_json.c - libFuzzer target: the tokenizer, parser and writer.
 *
 * The first byte picks a chunk size, so one input is also fed the way a
 * channel delivers it, in pieces.  Every complete value is written back out
 * with out_value; that text must parse again, and a second round must
 * give as many bytes as the first.  Every error must say what went wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "options.h"

struct mem {
	unsigned char p[1 << 20];
	size_t len;
};

static int to_mem(struct out *o, const unsigned char *p, size_t n)
{
	struct mem *m = o->ctx;

	if (n > sizeof(m->p) - m->len)
		abort();	/* far more than any input this size can make */
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

/* two writers, each with its own buffer */
static unsigned char space_a[OUT_BUF_SIZE], space_b[OUT_BUF_SIZE];
static struct out out_a = { .buf = space_a, .cap = OUT_BUF_SIZE };
static struct out out_b = { .buf = space_b, .cap = OUT_BUF_SIZE };
static struct mem echo_a, echo_b, echo_c;

static void echo(struct json_stream *js, struct out *o, struct mem *m)
{
	m->len = 0;
	o->sink = to_mem;
	o->ctx = m;
	o->cap = OUT_BUF_SIZE;
	o->len = 0;
	out_value(o, &js->buf, 0);
	out_flush(o);
}

/* Parse in (an echo) and echo it again into out: it must parse. */
static void reparse(const struct mem *in, struct mem *out, struct out *o)
{
	static struct json_stream js;
	static int ready;
	const unsigned char *p = in->p;
	size_t n = in->len;
	int messages = 0;

	if (!ready) {
		json_stream_init(&js);
		ready = 1;
	}
	json_stream_reset(&js);
	while (n) {
		enum json_event ev;
		size_t used = json_feed(&js, p, n, &ev);

		p += used;
		n -= used;
		if (ev == JE_ERROR)
			abort();
		if (ev == JE_MESSAGE) {
			echo(&js, o, out);
			messages++;
		}
	}
	if (messages == 0) {	/* a bare number ends only at the next byte */
		enum json_event ev;
		json_feed(&js, (const unsigned char *)" ", 1, &ev);
		if (ev != JE_MESSAGE)
			abort();
		echo(&js, o, out);
	}
}

/* echo(parse(x)) settles after one round: the first may turn 1E5 into
 * 100000 and -0.0 into -0 (as qemu-ga's echo does).  Keys whose hashes
 * collide may swap places each round (QDict order depends on insertion),
 * so later rounds are compared by length. */
static void check_round_trip(void)
{
	/* numbers past double's range echo as inf, as qemu-ga's do: not JSON */
	if (memmem(echo_a.p, echo_a.len, "inf", 3))
		return;
	reparse(&echo_a, &echo_b, &out_b);
	reparse(&echo_b, &echo_c, &out_b);
	if (echo_b.len != echo_c.len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_stream js;
	static int ready;
	size_t chunk;

	if (!ready) {
		json_stream_init(&js);
		ready = 1;
	}
	if (size == 0)
		return 0;
	chunk = data[0] ? data[0] : size;
	data++;
	size--;
	while (size) {
		size_t n = size < chunk ? size : chunk;
		const unsigned char *p = data;

		data += n;
		size -= n;
		while (n) {
			enum json_event ev;
			size_t used = json_feed(&js, p, n, &ev);

			if (used > n)
				abort();
			p += used;
			n -= used;
			if (ev == JE_MESSAGE) {
				echo(&js, &out_a, &echo_a);
				check_round_trip();
			} else if (ev == JE_ERROR && !js.err.pre) {
				abort();	/* an error always says what */
			}
		}
		json_done(&js);
	}
	/* the next input starts on a clean stream, as after 0xFF */
	json_stream_reset(&js);
	return 0;
}
