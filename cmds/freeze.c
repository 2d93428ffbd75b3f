/* cmds/freeze.c - guest-fsfreeze-status, -freeze, -freeze-list, -thaw,
 * guest-fstrim, and the agent's frozen state.
 *
 * As qemu-ga: the hook runs before anything is frozen and after
 * everything is thawed; the agent enters its frozen state before the
 * first FIFREEZE (only freeze-safe commands, no logging, SIGTERM ignored,
 * marked by STATEDIR/qga.state.isfrozen so a restart stays frozen) and
 * leaves it on thaw.  Beyond qemu-ga: an optional auto-thaw after
 * --thaw-after seconds, so a host that dies mid-backup cannot leave
 * the guest frozen for good.  The -F hook runs as root, so it is refused
 * unless root alone could have put it there (unsafe_hook).  Its run is
 * not bounded yet: helper.c waits for it, as qemu-ga does. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include <sys/stat.h>

#include "handler.h"
#include "dispatch.h"	/* commands_set_frozen */
#include "fmt.h"
#include "freeze.h"
#include "helper.h"
#include "log.h"
#include "mounts.h"
#include "options.h"
#include "state.h"

#define FROZEN_FILE "qga.state.isfrozen"

static bool frozen;
static struct timespec frozen_at;

bool freeze_is_frozen(void)
{
	return frozen;
}

static void enter_frozen(void)
{
	frozen = true;
	clock_gettime(CLOCK_MONOTONIC, &frozen_at);
	state_touch(FROZEN_FILE);
	commands_set_frozen(true);
	log_enable(false);	/* the log may live on a frozen filesystem */
}

static void leave_frozen(void)
{
	log_enable(true);
	frozen = false;
	state_remove(FROZEN_FILE);
	commands_set_frozen(false);
}

void freeze_startup(void)
{
	if (!state_exists(FROZEN_FILE))
		return;
	log_msg(LOG_WARNING, "previous instance exited with filesystems frozen: "
		"only guest-fsfreeze-thaw and the freeze-safe commands are enabled");
	enter_frozen();
}

/* The hook's real path: the kernel resolves it (/proc/self/fd); without
 * /proc the path as given, whose symlinks safe_path() then refuses. */
static bool resolve(const char *path, char *out, size_t cap)
{
	char link[32];
	ssize_t n;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return false;
	fmt(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, cap - 1);
	close(fd);
	if (n > 0 && out[0] == '/') {
		out[n] = 0;
		return true;
	}
	if (path[0] != '/' || strlen(path) >= cap)
		return false;
	strcpy(out, path);
	return true;
}

/* Why st, the component of a real path ending there (last: the hook
 * itself), is unsafe; shared: its directory is writable by others. */
static const char *unsafe_part(const struct stat *st, bool last, bool shared)
{
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "not owned by root";
	if (!last && !S_ISDIR(st->st_mode))
		return "not a directory";
	if (last && !S_ISREG(st->st_mode))
		return "not a regular file";
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && (last || !(st->st_mode & S_ISVTX)))
		return "writable by group or others";
	if (last && shared && st->st_nlink != 1)
		return "a hard link in a directory others can write to";
	return NULL;
}

/* Root runs the hook, so only root may have chosen what runs: the file
 * and every directory above it are root's, none writable by others (a
 * writable directory must be sticky, as /tmp, where others cannot rename
 * root's entries; a file right in one must have one link, or it may be a
 * link someone planted to any root program).  No symlink in the real
 * path.  A message into why, or NULL. */
static const char *unsafe_hook(char *real, char *why, size_t cap)
{
	bool shared = false;
	struct stat st;

	for (char *end = real; end; end = strchr(end + 1, '/')) {
		char c = *end;
		const char *bad;

		*end = 0;	/* the prefix up to this slash; "" is the root */
		if (lstat(end == real ? "/" : real, &st) < 0)
			bad = strerror(errno);
		else
			bad = unsafe_part(&st, false, shared);
		*end = c;
		if (!bad) {
			shared = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
			continue;
		}
		fmt(why, cap, "%.*s: %s", end == real ? 1 : (int)(end - real), real, bad);
		return why;
	}
	const char *bad = lstat(real, &st) < 0 ? strerror(errno) : unsafe_part(&st, true, shared);
	if (!bad)
		return NULL;
	fmt(why, cap, "%s: %s", real, bad);
	return why;
}

