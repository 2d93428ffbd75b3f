#!/bin/bash
# dracut module (Fedora, RHEL): tinyqga in the initramfs from udev's start
# until switch-root.  Installed to /usr/lib/dracut/modules.d/99tinyqga by
# `make install-dracut`; enable with add_dracutmodules+=" tinyqga " in
# /etc/dracut.conf.d/tinyqga.conf, then dracut -f.

check() {
	require_binaries @SBINDIR@/tinyqga || return 1
	return 255	# only when asked for
}

depends() {
	echo udev-rules		# the pre-trigger hook and the port's by-name link
	return 0
}

installkernel() {
	instmods virtio_pci virtio_console
}

install() {
	inst_simple @SBINDIR@/tinyqga /usr/sbin/tinyqga
	inst_hook pre-trigger 90 "$moddir/tinyqga-start.sh"
	inst_hook cleanup 90 "$moddir/tinyqga-stop.sh"
}
