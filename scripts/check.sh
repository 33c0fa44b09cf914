#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build and run the whole suite, then print "N passed, N failed" as the last
# line (CI reads that line, not meson's summary).
set -u
builddir=${1:-build}
meson compile -C "$builddir" || { echo "0 passed, 1 failed"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
meson test -C "$builddir" --print-errorlogs --num-processes 2
rc=$?

# The daemon under valgrind (the developers' guide wants it clean): needs
# a build without the sanitizers, next to the main one. One more test.
vg=skip
if command -v valgrind >/dev/null 2>&1; then
    vgdir=${builddir%/}-vg
    vglog=$vgdir/valgrind-daemon.log
    if { [ -f "$vgdir/build.ninja" ] ||
         meson setup "$vgdir" -Db_sanitize=none -Dwerror=true >/dev/null; } &&
       meson compile -C "$vgdir" src/daemon/autoballoond >/dev/null &&
       sh tests/valgrind-daemon.sh "$vgdir/src/daemon/autoballoond" "$(pwd)" >"$vglog" 2>&1; then
        vg=ok
        echo "valgrind: autoballoond OK"
    else
        vg=fail
        rc=1
        echo "valgrind: autoballoond FAILED (log: $vglog)"
        grep -v stale-stats "$vglog" 2>/dev/null | tail -40
    fi
else
    echo "valgrind not installed: the daemon's valgrind run is skipped"
fi

python3 - "$builddir/meson-logs/testlog.json" "$vg" <<'PY'
import json, sys
passed = failed = skipped = 0
vg = sys.argv[2]
if vg == "ok":
    passed += 1
elif vg == "fail":
    failed += 1
else:
    skipped += 1
try:
    with open(sys.argv[1]) as f:
        for line in f:
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
except FileNotFoundError:
    failed += 1
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
PY
exit $rc
