/* power.h - the shutdown grace period, for the main loop (cmds/power.c).
 * Without the power group (HAVE_POWER 0) the hooks are no-ops: no
 * shutdown is ever pending. */
#ifndef TINYQGA_POWER_H
#define TINYQGA_POWER_H

#include "config.h"

#if HAVE_POWER
/* ms until a shutdown that did not happen is forced (0: now), -1 if none
 * is pending. */
int power_grace_ms(void);
/* When due: sync and reboot(2), the shutdown program having done nothing. */
void power_grace_check(void);
#else
static inline int power_grace_ms(void) { return -1; }
static inline void power_grace_check(void) {}
#endif

#endif
