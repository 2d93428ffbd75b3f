/* fdio.h - the one loop that moves bytes through read() or write(), and
 * a close that keeps errno (as skalibs' allreadwrite and fd_close). */
#ifndef TINYQGA_FDIO_H
#define TINYQGA_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Move up to n bytes, past EINTR and short counts, until all moved, end
 * of file, or an error (EAGAIN included: a non-blocking descriptor ends
 * the loop).  Returns how many moved; when short, errno says why, 0 at
 * end of file. */
size_t fd_read(int fd, void *buf, size_t n);
size_t fd_write(int fd, const void *buf, size_t n);

/* Read until cap bytes or end of file; -1 on an error. */
ssize_t read_upto(int fd, void *buf, size_t cap);
/* Write all n bytes; -1 on an error. */
int write_all(int fd, const void *buf, size_t n);

/* close() that leaves errno as it was: for error paths. */
void fd_close(int fd);
/* The same for *fd if open, which then reads -1. */
void fd_drop(int *fd);

#endif
