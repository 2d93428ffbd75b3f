/* cmds/users.c - guest-set-user-password, guest-ssh-get-authorized-keys,
 * guest-ssh-add-authorized-keys, guest-ssh-remove-authorized-keys.
 *
 * Accounts are read from /etc/passwd directly (musl's getpwnam would
 * bring stdio and malloc along).  Files under a user's home are reached
 * with openat() and O_NOFOLLOW from the home directory down, so a symlink
 * planted as ~/.ssh or ~/.ssh/authorized_keys cannot redirect a write
 * elsewhere, and they are replaced atomically (temp file, fsync, rename).
 *
 * Without chpasswd (a minimal image) the password is written by the
 * agent itself, as busybox's chpasswd does: into /etc/shadow, or the
 * passwd field of /etc/passwd where shadow has no line for the user;
 * hashed with SHA-512 crypt (sha512crypt.c) and a random salt unless
 * already crypted, under the account lock, through a temp file renamed
 * over the old one, so a crash leaves the old or the new file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>	/* renameat */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../agent.h"
#include "../b64.h"
#include "../fmt.h"
#include "../helper.h"
#include "../log.h"
#include "../mem.h"
#include "../sha512crypt.h"
#include "../sysread.h"

#define KEYS_FILE_MAX (1 << 20)		/* authorized_keys read at most */
#define ACCOUNT_FILE_MAX (4 << 20)	/* /etc/shadow or /etc/passwd rewritten at most */
#define ACCOUNT_LOCK_TRIES 30		/* 100 ms apart: shadow-utils waits 15 s, the loop cannot */

struct user {
	char name[64], home[512];
	unsigned uid, gid;
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
			int e = errno;
			if (fd >= 0)
				close(fd);
			close(home);
			return call_error(c, "failed to create directory '%s/.ssh': %s", u->home, strerror(e));
		}
	}
	close(home);
	if (fd < 0)
		return call_error(c, "failed to open '%s/.ssh': %s", u->home, strerror(errno));
	return fd;
}

/* The whole authorized_keys, NUL-terminated, from mem_alloc; NULL with
 * errno if it cannot be read. */
