/* sysread.h - reading /proc, /sys and /etc without stdio or malloc.
 *
 * Paths are absolute; $TINYQGA_SYSROOT, when set, is put in front of them
 * so tests can point the agent at a fixture tree of /proc and /sys. */
#ifndef TINYQGA_SYSREAD_H
#define TINYQGA_SYSREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "num.h"	/* parse_u64, for what these functions read */

int sys_open(const char *path, int flags);
/* realpath() and readlink() under the same root; out has PATH_MAX bytes. */
bool sys_realpath(const char *path, char *out);
ssize_t sys_readlink(const char *path, char *out, size_t cap);
/* The first byte of fd, as a status file (cpuN/online) is read: NULL,
 * or why not in qemu-ga's words (strerror, "unexpected EOF"). */
const char *read_first_byte(int fd, unsigned char *b);
/* Read a whole small file into buf (NUL-terminated, cut at cap-1);
 * returns the length or -1 with errno. */
ssize_t sys_read(const char *path, char *buf, size_t cap);

/* Lines of a file of any size, through a fixed buffer; a line longer than
 * the buffer is skipped. */
struct lines {
	int fd;
	size_t len, pos;
	bool eof;
	char buf[8192];
};
bool lines_open(struct lines *l, const char *path);
char *lines_next(struct lines *l);	/* NUL-terminated, no '\n'; NULL at end */
void lines_close(struct lines *l);

/* Entries of a directory in readdir order (kernfs order for sysfs). */
struct dirents {
	int fd;
	long len, pos;
	char buf[4096];
};
bool dir_open(struct dirents *d, const char *path);
bool dir_open_fd(struct dirents *d, int fd);	/* a directory opened elsewhere */
const char *dir_next(struct dirents *d, unsigned char *type);	/* skips . and .. */
void dir_close(struct dirents *d);

/* Split s on whitespace into at most max fields; returns the count. */
int split_ws(char *s, char **field, int max);

#endif
