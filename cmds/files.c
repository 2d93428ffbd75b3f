/* cmds/files.c - guest-file-open, -close, -read, -write, -seek, -flush.
 *
 * Handles are numbers from the state directory's counter (1000 on, never
 * reused, as qemu-ga), not file descriptors.  Files are read and written
 * with plain read(2)/write(2): what qemu-ga's stdio buffering would keep
 * until a flush reaches the kernel at once, and guest-file-flush has
 * nothing left to do.
 *
 * Differences from qemu-ga, on purpose:
 *  - new files are 0644, not 0666;
 *  - a handle can never reach one of the agent's own descriptors (its
 *    channel, log, pid file...), e.g. through /proc/self/fd/N;
 *  - a large read is encoded and sent as it is read, through a 192 KiB
 *    buffer, instead of being held three times over (data, base64, JSON);
 *  - a read that gets part of what it asked for and then EAGAIN (a pipe)
 *    returns that part instead of an error that loses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/major.h>

#include "handler.h"
#include "b64.h"
#include "fdio.h"
#include "log.h"
#include "mem.h"
#include "options.h"
#include "state.h"
#include "sysread.h"

/* Offsets past 4 GiB (guest-file-seek, sparse images) need a 64-bit off_t:
 * musl's always is, glibc's on 32-bit only with _FILE_OFFSET_BITS=64
 * (set in the Makefile). */
_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");

#define READ_COUNT_DEFAULT 4096		/* as qemu-ga */
#define READ_CHUNK_BYTES (3 << 16)	/* read and encode step: a multiple of 3 */

static struct handle {
	int64_t id;
	int fd;
} handles[FILE_HANDLES_MAX];
static int nhandles;

/* The read buffer lives while any handle is open: a host reading a file
 * in 64 KiB requests would otherwise map and fault it in each time (a
 * quarter of the cost).  Freed with the last handle, so an idle agent
 * holds nothing. */
static unsigned char *read_buf;

static unsigned char *read_buffer(void)
{
	if (!read_buf)
		read_buf = mem_alloc(READ_CHUNK_BYTES);
	return read_buf;
}

static struct handle *find(struct call *c, int64_t id)
{
	for (int i = 0; i < nhandles; i++)
		if (handles[i].id == id)
			return &handles[i];
	call_error(c, "handle '%lld' has not been found", (long long)id);
	return NULL;
}

/* Is fd the same file as one of the agent's own descriptors?  Handles may
 * share files with each other, never with the agent. */
