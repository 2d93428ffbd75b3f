/* cmds/power.c - guest-shutdown, guest-suspend-disk, guest-suspend-ram,
 * guest-suspend-hybrid.  None replies when it succeeds, so a shutdown
 * that is not going to happen must be made to happen or reported: the
 * host waits for QEMU's SHUTDOWN/RESET event, not for an answer.
 *
 * guest-shutdown, in order (README, "Shutdown"):
 *  1. In a PID namespace of its own (a container on the guest), the
 *     container's programs and reboot(2) would end the container, not the
 *     machine: sync, then /proc/sysrq-trigger ('o' power off, 'b' reboot),
 *     or an error saying why it cannot.
 *  2. As newest qemu-ga: /sbin/poweroff|halt|reboot without arguments,
 *     else /sbin/shutdown -h -P|-H|-r +0.  A busybox or toybox applet only
 *     signals PID 1, and PID 1 drops signals it neither catches nor
 *     blocks (a shell-script /init): such a program is skipped.
 *  3. No program that would act: sync and reboot(2) ourselves.
 *  4. A program exited 0 but the agent is still running SHUTDOWN_GRACE_MS
 *     later: nothing is bringing the machine down, sync and reboot(2).
 *     Not under systemd, whose own job timeouts finish what it accepted.
 * Suspend falls back to /sys/power directly, hybrid sleep included. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"
#include "fdio.h"
#include "helper.h"
#include "log.h"
#include "options.h"
#include "power.h"
#include "sysread.h"
#include "fmt.h"

/* How long a shutdown program that exited 0 has to bring the machine
 * down before the agent does it.  Orderly paths stop the agent well
 * within it (sysvinit and OpenRC stop it among the first services,
 * busybox init after its ::shutdown: actions); it stays under libvirt's
 * 60 s wait for the guest's SHUTDOWN event. */
#define SHUTDOWN_GRACE_MS 30000
/* The kernel's inode for the initial PID namespace (PROC_PID_INIT_INO). */
#define PID_NS_INIT_INO 0xEFFFFFFCUL
#define PID1_STATUS_MAX 2048
#define INIT_LOOKS 3		/* looks at PID 1 before calling it deaf */
#define INIT_LOOK_US 20000

struct shutdown_args {
	const char *mode;
};

ARG_SPEC(shutdown_spec, struct shutdown_args) = {
	ARG(shutdown_spec, mode, "mode", ARG_STR, true),
	ARG_END
};

struct power_mode {
	const char *name, *applet, *shutdown_flags[2];
	int how;	/* reboot(2) */
	int signal;	/* what busybox's applet sends PID 1 */
	char sysrq;	/* 0: none for it */
};

static const struct power_mode power_modes[] = {
	{ "powerdown", "/sbin/poweroff", { "-P", "+0" }, RB_POWER_OFF, SIGUSR2, 'o' },
	{ "halt", "/sbin/halt", { "-H", "+0" }, RB_HALT_SYSTEM, SIGUSR1, 0 },
	{ "reboot", "/sbin/reboot", { "+0", NULL }, RB_AUTOBOOT, SIGTERM, 'b' },
};

static const struct power_mode *grace_mode;	/* armed by a program that exited 0 */
static struct timespec grace_from;

static bool in_container(void)
{
	struct stat st;

	/* no /proc (an early initramfs): the initial namespace */
	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != PID_NS_INIT_INO;
}

/* A hex mask of /proc/PID/status, e.g. "SigCgt:\t0000000000014a03". */
static bool status_mask(const char *status, const char *key, unsigned long long *mask)
{
	const char *p = str_find(status, key);

	if (!p)
		return false;
	uint64_t v = 0;
	num_scan(p + strlen(key), 16, UINT64_MAX, &v);
	*mask = v;
	return true;
}

/* Is PID 1 waiting in sigtimedwait()?  The kernel unblocks the waited
 * signals for the wait, so SigBlk does not show them then (busybox init
 * sits there between events). */
static bool init_waits_for_signals(void)
{
	char line[128];
	uint64_t nr;

	if (sys_read("/proc/1/syscall", line, sizeof(line)) <= 0)
		return false;
	line[strcspn(line, " \n")] = 0;
	if (!parse_u64(line, 10, &nr))
		return false;
#ifdef SYS_rt_sigtimedwait_time64
	if (nr == SYS_rt_sigtimedwait_time64)
		return true;
#endif
	return nr == SYS_rt_sigtimedwait;
}

/* Would PID 1 act on sig?  The kernel drops signals to init that it
 * neither catches nor blocks (a shell-script /init); blocked ones wait
 * for a signalfd (systemd) or sigtimedwait (busybox init).  Unknown (no
 * /proc): assume yes, the grace period covers it. */
static bool init_takes(int sig)
{
	char status[PID1_STATUS_MAX];
	unsigned long long blocked, caught;

	/* the two files are read apart: a PID 1 leaving the wait between
	 * them looks deaf once, never INIT_LOOKS times */
	for (int look = 0; look < INIT_LOOKS; look++) {
		if (sys_read("/proc/1/status", status, sizeof(status)) < 0 ||
		    !status_mask(status, "SigBlk:\t", &blocked) ||
		    !status_mask(status, "SigCgt:\t", &caught))
			return true;
		if ((((blocked | caught) >> (sig - 1)) & 1) || init_waits_for_signals())
			return true;
		usleep(INIT_LOOK_US);
	}
	return false;
}

