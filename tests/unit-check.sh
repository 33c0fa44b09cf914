#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The systemd unit as built: systemd-analyze verify takes it (no running
# systemd needed), its exposure stays low, and the protections the daemon
# relies on are in force as systemd reads them.
# Usage: unit-check.sh BUILD_ROOT
set -u
build=$1
unit=$build/src/daemon/autoballoond.service
command -v systemd-analyze >/dev/null || { echo "1..0 # SKIP systemd-analyze not installed (Debian: systemd)"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "1..3"

# verify runs the ExecStart binary's checks: point it at the built one
sed "s|^ExecStart=.*/autoballoond|ExecStart=$build/src/daemon/autoballoond|" "$unit" >"$dir/autoballoond.service"
cp "$build/src/daemon/autoballoon.slice" "$dir/"
if out=$(cd "$dir" && systemd-analyze verify --man=no autoballoon.slice autoballoond.service 2>&1) &&
   [ -z "$out" ]; then
    echo "ok 1 systemd-analyze verify"
else
    echo "$out" | sed 's/^/# /'; echo "not ok 1 systemd-analyze verify"
fi

# exposure 0 (locked down) to 10 (unprotected), threshold in tenths
if out=$(systemd-analyze security --offline=yes --threshold=30 "$dir/autoballoond.service" 2>&1); then
    echo "ok 2 exposure: $(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: //p')"
else
    echo "$out" | tail -5 | sed 's/^/# /'; echo "not ok 2 exposure above 3.0"
fi

# the settings the daemon relies on, in the file and as systemd parsed them
missing=""
# memory protection counts only where every ancestor has it: the
# service's own slice, directly under the root slice
grep -q "^MemoryMin=" "$dir/autoballoon.slice" && grep -q "^MemoryLow=" "$dir/autoballoon.slice" ||
    missing="$missing autoballoon.slice:MemoryMin/MemoryLow"
for want in "OOMScoreAdjust=-900" "Slice=autoballoon.slice" "MemoryMin=" "MemoryLow=" \
            "Restart=on-failure" \
            "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
            "CapabilityBoundingSet=CAP_SYS_RESOURCE$" "ReadWritePaths="; do
    grep -q "^$want" "$dir/autoballoond.service" || missing="$missing $want"
done
sec=$(systemd-analyze security --offline=yes --no-pager "$dir/autoballoond.service" 2>&1)
for check in "ProtectSystem=" "ProtectHome=" "PrivateTmp=" "NoNewPrivileges=" "CapabilityBoundingSet=~CAP_SYS_ADMIN"; do
    echo "$sec" | grep -q "✓ $check" || missing="$missing $check(as parsed)"
done
if [ -z "$missing" ]; then
    echo "ok 3 OOM, memory protection, restart and sandbox settings in force"
else
    echo "not ok 3 missing:$missing"
fi
