/* cmds/core.c - guest-sync-delimited, guest-sync, guest-ping, guest-info.
 * Always built: hosts need these to find and resynchronise the agent. */
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "dispatch.h"	/* the table, for guest-info */
#include "handler.h"
#include "log.h"
#include "options.h"

struct sync_args { int64_t id; };

ARG_SPEC(sync_spec, struct sync_args) = {
	ARG(sync_spec, id, "id", ARG_INT, false),
	ARG_END
};

static int guest_sync_delimited(struct call *c, const struct sync_args *a)
{
	c->delimited = true;
	reply_begin(c);
	out_i64(c->out, a->id);
	return 0;
}
QGA_COMMAND(1, guest_sync_delimited, "guest-sync-delimited", sync_spec,
	    struct sync_args, CMD_FREEZE_SAFE | CMD_FUZZ_SAFE);

static int guest_sync(struct call *c, const struct sync_args *a)
{
	reply_begin(c);
	out_i64(c->out, a->id);
	return 0;
}
QGA_COMMAND(2, guest_sync, "guest-sync", sync_spec, struct sync_args,
	    CMD_FREEZE_SAFE | CMD_FUZZ_SAFE);

static int guest_ping(struct call *c)
{
	(void)c;
	log_command("guest-ping called");
	return 0;
}
QGA_COMMAND0(3, guest_ping, "guest-ping", CMD_FREEZE_SAFE | CMD_FUZZ_SAFE);

/* Keys in qemu-ga's order (its QDict hash order), newest command first.
 * The version is the qemu-ga one hosts compare against (make QGA_VERSION=). */
static int guest_info(struct call *c)
{
	struct out *o = c->out;
	size_t i = command_count();

	reply_begin(c);
	out_lit(o, "{\"version\": \"" QGA_VERSION "\", \"supported_commands\": [");
	while (i--) {
		const struct command *cmd = command_at(i);
		out_lit(o, command_enabled(i) ? "{\"enabled\": true, \"name\": \"" :
						"{\"enabled\": false, \"name\": \"");
		out_lit(o, cmd->name);
		out_lit(o, cmd->flags & CMD_NO_SUCCESS_RESPONSE ?
			   "\", \"success-response\": false}" :
			   "\", \"success-response\": true}");
		if (i)
			out_lit(o, ", ");
	}
	out_lit(o, "]}");
	return 0;
}
QGA_COMMAND0(6, guest_info, "guest-info", CMD_FREEZE_SAFE | CMD_FUZZ_SAFE);
