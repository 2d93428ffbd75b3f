/* daemon.c - pid file and daemon mode.
 *
 * The pid file is taken before the channel is opened, so a second
 * instance fails before it can replace the first one's socket.  It is
 * created with O_EXCL, or, left behind by a dead instance, reused only if
 * it is a plain file of ours with one link; never through a symlink, a
 * FIFO or a device.  The lock is flock(), which fork() keeps: the daemon
 * holds it for its life, and removes the name at exit only if it is still
 * the file it locked. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "fdio.h"
#include "fmt.h"

static int pid_fd = -1, pid_dir = -1;
static char pid_name[256];

/* The directory holding path, and its last component in pid_name: the
 * file is then reached through the directory, the same one after the
 * daemon's chdir("/") even for a relative path. */
static int open_parent(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char dir[4096];
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!*base || strlen(base) >= sizeof(pid_name) || n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!slash)
		strcpy(dir, ".");
	else if (!n)
		strcpy(dir, "/");	/* "/pid" */
	else
		memcpy(dir, path, n), dir[n] = 0;
	strcpy(pid_name, base);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Created, or left by a dead instance: a plain file of ours, one link.
 * O_NONBLOCK: a FIFO or device planted there cannot hold the open. */
static int open_pidfile(const char **why)
{
	const int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = openat(pid_dir, pid_name, flags | O_CREAT | O_EXCL, 0600);
	if (fd < 0 && errno == EEXIST)
		fd = openat(pid_dir, pid_name, flags);
	if (fd < 0) {
		*why = errno == ENOENT ? NULL : strerror(errno);	/* removed meanwhile: again */
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		*why = "not a plain file owned by this user";
		close(fd);
		return -1;
	}
	return fd;
}

/* Is fd still the file the name points to, not one unlinked meanwhile? */
static bool still_named(int fd)
{
	struct stat st, now;

	return fstat(fd, &st) == 0 && fstatat(pid_dir, pid_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	       now.st_ino == st.st_ino && now.st_dev == st.st_dev;
}

int pidfile_acquire(const char *path)
{
	const char *why = NULL;
	int fd = -1;

	if ((pid_dir = open_parent(path)) < 0) {
		why = strerror(errno);
		goto fail;
	}
	for (;;) {
		if ((fd = open_pidfile(&why)) < 0) {
			if (why)
				goto fail;
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			why = errno == EWOULDBLOCK ? "locked: another instance is running" :
						     strerror(errno);
			goto fail;
		}
		if (still_named(fd))
			break;
		close(fd);
	}
	pid_fd = fd;
	return 0;
fail:
	fmt_fd(2, "critical: cannot use pid file %s: %s\n", path, why);
	if (fd >= 0)
		close(fd);
	if (pid_dir >= 0)
		close(pid_dir);
	pid_dir = -1;
	return -1;
}

static void pidfile_write(void)
{
	char buf[24];
	size_t n = fmt(buf, sizeof(buf), "%d\n", (int)getpid());

	if (pid_fd >= 0 && ftruncate(pid_fd, 0) == 0)
		pwrite(pid_fd, buf, n, 0);
}

/* Only while the name is still our file: never another one put there. */
void pidfile_remove(void)
{
	if (pid_fd < 0)
		return;
	if (still_named(pid_fd))
		unlinkat(pid_dir, pid_name, 0);
	close(pid_fd);
	close(pid_dir);
	pid_fd = pid_dir = -1;
}

static void to_null(int fd)
{
	int n = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (n >= 0 && n != fd) {
		dup2(n, fd);
		close(n);
	}
}

void daemonize(void)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0) {
		fmt_fd(2, "critical: pipe: %s\n", strerror(errno));
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fmt_fd(2, "critical: fork: %s\n", strerror(errno));
		_exit(1);
	}
	if (pid > 0) {		/* wait for the child to be on its own */
		close(ready[1]);
		fd_read(ready[0], &c, 1);
		_exit(c == 'k' ? 0 : 1);
	}
	close(ready[0]);
	if (setsid() < 0 || chdir("/") < 0) {
		fmt_fd(2, "critical: failed to daemonize: %s\n", strerror(errno));
		_exit(1);
	}
	umask(077);
	pidfile_write();
	to_null(0);
	to_null(1);
	to_null(2);
	write(ready[1], "k", 1);
	close(ready[1]);
}
