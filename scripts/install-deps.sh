#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install the Debian packages given as arguments that are missing.
# As root: apt-get install them. Otherwise: say which are missing and go on
# (meson will fail clearly if a build dependency is really absent).
set -u
missing=""
for p in "$@"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "autoballoon: missing Debian packages (install as root):$missing" >&2
    exit 0
fi
echo "autoballoon: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep configuration files as they are (libvirt-dbus pulls in
# libvirt-daemon-system, whose scripts would otherwise ask), and wait for
# a dpkg lock another install holds.
apt="apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=600"
if ! $apt $missing >/tmp/autoballoon-apt.log 2>&1; then
    apt-get update -q >>/tmp/autoballoon-apt.log 2>&1
    $apt $missing >>/tmp/autoballoon-apt.log 2>&1 || {
        echo "autoballoon: apt-get install failed, see /tmp/autoballoon-apt.log" >&2
        tail -20 /tmp/autoballoon-apt.log >&2
        exit 1
    }
fi
# maintainer scripts that expect a running systemd must still leave every
# package configured
if [ -n "$(dpkg --audit 2>&1)" ]; then
    echo "autoballoon: dpkg --audit reports half-installed packages:" >&2
    dpkg --audit >&2
    exit 1
fi
