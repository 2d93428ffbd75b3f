/* dispatch.h - the command table, the policy applied to it, and the
 * dispatcher that runs one request against it. */
#ifndef TINYQGA_DISPATCH_H
#define TINYQGA_DISPATCH_H

#include "handler.h"

/* The command table as built, and the policy applied to it. */
size_t command_count(void);
const struct command *command_at(size_t i);
bool command_enabled(size_t i);
/* Enable exactly what the allow list (if any) and not the block list
 * names; lists are comma-separated strings, unknown names ignored. */
void commands_apply_policy(const char *const *allow, size_t nallow,
			   const char *const *block, size_t nblock);

/* Frozen filesystems: only CMD_FREEZE_SAFE commands, lists aside. */
void commands_set_frozen(bool frozen);

/* Run one complete request and write its reply, if any, to out
 * (reply_input_error() in reply.h answers input that is no request). */
void dispatch(struct out *out, const struct jbuf *doc);

#ifdef TINYQGA_FUZZ
/* Which commands a fuzz build runs (the others are decoded only): by
 * default those declared CMD_FUZZ_SAFE; a target that sets up its own
 * sandbox (fuzz_sysfiles) names its own. */
extern bool (*fuzz_may_run)(const struct command *cmd);
#endif

#endif
