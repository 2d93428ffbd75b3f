/* cmds/users.c - guest-set-user-password, guest-ssh-get-authorized-keys,
 * guest-ssh-add-authorized-keys, guest-ssh-remove-authorized-keys.
 *
 * Accounts are read from /etc/passwd directly (musl's getpwnam would
 * bring stdio and malloc along).  Files under a user's home are reached
 * with openat() and O_NOFOLLOW from the home directory down, so a symlink
 * planted as ~/.ssh or ~/.ssh/authorized_keys cannot redirect a write
 * elsewhere, and they are replaced atomically (temp file, fsync, rename)
 * and given to the user by fchown on the descriptor, never by path.
 * authorized_keys is opened O_NONBLOCK and read only if the user could
 * read it (unfit_keys), so a FIFO, a device or a hard link planted there
 * gives a clear error, never a hang or root's files.
 *
 * Without chpasswd (a minimal image) the password is written by the
 * agent itself, as busybox's chpasswd does: into /etc/shadow, or the
 * second field of /etc/passwd where there is no shadow file or no line
 * for the user in it; hashed with SHA-512 crypt (sha512crypt.c) and a
 * random salt unless already crypted, under /etc/.pwd.lock, through
 * FILE+ renamed over FILE, so a crash leaves the old or the new file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* renameat */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"
#include "b64.h"
#include "child.h"
#include "fdio.h"
#include "fmt.h"
#include "helper.h"
#include "log.h"
#include "mem.h"
#include "options.h"
#include "sha512crypt.h"
#include "sysread.h"

#define KEYS_FILE_MAX (1 << 20)		/* authorized_keys read at most */
#define ACCOUNT_FILE_MAX (4 << 20)	/* /etc/shadow or /etc/passwd rewritten at most */
#define ACCOUNT_WAIT_MS 3000	/* for .pwd.lock and a busy FILE+, per command: lckpwdf
				 * waits 15 s, but the agent's one loop would stall */
#define ACCOUNT_RETRY_US 100000	/* between tries, as busybox's wait for FILE+ */

struct user {
	char name[64], home[512];
	unsigned uid, gid;
	bool pw_x;	/* passwd's field is "x": the hash is in shadow */
};

static bool lookup_user(const char *name, struct user *u)
{
	struct lines l;
	char *line, *f[8];
	bool found = false;

	if (!*name || !lines_open(&l, "/etc/passwd"))
		return false;
	while (!found && (line = lines_next(&l))) {
		int n = 0;
		for (char *p = line; n < 7; n++) {	/* name:pw:uid:gid:gecos:home:shell */
			f[n] = p;
			p = strchr(p, ':');
			if (!p) {
				n++;
				break;
			}
			*p++ = 0;
		}
		uint64_t uid, gid;
		if (n < 6 || strcmp(f[0], name) || !parse_u64(f[2], 10, &uid) ||
		    !parse_u64(f[3], 10, &gid) || strlen(f[5]) >= sizeof(u->home))
			continue;
		fmt(u->name, sizeof(u->name), "%s", f[0]);
		fmt(u->home, sizeof(u->home), "%s", f[5]);
		u->uid = (unsigned)uid;
		u->gid = (unsigned)gid;
		u->pw_x = !strcmp(f[1], "x");
		found = true;
	}
	lines_close(&l);
	return found;
}

static int user_error(struct call *c, const char *name)
{
	/* sic: qemu-ga's text, errno being 0 there */
	return call_error(c, "failed to lookup user '%s': Success", name);
}

/* The key checks of qemu-ga: no comment, no newline. */
static int check_keys(struct call *c, const struct arg_list *keys)
{
	jv k = keys->first;

	if (keys->n > SSH_KEYS_MAX)
		return call_error(c, "too many keys: %zu, at most %d per request", keys->n,
				  SSH_KEYS_MAX);
	for (size_t i = 0; i < keys->n; i++, k = jv_next(c->doc, k)) {
		const char *s = jv_str(c->doc, k, NULL);
		if (s[0] == '#' || strchr(s, '\n'))
			return call_error(c, "invalid OpenSSH public key: '%s'", s);
	}
	return 0;
}

/* ~/.ssh, opened without following a symlink; made (0700, the user's)
 * if asked and missing.  -1 after call_error. */
