/* port.c - open, watch, read and write the channel to the host.
 *
 * Differences from qemu-ga, on purpose:
 *  - virtio-serial with no host attached reports POLLHUP without pause;
 *    qemu-ga wakes 10 times a second and, with a reply pending, retries
 *    write() in a busy loop.  Here the port is left out of poll() while
 *    the host is absent, SIGIO (F_SETOWN + O_ASYNC) says when it returns,
 *    and a reply the absent host can no longer read is dropped.
 *  - every new conversation (accept, or the virtio host coming back) is
 *    reported as PORT_NEW_PEER so the caller restarts the tokenizer.
 *  - a socket client that resets its connection is just closed; qemu-ga
 *    7.2 exits on ECONNRESET.
 *  - a listening socket serves only trusted peers (struct port_peers):
 *    qemu-ga answers whoever connects.  Others are logged and closed
 *    before a byte of theirs is read.
 *  - socket activation (port_inherit): as qemu-ga, the inherited socket's
 *    family decides the method; beyond it, descriptor 3 must be a
 *    listening stream socket, checked at start with one clear line
 *    (qemu-ga only looks at the address), and the variables are removed
 *    even when LISTEN_PID is not ours.
 *  - a listener that reports a hang-up or error (shut down by another
 *    holder of the socket) is a failed channel, not a busy loop.
 *  - a unix socket is bound to a temporary name beside the path and
 *    renamed onto it after listen(): once the path exists it accepts, so
 *    whoever waits for the path (a unit, a script) never connects into
 *    the gap and gets "connection refused".
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>	/* rename */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "fmt.h"
#include "log.h"
#include "num.h"
#include "options.h"
#include "port.h"

static long now_ms(void);

static const char *const method_names[] = {
	[PORT_VIRTIO] = "virtio-serial", [PORT_ISA] = "isa-serial",
	[PORT_UNIX] = "unix-listen", [PORT_VSOCK] = "vsock-listen",
};

int port_method(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(method_names[i], name))
			return i;
	return -1;
}

const char *port_method_name(enum port_method m)
{
	return method_names[m];
}

const char *port_default_path(enum port_method m)
{
	return m == PORT_VIRTIO ? DEFAULT_VIRTIO_PATH :
	       m == PORT_ISA ? DEFAULT_ISA_PATH : NULL;
}

/* Raw 8-bit line as qemu-ga sets it: no translation, no echo, no flow
 * control, one byte satisfies a read.  Beyond qemu-ga: CLOCAL, so modem
 * status lines (a host side connecting or leaving) cause no hangup, and
 * input is flushed on the first open only, not when the line is reopened
 * with a request already waiting.  What arrives between open() and this
 * is echoed under the line's defaults, as with qemu-ga: hosts discard it
 * before guest-sync's reply (libvirt counts garbage then as normal). */
static int tty_make_raw(int fd, bool first)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -1;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | IGNPAR | PARMRK | INPCK |
				 ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF |
				 IXANY | IMAXBEL);
	t.c_oflag = 0;
	t.c_lflag = 0;
	t.c_cflag |= B38400 | CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (first)
		tcflush(fd, TCIFLUSH);
	return tcsetattr(fd, TCSANOW, &t);
}

static int open_device(struct port *p)
{
	int fd;

	if (p->method == PORT_ISA) {
		fd = open(p->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && tty_make_raw(fd, !p->reopened) < 0) {
			close(fd);
			fd = -1;
		}
	} else {
		fd = open(p->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		/* SIGIO when the host side opens or closes the port */
		if (fd >= 0 && (fcntl(fd, F_SETOWN, getpid()) < 0 ||
				fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK | O_ASYNC) < 0)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) == 0) {
		p->dev = st.st_rdev;
		p->ino = st.st_ino;
	}
	p->fd = fd;
	p->state = PORT_CONNECTED;
	p->reopened = true;	/* input is flushed on the first open only */
	return 0;
}

/* Unsigned decimal that fits 32 bits, ended by `end`; NULL otherwise. */
static const char *parse_u32(const char *s, char end, unsigned *v)
{
	uint64_t x;
	const char *p = num_scan(s, 10, UINT32_MAX, &x);

	if (!p || *p != end)
		return NULL;
	*v = (unsigned)x;
	return p + 1;
}

