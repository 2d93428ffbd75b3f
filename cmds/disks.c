/* cmds/disks.c - guest-get-fsinfo, guest-get-disks.
 *
 * The disk behind each mount and the controller behind each disk come
 * from walking sysfs as qemu-ga does.  What qemu-ga asks libudev for is
 * read here without it: the device node from the device's uevent file,
 * the serial from udev's database (/run/udev/data) as libudev reads it,
 * the device-mapper name from dm/name.  So guest-get-disks works without
 * libudev, unlike qemu-ga. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "handler.h"
#include "fmt.h"
#include "mounts.h"
#include "sysread.h"

#define MAX_DISK_ADDRS 64	/* disks under one filesystem (md, dm) */
#define MAX_DISK_DEPTH 8	/* dm on md on ... */
#define MAX_DISKS 512		/* entries of guest-get-disks */

struct diskaddr {
	int pci[4];		/* domain, bus, slot, function; -1 unknown */
	const char *bus_type;
	unsigned bus, target, unit;
	char dev[80];
	char serial[128];
};

/* "/dev/" + DEVNAME from the uevent file, as udev names the node. */
static bool devnode(const char *syspath, char *out, size_t cap)
{
	char path[PATH_MAX + 16], buf[1024], *p;

	fmt(path, sizeof(path), "%s/uevent", syspath);
	if (sys_read(path, buf, sizeof(buf)) < 0 || !(p = str_find(buf, "DEVNAME=")))
		return false;
	p += 8;
	p[strcspn(p, "\n")] = 0;
	fmt(out, cap, "/dev/%s", p);
	return true;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

/* udev's ID_SERIAL, from its database when udev runs; without udev, a
 * virtio disk's own "serial" attribute (what udev's rule would copy), so
 * a udev-less image still tells the host which volume is which. */
static void serial_of(const char *syspath, char *out, size_t cap)
{
	char path[PATH_MAX + 32], majmin[32], buf[4096], *p;

	out[0] = 0;
	fmt(path, sizeof(path), "%s/dev", syspath);
	if (sys_read(path, majmin, sizeof(majmin)) <= 0)
		return;
	trim(majmin);
	fmt(path, sizeof(path), "/run/udev/data/b%s", majmin);
	if (sys_read(path, buf, sizeof(buf)) > 0) {
		if ((p = str_find(buf, "E:ID_SERIAL="))) {
			p += 12;
			p[strcspn(p, "\n")] = 0;
			fmt(out, cap, "%s", p);
		}
		return;		/* udev knows the device: its word stands */
	}
	if (!str_find(syspath, "/virtio"))
		return;
	/* the disk's attribute; a partition's is its disk's */
	fmt(path, sizeof(path), "%s/serial", syspath);
	if (sys_read(path, out, cap) <= 0) {
		fmt(path, sizeof(path), "%s/../serial", syspath);
		if (sys_read(path, out, cap) <= 0)
			out[0] = 0;
	}
	trim(out);
}

/* "%x:%x:%x.%x" at s; returns the length, 0 if not one. */
static bool is_hex(char c)
{
	return num_digit(c) < 16;
}

static int pci_addr(const char *s, int v[4])
{
	const char *p = s;

	for (int i = 0; i < 4; i++) {
		uint64_t x;
		if (!(p = num_scan(p, 16, 0xFFFF, &x)) || (i < 3 && *p != (i == 2 ? '.' : ':')))
			return 0;
		v[i] = (int)x;
		if (i < 3)
			p++;
	}
	return (int)(p - s);
}

/* Unsigned decimals separated as in fmt, e.g. "%u:%u:%u". */
static int scan_uints(const char *s, const char *seps, unsigned *v, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t x;
		if (!(s = num_scan(s, 10, UINT32_MAX, &x)))
			return i;
		v[i] = (unsigned)x;
		if (i + 1 < n && *s++ != seps[i])
			return i + 1;
	}
	return n;
}

static bool driver_of(const char *syspath, size_t len, char *out, size_t cap)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	fmt(path, sizeof(path), "%.*s/driver", (int)len, syspath);
	n = sys_readlink(path, link, sizeof(link));
	if (n < 0)
		return false;
	fmt(out, cap, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	return true;
}

/* ataN or hostN entries of the controller's directory, readdir order. */
static int hosts_of(const char *syspath, size_t len, bool ata, unsigned *hosts, int max)
{
	char path[PATH_MAX];
	struct dirents d;
	const char *name;
	int n = 0;

	fmt(path, sizeof(path), "%.*s", (int)len, syspath);
	if (!dir_open(&d, path))
		return -1;
	while (n < max && (name = dir_next(&d, NULL)))
		if (!strncmp(name, ata ? "ata" : "host", ata ? 3 : 4) &&
		    scan_uints(name + (ata ? 3 : 4), "", &hosts[n], 1) == 1)
			n++;
	dir_close(&d);
	return n;
}

