/* log.c - qemu-ga's log lines and its syslog lines for commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"

static int log_fd = 2;
static bool verbose, enabled = true;

int log_open(const char *path, bool v)
{
	verbose = v;
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -1;
	log_fd = fd;
	return 0;
}

void log_enable(bool on)
{
	enabled = on;
}

static const char *const level_names[] = {
	"error", "critical", "warning", "message", "info", "debug",
};

/* Without -v only errors and critical messages, as qemu-ga's default. */
void log_msg(enum log_level lv, const char *f, ...)
{
	char line[1024];
	struct timespec t;
	va_list ap;
	size_t n;

	if (!enabled || (lv > LOG_CRITICAL && !verbose))
		return;
	clock_gettime(CLOCK_REALTIME, &t);
	n = fmt(line, sizeof(line), "%lld.", (long long)t.tv_sec);
	for (long us = t.tv_nsec / 1000, d = 100000; d; d /= 10)
		line[n++] = (char)('0' + us / d % 10);
	n += fmt(line + n, sizeof(line) - n, ": %s: ", level_names[lv]);
	va_start(ap, f);
	n += fmt_v(line + n, sizeof(line) - n, f, ap);
	va_end(ap);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	write_all(log_fd, line, n);
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
