/* agent.c - tinyqga's main: configuration, daemon mode, signals, and the
 * one poll() loop that moves bytes from the channel through the tokenizer
 * to the dispatcher. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "dispatch.h"
#include "cli.h"
#include "daemon.h"
#include "exec.h"
#include "freeze.h"
#include "fmt.h"
#include "helper.h"
#include "log.h"
#include "options.h"
#include "port.h"
#include "power.h"
#include "reply.h"
#include "state.h"

struct settings settings;

static struct out reply;
static unsigned char reply_space[OUT_BUF_SIZE];

static int sink_to_port(struct out *o, const unsigned char *p, size_t n)
{
	return port_write(o->ctx, p, n);
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
		if (ev != JE_MESSAGE && ev != JE_ERROR)
			continue;
		port_reply_begin(o->ctx);
		if (ev == JE_MESSAGE)
			dispatch(o, &js->buf);
		else
			reply_input_error(o, &js->err);
	}
	json_done(js);
}

/* The loop's poll slots: the rest are guest-exec children's pipes. */
enum { SLOT_SIGNALS, SLOT_CHANNEL, SLOT_CHILDREN, SLOTS = SLOT_CHILDREN + POLL_CHILD_FDS };

/* The earlier of two poll timeouts in ms, -1 meaning none. */
static int sooner(int a, int b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

/* Act on the signals waiting in sfd; false once told to stop. */
static bool take_signals(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		/* as qemu-ga: frozen, the agent must stay to thaw */
		if (freeze_is_frozen() && si.ssi_signo != SIGCHLD && si.ssi_signo != SIGIO)
			continue;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			return false;
		if (si.ssi_signo == SIGCHLD) {
			helper_reap();
			exec_reap();
		}
	}
	return true;
}

/* Until SIGTERM/SIGINT, or until the channel is gone for good. */
static void serve_loop(struct port *p, int sfd, struct json_stream *js)
{
	static unsigned char in[READ_CHUNK];
	static struct pollfd pfd[SLOTS];
	struct out *o = &reply;

	o->sink = sink_to_port;
	o->ctx = p;
	o->buf = reply_space;
	o->cap = sizeof(reply_space);
	for (;;) {
		int timeout = port_want(p, &pfd[SLOT_CHANNEL]);
		int n, nchild;

		timeout = sooner(timeout, freeze_timeout_ms());	/* the auto-thaw */
		timeout = sooner(timeout, power_grace_ms());	/* a forced shutdown */
		pfd[SLOT_SIGNALS] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		nchild = exec_pollfds(pfd + SLOT_CHILDREN, SLOTS - SLOT_CHILDREN);
		n = poll(pfd, SLOT_CHILDREN + (nfds_t)nchild, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return;
		}
		if (n > 0 && (pfd[SLOT_SIGNALS].revents & POLLIN) && !take_signals(sfd))
			return;
		if (n > 0)
			exec_io(pfd + SLOT_CHILDREN, nchild);
		freeze_auto_thaw();
		power_grace_check();
		if (n > 0 && !pfd[SLOT_CHANNEL].revents && !pfd[SLOT_SIGNALS].revents)
			continue;	/* only children's pipes moved */
		switch (port_ready(p, n > 0 ? pfd[SLOT_CHANNEL].revents : 0)) {
		case PORT_NEW_PEER:
			/* a new conversation owes nothing to the last one */
			log_debug("new conversation on %s", p->path);
			json_stream_reset(js);
			o->len = 0;
			/* fall through */
		case PORT_DATA:
			serve_bytes(js, o, in, (size_t)port_read(p, in, sizeof(in)));
			out_flush(o);
			break;
		case PORT_GONE:
			return;
		case PORT_IDLE:
			break;
		}
	}
}

static void serve(struct port *p, int sfd)
{
	struct json_stream js;

	json_stream_init(&js);
	serve_loop(p, sfd, &js);
	json_stream_free(&js);	/* leak checkers see a clean exit */
}