static int open_ssh_dir(struct call *c, const struct user *u, bool create)
{
	int home = sys_open(u->home, O_RDONLY | O_DIRECTORY), fd;

	if (home < 0)
		return call_error(c, "failed to create directory '%s/.ssh': %s", u->home, strerror(errno));
	fd = openat(home, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(home, ".ssh", 0700) < 0 ||
		    (fd = openat(home, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    fchown(fd, u->uid, u->gid) < 0 || fchmod(fd, 0700) < 0) {
			fd_drop(&fd);
			fd_close(home);
			return call_error(c, "failed to create directory '%s/.ssh': %s", u->home,
					  strerror(errno));
		}
	}
	close(home);
	if (fd < 0)
		return call_error(c, "failed to open '%s/.ssh': %s", u->home, strerror(errno));
	return fd;
}

/* What a user's authorized_keys may be for root to read it for them:
 * a plain file with one link that they could read themselves (theirs, or
 * root's and world-readable).  A hard link to /etc/shadow, or an inode
 * of it left with one link after shadow was replaced, would otherwise
 * show the hashes; a FIFO would block.  NULL if fine. */
static const char *unfit_keys(const struct stat *st, const struct user *u)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink != 1)
		return "a hard link to another file";
	if (st->st_uid != u->uid && !(st->st_uid == 0 && (st->st_mode & S_IROTH)))
		return "owned by another user";
	return NULL;
}

/* The whole authorized_keys, NUL-terminated, from mem_alloc; NULL with
 * *why (ENOENT: errno, *why NULL) if it cannot be read. */
static char *read_keys(int dir, const struct user *u, size_t *len, const char **why)
{
	int fd = openat(dir, "authorized_keys", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t r = -1;

	*len = 0;
	*why = NULL;
	if (fd < 0) {
		if (errno != ENOENT)
			*why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		*why = strerror(errno);
	else if (!(*why = unfit_keys(&st, u)) && !(buf = mem_alloc(KEYS_FILE_MAX + 1)))
		*why = "out of memory";
	else if (buf && (r = read_upto(fd, buf, KEYS_FILE_MAX)) < 0)
		*why = strerror(errno);
	close(fd);
	if (*why) {
		mem_free(buf);
		return NULL;
	}
	*len = (size_t)r;
	buf[*len] = 0;
	return buf;
}

/* Replace authorized_keys with text: 0600, the user's, atomically. */
static int write_keys(struct call *c, int dir, const struct user *u, const char *text, size_t len)
{
	const char *tmp = ".authorized_keys.tinyqga";
	int fd, e;

	unlinkat(dir, tmp, 0);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, text, len) < 0 || fchown(fd, u->uid, u->gid) < 0 ||
	    fchmod(fd, 0600) < 0 || fsync(fd) < 0 || renameat(dir, tmp, dir, "authorized_keys") < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		unlinkat(dir, tmp, 0);
		return call_error(c, "failed to write to '%s/.ssh/authorized_keys': %s", u->home, strerror(e));
	}
	close(fd);
	fsync(dir);
	return 0;
}

struct user_args {
	const char *username;
};

ARG_SPEC(get_spec, struct user_args) = {
	ARG(get_spec, username, "username", ARG_STR, false),
	ARG_END
};

