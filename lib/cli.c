/* cli.c - qemu-ga's command line and config file, read as qemu-ga reads
 * them: the config file first (-c, else $QGA_CONF, else the default path),
 * then every option over it; scalars: last one wins; RPC lists: the file's
 * list, then each -b/-a appended, each comma string split and reversed.
 *
 * The options are parsed here rather than by getopt_long, which would pull
 * stdio into the static binary; the syntax is getopt's: clustered short
 * options, "-mVALUE" or "-m VALUE", "--name=VALUE" or "--name VALUE",
 * unambiguous prefixes of long names, "--" to end options, and -F/--fsfreeze-hook
 * taking its argument only when attached. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispatch.h"
#include "cli.h"
#include "config.h"
#include "fdio.h"
#include "fmt.h"
#include "mem.h"
#include "options.h"
#include "sysread.h"

enum arg { NONE, REQUIRED, ATTACHED };

static const struct opt {
	const char *name;
	char key;
	unsigned char arg;
} opts[] = {
	{ "help", 'h', NONE }, { "version", 'V', NONE }, { "config", 'c', REQUIRED },
	{ "dump-conf", 'D', NONE }, { "logfile", 'l', REQUIRED },
	{ "pidfile", 'f', REQUIRED }, { "fsfreeze-hook", 'F', ATTACHED },
	{ "verbose", 'v', NONE }, { "method", 'm', REQUIRED }, { "path", 'p', REQUIRED },
	{ "daemonize", 'd', NONE }, { "block-rpcs", 'b', REQUIRED },
	{ "blacklist", 'b', REQUIRED },	/* 7.2's spelling, still in distro units */
	{ "allow-rpcs", 'a', REQUIRED }, { "statedir", 't', REQUIRED },
	{ "retry-path", 'r', NONE },
	{ "thaw-after", 1, REQUIRED },	/* ours, long only: auto-thaw after N s */
	/* ours, long only; no prefix qemu-ga accepts becomes ambiguous
	 * ("p" already was: path, pidfile) */
	{ "peer-cids", 2, REQUIRED }, { "peer-uids", 3, REQUIRED },
	{ "peer-gids", 4, REQUIRED },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *short_opt(char c)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].key == c && c > ' ')	/* not the long-only keys */
			return &opts[i];
	return NULL;
}

/* Exact name, else the one option it is a prefix of. */
static const struct opt *long_opt(const char *name, size_t len, bool *ambiguous)
{
	const struct opt *found = NULL;

	*ambiguous = false;
	for (size_t i = 0; i < NOPTS; i++) {
		if (strncmp(opts[i].name, name, len))
			continue;
		if (!opts[i].name[len])
			return &opts[i];
		if (found && found->key != opts[i].key)
			*ambiguous = true;
		found = &opts[i];
	}
	return *ambiguous ? NULL : found;
}

/* The next option: its key and argument, 0 at the end, '?' on error (after
 * getopt's message). */
struct optstate {
	int argc, i;
	char **argv;
	const char *cluster;	/* rest of a "-abc" group */
};