/* CID:PORT, both unsigned decimal as qemu-ga reads them. */
static int parse_vsock(const char *s, struct sockaddr_vm *a)
{
	unsigned cid, port;

	if (!(s = parse_u32(s, ':', &cid)) || !parse_u32(s, 0, &port))
		return -1;
	memset(a, 0, sizeof(*a));
	a->svm_family = AF_VSOCK;
	a->svm_cid = (unsigned)cid;
	a->svm_port = (unsigned)port;
	return 0;
}

/* Where to bind before the rename: ".NAME.PID" beside the path, or the
 * path itself when that name would not fit in sun_path. */
static void bind_name(char *out, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = fmt(out, size, "%.*s.%s.%ld", (int)dir, path, path + dir, (long)getpid());

	if (n >= size)
		fmt(out, size, "%s", path);
}

static int open_listener(struct port *p)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_vm vm;
	struct sockaddr *sa;
	socklen_t len;
	mode_t old;
	int fd, rc;

	if (p->method == PORT_UNIX) {
		if (strlen(p->path) >= sizeof(un.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		bind_name(un.sun_path, sizeof(un.sun_path), p->path);
		sa = (struct sockaddr *)&un;
		len = sizeof(un);
		unlink(un.sun_path);
		unlink(p->path);	/* as qemu-ga: replace what is there */
	} else {
		if (parse_vsock(p->path, &vm) < 0) {
			errno = EINVAL;
			return -1;
		}
		sa = (struct sockaddr *)&vm;
		len = sizeof(vm);
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* only root may talk to the agent: the socket is born 0600 */
	old = umask(0177);
	rc = bind(fd, sa, len);
	umask(old);
	if (rc < 0 || listen(fd, 1) < 0 ||
	    (sa == (struct sockaddr *)&un && strcmp(un.sun_path, p->path) &&
	     rename(un.sun_path, p->path) < 0)) {
		int e = errno;
		if (rc == 0 && sa == (struct sockaddr *)&un)
			unlink(un.sun_path);
		close(fd);
		errno = e;
		return -1;
	}
	struct stat st;
	if (p->method == PORT_UNIX && stat(p->path, &st) == 0) {
		p->dev = st.st_dev;
		p->ino = st.st_ino;
	}
	p->lfd = fd;
	p->state = PORT_LISTENING;
	return 0;
}

/* The address of inherited listener fd, for messages, in p->name. */
static void name_listener(struct port *p, int fd)
{
	union {
		struct sockaddr_un un;
		struct sockaddr_vm vm;
	} a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	fmt(p->name, sizeof(p->name), "fd %d", fd);
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return;
	if (p->method == PORT_VSOCK)
		fmt(p->name, sizeof(p->name), "%u:%u", (unsigned)a.vm.svm_cid,
		    (unsigned)a.vm.svm_port);
	else if (len > offsetof(struct sockaddr_un, sun_path)) {
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		const char *path = a.un.sun_path;
		bool abstract = !path[0];

		n = strnlen(path + abstract, n - abstract);
		fmt(p->name, sizeof(p->name), "%s%.*s", abstract ? "@" : "", (int)n,
		    path + abstract);
	}
}

/* Is fd a listening unix or vsock stream socket?  Its method, or -1 after
 * a line on stderr. */
static int listener_method(int fd)
{
	int domain, type, listening;
	socklen_t len = sizeof(int);
	const char *why = NULL;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		why = errno == ENOTSOCK ? "not a socket" : errno == EBADF ? "not open" :
		      strerror(errno);
	else if ((len = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) < 0 ||
		 (len = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) < 0)
		why = strerror(errno);
	else if (domain != AF_UNIX && domain != AF_VSOCK)
		why = "neither a unix nor a vsock socket";
	else if (type != SOCK_STREAM)
		why = "not a stream socket";
	else if (!listening)
		why = "not listening";
	if (!why)
		return domain == AF_UNIX ? PORT_UNIX : PORT_VSOCK;
	fmt_fd(2, "critical: socket activation: descriptor %d is %s\n", fd, why);
	return -1;
}

int port_inherit(struct port *p)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	const int fd = LISTEN_FDS_START;
	unsigned pid, nfds = 0;
	bool ours = pid_s && fds_s && parse_u32(pid_s, 0, &pid) &&
		    pid == (unsigned)getpid() && parse_u32(fds_s, 0, &nfds);
	int m, flags;

	/* in every case: a child whose pid happens to equal LISTEN_PID
	 * would take its own descriptor 3 for a socket */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!ours || nfds == 0)
		return 0;
	if (nfds > LISTEN_FDS_MAX) {
		fmt_fd(2, "critical: socket activation: LISTEN_FDS=%u, but only one "
		       "socket can be served\n", nfds);
		return -1;
	}
	if ((m = listener_method(fd)) < 0)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		fmt_fd(2, "critical: socket activation: descriptor %d: %s\n", fd,
		       strerror(errno));
		return -1;
	}
	p->method = (enum port_method)m;
	p->inherited = true;
	p->lfd = fd;
	p->fd = -1;
	p->state = PORT_LISTENING;
	name_listener(p, fd);
	p->path = p->name;
	return 1;
}