static bool agent_owned(int fd)
{
	struct stat a, b;
	struct dirents d;
	const char *name;
	bool owned = false;
	uint64_t k;

	if (fstat(fd, &a) < 0)
		return true;
	/* the memory devices (/dev/null, /dev/zero...) are shared harmlessly
	 * with stdio; any other character device (the serial channel, a
	 * terminal the log goes to) is compared by the device it names, as
	 * each node or /proc/self/fd/N open of it is a separate inode */
	bool chr = S_ISCHR(a.st_mode);
	if (chr && major(a.st_rdev) == MEM_MAJOR)
		return false;
	/* every open descriptor: /proc/self/fd, else the first 1024 */
	bool listed = dir_open_fd(&d, open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	for (k = 0; listed ? (name = dir_next(&d, NULL)) != NULL : k < 1024; k++) {
		int other = listed ? (parse_u64(name, 10, &k), (int)k) : (int)k;
		bool handle = other == fd || other == d.fd;
		for (int i = 0; i < nhandles && !handle; i++)
			handle = handles[i].fd == other;
		if (!handle && fstat(other, &b) == 0 &&
		    (chr ? S_ISCHR(b.st_mode) && a.st_rdev == b.st_rdev :
			   a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
			owned = true;
			break;
		}
	}
	if (listed)
		dir_close(&d);
	return owned;
}

/* May a handle hold fd?  Only below the soft RLIMIT_NOFILE less what the
 * agent keeps for itself (FILE_FD_RESERVE); the soft limit is raised once,
 * as far as the hard one allows, to what all handles and the reserve need. */
static bool fd_room(int fd)
{
	static rlim_t limit;
	struct rlimit rl;

	if (!limit) {
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return true;
		rlim_t want = FILE_HANDLES_MAX + FILE_FD_RESERVE + 64;	/* + the agent's own */
		if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				getrlimit(RLIMIT_NOFILE, &rl);
		}
		limit = rl.rlim_cur;
	}
	return (rlim_t)fd + FILE_FD_RESERVE < limit;
}

struct open_args {
	const char *path, *mode;
};

ARG_SPEC(open_spec, struct open_args) = {
	ARG(open_spec, path, "path", ARG_STR, false),
	ARG(open_spec, mode, "mode", ARG_STR, true),
	ARG_END
};

static int guest_file_open(struct call *c, struct open_args *a)
{
	static const struct { const char *modes[3]; int flags; } table[] = {
		{ { "r", "rb", NULL }, O_RDONLY },
		{ { "w", "wb", NULL }, O_WRONLY | O_CREAT | O_TRUNC },
		{ { "a", "ab", NULL }, O_WRONLY | O_CREAT | O_APPEND },
		{ { "r+", "rb+", "r+b" }, O_RDWR },
		{ { "w+", "wb+", "w+b" }, O_RDWR | O_CREAT | O_TRUNC },
		{ { "a+", "ab+", "a+b" }, O_RDWR | O_CREAT | O_APPEND },
	};
	const char *mode = a->mode ? a->mode : "r";
	int flags = -1, fd, e;
	bool created = false;
	int64_t id;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && flags < 0; i++)
		for (int k = 0; k < 3; k++)
			if (table[i].modes[k] && !strcmp(table[i].modes[k], mode))
				flags = table[i].flags;
	log_command("guest-file-open called, filepath: %s, mode: %s", a->path, mode);
	if (flags < 0)
		return call_error(c, "invalid file open mode '%s'", mode);
	flags |= O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	if (nhandles == FILE_HANDLES_MAX) {
		errno = EMFILE;
		goto fail;
	}
	fd = -1;
	if (flags & O_CREAT) {	/* know whether we made it, as qemu-ga */
		fd = open(a->path, flags | O_EXCL, 0644);
		if (fd >= 0)
			created = true;
		else if (errno == EEXIST)
			flags &= ~O_CREAT;
	}
	if (fd < 0 && !created)
		fd = open(a->path, flags, 0644);
	if (fd >= 0 && !fd_room(fd)) {
		close(fd);
		if (created)
			unlink(a->path);
		fd = -1;
		errno = EMFILE;
	}
	if (fd < 0)
		goto fail;
	/* 0644 whatever the umask, as qemu-ga sets 0666 whatever the umask */
	if ((created && fchmod(fd, 0644) < 0) || agent_owned(fd)) {
		e = created ? errno : EACCES;
		close(fd);
		if (created)
			unlink(a->path);
		errno = e;
		goto fail;
	}
	if (state_next_handle(&id) < 0) {
		close(fd);
		return call_error(c, "failed to commit persistent state to disk");
	}
	handles[nhandles].id = id;
	handles[nhandles++].fd = fd;
	log_command("guest-file-open, handle: %lld", (long long)id);
	reply_begin(c);
	out_i64(c->out, id);
	return 0;
fail:
	return call_error(c, "failed to open file '%s' (mode: '%s'): %s", a->path, mode,
			  strerror(errno));
}
QGA_COMMAND(8, guest_file_open, "guest-file-open", open_spec, struct open_args, 0);

struct handle_args {
	int64_t handle;
};

ARG_SPEC(handle_spec, struct handle_args) = {
	ARG(handle_spec, handle, "handle", ARG_INT, false),
	ARG_END
};

