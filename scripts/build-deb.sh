#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the Debian package from a copy of the source tree, so that the
# tree stays clean: OUTDIR/autoballoon_VERSION_ARCH.deb (and the
# .buildinfo/.changes next to it). Prints the .deb's path last.
# Usage: build-deb.sh SOURCE_ROOT OUTDIR
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$out/autoballoon-$version
rm -rf "$work" "$out"/autoballoon_*
mkdir -p "$work"
# the files of the tree, not its build directories
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -co --exclude-standard -z | tar -c --null -T - -f -) |
        tar -x -C "$work"
else
    (cd "$src" && tar -c --exclude='./build*' --exclude=./.git -f - .) | tar -x -C "$work"
fi
(cd "$work" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
    tail -40 "$out/build.log" >&2
    echo "dpkg-buildpackage failed, see $out/build.log" >&2
    exit 1
}
rm -rf "$work"
ls "$out"/autoballoon_"$version"_*.deb