/* Open again at wake_at, after `backoff` ms. */
static void retry_after(struct port *p, int backoff)
{
	p->state = PORT_RETRY_WAIT;
	p->backoff = backoff;
	p->wake_at = now_ms() + backoff;
}

int port_open(struct port *p)
{
	int rc;

	p->fd = -1;
	if (p->inherited) {	/* systemd's: taken once, gone once closed */
		if (p->lfd >= 0) {
			p->state = PORT_LISTENING;
			return 0;
		}
		errno = EBADF;
		return -1;
	}
	p->lfd = -1;
	if (p->method == PORT_UNIX || p->method == PORT_VSOCK)
		rc = open_listener(p);
	else
		rc = open_device(p);
	if (rc < 0)
		retry_after(p, RETRY_FIRST_MS);
	return rc;
}

/* A socket client leaves: the listener waits for the next. */
static void close_client(struct port *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->state = PORT_LISTENING;
}

void port_close(struct port *p)
{
	close_client(p);
	if (p->lfd >= 0)
		close(p->lfd);
	p->lfd = -1;
	p->state = PORT_CLOSED;
}

int port_want(struct port *p, struct pollfd *pfd)
{
	/* -r: now and then, port_ready() checks that the path is ours */
	int watch = p->retry && !p->inherited ? HOST_ABSENT_RECHECK_MS : -1;
	long left;

	*pfd = (struct pollfd){ .fd = -1, .events = POLLIN };
	switch (p->state) {
	case PORT_ACCEPT_PAUSED:
		if ((left = p->wake_at - now_ms()) > 0)
			return (int)left;
		p->state = PORT_LISTENING;
		/* fall through */
	case PORT_LISTENING:
		pfd->fd = p->lfd;
		return watch;
	case PORT_CONNECTED:
		pfd->fd = p->fd;
		return watch;
	case PORT_HOST_ABSENT:
	case PORT_HUNG_UP:
		return HOST_ABSENT_RECHECK_MS;
	case PORT_RETRY_WAIT:
		left = p->wake_at - now_ms();
		return left > 0 ? (int)left : 0;
	case PORT_BROKEN:
		return 0;
	case PORT_CLOSED:
		break;
	}
	return -1;
}

/* Does the path still name what we opened?  A removed socket file or an
 * unplugged device means the channel is gone. */
static bool path_is_ours(const struct port *p)
{
	struct stat st;

	if (p->method == PORT_VSOCK || p->inherited)
		return true;	/* no path of ours: systemd's socket unit owns it */
	if (stat(p->path, &st) < 0)
		return false;
	return p->method == PORT_UNIX ? st.st_ino == p->ino && st.st_dev == p->dev :
					st.st_rdev == p->dev;
}

/* Is the host on the far side of the virtio port?  Without one the port
 * reports POLLHUP (with POLLIN: a read returns end of file at once). */
