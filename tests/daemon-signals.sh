#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# autoballoond under its main loop: SIGHUP reloads, a reload into a bad
# value (a NaN) keeps the running configuration, SIGTERM exits 0.
# Usage: daemon-signals.sh AUTOBALLOOND NODE_XML CONFIG
set -u
daemon=$1 node=$2 shipped=$3
log=$(mktemp)
dir=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$dir"' EXIT
config=$dir/autoballoond.conf
cp "$shipped" "$config"

. "$(dirname "$0")/wait-log.sh"

"$daemon" --connect "test://$node" --config "$config" --tick 0.2 >"$log" 2>&1 &
pid=$!
wait_log "connected to test://"
kill -HUP "$pid"
wait_log "configuration reloaded: tick 0.2 s"
mkdir "$config.d"
printf '[daemon]\nstatus-interval = nan\n' >"$config.d/90-nan.conf"
kill -HUP "$pid"
wait_log "reload failed, keeping the current configuration: .*90-nan.conf: \\[daemon\\] status-interval = 'nan'"
kill -TERM "$pid"
wait "$pid"
rc=$?
cat "$log"
grep -q "exiting on signal" "$log" || { echo "no exit message"; exit 1; }
exit $rc
