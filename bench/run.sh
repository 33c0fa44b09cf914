#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run the benchmarks and record them: bench/results/YYYY-MM-DD-HHMM-<commit>.json,
# the generated tables of bench/README.md and the charts bench/results/latest-*.png.
# Usage: sh bench/run.sh [BUILDDIR]   (make bench does the build first)
set -eu
builddir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
sim="$builddir/bench/sim"
case "$sim" in /*) ;; *) sim="$root/$sim" ;; esac
[ -x "$sim" ] || { echo "error: $sim not built (meson compile -C $builddir)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cd "$root"
. "$here/stamp.sh"
out="bench/results/$stamp-$short.json"
mkdir -p bench/results

# Sanitizer builds are slower but the simulator still takes seconds.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
start=$(date +%s.%N)
"$sim" --sweep --out "$tmp"
end=$(date +%s.%N)
wall=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')

sh bench/daemon-cost.sh "$builddir" "$tmp/daemon.json" "${BENCH_DAEMON_PERIOD:-30}"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
python3 bench/report.py --sim "$tmp/sim.json" --daemon "$tmp/daemon.json" --out "$out" --readme bench/README.md \
    --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" --meta "commit=$commit" \
    --meta "hostname=$(hostname)" --meta "cpu=${cpu:-unknown}" \
    --meta "nproc=$(nproc)" --meta "kernel=$(uname -r)" --meta "sim_wall_s=$wall"

if command -v gnuplot >/dev/null 2>&1; then
    for s in a b c d e f; do
        [ -f "$tmp/series-$s.tsv" ] || continue
        # a quote in a gnuplot '...' string is written twice
        title=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(x["title"] for x in d["scenarios"] if x["name"]==sys.argv[2]).replace("\x27", "\x27\x27"))' "$tmp/sim.json" "$s")
        gnuplot -e "infile='$tmp/series-$s.tsv'; outfile='bench/results/latest-$s.png'; ttl='($s) $title'" bench/charts.gp
    done
else
    echo "bench: gnuplot not installed, charts not regenerated (apt-get install gnuplot-nox)" >&2
fi
echo "bench: wrote $out, bench/README.md and bench/results/latest-*.png"