/* Refused with a reason when unsafe, run by its real path otherwise. */
static int run_hook(struct call *c, const char *arg)
{
	char real[4096], why[4200];
	char *argv[] = { real, (char *)arg, NULL };
	const char *hook = settings.fsfreeze_hook;

	if (!hook)
		return 0;
	if (!resolve(hook, real, sizeof(real)))
		return call_error(c, "can't access fsfreeze hook '%s': %s", hook, strerror(errno));
	if (unsafe_hook(real, why, sizeof(why)))
		return call_error(c, "refusing fsfreeze hook '%s': %s", hook, why);
	log_command("executing fsfreeze hook with arg '%s'", arg);
	return run_helper_timed(c, "execute fsfreeze hook", argv, NULL, HELPER_HOOK_TIMEOUT_MS, false);
}

/* FITHAW each mount until it says no more; how many were frozen. */
static int thaw_all(const struct mounts *ms)
{
	int count = 0;

	for (int i = 0; i < ms->n; i++) {
		int fd = open(ms->m[i].dir, O_RDONLY | O_CLOEXEC), n = 0;
		if (fd < 0)
			continue;
		while (ioctl(fd, FITHAW) == 0)
			n++;
		count += n > 0;
		close(fd);
	}
	return count;
}

static int guest_fsfreeze_status(struct call *c)
{
	reply_begin(c);
	out_lit(c->out, frozen ? "\"frozen\"" : "\"thawed\"");
	return 0;
}
QGA_COMMAND0(14, guest_fsfreeze_status, "guest-fsfreeze-status",
	    CMD_FREEZE_SAFE | CMD_FUZZ_SAFE);

struct freeze_args {
	struct arg_list mountpoints;
};

ARG_SPEC(freeze_spec, struct freeze_args) = {
	ARG(freeze_spec, mountpoints, "mountpoints", ARG_STR_LIST, true),
	ARG_END
};

static int freeze(struct call *c, const struct arg_list *only)
{
	const struct mounts *ms;
	int count = 0, i, e;

	log_command("guest-fsfreeze called");
	if (run_hook(c, "freeze") < 0)
		return -1;
	if (!(ms = mounts_read()))
		return call_error(c, "failed to read mount list: %s", strerror(errno));
	enter_frozen();
	for (i = ms->n - 1; i >= 0; i--) {	/* newest mount first */
		const char *dir = ms->m[i].dir;
		if (only) {
			size_t k;
			jv s = only->first;
			for (k = 0; k < only->n && strcmp(jv_str(c->doc, s, NULL), dir); k++)
				s = jv_next(c->doc, s);
			if (k == only->n)
				continue;
		}
		int fd = open(dir, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			e = errno;
			call_error(c, "failed to open %s: %s", dir, strerror(e));
			goto undo;
		}
		if (ioctl(fd, FIFREEZE) < 0) {
			e = errno;
			close(fd);
			if (e == EOPNOTSUPP || e == EBUSY)	/* cannot, or already */
				continue;
			call_error(c, "failed to freeze %s: %s", dir, strerror(e));
			goto undo;
		}
		close(fd);
		count++;
	}
	mounts_free();
	if (!count)		/* nothing frozen: no thaw hook either */
		leave_frozen();
	reply_begin(c);
	out_i64(c->out, count);
	return 0;
undo:
	thaw_all(ms);
	mounts_free();
	leave_frozen();
	log_command("guest-fsthaw called");	/* qemu-ga undoes through its thaw */
	{
		struct call hook = { .out = c->out, .doc = c->doc };
		run_hook(&hook, "thaw");
		call_error_free(&hook);
	}
	return -1;
}

static int guest_fsfreeze_freeze(struct call *c)
{
	return freeze(c, NULL);
}
QGA_COMMAND0(15, guest_fsfreeze_freeze, "guest-fsfreeze-freeze", 0);

