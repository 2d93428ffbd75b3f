/* child.c - see child.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fmt.h"
#include "mem.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)	/* linux/close_range.h, 5.11 */
#endif
#define CHILD_FD_SWEEP_MAX 65536	/* without close_range: descriptors looked at */

extern char **environ;

char *child_path_env(void)
{
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			return *e;
	return (char *)"PATH=" CHILD_DEFAULT_PATH;	/* execve only reads it */
}

/* The next place along *path where name may be, in full; false at the
 * end.  An empty element is the working directory, as for execvp. */
static bool path_next(const char **path, const char *name, char *full, size_t cap)
{
	while (**path) {
		const char *dir = *path;
		size_t n = strcspn(dir, ":");
		*path += n + (dir[n] == ':');
		if (n + strlen(name) + 2 <= cap) {
			fmt(full, cap, "%.*s%s%s", (int)n, dir, n ? "/" : "", name);
			return true;
		}
	}
	return false;
}

bool child_program_found(const char *name)
{
	const char *path = child_path_env() + 5;
	char full[PATH_MAX];

	while (path_next(&path, name, full, sizeof(full)))
		if (access(full, X_OK) == 0)
			return true;
	return false;
}

static void fds_cloexec(void)
{
	struct rlimit rl;
	long last = CHILD_FD_SWEEP_MAX;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)last)
		last = (long)rl.rlim_cur;
	for (int fd = 3; fd < last; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* execve, and for a file the kernel cannot run (no #!), /bin/sh with it */
static void exec_file(const char *file, char *const argv[], char *const envp[])
{
	size_t argc = 0;
	char **sh;

	execve(file, argv, envp);
	if (errno != ENOEXEC)
		return;
	while (argv[argc])
		argc++;
	sh = mem_alloc((argc + 2) * sizeof(char *));
	if (sh) {
		sh[0] = (char *)"/bin/sh";
		sh[1] = (char *)file;
		memcpy(sh + 2, argv + 1, argc * sizeof(char *));	/* with the NULL */
		execve("/bin/sh", sh, envp);
	}
	errno = ENOEXEC;
}

void child_exec(const char *name, char *const argv[], char *const envp[], int in, int out,
		int err)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	const char *path = child_path_env() + 5;
	char full[PATH_MAX];
	bool eacces = false;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);	/* the only one the agent ignores */
	dup2(in >= 0 ? in : null, 0);
	dup2(out >= 0 ? out : null, 1);
	dup2(err >= 0 ? err : null, 2);
	fds_cloexec();	/* also what the agent itself inherited */
	if (strchr(name, '/')) {
		exec_file(name, argv, envp);
		return;
	}
	for (char *const *e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	while (path_next(&path, name, full, sizeof(full))) {
		exec_file(full, argv, envp);
		eacces |= errno == EACCES;
	}
	errno = eacces ? EACCES : ENOENT;
}
