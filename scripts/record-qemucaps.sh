#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Record what a QEMU binary says about its balloon device, for the parser's
# unit tests (tests/test-qemucaps.c). Usage:
#   scripts/record-qemucaps.sh [QEMU_BINARY] [NAME]
# writes tests/qemucapsdata/NAME.help (the raw `-device virtio-balloon-pci,help`
# output), NAME.virtio-mem.help (`-device virtio-mem-pci,help`) and
# NAME.version (the binary's --version first line).
set -eu
qemu=${1:-/usr/bin/qemu-system-x86_64}
dir=$(dirname "$0")/../tests/qemucapsdata
if [ $# -ge 2 ]; then
    name=$2
else
    ver=$("$qemu" --version | sed -n '1s/^QEMU emulator version \([0-9.]*\).*/\1/p')
    distro=$(. /etc/os-release && echo "$ID$VERSION_ID")
    name="qemu-$ver-$distro"
fi
LC_ALL=C "$qemu" -device virtio-balloon-pci,help > "$dir/$name.help"
LC_ALL=C "$qemu" -device virtio-mem-pci,help > "$dir/$name.virtio-mem.help"
LC_ALL=C "$qemu" --version | head -n 1 > "$dir/$name.version"
echo "recorded $dir/$name.help"
