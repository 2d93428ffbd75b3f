# Command profiles for `make PROFILE=name`: the qemu-ga command names each
# kind of image needs.  guest-sync-delimited, guest-sync, guest-ping and
# guest-info (the core group) are in every build.

# "Show my IP and shut me down": an appliance or initramfs.
PROFILE_minimal = guest-shutdown guest-network-get-interfaces guest-get-osinfo

# What Proxmox VE calls: `qm guest cmd`, `qm guest exec`, file-read and
# file-write, `qm guest passwd`, freeze around backups, fstrim after moves.
PROFILE_proxmox = guest-get-time guest-fsfreeze-status guest-fsfreeze-freeze \
	guest-fsfreeze-thaw guest-fstrim guest-network-get-interfaces \
	guest-get-vcpus guest-get-fsinfo guest-get-memory-blocks \
	guest-get-memory-block-info guest-suspend-hybrid guest-suspend-ram \
	guest-suspend-disk guest-shutdown guest-get-host-name guest-get-osinfo \
	guest-get-timezone guest-get-users guest-exec guest-exec-status \
	guest-file-open guest-file-close guest-file-read guest-file-write \
	guest-set-user-password

# KubeVirt: the ten commands virt-launcher requires in guest-info before it
# reports the agent connected, plus ssh key and password access.
PROFILE_kubevirt = guest-get-time guest-shutdown guest-network-get-interfaces \
	guest-get-fsinfo guest-get-host-name guest-get-users guest-get-timezone \
	guest-get-osinfo guest-ssh-get-authorized-keys \
	guest-ssh-add-authorized-keys guest-ssh-remove-authorized-keys \
	guest-set-user-password

# Every command tinyqga has.
PROFILE_full =

PROFILES = minimal proxmox kubevirt full