static int next_opt(struct optstate *s, const char **val)
{
	const struct opt *o;
	const char *a;

	*val = NULL;
	if (s->cluster && *s->cluster) {
		a = s->cluster;
	} else {
		s->cluster = NULL;
		/* qemu-ga uses no operands: skip them, as getopt permutes */
		while (s->i < s->argc && (s->argv[s->i][0] != '-' || !s->argv[s->i][1]))
			s->i++;
		if (s->i >= s->argc)
			return 0;
		a = s->argv[s->i++];
		if (!strcmp(a, "--")) {
			s->i = s->argc;
			return 0;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			bool amb;

			o = long_opt(a + 2, len, &amb);
			if (!o) {
				fmt_fd(2, amb ? "%s: option '%s' is ambiguous\n" :
					  "%s: unrecognized option '%s'\n", s->argv[0], a);
				return '?';
			}
			if (eq && o->arg == NONE) {
				fmt_fd(2, "%s: option '--%s' doesn't allow an argument\n",
				       s->argv[0], o->name);
				return '?';
			}
			if (eq)
				*val = eq + 1;
			else if (o->arg == REQUIRED) {
				if (s->i >= s->argc) {
					fmt_fd(2, "%s: option '--%s' requires an argument\n",
					       s->argv[0], o->name);
					return '?';
				}
				*val = s->argv[s->i++];
			}
			return o->key;
		}
		a++;
	}
	o = short_opt(*a);
	if (!o) {
		fmt_fd(2, "%s: invalid option -- '%c'\n", s->argv[0], *a);
		s->cluster = a + 1;
		return '?';
	}
	s->cluster = a + 1;
	if (o->arg == NONE)
		return o->key;
	if (*s->cluster) {
		*val = s->cluster;
	} else if (o->arg == REQUIRED) {
		if (s->i >= s->argc) {
			fmt_fd(2, "%s: option requires an argument -- '%c'\n", s->argv[0], *a);
			return '?';
		}
		*val = s->argv[s->i++];
	}
	s->cluster = NULL;
	return o->key;
}

/* Text the lists point into, chained so that cli_free can give it back. */
struct cli_copy {
	struct cli_copy *next;
	char text[];
};

static char *keep_copy(struct config *c, const char *str)
{
	size_t len = strlen(str);
	struct cli_copy *k = mem_alloc(sizeof(*k) + len + 1);

	if (!k)
		return NULL;
	memcpy(k->text, str, len + 1);
	k->next = c->copies;
	c->copies = k;
	return k->text;
}

/* Append one comma string to a list the way qemu-ga does: the pieces of
 * one string end up reversed, empty pieces are dropped. */
static int list_add(struct config *c, struct namelist *l, const char *str)
{
	size_t first = l->n;
	char *copy = keep_copy(c, str), *t, *end;

	if (!copy)
		return -1;
	for (t = copy; *t; t = end) {
		end = t + strcspn(t, ",");
		if (*end)
			*end++ = 0;
		if (!*t)
			continue;
		const char **v = mem_realloc(l->v, (l->n + 1) * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->v[l->n++] = t;
	}
	for (size_t i = first, j = l->n; i + 1 < j; i++, j--) {
		const char *x = l->v[i];
		l->v[i] = l->v[j - 1];
		l->v[j - 1] = x;
	}
	return 0;
}

/* The peer lists: option key, config key (the long name too), field. */
static const struct {
	int key;
	const char *name;
	size_t off;
} peer_lists[] = {
	{ 2, "peer-cids", offsetof(struct config, peer_cids) },
	{ 3, "peer-uids", offsetof(struct config, peer_uids) },
	{ 4, "peer-gids", offsetof(struct config, peer_gids) },
};
#define NPEER_LISTS (sizeof(peer_lists) / sizeof(peer_lists[0]))

static struct idlist *peer_list(struct config *c, size_t i)
{
	return (struct idlist *)((char *)c + peer_lists[i].off);
}

/* Append "N,N,..." (unsigned 32-bit decimals; empty pieces dropped, as
 * in the RPC lists) to l; -1 on anything else or past PEER_LIST_MAX. */
static int ids_add(struct idlist *l, const char *s)
{
	while (*s) {
		uint64_t x;
		const char *p = num_scan(s, 10, UINT32_MAX, &x);

		if (p) {
			if ((*p && *p != ',') || l->n >= PEER_LIST_MAX)
				return -1;
			l->v[l->n++] = (uint32_t)x;
		} else if (*(p = s) != ',') {
			return -1;
		}
		s = *p ? p + 1 : p;
	}
	return 0;
}

/* ---- config file: GLib key file, group [general] ---- */

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (buf = mem_alloc((size_t)st.st_size + 1))) {
		n = read_upto(fd, buf, (size_t)st.st_size);
		buf[n > 0 ? n : 0] = 0;
	}
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	return buf;
}