static int guest_file_close(struct call *c, struct handle_args *a)
{
	struct handle *h = find(c, a->handle);
	int rc;

	log_command("guest-file-close called, handle: %lld", (long long)a->handle);
	if (!h)
		return -1;
	rc = close(h->fd);
	*h = handles[--nhandles];
	if (nhandles == 0) {
		mem_free(read_buf);
		read_buf = NULL;
	}
	if (rc < 0 && errno != EINTR)
		return call_error(c, "failed to close handle: %s", strerror(errno));
	return 0;
}
QGA_COMMAND(9, guest_file_close, "guest-file-close", handle_spec, struct handle_args,
	    CMD_FUZZ_SAFE);

struct read_args {
	int64_t handle, count;
};

ARG_SPEC(read_spec, struct read_args) = {
	ARG(read_spec, handle, "handle", ARG_INT, false),
	ARG(read_spec, count, "count", ARG_INT, true),
	ARG_END
};

/* Fill buf as fread() would: until n bytes, end of file, or an error.
 * *eof tells whether end of file was met. */
static ssize_t read_full(int fd, unsigned char *buf, size_t n, bool *eof)
{
	size_t got = fd_read(fd, buf, n);

	*eof = got < n && !errno;
	if (got < n && errno && !(got && (errno == EAGAIN || errno == EWOULDBLOCK)))
		return -1;	/* but keep what a pipe had */
	return (ssize_t)got;
}

