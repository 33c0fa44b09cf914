#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make demo: run the autoballoon demo on the build in $1 (default build-demo).
# Needs root (libvirtd, QEMU guests, a cgroup limit); `make demo` installs
# the packages and builds first. Output: a live table, then demo/out/demo.png.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-demo}
if [ "$(id -u)" != 0 ]; then
    echo "make demo needs root: it starts libvirtd and QEMU guests and limits the machine cgroup" >&2
    exit 1
fi
for prog in autoballoond:src/daemon/autoballoond virsh-autoballoon:tools/virsh-autoballoon; do
    if [ ! -x "$build/${prog#*:}" ]; then
        echo "run-demo: ${prog%%:*} is not built in $build (run: make demo)" >&2
        exit 1
    fi
done
exec python3 "$here/demo.py" "$build"