/* Undo a key file's escapes (\s \n \t \r \\) in place. */
static bool unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		switch (*++s) {
		case 's': *w++ = ' '; break;
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case 'r': *w++ = '\r'; break;
		case '\\': *w++ = '\\'; break;
		default: return false;
		}
	}
	*w = 0;
	return true;
}

static int parse_bool(const char *v, bool *out)
{
	size_t n = strlen(v);

	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if ((n == 4 && !strncmp(v, "true", 4)) || (n == 1 && v[0] == '1'))
		*out = true;
	else if ((n == 5 && !strncmp(v, "false", 5)) || (n == 1 && v[0] == '0'))
		*out = false;
	else
		return -1;
	return 0;
}

static int bad_value(const char *path, const char *key)
{
	fmt_fd(2, "critical: error loading configuration from path: %s, "
	       "Key file contains key \xe2\x80\x9c%s\xe2\x80\x9d which has a "
	       "value that cannot be interpreted.\n", path, key);
	return 1;
}

static int conf_apply(struct config *c, const char *path, char *key, char *val)
{
	static const struct { const char *key; size_t off; } strs[] = {
		{ "method", offsetof(struct config, method) },
		{ "path", offsetof(struct config, path) },
		{ "logfile", offsetof(struct config, logfile) },
		{ "pidfile", offsetof(struct config, pidfile) },
		{ "fsfreeze-hook", offsetof(struct config, fsfreeze_hook) },
		{ "statedir", offsetof(struct config, statedir) },
	};
	bool b;

	if (!unescape(val)) {
		fmt_fd(2, "critical: error loading configuration from path: %s, "
		       "Key file contains an invalid escape sequence in key \xe2\x80\x9c%s\xe2\x80\x9d\n",
		       path, key);
		return 1;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!strcmp(key, strs[i].key)) {
			*(const char **)((char *)c + strs[i].off) = val;
			return 0;
		}
	if (!strcmp(key, "daemon") || !strcmp(key, "verbose") || !strcmp(key, "retry-path")) {
		if (parse_bool(val, &b) < 0)
			return bad_value(path, key);
		if (key[0] == 'd')
			c->daemonize = b;
		else if (key[0] == 'v')
			c->verbose = b;
		else
			c->retry_path = b;
		return 0;
	}
	if (!strcmp(key, "thaw-after")) {
		uint64_t v;
		if (!parse_u64(val, 10, &v) || v > 86400 * 365)
			return bad_value(path, key);
		c->fsfreeze_timeout = (int)v;
		return 0;
	}
	if (!strcmp(key, "block-rpcs") || !strcmp(key, "blacklist"))
		return list_add(c, &c->block, val) < 0;
	if (!strcmp(key, "allow-rpcs"))
		return list_add(c, &c->allow, val) < 0;
	for (size_t i = 0; i < NPEER_LISTS; i++)
		if (!strcmp(key, peer_lists[i].name))
			return ids_add(peer_list(c, i), val) < 0 ? bad_value(path, key) : 0;
	return 0;	/* unknown keys are ignored, as qemu-ga */
}

/* Lines: blank, "# comment", "[group]", "key=value" (key[locale] too).
 * buf[len] must be 0; values are left in buf, which *c then points into. */
static int conf_parse(struct config *c, const char *path, char *buf, size_t len)
{
	char *line, *next;
	bool general = false, grouped = false;

	for (line = buf; line < buf + len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line)), *eq, *k;

		next = nl ? nl + 1 : buf + len;
		if (nl)
			*nl = 0;
		if (nl > line && nl[-1] == '\r')
			nl[-1] = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');
			if (!end) {
				fmt_fd(2, "critical: error loading configuration from path: %s, "
				       "Key file contains line \xe2\x80\x9c%s\xe2\x80\x9d which is not a "
				       "key-value pair, group, or comment\n", path, line);
				return 1;
			}
			*end = 0;
			general = !strcmp(line + 1, "general");
			grouped = true;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			fmt_fd(2, "critical: error loading configuration from path: %s, "
			       "Key file contains line \xe2\x80\x9c%s\xe2\x80\x9d which is not a "
			       "key-value pair, group, or comment\n", path, line);
			return 1;
		}
		if (!grouped) {
			fmt_fd(2, "critical: error loading configuration from path: %s, "
			       "Key file does not start with a group\n", path);
			return 1;
		}
		for (k = eq; k > line && (k[-1] == ' ' || k[-1] == '\t'); k--)
			;
		*k = 0;
		for (eq++; *eq == ' ' || *eq == '\t'; eq++)
			;
		if (general && !strchr(line, '[') && conf_apply(c, path, line, eq))
			return 1;
	}
	return 0;
}

