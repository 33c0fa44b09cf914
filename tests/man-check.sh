#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The man pages render cleanly: no groff warning, nothing wider than an
# 80-column terminal, the same date on every page, and SEE ALSO naming the
# other page.
# Usage: man-check.sh PAGE...
set -u
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

dates=
for page in "$@"; do
    name=$(basename "$page")
    warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warn" ] && ok "$name: no groff warning" || { bad "$name: groff warns"; echo "$warn" | sed 's/^/# /'; }
    wide=$(MANWIDTH=80 MAN_KEEP_FORMATTING= man -l "$page" 2>/dev/null | col -b |
           awk '{ if (length($0) > 80) print length($0) ": " $0 }')
    [ -z "$wide" ] && ok "$name: fits 80 columns" || { bad "$name: lines over 80 columns"; echo "$wide" | sed 's/^/# /'; }
    dates="$dates$(sed -n 's/^\.TH [^ ]* [0-9] "\([^"]*\)".*/\1/p' "$page")
"
    for other in "$@"; do
        [ "$other" = "$page" ] && continue
        o=$(basename "$other"); oname=${o%.*}; osec=${o##*.}
        if sed -n '/^\.SH SEE ALSO/,$p' "$page" | grep -q "^\.BR $(echo "$oname" | sed 's/-/\\\\-/g') ($osec)"; then
            ok "$name: SEE ALSO names $oname($osec)"
        else
            bad "$name: SEE ALSO lacks $oname($osec)"
        fi
    done
done
if [ "$(printf '%s' "$dates" | sort -u | wc -l)" = 1 ]; then
    ok "one date on every page"
else
    bad "page dates disagree:"; printf '%s' "$dates" | sed 's/^/# /'
fi
echo "1..$n"
[ "$failed" = 0 ]