/* Where the PCI root "/pciDDDD:BB" of syspath ends, or NULL.  qemu-ga
 * looks only for "/devices/pci", at the top of sysfs as on x86; a PCIe
 * host bridge that is a platform device (arm64's and riscv64's virt
 * machines: "/devices/platform/4010000000.pcie/pci0000:00/...") hides
 * its disks' addresses from it, and so from libvirt's disk matching. */
static const char *pci_root(const char *syspath)
{
	for (const char *p = syspath; (p = str_find(p, "/pci")); p++) {
		const char *q = p + 4;
		int n = 0;

		for (; is_hex(*q); q++)
			n++;
		if (n && *q++ == ':') {
			for (n = 0; is_hex(*q); q++)
				n++;
			if (n && *q == '/')
				return q;
		}
	}
	return NULL;
}

static bool pci_disk(const char *syspath, struct diskaddr *d)
{
	static const char *const drivers[] = {
		"ata_piix", "sym53c8xx", "virtio-pci", "ahci", "nvme", "xhci_hcd", "ehci-pci",
	};
	const char *p = pci_root(syspath), *h;
	char driver[64];
	unsigned tgt[3], host = 0, hosts[8];
	int pci[4], len, i, nhosts = 0;
	bool has_tgt = false, has_host = false, ata = false;

	if (!p || !(len = pci_addr(p + 1, pci)))
		return false;
	p += 1 + len;
	for (;;) {	/* walk down bridges to a controller we know */
		if (driver_of(syspath, (size_t)(p - syspath), driver, sizeof(driver))) {
			for (i = 0; i < 7 && strcmp(driver, drivers[i]); i++)
				;
			if (i < 7)
				break;
		}
		if (*p != '/' || !(len = pci_addr(p + 1, pci)))
			return false;
		p += 1 + len;
	}
	/* ".../target<h>:<c>:<t>/<h>:<c>:<t>:<l>/...": the last three */
	if ((h = str_find(syspath, "/target")) && (h = strchr(h + 1, '/')) && (h = strchr(h, ':')))
		has_tgt = scan_uints(h + 1, "::", tgt, 3) == 3;
	if ((h = str_find(syspath, "/ata")))
		ata = true;
	else
		h = str_find(syspath, "/host");
	if (h && scan_uints(h + (ata ? 4 : 5), "", &host, 1) == 1) {
		has_host = true;
		nhosts = hosts_of(syspath, (size_t)(h - syspath), ata, hosts, 8);
		if (nhosts < 0)
			return false;
	}
	memcpy(d->pci, pci, sizeof(pci));
	if (!strcmp(driver, "ata_piix")) {	/* a host per IDE bus */
		if (!has_host || !has_tgt)
			return false;
		for (i = 0; i < nhosts && hosts[i] != host; i++)
			;
		if (i == nhosts)
			return false;
		d->bus_type = "ide";
		d->bus = (unsigned)i;
		d->unit = tgt[1];
	} else if (!strcmp(driver, "sym53c8xx")) {
		if (!has_tgt)
			return false;
		d->bus_type = "scsi";
		d->unit = tgt[1];
	} else if (!strcmp(driver, "virtio-pci")) {
		d->bus_type = has_tgt ? "scsi" : "virtio";	/* virtio-scsi, virtio-blk */
		if (has_tgt)
			d->unit = tgt[2];
	} else if (!strcmp(driver, "ahci")) {	/* a host per port */
		if (!has_host || !has_tgt)
			return false;
		for (i = 0; i < nhosts && hosts[i] != host; i++)
			;
		if (i == nhosts)
			return false;
		d->bus_type = "sata";
		d->unit = (unsigned)i;
	} else if (!strcmp(driver, "nvme")) {
		d->bus_type = "nvme";
	} else {
		d->bus_type = "usb";
	}
	return true;
}

/* The address of a real (non-virtual) block device; false if there is
 * nothing to report. */
static bool disk_address(const char *syspath, struct diskaddr *d)
{
	bool hw = false;

	memset(d, 0, sizeof(*d));
	d->pci[0] = d->pci[1] = d->pci[2] = d->pci[3] = -1;
	d->bus_type = "unknown";
	devnode(syspath, d->dev, sizeof(d->dev));
	serial_of(syspath, d->serial, sizeof(d->serial));
	if (pci_root(syspath))
		hw = pci_disk(syspath, d);
	else if (str_find(syspath, "/virtio")) {	/* virtio-mmio and the like */
		d->bus_type = str_find(syspath, "/target") ? "scsi" : "virtio";
		hw = true;
	}
	return hw || d->dev[0] || d->serial[0];
}

