/* sysread.c - see sysread.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdio.h"
#include "fmt.h"
#include "sysread.h"

static const char *sysroot(void)
{
	static const char *root;
	static bool looked;

	if (!looked) {
		root = getenv("TINYQGA_SYSROOT");
		if (root && !*root)
			root = NULL;
		looked = true;
	}
	return root;
}

/* path under the test root, or path itself */
static const char *rooted(const char *path, char *full, size_t cap)
{
	const char *root = sysroot();

	if (!root)
		return path;
	if (strlen(root) + strlen(path) >= cap)
		return NULL;
	strcpy(full, root);
	strcat(full, path);
	return full;
}

int sys_open(const char *path, int flags)
{
	char full[4096];
	const char *p = rooted(path, full, sizeof(full));

	if (!p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(p, flags | O_CLOEXEC);
}

bool sys_realpath(const char *path, char *out)
{
	char full[4096];
	const char *p = rooted(path, full, sizeof(full)), *root = sysroot();
	size_t r = root ? strlen(root) : 0;

	char link[32];
	ssize_t n;
	int fd;

	/* the kernel resolves it: musl's realpath costs 2 KB static */
	if (!p || (fd = open(p, O_PATH | O_CLOEXEC)) < 0)
		return false;
	fmt(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, PATH_MAX - 1);
	close(fd);
	if (n <= 0 || out[0] != '/')
		return false;
	out[n] = 0;
	if (r && !strncmp(out, root, r))
		memmove(out, out + r, strlen(out + r) + 1);
	return true;
}

ssize_t sys_readlink(const char *path, char *out, size_t cap)
{
	char full[4096];
	const char *p = rooted(path, full, sizeof(full));
	ssize_t n;

	if (!p || (n = readlink(p, out, cap - 1)) < 0)
		return -1;
	out[n] = 0;
	return n;
}

const char *read_first_byte(int fd, unsigned char *b)
{
	ssize_t n = pread(fd, b, 1, 0);

	return n < 0 ? strerror(errno) : n == 0 ? "unexpected EOF" : NULL;
}

ssize_t sys_read(const char *path, char *buf, size_t cap)
{
	int fd = sys_open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read_upto(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

bool lines_open(struct lines *l, const char *path)
{
	l->fd = sys_open(path, O_RDONLY);
	l->len = l->pos = 0;
	l->eof = false;
	return l->fd >= 0;
}

char *lines_next(struct lines *l)
{
	bool skipping = false;

	for (;;) {
		char *nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
		if (nl || (l->eof && l->pos < l->len)) {
			char *line = l->buf + l->pos;
			if (!nl)
				nl = l->buf + l->len;
			*nl = 0;
			l->pos = (size_t)(nl - l->buf) + 1;
			if (l->pos > l->len)
				l->pos = l->len;
			if (!skipping)
				return line;
			skipping = false;
			continue;
		}
		if (l->eof)
			return NULL;
		if (l->pos == 0 && l->len == sizeof(l->buf) - 1) {
			skipping = true;	/* overlong: drop what we have */
			l->len = 0;
		}
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
		ssize_t r = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			l->eof = true;
		else
			l->len += (size_t)r;
	}
}

void lines_close(struct lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

bool dir_open(struct dirents *d, const char *path)
{
	return dir_open_fd(d, sys_open(path, O_RDONLY | O_DIRECTORY));
}

bool dir_open_fd(struct dirents *d, int fd)
{
	d->fd = fd;
	d->len = d->pos = 0;
	return d->fd >= 0;
}

struct linux_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

const char *dir_next(struct dirents *d, unsigned char *type)
{
	for (;;) {
		if (d->pos >= d->len) {
			d->len = syscall(SYS_getdents64, d->fd, d->buf, sizeof(d->buf));
			d->pos = 0;
			if (d->len <= 0)
				return NULL;
		}
		struct linux_dirent64 *e = (struct linux_dirent64 *)(d->buf + d->pos);
		d->pos += e->reclen;
		if (e->name[0] == '.' && (!e->name[1] || (e->name[1] == '.' && !e->name[2])))
			continue;
		if (type)
			*type = e->type;
		return e->name;
	}
}

void dir_close(struct dirents *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int split_ws(char *s, char **field, int max)
{
	int n = 0;

	while (n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		field[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
	return n;
}