/* The signals the loop takes from a signalfd: -1 after a line on stderr. */
static int open_signals(void)
{
	sigset_t mask;
	int sfd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGIO);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		fmt_fd(2, "critical: signalfd: %s\n", strerror(errno));
	return sfd;
}

/* Everything before the loop.  Returns -1 to serve, or the exit status
 * (help, version; 1 after one line saying what failed).  What it opened
 * is left for main() to close. */
static int start(struct config *cfg, struct port *port, int *sfd, int argc, char **argv)
{
	const char *given_method = NULL;
	int m, rc, inherited;

	/* before anything is opened: started with 0-2 closed, the pid file,
	 * socket or signalfd would land there and daemonize() would cover
	 * them with /dev/null */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;
	rc = cli_parse(cfg, argc, argv);
	if (rc >= 0)
		return rc;
	if ((inherited = port_inherit(port)) < 0)
		return 1;	/* it said why */
	if (inherited) {
		/* as qemu-ga: the socket decides, -m and -p are set aside */
		given_method = cfg->method;
		cfg->method = port_method_name(port->method);
	} else if ((m = port_method(cfg->method)) < 0) {
		fmt_fd(2, "critical: invalid channel method: %s\n", cfg->method);
		return 1;
	} else {
		port->method = (enum port_method)m;
		port->path = cfg->path ? cfg->path : port_default_path(port->method);
	}
	port->retry = cfg->retry_path;
	port->peers = (struct port_peers){ &cfg->peer_cids, &cfg->peer_uids, &cfg->peer_gids };
	if (!port->path) {
		fmt_fd(2, "critical: must specify a path for this channel\n");
		return 1;
	}
	if (log_open(cfg->logfile, cfg->verbose) < 0)
		return 1;	/* it said why */
	/* virtio-serial is also the default: overridden without a word */
	if (inherited && strcmp(given_method, cfg->method) && strcmp(given_method, DEFAULT_METHOD))
		log_msg(LOG_WARNING, "socket activation: method %s ignored, the inherited "
			"socket is %s", given_method, cfg->method);
	if (inherited && cfg->path)
		log_msg(LOG_WARNING, "socket activation: path %s ignored, serving the "
			"inherited socket %s", cfg->path, port->path);
	if (cfg->daemonize && pidfile_acquire(cfg->pidfile) < 0)
		return 1;
	commands_apply_policy(cfg->allow.n ? cfg->allow.v : NULL, cfg->allow.n,
			      cfg->block.v, cfg->block.n);

	if ((*sfd = open_signals()) < 0)
		return 1;
	if (port_open(port) < 0) {
		if (!cfg->retry_path) {
			fmt_fd(2, "critical: failed to open channel %s: %s\n", port->path,
			       strerror(errno));
			return 1;
		}
		log_msg(LOG_WARNING, "failed to initialize guest agent channel, will retry");
	}
	if (state_init(cfg->statedir) < 0) {
		if (port->method == PORT_UNIX && !port->inherited)
			unlink(port->path);	/* leave nothing behind; systemd's stays */
		return 1;
	}
	settings.fsfreeze_hook = cfg->fsfreeze_hook;
	settings.fsfreeze_timeout = cfg->fsfreeze_timeout;
	freeze_startup();
	if (cfg->daemonize)
		daemonize();
	log_debug("tinyqga %s serving %s on %s", TINYQGA_VERSION, cfg->method, port->path);
	return -1;
}

int main(int argc, char **argv)
{
	static struct config cfg;	/* static: leak checkers see what it holds */
	struct port port = { .fd = -1, .lfd = -1 };
	int sfd = -1, rc = start(&cfg, &port, &sfd, argc, argv);

	if (rc < 0) {
		serve(&port, sfd);
		/* as qemu-ga: a channel that fails without -r ends the
		 * agent with status 0, as a signal does */
		rc = 0;
	}
	port_close(&port);
	pidfile_remove();
	return rc;
}
