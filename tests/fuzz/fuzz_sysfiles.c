/* fuzz_sysfiles.c - libFuzzer target: the guest files the agent reads
 * line by line (or record by record), written from the input into a
 * private sysroot, then the commands that read them run through
 * dispatch() as fuzz_request runs requests.
 *
 * The input is the files in the order of files[] below, each section
 * ended by SEP; sections past the last are absent files, and the last
 * (utmp, binary) takes the rest of the input.  Seeds: tests/fuzz/seeds.py.
 *
 * Every file is opened through lib/sysread.c, which puts $TINYQGA_SYSROOT
 * (set here before anything reads it) in front of the path, so the
 * commands that write (the authorized_keys edits, guest-set-user-password
 * rewriting /etc/shadow and /etc/passwd under /etc/.pwd.lock) write only
 * into the sysroot.  What could lead them out is kept out:
 *  - a user's home comes from /etc/passwd, so every line of the user the
 *    commands name has its home field replaced by one in the sysroot;
 *  - chpasswd is looked for in PATH, which names an empty directory, so
 *    the agent's own /etc/shadow writer runs; and in a fuzz build
 *    lib/helper.c and guest-exec abort() rather than start a program.
 * Reads outside it remain, as the agent does them: stat() and statvfs()
 * of the mount points /proc/self/mountinfo lists, the interfaces. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispatch.h"
#include "replies.h"

#define SEP "--8<--\n"
#define USER "tqfuzz"
#define HOME "/home/" USER
#define FILE_MAX (1 << 20)	/* a section written at most (libFuzzer's -max_len is less) */

static const char *const files[] = {
	"/etc/passwd",		/* first: the user's lines are made safe (safe_passwd) */
	"/etc/shadow",
	HOME "/.ssh/authorized_keys",
	"/proc/self/mountinfo",
	"/etc/os-release",
	"/proc/net/route",
	"/proc/net/ipv6_route",
	"/proc/net/dev",
	"/proc/diskstats",
	"/proc/stat",
	"/proc/loadavg",
	"/var/run/utmp",	/* last: binary, the rest of the input */
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static const char *const dirs[] = {
	"/etc", "/home", HOME, HOME "/.ssh", "/proc", "/proc/self", "/proc/net",
	"/var", "/var/run", "/nobin",
};

/* The commands run, in this order: readers first, then the writers; the
 * password last, so nothing reads the passwd it rewrote.  The crypted
 * hash is "$6$fuzzsalt$AAA...": no hashing cost. */
static const char requests[] =
	"{\"execute\":\"guest-get-load\"}"
	"{\"execute\":\"guest-get-cpustats\"}"
	"{\"execute\":\"guest-get-diskstats\"}"
	"{\"execute\":\"guest-network-get-interfaces\"}"
	"{\"execute\":\"guest-network-get-route\"}"
	"{\"execute\":\"guest-get-fsinfo\"}"
	"{\"execute\":\"guest-get-osinfo\"}"
	"{\"execute\":\"guest-get-users\"}"
	"{\"execute\":\"guest-ssh-get-authorized-keys\",\"arguments\":{\"username\":\"" USER "\"}}"
	"{\"execute\":\"guest-ssh-add-authorized-keys\",\"arguments\":{\"username\":\"" USER "\","
	"\"keys\":[\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFuzz fuzz@add\"]}}"
	"{\"execute\":\"guest-ssh-remove-authorized-keys\",\"arguments\":{\"username\":\"" USER "\","
	"\"keys\":[\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFuzz fuzz@add\","
	"\"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC fuzz@remove\"]}}"
	"{\"execute\":\"guest-ssh-get-authorized-keys\",\"arguments\":{\"username\":\"" USER "\"}}"
	"{\"execute\":\"guest-set-user-password\",\"arguments\":{\"username\":\"" USER "\","
	"\"password\":\"JDYkZnV6enNhbHQkQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
	"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\",\"crypted\":true}}";

static char root[64];

/* Exactly the commands above: this target's sandbox is made for them,
 * the CMD_FUZZ_SAFE list (fuzz_request's) is not changed for it. */
static bool may_run(const struct command *cmd)
{
	static const char *const names[] = {
		"guest-get-load", "guest-get-cpustats", "guest-get-diskstats",
		"guest-network-get-interfaces", "guest-network-get-route", "guest-get-fsinfo",
		"guest-get-osinfo", "guest-get-users", "guest-ssh-get-authorized-keys",
		"guest-ssh-add-authorized-keys", "guest-ssh-remove-authorized-keys",
		"guest-set-user-password",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(cmd->name, names[i]))
			return true;
	return false;
}

static void fail(const char *what, const char *path)
{
	fprintf(stderr, "fuzz_sysfiles: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static void under_root(char *out, size_t cap, const char *path)
{
	if ((size_t)snprintf(out, cap, "%s%s", root, path) >= cap)
		abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_root(void)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";	/* fsync is cheap there */
	char path[256];

	(void)argc, (void)argv;
	snprintf(root, sizeof(root), "%s/tinyqga-sysroot-XXXXXX", tmp);
	if (!mkdtemp(root))
		fail("mkdtemp", root);
	atexit(remove_root);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		under_root(path, sizeof(path), dirs[i]);
		if (mkdir(path, 0755) < 0)
			fail("mkdir", path);
	}
	/* before the first sys_open(), which reads it once */
	if (setenv("TINYQGA_SYSROOT", root, 1) < 0)
		fail("setenv", root);
	under_root(path, sizeof(path), "/nobin");
	if (setenv("PATH", path, 1) < 0)	/* no chpasswd: never the host's /etc */
		fail("setenv PATH", path);
	unsetenv("QGA_OS_RELEASE");	/* the os-release in the sysroot */
	fuzz_may_run = may_run;
	return 0;
}

static void write_file(const char *name, const void *p, size_t n)
{
	char path[256];
	int fd;

	under_root(path, sizeof(path), name);
	unlink(path);	/* a new inode each time: the commands chown and chmod theirs */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("create", path);
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, (const char *)p + done, n - done);
		if (w <= 0)
			fail("write", path);
		done += (size_t)w;
	}
	close(fd);
}

