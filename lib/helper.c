/* helper.c - see helper.h.  qemu-ga waits for its helpers without bound
 * and passes them its environment; here a helper that hangs, or leaves a
 * child holding its output pipe, is killed with its process group after
 * its timeout, and the agent answers again. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "fdio.h"
#include "fmt.h"
#include "helper.h"
#include "options.h"

#define HELPER_SLICE_MS 10	/* SIGCHLD goes to the signalfd: look this often */
#define HELPER_KILL_WAIT_MS 1000	/* for a killed helper to be reaped */
#define HELPER_ABANDONED_MAX 8	/* killed but not dead yet (stuck in D state) */

/* Helpers the agent no longer waits for: killed ones slow to die, and
 * shutdown programs left at work (with their output pipe, drained so
 * they never block on it). */
static struct {
	pid_t pid;
	int fd;
} abandoned[HELPER_ABANDONED_MAX];

/* Read and drop what is there; close at end of file or an error. */
static void drain(int *fd)
{
	char scrap[512];

	if (*fd < 0)
		return;
	while (fd_read(*fd, scrap, sizeof(scrap)) == sizeof(scrap))
		;
	if (errno != EAGAIN)
		fd_drop(fd);
}

void helper_reap(void)
{
	for (int i = 0; i < HELPER_ABANDONED_MAX; i++) {
		if (abandoned[i].pid <= 0)
			continue;
		drain(&abandoned[i].fd);
		if (waitpid(abandoned[i].pid, NULL, WNOHANG) != 0) {
			abandoned[i].pid = 0;
			fd_drop(&abandoned[i].fd);
		}
	}
}

/* Leave pid to helper_reap(), with its output pipe fd; false if full. */
static bool abandon(pid_t pid, int fd)
{
	for (int i = 0; i < HELPER_ABANDONED_MAX; i++)
		if (abandoned[i].pid <= 0) {
			abandoned[i].pid = pid;
			abandoned[i].fd = fd;
			return true;
		}
	return false;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);	/* a suspend does not count */
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* In the child: never returns. */
static void helper_child(char *const argv[], int in_fd, int out_fd)
{
	char *envp[] = { child_path_env(), NULL };

	setsid();	/* its own process group: killed as one */
	child_exec(argv[0], argv, envp, in_fd, out_fd, out_fd);
	fmt_fd(2, "failed to exec '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Kill the helper's process group; reap it if it dies soon, else leave it
 * to helper_reap(). */
static void helper_kill(pid_t pid, int *status)
{
	long long until = now_ms() + HELPER_KILL_WAIT_MS;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, WNOHANG) == 0) {
		if (now_ms() >= until) {
			abandon(pid, -1);
			return;
		}
		poll(NULL, 0, HELPER_SLICE_MS);
	}
}

/* Move input and output until the helper exited and its output ended (or,
 * exited, a grandchild keeps the pipe: what is there is taken).  Returns
 * false at the deadline. */
static bool helper_serve(pid_t pid, int *status, int in_fd, const char *input, int out_fd,
			 char *output, size_t cap, size_t *len, long long deadline)
{
	size_t in_len = input ? strlen(input) : 0, in_off = 0;
	bool exited = false;
	char scrap[512];

	for (;;) {
		struct pollfd p[2];
		int n = 0;
		if (!exited && waitpid(pid, status, WNOHANG) == pid)
			exited = true;
		if (out_fd >= 0)
			p[n++] = (struct pollfd){ out_fd, POLLIN, 0 };
		if (in_fd >= 0 && !exited)
			p[n++] = (struct pollfd){ in_fd, POLLOUT, 0 };
		long long left = deadline - now_ms();
		if (exited && (out_fd < 0 || left <= 0 || poll(p, 1, 0) <= 0))
			return true;
		if (left <= 0)
			return false;
		poll(p, (nfds_t)n, left < HELPER_SLICE_MS ? (int)left : HELPER_SLICE_MS);
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (p[k].fd == in_fd) {
				ssize_t w = write(in_fd, input + in_off, in_len - in_off);
				if (w > 0)
					in_off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len)
					fd_drop(&in_fd);
				continue;
			}
			/* keep what fits, read the rest so it can finish */
			bool keep = *len + 1 < cap;
			ssize_t r = read(out_fd, keep ? output + *len : scrap,
					 keep ? cap - 1 - *len : sizeof(scrap));
			if (r > 0 && keep)
				*len += (size_t)r;
			else if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				fd_drop(&out_fd);
		}
	}
}

/* At the deadline the helper is killed, or, with leave, left at work
 * (errno EINPROGRESS) where there is room to watch it. */
static int run_timed(char *const argv[], const char *input, char *output, size_t cap,
		     int timeout_ms, bool leave)
{
	char scrap[1];
	int pipe_out[2], pipe_in[2] = { -1, -1 }, status = 0;
	size_t len = 0;
	pid_t pid;
	bool done;

#ifdef TINYQGA_FUZZ
	abort();	/* a fuzz build never starts a program: a crash, found */
#endif
	helper_reap();
	if (!output || !cap) {
		output = scrap;
		cap = 1;
	}
	if (pipe2(pipe_out, O_CLOEXEC) < 0)
		return -1;
	if (input && pipe2(pipe_in, O_CLOEXEC) < 0) {
		fd_close(pipe_out[0]);
		fd_close(pipe_out[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		helper_child(argv, pipe_in[0], pipe_out[1]);
	fd_drop(&pipe_out[1]);
	fd_drop(&pipe_in[0]);
	if (pid < 0) {
		fd_close(pipe_out[0]);
		fd_drop(&pipe_in[1]);
		return -1;
	}
	fcntl(pipe_out[0], F_SETFL, O_NONBLOCK);
	if (pipe_in[1] >= 0)
		fcntl(pipe_in[1], F_SETFL, O_NONBLOCK);
	done = helper_serve(pid, &status, pipe_in[1], input, pipe_out[0], output, cap, &len,
			    now_ms() + timeout_ms);
	fd_drop(&pipe_in[1]);
	output[len] = 0;
	if (!done && leave && abandon(pid, pipe_out[0])) {
		errno = EINPROGRESS;
		return -1;
	}
	fd_drop(&pipe_out[0]);
	if (!done) {
		helper_kill(pid, &status);
		errno = ETIMEDOUT;
		return -1;
	}
	return status;
}

int run_program(char *const argv[], const char *input, char *output, size_t cap)
{
	return run_timed(argv, input, output, cap, HELPER_TIMEOUT_MS, false);
}

int run_helper(struct call *c, const char *action, char *const argv[], const char *input)
{
	return run_helper_timed(c, action, argv, input, HELPER_TIMEOUT_MS, false);
}

int run_helper_timed(struct call *c, const char *action, char *const argv[], const char *input,
		     int timeout, bool leave)
{
	char output[HELPER_OUTPUT_MAX + 1];
	int status = run_timed(argv, input, output, sizeof(output), timeout, leave);
	size_t len = strlen(output);

	if (status < 0 && errno == EINPROGRESS)
		return 1;
	if (status < 0 && errno == ETIMEDOUT)
		return call_error(c, "child process has failed to %s: no result after %d s",
				  action, timeout / 1000);
	if (status < 0)
		return call_error(c, "child process has failed to %s: %s", action, strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!WIFEXITED(status))
		return call_error(c, "child process has terminated abnormally%s%s", len ? ": " : "", output);
	if (len)
		return call_error(c, "child process has failed to %s: %s", action, output);
	return call_error(c, "child process has failed to %s: exit status %d", action,
			  WEXITSTATUS(status));
}