static char *read_keys(int dir, size_t *len)
{
	int fd = openat(dir, "authorized_keys", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf;
	ssize_t r = -1;

	*len = 0;
	if (fd < 0)
		return NULL;
	buf = mem_alloc(KEYS_FILE_MAX + 1);
	if (buf && (r = read_upto(fd, buf, KEYS_FILE_MAX)) < 0) {
		mem_free(buf);
		buf = NULL;
	}
	close(fd);
	if (buf) {
		*len = (size_t)r;
		buf[*len] = 0;
	}
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

static const struct arg_spec get_spec[] = {
	ARG(struct user_args, username, "username", ARG_STR, false),
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
	text = read_keys(dir, &len);
	close(dir);
	if (!text)
		return call_error(c, "failed to read '%s/.ssh/authorized_keys': %s", u.home, strerror(errno));
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

static const struct arg_spec add_spec[] = {
	ARG(struct keys_args, username, "username", ARG_STR, false),
	ARG(struct keys_args, keys, "keys", ARG_STR_LIST, false),
	ARG(struct keys_args, reset, "reset", ARG_BOOL, true),
	ARG_END
};

static const struct arg_spec remove_spec[] = {
	ARG(struct keys_args, username, "username", ARG_STR, false),
	ARG(struct keys_args, keys, "keys", ARG_STR_LIST, false),
	ARG_END
};

/* Is line (n bytes) one of the keys? */
static bool listed(struct call *c, const struct arg_list *keys, const char *line, size_t n)
{
	jv k = keys->first;

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
		old = read_keys(dir, &len);
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

static const struct arg_spec password_spec[] = {
	ARG(struct password_args, username, "username", ARG_STR, false),
	ARG(struct password_args, password, "password", ARG_STR, false),
	ARG(struct password_args, crypted, "crypted", ARG_BOOL, false),
	ARG_END
};

static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char full[512];

	if (!path)
		path = "/usr/local/bin:/bin:/usr/bin:/sbin:/usr/sbin";
	while (*path) {
		size_t n = strcspn(path, ":");
		fmt(full, sizeof(full), "%.*s/%s", (int)n, path, name);
		if (access(full, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

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

/* The account lock, as lckpwdf(): a write lock on /etc/.pwd.lock, taken
 * without waiting longer than ACCOUNT_LOCK_TRIES * 100 ms. */
static int account_lock(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = sys_open("/etc/.pwd.lock", O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK), tries;

	if (fd >= 0)
		fchmod(fd, 0600);	/* a lock file others can read can be held by them */
	for (tries = 0; fd >= 0 && fcntl(fd, F_SETLK, &fl) < 0; tries++) {
		if (tries == ACCOUNT_LOCK_TRIES) {
			close(fd);
			return -1;
		}
		usleep(100000);
	}
	return fd;
}

/* Write one line of an account file: name:HASH then, for shadow, the
 * day of the change, then the rest of the old line as it was. */
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
		if (!rest)
			rest = "\n", end = rest + 1;
	}
	if (write_all(out, line, ulen + 1) < 0 || write_all(out, hash, strlen(hash)) < 0 ||
	    write_all(out, day, d) < 0 || write_all(out, rest, (size_t)(end - rest)) < 0)
		return -1;
	return 0;
}

/* Put hash into user's line of /etc/FILE (shadow or passwd), through a
 * temp file renamed over it: owner and mode kept, nothing half-written.
 * 1 if the file has no line for the user (left as it was), 0 when done,
 * -1 after call_error(); errno ENOENT is left for a missing file. */
static int set_account_hash(struct call *c, const char *file, const char *user, const char *hash)
{
	static const char *const act = "failed to set user password";
	char tmp[32];
	int dir, in = -1, out = -1, e = 0, found = 0;
	char *buf = NULL;
	struct stat st;
	ssize_t r;

	fmt(tmp, sizeof(tmp), "%s.tinyqga", file);
	dir = sys_open("/etc", O_RDONLY | O_DIRECTORY);
	in = dir < 0 ? -1 : openat(dir, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 && errno == ENOENT) {
		if (dir >= 0)
			close(dir);
		return 1;
	}
	if (in < 0 || fstat(in, &st) < 0) {
		e = errno;
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > ACCOUNT_FILE_MAX) {
		e = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto done;
	}
	if (!(buf = mem_alloc(ACCOUNT_FILE_MAX + 1)) || (r = read_upto(in, buf, ACCOUNT_FILE_MAX + 1)) < 0) {
		e = buf ? errno : ENOMEM;
		goto done;
	}
	if (r > ACCOUNT_FILE_MAX) {	/* grew since fstat: never a partial copy */
		e = EFBIG;
		goto done;
	}
	unlinkat(dir, tmp, 0);
	out = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 || fchown(out, st.st_uid, st.st_gid) < 0 || fchmod(out, st.st_mode & 07777) < 0) {
		e = errno;
		goto done;
	}
	size_t ulen = strlen(user);
	for (char *line = buf, *end = buf + r; line < end;) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		bool mine = !found && n > ulen && !strncmp(line, user, ulen) && line[ulen] == ':';
		if (mine ? write_account_line(out, line, n, ulen, hash, *file == 's') < 0
			 : write_all(out, line, n) < 0) {
			e = errno;
			goto done;
		}
		found |= mine;
		line += n;
	}
	if (!found)
		goto done;
	if (fsync(out) < 0 || renameat(dir, tmp, dir, file) < 0) {
		e = errno;
		goto done;
	}
	fsync(dir);
done:
	if (out >= 0) {
		close(out);
		if (e || !found)
			unlinkat(dir, tmp, 0);
	}
	if (in >= 0)
		close(in);
	if (dir >= 0)
		close(dir);
	mem_free(buf);
	if (e == EFBIG)
		return call_error(c, "%s: /etc/%s is larger than %d bytes, left as it was", act, file,
				  ACCOUNT_FILE_MAX);
	if (e)
		return call_error(c, "%s: /etc/%s: %s", act, file, strerror(e));
	return !found;
}

/* As busybox's chpasswd: the user's line of /etc/shadow, or where there
 * is none (no shadow file, or no line there), its /etc/passwd field. */
static int set_password_hash(struct call *c, const char *user, const char *hash)
{
	struct user u;
	int lock, rc;

	if (!lookup_user(user, &u))
		return user_error(c, user);
	if ((lock = account_lock()) < 0)
		return call_error(c, "failed to set user password: /etc/.pwd.lock is held by "
				  "another process");
	rc = set_account_hash(c, "shadow", user, hash);
	if (rc == 1)
		rc = set_account_hash(c, "passwd", user, hash);
	close(lock);
	if (rc == 1)	/* it went between the lookup and the lock */
		return user_error(c, user);
	return rc;
}

static int guest_set_user_password(struct call *c, struct password_args *a)
{
	ssize_t n = b64_decode((char *)a->password, strlen(a->password));
	char *pw = (char *)a->password, *line;
	int rc;

	if (n < 0)
		return call_error(c, "Base64 data contains invalid characters");
	pw[n] = 0;	/* as qemu-ga, the password ends at a NUL */
	if (strchr(pw, '\n'))
		return call_error(c, "forbidden characters in raw password");
	if (strchr(a->username, '\n') || strchr(a->username, ':'))
		return call_error(c, "forbidden characters in username");
	log_command("guest-set-user-password called, username: %s", a->username);
	if (have_program("chpasswd")) {
		char *argv[] = { "chpasswd", a->crypted ? "-e" : NULL, NULL };
		size_t len = strlen(a->username) + strlen(pw) + 3;
		if (!(line = mem_alloc(len)))
			return call_error(c, "out of memory");
		fmt(line, len, "%s:%s\n", a->username, pw);
		rc = run_helper(c, "set user password", argv, line);
		explicit_bzero(line, len);
		mem_free(line);
		return rc;
	}
	if (a->crypted && (strchr(pw, ':') || !pw[0]))
		return call_error(c, "failed to set user password: invalid crypted password");
	const char *hash = a->crypted ? pw : hash_password(pw);
	if (!hash)
		return call_error(c, "failed to set user password: no random salt: %s",
				  strerror(errno));
	rc = set_password_hash(c, a->username, hash);
	explicit_bzero(pw, (size_t)n);
	return rc;
}
QGA_COMMAND(27, guest_set_user_password, "guest-set-user-password", password_spec,
	    struct password_args, 0);
