/* exec.h - guest-exec children, served by the agent's poll loop. */
#ifndef TINYQGA_EXEC_H
#define TINYQGA_EXEC_H

#include <poll.h>

/* Reap the children that exited (on SIGCHLD). */
void exec_reap(void);
/* The children's pipes that want I/O; returns how many were filled. */
int exec_pollfds(struct pollfd *p, int max);
/* Move data for those that poll() found ready. */
void exec_io(const struct pollfd *p, int n);

#endif