static int guest_file_read(struct call *c, struct read_args *a)
{
	struct handle *h = find(c, a->handle);
	int64_t count = arg_present(c, "count") ? a->count : READ_COUNT_DEFAULT;
	size_t cap = READ_CHUNK_BYTES, want, got;
	unsigned char *buf;
	struct stat st;
	off_t start;
	ssize_t r;
	bool eof;

	if (!h)
		return -1;
	if (count < 0 || count > FILE_READ_COUNT_MAX)
		return call_error(c, "value '%lld' is invalid for argument count", (long long)count);
	want = (size_t)count;
	buf = read_buffer();
	if (!buf)
		return call_error(c, "failed to read file: %s", strerror(ENOMEM));
	start = lseek(h->fd, 0, SEEK_CUR);
	r = read_full(h->fd, buf, want < cap ? want : cap, &eof);
	if (r < 0) {
		call_error(c, "failed to read file: %s", strerror(errno));
		/* qemu-ga says "guest-file-write failed" here, a slip */
		log_command("guest-file-read failed, handle: %lld", (long long)a->handle);
		return -1;
	}
	got = (size_t)r;
	/* more than the buffer holds: a regular file's size says how much
	 * there is, so "count" can be sent before the data is streamed;
	 * anything else (a pipe) is gathered in memory, as qemu-ga does */
	size_t total = got;
	bool stream = got == cap && want > cap && fstat(h->fd, &st) == 0 && S_ISREG(st.st_mode) &&
		      start >= 0 && st.st_size > start;
	if (stream) {
		uint64_t left = (uint64_t)(st.st_size - start);
		total = left < want ? (size_t)left : want;
		if (total < got)
			total = got;
		eof = total < want;
	} else if (got == cap && want > cap && !eof) {
		while (got < want && !eof) {
			size_t more = want - got < (4u << 20) ? want - got : (4u << 20);
			unsigned char *nb = mem_realloc(buf, got + more);
			if (!nb)
				break;
			buf = read_buf = nb;	/* given back below */
			r = read_full(h->fd, buf + got, more, &eof);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		total = got;
	}
	reply_begin(c);
	out_lit(c->out, "{\"count\": ");
	out_u64(c->out, total);
	out_lit(c->out, ", \"buf-b64\": \"");
	if (!stream) {
		out_b64(c->out, buf, got);
	} else {
		size_t sent = 0;
		while (sent < total) {	/* got is a multiple of 3 here */
			out_b64(c->out, buf, got);
			sent += got;
			size_t next = total - sent < cap ? total - sent : cap;
			bool e2;
			r = next ? read_full(h->fd, buf, next, &e2) : 0;
			if (r <= 0)
				break;	/* the file shrank meanwhile */
			got = (size_t)r;
		}
	}
	out_lit(c->out, eof ? "\", \"eof\": true}" : "\", \"eof\": false}");
	if (got > cap) {	/* grown for a pipe: not kept */
		mem_free(read_buf);
		read_buf = NULL;
	}
	return 0;
}
QGA_COMMAND(10, guest_file_read, "guest-file-read", read_spec, struct read_args, CMD_FUZZ_SAFE);

struct write_args {
	int64_t handle;
	const char *buf;
	int64_t count;
};

ARG_SPEC(write_spec, struct write_args) = {
	ARG(write_spec, handle, "handle", ARG_INT, false),
	ARG(write_spec, buf, "buf-b64", ARG_STR, false),
	ARG(write_spec, count, "count", ARG_INT, true),
	ARG_END
};

static int guest_file_write(struct call *c, struct write_args *a)
{
	struct handle *h = find(c, a->handle);
	ssize_t len;
	size_t done, n;

	/* decoded over the request's own text: no second copy of the data */
	if (!h || (len = b64_arg(c, a->buf)) < 0)
		return -1;
	if (arg_present(c, "count") && (a->count < 0 || a->count > len))
		return call_error(c, "value '%lld' is invalid for argument count", (long long)a->count);
	n = arg_present(c, "count") ? (size_t)a->count : (size_t)len;
	done = fd_write(h->fd, a->buf, n);
	/* a full pipe after some went: say how much */
	if (done < n && !(done && (errno == EAGAIN || errno == EWOULDBLOCK))) {
		call_error(c, "failed to write to file: %s", strerror(errno));
		log_command("guest-file-write failed, handle: %lld", (long long)a->handle);
		return -1;
	}
	reply_begin(c);
	out_lit(c->out, "{\"count\": ");
	out_u64(c->out, done);
	out_lit(c->out, ", \"eof\": false}");
	return 0;
}
QGA_COMMAND(11, guest_file_write, "guest-file-write", write_spec, struct write_args,
	    CMD_FUZZ_SAFE);

struct seek_args {
	int64_t handle, offset;
	struct arg_alt whence;
};

static const char *const whence_names[] = { "set", "cur", "end", NULL };

ARG_SPEC(seek_spec, struct seek_args) = {
	ARG(seek_spec, handle, "handle", ARG_INT, false),
	ARG(seek_spec, offset, "offset", ARG_INT, false),
	ARG_ENUM_OF(seek_spec, whence, "whence", ARG_INT_OR_ENUM, false, whence_names,
		    "GuestFileWhence"),
	ARG_END
};

static int guest_file_seek(struct call *c, struct seek_args *a)
{
	static const int how[3] = { SEEK_SET, SEEK_CUR, SEEK_END };
	struct handle *h = find(c, a->handle);
	off_t pos;

	if (!h)
		return -1;
	if (a->whence.v < 0 || a->whence.v > 2)
		return call_error(c, "invalid whence code %lld", (long long)a->whence.v);
	pos = lseek(h->fd, (off_t)a->offset, how[a->whence.v]);
	if (pos < 0)
		return call_error(c, "failed to seek file: %s", strerror(errno));
	reply_begin(c);
	out_lit(c->out, "{\"eof\": false, \"position\": ");
	out_i64(c->out, (int64_t)pos);
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND(12, guest_file_seek, "guest-file-seek", seek_spec, struct seek_args, CMD_FUZZ_SAFE);

/* Writes are not buffered here: only the handle is checked. */
static int guest_file_flush(struct call *c, struct handle_args *a)
{
	return find(c, a->handle) ? 0 : -1;
}
QGA_COMMAND(13, guest_file_flush, "guest-file-flush", handle_spec, struct handle_args,
	    CMD_FUZZ_SAFE);
