/* reply.h - the envelope around every reply, as qemu-ga writes it:
 *     {"return": VALUE, "id": ID}\n
 *     {"id": ID, "error": {"class": CLASS, "desc": TEXT}}\n
 * "id" only when the request had one, and 0xFF first when the call asked
 * for it (guest-sync-delimited).  A handler starts VALUE with
 * reply_begin() (handler.h); the rest is written here. */
#ifndef TINYQGA_REPLY_H
#define TINYQGA_REPLY_H

#include "handler.h"

/* After the handler (or after the request failed before it): the error,
 * or the value ({} if none was written) and the id; a success of a
 * command that sends none (quiet) writes nothing.  Ends the call. */
void reply_finish(struct call *c, jv id, bool quiet);

/* The reply to input that is not a request: a parse or limit error. */
void reply_input_error(struct out *o, const struct json_err *e);

#endif
