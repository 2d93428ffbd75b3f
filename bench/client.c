/* client.c - the host side of the benchmarks: a small, fast QGA client.
 *
 * A Python client would measure Python; this one costs a few microseconds
 * per request, so the agent's time dominates.  Each mode prints one line of
 * numbers for bench/run to collect.
 *
 *   client ping SOCK N              sequential guest-ping: p50 p99 (us)
 *   client pipeline SOCK N          N pings in flight at once: pings/s
 *   client info SOCK N              sequential guest-info: requests/s
 *   client read SOCK PATH COUNT     whole file by guest-file-read: MB/s
 *   client exec SOCK N              guest-exec /bin/true + exec-status until
 *                                   exited: median round trip (us)
 *   client mixed SOCK N PATH        N mixed requests, sequential: requests/s
 *   client startup SOCK AGENT...    exec the agent: wall time to its first
 *                                   reply, then CPU time the agent used from
 *                                   exec through that reply to its exit after
 *                                   SIGTERM (us)
 *   client spawn - PROG ARGS...     fork, exec, exit of a program: wall (us),
 *                                   the kernel's floor under "startup"
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *buf;		/* replies; one line each */
static size_t buf_len, buf_cap;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "client: %s: %s\n", what, errno ? strerror(errno) : "unexpected");
	exit(1);
}

