/* state.c - the state directory.
 *
 * qemu-ga keeps STATEDIR/qga.state ("[global]" / "fd_counter=N") so file
 * handles are never reused, even after a restart.  The directory is made
 * if missing (qemu-ga 7.2 exits instead), files in it are opened without
 * following symlinks and replaced atomically.
 *
 * Anyone who can create names in the directory could plant the frozen
 * marker (the agent would start frozen), a FIFO as qga.state (a blocking
 * open) or names that make every write fail, so a directory owned by
 * another user or writable by group or others is refused (qemu-ga uses
 * it).  Files in it count only if they are plain files of ours with one
 * link; they are opened O_NONBLOCK, so nothing there can block. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* renameat */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "fmt.h"
#include "num.h"
#include "state.h"

#define STATE_FILE "qga.state"
#define FIRST_HANDLE 1000	/* as qemu-ga */

static int dir_fd = -1;
static int64_t fd_counter = FIRST_HANDLE;

static int state_write(const char *name, const void *data, size_t len);

static int mkdirs(char *path)
{
	for (char *p = path + (*path == '/'); ; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		int rc = mkdir(path, 0700);
		*p = c;
		if (rc < 0 && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
	}
}

/* Ours, and only ours can add or replace names in it. */
static const char *unsafe_dir(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return strerror(errno);
	if (st.st_uid != geteuid())
		return "owned by another user";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/* A plain file of ours with one link, read-only; -1 with errno. */
static int open_own(const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int64_t parse_counter(const char *s)
{
	const char *k = s;
	uint64_t v;

	while (*k && strncmp(k, "fd_counter=", 11))
		k++;
	if (!*k)
		return -1;
	return num_scan(k + 11, 10, INT64_MAX, &v) ? (int64_t)v : -1;
}

static int save_counter(void)
{
	char buf[64];
	size_t n = fmt(buf, sizeof(buf), "[global]\nfd_counter=%lld\n", (long long)fd_counter);

	return state_write(STATE_FILE, buf, n);
}

int state_init(const char *dir)
{
	const char *why = NULL;
	char path[4096], buf[256];
	ssize_t n;
	int fd;

	/* a relative path counts from where we were started: the directory is
	 * held open, so the daemon's chdir("/") does not move it */
	if (strlen(dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	strcpy(path, dir);
	if (mkdirs(path) < 0)
		goto fail;
	dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		goto fail;
	if ((why = unsafe_dir(dir_fd)))
		goto fail;
	fd = open_own(STATE_FILE);
	if (fd >= 0) {
		n = read_upto(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		int64_t v = parse_counter(buf);
		if (v >= FIRST_HANDLE)
			fd_counter = v;
		return 0;
	}
	/* missing, or not a plain file of ours: ours replaces it */
	if (save_counter() == 0)
		return 0;
fail:
	fmt_fd(2, "critical: failed to initialize state directory %s: %s\n", dir,
	       why ? why : strerror(errno));
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
	return -1;
}

/* Replace a file of the state directory atomically: temp file, fsync,
 * rename, fsync of the directory. 0 or -1 with errno. */
static int state_write(const char *name, const void *data, size_t len)
{
	char tmp[256];
	int fd, e;

	/* per process: two agents may share a state directory */
	fmt(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	unlinkat(dir_fd, tmp, 0);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto fail;
	close(fd);
	if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
		e = errno;
		unlinkat(dir_fd, tmp, 0);
		errno = e;
		return -1;
	}
	fsync(dir_fd);
	return 0;
fail:
	e = errno;
	close(fd);
	unlinkat(dir_fd, tmp, 0);
	errno = e;
	return -1;
}

int state_next_handle(int64_t *handle)
{
	*handle = fd_counter++;
	if (save_counter() < 0) {
		fd_counter--;
		return -1;
	}
	return 0;
}

/* An empty marker file, as qemu-ga's qga.state.isfrozen; written as any
 * state file, so whatever had the name is replaced, never opened. */
int state_touch(const char *name)
{
	return state_write(name, "", 0);
}

bool state_exists(const char *name)
{
	int fd = dir_fd >= 0 ? open_own(name) : -1;

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void state_remove(const char *name)
{
	unlinkat(dir_fd, name, 0);
	fsync(dir_fd);
}
