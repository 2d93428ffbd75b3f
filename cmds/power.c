/* cmds/power.c - guest-shutdown, guest-suspend-disk, guest-suspend-ram,
 * guest-suspend-hybrid.  None replies when it succeeds.
 *
 * Beyond qemu-ga: a guest with no shutdown program (a busybox initramfs)
 * is still shut down, by syncing and calling reboot(2) itself; suspend
 * falls back to /sys/power directly, hybrid sleep included. */
#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../agent.h"
#include "../helper.h"
#include "../log.h"
#include "../sysread.h"
#include "../fmt.h"

struct shutdown_args {
	const char *mode;
};

static const struct arg_spec shutdown_spec[] = {
	ARG(struct shutdown_args, mode, "mode", ARG_STR, true),
	ARG_END
};

static int guest_shutdown(struct call *c, struct shutdown_args *a)
{
	static const char *const fallback[3][3] = {
		{ "-h", "-P", "+0" }, { "-h", "-H", "+0" }, { "-r", "+0", NULL },
	};
	static const struct { const char *mode, *program; int how; } modes[] = {
		{ "powerdown", "/sbin/poweroff", RB_POWER_OFF },
		{ "halt", "/sbin/halt", RB_HALT_SYSTEM },
		{ "reboot", "/sbin/reboot", RB_AUTOBOOT },
	};
	const char *mode = a->mode ? a->mode : "powerdown";
	int i;

	log_command("guest-shutdown called, mode: %s", mode);
	for (i = 0; i < 3 && strcmp(modes[i].mode, mode); i++)
		;
	if (i == 3)	/* sic: qemu-ga's text has no closing parenthesis */
		return call_error(c, "mode is invalid (valid values are: halt|powerdown|reboot");
	out_flush(c->out);	/* replies to earlier requests go first */
	if (access(modes[i].program, X_OK) == 0) {
		char *argv[] = { (char *)modes[i].program, NULL };
		return run_helper(c, "shutdown", argv, NULL);
	}
	if (access("/sbin/shutdown", X_OK) == 0) {	/* what 7.2 always ran */
		char *argv[6] = { "/sbin/shutdown" };
		int n = 1;
		for (int k = 0; k < 3 && fallback[i][k]; k++)
			argv[n++] = (char *)fallback[i][k];
		argv[n++] = "hypervisor initiated shutdown";
		argv[n] = NULL;
		return run_helper(c, "shutdown", argv, NULL);
	}
	/* no program for it: do it ourselves, data on disk first */
	log_msg(LOG_MESSAGE, "no shutdown program, calling reboot(2) for %s", mode);
	sync();
	reboot(modes[i].how);
	return call_error(c, "child process has failed to shutdown: %s", strerror(errno));
}
QGA_COMMAND(7, guest_shutdown, "guest-shutdown", shutdown_spec, struct shutdown_args,
	    CMD_NO_SUCCESS_RESPONSE);

enum { SUSPEND_DISK, SUSPEND_RAM, SUSPEND_HYBRID };

/* Does the kernel offer this word in the file? */
static bool kernel_offers(const char *file, const char *word)
{
	char buf[256], *p = buf;
	size_t n = strlen(word);

	if (sys_read(file, buf, sizeof(buf)) < 0)
		return false;
	while ((p = str_find(p, word))) {
		bool start = p == buf || p[-1] == ' ' || p[-1] == '[';
		bool end = !p[n] || p[n] == ' ' || p[n] == '\n' || p[n] == ']';
		if (start && end)
			return true;
		p += n;
	}
	return false;
}

static int write_sys(struct call *c, const char *file, const char *word)
{
	int fd = sys_open(file, 1 /* O_WRONLY */);

	if (fd < 0 || write(fd, word, strlen(word)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return call_error(c, "suspend: cannot write to '%s': %s", file, strerror(e));
	}
	close(fd);
	return 0;
}

static bool program_status(char *const argv[], int lo, int hi)
{
	int st = run_program(argv, NULL, NULL, 0);

	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) >= lo && WEXITSTATUS(st) <= hi;
}

/* As qemu-ga: systemd, then pm-utils, then the kernel's own interface. */
static int suspend(struct call *c, int mode)
{
	static const char *const unit[] = { "systemd-hibernate.service", "systemd-suspend.service",
					    "systemd-hybrid-sleep.service" };
	static const char *const verb[] = { "hibernate", "suspend", "hybrid-sleep" };
	static const char *const pm_flag[] = { "--hibernate", "--suspend", "--suspend-hybrid" };
	static const char *const pm_prog[] = { "pm-hibernate", "pm-suspend", "pm-suspend-hybrid" };
	char *status[] = { "systemctl", "status", (char *)unit[mode], NULL };
	char *sysd[] = { "systemctl", (char *)verb[mode], NULL };
	char *pm_probe[] = { "pm-is-supported", (char *)pm_flag[mode], NULL };
	char *pm[] = { (char *)pm_prog[mode], NULL };

	out_flush(c->out);
	/* "systemctl status" 1-3: the unit exists and is not running now */
	if (program_status(status, 1, 3) && program_status(sysd, 0, 0))
		return 0;
	if (program_status(pm_probe, 0, 0) && program_status(pm, 0, 0))
		return 0;
	if (mode == SUSPEND_RAM && kernel_offers("/sys/power/state", "mem"))
		return write_sys(c, "/sys/power/state", "mem");
	if (mode != SUSPEND_RAM && kernel_offers("/sys/power/state", "disk") &&
	    (mode == SUSPEND_DISK || kernel_offers("/sys/power/disk", "suspend"))) {
		if (mode == SUSPEND_HYBRID && write_sys(c, "/sys/power/disk", "suspend") < 0)
			return -1;
		return write_sys(c, "/sys/power/state", "disk");
	}
	return call_error(c, "the requested suspend mode is not supported by the guest");
}

static int guest_suspend_disk(struct call *c) { return suspend(c, SUSPEND_DISK); }
static int guest_suspend_ram(struct call *c) { return suspend(c, SUSPEND_RAM); }
static int guest_suspend_hybrid(struct call *c) { return suspend(c, SUSPEND_HYBRID); }
QGA_COMMAND0(19, guest_suspend_disk, "guest-suspend-disk", CMD_NO_SUCCESS_RESPONSE);
QGA_COMMAND0(20, guest_suspend_ram, "guest-suspend-ram", CMD_NO_SUCCESS_RESPONSE);
QGA_COMMAND0(21, guest_suspend_hybrid, "guest-suspend-hybrid", CMD_NO_SUCCESS_RESPONSE);
