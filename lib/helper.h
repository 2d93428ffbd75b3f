/* helper.h - running an external program the way newest qemu-ga does,
 * with what every program the agent starts gets: descriptors 0-2 only,
 * only PATH of the environment, and a bounded wait. */
#ifndef TINYQGA_HELPER_H
#define TINYQGA_HELPER_H

#include "handler.h"

/* Run argv (argv[0] searched in PATH) in its own session with stdin from
 * input (or /dev/null) and stdout+stderr captured, wait for it at most
 * HELPER_TIMEOUT_MS, then kill its process group.  0 if it
 * exited 0; else call_error() with qemu-ga's text:
 *   "child process has failed to ACTION: OUTPUT" (or ": exit status N"),
 *   "child process has terminated abnormally[: OUTPUT]",
 * or, ours, "child process has failed to ACTION: no result after N s". */
int run_helper(struct call *c, const char *action, char *const argv[], const char *input);
/* The same with another bound; with leave, a helper still at work then is
 * not killed but left to finish (reaped later) and 1 is returned: for
 * programs that must never be cut short, such as a shutdown. */
int run_helper_timed(struct call *c, const char *action, char *const argv[], const char *input,
		     int timeout_ms, bool leave);

/* The same without an error reply: the wait status (as waitpid's), or -1
 * if it could not be started (errno ETIMEDOUT: killed after
 * HELPER_TIMEOUT_MS); output, if not NULL, gets what it printed. */
int run_program(char *const argv[], const char *input, char *output, size_t cap);

/* Reap helpers killed after their timeout that took long to die, and
 * those left at work; on SIGCHLD. */
void helper_reap(void);

#endif
