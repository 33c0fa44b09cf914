#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# autoballoond under valgrind: one --once run, then a main-loop run that
# ticks, reloads on SIGHUP and exits on SIGTERM. Any memory error or leak
# in our code fails it (tests/valgrind.supp holds library internals only).
# Usage: valgrind-daemon.sh AUTOBALLOOND SRCDIR
set -u
daemon=$1 src=$2
node=$src/tests/daemondata/node.xml
config=$src/data/autoballoond.conf
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# a plain command, not a function: "$!" must be valgrind's own pid
set -- valgrind --leak-check=full --errors-for-leak-kinds=definite,possible \
    --error-exitcode=99 --suppressions="$src/tests/valgrind.supp" --quiet

. "$(dirname "$0")/wait-log.sh"

"$@" "$daemon" --once -c "test://$node" --config "$config" >"$log" 2>&1
rc=$?
cat "$log"
[ $rc -eq 0 ] || { echo "valgrind --once: exit $rc"; exit 1; }

: >"$log"
"$@" "$daemon" --verbose --tick 0.2 -c "test://$node" --config "$config" >"$log" 2>&1 &
pid=$!
wait_log "connected to test://" 20
wait_log "vm-on2: balloon stats enabled" 20
kill -HUP "$pid"
wait_log "configuration reloaded" 20
kill -TERM "$pid"
wait "$pid"
rc=$?
grep -v "stale-stats" "$log"
[ $rc -eq 0 ] || { echo "valgrind main loop: exit $rc"; exit 1; }
grep -q "exiting on signal" "$log" || { echo "no exit message"; exit 1; }
echo "valgrind: autoballoond clean"
