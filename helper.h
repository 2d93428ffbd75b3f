/* helper.h - running an external program the way newest qemu-ga does. */
#ifndef TINYQGA_HELPER_H
#define TINYQGA_HELPER_H

#include "agent.h"

/* Run argv (argv[0] searched in PATH) in its own session with stdin from
 * input (or /dev/null) and stdout+stderr captured, wait for it.  0 if it
 * exited 0; else call_error() with qemu-ga's text:
 *   "child process has failed to ACTION: OUTPUT" (or ": exit status N"),
 *   "child process has terminated abnormally[: OUTPUT]". */
int run_helper(struct call *c, const char *action, char *const argv[], const char *input);

/* The same without an error reply: the wait status (as waitpid's), or -1
 * if it could not be started; output, if not NULL, gets what it printed. */
int run_program(char *const argv[], const char *input, char *output, size_t cap);

#endif
