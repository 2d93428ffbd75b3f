/* exec.h - guest-exec children, served by the agent's poll loop.  Without
 * the exec group (HAVE_EXEC 0) the hooks are no-ops: there are no
 * children. */
#ifndef TINYQGA_EXEC_H
#define TINYQGA_EXEC_H

#include <poll.h>

#include "config.h"

#if HAVE_EXEC
/* Reap the children that exited (on SIGCHLD). */
void exec_reap(void);
/* The children's pipes that want I/O; returns how many were filled. */
int exec_pollfds(struct pollfd *p, int max);
/* Move data for those that poll() found ready. */
void exec_io(const struct pollfd *p, int n);
#else
static inline void exec_reap(void) {}
static inline int exec_pollfds(struct pollfd *p, int max) { (void)p; (void)max; return 0; }
static inline void exec_io(const struct pollfd *p, int n) { (void)p; (void)n; }
#endif

#endif
