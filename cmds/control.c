/* cmds/control.c - guest-set-time, guest-set-vcpus, guest-set-memory-blocks.
 *
 * The RTC is read and set through /dev/rtc0 ioctls (kept in UTC), so no
 * hwclock program is needed; hwclock is used only when there is no RTC
 * device and it exists, as qemu-ga would. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtc.h>

#include "handler.h"
#include "caltime.h"
#include "fmt.h"
#include "helper.h"
#include "log.h"
#include "sysread.h"

#define RTC_DEV "/dev/rtc0"

struct time_args {
	int64_t time;
};

ARG_SPEC(time_spec, struct time_args) = {
	ARG(time_spec, time, "time", ARG_INT, true),
	ARG_END
};

static int rtc_error(struct call *c, int fd, int e)
{
	if (fd >= 0)
		close(fd);
	return call_error(c, "child process has failed to set hardware clock to system "
			  "time: %s: %s", RTC_DEV, strerror(e));
}

static int hwclock(struct call *c, const char *flag)
{
	char *argv[] = { "/sbin/hwclock", (char *)flag, NULL };

	return run_helper(c, "set hardware clock to system time", argv, NULL);
}

static int guest_set_time(struct call *c, struct time_args *a)
{
	bool has = arg_present(c, "time");
	struct rtc_time rt = { 0 };
	struct tm tm;
	int fd;

	if (has) {
		struct timeval tv = { (time_t)(a->time / 1000000000), (a->time % 1000000000) / 1000 };
		time_t secs = tv.tv_sec;
		if ((int64_t)secs != a->time / 1000000000)
			return call_error(c, "Time %lld is too large", (long long)a->time);
		if (a->time < 0 || (caltime_from_secs(secs, &tm), tm.tm_year + 1900 >= 2070))
			return call_error(c, "Invalid time");
		if (settimeofday(&tv, NULL) < 0)
			return call_error(c, "Failed to set time to guest: %s", strerror(errno));
	}
	fd = sys_open(RTC_DEV, has ? O_WRONLY : O_RDONLY);
	if (fd < 0) {
		if (access("/sbin/hwclock", X_OK) == 0)
			return hwclock(c, has ? "-w" : "-s");
		if (has)
			return 0;	/* the system clock is set; there is no RTC */
		return rtc_error(c, -1, errno);
	}
	if (has) {		/* the RTC keeps UTC */
		caltime_from_secs(time(NULL), &tm);
		rt.tm_sec = tm.tm_sec;
		rt.tm_min = tm.tm_min;
		rt.tm_hour = tm.tm_hour;
		rt.tm_mday = tm.tm_mday;
		rt.tm_mon = tm.tm_mon;
		rt.tm_year = tm.tm_year;
		if (ioctl(fd, RTC_SET_TIME, &rt) < 0)
			return rtc_error(c, fd, errno);
		close(fd);
		return 0;
	}
	if (ioctl(fd, RTC_RD_TIME, &rt) < 0)
		return rtc_error(c, fd, errno);
	close(fd);
	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = rt.tm_sec;
	tm.tm_min = rt.tm_min;
	tm.tm_hour = rt.tm_hour;
	tm.tm_mday = rt.tm_mday;
	tm.tm_mon = rt.tm_mon;
	tm.tm_year = rt.tm_year;
	struct timeval tv = { (time_t)caltime_to_secs(&tm), 0 };
	if (settimeofday(&tv, NULL) < 0)
		return call_error(c, "Failed to set time to guest: %s", strerror(errno));
	return 0;
}
QGA_COMMAND(5, guest_set_time, "guest-set-time", time_spec, struct time_args, 0);

struct vcpu {
	int64_t id;
	bool online, can_offline;
};

ARG_SPEC(vcpu_members, struct vcpu) = {
	ARG(vcpu_members, id, "logical-id", ARG_INT, false),
	ARG(vcpu_members, online, "online", ARG_BOOL, false),
	ARG(vcpu_members, can_offline, "can-offline", ARG_BOOL, true),
	ARG_END
};

struct vcpus_args {
	struct arg_list vcpus;
};

ARG_SPEC(vcpus_spec, struct vcpus_args) = {
	ARG_LIST_OF(vcpus_spec, vcpus, "vcpus", false, vcpu_members),
	ARG_END
};

/* Set one CPU; 0, or -1 with the error for it, in newest qemu-ga's words
 * (its doubled slash included: "cpu1//online"). */
