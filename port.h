/* port.h - the channel to the host: virtio-serial, isa-serial, a listening
 * unix socket or vsock, behind one interface for the poll loop. */
#ifndef TINYQGA_PORT_H
#define TINYQGA_PORT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"

enum port_method { PORT_VIRTIO, PORT_ISA, PORT_UNIX, PORT_VSOCK };

/* Numbers trusted beyond a channel's defaults (--peer-cids and friends). */
struct idlist {
	size_t n;
	uint32_t v[PEER_LIST_MAX];
};

/* Who may talk over a listening socket: vsock, the host (CID
 * PEER_TRUSTED_CID) and cids; unix, root, the agent's euid, uids, and
 * anyone whose primary gid is in gids.  Other peers are closed unread. */
struct port_peers {
	const struct idlist *cids, *uids, *gids;
};

/* Where the channel stands.  Only port.c moves it; the loop asks
 * port_want() what to wait on and port_ready() what happened. */
enum port_state {
	PORT_CLOSED,		/* nothing open */
	PORT_LISTENING,		/* a listener waits for a client */
	PORT_ACCEPT_PAUSED,	/* accept4 ran out of resources: listen again
				 * at wake_at */
	PORT_CONNECTED,		/* a client, or the device with its host */
	PORT_HOST_ABSENT,	/* virtio with no host on the far side: SIGIO or
				 * the re-check says when one is back */
	PORT_HUNG_UP,		/* a serial line at end of file: opened again at
				 * the next wake-up */
	PORT_BROKEN,		/* failed (device error, unusable listener):
				 * reopened later (-r) or given up at once */
	PORT_RETRY_WAIT,	/* -r: opened again at wake_at, backing off */
};

struct port {
	/* the caller's, set before port_open() */
	enum port_method method;
	const char *path;
	bool retry;		/* -r: watch the path, reopen a failed channel */
	struct port_peers peers;	/* NULL lists: the defaults only */
	/* port.c's own */
	enum port_state state;
	int lfd;		/* listening socket, or -1 */
	int fd;			/* the connected channel, or -1 */
	long wake_at;		/* ACCEPT_PAUSED, RETRY_WAIT: until then (ms) */
	long reply_start;	/* when the reply first waited (ms), or 0 */
	unsigned long long reply_bytes;	/* and what of it was written */
	int backoff;		/* RETRY_WAIT: the wait before the next attempt */
	bool reopened;		/* a serial line opened before: keep its input */
	dev_t dev;		/* what the path named when opened */
	ino_t ino;
	bool inherited;		/* lfd came from systemd: no path to bind,
				 * watch, reopen or unlink */
	char name[PORT_NAME_MAX];	/* an inherited socket's address */
};

/* Returns the method for a -m name, or -1. */
int port_method(const char *name);
const char *port_method_name(enum port_method m);
const char *port_default_path(enum port_method m);

/* systemd socket activation.  When LISTEN_PID is our pid and LISTEN_FDS
 * is 1, descriptor LISTEN_FDS_START must be a listening unix or vsock
 * stream socket: it becomes p's listener (made CLOEXEC and NONBLOCK), p's
 * method follows its family and p->path names its address.  LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES are removed from the environment in every
 * case.  1: inherited; 0: no activation; -1: an unusable descriptor, after
 * one line on stderr. */
int port_inherit(struct port *p);

/* 0, or -1 with errno set and a message on stderr; then the port waits
 * to be opened again (RETRY_WAIT), which port_ready() does under -r.  An
 * inherited listener is only taken again, never reopened once closed
 * (EBADF). */
int port_open(struct port *p);
void port_close(struct port *p);

/* What the loop should wait on: fills *pfd (fd -1 for nothing) and returns
 * the poll timeout in ms, -1 for none. */
int port_want(struct port *p, struct pollfd *pfd);

enum port_event { PORT_IDLE, PORT_DATA, PORT_NEW_PEER, PORT_GONE };

/* After every wake-up of the loop: revents for the pollfd port_want()
 * filled, 0 on a timeout or another wake-up (a signal).  PORT_NEW_PEER
 * when a new client, a returning host or a reopened channel starts a
 * fresh conversation, PORT_DATA when port_read() has something,
 * PORT_GONE when the channel failed (device unplugged, socket path
 * removed, hard I/O error) and may not be opened again (no -r, or
 * systemd's socket), after a line in the log.  A failure under -r is
 * logged and retried here with a growing backoff. */
enum port_event port_ready(struct port *p, short revents);

/* >0 bytes read, 0 nothing now (a gone peer is handled inside). */
ssize_t port_read(struct port *p, void *buf, size_t n);

/* A reply starts: its time (OUT_MIN_RATE) counts from its first wait. */
void port_reply_begin(struct port *p);
/* Write all of it, waiting while the channel is full; -1 when the reply
 * must be dropped (peer gone, stalled past OUT_STALL_MS, or read slower
 * than OUT_MIN_RATE on average). */
int port_write(struct port *p, const void *buf, size_t n);

#endif
