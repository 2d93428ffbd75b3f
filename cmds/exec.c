/* cmds/exec.c - guest-exec, guest-exec-status.
 *
 * Children are served from the agent's poll loop: their input is written
 * and their output read as the pipes allow, so a child that does not read
 * or fills its pipes never blocks the agent; they are reaped when SIGCHLD
 * arrives.  A child's status stays until the first guest-exec-status that
 * reports it exited, as qemu-ga; the table of such children is bounded.
 *
 * Differences from qemu-ga: errors say what failed with strerror's words
 * ("failed to execute '/bin/x': No such file or directory"; qemu-ga passes
 * on glib's text with curly quotes), and an unknown pid keeps 7.2's text
 * ("Invalid parameter 'pid'"; newest qemu-ga prints "PID ld does not
 * exist", a format string bug).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handler.h"
#include "b64.h"
#include "child.h"
#include "exec.h"
#include "fdio.h"
#include "fmt.h"
#include "log.h"
#include "mem.h"
#include "options.h"

#define EXEC_READ_STEP 65536

_Static_assert(POLL_CHILD_FDS >= 3 * EXEC_CHILDREN_MAX, "every child's pipes are polled");

struct stream {
	int fd;				/* -1 once at end of file */
	bool captured, truncated;
	unsigned char *buf;
	size_t len, cap;
};

static struct child {
	pid_t pid;
	uint64_t seq;	/* order of guest-exec: a reused pid answers its oldest first */
	bool reaped;
	int status;
	int in_fd;
	unsigned char *in;
	size_t in_len, in_off;
	struct stream out, err;
} children[EXEC_CHILDREN_MAX];
static int nchildren;
static uint64_t exec_seq;
static size_t exec_held;	/* bytes of output buffers and input, all children */

enum capture { CAP_NONE, CAP_STDOUT, CAP_STDERR, CAP_SEPARATED, CAP_MERGED };
static const char *const capture_names[] = {
	"none", "stdout", "stderr", "separated", "merged", NULL,
};

struct exec_args {
	const char *path;
	struct arg_list arg, env;
	const char *input;
	struct arg_alt capture;
};

ARG_SPEC(exec_spec, struct exec_args) = {
	ARG(exec_spec, path, "path", ARG_STR, false),
	ARG(exec_spec, arg, "arg", ARG_STR_LIST, true),
	ARG(exec_spec, env, "env", ARG_STR_LIST, true),
	ARG(exec_spec, input, "input-data", ARG_STR, true),
	ARG_ENUM_OF(exec_spec, capture, "capture-output", ARG_BOOL_OR_ENUM, true,
		    capture_names, "GuestExecCaptureOutput"),
	ARG_END
};

static int nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void child_free(struct child *ch)
{
	fd_drop(&ch->in_fd);
	fd_drop(&ch->out.fd);
	fd_drop(&ch->err.fd);
	if (ch->in)
		exec_held -= ch->in_len;
	exec_held -= ch->out.cap + ch->err.cap;
	mem_free(ch->in);
	mem_free(ch->out.buf);
	mem_free(ch->err.buf);
	*ch = children[--nchildren];
}