/* ---- usage, dump ---- */

static void usage(const char *argv0)
{
	fmt_fd(1, "Usage: %s [-m <method> -p <path>] [<options>]\n"
	       "tinyqga " TINYQGA_VERSION ", a QEMU Guest Agent (as qemu-ga " QGA_VERSION ")\n\n"
	       "  -c, --config      use this configuration file (default is\n"
	       "                    " DEFAULT_CONFIG ", or $QGA_CONF)\n"
	       "  -m, --method      transport method: one of unix-listen, virtio-serial,\n"
	       "                    isa-serial, or vsock-listen (virtio-serial is the default)\n"
	       "  -p, --path        device/socket path (the default for virtio-serial is:\n"
	       "                    " DEFAULT_VIRTIO_PATH ",\n"
	       "                    the default for isa-serial is:\n"
	       "                    " DEFAULT_ISA_PATH ").\n"
	       "                    Socket addresses for vsock-listen are written as\n"
	       "                    <cid>:<port>.  Started by systemd with a listening\n"
	       "                    socket (LISTEN_FDS=1), that socket is the channel and\n"
	       "                    -m and -p are not needed.\n"
	       "  -l, --logfile     set logfile path, logs to stderr by default\n"
	       "  -f, --pidfile     specify pidfile (default is " DEFAULT_PIDFILE ")\n"
	       "  -F, --fsfreeze-hook\n"
	       "                    enable fsfreeze hook. Accepts an optional argument that\n"
	       "                    specifies script to run on freeze/thaw. Script will be\n"
	       "                    called with 'freeze'/'thaw' arguments accordingly.\n"
	       "                    (default is " DEFAULT_FSFREEZE_HOOK ")\n"
	       "                    If using -F with an argument, do not follow -F with a\n"
	       "                    space.\n"
	       "                    (for example: -F/var/run/fsfreezehook.sh)\n"
	       "  -t, --statedir    specify dir to store state information (created 0700\n"
	       "                    if missing, default is " DEFAULT_STATEDIR ")\n"
	       "  -v, --verbose     log extra debugging information\n"
	       "  -V, --version     print version information and exit\n"
	       "  -d, --daemonize   become a daemon\n"
	       "  -b, --block-rpcs  comma-separated list of RPCs to disable (no spaces,\n"
	       "                    use \"help\" to list available RPCs; --blacklist too)\n"
	       "  -a, --allow-rpcs  comma-separated list of RPCs to enable (no spaces,\n"
	       "                    use \"help\" to list available RPCs)\n"
	       "  -D, --dump-conf   dump a qemu-ga config file based on current config\n"
	       "                    options / command-line parameters to stdout\n"
	       "  --thaw-after=SECONDS\n"
	       "                    thaw frozen filesystems by ourselves after this long\n"
	       "                    (tinyqga only; default: never)\n"
	       "  --peer-cids=LIST  vsock-listen: also serve these peer CIDs (comma list;\n"
	       "                    default: only the host, CID 2)\n"
	       "  --peer-uids=LIST, --peer-gids=LIST\n"
	       "                    unix-listen: also serve peers with these uids, or with\n"
	       "                    these primary gids (comma lists of numbers; default:\n"
	       "                    only root and the agent's own uid)\n"
	       "                    (tinyqga only; config keys of the same names; others\n"
	       "                    are logged and closed unread)\n"
	       "  -r, --retry-path  attempt re-opening path if it's unavailable or closed\n"
	       "                    due to an error which may be recoverable in the future\n"
	       "                    (virtio-serial driver re-install, serial device hot\n"
	       "                    plug/unplug, etc.)\n"
	       "  -h, --help        display this help and exit\n\n"
	       "guest-shutdown (powerdown, halt, reboot), in this order:\n"
	       "  in a PID namespace of its own (a container): sync, then\n"
	       "    /proc/sysrq-trigger ('o', 'b'; halt is refused), or an error;\n"
	       "  /sbin/poweroff|halt|reboot, else /sbin/shutdown -h -P|-H|-r +0, skipping\n"
	       "    busybox's and toybox's applets when PID 1 would drop their signal\n"
	       "    (a shell-script /init);\n"
	       "  no such program: sync and reboot(2);\n"
	       "  a program exited 0 but the machine is still up 30 s later (and PID 1\n"
	       "    is not systemd): sync and reboot(2).\n", argv0);
}

