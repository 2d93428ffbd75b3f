/* cli.h - qemu-ga's command line and config file. */
#ifndef TINYQGA_CLI_H
#define TINYQGA_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct namelist {
	const char **v;
	size_t n;
};

struct config {
	bool daemonize, verbose, retry_path, dump;
	const char *method, *path, *logfile, *pidfile, *fsfreeze_hook, *statedir;
	struct namelist block, allow;
	int fsfreeze_timeout;		/* seconds; 0: never thaw by ourselves */
};

/* Fill *c from the config file and argv as qemu-ga does (file first, then
 * options over it).  Returns -1 to go on, or an exit status when the
 * invocation is complete (help, version, -b help, dump) or invalid (after
 * one line on stderr). */
int cli_parse(struct config *c, int argc, char **argv);

#endif
