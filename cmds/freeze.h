/* freeze.h - the agent's frozen state, for the main loop.  Without the
 * freeze group (HAVE_FREEZE 0) the hooks are no-ops: never frozen. */
#ifndef TINYQGA_FREEZE_H
#define TINYQGA_FREEZE_H

#include <stdbool.h>

#include "config.h"

#if HAVE_FREEZE
/* At start-up: a qga.state.isfrozen left behind means frozen. */
void freeze_startup(void);
bool freeze_is_frozen(void);
/* ms until the auto-thaw is due (0: now), -1 if none is. */
int freeze_timeout_ms(void);
void freeze_auto_thaw(void);
#else
static inline void freeze_startup(void) {}
static inline bool freeze_is_frozen(void) { return false; }
static inline int freeze_timeout_ms(void) { return -1; }
static inline void freeze_auto_thaw(void) {}
#endif

#endif