/* The passwd section with every line of USER given the home HOME (the
 * sixth field, as cmds/users.c splits a line, which ends it at a NUL),
 * and USER's own line after them, so the commands always find one. */
static size_t safe_passwd(char *out, const char *in, size_t n)
{
	static const char user[] = USER ":";
	size_t len = 0;

	for (const char *line = in, *end = in + n; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t m = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		const char *cut = memchr(line, 0, m), *home = line;
		int colons = 0;

		if (m < sizeof(user) - 1 || memcmp(line, user, sizeof(user) - 1)) {
			memcpy(out + len, line, m);
			len += m;
			line += m;
			continue;
		}
		if (cut)	/* the reader stops there: drop the rest */
			m = (size_t)(cut - line);
		while (colons < 5 && (home = memchr(home, ':', m - (size_t)(home - line))))
			home++, colons++;
		if (colons < 5) {	/* too few fields: never looked up */
			memcpy(out + len, line, m);
			len += m;
		} else {
			const char *rest = memchr(home, ':', m - (size_t)(home - line));
			if (!rest)
				rest = line + m - (line[m - 1] == '\n');
			memcpy(out + len, line, (size_t)(home - line));
			len += (size_t)(home - line);
			memcpy(out + len, HOME, sizeof(HOME) - 1);
			len += sizeof(HOME) - 1;
			memcpy(out + len, rest, (size_t)(line + m - rest));
			len += (size_t)(line + m - rest);
		}
		if (cut)
			out[len++] = '\n';
		line += nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
	}
	if (len && out[len - 1] != '\n')
		out[len++] = '\n';
	len += (size_t)sprintf(out + len, USER ":x:%u:%u:fuzz:" HOME ":/bin/sh\n",
			       (unsigned)getuid(), (unsigned)getgid());
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char passwd[3 * FILE_MAX];	/* each of USER's lines may grow by HOME */
	const char *p = (const char *)data, *end = p + size;
	char path[256];

	if (size > FILE_MAX)
		return 0;
	for (size_t i = 0; i < NFILES; i++) {
		const char *sep = i + 1 < NFILES && p ? memmem(p, (size_t)(end - p), SEP, sizeof(SEP) - 1) : NULL;
		const char *stop = sep ? sep : end;

		if (!p) {	/* no section: no file */
			under_root(path, sizeof(path), files[i]);
			unlink(path);
			continue;
		}
		if (i == 0)
			write_file(files[i], passwd, safe_passwd(passwd, p, (size_t)(stop - p)));
		else
			write_file(files[i], p, (size_t)(stop - p));
		p = sep ? sep + sizeof(SEP) - 1 : NULL;
	}
	run_requests((const uint8_t *)requests, sizeof(requests) - 1);
	return 0;
}