static int try_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The agent may still be starting, or finishing with the last client. */
static int connect_retry(const char *path)
{
	for (int i = 0; i < 20000; i++) {
		int fd = try_connect(path);
		if (fd >= 0)
			return fd;
		usleep(500);
	}
	die("connect");
	return -1;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

/* One reply line into buf, NUL-terminated in place of its newline.  Only
 * new bytes are searched: a 4 MiB read's reply arrives in many pieces. */
static char *recv_line(int fd)
{
	static size_t used;	/* the previous line, newline included */
	size_t scanned = 0;
	char *nl;

	if (used)
		memmove(buf, buf + used, buf_len - used);
	buf_len -= used;
	used = 0;
	for (;;) {
		if (buf_len > scanned && (nl = memchr(buf + scanned, '\n', buf_len - scanned))) {
			*nl = 0;
			used = (size_t)(nl - buf) + 1;
			return buf;
		}
		scanned = buf_len;
		if (buf_cap - buf_len < 65536) {
			buf_cap = buf_cap ? buf_cap * 2 : 1 << 20;
			if (!(buf = realloc(buf, buf_cap)))
				die("realloc");
		}
		ssize_t r = read(fd, buf + buf_len, buf_cap - buf_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read");
		buf_len += (size_t)r;
	}
}

/* The reply's last bytes hold "eof": no need to search 5 MB of base64. */
static int ends_with_eof(const char *reply)
{
	size_t n = strlen(reply);

	return n >= 32 && strstr(reply + n - 32, "\"eof\": true") != NULL;
}

static char *request(int fd, const char *req)
{
	send_all(fd, req, strlen(req));
	return recv_line(fd);
}

static long long number_after(const char *reply, const char *key)
{
	const char *p = strstr(reply, key);

	if (!p) {
		fprintf(stderr, "client: no %s in reply: %.200s\n", key, reply);
		exit(1);
	}
	return strtoll(p + strlen(key), NULL, 10);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double *samples(long n)
{
	double *s = calloc((size_t)n, sizeof(*s));

	if (!s)
		die("calloc");
	return s;
}

#define PING "{\"execute\":\"guest-ping\"}\n"

static void mode_ping(const char *sock, long n)
{
	int fd = connect_retry(sock);
	double *t = samples(n);

	for (long i = 0; i < n; i++) {
		double t0 = now_us();
		char *r = request(fd, PING);
		t[i] = now_us() - t0;
		if (strncmp(r, "{\"return\": {}}", 14))
			die("ping reply");
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.1f %.1f\n", t[n / 2], t[n * 99 / 100]);
}

/* Write every request while reading replies, so neither side blocks. */
static void mode_pipeline(const char *sock, long n)
{
	int fd = connect_retry(sock);
	size_t total = (size_t)n * (sizeof(PING) - 1), sent = 0;
	char *out = malloc(total), in[65536];
	long lines = 0;

	if (!out)
		die("malloc");
	for (long i = 0; i < n; i++)
		memcpy(out + (size_t)i * (sizeof(PING) - 1), PING, sizeof(PING) - 1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	double t0 = now_us();
	while (lines < n) {
		struct pollfd p = { fd, POLLIN | (sent < total ? POLLOUT : 0), 0 };
		if (poll(&p, 1, 10000) <= 0)
			die("poll (agent stalled)");
		if ((p.revents & POLLOUT) && sent < total) {
			ssize_t w = write(fd, out + sent, total - sent);
			if (w > 0)
				sent += (size_t)w;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(fd, in, sizeof(in));
			if (r == 0)
				die("agent closed");
			for (ssize_t i = 0; i < r; i++)
				lines += in[i] == '\n';
		}
	}
	printf("%.0f\n", n / ((now_us() - t0) / 1e6));
}

static void mode_info(const char *sock, long n)
{
	int fd = connect_retry(sock);
	double t0 = now_us();

	for (long i = 0; i < n; i++)
		if (!strstr(request(fd, "{\"execute\":\"guest-info\"}\n"), "\"version\""))
			die("info reply");
	printf("%.0f\n", n / ((now_us() - t0) / 1e6));
}

static long long file_open(int fd, const char *path, const char *mode)
{
	char req[4200];

	snprintf(req, sizeof(req), "{\"execute\":\"guest-file-open\",\"arguments\":"
		 "{\"path\":\"%s\",\"mode\":\"%s\"}}\n", path, mode);
	return number_after(request(fd, req), "\"return\": ");
}

static void file_close(int fd, long long h)
{
	char req[128];

	snprintf(req, sizeof(req), "{\"execute\":\"guest-file-close\",\"arguments\":"
		 "{\"handle\":%lld}}\n", h);
	request(fd, req);
}

/* Reads until eof; returns the bytes read. */
static long long file_read_all(int fd, long long h, long count)
{
	char req[160];
	long long total = 0;

	snprintf(req, sizeof(req), "{\"execute\":\"guest-file-read\",\"arguments\":"
		 "{\"handle\":%lld,\"count\":%ld}}\n", h, count);
	for (;;) {
		char *r = request(fd, req);
		total += number_after(r, "\"count\": ");
		if (ends_with_eof(r))
			return total;
	}
}

static void mode_read(const char *sock, const char *path, long count)
{
	int fd = connect_retry(sock);
	double t0 = now_us();
	long long h = file_open(fd, path, "r");
	long long bytes = file_read_all(fd, h, count);

	file_close(fd, h);
	printf("%.1f\n", bytes / 1e6 / ((now_us() - t0) / 1e6));
}

static void mode_exec(const char *sock, long n)
{
	int fd = connect_retry(sock);
	double *t = samples(n);
	char req[160];

	for (long i = 0; i < n; i++) {
		double t0 = now_us();
		long long pid = number_after(request(fd, "{\"execute\":\"guest-exec\",\"arguments\":"
						   "{\"path\":\"/bin/true\"}}\n"), "\"pid\": ");
		snprintf(req, sizeof(req), "{\"execute\":\"guest-exec-status\",\"arguments\":"
			 "{\"pid\":%lld}}\n", pid);
		while (!strstr(request(fd, req), "\"exited\": true"))
			;
		t[i] = now_us() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.0f\n", t[n / 2]);
}

/* What a managing host sends over a VM's life, plus some mistakes. */
static void mode_mixed(const char *sock, long n, const char *path)
{
	static const char *const simple[] = {
		PING,
		"{\"execute\":\"guest-info\"}\n",
		"{\"execute\":\"guest-get-time\"}\n",
		"{\"execute\":\"guest-get-host-name\"}\n",
		"{\"execute\":\"guest-get-osinfo\"}\n",
		"{\"execute\":\"guest-network-get-interfaces\"}\n",
		"{\"execute\":\"guest-sync\",\"arguments\":{\"id\":12345}}\n",
		"{\"execute\":\"guest-no-such-command\"}\n",
		"{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":-1}}\n",
		"{\"execute\":[1,2,3]}\n",
	};
	int fd = connect_retry(sock);
	double t0 = now_us();
	long done = 0;

	while (done < n) {
		for (size_t i = 0; i < sizeof(simple) / sizeof(*simple) && done < n; i++, done++)
			request(fd, simple[i]);
		if (done + 3 <= n) {	/* a file round trip: three requests */
			long long h = file_open(fd, path, "r");
			char req[160];
			snprintf(req, sizeof(req), "{\"execute\":\"guest-file-read\","
				 "\"arguments\":{\"handle\":%lld,\"count\":4096}}\n", h);
			request(fd, req);
			file_close(fd, h);
			done += 3;
		} else {
			break;
		}
	}
	printf("%.0f\n", done / ((now_us() - t0) / 1e6));
}

/* fork and exec argv with stdout and stderr on /dev/null */
static pid_t spawn_quiet(char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void mode_startup(const char *sock, char **argv)
{
	double t0 = now_us(), t;
	pid_t pid = spawn_quiet(argv);

	for (;;) {
		int fd = try_connect(sock);
		if (fd >= 0) {
			if (!strncmp(request(fd, PING), "{\"return\"", 9)) {
				t = now_us() - t0;
				close(fd);
				break;
			}
			close(fd);
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			die("agent exited");
		usleep(100);
	}
	/* qemu-ga 7.2 can deadlock in its SIGTERM handler when the signal
	 * comes this early: give it 5 s, then SIGKILL, and say so */
	struct rusage ru;
	int hung = 0;
	kill(pid, SIGTERM);
	for (int i = 0; wait4(pid, NULL, WNOHANG, &ru) == 0; i++) {
		if (i == 5000) {
			kill(pid, SIGKILL);
			hung = 1;
			wait4(pid, NULL, 0, &ru);
			break;
		}
		usleep(1000);
	}
	if (hung)
		fprintf(stderr, "client: agent ignored SIGTERM for 5 s: killed\n");
	printf("%.0f %.0f\n", t, ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec);
}

static void mode_spawn(char **argv)
{
	double t0 = now_us();

	waitpid(spawn_quiet(argv), NULL, 0);
	printf("%.0f\n", now_us() - t0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: client MODE SOCK ARGS...\n");
		return 2;
	}
	const char *mode = argv[1], *sock = argv[2];
	long n = argc > 3 ? atol(argv[3]) : 0;

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "ping") && n > 0)
		mode_ping(sock, n);
	else if (!strcmp(mode, "pipeline") && n > 0)
		mode_pipeline(sock, n);
	else if (!strcmp(mode, "info") && n > 0)
		mode_info(sock, n);
	else if (!strcmp(mode, "read") && argc == 5)
		mode_read(sock, argv[3], atol(argv[4]));
	else if (!strcmp(mode, "exec") && n > 0)
		mode_exec(sock, n);
	else if (!strcmp(mode, "mixed") && argc == 5)
		mode_mixed(sock, n, argv[4]);
	else if (!strcmp(mode, "spawn") && argc > 3)
		mode_spawn(argv + 3);
	else if (!strcmp(mode, "startup") && argc > 3)
		mode_startup(sock, argv + 3);
	else {
		fprintf(stderr, "client: bad mode or arguments\n");
		return 2;
	}
	return 0;
}