static bool host_present(int fd)
{
	struct pollfd q = { .fd = fd, .events = POLLIN };

	return poll(&q, 1, 0) >= 0 && !(q.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* The host left.  What is still unread in the port is kept, as qemu-ga
 * keeps it: by the time the hang-up is seen, a host that came straight
 * back (Proxmox connects for each command) may have sent its request
 * already, and the two cannot be told apart.  The tokenizer restarts
 * when the host returns; an old host's leftover is answered or fails to
 * parse, both of which guest-sync and 0xFF are there to skip. */
static void host_left(struct port *p)
{
	p->state = PORT_HOST_ABSENT;
}

static bool listed(const struct idlist *l, uint32_t id)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->v[i] == id)
			return true;
	return false;
}

static bool vsock_peer_trusted(const struct port *p, const struct sockaddr_vm *a)
{
	if (a->svm_cid == PEER_TRUSTED_CID || listed(p->peers.cids, a->svm_cid))
		return true;
	log_msg(LOG_ERROR, "refused vsock peer CID %u (port %u) on %s: "
		"not the host (CID %d) nor in peer-cids", a->svm_cid, a->svm_port,
		p->path, PEER_TRUSTED_CID);
	return false;
}

/* The kernel's word on who connected, not anything the peer sends. */
static bool unix_peer_trusted(const struct port *p, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		log_msg(LOG_ERROR, "refused unix peer on %s: SO_PEERCRED: %s",
			p->path, strerror(errno));
		return false;
	}
	if (cr.uid == 0 || cr.uid == geteuid() || listed(p->peers.uids, cr.uid) ||
	    listed(p->peers.gids, cr.gid))
		return true;
	log_msg(LOG_ERROR, "refused unix peer uid %u gid %u (pid %d) on %s: "
		"not root, not our uid, nor in peer-uids or peer-gids",
		(unsigned)cr.uid, (unsigned)cr.gid, (int)cr.pid, p->path);
	return false;
}

/* The channel failed: open it again later (-r), or give up. */
static enum port_event fail(struct port *p)
{
	port_close(p);
	if (p->inherited) {	/* no path to open again: systemd's */
		log_error("channel %s failed; inherited from systemd, "
			  "it cannot be reopened", p->path);
		return PORT_GONE;
	}
	if (!p->retry) {
		log_error("channel %s failed", p->path);
		return PORT_GONE;
	}
	log_msg(LOG_WARNING, "agent stopped unexpectedly, restarting...");
	retry_after(p, RETRY_FIRST_MS);
	return PORT_IDLE;
}

/* RETRY_WAIT: once wake_at has come, try again; wait twice as long on
 * failure, up to RETRY_MAX_MS. */
static enum port_event retry_open(struct port *p)
{
	int backoff = p->backoff;

	if (now_ms() < p->wake_at)
		return PORT_IDLE;
	if (port_open(p) == 0) {
		log_msg(LOG_MESSAGE, "channel %s reopened", p->path);
		return PORT_NEW_PEER;
	}
	retry_after(p, backoff > RETRY_MAX_MS / 2 ? RETRY_MAX_MS : 2 * backoff);
	return PORT_IDLE;
}

/* A new client on the listening socket, if one came and may stay. */
static enum port_event accept_peer(struct port *p)
{
	struct sockaddr_vm vm;
	socklen_t len = sizeof(vm);
	int fd = accept4(p->lfd, (struct sockaddr *)&vm, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			p->state = PORT_ACCEPT_PAUSED;
			p->wake_at = now_ms() + ACCEPT_BACKOFF_MS;
		} else if (errno == ENOTSOCK || errno == EBADF || errno == EINVAL) {
			return fail(p);	/* not a listener: never will be */
		}
		return PORT_IDLE;
	}
	if (p->method == PORT_VSOCK ? vsock_peer_trusted(p, &vm) : unix_peer_trusted(p, fd)) {
		p->fd = fd;
		p->state = PORT_CONNECTED;
		return PORT_NEW_PEER;
	}
	close(fd);
	return PORT_IDLE;
}

