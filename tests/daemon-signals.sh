#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# autoballoond under its main loop: SIGHUP reloads, SIGTERM exits 0.
# Usage: daemon-signals.sh AUTOBALLOOND NODE_XML CONFIG
set -u
daemon=$1 node=$2 config=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT

. "$(dirname "$0")/wait-log.sh"

"$daemon" --connect "test://$node" --config "$config" --tick 0.2 >"$log" 2>&1 &
pid=$!
wait_log "connected to test://"
kill -HUP "$pid"
wait_log "configuration reloaded: tick 0.2 s"
kill -TERM "$pid"
wait "$pid"
rc=$?
cat "$log"
grep -q "exiting on signal" "$log" || { echo "no exit message"; exit 1; }
exit $rc
