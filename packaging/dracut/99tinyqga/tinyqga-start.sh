#!/bin/sh
# udev runs; the port appears after the trigger, and -r waits for it.
getargbool 1 rd.tinyqga tinyqga || return 0	# rd.tinyqga=0 keeps it off
modprobe -q virtio_pci
modprobe -q virtio_console
mkdir -p /run/tinyqga
/usr/sbin/tinyqga -d -r -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 \
	-t /run/tinyqga -f /run/tinyqga/initramfs.pid -l /run/tinyqga/initramfs.log
