/* freeze.h - the agent's frozen state, for the main loop. */
#ifndef TINYQGA_FREEZE_H
#define TINYQGA_FREEZE_H

#include <stdbool.h>

/* At start-up: a qga.state.isfrozen left behind means frozen. */
void freeze_startup(void);
bool freeze_is_frozen(void);
/* ms until the auto-thaw is due (0: now), -1 if none is. */
int freeze_timeout_ms(void);
void freeze_auto_thaw(void);

#endif