static void out_disk_address(struct out *o, const struct diskaddr *d)
{
	int m = 0;

	out_lit(o, "{");
	if (d->serial[0]) {
		out_key(o, &m, "serial");
		out_str(o, d->serial, strlen(d->serial));
	}
	out_key(o, &m, "bus-type");
	out_lit(o, "\"");
	out_lit(o, d->bus_type);
	out_lit(o, "\", \"bus\": ");
	out_u64(o, d->bus);
	out_lit(o, ", \"unit\": ");
	out_u64(o, d->unit);
	out_lit(o, ", \"pci-controller\": {\"bus\": ");
	out_i64(o, d->pci[1]);
	out_lit(o, ", \"slot\": ");
	out_i64(o, d->pci[2]);
	out_lit(o, ", \"domain\": ");
	out_i64(o, d->pci[0]);
	out_lit(o, ", \"function\": ");
	out_i64(o, d->pci[3]);
	out_lit(o, "}");
	if (d->dev[0]) {
		out_lit(o, ", \"dev\": ");
		out_str(o, d->dev, strlen(d->dev));
	}
	out_lit(o, ", \"target\": ");
	out_u64(o, d->target);
	out_lit(o, "}");
}

/* Disks under a block device: itself if real, else (dm, md, loop) the
 * disks under each of its slaves. */
static int collect_disks(const char *syspath, struct diskaddr *out, int n, int depth)
{
	char path[PATH_MAX + 16], real[PATH_MAX];
	struct dirents d;
	const char *name;

	if (!str_find(syspath, "/devices/virtual/block/")) {
		if (n < MAX_DISK_ADDRS && disk_address(syspath, &out[n]))
			n++;
		return n;
	}
	fmt(path, sizeof(path), "%s/slaves", syspath);
	if (depth >= MAX_DISK_DEPTH || !dir_open(&d, path))
		return n;
	while ((name = dir_next(&d, NULL))) {
		fmt(path, sizeof(path), "%s/slaves/%s", syspath, name);
		if (sys_realpath(path, real))
			n = collect_disks(real, out, n, depth + 1);
	}
	dir_close(&d);
	return n;
}

