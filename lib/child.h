/* child.h - what every program the agent starts gets, guest-exec's and
 * the helpers alike: descriptors 0-2 and no others, signals as a new
 * process has them, and one search of one PATH. */
#ifndef TINYQGA_CHILD_H
#define TINYQGA_CHILD_H

#include <stdbool.h>

/* Searched when the agent's environment has no PATH: systemd's default,
 * the PATH qemu-ga has when systemd starts it; the helpers live in sbin. */
#define CHILD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* "PATH=..." a child gets: the agent's own, else the default above. */
char *child_path_env(void);

/* Whether name (without '/') is an executable file along that PATH: what
 * child_exec() would run. */
bool child_program_found(const char *name);

/* In a forked child: in, out and err become descriptors 0-2 (-1:
 * /dev/null), every other descriptor is closed on exec, no signal is
 * blocked and SIGPIPE is back at its default.  Then name runs with argv
 * and envp; without '/' it is looked for along the PATH of envp, else the
 * agent's, else the default above (qemu-ga's g_spawn searches the same
 * way, its default being "/bin:/usr/bin"); a file without #! is run by
 * /bin/sh, as execvp does.  Returns only if nothing could run, with
 * errno. */
void child_exec(const char *name, char *const argv[], char *const envp[], int in, int out,
		int err);

#endif
