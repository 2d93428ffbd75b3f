/* state.h - the state directory: qga.state and friends, as qemu-ga. */
#ifndef TINYQGA_STATE_H
#define TINYQGA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Create the directory (0700) if missing and load or create qga.state;
 * -1 after a message on stderr. */
int state_init(const char *dir);
/* An empty file in the state directory, written atomically; 0 or -1
 * with errno. */
int state_touch(const char *name);
bool state_exists(const char *name);
void state_remove(const char *name);
/* The next guest-file handle: never reused, even across restarts. */
int state_next_handle(int64_t *handle);

#endif