enum port_event port_ready(struct port *p, short revents)
{
	switch (p->state) {
	case PORT_CLOSED:
		return PORT_IDLE;
	case PORT_BROKEN:
		return fail(p);
	case PORT_RETRY_WAIT:
		return retry_open(p);
	case PORT_HUNG_UP:	/* a serial line: open it again */
		return open_device(p) == 0 ? PORT_NEW_PEER : fail(p);
	default:		/* something open: is it still ours? */
		if (!revents && (p->retry || p->state == PORT_HOST_ABSENT) && !path_is_ours(p))
			return fail(p);
		break;
	}
	switch (p->state) {
	case PORT_LISTENING:
		if (!revents)
			return PORT_IDLE;
		/* a listener shut down (by another holder of an inherited
		 * one, say) reports POLLHUP for ever and accepts nothing */
		if (revents & (POLLHUP | POLLERR | POLLNVAL))
			return fail(p);
		return accept_peer(p);
	case PORT_HOST_ABSENT:	/* woken by SIGIO or the re-check timer */
		if (!host_present(p->fd))
			return PORT_IDLE;
		p->state = PORT_CONNECTED;
		return PORT_NEW_PEER;
	case PORT_CONNECTED:
		if (p->lfd >= 0)
			return revents ? PORT_DATA : PORT_IDLE;
		if (revents & POLLNVAL)
			return fail(p);
		if (p->method == PORT_VIRTIO && (revents & (POLLHUP | POLLERR))) {
			host_left(p);
			return PORT_IDLE;
		}
		return revents ? PORT_DATA : PORT_IDLE;
	default:		/* ACCEPT_PAUSED: port_want() ends it */
		return PORT_IDLE;
	}
}

/* The peer is gone: forget it until a new one comes. */
static void peer_gone(struct port *p)
{
	if (p->lfd >= 0) {
		close_client(p);
	} else if (p->method == PORT_ISA) {
		close(p->fd);
		p->fd = -1;
		p->state = PORT_HUNG_UP;
	} else {
		host_left(p);
	}
}

ssize_t port_read(struct port *p, void *buf, size_t n)
{
	ssize_t r;

	if (p->state != PORT_CONNECTED)
		return 0;
	do
		r = read(p->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		return r;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (r == 0 || p->lfd >= 0)
		peer_gone(p);	/* end of file, or a socket client's error */
	else
		p->state = PORT_BROKEN;	/* a device error, e.g. ENODEV */
	return 0;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

void port_reply_begin(struct port *p)
{
	p->reply_start = 0;	/* taken when the reply first has to wait */
	p->reply_bytes = 0;
}

/* The sooner of: OUT_STALL_MS since the channel stopped taking bytes, and
 * the end of the time the whole reply may take at OUT_MIN_RATE. */
static long write_deadline(const struct port *p, long stalled_since)
{
	long whole = p->reply_start + OUT_STALL_MS +
		     (long)(p->reply_bytes * 1000 / OUT_MIN_RATE);

	return stalled_since + OUT_STALL_MS < whole ? stalled_since + OUT_STALL_MS : whole;
}

/* The clock is read only when the channel is full, never on a write that
 * goes straight through (every reply of a host that keeps up). */
int port_write(struct port *p, const void *buf, size_t n)
{
	const char *s = buf;
	long stalled_since = -1;

	while (n) {
		if (p->state != PORT_CONNECTED)
			return -1;
		ssize_t w = write(p->fd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			p->reply_bytes += (size_t)w;
			stalled_since = -1;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			peer_gone(p);
			return -1;
		}
		long now = now_ms();
		if (!p->reply_start)
			p->reply_start = now;
		if (stalled_since < 0)
			stalled_since = now;
		struct pollfd q = { .fd = p->fd, .events = POLLOUT };
		long left = write_deadline(p, stalled_since) - now;
		if (left <= 0 || poll(&q, 1, (int)left) == 0) {
			/* a host that stopped reading, or reads too slowly:
			 * give up this reply, and a socket client with it */
			if (p->lfd >= 0)
				close_client(p);
			return -1;
		}
		if ((q.revents & (POLLHUP | POLLERR)) && !(q.revents & POLLOUT)) {
			peer_gone(p);
			return -1;
		}
	}
	return 0;
}
