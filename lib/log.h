/* log.h - qemu-ga's log: "<seconds>.<micros>: <level>: <message>" lines to
 * the -l file or stderr, and command lines to syslog. */
#ifndef TINYQGA_LOG_H
#define TINYQGA_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_CRITICAL, LOG_WARNING, LOG_MESSAGE, LOG_INFO, LOG_DEBUG };

/* stderr until then; -1 with errno if the file cannot be opened. */
int log_open(const char *path, bool verbose);
/* Frozen filesystems may hold the log: nothing is written while off. */
void log_enable(bool on);
void log_msg(enum log_level lv, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* "guest-ping called" and the like: to syslog at info, as qemu-ga. */
void log_command(const char *f, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_error(...) log_msg(LOG_CRITICAL, __VA_ARGS__)

#endif
