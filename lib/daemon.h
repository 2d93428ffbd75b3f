/* daemon.h - pid file and detaching from the terminal. */
#ifndef TINYQGA_DAEMON_H
#define TINYQGA_DAEMON_H

/* Create or take over the pid file and lock it for the life of the
 * process; -1 after a message on stderr (another instance holds it, or the
 * path is not a plain file of ours). */
int pidfile_acquire(const char *path);
/* Fork into the background; the parent exits 0 once the child is running
 * with its pid written, 1 if the child failed.  Returns in the child. */
void daemonize(void);
void pidfile_remove(void);

#endif
