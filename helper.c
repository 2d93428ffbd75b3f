/* helper.c - see helper.h.  The agent waits, as qemu-ga does: a helper
 * that never ends holds the agent (shutdown, hwclock and hooks end). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt.h"
#include "helper.h"

#define HELPER_OUTPUT_MAX 4096	/* of its output kept for the error text */

int run_program(char *const argv[], const char *input, char *output, size_t cap)
{
	char scrap[512];
	int pipe_out[2], pipe_in[2] = { -1, -1 }, status = 0;
	size_t len = 0;
	pid_t pid;

	if (!output || !cap) {
		output = scrap;
		cap = 1;
	}
	if (pipe2(pipe_out, O_CLOEXEC) < 0 || (input && pipe2(pipe_in, O_CLOEXEC) < 0))
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		dup2(input ? pipe_in[0] : null, 0);
		dup2(pipe_out[1], 1);
		dup2(pipe_out[1], 2);
		execvp(argv[0], argv);
		fmt_fd(2, "failed to exec '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipe_out[1]);
	if (input) {
		close(pipe_in[0]);
		if (pid > 0)
			write_all(pipe_in[1], input, strlen(input));
		close(pipe_in[1]);
	}
	if (pid < 0) {
		close(pipe_out[0]);
		return -1;
	}
	for (;;) {	/* keep what fits, read the rest so it can finish */
		ssize_t r = read(pipe_out[0], len + 1 < cap ? output + len : scrap,
				 len + 1 < cap ? cap - 1 - len : sizeof(scrap));
		if (r > 0 && len + 1 < cap)
			len += (size_t)r;
		else if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	close(pipe_out[0]);
	output[len] = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int run_helper(struct call *c, const char *action, char *const argv[], const char *input)
{
	char output[HELPER_OUTPUT_MAX + 1];
	int status = run_program(argv, input, output, sizeof(output));
	size_t len = strlen(output);

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
