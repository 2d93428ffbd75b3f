#!/bin/sh
# Before switch-root: the port is the real system's agent's now.
[ -f /run/tinyqga/initramfs.pid ] || return 0
pid=$(cat /run/tinyqga/initramfs.pid)
kill "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
