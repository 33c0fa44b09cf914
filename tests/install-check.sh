#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install into a scratch DESTDIR and check that what the programs look for
# at run time is there: the schema where tools/ reads it (AB_DATADIR from
# ab-config.h, the one place that names it), the man pages, the systemd
# unit and the bash completion.
# Usage: install-check.sh BUILD_ROOT SOURCE_ROOT
set -u
build=$1 src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

fail() { echo "not ok: $*"; exit 1; }

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest.log" 2>&1 ||
    { cat "$dest.log"; rm -f "$dest.log"; fail "meson install"; }
rm -f "$dest.log"

datadir=$(sed -n 's/^#define AB_DATADIR "\(.*\)"$/\1/p' "$build/ab-config.h")
[ -n "$datadir" ] || fail "no AB_DATADIR in $build/ab-config.h"
schema="$dest$datadir/schemas/autoballoon.rng"
[ -f "$schema" ] || fail "schema not installed at $datadir/schemas/autoballoon.rng"
cmp -s "$schema" "$src/docs/schemas/autoballoon.rng" || fail "installed schema differs from docs/schemas"

for page in man8/autoballoond.8 man1/virsh-autoballoon.1; do
    [ -n "$(find "$dest" -path "*/man/$page" -type f)" ] || fail "man page $page not installed"
done
# the unit and the completion where meson put them (systemd_unit_dir,
# bash_completion_dir, or the pkg-config defaults under the prefix)
for file in autoballoond.service virsh-autoballoon; do
    [ -n "$(find "$dest" -name "$file" -type f)" ] || fail "$file not installed"
done
echo "ok: schema in $datadir/schemas, man pages, unit and completion installed"
