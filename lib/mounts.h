/* mounts.h - qemu-ga's list of mounted block-device filesystems, shared by
 * fsinfo, fsfreeze and fstrim. */
#ifndef TINYQGA_MOUNTS_H
#define TINYQGA_MOUNTS_H

#define MAX_MOUNTS 1024		/* mounts considered; more are left out */

struct mount {
	const char *dir, *type, *source;
	unsigned major, minor;
};

struct mounts {
	struct mount m[MAX_MOUNTS];
	int n;
	char *strings;		/* one block holding every string above */
};

/* From /proc/self/mountinfo, in mount order: octal escapes undone, only
 * block devices (btrfs through its source device), and a device already
 * listed (a bind mount) left out, as newest qemu-ga.  NULL with errno.
 * The agent has one such list: it holds until mounts_free() or the next
 * mounts_read(). */
const struct mounts *mounts_read(void);
void mounts_free(void);

#endif
