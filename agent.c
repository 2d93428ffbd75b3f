/* agent.c - tinyqga's main: options, signals, and the one poll() loop that
 * moves bytes from the channel through the tokenizer to the dispatcher. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent.h"
#include "fmt.h"
#include "mem.h"
#include "options.h"
#include "port.h"

static struct {
	struct out o;
	unsigned char buf[OUT_BUF_SIZE];
} reply_buf;

static int sink_to_port(struct out *o, const unsigned char *p, size_t n)
{
	return port_write(o->ctx, p, n);
}

/* Split comma lists into names; qemu-ga treats unknown names as no-ops. */
struct namelist {
	char **v;
	size_t n;
};

static void list_add(struct namelist *l, char *arg)
{
	char *save = NULL, *t;

	for (t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **v = mem_realloc(l->v, (l->n + 1) * sizeof(*v));
		if (!v)
			return;
		l->v = v;
		l->v[l->n++] = t;
	}
}

static void usage(const char *argv0)
{
	fmt_fd(1, "Usage: %s [-m <method> -p <path>] [<options>]\n"
	       "tinyqga " TINYQGA_VERSION ", a QEMU Guest Agent\n\n"
	       "  -m, --method      transport method: one of unix-listen, virtio-serial,\n"
	       "                    isa-serial, or vsock-listen (virtio-serial is the default)\n"
	       "  -p, --path        device/socket path (the default for virtio-serial is:\n"
	       "                    " DEFAULT_VIRTIO_PATH ",\n"
	       "                    the default for isa-serial is:\n"
	       "                    " DEFAULT_ISA_PATH "). Socket addresses for\n"
	       "                    vsock-listen are written as <cid>:<port>.\n"
	       "  -t, --statedir    specify dir to store state information (absolute paths\n"
	       "                    only, default is " DEFAULT_STATEDIR ")\n"
	       "  -v, --verbose     log extra debugging information\n"
	       "  -V, --version     print version information and exit\n"
	       "  -b, --block-rpcs  comma-separated list of RPCs to disable (no spaces,\n"
	       "                    use \"help\" to list available RPCs)\n"
	       "  -a, --allow-rpcs  comma-separated list of RPCs to enable (no spaces,\n"
	       "                    use \"help\" to list available RPCs)\n"
	       "  -h, --help        display this help and exit\n", argv0);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "?") || !strcmp(s, "help");
}

static void list_commands(void)
{
	for (size_t i = 0; i < command_count(); i++)
		fmt_fd(1, "%s\n", command_at(i)->name);
}

/* Feed one chunk from the channel through tokenizer and dispatcher. */
static void serve_bytes(struct json_stream *js, struct out *o,
			const unsigned char *p, size_t n)
{
	while (n) {
		enum json_event ev;
		size_t used = json_feed(js, p, n, &ev);

		p += used;
		n -= used;
		if (ev == JE_MESSAGE)
			dispatch(o, &js->buf);
		else if (ev == JE_ERROR)
			dispatch_error(o, &js->err);
	}
	json_done(js);
}

static int serve(struct port *p, int sfd)
{
	static unsigned char in[READ_CHUNK];
	struct json_stream js;
	struct out *o = &reply_buf.o;

	o->sink = sink_to_port;
	o->ctx = p;
	o->cap = OUT_BUF_SIZE;
	json_stream_init(&js);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN } };
		int timeout = port_want(p, &pfd[1]);
		int n = poll(pfd, 2, timeout);

		if (n < 0 && errno != EINTR) {
			fmt_fd(2, "critical: poll: %s\n", strerror(errno));
			return 1;
		}
		if (n > 0 && (pfd[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					return 0;
		}
		switch (port_ready(p, n > 0 ? pfd[1].revents : 0)) {
		case PORT_NEW_PEER:
			/* a new conversation owes nothing to the last one */
			json_stream_reset(&js);
			o->len = 0;
			/* fall through */
		case PORT_DATA:
			serve_bytes(&js, o, in, (size_t)port_read(p, in, sizeof(in)));
			out_flush(o);
			break;
		case PORT_IDLE:
			break;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", 1, NULL, 'm' }, { "path", 1, NULL, 'p' },
		{ "statedir", 1, NULL, 't' }, { "verbose", 0, NULL, 'v' },
		{ "version", 0, NULL, 'V' }, { "block-rpcs", 1, NULL, 'b' },
		{ "blacklist", 1, NULL, 'b' }, { "allow-rpcs", 1, NULL, 'a' },
		{ "help", 0, NULL, 'h' }, { "pidfile", 1, NULL, 'f' },
		{ "logfile", 1, NULL, 'l' }, { NULL, 0, NULL, 0 },
	};
	struct namelist block = { 0 }, allow = { 0 };
	bool have_allow = false;
	struct port port = { .method = PORT_VIRTIO };
	const char *method = DEFAULT_METHOD;
	sigset_t mask;
	int ch, m, sfd, rc;

	while ((ch = getopt_long(argc, argv, "m:p:t:vVb:a:hf:l:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm': method = optarg; break;
		case 'p': port.path = optarg; break;
		case 't': case 'v': case 'f': case 'l': break;
		case 'V':
			fmt_fd(1, "QEMU Guest Agent %s\n", TINYQGA_VERSION);
			return 0;
		case 'b':
		case 'a':
			if (is_help(optarg)) {
				list_commands();
				return 0;
			}
			list_add(ch == 'b' ? &block : &allow, optarg);
			have_allow |= ch == 'a';
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			fmt_fd(2, "Unknown option, try '%s --help' for more information.\n",
			       argv[0]);
			return 1;
		}
	}
	m = port_method(method);
	if (m < 0) {
		fmt_fd(2, "critical: invalid channel method: %s\n", method);
		return 1;
	}
	port.method = (enum port_method)m;
	if (!port.path)
		port.path = port_default_path(port.method);
	if (!port.path) {
		fmt_fd(2, "critical: must specify a path for this channel\n");
		return 1;
	}
	commands_apply_policy(have_allow ? (const char *const *)allow.v : NULL,
			      allow.n, (const char *const *)block.v, block.n);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGIO);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		fmt_fd(2, "critical: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (port_open(&port) < 0) {
		fmt_fd(2, "critical: failed to open channel %s: %s\n",
		       port.path, strerror(errno));
		return 1;
	}
	rc = serve(&port, sfd);
	port_close(&port);
	return rc;
}
