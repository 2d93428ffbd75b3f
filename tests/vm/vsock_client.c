/* A host's side of vsock, run inside a test guest (guest-exec): connect
 * to CID:PORT, send what stdin holds, print LINES reply lines, close.
 *
 *   vsock-client CID PORT LINES < requests
 *
 * Exits 0 with the lines on stdout; 1 with a message on stderr when it
 * cannot connect, or the lines do not come within 10 s.  Static, for the
 * guests of tests/vm: libc and kernel headers only. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define REQUEST_MAX 65536
#define REPLY_WAIT_MS 10000

static int fail(const char *what)
{
	fprintf(stderr, "vsock-client: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	static char req[REQUEST_MAX];
	struct sockaddr_vm a = { .svm_family = AF_VSOCK };
	size_t len = 0;
	ssize_t n;
	long lines;
	int fd;

	if (argc != 4) {
		fputs("usage: vsock-client CID PORT LINES < requests\n", stderr);
		return 2;
	}
	a.svm_cid = (unsigned)strtoul(argv[1], NULL, 10);
	a.svm_port = (unsigned)strtoul(argv[2], NULL, 10);
	lines = strtol(argv[3], NULL, 10);
	while (len < sizeof(req) && (n = read(0, req + len, sizeof(req) - len)) > 0)
		len += (size_t)n;
	fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("connect");
	for (size_t off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, req + off, len - off)) < 0)
			return fail("write");
	while (lines > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];

		if (poll(&p, 1, REPLY_WAIT_MS) <= 0) {
			errno = ETIMEDOUT;
			return fail("reply");
		}
		if ((n = read(fd, buf, sizeof(buf))) <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return fail("read");
		}
		for (ssize_t i = 0; i < n; i++)
			lines -= buf[i] == '\n';
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return 0;
}
