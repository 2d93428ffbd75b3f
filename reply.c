/* reply.c - the reply envelope (see reply.h), the one place that writes
 * it, and the 0xFF that guest-sync-delimited asks for on its call. */
#include <string.h>

#include "reply.h"

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
		return;
	}
	if (quiet)
		return;
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

void reply_input_error(struct out *o, const struct json_err *e)
{
	write_error(o, false, NULL, JV_NONE, ERR_GENERIC, e);
}