/* Key file escaping of a string value, as g_key_file_set_string. */
static void dump_str(const char *key, const char *v)
{
	char buf[4096];
	size_t n = 0;

	for (const char *s = v; *s && n + 2 < sizeof(buf); s++) {
		const char *e = *s == '\n' ? "\\n" : *s == '\t' ? "\\t" : *s == '\r' ? "\\r" :
				*s == '\\' ? "\\\\" : (*s == ' ' && s == v) ? "\\s" : NULL;
		if (e) {
			buf[n++] = e[0];
			buf[n++] = e[1];
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = 0;
	fmt_fd(1, "%s=%s\n", key, buf);
}

static void dump_list(const char *key, const struct namelist *l)
{
	fmt_fd(1, "%s=", key);
	for (size_t i = 0; i < l->n; i++)
		fmt_fd(1, "%s%s", i ? "," : "", l->v[i]);
	fmt_fd(1, "\n");
}

static void dump(const struct config *c)
{
	fmt_fd(1, "[general]\ndaemon=%s\n", c->daemonize ? "true" : "false");
	dump_str("method", c->method);
	if (c->path)
		dump_str("path", c->path);
	if (c->logfile)
		dump_str("logfile", c->logfile);
	dump_str("pidfile", c->pidfile);
	if (c->fsfreeze_hook)
		dump_str("fsfreeze-hook", c->fsfreeze_hook);
	dump_str("statedir", c->statedir);
	fmt_fd(1, "verbose=%s\nretry-path=%s\n", c->verbose ? "true" : "false",
	       c->retry_path ? "true" : "false");
	dump_list("block-rpcs", &c->block);
	dump_list("allow-rpcs", &c->allow);
	if (c->fsfreeze_timeout)	/* ours; qemu-ga ignores the key */
		fmt_fd(1, "thaw-after=%d\n", c->fsfreeze_timeout);
	/* ours too, and only when set: the default dump stays qemu-ga's */
	for (size_t i = 0; i < NPEER_LISTS; i++) {
		const struct idlist *l =
			(const struct idlist *)((const char *)c + peer_lists[i].off);
		if (!l->n)
			continue;
		fmt_fd(1, "%s=", peer_lists[i].name);
		for (size_t j = 0; j < l->n; j++)
			fmt_fd(1, "%s%u", j ? "," : "", (unsigned)l->v[j]);
		fmt_fd(1, "\n");
	}
}

static void list_commands(void)
{
	for (size_t i = 0; i < command_count(); i++)
		fmt_fd(1, "%s\n", command_at(i)->name);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "?") || !strcmp(s, "help");
}

/* "N,N" for one of the peer options; -1 after a line on stderr. */
static int peer_option(struct config *c, int key, const char *val, const char *argv0)
{
	for (size_t i = 0; i < NPEER_LISTS; i++)
		if (peer_lists[i].key == key) {
			if (ids_add(peer_list(c, i), val) == 0)
				return 0;
			fmt_fd(2, "%s: invalid --%s: %s (at most %d unsigned numbers)\n",
			       argv0, peer_lists[i].name, val, PEER_LIST_MAX);
			return -1;
		}
	return -1;
}

int cli_parse_text(struct config *c, int argc, char **argv, const char *name,
		   char *text, size_t len)
{
	struct optstate st = { argc, 1, argv, NULL };
	const char *val;
	int key, rc;

	memset(c, 0, sizeof(*c));
	c->pidfile = DEFAULT_PIDFILE;
	c->statedir = DEFAULT_STATEDIR;
	if (text && (rc = conf_parse(c, name, text, len)))
		return rc;
	while ((key = next_opt(&st, &val)) != 0) {
		switch (key) {
		case 'm': c->method = val; break;
		case 'p': c->path = val; break;
		case 'l': c->logfile = val; break;
		case 'f': c->pidfile = val; break;
		case 'F': c->fsfreeze_hook = val ? val : DEFAULT_FSFREEZE_HOOK; break;
		case 't': c->statedir = val; break;
		case 'v': c->verbose = true; break;
		case 'd': c->daemonize = true; break;
		case 'D': c->dump = true; break;
		case 'r': c->retry_path = true; break;
		case 1: {
			uint64_t v;
			if (!parse_u64(val, 10, &v) || v > 86400 * 365) {
				fmt_fd(2, "%s: invalid --thaw-after: %s\n", argv[0], val);
				return 1;
			}
			c->fsfreeze_timeout = (int)v;
			break;
		}
		case 2:
		case 3:
		case 4:
			if (peer_option(c, key, val, argv[0]) < 0)
				return 1;
			break;
		case 'c': break;
		case 'V':
			/* qemu-ga's line first, for scripts that read it */
			fmt_fd(1, "QEMU Guest Agent " QGA_VERSION "\n"
				  "tinyqga " TINYQGA_VERSION "\n");
			return 0;
		case 'h':
			usage(argv[0]);
			return 0;
		case 'b':
		case 'a':
			if (is_help(val)) {
				list_commands();
				return 0;
			}
			if (list_add(c, key == 'b' ? &c->block : &c->allow, val) < 0)
				return 1;
			break;
		default:
			goto bad;
		}
	}
	if (!c->method)
		c->method = DEFAULT_METHOD;
	if (c->dump) {
		if (!c->path)
			c->path = !strcmp(c->method, "virtio-serial") ? DEFAULT_VIRTIO_PATH :
				  !strcmp(c->method, "isa-serial") ? DEFAULT_ISA_PATH : NULL;
		dump(c);
		return 0;
	}
	return -1;
bad:
	fmt_fd(2, "Unknown option, try '%s --help' for more information.\n", argv[0]);
	return 1;
}

int cli_parse(struct config *c, int argc, char **argv)
{
	struct optstate st = { argc, 1, argv, NULL };
	const char *conf = getenv("QGA_CONF"), *val;
	bool must = false;
	size_t len = 0;
	char *text;
	int key, rc;

	memset(c, 0, sizeof(*c));
	/* pass 1: only -c, so the file comes first and options win */
	while ((key = next_opt(&st, &val)) != 0) {
		if (key == '?') {
			fmt_fd(2, "Unknown option, try '%s --help' for more information.\n",
			       argv[0]);
			return 1;
		}
		if (key == 'c') {
			conf = val;
			must = true;
		}
	}
	if (!conf)
		conf = DEFAULT_CONFIG;
	text = read_file(conf, &len);
	if (!text && must) {
		fmt_fd(2, "critical: error loading configuration from path: %s, %s\n",
		       conf, strerror(errno));
		return 1;
	}
	rc = cli_parse_text(c, argc, argv, conf, text, len);
	c->file_text = text;	/* kept for the agent's life, as the values */
	return rc;
}

void cli_free(struct config *c)
{
	while (c->copies) {
		struct cli_copy *k = c->copies;
		c->copies = k->next;
		mem_free(k);
	}
	mem_free(c->block.v);
	mem_free(c->allow.v);
	mem_free(c->file_text);
	c->file_text = NULL;
	c->block = c->allow = (struct namelist){ 0 };
}
