/* reply.c - what a call answers: its error, kept until the reply, and
 * the envelope around its value (see reply.h), the one place that writes
 * it.  Both the dispatcher and argument decoding fail calls through here. */
#include <stdarg.h>
#include <string.h>

#include "fmt.h"
#include "mem.h"
#include "reply.h"

int call_error(struct call *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = fmt_alloc(fmt, ap);
	va_end(ap);
	mem_free(c->err_owned);
	c->err_owned = s;
	c->err = (struct json_err){ s ? s : "out of memory", NULL, 0, NULL };
	c->cls = ERR_GENERIC;
	c->failed = true;
	return -1;
}

void call_error_free(struct call *c)
{
	mem_free(c->err_owned);
	c->err_owned = NULL;
	c->failed = false;
}

int call_error_quoting(struct call *c, enum err_class cls, const char *pre,
		       const void *mid, size_t len, const char *suf)
{
	c->err = (struct json_err){ pre, mid, len, suf };
	c->cls = cls;
	c->failed = true;
	return -1;
}

/* The first bytes of any reply. */
static void reply_start(struct out *o, bool delimited)
{
	o->dead = false;	/* a dropped reply does not silence the next */
	if (delimited)
		out_bytes(o, "\xff", 1);
}

void reply_begin(struct call *c)
{
	reply_start(c->out, c->delimited);
	out_lit(c->out, "{\"return\": ");
	c->returned = true;
}

static void write_text(struct out *o, const char *s)
{
	if (s)
		out_str_part(o, s, strlen(s));
}

static void write_error(struct out *o, bool delimited, const struct jbuf *doc, jv id,
			enum err_class cls, const struct json_err *e)
{
	reply_start(o, delimited);
	out_lit(o, "{");
	if (id != JV_NONE) {
		out_lit(o, "\"id\": ");
		out_value(o, doc, id);
		out_lit(o, ", ");
	}
	out_lit(o, cls == ERR_COMMAND_NOT_FOUND ?
		   "\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"" :
		   "\"error\": {\"class\": \"GenericError\", \"desc\": \"");
	write_text(o, e->pre);
	out_str_part(o, e->mid, e->midlen);
	write_text(o, e->suf);
	out_lit(o, "\"}}\n");
}

void reply_finish(struct call *c, jv id, bool quiet)
{
	struct out *o = c->out;

	if (c->failed && !c->returned) {
		write_error(o, c->delimited, c->doc, id, c->cls, &c->err);
	} else if (!quiet) {
		if (!c->returned) {
			reply_begin(c);
			out_lit(o, "{}");
		}
		if (id != JV_NONE) {
			out_lit(o, ", \"id\": ");
			out_value(o, c->doc, id);
		}
		out_lit(o, "}\n");
	}
	call_error_free(c);
}

void reply_input_error(struct out *o, const struct json_err *e)
{
	write_error(o, false, NULL, JV_NONE, ERR_GENERIC, e);
}
