/* dispatch.c - the command table, its policy, and request validation.
 *
 * Validation follows QEMU's qmp_dispatch: object check, members checked in
 * QDict order, command lookup, enabled check (before arguments, so a
 * disabled command says so whatever its arguments), argument decoding,
 * then the handler; reply.c writes the reply around what it returned.
 */
#include <stddef.h>
#include <string.h>

#include "args.h"
#include "dispatch.h"
#include "log.h"
#include "reply.h"

#define CMD(id) extern const struct command cmd_##id;
#include "commands.h"
#undef CMD

static const struct command *const table[] = {
#define CMD(id) &cmd_##id,
#include "commands.h"
#undef CMD
};

#define NCOMMANDS (sizeof(table) / sizeof(table[0]))

static bool disabled[NCOMMANDS];
static struct {
	const char *const *allow, *const *block;
	size_t nallow, nblock;
	bool frozen;
} policy;

size_t command_count(void) { return NCOMMANDS; }
const struct command *command_at(size_t i) { return table[i]; }
bool command_enabled(size_t i) { return !disabled[i]; }

static bool listed(const char *name, const char *const *list, size_t n)
{
	while (n--)
		if (!strcmp(list[n], name))
			return true;
	return false;
}

/* As newest qemu-ga: allowed if the allow list (when there is one) names
 * it, unless the block list does; while frozen only the freeze-safe
 * commands, whatever the lists say (so thaw can never be blocked). */
static void apply_policy(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = table[i]->name;
		if (policy.frozen)
			disabled[i] = !(table[i]->flags & CMD_FREEZE_SAFE);
		else
			disabled[i] = (policy.allow && !listed(name, policy.allow, policy.nallow)) ||
				      listed(name, policy.block, policy.nblock);
	}
}

void commands_apply_policy(const char *const *allow, size_t nallow,
			   const char *const *block, size_t nblock)
{
	policy.allow = allow;
	policy.nallow = nallow;
	policy.block = block;
	policy.nblock = nblock;
	apply_policy();
}

void commands_set_frozen(bool frozen)
{
	policy.frozen = frozen;
	apply_policy();
}

/* Check the request's members as qmp_dispatch_check_obj; returns the
 * "execute" value or JV_NONE after setting the error. */
static jv check_members(struct call *c, jv root)
{
	const struct jbuf *b = c->doc;
	struct jv_order ord;
	jv exec = JV_NONE;
	size_t i, len;

	if (!jv_order_init(&ord, b, root)) {
		call_error(c, "out of memory");
		return JV_NONE;
	}
	for (i = 0; i < ord.n; i++) {
		const char *k = jv_str(b, ord.keys[i], &len);
		jv v = jv_member_value(b, ord.keys[i]);

		if (len == 7 && !memcmp(k, "execute", 7)) {
			if (jv_type(b, v) != J_STR) {
				call_error(c, "QMP input member 'execute' must be a string");
				break;
			}
			exec = v;
		} else if (len == 9 && !memcmp(k, "arguments", 9)) {
			if (jv_type(b, v) != J_OBJECT) {
				call_error(c, "QMP input member 'arguments' must be an object");
				break;
			}
			c->args = v;
		} else if (!(len == 2 && !memcmp(k, "id", 2))) {
			call_error_quoting(c, ERR_GENERIC, "QMP input member '",
					   k, len, "' is unexpected");
			break;
		}
	}
	jv_order_free(&ord);
	if (!c->failed && exec == JV_NONE)
		call_error(c, "QMP input lacks member 'execute'");
	return c->failed ? JV_NONE : exec;
}

#ifdef TINYQGA_FUZZ
bool (*fuzz_may_run)(const struct command *cmd);
#endif

void dispatch(struct out *out, const struct jbuf *doc)
{
	struct call c = { .out = out, .doc = doc, .args = JV_NONE };
	_Alignas(max_align_t) unsigned char args[ARG_STRUCT_MAX];
	const struct command *cmd = NULL;
	jv root = 0, id = JV_NONE, exec;
	size_t i, len = 0;
	const char *name;

	if (jv_type(doc, root) != J_OBJECT) {
		call_error(&c, "QMP input must be a JSON object");
		goto reply;
	}
	id = jv_get(doc, root, "id");
	exec = check_members(&c, root);
	if (exec == JV_NONE)
		goto reply;
	name = jv_str(doc, exec, &len);
	for (i = 0; i < NCOMMANDS; i++)
		if (strlen(table[i]->name) == len && !memcmp(table[i]->name, name, len))
			break;
	if (i == NCOMMANDS) {
		call_error_quoting(&c, ERR_COMMAND_NOT_FOUND, "The command ",
				   name, len, " has not been found");
		goto reply;
	}
	cmd = table[i];
	log_debug("processing command %s", cmd->name);
	if (disabled[i]) {
		call_error_quoting(&c, ERR_COMMAND_NOT_FOUND, "Command ", name, len,
				   " has been disabled: the command is not allowed");
		goto reply;
	}
	memset(args, 0, sizeof(args));
	if (args_decode(&c, cmd->args, args) < 0)
		goto reply;
#ifdef TINYQGA_FUZZ
	if (fuzz_may_run ? !fuzz_may_run(cmd) : !(cmd->flags & CMD_FUZZ_SAFE))
		goto reply;	/* decoded, but it would change the machine */
#endif
	cmd->run(&c, args);
reply:
	reply_finish(&c, id, cmd && (cmd->flags & CMD_NO_SUCCESS_RESPONSE));
}
