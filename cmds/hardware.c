/* cmds/hardware.c - guest-get-vcpus, guest-get-memory-blocks,
 * guest-get-memory-block-info, guest-get-diskstats, guest-get-cpustats:
 * CPUs, memory and I/O counters from /sys and /proc. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "handler.h"
#include "fdio.h"
#include "fmt.h"
#include "sysread.h"

#define CPU_DIR "/sys/devices/system/cpu"
#define MEM_DIR "/sys/devices/system/memory"

/* "cpuN" or "memoryN": the number, or false. */
static bool numbered(const char *name, const char *prefix, uint64_t *n)
{
	size_t k = strlen(prefix);

	if (strncmp(name, prefix, k) || !name[k])
		return false;
	for (const char *p = name + k; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return parse_u64(name + k, 10, n);
}

/* cpuN's state as qemu-ga reads it: no "online" file (usually cpu0) is
 * online and cannot go offline.  Errors in newest qemu-ga's words, its
 * doubled slash included ("cpu1//online"). */
static int vcpu_read(struct call *c, const char *name, bool *online, bool *can_offline)
{
	char file[128];
	unsigned char status;
	const char *why;
	int fd;

	fmt(file, sizeof(file), CPU_DIR "/%s//online", name);
	fd = sys_open(file, O_RDONLY);
	if (fd < 0) {
		if (errno != ENOENT)
			return call_error(c, "could not open %s: %s", file, strerror(errno));
		*online = true;
		*can_offline = false;
		return 0;
	}
	why = read_first_byte(fd, &status);
	fd_close(fd);
	if (why)
		return call_error(c, "pread(\"%s\"): %s", file, why);
	*online = status != '0';
	*can_offline = true;
	return 0;
}

/* An entry of guest-get-vcpus or guest-get-memory-blocks, in qemu-ga's
 * key order. */
static void out_online(struct out *o, int *count, bool online, bool can_offline,
		       const char *id_key, uint64_t id)
{
	out_lit(o, (*count)++ ? ", {\"online\": " : "{\"online\": ");
	out_lit(o, online ? "true" : "false");
	out_lit(o, can_offline ? ", \"can-offline\": true, \"" : ", \"can-offline\": false, \"");
	out_lit(o, id_key);
	out_lit(o, "\": ");
	out_u64(o, id);
	out_lit(o, "}");
}

/* Every CPU is read before the reply starts, so a failure is the reply. */
static int guest_get_vcpus(struct call *c)
{
	struct dirents d;
	const char *name;
	bool online, can_offline;
	uint64_t id;
	int count = 0;

	if (!dir_open(&d, CPU_DIR))
		return call_error(c, "failed to list entries: %s: %s", CPU_DIR, strerror(errno));
	while ((name = dir_next(&d, NULL))) {
		if (numbered(name, "cpu", &id) && vcpu_read(c, name, &online, &can_offline) < 0) {
			dir_close(&d);
			return -1;
		}
	}
	dir_close(&d);
	if (!dir_open(&d, CPU_DIR))
		return call_error(c, "failed to list entries: %s: %s", CPU_DIR, strerror(errno));
	reply_begin(c);
	out_lit(c->out, "[");
	while ((name = dir_next(&d, NULL))) {
		if (!numbered(name, "cpu", &id))
			continue;
		struct call quiet = { 0 };	/* changed since the check: as it reads now */
		if (vcpu_read(&quiet, name, &online, &can_offline) < 0) {
			call_error_free(&quiet);
			online = true;
			can_offline = false;
		}
		out_online(c->out, &count, online, can_offline, "logical-id", id);
	}
	dir_close(&d);
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(23, guest_get_vcpus, "guest-get-vcpus", CMD_FUZZ_SAFE);

/* A small file of a memory block's sysfs directory, read as qemu-ga does;
 * -1 with *what naming the step that failed and errno (0: empty file). */
static ssize_t memblk_file(const char *dir, const char *name, char *buf, size_t cap,
			   const char **what)
{
	char path[160];
	ssize_t n;
	int fd;

	fmt(path, sizeof(path), "%s%s", dir, name);
	*what = "open sysfs file";
	if ((fd = sys_open(path, O_RDONLY)) < 0)
		return -1;
	n = pread(fd, buf, cap - 1, 0);
	if (n >= 0)
		errno = 0;
	fd_close(fd);
	buf[n > 0 ? n : 0] = 0;
	*what = "pread sysfs file";
	return n > 0 ? n : -1;
}

static int memblk_error(struct call *c, const char *what, const char *name)
{
	if (errno)
		return call_error(c, "%s \"%s\": %s", what, name, strerror(errno));
	return call_error(c, "%s \"%s\": unexpected EOF", what, name);
}

/* memoryN as qemu-ga reads it: without a "state" file online and fixed,
 * without a "removable" file fixed; other failures are errors, in newest
 * qemu-ga's words. */
static int memblk_read(struct call *c, const char *name, bool *online, bool *can_offline)
{
	char dir[128], buf[32];
	const char *what;
	int fd;

	fmt(dir, sizeof(dir), MEM_DIR "/%s/", name);
	fd = sys_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return call_error(c, "Could not open '%s': %s", dir, strerror(errno));
	close(fd);
	*online = true;
	*can_offline = false;
	if (memblk_file(dir, "state", buf, 10, &what) < 0)
		return errno == ENOENT ? 0 : memblk_error(c, what, "state");
	*online = !strncmp(buf, "online", 6);
	if (memblk_file(dir, "removable", buf, 2, &what) < 0)
		return errno == ENOENT ? 0 : memblk_error(c, what, "removable");
	*can_offline = buf[0] != '0';
	return 0;
}

/* No memory directory: [].  Every block is read before the reply starts,
 * so a failure is the reply. */
static int guest_get_memory_blocks(struct call *c)
{
	struct dirents d;
	const char *name;
	bool online, can_offline;
	uint64_t id;
	int count = 0;

	if (!dir_open(&d, MEM_DIR "/")) {
		if (errno != ENOENT)
			return call_error(c, "Can't open directory\"" MEM_DIR "/\": %s",
					  strerror(errno));
		reply_begin(c);
		out_lit(c->out, "[]");
		return 0;
	}
	while ((name = dir_next(&d, NULL))) {
		if (!numbered(name, "memory", &id))
			continue;
		count++;
		if (memblk_read(c, name, &online, &can_offline) < 0) {
			dir_close(&d);
			return -1;
		}
	}
	dir_close(&d);
	if (!count)
		return call_error(c, "guest reported zero memory blocks!");
	count = 0;
	reply_begin(c);
	out_lit(c->out, "[");
	if (dir_open(&d, MEM_DIR "/")) {
		while ((name = dir_next(&d, NULL))) {
			if (!numbered(name, "memory", &id))
				continue;
			struct call quiet = { 0 };	/* changed since the check: as it reads now */
			if (memblk_read(&quiet, name, &online, &can_offline) < 0)
				call_error_free(&quiet);
			out_online(c->out, &count, online, can_offline, "phys-index", id);
		}
		dir_close(&d);
	}
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(28, guest_get_memory_blocks, "guest-get-memory-blocks", CMD_FUZZ_SAFE);

static int guest_get_memory_block_info(struct call *c)
{
	char buf[20];
	const char *what;
	uint64_t size;
	int fd;

	fd = sys_open(MEM_DIR "/", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return call_error(c, "open(\"" MEM_DIR "/\"): %s", strerror(errno));
	close(fd);
	if (memblk_file(MEM_DIR "/", "block_size_bytes", buf, sizeof(buf), &what) < 0)
		return memblk_error(c, what, "block_size_bytes");
	reply_begin(c);
	out_lit(c->out, "{\"size\": ");
	out_u64(c->out, parse_u64(buf, 16, &size) ? size : 0);
	out_lit(c->out, "}");
	return 0;
}
QGA_COMMAND0(30, guest_get_memory_block_info, "guest-get-memory-block-info", CMD_FUZZ_SAFE);

/* /proc/diskstats: 4 counters (old partition lines), 11, 15 (discard)
 * or 17 (flush) counters after "major minor name". */
static int guest_get_diskstats(struct call *c)
{
	/* counter index in the line, JSON key; in qemu-ga's key order */
	static const struct { unsigned char idx, need; const char *key; } full[] = {
		{ 13, 15, "discard-sectors" }, { 4, 11, "write-ios" }, { 11, 15, "discard-ios" },
		{ 14, 15, "discard-ticks" }, { 10, 11, "weight-ticks" }, { 0, 11, "read-ios" },
		{ 15, 17, "flush-ios" }, { 6, 11, "write-sectors" }, { 5, 11, "write-merges" },
		{ 7, 11, "write-ticks" }, { 8, 11, "ios-pgr" }, { 2, 11, "read-sectors" },
		{ 1, 11, "read-merges" }, { 9, 11, "total-ticks" }, { 12, 15, "discard-merges" },
		{ 16, 17, "flush-ticks" }, { 3, 11, "read-ticks" },
	};
	static const struct { unsigned char idx; const char *key; } old[] = {
		{ 2, "write-ios" }, { 0, "read-ios" }, { 3, "write-sectors" }, { 1, "read-sectors" },
	};
	struct lines l;
	char *line, *f[20];
	int count = 0;

	if (!lines_open(&l, "/proc/diskstats"))
		return call_error(c, "Could not open '/proc/diskstats': %s", strerror(errno));
	reply_begin(c);
	out_lit(c->out, "[");
	while ((line = lines_next(&l))) {
		int n = split_ws(line, f, 20) - 3, k, members = 0;
		uint64_t v;
		if (n != 4 && n < 11)
			continue;
		out_lit(c->out, count++ ? ", {\"name\": " : "{\"name\": ");
		out_str(c->out, f[2], strlen(f[2]));
		out_lit(c->out, ", \"stats\": {");
		for (k = 0; n == 4 && k < 4; k++) {
			out_key(c->out, &members, old[k].key);
			out_u64(c->out, parse_u64(f[3 + old[k].idx], 10, &v) ? v : 0);
		}
		for (k = 0; n >= 11 && k < (int)(sizeof(full) / sizeof(full[0])); k++) {
			if (n < full[k].need)
				continue;
			out_key(c->out, &members, full[k].key);
			out_u64(c->out, parse_u64(f[3 + full[k].idx], 10, &v) ? v : 0);
		}
		out_lit(c->out, "}, \"minor\": ");
		out_u64(c->out, parse_u64(f[1], 10, &v) ? v : 0);
		out_lit(c->out, ", \"major\": ");
		out_u64(c->out, parse_u64(f[0], 10, &v) ? v : 0);
		out_lit(c->out, "}");
	}
	lines_close(&l);
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(41, guest_get_diskstats, "guest-get-diskstats", CMD_FUZZ_SAFE);

/* Per-CPU lines of /proc/stat, ticks turned into milliseconds. */
static int guest_get_cpustats(struct call *c)
{
	/* field index after "cpuN", JSON key, in qemu-ga's key order */
	static const struct { unsigned char idx; const char *key; } keys[] = {
		{ 9, "guestnice" }, { 3, "idle" }, { 7, "steal" }, { 4, "iowait" },
		{ 2, "system" }, { 8, "guest" }, { 1, "nice" }, { 5, "irq" },
		{ 255, "type" }, { 0, "user" }, { 6, "softirq" },
	};
	long hz = (long)getauxval(AT_CLKTCK);	/* sysconf costs 1 KB static */
	struct lines l;
	char *line, *f[12];
	int count = 0;

	if (!lines_open(&l, "/proc/stat"))
		return call_error(c, "Could not open '/proc/stat': %s", strerror(errno));
	if (hz <= 0)
		hz = 100;
	reply_begin(c);
	out_lit(c->out, "[");
	while ((line = lines_next(&l))) {
		uint64_t id, v;
		int n = split_ws(line, f, 12) - 1, members = 1;
		if (n < 4 || !numbered(f[0], "cpu", &id))
			continue;
		out_lit(c->out, count++ ? ", {\"cpu\": " : "{\"cpu\": ");
		out_u64(c->out, id);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (keys[k].idx == 255) {
				out_key(c->out, &members, "type");
				out_lit(c->out, "\"linux\"");
				continue;
			}
			if (keys[k].idx >= n)
				continue;
			out_key(c->out, &members, keys[k].key);
			out_i64(c->out, parse_u64(f[1 + keys[k].idx], 10, &v) ?
					(int64_t)(v * 1000 / (uint64_t)hz) : 0);
		}
		out_lit(c->out, "}");
	}
	lines_close(&l);
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(42, guest_get_cpustats, "guest-get-cpustats", CMD_FUZZ_SAFE);
