#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What autoballoond costs: CPU seconds and peak RSS over a fixed period while
# it manages 10, 100 and 1000 domains of libvirt's test driver (a generated
# node XML), after a 3 s warm-up, and the wall time of one connect-plus-tick
# (--once).
# Usage: sh bench/daemon-cost.sh BUILDDIR OUT.json [PERIOD_S]
# BENCH_DAEMON=/path/to/autoballoond measures another build of the daemon
# (BENCH_DAEMON_FROM says which, in the results).
# Writes {"skipped": "..."} when the daemon is not built.
# The test driver's balloon stats never update, so every tick reads the
# stats of all domains and decides "stale-stats": this measures the fixed
# cost of a tick (stats, pressure, decision, status), not balloon moves.
set -eu
builddir=$1
out=$2
period=${3:-30}
daemon=${BENCH_DAEMON:-$builddir/src/daemon/autoballoond}

if [ ! -x "$daemon" ]; then
    echo '{"skipped": "autoballoond not built"}' >"$out"
    echo "bench: autoballoond not built, daemon cost skipped" >&2
    exit 0
fi
from=${BENCH_DAEMON_FROM:-$daemon}
# A sanitizer build costs several times the CPU and memory of the real
# thing: measure an optimised build of the same tree instead.
if [ -z "${BENCH_DAEMON:-}" ] && ldd "$daemon" 2>/dev/null | grep -q libasan; then
    rel="$builddir/bench-release"
    src=$(cd "$(dirname "$0")/.." && pwd)
    [ -f "$rel/build.ninja" ] || meson setup "$rel" "$src" -Dbuildtype=release >/dev/null
    meson compile -C "$rel" src/daemon/autoballoond >/dev/null
    daemon="$rel/src/daemon/autoballoond"
    from="this tree, buildtype=release"
fi

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

node_xml() {
    n=$1
    echo "<node>"
    i=0
    while [ "$i" -lt "$n" ]; do
        printf "  <domain type='test'><name>bench%04d</name>" "$i"
        printf "<memory unit='MiB'>1024</memory><currentMemory unit='MiB'>1024</currentMemory>"
        printf "<vcpu>1</vcpu><os><type>hvm</type></os>"
        printf "<devices><memballoon model='virtio' autodeflate='on'><stats period='2'/></memballoon></devices>"
        printf "</domain>\n"
        i=$((i + 1))
    done
    echo "</node>"
}

# Every test-driver domain is managed; the headroom source watches this
# host, so the ticks do real work whatever the host's state.
cat >"$tmp/autoballoond.conf" <<CONF
[daemon]
manage = all
tick = 1
CONF

hz=$(getconf CLK_TCK)
first=1
version=$("$daemon" --version 2>/dev/null || echo unknown)
printf '{"daemon": "%s", "from": "%s", "period_s": %s, "tick_s": 1, "domains": [' "$version" "$from" "$period" >"$out"
for n in 10 100 1000; do
    node_xml "$n" >"$tmp/node-$n.xml"
    uri="test://$tmp/node-$n.xml"

    start=$(date +%s.%N)
    "$daemon" --connect "$uri" --config "$tmp/autoballoond.conf" --once >"$tmp/once.log" 2>&1 || true
    end=$(date +%s.%N)
    once=$(echo "$start $end" | awk '{ printf "%.4f", $2 - $1 }')

    "$daemon" --connect "$uri" --config "$tmp/autoballoond.conf" >"$tmp/run-$n.log" 2>&1 &
    pid=$!
    # A benchmark's fixed measuring period, not a synchronisation: let the
    # connection and first resync pass, then count the steady ticks only.
    sleep 3
    cpu0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    sleep "$period"
    if [ -r "/proc/$pid/stat" ]; then
        cpu=$(awk -v hz="$hz" -v c0="$cpu0" '{ printf "%.2f", ($14 + $15 - c0) / hz }' "/proc/$pid/stat")
        rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
        alive=true
    else
        cpu=null rss=null alive=false
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    [ "$first" = 1 ] || printf ',' >>"$out"
    first=0
    printf '\n  {"n": %s, "cpu_s": %s, "peak_rss_kib": %s, "once_wall_s": %s, "alive_at_end": %s}' \
        "$n" "$cpu" "$rss" "$once" "$alive" >>"$out"
    echo "bench: daemon with $n domains: cpu ${cpu} s over ${period} s, peak RSS ${rss} KiB, --once ${once} s"
done
printf '\n]}\n' >>"$out"