static int set_vcpu(struct call *c, const struct vcpu *v)
{
	char dir[96], file[112];
	unsigned char cur, want = v->online ? '1' : '0';
	const char *why;
	int fd;

	fmt(dir, sizeof(dir), "/sys/devices/system/cpu/cpu%lld/", (long long)v->id);
	fd = sys_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return call_error(c, "Could not open '%s': %s", dir, strerror(errno));
	close(fd);
	fmt(file, sizeof(file), "%s/online", dir);
	fd = sys_open(file, O_RDWR);
	if (fd < 0) {
		if (errno != ENOENT)
			return call_error(c, "could not open %s: %s", file, strerror(errno));
		if (!v->online)	/* no "online" file: it cannot go offline */
			return call_error(c, "logical processor #%lld can't be offlined",
					  (long long)v->id);
		return 0;
	}
	why = read_first_byte(fd, &cur);
	if (!why && (cur != '0') != v->online && pwrite(fd, &want, 1, 0) < 0) {
		int e = errno;
		close(fd);
		return call_error(c, "pwrite(\"%s\"): %s", file, strerror(e));
	}
	close(fd);
	if (why)
		return call_error(c, "pread(\"%s\"): %s", file, why);
	return 0;
}

/* In order, stopping at the first failure; the count of those done, or
 * the error if the very first failed, as qemu-ga. */
static int guest_set_vcpus(struct call *c, struct vcpus_args *a)
{
	int64_t done = 0;
	jv e = a->vcpus.first;

	for (size_t i = 0; i < a->vcpus.n; i++, e = jv_next(c->doc, e)) {
		struct vcpu v = { 0 };
		args_decode_elem(c, e, vcpu_members, &v);
		if (set_vcpu(c, &v) < 0) {
			if (done)
				call_error_free(c);
			break;
		}
		done++;
	}
	if (c->failed)
		return -1;
	reply_begin(c);
	out_i64(c->out, done);
	return 0;
}
QGA_COMMAND(24, guest_set_vcpus, "guest-set-vcpus", vcpus_spec, struct vcpus_args, 0);

struct memblk {
	uint64_t index;
	bool online, can_offline;
};

ARG_SPEC(memblk_members, struct memblk) = {
	ARG(memblk_members, index, "phys-index", ARG_UINT64, false),
	ARG(memblk_members, online, "online", ARG_BOOL, false),
	ARG(memblk_members, can_offline, "can-offline", ARG_BOOL, true),
	ARG_END
};

struct memblks_args {
	struct arg_list blks;
};

ARG_SPEC(memblks_spec, struct memblks_args) = {
	ARG_LIST_OF(memblks_spec, blks, "mem-blks", false, memblk_members),
	ARG_END
};

/* One result per block: success, not-found, operation-not-supported or
 * operation-failed (with the errno), keys in qemu-ga's order. */
static int guest_set_memory_blocks(struct call *c, struct memblks_args *a)
{
	jv e = a->blks.first;
	char path[128], cur[32];
	int fd;

	reply_begin(c);
	out_lit(c->out, "[");
	for (size_t i = 0; i < a->blks.n; i++, e = jv_next(c->doc, e)) {
		struct memblk m = { 0 };
		const char *response = "success";
		int code = 0;

		args_decode_elem(c, e, memblk_members, &m);
		fmt(path, sizeof(path), "/sys/devices/system/memory/memory%llu", (unsigned long long)m.index);
		fd = sys_open("/sys/devices/system/memory", O_RDONLY | O_DIRECTORY);
		if (fd < 0) {
			response = "operation-not-supported";
		} else {
			close(fd);
			fd = sys_open(path, O_RDONLY | O_DIRECTORY);
			if (fd < 0) {
				response = "not-found";
				code = errno;
			} else {
				close(fd);
				strcat(path, "/state");
				if (sys_read(path, cur, sizeof(cur)) < 0) {
					if (!m.online)
						response = "operation-not-supported";
				} else if (!strncmp(cur, "online", 6) != m.online) {
					fd = sys_open(path, O_WRONLY);
					const char *want = m.online ? "online" : "offline";
					if (fd < 0 || write(fd, want, strlen(want)) < 0) {
						response = "operation-failed";
						code = errno;
					}
					if (fd >= 0)
						close(fd);
				}
			}
		}
		out_lit(c->out, i ? ", {\"response\": \"" : "{\"response\": \"");
		out_lit(c->out, response);
		out_lit(c->out, "\", ");
		if (code) {
			out_lit(c->out, "\"error-code\": ");
			out_i64(c->out, code);
			out_lit(c->out, ", ");
		}
		out_lit(c->out, "\"phys-index\": ");
		out_u64(c->out, m.index);
		out_lit(c->out, "}");
	}
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND(29, guest_set_memory_blocks, "guest-set-memory-blocks", memblks_spec,
	    struct memblks_args, 0);