static int guest_fsfreeze_freeze_list(struct call *c, struct freeze_args *a)
{
	return freeze(c, arg_present(c, "mountpoints") ? &a->mountpoints : NULL);
}
QGA_COMMAND(16, guest_fsfreeze_freeze_list, "guest-fsfreeze-freeze-list", freeze_spec,
	    struct freeze_args, 0);

static int thaw(struct call *c)
{
	const struct mounts *ms;
	int count;

	if (!(ms = mounts_read()))
		return call_error(c, "failed to read mount list: %s", strerror(errno));
	count = thaw_all(ms);
	mounts_free();
	leave_frozen();
	log_command("guest-fsthaw called");
	if (run_hook(c, "thaw") < 0)
		return -1;
	reply_begin(c);
	out_i64(c->out, count);
	return 0;
}

static int guest_fsfreeze_thaw(struct call *c)
{
	return thaw(c);
}
QGA_COMMAND0(17, guest_fsfreeze_thaw, "guest-fsfreeze-thaw", CMD_FREEZE_SAFE);

int freeze_timeout_ms(void)
{
	struct timespec now;
	long long left;

	if (!frozen || settings.fsfreeze_timeout <= 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (long long)settings.fsfreeze_timeout * 1000 -
	       ((now.tv_sec - frozen_at.tv_sec) * 1000LL + (now.tv_nsec - frozen_at.tv_nsec) / 1000000);
	return left > 0 ? (int)(left > 60000 ? 60000 : left) : 0;
}

void freeze_auto_thaw(void)
{
	struct call c = { 0 };
	const struct mounts *ms;

	if (freeze_timeout_ms() != 0)
		return;
	if ((ms = mounts_read())) {
		thaw_all(ms);
		mounts_free();
	}
	leave_frozen();
	log_msg(LOG_WARNING, "filesystems thawed: frozen longer than %d s", settings.fsfreeze_timeout);
	log_command("guest-fsthaw called");	/* as qemu-ga's thaw at exit */
	run_hook(&c, "thaw");
	call_error_free(&c);
}

struct trim_args {
	int64_t minimum;
};

ARG_SPEC(trim_spec, struct trim_args) = {
	ARG(trim_spec, minimum, "minimum", ARG_INT, true),
	ARG_END
};

/* FITRIM every mount; per-path results, newest mount first, as qemu-ga. */
static int guest_fstrim(struct call *c, struct trim_args *a)
{
	const struct mounts *ms;
	int i;

	log_command("guest-fstrim called");
	if (!(ms = mounts_read()))
		return call_error(c, "failed to read mount list: %s", strerror(errno));
	reply_begin(c);
	out_lit(c->out, "{\"paths\": [");
	for (i = ms->n - 1; i >= 0; i--) {
		struct fstrim_range r = { 0, UINT64_MAX, arg_present(c, "minimum") ? (uint64_t)a->minimum : 0 };
		const char *err = NULL;
		int fd = open(ms->m[i].dir, O_RDONLY | O_CLOEXEC), e = 0;

		if (fd < 0) {
			e = errno;
			err = "failed to open: ";
		} else if (ioctl(fd, FITRIM, &r) < 0) {
			e = errno;
			err = e == ENOTTY || e == EOPNOTSUPP ? "trim not supported" : "failed to trim: ";
		}
		if (fd >= 0)
			close(fd);
		/* qemu-ga's key order: minimum, path, trimmed, error */
		out_lit(c->out, i == ms->n - 1 ? "{" : ", {");
		if (!err) {
			out_lit(c->out, "\"minimum\": ");
			out_u64(c->out, r.minlen);
			out_lit(c->out, ", ");
		}
		out_lit(c->out, "\"path\": ");
		out_str(c->out, ms->m[i].dir, strlen(ms->m[i].dir));
		if (err) {
			out_lit(c->out, ", \"error\": \"");
			out_lit(c->out, err);
			if (err[strlen(err) - 1] == ' ')
				out_lit(c->out, strerror(e));
			out_lit(c->out, "\"}");
			continue;
		}
		out_lit(c->out, ", \"trimmed\": ");
		out_u64(c->out, r.len);
		out_lit(c->out, "}");
	}
	mounts_free();
	out_lit(c->out, "]}");
	return 0;
}
QGA_COMMAND(18, guest_fstrim, "guest-fstrim", trim_spec, struct trim_args, 0);
