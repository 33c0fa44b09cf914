#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real-guest benchmarks: reaction time and reclaim rate of autoballoond
# on a TCG guest under libvirt (bench/e2e/bench-e2e.py), recorded as
# bench/results/YYYY-MM-DD-HHMM-<commit>-e2e.json, the "e2e" block of
# bench/README.md and the charts bench/results/latest-e2e-*.png.
# Usage: sh bench/run-e2e.sh [BUILDDIR]   (make bench-e2e does the build first)
# Needs root, QEMU and libvirt (make deps-e2e) and python3-libvirt.
# BENCH_E2E_TRIALS (10), BENCH_E2E_RECLAIM_TRIALS (3), BENCH_E2E_TICK (2:
# the daemon's default) change the run.
set -eu
builddir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
case "$builddir" in /*) ;; *) builddir="$root/$builddir" ;; esac

daemon=$builddir/src/daemon/autoballoond
plugin=$builddir/tools/virsh-autoballoon
[ -x "$daemon" ] && [ -x "$plugin" ] || {
    echo "error: autoballoond or virsh-autoballoon not built in $builddir" >&2; exit 1; }
from="$builddir"
# The daemon's reaction is paced by its tick, but a sanitizer build also
# slows each tick and the plugin: measure an optimised build of this tree,
# as bench/daemon-cost.sh does.
if ldd "$daemon" 2>/dev/null | grep -q libasan; then
    rel="$builddir/bench-release"
    [ -f "$rel/build.ninja" ] || meson setup "$rel" "$root" -Dbuildtype=release >/dev/null
    meson compile -C "$rel" src/daemon/autoballoond tools/virsh-autoballoon >/dev/null
    daemon=$rel/src/daemon/autoballoond
    plugin=$rel/tools/virsh-autoballoon
    from="this tree, buildtype=release"
fi

# Debian's python3-libvirt is built for /usr/bin/python3.
py=python3
python3 -c 'import libvirt' 2>/dev/null || py=/usr/bin/python3
$py -c 'import libvirt' || { echo "error: python3-libvirt missing (make bench-e2e installs it)" >&2; exit 1; }

. "$here/stamp.sh"
tick=${BENCH_E2E_TICK:-2}
# A run with another tick than the daemon's default is recorded beside the
# default one, but does not replace the README table and charts.
suffix=e2e
[ "$tick" = 2 ] || suffix="e2e-tick$tick"
out="bench/results/$stamp-$short-$suffix.json"
mkdir -p bench/results

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

status=0
AB_BUILD_ROOT="$builddir" $py bench/e2e/bench-e2e.py --daemon "$daemon" --plugin "$plugin" \
    --out "$tmp" --trials "${BENCH_E2E_TRIALS:-10}" \
    --reclaim-trials "${BENCH_E2E_RECLAIM_TRIALS:-3}" --tick "$tick" || status=$?
[ -f "$tmp/e2e.json" ] || { echo "error: bench-e2e wrote no results" >&2; exit 1; }

readme=bench/README.md
[ "$tick" = 2 ] || readme="$tmp/README.md"
[ "$tick" = 2 ] || cp bench/README.md "$readme"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
python3 bench/report.py --e2e "$tmp/e2e.json" --out "$out" --readme "$readme" \
    --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" --meta "commit=$commit" \
    --meta "hostname=$(hostname)" --meta "cpu=${cpu:-unknown}" \
    --meta "nproc=$(nproc)" --meta "kernel=$(uname -r)" --meta "e2e_daemon_from=$from"

if [ "$tick" != 2 ]; then
    echo "bench-e2e: wrote $out (tick $tick s: README and charts keep the default run)"
    exit $status
fi
if command -v gnuplot >/dev/null 2>&1; then
    for k in injected host setmem; do
        f="$tmp/series-reclaim-$k.tsv"
        [ -f "$f" ] || continue
        case $k in
            injected) ttl="injected critical pressure: autoballoond reclaims a filled page cache" ;;
            host) ttl="host critical pressure (machine cgroup at 97 %): autoballoond reclaims" ;;
            setmem) ttl="raw virsh setmem of the same size: the balloon at its own speed" ;;
        esac
        gnuplot -e "infile='$f'; outfile='bench/results/latest-e2e-$k.png'; ttl='$ttl'" bench/e2e/chart.gp
    done
else
    echo "bench-e2e: gnuplot not installed, charts not regenerated (apt-get install gnuplot-nox)" >&2
fi
echo "bench-e2e: wrote $out, bench/README.md and bench/results/latest-e2e-*.png"
exit $status
