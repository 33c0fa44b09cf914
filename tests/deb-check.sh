#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package as a user gets it: build it (scripts/build-deb.sh),
# lintian without errors, install it with apt-get, run what it installed
# (autoballoond --version, virsh-autoballoon help, one --once tick on the
# test driver with the installed configuration), then purge it.
# Exit 77 (skip) without dpkg-buildpackage or without root.
# Usage: deb-check.sh SOURCE_ROOT BUILD_ROOT
set -u
src=$1 build=$2
out=$build/deb
command -v dpkg-buildpackage >/dev/null || { echo "SKIP: dpkg-buildpackage not installed (make deb installs it)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: apt-get install needs root"; exit 77; }
export DEBIAN_FRONTEND=noninteractive
apt="apt-get -y -q -o DPkg::Lock::Timeout=600"

fail() { echo "FAIL: $*"; exit 1; }
if dpkg-query -W -f='${Status}' autoballoon 2>/dev/null | grep -q "ok installed"; then
    fail "autoballoon is installed on this host already; the test would replace it"
fi

deb=$(sh "$src/scripts/build-deb.sh" "$src" "$out" | tail -1) || fail "package build"
echo "built $deb"
[ -f "$deb" ] || fail "no .deb: $deb"

if command -v lintian >/dev/null; then
    lintian --fail-on error "$deb" >"$out/lintian.log" 2>&1 || { cat "$out/lintian.log"; fail "lintian errors"; }
    grep -E '^[EW]: ' "$out/lintian.log" | sed 's/^/lintian: /'
else
    echo "lintian not installed: not run"
fi

trap '$apt purge autoballoon >/dev/null 2>&1' EXIT
$apt install "$deb" >"$out/install.log" 2>&1 || { tail -20 "$out/install.log"; fail "apt-get install"; }

version=$(dpkg-query -W -f='${Version}' autoballoon)
[ "$(/usr/sbin/autoballoond --version)" = "autoballoond $version" ] ||
    fail "autoballoond --version: '$(/usr/sbin/autoballoond --version)', package $version"
/usr/bin/virsh-autoballoon help >"$out/help.log" 2>&1 || { cat "$out/help.log"; fail "virsh-autoballoon help"; }
grep -q balloon-policy "$out/help.log" || fail "virsh-autoballoon help lists no balloon-policy"
/usr/sbin/autoballoond --once --connect "test://$src/tests/daemondata/node.xml" \
    --config /etc/autoballoon/autoballoond.conf >"$out/once.log" 2>&1 ||
    { cat "$out/once.log"; fail "autoballoond --once on the test driver"; }

# where Debian wants each file, and the configuration as a conffile
for f in /usr/sbin/autoballoond /usr/bin/virsh-autoballoon \
         /usr/share/man/man8/autoballoond.8.gz /usr/share/man/man1/virsh-autoballoon.1.gz \
         /usr/share/autoballoon/schemas/autoballoon.rng /lib/systemd/system/autoballoond.service \
         /lib/systemd/system/autoballoon.slice \
         /usr/share/bash-completion/completions/virsh-autoballoon \
         /usr/share/doc/autoballoon/metrics.md.gz /usr/share/doc/autoballoon/copyright; do
    dpkg -L autoballoon | grep -qx "$f" || fail "$f not in the package"
done
dpkg-query -W -f='${Conffiles}\n' autoballoon | grep -q " /etc/autoballoon/autoballoond.conf " ||
    fail "autoballoond.conf is not a conffile"
grep -q "^ExecStart=/usr/sbin/autoballoond$" /lib/systemd/system/autoballoond.service ||
    fail "the unit does not start /usr/sbin/autoballoond"

$apt purge autoballoon >"$out/purge.log" 2>&1 || { tail -20 "$out/purge.log"; fail "apt-get purge"; }
trap - EXIT
[ ! -e /usr/sbin/autoballoond ] && [ ! -e /etc/autoballoon/autoballoond.conf ] ||
    fail "files left after purge"
dpkg --audit >"$out/audit.log" 2>&1 && [ ! -s "$out/audit.log" ] || { cat "$out/audit.log"; fail "dpkg --audit"; }
echo "ok: $deb builds, installs, runs (--version, help, --once) and purges"
