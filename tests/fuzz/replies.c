/* replies.c - see replies.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "json.h"
#include "options.h"
#include "replies.h"
#include "reply.h"

struct mem {
	unsigned char p[8 << 20];
	size_t len;
};

static struct mem replies;

static int to_mem(struct out *o, const unsigned char *p, size_t n)
{
	(void)o;
	if (n > sizeof(replies.p) - replies.len)
		n = sizeof(replies.p) - replies.len;	/* checked below */
	memcpy(replies.p + replies.len, p, n);
	replies.len += n;
	return 0;
}

static struct out out_buf;
static unsigned char out_buf_space[OUT_BUF_SIZE];

/* Each reply line must itself parse as one JSON object. */
static void check_replies(void)
{
	static struct json_stream js;
	static int ready;
	const unsigned char *p = replies.p, *end = replies.p + replies.len;

	if (!ready) {
		json_stream_init(&js);
		ready = 1;
	}
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		int messages = 0;

		if (!nl)
			abort();	/* every reply ends its line */
		if (*p == 0xff) {	/* guest-sync-delimited's sentinel */
			p++;
			continue;
		}
		/* an echoed id past double's range is inf, as qemu-ga's: not JSON */
		if (memmem(p, (size_t)(nl - p), "inf", 3)) {
			p = nl + 1;
			continue;
		}
		json_stream_reset(&js);
		for (const unsigned char *q = p; q < nl;) {
			enum json_event ev;
			q += json_feed(&js, q, (size_t)(nl - q), &ev);
			if (ev == JE_ERROR)
				abort();
			messages += ev == JE_MESSAGE;
		}
		if (messages != 1)
			abort();
		p = nl + 1;
	}
}

void run_requests(const uint8_t *data, size_t size)
{
	static struct json_stream js;
	static int ready;
	struct out *o = &out_buf;

	if (!ready) {
		json_stream_init(&js);
		ready = 1;
	}
	replies.len = 0;
	o->sink = to_mem;
	o->ctx = NULL;
	o->buf = out_buf_space;
	o->cap = OUT_BUF_SIZE;
	o->len = 0;
	while (size) {
		enum json_event ev;
		size_t used = json_feed(&js, data, size, &ev);

		data += used;
		size -= used;
		if (ev == JE_MESSAGE)
			dispatch(o, &js.buf);
		else if (ev == JE_ERROR)
			reply_input_error(o, &js.err);
	}
	json_done(&js);
	out_flush(o);
	if (replies.len < sizeof(replies.p))
		check_replies();
	json_stream_reset(&js);
}
