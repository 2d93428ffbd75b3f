/* daemon.c - pid file and daemon mode.
 *
 * The pid file is taken before the channel is opened, so a second
 * instance fails before it can replace the first one's socket.  It is
 * created with O_EXCL, or, left behind by a dead instance, reused only if
 * it is a plain file of ours with one link; never through a symlink.  The
 * lock is flock(), which fork() keeps: the daemon holds it for its life. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "fmt.h"

static int pid_fd = -1;
static const char *pid_path;

int pidfile_acquire(const char *path)
{
	struct stat st, now;
	const char *why;
	int fd;

	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			why = strerror(errno);
			goto fail;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    st.st_uid != geteuid()) {
			why = "not a plain file owned by this user";
			goto fail;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			why = errno == EWOULDBLOCK ? "locked: another instance is running" :
						     strerror(errno);
			goto fail;
		}
		/* still the file at that path, not one unlinked meanwhile? */
		if (stat(path, &now) == 0 && now.st_ino == st.st_ino && now.st_dev == st.st_dev)
			break;
		close(fd);
	}
	pid_fd = fd;
	pid_path = path;
	return 0;
fail:
	fmt_fd(2, "critical: cannot use pid file %s: %s\n", path, why);
	if (fd >= 0)
		close(fd);
	return -1;
}

static void pidfile_write(void)
{
	char buf[24];
	size_t n = fmt(buf, sizeof(buf), "%d\n", (int)getpid());

	if (pid_fd >= 0 && ftruncate(pid_fd, 0) == 0)
		pwrite(pid_fd, buf, n, 0);
}

void pidfile_remove(void)
{
	if (pid_fd >= 0) {
		unlink(pid_path);
		close(pid_fd);
		pid_fd = -1;
	}
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
		while (read(ready[0], &c, 1) < 0 && errno == EINTR)
			;
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