static int guest_exec(struct call *c, struct exec_args *a)
{
	int cap = CAP_NONE, in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int report[2] = { -1, -1 }, e = 0;
	char **argv = NULL, **envp, text[512];
	ssize_t inlen = 0;
	size_t i, n;
	pid_t pid = -1;
	jv s;

	if (a->capture.is_enum)
		cap = (int)a->capture.v;
	else if (arg_present(c, "capture-output"))
		cap = a->capture.v ? CAP_SEPARATED : CAP_NONE;
	if (a->input && (inlen = b64_arg(c, a->input)) < 0)
		return -1;
	if (nchildren == EXEC_CHILDREN_MAX)
		return call_error(c, "too many processes whose status has not been read (%d)",
				  EXEC_CHILDREN_MAX);
	/* input cannot be cut short like output: refused whole */
	if ((size_t)inlen > EXEC_TOTAL_MAX - exec_held)
		return call_error(c, "input-data of %zd bytes: over the %u MiB held for all "
				  "children (%zu in use)", inlen, EXEC_TOTAL_MAX >> 20, exec_held);
	argv = mem_alloc((a->arg.n + a->env.n + 4) * sizeof(char *));
	if (!argv)
		return call_error(c, "failed to execute '%s': %s", a->path, strerror(ENOMEM));
	argv[0] = (char *)a->path;
	n = fmt(text, sizeof(text), "%s", a->path);
	for (i = 0, s = a->arg.first; i < a->arg.n; i++, s = jv_next(c->doc, s)) {
		argv[1 + i] = (char *)jv_str(c->doc, s, NULL);
		if (n < sizeof(text))
			n += fmt(text + n, sizeof(text) - n, " %s", argv[1 + i]);
	}
	argv[1 + a->arg.n] = NULL;
	envp = argv + a->arg.n + 2;
	if (arg_present(c, "env")) {	/* replaces the environment, as qemu-ga */
		for (i = 0, s = a->env.first; i < a->env.n; i++, s = jv_next(c->doc, s))
			envp[i] = (char *)jv_str(c->doc, s, NULL);
		envp[a->env.n] = NULL;
	} else {
		/* qemu-ga hands over its own environment; tinyqga only PATH, so
		 * nothing the agent was started with reaches the host's programs */
		envp[0] = child_path_env();
		envp[1] = NULL;
	}
	log_command("guest-exec called: \"%s\"", text);

	if (pipe2(report, O_CLOEXEC) < 0 ||
	    (a->input && pipe2(in, O_CLOEXEC) < 0) ||
	    ((cap == CAP_STDOUT || cap == CAP_SEPARATED || cap == CAP_MERGED) && pipe2(out, O_CLOEXEC) < 0) ||
	    ((cap == CAP_STDERR || cap == CAP_SEPARATED) && pipe2(err, O_CLOEXEC) < 0)) {
		e = errno;
		goto fail;
	}
#ifdef TINYQGA_FUZZ
	abort();	/* a fuzz build never starts a program: a crash, found */
#endif
	pid = fork();
	if (pid < 0) {
		e = errno;
		goto fail;
	}
	if (pid == 0) {
		child_exec(a->path, argv, envp, in[0], out[1], cap == CAP_MERGED ? out[1] : err[1]);
		e = errno;
		write(report[1], &e, sizeof(e));
		_exit(127);
	}
	/* the child's copy of the report pipe closes on exec: nothing read
	 * means it runs; an errno means it could not */
	fd_drop(&report[1]);
	fd_read(report[0], &e, sizeof(e));
	if (e) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	struct child *ch = &children[nchildren++];
	memset(ch, 0, sizeof(*ch));
	ch->pid = pid;
	ch->seq = ++exec_seq;
	ch->in_fd = in[1];
	ch->out = (struct stream){ .fd = out[0], .captured = out[0] >= 0 };
	ch->err = (struct stream){ .fd = err[0], .captured = err[0] >= 0 };
	in[1] = out[0] = err[0] = -1;
	if (ch->in_fd >= 0) {
		ch->in_len = (size_t)inlen;
		ch->in = mem_alloc(ch->in_len ? ch->in_len : 1);
		if (ch->in) {
			memcpy(ch->in, a->input, ch->in_len);
			exec_held += ch->in_len;
		}
		nonblock(ch->in_fd);
		if (!ch->in || !ch->in_len)
			fd_drop(&ch->in_fd);
	}
	if (ch->out.fd >= 0)
		nonblock(ch->out.fd);
	if (ch->err.fd >= 0)
		nonblock(ch->err.fd);
	e = 0;
fail:
	fd_drop(&report[0]);
	fd_drop(&report[1]);
	for (int k = 0; k < 2; k++) {
		fd_drop(&in[k]);
		fd_drop(&out[k]);
		fd_drop(&err[k]);
	}
	mem_free(argv);
	if (e)
		return call_error(c, "failed to execute '%s': %s", a->path, strerror(e));
	reply_begin(c);
	out_lit(c->out, "{\"pid\": ");
	out_i64(c->out, pid);
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND(32, guest_exec, "guest-exec", exec_spec, struct exec_args, 0);

struct status_args {
	int64_t pid;
};

ARG_SPEC(status_spec, struct status_args) = {
	ARG(status_spec, pid, "pid", ARG_INT, false),
	ARG_END
};

static void out_stream(struct out *o, int *m, const char *key, const struct stream *s)
{
	out_key(o, m, key);
	out_lit(o, "\"");
	out_b64(o, s->buf, s->len);
	out_lit(o, "\"");
}

/* Exited means reaped and, with capture, both pipes at end of file: a
 * grandchild holding a pipe keeps the status "running", as qemu-ga. */
static int guest_exec_status(struct call *c, struct status_args *a)
{
	struct child *ch = NULL;
	struct out *o = c->out;
	int i;

	log_command("guest-exec-status called, pid: %u", (unsigned)(uint32_t)a->pid);
	exec_reap();
	/* a child exited and unread keeps its pid in the table after the
	 * kernel gave it to a newer one: the oldest is answered first, as
	 * qemu-ga's list */
	for (i = 0; i < nchildren; i++)
		if (children[i].pid == a->pid && (!ch || children[i].seq < ch->seq))
			ch = &children[i];
	if (!ch)
		return call_error(c, "Invalid parameter 'pid'");
	reply_begin(c);
	if (!ch->reaped || ch->out.fd >= 0 || ch->err.fd >= 0) {
		out_lit(o, "{\"exited\": false}");
		return 0;
	}
	/* qemu-ga's key order; data only when the stream gave some, each
	 * with its truncated flag */
	/* a stream with all its output dropped (EXEC_TOTAL_MAX reached) still
	 * says so: empty data, truncated */
	bool od = ch->out.captured && (ch->out.len || ch->out.truncated);
	bool ed = ch->err.captured && (ch->err.len || ch->err.truncated);
	int m = 0;
	out_lit(o, "{");
	if (WIFEXITED(ch->status)) {
		out_key(o, &m, "exitcode");
		out_i64(o, WEXITSTATUS(ch->status));
	}
	if (ed)
		out_stream(o, &m, "err-data", &ch->err);
	if (od)
		out_stream(o, &m, "out-data", &ch->out);
	if (ed) {
		out_key(o, &m, "err-truncated");
		out_lit(o, ch->err.truncated ? "true" : "false");
	}
	if (WIFSIGNALED(ch->status)) {
		out_key(o, &m, "signal");
		out_i64(o, WTERMSIG(ch->status));
	}
	if (od) {
		out_key(o, &m, "out-truncated");
		out_lit(o, ch->out.truncated ? "true" : "false");
	}
	out_key(o, &m, "exited");
	out_lit(o, "true}");
	child_free(ch);
	return 0;
}
QGA_COMMAND(31, guest_exec_status, "guest-exec-status", status_spec, struct status_args,
	    CMD_FUZZ_SAFE);

void exec_reap(void)
{
	for (int i = 0; i < nchildren; i++) {
		struct child *ch = &children[i];
		if (!ch->reaped && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid) {
			ch->reaped = true;
			fd_drop(&ch->in_fd);	/* nobody reads it any more */
		}
	}
}

int exec_pollfds(struct pollfd *p, int max)
{
	int n = 0;

	for (int i = 0; i < nchildren && n + 3 <= max; i++) {
		struct child *ch = &children[i];
		if (ch->out.fd >= 0)
			p[n++] = (struct pollfd){ ch->out.fd, POLLIN, 0 };
		if (ch->err.fd >= 0)
			p[n++] = (struct pollfd){ ch->err.fd, POLLIN, 0 };
		if (ch->in_fd >= 0)
			p[n++] = (struct pollfd){ ch->in_fd, POLLOUT, 0 };
	}
	return n;
}

/* Keep up to EXEC_OUTPUT_MAX, and all children's buffers within
 * EXEC_TOTAL_MAX; read and drop the rest so the child goes on. */
static void drain(struct stream *s)
{
	static unsigned char scrap[EXEC_READ_STEP];

	for (int rounds = 0; rounds < 16 && s->fd >= 0; rounds++) {
		unsigned char *to = scrap;
		size_t room = sizeof(scrap);
		if (s->len < EXEC_OUTPUT_MAX) {
			if (s->cap - s->len < EXEC_READ_STEP && s->cap < EXEC_OUTPUT_MAX) {
				size_t cap = s->cap ? s->cap * 2 : EXEC_READ_STEP;
				if (cap > EXEC_OUTPUT_MAX)
					cap = EXEC_OUTPUT_MAX;
				unsigned char *nb = cap - s->cap > EXEC_TOTAL_MAX - exec_held ? NULL :
						    mem_realloc(s->buf, cap);
				if (nb) {
					s->buf = nb;
					exec_held += cap - s->cap;
					s->cap = cap;
				}
			}
			if (s->cap > s->len) {
				to = s->buf + s->len;
				room = s->cap - s->len;
			}
		}
		ssize_t r = read(s->fd, to, room);
		if (r > 0) {
			if (to == scrap)
				s->truncated = true;
			else
				s->len += (size_t)r;
		} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			fd_drop(&s->fd);
		} else if (errno == EAGAIN) {
			break;
		}
	}
}

void exec_io(const struct pollfd *p, int n)
{
	for (int k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		for (int i = 0; i < nchildren; i++) {
			struct child *ch = &children[i];
			if (p[k].fd == ch->out.fd)
				drain(&ch->out);
			else if (p[k].fd == ch->err.fd)
				drain(&ch->err);
			else if (p[k].fd == ch->in_fd) {
				ssize_t w = write(ch->in_fd, ch->in + ch->in_off, ch->in_len - ch->in_off);
				if (w > 0)
					ch->in_off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || ch->in_off == ch->in_len) {
					fd_drop(&ch->in_fd);	/* all written, or EPIPE */
					if (ch->in)
						exec_held -= ch->in_len;
					mem_free(ch->in);
					ch->in = NULL;
				}
			}
		}
	}
}