static int guest_get_fsinfo(struct call *c)
{
	const struct mounts *ms;
	static struct diskaddr disks[MAX_DISK_ADDRS];
	char path[64], real[PATH_MAX];
	int i, k, n, count = 0;

	if (!(ms = mounts_read()))
		return call_error(c, "failed to read mount list: %s", strerror(errno));
	reply_begin(c);
	out_lit(c->out, "[");
	for (i = ms->n - 1; i >= 0; i--) {	/* newest mount first, as qemu-ga */
		const struct mount *m = &ms->m[i];
		struct statvfs st;
		const char *name;

		fmt(path, sizeof(path), "/sys/dev/block/%u:%u", m->major, m->minor);
		n = 0;
		if (sys_realpath(path, real)) {
			name = strrchr(real, '/') + 1;
			n = collect_disks(real, disks, 0, 0);
		} else {	/* no sysfs entry (a container): name the source */
			name = strrchr(m->source, '/') ? strrchr(m->source, '/') + 1 : m->source;
		}
		out_lit(c->out, count++ ? ", {\"name\": " : "{\"name\": ");
		out_str(c->out, name, strlen(name));
		bool sized = statvfs(m->dir, &st) == 0;
		if (sized) {
			uint64_t used = (uint64_t)(st.f_blocks - st.f_bfree);
			out_lit(c->out, ", \"total-bytes\": ");
			out_u64(c->out, (used + st.f_bavail) * st.f_frsize);
			out_lit(c->out, ", \"total-bytes-privileged\": ");
			out_u64(c->out, (uint64_t)st.f_blocks * st.f_frsize);
		}
		out_lit(c->out, ", \"mountpoint\": ");
		out_str(c->out, m->dir, strlen(m->dir));
		out_lit(c->out, ", \"disk\": [");
		for (k = n - 1; k >= 0; k--) {	/* qemu-ga prepends */
			if (k != n - 1)
				out_lit(c->out, ", ");
			out_disk_address(c->out, &disks[k]);
		}
		out_lit(c->out, "]");
		if (sized) {
			out_lit(c->out, ", \"used-bytes\": ");
			out_u64(c->out, (uint64_t)(st.f_blocks - st.f_bfree) * st.f_frsize);
		}
		out_lit(c->out, ", \"type\": ");
		out_str(c->out, m->type, strlen(m->type));
		out_lit(c->out, "}");
	}
	mounts_free();
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(26, guest_get_fsinfo, "guest-get-fsinfo", CMD_FUZZ_SAFE);

/* guest-get-disks entries, collected first: qemu-ga prepends each one, so
 * the reply lists them backwards. */
static struct disk_entry {
	char name[80];
	char alias[128];
	bool partition, has_address;
	unsigned short ndeps, dep0;	/* dependencies: deps[dep0 .. dep0+ndeps) */
	struct diskaddr addr;
} entries[MAX_DISKS];
static char deps[MAX_DISKS * 4][80];

static int guest_get_disks(struct call *c)
{
	struct dirents d, sub;
	const char *name, *sname;
	char path[PATH_MAX + 64], real[PATH_MAX], buf[64];
	unsigned char type;
	int n = 0, nd = 0, i, k;

	if (!dir_open(&d, "/sys/block"))
		return call_error(c, "failed to open /sys/block: %s", strerror(errno));
	while ((name = dir_next(&d, &type)) && n < MAX_DISKS) {
		if (type != DT_LNK)
			continue;
		fmt(path, sizeof(path), "/sys/block/%s/size", name);
		if (sys_read(path, buf, sizeof(buf)) < 0 || !strcmp(buf, "0\n"))
			continue;
		fmt(path, sizeof(path), "/sys/block/%s", name);
		struct disk_entry *e = &entries[n];
		memset(e, 0, sizeof(*e));
		if (!devnode(path, e->name, sizeof(e->name)))
			continue;
		n++;
		fmt(path, sizeof(path), "/sys/block/%s/dm/name", name);
		if (sys_read(path, e->alias, sizeof(e->alias)) > 0)
			trim(e->alias);
		else
			e->alias[0] = 0;
		fmt(path, sizeof(path), "/sys/block/%s", name);
		if (sys_realpath(path, real) && !str_find(real, "/devices/virtual/"))
			e->has_address = disk_address(real, &e->addr);
		e->dep0 = (unsigned short)nd;
		fmt(path, sizeof(path), "/sys/block/%s/slaves", name);
		if (dir_open(&sub, path)) {
			while ((sname = dir_next(&sub, NULL)) && nd < MAX_DISKS * 4) {
				fmt(path, sizeof(path), "/sys/block/%s/slaves/%s", name, sname);
				if (devnode(path, deps[nd], sizeof(deps[0])))
					nd++;
			}
			dir_close(&sub);
		}
		e->ndeps = (unsigned short)(nd - e->dep0);
		/* partitions: NAME + digits or NAME + p + digits */
		size_t len = strlen(name);
		fmt(path, sizeof(path), "/sys/block/%s", name);
		if (!dir_open(&sub, path))
			continue;
		while ((sname = dir_next(&sub, &type)) && n < MAX_DISKS) {
			const char *rest = sname + len;
			if (type != 4 || strncmp(sname, name, len) ||
			    !((rest[0] == 'p' && rest[1] >= '0' && rest[1] <= '9') ||
			      (rest[0] >= '0' && rest[0] <= '9')))
				continue;
			struct disk_entry *pe = &entries[n];
			memset(pe, 0, sizeof(*pe));
			fmt(path, sizeof(path), "/sys/block/%s/%s", name, sname);
			if (!devnode(path, pe->name, sizeof(pe->name)) || nd >= MAX_DISKS * 4)
				continue;
			pe->partition = true;
			pe->dep0 = (unsigned short)nd;
			pe->ndeps = 1;
			/* the disk, so a host can see the hierarchy */
			fmt(deps[nd++], sizeof(deps[0]), "%s", e->name);
			n++;
		}
		dir_close(&sub);
	}
	dir_close(&d);
	reply_begin(c);
	out_lit(c->out, "[");
	for (i = n - 1; i >= 0; i--) {
		struct disk_entry *e = &entries[i];
		out_lit(c->out, i != n - 1 ? ", {\"name\": " : "{\"name\": ");
		out_str(c->out, e->name, strlen(e->name));
		out_lit(c->out, ", \"dependencies\": [");
		for (k = e->ndeps - 1; k >= 0; k--) {	/* prepended too */
			if (k != e->ndeps - 1)
				out_lit(c->out, ", ");
			out_str(c->out, deps[e->dep0 + k], strlen(deps[e->dep0 + k]));
		}
		out_lit(c->out, e->partition ? "], \"partition\": true" : "], \"partition\": false");
		if (e->has_address) {
			out_lit(c->out, ", \"address\": ");
			out_disk_address(c->out, &e->addr);
		}
		if (e->alias[0]) {
			out_lit(c->out, ", \"alias\": ");
			out_str(c->out, e->alias, strlen(e->alias));
		}
		out_lit(c->out, "}");
	}
	out_lit(c->out, "]");
	return 0;
}
QGA_COMMAND0(25, guest_get_disks, "guest-get-disks", CMD_FUZZ_SAFE);