static void trim_line(char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\r'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* Stripped, without blank and comment lines, last line first. */
static int guest_ssh_get_authorized_keys(struct call *c, struct user_args *a)
{
	struct user u;
	const char *why;
	size_t len;
	char *text;
	int dir, count = 0;

	if (!lookup_user(a->username, &u))
		return user_error(c, a->username);
	if ((dir = open_ssh_dir(c, &u, false)) < 0) {
		call_error_free(c);
		errno = ENOENT;
		return call_error(c, "failed to read '%s/.ssh/authorized_keys': %s", u.home, strerror(errno));
	}
	text = read_keys(dir, &u, &len, &why);
	close(dir);
	if (!text)
		return call_error(c, "failed to read '%s/.ssh/authorized_keys': %s", u.home,
				  why ? why : strerror(errno));
	reply_begin(c);
	out_lit(c->out, "{\"keys\": [");
	for (char *end = text + len; end > text || (end == text && 0);) {
		char *start = end;
		while (start > text && start[-1] != '\n')
			start--;
		char *s = start;
		size_t n = (size_t)(end - start);
		trim_line(&s, &n);
		if (n && s[0] != '#') {
			out_lit(c->out, count++ ? ", " : "");
			out_str(c->out, s, n);
		}
		end = start > text ? start - 1 : text;
		if (start == text)
			break;
	}
	out_lit(c->out, "]}");
	mem_free(text);
	return 0;
}
QGA_COMMAND(38, guest_ssh_get_authorized_keys, "guest-ssh-get-authorized-keys", get_spec,
	    struct user_args, 0);

struct keys_args {
	const char *username;
	struct arg_list keys;
	bool reset;
};

ARG_SPEC(add_spec, struct keys_args) = {
	ARG(add_spec, username, "username", ARG_STR, false),
	ARG(add_spec, keys, "keys", ARG_STR_LIST, false),
	ARG(add_spec, reset, "reset", ARG_BOOL, true),
	ARG_END
};

ARG_SPEC(remove_spec, struct keys_args) = {
	ARG(remove_spec, username, "username", ARG_STR, false),
	ARG(remove_spec, keys, "keys", ARG_STR_LIST, false),
	ARG_END
};

/* Is line (n bytes) one of the keys? */
static bool listed(struct call *c, const struct arg_list *keys, const char *line, size_t n)
{
	jv k = keys->first;

	if (keys->n > SSH_KEYS_MAX)
		return call_error(c, "too many keys: %zu, at most %d per request", keys->n,
				  SSH_KEYS_MAX);
	for (size_t i = 0; i < keys->n; i++, k = jv_next(c->doc, k)) {
		size_t m;
		const char *s = jv_str(c->doc, k, &m);
		if (m == n && !memcmp(s, line, n))
			return true;
	}
	return false;
}

/* Lines kept as they are (a trailing newline leaves an empty last line,
 * as qemu-ga's split does), new keys appended, joined by newlines. */
static int edit_keys(struct call *c, struct keys_args *a, bool add)
{
	struct user u;
	size_t len = 0, cap, used = 0;
	const char *why = NULL;
	char *old = NULL, *text;
	int dir, rc;

	if (check_keys(c, &a->keys) < 0)
		return -1;
	if (!lookup_user(a->username, &u))
		return user_error(c, a->username);
	log_command("guest-ssh-%s-authorized-keys called, user: %s", add ? "add" : "remove", u.name);
	if ((dir = open_ssh_dir(c, &u, add)) < 0) {
		if (add)
			return -1;
		call_error_free(c);
		return 0;	/* nothing to remove from */
	}
	if (!add || !a->reset)
		old = read_keys(dir, &u, &len, &why);
	if (why) {	/* there, but not a file to read for the user */
		close(dir);
		return call_error(c, "failed to read '%s/.ssh/authorized_keys': %s", u.home, why);
	}
	if (!old && !add) {
		close(dir);
		return 0;
	}
	cap = len + 1;
	jv k = a->keys.first;
	for (size_t i = 0; add && i < a->keys.n; i++, k = jv_next(c->doc, k))
		cap += strlen(jv_str(c->doc, k, NULL)) + 1;
	text = mem_alloc(cap);
	if (!text) {
		close(dir);
		mem_free(old);
		return call_error(c, "out of memory");
	}
	for (char *line = old, *nl; old && line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (!add && listed(c, &a->keys, line, n))
			continue;
		if (used || line != old)	/* joined by "\n", none at the end */
			text[used++] = '\n';
		memcpy(text + used, line, n);
		used += n;
	}
	if (old && !add && used && text[0] == '\n')	/* a dropped first line */
		memmove(text, text + 1, --used);
	k = a->keys.first;
	for (size_t i = 0; add && i < a->keys.n; i++, k = jv_next(c->doc, k)) {
		size_t n;
		const char *s = jv_str(c->doc, k, &n);
		bool have = false;
		for (char *line = text, *end = text + used; line <= end && !have;) {
			char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t m = nl ? (size_t)(nl - line) : (size_t)(end - line);
			have = (old || used) && m == n && !memcmp(line, s, n);
			line = nl ? nl + 1 : end + 1;
		}
		if (have)
			continue;
		if (used || (old && len))
			text[used++] = '\n';
		memcpy(text + used, s, n);
		used += n;
	}
	rc = write_keys(c, dir, &u, text, used);
	close(dir);
	mem_free(text);
	mem_free(old);
	return rc;
}

static int guest_ssh_add_authorized_keys(struct call *c, struct keys_args *a)
{
	return edit_keys(c, a, true);
}
QGA_COMMAND(39, guest_ssh_add_authorized_keys, "guest-ssh-add-authorized-keys", add_spec,
	    struct keys_args, 0);

static int guest_ssh_remove_authorized_keys(struct call *c, struct keys_args *a)
{
	return edit_keys(c, a, false);
}
QGA_COMMAND(40, guest_ssh_remove_authorized_keys, "guest-ssh-remove-authorized-keys",
	    remove_spec, struct keys_args, 0);

struct password_args {
	const char *username, *password;
	bool crypted;
};

ARG_SPEC(password_spec, struct password_args) = {
	ARG(password_spec, username, "username", ARG_STR, false),
	ARG(password_spec, password, "password", ARG_STR, false),
	ARG(password_spec, crypted, "crypted", ARG_BOOL, false),
	ARG_END
};

/* SHA-512 crypt with a random 16-character salt (our own: glibc keeps
 * crypt() in libcrypt, Debian's musl has none). */
static const char *hash_password(const char *plain)
{
	static const char set[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	static char out[SHA512_CRYPT_MAX];
	unsigned char rnd[16];
	char salt[17];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return NULL;
	for (int i = 0; i < 16; i++)
		salt[i] = set[rnd[i] & 63];
	salt[16] = 0;
	return sha512_crypt(plain, salt, out);
}

enum { REWRITTEN, NO_FILE, NO_LINE };	/* what rewrite_account() found */

/* Sleep ACCOUNT_RETRY_US before another try, unless the ACCOUNT_WAIT_MS
 * this command may wait are spent; errno is kept for the caller. */
static bool may_retry(const struct timespec *start)
{
	struct timespec now;
	int e = errno;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
	if (ms < ACCOUNT_WAIT_MS)
		usleep(ACCOUNT_RETRY_US);
	errno = e;
	return ms < ACCOUNT_WAIT_MS;
}

/* The account lock of shadow-utils and glibc's lckpwdf(): a write lock on
 * /etc/.pwd.lock, created 0600.  An existing one is made 0600 too: a lock
 * file others can open can be held by them (and tinyqga before this
 * created it with an undefined mode).  Only a plain file of root's with
 * one link is locked or chmod'ed: a hard link to /etc/shadow there would
 * otherwise have shadow's mode changed.  -1 after call_error(). */
static int account_lock(struct call *c, int etc, const struct timespec *start)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const char *why = NULL;
	struct stat st;
	int fd = openat(etc, ".pwd.lock", O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			O_CLOEXEC, 0600);

	if (fd < 0)
		return call_error(c, "failed to set user password: /etc/.pwd.lock: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid())
		why = "not a plain file of this user with one link, left as it was";
	else if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0)
		why = strerror(errno);
	while (!why && fcntl(fd, F_SETLK, &fl) < 0) {
		if ((errno == EAGAIN || errno == EACCES) && may_retry(start))
			continue;
		fd_close(fd);
		if (errno == EAGAIN || errno == EACCES)
			return call_error(c, "failed to set user password: /etc/.pwd.lock is held by "
					  "another process");
		return call_error(c, "failed to set user password: /etc/.pwd.lock: %s",
				  strerror(errno));
	}
	if (!why)
		return fd;
	close(fd);
	return call_error(c, "failed to set user password: /etc/.pwd.lock: %s", why);
}

/* Write the user's line with HASH as its second field; for shadow also
 * today as the day of the last change (as chpasswd); the rest as it was. */
static int write_account_line(int out, const char *line, size_t n, size_t ulen,
			      const char *hash, bool shadow)
{
	const char *end = line + n, *f3 = memchr(line + ulen + 1, ':', n - ulen - 1), *rest;
	char day[32];
	size_t d = 0;

	if (!f3)	/* name:pw only */
		f3 = end - (end[-1] == '\n');
	rest = f3;
	if (shadow) {
		rest = f3 < end && *f3 == ':' ? memchr(f3 + 1, ':', (size_t)(end - f3 - 1)) : NULL;
		d = fmt(day, sizeof(day), ":%lld", (long long)(time(NULL) / 86400));
		if (!rest) {
			rest = "\n";
			end = rest + 1;
		}
	}
	if (write_all(out, line, ulen + 1) < 0 || write_all(out, hash, strlen(hash)) < 0 ||
	    write_all(out, day, d) < 0 || write_all(out, rest, (size_t)(end - rest)) < 0)
		return -1;
	return 0;
}

/* The file's text with the user's line changed, to out; NO_LINE if it
 * has none (nothing then counts of what was written). */
static int copy_account(int out, const char *buf, size_t len, const char *user,
			const char *hash, bool shadow)
{
	size_t ulen = strlen(user);
	bool found = false;

	for (const char *line = buf, *end = buf + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		bool mine = !found && n > ulen && !strncmp(line, user, ulen) && line[ulen] == ':';
		if (mine ? write_account_line(out, line, n, ulen, hash, shadow) < 0
			 : write_all(out, line, n) < 0)
			return -1;
		found |= mine;
		line += n;
	}
	return found ? REWRITTEN : NO_LINE;
}

/* Put hash into the user's line of /etc/FILE (shadow or passwd).  The new
 * text goes to FILE+ in /etc, the name busybox and shadow-utils write
 * theirs to: created exclusively, so a busybox tool at work (which does
 * not take .pwd.lock) is waited for, boundedly, and never overwritten;
 * it gets the old file's owner and mode, is fsynced and renamed over it,
 * then /etc is fsynced.  A file over ACCOUNT_FILE_MAX is refused, never
 * truncated; on any failure FILE+ is removed and FILE left as it was.
 * REWRITTEN, NO_FILE, NO_LINE, or -1 after call_error(). */
static int rewrite_account(struct call *c, int etc, const char *file, const char *user,
			   const char *hash, const struct timespec *start)
{
	char tmp[16], why[128] = "";
	int in = -1, out, rc = REWRITTEN;
	bool renamed = false;
	char *buf = NULL;
	struct stat st;
	ssize_t len;

	fmt(tmp, sizeof(tmp), "%s+", file);
	if (fstatat(etc, file, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return NO_FILE;
	while ((out = openat(etc, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 &&
	       errno == EEXIST && may_retry(start))
		;
	if (out < 0) {
		if (errno == EEXIST)
			return call_error(c, "failed to set user password: /etc/%s exists: another program "
					  "is changing /etc/%s (or left it behind)", tmp, file);
		return call_error(c, "failed to set user password: /etc/%s: %s", tmp, strerror(errno));
	}
	/* read only now: a busybox tool that held FILE+ has renamed it over FILE */
	in = openat(etc, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 && errno == ENOENT)
		rc = NO_FILE;
	else if (in < 0 || fstat(in, &st) < 0)
		fmt(why, sizeof(why), ": %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		fmt(why, sizeof(why), " is not a regular file");
	else if (st.st_size > ACCOUNT_FILE_MAX)
		fmt(why, sizeof(why), " is larger than %d bytes, left as it was", ACCOUNT_FILE_MAX);
	else if (!(buf = mem_alloc((size_t)st.st_size + 1)))
		fmt(why, sizeof(why), ": out of memory");
	else if ((len = read_upto(in, buf, (size_t)st.st_size + 1)) < 0)
		fmt(why, sizeof(why), ": %s", strerror(errno));
	else if (len > st.st_size)	/* grew while read: never a partial copy */
		fmt(why, sizeof(why), " changed while it was read, left as it was");
	else if (fchown(out, st.st_uid, st.st_gid) < 0 || fchmod(out, st.st_mode & 07777) < 0 ||
		 (rc = copy_account(out, buf, (size_t)len, user, hash, !strcmp(file, "shadow"))) < 0 ||
		 (rc == REWRITTEN && fsync(out) < 0))
		fmt(why, sizeof(why), ": %s", strerror(errno));
	if (close(out) < 0 && !*why && rc == REWRITTEN)
		fmt(why, sizeof(why), ": %s", strerror(errno));
	if (!*why && rc == REWRITTEN) {
		if (renameat(etc, tmp, etc, file) < 0)
			fmt(why, sizeof(why), ": %s", strerror(errno));
		else
			renamed = true;
	}
	if (!renamed)
		unlinkat(etc, tmp, 0);
	else
		fsync(etc);
	if (in >= 0)
		close(in);
	mem_free(buf);
	if (*why)
		return call_error(c, "failed to set user password: /etc/%s%s", file, why);
	return rc;
}

/* No such account.  qemu-ga 7.2 says "child process has failed to set
 * user password" (chpasswd failed); newer ones add chpasswd's output,
 * "chpasswd: line 1: user 'x' does not exist" from shadow-utils' -e.
 * Same prefix, so hosts see qemu-ga's text, and the reason. */
static int no_such_user(struct call *c, const char *name)
{
	return call_error(c, "child process has failed to set user password: user '%s' does not "
			  "exist", name);
}

/* As busybox's chpasswd (and shadow-utils' for the first two): the hash
 * into the user's /etc/shadow line; where there is no shadow file, or no
 * line there, into the second field of /etc/passwd.  After a shadow
 * change that field becomes "x", as busybox does, where it was anything
 * else: login reads passwd's field when it is not "x", and an old hash
 * left there would still let the old password in.  The account is looked
 * up under the lock, so it cannot go between lookup and rewrite. */
static int set_password_hash(struct call *c, const char *user, const char *hash)
{
	struct timespec start;
	struct user u;
	int etc, lock, rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if ((etc = sys_open("/etc", O_RDONLY | O_DIRECTORY)) < 0)
		return call_error(c, "failed to set user password: /etc: %s", strerror(errno));
	if ((lock = account_lock(c, etc, &start)) < 0) {
		close(etc);
		return -1;
	}
	if (!lookup_user(user, &u)) {
		rc = NO_LINE;
	} else {
		rc = rewrite_account(c, etc, "shadow", user, hash, &start);
		if (rc == REWRITTEN && !u.pw_x)
			rc = rewrite_account(c, etc, "passwd", user, "x", &start);
		else if (rc == NO_FILE || rc == NO_LINE)
			rc = rewrite_account(c, etc, "passwd", user, hash, &start);
	}
	close(lock);
	close(etc);
	if (rc == NO_FILE || rc == NO_LINE)
		return no_such_user(c, user);
	return rc;
}

/* Without chpasswd.  A crypted hash is written as given after qemu-ga's
 * own checks (no newline in it, none or ':' in the name: qemu-ga has no
 * others and leaves the rest to chpasswd -e) and those that keep the
 * file whole: no ':' (it would split the line's fields; shadow-utils'
 * chpasswd -e fails on it too).  An empty one is refused: chpasswd -e
 * would store an empty field, a login without any password. */
static int write_password(struct call *c, const char *user, const char *pw, bool crypted)
{
	const char *hash;

	if (crypted && strchr(pw, ':'))
		return call_error(c, "forbidden characters in crypted password");
	if (crypted && !*pw)
		return call_error(c, "failed to set user password: empty crypted password "
				  "(a login without password) refused");
	if (!(hash = crypted ? pw : hash_password(pw)))
		return call_error(c, "failed to set user password: no random salt: %s",
				  strerror(errno));
	return set_password_hash(c, user, hash);
}

static int guest_set_user_password(struct call *c, struct password_args *a)
{
	ssize_t n = b64_arg(c, a->password);
	char *pw = (char *)a->password, *line;
	int rc;

	if (n < 0)
		return -1;
	pw[n] = 0;	/* as qemu-ga, the password ends at a NUL */
	if (strchr(pw, '\n'))
		return call_error(c, "forbidden characters in raw password");
	if (strchr(a->username, '\n') || strchr(a->username, ':'))
		return call_error(c, "forbidden characters in username");
	if (!a->crypted && strlen(pw) > PASSWORD_MAX) {
		explicit_bzero(pw, (size_t)n);
		return call_error(c, "failed to set user password: password longer than %d bytes",
				  PASSWORD_MAX);
	}
	log_command("guest-set-user-password called, username: %s", a->username);
	if (child_program_found("chpasswd")) {
		char *argv[] = { "chpasswd", a->crypted ? "-e" : NULL, NULL };
		size_t len = strlen(a->username) + strlen(pw) + 3;
		if (!(line = mem_alloc(len)))
			return call_error(c, "out of memory");
		fmt(line, len, "%s:%s\n", a->username, pw);
		rc = run_helper(c, "set user password", argv, line);
		explicit_bzero(line, len);
		mem_free(line);
	} else {
		rc = write_password(c, a->username, pw, a->crypted);
	}
	explicit_bzero(pw, (size_t)n);
	return rc;
}
QGA_COMMAND(27, guest_set_user_password, "guest-set-user-password", password_spec,
	    struct password_args, 0);
