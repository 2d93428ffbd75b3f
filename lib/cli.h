/* cli.h - qemu-ga's command line and config file. */
#ifndef TINYQGA_CLI_H
#define TINYQGA_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "port.h"

struct namelist {
	const char **v;
	size_t n;
};

struct config {
	bool daemonize, verbose, retry_path, dump;
	const char *method, *path, *logfile, *pidfile, *fsfreeze_hook, *statedir;
	struct namelist block, allow;
	int fsfreeze_timeout;		/* seconds; 0: never thaw by ourselves */
	struct idlist peer_cids, peer_uids, peer_gids;	/* trusted beyond the defaults */
	struct cli_copy *copies;		/* the lists' text, for cli_free */
	char *file_text;		/* what cli_parse read; values point into it */
};

/* Fill *c from the config file and argv as qemu-ga does (file first, then
 * options over it).  Returns -1 to go on, or an exit status when the
 * invocation is complete (help, version, -b help, dump) or invalid (after
 * one line on stderr). */
int cli_parse(struct config *c, int argc, char **argv);

/* The same with the config file's text given instead of read (NULL: no
 * file; `name` is only for messages): what cli_parse does once it has
 * read the file.  The text is parsed in place and must outlive *c. */
int cli_parse_text(struct config *c, int argc, char **argv, const char *name,
		   char *text, size_t len);

/* Give back what parsing allocated (the agent keeps it for its life). */
void cli_free(struct config *c);

#endif