/* busybox's and toybox's halt/poweroff/reboot signal PID 1 and exit 0. */
static bool only_signals_init(const char *program)
{
	char real[PATH_MAX];
	const char *base;

	if (!sys_realpath(program, real))
		return false;
	base = strrchr(real, '/') + 1;
	return !strncmp(base, "busybox", 7) || !strncmp(base, "toybox", 6);
}

static int power_off_now(struct call *c, const struct power_mode *m)
{
	log_msg(LOG_MESSAGE, "guest-shutdown: syncing and calling reboot(2) for %s", m->name);
	sync();
	reboot(m->how);
	int e = errno;
	log_error("guest-shutdown: reboot(2): %s", strerror(e));
	return call_error(c, "child process has failed to shutdown: %s", strerror(e));
}

static int shutdown_container(struct call *c, const struct power_mode *m)
{
	static const char *const why = "guest-shutdown: the agent runs in a PID namespace of its "
				       "own, where reboot(2) and shutdown programs end the container, "
				       "not the machine";
	int fd, e;

	if (!m->sysrq)
		return call_error(c, "%s; %s is not possible from there (the kernel's sysrq "
				  "has power-off and reboot only)", why, m->name);
	log_msg(LOG_MESSAGE, "guest-shutdown: in a PID namespace: syncing, sysrq '%c'", m->sysrq);
	sync();
	fd = open("/proc/sysrq-trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && write(fd, &m->sysrq, 1) == 1) {
		close(fd);
		return 0;
	}
	e = errno;
	if (fd >= 0)
		close(fd);
	return call_error(c, "%s; /proc/sysrq-trigger: %s", why, strerror(e));
}

/* Run the shutdown program.  One that exited 0 under systemd is final;
 * elsewhere the grace period starts.  One still at work after
 * HELPER_TIMEOUT_MS is never killed (a shutdown cut short leaves the guest
 * half down): it is left to finish, and the grace period starts. */
static int run_shutdown_program(struct call *c, const struct power_mode *m, char *const argv[])
{
	int rc = run_helper_timed(c, "shutdown", argv, NULL, HELPER_TIMEOUT_MS, true);

	if (rc < 0)
		return -1;
	if (rc > 0)
		log_msg(LOG_MESSAGE, "guest-shutdown: %s still running after %d s, left to finish",
			argv[0], HELPER_TIMEOUT_MS / 1000);
	if (rc > 0 || access("/run/systemd/system", F_OK) != 0) {
		grace_mode = m;
		clock_gettime(CLOCK_MONOTONIC, &grace_from);
	}
	return 0;
}

static int guest_shutdown(struct call *c, struct shutdown_args *a)
{
	const char *mode = a->mode ? a->mode : "powerdown";
	const struct power_mode *m = power_modes;
	char *argv[6] = { NULL };

	log_command("guest-shutdown called, mode: %s", a->mode ? a->mode : "(null)");	/* as glibc prints NULL */
	while (m < power_modes + 3 && strcmp(m->name, mode))
		m++;
	if (m == power_modes + 3)	/* sic: qemu-ga's text has no closing parenthesis */
		return call_error(c, "mode is invalid (valid values are: halt|powerdown|reboot");
	out_flush(c->out);	/* replies to earlier requests go first */
	if (in_container())
		return shutdown_container(c, m);
	bool init_ignores = !init_takes(m->signal);
	if (access(m->applet, X_OK) == 0) {
		if (!(init_ignores && only_signals_init(m->applet))) {
			argv[0] = (char *)m->applet;
			return run_shutdown_program(c, m, argv);
		}
		log_msg(LOG_MESSAGE, "guest-shutdown: %s would only signal PID 1, which ignores it",
			m->applet);
	}
	if (access("/sbin/shutdown", X_OK) == 0 &&	/* what 7.2 always ran */
	    !(init_ignores && only_signals_init("/sbin/shutdown"))) {
		int n = 0;
		argv[n++] = "/sbin/shutdown";
		argv[n++] = m == power_modes + 2 ? "-r" : "-h";
		for (int k = 0; k < 2 && m->shutdown_flags[k]; k++)
			argv[n++] = (char *)m->shutdown_flags[k];
		argv[n++] = "hypervisor initiated shutdown";
		return run_shutdown_program(c, m, argv);
	}
	return power_off_now(c, m);
}
QGA_COMMAND(7, guest_shutdown, "guest-shutdown", shutdown_spec, struct shutdown_args,
	    CMD_NO_SUCCESS_RESPONSE);

int power_grace_ms(void)
{
	struct timespec now;
	long long left;

	if (!grace_mode)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = SHUTDOWN_GRACE_MS - ((now.tv_sec - grace_from.tv_sec) * 1000LL +
				    (now.tv_nsec - grace_from.tv_nsec) / 1000000);
	return left > 0 ? (int)left : 0;
}

void power_grace_check(void)
{
	struct call c = { 0 };
	const struct power_mode *m = grace_mode;

	if (power_grace_ms() != 0)
		return;
	grace_mode = NULL;
	log_msg(LOG_WARNING, "guest-shutdown: the program exited 0 but the machine is still up "
		"after %d s", SHUTDOWN_GRACE_MS / 1000);
	power_off_now(&c, m);
	call_error_free(&c);
}

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
	int fd = sys_open(file, O_WRONLY);

	if (fd < 0 || write(fd, word, strlen(word)) < 0) {
		fd_drop(&fd);
		return call_error(c, "suspend: cannot write to '%s': %s", file, strerror(errno));
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
