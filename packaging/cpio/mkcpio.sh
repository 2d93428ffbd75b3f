#!/bin/sh
# The smallest useful image by hand: busybox, tinyqga and the virtio
# console modules in a gzip'd newc cpio, with an /init that keeps the agent
# running.  A starting point for appliance and test images.
#
#   packaging/cpio/mkcpio.sh TINYQGA OUT.cpio.gz [KERNEL-VERSION]
#
# Needs busybox-static and cpio; modules come from /lib/modules/VERSION.
set -eu
agent=$1
out=$2
kver=${3:-$(uname -r)}
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/lib/modules"
cp /bin/busybox "$root/bin/"
for applet in sh mount insmod mkdir ln cat sleep; do
	ln -s busybox "$root/bin/$applet"
done
cp "$agent" "$root/bin/tinyqga"
for m in $modules; do	# built-in ones have no file: fine
	f=$(find "/lib/modules/$kver" -name "$m.ko*" | head -n 1)
	case $f in
	*.ko) cp "$f" "$root/lib/modules/" ;;
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	esac
done
cat >"$root/init" <<EOT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $modules; do
	[ -e /lib/modules/\$m.ko ] && insmod /lib/modules/\$m.ko
done
mkdir -p /dev/virtio-ports
for p in /sys/class/virtio-ports/vport*; do
	[ -e "\$p/name" ] && ln -sf "/dev/\${p##*/}" "/dev/virtio-ports/\$(cat "\$p/name")"
done
echo tinyqga: starting
# PID 1 must not exit: restart the agent if it ever does
while true; do
	/bin/tinyqga -r -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -t /run
	sleep 1
done
EOT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$out"
