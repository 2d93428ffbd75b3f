/* cmds/system.c - guest-get-time, guest-get-host-name, guest-get-users,
 * guest-get-timezone, guest-get-osinfo, guest-get-load: facts about the
 * system, from syscalls, /proc, utmp, logind's sessions and os-release. */
#include <errno.h>
#include <dirent.h>	/* DT_REG */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"
#include "fdio.h"
#include "num.h"
#include "sysread.h"

/* Nanoseconds, from microseconds as qemu-ga (g_get_real_time). */
static int guest_get_time(struct call *c)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	reply_begin(c);
	out_i64(c->out, ((int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000) * 1000);
	return 0;
}
QGA_COMMAND0(4, guest_get_time, "guest-get-time", CMD_FUZZ_SAFE);

static int guest_get_host_name(struct call *c)
{
	char name[256];

	if (gethostname(name, sizeof(name)) < 0)
		return call_error(c, "failed to get hostname: %s", strerror(errno));
	name[sizeof(name) - 1] = 0;
	reply_begin(c);
	out_lit(c->out, "{\"host-name\": ");
	out_str(c->out, name, strlen(name));
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND0(33, guest_get_host_name, "guest-get-host-name", CMD_FUZZ_SAFE);

/* utmp records, read directly: musl's utmpx functions are stubs.  The
 * layout is the Linux one shared by glibc on 64-bit and 32-bit ABIs. */
#define UTMP_SIZE 384
#define UTMP_USER_PROCESS 7
#define UTMP_MAX_USERS 256	/* distinct users reported */
#define USER_NAME_MAX 256	/* bytes of a name: logind's are not cut to utmp's 32 */
#define LOGIND_SESSIONS_MAX 4096	/* directory entries looked at (sessions and FIFOs) */
#define SESSION_FILE_MAX 4096	/* bytes of each session file (logind writes ~500) */

static int32_t rd_i32(const unsigned char *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

struct login {
	char name[USER_NAME_MAX + 1];
	double t;
};

/* One login: the earliest time counts for each user. */
static void add_login(struct login *users, int *n, const char *name, double t)
{
	int i;

	for (i = 0; i < *n && strcmp(users[i].name, name); i++)
		;
	if (i < *n) {
		if (t < users[i].t)
			users[i].t = t;
	} else if (*n < UTMP_MAX_USERS && strlen(name) < sizeof(users->name)) {
		strcpy(users[*n].name, name);
		users[(*n)++].t = t;
	}
}

static void utmp_logins(struct login *users, int *n)
{
	unsigned char rec[UTMP_SIZE];
	int fd = sys_open("/var/run/utmp", O_RDONLY | O_NONBLOCK);

	while (fd >= 0 && read(fd, rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
		int16_t type;
		char name[33];
		memcpy(&type, rec, 2);
		if (type != UTMP_USER_PROCESS || !rec[44])
			continue;
		memcpy(name, rec + 44, 32);
		name[32] = 0;
		/* login time as qemu-ga: seconds + microseconds / 1e6 */
		add_login(users, n, name, (double)rd_i32(rec + 340) + (double)rd_i32(rec + 344) / 1000000.0);
	}
	if (fd >= 0)
		close(fd);
}

/* What a logind session file tells about the login, pointing into it. */
struct session {
	const char *user, *class, *state, *realtime;
};

/* The value of line if it is "KEY=value", else NULL. */
static const char *value_of(const char *line, const char *key)
{
	size_t k = strlen(key);

	return strncmp(line, key, k) || line[k] != '=' ? NULL : line + k + 1;
}

/* KEY=value lines, split in place; a later line of a key wins. */
static void session_parse(char *text, struct session *s)
{
	const char *v;

	for (char *line = text, *next; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		if ((v = value_of(line, "USER")))
			s->user = v;
		else if ((v = value_of(line, "CLASS")))
			s->class = v;
		else if ((v = value_of(line, "STATE")))
			s->state = v;
		else if ((v = value_of(line, "REALTIME")))
			s->realtime = v;
	}
}

/* A login someone made, as utmp would list it: classes user, user-early
 * (root before boot finished), user-light and user-early-light (no
 * service manager), in state online or active.  Not user-incomplete
 * (PAM has not finished the login), greeter, lock-screen, background
 * (cron and the like, which utmp never lists), manager (user@.service);
 * not opening, and not closing (logged out, processes lingering: utmp
 * has marked it dead by then). */
static bool session_is_login(const struct session *s)
{
	return s->user && *s->user && s->class && s->realtime &&
	       (!strcmp(s->class, "user") || !strncmp(s->class, "user-", 5)) &&
	       strcmp(s->class, "user-incomplete") &&
	       (!s->state || !strcmp(s->state, "online") || !strcmp(s->state, "active"));
}

/* A session file, NUL-terminated, if it is a regular file of at most
 * SESSION_FILE_MAX bytes: opened non-blocking and checked before it is
 * read, so a FIFO or device planted there cannot hold the agent.  -1 if
 * not. */
static ssize_t session_read(int dir, const char *name, char *buf)
{
	int fd = openat(dir, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	ssize_t len = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= SESSION_FILE_MAX)
		len = read_upto(fd, buf, SESSION_FILE_MAX + 1);
	close(fd);
	if (len < 0 || len > SESSION_FILE_MAX)	/* grown meanwhile: not half a file */
		return -1;
	buf[len] = 0;
	return len;
}

/* systemd-logind's sessions where nothing writes utmp (Debian 13 and
 * others): their USER, and REALTIME (microseconds) as the login time.
 * Skipped: dot files (logind writes ".#..." and renames it), anything
 * not a plain file (logind's "N.ref" FIFOs), files over the size cap,
 * files without these keys or with a malformed time. */
static void logind_logins(struct login *users, int *n)
{
	char text[SESSION_FILE_MAX + 1];
	struct dirents d;
	const char *id;
	unsigned char type;
	int seen = 0;

	if (!dir_open(&d, "/run/systemd/sessions"))
		return;
	while ((id = dir_next(&d, &type)) && seen++ < LOGIND_SESSIONS_MAX) {
		struct session s = { 0 };
		uint64_t us;

		if (id[0] == '.' || (type != DT_REG && type != DT_UNKNOWN) ||
		    session_read(d.fd, id, text) < 0)
			continue;
		session_parse(text, &s);
		if (!session_is_login(&s) || s.realtime[strspn(s.realtime, "0123456789")] ||
		    !parse_u64(s.realtime, 10, &us))
			continue;
		add_login(users, n, s.user, (double)(us / 1000000) + (double)(us % 1000000) / 1000000.0);
	}
	dir_close(&d);
}

static int guest_get_users(struct call *c)
{
	static struct login users[UTMP_MAX_USERS];
	int n = 0, k;

	utmp_logins(users, &n);
	if (n == 0)
		logind_logins(users, &n);
	reply_begin(c);
	out_lit(c->out, "[");
	for (k = 0; k < n; k++) {
		out_lit(c->out, k ? ", {\"login-time\": " : "{\"login-time\": ");
		out_double(c->out, users[k].t);
		out_lit(c->out, ", \"user\": ");
		out_str(c->out, users[k].name, strlen(users[k].name));
		out_lit(c->out, "}");
	}
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(34, guest_get_users, "guest-get-users", CMD_FUZZ_SAFE);

static int guest_get_timezone(struct call *c)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	reply_begin(c);
	out_lit(c->out, "{");
	if (tm.tm_zone) {
		out_lit(c->out, "\"zone\": ");
		out_str(c->out, tm.tm_zone, strlen(tm.tm_zone));
		out_lit(c->out, ", ");
	}
	out_lit(c->out, "\"offset\": ");
	out_i64(c->out, tm.tm_gmtoff);
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND0(35, guest_get_timezone, "guest-get-timezone", CMD_FUZZ_SAFE);

/* os-release values as qemu-ga reads them: a double-quoted value up to the
 * next quote with \$ \" \' \\ \` unescaped; anything else up to the first
 * space or ';' (so NAME='My OS' gives 'My). */
static char *os_value(char *v)
{
	char *w = v, *r;

	if (*v != '"') {
		v[strcspn(v, " ;")] = 0;
		return v;
	}
	for (r = v + 1; *r && *r != '"'; r++) {
		if (*r == '\\' && r[1] && strchr("$\"'\\`", r[1]))
			r++;
		*w++ = *r;
	}
	*w = 0;
	return v;
}

static int guest_get_osinfo(struct call *c)
{
	/* os-release name and JSON key, in the order qemu-ga's reply has them */
	static const char *const fields[][2] = {
		{ "NAME", "name" }, { "", "kernel-release" }, { "VERSION", "version" },
		{ "VARIANT", "variant" }, { "PRETTY_NAME", "pretty-name" },
		{ "VERSION_ID", "version-id" }, { "VARIANT_ID", "variant-id" },
		{ "", "kernel-version" }, { "", "machine" }, { "ID", "id" },
	};
	const char *val[10] = { 0 };
	const char *env = getenv("QGA_OS_RELEASE");
	struct utsname u;
	struct lines *l = &(struct lines){ .fd = -1 };
	char *line;
	int i, count = 0;

	if (uname(&u) < 0)
		return call_error(c, "cannot get uname: %s", strerror(errno));
	if (env ? lines_open(l, env) : (lines_open(l, "/etc/os-release") ||
					 lines_open(l, "/usr/lib/os-release"))) {
		static char keep[8192];	/* values outlive the line buffer */
		size_t used = 0;
		while ((line = lines_next(l))) {
			char *eq = strchr(line, '=');
			if (!eq || line[0] == '#')
				continue;
			*eq = 0;
			for (i = 0; i < 10; i++) {
				if (!fields[i][0][0] || strcmp(fields[i][0], line))
					continue;
				char *v = os_value(eq + 1);
				size_t n = strlen(v) + 1;
				if (used + n <= sizeof(keep)) {
					val[i] = memcpy(keep + used, v, n);
					used += n;
				}
			}
		}
		lines_close(l);
	}
	val[1] = u.release;
	val[7] = u.version;
	val[8] = u.machine;
	reply_begin(c);
	out_lit(c->out, "{");
	for (i = 0; i < 10; i++) {
		if (!val[i])
			continue;
		out_key(c->out, &count, fields[i][1]);
		out_str(c->out, val[i], strlen(val[i]));
	}
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND0(36, guest_get_osinfo, "guest-get-osinfo", CMD_FUZZ_SAFE);

/* From /proc/loadavg's text, as glibc's getloadavg reads it (musl's asks
 * sysinfo() and rounds differently). */
static int guest_get_load(struct call *c)
{
	char buf[128], *f[3];

	if (sys_read("/proc/loadavg", buf, sizeof(buf)) < 0 || split_ws(buf, f, 3) < 3)
		return call_error(c, "cannot query load average");
	reply_begin(c);
	out_lit(c->out, "{\"load15m\": ");
	out_double(c->out, num_to_double(f[2], strlen(f[2])));
	out_lit(c->out, ", \"load5m\": ");
	out_double(c->out, num_to_double(f[1], strlen(f[1])));
	out_lit(c->out, ", \"load1m\": ");
	out_double(c->out, num_to_double(f[0], strlen(f[0])));
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND0(43, guest_get_load, "guest-get-load", CMD_FUZZ_SAFE);
