/* log.c - qemu-ga's log lines and its syslog lines for commands.
 *
 * The -l file is opened as root in what may be a shared directory, so
 * never through a symlink and O_NONBLOCK (a FIFO with no reader fails at
 * once instead of holding the start-up); only a plain file of ours with
 * one link (not a hard link to another file) or a character device
 * (/dev/console, /dev/kmsg) is written.  A plain file is truncated past
 * LOG_FILE_MAX. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "fmt.h"
#include "log.h"
#include "options.h"

static int log_fd = 2;
static bool verbose, enabled = true;
static bool bounded;	/* a plain file: LOG_FILE_MAX applies */
static long long log_size;

/* Why st is not a file to log to, or NULL. */
static const char *refuse(const struct stat *st)
{
	if (S_ISCHR(st->st_mode))
		return NULL;
	if (!S_ISREG(st->st_mode))
		return "not a regular file or character device";
	if (st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_nlink != 1)
		return "a hard link to another file";
	return NULL;
}

int log_open(const char *path, bool v)
{
	const char *why = NULL;
	struct stat st;
	int fd;

	verbose = v;
	if (!path)
		return 0;
	/* first without opening: a FIFO gets its own reason, not ENXIO */
	if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode) && (why = refuse(&st)))
		goto fail;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		  O_CLOEXEC, 0600);
	if (fd < 0) {
		why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		goto fail;
	}
	if (fstat(fd, &st) < 0 || (why = refuse(&st))) {	/* swapped meanwhile */
		why = why ? why : strerror(errno);
		close(fd);
		goto fail;
	}
	log_fd = fd;
	bounded = S_ISREG(st.st_mode);
	log_size = st.st_size;
	return 0;
fail:
	fmt_fd(2, "critical: unable to open specified log file %s: %s\n", path, why);
	return -1;
}

void log_enable(bool on)
{
	enabled = on;
}

static const char *const level_names[] = {
	"error", "critical", "warning", "message", "info", "debug",
};

/* "<seconds>.<micros>: <level>: " into line; its length. */
static size_t stamp(char *line, size_t cap, enum log_level lv)
{
	struct timespec t;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &t);
	n = fmt(line, cap, "%lld.", (long long)t.tv_sec);
	for (long us = t.tv_nsec / 1000, d = 100000; d; d /= 10)
		line[n++] = (char)('0' + us / d % 10);
	return n + fmt(line + n, cap - n, ": %s: ", level_names[lv]);
}

/* Past LOG_FILE_MAX (by what we wrote, then by the file's real size, as
 * logrotate may have truncated it) the file starts over with a note. */
static void keep_bounded(size_t next)
{
	char note[128];
	struct stat st;
	size_t n;

	if (!bounded || log_size + (long long)next <= LOG_FILE_MAX)
		return;
	if (fstat(log_fd, &st) == 0 && st.st_size + (long long)next <= LOG_FILE_MAX) {
		log_size = st.st_size;
		return;
	}
	if (ftruncate(log_fd, 0) < 0)
		return;
	n = stamp(note, sizeof(note), LOG_WARNING);
	n += fmt(note + n, sizeof(note) - n, "log file truncated: it reached %d bytes\n",
		 LOG_FILE_MAX);
	log_size = write_all(log_fd, note, n) < 0 ? 0 : (long long)n;
}

/* Without -v only errors and critical messages, as qemu-ga's default. */
void log_msg(enum log_level lv, const char *f, ...)
{
	char line[1024];
	va_list ap;
	size_t n;

	if (!enabled || (lv > LOG_CRITICAL && !verbose))
		return;
	n = stamp(line, sizeof(line), lv);
	va_start(ap, f);
	n += fmt_v(line + n, sizeof(line) - n, f, ap);
	va_end(ap);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	keep_bounded(n);
	if (write_all(log_fd, line, n) == 0)
		log_size += (long long)n;
}
/* RFC 3164 without a timestamp (the syslog daemon adds one), as the C
 * library's syslog() sends it.  The socket stays open; without /dev/log
 * (most initramfs images) a retry is made at most every 10 seconds. */
void log_command(const char *f, ...)
{
	static const struct sockaddr_un addr = { AF_UNIX, "/dev/log" };
	static int fd = -1;
	static time_t retry_at;
	char msg[512];
	va_list ap;
	size_t n, head;

	if (!enabled)
		return;
	head = fmt(msg, sizeof(msg), "<30>qemu-ga[%d]: info: ", (int)getpid());
	va_start(ap, f);
	n = head + fmt_v(msg + head, sizeof(msg) - head, f, ap);
	va_end(ap);
	if (n > sizeof(msg) - 1)
		n = sizeof(msg) - 1;
	log_debug("%s", msg + head);
	if (fd < 0 && time(NULL) >= retry_at) {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
			close(fd);
			fd = -1;
			retry_at = time(NULL) + 10;
		}
	}
	if (fd >= 0 && send(fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
		close(fd);	/* the daemon restarted: reconnect next time */
		fd = -1;
	}
}
