/* fdio.c - see fdio.h. */
#include <errno.h>
#include <unistd.h>

#include "fdio.h"

static size_t fd_move(int fd, char *p, size_t n, int out)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = out ? write(fd, p + done, n - done) : read(fd, p + done, n - done);
		if (r > 0) {
			done += (size_t)r;
		} else if (r == 0) {
			errno = out ? EPIPE : 0;
			break;
		} else if (errno != EINTR) {
			break;
		}
	}
	return done;
}

size_t fd_read(int fd, void *buf, size_t n)
{
	return fd_move(fd, buf, n, 0);
}

size_t fd_write(int fd, const void *buf, size_t n)
{
	return fd_move(fd, (char *)buf, n, 1);
}

ssize_t read_upto(int fd, void *buf, size_t cap)
{
	size_t n = fd_read(fd, buf, cap);

	return n < cap && errno ? -1 : (ssize_t)n;
}

int write_all(int fd, const void *buf, size_t n)
{
	return fd_write(fd, buf, n) == n ? 0 : -1;
}

void fd_close(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
}

void fd_drop(int *fd)
{
	if (*fd >= 0)
		fd_close(*fd);
	*fd = -1;
}
