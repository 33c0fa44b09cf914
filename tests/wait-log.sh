# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the shell tests that drive autoballoond.
# wait_log PATTERN [SECONDS]: poll "$log" for PATTERN every 0.05 s with a
# deadline (default 10 s); past it, print the log, kill "$pid", exit 1.
wait_log() {
    i=0 n=$(( ${2:-10} * 20 ))
    while ! grep -q "$1" "$log"; do
        i=$((i + 1))
        if [ $i -gt $n ]; then
            echo "timed out waiting for '$1'"; cat "$log"; kill "$pid" 2>/dev/null
            exit 1
        fi
        sleep 0.05
    done
}
